/* cspflow: UTC timestamps as milliseconds since the Unix epoch.
 *
 * The only clock cspflow's rules know is the `occurred_at` of events; these
 * functions convert between that int64 and the spec's ISO-8601 form
 * `YYYY-MM-DDTHH:MM:SSZ`, with `.sss` only when the milliseconds are not
 * zero. No libc time zone state is touched. */
#ifndef CF_TIME_H
#define CF_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_MS_PER_DAY INT64_C(86400000)
/** Years 0001..9999 only. */
#define CF_TIME_MIN INT64_C(-62135596800000)
#define CF_TIME_MAX INT64_C(253402300799999)
/** Room for the longest form, "YYYY-MM-DDTHH:MM:SS.sssZ" and NUL. */
#define CF_TIME_STR_SIZE 25

/** Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+00:00)`: fractions beyond the
 *  millisecond are truncated; any other offset or junk is refused. */
bool cf_time_parse(const char *s, int64_t *out_ms);

/** Formats ms into buf (at least CF_TIME_STR_SIZE bytes). Returns false
 *  when ms is outside [CF_TIME_MIN, CF_TIME_MAX]. */
bool cf_time_format(int64_t ms, char *buf, size_t size);

#endif
