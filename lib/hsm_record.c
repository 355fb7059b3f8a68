/* libevote — the key-generation ceremony record (docs/PROTOCOL.md §7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hsm_internal.h"

#define KEYGEN_RECORD_FORMAT "libevote-keygen-record/1"

/* json_object_set_new fails on a NULL value (e.g. a label that is not
 * UTF-8): never write a record with a field silently missing. */
#define SET(obj, k, v)                                                         \
    ENSURE(json_object_set_new((obj), (k), (v)) == 0, EVOTE_ERR_FORMAT,       \
           "keygen record: cannot store %s (not UTF-8?)", (k))

static json_t *attr_json(int v) { return v < 0 ? json_null() : json_boolean(v); }

/* "2026-11-23T16:40:00Z" and "2026-11-24T01:40:00+09:00" for the same instant
 * (Japan has no daylight saving time, so JST is always UTC+9). */
static evote_err_t times(time_t now, char utc[32], char jst[32]) {
    struct tm tm;
    time_t shifted = now + 9 * 3600;
    if (gmtime_r(&now, &tm) == NULL || strftime(utc, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return evote_fail(EVOTE_ERR_INTERNAL, "cannot format the time");
    if (gmtime_r(&shifted, &tm) == NULL ||
        strftime(jst, 32, "%Y-%m-%dT%H:%M:%S+09:00", &tm) == 0)
        return evote_fail(EVOTE_ERR_INTERNAL, "cannot format the time");
    return EVOTE_OK;
}

evote_err_t evote_hsm_keygen_record_write(evote_hsm_t *hsm, const char *path,
                                          const char *key_label,
                                          const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                          const char *election_id) {
    evote_err_t ret = EVOTE_OK;
    json_t *root = NULL, *token, *key, *attrs;
    char *text = NULL;
    evote_hsm_token_info_t ti;
    evote_hsm_key_attrs_t a;
    uint8_t pk[EVOTE_POINT_LEN], id[64];
    size_t idlen = 0;
    char hex_mh[2 * EVOTE_HASH_LEN + 1], hex_pk[2 * EVOTE_POINT_LEN + 1], hex_id[2 * 64 + 1];
    char utc[32], jst[32];

    ENSURE(hsm != NULL && path != NULL && key_label != NULL && manifest_hash != NULL &&
               election_id != NULL,
           EVOTE_ERR_ARG, "keygen record: bad argument");
    /* What the token reports now, not what we asked for. */
    GUARD(evote_hsm_token_info(hsm, &ti));
    GUARD(evote_hsm_key_attrs(hsm, &a));
    GUARD(evote_hsm_key_id(hsm, id, sizeof(id), &idlen));
    GUARD(evote_hsm_key_public(hsm, pk));
    GUARD(times(time(NULL), utc, jst));
    evote_hex(hex_mh, manifest_hash, EVOTE_HASH_LEN);
    evote_hex(hex_pk, pk, EVOTE_POINT_LEN);
    evote_hex(hex_id, id, idlen);

    ALLOC_GUARD(root = json_object());
    SET(root, "format", json_string(KEYGEN_RECORD_FORMAT));
    SET(root, "election_id", json_string(election_id));
    SET(root, "manifest_sha256", json_string(hex_mh));
    /* Attach each sub-object at once: root then owns it on every path. */
    ALLOC_GUARD(token = json_object());
    SET(root, "token", token);
    SET(token, "label", json_string(ti.label));
    SET(token, "serial", json_string(ti.serial));
    SET(token, "model", json_string(ti.model));
    SET(token, "manufacturer", json_string(ti.manufacturer));
    ALLOC_GUARD(key = json_object());
    SET(root, "key", key);
    SET(key, "label", json_string(key_label));
    SET(key, "id", json_string(hex_id));
    SET(key, "curve", json_string("P-256"));
    SET(key, "mechanism", json_string("CKM_EC_KEY_PAIR_GEN"));
    SET(key, "public_key", json_string(hex_pk));
    ALLOC_GUARD(attrs = json_object());
    SET(root, "private_key_attributes", attrs);
    SET(attrs, "CKA_TOKEN", attr_json(a.token));
    SET(attrs, "CKA_PRIVATE", attr_json(a.private_));
    SET(attrs, "CKA_SENSITIVE", attr_json(a.sensitive));
    SET(attrs, "CKA_ALWAYS_SENSITIVE", attr_json(a.always_sensitive));
    SET(attrs, "CKA_EXTRACTABLE", attr_json(a.extractable));
    SET(attrs, "CKA_NEVER_EXTRACTABLE", attr_json(a.never_extractable));
    SET(attrs, "CKA_DERIVE", attr_json(a.derive));
    SET(attrs, "CKA_SIGN", attr_json(a.sign));
    SET(attrs, "CKA_DECRYPT", attr_json(a.decrypt));
    SET(attrs, "CKA_UNWRAP", attr_json(a.unwrap));
    SET(attrs, "CKA_SIGN_RECOVER", attr_json(a.sign_recover));
    SET(attrs, "CKA_VALUE_readable", json_boolean(a.value_readable));
    SET(root, "time_utc", json_string(utc));
    SET(root, "time_jst", json_string(jst));

    ALLOC_GUARD(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER));
    size_t len = strlen(text);
    char *nl = realloc(text, len + 2);
    ALLOC_GUARD(nl);
    text = nl;
    text[len] = '\n';
    text[len + 1] = '\0';
    GUARD(evote_write_file_atomic(path, text, len + 1, true, false));
out:
    free(text);
    json_decref(root);
    return ret;
}
