/* cspflow: the event model shared by every layer.
 *
 * One flat struct, cf_event_t, holds any input or output event of
 * ../shared/spec/domain.md: the envelope plus the union of all body fields.
 * Strings are fixed, bounded arrays (caps in limits.h), so decoding an event
 * allocates nothing but its subscription list.
 *
 * Per event type a table of cf_field_t says which fields the type has, their
 * JSON/Avro names, kinds and where they sit in the struct. The JSON codec,
 * the Avro codec and the schema consistency test all walk these tables, so a
 * field is declared once.
 *
 * Ownership: a cf_event_t owns its `subs` array. Initialise with
 * cf_event_init(), release with cf_event_clear(); cf_event_reset() empties it
 * for reuse and keeps the array's capacity. */
#ifndef CF_EVENT_H
#define CF_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

typedef enum cf_event_type_e {
        CF_EV_NONE = 0,
        /* inputs */
        CF_EV_MIGRATION_REQUESTED,
        CF_EV_INVITATION_ACCEPTED,
        CF_EV_OFFER_DISCONTINUED,
        CF_EV_SUBSCRIPTION_PROVISIONED,
        CF_EV_PROVISION_FAILED,
        CF_EV_LICENSES_REASSIGNED,
        CF_EV_SUBSCRIPTION_NEAR_EXPIRY,
        CF_EV_CANCELLATION_REQUESTED,
        CF_EV_SUBSCRIPTION_CANCELLED,
        CF_EV_SUBSCRIPTION_EXPIRED,
        CF_EV_RELATIONSHIP_TERMINATED,
        /* outputs */
        CF_EV_RESELLER_RELATIONSHIP_REQUESTED,
        CF_EV_MIGRATION_REJECTED,
        CF_EV_PROVISION_REQUESTED,
        CF_EV_REASSIGN_LICENSES,
        CF_EV_LICENSE_COUNT_MISMATCH,
        CF_EV_RETIRE_SOURCE_ADVISED,
        CF_EV_PROVISIONING_OVERDUE,
        CF_EV_EARLY_CANCELLATION_WARNING,
        CF_EV_CREDIT_REVIEW_REQUESTED,
        CF_EV_DATA_LOSS_RISK,
        CF_EV_MIGRATION_BLOCKED,
        CF_EV_MIGRATION_COMPLETED,
        CF_EV__COUNT
} cf_event_type_t;

#define CF_EV_FIRST_INPUT  CF_EV_MIGRATION_REQUESTED
#define CF_EV_LAST_INPUT   CF_EV_RELATIONSHIP_TERMINATED
#define CF_EV_FIRST_OUTPUT CF_EV_RESELLER_RELATIONSHIP_REQUESTED
#define CF_EV_LAST_OUTPUT  CF_EV_MIGRATION_COMPLETED

/* Enumerations carried as ints; the symbol tables below name them. */
typedef enum {
        CF_CH_MICROSOFT_DIRECT,
        CF_CH_OTHER_PARTNER,
        CF_CH_OTHER_CHANNEL
} cf_channel_t;
typedef enum {
        CF_REJ_ROLE_NOT_PERMITTED,
        CF_REJ_REGION_MISMATCH,
        CF_REJ_INVALID_REQUEST
} cf_reject_reason_t;
typedef enum {
        CF_BLK_NO_EQUIVALENT_OFFER,
        CF_BLK_PROVISIONING_FAILED,
        CF_BLK_RELATIONSHIP_LOST
} cf_block_reason_t;
typedef enum {
        CF_ROUTE_PARTNER_ON_BEHALF,
        CF_ROUTE_CUSTOMER_CONTACTS_SUPPORT
} cf_credit_route_t;

typedef char cf_id_t[CF_ID_MAX + 1];
typedef char cf_text_t[CF_TEXT_MAX + 1];

/** One element of `source_subscriptions` (migration-requested) or of
 *  `subscriptions` (migration-completed). */
typedef struct cf_event_sub_s {
        cf_id_t source_subscription_id; /**< the source's id */
        cf_id_t subscription_id;        /**< completed: the new one */
        cf_id_t offer_id;
        int32_t quantity;
        int32_t channel;    /**< cf_channel_t (requested only) */
        int64_t expires_at; /**< requested only */
} cf_event_sub_t;

typedef struct cf_event_s {
        cf_event_type_t type;
        /* envelope */
        cf_id_t event_id;
        int64_t occurred_at; /**< ms since epoch, UTC */
        cf_id_t partner_id;
        cf_id_t customer_tenant_id;
        cf_id_t correlation_id; /**< "" when absent */
        cf_id_t causation_id;   /**< outputs only */
        /* body: the union of every type's fields */
        cf_id_t actor_user_id;
        cf_id_t roles[CF_ROLES_MAX];
        size_t n_roles;
        cf_id_t partner_region;
        cf_id_t customer_tenant_region;
        bool multi_channel;
        bool delegated_admin;
        bool same_offer;
        bool refund;
        cf_id_t offer_id;
        cf_id_t successor_offer_id; /**< "" when absent */
        cf_id_t source_subscription_id;
        cf_id_t subscription_id;
        cf_id_t request_id;
        cf_id_t from_offer_id;
        cf_id_t to_offer_id;
        cf_text_t text_reason; /**< provision-failed `reason` */
        cf_text_t detail;      /**< migration-rejected `detail` */
        int32_t reason_code;   /**< rejected/blocked `reason` enum */
        int32_t route;         /**< cf_credit_route_t */
        int32_t quantity;
        int32_t expected;
        int32_t actual;
        int64_t expires_at;
        int64_t grace_ends_at;
        /* subscriptions: source_subscriptions or completed subscriptions */
        cf_event_sub_t *subs; /**< owned */
        size_t n_subs;
        size_t subs_cap;
} cf_event_t;

/* ---- field tables ---- */

typedef enum cf_field_kind_e {
        CF_F_ID,     /**< cf_id_t, non-empty */
        CF_F_OPT_ID, /**< cf_id_t, "" = absent; JSON null or missing */
        CF_F_TEXT,   /**< cf_text_t, may be empty */
        CF_F_INT,    /**< int32_t */
        CF_F_BOOL,   /**< bool */
        CF_F_TIME,   /**< int64_t ms, Avro timestamp-millis */
        CF_F_ENUM,   /**< int32_t index into `enm` */
        CF_F_TYPE,   /**< the `type` discriminator (envelope only) */
        CF_F_ROLES,  /**< cf_id_t[CF_ROLES_MAX] + n_roles */
        CF_F_ACTOR,  /**< record {user_id, roles} */
        CF_F_SUBS,   /**< array of cf_event_sub_t, see `record` */
} cf_field_kind_t;

typedef struct cf_enum_desc_s {
        const char *name;                /**< Avro enum name */
        const char *const *symbols;      /**< kebab-case, as in JSON */
        const char *const *avro_symbols; /**< UPPER_SNAKE, as in Avro */
        size_t n;
} cf_enum_desc_t;

typedef struct cf_record_desc_s cf_record_desc_t;

typedef struct cf_field_s {
        const char *name;
        cf_field_kind_t kind;
        size_t offset; /**< in cf_event_t, or in cf_event_sub_t for records */
        const cf_enum_desc_t *enm;      /**< CF_F_ENUM */
        const cf_record_desc_t *record; /**< CF_F_ACTOR, CF_F_SUBS */
        const char *doc;
} cf_field_t;

struct cf_record_desc_s {
        const char *name; /**< Avro record name */
        const cf_field_t *fields;
        size_t n_fields;
};

typedef struct cf_event_desc_s {
        cf_event_type_t type;
        const char *name;        /**< kebab-case `type` value */
        const char *schema_name; /**< Avro record name, PascalCase */
        bool is_input;
        const cf_field_t *fields; /**< envelope first, then body */
        size_t n_fields;
} cf_event_desc_t;

extern const cf_enum_desc_t cf_enum_channel;
extern const cf_enum_desc_t cf_enum_reject_reason;
extern const cf_enum_desc_t cf_enum_block_reason;
extern const cf_enum_desc_t cf_enum_credit_route;

/** Avro namespace of every cspflow schema. */
#define CF_SCHEMA_NAMESPACE "io.cspflow.migration"

/** Descriptor of a type; NULL for CF_EV_NONE or out of range. */
const cf_event_desc_t *cf_event_desc(cf_event_type_t type);
/** Type for a kebab-case name; CF_EV_NONE when unknown. */
cf_event_type_t cf_event_type_from_name(const char *name);
/** Kebab-case name of a type ("none" when unknown). */
const char *cf_event_type_name(cf_event_type_t type);
static inline bool cf_event_type_is_input(cf_event_type_t t) {
        return t >= CF_EV_FIRST_INPUT && t <= CF_EV_LAST_INPUT;
}
static inline bool cf_event_type_is_output(cf_event_type_t t) {
        return t >= CF_EV_FIRST_OUTPUT && t <= CF_EV_LAST_OUTPUT;
}

/** Symbol index for a kebab-case symbol, -1 when not a member. */
int cf_enum_index(const cf_enum_desc_t *e, const char *symbol);

/* ---- lifecycle ---- */

void cf_event_init(cf_event_t *ev);
/** Empties the event for reuse: it then reads as cf_event_init leaves it
 * (strings empty, counts and scalars 0; bytes past a NUL are not cleared);
 * keeps the subs allocation. */
void cf_event_reset(cf_event_t *ev);
/** Frees what the event owns; the struct itself is the caller's. */
void cf_event_clear(cf_event_t *ev);
/** Makes room for n subscriptions (n <= CF_SUBS_MAX).
 *  Returns false when n is over the cap or allocation failed. */
bool cf_event_subs_reserve(cf_event_t *ev, size_t n);
/** Deep copy of src into dst (dst initialised). False on allocation
 *  failure. */
bool cf_event_copy(cf_event_t *dst, const cf_event_t *src);

/** The Kafka key, "<partner_id>/<customer_tenant_id>", into buf.
 *  Returns false when it does not fit. */
bool cf_event_key(const cf_event_t *ev, char *buf, size_t size);
#define CF_KEY_SIZE (2 * CF_ID_MAX + 2)

/** Pointer to a field's storage inside base (event or sub). */
static inline void *cf_field_ptr(const cf_field_t *f, const void *base) {
        return (char *)(uintptr_t)base + f->offset;
}

#endif
