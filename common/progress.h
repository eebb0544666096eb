/* cspflow: progress of a long read (replay, inspect, state restore).
 *
 * On a terminal: one bar on the stream, redrawn in place (at most ten
 * times a second) and ended with a newline by cf_progress_done. Elsewhere:
 * a plain line through the logger (common/log.h, level info) at most every
 * few seconds, and one at the end, so logs and CI output stay readable.
 *
 *   cf_progress_t *p = cf_progress_new("replay", "events", stderr);
 *   for (...) cf_progress_update(p, done, total);   // total 0: unknown
 *   cf_progress_done(p, done);
 *   cf_progress_destroy(p);
 *
 * Ownership: the progress borrows the stream and copies the names;
 * cf_progress_destroy frees it (NULL is fine). Every function accepts a
 * NULL progress (then does nothing), so a failed _new needs no check. */
#ifndef CF_PROGRESS_H
#define CF_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cf_progress_s cf_progress_t;

/** component names the logger's component (e.g. "replay"), what the thing
 *  counted ("events"). Terminal or not is decided once, on fp (NULL:
 *  stderr). NULL on allocation failure. */
cf_progress_t *cf_progress_new(const char *component, const char *what,
                               FILE *fp);

/** Forces the plain-line form even on a terminal (tests, --no-progress). */
void cf_progress_set_plain(cf_progress_t *p, bool plain);

/** done of total (0: unknown) so far; draws when it is time to. */
void cf_progress_update(cf_progress_t *p, uint64_t done, uint64_t total);

/** The end: a full bar and a newline, or the last line. */
void cf_progress_done(cf_progress_t *p, uint64_t done);

void cf_progress_destroy(cf_progress_t *p);

#endif
