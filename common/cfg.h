/* cfg.h - settings from an env file and the environment.
 *
 * Precedence, lowest first: the tool's default, the env file, the process
 * environment, then command-line options (which the tool applies after
 * asking here).  The env file is the one named by $KATO_LIVE_ENV_FILE
 * (etc/kato-live.env in a checkout, /etc/kato-live/kato-live.env when
 * installed).  Its grammar, which scripts/kato-live follows too:
 *   - blank lines, and lines whose first non-blank is '#' or ';', are
 *     ignored;
 *   - otherwise [export ]KEY=VALUE, KEY being a letter or '_' then letters,
 *     digits and '_'; blanks around KEY and VALUE are dropped;
 *   - a VALUE in single or double quotes is what is between them, as it is
 *     (no escapes); only blanks or a '#' comment may follow;
 *   - an unquoted VALUE ends at a '#' that follows a blank (a comment):
 *     "KATO_LIVE_PORT=18089  # web port" is 18089.
 * This is not systemd's EnvironmentFile= grammar (which keeps "# web port"
 * in the value): the units name the file in KATO_LIVE_ENV_FILE instead.
 */
#ifndef KL_CFG_H
#define KL_CFG_H

#define CFG_ERR_LEN 256

/* Load the file named by $KATO_LIVE_ENV_FILE, if that is set.  Returns 0,
 * or -1 with err filled ("path:line: why", or the open error). */
int cfg_init(char err[CFG_ERR_LEN]);

/* Load one env file (replacing what an earlier load set).  Returns 0, or
 * -1 with err filled. */
int cfg_load_file(const char *path, char err[CFG_ERR_LEN]);

/* Parse one line of an env file in place.  Returns 1 with *key and
 * *value pointing into line, 0 for a blank or comment line, or -1 with
 * *why saying what is wrong. */
int cfg_parse_line(char *line, char **key, char **value, const char **why);

/* The value of key: the environment's if set, else the env file's, else
 * NULL.  The string stays valid until the next load. */
const char *cfg_get(const char *key);

/* Boolean setting: true/false, yes/no, on/off, 1/0 (any case).  Unset:
 * *out = def.  Returns 0, or -1 with err naming the key and the value. */
int cfg_bool(const char *key, int def, int *out, char err[CFG_ERR_LEN]);

/* Number setting, same rules.  Returns 0, or -1 with err. */
int cfg_double(const char *key, double def, double *out, char err[CFG_ERR_LEN]);

/* Parse a boolean word (as above).  Returns 0 or 1, or -1 if it is none. */
int cfg_parse_bool(const char *s);

/* Free what the env file loaded. */
void cfg_free(void);

#endif
