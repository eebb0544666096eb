/* cspflow: replay (replay.h): the events topic through the rules in
 * memory, then the actions topic against what they emitted. */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "common/progress.h"
#include "common/strutil.h"
#include "consumer/tail.h"
#include "handlers/store.h"
#include "registry/serde.h"
#include "schemas/avro_codec.h"
#include "schemas/event_diff.h"
#include "schemas/input.h"
#include "schemas/json_codec.h"

/* One expected output, by event_id. */
typedef struct out_s {
        UT_hash_handle hh;
        cf_id_t event_id;
        char key[CF_KEY_SIZE];
        cf_id_t type;
        cf_id_t causation_id;
        int32_t partition;
        char *json;
        bool seen;
} out_t;

/* An input event id of the compared range. */
typedef struct seen_id_s {
        UT_hash_handle hh;
        cf_id_t id;
} seen_id_t;

typedef struct rctx_s {
        const cf_replay_opts_t *o;
        cf_replay_result_t *res;
        cf_tail_opts_t *tail; /* the read in progress */
        cf_avro_t *av;
        cf_serde_t *serde; /* both framings, the registry when configured */
        cf_event_t ev;
        cf_outbox_t out;
        int n_parts;
        cf_store_t **stores; /* per partition, as the worker keeps them */
        int64_t *last;       /* per partition: last offset handled */
        int64_t *start;      /* per partition: first offset compared */
        out_t *outs;
        size_t n_outs;
        seen_id_t *inputs; /* range only: the inputs compared */
        size_t diffs_cap;
        cf_err_t err;
        char why[512];
} rctx_t;

const char *cf_diff_kind_name(cf_diff_kind_t k) {
        static const char *const names[] = {"missing", "extra", "changed"};
        return (unsigned)k < 3 ? names[k] : "unknown";
}

static int fail(rctx_t *c, cf_err_t err, const char *why) {
        c->err = err;
        cf_strlcpy(c->why, why, sizeof(c->why));
        return -1;
}

/* The per-partition arrays, once the topic's partition count is known,
 * and the first offset compared of each partition. */
static int setup_partitions(rctx_t *c) {
        const cf_replay_opts_t *o = c->o;
        char why[512];
        int n = c->tail->partitions;

        c->n_parts = n;
        c->res->partitions = n;
        if (!(c->stores = calloc((size_t)n, sizeof(*c->stores))) ||
            !(c->last = malloc((size_t)n * sizeof(*c->last))) ||
            !(c->start = calloc((size_t)n, sizeof(*c->start))))
                return fail(c, CF_ERR_NOMEM, "out of memory");
        for (int p = 0; p < n; p++) {
                c->last[p] = -1;
                if (!(c->stores[p] = cf_store_new()))
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                cf_store_set_max(c->stores[p],
                                 (size_t)o->cfg->limits.keys_per_partition);
        }
        if (o->from == CF_REPLAY_FROM_OFFSETS) {
                if (o->n_from_offsets > n) {
                        snprintf(why, sizeof(why),
                                 "--from-offset names partition %d; %s has %d",
                                 o->n_from_offsets - 1, o->cfg->topic_events,
                                 n);
                        return fail(c, CF_ERR_USAGE, why);
                }
                for (int p = 0; p < o->n_from_offsets; p++)
                        c->start[p] =
                            o->from_offsets[p] < 0 ? 0 : o->from_offsets[p];
        } else if (o->from == CF_REPLAY_FROM_TIME) {
                cf_err_t err = cf_tail_offsets_for_time(
                    o->cfg, o->cfg->topic_events, o->from_time_ms, c->start, n,
                    why, sizeof(why));
                if (err != CF_OK)
                        return fail(c, err, why);
        }
        return 0;
}

static cf_diff_t *new_diff(rctx_t *c, cf_diff_kind_t kind) {
        cf_replay_result_t *r = c->res;
        cf_diff_t *d;
        if (r->n_diffs == c->diffs_cap) {
                size_t cap = c->diffs_cap ? 2 * c->diffs_cap : 16;
                cf_diff_t *v;
                if (cap > CF_REPLAY_OUTPUTS_MAX * 2 ||
                    !(v = realloc(r->diffs, cap * sizeof(*v))))
                        return NULL;
                r->diffs = v;
                c->diffs_cap = cap;
        }
        d = &r->diffs[r->n_diffs++];
        memset(d, 0, sizeof(*d));
        d->kind = kind;
        d->partition = -1;
        d->offset = -1;
        *(kind == CF_DIFF_MISSING ? &r->missing
          : kind == CF_DIFF_EXTRA ? &r->extra
                                  : &r->changed) += 1;
        return d;
}

static bool remember_input(rctx_t *c, const char *id) {
        seen_id_t *s;
        HASH_FIND_STR(c->inputs, id, s);
        if (s)
                return true;
        if (!(s = calloc(1, sizeof(*s))))
                return false;
        cf_strlcpy(s->id, id, sizeof(s->id));
        HASH_ADD_STR(c->inputs, id, s);
        return true;
}

/* The outputs of one input of the range, as expected records. */
static int expect_outputs(rctx_t *c, int32_t p) {
        for (size_t i = 0; i < c->out.n; i++) {
                const cf_event_t *ev = &c->out.v[i];
                out_t *e;
                HASH_FIND_STR(c->outs, ev->event_id, e);
                if (e)
                        continue; /* ids are deterministic: the same one */
                if (c->n_outs >= CF_REPLAY_OUTPUTS_MAX) {
                        char why[160];
                        snprintf(why, sizeof(why),
                                 "over %d outputs to compare: replay a "
                                 "shorter range (--from-offset, --from-time)",
                                 CF_REPLAY_OUTPUTS_MAX);
                        return fail(c, CF_ERR_LIMIT, why);
                }
                if (!(e = calloc(1, sizeof(*e))) ||
                    !(e->json = cf_json_encode_event(ev))) {
                        free(e);
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                }
                cf_strlcpy(e->event_id, ev->event_id, sizeof(e->event_id));
                cf_event_key(ev, e->key, sizeof(e->key));
                cf_strlcpy(e->type, cf_event_type_name(ev->type),
                           sizeof(e->type));
                cf_strlcpy(e->causation_id, ev->causation_id,
                           sizeof(e->causation_id));
                e->partition = p;
                HASH_ADD_STR(c->outs, event_id, e);
                c->n_outs++;
                c->res->expected++;
        }
        return 0;
}

/* Decodes an event of either framing (registry/serde.h) into c->ev: 0 with
 * *rj the verdict, or -1 when the registry could not be asked. */
static int decode(rctx_t *c, const void *data, size_t len, cf_reject_t *rj,
                  char *detail, size_t size) {
        cf_err_t err = cf_serde_decode_event(c->serde, data, len, &c->ev, rj,
                                             detail, size);
        return err == CF_OK ? 0 : fail(c, err, detail);
}

/* One record of the events topic, handled as the worker handles it. */
static int on_event(void *opaque, const cf_tail_record_t *r) {
        rctx_t *c = opaque;
        cf_replay_result_t *res = c->res;
        cf_reject_t rj = CF_REJ_NONE;
        char detail[512];
        bool decoded = false, in_range;
        cf_verdict_t v;
        int32_t p = r->partition;

        if (!c->stores && setup_partitions(c) != 0)
                return -1;
        if (p < 0 || p >= c->n_parts)
                return 0; /* a partition added since the start */
        res->inputs++;
        if (r->offset <= c->last[p]) {
                res->skipped_offsets++;
                return 0;
        }
        c->last[p] = r->offset;
        in_range = r->offset >= c->start[p];
        res->inputs_in_range += in_range;
        /* the worker's caps too (limits.*): the same inputs are refused */
        rj = cf_limits_check_record(&c->o->cfg->limits, r->len, detail,
                                    sizeof(detail));
        if (rj == CF_REJ_NONE &&
            decode(c, r->value, r->len, &rj, detail, sizeof(detail)) != 0)
                return -1;
        decoded = rj == CF_REJ_NONE;
        if (decoded)
                rj = cf_input_check(&c->ev, r->key, r->key_len, detail,
                                    sizeof(detail));
        if (rj == CF_REJ_NONE)
                rj = cf_limits_check_event(&c->o->cfg->limits, &c->ev, detail,
                                           sizeof(detail));
        if (rj != CF_REJ_NONE) {
                res->rejected++;
                if (in_range && decoded &&
                    c->o->from != CF_REPLAY_FROM_BEGINNING &&
                    !remember_input(c, c->ev.event_id))
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                return 0;
        }
        if (in_range && c->o->from != CF_REPLAY_FROM_BEGINNING &&
            !remember_input(c, c->ev.event_id))
                return fail(c, CF_ERR_NOMEM, "out of memory");
        cf_outbox_reset(&c->out);
        if (cf_store_apply(c->stores[p], c->o->catalog, &c->ev, &c->out, &v) !=
            CF_OK)
                return fail(c, CF_ERR_NOMEM, "handlers: out of memory");
        if (v.kind == CF_VERDICT_DUPLICATE) {
                res->duplicates++;
        } else if (v.kind == CF_VERDICT_REJECTED) {
                res->rejected++;
        } else {
                res->applied++;
                if (in_range && expect_outputs(c, p) != 0)
                        return -1;
        }
        return 0;
}

/* The key of a record that did not decode, as printable text. */
static void record_key(const cf_tail_record_t *r, char *buf, size_t size) {
        const unsigned char *k = r->key;
        size_t n = r->key ? r->key_len : 0;
        if (n >= size)
                n = size - 1;
        for (size_t i = 0; i < n; i++)
                buf[i] = k[i] >= 0x20 && k[i] < 0x7f ? (char)k[i] : '?';
        buf[n] = '\0';
}

typedef struct fields_s {
        cf_diff_t *d;
        bool nomem;
} fields_t;

static int add_field(void *opaque, const char *field, const char *a,
                     const char *b) {
        fields_t *f = opaque;
        cf_diff_t *d = f->d;
        cf_diff_field_t *v = realloc(d->fields, (d->n_fields + 1) * sizeof(*v));
        if (!v) {
                f->nomem = true;
                return -1;
        }
        d->fields = v;
        v = &v[d->n_fields];
        v->field = cf_strdup(field);
        v->expected = cf_strdup(a);
        v->actual = cf_strdup(b);
        d->n_fields++;
        if (!v->field || !v->expected || !v->actual) {
                f->nomem = true;
                return -1;
        }
        return 0;
}

/* A record of the actions topic that differs from its expected one. */
static int changed(rctx_t *c, const out_t *e, const char *json,
                   const cf_tail_record_t *r) {
        cf_diff_t *d = new_diff(c, CF_DIFF_CHANGED);
        fields_t f = {d, false};
        char pe[24], pa[24];
        size_t n = 0;

        if (!d)
                return fail(c, CF_ERR_NOMEM, "out of memory");
        cf_strlcpy(d->key, e->key, sizeof(d->key));
        cf_strlcpy(d->event_id, e->event_id, sizeof(d->event_id));
        cf_strlcpy(d->type, e->type, sizeof(d->type));
        cf_strlcpy(d->causation_id, e->causation_id, sizeof(d->causation_id));
        d->partition = r->partition;
        d->offset = r->offset;
        if (cf_event_diff_json(e->json, json, add_field, &f, &n) ==
                CF_ERR_NOMEM ||
            f.nomem)
                return fail(c, CF_ERR_NOMEM, "out of memory");
        if (e->partition != r->partition) {
                snprintf(pe, sizeof(pe), "%d", (int)e->partition);
                snprintf(pa, sizeof(pa), "%d", (int)r->partition);
                if (add_field(&f, "(partition)", pe, pa) != 0)
                        return fail(c, CF_ERR_NOMEM, "out of memory");
        }
        return 0;
}

/* One record of the actions topic against the expected outputs. */
static int on_action(void *opaque, const cf_tail_record_t *r) {
        rctx_t *c = opaque;
        cf_replay_result_t *res = c->res;
        char detail[512], *json;
        seen_id_t *in = NULL;
        out_t *e;
        cf_diff_t *d;
        cf_reject_t rj;
        int rc = 0;

        res->actions++;
        if (decode(c, r->value, r->len, &rj, detail, sizeof(detail)) != 0)
                return -1;
        if (rj != CF_REJ_NONE) {
                char why[600];
                res->compared++;
                if (!(d = new_diff(c, CF_DIFF_EXTRA)))
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                record_key(r, d->key, sizeof(d->key));
                d->partition = r->partition;
                d->offset = r->offset;
                snprintf(why, sizeof(why), "undecodable: %s: %s",
                         cf_reject_name(rj), detail);
                if (!(d->detail = cf_strdup(why)))
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                return 0;
        }
        HASH_FIND_STR(c->outs, c->ev.event_id, e);
        if (!e && c->o->from != CF_REPLAY_FROM_BEGINNING) {
                HASH_FIND_STR(c->inputs, c->ev.causation_id, in);
                if (!in)
                        return 0; /* caused by an input before the range */
        }
        res->compared++;
        if (!(json = cf_json_encode_event(&c->ev)))
                return fail(c, CF_ERR_NOMEM, "out of memory");
        if (!e) {
                if (!(d = new_diff(c, CF_DIFF_EXTRA)) ||
                    !(d->detail = cf_strdup(json))) {
                        free(json);
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                }
                cf_event_key(&c->ev, d->key, sizeof(d->key));
                cf_strlcpy(d->event_id, c->ev.event_id, sizeof(d->event_id));
                cf_strlcpy(d->type, cf_event_type_name(c->ev.type),
                           sizeof(d->type));
                cf_strlcpy(d->causation_id, c->ev.causation_id,
                           sizeof(d->causation_id));
                d->partition = r->partition;
                d->offset = r->offset;
        } else if (strcmp(json, e->json) == 0 && r->partition == e->partition) {
                if (e->seen)
                        res->copies++;
                else
                        res->matched++;
                e->seen = true;
        } else {
                e->seen = true;
                rc = changed(c, e, json, r);
        }
        free(json);
        return rc;
}

/* Every expected output no record matched. */
static int missing(rctx_t *c) {
        for (out_t *e = c->outs; e; e = (out_t *)e->hh.next) {
                cf_diff_t *d;
                if (e->seen)
                        continue;
                if (!(d = new_diff(c, CF_DIFF_MISSING)))
                        return fail(c, CF_ERR_NOMEM, "out of memory");
                cf_strlcpy(d->key, e->key, sizeof(d->key));
                cf_strlcpy(d->event_id, e->event_id, sizeof(d->event_id));
                cf_strlcpy(d->type, e->type, sizeof(d->type));
                cf_strlcpy(d->causation_id, e->causation_id,
                           sizeof(d->causation_id));
                d->detail = e->json; /* the diff's now */
                e->json = NULL;
        }
        return 0;
}

static int diff_order(const void *a, const void *b) {
        const cf_diff_t *x = a, *y = b;
        int k = strcmp(x->key, y->key);
        if (k)
                return k;
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        if ((k = strcmp(x->event_id, y->event_id)))
                return k;
        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Reads topic to its end through fn. */
static cf_err_t read_topic(rctx_t *c, const char *topic, const char *what,
                           cf_tail_fn fn, char *errstr, size_t errstr_size) {
        cf_tail_opts_t to;
        cf_err_t err;

        memset(&to, 0, sizeof(to));
        to.cfg = c->o->cfg;
        to.topic = topic;
        to.from_beginning = true;
        to.stop_at_end = true;
        to.stop = c->o->stop;
        to.fn = fn;
        to.opaque = c;
        if (c->o->progress &&
            !(to.progress = cf_progress_new("replay", what, NULL)))
                return CF_ERR_NOMEM;
        c->tail = &to;
        err = cf_tail_run(&to, errstr, errstr_size);
        c->tail = NULL;
        cf_progress_destroy(to.progress);
        if (c->err != CF_OK) {
                cf_errstr_set(errstr, errstr_size, "%s", c->why);
                return c->err;
        }
        if (err == CF_OK && *c->o->stop) {
                cf_errstr_set(errstr, errstr_size, "stopped");
                return CF_ERR_IO;
        }
        return err;
}

cf_err_t cf_replay_run(const cf_replay_opts_t *o, cf_replay_result_t *res,
                       char *errstr, size_t errstr_size) {
        rctx_t c;
        cf_err_t err;

        memset(res, 0, sizeof(*res));
        memset(&c, 0, sizeof(c));
        c.o = o;
        c.res = res;
        cf_event_init(&c.ev);
        cf_outbox_init(&c.out);
        if ((err = cf_avro_new(&c.av, errstr, errstr_size)) != CF_OK ||
            (err = cf_serde_new(o->cfg, c.av, &c.serde, errstr, errstr_size)) !=
                CF_OK)
                goto out;
        err = read_topic(&c, o->cfg->topic_events, "events", on_event, errstr,
                         errstr_size);
        if (err == CF_OK)
                err = read_topic(&c, o->cfg->topic_actions, "actions",
                                 on_action, errstr, errstr_size);
        if (err == CF_OK && missing(&c) != 0) {
                cf_errstr_set(errstr, errstr_size, "%s", c.why);
                err = c.err;
        }
        if (res->n_diffs > 1)
                qsort(res->diffs, res->n_diffs, sizeof(*res->diffs),
                      diff_order);
        for (size_t i = 0; i < res->n_diffs; i++)
                if (i == 0 || strcmp(res->diffs[i].key, res->diffs[i - 1].key))
                        res->keys++;
out : {
        out_t *e, *tmp;
        seen_id_t *s, *stmp;
        HASH_ITER(hh, c.outs, e, tmp) {
                HASH_DEL(c.outs, e);
                free(e->json);
                free(e);
        }
        HASH_ITER(hh, c.inputs, s, stmp) {
                HASH_DEL(c.inputs, s);
                free(s);
        }
}
        for (int p = 0; c.stores && p < c.n_parts; p++)
                cf_store_destroy(c.stores[p]);
        free(c.stores);
        free(c.last);
        free(c.start);
        cf_serde_destroy(c.serde);
        cf_avro_destroy(c.av);
        cf_outbox_clear(&c.out);
        cf_event_clear(&c.ev);
        return err;
}

void cf_replay_result_clear(cf_replay_result_t *res) {
        for (size_t i = 0; i < res->n_diffs; i++) {
                cf_diff_t *d = &res->diffs[i];
                for (size_t j = 0; j < d->n_fields; j++) {
                        free(d->fields[j].field);
                        free(d->fields[j].expected);
                        free(d->fields[j].actual);
                }
                free(d->fields);
                free(d->detail);
        }
        free(res->diffs);
        memset(res, 0, sizeof(*res));
}
