/* cspflow: the HTTP endpoint of `cspflow run --http HOST:PORT`
 * (libmicrohttpd, its own thread). docs/operations.md describes it:
 *
 *   GET /metrics   Prometheus text format 0.0.4 (ops/metrics.h)
 *   GET /healthz   200 while the worker loop goes round (its heartbeat is
 *                  at most stale_ms old), else 503
 *   GET /readyz    200 when partitions are assigned and every assigned
 *                  partition is restored (and the loop is healthy), else
 *                  503
 *
 * The HTTP thread only reads the metrics (cf_metrics_read, the heartbeat
 * atomic). Only ops/ includes microhttpd.h.
 *
 * Ownership: cf_http_start() returns a server that cf_http_stop() stops
 * and frees. The metrics object is borrowed and must outlive the server. */
#ifndef CF_HTTP_H
#define CF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ops/metrics.h"

/** The heartbeat age past which /healthz answers 503, by default. */
#define CF_HTTP_STALE_MS 60000

typedef struct cf_http_opts_s {
        const char *listen;    /**< "HOST:PORT", "[IPv6]:PORT"; port 0: any */
        cf_metrics_t *metrics; /**< borrowed */
        int64_t stale_ms;      /**< <= 0: CF_HTTP_STALE_MS */
        const char *version;   /**< for cspflow_info */
} cf_http_opts_t;

typedef struct cf_http_s cf_http_t;

/** Parses o->listen and starts serving. CF_ERR_USAGE for an address that
 *  does not parse or resolve (errstr names it), CF_ERR_IO when it cannot
 *  be bound, CF_ERR_NOMEM. */
cf_err_t cf_http_start(const cf_http_opts_t *o, cf_http_t **out, char *errstr,
                       size_t errstr_size);

/** The port bound (useful with port 0). */
int cf_http_port(const cf_http_t *h);

/** Stops the thread and frees h; NULL is a no-op. */
void cf_http_stop(cf_http_t *h);

/** Splits "HOST:PORT" / "[V6]:PORT" into host (host_size bytes) and port
 *  (0..65535). False when it does not parse. */
bool cf_http_split_listen(const char *listen, char *host, size_t host_size,
                          int *port);

#endif
