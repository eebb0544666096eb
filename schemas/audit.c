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

#include "avro_bin.h"
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
        /* Reads as cf_audit_init leaves it; the bytes after a string's NUL
         * are not cleared (a memset of the ~1.8 KB record was ~200
         * instructions per event: docs/performance.md). The output arrays
         * and their capacity are kept. */
        a->event_id[0] = a->event_type[0] = a->key[0] = '\0';
        a->reason[0] = a->detail[0] = '\0';
        a->status_before[0] = a->status_after[0] = '\0';
        a->source_partition = 0;
        a->source_offset = 0;
        a->verdict = (cf_verdict_kind_t)0;
        a->rule = 0;
        a->has_occurred_at = false;
        a->occurred_at = 0;
        a->n_outputs = 0;
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

/* ---- encoding ----
 * Every field is capped, so room for the whole record but the output
 * lists is reserved at once, and each list's before it; fields are then
 * written through e->p. */

#define STR_ROOM(cap) CF_AVRO_STR_ROOM(cap)
#define NUM_ROOM      10
#define FIXED_ROOM                                                             \
        (4 * STR_ROOM(CF_ID_MAX) + STR_ROOM(CF_AUDIT_KEY_MAX) +                \
         2 * STR_ROOM(CF_ID_MAX) + STR_ROOM(CF_TEXT_MAX) + 12 * NUM_ROOM)

typedef struct aenc_s {
        cf_buf_t *out;
        uint8_t *p;
        char *errstr;
        size_t errstr_size;
} aenc_t;

static cf_err_t aenc_fail(aenc_t *e, int idx, const char *what) {
        cf_errstr_set(e->errstr, e->errstr_size, "audit %s: %s",
                      layout[idx].name, what);
        return CF_ERR_INVALID;
}

/* Keeps what is written and makes room for n more bytes (field idx next). */
static cf_err_t room(aenc_t *e, int idx, size_t n) {
        cf_err_t err;
        cf_avro_w_commit(e->out, e->p);
        if ((err = cf_buf_reserve(e->out, n)) != CF_OK) {
                cf_errstr_set(
                    e->errstr, e->errstr_size, "audit %s: %s", layout[idx].name,
                    err == CF_ERR_LIMIT ? "encoded record over the buffer's cap"
                                        : "out of memory");
                return err;
        }
        e->p = e->out->data + e->out->len;
        return CF_OK;
}

static cf_err_t put_str_cap(aenc_t *e, int idx, const char *s, size_t cap) {
        size_t n = cf_strnlen(s, cap + 1);
        if (n > cap)
                return aenc_fail(e, idx, "string over its cap");
        e->p = cf_avro_w_bytes(e->p, s, n);
        return CF_OK;
}

static cf_err_t put_str(aenc_t *e, int idx, const char *s) {
        return put_str_cap(e, idx, s, layout[idx].cap);
}

/* A nullable string: "" is null. */
static cf_err_t put_opt_str(aenc_t *e, int idx, const char *s) {
        if (!*s) {
                *e->p++ = 0;
                return CF_OK;
        }
        *e->p++ = 2; /* branch 1, zig-zag */
        return put_str(e, idx, s);
}

static void put_long(aenc_t *e, int64_t v) {
        e->p = cf_avro_w_long(e->p, v);
}

static cf_err_t put_list(aenc_t *e, int idx, const cf_id_t *list, size_t n) {
        cf_err_t err;
        if (n > CF_AUDIT_OUTPUTS_MAX)
                return aenc_fail(e, idx, "too many outputs");
        if ((err = room(e, idx, 2 * NUM_ROOM + n * STR_ROOM(CF_ID_MAX))) !=
            CF_OK)
                return err;
        if (n > 0)
                put_long(e, (int64_t)n);
        for (size_t i = 0; i < n; i++)
                if ((err = put_str_cap(e, idx, list[i], CF_ID_MAX)) != CF_OK)
                        return err;
        put_long(e, 0);
        return CF_OK;
}

static cf_err_t put_audit(aenc_t *e, const cf_audit_t *a) {
        cf_err_t err;

        if ((unsigned)a->verdict >= N_VERDICTS)
                return aenc_fail(e, AU_VERDICT, "out of range");
        if (a->has_occurred_at &&
            (a->occurred_at < CF_TIME_MIN || a->occurred_at > CF_TIME_MAX))
                return aenc_fail(e, AU_OCCURRED, "time out of range");
        if ((err = room(e, AU_EVENT_ID, FIXED_ROOM)) ||
            (err = put_opt_str(e, AU_EVENT_ID, a->event_id)) ||
            (err = put_opt_str(e, AU_EVENT_TYPE, a->event_type)) ||
            (err = put_opt_str(e, AU_KEY, a->key)))
                return err;
        put_long(e, a->source_partition);
        put_long(e, a->source_offset);
        put_long(e, (int64_t)a->verdict);
        if ((err = put_opt_str(e, AU_REASON, a->reason)) ||
            (err = put_opt_str(e, AU_DETAIL, a->detail)) ||
            (err = put_str(e, AU_BEFORE, a->status_before)) ||
            (err = put_str(e, AU_AFTER, a->status_after)))
                return err;
        put_long(e, a->rule);
        put_long(e, a->has_occurred_at ? 1 : 0);
        if (a->has_occurred_at)
                put_long(e, a->occurred_at);
        if ((err = put_list(e, AU_OUT_IDS, a->output_ids, a->n_outputs)) ||
            (err = put_list(e, AU_OUT_TYPES, a->output_types, a->n_outputs)))
                return err;
        cf_avro_w_commit(e->out, e->p);
        return CF_OK;
}

cf_err_t cf_avro_encode_audit_body(cf_avro_t *av, const cf_audit_t *a,
                                   cf_buf_t *out, char *errstr,
                                   size_t errstr_size) {
        aenc_t e = {out, NULL, errstr, errstr_size};
        size_t mark = out->len;
        cf_err_t err;

        (void)av; /* the layout is fixed here, checked by cf_avro_new() */
        if ((err = cf_buf_reserve(out, 0)) != CF_OK) { /* data != NULL */
                cf_errstr_set(errstr, errstr_size, "%s",
                              err == CF_ERR_LIMIT ? "buffer cap reached"
                                                  : "out of memory");
                return err;
        }
        e.p = out->data + out->len;
        err = put_audit(&e, a);
        if (err != CF_OK) {
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

/* The body is read in field order into views first (the bounds check has
 * proved its shape), then judged field by field in the order the checks
 * have always run. */
typedef struct astr_s {
        bool is_null;
        const char *s;
        size_t n;
} astr_t;

typedef struct aview_s {
        astr_t str[AU__N]; /* the string fields, by index */
        int64_t partition, offset, verdict, rule, occurred;
        bool occurred_null;
        cf_avro_rd_t ids, types; /* at the start of each list */
} aview_t;

static cf_reject_t adec_fail(char *detail, size_t size, int idx, cf_reject_t r,
                             const char *what) {
        cf_errstr_set(detail, size, "audit %s: %s", layout[idx].name, what);
        return r;
}

static void rd_opt(cf_avro_rd_t *rd, astr_t *v) {
        v->is_null = cf_avro_rd_long(rd) == 0;
        if (!v->is_null)
                cf_avro_rd_string(rd, &v->s, &v->n);
}

/* Skips a list of strings, leaving *start at its beginning. */
static void rd_skip_list(cf_avro_rd_t *rd, cf_avro_rd_t *start) {
        int64_t block;
        *start = *rd;
        while ((block = cf_avro_rd_block(rd)) > 0)
                for (int64_t i = 0; i < block && rd->ok; i++) {
                        const char *s;
                        size_t n;
                        cf_avro_rd_string(rd, &s, &n);
                }
}

static bool read_view(const uint8_t *body, size_t len, aview_t *v) {
        cf_avro_rd_t rd;

        memset(v, 0, sizeof(*v));
        cf_avro_rd_init(&rd, body, len);
        rd_opt(&rd, &v->str[AU_EVENT_ID]);
        rd_opt(&rd, &v->str[AU_EVENT_TYPE]);
        rd_opt(&rd, &v->str[AU_KEY]);
        v->partition = cf_avro_rd_long(&rd);
        v->offset = cf_avro_rd_long(&rd);
        v->verdict = cf_avro_rd_long(&rd);
        rd_opt(&rd, &v->str[AU_REASON]);
        rd_opt(&rd, &v->str[AU_DETAIL]);
        cf_avro_rd_string(&rd, &v->str[AU_BEFORE].s, &v->str[AU_BEFORE].n);
        cf_avro_rd_string(&rd, &v->str[AU_AFTER].s, &v->str[AU_AFTER].n);
        v->rule = cf_avro_rd_long(&rd);
        v->occurred_null = cf_avro_rd_long(&rd) == 0;
        if (!v->occurred_null)
                v->occurred = cf_avro_rd_long(&rd);
        rd_skip_list(&rd, &v->ids);
        rd_skip_list(&rd, &v->types);
        return rd.ok && rd.p == rd.end;
}

/* Copies a string of at most cap bytes into dst (cap + 1 bytes). */
static cf_reject_t get_str(const astr_t *v, int idx, char *dst, size_t cap,
                           char *detail, size_t detail_size) {
        if (v->n > cap)
                return adec_fail(detail, detail_size, idx, CF_REJ_OVER_LIMIT,
                                 "string over its cap");
        if (memchr(v->s, '\0', v->n))
                return adec_fail(detail, detail_size, idx, CF_REJ_INVALID_VALUE,
                                 "contains a NUL character");
        memcpy(dst, v->s, v->n);
        dst[v->n] = '\0';
        return CF_REJ_NONE;
}

static cf_reject_t get_opt_str(const aview_t *v, int idx, char *dst,
                               char *detail, size_t detail_size) {
        cf_reject_t r;
        dst[0] = '\0';
        if (v->str[idx].is_null)
                return CF_REJ_NONE;
        r = get_str(&v->str[idx], idx, dst, layout[idx].cap, detail,
                    detail_size);
        if (r == CF_REJ_NONE && !dst[0])
                return adec_fail(detail, detail_size, idx, CF_REJ_INVALID_VALUE,
                                 "empty string (null is written null)");
        return r;
}

static size_t list_len(cf_avro_rd_t rd) {
        size_t n = 0;
        int64_t block;
        while ((block = cf_avro_rd_block(&rd)) > 0) {
                n += (size_t)block;
                for (int64_t i = 0; i < block && rd.ok; i++) {
                        const char *s;
                        size_t len;
                        cf_avro_rd_string(&rd, &s, &len);
                }
        }
        return n;
}

/* The next string of a list read from *rd (*left counts what is left of
 * the current block). */
static void list_next(cf_avro_rd_t *rd, int64_t *left, astr_t *v) {
        while (*left == 0 && rd->ok)
                *left = cf_avro_rd_block(rd);
        (*left)--;
        cf_avro_rd_string(rd, &v->s, &v->n);
}

static cf_reject_t get_lists(aview_t *v, cf_audit_t *a, char *detail,
                             size_t detail_size) {
        size_t n = list_len(v->ids), m = list_len(v->types);
        int64_t left_ids = 0, left_types = 0;
        cf_id_t id, type;
        cf_reject_t r;

        if (n != m)
                return adec_fail(detail, detail_size, AU_OUT_TYPES,
                                 CF_REJ_INVALID_VALUE,
                                 "not as long as output_event_ids");
        for (size_t i = 0; i < n; i++) {
                astr_t s;
                list_next(&v->ids, &left_ids, &s);
                if ((r = get_str(&s, AU_OUT_IDS, id, CF_ID_MAX, detail,
                                 detail_size)))
                        return r;
                list_next(&v->types, &left_types, &s);
                if ((r = get_str(&s, AU_OUT_TYPES, type, CF_ID_MAX, detail,
                                 detail_size)))
                        return r;
                if (!cf_audit_add_output(a, id, type))
                        return adec_fail(detail, detail_size, AU_OUT_IDS,
                                         CF_REJ_OVER_LIMIT, "out of memory");
        }
        return CF_REJ_NONE;
}

static cf_reject_t get_audit(aview_t *v, cf_audit_t *a, char *detail,
                             size_t detail_size) {
        cf_reject_t rj;

        if ((rj = get_opt_str(v, AU_EVENT_ID, a->event_id, detail,
                              detail_size)) ||
            (rj = get_opt_str(v, AU_EVENT_TYPE, a->event_type, detail,
                              detail_size)) ||
            (rj = get_opt_str(v, AU_KEY, a->key, detail, detail_size)) ||
            (rj = get_opt_str(v, AU_REASON, a->reason, detail, detail_size)) ||
            (rj = get_opt_str(v, AU_DETAIL, a->detail, detail, detail_size)))
                return rj;
        a->source_partition = (int32_t)v->partition;
        a->source_offset = v->offset;
        if (v->verdict < 0 || v->verdict >= N_VERDICTS)
                return adec_fail(detail, detail_size, AU_VERDICT,
                                 CF_REJ_MALFORMED, "bad enum");
        a->verdict = (cf_verdict_kind_t)v->verdict;
        if ((rj = get_str(&v->str[AU_BEFORE], AU_BEFORE, a->status_before,
                          CF_ID_MAX, detail, detail_size)) ||
            (rj = get_str(&v->str[AU_AFTER], AU_AFTER, a->status_after,
                          CF_ID_MAX, detail, detail_size)))
                return rj;
        a->rule = (int32_t)v->rule;
        a->has_occurred_at = !v->occurred_null;
        if (!v->occurred_null) {
                a->occurred_at = v->occurred;
                if (a->occurred_at < CF_TIME_MIN ||
                    a->occurred_at > CF_TIME_MAX)
                        return adec_fail(detail, detail_size, AU_OCCURRED,
                                         CF_REJ_INVALID_VALUE,
                                         "time out of range");
        }
        return get_lists(v, a, detail, detail_size);
}

cf_reject_t cf_avro_decode_audit_body(cf_avro_t *av, const void *body,
                                      size_t len, cf_audit_t *a, char *detail,
                                      size_t detail_size) {
        aview_t v;
        cf_reject_t r;

        cf_audit_reset(a);
        r = cf_avro_check_body(&av->audit, body, len, detail, detail_size);
        if (r == CF_REJ_NONE && !read_view(body, len, &v)) {
                cf_errstr_set(detail, detail_size, "audit: unreadable body");
                r = CF_REJ_MALFORMED;
        }
        if (r == CF_REJ_NONE)
                r = get_audit(&v, a, detail, detail_size);
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
