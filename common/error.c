#include "error.h"

#include <stdarg.h>
#include <stdio.h>

const char *cf_err_name(cf_err_t err) {
        switch (err) {
        case CF_OK:
                return "ok";
        case CF_ERR_NOMEM:
                return "out-of-memory";
        case CF_ERR_INVALID:
                return "invalid";
        case CF_ERR_LIMIT:
                return "over-limit";
        case CF_ERR_IO:
                return "io";
        case CF_ERR_USAGE:
                return "usage";
        case CF_ERR_UNKNOWN_SCHEMA:
                return "unknown-schema";
        }
        return "unknown";
}

void cf_errstr_set(char *errstr, size_t errstr_size, const char *fmt, ...) {
        va_list ap;
        if (!errstr || errstr_size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}
