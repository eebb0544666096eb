/* cspflow: the configuration of the Kafka commands, in layers.
 *
 * One table of keys (config.c, one line per key) gives each key its type,
 * its range and its default. A setting comes, lowest first, from
 *
 *   1. the default of the table,
 *   2. the configuration file (--config FILE): `key=value` lines; blank
 *      lines and lines whose first non-blank character is `#` are ignored;
 *      blanks around key and value are dropped,
 *   3. the environment: CSPFLOW_<KEY> (cf_config_env_name() spells it),
 *   4. the command's flags (cf_config_set() with origin "flag --x").
 *
 * Each later layer overrides the one before; every setting remembers where
 * it came from (cf_config_origin()), which `cspflow config --dump` prints.
 * docs/configuration.md lists the keys and the environment mapping.
 *
 * kafka.<property> keys pass to librdkafka for every client, as written.
 *
 * Secrets: every value whose key names a secret (cf_log_secret_key in
 * log.h: password, secret, jaas, token, key.pem, basic.auth, ...) is
 * registered with the logger, which never prints it; --dump and the error
 * messages print it as ***.
 *
 * A key the table does not hold is refused (CF_ERR_USAGE naming the key and
 * where it came from: "FILE:LINE", "environment CSPFLOW_X", "flag --x"), a
 * value out of range too. Pure: no Kafka here (the consumer/ and producer/
 * layers read the struct).
 *
 * Ownership: cf_config_init() fills the defaults; every string the struct
 * holds is owned by it and freed by cf_config_clear(). */
#ifndef CF_CONFIG_H
#define CF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "limits.h"

typedef enum cf_mode_e {
        CF_MODE_EOS = 0,      /**< one Kafka transaction per batch */
        CF_MODE_AT_LEAST_ONCE /**< produce, flush, then commit offsets */
} cf_mode_t;

/** One `kafka.<property>=value` setting, without the prefix. */
typedef struct cf_config_kv_s {
        char *key;
        char *value;
        char *origin; /**< where it was set, as cf_config_origin() says */
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
/** The prefix of the environment variables. */
#define CF_CONFIG_ENV_PREFIX "CSPFLOW_"

/** The settings. A field the table of config.c names is set through it;
 *  a string key with no value holds NULL. */
typedef struct cf_config_s {
        char *group;            /**< group: consumer group id */
        char *transactional_id; /**< transactional.id; NULL: "<group>-0" */
        int mode;               /**< mode: a cf_mode_t */
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
        cf_limits_t limits;         /**< limits.* (docs/limits.md) */
        cf_config_kv_t *kafka;      /**< owned, n_kafka of them, in order */
        size_t n_kafka;
        char **origins; /**< owned, one per key of the table */
        /* the schema registry (docs/registry.md); NULL url: off */
        char *registry_url;
        char *registry_basic_auth; /**< "user:password": a secret */
        char *registry_ssl_ca;
        char *registry_ssl_cert;
        char *registry_ssl_key;
        int registry_timeout_ms;
        int registry_connect_timeout_ms;
        int registry_retries;
        int registry_retry_backoff_ms;
        int registry_response_max_bytes;
        int registry_startup_timeout_ms; /**< 0: wait for it for ever */
        bool registry_ssl_verify;
        bool registry_auto_register;
        char *schemas_writers_dir; /**< extra writer .avsc files, or NULL */
} cf_config_t;

/** The defaults. CF_ERR_NOMEM on allocation failure (the struct is then
 *  safe to clear). */
cf_err_t cf_config_init(cf_config_t *c);
void cf_config_clear(cf_config_t *c);

/** Replaces *dst with a copy of value. CF_ERR_NOMEM on failure. */
cf_err_t cf_config_set_str(char **dst, const char *value);

/** Sets one key from origin (a short text: "FILE:LINE", "environment
 *  CSPFLOW_X", "flag --x"; copied). CF_ERR_USAGE for an unknown key or a
 *  bad value (errstr names the key, the value and the origin; the old
 *  value stays), CF_ERR_NOMEM. */
cf_err_t cf_config_set(cf_config_t *c, const char *key, const char *value,
                       const char *origin, char *errstr, size_t errstr_size);

/** Parses a whole file's text (len bytes); `name` is the origin of each
 *  line, as "name:LINE". CF_ERR_USAGE, CF_ERR_NOMEM. */
cf_err_t cf_config_parse(cf_config_t *c, const char *text, size_t len,
                         const char *name, char *errstr, size_t errstr_size);

/** Reads and parses a file. CF_ERR_IO when it cannot be read (errstr says
 *  why), else as cf_config_parse. */
cf_err_t cf_config_load(cf_config_t *c, const char *path, char *errstr,
                        size_t errstr_size);

/** Applies the CSPFLOW_* variables of envp (NAME=VALUE strings, NULL
 *  terminated, such as environ). A variable that names no key fails
 *  (CF_ERR_USAGE naming it) unless it is one of the scripts' own
 *  (cf_config_env_reserved()). */
cf_err_t cf_config_env(cf_config_t *c, char *const *envp, char *errstr,
                       size_t errstr_size);

/** The variable of a key: CSPFLOW_ + the key upper-cased with `_` -> `__`,
 *  `-` -> `___`, then `.` -> `_` (kafka.sasl.password ->
 *  CSPFLOW_KAFKA_SASL_PASSWORD). False when it does not fit. */
bool cf_config_env_name(const char *key, char *buf, size_t size);

/** The key of a variable (the inverse of cf_config_env_name: lower-cased,
 *  `___` -> `-`, `__` -> `_`, `_` -> `.`). False when name does not start
 *  with CSPFLOW_, holds other than A-Z 0-9 _, or does not fit. */
bool cf_config_key_from_env(const char *name, char *buf, size_t size);

/** True for the variables of scripts/ and tests/ that share the prefix
 *  (CSPFLOW_BOOTSTRAP, CSPFLOW_KAFKA_PORT, ...): never configuration. */
bool cf_config_env_reserved(const char *name);

/** Where a key's value came from ("default", "FILE:LINE", "environment
 *  CSPFLOW_X", "flag --x"); NULL for a key that is not set (a kafka.*
 *  property never given) or unknown. Owned by c. */
const char *cf_config_origin(const cf_config_t *c, const char *key);

/** Writes every key (the table's, then the kafka.* properties), its value
 *  (secrets as ***, and the password of a URL's user:password@ part) and
 *  its origin, one aligned line each. Returns 0, or
 *  -1 on a write error. */
int cf_config_dump(const cf_config_t *c, FILE *fp);

/** A librdkafka property set with kafka.<key>, or NULL. */
const char *cf_config_kafka_get(const cf_config_t *c, const char *key);

/** Parses "eos" / "at-least-once"; -1 when neither. */
int cf_config_mode_from_name(const char *s);
const char *cf_config_mode_name(cf_mode_t m);

#endif
