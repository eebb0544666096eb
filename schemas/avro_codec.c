/* cspflow: loading the embedded Avro schemas and checking them against the
 * event tables; the bounds check of a body. Event, state and audit mapping
 * live in avro_event.c, avro_state*.c and audit.c, which write and read the
 * binary encoding directly (avro_bin.h). */
#include "avro_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "avro_int.h"
#include "canonical.h"
#include "embedded.h"

/* ---- schema vs table ---- */

typedef struct checker_s {
        const char *file;
        char *errstr;
        size_t errstr_size;
} checker_t;

static cf_err_t mismatch(const checker_t *ck, const char *rec,
                         const char *field, const char *what) {
        cf_errstr_set(ck->errstr, ck->errstr_size,
                      "schemas/avro/%s.avsc: %s.%s: %s (common/event.c)",
                      ck->file, rec, field, what);
        return CF_ERR_INVALID;
}

static bool is_type(avro_schema_t s, avro_type_t t) {
        return s && avro_typeof(s) == t;
}

static cf_err_t check_enum(const checker_t *ck, const char *rec,
                           const cf_field_t *f, avro_schema_t s) {
        const cf_enum_desc_t *e = f->enm;

        if (!is_type(s, AVRO_ENUM) || strcmp(avro_schema_name(s), e->name))
                return mismatch(ck, rec, f->name,
                                "expected an enum of that "
                                "field's enum name");
        if ((size_t)avro_schema_enum_number_of_symbols(s) != e->n)
                return mismatch(ck, rec, f->name,
                                "enum symbol count "
                                "differs");
        for (size_t j = 0; j < e->n; j++)
                if (strcmp(avro_schema_enum_get(s, (int)j),
                           e->avro_symbols[j]) != 0)
                        return mismatch(ck, rec, f->name,
                                        "enum symbols "
                                        "differ (names or order)");
        return CF_OK;
}

static cf_err_t check_record(const checker_t *ck, const char *rec,
                             const cf_field_t *fields, size_t n,
                             avro_schema_t s, cf_avro_node_t *node);

static cf_err_t check_field(const checker_t *ck, const char *rec,
                            const cf_field_t *f, avro_schema_t s,
                            cf_avro_node_t *k) {
        avro_schema_t items;

        switch (f->kind) {
        case CF_F_TYPE:
        case CF_F_ID:
        case CF_F_TEXT:
                if (!is_type(s, AVRO_STRING))
                        return mismatch(ck, rec, f->name, "expected string");
                k->cap = f->kind == CF_F_TEXT ? CF_TEXT_MAX : CF_ID_MAX;
                return CF_OK;
        case CF_F_OPT_ID:
                if (!is_type(s, AVRO_UNION) || avro_schema_union_size(s) != 2 ||
                    !is_type(avro_schema_union_branch(s, 0), AVRO_NULL) ||
                    !is_type(avro_schema_union_branch(s, 1), AVRO_STRING))
                        return mismatch(ck, rec, f->name,
                                        "expected [\"null\",\"string\"]");
                k->kids[1].cap = CF_ID_MAX;
                return CF_OK;
        case CF_F_INT:
                return is_type(s, AVRO_INT32)
                           ? CF_OK
                           : mismatch(ck, rec, f->name, "expected int");
        case CF_F_BOOL:
                return is_type(s, AVRO_BOOLEAN)
                           ? CF_OK
                           : mismatch(ck, rec, f->name, "expected boolean");
        case CF_F_TIME:
                return is_type(s, AVRO_INT64)
                           ? CF_OK
                           : mismatch(ck, rec, f->name,
                                      "expected long (timestamp-millis)");
        case CF_F_ENUM:
                return check_enum(ck, rec, f, s);
        case CF_F_ROLES:
                if (!is_type(s, AVRO_ARRAY) ||
                    !is_type(avro_schema_array_items(s), AVRO_STRING))
                        return mismatch(ck, rec, f->name,
                                        "expected an array of string");
                k->cap = CF_ROLES_MAX;
                k->kids[0].cap = CF_ID_MAX;
                return CF_OK;
        case CF_F_ACTOR:
                if (!is_type(s, AVRO_RECORD) ||
                    strcmp(avro_schema_name(s), f->record->name) != 0)
                        return mismatch(ck, rec, f->name,
                                        "expected a record "
                                        "of the table's record name");
                return check_record(ck, f->record->name, f->record->fields,
                                    f->record->n_fields, s, k);
        case CF_F_SUBS:
                items =
                    is_type(s, AVRO_ARRAY) ? avro_schema_array_items(s) : NULL;
                if (!is_type(items, AVRO_RECORD) ||
                    strcmp(avro_schema_name(items), f->record->name) != 0)
                        return mismatch(ck, rec, f->name,
                                        "expected an array "
                                        "of the table's record");
                k->cap = CF_SUBS_MAX;
                return check_record(ck, f->record->name, f->record->fields,
                                    f->record->n_fields, items, &k->kids[0]);
        }
        return mismatch(ck, rec, f->name, "unknown field kind");
}

static cf_err_t check_record(const checker_t *ck, const char *rec,
                             const cf_field_t *fields, size_t n,
                             avro_schema_t s, cf_avro_node_t *node) {
        char what[160];

        if (avro_schema_record_size(s) != n) {
                snprintf(what, sizeof(what),
                         "record has %zu fields, the table %zu",
                         avro_schema_record_size(s), n);
                return mismatch(ck, rec, "*", what);
        }
        for (size_t i = 0; i < n; i++) {
                const char *name = avro_schema_record_field_name(s, (int)i);
                if (!name || strcmp(name, fields[i].name) != 0) {
                        snprintf(what, sizeof(what),
                                 "field %zu is '%s' in the schema", i,
                                 name ? name : "?");
                        return mismatch(ck, rec, fields[i].name, what);
                }
                /* the index codecs use is the table position: prove it */
                if (avro_schema_record_field_get_index(s, fields[i].name) !=
                    (int)i)
                        return mismatch(ck, rec, fields[i].name,
                                        "field index is not its table "
                                        "position");
                cf_err_t err = check_field(
                    ck, rec, &fields[i],
                    avro_schema_record_field_get_by_index(s, (int)i),
                    &node->kids[i]);
                if (err != CF_OK)
                        return err;
        }
        return CF_OK;
}

cf_err_t cf_avro_event_check(const cf_event_desc_t *d, cf_avro_type_t *t,
                             char *errstr, size_t errstr_size) {
        checker_t ck = {t->file, errstr, errstr_size};

        if (strcmp(avro_schema_name(t->schema), d->schema_name) != 0)
                return mismatch(&ck, avro_schema_name(t->schema), "*",
                                "record name is not the table's "
                                "schema_name");
        return check_record(&ck, d->schema_name, d->fields, d->n_fields,
                            t->schema, &t->bounds);
}

/* ---- loading ---- */

static void type_free(cf_avro_type_t *t) {
        if (t->has_value)
                avro_value_decref(&t->value);
        if (t->schema)
                avro_schema_decref(t->schema);
        cf_avro_node_free(&t->bounds);
        memset(t, 0, sizeof(*t));
}

static cf_err_t type_load(cf_avro_type_t *t, const cf_embedded_schema_t *e,
                          char *errstr, size_t errstr_size) {
        avro_value_iface_t *iface;
        const char *ns;
        char why[256];
        cf_err_t err;
        int rc;

        t->file = e->name;
        t->text = e->text;
        t->text_len = e->len;
        err = cf_canonical_fingerprint(e->text, e->len, &t->fingerprint, why,
                                       sizeof(why));
        if (err != CF_OK) {
                cf_errstr_set(errstr, errstr_size, "schemas/avro/%s.avsc: %s",
                              e->name, why);
                return err;
        }
        if (avro_schema_from_json_length(e->text, e->len, &t->schema) != 0) {
                t->schema = NULL;
                cf_errstr_set(errstr, errstr_size,
                              "schemas/avro/%s.avsc: avro-c: %s", e->name,
                              avro_strerror());
                return CF_ERR_INVALID;
        }
        ns = avro_schema_namespace(t->schema);
        if (!is_type(t->schema, AVRO_RECORD) || !ns ||
            strcmp(ns, CF_SCHEMA_NAMESPACE) != 0) {
                cf_errstr_set(errstr, errstr_size,
                              "schemas/avro/%s.avsc: not a record in "
                              "namespace " CF_SCHEMA_NAMESPACE,
                              e->name);
                return CF_ERR_INVALID;
        }
        if (!(iface = avro_generic_class_from_schema(t->schema))) {
                cf_errstr_set(errstr, errstr_size,
                              "schemas/avro/%s.avsc: avro-c value class: %s",
                              e->name, avro_strerror());
                return CF_ERR_INVALID;
        }
        rc = avro_generic_value_new(iface, &t->value);
        avro_value_iface_decref(iface); /* the value holds its own ref */
        if (rc != 0) {
                cf_errstr_set(errstr, errstr_size,
                              "schemas/avro/%s.avsc: avro-c value: %s", e->name,
                              avro_strerror());
                return CF_ERR_NOMEM;
        }
        t->has_value = true;
        err = cf_avro_node_build(t->schema, &t->bounds, why, sizeof(why));
        if (err != CF_OK)
                cf_errstr_set(errstr, errstr_size, "schemas/avro/%s.avsc: %s",
                              e->name, why);
        return err;
}

static cf_err_t load_all(cf_avro_t *av, char *errstr, size_t errstr_size) {
        cf_err_t err;

        for (size_t i = 0; i < cf_embedded_schemas_n; i++) {
                const cf_embedded_schema_t *e = &cf_embedded_schemas[i];
                cf_event_type_t type = CF_EV_NONE;
                cf_avro_type_t *t = &av->state;

                if (strcmp(e->name, CF_AVRO_AUDIT_SCHEMA) == 0) {
                        if ((err = type_load(&av->audit, e, errstr,
                                             errstr_size)) != CF_OK ||
                            (err = cf_avro_audit_check(&av->audit, errstr,
                                                       errstr_size)) != CF_OK)
                                return err;
                        continue;
                }
                if (strcmp(e->name, CF_AVRO_STATE_SCHEMA) != 0) {
                        type = cf_event_type_from_name(e->name);
                        if (type == CF_EV_NONE) {
                                cf_errstr_set(errstr, errstr_size,
                                              "schemas/avro/%s.avsc names no "
                                              "event type of common/event.c",
                                              e->name);
                                return CF_ERR_INVALID;
                        }
                        t = &av->ev[type];
                }
                if ((err = type_load(t, e, errstr, errstr_size)) != CF_OK)
                        return err;
                err = type == CF_EV_NONE
                          ? cf_avro_state_check(t, errstr, errstr_size)
                          : cf_avro_event_check(cf_event_desc(type), t, errstr,
                                                errstr_size);
                if (err != CF_OK)
                        return err;
        }
        for (int type = CF_EV_NONE + 1; type < CF_EV__COUNT; type++) {
                if (!av->ev[type].schema) {
                        cf_errstr_set(errstr, errstr_size,
                                      "event type %s has no schema "
                                      "(schemas/avro/%s.avsc)",
                                      cf_event_type_name(type),
                                      cf_event_type_name(type));
                        return CF_ERR_INVALID;
                }
                for (int o = type + 1; o < CF_EV__COUNT; o++)
                        if (av->ev[o].schema &&
                            av->ev[o].fingerprint == av->ev[type].fingerprint)
                                goto dup;
                if ((av->state.schema &&
                     av->state.fingerprint == av->ev[type].fingerprint) ||
                    (av->audit.schema &&
                     av->audit.fingerprint == av->ev[type].fingerprint))
                        goto dup;
                continue;
        dup:
                cf_errstr_set(errstr, errstr_size,
                              "two schemas share the fingerprint of %s",
                              cf_event_type_name(type));
                return CF_ERR_INVALID;
        }
        if (!av->state.schema) {
                cf_errstr_set(
                    errstr, errstr_size,
                    "no state schema (schemas/avro/" CF_AVRO_STATE_SCHEMA
                    ".avsc)");
                return CF_ERR_INVALID;
        }
        if (!av->audit.schema) {
                cf_errstr_set(
                    errstr, errstr_size,
                    "no audit schema (schemas/avro/" CF_AVRO_AUDIT_SCHEMA
                    ".avsc)");
                return CF_ERR_INVALID;
        }
        if (av->audit.fingerprint == av->state.fingerprint) {
                cf_errstr_set(errstr, errstr_size,
                              "the audit and state schemas share a "
                              "fingerprint");
                return CF_ERR_INVALID;
        }
        return CF_OK;
}

cf_err_t cf_avro_new(cf_avro_t **out, char *errstr, size_t errstr_size) {
        cf_avro_t *av = calloc(1, sizeof(*av));
        cf_err_t err;

        *out = NULL;
        if (!av) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        if ((err = load_all(av, errstr, errstr_size)) != CF_OK) {
                cf_avro_destroy(av);
                return err;
        }
        *out = av;
        return CF_OK;
}

void cf_avro_destroy(cf_avro_t *av) {
        if (!av)
                return;
        for (int i = 0; i < CF_EV__COUNT; i++)
                type_free(&av->ev[i]);
        type_free(&av->state);
        type_free(&av->audit);
        free(av);
}

/* ---- lookups ---- */

uint64_t cf_avro_fingerprint(const cf_avro_t *av, cf_event_type_t type) {
        if (type <= CF_EV_NONE || type >= CF_EV__COUNT)
                return 0;
        return av->ev[type].fingerprint;
}

uint64_t cf_avro_state_fingerprint(const cf_avro_t *av) {
        return av->state.fingerprint;
}

const char *cf_avro_schema_text(const cf_avro_t *av, cf_event_type_t type,
                                size_t *len) {
        if (type <= CF_EV_NONE || type >= CF_EV__COUNT)
                return NULL;
        if (len)
                *len = av->ev[type].text_len;
        return av->ev[type].text;
}

cf_event_type_t cf_avro_type_for_fingerprint(const cf_avro_t *av,
                                             uint64_t fingerprint) {
        /* 23 schemas: a linear scan is as fast as anything */
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++)
                if (av->ev[t].fingerprint == fingerprint)
                        return (cf_event_type_t)t;
        return CF_EV_NONE;
}

/* ---- bodies ---- */

cf_reject_t cf_avro_check_body(const cf_avro_type_t *t, const void *body,
                               size_t len, char *detail, size_t detail_size) {
        if (len > CF_RECORD_MAX) {
                cf_errstr_set(detail, detail_size,
                              "body of %zu bytes is over the %d-byte limit",
                              len, CF_RECORD_MAX);
                return CF_REJ_OVER_LIMIT;
        }
        return cf_avro_bounds_check(&t->bounds, body, len, detail, detail_size);
}
