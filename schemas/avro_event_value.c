/* cspflow: cf_event_t from a generic avro-c value: what schema resolution
 * (resolve.c) fills for a body of another writer schema. The same caps,
 * checks and rejects as the body decoder of avro_event.c (the shared
 * helpers of avro_int.h), in field order. */
#include <string.h>

#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"

static cf_reject_t get_string(cf_avro_dec_t *d, const char *field,
                              avro_value_t *v, char *dst, size_t cap,
                              bool required) {
        const char *s = NULL;
        size_t size = 0;

        if (avro_value_get_string(v, &s, &size) != 0 || !s || size == 0)
                return cf_avro_dec_fail(d, CF_REJ_MALFORMED, field,
                                        "not a readable string");
        /* avro-c counts the NUL it added */
        return cf_avro_dec_string(d, field, s, size - 1, dst, cap, required);
}

static cf_reject_t get_fields(cf_avro_dec_t *d, const cf_field_t *fields,
                              size_t n, avro_value_t *rec, void *base);

static cf_reject_t get_field(cf_avro_dec_t *d, const cf_field_t *f,
                             avro_value_t *v, void *base) {
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
                const char *name = NULL;
                size_t size = 0;
                if (avro_value_get_string(v, &name, &size) != 0 || !name ||
                    size == 0)
                        return cf_avro_dec_fail(d, CF_REJ_MALFORMED, f->name,
                                                "not a readable string");
                return cf_avro_dec_type(d, f, name, size - 1);
        }
        case CF_F_ID:
                return get_string(d, f->name, v, p, CF_ID_MAX, true);
        case CF_F_TEXT:
                return get_string(d, f->name, v, p, CF_TEXT_MAX, false);
        case CF_F_OPT_ID:
                if (avro_value_get_discriminant(v, &b) != 0 ||
                    avro_value_get_current_branch(v, &child) != 0)
                        return cf_avro_dec_fail(d, CF_REJ_MALFORMED, f->name,
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
                return cf_avro_dec_time(d, f, l, p);
        case CF_F_ENUM:
                if (avro_value_get_enum(v, &b) != 0)
                        break;
                return cf_avro_dec_enum(d, f, b, p);
        case CF_F_ROLES:
                if (avro_value_get_size(v, &n) != 0)
                        break;
                if (n > CF_ROLES_MAX)
                        return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                                "too many roles");
                for (size_t k = 0; k < n; k++) {
                        if (avro_value_get_by_index(v, k, &child, NULL) != 0)
                                return cf_avro_dec_fail(d, CF_REJ_MALFORMED,
                                                        f->name,
                                                        "unreadable role");
                        r = get_string(d, f->name, &child, ev->roles[k],
                                       CF_ID_MAX, false);
                        if (r != CF_REJ_NONE)
                                return r;
                }
                ev->n_roles = n;
                return CF_REJ_NONE;
        case CF_F_ACTOR: {
                cf_avro_dec_t sub = *d;
                sub.parent = f->name;
                sub.index = -1;
                return get_fields(&sub, f->record->fields, f->record->n_fields,
                                  v, ev);
        }
        case CF_F_SUBS:
                if (avro_value_get_size(v, &n) != 0)
                        break;
                if (n > CF_SUBS_MAX)
                        return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                                "too many subscriptions");
                if (!cf_event_subs_reserve(ev, n))
                        return cf_avro_dec_fail(d, CF_REJ_OVER_LIMIT, f->name,
                                                "out of memory");
                if (n)
                        memset(ev->subs, 0, n * sizeof(*ev->subs));
                for (size_t k = 0; k < n; k++) {
                        cf_avro_dec_t sub = *d;
                        sub.parent = f->name;
                        sub.index = (long)k;
                        if (avro_value_get_by_index(v, k, &child, NULL) != 0)
                                return cf_avro_dec_fail(d, CF_REJ_MALFORMED,
                                                        f->name,
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
        return cf_avro_dec_fail(d, CF_REJ_MALFORMED, f->name,
                                "unreadable value");
}

static cf_reject_t get_fields(cf_avro_dec_t *d, const cf_field_t *fields,
                              size_t n, avro_value_t *rec, void *base) {
        for (size_t i = 0; i < n; i++) {
                avro_value_t v;
                cf_reject_t r;
                if (avro_value_get_by_index(rec, i, &v, NULL) != 0)
                        return cf_avro_dec_fail(d, CF_REJ_MALFORMED,
                                                fields[i].name,
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
        cf_avro_dec_t d = {ev, NULL, -1, detail, detail_size};
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
