/* cspflow: the subcommands of the `cspflow` binary. Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the
 * process exit status; only main() calls exit. */
#ifndef CF_COMMANDS_H
#define CF_COMMANDS_H

/** Exit statuses shared by the subcommands. */
#ifndef CSPFLOW_VERSION
#define CSPFLOW_VERSION "0.1.0"
#endif

#define CF_EXIT_OK      0
#define CF_EXIT_FAILURE 1 /**< runtime failure (fatal error) */
#define CF_EXIT_USAGE   2 /**< usage or file error */

#ifndef CSPFLOW_VERSION
#define CSPFLOW_VERSION "0.1.0"
#endif

int cf_cmd_simulate(int argc, char **argv);
int cf_cmd_demo(int argc, char **argv);
int cf_cmd_run(int argc, char **argv);
int cf_cmd_produce(int argc, char **argv);
int cf_cmd_tail(int argc, char **argv);
int cf_cmd_config(int argc, char **argv);
int cf_cmd_graph(int argc, char **argv);
int cf_cmd_schemas(int argc, char **argv);
int cf_cmd_replay(int argc, char **argv);
int cf_cmd_inspect(int argc, char **argv);

#endif
