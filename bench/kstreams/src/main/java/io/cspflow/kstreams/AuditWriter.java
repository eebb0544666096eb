package io.cspflow.kstreams;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;

/**
 * One AuditRecord (schemas/avro/audit-record.avsc) per input handled, as
 * producer/emit.c's cf_emit_audit writes it. Not thread-safe.
 */
final class AuditWriter {
    private final Schema schema;
    private final Schema verdictSchema;
    private final Schema idsSchema;
    private final long fingerprint;
    private final GenericDatumWriter<GenericRecord> writer;
    private final EventCodec codec;

    AuditWriter(Schemas schemas, EventCodec codec) {
        schema = schemas.audit;
        verdictSchema = schema.getField("verdict").schema();
        idsSchema = schema.getField("output_event_ids").schema();
        fingerprint = schemas.auditFingerprint;
        writer = new GenericDatumWriter<>(schema);
        this.codec = codec;
    }

    /**
     * The record for an input at partition/offset: ev is the decoded input
     * (null when it did not decode; rawKey then is the key as received, or
     * null), outputs what it caused.
     */
    byte[] encode(Event ev, String rawKey, int partition, long offset, Verdict v,
                  List<Event> outputs) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("event_id", ev != null ? ev.eventId : null);
        r.put("event_type", ev != null ? ev.type.kebab : null);
        r.put("key", ev != null ? ev.key() : rawKey);
        r.put("source_partition", partition);
        r.put("source_offset", offset);
        r.put("verdict", new GenericData.EnumSymbol(verdictSchema, v.kind.name()));
        boolean rejected = v.kind == Verdict.Kind.REJECTED;
        r.put("reason", rejected ? v.reason.code : null);
        r.put("detail", rejected ? Text.detail(v.detail) : null);
        r.put("status_before", v.statusBefore.kebab);
        r.put("status_after", v.statusAfter.kebab);
        r.put("rule", v.rule);
        r.put("occurred_at", ev != null ? ev.occurredAt : null);
        List<String> ids = new ArrayList<>(outputs.size());
        List<String> types = new ArrayList<>(outputs.size());
        for (Event o : outputs) {
            ids.add(o.eventId);
            types.add(o.type.kebab);
        }
        r.put("output_event_ids", new GenericData.Array<>(idsSchema, ids));
        r.put("output_types", new GenericData.Array<>(idsSchema, types));
        return codec.write(writer, r, fingerprint);
    }
}
