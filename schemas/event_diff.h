/* cspflow: the fields in which two events differ, by their JSON form
 * (json_codec.h): what `cspflow replay` names for a changed output.
 *
 * Ownership: the values handed to the callback are valid during the call
 * only. */
#ifndef CF_EVENT_DIFF_H
#define CF_EVENT_DIFF_H

#include "common/error.h"
#include "common/event.h"

/** Called per differing top-level field: its name and its compact JSON
 *  value in a and in b ("(absent)" when the field is missing from one). A
 *  non-zero return stops the walk. */
typedef int (*cf_event_diff_fn)(void *opaque, const char *field,
                                const char *a_value, const char *b_value);

/** Compares the JSON encodings of two events field by field, a's fields
 *  first in a's order, then those only b has. *n gets the number of
 *  differing fields (0: equal). CF_ERR_NOMEM, or CF_ERR_INVALID when an
 *  event cannot be encoded. */
cf_err_t cf_event_diff(const cf_event_t *a, const cf_event_t *b,
                       cf_event_diff_fn fn, void *opaque, size_t *n);

/** The same on two JSON objects given as text (an event's encoding). */
cf_err_t cf_event_diff_json(const char *a, const char *b, cf_event_diff_fn fn,
                            void *opaque, size_t *n);

#endif
