package io.cspflow.kstreams;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * Counts what Kafka Streams restores from the changelog into the store (a
 * fresh STATE_DIR, or a store behind its changelog), so that the benchmark
 * can read a restore rate: App prints {"restored":N,"restore_ms":T} when
 * the application reaches RUNNING after a restore.
 */
final class Restore implements StateRestoreListener {
    private final AtomicLong restored = new AtomicLong();
    private final AtomicLong firstStartNs = new AtomicLong();
    private final AtomicLong lastEndNs = new AtomicLong();

    @Override
    public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
        firstStartNs.compareAndSet(0, System.nanoTime());
    }

    @Override
    public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {
        restored.addAndGet(n);
    }

    @Override
    public void onRestoreEnd(TopicPartition tp, String store, long total) {
        lastEndNs.set(System.nanoTime());
    }

    /** The summary line, then counts from zero again; null when nothing
     *  was restored since the last call. */
    String takeJson() {
        long n = restored.getAndSet(0), t0 = firstStartNs.getAndSet(0);
        long t1 = lastEndNs.getAndSet(0);
        if (n == 0 || t0 == 0)
            return null;
        return "{\"restored\":" + n + ",\"restore_ms\":" + Math.max(0, t1 - t0) / 1_000_000
            + "}";
    }
}
