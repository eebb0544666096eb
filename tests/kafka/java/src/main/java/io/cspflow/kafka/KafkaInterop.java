/* cspflow: a Kafka consumer and producer built on Apache Avro's Java library
 * and the Apache Kafka Java client, the way a partner's platform team would
 * read and write cspflow's topics (tests/kafka/test_java_interop.py).
 *
 *   consume BOOTSTRAP TOPIC SCHEMA_DIR [REGISTRY_URL]
 *       Reads every partition of TOPIC, isolation.level=read_committed, from
 *       its beginning to its end as of the start (assign, no group). Each
 *       value is decoded by its framing:
 *         C3 01 + fingerprint: Avro single-object encoding, decoded with
 *           BinaryMessageDecoder, the writer schema found by fingerprint in
 *           a SchemaStore.Cache of SCHEMA_DIR's .avsc files;
 *         00 + 4-byte id: Confluent wire format, the writer schema fetched
 *           by id from REGISTRY_URL (GET /schemas/ids/ID, cached), the
 *           reader schema the .avsc of the same full name.
 *       Prints one line per record, tab-separated: partition, offset, key,
 *       framing ("single-object" or "confluent:ID"), the record's full
 *       name, the ce_type header ("-" when absent), and the datum in Avro's
 *       JSON encoding (JsonEncoder). Then "consumed N" on stderr.
 *
 *   produce BOOTSTRAP TOPIC SCHEMA_DIR PARTITIONS FILE [REGISTRY_URL]
 *       Creates TOPIC with PARTITIONS partitions when it does not exist,
 *       then for each line of FILE, "<schema name>\t<datum in Avro JSON>",
 *       reads the datum with the .avsc of that name (JsonDecoder), and
 *       produces it keyed <partner_id>/<customer_tenant_id>, with an
 *       idempotent producer (acks=all, the Java client's default
 *       partitioner). Without REGISTRY_URL the value is single-object
 *       encoded (BinaryMessageEncoder); with it, in the Confluent wire
 *       format: the schema registered under the subject
 *       <TOPIC>-<record full name> (TopicRecordNameStrategy; POST
 *       /subjects/S/versions, once per type), 00, the id as 4 bytes
 *       big-endian, the binary body (GenericDatumWriter). Waits for every
 *       delivery; prints "produced N" on stderr, and with a registry one
 *       "registered SUBJECT ID" line per subject.
 *
 * Exit status 0 on success, 1 on any failure (the message on stderr), 2 on
 * usage. */
package io.cspflow.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class KafkaInterop {
    private KafkaInterop() {
    }

    /** Every .avsc of dir by file name (without .avsc), each parsed alone. */
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

    /** The datum in Avro's JSON encoding, on one line. */
    private static String toJson(GenericRecord rec) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonEncoder enc = EncoderFactory.get().jsonEncoder(rec.getSchema(), out);
        new GenericDatumWriter<GenericRecord>(rec.getSchema()).write(rec, enc);
        enc.flush();
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Writer schemas of a Confluent-compatible registry, by id. */
    private static final class Registry {
        private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
        private final String url;
        private final HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10)).build();
        private final Map<Integer, Schema> byId = new HashMap<>();
        private final ObjectMapper json = new ObjectMapper();

        Registry(String url) {
            this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }

        /** The answer's JSON; IOException unless HTTP 200. */
        private JsonNode call(String what, HttpRequest.Builder req) throws IOException {
            HttpResponse<String> resp;
            try {
                resp = http.send(req.timeout(Duration.ofSeconds(10))
                        .header("Accept", CONTENT_TYPE).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (resp.statusCode() != 200) {
                throw new IOException(what + ": HTTP " + resp.statusCode() + ": " + resp.body());
            }
            return json.readTree(resp.body());
        }

        Schema schema(int id) throws IOException {
            Schema s = byId.get(id);
            if (s != null) {
                return s;
            }
            String what = "GET /schemas/ids/" + id;
            JsonNode text = call(what, HttpRequest.newBuilder(URI.create(url + "/schemas/ids/" + id))
                    .GET()).get("schema");
            if (text == null || !text.isTextual()) {
                throw new IOException(what + ": no schema in the answer");
            }
            s = new Schema.Parser().parse(text.asText());
            byId.put(id, s);
            return s;
        }

        /** Registers schema under subject (or finds it there); its id. */
        int register(String subject, Schema schema) throws IOException {
            String path = "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8)
                    + "/versions";
            String body = json.writeValueAsString(Map.of("schema", schema.toString()));
            JsonNode id = call("POST " + path, HttpRequest.newBuilder(URI.create(url + path))
                    .header("Content-Type", CONTENT_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofString(body))).get("id");
            if (id == null || !id.canConvertToInt()) {
                throw new IOException("POST " + path + ": no id in the answer");
            }
            byId.put(id.asInt(), schema);
            return id.asInt();
        }
    }

    /** Decodes values of both framings. */
    private static final class Decoder {
        private final SchemaStore.Cache store = new SchemaStore.Cache();
        private final Map<String, Schema> byFullName = new HashMap<>();
        private final Registry registry;
        private String framing;

        Decoder(Map<String, Schema> schemas, Registry registry) {
            for (Schema s : schemas.values()) {
                store.addSchema(s);
                byFullName.put(s.getFullName(), s);
            }
            this.registry = registry;
        }

        GenericRecord decode(byte[] v) throws IOException {
            if (v == null || v.length == 0) {
                throw new IOException("empty value");
            }
            if (v.length >= 10 && (v[0] & 0xff) == 0xc3 && v[1] == 0x01) {
                long fp = ByteBuffer.wrap(v, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                Schema writer = store.findByFingerprint(fp);
                if (writer == null) {
                    throw new IOException(String.format("unknown fingerprint %016x", fp));
                }
                framing = "single-object";
                return new BinaryMessageDecoder<GenericRecord>(GenericData.get(), writer, store)
                        .decode(v);
            }
            if (v.length >= 5 && v[0] == 0) {
                if (registry == null) {
                    throw new IOException("Confluent-framed value, no registry URL given");
                }
                int id = ByteBuffer.wrap(v, 1, 4).order(ByteOrder.BIG_ENDIAN).getInt();
                Schema writer = registry.schema(id);
                Schema reader = byFullName.getOrDefault(writer.getFullName(), writer);
                BinaryDecoder dec = DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, null);
                GenericRecord rec = new GenericDatumReader<GenericRecord>(writer, reader)
                        .read(null, dec);
                if (!dec.isEnd()) {
                    throw new IOException("trailing bytes after the datum");
                }
                framing = "confluent:" + id;
                return rec;
            }
            throw new IOException(String.format("unknown framing, first byte %02x", v[0] & 0xff));
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? "-" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void consume(String bootstrap, String topic, File schemaDir, String registryUrl)
            throws IOException {
        Decoder decoder = new Decoder(load(schemaDir),
                registryUrl == null ? null : new Registry(registryUrl));
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<String> failures = new ArrayList<>();
        long n = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IOException("topic " + topic + " has no partitions");
            }
            for (PartitionInfo i : infos) {
                parts.add(new TopicPartition(topic, i.partition()));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            /* read_committed: the end is the last stable offset */
            Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("not at the end of " + topic + " after 5 minutes");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= end.get(new TopicPartition(topic, r.partition()))) {
                        continue;
                    }
                    n++;
                    String key = r.key() == null ? "-" : new String(r.key(), StandardCharsets.UTF_8);
                    try {
                        GenericRecord rec = decoder.decode(r.value());
                        System.out.println(r.partition() + "\t" + r.offset() + "\t" + key + "\t"
                                + decoder.framing + "\t" + rec.getSchema().getFullName() + "\t"
                                + header(r, "ce_type") + "\t" + toJson(rec));
                    } catch (IOException | RuntimeException e) {
                        failures.add(topic + "[" + r.partition() + "]@" + r.offset() + ": " + e);
                    }
                }
            }
        }
        System.out.flush();
        for (String f : failures) {
            System.err.println("decode failed: " + f);
        }
        System.err.println("consumed " + n);
        if (!failures.isEmpty()) {
            throw new IOException(failures.size() + " of " + n + " records not decoded");
        }
    }

    private static void createTopic(String bootstrap, String topic, int partitions)
            throws IOException {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())))
                    .all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IOException("create topic " + topic + ": " + e.getCause(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Encodes values in one framing: single-object, or Confluent with a
     *  registry (each type registered the first time it is met). */
    private static final class Encoder {
        private final Map<String, BinaryMessageEncoder<GenericRecord>> single = new HashMap<>();
        private final Map<String, Integer> ids = new HashMap<>();
        private final Registry registry;
        private final String topic;
        private BinaryEncoder reuse;

        Encoder(String topic, Registry registry) {
            this.topic = topic;
            this.registry = registry;
        }

        byte[] encode(GenericRecord rec) throws IOException {
            Schema schema = rec.getSchema();
            if (registry == null) {
                ByteBuffer buf = single.computeIfAbsent(schema.getFullName(),
                        k -> new BinaryMessageEncoder<>(GenericData.get(), schema)).encode(rec);
                byte[] value = new byte[buf.remaining()];
                buf.get(value);
                return value;
            }
            String subject = topic + "-" + schema.getFullName();
            Integer id = ids.get(subject);
            if (id == null) {
                id = registry.register(subject, schema);
                ids.put(subject, id);
                System.err.println("registered " + subject + " " + id);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(0);
            out.write(ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(id).array());
            reuse = EncoderFactory.get().binaryEncoder(out, reuse);
            new GenericDatumWriter<GenericRecord>(schema).write(rec, reuse);
            reuse.flush();
            return out.toByteArray();
        }
    }

    private static void produce(String bootstrap, String topic, File schemaDir, int partitions,
            File input, String registryUrl) throws IOException {
        Map<String, Schema> schemas = load(schemaDir);
        Encoder encoder = new Encoder(topic, registryUrl == null ? null : new Registry(registryUrl));
        createTopic(bootstrap, topic, partitions);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            int lineno = 0;
            for (String line : Files.readAllLines(input.toPath(), StandardCharsets.UTF_8)) {
                lineno++;
                if (line.isBlank()) {
                    continue;
                }
                int tab = line.indexOf('\t');
                Schema schema = tab > 0 ? schemas.get(line.substring(0, tab)) : null;
                if (schema == null) {
                    throw new IOException(input + ":" + lineno + ": no schema named in the line");
                }
                GenericRecord rec = new GenericDatumReader<GenericRecord>(schema).read(null,
                        DecoderFactory.get().jsonDecoder(schema, line.substring(tab + 1)));
                byte[] value = encoder.encode(rec);
                String key = rec.get("partner_id") + "/" + rec.get("customer_tenant_id");
                sent.add(producer.send(new ProducerRecord<>(topic,
                        key.getBytes(StandardCharsets.UTF_8), value)));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new IOException("delivery failed: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        System.err.println("produced " + sent.size());
    }

    public static void main(String[] args) {
        try {
            if ((args.length == 4 || args.length == 5) && args[0].equals("consume")) {
                consume(args[1], args[2], new File(args[3]), args.length == 5 ? args[4] : null);
            } else if ((args.length == 6 || args.length == 7) && args[0].equals("produce")) {
                produce(args[1], args[2], new File(args[3]), Integer.parseInt(args[4]),
                        new File(args[5]), args.length == 7 ? args[6] : null);
            } else {
                System.err.println("usage: KafkaInterop consume BOOTSTRAP TOPIC SCHEMA_DIR "
                        + "[REGISTRY_URL] | produce BOOTSTRAP TOPIC SCHEMA_DIR PARTITIONS FILE "
                        + "[REGISTRY_URL]");
                System.exit(2);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("kafka-interop: " + e);
            System.exit(1);
        }
    }
}
