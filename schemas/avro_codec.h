/* cspflow: events and migration state as Avro (avro-c 1.11.1).
 *
 * The schemas are the .avsc files of schemas/avro, embedded verbatim
 * (embedded.h). cf_avro_new() parses each once with avro-c, builds its
 * generic value class and one reusable value, computes its CRC-64-AVRO
 * fingerprint from the text (canonical.h), and checks every event type of
 * common/event.c has a schema whose fields are its table's: same names, same
 * order (so a table field's record index is its table position: no name
 * lookup per event), the Avro type its kind maps to, the same enum symbols.
 *
 * Records on the wire use Avro single-object encoding (framing.h):
 * C3 01, the writer schema's fingerprint (8 bytes LE), the binary body. The
 * *_body functions read and write the body alone (for other framings, e.g.
 * a schema registry's). Decoding never trusts a length: the body is walked
 * against the schema with every string, array and varint bounded
 * (limits.h caps) before avro-c reads it.
 *
 * Mapping: ids and text are Avro strings; an optional id is
 * ["null","string"] ("" <-> null); times are long timestamp-millis; enums
 * are Avro enums with UPPER_SNAKE symbols (index = the C enum value); the
 * event `type` is a string equal to the kebab-case type name.
 *
 * Threads: a cf_avro_t reuses its values and reader; use one per thread.
 *
 * Ownership: cf_avro_new() hands the caller a cf_avro_t freed with
 * cf_avro_destroy(). Encoders append to the caller's cf_buf_t (on failure
 * the buffer's len is back where it was). Event decoders fill the caller's
 * initialised cf_event_t (reset first; it owns its subs). The state decoder
 * returns a new migration the caller frees with cf_migration_destroy(). */
#ifndef CF_AVRO_CODEC_H
#define CF_AVRO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/event.h"
#include "common/reject.h"
#include "handlers/migration.h"

typedef struct cf_avro_s cf_avro_t;

/** Embedded file name (without .avsc) of the state schema. */
#define CF_AVRO_STATE_SCHEMA "migration-state"

/** Loads and checks every embedded schema. On failure *out is NULL and
 *  errstr names the schema and what is wrong (CF_ERR_INVALID), or
 *  CF_ERR_NOMEM. */
cf_err_t cf_avro_new(cf_avro_t **out, char *errstr, size_t errstr_size);
/** Frees everything; NULL is fine. */
void cf_avro_destroy(cf_avro_t *av);

/** Fingerprint (CRC-64-AVRO of the Parsing Canonical Form) of a type's
 *  schema; 0 for CF_EV_NONE or out of range. */
uint64_t cf_avro_fingerprint(const cf_avro_t *av, cf_event_type_t type);
/** Fingerprint of the state schema. */
uint64_t cf_avro_state_fingerprint(const cf_avro_t *av);
/** The .avsc text of a type's schema (static storage), *len its length;
 *  NULL for CF_EV_NONE or out of range. */
const char *cf_avro_schema_text(const cf_avro_t *av, cf_event_type_t type,
                                size_t *len);
/** Event type whose schema has this fingerprint; CF_EV_NONE when none. */
cf_event_type_t cf_avro_type_for_fingerprint(const cf_avro_t *av,
                                             uint64_t fingerprint);

/** Appends ev as one single-object record to out. CF_ERR_INVALID for an
 *  event that breaks the model (unknown type, empty required id, enum or
 *  time out of range, too many roles/subs); CF_ERR_LIMIT when out's cap is
 *  reached; CF_ERR_NOMEM. */
cf_err_t cf_avro_encode_event(cf_avro_t *av, const cf_event_t *ev,
                              cf_buf_t *out, char *errstr, size_t errstr_size);
/** Same, the Avro binary body only (no header). */
cf_err_t cf_avro_encode_event_body(cf_avro_t *av, const cf_event_t *ev,
                                   cf_buf_t *out, char *errstr,
                                   size_t errstr_size);

/** Decodes one single-object record of len bytes into ev.
 *  CF_REJ_NONE, or: CF_REJ_OVER_LIMIT (record over CF_RECORD_MAX, a string
 *  over CF_ID_MAX/CF_TEXT_MAX, more than CF_ROLES_MAX roles or CF_SUBS_MAX
 *  subscriptions), CF_REJ_MALFORMED (short record, wrong magic, truncated
 *  or trailing bytes, bad varint, union branch or enum index out of range),
 *  CF_REJ_UNKNOWN_SCHEMA (fingerprint not one of ours), CF_REJ_INVALID_VALUE
 *  (empty required id, NUL in a string, time out of range, `type` not the
 *  schema's); detail says which field. */
cf_reject_t cf_avro_decode_event(cf_avro_t *av, const void *data, size_t len,
                                 cf_event_t *ev, char *detail,
                                 size_t detail_size);
/** Same for a body written with type's schema (no header). */
cf_reject_t cf_avro_decode_event_body(cf_avro_t *av, cf_event_type_t type,
                                      const void *data, size_t len,
                                      cf_event_t *ev, char *detail,
                                      size_t detail_size);

/** Appends m as one single-object record of the state schema to out.
 *  Errors as cf_avro_encode_event. */
cf_err_t cf_avro_encode_state(cf_avro_t *av, const cf_migration_t *m,
                              cf_buf_t *out, char *errstr, size_t errstr_size);
/** Decodes a state record; on CF_REJ_NONE *out is a new migration the
 *  caller frees with cf_migration_destroy(), else *out is NULL. Caps:
 *  strings CF_ID_MAX, CF_SUBS_MAX subs, CF_DISCONTINUED_MAX discontinued
 *  offers, CF_EVENTS_PER_KEY_MAX handled ids. Out of memory is reported as
 *  CF_REJ_OVER_LIMIT with detail "out of memory". */
cf_reject_t cf_avro_decode_state(cf_avro_t *av, const void *data, size_t len,
                                 cf_migration_t **out, char *detail,
                                 size_t detail_size);
/** The same into m, a migration held already (an older state of the
 *  key, or a new one): its fields are replaced, its strings and arrays
 *  reused where large enough. On failure m is still whole (it can be
 *  destroyed) but its content is unspecified. */
cf_reject_t cf_avro_decode_state_into(cf_avro_t *av, const void *data,
                                      size_t len, cf_migration_t *m,
                                      char *detail, size_t detail_size);
/** The key of a state record without decoding the rest: its first two
 *  fields into partner_id and customer_tenant_id (CF_ID_MAX + 1 bytes
 *  each). False when the record does not start as a state record should
 *  (cf_avro_decode_state then says why). */
bool cf_avro_state_key(cf_avro_t *av, const void *data, size_t len,
                       char *partner_id, char *customer_tenant_id);

#endif
