/* cspflow: the worker's metrics, shared between the worker thread (the only
 * writer) and the HTTP thread (ops/http.h, a reader), and their rendering
 * in the Prometheus text format 0.0.4. docs/operations.md lists them.
 *
 * The worker keeps its own cf_metrics_snap_t (plain counters, no lock: it
 * counts each input into a cf_metrics_counts_t of the open batch and adds
 * that to the snapshot when the batch commits, so the counts are those of
 * committed work). Once per batch it publishes the snapshot: one mutex,
 * one copy. The HTTP thread reads a copy under the same mutex and renders
 * it. The heartbeat is a separate atomic (updated every loop iteration).
 *
 * No I/O and no librdkafka here (the process figures come from
 * ops/process.h).
 *
 * Ownership: cf_metrics_new() returns an object freed by
 * cf_metrics_destroy() once no thread uses it. A snapshot's lag array is
 * owned by the snapshot (cf_metrics_snap_clear frees it). */
#ifndef CF_METRICS_H
#define CF_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/event.h"
#include "common/reject.h"
#include "handlers/handlers.h"

/** Upper bounds (seconds) of the commit latency histogram's buckets; one
 *  more bucket (+Inf) follows. */
#define CF_METRICS_BUCKETS 13
extern const double cf_metrics_bucket_le[CF_METRICS_BUCKETS];

#define CF_METRICS_NAME_MAX 256

/** Counts of inputs, outputs, DLQ records and migration moves. */
typedef struct cf_metrics_counts_s {
        /** [event type][verdict]; CF_EV_NONE: not decodable */
        uint64_t inputs[CF_EV__COUNT][3];
        uint64_t outputs[CF_EV__COUNT]; /**< output events by type */
        uint64_t dlq[CF_REJ__COUNT];    /**< DLQ records by reason */
        /** change of the number of migrations per status (in a snapshot:
         *  the number itself) */
        int64_t migrations[CF_MIG__COUNT];
} cf_metrics_counts_t;

typedef struct cf_metrics_snap_s {
        cf_metrics_counts_t c;
        uint64_t skipped;       /**< inputs the offset guard skipped */
        uint64_t txn_committed; /**< batches committed */
        uint64_t txn_aborted;   /**< batches aborted and rewound */
        uint64_t commit_buckets[CF_METRICS_BUCKETS + 1]; /**< not cumulative */
        double commit_seconds;    /**< sum of the observed latencies */
        uint64_t restore_records; /**< state records read by restores */
        int parts_pending;        /**< assigned, restore not finished */
        int parts_restored;       /**< assigned and restored */
        int n_lag;                /**< partitions of the events topic */
        int64_t *lag; /**< [n_lag] consumer lag, -1 unknown/not assigned */
        char topic[CF_METRICS_NAME_MAX]; /**< the events topic */
        char group[CF_METRICS_NAME_MAX];
        char mode[16];
} cf_metrics_snap_t;

typedef struct cf_metrics_s cf_metrics_t;

/** A new shared object (empty snapshot, no heartbeat yet); NULL when out
 *  of memory. */
cf_metrics_t *cf_metrics_new(void);
void cf_metrics_destroy(cf_metrics_t *m);

/** Adds every count of from to to (the migrations change included). */
void cf_metrics_counts_add(cf_metrics_counts_t *to,
                           const cf_metrics_counts_t *from);

/** Counts one input (type CF_EV_NONE when not decodable) and its verdict:
 *  the outputs of out (may be NULL), the DLQ reason when rejected, the
 *  status move when applied. */
void cf_metrics_count_input(cf_metrics_counts_t *c, cf_event_type_t type,
                            const cf_verdict_t *v, const cf_outbox_t *out);

/** One commit latency into the histogram. */
void cf_metrics_observe_commit(cf_metrics_snap_t *s, double seconds);

/** (Worker) Publishes a copy of s. CF_ERR_NOMEM when the lag array could
 *  not be copied (the rest is published, without lag). */
cf_err_t cf_metrics_publish(cf_metrics_t *m, const cf_metrics_snap_t *s);

/** (Reader) A copy of the last published snapshot into out (out's lag is
 *  allocated: cf_metrics_snap_clear). CF_ERR_NOMEM: out has no lag. */
cf_err_t cf_metrics_read(cf_metrics_t *m, cf_metrics_snap_t *out);

/** Frees s->lag. */
void cf_metrics_snap_clear(cf_metrics_snap_t *s);

/** (Worker) The loop is alive now. */
void cf_metrics_beat(cf_metrics_t *m);

/** Milliseconds since the last beat, -1 before the first. */
int64_t cf_metrics_beat_age_ms(const cf_metrics_t *m);

/** Process figures, for the process_* metrics (ops/process.h fills
 *  them; a field < 0 is not rendered). */
typedef struct cf_proc_stats_s {
        double cpu_seconds;
        double start_time_seconds; /**< since the Unix epoch */
        double resident_bytes;
        double virtual_bytes;
        double open_fds;
        double max_fds;
        double threads;
} cf_proc_stats_t;

/** Renders s (and proc, may be NULL; beat_age_ms < 0: unknown) as
 *  Prometheus text, appended to out. CF_ERR_NOMEM, CF_ERR_LIMIT (out's
 *  cap). */
cf_err_t cf_metrics_render(const cf_metrics_snap_t *s,
                           const cf_proc_stats_t *proc, int64_t beat_age_ms,
                           const char *version, cf_buf_t *out);

#endif
