/* kato-sub - one WebSocket connection's side of kato-live, run by
 * websocketd: stdin holds the client's messages (one per line), stdout is
 * the pipe websocketd turns into messages to the client.
 *
 * It hands its stdout to kato-hub (SCM_RIGHTS, with the hello "ws MS")
 * and never writes it again: from then on the hub is its only writer
 * (connected, the retained state, the stream for the client's topics,
 * heartbeats, subscribed, errors), so lines of any size never interleave
 * and no frame passes through this process.  What it keeps is the other
 * direction: it reads the browser's messages, parses and validates them
 * here (clientmsg.h; untrusted input never reaches the hub, which serves
 * everyone) and sends the hub one short command per message.
 *
 *   - Before the hand-over (no hub yet, or it is down), it says so itself
 *     with one error (hub_unavailable) per outage and tries again with
 *     backoff; the client's commands wait (bounded) for the hub.
 *   - stdin is always read, since websocketd stops relaying when the
 *     child stops reading.
 *   - It exits at once when stdin closes, on SIGTERM/SIGINT/SIGHUP, and
 *     when the hub closes its socket (the hub cut the client off, or it
 *     died): the pipe then has no writer left and websocketd closes the
 *     WebSocket; the browser reconnects.
 *   - It never forks, so websocketd's signals reach everything it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backoff.h"
#include "cfg.h"
#include "clientmsg.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsock.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"

#define READ_CHUNK (16 * 1024)   /* bytes per read from the client */
#define CMDS_MAX (16 * 1024)     /* commands waiting for the hub */
#define BACKOFF_BASE_MS 100
#define BACKOFF_MAX_MS 1000 /* the stream is back within 2 s of the hub */

static const char usage_text[] =
    "usage: kato-sub [--socket PATH] [--heartbeat SECONDS] [--silence SECONDS]\n"
    "\n"
    "One WebSocket client's side of kato-live (run by websocketd, one per\n"
    "connection): hand stdout to kato-hub, which writes the stream to it,\n"
    "and pass the client's messages on stdin to the hub as commands.\n"
    "\n"
    "  -s, --socket PATH        the hub's socket (default $KATO_HUB_SOCKET,\n"
    "                           else $XDG_RUNTIME_DIR/kato-live/hub.sock,\n"
    "                           else /tmp/kato-live-UID/hub.sock)\n"
    "  -b, --heartbeat SECONDS  the hub sends a heartbeat after this long\n"
    "                           without output; 0: never (default 30,\n"
    "                           $KATO_SUB_HEARTBEAT)\n"
    "  -S, --silence SECONDS    the hub closes the connection (error timeout)\n"
    "                           when the client sent nothing for this long;\n"
    "                           0, or ?ping=0 in the URL: never (default 75,\n"
    "                           $KATO_SUB_SILENCE)\n"
    "  -h, --help               show this text\n";

/* Commands for the hub not sent yet (all of them, before the hand-over). */
static char cmds[CMDS_MAX];
static size_t ncmds;
static unsigned long dropped;

static void cmd_add(const char *c, size_t len)
{
	if (ncmds + len + 1 > sizeof cmds) {
		if (dropped++ == 0)
			log_warn("the client sends faster than the hub takes: "
			         "commands dropped");
		return;
	}
	memcpy(cmds + ncmds, c, len);
	cmds[ncmds + len] = '\n';
	ncmds += len + 1;
}

/* Send what waits to the hub (non-blocking).  Returns -1 if it is gone. */
static int cmd_flush(int fd)
{
	while (ncmds > 0) {
		ssize_t w = send(fd, cmds, ncmds, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		memmove(cmds, cmds + w, ncmds - (size_t)w);
		ncmds -= (size_t)w;
	}
	return 0;
}

/* Read what the client sent and turn each message into a command.
 * Returns 0 at the end of input. */
static int client_readable(ndj_reader *r)
{
	long n = ndj_fill(r);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return 0;
	for (;;) {
		char *line, c[CLIENTMSG_CMD_LEN];
		size_t len;
		enum ndj_status st = ndj_next(r, &line, &len);
		if (st == NDJ_LINE)
			cmd_add(c, client_msg_parse(line, len, c));
		else if (st == NDJ_TOOLONG)
			cmd_add(c, client_msg_too_large(c));
		else if (st == NDJ_EOF)
			return 0;
		else
			return !r->eof;
	}
}

/* Before the hand-over only: tell the client the hub cannot be reached.
 * One small line, written without blocking (a client that does not read
 * misses it). */
static void say_unavailable(const char *why)
{
	char ts[CLOCK_ISO_LEN], text[400];
	snprintf(text, sizeof text,
	         "the live stream is unavailable (%s); reconnecting", why);
	cJSON *j = cJSON_CreateObject(), *e;
	cJSON_AddStringToObject(j, "type", "error");
	cJSON_AddStringToObject(j, "timestamp", clock_iso_now(ts));
	e = cJSON_AddObjectToObject(j, "error");
	cJSON_AddStringToObject(e, "code", "hub_unavailable");
	cJSON_AddStringToObject(e, "message", text);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		return;
	size_t n = strlen(s);
	s[n] = '\n'; /* over the NUL: written by length */
	int fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK);
	if (write(STDOUT_FILENO, s, n + 1) != (ssize_t)(n + 1))
		log_warn("the client is not reading: hub_unavailable lost");
	if (fl >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, fl);
	cJSON_free(s);
}

/* A duration setting v (named from, for errors) in ms: "0" is 0, unset
 * or empty is def. */
static int64_t ms_setting(const char *v, const char *from, int64_t def)
{
	int64_t ns;
	if (!v || !*v)
		return def;
	if (!strcmp(v, "0"))
		return 0;
	if (clock_parse_seconds(v, &ns) < 0 || ns / 1000000 > 86400000)
		log_usage("%s: not a number of seconds: %s", from, v);
	return ns / 1000000 > 0 ? ns / 1000000 : 1;
}

/* The value of parameter name in the query string q (websocketd's
 * QUERY_STRING) as text in val (cap bytes), or NULL if it is absent. */
static const char *query_get(const char *q, const char *name, char *val,
                             size_t cap)
{
	size_t n = strlen(name);
	while (q && *q) {
		size_t len = strcspn(q, "&");
		if (len > n && q[n] == '=' && !memcmp(q, name, n)) {
			snprintf(val, cap, "%.*s", (int)(len - n - 1), q + n + 1);
			return val;
		}
		q += len + (q[len] == '&');
	}
	return NULL;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char err[CFG_ERR_LEN];
	if (cfg_init(err) < 0)
		log_die(KL_EXIT_USAGE, "%s", err);

	char path[256];
	if (hubsock_default_path(path, sizeof path) < 0)
		log_die(KL_EXIT_USAGE, "the default socket path is too long");
	const char *hb = cfg_get("KATO_SUB_HEARTBEAT");
	const char *hb_from = "KATO_SUB_HEARTBEAT";
	const char *sil = cfg_get("KATO_SUB_SILENCE");
	const char *sil_from = "KATO_SUB_SILENCE";

	static const struct option opts[] = {
	    {"socket", required_argument, 0, 's'},
	    {"heartbeat", required_argument, 0, 'b'},
	    {"silence", required_argument, 0, 'S'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "s:b:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof path)
				log_usage("--socket: path too long: %s", optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'b': hb = optarg; hb_from = "--heartbeat"; break;
		case 'S': sil = optarg; sil_from = "--silence"; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument: %s", argv[optind]);
	int64_t heartbeat_ms = ms_setting(hb, hb_from, 30000);
	/* The page pings every 30 s (or every ?ping=N s): 2.5 of those
	 * unheard, and it is gone.  A client that cannot ping opts out with
	 * ?ping=0 in its URL. */
	int64_t silence_ms = ms_setting(sil, sil_from, 75000);
	char pv[32];
	int64_t ping_ns;
	if (query_get(getenv("QUERY_STRING"), "ping", pv, sizeof pv)) {
		if (!strcmp(pv, "0"))
			silence_ms = 0;
		else if (clock_parse_seconds(pv, &ping_ns) == 0 &&
		         ping_ns / 400000 > silence_ms &&
		         ping_ns / 400000 <= 86400000)
			silence_ms = ping_ns / 400000; /* 2.5 pings */
	}
	char hello[32];
	snprintf(hello, sizeof hello, "ws %lld %lld", (long long)heartbeat_ms,
	         (long long)silence_ms);

	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s",
		        strerror(errno));
	ndj_reader in;
	if (ndj_reader_init(&in, STDIN_FILENO, CLIENTMSG_MAX_LINE) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
	in.chunk = READ_CHUNK;

	backoff bo;
	backoff_init(&bo, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
	int hubfd = -1, announced = 0, stop = 0;
	int64_t retry_at = 0; /* when to connect next (0: now) */
	char herr[HUBSOCK_ERR_LEN];

	while (!stop) {
		int64_t now = clock_mono_ms();
		if (hubfd < 0 && now >= retry_at) {
			hubfd = hubsock_connect_pass(path, hello, STDOUT_FILENO,
			                             herr);
			if (hubfd >= 0) {
				/* Handed over: fd 1 is the hub's alone now. */
				int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
				if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
					log_die(KL_EXIT_TEMP, "unable to let go of "
					        "stdout: %s", strerror(errno));
				close(null);
				if (announced)
					log_info("hub back at %s", path);
			} else {
				if (!announced) {
					log_warn("hub unavailable: %s", herr);
					say_unavailable(herr);
					announced = 1;
				}
				retry_at = now + backoff_next(&bo);
			}
		}

		struct pollfd p[3];
		p[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		p[1] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		p[2] = (struct pollfd){.fd = hubfd, .events = POLLIN};
		if (hubfd >= 0 && ncmds > 0)
			p[2].events |= POLLOUT;
		int timeout = -1;
		if (hubfd < 0)
			timeout = retry_at > now ? (int)(retry_at - now) : 0;
		int n = poll(p, hubfd >= 0 ? 3 : 2, timeout);
		if (n < 0 && errno != EINTR)
			log_die(KL_EXIT_TEMP, "poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		if (p[1].revents) {
			int s;
			while ((s = sig_read(sigfd)) > 0)
				if (sig_is_stop(s))
					stop = 1;
		}
		if (!stop && p[0].revents && !client_readable(&in))
			stop = 1; /* the client went away */
		if (stop || hubfd < 0)
			continue;
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[256];
			ssize_t r = recv(hubfd, buf, sizeof buf, MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				log_info("the hub closed the connection");
				break;
			}
		}
		if (cmd_flush(hubfd) < 0) {
			log_info("the hub closed the connection");
			break;
		}
	}
	if (hubfd >= 0)
		close(hubfd);
	ndj_reader_free(&in);
	cfg_free();
	return KL_EXIT_OK;
}
