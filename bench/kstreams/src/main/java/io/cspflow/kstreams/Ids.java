package io.cspflow.kstreams;

import java.nio.charset.StandardCharsets;
import net.openhft.hashing.LongTupleHashFunction;

/**
 * Deterministic ids, as common/ids.c: the XXH3-128 hash of NUL-terminated
 * parts written as an RFC 9562 version-8 UUID; and the hash of an event id
 * that rule 12 remembers. Replaying the same input gives cspflow's ids.
 */
final class Ids {
    private static final LongTupleHashFunction XXH3_128 =
        LongTupleHashFunction.xx128();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {}

    /** The UUID of parts, each followed by a NUL byte. */
    static String uuid(String... parts) {
        int n = 0;
        byte[][] b = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            b[i] = parts[i].getBytes(StandardCharsets.UTF_8);
            n += b[i].length + 1;
        }
        byte[] buf = new byte[n];
        int o = 0;
        for (byte[] p : b) {
            System.arraycopy(p, 0, buf, o, p.length);
            o += p.length + 1; // the NUL is already there
        }
        long[] h = XXH3_128.hashBytes(buf); // {low64, high64}
        byte[] u = new byte[16];
        for (int i = 0; i < 8; i++) {
            u[i] = (byte) (h[1] >>> (56 - 8 * i));
            u[8 + i] = (byte) (h[0] >>> (56 - 8 * i));
        }
        u[6] = (byte) ((u[6] & 0x0f) | 0x80); // version 8
        u[8] = (byte) ((u[8] & 0x3f) | 0x80); // RFC variant
        char[] out = new char[36];
        int k = 0;
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                out[k++] = '-';
            out[k++] = HEX[(u[i] >> 4) & 0xf];
            out[k++] = HEX[u[i] & 0xf];
        }
        return new String(out);
    }

    /** XXH3-128 of an event id: {high64, low64}. */
    static long[] hash(String eventId) {
        long[] h = XXH3_128.hashBytes(eventId.getBytes(StandardCharsets.UTF_8));
        return new long[] {h[1], h[0]};
    }
}
