/* bench: shared Kafka helpers of the benchmark programs (bench_kafka.h). */
#include "bench_kafka.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *bench_prog = "bench";

void bench_die(const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "%s: ", bench_prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

int64_t bench_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
        char why[512];
        if (rd_kafka_conf_set(c, k, v, why, sizeof(why)) != RD_KAFKA_CONF_OK)
                bench_die("%s: %s", k, why);
}

rd_kafka_conf_t *bench_conf_new(const char *bootstrap,
                                const char *const *defaults,
                                const char *const *props, int n_props,
                                const char *const *forced) {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        char k[256];

        if (!c)
                bench_die("out of memory");
        set(c, "bootstrap.servers", bootstrap);
        for (; defaults && defaults[0]; defaults += 2)
                set(c, defaults[0], defaults[1]);
        for (int i = 0; i < n_props; i++) {
                const char *eq = strchr(props[i], '=');
                if (!eq || (size_t)(eq - props[i]) >= sizeof(k))
                        bench_die("-X %s: not prop=value", props[i]);
                snprintf(k, sizeof(k), "%.*s", (int)(eq - props[i]), props[i]);
                set(c, k, eq + 1);
        }
        for (; forced && forced[0]; forced += 2)
                set(c, forced[0], forced[1]);
        return c;
}

int bench_partitions(rd_kafka_t *rk, const char *topic) {
        const rd_kafka_metadata_t *md;
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
        int n = -1;

        if (!t || rd_kafka_metadata(rk, 0, t, &md, 10000))
                bench_die("metadata of %s", topic);
        if (md->topic_cnt == 1 && !md->topics[0].err)
                n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
        if (n <= 0)
                bench_die("topic %s: no partitions", topic);
        return n;
}
