/* cspflow: caps on everything read from input.
 *
 * Every length and count taken from the wire or from a JSON line is checked
 * against one of these before anything is allocated for it. They are
 * compile-time maxima; docs/limits.md lists them. */
#ifndef CF_LIMITS_H
#define CF_LIMITS_H

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

#endif
