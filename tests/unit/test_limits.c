/* The configurable caps of common/limits.h (docs/limits.md): the limits.*
 * config keys, and one input at and one just past each cap, refused
 * over-limit with the cap's key named, by cf_limits_check_record/_event on
 * records the Avro codec decodes (what the worker does with every input),
 * and by the store (cf_store_set_max). Events are written as JSON and
 * encoded to Avro. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/limits.h"
#include "handlers/store.h"
#include "schemas/avro_codec.h"
#include "schemas/json_codec.h"

#define ENVELOPE                                                               \
        "\"occurred_at\":\"2026-03-01T09:00:00Z\",\"customer_tenant_id\":"     \
        "\"t\""

static cf_avro_t *av;

/* The Avro record of a JSON event (default caps). */
static void encode(const char *json, cf_buf_t *b) {
        cf_event_t ev;
        char detail[256], err[256];

        cf_event_init(&ev);
        if (cf_json_decode_event(json, strlen(json), &ev, detail,
                                 sizeof(detail)) != CF_REJ_NONE)
                fail_msg("test event: %s: %s", detail, json);
        cf_buf_reset(b);
        assert_int_equal(cf_avro_encode_event(av, &ev, b, err, sizeof(err)),
                         CF_OK);
        cf_event_clear(&ev);
}

/* Decodes json's record (default caps) and checks it against lim: r
 * expected, detail holding what. */
static void expect(const cf_limits_t *lim, const char *json, cf_reject_t r,
                   const char *what) {
        cf_buf_t b;
        cf_event_t ev;
        char detail[256] = "";
        cf_reject_t got;

        cf_buf_init(&b, 2 * CF_RECORD_MAX);
        cf_event_init(&ev);
        encode(json, &b);
        got = cf_limits_check_record(lim, b.len, detail, sizeof(detail));
        if (got == CF_REJ_NONE) {
                assert_int_equal(cf_avro_decode_event(av, b.data, b.len, &ev,
                                                      detail, sizeof(detail)),
                                 CF_REJ_NONE);
                got = cf_limits_check_event(lim, &ev, detail, sizeof(detail));
        }
        if (got != r || (what && !strstr(detail, what)))
                fail_msg("got %s \"%s\", expected %s with \"%s\"; for %s",
                         cf_reject_name(got), detail, cf_reject_name(r),
                         what ? what : "", json);
        cf_event_clear(&ev);
        cf_buf_clear(&b);
}

static const char *request(const char *partner, int roles, int subs) {
        static char j[4096];
        size_t n;

        n = (size_t)snprintf(j, sizeof(j),
                             "{\"type\":\"migration-requested\","
                             "\"event_id\":\"e\"," ENVELOPE
                             ",\"partner_id\":\"%s\",\"actor\":{\"user_id\":"
                             "\"u\",\"roles\":[",
                             partner);
        for (int i = 0; i < roles; i++)
                n += (size_t)snprintf(j + n, sizeof(j) - n, "%s\"r%d\"",
                                      i ? "," : "", i);
        n += (size_t)snprintf(j + n, sizeof(j) - n,
                              "]},\"partner_region\":\"eu\","
                              "\"customer_tenant_region\":\"eu\","
                              "\"multi_channel\":false,"
                              "\"delegated_admin\":false,"
                              "\"source_subscriptions\":[");
        for (int i = 0; i < subs; i++)
                n += (size_t)snprintf(
                    j + n, sizeof(j) - n,
                    "%s{\"subscription_id\":\"s%d\",\"offer_id\":\"o\","
                    "\"quantity\":1,\"channel\":\"other-partner\","
                    "\"expires_at\":\"2026-06-30T00:00:00Z\"}",
                    i ? "," : "", i);
        snprintf(j + n, sizeof(j) - n, "]}");
        return j;
}

static void test_config_keys(void **state) {
        static const cf_limits_t defaults = CF_LIMITS_DEFAULT;
        static const struct {
                const char *key;
                long min, max;
        } keys[] = {
            {"limits.record.bytes", 16, CF_RECORD_MAX},
            {"limits.id.bytes", 1, CF_ID_MAX},
            {"limits.text.bytes", 0, CF_TEXT_MAX},
            {"limits.roles", 1, CF_ROLES_MAX},
            {"limits.subscriptions", 1, CF_SUBS_MAX},
            {"limits.keys.per.partition", 1, CF_KEYS_PER_PARTITION_MAX},
        };
        char err[256], v[32];
        cf_config_t c;
        (void)state;

        assert_int_equal(cf_config_init(&c), CF_OK);
        /* the defaults are the compile-time maxima */
        assert_memory_equal(&c.limits, &defaults, sizeof(defaults));
        assert_int_equal(c.limits.id_bytes, CF_ID_MAX);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                snprintf(v, sizeof(v), "%ld", keys[i].min);
                assert_int_equal(
                    cf_config_set(&c, keys[i].key, v, "test", err, sizeof(err)),
                    CF_OK);
                snprintf(v, sizeof(v), "%ld", keys[i].max);
                assert_int_equal(
                    cf_config_set(&c, keys[i].key, v, "test", err, sizeof(err)),
                    CF_OK);
                /* the maxima are upper bounds */
                snprintf(v, sizeof(v), "%ld", keys[i].max + 1);
                assert_int_equal(
                    cf_config_set(&c, keys[i].key, v, "test", err, sizeof(err)),
                    CF_ERR_USAGE);
                assert_non_null(strstr(err, keys[i].key));
                snprintf(v, sizeof(v), "%ld", keys[i].min - 1);
                assert_int_equal(
                    cf_config_set(&c, keys[i].key, v, "test", err, sizeof(err)),
                    CF_ERR_USAGE);
        }
        assert_int_equal(cf_config_parse(&c, "limits.id.bytes = 40\n", 21,
                                         "t.conf", err, sizeof(err)),
                         CF_OK);
        assert_int_equal(c.limits.id_bytes, 40);
        cf_config_clear(&c);
}

static void test_id_bytes(void **state) {
        cf_limits_t lim = CF_LIMITS_DEFAULT;
        (void)state;

        lim.id_bytes = 8;
        expect(&lim, request("p2345678", 1, 1), CF_REJ_NONE, NULL);
        expect(&lim, request("p23456789", 1, 1), CF_REJ_OVER_LIMIT,
               "field partner_id: 9 bytes, longer than 8 (limits.id.bytes)");
        /* ids inside arrays and the optional ones too */
        expect(
            &lim,
            "{\"type\":\"invitation-accepted\",\"event_id\":\"e\"," ENVELOPE
            ",\"partner_id\":\"p\",\"correlation_id\":\"c23456789\"}",
            CF_REJ_OVER_LIMIT,
            "field correlation_id: 9 bytes, longer than 8 (limits.id.bytes)");
        /* and those of a subscription */
        {
                char j[4096], *at;
                snprintf(j, sizeof(j), "%s", request("p", 1, 1));
                assert_non_null(at = strstr(j, "\"s0\""));
                memmove(at + 12, at + 4, strlen(at + 4) + 1);
                memcpy(at, "\"s0-long-id\"", 12);
                expect(&lim, j, CF_REJ_OVER_LIMIT,
                       "field source_subscriptions[0].subscription_id: 10 "
                       "bytes, longer than 8 (limits.id.bytes)");
        }
}

static const char *failed(const char *reason) {
        static char j[512];
        snprintf(j, sizeof(j),
                 "{\"type\":\"provision-failed\",\"event_id\":\"e\","
                 "\"partner_id\":\"p\"," ENVELOPE
                 ",\"source_subscription_id\":\"s\",\"reason\":\"%s\"}",
                 reason);
        return j;
}

static void test_text_bytes(void **state) {
        cf_limits_t lim = CF_LIMITS_DEFAULT;
        (void)state;

        lim.text_bytes = 10;
        expect(&lim, failed("0123456789"), CF_REJ_NONE, NULL);
        expect(&lim, failed("0123456789A"), CF_REJ_OVER_LIMIT,
               "field reason: 11 bytes, longer than 10 (limits.text.bytes)");
}

static void test_roles(void **state) {
        cf_limits_t lim = CF_LIMITS_DEFAULT;
        (void)state;

        lim.roles = 2;
        expect(&lim, request("p", 2, 1), CF_REJ_NONE, NULL);
        expect(&lim, request("p", 3, 1), CF_REJ_OVER_LIMIT,
               "field actor.roles: 3 items, more than 2 (limits.roles)");
}

static void test_subscriptions(void **state) {
        cf_limits_t lim = CF_LIMITS_DEFAULT;
        (void)state;

        lim.subscriptions = 2;
        expect(&lim, request("p", 1, 2), CF_REJ_NONE, NULL);
        expect(&lim, request("p", 1, 3), CF_REJ_OVER_LIMIT,
               "field source_subscriptions: 3 items, more than 2 "
               "(limits.subscriptions)");
}

static void test_record_bytes(void **state) {
        cf_limits_t lim = CF_LIMITS_DEFAULT;
        cf_buf_t b;
        (void)state;

        cf_buf_init(&b, 2 * CF_RECORD_MAX);
        encode(request("p", 1, 1), &b);
        lim.record_bytes = (int)b.len;
        expect(&lim, request("p", 1, 1), CF_REJ_NONE, NULL);
        lim.record_bytes = (int)b.len - 1;
        expect(&lim, request("p", 1, 1), CF_REJ_OVER_LIMIT,
               "limits.record.bytes");
        cf_buf_clear(&b);
}

/* limits.keys.per.partition: a new key past the cap is refused, the keys
 * held go on. */
static void test_keys_per_partition(void **state) {
        cf_store_t *st = cf_store_new();
        cf_outbox_t out;
        cf_verdict_t v;
        cf_event_t ev;
        char detail[256], p[8];
        (void)state;

        assert_non_null(st);
        cf_outbox_init(&out);
        cf_event_init(&ev);
        cf_store_set_max(st, 2);
        for (int i = 0; i < 3; i++) {
                const char *j;
                snprintf(p, sizeof(p), "p%d", i);
                j = request(p, 1, 1);
                assert_int_equal(cf_json_decode_event(j, strlen(j), &ev, detail,
                                                      sizeof(detail)),
                                 CF_REJ_NONE);
                snprintf(ev.roles[0], sizeof(ev.roles[0]), "account-admin");
                snprintf(ev.event_id, sizeof(ev.event_id), "e%d", i);
                cf_outbox_reset(&out);
                assert_int_equal(cf_store_apply(st, NULL, &ev, &out, &v),
                                 CF_OK);
                if (i < 2) {
                        assert_int_equal(v.kind, CF_VERDICT_APPLIED);
                        continue;
                }
                assert_int_equal(v.kind, CF_VERDICT_REJECTED);
                assert_int_equal(v.reason, CF_REJ_OVER_LIMIT);
                assert_int_equal(out.n, 0);
                assert_non_null(strstr(v.detail, "limits.keys.per.partition"));
                assert_non_null(strstr(v.detail, "p2/t"));
        }
        assert_int_equal(cf_store_count(st), 2);
        /* a key already held is not refused */
        ev.type = CF_EV_INVITATION_ACCEPTED;
        snprintf(ev.partner_id, sizeof(ev.partner_id), "p0");
        snprintf(ev.event_id, sizeof(ev.event_id), "e9");
        assert_int_equal(cf_store_apply(st, NULL, &ev, &out, &v), CF_OK);
        assert_int_equal(v.kind, CF_VERDICT_APPLIED);
        assert_int_equal(cf_store_count(st), 2);
        cf_event_clear(&ev);
        cf_outbox_clear(&out);
        cf_store_destroy(st);
}

static int setup(void **state) {
        char err[256];
        (void)state;
        return cf_avro_new(&av, err, sizeof(err)) == CF_OK ? 0 : -1;
}

static int teardown(void **state) {
        (void)state;
        cf_avro_destroy(av);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_config_keys),
            cmocka_unit_test(test_id_bytes),
            cmocka_unit_test(test_text_bytes),
            cmocka_unit_test(test_roles),
            cmocka_unit_test(test_subscriptions),
            cmocka_unit_test(test_record_bytes),
            cmocka_unit_test(test_keys_per_partition),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
