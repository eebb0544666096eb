/* cspflow: /metrics, /healthz, /readyz with libmicrohttpd (http.h). */
#include "http.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/strutil.h"
#include "ops/process.h"

/* Largest /metrics body: far above what a worker renders (a line per
 * partition of lag at 100000 partitions is ~8 MB). */
#define METRICS_MAX    (64 * 1024 * 1024)
#define CONN_LIMIT     32
#define CONN_TIMEOUT_S 10

struct cf_http_s {
        struct MHD_Daemon *d;
        cf_metrics_t *metrics;
        int64_t stale_ms;
        char version[32];
        int port;
};

bool cf_http_split_listen(const char *listen, char *host, size_t host_size,
                          int *port) {
        const char *colon, *h = listen;
        size_t hn;
        long p;

        if (listen[0] == '[') {
                const char *close = strchr(listen, ']');
                if (!close || close[1] != ':')
                        return false;
                h = listen + 1;
                hn = (size_t)(close - h);
                colon = close + 1;
        } else {
                if (!(colon = strrchr(listen, ':')))
                        return false;
                hn = (size_t)(colon - listen);
                if (memchr(listen, ':', hn))
                        return false; /* a bare IPv6 address: use [..] */
        }
        if (hn == 0 || hn >= host_size ||
            !cf_parse_long(colon + 1, 0, 65535, &p))
                return false;
        memcpy(host, h, hn);
        host[hn] = '\0';
        *port = (int)p;
        return true;
}

/* libmicrohttpd's own messages, into the logger. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        size_t n;
        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        cf_log(CF_LOG_WARN, "http", "%s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *type, void *body, size_t len,
                             enum MHD_ResponseMemoryMode mode) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(len, body, mode);
        enum MHD_Result ret;
        if (!r) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status,
                            const char *msg) {
        return reply(c, status, "text/plain; charset=utf-8", (void *)msg,
                     strlen(msg), MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result metrics(cf_http_t *h, struct MHD_Connection *c) {
        cf_metrics_snap_t s;
        cf_proc_stats_t proc;
        cf_buf_t b;
        cf_err_t err;
        void *body;
        size_t len;

        cf_buf_init(&b, METRICS_MAX);
        cf_metrics_read(h->metrics, &s); /* no lag when out of memory */
        cf_proc_stats_read(&proc);
        err = cf_metrics_render(&s, &proc, cf_metrics_beat_age_ms(h->metrics),
                                h->version, &b);
        cf_metrics_snap_clear(&s);
        if (err != CF_OK) {
                cf_buf_clear(&b);
                cf_log(CF_LOG_ERROR, "http", "/metrics: %s", cf_err_name(err));
                return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "cannot render the metrics\n");
        }
        body = b.data;
        len = b.len;
        b.data = NULL; /* the response's now */
        return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                     body, len,
                     body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
}

/* Why the worker is not healthy, or NULL when it is. */
static const char *unhealthy(const cf_http_t *h, char *buf, size_t size) {
        int64_t age = cf_metrics_beat_age_ms(h->metrics);
        if (age < 0)
                return "starting: the worker loop has not run yet\n";
        if (age > h->stale_ms) {
                snprintf(buf, size,
                         "stale: the worker loop last ran %lld ms ago\n",
                         (long long)age);
                return buf;
        }
        return NULL;
}

static enum MHD_Result health(cf_http_t *h, struct MHD_Connection *c,
                              bool ready) {
        char buf[160];
        const char *why = unhealthy(h, buf, sizeof(buf));
        cf_metrics_snap_t s;

        if (why)
                return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
        if (!ready)
                return text(c, MHD_HTTP_OK, "ok\n");
        cf_metrics_read(h->metrics, &s);
        cf_metrics_snap_clear(&s);
        if (s.parts_pending > 0) {
                snprintf(buf, sizeof(buf),
                         "restoring: %d partition(s) pending, %d restored\n",
                         s.parts_pending, s.parts_restored);
                return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, buf);
        }
        if (s.parts_restored == 0)
                return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "no partition assigned\n");
        snprintf(buf, sizeof(buf), "ready: %d partition(s) restored\n",
                 s.parts_restored);
        return text(c, MHD_HTTP_OK, buf);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
        cf_http_t *h = cls;
        (void)version;
        (void)upload_data;
        (void)con_cls;

        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
            strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "only GET and HEAD\n");
        if (*upload_data_size != 0)
                return text(c, MHD_HTTP_BAD_REQUEST, "no body expected\n");
        if (strcmp(url, "/metrics") == 0)
                return metrics(h, c);
        if (strcmp(url, "/healthz") == 0)
                return health(h, c, false);
        if (strcmp(url, "/readyz") == 0)
                return health(h, c, true);
        return text(c, MHD_HTTP_NOT_FOUND,
                    "not found: try /metrics, /healthz, /readyz\n");
}

cf_err_t cf_http_start(const cf_http_opts_t *o, cf_http_t **out, char *errstr,
                       size_t errstr_size) {
        struct addrinfo hints, *ai = NULL;
        char host[256], port[8];
        const union MHD_DaemonInfo *info;
        cf_http_t *h;
        unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
        int p, rc;

        *out = NULL;
        if (!cf_http_split_listen(o->listen, host, sizeof(host), &p)) {
                cf_errstr_set(errstr, errstr_size,
                              "http.listen: '%s' is not HOST:PORT (or "
                              "[IPv6]:PORT, port 0..65535)",
                              o->listen);
                return CF_ERR_USAGE;
        }
        snprintf(port, sizeof(port), "%d", p);
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
        if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0 || !ai) {
                cf_errstr_set(errstr, errstr_size, "http.listen: %s: %s",
                              o->listen, gai_strerror(rc));
                return CF_ERR_USAGE;
        }
        if (!(h = calloc(1, sizeof(*h)))) {
                freeaddrinfo(ai);
                return CF_ERR_NOMEM;
        }
        h->metrics = o->metrics;
        h->stale_ms = o->stale_ms > 0 ? o->stale_ms : CF_HTTP_STALE_MS;
        cf_strlcpy(h->version, o->version ? o->version : "",
                   sizeof(h->version));
        if (ai->ai_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        h->d = MHD_start_daemon(
            flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER,
            mhd_log, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
            MHD_OPTION_END);
        freeaddrinfo(ai);
        if (!h->d) {
                free(h);
                cf_errstr_set(errstr, errstr_size,
                              "http.listen: cannot listen on %s (in use?)",
                              o->listen);
                return CF_ERR_IO;
        }
        info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
        h->port = info ? (int)info->port : p;
        *out = h;
        return CF_OK;
}

int cf_http_port(const cf_http_t *h) {
        return h->port;
}

void cf_http_stop(cf_http_t *h) {
        if (!h)
                return;
        MHD_stop_daemon(h->d);
        free(h);
}
