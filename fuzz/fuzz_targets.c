/* cspflow: the one-input bodies of the libFuzzer targets (fuzz_targets.h). */
#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/event.h"
#include "common/limits.h"
#include "common/log.h"
#include "schemas/avro_codec.h"
#include "schemas/json_codec.h"

static cf_avro_t *av;

static void die(const char *what, const char *why) {
        fprintf(stderr, "fuzz: %s: %s\n", what, why);
        abort();
}

void cf_fuzz_init(void) {
        char err[512];
        if (!av && cf_avro_new(&av, err, sizeof(err)) != CF_OK)
                die("cf_avro_new", err);
}

void cf_fuzz_fini(void) {
        cf_avro_destroy(av);
        av = NULL;
}

static void same_bytes(const char *what, const cf_buf_t *a, const cf_buf_t *b) {
        if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
                die(what, "re-encoding gives other bytes");
}

/* ev decoded from fuzzer bytes: encode, decode, encode again; the two
 * encodings must be equal. body: without the single-object header. */
static void event_round_trip(const cf_event_t *ev, bool body) {
        char err[512], detail[256];
        cf_buf_t b1, b2;
        cf_event_t ev2;
        cf_err_t e;
        cf_reject_t r;

        cf_buf_init(&b1, 2 * CF_RECORD_MAX);
        cf_buf_init(&b2, 2 * CF_RECORD_MAX);
        cf_event_init(&ev2);
        e = body ? cf_avro_encode_event_body(av, ev, &b1, err, sizeof(err))
                 : cf_avro_encode_event(av, ev, &b1, err, sizeof(err));
        if (e != CF_OK)
                die("a decoded event does not encode", err);
        r = body ? cf_avro_decode_event_body(av, ev->type, b1.data, b1.len,
                                             &ev2, detail, sizeof(detail))
                 : cf_avro_decode_event(av, b1.data, b1.len, &ev2, detail,
                                        sizeof(detail));
        if (r != CF_REJ_NONE)
                die("an encoded event does not decode", detail);
        e = body ? cf_avro_encode_event_body(av, &ev2, &b2, err, sizeof(err))
                 : cf_avro_encode_event(av, &ev2, &b2, err, sizeof(err));
        if (e != CF_OK)
                die("a decoded event does not encode (2nd)", err);
        same_bytes("event", &b1, &b2);
        cf_event_clear(&ev2);
        cf_buf_clear(&b1);
        cf_buf_clear(&b2);
}

void cf_fuzz_avro_event(const uint8_t *data, size_t size) {
        char detail[256];
        cf_event_t ev;

        cf_event_init(&ev);
        if (cf_avro_decode_event(av, data, size, &ev, detail, sizeof(detail)) ==
            CF_REJ_NONE)
                event_round_trip(&ev, false);
        if (size > 0) {
                cf_event_type_t t =
                    (cf_event_type_t)(1 + data[0] % (CF_EV__COUNT - 1));
                if (cf_avro_decode_event_body(av, t, data + 1, size - 1, &ev,
                                              detail,
                                              sizeof(detail)) == CF_REJ_NONE)
                        event_round_trip(&ev, true);
        }
        cf_event_clear(&ev);
}

void cf_fuzz_avro_state(const uint8_t *data, size_t size) {
        char err[512], detail[256];
        cf_migration_t *m = NULL, *m2 = NULL;
        cf_buf_t b1, b2;

        if (cf_avro_decode_state(av, data, size, &m, detail, sizeof(detail)) !=
            CF_REJ_NONE)
                return;
        cf_buf_init(&b1, 2 * CF_RECORD_MAX);
        cf_buf_init(&b2, 2 * CF_RECORD_MAX);
        if (cf_avro_encode_state(av, m, &b1, err, sizeof(err)) != CF_OK)
                die("a decoded state does not encode", err);
        if (cf_avro_decode_state(av, b1.data, b1.len, &m2, detail,
                                 sizeof(detail)) != CF_REJ_NONE)
                die("an encoded state does not decode", detail);
        if (!cf_migration_equal(m, m2))
                die("state", "decode(encode(m)) != m");
        if (cf_avro_encode_state(av, m2, &b2, err, sizeof(err)) != CF_OK)
                die("a decoded state does not encode (2nd)", err);
        same_bytes("state", &b1, &b2);
        cf_migration_destroy(m);
        cf_migration_destroy(m2);
        cf_buf_clear(&b1);
        cf_buf_clear(&b2);
}

void cf_fuzz_json_event(const uint8_t *data, size_t size) {
        char detail[256];
        char *j1 = NULL, *j2 = NULL;
        cf_event_t ev, ev2;

        cf_event_init(&ev);
        cf_event_init(&ev2);
        if (cf_json_decode_event((const char *)data, size, &ev, detail,
                                 sizeof(detail)) == CF_REJ_NONE) {
                if (!(j1 = cf_json_encode_event(&ev)))
                        die("json", "a decoded event does not encode");
                if (cf_json_decode_event(j1, strlen(j1), &ev2, detail,
                                         sizeof(detail)) != CF_REJ_NONE)
                        die("json: an encoded event does not decode", detail);
                if (!(j2 = cf_json_encode_event(&ev2)))
                        die("json", "a decoded event does not encode (2nd)");
                if (strcmp(j1, j2) != 0)
                        die("json", "re-encoding gives another text");
        }
        free(j1);
        free(j2);
        cf_event_clear(&ev);
        cf_event_clear(&ev2);
}

void cf_fuzz_config(const uint8_t *data, size_t size) {
        char err[512];
        cf_config_t c;

        if (cf_config_init(&c) != CF_OK)
                die("config", "out of memory");
        (void)cf_config_parse(&c, (const char *)data, size, "fuzz", err,
                              sizeof(err));
        cf_config_clear(&c);
        cf_log_reset(); /* the secrets the parse registered */
}

const cf_fuzz_target_t cf_fuzz_targets[] = {
    {"avro_event", cf_fuzz_avro_event},
    {"avro_state", cf_fuzz_avro_state},
    {"json_event", cf_fuzz_json_event},
    {"config", cf_fuzz_config},
};
const size_t cf_fuzz_n_targets =
    sizeof(cf_fuzz_targets) / sizeof(cf_fuzz_targets[0]);
