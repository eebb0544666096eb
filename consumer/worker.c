/* cspflow: the worker's set-up, main loop and rebalances (worker.h). One
 * batch at a time: collect up to batch.max.records messages (or for
 * batch.max.ms after the first), then handle, produce and commit them in
 * consumer/batch.c. The group consumer is only polled while collecting, so
 * rebalance callbacks never see an open transaction: a revoke drops the
 * collected messages of the revoked partitions and their stores; an assign
 * restores the stores (consumer/restore.c) before the partitions are
 * assigned, hence before their first record can arrive. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/strutil.h"
#include "producer/txn.h"
#include "worker_int.h"

/* Consecutive errors polling for input before the worker gives up. */
#define CONSUMER_ERRORS_MAX 1000

void cf_worker_fail(cf_worker_t *w, cf_err_t code, const char *fmt, ...) {
        va_list ap;
        if (w->fatal)
                return;
        w->fatal = true;
        w->fatal_code = code;
        va_start(ap, fmt);
        vsnprintf(w->fatal_why, sizeof(w->fatal_why), fmt, ap);
        va_end(ap);
}

/* Delivery reports: failures counted, and so are records reported delivered
 * without an offset (cf_kdr_unconfirmed(): maybe not written); the batch
 * checks the count after its flush and aborts when it is not 0. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        cf_worker_t *w = opaque;
        bool unconfirmed = cf_kdr_unconfirmed(m);
        (void)rk;
        if (!m->err && !unconfirmed)
                return;
        w->dr_unconfirmed += unconfirmed;
        if (w->dr_failed == 0)
                snprintf(w->dr_first, sizeof(w->dr_first), "%s [%d]: %s",
                         rd_kafka_topic_name(m->rkt), (int)m->partition,
                         unconfirmed ? "reported delivered without an offset"
                                     : rd_kafka_err2str(m->err));
        if (w->dr_failed++ >= 5)
                return;
        if (unconfirmed)
                cf_log(CF_LOG_WARN, "worker",
                       "delivery to %s [%d] not confirmed: reported "
                       "delivered without an offset (docs/worker.md)",
                       rd_kafka_topic_name(m->rkt), (int)m->partition);
        else
                cf_log(CF_LOG_WARN, "worker", "delivery to %s [%d] failed: %s",
                       rd_kafka_topic_name(m->rkt), (int)m->partition,
                       rd_kafka_err2str(m->err));
}

static void print_parts(const char *what,
                        const rd_kafka_topic_partition_list_t *parts) {
        char list[512];
        size_t at = 0;
        list[0] = '\0';
        for (int i = 0; i < parts->cnt && at < sizeof(list) - 16; i++)
                at += (size_t)snprintf(list + at, sizeof(list) - at, " %d",
                                       (int)parts->elems[i].partition);
        cf_log(CF_LOG_INFO, "worker", "%s %d partition(s):%s%s", what,
               parts->cnt, list, at < sizeof(list) - 16 ? "" : " ...");
}

static void drop_stores(cf_worker_t *w,
                        const rd_kafka_topic_partition_list_t *parts) {
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (p < 0 || p >= w->n_parts)
                        continue;
                cf_wm_dropped(w, p);
                cf_store_destroy(w->parts[p].store);
                w->parts[p].store = NULL;
                w->parts[p].last_handled = -1;
        }
}

static void assign(cf_worker_t *w, rd_kafka_t *rk,
                   const rd_kafka_topic_partition_list_t *parts, bool add) {
        bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        char why[512];

        if (coop)
                error = add ? rd_kafka_incremental_assign(rk, parts)
                            : rd_kafka_incremental_unassign(rk, parts);
        else
                err = rd_kafka_assign(rk, add ? parts : NULL);
        if (error)
                cf_kerror_take(rk, error, "assign", why, sizeof(why));
        else if (err)
                snprintf(why, sizeof(why), "assign: %s", rd_kafka_err2str(err));
        if (error || err)
                cf_worker_fail(w, CF_ERR_IO, "%s", why);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
        cf_worker_t *w = opaque;

        cf_kclient_drain_logs(&w->cons);
        switch (err) {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                print_parts("assigned", parts);
                if (!w->fatal && cf_restore(w, parts) == CF_OK) {
                        cf_wm_committed(w, parts);
                        assign(w, rk, parts, true);
                } else {
                        drop_stores(w, parts);
                        /* nothing assigned: the loop stops */
                        if (strcmp(rd_kafka_rebalance_protocol(rk),
                                   "COOPERATIVE") != 0 &&
                            rd_kafka_assign(rk, NULL) != 0)
                                cf_log(CF_LOG_ERROR, "worker",
                                       "unassign failed");
                }
                w->assigned_once = true;
                break;
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                print_parts(rd_kafka_assignment_lost(rk) ? "lost" : "revoked",
                            parts);
                cf_batch_drop(w, parts);
                drop_stores(w, parts);
                assign(w, rk, parts, false);
                break;
        default:
                cf_log(CF_LOG_ERROR, "worker", "rebalance error: %s",
                       rd_kafka_err2str(err));
                cf_batch_drop(w, NULL);
                drop_stores(w, parts);
                if (rd_kafka_assign(rk, NULL) != 0)
                        cf_log(CF_LOG_ERROR, "worker", "unassign failed");
                break;
        }
        w->idle_since = cf_kclock_ms();
}

/* librdkafka 2.0.2 leaves the partitions of an assignment whose committed
 * offsets could not be fetched (NOT_COORDINATOR while the group coordinator
 * moves or loads is not retried) without a fetch position for good ("Do
 * nothing for request-level errors", "The partition will not be added
 * back to .pending", rdkafka_assignment.c); it reports that as consumer
 * errors. Assigning the partitions again (between batches, at most once a
 * second) fetches their offsets again. */
static void reassign(cf_worker_t *w) {
        rd_kafka_topic_partition_list_t *a = NULL;
        int64_t now = cf_kclock_ms();

        if (now - w->reassigned_at < 1000)
                return; /* w->reassign stays set */
        w->reassign = false;
        w->reassigned_at = now;
        if (rd_kafka_assignment(w->cons.rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return;
        if (a->cnt > 0) {
                cf_log(CF_LOG_WARN, "worker",
                       "assigning the %d partition(s) again to fetch their "
                       "committed offsets again",
                       a->cnt);
                assign(w, w->cons.rk, a, false);
                if (!w->fatal)
                        assign(w, w->cons.rk, a, true);
                w->idle_since = now;
        }
        rd_kafka_topic_partition_list_destroy(a);
}

/* A message with err set from the group consumer. */
static void consumer_error(cf_worker_t *w, const rd_kafka_message_t *m,
                           unsigned *errors) {
        char why[512];
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                return;
        cf_log(CF_LOG_WARN, "worker", "consumer: %s%s%s: %s",
               m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->rkt ? " " : "",
               rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
        if (cf_kclient_fatal(&w->cons, why, sizeof(why)))
                cf_worker_fail(w, CF_ERR_IO, "%s", why);
        else if (cf_kerr_coordinator_transient(m->err))
                w->reassign = true; /* committed offsets not fetched */
        if (!w->fatal && ++*errors > CONSUMER_ERRORS_MAX)
                cf_worker_fail(w, CF_ERR_IO,
                               "%d consumer errors in a row, last: %s",
                               CONSUMER_ERRORS_MAX, rd_kafka_err2str(m->err));
}

/* Fills w->msgs: up to max_msgs, for at most batch.max.ms after the first;
 * returns at once (empty) when nothing comes within 100 ms. */
static void collect(cf_worker_t *w) {
        int64_t deadline = 0;
        unsigned errors = 0;

        while (w->n_msgs < w->max_msgs && !w->fatal && !*w->opts->stop) {
                int timeout = 100;
                rd_kafka_message_t *m;
                int32_t p;

                if (w->n_msgs > 0) {
                        int64_t left = deadline - cf_kclock_ms();
                        if (left <= 0)
                                break;
                        timeout = left < 100 ? (int)left : 100;
                }
                m = rd_kafka_consumer_poll(w->cons.rk, timeout);
                cf_kclient_drain_logs(&w->cons);
                if (!m) {
                        if (w->n_msgs == 0)
                                return;
                        continue;
                }
                if (m->err) {
                        consumer_error(w, m, &errors);
                        rd_kafka_message_destroy(m);
                        continue;
                }
                errors = 0;
                p = m->partition;
                if (p < 0 || p >= w->n_parts || !w->parts[p].store) {
                        /* not (or no longer) ours */
                        rd_kafka_message_destroy(m);
                        continue;
                }
                w->msgs[w->n_msgs++] = m;
                w->idle_since = cf_kclock_ms();
                if (w->n_msgs == 1)
                        deadline = w->idle_since + w->cfg->batch_max_ms;
        }
}

static void check_fatal(cf_worker_t *w) {
        char why[600];
        if (cf_kclient_fatal(&w->prod, why, sizeof(why)) ||
            cf_kclient_fatal(&w->cons, why, sizeof(why)))
                cf_worker_fail(w, CF_ERR_IO, "%s", why);
}

static void loop(cf_worker_t *w) {
        int64_t idle_ms = (int64_t)w->opts->idle_exit_s * 1000;

        w->idle_since = cf_kclock_ms();
        while (!w->fatal && !*w->opts->stop) {
                bool busy;
                cf_wm_tick(w);
                collect(w);
                if ((busy = w->n_msgs > 0)) {
                        cf_batch_run(w);
                        w->idle_since = cf_kclock_ms();
                }
                if (w->reassign && !w->fatal) {
                        reassign(w);
                } else if (!busy && idle_ms > 0 && w->assigned_once &&
                           cf_kclock_ms() - w->idle_since >= idle_ms) {
                        cf_log(CF_LOG_INFO, "worker",
                               "no input for %d s: stopping",
                               w->opts->idle_exit_s);
                        break;
                }
                rd_kafka_poll(w->prod.rk, 0);
                cf_kclient_drain_logs(&w->prod);
                cf_kclient_drain_logs(&w->rest);
                check_fatal(w);
        }
        /* a signal while collecting: finish the batch in hand */
        if (!w->fatal && w->n_msgs > 0)
                cf_batch_run(w);
        cf_batch_drop(w, NULL);
}

/* ---- set-up ---- */

/* The producer: transactional (EOS, w->tid) or idempotent. */
static cf_err_t open_producer(cf_worker_t *w, char *errstr, size_t size) {
        const cf_config_t *cfg = w->cfg;
        char tto[16];
        size_t n = sizeof(tto);
        cf_kprop_t forced[] = {{"enable.idempotence", "true"},
                               {"transactional.id", w->tid},
                               {"transaction.timeout.ms", NULL},
                               {NULL, NULL}};
        rd_kafka_conf_t *conf;
        cf_err_t err;

        if (!w->eos) {
                forced[1].key = NULL;
        } else if (cfg->transaction_timeout_ms > 0) {
                snprintf(tto, sizeof(tto), "%d", cfg->transaction_timeout_ms);
                forced[2].value = tto;
        } else {
                forced[2].key = NULL;
        }
        if (!(conf = cf_kconf_new(cfg, "worker", NULL, forced, errstr, size)))
                return CF_ERR_USAGE;
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_opaque(conf, w);
        if ((err = cf_kclient_open(&w->prod, RD_KAFKA_PRODUCER, conf,
                                   "producer", errstr, size)) != CF_OK)
                return err;
        /* the value in force, whoever set it */
        if (rd_kafka_conf_get(rd_kafka_conf(w->prod.rk),
                              "transaction.timeout.ms", tto,
                              &n) != RD_KAFKA_CONF_OK ||
            !cf_parse_long(tto, 1, INT32_MAX, &w->txn_timeout_ms))
                w->txn_timeout_ms = 60000; /* librdkafka's default */
        w->emit.rk = w->prod.rk;
        if (w->eos && cf_txn_init(&w->prod, errstr, size) != CF_KR_OK)
                return CF_ERR_IO;
        return CF_OK;
}

cf_err_t cf_worker_renew_producer(cf_worker_t *w, char *errstr, size_t size) {
        cf_kclient_close(&w->prod);
        return open_producer(w, errstr, size);
}

static cf_err_t open_clients(cf_worker_t *w, char *errstr, size_t size) {
        const cf_config_t *cfg = w->cfg;
        /* queued.max.messages.kbytes: what librdkafka prefetches is held
         * while the worker (slower than the fetcher when it drains a
         * backlog) catches up: 8 MB keeps it fed (peak RSS draining
         * 100,000 migrations: 226 MB with 16 MB or the default, 188 MB
         * with 8 MB, the same throughput; docs/performance.md) */
        static const cf_kprop_t cons_defaults[] = {
            {"auto.offset.reset", "earliest"},
            {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "1000"},
            {"queued.max.messages.kbytes", "8192"},
            {NULL, NULL}};
        cf_kprop_t cons_forced[] = {{"group.id", cfg->group},
                                    {"enable.auto.commit", "false"},
                                    {"enable.auto.offset.store", "false"},
                                    {"isolation.level", "read_committed"},
                                    {"enable.partition.eof", "false"},
                                    {NULL, NULL}};
        /* the end of a partition shows as an empty fetch: do not let the
         * broker hold it the default 500 ms */
        static const cf_kprop_t rest_defaults[] = {{"fetch.wait.max.ms", "50"},
                                                   {NULL, NULL}};
        cf_kprop_t rest_forced[] = {{"group.id", cfg->group},
                                    {"enable.auto.commit", "false"},
                                    {"enable.auto.offset.store", "false"},
                                    {"isolation.level", "read_committed"},
                                    {"enable.partition.eof", "true"},
                                    {"auto.offset.reset", "earliest"},
                                    {NULL, NULL}};
        rd_kafka_conf_t *conf;
        rd_kafka_topic_partition_list_t *sub;
        cf_err_t err;

        if (w->eos) {
                w->tid = cfg->transactional_id;
                if (!w->tid) {
                        snprintf(w->tid_buf, sizeof(w->tid_buf), "%s-0",
                                 cfg->group);
                        w->tid = w->tid_buf;
                }
                cf_log(CF_LOG_INFO, "worker", "transactional.id %s", w->tid);
        }
        if ((err = open_producer(w, errstr, size)) != CF_OK)
                return err;
        /* the state reader */
        if (!(conf = cf_kconf_new(cfg, "restore", rest_defaults, rest_forced,
                                  errstr, size)))
                return CF_ERR_USAGE;
        if ((err = cf_kclient_open(&w->rest, RD_KAFKA_CONSUMER, conf, "restore",
                                   errstr, size)) != CF_OK)
                return err;
        if (rd_kafka_poll_set_consumer(w->rest.rk) != 0) {
                cf_errstr_set(errstr, size, "restore: no consumer queue");
                return CF_ERR_IO;
        }
        /* the group consumer */
        if (!(conf = cf_kconf_new(cfg, "worker", cons_defaults, cons_forced,
                                  errstr, size)))
                return CF_ERR_USAGE;
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_opaque(conf, w);
        if ((err = cf_kclient_open(&w->cons, RD_KAFKA_CONSUMER, conf,
                                   "consumer", errstr, size)) != CF_OK)
                return err;
        if (rd_kafka_poll_set_consumer(w->cons.rk) != 0) {
                cf_errstr_set(errstr, size, "no consumer queue");
                return CF_ERR_IO;
        }
        if (!(sub = rd_kafka_topic_partition_list_new(1)))
                return CF_ERR_NOMEM;
        rd_kafka_topic_partition_list_add(sub, cfg->topic_events,
                                          RD_KAFKA_PARTITION_UA);
        if (rd_kafka_subscribe(w->cons.rk, sub) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_topic_partition_list_destroy(sub);
                cf_errstr_set(errstr, size, "cannot subscribe to %s",
                              cfg->topic_events);
                return CF_ERR_IO;
        }
        rd_kafka_topic_partition_list_destroy(sub);
        return CF_OK;
}

/* Creates missing topics; w->n_parts gets the partition count. */
static cf_err_t topics(cf_worker_t *w, char *errstr, size_t size) {
        cf_kclient_t admin;
        rd_kafka_conf_t *conf;
        cf_err_t err;

        if (!(conf = cf_kconf_new(w->cfg, "admin", NULL, NULL, errstr, size)))
                return CF_ERR_USAGE;
        if ((err = cf_kclient_open(&admin, RD_KAFKA_PRODUCER, conf, "admin",
                                   errstr, size)) != CF_OK)
                return err;
        err =
            cf_ktopics_ensure(&admin, w->cfg, NULL, &w->n_parts, errstr, size);
        cf_kclient_close(&admin);
        return err;
}

/* With registry.url: the schemas of the actions and the audit record, once,
 * before any client joins the group (docs/registry.md). */
static cf_err_t register_schemas(cf_worker_t *w, char *errstr, size_t size) {
        cf_err_t err =
            cf_serde_register(w->serde, w->cfg->topic_actions, CF_SERDE_OUTPUTS,
                              w->opts->stop, errstr, size);
        if (err == CF_OK)
                err = cf_serde_register(w->serde, w->cfg->topic_audit,
                                        CF_SERDE_AUDIT, w->opts->stop, errstr,
                                        size);
        return err == CF_ERR_INVALID ? CF_ERR_USAGE : err;
}

static cf_err_t alloc_all(cf_worker_t *w) {
        w->max_msgs = (size_t)w->cfg->batch_max_records;
        for (w->n_slots = 16; w->n_slots < 2 * w->max_msgs; w->n_slots *= 2)
                ;
        w->parts = calloc((size_t)w->n_parts, sizeof(*w->parts));
        w->msgs = calloc(w->max_msgs, sizeof(*w->msgs));
        w->undo = calloc(w->max_msgs, sizeof(*w->undo));
        w->slots = malloc(w->n_slots * sizeof(*w->slots));
        /* at most max_msgs state records, each bounded by the state's own
         * caps (subscriptions, offers, handled ids, string lengths) */
        cf_buf_init(&w->undo_buf, SIZE_MAX / 2);
        if (!w->parts || !w->msgs || !w->undo || !w->slots)
                return CF_ERR_NOMEM;
        for (int p = 0; p < w->n_parts; p++)
                w->parts[p].last_handled = -1;
        return CF_OK;
}

static void shutdown_all(cf_worker_t *w) {
        if (w->cons.rk) {
                rd_kafka_resp_err_t err = rd_kafka_consumer_close(w->cons.rk);
                if (err)
                        cf_log(CF_LOG_WARN, "worker",
                               "closing the consumer: %s",
                               rd_kafka_err2str(err));
        }
        if (w->rest.rk && rd_kafka_consumer_close(w->rest.rk))
                cf_log(CF_LOG_WARN, "worker",
                       "closing the state reader failed");
        /* at-least-once flushes per batch; this only catches stragglers */
        if (w->prod.rk && !w->eos &&
            rd_kafka_flush(w->prod.rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
                cf_log(CF_LOG_WARN, "worker", "producer flush timed out");
        cf_kclient_close(&w->cons);
        cf_kclient_close(&w->rest);
        cf_kclient_close(&w->prod);
        for (int p = 0; w->parts && p < w->n_parts; p++)
                cf_store_destroy(w->parts[p].store);
        free(w->parts);
        free(w->msgs);
        free(w->undo);
        cf_buf_clear(&w->undo_buf);
        free(w->slots);
        cf_wm_clear(w);
        cf_emit_clear(&w->emit);
        cf_outbox_clear(&w->out);
        cf_event_clear(&w->ev);
        cf_serde_destroy(w->serde);
        cf_avro_destroy(w->av);
}

cf_err_t cf_worker_run(const cf_worker_opts_t *opts, cf_worker_stats_t *stats,
                       char *errstr, size_t errstr_size) {
        cf_worker_t w;
        cf_err_t err;

        memset(&w, 0, sizeof(w));
        memset(stats, 0, sizeof(*stats));
        w.opts = opts;
        w.cfg = opts->cfg;
        w.eos = opts->cfg->mode == CF_MODE_EOS;
        cf_event_init(&w.ev);
        cf_outbox_init(&w.out);
        if (opts->metrics)
                cf_metrics_beat(opts->metrics);
        if ((err = cf_avro_new(&w.av, errstr, errstr_size)) != CF_OK)
                goto out;
        if ((err = cf_serde_new(w.cfg, w.av, &w.serde, errstr, errstr_size)) !=
            CF_OK)
                goto out;
        if ((err = topics(&w, errstr, errstr_size)) != CF_OK)
                goto out;
        if ((err = register_schemas(&w, errstr, errstr_size)) != CF_OK) {
                if (*opts->stop)
                        err = CF_OK; /* stopped while waiting: clean */
                goto out;
        }
        if ((err = alloc_all(&w)) != CF_OK || (err = cf_wm_start(&w))) {
                cf_errstr_set(errstr, errstr_size, "out of memory");
                goto out;
        }
        cf_log(CF_LOG_INFO, "worker",
               "%s mode, group %s, %s -> %s, %s, %s, %s (%d partitions)",
               cf_config_mode_name(w.cfg->mode), w.cfg->group,
               w.cfg->topic_events, w.cfg->topic_actions, w.cfg->topic_audit,
               w.cfg->topic_state, w.cfg->topic_dlq, w.n_parts);
        cf_emit_init(&w.emit, NULL, w.av, w.cfg);
        if ((err = open_clients(&w, errstr, errstr_size)) != CF_OK)
                goto out;
        w.emit.serde = w.serde;
        loop(&w);
        if (w.fatal) {
                err = w.fatal_code != CF_OK ? w.fatal_code : CF_ERR_IO;
                cf_errstr_set(errstr, errstr_size, "%s", w.fatal_why);
        }
out:
        *stats = w.stats;
        shutdown_all(&w);
        return err;
}
