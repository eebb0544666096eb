/* cspflow: the reader behind `cspflow tail` (tail.h). */
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/log.h"
#include "producer/kafka.h"

#define POLL_MS      200
#define WATERMARK_MS 10000

typedef struct tctx_s {
        cf_tail_opts_t *o;
        cf_kclient_t kc;
        int n_parts;
        int64_t *next;    /* per partition: the offset to go on from */
        int64_t *lo, *hi; /* per partition: the range to read */
        uint64_t total;   /* sum of hi - lo */
        uint64_t before;  /* hi - lo of the partitions read before */
        char *errstr;
        size_t errstr_size;
} tctx_t;

bool cf_tail_header(const cf_tail_record_t *r, const char *name,
                    const void **value, size_t *size) {
        const rd_kafka_message_t *m = r->priv;
        rd_kafka_headers_t *h = NULL;
        const void *v = NULL;
        size_t n = 0;

        if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            rd_kafka_header_get_last(h, name, &v, &n) !=
                RD_KAFKA_RESP_ERR_NO_ERROR)
                return false;
        if (value)
                *value = v;
        if (size)
                *size = n;
        return true;
}

static cf_err_t deliver(tctx_t *c, const rd_kafka_message_t *m) {
        cf_tail_record_t r;

        r.partition = m->partition;
        r.offset = m->offset;
        r.key = m->key;
        r.key_len = m->key_len;
        r.value = m->payload;
        r.len = m->len;
        r.priv = m;
        c->o->records++;
        if (c->o->progress && m->offset >= c->lo[m->partition])
                cf_progress_update(
                    c->o->progress,
                    c->before + (uint64_t)(m->offset + 1 - c->lo[m->partition]),
                    c->total);
        if (c->o->fn(c->o->opaque, &r) != 0) {
                cf_errstr_set(c->errstr, c->errstr_size,
                              "stopped by the callback");
                return CF_ERR_IO;
        }
        return CF_OK;
}

/* A consumer error: fatal ones end the run, others are printed. */
static cf_err_t on_error(tctx_t *c, const rd_kafka_message_t *m) {
        char why[512];
        if (cf_kclient_fatal(&c->kc, why, sizeof(why))) {
                cf_errstr_set(c->errstr, c->errstr_size, "%s", why);
                return CF_ERR_IO;
        }
        cf_log(CF_LOG_WARN, "tail", "%s", rd_kafka_message_errstr(m));
        if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
            m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
                cf_errstr_set(c->errstr, c->errstr_size, "%s",
                              rd_kafka_message_errstr(m));
                return CF_ERR_IO;
        }
        return CF_OK;
}

static cf_err_t assign_one(tctx_t *c, int32_t p, int64_t offset) {
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;
        if (!l)
                return CF_ERR_NOMEM;
        rd_kafka_topic_partition_list_add(l, c->o->topic, p)->offset = offset;
        err = rd_kafka_assign(c->kc.rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (err) {
                cf_errstr_set(c->errstr, c->errstr_size, "assign: %s",
                              rd_kafka_err2str(err));
                return CF_ERR_IO;
        }
        return CF_OK;
}

/* The range of every partition, as of now: [log start, last stable
 * offset) on a read_committed client. */
static cf_err_t ranges(tctx_t *c) {
        for (int p = 0; p < c->n_parts; p++) {
                rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(
                    c->kc.rk, c->o->topic, p, &c->lo[p], &c->hi[p],
                    WATERMARK_MS);
                cf_kclient_drain_logs(&c->kc);
                if (kerr) {
                        cf_errstr_set(c->errstr, c->errstr_size,
                                      "%s [%d]: watermarks: %s", c->o->topic, p,
                                      rd_kafka_err2str(kerr));
                        return CF_ERR_IO;
                }
                if (c->hi[p] > c->lo[p])
                        c->total += (uint64_t)(c->hi[p] - c->lo[p]);
        }
        return CF_OK;
}

/* Partition p from its start to the end captured by ranges(). */
static cf_err_t read_partition(tctx_t *c, int32_t p) {
        int64_t lo = c->lo[p], hi = c->hi[p], last = cf_kclock_ms();
        int64_t idle_ms = (int64_t)c->o->idle_exit_s * 1000;
        cf_err_t err;

        c->next[p] = hi;
        if (hi <= lo)
                return CF_OK;
        if ((err = assign_one(c, p, RD_KAFKA_OFFSET_BEGINNING)) != CF_OK)
                return err;
        while (!*c->o->stop) {
                rd_kafka_message_t *m =
                    rd_kafka_consumer_poll(c->kc.rk, POLL_MS);
                bool done = false;
                cf_kclient_drain_logs(&c->kc);
                if (!m) {
                        if (idle_ms > 0 && cf_kclock_ms() - last >= idle_ms) {
                                cf_log(CF_LOG_WARN, "tail",
                                       "%s [%d]: no progress for %d s before "
                                       "offset %lld: moving on",
                                       c->o->topic, (int)p, c->o->idle_exit_s,
                                       (long long)hi);
                                break;
                        }
                        continue;
                }
                last = cf_kclock_ms();
                if (m->partition != p) {
                        err = CF_OK;
                } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        done = m->offset >= hi;
                        err = CF_OK;
                } else if (m->err) {
                        err = on_error(c, m);
                } else if (m->offset >= hi) {
                        done = true; /* past the end captured */
                        err = CF_OK;
                } else {
                        err = deliver(c, m);
                        done = m->offset + 1 >= hi;
                }
                rd_kafka_message_destroy(m);
                if (err != CF_OK)
                        return err;
                if (done)
                        break;
        }
        return CF_OK;
}

/* Every partition at once from c->next (or the end), until idle/stop. */
static cf_err_t follow(tctx_t *c) {
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(c->n_parts);
        int64_t idle_ms = (int64_t)c->o->idle_exit_s * 1000;
        int64_t last = cf_kclock_ms();
        rd_kafka_resp_err_t kerr;
        cf_err_t err = CF_OK;

        if (!l)
                return CF_ERR_NOMEM;
        for (int p = 0; p < c->n_parts; p++)
                rd_kafka_topic_partition_list_add(l, c->o->topic, p)->offset =
                    c->next[p] >= 0 ? c->next[p] : RD_KAFKA_OFFSET_END;
        kerr = rd_kafka_assign(c->kc.rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (kerr) {
                cf_errstr_set(c->errstr, c->errstr_size, "assign: %s",
                              rd_kafka_err2str(kerr));
                return CF_ERR_IO;
        }
        while (err == CF_OK && !*c->o->stop) {
                rd_kafka_message_t *m =
                    rd_kafka_consumer_poll(c->kc.rk, POLL_MS);
                cf_kclient_drain_logs(&c->kc);
                if (!m) {
                        if (idle_ms > 0 && cf_kclock_ms() - last >= idle_ms)
                                break;
                        continue;
                }
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        err = CF_OK;
                } else if (m->err) {
                        err = on_error(c, m);
                } else {
                        last = cf_kclock_ms();
                        err = deliver(c, m);
                }
                rd_kafka_message_destroy(m);
        }
        return err;
}

/* The reader's consumer: read_committed, assign-only, never commits. */
static cf_err_t open_reader(const cf_config_t *cfg, cf_kclient_t *kc,
                            char *errstr, size_t errstr_size) {
        char group[CF_ID_MAX + 16];
        cf_kprop_t forced[] = {{"group.id", NULL},
                               {"enable.auto.commit", "false"},
                               {"enable.auto.offset.store", "false"},
                               {"isolation.level", "read_committed"},
                               {"enable.partition.eof", "true"},
                               {NULL, NULL}};
        /* the end of a partition shows as an empty fetch: do not let the
         * broker hold it the default 500 ms */
        static const cf_kprop_t defaults[] = {{"auto.offset.reset", "earliest"},
                                              {"fetch.wait.max.ms", "50"},
                                              {NULL, NULL}};
        rd_kafka_conf_t *conf;
        cf_err_t err;

        snprintf(group, sizeof(group), "%s-tail", cfg->group);
        forced[0].value = group;
        if (!(conf = cf_kconf_new(cfg, "tail", defaults, forced, errstr,
                                  errstr_size)))
                return CF_ERR_USAGE;
        if ((err = cf_kclient_open(kc, RD_KAFKA_CONSUMER, conf, "tail", errstr,
                                   errstr_size)) != CF_OK)
                return err;
        if (rd_kafka_poll_set_consumer(kc->rk) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                cf_errstr_set(errstr, errstr_size,
                              "cannot route messages to the consumer queue");
                cf_kclient_close(kc);
                return CF_ERR_IO;
        }
        return CF_OK;
}

cf_err_t cf_tail_offsets_for_time(const cf_config_t *cfg, const char *topic,
                                  int64_t ms, int64_t *offsets, int n,
                                  char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l = NULL;
        rd_kafka_resp_err_t kerr;
        cf_kclient_t kc;
        cf_err_t err;

        if ((err = open_reader(cfg, &kc, errstr, errstr_size)) != CF_OK)
                return err;
        if (!(l = rd_kafka_topic_partition_list_new(n))) {
                err = CF_ERR_NOMEM;
                cf_errstr_set(errstr, errstr_size, "out of memory");
                goto out;
        }
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(l, topic, p)->offset = ms;
        kerr = rd_kafka_offsets_for_times(kc.rk, l, WATERMARK_MS);
        cf_kclient_drain_logs(&kc);
        if (kerr) {
                cf_errstr_set(errstr, errstr_size, "%s: offsets for time: %s",
                              topic, rd_kafka_err2str(kerr));
                err = CF_ERR_IO;
                goto out;
        }
        for (int i = 0; i < l->cnt; i++) {
                const rd_kafka_topic_partition_t *t = &l->elems[i];
                if (t->err) {
                        cf_errstr_set(errstr, errstr_size,
                                      "%s [%d]: offsets for time: %s", topic,
                                      (int)t->partition,
                                      rd_kafka_err2str(t->err));
                        err = CF_ERR_IO;
                        goto out;
                }
                if (t->partition >= 0 && t->partition < n)
                        offsets[t->partition] =
                            t->offset < 0 ? INT64_MAX : t->offset;
        }
out:
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        cf_kclient_close(&kc);
        return err;
}

cf_err_t cf_tail_run(cf_tail_opts_t *o, char *errstr, size_t errstr_size) {
        tctx_t c;
        cf_err_t err;

        memset(&c, 0, sizeof(c));
        c.o = o;
        c.errstr = errstr;
        c.errstr_size = errstr_size;
        o->records = 0;
        if ((err = open_reader(o->cfg, &c.kc, errstr, errstr_size)) != CF_OK)
                return err;
        if ((err = cf_ktopic_partitions(&c.kc, o->topic, &c.n_parts, errstr,
                                        errstr_size)) != CF_OK)
                goto out;
        if (c.n_parts <= 0) {
                cf_errstr_set(errstr, errstr_size, "topic %s does not exist",
                              o->topic);
                err = CF_ERR_USAGE;
                goto out;
        }
        o->partitions = c.n_parts;
        if (!(c.next = malloc((size_t)c.n_parts * sizeof(*c.next))) ||
            !(c.lo = calloc((size_t)c.n_parts, sizeof(*c.lo))) ||
            !(c.hi = calloc((size_t)c.n_parts, sizeof(*c.hi)))) {
                err = CF_ERR_NOMEM;
                cf_errstr_set(errstr, errstr_size, "out of memory");
                goto out;
        }
        for (int p = 0; p < c.n_parts; p++)
                c.next[p] = -1;
        if (o->from_beginning) {
                err = ranges(&c);
                for (int p = 0; err == CF_OK && p < c.n_parts && !*o->stop;
                     p++) {
                        err = read_partition(&c, p);
                        if (c.hi[p] > c.lo[p])
                                c.before += (uint64_t)(c.hi[p] - c.lo[p]);
                        cf_progress_update(o->progress, c.before, c.total);
                }
                if (err == CF_OK && !*o->stop)
                        cf_progress_done(o->progress, c.before);
                if (err != CF_OK || o->idle_exit_s > 0 || o->stop_at_end ||
                    *o->stop)
                        goto out;
        }
        err = follow(&c);
out:
        if (c.kc.rk && rd_kafka_consumer_close(c.kc.rk))
                cf_log(CF_LOG_WARN, "tail", "closing the consumer failed");
        cf_kclient_close(&c.kc);
        free(c.next);
        free(c.lo);
        free(c.hi);
        return err;
}
