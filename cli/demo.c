/* cspflow demo: the whole worker with no set-up. Starts librdkafka's
 * in-process mock cluster (or uses --bootstrap), produces every
 * examples/NAME.jsonl file, runs the worker until it is idle, then reads the
 * audit and actions topics back and prints each migration's timeline: input ->
 * status before -> after -> outputs (or the DLQ reason). */
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "common/buf.h"
#include "common/cf_time.h"
#include "common/config.h"
#include "common/linereader.h"
#include "common/log.h"
#include "common/strutil.h"
#include "consumer/tail.h"
#include "consumer/worker.h"
#include "kafka_cli.h"
#include "producer/mock.h"
#include "producer/produce.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"
#include "schemas/catalog_json.h"
#include "schemas/json_codec.h"

static const char usage_text[] =
    "usage: cspflow demo [--bootstrap HOST:PORT] [--examples DIR]\n"
    "                    [--config FILE] [--set K=V]...\n"
    "\n"
    "Runs the Kafka worker end to end with nothing to set up: starts\n"
    "librdkafka's in-process mock cluster (or uses the broker at\n"
    "--bootstrap), produces every DIR/*.jsonl (default: examples) to the\n"
    "events topic, with DIR/*.catalog.json as the offer catalog, runs the\n"
    "worker until it is idle, and prints each migration's timeline from the\n"
    "audit and actions topics. Topic and group names get a per-run suffix,\n"
    "so runs against a real broker do not see each other.\n"
    "\n"
    "The mock cluster is for demonstration: it does not honour\n"
    "read_committed, so it shows the flow, not exactly-once (the tests\n"
    "prove that against a real broker).\n"
    "\n" CF_CLI_CONFIG_USAGE "                         (without --bootstrap: "
    "the mock cluster, whatever\n"
    "                         the file or CSPFLOW_* say)\n"
    "  --examples DIR         the example files (examples)\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 ok, 1 runtime failure, 2 usage or file error.\n";

/* One output read back from the actions topic, described in one line. */
typedef struct desc_s {
        cf_id_t event_id;
        char text[320];
} desc_t;

typedef struct demo_s {
        cf_avro_t *av;
        cf_event_t ev;
        cf_buf_t buf;
        desc_t *descs;
        size_t n_descs, cap_descs;
        cf_audit_t *audits;
        size_t n_audits, cap_audits;
} demo_t;

/* "offer_id=O quantity=3 ..." from the body fields of an output. */
static void describe(const cf_event_t *ev, char *out, size_t size) {
        const cf_event_desc_t *d = cf_event_desc(ev->type);
        size_t n = 0;
        out[0] = '\0';
        for (size_t i = 0; d && i < d->n_fields && n < size; i++) {
                const cf_field_t *f = &d->fields[i];
                const void *p = cf_field_ptr(f, ev);
                char ts[CF_TIME_STR_SIZE];
                int w = 0;
                if (i < 7) /* the envelope: type, ids, time, key parts */
                        continue;
                switch (f->kind) {
                case CF_F_ID:
                case CF_F_OPT_ID:
                case CF_F_TEXT:
                        if (*(const char *)p)
                                w = snprintf(out + n, size - n, " %s=%s",
                                             f->name, (const char *)p);
                        break;
                case CF_F_INT:
                        w = snprintf(out + n, size - n, " %s=%d", f->name,
                                     (int)*(const int32_t *)p);
                        break;
                case CF_F_BOOL:
                        w = snprintf(out + n, size - n, " %s=%s", f->name,
                                     *(const bool *)p ? "true" : "false");
                        break;
                case CF_F_TIME:
                        if (cf_time_format(*(const int64_t *)p, ts, sizeof(ts)))
                                w = snprintf(out + n, size - n, " %s=%s",
                                             f->name, ts);
                        break;
                case CF_F_ENUM: {
                        int32_t e = *(const int32_t *)p;
                        if (e >= 0 && (size_t)e < f->enm->n)
                                w = snprintf(out + n, size - n, " %s=%s",
                                             f->name, f->enm->symbols[e]);
                        break;
                }
                case CF_F_SUBS:
                        w = snprintf(out + n, size - n, " %s=[%zu]", f->name,
                                     ev->n_subs);
                        break;
                default:
                        break;
                }
                if (w > 0)
                        n += (size_t)w;
        }
}

static int on_action(void *opaque, const cf_tail_record_t *r) {
        demo_t *d = opaque;
        char detail[256];
        desc_t *x;
        if (!r->value ||
            cf_avro_decode_event(d->av, r->value, r->len, &d->ev, detail,
                                 sizeof(detail)) != CF_REJ_NONE)
                return 0; /* not ours to judge here: shown as missing */
        if (d->n_descs == d->cap_descs) {
                size_t cap = d->cap_descs ? d->cap_descs * 2 : 64;
                desc_t *v = realloc(d->descs, cap * sizeof(*v));
                if (!v)
                        return -1;
                d->descs = v;
                d->cap_descs = cap;
        }
        x = &d->descs[d->n_descs++];
        cf_strlcpy(x->event_id, d->ev.event_id, sizeof(x->event_id));
        describe(&d->ev, x->text, sizeof(x->text));
        return 0;
}

static int on_audit(void *opaque, const cf_tail_record_t *r) {
        demo_t *d = opaque;
        char detail[256];
        cf_audit_t *a;
        if (d->n_audits == d->cap_audits) {
                size_t cap = d->cap_audits ? d->cap_audits * 2 : 64;
                cf_audit_t *v = realloc(d->audits, cap * sizeof(*v));
                if (!v)
                        return -1;
                d->audits = v;
                d->cap_audits = cap;
        }
        a = &d->audits[d->n_audits];
        cf_audit_init(a);
        if (!r->value ||
            cf_avro_decode_audit(d->av, r->value, r->len, a, detail,
                                 sizeof(detail)) != CF_REJ_NONE) {
                cf_audit_clear(a);
                return 0;
        }
        d->n_audits++;
        return 0;
}

static const char *find_desc(const demo_t *d, const char *event_id) {
        for (size_t i = 0; i < d->n_descs; i++)
                if (strcmp(d->descs[i].event_id, event_id) == 0)
                        return d->descs[i].text;
        return NULL;
}

/* Timeline order: by key ("" last), then by source offset. */
static int audit_cmp(const void *pa, const void *pb) {
        const cf_audit_t *a = pa, *b = pb;
        int c;
        if (!*a->key != !*b->key)
                return *a->key ? -1 : 1;
        if ((c = strcmp(a->key, b->key)) != 0)
                return c;
        if (a->source_partition != b->source_partition)
                return a->source_partition < b->source_partition ? -1 : 1;
        return a->source_offset < b->source_offset
                   ? -1
                   : a->source_offset > b->source_offset;
}

static void print_timeline(demo_t *d) {
        const char *key = NULL;
        uint64_t applied = 0, dup = 0, rej = 0, outs = 0;
        qsort(d->audits, d->n_audits, sizeof(*d->audits), audit_cmp);
        for (size_t i = 0; i < d->n_audits; i++) {
                const cf_audit_t *a = &d->audits[i];
                char ts[CF_TIME_STR_SIZE] = "-";
                if (!key || strcmp(key, a->key) != 0) {
                        key = a->key;
                        printf("\n%s\n",
                               *key ? key : "(records without a key)");
                }
                if (a->has_occurred_at)
                        cf_time_format(a->occurred_at, ts, sizeof(ts));
                printf("  %-24s %-26s %-10s ", ts,
                       *a->event_type ? a->event_type : "?",
                       *a->event_id ? a->event_id : "-");
                if (a->verdict == CF_VERDICT_APPLIED) {
                        applied++;
                        printf("%s -> %s\n", a->status_before, a->status_after);
                } else if (a->verdict == CF_VERDICT_DUPLICATE) {
                        dup++;
                        printf("duplicate, skipped (rule 12)\n");
                } else {
                        rej++;
                        printf("to the DLQ: %s: %s\n", a->reason, a->detail);
                }
                for (size_t j = 0; j < a->n_outputs; j++) {
                        const char *t = find_desc(d, a->output_ids[j]);
                        outs++;
                        printf("  %-24s   => %s%s\n", "", a->output_types[j],
                               t ? t : " (not found on the actions topic)");
                }
        }
        printf("\n%" PRIu64 " inputs: %" PRIu64 " applied, %" PRIu64
               " duplicates skipped, %" PRIu64 " to the DLQ; %" PRIu64
               " outputs (%zu read back from the actions topic)\n",
               applied + dup + rej, applied, dup, rej, outs, d->n_descs);
}

/* Produces every line of every DIR/NAME.jsonl; undecodable lines go as raw
 * bytes with no key (the worker sends them to the DLQ). */
static int produce_examples(demo_t *d, const cf_config_t *cfg, glob_t *g,
                            uint64_t *sent) {
        cf_kproducer_t *prod = NULL;
        char errstr[512], detail[256], key[CF_KEY_SIZE];
        uint64_t delivered = 0, failed = 0;
        int rc = 0;
        if (cf_kproducer_new(&prod, cfg, cfg->topic_events, errstr,
                             sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                return -1;
        }
        for (size_t i = 0; rc == 0 && i < g->gl_pathc; i++) {
                FILE *fp = fopen(g->gl_pathv[i], "rb");
                cf_linereader_t *lr =
                    fp ? cf_linereader_new(fp, CF_LINE_MAX) : NULL;
                const char *line;
                size_t len;
                unsigned long no;
                if (!lr) {
                        cf_log(CF_LOG_ERROR, "demo", "cannot read %s",
                               g->gl_pathv[i]);
                        rc = -1;
                }
                while (lr && rc == 0 &&
                       cf_linereader_next(lr, &line, &len, &no) == CF_LINE_OK) {
                        const void *v = line;
                        size_t vlen = len;
                        const char *k = NULL;
                        if (len == 0)
                                continue;
                        cf_buf_reset(&d->buf);
                        if (cf_json_decode_event(line, len, &d->ev, detail,
                                                 sizeof(detail)) ==
                                CF_REJ_NONE &&
                            cf_event_key(&d->ev, key, sizeof(key)) &&
                            cf_avro_encode_event(d->av, &d->ev, &d->buf, detail,
                                                 sizeof(detail)) == CF_OK) {
                                v = d->buf.data;
                                vlen = d->buf.len;
                                k = key;
                        }
                        /* tag: the record's number among those sent */
                        if (cf_kproducer_send(prod, k, k ? strlen(k) : 0, v,
                                              vlen, *sent + 1, errstr,
                                              sizeof(errstr)) != CF_OK) {
                                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                                rc = -1;
                        }
                        (*sent)++;
                }
                cf_linereader_destroy(lr);
                if (fp)
                        fclose(fp);
        }
        if (rc == 0 && (cf_kproducer_flush(prod, &delivered, &failed, errstr,
                                           sizeof(errstr)) != CF_OK ||
                        failed)) {
                cf_log(CF_LOG_ERROR, "demo", "%" PRIu64 " not delivered: %s",
                       failed, errstr);
                rc = -1;
        }
        cf_kproducer_destroy(prod);
        return rc;
}

/* Gives every topic and the group a per-run suffix. */
static int suffix_names(cf_config_t *cfg, const char *suffix) {
        char **names[] = {&cfg->topic_events, &cfg->topic_actions,
                          &cfg->topic_audit,  &cfg->topic_state,
                          &cfg->topic_dlq,    &cfg->group};
        char buf[512];
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(buf, sizeof(buf), "%s.%s", *names[i], suffix);
                if (cf_config_set_str(names[i], buf) != CF_OK)
                        return -1;
        }
        return 0;
}

int cf_cmd_demo(int argc, char **argv) {
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"examples", required_argument, NULL, 'e'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        const char *dir = "examples";
        cf_cli_settings_t settings = {0};
        bool bootstrap = false;
        char pattern[1024], errstr[512], suffix[64];
        cf_mock_t *mock = NULL;
        cf_catalog_t *catalog = NULL;
        cf_config_t cfg;
        cf_worker_opts_t wo;
        cf_worker_stats_t ws;
        cf_tail_opts_t to;
        glob_t g = {0};
        demo_t d;
        uint64_t sent = 0;
        int c, status;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "demo", c, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                bootstrap = bootstrap || c == CF_OPT_BOOTSTRAP;
                if (taken)
                        continue;
                switch (c) {
                case 'e':
                        dir = optarg;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (optind != argc) {
                fputs(usage_text, stderr);
                return CF_EXIT_USAGE;
        }
        memset(&d, 0, sizeof(d));
        cf_event_init(&d.ev);
        cf_buf_init(&d.buf, CF_RECORD_MAX);
        if (!bootstrap) {
                if (cf_mock_new(&mock, 1, errstr, sizeof(errstr)) != CF_OK) {
                        cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                        return CF_EXIT_FAILURE;
                }
                cf_log(CF_LOG_INFO, "demo", "mock cluster at %s",
                       cf_mock_bootstraps(mock));
                /* after every other flag, so it wins */
                if (cf_cli_config_opt(&settings, "demo", CF_OPT_BOOTSTRAP,
                                      cf_mock_bootstraps(mock)) < 0) {
                        cf_mock_destroy(mock);
                        return CF_EXIT_USAGE;
                }
        }
        status = cf_cli_kafka_config(&cfg, "demo", &settings, true);
        if (status != CF_EXIT_OK) {
                cf_mock_destroy(mock);
                return status;
        }
        status = CF_EXIT_FAILURE;
        snprintf(suffix, sizeof(suffix), "demo-%ld-%ld", (long)time(NULL),
                 (long)getpid());
        if (suffix_names(&cfg, suffix) != 0)
                goto out;
        cfg.partitions = 3;
        cfg.batch_max_ms = 50;
        if (mock) {
                const char *t[] = {cfg.topic_events, cfg.topic_actions,
                                   cfg.topic_audit, cfg.topic_state,
                                   cfg.topic_dlq};
                for (size_t i = 0; i < 5; i++)
                        if (cf_mock_create_topic(mock, t[i], cfg.partitions,
                                                 errstr,
                                                 sizeof(errstr)) != CF_OK) {
                                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                                goto out;
                        }
        }
        if (cf_avro_new(&d.av, errstr, sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                goto out;
        }
        /* the offer catalogs of the examples, merged */
        if (!(catalog = cf_catalog_new()))
                goto out;
        snprintf(pattern, sizeof(pattern), "%s/*.catalog.json", dir);
        if (glob(pattern, 0, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++)
                        if (cf_catalog_load_json_into(catalog, g.gl_pathv[i],
                                                      errstr, sizeof(errstr)) !=
                            CF_OK) {
                                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                                status = CF_EXIT_USAGE;
                                goto out;
                        }
        globfree(&g);
        memset(&g, 0, sizeof(g));
        snprintf(pattern, sizeof(pattern), "%s/*.jsonl", dir);
        if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
                cf_log(CF_LOG_ERROR, "demo", "no %s", pattern);
                status = CF_EXIT_USAGE;
                goto out;
        }
        if (produce_examples(&d, &cfg, &g, &sent) != 0)
                goto out;
        cf_log(CF_LOG_INFO, "demo",
               "produced %" PRIu64 " records from %zu "
               "files to %s; running the worker",
               sent, g.gl_pathc, cfg.topic_events);

        volatile sig_atomic_t *stop = cf_cli_stop_on_signals();
        memset(&wo, 0, sizeof(wo));
        wo.cfg = &cfg;
        wo.catalog = catalog;
        wo.idle_exit_s = 3;
        wo.stop = stop;
        if (cf_worker_run(&wo, &ws, errstr, sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "demo", "worker: %s", errstr);
                goto out;
        }
        cf_log(CF_LOG_INFO, "demo",
               "worker idle after %" PRIu64 " inputs in %" PRIu64
               " transactions; reading back",
               ws.consumed, ws.transactions);

        memset(&to, 0, sizeof(to));
        to.cfg = &cfg;
        to.from_beginning = true;
        to.idle_exit_s = 2;
        to.stop = stop;
        to.opaque = &d;
        to.topic = cfg.topic_actions;
        to.fn = on_action;
        if (cf_tail_run(&to, errstr, sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                goto out;
        }
        to.topic = cfg.topic_audit;
        to.fn = on_audit;
        if (cf_tail_run(&to, errstr, sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "demo", "%s", errstr);
                goto out;
        }
        print_timeline(&d);
        status = fflush(stdout) == 0 ? CF_EXIT_OK : CF_EXIT_FAILURE;
out:
        globfree(&g);
        for (size_t i = 0; i < d.n_audits; i++)
                cf_audit_clear(&d.audits[i]);
        free(d.audits);
        free(d.descs);
        cf_buf_clear(&d.buf);
        cf_event_clear(&d.ev);
        cf_avro_destroy(d.av);
        cf_catalog_destroy(catalog);
        cf_config_clear(&cfg);
        cf_mock_destroy(mock);
        return status;
}
