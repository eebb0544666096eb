/* cspflow: the checks of a decoded input (input.h). */
#include "input.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

cf_reject_t cf_input_check(const cf_event_t *ev, const void *key,
                           size_t key_len, char *detail, size_t detail_size) {
        char want[CF_KEY_SIZE];
        size_t n;

        if (!cf_event_type_is_input(ev->type)) {
                snprintf(detail, detail_size,
                         "type: \"%s\" is an output event, not an input",
                         cf_event_type_name(ev->type));
                return CF_REJ_NOT_AN_INPUT;
        }
        if (!cf_event_key(ev, want, sizeof(want))) {
                snprintf(detail, detail_size, "key over its cap");
                return CF_REJ_OVER_LIMIT;
        }
        n = strlen(want);
        if (!key || key_len != n || memcmp(key, want, n) != 0) {
                cf_errstr_set(detail, detail_size,
                              "record key (%s%zu bytes) is not the event's "
                              "key \"%s\"",
                              key ? "" : "null, ", key ? key_len : 0, want);
                return CF_REJ_INVALID_VALUE;
        }
        return CF_REJ_NONE;
}
