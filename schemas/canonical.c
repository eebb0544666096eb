#include "canonical.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Longest full name (namespace.name) accepted. */
#define NAME_MAX_LEN 512

typedef struct canon_s {
        cf_buf_t *out;
        char *names[CF_CANONICAL_NAMES_MAX]; /* full names defined, owned */
        size_t n_names;
        char *errstr;
        size_t errstr_size;
} canon_t;

static const char *const primitives[] = {"null",  "boolean", "int",   "long",
                                         "float", "double",  "bytes", "string"};

static bool is_primitive(const char *s) {
        for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
                if (strcmp(s, primitives[i]) == 0)
                        return true;
        return false;
}

/* [A-Za-z_][A-Za-z0-9_]* over [s, s + n). */
static bool valid_simple(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             c == '_';
                if (!alpha && (i == 0 || c < '0' || c > '9'))
                        return false;
        }
        return true;
}

/* Simple names joined by dots. */
static bool valid_dotted(const char *s) {
        const char *p = s;
        for (;;) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);
                if (!valid_simple(p, n))
                        return false;
                if (!dot)
                        return true;
                p = dot + 1;
        }
}

static cf_err_t fail(canon_t *c, cf_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cf_err_t fail(canon_t *c, cf_err_t err, const char *fmt, ...) {
        if (c->errstr && c->errstr_size) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(c->errstr, c->errstr_size, fmt, ap);
                va_end(ap);
        }
        return err;
}

static cf_err_t emit(canon_t *c, const char *s) {
        cf_err_t err = cf_buf_append(c->out, s, strlen(s));
        if (err == CF_ERR_LIMIT)
                cf_errstr_set(c->errstr, c->errstr_size,
                              "canonical form over %zu bytes", c->out->max);
        else if (err == CF_ERR_NOMEM)
                cf_errstr_set(c->errstr, c->errstr_size, "out of memory");
        return err;
}

static cf_err_t emit_quoted(canon_t *c, const char *s) {
        cf_err_t err = emit(c, "\"");
        if (err == CF_OK)
                err = emit(c, s);
        if (err == CF_OK)
                err = emit(c, "\"");
        return err;
}

/* A JSON string member without embedded NULs, or NULL. */
static const char *str_member(json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        if (!json_is_string(v) ||
            strlen(json_string_value(v)) != json_string_length(v))
                return NULL;
        return json_string_value(v);
}

static bool defined(const canon_t *c, const char *full) {
        for (size_t i = 0; i < c->n_names; i++)
                if (strcmp(c->names[i], full) == 0)
                        return true;
        return false;
}

/* The full name a reference `name` means inside namespace ns, into full;
 * false when no such named type was defined before. */
static bool resolve(const canon_t *c, const char *name, const char *ns,
                    char *full, size_t size) {
        if (!strchr(name, '.') && ns[0]) {
                int n = snprintf(full, size, "%s.%s", ns, name);
                if (n > 0 && (size_t)n < size && defined(c, full))
                        return true;
        }
        return snprintf(full, size, "%s", name) < (int)size && defined(c, full);
}

static cf_err_t walk(canon_t *c, json_t *s, const char *ns, int depth);

static cf_err_t walk_fields(canon_t *c, json_t *fields, const char *full,
                            const char *ns, int depth) {
        cf_err_t err;
        size_t i;
        json_t *f;

        if (!json_is_array(fields))
                return fail(c, CF_ERR_INVALID,
                            "record %s without a fields "
                            "array",
                            full);
        if ((err = emit(c, ",\"fields\":[")) != CF_OK)
                return err;
        json_array_foreach(fields, i, f) {
                const char *fname =
                    json_is_object(f) ? str_member(f, "name") : NULL;
                json_t *ftype =
                    json_is_object(f) ? json_object_get(f, "type") : NULL;
                if (!fname || !valid_simple(fname, strlen(fname)))
                        return fail(c, CF_ERR_INVALID,
                                    "a field of record %s "
                                    "has no valid name",
                                    full);
                if (!ftype)
                        return fail(c, CF_ERR_INVALID, "field %s has no type",
                                    fname);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(fname, str_member(json_array_get(fields, j),
                                                     "name")) == 0)
                                return fail(c, CF_ERR_INVALID,
                                            "field %s defined twice", fname);
                if ((err = emit(c, i ? ",{\"name\":" : "{\"name\":")) !=
                        CF_OK ||
                    (err = emit_quoted(c, fname)) != CF_OK ||
                    (err = emit(c, ",\"type\":")) != CF_OK ||
                    (err = walk(c, ftype, ns, depth + 1)) != CF_OK ||
                    (err = emit(c, "}")) != CF_OK)
                        return err;
        }
        return emit(c, "]");
}

static cf_err_t walk_symbols(canon_t *c, json_t *syms, const char *full) {
        cf_err_t err;
        size_t i;
        json_t *v;

        if (!json_is_array(syms))
                return fail(c, CF_ERR_INVALID,
                            "enum %s without a symbols "
                            "array",
                            full);
        if ((err = emit(c, ",\"symbols\":[")) != CF_OK)
                return err;
        json_array_foreach(syms, i, v) {
                const char *sym = json_string_value(v);
                if (!sym || strlen(sym) != json_string_length(v) ||
                    !valid_simple(sym, strlen(sym)))
                        return fail(c, CF_ERR_INVALID,
                                    "enum %s has an "
                                    "invalid symbol",
                                    full);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(sym, json_string_value(
                                            json_array_get(syms, j))) == 0)
                                return fail(c, CF_ERR_INVALID,
                                            "enum symbol "
                                            "%s listed twice",
                                            sym);
                if ((i && (err = emit(c, ",")) != CF_OK) ||
                    (err = emit_quoted(c, sym)) != CF_OK)
                        return err;
        }
        return emit(c, "]");
}

/* record, error, enum or fixed: defines a name. */
static cf_err_t walk_named(canon_t *c, json_t *s, const char *type,
                           const char *ns, int depth) {
        const char *name = str_member(s, "name");
        json_t *nsv = json_object_get(s, "namespace");
        char full[NAME_MAX_LEN + 1], inner[NAME_MAX_LEN + 1];
        const char *dot;
        char num[32];
        cf_err_t err;
        int n;

        if (!name)
                return fail(c, CF_ERR_INVALID, "a %s has no name", type);
        if (strchr(name, '.')) {
                n = snprintf(full, sizeof(full), "%s", name);
        } else {
                if (nsv && !json_is_string(nsv) && !json_is_null(nsv))
                        return fail(c, CF_ERR_INVALID,
                                    "namespace of %s is "
                                    "not a string",
                                    name);
                if (json_is_string(nsv))
                        ns = json_string_value(nsv);
                n = ns[0] ? snprintf(full, sizeof(full), "%s.%s", ns, name)
                          : snprintf(full, sizeof(full), "%s", name);
        }
        if (n < 0 || (size_t)n >= sizeof(full))
                return fail(c, CF_ERR_LIMIT, "name %s too long", name);
        if (!valid_dotted(full))
                return fail(c, CF_ERR_INVALID, "invalid name %s", full);
        if (is_primitive(full))
                return fail(c, CF_ERR_INVALID, "%s is a primitive type name",
                            full);
        if (defined(c, full))
                return fail(c, CF_ERR_INVALID, "%s defined twice", full);
        if (c->n_names == CF_CANONICAL_NAMES_MAX)
                return fail(c, CF_ERR_LIMIT, "too many named types at %s",
                            full);
        if (!(c->names[c->n_names] = malloc(strlen(full) + 1)))
                return fail(c, CF_ERR_NOMEM, "out of memory at %s", full);
        memcpy(c->names[c->n_names++], full, strlen(full) + 1);

        /* the namespace the children inherit: the full name's */
        dot = strrchr(full, '.');
        n = dot ? snprintf(inner, sizeof(inner), "%.*s", (int)(dot - full),
                           full)
                : snprintf(inner, sizeof(inner), "%s", "");
        (void)n;

        if (strcmp(type, "error") == 0)
                type = "record";
        if ((err = emit(c, "{\"name\":")) != CF_OK ||
            (err = emit_quoted(c, full)) != CF_OK ||
            (err = emit(c, ",\"type\":")) != CF_OK ||
            (err = emit_quoted(c, type)) != CF_OK)
                return err;
        if (strcmp(type, "record") == 0) {
                err = walk_fields(c, json_object_get(s, "fields"), full, inner,
                                  depth);
        } else if (strcmp(type, "enum") == 0) {
                err = walk_symbols(c, json_object_get(s, "symbols"), full);
        } else {
                json_t *size = json_object_get(s, "size");
                if (!json_is_integer(size) || json_integer_value(size) < 0 ||
                    json_integer_value(size) > INT32_MAX)
                        return fail(c, CF_ERR_INVALID,
                                    "fixed %s has no "
                                    "valid size",
                                    full);
                snprintf(num, sizeof(num), ",\"size\":%lld",
                         (long long)json_integer_value(size));
                err = emit(c, num);
        }
        if (err != CF_OK)
                return err;
        return emit(c, "}");
}

static cf_err_t walk_ref(canon_t *c, const char *name, const char *ns) {
        char full[NAME_MAX_LEN + 1];

        if (is_primitive(name))
                return emit_quoted(c, name);
        if (!resolve(c, name, ns, full, sizeof(full)))
                return fail(c, CF_ERR_INVALID, "unknown type %s", name);
        return emit_quoted(c, full);
}

static cf_err_t walk(canon_t *c, json_t *s, const char *ns, int depth) {
        cf_err_t err;
        const char *type;

        if (depth > CF_CANONICAL_DEPTH_MAX) {
                cf_errstr_set(c->errstr, c->errstr_size,
                              "schema nested deeper than %d levels",
                              CF_CANONICAL_DEPTH_MAX);
                return CF_ERR_LIMIT;
        }
        if (json_is_string(s)) {
                if (strlen(json_string_value(s)) != json_string_length(s))
                        return fail(c, CF_ERR_INVALID, "%s",
                                    "type name with a NUL byte");
                return walk_ref(c, json_string_value(s), ns);
        }
        if (json_is_array(s)) { /* union */
                size_t i;
                json_t *b;
                if ((err = emit(c, "[")) != CF_OK)
                        return err;
                json_array_foreach(s, i, b) {
                        if (json_is_array(b))
                                return fail(c, CF_ERR_INVALID, "%s",
                                            "union directly inside a union");
                        if ((i && (err = emit(c, ",")) != CF_OK) ||
                            (err = walk(c, b, ns, depth + 1)) != CF_OK)
                                return err;
                }
                return emit(c, "]");
        }
        if (!json_is_object(s))
                return fail(c, CF_ERR_INVALID, "%s",
                            "a schema is a string, an array or an object");
        if (!(type = str_member(s, "type")))
                return fail(c, CF_ERR_INVALID, "%s",
                            "schema object without a string type");
        if (is_primitive(type))
                return emit_quoted(c, type); /* [PRIMITIVES] */
        if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0 ||
            strcmp(type, "enum") == 0 || strcmp(type, "fixed") == 0)
                return walk_named(c, s, type, ns, depth);
        if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
                bool arr = type[0] == 'a';
                json_t *inner = json_object_get(s, arr ? "items" : "values");
                if (!inner)
                        return fail(c, CF_ERR_INVALID,
                                    "%s without its item "
                                    "type",
                                    type);
                if ((err = emit(c, arr ? "{\"type\":\"array\",\"items\":"
                                       : "{\"type\":\"map\",\"values\":")) !=
                        CF_OK ||
                    (err = walk(c, inner, ns, depth + 1)) != CF_OK)
                        return err;
                return emit(c, "}");
        }
        return walk_ref(c, type, ns);
}

cf_err_t cf_canonical_form(const char *text, size_t len, cf_buf_t *out,
                           char *errstr, size_t errstr_size) {
        canon_t c;
        json_error_t jerr;
        json_t *root;
        cf_err_t err;

        if (len > CF_CANONICAL_TEXT_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "schema text of %zu bytes, over %d", len,
                              CF_CANONICAL_TEXT_MAX);
                return CF_ERR_LIMIT;
        }
        root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                          &jerr);
        if (!root) {
                cf_errstr_set(errstr, errstr_size,
                              "schema is not JSON: %s (line %d)", jerr.text,
                              jerr.line);
                return CF_ERR_INVALID;
        }
        memset(&c, 0, sizeof(c));
        c.out = out;
        c.errstr = errstr;
        c.errstr_size = errstr_size;
        err = walk(&c, root, "", 0);
        for (size_t i = 0; i < c.n_names; i++)
                free(c.names[i]);
        json_decref(root);
        return err;
}

uint64_t cf_canonical_crc64(const void *data, size_t len) {
        const uint8_t *p = data;
        uint64_t fp = CF_CRC64_AVRO_EMPTY;

        /* The spec's table, fp = (fp >> 8) ^ T[(fp ^ b) & 0xff], unrolled
         * into its eight shift steps: no table to initialise, and
         * fingerprints are computed at load time only. */
        for (size_t i = 0; i < len; i++) {
                fp ^= p[i];
                for (int j = 0; j < 8; j++)
                        fp = (fp >> 1) ^ (CF_CRC64_AVRO_EMPTY & -(fp & 1));
        }
        return fp;
}

cf_err_t cf_canonical_fingerprint(const char *text, size_t len, uint64_t *out,
                                  char *errstr, size_t errstr_size) {
        cf_buf_t b;
        cf_err_t err;

        cf_buf_init(&b, CF_CANONICAL_TEXT_MAX);
        err = cf_canonical_form(text, len, &b, errstr, errstr_size);
        if (err == CF_OK)
                *out = cf_canonical_crc64(b.data, b.len);
        cf_buf_clear(&b);
        return err;
}
