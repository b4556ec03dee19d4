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
 * Here: options, the client's messages and the loop.  topics.h says what
 * each topic lets through; lineout.h writes to the client.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backoff.h"
#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsock.h"
#include "js.h"
#include "lineout.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"
#include "topics.h"

#define CLIENT_MAX_LINE (64 * 1024)   /* longest client message */
#define HUB_MAX_LINE (1024 * 1024)    /* longest hub message (its default) */
#define READ_CHUNK (16 * 1024)        /* bytes per read from the hub */
#define PENDING_MAX (256 * 1024)      /* replies held for a stuck client */
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

static struct {
	unsigned avail;      /* topics in force (feature flags) */
	unsigned want;       /* topics the client subscribed to, within avail */
	int selective;       /* WEBSOCKET_SELECTIVE_SUBSCRIPTIONS */
	long interval_ms;    /* KATO_LIVE_INTERVAL, for "connected" */
	int64_t heartbeat_ms; /* 0: no idle heartbeats */
	int64_t last_out_ms; /* when a line last went to the client */
	lineout out;         /* stdout, and what the client has not taken */
} S;

/* --- output ------------------------------------------------------------ */

/* Send one line to the client.  A stream line (from the hub) always goes
 * into the buffer when it cannot be written (the caller stops reading the
 * hub until it drains); a reply is dropped rather than let a client that
 * never reads grow our memory. */
static void out_line(const char *line, size_t len, int is_reply)
{
	if (S.out.closed)
		return;
	S.last_out_ms = clock_mono_ms();
	int r = lineout_put(&S.out, line, len, is_reply ? PENDING_MAX : SIZE_MAX);
	if (r == LINEOUT_DROPPED)
		log_warn("client not reading: reply dropped");
	else if (r == LINEOUT_NOMEM)
		log_warn("out of memory: closing the connection");
}

static void out_json(cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	if (s)
		out_line(s, strlen(s), 1);
	else
		log_warn("out of memory: a message to the client was lost");
	cJSON_free(s);
	cJSON_Delete(j);
}

/* A new {"type":type,"timestamp":now} object. */
static cJSON *message(const char *type)
{
	char ts[CLOCK_ISO_LEN];
	cJSON *j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "type", type);
		cJSON_AddStringToObject(j, "timestamp", clock_iso_now(ts));
	}
	return j;
}

static void send_error(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void send_error(const char *code, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	cJSON *j = message("error");
	cJSON *e = cJSON_AddObjectToObject(j, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", text);
	out_json(j);
}

static void send_heartbeat(void) { out_json(message("heartbeat")); }

static void send_connected(void)
{
	cJSON *j = message("connected");
	cJSON_AddNumberToObject(j, "interval_ms", (double)S.interval_ms);
	cJSON_AddItemToObject(j, "topics", topics_list(S.avail));
	cJSON_AddBoolToObject(j, "selective_subscriptions", S.selective);
	out_json(j);
}

/* --- the stream ---------------------------------------------------------- */

/* One line from the hub to the client, filtered by topic if need be. */
static void relay(const char *line, size_t len)
{
	if (!S.selective || S.want == S.avail) {
		out_line(line, len, 0); /* verbatim */
		return;
	}
	char *edited = NULL;
	switch (topics_filter(line, len, S.want, &edited)) {
	case TOPICS_PASS: out_line(line, len, 0); break;
	case TOPICS_DROP: break;
	case TOPICS_EDITED: out_line(edited, strlen(edited), 0); break;
	case TOPICS_NOMEM: log_warn("out of memory: a frame was lost"); break;
	}
	cJSON_free(edited);
}

/* --- client messages ----------------------------------------------------- */

static void subscribe(const cJSON *j)
{
	char err[TOPICS_ERR_LEN];
	unsigned mask = 0;
	int bad = topics_parse(j, &mask, err);
	if (bad) {
		send_error(bad == TOPICS_BAD ? "bad_message" : "unknown_topic",
		           "%s", err);
		return;
	}
	cJSON *r = message("subscribed");
	if (S.selective) {
		S.want = mask & S.avail;
		cJSON_AddItemToObject(r, "topics", topics_list(S.want));
		if (mask & ~S.avail)
			cJSON_AddItemToObject(r, "unavailable",
			                      topics_list(mask & ~S.avail));
	} else {
		cJSON_AddItemToObject(r, "topics", topics_list(S.avail));
		cJSON_AddBoolToObject(r, "selective_subscriptions", 0);
		cJSON_AddStringToObject(r, "message",
		                        "selective subscriptions are off: "
		                        "every topic stays on");
	}
	out_json(r);
}

static void client_line(char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	                   line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len == 4 && !memcmp(line, "ping", 4)) {
		send_heartbeat();
		return;
	}
	char why[64];
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j || !cJSON_IsObject(j)) {
		send_error("bad_message", "%s", j ? "not a JSON object"
		                                  : "not JSON (or \"ping\")");
		cJSON_Delete(j);
		return;
	}
	const char *type = js_str(j, "type");
	if (!type)
		send_error("bad_message", "no \"type\" string in the message");
	else if (!strcmp(type, "ping"))
		send_heartbeat();
	else if (!strcmp(type, "subscribe"))
		subscribe(j);
	else
		send_error("unknown_type",
		           "unknown message type \"%.100s\" (known: ping, "
		           "subscribe)", type);
	cJSON_Delete(j);
}

/* Returns 0 at end of input. */
static int client_readable(ndj_reader *r)
{
	long n = ndj_fill(r);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return 0;
	for (;;) {
		char *line;
		size_t len;
		enum ndj_status st = ndj_next(r, &line, &len);
		if (st == NDJ_LINE)
			client_line(line, len);
		else if (st == NDJ_TOOLONG)
			send_error("too_large",
			           "message over %d bytes, ignored",
			           CLIENT_MAX_LINE);
		else if (st == NDJ_EOF)
			return 0;
		else
			return !r->eof;
		if (S.out.closed)
			return 0;
	}
}

/* --- main ---------------------------------------------------------------- */

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
	S.interval_ms = (long)(interval * 1000 + 0.5);

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
	S.heartbeat_ms = 30000;
	if (hb && *hb) {
		int64_t ns;
		if (!strcmp(hb, "0"))
			S.heartbeat_ms = 0;
		else if (clock_parse_seconds(hb, &ns) == 0)
			S.heartbeat_ms = ns / 1000000 > 0 ? ns / 1000000 : 1;
		else
			log_usage("%s: not a number of seconds: %s", hb_from, hb);
	}
	S.selective = flag("WEBSOCKET_SELECTIVE_SUBSCRIPTIONS", 1);
	for (size_t i = 0; i < NTOPICS; i++)
		if (!topics[i].flag || flag(topics[i].flag, 1))
			S.avail |= topics[i].bit;
	S.want = S.avail;

	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s",
		        strerror(errno));
	int out_flags = fcntl(STDOUT_FILENO, F_GETFL);
	if (out_flags >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, out_flags | O_NONBLOCK);
	lineout_init(&S.out, STDOUT_FILENO);

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

	S.last_out_ms = clock_mono_ms();
	send_connected();

	while (!stop && in_open && !S.out.closed) {
		int64_t now = clock_mono_ms();
		/* While the client lags, the hub is not read: reconnecting
		 * then would only get us cut off again. */
		if (hubfd < 0 && now >= retry_at && S.out.plen == 0) {
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
					send_error("hub_unavailable",
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
		if (S.out.plen > 0) {
			out_i = np;
			p[np++] = (struct pollfd){.fd = STDOUT_FILENO,
			                          .events = POLLOUT};
		} else if (hubfd >= 0) {
			hub_i = np;
			p[np++] = (struct pollfd){.fd = hubfd, .events = POLLIN};
		}
		int64_t deadline = -1;
		if (S.heartbeat_ms > 0)
			deadline = S.last_out_ms + S.heartbeat_ms;
		if (hubfd < 0 && S.out.plen == 0 &&
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
		if (n > 0 && p[0].revents && !client_readable(&in))
			in_open = 0;
		if (out_i >= 0 && p[out_i].revents)
			lineout_flush(&S.out);
		if (hub_i >= 0 && p[hub_i].revents && S.out.plen == 0) {
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
					relay(line, len);
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
				send_error("hub_unavailable",
				           "lost the live stream (%s); reconnecting",
				           why);
				announced = 1;
				retry_at = clock_mono_ms() + backoff_next(&bo);
			}
		}
		if (S.heartbeat_ms > 0 &&
		    clock_mono_ms() >= S.last_out_ms + S.heartbeat_ms)
			send_heartbeat();
	}

	if (hubfd >= 0)
		close(hubfd);
	if (out_flags >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, out_flags);
	ndj_reader_free(&in);
	ndj_reader_free(&hub);
	lineout_free(&S.out);
	cfg_free();
	return KL_EXIT_OK;
}
