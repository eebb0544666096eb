/* cspflow: configuration shared by the Kafka subcommands (kafka_cli.h). */
#include "kafka_cli.h"

#include <stdio.h>

#include "commands.h"
#include "common/log.h"
#include "common/strutil.h"

int cf_cli_kafka_config(cf_config_t *cfg, const char *cmd,
                        const char *bootstrap, const char *path) {
        char errstr[1024];
        cf_err_t err;

        if (cf_config_init(cfg) != CF_OK) {
                cf_log(CF_LOG_ERROR, cmd, "out of memory");
                cf_config_clear(cfg);
                return CF_EXIT_FAILURE;
        }
        if (path && (err = cf_config_load(cfg, path, errstr, sizeof(errstr))) !=
                        CF_OK) {
                cf_log(CF_LOG_ERROR, cmd, "%s", errstr);
                cf_config_clear(cfg);
                return err == CF_ERR_NOMEM ? CF_EXIT_FAILURE : CF_EXIT_USAGE;
        }
        cf_log_set_level(
            (cf_log_level_t)cf_log_level_from_name(cfg->log_level));
        cf_log_set_format(
            (cf_log_format_t)cf_log_format_from_name(cfg->log_format));
        if (bootstrap && cf_config_set_str(&cfg->bootstrap, bootstrap)) {
                cf_log(CF_LOG_ERROR, cmd, "out of memory");
                cf_config_clear(cfg);
                return CF_EXIT_FAILURE;
        }
        if ((bootstrap && !*bootstrap) ||
            (!bootstrap && !cf_config_kafka_get(cfg, "bootstrap.servers"))) {
                cf_log(CF_LOG_ERROR, cmd,
                       "--bootstrap HOST:PORT is required (or "
                       "kafka.bootstrap.servers in --config)");
                cf_config_clear(cfg);
                return CF_EXIT_USAGE;
        }
        return CF_EXIT_OK;
}

int cf_cli_idle_seconds(const char *cmd, const char *arg, long *out) {
        if (cf_parse_long(arg, 1, 86400L * 365, out))
                return CF_EXIT_OK;
        fprintf(
            stderr,
            "cspflow %s: --idle-exit: '%s' is not a number of seconds > 0\n",
            cmd, arg);
        return CF_EXIT_USAGE;
}
