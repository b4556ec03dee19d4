/* sig.h - signals as file-descriptor events.
 *
 * sig_setup() blocks SIGTERM, SIGINT, SIGHUP and SIGCHLD and returns a
 * signalfd that becomes readable when one arrives, so an event loop sees
 * signals beside its other fds and no handler runs asynchronously.
 * SIGPIPE is ignored: a closed stdout shows up as EPIPE from write, which
 * every tool treats as "the reader is gone, exit quietly".
 */
#ifndef KL_SIG_H
#define KL_SIG_H

/* Block the signals above, ignore SIGPIPE, return a non-blocking,
 * close-on-exec signalfd, or -1 with errno set. */
int sig_setup(void);

/* Read one pending signal from fd: its number, or 0 if none is pending. */
int sig_read(int fd);

/* Nonzero for signals that ask the tool to stop (TERM, INT, HUP). */
int sig_is_stop(int signo);

/* Wait up to ms milliseconds (<0: forever) for a signal on fd.  Returns
 * the first stop signal that arrives, or 0 when the time is up.  Other
 * signals (SIGCHLD) are consumed and waiting goes on. */
int sig_sleep_ms(int fd, int ms);

/* In a child between fork and exec: restore the default mask and
 * dispositions that sig_setup changed, so the child behaves normally. */
void sig_child_reset(void);

#endif
