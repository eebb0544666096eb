package io.cspflow.kstreams;

import java.util.HashMap;
import java.util.Map;

/** The event types of the domain contract (common/event.h), in cspflow's order. */
enum EventType {
    MIGRATION_REQUESTED("migration-requested", true),
    INVITATION_ACCEPTED("invitation-accepted", true),
    OFFER_DISCONTINUED("offer-discontinued", true),
    SUBSCRIPTION_PROVISIONED("subscription-provisioned", true),
    PROVISION_FAILED("provision-failed", true),
    LICENSES_REASSIGNED("licenses-reassigned", true),
    SUBSCRIPTION_NEAR_EXPIRY("subscription-near-expiry", true),
    CANCELLATION_REQUESTED("cancellation-requested", true),
    SUBSCRIPTION_CANCELLED("subscription-cancelled", true),
    SUBSCRIPTION_EXPIRED("subscription-expired", true),
    RELATIONSHIP_TERMINATED("relationship-terminated", true),
    RESELLER_RELATIONSHIP_REQUESTED("reseller-relationship-requested", false),
    MIGRATION_REJECTED("migration-rejected", false),
    PROVISION_REQUESTED("provision-requested", false),
    REASSIGN_LICENSES("reassign-licenses", false),
    LICENSE_COUNT_MISMATCH("license-count-mismatch", false),
    RETIRE_SOURCE_ADVISED("retire-source-advised", false),
    PROVISIONING_OVERDUE("provisioning-overdue", false),
    EARLY_CANCELLATION_WARNING("early-cancellation-warning", false),
    CREDIT_REVIEW_REQUESTED("credit-review-requested", false),
    DATA_LOSS_RISK("data-loss-risk", false),
    MIGRATION_BLOCKED("migration-blocked", false),
    MIGRATION_COMPLETED("migration-completed", false);

    /** Kebab-case name: the `type` field, the schema's file name. */
    final String kebab;
    final boolean input;
    /** The CloudEvents type header of an action of this type. */
    final String ceType;

    private static final Map<String, EventType> BY_NAME = new HashMap<>();

    static {
        for (EventType t : values())
            BY_NAME.put(t.kebab, t);
    }

    EventType(String kebab, boolean input) {
        this.kebab = kebab;
        this.input = input;
        this.ceType = "io.cspflow.migration." + kebab;
    }

    /** The type of a kebab-case name, or null. */
    static EventType of(String kebab) {
        return BY_NAME.get(kebab);
    }
}
