/* cspflow: the outbox, the output events of the inputs being handled.
 *
 * Events are initialised once and reused: cf_outbox_reset() only forgets
 * them, cf_outbox_push() hands back the next one reset (its subscription
 * array kept for the next migration-completed). */
#include "handlers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void cf_outbox_init(cf_outbox_t *ob) {
        memset(ob, 0, sizeof(*ob));
}

void cf_outbox_reset(cf_outbox_t *ob) {
        ob->n = 0;
}

void cf_outbox_clear(cf_outbox_t *ob) {
        for (size_t i = 0; i < ob->cap; i++)
                cf_event_clear(&ob->v[i]);
        free(ob->v);
        cf_outbox_init(ob);
}

cf_event_t *cf_outbox_push(cf_outbox_t *ob) {
        cf_event_t *ev;

        if (ob->n == ob->cap) {
                size_t cap = ob->cap ? ob->cap * 2 : 8;
                cf_event_t *v;
                if (cap > SIZE_MAX / sizeof(*v))
                        return NULL;
                if (!(v = realloc(ob->v, cap * sizeof(*v))))
                        return NULL;
                for (size_t i = ob->cap; i < cap; i++)
                        cf_event_init(&v[i]);
                ob->v = v;
                ob->cap = cap;
        }
        ev = &ob->v[ob->n++];
        cf_event_reset(ev);
        return ev;
}
