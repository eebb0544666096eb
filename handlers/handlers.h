/* cspflow: the migration rules of ../shared/spec/domain.md as a pure state
 * machine. State + event in; new state + output events out. No Kafka, no
 * HTTP, no Avro, no clock, no randomness: time comes only from the input's
 * occurred_at, ids from common/ids.h. `simulate`, replay, the unit tests and
 * the Kafka worker all call cf_handle().
 *
 * Ownership: the caller owns the migration, the catalog and the outbox.
 * cf_handle() appends to the outbox (events it initialises; the outbox
 * frees them) and changes the migration in place. */
#ifndef CF_HANDLERS_H
#define CF_HANDLERS_H

#include <stddef.h>

#include "../common/catalog.h"
#include "../common/error.h"
#include "../common/event.h"
#include "../common/reject.h"
#include "migration.h"

/** Most offer-discontinued events one migration remembers (rule 3); one
 *  more distinct offer is rejected CF_REJ_OVER_LIMIT. */
#define CF_DISCONTINUED_MAX 64
/** Provisioning attempts per source before migration-blocked (rule 5). */
#define CF_PROVISION_ATTEMPTS_MAX 3
/** Days a retired source's data stays readable (rule 9). */
#define CF_GRACE_DAYS 30

/** A growable list of output events, reused from one input to the next. */
typedef struct cf_outbox_s {
        cf_event_t *v;
        size_t n;   /**< events in use */
        size_t cap; /**< events initialised */
} cf_outbox_t;

void cf_outbox_init(cf_outbox_t *ob);
/** Forgets the events in use (keeps memory for reuse). */
void cf_outbox_reset(cf_outbox_t *ob);
/** Frees everything. */
void cf_outbox_clear(cf_outbox_t *ob);
/** Appends a reset event and returns it; NULL on allocation failure. */
cf_event_t *cf_outbox_push(cf_outbox_t *ob);

typedef enum cf_verdict_kind_e {
        CF_VERDICT_APPLIED = 0, /**< state changed, outputs (maybe none) */
        CF_VERDICT_DUPLICATE,   /**< rule 12: event_id seen, nothing done */
        CF_VERDICT_REJECTED,    /**< rule 13: to the DLQ, nothing done */
} cf_verdict_kind_t;

#define CF_DETAIL_SIZE 256

typedef struct cf_verdict_s {
        cf_verdict_kind_t kind;
        cf_reject_t reason;          /**< CF_REJECTED only */
        char detail[CF_DETAIL_SIZE]; /**< CF_REJECTED only */
        cf_mig_status_t status_before;
        cf_mig_status_t status_after;
        int rule; /**< the spec rule number that decided, 0 when none */
} cf_verdict_t;

/** Handles one decoded input event.
 *
 * m is the migration of the input's key (status CF_MIG_NONE when the key
 * was never seen); catalog may be NULL. On APPLIED, m holds the new state
 * and out the outputs appended in order. On DUPLICATE or REJECTED, m and out
 * are left exactly as they were.
 *
 * Returns CF_OK, or CF_ERR_NOMEM (fatal: m may be half-changed) or
 * CF_ERR_INVALID when `in` is not an input event or its key is not m's
 * (a caller bug, not bad input). */
cf_err_t cf_handle(const cf_catalog_t *catalog, cf_migration_t *m,
                   const cf_event_t *in, cf_outbox_t *out, cf_verdict_t *v);

/** One allowed move of the migration state machine: the table cf_handle()
 *  enforces, and what `cspflow graph` draws. */
typedef struct cf_transition_s {
        cf_event_type_t event;
        cf_mig_status_t from;
        cf_mig_status_t to;
        int rule;
} cf_transition_t;

/** The migration transition table; *n gets its length. */
const cf_transition_t *cf_handlers_transitions(size_t *n);

/** Which status of a source subscription a row moves. */
typedef enum cf_sub_part_e {
        CF_SUB_TARGET = 0, /**< the replacement: cf_target_status_t */
        CF_SUB_SOURCE,     /**< the source itself: cf_source_status_t */
} cf_sub_part_t;

/** `from` of the rows that create a source's state (rule 1). */
#define CF_SUB_NEW (-1)

/** One allowed move of one source subscription's target or source status:
 *  the table the rules go through for every such move (a move not listed
 *  is a bug, refused), and what `cspflow graph` draws. from and to hold a
 *  cf_target_status_t or cf_source_status_t as part says; from is
 *  CF_SUB_NEW when the move creates the state. */
typedef struct cf_sub_transition_s {
        cf_sub_part_t part;
        cf_event_type_t event;
        int from;
        int to;
        int rule;
} cf_sub_transition_t;

/** The per-subscription transition table; *n gets its length. */
const cf_sub_transition_t *cf_handlers_sub_transitions(size_t *n);

#endif
