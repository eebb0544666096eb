/* cspflow: the replacements being provisioned.
 * Rule 4 (subscription-provisioned), rule 5 (provision-failed), rule 6
 * (licenses-reassigned); 4 and 6 end with rule 10. */
#include "handlers_int.h"

#include <string.h>

#include "../common/strutil.h"

/* Rule 4. */
cf_err_t cf_rule_subscription_provisioned(cf_rule_ctx_t *c,
                                          cf_mig_status_t *to) {
        const cf_event_t *in = c->in;
        cf_sub_state_t *sub =
            cf_rule_find_source(c, in->source_subscription_id);
        bool same_replacement;
        cf_event_t *ev;
        cf_err_t err;

        if (!sub)
                return CF_OK;
        if (in->quantity < 1) {
                cf_rule_reject(c, CF_REJ_INVALID_VALUE,
                               "subscription %s was provisioned with quantity "
                               "%d; it must be at least 1",
                               in->subscription_id, (int)in->quantity);
                return CF_OK;
        }
        if (sub->requests == 0) {
                cf_rule_reject(c, CF_REJ_NOT_APPLICABLE,
                               "no provisioning was requested for "
                               "subscription %s",
                               sub->source_subscription_id);
                return CF_OK;
        }

        /* The same replacement on the same offer again (e.g. its quantity
         * corrected): its reassign-licenses was already emitted, and
         * licenses_reassigned stays as it is. */
        same_replacement =
            sub->target == CF_TGT_PROVISIONED &&
            strcmp(sub->subscription_id, in->subscription_id) == 0 &&
            strcmp(sub->provisioned_offer_id, in->offer_id) == 0;
        if (!cf_str_replace(&sub->subscription_id, in->subscription_id) ||
            !cf_str_replace(&sub->provisioned_offer_id, in->offer_id))
                return CF_ERR_NOMEM;
        if ((err = cf_handlers_set_target(sub, in->type, CF_TGT_PROVISIONED)) !=
            CF_OK)
                return err;
        sub->provisioned_quantity = in->quantity;

        if (strcmp(in->offer_id, sub->offer_id) == 0) {
                sub->licenses_reassigned = false; /* nothing to move */
        } else if (!same_replacement) {
                sub->licenses_reassigned = false;
                if (!(ev = cf_rule_emit(c, CF_EV_REASSIGN_LICENSES)))
                        return CF_ERR_NOMEM;
                cf_strlcpy(ev->source_subscription_id,
                           sub->source_subscription_id,
                           sizeof(ev->source_subscription_id));
                cf_strlcpy(ev->from_offer_id, sub->offer_id,
                           sizeof(ev->from_offer_id));
                cf_strlcpy(ev->to_offer_id, in->offer_id,
                           sizeof(ev->to_offer_id));
                cf_strlcpy(ev->subscription_id, in->subscription_id,
                           sizeof(ev->subscription_id));
                ev->quantity = sub->quantity;
        }
        if (in->quantity != sub->quantity) {
                if (!(ev = cf_rule_emit(c, CF_EV_LICENSE_COUNT_MISMATCH)))
                        return CF_ERR_NOMEM;
                cf_strlcpy(ev->source_subscription_id,
                           sub->source_subscription_id,
                           sizeof(ev->source_subscription_id));
                ev->expected = sub->quantity;
                ev->actual = in->quantity;
        }
        *to = c->m->status;
        return cf_rule_try_complete(c, to);
}

/* Rule 5. */
cf_err_t cf_rule_provision_failed(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        cf_sub_state_t *sub =
            cf_rule_find_source(c, c->in->source_subscription_id);

        if (!sub)
                return CF_OK;
        if (sub->target != CF_TGT_REQUESTED) {
                cf_rule_reject(c, CF_REJ_NOT_APPLICABLE,
                               "no provisioning of subscription %s is "
                               "outstanding (target %s)",
                               sub->source_subscription_id,
                               cf_target_status_name(sub->target));
                return CF_OK;
        }
        *to = c->m->status;
        sub->failures++;
        if (sub->failures < CF_PROVISION_ATTEMPTS_MAX)
                return cf_rule_request_provision(c, sub, sub->target_offer_id);
        return cf_rule_block_sub(c, sub, CF_TGT_FAILED,
                                 CF_BLK_PROVISIONING_FAILED);
}

/* Rule 6. */
cf_err_t cf_rule_licenses_reassigned(cf_rule_ctx_t *c, cf_mig_status_t *to) {
        cf_sub_state_t *sub =
            cf_rule_find_source(c, c->in->source_subscription_id);

        if (!sub)
                return CF_OK;
        if (sub->target != CF_TGT_PROVISIONED ||
            strcmp(sub->provisioned_offer_id, sub->offer_id) == 0) {
                cf_rule_reject(c, CF_REJ_NOT_APPLICABLE,
                               "no license reassignment pending for "
                               "subscription %s",
                               sub->source_subscription_id);
                return CF_OK;
        }
        sub->licenses_reassigned = true;
        *to = c->m->status;
        return cf_rule_try_complete(c, to);
}
