/* cspflow: reading events written with another version of their schema.
 *
 * A writer schema is known by its JSON text: from the schema registry
 * (registry/serde.h hands it over for a Confluent record) or from the .avsc
 * files of the `schemas.writers.dir` directory (for single-object records
 * whose fingerprint is none of ours). Its record's full name (or one of the
 * reader record's aliases) says which event type reads it. A body is then
 * decoded as resolve_int.h describes: with the writer's schema (after the
 * bounded validator), then field by field into the reader's schema, with
 * the reader's defaults from its .avsc text, enums by symbol, unions by
 * branch, promotions; then into cf_event_t with the same checks as any
 * record; then through the event type's upcast hook, if it has one.
 *
 * A writer whose fingerprint is the reader's takes today's path
 * (cf_avro_decode_event_body) unchanged. The plan of every other writer is
 * built once and kept: at most CF_RESOLVE_WRITERS_MAX writers (those of
 * the directory are kept for good, the others the oldest evicted first).
 *
 * Rejects: CF_REJ_UNKNOWN_SCHEMA (a fingerprint never added),
 * CF_REJ_INCOMPATIBLE_SCHEMA (no event type reads the writer's record, or
 * a field that does not resolve: the detail names it), and the rejects of
 * cf_avro_decode_event_body for the body and the values.
 *
 * Threads: one per thread (it reuses the cf_avro_t's values).
 *
 * Ownership: the resolver borrows the cf_avro_t (it must outlive it) and
 * owns the rest, freed by cf_resolver_destroy(). Event decoders fill the
 * caller's initialised cf_event_t. */
#ifndef CF_RESOLVE_H
#define CF_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avro_codec.h"
#include "common/error.h"
#include "common/event.h"
#include "common/reject.h"

/** Writers kept besides those of the directory. */
#define CF_RESOLVE_WRITERS_MAX 256
/** Most .avsc files read from schemas.writers.dir. */
#define CF_RESOLVE_DIR_FILES_MAX 1024

typedef struct cf_resolver_s cf_resolver_t;

cf_err_t cf_resolver_new(cf_avro_t *av, cf_resolver_t **out, char *errstr,
                         size_t errstr_size);
void cf_resolver_destroy(cf_resolver_t *res);

/** Adds every *.avsc file of dir as a writer (kept for good). A file that
 *  is not a schema avro-c reads, whose record no event type reads, or
 *  larger than CF_RECORD_MAX is CF_ERR_USAGE naming it; CF_ERR_IO when dir
 *  cannot be read. */
cf_err_t cf_resolver_load_dir(cf_resolver_t *res, const char *dir, char *errstr,
                              size_t errstr_size);

/** Adds the writer schema text (len bytes); *fingerprint is its
 *  CRC-64-AVRO. Adding a known one costs a lookup. CF_REJ_NONE, or
 *  CF_REJ_INCOMPATIBLE_SCHEMA when the text is not a schema avro-c and
 *  the bounded validator accept (detail says why: the caller may DLQ);
 *  out of memory is CF_REJ_OVER_LIMIT. The writer is added even when no
 *  event type reads it (decoding it then refuses with the reason). */
cf_reject_t cf_resolver_add(cf_resolver_t *res, const char *text, size_t len,
                            uint64_t *fingerprint, char *detail,
                            size_t detail_size);

/** True when fingerprint was added (and not evicted). */
bool cf_resolver_knows(const cf_resolver_t *res, uint64_t fingerprint);

/** Decodes a body written with the writer schema of fingerprint into ev
 *  (reset first). */
cf_reject_t cf_resolver_decode(cf_resolver_t *res, uint64_t fingerprint,
                               const void *body, size_t len, cf_event_t *ev,
                               char *detail, size_t detail_size);

/* ---- upcast hooks ---- */

/** What a hook may ask of the record's writer schema and datum. */
typedef struct cf_writer_info_s cf_writer_info_t;

/** The writer record's full name, e.g. io.cspflow.migration.ProvisionFailed. */
const char *cf_writer_name(const cf_writer_info_t *w);
uint64_t cf_writer_fingerprint(const cf_writer_info_t *w);
/** True when the writer's record has this top-level field. */
bool cf_writer_has_field(const cf_writer_info_t *w, const char *name);
/** The string (or bytes) at a dotted path of the writer's datum, e.g.
 *  "error.code", through records and unions (a null branch: false), into
 *  buf (truncated to size - 1 bytes: false). */
bool cf_writer_string(const cf_writer_info_t *w, const char *path, char *buf,
                      size_t size);

/** An upcast: out holds a copy of decoded on entry; the hook changes what
 *  a default cannot express (a field split, merged, or moved). Returns
 *  CF_REJ_NONE or a reject code with detail (the record goes to the DLQ).
 *  Pure: no I/O, no allocation but through cf_event_t. */
typedef cf_reject_t (*cf_upcast_fn)(const cf_event_t *decoded,
                                    const cf_writer_info_t *writer,
                                    cf_event_t *out, char *detail,
                                    size_t detail_size);

typedef struct cf_upcast_s {
        cf_upcast_fn fn;
        /** Top-level reader fields the hook provides when the writer lacks
         *  them and they have no default: they get their type's zero value
         *  ("" or 0) instead of refusing the record; NULL-terminated. The
         *  record-level checks run before the hook, so a required id (which
         *  "" fails) cannot be among them: give it a default or an alias. */
        const char *const *fills;
} cf_upcast_t;

/** The hook of a type (schemas/upcast.c), NULL when it has none. Applied
 *  to every record of the type decoded through a plan (never to a record
 *  of the type's own schema). */
const cf_upcast_t *cf_upcast_for(cf_event_type_t type);

#endif
