/* common/config: the Kafka commands' configuration file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

static int setup(void **state) {
        cf_config_t *c = calloc(1, sizeof(*c));
        if (!c || cf_config_init(c) != CF_OK)
                return -1;
        *state = c;
        return 0;
}

static int teardown(void **state) {
        cf_config_clear(*state);
        free(*state);
        return 0;
}

static cf_err_t parse(cf_config_t *c, const char *text, char *err,
                      size_t size) {
        err[0] = '\0';
        return cf_config_parse(c, text, strlen(text), "test.conf", err, size);
}

static void test_defaults(void **state) {
        cf_config_t *c = *state;
        assert_string_equal(c->group, "cspflow");
        assert_null(c->bootstrap);
        assert_null(c->transactional_id);
        assert_int_equal(c->mode, CF_MODE_EOS);
        assert_string_equal(c->topic_events, "csp.migration.events");
        assert_string_equal(c->topic_actions, "csp.migration.actions");
        assert_string_equal(c->topic_audit, "csp.migration.audit");
        assert_string_equal(c->topic_state, "csp.migration.state");
        assert_string_equal(c->topic_dlq, "csp.migration.dlq");
        assert_int_equal(c->partitions, 12);
        assert_int_equal(c->replication_factor, -1);
        assert_int_equal(c->batch_max_records, 500);
        assert_int_equal(c->batch_max_ms, 100);
        assert_int_equal(c->transaction_timeout_ms, 0);
        assert_int_equal(c->n_kafka, 0);
}

static void test_every_key(void **state) {
        cf_config_t *c = *state;
        char err[512];
        assert_int_equal(parse(c,
                               "# a comment\n"
                               "\n"
                               "   # an indented comment\n"
                               "topic.events = t.events\n"
                               "topic.actions=t.actions\n"
                               "\ttopic.audit=t.audit \n"
                               "topic.state=t.state\r\n"
                               "topic.dlq=t.dlq\n"
                               "topics.partitions=3\n"
                               "topics.replication.factor=1\n"
                               "batch.max.records=42\n"
                               "batch.max.ms=250\n"
                               "transaction.timeout.ms=30000\n"
                               "kafka.security.protocol=SASL_SSL\n"
                               "kafka.sasl.password=a=b#c\n"
                               "kafka.client.id=\n"
                               "kafka.security.protocol=PLAINTEXT",
                               err, sizeof(err)),
                         CF_OK);
        assert_string_equal(c->topic_events, "t.events");
        assert_string_equal(c->topic_actions, "t.actions");
        assert_string_equal(c->topic_audit, "t.audit");
        assert_string_equal(c->topic_state, "t.state");
        assert_string_equal(c->topic_dlq, "t.dlq");
        assert_int_equal(c->partitions, 3);
        assert_int_equal(c->replication_factor, 1);
        assert_int_equal(c->batch_max_records, 42);
        assert_int_equal(c->batch_max_ms, 250);
        assert_int_equal(c->transaction_timeout_ms, 30000);
        /* in order of first appearance, the last value wins; the value is
         * everything after the first '=', '#' included */
        assert_int_equal(c->n_kafka, 3);
        assert_string_equal(c->kafka[0].key, "security.protocol");
        assert_string_equal(c->kafka[0].value, "PLAINTEXT");
        assert_string_equal(c->kafka[1].key, "sasl.password");
        assert_string_equal(c->kafka[1].value, "a=b#c");
        assert_string_equal(cf_config_kafka_get(c, "client.id"), "");
        assert_null(cf_config_kafka_get(c, "nope"));
}

static void test_unknown_key(void **state) {
        cf_config_t *c = *state;
        char err[512];
        assert_int_equal(
            parse(c, "topic.events=a\n\nfoo.bar = 1\n", err, sizeof(err)),
            CF_ERR_USAGE);
        assert_non_null(strstr(err, "test.conf:3"));
        assert_non_null(strstr(err, "'foo.bar'"));
        /* keys are exact: no prefix or case games */
        assert_int_equal(parse(c, "Topic.events=a", err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_int_equal(parse(c, "topic.eventsx=a", err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_int_equal(parse(c, "kafka.=x", err, sizeof(err)), CF_ERR_USAGE);
        assert_int_equal(parse(c, "bootstrap=x", err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_non_null(strstr(err, "'bootstrap'"));
}

static void test_bad_values(void **state) {
        cf_config_t *c = *state;
        char err[512];
        static const char *const bad[] = {
            "topics.partitions=0",
            "topics.partitions=12x",
            "topics.partitions=",
            "topics.partitions=-3",
            "topics.partitions=99999999999999999999",
            "topics.replication.factor=0",
            "topics.replication.factor=-2",
            "batch.max.records=0",
            "batch.max.ms=abc",
            "transaction.timeout.ms=10",
            "topic.state=",
            "no equals sign",
            "=value",
            "topic.events\0=x",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse(c, bad[i], err, sizeof(err)) != CF_ERR_USAGE)
                        fail_msg("accepted: %s", bad[i]);
                assert_non_null(strstr(err, "test.conf:1"));
        }
        /* a refused value leaves the old one */
        assert_int_equal(c->partitions, 12);
        assert_string_equal(c->topic_state, "csp.migration.state");
        /* a NUL inside a line */
        assert_int_equal(
            cf_config_parse(c, "a\0b=1\n", 6, "x", err, sizeof(err)),
            CF_ERR_USAGE);
        assert_int_equal(
            parse(c, "topics.replication.factor=-1\n", err, sizeof(err)),
            CF_OK);
}

static void test_long_line(void **state) {
        cf_config_t *c = *state;
        char err[512];
        size_t n = CF_CONFIG_LINE_MAX + 10;
        char *text = malloc(n + 1);
        assert_non_null(text);
        memcpy(text, "kafka.x=", 8);
        memset(text + 8, 'v', n - 8);
        text[n] = '\0';
        assert_int_equal(parse(c, text, err, sizeof(err)), CF_ERR_USAGE);
        assert_non_null(strstr(err, "line over"));
        free(text);
}

static void test_load_file(void **state) {
        cf_config_t *c = *state;
        char path[] = "/tmp/cspflow-test-config-XXXXXX";
        char err[512];
        int fd = mkstemp(path);
        FILE *fp;

        assert_true(fd >= 0);
        fp = fdopen(fd, "w");
        assert_non_null(fp);
        fputs("kafka.bootstrap.servers=127.0.0.1:1\nbatch.max.ms=7\n", fp);
        fclose(fp);
        assert_int_equal(cf_config_load(c, path, err, sizeof(err)), CF_OK);
        assert_int_equal(c->batch_max_ms, 7);
        assert_string_equal(cf_config_kafka_get(c, "bootstrap.servers"),
                            "127.0.0.1:1");
        unlink(path);
        assert_int_equal(cf_config_load(c, path, err, sizeof(err)), CF_ERR_IO);
        assert_non_null(strstr(err, path));
}

static void test_modes(void **state) {
        (void)state;
        assert_int_equal(cf_config_mode_from_name("eos"), CF_MODE_EOS);
        assert_int_equal(cf_config_mode_from_name("at-least-once"),
                         CF_MODE_AT_LEAST_ONCE);
        assert_int_equal(cf_config_mode_from_name("EOS"), -1);
        assert_int_equal(cf_config_mode_from_name(""), -1);
        assert_string_equal(cf_config_mode_name(CF_MODE_AT_LEAST_ONCE),
                            "at-least-once");
        assert_string_equal(cf_config_mode_name(CF_MODE_EOS), "eos");
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
            cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
            cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
            cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
            cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
