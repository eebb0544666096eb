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
#include "common/log.h"

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
        assert_null(c->transactional_id);
        assert_int_equal(c->mode, CF_MODE_EOS);
        assert_string_equal(c->topic_events, "csp.migration.events");
        assert_string_equal(c->topic_actions, "csp.migration.actions");
        assert_string_equal(c->topic_audit, "csp.migration.audit");
        assert_string_equal(c->topic_state, "csp.migration.state");
        assert_string_equal(c->topic_dlq, "csp.migration.dlq");
        assert_int_equal(c->partitions, 12);
        assert_int_equal(c->replication_factor, -1);
        assert_int_equal(c->batch_max_records, 2000);
        assert_int_equal(c->batch_max_ms, 100);
        assert_int_equal(c->transaction_timeout_ms, 0);
        assert_int_equal(c->n_kafka, 0);
        assert_string_equal(cf_config_origin(c, "batch.max.ms"), "default");
        assert_null(cf_config_origin(c, "kafka.client.id"));
        assert_null(cf_config_origin(c, "no.such.key"));
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
        /* where each came from */
        assert_string_equal(cf_config_origin(c, "topic.events"), "test.conf:4");
        assert_string_equal(cf_config_origin(c, "kafka.security.protocol"),
                            "test.conf:17");
        assert_string_equal(cf_config_origin(c, "group"), "default");
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
        assert_string_equal(err, "test.conf:1: unknown key 'bootstrap'");
}

static void test_bad_values(void **state) {
        cf_config_t *c = *state;
        char err[512];
        static const char *const bad[] = {
            "topics.partitions=0",
            "topics.partitions=12x",
            "topics.partitions=",
            "topics.partitions=-3",
            "transaction.timeout.ms=999",
            "transaction.timeout.ms=3600001",
            "mode=EOS",
            "mode=",
            "group=",
            "topics.partitions=99999999999999999999",
            "topics.replication.factor=0",
            "topics.replication.factor=-2",
            "batch.max.records=0",
            "batch.max.ms=abc",
            "transaction.timeout.ms=10",
            "topics.partitions=0x10",
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
        /* the message names the key and the value */
        assert_int_equal(parse(c, "batch.max.records=0", err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_string_equal(err, "test.conf:1: batch.max.records: '0' is "
                                 "not a whole number in [1, 1000000]");
        assert_int_equal(parse(c, "mode=eoss", err, sizeof(err)), CF_ERR_USAGE);
        assert_string_equal(
            err, "test.conf:1: mode: 'eoss' is not one of eos, at-least-once");
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

/* registry.* and schemas.writers.dir: defaults, values, empty = unset,
 * booleans, ranges. */
static void test_registry_keys(void **state) {
        cf_config_t *c = *state;
        char err[512];
        static const char *const bad[] = {
            "registry.timeout.ms=0",         "registry.retries=-1",
            "registry.retries=101",          "registry.ssl.verify=yes",
            "registry.auto.register=1",      "registry.response.max.bytes=10",
            "registry.startup.timeout.ms=-1"};

        assert_null(c->registry_url);
        assert_int_equal(c->registry_timeout_ms, 5000);
        assert_int_equal(c->registry_connect_timeout_ms, 2000);
        assert_int_equal(c->registry_retries, 3);
        assert_int_equal(c->registry_retry_backoff_ms, 100);
        assert_int_equal(c->registry_response_max_bytes, 1048576);
        assert_int_equal(c->registry_startup_timeout_ms, 0);
        assert_true(c->registry_ssl_verify);
        assert_true(c->registry_auto_register);
        assert_int_equal(
            parse(c,
                  "registry.url=https://r.example:8081/apis/ccompat/v7\n"
                  "registry.basic.auth.user.info=u:p=w\n"
                  "registry.ssl.ca.location=/ca.pem\n"
                  "registry.ssl.certificate.location=/c.pem\n"
                  "registry.ssl.key.location=/k.pem\n"
                  "registry.ssl.verify=false\n"
                  "registry.auto.register=false\n"
                  "registry.timeout.ms=700\n"
                  "registry.connect.timeout.ms=300\n"
                  "registry.retries=0\n"
                  "registry.retry.backoff.ms=0\n"
                  "registry.response.max.bytes=4096\n"
                  "registry.startup.timeout.ms=60000\n"
                  "schemas.writers.dir=/w\n",
                  err, sizeof(err)),
            CF_OK);
        assert_string_equal(c->registry_url,
                            "https://r.example:8081/apis/ccompat/v7");
        assert_string_equal(c->registry_basic_auth, "u:p=w");
        assert_string_equal(c->registry_ssl_ca, "/ca.pem");
        assert_string_equal(c->registry_ssl_cert, "/c.pem");
        assert_string_equal(c->registry_ssl_key, "/k.pem");
        assert_false(c->registry_ssl_verify);
        assert_false(c->registry_auto_register);
        assert_int_equal(c->registry_timeout_ms, 700);
        assert_int_equal(c->registry_connect_timeout_ms, 300);
        assert_int_equal(c->registry_retries, 0);
        assert_int_equal(c->registry_retry_backoff_ms, 0);
        assert_int_equal(c->registry_response_max_bytes, 4096);
        assert_int_equal(c->registry_startup_timeout_ms, 60000);
        assert_string_equal(c->schemas_writers_dir, "/w");
        /* empty: unset again */
        assert_int_equal(
            parse(c, "registry.url=\nschemas.writers.dir= ", err, sizeof(err)),
            CF_OK);
        assert_null(c->registry_url);
        assert_null(c->schemas_writers_dir);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (parse(c, bad[i], err, sizeof(err)) != CF_ERR_USAGE)
                        fail_msg("accepted: %s", bad[i]);
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

static void test_run_keys(void **state) {
        cf_config_t *c = *state;
        char err[512];
        assert_int_equal(parse(c,
                               "group=g1\nmode=at-least-once\n"
                               "transactional.id=t-7\n",
                               err, sizeof(err)),
                         CF_OK);
        assert_string_equal(c->group, "g1");
        assert_int_equal(c->mode, CF_MODE_AT_LEAST_ONCE);
        assert_string_equal(c->transactional_id, "t-7");
        /* an optional string set empty is unset again */
        assert_int_equal(parse(c, "transactional.id=", err, sizeof(err)),
                         CF_OK);
        assert_null(c->transactional_id);
}

static void test_env_names(void **state) {
        static const char *const pairs[][2] = {
            {"batch.max.records", "CSPFLOW_BATCH_MAX_RECORDS"},
            {"kafka.sasl.password", "CSPFLOW_KAFKA_SASL_PASSWORD"},
            {"kafka.bootstrap.servers", "CSPFLOW_KAFKA_BOOTSTRAP_SERVERS"},
            {"kafka.ssl_key", "CSPFLOW_KAFKA_SSL__KEY"},
            {"kafka.a-b.c", "CSPFLOW_KAFKA_A___B_C"},
            {"topic.events", "CSPFLOW_TOPIC_EVENTS"},
            {"transactional.id", "CSPFLOW_TRANSACTIONAL_ID"},
        };
        char buf[128];
        (void)state;
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
                assert_true(cf_config_env_name(pairs[i][0], buf, sizeof(buf)));
                assert_string_equal(buf, pairs[i][1]);
                assert_true(
                    cf_config_key_from_env(pairs[i][1], buf, sizeof(buf)));
                assert_string_equal(buf, pairs[i][0]);
        }
        assert_false(cf_config_key_from_env("CSPFLOW_", buf, sizeof(buf)));
        assert_false(cf_config_key_from_env("CSPFLOW_a", buf, sizeof(buf)));
        assert_false(
            cf_config_key_from_env("CSPFLOW_A____B", buf, sizeof(buf)));
        assert_false(cf_config_key_from_env("OTHER_A", buf, sizeof(buf)));
        assert_false(cf_config_key_from_env("CSPFLOW_ABCDEF", buf, 4));
        assert_false(cf_config_env_name("batch.max.records", buf, 10));
        assert_true(cf_config_env_reserved("CSPFLOW_KAFKA_PORT"));
        assert_true(cf_config_env_reserved("CSPFLOW_BOOTSTRAP"));
        assert_false(cf_config_env_reserved("CSPFLOW_KAFKA_SASL_PASSWORD"));
}

static void test_env_layer(void **state) {
        cf_config_t *c = *state;
        char err[512];
        char *env[] = {"HOME=/root",
                       "CSPFLOW_BATCH_MAX_RECORDS=77",
                       "CSPFLOW_KAFKA_SASL_PASSWORD=hunter2",
                       "CSPFLOW_KAFKA_PORT=39092",
                       "CSPFLOW_BOOTSTRAP=127.0.0.1:9",
                       "CSPFLOW_MODE=at-least-once",
                       "cspflow_batch_max_ms=5",
                       NULL};
        char *bad_key[] = {"CSPFLOW_BATCH_MAX_RECORD=1", NULL};
        char *bad_value[] = {"CSPFLOW_TOPICS_PARTITIONS=many", NULL};
        char *bad_name[] = {"CSPFLOW_batch=1", NULL};

        assert_int_equal(
            parse(c, "batch.max.records=5\nbatch.max.ms=9\n", err, sizeof(err)),
            CF_OK);
        assert_int_equal(cf_config_env(c, env, err, sizeof(err)), CF_OK);
        /* the environment over the file, the file kept where unset */
        assert_int_equal(c->batch_max_records, 77);
        assert_int_equal(c->batch_max_ms, 9);
        assert_int_equal(c->mode, CF_MODE_AT_LEAST_ONCE);
        assert_string_equal(cf_config_kafka_get(c, "sasl.password"), "hunter2");
        /* the scripts' variables are not configuration */
        assert_null(cf_config_kafka_get(c, "port"));
        assert_int_equal(c->n_kafka, 1);
        assert_string_equal(cf_config_origin(c, "batch.max.records"),
                            "environment CSPFLOW_BATCH_MAX_RECORDS");
        assert_string_equal(cf_config_origin(c, "batch.max.ms"), "test.conf:2");
        assert_string_equal(cf_config_origin(c, "kafka.sasl.password"),
                            "environment CSPFLOW_KAFKA_SASL_PASSWORD");
        /* flags over the environment */
        assert_int_equal(cf_config_set(c, "batch.max.records", "3",
                                       "flag --set", err, sizeof(err)),
                         CF_OK);
        assert_int_equal(c->batch_max_records, 3);
        assert_string_equal(cf_config_origin(c, "batch.max.records"),
                            "flag --set");
        /* a wrong name or value names the variable */
        assert_int_equal(cf_config_env(c, bad_key, err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_string_equal(err, "environment CSPFLOW_BATCH_MAX_RECORD: "
                                 "unknown key 'batch.max.record'");
        assert_int_equal(cf_config_env(c, bad_value, err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_non_null(strstr(err, "environment CSPFLOW_TOPICS_PARTITIONS"));
        assert_non_null(strstr(err, "topics.partitions: 'many'"));
        assert_int_equal(cf_config_env(c, bad_name, err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_non_null(strstr(err, "CSPFLOW_batch"));
}

static void test_secrets(void **state) {
        static const char *const secret[] = {
            "kafka.sasl.password",
            "kafka.ssl.key.password",
            "kafka.sasl.jaas.config",
            "kafka.ssl.key.pem",
            "registry.basic.auth.user.info",
            "kafka.sasl.oauthbearer.client.secret",
            "kafka.sasl.oauthbearer.config",
            "registry.token",
            "kafka.SASL.PASSWORD",
        };
        static const char *const open_keys[] = {
            "kafka.sasl.username", "kafka.security.protocol", "topic.events",
            "kafka.ssl.key.location", "registry.url"};
        (void)state;
        for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
                if (!cf_log_secret_key(secret[i]))
                        fail_msg("not masked: %s", secret[i]);
        for (size_t i = 0; i < sizeof(open_keys) / sizeof(open_keys[0]); i++)
                if (cf_log_secret_key(open_keys[i]))
                        fail_msg("masked: %s", open_keys[i]);
}

/* The dump of c as a string (caller frees). */
static char *dump(const cf_config_t *c) {
        FILE *fp = tmpfile();
        char *text;
        long n;
        assert_non_null(fp);
        assert_int_equal(cf_config_dump(c, fp), 0);
        n = ftell(fp);
        assert_true(n > 0);
        rewind(fp);
        text = calloc(1, (size_t)n + 1);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        return text;
}

/* The line of the dump for key, without its trailing newline. */
static void dump_line(const char *text, const char *key, char *out,
                      size_t size) {
        size_t kn = strlen(key);
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                if (n > kn && strncmp(p, key, kn) == 0 && p[kn] == ' ') {
                        assert_true(n < size);
                        memcpy(out, p, n);
                        out[n] = '\0';
                        return;
                }
                p += n + (nl ? 1 : 0);
        }
        fail_msg("no line for %s", key);
}

/* Splits a dump line into its three columns (blank-separated). */
static void columns(char *line, char **key, char **value, char **origin) {
        char *save = NULL;
        *key = strtok_r(line, " ", &save);
        *value = strtok_r(NULL, " ", &save);
        *origin = save;
        while (*origin && **origin == ' ')
                (*origin)++;
}

static void test_dump(void **state) {
        cf_config_t *c = *state;
        char err[512], line[512], *k, *v, *o;
        char *env[] = {"CSPFLOW_KAFKA_SASL_JAAS_CONFIG=org.x required "
                       "password=\"p4ss\";",
                       "CSPFLOW_TOPIC_AUDIT=a.audit", NULL};
        char *text;

        assert_int_equal(parse(c,
                               "kafka.sasl.password=hunter2\n"
                               "kafka.sasl.username=alice\n"
                               "topics.partitions=4\n"
                               "kafka.x.url=https://bob:pw9@reg:8081/a\n",
                               err, sizeof(err)),
                         CF_OK);
        assert_int_equal(cf_config_env(c, env, err, sizeof(err)), CF_OK);
        assert_int_equal(
            cf_config_set(c, "group", "g2", "flag --group", err, sizeof(err)),
            CF_OK);
        text = dump(c);
        /* no secret anywhere */
        assert_null(strstr(text, "hunter2"));
        assert_null(strstr(text, "p4ss"));
        assert_null(strstr(text, "pw9"));
        dump_line(text, "kafka.x.url", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "https://bob:***@reg:8081/a");
        dump_line(text, "kafka.sasl.password", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "***");
        assert_string_equal(o, "test.conf:1");
        dump_line(text, "kafka.sasl.jaas.config", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "***");
        assert_string_equal(o, "environment CSPFLOW_KAFKA_SASL_JAAS_CONFIG");
        dump_line(text, "kafka.sasl.username", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "alice");
        dump_line(text, "topics.partitions", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "4");
        assert_string_equal(o, "test.conf:3");
        dump_line(text, "topic.audit", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "a.audit");
        assert_string_equal(o, "environment CSPFLOW_TOPIC_AUDIT");
        dump_line(text, "group", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "g2");
        assert_string_equal(o, "flag --group");
        dump_line(text, "batch.max.ms", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "100");
        assert_string_equal(o, "default");
        dump_line(text, "transactional.id", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "(unset)");
        dump_line(text, "mode", line, sizeof(line));
        columns(line, &k, &v, &o);
        assert_string_equal(v, "eos");
        free(text);
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
            cmocka_unit_test_setup_teardown(test_registry_keys, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
            cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
            cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_run_keys, setup, teardown),
            cmocka_unit_test(test_env_names),
            cmocka_unit_test_setup_teardown(test_env_layer, setup, teardown),
            cmocka_unit_test(test_secrets),
            cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
