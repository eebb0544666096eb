/* cspflow: the reader behind `cspflow tail`: a read_committed consumer of
 * one topic, assign-only (no group membership, no commits), that hands each
 * record to a callback.
 *
 * With from_beginning: partition 0 from its start up to the end captured
 * when the run began (the last stable offset), then partition 1, ..., so a
 * key's records come out in order and partitions one after the other.
 * Then, unless idle_exit_s or stop_at_end is set, it follows every
 * partition; with either it returns instead (replay and inspect read a
 * topic "to its current end" this way). The progress, when given, counts
 * offsets read of the partitions' [start, end) ranges. Without from_beginning
 * it follows every partition from its end. While following, idle_exit_s > 0
 * ends the run once that many seconds pass without a record; in the
 * partition-order phase, it moves on from a partition that shows no progress
 * for that long.
 *
 * This header is free of librdkafka (cli/ includes it).
 *
 * Ownership: everything in cf_tail_opts_t is borrowed; a record's
 * pointers are valid during the callback only. */
#ifndef CF_TAIL_H
#define CF_TAIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/error.h"
#include "common/progress.h"

typedef struct cf_tail_record_s {
        int32_t partition;
        int64_t offset;
        const void *key; /**< NULL when the record has none */
        size_t key_len;
        const void *value; /**< NULL when the record has none */
        size_t len;
        const void *priv; /**< the reader's, for cf_tail_header() */
} cf_tail_record_t;

/** The last header called name of r: *value (not NUL-terminated; may be
 *  NULL) and *size. False when r has none. */
bool cf_tail_header(const cf_tail_record_t *r, const char *name,
                    const void **value, size_t *size);

/** Called per record; a non-zero return stops the run (returned as
 *  CF_ERR_IO with errstr "stopped by the callback"). */
typedef int (*cf_tail_fn)(void *opaque, const cf_tail_record_t *r);

typedef struct cf_tail_opts_s {
        const cf_config_t *cfg;
        const char *topic;
        bool from_beginning;
        bool stop_at_end;        /**< with from_beginning: never follow */
        int idle_exit_s;         /**< 0: none */
        cf_progress_t *progress; /**< NULL: none (borrowed) */
        volatile sig_atomic_t *stop;
        cf_tail_fn fn;
        void *opaque;
        uint64_t records; /**< out: records handed to fn */
        int partitions;   /**< out: the topic's partition count */
} cf_tail_opts_t;

/** For each partition p < n of topic, the first offset whose timestamp is
 *  at or after ms, into offsets[p]; INT64_MAX when it has none (every
 *  record is older). CF_ERR_IO on a Kafka error (a partition n or more
 *  that the topic lacks is one), CF_ERR_USAGE for a bad configuration. */
cf_err_t cf_tail_offsets_for_time(const cf_config_t *cfg, const char *topic,
                                  int64_t ms, int64_t *offsets, int n,
                                  char *errstr, size_t errstr_size);

/** CF_OK when stopped by *stop or idle_exit_s; CF_ERR_USAGE for a bad
 *  configuration or a topic that does not exist; CF_ERR_IO on a Kafka
 *  error. */
cf_err_t cf_tail_run(cf_tail_opts_t *o, char *errstr, size_t errstr_size);

#endif
