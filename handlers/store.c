#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* XXH3 for the table (uthash's default, Jenkins, costs more on these keys);
 * iteration order is insertion order whatever the hash */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                   \
        ((hashv) = (unsigned)XXH3_64bits((keyptr), (keylen)))
#include <uthash.h>

typedef struct entry_s {
        char *key; /* "partner\0tenant", keylen bytes */
        size_t keylen;
        cf_migration_t *m;
        UT_hash_handle hh;
} entry_t;

struct cf_store_s {
        entry_t *head;
        size_t max; /* 0: no cap */
};

/* Builds the composite key into buf; returns its length, 0 if too long. */
static size_t make_key(char *buf, size_t size, const char *p, const char *t) {
        size_t lp = strlen(p), lt = strlen(t);
        if (lp + lt + 1 > size)
                return 0;
        memcpy(buf, p, lp);
        buf[lp] = '\0';
        memcpy(buf + lp + 1, t, lt);
        return lp + lt + 1;
}

#define KEYBUF (2 * CF_ID_MAX + 2)

cf_store_t *cf_store_new(void) {
        return calloc(1, sizeof(cf_store_t));
}

static void entry_free(entry_t *e) {
        cf_migration_destroy(e->m);
        free(e->key);
        free(e);
}

void cf_store_destroy(cf_store_t *st) {
        entry_t *e, *tmp;
        if (!st)
                return;
        HASH_ITER(hh, st->head, e, tmp) {
                HASH_DEL(st->head, e);
                entry_free(e);
        }
        free(st);
}

static entry_t *find(const cf_store_t *st, const char *p, const char *t) {
        char key[KEYBUF];
        size_t n = make_key(key, sizeof(key), p, t);
        entry_t *e = NULL;
        if (n)
                HASH_FIND(hh, st->head, key, n, e);
        return e;
}

cf_migration_t *cf_store_get(const cf_store_t *st, const char *partner_id,
                             const char *customer_tenant_id) {
        entry_t *e = find(st, partner_id, customer_tenant_id);
        return e ? e->m : NULL;
}

bool cf_store_put(cf_store_t *st, cf_migration_t *m) {
        char key[KEYBUF];
        size_t n =
            make_key(key, sizeof(key), m->partner_id, m->customer_tenant_id);
        entry_t *e;
        if (!n)
                return false;
        if ((e = find(st, m->partner_id, m->customer_tenant_id))) {
                cf_migration_destroy(e->m);
                e->m = m;
                return true;
        }
        if (!(e = calloc(1, sizeof(*e))) || !(e->key = malloc(n))) {
                free(e);
                return false;
        }
        memcpy(e->key, key, n);
        e->keylen = n;
        e->m = m;
        HASH_ADD_KEYPTR(hh, st->head, e->key, e->keylen, e);
        return true;
}

void cf_store_remove(cf_store_t *st, const char *partner_id,
                     const char *customer_tenant_id) {
        entry_t *e = find(st, partner_id, customer_tenant_id);
        if (e) {
                HASH_DEL(st->head, e);
                entry_free(e);
        }
}

size_t cf_store_count(const cf_store_t *st) {
        return HASH_COUNT(st->head);
}

void cf_store_set_max(cf_store_t *st, size_t max_keys) {
        st->max = max_keys;
}

cf_migration_t *cf_store_next(const cf_store_t *st,
                              const cf_migration_t *prev) {
        entry_t *e;
        if (!prev)
                return st->head ? st->head->m : NULL;
        e = find(st, prev->partner_id, prev->customer_tenant_id);
        e = e ? e->hh.next : NULL;
        return e ? e->m : NULL;
}

cf_err_t cf_store_apply(cf_store_t *st, const cf_catalog_t *catalog,
                        const cf_event_t *in, cf_outbox_t *out,
                        cf_verdict_t *v) {
        cf_migration_t *m =
            cf_store_get(st, in->partner_id, in->customer_tenant_id);
        bool created = false;
        cf_err_t err;
        if (!m && st->max && HASH_COUNT(st->head) >= st->max) {
                memset(v, 0, sizeof(*v));
                v->kind = CF_VERDICT_REJECTED;
                v->reason = CF_REJ_OVER_LIMIT;
                v->rule = 13;
                v->status_before = v->status_after = CF_MIG_NONE;
                cf_errstr_set(v->detail, sizeof(v->detail),
                              "limits.keys.per.partition: the partition "
                              "holds %zu migrations, its cap; no room for "
                              "%s/%s",
                              st->max, in->partner_id, in->customer_tenant_id);
                return CF_OK;
        }
        if (!m) {
                if (!(m = cf_migration_new(in->partner_id,
                                           in->customer_tenant_id)))
                        return CF_ERR_NOMEM;
                if (!cf_store_put(st, m)) {
                        cf_migration_destroy(m);
                        return CF_ERR_NOMEM;
                }
                created = true;
        }
        err = cf_handle(catalog, m, in, out, v);
        if (created && (err != CF_OK || v->kind != CF_VERDICT_APPLIED))
                cf_store_remove(st, in->partner_id, in->customer_tenant_id);
        return err;
}
