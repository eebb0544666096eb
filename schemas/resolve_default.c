/* cspflow: the reader's .avsc text as JSON (named types indexed) and its
 * field defaults written into generic values (resolve_int.h). Defaults
 * are encoded as the Avro 1.11 specification says: null, true/false,
 * JSON numbers, strings; bytes and fixed as strings of code points
 * 0-255; enums by symbol; arrays, maps and records as JSON arrays and
 * objects (a record member left out takes that field's own default); a
 * union's default is its first branch's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"
#include "resolve_int.h"

static const char *const primitives[] = {"null",  "boolean", "int",   "long",
                                         "float", "double",  "bytes", "string"};

static bool is_primitive(const char *s) {
        for (size_t i = 0; i < sizeof(primitives) / sizeof(*primitives); i++)
                if (strcmp(s, primitives[i]) == 0)
                        return true;
        return false;
}

/* ---- indexing named types ---- */

static cf_err_t add_name(cf_rjson_t *rj, const char *full, json_t *def) {
        cf_rjson_name_t *n =
            realloc(rj->names, (rj->n_names + 1) * sizeof(*rj->names));
        if (!n)
                return CF_ERR_NOMEM;
        rj->names = n;
        if (!(n[rj->n_names].full_name = cf_strdup(full)))
                return CF_ERR_NOMEM;
        n[rj->n_names++].def = def;
        return CF_OK;
}

static cf_err_t walk(cf_rjson_t *rj, json_t *t, const char *ns, int depth) {
        json_t *type, *x;
        const char *name;
        char full[512], child_ns[512];
        size_t i;
        cf_err_t err;

        if (depth > 64)
                return CF_OK; /* avro-c refused such a schema already */
        if (json_is_array(t)) {
                json_array_foreach(t, i, x) {
                        if ((err = walk(rj, x, ns, depth + 1)) != CF_OK)
                                return err;
                }
                return CF_OK;
        }
        if (!json_is_object(t))
                return CF_OK;
        type = json_object_get(t, "type");
        if (!json_is_string(type))
                return walk(rj, type, ns, depth + 1);
        if ((x = json_object_get(t, "items")))
                return walk(rj, x, ns, depth + 1);
        if ((x = json_object_get(t, "values")))
                return walk(rj, x, ns, depth + 1);
        name = json_string_value(json_object_get(t, "name"));
        if (!name)
                return CF_OK;
        if (json_is_string(json_object_get(t, "namespace")))
                ns = json_string_value(json_object_get(t, "namespace"));
        if (strchr(name, '.') || !ns || !*ns)
                snprintf(full, sizeof(full), "%s", name);
        else
                snprintf(full, sizeof(full), "%s.%s", ns, name);
        if ((err = add_name(rj, full, t)) != CF_OK)
                return err;
        snprintf(child_ns, sizeof(child_ns), "%s", full);
        if (strrchr(child_ns, '.'))
                *strrchr(child_ns, '.') = '\0';
        else
                child_ns[0] = '\0';
        json_array_foreach(json_object_get(t, "fields"), i, x) {
                if ((err = walk(rj, json_object_get(x, "type"), child_ns,
                                depth + 1)) != CF_OK)
                        return err;
        }
        return CF_OK;
}

cf_err_t cf_rjson_load(cf_rjson_t *rj, const char *text, size_t len,
                       char *errstr, size_t errstr_size) {
        json_error_t e;
        cf_err_t err;

        memset(rj, 0, sizeof(*rj));
        if (!(rj->doc = json_loadb(text, len, 0, &e))) {
                cf_errstr_set(errstr, errstr_size, "line %d: %s", e.line,
                              e.text);
                return CF_ERR_INVALID;
        }
        if ((err = walk(rj, rj->doc, NULL, 0)) != CF_OK) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                cf_rjson_free(rj);
        }
        return err;
}

void cf_rjson_free(cf_rjson_t *rj) {
        for (size_t i = 0; i < rj->n_names; i++)
                free(rj->names[i].full_name);
        free(rj->names);
        json_decref(rj->doc);
        memset(rj, 0, sizeof(*rj));
}

json_t *cf_rjson_deref(const cf_rjson_t *rj, json_t *t) {
        const char *s;

        for (int i = 0; i < 8 && json_is_object(t); i++) { /* {"type": {...}} */
                json_t *inner = json_object_get(t, "type");
                if (!json_is_object(inner) && !json_is_array(inner))
                        break;
                t = inner;
        }
        if (json_is_object(t) && json_is_string(json_object_get(t, "type")) &&
            !json_object_get(t, "name") &&
            !is_primitive(json_string_value(json_object_get(t, "type"))) &&
            strcmp(json_string_value(json_object_get(t, "type")), "array") &&
            strcmp(json_string_value(json_object_get(t, "type")), "map"))
                t = json_object_get(t, "type"); /* {"type": "a.Name"} */
        if (!json_is_string(t) || !rj)
                return t;
        s = json_string_value(t);
        if (is_primitive(s))
                return t;
        for (size_t i = 0; i < rj->n_names; i++)
                if (strcmp(rj->names[i].full_name, s) == 0)
                        return rj->names[i].def;
        for (size_t i = 0; i < rj->n_names; i++) { /* relative name */
                const char *dot = strrchr(rj->names[i].full_name, '.');
                if (dot && strcmp(dot + 1, s) == 0)
                        return rj->names[i].def;
        }
        return NULL;
}

/* ---- defaults ---- */

/* A JSON string of code points 0-255 as bytes into a malloc'd buffer. */
static bool latin1(json_t *def, uint8_t **out, size_t *n, char *why,
                   size_t why_size) {
        const unsigned char *s = (const unsigned char *)json_string_value(def);
        size_t len = json_string_length(def), k = 0;
        uint8_t *b;

        if (!s) {
                cf_errstr_set(why, why_size, "expected a string for bytes");
                return false;
        }
        if (!(b = malloc(len + 1))) {
                cf_errstr_set(why, why_size, "out of memory");
                return false;
        }
        for (size_t i = 0; i < len; k++) {
                if (s[i] < 0x80) {
                        b[k] = s[i++];
                } else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < len) {
                        b[k] =
                            (uint8_t)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f));
                        i += 2;
                } else {
                        free(b);
                        cf_errstr_set(why, why_size,
                                      "bytes default has a code point over "
                                      "255");
                        return false;
                }
        }
        *out = b;
        *n = k;
        return true;
}

static bool fail_type(char *why, size_t why_size, const char *want) {
        cf_errstr_set(why, why_size, "expected %s", want);
        return false;
}

static json_t *field_json(json_t *rjt, const char *name) {
        json_t *f;
        size_t i;
        json_array_foreach(json_object_get(rjt, "fields"), i, f) {
                const char *n = json_string_value(json_object_get(f, "name"));
                if (n && strcmp(n, name) == 0)
                        return f;
        }
        return NULL;
}

bool cf_rdefault_set(const cf_rjson_t *rj, avro_schema_t rs, json_t *rjt,
                     json_t *def, avro_value_t *rv, char *why,
                     size_t why_size) {
        avro_value_t child;
        json_int_t i;
        uint8_t *b = NULL;
        size_t n = 0, k;
        json_t *x;
        const char *key;
        int rc = 0;

        while (avro_typeof(rs) == AVRO_LINK)
                rs = avro_schema_link_target(rs);
        rjt = cf_rjson_deref(rj, rjt);
        switch (avro_typeof(rs)) {
        case AVRO_NULL:
                if (!json_is_null(def))
                        return fail_type(why, why_size, "null");
                rc = rv ? avro_value_set_null(rv) : 0;
                break;
        case AVRO_BOOLEAN:
                if (!json_is_boolean(def))
                        return fail_type(why, why_size, "true or false");
                rc = rv ? avro_value_set_boolean(rv, json_is_true(def)) : 0;
                break;
        case AVRO_INT32:
                i = json_integer_value(def);
                if (!json_is_integer(def) || i < INT32_MIN || i > INT32_MAX)
                        return fail_type(why, why_size, "an int");
                rc = rv ? avro_value_set_int(rv, (int32_t)i) : 0;
                break;
        case AVRO_INT64:
                if (!json_is_integer(def))
                        return fail_type(why, why_size, "a long");
                rc = rv ? avro_value_set_long(rv, json_integer_value(def)) : 0;
                break;
        case AVRO_FLOAT:
        case AVRO_DOUBLE:
                if (!json_is_number(def))
                        return fail_type(why, why_size, "a number");
                if (rv)
                        rc = avro_typeof(rs) == AVRO_FLOAT
                                 ? avro_value_set_float(
                                       rv, (float)json_number_value(def))
                                 : avro_value_set_double(
                                       rv, json_number_value(def));
                break;
        case AVRO_STRING:
                if (!json_is_string(def))
                        return fail_type(why, why_size, "a string");
                rc = rv ? avro_value_set_string_len(rv, json_string_value(def),
                                                    json_string_length(def) + 1)
                        : 0;
                break;
        case AVRO_BYTES:
        case AVRO_FIXED:
                if (!latin1(def, &b, &n, why, why_size))
                        return false;
                if (avro_typeof(rs) == AVRO_FIXED &&
                    n != (size_t)avro_schema_fixed_size(rs)) {
                        free(b);
                        return fail_type(why, why_size,
                                         "a string of the fixed's size");
                }
                if (rv)
                        rc = avro_typeof(rs) == AVRO_FIXED
                                 ? avro_value_set_fixed(rv, b, n)
                                 : avro_value_set_bytes(rv, b, n);
                free(b);
                break;
        case AVRO_ENUM:
                if (!json_is_string(def) || avro_schema_enum_get_by_name(
                                                rs, json_string_value(def)) < 0)
                        return fail_type(why, why_size, "a symbol of the enum");
                rc = rv ? avro_value_set_enum(rv,
                                              avro_schema_enum_get_by_name(
                                                  rs, json_string_value(def)))
                        : 0;
                break;
        case AVRO_ARRAY:
                if (!json_is_array(def))
                        return fail_type(why, why_size, "an array");
                json_array_foreach(def, k, x) {
                        if (rv && avro_value_append(rv, &child, NULL) != 0)
                                return fail_type(why, why_size, "memory");
                        if (!cf_rdefault_set(rj, avro_schema_array_items(rs),
                                             json_object_get(rjt, "items"), x,
                                             rv ? &child : NULL, why, why_size))
                                return false;
                }
                break;
        case AVRO_MAP:
                if (!json_is_object(def))
                        return fail_type(why, why_size, "an object (map)");
                json_object_foreach(def, key, x) {
                        if (rv && avro_value_add(rv, key, &child, NULL, NULL))
                                return fail_type(why, why_size, "memory");
                        if (!cf_rdefault_set(rj, avro_schema_map_values(rs),
                                             json_object_get(rjt, "values"), x,
                                             rv ? &child : NULL, why, why_size))
                                return false;
                }
                break;
        case AVRO_RECORD:
                if (!json_is_object(def))
                        return fail_type(why, why_size, "an object (record)");
                for (size_t f = 0; f < avro_schema_record_size(rs); f++) {
                        const char *name =
                            avro_schema_record_field_name(rs, (int)f);
                        json_t *jf = field_json(rjt, name);
                        json_t *v = json_object_get(def, name);
                        if (!v && jf)
                                v = json_object_get(jf, "default");
                        if (!v) {
                                cf_errstr_set(why, why_size,
                                              "record default lacks %s", name);
                                return false;
                        }
                        if (rv && avro_value_get_by_index(rv, f, &child, NULL))
                                return fail_type(why, why_size, "memory");
                        if (!cf_rdefault_set(
                                rj,
                                avro_schema_record_field_get_by_index(rs,
                                                                      (int)f),
                                jf ? json_object_get(jf, "type") : NULL, v,
                                rv ? &child : NULL, why, why_size))
                                return false;
                }
                break;
        case AVRO_UNION:
                if (avro_schema_union_size(rs) == 0)
                        return fail_type(why, why_size, "a non-empty union");
                if (rv && avro_value_set_branch(rv, 0, &child) != 0)
                        return fail_type(why, why_size, "memory");
                return cf_rdefault_set(rj, avro_schema_union_branch(rs, 0),
                                       json_array_get(rjt, 0), def,
                                       rv ? &child : NULL, why, why_size);
        default:
                return fail_type(why, why_size, "a supported type");
        }
        if (rc != 0) {
                cf_errstr_set(why, why_size, "avro-c: %s", avro_strerror());
                return false;
        }
        return true;
}

bool cf_rdefault_zero(avro_schema_t rs, avro_value_t *rv) {
        avro_value_t child;
        uint8_t *b;
        bool ok;

        while (avro_typeof(rs) == AVRO_LINK)
                rs = avro_schema_link_target(rs);
        switch (avro_typeof(rs)) {
        case AVRO_NULL:
                return avro_value_set_null(rv) == 0;
        case AVRO_BOOLEAN:
                return avro_value_set_boolean(rv, 0) == 0;
        case AVRO_INT32:
                return avro_value_set_int(rv, 0) == 0;
        case AVRO_INT64:
                return avro_value_set_long(rv, 0) == 0;
        case AVRO_FLOAT:
                return avro_value_set_float(rv, 0) == 0;
        case AVRO_DOUBLE:
                return avro_value_set_double(rv, 0) == 0;
        case AVRO_STRING:
                return avro_value_set_string_len(rv, "", 1) == 0;
        case AVRO_BYTES:
                return avro_value_set_bytes(rv, (void *)(uintptr_t) "", 0) == 0;
        case AVRO_FIXED:
                if (!(b = calloc(1, (size_t)avro_schema_fixed_size(rs) + 1)))
                        return false;
                ok = avro_value_set_fixed(
                         rv, b, (size_t)avro_schema_fixed_size(rs)) == 0;
                free(b);
                return ok;
        case AVRO_ENUM:
                return avro_value_set_enum(rv, 0) == 0;
        case AVRO_ARRAY:
        case AVRO_MAP:
                return true; /* reset: empty */
        case AVRO_RECORD:
                for (size_t f = 0; f < avro_schema_record_size(rs); f++)
                        if (avro_value_get_by_index(rv, f, &child, NULL) != 0 ||
                            !cf_rdefault_zero(
                                avro_schema_record_field_get_by_index(rs,
                                                                      (int)f),
                                &child))
                                return false;
                return true;
        case AVRO_UNION:
                return avro_value_set_branch(rv, 0, &child) == 0 &&
                       cf_rdefault_zero(avro_schema_union_branch(rs, 0),
                                        &child);
        default:
                return false;
        }
}
