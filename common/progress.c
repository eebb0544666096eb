/* cspflow: progress of a long read (progress.h). */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strutil.h"

#define BAR_WIDTH     30
#define TTY_EVERY_MS  100
#define LINE_EVERY_MS 5000

struct cf_progress_s {
        char component[32];
        char what[32];
        FILE *fp;
        bool tty;
        bool drawn; /* a bar is on the terminal line */
        int64_t start_ms, last_ms;
        uint64_t total;
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cf_progress_t *cf_progress_new(const char *component, const char *what,
                               FILE *fp) {
        cf_progress_t *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        cf_strlcpy(p->component, component, sizeof(p->component));
        cf_strlcpy(p->what, what, sizeof(p->what));
        p->fp = fp ? fp : stderr;
        p->tty = isatty(fileno(p->fp)) == 1;
        p->start_ms = p->last_ms = now_ms();
        return p;
}

void cf_progress_set_plain(cf_progress_t *p, bool plain) {
        if (p)
                p->tty = !plain && isatty(fileno(p->fp)) == 1;
}

static void draw_bar(cf_progress_t *p, uint64_t done, uint64_t total) {
        char bar[BAR_WIDTH + 1];
        int fill = 0;
        if (total > 0)
                fill = (int)((done > total ? total : done) * BAR_WIDTH / total);
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '-', (size_t)(BAR_WIDTH - fill));
        bar[BAR_WIDTH] = '\0';
        if (total > 0)
                fprintf(p->fp, "\r%s: %s [%s] %llu/%llu %3d%%", p->component,
                        p->what, bar, (unsigned long long)done,
                        (unsigned long long)total,
                        (int)((done > total ? total : done) * 100 / total));
        else
                fprintf(p->fp, "\r%s: %s %llu", p->component, p->what,
                        (unsigned long long)done);
        fflush(p->fp);
        p->drawn = true;
}

static void line(cf_progress_t *p, uint64_t done, uint64_t total,
                 const char *state) {
        double secs = (double)(now_ms() - p->start_ms) / 1000.0;
        if (total > 0)
                cf_log(CF_LOG_INFO, p->component,
                       "%s %s: %llu/%llu (%d%%) in %.1f s", p->what, state,
                       (unsigned long long)done, (unsigned long long)total,
                       (int)((done > total ? total : done) * 100 / total),
                       secs);
        else
                cf_log(CF_LOG_INFO, p->component, "%s %s: %llu in %.1f s",
                       p->what, state, (unsigned long long)done, secs);
}

void cf_progress_update(cf_progress_t *p, uint64_t done, uint64_t total) {
        int64_t t;
        if (!p)
                return;
        p->total = total;
        t = now_ms();
        if (t - p->last_ms < (p->tty ? TTY_EVERY_MS : LINE_EVERY_MS))
                return;
        p->last_ms = t;
        if (p->tty)
                draw_bar(p, done, total);
        else
                line(p, done, total, "read");
}

void cf_progress_done(cf_progress_t *p, uint64_t done) {
        if (!p)
                return;
        if (p->tty) {
                draw_bar(p, done, p->total > done ? p->total : done);
                fputc('\n', p->fp);
                fflush(p->fp);
                p->drawn = false;
        } else {
                line(p, done, p->total > done ? p->total : done, "done");
        }
}

void cf_progress_destroy(cf_progress_t *p) {
        if (p && p->drawn) {
                fputc('\n', p->fp);
                fflush(p->fp);
        }
        free(p);
}
