/* cspflow: the upcast hooks, one table entry per event type (resolve.h).
 * Empty but for one: ProvisionFailed's `reason` was, in a writer schema
 * before it, an `error` record {code, message}; a default cannot say
 * "code: message", so the hook does. tests/unit/test_resolve.c decodes
 * such a record. */
#include <stdio.h>
#include <string.h>

#include "common/strutil.h"
#include "resolve.h"

/* provision-failed: error {code, message} -> reason "code: message". */
static cf_reject_t provision_failed(const cf_event_t *decoded,
                                    const cf_writer_info_t *w, cf_event_t *out,
                                    char *detail, size_t detail_size) {
        char code[CF_ID_MAX + 1], msg[CF_TEXT_MAX + 1];

        (void)decoded;
        if (cf_writer_has_field(w, "reason") ||
            !cf_writer_has_field(w, "error"))
                return CF_REJ_NONE; /* nothing to do */
        if (!cf_writer_string(w, "error.code", code, sizeof(code)) ||
            !cf_writer_string(w, "error.message", msg, sizeof(msg))) {
                cf_errstr_set(detail, detail_size,
                              "field error: upcast to reason: error.code or "
                              "error.message missing or over its cap");
                return CF_REJ_INCOMPATIBLE_SCHEMA;
        }
        if (snprintf(out->text_reason, sizeof(out->text_reason), "%s: %s", code,
                     msg) >= (int)sizeof(out->text_reason)) {
                cf_errstr_set(detail, detail_size,
                              "field reason: upcast from error: over %d bytes",
                              CF_TEXT_MAX);
                return CF_REJ_OVER_LIMIT;
        }
        return CF_REJ_NONE;
}

static const char *const provision_failed_fills[] = {"reason", NULL};

static const cf_upcast_t upcasts[CF_EV__COUNT] = {
    [CF_EV_PROVISION_FAILED] = {provision_failed, provision_failed_fills},
};

const cf_upcast_t *cf_upcast_for(cf_event_type_t type) {
        if ((int)type <= CF_EV_NONE || type >= CF_EV__COUNT ||
            !upcasts[type].fn)
                return NULL;
        return &upcasts[type];
}
