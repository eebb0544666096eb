/* cspflow: a migration's state as one JSON line,
 *   {"type":"migration-state","partner_id":...,"status":...,
 *    "subscriptions":[{...progress...}],...}
 * as `simulate --state` prints it. Members in a fixed order; optional ones
 * omitted when empty.
 *
 * Ownership: returns a malloc'd string the caller frees; NULL on allocation
 * failure. */
#ifndef CF_STATE_JSON_H
#define CF_STATE_JSON_H

#include "handlers/migration.h"

char *cf_state_json_encode(const cf_migration_t *m);

#endif
