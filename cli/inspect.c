/* cspflow inspect KEY: one migration's timeline from the audit topic (one
 * audit record per input the worker handled: schemas/audit.h), read with
 * the reader of `tail` (consumer/tail.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/cf_time.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/strutil.h"
#include "consumer/tail.h"
#include "kafka_cli.h"
#include "schemas/audit.h"
#include "registry/serde.h"
#include "schemas/avro_codec.h"

#define EXIT_INSPECT_FAILED 3
/* Most audit records of one key kept (the rules cap a key's inputs well
 * below; duplicates and refusals come on top). */
#define INSPECT_RECORDS_MAX 1000000

static const char usage_text[] =
    "usage: cspflow inspect KEY [--bootstrap HOST:PORT] [--config FILE]\n"
    "                       [--set K=V]... [--json]\n"
    "\n"
    "Prints the timeline of the migration KEY (<partner_id>/"
    "<customer_tenant_id>)\n"
    "from the audit topic (topic.audit), read to its current end: every\n"
    "input the worker handled for that key, in the order it handled them,\n"
    "one line each: when it occurred, where it was read (partition@offset),\n"
    "its type and event id, the verdict (applied, duplicate, rejected), the\n"
    "migration's status before -> after (\"-\" for an input that did not\n"
    "decode: the worker could not look its key up), the rule that decided,\n"
    "and the outputs it caused (or the reason it went to the DLQ).\n"
    "\n" CF_CLI_CONFIG_USAGE
    "  --json                 the audit records themselves, one JSON line\n"
    "                         each (as `cspflow tail` prints them)\n"
    "  -h, --help             this help\n"
    "\n"
    "A record the worker wrote twice (at-least-once, after a crash) is shown\n"
    "once. Progress goes to stderr: a bar on a terminal, log lines\n"
    "otherwise.\n"
    "\n"
    "Exit status: 0 timeline printed, 1 no audit record for KEY, 2 usage or\n"
    "configuration error, 3 the audit topic could not be read.\n";

typedef struct ictx_s {
        const char *key;
        cf_avro_t *av;
        cf_audit_t tmp;
        cf_audit_t *recs; /* the key's records, in topic order */
        size_t n, cap;
        size_t repeats; /* records seen twice (same source offset) */
        size_t undecodable;
        bool nomem;
        cf_serde_t *serde;
        char why[512]; /* why on_record stopped the read */
} ictx_t;

/* Copies src into a fresh record (its own output arrays). */
static bool copy_audit(cf_audit_t *dst, const cf_audit_t *src) {
        cf_audit_init(dst);
        *dst = *src;
        dst->output_ids = NULL;
        dst->output_types = NULL;
        dst->n_outputs = dst->outputs_cap = 0;
        for (size_t i = 0; i < src->n_outputs; i++)
                if (!cf_audit_add_output(dst, src->output_ids[i],
                                         src->output_types[i]))
                        return false;
        return true;
}

static int on_record(void *opaque, const cf_tail_record_t *r) {
        ictx_t *c = opaque;
        char detail[512];
        cf_reject_t rj = CF_REJ_NONE;

        if (cf_serde_decode_audit(c->serde, r->value, r->len, &c->tmp, &rj,
                                  detail, sizeof(detail)) != CF_OK) {
                /* the registry could not be asked: a gap in the timeline
                 * would look like a complete one */
                cf_strlcpy(c->why, detail, sizeof(c->why));
                return -1;
        }
        if (rj != CF_REJ_NONE) {
                c->undecodable++;
                return 0;
        }
        if (strcmp(c->tmp.key, c->key) != 0)
                return 0;
        for (size_t i = c->n; i-- > 0;)
                if (c->recs[i].source_partition == c->tmp.source_partition &&
                    c->recs[i].source_offset == c->tmp.source_offset) {
                        c->repeats++;
                        return 0;
                }
        if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 32;
                cf_audit_t *v;
                if (cap > INSPECT_RECORDS_MAX ||
                    !(v = realloc(c->recs, cap * sizeof(*v)))) {
                        c->nomem = true;
                        return -1;
                }
                c->recs = v;
                c->cap = cap;
        }
        if (!copy_audit(&c->recs[c->n], &c->tmp)) {
                cf_audit_clear(&c->recs[c->n]);
                c->nomem = true;
                return -1;
        }
        c->n++;
        return 0;
}

static const char *verdict_name(cf_verdict_kind_t v) {
        return v == CF_VERDICT_APPLIED     ? "applied"
               : v == CF_VERDICT_DUPLICATE ? "duplicate"
                                           : "rejected";
}

/* The cells of one record's line. */
typedef struct row_s {
        char time[CF_TIME_STR_SIZE];
        char at[40];
        char status[2 * CF_ID_MAX + 8];
        char rule[16];
} row_t;

static void cells(const cf_audit_t *a, row_t *w) {
        if (!a->has_occurred_at ||
            !cf_time_format(a->occurred_at, w->time, sizeof(w->time)))
                cf_strlcpy(w->time, "-", sizeof(w->time));
        snprintf(w->at, sizeof(w->at), "%d@%lld", (int)a->source_partition,
                 (long long)a->source_offset);
        /* an input that did not decode names no key the worker looked up:
         * its record says none -> none, which is no status of the key */
        if (!a->event_type[0])
                snprintf(w->status, sizeof(w->status), "-");
        else
                snprintf(w->status, sizeof(w->status), "%s -> %s",
                         a->status_before, a->status_after);
        snprintf(w->rule, sizeof(w->rule), "%d", (int)a->rule);
}

static int width(int cur, const char *s) {
        int n = (int)strlen(s);
        return n > cur ? n : cur;
}

static void print_table(const ictx_t *c, const char *topic) {
        int wt = 4, wa = 2, wi = 5, we = 8, wv = 7, ws = 6;
        row_t w;

        for (size_t i = 0; i < c->n; i++) {
                const cf_audit_t *a = &c->recs[i];
                cells(a, &w);
                wt = width(wt, w.time);
                wa = width(wa, w.at);
                wi = width(wi, a->event_type[0] ? a->event_type : "-");
                we = width(we, a->event_id[0] ? a->event_id : "-");
                wv = width(wv, verdict_name(a->verdict));
                ws = width(ws, w.status);
        }
        printf("migration %s: %zu input(s), from %s\n\n", c->key, c->n, topic);
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %4s  %s\n", wt, "TIME", wa,
               "AT", wi, "INPUT", we, "EVENT ID", wv, "VERDICT", ws, "STATUS",
               "RULE", "OUTPUTS");
        for (size_t i = 0; i < c->n; i++) {
                const cf_audit_t *a = &c->recs[i];
                cells(a, &w);
                printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %4s  ", wt, w.time,
                       wa, w.at, wi, a->event_type[0] ? a->event_type : "-", we,
                       a->event_id[0] ? a->event_id : "-", wv,
                       verdict_name(a->verdict), ws, w.status, w.rule);
                if (a->verdict == CF_VERDICT_REJECTED)
                        printf("DLQ %s: %s", a->reason, a->detail);
                else if (a->n_outputs == 0)
                        printf("-");
                for (size_t k = 0; k < a->n_outputs; k++)
                        printf("%s%s", k ? ", " : "", a->output_types[k]);
                printf("\n");
        }
        if (c->repeats)
                printf("\n(%zu record(s) written twice, shown once)\n",
                       c->repeats);
}

static int print_json(const ictx_t *c) {
        for (size_t i = 0; i < c->n; i++) {
                char *s = cf_audit_json_encode(&c->recs[i]);
                if (!s)
                        return -1;
                puts(s);
                free(s);
        }
        return 0;
}

int cf_cmd_inspect(int argc, char **argv) {
        static const struct option opts[] = {CF_CLI_CONFIG_OPTIONS,
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        cf_cli_settings_t settings = {0};
        char errstr[1024];
        bool json = false;
        cf_config_t cfg;
        cf_tail_opts_t to;
        ictx_t c;
        int ch, status;
        cf_err_t err;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "inspect", ch, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                if (taken)
                        continue;
                switch (ch) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (argc - optind != 1 || !strchr(argv[optind], '/') ||
            strlen(argv[optind]) > CF_AUDIT_KEY_MAX) {
                fprintf(stderr,
                        "cspflow inspect: give one KEY, "
                        "<partner_id>/<customer_tenant_id>\n\n%s",
                        usage_text);
                return CF_EXIT_USAGE;
        }
        status = cf_cli_kafka_config(&cfg, "inspect", &settings, true);
        if (status != CF_EXIT_OK)
                return status;
        memset(&c, 0, sizeof(c));
        c.key = argv[optind];
        cf_audit_init(&c.tmp);
        if (cf_avro_new(&c.av, errstr, sizeof(errstr)) != CF_OK ||
            cf_serde_new(&cfg, c.av, &c.serde, errstr, sizeof(errstr)) !=
                CF_OK) {
                cf_log(CF_LOG_ERROR, "inspect", "%s", errstr);
                status = EXIT_INSPECT_FAILED;
                goto out;
        }
        volatile sig_atomic_t *stop = cf_cli_stop_on_signals();

        memset(&to, 0, sizeof(to));
        to.cfg = &cfg;
        to.topic = cfg.topic_audit;
        to.from_beginning = true;
        to.stop_at_end = true;
        to.stop = stop;
        to.fn = on_record;
        to.opaque = &c;
        to.progress = cf_progress_new("inspect", "audit", NULL);
        err = cf_tail_run(&to, errstr, sizeof(errstr));
        cf_progress_destroy(to.progress);
        if (c.why[0])
                snprintf(errstr, sizeof(errstr), "%s", c.why);
        else if (c.nomem)
                snprintf(errstr, sizeof(errstr),
                         "out of memory (or over %d records for the key)",
                         INSPECT_RECORDS_MAX);
        if (err == CF_OK && *stop) {
                err = CF_ERR_IO;
                snprintf(errstr, sizeof(errstr), "stopped");
        }
        if (err != CF_OK) {
                cf_log(CF_LOG_ERROR, "inspect", "%s", errstr);
                status =
                    err == CF_ERR_USAGE ? CF_EXIT_USAGE : EXIT_INSPECT_FAILED;
                goto out;
        }
        if (c.undecodable)
                cf_log(CF_LOG_WARN, "inspect",
                       "%zu record(s) of %s are not audit records: skipped",
                       c.undecodable, cfg.topic_audit);
        if (c.n == 0) {
                cf_log(CF_LOG_ERROR, "inspect",
                       "no audit record for key %s in %s (%llu record(s) "
                       "read)",
                       c.key, cfg.topic_audit, (unsigned long long)to.records);
                status = CF_EXIT_FAILURE;
                goto out;
        }
        if (json ? print_json(&c) != 0 : (print_table(&c, cfg.topic_audit), 0))
                status = EXIT_INSPECT_FAILED;
        if (fflush(stdout) != 0)
                status = EXIT_INSPECT_FAILED;
out:
        for (size_t i = 0; i < c.n; i++)
                cf_audit_clear(&c.recs[i]);
        free(c.recs);
        cf_audit_clear(&c.tmp);
        cf_serde_destroy(c.serde);
        cf_avro_destroy(c.av);
        cf_config_clear(&cfg);
        return status;
}
