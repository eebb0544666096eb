/* cspflow: the AsyncAPI 3.0 document of cspflow's topics (asyncapi.h). */
#include "asyncapi.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/reject.h"
#include "common/strutil.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"
#include "schemas/canonical.h"

#define AVRO_FORMAT    "application/vnd.apache.avro+json;version=1.9.0"
#define KAFKA_BINDING  "0.5.0"
#define CE_TYPE_PREFIX "io.cspflow.migration."

/* Shared component schemas (AsyncAPI Schema format). */
#define SCHEMA_KEY      "record-key"
#define SCHEMA_KEY_NULL "record-key-or-null"
#define SCHEMA_CE       "cloudevents-headers"
#define SCHEMA_DLQ      "dlq-headers"
#define MESSAGE_DLQ     "dead-letter"

cf_schema_topic_t cf_schema_topic(const char *name) {
        cf_event_type_t t = cf_event_type_from_name(name);
        if (cf_event_type_is_input(t))
                return CF_SCHEMA_TOPIC_EVENTS;
        if (cf_event_type_is_output(t))
                return CF_SCHEMA_TOPIC_ACTIONS;
        if (!strcmp(name, CF_AVRO_AUDIT_SCHEMA))
                return CF_SCHEMA_TOPIC_AUDIT;
        if (!strcmp(name, CF_AVRO_STATE_SCHEMA))
                return CF_SCHEMA_TOPIC_STATE;
        return CF_SCHEMA_TOPIC_NONE;
}

const char *cf_schema_topic_name(cf_schema_topic_t t) {
        switch (t) {
        case CF_SCHEMA_TOPIC_EVENTS:
                return "events";
        case CF_SCHEMA_TOPIC_ACTIONS:
                return "actions";
        case CF_SCHEMA_TOPIC_AUDIT:
                return "audit";
        case CF_SCHEMA_TOPIC_STATE:
                return "state";
        default:
                return "-";
        }
}

const cf_embedded_schema_t *cf_schema_find(const char *name) {
        for (size_t i = 0; i < cf_embedded_schemas_n; i++)
                if (!strcmp(cf_embedded_schemas[i].name, name))
                        return &cf_embedded_schemas[i];
        return NULL;
}

/* The parsed .avsc; NULL with errstr set when it is not JSON. */
static json_t *parse(const cf_embedded_schema_t *s, char *errstr,
                     size_t errstr_size) {
        json_error_t jerr;
        json_t *j = json_loadb(s->text, s->len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                cf_errstr_set(errstr, errstr_size, "%s.avsc: line %d: %s",
                              s->name, jerr.line, jerr.text);
        return j;
}

/* Full name of the parsed schema's top-level named type. */
static cf_err_t full_name(const cf_embedded_schema_t *s, const json_t *j,
                          char *out, size_t size, char *errstr,
                          size_t errstr_size) {
        const char *name = json_string_value(json_object_get(j, "name"));
        const char *ns = json_string_value(json_object_get(j, "namespace"));
        int n;
        if (!name || !*name) {
                cf_errstr_set(errstr, errstr_size,
                              "%s.avsc: not a named schema", s->name);
                return CF_ERR_INVALID;
        }
        if (strchr(name, '.') || !ns || !*ns)
                n = snprintf(out, size, "%s", name);
        else
                n = snprintf(out, size, "%s.%s", ns, name);
        if (n < 0 || (size_t)n >= size) {
                cf_errstr_set(errstr, errstr_size, "%s.avsc: name too long",
                              s->name);
                return CF_ERR_LIMIT;
        }
        return CF_OK;
}

cf_err_t cf_schema_describe(const cf_embedded_schema_t *s, char *fullname,
                            size_t fullname_size, uint64_t *fp, char *errstr,
                            size_t errstr_size) {
        json_t *j = parse(s, errstr, errstr_size);
        cf_err_t err;
        if (!j)
                return CF_ERR_INVALID;
        err = full_name(s, j, fullname, fullname_size, errstr, errstr_size);
        json_decref(j);
        if (err != CF_OK)
                return err;
        return cf_canonical_fingerprint(s->text, s->len, fp, errstr,
                                        errstr_size);
}

/* ------------------------------------------------------------ builders */

/* {"$ref": "#/<a>/<b>[/<c>[/<d>]]"} (c, d may be NULL) */
static json_t *ref(const char *a, const char *b, const char *c, const char *d) {
        char buf[512];
        snprintf(buf, sizeof(buf), "#/%s/%s%s%s%s%s", a, b, c ? "/" : "",
                 c ? c : "", d ? "/" : "", d ? d : "");
        return json_pack("{s:s}", "$ref", buf);
}

static json_t *kafka_binding(json_t *fields) {
        if (!fields)
                return NULL;
        if (json_object_set_new(fields, "bindingVersion",
                                json_string(KAFKA_BINDING))) {
                json_decref(fields);
                return NULL;
        }
        return json_pack("{s:o}", "kafka", fields);
}

static json_t *string_prop(const char *desc) {
        return json_pack("{s:s,s:s}", "type", "string", "description", desc);
}

static json_t *ce_headers(void) {
        return json_pack(
            "{s:s,s:s,s:[sssssss],s:{s:{s:s,s:s,s:s},s:o,s:o,s:o,s:o,s:o,s:{s:"
            "s,s:s,s:s}}}",
            "type", "object", "description",
            "CloudEvents 1.0 Kafka protocol binding, binary content mode: "
            "one header per attribute, UTF-8 values.",
            "required", "ce_specversion", "ce_id", "ce_source", "ce_type",
            "ce_time", "ce_subject", "content-type", "properties",
            "ce_specversion", "type", "string", "const", "1.0", "description",
            "CloudEvents spec version.", "ce_id",
            string_prop("The event's event_id."), "ce_source",
            string_prop("urn:cspflow:<consumer group of the worker>."),
            "ce_type",
            string_prop("io.cspflow.migration.<kebab-case event type>."),
            "ce_time",
            json_pack("{s:s,s:s,s:s}", "type", "string", "format", "date-time",
                      "description",
                      "The event's occurred_at, ISO-8601 UTC as the JSON "
                      "lines write it, e.g. 2026-03-01T09:00:00Z."),
            "ce_subject",
            string_prop("The record key, <partner_id>/<customer_tenant_id>."),
            "content-type", "type", "string", "const", "application/avro",
            "description", "The value's media type.");
}

static json_t *dlq_headers(void) {
        json_t *codes = json_array();
        for (int r = CF_REJ_NONE + 1; codes && r < CF_REJ__COUNT; r++)
                if (json_array_append_new(
                        codes, json_string(cf_reject_name((cf_reject_t)r)))) {
                        json_decref(codes);
                        return NULL;
                }
        return json_pack(
            "{s:s,s:s,s:[sssss],s:{s:{s:s,s:o,s:s},s:o,s:o,s:{s:s,s:s,s:s},s:"
            "{s:s,s:s,s:s}}}",
            "type", "object", "description",
            "Why the input was refused and where it was read; UTF-8 values.",
            "required", "dlq_reason", "dlq_detail", "dlq_source_topic",
            "dlq_source_partition", "dlq_source_offset", "properties",
            "dlq_reason", "type", "string", "enum", codes, "description",
            "The reject code (docs/rules.md).", "dlq_detail",
            string_prop("What was wrong, printable ASCII."), "dlq_source_topic",
            string_prop("The topic the input was read from."),
            "dlq_source_partition", "type", "string", "pattern", "^[0-9]+$",
            "description", "Its partition, a decimal string.",
            "dlq_source_offset", "type", "string", "pattern", "^[0-9]+$",
            "description", "Its offset, a decimal string.");
}

/* The shared AsyncAPI-format schemas of components.schemas. */
static int add_shared_schemas(json_t *schemas) {
        json_t *key = json_pack(
            "{s:s,s:s,s:[s]}", "type", "string", "description",
            "The migration's key, <partner_id>/<customer_tenant_id> (UTF-8). "
            "Every record of one migration has it, on the partition number of "
            "its input.",
            "examples", "partner-1/tenant-1");
        json_t *key_null = json_pack(
            "{s:[ss],s:s}", "type", "string", "null", "description",
            "The input's key: <partner_id>/<customer_tenant_id>, or the key "
            "as received for an undecodable input, or null when it had none "
            "or it was not valid UTF-8.");
        return json_object_set_new(schemas, SCHEMA_KEY, key) ||
               json_object_set_new(schemas, SCHEMA_KEY_NULL, key_null) ||
               json_object_set_new(schemas, SCHEMA_CE, ce_headers()) ||
               json_object_set_new(schemas, SCHEMA_DLQ, dlq_headers());
}

static const char framing_text[] =
    "Value: Avro single-object encoding (C3 01, the writer schema's "
    "CRC-64-AVRO fingerprint as 8 bytes little-endian, the binary body); "
    "x-avro-fingerprint is the fingerprint as a 16-digit hex number.";

static const char framing_confluent_text[] =
    "Value: Confluent wire format (00, the writer schema's id in the schema "
    "registry of the server's binding as 4 bytes big-endian, the binary "
    "body); the schema is registered under the subject "
    "x-schema-registry-subject, <topic>-<record full name> "
    "(TopicRecordNameStrategy). Values written without a registry are in "
    "Avro single-object encoding (C3 01, the CRC-64-AVRO fingerprint "
    "x-avro-fingerprint as 8 bytes little-endian, the body): the first byte "
    "tells the framings apart, and cspflow reads both.";

/* True when registry.url is set: events, actions and audit values are then
 * in the Confluent wire format (docs/registry.md); state records never. */
static bool registry_on(const cf_config_t *cfg) {
        return cfg->registry_url && *cfg->registry_url;
}

static bool confluent_framed(const cf_config_t *cfg, cf_schema_topic_t t) {
        return registry_on(cfg) &&
               (t == CF_SCHEMA_TOPIC_EVENTS || t == CF_SCHEMA_TOPIC_ACTIONS ||
                t == CF_SCHEMA_TOPIC_AUDIT);
}

static const char *topic_address(const cf_config_t *cfg, cf_schema_topic_t t) {
        switch (t) {
        case CF_SCHEMA_TOPIC_EVENTS:
                return cfg->topic_events;
        case CF_SCHEMA_TOPIC_ACTIONS:
                return cfg->topic_actions;
        case CF_SCHEMA_TOPIC_AUDIT:
                return cfg->topic_audit;
        case CF_SCHEMA_TOPIC_STATE:
                return cfg->topic_state;
        default:
                return cfg->topic_dlq;
        }
}

/* The message's Kafka binding: its key, and with a registry where the
 * schema id is (Kafka bindings 0.5.0: schemaIdLocation, ...). */
static json_t *message_binding(const cf_config_t *cfg, cf_schema_topic_t t) {
        json_t *b = json_pack(
            "{s:o}", "key",
            ref("components", "schemas",
                t == CF_SCHEMA_TOPIC_AUDIT ? SCHEMA_KEY_NULL : SCHEMA_KEY,
                NULL));
        if (b && confluent_framed(cfg, t) &&
            (json_object_set_new(b, "schemaIdLocation",
                                 json_string("payload")) ||
             json_object_set_new(b, "schemaIdPayloadEncoding",
                                 json_string("confluent")) ||
             json_object_set_new(b, "schemaLookupStrategy",
                                 json_string("TopicRecordNameStrategy")))) {
                json_decref(b);
                return NULL;
        }
        return kafka_binding(b);
}

/* components.messages.<name> for one schema. */
static json_t *schema_message(const cf_config_t *cfg,
                              const cf_embedded_schema_t *s, const json_t *avsc,
                              const char *fullname, uint64_t fp,
                              cf_schema_topic_t topic) {
        const char *doc = json_string_value(json_object_get(avsc, "doc"));
        bool confluent = confluent_framed(cfg, topic);
        char fp_hex[17], ce_type[CF_ID_MAX + 32];
        json_t *m, *headers = NULL, *subject;

        snprintf(fp_hex, sizeof(fp_hex), "%016llx", (unsigned long long)fp);
        m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "name", fullname, "title",
                      s->name, "summary", doc ? doc : s->name, "description",
                      confluent ? framing_confluent_text : framing_text,
                      "contentType", "application/avro", "payload",
                      ref("components", "schemas", s->name, NULL));
        if (!m)
                return NULL;
        if (topic == CF_SCHEMA_TOPIC_ACTIONS) {
                snprintf(ce_type, sizeof(ce_type), CE_TYPE_PREFIX "%s",
                         s->name);
                headers = json_pack(
                    "{s:s,s:[o,{s:s,s:{s:{s:s,s:s}}}]}", "type", "object",
                    "allOf", ref("components", "schemas", SCHEMA_CE, NULL),
                    "type", "object", "properties", "ce_type", "type", "string",
                    "const", ce_type);
                if (!headers || json_object_set_new(m, "headers", headers))
                        goto fail;
        }
        if (json_object_set_new(m, "bindings", message_binding(cfg, topic)) ||
            json_object_set_new(m, "x-avro-fingerprint", json_string(fp_hex)))
                goto fail;
        if (confluent) {
                subject =
                    json_sprintf("%s-%s", topic_address(cfg, topic), fullname);
                if (!subject || json_object_set_new(
                                    m, "x-schema-registry-subject", subject))
                        goto fail;
        }
        return m;
fail:
        json_decref(m);
        return NULL;
}

static json_t *dlq_message(void) {
        return json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "name", "DeadLetter", "title",
            MESSAGE_DLQ, "summary",
            "An input the worker refused (rule 13), key and value unchanged.",
            "description",
            "The value is the input record's value as it was read (usually an "
            "events message, but any bytes: the reason may be that it did not "
            "decode); the key is the input's key (may be null or not UTF-8). "
            "The headers say why.",
            "contentType", "application/octet-stream", "headers",
            ref("components", "schemas", SCHEMA_DLQ, NULL), "bindings",
            kafka_binding(
                json_pack("{s:{s:s}}", "key", "description",
                          "The input's key, unchanged (any bytes, or null).")));
}

/* ------------------------------------------------------------ channels */

typedef struct chan_s {
        const char *id;
        cf_schema_topic_t topic; /* NONE: the DLQ */
        const char *title;
        const char *desc;
        const char *op_id;
        const char *action;
        const char *op_summary;
} chan_t;

static const chan_t chans[] = {
    {"events", CF_SCHEMA_TOPIC_EVENTS, "Input events",
     "What cspflow consumes: the input event types, one record per event, "
     "keyed by migration. Producers may use any partitioner; the worker "
     "writes every record caused by input partition p to partition p of the "
     "other topics. Headers are ignored.",
     "receiveEvents", "receive",
     "The worker consumes the events in a consumer group, read_committed, "
     "and commits its outputs and the consumed offsets in one transaction "
     "per batch (or, in at-least-once mode, after flushing them)."},
    {"actions", CF_SCHEMA_TOPIC_ACTIONS, "Actions",
     "What cspflow decides: the output event types, with CloudEvents "
     "headers. Read with isolation.level=read_committed.",
     "sendActions", "send", "The worker writes the output events."},
    {"audit", CF_SCHEMA_TOPIC_AUDIT, "Audit",
     "One AuditRecord per input handled: applied, duplicate or rejected.",
     "sendAudit", "send", "The worker writes one audit record per input."},
    {"state", CF_SCHEMA_TOPIC_STATE, "Migration state",
     "The state of every migration changed in a transaction (compacted: the "
     "last record of a key is its state). The worker restores from it.",
     "sendState", "send", "The worker writes the changed states."},
    {"dlq", CF_SCHEMA_TOPIC_NONE, "Dead-letter queue",
     "Inputs the worker refused, unchanged, with the reason in headers.",
     "sendDlq", "send", "The worker dead-letters the inputs it refuses."},
};

/* The channel and its operation, messages from names (msgs: the message
 * ids of this topic, in order). */
static int add_channel(json_t *channels, json_t *operations,
                       const cf_config_t *cfg, const chan_t *c,
                       const json_t *msgs) {
        json_t *ch_msgs = json_object(), *op_msgs = json_array();
        json_t *binding = json_object(), *ch, *op;
        size_t i;
        json_t *v;

        if (!ch_msgs || !op_msgs || !binding)
                goto fail;
        json_array_foreach(msgs, i, v) {
                const char *name = json_string_value(v);
                if (json_object_set_new(
                        ch_msgs, name,
                        ref("components", "messages", name, NULL)) ||
                    json_array_append_new(
                        op_msgs, ref("channels", c->id, "messages", name)))
                        goto fail;
        }
        if (c->topic == CF_SCHEMA_TOPIC_STATE &&
            json_object_set_new(
                binding, "topicConfiguration",
                json_pack("{s:[s]}", "cleanup.policy", "compact")))
                goto fail;
        ch = json_pack("{s:s,s:s,s:s,s:o,s:o}", "address",
                       topic_address(cfg, c->topic), "title", c->title,
                       "description", c->desc, "messages", ch_msgs, "bindings",
                       kafka_binding(binding));
        ch_msgs = binding = NULL;
        if (!ch || json_object_set_new(channels, c->id, ch))
                goto fail;
        op = json_pack("{s:s,s:o,s:s,s:o}", "action", c->action, "channel",
                       ref("channels", c->id, NULL, NULL), "summary",
                       c->op_summary, "messages", op_msgs);
        op_msgs = NULL;
        if (op && c->topic == CF_SCHEMA_TOPIC_EVENTS &&
            json_object_set_new(
                op, "bindings",
                kafka_binding(
                    json_pack("{s:{s:s,s:s,s:s}}", "groupId", "type", "string",
                              "default", cfg->group, "description",
                              "cspflow run --group (default cspflow)")))) {
                json_decref(op);
                return -1;
        }
        return op ? json_object_set_new(operations, c->op_id, op) : -1;
fail:
        json_decref(ch_msgs);
        json_decref(op_msgs);
        json_decref(binding);
        return -1;
}

/* The server's Kafka binding: with a registry, its URL (without any
 * user:password@) and vendor. */
static json_t *server_binding(const cf_config_t *cfg) {
        json_t *b = json_object();
        char *url;
        int bad;
        if (!b || !registry_on(cfg))
                return kafka_binding(b);
        if (!(url = cf_url_strip_userinfo(cfg->registry_url))) {
                json_decref(b);
                return NULL;
        }
        bad = json_object_set_new(b, "schemaRegistryUrl", json_string(url)) ||
              json_object_set_new(b, "schemaRegistryVendor",
                                  json_string("confluent"));
        free(url);
        if (bad) {
                json_decref(b);
                return NULL;
        }
        return kafka_binding(b);
}

static bool has_server(const cf_config_t *cfg) {
        const char *boot = cf_config_kafka_get(cfg, "bootstrap.servers");
        return boot && *boot;
}

/* servers.kafka when a bootstrap address is known; 0 when none. */
static int add_server(json_t *root, const cf_config_t *cfg) {
        const char *boot = cf_config_kafka_get(cfg, "bootstrap.servers");
        const char *sec = cf_config_kafka_get(cfg, "security.protocol");
        char host[512], desc[1024];
        size_t n;
        if (!has_server(cfg))
                return 0;
        n = strcspn(boot, ",");
        snprintf(host, sizeof(host), "%.*s", (int)n, boot);
        snprintf(desc, sizeof(desc), "Kafka bootstrap servers: %s", boot);
        return json_object_set_new(
                   root, "servers",
                   json_pack(
                       "{s:{s:s,s:s,s:s,s:o}}", "kafka", "host", host,
                       "protocol",
                       sec && (!cf_str_ieq(sec, "plaintext")) ? "kafka-secure"
                                                              : "kafka",
                       "description", desc, "bindings", server_binding(cfg)))
                   ? -1
                   : 0;
}

static const char info_text[] =
    "The Kafka topics of cspflow, the worker that automates Microsoft CSP "
    "license migrations. Every record is keyed by migration "
    "(<partner_id>/<customer_tenant_id>); values are Avro single-object "
    "records of the schemas in schemas/avro. Generated by `cspflow schemas "
    "--asyncapi`; docs/schemas.md explains how to read the topics and how "
    "the schemas evolve.";

static const char info_registry_text[] =
    "The Kafka topics of cspflow, the worker that automates Microsoft CSP "
    "license migrations. Every record is keyed by migration "
    "(<partner_id>/<customer_tenant_id>); values are Avro records of the "
    "schemas in schemas/avro, in the Confluent wire format with the schema "
    "registry of the server's binding (events, actions, audit; the state "
    "topic stays Avro single-object). Generated by `cspflow schemas "
    "--asyncapi` with registry.url set; docs/schemas.md explains how to "
    "read the topics and how the schemas evolve.";

/* The whole document; NULL with errstr set. */
static json_t *build(const cf_config_t *cfg, const char *version, char *errstr,
                     size_t errstr_size) {
        json_t *root, *channels, *operations, *schemas, *messages;
        json_t *names[CF_SCHEMA_TOPIC_STATE + 1] = {0};
        json_t *avsc = NULL;
        char fullname[512];
        uint64_t fp;

        root =
            json_pack("{s:s,s:{s:s,s:s,s:s},s:s}", "asyncapi", "3.0.0", "info",
                      "title", "cspflow", "version", version, "description",
                      registry_on(cfg) ? info_registry_text : info_text,
                      "defaultContentType", "application/avro");
        channels = json_object();
        operations = json_object();
        schemas = json_object();
        messages = json_object();
        for (size_t i = 0; i <= CF_SCHEMA_TOPIC_STATE; i++)
                if (!(names[i] = json_array()))
                        goto nomem;
        if (!root || !channels || !operations || !schemas || !messages ||
            add_server(root, cfg) || add_shared_schemas(schemas))
                goto nomem;
        for (size_t i = 0; i < cf_embedded_schemas_n; i++) {
                const cf_embedded_schema_t *s = &cf_embedded_schemas[i];
                cf_schema_topic_t t = cf_schema_topic(s->name);
                json_t *m, *js;
                if (!(avsc = parse(s, errstr, errstr_size)) ||
                    full_name(s, avsc, fullname, sizeof(fullname), errstr,
                              errstr_size) != CF_OK ||
                    cf_canonical_fingerprint(s->text, s->len, &fp, errstr,
                                             errstr_size) != CF_OK)
                        goto fail;
                if (json_object_get(schemas, s->name)) {
                        cf_errstr_set(errstr, errstr_size,
                                      "%s.avsc: name taken", s->name);
                        goto fail;
                }
                /* json_pack's "o" takes avsc, also when it fails */
                js = json_pack("{s:s,s:o}", "schemaFormat", AVRO_FORMAT,
                               "schema", avsc);
                avsc = NULL;
                if (!js || json_object_set_new(schemas, s->name, js) ||
                    !(m = schema_message(cfg, s, json_object_get(js, "schema"),
                                         fullname, fp, t)) ||
                    json_object_set_new(messages, s->name, m) ||
                    json_array_append_new(names[t], json_string(s->name)))
                        goto nomem;
        }
        if (json_object_set_new(messages, MESSAGE_DLQ, dlq_message()) ||
            json_array_append_new(names[CF_SCHEMA_TOPIC_NONE],
                                  json_string(MESSAGE_DLQ)))
                goto nomem;
        for (size_t i = 0; i < sizeof(chans) / sizeof(chans[0]); i++)
                if (add_channel(channels, operations, cfg, &chans[i],
                                names[chans[i].topic]))
                        goto nomem;
        for (size_t i = 0; i <= CF_SCHEMA_TOPIC_STATE; i++)
                json_decref(names[i]);
        if (json_object_set_new(root, "channels", channels) ||
            json_object_set_new(root, "operations", operations) ||
            json_object_set_new(root, "components",
                                json_pack("{s:o,s:o}", "schemas", schemas,
                                          "messages", messages))) {
                json_decref(root);
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return NULL;
        }
        return root;
nomem:
        cf_errstr_set(errstr, errstr_size, "out of memory");
fail:
        json_decref(avsc);
        for (size_t i = 0; i <= CF_SCHEMA_TOPIC_STATE; i++)
                json_decref(names[i]);
        json_decref(root);
        json_decref(channels);
        json_decref(operations);
        json_decref(schemas);
        json_decref(messages);
        return NULL;
}

cf_err_t cf_asyncapi_dump(const cf_config_t *cfg, const char *version,
                          char **out, char *errstr, size_t errstr_size) {
        json_t *doc;

        *out = NULL;
        /* The message bindings that say where the schema id is must not
         * appear without the server binding that names the registry. */
        if (registry_on(cfg) && !has_server(cfg)) {
                cf_errstr_set(errstr, errstr_size,
                              "registry.url is set but kafka.bootstrap.servers "
                              "is not (--bootstrap): the Kafka bindings name "
                              "the schema registry on the server");
                return CF_ERR_USAGE;
        }
        if (!(doc = build(cfg, version, errstr, errstr_size)))
                return strstr(errstr, "out of memory") ? CF_ERR_NOMEM
                                                       : CF_ERR_INVALID;
        *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!*out) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        return CF_OK;
}
