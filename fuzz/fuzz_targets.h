/* cspflow: what each libFuzzer target does with one input, shared by the
 * libFuzzer entry point fuzz/fuzz_main.c and tests/unit/test_fuzz_regress.c
 * (which replays the seed corpora and every crash found, fuzz/corpus/ and
 * tests/fuzz/, in the ordinary build).
 *
 * Each function feeds the bytes to one decoder and, when they decode,
 * checks the codec's round trip: encode(decode(x)) decodes again and
 * encodes to the same bytes. A broken invariant calls abort() (a crash
 * for libFuzzer, a failure for the unit test); sanitizers catch the rest.
 *
 * Ownership: cf_fuzz_init() creates the process's Avro codec (kept until
 * cf_fuzz_fini()); the functions allocate nothing that outlives a call. */
#ifndef CF_FUZZ_TARGETS_H
#define CF_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/** One target: name (a fuzz/corpus/ subfolder) and its function. */
typedef struct cf_fuzz_target_s {
        const char *name;
        void (*run)(const uint8_t *data, size_t size);
} cf_fuzz_target_t;

/** Loads the Avro codec; aborts when it cannot (the schemas are built
 *  in). */
void cf_fuzz_init(void);
void cf_fuzz_fini(void);

/** Avro single-object framing + the event decoder; then the same bytes
 *  past the first as a body of the type the first byte picks. */
void cf_fuzz_avro_event(const uint8_t *data, size_t size);
/** Avro single-object framing + the migration-state decoder. */
void cf_fuzz_avro_state(const uint8_t *data, size_t size);
/** The JSON event reader (schemas/json_codec.c). */
void cf_fuzz_json_event(const uint8_t *data, size_t size);
/** The configuration file parser (cf_config_parse). */
void cf_fuzz_config(const uint8_t *data, size_t size);

/** Every target, n_targets of them. */
extern const cf_fuzz_target_t cf_fuzz_targets[];
extern const size_t cf_fuzz_n_targets;

#endif
