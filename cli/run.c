/* cspflow run: the Kafka worker (consumer/worker.h). Flags and the config
 * file (common/config.h) in, a one-line JSON summary on stderr out. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common/config.h"
#include "common/log.h"
#include "common/strutil.h"
#include "consumer/worker.h"
#include "kafka_cli.h"
#include "ops/http.h"
#include "schemas/catalog_json.h"

static const char usage_text[] =
    "usage: cspflow run --bootstrap HOST:PORT [--config FILE] [--set K=V]...\n"
    "                   [--catalog FILE] [--group ID]\n"
    "                   [--mode eos|at-least-once]\n"
    "                   [--transactional-id ID] [--idle-exit SECONDS]\n"
    "                   [--http HOST:PORT]\n"
    "\n"
    "Consumes the events topic in a consumer group, runs every input through\n"
    "the migration rules, and produces the actions, one audit record per\n"
    "input, the changed states and the DLQ records; in eos mode in one Kafka\n"
    "transaction per batch together with the consumed offsets. Topics are\n"
    "created when missing. State is restored from the state topic.\n"
    "\n" CF_CLI_CONFIG_USAGE
    "  --catalog FILE         offer catalog (discontinued offers)\n"
    "  --group ID             consumer group (key group; cspflow)\n"
    "  --mode MODE            eos (default) or at-least-once (key mode)\n"
    "  --transactional-id ID  eos: this instance's transactional.id, stable\n"
    "                         across its restarts (<group>-0); give each\n"
    "                         instance of a group its own\n"
    "  --idle-exit SECONDS    exit 0 once that long passes without input\n"
    "                         (counted from the last rebalance or input;\n"
    "                         after a crash of a member, use more than the\n"
    "                         10 s session timeout)\n"
    "  --http HOST:PORT       serve /metrics (Prometheus), /healthz and\n"
    "                         /readyz there (key http.listen; off by\n"
    "                         default; docs/operations.md)\n"
    "  -h, --help             this help\n"
    "\n"
    "SIGINT/SIGTERM finish the batch in hand, leave the group and exit 0.\n"
    "At exit a JSON summary goes to stderr: {\"consumed\":..,\"applied\":..,\n"
    "\"duplicates\":..,\"rejected\":..,\"skipped_offsets\":..,\n"
    "\"transactions\":..,\"aborts\":..}.\n"
    "\n"
    "Exit status: 0 stopped cleanly, 1 fatal error, 2 usage or configuration\n"
    "error (also: topics whose partition counts differ).\n";

static void summary(const cf_worker_stats_t *s) {
        fprintf(stderr,
                "{\"consumed\":%" PRIu64 ",\"applied\":%" PRIu64
                ",\"duplicates\":%" PRIu64 ",\"rejected\":%" PRIu64
                ",\"skipped_offsets\":%" PRIu64 ",\"transactions\":%" PRIu64
                ",\"aborts\":%" PRIu64 "}\n",
                s->consumed, s->applied, s->duplicates, s->rejected,
                s->skipped_offsets, s->transactions, s->aborts);
}

/* The metrics object and the HTTP server on cfg->http_listen. */
static cf_err_t start_http(const cf_config_t *cfg, cf_metrics_t **metrics,
                           cf_http_t **server) {
        cf_http_opts_t ho;
        char errstr[512];
        cf_err_t err;

        if (!(*metrics = cf_metrics_new())) {
                cf_log(CF_LOG_ERROR, "run", "out of memory");
                return CF_ERR_NOMEM;
        }
        memset(&ho, 0, sizeof(ho));
        ho.listen = cfg->http_listen;
        ho.metrics = *metrics;
        ho.version = CSPFLOW_VERSION;
        if ((err = cf_http_start(&ho, server, errstr, sizeof(errstr))) !=
            CF_OK) {
                cf_log(CF_LOG_ERROR, "run", "%s", errstr);
                cf_metrics_destroy(*metrics);
                *metrics = NULL;
                return err;
        }
        cf_log(CF_LOG_INFO, "http",
               "serving /metrics, /healthz, /readyz on %s (port %d)",
               cfg->http_listen, cf_http_port(*server));
        return CF_OK;
}

int cf_cmd_run(int argc, char **argv) {
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"catalog", required_argument, NULL, 'c'},
            {"group", required_argument, NULL, CF_OPT_GROUP},
            {"mode", required_argument, NULL, CF_OPT_MODE},
            {"transactional-id", required_argument, NULL, CF_OPT_TID},
            {"idle-exit", required_argument, NULL, 'i'},
            {"http", required_argument, NULL, CF_OPT_HTTP},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        const char *catalog_path = NULL;
        cf_cli_settings_t settings = {0};
        long idle = 0;
        cf_config_t cfg;
        cf_catalog_t *catalog = NULL;
        cf_worker_opts_t wo;
        cf_worker_stats_t stats;
        cf_http_t *server = NULL;
        char errstr[1024];
        int c, status;
        cf_err_t err;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "run", c, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                if (taken)
                        continue;
                switch (c) {
                case 'c':
                        catalog_path = optarg;
                        break;
                case 'i':
                        if (cf_cli_idle_seconds("run", optarg, &idle) !=
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
                fprintf(stderr, "cspflow run: unexpected argument '%s'\n\n%s",
                        argv[optind], usage_text);
                return CF_EXIT_USAGE;
        }
        status = cf_cli_kafka_config(&cfg, "run", &settings, true);
        if (status != CF_EXIT_OK)
                return status;
        if (catalog_path && cf_catalog_load_json(catalog_path, &catalog, errstr,
                                                 sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "run", "%s", errstr);
                cf_config_clear(&cfg);
                return CF_EXIT_USAGE;
        }

        volatile sig_atomic_t *stop = cf_cli_stop_on_signals();

        memset(&wo, 0, sizeof(wo));
        wo.cfg = &cfg;
        wo.catalog = catalog;
        wo.idle_exit_s = (int)idle;
        wo.stop = stop;
        errstr[0] = '\0';
        if (cfg.http_listen &&
            (err = start_http(&cfg, &wo.metrics, &server)) != CF_OK) {
                cf_catalog_destroy(catalog);
                cf_config_clear(&cfg);
                return err == CF_ERR_NOMEM ? CF_EXIT_FAILURE : CF_EXIT_USAGE;
        }
        err = cf_worker_run(&wo, &stats, errstr, sizeof(errstr));
        cf_http_stop(server);
        cf_metrics_destroy(wo.metrics);
        if (err == CF_OK) {
                status = CF_EXIT_OK;
        } else {
                cf_log(CF_LOG_ERROR, "run", "%s", errstr);
                status = err == CF_ERR_USAGE ? CF_EXIT_USAGE : CF_EXIT_FAILURE;
        }
        summary(&stats);
        cf_catalog_destroy(catalog);
        cf_config_clear(&cfg);
        return status;
}
