/* libFuzzer entry point of the config target (fuzz_targets.h says what it
 * checks); built with -DCSPFLOW_FUZZ=ON, run by scripts/fuzz. */
#include "fuzz_targets.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        cf_fuzz_init();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cf_fuzz_config(data, size);
        return 0;
}
