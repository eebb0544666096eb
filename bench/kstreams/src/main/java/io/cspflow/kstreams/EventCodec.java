package io.cspflow.kstreams;

import io.cspflow.kstreams.Reject.Refused;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.Utf8;

/**
 * Events <-> Avro single-object records (C3 01, fingerprint, body), with
 * Avro's generic datum reader and writer on the repository's schemas, and
 * the checks of cspflow's decoder (schemas/avro_event.c): caps on every
 * string and array, non-empty ids, no NUL, times within years 1..9999, the
 * `type` field equal to the schema's. Not thread-safe: one per processor.
 */
final class EventCodec {
    private final Schemas schemas;
    private final Map<EventType, GenericDatumReader<GenericRecord>> readers =
        new EnumMap<>(EventType.class);
    private final Map<EventType, GenericDatumWriter<GenericRecord>> writers =
        new EnumMap<>(EventType.class);
    private final Map<EventType, GenericRecord> reuse = new EnumMap<>(EventType.class);
    private BinaryDecoder decoder;
    private BinaryEncoder encoder;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);

    EventCodec(Schemas schemas) {
        this.schemas = schemas;
        for (Map.Entry<EventType, Schema> e : schemas.events.entrySet()) {
            readers.put(e.getKey(), new GenericDatumReader<>(e.getValue()));
            writers.put(e.getKey(), new GenericDatumWriter<>(e.getValue()));
        }
    }

    // ------------------------------------------------------------ decoding

    /** Decodes a single-object record into an event of any type. */
    Event decode(byte[] data) throws Refused {
        if (data == null)
            throw new Refused(Reject.MALFORMED, "record of 0 bytes is shorter than the "
                              + Schemas.HEADER_SIZE + "-byte single-object header");
        if (data.length > Limits.RECORD_MAX)
            throw new Refused(Reject.OVER_LIMIT, "record of " + data.length
                              + " bytes is over the " + Limits.RECORD_MAX + "-byte limit");
        if (data.length < Schemas.HEADER_SIZE)
            throw new Refused(Reject.MALFORMED, "record of " + data.length
                              + " bytes is shorter than the " + Schemas.HEADER_SIZE
                              + "-byte single-object header");
        if ((data[0] & 0xff) != 0xc3 || data[1] != 0x01)
            throw new Refused(Reject.MALFORMED, String.format(
                "not Avro single-object encoding: starts %02x %02x, expected c3 01",
                data[0] & 0xff, data[1] & 0xff));
        long fp = Schemas.readFingerprint(data);
        EventType type = schemas.typeOf(fp);
        if (type == null)
            throw new Refused(Reject.UNKNOWN_SCHEMA, String.format(
                "no schema with fingerprint %016x%s", fp,
                fp == schemas.stateFingerprint ? " for an event (it is the state's)" : ""));
        GenericRecord r;
        int trailing;
        try {
            decoder = DecoderFactory.get().binaryDecoder(
                data, Schemas.HEADER_SIZE, data.length - Schemas.HEADER_SIZE, decoder);
            r = readers.get(type).read(reuse.get(type), decoder);
            reuse.put(type, r);
            trailing = decoder.isEnd() ? 0 : decoder.inputStream().available();
        } catch (IOException | RuntimeException e) {
            throw new Refused(Reject.MALFORMED, "avro read: " + e);
        }
        if (trailing > 0)
            throw new Refused(Reject.MALFORMED, trailing + " trailing bytes after the record");
        Event ev = new Event(type);
        checkCaps(r, null);
        read(r, ev, null, -1);
        return ev;
    }

    private static String where(String parent, int index, String field) {
        if (parent == null)
            return field;
        return index >= 0 ? parent + "[" + index + "]." + field : parent + "." + field;
    }

    private static boolean isText(Schema.Field f) {
        return f.name().equals("reason") || f.name().equals("detail");
    }

    private static int utf8Length(Object v) {
        return v instanceof Utf8 u ? u.getByteLength()
                                   : v.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    /** The length and count caps first, as cspflow's bounded validator
     *  walks a body before reading it. */
    private static void checkCaps(GenericRecord r, String parent) throws Refused {
        for (Schema.Field f : r.getSchema().getFields()) {
            Object v = r.get(f.pos());
            Schema s = f.schema();
            if (v == null)
                continue;
            At at = new At(parent, -1, f.name());
            switch (s.getType()) {
            case STRING, UNION -> {
                if (v instanceof CharSequence
                    && utf8Length(v) > (isText(f) ? Limits.TEXT_MAX : Limits.ID_MAX))
                    throw new Refused(Reject.OVER_LIMIT, at + ": string over its cap");
            }
            case ARRAY -> {
                List<?> a = (List<?>) v;
                boolean records = s.getElementType().getType() == Schema.Type.RECORD;
                int cap = records ? Limits.SUBS_MAX : Limits.ROLES_MAX;
                if (a.size() > cap)
                    throw new Refused(Reject.OVER_LIMIT, at + ": more than " + cap + " items");
                for (Object el : a)
                    if (records)
                        checkCaps((GenericRecord) el, f.name());
                    else if (utf8Length(el) > Limits.ID_MAX)
                        throw new Refused(Reject.OVER_LIMIT, at + ": string over its cap");
            }
            case RECORD -> checkCaps((GenericRecord) v, f.name());
            default -> { }
            }
        }
    }

    /** Where a field is, for a detail: parent (null at the top), the
     *  element index (-1: none) and the field's name. Built on failure only. */
    private record At(String parent, int index, String field) {
        @Override
        public String toString() {
            return where(parent, index, field);
        }
    }

    private static String str(Object v, At at, boolean required) throws Refused {
        String s = v.toString();
        if (s.indexOf('\0') >= 0)
            throw new Refused(Reject.INVALID_VALUE, at + ": contains a NUL character");
        if (required && s.isEmpty())
            throw new Refused(Reject.INVALID_VALUE, at + ": must not be empty");
        return s;
    }

    private static long time(Object v, At at) throws Refused {
        long t = (Long) v;
        if (t < Limits.TIME_MIN || t > Limits.TIME_MAX)
            throw new Refused(Reject.INVALID_VALUE, at + ": time outside years 0001..9999");
        return t;
    }

    private static int enumIndex(Schema.Field f, Object v) {
        return f.schema().getEnumOrdinal(v.toString());
    }

    /** Reads r's fields, in order, into ev (parent null) or into sub. */
    private void read(GenericRecord r, Event ev, String parent, int index) throws Refused {
        for (Schema.Field f : r.getSchema().getFields()) {
            Object v = r.get(f.pos());
            At at = new At(parent, index, f.name());
            switch (f.name()) {
            case "type" -> {
                if (!str(v, at, true).equals(ev.type.kebab))
                    throw new Refused(Reject.INVALID_VALUE,
                                      at + ": not the type of the record's schema");
            }
            case "event_id" -> ev.eventId = str(v, at, true);
            case "occurred_at" -> ev.occurredAt = time(v, at);
            case "partner_id" -> ev.partnerId = str(v, at, true);
            case "customer_tenant_id" -> ev.customerTenantId = str(v, at, true);
            case "correlation_id" -> ev.correlationId = v == null ? "" : str(v, at, false);
            case "causation_id" -> ev.causationId = str(v, at, true);
            case "actor" -> {
                GenericRecord a = (GenericRecord) v;
                ev.actorUserId = str(a.get("user_id"), new At("actor", -1, "user_id"), true);
                ev.roles.clear();
                for (Object role : (List<?>) a.get("roles"))
                    ev.roles.add(str(role, new At("actor", -1, "roles"), false));
            }
            case "partner_region" -> ev.partnerRegion = str(v, at, true);
            case "customer_tenant_region" -> ev.customerTenantRegion = str(v, at, true);
            case "multi_channel" -> ev.multiChannel = (Boolean) v;
            case "delegated_admin" -> ev.delegatedAdmin = (Boolean) v;
            case "source_subscriptions", "subscriptions" -> {
                ev.subs.clear();
                int k = 0;
                for (Object el : (List<?>) v)
                    ev.subs.add(readSub((GenericRecord) el, f.name(), k++));
            }
            case "offer_id" -> ev.offerId = str(v, at, true);
            case "successor_offer_id" -> ev.successorOfferId = v == null ? "" : str(v, at, false);
            case "source_subscription_id" -> ev.sourceSubscriptionId = str(v, at, true);
            case "subscription_id" -> ev.subscriptionId = v == null ? ""
                : str(v, at, f.schema().getType() == Schema.Type.STRING);
            case "reason" -> {
                if (f.schema().getType() == Schema.Type.ENUM)
                    ev.reasonCode = enumIndex(f, v);
                else
                    ev.textReason = str(v, at, false);
            }
            case "request_id" -> ev.requestId = str(v, at, true);
            case "from_offer_id" -> ev.fromOfferId = str(v, at, true);
            case "to_offer_id" -> ev.toOfferId = str(v, at, true);
            case "detail" -> ev.detail = str(v, at, false);
            case "route" -> ev.route = enumIndex(f, v);
            case "quantity" -> ev.quantity = (Integer) v;
            case "expected" -> ev.expected = (Integer) v;
            case "actual" -> ev.actual = (Integer) v;
            case "expires_at" -> ev.expiresAt = time(v, at);
            case "grace_ends_at" -> ev.graceEndsAt = time(v, at);
            case "same_offer" -> ev.sameOffer = (Boolean) v;
            case "refund" -> ev.refund = (Boolean) v;
            default -> throw new IllegalStateException("schema field " + f.name()
                                                       + " has no place in Event");
            }
        }
    }

    private static Event.Sub readSub(GenericRecord r, String parent, int k) throws Refused {
        Event.Sub s = new Event.Sub();
        boolean requested = parent.equals("source_subscriptions");
        for (Schema.Field f : r.getSchema().getFields()) {
            Object v = r.get(f.pos());
            At at = new At(parent, k, f.name());
            switch (f.name()) {
            case "subscription_id" -> {
                if (requested)
                    s.sourceSubscriptionId = str(v, at, true);
                else
                    s.subscriptionId = str(v, at, true);
            }
            case "source_subscription_id" -> s.sourceSubscriptionId = str(v, at, true);
            case "offer_id" -> s.offerId = str(v, at, true);
            case "quantity" -> s.quantity = (Integer) v;
            case "channel" -> s.channel = enumIndex(f, v);
            case "expires_at" -> s.expiresAt = time(v, at);
            default -> throw new IllegalStateException("schema field " + f.name()
                                                       + " has no place in Event.Sub");
            }
        }
        return s;
    }

    // ------------------------------------------------------------ encoding

    private static Object enumOf(Schema.Field f, int index) {
        Schema s = f.schema();
        return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(index));
    }

    private static Object opt(String s) {
        return s.isEmpty() ? null : s;
    }

    private static Object value(Schema.Field f, Event ev) {
        return switch (f.name()) {
        case "type" -> ev.type.kebab;
        case "event_id" -> ev.eventId;
        case "occurred_at" -> ev.occurredAt;
        case "partner_id" -> ev.partnerId;
        case "customer_tenant_id" -> ev.customerTenantId;
        case "correlation_id" -> opt(ev.correlationId);
        case "causation_id" -> ev.causationId;
        case "multi_channel" -> ev.multiChannel;
        case "delegated_admin" -> ev.delegatedAdmin;
        case "offer_id" -> ev.offerId;
        case "source_subscription_id" -> ev.sourceSubscriptionId;
        case "subscription_id" -> f.schema().getType() == Schema.Type.UNION
            ? opt(ev.subscriptionId) : ev.subscriptionId;
        case "reason" -> enumOf(f, ev.reasonCode);
        case "detail" -> ev.detail;
        case "request_id" -> ev.requestId;
        case "from_offer_id" -> ev.fromOfferId;
        case "to_offer_id" -> ev.toOfferId;
        case "route" -> enumOf(f, ev.route);
        case "quantity" -> ev.quantity;
        case "expected" -> ev.expected;
        case "actual" -> ev.actual;
        case "expires_at" -> ev.expiresAt;
        case "grace_ends_at" -> ev.graceEndsAt;
        case "same_offer" -> ev.sameOffer;
        case "refund" -> ev.refund;
        case "subscriptions" -> {
            Schema item = f.schema().getElementType();
            GenericData.Array<GenericRecord> a = new GenericData.Array<>(ev.subs.size(),
                                                                         f.schema());
            for (Event.Sub s : ev.subs) {
                GenericData.Record r = new GenericData.Record(item);
                r.put("source_subscription_id", s.sourceSubscriptionId);
                r.put("subscription_id", s.subscriptionId);
                r.put("offer_id", s.offerId);
                r.put("quantity", s.quantity);
                a.add(r);
            }
            yield a;
        }
        default -> throw new IllegalStateException("output field " + f.name()
                                                   + " is not written");
        };
    }

    /** An output event as a single-object record. */
    byte[] encode(Event ev) {
        Schema schema = schemas.events.get(ev.type);
        GenericData.Record r = new GenericData.Record(schema);
        for (Schema.Field f : schema.getFields())
            r.put(f.pos(), value(f, ev));
        return write(writers.get(ev.type), r, schemas.fingerprints.get(ev.type));
    }

    /** A record of a writer's schema, framed with its fingerprint. */
    byte[] write(GenericDatumWriter<GenericRecord> w, GenericRecord r, long fingerprint) {
        out.reset();
        byte[] header = new byte[Schemas.HEADER_SIZE];
        Schemas.writeHeader(header, fingerprint);
        out.write(header, 0, header.length);
        try {
            encoder = EncoderFactory.get().binaryEncoder(out, encoder);
            w.write(r, encoder);
            encoder.flush();
        } catch (IOException | AvroRuntimeException e) {
            throw new IllegalStateException("encoding " + r.getSchema().getName() + ": " + e, e);
        }
        return out.toByteArray();
    }
}
