#include "ids.h"

#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

void cf_ids_uuid(const char *const *parts, size_t n, char *out) {
        XXH3_state_t st;
        XXH128_hash_t h;
        uint8_t b[16];
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        char buf[1024];
        size_t len = 0;

        /* the parts and their NULs hashed at once (the same hash as fed
         * one by one, without the streaming state's cost); the streaming
         * form for parts too long for the buffer */
        for (size_t i = 0; i < n && len <= sizeof(buf); i++) {
                size_t k = strlen(parts[i]) + 1;
                if (k > sizeof(buf) - len) {
                        len = sizeof(buf) + 1;
                        break;
                }
                memcpy(buf + len, parts[i], k);
                len += k;
        }
        if (len <= sizeof(buf)) {
                h = XXH3_128bits(buf, len);
        } else {
                XXH3_128bits_reset(&st);
                for (size_t i = 0; i < n; i++)
                        XXH3_128bits_update(&st, parts[i],
                                            strlen(parts[i]) + 1);
                h = XXH3_128bits_digest(&st);
        }
        for (int i = 0; i < 8; i++) {
                b[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
                b[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
        }
        b[6] = (uint8_t)((b[6] & 0x0f) | 0x80); /* version 8 */
        b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC variant */
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[b[i] >> 4];
                out[o++] = hex[b[i] & 0xf];
        }
        out[o] = '\0';
}

cf_id_hash_t cf_ids_hash(const char *event_id) {
        XXH128_hash_t h = XXH3_128bits(event_id, strlen(event_id));
        cf_id_hash_t r = {h.high64, h.low64};
        return r;
}
