#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
	char *key;
	char *value;
};

static struct entry *entries;
static size_t nentries;

void cfg_free(void)
{
	for (size_t i = 0; i < nentries; i++) {
		free(entries[i].key);
		free(entries[i].value);
	}
	free(entries);
	entries = NULL;
	nentries = 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int put(const char *key, const char *value)
{
	for (size_t i = 0; i < nentries; i++)
		if (strcmp(entries[i].key, key) == 0) {
			char *v = strdup(value);
			if (!v)
				return -1;
			free(entries[i].value);
			entries[i].value = v;
			return 0;
		}
	struct entry *n = realloc(entries, (nentries + 1) * sizeof *n);
	if (!n)
		return -1;
	entries = n;
	entries[nentries].key = strdup(key);
	entries[nentries].value = strdup(value);
	if (!entries[nentries].key || !entries[nentries].value) {
		free(entries[nentries].key);
		free(entries[nentries].value);
		return -1;
	}
	nentries++;
	return 0;
}

/* A key: a letter or '_', then letters, digits and '_'. */
static int good_key(const char *k)
{
	if (!(isalpha((unsigned char)*k) || *k == '_'))
		return 0;
	for (k++; *k; k++)
		if (!(isalnum((unsigned char)*k) || *k == '_'))
			return 0;
	return 1;
}

int cfg_parse_line(char *line, char **key, char **value, const char **why)
{
	*key = *value = NULL;
	*why = NULL;
	char *s = trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (strncmp(s, "export", 6) == 0 && (s[6] == ' ' || s[6] == '\t'))
		s = trim(s + 7);
	char *eq = strchr(s, '=');
	if (!eq) {
		*why = "not a KEY=VALUE line";
		return -1;
	}
	*eq = '\0';
	char *k = trim(s);
	if (!good_key(k)) {
		*why = "not a KEY=VALUE line (a key is letters, digits and _)";
		return -1;
	}
	char *v = trim(eq + 1);
	if (*v == '"' || *v == '\'') {
		char *close = strchr(v + 1, *v);
		if (!close) {
			*why = "quote not closed";
			return -1;
		}
		char *rest = trim(close + 1);
		if (*rest && *rest != '#') {
			*why = "text after the closing quote";
			return -1;
		}
		*close = '\0';
		v++;
	} else {
		/* An unquoted value ends at a '#' after a blank: a comment. */
		for (char *p = v; *p; p++)
			if (*p == '#' && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
				*p = '\0';
				break;
			}
		v = trim(v);
	}
	*key = k;
	*value = v;
	return 1;
}

int cfg_load_file(const char *path, char err[CFG_ERR_LEN])
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, CFG_ERR_LEN, "cannot open env file %s: %s", path,
		         strerror(errno));
		return -1;
	}
	cfg_free();
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t l = strlen(line);
		if (l == sizeof line - 1 && line[l - 1] != '\n' && !feof(f)) {
			snprintf(err, CFG_ERR_LEN, "%s:%u: line longer than %zu bytes",
			         path, lineno, sizeof line - 2);
			rc = -1;
			break;
		}
		char *key, *value;
		const char *why;
		int r = cfg_parse_line(line, &key, &value, &why);
		if (r < 0) {
			snprintf(err, CFG_ERR_LEN, "%s:%u: %s", path, lineno, why);
			rc = -1;
			break;
		}
		if (r == 0)
			continue;
		if (put(key, value) < 0) {
			snprintf(err, CFG_ERR_LEN, "%s: out of memory", path);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int cfg_init(char err[CFG_ERR_LEN])
{
	const char *path = getenv("KATO_LIVE_ENV_FILE");
	if (!path || !*path)
		return 0;
	return cfg_load_file(path, err);
}

const char *cfg_get(const char *key)
{
	const char *v = getenv(key);
	if (v)
		return v;
	for (size_t i = 0; i < nentries; i++)
		if (strcmp(entries[i].key, key) == 0)
			return entries[i].value;
	return NULL;
}

int cfg_parse_bool(const char *s)
{
	static const char *yes[] = {"1", "true", "yes", "on"};
	static const char *no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

int cfg_bool(const char *key, int def, int *out, char err[CFG_ERR_LEN])
{
	const char *v = cfg_get(key);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	int b = cfg_parse_bool(v);
	if (b < 0) {
		snprintf(err, CFG_ERR_LEN,
		         "%s=%s: not a boolean (true/false, yes/no, on/off, 1/0)",
		         key, v);
		return -1;
	}
	*out = b;
	return 0;
}

int cfg_double(const char *key, double def, double *out, char err[CFG_ERR_LEN])
{
	const char *v = cfg_get(key);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || *end != '\0' || !isfinite(d)) {
		snprintf(err, CFG_ERR_LEN, "%s=%s: not a number", key, v);
		return -1;
	}
	*out = d;
	return 0;
}
