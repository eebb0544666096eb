/* cspflow: MigrationState record -> cf_migration_t (the layout and the
 * encoder are in avro_state.c). Every count is capped before anything is
 * allocated for it. A record can be decoded into a migration that holds an
 * older state of the key (restore reads many per key): its strings and
 * arrays are reused where they are large enough. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_bin.h"
#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"
#include "framing.h"
#include "handlers/handlers.h"

/* ---- decoding ---- */

typedef struct sdec_s {
        cf_avro_rd_t rd;
        char *detail;
        size_t detail_size;
        const char *rec; /* "subs", "discontinued" or "" */
        size_t index;    /* the element of rec */
        const char *field;
} sdec_t;

static cf_reject_t sdec_fail(sdec_t *d, cf_reject_t r, const char *what) {
        if (d->rec[0])
                cf_errstr_set(d->detail, d->detail_size, "state %s[%zu].%s: %s",
                              d->rec, d->index, d->field, what);
        else
                cf_errstr_set(d->detail, d->detail_size, "state %s: %s",
                              d->field, what);
        return r;
}

static cf_reject_t get_str(sdec_t *d, int idx, const cf_avro_layout_t *l,
                           char **dst) {
        const char *s;
        size_t size;

        d->field = l[idx].name;
        cf_avro_rd_string(&d->rd, &s, &size);
        if (!d->rd.ok)
                return sdec_fail(d, CF_REJ_MALFORMED, "not a string");
        if (size > CF_ID_MAX)
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "string over its cap");
        if (memchr(s, '\0', size))
                return sdec_fail(d, CF_REJ_INVALID_VALUE,
                                 "contains a NUL character");
        if (!cf_str_assign_n(dst, s, size))
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
        return CF_REJ_NONE;
}

/* A long within [min, max]. */
static cf_reject_t get_long(sdec_t *d, int idx, const cf_avro_layout_t *l,
                            int64_t min, int64_t max, int64_t *out) {
        d->field = l[idx].name;
        *out = cf_avro_rd_long(&d->rd);
        if (!d->rd.ok)
                return sdec_fail(d, CF_REJ_MALFORMED, "not a long");
        if (*out < min || *out > max)
                return sdec_fail(d, CF_REJ_INVALID_VALUE, "out of range");
        return CF_REJ_NONE;
}

static cf_reject_t get_int(sdec_t *d, int idx, const cf_avro_layout_t *l,
                           int32_t *out) {
        d->field = l[idx].name;
        *out = cf_avro_rd_int(&d->rd);
        return d->rd.ok ? CF_REJ_NONE
                        : sdec_fail(d, CF_REJ_MALFORMED, "not an int");
}

static cf_reject_t get_bool(sdec_t *d, int idx, const cf_avro_layout_t *l,
                            bool *out) {
        d->field = l[idx].name;
        *out = cf_avro_rd_bool(&d->rd);
        return d->rd.ok ? CF_REJ_NONE
                        : sdec_fail(d, CF_REJ_MALFORMED, "not a boolean");
}

static cf_reject_t get_enum(sdec_t *d, int idx, const cf_avro_layout_t *l,
                            int count, int *out) {
        int64_t v;
        d->field = l[idx].name;
        v = cf_avro_rd_long(&d->rd);
        if (!d->rd.ok || v < 0 || v >= count)
                return sdec_fail(d, CF_REJ_MALFORMED, "bad enum index");
        *out = (int)v;
        return CF_REJ_NONE;
}

#define TIME_RANGE CF_TIME_MIN, CF_TIME_MAX

static cf_reject_t get_sub(sdec_t *d, cf_sub_state_t *s) {
        const cf_avro_layout_t *l = cf_avro_sub_fields;
        int64_t requests = 0, failures = 0;
        int ch = 0, src = 0, tgt = 0;
        cf_reject_t r;

        if ((r = get_str(d, CF_AVU_SOURCE_ID, l, &s->source_subscription_id)) ||
            (r = get_str(d, CF_AVU_OFFER, l, &s->offer_id)) ||
            (r = get_int(d, CF_AVU_QUANTITY, l, &s->quantity)) ||
            (r = get_enum(d, CF_AVU_CHANNEL, l, (int)cf_enum_channel.n, &ch)) ||
            (r = get_long(d, CF_AVU_EXPIRES, l, TIME_RANGE, &s->expires_at)) ||
            (r = get_enum(d, CF_AVU_SOURCE, l, CF_SRC__COUNT, &src)) ||
            (r = get_enum(d, CF_AVU_TARGET, l, CF_TGT__COUNT, &tgt)) ||
            (r = get_str(d, CF_AVU_TARGET_OFFER, l, &s->target_offer_id)) ||
            (r = get_str(d, CF_AVU_REQUEST, l, &s->request_id)) ||
            (r = get_long(d, CF_AVU_REQUESTS, l, 0, UINT32_MAX, &requests)) ||
            (r = get_long(d, CF_AVU_FAILURES, l, 0, UINT32_MAX, &failures)) ||
            (r = get_str(d, CF_AVU_SUB_ID, l, &s->subscription_id)) ||
            (r = get_str(d, CF_AVU_PROV_OFFER, l, &s->provisioned_offer_id)) ||
            (r = get_int(d, CF_AVU_PROV_QUANTITY, l,
                         &s->provisioned_quantity)) ||
            (r = get_bool(d, CF_AVU_REASSIGNED, l, &s->licenses_reassigned)))
                return r;
        s->channel = ch;
        s->source = (cf_source_status_t)src;
        s->target = (cf_target_status_t)tgt;
        s->requests = (uint32_t)requests;
        s->failures = (uint32_t)failures;
        return CF_REJ_NONE;
}

/* The next block of the array field idx: its item count (0: the end), the
 * items so far plus it at most cap. */
static cf_reject_t get_block(sdec_t *d, int idx, size_t have, size_t cap,
                             size_t *n) {
        int64_t b;
        d->rec = "";
        d->field = cf_avro_state_fields[idx].name;
        b = cf_avro_rd_block(&d->rd);
        if (!d->rd.ok)
                return sdec_fail(d, CF_REJ_MALFORMED, "not an array");
        if ((uint64_t)b > cap - have)
                return sdec_fail(d, CF_REJ_OVER_LIMIT, "too many items");
        *n = (size_t)b;
        return CF_REJ_NONE;
}

/* Makes *arr (of *n items of size each) at least need items long, the new
 * ones zeroed; *n becomes need (what destroy frees). */
static bool grow(void **arr, size_t *n, size_t need, size_t size) {
        void *p;
        if (need <= *n)
                return true;
        if (!(p = realloc(*arr, need * size)))
                return false;
        memset((char *)p + *n * size, 0, (need - *n) * size);
        *arr = p;
        *n = need;
        return true;
}

static cf_reject_t get_subs(sdec_t *d, cf_migration_t *m) {
        size_t n, total = 0;
        cf_reject_t r;

        while ((r = get_block(d, CF_AVS_SUBS, total, CF_SUBS_MAX, &n)) ==
                   CF_REJ_NONE &&
               n > 0) {
                if (!grow((void **)&m->subs, &m->n_subs, total + n,
                          sizeof(*m->subs)))
                        return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
                for (; n > 0; n--, total++) {
                        d->rec = "subs";
                        d->index = total;
                        if ((r = get_sub(d, &m->subs[total])) != CF_REJ_NONE)
                                return r;
                }
        }
        for (size_t i = total; r == CF_REJ_NONE && i < m->n_subs; i++)
                cf_migration_sub_clear(&m->subs[i]); /* an older, longer list */
        if (r == CF_REJ_NONE)
                m->n_subs = total;
        return r;
}

static cf_reject_t get_disc(sdec_t *d, cf_migration_t *m) {
        size_t n, total = 0;
        cf_reject_t r;

        while ((r = get_block(d, CF_AVS_DISC, total, CF_DISCONTINUED_MAX,
                              &n)) == CF_REJ_NONE &&
               n > 0) {
                if (!grow((void **)&m->discontinued, &m->n_discontinued,
                          total + n, sizeof(*m->discontinued)))
                        return sdec_fail(d, CF_REJ_OVER_LIMIT, "out of memory");
                for (; n > 0; n--, total++) {
                        cf_discontinued_t *x = &m->discontinued[total];
                        d->rec = "discontinued";
                        d->index = total;
                        if ((r = get_str(d, CF_AVD_OFFER, cf_avro_disc_fields,
                                         &x->offer_id)) ||
                            (r = get_str(d, CF_AVD_SUCCESSOR,
                                         cf_avro_disc_fields,
                                         &x->successor_offer_id)))
                                return r;
                }
        }
        for (size_t i = total; r == CF_REJ_NONE && i < m->n_discontinued; i++) {
                free(m->discontinued[i].offer_id);
                free(m->discontinued[i].successor_offer_id);
        }
        if (r == CF_REJ_NONE)
                m->n_discontinued = total;
        return r;
}

static cf_reject_t get_handled(sdec_t *d, cf_migration_t *m) {
        size_t n;
        cf_reject_t r;

        m->n_handled = 0;
        while ((r = get_block(d, CF_AVS_HANDLED, m->n_handled,
                              CF_EVENTS_PER_KEY_MAX, &n)) == CF_REJ_NONE &&
               n > 0) {
                size_t first = m->n_handled;
                if (first + n > m->handled_cap) {
                        cf_id_hash_t *h =
                            realloc(m->handled, (first + n) * sizeof(*h));
                        if (!h)
                                return sdec_fail(d, CF_REJ_OVER_LIMIT,
                                                 "out of memory");
                        m->handled = h;
                        m->handled_cap = first + n;
                }
                for (size_t i = first; i < first + n; i++) {
                        const uint8_t *h =
                            cf_avro_rd_fixed(&d->rd, CF_AVRO_HASH_SIZE);
                        if (!h)
                                return sdec_fail(d, CF_REJ_MALFORMED,
                                                 "unreadable hash");
                        m->handled[i].hi = m->handled[i].lo = 0;
                        for (int k = 0; k < 8; k++) {
                                m->handled[i].hi =
                                    (m->handled[i].hi << 8) | h[k];
                                m->handled[i].lo =
                                    (m->handled[i].lo << 8) | h[8 + k];
                        }
                        m->n_handled = i + 1;
                }
        }
        return r;
}

static cf_reject_t get_state(sdec_t *d, cf_migration_t *m) {
        const cf_avro_layout_t *l = cf_avro_state_fields;
        int64_t applied = 0;
        int status = 0;
        cf_reject_t rj;

        if ((rj = get_str(d, CF_AVS_PARTNER, l, &m->partner_id)) ||
            (rj = get_str(d, CF_AVS_TENANT, l, &m->customer_tenant_id)) ||
            (rj = get_enum(d, CF_AVS_STATUS, l, CF_MIG__COUNT, &status)) ||
            (rj = get_str(d, CF_AVS_OPENED_BY, l, &m->opened_by)) ||
            (rj =
                 get_long(d, CF_AVS_OPENED_AT, l, TIME_RANGE, &m->opened_at)) ||
            (rj = get_long(d, CF_AVS_UPDATED_AT, l, TIME_RANGE,
                           &m->updated_at)) ||
            (rj = get_bool(d, CF_AVS_MULTI, l, &m->multi_channel)) ||
            (rj = get_bool(d, CF_AVS_DELEGATED, l, &m->delegated_admin)) ||
            (rj = get_subs(d, m)) || (rj = get_disc(d, m)) ||
            (rj = get_handled(d, m)) ||
            (rj = get_long(d, CF_AVS_APPLIED, l, 0, INT64_MAX, &applied)) ||
            (rj = get_long(d, CF_AVS_OFFSET, l, -1, INT64_MAX,
                           &m->last_input_offset)))
                return rj;
        m->status = (cf_mig_status_t)status;
        m->applied = (uint64_t)applied;
        return CF_REJ_NONE;
}

/* The body of a state record (framing and fingerprint checked). */
static cf_reject_t state_body(cf_avro_t *av, const void *data, size_t len,
                              const uint8_t **body, size_t *body_len,
                              char *detail, size_t detail_size) {
        uint64_t fp = 0;
        cf_reject_t r = cf_framing_parse(data, len, &fp, body, body_len, detail,
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
        return CF_REJ_NONE;
}

cf_reject_t cf_avro_decode_state_into(cf_avro_t *av, const void *data,
                                      size_t len, cf_migration_t *m,
                                      char *detail, size_t detail_size) {
        sdec_t d;
        const uint8_t *body = NULL;
        size_t body_len = 0;
        cf_reject_t r, shape;

        if ((r = state_body(av, data, len, &body, &body_len, detail,
                            detail_size)) != CF_REJ_NONE)
                return r;
        /* One pass over a good body; on any failure the bounds check says
         * first what is wrong with the body's shape, as when it ran before
         * every decode. */
        memset(&d, 0, sizeof(d));
        cf_avro_rd_init(&d.rd, body, body_len);
        d.detail = detail;
        d.detail_size = detail_size;
        d.rec = "";
        d.field = "";
        r = CF_REJ_MALFORMED;
        if (body_len <= CF_RECORD_MAX) {
                r = get_state(&d, m);
                if (r == CF_REJ_NONE && d.rd.p == d.rd.end)
                        return CF_REJ_NONE;
        }
        shape =
            cf_avro_check_body(&av->state, body, body_len, detail, detail_size);
        if (shape != CF_REJ_NONE)
                return shape;
        if (r == CF_REJ_NONE) { /* the bounds check found no fault */
                cf_errstr_set(detail, detail_size, "unreadable body");
                r = CF_REJ_MALFORMED;
        }
        return r;
}

cf_reject_t cf_avro_decode_state(cf_avro_t *av, const void *data, size_t len,
                                 cf_migration_t **out, char *detail,
                                 size_t detail_size) {
        const uint8_t *body = NULL;
        size_t body_len = 0;
        cf_migration_t *m;
        cf_reject_t r;

        *out = NULL;
        if ((r = state_body(av, data, len, &body, &body_len, detail,
                            detail_size)) != CF_REJ_NONE)
                return r;
        if (!(m = cf_migration_new("", ""))) {
                cf_errstr_set(detail, detail_size, "out of memory");
                return CF_REJ_OVER_LIMIT;
        }
        r = cf_avro_decode_state_into(av, data, len, m, detail, detail_size);
        if (r != CF_REJ_NONE) {
                cf_migration_destroy(m);
                return r;
        }
        *out = m;
        return CF_REJ_NONE;
}

bool cf_avro_state_key(cf_avro_t *av, const void *data, size_t len,
                       char *partner_id, char *customer_tenant_id) {
        const uint8_t *body = NULL;
        size_t body_len = 0, n;
        char detail[8];
        cf_avro_rd_t rd;
        const char *s;
        char *dst[2] = {partner_id, customer_tenant_id};

        if (state_body(av, data, len, &body, &body_len, detail,
                       sizeof(detail)) != CF_REJ_NONE)
                return false;
        cf_avro_rd_init(&rd, body, body_len);
        for (int i = 0; i < 2; i++) {
                cf_avro_rd_string(&rd, &s, &n);
                if (!rd.ok || n > CF_ID_MAX || memchr(s, '\0', n))
                        return false;
                memcpy(dst[i], s, n);
                dst[i][n] = '\0';
        }
        return true;
}
