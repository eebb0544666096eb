/* cspflow: the migrations held in memory, one per key, and the one step
 * every driver (simulate, replay, the Kafka worker) takes per input.
 *
 * Pure data structure, no I/O. Keys are the (partner_id, customer_tenant_id)
 * pair, compared exactly. Iteration is in insertion order, so everything
 * printed from a store is deterministic.
 *
 * Ownership: the store owns its migrations; pointers it returns stay valid
 * until that migration is removed or the store destroyed. */
#ifndef CF_STORE_H
#define CF_STORE_H

#include <stddef.h>

#include "handlers.h"

typedef struct cf_store_s cf_store_t;

cf_store_t *cf_store_new(void);
void cf_store_destroy(cf_store_t *st);

/** The migration for a key, or NULL. */
cf_migration_t *cf_store_get(const cf_store_t *st, const char *partner_id,
                             const char *customer_tenant_id);

/** Inserts m (taking ownership; it must not be in the store), replacing and
 *  freeing a migration already held for its key. False on allocation
 *  failure (m is then still the caller's). */
bool cf_store_put(cf_store_t *st, cf_migration_t *m);

/** Removes and frees the migration of a key, if any. */
void cf_store_remove(cf_store_t *st, const char *partner_id,
                     const char *customer_tenant_id);

size_t cf_store_count(const cf_store_t *st);

/** Caps the migrations cf_store_apply() lets the store hold (0, the
 *  default: no cap). At the cap, an input for a key the store does not
 *  hold is rejected CF_REJ_OVER_LIMIT naming limits.keys.per.partition;
 *  the keys held go on as before. cf_store_put() (restoring state, undoing
 *  a batch) is not capped: a store restored over a lowered cap keeps what
 *  it had. */
void cf_store_set_max(cf_store_t *st, size_t max_keys);

/** Insertion-order iteration: start with prev = NULL. */
cf_migration_t *cf_store_next(const cf_store_t *st, const cf_migration_t *prev);

/** One input: finds (or creates) the key's migration and runs cf_handle().
 *  A migration created here and not applied is dropped again, so rejected
 *  events leave no trace. A new key past the cap (cf_store_set_max) is
 *  rejected without calling cf_handle(). Returns cf_handle()'s error. */
cf_err_t cf_store_apply(cf_store_t *st, const cf_catalog_t *catalog,
                        const cf_event_t *in, cf_outbox_t *out,
                        cf_verdict_t *v);

#endif
