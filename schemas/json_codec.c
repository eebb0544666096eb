#include "json_codec.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/cf_time.h"
#include "common/error.h"
#include "common/strutil.h"

/* Where a field sits, for error details: "source_subscriptions[2].quantity". */
typedef struct path_s {
        const char *parent;
        long index; /* -1: none */
} path_t;

static void fail(char *detail, size_t size, const path_t *p, const char *field,
                 const char *what) {
        if (p && p->parent && p->index >= 0)
                cf_errstr_set(detail, size, "%s[%ld].%s: %s", p->parent,
                              p->index, field, what);
        else if (p && p->parent)
                cf_errstr_set(detail, size, "%s.%s: %s", p->parent, field,
                              what);
        else
                cf_errstr_set(detail, size, "%s: %s", field, what);
}

/* Copies a JSON string into a bounded buffer; refuses embedded NULs. */
static cf_reject_t take_string(json_t *v, char *dst, size_t cap, bool non_empty,
                               const path_t *p, const char *name, char *detail,
                               size_t dsz) {
        size_t n;
        char what[64];
        if (!json_is_string(v)) {
                fail(detail, dsz, p, name, "expected a string");
                return CF_REJ_WRONG_TYPE;
        }
        n = json_string_length(v);
        if (n > cap) {
                snprintf(what, sizeof(what), "longer than %zu bytes", cap);
                fail(detail, dsz, p, name, what);
                return CF_REJ_OVER_LIMIT;
        }
        if (memchr(json_string_value(v), '\0', n)) {
                fail(detail, dsz, p, name, "contains a NUL character");
                return CF_REJ_INVALID_VALUE;
        }
        if (non_empty && n == 0) {
                fail(detail, dsz, p, name, "must not be empty");
                return CF_REJ_INVALID_VALUE;
        }
        memcpy(dst, json_string_value(v), n);
        dst[n] = '\0';
        return CF_REJ_NONE;
}

static cf_reject_t decode_fields(const cf_field_t *fields, size_t n,
                                 json_t *obj, cf_event_t *ev, void *base,
                                 const path_t *p, char *detail, size_t dsz);

static cf_reject_t decode_field(const cf_field_t *f, json_t *v, cf_event_t *ev,
                                void *base, const path_t *p, char *detail,
                                size_t dsz) {
        void *dst = cf_field_ptr(f, base);
        char what[96];

        if (f->kind == CF_F_TYPE)
                return CF_REJ_NONE; /* decoded first, by the caller */
        if (f->kind == CF_F_OPT_ID && (!v || json_is_null(v))) {
                *(char *)dst = '\0';
                return CF_REJ_NONE;
        }
        if (!v) {
                fail(detail, dsz, p, f->name, "missing");
                return CF_REJ_MISSING_FIELD;
        }
        switch (f->kind) {
        case CF_F_ID:
                return take_string(v, dst, CF_ID_MAX, true, p, f->name, detail,
                                   dsz);
        case CF_F_OPT_ID:
                return take_string(v, dst, CF_ID_MAX, false, p, f->name, detail,
                                   dsz);
        case CF_F_TEXT:
                return take_string(v, dst, CF_TEXT_MAX, false, p, f->name,
                                   detail, dsz);
        case CF_F_INT: {
                json_int_t i;
                if (!json_is_integer(v)) {
                        fail(detail, dsz, p, f->name, "expected an integer");
                        return CF_REJ_WRONG_TYPE;
                }
                i = json_integer_value(v);
                if (i < INT32_MIN || i > INT32_MAX) {
                        fail(detail, dsz, p, f->name,
                             "out of the 32-bit integer range");
                        return CF_REJ_INVALID_VALUE;
                }
                *(int32_t *)dst = (int32_t)i;
                return CF_REJ_NONE;
        }
        case CF_F_BOOL:
                if (!json_is_boolean(v)) {
                        fail(detail, dsz, p, f->name, "expected a boolean");
                        return CF_REJ_WRONG_TYPE;
                }
                *(bool *)dst = json_is_true(v);
                return CF_REJ_NONE;
        case CF_F_TIME:
                if (!json_is_string(v)) {
                        fail(detail, dsz, p, f->name, "expected a time string");
                        return CF_REJ_WRONG_TYPE;
                }
                if (!cf_time_parse(json_string_value(v), (int64_t *)dst)) {
                        fail(detail, dsz, p, f->name,
                             "not a UTC time YYYY-MM-DDTHH:MM:SS[.sss]Z");
                        return CF_REJ_INVALID_VALUE;
                }
                return CF_REJ_NONE;
        case CF_F_ENUM: {
                int idx;
                if (!json_is_string(v)) {
                        fail(detail, dsz, p, f->name, "expected a string");
                        return CF_REJ_WRONG_TYPE;
                }
                idx = cf_enum_index(f->enm, json_string_value(v));
                if (idx < 0) {
                        snprintf(what, sizeof(what), "not a %s symbol",
                                 f->enm->name);
                        fail(detail, dsz, p, f->name, what);
                        return CF_REJ_INVALID_VALUE;
                }
                *(int32_t *)dst = idx;
                return CF_REJ_NONE;
        }
        case CF_F_ROLES: {
                size_t i, n;
                if (!json_is_array(v)) {
                        fail(detail, dsz, p, f->name, "expected an array");
                        return CF_REJ_WRONG_TYPE;
                }
                n = json_array_size(v);
                if (n > CF_ROLES_MAX) {
                        snprintf(what, sizeof(what), "more than %d roles",
                                 CF_ROLES_MAX);
                        fail(detail, dsz, p, f->name, what);
                        return CF_REJ_OVER_LIMIT;
                }
                for (i = 0; i < n; i++) {
                        cf_reject_t r;
                        char idx[32];
                        snprintf(idx, sizeof(idx), "%zu", i);
                        r = take_string(json_array_get(v, i), ev->roles[i],
                                        CF_ID_MAX, false, NULL, idx, what,
                                        sizeof(what));
                        if (r != CF_REJ_NONE) {
                                fail(detail, dsz, p, f->name, what);
                                return r;
                        }
                }
                ev->n_roles = n;
                return CF_REJ_NONE;
        }
        case CF_F_ACTOR: {
                path_t ap = {f->name, -1};
                if (!json_is_object(v)) {
                        fail(detail, dsz, p, f->name, "expected an object");
                        return CF_REJ_WRONG_TYPE;
                }
                return decode_fields(f->record->fields, f->record->n_fields, v,
                                     ev, ev, &ap, detail, dsz);
        }
        case CF_F_SUBS: {
                size_t i, n;
                if (!json_is_array(v)) {
                        fail(detail, dsz, p, f->name, "expected an array");
                        return CF_REJ_WRONG_TYPE;
                }
                n = json_array_size(v);
                if (n > CF_SUBS_MAX) {
                        snprintf(what, sizeof(what),
                                 "more than %d subscriptions", CF_SUBS_MAX);
                        fail(detail, dsz, p, f->name, what);
                        return CF_REJ_OVER_LIMIT;
                }
                if (!cf_event_subs_reserve(ev, n)) {
                        fail(detail, dsz, p, f->name, "out of memory");
                        return CF_REJ_OVER_LIMIT;
                }
                if (n)
                        memset(ev->subs, 0, n * sizeof(*ev->subs));
                for (i = 0; i < n; i++) {
                        json_t *el = json_array_get(v, i);
                        path_t sp = {f->name, (long)i};
                        cf_reject_t r;
                        if (!json_is_object(el)) {
                                snprintf(what, sizeof(what),
                                         "element %zu: expected an object", i);
                                fail(detail, dsz, p, f->name, what);
                                return CF_REJ_WRONG_TYPE;
                        }
                        r = decode_fields(f->record->fields,
                                          f->record->n_fields, el, ev,
                                          &ev->subs[i], &sp, detail, dsz);
                        if (r != CF_REJ_NONE)
                                return r;
                }
                ev->n_subs = n;
                return CF_REJ_NONE;
        }
        case CF_F_TYPE:
                break;
        }
        fail(detail, dsz, p, f->name, "unsupported field kind");
        return CF_REJ_MALFORMED;
}

static cf_reject_t decode_fields(const cf_field_t *fields, size_t n,
                                 json_t *obj, cf_event_t *ev, void *base,
                                 const path_t *p, char *detail, size_t dsz) {
        for (size_t i = 0; i < n; i++) {
                cf_reject_t r = decode_field(
                    &fields[i], json_object_get(obj, fields[i].name), ev, base,
                    p, detail, dsz);
                if (r != CF_REJ_NONE)
                        return r;
        }
        return CF_REJ_NONE;
}

cf_reject_t cf_json_decode_event(const char *text, size_t len, cf_event_t *ev,
                                 char *detail, size_t detail_size) {
        json_error_t jerr;
        json_t *root, *v;
        const cf_event_desc_t *d;
        cf_reject_t r;

        cf_event_reset(ev);
        root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                          &jerr);
        if (!root) {
                cf_errstr_set(detail, detail_size,
                              "invalid JSON at column %d: %s", jerr.column,
                              jerr.text);
                return CF_REJ_MALFORMED;
        }
        if (!json_is_object(root)) {
                cf_errstr_set(detail, detail_size, "not a JSON object");
                json_decref(root);
                return CF_REJ_MALFORMED;
        }
        v = json_object_get(root, "event_id");
        if (json_is_string(v) && json_string_length(v) <= CF_ID_MAX &&
            !memchr(json_string_value(v), '\0', json_string_length(v)))
                cf_strlcpy(ev->event_id, json_string_value(v),
                           sizeof(ev->event_id));
        v = json_object_get(root, "type");
        if (!v) {
                cf_errstr_set(detail, detail_size, "type: missing");
                json_decref(root);
                return CF_REJ_MISSING_FIELD;
        }
        if (!json_is_string(v)) {
                cf_errstr_set(detail, detail_size, "type: expected a string");
                json_decref(root);
                return CF_REJ_WRONG_TYPE;
        }
        ev->type = cf_event_type_from_name(json_string_value(v));
        if (!(d = cf_event_desc(ev->type))) {
                char name[CF_ID_MAX + 1];
                cf_strlcpy(name, json_string_value(v), sizeof(name));
                cf_errstr_set(detail, detail_size,
                              "type: \"%s\" is not an event type", name);
                json_decref(root);
                return CF_REJ_UNKNOWN_TYPE;
        }
        r = decode_fields(d->fields, d->n_fields, root, ev, ev, NULL, detail,
                          detail_size);
        json_decref(root);
        return r;
}

/* ---- encoding ---- */

static json_t *encode_fields(const cf_field_t *fields, size_t n,
                             const cf_event_t *ev, const void *base,
                             json_t *obj);

static int put(json_t *obj, const char *name, json_t *v) {
        return v ? json_object_set_new(obj, name, v) : -1;
}

static int encode_field(const cf_field_t *f, const cf_event_t *ev,
                        const void *base, json_t *obj) {
        const void *src = cf_field_ptr(f, base);
        char ts[CF_TIME_STR_SIZE];

        switch (f->kind) {
        case CF_F_TYPE:
                return put(obj, f->name,
                           json_string(cf_event_type_name(ev->type)));
        case CF_F_OPT_ID:
                if (!*(const char *)src)
                        return 0;
                /* fall through */
        case CF_F_ID:
        case CF_F_TEXT:
                return put(obj, f->name, json_string((const char *)src));
        case CF_F_INT:
                return put(obj, f->name, json_integer(*(const int32_t *)src));
        case CF_F_BOOL:
                return put(obj, f->name, json_boolean(*(const bool *)src));
        case CF_F_TIME:
                if (!cf_time_format(*(const int64_t *)src, ts, sizeof(ts)))
                        return -1;
                return put(obj, f->name, json_string(ts));
        case CF_F_ENUM: {
                int32_t i = *(const int32_t *)src;
                if (i < 0 || (size_t)i >= f->enm->n)
                        return -1;
                return put(obj, f->name, json_string(f->enm->symbols[i]));
        }
        case CF_F_ROLES: {
                json_t *a = json_array();
                for (size_t i = 0; a && i < ev->n_roles; i++)
                        if (json_array_append_new(a, json_string(ev->roles[i])))
                                return json_decref(a), -1;
                return put(obj, f->name, a);
        }
        case CF_F_ACTOR: {
                json_t *o = json_object();
                if (!o || !encode_fields(f->record->fields, f->record->n_fields,
                                         ev, ev, o))
                        return json_decref(o), -1;
                return put(obj, f->name, o);
        }
        case CF_F_SUBS: {
                json_t *a = json_array();
                for (size_t i = 0; a && i < ev->n_subs; i++) {
                        json_t *o = json_object();
                        if (!o ||
                            !encode_fields(f->record->fields,
                                           f->record->n_fields, ev,
                                           &ev->subs[i], o) ||
                            json_array_append_new(a, o)) {
                                json_decref(o);
                                json_decref(a);
                                return -1;
                        }
                }
                return put(obj, f->name, a);
        }
        }
        return -1;
}

/* Returns obj, or NULL (obj then still the caller's to free). */
static json_t *encode_fields(const cf_field_t *fields, size_t n,
                             const cf_event_t *ev, const void *base,
                             json_t *obj) {
        for (size_t i = 0; i < n; i++)
                if (encode_field(&fields[i], ev, base, obj) != 0)
                        return NULL;
        return obj;
}

char *cf_json_encode_event(const cf_event_t *ev) {
        const cf_event_desc_t *d = cf_event_desc(ev->type);
        json_t *obj;
        char *s = NULL;
        if (!d || !(obj = json_object()))
                return NULL;
        if (encode_fields(d->fields, d->n_fields, ev, ev, obj))
                s = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        return s;
}
