/* cspflow: cf_event_t <-> Avro generic values, walking the field tables.
 *
 * Field i of a table is field i of its record: cf_avro_new() proved it, so
 * no name is looked up per event. */
#include <stdio.h>
#include <string.h>

#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"
#include "framing.h"

/* ---- encoding ---- */

typedef struct enc_s {
        const cf_event_t *ev;
        char *errstr;
        size_t errstr_size;
} enc_t;

static cf_err_t enc_fail(enc_t *e, const char *field, const char *what) {
        cf_errstr_set(e->errstr, e->errstr_size, "%s %s: %s",
                      cf_event_type_name(e->ev->type), field, what);
        return CF_ERR_INVALID;
}

static cf_err_t avro_fail(enc_t *e, const char *field) {
        cf_errstr_set(e->errstr, e->errstr_size, "%s %s: avro-c: %s",
                      cf_event_type_name(e->ev->type), field, avro_strerror());
        return CF_ERR_INVALID;
}

static cf_err_t set_string(enc_t *e, const char *field, avro_value_t *v,
                           const char *s, size_t cap, bool required) {
        size_t n = cf_strnlen(s, cap + 1);

        if (n > cap)
                return enc_fail(e, field, "string over its cap");
        if (required && n == 0)
                return enc_fail(e, field, "required id is empty");
        if (avro_value_set_string_len(v, s, n + 1) != 0)
                return avro_fail(e, field);
        return CF_OK;
}

static cf_err_t set_fields(enc_t *e, const cf_field_t *fields, size_t n,
                           avro_value_t *rec, const void *base);

static cf_err_t set_field(enc_t *e, const cf_field_t *f, avro_value_t *v,
                          const void *base) {
        const cf_event_t *ev = e->ev;
        const void *p = cf_field_ptr(f, base);
        avro_value_t child;
        int rc = 0;

        switch (f->kind) {
        case CF_F_TYPE:
                rc = avro_value_set_string(v, cf_event_type_name(ev->type));
                break;
        case CF_F_ID:
                return set_string(e, f->name, v, p, CF_ID_MAX, true);
        case CF_F_TEXT:
                return set_string(e, f->name, v, p, CF_TEXT_MAX, false);
        case CF_F_OPT_ID:
                if (*(const char *)p == '\0')
                        rc = avro_value_set_branch(v, 0, &child) ||
                             avro_value_set_null(&child);
                else if (avro_value_set_branch(v, 1, &child) != 0)
                        rc = 1;
                else
                        return set_string(e, f->name, &child, p, CF_ID_MAX,
                                          false);
                break;
        case CF_F_INT:
                rc = avro_value_set_int(v, *(const int32_t *)p);
                break;
        case CF_F_BOOL:
                rc = avro_value_set_boolean(v, *(const bool *)p);
                break;
        case CF_F_TIME: {
                int64_t t = *(const int64_t *)p;
                if (t < CF_TIME_MIN || t > CF_TIME_MAX)
                        return enc_fail(e, f->name, "time out of range");
                rc = avro_value_set_long(v, t);
                break;
        }
        case CF_F_ENUM: {
                int32_t i = *(const int32_t *)p;
                if (i < 0 || (size_t)i >= f->enm->n)
                        return enc_fail(e, f->name,
                                        "enum value out of "
                                        "range");
                rc = avro_value_set_enum(v, i);
                break;
        }
        case CF_F_ROLES:
                if (ev->n_roles > CF_ROLES_MAX)
                        return enc_fail(e, f->name, "too many roles");
                for (size_t i = 0; i < ev->n_roles; i++) {
                        cf_err_t err;
                        if (avro_value_append(v, &child, NULL) != 0)
                                return avro_fail(e, f->name);
                        err = set_string(e, f->name, &child, ev->roles[i],
                                         CF_ID_MAX, false);
                        if (err != CF_OK)
                                return err;
                }
                break;
        case CF_F_ACTOR:
                return set_fields(e, f->record->fields, f->record->n_fields, v,
                                  ev);
        case CF_F_SUBS:
                if (ev->n_subs > CF_SUBS_MAX || (ev->n_subs && !ev->subs))
                        return enc_fail(e, f->name, "too many subscriptions");
                for (size_t i = 0; i < ev->n_subs; i++) {
                        cf_err_t err;
                        if (avro_value_append(v, &child, NULL) != 0)
                                return avro_fail(e, f->name);
                        err = set_fields(e, f->record->fields,
                                         f->record->n_fields, &child,
                                         &ev->subs[i]);
                        if (err != CF_OK)
                                return err;
                }
                break;
        }
        return rc ? avro_fail(e, f->name) : CF_OK;
}

static cf_err_t set_fields(enc_t *e, const cf_field_t *fields, size_t n,
                           avro_value_t *rec, const void *base) {
        for (size_t i = 0; i < n; i++) {
                avro_value_t v;
                cf_err_t err;
                if (avro_value_get_by_index(rec, i, &v, NULL) != 0)
                        return avro_fail(e, fields[i].name);
                if ((err = set_field(e, &fields[i], &v, base)) != CF_OK)
                        return err;
        }
        return CF_OK;
}

cf_err_t cf_avro_encode_event_body(cf_avro_t *av, const cf_event_t *ev,
                                   cf_buf_t *out, char *errstr,
                                   size_t errstr_size) {
        const cf_event_desc_t *d = cf_event_desc(ev->type);
        enc_t e = {ev, errstr, errstr_size};
        size_t mark = out->len;
        cf_avro_type_t *t;
        cf_err_t err;

        if (!d) {
                cf_errstr_set(errstr, errstr_size, "unknown event type %d",
                              (int)ev->type);
                return CF_ERR_INVALID;
        }
        t = &av->ev[ev->type];
        avro_value_reset(&t->value);
        err = set_fields(&e, d->fields, d->n_fields, &t->value, ev);
        if (err == CF_OK)
                err = cf_avro_write_value(av, t, out, errstr, errstr_size);
        if (err != CF_OK && out->data) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}

cf_err_t cf_avro_encode_event(cf_avro_t *av, const cf_event_t *ev,
                              cf_buf_t *out, char *errstr, size_t errstr_size) {
        size_t mark = out->len;
        cf_err_t err;

        if (!cf_event_desc(ev->type)) {
                cf_errstr_set(errstr, errstr_size, "unknown event type %d",
                              (int)ev->type);
                return CF_ERR_INVALID;
        }
        err = cf_framing_write_header(out, av->ev[ev->type].fingerprint);
        if (err != CF_OK) {
                cf_errstr_set(errstr, errstr_size, "%s",
                              err == CF_ERR_LIMIT ? "buffer cap reached"
                                                  : "out of memory");
                return err;
        }
        err = cf_avro_encode_event_body(av, ev, out, errstr, errstr_size);
        if (err != CF_OK) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}

/* ---- decoding ---- */

typedef struct dec_s {
        cf_event_t *ev;
        const char *parent; /* "actor", "source_subscriptions", or NULL */
        long index;         /* element of parent, or -1 */
        char *detail;
        size_t detail_size;
} dec_t;

static cf_reject_t dec_fail(dec_t *d, cf_reject_t r, const char *field,
                            const char *what) {
        if (d->parent && d->index >= 0)
                cf_errstr_set(d->detail, d->detail_size, "%s[%ld].%s: %s",
                              d->parent, d->index, field, what);
        else if (d->parent)
                cf_errstr_set(d->detail, d->detail_size, "%s.%s: %s", d->parent,
                              field, what);
        else
                cf_errstr_set(d->detail, d->detail_size, "%s: %s", field, what);
        return r;
}

static cf_reject_t get_string(dec_t *d, const char *field, avro_value_t *v,
                              char *dst, size_t cap, bool required) {
        const char *s = NULL;
        size_t size = 0;

        if (avro_value_get_string(v, &s, &size) != 0 || !s || size == 0)
                return dec_fail(d, CF_REJ_MALFORMED, field,
                                "not a readable string");
        size--; /* avro-c counts the NUL it added */
        if (size > cap)
                return dec_fail(d, CF_REJ_OVER_LIMIT, field,
                                "string over its cap");
        if (memchr(s, '\0', size))
                return dec_fail(d, CF_REJ_INVALID_VALUE, field,
                                "contains a NUL character");
        if (required && size == 0)
                return dec_fail(d, CF_REJ_INVALID_VALUE, field,
                                "must not be empty");
        memcpy(dst, s, size);
        dst[size] = '\0';
        return CF_REJ_NONE;
}

static cf_reject_t get_fields(dec_t *d, const cf_field_t *fields, size_t n,
                              avro_value_t *rec, void *base);

static cf_reject_t get_field(dec_t *d, const cf_field_t *f, avro_value_t *v,
                             void *base) {
        cf_event_t *ev = d->ev;
        void *p = cf_field_ptr(f, base);
        avro_value_t child;
        size_t n = 0;
        int64_t l = 0;
        int32_t i = 0;
        int b = 0;
        cf_reject_t r;

        switch (f->kind) {
        case CF_F_TYPE: {
                char name[CF_ID_MAX + 1];
                if ((r = get_string(d, f->name, v, name, CF_ID_MAX, true)) !=
                    CF_REJ_NONE)
                        return r;
                if (strcmp(name, cf_event_type_name(ev->type)) != 0)
                        return dec_fail(d, CF_REJ_INVALID_VALUE, f->name,
                                        "not the type of the record's "
                                        "schema");
                return CF_REJ_NONE;
        }
        case CF_F_ID:
                return get_string(d, f->name, v, p, CF_ID_MAX, true);
        case CF_F_TEXT:
                return get_string(d, f->name, v, p, CF_TEXT_MAX, false);
        case CF_F_OPT_ID:
                if (avro_value_get_discriminant(v, &b) != 0 ||
                    avro_value_get_current_branch(v, &child) != 0)
                        return dec_fail(d, CF_REJ_MALFORMED, f->name,
                                        "unreadable union");
                if (b == 0) {
                        *(char *)p = '\0';
                        return CF_REJ_NONE;
                }
                return get_string(d, f->name, &child, p, CF_ID_MAX, false);
        case CF_F_INT:
                if (avro_value_get_int(v, &i) != 0)
                        break;
                *(int32_t *)p = i;
                return CF_REJ_NONE;
        case CF_F_BOOL:
                if (avro_value_get_boolean(v, &b) != 0)
                        break;
                *(bool *)p = b != 0;
                return CF_REJ_NONE;
        case CF_F_TIME:
                if (avro_value_get_long(v, &l) != 0)
                        break;
                if (l < CF_TIME_MIN || l > CF_TIME_MAX)
                        return dec_fail(d, CF_REJ_INVALID_VALUE, f->name,
                                        "time outside years 0001..9999");
                *(int64_t *)p = l;
                return CF_REJ_NONE;
        case CF_F_ENUM:
                if (avro_value_get_enum(v, &b) != 0)
                        break;
                if (b < 0 || (size_t)b >= f->enm->n)
                        return dec_fail(d, CF_REJ_MALFORMED, f->name,
                                        "enum index out of range");
                *(int32_t *)p = b;
                return CF_REJ_NONE;
        case CF_F_ROLES:
                if (avro_value_get_size(v, &n) != 0)
                        break;
                if (n > CF_ROLES_MAX)
                        return dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                        "too many roles");
                for (size_t k = 0; k < n; k++) {
                        if (avro_value_get_by_index(v, k, &child, NULL) != 0)
                                return dec_fail(d, CF_REJ_MALFORMED, f->name,
                                                "unreadable role");
                        r = get_string(d, f->name, &child, ev->roles[k],
                                       CF_ID_MAX, false);
                        if (r != CF_REJ_NONE)
                                return r;
                }
                ev->n_roles = n;
                return CF_REJ_NONE;
        case CF_F_ACTOR: {
                dec_t sub = *d;
                sub.parent = f->name;
                sub.index = -1;
                return get_fields(&sub, f->record->fields, f->record->n_fields,
                                  v, ev);
        }
        case CF_F_SUBS:
                if (avro_value_get_size(v, &n) != 0)
                        break;
                if (n > CF_SUBS_MAX)
                        return dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                        "too many subscriptions");
                if (!cf_event_subs_reserve(ev, n))
                        return dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                        "out of memory");
                if (n)
                        memset(ev->subs, 0, n * sizeof(*ev->subs));
                for (size_t k = 0; k < n; k++) {
                        dec_t sub = *d;
                        sub.parent = f->name;
                        sub.index = (long)k;
                        if (avro_value_get_by_index(v, k, &child, NULL) != 0)
                                return dec_fail(d, CF_REJ_MALFORMED, f->name,
                                                "unreadable element");
                        r = get_fields(&sub, f->record->fields,
                                       f->record->n_fields, &child,
                                       &ev->subs[k]);
                        if (r != CF_REJ_NONE)
                                return r;
                }
                ev->n_subs = n;
                return CF_REJ_NONE;
        }
        return dec_fail(d, CF_REJ_MALFORMED, f->name, "unreadable value");
}

static cf_reject_t get_fields(dec_t *d, const cf_field_t *fields, size_t n,
                              avro_value_t *rec, void *base) {
        for (size_t i = 0; i < n; i++) {
                avro_value_t v;
                cf_reject_t r;
                if (avro_value_get_by_index(rec, i, &v, NULL) != 0)
                        return dec_fail(d, CF_REJ_MALFORMED, fields[i].name,
                                        "missing from the record");
                if ((r = get_field(d, &fields[i], &v, base)) != CF_REJ_NONE)
                        return r;
        }
        return CF_REJ_NONE;
}

cf_reject_t cf_avro_event_from_value(cf_avro_t *av, cf_event_type_t type,
                                     cf_event_t *ev, char *detail,
                                     size_t detail_size) {
        const cf_event_desc_t *desc = cf_event_desc(type);
        dec_t d = {ev, NULL, -1, detail, detail_size};
        cf_reject_t r;

        ev->type = type;
        r = get_fields(&d, desc->fields, desc->n_fields, &av->ev[type].value,
                       ev);
        if (r != CF_REJ_NONE) {
                /* keep event_id (read first) so the DLQ can name it */
                char id[CF_ID_MAX + 1];
                cf_strlcpy(id, ev->event_id, sizeof(id));
                cf_event_reset(ev);
                cf_strlcpy(ev->event_id, id, sizeof(ev->event_id));
        }
        return r;
}

cf_reject_t cf_avro_decode_event_body(cf_avro_t *av, cf_event_type_t type,
                                      const void *data, size_t len,
                                      cf_event_t *ev, char *detail,
                                      size_t detail_size) {
        cf_reject_t r;

        cf_event_reset(ev);
        if (!cf_event_desc(type)) {
                cf_errstr_set(detail, detail_size, "unknown event type %d",
                              (int)type);
                return CF_REJ_UNKNOWN_TYPE;
        }
        r = cf_avro_read_value(av, &av->ev[type], data, len, detail,
                               detail_size);
        if (r != CF_REJ_NONE)
                return r;
        return cf_avro_event_from_value(av, type, ev, detail, detail_size);
}

cf_reject_t cf_avro_decode_event(cf_avro_t *av, const void *data, size_t len,
                                 cf_event_t *ev, char *detail,
                                 size_t detail_size) {
        const uint8_t *body = NULL;
        size_t body_len = 0;
        uint64_t fp = 0;
        cf_event_type_t type;
        cf_reject_t r;

        cf_event_reset(ev);
        r = cf_framing_parse(data, len, &fp, &body, &body_len, detail,
                             detail_size);
        if (r != CF_REJ_NONE)
                return r;
        type = cf_avro_type_for_fingerprint(av, fp);
        if (type == CF_EV_NONE) {
                cf_errstr_set(detail, detail_size,
                              "no schema with fingerprint %016llx%s",
                              (unsigned long long)fp,
                              fp == av->state.fingerprint
                                  ? " for an event (it is the state's)"
                                  : "");
                return CF_REJ_UNKNOWN_SCHEMA;
        }
        return cf_avro_decode_event_body(av, type, body, body_len, ev, detail,
                                         detail_size);
}
