/* The migration state machine as a whole: the transition table is the one
 * documented in docs/rules.md and the only one enforced; every (event,
 * status) pair outside it is rejected (rule 13) with the right code and
 * changes nothing; outputs and ids are a pure function of the inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "handlers/handlers_int.h"
#include "rules_fixture.h"

#define R(ev, from, to, rule)                                                  \
        { CF_EV_##ev, CF_MIG_##from, CF_MIG_##to, rule }
/* The table as docs/rules.md states it, written out independently. */
static const cf_transition_t expected_table[] = {
    R(MIGRATION_REQUESTED, NONE, INVITED, 1),
    R(MIGRATION_REQUESTED, NONE, REJECTED, 1),
    R(MIGRATION_REQUESTED, REJECTED, INVITED, 1),
    R(MIGRATION_REQUESTED, REJECTED, REJECTED, 1),
    R(MIGRATION_REQUESTED, COMPLETED, INVITED, 1),
    R(MIGRATION_REQUESTED, COMPLETED, REJECTED, 1),
    R(INVITATION_ACCEPTED, INVITED, PROVISIONING, 2),
    R(OFFER_DISCONTINUED, INVITED, INVITED, 3),
    R(OFFER_DISCONTINUED, PROVISIONING, PROVISIONING, 3),
    R(SUBSCRIPTION_PROVISIONED, PROVISIONING, PROVISIONING, 4),
    R(SUBSCRIPTION_PROVISIONED, PROVISIONING, COMPLETED, 10),
    R(PROVISION_FAILED, PROVISIONING, PROVISIONING, 5),
    R(LICENSES_REASSIGNED, PROVISIONING, PROVISIONING, 6),
    R(LICENSES_REASSIGNED, PROVISIONING, COMPLETED, 10),
    R(SUBSCRIPTION_NEAR_EXPIRY, INVITED, INVITED, 7),
    R(SUBSCRIPTION_NEAR_EXPIRY, PROVISIONING, PROVISIONING, 7),
    R(CANCELLATION_REQUESTED, INVITED, INVITED, 8),
    R(CANCELLATION_REQUESTED, PROVISIONING, PROVISIONING, 8),
    R(SUBSCRIPTION_CANCELLED, INVITED, INVITED, 9),
    R(SUBSCRIPTION_CANCELLED, PROVISIONING, PROVISIONING, 9),
    R(SUBSCRIPTION_CANCELLED, PROVISIONING, COMPLETED, 10),
    R(SUBSCRIPTION_EXPIRED, INVITED, INVITED, 9),
    R(SUBSCRIPTION_EXPIRED, PROVISIONING, PROVISIONING, 9),
    R(SUBSCRIPTION_EXPIRED, PROVISIONING, COMPLETED, 10),
    R(RELATIONSHIP_TERMINATED, INVITED, BLOCKED, 11),
    R(RELATIONSHIP_TERMINATED, PROVISIONING, BLOCKED, 11),
};
#undef R
#define N_EXPECTED (sizeof(expected_table) / sizeof(expected_table[0]))

/* The row of the enforced table for (event, from, to); to < 0: any. */
static const cf_transition_t *row(cf_event_type_t ev, cf_mig_status_t from,
                                  int to) {
        size_t n;
        const cf_transition_t *t = cf_handlers_transitions(&n);
        for (size_t i = 0; i < n; i++)
                if (t[i].event == ev && t[i].from == from &&
                    (to < 0 || (int)t[i].to == to))
                        return &t[i];
        return NULL;
}

static void test_table_is_the_documented_one(void **state) {
        size_t n;
        const cf_transition_t *t = cf_handlers_transitions(&n);
        (void)state;
        assert_int_equal(n, N_EXPECTED);
        for (size_t i = 0; i < N_EXPECTED; i++) {
                const cf_transition_t *e = &expected_table[i];
                const cf_transition_t *got = row(e->event, e->from, e->to);
                if (!got || got->rule != e->rule)
                        fail_msg("missing %s: %s -> %s (rule %d)",
                                 cf_event_type_name(e->event),
                                 cf_mig_status_name(e->from),
                                 cf_mig_status_name(e->to), e->rule);
        }
        for (size_t i = 0; i < n; i++)
                assert_true(cf_event_type_is_input(t[i].event));
}

/* The per-subscription setters: exactly the rows of their table pass,
 * everything else is refused and changes nothing. */
static void test_sub_setters_follow_their_table(void **state) {
        size_t n, allowed = 0, rows_tgt = 0, rows_src = 0;
        const cf_sub_transition_t *t = cf_handlers_sub_transitions(&n);
        cf_sub_state_t sub;
        (void)state;
        for (size_t i = 0; i < n; i++) {
                assert_true(cf_event_type_is_input(t[i].event));
                if (t[i].from != CF_SUB_NEW)
                        *(t[i].part == CF_SUB_TARGET ? &rows_tgt : &rows_src) +=
                            1;
        }
        for (int ev = CF_EV_NONE; ev < CF_EV__COUNT; ev++) {
                for (int from = 0; from < CF_TGT__COUNT; from++)
                        for (int to = 0; to < CF_TGT__COUNT; to++) {
                                bool in_table = false;
                                for (size_t i = 0; i < n; i++)
                                        in_table |=
                                            t[i].part == CF_SUB_TARGET &&
                                            (int)t[i].event == ev &&
                                            t[i].from == from && t[i].to == to;
                                memset(&sub, 0, sizeof(sub));
                                sub.target = (cf_target_status_t)from;
                                assert_int_equal(cf_handlers_set_target(
                                                     &sub, (cf_event_type_t)ev,
                                                     (cf_target_status_t)to),
                                                 in_table ? CF_OK
                                                          : CF_ERR_INVALID);
                                assert_int_equal(sub.target,
                                                 in_table ? to : from);
                                allowed += in_table;
                        }
                for (int from = 0; from < CF_SRC__COUNT; from++)
                        for (int to = 0; to < CF_SRC__COUNT; to++) {
                                bool in_table = false;
                                for (size_t i = 0; i < n; i++)
                                        in_table |=
                                            t[i].part == CF_SUB_SOURCE &&
                                            (int)t[i].event == ev &&
                                            t[i].from == from && t[i].to == to;
                                memset(&sub, 0, sizeof(sub));
                                sub.source = (cf_source_status_t)from;
                                assert_int_equal(cf_handlers_set_source(
                                                     &sub, (cf_event_type_t)ev,
                                                     (cf_source_status_t)to),
                                                 in_table ? CF_OK
                                                          : CF_ERR_INVALID);
                                assert_int_equal(sub.source,
                                                 in_table ? to : from);
                                allowed += in_table;
                        }
        }
        assert_int_equal(allowed, rows_tgt + rows_src);
        /* a new source starts pending and active, only at a request */
        memset(&sub, 0, sizeof(sub));
        sub.target = CF_TGT_FAILED;
        sub.source = CF_SRC_EXPIRED;
        assert_int_equal(cf_handlers_sub_start(&sub, CF_EV_MIGRATION_REQUESTED),
                         CF_OK);
        assert_int_equal(sub.target, CF_TGT_PENDING);
        assert_int_equal(sub.source, CF_SRC_ACTIVE);
        assert_int_equal(cf_handlers_sub_start(&sub, CF_EV_PROVISION_FAILED),
                         CF_ERR_INVALID);
}

static void test_set_state_refuses_moves_outside_table(void **state) {
        cf_migration_t *m = cf_migration_new(T_PARTNER, T_TENANT);
        size_t allowed = 0;
        (void)state;
        assert_non_null(m);
        for (int ev = CF_EV_NONE; ev < CF_EV__COUNT; ev++)
                for (int from = 0; from < CF_MIG__COUNT; from++)
                        for (int to = 0; to < CF_MIG__COUNT; to++) {
                                const cf_transition_t *r =
                                    row((cf_event_type_t)ev,
                                        (cf_mig_status_t)from, to);
                                int rule = -1;
                                cf_err_t rc;
                                m->status = (cf_mig_status_t)from;
                                rc = cf_handlers_set_state(
                                    m, (cf_event_type_t)ev, (cf_mig_status_t)to,
                                    &rule);
                                if (r) {
                                        allowed++;
                                        assert_int_equal(rc, CF_OK);
                                        assert_int_equal(m->status, to);
                                        assert_int_equal(rule, r->rule);
                                } else {
                                        assert_int_equal(rc, CF_ERR_INVALID);
                                        assert_int_equal(m->status, from);
                                        assert_int_equal(rule, -1);
                                }
                        }
        assert_int_equal(allowed, N_EXPECTED);
        cf_migration_destroy(m);
}

/* A world whose migration is in `status`, reached by real inputs. */
static t_world_t *world_in(cf_mig_status_t status) {
        t_world_t *w = t_world_new();
        switch (status) {
        case CF_MIG_NONE:
                break;
        case CF_MIG_INVITED:
                t_open(w);
                break;
        case CF_MIG_PROVISIONING:
                t_open_accepted(w);
                break;
        case CF_MIG_COMPLETED:
                t_complete(w);
                break;
        case CF_MIG_REJECTED:
                t_request_std(w)->n_roles = 0;
                t_apply(w, 1, CF_EV_MIGRATION_REJECTED);
                break;
        case CF_MIG_BLOCKED:
                t_open(w);
                t_terminated(w);
                t_apply(w, 1, CF_EV_MIGRATION_BLOCKED);
                break;
        default:
                fail();
        }
        assert_int_equal(w->m->status, status);
        return w;
}

/* A well-formed input of `type` about source S-1. */
static void input_of(t_world_t *w, cf_event_type_t type) {
        switch (type) {
        case CF_EV_MIGRATION_REQUESTED:
                t_request_std(w);
                break;
        case CF_EV_OFFER_DISCONTINUED:
                t_discontinued(w, "O-A", "O-A2");
                break;
        case CF_EV_SUBSCRIPTION_PROVISIONED:
                t_provisioned(w, "S-1", "N-1", "O-A", 10);
                break;
        case CF_EV_PROVISION_FAILED:
                t_failed(w, "S-1");
                break;
        case CF_EV_LICENSES_REASSIGNED:
                t_reassigned(w, "S-1");
                break;
        case CF_EV_SUBSCRIPTION_NEAR_EXPIRY:
                t_near_expiry(w, "S-1", T_EXPIRES);
                break;
        case CF_EV_CANCELLATION_REQUESTED:
        case CF_EV_SUBSCRIPTION_CANCELLED:
        case CF_EV_SUBSCRIPTION_EXPIRED:
                t_source_event(w, type, "S-1");
                break;
        default: /* invitation-accepted, relationship-terminated */
                t_input(w, type);
                break;
        }
}

/* The code docs/rules.md gives a pair outside the table. */
static cf_reject_t status_code(cf_event_type_t type, cf_mig_status_t st) {
        if (st == CF_MIG_BLOCKED)
                return CF_REJ_MIGRATION_BLOCKED;
        if (type == CF_EV_MIGRATION_REQUESTED &&
            (st == CF_MIG_INVITED || st == CF_MIG_PROVISIONING))
                return CF_REJ_MIGRATION_OPEN;
        if (st == CF_MIG_NONE || st == CF_MIG_REJECTED ||
            st == CF_MIG_COMPLETED)
                return CF_REJ_NO_MIGRATION;
        return CF_REJ_NOT_APPLICABLE;
}

/* A pair the table has: the input is applied along one of its rows, or
 * refused for something other than the migration's status. */
static void check_inside(t_world_t *w, cf_event_type_t ev, cf_mig_status_t st) {
        const cf_transition_t *r;

        cf_outbox_reset(&w->ob);
        assert_int_equal(cf_handle(w->cat, w->m, &w->ev, &w->ob, &w->v), CF_OK);
        assert_int_not_equal(w->v.kind, CF_VERDICT_DUPLICATE);
        if (w->v.kind == CF_VERDICT_REJECTED) {
                assert_int_not_equal(w->v.reason, CF_REJ_NO_MIGRATION);
                assert_int_not_equal(w->v.reason, CF_REJ_MIGRATION_OPEN);
                assert_int_not_equal(w->v.reason, CF_REJ_MIGRATION_BLOCKED);
                return;
        }
        r = row(ev, st, (int)w->m->status);
        assert_non_null(r);
        assert_int_equal(w->v.rule, r->rule);
}

static void test_rule13_every_pair_outside_table_rejected(void **state) {
        size_t outside = 0;
        (void)state;
        for (int st = 0; st < CF_MIG__COUNT; st++) {
                for (int e = CF_EV_FIRST_INPUT; e <= CF_EV_LAST_INPUT; e++) {
                        cf_event_type_t ev = (cf_event_type_t)e;
                        t_world_t *w = world_in((cf_mig_status_t)st);

                        input_of(w, ev);
                        if (row(ev, (cf_mig_status_t)st, -1)) {
                                check_inside(w, ev, (cf_mig_status_t)st);
                        } else {
                                outside++;
                                t_rejected(
                                    w, status_code(ev, (cf_mig_status_t)st));
                        }
                        t_world_free(w);
                }
        }
        /* 6 statuses x 11 inputs; the 26 rows cover 19 pairs */
        assert_int_equal(outside, 6 * 11 - 19);
}

/* ---- determinism ---- */

#define LOG_MAX 64

typedef struct run_log_s {
        cf_event_t ev[LOG_MAX];
        size_t n;
} run_log_t;

static void log_outputs(t_world_t *w, run_log_t *log) {
        for (size_t i = 0; i < w->ob.n; i++) {
                assert_true(log->n < LOG_MAX);
                cf_event_init(&log->ev[log->n]);
                assert_true(cf_event_copy(&log->ev[log->n], &w->ob.v[i]));
                log->n++;
        }
}

/* One busy life of a key, every output logged: catalog equivalents, a
 * discontinuation while provisioning, failures, a reassignment, every
 * ending, completion, then a second migration of the same key. */
static cf_migration_t *busy_run(run_log_t *log) {
        t_world_t *w = t_world_new();
        cf_migration_t *m;
        cf_event_t *ev;
#define STEP(build)                                                            \
        do {                                                                   \
                build;                                                         \
                t_handle(w, CF_VERDICT_APPLIED);                               \
                log_outputs(w, log);                                           \
        } while (0)

        t_catalog(w, "O-A", "O-A2");
        ev = t_request_std(w);
        t_add_source(ev, "S-3", "O-C", 7, CF_CH_OTHER_CHANNEL);
        STEP((void)0);
        STEP(t_near_expiry(w, "S-3", T_EXPIRES));
        STEP(t_accept(w));
        STEP(t_discontinued(w, "O-C", "O-C2"));
        STEP(t_failed(w, "S-2"));
        STEP(t_failed(w, "S-3"));
        STEP(t_provisioned(w, "S-1", "N-1", "O-A2", 9));
        STEP(t_provisioned(w, "S-1", "N-1", "O-A2", 10));
        STEP(t_reassigned(w, "S-1"));
        STEP(t_provisioned(w, "S-2", "N-2", "O-B", 5));
        STEP(t_provisioned(w, "S-3", "N-3", "O-C2", 7));
        STEP(t_source_event(w, CF_EV_CANCELLATION_REQUESTED, "S-1"));
        STEP(t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-1"));
        STEP(t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2"));
        STEP(t_reassigned(w, "S-3"));
        STEP(t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-3"));
        assert_int_equal(w->m->status, CF_MIG_COMPLETED);
        STEP(t_request_std(w));
        STEP(t_accept(w));
        STEP(t_terminated(w));
#undef STEP
        m = cf_migration_clone(w->m);
        assert_non_null(m);
        t_world_free(w);
        return m;
}

/* Byte-for-byte equality of two output events. */
static void assert_same_bytes(const cf_event_t *a, const cf_event_t *b) {
        cf_event_t x = *a, y = *b;
        x.subs = y.subs = NULL;
        x.subs_cap = y.subs_cap = 0;
        assert_memory_equal(&x, &y, sizeof(x));
        assert_int_equal(a->n_subs, b->n_subs);
        if (a->n_subs)
                assert_memory_equal(a->subs, b->subs,
                                    a->n_subs * sizeof(*a->subs));
}

static void test_determinism_same_inputs_same_bytes(void **state) {
        run_log_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
        cf_migration_t *ma, *mb;
        (void)state;
        assert_non_null(a);
        assert_non_null(b);
        ma = busy_run(a);
        mb = busy_run(b);
        /* 18: S-1's quantity fix does not repeat its reassign-licenses */
        assert_int_equal(a->n, 18);
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                assert_same_bytes(&a->ev[i], &b->ev[i]);
                /* and every output id is distinct */
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(a->ev[i].event_id,
                                                a->ev[j].event_id);
        }
        assert_int_equal(a->ev[a->n - 1].type, CF_EV_MIGRATION_BLOCKED);
        assert_true(cf_migration_equal(ma, mb));
        for (size_t i = 0; i < a->n; i++) {
                cf_event_clear(&a->ev[i]);
                cf_event_clear(&b->ev[i]);
        }
        cf_migration_destroy(ma);
        cf_migration_destroy(mb);
        free(a);
        free(b);
}

static void test_request_ids_differ_per_retry_and_migration(void **state) {
        t_world_t *w = *state;
        char ids[4][CF_UUID_SIZE], expect[CF_UUID_SIZE];
        char first_opener[CF_ID_MAX + 1];

        t_open_accepted(w);
        cf_strlcpy(first_opener, w->m->opened_by, sizeof(first_opener));
        cf_strlcpy(ids[0], t_sub(w, "S-1")->request_id, CF_UUID_SIZE);
        for (int i = 1; i < 3; i++) {
                t_failed(w, "S-1");
                t_apply(w, 1, CF_EV_PROVISION_REQUESTED);
                cf_strlcpy(ids[i], t_out(w, 0)->request_id, CF_UUID_SIZE);
        }
        t_provision_same(w, "S-1", "N-1");
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-2");
        t_apply(w, 1, CF_EV_MIGRATION_COMPLETED);
        /* the same key, the same sources, a new migration */
        t_open_accepted(w);
        assert_string_not_equal(w->m->opened_by, first_opener);
        cf_strlcpy(ids[3], t_sub(w, "S-1")->request_id, CF_UUID_SIZE);
        t_expected_request_id(w, "S-1", 1, expect);
        assert_string_equal(ids[3], expect);
        for (int i = 0; i < 4; i++)
                for (int j = 0; j < i; j++)
                        assert_string_not_equal(ids[i], ids[j]);
}

/* ---- the API's edges ---- */

static void test_handle_refuses_caller_bugs(void **state) {
        t_world_t *w = *state;
        cf_migration_t *before;

        t_open(w);
        before = cf_migration_clone(w->m);
        assert_non_null(before);
        cf_outbox_reset(&w->ob);

        t_input(w, CF_EV_PROVISION_REQUESTED); /* an output */
        assert_int_equal(cf_handle(NULL, w->m, &w->ev, &w->ob, &w->v),
                         CF_ERR_INVALID);
        t_input(w, CF_EV_NONE);
        assert_int_equal(cf_handle(NULL, w->m, &w->ev, &w->ob, &w->v),
                         CF_ERR_INVALID);
        t_accept(w);
        t_set(w->ev.partner_id, "P-2");
        assert_int_equal(cf_handle(NULL, w->m, &w->ev, &w->ob, &w->v),
                         CF_ERR_INVALID);
        t_accept(w);
        t_set(w->ev.customer_tenant_id, "T-2");
        assert_int_equal(cf_handle(NULL, w->m, &w->ev, &w->ob, &w->v),
                         CF_ERR_INVALID);
        assert_true(cf_migration_equal(w->m, before));
        assert_int_equal(w->ob.n, 0);
        cf_migration_destroy(before);
}

static void test_outbox_reuses_events(void **state) {
        cf_outbox_t ob;
        cf_event_t *ev;
        size_t cap;
        (void)state;

        cf_outbox_init(&ob);
        for (int i = 0; i < 20; i++) {
                assert_non_null(ev = cf_outbox_push(&ob));
                assert_int_equal(ev->type, CF_EV_NONE);
                ev->type = CF_EV_DATA_LOSS_RISK;
                t_set(ev->subscription_id, "S-1");
                assert_true(cf_event_subs_reserve(ev, 3));
                ev->n_subs = 3;
        }
        assert_int_equal(ob.n, 20);
        cap = ob.cap;
        assert_true(cap >= 20);
        cf_outbox_reset(&ob);
        assert_int_equal(ob.n, 0);
        assert_int_equal(ob.cap, cap);
        ev = cf_outbox_push(&ob);
        assert_ptr_equal(ev, &ob.v[0]);
        assert_int_equal(ev->type, CF_EV_NONE);
        assert_string_equal(ev->subscription_id, "");
        assert_int_equal(ev->n_subs, 0);
        assert_true(ev->subs_cap >= 3); /* kept for reuse */
        cf_outbox_clear(&ob);
        assert_null(ob.v);
        assert_int_equal(ob.n, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table_is_the_documented_one),
            cmocka_unit_test(test_set_state_refuses_moves_outside_table),
            cmocka_unit_test(test_sub_setters_follow_their_table),
            cmocka_unit_test(test_rule13_every_pair_outside_table_rejected),
            cmocka_unit_test(test_determinism_same_inputs_same_bytes),
            cmocka_unit_test_setup_teardown(
                test_request_ids_differ_per_retry_and_migration, t_setup,
                t_teardown),
            cmocka_unit_test_setup_teardown(test_handle_refuses_caller_bugs,
                                            t_setup, t_teardown),
            cmocka_unit_test(test_outbox_reuses_events),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
