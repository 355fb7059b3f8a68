/* libevote — trustees: key commitments, key shares, combined election key. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "ceremony_internal.h"
#include "evote/trustee.h"
#include "internal.h"

#define TAG_COMMIT "libevote/v1/trustee-commit"
#define FMT_COMMIT "libevote-trustee-commitment/1"
#define FMT_KEY "libevote-trustee-key/1"
#define FMT_RECORD "libevote-key-ceremony/1"
#define SMALL_JSON_MAX (1u << 20)

evote_err_t evote_id_check(const char *id, const char *what) {
    if (id == NULL || id[0] == '\0' || strlen(id) > EVOTE_ID_MAX)
        return evote_fail(EVOTE_ERR_ARG, "%s: id must be 1..%d bytes", what,
                          EVOTE_ID_MAX);
    for (const char *p = id; *p; p++) {
        char c = *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!(alnum || (p != id && (c == '-' || c == '_' || c == '.'))))
            return evote_fail(EVOTE_ERR_ARG, "%s: id \"%s\" has a character "
                              "outside [A-Za-z0-9][A-Za-z0-9._-]*", what, id);
    }
    return EVOTE_OK;
}

evote_err_t evote_trustee_commitment(uint8_t out[EVOTE_HASH_LEN],
                                     const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                     const char *trustee_id,
                                     const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    ENSURE(out != NULL && manifest_hash != NULL && pk != NULL, EVOTE_ERR_ARG,
           "commitment: bad argument");
    memset(out, 0, EVOTE_HASH_LEN);
    GUARD(evote_id_check(trustee_id, "trustee"));
    GUARD(evote_point_check(pk));
    GUARD(evote_hash_new(&h, TAG_COMMIT));
    GUARD(evote_hash_field(h, manifest_hash, EVOTE_HASH_LEN));
    GUARD(evote_hash_field(h, trustee_id, strlen(trustee_id)));
    GUARD(evote_hash_field(h, pk, EVOTE_POINT_LEN));
    ret = evote_hash_final(h, out);
    h = NULL;
out:
    evote_hash_free(h);
    return ret;
}

/* ---- small JSON files ---------------------------------------------------- */

evote_err_t evote_json_write(const char *path, json_t *obj, bool exclusive) {
    evote_err_t ret = EVOTE_OK;
    char *s = NULL;
    ALLOC_GUARD(s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER));
    size_t len = strlen(s);
    char *t = realloc(s, len + 2);
    ALLOC_GUARD(t);
    s = t;
    s[len] = '\n';
    s[len + 1] = '\0';
    GUARD(evote_write_file_atomic(path, s, len + 1, exclusive, false));
out:
    free(s);
    return ret;
}

evote_err_t evote_json_load(const char *path, const char *format, json_t **out) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *d = NULL;
    size_t n = 0;
    json_error_t je;
    json_t *root = NULL;
    *out = NULL;
    GUARD(evote_read_file(path, SMALL_JSON_MAX * 64, &d, &n));
    root = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES, &je);
    ENSURE(root != NULL && json_is_object(root), EVOTE_ERR_FORMAT,
           "%s: not a JSON object (line %d: %s)", path, je.line, je.text);
    const char *f = json_string_value(json_object_get(root, "format"));
    ENSURE(f != NULL, EVOTE_ERR_FORMAT, "%s: no \"format\"", path);
    ENSURE(strcmp(f, format) == 0, EVOTE_ERR_FORMAT,
           "%s: format is \"%s\", expected \"%s\"", path, f, format);
    *out = root;
    root = NULL;
out:
    json_decref(root);
    free(d);
    return ret;
}

evote_err_t evote_json_hex(json_t *obj, const char *key, uint8_t *out,
                           size_t len, const char *where) {
    const char *s = json_string_value(json_object_get(obj, key));
    if (s == NULL)
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" missing", where, key);
    if (evote_unhex(out, len, s) != EVOTE_OK)
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" is not %zu bytes of hex",
                          where, key, len);
    return EVOTE_OK;
}

json_t *evote_json_hexstr(const uint8_t *in, size_t len) {
    char buf[2 * 64 + 1];
    if (len > 64)
        return NULL;
    evote_hex(buf, in, len);
    return json_string(buf);
}

evote_err_t evote_json_manifest_check(json_t *obj, const uint8_t *mh,
                                      const char *where) {
    uint8_t got[EVOTE_HASH_LEN];
    evote_err_t r = evote_json_hex(obj, "manifest_sha256", got, sizeof(got), where);
    if (r != EVOTE_OK)
        return r;
    if (mh != NULL && CRYPTO_memcmp(got, mh, EVOTE_HASH_LEN) != 0)
        return evote_fail(EVOTE_ERR_MANIFEST_MISMATCH,
                          "%s names another manifest", where);
    return EVOTE_OK;
}

static evote_err_t json_id(json_t *obj, const char *key, char out[EVOTE_ID_MAX + 1],
                           const char *where) {
    evote_err_t ret = EVOTE_OK;
    const char *s = json_string_value(json_object_get(obj, key));
    ENSURE(s != NULL, EVOTE_ERR_FORMAT, "%s: \"%s\" missing", where, key);
    GUARD(evote_id_check(s, where));
    strcpy(out, s);
out:
    if (ret != EVOTE_OK)
        ret = ret == EVOTE_ERR_ARG ? EVOTE_ERR_FORMAT : ret;
    return ret;
}

static evote_err_t small_write(const char *path, const char *format,
                               const uint8_t mh[EVOTE_HASH_LEN], const char *id,
                               const char *key, const uint8_t *val, size_t len) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL;
    ENSURE(path != NULL && mh != NULL && val != NULL, EVOTE_ERR_ARG,
           "write %s: bad argument", format);
    GUARD(evote_id_check(id, "trustee"));
    ALLOC_GUARD(o = json_object());
    json_object_set_new(o, "format", json_string(format));
    json_object_set_new(o, "manifest_sha256", evote_json_hexstr(mh, EVOTE_HASH_LEN));
    json_object_set_new(o, "trustee_id", json_string(id));
    json_object_set_new(o, key, evote_json_hexstr(val, len));
    GUARD(evote_json_write(path, o, true));
out:
    json_decref(o);
    return ret;
}

evote_err_t evote_trustee_commitment_write(const char *path,
                                           const uint8_t mh[EVOTE_HASH_LEN],
                                           const char *id,
                                           const uint8_t c[EVOTE_HASH_LEN]) {
    return small_write(path, FMT_COMMIT, mh, id, "commitment", c, EVOTE_HASH_LEN);
}

evote_err_t evote_trustee_key_write(const char *path, const uint8_t mh[EVOTE_HASH_LEN],
                                    const char *id, const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t r = evote_point_check(pk);
    if (r != EVOTE_OK)
        return r;
    return small_write(path, FMT_KEY, mh, id, "public_key", pk, EVOTE_POINT_LEN);
}

static evote_err_t small_read(const char *path, const char *format,
                              const uint8_t mh[EVOTE_HASH_LEN],
                              char id[EVOTE_ID_MAX + 1], const char *key,
                              uint8_t *val, size_t len) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL;
    ENSURE(path != NULL && id != NULL && val != NULL, EVOTE_ERR_ARG,
           "read %s: bad argument", format);
    GUARD(evote_json_load(path, format, &o));
    GUARD(evote_json_manifest_check(o, mh, path));
    GUARD(json_id(o, "trustee_id", id, path));
    GUARD(evote_json_hex(o, key, val, len, path));
out:
    json_decref(o);
    return ret;
}

evote_err_t evote_trustee_commitment_read(const char *path,
                                          const uint8_t mh[EVOTE_HASH_LEN],
                                          char id[EVOTE_ID_MAX + 1],
                                          uint8_t c[EVOTE_HASH_LEN]) {
    return small_read(path, FMT_COMMIT, mh, id, "commitment", c, EVOTE_HASH_LEN);
}

evote_err_t evote_trustee_key_read(const char *path, const uint8_t mh[EVOTE_HASH_LEN],
                                   char id[EVOTE_ID_MAX + 1],
                                   uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t r = small_read(path, FMT_KEY, mh, id, "public_key", pk,
                               EVOTE_POINT_LEN);
    if (r == EVOTE_OK)
        r = evote_point_check(pk);
    return r;
}

/* ---- combining ----------------------------------------------------------- */

evote_err_t evote_trustee_combine_keys(uint8_t pk_out[EVOTE_POINT_LEN],
                                       const evote_manifest_t *m,
                                       const uint8_t mh[EVOTE_HASH_LEN],
                                       const evote_trustee_share_t *s, size_t n) {
    evote_err_t ret = EVOTE_OK;
    EC_POINT *sum = NULL, *p = NULL;
    BN_CTX *bn = NULL;
    uint8_t c[EVOTE_HASH_LEN];

    ENSURE(pk_out != NULL && mh != NULL && s != NULL && n > 0, EVOTE_ERR_ARG,
           "combine keys: bad argument");
    memset(pk_out, 0, EVOTE_POINT_LEN);
    ENSURE(m == NULL || CRYPTO_memcmp(evote_manifest_hash(m), mh, EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH, "manifest hash differs from the manifest");
    for (size_t i = 0; i < n; i++) {
        GUARD(evote_trustee_commitment(c, mh, s[i].id, s[i].pk));
        ENSURE(CRYPTO_memcmp(c, s[i].commitment, EVOTE_HASH_LEN) == 0,
               EVOTE_ERR_COMMITMENT,
               "trustee \"%s\": public key does not match the commitment",
               s[i].id);
        for (size_t j = 0; j < i; j++) {
            ENSURE(strcmp(s[i].id, s[j].id) != 0, EVOTE_ERR_ARG,
                   "trustee \"%s\" appears twice", s[i].id);
            ENSURE(memcmp(s[i].pk, s[j].pk, EVOTE_POINT_LEN) != 0, EVOTE_ERR_ARG,
                   "trustees \"%s\" and \"%s\" have the same key", s[j].id,
                   s[i].id);
        }
    }
    if (m != NULL && evote_manifest_person_count(m, "trustee") > 0) {
        size_t mt = evote_manifest_person_count(m, "trustee");
        ENSURE(mt == n, EVOTE_ERR_MANIFEST_MISMATCH,
               "the manifest names %zu trustees, %zu keys given", mt, n);
        for (size_t i = 0; i < mt; i++) {
            const char *want = evote_manifest_person_id(m, "trustee", i);
            bool found = false;
            for (size_t j = 0; j < n && !found; j++)
                found = strcmp(want, s[j].id) == 0;
            ENSURE(found, EVOTE_ERR_MANIFEST_MISMATCH,
                   "no key from trustee \"%s\" named by the manifest", want);
        }
    }
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(sum = EC_POINT_new(evote_ec_group()));
    ALLOC_GUARD(p = EC_POINT_new(evote_ec_group()));
    OSSL_GUARD(EC_POINT_set_to_infinity(evote_ec_group(), sum));
    for (size_t i = 0; i < n; i++) {
        GUARD(evote_ec_decode(p, s[i].pk, bn));
        OSSL_GUARD(EC_POINT_add(evote_ec_group(), sum, sum, p, bn));
    }
    ENSURE(!EC_POINT_is_at_infinity(evote_ec_group(), sum), EVOTE_ERR_POINT_INFINITY,
           "the trustees' keys sum to the point at infinity");
    GUARD(evote_ec_encode(pk_out, sum, bn));
out:
    if (ret != EVOTE_OK && pk_out != NULL)
        memset(pk_out, 0, EVOTE_POINT_LEN);
    EC_POINT_free(sum);
    EC_POINT_free(p);
    BN_CTX_free(bn);
    return ret;
}

evote_err_t evote_trustee_record_write(const char *path,
                                       const uint8_t mh[EVOTE_HASH_LEN],
                                       const evote_trustee_share_t *s, size_t n,
                                       const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL, *arr = NULL;
    uint8_t check[EVOTE_POINT_LEN];
    ENSURE(path != NULL && pk != NULL, EVOTE_ERR_ARG, "record: bad argument");
    GUARD(evote_trustee_combine_keys(check, NULL, mh, s, n));
    ENSURE(memcmp(check, pk, EVOTE_POINT_LEN) == 0, EVOTE_ERR_KEY_MISMATCH,
           "election key is not the sum of the trustees' keys");
    ALLOC_GUARD(o = json_object());
    ALLOC_GUARD(arr = json_array());
    json_object_set_new(o, "format", json_string(FMT_RECORD));
    json_object_set_new(o, "manifest_sha256", evote_json_hexstr(mh, EVOTE_HASH_LEN));
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_object();
        ALLOC_GUARD(t);
        json_object_set_new(t, "trustee_id", json_string(s[i].id));
        json_object_set_new(t, "commitment",
                            evote_json_hexstr(s[i].commitment, EVOTE_HASH_LEN));
        json_object_set_new(t, "public_key", evote_json_hexstr(s[i].pk, EVOTE_POINT_LEN));
        json_array_append_new(arr, t);
    }
    json_object_set(o, "trustees", arr);
    json_object_set_new(o, "election_public_key", evote_json_hexstr(pk, EVOTE_POINT_LEN));
    GUARD(evote_json_write(path, o, true));
out:
    json_decref(arr);
    json_decref(o);
    return ret;
}

evote_err_t evote_trustee_record_read(const char *path,
                                      const uint8_t mh[EVOTE_HASH_LEN],
                                      evote_trustee_share_t **shares, size_t *n,
                                      uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL;
    evote_trustee_share_t *s = NULL;
    uint8_t sum[EVOTE_POINT_LEN];
    size_t cnt = 0;
    ENSURE(path != NULL && shares != NULL && n != NULL && pk != NULL, EVOTE_ERR_ARG,
           "record read: bad argument");
    *shares = NULL;
    *n = 0;
    GUARD(evote_json_load(path, FMT_RECORD, &o));
    GUARD(evote_json_manifest_check(o, mh, path));
    json_t *arr = json_object_get(o, "trustees");
    ENSURE(json_is_array(arr) && json_array_size(arr) > 0 &&
               json_array_size(arr) <= 1000,
           EVOTE_ERR_FORMAT, "%s: \"trustees\" must list 1..1000 trustees", path);
    cnt = json_array_size(arr);
    ALLOC_GUARD(s = calloc(cnt, sizeof(*s)));
    for (size_t i = 0; i < cnt; i++) {
        json_t *t = json_array_get(arr, i);
        GUARD(json_id(t, "trustee_id", s[i].id, path));
        GUARD(evote_json_hex(t, "commitment", s[i].commitment, EVOTE_HASH_LEN, path));
        GUARD(evote_json_hex(t, "public_key", s[i].pk, EVOTE_POINT_LEN, path));
    }
    GUARD(evote_json_hex(o, "election_public_key", pk, EVOTE_POINT_LEN, path));
    uint8_t mhash[EVOTE_HASH_LEN];
    GUARD(evote_json_hex(o, "manifest_sha256", mhash, EVOTE_HASH_LEN, path));
    GUARD(evote_trustee_combine_keys(sum, NULL, mhash, s, cnt));
    ENSURE(memcmp(sum, pk, EVOTE_POINT_LEN) == 0, EVOTE_ERR_KEY_MISMATCH,
           "%s: election key is not the sum of the trustees' keys", path);
    *shares = s;
    *n = cnt;
    s = NULL;
out:
    free(s);
    json_decref(o);
    return ret;
}
