/* common/strutil: cf_url_strip_userinfo (the registry's URL in logs and in
 * the AsyncAPI document never carries its user:password@). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "common/strutil.h"

static void stripped(const char *url, const char *want) {
        char *got = cf_url_strip_userinfo(url);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
}

static void test_strip_userinfo(void **state) {
        (void)state;
        stripped("https://u:p@reg.example:8081/apis/ccompat/v7",
                 "https://reg.example:8081/apis/ccompat/v7");
        stripped("http://user@h", "http://h");
        /* an unencoded '@' in the password: cut at the last one */
        stripped("https://u:p@ss@h:1?x=a@b", "https://h:1?x=a@b");
        /* an '@' after the authority is not user information */
        stripped("http://h/path@x", "http://h/path@x");
        stripped("http://h#f@g", "http://h#f@g");
        stripped("http://h:8081", "http://h:8081");
        stripped("no-scheme@h", "no-scheme@h");
        stripped("", "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strip_userinfo),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
