/* kato-stream - carry an NDJSON stream through a Redis Stream.
 *
 *   kato-stream put STREAM   each stdin line XADDed (MAXLEN ~ N) as the
 *                            fields kl=1 line=<the line>
 *   kato-stream get STREAM   the lines of the stream on stdout, followed
 *                            with XREAD BLOCK from the last id written
 *
 * get remembers the id of the last entry it wrote and, after Redis or the
 * network comes back, asks for the entries after exactly that id: none is
 * written twice and none is skipped (unless MAXLEN trimmed it meanwhile).
 * Stream ids are Redis' own clock, so --since asks Redis for the time.
 *
 * Neither side ever exits because Redis is down, refuses the password or
 * holds something else under the name: it says so once on stderr and
 * tries again with backoff.  put holds the lines that arrive meanwhile in
 * a bounded queue and adds them, in order, when Redis is back; it never
 * holds up the pipeline that feeds it (the oldest lines go first).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "exitcode.h"
#include "ks.h"
#include "log.h"
#include "opt.h"
#include "rconn.h"
#include "sig.h"

#define DEFAULT_URL "redis://127.0.0.1:6379"
#define DEFAULT_STREAM "kato-live"
#define DEFAULT_MAXLEN 2400L /* two hours of 3-second frames, or one with as many events */

static const char usage_text[] =
    "usage: kato-stream put [--url URL] [--maxlen N] [--queue N] [--timeout SECONDS]\n"
    "                       [STREAM]\n"
    "       kato-stream get [--url URL] [--since MINUTES | --from-id ID]\n"
    "                       [--state] [--timeout SECONDS] [STREAM]\n"
    "\n"
    "put: add each NDJSON line on stdin to the Redis Stream STREAM, and keep\n"
    "beside it the state a hub gives newcomers (see --state).\n"
    "get: write the lines of STREAM on stdout as they are added, resuming\n"
    "after the last one written when Redis comes back.\n"
    "\n"
    "  -u, --url URL          Redis: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]\n"
    "                         or unix://[[USER]:PASSWORD@]/PATH[?db=DB]\n"
    "                         (default $REDIS_URL, else " DEFAULT_URL ")\n"
    "  -m, --maxlen N         put: keep about N entries (default 2400,\n"
    "                         $KATO_LIVE_STREAM_MAXLEN)\n"
    "  -q, --queue N          put: hold up to N lines (64 MiB at most) while\n"
    "                         Redis cannot take them, oldest dropped first\n"
    "                         (default 1000; 0: drop at once)\n"
    "  -s, --since MINUTES    get: start with the entries of the last MINUTES\n"
    "  -f, --from-id ID       get: start after the entry ID\n"
    "  -S, --state            get: first the state a hub keeps for newcomers\n"
    "                         (the firing alerts, every open session), as\n"
    "                         put keeps it beside the stream\n"
    "  -t, --timeout SECONDS  connecting and each command (default 2)\n"
    "  -h, --help             show this text\n"
    "\n"
    "STREAM defaults to $KATO_LIVE_STREAM, else " DEFAULT_STREAM ".\n";

static long count_opt(const char *name, const char *v, long min)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > 100000000)
		log_usage("bad %s '%s': want a number from %ld to 100000000", name, v, min);
	return n;
}

static double minutes_opt(const char *v)
{
	char *end;
	double m = strtod(v, &end);
	if (!*v || *end || !(m >= 0 && m <= 525600))
		log_usage("bad --since '%s': want minutes from 0 to 525600", v);
	return m;
}

static const char *stream_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200)
		log_usage("bad STREAM '%.40s': want 1 to 200 characters", s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			log_usage("bad STREAM name: no spaces or control characters");
	return s;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return KL_EXIT_OK;
	}
	if (argc < 2)
		log_usage("missing put or get");
	int put = !strcmp(argv[1], "put");
	if (!put && strcmp(argv[1], "get"))
		log_usage("unknown command '%.40s': want put or get", argv[1]);

	const char *v;
	const char *url = (v = cfg_get("REDIS_URL")) && *v ? v : DEFAULT_URL;
	long maxlen = DEFAULT_MAXLEN;
	if ((v = cfg_get("KATO_LIVE_STREAM_MAXLEN")) && *v)
		maxlen = count_opt("KATO_LIVE_STREAM_MAXLEN", v, 1);
	double since = -1;
	const char *from_id = NULL;
	int64_t timeout = 2000000000LL;
	int maxlen_given = 0;
	long queue = QUEUE_DEFAULT;
	int queue_given = 0;
	int state = 0;

	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"maxlen", required_argument, NULL, 'm'},
	    {"queue", required_argument, NULL, 'q'},
	    {"since", required_argument, NULL, 's'},
	    {"from-id", required_argument, NULL, 'f'},
	    {"state", no_argument, NULL, 'S'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	optind = 2;
	while ((o = getopt_long(argc, argv, "u:m:q:s:f:St:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u': url = optarg; break;
		case 'm':
			maxlen = count_opt("--maxlen", optarg, 1);
			maxlen_given = 1;
			break;
		case 'q':
			queue = count_opt("--queue", optarg, 0);
			queue_given = 1;
			break;
		case 's': since = minutes_opt(optarg); break;
		case 'f':
			if (!rid_valid(optarg))
				log_usage("bad --from-id '%.40s': want a stream id, MS or MS-SEQ", optarg);
			from_id = optarg;
			break;
		case 'S': state = 1; break;
		case 't': timeout = opt_seconds("--timeout", optarg); break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (put && (since >= 0 || from_id || state))
		log_usage("--since, --from-id and --state are for get");
	if (state && from_id)
		log_usage("--state and --from-id exclude each other: a reader that "
		          "resumes has the state");
	if (!put && (maxlen_given || queue_given))
		log_usage("--maxlen and --queue are for put");
	if (since >= 0 && from_id)
		log_usage("--since and --from-id exclude each other");
	const char *key = (v = cfg_get("KATO_LIVE_STREAM")) && *v ? v : DEFAULT_STREAM;
	if (optind < argc)
		key = argv[optind++];
	if (optind < argc)
		log_usage("unexpected argument '%.40s'", argv[optind]);
	stream_name(key);

	rurl u;
	char err[RC_ERR_LEN];
	if (rurl_parse(&u, url, err) < 0)
		log_usage("%s", err);
	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s", strerror(errno));
	rconn r;
	rconn_init(&r, &u, sigfd, (int)(timeout / 1000000));
	int rc = put ? run_put(&r, key, maxlen, queue) : run_get(&r, key, since, from_id, state);
	rconn_close(&r);
	/* The password lived in u and r.url: leave no copy behind. */
	explicit_bzero(&u, sizeof u);
	explicit_bzero(&r.url, sizeof r.url);
	cfg_free();
	close(sigfd);
	return rc;
}

