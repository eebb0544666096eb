/* cspflow: the producer of `cspflow produce` (produce.h). */
#include "produce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

/* Tags of unconfirmed records named in the error, at most. */
#define UNCONFIRMED_NAMED 10

struct cf_kproducer_s {
        cf_kclient_t kc;
        const char *topic;
        uint64_t delivered;
        uint64_t failed;
        uint64_t unconfirmed; /* "delivered" without an offset */
        uint64_t unconfirmed_tags[UNCONFIRMED_NAMED];
        int32_t unconfirmed_partition; /* of the first one */
        char first_error[512];
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        cf_kproducer_t *p = opaque;
        (void)rk;
        if (cf_kdr_unconfirmed(m)) {
                if (p->unconfirmed == 0)
                        p->unconfirmed_partition = m->partition;
                if (p->unconfirmed < UNCONFIRMED_NAMED)
                        p->unconfirmed_tags[p->unconfirmed] =
                            (uint64_t)(uintptr_t)m->_private;
                p->unconfirmed++;
                return;
        }
        if (!m->err) {
                p->delivered++;
                return;
        }
        if (p->failed++ == 0)
                snprintf(p->first_error, sizeof(p->first_error),
                         "delivery to %s [%d] failed: %s", p->topic,
                         (int)m->partition, rd_kafka_err2str(m->err));
}

cf_err_t cf_kproducer_new(cf_kproducer_t **out, const cf_config_t *cfg,
                          const char *topic, char *errstr, size_t errstr_size) {
        static const cf_kprop_t forced[] = {{"enable.idempotence", "true"},
                                            {NULL, NULL}};
        cf_kproducer_t *p = calloc(1, sizeof(*p));
        rd_kafka_conf_t *conf;
        int partitions = 0;
        cf_err_t err;

        *out = NULL;
        if (!p) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        p->topic = topic;
        if (!(conf = cf_kconf_new(cfg, "produce", NULL, forced, errstr,
                                  errstr_size))) {
                free(p);
                return CF_ERR_USAGE;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_opaque(conf, p);
        if ((err = cf_kclient_open(&p->kc, RD_KAFKA_PRODUCER, conf, "produce",
                                   errstr, errstr_size)) != CF_OK) {
                free(p);
                return err;
        }
        if ((err = cf_ktopics_ensure(&p->kc, cfg, topic, &partitions, errstr,
                                     errstr_size)) != CF_OK) {
                cf_kproducer_destroy(p);
                return err;
        }
        *out = p;
        return CF_OK;
}

cf_err_t cf_kproducer_send(cf_kproducer_t *p, const void *key, size_t key_len,
                           const void *value, size_t len, uint64_t tag,
                           char *errstr, size_t errstr_size) {
        rd_kafka_resp_err_t err;

        for (;;) {
                err = rd_kafka_producev(
                    p->kc.rk, RD_KAFKA_V_TOPIC(p->topic),
                    RD_KAFKA_V_KEY(key, key_len),
                    RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)tag), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(p->kc.rk, 100);
                cf_kclient_drain_logs(&p->kc);
        }
        rd_kafka_poll(p->kc.rk, 0);
        cf_kclient_drain_logs(&p->kc);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cf_errstr_set(errstr, errstr_size, "produce to %s: %s",
                              p->topic, rd_kafka_err2str(err));
                return CF_ERR_IO;
        }
        return CF_OK;
}

cf_err_t cf_kproducer_flush(cf_kproducer_t *p, uint64_t *delivered,
                            uint64_t *failed, char *errstr,
                            size_t errstr_size) {
        char why[512];

        while (rd_kafka_outq_len(p->kc.rk) > 0) {
                rd_kafka_flush(p->kc.rk, 1000);
                cf_kclient_drain_logs(&p->kc);
                if (cf_kclient_fatal(&p->kc, why, sizeof(why)) &&
                    p->failed == 0) {
                        /* the remaining reports will say it */
                        cf_errstr_set(errstr, errstr_size, "%s", why);
                }
        }
        *delivered = p->delivered;
        *failed = p->failed + p->unconfirmed;
        if (p->failed > 0) {
                cf_errstr_set(errstr, errstr_size, "%s", p->first_error);
                return CF_ERR_IO;
        }
        if (p->unconfirmed > 0) {
                char tags[UNCONFIRMED_NAMED * 24] = ""; /* ", #" + 20 digits */
                size_t at = 0;
                for (uint64_t i = 0; i < p->unconfirmed &&
                                     i < UNCONFIRMED_NAMED && at < sizeof(tags);
                     i++)
                        at += (size_t)snprintf(
                            tags + at, sizeof(tags) - at, "%s#%llu",
                            i ? ", " : "",
                            (unsigned long long)p->unconfirmed_tags[i]);
                cf_errstr_set(
                    errstr, errstr_size,
                    "%llu record(s) reported delivered to %s without an "
                    "offset (first on partition %d), so maybe not written: "
                    "%s%s (librdkafka took a failed request's records as "
                    "written when a later one succeeded; docs/worker.md)",
                    (unsigned long long)p->unconfirmed, p->topic,
                    (int)p->unconfirmed_partition, tags,
                    p->unconfirmed > UNCONFIRMED_NAMED ? ", ..." : "");
                return CF_ERR_IO;
        }
        return CF_OK;
}

void cf_kproducer_destroy(cf_kproducer_t *p) {
        if (!p)
                return;
        cf_kclient_close(&p->kc);
        free(p);
}
