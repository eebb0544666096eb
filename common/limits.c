/* cspflow: the configurable caps applied to a decoded input (limits.h). */
#include "limits.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "strutil.h"

cf_reject_t cf_limits_check_record(const cf_limits_t *lim, size_t len,
                                   char *detail, size_t detail_size) {
        if (len <= (size_t)lim->record_bytes)
                return CF_REJ_NONE;
        cf_errstr_set(detail, detail_size,
                      "record of %zu bytes is over the %d-byte cap "
                      "(limits.record.bytes)",
                      len, lim->record_bytes);
        return CF_REJ_OVER_LIMIT;
}

/* "parent[i].name", "parent.name" or "name" into buf. */
static const char *path(char *buf, size_t size, const char *parent, long i,
                        const char *name) {
        if (parent && i >= 0)
                snprintf(buf, size, "%s[%ld].%s", parent, i, name);
        else if (parent)
                snprintf(buf, size, "%s.%s", parent, name);
        else
                snprintf(buf, size, "%s", name);
        return buf;
}

static cf_reject_t over_len(const char *field, size_t n, int cap,
                            const char *key, char *detail, size_t size) {
        cf_errstr_set(detail, size, "field %s: %zu bytes, longer than %d (%s)",
                      field, n, cap, key);
        return CF_REJ_OVER_LIMIT;
}

static cf_reject_t over_count(const char *field, size_t n, int cap,
                              const char *key, char *detail, size_t size) {
        cf_errstr_set(detail, size, "field %s: %zu items, more than %d (%s)",
                      field, n, cap, key);
        return CF_REJ_OVER_LIMIT;
}

static cf_reject_t check_fields(const cf_limits_t *lim, const cf_event_t *ev,
                                const cf_field_t *fields, size_t n_fields,
                                const void *base, const char *parent, long idx,
                                char *detail, size_t size) {
        char where[160];

        for (size_t i = 0; i < n_fields; i++) {
                const cf_field_t *f = &fields[i];
                const char *p = cf_field_ptr(f, base);
                size_t n;
                cf_reject_t r;

                switch (f->kind) {
                case CF_F_ID:
                case CF_F_OPT_ID:
                        n = cf_strnlen(p, CF_ID_MAX + 1);
                        if (n > (size_t)lim->id_bytes)
                                return over_len(path(where, sizeof(where),
                                                     parent, idx, f->name),
                                                n, lim->id_bytes,
                                                "limits.id.bytes", detail,
                                                size);
                        break;
                case CF_F_TEXT:
                        n = cf_strnlen(p, CF_TEXT_MAX + 1);
                        if (n > (size_t)lim->text_bytes)
                                return over_len(path(where, sizeof(where),
                                                     parent, idx, f->name),
                                                n, lim->text_bytes,
                                                "limits.text.bytes", detail,
                                                size);
                        break;
                case CF_F_ROLES:
                        path(where, sizeof(where), parent, idx, f->name);
                        if (ev->n_roles > (size_t)lim->roles)
                                return over_count(where, ev->n_roles,
                                                  lim->roles, "limits.roles",
                                                  detail, size);
                        for (size_t k = 0; k < ev->n_roles; k++) {
                                n = cf_strnlen(ev->roles[k], CF_ID_MAX + 1);
                                if (n > (size_t)lim->id_bytes)
                                        return over_len(where, n, lim->id_bytes,
                                                        "limits.id.bytes",
                                                        detail, size);
                        }
                        break;
                case CF_F_ACTOR: /* its fields are the event's own */
                        r = check_fields(lim, ev, f->record->fields,
                                         f->record->n_fields, ev, f->name, -1,
                                         detail, size);
                        if (r != CF_REJ_NONE)
                                return r;
                        break;
                case CF_F_SUBS:
                        if (ev->n_subs > (size_t)lim->subscriptions)
                                return over_count(
                                    path(where, sizeof(where), parent, idx,
                                         f->name),
                                    ev->n_subs, lim->subscriptions,
                                    "limits.subscriptions", detail, size);
                        for (size_t k = 0; k < ev->n_subs; k++) {
                                r = check_fields(lim, ev, f->record->fields,
                                                 f->record->n_fields,
                                                 &ev->subs[k], f->name, (long)k,
                                                 detail, size);
                                if (r != CF_REJ_NONE)
                                        return r;
                        }
                        break;
                default: /* numbers, booleans, enums, the type name */
                        break;
                }
        }
        return CF_REJ_NONE;
}

cf_reject_t cf_limits_check_event(const cf_limits_t *lim,
                                  const struct cf_event_s *ev, char *detail,
                                  size_t detail_size) {
        const cf_event_desc_t *d = cf_event_desc(ev->type);

        if (!d)
                return CF_REJ_NONE;
        return check_fields(lim, ev, d->fields, d->n_fields, ev, NULL, -1,
                            detail, detail_size);
}
