/* cspflow: opening a migration and choosing its target offers.
 * Rule 1 (migration-requested), rule 2 (invitation-accepted), rule 3
 * (offer-discontinued). */
#include "handlers_int.h"

#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"

static const char *const permitted_roles[] = {"account-admin", "sales-agent",
                                              "billing-agent"};

static bool role_permitted(const cf_event_t *in) {
        for (size_t i = 0; i < in->n_roles && i < CF_ROLES_MAX; i++)
                for (size_t j = 0;
                     j < sizeof(permitted_roles) / sizeof(permitted_roles[0]);
                     j++)
                        if (strcmp(in->roles[i], permitted_roles[j]) == 0)
                                return true;
        return false;
}

/* Rule 1's checks, in the spec's order. Returns true when the request is
 * refused, with the reason and a detail naming what is wrong. */
static bool request_refused(const cf_event_t *in, cf_reject_reason_t *reason,
                            char *detail, size_t size) {
        if (!role_permitted(in)) {
                *reason = CF_REJ_ROLE_NOT_PERMITTED;
                cf_errstr_set(detail, size,
                              "actor %s has none of the roles account-admin, "
                              "sales-agent, billing-agent",
                              in->actor_user_id);
                return true;
        }
        if (!cf_str_ieq(in->partner_region, in->customer_tenant_region)) {
                *reason = CF_REJ_REGION_MISMATCH;
                cf_errstr_set(detail, size,
                              "partner region %s differs from customer tenant "
                              "region %s",
                              in->partner_region, in->customer_tenant_region);
                return true;
        }
        *reason = CF_REJ_INVALID_REQUEST;
        if (in->n_subs == 0) {
                cf_errstr_set(detail, size, "no source subscription");
                return true;
        }
        for (size_t i = 0; i < in->n_subs; i++) {
                const cf_event_sub_t *s = &in->subs[i];
                if (s->quantity < 1) {
                        cf_errstr_set(detail, size,
                                      "source subscription %s has quantity "
                                      "%d; it must be at least 1",
                                      s->source_subscription_id,
                                      (int)s->quantity);
                        return true;
                }
                for (size_t j = 0; j < i; j++)
                        if (strcmp(in->subs[j].source_subscription_id,
                                   s->source_subscription_id) == 0) {
                                cf_errstr_set(detail, size,
                                              "source subscription %s is "
                                              "listed twice",
                                              s->source_subscription_id);
                                return true;
                        }
        }
        return false;
}

/* The request's sources as fresh state (cf_handlers_sub_start: target
 * pending, source active); NULL on allocation failure. */
static cf_sub_state_t *subs_from_request(const cf_event_t *in) {
        cf_sub_state_t *subs = calloc(in->n_subs, sizeof(*subs));
        if (!subs)
                return NULL;
        for (size_t i = 0; i < in->n_subs; i++) {
                const cf_event_sub_t *e = &in->subs[i];
                cf_sub_state_t *s = &subs[i];
                s->quantity = e->quantity;
                s->channel = e->channel;
                s->expires_at = e->expires_at;
                if (cf_handlers_sub_start(s, in->type) != CF_OK ||
                    !(s->source_subscription_id =
                          cf_strdup(e->source_subscription_id)) ||
                    !(s->offer_id = cf_strdup(e->offer_id)) ||
                    !(s->target_offer_id = cf_strdup("")) ||
                    !(s->request_id = cf_strdup("")) ||
                    !(s->subscription_id = cf_strdup("")) ||
                    !(s->provisioned_offer_id = cf_strdup(""))) {
                        cf_migration_subs_free(
                            subs, i + 1); /* calloc'd: NULLs free */
                        return NULL;
                }
        }
        return subs;
}

/* Replaces the migration's body (subs, remembered discontinuations, flags,
 * opener) with `subs` (owned, may be NULL when n is 0). */
static bool body_replace(cf_migration_t *m, cf_sub_state_t *subs, size_t n,
                         const cf_event_t *opener) {
        if (!cf_str_replace(&m->opened_by, opener ? opener->event_id : "")) {
                cf_migration_subs_free(subs, n);
                return false;
        }
        cf_migration_subs_free(m->subs, m->n_subs);
        m->subs = subs;
        m->n_subs = n;
        for (size_t i = 0; i < m->n_discontinued; i++) {
                free(m->discontinued[i].offer_id);
                free(m->discontinued[i].successor_offer_id);
        }
        free(m->discontinued);
        m->discontinued = NULL;
        m->n_discontinued = 0;
        m->multi_channel = opener ? opener->multi_channel : false;
        m->delegated_admin = opener ? opener->delegated_admin : false;
        m->opened_at = opener ? opener->occurred_at : 0;
        return true;
}

/* Rule 1. */
cf_err_t cf_rule_migration_requested(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        const cf_event_t *in = c->in;
        cf_reject_reason_t reason;
        cf_text_t detail;
        cf_sub_state_t *subs;
        cf_event_t *ev;

        if (in->n_subs > CF_SUBS_MAX) {
                cf_rule_reject(c, CF_REJ_OVER_LIMIT,
                               "%zu source subscriptions; at most %d",
                               in->n_subs, CF_SUBS_MAX);
                return CF_OK;
        }
        if (request_refused(in, &reason, detail, sizeof(detail))) {
                if (!body_replace(c->m, NULL, 0, NULL) ||
                    !(ev = cf_rule_emit(c, CF_EV_MIGRATION_REJECTED)))
                        return CF_ERR_NOMEM;
                ev->reason_code = (int32_t)reason;
                cf_strlcpy(ev->detail, detail, sizeof(ev->detail));
                *to = CF_MIG_REJECTED;
                return CF_OK;
        }
        if (!(subs = subs_from_request(in)) ||
            !body_replace(c->m, subs, in->n_subs, in) ||
            !(ev = cf_rule_emit(c, CF_EV_RESELLER_RELATIONSHIP_REQUESTED)))
                return CF_ERR_NOMEM;
        ev->multi_channel = in->multi_channel;
        ev->delegated_admin = in->delegated_admin;
        *to = CF_MIG_INVITED;
        return CF_OK;
}

/* Rule 2. */
cf_err_t cf_rule_invitation_accepted(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        cf_migration_t *m = c->m;

        for (size_t i = 0; i < m->n_subs; i++) {
                cf_sub_state_t *sub = &m->subs[i];
                const char *offer = cf_rule_resolve_offer(c, sub->offer_id);
                cf_err_t err =
                    offer ? cf_rule_request_provision(c, sub, offer)
                          : cf_rule_block_sub(c, sub, CF_TGT_NO_EQUIVALENT,
                                              CF_BLK_NO_EQUIVALENT_OFFER);
                if (err != CF_OK)
                        return err;
        }
        *to = CF_MIG_PROVISIONING;
        return CF_OK;
}

/* Remembers the input's discontinuation, replacing one for the same
 * offer. */
static bool remember_discontinued(cf_migration_t *m, const cf_event_t *in) {
        cf_discontinued_t *d = cf_rule_find_discontinued(m, in->offer_id);
        cf_discontinued_t *v;

        if (d)
                return cf_str_replace(&d->successor_offer_id,
                                      in->successor_offer_id);
        v = realloc(m->discontinued, (m->n_discontinued + 1) * sizeof(*v));
        if (!v)
                return false;
        m->discontinued = v;
        d = &v[m->n_discontinued];
        d->offer_id = cf_strdup(in->offer_id);
        d->successor_offer_id = cf_strdup(in->successor_offer_id);
        if (!d->offer_id || !d->successor_offer_id) {
                free(d->offer_id);
                free(d->successor_offer_id);
                return false;
        }
        m->n_discontinued++;
        return true;
}

/* Rule 3. */
cf_err_t cf_rule_offer_discontinued(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        cf_migration_t *m = c->m;
        const char *gone = c->in->offer_id;

        if (!cf_rule_find_discontinued(m, gone) &&
            m->n_discontinued >= CF_DISCONTINUED_MAX) {
                cf_rule_reject(c, CF_REJ_OVER_LIMIT,
                               "the migration already remembers %d "
                               "discontinued offers; %s is one too many",
                               CF_DISCONTINUED_MAX, gone);
                return CF_OK;
        }
        if (!remember_discontinued(m, c->in))
                return CF_ERR_NOMEM;

        *to = m->status;
        if (m->status != CF_MIG_PROVISIONING)
                return CF_OK; /* rule 2 resolves at acceptance */
        for (size_t i = 0; i < m->n_subs; i++) {
                cf_sub_state_t *sub = &m->subs[i];
                const char *offer;
                cf_err_t err = CF_OK;

                if (sub->target == CF_TGT_REQUESTED &&
                    strcmp(sub->target_offer_id, gone) == 0) {
                        offer = cf_rule_resolve_offer(c, gone);
                        err = offer ? cf_rule_request_provision(c, sub, offer)
                                    : cf_rule_block_sub(
                                          c, sub, CF_TGT_NO_EQUIVALENT,
                                          CF_BLK_NO_EQUIVALENT_OFFER);
                } else if (sub->target == CF_TGT_NO_EQUIVALENT &&
                           (offer = cf_rule_resolve_offer(c, sub->offer_id))) {
                        /* a successor named late unblocks the source */
                        err = cf_rule_request_provision(c, sub, offer);
                }
                if (err != CF_OK)
                        return err;
        }
        return CF_OK;
}
