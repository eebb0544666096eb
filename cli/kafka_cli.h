/* cspflow: what the Kafka subcommands (run, produce, tail) share on the
 * command line: the config file, then --bootstrap over it.
 *
 * Ownership: on CF_EXIT_OK *cfg is initialised and the caller frees it with
 * cf_config_clear(); on any other status there is nothing to free. */
#ifndef CF_KAFKA_CLI_H
#define CF_KAFKA_CLI_H

#include "common/config.h"

/** Defaults, then the file at path (may be NULL), then bootstrap (may be
 *  NULL). A bootstrap address must come from one of them. Prints the
 *  problem as "cspflow <cmd>: ..." and returns CF_EXIT_USAGE (bad file,
 *  unknown key, no bootstrap), CF_EXIT_FAILURE (out of memory), or
 *  CF_EXIT_OK. */
int cf_cli_kafka_config(cf_config_t *cfg, const char *cmd,
                        const char *bootstrap, const char *path);

/** Parses --idle-exit's SECONDS (1 .. one year) into *out. On a bad value
 *  prints "cspflow <cmd>: --idle-exit: ..." and returns CF_EXIT_USAGE;
 *  CF_EXIT_OK otherwise. */
int cf_cli_idle_seconds(const char *cmd, const char *arg, long *out);

#endif
