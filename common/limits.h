/* cspflow: caps on everything read from input.
 *
 * Every length and count taken from the wire or from a JSON line is checked
 * against one of these before anything is allocated for it. Those a
 * deployment may lower are in cf_limits_t (config keys limits.*): the
 * compile-time value is then both the default and the upper bound.
 * docs/limits.md lists them all. */
#ifndef CF_LIMITS_H
#define CF_LIMITS_H

#include <stddef.h>

#include "reject.h"

/** Longest identifier (event_id, partner_id, offer_id, ...), in bytes. */
#define CF_ID_MAX 128
/** Longest free text (provision-failed reason, migration-rejected detail). */
#define CF_TEXT_MAX 512
/** Most roles an actor may carry. */
#define CF_ROLES_MAX 16
/** Most source subscriptions one migration may hold. */
#define CF_SUBS_MAX 256
/** Most distinct event ids remembered per key (rule 12). */
#define CF_EVENTS_PER_KEY_MAX 4096
/** Longest JSON line `simulate` and `produce` accept, in bytes. */
#define CF_LINE_MAX (1024 * 1024)
/** Largest encoded record accepted from Kafka, in bytes. */
#define CF_RECORD_MAX (1024 * 1024)
/** Longest successor chain followed when resolving a discontinued offer. */
#define CF_OFFER_CHAIN_MAX 8
/** Most offers an offer catalog may list. */
#define CF_CATALOG_MAX 65536
/** Most migrations (keys) the worker holds in memory per partition. */
#define CF_KEYS_PER_PARTITION_MAX 1000000

/** The caps of input the worker's configuration may lower (docs/limits.md).
 *  Each lies in [its minimum, its CF_*_MAX]; an input over one goes to the
 *  DLQ as over-limit with the cap's config key in the detail (the worker
 *  checks every input with the two functions below, after the decoders,
 *  whose own caps are the maxima, so allocation is bounded either way). */
typedef struct cf_limits_s {
        int record_bytes;       /**< limits.record.bytes: one input record */
        int id_bytes;           /**< limits.id.bytes: an id or region */
        int text_bytes;         /**< limits.text.bytes: free text */
        int roles;              /**< limits.roles: roles of the actor */
        int subscriptions;      /**< limits.subscriptions: per migration */
        int keys_per_partition; /**< limits.keys.per.partition: migrations
                                     held in memory per partition */
} cf_limits_t;

struct cf_event_s;

/** CF_REJ_OVER_LIMIT, with detail naming limits.record.bytes, for a record
 *  of len bytes over lim's cap; CF_REJ_NONE otherwise. */
cf_reject_t cf_limits_check_record(const cf_limits_t *lim, size_t len,
                                   char *detail, size_t detail_size);

/** Checks a decoded event against lim: every id (limits.id.bytes), free
 *  text (limits.text.bytes), the roles (limits.roles) and the subscriptions
 *  (limits.subscriptions). CF_REJ_OVER_LIMIT with a detail naming the field
 *  and the cap's key ("field partner_id: 33 bytes, longer than 32
 *  (limits.id.bytes)"), else CF_REJ_NONE. Whatever decoded the event (the
 *  decoders' own caps are the compile-time maxima). */
cf_reject_t cf_limits_check_event(const cf_limits_t *lim,
                                  const struct cf_event_s *ev, char *detail,
                                  size_t detail_size);

/** Initialiser of a cf_limits_t holding the defaults (the maxima). */
#define CF_LIMITS_DEFAULT                                                      \
        {                                                                      \
                .record_bytes = CF_RECORD_MAX, .id_bytes = CF_ID_MAX,          \
                .text_bytes = CF_TEXT_MAX, .roles = CF_ROLES_MAX,              \
                .subscriptions = CF_SUBS_MAX,                                  \
                .keys_per_partition = CF_KEYS_PER_PARTITION_MAX                \
        }

#endif
