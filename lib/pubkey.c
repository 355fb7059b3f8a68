/* libevote — election public key as PEM SubjectPublicKeyInfo. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "internal.h"

#define PUBKEY_PEM_MAX 4096

evote_err_t evote_pubkey_write_pem(const char *path, const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    BIO *mem = NULL;
    char *pem = NULL;
    long pem_len;

    ENSURE(path != NULL && pk != NULL, EVOTE_ERR_ARG, "pubkey write: bad argument");
    GUARD(evote_point_check(pk));
    ALLOC_GUARD(bld = OSSL_PARAM_BLD_new());
    OSSL_GUARD(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                               "prime256v1", 0));
    OSSL_GUARD(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pk,
                                                EVOTE_POINT_LEN));
    ALLOC_GUARD(params = OSSL_PARAM_BLD_to_param(bld));
    ALLOC_GUARD(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL));
    OSSL_GUARD(EVP_PKEY_fromdata_init(ctx));
    OSSL_GUARD(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params));
    ALLOC_GUARD(mem = BIO_new(BIO_s_mem()));
    OSSL_GUARD(PEM_write_bio_PUBKEY(mem, key));
    pem_len = BIO_get_mem_data(mem, &pem);
    ENSURE(pem_len > 0, EVOTE_ERR_CRYPTO, "PEM encoding is empty");
    GUARD(evote_write_file_atomic(path, pem, (size_t)pem_len, false, false));
out:
    BIO_free(mem);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return ret;
}

evote_err_t evote_pubkey_read_pem(const char *path, uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0, got = 0;
    BIO *mem = NULL;
    EVP_PKEY *key = NULL;
    char group[64] = "";
    uint8_t raw[65];
    EC_POINT *pt = NULL;

    ENSURE(path != NULL && pk != NULL, EVOTE_ERR_ARG, "pubkey read: bad argument");
    memset(pk, 0, EVOTE_POINT_LEN);
    GUARD(evote_read_file(path, PUBKEY_PEM_MAX, &data, &len));
    ALLOC_GUARD(mem = BIO_new_mem_buf(data, (int)len));
    key = PEM_read_bio_PUBKEY(mem, NULL, NULL, NULL);
    ENSURE(key != NULL, EVOTE_ERR_FORMAT, "%s: not a PEM public key", path);
    ENSURE(EVP_PKEY_is_a(key, "EC"), EVOTE_ERR_FORMAT, "%s: not an EC key", path);
    ENSURE(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                          sizeof(group), NULL) == 1 &&
               strcmp(group, "prime256v1") == 0,
           EVOTE_ERR_FORMAT, "%s: key is not on P-256 (%s)", path, group);
    /* OpenSSL 3.0 ignores a requested conversion format here and returns
     * whatever the file held (usually 65-byte uncompressed): re-encode. */
    ENSURE(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw,
                                           sizeof(raw), &got) == 1,
           EVOTE_ERR_FORMAT, "%s: cannot read the public point", path);
    ALLOC_GUARD(pt = EC_POINT_new(evote_ec_group()));
    ENSURE(EC_POINT_oct2point(evote_ec_group(), pt, raw, got, NULL) == 1, EVOTE_ERR_FORMAT,
           "%s: public point is not on P-256", path);
    GUARD(evote_ec_encode(pk, pt, NULL));
    ret = evote_point_check(pk);
out:
    if (ret != EVOTE_OK && pk != NULL)
        memset(pk, 0, EVOTE_POINT_LEN);
    BIO_free(mem);
    EVP_PKEY_free(key);
    EC_POINT_free(pt);
    free(data);
    return ret;
}
