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
    private final Schema statusSchema;
    private final Schema channelSchema;
    private final Schema sourceSchema;
    private final Schema targetSchema;
    private final GenericDatumWriter<GenericRecord> writer;
    private final GenericDatumReader<GenericRecord> reader;
    private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();

    // Field positions: the constructor checks the schema has exactly these
    // fields in this order (as schemas/avro_state.c does), so records are
    // read and written by position, not by name (a map lookup per field).
    private static final String[] TOP = {
        "partner_id", "customer_tenant_id", "status", "opened_by", "opened_at",
        "updated_at", "multi_channel", "delegated_admin", "subs", "discontinued",
        "handled", "applied", "last_input_offset"};
    private static final int PARTNER = 0, TENANT = 1, STATUS = 2, OPENED_BY = 3,
        OPENED_AT = 4, UPDATED_AT = 5, MULTI = 6, DELEGATED = 7, SUBS = 8, DISC = 9,
        HANDLED = 10, APPLIED = 11, OFFSET = 12;
    private static final String[] SUB = {
        "source_subscription_id", "offer_id", "quantity", "channel", "expires_at",
        "source", "target", "target_offer_id", "request_id", "requests", "failures",
        "subscription_id", "provisioned_offer_id", "provisioned_quantity",
        "licenses_reassigned"};
    private static final int S_ID = 0, S_OFFER = 1, S_QTY = 2, S_CHANNEL = 3,
        S_EXPIRES = 4, S_SOURCE = 5, S_TARGET = 6, S_TARGET_OFFER = 7, S_REQUEST = 8,
        S_REQUESTS = 9, S_FAILURES = 10, S_NEW_ID = 11, S_NEW_OFFER = 12, S_NEW_QTY = 13,
        S_REASSIGNED = 14;
    private static final String[] DISCONTINUED = {"offer_id", "successor_offer_id"};

    private static void checkLayout(Schema s, String[] names) {
        List<Schema.Field> f = s.getFields();
        for (int i = 0; i < Math.max(f.size(), names.length); i++)
            if (i >= f.size() || i >= names.length || !f.get(i).name().equals(names[i]))
                throw new IllegalStateException("schemas/avro/migration-state.avsc: "
                    + s.getName() + " field " + i + " is not " + (i < names.length
                        ? names[i] : "expected") + " (StateSerde)");
    }
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    StateSerde(Schemas schemas) {
        schema = schemas.state;
        fingerprint = schemas.stateFingerprint;
        subSchema = schema.getField("subs").schema().getElementType();
        discSchema = schema.getField("discontinued").schema().getElementType();
        hashSchema = schema.getField("handled").schema().getElementType();
        writer = new GenericDatumWriter<>(schema);
        reader = new GenericDatumReader<>(schema);
        checkLayout(schema, TOP);
        checkLayout(subSchema, SUB);
        checkLayout(discSchema, DISCONTINUED);
        statusSchema = fieldSchema(schema, "status");
        channelSchema = fieldSchema(subSchema, "channel");
        sourceSchema = fieldSchema(subSchema, "source");
        targetSchema = fieldSchema(subSchema, "target");
    }

    private static GenericData.EnumSymbol sym(Schema s, Enum<?> e) {
        return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(e.ordinal()));
    }

    private static Schema fieldSchema(Schema rec, String name) {
        return rec.getField(name).schema();
    }

    byte[] encode(Migration m) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put(PARTNER, m.partnerId);
        r.put(TENANT, m.customerTenantId);
        r.put(STATUS, sym(statusSchema, m.status));
        r.put(OPENED_BY, m.openedBy);
        r.put(OPENED_AT, m.openedAt);
        r.put(UPDATED_AT, m.updatedAt);
        r.put(MULTI, m.multiChannel);
        r.put(DELEGATED, m.delegatedAdmin);
        GenericData.Array<GenericRecord> subs =
            new GenericData.Array<>(m.subs.length, fieldSchema(schema, "subs"));
        for (Migration.Sub s : m.subs) {
            GenericData.Record e = new GenericData.Record(subSchema);
            e.put(S_ID, s.sourceSubscriptionId);
            e.put(S_OFFER, s.offerId);
            e.put(S_QTY, s.quantity);
            e.put(S_CHANNEL, new GenericData.EnumSymbol(
                channelSchema, channelSchema.getEnumSymbols().get(s.channel)));
            e.put(S_EXPIRES, s.expiresAt);
            e.put(S_SOURCE, sym(sourceSchema, s.source));
            e.put(S_TARGET, sym(targetSchema, s.target));
            e.put(S_TARGET_OFFER, s.targetOfferId);
            e.put(S_REQUEST, s.requestId);
            e.put(S_REQUESTS, s.requests);
            e.put(S_FAILURES, s.failures);
            e.put(S_NEW_ID, s.subscriptionId);
            e.put(S_NEW_OFFER, s.provisionedOfferId);
            e.put(S_NEW_QTY, s.provisionedQuantity);
            e.put(S_REASSIGNED, s.licensesReassigned);
            subs.add(e);
        }
        r.put(SUBS, subs);
        GenericData.Array<GenericRecord> disc = new GenericData.Array<>(
            m.discontinued.size(), fieldSchema(schema, "discontinued"));
        for (Migration.Discontinued d : m.discontinued) {
            GenericData.Record e = new GenericData.Record(discSchema);
            e.put(0, d.offerId);
            e.put(1, d.successorOfferId);
            disc.add(e);
        }
        r.put(DISC, disc);
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
        r.put(HANDLED, handled);
        r.put(APPLIED, m.applied);
        r.put(OFFSET, m.lastInputOffset);

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
        Migration m = new Migration(r.get(PARTNER).toString(),
                                    r.get(TENANT).toString());
        m.status = Status.values()[ordinal(r, STATUS)];
        m.openedBy = r.get(OPENED_BY).toString();
        m.openedAt = (Long) r.get(OPENED_AT);
        m.updatedAt = (Long) r.get(UPDATED_AT);
        m.multiChannel = (Boolean) r.get(MULTI);
        m.delegatedAdmin = (Boolean) r.get(DELEGATED);
        List<?> subs = (List<?>) r.get(SUBS);
        m.subs = new Migration.Sub[subs.size()];
        for (int i = 0; i < m.subs.length; i++) {
            GenericRecord e = (GenericRecord) subs.get(i);
            Migration.Sub s = new Migration.Sub();
            s.sourceSubscriptionId = e.get(S_ID).toString();
            s.offerId = e.get(S_OFFER).toString();
            s.quantity = (Integer) e.get(S_QTY);
            s.channel = ordinal(e, S_CHANNEL);
            s.expiresAt = (Long) e.get(S_EXPIRES);
            s.source = Source.values()[ordinal(e, S_SOURCE)];
            s.target = Target.values()[ordinal(e, S_TARGET)];
            s.targetOfferId = e.get(S_TARGET_OFFER).toString();
            s.requestId = e.get(S_REQUEST).toString();
            s.requests = (Long) e.get(S_REQUESTS);
            s.failures = (Long) e.get(S_FAILURES);
            s.subscriptionId = e.get(S_NEW_ID).toString();
            s.provisionedOfferId = e.get(S_NEW_OFFER).toString();
            s.provisionedQuantity = (Integer) e.get(S_NEW_QTY);
            s.licensesReassigned = (Boolean) e.get(S_REASSIGNED);
            m.subs[i] = s;
        }
        for (Object o : (List<?>) r.get(DISC)) {
            GenericRecord e = (GenericRecord) o;
            m.discontinued.add(new Migration.Discontinued(
                e.get(0).toString(), e.get(1).toString()));
        }
        List<?> handled = (List<?>) r.get(HANDLED);
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
        m.applied = (Long) r.get(APPLIED);
        m.lastInputOffset = (Long) r.get(OFFSET);
        return m;
    }

    private static int ordinal(GenericRecord r, int pos) {
        return ((GenericData.EnumSymbol) r.get(pos)).getSchema()
            .getEnumOrdinal(r.get(pos).toString());
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
