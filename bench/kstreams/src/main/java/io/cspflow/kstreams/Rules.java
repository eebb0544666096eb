package io.cspflow.kstreams;

import io.cspflow.kstreams.Handlers.Ctx;
import io.cspflow.kstreams.Migration.Source;
import io.cspflow.kstreams.Migration.Status;
import io.cspflow.kstreams.Migration.Sub;
import io.cspflow.kstreams.Migration.Target;

/**
 * The rules, one per input type: a port of handlers/rules_request.c (1-3),
 * rules_provisioning.c (4-6) and rules_lifecycle.c (7-9, 11). Each first
 * checks everything it needs (and rejects without changing anything), then
 * changes the migration, emits, and sets the status to move to.
 */
final class Rules {
    private static final String[] PERMITTED_ROLES = {
        "account-admin", "sales-agent", "billing-agent"};

    private Rules() {}

    static void apply(Ctx c) {
        switch (c.in.type) {
        case MIGRATION_REQUESTED -> migrationRequested(c);
        case INVITATION_ACCEPTED -> invitationAccepted(c);
        case OFFER_DISCONTINUED -> offerDiscontinued(c);
        case SUBSCRIPTION_PROVISIONED -> subscriptionProvisioned(c);
        case PROVISION_FAILED -> provisionFailed(c);
        case LICENSES_REASSIGNED -> licensesReassigned(c);
        case SUBSCRIPTION_NEAR_EXPIRY -> nearExpiry(c);
        case CANCELLATION_REQUESTED -> cancellationRequested(c);
        case SUBSCRIPTION_CANCELLED, SUBSCRIPTION_EXPIRED -> sourceEnded(c);
        case RELATIONSHIP_TERMINATED -> relationshipTerminated(c);
        default -> throw new IllegalArgumentException(c.in.type.kebab + " is not an input");
        }
    }

    /** ASCII case-insensitive equality (cf_str_ieq: regions are ASCII codes). */
    static boolean asciiEqualsIgnoreCase(String a, String b) {
        if (a.length() != b.length())
            return false;
        for (int i = 0; i < a.length(); i++) {
            char x = a.charAt(i), y = b.charAt(i);
            if (x >= 'A' && x <= 'Z')
                x += 'a' - 'A';
            if (y >= 'A' && y <= 'Z')
                y += 'a' - 'A';
            if (x != y)
                return false;
        }
        return true;
    }

    // ---- rule 1 ----

    private static boolean rolePermitted(Event in) {
        for (int i = 0; i < in.roles.size() && i < Limits.ROLES_MAX; i++)
            for (String p : PERMITTED_ROLES)
                if (in.roles.get(i).equals(p))
                    return true;
        return false;
    }

    /** Rule 1's checks in the spec's order: {reason index, detail}, or null. */
    private static Object[] refused(Event in) {
        if (!rolePermitted(in))
            return new Object[] {Event.REJ_ROLE_NOT_PERMITTED, "actor " + in.actorUserId
                + " has none of the roles account-admin, sales-agent, billing-agent"};
        if (!asciiEqualsIgnoreCase(in.partnerRegion, in.customerTenantRegion))
            return new Object[] {Event.REJ_REGION_MISMATCH, "partner region "
                + in.partnerRegion + " differs from customer tenant region "
                + in.customerTenantRegion};
        if (in.subs.isEmpty())
            return new Object[] {Event.REJ_INVALID_REQUEST, "no source subscription"};
        for (int i = 0; i < in.subs.size(); i++) {
            Event.Sub s = in.subs.get(i);
            if (s.quantity < 1)
                return new Object[] {Event.REJ_INVALID_REQUEST, "source subscription "
                    + s.sourceSubscriptionId + " has quantity " + s.quantity
                    + "; it must be at least 1"};
            for (int j = 0; j < i; j++)
                if (in.subs.get(j).sourceSubscriptionId.equals(s.sourceSubscriptionId))
                    return new Object[] {Event.REJ_INVALID_REQUEST, "source subscription "
                        + s.sourceSubscriptionId + " is listed twice"};
        }
        return null;
    }

    /** Replaces the migration's body; opener null: no migration open. */
    private static void bodyReplace(Migration m, Sub[] subs, Event opener) {
        m.openedBy = opener != null ? opener.eventId : "";
        m.subs = subs;
        m.discontinued.clear();
        m.multiChannel = opener != null && opener.multiChannel;
        m.delegatedAdmin = opener != null && opener.delegatedAdmin;
        m.openedAt = opener != null ? opener.occurredAt : 0;
    }

    private static void migrationRequested(Ctx c) {
        Event in = c.in;
        if (in.subs.size() > Limits.SUBS_MAX) {
            c.reject(Reject.OVER_LIMIT, in.subs.size() + " source subscriptions; at most "
                     + Limits.SUBS_MAX);
            return;
        }
        Object[] why = refused(in);
        if (why != null) {
            bodyReplace(c.m, new Sub[0], null);
            Event ev = c.emit(EventType.MIGRATION_REJECTED);
            ev.reasonCode = (Integer) why[0];
            ev.detail = (String) why[1];
            c.to = Status.REJECTED;
            return;
        }
        Sub[] subs = new Sub[in.subs.size()];
        for (int i = 0; i < subs.length; i++) {
            Event.Sub e = in.subs.get(i);
            Sub s = new Sub();
            s.sourceSubscriptionId = e.sourceSubscriptionId;
            s.offerId = e.offerId;
            s.quantity = e.quantity;
            s.channel = e.channel;
            s.expiresAt = e.expiresAt;
            subs[i] = s;
        }
        bodyReplace(c.m, subs, in);
        Event ev = c.emit(EventType.RESELLER_RELATIONSHIP_REQUESTED);
        ev.multiChannel = in.multiChannel;
        ev.delegatedAdmin = in.delegatedAdmin;
        c.to = Status.INVITED;
    }

    // ---- rule 2 ----

    private static void invitationAccepted(Ctx c) {
        for (Sub sub : c.m.subs) {
            String offer = c.resolveOffer(sub.offerId);
            if (offer != null)
                c.requestProvision(sub, offer);
            else
                c.blockSub(sub, Target.NO_EQUIVALENT, Event.BLK_NO_EQUIVALENT_OFFER);
        }
        c.to = Status.PROVISIONING;
    }

    // ---- rule 3 ----

    private static void offerDiscontinued(Ctx c) {
        Migration m = c.m;
        String gone = c.in.offerId;
        Migration.Discontinued d = m.findDiscontinued(gone);
        if (d == null && m.discontinued.size() >= Limits.DISCONTINUED_MAX) {
            c.reject(Reject.OVER_LIMIT, "the migration already remembers "
                     + Limits.DISCONTINUED_MAX + " discontinued offers; " + gone
                     + " is one too many");
            return;
        }
        if (d != null)
            d.successorOfferId = c.in.successorOfferId;
        else
            m.discontinued.add(new Migration.Discontinued(gone, c.in.successorOfferId));
        c.to = m.status;
        if (m.status != Status.PROVISIONING)
            return; // rule 2 resolves at acceptance
        for (Sub sub : m.subs) {
            String offer;
            if (sub.target == Target.REQUESTED && sub.targetOfferId.equals(gone)) {
                offer = c.resolveOffer(gone);
                if (offer != null)
                    c.requestProvision(sub, offer);
                else
                    c.blockSub(sub, Target.NO_EQUIVALENT, Event.BLK_NO_EQUIVALENT_OFFER);
            } else if (sub.target == Target.NO_EQUIVALENT
                       && (offer = c.resolveOffer(sub.offerId)) != null) {
                c.requestProvision(sub, offer); // a successor named late unblocks it
            }
        }
    }

    // ---- rule 4 ----

    private static void subscriptionProvisioned(Ctx c) {
        Event in = c.in;
        Sub sub = c.findSource(in.sourceSubscriptionId);
        if (sub == null)
            return;
        if (in.quantity < 1) {
            c.reject(Reject.INVALID_VALUE, "subscription " + in.subscriptionId
                     + " was provisioned with quantity " + in.quantity
                     + "; it must be at least 1");
            return;
        }
        if (sub.requests == 0) {
            c.reject(Reject.NOT_APPLICABLE, "no provisioning was requested for subscription "
                     + sub.sourceSubscriptionId);
            return;
        }
        boolean sameReplacement = sub.target == Target.PROVISIONED
            && sub.subscriptionId.equals(in.subscriptionId)
            && sub.provisionedOfferId.equals(in.offerId);
        sub.subscriptionId = in.subscriptionId;
        sub.provisionedOfferId = in.offerId;
        sub.target = Target.PROVISIONED;
        sub.provisionedQuantity = in.quantity;

        if (in.offerId.equals(sub.offerId)) {
            sub.licensesReassigned = false; // nothing to move
        } else if (!sameReplacement) {
            sub.licensesReassigned = false;
            Event ev = c.emit(EventType.REASSIGN_LICENSES);
            ev.sourceSubscriptionId = sub.sourceSubscriptionId;
            ev.fromOfferId = sub.offerId;
            ev.toOfferId = in.offerId;
            ev.subscriptionId = in.subscriptionId;
            ev.quantity = sub.quantity;
        }
        if (in.quantity != sub.quantity) {
            Event ev = c.emit(EventType.LICENSE_COUNT_MISMATCH);
            ev.sourceSubscriptionId = sub.sourceSubscriptionId;
            ev.expected = sub.quantity;
            ev.actual = in.quantity;
        }
        c.to = c.m.status;
        c.tryComplete();
    }

    // ---- rule 5 ----

    private static void provisionFailed(Ctx c) {
        Sub sub = c.findSource(c.in.sourceSubscriptionId);
        if (sub == null)
            return;
        if (sub.target != Target.REQUESTED) {
            c.reject(Reject.NOT_APPLICABLE, "no provisioning of subscription "
                     + sub.sourceSubscriptionId + " is outstanding (target "
                     + sub.target.kebab + ")");
            return;
        }
        c.to = c.m.status;
        sub.failures++;
        if (sub.failures < Limits.PROVISION_ATTEMPTS_MAX)
            c.requestProvision(sub, sub.targetOfferId);
        else
            c.blockSub(sub, Target.FAILED, Event.BLK_PROVISIONING_FAILED);
    }

    // ---- rule 6 ----

    private static void licensesReassigned(Ctx c) {
        Sub sub = c.findSource(c.in.sourceSubscriptionId);
        if (sub == null)
            return;
        if (sub.target != Target.PROVISIONED || sub.provisionedOfferId.equals(sub.offerId)) {
            c.reject(Reject.NOT_APPLICABLE, "no license reassignment pending for subscription "
                     + sub.sourceSubscriptionId);
            return;
        }
        sub.licensesReassigned = true;
        c.to = c.m.status;
        c.tryComplete();
    }

    // ---- rules 7, 8, 9 ----

    /** The source the input's subscription_id names, still running; null
     *  after a rejection. */
    private static Sub runningSource(Ctx c) {
        Sub sub = c.findSource(c.in.subscriptionId);
        if (sub != null && sub.retired()) {
            c.reject(Reject.NOT_APPLICABLE, "subscription " + sub.sourceSubscriptionId
                     + " already ended (" + sub.source.kebab + ")");
            return null;
        }
        return sub;
    }

    private static Event emitFor(Ctx c, EventType type, Sub sub) {
        Event ev = c.emit(type);
        ev.subscriptionId = sub.sourceSubscriptionId;
        return ev;
    }

    private static void nearExpiry(Ctx c) {
        Sub sub = runningSource(c);
        if (sub == null)
            return;
        sub.source = Source.NEAR_EXPIRY;
        sub.expiresAt = c.in.expiresAt;
        Event ev = emitFor(c, Handlers.ready(sub) ? EventType.RETIRE_SOURCE_ADVISED
                                                  : EventType.PROVISIONING_OVERDUE, sub);
        ev.expiresAt = sub.expiresAt;
        c.to = c.m.status;
    }

    private static void cancellationRequested(Ctx c) {
        Sub sub = runningSource(c);
        if (sub == null)
            return;
        c.to = c.m.status;
        if (sub.source != Source.ACTIVE)
            return; // near expiry: cancelling loses nothing
        Event ev = emitFor(c, EventType.EARLY_CANCELLATION_WARNING, sub);
        ev.expiresAt = sub.expiresAt;
        ev.refund = false;
    }

    private static void sourceEnded(Ctx c) {
        Event in = c.in;
        long grace = Limits.GRACE_DAYS * Limits.MS_PER_DAY;
        boolean cancelled = in.type == EventType.SUBSCRIPTION_CANCELLED;
        Sub sub = runningSource(c);
        if (sub == null)
            return;
        boolean atRisk = sub.target != Target.PROVISIONED;
        if (atRisk && in.occurredAt > Limits.TIME_MAX - grace) {
            c.reject(Reject.INVALID_VALUE, "occurred_at " + in.occurredAt + " plus "
                     + Limits.GRACE_DAYS + " days is past the last representable time");
            return;
        }
        sub.source = cancelled ? Source.CANCELLED : Source.EXPIRED;
        if (atRisk) {
            Event ev = emitFor(c, EventType.DATA_LOSS_RISK, sub);
            ev.graceEndsAt = in.occurredAt + grace;
        }
        if (cancelled && sub.channel == Event.CH_MICROSOFT_DIRECT) {
            Event ev = emitFor(c, EventType.CREDIT_REVIEW_REQUESTED, sub);
            ev.route = c.m.delegatedAdmin ? Event.ROUTE_PARTNER_ON_BEHALF
                                          : Event.ROUTE_CUSTOMER_CONTACTS_SUPPORT;
        }
        c.to = c.m.status;
        c.tryComplete();
    }

    // ---- rule 11 ----

    private static void relationshipTerminated(Ctx c) {
        Event ev = c.emit(EventType.MIGRATION_BLOCKED);
        ev.reasonCode = Event.BLK_RELATIONSHIP_LOST;
        ev.subscriptionId = "";
        c.to = Status.BLOCKED;
    }
}
