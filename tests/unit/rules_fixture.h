/* cspflow tests: a small world for driving handlers/ with events built in
 * C. Included by the test_rules_*.c and test_state_machine.c files, after
 * cmocka.h.
 *
 * A world holds one migration (partner P-1, tenant T-1), an optional
 * catalog, an outbox and the input being built. t_<event>() fills w->ev
 * (event id "E-<n>", an hour after the previous input, correlation C-1);
 * t_handle() runs it, asserts the verdict kind and checks the envelope of
 * every output (id, time, key, correlation, causation). Outputs of the last
 * input are t_out(w, 0), t_out(w, 1), ...; t_rejected() checks a rejection
 * left the migration and the outbox exactly as they were. */
#ifndef CF_TEST_RULES_FIXTURE_H
#define CF_TEST_RULES_FIXTURE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_time.h"
#include "common/ids.h"
#include "common/strutil.h"
#include "handlers/handlers.h"

#define T_PARTNER "P-1"
#define T_TENANT  "T-1"
#define T_HOUR    INT64_C(3600000)
/** 2026-03-01T09:00:00Z */
#define T0 INT64_C(1772355600000)
/** Expiry of the standard sources: 2026-06-01T00:00:00Z */
#define T_EXPIRES INT64_C(1780272000000)

typedef struct t_world_s {
        cf_catalog_t *cat; /* NULL until t_catalog() */
        cf_migration_t *m;
        cf_outbox_t ob;
        cf_verdict_t v;
        cf_event_t ev; /* the input */
        int seq;
        int64_t now;
} t_world_t;

static inline t_world_t *t_world_new(void) {
        t_world_t *w = calloc(1, sizeof(*w));
        assert_non_null(w);
        w->m = cf_migration_new(T_PARTNER, T_TENANT);
        assert_non_null(w->m);
        cf_outbox_init(&w->ob);
        cf_event_init(&w->ev);
        w->now = T0;
        return w;
}

static inline void t_world_free(t_world_t *w) {
        cf_catalog_destroy(w->cat);
        cf_migration_destroy(w->m);
        cf_outbox_clear(&w->ob);
        cf_event_clear(&w->ev);
        free(w);
}

/** cmocka setup and teardown: a fresh world per test in *state. */
static inline int t_setup(void **state) {
        *state = t_world_new();
        return 0;
}

static inline int t_teardown(void **state) {
        t_world_free(*state);
        return 0;
}

/** Adds (or replaces) a catalog entry; equivalent NULL means none. */
static inline void t_catalog(t_world_t *w, const char *offer,
                             const char *equivalent) {
        if (!w->cat)
                assert_non_null(w->cat = cf_catalog_new());
        assert_true(cf_catalog_put(w->cat, offer, true, equivalent));
}

/** Starts a new input of `type` in w->ev with a fresh id and time. */
static inline cf_event_t *t_input(t_world_t *w, cf_event_type_t type) {
        cf_event_t *ev = &w->ev;
        cf_event_reset(ev);
        ev->type = type;
        w->seq++;
        w->now += T_HOUR;
        snprintf(ev->event_id, sizeof(ev->event_id), "E-%03d", w->seq);
        ev->occurred_at = w->now;
        cf_strlcpy(ev->partner_id, T_PARTNER, sizeof(ev->partner_id));
        cf_strlcpy(ev->customer_tenant_id, T_TENANT,
                   sizeof(ev->customer_tenant_id));
        cf_strlcpy(ev->correlation_id, "C-1", sizeof(ev->correlation_id));
        return ev;
}

static inline void t_set(cf_id_t dst, const char *src) {
        assert_true(cf_strlcpy(dst, src, sizeof(cf_id_t)));
}

/** Appends a source subscription to a migration-requested. */
static inline void t_add_source(cf_event_t *ev, const char *id,
                                const char *offer, int32_t quantity,
                                cf_channel_t channel) {
        cf_event_sub_t *s;
        assert_true(cf_event_subs_reserve(ev, ev->n_subs + 1));
        s = &ev->subs[ev->n_subs];
        memset(s, 0, sizeof(*s));
        t_set(s->source_subscription_id, id);
        t_set(s->offer_id, offer);
        s->quantity = quantity;
        s->channel = (int32_t)channel;
        s->expires_at = T_EXPIRES;
        ev->n_subs++;
}

static inline void t_add_role(cf_event_t *ev, const char *role) {
        assert_true(ev->n_roles < CF_ROLES_MAX);
        t_set(ev->roles[ev->n_roles++], role);
}

/** A migration-requested by U-1 (account-admin), regions westeurope /
 *  WestEurope, delegated admin, no sources yet. */
static inline cf_event_t *t_request(t_world_t *w) {
        cf_event_t *ev = t_input(w, CF_EV_MIGRATION_REQUESTED);
        t_set(ev->actor_user_id, "U-1");
        t_add_role(ev, "account-admin");
        t_set(ev->partner_region, "westeurope");
        t_set(ev->customer_tenant_region, "WestEurope");
        ev->multi_channel = false;
        ev->delegated_admin = true;
        return ev;
}

/** t_request() with the standard sources: S-1 (O-A, 10 licenses, bought
 *  from Microsoft directly) and S-2 (O-B, 5 licenses, other partner). */
static inline cf_event_t *t_request_std(t_world_t *w) {
        cf_event_t *ev = t_request(w);
        t_add_source(ev, "S-1", "O-A", 10, CF_CH_MICROSOFT_DIRECT);
        t_add_source(ev, "S-2", "O-B", 5, CF_CH_OTHER_PARTNER);
        return ev;
}

static inline cf_event_t *t_accept(t_world_t *w) {
        return t_input(w, CF_EV_INVITATION_ACCEPTED);
}

/** offer-discontinued; successor NULL means none named. */
static inline cf_event_t *t_discontinued(t_world_t *w, const char *offer,
                                         const char *successor) {
        cf_event_t *ev = t_input(w, CF_EV_OFFER_DISCONTINUED);
        t_set(ev->offer_id, offer);
        if (successor)
                t_set(ev->successor_offer_id, successor);
        return ev;
}

static inline cf_event_t *t_provisioned(t_world_t *w, const char *source,
                                        const char *sub, const char *offer,
                                        int32_t quantity) {
        cf_event_t *ev = t_input(w, CF_EV_SUBSCRIPTION_PROVISIONED);
        t_set(ev->source_subscription_id, source);
        t_set(ev->subscription_id, sub);
        t_set(ev->offer_id, offer);
        ev->quantity = quantity;
        return ev;
}

static inline cf_event_t *t_failed(t_world_t *w, const char *source) {
        cf_event_t *ev = t_input(w, CF_EV_PROVISION_FAILED);
        t_set(ev->source_subscription_id, source);
        assert_true(cf_strlcpy(ev->text_reason, "quota exceeded",
                               sizeof(ev->text_reason)));
        return ev;
}

static inline cf_event_t *t_reassigned(t_world_t *w, const char *source) {
        cf_event_t *ev = t_input(w, CF_EV_LICENSES_REASSIGNED);
        t_set(ev->source_subscription_id, source);
        return ev;
}

/** An input about one source (near-expiry, cancellation-requested,
 *  cancelled, expired). */
static inline cf_event_t *t_source_event(t_world_t *w, cf_event_type_t type,
                                         const char *source) {
        cf_event_t *ev = t_input(w, type);
        t_set(ev->subscription_id, source);
        return ev;
}

static inline cf_event_t *t_near_expiry(t_world_t *w, const char *source,
                                        int64_t expires_at) {
        cf_event_t *ev =
            t_source_event(w, CF_EV_SUBSCRIPTION_NEAR_EXPIRY, source);
        ev->expires_at = expires_at;
        return ev;
}

static inline cf_event_t *t_terminated(t_world_t *w) {
        return t_input(w, CF_EV_RELATIONSHIP_TERMINATED);
}

/** The id the handlers must give output `index` of input `in`. */
static inline void t_expected_event_id(const cf_event_t *in, size_t index,
                                       char out[CF_UUID_SIZE]) {
        char idx[24];
        const char *parts[5] = {"event", in->partner_id, in->customer_tenant_id,
                                in->event_id, idx};
        snprintf(idx, sizeof(idx), "%zu", index);
        cf_ids_uuid(parts, 5, out);
}

/** The request id of the n-th provision request (1-based) for `source`
 *  in the migration opened by w->m->opened_by. */
static inline void t_expected_request_id(const t_world_t *w, const char *source,
                                         unsigned n, char out[CF_UUID_SIZE]) {
        char num[24];
        const char *parts[6] = {"provision-request", T_PARTNER, T_TENANT,
                                w->m->opened_by,     source,    num};
        snprintf(num, sizeof(num), "%u", n);
        cf_ids_uuid(parts, 6, out);
}

/** Runs w->ev with the outbox emptied first; asserts CF_OK and `kind`,
 *  and the envelope of every output. Returns the number of outputs. */
static inline size_t t_handle(t_world_t *w, cf_verdict_kind_t kind) {
        char id[CF_UUID_SIZE];
        cf_outbox_reset(&w->ob);
        assert_int_equal(cf_handle(w->cat, w->m, &w->ev, &w->ob, &w->v), CF_OK);
        assert_int_equal(w->v.kind, kind);
        assert_int_equal(w->v.status_after, w->m->status);
        for (size_t i = 0; i < w->ob.n; i++) {
                const cf_event_t *o = &w->ob.v[i];
                assert_true(cf_event_type_is_output(o->type));
                t_expected_event_id(&w->ev, i, id);
                assert_string_equal(o->event_id, id);
                assert_true(o->occurred_at == w->ev.occurred_at);
                assert_string_equal(o->partner_id, T_PARTNER);
                assert_string_equal(o->customer_tenant_id, T_TENANT);
                assert_string_equal(o->correlation_id, "C-1");
                assert_string_equal(o->causation_id, w->ev.event_id);
        }
        return w->ob.n;
}

/** t_handle() expecting APPLIED with exactly the n output types given. */
static inline void t_apply(t_world_t *w, size_t n, ...) {
        va_list ap;
        assert_int_equal(t_handle(w, CF_VERDICT_APPLIED), n);
        va_start(ap, n);
        for (size_t i = 0; i < n; i++) {
                cf_event_type_t type = (cf_event_type_t)va_arg(ap, int);
                if (w->ob.v[i].type != type)
                        fail_msg("output %zu is %s, expected %s", i,
                                 cf_event_type_name(w->ob.v[i].type),
                                 cf_event_type_name(type));
        }
        va_end(ap);
}

static inline const cf_event_t *t_out(const t_world_t *w, size_t i) {
        assert_true(i < w->ob.n);
        return &w->ob.v[i];
}

/** Runs w->ev WITHOUT emptying the outbox and asserts it was rejected with
 *  `reason`, a detail, and the migration and outbox exactly as before.
 *  Returns the detail. */
static inline const char *t_rejected(t_world_t *w, cf_reject_t reason) {
        cf_migration_t *before = cf_migration_clone(w->m);
        size_t n = w->ob.n;
        cf_event_type_t first = n ? w->ob.v[0].type : CF_EV_NONE;

        assert_non_null(before);
        assert_int_equal(cf_handle(w->cat, w->m, &w->ev, &w->ob, &w->v), CF_OK);
        assert_int_equal(w->v.kind, CF_VERDICT_REJECTED);
        if (w->v.reason != reason)
                fail_msg("rejected %s (%s), expected %s",
                         cf_reject_name(w->v.reason), w->v.detail,
                         cf_reject_name(reason));
        assert_int_equal(w->v.rule, 13);
        assert_true(w->v.detail[0] != '\0');
        assert_int_equal(w->v.status_before, before->status);
        assert_int_equal(w->v.status_after, before->status);
        assert_true(cf_migration_equal(w->m, before));
        assert_int_equal(w->ob.n, n);
        if (n)
                assert_int_equal(w->ob.v[0].type, first);
        cf_migration_destroy(before);
        return w->v.detail;
}

/** Asserts `needle` occurs in `text`. */
static inline void t_contains(const char *text, const char *needle) {
        if (!strstr(text, needle))
                fail_msg("\"%s\" does not mention \"%s\"", text, needle);
}

static inline const cf_sub_state_t *t_sub(const t_world_t *w,
                                          const char *source) {
        const cf_sub_state_t *s = cf_migration_find_sub(w->m, source);
        assert_non_null(s);
        return s;
}

/* ---- the standard paths ---- */

/** Opens the standard migration: status invited. */
static inline void t_open(t_world_t *w) {
        t_request_std(w);
        t_apply(w, 1, CF_EV_RESELLER_RELATIONSHIP_REQUESTED);
        assert_int_equal(w->m->status, CF_MIG_INVITED);
}

/** Opens and accepts it: status provisioning, both sources requested. */
static inline void t_open_accepted(t_world_t *w) {
        t_open(w);
        t_accept(w);
        t_handle(w, CF_VERDICT_APPLIED);
        assert_int_equal(w->m->status, CF_MIG_PROVISIONING);
}

/** Provisions source on its own offer with its own quantity. */
static inline void t_provision_same(t_world_t *w, const char *source,
                                    const char *sub) {
        const cf_sub_state_t *s = t_sub(w, source);
        t_provisioned(w, source, sub, s->offer_id, s->quantity);
        t_apply(w, 0);
}

/** A whole standard migration up to completed: both provisioned on their
 *  own offers, S-1 expired, S-2 cancelled. */
static inline void t_complete(t_world_t *w) {
        t_open_accepted(w);
        t_provision_same(w, "S-1", "N-1");
        t_provision_same(w, "S-2", "N-2");
        t_source_event(w, CF_EV_SUBSCRIPTION_EXPIRED, "S-1");
        t_apply(w, 0);
        t_source_event(w, CF_EV_SUBSCRIPTION_CANCELLED, "S-2");
        t_apply(w, 1, CF_EV_MIGRATION_COMPLETED);
        assert_int_equal(w->m->status, CF_MIG_COMPLETED);
}

#endif
