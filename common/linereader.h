/* cspflow: reads lines from a FILE with a cap on their length.
 *
 * getline() would allocate whatever one line asks for; this reader keeps at
 * most `max` bytes of a line, and skips the rest of a longer one, reporting
 * it as too long. A trailing "\r" is dropped.
 *
 * Ownership: cf_linereader_new() borrows the FILE (the caller closes it) and
 * returns a reader freed with cf_linereader_destroy(). The line returned by
 * cf_linereader_next() belongs to the reader, valid until the next call. */
#ifndef CF_LINEREADER_H
#define CF_LINEREADER_H

#include <stdio.h>

typedef struct cf_linereader_s cf_linereader_t;

typedef enum cf_line_e {
        CF_LINE_OK = 0,   /**< *line, *len hold a line */
        CF_LINE_TOO_LONG, /**< the line was over max bytes and was skipped;
                           *len holds how many bytes were seen */
        CF_LINE_EOF,
        CF_LINE_ERROR, /**< read error (errno set) */
} cf_line_t;

cf_linereader_t *cf_linereader_new(FILE *fp, size_t max);
void cf_linereader_destroy(cf_linereader_t *lr);

/** Next line; *lineno is its 1-based number. */
cf_line_t cf_linereader_next(cf_linereader_t *lr, const char **line,
                             size_t *len, unsigned long *lineno);

#endif
