#include "reject.h"

static const char *const names[CF_REJ__COUNT] = {
    [CF_REJ_NONE] = "none",
    [CF_REJ_MALFORMED] = "malformed",
    [CF_REJ_UNKNOWN_SCHEMA] = "unknown-schema",
    [CF_REJ_UNKNOWN_TYPE] = "unknown-type",
    [CF_REJ_NOT_AN_INPUT] = "not-an-input",
    [CF_REJ_MISSING_FIELD] = "missing-field",
    [CF_REJ_WRONG_TYPE] = "wrong-type",
    [CF_REJ_INVALID_VALUE] = "invalid-value",
    [CF_REJ_OVER_LIMIT] = "over-limit",
    [CF_REJ_NO_MIGRATION] = "no-migration",
    [CF_REJ_MIGRATION_OPEN] = "migration-open",
    [CF_REJ_NOT_APPLICABLE] = "not-applicable",
    [CF_REJ_UNKNOWN_SUBSCRIPTION] = "unknown-subscription",
    [CF_REJ_MIGRATION_BLOCKED] = "migration-blocked",
    [CF_REJ_INCOMPATIBLE_SCHEMA] = "incompatible-schema",
};

const char *cf_reject_name(cf_reject_t r) {
        if ((int)r < 0 || r >= CF_REJ__COUNT)
                return "unknown";
        return names[r];
}
