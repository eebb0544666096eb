#include "buf.h"

#include <stdlib.h>
#include <string.h>

void cf_buf_init(cf_buf_t *b, size_t max) {
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max < SIZE_MAX ? max : SIZE_MAX - 1; /* room for NUL */
}

void cf_buf_reset(cf_buf_t *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void cf_buf_clear(cf_buf_t *b) {
        free(b->data);
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
}

cf_err_t cf_buf_reserve(cf_buf_t *b, size_t n) {
        size_t need, cap;
        uint8_t *p;

        if (n > b->max || b->len > b->max - n)
                return CF_ERR_LIMIT;
        need = b->len + n + 1; /* + NUL; cannot overflow: max < SIZE_MAX */
        if (need <= b->cap)
                return CF_OK;
        cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > b->max + 1)
                cap = b->max + 1;
        p = realloc(b->data, cap);
        if (!p)
                return CF_ERR_NOMEM;
        b->data = p;
        b->cap = cap;
        return CF_OK;
}

cf_err_t cf_buf_append(cf_buf_t *b, const void *p, size_t n) {
        cf_err_t err = cf_buf_reserve(b, n);
        if (err != CF_OK)
                return err;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return CF_OK;
}

cf_err_t cf_buf_append_byte(cf_buf_t *b, uint8_t c) {
        return cf_buf_append(b, &c, 1);
}
