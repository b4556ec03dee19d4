/* rules.h - kato-alerts' rule engine: realtime_update frames in, alert
 * messages out.
 *
 * Rules (each alert has a stable id, "<type>" or "<type>:<name>"):
 *   high_cpu          data.containers.aggregated.total_cpu_percent > cpu
 *                     (level error at >= cpu_error, else warning); names
 *                     the busiest container ("container", of a fresh host)
 *   high_memory       data.containers.aggregated.total_memory_percent > mem
 *                     (error at >= mem_error); names the fullest container
 *   high_error_rate   data.metrics.performance.error_rate > err_rate
 *                     (error at >= err_rate_error)
 *   kato_host_cpu     data.metrics.resources.cpu_percent > host_cpu
 *   kato_host_memory  data.metrics.resources.memory_percent > host_mem
 *   container_down:N  container N of data.containers.containers (those the
 *                     patterns select) has a status other than "running",
 *                     or was listed before and no longer is ("missing");
 *                     error.  Resolves only when it runs again.  With the
 *                     containers of two or more Docker hosts in the frame
 *                     (data.containers.hosts), N is "HOST/NAME" and the
 *                     message names the host; a container of a stale host
 *                     ("stale":true) is neither judged nor missing.
 *   kato_unhealthy    data.health.status degraded (warning) or unhealthy
 *                     (error), or KATO unreachable: sources."kato-metrics".ok
 *                     false, or data.metrics an {"error":...} other than
 *                     "no data yet" (error).  Resolves when health is
 *                     "healthy" and the metrics section is good.
 *   source_stale:S    S is in the frame's "stale" list; warning.  Resolves
 *                     when S is no longer in it and its record is ok (a
 *                     fresh ok:false record neither resolves nor fires it).
 *                     A source that never sent anything (age_ms null)
 *                     fires only 3 x interval_ms after the first frame
 *                     (9 s without interval_ms).  Not fired for
 *                     kato-metrics while kato_unhealthy fires: one outage,
 *                     one alert, named by its cause.
 *
 * A value that is null or absent (unmeasured, or its section is an error),
 * or whose source is stale, neither fires nor resolves a rule: the alert
 * keeps its state.  A numeric alert clears only under threshold *
 * (1 - hysteresis); between the two it keeps firing (and an error-level
 * alert drops to warning only under error_threshold * (1 - hysteresis)).
 * An alert fires after `consecutive` frames in a row over its threshold,
 * and resolves after `clear_frames` frames in a row clear.
 *
 * Messages are in an operator's words (no tool names), and follow the
 * current cause: a firing alert whose cause changes (unreachable becomes
 * degraded, another error) is sent again at once.  A resolved message says
 * what fired and for how long ("duration_s" too).
 *
 * Messages are made per frame, in this order: one system_alert for each
 * alert that starts firing, changes level, resolves, or still fires
 * `cooldown` after it was last sent (a reminder); then an active_alerts
 * with every firing alert when that set (or a level in it) changed, and
 * after the first frame.  Time is the frame's own timestamp, so recorded
 * frames replayed fast behave as they did live.
 *
 * Nothing here logs or exits.
 */
#ifndef KA_RULES_H
#define KA_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define ALERTS_ERR_LEN 256

typedef struct alerts_cfg {
	double cpu, cpu_error;           /* percent (100 = one core) */
	double mem, mem_error;           /* percent of the limits */
	double err_rate, err_rate_error; /* fraction of requests */
	double host_cpu, host_cpu_error; /* KATO's host CPU percent */
	double host_mem, host_mem_error; /* KATO's host memory percent */
	double hysteresis;               /* fraction of a threshold, 0..<1 */
	unsigned consecutive;            /* frames over before firing, >= 1 */
	unsigned clear_frames;           /* frames clear in a row before a
	                                    firing alert resolves, >= 1 */
	int64_t cooldown_ms;             /* between reminders of one alert */
	char containers[512];            /* comma-separated fnmatch(3)
	                                    patterns; "" selects all */
} alerts_cfg;

/* The defaults: 80/90, 85/95, 0.05/0.10, host 90/95 and 90/95, 5 %,
 * 1 frame to fire, 2 to clear, 60 s, all. */
void alerts_cfg_defaults(alerts_cfg *c);

typedef struct alerts alerts;

/* A new engine with a copy of cfg, or NULL when memory runs out. */
alerts *alerts_new(const alerts_cfg *cfg);

void alerts_free(alerts *a);

/* Evaluate one realtime_update frame observed at now_ms (epoch ms; iso is
 * the same time as written in messages).  Appends the messages to out (a
 * cJSON array).  Returns the number appended, or -1 when memory runs out
 * (err filled; the engine stays usable). */
int alerts_eval(alerts *a, const cJSON *frame, int64_t now_ms,
                const char *iso, cJSON *out, char err[ALERTS_ERR_LEN]);

/* How many alerts fire now. */
size_t alerts_firing(const alerts *a);

#endif
