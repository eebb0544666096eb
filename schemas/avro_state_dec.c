/* cspflow: MigrationState record -> cf_migration_t (the layout and the
 * encoder are in avro_state.c). Every count is capped before anything is
 * allocated for it; any failure frees the half-built migration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"
#include "framing.h"
#include "handlers/handlers.h"

/* ---- decoding ---- */

typedef struct sdec_s {
        char *detail;
        size_t detail_size;
        const char *rec; /* "subs[3]" etc. */
        const char *field;
} sdec_t;

static cf_reject_t sdec_fail(sdec_t *d, cf_reject_t r, const char *what) {
        cf_errstr_set(d->detail, d->detail_size, "state %s%s%s: %s", d->rec,
                      d->rec[0] ? "." : "", d->field, what);
        return r;
}

static cf_reject_t get(sdec_t *d, avro_value_t *rec, int idx,
                       const cf_avro_layout_t *l, avro_value_t *v) {
        d->field = l[idx].name;
        if (avro_value_get_by_index(rec, idx, v, NULL) != 0)
                return sdec_fail(d, CF_REJ_MALFORMED, "missing");
        return CF_REJ_NONE;
}

static cf_reject_t get_str(sdec_t *d, avro_value_t *rec, int idx,
                           const cf_avro_layout_t *l, char **dst) {
        avro_value_t v;
        const char *s = NULL;
        size_t size = 0;
        cf_reject_t r = get(d, rec, idx, l, &v);

        if (r != CF_REJ_NONE)
                return r;
        if (avro_value_get_string(&v, &s, &size) != 0 || !s || size == 0)
                return sdec_fail(d, CF_REJ_MALFORMED, "not a string");
        if (size - 1 > CF_ID_MAX)
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "string over its cap");
        if (memchr(s, '\0', size - 1))
                return sdec_fail(d, CF_REJ_INVALID_VALUE,
                                 "contains a NUL character");
        if (!cf_str_replace(dst, s))
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
        return CF_REJ_NONE;
}

/* A long within [min, max]. */
static cf_reject_t get_long(sdec_t *d, avro_value_t *rec, int idx,
                            const cf_avro_layout_t *l, int64_t min, int64_t max,
                            int64_t *out) {
        avro_value_t v;
        cf_reject_t r = get(d, rec, idx, l, &v);

        if (r != CF_REJ_NONE)
                return r;
        if (avro_value_get_long(&v, out) != 0)
                return sdec_fail(d, CF_REJ_MALFORMED, "not a long");
        if (*out < min || *out > max)
                return sdec_fail(d, CF_REJ_INVALID_VALUE, "out of range");
        return CF_REJ_NONE;
}

static cf_reject_t get_int(sdec_t *d, avro_value_t *rec, int idx,
                           const cf_avro_layout_t *l, int32_t *out) {
        avro_value_t v;
        cf_reject_t r = get(d, rec, idx, l, &v);

        if (r != CF_REJ_NONE)
                return r;
        return avro_value_get_int(&v, out)
                   ? sdec_fail(d, CF_REJ_MALFORMED, "not an int")
                   : CF_REJ_NONE;
}

static cf_reject_t get_bool(sdec_t *d, avro_value_t *rec, int idx,
                            const cf_avro_layout_t *l, bool *out) {
        avro_value_t v;
        int b = 0;
        cf_reject_t r = get(d, rec, idx, l, &v);

        if (r != CF_REJ_NONE)
                return r;
        if (avro_value_get_boolean(&v, &b) != 0)
                return sdec_fail(d, CF_REJ_MALFORMED, "not a boolean");
        *out = b != 0;
        return CF_REJ_NONE;
}

static cf_reject_t get_enum(sdec_t *d, avro_value_t *rec, int idx,
                            const cf_avro_layout_t *l, int count, int *out) {
        avro_value_t v;
        cf_reject_t r = get(d, rec, idx, l, &v);

        if (r != CF_REJ_NONE)
                return r;
        if (avro_value_get_enum(&v, out) != 0 || *out < 0 || *out >= count)
                return sdec_fail(d, CF_REJ_MALFORMED, "bad enum index");
        return CF_REJ_NONE;
}

#define TIME_RANGE CF_TIME_MIN, CF_TIME_MAX

static cf_reject_t get_sub(sdec_t *d, avro_value_t *el, cf_sub_state_t *s) {
        const cf_avro_layout_t *l = cf_avro_sub_fields;
        int64_t requests = 0, failures = 0;
        int ch = 0, src = 0, tgt = 0;
        cf_reject_t r;

        if ((r = get_str(d, el, CF_AVU_SOURCE_ID, l,
                         &s->source_subscription_id)) ||
            (r = get_str(d, el, CF_AVU_OFFER, l, &s->offer_id)) ||
            (r = get_int(d, el, CF_AVU_QUANTITY, l, &s->quantity)) ||
            (r = get_enum(d, el, CF_AVU_CHANNEL, l, (int)cf_enum_channel.n,
                          &ch)) ||
            (r = get_long(d, el, CF_AVU_EXPIRES, l, TIME_RANGE,
                          &s->expires_at)) ||
            (r = get_enum(d, el, CF_AVU_SOURCE, l, CF_SRC__COUNT, &src)) ||
            (r = get_enum(d, el, CF_AVU_TARGET, l, CF_TGT__COUNT, &tgt)) ||
            (r = get_str(d, el, CF_AVU_TARGET_OFFER, l, &s->target_offer_id)) ||
            (r = get_str(d, el, CF_AVU_REQUEST, l, &s->request_id)) ||
            (r = get_long(d, el, CF_AVU_REQUESTS, l, 0, UINT32_MAX,
                          &requests)) ||
            (r = get_long(d, el, CF_AVU_FAILURES, l, 0, UINT32_MAX,
                          &failures)) ||
            (r = get_str(d, el, CF_AVU_SUB_ID, l, &s->subscription_id)) ||
            (r = get_str(d, el, CF_AVU_PROV_OFFER, l,
                         &s->provisioned_offer_id)) ||
            (r = get_int(d, el, CF_AVU_PROV_QUANTITY, l,
                         &s->provisioned_quantity)) ||
            (r = get_bool(d, el, CF_AVU_REASSIGNED, l,
                          &s->licenses_reassigned)))
                return r;
        s->channel = ch;
        s->source = (cf_source_status_t)src;
        s->target = (cf_target_status_t)tgt;
        s->requests = (uint32_t)requests;
        s->failures = (uint32_t)failures;
        return CF_REJ_NONE;
}

/* The array field idx of rec: *arr and its size, at most cap. */
static cf_reject_t get_array(sdec_t *d, avro_value_t *rec, int idx, size_t cap,
                             avro_value_t *arr, size_t *n) {
        cf_reject_t r = get(d, rec, idx, cf_avro_state_fields, arr);

        if (r != CF_REJ_NONE)
                return r;
        if (avro_value_get_size(arr, n) != 0)
                return sdec_fail(d, CF_REJ_MALFORMED, "not an array");
        if (*n > cap)
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "too many items");
        return CF_REJ_NONE;
}

static cf_reject_t get_lists(sdec_t *d, avro_value_t *rec, cf_migration_t *m) {
        avro_value_t arr, el;
        char where[48];
        size_t n;
        cf_reject_t r;

        if ((r = get_array(d, rec, CF_AVS_SUBS, CF_SUBS_MAX, &arr, &n)) != 0)
                return r;
        if (n && !(m->subs = calloc(n, sizeof(*m->subs))))
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
        for (size_t i = 0; i < n; i++) {
                m->n_subs = i + 1; /* what destroy frees */
                snprintf(where, sizeof(where), "subs[%zu]", i);
                d->rec = where;
                if (avro_value_get_by_index(&arr, i, &el, NULL) != 0)
                        return sdec_fail(d, CF_REJ_MALFORMED, "unreadable");
                if ((r = get_sub(d, &el, &m->subs[i])) != CF_REJ_NONE)
                        return r;
        }
        d->rec = "";
        if ((r = get_array(d, rec, CF_AVS_DISC, CF_DISCONTINUED_MAX, &arr, &n)))
                return r;
        if (n && !(m->discontinued = calloc(n, sizeof(*m->discontinued))))
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
        for (size_t i = 0; i < n; i++) {
                m->n_discontinued = i + 1;
                snprintf(where, sizeof(where), "discontinued[%zu]", i);
                d->rec = where;
                if (avro_value_get_by_index(&arr, i, &el, NULL) != 0)
                        return sdec_fail(d, CF_REJ_MALFORMED, "unreadable");
                if ((r = get_str(d, &el, CF_AVD_OFFER, cf_avro_disc_fields,
                                 &m->discontinued[i].offer_id)) ||
                    (r = get_str(d, &el, CF_AVD_SUCCESSOR, cf_avro_disc_fields,
                                 &m->discontinued[i].successor_offer_id)))
                        return r;
        }
        d->rec = "";
        if ((r = get_array(d, rec, CF_AVS_HANDLED, CF_EVENTS_PER_KEY_MAX, &arr,
                           &n)) != CF_REJ_NONE)
                return r;
        if (n && !(m->handled = malloc(n * sizeof(*m->handled))))
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
        m->handled_cap = n;
        for (size_t i = 0; i < n; i++) {
                const void *buf = NULL;
                const uint8_t *h;
                size_t size = 0;
                if (avro_value_get_by_index(&arr, i, &el, NULL) != 0 ||
                    avro_value_get_fixed(&el, &buf, &size) != 0 ||
                    size != CF_AVRO_HASH_SIZE)
                        return sdec_fail(d, CF_REJ_MALFORMED,
                                         "unreadable hash");
                h = buf;
                m->handled[i].hi = m->handled[i].lo = 0;
                for (int k = 0; k < 8; k++) {
                        m->handled[i].hi = (m->handled[i].hi << 8) | h[k];
                        m->handled[i].lo = (m->handled[i].lo << 8) | h[8 + k];
                }
                m->n_handled = i + 1;
        }
        return CF_REJ_NONE;
}

static cf_reject_t get_state(sdec_t *d, avro_value_t *r, cf_migration_t *m) {
        const cf_avro_layout_t *l = cf_avro_state_fields;
        int64_t applied = 0;
        int status = 0;
        cf_reject_t rj;

        if ((rj = get_str(d, r, CF_AVS_PARTNER, l, &m->partner_id)) ||
            (rj = get_str(d, r, CF_AVS_TENANT, l, &m->customer_tenant_id)) ||
            (rj = get_enum(d, r, CF_AVS_STATUS, l, CF_MIG__COUNT, &status)) ||
            (rj = get_str(d, r, CF_AVS_OPENED_BY, l, &m->opened_by)) ||
            (rj = get_long(d, r, CF_AVS_OPENED_AT, l, TIME_RANGE,
                           &m->opened_at)) ||
            (rj = get_long(d, r, CF_AVS_UPDATED_AT, l, TIME_RANGE,
                           &m->updated_at)) ||
            (rj = get_bool(d, r, CF_AVS_MULTI, l, &m->multi_channel)) ||
            (rj = get_bool(d, r, CF_AVS_DELEGATED, l, &m->delegated_admin)) ||
            (rj = get_lists(d, r, m)) ||
            (rj = get_long(d, r, CF_AVS_APPLIED, l, 0, INT64_MAX, &applied)) ||
            (rj = get_long(d, r, CF_AVS_OFFSET, l, -1, INT64_MAX,
                           &m->last_input_offset)))
                return rj;
        m->status = (cf_mig_status_t)status;
        m->applied = (uint64_t)applied;
        return CF_REJ_NONE;
}

cf_reject_t cf_avro_decode_state(cf_avro_t *av, const void *data, size_t len,
                                 cf_migration_t **out, char *detail,
                                 size_t detail_size) {
        sdec_t d = {detail, detail_size, "", ""};
        const uint8_t *body = NULL;
        size_t body_len = 0;
        uint64_t fp = 0;
        cf_migration_t *m;
        cf_reject_t r;

        *out = NULL;
        r = cf_framing_parse(data, len, &fp, &body, &body_len, detail,
                             detail_size);
        if (r != CF_REJ_NONE)
                return r;
        if (fp != av->state.fingerprint) {
                cf_errstr_set(detail, detail_size,
                              "fingerprint %016llx is not the state "
                              "schema's",
                              (unsigned long long)fp);
                return CF_REJ_UNKNOWN_SCHEMA;
        }
        r = cf_avro_read_value(av, &av->state, body, body_len, detail,
                               detail_size);
        if (r != CF_REJ_NONE)
                return r;
        if (!(m = cf_migration_new("", ""))) {
                cf_errstr_set(detail, detail_size, "out of memory");
                return CF_REJ_OVER_LIMIT;
        }
        if ((r = get_state(&d, &av->state.value, m)) != CF_REJ_NONE) {
                cf_migration_destroy(m);
                return r;
        }
        *out = m;
        return CF_REJ_NONE;
}
