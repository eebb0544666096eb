/* cspflow: the worker's metrics and their Prometheus text (metrics.h). */
#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/migration.h"

const double cf_metrics_bucket_le[CF_METRICS_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static const char *const verdict_names[3] = {"applied", "duplicate",
                                             "rejected"};

struct cf_metrics_s {
        pthread_mutex_t lock;
        cf_metrics_snap_t snap; /* under lock; snap.lag owned */
        atomic_llong beat_ms;   /* monotonic ms of the last beat, -1 none */
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cf_metrics_t *cf_metrics_new(void) {
        cf_metrics_t *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        if (pthread_mutex_init(&m->lock, NULL) != 0) {
                free(m);
                return NULL;
        }
        atomic_init(&m->beat_ms, -1);
        return m;
}

void cf_metrics_destroy(cf_metrics_t *m) {
        if (!m)
                return;
        cf_metrics_snap_clear(&m->snap);
        pthread_mutex_destroy(&m->lock);
        free(m);
}

void cf_metrics_counts_add(cf_metrics_counts_t *to,
                           const cf_metrics_counts_t *from) {
        for (int t = 0; t < CF_EV__COUNT; t++) {
                for (int v = 0; v < 3; v++)
                        to->inputs[t][v] += from->inputs[t][v];
                to->outputs[t] += from->outputs[t];
        }
        for (int r = 0; r < CF_REJ__COUNT; r++)
                to->dlq[r] += from->dlq[r];
        for (int s = 0; s < CF_MIG__COUNT; s++)
                to->migrations[s] += from->migrations[s];
}

void cf_metrics_count_input(cf_metrics_counts_t *c, cf_event_type_t type,
                            const cf_verdict_t *v, const cf_outbox_t *out) {
        unsigned k = (unsigned)v->kind <= CF_VERDICT_REJECTED
                         ? (unsigned)v->kind
                         : CF_VERDICT_REJECTED;
        if ((unsigned)type >= CF_EV__COUNT)
                type = CF_EV_NONE;
        c->inputs[type][k]++;
        if (k == CF_VERDICT_REJECTED && (unsigned)v->reason < CF_REJ__COUNT)
                c->dlq[v->reason]++;
        if (k == CF_VERDICT_APPLIED) {
                if ((unsigned)v->status_before < CF_MIG__COUNT &&
                    v->status_before != CF_MIG_NONE)
                        c->migrations[v->status_before]--;
                if ((unsigned)v->status_after < CF_MIG__COUNT)
                        c->migrations[v->status_after]++;
        }
        for (size_t i = 0; out && i < out->n; i++)
                if ((unsigned)out->v[i].type < CF_EV__COUNT)
                        c->outputs[out->v[i].type]++;
}

void cf_metrics_observe_commit(cf_metrics_snap_t *s, double seconds) {
        int b = 0;
        while (b < CF_METRICS_BUCKETS && seconds > cf_metrics_bucket_le[b])
                b++;
        s->commit_buckets[b]++;
        s->commit_seconds += seconds;
}

/* *dst (a snapshot's own) becomes a copy of src, lag included. */
static cf_err_t copy_snap(cf_metrics_snap_t *dst, const cf_metrics_snap_t *src,
                          bool reuse) {
        int64_t *lag = dst->lag;
        int n = dst->n_lag;
        cf_err_t err = CF_OK;

        if (!reuse || n != src->n_lag) {
                free(lag);
                lag = NULL;
                n = 0;
                if (src->n_lag > 0 && src->lag &&
                    (lag = malloc((size_t)src->n_lag * sizeof(*lag))))
                        n = src->n_lag;
                else if (src->n_lag > 0 && src->lag)
                        err = CF_ERR_NOMEM;
        }
        *dst = *src;
        dst->lag = lag;
        dst->n_lag = n;
        if (n > 0 && src->lag)
                memcpy(lag, src->lag, (size_t)n * sizeof(*lag));
        else if (n > 0)
                for (int p = 0; p < n; p++)
                        lag[p] = -1;
        return err;
}

cf_err_t cf_metrics_publish(cf_metrics_t *m, const cf_metrics_snap_t *s) {
        cf_err_t err;
        pthread_mutex_lock(&m->lock);
        err = copy_snap(&m->snap, s, true);
        pthread_mutex_unlock(&m->lock);
        return err;
}

cf_err_t cf_metrics_read(cf_metrics_t *m, cf_metrics_snap_t *out) {
        cf_err_t err;
        memset(out, 0, sizeof(*out));
        pthread_mutex_lock(&m->lock);
        err = copy_snap(out, &m->snap, false);
        pthread_mutex_unlock(&m->lock);
        return err;
}

void cf_metrics_snap_clear(cf_metrics_snap_t *s) {
        free(s->lag);
        s->lag = NULL;
        s->n_lag = 0;
}

void cf_metrics_beat(cf_metrics_t *m) {
        atomic_store_explicit(&m->beat_ms, (long long)now_ms(),
                              memory_order_relaxed);
}

int64_t cf_metrics_beat_age_ms(const cf_metrics_t *m) {
        long long b = atomic_load_explicit(&((cf_metrics_t *)m)->beat_ms,
                                           memory_order_relaxed);
        int64_t age;
        if (b < 0)
                return -1;
        age = now_ms() - (int64_t)b;
        return age < 0 ? 0 : age;
}

/* ---------------------------------------------------------- rendering */

static cf_err_t put(cf_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static cf_err_t put(cf_buf_t *b, const char *fmt, ...) {
        va_list ap;
        int n;
        cf_err_t err;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return CF_ERR_INVALID;
        if ((err = cf_buf_reserve(b, (size_t)n + 1)) != CF_OK)
                return err;
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return CF_OK;
}

static cf_err_t family(cf_buf_t *b, const char *name, const char *type,
                       const char *help) {
        return put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped (the text format's rule). */
static void label_escape(const char *s, char *out, size_t size) {
        size_t o = 0;
        for (; *s && o + 3 < size; s++) {
                if (*s == '\\' || *s == '"') {
                        out[o++] = '\\';
                        out[o++] = *s;
                } else if (*s == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else {
                        out[o++] = *s;
                }
        }
        out[o] = '\0';
}

static cf_err_t render_counts(const cf_metrics_snap_t *s, cf_buf_t *b) {
        cf_err_t e;

        e = family(b, "cspflow_inputs_total", "counter",
                   "Inputs handled in committed batches, by event type "
                   "(undecodable: no type) and verdict.");
        for (int t = 0; !e && t < CF_EV__COUNT; t++) {
                bool input = cf_event_type_is_input((cf_event_type_t)t);
                for (int v = 0; !e && v < 3; v++)
                        if (input || s->c.inputs[t][v] > 0)
                                e = put(b,
                                        "cspflow_inputs_total{type=\"%s\","
                                        "verdict=\"%s\"} %" PRIu64 "\n",
                                        t == CF_EV_NONE
                                            ? "undecodable"
                                            : cf_event_type_name(
                                                  (cf_event_type_t)t),
                                        verdict_names[v], s->c.inputs[t][v]);
        }
        if (!e)
                e = family(b, "cspflow_inputs_skipped_total", "counter",
                           "Records redelivered at or below their "
                           "partition's last handled offset, skipped.");
        if (!e)
                e = put(b, "cspflow_inputs_skipped_total %" PRIu64 "\n",
                        s->skipped);
        if (!e)
                e = family(b, "cspflow_outputs_total", "counter",
                           "Output events produced to the actions topic in "
                           "committed batches, by type.");
        for (int t = CF_EV_FIRST_OUTPUT; !e && t <= CF_EV_LAST_OUTPUT; t++)
                e = put(b, "cspflow_outputs_total{type=\"%s\"} %" PRIu64 "\n",
                        cf_event_type_name((cf_event_type_t)t),
                        s->c.outputs[t]);
        if (!e)
                e = family(b, "cspflow_dlq_records_total", "counter",
                           "Records produced to the DLQ in committed "
                           "batches, by reason.");
        for (int r = 1; !e && r < CF_REJ__COUNT; r++)
                e = put(
                    b, "cspflow_dlq_records_total{reason=\"%s\"} %" PRIu64 "\n",
                    cf_reject_name((cf_reject_t)r), s->c.dlq[r]);
        if (!e)
                e = family(b, "cspflow_migrations", "gauge",
                           "Migrations in the state of the assigned "
                           "partitions, by status.");
        for (int m = 1; !e && m < CF_MIG__COUNT; m++)
                e = put(b, "cspflow_migrations{status=\"%s\"} %" PRId64 "\n",
                        cf_mig_status_name((cf_mig_status_t)m),
                        s->c.migrations[m]);
        return e;
}

static cf_err_t render_batches(const cf_metrics_snap_t *s, cf_buf_t *b) {
        uint64_t cum = 0;
        cf_err_t e;

        e = family(b, "cspflow_transactions_total", "counter",
                   "Batches (Kafka transactions in eos mode) committed or "
                   "aborted.");
        if (!e)
                e = put(b,
                        "cspflow_transactions_total{result=\"committed\"} "
                        "%" PRIu64 "\n"
                        "cspflow_transactions_total{result=\"aborted\"} "
                        "%" PRIu64 "\n",
                        s->txn_committed, s->txn_aborted);
        if (!e)
                e = family(b, "cspflow_commit_duration_seconds", "histogram",
                           "Time to commit a batch (eos: send the offsets "
                           "and commit the transaction; at-least-once: "
                           "flush, states, flush, commit the offsets).");
        for (int i = 0; !e && i <= CF_METRICS_BUCKETS; i++) {
                char le[32];
                cum += s->commit_buckets[i];
                if (i < CF_METRICS_BUCKETS)
                        snprintf(le, sizeof(le), "%g", cf_metrics_bucket_le[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                e = put(b,
                        "cspflow_commit_duration_seconds_bucket{le=\"%s\"} "
                        "%" PRIu64 "\n",
                        le, cum);
        }
        if (!e)
                e = put(b,
                        "cspflow_commit_duration_seconds_sum %.9g\n"
                        "cspflow_commit_duration_seconds_count %" PRIu64 "\n",
                        s->commit_seconds, cum);
        return e;
}

static cf_err_t render_partitions(const cf_metrics_snap_t *s, cf_buf_t *b) {
        char topic[2 * CF_METRICS_NAME_MAX + 1];
        cf_err_t e;

        label_escape(s->topic, topic, sizeof(topic));
        e = family(b, "cspflow_consumer_lag", "gauge",
                   "Records of an assigned events partition after the "
                   "committed position (high watermark - committed "
                   "offset).");
        for (int p = 0; !e && s->lag && p < s->n_lag; p++)
                if (s->lag[p] >= 0)
                        e = put(b,
                                "cspflow_consumer_lag{topic=\"%s\","
                                "partition=\"%d\"} %" PRId64 "\n",
                                topic, p, s->lag[p]);
        if (!e)
                e = family(b, "cspflow_restore_records_total", "counter",
                           "State records read from the state topic by "
                           "restores.");
        if (!e)
                e = put(b, "cspflow_restore_records_total %" PRIu64 "\n",
                        s->restore_records);
        if (!e)
                e = family(b, "cspflow_restore_partitions", "gauge",
                           "Assigned partitions whose state is restored, "
                           "or still being restored (pending).");
        if (!e)
                e = put(b,
                        "cspflow_restore_partitions{state=\"restored\"} %d\n"
                        "cspflow_restore_partitions{state=\"pending\"} %d\n",
                        s->parts_restored, s->parts_pending);
        return e;
}

static cf_err_t render_process(const cf_proc_stats_t *p, cf_buf_t *b) {
        const struct {
                const char *name, *type, *help;
                double v;
        } f[] = {
            {"process_cpu_seconds_total", "counter",
             "Total user and system CPU time spent in seconds.",
             p->cpu_seconds},
            {"process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.",
             p->start_time_seconds},
            {"process_resident_memory_bytes", "gauge",
             "Resident memory size in bytes.", p->resident_bytes},
            {"process_virtual_memory_bytes", "gauge",
             "Virtual memory size in bytes.", p->virtual_bytes},
            {"process_open_fds", "gauge", "Number of open file descriptors.",
             p->open_fds},
            {"process_max_fds", "gauge",
             "Maximum number of open file descriptors.", p->max_fds},
            {"process_threads", "gauge", "Number of OS threads.", p->threads},
        };
        cf_err_t e = CF_OK;
        for (size_t i = 0; !e && i < sizeof(f) / sizeof(f[0]); i++) {
                if (f[i].v < 0)
                        continue;
                e = family(b, f[i].name, f[i].type, f[i].help);
                if (!e)
                        e = put(b, "%s %.10g\n", f[i].name, f[i].v);
        }
        return e;
}

cf_err_t cf_metrics_render(const cf_metrics_snap_t *s,
                           const cf_proc_stats_t *proc, int64_t beat_age_ms,
                           const char *version, cf_buf_t *out) {
        char group[2 * CF_METRICS_NAME_MAX + 1], ver[64], mode[40];
        cf_err_t e;

        label_escape(s->group, group, sizeof(group));
        label_escape(version ? version : "", ver, sizeof(ver));
        label_escape(s->mode, mode, sizeof(mode));
        e = family(out, "cspflow_info", "gauge",
                   "Always 1: the version, mode and consumer group.");
        if (!e)
                e = put(out,
                        "cspflow_info{version=\"%s\",mode=\"%s\","
                        "group=\"%s\"} 1\n",
                        ver, mode, group);
        if (!e && beat_age_ms >= 0) {
                e = family(out, "cspflow_heartbeat_age_seconds", "gauge",
                           "Seconds since the worker loop last went "
                           "round.");
                if (!e)
                        e = put(out, "cspflow_heartbeat_age_seconds %.3f\n",
                                (double)beat_age_ms / 1000.0);
        }
        if (!e)
                e = render_counts(s, out);
        if (!e)
                e = render_batches(s, out);
        if (!e)
                e = render_partitions(s, out);
        if (!e && proc)
                e = render_process(proc, out);
        return e;
}
