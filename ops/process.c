/* cspflow: process figures from /proc (process.h). */
#include "process.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Seconds since the epoch the machine booted (/proc/stat btime), -1. */
static double boot_time(void) {
        FILE *fp = fopen("/proc/stat", "r");
        char line[256];
        double bt = -1;
        unsigned long long v;

        if (!fp)
                return -1;
        while (fgets(line, sizeof(line), fp))
                if (sscanf(line, "btime %llu", &v) == 1) {
                        bt = (double)v;
                        break;
                }
        fclose(fp);
        return bt;
}

/* Fields of /proc/self/stat (proc(5)): utime stime threads starttime
 * vsize rss. */
static void stat_fields(cf_proc_stats_t *p) {
        FILE *fp = fopen("/proc/self/stat", "r");
        char buf[1024];
        const char *rp;
        unsigned long long ut, st, start, vsize;
        long long threads, rss;
        double tick = (double)sysconf(_SC_CLK_TCK);
        double page = (double)sysconf(_SC_PAGESIZE);
        size_t n;

        if (!fp)
                return;
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        /* the command name (field 2) is in parentheses and may hold
         * anything: the fields resume after the last ')' */
        if (!(rp = strrchr(buf, ')')) || tick <= 0)
                return;
        if (sscanf(rp + 1,
                   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                   "%*d %*d %*d %*d %lld %*d %llu %llu %lld",
                   &ut, &st, &threads, &start, &vsize, &rss) != 6)
                return;
        p->cpu_seconds = (double)(ut + st) / tick;
        p->threads = (double)threads;
        p->virtual_bytes = (double)vsize;
        p->resident_bytes = page > 0 ? (double)rss * page : -1;
        {
                double bt = boot_time();
                if (bt >= 0)
                        p->start_time_seconds = bt + (double)start / tick;
        }
}

static double open_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        double n = 0;

        if (!d)
                return -1;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own descriptor */
}

void cf_proc_stats_read(cf_proc_stats_t *p) {
        struct rlimit rl;

        p->cpu_seconds = p->start_time_seconds = p->resident_bytes = -1;
        p->virtual_bytes = p->threads = -1;
        stat_fields(p);
        p->open_fds = open_fds();
        p->max_fds =
            getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                ? (double)rl.rlim_cur
                : -1;
}
