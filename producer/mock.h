/* cspflow: librdkafka's in-process mock cluster, for `cspflow demo` (no
 * broker to set up) and for tests that inject protocol errors
 * (cf_mock_push_errors). It is not a
 * real broker: it ignores read_committed and does not store transactional
 * offsets, so it proves nothing about exactly-once.
 *
 * Ownership: cf_mock_new() returns a cluster the caller stops and frees
 * with cf_mock_destroy(); the bootstrap string belongs to it. */
#ifndef CF_MOCK_H
#define CF_MOCK_H

#include <stddef.h>

#include "common/error.h"

typedef struct cf_mock_s cf_mock_t;

/** Starts a mock cluster of `brokers` brokers on 127.0.0.1. */
cf_err_t cf_mock_new(cf_mock_t **out, int brokers, char *errstr,
                     size_t errstr_size);
/** "host:port,..." of the cluster. */
const char *cf_mock_bootstraps(const cf_mock_t *m);
/** Creates a topic (the mock's admin API support is partial). */
cf_err_t cf_mock_create_topic(cf_mock_t *m, const char *topic, int partitions,
                              char *errstr, size_t errstr_size);
/** Protocol fault injection (tests): the next cnt requests of Kafka
 *  protocol type api_key (0 Produce, 1 Fetch, 22 InitProducerId, ...) that
 *  reach broker 1 fail with errors[0], errors[1], ... (librdkafka error
 *  codes), after any pushed before. */
cf_err_t cf_mock_push_errors(cf_mock_t *m, int api_key, size_t cnt,
                             const int *errors, char *errstr,
                             size_t errstr_size);
/** The same, each error answered delay_ms late; a later response on the
 *  same connection waits behind a late one. */
cf_err_t cf_mock_push_errors_late(cf_mock_t *m, int api_key, size_t cnt,
                                  const int *errors, int delay_ms, char *errstr,
                                  size_t errstr_size);
/** How many of the errors pushed for api_key broker 1 has not used yet. */
size_t cf_mock_errors_left(cf_mock_t *m, int api_key);
void cf_mock_destroy(cf_mock_t *m);

#endif
