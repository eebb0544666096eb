/* cspflow: librdkafka's in-process mock cluster, for `cspflow demo` (no
 * broker to set up) and for tests that inject protocol errors. It is not a
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
void cf_mock_destroy(cf_mock_t *m);

#endif
