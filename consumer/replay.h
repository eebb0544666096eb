/* cspflow: replay. Re-runs the rules over the events topic in memory and
 * compares what they emit with what the actions topic holds.
 *
 *  1. The events topic is read (read_committed, assign-only, no group, no
 *     commit: consumer/tail.h) from the start of every partition to the end
 *     it has when the run begins. Each record goes through exactly what the
 *     worker does: a record at or below its partition's last offset is
 *     skipped, it is decoded (registry/serde.h: either framing, the
 *     registry when configured) and checked (schemas/input.h) as the
 *     worker does (a refusal emits nothing: the worker sends it to the
 *     DLQ), and cf_store_apply() runs the handlers
 *     (rule 12 duplicates emit nothing), one store per partition as the
 *     worker keeps them.
 *  2. The range (from the beginning, from offsets, from a time) says which
 *     inputs are compared: inputs before it are still applied, silently,
 *     so that every key's state is the one the worker had when the range
 *     begins (the compacted state topic only holds the latest state, so it
 *     cannot give a key's state as of an offset). The outputs of inputs in
 *     the range are the expected records.
 *  3. The actions topic is read to its end the same way, and compared by
 *     event_id: missing (expected, not in the topic), extra (in the topic,
 *     not expected; with a range, only records caused by an input in the
 *     range count), changed (same event_id, some field differs, or another
 *     partition). Identical copies of one record (at-least-once redelivery)
 *     are counted, not reported.
 *
 * This header is free of librdkafka (cli/ includes it).
 *
 * Ownership: the options are borrowed; cf_replay_run() fills a result the
 * caller frees with cf_replay_result_clear(). */
#ifndef CF_REPLAY_H
#define CF_REPLAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/config.h"
#include "common/error.h"
#include "common/event.h"

/** Most outputs one replay keeps to compare (each costs its JSON form). */
#define CF_REPLAY_OUTPUTS_MAX 5000000
/** Most partitions --from-offset names. */
#define CF_REPLAY_PARTITIONS_MAX 4096

typedef enum cf_replay_from_e {
        CF_REPLAY_FROM_BEGINNING = 0,
        CF_REPLAY_FROM_OFFSETS, /**< per partition; others from the start */
        CF_REPLAY_FROM_TIME,    /**< first offset at or after a time */
} cf_replay_from_t;

typedef struct cf_replay_opts_s {
        const cf_config_t *cfg;
        const cf_catalog_t *catalog; /**< may be NULL */
        cf_replay_from_t from;
        const int64_t *from_offsets; /**< FROM_OFFSETS: per partition, -1
                                          for the start; n_from_offsets */
        int n_from_offsets;
        int64_t from_time_ms; /**< FROM_TIME: UTC ms */
        bool progress;        /**< a progress bar / progress lines */
        volatile sig_atomic_t *stop;
} cf_replay_opts_t;

typedef enum cf_diff_kind_e {
        CF_DIFF_MISSING = 0, /**< replay emits it, the topic lacks it */
        CF_DIFF_EXTRA,       /**< the topic holds it, replay does not emit */
        CF_DIFF_CHANGED,     /**< same event_id, a field differs */
} cf_diff_kind_t;

/** One field of a changed record. */
typedef struct cf_diff_field_s {
        char *field;
        char *expected; /**< compact JSON */
        char *actual;
} cf_diff_field_t;

typedef struct cf_diff_s {
        cf_diff_kind_t kind;
        char key[CF_KEY_SIZE]; /**< partner/tenant ("" when unknown) */
        cf_id_t event_id;
        cf_id_t type;
        cf_id_t causation_id;
        int32_t partition; /**< of the actions record; -1 for MISSING */
        int64_t offset;
        char *detail; /**< EXTRA of an undecodable record: why, else NULL */
        cf_diff_field_t *fields; /**< CHANGED: n_fields of them */
        size_t n_fields;
} cf_diff_t;

typedef struct cf_replay_result_s {
        uint64_t inputs;          /**< event records read */
        uint64_t inputs_in_range; /**< of them, in the compared range */
        uint64_t applied, duplicates, rejected, skipped_offsets;
        uint64_t expected; /**< outputs of inputs in the range */
        uint64_t actions;  /**< records of the actions topic read */
        uint64_t compared; /**< of them, in scope */
        uint64_t matched;  /**< identical to their expected record */
        uint64_t copies;   /**< identical repeats of a record */
        uint64_t missing, extra, changed;
        uint64_t keys;    /**< keys with a difference */
        int partitions;   /**< of the events topic */
        cf_diff_t *diffs; /**< owned, sorted by key, then event_id */
        size_t n_diffs;
} cf_replay_result_t;

/** CF_OK when the comparison ran (whatever it found); CF_ERR_USAGE for a
 *  bad configuration or a missing topic, CF_ERR_IO on a Kafka error, a
 *  schema registry that cannot be asked, or when stopped, CF_ERR_LIMIT over
 * CF_REPLAY_OUTPUTS_MAX, CF_ERR_NOMEM. res is filled as far as it got; clear it
 * in every case. */
cf_err_t cf_replay_run(const cf_replay_opts_t *o, cf_replay_result_t *res,
                       char *errstr, size_t errstr_size);

void cf_replay_result_clear(cf_replay_result_t *res);

/** "missing", "extra", "changed". */
const char *cf_diff_kind_name(cf_diff_kind_t k);

#endif
