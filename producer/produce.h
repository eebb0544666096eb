/* cspflow: the producer behind `cspflow produce`: an idempotent producer
 * that sends keyed records to one topic (partitioned by librdkafka's
 * default partitioner on the key, so one key keeps one partition) and
 * waits for every delivery report, trusting only those that carry an
 * offset.
 *
 * This header is free of librdkafka (cli/ includes it).
 *
 * Ownership: cf_kproducer_new() returns a producer freed with
 * cf_kproducer_destroy(); it borrows cfg and topic for its lifetime.
 * Records are copied when sent. */
#ifndef CF_PRODUCE_H
#define CF_PRODUCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/error.h"

typedef struct cf_kproducer_s cf_kproducer_t;

/** Opens the producer; first makes sure the configured topics exist (as
 *  `cspflow run` creates them) and topic too. CF_ERR_USAGE for a bad
 *  configuration or mismatched partition counts, CF_ERR_IO when Kafka
 *  cannot be reached, CF_ERR_NOMEM. */
cf_err_t cf_kproducer_new(cf_kproducer_t **out, const cf_config_t *cfg,
                          const char *topic, char *errstr, size_t errstr_size);

/** Queues one record (key may be NULL). tag is the caller's number for it
 *  (`cspflow produce`: its input line), which an error about its delivery
 *  names as #tag. Waits while librdkafka's queue is full. CF_ERR_IO when
 *  librdkafka refuses it (errstr says why). */
cf_err_t cf_kproducer_send(cf_kproducer_t *p, const void *key, size_t key_len,
                           const void *value, size_t len, uint64_t tag,
                           char *errstr, size_t errstr_size);

/** Waits until every record sent has its delivery report. *delivered and
 *  *failed count them all (since the start). A record reported delivered
 *  without an offset counts as failed: the broker never acknowledged it
 *  and it may be missing (producer/kafka.h, cf_kdr_unconfirmed()). CF_OK
 *  when none failed, else CF_ERR_IO with the first failure in errstr, or
 *  the unconfirmed records' tags (the first ten). */
cf_err_t cf_kproducer_flush(cf_kproducer_t *p, uint64_t *delivered,
                            uint64_t *failed, char *errstr, size_t errstr_size);

void cf_kproducer_destroy(cf_kproducer_t *p);

#endif
