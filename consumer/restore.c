/* cspflow: restoring the state of assigned partitions from the compacted
 * state topic, before the partitions are assigned (so before their first
 * record is handled).
 *
 * Partition p of the state topic holds the state of the keys of input
 * partition p (producer/topics.c). It is read from the beginning with a
 * read_committed, assign-only consumer; each record is decoded into p's
 * store, the last one of a key winning. A partition is complete when the
 * consumer reaches its end (partition EOF, which read_committed reports at
 * the last stable offset) and that end is the high watermark: an open
 * transaction (the previous owner's last commit whose markers are still
 * being written, or a dead instance's transaction until the broker aborts
 * it) is waited for, up to the transaction timeout plus a minute. An
 * undecodable state record is fatal: the state would be wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/progress.h"
#include "worker_int.h"

#define POLL_MS 200
/* librdkafka's default transaction.timeout.ms */
#define DEFAULT_TXN_TIMEOUT_MS 60000

typedef struct rctx_s {
        bool *done;
        int remaining;
        size_t keys;
        int64_t deadline;
        bool warned;
        cf_progress_t *progress; /* offsets read of the state partitions */
        int64_t *pos;            /* per partition: next offset to read */
        uint64_t read, total;
} rctx_t;

/* Offsets of partition p read up to next (progress only). */
static void advance(rctx_t *c, int32_t p, int64_t next) {
        if (c->pos[p] >= 0 && next > c->pos[p]) {
                c->read += (uint64_t)(next - c->pos[p]);
                c->pos[p] = next;
                cf_progress_update(c->progress, c->read, c->total);
        }
}

/* The progress of reading the state partitions of l, as offsets between
 * their watermarks; without a watermark, the count alone. */
static void progress_start(cf_worker_t *w, rctx_t *c,
                           const rd_kafka_topic_partition_list_t *l) {
        c->progress = cf_progress_new("restore", "state", NULL);
        for (int i = 0; i < l->cnt; i++) {
                int32_t p = l->elems[i].partition;
                int64_t lo = 0, hi = 0;
                if (rd_kafka_query_watermark_offsets(
                        w->rest.rk, w->cfg->topic_state, p, &lo, &hi, 5000) !=
                    RD_KAFKA_RESP_ERR_NO_ERROR)
                        continue; /* pos stays -1: not counted */
                c->pos[p] = lo;
                if (hi > lo)
                        c->total += (uint64_t)(hi - lo);
        }
        cf_kclient_drain_logs(&w->rest);
}

static void eof(cf_worker_t *w, rctx_t *c, const rd_kafka_message_t *m) {
        int64_t lo = 0, hi = 0;
        int32_t p = m->partition;

        if (p < 0 || p >= w->n_parts || c->done[p])
                return;
        /* the high watermark of the last fetch; unknown: wait for more */
        if (rd_kafka_get_watermark_offsets(w->rest.rk, w->cfg->topic_state, p,
                                           &lo,
                                           &hi) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return;
        if (m->offset >= hi) {
                c->done[p] = true;
                c->remaining--;
                cf_wm_restored(w, p);
                advance(c, p, hi);
        } else if (!c->warned) {
                c->warned = true;
                cf_log(CF_LOG_WARN, "restore",
                       "state %s [%d]: a transaction is open up to offset "
                       "%lld (read up to %lld): waiting for it to end",
                       w->cfg->topic_state, (int)p, (long long)hi,
                       (long long)m->offset);
        }
}

static cf_err_t record(cf_worker_t *w, rctx_t *c, const rd_kafka_message_t *m) {
        char detail[256], partner[CF_ID_MAX + 1], tenant[CF_ID_MAX + 1];
        cf_migration_t *mig = NULL;
        cf_part_t *part;
        cf_reject_t r;
        bool held = false;

        if (m->partition < 0 || m->partition >= w->n_parts ||
            c->done[m->partition])
                return CF_OK;
        part = &w->parts[m->partition];
        advance(c, m->partition, m->offset + 1);
        if (!m->payload || m->len == 0) {
                snprintf(detail, sizeof(detail), "empty value (tombstone)");
                r = CF_REJ_MALFORMED;
        } else if (cf_avro_state_key(w->av, m->payload, m->len, partner,
                                     tenant) &&
                   (mig = cf_store_get(part->store, partner, tenant))) {
                /* an older state of the key: decoded over it, its
                 * allocations reused (a failure stops the worker) */
                held = true;
                r = cf_avro_decode_state_into(w->av, m->payload, m->len, mig,
                                              detail, sizeof(detail));
        } else {
                r = cf_avro_decode_state(w->av, m->payload, m->len, &mig,
                                         detail, sizeof(detail));
        }
        if (r != CF_REJ_NONE) {
                cf_worker_fail(w, CF_ERR_IO,
                               "state topic %s [%d] offset %lld: undecodable "
                               "state record (%s: %s): refusing to run with "
                               "a wrong state",
                               w->cfg->topic_state, (int)m->partition,
                               (long long)m->offset, cf_reject_name(r), detail);
                return CF_ERR_INVALID;
        }
        if (mig->last_input_offset > part->last_handled)
                part->last_handled = mig->last_input_offset;
        if (!held && !cf_store_put(part->store, mig)) {
                cf_migration_destroy(mig);
                cf_worker_fail(w, CF_ERR_NOMEM, "restore: out of memory");
                return CF_ERR_NOMEM;
        }
        c->keys++;
        w->m.restore_records++;
        return CF_OK;
}

/* Polls the state reader until every partition is complete. */
static cf_err_t read_all(cf_worker_t *w, rctx_t *c) {
        while (c->remaining > 0) {
                rd_kafka_message_t *m;
                cf_err_t err = CF_OK;

                if (*w->opts->stop)
                        return CF_ERR_IO; /* stopping: not a failure */
                cf_wm_tick(w);
                if (cf_kclock_ms() > c->deadline) {
                        cf_worker_fail(w, CF_ERR_IO,
                                       "restore: the state topic %s was not "
                                       "read to its end in time (a "
                                       "transaction stays open on it?)",
                                       w->cfg->topic_state);
                        return CF_ERR_IO;
                }
                m = rd_kafka_consumer_poll(w->rest.rk, POLL_MS);
                cf_kclient_drain_logs(&w->rest);
                if (!m)
                        continue;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eof(w, c, m);
                } else if (m->err) {
                        char why[512];
                        cf_log(CF_LOG_WARN, "restore", "%s",
                               rd_kafka_message_errstr(m));
                        if (cf_kclient_fatal(&w->rest, why, sizeof(why))) {
                                cf_worker_fail(w, CF_ERR_IO, "restore: %s",
                                               why);
                                err = CF_ERR_IO;
                        }
                } else {
                        err = record(w, c, m);
                }
                rd_kafka_message_destroy(m);
                if (err != CF_OK)
                        return err;
        }
        return CF_OK;
}

cf_err_t cf_restore(cf_worker_t *w,
                    const rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_topic_partition_list_t *l = NULL;
        rctx_t c;
        int64_t t0 = cf_kclock_ms();
        int timeout = w->cfg->transaction_timeout_ms > 0
                          ? w->cfg->transaction_timeout_ms
                          : DEFAULT_TXN_TIMEOUT_MS;
        rd_kafka_resp_err_t kerr;
        cf_err_t err = CF_OK;

        memset(&c, 0, sizeof(c));
        c.deadline = t0 + timeout + 60000;
        if (!(c.done = calloc((size_t)w->n_parts, sizeof(*c.done))) ||
            !(c.pos = malloc((size_t)w->n_parts * sizeof(*c.pos))) ||
            !(l = rd_kafka_topic_partition_list_new(parts->cnt))) {
                cf_worker_fail(w, CF_ERR_NOMEM, "restore: out of memory");
                err = CF_ERR_NOMEM;
                goto out;
        }
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (p < 0 || p >= w->n_parts) {
                        cf_worker_fail(w, CF_ERR_USAGE,
                                       "assigned partition %d of %s, which "
                                       "had %d partitions at start: restart "
                                       "the worker (and give every topic the "
                                       "same count)",
                                       (int)p, w->cfg->topic_events,
                                       w->n_parts);
                        err = CF_ERR_USAGE;
                        goto out;
                }
                cf_wm_restoring(w, p);
                cf_store_destroy(w->parts[p].store);
                w->parts[p].last_handled = -1;
                if (!(w->parts[p].store = cf_store_new())) {
                        cf_worker_fail(w, CF_ERR_NOMEM,
                                       "restore: out of memory");
                        err = CF_ERR_NOMEM;
                        goto out;
                }
                cf_store_set_max(w->parts[p].store,
                                 (size_t)w->cfg->limits.keys_per_partition);
                rd_kafka_topic_partition_list_add(l, w->cfg->topic_state, p)
                    ->offset = RD_KAFKA_OFFSET_BEGINNING;
                c.remaining++;
        }
        if (c.remaining == 0)
                goto out;
        for (int p = 0; p < w->n_parts; p++)
                c.pos[p] = -1;
        progress_start(w, &c, l);
        if ((kerr = rd_kafka_assign(w->rest.rk, l)) != 0) {
                cf_worker_fail(w, CF_ERR_IO, "restore: assign: %s",
                               rd_kafka_err2str(kerr));
                err = CF_ERR_IO;
                goto out;
        }
        err = read_all(w, &c);
        if ((kerr = rd_kafka_assign(w->rest.rk, NULL)) != 0 && err == CF_OK) {
                cf_worker_fail(w, CF_ERR_IO, "restore: unassign: %s",
                               rd_kafka_err2str(kerr));
                err = CF_ERR_IO;
        }
        if (err == CF_OK && c.total > 0)
                cf_progress_done(c.progress, c.read);
        if (err == CF_OK)
                cf_log(CF_LOG_INFO, "restore",
                       "restored %zu state record(s) of %d partition(s) in "
                       "%lld ms",
                       c.keys, parts->cnt, (long long)(cf_kclock_ms() - t0));
out:
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        cf_progress_destroy(c.progress);
        free(c.pos);
        free(c.done);
        return err;
}
