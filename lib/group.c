/* libevote — P-256 points, scalars and domain-separated hashing. */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "internal.h"

static EC_GROUP *g_group;
static BIGNUM *g_p;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void group_init(void) {
    g_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    g_p = BN_new();
    if (g_group != NULL && g_p != NULL &&
        EC_GROUP_get_curve(g_group, g_p, NULL, NULL, NULL) != 1) {
        BN_free(g_p);
        g_p = NULL;
    }
}

const EC_GROUP *evote_ec_group(void) {
    pthread_once(&g_once, group_init);
    return g_p != NULL ? g_group : NULL;
}

const BIGNUM *evote_ec_order(void) {
    const EC_GROUP *g = evote_ec_group();
    return g ? EC_GROUP_get0_order(g) : NULL;
}

evote_err_t evote_ec_decode(EC_POINT *out, const uint8_t in[EVOTE_POINT_LEN],
                            BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    BIGNUM *x = NULL;

    ENSURE(g != NULL && out != NULL && in != NULL, EVOTE_ERR_ARG,
           "point decode: bad argument");
    ENSURE(in[0] == 0x02 || in[0] == 0x03, EVOTE_ERR_POINT_INVALID,
           "point prefix 0x%02x is not 0x02 or 0x03", in[0]);
    ALLOC_GUARD(x = BN_bin2bn(in + 1, 32, NULL));
    ENSURE(BN_cmp(x, g_p) < 0, EVOTE_ERR_POINT_INVALID,
           "point x-coordinate is not below the field prime");
    if (EC_POINT_oct2point(g, out, in, EVOTE_POINT_LEN, bn) != 1) {
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_POINT_NOT_ON_CURVE,
                         "no P-256 point has this x-coordinate");
        goto out;
    }
    ENSURE(EC_POINT_is_at_infinity(g, out) == 0, EVOTE_ERR_POINT_INFINITY,
           "point at infinity");
    ENSURE(EC_POINT_is_on_curve(g, out, bn) == 1, EVOTE_ERR_POINT_NOT_ON_CURVE,
           "point is not on P-256");
out:
    BN_free(x);
    return ret;
}

evote_err_t evote_ec_encode(uint8_t out[EVOTE_POINT_LEN], const EC_POINT *p,
                            BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    ENSURE(g != NULL && p != NULL, EVOTE_ERR_ARG, "point encode: bad argument");
    ENSURE(EC_POINT_is_at_infinity(g, p) == 0, EVOTE_ERR_POINT_INFINITY,
           "cannot encode the point at infinity");
    ENSURE(EC_POINT_point2oct(g, p, POINT_CONVERSION_COMPRESSED, out,
                              EVOTE_POINT_LEN, bn) == EVOTE_POINT_LEN,
           EVOTE_ERR_CRYPTO, "EC_POINT_point2oct failed");
out:
    return ret;
}

evote_err_t evote_ec_encode_uncompressed(uint8_t out[65], const EC_POINT *p,
                                         BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    ENSURE(g != NULL && p != NULL, EVOTE_ERR_ARG, "point encode: bad argument");
    ENSURE(EC_POINT_is_at_infinity(g, p) == 0, EVOTE_ERR_POINT_INFINITY,
           "cannot encode the point at infinity");
    ENSURE(EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, out, 65,
                              bn) == 65,
           EVOTE_ERR_CRYPTO, "EC_POINT_point2oct failed");
out:
    return ret;
}

evote_err_t evote_point_check(const uint8_t p[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    EC_POINT *pt = NULL;
    ENSURE(p != NULL && evote_ec_group() != NULL, EVOTE_ERR_ARG,
           "point check: bad argument");
    ALLOC_GUARD(pt = EC_POINT_new(evote_ec_group()));
    ret = evote_ec_decode(pt, p, NULL);
out:
    EC_POINT_free(pt);
    return ret;
}

evote_err_t evote_scalar_decode(BIGNUM *out, const uint8_t in[EVOTE_SCALAR_LEN],
                                bool allow_zero) {
    evote_err_t ret = EVOTE_OK;
    const BIGNUM *n = evote_ec_order();
    ENSURE(n != NULL && out != NULL && in != NULL, EVOTE_ERR_ARG,
           "scalar decode: bad argument");
    ENSURE(BN_bin2bn(in, EVOTE_SCALAR_LEN, out) != NULL, EVOTE_ERR_NOMEM,
           "BN_bin2bn");
    ENSURE(BN_cmp(out, n) < 0, EVOTE_ERR_SCALAR_RANGE,
           "scalar is not below the group order");
    ENSURE(allow_zero || !BN_is_zero(out), EVOTE_ERR_SCALAR_RANGE,
           "scalar is zero");
out:
    return ret;
}

evote_err_t evote_scalar_encode(uint8_t out[EVOTE_SCALAR_LEN], const BIGNUM *s) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(out != NULL && s != NULL && !BN_is_negative(s), EVOTE_ERR_ARG,
           "scalar encode: bad argument");
    ENSURE(BN_bn2binpad(s, out, EVOTE_SCALAR_LEN) == EVOTE_SCALAR_LEN,
           EVOTE_ERR_SCALAR_RANGE, "scalar does not fit 32 bytes");
out:
    return ret;
}

evote_err_t evote_scalar_random(BIGNUM *out) {
    evote_err_t ret = EVOTE_OK;
    const BIGNUM *n = evote_ec_order();
    ENSURE(n != NULL && out != NULL, EVOTE_ERR_ARG, "scalar random: bad argument");
    do {
        if (BN_priv_rand_range(out, n) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "BN_priv_rand_range");
            goto out;
        }
    } while (BN_is_zero(out));
out:
    return ret;
}

evote_err_t evote_scalar_from_hash(BIGNUM *out, const uint8_t h[EVOTE_HASH_LEN],
                                   BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const BIGNUM *n = evote_ec_order();
    ENSURE(n != NULL && out != NULL && h != NULL, EVOTE_ERR_ARG,
           "scalar from hash: bad argument");
    ENSURE(BN_bin2bn(h, EVOTE_HASH_LEN, out) != NULL, EVOTE_ERR_NOMEM, "BN_bin2bn");
    OSSL_GUARD(BN_nnmod(out, out, n, bn));
out:
    return ret;
}

/* ---- hashing ---------------------------------------------------------- */

struct evote_hash {
    EVP_MD_CTX *md;
};

evote_err_t evote_hash_new(evote_hash_t **out, const char *tag) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    ENSURE(out != NULL && tag != NULL, EVOTE_ERR_ARG, "hash: bad argument");
    *out = NULL;
    ALLOC_GUARD(h = OPENSSL_zalloc(sizeof(*h)));
    ALLOC_GUARD(h->md = EVP_MD_CTX_new());
    OSSL_GUARD(EVP_DigestInit_ex(h->md, EVP_sha256(), NULL));
    GUARD(evote_hash_field(h, tag, strlen(tag)));
    *out = h;
    h = NULL;
out:
    evote_hash_free(h);
    return ret;
}

evote_err_t evote_hash_field(evote_hash_t *h, const void *data, size_t len) {
    evote_err_t ret = EVOTE_OK;
    uint8_t prefix[4];
    ENSURE(h != NULL && (data != NULL || len == 0), EVOTE_ERR_ARG,
           "hash field: bad argument");
    ENSURE(len <= UINT32_MAX, EVOTE_ERR_TOO_LARGE, "hash field over 4 GiB");
    evote_put_u32be(prefix, (uint32_t)len);
    OSSL_GUARD(EVP_DigestUpdate(h->md, prefix, 4));
    if (len > 0)
        OSSL_GUARD(EVP_DigestUpdate(h->md, data, len));
out:
    return ret;
}

evote_err_t evote_hash_final(evote_hash_t *h, uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    unsigned int n = 0;
    ENSURE(h != NULL && out != NULL, EVOTE_ERR_ARG, "hash final: bad argument");
    OSSL_GUARD(EVP_DigestFinal_ex(h->md, out, &n));
    ENSURE(n == EVOTE_HASH_LEN, EVOTE_ERR_CRYPTO, "digest length %u", n);
out:
    evote_hash_free(h);
    return ret;
}

void evote_hash_free(evote_hash_t *h) {
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->md); /* EVP_MD_CTX_free cleanses the state */
    OPENSSL_free(h);
}

evote_err_t evote_sha256(const void *data, size_t len, uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    unsigned int n = 0;
    ENSURE((data != NULL || len == 0) && out != NULL, EVOTE_ERR_ARG,
           "sha256: bad argument");
    OSSL_GUARD(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL));
out:
    return ret;
}
