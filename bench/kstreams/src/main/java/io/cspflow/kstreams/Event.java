package io.cspflow.kstreams;

import java.util.ArrayList;
import java.util.List;

/**
 * One event, input or output: the envelope and the union of every type's
 * body fields, as cspflow's cf_event_t. Strings are never null: "" means
 * absent (correlation_id, successor_offer_id, migration-blocked's
 * subscription_id). Enumerations are their symbol's index in the schema.
 */
final class Event {
    /** A subscription inside migration-requested or migration-completed. */
    static final class Sub {
        String sourceSubscriptionId = "";
        String subscriptionId = "";
        String offerId = "";
        int quantity;
        int channel; // Channel index (requested only)
        long expiresAt; // requested only
    }

    // channel symbols (Channel)
    static final int CH_MICROSOFT_DIRECT = 0;
    // migration-rejected reasons (RejectionReason)
    static final int REJ_ROLE_NOT_PERMITTED = 0;
    static final int REJ_REGION_MISMATCH = 1;
    static final int REJ_INVALID_REQUEST = 2;
    // migration-blocked reasons (BlockReason)
    static final int BLK_NO_EQUIVALENT_OFFER = 0;
    static final int BLK_PROVISIONING_FAILED = 1;
    static final int BLK_RELATIONSHIP_LOST = 2;
    // credit-review routes (CreditRoute)
    static final int ROUTE_PARTNER_ON_BEHALF = 0;
    static final int ROUTE_CUSTOMER_CONTACTS_SUPPORT = 1;

    EventType type;
    String eventId = "";
    long occurredAt;
    String partnerId = "";
    String customerTenantId = "";
    String correlationId = "";
    String causationId = "";

    // migration-requested
    String actorUserId = "";
    final List<String> roles = new ArrayList<>();
    String partnerRegion = "";
    String customerTenantRegion = "";
    boolean multiChannel;
    boolean delegatedAdmin;
    /** source_subscriptions (requested) or subscriptions (completed) */
    final List<Sub> subs = new ArrayList<>();

    String offerId = "";
    String successorOfferId = "";
    String sourceSubscriptionId = "";
    String subscriptionId = "";
    String textReason = ""; // provision-failed
    String requestId = "";
    String fromOfferId = "";
    String toOfferId = "";
    String detail = "";
    int reasonCode; // migration-rejected / migration-blocked reason
    int route;
    int quantity;
    int expected;
    int actual;
    long expiresAt;
    long graceEndsAt;
    boolean sameOffer;
    boolean refund;

    Event(EventType type) {
        this.type = type;
    }

    /** The Kafka key, "<partner_id>/<customer_tenant_id>". */
    String key() {
        return partnerId + "/" + customerTenantId;
    }
}
