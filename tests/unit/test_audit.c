/* schemas/audit: the audit record through Avro and back, nulls, caps,
 * framing errors, and its JSON line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas/audit.h"
#include "schemas/framing.h"

static int setup(void **state) {
        cf_avro_t *av = NULL;
        char err[512];
        if (cf_avro_new(&av, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "cf_avro_new: %s\n", err);
                return -1;
        }
        *state = av;
        return 0;
}

static int teardown(void **state) {
        cf_avro_destroy(*state);
        return 0;
}

static void fill_applied(cf_audit_t *a) {
        cf_audit_reset(a);
        snprintf(a->event_id, sizeof(a->event_id), "evt-0102");
        snprintf(a->event_type, sizeof(a->event_type), "invitation-accepted");
        snprintf(a->key, sizeof(a->key), "partner-a/tenant-b");
        a->source_partition = 7;
        a->source_offset = INT64_C(1234567890123);
        a->verdict = CF_VERDICT_APPLIED;
        snprintf(a->status_before, sizeof(a->status_before), "invited");
        snprintf(a->status_after, sizeof(a->status_after), "provisioning");
        a->rule = 2;
        a->has_occurred_at = true;
        a->occurred_at = INT64_C(1772528400250);
        assert_true(cf_audit_add_output(a, "id-1", "provision-requested"));
        assert_true(cf_audit_add_output(a, "id-2", "migration-blocked"));
}

static void assert_same(const cf_audit_t *a, const cf_audit_t *b) {
        assert_string_equal(a->event_id, b->event_id);
        assert_string_equal(a->event_type, b->event_type);
        assert_string_equal(a->key, b->key);
        assert_int_equal(a->source_partition, b->source_partition);
        assert_true(a->source_offset == b->source_offset);
        assert_int_equal(a->verdict, b->verdict);
        assert_string_equal(a->reason, b->reason);
        assert_string_equal(a->detail, b->detail);
        assert_string_equal(a->status_before, b->status_before);
        assert_string_equal(a->status_after, b->status_after);
        assert_int_equal(a->rule, b->rule);
        assert_int_equal(a->has_occurred_at, b->has_occurred_at);
        if (a->has_occurred_at)
                assert_true(a->occurred_at == b->occurred_at);
        assert_int_equal(a->n_outputs, b->n_outputs);
        for (size_t i = 0; i < a->n_outputs; i++) {
                assert_string_equal(a->output_ids[i], b->output_ids[i]);
                assert_string_equal(a->output_types[i], b->output_types[i]);
        }
}

static void roundtrip(cf_avro_t *av, const cf_audit_t *a) {
        cf_audit_t b;
        cf_buf_t buf;
        char err[256] = "";

        cf_buf_init(&buf, 1 << 20);
        cf_audit_init(&b);
        assert_int_equal(cf_avro_encode_audit(av, a, &buf, err, sizeof(err)),
                         CF_OK);
        assert_true(buf.len > CF_FRAMING_HEADER_SIZE);
        assert_int_equal(buf.data[0], CF_FRAMING_MAGIC0);
        assert_int_equal(
            cf_avro_decode_audit(av, buf.data, buf.len, &b, err, sizeof(err)),
            CF_REJ_NONE);
        assert_same(a, &b);
        cf_audit_clear(&b);
        cf_buf_clear(&buf);
}

static void test_roundtrip_applied(void **state) {
        cf_audit_t a;
        cf_audit_init(&a);
        fill_applied(&a);
        roundtrip(*state, &a);
        cf_audit_clear(&a);
}

/* An undecodable input: every nullable field null, no outputs. */
static void test_roundtrip_nulls(void **state) {
        cf_audit_t a;
        cf_audit_init(&a);
        a.verdict = CF_VERDICT_REJECTED;
        snprintf(a.reason, sizeof(a.reason), "malformed");
        snprintf(a.detail, sizeof(a.detail), "record of 3 bytes");
        snprintf(a.status_before, sizeof(a.status_before), "none");
        snprintf(a.status_after, sizeof(a.status_after), "none");
        roundtrip(*state, &a);
        cf_audit_clear(&a);
}

static void test_caps(void **state) {
        cf_avro_t *av = *state;
        cf_audit_t a;
        cf_buf_t buf;
        char err[256];

        cf_audit_init(&a);
        cf_buf_init(&buf, 1 << 20);
        fill_applied(&a);
        /* longest key and detail encode and come back */
        memset(a.key, 'k', CF_AUDIT_KEY_MAX);
        a.key[CF_AUDIT_KEY_MAX] = '\0';
        memset(a.detail, 'd', CF_TEXT_MAX);
        a.detail[CF_TEXT_MAX] = '\0';
        roundtrip(av, &a);
        /* an output list at the cap, then one more is refused */
        cf_audit_reset(&a);
        snprintf(a.status_before, sizeof(a.status_before), "none");
        snprintf(a.status_after, sizeof(a.status_after), "invited");
        for (int i = 0; i < CF_AUDIT_OUTPUTS_MAX; i++)
                assert_true(cf_audit_add_output(&a, "x", "data-loss-risk"));
        assert_false(cf_audit_add_output(&a, "x", "data-loss-risk"));
        roundtrip(av, &a);
        /* a verdict out of range is refused, the buffer untouched */
        a.verdict = (cf_verdict_kind_t)3;
        assert_int_equal(cf_avro_encode_audit(av, &a, &buf, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_int_equal(buf.len, 0);
        cf_buf_clear(&buf);
        cf_audit_clear(&a);
}

static void test_decode_refuses(void **state) {
        cf_avro_t *av = *state;
        cf_audit_t a, b;
        cf_buf_t buf;
        char err[256];
        uint8_t junk[3] = {1, 2, 3};

        cf_audit_init(&a);
        cf_audit_init(&b);
        cf_buf_init(&buf, 1 << 20);
        fill_applied(&a);
        assert_int_equal(cf_avro_encode_audit(av, &a, &buf, err, sizeof(err)),
                         CF_OK);
        /* truncated body */
        assert_int_not_equal(cf_avro_decode_audit(av, buf.data, buf.len - 1, &b,
                                                  err, sizeof(err)),
                             CF_REJ_NONE);
        /* not framed */
        assert_int_equal(
            cf_avro_decode_audit(av, junk, sizeof(junk), &b, err, sizeof(err)),
            CF_REJ_MALFORMED);
        /* another schema's fingerprint */
        buf.data[2] ^= 0xff;
        assert_int_equal(
            cf_avro_decode_audit(av, buf.data, buf.len, &b, err, sizeof(err)),
            CF_REJ_UNKNOWN_SCHEMA);
        /* an event record is not an audit record */
        cf_buf_reset(&buf);
        assert_int_equal(
            cf_framing_write_header(&buf, cf_avro_state_fingerprint(av)),
            CF_OK);
        assert_int_equal(
            cf_avro_decode_audit(av, buf.data, buf.len, &b, err, sizeof(err)),
            CF_REJ_UNKNOWN_SCHEMA);
        cf_buf_clear(&buf);
        cf_audit_clear(&a);
        cf_audit_clear(&b);
}

static void test_json(void **state) {
        cf_audit_t a;
        char *s;
        (void)state;

        cf_audit_init(&a);
        fill_applied(&a);
        s = cf_audit_json_encode(&a);
        assert_non_null(s);
        assert_string_equal(
            s, "{\"type\":\"audit-record\",\"event_id\":\"evt-0102\","
               "\"event_type\":\"invitation-accepted\",\"key\":\"partner-a/"
               "tenant-b\",\"source_partition\":7,\"source_offset\":"
               "1234567890123,\"verdict\":\"applied\",\"reason\":null,"
               "\"detail\":null,\"status_before\":\"invited\","
               "\"status_after\":\"provisioning\",\"rule\":2,"
               "\"occurred_at\":\"2026-03-03T09:00:00.250Z\","
               "\"output_event_ids\":[\"id-1\",\"id-2\"],\"output_types\":["
               "\"provision-requested\",\"migration-blocked\"]}");
        free(s);
        cf_audit_reset(&a);
        a.verdict = CF_VERDICT_DUPLICATE;
        s = cf_audit_json_encode(&a);
        assert_non_null(s);
        assert_non_null(strstr(s, "\"verdict\":\"duplicate\""));
        assert_non_null(strstr(s, "\"occurred_at\":null"));
        assert_non_null(strstr(s, "\"output_event_ids\":[]"));
        free(s);
        cf_audit_clear(&a);
}

/* cf_audit_reset clears only what readers look at: a reset record full of
 * garbage must read (JSON line) exactly as a freshly initialised one. */
static void test_reset_reads_as_init(void **state) {
        cf_audit_t *fresh = malloc(sizeof(*fresh));
        cf_audit_t *used = malloc(sizeof(*used));
        char *want, *got;
        (void)state;
        assert_non_null(fresh);
        assert_non_null(used);
        cf_audit_init(fresh);
        memset(used, 0x5a, sizeof(*used));
        used->output_ids = used->output_types = NULL;
        used->outputs_cap = 0;
        cf_audit_reset(used);
        assert_int_equal(used->n_outputs, 0);
        want = cf_audit_json_encode(fresh);
        got = cf_audit_json_encode(used);
        assert_non_null(want);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(want);
        free(got);
        cf_audit_clear(fresh);
        cf_audit_clear(used);
        free(fresh);
        free(used);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip_applied),
            cmocka_unit_test(test_roundtrip_nulls),
            cmocka_unit_test(test_caps),
            cmocka_unit_test(test_decode_refuses),
            cmocka_unit_test(test_json),
            cmocka_unit_test(test_reset_reads_as_init),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
