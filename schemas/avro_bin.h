/* cspflow: the Avro binary encoding's primitives, written and read
 * directly (Avro 1.11 specification, "Binary Encoding"), for the codecs of
 * schemas/avro_*.c and audit.c.
 *
 * avro-c's generic values cost an allocation or a hash lookup per field;
 * the codecs walk their fixed layouts and call these instead, and produce
 * the bytes avro-c wrote (the Java interop test and the golden files check
 * it): zig-zag varints for int, long, enum indexes, union branches and
 * lengths; a boolean as one byte; an array as one block (count, items)
 * followed by the 0 that ends it (a lone 0 when empty); a fixed as its
 * bytes.
 *
 * Reading: every read is checked against the end and against the rules of
 * cf_avro_bounds_check() (varints of at most 10 bytes fitting 64 bits, 5
 * fitting 32 for an int; booleans 0 or 1; array blocks as the
 * specification allows them, a negative count followed by a byte size);
 * on a violation ok turns false and reads return zero. The caps of strings
 * and arrays are the caller's to check. A decoder that fails on anything
 * runs cf_avro_bounds_check() to say what is wrong with the body's shape
 * first, as it always has.
 *
 * Ownership: writers append to the caller's cf_buf_t; strings read point
 * into the body (not NUL-terminated, not copied). */
#ifndef CF_AVRO_BIN_H
#define CF_AVRO_BIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

/* ---- writing ---- */

/** Appends v as a zig-zag varint (int and long alike). */
static inline cf_err_t cf_avro_put_long(cf_buf_t *b, int64_t v) {
        uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
        uint8_t tmp[10];
        size_t n = 0;

        while (z >= 0x80) {
                tmp[n++] = (uint8_t)(z | 0x80);
                z >>= 7;
        }
        tmp[n++] = (uint8_t)z;
        if (b->data && b->cap - b->len > n) { /* room for it and the NUL */
                memcpy(b->data + b->len, tmp, n);
                b->len += n;
                b->data[b->len] = '\0';
                return CF_OK;
        }
        return cf_buf_append(b, tmp, n);
}

/** Appends n bytes of s as an Avro string (or bytes): length, bytes. */
static inline cf_err_t cf_avro_put_string(cf_buf_t *b, const char *s,
                                          size_t n) {
        cf_err_t err = cf_avro_put_long(b, (int64_t)n);
        if (err != CF_OK)
                return err;
        if (b->data && b->cap - b->len > n) { /* room for it and the NUL */
                memcpy(b->data + b->len, s, n);
                b->len += n;
                b->data[b->len] = '\0';
                return CF_OK;
        }
        return cf_buf_append(b, s, n);
}

static inline cf_err_t cf_avro_put_bool(cf_buf_t *b, bool v) {
        return cf_buf_append_byte(b, v ? 1 : 0);
}

/* ---- writing into reserved room ----
 * For records of a fixed layout: cf_buf_reserve() a bound for a stretch
 * of fields, write them through a pointer, then cf_avro_w_commit(). */

/** Most bytes a string of at most cap bytes takes: length and bytes. */
#define CF_AVRO_STR_ROOM(cap) (10 + (cap))

static inline uint8_t *cf_avro_w_long(uint8_t *p, int64_t v) {
        uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
        while (z >= 0x80) {
                *p++ = (uint8_t)(z | 0x80);
                z >>= 7;
        }
        *p++ = (uint8_t)z;
        return p;
}

static inline uint8_t *cf_avro_w_bytes(uint8_t *p, const void *s, size_t n) {
        p = cf_avro_w_long(p, (int64_t)n);
        if (n)
                memcpy(p, s, n);
        return p + n;
}

/** The buffer's end is now p (within the room reserved). */
static inline void cf_avro_w_commit(cf_buf_t *b, uint8_t *p) {
        b->len = (size_t)(p - b->data);
        b->data[b->len] = '\0';
}

/* ---- reading ---- */

typedef struct cf_avro_rd_s {
        const uint8_t *p;
        const uint8_t *end;
        bool ok; /**< false once a read went past the end */
} cf_avro_rd_t;

static inline void cf_avro_rd_init(cf_avro_rd_t *r, const void *body,
                                   size_t len) {
        static const uint8_t empty[1];
        r->p = body ? (const uint8_t *)body : empty;
        r->end = r->p + (body ? len : 0);
        r->ok = true;
}

/* A zig-zag varint of at most max bytes whose last byte carries at most
 * last_max (cf_avro_bounds_check's rule: the value fits 32 or 64 bits). */
static inline int64_t cf_avro_rd_varint(cf_avro_rd_t *r, int max,
                                        uint8_t last_max) {
        uint64_t v = 0;
        for (int i = 0; i < max; i++) {
                uint8_t c;
                if (r->p == r->end || (i == max - 1 && r->p[0] > last_max)) {
                        r->ok = false;
                        return 0;
                }
                c = *r->p++;
                v |= (uint64_t)(c & 0x7f) << (7 * i);
                if (!(c & 0x80))
                        return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
        }
        r->ok = false; /* not reached: the last byte has no 0x80 */
        return 0;
}

/** A long; 0 and ok = false when truncated or over 64 bits. */
static inline int64_t cf_avro_rd_long(cf_avro_rd_t *r) {
        return cf_avro_rd_varint(r, 10, 0x01);
}

/** An int; 0 and ok = false when truncated or over 32 bits. */
static inline int32_t cf_avro_rd_int(cf_avro_rd_t *r) {
        return (int32_t)cf_avro_rd_varint(r, 5, 0x0f);
}

/** A boolean: the byte 0 or 1, else ok = false. */
static inline bool cf_avro_rd_bool(cf_avro_rd_t *r) {
        if (r->p == r->end || *r->p > 1) {
                r->ok = false;
                return false;
        }
        return *r->p++ != 0;
}

/** A string or bytes: *s points into the body, *n its length. */
static inline void cf_avro_rd_string(cf_avro_rd_t *r, const char **s,
                                     size_t *n) {
        int64_t len = cf_avro_rd_long(r);
        if (!r->ok || len < 0 || (uint64_t)len > (uint64_t)(r->end - r->p)) {
                r->ok = false;
                *s = "";
                *n = 0;
                return;
        }
        *s = (const char *)r->p;
        *n = (size_t)len;
        r->p += len;
}

/** n bytes as they are (an Avro fixed); NULL when fewer are left. */
static inline const uint8_t *cf_avro_rd_fixed(cf_avro_rd_t *r, size_t n) {
        const uint8_t *p = r->p;
        if ((size_t)(r->end - r->p) < n) {
                r->ok = false;
                return NULL;
        }
        r->p += n;
        return p;
}

/** The item count of the next array block (0: the array ends); a negative
 *  count's byte size is read and checked, not used. */
static inline int64_t cf_avro_rd_block(cf_avro_rd_t *r) {
        int64_t n = cf_avro_rd_long(r);
        if (n < 0) {
                int64_t size;
                if (n == INT64_MIN) {
                        r->ok = false;
                        return 0;
                }
                n = -n;
                size = cf_avro_rd_long(r);
                if (size < 0 || (uint64_t)size > (uint64_t)(r->end - r->p))
                        r->ok = false;
        }
        return r->ok ? n : 0;
}

#endif
