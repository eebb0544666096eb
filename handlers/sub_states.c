/* cspflow: the states of one source subscription (handlers.h): the table
 * of the moves of its target status (the replacement) and of its source
 * status, and the setters every rule goes through. */
#include "handlers_int.h"

#define TGT(ev, from, to, rule)                                                \
        { CF_SUB_TARGET, CF_EV_##ev, CF_TGT_##from, CF_TGT_##to, rule }
#define TGT_NEW(ev, to, rule)                                                  \
        { CF_SUB_TARGET, CF_EV_##ev, CF_SUB_NEW, CF_TGT_##to, rule }
#define SRC(ev, from, to, rule)                                                \
        { CF_SUB_SOURCE, CF_EV_##ev, CF_SRC_##from, CF_SRC_##to, rule }
#define SRC_NEW(ev, to, rule)                                                  \
        { CF_SUB_SOURCE, CF_EV_##ev, CF_SUB_NEW, CF_SRC_##to, rule }

/* Every move of a source's statuses the rules can make, and the only ones
 * (docs/rules.md says why each happens). */
static const cf_sub_transition_t sub_transitions[] = {
    /* the replacement */
    TGT_NEW(MIGRATION_REQUESTED, PENDING, 1),
    TGT(INVITATION_ACCEPTED, PENDING, REQUESTED, 2),
    TGT(INVITATION_ACCEPTED, PENDING, NO_EQUIVALENT, 2),
    TGT(OFFER_DISCONTINUED, REQUESTED, REQUESTED, 3),
    TGT(OFFER_DISCONTINUED, REQUESTED, NO_EQUIVALENT, 3),
    TGT(OFFER_DISCONTINUED, NO_EQUIVALENT, REQUESTED, 3),
    TGT(SUBSCRIPTION_PROVISIONED, REQUESTED, PROVISIONED, 4),
    TGT(SUBSCRIPTION_PROVISIONED, PROVISIONED, PROVISIONED, 4),
    TGT(SUBSCRIPTION_PROVISIONED, NO_EQUIVALENT, PROVISIONED, 4),
    TGT(SUBSCRIPTION_PROVISIONED, FAILED, PROVISIONED, 4),
    TGT(PROVISION_FAILED, REQUESTED, REQUESTED, 5),
    TGT(PROVISION_FAILED, REQUESTED, FAILED, 5),
    /* the source */
    SRC_NEW(MIGRATION_REQUESTED, ACTIVE, 1),
    SRC(SUBSCRIPTION_NEAR_EXPIRY, ACTIVE, NEAR_EXPIRY, 7),
    SRC(SUBSCRIPTION_NEAR_EXPIRY, NEAR_EXPIRY, NEAR_EXPIRY, 7),
    SRC(SUBSCRIPTION_CANCELLED, ACTIVE, CANCELLED, 9),
    SRC(SUBSCRIPTION_CANCELLED, NEAR_EXPIRY, CANCELLED, 9),
    SRC(SUBSCRIPTION_EXPIRED, ACTIVE, EXPIRED, 9),
    SRC(SUBSCRIPTION_EXPIRED, NEAR_EXPIRY, EXPIRED, 9),
};
#define N_SUB_TRANSITIONS (sizeof(sub_transitions) / sizeof(sub_transitions[0]))

#undef TGT
#undef TGT_NEW
#undef SRC
#undef SRC_NEW

const cf_sub_transition_t *cf_handlers_sub_transitions(size_t *n) {
        if (n)
                *n = N_SUB_TRANSITIONS;
        return sub_transitions;
}

static bool allowed(cf_sub_part_t part, cf_event_type_t event, int from,
                    int to) {
        for (size_t i = 0; i < N_SUB_TRANSITIONS; i++) {
                const cf_sub_transition_t *t = &sub_transitions[i];
                if (t->part == part && t->event == event && t->from == from &&
                    t->to == to)
                        return true;
        }
        return false;
}

cf_err_t cf_handlers_set_target(cf_sub_state_t *sub, cf_event_type_t event,
                                cf_target_status_t to) {
        if (!allowed(CF_SUB_TARGET, event, (int)sub->target, (int)to))
                return CF_ERR_INVALID;
        sub->target = to;
        return CF_OK;
}

cf_err_t cf_handlers_set_source(cf_sub_state_t *sub, cf_event_type_t event,
                                cf_source_status_t to) {
        if (!allowed(CF_SUB_SOURCE, event, (int)sub->source, (int)to))
                return CF_ERR_INVALID;
        sub->source = to;
        return CF_OK;
}

cf_err_t cf_handlers_sub_start(cf_sub_state_t *sub, cf_event_type_t event) {
        bool target = false, source = false;
        for (size_t i = 0; i < N_SUB_TRANSITIONS; i++) {
                const cf_sub_transition_t *t = &sub_transitions[i];
                if (t->event != event || t->from != CF_SUB_NEW)
                        continue;
                if (t->part == CF_SUB_TARGET) {
                        sub->target = (cf_target_status_t)t->to;
                        target = true;
                } else {
                        sub->source = (cf_source_status_t)t->to;
                        source = true;
                }
        }
        return target && source ? CF_OK : CF_ERR_INVALID;
}
