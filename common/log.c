/* cspflow: the logger (log.h). */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "strutil.h"

/* A message is formatted on the stack when it fits, else on the heap up to
 * FORMAT_MAX bytes (a longer one is cut before redaction: see redact()). */
#define STACK_MSG  1024
#define FORMAT_MAX CF_LOG_MSG_MAX
#define MASK       "***"
#define CUT_MARK   "..."

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int level_now = CF_LOG_INFO;
/* Under lock: */
static cf_log_format_t format_now = CF_LOG_FORMAT_AUTO;
static FILE *out_now;  /* NULL: stderr */
static char **secrets; /* longest first */
static size_t *secret_len;
static size_t n_secrets;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const level_upper[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

bool cf_log_enabled(cf_log_level_t level) {
        return (int)level <=
               atomic_load_explicit(&level_now, memory_order_relaxed);
}

void cf_log_set_level(cf_log_level_t level) {
        if (level >= CF_LOG_ERROR && level <= CF_LOG_DEBUG)
                atomic_store(&level_now, (int)level);
}

cf_log_level_t cf_log_get_level(void) {
        return (cf_log_level_t)atomic_load(&level_now);
}

int cf_log_level_from_name(const char *name) {
        for (int i = 0; i <= CF_LOG_DEBUG; i++)
                if (strcmp(name, level_names[i]) == 0)
                        return i;
        return strcmp(name, "warning") == 0 ? CF_LOG_WARN : -1;
}

const char *cf_log_level_name(cf_log_level_t level) {
        return level >= CF_LOG_ERROR && level <= CF_LOG_DEBUG
                   ? level_names[level]
                   : "info";
}

cf_log_level_t cf_log_level_from_syslog(int syslog_level) {
        if (syslog_level <= 3)
                return CF_LOG_ERROR;
        if (syslog_level == 4)
                return CF_LOG_WARN;
        return syslog_level <= 6 ? CF_LOG_INFO : CF_LOG_DEBUG;
}

void cf_log_set_format(cf_log_format_t format) {
        pthread_mutex_lock(&lock);
        format_now = format;
        pthread_mutex_unlock(&lock);
}

int cf_log_format_from_name(const char *name) {
        static const char *const names[] = {"auto", "json", "text"};
        for (int i = 0; i < 3; i++)
                if (strcmp(name, names[i]) == 0)
                        return i;
        return -1;
}

void cf_log_set_output(FILE *fp) {
        pthread_mutex_lock(&lock);
        out_now = fp;
        pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------ secrets */

static cf_err_t add_secret_n(const char *value, size_t n) {
        char **s;
        size_t *l, at;
        char *copy;

        if (n == 0)
                return CF_OK;
        for (size_t i = 0; i < n_secrets; i++)
                if (secret_len[i] == n && memcmp(secrets[i], value, n) == 0)
                        return CF_OK;
        if (n_secrets >= CF_LOG_SECRETS_MAX)
                return CF_ERR_LIMIT;
        if (!(copy = malloc(n + 1)))
                return CF_ERR_NOMEM;
        memcpy(copy, value, n);
        copy[n] = '\0';
        s = realloc(secrets, (n_secrets + 1) * sizeof(*s));
        if (s)
                secrets = s;
        l = s ? realloc(secret_len, (n_secrets + 1) * sizeof(*l)) : NULL;
        if (!l) {
                free(copy);
                return CF_ERR_NOMEM;
        }
        secret_len = l;
        /* longest first, so a secret holding a shorter one is masked whole */
        for (at = 0; at < n_secrets && secret_len[at] >= n; at++)
                ;
        memmove(&secrets[at + 1], &secrets[at],
                (n_secrets - at) * sizeof(*secrets));
        memmove(&secret_len[at + 1], &secret_len[at],
                (n_secrets - at) * sizeof(*secret_len));
        secrets[at] = copy;
        secret_len[at] = n;
        n_secrets++;
        return CF_OK;
}

cf_err_t cf_log_add_secret(const char *value) {
        cf_err_t err;
        pthread_mutex_lock(&lock);
        err = add_secret_n(value, strlen(value));
        pthread_mutex_unlock(&lock);
        return err;
}

/* ASCII case-insensitive strstr. */
static bool contains_ci(const char *s, const char *needle) {
        size_t n = strlen(needle);
        for (; *s; s++) {
                size_t i = 0;
                while (i < n && s[i] &&
                       tolower((unsigned char)s[i]) == (unsigned char)needle[i])
                        i++;
                if (i == n)
                        return true;
        }
        return false;
}

bool cf_log_secret_key(const char *key) {
        static const char *const words[] = {
            "password", "secret",  "jaas",       "token",     "credential",
            "private",  "key.pem", "basic.auth", "user.info", "oauthbearer"};
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (contains_ci(key, words[i]))
                        return true;
        return false;
}

/* Registers every quoted value following `password=` in v (JAAS style:
 * password="x" or password='x'). */
static cf_err_t add_quoted_passwords(const char *v) {
        const char *p = v;
        cf_err_t err;

        while ((p = strstr(p, "password="))) {
                const char *end;
                char q;
                p += strlen("password=");
                q = *p;
                if (q != '"' && q != '\'')
                        continue;
                if (!(end = strchr(p + 1, q)))
                        break;
                if ((err = add_secret_n(p + 1, (size_t)(end - p - 1))) != CF_OK)
                        return err;
                p = end + 1;
        }
        return CF_OK;
}

/* Registers the password of scheme://user:password@host in v, if any. */
static cf_err_t add_url_password(const char *v) {
        const char *p = v, *at, *colon, *end;

        while ((p = strstr(p, "://"))) {
                p += 3;
                end = p + strcspn(p, "/?# \t,");
                at = memchr(p, '@', (size_t)(end - p));
                colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
                if (colon) {
                        cf_err_t err =
                            add_secret_n(colon + 1, (size_t)(at - colon - 1));
                        if (err != CF_OK)
                                return err;
                }
                p = end;
        }
        return CF_OK;
}

cf_err_t cf_log_register_config(const char *key, const char *value) {
        cf_err_t err = CF_OK;
        const char *colon;

        pthread_mutex_lock(&lock);
        if (cf_log_secret_key(key)) {
                err = add_secret_n(value, strlen(value));
                if (!err && (colon = strchr(value, ':')))
                        err = add_secret_n(colon + 1, strlen(colon + 1));
                if (!err)
                        err = add_quoted_passwords(value);
        }
        if (!err)
                err = add_url_password(value);
        pthread_mutex_unlock(&lock);
        return err;
}

void cf_log_reset(void) {
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < n_secrets; i++)
                free(secrets[i]);
        free(secrets);
        free(secret_len);
        secrets = NULL;
        secret_len = NULL;
        n_secrets = 0;
        format_now = CF_LOG_FORMAT_AUTO;
        out_now = NULL;
        pthread_mutex_unlock(&lock);
        atomic_store(&level_now, CF_LOG_INFO);
}

/* ------------------------------------------------------------ a line */

/* msg with every secret masked, into b (under lock). When the message was
 * cut, a tail that starts a secret is masked too (its rest was cut off). */
static cf_err_t redact(const char *msg, size_t len, bool cut, cf_buf_t *b) {
        size_t i = 0;

        while (i < len) {
                size_t k;
                for (k = 0; k < n_secrets; k++) {
                        size_t n = secret_len[k], left = len - i;
                        if (secrets[k][0] != msg[i])
                                continue;
                        if (n <= left && memcmp(msg + i, secrets[k], n) == 0)
                                break;
                        if (cut && n > left &&
                            memcmp(msg + i, secrets[k], left) == 0)
                                break;
                }
                if (k < n_secrets) {
                        if (cf_buf_append(b, MASK, strlen(MASK)) != CF_OK)
                                return CF_ERR_NOMEM;
                        i += secret_len[k];
                        continue;
                }
                if (cf_buf_append_byte(b, (uint8_t)msg[i]) != CF_OK)
                        return CF_ERR_NOMEM;
                i++;
        }
        return CF_OK;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
        size_t need;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xC2 && s[0] <= 0xDF)
                need = 2, cp = s[0] & 0x1F;
        else if (s[0] >= 0xE0 && s[0] <= 0xEF)
                need = 3, cp = s[0] & 0x0F;
        else if (s[0] >= 0xF0 && s[0] <= 0xF4)
                need = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (need > n)
                return 0;
        for (size_t i = 1; i < need; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return need;
}

/* Replaces each byte of b that is not valid UTF-8 with '?' (JSON strings
 * must be UTF-8; a message may quote bytes from the wire). */
static void utf8_fix(cf_buf_t *b) {
        size_t i = 0;
        while (i < b->len) {
                size_t n = utf8_len(b->data + i, b->len - i);
                if (n == 0) {
                        b->data[i] = '?';
                        n = 1;
                }
                i += n;
        }
}

static void timestamp(char *buf, size_t size) {
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000L));
}

/* The JSON line of a message (b holds it, valid UTF-8) into out. */
static cf_err_t json_line(const char *ts, cf_log_level_t level,
                          const char *component, const cf_buf_t *b,
                          cf_buf_t *out) {
        json_t *o = json_object();
        char *s = NULL;
        cf_err_t err = CF_ERR_NOMEM;

        if (o && !json_object_set_new(o, "ts", json_string(ts)) &&
            !json_object_set_new(o, "level",
                                 json_string(cf_log_level_name(level))) &&
            !json_object_set_new(o, "component", json_string(component)) &&
            !json_object_set_new(o, "msg",
                                 json_stringn((const char *)b->data, b->len)) &&
            (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)))
                err = cf_buf_append(out, s, strlen(s));
        free(s);
        json_decref(o);
        return err;
}

/* The text line: control characters as \n, \t, \xNN. */
static cf_err_t text_line(const char *ts, cf_log_level_t level,
                          const char *component, const cf_buf_t *b,
                          cf_buf_t *out) {
        char head[160];
        int n = snprintf(head, sizeof(head), "%s %s %s: ", ts,
                         level_upper[level], component);
        if (n < 0 || cf_buf_append(out, head, strlen(head)) != CF_OK)
                return CF_ERR_NOMEM;
        for (size_t i = 0; i < b->len; i++) {
                unsigned char ch = b->data[i];
                char esc[8];
                if (ch >= 0x20 && ch != 0x7F) {
                        if (cf_buf_append_byte(out, ch) != CF_OK)
                                return CF_ERR_NOMEM;
                        continue;
                }
                if (ch == '\n')
                        cf_strlcpy(esc, "\\n", sizeof(esc));
                else if (ch == '\t')
                        cf_strlcpy(esc, "\\t", sizeof(esc));
                else
                        snprintf(esc, sizeof(esc), "\\x%02x", ch);
                if (cf_buf_append(out, esc, strlen(esc)) != CF_OK)
                        return CF_ERR_NOMEM;
        }
        return CF_OK;
}

/* Formats, redacts and writes one line (under lock). */
static void emit(cf_log_level_t level, const char *component, const char *msg,
                 size_t len, bool cut) {
        FILE *fp = out_now ? out_now : stderr;
        cf_buf_t red, line;
        char ts[96];
        bool json = format_now == CF_LOG_FORMAT_JSON ||
                    (format_now == CF_LOG_FORMAT_AUTO && !isatty(fileno(fp)));
        cf_err_t err;

        cf_buf_init(&red, SIZE_MAX / 2);
        cf_buf_init(&line, SIZE_MAX / 2);
        err = redact(msg, len, cut, &red);
        if (!err && (cut || red.len > CF_LOG_MSG_MAX)) {
                if (red.len > CF_LOG_MSG_MAX - strlen(CUT_MARK))
                        red.len = CF_LOG_MSG_MAX - strlen(CUT_MARK);
                err = cf_buf_append(&red, CUT_MARK, strlen(CUT_MARK));
        }
        if (!err)
                utf8_fix(&red);
        timestamp(ts, sizeof(ts));
        if (!err)
                err = json ? json_line(ts, level, component, &red, &line)
                           : text_line(ts, level, component, &red, &line);
        if (!err)
                err = cf_buf_append_byte(&line, '\n');
        if (err) /* never the unredacted text */
                fprintf(fp, "%s %s %s: (message lost: out of memory)\n", ts,
                        level_names[level], component);
        else
                fwrite(line.data, 1, line.len, fp);
        fflush(fp);
        cf_buf_clear(&red);
        cf_buf_clear(&line);
}

void cf_vlog(cf_log_level_t level, const char *component, const char *fmt,
             va_list ap) {
        char stack[STACK_MSG];
        char *heap = NULL;
        const char *msg = stack;
        size_t len;
        bool cut = false;
        va_list ap2;
        int n;

        if (level < CF_LOG_ERROR || level > CF_LOG_DEBUG)
                level = CF_LOG_ERROR;
        if (!cf_log_enabled(level))
                return;
        if (!component || !*component)
                component = "cspflow";
        va_copy(ap2, ap);
        n = vsnprintf(stack, sizeof(stack), fmt, ap);
        if (n < 0) {
                msg = "(unprintable message)";
                len = strlen(msg);
        } else if ((size_t)n < sizeof(stack)) {
                len = (size_t)n;
        } else {
                size_t want = (size_t)n < FORMAT_MAX ? (size_t)n : FORMAT_MAX;
                len = sizeof(stack) - 1;
                cut = true;
                if ((heap = malloc(want + 1))) {
                        vsnprintf(heap, want + 1, fmt, ap2);
                        msg = heap;
                        len = want;
                        cut = (size_t)n > want;
                }
        }
        va_end(ap2);
        pthread_mutex_lock(&lock);
        emit(level, component, msg, len, cut);
        pthread_mutex_unlock(&lock);
        free(heap);
}

void cf_log(cf_log_level_t level, const char *component, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        cf_vlog(level, component, fmt, ap);
        va_end(ap);
}
