/* cspflow: transactional calls with librdkafka's error classes (txn.h). */
#include "txn.h"

#include "common/log.h"

/* One transactional call waits at most this long. A timeout is retriable
 * and the calls are resumable, so a call that times out is made again
 * (within CF_TXN_RETRY_MS): librdkafka 2.0.2 can hold commit_transaction
 * until its timeout while flushing messages that an abortable error has
 * already doomed (seen with the mock cluster, tests/mock/mock_faults.c);
 * the next call returns that error. */
#define TXN_TIMEOUT_MS 10000

/* Runs call() until it is not retriable or CF_TXN_RETRY_MS have passed
 * (fatal then), backing off between tries. */
#define RETRYING(r, what, call)                                                \
        do {                                                                   \
                int64_t t0_ = cf_kclock_ms();                                  \
                int ms_ = 100;                                                 \
                for (;;) {                                                     \
                        (r) = cf_kerror_take(p->rk, (call), (what), errstr,    \
                                             errstr_size);                     \
                        cf_kclient_drain_logs(p);                              \
                        if ((r) != CF_KR_RETRY)                                \
                                break;                                         \
                        cf_log(CF_LOG_WARN, "txn", "%s (retrying)", errstr);   \
                        if (!cf_kbackoff(p, t0_, CF_TXN_RETRY_MS, &ms_)) {     \
                                (r) = CF_KR_FATAL;                             \
                                break;                                         \
                        }                                                      \
                }                                                              \
        } while (0)

cf_kres_t cf_txn_init(cf_kclient_t *p, char *errstr, size_t errstr_size) {
        cf_kres_t r;
        RETRYING(r, "init_transactions",
                 rd_kafka_init_transactions(p->rk, TXN_TIMEOUT_MS));
        return r == CF_KR_ABORT ? CF_KR_FATAL : r;
}

cf_kres_t cf_txn_begin(cf_kclient_t *p, char *errstr, size_t errstr_size) {
        cf_kres_t r;
        RETRYING(r, "begin_transaction", rd_kafka_begin_transaction(p->rk));
        return r;
}

cf_kres_t cf_txn_send_offsets(cf_kclient_t *p, cf_kclient_t *consumer,
                              const rd_kafka_topic_partition_list_t *offsets,
                              char *errstr, size_t errstr_size) {
        rd_kafka_consumer_group_metadata_t *cgmd;
        cf_kres_t r = CF_KR_OK;

        if (!offsets || offsets->cnt == 0)
                return CF_KR_OK;
        if (!(cgmd = rd_kafka_consumer_group_metadata(consumer->rk))) {
                cf_errstr_set(errstr, errstr_size,
                              "send_offsets_to_transaction: no consumer "
                              "group metadata");
                return CF_KR_FATAL;
        }
        RETRYING(r, "send_offsets_to_transaction",
                 rd_kafka_send_offsets_to_transaction(p->rk, offsets, cgmd,
                                                      TXN_TIMEOUT_MS));
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        return r;
}

cf_kres_t cf_txn_commit(cf_kclient_t *p, char *errstr, size_t errstr_size) {
        cf_kres_t r;
        RETRYING(r, "commit_transaction",
                 rd_kafka_commit_transaction(p->rk, TXN_TIMEOUT_MS));
        return r;
}

cf_kres_t cf_txn_abort(cf_kclient_t *p, char *errstr, size_t errstr_size) {
        cf_kres_t r;
        RETRYING(r, "abort_transaction",
                 rd_kafka_abort_transaction(p->rk, TXN_TIMEOUT_MS));
        return r == CF_KR_OK ? CF_KR_OK : CF_KR_FATAL;
}
