/* cspflow: cf_event_t <-> the Avro binary encoding, walking the field
 * tables (cf_event_t from a generic value, for schema resolution, is in
 * avro_event_value.c).
 *
 * Field i of a table is field i of its record: cf_avro_new() proved it, so
 * no name is looked up per event. */
#include <stdio.h>
#include <string.h>

#include "avro_bin.h"
#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"
#include "framing.h"

/* ---- encoding ----
 * Every field is capped, so room for the whole record is reserved at once
 * (fields_room) and the fields are written through e->p. */

typedef struct enc_s {
        const cf_event_t *ev;
        uint8_t *p; /* the write position, within the room reserved */
        char *errstr;
        size_t errstr_size;
} enc_t;

static cf_err_t enc_fail(enc_t *e, const char *field, const char *what) {
        cf_errstr_set(e->errstr, e->errstr_size, "%s %s: %s",
                      cf_event_type_name(e->ev->type), field, what);
        return CF_ERR_INVALID;
}

#define NUM_ROOM 10
#define ID_ROOM  CF_AVRO_STR_ROOM(CF_ID_MAX)

/* Most bytes the fields take for ev (arrays: at most their caps). */
static size_t fields_room(const cf_event_t *ev, const cf_field_t *fields,
                          size_t n) {
        size_t room = 0;
        for (size_t i = 0; i < n; i++) {
                const cf_field_t *f = &fields[i];
                size_t k;
                switch (f->kind) {
                case CF_F_TEXT:
                        room += CF_AVRO_STR_ROOM(CF_TEXT_MAX);
                        break;
                case CF_F_TYPE:
                case CF_F_ID:
                case CF_F_OPT_ID:
                        room += 1 + ID_ROOM;
                        break;
                case CF_F_ROLES:
                        k = ev->n_roles < CF_ROLES_MAX ? ev->n_roles
                                                       : CF_ROLES_MAX;
                        room += 2 * NUM_ROOM + k * ID_ROOM;
                        break;
                case CF_F_ACTOR:
                        room += fields_room(ev, f->record->fields,
                                            f->record->n_fields);
                        break;
                case CF_F_SUBS:
                        k = ev->n_subs < CF_SUBS_MAX ? ev->n_subs : CF_SUBS_MAX;
                        room += 2 * NUM_ROOM +
                                k * fields_room(ev, f->record->fields,
                                                f->record->n_fields);
                        break;
                default: /* INT, BOOL, TIME, ENUM */
                        room += NUM_ROOM;
                        break;
                }
        }
        return room;
}

static cf_err_t put_string(enc_t *e, const char *field, const char *s,
                           size_t cap, bool required) {
        size_t n = cf_strnlen(s, cap + 1);

        if (n > cap)
                return enc_fail(e, field, "string over its cap");
        if (required && n == 0)
                return enc_fail(e, field, "required id is empty");
        e->p = cf_avro_w_bytes(e->p, s, n);
        return CF_OK;
}

static cf_err_t put_fields(enc_t *e, const cf_field_t *fields, size_t n,
                           const void *base);

static cf_err_t put_field(enc_t *e, const cf_field_t *f, const void *base) {
        const cf_event_t *ev = e->ev;
        const void *p = cf_field_ptr(f, base);
        const char *name;
        cf_err_t err;

        switch (f->kind) {
        case CF_F_TYPE:
                name = cf_event_type_name(ev->type);
                e->p = cf_avro_w_bytes(e->p, name, strlen(name));
                return CF_OK;
        case CF_F_ID:
                return put_string(e, f->name, p, CF_ID_MAX, true);
        case CF_F_TEXT:
                return put_string(e, f->name, p, CF_TEXT_MAX, false);
        case CF_F_OPT_ID:
                if (*(const char *)p == '\0') {
                        *e->p++ = 0;
                        return CF_OK;
                }
                *e->p++ = 2; /* branch 1, zig-zag */
                return put_string(e, f->name, p, CF_ID_MAX, false);
        case CF_F_INT:
                e->p = cf_avro_w_long(e->p, *(const int32_t *)p);
                return CF_OK;
        case CF_F_BOOL:
                *e->p++ = *(const bool *)p ? 1 : 0;
                return CF_OK;
        case CF_F_TIME: {
                int64_t t = *(const int64_t *)p;
                if (t < CF_TIME_MIN || t > CF_TIME_MAX)
                        return enc_fail(e, f->name, "time out of range");
                e->p = cf_avro_w_long(e->p, t);
                return CF_OK;
        }
        case CF_F_ENUM: {
                int32_t i = *(const int32_t *)p;
                if (i < 0 || (size_t)i >= f->enm->n)
                        return enc_fail(e, f->name,
                                        "enum value out of "
                                        "range");
                e->p = cf_avro_w_long(e->p, i);
                return CF_OK;
        }
        case CF_F_ROLES:
                if (ev->n_roles > CF_ROLES_MAX)
                        return enc_fail(e, f->name, "too many roles");
                if (ev->n_roles > 0)
                        e->p = cf_avro_w_long(e->p, (int64_t)ev->n_roles);
                for (size_t i = 0; i < ev->n_roles; i++)
                        if ((err = put_string(e, f->name, ev->roles[i],
                                              CF_ID_MAX, false)) != CF_OK)
                                return err;
                *e->p++ = 0;
                return CF_OK;
        case CF_F_ACTOR:
                return put_fields(e, f->record->fields, f->record->n_fields,
                                  ev);
        case CF_F_SUBS:
                if (ev->n_subs > CF_SUBS_MAX || (ev->n_subs && !ev->subs))
                        return enc_fail(e, f->name, "too many subscriptions");
                if (ev->n_subs > 0)
                        e->p = cf_avro_w_long(e->p, (int64_t)ev->n_subs);
                for (size_t i = 0; i < ev->n_subs; i++)
                        if ((err = put_fields(e, f->record->fields,
                                              f->record->n_fields,
                                              &ev->subs[i])) != CF_OK)
                                return err;
                *e->p++ = 0;
                return CF_OK;
        }
        return enc_fail(e, f->name, "unknown field kind");
}

static cf_err_t put_fields(enc_t *e, const cf_field_t *fields, size_t n,
                           const void *base) {
        for (size_t i = 0; i < n; i++) {
                cf_err_t err = put_field(e, &fields[i], base);
                if (err != CF_OK)
                        return err;
        }
        return CF_OK;
}

cf_err_t cf_avro_encode_event_body(cf_avro_t *av, const cf_event_t *ev,
                                   cf_buf_t *out, char *errstr,
                                   size_t errstr_size) {
        const cf_event_desc_t *d = cf_event_desc(ev->type);
        enc_t e = {ev, NULL, errstr, errstr_size};
        size_t mark = out->len;
        cf_err_t err;

        (void)av; /* the layout is the table's, checked by cf_avro_new() */
        if (!d) {
                cf_errstr_set(errstr, errstr_size, "unknown event type %d",
                              (int)ev->type);
                return CF_ERR_INVALID;
        }
        err = cf_buf_reserve(out, fields_room(ev, d->fields, d->n_fields));
        if (err != CF_OK) {
                cf_errstr_set(
                    errstr, errstr_size, "%s: %s", cf_event_type_name(ev->type),
                    err == CF_ERR_LIMIT ? "encoded record over the buffer's cap"
                                        : "out of memory");
                return err;
        }
        e.p = out->data + out->len;
        err = put_fields(&e, d->fields, d->n_fields, ev);
        if (err == CF_OK)
                cf_avro_w_commit(out, e.p);
        else
                out->data[mark] = '\0';
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

cf_reject_t cf_avro_dec_fail(cf_avro_dec_t *d, cf_reject_t r, const char *field,
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

cf_reject_t cf_avro_dec_string(cf_avro_dec_t *d, const char *field,
                               const char *s, size_t size, char *dst,
                               size_t cap, bool required) {
        if (size > cap)
                return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, field,
                                        "string over its cap");
        if (memchr(s, '\0', size))
                return cf_avro_dec_fail(d, CF_REJ_INVALID_VALUE, field,
                                        "contains a NUL character");
        if (required && size == 0)
                return cf_avro_dec_fail(d, CF_REJ_INVALID_VALUE, field,
                                        "must not be empty");
        memcpy(dst, s, size);
        dst[size] = '\0';
        return CF_REJ_NONE;
}

static cf_reject_t unreadable(cf_avro_dec_t *d, const char *field) {
        return cf_avro_dec_fail(d, CF_REJ_MALFORMED, field, "unreadable value");
}

cf_reject_t cf_avro_dec_type(cf_avro_dec_t *d, const cf_field_t *f,
                             const char *s, size_t size) {
        char name[CF_ID_MAX + 1];
        cf_reject_t r =
            cf_avro_dec_string(d, f->name, s, size, name, CF_ID_MAX, true);
        if (r != CF_REJ_NONE)
                return r;
        if (strcmp(name, cf_event_type_name(d->ev->type)) != 0)
                return cf_avro_dec_fail(d, CF_REJ_INVALID_VALUE, f->name,
                                        "not the type of the record's "
                                        "schema");
        return CF_REJ_NONE;
}

cf_reject_t cf_avro_dec_time(cf_avro_dec_t *d, const cf_field_t *f, int64_t v,
                             void *p) {
        if (v < CF_TIME_MIN || v > CF_TIME_MAX)
                return cf_avro_dec_fail(d, CF_REJ_INVALID_VALUE, f->name,
                                        "time outside years 0001..9999");
        *(int64_t *)p = v;
        return CF_REJ_NONE;
}

cf_reject_t cf_avro_dec_enum(cf_avro_dec_t *d, const cf_field_t *f, int64_t v,
                             void *p) {
        if (v < 0 || (uint64_t)v >= f->enm->n)
                return cf_avro_dec_fail(d, CF_REJ_MALFORMED, f->name,
                                        "enum index out of range");
        *(int32_t *)p = (int32_t)v;
        return CF_REJ_NONE;
}

static cf_reject_t get_string(cf_avro_dec_t *d, cf_avro_rd_t *rd,
                              const char *field, char *dst, size_t cap,
                              bool required) {
        const char *s;
        size_t size;

        cf_avro_rd_string(rd, &s, &size);
        if (!rd->ok)
                return cf_avro_dec_fail(d, CF_REJ_MALFORMED, field,
                                        "not a readable string");
        return cf_avro_dec_string(d, field, s, size, dst, cap, required);
}

static cf_reject_t get_fields(cf_avro_dec_t *d, cf_avro_rd_t *rd,
                              const cf_field_t *fields, size_t n, void *base);

static cf_reject_t get_roles(cf_avro_dec_t *d, cf_avro_rd_t *rd,
                             const cf_field_t *f) {
        cf_event_t *ev = d->ev;
        size_t n = 0;
        int64_t block;
        cf_reject_t r;

        while ((block = cf_avro_rd_block(rd)) > 0) {
                if ((uint64_t)block > CF_ROLES_MAX - n)
                        return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                                "too many roles");
                for (int64_t k = 0; k < block; k++, n++)
                        if ((r = get_string(d, rd, f->name, ev->roles[n],
                                            CF_ID_MAX, false)) != CF_REJ_NONE)
                                return r;
        }
        if (!rd->ok)
                return unreadable(d, f->name);
        ev->n_roles = n;
        return CF_REJ_NONE;
}

static cf_reject_t get_subs(cf_avro_dec_t *d, cf_avro_rd_t *rd,
                            const cf_field_t *f) {
        cf_event_t *ev = d->ev;
        size_t n = 0;
        int64_t block;
        cf_reject_t r;

        while ((block = cf_avro_rd_block(rd)) > 0) {
                if ((uint64_t)block > CF_SUBS_MAX - n)
                        return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                                "too many subscriptions");
                if (!cf_event_subs_reserve(ev, n + (size_t)block))
                        return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                                "out of memory");
                memset(ev->subs + n, 0, (size_t)block * sizeof(*ev->subs));
                for (int64_t k = 0; k < block; k++, n++) {
                        cf_avro_dec_t sub = *d;
                        sub.parent = f->name;
                        sub.index = (long)n;
                        r = get_fields(&sub, rd, f->record->fields,
                                       f->record->n_fields, &ev->subs[n]);
                        if (r != CF_REJ_NONE)
                                return r;
                }
        }
        if (!rd->ok)
                return unreadable(d, f->name);
        ev->n_subs = n;
        return CF_REJ_NONE;
}

static cf_reject_t get_field(cf_avro_dec_t *d, cf_avro_rd_t *rd,
                             const cf_field_t *f, void *base) {
        cf_event_t *ev = d->ev;
        void *p = cf_field_ptr(f, base);
        int64_t l;

        switch (f->kind) {
        case CF_F_TYPE: {
                const char *name;
                size_t size;
                cf_avro_rd_string(rd, &name, &size);
                if (!rd->ok)
                        return cf_avro_dec_fail(d, CF_REJ_MALFORMED, f->name,
                                                "not a readable string");
                return cf_avro_dec_type(d, f, name, size);
        }
        case CF_F_ID:
                return get_string(d, rd, f->name, p, CF_ID_MAX, true);
        case CF_F_TEXT:
                return get_string(d, rd, f->name, p, CF_TEXT_MAX, false);
        case CF_F_OPT_ID:
                l = cf_avro_rd_long(rd);
                if (!rd->ok || (l != 0 && l != 1))
                        return cf_avro_dec_fail(d, CF_REJ_MALFORMED, f->name,
                                                "unreadable union");
                if (l == 0) {
                        *(char *)p = '\0';
                        return CF_REJ_NONE;
                }
                return get_string(d, rd, f->name, p, CF_ID_MAX, false);
        case CF_F_INT:
                *(int32_t *)p = cf_avro_rd_int(rd);
                return rd->ok ? CF_REJ_NONE : unreadable(d, f->name);
        case CF_F_BOOL:
                *(bool *)p = cf_avro_rd_bool(rd);
                return rd->ok ? CF_REJ_NONE : unreadable(d, f->name);
        case CF_F_TIME:
                l = cf_avro_rd_long(rd);
                return rd->ok ? cf_avro_dec_time(d, f, l, p)
                              : unreadable(d, f->name);
        case CF_F_ENUM:
                l = cf_avro_rd_long(rd);
                return rd->ok ? cf_avro_dec_enum(d, f, l, p)
                              : unreadable(d, f->name);
        case CF_F_ROLES:
                return get_roles(d, rd, f);
        case CF_F_ACTOR: {
                cf_avro_dec_t sub = *d;
                sub.parent = f->name;
                sub.index = -1;
                return get_fields(&sub, rd, f->record->fields,
                                  f->record->n_fields, ev);
        }
        case CF_F_SUBS:
                return get_subs(d, rd, f);
        }
        return unreadable(d, f->name);
}

static cf_reject_t get_fields(cf_avro_dec_t *d, cf_avro_rd_t *rd,
                              const cf_field_t *fields, size_t n, void *base) {
        for (size_t i = 0; i < n; i++) {
                cf_reject_t r = get_field(d, rd, &fields[i], base);
                if (r != CF_REJ_NONE)
                        return r;
        }
        return CF_REJ_NONE;
}

cf_reject_t cf_avro_decode_event_body(cf_avro_t *av, cf_event_type_t type,
                                      const void *data, size_t len,
                                      cf_event_t *ev, char *detail,
                                      size_t detail_size) {
        const cf_event_desc_t *desc = cf_event_desc(type);
        cf_avro_dec_t d = {ev, NULL, -1, detail, detail_size};
        cf_avro_rd_t rd;
        cf_reject_t r, shape;

        cf_event_reset(ev);
        if (!desc) {
                cf_errstr_set(detail, detail_size, "unknown event type %d",
                              (int)type);
                return CF_REJ_UNKNOWN_TYPE;
        }
        /* One pass over a good body. On any failure the bounds check runs
         * over the whole body: a fault of its shape is reported first (and
         * the event is left empty), as when it ran before every decode;
         * else the first fault the decoder met, in field order. */
        ev->type = type;
        cf_avro_rd_init(&rd, data, len);
        r = CF_REJ_MALFORMED;
        if (len <= CF_RECORD_MAX) {
                r = get_fields(&d, &rd, desc->fields, desc->n_fields, ev);
                if (r == CF_REJ_NONE && rd.p == rd.end)
                        return CF_REJ_NONE;
        }
        shape =
            cf_avro_check_body(&av->ev[type], data, len, detail, detail_size);
        if (shape != CF_REJ_NONE) {
                cf_event_reset(ev);
                return shape;
        }
        if (r == CF_REJ_NONE) { /* the bounds check found no fault */
                cf_errstr_set(detail, detail_size, "unreadable body");
                r = CF_REJ_MALFORMED;
        }
        {
                /* keep event_id (read first) so the DLQ can name it */
                char id[CF_ID_MAX + 1];
                cf_strlcpy(id, ev->event_id, sizeof(id));
                cf_event_reset(ev);
                cf_strlcpy(ev->event_id, id, sizeof(ev->event_id));
        }
        return r;
}

cf_reject_t cf_avro_decode_event(cf_avro_t *av, const void *data, size_t len,
                                 cf_event_t *ev, char *detail,
                                 size_t detail_size) {
        const uint8_t *body = NULL;
        size_t body_len = 0;
        uint64_t fp = 0;
        cf_event_type_t type;
        cf_reject_t r;

        /* the body's decoder resets ev; the other ways out do it here */
        r = cf_framing_parse(data, len, &fp, &body, &body_len, detail,
                             detail_size);
        if (r != CF_REJ_NONE) {
                cf_event_reset(ev);
                return r;
        }
        type = cf_avro_type_for_fingerprint(av, fp);
        if (type == CF_EV_NONE) {
                cf_event_reset(ev);
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
