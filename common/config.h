/* cspflow: the settings of the Kafka commands (run, produce, tail), and the
 * parser of their configuration file.
 *
 * The file is `key=value` lines; blank lines and lines whose first
 * non-blank character is `#` are ignored; blanks around key and value are
 * dropped. Keys:
 *
 *   kafka.<property>           passed to librdkafka for every client, as
 *                              written (kafka.security.protocol, ...)
 *   topic.events, topic.actions, topic.audit, topic.state, topic.dlq
 *   topics.partitions          partitions of topics created (1..100000)
 *   topics.replication.factor  -1 (the broker's default) or 1..32767
 *   batch.max.records          records per transaction (1..1000000)
 *   batch.max.ms               longest wait filling a batch (1..3600000)
 *   transaction.timeout.ms     the producer's (1000..3600000)
 *   log.level                  error, warn, info (default), debug
 *   log.format                 auto (default: text on a terminal, else
 *                              JSON lines), json, text
 *   http.listen                HOST:PORT of run's HTTP endpoint (off when
 *                              unset; docs/operations.md)
 *
 * Every value whose key names a secret (password, SASL, ...: see
 * cf_log_secret_key in log.h) is registered with the logger, which never
 * prints it.
 *
 * Any other key is refused (CF_ERR_USAGE naming it and its line). A key
 * given twice keeps its last value. Flags set the fields directly after
 * the file is read, so they win.
 *
 * Pure: no Kafka here (the consumer/ and producer/ layers read the struct).
 *
 * Ownership: cf_config_init() sets the defaults and allocates nothing; every
 * string the struct holds is owned by it (set them with cf_config_set_str)
 * and freed by cf_config_clear(). */
#ifndef CF_CONFIG_H
#define CF_CONFIG_H

#include <stddef.h>

#include "error.h"

typedef enum cf_mode_e {
        CF_MODE_EOS = 0,      /**< one Kafka transaction per batch */
        CF_MODE_AT_LEAST_ONCE /**< produce, flush, then commit offsets */
} cf_mode_t;

/** One `kafka.<property>=value` line, without the prefix. */
typedef struct cf_config_kv_s {
        char *key;
        char *value;
} cf_config_kv_t;

#define CF_CONFIG_DEFAULT_GROUP      "cspflow"
#define CF_CONFIG_DEFAULT_PARTITIONS 12
#define CF_CONFIG_DEFAULT_RF         (-1)
#define CF_CONFIG_DEFAULT_BATCH      500
#define CF_CONFIG_DEFAULT_BATCH_MS   100
/** Longest config file line, in bytes. */
#define CF_CONFIG_LINE_MAX 65536
/** Most kafka.* properties. */
#define CF_CONFIG_KAFKA_MAX 256

typedef struct cf_config_s {
        char *bootstrap;        /**< NULL: kafka.bootstrap.servers or none */
        char *group;            /**< consumer group id */
        char *transactional_id; /**< NULL: "<group>-0" */
        cf_mode_t mode;
        char *topic_events;
        char *topic_actions;
        char *topic_audit;
        char *topic_state;
        char *topic_dlq;
        int partitions;
        int replication_factor;
        int batch_max_records;
        int batch_max_ms;
        int transaction_timeout_ms; /**< 0: librdkafka's default */
        char *log_level;            /**< "info", ... (log.h) */
        char *log_format;           /**< "auto", "json", "text" */
        char *http_listen;          /**< NULL: no HTTP endpoint */
        cf_config_kv_t *kafka;      /**< owned, n_kafka of them, in order */
        size_t n_kafka;
} cf_config_t;

/** The defaults (topics csp.migration.*). CF_ERR_NOMEM on allocation
 *  failure (the struct is then safe to clear). */
cf_err_t cf_config_init(cf_config_t *c);
void cf_config_clear(cf_config_t *c);

/** Replaces *dst with a copy of value. CF_ERR_NOMEM on failure. */
cf_err_t cf_config_set_str(char **dst, const char *value);

/** One key of the file. CF_ERR_USAGE for an unknown key or a bad value
 *  (errstr says which), CF_ERR_NOMEM. */
cf_err_t cf_config_set(cf_config_t *c, const char *key, const char *value,
                       char *errstr, size_t errstr_size);

/** Parses a whole file's text (len bytes); `name` prefixes errors as
 *  "name:LINE: ...". CF_ERR_USAGE, CF_ERR_NOMEM. */
cf_err_t cf_config_parse(cf_config_t *c, const char *text, size_t len,
                         const char *name, char *errstr, size_t errstr_size);

/** Reads and parses a file. CF_ERR_IO when it cannot be read (errstr says
 *  why), else as cf_config_parse. */
cf_err_t cf_config_load(cf_config_t *c, const char *path, char *errstr,
                        size_t errstr_size);

/** A librdkafka property set with kafka.<key>, or NULL. */
const char *cf_config_kafka_get(const cf_config_t *c, const char *key);

/** Parses "eos" / "at-least-once"; -1 when neither. */
int cf_config_mode_from_name(const char *s);
const char *cf_config_mode_name(cf_mode_t m);

#endif
