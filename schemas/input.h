/* cspflow: the checks an event decoded from the events topic passes before
 * the rules see it, as the worker makes them: it is of an input type, and
 * the record's key is the event's key "<partner_id>/<customer_tenant_id>"
 * (else the key's state would be split across partitions). The worker
 * (consumer/batch.c) and replay (consumer/replay.c) both decode with
 * registry/serde.h and then call this.
 *
 * Ownership: nothing is kept. */
#ifndef CF_INPUT_H
#define CF_INPUT_H

#include <stddef.h>

#include "common/event.h"
#include "common/reject.h"

/** CF_REJ_NONE, or the reason (CF_REJ_NOT_AN_INPUT, CF_REJ_OVER_LIMIT,
 *  CF_REJ_INVALID_VALUE) with detail set. key may be NULL (a record
 *  without a key). */
cf_reject_t cf_input_check(const cf_event_t *ev, const void *key,
                           size_t key_len, char *detail, size_t detail_size);

#endif
