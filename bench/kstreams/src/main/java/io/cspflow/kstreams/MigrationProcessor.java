package io.cspflow.kstreams;

import io.cspflow.kstreams.Reject.Refused;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The one processor of the topology: per input record, decode, look up
 * its key's migration in the store, Handlers.handle(), put the new state,
 * forward the actions, one audit record, and the input to the DLQ when it
 * was refused (rule 13). What cspflow's consumer/batch.c does per record;
 * Kafka Streams' exactly_once_v2 commits it all (outputs, changelog,
 * offsets) in one transaction per commit interval.
 */
final class MigrationProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String STORE = "migrations";
    static final String ACTIONS = "actions";
    static final String AUDIT = "audit";
    static final String DLQ = "dlq";

    private final Schemas schemas;
    private final Catalog catalog;
    private final String ceSource;
    private final Stats stats;
    private final List<Event> outbox = new ArrayList<>();
    private ProcessorContext<byte[], byte[]> ctx;
    private KeyValueStore<String, Migration> store;
    private EventCodec codec;
    private AuditWriter audit;

    MigrationProcessor(Schemas schemas, Catalog catalog, String ceSource, Stats stats) {
        this.schemas = schemas;
        this.catalog = catalog;
        this.ceSource = ceSource;
        this.stats = stats;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        ctx = context;
        store = context.getStateStore(STORE);
        codec = new EventCodec(schemas);
        audit = new AuditWriter(schemas, codec);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void process(Record<byte[], byte[]> rec) {
        RecordMetadata md = ctx.recordMetadata().orElseThrow();
        stats.consumed.incrementAndGet();
        Event ev;
        try {
            ev = codec.decode(rec.value());
        } catch (Refused r) {
            refuse(rec, md, null, Verdict.rejected(r.reason, r.getMessage(),
                                                   Migration.Status.NONE));
            return;
        }
        String key = ev.key();
        byte[] keyBytes = utf8(key);
        if (!ev.type.input || rec.key() == null || !Arrays.equals(rec.key(), keyBytes)) {
            Migration cur = store.get(key);
            String detail = !ev.type.input
                ? "type: \"" + ev.type.kebab + "\" is an output event, not an input"
                : "record key (" + (rec.key() == null ? "null, 0" : rec.key().length)
                      + " bytes) is not the event's key \"" + key + "\"";
            refuse(rec, md, ev, Verdict.rejected(
                       ev.type.input ? Reject.INVALID_VALUE : Reject.NOT_AN_INPUT, detail,
                       cur != null ? cur.status : Migration.Status.NONE));
            return;
        }

        Migration m = store.get(key);
        if (m == null)
            m = new Migration(ev.partnerId, ev.customerTenantId);
        outbox.clear();
        Verdict v = Handlers.handle(catalog, m, ev, outbox);
        switch (v.kind) {
        case APPLIED -> {
            stats.applied.incrementAndGet();
            m.lastInputOffset = md.offset();
            store.put(key, m);
            String ceTime = Text.isoTime(ev.occurredAt);
            for (Event out : outbox) {
                Headers h = new RecordHeaders();
                h.add("ce_specversion", utf8("1.0"));
                h.add("ce_id", utf8(out.eventId));
                h.add("ce_source", utf8(ceSource));
                h.add("ce_type", utf8(out.type.ceType));
                h.add("ce_time", utf8(ceTime));
                h.add("ce_subject", keyBytes);
                h.add("content-type", utf8("application/avro"));
                ctx.forward(new Record<>(keyBytes, codec.encode(out), rec.timestamp(), h),
                            ACTIONS);
            }
            forwardAudit(rec, md, ev, v, outbox);
        }
        case DUPLICATE -> {
            stats.duplicates.incrementAndGet();
            forwardAudit(rec, md, ev, v, List.of());
        }
        case REJECTED -> refuse(rec, md, ev, v);
        }
    }

    /** The input, unchanged, to the DLQ with the reason; its audit record. */
    private void refuse(Record<byte[], byte[]> rec, RecordMetadata md, Event ev, Verdict v) {
        stats.rejected.incrementAndGet();
        Headers h = new RecordHeaders();
        h.add("dlq_reason", utf8(v.reason.code));
        h.add("dlq_detail", utf8(Text.detail(v.detail)));
        h.add("dlq_source_topic", utf8(md.topic()));
        h.add("dlq_source_partition", utf8(Integer.toString(md.partition())));
        h.add("dlq_source_offset", utf8(Long.toString(md.offset())));
        ctx.forward(new Record<>(rec.key(), rec.value(), rec.timestamp(), h), DLQ);
        forwardAudit(rec, md, ev, v, List.of());
    }

    private void forwardAudit(Record<byte[], byte[]> rec, RecordMetadata md, Event ev,
                              Verdict v, List<Event> outputs) {
        String key = ev != null ? ev.key() : Text.utf8OrNull(rec.key(), Limits.KEY_MAX);
        byte[] value = audit.encode(ev, key, md.partition(), md.offset(), v, outputs);
        ctx.forward(new Record<>(key == null ? null : utf8(key), value, rec.timestamp(),
                                 new RecordHeaders()), AUDIT);
    }
}
