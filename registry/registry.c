/* cspflow: the schema registry client (registry.h): requests with
 * timeouts, retries and a response cap over libcurl; JSON with jansson;
 * two bounded caches under one mutex. The only file that includes
 * curl.h. */
#include "registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>
#include <xxhash.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/strutil.h"

/* Most bytes of a subject name. */
#define SUBJECT_MAX 1024

typedef struct id_entry_s { /* (subject, schema) -> id */
        char *key;          /* subject, NUL, hex XXH3-128 of the schema */
        int32_t id;
        UT_hash_handle hh;
} id_entry_t;

typedef struct schema_entry_s { /* id -> schema text */
        int32_t id;
        char *text;
        size_t len;
        UT_hash_handle hh;
} schema_entry_t;

struct cf_registry_s {
        cf_registry_opts_t o; /* strings below are owned copies */
        char *url;            /* base, no trailing '/' */
        char *display_url;    /* url without user information */
        pthread_mutex_t lock; /* the caches and the counter */
        id_entry_t *ids;
        schema_entry_t *schemas;
        size_t schema_bytes;
        uint64_t requests;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void) {
        curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- set-up ---- */

static bool dup_opt(const char **dst, const char *src) {
        if (!src || !*src) {
                *dst = NULL;
                return true;
        }
        return (*dst = cf_strdup(src)) != NULL;
}

static void free_strings(cf_registry_t *r) {
        free(r->url);
        free(r->display_url);
        free((char *)r->o.basic_auth);
        free((char *)r->o.ssl_ca_location);
        free((char *)r->o.ssl_certificate_location);
        free((char *)r->o.ssl_key_location);
}

cf_err_t cf_registry_new(const cf_registry_opts_t *opts, cf_registry_t **out,
                         char *errstr, size_t errstr_size) {
        cf_registry_t *r;
        size_t n;

        *out = NULL;
        if (!opts->url || (strncmp(opts->url, "http://", 7) != 0 &&
                           strncmp(opts->url, "https://", 8) != 0)) {
                cf_errstr_set(errstr, errstr_size,
                              "registry.url: expected http://... or "
                              "https://...");
                return CF_ERR_USAGE;
        }
        if (strlen(opts->url) > CF_REGISTRY_URL_MAX || opts->timeout_ms <= 0 ||
            opts->connect_timeout_ms <= 0 || opts->retries < 0 ||
            opts->retry_backoff_ms < 0 || opts->response_max_bytes == 0) {
                cf_errstr_set(errstr, errstr_size,
                              "registry options out of range (url over %d "
                              "bytes, or a timeout, retry count, backoff or "
                              "response cap that is not positive)",
                              CF_REGISTRY_URL_MAX);
                return CF_ERR_USAGE;
        }
        if (pthread_once(&curl_once, curl_init) != 0 ||
            curl_init_rc != CURLE_OK) {
                cf_errstr_set(errstr, errstr_size, "curl_global_init failed");
                return CF_ERR_NOMEM;
        }
        if (!(r = calloc(1, sizeof(*r))))
                goto nomem;
        r->o = *opts;
        r->o.url = NULL; /* the copies below replace borrowed pointers */
        r->o.basic_auth = r->o.ssl_ca_location = NULL;
        r->o.ssl_certificate_location = r->o.ssl_key_location = NULL;
        if (!r->o.cache_max)
                r->o.cache_max = CF_REGISTRY_CACHE_DEFAULT;
        if (!(r->url = cf_strdup(opts->url)) ||
            !dup_opt(&r->o.basic_auth, opts->basic_auth) ||
            !dup_opt(&r->o.ssl_ca_location, opts->ssl_ca_location) ||
            !dup_opt(&r->o.ssl_certificate_location,
                     opts->ssl_certificate_location) ||
            !dup_opt(&r->o.ssl_key_location, opts->ssl_key_location) ||
            pthread_mutex_init(&r->lock, NULL) != 0) {
                free_strings(r);
                free(r);
                goto nomem;
        }
        n = strlen(r->url);
        while (n > 0 && r->url[n - 1] == '/')
                r->url[--n] = '\0';
        if (!(r->display_url = cf_url_strip_userinfo(r->url))) {
                cf_registry_destroy(r);
                goto nomem;
        }
        *out = r;
        return CF_OK;
nomem:
        cf_errstr_set(errstr, errstr_size, "out of memory");
        return CF_ERR_NOMEM;
}

static void cache_clear(cf_registry_t *r) {
        id_entry_t *ie, *itmp;
        schema_entry_t *se, *stmp;

        HASH_ITER(hh, r->ids, ie, itmp) {
                HASH_DEL(r->ids, ie);
                free(ie->key);
                free(ie);
        }
        HASH_ITER(hh, r->schemas, se, stmp) {
                HASH_DEL(r->schemas, se);
                free(se->text);
                free(se);
        }
        r->schema_bytes = 0;
}

void cf_registry_destroy(cf_registry_t *r) {
        if (!r)
                return;
        cache_clear(r);
        pthread_mutex_destroy(&r->lock);
        free_strings(r);
        free(r);
}

const char *cf_registry_url(const cf_registry_t *r) {
        return r->display_url;
}

uint64_t cf_registry_requests(const cf_registry_t *r) {
        uint64_t n;
        pthread_mutex_lock((pthread_mutex_t *)&r->lock);
        n = r->requests;
        pthread_mutex_unlock((pthread_mutex_t *)&r->lock);
        return n;
}

/* ---- one request ---- */

typedef struct sink_s {
        cf_buf_t buf;
        bool over; /* the response passed the cap */
} sink_t;

static size_t on_data(char *p, size_t size, size_t nmemb, void *opaque) {
        sink_t *s = opaque;
        size_t n = size * nmemb;

        if (cf_buf_append(&s->buf, p, n) != CF_OK) {
                s->over = true;
                return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
        }
        return n;
}

typedef enum outcome_e {
        OUT_DONE,  /* an HTTP answer to judge */
        OUT_RETRY, /* transport error, 5xx, 408, 429 */
        OUT_FAIL,  /* err set: do not retry */
} outcome_t;

/* The registry's {"error_code": N, "message": "..."} as " (error_code N:
 * message)", printable ASCII, into buf. */
static void error_body(const sink_t *s, char *buf, size_t size) {
        json_t *j = json_loadb((const char *)s->buf.data, s->buf.len, 0, NULL);
        json_t *code = j ? json_object_get(j, "error_code") : NULL;
        json_t *msg = j ? json_object_get(j, "message") : NULL;
        char text[200];
        size_t i = 0;
        const char *m = json_is_string(msg) ? json_string_value(msg) : "";

        buf[0] = '\0';
        for (; m[i] && i + 1 < sizeof(text); i++)
                text[i] = m[i] >= 0x20 && m[i] < 0x7f ? m[i] : '?';
        text[i] = '\0';
        if (json_is_integer(code))
                snprintf(buf, size, " (error_code %lld: %s)",
                         (long long)json_integer_value(code), text);
        json_decref(j);
}

static outcome_t attempt(cf_registry_t *r, const char *url, const char *body,
                         sink_t *s, long *status, char *errstr,
                         size_t errstr_size, cf_err_t *err) {
        struct curl_slist *h = NULL, *h2;
        char curl_err[CURL_ERROR_SIZE];
        CURL *c = curl_easy_init();
        CURLcode rc;

        cf_buf_reset(&s->buf);
        s->over = false;
        *status = 0;
        curl_err[0] = '\0';
        if (!c)
                goto nomem;
        if (!(h = curl_slist_append(
                  NULL, "Accept: application/vnd.schemaregistry.v1+json, "
                        "application/json")) ||
            !(h2 = curl_slist_append(
                  h, "Content-Type: application/vnd.schemaregistry.v1+json"))) {
                curl_slist_free_all(h);
                curl_easy_cleanup(c);
                goto nomem;
        }
        h = h2;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->o.connect_timeout_ms);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->o.timeout_ms);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "cspflow");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (r->o.basic_auth) {
                curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                curl_easy_setopt(c, CURLOPT_USERPWD, r->o.basic_auth);
        }
        if (r->o.ssl_ca_location)
                curl_easy_setopt(c, CURLOPT_CAINFO, r->o.ssl_ca_location);
        if (r->o.ssl_certificate_location)
                curl_easy_setopt(c, CURLOPT_SSLCERT,
                                 r->o.ssl_certificate_location);
        if (r->o.ssl_key_location)
                curl_easy_setopt(c, CURLOPT_SSLKEY, r->o.ssl_key_location);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, r->o.ssl_verify ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, r->o.ssl_verify ? 2L : 0L);
        pthread_mutex_lock(&r->lock);
        r->requests++;
        pthread_mutex_unlock(&r->lock);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (s->over) {
                cf_errstr_set(errstr, errstr_size,
                              "registry %s: response over "
                              "registry.response.max.bytes (%zu): refused",
                              r->display_url, r->o.response_max_bytes);
                *err = CF_ERR_LIMIT;
                return OUT_FAIL;
        }
        if (rc != CURLE_OK) {
                cf_errstr_set(errstr, errstr_size, "registry %s: %s",
                              r->display_url,
                              curl_err[0] ? curl_err : curl_easy_strerror(rc));
                return OUT_RETRY;
        }
        if (*status >= 500 || *status == 408 || *status == 429) {
                char eb[256];
                error_body(s, eb, sizeof(eb));
                cf_errstr_set(errstr, errstr_size, "registry %s: HTTP %ld%s",
                              r->display_url, *status, eb);
                return OUT_RETRY;
        }
        return OUT_DONE;
nomem:
        cf_errstr_set(errstr, errstr_size, "out of memory");
        *err = CF_ERR_NOMEM;
        return OUT_FAIL;
}

static void sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
                ;
}

/* path is appended to the base URL; body NULL for GET. On CF_OK the JSON
 * answer of a 2xx is in *json (the caller decrefs). */
static cf_err_t request(cf_registry_t *r, const char *path, const char *body,
                        json_t **json, char *errstr, size_t errstr_size) {
        size_t n = strlen(r->url) + strlen(path) + 1;
        char *url = malloc(n);
        long status = 0, wait = r->o.retry_backoff_ms;
        cf_err_t err = CF_OK;
        json_error_t jerr;
        sink_t s;
        outcome_t o;

        *json = NULL;
        if (!url) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        snprintf(url, n, "%s%s", r->url, path);
        cf_buf_init(&s.buf, r->o.response_max_bytes);
        for (int i = 0;; i++) {
                o = attempt(r, url, body, &s, &status, errstr, errstr_size,
                            &err);
                if (o != OUT_RETRY)
                        break;
                if (i >= r->o.retries) {
                        err = CF_ERR_IO;
                        break;
                }
                if (!r->o.quiet)
                        cf_log(CF_LOG_WARN, "registry",
                               "%s; retry %d/%d in %ld ms", errstr, i + 1,
                               r->o.retries, wait);
                sleep_ms(wait);
                wait = wait * 2 > CF_REGISTRY_BACKOFF_MAX_MS
                           ? CF_REGISTRY_BACKOFF_MAX_MS
                           : wait * 2;
        }
        free(url);
        if (o == OUT_DONE && (status < 200 || status > 299)) {
                char eb[256];
                error_body(&s, eb, sizeof(eb));
                cf_errstr_set(errstr, errstr_size, "registry %s%s: HTTP %ld%s",
                              r->display_url, path, status, eb);
                err = status == 404 ? CF_ERR_UNKNOWN_SCHEMA : CF_ERR_INVALID;
        } else if (o == OUT_DONE) {
                *json =
                    json_loadb((const char *)s.buf.data, s.buf.len, 0, &jerr);
                if (!*json) {
                        cf_errstr_set(errstr, errstr_size,
                                      "registry %s%s: the answer is not "
                                      "JSON: %s",
                                      r->display_url, path, jerr.text);
                        err = CF_ERR_INVALID;
                }
        }
        cf_buf_clear(&s.buf);
        return err;
}

/* ---- the caches (called with the lock held) ---- */

static void ids_put(cf_registry_t *r, id_entry_t *e) {
        while (HASH_COUNT(r->ids) >= r->o.cache_max) {
                id_entry_t *old = r->ids; /* the oldest: insertion order */
                HASH_DEL(r->ids, old);
                free(old->key);
                free(old);
        }
        HASH_ADD_KEYPTR(hh, r->ids, e->key, strlen(e->key), e);
}

static void schemas_put(cf_registry_t *r, schema_entry_t *e) {
        while (r->schemas &&
               (HASH_COUNT(r->schemas) >= r->o.cache_max ||
                r->schema_bytes + e->len > CF_REGISTRY_CACHE_BYTES_MAX)) {
                schema_entry_t *old = r->schemas;
                HASH_DEL(r->schemas, old);
                r->schema_bytes -= old->len;
                free(old->text);
                free(old);
        }
        HASH_ADD_INT(r->schemas, id, e);
        r->schema_bytes += e->len;
}

/* ---- the API ---- */

cf_err_t cf_registry_register(cf_registry_t *r, const char *subject,
                              const char *schema, size_t len, bool lookup_only,
                              int32_t *id, char *errstr, size_t errstr_size) {
        XXH128_hash_t h = XXH3_128bits(schema, len);
        size_t sn = cf_strnlen(subject, SUBJECT_MAX + 1);
        char key[SUBJECT_MAX + 40], path[3 * SUBJECT_MAX + 32], *esc, *body;
        id_entry_t *e;
        json_t *j = NULL, *jid;
        cf_err_t err;

        if (sn == 0 || sn > SUBJECT_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "subject empty or over %d bytes", SUBJECT_MAX);
                return CF_ERR_USAGE;
        }
        snprintf(key, sizeof(key), "%s%c%016llx%016llx", subject, '\n',
                 (unsigned long long)h.high64, (unsigned long long)h.low64);
        pthread_mutex_lock(&r->lock);
        HASH_FIND_STR(r->ids, key, e);
        if (e)
                *id = e->id;
        pthread_mutex_unlock(&r->lock);
        if (e)
                return CF_OK;
        if (!(esc = curl_easy_escape(NULL, subject, (int)sn))) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        snprintf(path, sizeof(path), "/subjects/%s%s", esc,
                 lookup_only ? "" : "/versions");
        curl_free(esc);
        j = json_pack("{s:s%}", "schema", schema, len);
        body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!body) {
                cf_errstr_set(errstr, errstr_size,
                              "the schema is not UTF-8 text, or out of "
                              "memory");
                return CF_ERR_INVALID;
        }
        err = request(r, path, body, &j, errstr, errstr_size);
        free(body);
        if (err != CF_OK)
                return err;
        jid = json_object_get(j, "id");
        if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
            json_integer_value(jid) > INT32_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "registry %s%s: the answer has no valid \"id\"",
                              r->display_url, path);
                json_decref(j);
                return CF_ERR_INVALID;
        }
        *id = (int32_t)json_integer_value(jid);
        json_decref(j);
        if (!(e = calloc(1, sizeof(*e))) || !(e->key = cf_strdup(key))) {
                free(e);
                return CF_OK; /* not cached: asked again next time */
        }
        e->id = *id;
        pthread_mutex_lock(&r->lock);
        {
                id_entry_t *dup;
                HASH_FIND_STR(r->ids, key, dup);
                if (dup) { /* another thread was first */
                        free(e->key);
                        free(e);
                } else {
                        ids_put(r, e);
                }
        }
        pthread_mutex_unlock(&r->lock);
        return CF_OK;
}

static cf_err_t copy_out(const char *s, size_t n, char **text, size_t *len,
                         char *errstr, size_t errstr_size) {
        if (!(*text = malloc(n + 1))) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        memcpy(*text, s, n);
        (*text)[n] = '\0';
        *len = n;
        return CF_OK;
}

cf_err_t cf_registry_schema(cf_registry_t *r, int32_t id, char **text,
                            size_t *len, char *errstr, size_t errstr_size) {
        char path[64];
        schema_entry_t *e;
        json_t *j = NULL, *js;
        cf_err_t err = CF_OK;

        *text = NULL;
        *len = 0;
        pthread_mutex_lock(&r->lock);
        HASH_FIND_INT(r->schemas, &id, e);
        if (e)
                err = copy_out(e->text, e->len, text, len, errstr, errstr_size);
        pthread_mutex_unlock(&r->lock);
        if (e)
                return err;
        snprintf(path, sizeof(path), "/schemas/ids/%ld", (long)id);
        if ((err = request(r, path, NULL, &j, errstr, errstr_size)) != CF_OK)
                return err;
        js = json_object_get(j, "schema");
        if (!json_is_string(js)) {
                cf_errstr_set(errstr, errstr_size,
                              "registry %s%s: the answer has no \"schema\" "
                              "string",
                              r->display_url, path);
                json_decref(j);
                return CF_ERR_INVALID;
        }
        err = copy_out(json_string_value(js), json_string_length(js), text, len,
                       errstr, errstr_size);
        json_decref(j);
        if (err != CF_OK)
                return err;
        if (!(e = calloc(1, sizeof(*e))) ||
            copy_out(*text, *len, &e->text, &e->len, NULL, 0) != CF_OK) {
                free(e);
                return CF_OK; /* not cached */
        }
        e->id = id;
        pthread_mutex_lock(&r->lock);
        {
                schema_entry_t *dup;
                HASH_FIND_INT(r->schemas, &id, dup);
                if (dup) {
                        free(e->text);
                        free(e);
                } else {
                        schemas_put(r, e);
                }
        }
        pthread_mutex_unlock(&r->lock);
        return CF_OK;
}
