/* cspflow: bounded string helpers (no strcpy/strcat/sprintf anywhere). */
#ifndef CF_STRUTIL_H
#define CF_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Copies src into dst (dst_size bytes), always NUL-terminating.
 *  Returns false when src did not fit (dst then holds a truncated copy). */
bool cf_strlcpy(char *dst, const char *src, size_t dst_size);

/** ASCII case-insensitive equality (regions are compared this way). */
bool cf_str_ieq(const char *a, const char *b);

/** Length of s, stopping at max: strnlen without the feature macros.
 *  Inline: the encoders call it ~29 times per event (docs/performance.md). */
static inline size_t cf_strnlen(const char *s, size_t max) {
        const char *end = memchr(s, '\0', max);
        return end ? (size_t)(end - s) : max;
}

/** Heap copy of s; NULL on allocation failure. Caller frees. */
char *cf_strdup(const char *s);

/** Replaces *dst (freed) with a heap copy of src ("" when src is NULL).
 *  Returns false on allocation failure, *dst then unchanged. */
bool cf_str_replace(char **dst, const char *src);

/** Same with the n bytes of src (need not be NUL-terminated; the copy is). */
bool cf_str_replace_n(char **dst, const char *src, size_t n);

/** The same, reusing *dst when it holds a string of at least n bytes (its
 *  allocation is then large enough). */
bool cf_str_assign_n(char **dst, const char *src, size_t n);

/** v in decimal into buf (NUL-terminated), as snprintf(buf, size, "%llu")
 *  writes it without printf; returns the full length. */
size_t cf_fmt_u64(char *buf, size_t size, uint64_t v);

/** Heap copy of url without the "user:password@" after its scheme's
 *  "://" (up to the last '@' before the first '/', '?' or '#'); a copy of
 *  url when it has none. NULL on allocation failure. Caller frees. */
char *cf_url_strip_userinfo(const char *url);

/** Parses a whole decimal string into *out within [min, max].
 *  Returns false on any junk, sign error or overflow (atoi's replacement). */
bool cf_parse_long(const char *s, long min, long max, long *out);

#endif
