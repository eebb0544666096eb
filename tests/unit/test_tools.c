/* What replay, inspect and the restore share: schemas/event_diff (the
 * fields two events differ in), schemas/input (a decoded input checked as
 * the worker checks it) and common/progress (plain lines
 * through the logger off a terminal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/progress.h"
#include "schemas/event_diff.h"
#include "schemas/input.h"
#include "schemas/json_codec.h"

#define PROV                                                                   \
        "{\"type\":\"provision-requested\",\"event_id\":\"o1\","               \
        "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","       \
        "\"customer_tenant_id\":\"t\",\"causation_id\":\"e1\","                \
        "\"request_id\":\"r1\",\"source_subscription_id\":\"s1\","             \
        "\"offer_id\":\"O\",\"quantity\":3,\"same_offer\":true}"
#define ACCEPT                                                                 \
        "{\"type\":\"invitation-accepted\",\"event_id\":\"e2\","               \
        "\"occurred_at\":\"2026-03-02T09:00:00Z\",\"partner_id\":\"p\","       \
        "\"customer_tenant_id\":\"t\"}"

typedef struct seen_s {
        char fields[8][64];
        char a[8][64], b[8][64];
        int n;
} seen_t;

static int collect(void *opaque, const char *field, const char *a,
                   const char *b) {
        seen_t *s = opaque;
        snprintf(s->fields[s->n], sizeof(s->fields[0]), "%s", field);
        snprintf(s->a[s->n], sizeof(s->a[0]), "%s", a);
        snprintf(s->b[s->n], sizeof(s->b[0]), "%s", b);
        s->n++;
        return 0;
}

static void load(const char *json, cf_event_t *ev) {
        char detail[256];
        assert_int_equal(cf_json_decode_event(json, strlen(json), ev, detail,
                                              sizeof(detail)),
                         CF_REJ_NONE);
}

static void test_event_diff(void **state) {
        cf_event_t a, b;
        seen_t s;
        size_t n = 99;
        (void)state;
        cf_event_init(&a);
        cf_event_init(&b);
        load(PROV, &a);
        load(PROV, &b);
        memset(&s, 0, sizeof(s));
        assert_int_equal(cf_event_diff(&a, &b, collect, &s, &n), CF_OK);
        assert_int_equal(n, 0);
        assert_int_equal(s.n, 0);
        b.quantity = 4;
        snprintf(b.offer_id, sizeof(b.offer_id), "O2");
        assert_int_equal(cf_event_diff(&a, &b, collect, &s, &n), CF_OK);
        assert_int_equal(n, 2);
        assert_string_equal(s.fields[0], "offer_id"); /* a's field order */
        assert_string_equal(s.a[0], "\"O\"");
        assert_string_equal(s.b[0], "\"O2\"");
        assert_string_equal(s.fields[1], "quantity");
        assert_string_equal(s.a[1], "3");
        assert_string_equal(s.b[1], "4");
        /* a field only one side has */
        memset(&s, 0, sizeof(s));
        assert_int_equal(cf_event_diff_json("{\"x\":1}", "{\"x\":1,\"y\":[2]}",
                                            collect, &s, &n),
                         CF_OK);
        assert_int_equal(n, 1);
        assert_string_equal(s.fields[0], "y");
        assert_string_equal(s.a[0], "(absent)");
        assert_string_equal(s.b[0], "[2]");
        assert_int_equal(cf_event_diff_json("[1]", "{}", collect, &s, &n),
                         CF_ERR_INVALID);
        cf_event_clear(&a);
        cf_event_clear(&b);
}

static void test_input_check(void **state) {
        cf_event_t in;
        char detail[256];
        (void)state;
        cf_event_init(&in);
        load(ACCEPT, &in);
        /* the right key */
        assert_int_equal(cf_input_check(&in, "p/t", 3, detail, sizeof(detail)),
                         CF_REJ_NONE);
        /* another key, or none */
        assert_int_equal(cf_input_check(&in, "p/x", 3, detail, sizeof(detail)),
                         CF_REJ_INVALID_VALUE);
        assert_non_null(strstr(detail, "\"p/t\""));
        assert_int_equal(cf_input_check(&in, "p/t/", 4, detail, sizeof(detail)),
                         CF_REJ_INVALID_VALUE);
        assert_int_equal(cf_input_check(&in, NULL, 0, detail, sizeof(detail)),
                         CF_REJ_INVALID_VALUE);
        assert_non_null(strstr(detail, "null"));
        /* an output event is not an input */
        load(PROV, &in);
        assert_int_equal(cf_input_check(&in, "p/t", 3, detail, sizeof(detail)),
                         CF_REJ_NOT_AN_INPUT);
        assert_non_null(strstr(detail, "provision-requested"));
        cf_event_clear(&in);
}

static void test_progress_plain_lines(void **state) {
        FILE *logs = tmpfile(), *out = tmpfile();
        cf_progress_t *p;
        char text[2048];
        size_t n;
        (void)state;
        assert_non_null(logs);
        assert_non_null(out);
        cf_log_set_output(logs);
        cf_log_set_format(CF_LOG_FORMAT_TEXT);
        p = cf_progress_new("replay", "events", out); /* a file: no bar */
        assert_non_null(p);
        cf_progress_update(p, 5, 10); /* too soon for a line */
        cf_progress_done(p, 10);
        cf_progress_destroy(p);
        cf_progress_update(NULL, 1, 2); /* NULL is a no-op */
        cf_progress_done(NULL, 1);
        cf_progress_destroy(NULL);
        fflush(logs);
        rewind(logs);
        n = fread(text, 1, sizeof(text) - 1, logs);
        text[n] = '\0';
        assert_non_null(strstr(text, "replay: events done: 10/10 (100%)"));
        assert_null(strstr(text, "5/10"));
        assert_int_equal(ftell(out), 0); /* nothing drawn on the stream */
        cf_log_reset();
        fclose(logs);
        fclose(out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_event_diff),
            cmocka_unit_test(test_input_check),
            cmocka_unit_test(test_progress_plain_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
