/* libFuzzer entry point, compiled once per target (fuzz/CMakeLists.txt)
 * with CF_FUZZ_RUN set to its function of fuzz_targets.h, which says what
 * each checks; built with -DCSPFLOW_FUZZ=ON, run by scripts/fuzz. */
#include "fuzz_targets.h"

#ifndef CF_FUZZ_RUN
#error "CF_FUZZ_RUN must name a cf_fuzz_* function of fuzz_targets.h"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        cf_fuzz_init();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        CF_FUZZ_RUN(data, size);
        return 0;
}
