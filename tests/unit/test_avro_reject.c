/* schemas/avro_codec: bytes that are not a valid event are refused with a
 * reason, never crash, and never make avro-c allocate what a forged length
 * asks for. Run under ASan (CSPFLOW_SANITIZE=ON): with the default
 * allocator_may_return_null=0 a huge malloc aborts the test. The records
 * are written by hand below, byte by byte, from the schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_time.h"
#include "common/limits.h"
#include "avro_fixture.h"
#include "schemas/avro_codec.h"
#include "schemas/framing.h"

/* ---- a tiny Avro writer ---- */

static void w_byte(w_t *w, uint8_t c) {
        w_raw(w, &c, 1);
}

static void w_header(w_t *w, cf_event_type_t type) {
        uint64_t fp = cf_avro_fingerprint(av, type);
        w->n = 0;
        w_byte(w, 0xc3);
        w_byte(w, 0x01);
        for (int i = 0; i < 8; i++)
                w_byte(w, (uint8_t)(fp >> (8 * i)));
}

/* type, event_id, occurred_at, partner_id, customer_tenant_id and
 * correlation_id absent */
static void w_envelope(w_t *w, cf_event_type_t type, const char *event_id) {
        w_header(w, type);
        w_str(w, cf_event_type_name(type));
        w_str(w, event_id);
        w_long(w, INT64_C(1772355600000));
        w_str(w, "p");
        w_str(w, "t");
        w_long(w, 0); /* union branch 0: null */
}

static cf_reject_t decode(const w_t *w, cf_event_t *ev, char *detail,
                          size_t size) {
        detail[0] = '\0';
        return cf_avro_decode_event(av, w->b, w->n, ev, detail, size);
}

/* Expects reject r and a detail containing what. */
static void expect(const w_t *w, cf_reject_t r, const char *what) {
        cf_event_t ev;
        char detail[256];
        cf_reject_t got;

        cf_event_init(&ev);
        got = decode(w, &ev, detail, sizeof(detail));
        if (got != r || (what && !strstr(detail, what)))
                fail_msg("expected %s (\"%s\"), got %s: \"%s\"",
                         cf_reject_name(r), what ? what : "",
                         cf_reject_name(got), detail);
        if (r != CF_REJ_NONE)
                assert_true(detail[0] != '\0');
        cf_event_clear(&ev);
}

/* migration-requested up to (excluding) the roles array */
static void w_request_head(w_t *w) {
        w_envelope(w, CF_EV_MIGRATION_REQUESTED, "e-1");
        w_str(w, "alice"); /* actor.user_id */
}

static void w_request_tail(w_t *w, int nsubs) {
        w_str(w, "EU");
        w_str(w, "eu");
        w_byte(w, 0);
        w_byte(w, 1);
        w_long(w, nsubs);
        for (int i = 0; i < nsubs; i++) {
                char id[32];
                snprintf(id, sizeof(id), "s%d", i);
                w_str(w, id);
                w_str(w, "O365-E3");
                w_long(w, 25);
                w_long(w, 1); /* OTHER_PARTNER */
                w_long(w, INT64_C(1782863999000));
        }
        if (nsubs)
                w_long(w, 0);
}

/* ---- tests ---- */

static void test_handwritten_records_decode(void **state) {
        w_t w;
        cf_event_t ev;
        char detail[256];
        (void)state;

        cf_event_init(&ev);
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-1");
        assert_int_equal(decode(&w, &ev, detail, sizeof(detail)), CF_REJ_NONE);
        assert_string_equal(ev.event_id, "e-1");
        assert_string_equal(ev.correlation_id, "");
        /* roles written as one negative-count block (count, byte size) */
        w_request_head(&w);
        w_long(&w, -2);
        w_long(&w, 1 + 13 + 1 + 11);
        w_str(&w, "account-admin");
        w_str(&w, "sales-agent");
        w_long(&w, 0);
        w_request_tail(&w, 2);
        assert_int_equal(decode(&w, &ev, detail, sizeof(detail)), CF_REJ_NONE);
        assert_int_equal(ev.n_roles, 2);
        assert_string_equal(ev.roles[1], "sales-agent");
        assert_int_equal(ev.n_subs, 2);
        assert_int_equal(ev.subs[1].channel, CF_CH_OTHER_PARTNER);
        assert_string_equal(ev.subs[1].source_subscription_id, "s1");
        cf_event_clear(&ev);
}

static void test_forged_lengths_do_not_allocate(void **state) {
        static const int64_t huge[] = {INT64_C(1) << 40, INT64_MAX,
                                       INT64_C(0x7fffffff), INT64_C(1) << 33};
        w_t w;
        (void)state;

        for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
                /* a string length far past the record */
                w_header(&w, CF_EV_INVITATION_ACCEPTED);
                w_long(&w, huge[i]);
                w_raw(&w, "invitation-accepted", 19);
                expect(&w, CF_REJ_MALFORMED, "truncated");
                /* an array count far past any cap */
                w_request_head(&w);
                w_long(&w, huge[i]);
                w_str(&w, "account-admin");
                expect(&w, CF_REJ_OVER_LIMIT, "actor.roles");
                w_request_head(&w);
                w_long(&w, 0);
                w_str(&w, "EU");
                w_str(&w, "eu");
                w_byte(&w, 0);
                w_byte(&w, 0);
                w_long(&w, huge[i]);
                expect(&w, CF_REJ_OVER_LIMIT, "source_subscriptions");
        }
        /* negative lengths and block counts */
        w_header(&w, CF_EV_INVITATION_ACCEPTED);
        w_long(&w, -5);
        expect(&w, CF_REJ_MALFORMED, "negative");
        w_request_head(&w);
        w_long(&w, INT64_MIN);
        expect(&w, CF_REJ_MALFORMED, "block count");
        w_request_head(&w);
        w_long(&w, -1);
        w_long(&w, INT64_C(1) << 40); /* block size */
        expect(&w, CF_REJ_MALFORMED, "block size");
}

static void test_caps(void **state) {
        char big[CF_TEXT_MAX + 2];
        w_t w;
        (void)state;

        /* ids: CF_ID_MAX fits, one more is over */
        memset(big, 'x', sizeof(big));
        big[CF_ID_MAX] = '\0';
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, big);
        expect(&w, CF_REJ_NONE, NULL);
        big[CF_ID_MAX] = 'x';
        big[CF_ID_MAX + 1] = '\0';
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, big);
        expect(&w, CF_REJ_OVER_LIMIT, "event_id");
        /* text: CF_TEXT_MAX */
        big[CF_ID_MAX + 1] = 'x';
        big[CF_TEXT_MAX] = '\0';
        w_envelope(&w, CF_EV_PROVISION_FAILED, "e-1");
        w_str(&w, "s1");
        w_str(&w, big);
        expect(&w, CF_REJ_NONE, NULL);
        big[CF_TEXT_MAX] = 'x';
        big[CF_TEXT_MAX + 1] = '\0';
        w_envelope(&w, CF_EV_PROVISION_FAILED, "e-1");
        w_str(&w, "s1");
        w_str(&w, big);
        expect(&w, CF_REJ_OVER_LIMIT, "reason");
        /* roles: CF_ROLES_MAX + 1, spread over two blocks */
        w_request_head(&w);
        w_long(&w, CF_ROLES_MAX);
        for (int i = 0; i < CF_ROLES_MAX; i++)
                w_str(&w, "r");
        w_long(&w, 1);
        w_str(&w, "r");
        w_long(&w, 0);
        w_request_tail(&w, 0);
        expect(&w, CF_REJ_OVER_LIMIT, "roles");
        /* subscriptions: CF_SUBS_MAX + 1 */
        w_request_head(&w);
        w_long(&w, 0);
        w_request_tail(&w, CF_SUBS_MAX);
        expect(&w, CF_REJ_NONE, NULL);
        w_request_head(&w);
        w_long(&w, 0);
        w_request_tail(&w, CF_SUBS_MAX + 1);
        expect(&w, CF_REJ_OVER_LIMIT, "source_subscriptions");
}

static void test_bad_varints_and_indexes(void **state) {
        w_t w;
        (void)state;

        /* 11-byte varint */
        w_header(&w, CF_EV_INVITATION_ACCEPTED);
        for (int i = 0; i < 10; i++)
                w_byte(&w, 0x80);
        w_byte(&w, 0x00);
        expect(&w, CF_REJ_MALFORMED, "varint");
        /* 10th byte carrying more than the 64th bit */
        w_header(&w, CF_EV_INVITATION_ACCEPTED);
        for (int i = 0; i < 9; i++)
                w_byte(&w, 0xff);
        w_byte(&w, 0x02);
        expect(&w, CF_REJ_MALFORMED, "varint");
        /* an int (quantity) over 32 bits */
        w_envelope(&w, CF_EV_SUBSCRIPTION_PROVISIONED, "e-1");
        w_str(&w, "s1");
        w_str(&w, "n1");
        w_str(&w, "O");
        w_raw(&w, "\xff\xff\xff\xff\x1f", 5);
        expect(&w, CF_REJ_MALFORMED, "quantity");
        w_envelope(&w, CF_EV_SUBSCRIPTION_PROVISIONED, "e-1");
        w_str(&w, "s1");
        w_str(&w, "n1");
        w_str(&w, "O");
        w_raw(&w, "\xfe\xff\xff\xff\x0f", 5); /* INT32_MAX: fine */
        expect(&w, CF_REJ_NONE, NULL);
        /* enum index out of range, both ways */
        for (int64_t idx = -1; idx <= 3; idx += 4) {
                w_envelope(&w, CF_EV_MIGRATION_REJECTED, "e-1");
                w_str(&w, "c-1");
                w_long(&w, idx);
                w_str(&w, "detail");
                expect(&w, CF_REJ_MALFORMED, "reason");
        }
        /* union branch out of range */
        for (int64_t b = -1; b <= 2; b += 3) {
                w_header(&w, CF_EV_INVITATION_ACCEPTED);
                w_str(&w, "invitation-accepted");
                w_str(&w, "e-1");
                w_long(&w, 0);
                w_str(&w, "p");
                w_str(&w, "t");
                w_long(&w, b);
                expect(&w, CF_REJ_MALFORMED, "correlation_id");
        }
        /* boolean neither 0 nor 1 */
        w_envelope(&w, CF_EV_RESELLER_RELATIONSHIP_REQUESTED, "e-1");
        w_str(&w, "c-1");
        w_byte(&w, 2);
        w_byte(&w, 0);
        expect(&w, CF_REJ_MALFORMED, "multi_channel");
}

static void test_framing_and_fingerprints(void **state) {
        w_t w;
        uint8_t *big;
        cf_event_t ev;
        char detail[256];
        (void)state;

        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-1");
        w_byte(&w, 0);
        expect(&w, CF_REJ_MALFORMED, "trailing");
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-1");
        w.b[0] = 0xc4;
        expect(&w, CF_REJ_MALFORMED, "c3 01");
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-1");
        w.b[5] ^= 0x40;
        expect(&w, CF_REJ_UNKNOWN_SCHEMA, "fingerprint");
        /* the state's fingerprint is not an event's */
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-1");
        for (int i = 0; i < 8; i++)
                w.b[2 + i] =
                    (uint8_t)(cf_avro_state_fingerprint(av) >> (8 * i));
        expect(&w, CF_REJ_UNKNOWN_SCHEMA, "state");
        /* another type's fingerprint: the body does not fit that schema */
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-1");
        for (int i = 0; i < 8; i++)
                w.b[2 + i] = (uint8_t)(cf_avro_fingerprint(
                                           av, CF_EV_MIGRATION_REQUESTED) >>
                                       (8 * i));
        expect(&w, CF_REJ_MALFORMED, NULL);
        /* oversize */
        big = calloc(1, CF_RECORD_MAX + 1);
        assert_non_null(big);
        memcpy(big, w.b, w.n);
        cf_event_init(&ev);
        assert_int_equal(cf_avro_decode_event(av, big, CF_RECORD_MAX + 1, &ev,
                                              detail, sizeof(detail)),
                         CF_REJ_OVER_LIMIT);
        assert_int_equal(cf_avro_decode_event_body(
                             av, CF_EV_INVITATION_ACCEPTED, big,
                             CF_RECORD_MAX + 1, &ev, detail, sizeof(detail)),
                         CF_REJ_OVER_LIMIT);
        free(big);
        assert_int_equal(
            cf_avro_decode_event(av, NULL, 0, &ev, detail, sizeof(detail)),
            CF_REJ_MALFORMED);
        assert_int_equal(cf_avro_decode_event_body(av, CF_EV_NONE, "", 0, &ev,
                                                   detail, sizeof(detail)),
                         CF_REJ_UNKNOWN_TYPE);
        cf_event_clear(&ev);
}

static void test_invalid_values(void **state) {
        w_t w;
        cf_event_t ev;
        char detail[256];
        (void)state;

        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "");
        expect(&w, CF_REJ_INVALID_VALUE, "event_id");
        /* the type string names another type */
        w_header(&w, CF_EV_INVITATION_ACCEPTED);
        w_str(&w, "relationship-terminated");
        w_str(&w, "e-1");
        w_long(&w, 0);
        w_str(&w, "p");
        w_str(&w, "t");
        w_long(&w, 0);
        expect(&w, CF_REJ_INVALID_VALUE, "type");
        /* NUL inside a string */
        w_header(&w, CF_EV_INVITATION_ACCEPTED);
        w_str(&w, "invitation-accepted");
        w_long(&w, 3);
        w_raw(&w, "e\0x", 3);
        w_long(&w, 0);
        w_str(&w, "p");
        w_str(&w, "t");
        w_long(&w, 0);
        expect(&w, CF_REJ_INVALID_VALUE, "NUL");
        /* a time past year 9999 */
        w_header(&w, CF_EV_INVITATION_ACCEPTED);
        w_str(&w, "invitation-accepted");
        w_str(&w, "e-1");
        w_long(&w, CF_TIME_MAX + 1);
        w_str(&w, "p");
        w_str(&w, "t");
        w_long(&w, 0);
        expect(&w, CF_REJ_INVALID_VALUE, "occurred_at");
        /* a failure after event_id keeps it, for the DLQ */
        w_envelope(&w, CF_EV_INVITATION_ACCEPTED, "e-9");
        w.n -= 5; /* drop "p", "t" and the union */
        w_str(&w, "");
        w_str(&w, "t");
        w_long(&w, 0);
        cf_event_init(&ev);
        assert_int_equal(decode(&w, &ev, detail, sizeof(detail)),
                         CF_REJ_INVALID_VALUE);
        assert_non_null(strstr(detail, "partner_id"));
        assert_string_equal(ev.event_id, "e-9");
        assert_int_equal(ev.type, CF_EV_NONE);
        cf_event_clear(&ev);
}

/* Every proper prefix of valid records is refused. */
static void test_truncated(void **state) {
        w_t w;
        cf_event_t ev;
        char detail[256];
        (void)state;

        cf_event_init(&ev);
        w_request_head(&w);
        w_long(&w, 1);
        w_str(&w, "account-admin");
        w_long(&w, 0);
        w_request_tail(&w, 3);
        expect(&w, CF_REJ_NONE, NULL);
        for (size_t n = 0; n < w.n; n++) {
                cf_reject_t r = cf_avro_decode_event(av, w.b, n, &ev, detail,
                                                     sizeof(detail));
                if (r != CF_REJ_MALFORMED)
                        fail_msg("prefix of %zu bytes: %s", n,
                                 cf_reject_name(r));
        }
        cf_event_clear(&ev);
}

/* Mutated valid records: whatever comes back is a clean answer, and what
 * is accepted encodes again. */
static void test_mutations(void **state) {
        uint32_t rng = 12345;
        cf_event_t ev;
        cf_buf_t b;
        char detail[256], err[256];
        size_t accepted = 0, refused = 0;
        (void)state;

        cf_event_init(&ev);
        cf_buf_init(&b, CF_RECORD_MAX);
        for (int iter = 0; iter < 20000; iter++) {
                w_t w;
                int kind = iter % 4;
                if (kind == 0) {
                        w_request_head(&w);
                        w_long(&w, 1);
                        w_str(&w, "account-admin");
                        w_long(&w, 0);
                        w_request_tail(&w, 2);
                } else if (kind == 1) {
                        w_envelope(&w, CF_EV_MIGRATION_REJECTED, "e-1");
                        w_str(&w, "c-1");
                        w_long(&w, 1);
                        w_str(&w, "detail");
                } else if (kind == 2) {
                        w_envelope(&w, CF_EV_OFFER_DISCONTINUED, "e-1");
                        w_str(&w, "O");
                        w_long(&w, 1);
                        w_str(&w, "S");
                } else {
                        w_envelope(&w, CF_EV_SUBSCRIPTION_NEAR_EXPIRY, "e");
                        w_str(&w, "s1");
                        w_long(&w, INT64_C(1782863999000));
                }
                for (int m = 0; m < 1 + iter % 3; m++) {
                        size_t at;
                        rng = rng * 1103515245u + 12345u;
                        at = CF_FRAMING_HEADER_SIZE +
                             (rng >> 8) % (w.n - CF_FRAMING_HEADER_SIZE);
                        rng = rng * 1103515245u + 12345u;
                        w.b[at] = (uint8_t)(rng >> 16);
                }
                detail[0] = '\0';
                if (cf_avro_decode_event(av, w.b, w.n, &ev, detail,
                                         sizeof(detail)) == CF_REJ_NONE) {
                        accepted++;
                        cf_buf_reset(&b);
                        if (cf_avro_encode_event(av, &ev, &b, err,
                                                 sizeof(err)) != CF_OK)
                                fail_msg("accepted but not encodable: %s", err);
                } else {
                        refused++;
                        assert_true(detail[0] != '\0');
                }
        }
        printf("mutations: %zu accepted, %zu refused\n", accepted, refused);
        assert_true(refused > 0 && accepted > 0);
        cf_buf_clear(&b);
        cf_event_clear(&ev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_handwritten_records_decode),
            cmocka_unit_test(test_forged_lengths_do_not_allocate),
            cmocka_unit_test(test_caps),
            cmocka_unit_test(test_bad_varints_and_indexes),
            cmocka_unit_test(test_framing_and_fingerprints),
            cmocka_unit_test(test_invalid_values),
            cmocka_unit_test(test_truncated),
            cmocka_unit_test(test_mutations),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
