/* Rules 4, 5, 6 and 10 of ../shared/spec/domain.md, through handlers/
 * alone: replacements provisioned, failures retried, licenses reassigned,
 * and the migration completed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "handlers/handlers_int.h"
#include "rules_fixture.h"

/* The standard migration with O-A replaced by O-A2 (catalog). */
static void open_with_equivalent(t_world_t *w) {
        t_catalog(w, "O-A", "O-A2");
        t_open_accepted(w);
        assert_string_equal(t_sub(w, "S-1")->target_offer_id, "O-A2");
}

/* ---- rule 4 ---- */

static void test_rule04_same_offer_recorded(void **state) {
        t_world_t *w = *state;
        const cf_sub_state_t *s;

        t_open_accepted(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        t_apply(w, 0);
        assert_int_equal(w->v.rule, 4);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
        s = t_sub(w, "S-1");
        assert_int_equal(s->target, CF_TGT_PROVISIONED);
        assert_string_equal(s->subscription_id, "N-1");
        assert_string_equal(s->provisioned_offer_id, "O-A");
        assert_int_equal(s->provisioned_quantity, 10);
        assert_false(s->licenses_reassigned);
        assert_true(cf_rule_sub_ready(s));
        assert_int_equal(t_sub(w, "S-2")->target, CF_TGT_REQUESTED);
}

static void test_rule04_other_offer_asks_reassignment(void **state) {
        t_world_t *w = *state;
        const cf_event_t *o;

        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        o = t_out(w, 0);
        assert_string_equal(o->source_subscription_id, "S-1");
        assert_string_equal(o->from_offer_id, "O-A");
        assert_string_equal(o->to_offer_id, "O-A2");
        assert_string_equal(o->subscription_id, "N-1");
        assert_int_equal(o->quantity, 10);
        assert_false(t_sub(w, "S-1")->licenses_reassigned);
        assert_false(cf_rule_sub_ready(t_sub(w, "S-1")));
}

static void test_rule04_quantity_mismatch(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-2", "N-2", "O-B", 4);
        t_apply(w, 1, CF_EV_LICENSE_COUNT_MISMATCH);
        assert_string_equal(t_out(w, 0)->source_subscription_id, "S-2");
        assert_int_equal(t_out(w, 0)->expected, 5);
        assert_int_equal(t_out(w, 0)->actual, 4);
        assert_int_equal(t_sub(w, "S-2")->provisioned_quantity, 4);
        assert_false(cf_rule_sub_ready(t_sub(w, "S-2")));
}

static void test_rule04_offer_and_quantity_both_differ(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 12);
        t_apply(w, 2, CF_EV_REASSIGN_LICENSES, CF_EV_LICENSE_COUNT_MISMATCH);
        /* reassign the licenses the customer had, not the extra ones */
        assert_int_equal(t_out(w, 0)->quantity, 10);
        assert_int_equal(t_out(w, 1)->expected, 10);
        assert_int_equal(t_out(w, 1)->actual, 12);
}

static void test_rule04_later_right_quantity_clears(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-2", "N-2", "O-B", 4);
        t_apply(w, 1, CF_EV_LICENSE_COUNT_MISMATCH);
        t_provisioned(w, "S-2", "N-2", "O-B", 5);
        t_apply(w, 0);
        assert_int_equal(t_sub(w, "S-2")->provisioned_quantity, 5);
        assert_true(cf_rule_sub_ready(t_sub(w, "S-2")));
}

static void test_rule04_repeat_after_reassignment_is_quiet(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        t_reassigned(w, "S-1");
        t_apply(w, 0);
        /* the same subscription on the same offer again: nothing to move */
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 0);
        assert_true(t_sub(w, "S-1")->licenses_reassigned);
        /* a different replacement: its licenses must be moved again */
        t_provisioned(w, "S-1", "N-1B", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        assert_string_equal(t_out(w, 0)->subscription_id, "N-1B");
        assert_false(t_sub(w, "S-1")->licenses_reassigned);
        assert_string_equal(t_sub(w, "S-1")->subscription_id, "N-1B");
}

static void test_rule04_quantity_fix_does_not_repeat_reassign(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 9);
        t_apply(w, 2, CF_EV_REASSIGN_LICENSES, CF_EV_LICENSE_COUNT_MISMATCH);
        /* the same replacement with its quantity corrected: the
         * reassignment was already asked for, and is still pending */
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 0);
        assert_int_equal(t_sub(w, "S-1")->provisioned_quantity, 10);
        assert_false(t_sub(w, "S-1")->licenses_reassigned);
        assert_false(cf_rule_sub_ready(t_sub(w, "S-1")));
        t_reassigned(w, "S-1");
        t_apply(w, 0);
        assert_true(cf_rule_sub_ready(t_sub(w, "S-1")));
}

static void test_rule04_back_to_same_offer_needs_no_reassignment(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        t_provisioned(w, "S-1", "N-1C", "O-A", 10);
        t_apply(w, 0);
        assert_false(t_sub(w, "S-1")->licenses_reassigned);
        assert_true(cf_rule_sub_ready(t_sub(w, "S-1")));
}

static void test_rule04_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-9", "N-9", "O-A", 10);
        t_contains(t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION), "S-9");
}

static void test_rule04_quantity_below_one(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 0);
        t_contains(t_rejected(w, CF_REJ_INVALID_VALUE), "N-1");
}

static void test_rule04_never_requested(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", NULL);
        t_open_accepted(w); /* S-1: no equivalent, never requested */
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "S-1");
}

static void test_rule04_before_acceptance(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        t_rejected(w, CF_REJ_NOT_APPLICABLE);
}

static void test_rule04_after_failure_block_still_recorded(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        for (int i = 0; i < CF_PROVISION_ATTEMPTS_MAX; i++) {
                t_failed(w, "S-1");
                t_handle(w, CF_VERDICT_APPLIED);
        }
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_FAILED);
        /* the partner provisioned it by hand after all */
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        t_apply(w, 0);
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_PROVISIONED);
}

/* ---- rule 5 ---- */

static void test_rule05_retry_with_new_request_id(void **state) {
        t_world_t *w = *state;
        char first[CF_UUID_SIZE], rid[CF_UUID_SIZE];

        t_open_accepted(w);
        cf_strlcpy(first, t_sub(w, "S-2")->request_id, sizeof(first));
        t_failed(w, "S-2");
        t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
        assert_int_equal(w->v.rule, 5);
        assert_string_equal(t_out(w, 0)->source_subscription_id, "S-2");
        assert_string_equal(t_out(w, 0)->offer_id, "O-B");
        assert_int_equal(t_out(w, 0)->quantity, 5);
        assert_true(t_out(w, 0)->same_offer);
        t_expected_request_id(w, "S-2", 2, rid);
        assert_string_equal(t_out(w, 0)->request_id, rid);
        assert_string_not_equal(rid, first);
        assert_int_equal(t_sub(w, "S-2")->failures, 1);
        assert_int_equal(t_sub(w, "S-2")->requests, 2);
        assert_int_equal(t_sub(w, "S-2")->target, CF_TGT_REQUESTED);
}

static void test_rule05_retry_keeps_equivalent_offer(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_failed(w, "S-1");
        t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->offer_id, "O-A2");
        assert_false(t_out(w, 0)->same_offer);
}

static void test_rule05_third_failure_blocks(void **state) {
        t_world_t *w = *state;
        char seen[CF_PROVISION_ATTEMPTS_MAX][CF_UUID_SIZE];

        t_open_accepted(w);
        cf_strlcpy(seen[0], t_sub(w, "S-1")->request_id, CF_UUID_SIZE);
        for (int i = 1; i < CF_PROVISION_ATTEMPTS_MAX; i++) {
                t_failed(w, "S-1");
                t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
                cf_strlcpy(seen[i], t_out(w, 0)->request_id, CF_UUID_SIZE);
                for (int j = 0; j < i; j++)
                        assert_string_not_equal(seen[i], seen[j]);
        }
        t_failed(w, "S-1");
        t_apply(w, 1, CF_EV_MIGRATION_BLOCKED);
        assert_int_equal(t_out(w, 0)->reason_code, CF_BLK_PROVISIONING_FAILED);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-1");
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_FAILED);
        assert_int_equal(t_sub(w, "S-1")->failures, 3);
        assert_int_equal(t_sub(w, "S-1")->requests, 3);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
        /* a fourth failure has nothing outstanding to fail */
        t_failed(w, "S-1");
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "failed");
        /* the other source goes on */
        t_provision_same(w, "S-2", "N-2");
}

static void test_rule05_not_outstanding(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_failed(w, "S-1");
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "S-1");
}

static void test_rule05_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_failed(w, "S-9");
        t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION);
}

static void test_rule05_before_acceptance(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_failed(w, "S-1");
        t_rejected(w, CF_REJ_NOT_APPLICABLE);
}

/* ---- rule 6 ---- */

static void test_rule06_recorded(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        t_reassigned(w, "S-1");
        t_apply(w, 0);
        assert_int_equal(w->v.rule, 6);
        assert_true(t_sub(w, "S-1")->licenses_reassigned);
        assert_true(cf_rule_sub_ready(t_sub(w, "S-1")));
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule06_same_offer_not_applicable(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_reassigned(w, "S-1");
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE),
                   "no license reassignment pending for subscription S-1");
}

static void test_rule06_not_provisioned_not_applicable(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_reassigned(w, "S-1");
        t_rejected(w, CF_REJ_NOT_APPLICABLE);
}

static void test_rule06_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_reassigned(w, "S-9");
        t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION);
}

/* ---- rule 10 ---- */

static void test_rule10_completes(void **state) {
        t_world_t *w = *state;
        const cf_event_t *o;

        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        assert_int_equal(w->v.rule, 9);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 1, CF_EV_MIGRATION_COMPLETED);
        assert_int_equal(w->v.rule, 10);
        assert_int_equal(w->v.status_before, CF_MIG_PROVISIONING);
        assert_int_equal(w->v.status_after, CF_MIG_COMPLETED);
        o = t_out(w, 0);
        assert_int_equal(o->n_subs, 2);
        assert_string_equal(o->subs[0].source_subscription_id, "S-1");
        assert_string_equal(o->subs[0].subscription_id, "N-1");
        assert_string_equal(o->subs[0].offer_id, "O-A");
        assert_int_equal(o->subs[0].quantity, 10);
        assert_string_equal(o->subs[1].source_subscription_id, "S-2");
        assert_string_equal(o->subs[1].subscription_id, "N-2");
        assert_string_equal(o->subs[1].offer_id, "O-B");
        assert_int_equal(o->subs[1].quantity, 5);
}

static void test_rule10_completes_on_provisioned(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_provisioned(w, "S-2", "N-2", "O-B", 3);
        t_apply(w, 1, CF_EV_LICENSE_COUNT_MISMATCH);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 0); /* S-2 has too few licenses */
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
        t_provisioned(w, "S-2", "N-2", "O-B", 5);
        t_apply(w, 1, CF_EV_MIGRATION_COMPLETED);
        assert_int_equal(w->v.rule, 10);
        assert_int_equal(t_out(w, 0)->subs[1].quantity, 5);
}

static void test_rule10_waits_for_license_reassignment(void **state) {
        t_world_t *w = *state;
        open_with_equivalent(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 0);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
        t_reassigned(w, "S-1");
        t_apply(w, 1, CF_EV_MIGRATION_COMPLETED);
        assert_int_equal(w->v.rule, 10);
        assert_string_equal(t_out(w, 0)->subs[0].offer_id, "O-A2");
        assert_int_equal(w->m->status, CF_MIG_COMPLETED);
}

static void test_rule10_not_while_a_source_runs(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_provision_same(w, "S-2", "N-2");
        t_near_expiry(w, "S-2", T_EXPIRES);
        t_apply(w, 1, CF_EV_RETIRE_SOURCE_ADVISED);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule10_not_with_a_blocked_source(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", NULL);
        t_open_accepted(w);
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 0);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 1, CF_EV_DATA_LOSS_RISK);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule10_nothing_after_completion(void **state) {
        t_world_t *w = *state;
        t_complete(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        t_rejected(w, CF_REJ_NO_MIGRATION);
        t_reassigned(w, "S-1");
        t_rejected(w, CF_REJ_NO_MIGRATION);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
            T(test_rule04_same_offer_recorded),
            T(test_rule04_other_offer_asks_reassignment),
            T(test_rule04_quantity_mismatch),
            T(test_rule04_offer_and_quantity_both_differ),
            T(test_rule04_later_right_quantity_clears),
            T(test_rule04_repeat_after_reassignment_is_quiet),
            T(test_rule04_quantity_fix_does_not_repeat_reassign),
            T(test_rule04_back_to_same_offer_needs_no_reassignment),
            T(test_rule04_unknown_subscription),
            T(test_rule04_quantity_below_one),
            T(test_rule04_never_requested),
            T(test_rule04_before_acceptance),
            T(test_rule04_after_failure_block_still_recorded),
            T(test_rule05_retry_with_new_request_id),
            T(test_rule05_retry_keeps_equivalent_offer),
            T(test_rule05_third_failure_blocks),
            T(test_rule05_not_outstanding),
            T(test_rule05_unknown_subscription),
            T(test_rule05_before_acceptance),
            T(test_rule06_recorded),
            T(test_rule06_same_offer_not_applicable),
            T(test_rule06_not_provisioned_not_applicable),
            T(test_rule06_unknown_subscription),
            T(test_rule10_completes),
            T(test_rule10_completes_on_provisioned),
            T(test_rule10_waits_for_license_reassignment),
            T(test_rule10_not_while_a_source_runs),
            T(test_rule10_not_with_a_blocked_source),
            T(test_rule10_nothing_after_completion),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
