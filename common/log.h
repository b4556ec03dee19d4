/* log.h - diagnostics on stderr, one line each, "prog: what failed: why".
 *
 * This is the only module that writes diagnostics.  Library modules in
 * common/ never call it: they return an error and fill a caller's buffer;
 * a tool's main decides what to say.  stderr is unbuffered, so each call
 * is one write(2) of a whole line and lines from concurrent processes do
 * not interleave mid-line.
 */
#ifndef KL_LOG_H
#define KL_LOG_H

#include <stdarg.h>

/* Set the program name printed before every message (basename of argv0). */
void log_init(const char *argv0);

/* The name set by log_init ("kato-live" before it is called). */
const char *log_prog(void);

/* "prog: warning: <msg>" - something went wrong, the tool goes on. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "prog: <msg>" - an informational line (startup, recovery). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "prog: fatal: <msg>" then exit(code).  Codes are in exitcode.h. */
void log_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Usage error: "prog: <msg>", "Try 'prog --help'.", exit 100. */
void log_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
