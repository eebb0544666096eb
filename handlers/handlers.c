/* cspflow: the migration state machine: the transition table, the one
 * set_state() that enforces it, cf_handle()'s dispatch (rules 12 and 13
 * first, then the rule of the input's type), and the pieces the rules
 * share: the output envelope, offer resolution, provision requests and
 * completion (rule 10). docs/rules.md says why each choice was made. */
#include "handlers_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"

_Static_assert(CF_UUID_SIZE <= sizeof(cf_id_t), "a UUID fits an id field");

#define ROW(ev, from, to, rule)                                                \
        { CF_EV_##ev, CF_MIG_##from, CF_MIG_##to, rule }

/* Every status move cf_handle() can make, and the only ones: a rule that
 * ends in a move not listed here is a bug, refused by set_state. */
static const cf_transition_t transitions[] = {
    ROW(MIGRATION_REQUESTED, NONE, INVITED, 1),
    ROW(MIGRATION_REQUESTED, NONE, REJECTED, 1),
    ROW(MIGRATION_REQUESTED, REJECTED, INVITED, 1),
    ROW(MIGRATION_REQUESTED, REJECTED, REJECTED, 1),
    ROW(MIGRATION_REQUESTED, COMPLETED, INVITED, 1),
    ROW(MIGRATION_REQUESTED, COMPLETED, REJECTED, 1),
    ROW(INVITATION_ACCEPTED, INVITED, PROVISIONING, 2),
    ROW(OFFER_DISCONTINUED, INVITED, INVITED, 3),
    ROW(OFFER_DISCONTINUED, PROVISIONING, PROVISIONING, 3),
    ROW(SUBSCRIPTION_PROVISIONED, PROVISIONING, PROVISIONING, 4),
    ROW(SUBSCRIPTION_PROVISIONED, PROVISIONING, COMPLETED, 10),
    ROW(PROVISION_FAILED, PROVISIONING, PROVISIONING, 5),
    ROW(LICENSES_REASSIGNED, PROVISIONING, PROVISIONING, 6),
    ROW(LICENSES_REASSIGNED, PROVISIONING, COMPLETED, 10),
    ROW(SUBSCRIPTION_NEAR_EXPIRY, INVITED, INVITED, 7),
    ROW(SUBSCRIPTION_NEAR_EXPIRY, PROVISIONING, PROVISIONING, 7),
    ROW(CANCELLATION_REQUESTED, INVITED, INVITED, 8),
    ROW(CANCELLATION_REQUESTED, PROVISIONING, PROVISIONING, 8),
    ROW(SUBSCRIPTION_CANCELLED, INVITED, INVITED, 9),
    ROW(SUBSCRIPTION_CANCELLED, PROVISIONING, PROVISIONING, 9),
    ROW(SUBSCRIPTION_CANCELLED, PROVISIONING, COMPLETED, 10),
    ROW(SUBSCRIPTION_EXPIRED, INVITED, INVITED, 9),
    ROW(SUBSCRIPTION_EXPIRED, PROVISIONING, PROVISIONING, 9),
    ROW(SUBSCRIPTION_EXPIRED, PROVISIONING, COMPLETED, 10),
    ROW(RELATIONSHIP_TERMINATED, INVITED, BLOCKED, 11),
    ROW(RELATIONSHIP_TERMINATED, PROVISIONING, BLOCKED, 11),
};
#define N_TRANSITIONS (sizeof(transitions) / sizeof(transitions[0]))

#undef ROW

const cf_transition_t *cf_handlers_transitions(size_t *n) {
        if (n)
                *n = N_TRANSITIONS;
        return transitions;
}

/* The row for (event, from, to); to < 0 matches any target. */
static const cf_transition_t *find_transition(cf_event_type_t event,
                                              cf_mig_status_t from, int to) {
        for (size_t i = 0; i < N_TRANSITIONS; i++) {
                const cf_transition_t *t = &transitions[i];
                if (t->event == event && t->from == from &&
                    (to < 0 || (int)t->to == to))
                        return t;
        }
        return NULL;
}

cf_err_t cf_handlers_set_state(cf_migration_t *m, cf_event_type_t event,
                               cf_mig_status_t to, int *rule) {
        const cf_transition_t *t = find_transition(event, m->status, (int)to);
        if (!t)
                return CF_ERR_INVALID;
        m->status = to;
        if (rule)
                *rule = t->rule;
        return CF_OK;
}

/* The rule of each input type. */
static const cf_rule_fn_t rules[CF_EV__COUNT] = {
    [CF_EV_MIGRATION_REQUESTED] = cf_rule_migration_requested,
    [CF_EV_INVITATION_ACCEPTED] = cf_rule_invitation_accepted,
    [CF_EV_OFFER_DISCONTINUED] = cf_rule_offer_discontinued,
    [CF_EV_SUBSCRIPTION_PROVISIONED] = cf_rule_subscription_provisioned,
    [CF_EV_PROVISION_FAILED] = cf_rule_provision_failed,
    [CF_EV_LICENSES_REASSIGNED] = cf_rule_licenses_reassigned,
    [CF_EV_SUBSCRIPTION_NEAR_EXPIRY] = cf_rule_near_expiry,
    [CF_EV_CANCELLATION_REQUESTED] = cf_rule_cancellation_requested,
    [CF_EV_SUBSCRIPTION_CANCELLED] = cf_rule_source_ended,
    [CF_EV_SUBSCRIPTION_EXPIRED] = cf_rule_source_ended,
    [CF_EV_RELATIONSHIP_TERMINATED] = cf_rule_relationship_terminated,
};

void cf_rule_reject(cf_rule_ctx_t *c, cf_reject_t reason, const char *fmt,
                    ...) {
        va_list ap;
        c->v->kind = CF_VERDICT_REJECTED;
        c->v->reason = reason;
        c->v->rule = 13;
        va_start(ap, fmt);
        vsnprintf(c->v->detail, sizeof(c->v->detail), fmt, ap);
        va_end(ap);
}

/* Step (d) of docs/rules.md: why no row of the table takes this event
 * from this status. */
static void reject_status(cf_rule_ctx_t *c) {
        const cf_migration_t *m = c->m;
        const char *ev = cf_event_type_name(c->in->type);
        const char *st = cf_mig_status_name(m->status);

        if (m->status == CF_MIG_BLOCKED)
                cf_rule_reject(c, CF_REJ_MIGRATION_BLOCKED,
                               "the migration of %s/%s is blocked "
                               "(relationship lost); %s is not accepted",
                               m->partner_id, m->customer_tenant_id, ev);
        else if (c->in->type == CF_EV_MIGRATION_REQUESTED &&
                 (m->status == CF_MIG_INVITED ||
                  m->status == CF_MIG_PROVISIONING))
                cf_rule_reject(c, CF_REJ_MIGRATION_OPEN,
                               "a migration of %s/%s is already open (%s), "
                               "requested by %s",
                               m->partner_id, m->customer_tenant_id, st,
                               m->opened_by);
        else if (m->status == CF_MIG_NONE || m->status == CF_MIG_REJECTED ||
                 m->status == CF_MIG_COMPLETED)
                cf_rule_reject(c, CF_REJ_NO_MIGRATION,
                               "no open migration for %s/%s (status %s); "
                               "%s needs one",
                               m->partner_id, m->customer_tenant_id, st, ev);
        else
                cf_rule_reject(c, CF_REJ_NOT_APPLICABLE,
                               "%s does not apply to a migration that is %s",
                               ev, st);
}

static bool handled_has(const cf_migration_t *m, cf_id_hash_t h) {
        for (size_t i = 0; i < m->n_handled; i++)
                if (m->handled[i].hi == h.hi && m->handled[i].lo == h.lo)
                        return true;
        return false;
}

/* Room for one more handled id: doubling, up to CF_EVENTS_PER_KEY_MAX. */
static bool handled_reserve(cf_migration_t *m) {
        size_t cap;
        cf_id_hash_t *p;
        if (m->n_handled < m->handled_cap)
                return true;
        cap = m->handled_cap ? m->handled_cap * 2 : 16;
        if (cap > CF_EVENTS_PER_KEY_MAX)
                cap = CF_EVENTS_PER_KEY_MAX;
        if (!(p = realloc(m->handled, cap * sizeof(*p))))
                return false;
        m->handled = p;
        m->handled_cap = cap;
        return true;
}

cf_err_t cf_handle(const cf_catalog_t *catalog, cf_migration_t *m,
                   const cf_event_t *in, cf_outbox_t *out, cf_verdict_t *v) {
        cf_rule_ctx_t c;
        cf_mig_status_t to;
        cf_id_hash_t h;
        cf_err_t err;

        if (!m || !in || !out || !v || !cf_event_type_is_input(in->type) ||
            strcmp(in->partner_id, m->partner_id) != 0 ||
            strcmp(in->customer_tenant_id, m->customer_tenant_id) != 0)
                return CF_ERR_INVALID;

        memset(v, 0, sizeof(*v));
        v->kind = CF_VERDICT_APPLIED;
        v->reason = CF_REJ_NONE;
        v->status_before = v->status_after = m->status;
        c.catalog = catalog;
        c.m = m;
        c.in = in;
        c.out = out;
        c.out_base = out->n;
        c.v = v;

        h = cf_ids_hash(in->event_id);
        if (handled_has(m, h)) { /* rule 12 */
                v->kind = CF_VERDICT_DUPLICATE;
                v->rule = 12;
                return CF_OK;
        }
        if (m->n_handled >= CF_EVENTS_PER_KEY_MAX) {
                cf_rule_reject(&c, CF_REJ_OVER_LIMIT,
                               "%s/%s has handled %d events, the most one "
                               "key may",
                               m->partner_id, m->customer_tenant_id,
                               CF_EVENTS_PER_KEY_MAX);
                return CF_OK;
        }
        if (!find_transition(in->type, m->status, -1)) {
                reject_status(&c);
                return CF_OK;
        }

        to = m->status;
        if ((err = rules[in->type](&c, &to)) != CF_OK)
                return err;
        if (cf_rule_rejected(&c)) {
                out->n = c.out_base; /* rules reject before emitting */
                return CF_OK;
        }
        if ((err = cf_handlers_set_state(m, in->type, to, &v->rule)) != CF_OK)
                return err; /* a rule asked for a move the table lacks */
        if (!handled_reserve(m))
                return CF_ERR_NOMEM;
        m->handled[m->n_handled++] = h;
        m->applied++;
        m->updated_at = in->occurred_at;
        v->status_after = m->status;
        return CF_OK;
}

/* ---- helpers the rules share ---- */

cf_event_t *cf_rule_emit(cf_rule_ctx_t *c, cf_event_type_t type) {
        const cf_event_t *in = c->in;
        char idx[24];
        const char *parts[5];
        cf_event_t *ev = cf_outbox_push(c->out);

        if (!ev)
                return NULL;
        cf_fmt_u64(idx, sizeof(idx), c->out->n - 1 - c->out_base);
        parts[0] = "event";
        parts[1] = in->partner_id;
        parts[2] = in->customer_tenant_id;
        parts[3] = in->event_id;
        parts[4] = idx;
        ev->type = type;
        cf_ids_uuid(parts, 5, ev->event_id);
        ev->occurred_at = in->occurred_at;
        cf_strlcpy(ev->partner_id, in->partner_id, sizeof(ev->partner_id));
        cf_strlcpy(ev->customer_tenant_id, in->customer_tenant_id,
                   sizeof(ev->customer_tenant_id));
        cf_strlcpy(ev->correlation_id, in->correlation_id,
                   sizeof(ev->correlation_id));
        cf_strlcpy(ev->causation_id, in->event_id, sizeof(ev->causation_id));
        return ev;
}

cf_sub_state_t *cf_rule_find_source(cf_rule_ctx_t *c, const char *id) {
        cf_sub_state_t *sub = cf_migration_find_sub(c->m, id);
        if (!sub)
                cf_rule_reject(c, CF_REJ_UNKNOWN_SUBSCRIPTION,
                               "subscription %s is not a source of this "
                               "migration",
                               id);
        return sub;
}

cf_discontinued_t *cf_rule_find_discontinued(const cf_migration_t *m,
                                             const char *offer) {
        for (size_t i = 0; i < m->n_discontinued; i++)
                if (strcmp(m->discontinued[i].offer_id, offer) == 0)
                        return &m->discontinued[i];
        return NULL;
}

const char *cf_rule_resolve_offer(const cf_rule_ctx_t *c, const char *offer) {
        const char *cur = offer;

        for (int steps = 0;; steps++) {
                const cf_discontinued_t *d =
                    cf_rule_find_discontinued(c->m, cur);
                const char *equivalent = NULL;
                bool in_catalog =
                    cf_catalog_discontinued(c->catalog, cur, &equivalent);

                if (!d && !in_catalog)
                        return cur;
                if (steps == CF_OFFER_CHAIN_MAX)
                        return NULL; /* too long, or a cycle */
                if (d && d->successor_offer_id[0])
                        cur = d->successor_offer_id; /* the event wins */
                else if (in_catalog && equivalent && equivalent[0])
                        cur = equivalent;
                else
                        return NULL;
        }
}

cf_err_t cf_rule_request_provision(cf_rule_ctx_t *c, cf_sub_state_t *sub,
                                   const char *offer) {
        const cf_migration_t *m = c->m;
        char n[24], rid[CF_UUID_SIZE];
        const char *parts[6];
        cf_event_t *ev;
        cf_err_t err;

        if ((err = cf_handlers_set_target(sub, c->in->type,
                                          CF_TGT_REQUESTED)) != CF_OK)
                return err;
        /* cf_str_replace copies before freeing: offer may alias the old
         * target_offer_id. */
        if (!cf_str_replace(&sub->target_offer_id, offer))
                return CF_ERR_NOMEM;
        sub->requests++;
        cf_fmt_u64(n, sizeof(n), sub->requests);
        parts[0] = "provision-request";
        parts[1] = m->partner_id;
        parts[2] = m->customer_tenant_id;
        parts[3] = m->opened_by;
        parts[4] = sub->source_subscription_id;
        parts[5] = n;
        cf_ids_uuid(parts, 6, rid);
        if (!cf_str_replace(&sub->request_id, rid))
                return CF_ERR_NOMEM;

        if (!(ev = cf_rule_emit(c, CF_EV_PROVISION_REQUESTED)))
                return CF_ERR_NOMEM;
        cf_strlcpy(ev->request_id, rid, sizeof(ev->request_id));
        cf_strlcpy(ev->source_subscription_id, sub->source_subscription_id,
                   sizeof(ev->source_subscription_id));
        cf_strlcpy(ev->offer_id, sub->target_offer_id, sizeof(ev->offer_id));
        ev->quantity = sub->quantity;
        ev->same_offer = strcmp(sub->target_offer_id, sub->offer_id) == 0;
        return CF_OK;
}

cf_err_t cf_rule_block_sub(cf_rule_ctx_t *c, cf_sub_state_t *sub,
                           cf_target_status_t target,
                           cf_block_reason_t reason) {
        cf_err_t err = cf_handlers_set_target(sub, c->in->type, target);
        cf_event_t *ev;
        if (err != CF_OK)
                return err;
        if (!(ev = cf_rule_emit(c, CF_EV_MIGRATION_BLOCKED)))
                return CF_ERR_NOMEM;
        ev->reason_code = (int32_t)reason;
        cf_strlcpy(ev->subscription_id, sub->source_subscription_id,
                   sizeof(ev->subscription_id));
        return CF_OK;
}

bool cf_rule_sub_ready(const cf_sub_state_t *sub) {
        return sub->target == CF_TGT_PROVISIONED &&
               sub->provisioned_quantity == sub->quantity &&
               (strcmp(sub->provisioned_offer_id, sub->offer_id) == 0 ||
                sub->licenses_reassigned);
}

cf_err_t cf_rule_try_complete(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        const cf_migration_t *m = c->m;
        cf_event_t *ev;

        if (m->status != CF_MIG_PROVISIONING || m->n_subs == 0)
                return CF_OK;
        for (size_t i = 0; i < m->n_subs; i++)
                if (!cf_rule_sub_retired(&m->subs[i]) ||
                    !cf_rule_sub_ready(&m->subs[i]))
                        return CF_OK;

        if (!(ev = cf_rule_emit(c, CF_EV_MIGRATION_COMPLETED)) ||
            !cf_event_subs_reserve(ev, m->n_subs))
                return CF_ERR_NOMEM;
        for (size_t i = 0; i < m->n_subs; i++) {
                const cf_sub_state_t *s = &m->subs[i];
                cf_event_sub_t *d = &ev->subs[i];
                memset(d, 0, sizeof(*d));
                cf_strlcpy(d->source_subscription_id, s->source_subscription_id,
                           sizeof(d->source_subscription_id));
                cf_strlcpy(d->subscription_id, s->subscription_id,
                           sizeof(d->subscription_id));
                cf_strlcpy(d->offer_id, s->provisioned_offer_id,
                           sizeof(d->offer_id));
                d->quantity = s->provisioned_quantity;
        }
        ev->n_subs = m->n_subs;
        *to = CF_MIG_COMPLETED;
        return CF_OK;
}
