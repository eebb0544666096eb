/* cspflow: framing with or without the schema registry (serde.h). */
#include "serde.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "common/log.h"
#include "registry.h"
#include "schemas/framing.h"
#include "schemas/resolve.h"

/* Registry ids remembered (their writer's fingerprint, or unknown). */
#define IDS_MAX 1024
/* How long an id the registry said it does not know is not asked again. */
#define UNKNOWN_TTL_MS 60000
/* Waits between attempts to reach the registry at start. */
#define START_WAIT_MIN_MS 500
#define START_WAIT_MAX_MS 10000

typedef struct id_s {
        int32_t id;
        uint64_t fp;           /* the writer schema's fingerprint */
        int64_t unknown_until; /* > 0: the registry did not know it */
        UT_hash_handle hh;
} id_t_;

struct cf_serde_s {
        const cf_config_t *cfg;
        cf_avro_t *av;
        cf_resolver_t *res;
        cf_registry_t *reg; /* NULL: no registry.url */
        int32_t ev_ids[CF_EV__COUNT];
        int32_t audit_id;
        id_t_ *ids;
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

cf_err_t cf_serde_new(const cf_config_t *cfg, cf_avro_t *av, cf_serde_t **out,
                      char *errstr, size_t errstr_size) {
        cf_serde_t *s = calloc(1, sizeof(*s));
        cf_registry_opts_t o;
        cf_err_t err;

        *out = NULL;
        if (!s) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        s->cfg = cfg;
        s->av = av;
        s->audit_id = -1;
        for (int t = 0; t < CF_EV__COUNT; t++)
                s->ev_ids[t] = -1;
        if ((err = cf_resolver_new(av, &s->res, errstr, errstr_size)) !=
                CF_OK ||
            (cfg->schemas_writers_dir &&
             (err = cf_resolver_load_dir(s->res, cfg->schemas_writers_dir,
                                         errstr, errstr_size)) != CF_OK))
                goto fail;
        if (cfg->registry_url) {
                memset(&o, 0, sizeof(o));
                o.url = cfg->registry_url;
                o.timeout_ms = cfg->registry_timeout_ms;
                o.connect_timeout_ms = cfg->registry_connect_timeout_ms;
                o.retries = cfg->registry_retries;
                o.retry_backoff_ms = cfg->registry_retry_backoff_ms;
                o.response_max_bytes = (size_t)cfg->registry_response_max_bytes;
                o.basic_auth = cfg->registry_basic_auth;
                o.ssl_ca_location = cfg->registry_ssl_ca;
                o.ssl_certificate_location = cfg->registry_ssl_cert;
                o.ssl_key_location = cfg->registry_ssl_key;
                o.ssl_verify = cfg->registry_ssl_verify;
                if ((err = cf_registry_new(&o, &s->reg, errstr, errstr_size)) !=
                    CF_OK)
                        goto fail;
        }
        *out = s;
        return CF_OK;
fail:
        if (err == CF_ERR_IO && cfg->schemas_writers_dir)
                err = CF_ERR_USAGE; /* a directory that cannot be read */
        cf_serde_destroy(s);
        return err;
}

void cf_serde_destroy(cf_serde_t *s) {
        id_t_ *e, *tmp;

        if (!s)
                return;
        HASH_ITER(hh, s->ids, e, tmp) {
                HASH_DEL(s->ids, e);
                free(e);
        }
        cf_registry_destroy(s->reg);
        cf_resolver_destroy(s->res);
        free(s);
}

bool cf_serde_confluent(const cf_serde_t *s) {
        return s->reg != NULL;
}

int32_t cf_serde_event_id(const cf_serde_t *s, cf_event_type_t type) {
        if ((int)type <= CF_EV_NONE || type >= CF_EV__COUNT)
                return -1;
        return s->ev_ids[type];
}

/* ---- registering at start ---- */

/* One subject, waiting out an unreachable registry. */
static cf_err_t register_one(cf_serde_t *s, const char *topic,
                             const char *record, const char *text, size_t len,
                             int32_t *id, volatile sig_atomic_t *stop,
                             char *errstr, size_t errstr_size) {
        char subject[1024], why[768];
        int64_t deadline = s->cfg->registry_startup_timeout_ms > 0
                               ? now_ms() + s->cfg->registry_startup_timeout_ms
                               : 0;
        long wait = START_WAIT_MIN_MS;
        cf_err_t err;

        snprintf(subject, sizeof(subject), "%s-" CF_SCHEMA_NAMESPACE ".%s",
                 topic, record);
        for (;;) {
                err = cf_registry_register(s->reg, subject, text, len,
                                           !s->cfg->registry_auto_register, id,
                                           why, sizeof(why));
                if (err != CF_ERR_IO)
                        break;
                if ((stop && *stop) || (deadline && now_ms() >= deadline)) {
                        cf_errstr_set(errstr, errstr_size,
                                      "schema registry unavailable (%s%s): %s",
                                      stop && *stop ? "stopped"
                                                    : "gave up after "
                                                      "registry.startup."
                                                      "timeout.ms",
                                      "", why);
                        return CF_ERR_IO;
                }
                cf_log(CF_LOG_WARN, "registry",
                       "schema registry unavailable while registering %s: "
                       "%s; trying again in %ld ms (no record is written "
                       "before it answers)",
                       subject, why, wait);
                sleep_ms(wait);
                wait =
                    wait * 2 > START_WAIT_MAX_MS ? START_WAIT_MAX_MS : wait * 2;
        }
        if (err != CF_OK) {
                cf_errstr_set(errstr, errstr_size, "schema registry: %s %s: %s",
                              s->cfg->registry_auto_register ? "registering"
                                                             : "looking up",
                              subject, why);
                return err == CF_ERR_NOMEM ? CF_ERR_NOMEM : CF_ERR_INVALID;
        }
        return CF_OK;
}

cf_err_t cf_serde_register(cf_serde_t *s, const char *topic, unsigned what,
                           volatile sig_atomic_t *stop, char *errstr,
                           size_t errstr_size) {
        size_t len = 0;
        const char *text;
        cf_err_t err;

        if (!s->reg)
                return CF_OK;
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++) {
                bool in = cf_event_type_is_input(t);
                if (!((in && (what & CF_SERDE_INPUTS)) ||
                      (!in && (what & CF_SERDE_OUTPUTS))))
                        continue;
                text = cf_avro_schema_text(s->av, t, &len);
                if ((err = register_one(s, topic, cf_event_desc(t)->schema_name,
                                        text, len, &s->ev_ids[t], stop, errstr,
                                        errstr_size)) != CF_OK)
                        return err;
        }
        if (what & CF_SERDE_AUDIT) {
                text = cf_avro_audit_text(s->av, &len);
                if ((err = register_one(s, topic, "AuditRecord", text, len,
                                        &s->audit_id, stop, errstr,
                                        errstr_size)) != CF_OK)
                        return err;
        }
        cf_log(CF_LOG_INFO, "registry",
               "schema registry %s: subjects %s-<record name> ready; records "
               "are written in the Confluent wire format",
               cf_registry_url(s->reg), topic);
        return CF_OK;
}

cf_err_t cf_serde_register_event(cf_serde_t *s, const char *topic,
                                 cf_event_type_t type,
                                 volatile sig_atomic_t *stop, char *errstr,
                                 size_t errstr_size) {
        size_t len = 0;
        const char *text;
        cf_err_t err;

        if (!s->reg || !cf_event_desc(type) || s->ev_ids[type] >= 0)
                return CF_OK;
        text = cf_avro_schema_text(s->av, type, &len);
        err = register_one(s, topic, cf_event_desc(type)->schema_name, text,
                           len, &s->ev_ids[type], stop, errstr, errstr_size);
        return err;
}

/* ---- encoding ---- */

static cf_err_t confluent(cf_buf_t *out, int32_t id, char *errstr,
                          size_t errstr_size) {
        cf_err_t err = cf_framing_confluent_write_header(out, id);
        if (err != CF_OK)
                cf_errstr_set(errstr, errstr_size, "%s",
                              err == CF_ERR_LIMIT ? "buffer cap reached"
                                                  : "out of memory");
        return err;
}

static cf_err_t no_id(const char *what, char *errstr, size_t errstr_size) {
        cf_errstr_set(errstr, errstr_size,
                      "%s: no schema registry id (its subject was not "
                      "registered): not written",
                      what);
        return CF_ERR_INVALID;
}

cf_err_t cf_serde_encode_event(cf_serde_t *s, const cf_event_t *ev,
                               cf_buf_t *out, char *errstr,
                               size_t errstr_size) {
        size_t mark = out->len;
        int32_t id;
        cf_err_t err;

        if (!s->reg)
                return cf_avro_encode_event(s->av, ev, out, errstr,
                                            errstr_size);
        if ((id = cf_serde_event_id(s, ev->type)) < 0)
                return no_id(cf_event_type_name(ev->type), errstr, errstr_size);
        if ((err = confluent(out, id, errstr, errstr_size)) != CF_OK)
                return err;
        err = cf_avro_encode_event_body(s->av, ev, out, errstr, errstr_size);
        if (err != CF_OK) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}

cf_err_t cf_serde_encode_audit(cf_serde_t *s, const cf_audit_t *a,
                               cf_buf_t *out, char *errstr,
                               size_t errstr_size) {
        size_t mark = out->len;
        cf_err_t err;

        if (!s->reg)
                return cf_avro_encode_audit(s->av, a, out, errstr, errstr_size);
        if (s->audit_id < 0)
                return no_id("audit-record", errstr, errstr_size);
        if ((err = confluent(out, s->audit_id, errstr, errstr_size)) != CF_OK)
                return err;
        err = cf_avro_encode_audit_body(s->av, a, out, errstr, errstr_size);
        if (err != CF_OK) {
                out->len = mark;
                out->data[mark] = '\0';
        }
        return err;
}

/* ---- decoding ---- */

static id_t_ *id_put(cf_serde_t *s, int32_t id) {
        id_t_ *e;
        HASH_FIND_INT(s->ids, &id, e);
        if (e)
                return e;
        if (HASH_COUNT(s->ids) >= IDS_MAX) {
                id_t_ *old = s->ids; /* the oldest */
                HASH_DEL(s->ids, old);
                free(old);
        }
        if (!(e = calloc(1, sizeof(*e))))
                return NULL;
        e->id = id;
        HASH_ADD_INT(s->ids, id, e);
        return e;
}

/* The writer fingerprint of registry id `id`, asking the registry (and
 * adding the schema to the resolver) when needed. CF_OK with *rej set
 * (NONE: *fp is known to the resolver), CF_ERR_IO, CF_ERR_NOMEM. */
static cf_err_t writer_of(cf_serde_t *s, int32_t id, uint64_t *fp,
                          cf_reject_t *rej, char *detail, size_t detail_size) {
        char why[512], *text = NULL;
        size_t len = 0;
        id_t_ *e;
        cf_err_t err;

        *rej = CF_REJ_NONE;
        HASH_FIND_INT(s->ids, &id, e);
        if (e && e->unknown_until > now_ms()) {
                cf_errstr_set(detail, detail_size,
                              "schema id %ld: unknown to the registry",
                              (long)id);
                *rej = CF_REJ_UNKNOWN_SCHEMA;
                return CF_OK;
        }
        if (e && !e->unknown_until && cf_resolver_knows(s->res, e->fp)) {
                *fp = e->fp;
                return CF_OK;
        }
        err = cf_registry_schema(s->reg, id, &text, &len, why, sizeof(why));
        switch (err) {
        case CF_OK:
                break;
        case CF_ERR_IO:
                cf_errstr_set(detail, detail_size,
                              "schema id %ld: registry unavailable: %s",
                              (long)id, why);
                return CF_ERR_IO;
        case CF_ERR_NOMEM:
                cf_errstr_set(detail, detail_size, "out of memory");
                return CF_ERR_NOMEM;
        case CF_ERR_UNKNOWN_SCHEMA:
                if ((e = id_put(s, id)))
                        e->unknown_until = now_ms() + UNKNOWN_TTL_MS;
                /* fall through */
        default: /* an answer refused (over the cap, not JSON, 4xx) */
                cf_errstr_set(detail, detail_size, "schema id %ld: %s",
                              (long)id, why);
                *rej = CF_REJ_UNKNOWN_SCHEMA;
                return CF_OK;
        }
        *rej = cf_resolver_add(s->res, text, len, fp, why, sizeof(why));
        free(text);
        if (*rej != CF_REJ_NONE) {
                cf_errstr_set(detail, detail_size, "schema id %ld: %s",
                              (long)id, why);
                return CF_OK;
        }
        if ((e = id_put(s, id))) {
                e->fp = *fp;
                e->unknown_until = 0;
        }
        return CF_OK;
}

cf_err_t cf_serde_decode_event(cf_serde_t *s, const void *data, size_t len,
                               cf_event_t *ev, cf_reject_t *rej, char *detail,
                               size_t detail_size) {
        const uint8_t *body = NULL;
        size_t body_len = 0;
        uint64_t fp = 0;
        int32_t id = -1;
        cf_err_t err;

        if (cf_framing_sniff(data, len) != CF_FRAMING_CONFLUENT) {
                *rej = cf_avro_decode_event(s->av, data, len, ev, detail,
                                            detail_size);
                if (*rej == CF_REJ_UNKNOWN_SCHEMA &&
                    cf_framing_parse(data, len, &fp, &body, &body_len, NULL,
                                     0) == CF_REJ_NONE &&
                    cf_resolver_knows(s->res, fp))
                        *rej = cf_resolver_decode(s->res, fp, body, body_len,
                                                  ev, detail, detail_size);
                return CF_OK;
        }
        cf_event_reset(ev);
        *rej = cf_framing_confluent_parse(data, len, &id, &body, &body_len,
                                          detail, detail_size);
        if (*rej != CF_REJ_NONE)
                return CF_OK;
        if (!s->reg) {
                cf_errstr_set(detail, detail_size,
                              "Confluent wire format (schema id %ld) but "
                              "registry.url is not set",
                              (long)id);
                *rej = CF_REJ_UNKNOWN_SCHEMA;
                return CF_OK;
        }
        err = writer_of(s, id, &fp, rej, detail, detail_size);
        if (err != CF_OK || *rej != CF_REJ_NONE)
                return err;
        *rej = cf_resolver_decode(s->res, fp, body, body_len, ev, detail,
                                  detail_size);
        return CF_OK;
}

cf_err_t cf_serde_decode_audit(cf_serde_t *s, const void *data, size_t len,
                               cf_audit_t *a, cf_reject_t *rej, char *detail,
                               size_t detail_size) {
        const uint8_t *body = NULL;
        size_t body_len = 0;
        uint64_t fp = 0;
        int32_t id = -1;
        cf_err_t err;

        if (cf_framing_sniff(data, len) != CF_FRAMING_CONFLUENT) {
                *rej = cf_avro_decode_audit(s->av, data, len, a, detail,
                                            detail_size);
                return CF_OK;
        }
        cf_audit_reset(a);
        *rej = cf_framing_confluent_parse(data, len, &id, &body, &body_len,
                                          detail, detail_size);
        if (*rej != CF_REJ_NONE)
                return CF_OK;
        if (!s->reg) {
                cf_errstr_set(detail, detail_size,
                              "Confluent wire format (schema id %ld) but "
                              "registry.url is not set",
                              (long)id);
                *rej = CF_REJ_UNKNOWN_SCHEMA;
                return CF_OK;
        }
        err = writer_of(s, id, &fp, rej, detail, detail_size);
        if (err != CF_OK || *rej != CF_REJ_NONE)
                return err;
        if (fp != cf_avro_audit_fingerprint(s->av)) {
                cf_errstr_set(detail, detail_size,
                              "schema id %ld is not the audit schema",
                              (long)id);
                *rej = CF_REJ_UNKNOWN_SCHEMA;
                return CF_OK;
        }
        *rej = cf_avro_decode_audit_body(s->av, body, body_len, a, detail,
                                         detail_size);
        return CF_OK;
}
