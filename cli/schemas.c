/* cspflow schemas: the Avro schemas compiled into the binary, and the
 * AsyncAPI 3.0 document of the topics (schemas/asyncapi.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kafka_cli.h"
#include "schemas/asyncapi.h"

static const char usage_text[] =
    "usage: cspflow schemas --list\n"
    "       cspflow schemas --print NAME\n"
    "       cspflow schemas --fingerprint NAME\n"
    "       cspflow schemas --asyncapi [--config FILE] [--set KEY=VALUE]...\n"
    "                                  [--bootstrap HOST:PORT]\n"
    "\n"
    "The Avro schemas cspflow reads and writes (schemas/avro, compiled in).\n"
    "\n"
    "  --list             one line per schema: name, full name, CRC-64-AVRO\n"
    "                     fingerprint (16 hex digits), topic\n"
    "  --print NAME       the .avsc text as written (NAME: e.g.\n"
    "                     migration-requested, as --list prints it)\n"
    "  --fingerprint NAME the schema's fingerprint and the 10-byte\n"
    "                     single-object header of its records, in hex\n"
    "  --asyncapi         the AsyncAPI 3.0 document of the topics, as JSON\n"
    "                     (which is YAML too; docs/asyncapi.yaml)\n"
    "\n"
    "With --asyncapi, the configuration (docs/configuration.md) names the\n"
    "topics and, when kafka.bootstrap.servers is set, the server; with\n"
    "registry.url too, the Kafka bindings of the schema registry (Confluent\n"
    "wire format; registry.url without kafka.bootstrap.servers is an "
    "error):\n" CF_CLI_CONFIG_USAGE
    "CSPFLOW_* variables apply too: generate docs/asyncapi.yaml without them.\n"
    "\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 ok, 1 out of memory or a bad embedded schema, 2 usage\n"
    "or configuration error (or an unknown NAME).\n";

static int list(void) {
        char errstr[512], fullname[512];
        uint64_t fp;
        for (size_t i = 0; i < cf_embedded_schemas_n; i++) {
                const cf_embedded_schema_t *s = &cf_embedded_schemas[i];
                if (cf_schema_describe(s, fullname, sizeof(fullname), &fp,
                                       errstr, sizeof(errstr)) != CF_OK) {
                        fprintf(stderr, "cspflow schemas: %s\n", errstr);
                        return CF_EXIT_FAILURE;
                }
                printf("%s %s %016" PRIx64 " %s\n", s->name, fullname, fp,
                       cf_schema_topic_name(cf_schema_topic(s->name)));
        }
        return CF_EXIT_OK;
}

static const cf_embedded_schema_t *find(const char *name) {
        const cf_embedded_schema_t *s = cf_schema_find(name);
        if (!s)
                fprintf(stderr,
                        "cspflow schemas: no schema '%s' (see --list)\n", name);
        return s;
}

static int print(const char *name) {
        const cf_embedded_schema_t *s = find(name);
        if (!s)
                return CF_EXIT_USAGE;
        fwrite(s->text, 1, s->len, stdout);
        return CF_EXIT_OK;
}

static int fingerprint(const char *name) {
        const cf_embedded_schema_t *s = find(name);
        char errstr[512], fullname[512];
        uint64_t fp;
        if (!s)
                return CF_EXIT_USAGE;
        if (cf_schema_describe(s, fullname, sizeof(fullname), &fp, errstr,
                               sizeof(errstr)) != CF_OK) {
                fprintf(stderr, "cspflow schemas: %s\n", errstr);
                return CF_EXIT_FAILURE;
        }
        printf("%016" PRIx64 " c301", fp);
        for (int i = 0; i < 8; i++)
                printf("%02x", (unsigned)((fp >> (8 * i)) & 0xff));
        printf("\n");
        return CF_EXIT_OK;
}

static int asyncapi(const cf_cli_settings_t *settings) {
        char errstr[1024];
        cf_config_t cfg;
        char *doc = NULL;
        cf_err_t err;
        int rc = cf_cli_kafka_config(&cfg, "schemas", settings, false);

        if (rc != CF_EXIT_OK)
                return rc;
        err = cf_asyncapi_dump(&cfg, CSPFLOW_VERSION, &doc, errstr,
                               sizeof(errstr));
        if (err != CF_OK) {
                fprintf(stderr, "cspflow schemas: %s\n", errstr);
                rc = err == CF_ERR_USAGE ? CF_EXIT_USAGE : CF_EXIT_FAILURE;
        } else {
                fputs(doc, stdout);
                fputc('\n', stdout);
        }
        free(doc);
        cf_config_clear(&cfg);
        return rc;
}

int cf_cmd_schemas(int argc, char **argv) {
        enum { O_LIST = 1, O_PRINT, O_FP, O_ASYNCAPI };
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"list", no_argument, 0, O_LIST},
            {"print", required_argument, 0, O_PRINT},
            {"fingerprint", required_argument, 0, O_FP},
            {"asyncapi", no_argument, 0, O_ASYNCAPI},
            {"help", no_argument, 0, 'h'},
            {0, 0, 0, 0}};
        cf_cli_settings_t settings = {0};
        const char *name = NULL;
        int mode = 0, c, n_modes = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "schemas", c, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                if (taken)
                        continue;
                switch (c) {
                case O_LIST:
                case O_ASYNCAPI:
                        mode = c;
                        n_modes++;
                        break;
                case O_PRINT:
                case O_FP:
                        mode = c;
                        name = optarg;
                        n_modes++;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (optind != argc || n_modes != 1 ||
            ((settings.config_path || settings.n) && mode != O_ASYNCAPI)) {
                fputs(usage_text, stderr);
                return CF_EXIT_USAGE;
        }
        switch (mode) {
        case O_LIST:
                return list();
        case O_PRINT:
                return print(name);
        case O_FP:
                return fingerprint(name);
        default:
                return asyncapi(&settings);
        }
}
