/* cspflow: the Kafka worker behind `cspflow run`: consume the events topic
 * in a consumer group, run every input through the handlers
 * (handlers/store.h, exactly what `simulate` runs), and produce the
 * actions, one audit record per input, the changed states and the DLQ
 * records, in one Kafka transaction per batch together with the consumed
 * offsets (EOS mode), or produce-flush-commit (at-least-once mode).
 *
 * State lives in memory per assigned partition, restored from the state
 * topic's same partition before that partition's first input is handled,
 * and dropped on revoke. docs/worker.md describes the whole design.
 *
 * This header is free of librdkafka (cli/ includes it).
 *
 * Ownership: the worker borrows everything in cf_worker_opts_t for the
 * duration of cf_worker_run(); it allocates and frees all else itself. */
#ifndef CF_WORKER_H
#define CF_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/config.h"
#include "common/error.h"

typedef struct cf_worker_opts_s {
        const cf_config_t *cfg;       /**< bootstrap, topics, mode, ... */
        const cf_catalog_t *catalog;  /**< may be NULL */
        int idle_exit_s;              /**< > 0: stop after that many seconds
                                           without input once assigned */
        volatile sig_atomic_t *stop;  /**< set (by a signal handler) to stop */
        struct cf_metrics_s *metrics; /**< NULL, or published to once per
                                           batch (ops/metrics.h) */
} cf_worker_opts_t;

/** Counts of committed work: an input is counted once its batch is
 *  committed, so inputs of an aborted batch are counted when redone. */
typedef struct cf_worker_stats_s {
        uint64_t consumed;        /**< records read (applied + duplicates +
                                       rejected + skipped_offsets) */
        uint64_t applied;         /**< rule applied, state changed */
        uint64_t duplicates;      /**< rule 12: event_id already handled */
        uint64_t rejected;        /**< rule 13: sent to the DLQ */
        uint64_t skipped_offsets; /**< at or below the partition's last
                                       handled offset: redelivered, skipped */
        uint64_t transactions;    /**< batches committed */
        uint64_t aborts;          /**< batches aborted and rewound */
} cf_worker_stats_t;

/** Runs until *opts->stop is set, the idle timeout passes, or a fatal
 *  error. Returns CF_OK (stopped cleanly: exit 0), CF_ERR_USAGE (bad
 *  configuration or topics whose partition counts differ: exit 2), or
 *  another code (fatal: exit 1); errstr says why. stats is filled in every
 *  case. */
cf_err_t cf_worker_run(const cf_worker_opts_t *opts, cf_worker_stats_t *stats,
                       char *errstr, size_t errstr_size);

#endif
