package io.cspflow.kstreams;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/** Text as cspflow writes it in headers and audit records. */
final class Text {
    private Text() {}

    /** A rejection detail as cspflow carries it: at most DETAIL_MAX bytes of
     *  its UTF-8, every byte outside printable ASCII written '?'. */
    static String detail(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, Limits.DETAIL_MAX);
        char[] out = new char[n];
        for (int i = 0; i < n; i++)
            out[i] = b[i] >= 0x20 && b[i] < 0x7f ? (char) b[i] : '?';
        return new String(out);
    }

    /** occurred_at as ISO-8601 UTC, `.sss` only when the ms are not zero
     *  (common/cf_time.c); ms within years 1..9999. */
    static String isoTime(long ms) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(ms, 1000L), 0,
                                                      ZoneOffset.UTC);
        int milli = (int) Math.floorMod(ms, 1000L);
        StringBuilder b = new StringBuilder(24);
        digits(b, t.getYear(), 4).append('-');
        digits(b, t.getMonthValue(), 2).append('-');
        digits(b, t.getDayOfMonth(), 2).append('T');
        digits(b, t.getHour(), 2).append(':');
        digits(b, t.getMinute(), 2).append(':');
        digits(b, t.getSecond(), 2);
        if (milli != 0)
            digits(b.append('.'), milli, 3);
        return b.append('Z').toString();
    }

    private static StringBuilder digits(StringBuilder b, int v, int width) {
        String s = Integer.toString(v);
        for (int i = s.length(); i < width; i++)
            b.append('0');
        return b.append(s);
    }

    /** The bytes as a string when they are well-formed UTF-8 without NUL,
     *  of 1..max bytes; else null. */
    static String utf8OrNull(byte[] b, int max) {
        if (b == null || b.length == 0 || b.length > max)
            return null;
        for (byte x : b)
            if (x == 0)
                return null;
        try {
            CharBuffer c = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b));
            return c.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
