/* cspflow simulate: the rules without Kafka (../shared/spec/domain.md, last
 * section). JSON lines in, one JSON line per output event out, through
 * exactly the handlers the worker runs (handlers/store.h). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/limits.h"
#include "common/linereader.h"
#include "handlers/store.h"
#include "schemas/catalog_json.h"
#include "schemas/json_codec.h"
#include "schemas/state_json.h"

static const char usage_text[] =
    "usage: cspflow simulate [--catalog FILE] [--state] [FILE]\n"
    "\n"
    "Reads input events as JSON lines from FILE (or standard input), runs\n"
    "them through the migration rules, and writes one JSON line per emitted\n"
    "event to standard output. An input that the worker would send to the\n"
    "DLQ is written as {\"type\":\"event-rejected\",...} with its reason.\n"
    "\n"
    "  --catalog FILE  offer catalog: discontinued offers and equivalents\n"
    "  --state         end with one migration-state line per migration\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 when every line was read (rejections included), 1 on a\n"
    "fatal error (out of memory), 2 on a usage or file error.\n";

typedef struct sim_s {
        cf_store_t *store;
        cf_catalog_t *catalog;
        cf_event_t ev;
        cf_outbox_t out;
        FILE *os;
} sim_t;

/* {"type":"event-rejected","causation_id":...,"reason":"<code>: line N: .."} */
static int print_rejected(sim_t *s, const char *causation, cf_reject_t code,
                          unsigned long lineno, const char *detail) {
        char reason[CF_DETAIL_SIZE + 64];
        json_t *o = json_object();
        char *line = NULL;
        int rc = -1;
        snprintf(reason, sizeof(reason), "%s: line %lu: %s",
                 cf_reject_name(code), lineno, detail);
        if (o &&
            !json_object_set_new(o, "type", json_string("event-rejected")) &&
            !json_object_set_new(o, "causation_id",
                                 causation && *causation
                                     ? json_string(causation)
                                     : json_null()) &&
            !json_object_set_new(o, "reason", json_string(reason)) &&
            (line = json_dumps(o, JSON_COMPACT))) {
                fputs(line, s->os);
                fputc('\n', s->os);
                rc = 0;
        }
        free(line);
        json_decref(o);
        return rc;
}

/* Handles one line; returns 0, or -1 on a fatal error. */
static int sim_line(sim_t *s, const char *text, size_t len,
                    unsigned long lineno) {
        char detail[CF_DETAIL_SIZE];
        cf_reject_t r;
        cf_verdict_t v;

        r = cf_json_decode_event(text, len, &s->ev, detail, sizeof(detail));
        if (r == CF_REJ_NONE && !cf_event_type_is_input(s->ev.type)) {
                r = CF_REJ_NOT_AN_INPUT;
                snprintf(detail, sizeof(detail),
                         "type: \"%s\" is an output event, not an input",
                         cf_event_type_name(s->ev.type));
        }
        if (r != CF_REJ_NONE)
                return print_rejected(s, s->ev.event_id, r, lineno, detail);

        cf_outbox_reset(&s->out);
        if (cf_store_apply(s->store, s->catalog, &s->ev, &s->out, &v) != CF_OK)
                return -1;
        if (v.kind == CF_VERDICT_REJECTED)
                return print_rejected(s, s->ev.event_id, v.reason, lineno,
                                      v.detail);
        for (size_t i = 0; i < s->out.n; i++) {
                char *json = cf_json_encode_event(&s->out.v[i]);
                if (!json)
                        return -1;
                fputs(json, s->os);
                fputc('\n', s->os);
                free(json);
        }
        return 0;
}

static bool blank(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t')
                        return false;
        return true;
}

int cf_cmd_simulate(int argc, char **argv) {
        static const struct option opts[] = {
            {"catalog", required_argument, NULL, 'c'},
            {"state", no_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        const char *catalog_path = NULL, *path = NULL;
        bool want_state = false;
        char errstr[512];
        sim_t s;
        FILE *in = stdin;
        cf_linereader_t *lr = NULL;
        int c, status = CF_EXIT_OK;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        catalog_path = optarg;
                        break;
                case 's':
                        want_state = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (argc - optind > 1) {
                fputs(usage_text, stderr);
                return CF_EXIT_USAGE;
        }
        if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
                path = argv[optind];

        memset(&s, 0, sizeof(s));
        s.os = stdout;
        cf_event_init(&s.ev);
        cf_outbox_init(&s.out);
        if (catalog_path &&
            cf_catalog_load_json(catalog_path, &s.catalog, errstr,
                                 sizeof(errstr)) != CF_OK) {
                fprintf(stderr, "cspflow simulate: %s\n", errstr);
                status = CF_EXIT_USAGE;
                goto out;
        }
        if (path && !(in = fopen(path, "rb"))) {
                fprintf(stderr, "cspflow simulate: %s: %s\n", path,
                        strerror(errno));
                status = CF_EXIT_USAGE;
                goto out;
        }
        if (!(s.store = cf_store_new()) ||
            !(lr = cf_linereader_new(in, CF_LINE_MAX))) {
                fprintf(stderr, "cspflow simulate: out of memory\n");
                status = CF_EXIT_FAILURE;
                goto out;
        }
        for (;;) {
                const char *line = NULL;
                size_t len = 0;
                unsigned long lineno = 0;
                cf_line_t lt = cf_linereader_next(lr, &line, &len, &lineno);
                int rc = 0;
                if (lt == CF_LINE_EOF)
                        break;
                if (lt == CF_LINE_ERROR) {
                        fprintf(stderr, "cspflow simulate: read error: %s\n",
                                strerror(errno));
                        status = CF_EXIT_USAGE;
                        goto out;
                }
                if (lt == CF_LINE_TOO_LONG) {
                        char detail[128];
                        snprintf(detail, sizeof(detail),
                                 "line of %zu bytes is over the %d-byte cap",
                                 len, CF_LINE_MAX);
                        rc = print_rejected(&s, NULL, CF_REJ_OVER_LIMIT, lineno,
                                            detail);
                } else if (!blank(line, len)) {
                        rc = sim_line(&s, line, len, lineno);
                }
                if (rc != 0) {
                        fprintf(stderr,
                                "cspflow simulate: out of memory at "
                                "line %lu\n",
                                lineno);
                        status = CF_EXIT_FAILURE;
                        goto out;
                }
        }
        if (want_state) {
                const cf_migration_t *m = NULL;
                while ((m = cf_store_next(s.store, m))) {
                        char *json = cf_state_json_encode(m);
                        if (!json) {
                                status = CF_EXIT_FAILURE;
                                goto out;
                        }
                        fputs(json, s.os);
                        fputc('\n', s.os);
                        free(json);
                }
        }
        if (fflush(s.os) != 0)
                status = CF_EXIT_FAILURE;
out:
        cf_linereader_destroy(lr);
        if (in && in != stdin)
                fclose(in);
        cf_store_destroy(s.store);
        cf_catalog_destroy(s.catalog);
        cf_outbox_clear(&s.out);
        cf_event_clear(&s.ev);
        return status;
}
