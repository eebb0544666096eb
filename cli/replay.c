/* cspflow replay: the rules re-run over the events topic, compared with the
 * actions topic (consumer/replay.h); a report per key on stdout. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/cf_time.h"
#include "common/log.h"
#include "common/strutil.h"
#include "consumer/replay.h"
#include "kafka_cli.h"
#include "schemas/catalog_json.h"

/* Replay ran but could not finish (Kafka error, out of memory): neither
 * "identical" (0) nor "differences" (1) nor usage (2). */
#define EXIT_REPLAY_FAILED 3

static const char usage_text[] =
    "usage: cspflow replay [--bootstrap HOST:PORT] [--config FILE] [--set "
    "K=V]...\n"
    "                      [--from-beginning | --from-offset P:O[,P:O]... |\n"
    "                       --from-time YYYY-MM-DDTHH:MM:SSZ]\n"
    "                      [--catalog FILE] [--json]\n"
    "\n"
    "Reads the events topic (read_committed, every partition, no consumer\n"
    "group, nothing committed) to its current end, runs every input through\n"
    "the rules in memory exactly as the worker does (offsets already seen\n"
    "and rule-12 duplicates skipped, refused inputs emit nothing), reads the\n"
    "actions topic to its end, and compares the two by event_id, per key:\n"
    "  missing  replay emits the record, the topic lacks it\n"
    "  extra    the topic holds it, replay does not emit it\n"
    "  changed  same event_id, a field differs (each field is named with\n"
    "           both values)\n"
    "With --catalog (or a new build) it answers: what would this version do\n"
    "differently. The topics are those of the configuration (topic.events,\n"
    "topic.actions).\n"
    "\n" CF_CLI_CONFIG_USAGE
    "  --from-beginning       compare the outputs of every input (default)\n"
    "  --from-offset P:O,...  compare only the outputs of inputs at or after\n"
    "                         offset O of partition P (partitions not named:\n"
    "                         every input)\n"
    "  --from-time T          compare only the outputs of inputs written at\n"
    "                         or after T (UTC, e.g. 2026-03-01T09:00:00Z)\n"
    "  --catalog FILE         offer catalog for the rules\n"
    "  --json                 one JSON line per difference, then a summary\n"
    "  -h, --help             this help\n"
    "\n"
    "With --from-offset or --from-time the inputs before the range are\n"
    "still read and applied, silently: every key starts the range with the\n"
    "state the worker had there (docs/tools.md). Progress goes to stderr: a\n"
    "bar on a terminal, log lines otherwise.\n"
    "\n"
    "Exit status: 0 identical, 1 differences, 2 usage or configuration\n"
    "error, 3 the replay could not finish (Kafka error, out of memory).\n";

/* "P:O,P:O" into a per-partition array (-1: not named); false on junk. */
static bool parse_offsets(const char *arg, int64_t **out, int *n) {
        int64_t *v = NULL;
        int len = 0;
        const char *s = arg;

        while (*s) {
                char part[32], off[32];
                const char *comma = strchr(s, ','), *colon;
                size_t k = comma ? (size_t)(comma - s) : strlen(s);
                long p, o;
                char item[64];
                if (k == 0 || k >= sizeof(item))
                        goto bad;
                memcpy(item, s, k);
                item[k] = '\0';
                if (!(colon = strchr(item, ':')) ||
                    (size_t)(colon - item) >= sizeof(part))
                        goto bad;
                memcpy(part, item, (size_t)(colon - item));
                part[colon - item] = '\0';
                if (!cf_strlcpy(off, colon + 1, sizeof(off)) ||
                    !cf_parse_long(part, 0, CF_REPLAY_PARTITIONS_MAX - 1, &p) ||
                    !cf_parse_long(off, 0, INT64_MAX, &o))
                        goto bad;
                if (p >= len) {
                        int64_t *nv = realloc(v, (size_t)(p + 1) * sizeof(*v));
                        if (!nv)
                                goto bad;
                        for (int i = len; i <= p; i++)
                                nv[i] = -1;
                        v = nv;
                        len = (int)p + 1;
                }
                v[p] = o;
                s += k + (comma ? 1 : 0);
                if (comma && !*s)
                        goto bad;
        }
        if (len == 0)
                goto bad;
        *out = v;
        *n = len;
        return true;
bad:
        free(v);
        return false;
}

static void print_text(const cf_replay_opts_t *o, const cf_replay_result_t *r,
                       const char *range) {
        printf("replay of %s (%d partitions) against %s, %s\n",
               o->cfg->topic_events, r->partitions, o->cfg->topic_actions,
               range);
        printf("inputs: %" PRIu64 " read, %" PRIu64 " in range; %" PRIu64
               " applied, %" PRIu64 " duplicates, %" PRIu64 " refused, %" PRIu64
               " offsets seen twice\n",
               r->inputs, r->inputs_in_range, r->applied, r->duplicates,
               r->rejected, r->skipped_offsets);
        printf("outputs: %" PRIu64 " expected; %s: %" PRIu64
               " records, %" PRIu64 " compared, %" PRIu64 " identical, %" PRIu64
               " identical copies\n",
               r->expected, o->cfg->topic_actions, r->actions, r->compared,
               r->matched, r->copies);
        if (r->n_diffs == 0) {
                printf("result: identical\n");
                return;
        }
        printf("result: %zu difference(s) in %" PRIu64 " key(s): %" PRIu64
               " missing, %" PRIu64 " extra, %" PRIu64 " changed\n",
               r->n_diffs, r->keys, r->missing, r->extra, r->changed);
        for (size_t i = 0; i < r->n_diffs; i++) {
                const cf_diff_t *d = &r->diffs[i];
                if (i == 0 || strcmp(d->key, r->diffs[i - 1].key) != 0)
                        printf("\nkey %s\n", *d->key ? d->key : "(none)");
                printf("  %-8s %s %s", cf_diff_kind_name(d->kind),
                       *d->type ? d->type : "(undecodable)",
                       *d->event_id ? d->event_id : "-");
                if (*d->causation_id)
                        printf(" caused by %s", d->causation_id);
                if (d->partition >= 0)
                        printf(" (%s [%d] offset %lld)", o->cfg->topic_actions,
                               (int)d->partition, (long long)d->offset);
                printf("\n");
                if (d->kind == CF_DIFF_MISSING)
                        printf("           replay emits: %s\n", d->detail);
                else if (d->kind == CF_DIFF_EXTRA)
                        printf("           the topic holds: %s\n", d->detail);
                for (size_t j = 0; j < d->n_fields; j++)
                        printf("           %s: replay %s, topic %s\n",
                               d->fields[j].field, d->fields[j].expected,
                               d->fields[j].actual);
        }
}

/* A JSON value from its text, or the text as a string. */
static json_t *value(const char *text) {
        json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
        return v ? v : json_string(text ? text : "");
}

static int print_json(const cf_replay_result_t *r, const char *range) {
        json_t *o;
        char *s;
        for (size_t i = 0; i < r->n_diffs; i++) {
                const cf_diff_t *d = &r->diffs[i];
                json_t *fields = json_array();
                o = json_object();
                if (!o || !fields)
                        return -1;
                json_object_set_new(o, "kind",
                                    json_string(cf_diff_kind_name(d->kind)));
                json_object_set_new(o, "key", json_string(d->key));
                json_object_set_new(o, "event_id", json_string(d->event_id));
                json_object_set_new(o, "type", json_string(d->type));
                json_object_set_new(o, "causation_id",
                                    json_string(d->causation_id));
                json_object_set_new(o, "partition",
                                    d->partition >= 0
                                        ? json_integer(d->partition)
                                        : json_null());
                json_object_set_new(o, "offset",
                                    d->offset >= 0 ? json_integer(d->offset)
                                                   : json_null());
                if (d->kind == CF_DIFF_MISSING)
                        json_object_set_new(o, "expected", value(d->detail));
                else if (d->kind == CF_DIFF_EXTRA)
                        json_object_set_new(o, "actual", value(d->detail));
                for (size_t j = 0; j < d->n_fields; j++) {
                        json_t *f = json_object();
                        json_object_set_new(f, "field",
                                            json_string(d->fields[j].field));
                        json_object_set_new(f, "expected",
                                            value(d->fields[j].expected));
                        json_object_set_new(f, "actual",
                                            value(d->fields[j].actual));
                        json_array_append_new(fields, f);
                }
                json_object_set_new(o, "fields", fields);
                s = json_dumps(o, JSON_COMPACT);
                json_decref(o);
                if (!s)
                        return -1;
                puts(s);
                free(s);
        }
        o = json_pack(
            "{s:{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:"
            "I,s:I,s:I,s:I},s:b}",
            "summary", "range", range, "partitions", r->partitions, "inputs",
            (json_int_t)r->inputs, "inputs_in_range",
            (json_int_t)r->inputs_in_range, "applied", (json_int_t)r->applied,
            "duplicates", (json_int_t)r->duplicates, "refused",
            (json_int_t)r->rejected, "expected", (json_int_t)r->expected,
            "actions", (json_int_t)r->actions, "compared",
            (json_int_t)r->compared, "matched", (json_int_t)r->matched,
            "copies", (json_int_t)r->copies, "missing", (json_int_t)r->missing,
            "extra", (json_int_t)r->extra, "changed", (json_int_t)r->changed,
            "keys", (json_int_t)r->keys, "identical", r->n_diffs == 0);
        if (!o || !(s = json_dumps(o, JSON_COMPACT))) {
                json_decref(o);
                return -1;
        }
        json_decref(o);
        puts(s);
        free(s);
        return 0;
}

int cf_cmd_replay(int argc, char **argv) {
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"from-beginning", no_argument, NULL, 'B'},
            {"from-offset", required_argument, NULL, 'o'},
            {"from-time", required_argument, NULL, 't'},
            {"catalog", required_argument, NULL, 'c'},
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        cf_cli_settings_t settings = {0};
        const char *catalog_path = NULL, *from_arg = NULL;
        char errstr[1024], range[128];
        int64_t *offsets = NULL;
        int n_offsets = 0, c, status, froms = 0;
        bool json = false;
        cf_replay_opts_t ro;
        cf_replay_result_t res;
        cf_catalog_t *catalog = NULL;
        cf_config_t cfg;
        cf_err_t err;

        memset(&ro, 0, sizeof(ro));
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "replay", c, optarg);
                if (taken < 0)
                        goto usage_fail;
                if (taken)
                        continue;
                switch (c) {
                case 'B':
                        froms++;
                        ro.from = CF_REPLAY_FROM_BEGINNING;
                        break;
                case 'o':
                        froms++;
                        ro.from = CF_REPLAY_FROM_OFFSETS;
                        from_arg = optarg;
                        free(offsets);
                        offsets = NULL;
                        if (!parse_offsets(optarg, &offsets, &n_offsets)) {
                                fprintf(stderr,
                                        "cspflow replay: --from-offset: '%s' "
                                        "is not PARTITION:OFFSET[,...]\n",
                                        optarg);
                                goto usage_fail;
                        }
                        break;
                case 't':
                        froms++;
                        ro.from = CF_REPLAY_FROM_TIME;
                        from_arg = optarg;
                        if (!cf_time_parse(optarg, &ro.from_time_ms)) {
                                fprintf(stderr,
                                        "cspflow replay: --from-time: '%s' is "
                                        "not YYYY-MM-DDTHH:MM:SS[.sss]Z\n",
                                        optarg);
                                goto usage_fail;
                        }
                        break;
                case 'c':
                        catalog_path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        free(offsets);
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        goto usage_fail;
                }
        }
        if (optind != argc || froms > 1) {
                fprintf(stderr, "cspflow replay: %s\n\n%s",
                        froms > 1 ? "give one of --from-beginning, "
                                    "--from-offset, --from-time"
                                  : "unexpected argument",
                        usage_text);
                goto usage_fail;
        }
        status = cf_cli_kafka_config(&cfg, "replay", &settings, true);
        if (status != CF_EXIT_OK) {
                free(offsets);
                return status;
        }
        if (catalog_path && cf_catalog_load_json(catalog_path, &catalog, errstr,
                                                 sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "replay", "%s", errstr);
                cf_config_clear(&cfg);
                free(offsets);
                return CF_EXIT_USAGE;
        }
        snprintf(range, sizeof(range), "%s%s%s",
                 ro.from == CF_REPLAY_FROM_BEGINNING ? "from the beginning"
                 : ro.from == CF_REPLAY_FROM_OFFSETS ? "from offsets "
                                                     : "from time ",
                 from_arg ? from_arg : "", "");
        volatile sig_atomic_t *stop = cf_cli_stop_on_signals();

        ro.cfg = &cfg;
        ro.catalog = catalog;
        ro.from_offsets = offsets;
        ro.n_from_offsets = n_offsets;
        ro.progress = true;
        ro.stop = stop;
        err = cf_replay_run(&ro, &res, errstr, sizeof(errstr));
        if (err != CF_OK) {
                cf_log(CF_LOG_ERROR, "replay", "%s", errstr);
                status =
                    err == CF_ERR_USAGE ? CF_EXIT_USAGE : EXIT_REPLAY_FAILED;
        } else {
                if (json) {
                        if (print_json(&res, range) != 0)
                                err = CF_ERR_NOMEM;
                } else {
                        print_text(&ro, &res, range);
                }
                status = res.n_diffs == 0 ? CF_EXIT_OK : CF_EXIT_FAILURE;
                if (err != CF_OK || fflush(stdout) != 0) {
                        cf_log(CF_LOG_ERROR, "replay",
                               "cannot write the report");
                        status = EXIT_REPLAY_FAILED;
                }
        }
        cf_replay_result_clear(&res);
        cf_catalog_destroy(catalog);
        cf_config_clear(&cfg);
        free(offsets);
        return status;
usage_fail:
        free(offsets);
        return CF_EXIT_USAGE;
}
