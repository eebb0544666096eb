/* cspflow: Avro Parsing Canonical Form and CRC-64-AVRO fingerprints.
 *
 * Implements the Avro 1.11 specification's "Parsing Canonical Form for
 * Schemas" from the schema's JSON text (not from avro-c, whose
 * avro_schema_to_json drops attributes): [PRIMITIVES] [FULLNAMES] [STRIP]
 * [ORDER] [STRINGS] [INTEGERS] [WHITESPACE]. Named types get full names
 * (a dotted name is already full; otherwise the `namespace` attribute, else
 * the enclosing named type's namespace); a named type is written in full at
 * its first occurrence and as its quoted full name after. References are
 * resolved in the enclosing namespace, then in the null namespace, as Apache
 * Avro's Java implementation does.
 *
 * Names and enum symbols must match [A-Za-z_][A-Za-z0-9_]* (namespaces:
 * such parts joined by dots), so the canonical form needs no escapes.
 *
 * The fingerprint is the 64-bit Rabin fingerprint of the spec
 * ("CRC-64-AVRO", EMPTY = 0xc15d213aa4d7a795) of the canonical form's bytes,
 * the one single-object encoding carries (little-endian).
 *
 * Bounded: schema text longer than CF_CANONICAL_TEXT_MAX, nested deeper
 * than CF_CANONICAL_DEPTH_MAX or with more than CF_CANONICAL_NAMES_MAX named
 * types is refused. Nothing here keeps state; all functions are
 * thread-safe. */
#ifndef CF_CANONICAL_H
#define CF_CANONICAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/** Longest schema text accepted, in bytes. */
#define CF_CANONICAL_TEXT_MAX (256 * 1024)
/** Deepest nesting of schemas (record in array in union ...) accepted. */
#define CF_CANONICAL_DEPTH_MAX 32
/** Most named types (record, enum, fixed) one schema may define. */
#define CF_CANONICAL_NAMES_MAX 256

/** The fingerprint of the empty byte string. */
#define CF_CRC64_AVRO_EMPTY UINT64_C(0xc15d213aa4d7a795)

/** Appends the Parsing Canonical Form of the schema JSON text (len bytes,
 *  need not be NUL-terminated) to out, which the caller owns.
 *  CF_ERR_INVALID (errstr says why) for text that is not a valid schema,
 *  CF_ERR_LIMIT over a cap, CF_ERR_NOMEM. On failure out may hold a partial
 *  form past its old len: callers reset it. */
cf_err_t cf_canonical_form(const char *text, size_t len, cf_buf_t *out,
                           char *errstr, size_t errstr_size);

/** CRC-64-AVRO of len bytes (CF_CRC64_AVRO_EMPTY for len 0). */
uint64_t cf_canonical_crc64(const void *data, size_t len);

/** Fingerprint of a schema: the CRC-64-AVRO of its canonical form. Errors
 *  as cf_canonical_form; *out is set only on CF_OK. */
cf_err_t cf_canonical_fingerprint(const char *text, size_t len, uint64_t *out,
                                  char *errstr, size_t errstr_size);

#endif
