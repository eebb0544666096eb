/* cspflow: the framing of cspflow's Avro records on Kafka, with or without
 * a schema registry (docs/registry.md). The one place the worker, `produce`
 * and `tail` encode and decode events and audit records through.
 *
 * Writing: with registry.url set, event and audit values are written in
 * the Confluent wire format (00, 4-byte big-endian schema id, Avro body),
 * their schemas registered (or, registry.auto.register=false, looked up)
 * under the record-name-per-topic subject `<topic>-<record full name>`
 * (e.g. csp.migration.actions-io.cspflow.migration.ProvisionRequested) by
 * cf_serde_register() before the first record. Without it, Avro
 * single-object encoding (C3 01, fingerprint). State records always stay
 * single-object (the worker's own checkpoint: restoring it never waits
 * for the registry).
 *
 * Reading, whatever the configuration, by the first byte:
 *   C3 01  single-object: our schema's fingerprint: today's decoder; else a
 *          writer schema of schemas.writers.dir, resolved (schemas/resolve.h)
 *   00     Confluent: the id's schema from the registry (cached), resolved
 *          when it is not the reader's own
 * An id the registry does not know is CF_REJ_UNKNOWN_SCHEMA naming the id
 * (a DLQ record); a registry that cannot be reached is not a reject: the
 * decoder returns CF_ERR_IO and decides nothing (the worker aborts and
 * retries the batch).
 *
 * Ownership: cf_serde_new() borrows the config and the cf_avro_t (both
 * must outlive it) and owns its registry client and resolver, freed by
 * cf_serde_destroy(). Encoders append to the caller's buffer (on failure
 * its len is back where it was). Threads: one per thread, as cf_avro_t. */
#ifndef CF_SERDE_H
#define CF_SERDE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/error.h"
#include "common/event.h"
#include "common/reject.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"

typedef struct cf_serde_s cf_serde_t;

/** Subjects cf_serde_register() registers under a topic. */
#define CF_SERDE_INPUTS  1u /**< every input event type */
#define CF_SERDE_OUTPUTS 2u /**< every output event type */
#define CF_SERDE_AUDIT   4u /**< the audit record */

/** Sets up the resolver (and the schemas.writers.dir writers) and, with
 *  registry.url, the registry client; nothing is asked of the registry
 *  yet. CF_ERR_USAGE (a bad registry option or writers directory: errstr
 *  says which), CF_ERR_IO, CF_ERR_NOMEM. */
cf_err_t cf_serde_new(const cf_config_t *cfg, cf_avro_t *av, cf_serde_t **out,
                      char *errstr, size_t errstr_size);
void cf_serde_destroy(cf_serde_t *s);

/** True when registry.url is set (records are written Confluent-framed). */
bool cf_serde_confluent(const cf_serde_t *s);

/** Registers (or looks up) the schemas of `what` under `<topic>-<name>`;
 *  the encoders use their ids from then on. No-op without a registry.
 *  While the registry cannot be reached, says so on stderr and tries again
 *  until it answers, registry.startup.timeout.ms passes (when not 0) or
 *  *stop is set: then CF_ERR_IO. A registry that refuses a schema (e.g.
 *  409 incompatible, 401) is CF_ERR_INVALID at once. */
cf_err_t cf_serde_register(cf_serde_t *s, const char *topic, unsigned what,
                           volatile sig_atomic_t *stop, char *errstr,
                           size_t errstr_size);

/** The same for one event type, when it has no id yet (`cspflow produce`
 *  registers the types it meets, each once). */
cf_err_t cf_serde_register_event(cf_serde_t *s, const char *topic,
                                 cf_event_type_t type,
                                 volatile sig_atomic_t *stop, char *errstr,
                                 size_t errstr_size);

/** The registry id an encoder writes for a type (-1: single-object). */
int32_t cf_serde_event_id(const cf_serde_t *s, cf_event_type_t type);

/** Appends ev framed as configured. Errors as cf_avro_encode_event;
 *  CF_ERR_INVALID too for a type cf_serde_register() did not register
 *  while a registry is configured (never written unframed). */
cf_err_t cf_serde_encode_event(cf_serde_t *s, const cf_event_t *ev,
                               cf_buf_t *out, char *errstr, size_t errstr_size);
/** The same for an audit record. */
cf_err_t cf_serde_encode_audit(cf_serde_t *s, const cf_audit_t *a,
                               cf_buf_t *out, char *errstr, size_t errstr_size);

/** Decodes an event of either framing into ev. CF_OK with *rej the
 *  verdict (CF_REJ_NONE, or why, with detail, as cf_avro_decode_event,
 *  plus CF_REJ_INCOMPATIBLE_SCHEMA); CF_ERR_IO when the registry could not
 *  be asked (retriable: nothing was decided, detail says why); CF_ERR_NOMEM. */
cf_err_t cf_serde_decode_event(cf_serde_t *s, const void *data, size_t len,
                               cf_event_t *ev, cf_reject_t *rej, char *detail,
                               size_t detail_size);

/** Decodes an audit record of either framing (of the audit schema as
 *  built in; another version of it is CF_REJ_UNKNOWN_SCHEMA). Return as
 *  cf_serde_decode_event. */
cf_err_t cf_serde_decode_audit(cf_serde_t *s, const void *data, size_t len,
                               cf_audit_t *a, cf_reject_t *rej, char *detail,
                               size_t detail_size);

#endif
