/* cspflow: loads the offer catalog from its JSON file,
 *   {"offers":[{"offer_id":"O365-E3-LEGACY","discontinued":true,
 *               "equivalent_offer_id":"M365-E3"}]}
 * `discontinued` defaults to true when absent (the file lists discontinued
 * offers); `equivalent_offer_id` is optional. Unknown members are ignored.
 *
 * Ownership: on success *out is a new catalog the caller frees with
 * cf_catalog_destroy(); on failure *out is untouched and errstr says why. */
#ifndef CF_CATALOG_JSON_H
#define CF_CATALOG_JSON_H

#include <stddef.h>

#include "common/catalog.h"
#include "common/error.h"

/** Largest catalog file read, in bytes. */
#define CF_CATALOG_FILE_MAX (64 * 1024 * 1024)

cf_err_t cf_catalog_load_json(const char *path, cf_catalog_t **out,
                              char *errstr, size_t errstr_size);
/** Adds the file's entries to an existing catalog (later files win);
 *  on failure cat may hold some of them. */
cf_err_t cf_catalog_load_json_into(cf_catalog_t *cat, const char *path,
                                   char *errstr, size_t errstr_size);
/** Same as cf_catalog_load_json, from a text in memory. */
cf_err_t cf_catalog_parse_json(const char *text, size_t len, cf_catalog_t **out,
                               char *errstr, size_t errstr_size);

#endif
