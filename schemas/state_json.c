#include "state_json.h"

#include <jansson.h>

#include "common/cf_time.h"
#include "common/event.h"

static int set(json_t *o, const char *k, json_t *v) {
        return v ? json_object_set_new(o, k, v) : -1;
}

static int set_opt(json_t *o, const char *k, const char *s) {
        return (s && *s) ? set(o, k, json_string(s)) : 0;
}

static int set_time(json_t *o, const char *k, int64_t ms) {
        char ts[CF_TIME_STR_SIZE];
        if (!cf_time_format(ms, ts, sizeof(ts)))
                return -1;
        return set(o, k, json_string(ts));
}

static json_t *sub_json(const cf_sub_state_t *s) {
        json_t *o = json_object();
        int rc = 0;
        if (!o)
                return NULL;
        rc |= set(o, "source_subscription_id",
                  json_string(s->source_subscription_id));
        rc |= set(o, "offer_id", json_string(s->offer_id));
        rc |= set(o, "quantity", json_integer(s->quantity));
        rc |= set(o, "channel",
                  json_string((unsigned)s->channel < cf_enum_channel.n
                                  ? cf_enum_channel.symbols[s->channel]
                                  : "unknown"));
        rc |= set_time(o, "expires_at", s->expires_at);
        rc |= set(o, "source", json_string(cf_source_status_name(s->source)));
        rc |= set(o, "target", json_string(cf_target_status_name(s->target)));
        rc |= set_opt(o, "target_offer_id", s->target_offer_id);
        rc |= set_opt(o, "request_id", s->request_id);
        rc |= set(o, "requests", json_integer(s->requests));
        rc |= set(o, "failures", json_integer(s->failures));
        rc |= set_opt(o, "subscription_id", s->subscription_id);
        rc |= set_opt(o, "provisioned_offer_id", s->provisioned_offer_id);
        if (s->target == CF_TGT_PROVISIONED)
                rc |= set(o, "provisioned_quantity",
                          json_integer(s->provisioned_quantity));
        rc |=
            set(o, "licenses_reassigned", json_boolean(s->licenses_reassigned));
        if (rc) {
                json_decref(o);
                return NULL;
        }
        return o;
}

char *cf_state_json_encode(const cf_migration_t *m) {
        json_t *o = json_object(), *subs = json_array(), *disc = json_array();
        char *s = NULL;
        int rc = 0;
        if (!o || !subs || !disc)
                goto out;
        rc |= set(o, "type", json_string("migration-state"));
        rc |= set(o, "partner_id", json_string(m->partner_id));
        rc |= set(o, "customer_tenant_id", json_string(m->customer_tenant_id));
        rc |= set(o, "status", json_string(cf_mig_status_name(m->status)));
        rc |= set_opt(o, "opened_by", m->opened_by);
        if (m->opened_by && *m->opened_by)
                rc |= set_time(o, "opened_at", m->opened_at);
        rc |= set_time(o, "updated_at", m->updated_at);
        rc |= set(o, "multi_channel", json_boolean(m->multi_channel));
        rc |= set(o, "delegated_admin", json_boolean(m->delegated_admin));
        for (size_t i = 0; !rc && i < m->n_subs; i++)
                rc |= json_array_append_new(subs, sub_json(&m->subs[i]));
        rc |= json_object_set(o, "subscriptions", subs);
        for (size_t i = 0; !rc && i < m->n_discontinued; i++) {
                json_t *d = json_object();
                rc |= set(d, "offer_id",
                          json_string(m->discontinued[i].offer_id));
                rc |= set_opt(d, "successor_offer_id",
                              m->discontinued[i].successor_offer_id);
                rc |= json_array_append_new(disc, d);
        }
        rc |= json_object_set(o, "discontinued_offers", disc);
        rc |= set(o, "events_applied", json_integer((json_int_t)m->applied));
        if (!rc)
                s = json_dumps(o, JSON_COMPACT);
out:
        json_decref(subs);
        json_decref(disc);
        json_decref(o);
        return s;
}
