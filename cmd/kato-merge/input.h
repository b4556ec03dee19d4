/* input.h - kato-merge's inputs: files, FIFOs, stdin and --run children.
 *
 * Every input is read through an ndj_reader, one read(2) per poll(2)
 * readiness, so no input can hold up the others or the tick.  Files and
 * FIFOs are opened non-blocking; stdin is left as it is (its file
 * description may be shared with a shell) and read only when poll says so.
 *
 * A --run child is "/bin/sh -c CMD" in a process group of its own, with
 * stdin on /dev/null, stdout on a pipe to us, stderr inherited, and
 * PR_SET_PDEATHSIG so that it hears of our death even from SIGKILL.
 * Signals go to the whole group, so the shell's own children are stopped
 * with it.  kato-merge is a child subreaper: what a child leaves behind is
 * reparented to it and reaped.
 */
#ifndef KM_INPUT_H
#define KM_INPUT_H

#include <stdint.h>
#include <sys/types.h>

#include "backoff.h"
#include "ndj.h"

#define INPUT_ERR_LEN 512
#define INPUT_NAME_LEN 128

enum input_kind {
	IN_FILE,  /* a regular file (or anything else open(2) gives us) */
	IN_FIFO,  /* a named pipe: reopened for the next writer at EOF */
	IN_STDIN, /* "-" */
	IN_RUN,   /* --run CMD */
};

typedef struct input {
	enum input_kind kind;
	const char *arg;            /* the path or the command */
	char name[INPUT_NAME_LEN];  /* for messages: path, "stdin", "--run 'CMD'" */
	int fd;                     /* open descriptor, or -1 */
	ndj_reader rd;              /* reads fd (set up while fd >= 0) */
	int done;                   /* a file or stdin at its end: nothing more */
	unsigned bad_lines;         /* malformed lines in a row, to bound the noise */
	pid_t pid;                  /* the running child, 0 if none */
	pid_t pgid;                 /* its process group while its leader is
	                             * unreaped, 0 if none */
	int64_t started_ms;         /* monotonic time the child started */
	int64_t restart_ms;         /* monotonic time to start it again, 0 if not due */
	backoff bo;                 /* restart delays */
} input;

/* Describe an input from its command-line word ("-" or a path) or a
 * --run command; nothing is opened yet. */
void input_set(input *in, enum input_kind kind, const char *arg);

/* Open a file/FIFO/stdin input, or start a --run child.  Returns 0, or -1
 * with err filled ("open /x: No such file or directory"). */
int input_open(input *in, char err[INPUT_ERR_LEN]);

/* Close the descriptor and free the reader (the child, if any, is left). */
void input_close(input *in);

/* At end of input: a FIFO is reopened for its next writer, a file or
 * stdin is done, a child's pipe is closed (its exit is seen by reaping).
 * Returns 0, or -1 with err if a FIFO cannot be reopened. */
int input_eof(input *in, char err[INPUT_ERR_LEN]);

/* Reap one exited child, if any: 0 when none, -1 on error, else its pid
 * with *status set.  When it is the leader of an input's group, that
 * group is sent SIGTERM (what the shell left running) *before* the leader
 * is reaped, while its group id cannot have been reused, and *who is the
 * input; else *who is NULL (a leftover reparented to us). */
pid_t input_reap_one(input *ins, size_t n, int *status, input **who);

/* SIGTERM to in's group: for input_reap_one, while the leader is a zombie. */
void input_leader_exited(input *in);

/* A child has been reaped: close its pipe and schedule the restart; its
 * group is never signalled again.  Returns the delay in milliseconds. */
int64_t input_child_gone(input *in, int64_t now_ms);

/* Become a subreaper (see above).  Returns 0, or -1 with errno. */
int input_subreaper(void);

/* Stop every child of ins: SIGTERM to each group and to every child of
 * ours (leftovers included), up to grace_ms for them to go (reaping
 * whatever exits), then SIGKILL to what is left. */
void input_stop_all(input *ins, size_t n, int sigfd, int64_t grace_ms);

#endif
