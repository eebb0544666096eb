/* cspflow tail: a topic's committed records as the JSON lines `simulate`
 * prints (consumer/tail.h). What a record is comes from the record itself:
 * a DLQ record by its dlq_reason header, an Avro record by its framing and
 * schema: single-object by fingerprint (event, migration state, audit
 * record), Confluent by its registry id (registry/serde.h). */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/log.h"
#include "common/strutil.h"
#include "consumer/tail.h"
#include "kafka_cli.h"
#include "registry/serde.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"
#include "schemas/framing.h"
#include "schemas/json_codec.h"
#include "schemas/state_json.h"

static const char usage_text[] =
    "usage: cspflow tail --bootstrap HOST:PORT [--topic T] [--config FILE]\n"
    "                    [--set K=V]... [--from-beginning]\n"
    "                    [--idle-exit SECONDS]\n"
    "\n"
    "Prints a topic's committed records (read_committed) as JSON lines:\n"
    "events as `simulate` prints them, states as its migration-state lines,\n"
    "audit records as {\"type\":\"audit-record\",...}, DLQ records as\n"
    "{\"type\":\"event-rejected\",\"causation_id\":...,\"reason\":\"<code>: "
    "<detail>\",\n"
    "\"source_partition\":N,\"source_offset\":N}. Records nothing decodes "
    "print\n"
    "as {\"type\":\"undecodable-record\",...}. No consumer group is joined.\n"
    "\n"
    "  --topic T              topic (default: the actions "
    "topic)\n" CF_CLI_CONFIG_USAGE
    "  --from-beginning       partition 0 from its start to its end as of\n"
    "                         now, then partition 1, ... (else: from the end)\n"
    "  --idle-exit SECONDS    with --from-beginning: exit 0 after the last\n"
    "                         partition; else exit 0 once that long passes\n"
    "                         without a record\n"
    "  -h, --help             this help\n"
    "\n"
    "Without --idle-exit it follows the topic until SIGINT/SIGTERM.\n"
    "Exit status: 0 ok, 1 Kafka error, 2 usage or configuration error (or a\n"
    "topic that does not exist).\n";

typedef struct tprint_s {
        cf_avro_t *av;
        cf_serde_t *serde; /* both framings; the registry when configured */
        cf_event_t ev;
        cf_audit_t audit;
        bool follow; /* flush every line */
} tprint_t;

static int put_line(tprint_t *t, char *json) {
        if (!json)
                return -1;
        fputs(json, stdout);
        fputc('\n', stdout);
        free(json);
        if (t->follow)
                fflush(stdout);
        return 0;
}

/* A header's value as a C string of printable ASCII (other bytes become
 * '?'; empty when absent). */
static void header(const cf_tail_record_t *r, const char *name, char *buf,
                   size_t size) {
        const void *v = NULL;
        size_t n = 0;
        buf[0] = '\0';
        if (cf_tail_header(r, name, &v, &n) && v) {
                const unsigned char *u = v;
                if (n >= size)
                        n = size - 1;
                for (size_t i = 0; i < n; i++)
                        buf[i] = u[i] >= 0x20 && u[i] < 0x7f ? (char)u[i] : '?';
                buf[n] = '\0';
        }
}

static char *dlq_json(tprint_t *t, const cf_tail_record_t *r) {
        char code[64], detail[1024], part[32], off[32], reason[1200], why[256];
        long p = -1, o = -1;
        json_t *obj = json_object();
        char *s = NULL;
        cf_reject_t rj = CF_REJ_NONE;
        bool decoded;

        header(r, "dlq_reason", code, sizeof(code));
        header(r, "dlq_detail", detail, sizeof(detail));
        header(r, "dlq_source_partition", part, sizeof(part));
        header(r, "dlq_source_offset", off, sizeof(off));
        (void)cf_parse_long(part, 0, INT32_MAX, &p);
        (void)cf_parse_long(off, 0, INT64_MAX, &o);
        snprintf(reason, sizeof(reason), "%s: %s", code, detail);
        decoded = cf_serde_decode_event(t->serde, r->value, r->len, &t->ev, &rj,
                                        why, sizeof(why)) == CF_OK &&
                  rj == CF_REJ_NONE;
        if (obj &&
            !json_object_set_new(obj, "type", json_string("event-rejected")) &&
            !json_object_set_new(obj, "causation_id",
                                 decoded ? json_string(t->ev.event_id)
                                         : json_null()) &&
            !json_object_set_new(obj, "reason", json_string(reason)) &&
            !json_object_set_new(obj, "source_partition", json_integer(p)) &&
            !json_object_set_new(obj, "source_offset", json_integer(o)))
                s = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        return s;
}

static char *undecodable_json(const cf_tail_record_t *r, cf_reject_t code,
                              const char *detail) {
        char reason[512];
        json_t *obj = json_object();
        char *s = NULL;
        snprintf(reason, sizeof(reason), "%s: %s", cf_reject_name(code),
                 detail);
        if (obj &&
            !json_object_set_new(obj, "type",
                                 json_string("undecodable-record")) &&
            !json_object_set_new(obj, "partition",
                                 json_integer(r->partition)) &&
            !json_object_set_new(obj, "offset", json_integer(r->offset)) &&
            !json_object_set_new(obj, "reason", json_string(reason)))
                s = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        return s;
}

/* The registry could not be asked: stop rather than print a record as
 * undecodable that is not. */
static int registry_down(const char *detail) {
        cf_log(CF_LOG_ERROR, "tail", "%s", detail);
        return -1;
}

static int on_record(void *opaque, const cf_tail_record_t *r) {
        tprint_t *t = opaque;
        char detail[512];
        const uint8_t *body = NULL;
        size_t body_len = 0;
        uint64_t fp = 0;
        cf_reject_t rj;

        if (cf_tail_header(r, "dlq_reason", NULL, NULL))
                return put_line(t, dlq_json(t, r));
        if (cf_framing_sniff(r->value, r->len) == CF_FRAMING_CONFLUENT) {
                if (cf_serde_decode_audit(t->serde, r->value, r->len, &t->audit,
                                          &rj, detail, sizeof(detail)) != CF_OK)
                        return registry_down(detail);
                if (rj == CF_REJ_NONE)
                        return put_line(t, cf_audit_json_encode(&t->audit));
                goto event;
        }
        rj = cf_framing_parse(r->value, r->len, &fp, &body, &body_len, detail,
                              sizeof(detail));
        if (rj != CF_REJ_NONE)
                return put_line(t, undecodable_json(r, rj, detail));
        if (fp == cf_avro_state_fingerprint(t->av)) {
                cf_migration_t *m = NULL;
                char *s;
                rj = cf_avro_decode_state(t->av, r->value, r->len, &m, detail,
                                          sizeof(detail));
                if (rj != CF_REJ_NONE)
                        return put_line(t, undecodable_json(r, rj, detail));
                s = cf_state_json_encode(m);
                cf_migration_destroy(m);
                return put_line(t, s);
        }
        if (fp == cf_avro_audit_fingerprint(t->av)) {
                rj = cf_avro_decode_audit(t->av, r->value, r->len, &t->audit,
                                          detail, sizeof(detail));
                if (rj != CF_REJ_NONE)
                        return put_line(t, undecodable_json(r, rj, detail));
                return put_line(t, cf_audit_json_encode(&t->audit));
        }
event:
        if (cf_serde_decode_event(t->serde, r->value, r->len, &t->ev, &rj,
                                  detail, sizeof(detail)) != CF_OK)
                return registry_down(detail);
        if (rj != CF_REJ_NONE)
                return put_line(t, undecodable_json(r, rj, detail));
        return put_line(t, cf_json_encode_event(&t->ev));
}

int cf_cmd_tail(int argc, char **argv) {
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"topic", required_argument, NULL, 't'},
            {"from-beginning", no_argument, NULL, 'B'},
            {"idle-exit", required_argument, NULL, 'i'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        const char *topic = NULL;
        cf_cli_settings_t settings = {0};
        bool from_beginning = false;
        long idle = 0;
        cf_config_t cfg;
        cf_tail_opts_t to;
        tprint_t t;
        char errstr[1024];
        int c, status;
        cf_err_t err;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "tail", c, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                if (taken)
                        continue;
                switch (c) {
                case 't':
                        topic = optarg;
                        break;
                case 'B':
                        from_beginning = true;
                        break;
                case 'i':
                        if (cf_cli_idle_seconds("tail", optarg, &idle) !=
                            CF_EXIT_OK)
                                return CF_EXIT_USAGE;
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
                fprintf(stderr, "cspflow tail: unexpected argument '%s'\n\n%s",
                        argv[optind], usage_text);
                return CF_EXIT_USAGE;
        }
        if (topic && !*topic) {
                fprintf(stderr, "cspflow tail: --topic: empty\n");
                return CF_EXIT_USAGE;
        }
        status = cf_cli_kafka_config(&cfg, "tail", &settings, true);
        if (status != CF_EXIT_OK)
                return status;
        memset(&t, 0, sizeof(t));
        cf_event_init(&t.ev);
        cf_audit_init(&t.audit);
        t.follow = !(from_beginning && idle > 0);
        if ((err = cf_avro_new(&t.av, errstr, sizeof(errstr))) != CF_OK ||
            (err = cf_serde_new(&cfg, t.av, &t.serde, errstr,
                                sizeof(errstr))) != CF_OK) {
                cf_log(CF_LOG_ERROR, "tail", "%s", errstr);
                status = err == CF_ERR_USAGE ? CF_EXIT_USAGE : CF_EXIT_FAILURE;
                goto out;
        }
        volatile sig_atomic_t *stop = cf_cli_stop_on_signals();

        memset(&to, 0, sizeof(to));
        to.cfg = &cfg;
        to.topic = topic ? topic : cfg.topic_actions;
        to.from_beginning = from_beginning;
        to.idle_exit_s = (int)idle;
        to.stop = stop;
        to.fn = on_record;
        to.opaque = &t;
        err = cf_tail_run(&to, errstr, sizeof(errstr));
        if (fflush(stdout) != 0 && err == CF_OK) {
                snprintf(errstr, sizeof(errstr), "cannot write the output");
                err = CF_ERR_IO;
        }
        if (err != CF_OK) {
                cf_log(CF_LOG_ERROR, "tail", "%s", errstr);
                status = err == CF_ERR_USAGE ? CF_EXIT_USAGE : CF_EXIT_FAILURE;
        }
out:
        cf_serde_destroy(t.serde);
        cf_avro_destroy(t.av);
        cf_audit_clear(&t.audit);
        cf_event_clear(&t.ev);
        cf_config_clear(&cfg);
        return status;
}
