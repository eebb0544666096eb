/* cspflow: bounded string helpers (no strcpy/strcat/sprintf anywhere). */
#ifndef CF_STRUTIL_H
#define CF_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/** Copies src into dst (dst_size bytes), always NUL-terminating.
 *  Returns false when src did not fit (dst then holds a truncated copy). */
bool cf_strlcpy(char *dst, const char *src, size_t dst_size);

/** ASCII case-insensitive equality (regions are compared this way). */
bool cf_str_ieq(const char *a, const char *b);

/** Length of s, stopping at max: strnlen without the feature macros. */
size_t cf_strnlen(const char *s, size_t max);

/** Heap copy of s; NULL on allocation failure. Caller frees. */
char *cf_strdup(const char *s);

/** Replaces *dst (freed) with a heap copy of src ("" when src is NULL).
 *  Returns false on allocation failure, *dst then unchanged. */
bool cf_str_replace(char **dst, const char *src);

/** Parses a whole decimal string into *out within [min, max].
 *  Returns false on any junk, sign error or overflow (atoi's replacement). */
bool cf_parse_long(const char *s, long min, long max, long *out);

#endif
