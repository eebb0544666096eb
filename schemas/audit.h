/* cspflow: the audit record (schemas/avro/audit-record.avsc), one per input
 * the Kafka worker handled: which input (event id, type, key, source
 * partition and offset), the verdict (applied, duplicate, rejected with its
 * reason), the migration's status before and after, the rule that decided
 * and the ids and types of the outputs it caused.
 *
 * On the wire: Avro single-object encoding (framing.h) with the audit
 * schema's fingerprint, through the caller's cf_avro_t (one per thread).
 * `cspflow tail` prints it as one JSON line (cf_audit_json_encode).
 *
 * Every string field is a fixed, bounded array; "" means null for the
 * nullable ones. The output lists are arrays the record owns and reuses:
 * cf_audit_init() allocates nothing, cf_audit_clear() frees them,
 * cf_audit_reset() empties the record and keeps their capacity. */
#ifndef CF_AUDIT_H
#define CF_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/event.h"
#include "common/reject.h"
#include "handlers/handlers.h"
#include "schemas/avro_codec.h"

/** Embedded file name (without .avsc) of the audit schema. */
#define CF_AVRO_AUDIT_SCHEMA "audit-record"
/** Most outputs one audit record lists. */
#define CF_AUDIT_OUTPUTS_MAX 1024
/** Longest key: "<partner_id>/<customer_tenant_id>". */
#define CF_AUDIT_KEY_MAX (CF_KEY_SIZE - 1)

typedef struct cf_audit_s {
        cf_id_t event_id;               /**< "" = null */
        cf_id_t event_type;             /**< "" = null */
        char key[CF_AUDIT_KEY_MAX + 1]; /**< "" = null */
        int32_t source_partition;
        int64_t source_offset;
        cf_verdict_kind_t verdict;
        cf_id_t reason;        /**< cf_reject_name(); "" = null */
        cf_text_t detail;      /**< "" = null */
        cf_id_t status_before; /**< cf_mig_status_name() */
        cf_id_t status_after;
        int32_t rule;
        bool has_occurred_at;
        int64_t occurred_at;   /**< ms, UTC, when has_occurred_at */
        cf_id_t *output_ids;   /**< owned, n_outputs of them */
        cf_id_t *output_types; /**< owned, n_outputs of them */
        size_t n_outputs;
        size_t outputs_cap;
} cf_audit_t;

void cf_audit_init(cf_audit_t *a);
/** Empties every field (it then reads as cf_audit_init leaves it; bytes
 *  past a string's NUL are not cleared), keeps the output arrays' capacity. */
void cf_audit_reset(cf_audit_t *a);
/** Frees the output arrays; the struct itself is the caller's. */
void cf_audit_clear(cf_audit_t *a);

/** Appends one output (id, kebab type). False when over
 *  CF_AUDIT_OUTPUTS_MAX, a string over CF_ID_MAX, or out of memory. */
bool cf_audit_add_output(cf_audit_t *a, const char *event_id, const char *type);

/** Fingerprint of the audit schema. */
uint64_t cf_avro_audit_fingerprint(const cf_avro_t *av);
/** The audit schema's .avsc text (static storage), *len its length. */
const char *cf_avro_audit_text(const cf_avro_t *av, size_t *len);

/** Appends a as one single-object record to out. CF_ERR_INVALID for a
 *  record that breaks the schema (verdict or statuses out of range, a
 *  string over its cap); CF_ERR_LIMIT, CF_ERR_NOMEM from the buffer. On
 *  failure out's len is back where it was. */
cf_err_t cf_avro_encode_audit(cf_avro_t *av, const cf_audit_t *a, cf_buf_t *out,
                              char *errstr, size_t errstr_size);

/** Same, the Avro binary body only (no header). */
cf_err_t cf_avro_encode_audit_body(cf_avro_t *av, const cf_audit_t *a,
                                   cf_buf_t *out, char *errstr,
                                   size_t errstr_size);

/** Decodes one single-object audit record into a (reset first).
 *  CF_REJ_NONE, or as cf_avro_decode_event (CF_REJ_UNKNOWN_SCHEMA when the
 *  fingerprint is not the audit schema's); detail says which field. */
cf_reject_t cf_avro_decode_audit(cf_avro_t *av, const void *data, size_t len,
                                 cf_audit_t *a, char *detail,
                                 size_t detail_size);

/** Same for a body written with the audit schema (no header). */
cf_reject_t cf_avro_decode_audit_body(cf_avro_t *av, const void *body,
                                      size_t len, cf_audit_t *a, char *detail,
                                      size_t detail_size);

/** a as one compact JSON line (no newline):
 *  {"type":"audit-record","event_id":...,"event_type":...,"key":...,
 *   "source_partition":N,"source_offset":N,"verdict":"applied",
 *   "reason":...,"detail":...,"status_before":...,"status_after":...,
 *   "rule":N,"occurred_at":"2026-...Z","output_event_ids":[...],
 *   "output_types":[...]}
 *  with null for the empty nullable fields and the verdict in lower case.
 *  Returns a malloc'd string the caller frees; NULL on allocation failure
 *  or an occurred_at out of range. */
char *cf_audit_json_encode(const cf_audit_t *a);

#endif
