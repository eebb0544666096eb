/* common/event: cf_event_reset leaves an event that reads exactly like a
 * freshly initialised one (it clears only what readers look at, not the
 * whole struct: see event.c). Every type's JSON encoding, which prints
 * every field of that type, of a reset event full of garbage must equal
 * that of an initialised one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "schemas/json_codec.h"

static void test_reset_reads_as_init(void **state) {
        cf_event_t *fresh = malloc(sizeof(*fresh));
        cf_event_t *used = malloc(sizeof(*used));
        (void)state;
        assert_non_null(fresh);
        assert_non_null(used);
        for (int t = CF_EV_FIRST_INPUT; t < CF_EV__COUNT; t++) {
                char *want, *got;
                cf_event_init(fresh);
                fresh->type = (cf_event_type_t)t;
                /* every byte set, strings unterminated, counts huge */
                memset(used, 0x5a, sizeof(*used));
                used->subs = NULL;
                used->subs_cap = 0;
                cf_event_reset(used);
                assert_int_equal(used->type, CF_EV_NONE);
                assert_int_equal(used->n_subs, 0);
                assert_int_equal(used->n_roles, 0);
                used->type = (cf_event_type_t)t;
                want = cf_json_encode_event(fresh);
                got = cf_json_encode_event(used);
                assert_non_null(want);
                assert_non_null(got);
                assert_string_equal(got, want);
                free(want);
                free(got);
                cf_event_clear(fresh);
                cf_event_clear(used);
        }
        free(fresh);
        free(used);
}

static void test_reset_keeps_subs_capacity(void **state) {
        cf_event_t ev;
        (void)state;
        cf_event_init(&ev);
        assert_true(cf_event_subs_reserve(&ev, 5));
        ev.n_subs = 5;
        cf_event_reset(&ev);
        assert_int_equal(ev.n_subs, 0);
        assert_non_null(ev.subs);
        assert_true(ev.subs_cap >= 5);
        cf_event_clear(&ev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reset_reads_as_init),
            cmocka_unit_test(test_reset_keeps_subs_capacity),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
