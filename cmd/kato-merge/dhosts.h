/* dhosts.h - kato-merge's Docker hosts: the newest docker-stats record of
 * each host, and the frame's containers section built from them.
 *
 * Several docker-stats (one per Docker host, each with --host-name) may
 * feed one kato-merge, usually through one Redis stream.  Each record
 * names its host ("host"; a record without one is the unnamed host "",
 * as an older docker-stats writes).  A host is
 *   fresh    its newest record is ok and younger than the stale limit;
 *   stale    its newest record is older than the stale limit;
 *   failing  its newest record is ok:false (and not stale).
 *
 * The section (dhosts_section) is, hosts in name order,
 *   {"containers":[every host's containers, each with "host"; those of a
 *                  host that is not fresh carry "stale":true],
 *    "aggregated":{the sum over the fresh hosts; when every host is
 *                  stale (the section then stale as a whole), over every
 *                  host whose newest record is ok; when none is fresh but
 *                  some is failing, nulls: no old figures as if live},
 *    "hosts":{"NAME":{"ok","stale","ts","age_ms","engine","api_version",
 *                     "aggregated":{...}|null,"error"(failing only)}}}
 * or, when no host's newest record is ok, {"error":"...","hosts":{...}}.
 * A stale or failing host's containers are the last ones it reported:
 * shown, marked, never summed as if live.
 *
 * Hosts are never forgotten (a host that stopped stays named stale until
 * kato-merge restarts); at most DHOSTS_MAX are kept, one more is refused.
 * Each record is parsed once; the section is built from kept text.
 */
#ifndef KM_DHOSTS_H
#define KM_DHOSTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "rec.h"

#define DHOSTS_MAX 64     /* most Docker hosts kept */
#define DHOST_NAME_MAX REC_NAME_MAX /* longest host name, bytes */

/* The per-host aggregate, as numbers, for the sum over hosts. */
enum dh_agg {
	DH_CPU,      /* total_cpu_percent */
	DH_MEM,      /* total_memory_mb */
	DH_LIMIT,    /* total_memory_limit_mb */
	DH_PCT,      /* total_memory_percent */
	DH_RX,       /* total_rx_bytes_per_s */
	DH_TX,       /* total_tx_bytes_per_s */
	DH_READ,     /* total_read_bytes_per_s */
	DH_WRITE,    /* total_write_bytes_per_s */
	DH_COUNT,    /* container_count */
	DH_RUNNING,  /* running_count */
	DH_NAGG
};

typedef struct dhost {
	char name[DHOST_NAME_MAX + 1]; /* "" for records that name none */
	int ok;            /* the newest record's "ok" */
	int64_t ts_ms;     /* its "ts" */
	int64_t order_ms;  /* ts_ms, never later than the wall clock at arrival */
	int64_t mono_ms;   /* monotonic time it arrived */
	int64_t lag_ms;    /* how old it already was on arrival */
	char *err_json;    /* the newest record's error, a JSON string (failing) */
	/* From the newest ok record (NULL before the first): */
	char *entries;     /* its container entries, comma-separated */
	char *entries_stale; /* the same, each with "stale":true */
	char *agg;         /* its "aggregated", printed */
	char *engine_json; /* "engine" and "api_version" members, printed */
	double aggv[DH_NAGG]; /* its aggregated figures */
	unsigned char have[DH_NAGG]; /* which of them are numbers */
	int64_t data_ts_ms; /* that record's "ts" */
} dhost;

typedef struct dhosts {
	dhost h[DHOSTS_MAX]; /* in name order (strcmp) */
	size_t n;            /* hosts in h */
} dhosts;

/* What dhosts_take() made of a record. */
enum dh_result {
	DH_KEPT = 0,  /* the newest of its host */
	DH_OLDER = 1, /* older than what its host has: ignored */
	DH_BAD = -1,  /* refused: err says why */
};

void dhosts_free(dhosts *d);

/* Time since a record arrived (monotonic) plus how old it was then. */
int64_t dh_age(int64_t arrived_mono_ms, int64_t lag_ms, int64_t mono_ms);

/* Take one docker-stats record of host (a checked name, "" for none):
 * ok with its data (an object; its "containers" and "aggregated" are
 * used, "host" is set on each container entry), or failed with its error.
 * The other arguments are the record's times as frame.h's source has
 * them.  Returns DH_KEPT, DH_OLDER, or DH_BAD with err filled (too many
 * hosts, out of memory); a refused record leaves every host as it was. */
enum dh_result dhosts_take(dhosts *d, const char *host, int ok, cJSON *data,
                           const char *error, int64_t ts_ms, int64_t order_ms,
                           int64_t mono_ms, int64_t lag_ms, char *err,
                           size_t errlen);

/* Whether host h is fresh / stale at monotonic time mono_ms. */
int dhost_stale(const dhost *h, int64_t mono_ms, int64_t stale_ms);
int dhost_fresh(const dhost *h, int64_t mono_ms, int64_t stale_ms);

/* The host whose newest record is the youngest (NULL when none). */
const dhost *dhosts_youngest(const dhosts *d, int64_t mono_ms);

/* The newest error among failing hosts, as a JSON string (NULL: none
 * failing).  The text belongs to d. */
const char *dhosts_newest_error(const dhosts *d);

/* Whether any host's newest record is ok. */
int dhosts_any_ok(const dhosts *d);

/* The containers section as new text (see above), or NULL when memory
 * runs out.  Needs d->n > 0. */
char *dhosts_section(const dhosts *d, int64_t mono_ms, int64_t stale_ms);

#endif
