/* cspflow: the state of one migration (one Kafka key).
 *
 * Plain data, pure functions: no I/O. The handlers (handlers.h) read and
 * change it; schemas/ turns it into the state record (Avro) and into the
 * `migration-state` line of `simulate --state` (JSON).
 *
 * Ownership: cf_migration_new() returns a migration the caller frees with
 * cf_migration_destroy(). Every char * inside is owned by the migration,
 * never NULL once set ("" means none), and replaced with cf_str_replace().
 * cf_migration_clone() makes an independent deep copy (the worker keeps one
 * per changed key per transaction, to throw away on abort). */
#ifndef CF_MIGRATION_H
#define CF_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/ids.h"

typedef enum cf_mig_status_e {
        CF_MIG_NONE = 0,     /**< never requested for this key */
        CF_MIG_INVITED,      /**< relationship requested, waiting */
        CF_MIG_PROVISIONING, /**< invitation accepted, moving */
        CF_MIG_COMPLETED,    /**< every source retired and replaced */
        CF_MIG_REJECTED,     /**< the request was refused (rule 1) */
        CF_MIG_BLOCKED,      /**< relationship lost (rule 11): terminal */
        CF_MIG__COUNT
} cf_mig_status_t;

/** Where the replacement of one source stands. */
typedef enum cf_target_status_e {
        CF_TGT_PENDING = 0,   /**< invitation not accepted yet */
        CF_TGT_REQUESTED,     /**< provision-requested emitted */
        CF_TGT_PROVISIONED,   /**< subscription-provisioned seen */
        CF_TGT_NO_EQUIVALENT, /**< blocked: discontinued, no successor */
        CF_TGT_FAILED,        /**< blocked: 3 provisioning failures */
        CF_TGT__COUNT
} cf_target_status_t;

/** Where the source subscription itself stands. */
typedef enum cf_source_status_e {
        CF_SRC_ACTIVE = 0,
        CF_SRC_NEAR_EXPIRY, /**< subscription-near-expiry seen */
        CF_SRC_CANCELLED,   /**< retired by subscription-cancelled */
        CF_SRC_EXPIRED,     /**< retired by subscription-expired */
        CF_SRC__COUNT
} cf_source_status_t;

typedef struct cf_sub_state_s {
        char *source_subscription_id;
        char *offer_id; /**< the source's offer */
        int32_t quantity;
        int32_t channel; /**< cf_channel_t */
        int64_t expires_at;
        cf_source_status_t source;
        cf_target_status_t target;
        char *target_offer_id; /**< offer requested, "" when none */
        char *request_id;      /**< last provision request id, "" none */
        uint32_t requests;     /**< provision-requested emitted so far */
        uint32_t failures;     /**< provision-failed seen so far */
        char *subscription_id; /**< the replacement, "" until provisioned */
        char *provisioned_offer_id; /**< "" until provisioned */
        int32_t provisioned_quantity;
        bool licenses_reassigned;
} cf_sub_state_t;

typedef struct cf_discontinued_s {
        char *offer_id;
        char *successor_offer_id; /**< "" when the event named none */
} cf_discontinued_t;

typedef struct cf_migration_s {
        char *partner_id;
        char *customer_tenant_id;
        cf_mig_status_t status;
        char *opened_by;    /**< event_id of the migration-requested, "" none */
        int64_t opened_at;  /**< its occurred_at */
        int64_t updated_at; /**< occurred_at of the last applied input */
        bool multi_channel;
        bool delegated_admin;
        cf_sub_state_t *subs; /**< owned, n_subs elements */
        size_t n_subs;
        cf_discontinued_t *discontinued; /**< owned, remembered (rule 3) */
        size_t n_discontinued;
        cf_id_hash_t *handled; /**< hashes of applied event ids (rule 12) */
        size_t n_handled;
        size_t handled_cap;
        uint64_t applied;          /**< inputs applied to this key, ever */
        int64_t last_input_offset; /**< worker's: -1 until set; handlers
                                        never touch it */
} cf_migration_t;

/** New migration for a key, status CF_MIG_NONE. NULL on allocation
 *  failure. */
cf_migration_t *cf_migration_new(const char *partner_id,
                                 const char *customer_tenant_id);
void cf_migration_destroy(cf_migration_t *m);
/** Deep copy; NULL on allocation failure. */
cf_migration_t *cf_migration_clone(const cf_migration_t *m);
/** Deep equality of two migrations (tests, replay). */
bool cf_migration_equal(const cf_migration_t *a, const cf_migration_t *b);

/** Frees an array of n subscription states and what they own (a state
 *  array from calloc may hold NULL strings). */
void cf_migration_subs_free(cf_sub_state_t *subs, size_t n);
/** Frees what one subscription state owns (not the state itself). */
void cf_migration_sub_clear(cf_sub_state_t *s);

/** The source with that id, or NULL. */
cf_sub_state_t *cf_migration_find_sub(const cf_migration_t *m,
                                      const char *source_subscription_id);

/** Names, kebab-case: "invited", "provisioning", ... */
const char *cf_mig_status_name(cf_mig_status_t s);
const char *cf_target_status_name(cf_target_status_t s);
const char *cf_source_status_name(cf_source_status_t s);
/** Reverse lookups; -1 when unknown. */
int cf_mig_status_from_name(const char *name);
int cf_target_status_from_name(const char *name);
int cf_source_status_from_name(const char *name);

#endif
