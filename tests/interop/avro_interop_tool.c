/* cspflow: the C side of the Avro interop test (tests/interop/run.sh).
 *
 *   avro_interop_tool fingerprints
 *       name and CRC-64-AVRO fingerprint of every embedded schema, sorted.
 *   avro_interop_tool encode OUTDIR FILE.jsonl...
 *       every line the JSON codec accepts, as single-object bytes:
 *       OUTDIR/<stem>-L<line>.bin; inputs are also run through the handlers
 *       (with <stem>.catalog.json when it exists), each output written as
 *       <stem>-L<line>-o<k>.bin, and each migration's final state as
 *       <stem>-state-<k>.bin. Next to each .bin, a .json holding what
 *       decoding it must give (the event's JSON, the state's JSON line).
 *   avro_interop_tool decode DIR
 *       decodes every .bin file of DIR (event or state, by fingerprint) and
 * prints
 *       "<file> <json>" per record, sorted by file name.
 *
 * Exit status: 0 on success, 1 when anything failed, 2 on usage errors. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/limits.h"
#include "handlers/store.h"
#include "schemas/avro_codec.h"
#include "schemas/canonical.h"
#include "schemas/catalog_json.h"
#include "schemas/embedded.h"
#include "schemas/framing.h"
#include "schemas/json_codec.h"
#include "schemas/state_json.h"

static int fingerprints(void) {
        char err[256];
        for (size_t i = 0; i < cf_embedded_schemas_n; i++) {
                const cf_embedded_schema_t *e = &cf_embedded_schemas[i];
                uint64_t fp;
                if (cf_canonical_fingerprint(e->text, e->len, &fp, err,
                                             sizeof(err)) != CF_OK) {
                        fprintf(stderr, "%s: %s\n", e->name, err);
                        return 1;
                }
                printf("%s %016" PRIx64 "\n", e->name, fp);
        }
        return 0;
}

static int write_file(const char *dir, const char *name, const char *ext,
                      const void *data, size_t len) {
        char path[1024];
        FILE *f;
        int ok;

        snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
        if (!(f = fopen(path, "wb"))) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        ok = fwrite(data, 1, len, f) == len;
        ok = fclose(f) == 0 && ok;
        if (!ok)
                fprintf(stderr, "%s: write failed\n", path);
        return !ok;
}

/* One event: NAME.bin and NAME.json. */
static int put_event(cf_avro_t *av, const char *dir, const char *name,
                     const cf_event_t *ev, cf_buf_t *b) {
        char err[256];
        char *json;
        int rc;

        cf_buf_reset(b);
        if (cf_avro_encode_event(av, ev, b, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "%s: encode: %s\n", name, err);
                return 1;
        }
        if (!(json = cf_json_encode_event(ev))) {
                fprintf(stderr, "%s: JSON encode failed\n", name);
                return 1;
        }
        rc = write_file(dir, name, ".bin", b->data, b->len) ||
             write_file(dir, name, ".json", json, strlen(json));
        free(json);
        return rc;
}

static int put_state(cf_avro_t *av, const char *dir, const char *name,
                     const cf_migration_t *m, cf_buf_t *b) {
        char err[256];
        char *json;
        int rc;

        cf_buf_reset(b);
        if (cf_avro_encode_state(av, m, b, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "%s: encode: %s\n", name, err);
                return 1;
        }
        if (!(json = cf_state_json_encode(m))) {
                fprintf(stderr, "%s: state JSON failed\n", name);
                return 1;
        }
        rc = write_file(dir, name, ".bin", b->data, b->len) ||
             write_file(dir, name, ".json", json, strlen(json));
        free(json);
        return rc;
}

/* "examples/01-happy-path.jsonl" -> "01-happy-path" */
static void stem_of(const char *path, char *stem, size_t size) {
        const char *base = strrchr(path, '/');
        size_t n;

        base = base ? base + 1 : path;
        n = strlen(base);
        if (n > 6 && strcmp(base + n - 6, ".jsonl") == 0)
                n -= 6;
        snprintf(stem, size, "%.*s", (int)n, base);
}

static cf_catalog_t *catalog_for(const char *path) {
        char cpath[1024], err[256];
        size_t n = strlen(path);
        cf_catalog_t *cat = NULL;
        struct stat st;

        if (n <= 6 || n + 8 >= sizeof(cpath))
                return NULL;
        snprintf(cpath, sizeof(cpath), "%.*s.catalog.json", (int)(n - 6), path);
        if (stat(cpath, &st) != 0)
                return NULL;
        if (cf_catalog_load_json(cpath, &cat, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "%s: %s (going on without)\n", cpath, err);
                return NULL;
        }
        return cat;
}

static int encode_file(cf_avro_t *av, const char *dir, const char *path,
                       size_t *n_events, size_t *n_states) {
        char stem[256], name[320], detail[256];
        cf_catalog_t *cat = catalog_for(path);
        cf_store_t *st = cf_store_new();
        cf_outbox_t ob;
        cf_event_t ev;
        cf_buf_t b;
        char *line = NULL;
        size_t cap = 0, lineno = 0;
        ssize_t len;
        int rc = 0;
        FILE *f;

        stem_of(path, stem, sizeof(stem));
        if (!st || !(f = fopen(path, "r"))) {
                fprintf(stderr, "%s: cannot read\n", path);
                cf_store_destroy(st);
                cf_catalog_destroy(cat);
                return 1;
        }
        cf_event_init(&ev);
        cf_outbox_init(&ob);
        cf_buf_init(&b, CF_RECORD_MAX);
        while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
                cf_verdict_t v;
                lineno++;
                if (cf_json_decode_event(line, (size_t)len, &ev, detail,
                                         sizeof(detail)) != CF_REJ_NONE)
                        continue; /* not an event: nothing to carry */
                snprintf(name, sizeof(name), "%s-L%04zu", stem, lineno);
                rc = put_event(av, dir, name, &ev, &b);
                ++*n_events;
                if (rc || !cf_event_type_is_input(ev.type))
                        continue;
                cf_outbox_reset(&ob);
                if (cf_store_apply(st, cat, &ev, &ob, &v) != CF_OK) {
                        fprintf(stderr, "%s:%zu: handler error\n", path,
                                lineno);
                        rc = 1;
                        break;
                }
                for (size_t k = 0; rc == 0 && k < ob.n; k++) {
                        snprintf(name, sizeof(name), "%s-L%04zu-o%zu", stem,
                                 lineno, k + 1);
                        rc = put_event(av, dir, name, &ob.v[k], &b);
                        ++*n_events;
                }
        }
        for (cf_migration_t *m = cf_store_next(st, NULL); rc == 0 && m;
             m = cf_store_next(st, m)) {
                snprintf(name, sizeof(name), "%s-state-%zu", stem, ++*n_states);
                rc = put_state(av, dir, name, m, &b);
        }
        free(line);
        fclose(f);
        cf_buf_clear(&b);
        cf_outbox_clear(&ob);
        cf_event_clear(&ev);
        cf_store_destroy(st);
        cf_catalog_destroy(cat);
        return rc;
}

static int encode(int argc, char **argv) {
        const char *dir = argv[0];
        size_t n_events = 0, n_states = 0;
        char err[512];
        cf_avro_t *av;
        int rc = 0;

        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return 1;
        }
        if (cf_avro_new(&av, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "cf_avro_new: %s\n", err);
                return 1;
        }
        for (int i = 1; rc == 0 && i < argc; i++)
                rc = encode_file(av, dir, argv[i], &n_events, &n_states);
        cf_avro_destroy(av);
        fprintf(stderr, "encoded %zu events and %zu states into %s\n", n_events,
                n_states, dir);
        return rc;
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file of at most CF_RECORD_MAX + 1 bytes into b. */
static int read_file(const char *path, cf_buf_t *b) {
        FILE *f = fopen(path, "rb");
        size_t n;

        cf_buf_reset(b);
        if (!f || cf_buf_reserve(b, CF_RECORD_MAX + 1) != CF_OK) {
                if (f)
                        fclose(f);
                return 1;
        }
        n = fread(b->data, 1, CF_RECORD_MAX + 1, f);
        b->len = n;
        fclose(f);
        return 0;
}

static int decode_one(cf_avro_t *av, const char *dir, const char *file,
                      cf_buf_t *b, cf_event_t *ev) {
        char path[1024], detail[256];
        const uint8_t *body;
        size_t body_len;
        uint64_t fp = 0;
        char *json = NULL;
        cf_reject_t r;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        if (read_file(path, b)) {
                fprintf(stderr, "%s: cannot read\n", path);
                return 1;
        }
        r = cf_framing_parse(b->data, b->len, &fp, &body, &body_len, detail,
                             sizeof(detail));
        if (r == CF_REJ_NONE && fp == cf_avro_state_fingerprint(av)) {
                cf_migration_t *m = NULL;
                r = cf_avro_decode_state(av, b->data, b->len, &m, detail,
                                         sizeof(detail));
                if (r == CF_REJ_NONE) {
                        json = cf_state_json_encode(m);
                        cf_migration_destroy(m);
                }
        } else if (r == CF_REJ_NONE) {
                r = cf_avro_decode_event(av, b->data, b->len, ev, detail,
                                         sizeof(detail));
                if (r == CF_REJ_NONE)
                        json = cf_json_encode_event(ev);
        }
        if (r != CF_REJ_NONE || !json) {
                fprintf(stderr, "%s: %s: %s\n", path, cf_reject_name(r),
                        r != CF_REJ_NONE ? detail : "JSON encode failed");
                free(json);
                return 1;
        }
        printf("%s %s\n", file, json);
        free(json);
        return 0;
}

static int decode(const char *dir) {
        char **names = NULL, err[512];
        size_t n = 0, cap = 0;
        struct dirent *de;
        cf_avro_t *av = NULL;
        cf_event_t ev;
        cf_buf_t b;
        DIR *d;
        int failed = 0;

        if (!(d = opendir(dir))) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return 1;
        }
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len < 5 || strcmp(de->d_name + len - 4, ".bin") != 0)
                        continue;
                if (n == cap) {
                        char **p;
                        cap = cap ? cap * 2 : 64;
                        if (!(p = realloc(names, cap * sizeof(*p))))
                                break;
                        names = p;
                }
                if (!(names[n] = malloc(len + 1)))
                        break;
                memcpy(names[n++], de->d_name, len + 1);
        }
        closedir(d);
        if (n)
                qsort(names, n, sizeof(*names), by_name);
        if (cf_avro_new(&av, err, sizeof(err)) != CF_OK) {
                fprintf(stderr, "cf_avro_new: %s\n", err);
                failed = 1;
        }
        cf_event_init(&ev);
        cf_buf_init(&b, CF_RECORD_MAX + 1);
        for (size_t i = 0; av && i < n; i++)
                failed |= decode_one(av, dir, names[i], &b, &ev);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        cf_buf_clear(&b);
        cf_event_clear(&ev);
        cf_avro_destroy(av);
        if (n == 0) {
                fprintf(stderr, "%s: no .bin files\n", dir);
                return 1;
        }
        return failed;
}

int main(int argc, char **argv) {
        if (argc == 2 && strcmp(argv[1], "fingerprints") == 0)
                return fingerprints();
        if (argc >= 4 && strcmp(argv[1], "encode") == 0)
                return encode(argc - 2, argv + 2);
        if (argc == 3 && strcmp(argv[1], "decode") == 0)
                return decode(argv[2]);
        fprintf(stderr, "usage: avro_interop_tool fingerprints\n"
                        "       avro_interop_tool encode OUTDIR FILE.jsonl...\n"
                        "       avro_interop_tool decode DIR\n");
        return 2;
}
