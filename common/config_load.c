/* cspflow: the file and environment layers of the configuration
 * (config.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Largest config file read, in bytes. */
#define CONFIG_FILE_MAX (4 * 1024 * 1024)
/* Longest key, and longest variable name read. */
#define KEY_MAX 256

/* The variables of scripts/, bench/ and tests/ under the same prefix: not
 * configuration, never read as such. A script that adds one adds it here
 * (and to docs/configuration.md); scripts/check fails on one missing. */
static const char *const reserved_env[] = {
    "CSPFLOW_ASYNCAPI_CACHE",
    "CSPFLOW_BENCH_KAFKA_CONTROLLER_PORT",
    "CSPFLOW_BENCH_KAFKA_DIR",
    "CSPFLOW_BENCH_KAFKA_PORT",
    "CSPFLOW_BINARY",
    "CSPFLOW_BOOTSTRAP",
    "CSPFLOW_CRASH_KILLS",
    "CSPFLOW_CRASH_MIGRATIONS",
    "CSPFLOW_CRASH_SEED",
    "CSPFLOW_FAKE_REGISTRY_LOG",
    "CSPFLOW_FAKE_REGISTRY_PORT",
    "CSPFLOW_FASTAVRO_VENV",
    "CSPFLOW_FAULTS",
    "CSPFLOW_FAULTS_KAFKA_CONTROLLER_PORT",
    "CSPFLOW_FAULTS_KAFKA_PORT",
    "CSPFLOW_FAULTS_MIGRATIONS",
    "CSPFLOW_FAULTS_SEED",
    "CSPFLOW_FENCING_SEED",
    "CSPFLOW_JAVA_REGISTRY_TEST_PORT",
    "CSPFLOW_KAFKA_CACHE",
    "CSPFLOW_KAFKA_CONTROLLER_PORT",
    "CSPFLOW_KAFKA_DIR",
    "CSPFLOW_KAFKA_EXTRA_CONFIG",
    "CSPFLOW_KAFKA_HEAP_OPTS",
    "CSPFLOW_KAFKA_HOST",
    "CSPFLOW_KAFKA_INTERNAL_PORT",
    "CSPFLOW_KAFKA_JVM_OPTS",
    "CSPFLOW_KAFKA_MVN_ARGS",
    "CSPFLOW_KAFKA_PORT",
    "CSPFLOW_KAFKA_START_TIMEOUT",
    "CSPFLOW_KAFKA_STOP_TIMEOUT",
    "CSPFLOW_KAFKA_VERSION",
    "CSPFLOW_REGISTRY_KAFKA_TEST_PORT",
    "CSPFLOW_REGISTRY_TEST_PORT",
    "CSPFLOW_REQUIRE_ALL",
    "CSPFLOW_SANITIZE",
    "CSPFLOW_SASL_PORT_BASE",
    "CSPFLOW_TESTS",
    "CSPFLOW_TEST_HTTP_PORT",
    "CSPFLOW_VERSION",
    "CSPFLOW_WERROR",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

bool cf_config_env_reserved(const char *name) {
        for (size_t i = 0; i < N_OF(reserved_env); i++)
                if (strcmp(name, reserved_env[i]) == 0)
                        return true;
        return false;
}

bool cf_config_env_name(const char *key, char *buf, size_t size) {
        size_t n = strlen(CF_CONFIG_ENV_PREFIX);

        if (size <= n)
                return false;
        memcpy(buf, CF_CONFIG_ENV_PREFIX, n);
        for (; *key; key++) {
                const char *out;
                char one[2] = {0, 0};
                if (*key == '.')
                        out = "_";
                else if (*key == '_')
                        out = "__";
                else if (*key == '-')
                        out = "___";
                else {
                        one[0] = (char)toupper((unsigned char)*key);
                        out = one;
                }
                for (; *out; out++) {
                        if (n + 1 >= size)
                                return false;
                        buf[n++] = *out;
                }
        }
        buf[n] = '\0';
        return true;
}

bool cf_config_key_from_env(const char *name, char *buf, size_t size) {
        size_t p = strlen(CF_CONFIG_ENV_PREFIX), n = 0;

        if (strncmp(name, CF_CONFIG_ENV_PREFIX, p) != 0 || !name[p])
                return false;
        for (name += p; *name;) {
                char ch = *name;
                if (ch == '_') {
                        size_t run = strspn(name, "_");
                        if (run > 3)
                                return false;
                        ch = run == 1 ? '.' : run == 2 ? '_' : '-';
                        name += run;
                } else if ((ch >= 'A' && ch <= 'Z') ||
                           (ch >= '0' && ch <= '9')) {
                        ch = (char)tolower((unsigned char)ch);
                        name++;
                } else {
                        return false;
                }
                if (n + 1 >= size)
                        return false;
                buf[n++] = ch;
        }
        buf[n] = '\0';
        return true;
}

cf_err_t cf_config_env(cf_config_t *c, char *const *envp, char *errstr,
                       size_t errstr_size) {
        size_t plen = strlen(CF_CONFIG_ENV_PREFIX);

        for (; envp && *envp; envp++) {
                const char *eq = strchr(*envp, '=');
                char name[KEY_MAX], key[KEY_MAX], origin[KEY_MAX + 16];
                size_t n;
                cf_err_t err;

                if (strncmp(*envp, CF_CONFIG_ENV_PREFIX, plen) != 0 || !eq)
                        continue;
                n = (size_t)(eq - *envp);
                if (n >= sizeof(name)) {
                        cf_errstr_set(
                            errstr, errstr_size,
                            "environment: a variable name of %zu "
                            "bytes starting with " CF_CONFIG_ENV_PREFIX,
                            n);
                        return CF_ERR_USAGE;
                }
                memcpy(name, *envp, n);
                name[n] = '\0';
                if (cf_config_env_reserved(name))
                        continue;
                snprintf(origin, sizeof(origin), "environment %s", name);
                if (!cf_config_key_from_env(name, key, sizeof(key))) {
                        cf_errstr_set(errstr, errstr_size,
                                      "%s: names no configuration key (see "
                                      "docs/configuration.md)",
                                      origin);
                        return CF_ERR_USAGE;
                }
                err =
                    cf_config_set(c, key, eq + 1, origin, errstr, errstr_size);
                if (err != CF_OK)
                        return err;
        }
        return CF_OK;
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
        char key[KEY_MAX], origin[1100];
        char *value;
        const char *eq, *k, *v;
        size_t kn, vn;
        cf_err_t err;

        snprintf(origin, sizeof(origin), "%s:%lu", name, lineno);
        trim(&line, &n);
        if (n == 0 || line[0] == '#')
                return CF_OK;
        if (memchr(line, '\0', n)) {
                cf_errstr_set(errstr, errstr_size,
                              "%s: the line holds a NUL byte", origin);
                return CF_ERR_USAGE;
        }
        if (!(eq = memchr(line, '=', n))) {
                cf_errstr_set(errstr, errstr_size, "%s: expected key=value",
                              origin);
                return CF_ERR_USAGE;
        }
        k = line;
        kn = (size_t)(eq - line);
        v = eq + 1;
        vn = n - kn - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (kn == 0 || kn >= sizeof(key)) {
                cf_errstr_set(errstr, errstr_size, "%s: %s key", origin,
                              kn ? "over-long" : "empty");
                return CF_ERR_USAGE;
        }
        memcpy(key, k, kn);
        key[kn] = '\0';
        if (!(value = malloc(vn + 1))) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        memcpy(value, v, vn);
        value[vn] = '\0';
        err = cf_config_set(c, key, value, origin, errstr, errstr_size);
        free(value);
        if (err == CF_ERR_NOMEM)
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
