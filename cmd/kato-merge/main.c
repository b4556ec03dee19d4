/* kato-merge - merge collector records into one frame per tick.
 *
 * Reads records from files, FIFOs, stdin and --run children, keeps the
 * newest record of each source, and writes one realtime_update frame (or,
 * with --legacy, metrics_update) per tick on stdout.  Frame k leaves at
 * start + k * interval on the monotonic clock, however slow an input is:
 * one thread polls every input, never blocking on any.  Event records are
 * forwarded the moment they arrive.  Formats: kato-live(7).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "frame.h"
#include "input.h"
#include "log.h"
#include "opt.h"
#include "ndj.h"
#include "sig.h"

#define GRACE_MS 2000    /* children get this long to go after SIGTERM */
#define BAD_REPORT_MAX 20 /* malformed lines in a row reported per input */

static const char usage_text[] =
    "usage: kato-merge [--interval SECONDS] [--stale SECONDS] [--legacy]\n"
    "                  [--run CMD]... [INPUT...]\n"
    "\n"
    "Read collector records from INPUTs (files, FIFOs, - for stdin; stdin\n"
    "when there are none and no --run) and from the stdout of --run\n"
    "commands; write one realtime_update frame per tick on stdout, and\n"
    "every event record's event the moment it arrives.\n"
    "\n"
    "  -i, --interval SECONDS time between frames (default 3,\n"
    "                         $KATO_LIVE_INTERVAL)\n"
    "  -s, --stale SECONDS    a source whose newest record is older than\n"
    "                         this is stale (default 3 intervals)\n"
    "  -r, --run CMD          run /bin/sh -c CMD and read its stdout;\n"
    "                         restarted with backoff when it exits\n"
    "      --legacy           write metrics_update frames (KATO's /metrics\n"
    "                         body only) for old clients\n"
    "  -h, --help             show this text\n";

typedef struct merge {
	merge_state st;
	input *in;
	size_t nin;
	int sigfd;
	int stop;          /* a stop signal or a closed stdout */
} merge;

/* The session count cross-check's times (rsess.h): KATO's count cache,
 * and how far session-summary's count may lag (that cache, its settle
 * time and its poll interval). */
static void session_check(rsess *rs)
{
	char err[CFG_ERR_LEN];
	double cache, settle, poll;
	if (cfg_double("KATO_SESSION_CACHE_SECONDS", 5, &cache, err) < 0 ||
	    cfg_double("SESSION_SETTLE_SECONDS", 5, &settle, err) < 0 ||
	    cfg_double("SESSION_POLL_INTERVAL", 1, &poll, err) < 0)
		log_usage("%s", err);
	if (cache < 0 || settle < 0 || poll < 0 || cache > 3600 || settle > 3600 ||
	    poll > 3600)
		log_usage("bad KATO_SESSION_CACHE_SECONDS, SESSION_SETTLE_SECONDS or "
		          "SESSION_POLL_INTERVAL: want seconds from 0 to 3600");
	rs->cache_ms = (int64_t)(cache * 1000);
	rs->window_ms = (int64_t)((cache + settle + poll) * 1000);
}

static int flag(const char *key)
{
	char err[CFG_ERR_LEN];
	int v;
	if (cfg_bool(key, 1, &v, err) < 0)
		log_usage("%s", err);
	return v;
}

/* Write one line on stdout; a closed stdout stops us quietly. */
static void emit(merge *m, const char *line, size_t len)
{
	if (m->stop)
		return;
	if (ndj_write_line(stdout, line, len) < 0) {
		if (errno != EPIPE)
			log_warn("unable to write to stdout: %s", strerror(errno));
		m->stop = 1;
	}
}

static void take_line(merge *m, input *in, const char *line, size_t len)
{
	char err[FRAME_ERR_LEN], *event;
	if (len == 0)
		return; /* a blank line is no record, and no harm */
	enum merge_result r = merge_record(&m->st, line, len, clock_mono_ms(),
	                                   clock_wall_ms(), &event, err);
	if (r == MERGE_BAD) {
		if (++in->bad_lines <= BAD_REPORT_MAX)
			log_warn("%s: line %lu: %s, skipped", in->name, in->rd.lineno, err);
		if (in->bad_lines == BAD_REPORT_MAX)
			log_warn("%s: %d malformed lines in a row; saying nothing more "
			         "until a good one",
			         in->name, BAD_REPORT_MAX);
		return;
	}
	in->bad_lines = 0;
	if (err[0])
		log_info("%s", err);
	if (r == MERGE_EVENT) {
		emit(m, event, strlen(event));
		free(event);
	}
}

/* Read what in has (once, or for a pipe of ours until it is empty) and
 * take every complete line. */
static void service(merge *m, input *in, int drain)
{
	char err[INPUT_ERR_LEN];
	do {
		long n = ndj_fill(&in->rd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			log_warn("%s: read: %s", in->name, strerror(errno));
		char *line;
		size_t len;
		enum ndj_status s;
		while ((s = ndj_next(&in->rd, &line, &len)) != NDJ_AGAIN) {
			if (s == NDJ_LINE) {
				take_line(m, in, line, len);
			} else if (s == NDJ_TOOLONG) {
				merge_count_bad(&m->st);
				log_warn("%s: line %lu: longer than %u bytes, skipped",
				         in->name, in->rd.lineno, NDJ_LINE_MAX);
			} else { /* NDJ_EOF */
				if (input_eof(in, err) < 0)
					log_warn("%s", err);
				return;
			}
		}
		if (n < 0) { /* a read error ends this input like an EOF */
			if (input_eof(in, err) < 0)
				log_warn("%s", err);
			return;
		}
	} while (drain && in->fd >= 0);
}

static void start(input *in)
{
	char err[INPUT_ERR_LEN];
	if (input_open(in, err) == 0)
		return;
	int64_t d = backoff_next(&in->bo);
	log_warn("%s; trying again in %.1f s", err, (double)d / 1000);
	in->restart_ms = clock_mono_ms() + d;
}

static void describe_exit(const input *in, pid_t pid, int st, int64_t delay)
{
	if (WIFSIGNALED(st))
		log_warn("%s (pid %d) was killed by signal %d; restarting in %.1f s",
		         in->name, (int)pid, WTERMSIG(st), (double)delay / 1000);
	else
		log_warn("%s (pid %d) exited with status %d; restarting in %.1f s",
		         in->name, (int)pid, WEXITSTATUS(st), (double)delay / 1000);
}

/* Reap exited children: what a child wrote before dying is still taken. */
static void reap(merge *m)
{
	pid_t pid;
	int st;
	input *in;
	while ((pid = input_reap_one(m->in, m->nin, &st, &in)) > 0) {
		/* Anything but a leader was a grandchild left to us (we are
		 * its subreaper): reaped, nothing more to do. */
		if (!in)
			continue;
		if (in->fd >= 0)
			service(m, in, 1);
		int64_t d = input_child_gone(in, clock_mono_ms());
		if (!m->stop)
			describe_exit(in, pid, st, d);
	}
}

static void on_signals(merge *m)
{
	int s;
	while ((s = sig_read(m->sigfd)) > 0) {
		if (sig_is_stop(s))
			m->stop = 1;
		else
			reap(m);
	}
}

static int run(merge *m, int64_t interval_ns)
{
	size_t npfd = m->nin + 2;
	struct pollfd *pfd = calloc(npfd, sizeof *pfd);
	input **who = calloc(npfd, sizeof *who);
	if (!pfd || !who)
		log_die(KL_EXIT_TEMP, "out of memory");

	tick_t t;
	tick_init(&t, interval_ns);
	t.k = 1; /* the first frame one interval from now: inputs speak first */

	while (!m->stop) {
		size_t n = 0;
		pfd[n++] = (struct pollfd){.fd = m->sigfd, .events = POLLIN};
		/* events 0: poll still says POLLERR when stdout's reader is gone. */
		pfd[n++] = (struct pollfd){.fd = 1, .events = 0};
		int64_t timeout = tick_left_ns(&t); /* ns: ticks leave on time */
		int64_t now = clock_mono_ns();
		for (size_t i = 0; i < m->nin; i++) {
			input *in = &m->in[i];
			if (in->fd >= 0) {
				who[n] = in;
				pfd[n++] = (struct pollfd){.fd = in->fd, .events = POLLIN};
			} else if (in->restart_ms > 0) {
				int64_t l = in->restart_ms * 1000000 - now;
				if (l < timeout)
					timeout = l < 0 ? 0 : l;
			}
		}
		struct timespec ts = {.tv_sec = timeout / 1000000000,
		                      .tv_nsec = timeout % 1000000000};
		int r = ppoll(pfd, n, &ts, NULL);
		if (r < 0 && errno != EINTR)
			log_die(KL_EXIT_TEMP, "unable to poll: %s", strerror(errno));

		if (r > 0 && pfd[0].revents)
			on_signals(m);
		if (r > 0 && (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)))
			m->stop = 1;
		for (size_t i = 2; r > 0 && i < n && !m->stop; i++)
			if (pfd[i].revents && who[i]->fd == pfd[i].fd)
				service(m, who[i], 0);

		now = clock_mono_ms();
		for (size_t i = 0; i < m->nin && !m->stop; i++) {
			input *in = &m->in[i];
			if (in->fd < 0 && in->restart_ms > 0 && now >= in->restart_ms)
				start(in);
		}

		int64_t due = tick_deadline_ns(&t);
		if (!m->stop && tick_take(&t)) {
			/* How late this tick leaves: now minus when it was due. */
			int64_t mono = clock_mono_ns();
			double late = (double)(mono - due) / 1e6;
			size_t len;
			uint64_t cut = m->st.oversize_total;
			const char *f = merge_frame(&m->st, clock_wall_ms(),
			                            mono / 1000000, late, NDJ_LINE_MAX,
			                            &len);
			if (!f)
				log_die(KL_EXIT_TEMP, "out of memory building a frame");
			if (m->st.oversize_total != cut)
				log_warn("a frame would be over %u bytes: its largest "
				         "sections were left out (said in the frame)",
				         NDJ_LINE_MAX);
			emit(m, f, len);
			if (m->st.rs.note[0]) /* the session count cross-check */
				log_warn("%s", m->st.rs.note);
		}
	}
	free(pfd);
	free(who);
	return KL_EXIT_OK;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);

	int64_t interval = 3000000000LL, stale = -1;
	int legacy = 0;
	interval = opt_seconds_setting("KATO_LIVE_INTERVAL", interval);
	int session_events = flag("WEBSOCKET_SESSION_EVENTS");

	merge m = {0};
	m.in = calloc((size_t)argc + 1, sizeof *m.in);
	if (!m.in)
		log_die(KL_EXIT_TEMP, "out of memory");

	static const struct option opts[] = {
	    {"interval", required_argument, NULL, 'i'},
	    {"stale", required_argument, NULL, 's'},
	    {"run", required_argument, NULL, 'r'},
	    {"legacy", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "i:s:r:h", opts, NULL)) != -1) {
		switch (o) {
		case 'i': interval = opt_seconds("--interval", optarg); break;
		case 's': stale = opt_seconds("--stale", optarg); break;
		case 'r':
			if (!*optarg)
				log_usage("empty --run command");
			input_set(&m.in[m.nin++], IN_RUN, optarg);
			break;
		case 'L': legacy = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			free(m.in);
			cfg_free();
			return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	int nstdin = 0;
	for (int i = optind; i < argc; i++) {
		int is_stdin = !strcmp(argv[i], "-");
		if (is_stdin && nstdin++)
			log_usage("stdin ('-') named twice");
		input_set(&m.in[m.nin++], is_stdin ? IN_STDIN : IN_FILE, argv[i]);
	}
	if (m.nin == 0)
		input_set(&m.in[m.nin++], IN_STDIN, "-");
	if (stale < 0)
		stale = 3 * interval;

	if (merge_init(&m.st, session_events, legacy,
	               interval / 1000000, stale / 1000000) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
	session_check(&m.st.rs);
	if ((m.sigfd = sig_setup()) < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s", strerror(errno));
	if (input_subreaper() < 0)
		log_warn("unable to become a subreaper: %s (children's leftovers "
		         "go to init)",
		         strerror(errno));

	/* Files first: one that cannot be opened is fatal before any child
	 * is started. */
	char err[INPUT_ERR_LEN];
	for (size_t i = 0; i < m.nin; i++)
		if (m.in[i].kind != IN_RUN && input_open(&m.in[i], err) < 0)
			log_die(errno == ENOENT || errno == ENOTDIR || errno == EACCES
			            ? KL_EXIT_USAGE : KL_EXIT_TEMP,
			        "%s", err);
	for (size_t i = 0; i < m.nin; i++)
		if (m.in[i].kind == IN_RUN)
			start(&m.in[i]);

	int rc = run(&m, interval);

	input_stop_all(m.in, m.nin, m.sigfd, GRACE_MS);
	merge_free(&m.st);
	free(m.in);
	close(m.sigfd);
	cfg_free();
	return rc;
}
