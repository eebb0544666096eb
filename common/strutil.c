#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cf_strlcpy(char *dst, const char *src, size_t dst_size) {
        size_t n;
        if (dst_size == 0)
                return false;
        n = cf_strnlen(src, dst_size);
        if (n >= dst_size) {
                memcpy(dst, src, dst_size - 1);
                dst[dst_size - 1] = '\0';
                return false;
        }
        memcpy(dst, src, n + 1);
        return true;
}

bool cf_str_ieq(const char *a, const char *b) {
        for (; *a && *b; a++, b++) {
                if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
                        return false;
        }
        return *a == *b;
}

char *cf_strdup(const char *s) {
        size_t n = strlen(s);
        char *p = malloc(n + 1);
        if (p)
                memcpy(p, s, n + 1);
        return p;
}

bool cf_str_replace(char **dst, const char *src) {
        char *p = cf_strdup(src ? src : "");
        if (!p)
                return false;
        free(*dst);
        *dst = p;
        return true;
}

bool cf_str_replace_n(char **dst, const char *src, size_t n) {
        char *p = malloc(n + 1);
        if (!p)
                return false;
        if (n)
                memcpy(p, src, n);
        p[n] = '\0';
        free(*dst);
        *dst = p;
        return true;
}

bool cf_str_assign_n(char **dst, const char *src, size_t n) {
        if (*dst && strlen(*dst) >= n) {
                if (n)
                        memmove(*dst, src, n);
                (*dst)[n] = '\0';
                return true;
        }
        return cf_str_replace_n(dst, src, n);
}

size_t cf_fmt_u64(char *buf, size_t size, uint64_t v) {
        char tmp[20];
        size_t n = 0;
        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        for (size_t i = 0; i < n && i + 1 < size; i++)
                buf[i] = tmp[n - 1 - i];
        if (size > 0)
                buf[n < size ? n : size - 1] = '\0';
        return n;
}

char *cf_url_strip_userinfo(const char *url) {
        const char *s = strstr(url, "://"), *at = NULL, *end;
        char *out;
        size_t n;

        if (!s)
                return cf_strdup(url);
        s += 3;
        end = s + strcspn(s, "/?#");
        /* the last '@': a password may hold one unencoded */
        for (const char *p = s; p < end; p++)
                if (*p == '@')
                        at = p;
        if (!at)
                return cf_strdup(url);
        n = strlen(url) - (size_t)(at + 1 - s);
        if (!(out = malloc(n + 1)))
                return NULL;
        memcpy(out, url, (size_t)(s - url));
        memcpy(out + (s - url), at + 1, strlen(at + 1) + 1);
        return out;
}

bool cf_parse_long(const char *s, long min, long max, long *out) {
        char *end = NULL;
        long v;
        if (!s || !*s || isspace((unsigned char)*s))
                return false;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                return false;
        *out = v;
        return true;
}
