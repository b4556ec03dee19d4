/* opt.h - option and setting values for a tool's main.
 *
 * Unlike the rest of common/, these exit: they exist to serve main's
 * argument parsing, where a bad value is a usage error (exit 100, with
 * "prog: bad NAME 'VALUE': want ..." and "Try 'prog --help'.").
 */
#ifndef KL_OPT_H
#define KL_OPT_H

#include <stdint.h>

/* A duration in seconds (0.001 to 86400) named name (an option such as
 * "--interval" or a setting such as "KATO_TIMEOUT"), in nanoseconds. */
int64_t opt_seconds(const char *name, const char *value);

/* The setting key (env file or environment, see cfg.h) as a duration in
 * nanoseconds, or def when it is unset or empty. */
int64_t opt_seconds_setting(const char *key, int64_t def);

#endif
