/* schemas/avro_codec: events and state through Avro single-object encoding
 * and back; crafted bad bytes are refused cleanly, without allocating what
 * a forged length asks for (run under ASan: a huge malloc aborts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_time.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/strutil.h"
#include "avro_fixture.h"
#include "schemas/avro_codec.h"
#include "schemas/framing.h"
#include "schemas/json_codec.h"

/* JSON of ev; fails the test when the event cannot be written. */
static char *json_of(const cf_event_t *ev) {
        char *j = cf_json_encode_event(ev);
        if (!j)
                fail_msg("cf_json_encode_event failed for %s",
                         cf_event_type_name(ev->type));
        return j;
}

/* ev -> single-object -> event; the JSON of both must be the same string,
 * and re-encoding the decoded event must give the same bytes. */
static void roundtrip(const cf_event_t *ev, const char *where) {
        cf_buf_t b1, b2;
        cf_event_t back;
        char err[256] = "", detail[256] = "";
        char *j1, *j2;
        cf_reject_t r;

        cf_buf_init(&b1, CF_RECORD_MAX);
        cf_buf_init(&b2, CF_RECORD_MAX);
        cf_event_init(&back);
        if (cf_avro_encode_event(av, ev, &b1, err, sizeof(err)) != CF_OK)
                fail_msg("%s: encode: %s", where, err);
        assert_true(b1.len > CF_FRAMING_HEADER_SIZE);
        assert_int_equal(b1.data[0], 0xc3);
        assert_int_equal(b1.data[1], 0x01);
        r = cf_avro_decode_event(av, b1.data, b1.len, &back, detail,
                                 sizeof(detail));
        if (r != CF_REJ_NONE)
                fail_msg("%s: decode: %s: %s", where, cf_reject_name(r),
                         detail);
        assert_int_equal(back.type, ev->type);
        j1 = json_of(ev);
        j2 = json_of(&back);
        if (strcmp(j1, j2) != 0)
                fail_msg("%s: JSON differs after Avro:\n%s\n%s", where, j1, j2);
        assert_int_equal(cf_avro_encode_event(av, &back, &b2, err, sizeof(err)),
                         CF_OK);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.data, b2.data, b1.len);
        /* the body alone, through the *_body pair */
        cf_buf_reset(&b2);
        assert_int_equal(
            cf_avro_encode_event_body(av, ev, &b2, err, sizeof(err)), CF_OK);
        assert_int_equal(b2.len, b1.len - CF_FRAMING_HEADER_SIZE);
        assert_memory_equal(b2.data, b1.data + CF_FRAMING_HEADER_SIZE, b2.len);
        assert_int_equal(cf_avro_decode_event_body(av, ev->type, b2.data,
                                                   b2.len, &back, detail,
                                                   sizeof(detail)),
                         CF_REJ_NONE);
        free(j2);
        j2 = json_of(&back);
        assert_string_equal(j1, j2);
        free(j1);
        free(j2);
        cf_event_clear(&back);
        cf_buf_clear(&b1);
        cf_buf_clear(&b2);
}

/* ---- every line of the .jsonl files of examples/ ---- */

static void test_examples_roundtrip(void **state) {
        DIR *dir = opendir("examples");
        struct dirent *de;
        size_t lines = 0, events = 0;
        bool seen[CF_EV__COUNT] = {false};
        (void)state;

        if (!dir) {
                skip(); /* examples/ belongs to another module */
                return;
        }
        while ((de = readdir(dir))) {
                char path[512], where[600], detail[256];
                char *line = NULL;
                size_t cap = 0;
                ssize_t n;
                FILE *f;
                size_t len = strlen(de->d_name);
                if (len < 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0)
                        continue;
                snprintf(path, sizeof(path), "examples/%s", de->d_name);
                assert_non_null(f = fopen(path, "r"));
                for (size_t no = 1; (n = getline(&line, &cap, f)) >= 0; no++) {
                        cf_event_t ev;
                        lines++;
                        cf_event_init(&ev);
                        /* bad lines are the JSON codec's business */
                        if (cf_json_decode_event(line, (size_t)n, &ev, detail,
                                                 sizeof(detail)) ==
                            CF_REJ_NONE) {
                                snprintf(where, sizeof(where), "%s:%zu", path,
                                         no);
                                roundtrip(&ev, where);
                                seen[ev.type] = true;
                                events++;
                        }
                        cf_event_clear(&ev);
                }
                free(line);
                fclose(f);
        }
        closedir(dir);
        printf("examples: %zu lines, %zu events through Avro and back\n", lines,
               events);
        assert_true(events > 0);
        assert_true(seen[CF_EV_MIGRATION_REQUESTED]);
}

/* ---- events built in C: every type, optional fields set and absent ---- */

typedef struct fill_s {
        int variant;   /* 0: optionals absent, minimal; 1: all set; 2: max */
        unsigned seed; /* varies the values */
} fill_t;

static void fill_str(char *dst, size_t cap, const char *field,
                     const fill_t *f) {
        if (f->variant == 2) {
                memset(dst, 'x', cap);
                dst[0] = (char)('a' + f->seed % 26);
                dst[cap] = '\0';
        } else {
                snprintf(dst, cap + 1, "%s-%u \xc3\xa9\"\\/%s", field, f->seed,
                         f->variant ? "\xe2\x82\xac" : "");
        }
}

static void fill_fields(cf_event_t *ev, const cf_field_t *fields, size_t n,
                        void *base, fill_t *f) {
        static const int32_t ints[] = {0, 1, -1, 25, INT32_MAX, INT32_MIN};
        static const int64_t times[] = {INT64_C(1772355600000),
                                        INT64_C(1772355600123),
                                        CF_TIME_MIN,
                                        CF_TIME_MAX,
                                        0,
                                        -1};

        for (size_t i = 0; i < n; i++) {
                const cf_field_t *fd = &fields[i];
                void *p = cf_field_ptr(fd, base);
                f->seed++;
                switch (fd->kind) {
                case CF_F_TYPE:
                        break;
                case CF_F_ID:
                        fill_str(p, CF_ID_MAX, fd->name, f);
                        break;
                case CF_F_OPT_ID:
                        if (f->variant)
                                fill_str(p, CF_ID_MAX, fd->name, f);
                        else
                                *(char *)p = '\0';
                        break;
                case CF_F_TEXT:
                        if (f->variant == 2)
                                fill_str(p, CF_TEXT_MAX, fd->name, f);
                        else if (f->variant)
                                snprintf(p, CF_TEXT_MAX + 1,
                                         "line1\nline2\t\"q\" %s", fd->name);
                        else
                                *(char *)p = '\0'; /* text may be empty */
                        break;
                case CF_F_INT:
                        *(int32_t *)p = ints[f->seed % 6];
                        break;
                case CF_F_BOOL:
                        *(bool *)p = (f->seed + (unsigned)f->variant) % 2;
                        break;
                case CF_F_TIME:
                        *(int64_t *)p = times[f->seed % 6];
                        break;
                case CF_F_ENUM:
                        *(int32_t *)p = (int32_t)(f->seed % fd->enm->n);
                        break;
                case CF_F_ROLES:
                        ev->n_roles = f->variant == 2   ? CF_ROLES_MAX
                                      : f->variant == 1 ? 3
                                                        : 0;
                        for (size_t k = 0; k < ev->n_roles; k++)
                                fill_str(ev->roles[k], CF_ID_MAX, "role", f);
                        break;
                case CF_F_ACTOR:
                        fill_fields(ev, fd->record->fields,
                                    fd->record->n_fields, ev, f);
                        break;
                case CF_F_SUBS: {
                        size_t ns = f->variant == 2   ? CF_SUBS_MAX
                                    : f->variant == 1 ? 3
                                                      : 0;
                        assert_true(cf_event_subs_reserve(ev, ns));
                        if (ns)
                                memset(ev->subs, 0, ns * sizeof(*ev->subs));
                        ev->n_subs = ns;
                        for (size_t k = 0; k < ns; k++)
                                fill_fields(ev, fd->record->fields,
                                            fd->record->n_fields, &ev->subs[k],
                                            f);
                        break;
                }
                }
        }
}

static void build(cf_event_t *ev, cf_event_type_t type, int variant,
                  unsigned seed) {
        const cf_event_desc_t *d = cf_event_desc(type);
        fill_t f = {variant, seed};

        cf_event_reset(ev);
        ev->type = type;
        fill_fields(ev, d->fields, d->n_fields, ev, &f);
}

static void test_every_type_roundtrip(void **state) {
        cf_event_t ev;
        char where[96];
        (void)state;

        cf_event_init(&ev);
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++)
                for (int variant = 0; variant < 3; variant++)
                        for (unsigned seed = 0; seed < 4; seed++) {
                                snprintf(where, sizeof(where),
                                         "%s variant %d seed %u",
                                         cf_event_type_name(t), variant, seed);
                                build(&ev, t, variant, seed * 7);
                                roundtrip(&ev, where);
                        }
        cf_event_clear(&ev);
}

static void test_encode_refuses_broken_events(void **state) {
        cf_event_t ev;
        cf_buf_t b;
        char err[256];
        (void)state;

        cf_event_init(&ev);
        cf_buf_init(&b, CF_RECORD_MAX);
        assert_int_equal(cf_avro_encode_event(av, &ev, &b, err, sizeof(err)),
                         CF_ERR_INVALID); /* CF_EV_NONE */
        build(&ev, CF_EV_MIGRATION_REJECTED, 1, 0);
        ev.reason_code = 3;
        assert_int_equal(cf_avro_encode_event(av, &ev, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_int_equal(b.len, 0); /* nothing left behind */
        build(&ev, CF_EV_INVITATION_ACCEPTED, 1, 0);
        ev.event_id[0] = '\0';
        assert_int_equal(cf_avro_encode_event(av, &ev, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        assert_non_null(strstr(err, "event_id"));
        build(&ev, CF_EV_INVITATION_ACCEPTED, 1, 0);
        ev.occurred_at = CF_TIME_MAX + 1;
        assert_int_equal(cf_avro_encode_event(av, &ev, &b, err, sizeof(err)),
                         CF_ERR_INVALID);
        /* the buffer's cap */
        cf_buf_clear(&b);
        cf_buf_init(&b, 16);
        build(&ev, CF_EV_INVITATION_ACCEPTED, 1, 0);
        assert_int_equal(cf_avro_encode_event(av, &ev, &b, err, sizeof(err)),
                         CF_ERR_LIMIT);
        assert_int_equal(b.len, 0);
        cf_buf_clear(&b);
        cf_event_clear(&ev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_examples_roundtrip),
            cmocka_unit_test(test_every_type_roundtrip),
            cmocka_unit_test(test_encode_refuses_broken_events),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
