/* Resolution plans on generic Avro values (schemas/resolve_int.h), with
 * reader schemas of any shape: enum defaults, record, array, map and bytes
 * defaults, numeric promotions, aliases, reader unions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schemas/resolve_int.h"

/* One writer/reader pair: schemas, JSON, plan, values. */
typedef struct pair_s {
        avro_schema_t ws, rs;
        cf_rjson_t rj;
        cf_rplan_t plan;
        avro_value_t wv, rv;
} pair_t;

static void value_new(avro_schema_t s, avro_value_t *v) {
        avro_value_iface_t *i = avro_generic_class_from_schema(s);
        assert_non_null(i);
        assert_int_equal(avro_generic_value_new(i, v), 0);
        avro_value_iface_decref(i);
}

static void pair_open(pair_t *p, const char *writer, const char *reader) {
        char err[256] = "";
        memset(p, 0, sizeof(*p));
        assert_int_equal(
            avro_schema_from_json_length(writer, strlen(writer), &p->ws), 0);
        assert_int_equal(
            avro_schema_from_json_length(reader, strlen(reader), &p->rs), 0);
        assert_int_equal(
            cf_rjson_load(&p->rj, reader, strlen(reader), err, sizeof(err)),
            CF_OK);
        assert_int_equal(cf_rplan_build(p->ws, p->rs, &p->rj, p->rj.doc, NULL,
                                        &p->plan, err, sizeof(err)),
                         CF_OK);
        value_new(p->ws, &p->wv);
        value_new(p->rs, &p->rv);
}

static void pair_close(pair_t *p) {
        avro_value_decref(&p->wv);
        avro_value_decref(&p->rv);
        cf_rplan_free(&p->plan);
        cf_rjson_free(&p->rj);
        avro_schema_decref(p->ws);
        avro_schema_decref(p->rs);
}

static cf_reject_t run(pair_t *p, char *detail, size_t size) {
        avro_value_reset(&p->rv);
        return cf_rplan_apply(&p->plan, &p->wv, &p->rv, detail, size);
}

static void field(avro_value_t *rec, const char *name, avro_value_t *out) {
        assert_int_equal(avro_value_get_by_name(rec, name, out, NULL), 0);
}

/* An enum symbol the reader lacks takes the reader enum's default. */
static void test_enum_default(void **state) {
        pair_t p;
        avro_value_t v;
        int e = -1;
        char detail[256];
        (void)state;

        pair_open(&p,
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\",\"D\",\"B\"]}}]}",
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\",\"B\",\"C\"],\"default\":\"C\"}}]}");
        field(&p.wv, "e", &v);
        avro_value_set_enum(&v, 1); /* D */
        assert_int_equal(run(&p, detail, sizeof(detail)), CF_REJ_NONE);
        field(&p.rv, "e", &v);
        avro_value_get_enum(&v, &e);
        assert_int_equal(e, 2); /* C */
        field(&p.wv, "e", &v);
        avro_value_set_enum(&v, 2); /* B */
        assert_int_equal(run(&p, detail, sizeof(detail)), CF_REJ_NONE);
        field(&p.rv, "e", &v);
        avro_value_get_enum(&v, &e);
        assert_int_equal(e, 1);
        assert_false(cf_rplan_has_fail(&p.plan));
        pair_close(&p);
}

/* Reader-only fields of every kind take their defaults; a record default
 * leaving a member out takes that member's own default. */
static void test_defaults(void **state) {
        pair_t p;
        avro_value_t v, k;
        const char *s = NULL;
        const void *b = NULL;
        size_t n = 0;
        int32_t i = 0;
        double d = 0;
        int disc = -1;
        char detail[256];
        (void)state;

        pair_open(
            &p, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
            "{\"name\":\"s\",\"type\":\"string\",\"default\":\"x\"},"
            "{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u00ff\\u0001\"}"
            ","
            "{\"name\":\"d\",\"type\":\"double\",\"default\":1},"
            "{\"name\":\"u\",\"type\":[\"null\",\"int\"],\"default\":null},"
            "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"},"
            "\"default\":[1,2,3]},"
            "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"},"
            "\"default\":{\"k\":\"v\"}},"
            "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"In\","
            "\"fields\":[{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\","
            "\"type\":\"int\",\"default\":9}]},\"default\":{\"x\":4}},"
            "{\"name\":\"r2\",\"type\":\"In\",\"default\":{\"x\":5,\"y\":6}}]"
            "}");
        assert_int_equal(run(&p, detail, sizeof(detail)), CF_REJ_NONE);
        field(&p.rv, "s", &v);
        avro_value_get_string(&v, &s, &n);
        assert_string_equal(s, "x");
        field(&p.rv, "b", &v);
        avro_value_get_bytes(&v, &b, &n);
        assert_int_equal(n, 2);
        assert_memory_equal(b, "\xff\x01", 2);
        field(&p.rv, "d", &v);
        avro_value_get_double(&v, &d);
        assert_true(d == 1.0);
        field(&p.rv, "u", &v);
        avro_value_get_discriminant(&v, &disc);
        assert_int_equal(disc, 0);
        field(&p.rv, "a", &v);
        avro_value_get_size(&v, &n);
        assert_int_equal(n, 3);
        avro_value_get_by_index(&v, 2, &k, NULL);
        avro_value_get_int(&k, &i);
        assert_int_equal(i, 3);
        field(&p.rv, "m", &v);
        assert_int_equal(avro_value_get_by_name(&v, "k", &k, NULL), 0);
        avro_value_get_string(&k, &s, &n);
        assert_string_equal(s, "v");
        field(&p.rv, "r", &v);
        field(&v, "y", &k);
        avro_value_get_int(&k, &i);
        assert_int_equal(i, 9);
        field(&p.rv, "r2", &v);
        field(&v, "y", &k);
        avro_value_get_int(&k, &i);
        assert_int_equal(i, 6);
        pair_close(&p);
}

/* A default that does not fit its field is found when the plan is built
 * and refuses every datum, naming the field. */
static void test_bad_default(void **state) {
        pair_t p;
        char detail[256] = "";
        (void)state;

        pair_open(&p, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"n\",\"type\":\"int\",\"default\":\"seven\"}]}");
        assert_true(cf_rplan_has_fail(&p.plan));
        assert_int_equal(run(&p, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "field n"));
        pair_close(&p);
}

/* int -> long, float, double; long -> float, double; float -> double;
 * string -> bytes; into a reader union: the exact branch first. */
static void test_numeric_promotions(void **state) {
        pair_t p;
        avro_value_t v;
        int64_t l = 0;
        float f = 0;
        double d = 0;
        const void *b = NULL;
        size_t n = 0;
        int disc = -1;
        char detail[256];
        (void)state;

        pair_open(
            &p,
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
            "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":"
            "\"int\"},{\"name\":\"c\",\"type\":\"long\"},{\"name\":\"e\","
            "\"type\":\"float\"},{\"name\":\"s\",\"type\":\"string\"},"
            "{\"name\":\"u\",\"type\":\"long\"}]}",
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
            "{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":"
            "\"float\"},{\"name\":\"c\",\"type\":\"double\"},{\"name\":\"e\","
            "\"type\":\"double\"},{\"name\":\"s\",\"type\":\"bytes\"},"
            "{\"name\":\"u\",\"type\":[\"null\",\"double\",\"long\"]}]}");
        field(&p.wv, "a", &v);
        avro_value_set_int(&v, -7);
        field(&p.wv, "b", &v);
        avro_value_set_int(&v, 3);
        field(&p.wv, "c", &v);
        avro_value_set_long(&v, INT64_C(1) << 40);
        field(&p.wv, "e", &v);
        avro_value_set_float(&v, 0.5f);
        field(&p.wv, "s", &v);
        avro_value_set_string(&v, "hi");
        field(&p.wv, "u", &v);
        avro_value_set_long(&v, 11);
        assert_int_equal(run(&p, detail, sizeof(detail)), CF_REJ_NONE);
        field(&p.rv, "a", &v);
        avro_value_get_long(&v, &l);
        assert_true(l == -7);
        field(&p.rv, "b", &v);
        avro_value_get_float(&v, &f);
        assert_true(f == 3.0f);
        field(&p.rv, "c", &v);
        avro_value_get_double(&v, &d);
        assert_true(d == (double)(INT64_C(1) << 40));
        field(&p.rv, "e", &v);
        avro_value_get_double(&v, &d);
        assert_true(d == 0.5);
        field(&p.rv, "s", &v);
        avro_value_get_bytes(&v, &b, &n);
        assert_int_equal(n, 2);
        assert_memory_equal(b, "hi", 2);
        field(&p.rv, "u", &v);
        avro_value_get_discriminant(&v, &disc);
        assert_int_equal(disc, 2); /* long, not the double it promotes to */
        pair_close(&p);
}

/* Reader aliases: a renamed record and a renamed field. */
static void test_aliases(void **state) {
        pair_t p;
        avro_value_t v, k;
        int32_t i = 0;
        char detail[256];
        (void)state;

        pair_open(&p,
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"inner\",\"type\":{\"type\":\"record\",\"name\":\"Old\","
                  "\"namespace\":\"a.b\",\"fields\":[{\"name\":\"n\",\"type\":"
                  "\"int\"}]}}]}",
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"inner\",\"type\":{\"type\":\"record\",\"name\":\"New\","
                  "\"aliases\":[\"a.b.Old\"],\"fields\":[{\"name\":\"count\","
                  "\"aliases\":[\"n\"],\"type\":\"int\"}]}}]}");
        assert_false(cf_rplan_has_fail(&p.plan));
        field(&p.wv, "inner", &v);
        field(&v, "n", &k);
        avro_value_set_int(&k, 42);
        assert_int_equal(run(&p, detail, sizeof(detail)), CF_REJ_NONE);
        field(&p.rv, "inner", &v);
        field(&v, "count", &k);
        avro_value_get_int(&k, &i);
        assert_int_equal(i, 42);
        pair_close(&p);
        /* without the alias the names differ: refused */
        pair_open(&p,
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"inner\",\"type\":{\"type\":\"record\",\"name\":\"Old\","
                  "\"fields\":[]}}]}",
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                  "\"inner\",\"type\":{\"type\":\"record\",\"name\":\"New\","
                  "\"fields\":[]}}]}");
        assert_int_equal(run(&p, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "field inner"));
        assert_non_null(strstr(detail, "Old"));
        pair_close(&p);
}

/* Arrays and maps resolve item by item (int items read as long). */
static void test_array_map(void **state) {
        pair_t p;
        avro_value_t v, k;
        int64_t l = 0;
        size_t n = 0;
        char detail[256];
        (void)state;

        pair_open(&p,
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                  "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":"
                  "\"int\"}},{\"name\":\"m\",\"type\":{\"type\":\"map\","
                  "\"values\":\"int\"}}]}",
                  "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                  "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":"
                  "\"long\"}},{\"name\":\"m\",\"type\":{\"type\":\"map\","
                  "\"values\":\"long\"}}]}");
        field(&p.wv, "a", &v);
        avro_value_append(&v, &k, NULL);
        avro_value_set_int(&k, 5);
        avro_value_append(&v, &k, NULL);
        avro_value_set_int(&k, 6);
        field(&p.wv, "m", &v);
        avro_value_add(&v, "z", &k, NULL, NULL);
        avro_value_set_int(&k, 7);
        assert_int_equal(run(&p, detail, sizeof(detail)), CF_REJ_NONE);
        field(&p.rv, "a", &v);
        avro_value_get_size(&v, &n);
        assert_int_equal(n, 2);
        avro_value_get_by_index(&v, 1, &k, NULL);
        avro_value_get_long(&k, &l);
        assert_true(l == 6);
        field(&p.rv, "m", &v);
        assert_int_equal(avro_value_get_by_name(&v, "z", &k, NULL), 0);
        avro_value_get_long(&k, &l);
        assert_true(l == 7);
        pair_close(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_enum_default),
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_bad_default),
            cmocka_unit_test(test_numeric_promotions),
            cmocka_unit_test(test_aliases),
            cmocka_unit_test(test_array_map),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
