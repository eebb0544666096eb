/* Parsing Canonical Form and CRC-64-AVRO fingerprints.
 *
 * Every expected form and fingerprint below was produced by Apache Avro's
 * Java implementation 1.11.3 (SchemaNormalization.toParsingForm and
 * parsingFingerprint64, via tests/interop/java `Interop canonical`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schemas/canonical.h"

static void check_form(const char *text, const char *expect_form,
                       uint64_t expect_fp) {
        cf_buf_t b;
        char err[256] = "";
        uint64_t fp = 0;

        cf_buf_init(&b, CF_CANONICAL_TEXT_MAX);
        assert_int_equal(
            cf_canonical_form(text, strlen(text), &b, err, sizeof(err)), CF_OK);
        assert_non_null(b.data);
        assert_string_equal((const char *)b.data, expect_form);
        assert_int_equal(
            cf_canonical_fingerprint(text, strlen(text), &fp, err, sizeof(err)),
            CF_OK);
        assert_true(fp == expect_fp);
        assert_true(cf_canonical_crc64(b.data, b.len) == expect_fp);
        cf_buf_clear(&b);
}

static cf_err_t form_err(const char *text, size_t len, char *err, size_t size) {
        cf_buf_t b;
        cf_err_t rc;

        cf_buf_init(&b, CF_CANONICAL_TEXT_MAX);
        err[0] = '\0';
        rc = cf_canonical_form(text, len, &b, err, size);
        cf_buf_clear(&b);
        return rc;
}

static void test_empty_crc(void **state) {
        (void)state;
        assert_true(cf_canonical_crc64("", 0) == UINT64_C(0xc15d213aa4d7a795));
}

static void test_primitives(void **state) {
        static const struct {
                const char *name;
                uint64_t fp;
        } v[] = {
            {"null", UINT64_C(0x63dd24e7cc258f8a)},
            {"boolean", UINT64_C(0x9f42fc78a4d4f764)},
            {"int", UINT64_C(0x7275d51a3f395c8f)},
            {"long", UINT64_C(0xd054e14493f41db7)},
            {"float", UINT64_C(0x4d7c02cb3ea8d790)},
            {"double", UINT64_C(0x8e7535c032ab957e)},
            {"bytes", UINT64_C(0x4fc016dac3201965)},
            {"string", UINT64_C(0x8f014872634503c7)},
        };
        char text[64], form[64], obj[96];
        (void)state;
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                snprintf(text, sizeof(text), " \"%s\" ", v[i].name);
                snprintf(form, sizeof(form), "\"%s\"", v[i].name);
                check_form(text, form, v[i].fp);
                /* [PRIMITIVES]: the object form means the same */
                snprintf(obj, sizeof(obj),
                         "{\"type\" : \"%s\", \"doc\": \"x\"}", v[i].name);
                check_form(obj, form, v[i].fp);
        }
}

/* Nested named types, namespace inheritance, a dotted name, an explicit
 * null namespace, references by short and full names, a logical type,
 * doc/aliases/default stripped, a \u escape in a doc. */
static const char rec_text[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"Outer\",\n"
    "  \"namespace\": \"a.b\",\n"
    "  \"doc\": \"outer \\u00e9 doc\",\n"
    "  \"aliases\": [\"Old\"],\n"
    "  \"fields\": [\n"
    "    {\"name\": \"id\", \"type\": {\"type\": \"string\"}, \"doc\": \"x\", "
    "\"default\": \"d\"},\n"
    "    {\"name\": \"ts\", \"type\": {\"type\": \"long\", \"logicalType\": "
    "\"timestamp-millis\"}},\n"
    "    {\"name\": \"inner\", \"type\": {\"type\": \"record\", \"name\": "
    "\"Inner\", \"fields\": [\n"
    "      {\"name\": \"k\", \"type\": {\"type\": \"enum\", \"name\": "
    "\"Kind\", \"namespace\": \"c\", \"symbols\": [\"A\", \"B\"], \"doc\": "
    "\"k\"}},\n"
    "      {\"name\": \"h\", \"type\": {\"type\": \"fixed\", \"name\": "
    "\"x.y.Hash\", \"size\": 16}}\n"
    "    ]}},\n"
    "    {\"name\": \"again\", \"type\": \"Inner\"},\n"
    "    {\"name\": \"kind2\", \"type\": \"c.Kind\"},\n"
    "    {\"name\": \"hash2\", \"type\": [\"null\", \"x.y.Hash\"], "
    "\"default\": null},\n"
    "    {\"name\": \"list\", \"type\": {\"type\": \"array\", \"items\": "
    "{\"type\": \"map\", \"values\": \"Inner\"}}},\n"
    "    {\"name\": \"nons\", \"type\": {\"type\": \"record\", \"name\": "
    "\"Bare\", \"namespace\": \"\", \"fields\": [\n"
    "      {\"name\": \"self\", \"type\": [\"null\", \"Bare\"]},\n"
    "      {\"name\": \"o\", \"type\": [\"null\", \"a.b.Outer\"]}\n"
    "    ]}}\n"
    "  ]\n"
    "}\n";

static const char rec_form[] =
    "{\"name\":\"a.b.Outer\",\"type\":\"record\",\"fields\":[{\"n"
    "ame\":\"id\",\"type\":\"string\"},{\"name\":\"ts\",\"type\":"
    "\"long\"},{\"name\":\"inner\",\"type\":{\"name\":\"a.b.Inner"
    "\",\"type\":\"record\",\"fields\":[{\"name\":\"k\",\"type\":"
    "{\"name\":\"c.Kind\",\"type\":\"enum\",\"symbols\":[\"A\",\""
    "B\"]}},{\"name\":\"h\",\"type\":{\"name\":\"x.y.Hash\",\"typ"
    "e\":\"fixed\",\"size\":16}}]}},{\"name\":\"again\",\"type\":"
    "\"a.b.Inner\"},{\"name\":\"kind2\",\"type\":\"c.Kind\"},{\"n"
    "ame\":\"hash2\",\"type\":[\"null\",\"x.y.Hash\"]},{\"name\":"
    "\"list\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\""
    "map\",\"values\":\"a.b.Inner\"}}},{\"name\":\"nons\",\"type\""
    ":{\"name\":\"Bare\",\"type\":\"record\",\"fields\":[{\"name\""
    ":\"self\",\"type\":[\"null\",\"Bare\"]},{\"name\":\"o\",\"ty"
    "pe\":[\"null\",\"a.b.Outer\"]}]}}]}";

static void test_record_nested_names(void **state) {
        (void)state;
        check_form(rec_text, rec_form, UINT64_C(0x38006522a053f17a));
}

static void test_refused(void **state) {
        static const char *const bad[] = {
            "",
            "{",
            "42",
            "\"Nope\"",
            "{\"type\":\"record\"}",
            "{\"type\":\"record\",\"name\":\"R\"}",
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"Missing\"}]}",
            /* redefinition */
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":{\"type\":\"enum\",\"name\":\"R\",\"symbols\":[]}}]}",
            /* duplicate field */
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
            /* union in union */
            "[\"null\",[\"int\"]]",
            /* invalid names */
            "{\"type\":\"enum\",\"name\":\"1E\",\"symbols\":[\"A\"]}",
            "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A-B\"]}",
            "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
            "{\"type\":\"fixed\",\"name\":\"F\",\"size\":\"16\"}",
            "{\"type\":\"fixed\",\"name\":\"int\",\"size\":4}",
            "{\"type\":\"array\"}",
            /* duplicate JSON keys */
            "{\"type\":\"int\",\"type\":\"long\"}",
            /* Outer is a.b.Outer: not visible by its short name from the
             * null namespace (Java refuses it too) */
            "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\","
            "\"fields\":[{\"name\":\"n\",\"type\":{\"type\":\"record\","
            "\"name\":\"Bare\",\"namespace\":\"\",\"fields\":[{\"name\":\"o\","
            "\"type\":[\"null\",\"Outer\"]}]}}]}",
        };
        char err[256];
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cf_err_t rc =
                    form_err(bad[i], strlen(bad[i]), err, sizeof(err));
                if (rc != CF_ERR_INVALID)
                        fail_msg("schema %zu (%s) gave %s", i, bad[i],
                                 cf_err_name(rc));
                assert_true(err[0] != '\0');
        }
}

static void test_caps(void **state) {
        char err[256];
        size_t n = CF_CANONICAL_TEXT_MAX + 1,
               depth = CF_CANONICAL_DEPTH_MAX + 2;
        char *big = malloc(n);
        char *deep;
        size_t o = 0;
        (void)state;

        assert_non_null(big);
        memset(big, ' ', n);
        big[0] = '"';
        memcpy(big + 1, "int\"", 4);
        assert_int_equal(form_err(big, n, err, sizeof(err)), CF_ERR_LIMIT);
        assert_non_null(strstr(err, "over"));
        /* the same text within the cap is fine */
        assert_int_equal(form_err(big, n - 1, err, sizeof(err)), CF_OK);
        free(big);

        /* {"type":"array","items": ... "int" ... } nested too deep */
        deep = malloc(depth * 40 + 16);
        assert_non_null(deep);
        for (size_t i = 0; i < depth; i++) {
                memcpy(deep + o, "{\"type\":\"array\",\"items\":", 24);
                o += 24;
        }
        memcpy(deep + o, "\"int\"", 5);
        o += 5;
        for (size_t i = 0; i < depth; i++)
                deep[o++] = '}';
        assert_int_equal(form_err(deep, o, err, sizeof(err)), CF_ERR_LIMIT);
        assert_non_null(strstr(err, "deeper"));
        free(deep);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_empty_crc),
            cmocka_unit_test(test_primitives),
            cmocka_unit_test(test_record_nested_names),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_caps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
