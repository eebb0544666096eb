#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strutil.h"

/* Largest config file read, in bytes. */
#define CONFIG_FILE_MAX (4 * 1024 * 1024)
#define KAFKA_PREFIX    "kafka."

typedef struct int_key_s {
        const char *key;
        size_t offset; /* of the int in cf_config_t */
        long min, max;
} int_key_t;

static const int_key_t int_keys[] = {
    {"topics.partitions", offsetof(cf_config_t, partitions), 1, 100000},
    {"topics.replication.factor", offsetof(cf_config_t, replication_factor), -1,
     32767},
    {"batch.max.records", offsetof(cf_config_t, batch_max_records), 1, 1000000},
    {"batch.max.ms", offsetof(cf_config_t, batch_max_ms), 1, 3600000},
    {"transaction.timeout.ms", offsetof(cf_config_t, transaction_timeout_ms),
     1000, 3600000},
};

typedef struct str_key_s {
        const char *key;
        size_t offset;              /* of the char * in cf_config_t */
        const char *const *choices; /* NULL-terminated; NULL: any */
} str_key_t;

static const char *const log_levels[] = {"error", "warn", "info", "debug",
                                         NULL};
static const char *const log_formats[] = {"auto", "json", "text", NULL};

static const str_key_t str_keys[] = {
    {"topic.events", offsetof(cf_config_t, topic_events), NULL},
    {"topic.actions", offsetof(cf_config_t, topic_actions), NULL},
    {"topic.audit", offsetof(cf_config_t, topic_audit), NULL},
    {"topic.state", offsetof(cf_config_t, topic_state), NULL},
    {"topic.dlq", offsetof(cf_config_t, topic_dlq), NULL},
    {"log.level", offsetof(cf_config_t, log_level), log_levels},
    {"log.format", offsetof(cf_config_t, log_format), log_formats},
    {"http.listen", offsetof(cf_config_t, http_listen), NULL},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

cf_err_t cf_config_set_str(char **dst, const char *value) {
        char *s = cf_strdup(value);
        if (!s)
                return CF_ERR_NOMEM;
        free(*dst);
        *dst = s;
        return CF_OK;
}

cf_err_t cf_config_init(cf_config_t *c) {
        memset(c, 0, sizeof(*c));
        c->mode = CF_MODE_EOS;
        c->partitions = CF_CONFIG_DEFAULT_PARTITIONS;
        c->replication_factor = CF_CONFIG_DEFAULT_RF;
        c->batch_max_records = CF_CONFIG_DEFAULT_BATCH;
        c->batch_max_ms = CF_CONFIG_DEFAULT_BATCH_MS;
        if (cf_config_set_str(&c->group, CF_CONFIG_DEFAULT_GROUP) ||
            cf_config_set_str(&c->topic_events, "csp.migration.events") ||
            cf_config_set_str(&c->topic_actions, "csp.migration.actions") ||
            cf_config_set_str(&c->topic_audit, "csp.migration.audit") ||
            cf_config_set_str(&c->topic_state, "csp.migration.state") ||
            cf_config_set_str(&c->topic_dlq, "csp.migration.dlq") ||
            cf_config_set_str(&c->log_level, "info") ||
            cf_config_set_str(&c->log_format, "auto"))
                return CF_ERR_NOMEM;
        return CF_OK;
}

void cf_config_clear(cf_config_t *c) {
        free(c->bootstrap);
        free(c->group);
        free(c->transactional_id);
        for (size_t i = 0; i < N_OF(str_keys); i++)
                free(*(char **)((char *)c + str_keys[i].offset));
        for (size_t i = 0; i < c->n_kafka; i++) {
                free(c->kafka[i].key);
                free(c->kafka[i].value);
        }
        free(c->kafka);
        memset(c, 0, sizeof(*c));
}

const char *cf_config_kafka_get(const cf_config_t *c, const char *key) {
        for (size_t i = 0; i < c->n_kafka; i++)
                if (strcmp(c->kafka[i].key, key) == 0)
                        return c->kafka[i].value;
        return NULL;
}

static cf_err_t set_kafka(cf_config_t *c, const char *prop, const char *value,
                          char *errstr, size_t errstr_size) {
        cf_config_kv_t *kv;

        if (!*prop) {
                cf_errstr_set(errstr, errstr_size,
                              "'" KAFKA_PREFIX "' names no librdkafka "
                              "property");
                return CF_ERR_USAGE;
        }
        for (size_t i = 0; i < c->n_kafka; i++)
                if (strcmp(c->kafka[i].key, prop) == 0)
                        return cf_config_set_str(&c->kafka[i].value, value);
        if (c->n_kafka >= CF_CONFIG_KAFKA_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "more than %d " KAFKA_PREFIX "* properties",
                              CF_CONFIG_KAFKA_MAX);
                return CF_ERR_USAGE;
        }
        kv = realloc(c->kafka, (c->n_kafka + 1) * sizeof(*kv));
        if (!kv)
                return CF_ERR_NOMEM;
        c->kafka = kv;
        kv = &c->kafka[c->n_kafka];
        kv->key = cf_strdup(prop);
        kv->value = cf_strdup(value);
        if (!kv->key || !kv->value) {
                free(kv->key);
                free(kv->value);
                return CF_ERR_NOMEM;
        }
        c->n_kafka++;
        return CF_OK;
}

/* value is one of choices (NULL: anything); else errstr lists them. */
static bool is_choice(const char *key, const char *const *choices,
                      const char *value, char *errstr, size_t errstr_size) {
        char list[128] = "";
        size_t at = 0;

        if (!choices)
                return true;
        for (const char *const *p = choices; *p; p++) {
                if (strcmp(*p, value) == 0)
                        return true;
                at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s",
                                       p == choices ? "" : ", ", *p);
                if (at >= sizeof(list))
                        at = sizeof(list) - 1;
        }
        cf_errstr_set(errstr, errstr_size, "%s: '%s' is not one of %s", key,
                      value, list);
        return false;
}

cf_err_t cf_config_set(cf_config_t *c, const char *key, const char *value,
                       char *errstr, size_t errstr_size) {
        cf_err_t err = cf_log_register_config(key, value);
        if (err != CF_OK) {
                cf_errstr_set(errstr, errstr_size,
                              "%s: cannot register its value as a secret", key);
                return err == CF_ERR_NOMEM ? CF_ERR_NOMEM : CF_ERR_USAGE;
        }
        if (strncmp(key, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) == 0)
                return set_kafka(c, key + strlen(KAFKA_PREFIX), value, errstr,
                                 errstr_size);
        for (size_t i = 0; i < N_OF(str_keys); i++) {
                if (strcmp(key, str_keys[i].key) != 0)
                        continue;
                if (!*value) {
                        cf_errstr_set(errstr, errstr_size,
                                      "%s: cannot be empty", key);
                        return CF_ERR_USAGE;
                }
                if (!is_choice(key, str_keys[i].choices, value, errstr,
                               errstr_size))
                        return CF_ERR_USAGE;
                return cf_config_set_str(
                    (char **)((char *)c + str_keys[i].offset), value);
        }
        for (size_t i = 0; i < N_OF(int_keys); i++) {
                long v;
                if (strcmp(key, int_keys[i].key) != 0)
                        continue;
                if (!cf_parse_long(value, int_keys[i].min, int_keys[i].max,
                                   &v) ||
                    (int_keys[i].offset ==
                         offsetof(cf_config_t, replication_factor) &&
                     v == 0)) {
                        cf_errstr_set(
                            errstr, errstr_size,
                            "%s: '%s' is not a whole number in "
                            "[%ld, %ld]%s",
                            key, value, int_keys[i].min, int_keys[i].max,
                            int_keys[i].min < 0 ? " other than 0" : "");
                        return CF_ERR_USAGE;
                }
                *(int *)((char *)c + int_keys[i].offset) = (int)v;
                return CF_OK;
        }
        cf_errstr_set(errstr, errstr_size, "unknown key '%s'", key);
        return CF_ERR_USAGE;
}

static bool is_blank(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Trims blanks around [*s, *s + *n). */
static void trim(const char **s, size_t *n) {
        while (*n > 0 && is_blank(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && is_blank((*s)[*n - 1]))
                (*n)--;
}

/* Handles one line (no newline). */
static cf_err_t parse_line(cf_config_t *c, const char *line, size_t n,
                           const char *name, unsigned long lineno, char *errstr,
                           size_t errstr_size) {
        char key[256], why[512];
        char *value;
        const char *eq, *k, *v;
        size_t kn, vn;
        cf_err_t err;

        trim(&line, &n);
        if (n == 0 || line[0] == '#')
                return CF_OK;
        if (memchr(line, '\0', n)) {
                cf_errstr_set(errstr, errstr_size,
                              "%s:%lu: the line holds a NUL byte", name,
                              lineno);
                return CF_ERR_USAGE;
        }
        if (!(eq = memchr(line, '=', n))) {
                cf_errstr_set(errstr, errstr_size, "%s:%lu: expected key=value",
                              name, lineno);
                return CF_ERR_USAGE;
        }
        k = line;
        kn = (size_t)(eq - line);
        v = eq + 1;
        vn = n - kn - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (kn == 0 || kn >= sizeof(key)) {
                cf_errstr_set(errstr, errstr_size, "%s:%lu: %s key", name,
                              lineno, kn ? "over-long" : "empty");
                return CF_ERR_USAGE;
        }
        memcpy(key, k, kn);
        key[kn] = '\0';
        if (!(value = malloc(vn + 1)))
                return CF_ERR_NOMEM;
        memcpy(value, v, vn);
        value[vn] = '\0';
        err = cf_config_set(c, key, value, why, sizeof(why));
        free(value);
        if (err == CF_ERR_USAGE)
                cf_errstr_set(errstr, errstr_size, "%s:%lu: %s", name, lineno,
                              why);
        else if (err == CF_ERR_NOMEM)
                cf_errstr_set(errstr, errstr_size, "out of memory");
        return err;
}

cf_err_t cf_config_parse(cf_config_t *c, const char *text, size_t len,
                         const char *name, char *errstr, size_t errstr_size) {
        unsigned long lineno = 0;
        size_t pos = 0;

        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
                cf_err_t err;

                lineno++;
                if (n > CF_CONFIG_LINE_MAX) {
                        cf_errstr_set(errstr, errstr_size,
                                      "%s:%lu: line over %d bytes", name,
                                      lineno, CF_CONFIG_LINE_MAX);
                        return CF_ERR_USAGE;
                }
                err = parse_line(c, text + pos, n, name, lineno, errstr,
                                 errstr_size);
                if (err != CF_OK)
                        return err;
                pos += n + (nl ? 1 : 0);
        }
        return CF_OK;
}

cf_err_t cf_config_load(cf_config_t *c, const char *path, char *errstr,
                        size_t errstr_size) {
        FILE *fp = fopen(path, "rb");
        char *text = NULL;
        size_t len = 0;
        cf_err_t err;

        if (!fp) {
                cf_errstr_set(errstr, errstr_size, "%s: %s", path,
                              strerror(errno));
                return CF_ERR_IO;
        }
        if (!(text = malloc(CONFIG_FILE_MAX + 1))) {
                fclose(fp);
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        len = fread(text, 1, CONFIG_FILE_MAX + 1, fp);
        if (ferror(fp)) {
                cf_errstr_set(errstr, errstr_size, "%s: read error", path);
                err = CF_ERR_IO;
        } else if (len > CONFIG_FILE_MAX) {
                cf_errstr_set(errstr, errstr_size, "%s: over %d bytes", path,
                              CONFIG_FILE_MAX);
                err = CF_ERR_USAGE;
        } else {
                err = cf_config_parse(c, text, len, path, errstr, errstr_size);
        }
        free(text);
        fclose(fp);
        return err;
}

int cf_config_mode_from_name(const char *s) {
        if (strcmp(s, "eos") == 0)
                return CF_MODE_EOS;
        if (strcmp(s, "at-least-once") == 0)
                return CF_MODE_AT_LEAST_ONCE;
        return -1;
}

const char *cf_config_mode_name(cf_mode_t m) {
        return m == CF_MODE_AT_LEAST_ONCE ? "at-least-once" : "eos";
}
