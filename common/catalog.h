/* cspflow: the offer catalog, the offers the worker knows to be
 * discontinued and their equivalents. Pure lookup; loading from JSON lives
 * in schemas/catalog_json.c.
 *
 * Ownership: cf_catalog_new() returns a catalog the caller frees with
 * cf_catalog_destroy(); it copies every string it is given. */
#ifndef CF_CATALOG_H
#define CF_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cf_catalog_s cf_catalog_t;

cf_catalog_t *cf_catalog_new(void);
void cf_catalog_destroy(cf_catalog_t *cat);

/** Adds or replaces an entry. equivalent may be NULL or "" (none).
 *  Returns false on allocation failure or when over CF_CATALOG_MAX. */
bool cf_catalog_put(cf_catalog_t *cat, const char *offer_id, bool discontinued,
                    const char *equivalent);

/** True when the catalog lists offer_id as discontinued. When it does,
 *  *equivalent is its equivalent or NULL (none). cat may be NULL. */
bool cf_catalog_discontinued(const cf_catalog_t *cat, const char *offer_id,
                             const char **equivalent);

size_t cf_catalog_size(const cf_catalog_t *cat);

#endif
