/* input.c - see input.h. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "sig.h"

#define RESTART_BASE_MS 500   /* first restart delay */
#define RESTART_MAX_MS 30000  /* longest restart delay */
#define RESTART_HEALTHY_MS 10000 /* a child that ran this long starts afresh */

void input_set(input *in, enum input_kind kind, const char *arg)
{
	memset(in, 0, sizeof *in);
	in->kind = kind;
	in->arg = arg;
	in->fd = -1;
	if (kind == IN_RUN)
		snprintf(in->name, sizeof in->name, "--run '%.100s%s'", arg,
		         strlen(arg) > 100 ? "..." : "");
	else if (kind == IN_STDIN)
		snprintf(in->name, sizeof in->name, "stdin");
	else
		snprintf(in->name, sizeof in->name, "%.120s", arg);
	backoff_init(&in->bo, RESTART_BASE_MS, RESTART_MAX_MS);
}

static int start_reader(input *in, char err[INPUT_ERR_LEN])
{
	if (ndj_reader_init(&in->rd, in->fd, NDJ_LINE_MAX) < 0) {
		snprintf(err, INPUT_ERR_LEN, "%s: out of memory", in->name);
		close(in->fd);
		in->fd = -1;
		return -1;
	}
	/* Keep resident only what lines need; in steps large enough that
	 * looking for the newline of a long line again after each read
	 * stays cheap. */
	in->rd.chunk = 1 << 20;
	return 0;
}

static int open_path(input *in, char err[INPUT_ERR_LEN])
{
	in->fd = open(in->arg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in->fd < 0) {
		snprintf(err, INPUT_ERR_LEN, "open %s: %s", in->arg, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(in->fd, &st) == 0 && S_ISFIFO(st.st_mode))
		in->kind = IN_FIFO;
	return start_reader(in, err);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const char *cmd, int out, pid_t parent)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* we already missed the parent's death */
		_exit(111);
	sig_child_reset();
	int nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0)
		_exit(111);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	static const char msg[] = "kato-merge: unable to exec /bin/sh\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(111);
}

static int start_child(input *in, char err[INPUT_ERR_LEN])
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, INPUT_ERR_LEN, "%s: unable to make a pipe: %s", in->name,
		         strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, INPUT_ERR_LEN, "%s: unable to fork: %s", in->name,
		         strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		child(in->arg, p[1], parent);
	/* Also here, so that the group exists before we ever signal it. */
	setpgid(pid, pid);
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	in->fd = p[0];
	in->pid = pid;
	in->pgid = pid;
	in->started_ms = clock_mono_ms();
	in->restart_ms = 0;
	return start_reader(in, err);
}

int input_open(input *in, char err[INPUT_ERR_LEN])
{
	switch (in->kind) {
	case IN_STDIN:
		in->fd = 0;
		return start_reader(in, err);
	case IN_RUN:
		return start_child(in, err);
	default:
		return open_path(in, err);
	}
}

void input_close(input *in)
{
	if (in->fd < 0)
		return;
	ndj_reader_free(&in->rd);
	if (in->kind != IN_STDIN)
		close(in->fd);
	in->fd = -1;
}

int input_eof(input *in, char err[INPUT_ERR_LEN])
{
	input_close(in);
	switch (in->kind) {
	case IN_FIFO:
		return open_path(in, err);
	case IN_RUN:
		return 0;
	default:
		in->done = 1;
		return 0;
	}
}

void input_leader_exited(input *in)
{
	if (in->pgid > 0)
		kill(-in->pgid, SIGTERM); /* what the shell left running */
}

int64_t input_child_gone(input *in, int64_t now_ms)
{
	input_close(in);
	/* The leader is reaped: its group id may be reused from now on, so it
	 * is never signalled again.  What the group left is reparented to us
	 * (a subreaper) and found through our children at the end. */
	in->pid = 0;
	in->pgid = 0;
	if (now_ms - in->started_ms >= RESTART_HEALTHY_MS)
		backoff_reset(&in->bo);
	int64_t d = backoff_next(&in->bo);
	in->restart_ms = now_ms + d;
	return d;
}

int input_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -1 : 0;
}

pid_t input_reap_one(input *ins, size_t n, int *status, input **who)
{
	siginfo_t si;
	*who = NULL;
	/* Look first, reap after: while the leader is an unreaped zombie its
	 * pid, and so its group id, cannot be given to anyone else. */
	memset(&si, 0, sizeof si);
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid == 0)
		return 0;
	pid_t pid = si.si_pid;
	for (size_t i = 0; i < n; i++)
		if (ins[i].kind == IN_RUN && ins[i].pid == pid) {
			*who = &ins[i];
			input_leader_exited(&ins[i]);
		}
	if (waitpid(pid, status, 0) < 0)
		return -1;
	return pid;
}

/* Reap every exited child; a leader's group hears SIGTERM first and is
 * forgotten. */
static void reap(input *ins, size_t n)
{
	pid_t pid;
	int st;
	input *who;
	while ((pid = input_reap_one(ins, n, &st, &who)) > 0)
		if (who) {
			who->pid = 0;
			who->pgid = 0;
		}
}

/* Our children (ours, and what children left behind, reparented to us as
 * a subreaper) into pids, at most max.  Returns how many. */
static size_t children(pid_t *pids, size_t max)
{
	char path[64];
	size_t k = 0;
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long p;
	while (k < max && fscanf(f, "%ld", &p) == 1)
		pids[k++] = (pid_t)p;
	fclose(f);
	return k;
}

/* Whether any child group, or any child of ours, is still alive (zombies
 * are reaped first). */
static int any_alive(input *ins, size_t n)
{
	reap(ins, n);
	for (size_t i = 0; i < n; i++)
		if (ins[i].pgid > 0 && kill(-ins[i].pgid, 0) == 0)
			return 1;
	pid_t pids[1];
	return children(pids, 1) > 0;
}

/* signo to every group whose leader we have not reaped, and to every
 * child we have (leftovers reparented to us included). */
static void signal_all(input *ins, size_t n, int signo)
{
	for (size_t i = 0; i < n; i++)
		if (ins[i].pgid > 0)
			kill(-ins[i].pgid, signo);
	pid_t pids[256];
	size_t k = children(pids, sizeof pids / sizeof pids[0]);
	for (size_t i = 0; i < k; i++)
		kill(pids[i], signo);
}

/* Wait up to ms for every group to be gone, waking on SIGCHLD. */
static int wait_gone(input *ins, size_t n, int sigfd, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;
	while (any_alive(ins, n)) {
		int64_t left = end - clock_mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = sigfd, .events = POLLIN};
		/* Poll in short steps too: a grandchild's exit is not always
		 * announced to us by a SIGCHLD we can count on. */
		if (poll(&p, 1, left < 20 ? (int)left : 20) > 0)
			while (sig_read(sigfd) > 0)
				;
	}
	return 0;
}

void input_stop_all(input *ins, size_t n, int sigfd, int64_t grace_ms)
{
	for (size_t i = 0; i < n; i++)
		input_close(&ins[i]);
	signal_all(ins, n, SIGTERM);
	if (wait_gone(ins, n, sigfd, grace_ms) == 0)
		return;
	signal_all(ins, n, SIGKILL);
	wait_gone(ins, n, sigfd, 2000);
}
