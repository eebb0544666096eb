/* Protocol faults on librdkafka's mock cluster (issue 7, item 2;
 * docs/reliability.md, Faults):
 *
 *   mock_faults CASE                 runs one case: exit 0 passed, 1 failed
 *   mock_faults --list               prints the case names
 *   mock_faults --check-list NAME..  exit 0 when NAME.. are the cases
 *
 * tests/CMakeLists.txt registers every case as the CTest test
 * mock.<case>, and the list itself as mock.cases.
 *
 * One case: a mock cluster of one broker; three examples produced to the
 * events topic as `cspflow produce` writes them (keyed Avro records); then
 * errors pushed for one request type; then the worker (cf_worker_run, eos,
 * idle exit 2 s) on that input. The outcome is checked as librdkafka
 * classes the error for that request (the class and the code of each case
 * are librdkafka 2.0.2's own, docs/reliability.md names the source):
 *
 *  - retriable: the worker runs to its idle exit (CF_OK) with no batch
 *    aborted, and per key the actions topic holds exactly the handlers'
 *    outputs (what `cspflow simulate` prints), in order;
 *  - abortable: CF_OK, at least one batch aborted, and per key the
 *    handlers' outputs, in order, end the actions topic; what comes before
 *    them (records of the aborted transaction: the mock cluster shows
 *    them, it does not honour read_committed) are records of the same
 *    key's outputs; the worker's committed counts equal the inputs;
 *  - fatal: cf_worker_run returns CF_ERR_IO (`cspflow run` exits 1), its
 *    message naming the error.
 *
 * Every case also checks that each pushed error was used (the request was
 * made and failed). */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/limits.h"
#include "common/linereader.h"
#include "consumer/worker.h"
#include "handlers/store.h"
#include "producer/mock.h"
#include "producer/produce.h"
#include "schemas/avro_codec.h"
#include "schemas/json_codec.h"

#define PARTITIONS 3
#define MAX_OUT    256

typedef enum { RETRIABLE, ABORTABLE, FATAL } klass_t;

typedef struct fcase_s {
        const char *name;
        int api_key;
        klass_t klass;
        int errors[2];
        size_t n_errors;
        const char *want; /**< fatal: in the worker's message */
} fcase_t;

static const fcase_t cases[] = {
    {"initproducerid.retriable",
     22,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
      RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE},
     2,
     NULL},
    {"initproducerid.fatal",
     22,
     FATAL,
     {RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED},
     1,
     "init_transactions: fatal: TRANSACTIONAL_ID_AUTHORIZATION_FAILED"},
    {"addpartitionstotxn.retriable",
     24,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
      RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS},
     2,
     NULL},
    {"addpartitionstotxn.abortable",
     24,
     ABORTABLE,
     {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED},
     1,
     NULL},
    {"addpartitionstotxn.fatal",
     24,
     FATAL,
     {RD_KAFKA_RESP_ERR_PRODUCER_FENCED},
     1,
     "fenced: a newer instance runs with transactional.id"},
    {"addoffsetstotxn.retriable",
     25,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
      RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS},
     2,
     NULL},
    {"addoffsetstotxn.abortable",
     25,
     ABORTABLE,
     {RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED},
     1,
     NULL},
    {"addoffsetstotxn.fatal",
     25,
     FATAL,
     {RD_KAFKA_RESP_ERR_INVALID_TXN_STATE},
     1,
     "fatal: INVALID_TXN_STATE"},
    {"txnoffsetcommit.retriable",
     28,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
     2,
     NULL},
    {"txnoffsetcommit.abortable",
     28,
     ABORTABLE,
     {RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION},
     1,
     NULL},
    {"txnoffsetcommit.fatal",
     28,
     FATAL,
     {RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED},
     1,
     "fatal: TRANSACTIONAL_ID_AUTHORIZATION_FAILED"},
    {"endtxn.retriable",
     26,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
      RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS},
     2,
     NULL},
    {"endtxn.abortable",
     26,
     ABORTABLE,
     {RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID},
     1,
     NULL},
    {"endtxn.fatal",
     26,
     FATAL,
     {RD_KAFKA_RESP_ERR_PRODUCER_FENCED},
     1,
     "fenced: a newer instance runs with transactional.id"},
    {"produce.retriable",
     0,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS},
     2,
     NULL},
    {"produce.abortable",
     0,
     ABORTABLE,
     {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED},
     1,
     NULL},
    {"produce.fatal",
     0,
     FATAL,
     {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH},
     1,
     "fenced: a newer instance runs with transactional.id"},
    {"fetch.retriable",
     1,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
     2,
     NULL},
    {"fetch.reported",
     1,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_UNKNOWN, RD_KAFKA_RESP_ERR_UNKNOWN},
     2,
     NULL},
    /* not one of the seven: the committed offsets of the assignment, which
     * librdkafka 2.0.2 does not fetch again after NOT_COORDINATOR (the
     * worker assigns again, consumer/worker.c) */
    {"offsetfetch.retriable",
     9,
     RETRIABLE,
     {RD_KAFKA_RESP_ERR_NOT_COORDINATOR},
     1,
     NULL},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static const char *const inputs[] = {
    "examples/01-happy-path.jsonl", "examples/04-direct-billed-credit.jsonl",
    "examples/06-failures-and-termination.jsonl"};

/* One output: its key and event id. */
typedef struct out_s {
        char key[CF_KEY_SIZE];
        cf_id_t id;
} out_t;

typedef struct run_s {
        cf_config_t cfg;
        cf_mock_t *mock;
        cf_avro_t *av;
        out_t want[MAX_OUT], got[MAX_OUT];
        size_t n_want, n_got;
        size_t n_inputs;
        int failed;
} run_t;

static void check(run_t *r, int ok, const char *what, const char *info) {
        printf("%s %s%s%s%s\n", ok ? "ok  " : "FAIL", what, info ? " (" : "",
               info ? info : "", info ? ")" : "");
        if (!ok)
                r->failed++;
}

static int add_out(out_t *v, size_t *n, const char *key, const char *id) {
        if (*n >= MAX_OUT)
                return -1;
        snprintf(v[*n].key, sizeof(v[*n].key), "%s", key);
        snprintf(v[*n].id, sizeof(v[*n].id), "%s", id);
        (*n)++;
        return 0;
}

/* Produces every line of the inputs (as `cspflow produce` does) and runs
 * them through the handlers, which gives the outputs simulate prints. */
static int produce_inputs(run_t *r) {
        cf_kproducer_t *prod = NULL;
        cf_store_t *store = cf_store_new();
        cf_event_t ev;
        cf_outbox_t out;
        cf_buf_t buf;
        char errstr[512], detail[256], key[CF_KEY_SIZE];
        uint64_t delivered = 0, failed = 0;
        int rc = 0;

        cf_event_init(&ev);
        cf_outbox_init(&out);
        cf_buf_init(&buf, CF_RECORD_MAX);
        if (!store || cf_kproducer_new(&prod, &r->cfg, r->cfg.topic_events,
                                       errstr, sizeof(errstr)) != CF_OK) {
                fprintf(stderr, "mock_faults: producer: %s\n", errstr);
                rc = -1;
        }
        for (size_t f = 0; rc == 0 && f < sizeof(inputs) / sizeof(*inputs);
             f++) {
                FILE *fp = fopen(inputs[f], "rb");
                cf_linereader_t *lr =
                    fp ? cf_linereader_new(fp, CF_LINE_MAX) : NULL;
                const char *line;
                size_t len;
                unsigned long no;
                cf_verdict_t v;

                if (!lr) {
                        fprintf(stderr, "mock_faults: cannot read %s\n",
                                inputs[f]);
                        rc = -1;
                }
                while (rc == 0 && lr &&
                       cf_linereader_next(lr, &line, &len, &no) == CF_LINE_OK) {
                        if (len == 0)
                                continue;
                        cf_buf_reset(&buf);
                        if (cf_json_decode_event(line, len, &ev, detail,
                                                 sizeof(detail)) !=
                                CF_REJ_NONE ||
                            !cf_event_key(&ev, key, sizeof(key)) ||
                            cf_avro_encode_event(r->av, &ev, &buf, detail,
                                                 sizeof(detail)) != CF_OK) {
                                fprintf(stderr, "mock_faults: %s:%lu: %s\n",
                                        inputs[f], no, detail);
                                rc = -1;
                                break;
                        }
                        if (cf_kproducer_send(prod, key, strlen(key), buf.data,
                                              buf.len, no, errstr,
                                              sizeof(errstr)) != CF_OK) {
                                fprintf(stderr, "mock_faults: %s\n", errstr);
                                rc = -1;
                                break;
                        }
                        r->n_inputs++;
                        cf_outbox_reset(&out);
                        if (!cf_event_type_is_input(ev.type) ||
                            cf_store_apply(store, NULL, &ev, &out, &v) !=
                                CF_OK) {
                                rc = -1;
                                break;
                        }
                        for (size_t i = 0; rc == 0 && i < out.n; i++)
                                rc = add_out(r->want, &r->n_want, key,
                                             out.v[i].event_id);
                }
                cf_linereader_destroy(lr);
                if (fp)
                        fclose(fp);
        }
        if (rc == 0 && (cf_kproducer_flush(prod, &delivered, &failed, errstr,
                                           sizeof(errstr)) != CF_OK ||
                        failed)) {
                fprintf(stderr, "mock_faults: not delivered: %s\n", errstr);
                rc = -1;
        }
        cf_kproducer_destroy(prod);
        cf_store_destroy(store);
        cf_buf_clear(&buf);
        cf_outbox_clear(&out);
        cf_event_clear(&ev);
        return rc;
}

/* Every record of the actions topic, partition by partition: its key and
 * ce_id header. */
static int read_actions(run_t *r) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_t *rk;
        int eofs = 0, rc = 0;
        int64_t polls = 0;

        rd_kafka_conf_set(conf, "bootstrap.servers",
                          cf_mock_bootstraps(r->mock), NULL, 0);
        rd_kafka_conf_set(conf, "group.id", "mock-faults-reader", NULL, 0);
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", NULL, 0);
        rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
        if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
                                sizeof(errstr)))) {
                rd_kafka_conf_destroy(conf);
                fprintf(stderr, "mock_faults: reader: %s\n", errstr);
                return -1;
        }
        l = rd_kafka_topic_partition_list_new(PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++)
                rd_kafka_topic_partition_list_add(l, r->cfg.topic_actions, p)
                    ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        while (eofs < PARTITIONS && polls++ < 300 && rc == 0) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                rd_kafka_headers_t *h = NULL;
                const void *id = NULL;
                size_t n = 0;
                char key[CF_KEY_SIZE], idz[CF_ID_MAX + 1];

                if (!m)
                        continue;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eofs++;
                } else if (!m->err) {
                        snprintf(key, sizeof(key), "%.*s", (int)m->key_len,
                                 m->key ? (const char *)m->key : "");
                        if (rd_kafka_message_headers(m, &h) == 0)
                                rd_kafka_header_get_last(h, "ce_id", &id, &n);
                        snprintf(idz, sizeof(idz), "%.*s", (int)n,
                                 id ? (const char *)id : "");
                        rc = add_out(r->got, &r->n_got, key, idz);
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return eofs == PARTITIONS ? rc : -1;
}

/* The ids of key in v, in order. */
static size_t of_key(const out_t *v, size_t n, const char *key,
                     const char **ids) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].key, key) == 0)
                        ids[k++] = v[i].id;
        return k;
}

/* Per key: the outputs end the topic, exactly (nothing before them unless
 * extras_ok, and then only records of the key's outputs). */
static void check_actions(run_t *r, bool extras_ok) {
        const char *w[MAX_OUT], *g[MAX_OUT];
        size_t keys = 0, bad = 0, extras = 0, foreign = 0;
        char info[512];

        for (size_t i = 0; i < r->n_got; i++) {
                const char *tmp[MAX_OUT];
                if (of_key(r->want, r->n_want, r->got[i].key, tmp) == 0)
                        foreign++;
        }
        for (size_t i = 0; i < r->n_want; i++) {
                size_t nw, ng, k;
                bool first = true;
                for (size_t j = 0; j < i; j++)
                        first = first &&
                                strcmp(r->want[j].key, r->want[i].key) != 0;
                if (!first)
                        continue;
                keys++;
                nw = of_key(r->want, r->n_want, r->want[i].key, w);
                ng = of_key(r->got, r->n_got, r->want[i].key, g);
                for (k = 0; ng >= nw && k < nw; k++)
                        if (strcmp(w[k], g[ng - nw + k]) != 0)
                                break;
                if (ng < nw || k < nw) {
                        bad++;
                        continue;
                }
                for (size_t e = 0; e < ng - nw; e++) {
                        bool known = false;
                        for (k = 0; k < nw; k++)
                                known = known || strcmp(g[e], w[k]) == 0;
                        extras++;
                        if (!known)
                                bad++;
                }
        }
        snprintf(info, sizeof(info),
                 "%zu outputs of %zu keys from the handlers, %zu records "
                 "read, %zu before them (aborted), %zu keys wrong, %zu of "
                 "other keys",
                 r->n_want, keys, r->n_got, extras, bad, foreign);
        check(r, bad == 0 && foreign == 0 && (extras_ok || extras == 0),
              extras_ok ? "per key, the handlers' outputs end the actions "
                          "topic; records before them are the key's"
                        : "per key, the actions are exactly the handlers' "
                          "outputs",
              info);
}

static int set(run_t *r, const char *key, const char *value) {
        char errstr[512];
        if (cf_config_set(&r->cfg, key, value, "mock_faults", errstr,
                          sizeof(errstr)) != CF_OK) {
                fprintf(stderr, "mock_faults: %s\n", errstr);
                return -1;
        }
        return 0;
}

static int setup(run_t *r) {
        static const char *const topics[][2] = {
            {"topic.events", "mock.events"},
            {"topic.actions", "mock.actions"},
            {"topic.audit", "mock.audit"},
            {"topic.state", "mock.state"},
            {"topic.dlq", "mock.dlq"},
            {"group", "mock-faults"},
            {"transactional.id", "mock-faults"},
            {"mode", "eos"},
            {"topics.partitions", "3"},
            {"batch.max.ms", "500"}};
        char errstr[512];

        if (cf_config_init(&r->cfg) != CF_OK ||
            cf_avro_new(&r->av, errstr, sizeof(errstr)) != CF_OK ||
            cf_mock_new(&r->mock, 1, errstr, sizeof(errstr)) != CF_OK)
                return -1;
        if (set(r, "kafka.bootstrap.servers", cf_mock_bootstraps(r->mock)))
                return -1;
        for (size_t i = 0; i < sizeof(topics) / sizeof(*topics); i++)
                if (set(r, topics[i][0], topics[i][1]))
                        return -1;
        for (size_t i = 0; i < 5; i++)
                if (cf_mock_create_topic(r->mock, topics[i][1], PARTITIONS,
                                         errstr, sizeof(errstr)) != CF_OK) {
                        fprintf(stderr, "mock_faults: %s\n", errstr);
                        return -1;
                }
        return 0;
}

static int run_case(const fcase_t *c) {
        static const char *const klass[] = {"retriable", "abortable", "fatal"};
        static volatile sig_atomic_t stop;
        run_t *r = calloc(1, sizeof(*r));
        cf_worker_opts_t wo;
        cf_worker_stats_t st;
        char errstr[1024], info[1200];
        cf_err_t err;
        size_t left;
        int failed;

        if (!r)
                return 1;
        printf("case %s: request %d, %s, %zu error(s)\n", c->name, c->api_key,
               klass[c->klass], c->n_errors);
        if (setup(r) != 0 || produce_inputs(r) != 0) {
                check(r, 0, "set-up: mock cluster and input", NULL);
                goto out;
        }
        if (cf_mock_push_errors(r->mock, c->api_key, c->n_errors, c->errors,
                                errstr, sizeof(errstr)) != CF_OK) {
                check(r, 0, "errors pushed", errstr);
                goto out;
        }
        memset(&wo, 0, sizeof(wo));
        wo.cfg = &r->cfg;
        wo.idle_exit_s = 2;
        wo.stop = &stop;
        errstr[0] = '\0';
        err = cf_worker_run(&wo, &st, errstr, sizeof(errstr));
        left = cf_mock_errors_left(r->mock, c->api_key);
        snprintf(info, sizeof(info), "%zu of %zu left", left, c->n_errors);
        check(r, left == 0, "every pushed error was used", info);
        snprintf(
            info, sizeof(info),
            "%s; consumed %llu, applied %llu, duplicates %llu, rejected "
            "%llu, transactions %llu, aborts %llu",
            err == CF_OK ? "CF_OK" : errstr, (unsigned long long)st.consumed,
            (unsigned long long)st.applied, (unsigned long long)st.duplicates,
            (unsigned long long)st.rejected,
            (unsigned long long)st.transactions, (unsigned long long)st.aborts);
        if (c->klass == FATAL) {
                check(r, err == CF_ERR_IO,
                      "the worker stops with CF_ERR_IO (cspflow run: exit 1)",
                      info);
                check(r, strstr(errstr, c->want) != NULL,
                      "its message names the error", c->want);
                goto out;
        }
        check(r, err == CF_OK, "the worker runs to its idle exit", info);
        check(r, st.consumed == r->n_inputs,
              "the committed inputs are the inputs", info);
        check(r, c->klass == ABORTABLE ? st.aborts >= 1 : st.aborts == 0,
              c->klass == ABORTABLE ? "a batch was aborted and redone"
                                    : "no batch was aborted",
              info);
        if (read_actions(r) != 0)
                check(r, 0, "the actions topic read to its end", NULL);
        else
                check_actions(r, c->klass == ABORTABLE);
out:
        failed = r->failed;
        printf("%s: %s\n", c->name, failed ? "FAILED" : "passed");
        cf_mock_destroy(r->mock);
        cf_avro_destroy(r->av);
        cf_config_clear(&r->cfg);
        free(r);
        return failed ? 1 : 0;
}

int main(int argc, char **argv) {
        if (argc == 2 && strcmp(argv[1], "--list") == 0) {
                for (size_t i = 0; i < N_CASES; i++)
                        printf("%s\n", cases[i].name);
                return 0;
        }
        if (argc >= 2 && strcmp(argv[1], "--check-list") == 0) {
                int bad = argc - 2 != (int)N_CASES;
                for (size_t i = 0; i < N_CASES; i++) {
                        int found = 0;
                        for (int a = 2; a < argc; a++)
                                found = found ||
                                        strcmp(argv[a], cases[i].name) == 0;
                        if (!found) {
                                printf("FAIL case %s is not registered\n",
                                       cases[i].name);
                                bad = 1;
                        }
                }
                printf("%s: %d names given, %zu cases\n", bad ? "FAIL" : "ok  ",
                       argc - 2, N_CASES);
                return bad;
        }
        for (size_t i = 0; argc == 2 && i < N_CASES; i++)
                if (strcmp(argv[1], cases[i].name) == 0)
                        return run_case(&cases[i]);
        fprintf(stderr,
                "usage: mock_faults CASE | --list | --check-list NAME...\n");
        return 2;
}
