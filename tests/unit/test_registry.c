/* The schema registry client (registry/registry.h) against the test
 * double tests/registry/fake_registry.py, started here on
 * $CSPFLOW_REGISTRY_TEST_PORT (default 18101) and, with basic auth, the
 * port after it: registering and looking up, the caches, unknown ids and
 * subjects, 500s retried then answered, persistent 500s, timeouts, an
 * oversize answer, a refused connection, basic auth. Run from the source
 * tree (CTest does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry/registry.h"
#include "registry_fixture.h"

#define SCHEMA_A "{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}"
#define SCHEMA_B                                                               \
        "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"x\","     \
        "\"type\":\"int\"}]}"

static fake_t plain, authed;

static int setup(void **state) {
        (void)state;
        if (fake_start(&plain, port_base(), NULL) != 0 ||
            fake_start(&authed, port_base() + 1, "alice:s3cret") != 0) {
                fake_stop(&plain);
                fake_stop(&authed);
                return -1;
        }
        return 0;
}

static int teardown(void **state) {
        (void)state;
        fake_stop(&plain);
        fake_stop(&authed);
        return 0;
}

static int reset(void **state) {
        (void)state;
        faults(&plain, NULL);
        return 0;
}

static cf_registry_opts_t opts(const char *url) {
        cf_registry_opts_t o;
        memset(&o, 0, sizeof(o));
        o.url = url;
        o.timeout_ms = 2000;
        o.connect_timeout_ms = 1000;
        o.retries = 2;
        o.retry_backoff_ms = 10;
        o.response_max_bytes = 65536;
        o.ssl_verify = true;
        o.quiet = true;
        return o;
}

static cf_registry_t *client(const cf_registry_opts_t *o) {
        cf_registry_t *r = NULL;
        char err[256] = "";
        assert_int_equal(cf_registry_new(o, &r, err, sizeof(err)), CF_OK);
        return r;
}

static void test_register_and_fetch(void **state) {
        cf_registry_opts_t o = opts(plain.url);
        cf_registry_t *r = client(&o);
        int32_t a = -1, a2 = -1, b = -1, again = -1;
        char err[512] = "", *text = NULL;
        size_t len = 0;
        uint64_t n;
        (void)state;

        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &a, err,
                                              sizeof(err)),
                         CF_OK);
        assert_true(a > 0);
        n = cf_registry_requests(r);
        /* cached: no request */
        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &again,
                                              err, sizeof(err)),
                         CF_OK);
        assert_int_equal(again, a);
        assert_true(cf_registry_requests(r) == n);
        /* another subject, same schema: asked, same id */
        assert_int_equal(cf_registry_register(r, "u-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), true, &a2, err,
                                              sizeof(err)),
                         CF_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(err, "40401"));
        assert_int_equal(cf_registry_register(r, "u-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &a2, err,
                                              sizeof(err)),
                         CF_OK);
        assert_int_equal(a2, a);
        assert_int_equal(cf_registry_register(r, "t-io.x.B", SCHEMA_B,
                                              strlen(SCHEMA_B), false, &b, err,
                                              sizeof(err)),
                         CF_OK);
        assert_int_not_equal(b, a);
        /* lookup only: found, never registered */
        cf_registry_destroy(r);
        r = client(&o);
        assert_int_equal(cf_registry_register(r, "t-io.x.B", SCHEMA_B,
                                              strlen(SCHEMA_B), true, &again,
                                              err, sizeof(err)),
                         CF_OK);
        assert_int_equal(again, b);
        assert_int_equal(cf_registry_register(r, "t-io.x.B", SCHEMA_A,
                                              strlen(SCHEMA_A), true, &again,
                                              err, sizeof(err)),
                         CF_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(err, "40403"));
        /* by id, cached after the first */
        assert_int_equal(
            cf_registry_schema(r, b, &text, &len, err, sizeof(err)), CF_OK);
        assert_string_equal(text, SCHEMA_B);
        assert_int_equal(len, strlen(SCHEMA_B));
        free(text);
        n = cf_registry_requests(r);
        assert_int_equal(
            cf_registry_schema(r, b, &text, &len, err, sizeof(err)), CF_OK);
        assert_true(cf_registry_requests(r) == n);
        free(text);
        /* an id the registry never gave */
        assert_int_equal(
            cf_registry_schema(r, 987654, &text, &len, err, sizeof(err)),
            CF_ERR_UNKNOWN_SCHEMA);
        assert_null(text);
        assert_non_null(strstr(err, "40403"));
        /* not a schema: 422, not retried */
        n = cf_registry_requests(r);
        assert_int_equal(cf_registry_register(r, "t-bad", "42", 2, false,
                                              &again, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_non_null(strstr(err, "42201"));
        assert_true(cf_registry_requests(r) == n + 1);
        cf_registry_destroy(r);
}

static void test_500_retried(void **state) {
        cf_registry_opts_t o = opts(plain.url);
        cf_registry_t *r;
        char err[512] = "", *text = NULL;
        size_t len = 0;
        int32_t id = -1;
        (void)state;

        o.retries = 3;
        r = client(&o);
        faults(&plain, "{\"fail\": 2, \"status\": 503}");
        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &id, err,
                                              sizeof(err)),
                         CF_OK);
        assert_true(cf_registry_requests(r) == 3);
        /* persistent: every attempt fails, a clear error */
        faults(&plain, "{\"fail\": 100, \"status\": 500}");
        assert_int_equal(
            cf_registry_schema(r, id + 1000, &text, &len, err, sizeof(err)),
            CF_ERR_IO);
        assert_true(cf_registry_requests(r) == 3 + 4);
        assert_non_null(strstr(err, "HTTP 500"));
        assert_non_null(strstr(err, "50001"));
        assert_non_null(strstr(err, plain.url));
        cf_registry_destroy(r);
}

static void test_timeout(void **state) {
        cf_registry_opts_t o = opts(plain.url);
        cf_registry_t *r;
        char err[512] = "", *text = NULL;
        size_t len = 0;
        (void)state;

        o.timeout_ms = 200;
        o.retries = 1;
        r = client(&o);
        faults(&plain, "{\"delay_ms\": 1500}");
        assert_int_equal(
            cf_registry_schema(r, 1, &text, &len, err, sizeof(err)), CF_ERR_IO);
        assert_true(cf_registry_requests(r) == 2);
        assert_non_null(strstr(err, "imed out"));
        cf_registry_destroy(r);
}

static void test_oversize(void **state) {
        cf_registry_opts_t o = opts(plain.url);
        cf_registry_t *r;
        char err[512] = "", *text = NULL;
        size_t len = 0;
        int32_t id = -1;
        (void)state;

        o.response_max_bytes = 4096;
        r = client(&o);
        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &id, err,
                                              sizeof(err)),
                         CF_OK);
        faults(&plain, "{\"oversize\": 100000}");
        assert_int_equal(
            cf_registry_schema(r, id, &text, &len, err, sizeof(err)),
            CF_ERR_LIMIT);
        assert_null(text);
        assert_non_null(strstr(err, "registry.response.max.bytes"));
        assert_true(cf_registry_requests(r) == 2); /* not retried */
        cf_registry_destroy(r);
}

static void test_unreachable(void **state) {
        cf_registry_opts_t o = opts("http://127.0.0.1:1");
        cf_registry_t *r = client(&o);
        char err[512] = "", *text = NULL;
        size_t len = 0;
        (void)state;

        assert_int_equal(
            cf_registry_schema(r, 1, &text, &len, err, sizeof(err)), CF_ERR_IO);
        assert_true(cf_registry_requests(r) == 3);
        assert_non_null(strstr(err, "127.0.0.1:1"));
        cf_registry_destroy(r);
}

static void test_basic_auth(void **state) {
        char url[160], err[512] = "";
        cf_registry_opts_t o = opts(authed.url);
        cf_registry_t *r = client(&o);
        int32_t id = -1;
        (void)state;

        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &id, err,
                                              sizeof(err)),
                         CF_ERR_INVALID);
        assert_non_null(strstr(err, "401"));
        cf_registry_destroy(r);
        o.basic_auth = "alice:s3cret";
        r = client(&o);
        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &id, err,
                                              sizeof(err)),
                         CF_OK);
        cf_registry_destroy(r);
        /* credentials in the URL work and are never shown */
        snprintf(url, sizeof(url), "http://alice:wrong@127.0.0.1:%d/",
                 authed.port);
        o = opts(url);
        r = client(&o);
        assert_string_equal(cf_registry_url(r), authed.url);
        assert_int_equal(cf_registry_register(r, "t-io.x.B", SCHEMA_B,
                                              strlen(SCHEMA_B), false, &id, err,
                                              sizeof(err)),
                         CF_ERR_INVALID);
        assert_null(strstr(err, "wrong"));
        cf_registry_destroy(r);
}

static void test_bounded_cache(void **state) {
        cf_registry_opts_t o = opts(plain.url);
        cf_registry_t *r;
        char err[512] = "", *text = NULL;
        size_t len = 0;
        int32_t a = -1, b = -1;
        uint64_t n;
        (void)state;

        o.cache_max = 1;
        r = client(&o);
        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &a, err,
                                              sizeof(err)),
                         CF_OK);
        assert_int_equal(cf_registry_register(r, "t-io.x.B", SCHEMA_B,
                                              strlen(SCHEMA_B), false, &b, err,
                                              sizeof(err)),
                         CF_OK);
        n = cf_registry_requests(r);
        assert_int_equal(cf_registry_register(r, "t-io.x.A", SCHEMA_A,
                                              strlen(SCHEMA_A), false, &a, err,
                                              sizeof(err)),
                         CF_OK);
        assert_true(cf_registry_requests(r) == n + 1); /* A was evicted */
        assert_int_equal(
            cf_registry_schema(r, a, &text, &len, err, sizeof(err)), CF_OK);
        free(text);
        assert_int_equal(
            cf_registry_schema(r, b, &text, &len, err, sizeof(err)), CF_OK);
        free(text);
        n = cf_registry_requests(r);
        assert_int_equal(
            cf_registry_schema(r, a, &text, &len, err, sizeof(err)), CF_OK);
        free(text);
        assert_true(cf_registry_requests(r) == n + 1);
        cf_registry_destroy(r);
}

static void test_bad_options(void **state) {
        cf_registry_opts_t o = opts("ftp://127.0.0.1/");
        cf_registry_t *r = NULL;
        char err[256] = "";
        (void)state;

        assert_int_equal(cf_registry_new(&o, &r, err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_null(r);
        assert_non_null(strstr(err, "registry.url"));
        o = opts(plain.url);
        o.timeout_ms = 0;
        assert_int_equal(cf_registry_new(&o, &r, err, sizeof(err)),
                         CF_ERR_USAGE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_register_and_fetch, reset),
            cmocka_unit_test_setup(test_500_retried, reset),
            cmocka_unit_test_setup(test_timeout, reset),
            cmocka_unit_test_setup(test_oversize, reset),
            cmocka_unit_test_setup(test_unreachable, reset),
            cmocka_unit_test_setup(test_basic_auth, reset),
            cmocka_unit_test_setup(test_bounded_cache, reset),
            cmocka_unit_test_setup(test_bad_options, reset),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
