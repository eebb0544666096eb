package io.cspflow.kstreams;

import java.io.IOException;
import java.io.InputStream;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * The repository's Avro schemas (schemas/avro/*.avsc, packed into the jar
 * under avro/ by the build) and their CRC-64-AVRO fingerprints, which the
 * single-object encoding puts after C3 01 (little-endian). Each file is
 * parsed on its own: two of them define io.cspflow.migration.Channel.
 */
final class Schemas {
    static final int HEADER_SIZE = 10;
    static final String STATE = "migration-state";
    static final String AUDIT = "audit-record";

    final Map<EventType, Schema> events = new EnumMap<>(EventType.class);
    final Map<EventType, Long> fingerprints = new EnumMap<>(EventType.class);
    final Schema state;
    final long stateFingerprint;
    final Schema audit;
    final long auditFingerprint;
    private final Map<Long, EventType> byFingerprint = new HashMap<>();

    Schemas() throws IOException {
        for (EventType t : EventType.values()) {
            Schema s = load(t.kebab);
            long fp = SchemaNormalization.parsingFingerprint64(s);
            events.put(t, s);
            fingerprints.put(t, fp);
            if (byFingerprint.put(fp, t) != null)
                throw new IOException("two schemas share the fingerprint of " + t.kebab);
        }
        state = load(STATE);
        stateFingerprint = SchemaNormalization.parsingFingerprint64(state);
        audit = load(AUDIT);
        auditFingerprint = SchemaNormalization.parsingFingerprint64(audit);
    }

    private static Schema load(String name) throws IOException {
        String res = "/avro/" + name + ".avsc";
        try (InputStream in = Schemas.class.getResourceAsStream(res)) {
            if (in == null)
                throw new IOException("schema " + res + " is not in the jar");
            return new Schema.Parser().parse(in);
        }
    }

    /** The event type whose schema has this fingerprint, or null. */
    EventType typeOf(long fingerprint) {
        return byFingerprint.get(fingerprint);
    }

    /** Writes C3 01 and the fingerprint (little-endian) at buf[0..10). */
    static void writeHeader(byte[] buf, long fingerprint) {
        buf[0] = (byte) 0xc3;
        buf[1] = 0x01;
        for (int i = 0; i < 8; i++)
            buf[2 + i] = (byte) (fingerprint >>> (8 * i));
    }

    /** The fingerprint of a single-object header at buf[0..10). */
    static long readFingerprint(byte[] buf) {
        long fp = 0;
        for (int i = 7; i >= 0; i--)
            fp = (fp << 8) | (buf[2 + i] & 0xff);
        return fp;
    }
}
