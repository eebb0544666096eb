/* The fuzz targets (fuzz/fuzz_targets.h) in the ordinary build: every seed
 * of fuzz/corpus/<target>/ and every input a fuzzer crashed on,
 * tests/fuzz/<target>/ (each one a fixed bug: docs/reliability.md lists
 * them), run through the same decoder and round-trip checks. A broken
 * invariant aborts; ASan/UBSan and valgrind (scripts/memcheck) watch the
 * rest.
 *
 *   test_fuzz_regress                 the cmocka suite (run from the
 *                                     source tree, as CTest does)
 *   test_fuzz_regress TARGET FILE...  just those files, for a crash being
 *                                     looked at */
#include <dirent.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/fuzz_targets.h"

/* Largest input replayed; the fuzzers run with -max_len below this. */
#define INPUT_MAX (1024 * 1024)

static uint8_t *input;

/* Runs target over one file; false when it cannot be read. */
static bool run_file(const cf_fuzz_target_t *t, const char *path) {
        FILE *f = fopen(path, "rb");
        size_t n;
        if (!f)
                return false;
        n = fread(input, 1, INPUT_MAX, f);
        fclose(f);
        t->run(input, n);
        return true;
}

/* Runs target over every regular file of dir; returns how many. */
static size_t run_dir(const cf_fuzz_target_t *t, const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t n = 0;
        char path[1024];

        if (!d)
                return 0;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                assert_true(run_file(t, path));
                n++;
        }
        closedir(d);
        return n;
}

static void test_corpora(void **state) {
        char dir[256];
        (void)state;

        for (size_t i = 0; i < cf_fuzz_n_targets; i++) {
                const cf_fuzz_target_t *t = &cf_fuzz_targets[i];
                size_t seeds, crashes;
                snprintf(dir, sizeof(dir), "fuzz/corpus/%s", t->name);
                seeds = run_dir(t, dir);
                snprintf(dir, sizeof(dir), "tests/fuzz/%s", t->name);
                crashes = run_dir(t, dir);
                printf("%-12s %3zu seeds, %zu regression inputs\n", t->name,
                       seeds, crashes);
                /* a target without seeds would fuzz from nothing */
                assert_true(seeds > 0);
        }
}

/* Short and odd inputs every decoder must take in its stride. */
static void test_edges(void **state) {
        static const uint8_t zeros[64];
        static const uint8_t header[] = {0xc3, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
        (void)state;

        for (size_t i = 0; i < cf_fuzz_n_targets; i++) {
                const cf_fuzz_target_t *t = &cf_fuzz_targets[i];
                for (size_t n = 0; n <= sizeof(zeros); n++)
                        t->run(zeros, n);
                t->run(header, sizeof(header));
        }
}

static int setup(void **state) {
        (void)state;
        cf_fuzz_init();
        return (input = malloc(INPUT_MAX)) ? 0 : -1;
}

static int teardown(void **state) {
        (void)state;
        free(input);
        cf_fuzz_fini();
        return 0;
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_corpora),
            cmocka_unit_test(test_edges),
        };
        if (argc > 2) {
                const cf_fuzz_target_t *t = NULL;
                for (size_t i = 0; i < cf_fuzz_n_targets; i++)
                        if (strcmp(cf_fuzz_targets[i].name, argv[1]) == 0)
                                t = &cf_fuzz_targets[i];
                if (!t || setup(NULL) != 0) {
                        fprintf(stderr, "unknown target %s\n", argv[1]);
                        return 2;
                }
                for (int i = 2; i < argc; i++)
                        if (!run_file(t, argv[i]))
                                fprintf(stderr, "%s: cannot read\n", argv[i]);
                teardown(NULL);
                return 0;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
