/* cspflow: Kafka client plumbing shared by every command (see kafka.h). */
#include "kafka.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

int64_t cf_kclock_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cf_kbackoff(cf_kclient_t *kc, int64_t t0, int64_t budget_ms, int *ms) {
        struct timespec ts;
        if (cf_kclock_ms() - t0 >= budget_ms)
                return false;
        ts.tv_sec = *ms / 1000;
        ts.tv_nsec = (long)(*ms % 1000) * 1000000L;
        nanosleep(&ts, NULL);
        if (kc)
                cf_kclient_drain_logs(kc);
        *ms = *ms * 2 > 2000 ? 2000 : *ms * 2;
        return true;
}

bool cf_kerr_coordinator_transient(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
        case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__WAIT_COORD:
                return true;
        default:
                return false;
        }
}

rd_kafka_resp_err_t cf_kcommitted(cf_kclient_t *kc,
                                  rd_kafka_topic_partition_list_t *parts,
                                  int64_t budget_ms) {
        int64_t t0 = cf_kclock_ms();
        int ms = 100;
        rd_kafka_resp_err_t err;

        for (;;) {
                int64_t left = budget_ms - (cf_kclock_ms() - t0);
                err = rd_kafka_committed(kc->rk, parts,
                                         left > 1000 ? (int)left : 1000);
                for (int i = 0; !err && i < parts->cnt; i++)
                        if (cf_kerr_coordinator_transient(parts->elems[i].err))
                                err = parts->elems[i].err;
                if (!cf_kerr_coordinator_transient(err))
                        return err;
                cf_log(CF_LOG_WARN, "kafka", "committed offsets: %s (retrying)",
                       rd_kafka_err2str(err));
                if (!cf_kbackoff(kc, t0, budget_ms, &ms))
                        return err;
        }
}

cf_err_t cf_kconf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      char *errstr, size_t errstr_size) {
        char why[512];
        if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) !=
            RD_KAFKA_CONF_OK) {
                /* librdkafka's reason may quote the value */
                cf_errstr_set(errstr, errstr_size, "kafka.%s: %s", key,
                              cf_log_secret_key(key)
                                  ? "refused (a secret: reason not shown)"
                                  : why);
                return CF_ERR_USAGE;
        }
        return CF_OK;
}

/* librdkafka's error callback (served by the polls of the main thread):
 * one log line, an error when fatal, else a warning (librdkafka retries
 * transport errors itself). Fatal errors are also picked up by
 * cf_kclient_fatal() from the main loop. */
/* The last authentication failure any client reported (the callbacks run
 * on the main thread): cf_kclient_auth_failed() turns a timeout into it. */
static char auth_failure[512];

static void error_cb(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
        (void)opaque;
        if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
                snprintf(auth_failure, sizeof(auth_failure), "%s", reason);
        cf_log(err == RD_KAFKA_RESP_ERR__FATAL ? CF_LOG_ERROR : CF_LOG_WARN,
               "rdkafka", "%s: %s: %s", rd_kafka_name(rk),
               rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static cf_err_t set_all(rd_kafka_conf_t *conf, const cf_kprop_t *p,
                        char *errstr, size_t errstr_size) {
        for (; p && p->key; p++)
                if (cf_kconf_set(conf, p->key, p->value, errstr, errstr_size) !=
                    CF_OK)
                        return CF_ERR_USAGE;
        return CF_OK;
}

rd_kafka_conf_t *cf_kconf_new(const cf_config_t *cfg, const char *name,
                              const cf_kprop_t *defaults,
                              const cf_kprop_t *forced, char *errstr,
                              size_t errstr_size) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char client_id[64];

        if (!conf) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return NULL;
        }
        snprintf(client_id, sizeof(client_id), "cspflow-%s", name);
        if (cf_kconf_set(conf, "client.id", client_id, errstr, errstr_size) ||
            cf_kconf_set(conf, "log.queue", "true", errstr, errstr_size) ||
            set_all(conf, defaults, errstr, errstr_size))
                goto fail;
        for (size_t i = 0; i < cfg->n_kafka; i++) {
                char why[600];
                if (cf_kconf_set(conf, cfg->kafka[i].key, cfg->kafka[i].value,
                                 why, sizeof(why)) != CF_OK) {
                        cf_errstr_set(errstr, errstr_size, "%s: %s",
                                      cfg->kafka[i].origin, why);
                        goto fail;
                }
        }
        if (set_all(conf, forced, errstr, errstr_size) != CF_OK)
                goto fail;
        rd_kafka_conf_set_error_cb(conf, error_cb);
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

cf_err_t cf_kclient_open(cf_kclient_t *kc, rd_kafka_type_t type,
                         rd_kafka_conf_t *conf, const char *name, char *errstr,
                         size_t errstr_size) {
        char why[512];

        memset(kc, 0, sizeof(*kc));
        snprintf(kc->name, sizeof(kc->name), "%s", name);
        if (!(kc->rk = rd_kafka_new(type, conf, why, sizeof(why)))) {
                rd_kafka_conf_destroy(conf);
                cf_errstr_set(errstr, errstr_size, "kafka %s: %s", name, why);
                return CF_ERR_USAGE;
        }
        /* conf is the handle's now */
        if (!(kc->logq = rd_kafka_queue_new(kc->rk)) ||
            rd_kafka_set_log_queue(kc->rk, kc->logq) !=
                RD_KAFKA_RESP_ERR_NO_ERROR) {
                cf_kclient_close(kc);
                cf_errstr_set(errstr, errstr_size,
                              "kafka %s: cannot set the log queue", name);
                return CF_ERR_NOMEM;
        }
        return CF_OK;
}

void cf_kclient_drain_logs(cf_kclient_t *kc) {
        rd_kafka_event_t *ev;

        if (!kc->logq)
                return;
        while ((ev = rd_kafka_queue_poll(kc->logq, 0))) {
                const char *fac = NULL, *str = NULL;
                int level = 0;
                char comp[64];
                if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_LOG &&
                    rd_kafka_event_log(ev, &fac, &str, &level) == 0) {
                        snprintf(comp, sizeof(comp), "rdkafka.%s",
                                 fac ? fac : "-");
                        cf_log(cf_log_level_from_syslog(level), comp, "%s: %s",
                               kc->name, str ? str : "");
                }
                rd_kafka_event_destroy(ev);
        }
}

void cf_kclient_close(cf_kclient_t *kc) {
        cf_kclient_drain_logs(kc);
        if (kc->logq)
                rd_kafka_queue_destroy(kc->logq);
        if (kc->rk)
                rd_kafka_destroy(kc->rk);
        memset(kc, 0, sizeof(*kc));
}

bool cf_kclient_auth_failed(cf_kclient_t *kc, char *errstr,
                            size_t errstr_size) {
        if (kc->rk)
                rd_kafka_poll(kc->rk, 0); /* serves error_cb */
        cf_kclient_drain_logs(kc);
        if (!auth_failure[0])
                return false;
        cf_errstr_set(errstr, errstr_size,
                      "kafka: authentication failed: %s (check "
                      "kafka.sasl.username and kafka.sasl.password)",
                      auth_failure);
        return true;
}

bool cf_kclient_fatal(cf_kclient_t *kc, char *errstr, size_t errstr_size) {
        char why[512];
        rd_kafka_resp_err_t err;

        if (!kc->rk)
                return false;
        err = rd_kafka_fatal_error(kc->rk, why, sizeof(why));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                return false;
        cf_errstr_set(errstr, errstr_size, "kafka %s: fatal error: %s: %s",
                      kc->name, rd_kafka_err2name(err), why);
        return true;
}

bool cf_kdr_unconfirmed(const rd_kafka_message_t *m) {
        /* acks=all (idempotence) gives every acknowledged record its
         * offset; an implicit ack leaves it RD_KAFKA_OFFSET_INVALID */
        return m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < 0;
}

cf_kres_t cf_kerror_take(rd_kafka_t *rk, rd_kafka_error_t *error,
                         const char *what, char *errstr, size_t errstr_size) {
        cf_kres_t r;
        char why[512];

        if (!error)
                return CF_KR_OK;
        if (rd_kafka_error_is_fatal(error)) {
                rd_kafka_resp_err_t ferr =
                    rd_kafka_fatal_error(rk, why, sizeof(why));
                if (ferr != RD_KAFKA_RESP_ERR_NO_ERROR)
                        cf_errstr_set(errstr, errstr_size, "%s: fatal: %s: %s",
                                      what, rd_kafka_err2name(ferr), why);
                else
                        cf_errstr_set(errstr, errstr_size, "%s: fatal: %s: %s",
                                      what, rd_kafka_error_name(error),
                                      rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return CF_KR_FATAL;
        }
        if (rd_kafka_error_txn_requires_abort(error))
                r = CF_KR_ABORT;
        else if (rd_kafka_error_is_retriable(error))
                r = CF_KR_RETRY;
        else
                r = CF_KR_FATAL; /* unclassed means fatal */
        cf_errstr_set(errstr, errstr_size, "%s: %s: %s", what,
                      rd_kafka_error_name(error), rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return r;
}
