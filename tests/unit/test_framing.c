/* Single-object framing: header layout, length checks, magic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/limits.h"
#include "schemas/framing.h"

static void test_write_parse(void **state) {
        cf_buf_t b;
        uint64_t fp = 0;
        const uint8_t *body = NULL;
        size_t body_len = 99;
        char detail[128] = "";
        static const uint8_t expect[10] = {0xc3, 0x01, 0x08, 0x07, 0x06,
                                           0x05, 0x04, 0x03, 0x02, 0x81};
        (void)state;

        cf_buf_init(&b, 64);
        assert_int_equal(
            cf_framing_write_header(&b, UINT64_C(0x8102030405060708)), CF_OK);
        assert_int_equal(b.len, CF_FRAMING_HEADER_SIZE);
        assert_memory_equal(b.data, expect, sizeof(expect));
        assert_int_equal(cf_buf_append(&b, "\x02x", 2), CF_OK);
        assert_int_equal(cf_framing_parse(b.data, b.len, &fp, &body, &body_len,
                                          detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_true(fp == UINT64_C(0x8102030405060708));
        assert_ptr_equal(body, b.data + 10);
        assert_int_equal(body_len, 2);
        /* header only: an empty body is the codec's business */
        assert_int_equal(cf_framing_parse(b.data, 10, &fp, &body, &body_len,
                                          detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_int_equal(body_len, 0);
        cf_buf_clear(&b);
}

static void test_short_and_magic(void **state) {
        uint8_t rec[12] = {0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
        uint64_t fp = 7;
        const uint8_t *body = NULL;
        size_t body_len = 0;
        char detail[128];
        (void)state;

        for (size_t n = 0; n < 10; n++) {
                detail[0] = '\0';
                assert_int_equal(cf_framing_parse(rec, n, &fp, &body, &body_len,
                                                  detail, sizeof(detail)),
                                 CF_REJ_MALFORMED);
                assert_non_null(strstr(detail, "shorter"));
        }
        rec[1] = 0x02;
        assert_int_equal(cf_framing_parse(rec, sizeof(rec), &fp, &body,
                                          &body_len, detail, sizeof(detail)),
                         CF_REJ_MALFORMED);
        assert_non_null(strstr(detail, "c3 01"));
        rec[0] = '{';
        rec[1] = 0x01;
        assert_int_equal(cf_framing_parse(rec, sizeof(rec), &fp, &body,
                                          &body_len, detail, sizeof(detail)),
                         CF_REJ_MALFORMED);
        /* nothing was written on failure */
        assert_true(fp == 7);
        assert_null(body);
}

static void test_over_limit(void **state) {
        size_t n = CF_RECORD_MAX + 1;
        uint8_t *rec = calloc(1, n);
        uint64_t fp;
        const uint8_t *body;
        size_t body_len;
        char detail[128] = "";
        (void)state;

        assert_non_null(rec);
        rec[0] = 0xc3;
        rec[1] = 0x01;
        assert_int_equal(cf_framing_parse(rec, n, &fp, &body, &body_len, detail,
                                          sizeof(detail)),
                         CF_REJ_OVER_LIMIT);
        assert_non_null(strstr(detail, "limit"));
        assert_int_equal(cf_framing_parse(rec, n - 1, &fp, &body, &body_len,
                                          detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_int_equal(body_len, n - 11);
        free(rec);
}

static void test_buf_cap(void **state) {
        cf_buf_t b;
        (void)state;

        cf_buf_init(&b, 10);
        assert_int_equal(cf_framing_write_header(&b, 1), CF_OK);
        assert_int_equal(cf_buf_append_byte(&b, 1), CF_ERR_LIMIT);
        assert_int_equal(b.len, 10);
        cf_buf_reset(&b);
        assert_int_equal(b.len, 0);
        assert_int_equal(cf_buf_append(&b, "0123456789", 10), CF_OK);
        assert_int_equal(cf_buf_reserve(&b, SIZE_MAX), CF_ERR_LIMIT);
        assert_int_equal(b.data[10], 0);
        cf_buf_clear(&b);
        assert_null(b.data);
}

/* The Confluent wire format: 00, the id big-endian; sniffing both. */
static void test_confluent(void **state) {
        static const uint8_t expect[5] = {0x00, 0x01, 0x02, 0x03, 0x04};
        uint8_t neg[6] = {0x00, 0x80, 0, 0, 0, 0};
        const uint8_t *body = NULL;
        size_t body_len = 0;
        int32_t id = -1;
        char detail[128] = "";
        cf_buf_t b;
        (void)state;

        cf_buf_init(&b, 64);
        assert_int_equal(cf_framing_confluent_write_header(&b, 0x01020304),
                         CF_OK);
        assert_memory_equal(b.data, expect, sizeof(expect));
        assert_int_equal(cf_buf_append(&b, "\x02x", 2), CF_OK);
        assert_int_equal(cf_framing_sniff(b.data, b.len), CF_FRAMING_CONFLUENT);
        assert_int_equal(cf_framing_confluent_parse(b.data, b.len, &id, &body,
                                                    &body_len, detail,
                                                    sizeof(detail)),
                         CF_REJ_NONE);
        assert_int_equal(id, 0x01020304);
        assert_ptr_equal(body, b.data + 5);
        assert_int_equal(body_len, 2);
        assert_int_equal(cf_framing_confluent_parse(b.data, 4, &id, &body,
                                                    &body_len, detail,
                                                    sizeof(detail)),
                         CF_REJ_MALFORMED);
        assert_non_null(strstr(detail, "shorter"));
        assert_int_equal(cf_framing_confluent_parse(neg, sizeof(neg), &id,
                                                    &body, &body_len, detail,
                                                    sizeof(detail)),
                         CF_REJ_MALFORMED);
        assert_non_null(strstr(detail, "negative"));
        cf_buf_reset(&b);
        assert_int_equal(cf_framing_write_header(&b, 7), CF_OK);
        assert_int_equal(cf_framing_sniff(b.data, b.len),
                         CF_FRAMING_SINGLE_OBJECT);
        assert_int_equal(cf_framing_confluent_parse(b.data, b.len, &id, &body,
                                                    &body_len, detail,
                                                    sizeof(detail)),
                         CF_REJ_MALFORMED);
        assert_int_equal(cf_framing_sniff(b.data, 1), CF_FRAMING_UNKNOWN);
        assert_int_equal(cf_framing_sniff("\x01", 1), CF_FRAMING_UNKNOWN);
        assert_int_equal(cf_framing_sniff(NULL, 0), CF_FRAMING_UNKNOWN);
        cf_buf_clear(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_write_parse),
            cmocka_unit_test(test_short_and_magic),
            cmocka_unit_test(test_over_limit),
            cmocka_unit_test(test_buf_cap),
            cmocka_unit_test(test_confluent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
