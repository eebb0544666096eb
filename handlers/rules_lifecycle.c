/* cspflow: the source subscriptions ending, and the relationship ending.
 * Rule 7 (subscription-near-expiry), rule 8 (cancellation-requested),
 * rule 9 (subscription-cancelled, subscription-expired, then rule 10),
 * rule 11 (relationship-terminated). */
#include "handlers_int.h"

#include "../common/cf_time.h"
#include "../common/strutil.h"

/* The source the input's subscription_id names, still running; NULL after
 * a rejection (unknown, or already retired). */
static cf_sub_state_t *running_source(cf_rule_ctx_t *c) {
        cf_sub_state_t *sub = cf_rule_find_source(c, c->in->subscription_id);
        if (sub && cf_rule_sub_retired(sub)) {
                cf_rule_reject(c, CF_REJ_NOT_APPLICABLE,
                               "subscription %s already ended (%s)",
                               sub->source_subscription_id,
                               cf_source_status_name(sub->source));
                return NULL;
        }
        return sub;
}

/* An output about one source: subscription_id set, the rest the caller's. */
static cf_event_t *emit_for(cf_rule_ctx_t *c, cf_event_type_t type,
                            const cf_sub_state_t *sub) {
        cf_event_t *ev = cf_rule_emit(c, type);
        if (ev)
                cf_strlcpy(ev->subscription_id, sub->source_subscription_id,
                           sizeof(ev->subscription_id));
        return ev;
}

/* Rule 7. */
cf_err_t cf_rule_near_expiry(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        cf_sub_state_t *sub = running_source(c);
        cf_event_t *ev;
        cf_err_t err;

        if (!sub)
                return CF_OK;
        if ((err = cf_handlers_set_source(sub, c->in->type,
                                          CF_SRC_NEAR_EXPIRY)) != CF_OK)
                return err;
        sub->expires_at = c->in->expires_at;
        if (!(ev = emit_for(c,
                            cf_rule_sub_ready(sub) ? CF_EV_RETIRE_SOURCE_ADVISED
                                                   : CF_EV_PROVISIONING_OVERDUE,
                            sub)))
                return CF_ERR_NOMEM;
        ev->expires_at = sub->expires_at;
        *to = c->m->status;
        return CF_OK;
}

/* Rule 8. */
cf_err_t cf_rule_cancellation_requested(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        cf_sub_state_t *sub = running_source(c);
        cf_event_t *ev;

        if (!sub)
                return CF_OK;
        *to = c->m->status;
        if (sub->source != CF_SRC_ACTIVE)
                return CF_OK; /* near expiry: cancelling loses nothing */
        if (!(ev = emit_for(c, CF_EV_EARLY_CANCELLATION_WARNING, sub)))
                return CF_ERR_NOMEM;
        ev->expires_at = sub->expires_at;
        ev->refund = false;
        return CF_OK;
}

/* Rule 9, then rule 10. */
cf_err_t cf_rule_source_ended(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        const cf_event_t *in = c->in;
        const int64_t grace = CF_GRACE_DAYS * CF_MS_PER_DAY;
        bool cancelled = in->type == CF_EV_SUBSCRIPTION_CANCELLED;
        cf_sub_state_t *sub = running_source(c);
        bool at_risk;
        cf_event_t *ev;
        cf_err_t err;

        if (!sub)
                return CF_OK;
        at_risk = sub->target != CF_TGT_PROVISIONED;
        if (at_risk && in->occurred_at > CF_TIME_MAX - grace) {
                cf_rule_reject(c, CF_REJ_INVALID_VALUE,
                               "occurred_at %lld plus %d days is past the "
                               "last representable time",
                               (long long)in->occurred_at, CF_GRACE_DAYS);
                return CF_OK;
        }

        if ((err = cf_handlers_set_source(sub, in->type,
                                          cancelled ? CF_SRC_CANCELLED
                                                    : CF_SRC_EXPIRED)) != CF_OK)
                return err;
        if (at_risk) {
                if (!(ev = emit_for(c, CF_EV_DATA_LOSS_RISK, sub)))
                        return CF_ERR_NOMEM;
                ev->grace_ends_at = in->occurred_at + grace;
        }
        if (cancelled && sub->channel == CF_CH_MICROSOFT_DIRECT) {
                if (!(ev = emit_for(c, CF_EV_CREDIT_REVIEW_REQUESTED, sub)))
                        return CF_ERR_NOMEM;
                ev->route = c->m->delegated_admin
                                ? CF_ROUTE_PARTNER_ON_BEHALF
                                : CF_ROUTE_CUSTOMER_CONTACTS_SUPPORT;
        }
        *to = c->m->status;
        return cf_rule_try_complete(c, to);
}

/* Rule 11. */
cf_err_t cf_rule_relationship_terminated(cf_rule_ctx_t *c,
                                         cf_mig_status_t *to) {
        cf_event_t *ev = cf_rule_emit(c, CF_EV_MIGRATION_BLOCKED);
        if (!ev)
                return CF_ERR_NOMEM;
        ev->reason_code = CF_BLK_RELATIONSHIP_LOST;
        ev->subscription_id[0] = '\0';
        *to = CF_MIG_BLOCKED;
        return CF_OK;
}
