/* kato-sub - one WebSocket connection's side of kato-live, run by
 * websocketd: stdin holds the client's messages (one per line), stdout the
 * messages to it (one per line).
 *
 * It subscribes to kato-hub and relays the stream, filtered by the
 * client's topics; answers ping with heartbeat and subscribe with
 * subscribed; says when the hub is gone (error hub_unavailable) and
 * reconnects with backoff, getting the retained state again.
 *
 * It must stay tiny (one per browser) and never stall websocketd:
 *   - stdin is always read, even while the client is not taking output,
 *     because websocketd stops relaying when the child stops reading;
 *   - stdout is non-blocking; a line that does not fit waits in a buffer
 *     and the hub is not read meanwhile (the hub cuts us off if that
 *     lasts, and we reconnect), so memory stays at about one line;
 *   - lines go through verbatim unless the client narrowed its topics;
 *     only then is a frame parsed and edited;
 *   - it never forks, so websocketd's signals reach everything it runs.
 *
 * Here: options, setup, the hub connection and the loop.  client.h
 * answers the client and relays to it; topics.h says what each topic lets
 * through; lineout.h writes without blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backoff.h"
#include "cfg.h"
#include "client.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsock.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"
#include "topics.h"

#define HUB_MAX_LINE (1024 * 1024)    /* longest hub message (its default) */
#define READ_CHUNK (16 * 1024)        /* bytes per read from the hub */
#define BACKOFF_BASE_MS 100
#define BACKOFF_MAX_MS 5000

static const char usage_text[] =
    "usage: kato-sub [--socket PATH] [--heartbeat SECONDS]\n"
    "\n"
    "Relay kato-hub's stream to one WebSocket client on stdout, and answer\n"
    "its messages on stdin (run by websocketd, one per connection).\n"
    "\n"
    "  -s, --socket PATH        the hub's socket (default $KATO_HUB_SOCKET,\n"
    "                           else $XDG_RUNTIME_DIR/kato-live/hub.sock,\n"
    "                           else /tmp/kato-live-UID/hub.sock)\n"
    "  -b, --heartbeat SECONDS  send a heartbeat after this long without\n"
    "                           output; 0: never (default 30,\n"
    "                           $KATO_SUB_HEARTBEAT)\n"
    "  -h, --help               show this text\n";

static client C;             /* the one client */
static int64_t heartbeat_ms; /* 0: no idle heartbeats */

static int flag(const char *key, int def)
{
	char err[CFG_ERR_LEN];
	int v;
	if (cfg_bool(key, def, &v, err) < 0)
		log_usage("%s", err);
	return v;
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
	double interval = 3;
	if (cfg_double("KATO_LIVE_INTERVAL", 3, &interval, err) < 0 ||
	    interval <= 0)
		log_usage("KATO_LIVE_INTERVAL: not a number of seconds");

	static const struct option opts[] = {
	    {"socket", required_argument, 0, 's'},
	    {"heartbeat", required_argument, 0, 'b'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "s:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof path)
				log_usage("--socket: path too long: %s", optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'b': hb = optarg; hb_from = "--heartbeat"; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument: %s", argv[optind]);
	heartbeat_ms = 30000;
	if (hb && *hb) {
		int64_t ns;
		if (!strcmp(hb, "0"))
			heartbeat_ms = 0;
		else if (clock_parse_seconds(hb, &ns) == 0)
			heartbeat_ms = ns / 1000000 > 0 ? ns / 1000000 : 1;
		else
			log_usage("%s: not a number of seconds: %s", hb_from, hb);
	}
	int selective = flag("WEBSOCKET_SELECTIVE_SUBSCRIPTIONS", 1);
	unsigned avail = 0;
	for (size_t i = 0; i < NTOPICS; i++)
		if (!topics[i].flag || flag(topics[i].flag, 1))
			avail |= topics[i].bit;

	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s",
		        strerror(errno));
	int out_flags = fcntl(STDOUT_FILENO, F_GETFL);
	if (out_flags >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, out_flags | O_NONBLOCK);
	client_init(&C, STDOUT_FILENO, avail, selective,
	            (long)(interval * 1000 + 0.5));

	ndj_reader in, hub;
	if (ndj_reader_init(&in, STDIN_FILENO, CLIENT_MAX_LINE) < 0 ||
	    ndj_reader_init(&hub, -1, HUB_MAX_LINE) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
	in.chunk = READ_CHUNK;
	hub.chunk = READ_CHUNK;

	backoff bo;
	backoff_init(&bo, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
	int hubfd = -1, announced = 0, in_open = 1, stop = 0;
	int64_t retry_at = 0; /* when to connect next (0: now) */
	char herr[HUBSOCK_ERR_LEN];

	C.last_out_ms = clock_mono_ms();
	client_connected(&C);

	while (!stop && in_open && !C.out.closed) {
		int64_t now = clock_mono_ms();
		/* While the client lags, the hub is not read: reconnecting
		 * then would only get us cut off again. */
		if (hubfd < 0 && now >= retry_at && C.out.plen == 0) {
			hubfd = hubsock_connect(path, "sub", herr);
			if (hubfd >= 0) {
				ndj_reader_reset(&hub, hubfd);
				if (announced)
					log_info("hub back at %s", path);
				announced = 0;
				backoff_reset(&bo);
			} else {
				if (!announced) {
					log_warn("hub unavailable: %s", herr);
					client_error(&C, "hub_unavailable",
					           "the live stream is unavailable "
					           "(%s); reconnecting", herr);
					announced = 1;
				}
				retry_at = now + backoff_next(&bo);
			}
		}

		struct pollfd p[4];
		int np = 0;
		p[np++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		int hub_i = -1, out_i = -1;
		if (C.out.plen > 0) {
			out_i = np;
			p[np++] = (struct pollfd){.fd = STDOUT_FILENO,
			                          .events = POLLOUT};
		} else if (hubfd >= 0) {
			hub_i = np;
			p[np++] = (struct pollfd){.fd = hubfd, .events = POLLIN};
		}
		int64_t deadline = -1;
		if (heartbeat_ms > 0)
			deadline = C.last_out_ms + heartbeat_ms;
		if (hubfd < 0 && C.out.plen == 0 &&
		    (deadline < 0 || retry_at < deadline))
			deadline = retry_at;
		int timeout = -1;
		if (deadline >= 0)
			timeout = deadline > now ? (int)(deadline - now) : 0;

		int n = poll(p, (nfds_t)np, timeout);
		if (n < 0 && errno != EINTR)
			log_die(KL_EXIT_TEMP, "poll: %s", strerror(errno));
		if (n > 0 && p[1].revents) {
			int s;
			while ((s = sig_read(sigfd)) > 0)
				if (sig_is_stop(s))
					stop = 1;
		}
		if (stop)
			break;
		if (n > 0 && p[0].revents && !client_readable(&C, &in))
			in_open = 0;
		if (out_i >= 0 && p[out_i].revents)
			lineout_flush(&C.out);
		if (hub_i >= 0 && p[hub_i].revents && C.out.plen == 0) {
			long got = ndj_fill(&hub);
			int lost = got == 0 || (got < 0 && errno != EINTR &&
			                        errno != EAGAIN);
			/* Complete lines were taken after earlier reads; at
			 * the end only a cut-off line can be left: drop it. */
			for (; !lost;) {
				char *line;
				size_t len;
				enum ndj_status st = ndj_next(&hub, &line, &len);
				if (st == NDJ_LINE)
					client_relay(&C, line, len);
				else if (st == NDJ_TOOLONG)
					log_warn("hub line over %d bytes skipped",
					         HUB_MAX_LINE);
				else
					break;
			}
			if (lost) {
				char why[128];
				snprintf(why, sizeof why, "%s",
				         got == 0 ? "the hub closed the connection"
				                  : strerror(errno));
				close(hubfd);
				hubfd = -1;
				log_warn("hub lost: %s", why);
				client_error(&C, "hub_unavailable",
				           "lost the live stream (%s); reconnecting",
				           why);
				announced = 1;
				retry_at = clock_mono_ms() + backoff_next(&bo);
			}
		}
		if (heartbeat_ms > 0 &&
		    clock_mono_ms() >= C.last_out_ms + heartbeat_ms)
			client_heartbeat(&C);
	}

	if (hubfd >= 0)
		close(hubfd);
	if (out_flags >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, out_flags);
	ndj_reader_free(&in);
	ndj_reader_free(&hub);
	client_free(&C);
	cfg_free();
	return KL_EXIT_OK;
}
