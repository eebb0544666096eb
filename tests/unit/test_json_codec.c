/* schemas/json_codec: strict decoding, deterministic encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_time.h"
#include "schemas/json_codec.h"

#define REQ                                                                    \
        "{\"type\":\"migration-requested\",\"event_id\":\"e1\","               \
        "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","       \
        "\"customer_tenant_id\":\"t\",\"correlation_id\":\"c\","               \
        "\"actor\":{\"user_id\":\"u\",\"roles\":[\"account-admin\","           \
        "\"sales-agent\"]},\"partner_region\":\"EU\","                         \
        "\"customer_tenant_region\":\"eu\",\"multi_channel\":true,"            \
        "\"delegated_admin\":false,\"source_subscriptions\":[{"                \
        "\"subscription_id\":\"s1\",\"offer_id\":\"O\",\"quantity\":3,"        \
        "\"channel\":\"microsoft-direct\","                                    \
        "\"expires_at\":\"2026-06-30T23:59:59.500Z\"}]}"

static cf_reject_t decode(const char *s, cf_event_t *ev, char *detail) {
        return cf_json_decode_event(s, strlen(s), ev, detail, 256);
}

static void test_decode_all_kinds(void **state) {
        cf_event_t ev;
        char detail[256];
        (void)state;
        cf_event_init(&ev);
        assert_int_equal(decode(REQ, &ev, detail), CF_REJ_NONE);
        assert_int_equal(ev.type, CF_EV_MIGRATION_REQUESTED);
        assert_string_equal(ev.event_id, "e1");
        assert_int_equal(ev.occurred_at, INT64_C(1772355600000));
        assert_string_equal(ev.correlation_id, "c");
        assert_string_equal(ev.actor_user_id, "u");
        assert_int_equal(ev.n_roles, 2);
        assert_string_equal(ev.roles[1], "sales-agent");
        assert_true(ev.multi_channel);
        assert_false(ev.delegated_admin);
        assert_int_equal(ev.n_subs, 1);
        assert_string_equal(ev.subs[0].source_subscription_id, "s1");
        assert_int_equal(ev.subs[0].quantity, 3);
        assert_int_equal(ev.subs[0].channel, CF_CH_MICROSOFT_DIRECT);
        assert_int_equal(ev.subs[0].expires_at % 1000, 500);
        cf_event_clear(&ev);
}

static void test_roundtrip_is_identity(void **state) {
        cf_event_t ev;
        char detail[256], *out;
        (void)state;
        cf_event_init(&ev);
        assert_int_equal(decode(REQ, &ev, detail), CF_REJ_NONE);
        out = cf_json_encode_event(&ev);
        assert_non_null(out);
        assert_string_equal(out, REQ);
        free(out);
        cf_event_clear(&ev);
}

static void test_optional_and_unknown_members(void **state) {
        cf_event_t ev;
        char detail[256], *out;
        const char *in = "{\"extra\":1,\"type\":\"offer-discontinued\","
                         "\"event_id\":\"e\",\"occurred_at\":"
                         "\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
                         "\"customer_tenant_id\":\"t\",\"correlation_id\":"
                         "null,\"offer_id\":\"O\"}";
        (void)state;
        cf_event_init(&ev);
        assert_int_equal(decode(in, &ev, detail), CF_REJ_NONE);
        assert_string_equal(ev.successor_offer_id, "");
        out = cf_json_encode_event(&ev);
        assert_string_equal(out,
                            "{\"type\":\"offer-discontinued\",\"event_id\":"
                            "\"e\",\"occurred_at\":\"2026-03-01T09:00:00Z\","
                            "\"partner_id\":\"p\",\"customer_tenant_id\":"
                            "\"t\",\"offer_id\":\"O\"}");
        free(out);
        cf_event_clear(&ev);
}

typedef struct bad_s {
        const char *json;
        cf_reject_t want;
        const char *detail_has;
} bad_t;

static void test_rejections(void **state) {
        static const bad_t bad[] = {
            {"", CF_REJ_MALFORMED, "invalid JSON"},
            {"{\"type\":", CF_REJ_MALFORMED, "invalid JSON"},
            {"42", CF_REJ_MALFORMED, "invalid JSON"},
            {"[]", CF_REJ_MALFORMED, "not a JSON object"},
            {"{\"type\":\"a\",\"type\":\"b\"}", CF_REJ_MALFORMED, "duplicate"},
            {"{}", CF_REJ_MISSING_FIELD, "type"},
            {"{\"type\":null}", CF_REJ_WRONG_TYPE, "type"},
            {"{\"type\":\"nope\"}", CF_REJ_UNKNOWN_TYPE, "nope"},
            {"{\"type\":\"relationship-terminated\",\"event_id\":\"e\","
             "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\"}",
             CF_REJ_MISSING_FIELD, "customer_tenant_id"},
            {"{\"type\":\"relationship-terminated\",\"event_id\":\"\","
             "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
             "\"customer_tenant_id\":\"t\"}",
             CF_REJ_INVALID_VALUE, "event_id"},
            {"{\"type\":\"relationship-terminated\",\"event_id\":1,"
             "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
             "\"customer_tenant_id\":\"t\"}",
             CF_REJ_WRONG_TYPE, "event_id"},
            {"{\"type\":\"relationship-terminated\",\"event_id\":\"a\\u0000b\","
             "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
             "\"customer_tenant_id\":\"t\"}",
             CF_REJ_INVALID_VALUE, "NUL"},
            {"{\"type\":\"subscription-provisioned\",\"event_id\":\"e\","
             "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
             "\"customer_tenant_id\":\"t\",\"source_subscription_id\":\"s\","
             "\"subscription_id\":\"n\",\"offer_id\":\"O\","
             "\"quantity\":4294967296}",
             CF_REJ_INVALID_VALUE, "quantity"},
            {"{\"type\":\"subscription-provisioned\",\"event_id\":\"e\","
             "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
             "\"customer_tenant_id\":\"t\",\"source_subscription_id\":\"s\","
             "\"subscription_id\":\"n\",\"offer_id\":\"O\",\"quantity\":1.5}",
             CF_REJ_WRONG_TYPE, "quantity"},
        };
        cf_event_t ev;
        char detail[256];
        (void)state;
        cf_event_init(&ev);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cf_reject_t r = decode(bad[i].json, &ev, detail);
                if (r != bad[i].want || !strstr(detail, bad[i].detail_has))
                        fail_msg("case %zu: got %s \"%s\", want %s \"%s\"", i,
                                 cf_reject_name(r), detail,
                                 cf_reject_name(bad[i].want),
                                 bad[i].detail_has);
        }
        cf_event_clear(&ev);
}

static void test_caps(void **state) {
        cf_event_t ev;
        char detail[256];
        char *big;
        size_t n = 0, cap = 64 * 1024;
        (void)state;
        cf_event_init(&ev);
        big = malloc(cap);
        assert_non_null(big);
        /* 17 roles: one over CF_ROLES_MAX. */
        n += (size_t)snprintf(big + n, cap - n,
                              "{\"type\":\"migration-requested\","
                              "\"event_id\":\"e\",\"occurred_at\":"
                              "\"2026-03-01T09:00:00Z\",\"partner_id\":\"p\","
                              "\"customer_tenant_id\":\"t\",\"actor\":"
                              "{\"user_id\":\"u\",\"roles\":[");
        for (int i = 0; i <= CF_ROLES_MAX; i++)
                n += (size_t)snprintf(big + n, cap - n, "%s\"r%d\"",
                                      i ? "," : "", i);
        snprintf(big + n, cap - n, "]}}");
        assert_int_equal(decode(big, &ev, detail), CF_REJ_OVER_LIMIT);
        assert_non_null(strstr(detail, "actor.roles"));
        /* An id one byte over CF_ID_MAX; then exactly at it. */
        n = (size_t)snprintf(big, cap,
                             "{\"type\":\"relationship-terminated\","
                             "\"event_id\":\"e\",\"occurred_at\":"
                             "\"2026-03-01T09:00:00Z\",\"partner_id\":\"");
        memset(big + n, 'x', CF_ID_MAX + 1);
        snprintf(big + n + CF_ID_MAX + 1, cap - n - CF_ID_MAX - 1,
                 "\",\"customer_tenant_id\":\"t\"}");
        assert_int_equal(decode(big, &ev, detail), CF_REJ_OVER_LIMIT);
        memmove(big + n + CF_ID_MAX, big + n + CF_ID_MAX + 1,
                strlen(big + n + CF_ID_MAX + 1) + 1);
        assert_int_equal(decode(big, &ev, detail), CF_REJ_NONE);
        assert_int_equal(strlen(ev.partner_id), CF_ID_MAX);
        free(big);
        cf_event_clear(&ev);
}

static void test_event_id_kept_on_failure(void **state) {
        cf_event_t ev;
        char detail[256];
        (void)state;
        cf_event_init(&ev);
        assert_int_equal(
            decode("{\"event_id\":\"keep-me\",\"type\":\"x\"}", &ev, detail),
            CF_REJ_UNKNOWN_TYPE);
        assert_string_equal(ev.event_id, "keep-me");
        cf_event_clear(&ev);
}

static void test_encode_refuses_broken_model(void **state) {
        cf_event_t ev;
        (void)state;
        cf_event_init(&ev);
        assert_null(cf_json_encode_event(&ev)); /* CF_EV_NONE */
        ev.type = CF_EV_MIGRATION_BLOCKED;
        ev.reason_code = 99;
        assert_null(cf_json_encode_event(&ev));
        ev.reason_code = 0;
        ev.occurred_at = CF_TIME_MAX + 1;
        assert_null(cf_json_encode_event(&ev));
        cf_event_clear(&ev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decode_all_kinds),
            cmocka_unit_test(test_roundtrip_is_identity),
            cmocka_unit_test(test_optional_and_unknown_members),
            cmocka_unit_test(test_rejections),
            cmocka_unit_test(test_caps),
            cmocka_unit_test(test_event_id_kept_on_failure),
            cmocka_unit_test(test_encode_refuses_broken_model),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
