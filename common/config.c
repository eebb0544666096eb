/* cspflow: the table of configuration keys, setting one, printing all
 * (config.h). The file and environment layers are in config_load.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strutil.h"

#define KAFKA_PREFIX "kafka."

typedef enum ktype_e {
        KT_STR,     /* a non-empty string (char *) */
        KT_OPT_STR, /* a string, empty = unset (NULL) (char *) */
        KT_INT,     /* a whole number in [min, max] (int) */
        KT_ENUM,    /* one of names, stored as its index (int) */
        KT_BOOL,    /* true or false (bool) */
        KT_CHOICE,  /* one of names, stored as the string (char *) */
} ktype_t;

/* One key. check, when set, refuses a value the type accepts: it returns
 * NULL or why not. */
typedef struct ckey_s {
        const char *key;
        ktype_t type;
        size_t offset;            /* of the field in cf_config_t */
        const char *def;          /* the default, as a file would write it */
        long min, max;            /* KT_INT */
        const char *const *names; /* KT_ENUM, KT_CHOICE; NULL-terminated */
        const char *(*check)(const char *value);
} ckey_t;

static const char *const mode_names[] = {"eos", "at-least-once", NULL};
static const char *const log_levels[] = {"error", "warn", "info", "debug",
                                         NULL};
static const char *const log_formats[] = {"auto", "json", "text", NULL};

static const char *not_zero(const char *value) {
        return strcmp(value, "0") == 0 ? "is 0, not a replication factor"
                                       : NULL;
}

static const char *zero_or_1000(const char *value) {
        long v;
        return cf_parse_long(value, 1, 999, &v)
                   ? "is under 1000 (0: librdkafka's default)"
                   : NULL;
}

#define OFF(f) offsetof(cf_config_t, f)
#define STR(k, f, d)                                                           \
        { k, KT_STR, OFF(f), d, 0, 0, NULL, NULL }
#define OPT_STR(k, f)                                                          \
        { k, KT_OPT_STR, OFF(f), "", 0, 0, NULL, NULL }
#define INT(k, f, d, lo, hi)                                                   \
        { k, KT_INT, OFF(f), d, lo, hi, NULL, NULL }
#define INT_CHECK(k, f, d, lo, hi, chk)                                        \
        { k, KT_INT, OFF(f), d, lo, hi, NULL, chk }
#define ENUM(k, f, d, names)                                                   \
        { k, KT_ENUM, OFF(f), d, 0, 0, names, NULL }
#define CHOICE(k, f, d, names)                                                 \
        { k, KT_CHOICE, OFF(f), d, 0, 0, names, NULL }
#define BOOL(k, f, d)                                                          \
        { k, KT_BOOL, OFF(f), d, 0, 0, NULL, NULL }

/* Every key but kafka.*: one line each, in the order --dump prints. A new
 * key is a field of cf_config_t and a line here (and a row of
 * docs/configuration.md). */
static const ckey_t keys[] = {
    STR("group", group, CF_CONFIG_DEFAULT_GROUP),
    ENUM("mode", mode, "eos", mode_names),
    OPT_STR("transactional.id", transactional_id),
    STR("topic.events", topic_events, "csp.migration.events"),
    STR("topic.actions", topic_actions, "csp.migration.actions"),
    STR("topic.audit", topic_audit, "csp.migration.audit"),
    STR("topic.state", topic_state, "csp.migration.state"),
    STR("topic.dlq", topic_dlq, "csp.migration.dlq"),
    INT("topics.partitions", partitions, "12", 1, 100000),
    INT_CHECK("topics.replication.factor", replication_factor, "-1", -1, 32767,
              not_zero),
    INT("batch.max.records", batch_max_records, "2000", 1, 1000000),
    INT("batch.max.ms", batch_max_ms, "100", 1, 3600000),
    INT_CHECK("transaction.timeout.ms", transaction_timeout_ms, "0", 0, 3600000,
              zero_or_1000),
    CHOICE("log.level", log_level, "info", log_levels),
    CHOICE("log.format", log_format, "auto", log_formats),
    OPT_STR("http.listen", http_listen),
    OPT_STR("registry.url", registry_url),
    INT("registry.timeout.ms", registry_timeout_ms, "5000", 1, 3600000),
    INT("registry.connect.timeout.ms", registry_connect_timeout_ms, "2000", 1,
        3600000),
    INT("registry.retries", registry_retries, "3", 0, 100),
    INT("registry.retry.backoff.ms", registry_retry_backoff_ms, "100", 0,
        60000),
    INT("registry.response.max.bytes", registry_response_max_bytes, "1048576",
        1024, 64 * 1048576),
    INT("registry.startup.timeout.ms", registry_startup_timeout_ms, "0", 0,
        86400000),
    BOOL("registry.auto.register", registry_auto_register, "true"),
    OPT_STR("registry.basic.auth.user.info", registry_basic_auth),
    OPT_STR("registry.ssl.ca.location", registry_ssl_ca),
    OPT_STR("registry.ssl.certificate.location", registry_ssl_cert),
    OPT_STR("registry.ssl.key.location", registry_ssl_key),
    BOOL("registry.ssl.verify", registry_ssl_verify, "true"),
    OPT_STR("schemas.writers.dir", schemas_writers_dir),
    /* caps on the worker's input: default = maximum = common/limits.h's
     * (tests/unit/test_limits.c checks the two agree) */
    INT("limits.record.bytes", limits.record_bytes, "1048576", 16,
        CF_RECORD_MAX),
    INT("limits.id.bytes", limits.id_bytes, "128", 1, CF_ID_MAX),
    INT("limits.text.bytes", limits.text_bytes, "512", 0, CF_TEXT_MAX),
    INT("limits.roles", limits.roles, "16", 1, CF_ROLES_MAX),
    INT("limits.subscriptions", limits.subscriptions, "256", 1, CF_SUBS_MAX),
    INT("limits.keys.per.partition", limits.keys_per_partition, "1000000", 1,
        CF_KEYS_PER_PARTITION_MAX),
};

#define N_OF(a)           (sizeof(a) / sizeof((a)[0]))
#define FIELD(c, k, type) ((type *)((char *)(c) + (k)->offset))

cf_err_t cf_config_set_str(char **dst, const char *value) {
        char *s = cf_strdup(value);
        if (!s)
                return CF_ERR_NOMEM;
        free(*dst);
        *dst = s;
        return CF_OK;
}

static const ckey_t *find_key(const char *key) {
        for (size_t i = 0; i < N_OF(keys); i++)
                if (strcmp(keys[i].key, key) == 0)
                        return &keys[i];
        return NULL;
}

/* "'value' (from origin)", the value masked when secret. */
static void bad_value(char *errstr, size_t errstr_size, const char *key,
                      const char *value, const char *origin, const char *why) {
        cf_errstr_set(errstr, errstr_size, "%s: %s: '%s' %s", origin, key,
                      cf_log_secret_key(key) ? "***" : value, why);
}

/* Checks value for k and stores it. */
static cf_err_t set_typed(cf_config_t *c, const ckey_t *k, const char *value,
                          const char *origin, char *errstr,
                          size_t errstr_size) {
        char why[256];
        const char *refused = k->check ? k->check(value) : NULL;
        long v = 0;

        if (refused) {
                bad_value(errstr, errstr_size, k->key, value, origin, refused);
                return CF_ERR_USAGE;
        }
        switch (k->type) {
        case KT_STR:
                if (!*value) {
                        bad_value(errstr, errstr_size, k->key, value, origin,
                                  "is empty");
                        return CF_ERR_USAGE;
                }
                return cf_config_set_str(FIELD(c, k, char *), value);
        case KT_OPT_STR:
                if (!*value) {
                        free(*FIELD(c, k, char *));
                        *FIELD(c, k, char *) = NULL;
                        return CF_OK;
                }
                return cf_config_set_str(FIELD(c, k, char *), value);
        case KT_INT:
                if (!cf_parse_long(value, k->min, k->max, &v)) {
                        snprintf(why, sizeof(why),
                                 "is not a whole number in [%ld, %ld]", k->min,
                                 k->max);
                        bad_value(errstr, errstr_size, k->key, value, origin,
                                  why);
                        return CF_ERR_USAGE;
                }
                *FIELD(c, k, int) = (int)v;
                return CF_OK;
        case KT_ENUM:
        case KT_CHOICE:
                for (int i = 0; k->names[i]; i++) {
                        if (strcmp(value, k->names[i]) != 0)
                                continue;
                        if (k->type == KT_CHOICE)
                                return cf_config_set_str(FIELD(c, k, char *),
                                                         value);
                        *FIELD(c, k, int) = i;
                        return CF_OK;
                }
                snprintf(why, sizeof(why), "is not one of");
                for (int i = 0; k->names[i]; i++) {
                        size_t n = strlen(why);
                        snprintf(why + n, sizeof(why) - n, "%s %s",
                                 i ? "," : "", k->names[i]);
                }
                bad_value(errstr, errstr_size, k->key, value, origin, why);
                return CF_ERR_USAGE;
        case KT_BOOL:
                if (strcmp(value, "true") && strcmp(value, "false")) {
                        bad_value(errstr, errstr_size, k->key, value, origin,
                                  "is neither true nor false");
                        return CF_ERR_USAGE;
                }
                *FIELD(c, k, bool) = strcmp(value, "true") == 0;
                return CF_OK;
        }
        return CF_ERR_USAGE;
}

static cf_err_t set_kafka(cf_config_t *c, const char *prop, const char *value,
                          const char *origin, char *errstr,
                          size_t errstr_size) {
        cf_config_kv_t *kv;

        if (!*prop) {
                cf_errstr_set(errstr, errstr_size,
                              "%s: '" KAFKA_PREFIX "' names no librdkafka "
                              "property",
                              origin);
                return CF_ERR_USAGE;
        }
        for (size_t i = 0; i < c->n_kafka; i++)
                if (strcmp(c->kafka[i].key, prop) == 0)
                        return cf_config_set_str(&c->kafka[i].value, value) ||
                                       cf_config_set_str(&c->kafka[i].origin,
                                                         origin)
                                   ? CF_ERR_NOMEM
                                   : CF_OK;
        if (c->n_kafka >= CF_CONFIG_KAFKA_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "%s: more than %d " KAFKA_PREFIX "* properties",
                              origin, CF_CONFIG_KAFKA_MAX);
                return CF_ERR_USAGE;
        }
        kv = realloc(c->kafka, (c->n_kafka + 1) * sizeof(*kv));
        if (!kv)
                return CF_ERR_NOMEM;
        c->kafka = kv;
        kv = &c->kafka[c->n_kafka];
        kv->key = cf_strdup(prop);
        kv->value = cf_strdup(value);
        kv->origin = cf_strdup(origin);
        if (!kv->key || !kv->value || !kv->origin) {
                free(kv->key);
                free(kv->value);
                free(kv->origin);
                return CF_ERR_NOMEM;
        }
        c->n_kafka++;
        return CF_OK;
}

cf_err_t cf_config_set(cf_config_t *c, const char *key, const char *value,
                       const char *origin, char *errstr, size_t errstr_size) {
        const ckey_t *k;
        cf_err_t err;

        /* before anything can print it */
        if ((err = cf_log_register_config(key, value)) != CF_OK) {
                cf_errstr_set(errstr, errstr_size,
                              "%s: %s: cannot register its value as a secret",
                              origin, key);
                return err == CF_ERR_NOMEM ? CF_ERR_NOMEM : CF_ERR_USAGE;
        }
        if (strncmp(key, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) == 0)
                return set_kafka(c, key + strlen(KAFKA_PREFIX), value, origin,
                                 errstr, errstr_size);
        if (!(k = find_key(key))) {
                cf_errstr_set(errstr, errstr_size, "%s: unknown key '%s'",
                              origin, key);
                return CF_ERR_USAGE;
        }
        if ((err = set_typed(c, k, value, origin, errstr, errstr_size)) !=
            CF_OK)
                return err;
        return cf_config_set_str(&c->origins[k - keys], origin);
}

cf_err_t cf_config_init(cf_config_t *c) {
        char errstr[256];

        memset(c, 0, sizeof(*c));
        if (!(c->origins = calloc(N_OF(keys), sizeof(*c->origins))))
                return CF_ERR_NOMEM;
        for (size_t i = 0; i < N_OF(keys); i++)
                if (cf_config_set(c, keys[i].key, keys[i].def, "default",
                                  errstr, sizeof(errstr)) != CF_OK)
                        return CF_ERR_NOMEM; /* the defaults are valid */
        return CF_OK;
}

void cf_config_clear(cf_config_t *c) {
        for (size_t i = 0; i < N_OF(keys); i++)
                if (keys[i].type == KT_STR || keys[i].type == KT_OPT_STR ||
                    keys[i].type == KT_CHOICE)
                        free(*FIELD(c, &keys[i], char *));
        for (size_t i = 0; c->origins && i < N_OF(keys); i++)
                free(c->origins[i]);
        free(c->origins);
        for (size_t i = 0; i < c->n_kafka; i++) {
                free(c->kafka[i].key);
                free(c->kafka[i].value);
                free(c->kafka[i].origin);
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

const char *cf_config_origin(const cf_config_t *c, const char *key) {
        const ckey_t *k;
        if (strncmp(key, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) == 0) {
                for (size_t i = 0; i < c->n_kafka; i++)
                        if (strcmp(c->kafka[i].key,
                                   key + strlen(KAFKA_PREFIX)) == 0)
                                return c->kafka[i].origin;
                return NULL;
        }
        k = find_key(key);
        return k && c->origins ? c->origins[k - keys] : NULL;
}

/* The value of k as a file would write it, into buf. */
static const char *value_text(const cf_config_t *c, const ckey_t *k, char *buf,
                              size_t size) {
        const char *s;
        switch (k->type) {
        case KT_STR:
        case KT_OPT_STR:
        case KT_CHOICE:
                s = *FIELD(c, k, char *const);
                return s ? s : "";
        case KT_INT:
                snprintf(buf, size, "%d", *FIELD(c, k, const int));
                return buf;
        case KT_ENUM:
                return k->names[*FIELD(c, k, const int)];
        case KT_BOOL:
                return *FIELD(c, k, const bool) ? "true" : "false";
        }
        return "";
}

/* value with the password of a URL's user:password@ part as ***, into
 * buf. */
static const char *mask_url(const char *value, char *buf, size_t size) {
        const char *scheme = strstr(value, "://"), *at, *colon;
        if (!scheme || !(at = strchr(scheme + 3, '@')))
                return value;
        colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
        if (!colon || memchr(scheme + 3, '/', (size_t)(at - (scheme + 3))))
                return value;
        snprintf(buf, size, "%.*s***%s", (int)(colon + 1 - value), value, at);
        return buf;
}

static int dump_line(FILE *fp, int width, const char *key, const char *value,
                     const char *origin) {
        char buf[1024];
        if (cf_log_secret_key(key))
                value = "***";
        else
                value = mask_url(value, buf, sizeof(buf));
        return fprintf(fp, "%-*s %-*s  %s\n", width, key, 24,
                       *value ? value : "(unset)", origin) < 0
                   ? -1
                   : 0;
}

int cf_config_dump(const cf_config_t *c, FILE *fp) {
        char buf[64], key[300];
        int width = 0;

        for (size_t i = 0; i < N_OF(keys); i++)
                if ((int)strlen(keys[i].key) > width)
                        width = (int)strlen(keys[i].key);
        for (size_t i = 0; i < c->n_kafka; i++)
                if ((int)(strlen(c->kafka[i].key) + 6) > width)
                        width = (int)(strlen(c->kafka[i].key) + 6);
        if (width > 60)
                width = 60;
        for (size_t i = 0; i < N_OF(keys); i++)
                if (dump_line(fp, width, keys[i].key,
                              value_text(c, &keys[i], buf, sizeof(buf)),
                              c->origins[i]) != 0)
                        return -1;
        for (size_t i = 0; i < c->n_kafka; i++) {
                snprintf(key, sizeof(key), KAFKA_PREFIX "%s", c->kafka[i].key);
                if (dump_line(fp, width, key, c->kafka[i].value,
                              c->kafka[i].origin) != 0)
                        return -1;
        }
        return fflush(fp) == 0 ? 0 : -1;
}

int cf_config_mode_from_name(const char *s) {
        for (int i = 0; mode_names[i]; i++)
                if (strcmp(s, mode_names[i]) == 0)
                        return i;
        return -1;
}

const char *cf_config_mode_name(cf_mode_t m) {
        return m == CF_MODE_AT_LEAST_ONCE ? "at-least-once" : "eos";
}
