/* cspflow: deterministic ids.
 *
 * Output event ids and provision request ids are a pure function of the
 * inputs: a 128-bit XXH3 hash of NUL-separated parts, written as an RFC 9562
 * version-8 UUID (custom, hash-based). Replaying the same input log gives the
 * same ids, byte for byte. */
#ifndef CF_IDS_H
#define CF_IDS_H

#include <stddef.h>
#include <stdint.h>

/** 36 characters and NUL. */
#define CF_UUID_SIZE 37

/** Writes the UUID of the hash of parts[0..n) (each followed by a NUL byte)
 *  into out (CF_UUID_SIZE bytes). */
void cf_ids_uuid(const char *const *parts, size_t n, char *out);

/** 128-bit hash of an event id, as two 64-bit halves: how rule 12
 *  remembers handled ids without keeping every string. */
typedef struct cf_id_hash_s {
        uint64_t hi, lo;
} cf_id_hash_t;
cf_id_hash_t cf_ids_hash(const char *event_id);

#endif
