/* cspflow: the worker's Kafka transactions (EOS mode), each call classed
 * as librdkafka classes its errors (examples/transactions.c): a retriable
 * error is retried, backing off from 100 ms to 2 s between tries, for up
 * to CF_TXN_RETRY_MS in all (then it is fatal: a broker away that long),
 * an abortable
 * one is returned as CF_KR_ABORT for the caller to abort, rewind and go
 * on, anything else is CF_KR_FATAL. errstr names the call and the error.
 *
 * Ownership: nothing is taken; offsets stay the caller's. */
#ifndef CF_TXN_H
#define CF_TXN_H

#include "kafka.h"

#define CF_TXN_RETRY_MS 60000

/** init_transactions: fences an older instance with the same
 *  transactional.id and aborts what it left open. */
cf_kres_t cf_txn_init(cf_kclient_t *producer, char *errstr, size_t errstr_size);

cf_kres_t cf_txn_begin(cf_kclient_t *producer, char *errstr,
                       size_t errstr_size);

/** send_offsets_to_transaction(offsets, the consumer's group metadata);
 *  nothing to do for an empty list. */
cf_kres_t cf_txn_send_offsets(cf_kclient_t *producer, cf_kclient_t *consumer,
                              const rd_kafka_topic_partition_list_t *offsets,
                              char *errstr, size_t errstr_size);

/** commit_transaction. */
cf_kres_t cf_txn_commit(cf_kclient_t *producer, char *errstr,
                        size_t errstr_size);

/** abort_transaction. CF_KR_OK or CF_KR_FATAL. */
cf_kres_t cf_txn_abort(cf_kclient_t *producer, char *errstr,
                       size_t errstr_size);

#endif
