/* cspflow: Avro schema resolution at the level of generic values (Avro
 * 1.11 specification, "Schema Resolution"), the engine of resolve.h.
 *
 * avro-c's own resolver cannot fill a reader field from its default (and
 * avro_schema_to_json drops `default`), so resolution here reads the body
 * with the writer's schema into a generic value, then copies it into a
 * value of the reader's schema by a plan built once per (writer, reader):
 *
 *   records   by field name (or a reader field's aliases); writer-only
 *             fields skipped; reader-only fields from the reader's
 *             `default`, read from the reader's .avsc text with jansson
 *   enums     by symbol name; a symbol the reader lacks takes the reader
 *             enum's `default`, else the datum is refused
 *   unions    a writer union: the datum's branch is resolved against the
 *             reader; a reader union: its first branch matching the
 *             writer's type (exact match first, then promotion)
 *   promote   int -> long, float, double; long -> float, double;
 *             float -> double; string <-> bytes
 *   names     records, enums, fixed: same unqualified name, or the
 *             writer's full name among the reader's aliases
 *
 * A pair that cannot resolve still gets a plan: a FAIL node with the
 * reason, met when a datum goes through it (for a writer union branch,
 * only the datums that take that branch fail).
 *
 * Ownership: cf_rjson_t owns its jansson document; a plan borrows the
 * writer and reader avro-c schemas and the reader's cf_rjson_t (they must
 * outlive it) and owns the rest, freed by cf_rplan_free(). */
#ifndef CF_RESOLVE_INT_H
#define CF_RESOLVE_INT_H

#include <avro.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/reject.h"

/* ---- the reader's .avsc text as JSON ---- */

typedef struct cf_rjson_name_s {
        char *full_name; /**< owned */
        json_t *def;     /**< borrowed from doc */
} cf_rjson_name_t;

typedef struct cf_rjson_s {
        json_t *doc;
        cf_rjson_name_t *names; /**< every named type defined in doc */
        size_t n_names;
} cf_rjson_t;

/** Parses text (len bytes) and indexes its named types. */
cf_err_t cf_rjson_load(cf_rjson_t *rj, const char *text, size_t len,
                       char *errstr, size_t errstr_size);
void cf_rjson_free(cf_rjson_t *rj);
/** The JSON definition of a type as written at t (a name is looked up);
 *  NULL when unknown. */
json_t *cf_rjson_deref(const cf_rjson_t *rj, json_t *t);

/* ---- plans ---- */

typedef enum cf_rop_e {
        CF_ROP_FAIL,    /**< cannot resolve: reason */
        CF_ROP_PRIM,    /**< null, boolean, numbers, string, bytes, fixed:
                             copy or promote from wtype */
        CF_ROP_ENUM,    /**< by symbol name */
        CF_ROP_ARRAY,   /**< kids[0]: the items */
        CF_ROP_MAP,     /**< kids[0]: the values */
        CF_ROP_RECORD,  /**< kids[i]: reader field i */
        CF_ROP_DEFAULT, /**< reader field absent from the writer: def */
        CF_ROP_WUNION,  /**< writer union: kids[b] per writer branch */
        CF_ROP_RUNION,  /**< reader union: branch `branch`, kids[0] */
} cf_rop_t;

typedef struct cf_rplan_s {
        cf_rop_t op;
        avro_type_t wtype;     /**< PRIM: the writer's type */
        avro_schema_t rs;      /**< the reader's schema here (borrowed) */
        avro_schema_t ws;      /**< the writer's (borrowed; NULL: DEFAULT) */
        json_t *rj;            /**< reader JSON of this type (borrowed) */
        const char *name;      /**< record field name, else NULL */
        char *reason;          /**< FAIL: owned */
        json_t *def;           /**< DEFAULT: the value (borrowed); NULL:
                                    the type's zero (an upcast fills it) */
        const cf_rjson_t *doc; /**< DEFAULT: the reader's JSON */
        int branch;            /**< RUNION */
        int *enum_map;         /**< ENUM: writer index -> reader, -1: none */
        size_t n_map;
        int enum_default;        /**< ENUM: reader index, -1 none */
        int *wfield;             /**< RECORD: writer index per reader field */
        struct cf_rplan_s *kids; /**< owned, n of them */
        size_t n;
} cf_rplan_t;

/** Builds the plan of writer schema ws read as reader schema rs, whose
 *  JSON is rjt inside rj. `fills`, when not NULL, names top-level reader
 *  fields an upcast hook provides: absent from the writer and without a
 *  default they get the type's zero value instead of a FAIL. CF_ERR_NOMEM,
 *  or CF_ERR_LIMIT for a schema nested deeper than CF_AVRO_DEPTH_MAX;
 *  anything else unresolvable is a FAIL node inside *out. */
cf_err_t cf_rplan_build(avro_schema_t ws, avro_schema_t rs,
                        const cf_rjson_t *rj, json_t *rjt,
                        const char *const *fills, cf_rplan_t *out, char *errstr,
                        size_t errstr_size);
void cf_rplan_free(cf_rplan_t *p);

/** Copies wv (a value of the plan's writer schema) into rv (reset, of its
 *  reader schema). CF_REJ_NONE, CF_REJ_INCOMPATIBLE_SCHEMA (a FAIL met, an
 *  enum symbol the reader lacks without a default, a default that does not
 *  fit) or CF_REJ_OVER_LIMIT (out of memory); detail names the field. */
cf_reject_t cf_rplan_apply(const cf_rplan_t *p, avro_value_t *wv,
                           avro_value_t *rv, char *detail, size_t detail_size);

/** True when any FAIL is reachable (tests; a plan may still decode datums
 *  that avoid it). */
bool cf_rplan_has_fail(const cf_rplan_t *p);

/* ---- defaults (resolve_default.c) ---- */

/** Checks (rv NULL) or writes into rv the JSON default def of reader
 *  schema rs (rjt its JSON), per the Avro spec's default encoding (a
 *  union's default is its first branch's). False with why when it does
 *  not fit the schema. */
bool cf_rdefault_set(const cf_rjson_t *rj, avro_schema_t rs, json_t *rjt,
                     json_t *def, avro_value_t *rv, char *why, size_t why_size);

/** Sets rv (of schema rs) to the type's zero: null, false, 0, "", the
 *  first symbol, empty array/map, a record of zeros, a union's first
 *  branch zero. False on failure. */
bool cf_rdefault_zero(avro_schema_t rs, avro_value_t *rv);

#endif
