package io.cspflow.kstreams;

/** What Handlers.handle() decided for one input (handlers.h's cf_verdict_t). */
final class Verdict {
    enum Kind { APPLIED, DUPLICATE, REJECTED }

    Kind kind = Kind.APPLIED;
    Reject reason; // REJECTED only
    String detail = ""; // REJECTED only
    Migration.Status statusBefore = Migration.Status.NONE;
    Migration.Status statusAfter = Migration.Status.NONE;
    /** The spec rule that decided; 0 when none. */
    int rule;

    static Verdict rejected(Reject reason, String detail, Migration.Status status) {
        Verdict v = new Verdict();
        v.kind = Kind.REJECTED;
        v.reason = reason;
        v.detail = detail;
        v.statusBefore = v.statusAfter = status;
        v.rule = 13;
        return v;
    }
}
