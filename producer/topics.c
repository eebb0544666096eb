/* cspflow: the five topics, created at start when missing (admin API), all
 * with the events topic's partition count: every record caused by input
 * partition p goes to partition p of actions, audit, state and DLQ, so a
 * key's state lives in the same partition number as its input whatever
 * partitioner the producers of the input use. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "kafka.h"

#define METADATA_TIMEOUT_MS 10000
#define CREATE_TIMEOUT_MS   30000
/* How long created topics may take to show in the metadata with leaders. */
#define SETTLE_TIMEOUT_MS 30000
/* ... and then how long their leaders may take to serve them (a loaded
 * broker was seen to take 9 s for the 60 partitions of a test's topics). */
#define WRITABLE_TIMEOUT_MS 60000
#define RETRY_PAUSE_MS      200

enum { T_EVENTS, T_ACTIONS, T_AUDIT, T_STATE, T_DLQ, T_EXTRA, T__N };

typedef struct want_s {
        const char *name;
        const char *role;
        int partitions; /* seen: 0 missing, -1 unknown */
        bool leaders;   /* every partition has a leader */
} want_t;

/* Partition counts of the wanted topics from one metadata request. */
static cf_err_t look(cf_kclient_t *kc, want_t *w, size_t n, char *errstr,
                     size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;

        err = rd_kafka_metadata(kc->rk, 1, NULL, &md, METADATA_TIMEOUT_MS);
        cf_kclient_drain_logs(kc);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (!cf_kclient_auth_failed(kc, errstr, errstr_size))
                        cf_errstr_set(errstr, errstr_size,
                                      "kafka metadata: %s (is the broker at "
                                      "bootstrap.servers reachable?)",
                                      rd_kafka_err2str(err));
                return CF_ERR_IO;
        }
        for (size_t i = 0; i < n; i++) {
                w[i].partitions = 0;
                w[i].leaders = false;
                for (int t = 0; w[i].name && t < md->topic_cnt; t++) {
                        const struct rd_kafka_metadata_topic *mt =
                            &md->topics[t];
                        if (strcmp(mt->topic, w[i].name) != 0)
                                continue;
                        if (mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                                break;
                        w[i].partitions = mt->partition_cnt;
                        w[i].leaders = mt->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                                       mt->partition_cnt > 0;
                        for (int p = 0; p < mt->partition_cnt; p++)
                                if (mt->partitions[p].leader < 0 ||
                                    mt->partitions[p].err)
                                        w[i].leaders = false;
                        break;
                }
        }
        rd_kafka_metadata_destroy(md);
        return CF_OK;
}

cf_err_t cf_ktopic_partitions(cf_kclient_t *kc, const char *topic,
                              int *partitions, char *errstr,
                              size_t errstr_size) {
        want_t w = {topic, "topic", 0, false};
        cf_err_t err = look(kc, &w, 1, errstr, errstr_size);
        *partitions = w.partitions;
        return err;
}

static void pause_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
        nanosleep(&ts, NULL);
}

/* Waits until the leader of every partition of the wanted topics serves it:
 * a ListOffsets (the log end) answered without error. A broker lists a new
 * partition with its leader in the metadata before it has created the
 * partition's log, and answers NOT_LEADER_OR_FOLLOWER to a produce until
 * then; librdkafka can then report the records of such a failed request
 * as delivered when the next request of the partition succeeds, and they
 * are lost (cf_kdr_unconfirmed(), docs/worker.md). */
static cf_err_t wait_writable(cf_kclient_t *kc, const want_t *w, size_t n,
                              char *errstr, size_t errstr_size) {
        int64_t t0 = cf_kclock_ms();
        int tries = 0;

        for (;;) {
                rd_kafka_topic_partition_list_t *l =
                    rd_kafka_topic_partition_list_new(64);
                rd_kafka_resp_err_t err;
                if (!l) {
                        cf_errstr_set(errstr, errstr_size, "out of memory");
                        return CF_ERR_NOMEM;
                }
                for (size_t i = 0; i < n; i++)
                        for (int p = 0; w[i].name && p < w[i].partitions; p++)
                                /* as a timestamp: -1 is the log end */
                                rd_kafka_topic_partition_list_add(l, w[i].name,
                                                                  p)
                                    ->offset = RD_KAFKA_OFFSET_END;
                err = l->cnt > 0 ? rd_kafka_offsets_for_times(
                                       kc->rk, l, METADATA_TIMEOUT_MS)
                                 : RD_KAFKA_RESP_ERR_NO_ERROR;
                for (int i = 0; !err && i < l->cnt; i++)
                        err = l->elems[i].err;
                rd_kafka_topic_partition_list_destroy(l);
                cf_kclient_drain_logs(kc);
                if (!err) {
                        if (tries > 0)
                                cf_log(CF_LOG_INFO, "topics",
                                       "every partition served by its leader "
                                       "after %lld ms",
                                       (long long)(cf_kclock_ms() - t0));
                        return CF_OK;
                }
                if (cf_kclock_ms() - t0 > WRITABLE_TIMEOUT_MS) {
                        cf_errstr_set(errstr, errstr_size,
                                      "topics listed with leaders but not "
                                      "served by them after %d ms: %s",
                                      WRITABLE_TIMEOUT_MS,
                                      rd_kafka_err2str(err));
                        return CF_ERR_IO;
                }
                if (tries++ == 0)
                        cf_log(CF_LOG_INFO, "topics",
                               "waiting for the partitions' leaders to "
                               "serve them (%s)",
                               rd_kafka_err2name(err));
                pause_ms(RETRY_PAUSE_MS);
        }
}

static cf_err_t create(cf_kclient_t *kc, want_t *w, size_t n, int partitions,
                       int rf, char *errstr, size_t errstr_size) {
        rd_kafka_NewTopic_t *nt[T__N];
        rd_kafka_AdminOptions_t *opts = NULL;
        rd_kafka_queue_t *q = NULL;
        rd_kafka_event_t *ev = NULL;
        size_t k = 0;
        char why[512], rfs[16];
        cf_err_t result = CF_ERR_IO;

        for (size_t i = 0; i < n; i++) {
                if (!w[i].name || w[i].partitions != 0)
                        continue;
                if (!(nt[k] = rd_kafka_NewTopic_new(w[i].name, partitions, rf,
                                                    why, sizeof(why)))) {
                        cf_errstr_set(errstr, errstr_size, "topic %s: %s",
                                      w[i].name, why);
                        goto out;
                }
                k++;
                if (i == T_STATE &&
                    rd_kafka_NewTopic_set_config(nt[k - 1], "cleanup.policy",
                                                 "compact") !=
                        RD_KAFKA_RESP_ERR_NO_ERROR) {
                        cf_errstr_set(errstr, errstr_size,
                                      "topic %s: cannot set cleanup.policy",
                                      w[i].name);
                        goto out;
                }
                if (rf > 0)
                        snprintf(rfs, sizeof(rfs), "%d", rf);
                cf_log(CF_LOG_INFO, "topics",
                       "creating topic %s (%s, %d partitions, replication "
                       "factor %s%s)",
                       w[i].name, w[i].role, partitions,
                       rf > 0 ? rfs : "the broker's default",
                       i == T_STATE ? ", compacted" : "");
        }
        if (k == 0)
                return CF_OK;
        if (!(q = rd_kafka_queue_new(kc->rk)) ||
            !(opts = rd_kafka_AdminOptions_new(
                  kc->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS))) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                result = CF_ERR_NOMEM;
                goto out;
        }
        if (rd_kafka_AdminOptions_set_operation_timeout(opts, CREATE_TIMEOUT_MS,
                                                        why, sizeof(why)) ||
            rd_kafka_AdminOptions_set_request_timeout(opts, CREATE_TIMEOUT_MS,
                                                      why, sizeof(why))) {
                cf_errstr_set(errstr, errstr_size, "admin options: %s", why);
                goto out;
        }
        rd_kafka_CreateTopics(kc->rk, nt, k, opts, q);
        ev = rd_kafka_queue_poll(q, CREATE_TIMEOUT_MS + 10000);
        cf_kclient_drain_logs(kc);
        if (!ev) {
                cf_errstr_set(errstr, errstr_size,
                              "creating topics: no answer in %d ms",
                              CREATE_TIMEOUT_MS + 10000);
                goto out;
        }
        if (rd_kafka_event_error(ev)) {
                cf_errstr_set(errstr, errstr_size, "creating topics: %s",
                              rd_kafka_event_error_string(ev));
                goto out;
        }
        {
                const rd_kafka_CreateTopics_result_t *res =
                    rd_kafka_event_CreateTopics_result(ev);
                size_t cnt = 0;
                const rd_kafka_topic_result_t **tr =
                    res ? rd_kafka_CreateTopics_result_topics(res, &cnt) : NULL;
                for (size_t i = 0; i < cnt; i++) {
                        rd_kafka_resp_err_t e =
                            rd_kafka_topic_result_error(tr[i]);
                        /* another worker may have won the race */
                        if (e == RD_KAFKA_RESP_ERR_NO_ERROR ||
                            e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                                continue;
                        cf_errstr_set(
                            errstr, errstr_size, "creating topic %s: %s: %s",
                            rd_kafka_topic_result_name(tr[i]),
                            rd_kafka_err2name(e),
                            rd_kafka_topic_result_error_string(tr[i])
                                ? rd_kafka_topic_result_error_string(tr[i])
                                : "");
                        goto out;
                }
        }
        result = CF_OK;
out:
        if (ev)
                rd_kafka_event_destroy(ev);
        if (opts)
                rd_kafka_AdminOptions_destroy(opts);
        if (q)
                rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy_array(nt, k);
        return result;
}

cf_err_t cf_ktopics_ensure(cf_kclient_t *kc, const cf_config_t *cfg,
                           const char *extra, int *partitions, char *errstr,
                           size_t errstr_size) {
        want_t w[T__N] = {
            {cfg->topic_events, "events", 0, false},
            {cfg->topic_actions, "actions", 0, false},
            {cfg->topic_audit, "audit", 0, false},
            {cfg->topic_state, "state", 0, false},
            {cfg->topic_dlq, "dlq", 0, false},
            {NULL, "extra", 0, false},
        };
        int64_t deadline;
        int n = 0;
        cf_err_t err;

        for (int i = 0; extra && i < T_EXTRA; i++)
                if (strcmp(extra, w[i].name) == 0)
                        extra = NULL;
        w[T_EXTRA].name = extra;
        for (int i = 0; i < T_EXTRA; i++)
                for (int j = i + 1; j < T_EXTRA; j++)
                        if (strcmp(w[i].name, w[j].name) == 0) {
                                cf_errstr_set(errstr, errstr_size,
                                              "the %s and %s topics are both "
                                              "'%s': they must differ",
                                              w[i].role, w[j].role, w[i].name);
                                return CF_ERR_USAGE;
                        }
        if ((err = look(kc, w, T__N, errstr, errstr_size)) != CF_OK)
                return err;
        n = w[T_EVENTS].partitions > 0 ? w[T_EVENTS].partitions
                                       : cfg->partitions;
        for (int i = 0; i < T_EXTRA; i++)
                if (w[i].partitions > 0 && w[i].partitions != n) {
                        cf_errstr_set(
                            errstr, errstr_size,
                            "topic %s (%s) has %d partitions, the events "
                            "topic %s %s %d: every topic must have the same "
                            "count (records of input partition p go to "
                            "partition p of each output topic)",
                            w[i].name, w[i].role, w[i].partitions,
                            w[T_EVENTS].name,
                            w[T_EVENTS].partitions > 0 ? "has" : "would get",
                            n);
                        return CF_ERR_USAGE;
                }
        if ((err = create(kc, w, T__N, n, cfg->replication_factor, errstr,
                          errstr_size)) != CF_OK)
                return err;
        /* wait until every topic shows with its partitions and leaders */
        deadline = cf_kclock_ms() + SETTLE_TIMEOUT_MS;
        for (;;) {
                bool ready = true;
                if ((err = look(kc, w, T__N, errstr, errstr_size)) != CF_OK)
                        return err;
                for (int i = 0; i < T__N; i++) {
                        if (!w[i].name)
                                continue;
                        if (i < T_EXTRA && w[i].partitions > 0 &&
                            w[i].partitions != n) {
                                cf_errstr_set(errstr, errstr_size,
                                              "topic %s has %d partitions, "
                                              "expected %d",
                                              w[i].name, w[i].partitions, n);
                                return CF_ERR_USAGE;
                        }
                        if (w[i].partitions <= 0 || !w[i].leaders)
                                ready = false;
                }
                if (ready)
                        break;
                if (cf_kclock_ms() > deadline) {
                        cf_errstr_set(errstr, errstr_size,
                                      "topics not ready (no leader) after "
                                      "%d ms",
                                      SETTLE_TIMEOUT_MS);
                        return CF_ERR_IO;
                }
                pause_ms(RETRY_PAUSE_MS);
        }
        *partitions = n;
        return wait_writable(kc, w, T__N, errstr, errstr_size);
}
