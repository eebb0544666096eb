/* cspflow: events as JSON, the spec's field names and time format.
 *
 * Decoding is strict about what the spec requires (every field present with
 * its JSON type, ids non-empty and within limits.h, times in the spec's
 * ISO-8601 form, enums among their symbols) and tolerant of what it does not
 * mention (unknown extra members are ignored, so newer producers can add
 * fields). Encoding writes members in the tables' order (common/event.c):
 * type, event_id, occurred_at, partner_id, customer_tenant_id,
 * [correlation_id], [causation_id], then the body, so output is
 * byte-for-byte deterministic.
 *
 * Ownership: decode fills a caller's initialised cf_event_t (which owns its
 * subs); encode returns a malloc'd NUL-terminated string the caller frees. */
#ifndef CF_JSON_CODEC_H
#define CF_JSON_CODEC_H

#include <stddef.h>

#include "common/event.h"
#include "common/reject.h"

/** Decodes one JSON text (len bytes, need not be NUL-terminated) into ev
 *  (reset first). Returns CF_REJ_NONE, or the reason with a detail naming
 *  the field. Any event type is accepted; the caller checks input/output.
 *  When the text carries a string event_id, it is copied into ev->event_id
 *  even on failure, so a rejection can name its cause. */
cf_reject_t cf_json_decode_event(const char *text, size_t len, cf_event_t *ev,
                                 char *detail, size_t detail_size);

/** Encodes ev as one compact JSON object (no newline). NULL on allocation
 *  failure or an event that breaks the model (unknown type, time out of
 *  range). */
char *cf_json_encode_event(const cf_event_t *ev);

#endif
