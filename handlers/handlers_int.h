/* cspflow: what the rule files of handlers/ share. Not a public API: only
 * the sources of handlers/ and their unit tests include it.
 *
 * A rule is a function that first validates everything it needs (and on a
 * failed check calls cf_rule_reject() and returns CF_OK without touching the
 * migration or the outbox), then changes the migration, appends its outputs
 * with cf_rule_emit() and says which status the migration moves to. The
 * move itself is made by cf_handle() through cf_handlers_set_state(), the
 * one place a status changes.
 *
 * Ownership: the context only borrows; nothing here allocates what it does
 * not hand to the migration or the outbox. */
#ifndef CF_HANDLERS_INT_H
#define CF_HANDLERS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "handlers.h"

/** What one call of cf_handle() works on. */
typedef struct cf_rule_ctx_s {
        const cf_catalog_t *catalog; /**< may be NULL */
        cf_migration_t *m;
        const cf_event_t *in;
        cf_outbox_t *out;
        size_t out_base; /**< out->n when the input arrived */
        cf_verdict_t *v;
} cf_rule_ctx_t;

/** A rule: on success *to is the status to move to (possibly the current
 *  one). A rejection is reported through cf_rule_reject() with CF_OK
 *  returned. CF_ERR_NOMEM may leave the migration half-changed. */
typedef cf_err_t (*cf_rule_fn_t)(cf_rule_ctx_t *c, cf_mig_status_t *to);

/* ---- the state machine (handlers.c) ---- */

/** Moves m from its status to `to` if (event, m->status, to) is a row of
 *  the transition table; *rule (may be NULL) gets the row's rule number.
 *  Returns CF_ERR_INVALID, m untouched, for a move the table does not
 *  allow. */
cf_err_t cf_handlers_set_state(cf_migration_t *m, cf_event_type_t event,
                               cf_mig_status_t to, int *rule);

/* ---- the per-subscription states (sub_states.c) ---- */

/** Sets sub's target status to `to` if (CF_SUB_TARGET, event, sub->target,
 *  to) is a row of cf_handlers_sub_transitions(); CF_ERR_INVALID, sub
 *  untouched, otherwise. */
cf_err_t cf_handlers_set_target(cf_sub_state_t *sub, cf_event_type_t event,
                                cf_target_status_t to);
/** The same for the source status. */
cf_err_t cf_handlers_set_source(cf_sub_state_t *sub, cf_event_type_t event,
                                cf_source_status_t to);
/** Gives a new source its first target and source statuses: the rows of
 *  event with from CF_SUB_NEW. CF_ERR_INVALID when event has none. */
cf_err_t cf_handlers_sub_start(cf_sub_state_t *sub, cf_event_type_t event);

/* ---- helpers the rules share (handlers.c) ---- */

/** Marks the verdict REJECTED with reason and a printf-style detail. */
void cf_rule_reject(cf_rule_ctx_t *c, cf_reject_t reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** True once cf_rule_reject() was called for this input. */
static inline bool cf_rule_rejected(const cf_rule_ctx_t *c) {
        return c->v->kind == CF_VERDICT_REJECTED;
}

/** Appends an output of `type` with its envelope filled in (event_id,
 *  occurred_at, key, correlation and causation from the input); the body is
 *  the caller's. NULL on allocation failure. */
cf_event_t *cf_rule_emit(cf_rule_ctx_t *c, cf_event_type_t type);

/** The source the input names (field `subscription_id` or
 *  `source_subscription_id`), or NULL after rejecting the input
 *  UNKNOWN_SUBSCRIPTION. */
cf_sub_state_t *cf_rule_find_source(cf_rule_ctx_t *c, const char *id);

/** The remembered offer-discontinued for `offer`, or NULL. */
cf_discontinued_t *cf_rule_find_discontinued(const cf_migration_t *m,
                                             const char *offer);

/** The offer to provision for `offer`: itself unless discontinued (by an
 *  offer-discontinued of this migration, or in the catalog), else its
 *  successor, followed at most CF_OFFER_CHAIN_MAX steps. NULL when there
 *  is no equivalent (no successor, a longer chain or a cycle). The result
 *  points into m, the catalog or `offer`: copy it before changing them. */
const char *cf_rule_resolve_offer(const cf_rule_ctx_t *c, const char *offer);

/** Targets `sub` at `offer`: target requested, a new request id, and a
 *  provision-requested output. */
cf_err_t cf_rule_request_provision(cf_rule_ctx_t *c, cf_sub_state_t *sub,
                                   const char *offer);

/** Sets the sub's target to `target` and emits migration-blocked with
 *  `reason` for it. */
cf_err_t cf_rule_block_sub(cf_rule_ctx_t *c, cf_sub_state_t *sub,
                           cf_target_status_t target, cf_block_reason_t reason);

/** Replacement provisioned with the source's quantity and, where the offer
 *  changed, licenses reassigned. */
bool cf_rule_sub_ready(const cf_sub_state_t *sub);

static inline bool cf_rule_sub_retired(const cf_sub_state_t *sub) {
        return sub->source == CF_SRC_CANCELLED || sub->source == CF_SRC_EXPIRED;
}

/** Rule 10: while provisioning, when every source is retired and ready,
 *  emits migration-completed and sets *to completed; otherwise leaves *to
 *  as it is. */
cf_err_t cf_rule_try_complete(cf_rule_ctx_t *c, cf_mig_status_t *to);

/* ---- the rules, one per input type ---- */

/* rules_request.c */
cf_err_t cf_rule_migration_requested(cf_rule_ctx_t *c, cf_mig_status_t *to);
cf_err_t cf_rule_invitation_accepted(cf_rule_ctx_t *c, cf_mig_status_t *to);
cf_err_t cf_rule_offer_discontinued(cf_rule_ctx_t *c, cf_mig_status_t *to);
/* rules_provisioning.c */
cf_err_t cf_rule_subscription_provisioned(cf_rule_ctx_t *c,
                                          cf_mig_status_t *to);
cf_err_t cf_rule_provision_failed(cf_rule_ctx_t *c, cf_mig_status_t *to);
cf_err_t cf_rule_licenses_reassigned(cf_rule_ctx_t *c, cf_mig_status_t *to);
/* rules_lifecycle.c */
cf_err_t cf_rule_near_expiry(cf_rule_ctx_t *c, cf_mig_status_t *to);
cf_err_t cf_rule_cancellation_requested(cf_rule_ctx_t *c, cf_mig_status_t *to);
cf_err_t cf_rule_source_ended(cf_rule_ctx_t *c, cf_mig_status_t *to);
cf_err_t cf_rule_relationship_terminated(cf_rule_ctx_t *c, cf_mig_status_t *to);

#endif
