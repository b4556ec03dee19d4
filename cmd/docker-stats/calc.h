/* calc.h - the arithmetic of docker-stats: one container's stats body
 * (GET /containers/{id}/stats) and this tool's previous sample of it in,
 * numbers out.  No I/O, no logging.
 *
 * The formulas are the docker CLI's:
 *   CPU%    = Δcpu_usage.total_usage / Δsystem_cpu_usage × online_cpus × 100
 *             (online_cpus, else the length of percpu_usage)
 *   memory  = usage − total_inactive_file (cgroup v1) or − inactive_file
 *             (cgroup v2), when that is smaller than usage
 *   network = Σ rx_bytes / tx_bytes over "networks"
 *   blk I/O = Σ io_service_bytes_recursive values whose op is read / write
 *             (any case; Sync, Async, Total, Discard are left out)
 * Podman's compatible API differs (see docker-stats(1)): its system_cpu_usage
 * counts busy time only, so CPU% = Δtotal_usage / Δread × 100 (the
 * sample's own wall-clock delta); its usage already excludes inactive
 * file pages.
 *
 * Deltas come from the previous sample this tool took (one-shot stats
 * carry no precpu_stats).  A delta that cannot be taken - first sample,
 * a counter that went down (the container restarted), time that did not
 * move - gives CPU null, never 0, and so for the network and block I/O
 * rates (bytes per second over the engine's own "read" times).
 *
 * A memory limit at or above the host's memory is no limit (the engine
 * reports the host's size then): ds_unlimited() makes it null, and with it
 * the percentage, rather than a share of a host-sized number.  Every value is read as a double:
 * cJSON's valueint saturates at INT_MAX.
 */
#ifndef KL_DS_CALC_H
#define KL_DS_CALC_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* Which engine answered: it decides the CPU formula. */
typedef enum ds_engine {
	DS_ENGINE_UNKNOWN = 0, /* guess from the body (Podman adds cpu_stats.cpu) */
	DS_ENGINE_DOCKER,      /* Docker Engine */
	DS_ENGINE_PODMAN,      /* podman system service */
} ds_engine;

/* The counters kept from one sample for the next one's deltas. */
typedef struct ds_sample {
	int valid;          /* 1 when the counters below were read */
	int64_t read_ns;    /* "read": when the engine took it, epoch ns */
	double cpu_total;   /* cpu_stats.cpu_usage.total_usage, ns */
	int have_system;    /* system_cpu_usage was there */
	double cpu_system;  /* cpu_stats.system_cpu_usage, ns */
	int have_net;       /* the network counters below were read */
	double rx, tx;      /* bytes */
	int have_blk;       /* the block I/O counters below were read */
	double rd, wr;      /* bytes */
} ds_sample;

/* What one stats body says.  have_* 0 means "not measured" (JSON null). */
typedef struct ds_stats {
	int running;            /* the body is a live sample ("read" is set) */
	int have_cpu;
	double cpu_percent;     /* 100 = one core */
	int have_mem;
	double mem_used;        /* bytes in use, inactive file pages excluded */
	int have_limit;
	double mem_limit;       /* bytes */
	int have_net;
	double rx_bytes, tx_bytes;
	int have_blk;
	double read_bytes, write_bytes;
	int have_net_rate;      /* per second, from this tool's own deltas */
	double rx_rate, tx_rate;
	int have_blk_rate;
	double read_rate, write_rate;
	ds_engine engine;       /* the engine the formulas assumed */
	ds_sample now;          /* keep this for the next sample */
} ds_stats;

/* Compute out from a parsed stats body and the previous sample of the
 * same container (NULL or !valid: none).  A body that is empty or not an
 * object (Podman's answer for a stopped container) or whose "read" is the
 * zero time (Docker's) gives running 0 and everything unmeasured. */
void ds_calc(const cJSON *body, const ds_sample *prev, ds_engine engine,
             ds_stats *out);

/* Forget s's memory limit when it is host_mem bytes or more (host_mem 0:
 * unknown, only a limit of 2^60 or more counts as none). */
void ds_unlimited(ds_stats *s, double host_mem);

/* Parse the engine's "read" timestamp ("2026-11-25T21:09:38.362847736Z",
 * or with +00:00) into epoch nanoseconds.  Returns 0, or -1 when it is
 * not such a time (a field out of range, a year before 1970 or after
 * 2261) or is the zero time "0001-01-01T00:00:00Z". */
int ds_parse_read(const char *s, int64_t *ns);

#endif
