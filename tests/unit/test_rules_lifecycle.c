/* Rules 7, 8, 9 and 11 of ../shared/spec/domain.md, through handlers/
 * alone: the source subscriptions near expiry, cancelled, expired, and the
 * reseller relationship removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rules_fixture.h"

#define T_GRACE (INT64_C(30) * CF_MS_PER_DAY)

/* ---- rule 7 ---- */

static void test_rule07_ready_advises_retirement(void **state) {
        t_world_t *w = *state;
        const int64_t expires = T_EXPIRES - CF_MS_PER_DAY;

        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_near_expiry(w, "S-1", expires);
        t_apply(w, 1, CF_EV_RETIRE_SOURCE_ADVISED);
        assert_int_equal(w->v.rule, 7);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-1");
        assert_true(t_out(w, 0)->expires_at == expires);
        assert_int_equal(t_sub(w, "S-1")->source, CF_SRC_NEAR_EXPIRY);
        assert_true(t_sub(w, "S-1")->expires_at == expires);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule07_not_provisioned_is_overdue(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_near_expiry(w, "S-2", T_EXPIRES);
        t_apply(w, 1, CF_EV_PROVISIONING_OVERDUE);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-2");
        assert_true(t_out(w, 0)->expires_at == T_EXPIRES);
        assert_int_equal(t_sub(w, "S-2")->source, CF_SRC_NEAR_EXPIRY);
}

static void test_rule07_while_invited_is_overdue(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_near_expiry(w, "S-1", T_EXPIRES);
        t_apply(w, 1, CF_EV_PROVISIONING_OVERDUE);
        assert_int_equal(w->m->status, CF_MIG_INVITED);
}

static void test_rule07_reassignment_pending_is_overdue(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_open_accepted(w);
        t_provisioned(w, "S-1", "N-1", "O-A2", 10);
        t_apply(w, 1, CF_EV_REASSIGN_LICENSES);
        t_near_expiry(w, "S-1", T_EXPIRES);
        t_apply(w, 1, CF_EV_PROVISIONING_OVERDUE);
        t_reassigned(w, "S-1");
        t_apply(w, 0);
        /* asked again once the licenses moved */
        t_near_expiry(w, "S-1", T_EXPIRES);
        t_apply(w, 1, CF_EV_RETIRE_SOURCE_ADVISED);
}

static void test_rule07_too_few_licenses_is_overdue(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 9);
        t_apply(w, 1, CF_EV_LICENSE_COUNT_MISMATCH);
        t_near_expiry(w, "S-1", T_EXPIRES);
        t_apply(w, 1, CF_EV_PROVISIONING_OVERDUE);
}

static void test_rule07_retired_not_applicable(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 1, CF_EV_DATA_LOSS_RISK);
        t_near_expiry(w, "S-2", T_EXPIRES);
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "expired");
}

static void test_rule07_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_near_expiry(w, "S-9", T_EXPIRES);
        t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION);
}

/* ---- rule 8 ---- */

static void test_rule08_active_warns(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_CANCELLATION_REQUESTED, "S-2");
        t_apply(w, 1, CF_EV_EARLY_CANCELLATION_WARNING);
        assert_int_equal(w->v.rule, 8);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-2");
        assert_true(t_out(w, 0)->expires_at == T_EXPIRES);
        assert_false(t_out(w, 0)->refund);
        assert_int_equal(t_sub(w, "S-2")->source, CF_SRC_ACTIVE);
}

static void test_rule08_while_invited_warns(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_source_event(w, CF_EV_CANCELLATION_REQUESTED, "S-1");
        t_apply(w, 1, CF_EV_EARLY_CANCELLATION_WARNING);
}

static void test_rule08_after_near_expiry_quiet(void **state) {
        t_world_t *w = *state;
        const int64_t expires = T_EXPIRES + CF_MS_PER_DAY;
        t_open_accepted(w);
        t_near_expiry(w, "S-1", expires);
        t_apply(w, 1, CF_EV_PROVISIONING_OVERDUE);
        t_source_event(w, CF_EV_CANCELLATION_REQUESTED, "S-1");
        t_apply(w, 0);
        assert_int_equal(w->v.rule, 8);
        assert_int_equal(t_sub(w, "S-1")->source, CF_SRC_NEAR_EXPIRY);
        assert_true(t_sub(w, "S-1")->expires_at == expires);
}

static void test_rule08_retired_not_applicable(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-2");
        t_apply(w, 1, CF_EV_DATA_LOSS_RISK);
        t_source_event(w, CF_EV_CANCELLATION_REQUESTED, "S-2");
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "cancelled");
}

static void test_rule08_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_CANCELLATION_REQUESTED, "S-9");
        t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION);
}

/* ---- rule 9 ---- */

static void test_rule09_expired_unreplaced_risks_data(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        /* bought from Microsoft, but expired: no credit to review */
        t_apply(w, 1, CF_EV_DATA_LOSS_RISK);
        assert_int_equal(w->v.rule, 9);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-1");
        assert_true(t_out(w, 0)->grace_ends_at == w->ev.occurred_at + T_GRACE);
        assert_int_equal(t_sub(w, "S-1")->source, CF_SRC_EXPIRED);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule09_cancelled_direct_partner_on_behalf(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w); /* delegated admin */
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-1");
        t_apply(w, 2, CF_EV_DATA_LOSS_RISK, CF_EV_CREDIT_REVIEW_REQUESTED);
        assert_string_equal(t_out(w, 1)->subscription_id, "S-1");
        assert_int_equal(t_out(w, 1)->route, CF_ROUTE_PARTNER_ON_BEHALF);
        assert_int_equal(t_sub(w, "S-1")->source, CF_SRC_CANCELLED);
}

static void test_rule09_cancelled_direct_customer_contacts(void **state) {
        t_world_t *w = *state;
        t_request_std(w)->delegated_admin = false;
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
        t_accept(w);
        t_handle(w, CF_VERDICT_APPLIED);
        t_provision_same(w, "S-1", "N-1");
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-1");
        t_apply(w, 1, CF_EV_CREDIT_REVIEW_REQUESTED);
        assert_int_equal(t_out(w, 0)->route,
                         CF_ROUTE_CUSTOMER_CONTACTS_SUPPORT);
}

static void test_rule09_cancelled_other_partner_no_credit(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-2");
        t_apply(w, 0);
        assert_int_equal(t_sub(w, "S-2")->source, CF_SRC_CANCELLED);
}

static void test_rule09_provisioned_wrong_quantity_no_risk(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-2", "N-2", "O-B", 2);
        t_apply(w, 1, CF_EV_LICENSE_COUNT_MISMATCH);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 0); /* the data has somewhere to go */
}

static void test_rule09_while_invited(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-1");
        t_apply(w, 2, CF_EV_DATA_LOSS_RISK, CF_EV_CREDIT_REVIEW_REQUESTED);
        assert_int_equal(w->m->status, CF_MIG_INVITED);
        assert_int_equal(t_sub(w, "S-1")->source, CF_SRC_CANCELLED);
}

static void test_rule09_already_retired_not_applicable(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 1, CF_EV_DATA_LOSS_RISK);
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-2");
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "S-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_rejected(w, CF_REJ_NOT_APPLICABLE);
}

static void test_rule09_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-9");
        t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION);
}

static void test_rule09_grace_past_last_time(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1")->occurred_at =
            CF_TIME_MAX - CF_MS_PER_DAY;
        t_rejected(w, CF_REJ_INVALID_VALUE);
}

/* ---- rule 11 ---- */

static void check_blocked(t_world_t *w, cf_mig_status_t before) {
        t_terminated(w);
        t_apply(w, 1, CF_EV_MIGRATION_BLOCKED);
        assert_int_equal(w->v.rule, 11);
        assert_int_equal(w->v.status_before, before);
        assert_int_equal(t_out(w, 0)->reason_code, CF_BLK_RELATIONSHIP_LOST);
        assert_string_equal(t_out(w, 0)->subscription_id, "");
        assert_int_equal(w->m->status, CF_MIG_BLOCKED);
}

static void test_rule11_blocks_invited(void **state) {
        t_world_t *w = *state;
        t_open(w);
        check_blocked(w, CF_MIG_INVITED);
        t_accept(w);
        t_contains(t_rejected(w, CF_REJ_MIGRATION_BLOCKED), "blocked");
}

static void test_rule11_blocks_provisioning(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        check_blocked(w, CF_MIG_PROVISIONING);
        /* the progress made stays in the state */
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_PROVISIONED);
        t_provisioned(w, "S-2", "N-2", "O-B", 5);
        t_rejected(w, CF_REJ_MIGRATION_BLOCKED);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_rejected(w, CF_REJ_MIGRATION_BLOCKED);
        t_terminated(w);
        t_rejected(w, CF_REJ_MIGRATION_BLOCKED);
        /* blocked is final: not even a new request opens it again */
        t_request_std(w);
        t_rejected(w, CF_REJ_MIGRATION_BLOCKED);
}

static void test_rule11_needs_open_migration(void **state) {
        t_world_t *w = *state;
        t_terminated(w);
        t_rejected(w, CF_REJ_NO_MIGRATION);
        t_complete(w);
        t_terminated(w);
        t_rejected(w, CF_REJ_NO_MIGRATION);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
            T(test_rule07_ready_advises_retirement),
            T(test_rule07_not_provisioned_is_overdue),
            T(test_rule07_while_invited_is_overdue),
            T(test_rule07_reassignment_pending_is_overdue),
            T(test_rule07_too_few_licenses_is_overdue),
            T(test_rule07_retired_not_applicable),
            T(test_rule07_unknown_subscription),
            T(test_rule08_active_warns),
            T(test_rule08_while_invited_warns),
            T(test_rule08_after_near_expiry_quiet),
            T(test_rule08_retired_not_applicable),
            T(test_rule08_unknown_subscription),
            T(test_rule09_expired_unreplaced_risks_data),
            T(test_rule09_cancelled_direct_partner_on_behalf),
            T(test_rule09_cancelled_direct_customer_contacts),
            T(test_rule09_cancelled_other_partner_no_credit),
            T(test_rule09_provisioned_wrong_quantity_no_risk),
            T(test_rule09_while_invited),
            T(test_rule09_already_retired_not_applicable),
            T(test_rule09_unknown_subscription),
            T(test_rule09_grace_past_last_time),
            T(test_rule11_blocks_invited),
            T(test_rule11_blocks_provisioning),
            T(test_rule11_needs_open_migration),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
