/* cspflow: the process figures of /metrics (process_cpu_seconds_total and
 * the other process_* metrics Prometheus clients export), read from
 * /proc/self on Linux. Called by the HTTP thread at each scrape.
 *
 * Ownership: fills the caller's struct; allocates nothing it keeps. */
#ifndef CF_PROCESS_H
#define CF_PROCESS_H

#include "ops/metrics.h"

/** Fills p; a figure that cannot be read is -1 (not rendered). */
void cf_proc_stats_read(cf_proc_stats_t *p);

#endif
