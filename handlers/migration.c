#include "migration.h"

#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"

static const char *const mig_names[CF_MIG__COUNT] = {
    "none", "invited", "provisioning", "completed", "rejected", "blocked"};
static const char *const tgt_names[CF_TGT__COUNT] = {
    "pending", "requested", "provisioned", "no-equivalent", "failed"};
static const char *const src_names[CF_SRC__COUNT] = {"active", "near-expiry",
                                                     "cancelled", "expired"};

const char *cf_mig_status_name(cf_mig_status_t s) {
        return (unsigned)s < CF_MIG__COUNT ? mig_names[s] : "unknown";
}
const char *cf_target_status_name(cf_target_status_t s) {
        return (unsigned)s < CF_TGT__COUNT ? tgt_names[s] : "unknown";
}
const char *cf_source_status_name(cf_source_status_t s) {
        return (unsigned)s < CF_SRC__COUNT ? src_names[s] : "unknown";
}

static int lookup(const char *const *names, int n, const char *name) {
        for (int i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return i;
        return -1;
}
int cf_mig_status_from_name(const char *name) {
        return lookup(mig_names, CF_MIG__COUNT, name);
}
int cf_target_status_from_name(const char *name) {
        return lookup(tgt_names, CF_TGT__COUNT, name);
}
int cf_source_status_from_name(const char *name) {
        return lookup(src_names, CF_SRC__COUNT, name);
}

cf_migration_t *cf_migration_new(const char *partner_id,
                                 const char *customer_tenant_id) {
        cf_migration_t *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->last_input_offset = -1;
        if (!(m->partner_id = cf_strdup(partner_id)) ||
            !(m->customer_tenant_id = cf_strdup(customer_tenant_id)) ||
            !(m->opened_by = cf_strdup(""))) {
                cf_migration_destroy(m);
                return NULL;
        }
        return m;
}

void cf_migration_sub_clear(cf_sub_state_t *s) {
        free(s->source_subscription_id);
        free(s->offer_id);
        free(s->target_offer_id);
        free(s->request_id);
        free(s->subscription_id);
        free(s->provisioned_offer_id);
}

void cf_migration_subs_free(cf_sub_state_t *subs, size_t n) {
        for (size_t i = 0; i < n; i++)
                cf_migration_sub_clear(&subs[i]);
        free(subs);
}

void cf_migration_destroy(cf_migration_t *m) {
        if (!m)
                return;
        cf_migration_subs_free(m->subs, m->n_subs);
        for (size_t i = 0; i < m->n_discontinued; i++) {
                free(m->discontinued[i].offer_id);
                free(m->discontinued[i].successor_offer_id);
        }
        free(m->discontinued);
        free(m->handled);
        free(m->partner_id);
        free(m->customer_tenant_id);
        free(m->opened_by);
        free(m);
}

/* NULL-safe duplicate: NULL stays NULL; *ok cleared on failure. */
static char *dup_or(const char *s, bool *ok) {
        char *p;
        if (!s)
                return NULL;
        if (!(p = cf_strdup(s)))
                *ok = false;
        return p;
}

cf_migration_t *cf_migration_clone(const cf_migration_t *m) {
        cf_migration_t *c = calloc(1, sizeof(*c));
        bool ok = true;
        if (!c)
                return NULL;
        *c = *m;
        c->partner_id = dup_or(m->partner_id, &ok);
        c->customer_tenant_id = dup_or(m->customer_tenant_id, &ok);
        c->opened_by = dup_or(m->opened_by, &ok);
        c->subs = NULL;
        c->discontinued = NULL;
        c->handled = NULL;
        c->n_subs = c->n_discontinued = c->n_handled = c->handled_cap = 0;
        if (ok && m->n_subs) {
                if (!(c->subs = calloc(m->n_subs, sizeof(*c->subs))))
                        ok = false;
                for (size_t i = 0; ok && i < m->n_subs; i++) {
                        const cf_sub_state_t *s = &m->subs[i];
                        cf_sub_state_t *d = &c->subs[i];
                        *d = *s;
                        d->source_subscription_id =
                            dup_or(s->source_subscription_id, &ok);
                        d->offer_id = dup_or(s->offer_id, &ok);
                        d->target_offer_id = dup_or(s->target_offer_id, &ok);
                        d->request_id = dup_or(s->request_id, &ok);
                        d->subscription_id = dup_or(s->subscription_id, &ok);
                        d->provisioned_offer_id =
                            dup_or(s->provisioned_offer_id, &ok);
                        c->n_subs = i + 1;
                }
        }
        if (ok && m->n_discontinued) {
                if (!(c->discontinued =
                          calloc(m->n_discontinued, sizeof(*c->discontinued))))
                        ok = false;
                for (size_t i = 0; ok && i < m->n_discontinued; i++) {
                        c->discontinued[i].offer_id =
                            dup_or(m->discontinued[i].offer_id, &ok);
                        c->discontinued[i].successor_offer_id =
                            dup_or(m->discontinued[i].successor_offer_id, &ok);
                        c->n_discontinued = i + 1;
                }
        }
        if (ok && m->n_handled) {
                if (!(c->handled = malloc(m->n_handled * sizeof(*c->handled))))
                        ok = false;
                else {
                        memcpy(c->handled, m->handled,
                               m->n_handled * sizeof(*c->handled));
                        c->n_handled = c->handled_cap = m->n_handled;
                }
        }
        if (!ok) {
                cf_migration_destroy(c);
                return NULL;
        }
        return c;
}

static bool str_eq(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool sub_equal(const cf_sub_state_t *a, const cf_sub_state_t *b) {
        return str_eq(a->source_subscription_id, b->source_subscription_id) &&
               str_eq(a->offer_id, b->offer_id) && a->quantity == b->quantity &&
               a->channel == b->channel && a->expires_at == b->expires_at &&
               a->source == b->source && a->target == b->target &&
               str_eq(a->target_offer_id, b->target_offer_id) &&
               str_eq(a->request_id, b->request_id) &&
               a->requests == b->requests && a->failures == b->failures &&
               str_eq(a->subscription_id, b->subscription_id) &&
               str_eq(a->provisioned_offer_id, b->provisioned_offer_id) &&
               a->provisioned_quantity == b->provisioned_quantity &&
               a->licenses_reassigned == b->licenses_reassigned;
}

bool cf_migration_equal(const cf_migration_t *a, const cf_migration_t *b) {
        if (!str_eq(a->partner_id, b->partner_id) ||
            !str_eq(a->customer_tenant_id, b->customer_tenant_id) ||
            a->status != b->status || !str_eq(a->opened_by, b->opened_by) ||
            a->opened_at != b->opened_at || a->updated_at != b->updated_at ||
            a->multi_channel != b->multi_channel ||
            a->delegated_admin != b->delegated_admin ||
            a->n_subs != b->n_subs || a->n_discontinued != b->n_discontinued ||
            a->n_handled != b->n_handled || a->applied != b->applied ||
            a->last_input_offset != b->last_input_offset)
                return false;
        for (size_t i = 0; i < a->n_subs; i++)
                if (!sub_equal(&a->subs[i], &b->subs[i]))
                        return false;
        for (size_t i = 0; i < a->n_discontinued; i++)
                if (!str_eq(a->discontinued[i].offer_id,
                            b->discontinued[i].offer_id) ||
                    !str_eq(a->discontinued[i].successor_offer_id,
                            b->discontinued[i].successor_offer_id))
                        return false;
        for (size_t i = 0; i < a->n_handled; i++)
                if (a->handled[i].hi != b->handled[i].hi ||
                    a->handled[i].lo != b->handled[i].lo)
                        return false;
        return true;
}

cf_sub_state_t *cf_migration_find_sub(const cf_migration_t *m,
                                      const char *source_subscription_id) {
        for (size_t i = 0; i < m->n_subs; i++)
                if (strcmp(m->subs[i].source_subscription_id,
                           source_subscription_id) == 0)
                        return &m->subs[i];
        return NULL;
}
