/* common/log: JSON and text lines, levels, escaping, and redaction of the
 * secrets the configuration registers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"

static FILE *out;

static int setup(void **state) {
        (void)state;
        cf_log_reset();
        if (!(out = tmpfile()))
                return -1;
        cf_log_set_output(out);
        cf_log_set_format(CF_LOG_FORMAT_JSON);
        return 0;
}

static int teardown(void **state) {
        (void)state;
        cf_log_reset();
        fclose(out);
        return 0;
}

/* Everything logged since the last call (the file is emptied). */
static char *take(void) {
        long n;
        char *s;
        fflush(out);
        n = ftell(out);
        assert_true(n >= 0);
        s = malloc((size_t)n + 1);
        assert_non_null(s);
        rewind(out);
        assert_int_equal(fread(s, 1, (size_t)n, out), (size_t)n);
        s[n] = '\0';
        rewind(out);
        assert_int_equal(ftruncate(fileno(out), 0), 0);
        return s;
}

/* The one JSON line logged since the last take(). Caller decrefs. */
static json_t *take_json(void) {
        char *s = take();
        json_error_t e;
        json_t *o;
        size_t n = strlen(s);
        assert_true(n > 0 && s[n - 1] == '\n');
        assert_null(memchr(s, '\n', n - 1)); /* one line */
        o = json_loads(s, 0, &e);
        if (!o)
                fail_msg("not JSON: %s (%s)", s, e.text);
        free(s);
        return o;
}

static const char *field(json_t *o, const char *k) {
        const char *v = json_string_value(json_object_get(o, k));
        assert_non_null(v);
        return v;
}

static void test_json_line(void **state) {
        json_t *o;
        const char *ts;
        (void)state;
        cf_log(CF_LOG_INFO, "worker", "restored %d record(s) of \"%s\"", 3,
               "p1");
        o = take_json();
        assert_int_equal(json_object_size(o), 4);
        /* key order: ts, level, component, msg */
        assert_string_equal(json_object_iter_key(json_object_iter(o)), "ts");
        ts = field(o, "ts");
        /* 2024-05-01T12:00:00.123Z */
        assert_int_equal(strlen(ts), 24);
        assert_true(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' &&
                    ts[23] == 'Z');
        assert_string_equal(field(o, "level"), "info");
        assert_string_equal(field(o, "component"), "worker");
        assert_string_equal(field(o, "msg"), "restored 3 record(s) of \"p1\"");
        json_decref(o);
}

static void test_json_escapes_control_and_bad_utf8(void **state) {
        json_t *o;
        (void)state;
        cf_log(CF_LOG_WARN, "batch", "a\nb\tc \xff\xfe d \xc3\xa9");
        o = take_json();
        assert_string_equal(field(o, "level"), "warn");
        /* invalid bytes become '?', valid UTF-8 (é) stays */
        assert_string_equal(field(o, "msg"), "a\nb\tc ?? d \xc3\xa9");
        json_decref(o);
}

static void test_text_line(void **state) {
        char *s;
        (void)state;
        cf_log_set_format(CF_LOG_FORMAT_TEXT);
        cf_log(CF_LOG_ERROR, "run", "cannot start: %s\nnext", "why");
        s = take();
        /* "YYYY-MM-DDTHH:MM:SS.mmmZ ERROR run: ..." */
        assert_true(strlen(s) > 25 && s[24] == ' ');
        assert_string_equal(s + 25, "ERROR run: cannot start: why\\nnext\n");
        free(s);
        cf_log(CF_LOG_INFO, "x", "y");
        s = take();
        assert_string_equal(s + 25, "INFO  x: y\n");
        free(s);
}

static void test_levels(void **state) {
        char *s;
        (void)state;
        assert_int_equal(cf_log_get_level(), CF_LOG_INFO);
        cf_log(CF_LOG_DEBUG, "t", "hidden at info");
        s = take();
        assert_string_equal(s, "");
        free(s);

        cf_log_set_level(CF_LOG_WARN);
        assert_false(cf_log_enabled(CF_LOG_INFO));
        assert_true(cf_log_enabled(CF_LOG_ERROR));
        cf_log(CF_LOG_INFO, "t", "hidden at warn");
        cf_log(CF_LOG_WARN, "t", "shown");
        json_t *o = take_json();
        assert_string_equal(field(o, "msg"), "shown");
        json_decref(o);

        cf_log_set_level(CF_LOG_DEBUG);
        cf_log(CF_LOG_DEBUG, "t", "shown too");
        o = take_json();
        assert_string_equal(field(o, "level"), "debug");
        json_decref(o);

        assert_int_equal(cf_log_level_from_name("error"), CF_LOG_ERROR);
        assert_int_equal(cf_log_level_from_name("warn"), CF_LOG_WARN);
        assert_int_equal(cf_log_level_from_name("warning"), CF_LOG_WARN);
        assert_int_equal(cf_log_level_from_name("info"), CF_LOG_INFO);
        assert_int_equal(cf_log_level_from_name("debug"), CF_LOG_DEBUG);
        assert_int_equal(cf_log_level_from_name("INFO"), -1);
        assert_int_equal(cf_log_level_from_name("trace"), -1);
        assert_int_equal(cf_log_format_from_name("json"), CF_LOG_FORMAT_JSON);
        assert_int_equal(cf_log_format_from_name("text"), CF_LOG_FORMAT_TEXT);
        assert_int_equal(cf_log_format_from_name("auto"), CF_LOG_FORMAT_AUTO);
        assert_int_equal(cf_log_format_from_name("xml"), -1);
        /* librdkafka's syslog levels */
        assert_int_equal(cf_log_level_from_syslog(3), CF_LOG_ERROR);
        assert_int_equal(cf_log_level_from_syslog(4), CF_LOG_WARN);
        assert_int_equal(cf_log_level_from_syslog(5), CF_LOG_INFO);
        assert_int_equal(cf_log_level_from_syslog(6), CF_LOG_INFO);
        assert_int_equal(cf_log_level_from_syslog(7), CF_LOG_DEBUG);
}

static void test_secret_keys(void **state) {
        (void)state;
        assert_true(cf_log_secret_key("kafka.sasl.password"));
        assert_true(cf_log_secret_key("kafka.ssl.key.password"));
        assert_true(cf_log_secret_key("kafka.ssl.keystore.password"));
        assert_true(cf_log_secret_key("kafka.sasl.oauthbearer.config"));
        assert_true(cf_log_secret_key("kafka.sasl.oauthbearer.client.id"));
        assert_true(cf_log_secret_key("kafka.sasl.jaas.config"));
        assert_true(cf_log_secret_key("kafka.ssl.key.pem"));
        assert_true(cf_log_secret_key("registry.basic.auth.user.info"));
        assert_true(cf_log_secret_key("registry.bearer.auth.token"));
        assert_true(cf_log_secret_key("some.client.SECRET"));
        assert_false(cf_log_secret_key("kafka.sasl.username"));
        assert_false(cf_log_secret_key("kafka.bootstrap.servers"));
        assert_false(cf_log_secret_key("topic.events"));
}

/* The message of the one JSON line logged for fmt. Caller frees. */
static char *logged(const char *msg) {
        json_t *o;
        char *s;
        cf_log(CF_LOG_ERROR, "t", "%s", msg);
        o = take_json();
        s = strdup(field(o, "msg"));
        json_decref(o);
        return s;
}

static void assert_logged(const char *msg, const char *want) {
        char *got = logged(msg);
        assert_string_equal(got, want);
        free(got);
}

static void test_redaction_of_config_secrets(void **state) {
        cf_config_t c;
        char err[256];
        static const char text[] =
            "kafka.sasl.username=alice\n"
            "kafka.sasl.password=hunter2-pw\n"
            "kafka.ssl.key.password=k3y-pass\n"
            "kafka.sasl.oauthbearer.config=principal=bob secret=0b-tok\n"
            "kafka.sasl.jaas.config=org.Plain required username=\"u\" "
            "password=\"jaas-pw\";\n"
            "kafka.bootstrap.servers=broker:9092\n";
        (void)state;
        assert_int_equal(cf_config_init(&c), CF_OK);
        assert_int_equal(
            cf_config_parse(&c, text, strlen(text), "t.conf", err, sizeof(err)),
            CF_OK);
        assert_logged("sasl.password=hunter2-pw; key k3y-pass",
                      "sasl.password=***; key ***");
        /* a whole value and the secrets within it */
        assert_logged("conf principal=bob secret=0b-tok.", "conf ***.");
        assert_logged("jaas-pw alone", "*** alone");
        assert_logged("twice: hunter2-pwhunter2-pw", "twice: ******");
        /* what no secret key holds stays */
        assert_logged("user alice at broker:9092", "user alice at broker:9092");
        /* part of a secret is not the secret */
        assert_logged("hunter2 hunter2-p", "hunter2 hunter2-p");
        cf_config_clear(&c);
}

static void test_redaction_of_urls_and_user_info(void **state) {
        (void)state;
        assert_int_equal(cf_log_register_config(
                             "registry.url", "https://reg:url-pw@host:8081/"),
                         CF_OK);
        assert_int_equal(cf_log_register_config("registry.basic.auth.user.info",
                                                "reguser:info-pw"),
                         CF_OK);
        assert_logged("GET https://reg:url-pw@host:8081/subjects",
                      "GET https://reg:***@host:8081/subjects");
        assert_logged("auth info-pw as reguser:info-pw", "auth *** as ***");
        /* a URL without a password registers nothing */
        assert_int_equal(
            cf_log_register_config("registry.url", "https://host:8081/"),
            CF_OK);
        assert_logged("host", "host");
}

static void test_redaction_longest_first_and_in_text(void **state) {
        char *s;
        (void)state;
        assert_int_equal(cf_log_add_secret("abc"), CF_OK);
        assert_int_equal(cf_log_add_secret("abcdef"), CF_OK);
        assert_int_equal(cf_log_add_secret(""), CF_OK); /* ignored */
        assert_logged("xabcdefx abcx", "x***x ***x");
        cf_log_set_format(CF_LOG_FORMAT_TEXT);
        cf_log(CF_LOG_INFO, "t", "in text abcdef");
        s = take();
        assert_non_null(strstr(s, "t: in text ***\n"));
        assert_null(strstr(s, "abc"));
        free(s);
}

/* A message longer than CF_LOG_MSG_MAX is cut; a secret that the cut
 * splits is masked all the same (its head never shows). */
static void test_cut_message_masks_a_split_secret(void **state) {
        const size_t big = CF_LOG_MSG_MAX - 4;
        char *msg = malloc(big + 64);
        char *got;
        (void)state;
        assert_non_null(msg);
        assert_int_equal(cf_log_add_secret("SPLITSECRET"), CF_OK);
        memset(msg, 'a', big);
        memcpy(msg + big, "SPLITSECRET-tail", 17);
        memcpy(msg + 10, "SPLITSECRET", 11);
        got = logged(msg);
        /* 11 + 4 bytes of secrets became 3 + 3, plus the cut mark */
        assert_int_equal(strlen(got), CF_LOG_MSG_MAX - 9 + 3);
        assert_null(strstr(got, "SPL"));
        assert_memory_equal(got, "aaaaaaaaaa***aaaa", 17);
        /* the head of the split secret is masked, then the cut mark */
        assert_string_equal(got + strlen(got) - 7, "a***...");
        free(got);
        free(msg);
}

static void test_config_log_keys(void **state) {
        cf_config_t c;
        char err[256];
        (void)state;
        assert_int_equal(cf_config_init(&c), CF_OK);
        assert_string_equal(c.log_level, "info");
        assert_string_equal(c.log_format, "auto");
        assert_null(c.http_listen);
        assert_int_equal(
            cf_config_set(&c, "log.level", "debug", "test", err, sizeof(err)),
            CF_OK);
        assert_int_equal(
            cf_config_set(&c, "log.format", "json", "test", err, sizeof(err)),
            CF_OK);
        assert_int_equal(cf_config_set(&c, "http.listen", "127.0.0.1:9100",
                                       "test", err, sizeof(err)),
                         CF_OK);
        assert_string_equal(c.log_level, "debug");
        assert_string_equal(c.http_listen, "127.0.0.1:9100");
        assert_int_equal(
            cf_config_set(&c, "log.level", "loud", "test", err, sizeof(err)),
            CF_ERR_USAGE);
        assert_string_equal(err, "test: log.level: 'loud' is not one of "
                                 "error, warn, info, debug");
        assert_int_equal(
            cf_config_set(&c, "log.format", "", "test", err, sizeof(err)),
            CF_ERR_USAGE);
        assert_string_equal(err, "test: log.format: '' is not one of auto, "
                                 "json, text");
        cf_config_clear(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_json_escapes_control_and_bad_utf8, setup, teardown),
            cmocka_unit_test_setup_teardown(test_text_line, setup, teardown),
            cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
            cmocka_unit_test_setup_teardown(test_secret_keys, setup, teardown),
            cmocka_unit_test_setup_teardown(test_redaction_of_config_secrets,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_redaction_of_urls_and_user_info, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_redaction_longest_first_and_in_text, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_cut_message_masks_a_split_secret, setup, teardown),
            cmocka_unit_test_setup_teardown(test_config_log_keys, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
