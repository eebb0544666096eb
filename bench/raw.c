/* bench_raw: the raw limit of the benchmark (bench/run). What `cspflow run
 * --mode eos` does on Kafka, minus decoding and rules: a group consumer
 * (read_committed) collects up to --batch-records messages or for
 * --batch-ms after the first; one transaction per batch produces, per
 * input, the same number and sizes of records as cspflow (actions with the
 * seven CloudEvents headers, one audit record, the input to the DLQ when
 * cspflow rejects it), then one state record per key the batch changed,
 * sends the offsets and commits. Values are filler bytes.
 *
 *   bench_raw --bootstrap B --group G --input TOPIC --out-prefix P
 *             --side FILE [--batch-records N] [--batch-ms MS]
 *             [--transactional-id ID] [--idle-exit S] [-X prop=value]...
 *
 * Which input gets what comes from the side file of bench_codec --side
 * (one line per input, in input order): KEY VERDICT AUDIT STATE N SIZES...
 * The k-th record of a key gets the k-th line of that key (a key's records
 * keep their order on one partition, so no decoding is needed); a record
 * with no line (null key, or more records than lines) is counted as
 * unmatched and handled as a rejection. Outputs go to P.actions, P.audit,
 * P.state, P.dlq, partition = the input's, as cspflow does.
 *
 * Errors: retriable transactional errors are retried (10 times); anything
 * else stops the program with exit 1 (it is a measuring tool: it does not
 * abort and rewind). SIGTERM/SIGINT: the batch in hand is finished, exit 0.
 * At exit one JSON line on stderr with its counts. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <uthash.h>

#include "bench_kafka.h"

#define MAX_SIZE      (4 * 1024 * 1024)
#define MAX_PROPS     64
#define TXN_TIMEOUT   60000
#define TXN_RETRIES   10
#define UNKNOWN_AUDIT 200

typedef struct outcome_s {
        char verdict; /* A, D, R */
        uint32_t audit;
        uint32_t state;
        uint32_t n_actions;
        size_t first_action; /* index into g.action_sizes */
} outcome_t;

typedef struct key_s {
        char *key;
        size_t len;
        outcome_t *o;
        size_t n, cap, next;
        uint64_t epoch;    /* the batch that last changed it */
        uint32_t state;    /* its state record size in that batch */
        int32_t partition; /* of that batch */
        UT_hash_handle hh;
} key_t_;

static struct {
        const char *bootstrap, *group, *input, *prefix, *side, *tid;
        int batch_records, batch_ms, idle_exit;
        const char *props[MAX_PROPS];
        int n_props;
        char t_actions[512], t_audit[512], t_state[512], t_dlq[512];
        char ce_source[512];
        key_t_ *keys;
        uint32_t *action_sizes;
        size_t n_action_sizes, cap_action_sizes;
        uint8_t *filler;
        rd_kafka_t *prod, *cons;
        rd_kafka_message_t **msgs;
        size_t n_msgs;
        key_t_ **changed;
        size_t n_changed;
        uint64_t epoch;
        int64_t *last; /* per partition: last handled offset, -1 none */
        int n_parts;
        bool assigned_once;
        uint64_t consumed, produced, unmatched, transactions, dr_failed;
} g;

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
        (void)sig;
        stop = 1;
}

static int64_t now_ms(void) {
        return bench_now_ns() / 1000000;
}

/* ---- the side file ---- */

static key_t_ *key_get(const char *k, size_t len, bool create) {
        key_t_ *e = NULL;
        HASH_FIND(hh, g.keys, k, len, e);
        if (e || !create)
                return e;
        if (!(e = calloc(1, sizeof(*e))) || !(e->key = malloc(len + 1)))
                bench_die("out of memory");
        memcpy(e->key, k, len);
        e->key[len] = '\0';
        e->len = len;
        HASH_ADD_KEYPTR(hh, g.keys, e->key, e->len, e);
        return e;
}

static void add_action_size(unsigned long v) {
        if (g.n_action_sizes == g.cap_action_sizes) {
                size_t n = g.cap_action_sizes ? 2 * g.cap_action_sizes : 4096;
                uint32_t *p = realloc(g.action_sizes, n * sizeof(*p));
                if (!p)
                        bench_die("out of memory");
                g.action_sizes = p;
                g.cap_action_sizes = n;
        }
        g.action_sizes[g.n_action_sizes++] = (uint32_t)v;
}

static unsigned long field(char **p, const char *path, unsigned long lineno) {
        char *end;
        unsigned long v;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (end == *p || errno || v > MAX_SIZE)
                bench_die("%s:%lu: bad number", path, lineno);
        *p = end;
        return v;
}

static void load_side(const char *path) {
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        unsigned long lineno = 0;

        if (!f)
                bench_die("%s: %s", path, strerror(errno));
        while ((n = getline(&line, &cap, f)) > 0) {
                char *sp = strchr(line, ' '), *p;
                key_t_ *e;
                outcome_t *o;
                lineno++;
                if (!sp || sp[1] == '\0' || sp[2] != ' ')
                        bench_die("%s:%lu: bad line", path, lineno);
                e = key_get(line, (size_t)(sp - line), true);
                if (e->n == e->cap) {
                        size_t nc = e->cap ? 2 * e->cap : 8;
                        outcome_t *no = realloc(e->o, nc * sizeof(*no));
                        if (!no)
                                bench_die("out of memory");
                        e->o = no;
                        e->cap = nc;
                }
                o = &e->o[e->n++];
                o->verdict = sp[1];
                p = sp + 2;
                o->audit = (uint32_t)field(&p, path, lineno);
                o->state = (uint32_t)field(&p, path, lineno);
                o->n_actions = (uint32_t)field(&p, path, lineno);
                o->first_action = g.n_action_sizes;
                for (uint32_t i = 0; i < o->n_actions; i++)
                        add_action_size(field(&p, path, lineno));
        }
        free(line);
        fclose(f);
}

/* ---- producing ---- */

static void produce(const char *topic, int32_t part, const void *key,
                    size_t key_len, const void *value, size_t len,
                    rd_kafka_headers_t *h) {
        rd_kafka_resp_err_t err;
        for (;;) {
                err = rd_kafka_producev(
                    g.prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                    RD_KAFKA_V_KEY(key, key_len),
                    RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(g.prod, 50);
        }
        if (err)
                bench_die("produce to %s [%d]: %s", topic, (int)part,
                          rd_kafka_err2str(err));
        g.produced++;
}

static rd_kafka_headers_t *headers(void) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(8);
        if (!h)
                bench_die("out of memory");
        return h;
}

static void hdr(rd_kafka_headers_t *h, const char *name, const char *value) {
        if (rd_kafka_header_add(h, name, -1, value, -1))
                bench_die("header %s: out of memory", name);
}

static void action(const rd_kafka_message_t *m, uint32_t size) {
        rd_kafka_headers_t *h = headers();
        char id[48], subject[512];
        int n = snprintf(id, sizeof(id), "raw-%d-%lld", (int)m->partition,
                         (long long)m->offset);
        /* a ce_id as long as cspflow's (a UUID); bench_latency reads it */
        for (; n < 36; n++)
                id[n] = '-';
        id[36] = '\0';
        snprintf(subject, sizeof(subject), "%.*s", (int)m->key_len,
                 (const char *)m->key);
        hdr(h, "ce_specversion", "1.0");
        hdr(h, "ce_id", id);
        hdr(h, "ce_source", g.ce_source);
        hdr(h, "ce_type", "io.cspflow.migration.provision-requested");
        hdr(h, "ce_time", "2026-01-01T00:00:00Z");
        hdr(h, "ce_subject", subject);
        hdr(h, "content-type", "application/avro");
        produce(g.t_actions, m->partition, m->key, m->key_len, g.filler, size,
                h);
}

static void dlq(const rd_kafka_message_t *m) {
        rd_kafka_headers_t *h = headers();
        char part[16], off[24];
        snprintf(part, sizeof(part), "%d", (int)m->partition);
        snprintf(off, sizeof(off), "%lld", (long long)m->offset);
        hdr(h, "dlq_reason", "invalid-value");
        hdr(h, "dlq_detail", "rejected by the rules");
        hdr(h, "dlq_source_topic", g.input);
        hdr(h, "dlq_source_partition", part);
        hdr(h, "dlq_source_offset", off);
        produce(g.t_dlq, m->partition, m->key, m->key_len, m->payload, m->len,
                h);
}

static void handle(const rd_kafka_message_t *m) {
        key_t_ *e = m->key ? key_get(m->key, m->key_len, false) : NULL;
        const outcome_t *o;

        g.consumed++;
        if (m->partition >= 0 && m->partition < g.n_parts) {
                if (m->offset <= g.last[m->partition])
                        return; /* delivered twice (librdkafka 2.0.x) */
                g.last[m->partition] = m->offset;
        }
        if (!e || e->next >= e->n) {
                g.unmatched++;
                dlq(m);
                produce(g.t_audit, m->partition, m->key, m->key_len, g.filler,
                        UNKNOWN_AUDIT, NULL);
                return;
        }
        o = &e->o[e->next++];
        for (uint32_t i = 0; i < o->n_actions; i++)
                action(m, g.action_sizes[o->first_action + i]);
        if (o->verdict == 'R')
                dlq(m);
        produce(g.t_audit, m->partition, m->key, m->key_len, g.filler, o->audit,
                NULL);
        if (o->verdict == 'A') {
                if (e->epoch != g.epoch) {
                        e->epoch = g.epoch;
                        g.changed[g.n_changed++] = e;
                }
                e->state = o->state;
                e->partition = m->partition;
        }
}

/* ---- transactions ---- */

/* Runs a transactional call until it is not retriable. */
static void txn(const char *what, rd_kafka_error_t *(*call)(void *),
                void *arg) {
        for (int i = 0;; i++) {
                rd_kafka_error_t *err = call(arg);
                if (!err)
                        return;
                if (!rd_kafka_error_is_retriable(err) || i >= TXN_RETRIES)
                        bench_die("%s: %s", what, rd_kafka_error_string(err));
                fprintf(stderr, "bench_raw: %s: %s (retrying)\n", what,
                        rd_kafka_error_string(err));
                rd_kafka_error_destroy(err);
        }
}

static rd_kafka_error_t *call_init(void *a) {
        (void)a;
        return rd_kafka_init_transactions(g.prod, TXN_TIMEOUT);
}
static rd_kafka_error_t *call_begin(void *a) {
        (void)a;
        return rd_kafka_begin_transaction(g.prod);
}
static rd_kafka_error_t *call_offsets(void *a) {
        rd_kafka_consumer_group_metadata_t *md =
            rd_kafka_consumer_group_metadata(g.cons);
        rd_kafka_error_t *err;
        if (!md)
                bench_die("no consumer group metadata");
        err = rd_kafka_send_offsets_to_transaction(g.prod, a, md, TXN_TIMEOUT);
        rd_kafka_consumer_group_metadata_destroy(md);
        return err;
}
static rd_kafka_error_t *call_commit(void *a) {
        (void)a;
        return rd_kafka_commit_transaction(g.prod, TXN_TIMEOUT);
}

static void run_batch(void) {
        rd_kafka_topic_partition_list_t *offs =
            rd_kafka_topic_partition_list_new(g.n_parts);
        bool *touched = calloc((size_t)g.n_parts, sizeof(*touched));

        if (!offs || !touched)
                bench_die("out of memory");
        g.epoch++;
        g.n_changed = 0;
        txn("begin_transaction", call_begin, NULL);
        for (size_t i = 0; i < g.n_msgs; i++) {
                handle(g.msgs[i]);
                touched[g.msgs[i]->partition] = true;
        }
        for (size_t i = 0; i < g.n_changed; i++) {
                key_t_ *e = g.changed[i];
                produce(g.t_state, e->partition, e->key, e->len, g.filler,
                        e->state, NULL);
        }
        for (int p = 0; p < g.n_parts; p++)
                if (touched[p] && g.last[p] >= 0)
                        rd_kafka_topic_partition_list_add(offs, g.input, p)
                            ->offset = g.last[p] + 1;
        if (offs->cnt > 0)
                txn("send_offsets_to_transaction", call_offsets, offs);
        txn("commit_transaction", call_commit, NULL);
        if (g.dr_failed)
                bench_die("%llu deliveries failed",
                          (unsigned long long)g.dr_failed);
        g.transactions++;
        rd_kafka_topic_partition_list_destroy(offs);
        free(touched);
        for (size_t i = 0; i < g.n_msgs; i++)
                rd_kafka_message_destroy(g.msgs[i]);
        g.n_msgs = 0;
}

/* ---- the consumer ---- */

static void drop_msgs(void) {
        for (size_t i = 0; i < g.n_msgs; i++)
                rd_kafka_message_destroy(g.msgs[i]);
        g.n_msgs = 0;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
        (void)opaque;
        drop_msgs();
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                for (int i = 0; i < parts->cnt; i++)
                        if (parts->elems[i].partition < g.n_parts)
                                g.last[parts->elems[i].partition] = -1;
                rd_kafka_assign(rk, parts);
                g.assigned_once = true;
                fprintf(stderr, "bench_raw: assigned %d partition(s)\n",
                        parts->cnt);
        } else {
                rd_kafka_assign(rk, NULL);
        }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *op) {
        (void)rk;
        (void)op;
        if (m->err && g.dr_failed++ < 5)
                fprintf(stderr, "bench_raw: delivery failed: %s\n",
                        rd_kafka_err2str(m->err));
}

/* Collects a batch; returns at once (empty) when nothing comes in 100 ms. */
static void collect(int64_t *idle_since) {
        int64_t deadline = 0;
        while (g.n_msgs < (size_t)g.batch_records && !stop) {
                int timeout = 100;
                rd_kafka_message_t *m;
                if (g.n_msgs > 0) {
                        int64_t left = deadline - now_ms();
                        if (left <= 0)
                                break;
                        timeout = left < 100 ? (int)left : 100;
                }
                if (!(m = rd_kafka_consumer_poll(g.cons, timeout))) {
                        if (g.n_msgs == 0)
                                return;
                        continue;
                }
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fprintf(stderr, "bench_raw: consumer: %s\n",
                                        rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (m->partition < 0 || m->partition >= g.n_parts)
                        bench_die("partition %d of %s: more than at start",
                                  (int)m->partition, g.input);
                g.msgs[g.n_msgs++] = m;
                *idle_since = now_ms();
                if (g.n_msgs == 1)
                        deadline = *idle_since + g.batch_ms;
        }
}

static void open_clients(void) {
        char why[512], tid[512];
        const char *prod_forced[] = {
            "enable.idempotence", "true", "transactional.id", tid, NULL, NULL};
        /* cspflow's group consumer defaults (consumer/worker.c) */
        const char *cons_defaults[] = {"auto.offset.reset",
                                       "earliest",
                                       "session.timeout.ms",
                                       "10000",
                                       "heartbeat.interval.ms",
                                       "1000",
                                       "queued.max.messages.kbytes",
                                       "8192",
                                       NULL,
                                       NULL};
        const char *cons_forced[] = {"group.id",
                                     g.group,
                                     "enable.auto.commit",
                                     "false",
                                     "enable.auto.offset.store",
                                     "false",
                                     "isolation.level",
                                     "read_committed",
                                     "enable.partition.eof",
                                     "false",
                                     NULL,
                                     NULL};
        rd_kafka_conf_t *c;
        rd_kafka_topic_partition_list_t *sub;

        if (g.tid)
                snprintf(tid, sizeof(tid), "%s", g.tid);
        else
                snprintf(tid, sizeof(tid), "%s-0", g.group);
        c = bench_conf_new(g.bootstrap, NULL, g.props, g.n_props, prod_forced);
        rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
        if (!(g.prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof(why))))
                bench_die("producer: %s", why);
        g.n_parts = bench_partitions(g.prod, g.input);
        if (!(g.last = malloc((size_t)g.n_parts * sizeof(*g.last))))
                bench_die("out of memory");
        for (int p = 0; p < g.n_parts; p++)
                g.last[p] = -1;
        txn("init_transactions", call_init, NULL);

        c = bench_conf_new(g.bootstrap, cons_defaults, g.props, g.n_props,
                           cons_forced);
        rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
        if (!(g.cons = rd_kafka_new(RD_KAFKA_CONSUMER, c, why, sizeof(why))))
                bench_die("consumer: %s", why);
        rd_kafka_poll_set_consumer(g.cons);
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, g.input, RD_KAFKA_PARTITION_UA);
        if (rd_kafka_subscribe(g.cons, sub))
                bench_die("cannot subscribe to %s", g.input);
        rd_kafka_topic_partition_list_destroy(sub);
}

static const char usage_text[] =
    "usage: bench_raw --bootstrap B --group G --input TOPIC --out-prefix P\n"
    "                 --side FILE [--batch-records N] [--batch-ms MS]\n"
    "                 [--transactional-id ID] [--idle-exit S] "
    "[-X prop=value]...\n";

static void parse(int argc, char **argv) {
        static const struct option opts[] = {
            {"bootstrap", required_argument, NULL, 'b'},
            {"group", required_argument, NULL, 'g'},
            {"input", required_argument, NULL, 'i'},
            {"out-prefix", required_argument, NULL, 'o'},
            {"side", required_argument, NULL, 's'},
            {"batch-records", required_argument, NULL, 'r'},
            {"batch-ms", required_argument, NULL, 'm'},
            {"transactional-id", required_argument, NULL, 't'},
            {"idle-exit", required_argument, NULL, 'e'},
            {NULL, 0, NULL, 0}};
        int ch;
        g.batch_records = 2000;
        g.batch_ms = 100;
        while ((ch = getopt_long(argc, argv, "X:", opts, NULL)) != -1) {
                switch (ch) {
                case 'b':
                        g.bootstrap = optarg;
                        break;
                case 'g':
                        g.group = optarg;
                        break;
                case 'i':
                        g.input = optarg;
                        break;
                case 'o':
                        g.prefix = optarg;
                        break;
                case 's':
                        g.side = optarg;
                        break;
                case 'r':
                        g.batch_records = (int)strtol(optarg, NULL, 10);
                        break;
                case 'm':
                        g.batch_ms = (int)strtol(optarg, NULL, 10);
                        break;
                case 't':
                        g.tid = optarg;
                        break;
                case 'e':
                        g.idle_exit = (int)strtol(optarg, NULL, 10);
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
        if (!g.bootstrap || !g.group || !g.input || !g.prefix || !g.side ||
            g.batch_records <= 0 || g.batch_ms <= 0 || optind != argc) {
                fputs(usage_text, stderr);
                exit(2);
        }
}

int main(int argc, char **argv) {
        int64_t idle_since;
        size_t max_size = UNKNOWN_AUDIT;

        bench_prog = "bench_raw";
        parse(argc, argv);
        snprintf(g.t_actions, sizeof(g.t_actions), "%s.actions", g.prefix);
        snprintf(g.t_audit, sizeof(g.t_audit), "%s.audit", g.prefix);
        snprintf(g.t_state, sizeof(g.t_state), "%s.state", g.prefix);
        snprintf(g.t_dlq, sizeof(g.t_dlq), "%s.dlq", g.prefix);
        snprintf(g.ce_source, sizeof(g.ce_source), "urn:cspflow:%s", g.group);
        load_side(g.side);
        for (key_t_ *e = g.keys; e; e = e->hh.next)
                for (size_t i = 0; i < e->n; i++) {
                        if (e->o[i].audit > max_size)
                                max_size = e->o[i].audit;
                        if (e->o[i].state > max_size)
                                max_size = e->o[i].state;
                }
        for (size_t i = 0; i < g.n_action_sizes; i++)
                if (g.action_sizes[i] > max_size)
                        max_size = g.action_sizes[i];
        if (!(g.filler = calloc(1, max_size)) ||
            !(g.msgs = calloc((size_t)g.batch_records, sizeof(*g.msgs))) ||
            !(g.changed = calloc((size_t)g.batch_records, sizeof(*g.changed))))
                bench_die("out of memory");
        memset(g.filler, 'x', max_size);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        open_clients();
        idle_since = now_ms();
        while (!stop) {
                collect(&idle_since);
                if (g.n_msgs > 0) {
                        run_batch();
                        idle_since = now_ms();
                } else if (g.idle_exit > 0 && g.assigned_once &&
                           now_ms() - idle_since >= g.idle_exit * 1000LL) {
                        break;
                }
                rd_kafka_poll(g.prod, 0);
        }
        if (g.n_msgs > 0)
                run_batch();
        rd_kafka_consumer_close(g.cons);
        rd_kafka_destroy(g.cons);
        rd_kafka_destroy(g.prod);
        fprintf(stderr,
                "{\"consumed\":%llu,\"produced\":%llu,\"unmatched\":%llu,"
                "\"transactions\":%llu}\n",
                (unsigned long long)g.consumed, (unsigned long long)g.produced,
                (unsigned long long)g.unmatched,
                (unsigned long long)g.transactions);
        return 0;
}
