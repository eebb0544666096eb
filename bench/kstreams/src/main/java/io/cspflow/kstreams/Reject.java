package io.cspflow.kstreams;

/** Why an input could not be handled (rule 13): common/reject.h's codes. */
enum Reject {
    MALFORMED("malformed"),
    UNKNOWN_SCHEMA("unknown-schema"),
    UNKNOWN_TYPE("unknown-type"),
    NOT_AN_INPUT("not-an-input"),
    MISSING_FIELD("missing-field"),
    WRONG_TYPE("wrong-type"),
    INVALID_VALUE("invalid-value"),
    OVER_LIMIT("over-limit"),
    NO_MIGRATION("no-migration"),
    MIGRATION_OPEN("migration-open"),
    NOT_APPLICABLE("not-applicable"),
    UNKNOWN_SUBSCRIPTION("unknown-subscription"),
    MIGRATION_BLOCKED("migration-blocked");

    /** The stable kebab-case name (DLQ header, audit record). */
    final String code;

    Reject(String code) {
        this.code = code;
    }

    /** A refused input: the code and a human-readable detail. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final Reject reason;

        Refused(Reject reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }
}
