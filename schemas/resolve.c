/* cspflow: the resolver (resolve.h): writers by fingerprint, their plans,
 * the directory of extra writer schemas, the upcast hooks. */
#include "resolve.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "avro_int.h"
#include "canonical.h"
#include "common/strutil.h"
#include "resolve_int.h"

typedef struct writer_s {
        uint64_t fp;
        char name[512]; /* the record's full name */
        avro_schema_t schema;
        avro_value_t value;
        bool has_value;
        cf_avro_node_t bounds;
        cf_event_type_t type; /* the reader's; NONE: why */
        char *why;
        bool same; /* the reader's own schema */
        bool planned;
        cf_rplan_t plan;
        bool pinned; /* from the directory: never evicted */
        UT_hash_handle hh;
} writer_t;

struct cf_resolver_s {
        cf_avro_t *av;
        cf_rjson_t rj[CF_EV__COUNT]; /* the readers' .avsc as JSON */
        writer_t *writers;
        size_t n_evictable;
        avro_reader_t reader;
        cf_event_t tmp; /* the resolved event before its upcast */
};

struct cf_writer_info_s {
        const writer_t *w;
        avro_value_t *v;
};

static const char empty_src[1];

cf_err_t cf_resolver_new(cf_avro_t *av, cf_resolver_t **out, char *errstr,
                         size_t errstr_size) {
        cf_resolver_t *res = calloc(1, sizeof(*res));
        cf_err_t err;

        *out = NULL;
        if (!res || !(res->reader = avro_reader_memory(empty_src, 0))) {
                free(res);
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        res->av = av;
        cf_event_init(&res->tmp);
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++) {
                size_t len = 0;
                const char *text = cf_avro_schema_text(av, t, &len);
                char why[256];
                if ((err = cf_rjson_load(&res->rj[t], text, len, why,
                                         sizeof(why))) != CF_OK) {
                        cf_errstr_set(errstr, errstr_size,
                                      "schemas/avro/%s.avsc: %s",
                                      cf_event_type_name(t), why);
                        cf_resolver_destroy(res);
                        return err;
                }
        }
        *out = res;
        return CF_OK;
}

static void writer_free(writer_t *w) {
        cf_rplan_free(&w->plan);
        if (w->has_value)
                avro_value_decref(&w->value);
        if (w->schema)
                avro_schema_decref(w->schema);
        cf_avro_node_free(&w->bounds);
        free(w->why);
        free(w);
}

void cf_resolver_destroy(cf_resolver_t *res) {
        writer_t *w, *tmp;

        if (!res)
                return;
        HASH_ITER(hh, res->writers, w, tmp) {
                HASH_DEL(res->writers, w);
                writer_free(w);
        }
        for (int t = 0; t < CF_EV__COUNT; t++)
                cf_rjson_free(&res->rj[t]);
        if (res->reader)
                avro_reader_free(res->reader);
        cf_event_clear(&res->tmp);
        free(res);
}

bool cf_resolver_knows(const cf_resolver_t *res, uint64_t fingerprint) {
        writer_t *w;
        HASH_FIND(hh, res->writers, &fingerprint, sizeof(fingerprint), w);
        return w != NULL;
}

/* ---- adding a writer ---- */

/* The event type reading a record of full name `name`: the type whose
 * record has that name, else one whose record lists it among its
 * aliases. */
static cf_event_type_t reader_for(const cf_resolver_t *res, const char *name) {
        char full[256];

        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++) {
                snprintf(full, sizeof(full), CF_SCHEMA_NAMESPACE ".%s",
                         cf_event_desc(t)->schema_name);
                if (strcmp(full, name) == 0)
                        return t;
        }
        for (int t = CF_EV_NONE + 1; t < CF_EV__COUNT; t++) {
                json_t *aliases = json_object_get(res->rj[t].doc, "aliases");
                json_t *a;
                size_t i;
                json_array_foreach(aliases, i, a) {
                        const char *s = json_string_value(a);
                        if (!s)
                                continue;
                        if (!strchr(s, '.'))
                                snprintf(full, sizeof(full),
                                         CF_SCHEMA_NAMESPACE ".%s", s);
                        else
                                snprintf(full, sizeof(full), "%s", s);
                        if (strcmp(full, name) == 0)
                                return t;
                }
        }
        return CF_EV_NONE;
}

static cf_reject_t refuse(char *detail, size_t detail_size, const char *what,
                          const char *why) {
        cf_errstr_set(detail, detail_size, "writer schema: %s%s%s", what,
                      why ? ": " : "", why ? why : "");
        return CF_REJ_INCOMPATIBLE_SCHEMA;
}

/* Parses text into w; CF_REJ_NONE or why in detail. */
static cf_reject_t writer_load(cf_resolver_t *res, writer_t *w,
                               const char *text, size_t len, char *detail,
                               size_t detail_size) {
        avro_value_iface_t *iface;
        const char *ns;
        char why[256];
        int rc;

        if (avro_schema_from_json_length(text, len, &w->schema) != 0) {
                w->schema = NULL;
                return refuse(detail, detail_size, "avro-c", avro_strerror());
        }
        if (avro_typeof(w->schema) != AVRO_RECORD)
                return refuse(detail, detail_size, "not a record", NULL);
        if (cf_avro_node_build_writer(w->schema, &w->bounds, why,
                                      sizeof(why)) != CF_OK)
                return refuse(detail, detail_size, "unsupported", why);
        if (!(iface = avro_generic_class_from_schema(w->schema)))
                return refuse(detail, detail_size, "avro-c", avro_strerror());
        rc = avro_generic_value_new(iface, &w->value);
        avro_value_iface_decref(iface);
        if (rc != 0)
                return refuse(detail, detail_size, "avro-c", avro_strerror());
        w->has_value = true;
        ns = avro_schema_namespace(w->schema);
        snprintf(w->name, sizeof(w->name), "%s%s%s", ns && *ns ? ns : "",
                 ns && *ns ? "." : "", avro_schema_name(w->schema));
        w->type = reader_for(res, w->name);
        if (w->type == CF_EV_NONE) {
                char msg[700];
                snprintf(msg, sizeof(msg),
                         "record %s is none of cspflow's event types (nor "
                         "an alias of one)",
                         w->name);
                if (!(w->why = cf_strdup(msg)))
                        return CF_REJ_OVER_LIMIT;
        } else {
                w->same = w->fp == cf_avro_fingerprint(res->av, w->type);
        }
        return CF_REJ_NONE;
}

/* Makes room for one more evictable writer: drops the oldest. */
static void evict(cf_resolver_t *res) {
        writer_t *w = res->writers;
        if (res->n_evictable < CF_RESOLVE_WRITERS_MAX)
                return;
        while (w && w->pinned) /* insertion order: the oldest first */
                w = w->hh.next;
        if (w) {
                HASH_DEL(res->writers, w);
                writer_free(w);
                res->n_evictable--;
        }
}

static cf_reject_t add(cf_resolver_t *res, const char *text, size_t len,
                       bool pinned, uint64_t *fingerprint, char *detail,
                       size_t detail_size) {
        char why[256];
        uint64_t fp = 0;
        writer_t *w;
        cf_reject_t r;

        if (len > CF_RECORD_MAX)
                return refuse(detail, detail_size, "over the record cap", NULL);
        if (cf_canonical_fingerprint(text, len, &fp, why, sizeof(why)) != CF_OK)
                return refuse(detail, detail_size, "canonical form", why);
        *fingerprint = fp;
        HASH_FIND(hh, res->writers, &fp, sizeof(fp), w);
        if (w) {
                if (pinned && !w->pinned) {
                        w->pinned = true;
                        res->n_evictable--;
                }
                return CF_REJ_NONE;
        }
        if (!(w = calloc(1, sizeof(*w)))) {
                cf_errstr_set(detail, detail_size, "out of memory");
                return CF_REJ_OVER_LIMIT;
        }
        w->fp = fp;
        w->pinned = pinned;
        if ((r = writer_load(res, w, text, len, detail, detail_size)) !=
            CF_REJ_NONE) {
                writer_free(w);
                return r;
        }
        if (!pinned) {
                evict(res);
                res->n_evictable++;
        }
        HASH_ADD(hh, res->writers, fp, sizeof(w->fp), w);
        return CF_REJ_NONE;
}

cf_reject_t cf_resolver_add(cf_resolver_t *res, const char *text, size_t len,
                            uint64_t *fingerprint, char *detail,
                            size_t detail_size) {
        return add(res, text, len, false, fingerprint, detail, detail_size);
}

static cf_err_t load_file(cf_resolver_t *res, const char *path, char *errstr,
                          size_t errstr_size) {
        FILE *fp = fopen(path, "rb");
        char *text = NULL, detail[512];
        size_t len;
        uint64_t f = 0;
        writer_t *w;
        cf_err_t err = CF_OK;

        if (!fp) {
                cf_errstr_set(errstr, errstr_size, "%s: %s", path,
                              strerror(errno));
                return CF_ERR_USAGE;
        }
        if (!(text = malloc(CF_RECORD_MAX + 1))) {
                fclose(fp);
                cf_errstr_set(errstr, errstr_size, "out of memory");
                return CF_ERR_NOMEM;
        }
        len = fread(text, 1, CF_RECORD_MAX + 1, fp);
        if (ferror(fp) || len > CF_RECORD_MAX) {
                cf_errstr_set(errstr, errstr_size, "%s: %s", path,
                              ferror(fp) ? "read error" : "too large");
                err = CF_ERR_USAGE;
        } else if (add(res, text, len, true, &f, detail, sizeof(detail)) !=
                   CF_REJ_NONE) {
                cf_errstr_set(errstr, errstr_size, "%s: %s", path, detail);
                err = CF_ERR_USAGE;
        } else {
                HASH_FIND(hh, res->writers, &f, sizeof(f), w);
                if (w && w->why) {
                        cf_errstr_set(errstr, errstr_size, "%s: %s", path,
                                      w->why);
                        err = CF_ERR_USAGE;
                }
        }
        free(text);
        fclose(fp);
        return err;
}

cf_err_t cf_resolver_load_dir(cf_resolver_t *res, const char *dir, char *errstr,
                              size_t errstr_size) {
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[4096];
        size_t files = 0;
        cf_err_t err = CF_OK;

        if (!d) {
                cf_errstr_set(errstr, errstr_size, "schemas.writers.dir %s: %s",
                              dir, strerror(errno));
                return CF_ERR_IO;
        }
        while (err == CF_OK && (e = readdir(d))) {
                size_t n = strlen(e->d_name);
                if (n < 6 || strcmp(e->d_name + n - 5, ".avsc") != 0)
                        continue;
                if (++files > CF_RESOLVE_DIR_FILES_MAX) {
                        cf_errstr_set(errstr, errstr_size,
                                      "schemas.writers.dir %s: more than %d "
                                      ".avsc files",
                                      dir, CF_RESOLVE_DIR_FILES_MAX);
                        err = CF_ERR_USAGE;
                        break;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                err = load_file(res, path, errstr, errstr_size);
        }
        closedir(d);
        return err;
}

/* ---- decoding ---- */

/* The plan of w, built the first time. */
static cf_reject_t plan(cf_resolver_t *res, writer_t *w, char *detail,
                        size_t detail_size) {
        const cf_upcast_t *up = cf_upcast_for(w->type);
        char why[256];
        cf_err_t err;

        if (w->planned)
                return CF_REJ_NONE;
        err = cf_rplan_build(w->schema, res->av->ev[w->type].schema,
                             &res->rj[w->type], res->rj[w->type].doc,
                             up ? up->fills : NULL, &w->plan, why, sizeof(why));
        if (err != CF_OK) {
                cf_errstr_set(detail, detail_size, "resolution plan: %s", why);
                return err == CF_ERR_NOMEM ? CF_REJ_OVER_LIMIT
                                           : CF_REJ_INCOMPATIBLE_SCHEMA;
        }
        w->planned = true;
        return CF_REJ_NONE;
}

cf_reject_t cf_resolver_decode(cf_resolver_t *res, uint64_t fingerprint,
                               const void *body, size_t len, cf_event_t *ev,
                               char *detail, size_t detail_size) {
        const cf_upcast_t *up;
        cf_writer_info_t info;
        avro_value_t *rv;
        writer_t *w;
        cf_reject_t r;

        cf_event_reset(ev);
        HASH_FIND(hh, res->writers, &fingerprint, sizeof(fingerprint), w);
        if (!w) {
                cf_errstr_set(detail, detail_size,
                              "no writer schema with fingerprint %016llx",
                              (unsigned long long)fingerprint);
                return CF_REJ_UNKNOWN_SCHEMA;
        }
        if (w->type == CF_EV_NONE) {
                cf_errstr_set(detail, detail_size, "%s", w->why);
                return CF_REJ_INCOMPATIBLE_SCHEMA;
        }
        if (w->same)
                return cf_avro_decode_event_body(res->av, w->type, body, len,
                                                 ev, detail, detail_size);
        if (len > CF_RECORD_MAX) {
                cf_errstr_set(detail, detail_size,
                              "body of %zu bytes is over the %d-byte limit",
                              len, CF_RECORD_MAX);
                return CF_REJ_OVER_LIMIT;
        }
        if ((r = cf_avro_bounds_check(&w->bounds, body, len, detail,
                                      detail_size)) != CF_REJ_NONE ||
            (r = plan(res, w, detail, detail_size)) != CF_REJ_NONE)
                return r;
        avro_reader_memory_set_source(
            res->reader, body ? (const char *)body : empty_src, (int64_t)len);
        avro_value_reset(&w->value);
        if (avro_value_read(res->reader, &w->value) != 0) {
                cf_errstr_set(detail, detail_size, "avro-c read: %s",
                              avro_strerror());
                return CF_REJ_MALFORMED;
        }
        rv = &res->av->ev[w->type].value;
        avro_value_reset(rv);
        if ((r = cf_rplan_apply(&w->plan, &w->value, rv, detail,
                                detail_size)) != CF_REJ_NONE)
                return r;
        up = cf_upcast_for(w->type);
        if (!up)
                return cf_avro_event_from_value(res->av, w->type, ev, detail,
                                                detail_size);
        cf_event_reset(&res->tmp);
        if ((r = cf_avro_event_from_value(res->av, w->type, &res->tmp, detail,
                                          detail_size)) != CF_REJ_NONE) {
                cf_strlcpy(ev->event_id, res->tmp.event_id,
                           sizeof(ev->event_id));
                return r;
        }
        if (!cf_event_copy(ev, &res->tmp)) {
                cf_errstr_set(detail, detail_size, "out of memory");
                return CF_REJ_OVER_LIMIT;
        }
        info.w = w;
        info.v = &w->value;
        return up->fn(&res->tmp, &info, ev, detail, detail_size);
}

/* ---- what hooks see of the writer ---- */

const char *cf_writer_name(const cf_writer_info_t *w) {
        return w->w->name;
}

uint64_t cf_writer_fingerprint(const cf_writer_info_t *w) {
        return w->w->fp;
}

bool cf_writer_has_field(const cf_writer_info_t *w, const char *name) {
        return avro_schema_record_field_get_index(w->w->schema, name) >= 0;
}

bool cf_writer_string(const cf_writer_info_t *w, const char *path, char *buf,
                      size_t size) {
        avro_value_t v = *w->v, child;
        char part[256];
        const char *p = path, *s = NULL;
        const void *b = NULL;
        size_t n = 0;

        if (size == 0)
                return false;
        while (*p) {
                size_t k = strcspn(p, ".");
                if (k >= sizeof(part))
                        return false;
                memcpy(part, p, k);
                part[k] = '\0';
                p += k + (p[k] == '.');
                while (avro_value_get_type(&v) == AVRO_UNION) {
                        if (avro_value_get_current_branch(&v, &child) != 0)
                                return false;
                        v = child;
                }
                if (avro_value_get_type(&v) != AVRO_RECORD ||
                    avro_value_get_by_name(&v, part, &child, NULL) != 0)
                        return false;
                v = child;
        }
        while (avro_value_get_type(&v) == AVRO_UNION) {
                if (avro_value_get_current_branch(&v, &child) != 0)
                        return false;
                v = child;
        }
        if (avro_value_get_type(&v) == AVRO_STRING) {
                if (avro_value_get_string(&v, &s, &n) != 0 || n == 0)
                        return false;
                n--; /* avro-c counts the NUL */
                b = s;
        } else if (avro_value_get_type(&v) != AVRO_BYTES ||
                   avro_value_get_bytes(&v, &b, &n) != 0) {
                return false;
        }
        if (n >= size) {
                memcpy(buf, b, size - 1);
                buf[size - 1] = '\0';
                return false;
        }
        memcpy(buf, b, n);
        buf[n] = '\0';
        return true;
}
