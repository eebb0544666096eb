/* cspflow: why an input could not be handled (rule 13).
 *
 * Every input that is not applied and not a skipped duplicate goes to the
 * DLQ with one of these codes plus a human-readable detail. The codes are
 * stable: metrics, DLQ headers and `event-rejected` lines use their names. */
#ifndef CF_REJECT_H
#define CF_REJECT_H

typedef enum cf_reject_e {
        CF_REJ_NONE = 0,
        CF_REJ_MALFORMED,      /**< not JSON / not decodable bytes */
        CF_REJ_UNKNOWN_SCHEMA, /**< framing names a schema we do not know */
        CF_REJ_UNKNOWN_TYPE,   /**< `type` is not an event type */
        CF_REJ_NOT_AN_INPUT,   /**< an output type on the input topic */
        CF_REJ_MISSING_FIELD,  /**< a required field is absent */
        CF_REJ_WRONG_TYPE,     /**< a field has the wrong JSON/Avro type */
        CF_REJ_INVALID_VALUE,  /**< right type, value not allowed */
        CF_REJ_OVER_LIMIT,     /**< over a cap of limits.h */
        CF_REJ_NO_MIGRATION,   /**< no open migration for the key */
        CF_REJ_MIGRATION_OPEN, /**< migration-requested while one is open */
        CF_REJ_NOT_APPLICABLE, /**< the event does not apply in this state */
        CF_REJ_UNKNOWN_SUBSCRIPTION, /**< not a source of this migration */
        CF_REJ_MIGRATION_BLOCKED,    /**< the migration is blocked (rule 11) */
        CF_REJ_INCOMPATIBLE_SCHEMA,  /**< the writer's schema does not
                                          resolve to the reader's */
        CF_REJ__COUNT
} cf_reject_t;

/** Kebab-case name of a code, e.g. "unknown-subscription". */
const char *cf_reject_name(cf_reject_t r);

#endif
