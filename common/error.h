/* cspflow: error codes shared by every module.
 *
 * Functions return a cf_err_t and, where they take one, fill the caller's
 * errstr buffer (errstr_size bytes, always NUL-terminated). */
#ifndef CF_ERROR_H
#define CF_ERROR_H

#include <stddef.h>

typedef enum cf_err_e {
        CF_OK = 0,
        CF_ERR_NOMEM,          /**< allocation failed: fatal */
        CF_ERR_INVALID,        /**< bad input: goes to the DLQ, never fatal */
        CF_ERR_LIMIT,          /**< input over a cap of limits.h: DLQ */
        CF_ERR_IO,             /**< file or system error */
        CF_ERR_USAGE,          /**< wrong arguments from the user */
        CF_ERR_UNKNOWN_SCHEMA, /**< fingerprint or id not known: DLQ */
} cf_err_t;

/** Static name of an error code. */
const char *cf_err_name(cf_err_t err);

/** printf into errstr, truncating; does nothing when errstr is NULL. */
void cf_errstr_set(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
