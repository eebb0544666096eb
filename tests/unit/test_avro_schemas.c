/* schemas/avro: one .avsc per event type, each parsed by avro-c, fields in
 * the tables' order with the kind's Avro type, every record/enum/field
 * documented; the state schema; cf_avro_new's consistency check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "common/event.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"
#include "schemas/avro_int.h"
#include "schemas/canonical.h"
#include "schemas/embedded.h"

static const cf_embedded_schema_t *find(const char *name) {
        for (size_t i = 0; i < cf_embedded_schemas_n; i++)
                if (strcmp(cf_embedded_schemas[i].name, name) == 0)
                        return &cf_embedded_schemas[i];
        return NULL;
}

static json_t *load(const cf_embedded_schema_t *e) {
        json_error_t jerr;
        json_t *j = json_loadb(e->text, e->len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                fail_msg("%s.avsc: %s", e->name, jerr.text);
        return j;
}

static void test_every_schema_parses(void **state) {
        (void)state;
        assert_true(cf_embedded_schemas_n > 0);
        for (size_t i = 0; i < cf_embedded_schemas_n; i++) {
                const cf_embedded_schema_t *e = &cf_embedded_schemas[i];
                avro_schema_t s = NULL;
                if (avro_schema_from_json_length(e->text, e->len, &s) != 0)
                        fail_msg("%s.avsc: avro-c: %s", e->name,
                                 avro_strerror());
                assert_true(is_avro_record(s));
                assert_string_equal(avro_schema_namespace(s),
                                    CF_SCHEMA_NAMESPACE);
                avro_schema_decref(s);
        }
}

static void test_one_schema_per_type(void **state) {
        (void)state;
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++)
                if (!find(cf_event_type_name(t)))
                        fail_msg("no schemas/avro/%s.avsc",
                                 cf_event_type_name(t));
        assert_non_null(find(CF_AVRO_STATE_SCHEMA));
        assert_non_null(find(CF_AVRO_AUDIT_SCHEMA));
        /* and nothing else: the events, the state and the audit record */
        assert_int_equal(cf_embedded_schemas_n, CF_EV__COUNT - 1 + 2);
}

/* Every field, record and enum, at any depth, has a non-empty doc. */
static void check_docs(const char *file, json_t *s) {
        json_t *v;
        size_t i;

        if (json_is_array(s)) {
                json_array_foreach(s, i, v) check_docs(file, v);
                return;
        }
        if (!json_is_object(s))
                return;
        v = json_object_get(s, "type");
        if (json_is_string(v) && (strcmp(json_string_value(v), "record") == 0 ||
                                  strcmp(json_string_value(v), "enum") == 0 ||
                                  strcmp(json_string_value(v), "fixed") == 0)) {
                json_t *doc = json_object_get(s, "doc");
                if (!json_is_string(doc) || json_string_length(doc) == 0)
                        fail_msg("%s: %s has no doc", file,
                                 json_string_value(json_object_get(s, "name")));
        }
        json_array_foreach(json_object_get(s, "fields"), i, v) {
                json_t *doc = json_object_get(v, "doc");
                if (!json_is_string(doc) || json_string_length(doc) == 0)
                        fail_msg("%s: field %s has no doc", file,
                                 json_string_value(json_object_get(v, "name")));
                check_docs(file, json_object_get(v, "type"));
        }
        check_docs(file, json_object_get(s, "items"));
}

static bool is_str(json_t *v, const char *s) {
        return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* A named type's definition the first time, its bare name after. */
static json_t *named(const char *file, json_t *t, const char *kind,
                     const char *name, json_t *seen) {
        if (json_object_get(seen, name)) {
                if (!is_str(t, name))
                        fail_msg("%s: %s defined twice", file, name);
                return NULL;
        }
        json_object_set_new(seen, name, json_true());
        if (!json_is_object(t) || !is_str(json_object_get(t, "type"), kind) ||
            !is_str(json_object_get(t, "name"), name))
                fail_msg("%s: %s is not a %s defined at its first use", file,
                         name, kind);
        return t;
}

static void check_fields(const char *file, const char *ev_name, json_t *rec,
                         const cf_field_t *f, size_t n, json_t *seen);

static void check_field(const char *file, const char *ev_name,
                        const cf_field_t *f, json_t *jf, json_t *seen) {
        json_t *t = json_object_get(jf, "type");
        json_t *def = json_object_get(jf, "default");
        json_t *x;

        switch (f->kind) {
        case CF_F_TYPE:
                assert_true(is_str(t, "string"));
                if (!is_str(def, ev_name))
                        fail_msg("%s: type's default is not %s", file, ev_name);
                return;
        case CF_F_ID:
        case CF_F_TEXT:
                assert_true(is_str(t, "string"));
                break;
        case CF_F_OPT_ID:
                assert_true(json_is_array(t) && json_array_size(t) == 2 &&
                            is_str(json_array_get(t, 0), "null") &&
                            is_str(json_array_get(t, 1), "string"));
                if (!json_is_null(def))
                        fail_msg("%s: %s has no null default", file, f->name);
                return;
        case CF_F_INT:
                assert_true(is_str(t, "int"));
                break;
        case CF_F_BOOL:
                assert_true(is_str(t, "boolean"));
                break;
        case CF_F_TIME:
                if (!json_is_object(t) ||
                    !is_str(json_object_get(t, "type"), "long") ||
                    !is_str(json_object_get(t, "logicalType"),
                            "timestamp-millis"))
                        fail_msg("%s: %s is not a timestamp-millis", file,
                                 f->name);
                break;
        case CF_F_ENUM:
                if ((x = named(file, t, "enum", f->enm->name, seen))) {
                        json_t *syms = json_object_get(x, "symbols");
                        assert_int_equal(json_array_size(syms), f->enm->n);
                        for (size_t i = 0; i < f->enm->n; i++)
                                assert_true(is_str(json_array_get(syms, i),
                                                   f->enm->avro_symbols[i]));
                }
                break;
        case CF_F_ROLES:
                assert_true(json_is_object(t) &&
                            is_str(json_object_get(t, "type"), "array") &&
                            is_str(json_object_get(t, "items"), "string"));
                break;
        case CF_F_ACTOR:
                if ((x = named(file, t, "record", f->record->name, seen)))
                        check_fields(file, ev_name, x, f->record->fields,
                                     f->record->n_fields, seen);
                break;
        case CF_F_SUBS:
                assert_true(json_is_object(t) &&
                            is_str(json_object_get(t, "type"), "array"));
                if ((x = named(file, json_object_get(t, "items"), "record",
                               f->record->name, seen)))
                        check_fields(file, ev_name, x, f->record->fields,
                                     f->record->n_fields, seen);
                break;
        }
        if (def)
                fail_msg("%s: %s has an unexpected default", file, f->name);
}

static void check_fields(const char *file, const char *ev_name, json_t *rec,
                         const cf_field_t *f, size_t n, json_t *seen) {
        json_t *fields = json_object_get(rec, "fields");

        if (json_array_size(fields) != n)
                fail_msg("%s: %zu fields, the table has %zu", file,
                         json_array_size(fields), n);
        for (size_t i = 0; i < n; i++) {
                json_t *jf = json_array_get(fields, i);
                json_t *doc = json_object_get(jf, "doc");
                if (!is_str(json_object_get(jf, "name"), f[i].name))
                        fail_msg("%s: field %zu is not %s", file, i, f[i].name);
                /* the doc is the table's */
                if (!is_str(doc, f[i].doc))
                        fail_msg("%s: %s's doc is not the table's", file,
                                 f[i].name);
                check_field(file, ev_name, &f[i], jf, seen);
        }
}

static void test_fields_match_tables(void **state) {
        (void)state;
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++) {
                const cf_event_desc_t *d = cf_event_desc(t);
                const cf_embedded_schema_t *e = find(d->name);
                json_t *j, *seen = json_object();

                assert_non_null(e);
                j = load(e);
                assert_true(is_str(json_object_get(j, "type"), "record"));
                assert_true(is_str(json_object_get(j, "name"), d->schema_name));
                assert_true(is_str(json_object_get(j, "namespace"),
                                   CF_SCHEMA_NAMESPACE));
                check_fields(e->name, d->name, j, d->fields, d->n_fields, seen);
                check_docs(e->name, j);
                json_decref(seen);
                json_decref(j);
        }
}

static void test_state_schema(void **state) {
        const cf_embedded_schema_t *e = find(CF_AVRO_STATE_SCHEMA);
        json_t *j;
        (void)state;

        assert_non_null(e);
        j = load(e);
        assert_true(is_str(json_object_get(j, "name"), "MigrationState"));
        check_docs(e->name, j);
        json_decref(j);
}

static void test_audit_schema(void **state) {
        const cf_embedded_schema_t *e = find(CF_AVRO_AUDIT_SCHEMA);
        cf_avro_t *av = NULL;
        char err[512] = "";
        json_t *j;
        (void)state;

        assert_non_null(e);
        j = load(e);
        assert_true(is_str(json_object_get(j, "name"), "AuditRecord"));
        assert_true(
            is_str(json_object_get(j, "namespace"), CF_SCHEMA_NAMESPACE));
        check_docs(e->name, j);
        json_decref(j);
        /* loaded by the codec, under a fingerprint of its own */
        assert_int_equal(cf_avro_new(&av, err, sizeof(err)), CF_OK);
        assert_true(cf_avro_audit_fingerprint(av) != 0);
        assert_true(cf_avro_audit_fingerprint(av) !=
                    cf_avro_state_fingerprint(av));
        assert_int_equal(
            cf_avro_type_for_fingerprint(av, cf_avro_audit_fingerprint(av)),
            CF_EV_NONE);
        cf_avro_destroy(av);
}

/* Apache Avro 1.11.3 (Java), SchemaNormalization.parsingFingerprint64 of
 * each file (tests/interop/run.sh recomputes them). A change here is a
 * wire-format change: records written before carry the old fingerprint. */
static const struct {
        const char *name;
        uint64_t fp;
} java_fps[] = {
    {"audit-record", UINT64_C(0xa43e1b715e5815ea)},
    {"cancellation-requested", UINT64_C(0xf12aeef01405ba0a)},
    {"credit-review-requested", UINT64_C(0x07404ed538706c15)},
    {"data-loss-risk", UINT64_C(0x5f3359b78986557a)},
    {"early-cancellation-warning", UINT64_C(0x84d2d87bf56b1326)},
    {"invitation-accepted", UINT64_C(0xa57caeb947006211)},
    {"license-count-mismatch", UINT64_C(0x93987133cc0d7efa)},
    {"licenses-reassigned", UINT64_C(0xceb632b47566debd)},
    {"migration-blocked", UINT64_C(0xe23eb8d9060f49fb)},
    {"migration-completed", UINT64_C(0x999cf0115ac799ad)},
    {"migration-rejected", UINT64_C(0x7819e0e8dc606243)},
    {"migration-requested", UINT64_C(0x4366244009aee7c6)},
    {"migration-state", UINT64_C(0x1acc52d92fbc5900)},
    {"offer-discontinued", UINT64_C(0x2c9c8e50f803e178)},
    {"provision-failed", UINT64_C(0xd232efc7287a0b88)},
    {"provision-requested", UINT64_C(0x3833d79c16e9105b)},
    {"provisioning-overdue", UINT64_C(0x65a276b7eaa4b6d9)},
    {"reassign-licenses", UINT64_C(0x6a280b6d61d6c6b5)},
    {"relationship-terminated", UINT64_C(0x5b37d699b67e72de)},
    {"reseller-relationship-requested", UINT64_C(0xdd3c0f673a1fbf98)},
    {"retire-source-advised", UINT64_C(0x3ba262eb59b82f45)},
    {"subscription-cancelled", UINT64_C(0x3feda55645cf8eaa)},
    {"subscription-expired", UINT64_C(0xf8d38aa930a4b4cb)},
    {"subscription-near-expiry", UINT64_C(0x1890f1701f36dc19)},
    {"subscription-provisioned", UINT64_C(0x3ebcab19abb7df95)},
};

static void test_fingerprints(void **state) {
        cf_avro_t *av = NULL;
        char err[512] = "";
        (void)state;

        assert_int_equal(cf_avro_new(&av, err, sizeof(err)), CF_OK);
        for (size_t i = 0; i < sizeof(java_fps) / sizeof(java_fps[0]); i++) {
                const cf_embedded_schema_t *e = find(java_fps[i].name);
                cf_event_type_t t = cf_event_type_from_name(java_fps[i].name);
                uint64_t fp = 0;
                assert_non_null(e);
                assert_int_equal(cf_canonical_fingerprint(e->text, e->len, &fp,
                                                          err, sizeof(err)),
                                 CF_OK);
                if (fp != java_fps[i].fp)
                        fail_msg("%s: fingerprint %016" PRIx64
                                 ", Java says %016" PRIx64,
                                 e->name, fp, java_fps[i].fp);
                if (strcmp(java_fps[i].name, CF_AVRO_AUDIT_SCHEMA) == 0) {
                        assert_true(cf_avro_audit_fingerprint(av) == fp);
                } else if (t == CF_EV_NONE) {
                        assert_true(cf_avro_state_fingerprint(av) == fp);
                } else {
                        assert_true(cf_avro_fingerprint(av, t) == fp);
                        assert_int_equal(cf_avro_type_for_fingerprint(av, fp),
                                         t);
                }
        }
        assert_int_equal(cf_avro_type_for_fingerprint(av, 1), CF_EV_NONE);
        assert_int_equal(cf_avro_fingerprint(av, CF_EV_NONE), 0);
        cf_avro_destroy(av);
}

/* The load-time check refuses a schema that strays from its table. */
static cf_err_t check_text(cf_event_type_t type, const char *text, char *err,
                           size_t size) {
        cf_avro_type_t t;
        cf_err_t rc;

        memset(&t, 0, sizeof(t));
        t.file = "test";
        if (avro_schema_from_json_length(text, strlen(text), &t.schema) != 0)
                fail_msg("test schema: %s", avro_strerror());
        assert_int_equal(cf_avro_node_build(t.schema, &t.bounds, err, size),
                         CF_OK);
        rc = cf_avro_event_check(cf_event_desc(type), &t, err, size);
        cf_avro_node_free(&t.bounds);
        avro_schema_decref(t.schema);
        return rc;
}

#define ENV_FIELDS                                                             \
        "{\"name\":\"type\",\"type\":\"string\"},"                             \
        "{\"name\":\"event_id\",\"type\":\"string\"},"                         \
        "{\"name\":\"occurred_at\",\"type\":\"long\"},"                        \
        "{\"name\":\"partner_id\",\"type\":\"string\"},"                       \
        "{\"name\":\"customer_tenant_id\",\"type\":\"string\"},"               \
        "{\"name\":\"correlation_id\",\"type\":[\"null\",\"string\"]}"
#define REC(name, rest)                                                        \
        "{\"type\":\"record\",\"name\":\"" name "\",\"namespace\":"            \
        "\"io.cspflow.migration\",\"fields\":[" ENV_FIELDS rest "]}"

static void test_check_refuses_strays(void **state) {
        char err[512];
        (void)state;

        /* the right shape passes (avro-c drops logicalType and docs, the
         * check does not need them) */
        assert_int_equal(check_text(CF_EV_INVITATION_ACCEPTED,
                                    REC("InvitationAccepted", ""), err,
                                    sizeof(err)),
                         CF_OK);
        assert_int_equal(check_text(CF_EV_INVITATION_ACCEPTED,
                                    REC("Invitation", ""), err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_int_equal(
            check_text(CF_EV_INVITATION_ACCEPTED,
                       REC("InvitationAccepted",
                           ",{\"name\":\"extra\",\"type\":\"int\"}"),
                       err, sizeof(err)),
            CF_ERR_INVALID);
        assert_non_null(strstr(err, "fields"));
        /* right names, wrong order */
        assert_int_equal(
            check_text(CF_EV_OFFER_DISCONTINUED,
                       REC("OfferDiscontinued",
                           ",{\"name\":\"successor_offer_id\",\"type\":"
                           "[\"null\",\"string\"]},{\"name\":\"offer_id\","
                           "\"type\":\"string\"}"),
                       err, sizeof(err)),
            CF_ERR_INVALID);
        assert_non_null(strstr(err, "offer_id"));
        /* wrong Avro type for the kind */
        assert_int_equal(
            check_text(CF_EV_OFFER_DISCONTINUED,
                       REC("OfferDiscontinued",
                           ",{\"name\":\"offer_id\",\"type\":\"string\"},"
                           "{\"name\":\"successor_offer_id\",\"type\":"
                           "\"string\"}"),
                       err, sizeof(err)),
            CF_ERR_INVALID);
        assert_non_null(strstr(err, "null"));
        /* enum symbols out of order */
        assert_int_equal(
            check_text(CF_EV_CREDIT_REVIEW_REQUESTED,
                       REC("CreditReviewRequested",
                           ",{\"name\":\"causation_id\",\"type\":\"string\"},"
                           "{\"name\":\"subscription_id\",\"type\":"
                           "\"string\"},{\"name\":\"route\",\"type\":{"
                           "\"type\":\"enum\",\"name\":\"CreditRoute\","
                           "\"symbols\":[\"CUSTOMER_CONTACTS_SUPPORT\","
                           "\"PARTNER_ON_BEHALF\"]}}"),
                       err, sizeof(err)),
            CF_ERR_INVALID);
        assert_non_null(strstr(err, "route"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_schema_parses),
            cmocka_unit_test(test_one_schema_per_type),
            cmocka_unit_test(test_fields_match_tables),
            cmocka_unit_test(test_state_schema),
            cmocka_unit_test(test_audit_schema),
            cmocka_unit_test(test_fingerprints),
            cmocka_unit_test(test_check_refuses_strays),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
