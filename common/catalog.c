#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "strutil.h"

typedef struct entry_s {
        char *offer_id;
        char *equivalent; /* NULL: none */
        bool discontinued;
} entry_t;

struct cf_catalog_s {
        entry_t *v; /* sorted by offer_id */
        size_t n, cap;
};

cf_catalog_t *cf_catalog_new(void) {
        return calloc(1, sizeof(cf_catalog_t));
}

void cf_catalog_destroy(cf_catalog_t *cat) {
        if (!cat)
                return;
        for (size_t i = 0; i < cat->n; i++) {
                free(cat->v[i].offer_id);
                free(cat->v[i].equivalent);
        }
        free(cat->v);
        free(cat);
}

/* Index of the first entry >= offer_id. */
static size_t lower_bound(const cf_catalog_t *cat, const char *offer_id) {
        size_t lo = 0, hi = cat->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(cat->v[mid].offer_id, offer_id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

bool cf_catalog_put(cf_catalog_t *cat, const char *offer_id, bool discontinued,
                    const char *equivalent) {
        size_t i = lower_bound(cat, offer_id);
        char *eq = NULL;
        if (equivalent && *equivalent && !(eq = cf_strdup(equivalent)))
                return false;
        if (i < cat->n && strcmp(cat->v[i].offer_id, offer_id) == 0) {
                free(cat->v[i].equivalent);
                cat->v[i].equivalent = eq;
                cat->v[i].discontinued = discontinued;
                return true;
        }
        if (cat->n >= CF_CATALOG_MAX)
                goto fail;
        if (cat->n == cat->cap) {
                size_t cap = cat->cap ? cat->cap * 2 : 16;
                entry_t *v = realloc(cat->v, cap * sizeof(*v));
                if (!v)
                        goto fail;
                cat->v = v;
                cat->cap = cap;
        }
        {
                char *id = cf_strdup(offer_id);
                if (!id)
                        goto fail;
                memmove(&cat->v[i + 1], &cat->v[i],
                        (cat->n - i) * sizeof(*cat->v));
                cat->v[i].offer_id = id;
                cat->v[i].equivalent = eq;
                cat->v[i].discontinued = discontinued;
                cat->n++;
        }
        return true;
fail:
        free(eq);
        return false;
}

bool cf_catalog_discontinued(const cf_catalog_t *cat, const char *offer_id,
                             const char **equivalent) {
        size_t i;
        if (!cat)
                return false;
        i = lower_bound(cat, offer_id);
        if (i >= cat->n || strcmp(cat->v[i].offer_id, offer_id) != 0 ||
            !cat->v[i].discontinued)
                return false;
        if (equivalent)
                *equivalent = cat->v[i].equivalent;
        return true;
}

size_t cf_catalog_size(const cf_catalog_t *cat) {
        return cat ? cat->n : 0;
}
