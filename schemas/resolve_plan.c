/* cspflow: resolution plans (resolve_int.h): built once per (writer,
 * reader) pair, applied to every datum of that writer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_int.h"
#include "resolve_int.h"

/* Field names from the root to where we are, for messages. */
typedef struct path_s {
        const char *name[CF_AVRO_DEPTH_MAX + 2];
        int depth;
} path_t;

static void path_str(const path_t *p, char *buf, size_t size) {
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < p->depth && o < size; i++) {
                int n;
                if (!p->name[i])
                        continue;
                n = snprintf(buf + o, size - o, "%s%s", o ? "." : "",
                             p->name[i]);
                if (n < 0)
                        break;
                o += (size_t)n;
        }
}

static avro_schema_t deref(avro_schema_t s) {
        for (int i = 0; s && avro_typeof(s) == AVRO_LINK && i < 64; i++)
                s = avro_schema_link_target(s);
        return s;
}

static bool is_named(avro_type_t t) {
        return t == AVRO_RECORD || t == AVRO_ENUM || t == AVRO_FIXED;
}

/* ns.name of a named schema into buf. */
static void full_name(avro_schema_t s, char *buf, size_t size) {
        const char *ns = avro_schema_namespace(s);
        if (ns && *ns)
                snprintf(buf, size, "%s.%s", ns, avro_schema_name(s));
        else
                snprintf(buf, size, "%s", avro_schema_name(s));
}

/* True when the reader's named type rs (JSON rjt) accepts writer ws by
 * name: same unqualified name, or the writer's full name among rs's
 * aliases (an alias without a dot is in the reader's namespace). */
static bool names_match(avro_schema_t ws, avro_schema_t rs, json_t *rjt) {
        char wfull[512], afull[512];
        const char *rns = avro_schema_namespace(rs);
        json_t *aliases = rjt ? json_object_get(rjt, "aliases") : NULL;
        size_t i;
        json_t *a;

        if (strcmp(avro_schema_name(ws), avro_schema_name(rs)) == 0)
                return true;
        full_name(ws, wfull, sizeof(wfull));
        json_array_foreach(aliases, i, a) {
                const char *s = json_string_value(a);
                if (!s)
                        continue;
                if (strchr(s, '.') || !rns || !*rns)
                        snprintf(afull, sizeof(afull), "%s", s);
                else
                        snprintf(afull, sizeof(afull), "%s.%s", rns, s);
                if (strcmp(afull, wfull) == 0)
                        return true;
        }
        return false;
}

static bool promotes(avro_type_t w, avro_type_t r) {
        switch (r) {
        case AVRO_INT64:
                return w == AVRO_INT32;
        case AVRO_FLOAT:
                return w == AVRO_INT32 || w == AVRO_INT64;
        case AVRO_DOUBLE:
                return w == AVRO_INT32 || w == AVRO_INT64 || w == AVRO_FLOAT;
        case AVRO_STRING:
                return w == AVRO_BYTES;
        case AVRO_BYTES:
                return w == AVRO_STRING;
        default:
                return false;
        }
}

/* Writer ws matches reader branch rs (JSON rjt): the same type (by name
 * for named types, fixed also by size), or with promote a promotion. */
static bool matches(avro_schema_t ws, avro_schema_t rs, json_t *rjt,
                    bool promote) {
        avro_type_t w = avro_typeof(ws), r = avro_typeof(rs);
        if (w != r)
                return promote && promotes(w, r);
        if (w == AVRO_FIXED &&
            avro_schema_fixed_size(ws) != avro_schema_fixed_size(rs))
                return false;
        return !is_named(w) || names_match(ws, rs, rjt);
}

/* ---- building ---- */

typedef struct bctx_s {
        const cf_rjson_t *rj;
        int level; /* nodes from the root */
        const char *const *fills;
        path_t path;
        char *errstr;
        size_t errstr_size;
} bctx_t;

static cf_err_t fail(bctx_t *c, cf_rplan_t *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cf_err_t fail(bctx_t *c, cf_rplan_t *p, const char *fmt, ...) {
        char what[300], path[256], msg[600];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        path_str(&c->path, path, sizeof(path));
        if (path[0])
                snprintf(msg, sizeof(msg), "field %s: %s", path, what);
        else
                snprintf(msg, sizeof(msg), "%s", what);
        p->op = CF_ROP_FAIL;
        if (!(p->reason = strdup(msg))) {
                cf_errstr_set(c->errstr, c->errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        return CF_OK;
}

static cf_err_t kids(bctx_t *c, cf_rplan_t *p, size_t n) {
        p->n = n;
        if (n && !(p->kids = calloc(n, sizeof(*p->kids)))) {
                cf_errstr_set(c->errstr, c->errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        return CF_OK;
}

static cf_err_t build(bctx_t *c, avro_schema_t ws, avro_schema_t rs,
                      json_t *rjt, cf_rplan_t *p);

/* The JSON field object of reader field `name` in record JSON rjt. */
static json_t *json_field(json_t *rjt, const char *name) {
        json_t *fields = json_object_get(rjt, "fields"), *f;
        size_t i;
        json_array_foreach(fields, i, f) {
                json_t *n = json_object_get(f, "name");
                if (json_is_string(n) &&
                    strcmp(json_string_value(n), name) == 0)
                        return f;
        }
        return NULL;
}

/* Writer field index for reader field jf (name, then aliases); -1. */
static int writer_field(avro_schema_t ws, const char *name, json_t *jf) {
        json_t *aliases = jf ? json_object_get(jf, "aliases") : NULL, *a;
        int i = avro_schema_record_field_get_index(ws, name);
        size_t k;

        if (i >= 0)
                return i;
        json_array_foreach(aliases, k, a) {
                if (json_is_string(a) &&
                    (i = avro_schema_record_field_get_index(
                         ws, json_string_value(a))) >= 0)
                        return i;
        }
        return -1;
}

static bool fills(const bctx_t *c, const char *name) {
        if (c->path.depth != 1 || !c->fills) /* top-level fields only */
                return false;
        for (size_t i = 0; c->fills[i]; i++)
                if (strcmp(c->fills[i], name) == 0)
                        return true;
        return false;
}

static cf_err_t build_record(bctx_t *c, avro_schema_t ws, avro_schema_t rs,
                             json_t *rjt, cf_rplan_t *p) {
        size_t n = avro_schema_record_size(rs);
        cf_err_t err;

        p->op = CF_ROP_RECORD;
        if ((err = kids(c, p, n)) != CF_OK)
                return err;
        if (n && !(p->wfield = calloc(n, sizeof(*p->wfield)))) {
                cf_errstr_set(c->errstr, c->errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const char *name = avro_schema_record_field_name(rs, (int)i);
                avro_schema_t rf =
                    avro_schema_record_field_get_by_index(rs, (int)i);
                json_t *jf = json_field(rjt, name);
                json_t *jt =
                    jf ? cf_rjson_deref(c->rj, json_object_get(jf, "type"))
                       : NULL;
                cf_rplan_t *k = &p->kids[i];
                int w = writer_field(ws, name, jf);
                char why[256];

                c->path.name[c->path.depth++] = name;
                k->name = name;
                k->rs = rf;
                k->rj = jt;
                p->wfield[i] = w;
                if (w >= 0) {
                        err = build(
                            c, avro_schema_record_field_get_by_index(ws, w), rf,
                            jt, k);
                } else if (jf && json_object_get(jf, "default")) {
                        k->op = CF_ROP_DEFAULT;
                        k->def = json_object_get(jf, "default");
                        k->doc = c->rj;
                        if (!cf_rdefault_set(c->rj, rf, jt, k->def, NULL, why,
                                             sizeof(why)))
                                err = fail(c, k,
                                           "the reader's default does not "
                                           "fit: %s",
                                           why);
                        else
                                err = CF_OK;
                } else if (fills(c, name)) {
                        k->op = CF_ROP_DEFAULT; /* def NULL: the zero */
                        err = CF_OK;
                } else {
                        err = fail(c, k,
                                   "not in the writer's schema and the "
                                   "reader's has no default");
                }
                c->path.depth--;
                if (err != CF_OK)
                        return err;
        }
        return CF_OK;
}

static cf_err_t build_enum(bctx_t *c, avro_schema_t ws, avro_schema_t rs,
                           json_t *rjt, cf_rplan_t *p) {
        size_t n = (size_t)avro_schema_enum_number_of_symbols(ws);
        json_t *def = rjt ? json_object_get(rjt, "default") : NULL;

        p->op = CF_ROP_ENUM;
        p->enum_default = -1;
        if (json_is_string(def)) {
                p->enum_default =
                    avro_schema_enum_get_by_name(rs, json_string_value(def));
                if (p->enum_default < 0)
                        return fail(c, p,
                                    "the reader enum's default '%s' is not "
                                    "one of its symbols",
                                    json_string_value(def));
        }
        p->n_map = n;
        if (n && !(p->enum_map = calloc(n, sizeof(*p->enum_map)))) {
                cf_errstr_set(c->errstr, c->errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++)
                p->enum_map[i] = avro_schema_enum_get_by_name(
                    rs, avro_schema_enum_get(ws, (int)i));
        return CF_OK;
}

static cf_err_t build_node(bctx_t *c, avro_schema_t ws, avro_schema_t rs,
                           json_t *rjt, cf_rplan_t *p);

static cf_err_t build(bctx_t *c, avro_schema_t ws, avro_schema_t rs,
                      json_t *rjt, cf_rplan_t *p) {
        cf_err_t err;

        ws = deref(ws);
        rs = deref(rs);
        p->ws = ws;
        p->rs = rs;
        p->rj = rjt;
        if (c->level > CF_AVRO_DEPTH_MAX) {
                cf_errstr_set(c->errstr, c->errstr_size,
                              "schema nested deeper than %d",
                              CF_AVRO_DEPTH_MAX);
                return CF_ERR_LIMIT;
        }
        c->level++;
        err = build_node(c, ws, rs, rjt, p);
        c->level--;
        return err;
}

static cf_err_t build_node(bctx_t *c, avro_schema_t ws, avro_schema_t rs,
                           json_t *rjt, cf_rplan_t *p) {
        avro_type_t w, r;
        cf_err_t err;

        if (!ws || !rs)
                return fail(c, p, "unresolved named type");
        w = avro_typeof(ws);
        r = avro_typeof(rs);
        if (w == AVRO_UNION) {
                p->op = CF_ROP_WUNION;
                if ((err = kids(c, p, avro_schema_union_size(ws))) != CF_OK)
                        return err;
                for (size_t b = 0; b < p->n; b++)
                        if ((err =
                                 build(c, avro_schema_union_branch(ws, (int)b),
                                       rs, rjt, &p->kids[b])) != CF_OK)
                                return err;
                return CF_OK;
        }
        if (r == AVRO_UNION) {
                size_t n = avro_schema_union_size(rs);
                json_t *bj = NULL;
                p->op = CF_ROP_RUNION;
                p->branch = -1;
                for (int pass = 0; pass < 2 && p->branch < 0; pass++)
                        for (size_t b = 0; b < n && p->branch < 0; b++) {
                                avro_schema_t rb =
                                    deref(avro_schema_union_branch(rs, (int)b));
                                bj = cf_rjson_deref(c->rj,
                                                    json_array_get(rjt, b));
                                if (rb && matches(ws, rb, bj, pass == 1))
                                        p->branch = (int)b;
                        }
                if (p->branch < 0)
                        return fail(c, p,
                                    "the writer's %s matches no branch of "
                                    "the reader's union",
                                    avro_schema_type_name(ws));
                if ((err = kids(c, p, 1)) != CF_OK)
                        return err;
                return build(c, ws, avro_schema_union_branch(rs, p->branch), bj,
                             &p->kids[0]);
        }
        if (!matches(ws, rs, rjt, true))
                return fail(c, p,
                            "the writer's %s%s%s cannot be read as %s%s%s",
                            avro_schema_type_name(ws), is_named(w) ? " " : "",
                            is_named(w) ? avro_schema_name(ws) : "",
                            avro_schema_type_name(rs), is_named(r) ? " " : "",
                            is_named(r) ? avro_schema_name(rs) : "");
        switch (r) {
        case AVRO_RECORD:
                return build_record(c, ws, rs, rjt, p);
        case AVRO_ENUM:
                return build_enum(c, ws, rs, rjt, p);
        case AVRO_ARRAY:
                p->op = CF_ROP_ARRAY;
                if ((err = kids(c, p, 1)) != CF_OK)
                        return err;
                return build(
                    c, avro_schema_array_items(ws), avro_schema_array_items(rs),
                    cf_rjson_deref(c->rj, json_object_get(rjt, "items")),
                    &p->kids[0]);
        case AVRO_MAP:
                p->op = CF_ROP_MAP;
                if ((err = kids(c, p, 1)) != CF_OK)
                        return err;
                return build(
                    c, avro_schema_map_values(ws), avro_schema_map_values(rs),
                    cf_rjson_deref(c->rj, json_object_get(rjt, "values")),
                    &p->kids[0]);
        default:
                p->op = CF_ROP_PRIM;
                p->wtype = w;
                return CF_OK;
        }
}

cf_err_t cf_rplan_build(avro_schema_t ws, avro_schema_t rs,
                        const cf_rjson_t *rj, json_t *rjt,
                        const char *const *fills, cf_rplan_t *out, char *errstr,
                        size_t errstr_size) {
        bctx_t c;
        cf_err_t err;

        memset(&c, 0, sizeof(c));
        memset(out, 0, sizeof(*out));
        c.rj = rj;
        c.fills = fills;
        c.errstr = errstr;
        c.errstr_size = errstr_size;
        /* depth 0 is the root record: its fields are at depth 1 */
        err = build(&c, ws, rs, cf_rjson_deref(rj, rjt), out);
        if (err != CF_OK)
                cf_rplan_free(out);
        return err;
}

void cf_rplan_free(cf_rplan_t *p) {
        for (size_t i = 0; i < p->n; i++)
                cf_rplan_free(&p->kids[i]);
        free(p->kids);
        free(p->reason);
        free(p->enum_map);
        free(p->wfield);
        memset(p, 0, sizeof(*p));
}

bool cf_rplan_has_fail(const cf_rplan_t *p) {
        if (p->op == CF_ROP_FAIL)
                return true;
        for (size_t i = 0; i < p->n; i++)
                if (cf_rplan_has_fail(&p->kids[i]))
                        return true;
        return false;
}

/* ---- applying ---- */

typedef struct actx_s {
        path_t path;
        char *detail;
        size_t detail_size;
} actx_t;

static cf_reject_t afail(actx_t *c, cf_reject_t r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cf_reject_t afail(actx_t *c, cf_reject_t r, const char *fmt, ...) {
        char what[300], path[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        path_str(&c->path, path, sizeof(path));
        if (path[0])
                cf_errstr_set(c->detail, c->detail_size, "field %s: %s", path,
                              what);
        else
                cf_errstr_set(c->detail, c->detail_size, "%s", what);
        return r;
}

static cf_reject_t avro_failed(actx_t *c) {
        return afail(c, CF_REJ_INCOMPATIBLE_SCHEMA, "avro-c: %s",
                     avro_strerror());
}

static cf_reject_t apply_string(actx_t *c, const cf_rplan_t *p,
                                avro_value_t *wv, avro_value_t *rv) {
        const char *s = NULL;
        const void *b = NULL;
        size_t size = 0;
        char *tmp;
        int rc;

        if (p->wtype == AVRO_STRING) {
                if (avro_value_get_string(wv, &s, &size) != 0)
                        return avro_failed(c);
                return avro_value_set_string_len(rv, s, size) ? avro_failed(c)
                                                              : CF_REJ_NONE;
        }
        if (avro_value_get_bytes(wv, &b, &size) != 0)
                return avro_failed(c);
        if (!(tmp = malloc(size + 1)))
                return afail(c, CF_REJ_OVER_LIMIT, "out of memory");
        if (size)
                memcpy(tmp, b, size);
        tmp[size] = '\0';
        rc = avro_value_set_string_len(rv, tmp, size + 1);
        free(tmp);
        return rc ? avro_failed(c) : CF_REJ_NONE;
}

static cf_reject_t apply_prim(actx_t *c, const cf_rplan_t *p, avro_value_t *wv,
                              avro_value_t *rv) {
        int32_t i = 0;
        int64_t l = 0;
        float f = 0;
        double d = 0;
        int b = 0;
        const void *buf = NULL;
        const char *s = NULL;
        size_t size = 0;
        int rc = 0;

        /* the writer's number, widened */
        switch (p->wtype) {
        case AVRO_INT32:
                rc = avro_value_get_int(wv, &i);
                l = i;
                f = (float)i;
                d = i;
                break;
        case AVRO_INT64:
                rc = avro_value_get_long(wv, &l);
                f = (float)l;
                d = (double)l;
                break;
        case AVRO_FLOAT:
                rc = avro_value_get_float(wv, &f);
                d = f;
                break;
        case AVRO_DOUBLE:
                rc = avro_value_get_double(wv, &d);
                break;
        default:
                break;
        }
        if (rc != 0)
                return avro_failed(c);
        switch (avro_typeof(p->rs)) {
        case AVRO_NULL:
                rc = avro_value_set_null(rv);
                break;
        case AVRO_BOOLEAN:
                rc = avro_value_get_boolean(wv, &b) ||
                     avro_value_set_boolean(rv, b);
                break;
        case AVRO_INT32:
                rc = avro_value_set_int(rv, i);
                break;
        case AVRO_INT64:
                rc = avro_value_set_long(rv, l);
                break;
        case AVRO_FLOAT:
                rc = avro_value_set_float(rv, f);
                break;
        case AVRO_DOUBLE:
                rc = avro_value_set_double(rv, d);
                break;
        case AVRO_STRING:
                return apply_string(c, p, wv, rv);
        case AVRO_BYTES:
                if (p->wtype == AVRO_STRING) {
                        rc = avro_value_get_string(wv, &s, &size) ||
                             avro_value_set_bytes(rv, (void *)(uintptr_t)s,
                                                  size ? size - 1 : 0);
                } else {
                        rc = avro_value_get_bytes(wv, &buf, &size) ||
                             avro_value_set_bytes(rv, (void *)(uintptr_t)buf,
                                                  size);
                }
                break;
        case AVRO_FIXED:
                rc = avro_value_get_fixed(wv, &buf, &size) ||
                     avro_value_set_fixed(rv, (void *)(uintptr_t)buf, size);
                break;
        default:
                return afail(c, CF_REJ_INCOMPATIBLE_SCHEMA,
                             "unexpected reader type %s",
                             avro_schema_type_name(p->rs));
        }
        return rc ? avro_failed(c) : CF_REJ_NONE;
}

static cf_reject_t apply(actx_t *c, const cf_rplan_t *p, avro_value_t *wv,
                         avro_value_t *rv);

static cf_reject_t apply_enum(actx_t *c, const cf_rplan_t *p, avro_value_t *wv,
                              avro_value_t *rv) {
        int w = 0, r;

        if (avro_value_get_enum(wv, &w) != 0)
                return avro_failed(c);
        if (w < 0 || (size_t)w >= p->n_map)
                return afail(c, CF_REJ_MALFORMED, "enum index %d out of range",
                             w);
        r = p->enum_map[w] >= 0 ? p->enum_map[w] : p->enum_default;
        if (r < 0)
                return afail(c, CF_REJ_INCOMPATIBLE_SCHEMA,
                             "symbol %s is not in the reader's enum %s, "
                             "which has no default",
                             avro_schema_enum_get(p->ws, w),
                             avro_schema_name(p->rs));
        return avro_value_set_enum(rv, r) ? avro_failed(c) : CF_REJ_NONE;
}

static cf_reject_t apply_record(actx_t *c, const cf_rplan_t *p,
                                avro_value_t *wv, avro_value_t *rv) {
        for (size_t i = 0; i < p->n; i++) {
                const cf_rplan_t *k = &p->kids[i];
                avro_value_t wf, rf;
                cf_reject_t r;
                char why[256];

                c->path.name[c->path.depth++] = k->name;
                if (k->op == CF_ROP_FAIL) {
                        r = apply(c, k, NULL, NULL);
                } else if (avro_value_get_by_index(rv, i, &rf, NULL) != 0) {
                        r = avro_failed(c);
                } else if (k->op != CF_ROP_DEFAULT) {
                        r = avro_value_get_by_index(wv, (size_t)p->wfield[i],
                                                    &wf, NULL) != 0
                                ? avro_failed(c)
                                : apply(c, k, &wf, &rf);
                } else if (!k->def) {
                        r = cf_rdefault_zero(k->rs, &rf) ? CF_REJ_NONE
                                                         : avro_failed(c);
                } else {
                        r = cf_rdefault_set(k->doc, k->rs, k->rj, k->def, &rf,
                                            why, sizeof(why))
                                ? CF_REJ_NONE
                                : afail(c, CF_REJ_INCOMPATIBLE_SCHEMA,
                                        "default: %s", why);
                }
                c->path.depth--;
                if (r != CF_REJ_NONE)
                        return r;
        }
        return CF_REJ_NONE;
}

static cf_reject_t apply(actx_t *c, const cf_rplan_t *p, avro_value_t *wv,
                         avro_value_t *rv) {
        avro_value_t wb, rb, wc, rc;
        size_t n = 0;
        int d = 0;
        cf_reject_t r;

        switch (p->op) {
        case CF_ROP_FAIL:
                cf_errstr_set(c->detail, c->detail_size, "%s", p->reason);
                return CF_REJ_INCOMPATIBLE_SCHEMA;
        case CF_ROP_PRIM:
                return apply_prim(c, p, wv, rv);
        case CF_ROP_ENUM:
                return apply_enum(c, p, wv, rv);
        case CF_ROP_RECORD:
                return apply_record(c, p, wv, rv);
        case CF_ROP_WUNION:
                if (avro_value_get_discriminant(wv, &d) != 0 ||
                    avro_value_get_current_branch(wv, &wb) != 0)
                        return avro_failed(c);
                if (d < 0 || (size_t)d >= p->n)
                        return afail(c, CF_REJ_MALFORMED,
                                     "union branch %d out of range", d);
                return apply(c, &p->kids[d], &wb, rv);
        case CF_ROP_RUNION:
                if (avro_value_set_branch(rv, p->branch, &rb) != 0)
                        return avro_failed(c);
                return apply(c, &p->kids[0], wv, &rb);
        case CF_ROP_ARRAY:
                if (avro_value_get_size(wv, &n) != 0)
                        return avro_failed(c);
                for (size_t i = 0; i < n; i++) {
                        if (avro_value_get_by_index(wv, i, &wc, NULL) != 0 ||
                            avro_value_append(rv, &rc, NULL) != 0)
                                return avro_failed(c);
                        if ((r = apply(c, &p->kids[0], &wc, &rc)) !=
                            CF_REJ_NONE)
                                return r;
                }
                return CF_REJ_NONE;
        case CF_ROP_MAP:
                if (avro_value_get_size(wv, &n) != 0)
                        return avro_failed(c);
                for (size_t i = 0; i < n; i++) {
                        const char *key = NULL;
                        if (avro_value_get_by_index(wv, i, &wc, &key) != 0 ||
                            !key || avro_value_add(rv, key, &rc, NULL, NULL))
                                return avro_failed(c);
                        if ((r = apply(c, &p->kids[0], &wc, &rc)) !=
                            CF_REJ_NONE)
                                return r;
                }
                return CF_REJ_NONE;
        case CF_ROP_DEFAULT: /* handled by the record */
                break;
        }
        return afail(c, CF_REJ_INCOMPATIBLE_SCHEMA, "bad plan node");
}

cf_reject_t cf_rplan_apply(const cf_rplan_t *p, avro_value_t *wv,
                           avro_value_t *rv, char *detail, size_t detail_size) {
        actx_t c;

        memset(&c, 0, sizeof(c));
        c.detail = detail;
        c.detail_size = detail_size;
        return apply(&c, p, wv, rv);
}
