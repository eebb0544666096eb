/* cspflow: one batch of the worker. EOS mode:
 *
 *   begin_transaction
 *   per record: skip it if at or below its partition's last handled offset
 *     (librdkafka 2.0.x can deliver a record twice); decode (failure: DLQ
 *     + audit REJECTED); keep an undo copy of the key's migration before
 *     its first change in the batch; cf_store_apply(); produce the outputs
 *     (actions), one audit record, and the DLQ record when rejected
 *   the state of every changed key; send_offsets_to_transaction (last
 *     handled + 1 per partition); wait (up to 10 s) for the delivery
 *     reports: one failed or without an offset aborts (producer/kafka.h,
 *     cf_kdr_unconfirmed()); commit_transaction (an unconfirmed report
 *     that comes during it is fatal: the commit may lack an output)
 *
 * An abortable error anywhere: abort_transaction, put the undo copies back,
 * reset the last handled offsets, rewind the consumer to the committed
 * offsets and go on. A fatal error fails the worker.
 *
 * At-least-once mode: the same without the transaction: flush the outputs,
 * then produce and flush the states, then commit the offsets
 * synchronously. A failed delivery undoes and rewinds like an abort (what
 * was delivered stays: duplicates, identical ones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/log.h"
#include "common/strutil.h"
#include "producer/txn.h"
#include "schemas/input.h"
#include "worker_int.h"

/* How long EOS waits for delivery reports before commit_transaction. */
#define PRECOMMIT_FLUSH_MS 10000
/* Batches aborted in a row before the worker gives up. */
#define ABORTS_IN_ROW_MAX    10
#define COMMITTED_TIMEOUT_MS 60000

typedef struct bctx_s {
        char why[768];
} bctx_t;

void cf_batch_drop(cf_worker_t *w,
                   const rd_kafka_topic_partition_list_t *parts) {
        size_t k = 0;
        for (size_t i = 0; i < w->n_msgs; i++) {
                rd_kafka_message_t *m = w->msgs[i];
                bool drop = !parts;
                for (int j = 0; !drop && j < parts->cnt; j++)
                        drop = parts->elems[j].partition == m->partition;
                if (drop)
                        rd_kafka_message_destroy(m);
                else
                        w->msgs[k++] = m;
        }
        w->n_msgs = k;
}

/* ---- the keys of the batch and their undo copies ---- */

static uint64_t key_hash(int32_t p, const char *partner, const char *tenant) {
        char buf[2 * (CF_ID_MAX + 1)];
        size_t lp = cf_strnlen(partner, CF_ID_MAX);
        size_t lt = cf_strnlen(tenant, CF_ID_MAX);
        memcpy(buf, partner, lp);
        buf[lp] = '\0';
        memcpy(buf + lp + 1, tenant, lt);
        return XXH3_64bits_withSeed(buf, lp + 1 + lt,
                                    (XXH64_hash_t)(uint32_t)p);
}

/* The batch's entry for the input's key, created the first time with the
 * key's migration as it is, written as a state record into undo_buf (what
 * an abort puts back: the codec's round trip is exact, restore relies on
 * it, and it costs no allocation per key). NULL when out of memory. */
static cf_undo_t *undo_get(cf_worker_t *w, int32_t p, const cf_event_t *ev) {
        uint64_t h = key_hash(p, ev->partner_id, ev->customer_tenant_id);
        size_t mask = w->n_slots - 1, i = (size_t)h & mask;
        char why[256];
        cf_undo_t *u;

        for (; w->slots[i] >= 0; i = (i + 1) & mask) {
                u = &w->undo[w->slots[i]];
                if (u->hash == h && u->partition == p &&
                    strcmp(u->partner_id, ev->partner_id) == 0 &&
                    strcmp(u->customer_tenant_id, ev->customer_tenant_id) == 0)
                        return u;
        }
        if (w->n_undo >= w->max_msgs) /* at most one per record */
                return NULL;
        u = &w->undo[w->n_undo];
        memset(u, 0, sizeof(*u));
        u->partition = p;
        u->hash = h;
        memcpy(u->partner_id, ev->partner_id, sizeof(u->partner_id));
        memcpy(u->customer_tenant_id, ev->customer_tenant_id,
               sizeof(u->customer_tenant_id));
        u->cur = cf_store_get(w->parts[p].store, ev->partner_id,
                              ev->customer_tenant_id);
        if (u->cur) {
                u->had = true;
                u->undo_off = w->undo_buf.len;
                if (cf_avro_encode_state(w->av, u->cur, &w->undo_buf, why,
                                         sizeof(why)) != CF_OK)
                        return NULL;
                u->undo_len = w->undo_buf.len - u->undo_off;
        }
        w->slots[i] = (int32_t)w->n_undo++;
        return u;
}

/* Forgets the undo entries and empties the key table. */
static void undo_release(cf_worker_t *w) {
        w->n_undo = 0;
        cf_buf_reset(&w->undo_buf);
        memset(w->slots, 0xff, w->n_slots * sizeof(*w->slots));
}

/* Puts every changed key back as it was before the batch. */
static bool rollback(cf_worker_t *w) {
        char detail[256];
        bool ok = true;
        for (size_t i = 0; i < w->n_undo; i++) {
                cf_undo_t *u = &w->undo[i];
                cf_store_t *st = w->parts[u->partition].store;
                cf_migration_t *m = NULL;
                if (!u->changed || !st)
                        continue;
                if (!u->had) {
                        cf_store_remove(st, u->partner_id,
                                        u->customer_tenant_id);
                } else if (cf_avro_decode_state(
                               w->av, w->undo_buf.data + u->undo_off,
                               u->undo_len, &m, detail,
                               sizeof(detail)) != CF_REJ_NONE ||
                           !cf_store_put(st, m)) {
                        cf_migration_destroy(m);
                        ok = false;
                }
        }
        for (int p = 0; p < w->n_parts; p++)
                w->parts[p].last_handled = w->parts[p].batch_start;
        undo_release(w);
        return ok;
}

/* ---- one record ---- */

static cf_kres_t reject(cf_worker_t *w, const rd_kafka_message_t *m,
                        const cf_event_t *ev, const cf_verdict_t *v,
                        bctx_t *c) {
        cf_kres_t r = cf_emit_dlq(&w->emit, m, v->reason, v->detail, c->why,
                                  sizeof(c->why));
        if (r == CF_KR_OK)
                r = cf_emit_audit(&w->emit, m, ev, v, NULL, c->why,
                                  sizeof(c->why));
        w->batch.rejected++;
        cf_metrics_count_input(&w->mbatch, ev ? ev->type : CF_EV_NONE, v, NULL);
        return r;
}

/* Decodes m into w->ev: CF_REJ_NONE, or the reason with v->detail set;
 * then the checks every input passes (schemas/input.h) and the caps of
 * limits.* (common/limits.h). *err: CF_ERR_IO when the schema registry
 * could not be asked (nothing decided). */
static cf_reject_t decode(cf_worker_t *w, const rd_kafka_message_t *m,
                          cf_verdict_t *v, bool *decoded, cf_err_t *err) {
        const cf_limits_t *lim = &w->cfg->limits;
        cf_reject_t r =
            cf_limits_check_record(lim, m->len, v->detail, sizeof(v->detail));

        *err = CF_OK;
        *decoded = false;
        if (r != CF_REJ_NONE)
                return r;
        *err = cf_serde_decode_event(w->serde, m->payload, m->len, &w->ev, &r,
                                     v->detail, sizeof(v->detail));
        *decoded = *err == CF_OK && r == CF_REJ_NONE;
        if (*err != CF_OK || r != CF_REJ_NONE)
                return r;
        r = cf_input_check(&w->ev, m->key, m->key_len, v->detail,
                           sizeof(v->detail));
        if (r != CF_REJ_NONE)
                return r;
        return cf_limits_check_event(lim, &w->ev, v->detail, sizeof(v->detail));
}

static cf_kres_t handle(cf_worker_t *w, const rd_kafka_message_t *m,
                        bctx_t *c) {
        cf_part_t *part = &w->parts[m->partition];
        cf_verdict_t v;
        cf_undo_t *u;
        cf_kres_t r = CF_KR_OK;
        cf_err_t err = CF_OK;
        bool decoded = false;

        part->touched = true;
        w->batch.consumed++;
        if (m->offset <= part->last_handled) {
                w->batch.skipped_offsets++;
                return CF_KR_OK;
        }
        part->last_handled = m->offset;
        memset(&v, 0, sizeof(v));
        v.kind = CF_VERDICT_REJECTED;
        v.reason = decode(w, m, &v, &decoded, &err);
        if (err != CF_OK) { /* the registry: retry the batch, lose nothing */
                snprintf(c->why, sizeof(c->why),
                         "%s (offset %lld of partition %d; the batch is "
                         "retried)",
                         v.detail, (long long)m->offset, (int)m->partition);
                w->registry_wait = err == CF_ERR_IO;
                return err == CF_ERR_IO ? CF_KR_ABORT : CF_KR_FATAL;
        }
        if (v.reason != CF_REJ_NONE) {
                const cf_migration_t *cur = NULL;
                v.rule = 13;
                /* an event that decoded: its key's status, untouched */
                if (decoded)
                        cur = cf_store_get(part->store, w->ev.partner_id,
                                           w->ev.customer_tenant_id);
                v.status_before = v.status_after =
                    cur ? cur->status : CF_MIG_NONE;
                return reject(w, m, decoded ? &w->ev : NULL, &v, c);
        }
        if (!(u = undo_get(w, m->partition, &w->ev))) {
                snprintf(c->why, sizeof(c->why), "out of memory");
                return CF_KR_FATAL;
        }
        cf_outbox_reset(&w->out);
        /* the key's migration is in hand (u->cur): cf_store_apply would
         * look it up again; it creates it when there is none */
        err = u->cur ? cf_handle(w->opts->catalog, u->cur, &w->ev, &w->out, &v)
                     : cf_store_apply(part->store, w->opts->catalog, &w->ev,
                                      &w->out, &v);
        if (err != CF_OK) {
                snprintf(c->why, sizeof(c->why), "handlers: %s",
                         cf_err_name(err));
                return CF_KR_FATAL;
        }
        switch (v.kind) {
        case CF_VERDICT_APPLIED:
                if (!u->cur) /* created by this input */
                        u->cur = cf_store_get(part->store, w->ev.partner_id,
                                              w->ev.customer_tenant_id);
                u->cur->last_input_offset = m->offset;
                u->changed = true;
                for (size_t i = 0; r == CF_KR_OK && i < w->out.n; i++)
                        r = cf_emit_action(&w->emit, m->partition, &w->out.v[i],
                                           c->why, sizeof(c->why));
                if (r == CF_KR_OK)
                        r = cf_emit_audit(&w->emit, m, &w->ev, &v, &w->out,
                                          c->why, sizeof(c->why));
                w->batch.applied++;
                cf_metrics_count_input(&w->mbatch, w->ev.type, &v, &w->out);
                return r;
        case CF_VERDICT_DUPLICATE:
                w->batch.duplicates++;
                cf_metrics_count_input(&w->mbatch, w->ev.type, &v, NULL);
                return cf_emit_audit(&w->emit, m, &w->ev, &v, NULL, c->why,
                                     sizeof(c->why));
        case CF_VERDICT_REJECTED:
        default:
                return reject(w, m, &w->ev, &v, c);
        }
}

/* ---- end of the batch ---- */

static cf_kres_t emit_states(cf_worker_t *w, bctx_t *c) {
        for (size_t i = 0; i < w->n_undo; i++) {
                cf_undo_t *u = &w->undo[i];
                cf_kres_t r;
                if (!u->changed)
                        continue;
                r = cf_emit_state(&w->emit, u->partition, u->cur, c->why,
                                  sizeof(c->why));
                if (r != CF_KR_OK)
                        return r;
        }
        return CF_KR_OK;
}

/* last handled + 1 of every partition the batch touched. */
static rd_kafka_topic_partition_list_t *offsets(cf_worker_t *w) {
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(w->n_parts);
        for (int p = 0; l && p < w->n_parts; p++)
                if (w->parts[p].touched && w->parts[p].last_handled >= 0)
                        rd_kafka_topic_partition_list_add(
                            l, w->cfg->topic_events, p)
                            ->offset = w->parts[p].last_handled + 1;
        return l;
}

/* At-least-once: waits for every delivery report; CF_KR_ABORT when one
 * failed or was not confirmed (cf_kdr_unconfirmed()). */
static cf_kres_t flush_all(cf_worker_t *w, bctx_t *c) {
        while (rd_kafka_outq_len(w->prod.rk) > 0) {
                rd_kafka_flush(w->prod.rk, 1000);
                cf_kclient_drain_logs(&w->prod);
                if (cf_kclient_fatal(&w->prod, c->why, sizeof(c->why)))
                        return CF_KR_FATAL;
        }
        if (w->dr_failed > 0) {
                snprintf(c->why, sizeof(c->why),
                         "%llu record(s) could not be delivered (first: %s)",
                         (unsigned long long)w->dr_failed, w->dr_first);
                return CF_KR_ABORT;
        }
        return CF_KR_OK;
}

/* EOS, before commit_transaction: the transaction's delivery reports, for
 * up to PRECOMMIT_FLUSH_MS; CF_KR_ABORT when one came without an offset
 * (an output that may be missing: abort rather than commit without it).
 * A failed delivery ends the wait too: commit_transaction then returns the
 * abortable error with its cause. Not endless: after an abortable error
 * librdkafka 2.0.2 can keep doomed records queued; commit_transaction
 * flushes what is left. */
static cf_kres_t flush_before_commit(cf_worker_t *w, bctx_t *c) {
        int64_t t0 = cf_kclock_ms();

        while (rd_kafka_outq_len(w->prod.rk) > 0 && w->dr_failed == 0 &&
               cf_kclock_ms() - t0 < PRECOMMIT_FLUSH_MS) {
                rd_kafka_flush(w->prod.rk, 100);
                cf_kclient_drain_logs(&w->prod);
                if (cf_kclient_fatal(&w->prod, c->why, sizeof(c->why)))
                        return CF_KR_FATAL;
        }
        if (w->dr_unconfirmed > 0) {
                snprintf(c->why, sizeof(c->why),
                         "%llu record(s) reported delivered without an "
                         "offset, maybe not written (first: %s)",
                         (unsigned long long)w->dr_unconfirmed, w->dr_first);
                return CF_KR_ABORT;
        }
        return CF_KR_OK;
}

/* The offsets, the delivery reports, commit_transaction. */
static cf_kres_t commit_eos(cf_worker_t *w, bctx_t *c) {
        rd_kafka_topic_partition_list_t *l = offsets(w);
        cf_kres_t r;
        if (!l) {
                snprintf(c->why, sizeof(c->why), "out of memory");
                return CF_KR_FATAL;
        }
        r = cf_txn_send_offsets(&w->prod, &w->cons, l, c->why, sizeof(c->why));
        rd_kafka_topic_partition_list_destroy(l);
        if (r == CF_KR_OK)
                r = flush_before_commit(w, c);
        if (r == CF_KR_OK)
                r = cf_txn_commit(&w->prod, c->why, sizeof(c->why));
        if (r == CF_KR_OK && w->dr_unconfirmed > 0) {
                snprintf(c->why, sizeof(c->why),
                         "%llu output record(s) of a committed transaction "
                         "were reported delivered without an offset and may "
                         "be missing (first: %s; docs/worker.md): stopping",
                         (unsigned long long)w->dr_unconfirmed, w->dr_first);
                return CF_KR_FATAL;
        }
        return r;
}

/* At-least-once: the outputs are delivered before the states (whose
 * last_input_offset makes a restart skip the inputs), and the states
 * before the offsets are committed, so a crash anywhere loses nothing. */
static cf_kres_t commit_alo(cf_worker_t *w, bctx_t *c) {
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_resp_err_t err;
        cf_kres_t r;

        if ((r = flush_all(w, c)) != CF_KR_OK ||
            (r = emit_states(w, c)) != CF_KR_OK ||
            (r = flush_all(w, c)) != CF_KR_OK)
                return r;
        if (!(l = offsets(w))) {
                snprintf(c->why, sizeof(c->why), "out of memory");
                return CF_KR_FATAL;
        }
        err = l->cnt > 0 ? rd_kafka_commit(w->cons.rk, l, 0)
                         : RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_topic_partition_list_destroy(l);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (cf_kclient_fatal(&w->cons, c->why, sizeof(c->why)))
                        return CF_KR_FATAL;
                /* the outputs are out: a new owner of the partitions will
                 * redo them (at least once) */
                cf_log(CF_LOG_WARN, "batch",
                       "offset commit failed: %s (records may be handled "
                       "again)",
                       rd_kafka_err2str(err));
        }
        return CF_KR_OK;
}

/* Seeks every assigned partition back to its committed offset; a partition
 * without one goes back to the first offset the batch read from it. */
static void rewind_consumer(cf_worker_t *w, const int64_t *first) {
        rd_kafka_topic_partition_list_t *a = NULL, *seek = NULL;
        rd_kafka_resp_err_t err;
        rd_kafka_error_t *error;
        char why[512];

        if ((err = rd_kafka_assignment(w->cons.rk, &a)) != 0) {
                cf_worker_fail(w, CF_ERR_IO, "rewind: assignment: %s",
                               rd_kafka_err2str(err));
                return;
        }
        if (a->cnt > 0 &&
            (err = cf_kcommitted(&w->cons, a, COMMITTED_TIMEOUT_MS))) {
                cf_worker_fail(w, CF_ERR_IO, "rewind: committed offsets: %s",
                               rd_kafka_err2str(err));
                goto out;
        }
        if (!(seek = rd_kafka_topic_partition_list_new(a->cnt ? a->cnt : 1))) {
                cf_worker_fail(w, CF_ERR_NOMEM, "rewind: out of memory");
                goto out;
        }
        for (int i = 0; i < a->cnt; i++) {
                int32_t p = a->elems[i].partition;
                int64_t off = a->elems[i].offset;
                if (off < 0 && p >= 0 && p < w->n_parts)
                        off = first[p];
                if (off >= 0)
                        rd_kafka_topic_partition_list_add(seek,
                                                          a->elems[i].topic, p)
                            ->offset = off;
        }
        if (seek->cnt > 0 && (error = rd_kafka_seek_partitions(
                                  w->cons.rk, seek, COMMITTED_TIMEOUT_MS))) {
                cf_kerror_take(w->cons.rk, error, "rewind: seek", why,
                               sizeof(why));
                cf_worker_fail(w, CF_ERR_IO, "%s", why);
                goto out;
        }
        for (int i = 0; i < seek->cnt; i++)
                if (seek->elems[i].err)
                        cf_worker_fail(w, CF_ERR_IO, "rewind: seek [%d]: %s",
                                       (int)seek->elems[i].partition,
                                       rd_kafka_err2str(seek->elems[i].err));
out:
        if (seek)
                rd_kafka_topic_partition_list_destroy(seek);
        rd_kafka_topic_partition_list_destroy(a);
}

/* The transaction coordinator aborts a transaction open for longer than
 * transaction.timeout.ms and bumps the producer's epoch (a broker paused
 * or down for that long does it once it is back). librdkafka 2.0.2 then
 * raises a fatal error on the next transactional request (_FENCED, as if a
 * newer instance had taken the transactional.id, or INVALID_TXN_STATE on
 * EndTxn), and a fatal error means a new producer. A newer instance can
 * only be told apart by the transaction's age: the coordinator's clock
 * starts after begin_transaction, so when the batch's transaction has been
 * open for less than the timeout, it was not timed out, and the worker
 * stops. */
static bool renewable(cf_worker_t *w, int64_t *open_ms) {
        char why[512];
        *open_ms = cf_kclock_ms() - w->txn_begin;
        return w->eos &&
               rd_kafka_fatal_error(w->prod.rk, why, sizeof(why)) !=
                   RD_KAFKA_RESP_ERR_NO_ERROR &&
               *open_ms >= w->txn_timeout_ms;
}

/* The first offset of every partition in the batch (-1: none). */
static int64_t *batch_firsts(cf_worker_t *w) {
        int64_t *first = malloc((size_t)w->n_parts * sizeof(*first));
        if (!first)
                return NULL;
        for (int p = 0; p < w->n_parts; p++)
                first[p] = -1;
        for (size_t i = 0; i < w->n_msgs; i++) {
                int32_t p = w->msgs[i]->partition;
                if (first[p] < 0 || w->msgs[i]->offset < first[p])
                        first[p] = w->msgs[i]->offset;
        }
        return first;
}

static void count_abort(cf_worker_t *w, const bctx_t *c) {
        w->stats.aborts++;
        /* the first reason is the cause (an authorization failure, say);
         * the later ones may be its consequences */
        if (!w->registry_wait && w->aborts_in_row == 0)
                cf_errstr_set(w->abort_first, sizeof(w->abort_first), "%s",
                              c->why);
        if (w->registry_wait) /* not a record's fault */
                w->registry_wait = false;
        else if (++w->aborts_in_row >= ABORTS_IN_ROW_MAX)
                cf_worker_fail(w, CF_ERR_IO,
                               "%u batches aborted in a row; first: %s; "
                               "last: %.300s",
                               w->aborts_in_row, w->abort_first, c->why);
}

/* After a fatal error of the producer: a new producer (init_transactions
 * aborts what the old one left open), the state of every assigned
 * partition read again from the state topic, the consumer rewound to the
 * committed offsets. Whether the failed commit reached the broker or not,
 * the state and offsets are then the committed ones. */
static void renew(cf_worker_t *w, const bctx_t *c, const int64_t *first,
                  int64_t open_ms) {
        rd_kafka_topic_partition_list_t *a = NULL;
        rd_kafka_resp_err_t err;
        char why[768];

        cf_log(CF_LOG_WARN, "batch",
               "the transaction was open %lld ms, over "
               "transaction.timeout.ms (%ld): the coordinator may have "
               "aborted it (%s); new producer, state restored, batch redone",
               (long long)open_ms, w->txn_timeout_ms, c->why);
        undo_release(w);
        if (cf_worker_renew_producer(w, why, sizeof(why)) != CF_OK) {
                cf_worker_fail(w, CF_ERR_IO, "new producer: %s", why);
                return;
        }
        if ((err = rd_kafka_assignment(w->cons.rk, &a)) != 0) {
                cf_worker_fail(w, CF_ERR_IO, "renew: assignment: %s",
                               rd_kafka_err2str(err));
                return;
        }
        if (cf_restore(w, a) == CF_OK) {
                rewind_consumer(w, first);
                count_abort(w, c);
        }
        rd_kafka_topic_partition_list_destroy(a);
}

/* Aborts the batch, puts the undo copies back and rewinds the consumer. */
static void abort_batch(cf_worker_t *w, bctx_t *c) {
        char why[768];
        int64_t open_ms = 0;
        int64_t *first = batch_firsts(w);

        cf_log(CF_LOG_WARN, "batch", "aborting a batch of %zu record(s): %s",
               w->n_msgs, c->why);
        if (!first) {
                cf_worker_fail(w, CF_ERR_NOMEM, "abort: out of memory");
                return;
        }
        if (w->eos && cf_txn_abort(&w->prod, why, sizeof(why)) != CF_KR_OK) {
                if (renewable(w, &open_ms)) {
                        renew(w, c, first, open_ms);
                } else {
                        cf_worker_fail(w, CF_ERR_IO, "%s", why);
                        undo_release(w);
                }
        } else if (!rollback(w)) {
                cf_worker_fail(w, CF_ERR_NOMEM, "abort: out of memory");
        } else {
                rewind_consumer(w, first);
                count_abort(w, c);
        }
        free(first);
}

/* A fatal error: the producer renewed when the coordinator may have timed
 * the transaction out, else the worker stops. */
static void fatal_batch(cf_worker_t *w, bctx_t *c) {
        int64_t open_ms = 0;
        int64_t *first;
        char why[512];

        if (renewable(w, &open_ms)) {
                if (!(first = batch_firsts(w)))
                        cf_worker_fail(w, CF_ERR_NOMEM, "out of memory");
                else
                        renew(w, c, first, open_ms);
                free(first);
                return;
        }
        if (w->eos && rd_kafka_fatal_error(w->prod.rk, why, sizeof(why)) ==
                          RD_KAFKA_RESP_ERR__FENCED)
                cf_worker_fail(w, CF_ERR_IO,
                               "fenced: a newer instance runs with "
                               "transactional.id %s; this one stops (%s)",
                               w->tid, c->why);
        else
                cf_worker_fail(w, CF_ERR_IO, "%s", c->why);
        undo_release(w);
}

static void add_stats(cf_worker_stats_t *to, const cf_worker_stats_t *b) {
        to->consumed += b->consumed;
        to->applied += b->applied;
        to->duplicates += b->duplicates;
        to->rejected += b->rejected;
        to->skipped_offsets += b->skipped_offsets;
}

void cf_batch_run(cf_worker_t *w) {
        bctx_t c;
        cf_kres_t r = CF_KR_OK;
        double t0;

        c.why[0] = '\0';
        memset(&w->batch, 0, sizeof(w->batch));
        memset(&w->mbatch, 0, sizeof(w->mbatch));
        for (int p = 0; p < w->n_parts; p++) {
                w->parts[p].batch_start = w->parts[p].last_handled;
                w->parts[p].touched = false;
        }
        undo_release(w);
        w->dr_failed = 0;
        w->dr_unconfirmed = 0;
        w->dr_first[0] = '\0';
        w->registry_wait = false;
        w->txn_begin = cf_kclock_ms();
        if (w->eos)
                r = cf_txn_begin(&w->prod, c.why, sizeof(c.why));
        for (size_t i = 0; r == CF_KR_OK && i < w->n_msgs; i++)
                r = handle(w, w->msgs[i], &c);
        t0 = cf_wm_now();
        if (r == CF_KR_OK && w->eos && (r = emit_states(w, &c)) == CF_KR_OK)
                r = commit_eos(w, &c);
        else if (r == CF_KR_OK && !w->eos)
                r = commit_alo(w, &c);
        switch (r) {
        case CF_KR_OK:
                add_stats(&w->stats, &w->batch);
                w->stats.transactions++;
                w->aborts_in_row = 0;
                undo_release(w);
                break;
        case CF_KR_ABORT:
        case CF_KR_RETRY: /* retries ran out: treat as abortable */
                abort_batch(w, &c);
                break;
        case CF_KR_FATAL:
        default:
                fatal_batch(w, &c);
                break;
        }
        cf_wm_batch_end(w, r == CF_KR_OK, cf_wm_now() - t0);
        cf_batch_drop(w, NULL);
}
