/* cspflow: the worker's side of the metrics (ops/metrics.h): the counts of
 * committed batches, restore progress, consumer lag and the heartbeat,
 * published for the HTTP thread. Everything here runs in the worker
 * thread; per record only cf_metrics_count_input() (a few increments) is
 * called, from consumer/batch.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strutil.h"
#include "worker_int.h"

/* How often the lag is computed and published while no batch comes. */
#define TICK_PUBLISH_MS 1000
#define COMMITTED_MS    5000

double cf_wm_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lag of every restored partition: cached high watermark (no request)
 * minus the next offset to commit. */
static void compute_lag(cf_worker_t *w) {
        for (int p = 0; p < w->n_parts && w->m.lag; p++) {
                cf_part_t *part = &w->parts[p];
                int64_t lo = -1, hi = -1, next = part->committed_next;
                w->m.lag[p] = -1;
                if (part->phase != CF_PHASE_RESTORED ||
                    rd_kafka_get_watermark_offsets(
                        w->cons.rk, w->cfg->topic_events, p, &lo, &hi) != 0 ||
                    hi < 0)
                        continue;
                if (next < 0)
                        next = lo;
                if (next >= 0)
                        w->m.lag[p] = hi > next ? hi - next : 0;
        }
        w->m_lag_at = cf_kclock_ms();
}

static void publish(cf_worker_t *w) {
        w->m.txn_committed = w->stats.transactions;
        w->m.txn_aborted = w->stats.aborts;
        w->m.skipped = w->stats.skipped_offsets;
        cf_metrics_publish(w->opts->metrics, &w->m);
}

cf_err_t cf_wm_start(cf_worker_t *w) {
        cf_strlcpy(w->m.topic, w->cfg->topic_events, sizeof(w->m.topic));
        cf_strlcpy(w->m.group, w->cfg->group, sizeof(w->m.group));
        cf_strlcpy(w->m.mode, cf_config_mode_name(w->cfg->mode),
                   sizeof(w->m.mode));
        if (!(w->m.lag = malloc((size_t)w->n_parts * sizeof(*w->m.lag))))
                return CF_ERR_NOMEM;
        w->m.n_lag = w->n_parts;
        for (int p = 0; p < w->n_parts; p++) {
                w->m.lag[p] = -1;
                w->parts[p].committed_next = -1;
        }
        if (w->opts->metrics) {
                cf_metrics_beat(w->opts->metrics);
                publish(w);
        }
        return CF_OK;
}

void cf_wm_clear(cf_worker_t *w) {
        cf_metrics_snap_clear(&w->m);
}

void cf_wm_tick(cf_worker_t *w) {
        if (!w->opts->metrics)
                return;
        cf_metrics_beat(w->opts->metrics);
        if (cf_kclock_ms() - w->m_lag_at >= TICK_PUBLISH_MS) {
                if (w->cons.rk)
                        compute_lag(w);
                publish(w);
        }
}

void cf_wm_batch_end(cf_worker_t *w, bool committed, double commit_s) {
        if (committed) {
                cf_metrics_counts_add(&w->m.c, &w->mbatch);
                cf_metrics_observe_commit(&w->m, commit_s);
                for (int p = 0; p < w->n_parts; p++)
                        if (w->parts[p].touched &&
                            w->parts[p].last_handled >= 0)
                                w->parts[p].committed_next =
                                    w->parts[p].last_handled + 1;
        }
        if (!w->opts->metrics)
                return;
        cf_metrics_beat(w->opts->metrics);
        if (cf_kclock_ms() - w->m_lag_at >= TICK_PUBLISH_MS)
                compute_lag(w);
        publish(w);
}

/* Adds sign * the number of migrations per status in p's store. */
static void count_store(cf_worker_t *w, int32_t p, int sign) {
        const cf_store_t *st = w->parts[p].store;
        if (!w->opts->metrics)
                return;
        for (cf_migration_t *m = st ? cf_store_next(st, NULL) : NULL; m;
             m = cf_store_next(st, m))
                if ((unsigned)m->status < CF_MIG__COUNT)
                        w->m.c.migrations[m->status] += sign;
}

void cf_wm_dropped(cf_worker_t *w, int32_t p) {
        cf_part_t *part = &w->parts[p];
        if (part->phase == CF_PHASE_RESTORED) {
                count_store(w, p, -1);
                w->m.parts_restored--;
        } else if (part->phase == CF_PHASE_RESTORING) {
                w->m.parts_pending--;
        }
        part->phase = CF_PHASE_NONE;
        part->committed_next = -1;
        if (w->m.lag)
                w->m.lag[p] = -1;
        if (w->opts->metrics)
                publish(w);
}

void cf_wm_restoring(cf_worker_t *w, int32_t p) {
        cf_wm_dropped(w, p);
        w->parts[p].phase = CF_PHASE_RESTORING;
        w->m.parts_pending++;
        if (w->opts->metrics)
                publish(w);
}

void cf_wm_restored(cf_worker_t *w, int32_t p) {
        cf_part_t *part = &w->parts[p];
        if (part->phase != CF_PHASE_RESTORING)
                return;
        count_store(w, p, 1);
        part->phase = CF_PHASE_RESTORED;
        w->m.parts_pending--;
        w->m.parts_restored++;
        if (w->opts->metrics)
                publish(w);
}

void cf_wm_committed(cf_worker_t *w,
                     const rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_topic_partition_list_t *l;

        if (!w->opts->metrics || !parts->cnt ||
            !(l = rd_kafka_topic_partition_list_copy(parts)))
                return;
        if (rd_kafka_committed(w->cons.rk, l, COMMITTED_MS) == 0)
                for (int i = 0; i < l->cnt; i++) {
                        int32_t p = l->elems[i].partition;
                        if (p >= 0 && p < w->n_parts && !l->elems[i].err &&
                            l->elems[i].offset >= 0)
                                w->parts[p].committed_next = l->elems[i].offset;
                }
        rd_kafka_topic_partition_list_destroy(l);
}
