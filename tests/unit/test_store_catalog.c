/* handlers/store, common/catalog + schemas/catalog_json, common/linereader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/linereader.h"
#include "common/strutil.h"
#include "handlers/store.h"
#include "schemas/catalog_json.h"

static void test_store_order_and_keys(void **state) {
        cf_store_t *st = cf_store_new();
        const cf_migration_t *m = NULL;
        const char *order[] = {"p2", "p1", "p3"};
        (void)state;
        assert_non_null(st);
        for (int i = 0; i < 3; i++)
                assert_true(cf_store_put(st, cf_migration_new(order[i], "t")));
        /* "a/b"+"c" and "a"+"b/c" are one Kafka key but two pairs. */
        assert_true(cf_store_put(st, cf_migration_new("a/b", "c")));
        assert_true(cf_store_put(st, cf_migration_new("a", "b/c")));
        assert_int_equal(cf_store_count(st), 5);
        for (int i = 0; i < 3; i++) {
                m = cf_store_next(st, m);
                assert_string_equal(m->partner_id, order[i]);
        }
        assert_non_null(cf_store_get(st, "a", "b/c"));
        assert_null(cf_store_get(st, "a", "b"));
        cf_store_remove(st, "p1", "t");
        assert_null(cf_store_get(st, "p1", "t"));
        assert_int_equal(cf_store_count(st), 4);
        cf_store_destroy(st);
}

static void test_store_apply_drops_rejected_new_keys(void **state) {
        cf_store_t *st = cf_store_new();
        cf_outbox_t ob;
        cf_verdict_t v;
        cf_event_t ev;
        (void)state;
        cf_outbox_init(&ob);
        cf_event_init(&ev);
        ev.type = CF_EV_INVITATION_ACCEPTED;
        cf_strlcpy(ev.event_id, "e", sizeof(ev.event_id));
        cf_strlcpy(ev.partner_id, "p", sizeof(ev.partner_id));
        cf_strlcpy(ev.customer_tenant_id, "t", sizeof(ev.customer_tenant_id));
        assert_int_equal(cf_store_apply(st, NULL, &ev, &ob, &v), CF_OK);
        assert_int_equal(v.kind, CF_VERDICT_REJECTED);
        assert_int_equal(v.reason, CF_REJ_NO_MIGRATION);
        assert_int_equal(cf_store_count(st), 0);
        assert_int_equal(ob.n, 0);
        cf_outbox_clear(&ob);
        cf_event_clear(&ev);
        cf_store_destroy(st);
}

static void test_catalog(void **state) {
        const char *text =
            "{\"offers\":[{\"offer_id\":\"B\",\"discontinued\":true,"
            "\"equivalent_offer_id\":\"B2\"},{\"offer_id\":\"A\"},"
            "{\"offer_id\":\"C\",\"discontinued\":false},"
            "{\"offer_id\":\"D\",\"equivalent_offer_id\":null}]}";
        cf_catalog_t *cat = NULL;
        const char *eq = "unset";
        char err[256];
        (void)state;
        assert_int_equal(
            cf_catalog_parse_json(text, strlen(text), &cat, err, sizeof(err)),
            CF_OK);
        assert_int_equal(cf_catalog_size(cat), 4);
        assert_true(cf_catalog_discontinued(cat, "B", &eq));
        assert_string_equal(eq, "B2");
        assert_true(cf_catalog_discontinued(cat, "A", &eq));
        assert_null(eq);
        assert_false(cf_catalog_discontinued(cat, "C", &eq));
        assert_true(cf_catalog_discontinued(cat, "D", &eq));
        assert_false(cf_catalog_discontinued(cat, "Z", &eq));
        assert_false(cf_catalog_discontinued(NULL, "B", &eq));
        cf_catalog_destroy(cat);
}

static void test_catalog_errors(void **state) {
        static const char *const bad[] = {
            "",
            "[]",
            "{\"offers\":{}}",
            "{\"offers\":[1]}",
            "{\"offers\":[{\"offer_id\":\"\"}]}",
            "{\"offers\":[{\"offer_id\":\"A\",\"discontinued\":\"yes\"}]}",
            "{\"offers\":[{\"offer_id\":\"A\",\"equivalent_offer_id\":7}]}",
        };
        cf_catalog_t *cat = NULL;
        char err[256];
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_int_not_equal(cf_catalog_parse_json(bad[i],
                                                           strlen(bad[i]), &cat,
                                                           err, sizeof(err)),
                                     CF_OK);
                assert_null(cat);
                assert_non_null(strstr(err, "catalog"));
        }
        assert_int_equal(
            cf_catalog_load_json("/nonexistent", &cat, err, sizeof(err)),
            CF_ERR_IO);
}

static void test_catalog_merge(void **state) {
        char a[] = "/tmp/cf-cat-a-XXXXXX", b[] = "/tmp/cf-cat-b-XXXXXX";
        const char *ta = "{\"offers\":[{\"offer_id\":\"X\","
                         "\"equivalent_offer_id\":\"X1\"},"
                         "{\"offer_id\":\"Y\"}]}";
        const char *tb = "{\"offers\":[{\"offer_id\":\"X\","
                         "\"equivalent_offer_id\":\"X2\"}]}";
        cf_catalog_t *cat = cf_catalog_new();
        const char *eq = NULL;
        char err[256];
        int fa = mkstemp(a), fb = mkstemp(b);
        (void)state;
        assert_true(fa >= 0 && fb >= 0);
        assert_int_equal(write(fa, ta, strlen(ta)), (ssize_t)strlen(ta));
        assert_int_equal(write(fb, tb, strlen(tb)), (ssize_t)strlen(tb));
        close(fa);
        close(fb);
        assert_int_equal(cf_catalog_load_json_into(cat, a, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(cf_catalog_load_json_into(cat, b, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(cf_catalog_size(cat), 2);
        assert_true(cf_catalog_discontinued(cat, "X", &eq));
        assert_string_equal(eq, "X2"); /* the later file wins */
        assert_true(cf_catalog_discontinued(cat, "Y", &eq));
        unlink(a);
        unlink(b);
        cf_catalog_destroy(cat);
}

static void test_linereader(void **state) {
        char data[] = "one\r\n\nthree-is-long\nfour";
        FILE *fp = fmemopen(data, strlen(data), "r");
        cf_linereader_t *lr = cf_linereader_new(fp, 8);
        const char *line;
        size_t len;
        unsigned long no;
        (void)state;
        assert_int_equal(cf_linereader_next(lr, &line, &len, &no), CF_LINE_OK);
        assert_string_equal(line, "one");
        assert_int_equal(no, 1);
        assert_int_equal(cf_linereader_next(lr, &line, &len, &no), CF_LINE_OK);
        assert_int_equal(len, 0);
        assert_int_equal(cf_linereader_next(lr, &line, &len, &no),
                         CF_LINE_TOO_LONG);
        assert_int_equal(len, 13);
        assert_int_equal(no, 3);
        assert_int_equal(cf_linereader_next(lr, &line, &len, &no), CF_LINE_OK);
        assert_string_equal(line, "four");
        assert_int_equal(no, 4);
        assert_int_equal(cf_linereader_next(lr, &line, &len, &no), CF_LINE_EOF);
        cf_linereader_destroy(lr);
        fclose(fp);
}

static void test_strutil(void **state) {
        char small[4];
        long v;
        (void)state;
        assert_true(cf_strlcpy(small, "abc", sizeof(small)));
        assert_false(cf_strlcpy(small, "abcd", sizeof(small)));
        assert_string_equal(small, "abc");
        assert_true(cf_str_ieq("EU", "eu"));
        assert_false(cf_str_ieq("EU", "EUR"));
        assert_true(cf_parse_long("42", 0, 100, &v));
        assert_int_equal(v, 42);
        assert_false(cf_parse_long("42x", 0, 100, &v));
        assert_false(cf_parse_long("", 0, 100, &v));
        assert_false(cf_parse_long(" 1", 0, 100, &v));
        assert_false(cf_parse_long("101", 0, 100, &v));
        assert_false(cf_parse_long("99999999999999999999", 0, 100, &v));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_store_order_and_keys),
            cmocka_unit_test(test_store_apply_drops_rejected_new_keys),
            cmocka_unit_test(test_catalog),
            cmocka_unit_test(test_catalog_errors),
            cmocka_unit_test(test_catalog_merge),
            cmocka_unit_test(test_linereader),
            cmocka_unit_test(test_strutil),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
