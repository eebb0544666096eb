/* cspflow: a small growable byte buffer with a hard cap.
 *
 * Encoders append into a cf_buf_t; the buffer grows (doubling) but never
 * past the `max` given to cf_buf_init, so a runaway encoder fails with
 * CF_ERR_LIMIT instead of eating memory. `data` is NUL-terminated one byte
 * past `len` whenever it is non-NULL (handy for text), the NUL not counted.
 *
 * Ownership: the buffer owns `data`. cf_buf_init() allocates nothing;
 * cf_buf_clear() frees `data` (the struct itself is the caller's) and leaves
 * the buffer empty and reusable; cf_buf_reset() sets len to 0 and keeps the
 * allocation. Pointers into `data` are invalidated by any append/reserve. */
#ifndef CF_BUF_H
#define CF_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct cf_buf_s {
        uint8_t *data; /**< owned; NULL until the first reserve/append */
        size_t len;    /**< bytes in use */
        size_t cap;    /**< bytes allocated (room for len + NUL) */
        size_t max;    /**< most bytes len may ever reach */
} cf_buf_t;

/** Empty buffer that will refuse to hold more than max bytes. */
void cf_buf_init(cf_buf_t *b, size_t max);
/** len = 0; the allocation is kept for reuse. */
void cf_buf_reset(cf_buf_t *b);
/** Frees data; the buffer is empty again (max kept). */
void cf_buf_clear(cf_buf_t *b);
/** Makes room for n more bytes past len. CF_ERR_LIMIT when len + n would
 *  exceed max, CF_ERR_NOMEM when allocation fails; the buffer is unchanged
 *  on failure. */
cf_err_t cf_buf_reserve(cf_buf_t *b, size_t n);
/** Appends n bytes of p (p may be NULL when n is 0). Errors as reserve; on
 *  failure nothing is appended. */
cf_err_t cf_buf_append(cf_buf_t *b, const void *p, size_t n);
/** Appends one byte. */
cf_err_t cf_buf_append_byte(cf_buf_t *b, uint8_t c);

#endif
