/* ops/metrics and ops/http: counting, publishing, the Prometheus text, and
 * the three endpoints served on 127.0.0.1 (an ephemeral port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ops/http.h"
#include "ops/metrics.h"

static cf_verdict_t verdict(cf_verdict_kind_t k, cf_reject_t r,
                            cf_mig_status_t before, cf_mig_status_t after) {
        cf_verdict_t v;
        memset(&v, 0, sizeof(v));
        v.kind = k;
        v.reason = r;
        v.status_before = before;
        v.status_after = after;
        return v;
}

static void test_count_input(void **state) {
        cf_metrics_counts_t c, total;
        cf_outbox_t out;
        cf_verdict_t v;
        (void)state;
        memset(&c, 0, sizeof(c));
        memset(&total, 0, sizeof(total));
        cf_outbox_init(&out);
        cf_outbox_push(&out)->type = CF_EV_RESELLER_RELATIONSHIP_REQUESTED;

        v = verdict(CF_VERDICT_APPLIED, CF_REJ_NONE, CF_MIG_NONE,
                    CF_MIG_INVITED);
        cf_metrics_count_input(&c, CF_EV_MIGRATION_REQUESTED, &v, &out);
        v = verdict(CF_VERDICT_APPLIED, CF_REJ_NONE, CF_MIG_INVITED,
                    CF_MIG_PROVISIONING);
        cf_metrics_count_input(&c, CF_EV_INVITATION_ACCEPTED, &v, NULL);
        v = verdict(CF_VERDICT_DUPLICATE, CF_REJ_NONE, CF_MIG_PROVISIONING,
                    CF_MIG_PROVISIONING);
        cf_metrics_count_input(&c, CF_EV_INVITATION_ACCEPTED, &v, NULL);
        v = verdict(CF_VERDICT_REJECTED, CF_REJ_MALFORMED, CF_MIG_NONE,
                    CF_MIG_NONE);
        cf_metrics_count_input(&c, CF_EV_NONE, &v, NULL);

        assert_int_equal(c.inputs[CF_EV_MIGRATION_REQUESTED][0], 1);
        assert_int_equal(c.inputs[CF_EV_INVITATION_ACCEPTED][0], 1);
        assert_int_equal(c.inputs[CF_EV_INVITATION_ACCEPTED][1], 1);
        assert_int_equal(c.inputs[CF_EV_NONE][2], 1);
        assert_int_equal(c.outputs[CF_EV_RESELLER_RELATIONSHIP_REQUESTED], 1);
        assert_int_equal(c.dlq[CF_REJ_MALFORMED], 1);
        /* one migration created (invited), then moved on */
        assert_int_equal(c.migrations[CF_MIG_INVITED], 0);
        assert_int_equal(c.migrations[CF_MIG_PROVISIONING], 1);
        assert_int_equal(c.migrations[CF_MIG_NONE], 0);

        cf_metrics_counts_add(&total, &c);
        cf_metrics_counts_add(&total, &c);
        assert_int_equal(total.inputs[CF_EV_INVITATION_ACCEPTED][1], 2);
        assert_int_equal(total.migrations[CF_MIG_PROVISIONING], 2);
        assert_int_equal(total.dlq[CF_REJ_MALFORMED], 2);
        cf_outbox_clear(&out);
}

static void test_histogram_buckets(void **state) {
        cf_metrics_snap_t s;
        (void)state;
        memset(&s, 0, sizeof(s));
        cf_metrics_observe_commit(&s, 0.001); /* le is inclusive */
        cf_metrics_observe_commit(&s, 0.0011);
        cf_metrics_observe_commit(&s, 10);
        cf_metrics_observe_commit(&s, 100);
        assert_int_equal(s.commit_buckets[0], 1);
        assert_int_equal(s.commit_buckets[1], 1);
        assert_int_equal(s.commit_buckets[CF_METRICS_BUCKETS - 1], 1);
        assert_int_equal(s.commit_buckets[CF_METRICS_BUCKETS], 1);
        assert_true(s.commit_seconds > 110.002 && s.commit_seconds < 110.003);
}

/* A snapshot with a bit of everything; lag is the caller's array. */
static void sample(cf_metrics_snap_t *s, int64_t *lag) {
        memset(s, 0, sizeof(*s));
        s->c.inputs[CF_EV_MIGRATION_REQUESTED][CF_VERDICT_APPLIED] = 7;
        s->c.inputs[CF_EV_NONE][CF_VERDICT_REJECTED] = 2;
        s->c.outputs[CF_EV_PROVISION_REQUESTED] = 5;
        s->c.dlq[CF_REJ_UNKNOWN_SUBSCRIPTION] = 3;
        s->c.migrations[CF_MIG_COMPLETED] = 4;
        s->skipped = 1;
        s->txn_committed = 9;
        s->txn_aborted = 2;
        cf_metrics_observe_commit(s, 0.003);
        cf_metrics_observe_commit(s, 0.2);
        s->restore_records = 11;
        s->parts_restored = 2;
        s->parts_pending = 1;
        lag[0] = 6;
        lag[1] = -1;
        lag[2] = 0;
        s->lag = lag;
        s->n_lag = 3;
        snprintf(s->topic, sizeof(s->topic), "ev\"t\\x");
        snprintf(s->group, sizeof(s->group), "g1");
        snprintf(s->mode, sizeof(s->mode), "eos");
}

static char *render(const cf_metrics_snap_t *s, const cf_proc_stats_t *p) {
        cf_buf_t b;
        char *text;
        cf_buf_init(&b, 1 << 20);
        assert_int_equal(cf_metrics_render(s, p, 1500, "1.2.3", &b), CF_OK);
        text = strdup((const char *)b.data);
        cf_buf_clear(&b);
        assert_non_null(text);
        return text;
}

static void has_line(const char *text, const char *line) {
        char *want = malloc(strlen(line) + 3);
        assert_non_null(want);
        snprintf(want, strlen(line) + 3, "\n%s\n", line);
        if (!strstr(text, want))
                fail_msg("no line '%s' in:\n%s", line, text);
        free(want);
}

static void test_render(void **state) {
        cf_metrics_snap_t s;
        cf_proc_stats_t p = {.cpu_seconds = 1.5,
                             .start_time_seconds = -1,
                             .resident_bytes = 4096,
                             .virtual_bytes = -1,
                             .open_fds = 12,
                             .max_fds = -1,
                             .threads = 3};
        int64_t lag[3];
        char *text;
        (void)state;
        sample(&s, lag);
        text = render(&s, &p);
        assert_memory_equal(text, "# HELP cspflow_info ", 20);
        has_line(text,
                 "cspflow_info{version=\"1.2.3\",mode=\"eos\",group=\"g1\"} 1");
        has_line(text, "cspflow_heartbeat_age_seconds 1.500");
        has_line(text, "# TYPE cspflow_inputs_total counter");
        has_line(text, "cspflow_inputs_total{type=\"migration-requested\","
                       "verdict=\"applied\"} 7");
        /* input types are listed even at 0; others only when counted */
        has_line(text, "cspflow_inputs_total{type=\"invitation-accepted\","
                       "verdict=\"duplicate\"} 0");
        has_line(text, "cspflow_inputs_total{type=\"undecodable\","
                       "verdict=\"rejected\"} 2");
        assert_null(strstr(text, "type=\"undecodable\",verdict=\"applied\""));
        has_line(text, "cspflow_inputs_skipped_total 1");
        has_line(text, "cspflow_outputs_total{type=\"provision-requested\"} 5");
        has_line(text, "cspflow_outputs_total{type=\"migration-completed\"} 0");
        has_line(text,
                 "cspflow_dlq_records_total{reason=\"unknown-subscription\"} "
                 "3");
        assert_null(strstr(text, "reason=\"none\""));
        has_line(text, "# TYPE cspflow_migrations gauge");
        has_line(text, "cspflow_migrations{status=\"completed\"} 4");
        has_line(text, "cspflow_migrations{status=\"invited\"} 0");
        has_line(text, "cspflow_transactions_total{result=\"committed\"} 9");
        has_line(text, "cspflow_transactions_total{result=\"aborted\"} 2");
        /* cumulative buckets */
        has_line(text, "# TYPE cspflow_commit_duration_seconds histogram");
        has_line(text,
                 "cspflow_commit_duration_seconds_bucket{le=\"0.0025\"} 0");
        has_line(text,
                 "cspflow_commit_duration_seconds_bucket{le=\"0.005\"} 1");
        has_line(text, "cspflow_commit_duration_seconds_bucket{le=\"0.1\"} 1");
        has_line(text, "cspflow_commit_duration_seconds_bucket{le=\"0.25\"} 2");
        has_line(text, "cspflow_commit_duration_seconds_bucket{le=\"+Inf\"} 2");
        has_line(text, "cspflow_commit_duration_seconds_sum 0.203");
        has_line(text, "cspflow_commit_duration_seconds_count 2");
        /* label values escaped; unknown lag (-1) left out */
        has_line(text, "cspflow_consumer_lag{topic=\"ev\\\"t\\\\x\","
                       "partition=\"0\"} 6");
        has_line(text, "cspflow_consumer_lag{topic=\"ev\\\"t\\\\x\","
                       "partition=\"2\"} 0");
        assert_null(strstr(text, "partition=\"1\""));
        has_line(text, "cspflow_restore_records_total 11");
        has_line(text, "cspflow_restore_partitions{state=\"restored\"} 2");
        has_line(text, "cspflow_restore_partitions{state=\"pending\"} 1");
        has_line(text, "process_cpu_seconds_total 1.5");
        has_line(text, "process_resident_memory_bytes 4096");
        has_line(text, "process_open_fds 12");
        has_line(text, "process_threads 3");
        assert_null(strstr(text, "process_virtual_memory_bytes"));
        assert_null(strstr(text, "process_max_fds"));
        assert_int_equal(text[strlen(text) - 1], '\n');
        free(text);
}

/* Every sample line follows a # HELP and a # TYPE line of its family. */
static void test_render_families(void **state) {
        cf_metrics_snap_t s;
        int64_t lag[3];
        char *text, *save = NULL, *line;
        char family[128] = "";
        int helps = 0, types = 0, samples = 0;
        (void)state;
        sample(&s, lag);
        text = render(&s, NULL);
        for (line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, "# HELP ", 7) == 0) {
                        sscanf(line + 7, "%127s", family);
                        helps++;
                } else if (strncmp(line, "# TYPE ", 7) == 0) {
                        char name[128];
                        sscanf(line + 7, "%127s", name);
                        assert_string_equal(name, family);
                        types++;
                } else {
                        assert_int_equal(strncmp(line, family, strlen(family)),
                                         0);
                        samples++;
                }
        }
        assert_int_equal(helps, types);
        assert_true(helps >= 11 && samples > helps);
        free(text);
        text = render(&s, NULL);
        assert_null(strstr(text, "process_")); /* no proc figures */
        free(text);
}

static void test_publish_and_read(void **state) {
        cf_metrics_t *m = cf_metrics_new();
        cf_metrics_snap_t s, got;
        int64_t lag[3], lag2[5] = {1, 2, 3, 4, 5};
        (void)state;
        assert_non_null(m);
        assert_int_equal(cf_metrics_beat_age_ms(m), -1);
        assert_int_equal(cf_metrics_read(m, &got), CF_OK);
        assert_int_equal(got.n_lag, 0);
        assert_null(got.lag);

        sample(&s, lag);
        assert_int_equal(cf_metrics_publish(m, &s), CF_OK);
        lag[0] = 99; /* the published copy is the metrics' own */
        assert_int_equal(cf_metrics_read(m, &got), CF_OK);
        assert_int_equal(got.txn_committed, 9);
        assert_int_equal(got.c.dlq[CF_REJ_UNKNOWN_SUBSCRIPTION], 3);
        assert_string_equal(got.topic, "ev\"t\\x");
        assert_int_equal(got.n_lag, 3);
        assert_true(got.lag != lag);
        assert_int_equal(got.lag[0], 6);
        assert_int_equal(got.lag[1], -1);
        cf_metrics_snap_clear(&got);
        assert_null(got.lag);

        /* another partition count */
        s.lag = lag2;
        s.n_lag = 5;
        assert_int_equal(cf_metrics_publish(m, &s), CF_OK);
        assert_int_equal(cf_metrics_read(m, &got), CF_OK);
        assert_int_equal(got.n_lag, 5);
        assert_int_equal(got.lag[4], 5);
        cf_metrics_snap_clear(&got);

        cf_metrics_beat(m);
        assert_true(cf_metrics_beat_age_ms(m) >= 0);
        assert_true(cf_metrics_beat_age_ms(m) < 10000);
        cf_metrics_destroy(m);
}

static void test_split_listen(void **state) {
        char host[64];
        int port = -1;
        (void)state;
        assert_true(
            cf_http_split_listen("127.0.0.1:9100", host, sizeof(host), &port));
        assert_string_equal(host, "127.0.0.1");
        assert_int_equal(port, 9100);
        assert_true(cf_http_split_listen("[::1]:0", host, sizeof(host), &port));
        assert_string_equal(host, "::1");
        assert_int_equal(port, 0);
        assert_true(
            cf_http_split_listen("localhost:65535", host, sizeof(host), &port));
        assert_false(
            cf_http_split_listen("127.0.0.1", host, sizeof(host), &port));
        assert_false(cf_http_split_listen(":9100", host, sizeof(host), &port));
        assert_false(
            cf_http_split_listen("127.0.0.1:65536", host, sizeof(host), &port));
        assert_false(
            cf_http_split_listen("127.0.0.1:x", host, sizeof(host), &port));
        assert_false(cf_http_split_listen("::1:80", host, sizeof(host), &port));
        assert_false(
            cf_http_split_listen("[::1]80", host, sizeof(host), &port));
}

/* One request to 127.0.0.1:port; returns the status, body into buf. */
static int request(int port, const char *method, const char *path, char *buf,
                   size_t size) {
        struct sockaddr_in a;
        char req[256];
        size_t got = 0;
        ssize_t n;
        int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
        const char *body;

        assert_true(fd >= 0);
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        snprintf(req, sizeof(req),
                 "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                 method, path);
        assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
                got += (size_t)n;
        buf[got] = '\0';
        close(fd);
        assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &status), 1);
        body = strstr(buf, "\r\n\r\n");
        memmove(buf, body ? body + 4 : "", strlen(body ? body + 4 : "") + 1);
        return status;
}

static void test_http_endpoints(void **state) {
        cf_metrics_t *m = cf_metrics_new();
        cf_http_opts_t o;
        cf_http_t *h = NULL;
        cf_metrics_snap_t s;
        int64_t lag[3];
        char err[256], body[65536];
        int port;
        (void)state;
        assert_non_null(m);
        memset(&o, 0, sizeof(o));
        o.listen = "127.0.0.1:0";
        o.metrics = m;
        o.version = "t";
        assert_int_equal(cf_http_start(&o, &h, err, sizeof(err)), CF_OK);
        port = cf_http_port(h);
        assert_true(port > 0);

        /* no heartbeat yet */
        assert_int_equal(request(port, "GET", "/healthz", body, sizeof(body)),
                         503);
        assert_non_null(strstr(body, "starting"));
        assert_int_equal(request(port, "GET", "/readyz", body, sizeof(body)),
                         503);
        cf_metrics_beat(m);
        assert_int_equal(request(port, "GET", "/healthz", body, sizeof(body)),
                         200);
        /* alive, nothing assigned */
        assert_int_equal(request(port, "GET", "/readyz", body, sizeof(body)),
                         503);
        assert_non_null(strstr(body, "no partition"));
        /* restoring (1 pending), then ready */
        sample(&s, lag);
        assert_int_equal(cf_metrics_publish(m, &s), CF_OK);
        assert_int_equal(request(port, "GET", "/readyz", body, sizeof(body)),
                         503);
        assert_non_null(strstr(body, "restoring: 1 partition(s) pending"));
        s.parts_pending = 0;
        assert_int_equal(cf_metrics_publish(m, &s), CF_OK);
        assert_int_equal(request(port, "GET", "/readyz", body, sizeof(body)),
                         200);
        assert_int_equal(request(port, "GET", "/metrics", body, sizeof(body)),
                         200);
        assert_non_null(strstr(body, "\ncspflow_transactions_total{result="
                                     "\"committed\"} 9\n"));
        assert_int_equal(request(port, "HEAD", "/metrics", body, sizeof(body)),
                         200);
        assert_string_equal(body, "");
        assert_int_equal(request(port, "POST", "/metrics", body, sizeof(body)),
                         405);
        assert_int_equal(request(port, "GET", "/nope", body, sizeof(body)),
                         404);
        cf_http_stop(h);

        /* a stale heartbeat: a 1 ms threshold, after a pause */
        o.stale_ms = 1;
        assert_int_equal(cf_http_start(&o, &h, err, sizeof(err)), CF_OK);
        cf_metrics_beat(m);
        nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
        assert_int_equal(
            request(cf_http_port(h), "GET", "/healthz", body, sizeof(body)),
            503);
        assert_non_null(strstr(body, "stale"));
        cf_http_stop(h);

        o.listen = "127.0.0.1";
        assert_int_equal(cf_http_start(&o, &h, err, sizeof(err)), CF_ERR_USAGE);
        assert_non_null(strstr(err, "http.listen"));
        assert_null(h);
        cf_metrics_destroy(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_count_input),
            cmocka_unit_test(test_histogram_buckets),
            cmocka_unit_test(test_render),
            cmocka_unit_test(test_render_families),
            cmocka_unit_test(test_publish_and_read),
            cmocka_unit_test(test_split_listen),
            cmocka_unit_test(test_http_endpoints),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
