/* cspflow: internals of the worker, shared by consumer/worker.c (set-up,
 * main loop, rebalances), consumer/batch.c (one batch: handle, produce,
 * commit or abort) and consumer/restore.c (state from the state topic).
 *
 * Ownership: the worker owns every field but opts/cfg/catalog (borrowed).
 * parts[p].store is owned while p is assigned (NULL otherwise). msgs holds
 * n_msgs messages of the batch being collected (owned, destroyed after the
 * batch). undo[i].undo is an owned copy of a key's migration from before
 * the open batch (NULL: the key had none); undo[i].cur points into the
 * store. */
#ifndef CF_WORKER_INT_H
#define CF_WORKER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "consumer/worker.h"
#include "handlers/store.h"
#include "producer/emit.h"
#include "producer/kafka.h"
#include "schemas/avro_codec.h"

typedef struct cf_part_s {
        cf_store_t *store;    /**< NULL when the partition is not assigned */
        int64_t last_handled; /**< last input offset handled, -1 none */
        int64_t batch_start;  /**< last_handled when the batch began */
        bool touched;         /**< a record of it is in the open batch */
} cf_part_t;

/** A key changed (or looked at) by the open batch. */
typedef struct cf_undo_s {
        int32_t partition;
        uint64_t hash;
        cf_id_t partner_id;
        cf_id_t customer_tenant_id;
        cf_migration_t *cur;  /**< the key's migration in the store */
        cf_migration_t *undo; /**< owned copy from before the batch */
        bool changed;         /**< an input was applied to it */
} cf_undo_t;

typedef struct cf_worker_s {
        const cf_worker_opts_t *opts;
        const cf_config_t *cfg;
        bool eos;
        cf_kclient_t prod; /**< transactional (EOS) or idempotent producer */
        cf_kclient_t cons; /**< the group consumer of the events topic */
        cf_kclient_t rest; /**< assign-only reader of the state topic */
        cf_avro_t *av;
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
        int32_t *slots; /**< open addressing into undo, -1 empty */
        size_t n_slots; /**< a power of two, >= 2 * max_msgs */
        cf_worker_stats_t stats;
        cf_worker_stats_t batch; /**< counts of the open batch */
        uint64_t dr_failed;      /**< delivery reports with an error */
        unsigned aborts_in_row;
        bool fatal;
        cf_err_t fatal_code;
        char fatal_why[768];
        bool assigned_once;
        int64_t idle_since; /**< ms: last input or rebalance */
} cf_worker_t;

/** Records a fatal error (the first one wins); the loop stops. */
void cf_worker_fail(cf_worker_t *w, cf_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Handles, produces and commits the n_msgs collected messages, or aborts
 *  and rewinds; destroys the messages. */
void cf_batch_run(cf_worker_t *w);

/** Destroys the collected messages of partitions in parts (all when
 *  NULL). */
void cf_batch_drop(cf_worker_t *w,
                   const rd_kafka_topic_partition_list_t *parts);

/** Restores the state of the events partitions in parts from the state
 *  topic into new stores. CF_OK, or the worker is failed. */
cf_err_t cf_restore(cf_worker_t *w,
                    const rd_kafka_topic_partition_list_t *parts);

#endif
