/* bench: what bench_raw and bench_latency share: fatal errors, the clock,
 * client configuration from defaults + -X prop=value + forced properties,
 * and a topic's partition count.
 *
 * Ownership: bench_conf_new() returns a conf the caller hands to
 * rd_kafka_new() (which takes it on success). Nothing else allocates. */
#ifndef BENCH_KAFKA_H
#define BENCH_KAFKA_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

/** The program's name in messages ("bench_raw"). */
extern const char *bench_prog;

/** "<prog>: <message>" on stderr, exit 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

/** CLOCK_MONOTONIC in nanoseconds. */
int64_t bench_now_ns(void);

/** bootstrap.servers, then the NULL-terminated key/value pairs of
 *  defaults, then each "prop=value" of props (the -X options), then
 *  forced. Dies on a bad property. */
rd_kafka_conf_t *bench_conf_new(const char *bootstrap,
                                const char *const *defaults,
                                const char *const *props, int n_props,
                                const char *const *forced);

/** Partition count of topic (metadata, 10 s); dies when unknown. */
int bench_partitions(rd_kafka_t *rk, const char *topic);

#endif
