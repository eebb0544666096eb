#include "linereader.h"

#include <stdlib.h>
#include <string.h>

struct cf_linereader_s {
        FILE *fp;
        size_t max;
        char *buf; /* max + 1 bytes */
        unsigned long lineno;
};

cf_linereader_t *cf_linereader_new(FILE *fp, size_t max) {
        cf_linereader_t *lr = calloc(1, sizeof(*lr));
        if (!lr)
                return NULL;
        lr->fp = fp;
        lr->max = max;
        if (!(lr->buf = malloc(max + 1))) {
                free(lr);
                return NULL;
        }
        return lr;
}

void cf_linereader_destroy(cf_linereader_t *lr) {
        if (!lr)
                return;
        free(lr->buf);
        free(lr);
}

cf_line_t cf_linereader_next(cf_linereader_t *lr, const char **line,
                             size_t *len, unsigned long *lineno) {
        size_t n = 0, seen = 0;
        int c;
        for (;;) {
                c = getc(lr->fp);
                if (c == EOF) {
                        if (ferror(lr->fp))
                                return CF_LINE_ERROR;
                        if (seen == 0)
                                return CF_LINE_EOF;
                        break;
                }
                if (c == '\n')
                        break;
                if (n < lr->max)
                        lr->buf[n++] = (char)c;
                seen++;
        }
        *lineno = ++lr->lineno;
        if (seen > lr->max) {
                *len = seen;
                return CF_LINE_TOO_LONG;
        }
        if (n > 0 && lr->buf[n - 1] == '\r')
                n--;
        lr->buf[n] = '\0';
        *line = lr->buf;
        *len = n;
        return CF_LINE_OK;
}
