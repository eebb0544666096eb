/* cspflow: the fields in which two events differ (event_diff.h). */
#include "event_diff.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "schemas/json_codec.h"

/* One differing field: both values as compact JSON. */
static int report(cf_event_diff_fn fn, void *opaque, const char *field,
                  const json_t *a, const json_t *b, size_t *n) {
        char *sa = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        char *sb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        int rc = -2;
        if ((!a || sa) && (!b || sb)) {
                (*n)++;
                rc = fn ? fn(opaque, field, sa ? sa : "(absent)",
                             sb ? sb : "(absent)")
                        : 0;
        }
        free(sa);
        free(sb);
        return rc;
}

cf_err_t cf_event_diff_json(const char *a, const char *b, cf_event_diff_fn fn,
                            void *opaque, size_t *n) {
        json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
        const char *field;
        json_t *va;
        cf_err_t err = CF_OK;
        int rc = 0;

        *n = 0;
        if (!ja || !jb || !json_is_object(ja) || !json_is_object(jb)) {
                err = CF_ERR_INVALID;
                goto out;
        }
        json_object_foreach(ja, field, va) {
                json_t *vb = json_object_get(jb, field);
                if (vb && json_equal(va, vb))
                        continue;
                if ((rc = report(fn, opaque, field, va, vb, n)) != 0)
                        goto out;
        }
        json_object_foreach(jb, field, va) {
                if (json_object_get(ja, field))
                        continue;
                if ((rc = report(fn, opaque, field, NULL, va, n)) != 0)
                        goto out;
        }
out:
        if (rc == -2)
                err = CF_ERR_NOMEM;
        json_decref(ja);
        json_decref(jb);
        return err;
}

cf_err_t cf_event_diff(const cf_event_t *a, const cf_event_t *b,
                       cf_event_diff_fn fn, void *opaque, size_t *n) {
        char *ja = cf_json_encode_event(a), *jb = cf_json_encode_event(b);
        cf_err_t err = ja && jb ? cf_event_diff_json(ja, jb, fn, opaque, n)
                                : CF_ERR_INVALID;
        free(ja);
        free(jb);
        return err;
}
