package io.cspflow.kstreams;

import java.util.concurrent.atomic.AtomicLong;

/** Inputs handled, for the summary line at exit (cspflow's names). Counts
 *  processing, so an input redone after an aborted transaction counts twice. */
final class Stats {
    final AtomicLong consumed = new AtomicLong();
    final AtomicLong applied = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();

    String json() {
        return "{\"consumed\":" + consumed + ",\"applied\":" + applied + ",\"duplicates\":"
            + duplicates + ",\"rejected\":" + rejected + "}";
    }
}
