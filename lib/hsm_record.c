/* libevote — the key-generation ceremony record (docs/PROTOCOL.md §7). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ceremony_internal.h"
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

    GUARD(evote_json_write(path, root, true));
out:
    json_decref(root);
    return ret;
}

/* ---- reader ---------------------------------------------------------------- */

/* The policy a derive-only election/trustee key must satisfy (§7.1). */
static const struct {
    const char *attr;
    size_t off;
    bool want;
} key_policy[] = {
#define A(name, field, want) {name, offsetof(evote_hsm_key_attrs_t, field), want}
    A("CKA_TOKEN", token, true),
    A("CKA_PRIVATE", private_, true),
    A("CKA_SENSITIVE", sensitive, true),
    A("CKA_ALWAYS_SENSITIVE", always_sensitive, true),
    A("CKA_EXTRACTABLE", extractable, false),
    A("CKA_NEVER_EXTRACTABLE", never_extractable, true),
    A("CKA_DERIVE", derive, true),
    A("CKA_SIGN", sign, false),
    A("CKA_DECRYPT", decrypt, false),
    A("CKA_VALUE_readable", value_readable, false),
#undef A
};

static evote_err_t copy_str(char *dst, size_t cap, json_t *obj, const char *key,
                            const char *path) {
    const char *v = json_string_value(json_object_get(obj, key));
    if (v == NULL || strlen(v) >= cap)
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" missing or too long", path, key);
    strcpy(dst, v);
    return EVOTE_OK;
}

evote_err_t evote_hsm_keygen_record_read(const char *path, evote_keygen_record_t *out) {
    evote_err_t ret = EVOTE_OK;
    json_t *root = NULL;
    ENSURE(path != NULL && out != NULL, EVOTE_ERR_ARG, "keygen record read: bad argument");
    memset(out, 0, sizeof(*out));
    GUARD(evote_json_load(path, KEYGEN_RECORD_FORMAT, &root));
    GUARD(copy_str(out->election_id, sizeof(out->election_id), root, "election_id", path));
    GUARD(evote_json_hex(root, "manifest_sha256", out->manifest_hash, EVOTE_HASH_LEN, path));
    json_t *token = json_object_get(root, "token"), *key = json_object_get(root, "key");
    ENSURE(json_is_object(token) && json_is_object(key), EVOTE_ERR_FORMAT,
           "%s: \"token\" and \"key\" must be objects", path);
    GUARD(copy_str(out->token_label, sizeof(out->token_label), token, "label", path));
    GUARD(copy_str(out->token_serial, sizeof(out->token_serial), token, "serial", path));
    GUARD(copy_str(out->key_label, sizeof(out->key_label), key, "label", path));
    GUARD(evote_json_hex(key, "public_key", out->pk, EVOTE_POINT_LEN, path));
    ENSURE(evote_point_check(out->pk) == EVOTE_OK, EVOTE_ERR_FORMAT,
           "%s: key.public_key is not a valid P-256 point", path);
    json_t *attrs = json_object_get(root, "private_key_attributes");
    ENSURE(json_is_object(attrs), EVOTE_ERR_FORMAT,
           "%s: \"private_key_attributes\" must be an object", path);
    static const struct {
        const char *name;
        size_t off;
    } all[] = {
#define B(name, field) {name, offsetof(evote_hsm_key_attrs_t, field)}
        B("CKA_TOKEN", token), B("CKA_PRIVATE", private_), B("CKA_SENSITIVE", sensitive),
        B("CKA_ALWAYS_SENSITIVE", always_sensitive), B("CKA_EXTRACTABLE", extractable),
        B("CKA_NEVER_EXTRACTABLE", never_extractable), B("CKA_DERIVE", derive),
        B("CKA_SIGN", sign), B("CKA_DECRYPT", decrypt), B("CKA_UNWRAP", unwrap),
        B("CKA_SIGN_RECOVER", sign_recover), B("CKA_VALUE_readable", value_readable),
#undef B
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        json_t *v = json_object_get(attrs, all[i].name);
        int *dst = (int *)(void *)((char *)&out->attrs + all[i].off);
        /* true/false as the token reported it; null or absent: not reported */
        *dst = json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : -1;
        ENSURE(v == NULL || json_is_boolean(v) || json_is_null(v), EVOTE_ERR_FORMAT,
               "%s: attribute %s must be true, false or null", path, all[i].name);
    }
out:
    if (ret != EVOTE_OK && out != NULL)
        memset(out, 0, sizeof(*out));
    json_decref(root);
    return ret;
}

evote_err_t evote_hsm_keygen_record_check(const evote_keygen_record_t *r,
                                          const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                          const uint8_t pk[EVOTE_POINT_LEN]) {
    if (r == NULL)
        return evote_fail(EVOTE_ERR_ARG, "keygen record check: bad argument");
    if (manifest_hash != NULL &&
        CRYPTO_memcmp(r->manifest_hash, manifest_hash, EVOTE_HASH_LEN) != 0)
        return evote_fail(EVOTE_ERR_MANIFEST_MISMATCH,
                          "the key-generation record names another manifest");
    if (pk != NULL && CRYPTO_memcmp(r->pk, pk, EVOTE_POINT_LEN) != 0)
        return evote_fail(EVOTE_ERR_KEY_MISMATCH,
                          "the key-generation record names another public key");
    for (size_t i = 0; i < sizeof(key_policy) / sizeof(key_policy[0]); i++) {
        int v = *(const int *)(const void *)((const char *)&r->attrs + key_policy[i].off);
        if (v != (key_policy[i].want ? 1 : 0))
            return evote_fail(EVOTE_ERR_KEY_POLICY,
                              "private key attribute %s is %s, the policy requires %s",
                              key_policy[i].attr,
                              v < 0 ? "missing" : (v ? "true" : "false"),
                              key_policy[i].want ? "true" : "false");
    }
    return EVOTE_OK;
}
