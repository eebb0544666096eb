/* Shared by the registry tests: tests/registry/fake_registry.py (the test
 * double of the Confluent Schema Registry) started as a child process on
 * 127.0.0.1, its fault switches, and the base port
 * $CSPFLOW_REGISTRY_TEST_PORT (default 18101; each test binary uses its own
 * offsets from it, docs/registry.md). Include after cmocka.h; run from the
 * source tree (CTest does). */
#ifndef CF_TEST_REGISTRY_FIXTURE_H
#define CF_TEST_REGISTRY_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct fake_s {
        pid_t pid;
        int port;
        char url[128];
} fake_t;

static inline int port_base(void) {
        const char *e = getenv("CSPFLOW_REGISTRY_TEST_PORT");
        long p = e ? strtol(e, NULL, 10) : 0;
        return p > 0 && p < 65535 ? (int)p : 18101;
}

static inline void sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static inline void fake_stop(fake_t *f) {
        if (f->pid > 0) {
                kill(f->pid, SIGTERM);
                waitpid(f->pid, NULL, 0);
                f->pid = 0;
        }
}

/* Starts the test double; waits until it accepts a request. */
static inline int fake_start(fake_t *f, int port, const char *auth) {
        char portstr[16], cmd[256];
        snprintf(portstr, sizeof(portstr), "%d", port);
        f->port = port;
        snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", port);
        f->pid = fork();
        if (f->pid < 0)
                return -1;
        if (f->pid == 0) {
                if (auth)
                        execlp("python3", "python3",
                               "tests/registry/fake_registry.py", "--port",
                               portstr, "--basic-auth", auth, (char *)NULL);
                else
                        execlp("python3", "python3",
                               "tests/registry/fake_registry.py", "--port",
                               portstr, (char *)NULL);
                _exit(127);
        }
        /* ready when the double that answers is the one started here
         * (not another test's on the same port) */
        snprintf(cmd, sizeof(cmd),
                 "curl -s http://127.0.0.1:%d/_test/stats | "
                 "grep -q '\"pid\": %ld[,}]'",
                 port, (long)f->pid);
        for (int i = 0; i < 100; i++) {
                if (system(cmd) == 0)
                        return 0;
                if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
                        f->pid = 0;
                        break;
                }
                sleep_ms(100);
        }
        fprintf(stderr,
                "fake registry did not start on port %d (taken? set "
                "CSPFLOW_REGISTRY_TEST_PORT)\n",
                port);
        fake_stop(f);
        return -1;
}

/* POST/DELETE to the double's /_test/faults. */
static inline void faults(const fake_t *f, const char *json) {
        char cmd[512];
        if (json)
                snprintf(cmd, sizeof(cmd),
                         "curl -s -o /dev/null -X POST -d '%s' "
                         "%s/_test/faults",
                         json, f->url);
        else
                snprintf(cmd, sizeof(cmd),
                         "curl -s -o /dev/null -X DELETE %s/_test/faults",
                         f->url);
        assert_int_equal(system(cmd), 0);
}

/* Requests the double answered so far (GET /_test/stats). */
static inline long fake_requests(const fake_t *f) {
        char cmd[256], buf[256] = "";
        const char *p;
        FILE *fp;
        snprintf(cmd, sizeof(cmd), "curl -s %s/_test/stats", f->url);
        assert_non_null(fp = popen(cmd, "r"));
        if (!fgets(buf, sizeof(buf), fp))
                buf[0] = '\0';
        pclose(fp);
        p = strstr(buf, "\"requests\": ");
        assert_non_null(p);
        return strtol(p + 12, NULL, 10);
}

#endif
