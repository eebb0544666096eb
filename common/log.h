/* cspflow: the one logger of every command (docs/operations.md).
 *
 *   cf_log(CF_LOG_INFO, "worker", "restored %zu record(s)", n);
 *
 * Each message is one line on stderr: a JSON object
 * {"ts":"2024-05-01T12:00:00.123Z","level":"info","component":"worker",
 *  "msg":"..."} when stderr is not a terminal (or the format is json), a
 * readable "2024-05-01T12:00:00.123Z INFO  worker: ..." when it is (or the
 * format is text). Messages below the level (config key log.level, default
 * info) are dropped before they are formatted.
 *
 * Redaction: a message never holds a value registered as secret. The
 * configuration registers every value whose key names a secret
 * (cf_log_secret_key) through cf_log_register_config, and any value can be
 * registered with cf_log_add_secret; each occurrence is printed as "***".
 *
 * Thread safety: every function may be called from any thread; one line is
 * written with one fwrite under a mutex, so lines never interleave. The
 * level check is a relaxed atomic load (no lock for a dropped message).
 *
 * Ownership: the logger keeps its own copies of secrets (freed by
 * cf_log_reset); it never closes the stream given to cf_log_set_output. */
#ifndef CF_LOG_H
#define CF_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"

typedef enum cf_log_level_e {
        CF_LOG_ERROR = 0, /**< the command fails or loses work */
        CF_LOG_WARN,      /**< something is wrong but handled */
        CF_LOG_INFO,      /**< what an operator wants to see (default) */
        CF_LOG_DEBUG,     /**< for a developer */
} cf_log_level_t;

typedef enum cf_log_format_e {
        CF_LOG_FORMAT_AUTO = 0, /**< text on a terminal, else JSON */
        CF_LOG_FORMAT_JSON,
        CF_LOG_FORMAT_TEXT,
} cf_log_format_t;

/** Longest message printed, in bytes after redaction; a longer one is cut
 *  and ends with "...". */
#define CF_LOG_MSG_MAX (64 * 1024)
/** Most secrets registered (cf_log_add_secret refuses more). */
#define CF_LOG_SECRETS_MAX 1024

/** Logs one message (printf format) from component (a short name such as
 *  "worker" or "rdkafka.producer.FAIL"). No trailing newline needed. */
void cf_log(cf_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cf_vlog(cf_log_level_t level, const char *component, const char *fmt,
             va_list ap) __attribute__((format(printf, 3, 0)));

/** True when a message of this level would be printed. */
bool cf_log_enabled(cf_log_level_t level);

void cf_log_set_level(cf_log_level_t level);
cf_log_level_t cf_log_get_level(void);
/** "error", "warn" (or "warning"), "info", "debug"; -1 for anything else. */
int cf_log_level_from_name(const char *name);
/** Static lower-case name of a level. */
const char *cf_log_level_name(cf_log_level_t level);
/** A syslog level (0 emerg .. 7 debug, as librdkafka logs) as ours. */
cf_log_level_t cf_log_level_from_syslog(int syslog_level);

void cf_log_set_format(cf_log_format_t format);
/** "auto", "json", "text"; -1 for anything else. */
int cf_log_format_from_name(const char *name);

/** Where lines go: NULL is stderr (the default). The stream is not owned.
 *  With CF_LOG_FORMAT_AUTO, the terminal test is made on this stream. */
void cf_log_set_output(FILE *fp);

/** Registers a value that must never be printed (copied; an empty value
 *  is ignored, one registered before is kept once). CF_ERR_NOMEM,
 *  CF_ERR_LIMIT past CF_LOG_SECRETS_MAX. */
cf_err_t cf_log_add_secret(const char *value);

/** True when a configuration key names a secret: it contains "password",
 *  "secret", "jaas", "token", "credential", "private", "key.pem",
 *  "basic.auth" or "user.info", or starts with (kafka.)sasl.oauthbearer.
 *  (ASCII case-insensitive). */
bool cf_log_secret_key(const char *key);

/** What a configuration key=value holds that must never be printed: the
 *  whole value when the key names a secret (and in it, the text after the
 *  first ':' and every password="..." quoted value); for any key, the
 *  password of a URL's user:password@ part. CF_ERR_NOMEM, CF_ERR_LIMIT. */
cf_err_t cf_log_register_config(const char *key, const char *value);

/** Back to the defaults: level info, format auto, stderr, no secrets
 *  (their copies freed). For tests and the end of main. */
void cf_log_reset(void);

#endif
