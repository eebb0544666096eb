/* The framing layer (registry/serde.h) with and without a registry (the
 * test double tests/registry/fake_registry.py on
 * $CSPFLOW_REGISTRY_TEST_PORT + 2, default 18103): single-object by
 * default, Confluent framing with the ids of the subjects
 * <topic>-<record full name>, nothing written unframed, both framings
 * read, a Confluent record of an older writer resolved through the
 * registry (and cached), an unknown id refused (and not asked again), a
 * registry down at start and while decoding, schemas.writers.dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "avro_fixture.h"
#include "common/config.h"
#include "registry/registry.h"
#include "registry/serde.h"
#include "registry_fixture.h"
#include "schemas/canonical.h"
#include "schemas/framing.h"

static fake_t fake;

static int setup_all(void **state) {
        if (setup(state) != 0)
                return -1;
        return fake_start(&fake, port_base() + 2, NULL);
}

static int teardown_all(void **state) {
        fake_stop(&fake);
        return teardown(state);
}

static void config(cf_config_t *c, const char *url, const char *extra_key,
                   const char *extra_value) {
        char err[512];
        assert_int_equal(cf_config_init(c), CF_OK);
        if (url)
                assert_int_equal(cf_config_set(c, "registry.url", url, "test",
                                               err, sizeof(err)),
                                 CF_OK);
        if (extra_key)
                assert_int_equal(cf_config_set(c, extra_key, extra_value,
                                               "test", err, sizeof(err)),
                                 CF_OK);
        assert_int_equal(cf_config_set(c, "registry.retry.backoff.ms", "10",
                                       "test", err, sizeof(err)),
                         CF_OK);
}

static cf_serde_t *serde(const cf_config_t *c) {
        cf_serde_t *s = NULL;
        char err[512] = "";
        assert_int_equal(cf_serde_new(c, av, &s, err, sizeof(err)), CF_OK);
        return s;
}

static const int64_t T0 = INT64_C(1767225600000);

static void event(cf_event_t *ev, cf_event_type_t type) {
        cf_event_reset(ev);
        ev->type = type;
        snprintf(ev->event_id, sizeof(ev->event_id), "ev-1");
        ev->occurred_at = T0;
        snprintf(ev->partner_id, sizeof(ev->partner_id), "p1");
        snprintf(ev->customer_tenant_id, sizeof(ev->customer_tenant_id), "t1");
        snprintf(ev->causation_id, sizeof(ev->causation_id), "cause-1");
        snprintf(ev->source_subscription_id, sizeof(ev->source_subscription_id),
                 "src-1");
        snprintf(ev->request_id, sizeof(ev->request_id), "req-1");
        snprintf(ev->offer_id, sizeof(ev->offer_id), "O365-E3");
        snprintf(ev->to_offer_id, sizeof(ev->to_offer_id), "O365-E3");
        ev->quantity = 3;
}

static void test_no_registry(void **state) {
        cf_config_t c;
        cf_serde_t *s;
        cf_event_t ev, back;
        cf_buf_t b;
        char err[512] = "";
        cf_reject_t rj = CF_REJ_NONE;
        static const uint8_t confluent[] = {0, 0, 0, 0, 7, 2, 'x'};
        (void)state;

        config(&c, NULL, NULL, NULL);
        s = serde(&c);
        cf_event_init(&ev);
        cf_event_init(&back);
        cf_buf_init(&b, 65536);
        assert_false(cf_serde_confluent(s));
        assert_int_equal(
            cf_serde_register(s, "t", CF_SERDE_OUTPUTS, NULL, err, sizeof(err)),
            CF_OK);
        event(&ev, CF_EV_INVITATION_ACCEPTED);
        assert_int_equal(cf_serde_encode_event(s, &ev, &b, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(b.data[0], 0xc3);
        assert_int_equal(cf_serde_decode_event(s, b.data, b.len, &back, &rj,
                                               err, sizeof(err)),
                         CF_OK);
        assert_int_equal(rj, CF_REJ_NONE);
        assert_string_equal(back.event_id, "ev-1");
        assert_int_equal(cf_serde_decode_event(s, confluent, sizeof(confluent),
                                               &back, &rj, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(rj, CF_REJ_UNKNOWN_SCHEMA);
        assert_non_null(strstr(err, "registry.url is not set"));
        cf_buf_clear(&b);
        cf_event_clear(&ev);
        cf_event_clear(&back);
        cf_serde_destroy(s);
        cf_config_clear(&c);
}

/* The subject's id, asked with a client of our own (lookup only). */
static int32_t subject_id(const char *subject, const char *text, size_t len) {
        cf_registry_opts_t o;
        cf_registry_t *r = NULL;
        char err[512] = "";
        int32_t id = -1;

        memset(&o, 0, sizeof(o));
        o.url = fake.url;
        o.timeout_ms = 2000;
        o.connect_timeout_ms = 1000;
        o.response_max_bytes = 1 << 20;
        o.quiet = true;
        assert_int_equal(cf_registry_new(&o, &r, err, sizeof(err)), CF_OK);
        assert_int_equal(cf_registry_register(r, subject, text, len, true, &id,
                                              err, sizeof(err)),
                         CF_OK);
        cf_registry_destroy(r);
        return id;
}

static void test_confluent_round_trip(void **state) {
        cf_config_t c;
        cf_serde_t *s;
        cf_event_t ev, back;
        cf_audit_t a, aback;
        cf_buf_t b;
        char err[512] = "";
        cf_reject_t rj = CF_REJ_NONE;
        size_t len = 0;
        const char *text;
        int32_t id;
        (void)state;

        config(&c, fake.url, NULL, NULL);
        s = serde(&c);
        cf_event_init(&ev);
        cf_event_init(&back);
        cf_audit_init(&a);
        cf_audit_init(&aback);
        cf_buf_init(&b, 65536);
        assert_true(cf_serde_confluent(s));
        assert_int_equal(cf_serde_register(s, "acts", CF_SERDE_OUTPUTS, NULL,
                                           err, sizeof(err)),
                         CF_OK);
        assert_int_equal(
            cf_serde_register(s, "aud", CF_SERDE_AUDIT, NULL, err, sizeof(err)),
            CF_OK);
        /* the id of <topic>-<record full name> */
        text = cf_avro_schema_text(av, CF_EV_PROVISION_REQUESTED, &len);
        id = subject_id("acts-io.cspflow.migration.ProvisionRequested", text,
                        len);
        assert_int_equal(cf_serde_event_id(s, CF_EV_PROVISION_REQUESTED), id);
        assert_int_equal(cf_serde_event_id(s, CF_EV_INVITATION_ACCEPTED), -1);
        event(&ev, CF_EV_PROVISION_REQUESTED);
        assert_int_equal(cf_serde_encode_event(s, &ev, &b, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(b.data[0], 0);
        assert_int_equal((b.data[1] << 24) | (b.data[2] << 16) |
                             (b.data[3] << 8) | b.data[4],
                         id);
        assert_int_equal(cf_serde_decode_event(s, b.data, b.len, &back, &rj,
                                               err, sizeof(err)),
                         CF_OK);
        assert_int_equal(rj, CF_REJ_NONE);
        assert_int_equal(back.type, CF_EV_PROVISION_REQUESTED);
        assert_string_equal(back.request_id, "req-1");
        assert_int_equal(back.quantity, 3);
        /* a type whose subject is not registered: refused, not unframed */
        cf_buf_reset(&b);
        event(&ev, CF_EV_INVITATION_ACCEPTED);
        assert_int_equal(cf_serde_encode_event(s, &ev, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_int_equal(b.len, 0);
        assert_non_null(strstr(err, "not registered"));
        assert_int_equal(cf_serde_register_event(s, "ins",
                                                 CF_EV_INVITATION_ACCEPTED,
                                                 NULL, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(cf_serde_encode_event(s, &ev, &b, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(b.data[0], 0);
        /* the audit record */
        snprintf(a.event_id, sizeof(a.event_id), "ev-1");
        snprintf(a.status_before, sizeof(a.status_before), "none");
        snprintf(a.status_after, sizeof(a.status_after), "invited");
        a.rule = 1;
        cf_buf_reset(&b);
        assert_int_equal(cf_serde_encode_audit(s, &a, &b, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(b.data[0], 0);
        text = cf_avro_audit_text(av, &len);
        assert_int_equal(
            (b.data[1] << 24) | (b.data[2] << 16) | (b.data[3] << 8) |
                b.data[4],
            subject_id("aud-io.cspflow.migration.AuditRecord", text, len));
        assert_int_equal(cf_serde_decode_audit(s, b.data, b.len, &aback, &rj,
                                               err, sizeof(err)),
                         CF_OK);
        assert_int_equal(rj, CF_REJ_NONE);
        assert_string_equal(aback.event_id, "ev-1");
        assert_string_equal(aback.status_after, "invited");
        cf_buf_clear(&b);
        cf_audit_clear(&a);
        cf_audit_clear(&aback);
        cf_event_clear(&ev);
        cf_event_clear(&back);
        cf_serde_destroy(s);
        cf_config_clear(&c);
}

#define V1                                                                     \
        "{\"type\":\"record\",\"name\":\"InvitationAccepted\",\"namespace\":"  \
        "\"io.cspflow.migration\",\"fields\":[{\"name\":\"event_id\","         \
        "\"type\":\"string\"},{\"name\":\"occurred_at\",\"type\":\"long\"},"   \
        "{\"name\":\"partner_id\",\"type\":\"string\"},{\"name\":"             \
        "\"customer_tenant_id\",\"type\":\"string\"}]}"

static void w_v1(w_t *w) {
        w_str(w, "ev-1");
        w_long(w, T0);
        w_str(w, "p1");
        w_str(w, "t1");
}

/* An older writer's record through the registry; an unknown id. */
static void test_resolved_and_unknown(void **state) {
        cf_config_t c;
        cf_serde_t *s;
        cf_event_t ev;
        char err[512] = "";
        cf_reject_t rj = CF_REJ_NONE;
        uint8_t hdr[5] = {0};
        int32_t id;
        long n;
        w_t w = {.n = 0};
        (void)state;

        config(&c, fake.url, NULL, NULL);
        s = serde(&c);
        cf_event_init(&ev);
        {
                cf_registry_opts_t o;
                cf_registry_t *r = NULL;
                memset(&o, 0, sizeof(o));
                o.url = fake.url;
                o.timeout_ms = 2000;
                o.connect_timeout_ms = 1000;
                o.response_max_bytes = 1 << 20;
                o.quiet = true;
                assert_int_equal(cf_registry_new(&o, &r, err, sizeof(err)),
                                 CF_OK);
                assert_int_equal(cf_registry_register(
                                     r, "ev-io.cspflow.migration.Inv", V1,
                                     strlen(V1), false, &id, err, sizeof(err)),
                                 CF_OK);
                cf_registry_destroy(r);
        }
        hdr[1] = (uint8_t)(id >> 24);
        hdr[2] = (uint8_t)(id >> 16);
        hdr[3] = (uint8_t)(id >> 8);
        hdr[4] = (uint8_t)id;
        w_raw(&w, hdr, 5);
        w_v1(&w);
        assert_int_equal(
            cf_serde_decode_event(s, w.b, w.n, &ev, &rj, err, sizeof(err)),
            CF_OK);
        assert_int_equal(rj, CF_REJ_NONE);
        assert_int_equal(ev.type, CF_EV_INVITATION_ACCEPTED);
        assert_string_equal(ev.customer_tenant_id, "t1");
        assert_string_equal(ev.correlation_id, "");
        n = fake_requests(&fake);
        assert_int_equal(
            cf_serde_decode_event(s, w.b, w.n, &ev, &rj, err, sizeof(err)),
            CF_OK);
        assert_int_equal(rj, CF_REJ_NONE);
        assert_int_equal(fake_requests(&fake), n); /* cached */
        /* an id the registry does not know: refused, then not asked again */
        w.n = 0;
        hdr[1] = 0;
        hdr[2] = 0x0f;
        hdr[3] = 0x42;
        hdr[4] = 0x3f; /* 999999 */
        w_raw(&w, hdr, 5);
        w_v1(&w);
        assert_int_equal(
            cf_serde_decode_event(s, w.b, w.n, &ev, &rj, err, sizeof(err)),
            CF_OK);
        assert_int_equal(rj, CF_REJ_UNKNOWN_SCHEMA);
        assert_non_null(strstr(err, "999999"));
        n = fake_requests(&fake);
        assert_int_equal(
            cf_serde_decode_event(s, w.b, w.n, &ev, &rj, err, sizeof(err)),
            CF_OK);
        assert_int_equal(rj, CF_REJ_UNKNOWN_SCHEMA);
        assert_int_equal(fake_requests(&fake), n);
        cf_event_clear(&ev);
        cf_serde_destroy(s);
        cf_config_clear(&c);
}

/* Nothing answers: decoding is not a reject but CF_ERR_IO; registering at
 * start gives up at the deadline, or at once when stopped. */
static void test_registry_down(void **state) {
        cf_config_t c;
        cf_serde_t *s;
        cf_event_t ev;
        char err[512] = "";
        cf_reject_t rj = CF_REJ_NONE;
        static const uint8_t rec[] = {0, 0, 0, 0, 1, 2, 'x'};
        volatile sig_atomic_t stop = 1;
        (void)state;

        config(&c, "http://127.0.0.1:1", "registry.startup.timeout.ms", "300");
        s = serde(&c);
        cf_event_init(&ev);
        assert_int_equal(cf_serde_decode_event(s, rec, sizeof(rec), &ev, &rj,
                                               err, sizeof(err)),
                         CF_ERR_IO);
        assert_non_null(strstr(err, "unavailable"));
        assert_int_equal(
            cf_serde_register(s, "t", CF_SERDE_AUDIT, NULL, err, sizeof(err)),
            CF_ERR_IO);
        assert_non_null(strstr(err, "registry.startup.timeout.ms"));
        assert_int_equal(
            cf_serde_register(s, "t", CF_SERDE_AUDIT, &stop, err, sizeof(err)),
            CF_ERR_IO);
        assert_non_null(strstr(err, "stopped"));
        cf_event_clear(&ev);
        cf_serde_destroy(s);
        cf_config_clear(&c);
}

/* A single-object record of a writer schema of schemas.writers.dir. */
static void test_writers_dir(void **state) {
        char dir[] = "/tmp/cspflow-serde-XXXXXX", path[128], err[512] = "";
        cf_config_t c;
        cf_serde_t *s;
        cf_event_t ev;
        cf_reject_t rj = CF_REJ_NONE;
        uint64_t fp = 0;
        cf_buf_t b;
        w_t w = {.n = 0};
        FILE *f;
        (void)state;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/v1.avsc", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs(V1, f);
        fclose(f);
        assert_int_equal(
            cf_canonical_fingerprint(V1, strlen(V1), &fp, err, sizeof(err)),
            CF_OK);
        cf_buf_init(&b, 4096);
        assert_int_equal(cf_framing_write_header(&b, fp), CF_OK);
        w_v1(&w);
        assert_int_equal(cf_buf_append(&b, w.b, w.n), CF_OK);
        cf_event_init(&ev);
        config(&c, NULL, NULL, NULL);
        s = serde(&c);
        assert_int_equal(
            cf_serde_decode_event(s, b.data, b.len, &ev, &rj, err, sizeof(err)),
            CF_OK);
        assert_int_equal(rj, CF_REJ_UNKNOWN_SCHEMA);
        cf_serde_destroy(s);
        cf_config_clear(&c);
        config(&c, NULL, "schemas.writers.dir", dir);
        s = serde(&c);
        assert_int_equal(
            cf_serde_decode_event(s, b.data, b.len, &ev, &rj, err, sizeof(err)),
            CF_OK);
        assert_int_equal(rj, CF_REJ_NONE);
        assert_string_equal(ev.partner_id, "p1");
        cf_serde_destroy(s);
        cf_config_clear(&c);
        unlink(path);
        rmdir(dir);
        /* a directory that cannot be read is a configuration error */
        config(&c, NULL, "schemas.writers.dir", dir);
        assert_int_equal(cf_serde_new(&c, av, &s, err, sizeof(err)),
                         CF_ERR_USAGE);
        cf_config_clear(&c);
        cf_buf_clear(&b);
        cf_event_clear(&ev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_no_registry),
            cmocka_unit_test(test_confluent_round_trip),
            cmocka_unit_test(test_resolved_and_unknown),
            cmocka_unit_test(test_registry_down),
            cmocka_unit_test(test_writers_dir),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
