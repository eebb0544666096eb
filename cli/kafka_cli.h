/* cspflow: what the Kafka subcommands (run, produce, tail, demo, config,
 * replay, inspect) share on the command line: the configuration layers
 * (common/config.h: defaults < --config FILE < CSPFLOW_* < flags) and the
 * flags every one of them takes.
 *
 * A command puts CF_CLI_CONFIG_OPTIONS in its getopt_long table, passes
 * every option to cf_cli_config_opt() first, then calls
 * cf_cli_kafka_config() once the options are read.
 *
 * Ownership: a cf_cli_settings_t borrows the argv strings it is given; on
 * CF_EXIT_OK *cfg is initialised and the caller frees it with
 * cf_config_clear(); on any other status there is nothing to free. */
#ifndef CF_KAFKA_CLI_H
#define CF_KAFKA_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

/** getopt_long codes of the shared flags (above any short option). */
enum {
        CF_OPT_BOOTSTRAP = 0x100, /**< --bootstrap HOST:PORT */
        CF_OPT_CONFIG,            /**< --config FILE */
        CF_OPT_SET,               /**< --set KEY=VALUE (repeatable) */
        CF_OPT_GROUP,             /**< --group ID */
        CF_OPT_MODE,              /**< --mode eos|at-least-once */
        CF_OPT_TID,               /**< --transactional-id ID */
        CF_OPT_HTTP,              /**< --http HOST:PORT (run) */
};

/** The struct option lines of --bootstrap, --config and --set. */
#define CF_CLI_CONFIG_OPTIONS                                                  \
        {"bootstrap", required_argument, NULL, CF_OPT_BOOTSTRAP},              \
            {"config", required_argument, NULL, CF_OPT_CONFIG}, {              \
                "set", required_argument, NULL, CF_OPT_SET                     \
        }

/** The usage lines of CF_CLI_CONFIG_OPTIONS. */
#define CF_CLI_CONFIG_USAGE                                                    \
        "  --bootstrap HOST:PORT  Kafka bootstrap servers (the key\n"          \
        "                         kafka.bootstrap.servers)\n"                  \
        "  --config FILE          key=value lines (docs/configuration.md)\n"   \
        "  --set KEY=VALUE        any configuration key; repeatable; wins\n"   \
        "                         over CSPFLOW_<KEY> and the file\n"

#define CF_CLI_SETTINGS_MAX 64
#define CF_CLI_KEY_MAX      256

/** One setting from a flag. */
typedef struct cf_cli_setting_s {
        char key[CF_CLI_KEY_MAX];
        const char *value; /**< borrowed from argv */
        const char *flag;  /**< "--bootstrap", ... (static) */
} cf_cli_setting_t;

/** The configuration flags read so far, in order. */
typedef struct cf_cli_settings_s {
        const char *config_path; /**< --config, or NULL */
        cf_cli_setting_t v[CF_CLI_SETTINGS_MAX];
        size_t n;
} cf_cli_settings_t;

/** Handles option code opt (with its optarg) when it is one of CF_OPT_*:
 *  returns 1 when taken, 0 when not one of them, -1 after printing
 *  "cspflow <cmd>: ..." for a bad --set or too many flags. */
int cf_cli_config_opt(cf_cli_settings_t *s, const char *cmd, int opt,
                      const char *arg);

/** Defaults, the file of s, the environment (environ), then the flags of s
 *  in order. With need_bootstrap, kafka.bootstrap.servers must be set by
 *  one of them. Prints the problem as "cspflow <cmd>: ..." and returns
 *  CF_EXIT_USAGE (bad file, unknown key or value, no bootstrap),
 *  CF_EXIT_FAILURE (out of memory), or CF_EXIT_OK. */
int cf_cli_kafka_config(cf_config_t *cfg, const char *cmd,
                        const cf_cli_settings_t *s, bool need_bootstrap);

/** Installs SIGINT and SIGTERM handlers that set one flag, and returns
 *  it: the Kafka commands finish what is in hand and stop when it is set. */
volatile sig_atomic_t *cf_cli_stop_on_signals(void);

/** Parses --idle-exit's SECONDS (1 .. one year) into *out. On a bad value
 *  prints "cspflow <cmd>: --idle-exit: ..." and returns CF_EXIT_USAGE;
 *  CF_EXIT_OK otherwise. */
int cf_cli_idle_seconds(const char *cmd, const char *arg, long *out);

#endif
