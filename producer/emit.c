/* cspflow: the worker's output records (see emit.h). */
#include "emit.h"

#include <stdio.h>
#include <string.h>

#include "common/cf_time.h"
#include "common/limits.h"
#include "common/strutil.h"

/* Encoded values never exceed this (the decoder's own cap, twice). */
#define EMIT_BUF_MAX (2 * CF_RECORD_MAX)

void cf_emit_init(cf_emit_t *e, rd_kafka_t *rk, cf_avro_t *av,
                  const cf_config_t *cfg) {
        memset(e, 0, sizeof(*e));
        e->rk = rk;
        e->av = av;
        e->cfg = cfg;
        snprintf(e->ce_source, sizeof(e->ce_source), "urn:cspflow:%s",
                 cfg->group);
        cf_buf_init(&e->buf, EMIT_BUF_MAX);
        cf_audit_init(&e->audit);
}

void cf_emit_clear(cf_emit_t *e) {
        cf_buf_clear(&e->buf);
        cf_audit_clear(&e->audit);
}

/* One record; takes hdrs on success and on failure (destroys them). */
static cf_kres_t produce(cf_emit_t *e, const char *topic, int32_t partition,
                         const void *key, size_t key_len, const void *value,
                         size_t len, rd_kafka_headers_t *hdrs, char *errstr,
                         size_t errstr_size) {
        rd_kafka_resp_err_t err;

        for (;;) {
                err = rd_kafka_producev(
                    e->rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_KEY(key, key_len),
                    RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                /* wait for delivery reports to make room */
                rd_kafka_poll(e->rk, 50);
        }
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                e->records++;
                return CF_KR_OK;
        }
        if (hdrs)
                rd_kafka_headers_destroy(hdrs);
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char why[512];
                rd_kafka_fatal_error(e->rk, why, sizeof(why));
                cf_errstr_set(errstr, errstr_size,
                              "produce to %s [%d]: fatal: %s", topic,
                              (int)partition, why);
                return CF_KR_FATAL;
        }
        cf_errstr_set(errstr, errstr_size, "produce to %s [%d]: %s: %s", topic,
                      (int)partition, rd_kafka_err2name(err),
                      rd_kafka_err2str(err));
        return CF_KR_ABORT;
}

/* src as printable ASCII into dst (other bytes become '?'): details may
 * quote input bytes, and headers, Avro strings and JSON want text. */
static void ascii(char *dst, size_t size, const char *src) {
        size_t i = 0;
        for (; i + 1 < size && src[i]; i++)
                dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
        dst[i] = '\0';
}

static bool add(rd_kafka_headers_t *h, const char *name, const char *value) {
        return rd_kafka_header_add(h, name, -1, value, -1) ==
               RD_KAFKA_RESP_ERR_NO_ERROR;
}

static cf_kres_t nomem(char *errstr, size_t errstr_size, const char *what) {
        cf_errstr_set(errstr, errstr_size, "%s: out of memory", what);
        return CF_KR_FATAL;
}

/* An encoder failed on something the handlers produced: a bug, or memory. */
static cf_kres_t encode_failed(cf_err_t err, const char *what, const char *why,
                               char *errstr, size_t errstr_size) {
        cf_errstr_set(errstr, errstr_size, "encoding the %s record: %s: %s",
                      what, cf_err_name(err), why);
        return CF_KR_FATAL;
}

#define CE_TYPE_PREFIX "io.cspflow.migration."

/* a, b and c (c may be NULL) one after the other, as snprintf's "%s%s%s"
 * writes them (what fits, NUL-terminated); returns the full length. No
 * printf: it is on the path of every action and state record. */
static size_t concat(char *buf, size_t size, const char *a, const char *b,
                     const char *c) {
        const char *parts[3] = {a, b, c ? c : ""};
        size_t o = 0, n = 0;
        for (int i = 0; i < 3; i++) {
                size_t k = strlen(parts[i]);
                if (o + 1 < size) {
                        size_t fit = k < size - 1 - o ? k : size - 1 - o;
                        memcpy(buf + o, parts[i], fit);
                        o += fit;
                }
                n += k;
        }
        if (size > 0)
                buf[o] = '\0';
        return n;
}

cf_kres_t cf_emit_action(cf_emit_t *e, int32_t partition, const cf_event_t *ev,
                         char *errstr, size_t errstr_size) {
        char key[CF_KEY_SIZE], type[CF_ID_MAX + 32], ts[CF_TIME_STR_SIZE];
        char why[256];
        rd_kafka_headers_t *h;
        cf_err_t err;

        cf_buf_reset(&e->buf);
        err =
            e->serde
                ? cf_serde_encode_event(e->serde, ev, &e->buf, why, sizeof(why))
                : cf_avro_encode_event(e->av, ev, &e->buf, why, sizeof(why));
        if (err != CF_OK)
                return encode_failed(err, "action", why, errstr, errstr_size);
        if (!cf_event_key(ev, key, sizeof(key)) ||
            !cf_time_format(ev->occurred_at, ts, sizeof(ts)))
                return encode_failed(CF_ERR_INVALID, "action", "key or time",
                                     errstr, errstr_size);
        concat(type, sizeof(type), CE_TYPE_PREFIX, cf_event_type_name(ev->type),
               NULL);
        if (!(h = rd_kafka_headers_new(8)))
                return nomem(errstr, errstr_size, "headers");
        if (!add(h, "ce_specversion", "1.0") ||
            !add(h, "ce_id", ev->event_id) ||
            !add(h, "ce_source", e->ce_source) || !add(h, "ce_type", type) ||
            !add(h, "ce_time", ts) || !add(h, "ce_subject", key) ||
            !add(h, "content-type", "application/avro")) {
                rd_kafka_headers_destroy(h);
                return nomem(errstr, errstr_size, "headers");
        }
        return produce(e, e->cfg->topic_actions, partition, key, strlen(key),
                       e->buf.data, e->buf.len, h, errstr, errstr_size);
}

cf_kres_t cf_emit_state(cf_emit_t *e, int32_t partition,
                        const cf_migration_t *m, char *errstr,
                        size_t errstr_size) {
        char key[CF_KEY_SIZE], why[256];
        cf_err_t err;
        size_t n;

        cf_buf_reset(&e->buf);
        if ((err = cf_avro_encode_state(e->av, m, &e->buf, why, sizeof(why))) !=
            CF_OK)
                return encode_failed(err, "state", why, errstr, errstr_size);
        n = concat(key, sizeof(key), m->partner_id, "/", m->customer_tenant_id);
        if ((size_t)n >= sizeof(key))
                return encode_failed(CF_ERR_INVALID, "state", "key too long",
                                     errstr, errstr_size);
        return produce(e, e->cfg->topic_state, partition, key, n, e->buf.data,
                       e->buf.len, NULL, errstr, errstr_size);
}

cf_kres_t cf_emit_dlq(cf_emit_t *e, const rd_kafka_message_t *in,
                      cf_reject_t reason, const char *detail, char *errstr,
                      size_t errstr_size) {
        char part[16], off[24], text[CF_DETAIL_SIZE];
        rd_kafka_headers_t *h;

        ascii(text, sizeof(text), detail);
        snprintf(part, sizeof(part), "%d", (int)in->partition);
        snprintf(off, sizeof(off), "%lld", (long long)in->offset);
        if (!(h = rd_kafka_headers_new(8)))
                return nomem(errstr, errstr_size, "headers");
        if (!add(h, "dlq_reason", cf_reject_name(reason)) ||
            !add(h, "dlq_detail", text) ||
            !add(h, "dlq_source_topic", rd_kafka_topic_name(in->rkt)) ||
            !add(h, "dlq_source_partition", part) ||
            !add(h, "dlq_source_offset", off)) {
                rd_kafka_headers_destroy(h);
                return nomem(errstr, errstr_size, "headers");
        }
        return produce(e, e->cfg->topic_dlq, in->partition, in->key,
                       in->key_len, in->payload, in->len, h, errstr,
                       errstr_size);
}

/* True when s[0..n) is well-formed UTF-8 without NUL (Avro strings and
 * JSON need it). */
static bool utf8_ok(const unsigned char *s, size_t n) {
        size_t i = 0;
        while (i < n) {
                unsigned char c = s[i];
                size_t k;
                uint32_t cp;
                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        k = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        k = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        k = 3, cp = c & 0x07;
                else
                        return false;
                if (n - i <= k)
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if ((s[i + j] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + j] & 0x3f);
                }
                if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += k + 1;
        }
        return true;
}

bool cf_emit_audit_fill(cf_audit_t *a, int32_t partition, int64_t offset,
                        const void *key, size_t key_len, const cf_event_t *ev,
                        const cf_verdict_t *v, const cf_outbox_t *out) {
        cf_audit_reset(a);
        if (ev) {
                cf_strlcpy(a->event_id, ev->event_id, sizeof(a->event_id));
                cf_strlcpy(a->event_type, cf_event_type_name(ev->type),
                           sizeof(a->event_type));
                if (v->kind == CF_VERDICT_APPLIED && key && key_len > 0 &&
                    key_len <= CF_AUDIT_KEY_MAX) {
                        /* applied: cf_input_check found the record key
                         * equal to the event's (saves ~170 instructions per
                         * event, docs/performance.md) */
                        memcpy(a->key, key, key_len);
                        a->key[key_len] = '\0';
                } else {
                        cf_event_key(ev, a->key, sizeof(a->key));
                }
                a->has_occurred_at = true;
                a->occurred_at = ev->occurred_at;
        } else if (key && key_len > 0 && key_len <= CF_AUDIT_KEY_MAX &&
                   utf8_ok(key, key_len)) {
                memcpy(a->key, key, key_len);
                a->key[key_len] = '\0';
        }
        a->source_partition = partition;
        a->source_offset = offset;
        a->verdict = v->kind;
        if (v->kind == CF_VERDICT_REJECTED) {
                cf_strlcpy(a->reason, cf_reject_name(v->reason),
                           sizeof(a->reason));
                ascii(a->detail, sizeof(a->detail), v->detail);
        }
        cf_strlcpy(a->status_before, cf_mig_status_name(v->status_before),
                   sizeof(a->status_before));
        cf_strlcpy(a->status_after, cf_mig_status_name(v->status_after),
                   sizeof(a->status_after));
        a->rule = v->rule;
        for (size_t i = 0; out && i < out->n; i++)
                if (!cf_audit_add_output(a, out->v[i].event_id,
                                         cf_event_type_name(out->v[i].type)))
                        return false;
        return true;
}

cf_kres_t cf_emit_audit(cf_emit_t *e, const rd_kafka_message_t *in,
                        const cf_event_t *ev, const cf_verdict_t *v,
                        const cf_outbox_t *out, char *errstr,
                        size_t errstr_size) {
        cf_audit_t *a = &e->audit;
        char why[256];
        cf_err_t err;

        if (!cf_emit_audit_fill(a, in->partition, in->offset, in->key,
                                in->key_len, ev, v, out))
                return encode_failed(CF_ERR_LIMIT, "audit", "too many outputs",
                                     errstr, errstr_size);
        cf_buf_reset(&e->buf);
        err =
            e->serde
                ? cf_serde_encode_audit(e->serde, a, &e->buf, why, sizeof(why))
                : cf_avro_encode_audit(e->av, a, &e->buf, why, sizeof(why));
        if (err != CF_OK)
                return encode_failed(err, "audit", why, errstr, errstr_size);
        return produce(e, e->cfg->topic_audit, in->partition,
                       a->key[0] ? a->key : NULL, strlen(a->key), e->buf.data,
                       e->buf.len, NULL, errstr, errstr_size);
}
