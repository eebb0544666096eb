#include "framing.h"

#include "common/limits.h"

cf_err_t cf_framing_write_header(cf_buf_t *out, uint64_t fingerprint) {
        uint8_t h[CF_FRAMING_HEADER_SIZE];

        h[0] = CF_FRAMING_MAGIC0;
        h[1] = CF_FRAMING_MAGIC1;
        for (int i = 0; i < 8; i++)
                h[2 + i] = (uint8_t)(fingerprint >> (8 * i));
        return cf_buf_append(out, h, sizeof(h));
}

cf_reject_t cf_framing_parse(const void *data, size_t len,
                             uint64_t *fingerprint, const uint8_t **body,
                             size_t *body_len, char *detail,
                             size_t detail_size) {
        const uint8_t *p = data;
        uint64_t fp = 0;

        if (len > CF_RECORD_MAX) {
                cf_errstr_set(detail, detail_size,
                              "record of %zu bytes is over the %d-byte limit",
                              len, CF_RECORD_MAX);
                return CF_REJ_OVER_LIMIT;
        }
        if (len < CF_FRAMING_HEADER_SIZE || !p) {
                cf_errstr_set(detail, detail_size,
                              "record of %zu bytes is shorter than the "
                              "%d-byte single-object header",
                              len, CF_FRAMING_HEADER_SIZE);
                return CF_REJ_MALFORMED;
        }
        if (p[0] != CF_FRAMING_MAGIC0 || p[1] != CF_FRAMING_MAGIC1) {
                cf_errstr_set(detail, detail_size,
                              "not Avro single-object encoding: starts "
                              "%02x %02x, expected c3 01",
                              p[0], p[1]);
                return CF_REJ_MALFORMED;
        }
        for (int i = 7; i >= 0; i--)
                fp = (fp << 8) | p[2 + i];
        *fingerprint = fp;
        *body = p + CF_FRAMING_HEADER_SIZE;
        *body_len = len - CF_FRAMING_HEADER_SIZE;
        return CF_REJ_NONE;
}

cf_err_t cf_framing_confluent_write_header(cf_buf_t *out, int32_t id) {
        uint8_t h[CF_FRAMING_CONFLUENT_HEADER_SIZE];
        uint32_t u = (uint32_t)id;

        h[0] = CF_FRAMING_CONFLUENT_MAGIC;
        for (int i = 0; i < 4; i++)
                h[1 + i] = (uint8_t)(u >> (8 * (3 - i)));
        return cf_buf_append(out, h, sizeof(h));
}

cf_reject_t cf_framing_confluent_parse(const void *data, size_t len,
                                       int32_t *id, const uint8_t **body,
                                       size_t *body_len, char *detail,
                                       size_t detail_size) {
        const uint8_t *p = data;
        uint32_t u = 0;

        if (len > CF_RECORD_MAX) {
                cf_errstr_set(detail, detail_size,
                              "record of %zu bytes is over the %d-byte limit",
                              len, CF_RECORD_MAX);
                return CF_REJ_OVER_LIMIT;
        }
        if (len < CF_FRAMING_CONFLUENT_HEADER_SIZE || !p) {
                cf_errstr_set(detail, detail_size,
                              "record of %zu bytes is shorter than the "
                              "%d-byte Confluent header",
                              len, CF_FRAMING_CONFLUENT_HEADER_SIZE);
                return CF_REJ_MALFORMED;
        }
        if (p[0] != CF_FRAMING_CONFLUENT_MAGIC) {
                cf_errstr_set(detail, detail_size,
                              "not the Confluent wire format: starts %02x, "
                              "expected 00",
                              p[0]);
                return CF_REJ_MALFORMED;
        }
        for (int i = 1; i <= 4; i++)
                u = (u << 8) | p[i];
        if (u > INT32_MAX) {
                cf_errstr_set(detail, detail_size,
                              "Confluent schema id %u is negative",
                              (unsigned)u);
                return CF_REJ_MALFORMED;
        }
        *id = (int32_t)u;
        *body = p + CF_FRAMING_CONFLUENT_HEADER_SIZE;
        *body_len = len - CF_FRAMING_CONFLUENT_HEADER_SIZE;
        return CF_REJ_NONE;
}
