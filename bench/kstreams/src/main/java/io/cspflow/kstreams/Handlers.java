package io.cspflow.kstreams;

import io.cspflow.kstreams.Migration.Status;
import io.cspflow.kstreams.Migration.Sub;
import io.cspflow.kstreams.Migration.Target;
import java.util.List;

/**
 * The migration state machine, a port of handlers/handlers.c: the
 * transition table, handle() (rule 12, the key cap, the status check, then
 * the input type's rule) and what the rules share (the output envelope,
 * offer resolution, provision requests, completion). docs/rules.md is the
 * contract; the rules themselves are in Rules.java. Pure: no Kafka, no
 * clock.
 */
final class Handlers {
    private record Row(EventType event, Status from, Status to, int rule) {}

    private static final Row[] TABLE = {
        new Row(EventType.MIGRATION_REQUESTED, Status.NONE, Status.INVITED, 1),
        new Row(EventType.MIGRATION_REQUESTED, Status.NONE, Status.REJECTED, 1),
        new Row(EventType.MIGRATION_REQUESTED, Status.REJECTED, Status.INVITED, 1),
        new Row(EventType.MIGRATION_REQUESTED, Status.REJECTED, Status.REJECTED, 1),
        new Row(EventType.MIGRATION_REQUESTED, Status.COMPLETED, Status.INVITED, 1),
        new Row(EventType.MIGRATION_REQUESTED, Status.COMPLETED, Status.REJECTED, 1),
        new Row(EventType.INVITATION_ACCEPTED, Status.INVITED, Status.PROVISIONING, 2),
        new Row(EventType.OFFER_DISCONTINUED, Status.INVITED, Status.INVITED, 3),
        new Row(EventType.OFFER_DISCONTINUED, Status.PROVISIONING, Status.PROVISIONING, 3),
        new Row(EventType.SUBSCRIPTION_PROVISIONED, Status.PROVISIONING, Status.PROVISIONING, 4),
        new Row(EventType.SUBSCRIPTION_PROVISIONED, Status.PROVISIONING, Status.COMPLETED, 10),
        new Row(EventType.PROVISION_FAILED, Status.PROVISIONING, Status.PROVISIONING, 5),
        new Row(EventType.LICENSES_REASSIGNED, Status.PROVISIONING, Status.PROVISIONING, 6),
        new Row(EventType.LICENSES_REASSIGNED, Status.PROVISIONING, Status.COMPLETED, 10),
        new Row(EventType.SUBSCRIPTION_NEAR_EXPIRY, Status.INVITED, Status.INVITED, 7),
        new Row(EventType.SUBSCRIPTION_NEAR_EXPIRY, Status.PROVISIONING, Status.PROVISIONING, 7),
        new Row(EventType.CANCELLATION_REQUESTED, Status.INVITED, Status.INVITED, 8),
        new Row(EventType.CANCELLATION_REQUESTED, Status.PROVISIONING, Status.PROVISIONING, 8),
        new Row(EventType.SUBSCRIPTION_CANCELLED, Status.INVITED, Status.INVITED, 9),
        new Row(EventType.SUBSCRIPTION_CANCELLED, Status.PROVISIONING, Status.PROVISIONING, 9),
        new Row(EventType.SUBSCRIPTION_CANCELLED, Status.PROVISIONING, Status.COMPLETED, 10),
        new Row(EventType.SUBSCRIPTION_EXPIRED, Status.INVITED, Status.INVITED, 9),
        new Row(EventType.SUBSCRIPTION_EXPIRED, Status.PROVISIONING, Status.PROVISIONING, 9),
        new Row(EventType.SUBSCRIPTION_EXPIRED, Status.PROVISIONING, Status.COMPLETED, 10),
        new Row(EventType.RELATIONSHIP_TERMINATED, Status.INVITED, Status.BLOCKED, 11),
        new Row(EventType.RELATIONSHIP_TERMINATED, Status.PROVISIONING, Status.BLOCKED, 11),
    };

    /** What one call of handle() works on. */
    static final class Ctx {
        final Catalog catalog; // may be null
        final Migration m;
        final Event in;
        final List<Event> out;
        final Verdict v;
        /** out.size() when the input arrived. */
        final int base;
        /** The status to move to, set by the rule. */
        Status to;

        Ctx(Catalog catalog, Migration m, Event in, List<Event> out, Verdict v) {
            this.catalog = catalog;
            this.m = m;
            this.in = in;
            this.out = out;
            this.v = v;
            this.base = out.size();
            this.to = m.status;
        }

        /** Marks the verdict REJECTED (rule 13) with a detail. */
        void reject(Reject reason, String detail) {
            v.kind = Verdict.Kind.REJECTED;
            v.reason = reason;
            v.detail = detail;
            v.rule = 13;
        }

        boolean rejected() {
            return v.kind == Verdict.Kind.REJECTED;
        }

        /** Appends an output of `type` with its envelope filled in. */
        Event emit(EventType type) {
            Event ev = new Event(type);
            ev.eventId = Ids.uuid("event", in.partnerId, in.customerTenantId,
                                  in.eventId, Integer.toString(out.size() - base));
            ev.occurredAt = in.occurredAt;
            ev.partnerId = in.partnerId;
            ev.customerTenantId = in.customerTenantId;
            ev.correlationId = in.correlationId;
            ev.causationId = in.eventId;
            out.add(ev);
            return ev;
        }

        /** The source `id` names, or null after rejecting unknown-subscription. */
        Sub findSource(String id) {
            Sub s = m.findSub(id);
            if (s == null)
                reject(Reject.UNKNOWN_SUBSCRIPTION,
                       "subscription " + id + " is not a source of this migration");
            return s;
        }

        /** The offer to provision for `offer` (docs/rules.md "Offer resolution"),
         *  null when there is no equivalent. */
        String resolveOffer(String offer) {
            String cur = offer;
            for (int steps = 0;; steps++) {
                Migration.Discontinued d = m.findDiscontinued(cur);
                String equivalent = catalog == null ? null : catalog.discontinued(cur);
                boolean inCatalog = equivalent != null;
                if (d == null && !inCatalog)
                    return cur;
                if (steps == Limits.OFFER_CHAIN_MAX)
                    return null; // too long, or a cycle
                if (d != null && !d.successorOfferId.isEmpty())
                    cur = d.successorOfferId; // the event wins
                else if (inCatalog && !equivalent.isEmpty())
                    cur = equivalent;
                else
                    return null;
            }
        }

        /** Targets sub at offer: a new request id, a provision-requested. */
        void requestProvision(Sub sub, String offer) {
            sub.targetOfferId = offer;
            sub.requests++;
            String rid = Ids.uuid("provision-request", m.partnerId, m.customerTenantId,
                                  m.openedBy, sub.sourceSubscriptionId,
                                  Long.toString(sub.requests));
            sub.requestId = rid;
            sub.target = Target.REQUESTED;
            Event ev = emit(EventType.PROVISION_REQUESTED);
            ev.requestId = rid;
            ev.sourceSubscriptionId = sub.sourceSubscriptionId;
            ev.offerId = sub.targetOfferId;
            ev.quantity = sub.quantity;
            ev.sameOffer = sub.targetOfferId.equals(sub.offerId);
        }

        /** Sets sub's target and emits migration-blocked for it. */
        void blockSub(Sub sub, Target target, int reason) {
            Event ev = emit(EventType.MIGRATION_BLOCKED);
            sub.target = target;
            ev.reasonCode = reason;
            ev.subscriptionId = sub.sourceSubscriptionId;
        }

        /** Rule 10: while provisioning, every source retired and ready ->
         *  migration-completed, status completed. */
        void tryComplete() {
            if (m.status != Status.PROVISIONING || m.subs.length == 0)
                return;
            for (Sub s : m.subs)
                if (!s.retired() || !ready(s))
                    return;
            Event ev = emit(EventType.MIGRATION_COMPLETED);
            for (Sub s : m.subs) {
                Event.Sub d = new Event.Sub();
                d.sourceSubscriptionId = s.sourceSubscriptionId;
                d.subscriptionId = s.subscriptionId;
                d.offerId = s.provisionedOfferId;
                d.quantity = s.provisionedQuantity;
                ev.subs.add(d);
            }
            to = Status.COMPLETED;
        }
    }

    private Handlers() {}

    /** Replacement provisioned with the source's quantity and, where the
     *  offer changed, licenses reassigned. */
    static boolean ready(Sub s) {
        return s.target == Target.PROVISIONED && s.provisionedQuantity == s.quantity
            && (s.provisionedOfferId.equals(s.offerId) || s.licensesReassigned);
    }

    private static Row find(EventType event, Status from, Status to) {
        for (Row r : TABLE)
            if (r.event == event && r.from == from && (to == null || r.to == to))
                return r;
        return null;
    }

    /** Why no row of the table takes this event from this status. */
    private static void rejectStatus(Ctx c) {
        Migration m = c.m;
        String ev = c.in.type.kebab;
        String st = m.status.kebab;
        String key = m.partnerId + "/" + m.customerTenantId;
        if (m.status == Status.BLOCKED)
            c.reject(Reject.MIGRATION_BLOCKED, "the migration of " + key
                     + " is blocked (relationship lost); " + ev + " is not accepted");
        else if (c.in.type == EventType.MIGRATION_REQUESTED
                 && (m.status == Status.INVITED || m.status == Status.PROVISIONING))
            c.reject(Reject.MIGRATION_OPEN, "a migration of " + key + " is already open ("
                     + st + "), requested by " + m.openedBy);
        else if (m.status == Status.NONE || m.status == Status.REJECTED
                 || m.status == Status.COMPLETED)
            c.reject(Reject.NO_MIGRATION, "no open migration for " + key + " (status "
                     + st + "); " + ev + " needs one");
        else
            c.reject(Reject.NOT_APPLICABLE,
                     ev + " does not apply to a migration that is " + st);
    }

    /**
     * Handles one decoded input: m is its key's migration (status NONE when
     * new). On APPLIED, m holds the new state and out the outputs; on
     * DUPLICATE or REJECTED, m and out are as they were.
     */
    static Verdict handle(Catalog catalog, Migration m, Event in, List<Event> out) {
        if (!in.type.input || !in.partnerId.equals(m.partnerId)
            || !in.customerTenantId.equals(m.customerTenantId))
            throw new IllegalArgumentException("not an input of this migration");
        Verdict v = new Verdict();
        v.statusBefore = v.statusAfter = m.status;
        Ctx c = new Ctx(catalog, m, in, out, v);

        long[] h = Ids.hash(in.eventId);
        if (m.handledHas(h[0], h[1])) { // rule 12
            v.kind = Verdict.Kind.DUPLICATE;
            v.rule = 12;
            return v;
        }
        if (m.nHandled >= Limits.EVENTS_PER_KEY_MAX) {
            c.reject(Reject.OVER_LIMIT, m.partnerId + "/" + m.customerTenantId + " has handled "
                     + Limits.EVENTS_PER_KEY_MAX + " events, the most one key may");
            return v;
        }
        if (find(in.type, m.status, null) == null) {
            rejectStatus(c);
            return v;
        }
        Rules.apply(c);
        if (c.rejected()) {
            out.subList(c.base, out.size()).clear(); // rules reject before emitting
            return v;
        }
        Row row = find(in.type, m.status, c.to);
        if (row == null)
            throw new IllegalStateException("no transition " + in.type.kebab + " "
                                            + m.status.kebab + " -> " + c.to.kebab);
        m.status = c.to;
        v.rule = row.rule;
        m.handledAdd(h[0], h[1]);
        m.applied++;
        m.updatedAt = in.occurredAt;
        v.statusAfter = m.status;
        return v;
    }
}
