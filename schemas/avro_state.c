/* cspflow: cf_migration_t <-> the MigrationState record
 * (schemas/avro/migration-state.avsc).
 *
 * The record's layout is fixed here (field positions below); cf_avro_new()
 * checks the schema has exactly these fields, in this order, with these
 * Avro types and enum symbols, so encode/decode use positions only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_bin.h"
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

/* ---- encoding ----
 * Room for a stretch of fields is reserved at once (every string is capped
 * at CF_ID_MAX, so a sub's or the top fields' size is bounded), then they
 * are written through e->p. */

#define STR_ROOM  CF_AVRO_STR_ROOM(CF_ID_MAX)
#define NUM_ROOM  10
#define TOP_ROOM  (3 * STR_ROOM + 5 * NUM_ROOM + 2)
#define SUB_ROOM  (6 * STR_ROOM + 8 * NUM_ROOM + 1)
#define DISC_ROOM (2 * STR_ROOM)

typedef struct senc_s {
        cf_buf_t *out;
        uint8_t *p; /* the write position, within the room reserved */
        char *errstr;
        size_t errstr_size;
        const char *field; /* the field being written, for errors */
} senc_t;

static cf_err_t senc_fail(senc_t *e, const char *what) {
        cf_errstr_set(e->errstr, e->errstr_size, "state %s: %s", e->field,
                      what);
        return CF_ERR_INVALID;
}

/* Keeps what is written and makes room for n more bytes. */
static cf_err_t room(senc_t *e, size_t n) {
        cf_err_t err;
        cf_avro_w_commit(e->out, e->p);
        if ((err = cf_buf_reserve(e->out, n)) != CF_OK) {
                cf_errstr_set(
                    e->errstr, e->errstr_size, "state %s: %s", e->field,
                    err == CF_ERR_LIMIT ? "encoded record over the buffer's cap"
                                        : "out of memory");
                return err;
        }
        e->p = e->out->data + e->out->len;
        return CF_OK;
}

static cf_err_t put_str(senc_t *e, int idx, const cf_avro_layout_t *l,
                        const char *s) {
        size_t n;

        if (!s)
                s = "";
        if ((n = cf_strnlen(s, CF_ID_MAX + 1)) > CF_ID_MAX) {
                e->field = l[idx].name;
                return senc_fail(e, "string over CF_ID_MAX");
        }
        e->p = cf_avro_w_bytes(e->p, s, n);
        return CF_OK;
}

static void put_long(senc_t *e, int64_t x) {
        e->p = cf_avro_w_long(e->p, x);
}

static cf_err_t put_time(senc_t *e, int idx, const cf_avro_layout_t *l,
                         int64_t x) {
        if (x < CF_TIME_MIN || x > CF_TIME_MAX) {
                e->field = l[idx].name;
                return senc_fail(e, "time out of range");
        }
        put_long(e, x);
        return CF_OK;
}

static void put_bool(senc_t *e, bool x) {
        *e->p++ = x ? 1 : 0;
}

static cf_err_t put_enum(senc_t *e, int idx, const cf_avro_layout_t *l, int x,
                         int count) {
        if (x < 0 || x >= count) {
                e->field = l[idx].name;
                return senc_fail(e, "enum value out of range");
        }
        put_long(e, x);
        return CF_OK;
}

static cf_err_t put_sub(senc_t *e, const cf_sub_state_t *s) {
        const cf_avro_layout_t *l = cf_avro_sub_fields;
        cf_err_t err;

        if ((err = room(e, SUB_ROOM)) ||
            (err =
                 put_str(e, CF_AVU_SOURCE_ID, l, s->source_subscription_id)) ||
            (err = put_str(e, CF_AVU_OFFER, l, s->offer_id)))
                return err;
        put_long(e, s->quantity);
        if ((err = put_enum(e, CF_AVU_CHANNEL, l, s->channel,
                            (int)cf_enum_channel.n)) ||
            (err = put_time(e, CF_AVU_EXPIRES, l, s->expires_at)) ||
            (err = put_enum(e, CF_AVU_SOURCE, l, (int)s->source,
                            CF_SRC__COUNT)) ||
            (err = put_enum(e, CF_AVU_TARGET, l, (int)s->target,
                            CF_TGT__COUNT)) ||
            (err = put_str(e, CF_AVU_TARGET_OFFER, l, s->target_offer_id)) ||
            (err = put_str(e, CF_AVU_REQUEST, l, s->request_id)))
                return err;
        put_long(e, s->requests);
        put_long(e, s->failures);
        if ((err = put_str(e, CF_AVU_SUB_ID, l, s->subscription_id)) ||
            (err = put_str(e, CF_AVU_PROV_OFFER, l, s->provisioned_offer_id)))
                return err;
        put_long(e, s->provisioned_quantity);
        put_bool(e, s->licenses_reassigned);
        return CF_OK;
}

/* Fields in the record's order; `applied` is checked before the lists, so a
 * migration that breaks two caps is reported as it always was. */
static cf_err_t put_state(senc_t *e, const cf_migration_t *m) {
        const cf_avro_layout_t *l = cf_avro_state_fields;
        cf_err_t err;

        if ((err = room(e, TOP_ROOM)) ||
            (err = put_str(e, CF_AVS_PARTNER, l, m->partner_id)) ||
            (err = put_str(e, CF_AVS_TENANT, l, m->customer_tenant_id)) ||
            (err = put_enum(e, CF_AVS_STATUS, l, (int)m->status,
                            CF_MIG__COUNT)) ||
            (err = put_str(e, CF_AVS_OPENED_BY, l, m->opened_by)) ||
            (err = put_time(e, CF_AVS_OPENED_AT, l, m->opened_at)) ||
            (err = put_time(e, CF_AVS_UPDATED_AT, l, m->updated_at)))
                return err;
        put_bool(e, m->multi_channel);
        put_bool(e, m->delegated_admin);
        e->field = "applied";
        if (m->applied > INT64_MAX)
                return senc_fail(e, "over 2^63-1");
        e->field = "subs";
        if (m->n_subs > CF_SUBS_MAX)
                return senc_fail(e, "too many subscriptions");
        if (m->n_subs)
                put_long(e, (int64_t)m->n_subs);
        for (size_t i = 0; i < m->n_subs; i++)
                if ((err = put_sub(e, &m->subs[i])) != CF_OK)
                        return err;
        e->field = "discontinued";
        if ((err = room(e, 2 * NUM_ROOM)) != CF_OK)
                return err;
        put_long(e, 0); /* the end of subs */
        if (m->n_discontinued > CF_DISCONTINUED_MAX)
                return senc_fail(e, "too many discontinued offers");
        if (m->n_discontinued)
                put_long(e, (int64_t)m->n_discontinued);
        for (size_t i = 0; i < m->n_discontinued; i++)
                if ((err = room(e, DISC_ROOM)) ||
                    (err = put_str(e, CF_AVD_OFFER, cf_avro_disc_fields,
                                   m->discontinued[i].offer_id)) ||
                    (err = put_str(e, CF_AVD_SUCCESSOR, cf_avro_disc_fields,
                                   m->discontinued[i].successor_offer_id)))
                        return err;
        e->field = "handled";
        if (m->n_handled > CF_EVENTS_PER_KEY_MAX)
                return senc_fail(e, "too many handled ids");
        if ((err = room(e, 5 * NUM_ROOM + m->n_handled * CF_AVRO_HASH_SIZE)) !=
            CF_OK)
                return err;
        put_long(e, 0); /* the end of discontinued */
        if (m->n_handled)
                put_long(e, (int64_t)m->n_handled);
        for (size_t i = 0; i < m->n_handled; i++) {
                uint64_t hi = m->handled[i].hi, lo = m->handled[i].lo;
                for (int k = 0; k < 8; k++) {
                        e->p[k] = (uint8_t)(hi >> (56 - 8 * k));
                        e->p[8 + k] = (uint8_t)(lo >> (56 - 8 * k));
                }
                e->p += CF_AVRO_HASH_SIZE;
        }
        put_long(e, 0); /* the end of handled */
        put_long(e, (int64_t)m->applied);
        put_long(e, m->last_input_offset);
        cf_avro_w_commit(e->out, e->p);
        return CF_OK;
}

cf_err_t cf_avro_encode_state(cf_avro_t *av, const cf_migration_t *m,
                              cf_buf_t *out, char *errstr, size_t errstr_size) {
        senc_t e = {out, NULL, errstr, errstr_size, ""};
        size_t mark = out->len;
        cf_err_t err;

        if ((err = cf_framing_write_header(out, av->state.fingerprint)) !=
            CF_OK) {
                cf_errstr_set(errstr, errstr_size, "%s",
                              err == CF_ERR_LIMIT ? "buffer cap reached"
                                                  : "out of memory");
        } else {
                e.p = out->data + out->len;
                err = put_state(&e, m);
        }
        if (err != CF_OK && out->data) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}
