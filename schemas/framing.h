/* cspflow: the two framings of an Avro record on Kafka.
 *
 * Avro single-object encoding (Avro 1.11 specification), the default:
 *
 *   C3 01 | fingerprint, 8 bytes little-endian | body
 *
 * The fingerprint is the CRC-64-AVRO of the writer schema's Parsing
 * Canonical Form (canonical.h); the body is the Avro binary encoding of one
 * datum of that schema.
 *
 * Confluent wire format (with registry.url, docs/registry.md):
 *
 *   00 | schema id, 4 bytes big-endian | body
 *
 * the id being the schema registry's. The first byte tells them apart
 * (cf_framing_sniff). Records larger than CF_RECORD_MAX (limits.h) are
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

#define CF_FRAMING_CONFLUENT_MAGIC 0x00
/** Magic plus schema id. */
#define CF_FRAMING_CONFLUENT_HEADER_SIZE 5

typedef enum cf_framing_e {
        CF_FRAMING_UNKNOWN = 0, /**< neither (or empty) */
        CF_FRAMING_SINGLE_OBJECT,
        CF_FRAMING_CONFLUENT,
} cf_framing_t;

/** Which framing len bytes of data start with, from the first byte(s)
 *  alone: C3 01 single-object, 00 Confluent. */
static inline cf_framing_t cf_framing_sniff(const void *data, size_t len) {
        const uint8_t *p = data;

        if (!p || len == 0)
                return CF_FRAMING_UNKNOWN;
        if (p[0] == CF_FRAMING_CONFLUENT_MAGIC)
                return CF_FRAMING_CONFLUENT;
        if (p[0] == CF_FRAMING_MAGIC0 && len >= 2 && p[1] == CF_FRAMING_MAGIC1)
                return CF_FRAMING_SINGLE_OBJECT;
        return CF_FRAMING_UNKNOWN;
}

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

/** Appends the 5-byte Confluent header for a registry schema id to out.
 *  CF_ERR_LIMIT / CF_ERR_NOMEM from the buffer. */
cf_err_t cf_framing_confluent_write_header(cf_buf_t *out, int32_t id);

/** Parses a whole Confluent-framed record of len bytes, as
 *  cf_framing_parse: *id is the schema id (a negative id is
 *  CF_REJ_MALFORMED), *body points into data. */
cf_reject_t cf_framing_confluent_parse(const void *data, size_t len,
                                       int32_t *id, const uint8_t **body,
                                       size_t *body_len, char *detail,
                                       size_t detail_size);

#endif
