#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "strutil.h"

static const char *const cf_enum_channel_sym[] = {
    "microsoft-direct", "other-partner", "other-channel"};
static const char *const cf_enum_channel_avro[] = {
    "MICROSOFT_DIRECT", "OTHER_PARTNER", "OTHER_CHANNEL"};
const cf_enum_desc_t cf_enum_channel = {"Channel", cf_enum_channel_sym,
                                        cf_enum_channel_avro, 3};

static const char *const cf_enum_reject_sym[] = {
    "role-not-permitted", "region-mismatch", "invalid-request"};
static const char *const cf_enum_reject_avro[] = {
    "ROLE_NOT_PERMITTED", "REGION_MISMATCH", "INVALID_REQUEST"};
const cf_enum_desc_t cf_enum_reject_reason = {
    "RejectionReason", cf_enum_reject_sym, cf_enum_reject_avro, 3};

static const char *const cf_enum_block_sym[] = {
    "no-equivalent-offer", "provisioning-failed", "relationship-lost"};
static const char *const cf_enum_block_avro[] = {
    "NO_EQUIVALENT_OFFER", "PROVISIONING_FAILED", "RELATIONSHIP_LOST"};
const cf_enum_desc_t cf_enum_block_reason = {"BlockReason", cf_enum_block_sym,
                                             cf_enum_block_avro, 3};

static const char *const cf_enum_route_sym[] = {"partner-on-behalf",
                                                "customer-contacts-support"};
static const char *const cf_enum_route_avro[] = {"PARTNER_ON_BEHALF",
                                                 "CUSTOMER_CONTACTS_SUPPORT"};
const cf_enum_desc_t cf_enum_credit_route = {"CreditRoute", cf_enum_route_sym,
                                             cf_enum_route_avro, 2};

#define EV(f) offsetof(cf_event_t, f)
#define SB(f) offsetof(cf_event_sub_t, f)
#define N(a)  (sizeof(a) / sizeof((a)[0]))

/* Envelope: every input and output starts with these, in this order. */
#define ENVELOPE                                                               \
        {"type", CF_F_TYPE,                                                    \
         0,      NULL,                                                         \
         NULL,   "Kebab-case event type name; equals the schema's type."},     \
            {"event_id", CF_F_ID, EV(event_id),                                \
             NULL,       NULL,    "Unique id of this event."},                 \
            {"occurred_at",                                                    \
             CF_F_TIME,                                                        \
             EV(occurred_at),                                                  \
             NULL,                                                             \
             NULL,                                                             \
             "When the event happened (UTC, ms). Outputs carry their "         \
             "cause's."},                                                      \
            {"partner_id",   CF_F_ID,                                          \
             EV(partner_id), NULL,                                             \
             NULL,           "The CSP partner's id; first half of the key."},  \
            {"customer_tenant_id",                                             \
             CF_F_ID,                                                          \
             EV(customer_tenant_id),                                           \
             NULL,                                                             \
             NULL,                                                             \
             "The customer's tenant id; second half of the key."},             \
        {                                                                      \
                "correlation_id", CF_F_OPT_ID, EV(correlation_id), NULL, NULL, \
                    "Optional id tying related events together."               \
        }
#define CAUSATION                                                              \
        {                                                                      \
                "causation_id", CF_F_ID, EV(causation_id), NULL, NULL,         \
                    "event_id of the input that caused this output."           \
        }

static const cf_field_t actor_fields[] = {
    {"user_id", CF_F_ID, EV(actor_user_id), NULL, NULL,
     "The partner user requesting the relationship."},
    {"roles", CF_F_ROLES, EV(roles), NULL, NULL,
     "The user's Partner Center roles, e.g. account-admin."},
};
static const cf_record_desc_t actor_rec = {"Actor", actor_fields,
                                           N(actor_fields)};

static const cf_field_t source_sub_fields[] = {
    {"subscription_id", CF_F_ID, SB(source_subscription_id), NULL, NULL,
     "The source subscription's id."},
    {"offer_id", CF_F_ID, SB(offer_id), NULL, NULL,
     "The offer the customer bought."},
    {"quantity", CF_F_INT, SB(quantity), NULL, NULL,
     "Number of licenses; must be > 0."},
    {"channel", CF_F_ENUM, SB(channel), &cf_enum_channel, NULL,
     "Where the source was bought."},
    {"expires_at", CF_F_TIME, SB(expires_at), NULL, NULL,
     "Natural end of the source's term (UTC, ms)."},
};
static const cf_record_desc_t source_sub_rec = {
    "SourceSubscription", source_sub_fields, N(source_sub_fields)};

static const cf_field_t completed_sub_fields[] = {
    {"source_subscription_id", CF_F_ID, SB(source_subscription_id), NULL, NULL,
     "The retired source subscription."},
    {"subscription_id", CF_F_ID, SB(subscription_id), NULL, NULL,
     "The CSP subscription that replaced it."},
    {"offer_id", CF_F_ID, SB(offer_id), NULL, NULL,
     "Offer of the replacement."},
    {"quantity", CF_F_INT, SB(quantity), NULL, NULL,
     "Licenses on the replacement."},
};
static const cf_record_desc_t completed_sub_rec = {
    "CompletedSubscription", completed_sub_fields, N(completed_sub_fields)};

/* ---- inputs ---- */
static const cf_field_t f_migration_requested[] = {
    ENVELOPE,
    {"actor", CF_F_ACTOR, 0, NULL, &actor_rec,
     "Who asks for the reseller relationship."},
    {"partner_region", CF_F_ID, EV(partner_region), NULL, NULL,
     "The partner's region (compared case-insensitively)."},
    {"customer_tenant_region", CF_F_ID, EV(customer_tenant_region), NULL, NULL,
     "The customer tenant's region."},
    {"multi_channel", CF_F_BOOL, EV(multi_channel), NULL, NULL,
     "The customer keeps other partners."},
    {"delegated_admin", CF_F_BOOL, EV(delegated_admin), NULL, NULL,
     "The partner asks for delegated admin privileges."},
    {"source_subscriptions", CF_F_SUBS, 0, NULL, &source_sub_rec,
     "The subscriptions to move, in order."},
};
static const cf_field_t f_envelope_only[] = {ENVELOPE};
static const cf_field_t f_offer_discontinued[] = {
    ENVELOPE,
    {"offer_id", CF_F_ID, EV(offer_id), NULL, NULL,
     "The offer no longer sold."},
    {"successor_offer_id", CF_F_OPT_ID, EV(successor_offer_id), NULL, NULL,
     "Its equivalent, when known; wins over the catalog."},
};
static const cf_field_t f_subscription_provisioned[] = {
    ENVELOPE,
    {"source_subscription_id", CF_F_ID, EV(source_subscription_id), NULL, NULL,
     "The source this replaces."},
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "The new CSP subscription."},
    {"offer_id", CF_F_ID, EV(offer_id), NULL, NULL, "Offer provisioned."},
    {"quantity", CF_F_INT, EV(quantity), NULL, NULL, "Licenses provisioned."},
};
static const cf_field_t f_provision_failed[] = {
    ENVELOPE,
    {"source_subscription_id", CF_F_ID, EV(source_subscription_id), NULL, NULL,
     "The source whose replacement failed."},
    {"reason", CF_F_TEXT, EV(text_reason), NULL, NULL,
     "What Partner Center said."},
};
static const cf_field_t f_licenses_reassigned[] = {
    ENVELOPE,
    {"source_subscription_id", CF_F_ID, EV(source_subscription_id), NULL, NULL,
     "The source whose users now hold the new offer's licenses."},
};
static const cf_field_t f_near_expiry[] = {
    ENVELOPE,
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "A source subscription."},
    {"expires_at", CF_F_TIME, EV(expires_at), NULL, NULL,
     "When it ends (UTC, ms)."},
};
static const cf_field_t f_source_only[] = {
    ENVELOPE,
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "A source subscription."},
};

/* ---- outputs ---- */
static const cf_field_t f_relationship_requested[] = {
    ENVELOPE,
    CAUSATION,
    {"multi_channel", CF_F_BOOL, EV(multi_channel), NULL, NULL,
     "The customer keeps other partners."},
    {"delegated_admin", CF_F_BOOL, EV(delegated_admin), NULL, NULL,
     "Delegated admin privileges are requested."},
};
static const cf_field_t f_migration_rejected[] = {
    ENVELOPE,
    CAUSATION,
    {"reason", CF_F_ENUM, EV(reason_code), &cf_enum_reject_reason, NULL,
     "Why the request was refused."},
    {"detail", CF_F_TEXT, EV(detail), NULL, NULL, "Human-readable detail."},
};
static const cf_field_t f_provision_requested[] = {
    ENVELOPE,
    CAUSATION,
    {"request_id", CF_F_ID, EV(request_id), NULL, NULL,
     "Deterministic idempotency id; new per retry or re-target."},
    {"source_subscription_id", CF_F_ID, EV(source_subscription_id), NULL, NULL,
     "The source to replace."},
    {"offer_id", CF_F_ID, EV(offer_id), NULL, NULL, "Offer to provision."},
    {"quantity", CF_F_INT, EV(quantity), NULL, NULL,
     "Licenses: the source's count."},
    {"same_offer", CF_F_BOOL, EV(same_offer), NULL, NULL,
     "True when offer_id is the source's own offer."},
};
static const cf_field_t f_reassign_licenses[] = {
    ENVELOPE,
    CAUSATION,
    {"source_subscription_id", CF_F_ID, EV(source_subscription_id), NULL, NULL,
     "The source whose users move."},
    {"from_offer_id", CF_F_ID, EV(from_offer_id), NULL, NULL,
     "The source's offer."},
    {"to_offer_id", CF_F_ID, EV(to_offer_id), NULL, NULL,
     "The replacement's offer."},
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "The replacement subscription."},
    {"quantity", CF_F_INT, EV(quantity), NULL, NULL, "Licenses to move."},
};
static const cf_field_t f_count_mismatch[] = {
    ENVELOPE,
    CAUSATION,
    {"source_subscription_id", CF_F_ID, EV(source_subscription_id), NULL, NULL,
     "The source concerned."},
    {"expected", CF_F_INT, EV(expected), NULL, NULL,
     "The source's license count."},
    {"actual", CF_F_INT, EV(actual), NULL, NULL, "The count provisioned."},
};
static const cf_field_t f_sub_expires[] = {
    ENVELOPE,
    CAUSATION,
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "The source subscription."},
    {"expires_at", CF_F_TIME, EV(expires_at), NULL, NULL,
     "When it ends (UTC, ms)."},
};
static const cf_field_t f_early_cancellation[] = {
    ENVELOPE,
    CAUSATION,
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "The source subscription."},
    {"expires_at", CF_F_TIME, EV(expires_at), NULL, NULL,
     "Its natural expiry (UTC, ms): better to wait for it."},
    {"refund", CF_F_BOOL, EV(refund), NULL, NULL,
     "Always false: cancellations are not refunded."},
};
static const cf_field_t f_credit_review[] = {
    ENVELOPE,
    CAUSATION,
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "The cancelled microsoft-direct source."},
    {"route", CF_F_ENUM, EV(route), &cf_enum_credit_route, NULL,
     "Who contacts Microsoft 365 billing support."},
};
static const cf_field_t f_data_loss_risk[] = {
    ENVELOPE,
    CAUSATION,
    {"subscription_id", CF_F_ID, EV(subscription_id), NULL, NULL,
     "The source that ended unreplaced."},
    {"grace_ends_at", CF_F_TIME, EV(grace_ends_at), NULL, NULL,
     "End of the 30-day read-only window (UTC, ms)."},
};
static const cf_field_t f_migration_blocked[] = {
    ENVELOPE,
    CAUSATION,
    {"reason", CF_F_ENUM, EV(reason_code), &cf_enum_block_reason, NULL,
     "Why the migration, or one subscription of it, cannot go on."},
    {"subscription_id", CF_F_OPT_ID, EV(subscription_id), NULL, NULL,
     "The source concerned, where one is."},
};
static const cf_field_t f_migration_completed[] = {
    ENVELOPE,
    CAUSATION,
    {"subscriptions", CF_F_SUBS, 0, NULL, &completed_sub_rec,
     "Every source and its replacement."},
};

#define DESC(t, n, s, in, f) [t] = {t, n, s, in, f, N(f)}
static const cf_event_desc_t descs[CF_EV__COUNT] = {
    DESC(CF_EV_MIGRATION_REQUESTED, "migration-requested", "MigrationRequested",
         true, f_migration_requested),
    DESC(CF_EV_INVITATION_ACCEPTED, "invitation-accepted", "InvitationAccepted",
         true, f_envelope_only),
    DESC(CF_EV_OFFER_DISCONTINUED, "offer-discontinued", "OfferDiscontinued",
         true, f_offer_discontinued),
    DESC(CF_EV_SUBSCRIPTION_PROVISIONED, "subscription-provisioned",
         "SubscriptionProvisioned", true, f_subscription_provisioned),
    DESC(CF_EV_PROVISION_FAILED, "provision-failed", "ProvisionFailed", true,
         f_provision_failed),
    DESC(CF_EV_LICENSES_REASSIGNED, "licenses-reassigned", "LicensesReassigned",
         true, f_licenses_reassigned),
    DESC(CF_EV_SUBSCRIPTION_NEAR_EXPIRY, "subscription-near-expiry",
         "SubscriptionNearExpiry", true, f_near_expiry),
    DESC(CF_EV_CANCELLATION_REQUESTED, "cancellation-requested",
         "CancellationRequested", true, f_source_only),
    DESC(CF_EV_SUBSCRIPTION_CANCELLED, "subscription-cancelled",
         "SubscriptionCancelled", true, f_source_only),
    DESC(CF_EV_SUBSCRIPTION_EXPIRED, "subscription-expired",
         "SubscriptionExpired", true, f_source_only),
    DESC(CF_EV_RELATIONSHIP_TERMINATED, "relationship-terminated",
         "RelationshipTerminated", true, f_envelope_only),
    DESC(CF_EV_RESELLER_RELATIONSHIP_REQUESTED,
         "reseller-relationship-requested", "ResellerRelationshipRequested",
         false, f_relationship_requested),
    DESC(CF_EV_MIGRATION_REJECTED, "migration-rejected", "MigrationRejected",
         false, f_migration_rejected),
    DESC(CF_EV_PROVISION_REQUESTED, "provision-requested", "ProvisionRequested",
         false, f_provision_requested),
    DESC(CF_EV_REASSIGN_LICENSES, "reassign-licenses", "ReassignLicenses",
         false, f_reassign_licenses),
    DESC(CF_EV_LICENSE_COUNT_MISMATCH, "license-count-mismatch",
         "LicenseCountMismatch", false, f_count_mismatch),
    DESC(CF_EV_RETIRE_SOURCE_ADVISED, "retire-source-advised",
         "RetireSourceAdvised", false, f_sub_expires),
    DESC(CF_EV_PROVISIONING_OVERDUE, "provisioning-overdue",
         "ProvisioningOverdue", false, f_sub_expires),
    DESC(CF_EV_EARLY_CANCELLATION_WARNING, "early-cancellation-warning",
         "EarlyCancellationWarning", false, f_early_cancellation),
    DESC(CF_EV_CREDIT_REVIEW_REQUESTED, "credit-review-requested",
         "CreditReviewRequested", false, f_credit_review),
    DESC(CF_EV_DATA_LOSS_RISK, "data-loss-risk", "DataLossRisk", false,
         f_data_loss_risk),
    DESC(CF_EV_MIGRATION_BLOCKED, "migration-blocked", "MigrationBlocked",
         false, f_migration_blocked),
    DESC(CF_EV_MIGRATION_COMPLETED, "migration-completed", "MigrationCompleted",
         false, f_migration_completed),
};

const cf_event_desc_t *cf_event_desc(cf_event_type_t type) {
        if (type <= CF_EV_NONE || type >= CF_EV__COUNT)
                return NULL;
        return &descs[type];
}

cf_event_type_t cf_event_type_from_name(const char *name) {
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++)
                if (strcmp(descs[t].name, name) == 0)
                        return (cf_event_type_t)t;
        return CF_EV_NONE;
}

const char *cf_event_type_name(cf_event_type_t type) {
        const cf_event_desc_t *d = cf_event_desc(type);
        return d ? d->name : "none";
}

int cf_enum_index(const cf_enum_desc_t *e, const char *symbol) {
        for (size_t i = 0; i < e->n; i++)
                if (strcmp(e->symbols[i], symbol) == 0)
                        return (int)i;
        return -1;
}

void cf_event_init(cf_event_t *ev) {
        memset(ev, 0, sizeof(*ev));
}

void cf_event_reset(cf_event_t *ev) {
        /* What cf_event_init leaves, as far as any reader can tell: every
         * string empty, every count and scalar 0; the bytes after a
         * string's NUL are not cleared. A memset of the whole event
         * (~5 KB) cost ~650 instructions per event decoded or emitted,
         * 10 % of the worker's per-event work (callgrind, docs/
         * performance.md); this is ~70. subs and subs_cap are kept. */
        static const size_t ids[] = {
            offsetof(cf_event_t, event_id),
            offsetof(cf_event_t, partner_id),
            offsetof(cf_event_t, customer_tenant_id),
            offsetof(cf_event_t, correlation_id),
            offsetof(cf_event_t, causation_id),
            offsetof(cf_event_t, actor_user_id),
            offsetof(cf_event_t, partner_region),
            offsetof(cf_event_t, customer_tenant_region),
            offsetof(cf_event_t, offer_id),
            offsetof(cf_event_t, successor_offer_id),
            offsetof(cf_event_t, source_subscription_id),
            offsetof(cf_event_t, subscription_id),
            offsetof(cf_event_t, request_id),
            offsetof(cf_event_t, from_offer_id),
            offsetof(cf_event_t, to_offer_id),
            offsetof(cf_event_t, text_reason),
            offsetof(cf_event_t, detail),
        };
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                ((char *)ev)[ids[i]] = '\0';
        ev->type = (cf_event_type_t)0;
        ev->occurred_at = 0;
        ev->n_roles = 0;
        ev->multi_channel = ev->delegated_admin = false;
        ev->same_offer = ev->refund = false;
        ev->reason_code = ev->route = ev->quantity = 0;
        ev->expected = ev->actual = 0;
        ev->expires_at = ev->grace_ends_at = 0;
        ev->n_subs = 0;
}

void cf_event_clear(cf_event_t *ev) {
        free(ev->subs);
        memset(ev, 0, sizeof(*ev));
}

bool cf_event_subs_reserve(cf_event_t *ev, size_t n) {
        cf_event_sub_t *p;
        size_t cap;
        if (n > CF_SUBS_MAX)
                return false;
        if (n <= ev->subs_cap)
                return true;
        cap = ev->subs_cap ? ev->subs_cap : 4;
        while (cap < n)
                cap *= 2;
        if (cap > CF_SUBS_MAX)
                cap = CF_SUBS_MAX;
        p = realloc(ev->subs, cap * sizeof(*p));
        if (!p)
                return false;
        ev->subs = p;
        ev->subs_cap = cap;
        return true;
}

bool cf_event_copy(cf_event_t *dst, const cf_event_t *src) {
        cf_event_sub_t *subs;
        size_t cap;
        if (!cf_event_subs_reserve(dst, src->n_subs))
                return false;
        subs = dst->subs;
        cap = dst->subs_cap;
        memcpy(dst, src, sizeof(*dst));
        dst->subs = subs;
        dst->subs_cap = cap;
        if (src->n_subs)
                memcpy(dst->subs, src->subs, src->n_subs * sizeof(*src->subs));
        return true;
}

bool cf_event_key(const cf_event_t *ev, char *buf, size_t size) {
        /* "%s/%s" as snprintf writes it (what fits, NUL-terminated), without
         * printf: it is on the path of every record */
        size_t lp = cf_strnlen(ev->partner_id, sizeof(ev->partner_id));
        size_t lt =
            cf_strnlen(ev->customer_tenant_id, sizeof(ev->customer_tenant_id));
        size_t n = lp + 1 + lt, o = 0;
        const char *parts[3] = {ev->partner_id, "/", ev->customer_tenant_id};
        size_t lens[3] = {lp, 1, lt};

        if (n < size) { /* the whole key fits: the usual case */
                memcpy(buf, ev->partner_id, lp);
                buf[lp] = '/';
                memcpy(buf + lp + 1, ev->customer_tenant_id, lt);
                buf[n] = '\0';
                return true;
        }
        if (size == 0)
                return false;
        for (int i = 0; i < 3 && o < size - 1; i++) {
                size_t k = lens[i] < size - 1 - o ? lens[i] : size - 1 - o;
                memcpy(buf + o, parts[i], k);
                o += k;
        }
        buf[o] = '\0';
        return n < size;
}
