/* Rules 1, 2, 3, 12 and 13 of ../shared/spec/domain.md, through
 * handlers/ alone: opening a migration, choosing target offers, offers
 * discontinued, duplicates, and what goes to the DLQ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rules_fixture.h"

/* ---- rule 1 ---- */

static void test_rule01_opens_migration(void **state) {
        t_world_t *w = *state;
        const cf_sub_state_t *s;

        t_request_std(w)->multi_channel = true;
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
        assert_true(t_out(w, 0)->multi_channel);
        assert_true(t_out(w, 0)->delegated_admin);
        assert_int_equal(w->v.rule, 1);
        assert_int_equal(w->v.status_before, CF_MIG_NONE);
        assert_int_equal(w->v.status_after, CF_MIG_INVITED);

        assert_int_equal(w->m->status, CF_MIG_INVITED);
        assert_string_equal(w->m->opened_by, "E-001");
        assert_true(w->m->opened_at == w->ev.occurred_at);
        assert_true(w->m->updated_at == w->ev.occurred_at);
        assert_true(w->m->multi_channel);
        assert_true(w->m->delegated_admin);
        assert_int_equal(w->m->applied, 1);
        assert_int_equal(w->m->n_handled, 1);
        assert_int_equal(w->m->n_subs, 2);
        s = &w->m->subs[0];
        assert_string_equal(s->source_subscription_id, "S-1");
        assert_string_equal(s->offer_id, "O-A");
        assert_int_equal(s->quantity, 10);
        assert_int_equal(s->channel, CF_CH_MICROSOFT_DIRECT);
        assert_true(s->expires_at == T_EXPIRES);
        assert_int_equal(s->source, CF_SRC_ACTIVE);
        assert_int_equal(s->target, CF_TGT_PENDING);
        assert_string_equal(s->target_offer_id, "");
        assert_string_equal(s->request_id, "");
        assert_string_equal(s->subscription_id, "");
        assert_string_equal(s->provisioned_offer_id, "");
        assert_int_equal(s->requests, 0);
        assert_int_equal(s->failures, 0);
        assert_string_equal(w->m->subs[1].source_subscription_id, "S-2");
        assert_int_equal(w->m->subs[1].channel, CF_CH_OTHER_PARTNER);
}

static void test_rule01_each_permitted_role(void **state) {
        static const char *const roles[] = {"account-admin", "sales-agent",
                                            "billing-agent"};
        (void)state;
        for (size_t i = 0; i < 3; i++) {
                t_world_t *w = t_world_new();
                cf_event_t *ev = t_request_std(w);
                ev->n_roles = 0;
                t_add_role(ev, "helpdesk-agent");
                t_add_role(ev, roles[i]);
                t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
                t_world_free(w);
        }
}

static void check_refused(t_world_t *w, cf_reject_reason_t reason,
                          const char *detail_names) {
        t_apply(w, 1, CF_EV_MIGRATION_REJECTED);
        assert_int_equal(t_out(w, 0)->reason_code, reason);
        t_contains(t_out(w, 0)->detail, detail_names);
        assert_int_equal(w->v.rule, 1);
        assert_int_equal(w->m->status, CF_MIG_REJECTED);
        assert_int_equal(w->m->n_subs, 0);
        assert_true(w->m->n_handled > 0);
        assert_true(w->m->handled[w->m->n_handled - 1].lo ==
                    cf_ids_hash(w->ev.event_id).lo);
}

static void test_rule01_role_not_permitted(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request_std(w);
        ev->n_roles = 0;
        t_add_role(ev, "admin-agent");
        t_add_role(ev, "helpdesk-agent");
        t_add_role(ev, "Account-Admin"); /* roles are exact strings */
        check_refused(w, CF_REJ_ROLE_NOT_PERMITTED, "U-1");
}

static void test_rule01_no_role_at_all(void **state) {
        t_world_t *w = *state;
        t_request_std(w)->n_roles = 0;
        check_refused(w, CF_REJ_ROLE_NOT_PERMITTED, "U-1");
}

static void test_rule01_role_checked_before_region(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request_std(w);
        ev->n_roles = 0;
        t_set(ev->customer_tenant_region, "eastus");
        check_refused(w, CF_REJ_ROLE_NOT_PERMITTED, "U-1");
}

static void test_rule01_region_mismatch(void **state) {
        t_world_t *w = *state;
        t_set(t_request_std(w)->customer_tenant_region, "eastus");
        check_refused(w, CF_REJ_REGION_MISMATCH, "eastus");
        t_contains(t_out(w, 0)->detail, "westeurope");
}

static void test_rule01_region_case_insensitive(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request_std(w);
        t_set(ev->partner_region, "WESTEUROPE");
        t_set(ev->customer_tenant_region, "westEurope");
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
}

static void test_rule01_region_checked_before_sources(void **state) {
        t_world_t *w = *state;
        t_set(t_request(w)->customer_tenant_region, "eastus");
        check_refused(w, CF_REJ_REGION_MISMATCH, "eastus");
}

static void test_rule01_invalid_no_source(void **state) {
        t_world_t *w = *state;
        t_request(w);
        check_refused(w, CF_REJ_INVALID_REQUEST, "no source subscription");
}

static void test_rule01_invalid_quantity(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request_std(w);
        t_add_source(ev, "S-3", "O-C", 0, CF_CH_OTHER_CHANNEL);
        check_refused(w, CF_REJ_INVALID_REQUEST, "S-3");
        t_contains(t_out(w, 0)->detail, "quantity 0");
}

static void test_rule01_invalid_negative_quantity(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request(w);
        t_add_source(ev, "S-1", "O-A", -4, CF_CH_OTHER_CHANNEL);
        check_refused(w, CF_REJ_INVALID_REQUEST, "quantity -4");
}

static void test_rule01_invalid_duplicate_source(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request_std(w);
        t_add_source(ev, "S-1", "O-C", 3, CF_CH_OTHER_CHANNEL);
        check_refused(w, CF_REJ_INVALID_REQUEST, "S-1 is listed twice");
}

static void test_rule01_reopens_after_rejected(void **state) {
        t_world_t *w = *state;
        t_request_std(w)->n_roles = 0;
        t_apply(w, 1, CF_EV_MIGRATION_REJECTED);
        /* a rejection is handled, then another request may come */
        t_set(t_request(w)->roles[0], "sales-agent");
        check_refused(w, CF_REJ_INVALID_REQUEST, "no source");
        assert_int_equal(w->v.status_before, CF_MIG_REJECTED);
        t_open(w);
        assert_int_equal(w->v.status_before, CF_MIG_REJECTED);
        assert_string_equal(w->m->opened_by, "E-003");
        assert_int_equal(w->m->n_handled, 3);
}

static void test_rule01_reopens_after_completed(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev;

        t_complete(w);
        t_discontinued(w, "O-X", NULL);
        t_rejected(w, CF_REJ_NO_MIGRATION);
        ev = t_request(w);
        t_add_source(ev, "S-7", "O-Z", 2, CF_CH_OTHER_CHANNEL);
        ev->delegated_admin = false;
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
        assert_int_equal(w->v.status_before, CF_MIG_COMPLETED);
        assert_int_equal(w->m->status, CF_MIG_INVITED);
        assert_int_equal(w->m->n_subs, 1);
        assert_string_equal(w->m->subs[0].source_subscription_id, "S-7");
        assert_int_equal(w->m->subs[0].target, CF_TGT_PENDING);
        assert_false(w->m->delegated_admin);
        assert_string_equal(w->m->opened_by, w->ev.event_id);
        /* handled ids persist across migrations of the key */
        assert_int_equal(w->m->n_handled, w->m->applied);
        assert_int_equal(w->m->applied, 7);
}

static void test_rule01_rejection_clears_previous_body(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_discontinued(w, "O-Q", "O-R");
        t_apply(w, 0);
        t_provision_same(w, "S-1", "N-1");
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 1, CF_EV_MIGRATION_COMPLETED);
        assert_int_equal(w->m->n_discontinued, 1);

        t_set(t_request_std(w)->partner_region, "eastus");
        check_refused(w, CF_REJ_REGION_MISMATCH, "eastus");
        assert_int_equal(w->m->n_discontinued, 0);
        assert_string_equal(w->m->opened_by, "");
        assert_false(w->m->delegated_admin);
}

static void test_rule01_while_open_is_rejected(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_request_std(w);
        t_contains(t_rejected(w, CF_REJ_MIGRATION_OPEN), "E-001");
        t_accept(w);
        t_handle(w, CF_VERDICT_APPLIED);
        t_request_std(w);
        t_contains(t_rejected(w, CF_REJ_MIGRATION_OPEN), "provisioning");
}

static void test_rule01_too_many_sources_over_limit(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request_std(w);
        ev->n_subs = CF_SUBS_MAX + 1; /* as no decoder would pass */
        t_rejected(w, CF_REJ_OVER_LIMIT);
        ev->n_subs = 2;
}

/* ---- rule 2 ---- */

static void test_rule02_same_offer_requested(void **state) {
        t_world_t *w = *state;
        char rid[CF_UUID_SIZE];
        const cf_sub_state_t *s;

        t_open(w);
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_int_equal(w->v.rule, 2);
        assert_int_equal(w->v.status_before, CF_MIG_INVITED);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);

        t_expected_request_id(w, "S-1", 1, rid);
        assert_string_equal(t_out(w, 0)->request_id, rid);
        assert_string_equal(t_out(w, 0)->source_subscription_id, "S-1");
        assert_string_equal(t_out(w, 0)->offer_id, "O-A");
        assert_int_equal(t_out(w, 0)->quantity, 10);
        assert_true(t_out(w, 0)->same_offer);
        t_expected_request_id(w, "S-2", 1, rid);
        assert_string_equal(t_out(w, 1)->request_id, rid);
        assert_string_equal(t_out(w, 1)->source_subscription_id, "S-2");
        assert_string_equal(t_out(w, 1)->offer_id, "O-B");
        assert_int_equal(t_out(w, 1)->quantity, 5);
        assert_true(t_out(w, 1)->same_offer);

        s = t_sub(w, "S-1");
        assert_int_equal(s->target, CF_TGT_REQUESTED);
        assert_string_equal(s->target_offer_id, "O-A");
        assert_string_equal(s->request_id, t_out(w, 0)->request_id);
        assert_int_equal(s->requests, 1);
        assert_string_not_equal(t_out(w, 0)->request_id,
                                t_out(w, 1)->request_id);
}

static void test_rule02_catalog_equivalent(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_catalog(w, "O-OTHER", NULL);
        t_open(w);
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->offer_id, "O-A2");
        assert_false(t_out(w, 0)->same_offer);
        assert_int_equal(t_out(w, 0)->quantity, 10);
        assert_string_equal(t_sub(w, "S-1")->target_offer_id, "O-A2");
        assert_string_equal(t_out(w, 1)->offer_id, "O-B");
        assert_true(t_out(w, 1)->same_offer);
}

static void test_rule02_event_successor_wins_over_catalog(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_open(w);
        t_discontinued(w, "O-A", "O-A3");
        t_apply(w, 0);
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->offer_id, "O-A3");
}

static void test_rule02_event_without_successor_uses_catalog(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_open(w);
        t_discontinued(w, "O-A", NULL);
        t_apply(w, 0);
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->offer_id, "O-A2");
}

static void test_rule02_no_equivalent_blocks_that_source(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", NULL);
        t_open(w);
        t_accept(w);
        t_apply(w, 2, CF_EV_MIGRATION_BLOCKED, CF_EV_PROVISION_REQUESTED);
        assert_int_equal(t_out(w, 0)->reason_code, CF_BLK_NO_EQUIVALENT_OFFER);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-1");
        assert_string_equal(t_out(w, 1)->source_subscription_id, "S-2");
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_NO_EQUIVALENT);
        assert_int_equal(t_sub(w, "S-1")->requests, 0);
        assert_int_equal(t_sub(w, "S-2")->target, CF_TGT_REQUESTED);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule02_follows_successor_chain(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_catalog(w, "O-A2", "O-A3");
        t_open(w);
        t_discontinued(w, "O-A3", "O-A4");
        t_apply(w, 0);
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->offer_id, "O-A4");
        assert_false(t_out(w, 0)->same_offer);
}

static void test_rule02_cycle_is_no_equivalent(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_catalog(w, "O-A2", "O-A");
        t_open(w);
        t_accept(w);
        t_apply(w, 2, CF_EV_MIGRATION_BLOCKED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-1");
}

static void test_rule02_chain_length_capped(void **state) {
        char from[16], to[16];
        (void)state;
        for (int len = CF_OFFER_CHAIN_MAX; len <= CF_OFFER_CHAIN_MAX + 1;
             len++) {
                t_world_t *w = t_world_new();
                /* O-A -> C1 -> ... -> C<len>, C<len> not discontinued */
                for (int i = 0; i < len; i++) {
                        if (i == 0)
                                cf_strlcpy(from, "O-A", sizeof(from));
                        else
                                snprintf(from, sizeof(from), "C%d", i);
                        snprintf(to, sizeof(to), "C%d", i + 1);
                        t_catalog(w, from, to);
                }
                t_open(w);
                t_accept(w);
                t_handle(w, CF_VERDICT_APPLIED);
                if (len == CF_OFFER_CHAIN_MAX) {
                        assert_int_equal(t_out(w, 0)->type,
                                         CF_EV_PROVISION_REQUESTED);
                        assert_string_equal(t_out(w, 0)->offer_id, to);
                } else {
                        assert_int_equal(t_out(w, 0)->type,
                                         CF_EV_MIGRATION_BLOCKED);
                }
                t_world_free(w);
        }
}

static void test_rule02_only_while_invited(void **state) {
        t_world_t *w = *state;
        t_accept(w);
        t_rejected(w, CF_REJ_NO_MIGRATION);
        t_open_accepted(w);
        t_accept(w);
        t_contains(t_rejected(w, CF_REJ_NOT_APPLICABLE), "provisioning");
}

/* ---- rule 3 ---- */

static void test_rule03_remembered_while_invited(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_discontinued(w, "O-B", "O-B2");
        t_apply(w, 0);
        assert_int_equal(w->v.rule, 3);
        assert_int_equal(w->m->n_discontinued, 1);
        assert_string_equal(w->m->discontinued[0].offer_id, "O-B");
        assert_string_equal(w->m->discontinued[0].successor_offer_id, "O-B2");
        assert_int_equal(t_sub(w, "S-2")->target, CF_TGT_PENDING);
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 1)->offer_id, "O-B2");
        assert_false(t_out(w, 1)->same_offer);
}

static void test_rule03_same_offer_replaces_entry(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_discontinued(w, "O-B", "O-B2");
        t_apply(w, 0);
        t_discontinued(w, "O-B", NULL);
        t_apply(w, 0);
        assert_int_equal(w->m->n_discontinued, 1);
        assert_string_equal(w->m->discontinued[0].successor_offer_id, "");
        t_accept(w);
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_MIGRATION_BLOCKED);
}

static void test_rule03_retargets_requested_source(void **state) {
        t_world_t *w = *state;
        char first[CF_UUID_SIZE], rid[CF_UUID_SIZE];

        t_open_accepted(w);
        cf_strlcpy(first, t_sub(w, "S-1")->request_id, sizeof(first));
        t_discontinued(w, "O-A", "O-A2");
        t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->source_subscription_id, "S-1");
        assert_string_equal(t_out(w, 0)->offer_id, "O-A2");
        assert_false(t_out(w, 0)->same_offer);
        assert_int_equal(t_out(w, 0)->quantity, 10);
        t_expected_request_id(w, "S-1", 2, rid);
        assert_string_equal(t_out(w, 0)->request_id, rid);
        assert_string_not_equal(rid, first);
        assert_int_equal(t_sub(w, "S-1")->requests, 2);
        assert_string_equal(t_sub(w, "S-1")->target_offer_id, "O-A2");
        assert_int_equal(t_sub(w, "S-2")->requests, 1);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule03_retarget_follows_successor_of_successor(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", "O-A2");
        t_open_accepted(w);
        /* the equivalent itself goes; the catalog knows nothing of it */
        t_discontinued(w, "O-A2", "O-A3");
        t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->offer_id, "O-A3");
}

static void test_rule03_no_successor_blocks(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_discontinued(w, "O-B", NULL);
        t_apply(w, 1, CF_EV_MIGRATION_BLOCKED);
        assert_int_equal(t_out(w, 0)->reason_code, CF_BLK_NO_EQUIVALENT_OFFER);
        assert_string_equal(t_out(w, 0)->subscription_id, "S-2");
        assert_int_equal(t_sub(w, "S-2")->target, CF_TGT_NO_EQUIVALENT);
}

static void test_rule03_provisioned_not_retargeted(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_discontinued(w, "O-A", "O-A2");
        t_apply(w, 0);
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_PROVISIONED);
        assert_int_equal(t_sub(w, "S-1")->requests, 1);
}

static void test_rule03_unrelated_offer_changes_nothing(void **state) {
        t_world_t *w = *state;
        cf_migration_t *before;
        t_open_accepted(w);
        before = cf_migration_clone(w->m);
        assert_non_null(before);
        t_discontinued(w, "O-Z", "O-Z2");
        t_apply(w, 0);
        assert_string_equal(t_sub(w, "S-1")->request_id,
                            before->subs[0].request_id);
        assert_string_equal(t_sub(w, "S-2")->request_id,
                            before->subs[1].request_id);
        cf_migration_destroy(before);
}

static void test_rule03_successor_unblocks_no_equivalent(void **state) {
        t_world_t *w = *state;
        t_catalog(w, "O-A", NULL);
        t_open_accepted(w);
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_NO_EQUIVALENT);
        t_discontinued(w, "O-A", "O-A9");
        t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->source_subscription_id, "S-1");
        assert_string_equal(t_out(w, 0)->offer_id, "O-A9");
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_REQUESTED);
        assert_int_equal(t_sub(w, "S-1")->requests, 1);
}

static void test_rule03_outputs_in_source_order(void **state) {
        t_world_t *w = *state;
        cf_event_t *ev = t_request(w);
        t_add_source(ev, "S-1", "O-A", 1, CF_CH_OTHER_CHANNEL);
        t_add_source(ev, "S-2", "O-X", 2, CF_CH_OTHER_CHANNEL);
        t_add_source(ev, "S-3", "O-A", 3, CF_CH_OTHER_CHANNEL);
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
        t_accept(w);
        t_handle(w, CF_VERDICT_APPLIED);
        t_discontinued(w, "O-A", "O-A2");
        t_apply(w, 2, CF_EV_PROVISION_REQUESTED, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(t_out(w, 0)->source_subscription_id, "S-1");
        assert_string_equal(t_out(w, 1)->source_subscription_id, "S-3");
        assert_int_equal(t_out(w, 1)->quantity, 3);
}

static void test_rule03_remembered_offers_capped(void **state) {
        t_world_t *w = *state;
        char offer[16];
        t_open(w);
        for (int i = 0; i < CF_DISCONTINUED_MAX; i++) {
                snprintf(offer, sizeof(offer), "X-%d", i);
                t_discontinued(w, offer, NULL);
                t_apply(w, 0);
        }
        t_discontinued(w, "X-NEW", NULL);
        t_contains(t_rejected(w, CF_REJ_OVER_LIMIT), "X-NEW");
        /* an offer already remembered may still be updated */
        t_discontinued(w, "X-3", "X-3B");
        t_apply(w, 0);
        assert_int_equal(w->m->n_discontinued, CF_DISCONTINUED_MAX);
        assert_string_equal(w->m->discontinued[3].successor_offer_id, "X-3B");
}

static void test_rule03_needs_open_migration(void **state) {
        t_world_t *w = *state;
        t_discontinued(w, "O-A", NULL);
        t_rejected(w, CF_REJ_NO_MIGRATION);
}

/* ---- rule 12 ---- */

static void test_rule12_duplicate_skipped(void **state) {
        t_world_t *w = *state;
        cf_migration_t *before;

        t_open_accepted(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 8);
        t_apply(w, 1, CF_EV_LICENSE_COUNT_MISMATCH);
        before = cf_migration_clone(w->m);
        assert_non_null(before);
        /* the same event delivered again */
        assert_int_equal(t_handle(w, CF_VERDICT_DUPLICATE), 0);
        assert_int_equal(w->v.rule, 12);
        assert_int_equal(w->v.reason, CF_REJ_NONE);
        assert_true(cf_migration_equal(w->m, before));
        cf_migration_destroy(before);
}

static void test_rule12_duplicate_wins_over_status(void **state) {
        t_world_t *w = *state;
        cf_event_t first;

        cf_event_init(&first);
        t_request_std(w);
        assert_true(cf_event_copy(&first, &w->ev));
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
        t_accept(w);
        t_handle(w, CF_VERDICT_APPLIED);
        /* a redelivered request is not "a migration already open" */
        cf_event_clear(&w->ev);
        w->ev = first;
        assert_int_equal(t_handle(w, CF_VERDICT_DUPLICATE), 0);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

static void test_rule12_rejected_id_not_remembered(void **state) {
        t_world_t *w = *state;
        t_open(w);
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        t_rejected(w, CF_REJ_NOT_APPLICABLE);
        t_accept(w);
        t_handle(w, CF_VERDICT_APPLIED);
        /* the same id, retried after the state caught up, applies */
        t_provisioned(w, "S-1", "N-1", "O-A", 10);
        cf_strlcpy(w->ev.event_id, "E-002", sizeof(w->ev.event_id));
        t_apply(w, 0);
        assert_int_equal(t_sub(w, "S-1")->target, CF_TGT_PROVISIONED);
}

static void test_rule12_ids_persist_across_migrations(void **state) {
        t_world_t *w = *state;
        t_complete(w);
        t_request_std(w);
        cf_strlcpy(w->ev.event_id, "E-001", sizeof(w->ev.event_id));
        assert_int_equal(t_handle(w, CF_VERDICT_DUPLICATE), 0);
        assert_int_equal(w->m->status, CF_MIG_COMPLETED);
}

/* ---- rule 13 ---- */

static void test_rule13_unknown_subscription(void **state) {
        t_world_t *w = *state;
        t_open_accepted(w);
        t_provisioned(w, "S-9", "N-9", "O-A", 1);
        assert_string_equal(t_rejected(w, CF_REJ_UNKNOWN_SUBSCRIPTION),
                            "subscription S-9 is not a source of this "
                            "migration");
}

static void test_rule13_no_migration(void **state) {
        t_world_t *w = *state;
        t_provisioned(w, "S-1", "N-1", "O-A", 1);
        t_contains(t_rejected(w, CF_REJ_NO_MIGRATION), "P-1/T-1");
        assert_int_equal(w->m->n_handled, 0);
}

static void test_rule13_key_event_cap(void **state) {
        t_world_t *w = *state;
        t_open(w);
        /* pretend this key already handled the most ids it may */
        w->m->handled = realloc(w->m->handled,
                                CF_EVENTS_PER_KEY_MAX * sizeof(*w->m->handled));
        assert_non_null(w->m->handled);
        for (size_t i = w->m->n_handled; i < CF_EVENTS_PER_KEY_MAX; i++) {
                char id[16];
                snprintf(id, sizeof(id), "F-%zu", i);
                w->m->handled[i] = cf_ids_hash(id);
        }
        w->m->n_handled = w->m->handled_cap = CF_EVENTS_PER_KEY_MAX;
        t_accept(w);
        t_rejected(w, CF_REJ_OVER_LIMIT);
        /* a duplicate is still recognised */
        t_request_std(w);
        cf_strlcpy(w->ev.event_id, "F-77", sizeof(w->ev.event_id));
        assert_int_equal(t_handle(w, CF_VERDICT_DUPLICATE), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
            T(test_rule01_opens_migration),
            T(test_rule01_each_permitted_role),
            T(test_rule01_role_not_permitted),
            T(test_rule01_no_role_at_all),
            T(test_rule01_role_checked_before_region),
            T(test_rule01_region_mismatch),
            T(test_rule01_region_case_insensitive),
            T(test_rule01_region_checked_before_sources),
            T(test_rule01_invalid_no_source),
            T(test_rule01_invalid_quantity),
            T(test_rule01_invalid_negative_quantity),
            T(test_rule01_invalid_duplicate_source),
            T(test_rule01_reopens_after_rejected),
            T(test_rule01_reopens_after_completed),
            T(test_rule01_rejection_clears_previous_body),
            T(test_rule01_while_open_is_rejected),
            T(test_rule01_too_many_sources_over_limit),
            T(test_rule02_same_offer_requested),
            T(test_rule02_catalog_equivalent),
            T(test_rule02_event_successor_wins_over_catalog),
            T(test_rule02_event_without_successor_uses_catalog),
            T(test_rule02_no_equivalent_blocks_that_source),
            T(test_rule02_follows_successor_chain),
            T(test_rule02_cycle_is_no_equivalent),
            T(test_rule02_chain_length_capped),
            T(test_rule02_only_while_invited),
            T(test_rule03_remembered_while_invited),
            T(test_rule03_same_offer_replaces_entry),
            T(test_rule03_retargets_requested_source),
            T(test_rule03_retarget_follows_successor_of_successor),
            T(test_rule03_no_successor_blocks),
            T(test_rule03_provisioned_not_retargeted),
            T(test_rule03_unrelated_offer_changes_nothing),
            T(test_rule03_successor_unblocks_no_equivalent),
            T(test_rule03_outputs_in_source_order),
            T(test_rule03_remembered_offers_capped),
            T(test_rule03_needs_open_migration),
            T(test_rule12_duplicate_skipped),
            T(test_rule12_duplicate_wins_over_status),
            T(test_rule12_rejected_id_not_remembered),
            T(test_rule12_ids_persist_across_migrations),
            T(test_rule13_unknown_subscription),
            T(test_rule13_no_migration),
            T(test_rule13_key_event_cap),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
