/* cspflow: cf_migration_t <-> the MigrationState record
 * (schemas/avro/migration-state.avsc).
 *
 * The record's layout is fixed here (field positions below); cf_avro_new()
 * checks the schema has exactly these fields, in this order, with these
 * Avro types and enum symbols, so encode/decode use positions only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"
#include "framing.h"
#include "handlers/handlers.h"

const cf_avro_layout_t cf_avro_state_fields[CF_AVS__N] = {
    {"partner_id", CF_AV_STRING},
    {"customer_tenant_id", CF_AV_STRING},
    {"status", CF_AV_ENUM},
    {"opened_by", CF_AV_STRING},
    {"opened_at", CF_AV_LONG},
    {"updated_at", CF_AV_LONG},
    {"multi_channel", CF_AV_BOOLEAN},
    {"delegated_admin", CF_AV_BOOLEAN},
    {"subs", CF_AV_ARRAY},
    {"discontinued", CF_AV_ARRAY},
    {"handled", CF_AV_ARRAY},
    {"applied", CF_AV_LONG},
    {"last_input_offset", CF_AV_LONG},
};

const cf_avro_layout_t cf_avro_sub_fields[CF_AVU__N] = {
    {"source_subscription_id", CF_AV_STRING},
    {"offer_id", CF_AV_STRING},
    {"quantity", CF_AV_INT},
    {"channel", CF_AV_ENUM},
    {"expires_at", CF_AV_LONG},
    {"source", CF_AV_ENUM},
    {"target", CF_AV_ENUM},
    {"target_offer_id", CF_AV_STRING},
    {"request_id", CF_AV_STRING},
    {"requests", CF_AV_LONG},
    {"failures", CF_AV_LONG},
    {"subscription_id", CF_AV_STRING},
    {"provisioned_offer_id", CF_AV_STRING},
    {"provisioned_quantity", CF_AV_INT},
    {"licenses_reassigned", CF_AV_BOOLEAN},
};

const cf_avro_layout_t cf_avro_disc_fields[CF_AVD__N] = {
    {"offer_id", CF_AV_STRING}, {"successor_offer_id", CF_AV_STRING}};

/* ---- the schema check ---- */

static cf_err_t layout_fail(const char *rec, const char *field,
                            const char *what, char *errstr,
                            size_t errstr_size) {
        cf_errstr_set(errstr, errstr_size,
                      "schemas/avro/" CF_AVRO_STATE_SCHEMA ".avsc: %s.%s: %s",
                      rec, field, what);
        return CF_ERR_INVALID;
}

static cf_err_t check_layout(const cf_avro_node_t *n, const char *rec,
                             const cf_avro_layout_t *l, size_t count,
                             char *errstr, size_t errstr_size) {
        if (n->kind != CF_AV_RECORD || n->n != count)
                return layout_fail(rec, "*",
                                   "not the record avro_state.c "
                                   "writes (field count)",
                                   errstr, errstr_size);
        for (size_t i = 0; i < count; i++)
                if (!n->kids[i].name ||
                    strcmp(n->kids[i].name, l[i].name) != 0 ||
                    n->kids[i].kind != l[i].kind)
                        return layout_fail(rec, l[i].name,
                                           "name, position "
                                           "or type differs",
                                           errstr, errstr_size);
        return CF_OK;
}

/* The enum's symbols must be the C names in UPPER_SNAKE, in C order. */
static cf_err_t check_symbols(avro_schema_t e, const char *field,
                              const char *(*name)(int), int count, char *errstr,
                              size_t errstr_size) {
        char want[64];

        if (!e || avro_typeof(e) != AVRO_ENUM ||
            avro_schema_enum_number_of_symbols(e) != count)
                return layout_fail("*", field, "enum symbol count differs",
                                   errstr, errstr_size);
        for (int i = 0; i < count; i++) {
                size_t k;
                cf_strlcpy(want, name(i), sizeof(want));
                for (k = 0; want[k]; k++)
                        want[k] = want[k] == '-' ? '_'
                                  : (want[k] >= 'a' && want[k] <= 'z')
                                      ? (char)(want[k] - 'a' + 'A')
                                      : want[k];
                if (strcmp(avro_schema_enum_get(e, i), want) != 0)
                        return layout_fail("*", field, "enum symbols differ",
                                           errstr, errstr_size);
        }
        return CF_OK;
}

static const char *mig_name(int i) {
        return cf_mig_status_name((cf_mig_status_t)i);
}
static const char *src_name(int i) {
        return cf_source_status_name((cf_source_status_t)i);
}
static const char *tgt_name(int i) {
        return cf_target_status_name((cf_target_status_t)i);
}
static const char *chan_name(int i) {
        return cf_enum_channel.symbols[i];
}

cf_err_t cf_avro_state_check(cf_avro_type_t *t, char *errstr,
                             size_t errstr_size) {
        cf_avro_node_t *root = &t->bounds;
        avro_schema_t sub;
        cf_err_t err;

        if ((err = check_layout(root, "MigrationState", cf_avro_state_fields,
                                CF_AVS__N, errstr, errstr_size)) != CF_OK ||
            (err = check_layout(&root->kids[CF_AVS_SUBS].kids[0],
                                "SubscriptionState", cf_avro_sub_fields,
                                CF_AVU__N, errstr, errstr_size)) != CF_OK ||
            (err = check_layout(&root->kids[CF_AVS_DISC].kids[0],
                                "DiscontinuedOffer", cf_avro_disc_fields,
                                CF_AVD__N, errstr, errstr_size)) != CF_OK)
                return err;
        if (root->kids[CF_AVS_HANDLED].kids[0].kind != CF_AV_FIXED ||
            root->kids[CF_AVS_HANDLED].kids[0].cap != CF_AVRO_HASH_SIZE)
                return layout_fail("MigrationState", "handled",
                                   "expected an array of fixed(16)", errstr,
                                   errstr_size);
        sub = avro_schema_array_items(
            avro_schema_record_field_get_by_index(t->schema, CF_AVS_SUBS));
        if ((err = check_symbols(avro_schema_record_field_get_by_index(
                                     t->schema, CF_AVS_STATUS),
                                 "status", mig_name, CF_MIG__COUNT, errstr,
                                 errstr_size)) != CF_OK ||
            (err = check_symbols(
                 avro_schema_record_field_get_by_index(sub, CF_AVU_CHANNEL),
                 "channel", chan_name, (int)cf_enum_channel.n, errstr,
                 errstr_size)) != CF_OK ||
            (err = check_symbols(
                 avro_schema_record_field_get_by_index(sub, CF_AVU_SOURCE),
                 "source", src_name, CF_SRC__COUNT, errstr, errstr_size)) !=
                CF_OK ||
            (err = check_symbols(
                 avro_schema_record_field_get_by_index(sub, CF_AVU_TARGET),
                 "target", tgt_name, CF_TGT__COUNT, errstr, errstr_size)) !=
                CF_OK)
                return err;
        /* strings keep the default cap, CF_ID_MAX */
        root->kids[CF_AVS_SUBS].cap = CF_SUBS_MAX;
        root->kids[CF_AVS_DISC].cap = CF_DISCONTINUED_MAX;
        root->kids[CF_AVS_HANDLED].cap = CF_EVENTS_PER_KEY_MAX;
        return CF_OK;
}

/* ---- encoding ---- */

typedef struct senc_s {
        char *errstr;
        size_t errstr_size;
        const char *field; /* the field being written, for errors */
} senc_t;

static cf_err_t senc_fail(senc_t *e, const char *what) {
        cf_errstr_set(e->errstr, e->errstr_size, "state %s: %s", e->field,
                      what);
        return CF_ERR_INVALID;
}

/* Child idx of rec into *v, remembering the field's name for errors. */
static cf_err_t field(senc_t *e, avro_value_t *rec, int idx,
                      const cf_avro_layout_t *l, avro_value_t *v) {
        e->field = l[idx].name;
        if (avro_value_get_by_index(rec, idx, v, NULL) != 0)
                return senc_fail(e, avro_strerror());
        return CF_OK;
}

static cf_err_t put_str(senc_t *e, avro_value_t *rec, int idx,
                        const cf_avro_layout_t *l, const char *s) {
        avro_value_t v;
        size_t n;
        cf_err_t err;

        if ((err = field(e, rec, idx, l, &v)) != CF_OK)
                return err;
        if (!s)
                s = "";
        if ((n = cf_strnlen(s, CF_ID_MAX + 1)) > CF_ID_MAX)
                return senc_fail(e, "string over CF_ID_MAX");
        return avro_value_set_string_len(&v, s, n + 1) ? senc_fail(e, "avro-c")
                                                       : CF_OK;
}

static cf_err_t put_long(senc_t *e, avro_value_t *rec, int idx,
                         const cf_avro_layout_t *l, int64_t x) {
        avro_value_t v;
        cf_err_t err = field(e, rec, idx, l, &v);
        if (err != CF_OK)
                return err;
        return avro_value_set_long(&v, x) ? senc_fail(e, "avro-c") : CF_OK;
}

static cf_err_t put_time(senc_t *e, avro_value_t *rec, int idx,
                         const cf_avro_layout_t *l, int64_t x) {
        if (x < CF_TIME_MIN || x > CF_TIME_MAX) {
                e->field = l[idx].name;
                return senc_fail(e, "time out of range");
        }
        return put_long(e, rec, idx, l, x);
}

static cf_err_t put_int(senc_t *e, avro_value_t *rec, int idx,
                        const cf_avro_layout_t *l, int32_t x) {
        avro_value_t v;
        cf_err_t err = field(e, rec, idx, l, &v);
        if (err != CF_OK)
                return err;
        return avro_value_set_int(&v, x) ? senc_fail(e, "avro-c") : CF_OK;
}

static cf_err_t put_bool(senc_t *e, avro_value_t *rec, int idx,
                         const cf_avro_layout_t *l, bool x) {
        avro_value_t v;
        cf_err_t err = field(e, rec, idx, l, &v);
        if (err != CF_OK)
                return err;
        return avro_value_set_boolean(&v, x) ? senc_fail(e, "avro-c") : CF_OK;
}

static cf_err_t put_enum(senc_t *e, avro_value_t *rec, int idx,
                         const cf_avro_layout_t *l, int x, int count) {
        avro_value_t v;
        cf_err_t err = field(e, rec, idx, l, &v);
        if (err != CF_OK)
                return err;
        if (x < 0 || x >= count)
                return senc_fail(e, "enum value out of range");
        return avro_value_set_enum(&v, x) ? senc_fail(e, "avro-c") : CF_OK;
}

static cf_err_t put_sub(senc_t *e, avro_value_t *r, const cf_sub_state_t *s) {
        const cf_avro_layout_t *l = cf_avro_sub_fields;
        cf_err_t err;

        if ((err = put_str(e, r, CF_AVU_SOURCE_ID, l,
                           s->source_subscription_id)) ||
            (err = put_str(e, r, CF_AVU_OFFER, l, s->offer_id)) ||
            (err = put_int(e, r, CF_AVU_QUANTITY, l, s->quantity)) ||
            (err = put_enum(e, r, CF_AVU_CHANNEL, l, s->channel,
                            (int)cf_enum_channel.n)) ||
            (err = put_time(e, r, CF_AVU_EXPIRES, l, s->expires_at)) ||
            (err = put_enum(e, r, CF_AVU_SOURCE, l, (int)s->source,
                            CF_SRC__COUNT)) ||
            (err = put_enum(e, r, CF_AVU_TARGET, l, (int)s->target,
                            CF_TGT__COUNT)) ||
            (err = put_str(e, r, CF_AVU_TARGET_OFFER, l, s->target_offer_id)) ||
            (err = put_str(e, r, CF_AVU_REQUEST, l, s->request_id)) ||
            (err = put_long(e, r, CF_AVU_REQUESTS, l, s->requests)) ||
            (err = put_long(e, r, CF_AVU_FAILURES, l, s->failures)) ||
            (err = put_str(e, r, CF_AVU_SUB_ID, l, s->subscription_id)) ||
            (err = put_str(e, r, CF_AVU_PROV_OFFER, l,
                           s->provisioned_offer_id)) ||
            (err = put_int(e, r, CF_AVU_PROV_QUANTITY, l,
                           s->provisioned_quantity)) ||
            (err =
                 put_bool(e, r, CF_AVU_REASSIGNED, l, s->licenses_reassigned)))
                return err;
        return CF_OK;
}

/* Appends one element to the array field idx of rec into *el. */
static cf_err_t append(senc_t *e, avro_value_t *rec, int idx,
                       avro_value_t *el) {
        avro_value_t arr;
        cf_err_t err = field(e, rec, idx, cf_avro_state_fields, &arr);
        if (err != CF_OK)
                return err;
        return avro_value_append(&arr, el, NULL) ? senc_fail(e, "avro-c")
                                                 : CF_OK;
}

static cf_err_t put_state(senc_t *e, avro_value_t *r, const cf_migration_t *m) {
        const cf_avro_layout_t *l = cf_avro_state_fields;
        avro_value_t el;
        uint8_t h[CF_AVRO_HASH_SIZE];
        cf_err_t err;

        if ((err = put_str(e, r, CF_AVS_PARTNER, l, m->partner_id)) ||
            (err = put_str(e, r, CF_AVS_TENANT, l, m->customer_tenant_id)) ||
            (err = put_enum(e, r, CF_AVS_STATUS, l, (int)m->status,
                            CF_MIG__COUNT)) ||
            (err = put_str(e, r, CF_AVS_OPENED_BY, l, m->opened_by)) ||
            (err = put_time(e, r, CF_AVS_OPENED_AT, l, m->opened_at)) ||
            (err = put_time(e, r, CF_AVS_UPDATED_AT, l, m->updated_at)) ||
            (err = put_bool(e, r, CF_AVS_MULTI, l, m->multi_channel)) ||
            (err = put_bool(e, r, CF_AVS_DELEGATED, l, m->delegated_admin)))
                return err;
        e->field = "applied";
        if (m->applied > INT64_MAX)
                return senc_fail(e, "over 2^63-1");
        if ((err = put_long(e, r, CF_AVS_APPLIED, l, (int64_t)m->applied)) ||
            (err = put_long(e, r, CF_AVS_OFFSET, l, m->last_input_offset)))
                return err;
        e->field = "subs";
        if (m->n_subs > CF_SUBS_MAX)
                return senc_fail(e, "too many subscriptions");
        for (size_t i = 0; i < m->n_subs; i++)
                if ((err = append(e, r, CF_AVS_SUBS, &el)) ||
                    (err = put_sub(e, &el, &m->subs[i])))
                        return err;
        e->field = "discontinued";
        if (m->n_discontinued > CF_DISCONTINUED_MAX)
                return senc_fail(e, "too many discontinued offers");
        for (size_t i = 0; i < m->n_discontinued; i++)
                if ((err = append(e, r, CF_AVS_DISC, &el)) ||
                    (err = put_str(e, &el, CF_AVD_OFFER, cf_avro_disc_fields,
                                   m->discontinued[i].offer_id)) ||
                    (err =
                         put_str(e, &el, CF_AVD_SUCCESSOR, cf_avro_disc_fields,
                                 m->discontinued[i].successor_offer_id)))
                        return err;
        e->field = "handled";
        if (m->n_handled > CF_EVENTS_PER_KEY_MAX)
                return senc_fail(e, "too many handled ids");
        for (size_t i = 0; i < m->n_handled; i++) {
                for (int k = 0; k < 8; k++) {
                        h[k] = (uint8_t)(m->handled[i].hi >> (56 - 8 * k));
                        h[8 + k] = (uint8_t)(m->handled[i].lo >> (56 - 8 * k));
                }
                if ((err = append(e, r, CF_AVS_HANDLED, &el)) != CF_OK)
                        return err;
                if (avro_value_set_fixed(&el, h, sizeof(h)) != 0)
                        return senc_fail(e, "avro-c");
        }
        return CF_OK;
}

cf_err_t cf_avro_encode_state(cf_avro_t *av, const cf_migration_t *m,
                              cf_buf_t *out, char *errstr, size_t errstr_size) {
        senc_t e = {errstr, errstr_size, ""};
        size_t mark = out->len;
        cf_err_t err;

        avro_value_reset(&av->state.value);
        err = put_state(&e, &av->state.value, m);
        if (err == CF_OK && (err = cf_framing_write_header(
                                 out, av->state.fingerprint)) != CF_OK)
                cf_errstr_set(errstr, errstr_size, "%s",
                              err == CF_ERR_LIMIT ? "buffer cap reached"
                                                  : "out of memory");
        if (err == CF_OK)
                err = cf_avro_write_value(av, &av->state, out, errstr,
                                          errstr_size);
        if (err != CF_OK && out->data) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}
