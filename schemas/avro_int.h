/* cspflow: internals of the Avro codec, shared by schemas/avro_*.c only.
 *
 * A cf_avro_t holds, per embedded schema, the avro-c schema (parsed once, to
 * check the layouts the codecs write), a generic value (the reader value
 * schema resolution fills, resolve.c), the fingerprint and a "bounds
 * tree": a compact copy of the schema's shape with a cap on every string,
 * bytes and array, that cf_avro_bounds_check() walks over a body to say
 * what is wrong with its shape. The codecs write and read the binary
 * encoding directly (avro_bin.h); avro-c reads only writer bodies for
 * resolution, after their own bounds check (it allocates whatever length a
 * varint claims).
 *
 * Ownership: everything here is owned by the cf_avro_t and freed by
 * cf_avro_destroy(). */
#ifndef CF_AVRO_INT_H
#define CF_AVRO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "avro_codec.h"
#include "common/event.h"
#include "common/reject.h"

/* Deepest schema nesting the bounds tree is built for. */
#define CF_AVRO_DEPTH_MAX 16

typedef enum cf_avro_kind_e {
        CF_AV_NULL,
        CF_AV_BOOLEAN,
        CF_AV_INT,
        CF_AV_LONG,
        CF_AV_FLOAT,
        CF_AV_DOUBLE,
        CF_AV_STRING,
        CF_AV_BYTES,
        CF_AV_FIXED,
        CF_AV_ENUM,
        CF_AV_ARRAY,
        CF_AV_RECORD,
        CF_AV_UNION,
        CF_AV_MAP, /**< writer schemas only: kids[0] keys, kids[1] values */
} cf_avro_kind_t;

typedef struct cf_avro_node_s {
        cf_avro_kind_t kind;
        const char *name; /**< field name (children of records), else NULL;
                               points into the avro-c schema */
        size_t cap;       /**< STRING/BYTES: most bytes; ARRAY: most items;
                               ENUM: number of symbols; FIXED: its size */
        size_t n;         /**< children: RECORD fields, UNION branches,
                               ARRAY 1 (its items) */
        struct cf_avro_node_s *kids; /**< owned, n of them */
} cf_avro_node_t;

/** Default caps of a freshly built tree: callers tighten them. */
#define CF_AVRO_DEFAULT_STRING_CAP CF_ID_MAX
#define CF_AVRO_DEFAULT_ARRAY_CAP  CF_SUBS_MAX
/** Most array items plus map entries in one body, whatever the schema
 *  (items of zero bytes, e.g. nulls, are not bounded by the length). */
#define CF_AVRO_ITEMS_MAX 65536

/** Builds the bounds tree of schema into *out (caller's node). Links,
 *  maps and nesting deeper than CF_AVRO_DEPTH_MAX are refused. On failure
 *  *out holds nothing to free. */
cf_err_t cf_avro_node_build(avro_schema_t schema, cf_avro_node_t *out,
                            char *errstr, size_t errstr_size);
/** The same for a writer schema read only to be resolved (resolve.h):
 *  maps and links too; strings and bytes capped by the body's length
 *  alone, arrays and maps at CF_AVRO_ITEMS_MAX (the reader's caps apply
 *  once resolved). */
cf_err_t cf_avro_node_build_writer(avro_schema_t schema, cf_avro_node_t *out,
                                   char *errstr, size_t errstr_size);
/** Frees what a node owns (not the node itself). */
void cf_avro_node_free(cf_avro_node_t *n);

/** Walks len bytes of body against the tree: every varint at most 10 bytes
 *  (5 for int) and in range, every string/bytes length within the bytes
 *  left and its cap, array and map block counts within the cap (and at
 *  most CF_AVRO_ITEMS_MAX in the whole body), union branches and
 *  enum indexes in range, booleans 0 or 1, nothing left over. Allocates
 *  nothing. CF_REJ_MALFORMED or CF_REJ_OVER_LIMIT with a detail naming the
 *  field. */
cf_reject_t cf_avro_bounds_check(const cf_avro_node_t *root,
                                 const uint8_t *body, size_t len, char *detail,
                                 size_t detail_size);

/** One embedded schema, loaded. */
typedef struct cf_avro_type_s {
        const char *file; /**< embedded name, e.g. "migration-requested" */
        const char *text; /**< embedded .avsc text (static) */
        size_t text_len;
        avro_schema_t schema; /**< owned reference */
        avro_value_t value;   /**< generic value, owned: what schema
                                   resolution fills (events only) */
        bool has_value;
        uint64_t fingerprint;
        cf_avro_node_t bounds;
} cf_avro_type_t;

struct cf_avro_s {
        cf_avro_type_t ev[CF_EV__COUNT]; /**< [CF_EV_NONE] unused */
        cf_avro_type_t state;
        cf_avro_type_t audit; /**< the audit record (schemas/audit.c) */
};

/** A body of t's schema: at most CF_RECORD_MAX bytes (else
 *  CF_REJ_OVER_LIMIT), then cf_avro_bounds_check(). */
cf_reject_t cf_avro_check_body(const cf_avro_type_t *t, const void *body,
                               size_t len, char *detail, size_t detail_size);

/* ---- decoding events: what the body decoder (avro_event.c) and the
 * generic-value one (avro_event_value.c) share ---- */

typedef struct cf_avro_dec_s {
        cf_event_t *ev;
        const char *parent; /**< "actor", "source_subscriptions", or NULL */
        long index;         /**< element of parent, or -1 */
        char *detail;
        size_t detail_size;
} cf_avro_dec_t;

/** "[parent[index].]field: what" into d's detail; returns r. */
cf_reject_t cf_avro_dec_fail(cf_avro_dec_t *d, cf_reject_t r, const char *field,
                             const char *what);

/** size bytes of s as field's value: at most cap (CF_REJ_OVER_LIMIT), no
 *  NUL and not empty when required (CF_REJ_INVALID_VALUE); copied into dst
 *  (cap + 1 bytes) NUL-terminated. */
cf_reject_t cf_avro_dec_string(cf_avro_dec_t *d, const char *field,
                               const char *s, size_t size, char *dst,
                               size_t cap, bool required);

/** The `type` field (size bytes of s): the record schema's type name. */
cf_reject_t cf_avro_dec_type(cf_avro_dec_t *d, const cf_field_t *f,
                             const char *s, size_t size);
/** A time field: within CF_TIME_MIN..CF_TIME_MAX, stored at p. */
cf_reject_t cf_avro_dec_time(cf_avro_dec_t *d, const cf_field_t *f, int64_t v,
                             void *p);
/** An enum field: an index among its symbols, stored at p (int32_t). */
cf_reject_t cf_avro_dec_enum(cf_avro_dec_t *d, const cf_field_t *f, int64_t v,
                             void *p);

/** Fills ev (reset) from av->ev[type].value, as the body decoder does
 *  from the bytes: the same caps and checks, the same rejects. */
cf_reject_t cf_avro_event_from_value(cf_avro_t *av, cf_event_type_t type,
                                     cf_event_t *ev, char *detail,
                                     size_t detail_size);

/* ---- the MigrationState record's layout (avro_state.c) ---- */

typedef struct cf_avro_layout_s {
        const char *name;
        cf_avro_kind_t kind;
} cf_avro_layout_t;

enum {
        CF_AVS_PARTNER,
        CF_AVS_TENANT,
        CF_AVS_STATUS,
        CF_AVS_OPENED_BY,
        CF_AVS_OPENED_AT,
        CF_AVS_UPDATED_AT,
        CF_AVS_MULTI,
        CF_AVS_DELEGATED,
        CF_AVS_SUBS,
        CF_AVS_DISC,
        CF_AVS_HANDLED,
        CF_AVS_APPLIED,
        CF_AVS_OFFSET,
        CF_AVS__N
};
enum {
        CF_AVU_SOURCE_ID,
        CF_AVU_OFFER,
        CF_AVU_QUANTITY,
        CF_AVU_CHANNEL,
        CF_AVU_EXPIRES,
        CF_AVU_SOURCE,
        CF_AVU_TARGET,
        CF_AVU_TARGET_OFFER,
        CF_AVU_REQUEST,
        CF_AVU_REQUESTS,
        CF_AVU_FAILURES,
        CF_AVU_SUB_ID,
        CF_AVU_PROV_OFFER,
        CF_AVU_PROV_QUANTITY,
        CF_AVU_REASSIGNED,
        CF_AVU__N
};
enum { CF_AVD_OFFER, CF_AVD_SUCCESSOR, CF_AVD__N };
extern const cf_avro_layout_t cf_avro_state_fields[CF_AVS__N];
extern const cf_avro_layout_t cf_avro_sub_fields[CF_AVU__N];
extern const cf_avro_layout_t cf_avro_disc_fields[CF_AVD__N];
/** Bytes of one handled event id hash: hi then lo, big-endian. */
#define CF_AVRO_HASH_SIZE 16

/** Checks the state schema's layout against what avro_state.c writes and
 *  tightens its bounds tree's caps. */
cf_err_t cf_avro_state_check(cf_avro_type_t *t, char *errstr,
                             size_t errstr_size);

/** Checks the audit schema's layout against what schemas/audit.c writes
 *  and tightens its bounds tree's caps. */
cf_err_t cf_avro_audit_check(cf_avro_type_t *t, char *errstr,
                             size_t errstr_size);

/** Checks an event schema against its field table (names, order, Avro type
 *  per kind, enum symbols, record names) and tightens its caps. */
cf_err_t cf_avro_event_check(const cf_event_desc_t *d, cf_avro_type_t *t,
                             char *errstr, size_t errstr_size);

#endif
