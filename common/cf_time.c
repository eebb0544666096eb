#include "cf_time.h"

#include <stdio.h>

/* Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        int64_t era;
        unsigned yoe, doy, doe;
        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
        int64_t era;
        unsigned doe, yoe, doy, mp;
        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        *y = (int64_t)yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y += *m <= 2;
}

static bool digits(const char *s, int n, unsigned *out) {
        unsigned v = 0;
        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *out = v;
        return true;
}

static bool leap(unsigned y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool cf_time_parse(const char *s, int64_t *out_ms) {
        static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
        unsigned y, mo, d, h, mi, sec, ms = 0;
        const char *p;
        if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
            s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
            !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
            s[16] != ':' || !digits(s + 17, 2, &sec))
                return false;
        p = s + 19;
        if (*p == '.') {
                int n = 0;
                p++;
                while (*p >= '0' && *p <= '9') {
                        if (n < 3)
                                ms = ms * 10 + (unsigned)(*p - '0');
                        n++;
                        p++;
                }
                if (n == 0 || n > 9)
                        return false;
                for (; n < 3; n++)
                        ms *= 10;
        }
        if (p[0] == 'Z' && p[1] == '\0')
                ;
        else if (p[0] == '+' && p[1] == '0' && p[2] == '0' && p[3] == ':' &&
                 p[4] == '0' && p[5] == '0' && p[6] == '\0')
                ;
        else
                return false;
        if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
            sec > 59)
                return false;
        if (d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1u : 0u))
                return false;
        *out_ms = days_from_civil(y, mo, d) * CF_MS_PER_DAY +
                  (int64_t)h * 3600000 + (int64_t)mi * 60000 +
                  (int64_t)sec * 1000 + ms;
        return true;
}

/* v as exactly width decimal digits (zero-padded) at buf + *n. */
static void put_digits(char *buf, int *n, unsigned v, int width) {
        for (int i = width - 1; i >= 0; i--) {
                buf[*n + i] = (char)('0' + v % 10);
                v /= 10;
        }
        *n += width;
}

bool cf_time_format(int64_t ms, char *buf, size_t size) {
        int64_t days, rem, y;
        unsigned mo, d, h, mi, sec, milli;
        int n;
        if (ms < CF_TIME_MIN || ms > CF_TIME_MAX || size < CF_TIME_STR_SIZE)
                return false;
        days = ms / CF_MS_PER_DAY;
        rem = ms % CF_MS_PER_DAY;
        if (rem < 0) {
                rem += CF_MS_PER_DAY;
                days--;
        }
        civil_from_days(days, &y, &mo, &d);
        h = (unsigned)(rem / 3600000);
        mi = (unsigned)(rem / 60000 % 60);
        sec = (unsigned)(rem / 1000 % 60);
        milli = (unsigned)(rem % 1000);
        /* "%04d-%02u-%02uT%02u:%02u:%02u[.%03u]Z" without printf (every
         * action record's ce_time); the range check above keeps y within
         * 1..9999 and size at least CF_TIME_STR_SIZE */
        n = 0;
        put_digits(buf, &n, (unsigned)y, 4);
        buf[n++] = '-';
        put_digits(buf, &n, mo, 2);
        buf[n++] = '-';
        put_digits(buf, &n, d, 2);
        buf[n++] = 'T';
        put_digits(buf, &n, h, 2);
        buf[n++] = ':';
        put_digits(buf, &n, mi, 2);
        buf[n++] = ':';
        put_digits(buf, &n, sec, 2);
        if (milli) {
                buf[n++] = '.';
                put_digits(buf, &n, milli, 3);
        }
        buf[n++] = 'Z';
        buf[n] = '\0';
        return true;
}
