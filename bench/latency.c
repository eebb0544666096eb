/* bench_latency: end-to-end latency of a contender at a fixed input rate.
 *
 *   bench_latency --bootstrap B --input TOPIC --actions TOPIC --rate R
 *                 [--warmup S] [--settle S] [--timeout S] [--dump FILE]
 *                 [-X prop=value]...
 *                 WORKLOAD.jsonl
 *
 * Encodes the workload's events as cspflow produce does (Avro
 * single-object records keyed <partner_id>/<customer_tenant_id>; lines
 * that do not encode are left out), then, in one process:
 *  - a paced idempotent producer sends them to TOPIC at R records/s (every
 *    millisecond, the records due by then), noting when each was handed to
 *    librdkafka: "input produced";
 *  - a read_committed, assign-only consumer of the ACTIONS topic (every
 *    partition, from the beginning) notes when each action arrives: "action
 *    visible". An action is matched to its input by its causation_id (its
 *    value decoded with cspflow's schemas: cspflow and the Kafka Streams
 *    peer), or, for bench_raw's filler actions, by the ce_id header
 *    "raw-<partition>-<offset>" of the input (the producer's delivery
 *    reports give each input's offset).
 * An input's latency is its first action's arrival minus its produce time;
 * inputs that cause no action do not count, nor do those sent in the first
 * --warmup seconds (default 2: the contender's first fetches and its first
 * transactions to each output partition). After the last input the
 * consumer waits until no action came for S seconds (default 5), at most
 * --timeout (default 120) seconds. One JSON line on stdout: rate asked and
 * achieved, inputs sent, inputs matched, p50/p90/p99/max in ms. --dump
 * FILE writes "sent_ms latency_ms" per input (-1: no action).
 *
 * Both clients use the same monotonic clock. The consumer's
 * fetch.wait.max.ms is 10 (its own share of the figure is then at most
 * 10 ms); the producer's linger.ms is 1. Both can be overridden with -X. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <uthash.h>

#include "bench_kafka.h"
#include "common/limits.h"
#include "common/linereader.h"
#include "schemas/avro_codec.h"
#include "schemas/json_codec.h"

#define MAX_PROPS 32

typedef struct input_s {
        uint8_t *value;
        size_t len;
        char key[CF_KEY_SIZE];
        int64_t sent_ns;    /* 0 until sent */
        int64_t arrived_ns; /* first action, 0 none */
        int32_t partition;  /* from the delivery report, -1 unknown */
        int64_t offset;
} input_t;

typedef struct id_s {
        char *id;
        size_t idx;
        UT_hash_handle hh;
} id_t_;

typedef struct raw_arrival_s {
        int32_t partition;
        int64_t offset;
        int64_t at_ns;
} raw_arrival_t;

static struct {
        const char *bootstrap, *input, *actions, *dump;
        double rate, settle_s, timeout_s, warmup_s;
        const char *props[MAX_PROPS];
        int n_props;
        input_t *in;
        size_t n_in;
        id_t_ *ids;
        raw_arrival_t *raw;
        size_t n_raw, cap_raw;
        atomic_llong last_arrival_ns;
        atomic_bool stop;
        atomic_bool consuming;
        uint64_t actions_seen, unmatched;
} g;

static void sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* ---- the workload ---- */

static void load(const char *path) {
        FILE *f = fopen(path, "rb");
        cf_linereader_t *lr;
        cf_avro_t *av;
        cf_event_t ev;
        cf_buf_t buf;
        char why[512];
        size_t cap = 0;

        if (!f)
                bench_die("%s: %s", path, strerror(errno));
        if (!(lr = cf_linereader_new(f, CF_LINE_MAX)))
                bench_die("out of memory");
        if (cf_avro_new(&av, why, sizeof(why)) != CF_OK)
                bench_die("%s", why);
        cf_event_init(&ev);
        cf_buf_init(&buf, 2 * CF_RECORD_MAX);
        for (;;) {
                const char *line;
                size_t len;
                unsigned long lineno;
                cf_line_t lt = cf_linereader_next(lr, &line, &len, &lineno);
                input_t *in;
                id_t_ *id = NULL;
                if (lt == CF_LINE_EOF)
                        break;
                if (lt == CF_LINE_ERROR)
                        bench_die("%s: read error", path);
                if (lt != CF_LINE_OK ||
                    cf_json_decode_event(line, len, &ev, why, sizeof(why)) !=
                        CF_REJ_NONE)
                        continue;
                cf_buf_reset(&buf);
                if (cf_avro_encode_event(av, &ev, &buf, why, sizeof(why)) !=
                    CF_OK)
                        continue;
                if (g.n_in == cap) {
                        cap = cap ? 2 * cap : 4096;
                        if (!(g.in = realloc(g.in, cap * sizeof(*g.in))))
                                bench_die("out of memory");
                }
                in = &g.in[g.n_in];
                memset(in, 0, sizeof(*in));
                in->partition = -1;
                if (!(in->value = malloc(buf.len)))
                        bench_die("out of memory");
                memcpy(in->value, buf.data, buf.len);
                in->len = buf.len;
                cf_event_key(&ev, in->key, sizeof(in->key));
                HASH_FIND_STR(g.ids, ev.event_id, id);
                if (!id) { /* a duplicate's outputs are its first's */
                        if (!(id = calloc(1, sizeof(*id))) ||
                            !(id->id = strdup(ev.event_id)))
                                bench_die("out of memory");
                        id->idx = g.n_in;
                        HASH_ADD_KEYPTR(hh, g.ids, id->id, strlen(id->id), id);
                }
                g.n_in++;
        }
        cf_buf_clear(&buf);
        cf_event_clear(&ev);
        cf_avro_destroy(av);
        cf_linereader_destroy(lr);
        fclose(f);
}

/* ---- clients ---- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *op) {
        input_t *in = m->_private;
        (void)rk;
        (void)op;
        if (m->err)
                bench_die("delivery failed: %s", rd_kafka_err2str(m->err));
        in->partition = m->partition;
        in->offset = m->offset;
}

/* ---- the action reader (its own thread) ---- */

static void raw_arrival(const rd_kafka_message_t *m, int64_t at) {
        rd_kafka_headers_t *h = NULL;
        const void *v;
        size_t len;
        char id[64];
        int p;
        long long off;

        if (rd_kafka_message_headers(m, &h) ||
            rd_kafka_header_get_last(h, "ce_id", &v, &len) ||
            len >= sizeof(id)) {
                g.unmatched++;
                return;
        }
        memcpy(id, v, len);
        id[len] = '\0';
        if (sscanf(id, "raw-%d-%lld", &p, &off) != 2) {
                g.unmatched++;
                return;
        }
        if (g.n_raw == g.cap_raw) {
                g.cap_raw = g.cap_raw ? 2 * g.cap_raw : 4096;
                if (!(g.raw = realloc(g.raw, g.cap_raw * sizeof(*g.raw))))
                        bench_die("out of memory");
        }
        g.raw[g.n_raw].partition = p;
        g.raw[g.n_raw].offset = off;
        g.raw[g.n_raw++].at_ns = at;
}

static void *reader(void *arg) {
        rd_kafka_t *rk = arg;
        cf_avro_t *av;
        cf_event_t ev;
        char why[512];

        if (cf_avro_new(&av, why, sizeof(why)) != CF_OK)
                bench_die("%s", why);
        cf_event_init(&ev);
        while (!atomic_load(&g.stop)) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
                int64_t at = bench_now_ns();
                id_t_ *id = NULL;
                if (!m)
                        continue;
                atomic_store(&g.consuming, true);
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fprintf(stderr, "bench_latency: %s\n",
                                        rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                g.actions_seen++;
                atomic_store(&g.last_arrival_ns, at);
                if (cf_avro_decode_event(av, m->payload, m->len, &ev, why,
                                         sizeof(why)) == CF_REJ_NONE) {
                        HASH_FIND_STR(g.ids, ev.causation_id, id);
                        if (id && !g.in[id->idx].arrived_ns)
                                g.in[id->idx].arrived_ns = at;
                        else if (!id)
                                g.unmatched++;
                } else {
                        raw_arrival(m, at);
                }
                rd_kafka_message_destroy(m);
        }
        cf_event_clear(&ev);
        cf_avro_destroy(av);
        return NULL;
}

/* ---- figures ---- */

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* bench_raw's arrivals: (partition, offset) of the input -> its index. */
static void resolve_raw(void) {
        typedef struct po_s {
                int64_t key[2];
                size_t idx;
                UT_hash_handle hh;
        } po_t;
        po_t *map = NULL, *e, *tmp;
        po_t *all = calloc(g.n_in ? g.n_in : 1, sizeof(*all));
        if (!all)
                bench_die("out of memory");
        for (size_t i = 0; i < g.n_in; i++) {
                if (g.in[i].partition < 0)
                        continue;
                all[i].key[0] = g.in[i].partition;
                all[i].key[1] = g.in[i].offset;
                all[i].idx = i;
                HASH_ADD(hh, map, key, sizeof(all[i].key), &all[i]);
        }
        for (size_t r = 0; r < g.n_raw; r++) {
                int64_t k[2] = {g.raw[r].partition, g.raw[r].offset};
                HASH_FIND(hh, map, k, sizeof(k), e);
                if (!e) {
                        g.unmatched++;
                        continue;
                }
                if (!g.in[e->idx].arrived_ns ||
                    g.raw[r].at_ns < g.in[e->idx].arrived_ns)
                        g.in[e->idx].arrived_ns = g.raw[r].at_ns;
        }
        HASH_ITER(hh, map, e, tmp) {
                HASH_DEL(map, e);
        }
        free(all);
}

/* --dump: one line per input, "sent_ms latency_ms" (-1: no action). */
static void dump(int64_t t0) {
        FILE *f = fopen(g.dump, "w");
        if (!f)
                bench_die("%s: %s", g.dump, strerror(errno));
        for (size_t i = 0; i < g.n_in; i++)
                fprintf(f, "%.3f %.3f\n", (double)(g.in[i].sent_ns - t0) / 1e6,
                        g.in[i].arrived_ns
                            ? (double)(g.in[i].arrived_ns - g.in[i].sent_ns) /
                                  1e6
                            : -1.0);
        if (fclose(f) != 0)
                bench_die("%s: write error", g.dump);
}

static double pct(const int64_t *v, size_t n, double p) {
        size_t i;
        if (n == 0)
                return -1;
        i = (size_t)(p * (double)(n - 1) + 0.5);
        return (double)v[i] / 1e6;
}

static const char usage_text[] =
    "usage: bench_latency --bootstrap B --input TOPIC --actions TOPIC "
    "--rate R\n"
    "                     [--warmup S] [--settle S] [--timeout S]\n"
    "                     [--dump FILE] [-X prop=value]... WORKLOAD.jsonl\n";

static void parse(int argc, char **argv) {
        static const struct option opts[] = {
            {"bootstrap", required_argument, NULL, 'b'},
            {"input", required_argument, NULL, 'i'},
            {"actions", required_argument, NULL, 'a'},
            {"rate", required_argument, NULL, 'r'},
            {"settle", required_argument, NULL, 's'},
            {"timeout", required_argument, NULL, 't'},
            {"dump", required_argument, NULL, 'd'},
            {"warmup", required_argument, NULL, 'w'},
            {NULL, 0, NULL, 0}};
        int ch;
        g.settle_s = 5;
        g.timeout_s = 120;
        g.warmup_s = 2;
        while ((ch = getopt_long(argc, argv, "X:", opts, NULL)) != -1) {
                switch (ch) {
                case 'b':
                        g.bootstrap = optarg;
                        break;
                case 'i':
                        g.input = optarg;
                        break;
                case 'a':
                        g.actions = optarg;
                        break;
                case 'r':
                        g.rate = strtod(optarg, NULL);
                        break;
                case 's':
                        g.settle_s = strtod(optarg, NULL);
                        break;
                case 't':
                        g.timeout_s = strtod(optarg, NULL);
                        break;
                case 'd':
                        g.dump = optarg;
                        break;
                case 'w':
                        g.warmup_s = strtod(optarg, NULL);
                        break;
                case 'X':
                        if (g.n_props == MAX_PROPS)
                                bench_die("too many -X");
                        g.props[g.n_props++] = optarg;
                        break;
                default:
                        fputs(usage_text, stderr);
                        exit(2);
                }
        }
        if (!g.bootstrap || !g.input || !g.actions || !(g.rate > 0) ||
            argc - optind != 1) {
                fputs(usage_text, stderr);
                exit(2);
        }
}

int main(int argc, char **argv) {
        static const char *const prod_defaults[] = {
            "enable.idempotence", "true", "linger.ms", "1", NULL, NULL};
        static const char *const cons_defaults[] = {"group.id",
                                                    "bench-latency",
                                                    "isolation.level",
                                                    "read_committed",
                                                    "fetch.wait.max.ms",
                                                    "10",
                                                    "enable.auto.commit",
                                                    "false",
                                                    NULL,
                                                    NULL};
        rd_kafka_t *prod, *cons;
        rd_kafka_conf_t *c;
        rd_kafka_topic_partition_list_t *l;
        pthread_t th;
        char why[512];
        int64_t t0, t_sent, deadline;
        int64_t *lat;
        size_t sent = 0, n_lat = 0;
        int n;

        bench_prog = "bench_latency";
        parse(argc, argv);
        load(argv[optind]);
        if (g.n_in == 0)
                bench_die("%s: no event encodes", argv[optind]);

        c = bench_conf_new(g.bootstrap, cons_defaults, g.props, g.n_props,
                           NULL);
        if (!(cons = rd_kafka_new(RD_KAFKA_CONSUMER, c, why, sizeof(why))))
                bench_die("consumer: %s", why);
        rd_kafka_poll_set_consumer(cons);
        n = bench_partitions(cons, g.actions);
        l = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(l, g.actions, p)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_assign(cons, l))
                bench_die("assign %s", g.actions);
        rd_kafka_topic_partition_list_destroy(l);
        if (pthread_create(&th, NULL, reader, cons))
                bench_die("pthread_create");

        c = bench_conf_new(g.bootstrap, prod_defaults, g.props, g.n_props,
                           NULL);
        rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
        if (!(prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof(why))))
                bench_die("producer: %s", why);
        bench_partitions(prod, g.input); /* connected, metadata known */
        sleep_ms(1000);                  /* the reader's first fetches */

        t0 = bench_now_ns();
        while (sent < g.n_in) {
                int64_t t = bench_now_ns();
                size_t due = (size_t)((double)(t - t0) / 1e9 * g.rate) + 1;
                if (due > g.n_in)
                        due = g.n_in;
                for (; sent < due; sent++) {
                        input_t *in = &g.in[sent];
                        rd_kafka_resp_err_t err;
                        in->sent_ns = bench_now_ns();
                        while ((err = rd_kafka_producev(
                                    prod, RD_KAFKA_V_TOPIC(g.input),
                                    RD_KAFKA_V_KEY(in->key, strlen(in->key)),
                                    RD_KAFKA_V_VALUE(in->value, in->len),
                                    RD_KAFKA_V_OPAQUE(in), RD_KAFKA_V_END)) ==
                               RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(prod, 10);
                        if (err)
                                bench_die("produce: %s", rd_kafka_err2str(err));
                }
                rd_kafka_poll(prod, 0);
                if (sent < g.n_in)
                        sleep_ms(1);
        }
        t_sent = bench_now_ns();
        if (rd_kafka_flush(prod, 60000))
                bench_die("flush timed out");
        deadline = t_sent + (int64_t)(g.timeout_s * 1e9);
        atomic_store(&g.last_arrival_ns, bench_now_ns());
        while (bench_now_ns() < deadline &&
               bench_now_ns() - atomic_load(&g.last_arrival_ns) <
                   (int64_t)(g.settle_s * 1e9))
                sleep_ms(100);
        atomic_store(&g.stop, true);
        pthread_join(th, NULL);
        rd_kafka_destroy(prod);
        rd_kafka_consumer_close(cons);
        rd_kafka_destroy(cons);

        resolve_raw();
        if (g.dump)
                dump(t0);
        if (!(lat = malloc(g.n_in * sizeof(*lat))))
                bench_die("out of memory");
        for (size_t i = 0; i < g.n_in; i++)
                if (g.in[i].arrived_ns && g.in[i].sent_ns &&
                    g.in[i].sent_ns - t0 >= (int64_t)(g.warmup_s * 1e9))
                        lat[n_lat++] = g.in[i].arrived_ns - g.in[i].sent_ns;
        qsort(lat, n_lat, sizeof(*lat), cmp_i64);
        printf("{\"rate\":%.1f,\"warmup_s\":%.1f,\"achieved_rate\":%.1f,"
               "\"sent\":%zu,"
               "\"matched\":%zu,\"actions\":%llu,\"unmatched\":%llu,"
               "\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
               "\"max_ms\":%.2f}\n",
               g.rate, g.warmup_s,
               t_sent > t0 ? (double)sent / ((double)(t_sent - t0) / 1e9) : 0,
               sent, n_lat, (unsigned long long)g.actions_seen,
               (unsigned long long)g.unmatched, pct(lat, n_lat, 0.5),
               pct(lat, n_lat, 0.9), pct(lat, n_lat, 0.99),
               pct(lat, n_lat, 1.0));
        free(lat);
        return n_lat > 0 ? 0 : 1;
}
