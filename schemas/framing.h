/* cspflow: Avro single-object encoding (Avro 1.11 specification).
 *
 *   C3 01 | fingerprint, 8 bytes little-endian | body
 *
 * The fingerprint is the CRC-64-AVRO of the writer schema's Parsing
 * Canonical Form (canonical.h); the body is the Avro binary encoding of one
 * datum of that schema. Records larger than CF_RECORD_MAX (limits.h) are
 * refused before anything else is looked at. No allocation here but what
 * the caller's cf_buf_t does. */
#ifndef CF_FRAMING_H
#define CF_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/reject.h"

#define CF_FRAMING_MAGIC0 0xC3
#define CF_FRAMING_MAGIC1 0x01
/** Magic plus fingerprint. */
#define CF_FRAMING_HEADER_SIZE 10

/** Appends the 10-byte header for a schema's fingerprint to out.
 *  CF_ERR_LIMIT / CF_ERR_NOMEM from the buffer. */
cf_err_t cf_framing_write_header(cf_buf_t *out, uint64_t fingerprint);

/** Parses a whole single-object record of len bytes. On CF_REJ_NONE sets
 *  *fingerprint and points *body (into data, not copied) at the len - 10
 *  body bytes. Otherwise *fingerprint and *body are untouched and detail
 *  says why: CF_REJ_OVER_LIMIT for len > CF_RECORD_MAX, CF_REJ_MALFORMED for
 *  fewer than 10 bytes or a wrong magic. An empty body is accepted here
 *  (a schema may encode to nothing); the codec judges the body. */
cf_reject_t cf_framing_parse(const void *data, size_t len,
                             uint64_t *fingerprint, const uint8_t **body,
                             size_t *body_len, char *detail,
                             size_t detail_size);

#endif
