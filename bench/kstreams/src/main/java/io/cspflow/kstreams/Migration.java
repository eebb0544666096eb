package io.cspflow.kstreams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The state of one migration (one Kafka key), as cspflow's cf_migration_t
 * (handlers/migration.h); StateSerde writes it as a MigrationState record.
 * Strings are never null: "" means none.
 */
final class Migration {
    enum Status {
        NONE("none"), INVITED("invited"), PROVISIONING("provisioning"),
        COMPLETED("completed"), REJECTED("rejected"), BLOCKED("blocked");

        final String kebab;

        Status(String kebab) {
            this.kebab = kebab;
        }
    }

    enum Target {
        PENDING("pending"), REQUESTED("requested"), PROVISIONED("provisioned"),
        NO_EQUIVALENT("no-equivalent"), FAILED("failed");

        final String kebab;

        Target(String kebab) {
            this.kebab = kebab;
        }
    }

    enum Source {
        ACTIVE("active"), NEAR_EXPIRY("near-expiry"), CANCELLED("cancelled"),
        EXPIRED("expired");

        final String kebab;

        Source(String kebab) {
            this.kebab = kebab;
        }
    }

    /** One source subscription and where its replacement stands. */
    static final class Sub {
        String sourceSubscriptionId = "";
        String offerId = "";
        int quantity;
        int channel;
        long expiresAt;
        Source source = Source.ACTIVE;
        Target target = Target.PENDING;
        String targetOfferId = "";
        String requestId = "";
        long requests;
        long failures;
        String subscriptionId = "";
        String provisionedOfferId = "";
        int provisionedQuantity;
        boolean licensesReassigned;

        boolean retired() {
            return source == Source.CANCELLED || source == Source.EXPIRED;
        }
    }

    /** A remembered offer-discontinued (rule 3). */
    static final class Discontinued {
        final String offerId;
        String successorOfferId;

        Discontinued(String offerId, String successorOfferId) {
            this.offerId = offerId;
            this.successorOfferId = successorOfferId;
        }
    }

    final String partnerId;
    final String customerTenantId;
    Status status = Status.NONE;
    String openedBy = "";
    long openedAt;
    long updatedAt;
    boolean multiChannel;
    boolean delegatedAdmin;
    Sub[] subs = new Sub[0];
    final List<Discontinued> discontinued = new ArrayList<>();
    /** Hashes of the applied event ids (rule 12): hi, lo, hi, lo, ... */
    long[] handled = new long[0];
    int nHandled;
    long applied;
    /** The input offset of the last applied input; -1 until set. */
    long lastInputOffset = -1;

    Migration(String partnerId, String customerTenantId) {
        this.partnerId = partnerId;
        this.customerTenantId = customerTenantId;
    }

    Sub findSub(String sourceSubscriptionId) {
        for (Sub s : subs)
            if (s.sourceSubscriptionId.equals(sourceSubscriptionId))
                return s;
        return null;
    }

    Discontinued findDiscontinued(String offerId) {
        for (Discontinued d : discontinued)
            if (d.offerId.equals(offerId))
                return d;
        return null;
    }

    boolean handledHas(long hi, long lo) {
        for (int i = 0; i < nHandled; i++)
            if (handled[2 * i] == hi && handled[2 * i + 1] == lo)
                return true;
        return false;
    }

    void handledAdd(long hi, long lo) {
        if (2 * nHandled == handled.length)
            handled = Arrays.copyOf(handled, Math.max(32, 2 * handled.length));
        handled[2 * nHandled] = hi;
        handled[2 * nHandled + 1] = lo;
        nHandled++;
    }
}
