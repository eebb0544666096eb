/* cspflow: configuration shared by the Kafka subcommands (kafka_cli.h). */
#include "kafka_cli.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common/log.h"
#include "common/strutil.h"

extern char **environ;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
        (void)sig;
        stop_flag = 1;
}

volatile sig_atomic_t *cf_cli_stop_on_signals(void) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        return &stop_flag;
}

static int add(cf_cli_settings_t *s, const char *cmd, const char *key,
               const char *value, const char *flag) {
        cf_cli_setting_t *v;
        if (s->n >= CF_CLI_SETTINGS_MAX) {
                cf_log(CF_LOG_ERROR, cmd, "more than %d configuration flags",
                       CF_CLI_SETTINGS_MAX);
                return -1;
        }
        v = &s->v[s->n];
        if (!cf_strlcpy(v->key, key, sizeof(v->key))) {
                cf_log(CF_LOG_ERROR, cmd, "%s: over-long key", flag);
                return -1;
        }
        v->value = value;
        v->flag = flag;
        s->n++;
        return 1;
}

int cf_cli_config_opt(cf_cli_settings_t *s, const char *cmd, int opt,
                      const char *arg) {
        const char *eq;
        char key[CF_CLI_KEY_MAX];

        switch (opt) {
        case CF_OPT_BOOTSTRAP:
                return add(s, cmd, "kafka.bootstrap.servers", arg,
                           "--bootstrap");
        case CF_OPT_CONFIG:
                s->config_path = arg;
                return 1;
        case CF_OPT_GROUP:
                return add(s, cmd, "group", arg, "--group");
        case CF_OPT_MODE:
                return add(s, cmd, "mode", arg, "--mode");
        case CF_OPT_TID:
                return add(s, cmd, "transactional.id", arg,
                           "--transactional-id");
        case CF_OPT_HTTP:
                return add(s, cmd, "http.listen", arg, "--http");
        case CF_OPT_SET:
                eq = strchr(arg, '=');
                if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
                        cf_log(CF_LOG_ERROR, cmd,
                               "--set: '%s' is not KEY=VALUE",
                               eq ? "..." : arg);
                        return -1;
                }
                memcpy(key, arg, (size_t)(eq - arg));
                key[eq - arg] = '\0';
                return add(s, cmd, key, eq + 1, "--set");
        default:
                return 0;
        }
}

int cf_cli_kafka_config(cf_config_t *cfg, const char *cmd,
                        const cf_cli_settings_t *s, bool need_bootstrap) {
        char errstr[1024], origin[64];
        cf_err_t err = CF_OK;

        if (cf_config_init(cfg) != CF_OK) {
                err = CF_ERR_NOMEM;
                snprintf(errstr, sizeof(errstr), "out of memory");
                goto fail;
        }
        if (s->config_path && (err = cf_config_load(cfg, s->config_path, errstr,
                                                    sizeof(errstr))) != CF_OK)
                goto fail;
        if ((err = cf_config_env(cfg, environ, errstr, sizeof(errstr))) !=
            CF_OK)
                goto fail;
        for (size_t i = 0; i < s->n; i++) {
                snprintf(origin, sizeof(origin), "flag %s", s->v[i].flag);
                if ((err = cf_config_set(cfg, s->v[i].key, s->v[i].value,
                                         origin, errstr, sizeof(errstr))) !=
                    CF_OK)
                        goto fail;
        }
        cf_log_set_level(
            (cf_log_level_t)cf_log_level_from_name(cfg->log_level));
        cf_log_set_format(
            (cf_log_format_t)cf_log_format_from_name(cfg->log_format));
        if (need_bootstrap) {
                const char *bs = cf_config_kafka_get(cfg, "bootstrap.servers");
                if (!bs || !*bs) {
                        cf_log(CF_LOG_ERROR, cmd,
                               "--bootstrap HOST:PORT is required (or "
                               "kafka.bootstrap.servers in --config, or "
                               "CSPFLOW_KAFKA_BOOTSTRAP_SERVERS)");
                        cf_config_clear(cfg);
                        return CF_EXIT_USAGE;
                }
        }
        return CF_EXIT_OK;
fail:
        cf_log(CF_LOG_ERROR, cmd, "%s", errstr);
        cf_config_clear(cfg);
        return err == CF_ERR_NOMEM ? CF_EXIT_FAILURE : CF_EXIT_USAGE;
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
