/* cspflow: the .avsc files of schemas/avro, compiled into the binary
 * verbatim (cmake/embed_schemas.cmake). The text is kept exactly as written:
 * avro-c's avro_schema_to_json drops `default`, `doc` and `logicalType`,
 * so anything that needs them reads this text. Static storage; never freed. */
#ifndef CF_SCHEMAS_EMBEDDED_H
#define CF_SCHEMAS_EMBEDDED_H

#include <stddef.h>

typedef struct cf_embedded_schema_s {
        const char *name; /**< file name without .avsc, e.g.
                               "migration-requested" */
        const char *text; /**< the file's bytes, NUL-terminated */
        size_t len;       /**< bytes, without the NUL */
} cf_embedded_schema_t;

/** Terminated by an all-zero entry; cf_embedded_schemas_n entries before
 *  it, sorted by name. */
extern const cf_embedded_schema_t cf_embedded_schemas[];
extern const size_t cf_embedded_schemas_n;

#endif
