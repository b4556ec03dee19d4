/* report.h - docker-stats' output objects, in the shapes kato-live(7) lists
 * (the old backend's, so its page reads them unchanged).
 *
 * Sections are always objects; a figure that was not measured is null in
 * them, never 0.  Byte counts are exact; _mb fields are MiB and percents
 * are rounded to 2 decimals.  Both functions return a new object the
 * caller owns, or NULL when memory runs out.
 */
#ifndef KL_DS_REPORT_H
#define KL_DS_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "calc.h"

/* {"id","name","host" (only when host is not NULL),"status","cpu",
 *  "memory":{usage_bytes,limit_bytes,usage_mb,limit_mb,usage_percent},
 *  "network":{rx_bytes,tx_bytes,rx_mb,tx_mb,rx_bytes_per_s,tx_bytes_per_s},
 *  "block_io":{read_bytes,write_bytes,read_mb,write_mb,read_bytes_per_s,
 *              write_bytes_per_s},
 *  "error" (only when error is not NULL), "timestamp":ts}
 * The rates are null on a container's first sample and after a restart;
 * limit_bytes (and usage_percent) null when it has no limit. */
cJSON *ds_entry(const char *id, const char *name, const char *host,
                const char *status, const ds_stats *s, const char *error,
                const char *ts);

/* {"total_cpu_percent","total_memory_mb","total_memory_limit_mb",
 *  "total_memory_percent","total_rx_bytes_per_s","total_tx_bytes_per_s",
 *  "total_read_bytes_per_s","total_write_bytes_per_s","container_count",
 *  "running_count","timestamp"}
 * over st[0..n): sums of the figures that were measured; a total none of
 * whose parts was measured is null.  total_memory_percent is the memory of
 * the containers that have a limit over the sum of their limits.  container_count is n, running_count
 * those with a live sample. */
cJSON *ds_aggregate(const ds_stats *st, size_t n, const char *ts);

#endif
