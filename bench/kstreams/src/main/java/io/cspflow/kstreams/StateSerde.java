package io.cspflow.kstreams;

import io.cspflow.kstreams.Migration.Source;
import io.cspflow.kstreams.Migration.Status;
import io.cspflow.kstreams.Migration.Target;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The store's value serde: a Migration as a MigrationState single-object
 * record (schemas/avro/migration-state.avsc), the record cspflow keeps on
 * its state topic. Thread-safe (the store builder shares one instance).
 */
final class StateSerde implements Serde<Migration> {
    private final Schema schema;
    private final long fingerprint;
    private final Schema subSchema;
    private final Schema discSchema;
    private final Schema hashSchema;
    private final GenericDatumWriter<GenericRecord> writer;
    private final GenericDatumReader<GenericRecord> reader;
    private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    StateSerde(Schemas schemas) {
        schema = schemas.state;
        fingerprint = schemas.stateFingerprint;
        subSchema = schema.getField("subs").schema().getElementType();
        discSchema = schema.getField("discontinued").schema().getElementType();
        hashSchema = schema.getField("handled").schema().getElementType();
        writer = new GenericDatumWriter<>(schema);
        reader = new GenericDatumReader<>(schema);
    }

    private static GenericData.EnumSymbol sym(Schema s, Enum<?> e) {
        return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(e.ordinal()));
    }

    private static Schema fieldSchema(Schema rec, String name) {
        return rec.getField(name).schema();
    }

    byte[] encode(Migration m) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("partner_id", m.partnerId);
        r.put("customer_tenant_id", m.customerTenantId);
        r.put("status", sym(fieldSchema(schema, "status"), m.status));
        r.put("opened_by", m.openedBy);
        r.put("opened_at", m.openedAt);
        r.put("updated_at", m.updatedAt);
        r.put("multi_channel", m.multiChannel);
        r.put("delegated_admin", m.delegatedAdmin);
        GenericData.Array<GenericRecord> subs =
            new GenericData.Array<>(m.subs.length, fieldSchema(schema, "subs"));
        for (Migration.Sub s : m.subs) {
            GenericData.Record e = new GenericData.Record(subSchema);
            e.put("source_subscription_id", s.sourceSubscriptionId);
            e.put("offer_id", s.offerId);
            e.put("quantity", s.quantity);
            Schema ch = fieldSchema(subSchema, "channel");
            e.put("channel", new GenericData.EnumSymbol(ch, ch.getEnumSymbols().get(s.channel)));
            e.put("expires_at", s.expiresAt);
            e.put("source", sym(fieldSchema(subSchema, "source"), s.source));
            e.put("target", sym(fieldSchema(subSchema, "target"), s.target));
            e.put("target_offer_id", s.targetOfferId);
            e.put("request_id", s.requestId);
            e.put("requests", s.requests);
            e.put("failures", s.failures);
            e.put("subscription_id", s.subscriptionId);
            e.put("provisioned_offer_id", s.provisionedOfferId);
            e.put("provisioned_quantity", s.provisionedQuantity);
            e.put("licenses_reassigned", s.licensesReassigned);
            subs.add(e);
        }
        r.put("subs", subs);
        GenericData.Array<GenericRecord> disc = new GenericData.Array<>(
            m.discontinued.size(), fieldSchema(schema, "discontinued"));
        for (Migration.Discontinued d : m.discontinued) {
            GenericData.Record e = new GenericData.Record(discSchema);
            e.put("offer_id", d.offerId);
            e.put("successor_offer_id", d.successorOfferId);
            disc.add(e);
        }
        r.put("discontinued", disc);
        GenericData.Array<GenericFixed> handled =
            new GenericData.Array<>(m.nHandled, fieldSchema(schema, "handled"));
        for (int i = 0; i < m.nHandled; i++) {
            byte[] h = new byte[16];
            for (int k = 0; k < 8; k++) {
                h[k] = (byte) (m.handled[2 * i] >>> (56 - 8 * k));
                h[8 + k] = (byte) (m.handled[2 * i + 1] >>> (56 - 8 * k));
            }
            handled.add(new GenericData.Fixed(hashSchema, h));
        }
        r.put("handled", handled);
        r.put("applied", m.applied);
        r.put("last_input_offset", m.lastInputOffset);

        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        byte[] header = new byte[Schemas.HEADER_SIZE];
        Schemas.writeHeader(header, fingerprint);
        out.write(header, 0, header.length);
        try {
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, encoders.get());
            encoders.set(enc);
            writer.write(r, enc);
            enc.flush();
        } catch (IOException e) {
            throw new SerializationException("state of " + m.partnerId + "/"
                                             + m.customerTenantId + ": " + e, e);
        }
        return out.toByteArray();
    }

    Migration decode(byte[] data) {
        if (data.length < Schemas.HEADER_SIZE || (data[0] & 0xff) != 0xc3 || data[1] != 1
            || Schemas.readFingerprint(data) != fingerprint)
            throw new SerializationException("not a MigrationState single-object record");
        GenericRecord r;
        try {
            BinaryDecoder dec = DecoderFactory.get().binaryDecoder(
                data, Schemas.HEADER_SIZE, data.length - Schemas.HEADER_SIZE, decoders.get());
            decoders.set(dec);
            r = reader.read(null, dec);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("MigrationState: " + e, e);
        }
        Migration m = new Migration(r.get("partner_id").toString(),
                                    r.get("customer_tenant_id").toString());
        m.status = Status.values()[ordinal(r, "status")];
        m.openedBy = r.get("opened_by").toString();
        m.openedAt = (Long) r.get("opened_at");
        m.updatedAt = (Long) r.get("updated_at");
        m.multiChannel = (Boolean) r.get("multi_channel");
        m.delegatedAdmin = (Boolean) r.get("delegated_admin");
        List<?> subs = (List<?>) r.get("subs");
        m.subs = new Migration.Sub[subs.size()];
        for (int i = 0; i < m.subs.length; i++) {
            GenericRecord e = (GenericRecord) subs.get(i);
            Migration.Sub s = new Migration.Sub();
            s.sourceSubscriptionId = e.get("source_subscription_id").toString();
            s.offerId = e.get("offer_id").toString();
            s.quantity = (Integer) e.get("quantity");
            s.channel = ordinal(e, "channel");
            s.expiresAt = (Long) e.get("expires_at");
            s.source = Source.values()[ordinal(e, "source")];
            s.target = Target.values()[ordinal(e, "target")];
            s.targetOfferId = e.get("target_offer_id").toString();
            s.requestId = e.get("request_id").toString();
            s.requests = (Long) e.get("requests");
            s.failures = (Long) e.get("failures");
            s.subscriptionId = e.get("subscription_id").toString();
            s.provisionedOfferId = e.get("provisioned_offer_id").toString();
            s.provisionedQuantity = (Integer) e.get("provisioned_quantity");
            s.licensesReassigned = (Boolean) e.get("licenses_reassigned");
            m.subs[i] = s;
        }
        for (Object o : (List<?>) r.get("discontinued")) {
            GenericRecord e = (GenericRecord) o;
            m.discontinued.add(new Migration.Discontinued(
                e.get("offer_id").toString(), e.get("successor_offer_id").toString()));
        }
        List<?> handled = (List<?>) r.get("handled");
        m.handled = new long[Math.max(32, 2 * handled.size())];
        for (Object o : handled) {
            byte[] h = ((GenericFixed) o).bytes();
            long hi = 0, lo = 0;
            for (int k = 0; k < 8; k++) {
                hi = (hi << 8) | (h[k] & 0xff);
                lo = (lo << 8) | (h[8 + k] & 0xff);
            }
            m.handledAdd(hi, lo);
        }
        m.applied = (Long) r.get("applied");
        m.lastInputOffset = (Long) r.get("last_input_offset");
        return m;
    }

    private static int ordinal(GenericRecord r, String field) {
        return r.getSchema().getField(field).schema().getEnumOrdinal(r.get(field).toString());
    }

    @Override
    public Serializer<Migration> serializer() {
        return (topic, m) -> m == null ? null : encode(m);
    }

    @Override
    public Deserializer<Migration> deserializer() {
        return (topic, data) -> data == null ? null : decode(data);
    }
}
