/* cspflow: what every Kafka client of cspflow shares. Internal to consumer/
 * and producer/ (the only folders that include rdkafka.h).
 *
 *  - Configuration: cf_kconf_new() builds a librdkafka conf from cf_config_t:
 *    our defaults, then every `kafka.<property>` of the file (so SASL, TLS
 *    and tuning pass through as librdkafka documents them), then the
 *    settings the command's guarantees depend on (forced last).
 *  - Logs: librdkafka's logs go to a queue per client (log.queue=true,
 *    rd_kafka_set_log_queue) that the main thread drains into cf_log
 *    (common/log.h), component "rdkafka.<FAC>", message "<client>: <text>".
 *  - Errors, classed as librdkafka classes them (examples/transactions.c):
 *    retriable (call again), abortable (abort the transaction, rewind, go
 *    on), fatal (stop). Unclassed means fatal.
 *  - Topics: cf_ktopics_ensure() creates the five topics when missing,
 *    checks they share one partition count and waits until their leaders
 *    serve them.
 *
 * Ownership: cf_kconf_new() returns a conf that cf_kclient_open() takes in
 * every case (success or not). A cf_kclient_t owns its handle and log
 * queue; cf_kclient_close() frees both (the struct is the caller's). */
#ifndef CF_KAFKA_H
#define CF_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "common/config.h"
#include "common/error.h"

/** One librdkafka property; arrays of them end with {NULL, NULL}. */
typedef struct cf_kprop_s {
        const char *key;
        const char *value;
} cf_kprop_t;

/** How an error from librdkafka is to be handled. */
typedef enum cf_kres_e {
        CF_KR_OK = 0,
        CF_KR_RETRY, /**< retriable: call again */
        CF_KR_ABORT, /**< abortable: abort, rewind, go on */
        CF_KR_FATAL, /**< stop cleanly, exit 1 */
} cf_kres_t;

typedef struct cf_kclient_s {
        rd_kafka_t *rk;
        rd_kafka_queue_t *logq;
        char name[32]; /**< for log lines: "producer", "consumer", ... */
} cf_kclient_t;

/** A conf for a client called name: client.id "cspflow-<name>",
 *  log.queue, the error callback, then defaults, cfg->kafka (among them
 *  kafka.bootstrap.servers), forced (either array may be NULL). NULL
 *  with errstr set when librdkafka refuses a property (the message names
 *  it, and for a kafka.* key where it was set). */
rd_kafka_conf_t *cf_kconf_new(const cf_config_t *cfg, const char *name,
                              const cf_kprop_t *defaults,
                              const cf_kprop_t *forced, char *errstr,
                              size_t errstr_size);

/** Sets one property; CF_ERR_USAGE with errstr naming it on refusal. */
cf_err_t cf_kconf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      char *errstr, size_t errstr_size);

/** rd_kafka_new() plus the log queue. Takes conf in every case. On failure
 *  kc is zeroed and errstr says why (CF_ERR_USAGE for a bad
 *  configuration, CF_ERR_NOMEM). */
cf_err_t cf_kclient_open(cf_kclient_t *kc, rd_kafka_type_t type,
                         rd_kafka_conf_t *conf, const char *name, char *errstr,
                         size_t errstr_size);

/** Logs (cf_log) what waits in the client's queue. NULL handle: no-op. */
void cf_kclient_drain_logs(cf_kclient_t *kc);

/** Destroys the handle (after draining its logs). Safe on a zeroed kc.
 *  A consumer must have been closed first when it should leave its group
 *  cleanly. */
void cf_kclient_close(cf_kclient_t *kc);

/** True, with errstr saying so, when a client of this process failed to
 *  authenticate (SASL): librdkafka only retries such an error, so a
 *  request that timed out is explained by it. Serves kc's callbacks. */
bool cf_kclient_auth_failed(cf_kclient_t *kc, char *errstr, size_t errstr_size);

/** True, with errstr naming it, when the client raised a fatal error. */
bool cf_kclient_fatal(cf_kclient_t *kc, char *errstr, size_t errstr_size);

/** True when a delivery report says "delivered" but carries no offset: the
 *  broker never acknowledged this record. librdkafka (2.0.2 and later) does
 *  that when a produce request of a partition fails and a later one in
 *  flight behind it succeeds: it takes the first request's records as
 *  written ("implicit ack"), which is wrong when the failure said they
 *  were not (NOT_LEADER_OR_FOLLOWER from a partition the broker has not
 *  finished creating, or during a leader change) and the broker accepted
 *  the later request at a sequence gap (it does for a producer it has no
 *  state for on that partition). Such a record must be treated as not
 *  delivered (docs/worker.md). */
bool cf_kdr_unconfirmed(const rd_kafka_message_t *m);

/** Classes error (NULL: CF_KR_OK) and destroys it; errstr gets
 *  "<what>: <ERR_NAME>: <text>" (for a fatal error, the fatal reason). */
cf_kres_t cf_kerror_take(rd_kafka_t *rk, rd_kafka_error_t *error,
                         const char *what, char *errstr, size_t errstr_size);

/** Monotonic milliseconds. */
int64_t cf_kclock_ms(void);

/** Backoff between tries of a retriable call: false once budget_ms have
 *  passed since t0, else sleeps *ms (draining kc's logs; kc may be NULL)
 *  and doubles *ms up to 2 s. Start *ms at 100. */
bool cf_kbackoff(cf_kclient_t *kc, int64_t t0, int64_t budget_ms, int *ms);

/** True for the errors a group coordinator gives while it moves or loads
 *  (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, timeouts, transport,
 *  ...): worth trying again. */
bool cf_kerr_coordinator_transient(rd_kafka_resp_err_t err);

/** rd_kafka_committed() on parts, tried again while it fails with an error
 *  a group coordinator that moves or loads gives (NOT_COORDINATOR,
 *  COORDINATOR_LOAD_IN_PROGRESS, timeouts, transport, ...), for up to
 *  budget_ms in all. Returns the last error. */
rd_kafka_resp_err_t cf_kcommitted(cf_kclient_t *kc,
                                  rd_kafka_topic_partition_list_t *parts,
                                  int64_t budget_ms);

/** Makes sure the five topics of cfg exist with one partition count, and
 *  extra too when not NULL and not one of them (created like the actions
 *  topic when missing). The events topic's count wins when it exists, else
 *  cfg->partitions; the state topic is created compacted. Returns once
 *  every partition of them is served by its leader (a new topic's are not
 *  at once: see cf_kdr_unconfirmed()). *partitions gets the count. CF_ERR_USAGE
 * when an existing topic has another partition count than the events topic
 * (errstr names both), CF_ERR_IO on a Kafka error or timeout, CF_ERR_NOMEM. */
cf_err_t cf_ktopics_ensure(cf_kclient_t *kc, const cf_config_t *cfg,
                           const char *extra, int *partitions, char *errstr,
                           size_t errstr_size);

/** Partition count of an existing topic into *partitions (0 when the topic
 *  does not exist). CF_ERR_IO on a Kafka error. */
cf_err_t cf_ktopic_partitions(cf_kclient_t *kc, const char *topic,
                              int *partitions, char *errstr,
                              size_t errstr_size);

#endif
