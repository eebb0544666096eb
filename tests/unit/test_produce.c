/* producer/produce (the producer of `cspflow produce`) on librdkafka's mock
 * cluster, with injected protocol errors:
 *
 *  - a record whose produce request fails with NOT_LEADER_OR_FOLLOWER while
 *    the next request, in flight behind it, succeeds is reported delivered
 *    by librdkafka 2.0.2 ("implicit ack") although it was never written:
 *    the flush must fail and name it, not count it delivered (the mock's
 *    log end shows the record is missing, so the case is the real one);
 *  - the producer starts only once every partition's leader serves it
 *    (ListOffsets answered): NOT_LEADER_OR_FOLLOWER answers are waited
 *    out, not ignored.
 *
 * A real broker loses records that way when a new topic's partitions are
 * listed with a leader before the broker has created their logs
 * (tests/kafka/longrun_loss.py reproduces it; docs/worker.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "producer/mock.h"
#include "producer/produce.h"

#define API_PRODUCE             0
#define API_LIST_OFFSETS        2
#define ERR_NOT_LEADER_FOLLOWER 6
#define FIRST_RESPONSE_DELAY_MS 1000

static const int not_leader[] = {
    ERR_NOT_LEADER_FOLLOWER, ERR_NOT_LEADER_FOLLOWER, ERR_NOT_LEADER_FOLLOWER};

typedef struct fixture_s {
        cf_mock_t *mock;
        cf_config_t cfg;
} fixture_t;

static void set(cf_config_t *c, const char *key, const char *value) {
        char errstr[256];
        assert_int_equal(
            cf_config_set(c, key, value, "test", errstr, sizeof(errstr)),
            CF_OK);
}

/* A one-broker mock cluster with the five topics (one partition each) and
 * a config pointing at it: one record per produce request, sent together
 * after 100 ms. */
static int setup(void **state) {
        static fixture_t f;
        static const char *keys[] = {"topic.events", "topic.actions",
                                     "topic.audit", "topic.state", "topic.dlq"};
        char errstr[256], name[64];

        memset(&f, 0, sizeof(f));
        assert_int_equal(cf_mock_new(&f.mock, 1, errstr, sizeof(errstr)),
                         CF_OK);
        assert_int_equal(cf_config_init(&f.cfg), CF_OK);
        set(&f.cfg, "kafka.bootstrap.servers", cf_mock_bootstraps(f.mock));
        set(&f.cfg, "topics.partitions", "1");
        set(&f.cfg, "kafka.linger.ms", "100");
        set(&f.cfg, "kafka.batch.num.messages", "1");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                snprintf(name, sizeof(name), "produce-test.%s", keys[i] + 6);
                set(&f.cfg, keys[i], name);
                assert_int_equal(cf_mock_create_topic(f.mock, name, 1, errstr,
                                                      sizeof(errstr)),
                                 CF_OK);
        }
        *state = &f;
        return 0;
}

static int teardown(void **state) {
        fixture_t *f = *state;
        cf_config_clear(&f->cfg);
        cf_mock_destroy(f->mock);
        return 0;
}

/* The log end of partition 0 of topic on the mock cluster. */
static int64_t log_end(const fixture_t *f, const char *topic) {
        char errstr[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        int64_t lo = -1, hi = -1;

        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
                                           cf_mock_bootstraps(f->mock), errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(rk);
        assert_int_equal(
            rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 10000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(rk);
        return hi;
}

static void test_unconfirmed_delivery_fails(void **state) {
        fixture_t *f = *state;
        cf_kproducer_t *p = NULL;
        char errstr[1024];
        uint64_t delivered = 0, failed = 0;

        assert_int_equal(cf_kproducer_new(&p, &f->cfg, f->cfg.topic_events,
                                          errstr, sizeof(errstr)),
                         CF_OK);
        /* request 1 (record #7) fails, late; request 2 (#8) is sent before
         * its answer and succeeds */
        assert_int_equal(cf_mock_push_errors_late(
                             f->mock, API_PRODUCE, 1, not_leader,
                             FIRST_RESPONSE_DELAY_MS, errstr, sizeof(errstr)),
                         CF_OK);
        assert_int_equal(
            cf_kproducer_send(p, "k", 1, "first", 5, 7, errstr, sizeof(errstr)),
            CF_OK);
        assert_int_equal(cf_kproducer_send(p, "k", 1, "second", 6, 8, errstr,
                                           sizeof(errstr)),
                         CF_OK);
        errstr[0] = '\0';
        assert_int_equal(
            cf_kproducer_flush(p, &delivered, &failed, errstr, sizeof(errstr)),
            CF_ERR_IO);
        cf_kproducer_destroy(p);
        assert_int_equal(cf_mock_errors_left(f->mock, API_PRODUCE), 0);
        assert_int_equal(delivered, 1);
        assert_int_equal(failed, 1);
        assert_non_null(strstr(errstr, "without an offset"));
        assert_non_null(strstr(errstr, "#7"));
        assert_null(strstr(errstr, "#8"));
        /* #7 is indeed missing: only #8 was written */
        assert_int_equal(log_end(f, f->cfg.topic_events), 1);
}

static void test_waits_for_leaders_to_serve(void **state) {
        fixture_t *f = *state;
        cf_kproducer_t *p = NULL;
        char errstr[1024];
        uint64_t delivered = 0, failed = 0;

        assert_int_equal(cf_mock_push_errors(f->mock, API_LIST_OFFSETS, 3,
                                             not_leader, errstr,
                                             sizeof(errstr)),
                         CF_OK);
        assert_int_equal(cf_kproducer_new(&p, &f->cfg, f->cfg.topic_events,
                                          errstr, sizeof(errstr)),
                         CF_OK);
        /* it asked until the partitions were served */
        assert_int_equal(cf_mock_errors_left(f->mock, API_LIST_OFFSETS), 0);
        assert_int_equal(
            cf_kproducer_send(p, "k", 1, "one", 3, 1, errstr, sizeof(errstr)),
            CF_OK);
        assert_int_equal(
            cf_kproducer_flush(p, &delivered, &failed, errstr, sizeof(errstr)),
            CF_OK);
        assert_int_equal(delivered, 1);
        assert_int_equal(failed, 0);
        cf_kproducer_destroy(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_unconfirmed_delivery_fails,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_waits_for_leaders_to_serve,
                                            setup, teardown),
        };
        cf_log_set_level(CF_LOG_WARN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
