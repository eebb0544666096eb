/* cspflow config: the effective configuration, layer by layer
 * (common/config.h), with where each value came from. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "commands.h"
#include "kafka_cli.h"

static const char usage_text[] =
    "usage: cspflow config --dump [--config FILE] [--set K=V]...\n"
    "                      [--bootstrap HOST:PORT] [--group ID]\n"
    "                      [--mode eos|at-least-once] [--transactional-id "
    "ID]\n"
    "\n"
    "Reads the configuration as `cspflow run` would with the same flags:\n"
    "the defaults, then --config FILE, then the CSPFLOW_<KEY> environment\n"
    "variables, then the flags, each layer over the one before. With --dump\n"
    "prints every key, its value and where the value came from (default,\n"
    "FILE:LINE, environment CSPFLOW_X, flag --x), one line each; the values\n"
    "of secrets (keys holding password, secret, jaas, key.pem, basic.auth,\n"
    "token or oauthbearer.config) print as ***. docs/configuration.md lists\n"
    "the keys.\n"
    "\n" CF_CLI_CONFIG_USAGE
    "  --group, --mode, --transactional-id  as `cspflow run` takes them\n"
    "  --dump                 print the effective configuration\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 ok, 1 out of memory or a write error, 2 usage or\n"
    "configuration error (the message names the key and where it was set).\n";

int cf_cmd_config(int argc, char **argv) {
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"group", required_argument, NULL, CF_OPT_GROUP},
            {"mode", required_argument, NULL, CF_OPT_MODE},
            {"transactional-id", required_argument, NULL, CF_OPT_TID},
            {"dump", no_argument, NULL, 'd'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        cf_cli_settings_t settings = {0};
        cf_config_t cfg;
        bool dump = false;
        int c, status;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "config", c, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                if (taken)
                        continue;
                switch (c) {
                case 'd':
                        dump = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (optind != argc || !dump) {
                fputs(usage_text, stderr);
                return CF_EXIT_USAGE;
        }
        status = cf_cli_kafka_config(&cfg, "config", &settings, false);
        if (status != CF_EXIT_OK)
                return status;
        if (cf_config_dump(&cfg, stdout) != 0) {
                fprintf(stderr, "cspflow config: cannot write the output\n");
                status = CF_EXIT_FAILURE;
        }
        cf_config_clear(&cfg);
        return status;
}
