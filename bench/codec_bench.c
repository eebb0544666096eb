/* bench_codec: the worker's per-event CPU work without Kafka, in one
 * process: decode an Avro single-object input, apply the rules
 * (cf_store_apply), encode the outputs (each action, the audit record,
 * and at the end of every batch the state of each changed key), as
 * consumer/batch.c does between poll and produce.
 *
 *   bench_codec [--catalog FILE] [--limit N] [--batch N] [--side FILE]
 *               WORKLOAD.jsonl
 *
 * The JSON lines are read and Avro-encoded first (not measured); lines that
 * do not encode (what `cspflow produce` refuses) are left out. Then
 * cf_bench_codec_loop() handles every encoded input once; it is the only
 * function callgrind needs to count (bench/run runs
 * `valgrind --tool=callgrind --toggle-collect=cf_bench_codec_loop`). One
 * JSON line on stdout: events, seconds, events/s, outputs.
 *
 * --side FILE also writes, per input in file order, what the worker
 * produces for it (bench/raw.c reads it to send the same number and sizes
 * of records without decoding anything):
 *   KEY VERDICT AUDIT_BYTES STATE_BYTES N_ACTIONS [ACTION_BYTES...]
 * VERDICT is A (applied), D (duplicate) or R (rejected: the DLQ gets the
 * input); STATE_BYTES is the key's state record after the input (0 unless
 * applied). Sizes are record values, Avro single-object framing included. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/limits.h"
#include "common/linereader.h"
#include "handlers/store.h"
#include "producer/emit.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"
#include "schemas/catalog_json.h"
#include "schemas/json_codec.h"

typedef struct input_s {
        uint8_t *data;
        size_t len;
} input_t;

typedef struct bench_s {
        cf_avro_t *av;
        cf_catalog_t *catalog;
        input_t *in;
        size_t n_in;
        size_t batch;
        FILE *side;
        /* the loop's */
        cf_store_t *store;
        cf_event_t ev;
        cf_outbox_t out;
        cf_audit_t audit;
        cf_buf_t buf;
        const cf_migration_t **changed;
        size_t n_changed;
        const cf_migration_t **slots; /* n_slots, a power of two */
        size_t n_slots;
        uint64_t outputs;
        uint64_t bytes;
        uint64_t rejected;
        int failed;
} bench_t;

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool blank(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t')
                        return false;
        return true;
}

/* Reads the JSON lines and keeps the Avro record of every one that
 * encodes. -1 on a file or memory error. */
static int load(bench_t *b, const char *path, size_t limit) {
        FILE *f = fopen(path, "rb");
        cf_linereader_t *lr;
        size_t cap = 0;
        char detail[512];
        int rc = 0;

        if (!f) {
                fprintf(stderr, "bench_codec: %s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!(lr = cf_linereader_new(f, CF_LINE_MAX))) {
                fclose(f);
                return -1;
        }
        while (limit == 0 || b->n_in < limit) {
                const char *line;
                size_t len;
                unsigned long lineno;
                cf_line_t lt = cf_linereader_next(lr, &line, &len, &lineno);
                if (lt == CF_LINE_EOF)
                        break;
                if (lt != CF_LINE_OK) {
                        rc = lt == CF_LINE_ERROR ? -1 : 0;
                        if (rc)
                                break;
                        continue;
                }
                if (blank(line, len) ||
                    cf_json_decode_event(line, len, &b->ev, detail,
                                         sizeof(detail)) != CF_REJ_NONE)
                        continue;
                cf_buf_reset(&b->buf);
                if (cf_avro_encode_event(b->av, &b->ev, &b->buf, detail,
                                         sizeof(detail)) != CF_OK)
                        continue;
                if (b->n_in == cap) {
                        size_t ncap = cap ? 2 * cap : 4096;
                        input_t *p = realloc(b->in, ncap * sizeof(*p));
                        if (!p) {
                                rc = -1;
                                break;
                        }
                        b->in = p;
                        cap = ncap;
                }
                if (!(b->in[b->n_in].data = malloc(b->buf.len))) {
                        rc = -1;
                        break;
                }
                memcpy(b->in[b->n_in].data, b->buf.data, b->buf.len);
                b->in[b->n_in++].len = b->buf.len;
        }
        cf_linereader_destroy(lr);
        fclose(f);
        return rc;
}

/* The state records of the keys the batch changed, each once (the worker
 * keeps them in its undo table; here an open-addressed set of pointers). */
static void end_batch(bench_t *b) {
        char why[256];
        size_t mask = b->n_slots - 1;
        memset(b->slots, 0, b->n_slots * sizeof(*b->slots));
        for (size_t i = 0; i < b->n_changed; i++) {
                const cf_migration_t *m = b->changed[i];
                size_t h = ((uintptr_t)m >> 4) * 0x9E3779B97F4A7C15ull;
                size_t k = h & mask;
                while (b->slots[k] && b->slots[k] != m)
                        k = (k + 1) & mask;
                if (b->slots[k])
                        continue;
                b->slots[k] = m;
                cf_buf_reset(&b->buf);
                if (cf_avro_encode_state(b->av, m, &b->buf, why, sizeof(why)) !=
                    CF_OK)
                        b->failed = 1;
                b->bytes += b->buf.len;
        }
        b->n_changed = 0;
}

/* Encodes the audit record of the input; its size. */
static size_t audit(bench_t *b, const char *key, const cf_verdict_t *v,
                    const cf_outbox_t *out) {
        char why[256];
        cf_buf_reset(&b->buf);
        if (!cf_emit_audit_fill(&b->audit, 0, 0, key, strlen(key), &b->ev, v,
                                out) ||
            cf_avro_encode_audit(b->av, &b->audit, &b->buf, why, sizeof(why)) !=
                CF_OK)
                b->failed = 1;
        b->bytes += b->buf.len;
        return b->buf.len;
}

/* One input: decode, apply, encode. */
static void one(bench_t *b, const input_t *in) {
        char detail[CF_DETAIL_SIZE], key[CF_KEY_SIZE], why[256];
        size_t sizes[64], n_sizes = 0, audit_len, state_len = 0;
        cf_verdict_t v;
        cf_migration_t *m;

        memset(&v, 0, sizeof(v));
        if (cf_avro_decode_event(b->av, in->data, in->len, &b->ev, detail,
                                 sizeof(detail)) != CF_REJ_NONE ||
            !cf_event_type_is_input(b->ev.type) ||
            !cf_event_key(&b->ev, key, sizeof(key))) {
                b->failed = 1; /* produce would have refused it */
                return;
        }
        cf_outbox_reset(&b->out);
        if (cf_store_apply(b->store, b->catalog, &b->ev, &b->out, &v) !=
            CF_OK) {
                b->failed = 1;
                return;
        }
        if (v.kind == CF_VERDICT_APPLIED) {
                for (size_t i = 0; i < b->out.n; i++) {
                        cf_buf_reset(&b->buf);
                        if (cf_avro_encode_event(b->av, &b->out.v[i], &b->buf,
                                                 why, sizeof(why)) != CF_OK)
                                b->failed = 1;
                        b->bytes += b->buf.len;
                        if (n_sizes < sizeof(sizes) / sizeof(sizes[0]))
                                sizes[n_sizes++] = b->buf.len;
                }
                b->outputs += b->out.n;
                audit_len = audit(b, key, &v, &b->out);
                m = cf_store_get(b->store, b->ev.partner_id,
                                 b->ev.customer_tenant_id);
                b->changed[b->n_changed++] = m;
                if (b->side) {
                        cf_buf_reset(&b->buf);
                        if (cf_avro_encode_state(b->av, m, &b->buf, why,
                                                 sizeof(why)) != CF_OK)
                                b->failed = 1;
                        state_len = b->buf.len;
                }
        } else {
                if (v.kind == CF_VERDICT_REJECTED)
                        b->rejected++;
                audit_len = audit(b, key, &v, NULL);
        }
        if (b->side) {
                fprintf(b->side, "%s %c %zu %zu %zu", key,
                        v.kind == CF_VERDICT_APPLIED     ? 'A'
                        : v.kind == CF_VERDICT_DUPLICATE ? 'D'
                                                         : 'R',
                        audit_len, state_len, n_sizes);
                for (size_t i = 0; i < n_sizes; i++)
                        fprintf(b->side, " %zu", sizes[i]);
                fputc('\n', b->side);
        }
}

/* The measured part: every input once, in batches. Not static: callgrind
 * counts this function and its callees only. */
void cf_bench_codec_loop(bench_t *b);
void cf_bench_codec_loop(bench_t *b) {
        for (size_t i = 0; i < b->n_in && !b->failed; i++) {
                one(b, &b->in[i]);
                if ((i + 1) % b->batch == 0 || i + 1 == b->n_in)
                        end_batch(b);
        }
}

static const char usage_text[] =
    "usage: bench_codec [--catalog FILE] [--limit N] [--batch N] "
    "[--side FILE] WORKLOAD.jsonl\n";

int main(int argc, char **argv) {
        static const struct option opts[] = {
            {"catalog", required_argument, NULL, 'c'},
            {"limit", required_argument, NULL, 'n'},
            {"batch", required_argument, NULL, 'b'},
            {"side", required_argument, NULL, 's'},
            {NULL, 0, NULL, 0}};
        const char *catalog = NULL, *side = NULL;
        char errstr[512];
        size_t limit = 0;
        bench_t b;
        double t0, dt;
        int ch, status = 1;

        memset(&b, 0, sizeof(b));
        b.batch = 2000;
        while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (ch) {
                case 'c':
                        catalog = optarg;
                        break;
                case 'n':
                        limit = strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        b.batch = strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        side = optarg;
                        break;
                default:
                        fputs(usage_text, stderr);
                        return 2;
                }
        }
        if (argc - optind != 1 || b.batch == 0) {
                fputs(usage_text, stderr);
                return 2;
        }
        cf_event_init(&b.ev);
        cf_outbox_init(&b.out);
        cf_audit_init(&b.audit);
        cf_buf_init(&b.buf, 2 * CF_RECORD_MAX);
        if (cf_avro_new(&b.av, errstr, sizeof(errstr)) != CF_OK ||
            (catalog && cf_catalog_load_json(catalog, &b.catalog, errstr,
                                             sizeof(errstr)) != CF_OK)) {
                fprintf(stderr, "bench_codec: %s\n", errstr);
                goto out;
        }
        if (load(&b, argv[optind], limit) != 0) {
                fprintf(stderr, "bench_codec: cannot load %s\n", argv[optind]);
                goto out;
        }
        if (side && !(b.side = fopen(side, "w"))) {
                fprintf(stderr, "bench_codec: %s: %s\n", side, strerror(errno));
                goto out;
        }
        for (b.n_slots = 16; b.n_slots < 2 * b.batch; b.n_slots *= 2)
                ;
        if (!(b.store = cf_store_new()) ||
            !(b.changed = malloc(b.batch * sizeof(*b.changed))) ||
            !(b.slots = malloc(b.n_slots * sizeof(*b.slots)))) {
                fprintf(stderr, "bench_codec: out of memory\n");
                goto out;
        }
        t0 = now_s();
        cf_bench_codec_loop(&b);
        dt = now_s() - t0;
        if (b.failed) {
                fprintf(stderr, "bench_codec: an input did not decode, apply "
                                "or encode\n");
                goto out;
        }
        if (b.side && fclose(b.side) != 0) {
                b.side = NULL;
                fprintf(stderr, "bench_codec: %s: write error\n", side);
                goto out;
        }
        b.side = NULL;
        printf(
            "{\"events\":%zu,\"seconds\":%.6f,\"eps\":%.0f,\"outputs\":%" PRIu64
            ",\"rejected\":%" PRIu64 ",\"bytes\":%" PRIu64 "}\n",
            b.n_in, dt, dt > 0 ? (double)b.n_in / dt : 0.0, b.outputs,
            b.rejected, b.bytes);
        status = 0;
out:
        if (b.side)
                fclose(b.side);
        for (size_t i = 0; i < b.n_in; i++)
                free(b.in[i].data);
        free(b.in);
        free(b.changed);
        free(b.slots);
        cf_store_destroy(b.store);
        cf_catalog_destroy(b.catalog);
        cf_buf_clear(&b.buf);
        cf_audit_clear(&b.audit);
        cf_outbox_clear(&b.out);
        cf_event_clear(&b.ev);
        cf_avro_destroy(b.av);
        return status;
}
