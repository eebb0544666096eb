/* cspflow: internals of the worker, shared by consumer/worker.c (set-up,
 * main loop, rebalances), consumer/batch.c (one batch: handle, produce,
 * commit or abort) and consumer/restore.c (state from the state topic).
 *
 * Ownership: the worker owns every field but opts/cfg/catalog (borrowed).
 * parts[p].store is owned while p is assigned (NULL otherwise). msgs holds
 * n_msgs messages of the batch being collected (owned, destroyed after the
 * batch). undo[i] remembers a key's migration from before the open batch
 * as a state record in undo_buf (owned, emptied per batch); undo[i].cur
 * points into the store. */
#ifndef CF_WORKER_INT_H
#define CF_WORKER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "consumer/worker.h"
#include "handlers/store.h"
#include "ops/metrics.h"
#include "producer/emit.h"
#include "producer/kafka.h"
#include "schemas/avro_codec.h"

typedef struct cf_part_s {
        cf_store_t *store;      /**< NULL when the partition is not assigned */
        int64_t last_handled;   /**< last input offset handled, -1 none */
        int64_t batch_start;    /**< last_handled when the batch began */
        bool touched;           /**< a record of it is in the open batch */
        int8_t phase;           /**< CF_PHASE_*, for the metrics */
        int64_t committed_next; /**< next offset to commit, -1 unknown */
} cf_part_t;

#define CF_PHASE_NONE      0 /**< not assigned */
#define CF_PHASE_RESTORING 1 /**< its state is being restored */
#define CF_PHASE_RESTORED  2

/** A key changed (or looked at) by the open batch. */
typedef struct cf_undo_s {
        int32_t partition;
        uint64_t hash;
        cf_id_t partner_id;
        cf_id_t customer_tenant_id;
        cf_migration_t *cur; /**< the key's migration in the store */
        bool had;            /**< it had one before the batch: */
        size_t undo_off;     /**< its state record in undo_buf */
        size_t undo_len;
        bool changed; /**< an input was applied to it */
} cf_undo_t;

typedef struct cf_worker_s {
        const cf_worker_opts_t *opts;
        const cf_config_t *cfg;
        bool eos;
        cf_kclient_t prod; /**< transactional (EOS) or idempotent producer */
        cf_kclient_t cons; /**< the group consumer of the events topic */
        cf_kclient_t rest; /**< assign-only reader of the state topic */
        cf_avro_t *av;
        cf_serde_t *serde; /**< framing, registry, resolution */
        cf_emit_t emit;
        cf_event_t ev;
        cf_outbox_t out;
        int n_parts;
        cf_part_t *parts;
        rd_kafka_message_t **msgs;
        size_t n_msgs;
        size_t max_msgs;
        cf_undo_t *undo;
        size_t n_undo;
        cf_buf_t undo_buf; /**< the undo entries' state records */
        int32_t *slots;    /**< open addressing into undo, -1 empty */
        size_t n_slots;    /**< a power of two, >= 2 * max_msgs */
        cf_worker_stats_t stats;
        cf_worker_stats_t batch;    /**< counts of the open batch */
        cf_metrics_snap_t m;        /**< metrics of committed work */
        cf_metrics_counts_t mbatch; /**< metrics of the open batch */
        int64_t m_lag_at;           /**< ms: lag last computed */
        uint64_t dr_failed; /**< delivery reports with an error or no offset */
        uint64_t dr_unconfirmed; /**< of them: no error but no offset */
        char dr_first[256];      /**< the batch's first failed delivery */
        unsigned aborts_in_row;
        char abort_first[320]; /**< why the first abort in a row */
        bool registry_wait;    /**< the batch aborted for the registry: not
                                    counted in aborts_in_row */
        bool fatal;
        cf_err_t fatal_code;
        char fatal_why[768];
        bool assigned_once;
        const char *tid;             /**< EOS: the transactional.id */
        char tid_buf[CF_ID_MAX + 8]; /**< "<group>-0" when not configured */
        long txn_timeout_ms;   /**< the producer's transaction.timeout.ms */
        int64_t txn_begin;     /**< ms: begin_transaction of the batch */
        bool reassign;         /**< committed offsets not fetched */
        int64_t reassigned_at; /**< ms: the last assignment again */
        int64_t idle_since;    /**< ms: last input or rebalance */
} cf_worker_t;

/** Records a fatal error (the first one wins); the loop stops. */
void cf_worker_fail(cf_worker_t *w, cf_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Replaces the producer (closed) by a new one with the same settings and,
 *  in EOS mode, runs init_transactions: after the coordinator fenced the
 *  producer's epoch for a transaction that timed out. CF_OK, or errstr says
 *  why. */
cf_err_t cf_worker_renew_producer(cf_worker_t *w, char *errstr, size_t size);

/** Handles, produces and commits the n_msgs collected messages, or aborts
 *  and rewinds; destroys the messages. */
void cf_batch_run(cf_worker_t *w);

/** Destroys the collected messages of partitions in parts (all when
 *  NULL). */
void cf_batch_drop(cf_worker_t *w,
                   const rd_kafka_topic_partition_list_t *parts);

/* consumer/observe.c: the metrics (no-ops but counting when
 * opts->metrics is NULL). */
/** Fills w->m (topic, group, mode, lag array) and beats. CF_ERR_NOMEM. */
cf_err_t cf_wm_start(cf_worker_t *w);
void cf_wm_clear(cf_worker_t *w);
/** Monotonic seconds, for the commit latency. */
double cf_wm_now(void);
/** Each loop iteration: heartbeat; lag and publish once a second. */
void cf_wm_tick(cf_worker_t *w);
/** After a batch: when committed, adds w->mbatch and the latency; then
 *  publishes. */
void cf_wm_batch_end(cf_worker_t *w, bool committed, double commit_s);
/** Partition p's restore begins (its old store, if any, is dropped). */
void cf_wm_restoring(cf_worker_t *w, int32_t p);
/** Partition p's restore is complete (its store counted). */
void cf_wm_restored(cf_worker_t *w, int32_t p);
/** Partition p's store is about to be dropped. */
void cf_wm_dropped(cf_worker_t *w, int32_t p);
/** The committed offsets of newly assigned partitions (for the lag). */
void cf_wm_committed(cf_worker_t *w,
                     const rd_kafka_topic_partition_list_t *parts);

/** Restores the state of the events partitions in parts from the state
 *  topic into new stores. CF_OK, or the worker is failed. */
cf_err_t cf_restore(cf_worker_t *w,
                    const rd_kafka_topic_partition_list_t *parts);

#endif
