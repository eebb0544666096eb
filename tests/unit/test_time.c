/* common/cf_time: the spec's ISO-8601 form, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/cf_time.h"

static void roundtrip(const char *s, int64_t want) {
        int64_t ms = -1;
        char buf[CF_TIME_STR_SIZE];
        assert_true(cf_time_parse(s, &ms));
        assert_int_equal(ms, want);
        assert_true(cf_time_format(ms, buf, sizeof(buf)));
        assert_string_equal(buf, s);
}

static void test_known_instants(void **state) {
        (void)state;
        roundtrip("1970-01-01T00:00:00Z", 0);
        roundtrip("2026-03-01T09:00:00Z", INT64_C(1772355600000));
        roundtrip("2026-03-03T14:25:12.250Z", INT64_C(1772547912250));
        roundtrip("2000-02-29T23:59:59.999Z", INT64_C(951868799999));
        roundtrip("1969-12-31T23:59:59.999Z", -1);
        roundtrip("0001-01-01T00:00:00Z", CF_TIME_MIN);
        roundtrip("9999-12-31T23:59:59.999Z", CF_TIME_MAX);
}

static void test_accepted_variants(void **state) {
        int64_t ms;
        (void)state;
        assert_true(cf_time_parse("2026-03-01T09:00:00.5Z", &ms));
        assert_int_equal(ms % 1000, 500);
        assert_true(cf_time_parse("2026-03-01T09:00:00.123456789Z", &ms));
        assert_int_equal(ms % 1000, 123);
        assert_true(cf_time_parse("2026-03-01T09:00:00+00:00", &ms));
        assert_int_equal(ms, INT64_C(1772355600000));
}

static void test_refused(void **state) {
        static const char *const bad[] = {
            "",
            "2026-03-01",
            "2026-03-01T09:00:00",       /* no zone */
            "2026-03-01T09:00:00+01:00", /* not UTC */
            "2026-03-01 09:00:00Z",      /* space */
            "2026-02-29T00:00:00Z",      /* not a leap year */
            "1900-02-29T00:00:00Z",      /* not a leap year */
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T09:60:00Z",
            "2026-03-01T09:00:60Z",
            "2026-03-01T09:00:00.Z",
            "2026-03-01T09:00:00.1234567890Z",
            "2026-03-01T09:00:00Zjunk",
            "0000-01-01T00:00:00Z",
            "+2026-03-01T09:00:00Z",
            "２026-03-01T09:00:00Z",
        };
        int64_t ms;
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (cf_time_parse(bad[i], &ms))
                        fail_msg("accepted \"%s\"", bad[i]);
        }
}

static void test_format_bounds(void **state) {
        char buf[CF_TIME_STR_SIZE];
        (void)state;
        assert_false(cf_time_format(CF_TIME_MAX + 1, buf, sizeof(buf)));
        assert_false(cf_time_format(CF_TIME_MIN - 1, buf, sizeof(buf)));
        assert_false(cf_time_format(0, buf, 10));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_known_instants),
            cmocka_unit_test(test_accepted_variants),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_format_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
