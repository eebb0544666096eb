/* cspflow: the AsyncAPI 3.0 document of cspflow's topics, and what each
 * embedded schema (embedded.h) is: its topic, full name and fingerprint.
 *
 * The document (`cspflow schemas --asyncapi`, checked in as
 * docs/asyncapi.yaml) has one channel per topic (events, actions, audit,
 * state, dlq: addresses from the configuration), one message per schema with
 * the .avsc as an Avro payload schema (schemaFormat
 * application/vnd.apache.avro+json;version=1.9.0, the text parsed as JSON so
 * `default`, `doc` and `logicalType` stay), the record key, the headers
 * producer/emit.c writes, and the operations (receive events; send actions,
 * audit, state, dlq). docs/schemas.md explains it.
 *
 * Deterministic: the same schemas and configuration give the same bytes
 * (members in a fixed order, schemas in file-name order).
 *
 * Pure: no I/O. Ownership: cf_asyncapi_dump() hands the caller a malloc'd
 * NUL-terminated string to free(). */
#ifndef CF_ASYNCAPI_H
#define CF_ASYNCAPI_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/error.h"
#include "schemas/embedded.h"

/** The topic a schema's records are written to. */
typedef enum cf_schema_topic_e {
        CF_SCHEMA_TOPIC_NONE = 0, /**< a schema no topic carries */
        CF_SCHEMA_TOPIC_EVENTS,   /**< input event types */
        CF_SCHEMA_TOPIC_ACTIONS,  /**< output event types */
        CF_SCHEMA_TOPIC_AUDIT,    /**< the audit record */
        CF_SCHEMA_TOPIC_STATE     /**< the migration state */
} cf_schema_topic_t;

/** Topic of an embedded schema, by its file name (without .avsc). */
cf_schema_topic_t cf_schema_topic(const char *name);
/** "events", "actions", "audit", "state", or "-" for NONE. */
const char *cf_schema_topic_name(cf_schema_topic_t t);

/** Full name (namespace.name) of a schema's top-level named type into
 *  fullname, and its CRC-64-AVRO fingerprint (canonical.h) into *fp.
 *  CF_ERR_INVALID (errstr says why) when the text is not a named schema,
 *  CF_ERR_LIMIT when the name does not fit, CF_ERR_NOMEM. */
cf_err_t cf_schema_describe(const cf_embedded_schema_t *s, char *fullname,
                            size_t fullname_size, uint64_t *fp, char *errstr,
                            size_t errstr_size);

/** The embedded schema with this file name (without .avsc), or NULL. */
const cf_embedded_schema_t *cf_schema_find(const char *name);

/** The AsyncAPI 3.0 document as indented JSON (a valid YAML document too),
 *  without a final newline, into *out. cfg gives the topic names, the group,
 *  and, when kafka.bootstrap.servers is set, a server; with registry.url
 *  too, the Kafka bindings of the schema registry (server:
 *  schemaRegistryUrl without user information, schemaRegistryVendor
 *  confluent; events, actions and audit messages: schemaIdLocation
 *  payload, schemaIdPayloadEncoding confluent, schemaLookupStrategy
 *  TopicRecordNameStrategy, x-schema-registry-subject).
 *  version is info.version. CF_ERR_USAGE when registry.url is set without
 *  kafka.bootstrap.servers, CF_ERR_INVALID when an embedded schema does
 *  not parse, CF_ERR_NOMEM; *out is NULL then. */
cf_err_t cf_asyncapi_dump(const cf_config_t *cfg, const char *version,
                          char **out, char *errstr, size_t errstr_size);

#endif
