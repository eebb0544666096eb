#include "catalog_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/limits.h"

static bool id_ok(json_t *v) {
        return json_is_string(v) && json_string_length(v) > 0 &&
               json_string_length(v) <= CF_ID_MAX &&
               !memchr(json_string_value(v), '\0', json_string_length(v));
}

/* Adds the entries of text to cat; on failure cat may hold some of them. */
static cf_err_t parse_into(cf_catalog_t *cat, const char *text, size_t len,
                           char *errstr, size_t errstr_size) {
        json_error_t jerr;
        json_t *root, *offers, *o;
        size_t i;
        cf_err_t err = CF_ERR_INVALID;

        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                cf_errstr_set(errstr, errstr_size,
                              "catalog: invalid JSON at line %d column %d: %s",
                              jerr.line, jerr.column, jerr.text);
                return CF_ERR_INVALID;
        }
        offers = json_object_get(root, "offers");
        if (!json_is_array(offers)) {
                cf_errstr_set(errstr, errstr_size,
                              "catalog: \"offers\" must be an array");
                json_decref(root);
                return CF_ERR_INVALID;
        }
        if (json_array_size(offers) > CF_CATALOG_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "catalog: more than %d offers", CF_CATALOG_MAX);
                json_decref(root);
                return CF_ERR_LIMIT;
        }
        json_array_foreach(offers, i, o) {
                json_t *id = json_object_get(o, "offer_id");
                json_t *disc = json_object_get(o, "discontinued");
                json_t *eq = json_object_get(o, "equivalent_offer_id");
                if (!json_is_object(o) || !id_ok(id)) {
                        cf_errstr_set(errstr, errstr_size,
                                      "catalog: offers[%zu].offer_id must be "
                                      "a non-empty string of at most %d bytes",
                                      i, CF_ID_MAX);
                        goto fail;
                }
                if (disc && !json_is_boolean(disc)) {
                        cf_errstr_set(errstr, errstr_size,
                                      "catalog: offers[%zu].discontinued must "
                                      "be a boolean",
                                      i);
                        goto fail;
                }
                if (eq && !json_is_null(eq) && !id_ok(eq)) {
                        cf_errstr_set(
                            errstr, errstr_size,
                            "catalog: offers[%zu].equivalent_offer_id "
                            "must be a non-empty string of at most "
                            "%d bytes or null",
                            i, CF_ID_MAX);
                        goto fail;
                }
                if (!cf_catalog_put(cat, json_string_value(id),
                                    disc ? json_is_true(disc) : true,
                                    json_is_string(eq) ? json_string_value(eq)
                                                       : NULL)) {
                        cf_errstr_set(errstr, errstr_size,
                                      "catalog: out of memory");
                        err = CF_ERR_NOMEM;
                        goto fail;
                }
        }
        json_decref(root);
        return CF_OK;
fail:
        json_decref(root);
        return err;
}

cf_err_t cf_catalog_parse_json(const char *text, size_t len, cf_catalog_t **out,
                               char *errstr, size_t errstr_size) {
        cf_catalog_t *cat = cf_catalog_new();
        cf_err_t err;
        if (!cat)
                return CF_ERR_NOMEM;
        if ((err = parse_into(cat, text, len, errstr, errstr_size)) != CF_OK) {
                cf_catalog_destroy(cat);
                return err;
        }
        *out = cat;
        return CF_OK;
}

/* Reads the file at path (capped) into a malloc'd text. */
static cf_err_t read_file(const char *path, char **text, size_t *len,
                          char *errstr, size_t errstr_size) {
        FILE *fp = fopen(path, "rb");
        struct stat st;
        char *buf;
        size_t n;

        if (!fp) {
                cf_errstr_set(errstr, errstr_size, "catalog %s: %s", path,
                              strerror(errno));
                return CF_ERR_IO;
        }
        if (fstat(fileno(fp), &st) != 0 || st.st_size < 0 ||
            st.st_size > CF_CATALOG_FILE_MAX) {
                cf_errstr_set(errstr, errstr_size,
                              "catalog %s: not a regular file of at most %d "
                              "bytes",
                              path, CF_CATALOG_FILE_MAX);
                fclose(fp);
                return CF_ERR_LIMIT;
        }
        if (!(buf = malloc((size_t)st.st_size + 1))) {
                fclose(fp);
                return CF_ERR_NOMEM;
        }
        n = fread(buf, 1, (size_t)st.st_size, fp);
        if (ferror(fp)) {
                cf_errstr_set(errstr, errstr_size, "catalog %s: read error",
                              path);
                free(buf);
                fclose(fp);
                return CF_ERR_IO;
        }
        fclose(fp);
        *text = buf;
        *len = n;
        return CF_OK;
}

cf_err_t cf_catalog_load_json_into(cf_catalog_t *cat, const char *path,
                                   char *errstr, size_t errstr_size) {
        char *text;
        size_t len;
        cf_err_t err = read_file(path, &text, &len, errstr, errstr_size);
        if (err != CF_OK)
                return err;
        err = parse_into(cat, text, len, errstr, errstr_size);
        free(text);
        return err;
}

cf_err_t cf_catalog_load_json(const char *path, cf_catalog_t **out,
                              char *errstr, size_t errstr_size) {
        cf_catalog_t *cat = cf_catalog_new();
        cf_err_t err;
        if (!cat)
                return CF_ERR_NOMEM;
        err = cf_catalog_load_json_into(cat, path, errstr, errstr_size);
        if (err != CF_OK) {
                cf_catalog_destroy(cat);
                return err;
        }
        *out = cat;
        return CF_OK;
}
