/* Schema resolution into cspflow's events (schemas/resolve.h): records
 * written with older and newer versions of a reader's schema, by hand,
 * decoded into cf_event_t: added fields with defaults, removed fields,
 * reordered fields, enum symbols added and removed, union changes,
 * promotions, the upcast hook, what cannot resolve, the writers'
 * directory and the bounded cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "avro_fixture.h"
#include "schemas/canonical.h"
#include "schemas/resolve.h"

static cf_resolver_t *res;

static int setup_res(void **state) {
        char err[512] = "";
        if (setup(state) != 0)
                return -1;
        if (cf_resolver_new(av, &res, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "cf_resolver_new: %s\n", err);
                return -1;
        }
        return 0;
}

static int teardown_res(void **state) {
        cf_resolver_destroy(res);
        return teardown(state);
}

#define NS            "\"namespace\":\"io.cspflow.migration\""
#define F(name, type) "{\"name\":\"" name "\",\"type\":" type "}"
#define IA(fields)                                                             \
        "{\"type\":\"record\",\"name\":\"InvitationAccepted\"," NS             \
        ",\"fields\":[" fields "]}"
#define ENVELOPE                                                               \
        F("type", "\"string\"")                                                \
        "," F("event_id", "\"string\"") "," F(                                 \
            "occurred_at",                                                     \
            "\"long\"") "," F("partner_id",                                    \
                              "\"string\"") "," F("customer_tenant_id",        \
                                                  "\"string\"")

static const int64_t T0 = INT64_C(1767225600000); /* 2026-01-01 */

/* The envelope's values, as ENVELOPE orders them. */
static void w_envelope(w_t *w, const char *type) {
        w_str(w, type);
        w_str(w, "ev-1");
        w_long(w, T0);
        w_str(w, "p1");
        w_str(w, "t1");
}

/* Adds text as a writer; decodes w with it into ev. */
static cf_reject_t decode(const char *text, const w_t *w, cf_event_t *ev,
                          char *detail, size_t size) {
        uint64_t fp = 0;
        cf_reject_t r =
            cf_resolver_add(res, text, strlen(text), &fp, detail, size);
        if (r != CF_REJ_NONE)
                return r;
        assert_true(cf_resolver_knows(res, fp));
        return cf_resolver_decode(res, fp, w->b, w->n, ev, detail, size);
}

static void expect_envelope(const cf_event_t *ev) {
        assert_int_equal(ev->type, CF_EV_INVITATION_ACCEPTED);
        assert_string_equal(ev->event_id, "ev-1");
        assert_true(ev->occurred_at == T0);
        assert_string_equal(ev->partner_id, "p1");
        assert_string_equal(ev->customer_tenant_id, "t1");
}

/* v1 -> v2: the writer lacks correlation_id and type; both have defaults
 * in the reader. */
static void test_added_field_default(void **state) {
        static const char *text = IA(
            F("event_id", "\"string\"") "," F("occurred_at", "\"long\"") "," F(
                "partner_id", "\"string\"") "," F("customer_tenant_id",
                                                  "\"string\""));
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        (void)state;

        w_str(&w, "ev-1");
        w_long(&w, T0);
        w_str(&w, "p1");
        w_str(&w, "t1");
        cf_event_init(&ev);
        snprintf(ev.correlation_id, sizeof(ev.correlation_id), "%s", "stale");
        assert_int_equal(decode(text, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        expect_envelope(&ev);
        assert_string_equal(ev.correlation_id, "");
        cf_event_clear(&ev);
}

/* v2 -> v1: the writer has fields the reader lacks (string, map, nested
 * record with an array, a named type used twice), between and after the
 * reader's, in another order. */
static void test_removed_fields_skipped(void **state) {
        static const char *text = IA(F("customer_tenant_id", "\"string\"") "," F(
            "hint",
            "\"string"
            "\"") "," F("event_id",
                        "\"string\"") "," F("tags",
                                            "{\"type\":\"map\",\"values\":"
                                            "\"long\"}") "," F("occurred_at",
                                                               "\"long\"") "," F("extra",
                                                                                 "{\"type\":\"record\",\"name\":\"Extra\","
                                                                                 "\"fields\":[" F("n", "\"int\"") "," F(
                                                                                     "xs",
                                                                                     "{\"type\":\"array\",\"items\":"
                                                                                     "\"double\"}") "]}") "," F("extra2",
                                                                                                                "\"Extra"
                                                                                                                "\"") "," F("partner_id",
                                                                                                                            "\"string\"") "," F("type",
                                                                                                                                                "\"string\"") "," F("correlation_id",
                                                                                                                                                                    "[\"null\",\"string\"]"));
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        double d = 2.5;
        (void)state;

        w_str(&w, "t1");
        w_str(&w, "a hint the reader never sees");
        w_str(&w, "ev-1");
        w_long(&w, 2); /* map block of 2 */
        w_str(&w, "a");
        w_long(&w, 1);
        w_str(&w, "b");
        w_long(&w, 2);
        w_long(&w, 0);
        w_long(&w, T0);
        w_long(&w, 7); /* extra.n */
        w_long(&w, 1); /* extra.xs */
        w_raw(&w, &d, 8);
        w_long(&w, 0);
        w_long(&w, 8); /* extra2.n */
        w_long(&w, 0); /* extra2.xs: empty */
        w_str(&w, "p1");
        w_str(&w, "invitation-accepted");
        w_long(&w, 1);
        w_str(&w, "corr-9");
        cf_event_init(&ev);
        assert_int_equal(decode(text, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        expect_envelope(&ev);
        assert_string_equal(ev.correlation_id, "corr-9");
        cf_event_clear(&ev);
}

/* int -> long promotion (occurred_at), bytes -> string (event_id), a plain
 * string written where the reader has ["null","string"]. */
static void test_promotions(void **state) {
        static const char *text =
            IA(F("type", "\"string\"") "," F("event_id", "\"bytes\"") "," F(
                "occurred_at",
                "\"int\"") "," F("partner_id",
                                 "\"string\"") "," F("customer_tenant_id",
                                                     "\"string\"") "," F("corre"
                                                                         "latio"
                                                                         "n_id",
                                                                         "\"str"
                                                                         "ing"
                                                                         "\""));
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        (void)state;

        w_str(&w, "invitation-accepted");
        w_str(&w, "ev-1");
        w_long(&w, 1000);
        w_str(&w, "p1");
        w_str(&w, "t1");
        w_str(&w, "corr-1");
        cf_event_init(&ev);
        assert_int_equal(decode(text, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_string_equal(ev.event_id, "ev-1");
        assert_true(ev.occurred_at == 1000);
        assert_string_equal(ev.correlation_id, "corr-1");
        cf_event_clear(&ev);
}

/* A writer union wider than the reader's: the branches the reader has
 * resolve, the one it lacks refuses that datum only. */
static void test_union_changes(void **state) {
        static const char *text = IA(
            ENVELOPE "," F("correlation_id", "[\"null\",\"string\",\"int\"]"));
        static const char *text2 = IA(F("type", "\"string\"") "," F(
            "event_id",
            "[\"null\","
            "\"string\"]") "," F("occurred_at",
                                 "\"long\"") "," F("partner_id",
                                                   "\"string\"") "," F("custome"
                                                                       "r_"
                                                                       "tenant_"
                                                                       "id",
                                                                       "\"strin"
                                                                       "g\"") "," F("corr"
                                                                                    "elat"
                                                                                    "ion_"
                                                                                    "id",
                                                                                    "\"nu"
                                                                                    "ll"
                                                                                    "\""));
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        (void)state;

        cf_event_init(&ev);
        w_envelope(&w, "invitation-accepted");
        w_long(&w, 1);
        w_str(&w, "c");
        assert_int_equal(decode(text, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_string_equal(ev.correlation_id, "c");
        w.n = 0;
        w_envelope(&w, "invitation-accepted");
        w_long(&w, 0);
        assert_int_equal(decode(text, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_string_equal(ev.correlation_id, "");
        w.n = 0;
        w_envelope(&w, "invitation-accepted");
        w_long(&w, 2);
        w_long(&w, 5);
        assert_int_equal(decode(text, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "correlation_id"));
        assert_non_null(strstr(detail, "int"));
        /* writer ["null","string"] where the reader has a plain string */
        w.n = 0;
        w_str(&w, "invitation-accepted");
        w_long(&w, 1);
        w_str(&w, "ev-1");
        w_long(&w, T0);
        w_str(&w, "p1");
        w_str(&w, "t1");
        assert_int_equal(decode(text2, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        expect_envelope(&ev);
        w.n = 0;
        w_str(&w, "invitation-accepted");
        w_long(&w, 0);
        w_long(&w, T0);
        w_str(&w, "p1");
        w_str(&w, "t1");
        assert_int_equal(decode(text2, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "event_id"));
        cf_event_clear(&ev);
}

#define MR(reason_enum)                                                        \
        "{\"type\":\"record\",\"name\":\"MigrationRejected\"," NS              \
        ",\"fields\":[" ENVELOPE "," F("causation_id", "\"string\"") "," F(    \
            "reason", reason_enum) "," F("detail", "\"string\"") "]}"

/* Enum symbols by name: reordered, one added (refused: the reader's enum
 * has no default), one removed (fine). */
static void test_enum_symbols(void **state) {
        static const char *added =
            MR("{\"type\":\"enum\",\"name\":\"RejectionReason\",\"symbols\":["
               "\"NEW_"
               "REASON\",\"INVALID_REQUEST\",\"REGION_MISMATCH\",\"ROLE_NOT_"
               "PERMITTED\"]}");
        static const char *removed =
            MR("{\"type\":\"enum\",\"name\":\"RejectionReason\",\"symbols\":["
               "\"REGION_"
               "MISMATCH\",\"ROLE_NOT_PERMITTED\"]}");
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        (void)state;

        cf_event_init(&ev);
        w_envelope(&w, "migration-rejected");
        w_str(&w, "cause-1");
        w_long(&w, 2); /* REGION_MISMATCH in the writer's order */
        w_str(&w, "d");
        assert_int_equal(decode(added, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_int_equal(ev.type, CF_EV_MIGRATION_REJECTED);
        assert_int_equal(ev.reason_code, CF_REJ_REGION_MISMATCH);
        assert_string_equal(ev.causation_id, "cause-1");
        w.n = 0;
        w_envelope(&w, "migration-rejected");
        w_str(&w, "cause-1");
        w_long(&w, 0); /* NEW_REASON */
        w_str(&w, "d");
        assert_int_equal(decode(added, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "reason"));
        assert_non_null(strstr(detail, "NEW_REASON"));
        w.n = 0;
        w_envelope(&w, "migration-rejected");
        w_str(&w, "cause-1");
        w_long(&w, 1); /* ROLE_NOT_PERMITTED */
        w_str(&w, "d");
        assert_int_equal(decode(removed, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_int_equal(ev.reason_code, CF_REJ_ROLE_NOT_PERMITTED);
        cf_event_clear(&ev);
}

/* What cannot resolve goes to the DLQ with a reason naming the field. */
static void test_unresolvable(void **state) {
        static const char *missing = IA(
            F("event_id", "\"string\"") "," F("occurred_at", "\"long\"") "," F(
                "customer_tenant_id", "\"string\""));
        static const char *mismatch = IA(
            F("event_id", "\"string\"") "," F("occurred_at", "\"long\"") "," F(
                "partner_id", "\"int\"") "," F("customer_tenant_id",
                                               "\"string\""));
        static const char *narrowing = IA(F("event_id", "\"string\"") "," F(
            "occurred_at",
            "\"double\"") "," F("partner_id",
                                "\"string\"") "," F("customer_tenant_id",
                                                    "\"string\""));
        static const char *renamed =
            "{\"type\":\"record\",\"name\":\"InvitationTaken\"," NS
            ",\"fields\":[" ENVELOPE "]}";
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        (void)state;

        cf_event_init(&ev);
        w_str(&w, "ev-1");
        w_long(&w, T0);
        w_str(&w, "t1");
        assert_int_equal(decode(missing, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "partner_id"));
        assert_non_null(strstr(detail, "no default"));
        w.n = 0;
        w_str(&w, "ev-1");
        w_long(&w, T0);
        w_long(&w, 5);
        w_str(&w, "t1");
        assert_int_equal(decode(mismatch, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "field partner_id"));
        w.n = 0;
        w_str(&w, "ev-1");
        w_raw(&w, "\0\0\0\0\0\0\0\0", 8);
        w_str(&w, "p1");
        w_str(&w, "t1");
        assert_int_equal(decode(narrowing, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "occurred_at"));
        w.n = 0;
        w_envelope(&w, "invitation-accepted");
        assert_int_equal(decode(renamed, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "InvitationTaken"));
        /* the record-level checks still apply: the type string */
        w.n = 0;
        w_envelope(&w, "subscription-expired");
        assert_int_equal(decode(IA(ENVELOPE), &w, &ev, detail, sizeof(detail)),
                         CF_REJ_INVALID_VALUE);
        /* a truncated body is malformed, not resolved */
        w.n = 0;
        w_envelope(&w, "invitation-accepted");
        w.n -= 1;
        assert_int_equal(decode(IA(ENVELOPE), &w, &ev, detail, sizeof(detail)),
                         CF_REJ_MALFORMED);
        assert_int_equal(cf_resolver_decode(res, 12345, w.b, w.n, &ev, detail,
                                            sizeof(detail)),
                         CF_REJ_UNKNOWN_SCHEMA);
        cf_event_clear(&ev);
}

/* provision-failed written before `reason` existed, with error {code,
 * message}: the upcast hook builds reason. */
static void test_upcast(void **state) {
        static const char *v0 =
            "{\"type\":\"record\",\"name\":\"ProvisionFailed\"," NS
            ",\"fields\":[" ENVELOPE
            "," F("correlation_id", "[\"null\",\"string\"]") "," F(
                "source_subscription_id",
                "\"string\"") "," F("error",
                                    "{\"type\":\"record\",\"name\":\"Error\","
                                    "\"fields\":[" F("code", "\"string\"") "," F(
                                        "message", "\"string\"") "]}") "]}";
        char detail[256] = "";
        cf_event_t ev;
        w_t w = {.n = 0};
        (void)state;

        cf_event_init(&ev);
        w_envelope(&w, "provision-failed");
        w_long(&w, 0);
        w_str(&w, "sub-1");
        w_str(&w, "E42");
        w_str(&w, "quota exceeded");
        assert_int_equal(decode(v0, &w, &ev, detail, sizeof(detail)),
                         CF_REJ_NONE);
        assert_int_equal(ev.type, CF_EV_PROVISION_FAILED);
        assert_string_equal(ev.source_subscription_id, "sub-1");
        assert_string_equal(ev.text_reason, "E42: quota exceeded");
        assert_string_equal(ev.partner_id, "p1");
        assert_non_null(cf_upcast_for(CF_EV_PROVISION_FAILED));
        assert_null(cf_upcast_for(CF_EV_INVITATION_ACCEPTED));
        cf_event_clear(&ev);
}

/* The reader's own schema text: today's decoder, byte for byte. */
static void test_same_schema(void **state) {
        size_t len = 0;
        const char *text =
            cf_avro_schema_text(av, CF_EV_INVITATION_ACCEPTED, &len);
        char detail[256] = "", err[256];
        uint64_t fp = 0;
        cf_event_t ev, back;
        cf_buf_t b;
        (void)state;

        cf_event_init(&ev);
        cf_event_init(&back);
        cf_buf_init(&b, 4096);
        ev.type = CF_EV_INVITATION_ACCEPTED;
        snprintf(ev.event_id, sizeof(ev.event_id), "%s", "ev-1");
        ev.occurred_at = T0;
        snprintf(ev.partner_id, sizeof(ev.partner_id), "%s", "p1");
        snprintf(ev.customer_tenant_id, sizeof(ev.customer_tenant_id), "%s",
                 "t1");
        assert_int_equal(
            cf_avro_encode_event_body(av, &ev, &b, err, sizeof(err)), CF_OK);
        assert_int_equal(
            cf_resolver_add(res, text, len, &fp, detail, sizeof(detail)),
            CF_REJ_NONE);
        assert_true(fp == cf_avro_fingerprint(av, CF_EV_INVITATION_ACCEPTED));
        assert_int_equal(cf_resolver_decode(res, fp, b.data, b.len, &back,
                                            detail, sizeof(detail)),
                         CF_REJ_NONE);
        expect_envelope(&back);
        cf_buf_clear(&b);
        cf_event_clear(&ev);
        cf_event_clear(&back);
}

/* Not a schema, not a record, an unsupported (recursive) one. */
static void test_bad_writer_text(void **state) {
        static const char *recursive =
            "{\"type\":\"record\",\"name\":\"InvitationAccepted\"," NS
            ",\"fields\":[" F("next", "[\"null\",\"InvitationAccepted\"]") "]}";
        char detail[256] = "";
        uint64_t fp = 0;
        (void)state;

        assert_int_equal(
            cf_resolver_add(res, "{", 1, &fp, detail, sizeof(detail)),
            CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_int_equal(
            cf_resolver_add(res, "\"string\"", 8, &fp, detail, sizeof(detail)),
            CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "not a record"));
        assert_int_equal(cf_resolver_add(res, recursive, strlen(recursive), &fp,
                                         detail, sizeof(detail)),
                         CF_REJ_INCOMPATIBLE_SCHEMA);
        assert_non_null(strstr(detail, "deeper"));
}

/* schemas.writers.dir: every .avsc kept for good, even past the cache. */
static void test_writers_dir_and_cache(void **state) {
        char dir[] = "/tmp/cspflow-resolve-XXXXXX", path[128], detail[256];
        char text[512], err[512] = "";
        uint64_t pinned = 0, first = 0, fp = 0;
        static const char *v1 = IA(
            F("event_id", "\"string\"") "," F("occurred_at", "\"long\"") "," F(
                "partner_id",
                "\"string\"") "," F("customer_tenant_id",
                                    "\"string\"") "," F("dir", "\"int\""));
        FILE *f;
        (void)state;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/v1.avsc", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs(v1, f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/notes.txt", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs("not a schema, not read", f);
        fclose(f);
        assert_int_equal(cf_resolver_load_dir(res, dir, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(
            cf_canonical_fingerprint(v1, strlen(v1), &pinned, err, sizeof(err)),
            CF_OK);
        assert_true(cf_resolver_knows(res, pinned));
        for (int i = 0; i < CF_RESOLVE_WRITERS_MAX + 1; i++) {
                snprintf(text, sizeof(text),
                         IA(ENVELOPE ",{\"name\":\"x%d\",\"type\":\"int\","
                                     "\"default\":0}"),
                         i);
                assert_int_equal(cf_resolver_add(res, text, strlen(text), &fp,
                                                 detail, sizeof(detail)),
                                 CF_REJ_NONE);
                if (i == 0)
                        first = fp;
        }
        assert_false(cf_resolver_knows(res, first)); /* evicted */
        assert_true(cf_resolver_knows(res, fp));
        assert_true(cf_resolver_knows(res, pinned));
        /* a directory file no event type reads is refused, naming it */
        snprintf(path, sizeof(path), "%s/other.avsc", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}", f);
        fclose(f);
        assert_int_equal(cf_resolver_load_dir(res, dir, err, sizeof(err)),
                         CF_ERR_USAGE);
        assert_non_null(strstr(err, "other.avsc"));
        unlink(path);
        snprintf(path, sizeof(path), "%s/v1.avsc", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/notes.txt", dir);
        unlink(path);
        rmdir(dir);
        assert_int_equal(cf_resolver_load_dir(res, dir, err, sizeof(err)),
                         CF_ERR_IO);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_added_field_default),
            cmocka_unit_test(test_removed_fields_skipped),
            cmocka_unit_test(test_promotions),
            cmocka_unit_test(test_union_changes),
            cmocka_unit_test(test_enum_symbols),
            cmocka_unit_test(test_unresolvable),
            cmocka_unit_test(test_upcast),
            cmocka_unit_test(test_same_schema),
            cmocka_unit_test(test_bad_writer_text),
            cmocka_unit_test(test_writers_dir_and_cache),
        };
        return cmocka_run_group_tests(tests, setup_res, teardown_res);
}
