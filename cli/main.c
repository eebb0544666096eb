/* cspflow: entry point; dispatches to the subcommands of commands.h. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common/log.h"

typedef struct command_s {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
} command_t;

static const command_t commands[] = {
    {"demo", cf_cmd_demo,
     "the worker end to end on an in-process mock cluster, no set-up"},
    {"simulate", cf_cmd_simulate,
     "run the migration rules on JSON lines, without Kafka"},
    {"run", cf_cmd_run, "the Kafka worker: consume, handle, produce (EOS)"},
    {"produce", cf_cmd_produce, "send JSON-line events to a Kafka topic"},
    {"tail", cf_cmd_tail, "print a topic's committed records as JSON lines"},
    {"replay", cf_cmd_replay,
     "re-run the rules over the events topic, diff with the actions topic"},
    {"inspect", cf_cmd_inspect,
     "one migration's timeline from the audit topic"},
    {"graph", cf_cmd_graph,
     "the state machines as Graphviz DOT or Mermaid, from the handlers"},
    {"config", cf_cmd_config,
     "print the effective configuration and where each value came from"},
    {"schemas", cf_cmd_schemas,
     "the Avro schemas, fingerprints, the AsyncAPI document"},
};

static void usage(FILE *fp) {
        fprintf(fp, "usage: cspflow <command> [options]\n\ncommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(fp, "  %-10s %s\n", commands[i].name,
                        commands[i].summary);
        fprintf(fp, "  %-10s %s\n  %-10s %s\n\n", "version",
                "print the version", "help", "print this help");
        fprintf(fp, "'cspflow <command> --help' describes a command.\n");
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return CF_EXIT_USAGE;
        }
        if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
            !strcmp(argv[1], "-h")) {
                usage(stdout);
                return CF_EXIT_OK;
        }
        if (!strcmp(argv[1], "version") && argc > 2 &&
            (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
                printf("usage: cspflow version\n\nPrints the version.\n");
                return CF_EXIT_OK;
        }
        if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
                printf("cspflow %s\n", CSPFLOW_VERSION);
                return CF_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(argv[1], commands[i].name)) {
                        int rc = commands[i].fn(argc - 1, argv + 1);
                        cf_log_reset(); /* frees the secrets' copies */
                        return rc;
                }
        fprintf(stderr, "cspflow: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return CF_EXIT_USAGE;
}
