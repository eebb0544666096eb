/* cspflow: Apache Avro (Java) side of the Avro interop test.
 *
 *   fingerprints <schema-dir>          name and CRC-64-AVRO per .avsc, sorted
 *   canonical <file.avsc>...           Parsing Canonical Form and fingerprint
 *   transcode <schema-dir> <in> <out>  decodes every <in>/*.bin (single-object
 *                                      encoding, schema found by fingerprint),
 *                                      re-encodes it into <out>/ same name,
 *                                      and prints name + schema per record
 *
 * Exit status 0 on success, 1 on any failure (the message on stderr). */
package io.cspflow.interop;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;

public final class Interop {
    private Interop() {
    }

    /** Every .avsc of dir, by file name without .avsc, each parsed alone. */
    private static Map<String, Schema> load(File dir) throws IOException {
        Map<String, Schema> out = new TreeMap<>();
        File[] files = dir.listFiles((d, n) -> n.endsWith(".avsc"));
        if (files == null || files.length == 0) {
            throw new IOException("no .avsc in " + dir);
        }
        for (File f : files) {
            String name = f.getName().substring(0, f.getName().length() - 5);
            out.put(name, new Schema.Parser().parse(f));
        }
        return out;
    }

    private static String hex(long fp) {
        return String.format("%016x", fp);
    }

    private static void fingerprints(File dir) throws IOException {
        for (Map.Entry<String, Schema> e : load(dir).entrySet()) {
            System.out.println(e.getKey() + " "
                    + hex(SchemaNormalization.parsingFingerprint64(e.getValue())));
        }
    }

    private static void canonical(String[] files) throws IOException {
        for (String f : files) {
            Schema s = new Schema.Parser().parse(new File(f));
            System.out.println(SchemaNormalization.toParsingForm(s));
            System.out.println(hex(SchemaNormalization.parsingFingerprint64(s)));
        }
    }

    private static void transcode(File schemaDir, File in, File out) throws IOException {
        Map<String, Schema> schemas = load(schemaDir);
        SchemaStore.Cache store = new SchemaStore.Cache();
        for (Schema s : schemas.values()) {
            store.addSchema(s);
        }
        File[] bins = in.listFiles((d, n) -> n.endsWith(".bin"));
        if (bins == null || bins.length == 0) {
            throw new IOException("no .bin in " + in);
        }
        Arrays.sort(bins);
        if (!out.isDirectory() && !out.mkdirs()) {
            throw new IOException("cannot create " + out);
        }
        List<String> failures = new ArrayList<>();
        for (File bin : bins) {
            byte[] bytes = Files.readAllBytes(bin.toPath());
            try {
                /* Read with the writer's own schema: the header's fingerprint
                 * selects it from the store. */
                long fp = ByteBuffer.wrap(bytes, 2, 8)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                Schema writer = store.findByFingerprint(fp);
                if (writer == null) {
                    throw new IOException("unknown fingerprint " + hex(fp));
                }
                BinaryMessageDecoder<GenericRecord> dec = new BinaryMessageDecoder<>(
                        GenericData.get(), writer, store);
                GenericRecord rec = dec.decode(bytes);
                BinaryMessageEncoder<GenericRecord> enc = new BinaryMessageEncoder<>(
                        GenericData.get(), rec.getSchema());
                ByteBuffer buf = enc.encode(rec);
                byte[] again = new byte[buf.remaining()];
                buf.get(again);
                Files.write(new File(out, bin.getName()).toPath(), again);
                System.out.println(bin.getName() + " " + rec.getSchema().getFullName()
                        + " " + (Arrays.equals(bytes, again) ? "same-bytes" : "different-bytes"));
            } catch (IOException | RuntimeException e) {
                failures.add(bin.getName() + ": " + e);
            }
        }
        for (String f : failures) {
            System.err.println("decode failed: " + f);
        }
        if (!failures.isEmpty()) {
            throw new IOException(failures.size() + " of " + bins.length
                    + " records not decoded");
        }
    }

    public static void main(String[] args) {
        try {
            if (args.length == 2 && args[0].equals("fingerprints")) {
                fingerprints(new File(args[1]));
            } else if (args.length >= 2 && args[0].equals("canonical")) {
                canonical(Arrays.copyOfRange(args, 1, args.length));
            } else if (args.length == 4 && args[0].equals("transcode")) {
                transcode(new File(args[1]), new File(args[2]), new File(args[3]));
            } else {
                System.err.println("usage: Interop fingerprints DIR | canonical FILE... "
                        + "| transcode SCHEMADIR INDIR OUTDIR");
                System.exit(2);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("interop: " + e);
            System.exit(1);
        }
    }
}
