/* Shared by the Avro codec tests: one cf_avro_t per test binary (setup /
 * teardown for cmocka groups) and a tiny Avro binary writer for crafting
 * records by hand. Include after cmocka.h. */
#ifndef CF_TEST_AVRO_FIXTURE_H
#define CF_TEST_AVRO_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "schemas/avro_codec.h"

static cf_avro_t *av;

static inline int setup(void **state) {
        char err[512] = "";
        (void)state;
        if (cf_avro_new(&av, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "cf_avro_new: %s\n", err);
                return -1;
        }
        return 0;
}

static inline int teardown(void **state) {
        (void)state;
        cf_avro_destroy(av);
        return 0;
}

/* A record being written by hand. */
typedef struct w_s {
        uint8_t b[8192];
        size_t n;
} w_t;

static inline void w_raw(w_t *w, const void *p, size_t n) {
        assert_true(w->n + n <= sizeof(w->b));
        memcpy(w->b + w->n, p, n);
        w->n += n;
}

static inline void w_long(w_t *w, int64_t v) {
        uint64_t u = (uint64_t)v;
        uint64_t z = (u << 1) ^ (0 - (u >> 63));
        do {
                uint8_t c = (uint8_t)(z & 0x7f);
                z >>= 7;
                if (z)
                        c |= 0x80;
                w_raw(w, &c, 1);
        } while (z);
}

static inline void w_str(w_t *w, const char *s) {
        w_long(w, (int64_t)strlen(s));
        w_raw(w, s, strlen(s));
}

#endif
