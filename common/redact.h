/* redact.h - addresses fit to be shown: no credentials, no tokens.
 *
 * Error texts travel from a collector into every frame, the HTTP fallback
 * and every browser, so an address named in one must not carry what lets
 * a reader in.  redact_url works on any scheme (http, https, tcp, redis,
 * rediss, ...) and on text that is not a valid URL at all:
 *   - the userinfo ("user:password@") is dropped: everything after "://"
 *     up to the last '@' that comes before the query or fragment, so a
 *     password holding an unescaped '/' or '@' goes too; when there is
 *     no '@' there but one further on and no path ("user:p?ss@host"),
 *     everything up to the last '@' is cut and shown as "REDACTED@";
 *   - in the query and the fragment, the value of every parameter whose
 *     name looks like a credential (contains token, key, pass, pwd,
 *     secret, auth, sig, credential, cookie or session, in any case,
 *     percent-escapes decoded), or that holds an '@' (plain or %40: a URL
 *     with credentials, an e-mail address), becomes REDACTED; so does a
 *     whole parameter whose name holds an '@' ("?u:pw@host").
 * Nothing here allocates, logs or exits.
 */
#ifndef KL_REDACT_H
#define KL_REDACT_H

#include <stddef.h>

/* What replaces a secret query value. */
#define REDACT_MARK "REDACTED"

/* Write url, redacted as above, into out (len bytes, NUL-terminated,
 * cut short if it does not fit).  NULL url writes "".  Returns out. */
char *redact_url(const char *url, char *out, size_t len);

/* Nonzero if the query parameter name (n bytes, percent-escapes allowed)
 * looks like it names a credential. */
int redact_secret_name(const char *name, size_t n);

#endif
