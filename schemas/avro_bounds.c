/* cspflow: the bounds tree and the bounded validator of Avro bodies.
 *
 * avro-c trusts the lengths it reads (a 5-byte varint can make it malloc
 * gigabytes) and shifts past the width of an int on over-long varints. So
 * every body is first walked here, against a copy of its schema's shape
 * with a cap on every length, without allocating anything. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_int.h"

/* ---- building the tree ---- */

typedef struct caps_s {
        size_t string; /* bytes of a string or bytes */
        size_t array;  /* items of an array or map */
} caps_t;

static cf_err_t build(avro_schema_t s, const caps_t *caps, cf_avro_node_t *out,
                      int depth, char *errstr, size_t errstr_size);

static cf_err_t build_kids(cf_avro_node_t *out, size_t n, char *errstr,
                           size_t errstr_size) {
        out->n = n;
        if (n == 0)
                return CF_OK;
        out->kids = calloc(n, sizeof(*out->kids));
        if (!out->kids) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        return CF_OK;
}

static cf_err_t build(avro_schema_t s, const caps_t *caps, cf_avro_node_t *out,
                      int depth, char *errstr, size_t errstr_size) {
        cf_err_t err = CF_OK;

        memset(out, 0, sizeof(*out));
        if (depth > CF_AVRO_DEPTH_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "schema nested deeper than %d",
                              CF_AVRO_DEPTH_MAX);
                return CF_ERR_LIMIT;
        }
        switch (avro_typeof(s)) {
        case AVRO_NULL:
                out->kind = CF_AV_NULL;
                return CF_OK;
        case AVRO_BOOLEAN:
                out->kind = CF_AV_BOOLEAN;
                return CF_OK;
        case AVRO_INT32:
                out->kind = CF_AV_INT;
                return CF_OK;
        case AVRO_INT64:
                out->kind = CF_AV_LONG;
                return CF_OK;
        case AVRO_FLOAT:
                out->kind = CF_AV_FLOAT;
                return CF_OK;
        case AVRO_DOUBLE:
                out->kind = CF_AV_DOUBLE;
                return CF_OK;
        case AVRO_STRING:
                out->kind = CF_AV_STRING;
                out->cap = caps->string;
                return CF_OK;
        case AVRO_BYTES:
                out->kind = CF_AV_BYTES;
                out->cap = caps->string;
                return CF_OK;
        case AVRO_FIXED:
                out->kind = CF_AV_FIXED;
                out->cap = (size_t)avro_schema_fixed_size(s);
                return CF_OK;
        case AVRO_ENUM:
                out->kind = CF_AV_ENUM;
                out->cap = (size_t)avro_schema_enum_number_of_symbols(s);
                return CF_OK;
        case AVRO_ARRAY:
                out->kind = CF_AV_ARRAY;
                out->cap = caps->array;
                if ((err = build_kids(out, 1, errstr, errstr_size)) != CF_OK)
                        return err;
                err = build(avro_schema_array_items(s), caps, &out->kids[0],
                            depth + 1, errstr, errstr_size);
                break;
        case AVRO_MAP:
                /* kids[0] the keys (strings), kids[1] the values */
                out->kind = CF_AV_MAP;
                out->cap = caps->array;
                if ((err = build_kids(out, 2, errstr, errstr_size)) != CF_OK)
                        return err;
                out->kids[0].kind = CF_AV_STRING;
                out->kids[0].cap = caps->string;
                err = build(avro_schema_map_values(s), caps, &out->kids[1],
                            depth + 1, errstr, errstr_size);
                break;
        case AVRO_LINK: /* a named type used again (or recursion, which
                           the depth cap refuses) */
                return build(avro_schema_link_target(s), caps, out, depth + 1,
                             errstr, errstr_size);
        case AVRO_RECORD:
                out->kind = CF_AV_RECORD;
                if ((err = build_kids(out, avro_schema_record_size(s), errstr,
                                      errstr_size)) != CF_OK)
                        return err;
                for (size_t i = 0; err == CF_OK && i < out->n; i++) {
                        err = build(
                            avro_schema_record_field_get_by_index(s, (int)i),
                            caps, &out->kids[i], depth + 1, errstr,
                            errstr_size);
                        out->kids[i].name =
                            avro_schema_record_field_name(s, (int)i);
                }
                break;
        case AVRO_UNION:
                out->kind = CF_AV_UNION;
                if ((err = build_kids(out, avro_schema_union_size(s), errstr,
                                      errstr_size)) != CF_OK)
                        return err;
                for (size_t i = 0; err == CF_OK && i < out->n; i++)
                        err = build(avro_schema_union_branch(s, (int)i), caps,
                                    &out->kids[i], depth + 1, errstr,
                                    errstr_size);
                break;
        default:
                cf_errstr_set(errstr, errstr_size,
                              "schema type %s is not supported",
                              avro_schema_type_name(s));
                return CF_ERR_INVALID;
        }
        if (err != CF_OK)
                cf_avro_node_free(out);
        return err;
}

cf_err_t cf_avro_node_build(avro_schema_t schema, cf_avro_node_t *out,
                            char *errstr, size_t errstr_size) {
        static const caps_t caps = {CF_AVRO_DEFAULT_STRING_CAP,
                                    CF_AVRO_DEFAULT_ARRAY_CAP};
        return build(schema, &caps, out, 0, errstr, errstr_size);
}

cf_err_t cf_avro_node_build_writer(avro_schema_t schema, cf_avro_node_t *out,
                                   char *errstr, size_t errstr_size) {
        static const caps_t caps = {CF_RECORD_MAX, CF_AVRO_ITEMS_MAX};
        return build(schema, &caps, out, 0, errstr, errstr_size);
}

void cf_avro_node_free(cf_avro_node_t *n) {
        for (size_t i = 0; i < n->n; i++)
                cf_avro_node_free(&n->kids[i]);
        free(n->kids);
        n->kids = NULL;
        n->n = 0;
}

/* ---- checking a body ---- */

typedef struct cursor_s {
        const uint8_t *p, *end;
        const char *path[CF_AVRO_DEPTH_MAX + 2]; /* field names, outermost
                                                    first */
        int depth;
        size_t items_left; /* array items and map entries, whole body */
        char *detail;
        size_t detail_size;
} cursor_t;

/* "at field a.b.c: <what>" */
static cf_reject_t bad(cursor_t *c, cf_reject_t r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cf_reject_t bad(cursor_t *c, cf_reject_t r, const char *fmt, ...) {
        char what[160], path[256];
        size_t o = 0;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        path[0] = '\0';
        for (int i = 0; i < c->depth && o < sizeof(path); i++) {
                int n;
                if (!c->path[i])
                        continue;
                n = snprintf(path + o, sizeof(path) - o, "%s%s", o ? "." : "",
                             c->path[i]);
                if (n < 0)
                        break;
                o += (size_t)n;
        }
        if (path[0])
                cf_errstr_set(c->detail, c->detail_size, "field %s: %s", path,
                              what);
        else
                cf_errstr_set(c->detail, c->detail_size, "%s", what);
        return r;
}

/* Zig-zag varint of at most max_bytes bytes; the last byte may only carry
 * the bits left (last_max), so the value fits in 32 or 64 bits. */
static cf_reject_t read_varint(cursor_t *c, int max_bytes, uint8_t last_max,
                               int64_t *out) {
        uint64_t v = 0;

        for (int i = 0; i < max_bytes; i++) {
                uint8_t b;
                if (c->p == c->end)
                        return bad(c, CF_REJ_MALFORMED,
                                   "truncated: the body ends inside a "
                                   "number");
                b = *c->p++;
                if (i == max_bytes - 1 && b > last_max)
                        return bad(c, CF_REJ_MALFORMED,
                                   "varint too long or out of range");
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return CF_REJ_NONE;
                }
        }
        return bad(c, CF_REJ_MALFORMED, "varint too long"); /* not reached */
}

static cf_reject_t read_long(cursor_t *c, int64_t *out) {
        return read_varint(c, 10, 0x01, out);
}

static cf_reject_t skip(cursor_t *c, size_t n, const char *what) {
        if ((size_t)(c->end - c->p) < n)
                return bad(c, CF_REJ_MALFORMED,
                           "truncated: %s of %zu bytes, %zu left", what, n,
                           (size_t)(c->end - c->p));
        c->p += n;
        return CF_REJ_NONE;
}

static cf_reject_t check(cursor_t *c, const cf_avro_node_t *n);

/* Arrays (one kid: the items) and maps (two: keys, values). */
static cf_reject_t check_array(cursor_t *c, const cf_avro_node_t *n) {
        size_t total = 0;
        int64_t count, size;

        for (;;) {
                cf_reject_t r = read_long(c, &count);
                if (r != CF_REJ_NONE)
                        return r;
                if (count == 0)
                        return CF_REJ_NONE;
                if (count < 0) {
                        /* a negative count is followed by the block's size
                         * in bytes */
                        if (count == INT64_MIN)
                                return bad(c, CF_REJ_MALFORMED,
                                           "array block count out of range");
                        count = -count;
                        if ((r = read_long(c, &size)) != CF_REJ_NONE)
                                return r;
                        if (size < 0 ||
                            (uint64_t)size > (uint64_t)(c->end - c->p))
                                return bad(c, CF_REJ_MALFORMED,
                                           "array block size %lld out of "
                                           "range",
                                           (long long)size);
                }
                if ((uint64_t)count > n->cap - total)
                        return bad(c, CF_REJ_OVER_LIMIT, "more than %zu items",
                                   n->cap);
                if ((uint64_t)count > c->items_left)
                        return bad(c, CF_REJ_OVER_LIMIT,
                                   "more than %d items in the record",
                                   CF_AVRO_ITEMS_MAX);
                total += (size_t)count;
                c->items_left -= (size_t)count;
                for (int64_t i = 0; i < count; i++)
                        for (size_t k = 0; k < n->n; k++)
                                if ((r = check(c, &n->kids[k])) != CF_REJ_NONE)
                                        return r;
        }
}

static cf_reject_t check(cursor_t *c, const cf_avro_node_t *n) {
        int64_t v;
        cf_reject_t r;

        switch (n->kind) {
        case CF_AV_NULL:
                return CF_REJ_NONE;
        case CF_AV_BOOLEAN:
                if (c->p == c->end)
                        return bad(c, CF_REJ_MALFORMED,
                                   "truncated: the body ends at a boolean");
                if (*c->p > 1)
                        return bad(c, CF_REJ_MALFORMED,
                                   "boolean byte %u is neither 0 nor 1", *c->p);
                c->p++;
                return CF_REJ_NONE;
        case CF_AV_INT:
                return read_varint(c, 5, 0x0f, &v);
        case CF_AV_LONG:
                return read_long(c, &v);
        case CF_AV_FLOAT:
                return skip(c, 4, "float");
        case CF_AV_DOUBLE:
                return skip(c, 8, "double");
        case CF_AV_FIXED:
                return skip(c, n->cap, "fixed");
        case CF_AV_STRING:
        case CF_AV_BYTES:
                if ((r = read_long(c, &v)) != CF_REJ_NONE)
                        return r;
                if (v < 0)
                        return bad(c, CF_REJ_MALFORMED, "negative length %lld",
                                   (long long)v);
                if ((uint64_t)v > (uint64_t)(c->end - c->p))
                        return bad(c, CF_REJ_MALFORMED,
                                   "truncated: length %lld, %zu bytes left",
                                   (long long)v, (size_t)(c->end - c->p));
                if ((uint64_t)v > n->cap)
                        return bad(c, CF_REJ_OVER_LIMIT,
                                   "%lld bytes, longer than %zu", (long long)v,
                                   n->cap);
                c->p += v;
                return CF_REJ_NONE;
        case CF_AV_ENUM:
                if ((r = read_long(c, &v)) != CF_REJ_NONE)
                        return r;
                if (v < 0 || (uint64_t)v >= n->cap)
                        return bad(c, CF_REJ_MALFORMED,
                                   "enum index %lld out of range 0..%zu",
                                   (long long)v, n->cap - 1);
                return CF_REJ_NONE;
        case CF_AV_UNION:
                if ((r = read_long(c, &v)) != CF_REJ_NONE)
                        return r;
                if (v < 0 || (uint64_t)v >= n->n)
                        return bad(c, CF_REJ_MALFORMED,
                                   "union branch %lld out of range",
                                   (long long)v);
                return check(c, &n->kids[v]);
        case CF_AV_ARRAY:
        case CF_AV_MAP:
                return check_array(c, n);
        case CF_AV_RECORD:
                for (size_t i = 0; i < n->n; i++) {
                        c->path[c->depth++] = n->kids[i].name;
                        r = check(c, &n->kids[i]);
                        c->depth--;
                        if (r != CF_REJ_NONE)
                                return r;
                }
                return CF_REJ_NONE;
        }
        return bad(c, CF_REJ_MALFORMED, "unsupported schema node");
}

cf_reject_t cf_avro_bounds_check(const cf_avro_node_t *root,
                                 const uint8_t *body, size_t len, char *detail,
                                 size_t detail_size) {
        cursor_t c;
        cf_reject_t r;
        static const uint8_t empty[1];

        memset(&c, 0, sizeof(c));
        if (!body) { /* no arithmetic on NULL, even + 0 */
                body = empty;
                len = 0;
        }
        c.p = body;
        c.end = body + len;
        c.items_left = CF_AVRO_ITEMS_MAX;
        c.detail = detail;
        c.detail_size = detail_size;
        if ((r = check(&c, root)) != CF_REJ_NONE)
                return r;
        if (c.p != c.end)
                return bad(&c, CF_REJ_MALFORMED,
                           "%zu trailing bytes after the record",
                           (size_t)(c.end - c.p));
        return CF_REJ_NONE;
}
