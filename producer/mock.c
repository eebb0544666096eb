#include "mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>

struct cf_mock_s {
        rd_kafka_t *rk; /* the handle the cluster lives in */
        rd_kafka_mock_cluster_t *mc;
};

cf_err_t cf_mock_new(cf_mock_t **out, int brokers, char *errstr,
                     size_t errstr_size) {
        char rkerr[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        cf_mock_t *m = calloc(1, sizeof(*m));
        if (!m || !conf) {
                free(m);
                if (conf)
                        rd_kafka_conf_destroy(conf);
                return CF_ERR_NOMEM;
        }
        /* A quiet producer handle to host the cluster; it sends nothing. */
        rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
        m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rkerr, sizeof(rkerr));
        if (!m->rk) {
                rd_kafka_conf_destroy(conf);
                cf_errstr_set(errstr, errstr_size, "mock cluster: %s", rkerr);
                free(m);
                return CF_ERR_IO;
        }
        m->mc = rd_kafka_mock_cluster_new(m->rk, brokers);
        if (!m->mc) {
                cf_errstr_set(errstr, errstr_size,
                              "mock cluster: could not be started");
                rd_kafka_destroy(m->rk);
                free(m);
                return CF_ERR_IO;
        }
        *out = m;
        return CF_OK;
}

const char *cf_mock_bootstraps(const cf_mock_t *m) {
        return rd_kafka_mock_cluster_bootstraps(m->mc);
}

cf_err_t cf_mock_create_topic(cf_mock_t *m, const char *topic, int partitions,
                              char *errstr, size_t errstr_size) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(m->mc, topic, partitions, 1);
        if (err) {
                cf_errstr_set(errstr, errstr_size, "mock topic %s: %s", topic,
                              rd_kafka_err2str(err));
                return CF_ERR_IO;
        }
        return CF_OK;
}

cf_err_t cf_mock_push_errors(cf_mock_t *m, int api_key, size_t cnt,
                             const int *errors, char *errstr,
                             size_t errstr_size) {
        return cf_mock_push_errors_late(m, api_key, cnt, errors, 0, errstr,
                                        errstr_size);
}

cf_err_t cf_mock_push_errors_late(cf_mock_t *m, int api_key, size_t cnt,
                                  const int *errors, int delay_ms, char *errstr,
                                  size_t errstr_size) {
        for (size_t i = 0; i < cnt; i++) {
                rd_kafka_resp_err_t err =
                    rd_kafka_mock_broker_push_request_error_rtts(
                        m->mc, 1, (int16_t)api_key, 1,
                        (rd_kafka_resp_err_t)errors[i], delay_ms);
                if (err) {
                        cf_errstr_set(errstr, errstr_size,
                                      "mock: pushing errors for request %d: "
                                      "%s",
                                      api_key, rd_kafka_err2str(err));
                        return CF_ERR_IO;
                }
        }
        return CF_OK;
}

size_t cf_mock_errors_left(cf_mock_t *m, int api_key) {
        size_t cnt = 0;
        if (rd_kafka_mock_broker_error_stack_cnt(m->mc, 1, (int16_t)api_key,
                                                 &cnt))
                return 0;
        return cnt;
}

void cf_mock_destroy(cf_mock_t *m) {
        if (!m)
                return;
        rd_kafka_mock_cluster_destroy(m->mc);
        rd_kafka_destroy(m->rk);
        free(m);
}
