package io.cspflow.kstreams;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.Stores;

/**
 * cspflow-kstreams: the migration rules as a Kafka Streams application.
 *
 * <pre>
 * App BOOTSTRAP INPUT_TOPIC OUTPUT_PREFIX APP_ID STATE_DIR
 *     [--catalog FILE] [--commit-interval-ms N] [--threads N] [--set KEY=VALUE]...
 * </pre>
 *
 * Consumes INPUT_TOPIC as application APP_ID (exactly_once_v2), writes
 * OUTPUT_PREFIX.actions, .audit and .dlq (created with the input's
 * partition count when missing), keeps the migrations in a RocksDB store
 * with its changelog under STATE_DIR, and runs until SIGTERM/SIGINT: then
 * it closes (commits, leaves the group), prints a summary line on stderr and
 * exits 0 (1 when Kafka Streams failed, 2 for a usage or set-up error).
 */
public final class App {
    private App() {}

    private static void usage(String why) {
        System.err.println("cspflow-kstreams: " + why);
        System.err.println("usage: run.sh BOOTSTRAP INPUT_TOPIC OUTPUT_PREFIX APP_ID STATE_DIR "
                           + "[--catalog FILE] [--commit-interval-ms N] [--threads N] "
                           + "[--set KEY=VALUE]...");
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5)
            usage("missing arguments");
        String bootstrap = args[0], input = args[1], prefix = args[2], appId = args[3];
        String stateDir = args[4];
        String catalogPath = null;
        long commitMs = 100; // cspflow's batch.max.ms default
        int threads = 1; // a 2-core machine, one partition set
        List<String[]> extra = new ArrayList<>();
        for (int i = 5; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length)
                usage(a + " needs a value");
            String val = args[++i];
            try {
                switch (a) {
                case "--catalog" -> catalogPath = val;
                case "--commit-interval-ms" -> commitMs = Long.parseLong(val);
                case "--threads" -> threads = Integer.parseInt(val);
                case "--set" -> {
                    int eq = val.indexOf('=');
                    if (eq <= 0)
                        usage("--set wants KEY=VALUE, not " + val);
                    extra.add(new String[] {val.substring(0, eq), val.substring(eq + 1)});
                }
                default -> usage("unknown option " + a);
                }
            } catch (NumberFormatException e) {
                usage(a + ": not a number: " + val);
            }
        }

        Schemas schemas;
        Catalog catalog = null;
        try {
            schemas = new Schemas();
            if (catalogPath != null)
                catalog = Catalog.load(Path.of(catalogPath));
        } catch (IOException e) {
            usage(e.getMessage());
            return;
        }

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        for (String[] kv : extra)
            p.put(kv[0], kv[1]);

        String[] outputs = {prefix + ".actions", prefix + ".audit", prefix + ".dlq"};
        try {
            createTopics(bootstrap, input, outputs);
        } catch (IOException e) {
            usage(e.getMessage());
        }

        Stats stats = new Stats();
        Catalog cat = catalog;
        String ceSource = "urn:cspflow:" + appId;
        Topology t = new Topology();
        t.addSource("events", new ByteArrayDeserializer(), new ByteArrayDeserializer(), input);
        t.addProcessor("migrations", () -> new MigrationProcessor(schemas, cat, ceSource, stats),
                       "events");
        t.addStateStore(Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(MigrationProcessor.STORE),
                            Serdes.String(), new StateSerde(schemas))
                            .withCachingEnabled(),
                        "migrations");
        t.addSink(MigrationProcessor.ACTIONS, outputs[0], new ByteArraySerializer(),
                  new ByteArraySerializer(), "migrations");
        t.addSink(MigrationProcessor.AUDIT, outputs[1], new ByteArraySerializer(),
                  new ByteArraySerializer(), "migrations");
        t.addSink(MigrationProcessor.DLQ, outputs[2], new ByteArraySerializer(),
                  new ByteArraySerializer(), "migrations");

        KafkaStreams streams = new KafkaStreams(t, p);
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean failed = new AtomicBoolean();
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("cspflow-kstreams: fatal: " + e);
            failed.set(true);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Restore restore = new Restore();
        streams.setGlobalStateRestoreListener(restore);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                String r = restore.takeJson();
                if (r != null)
                    System.err.println(r);
                System.err.println("{\"running\":true}");
            }
            if (now == KafkaStreams.State.ERROR)
                failed.set(true);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING
                || now == KafkaStreams.State.PENDING_ERROR)
                stopped.countDown();
        });
        // SIGTERM/SIGINT: close (last commit, leave the group), then halt
        // with our own status rather than the JVM's 143.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            boolean clean = streams.close(new KafkaStreams.CloseOptions()
                                              .leaveGroup(true)
                                              .timeout(Duration.ofSeconds(60)));
            System.err.println(stats.json());
            System.err.flush();
            Runtime.getRuntime().halt(failed.get() || !clean ? 1 : 0);
        }, "cspflow-kstreams-close"));
        streams.start();
        stopped.await();
        // Kafka Streams stopped on its own (an error): the hook closes it.
        System.exit(1);
    }

    /** Creates the outputs missing, with the input's partition count. */
    private static void createTopics(String bootstrap, String input, String[] outputs)
        throws IOException, InterruptedException {
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            int partitions;
            try {
                Map<String, TopicDescription> d = admin.describeTopics(List.of(input))
                    .allTopicNames().get(30, TimeUnit.SECONDS);
                partitions = d.get(input).partitions().size();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException)
                    throw new IOException("input topic " + input + " does not exist", e);
                throw new IOException("describing " + input + ": " + e.getCause(), e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IOException("no answer from " + bootstrap, e);
            }
            List<NewTopic> want = new ArrayList<>();
            for (String o : outputs)
                want.add(new NewTopic(o, Optional.of(partitions), Optional.empty()));
            for (var e : admin.createTopics(want).values().entrySet()) {
                try {
                    e.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException))
                        throw new IOException("creating " + e.getKey() + ": " + ex.getCause(),
                                              ex);
                } catch (java.util.concurrent.TimeoutException ex) {
                    throw new IOException("creating " + e.getKey() + ": no answer", ex);
                }
            }
        }
    }
}
