/* cspflow: cf_audit_t <-> the AuditRecord record
 * (schemas/avro/audit-record.avsc), and its JSON line.
 *
 * The record's layout is fixed here (field positions below);
 * cf_avro_new() checks the schema has exactly these fields, in this order,
 * with these Avro types and verdict symbols, so encode/decode use
 * positions only. */
#include "audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "avro_int.h"
#include "common/cf_time.h"
#include "common/strutil.h"
#include "framing.h"

enum {
        AU_EVENT_ID,
        AU_EVENT_TYPE,
        AU_KEY,
        AU_PARTITION,
        AU_OFFSET,
        AU_VERDICT,
        AU_REASON,
        AU_DETAIL,
        AU_BEFORE,
        AU_AFTER,
        AU_RULE,
        AU_OCCURRED,
        AU_OUT_IDS,
        AU_OUT_TYPES,
        AU__N
};

/* name, Avro kind (for unions: the kind of the non-null branch), cap */
static const struct {
        const char *name;
        cf_avro_kind_t kind;
        bool nullable;
        size_t cap;
} layout[AU__N] = {
    {"event_id", CF_AV_STRING, true, CF_ID_MAX},
    {"event_type", CF_AV_STRING, true, CF_ID_MAX},
    {"key", CF_AV_STRING, true, CF_AUDIT_KEY_MAX},
    {"source_partition", CF_AV_INT, false, 0},
    {"source_offset", CF_AV_LONG, false, 0},
    {"verdict", CF_AV_ENUM, false, 0},
    {"reason", CF_AV_STRING, true, CF_ID_MAX},
    {"detail", CF_AV_STRING, true, CF_TEXT_MAX},
    {"status_before", CF_AV_STRING, false, CF_ID_MAX},
    {"status_after", CF_AV_STRING, false, CF_ID_MAX},
    {"rule", CF_AV_INT, false, 0},
    {"occurred_at", CF_AV_LONG, true, 0},
    {"output_event_ids", CF_AV_ARRAY, false, CF_AUDIT_OUTPUTS_MAX},
    {"output_types", CF_AV_ARRAY, false, CF_AUDIT_OUTPUTS_MAX},
};

static const char *const verdict_avro[] = {"APPLIED", "DUPLICATE", "REJECTED"};
static const char *const verdict_json[] = {"applied", "duplicate", "rejected"};
#define N_VERDICTS 3

/* ---- lifecycle ---- */

void cf_audit_init(cf_audit_t *a) {
        memset(a, 0, sizeof(*a));
}

void cf_audit_reset(cf_audit_t *a) {
        cf_id_t *ids = a->output_ids, *types = a->output_types;
        size_t cap = a->outputs_cap;
        memset(a, 0, sizeof(*a));
        a->output_ids = ids;
        a->output_types = types;
        a->outputs_cap = cap;
}

void cf_audit_clear(cf_audit_t *a) {
        free(a->output_ids);
        free(a->output_types);
        cf_audit_init(a);
}

bool cf_audit_add_output(cf_audit_t *a, const char *event_id,
                         const char *type) {
        if (a->n_outputs >= CF_AUDIT_OUTPUTS_MAX)
                return false;
        if (a->n_outputs == a->outputs_cap) {
                size_t cap = a->outputs_cap ? a->outputs_cap * 2 : 8;
                cf_id_t *ids, *types;
                if (cap > CF_AUDIT_OUTPUTS_MAX)
                        cap = CF_AUDIT_OUTPUTS_MAX;
                if (!(ids = realloc(a->output_ids, cap * sizeof(*ids))))
                        return false;
                a->output_ids = ids;
                if (!(types = realloc(a->output_types, cap * sizeof(*types))))
                        return false;
                a->output_types = types;
                a->outputs_cap = cap;
        }
        if (!cf_strlcpy(a->output_ids[a->n_outputs], event_id,
                        sizeof(cf_id_t)) ||
            !cf_strlcpy(a->output_types[a->n_outputs], type, sizeof(cf_id_t)))
                return false;
        a->n_outputs++;
        return true;
}

/* ---- the schema check ---- */

static cf_err_t check_fail(const char *field, const char *what, char *errstr,
                           size_t errstr_size) {
        cf_errstr_set(errstr, errstr_size,
                      "schemas/avro/" CF_AVRO_AUDIT_SCHEMA
                      ".avsc: AuditRecord.%s: %s (schemas/audit.c)",
                      field, what);
        return CF_ERR_INVALID;
}

cf_err_t cf_avro_audit_check(cf_avro_type_t *t, char *errstr,
                             size_t errstr_size) {
        cf_avro_node_t *root = &t->bounds;
        avro_schema_t verdict;

        if (strcmp(avro_schema_name(t->schema), "AuditRecord") != 0)
                return check_fail("*", "record name is not AuditRecord", errstr,
                                  errstr_size);
        if (root->kind != CF_AV_RECORD || root->n != AU__N)
                return check_fail("*", "field count differs", errstr,
                                  errstr_size);
        for (size_t i = 0; i < AU__N; i++) {
                cf_avro_node_t *k = &root->kids[i];
                if (!k->name || strcmp(k->name, layout[i].name) != 0)
                        return check_fail(layout[i].name,
                                          "name or position differs", errstr,
                                          errstr_size);
                if (layout[i].nullable) {
                        if (k->kind != CF_AV_UNION || k->n != 2 ||
                            k->kids[0].kind != CF_AV_NULL ||
                            k->kids[1].kind != layout[i].kind)
                                return check_fail(layout[i].name,
                                                  "expected [\"null\", T]",
                                                  errstr, errstr_size);
                        k = &k->kids[1];
                } else if (k->kind != layout[i].kind) {
                        return check_fail(layout[i].name, "Avro type differs",
                                          errstr, errstr_size);
                }
                if (k->kind == CF_AV_ARRAY) {
                        if (k->kids[0].kind != CF_AV_STRING)
                                return check_fail(layout[i].name,
                                                  "expected an array of "
                                                  "string",
                                                  errstr, errstr_size);
                        k->kids[0].cap = CF_ID_MAX;
                }
                if (layout[i].cap)
                        k->cap = layout[i].cap;
        }
        verdict = avro_schema_record_field_get_by_index(t->schema, AU_VERDICT);
        if (avro_schema_enum_number_of_symbols(verdict) != N_VERDICTS)
                return check_fail("verdict", "enum symbol count differs",
                                  errstr, errstr_size);
        for (int i = 0; i < N_VERDICTS; i++)
                if (strcmp(avro_schema_enum_get(verdict, i), verdict_avro[i]))
                        return check_fail("verdict", "enum symbols differ",
                                          errstr, errstr_size);
        return CF_OK;
}

uint64_t cf_avro_audit_fingerprint(const cf_avro_t *av) {
        return av->audit.fingerprint;
}

const char *cf_avro_audit_text(const cf_avro_t *av, size_t *len) {
        *len = av->audit.text_len;
        return av->audit.text;
}

/* ---- encoding ---- */

typedef struct aenc_s {
        char *errstr;
        size_t errstr_size;
} aenc_t;

static cf_err_t aenc_fail(aenc_t *e, int idx, const char *what) {
        cf_errstr_set(e->errstr, e->errstr_size, "audit %s: %s",
                      layout[idx].name, what);
        return CF_ERR_INVALID;
}

static cf_err_t field(aenc_t *e, avro_value_t *rec, int idx, avro_value_t *v) {
        return avro_value_get_by_index(rec, idx, v, NULL)
                   ? aenc_fail(e, idx, "avro-c")
                   : CF_OK;
}

static cf_err_t set_str(aenc_t *e, int idx, avro_value_t *v, const char *s) {
        size_t n = cf_strnlen(s, layout[idx].cap + 1);
        if (n > layout[idx].cap)
                return aenc_fail(e, idx, "string over its cap");
        return avro_value_set_string_len(v, s, n + 1)
                   ? aenc_fail(e, idx, "avro-c")
                   : CF_OK;
}

/* A nullable string: "" is null. */
static cf_err_t put_opt_str(aenc_t *e, avro_value_t *rec, int idx,
                            const char *s) {
        avro_value_t u, b;
        cf_err_t err = field(e, rec, idx, &u);
        if (err != CF_OK)
                return err;
        if (!*s)
                return avro_value_set_branch(&u, 0, &b) ||
                               avro_value_set_null(&b)
                           ? aenc_fail(e, idx, "avro-c")
                           : CF_OK;
        if (avro_value_set_branch(&u, 1, &b) != 0)
                return aenc_fail(e, idx, "avro-c");
        return set_str(e, idx, &b, s);
}

static cf_err_t put_str(aenc_t *e, avro_value_t *rec, int idx, const char *s) {
        avro_value_t v;
        cf_err_t err = field(e, rec, idx, &v);
        return err != CF_OK ? err : set_str(e, idx, &v, s);
}

static cf_err_t put_list(aenc_t *e, avro_value_t *rec, int idx,
                         const cf_id_t *list, size_t n) {
        avro_value_t arr, el;
        cf_err_t err = field(e, rec, idx, &arr);
        if (err != CF_OK)
                return err;
        if (n > CF_AUDIT_OUTPUTS_MAX)
                return aenc_fail(e, idx, "too many outputs");
        for (size_t i = 0; i < n; i++) {
                size_t len = cf_strnlen(list[i], CF_ID_MAX + 1);
                if (len > CF_ID_MAX)
                        return aenc_fail(e, idx, "string over its cap");
                if (avro_value_append(&arr, &el, NULL) != 0 ||
                    avro_value_set_string_len(&el, list[i], len + 1) != 0)
                        return aenc_fail(e, idx, "avro-c");
        }
        return CF_OK;
}

static cf_err_t put_audit(aenc_t *e, avro_value_t *r, const cf_audit_t *a) {
        avro_value_t v, b;
        cf_err_t err;

        if ((unsigned)a->verdict >= N_VERDICTS)
                return aenc_fail(e, AU_VERDICT, "out of range");
        if (a->has_occurred_at &&
            (a->occurred_at < CF_TIME_MIN || a->occurred_at > CF_TIME_MAX))
                return aenc_fail(e, AU_OCCURRED, "time out of range");
        if ((err = put_opt_str(e, r, AU_EVENT_ID, a->event_id)) ||
            (err = put_opt_str(e, r, AU_EVENT_TYPE, a->event_type)) ||
            (err = put_opt_str(e, r, AU_KEY, a->key)))
                return err;
        if ((err = field(e, r, AU_PARTITION, &v)) != CF_OK)
                return err;
        if (avro_value_set_int(&v, a->source_partition) != 0)
                return aenc_fail(e, AU_PARTITION, "avro-c");
        if ((err = field(e, r, AU_OFFSET, &v)) != CF_OK)
                return err;
        if (avro_value_set_long(&v, a->source_offset) != 0)
                return aenc_fail(e, AU_OFFSET, "avro-c");
        if ((err = field(e, r, AU_VERDICT, &v)) != CF_OK)
                return err;
        if (avro_value_set_enum(&v, (int)a->verdict) != 0)
                return aenc_fail(e, AU_VERDICT, "avro-c");
        if ((err = put_opt_str(e, r, AU_REASON, a->reason)) ||
            (err = put_opt_str(e, r, AU_DETAIL, a->detail)) ||
            (err = put_str(e, r, AU_BEFORE, a->status_before)) ||
            (err = put_str(e, r, AU_AFTER, a->status_after)))
                return err;
        if ((err = field(e, r, AU_RULE, &v)) != CF_OK)
                return err;
        if (avro_value_set_int(&v, a->rule) != 0)
                return aenc_fail(e, AU_RULE, "avro-c");
        if ((err = field(e, r, AU_OCCURRED, &v)) != CF_OK)
                return err;
        if (avro_value_set_branch(&v, a->has_occurred_at ? 1 : 0, &b) != 0 ||
            (a->has_occurred_at ? avro_value_set_long(&b, a->occurred_at)
                                : avro_value_set_null(&b)) != 0)
                return aenc_fail(e, AU_OCCURRED, "avro-c");
        if ((err = put_list(e, r, AU_OUT_IDS, a->output_ids, a->n_outputs)) ||
            (err = put_list(e, r, AU_OUT_TYPES, a->output_types, a->n_outputs)))
                return err;
        return CF_OK;
}

cf_err_t cf_avro_encode_audit_body(cf_avro_t *av, const cf_audit_t *a,
                                   cf_buf_t *out, char *errstr,
                                   size_t errstr_size) {
        aenc_t e = {errstr, errstr_size};
        size_t mark = out->len;
        cf_err_t err;

        avro_value_reset(&av->audit.value);
        err = put_audit(&e, &av->audit.value, a);
        if (err == CF_OK)
                err = cf_avro_write_value(av, &av->audit, out, errstr,
                                          errstr_size);
        if (err != CF_OK && out->data) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}

cf_err_t cf_avro_encode_audit(cf_avro_t *av, const cf_audit_t *a, cf_buf_t *out,
                              char *errstr, size_t errstr_size) {
        size_t mark = out->len;
        cf_err_t err = cf_framing_write_header(out, av->audit.fingerprint);

        if (err != CF_OK) {
                cf_errstr_set(errstr, errstr_size, "%s",
                              err == CF_ERR_LIMIT ? "buffer cap reached"
                                                  : "out of memory");
                return err;
        }
        err = cf_avro_encode_audit_body(av, a, out, errstr, errstr_size);
        if (err != CF_OK && out->data) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}

/* ---- decoding ---- */

static cf_reject_t adec_fail(char *detail, size_t size, int idx, cf_reject_t r,
                             const char *what) {
        cf_errstr_set(detail, size, "audit %s: %s", layout[idx].name, what);
        return r;
}

/* Copies an Avro string of at most cap bytes into dst (cap + 1 bytes). */
static cf_reject_t get_str(avro_value_t *v, int idx, char *dst, size_t cap,
                           char *detail, size_t detail_size) {
        const char *s = NULL;
        size_t size = 0;
        if (avro_value_get_string(v, &s, &size) != 0 || !s || size == 0)
                return adec_fail(detail, detail_size, idx, CF_REJ_MALFORMED,
                                 "not a string");
        if (size - 1 > cap)
                return adec_fail(detail, detail_size, idx, CF_REJ_OVER_LIMIT,
                                 "string over its cap");
        if (memchr(s, '\0', size - 1))
                return adec_fail(detail, detail_size, idx, CF_REJ_INVALID_VALUE,
                                 "contains a NUL character");
        memcpy(dst, s, size); /* size counts the NUL */
        return CF_REJ_NONE;
}

/* A nullable field: *v is its non-null branch, *is_null says. */
static cf_reject_t get_opt(avro_value_t *rec, int idx, avro_value_t *v,
                           bool *is_null, char *detail, size_t detail_size) {
        avro_value_t u;
        int disc = 0;
        if (avro_value_get_by_index(rec, idx, &u, NULL) != 0 ||
            avro_value_get_discriminant(&u, &disc) != 0 ||
            avro_value_get_current_branch(&u, v) != 0)
                return adec_fail(detail, detail_size, idx, CF_REJ_MALFORMED,
                                 "bad union");
        *is_null = disc == 0;
        return CF_REJ_NONE;
}

static cf_reject_t get_opt_str(avro_value_t *rec, int idx, char *dst,
                               char *detail, size_t detail_size) {
        avro_value_t v;
        bool is_null = true;
        cf_reject_t r = get_opt(rec, idx, &v, &is_null, detail, detail_size);
        dst[0] = '\0';
        if (r != CF_REJ_NONE || is_null)
                return r;
        r = get_str(&v, idx, dst, layout[idx].cap, detail, detail_size);
        if (r == CF_REJ_NONE && !dst[0])
                return adec_fail(detail, detail_size, idx, CF_REJ_INVALID_VALUE,
                                 "empty string (null is written null)");
        return r;
}

static cf_reject_t get_lists(avro_value_t *rec, cf_audit_t *a, char *detail,
                             size_t detail_size) {
        avro_value_t ids, types, el;
        size_t n = 0, m = 0;
        cf_id_t id, type;
        cf_reject_t r;

        if (avro_value_get_by_index(rec, AU_OUT_IDS, &ids, NULL) != 0 ||
            avro_value_get_by_index(rec, AU_OUT_TYPES, &types, NULL) != 0 ||
            avro_value_get_size(&ids, &n) != 0 ||
            avro_value_get_size(&types, &m) != 0)
                return adec_fail(detail, detail_size, AU_OUT_IDS,
                                 CF_REJ_MALFORMED, "not an array");
        if (n != m)
                return adec_fail(detail, detail_size, AU_OUT_TYPES,
                                 CF_REJ_INVALID_VALUE,
                                 "not as long as output_event_ids");
        for (size_t i = 0; i < n; i++) {
                if (avro_value_get_by_index(&ids, i, &el, NULL) != 0)
                        return adec_fail(detail, detail_size, AU_OUT_IDS,
                                         CF_REJ_MALFORMED, "missing item");
                if ((r = get_str(&el, AU_OUT_IDS, id, CF_ID_MAX, detail,
                                 detail_size)))
                        return r;
                if (avro_value_get_by_index(&types, i, &el, NULL) != 0)
                        return adec_fail(detail, detail_size, AU_OUT_TYPES,
                                         CF_REJ_MALFORMED, "missing item");
                if ((r = get_str(&el, AU_OUT_TYPES, type, CF_ID_MAX, detail,
                                 detail_size)))
                        return r;
                if (!cf_audit_add_output(a, id, type))
                        return adec_fail(detail, detail_size, AU_OUT_IDS,
                                         CF_REJ_OVER_LIMIT, "out of memory");
        }
        return CF_REJ_NONE;
}

static cf_reject_t get_audit(avro_value_t *r, cf_audit_t *a, char *detail,
                             size_t detail_size) {
        avro_value_t v;
        bool is_null = true;
        int verdict = 0;
        cf_reject_t rj;

        if ((rj = get_opt_str(r, AU_EVENT_ID, a->event_id, detail,
                              detail_size)) ||
            (rj = get_opt_str(r, AU_EVENT_TYPE, a->event_type, detail,
                              detail_size)) ||
            (rj = get_opt_str(r, AU_KEY, a->key, detail, detail_size)) ||
            (rj = get_opt_str(r, AU_REASON, a->reason, detail, detail_size)) ||
            (rj = get_opt_str(r, AU_DETAIL, a->detail, detail, detail_size)))
                return rj;
        if (avro_value_get_by_index(r, AU_PARTITION, &v, NULL) != 0 ||
            avro_value_get_int(&v, &a->source_partition) != 0)
                return adec_fail(detail, detail_size, AU_PARTITION,
                                 CF_REJ_MALFORMED, "not an int");
        if (avro_value_get_by_index(r, AU_OFFSET, &v, NULL) != 0 ||
            avro_value_get_long(&v, &a->source_offset) != 0)
                return adec_fail(detail, detail_size, AU_OFFSET,
                                 CF_REJ_MALFORMED, "not a long");
        if (avro_value_get_by_index(r, AU_VERDICT, &v, NULL) != 0 ||
            avro_value_get_enum(&v, &verdict) != 0 || verdict < 0 ||
            verdict >= N_VERDICTS)
                return adec_fail(detail, detail_size, AU_VERDICT,
                                 CF_REJ_MALFORMED, "bad enum");
        a->verdict = (cf_verdict_kind_t)verdict;
        if (avro_value_get_by_index(r, AU_BEFORE, &v, NULL) != 0 ||
            (rj = get_str(&v, AU_BEFORE, a->status_before, CF_ID_MAX, detail,
                          detail_size)))
                return rj ? rj
                          : adec_fail(detail, detail_size, AU_BEFORE,
                                      CF_REJ_MALFORMED, "missing");
        if (avro_value_get_by_index(r, AU_AFTER, &v, NULL) != 0 ||
            (rj = get_str(&v, AU_AFTER, a->status_after, CF_ID_MAX, detail,
                          detail_size)))
                return rj ? rj
                          : adec_fail(detail, detail_size, AU_AFTER,
                                      CF_REJ_MALFORMED, "missing");
        if (avro_value_get_by_index(r, AU_RULE, &v, NULL) != 0 ||
            avro_value_get_int(&v, &a->rule) != 0)
                return adec_fail(detail, detail_size, AU_RULE, CF_REJ_MALFORMED,
                                 "not an int");
        if ((rj = get_opt(r, AU_OCCURRED, &v, &is_null, detail, detail_size)))
                return rj;
        a->has_occurred_at = !is_null;
        if (!is_null) {
                if (avro_value_get_long(&v, &a->occurred_at) != 0)
                        return adec_fail(detail, detail_size, AU_OCCURRED,
                                         CF_REJ_MALFORMED, "not a long");
                if (a->occurred_at < CF_TIME_MIN ||
                    a->occurred_at > CF_TIME_MAX)
                        return adec_fail(detail, detail_size, AU_OCCURRED,
                                         CF_REJ_INVALID_VALUE,
                                         "time out of range");
        }
        return get_lists(r, a, detail, detail_size);
}

cf_reject_t cf_avro_decode_audit_body(cf_avro_t *av, const void *body,
                                      size_t len, cf_audit_t *a, char *detail,
                                      size_t detail_size) {
        cf_reject_t r;

        cf_audit_reset(a);
        r = cf_avro_read_value(av, &av->audit, body, len, detail, detail_size);
        if (r == CF_REJ_NONE)
                r = get_audit(&av->audit.value, a, detail, detail_size);
        if (r != CF_REJ_NONE)
                cf_audit_reset(a);
        return r;
}

cf_reject_t cf_avro_decode_audit(cf_avro_t *av, const void *data, size_t len,
                                 cf_audit_t *a, char *detail,
                                 size_t detail_size) {
        uint64_t fp = 0;
        const uint8_t *body = NULL;
        size_t body_len = 0;
        cf_reject_t r;

        cf_audit_reset(a);
        r = cf_framing_parse(data, len, &fp, &body, &body_len, detail,
                             detail_size);
        if (r != CF_REJ_NONE)
                return r;
        if (fp != av->audit.fingerprint) {
                cf_errstr_set(detail, detail_size,
                              "fingerprint %016llx is not the audit schema's",
                              (unsigned long long)fp);
                return CF_REJ_UNKNOWN_SCHEMA;
        }
        return cf_avro_decode_audit_body(av, body, body_len, a, detail,
                                         detail_size);
}

/* ---- JSON ---- */

static int jset(json_t *o, const char *k, json_t *v) {
        return v ? json_object_set_new(o, k, v) : -1;
}

static int jset_opt(json_t *o, const char *k, const char *s) {
        return jset(o, k, *s ? json_string(s) : json_null());
}

static json_t *jlist(const cf_id_t *list, size_t n) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++)
                if (json_array_append_new(arr, json_string(list[i])) != 0) {
                        json_decref(arr);
                        return NULL;
                }
        return arr;
}

char *cf_audit_json_encode(const cf_audit_t *a) {
        json_t *o = json_object();
        char ts[CF_TIME_STR_SIZE];
        char *s = NULL;
        int rc = 0;

        if (!o || (unsigned)a->verdict >= N_VERDICTS)
                goto out;
        if (a->has_occurred_at &&
            !cf_time_format(a->occurred_at, ts, sizeof(ts)))
                goto out;
        rc |= jset(o, "type", json_string("audit-record"));
        rc |= jset_opt(o, "event_id", a->event_id);
        rc |= jset_opt(o, "event_type", a->event_type);
        rc |= jset_opt(o, "key", a->key);
        rc |= jset(o, "source_partition", json_integer(a->source_partition));
        rc |= jset(o, "source_offset", json_integer(a->source_offset));
        rc |= jset(o, "verdict", json_string(verdict_json[a->verdict]));
        rc |= jset_opt(o, "reason", a->reason);
        rc |= jset_opt(o, "detail", a->detail);
        rc |= jset(o, "status_before", json_string(a->status_before));
        rc |= jset(o, "status_after", json_string(a->status_after));
        rc |= jset(o, "rule", json_integer(a->rule));
        rc |= jset(o, "occurred_at",
                   a->has_occurred_at ? json_string(ts) : json_null());
        rc |= jset(o, "output_event_ids", jlist(a->output_ids, a->n_outputs));
        rc |= jset(o, "output_types", jlist(a->output_types, a->n_outputs));
        if (!rc)
                s = json_dumps(o, JSON_COMPACT);
out:
        json_decref(o);
        return s;
}
