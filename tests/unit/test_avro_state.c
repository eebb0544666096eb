/* schemas/avro_codec: the migration state record. Round trips compare with
 * cf_migration_equal; crafted records over a cap or out of range are
 * refused, and no prefix of a valid record is accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_time.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/strutil.h"
#include "handlers/handlers.h"
#include "avro_fixture.h"
#include "schemas/avro_codec.h"
#include "schemas/framing.h"

static void set(char **dst, const char *s) {
        assert_true(cf_str_replace(dst, s));
}

/* A migration with n subs, d discontinued offers and h handled ids. */
static cf_migration_t *make(size_t n, size_t d, size_t h) {
        cf_migration_t *m =
            cf_migration_new("partner-contoso", "tenant-fabrikam");
        char id[64];

        assert_non_null(m);
        m->status = CF_MIG_PROVISIONING;
        set(&m->opened_by, "evt-0101");
        m->opened_at = INT64_C(1772355600000);
        m->updated_at = INT64_C(1772548800250);
        m->multi_channel = true;
        m->delegated_admin = false;
        m->applied = 42;
        m->last_input_offset = 9001;
        if (n)
                assert_non_null(m->subs = calloc(n, sizeof(*m->subs)));
        for (size_t i = 0; i < n; i++) {
                cf_sub_state_t *s = &m->subs[i];
                m->n_subs = i + 1;
                snprintf(id, sizeof(id), "src-%zu", i);
                set(&s->source_subscription_id, id);
                set(&s->offer_id, "O365-E3");
                s->quantity = (int32_t)(25 + i);
                s->channel = (int32_t)(i % 3);
                s->expires_at = INT64_C(1782863999000) + (int64_t)i;
                s->source = (cf_source_status_t)(i % CF_SRC__COUNT);
                s->target = (cf_target_status_t)(i % CF_TGT__COUNT);
                set(&s->target_offer_id, i % 2 ? "M365-E3" : "");
                set(&s->request_id, i % 2 ? "0b3c6a52-1f2e-8d4c-9a1b-aa" : "");
                s->requests = (uint32_t)i;
                s->failures = i == 1 ? UINT32_MAX : 0;
                set(&s->subscription_id, i % 2 ? "csp-1" : "");
                set(&s->provisioned_offer_id, i % 2 ? "M365-E3" : "");
                s->provisioned_quantity = i % 2 ? -7 : 0;
                s->licenses_reassigned = i % 2;
        }
        if (d)
                assert_non_null(m->discontinued =
                                    calloc(d, sizeof(*m->discontinued)));
        for (size_t i = 0; i < d; i++) {
                m->n_discontinued = i + 1;
                snprintf(id, sizeof(id), "OLD-%zu", i);
                set(&m->discontinued[i].offer_id, id);
                set(&m->discontinued[i].successor_offer_id, i % 2 ? "" : "NEW");
        }
        if (h)
                assert_non_null(m->handled = malloc(h * sizeof(*m->handled)));
        for (size_t i = 0; i < h; i++) {
                snprintf(id, sizeof(id), "evt-%zu", i);
                m->handled[i] = cf_ids_hash(id);
        }
        m->n_handled = m->handled_cap = h;
        return m;
}

static void roundtrip(const cf_migration_t *m) {
        cf_buf_t b1, b2;
        cf_migration_t *back = NULL;
        char err[256] = "", detail[256] = "";
        cf_reject_t r;

        cf_buf_init(&b1, CF_RECORD_MAX);
        cf_buf_init(&b2, CF_RECORD_MAX);
        if (cf_avro_encode_state(av, m, &b1, err, sizeof(err)) != CF_OK)
                fail_msg("encode: %s", err);
        r = cf_avro_decode_state(av, b1.data, b1.len, &back, detail,
                                 sizeof(detail));
        if (r != CF_REJ_NONE)
                fail_msg("decode: %s: %s", cf_reject_name(r), detail);
        assert_true(cf_migration_equal(m, back));
        assert_int_equal(cf_avro_encode_state(av, back, &b2, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.data, b2.data, b1.len);
        cf_migration_destroy(back);
        cf_buf_clear(&b1);
        cf_buf_clear(&b2);
}

static void test_roundtrip(void **state) {
        cf_migration_t *m;
        (void)state;

        m = cf_migration_new("p", "t"); /* fresh: NONE, offset -1 */
        assert_non_null(m);
        roundtrip(m);
        cf_migration_destroy(m);
        m = make(3, 2, 5);
        roundtrip(m);
        /* the test can fail: a changed field is seen */
        m->subs[2].licenses_reassigned = !m->subs[2].licenses_reassigned;
        {
                cf_migration_t *other = make(3, 2, 5);
                assert_false(cf_migration_equal(m, other));
                cf_migration_destroy(other);
        }
        cf_migration_destroy(m);
        m = make(CF_SUBS_MAX, CF_DISCONTINUED_MAX, CF_EVENTS_PER_KEY_MAX);
        roundtrip(m);
        cf_migration_destroy(m);
}

static void test_encode_refuses(void **state) {
        cf_migration_t *m = make(2, 1, 1);
        cf_buf_t b;
        char err[256];
        (void)state;

        cf_buf_init(&b, CF_RECORD_MAX);
        m->status = CF_MIG__COUNT;
        assert_int_equal(cf_avro_encode_state(av, m, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_non_null(strstr(err, "status"));
        assert_int_equal(b.len, 0);
        m->status = CF_MIG_BLOCKED;
        m->subs[1].target = CF_TGT__COUNT;
        assert_int_equal(cf_avro_encode_state(av, m, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_non_null(strstr(err, "target"));
        m->subs[1].target = CF_TGT_FAILED;
        m->n_handled = CF_EVENTS_PER_KEY_MAX + 1;
        assert_int_equal(cf_avro_encode_state(av, m, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        m->n_handled = 1;
        m->applied = UINT64_MAX;
        assert_int_equal(cf_avro_encode_state(av, m, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        m->applied = 1;
        assert_int_equal(cf_avro_encode_state(av, m, &b, err, sizeof(err)),
                         CF_OK);
        cf_buf_clear(&b);
        cf_migration_destroy(m);
}

/* ---- hand-written state records ---- */

/* Header and the fields before `subs`, with the given status. */
static void w_head(w_t *w, int64_t status) {
        uint64_t fp = cf_avro_state_fingerprint(av);
        uint8_t h[2] = {0xc3, 0x01};

        w->n = 0;
        w_raw(w, h, 2);
        for (int i = 0; i < 8; i++) {
                uint8_t c = (uint8_t)(fp >> (8 * i));
                w_raw(w, &c, 1);
        }
        w_str(w, "p");
        w_str(w, "t");
        w_long(w, status);
        w_str(w, "");
        w_long(w, 0);
        w_long(w, 0);
        w_raw(w, "\0\0", 2);
}

static cf_reject_t decode(const w_t *w, char *detail, size_t size) {
        cf_migration_t *m = (cf_migration_t *)(uintptr_t)1;
        cf_reject_t r = cf_avro_decode_state(av, w->b, w->n, &m, detail, size);
        if (r == CF_REJ_NONE)
                cf_migration_destroy(m);
        else
                assert_null(m);
        return r;
}

static void test_handwritten(void **state) {
        w_t w;
        char detail[256];
        (void)state;

        /* a valid empty state */
        w_head(&w, 1);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 7);
        w_long(&w, -1);
        assert_int_equal(decode(&w, detail, sizeof(detail)), CF_REJ_NONE);
        /* status out of range */
        w_head(&w, CF_MIG__COUNT);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 7);
        w_long(&w, -1);
        assert_int_equal(decode(&w, detail, sizeof(detail)), CF_REJ_MALFORMED);
        assert_non_null(strstr(detail, "status"));
        /* applied negative, offset below -1 */
        for (int k = 0; k < 2; k++) {
                w_head(&w, 1);
                w_long(&w, 0);
                w_long(&w, 0);
                w_long(&w, 0);
                w_long(&w, k ? 7 : -7);
                w_long(&w, k ? -2 : -1);
                assert_int_equal(decode(&w, detail, sizeof(detail)),
                                 CF_REJ_INVALID_VALUE);
                assert_non_null(
                    strstr(detail, k ? "last_input_offset" : "applied"));
        }
        /* counts over their caps, and forged huge counts */
        {
                static const int64_t over[] = {
                    CF_SUBS_MAX + 1, CF_DISCONTINUED_MAX + 1,
                    CF_EVENTS_PER_KEY_MAX + 1, INT64_C(1) << 40};
                static const char *const field[] = {"subs", "discontinued",
                                                    "handled"};
                for (int a = 0; a < 3; a++)
                        for (int o = 0; o < 4; o++) {
                                w_head(&w, 1);
                                for (int k = 0; k < a; k++)
                                        w_long(&w, 0);
                                w_long(&w, o == 3 ? over[3] : over[a]);
                                assert_int_equal(
                                    decode(&w, detail, sizeof(detail)),
                                    CF_REJ_OVER_LIMIT);
                                assert_non_null(strstr(detail, field[a]));
                        }
        }
        /* a sub whose request counter does not fit 32 bits */
        w_head(&w, 2);
        w_long(&w, 1);
        w_str(&w, "s");
        w_str(&w, "O");
        w_long(&w, 1);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 0);
        w_str(&w, "");
        w_str(&w, "");
        w_long(&w, INT64_C(1) << 32);
        w_long(&w, 0);
        w_str(&w, "");
        w_str(&w, "");
        w_long(&w, 0);
        w_raw(&w, "\0", 1);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 0);
        w_long(&w, 1);
        w_long(&w, 0);
        assert_int_equal(decode(&w, detail, sizeof(detail)),
                         CF_REJ_INVALID_VALUE);
        assert_non_null(strstr(detail, "subs[0].requests"));
}

static void test_bad_bytes(void **state) {
        cf_migration_t *m = make(2, 2, 3), *out = NULL;
        cf_buf_t b;
        cf_event_t ev;
        char err[256], detail[256];
        (void)state;

        cf_buf_init(&b, CF_RECORD_MAX);
        assert_int_equal(cf_avro_encode_state(av, m, &b, err, sizeof(err)),
                         CF_OK);
        for (size_t n = 0; n < b.len; n++) {
                cf_reject_t r = cf_avro_decode_state(av, b.data, n, &out,
                                                     detail, sizeof(detail));
                if (r != CF_REJ_MALFORMED)
                        fail_msg("prefix of %zu: %s", n, cf_reject_name(r));
                assert_null(out);
        }
        /* trailing byte */
        assert_int_equal(cf_buf_append_byte(&b, 0), CF_OK);
        assert_int_equal(cf_avro_decode_state(av, b.data, b.len, &out, detail,
                                              sizeof(detail)),
                         CF_REJ_MALFORMED);
        b.len--;
        /* a state is not an event, an event is not a state */
        cf_event_init(&ev);
        assert_int_equal(cf_avro_decode_event(av, b.data, b.len, &ev, detail,
                                              sizeof(detail)),
                         CF_REJ_UNKNOWN_SCHEMA);
        b.data[2] ^= 1;
        assert_int_equal(cf_avro_decode_state(av, b.data, b.len, &out, detail,
                                              sizeof(detail)),
                         CF_REJ_UNKNOWN_SCHEMA);
        b.data[2] ^= 1;
        b.data[0] = 0;
        assert_int_equal(cf_avro_decode_state(av, b.data, b.len, &out, detail,
                                              sizeof(detail)),
                         CF_REJ_MALFORMED);
        b.data[0] = 0xc3;
        /* mutations: a clean answer every time, no leak (ASan) */
        for (unsigned iter = 0, rng = 7; iter < 5000; iter++) {
                cf_buf_t c;
                size_t at;
                cf_buf_init(&c, CF_RECORD_MAX);
                assert_int_equal(cf_buf_append(&c, b.data, b.len), CF_OK);
                rng = rng * 1103515245u + 12345u;
                at = CF_FRAMING_HEADER_SIZE +
                     (rng >> 8) % (c.len - CF_FRAMING_HEADER_SIZE);
                rng = rng * 1103515245u + 12345u;
                c.data[at] = (uint8_t)(rng >> 16);
                if (cf_avro_decode_state(av, c.data, c.len, &out, detail,
                                         sizeof(detail)) == CF_REJ_NONE) {
                        cf_buf_t again;
                        cf_buf_init(&again, CF_RECORD_MAX);
                        assert_int_equal(cf_avro_encode_state(av, out, &again,
                                                              err, sizeof(err)),
                                         CF_OK);
                        cf_buf_clear(&again);
                        cf_migration_destroy(out);
                } else {
                        assert_null(out);
                }
                cf_buf_clear(&c);
        }
        cf_event_clear(&ev);
        cf_buf_clear(&b);
        cf_migration_destroy(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip),
            cmocka_unit_test(test_encode_refuses),
            cmocka_unit_test(test_handwritten),
            cmocka_unit_test(test_bad_bytes),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
