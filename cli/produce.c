/* cspflow produce: JSON-line events -> Avro single-object records -> a
 * Kafka topic, keyed "<partner_id>/<customer_tenant_id>"
 * (producer/produce.h). --raw and --hex send other bytes as they are, for
 * tests that need input the worker must refuse. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common/limits.h"
#include "common/linereader.h"
#include "common/log.h"
#include "kafka_cli.h"
#include "producer/produce.h"
#include "registry/serde.h"
#include "schemas/avro_codec.h"
#include "schemas/json_codec.h"

static const char usage_text[] =
    "usage: cspflow produce --bootstrap HOST:PORT [--topic T] [--config FILE]\n"
    "                       [--set K=V]... [--raw | --hex] [--key KEY]\n"
    "                       [FILE|-]\n"
    "\n"
    "Reads events as JSON lines from FILE (or standard input), encodes each\n"
    "as an Avro single-object record (with registry.url in the config file:\n"
    "in the Confluent wire format, its schema registered under the subject\n"
    "<topic>-<record full name>) and sends it to the topic with the key\n"
    "<partner_id>/<customer_tenant_id>, through an idempotent producer;\n"
    "waits for every delivery. Creates the configured topics when missing,\n"
    "as `cspflow run` does. Blank lines are skipped.\n"
    "\n"
    "  --topic T              topic (default: the events "
    "topic)\n" CF_CLI_CONFIG_USAGE
    "  --raw                  send each line's bytes as they are\n"
    "  --hex                  each line is hex: send the bytes it spells\n"
    "  --key KEY              record key for --raw/--hex (default: the\n"
    "                         line's event key when it is a JSON event,\n"
    "                         else none)\n"
    "  -h, --help             this help\n"
    "\n"
    "A line that cannot be encoded is reported with its number and not sent;\n"
    "the others are. A line whose delivery the broker did not confirm with an\n"
    "offset counts as failed, named #<line number> (docs/worker.md). Exit\n"
    "status: 0 when every line was delivered, 1 when a line was refused or a\n"
    "delivery failed, 2 on a usage or file error.\n";

typedef enum { MODE_JSON, MODE_RAW, MODE_HEX } pmode_t;

typedef struct pctx_s {
        cf_kproducer_t *prod;
        cf_avro_t *av;
        cf_serde_t *serde; /* with registry.url: Confluent framing */
        const char *topic;
        cf_event_t ev;
        cf_buf_t buf;
        pmode_t mode;
        const char *key;
        uint64_t sent;
        uint64_t refused;
} pctx_t;

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* The line's bytes for --hex into c->buf; false on bad hex. */
static bool unhex(pctx_t *c, const char *s, size_t n) {
        cf_buf_reset(&c->buf);
        if (n % 2 != 0)
                return false;
        for (size_t i = 0; i < n; i += 2) {
                int hi = hexval(s[i]), lo = hexval(s[i + 1]);
                if (hi < 0 || lo < 0 ||
                    cf_buf_append_byte(&c->buf, (uint8_t)(hi * 16 + lo)))
                        return false;
        }
        return true;
}

static void refuse(pctx_t *c, unsigned long lineno, const char *what) {
        cf_log(CF_LOG_WARN, "produce", "line %lu: %s (not sent)", lineno, what);
        c->refused++;
}

/* Returns 0, or -1 when the producer failed (fatal). */
static int one_line(pctx_t *c, const char *line, size_t len,
                    unsigned long lineno) {
        char detail[512], key[CF_KEY_SIZE], errstr[512];
        const void *value = line;
        size_t vlen = len;
        const char *k = c->key;
        cf_reject_t r;

        key[0] = '\0';
        if (c->mode == MODE_HEX) {
                if (!unhex(c, line, len)) {
                        refuse(c, lineno, "not an even number of hex digits");
                        return 0;
                }
                value = c->buf.data;
                vlen = c->buf.len;
        } else {
                r = cf_json_decode_event(line, len, &c->ev, detail,
                                         sizeof(detail));
                if (r == CF_REJ_NONE)
                        cf_event_key(&c->ev, key, sizeof(key));
                if (c->mode == MODE_JSON) {
                        if (r != CF_REJ_NONE) {
                                char what[600];
                                snprintf(what, sizeof(what), "%s: %s",
                                         cf_reject_name(r), detail);
                                refuse(c, lineno, what);
                                return 0;
                        }
                        if (cf_serde_register_event(c->serde, c->topic,
                                                    c->ev.type, NULL, errstr,
                                                    sizeof(errstr)) != CF_OK) {
                                cf_log(CF_LOG_ERROR, "produce", "%s", errstr);
                                return -1;
                        }
                        cf_buf_reset(&c->buf);
                        if (cf_serde_encode_event(c->serde, &c->ev, &c->buf,
                                                  detail,
                                                  sizeof(detail)) != CF_OK) {
                                refuse(c, lineno, detail);
                                return 0;
                        }
                        value = c->buf.data;
                        vlen = c->buf.len;
                }
        }
        if (!k && key[0])
                k = key;
        if (cf_kproducer_send(c->prod, k, k ? strlen(k) : 0, value, vlen,
                              lineno, errstr, sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "produce", "line %lu: %s", lineno, errstr);
                return -1;
        }
        c->sent++;
        return 0;
}

static bool blank(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t')
                        return false;
        return true;
}

/* Reads every line; returns an exit status. */
static int read_lines(pctx_t *c, FILE *in) {
        cf_linereader_t *lr = cf_linereader_new(in, CF_LINE_MAX);
        int status = CF_EXIT_OK;

        if (!lr) {
                cf_log(CF_LOG_ERROR, "produce", "out of memory");
                return CF_EXIT_FAILURE;
        }
        for (;;) {
                const char *line = NULL;
                size_t len = 0;
                unsigned long lineno = 0;
                cf_line_t lt = cf_linereader_next(lr, &line, &len, &lineno);
                if (lt == CF_LINE_EOF)
                        break;
                if (lt == CF_LINE_ERROR) {
                        cf_log(CF_LOG_ERROR, "produce", "read error: %s",
                               strerror(errno));
                        status = CF_EXIT_USAGE;
                        break;
                }
                if (lt == CF_LINE_TOO_LONG) {
                        char what[128];
                        snprintf(what, sizeof(what),
                                 "line of %zu bytes is over the %d-byte cap",
                                 len, CF_LINE_MAX);
                        refuse(c, lineno, what);
                        continue;
                }
                if ((c->mode != MODE_RAW && blank(line, len)) || len == 0)
                        continue;
                if (one_line(c, line, len, lineno) != 0) {
                        status = CF_EXIT_FAILURE;
                        break;
                }
        }
        cf_linereader_destroy(lr);
        return status;
}

int cf_cmd_produce(int argc, char **argv) {
        static const struct option opts[] = {
            CF_CLI_CONFIG_OPTIONS,
            {"topic", required_argument, NULL, 't'},
            {"raw", no_argument, NULL, 'r'},
            {"hex", no_argument, NULL, 'x'},
            {"key", required_argument, NULL, 'k'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        const char *topic = NULL;
        cf_cli_settings_t settings = {0};
        const char *path = NULL;
        cf_config_t cfg;
        pctx_t c;
        FILE *in = stdin;
        char errstr[1024];
        uint64_t delivered = 0, failed = 0;
        int ch, status;
        cf_err_t err;

        memset(&c, 0, sizeof(c));
        optind = 1;
        while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                int taken = cf_cli_config_opt(&settings, "produce", ch, optarg);
                if (taken < 0)
                        return CF_EXIT_USAGE;
                if (taken)
                        continue;
                switch (ch) {
                case 't':
                        topic = optarg;
                        break;
                case 'r':
                case 'x':
                        if (c.mode != MODE_JSON) {
                                fprintf(stderr, "cspflow produce: --raw and "
                                                "--hex exclude each other\n");
                                return CF_EXIT_USAGE;
                        }
                        c.mode = ch == 'r' ? MODE_RAW : MODE_HEX;
                        break;
                case 'k':
                        c.key = optarg;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (argc - optind > 1) {
                fputs(usage_text, stderr);
                return CF_EXIT_USAGE;
        }
        if (c.key && c.mode == MODE_JSON) {
                fprintf(stderr, "cspflow produce: --key goes with --raw or "
                                "--hex (JSON events carry their key)\n");
                return CF_EXIT_USAGE;
        }
        if (topic && !*topic) {
                fprintf(stderr, "cspflow produce: --topic: empty\n");
                return CF_EXIT_USAGE;
        }
        if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
                path = argv[optind];
        status = cf_cli_kafka_config(&cfg, "produce", &settings, true);
        if (status != CF_EXIT_OK)
                return status;
        if (path && !(in = fopen(path, "rb"))) {
                cf_log(CF_LOG_ERROR, "produce", "%s: %s", path,
                       strerror(errno));
                cf_config_clear(&cfg);
                return CF_EXIT_USAGE;
        }
        if (!topic)
                topic = cfg.topic_events;
        cf_event_init(&c.ev);
        cf_buf_init(&c.buf, 2 * CF_LINE_MAX);
        c.topic = topic;
        if ((err = cf_avro_new(&c.av, errstr, sizeof(errstr))) != CF_OK ||
            (err = cf_serde_new(&cfg, c.av, &c.serde, errstr,
                                sizeof(errstr))) != CF_OK ||
            (err = cf_kproducer_new(&c.prod, &cfg, topic, errstr,
                                    sizeof(errstr))) != CF_OK) {
                cf_log(CF_LOG_ERROR, "produce", "%s", errstr);
                status = err == CF_ERR_USAGE ? CF_EXIT_USAGE : CF_EXIT_FAILURE;
                goto out;
        }
        status = read_lines(&c, in);
        if (cf_kproducer_flush(c.prod, &delivered, &failed, errstr,
                               sizeof(errstr)) != CF_OK) {
                cf_log(CF_LOG_ERROR, "produce", "%s", errstr);
                if (status == CF_EXIT_OK)
                        status = CF_EXIT_FAILURE;
        }
        if (status == CF_EXIT_OK && c.refused > 0)
                status = CF_EXIT_FAILURE;
        cf_log(failed || c.refused ? CF_LOG_WARN : CF_LOG_INFO, "produce",
               "%" PRIu64 " record(s) delivered to %s, %" PRIu64
               " failed, %" PRIu64 " line(s) refused",
               delivered, topic, failed, c.refused);
out:
        cf_kproducer_destroy(c.prod);
        cf_serde_destroy(c.serde);
        cf_avro_destroy(c.av);
        cf_buf_clear(&c.buf);
        cf_event_clear(&c.ev);
        if (in && in != stdin)
                fclose(in);
        cf_config_clear(&cfg);
        return status;
}
