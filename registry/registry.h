/* cspflow: a client of the Confluent Schema Registry REST API (the subset
 * docs/registry.md lists), over libcurl. This header is free of curl.
 *
 *   register or look up: POST {url}/subjects/{subject}/versions
 *                        (POST {url}/subjects/{subject} when lookup_only)
 *                        {"schema": "<the .avsc text>"} -> {"id": N}
 *   schema by id:        GET {url}/schemas/ids/{id} -> {"schema": "..."}
 *
 * Both answers are cached (bounded, oldest evicted first): a known
 * (subject, schema) or id costs no request. Every request has a connect
 * timeout and a total timeout; a transport error, a 5xx, 408 or 429 is
 * tried again up to `retries` times, waiting retry_backoff_ms, then twice
 * that, ... (at most CF_REGISTRY_BACKOFF_MAX_MS), each wait logged on
 * stderr; the cache lock is never held while a request runs or waits. A
 * response longer than response_max_bytes is aborted as it arrives and
 * refused. The basic-auth secret is handed to curl and never printed: error
 * texts name the URL without its user information.
 *
 * Errors: CF_ERR_UNKNOWN_SCHEMA (404: no such id, subject or schema under
 * the subject), CF_ERR_IO (the registry cannot be reached or keeps
 * answering 5xx after the retries: the caller may try again later),
 * CF_ERR_LIMIT (response over the cap), CF_ERR_INVALID (another 4xx, e.g.
 * 409 incompatible schema, 401/403, or an answer that is not the expected
 * JSON), CF_ERR_USAGE (bad options), CF_ERR_NOMEM. errstr says which, with
 * the registry's error_code and message when it gave them.
 *
 * Threads: one cf_registry_t may be shared by threads (the caches are
 * locked; requests run outside the lock).
 *
 * Ownership: cf_registry_new() copies what it keeps of the options and
 * hands the caller a client freed with cf_registry_destroy(). */
#ifndef CF_REGISTRY_H
#define CF_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct cf_registry_s cf_registry_t;

/** Longest wait between two attempts. */
#define CF_REGISTRY_BACKOFF_MAX_MS 10000
/** Entries of each cache when cache_max is 0. */
#define CF_REGISTRY_CACHE_DEFAULT 1024
/** Bytes of schema text the id cache holds at most. */
#define CF_REGISTRY_CACHE_BYTES_MAX (16 * 1024 * 1024)
/** Longest registry.url. */
#define CF_REGISTRY_URL_MAX 2048

typedef struct cf_registry_opts_s {
        const char *url;             /**< base URL, http:// or https://, e.g.
                                          http://127.0.0.1:8081 or
                                          http://h:8080/apis/ccompat/v7 */
        long timeout_ms;             /**< whole request, > 0 */
        long connect_timeout_ms;     /**< connection set-up, > 0 */
        int retries;                 /**< attempts after the first, >= 0 */
        long retry_backoff_ms;       /**< first wait, >= 0; doubles */
        size_t response_max_bytes;   /**< > 0 */
        const char *basic_auth;      /**< "user:password", or NULL */
        const char *ssl_ca_location; /**< CA bundle file, or NULL */
        const char *ssl_certificate_location; /**< client cert, or NULL */
        const char *ssl_key_location;         /**< its key, or NULL */
        bool ssl_verify;  /**< verify the server's certificate and name */
        size_t cache_max; /**< entries per cache; 0: the default */
        bool quiet;       /**< no retry lines on stderr */
} cf_registry_opts_t;

/** Checks the options and sets up curl (once per process). On failure
 *  *out is NULL: CF_ERR_USAGE (errstr names the option) or CF_ERR_NOMEM. */
cf_err_t cf_registry_new(const cf_registry_opts_t *opts, cf_registry_t **out,
                         char *errstr, size_t errstr_size);
/** Frees everything; NULL is fine. */
void cf_registry_destroy(cf_registry_t *r);

/** The id of schema (len bytes of JSON) under subject: registered when
 *  new (or, with lookup_only, looked up and never registered). */
cf_err_t cf_registry_register(cf_registry_t *r, const char *subject,
                              const char *schema, size_t len, bool lookup_only,
                              int32_t *id, char *errstr, size_t errstr_size);

/** The schema text of an id: on CF_OK *text is a NUL-terminated copy the
 *  caller frees with free(), *len its length. */
cf_err_t cf_registry_schema(cf_registry_t *r, int32_t id, char **text,
                            size_t *len, char *errstr, size_t errstr_size);

/** The base URL without user information (static for the client's life). */
const char *cf_registry_url(const cf_registry_t *r);

/** HTTP attempts made so far (tests check the caches with it). */
uint64_t cf_registry_requests(const cf_registry_t *r);

#endif
