#include "sig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"

static void fill(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

int sig_setup(void)
{
	sigset_t set;
	fill(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int sig_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	if (n != (ssize_t)sizeof si)
		return 0;
	return (int)si.ssi_signo;
}

int sig_is_stop(int signo)
{
	return signo == SIGTERM || signo == SIGINT || signo == SIGHUP;
}

int sig_sleep_ms(int fd, int ms)
{
	int64_t deadline = clock_mono_ms() + ms;
	for (;;) {
		int left = -1;
		if (ms >= 0) {
			int64_t l = deadline - clock_mono_ms();
			if (l <= 0)
				return 0;
			left = (int)l;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, left);
		if (r < 0 && errno != EINTR)
			return 0;
		if (r > 0) {
			int s;
			while ((s = sig_read(fd)) > 0)
				if (sig_is_stop(s))
					return s;
		}
	}
}

void sig_child_reset(void)
{
	sigset_t set;
	fill(&set);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}
