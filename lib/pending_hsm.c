/*
 * libevote — STAND-IN for the hsm branch (evote_hsm_* of include/evote/hsm.h).
 *
 * The ceremony branch needs a working token to test trustees' partial
 * decryptions and observer confirmation before the hsm engineer's lib/hsm.c
 * lands. This file implements just the declared API, minimally (raw PKCS#11
 * through p11-kit's header, a small session pool). DELETE THIS FILE when
 * merging the hsm branch: its symbols duplicate lib/hsm.c's on purpose, so a
 * forgotten copy fails at link time rather than silently shadowing.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <p11-kit/pkcs11.h>

#include "evote/hsm.h"
#include "internal.h"

struct evote_hsm {
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE *sess;
    int *busy;
    unsigned nsess;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    CK_OBJECT_HANDLE priv;
    int have_key;
    uint8_t pub[EVOTE_POINT_LEN];
};

const char *evote_hsm_default_module(void) {
    const char *m = getenv("EVOTE_PKCS11_MODULE");
    return (m != NULL && m[0] != '\0') ? m : EVOTE_DEFAULT_PKCS11_MODULE;
}

static evote_err_t p11_err(CK_RV rv, const char *what) {
    switch (rv) {
    case CKR_PIN_INCORRECT:
        return evote_fail(EVOTE_ERR_PIN_INCORRECT, "%s: CKR_PIN_INCORRECT", what);
    case CKR_PIN_LOCKED:
        return evote_fail(EVOTE_ERR_PIN_LOCKED, "%s: CKR_PIN_LOCKED", what);
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
        return evote_fail(EVOTE_ERR_TOKEN_REMOVED, "%s: CK_RV 0x%lx", what,
                          (unsigned long)rv);
    case CKR_USER_NOT_LOGGED_IN:
        return evote_fail(EVOTE_ERR_NOT_LOGGED_IN, "%s", what);
    default:
        return evote_fail(EVOTE_ERR_PKCS11, "%s: CK_RV 0x%lx", what,
                          (unsigned long)rv);
    }
}

#define P11_GUARD(expr, what)                                                  \
    do {                                                                       \
        CK_RV rv_ = (expr);                                                    \
        if (rv_ != CKR_OK) {                                                   \
            ret = p11_err(rv_, (what));                                        \
            goto out;                                                          \
        }                                                                      \
    } while (0)

static void trim_label(char out[33], const CK_UTF8CHAR in[32]) {
    memcpy(out, in, 32);
    out[32] = '\0';
    for (int i = 31; i >= 0 && out[i] == ' '; i--)
        out[i] = '\0';
}

evote_err_t evote_hsm_open(evote_hsm_t **out, const char *module_path,
                           const char *token_label, const char *pin,
                           size_t pin_len, unsigned nsessions) {
    evote_err_t ret = EVOTE_OK;
    evote_hsm_t *h = NULL;
    CK_SLOT_ID *slots = NULL;
    CK_ULONG nslots = 0;
    int found = 0;

    ENSURE(out != NULL && token_label != NULL && pin != NULL, EVOTE_ERR_ARG,
           "hsm open: bad argument");
    *out = NULL;
    if (module_path == NULL)
        module_path = evote_hsm_default_module();
    ALLOC_GUARD(h = calloc(1, sizeof(*h)));
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    ENSURE(h->dl != NULL, EVOTE_ERR_MODULE_LOAD, "%s", dlerror());
    CK_C_GetFunctionList gfl =
        (CK_C_GetFunctionList)(uintptr_t)dlsym(h->dl, "C_GetFunctionList");
    ENSURE(gfl != NULL, EVOTE_ERR_MODULE_LOAD, "no C_GetFunctionList in %s",
           module_path);
    ENSURE(gfl(&h->f) == CKR_OK, EVOTE_ERR_MODULE_LOAD, "C_GetFunctionList");
    CK_C_INITIALIZE_ARGS ia = {0};
    ia.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = h->f->C_Initialize(&ia);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        h->f = NULL;
        ret = evote_fail(EVOTE_ERR_MODULE_LOAD, "C_Initialize: 0x%lx",
                         (unsigned long)rv);
        goto out;
    }
    P11_GUARD(h->f->C_GetSlotList(CK_TRUE, NULL, &nslots), "C_GetSlotList");
    ALLOC_GUARD(slots = calloc(nslots + 1, sizeof(*slots)));
    P11_GUARD(h->f->C_GetSlotList(CK_TRUE, slots, &nslots), "C_GetSlotList");
    for (CK_ULONG i = 0; i < nslots && !found; i++) {
        CK_TOKEN_INFO ti;
        char lbl[33];
        if (h->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
            continue;
        trim_label(lbl, ti.label);
        if (strcmp(lbl, token_label) == 0) {
            h->slot = slots[i];
            found = 1;
            if (ti.flags & CKF_USER_PIN_LOCKED) {
                ret = evote_fail(EVOTE_ERR_PIN_LOCKED,
                                 "token \"%s\": user PIN is locked", token_label);
                goto out;
            }
        }
    }
    ENSURE(found, EVOTE_ERR_TOKEN_NOT_FOUND, "no token labelled \"%s\"",
           token_label);
    if (nsessions == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nsessions = c > 0 ? (unsigned)c : 1;
    }
    ALLOC_GUARD(h->sess = calloc(nsessions, sizeof(*h->sess)));
    ALLOC_GUARD(h->busy = calloc(nsessions, sizeof(*h->busy)));
    for (unsigned i = 0; i < nsessions; i++) {
        P11_GUARD(h->f->C_OpenSession(h->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                      NULL, NULL, &h->sess[i]),
                  "C_OpenSession");
        h->nsess++;
    }
    P11_GUARD(h->f->C_Login(h->sess[0], CKU_USER, (CK_UTF8CHAR_PTR)pin,
                            (CK_ULONG)pin_len),
              "C_Login");
    *out = h;
    h = NULL;
out:
    free(slots);
    evote_hsm_free(h);
    return ret;
}

void evote_hsm_free(evote_hsm_t *h) {
    if (h == NULL)
        return;
    if (h->f != NULL) {
        if (h->nsess > 0)
            h->f->C_Logout(h->sess[0]);
        for (unsigned i = 0; i < h->nsess; i++)
            h->f->C_CloseSession(h->sess[i]);
        h->f->C_Finalize(NULL);
    }
    if (h->dl != NULL)
        dlclose(h->dl);
    free(h->sess);
    free(h->busy);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    OPENSSL_cleanse(h, sizeof(*h));
    free(h);
}

static unsigned sess_take(evote_hsm_t *h) {
    pthread_mutex_lock(&h->mu);
    for (;;) {
        for (unsigned i = 0; i < h->nsess; i++)
            if (!h->busy[i]) {
                h->busy[i] = 1;
                pthread_mutex_unlock(&h->mu);
                return i;
            }
        pthread_cond_wait(&h->cv, &h->mu);
    }
}

static void sess_give(evote_hsm_t *h, unsigned i) {
    pthread_mutex_lock(&h->mu);
    h->busy[i] = 0;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* DER OCTET STRING of the uncompressed point, as CKA_EC_POINT holds it. */
static const uint8_t P256_OID[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};

static evote_err_t find_key(evote_hsm_t *h, CK_SESSION_HANDLE s, const char *label,
                            CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *obj, int *n) {
    evote_err_t ret = EVOTE_OK;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                        {CKA_LABEL, (void *)label, strlen(label)}};
    CK_ULONG cnt = 0;
    P11_GUARD(h->f->C_FindObjectsInit(s, t, 2), "C_FindObjectsInit");
    CK_RV rv = h->f->C_FindObjects(s, obj, 1, &cnt);
    h->f->C_FindObjectsFinal(s);
    P11_GUARD(rv, "C_FindObjects");
    *n = (int)cnt;
out:
    return ret;
}

static evote_err_t read_pub(evote_hsm_t *h, CK_SESSION_HANDLE s,
                            CK_OBJECT_HANDLE pubobj, uint8_t pub[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t der[80];
    CK_ATTRIBUTE a = {CKA_EC_POINT, der, sizeof(der)};
    EC_POINT *p = NULL;
    P11_GUARD(h->f->C_GetAttributeValue(s, pubobj, &a, 1), "CKA_EC_POINT");
    ENSURE(a.ulValueLen == 67 && der[0] == 0x04 && der[1] == 65 && der[2] == 0x04,
           EVOTE_ERR_PKCS11, "unexpected CKA_EC_POINT encoding");
    ALLOC_GUARD(p = EC_POINT_new(evote_ec_group()));
    OSSL_GUARD(EC_POINT_oct2point(evote_ec_group(), p, der + 2, 65, NULL));
    GUARD(evote_ec_encode(pub, p, NULL));
out:
    EC_POINT_free(p);
    return ret;
}

evote_err_t evote_hsm_keygen(evote_hsm_t *h, const char *key_label,
                             uint8_t pub[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    CK_OBJECT_HANDLE pk = 0, sk = 0;
    int n = 0;
    ENSURE(h != NULL && key_label != NULL && pub != NULL, EVOTE_ERR_ARG,
           "keygen: bad argument");
    CK_SESSION_HANDLE s = h->sess[0];
    GUARD(find_key(h, s, key_label, CKO_PRIVATE_KEY, &sk, &n));
    ENSURE(n == 0, EVOTE_ERR_KEY_EXISTS, "key \"%s\" exists", key_label);
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pubt[] = {{CKA_EC_PARAMS, (void *)P256_OID, sizeof(P256_OID)},
                           {CKA_TOKEN, &t, 1},
                           {CKA_DERIVE, &t, 1},
                           {CKA_LABEL, (void *)key_label, strlen(key_label)}};
    CK_ATTRIBUTE privt[] = {{CKA_TOKEN, &t, 1},     {CKA_PRIVATE, &t, 1},
                            {CKA_SENSITIVE, &t, 1}, {CKA_EXTRACTABLE, &f, 1},
                            {CKA_DERIVE, &t, 1},    {CKA_SIGN, &f, 1},
                            {CKA_DECRYPT, &f, 1},
                            {CKA_LABEL, (void *)key_label, strlen(key_label)}};
    P11_GUARD(h->f->C_GenerateKeyPair(s, &mech, pubt, 4, privt, 8, &pk, &sk),
              "C_GenerateKeyPair");
    GUARD(read_pub(h, s, pk, pub));
    memcpy(h->pub, pub, EVOTE_POINT_LEN);
    h->priv = sk;
    h->have_key = 1;
out:
    return ret;
}

evote_err_t evote_hsm_select_key(evote_hsm_t *h, const char *key_label,
                                 uint8_t pub[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    CK_OBJECT_HANDLE pk = 0, sk = 0;
    int n = 0;
    ENSURE(h != NULL && key_label != NULL && pub != NULL, EVOTE_ERR_ARG,
           "select key: bad argument");
    CK_SESSION_HANDLE s = h->sess[0];
    GUARD(find_key(h, s, key_label, CKO_PRIVATE_KEY, &sk, &n));
    ENSURE(n == 1, EVOTE_ERR_KEY_NOT_FOUND, "no private key \"%s\"", key_label);
    GUARD(find_key(h, s, key_label, CKO_PUBLIC_KEY, &pk, &n));
    ENSURE(n == 1, EVOTE_ERR_KEY_NOT_FOUND, "no public key \"%s\"", key_label);
    CK_BBOOL sens = 0, extr = 1, der = 0;
    CK_ATTRIBUTE a[] = {{CKA_SENSITIVE, &sens, 1},
                        {CKA_EXTRACTABLE, &extr, 1},
                        {CKA_DERIVE, &der, 1}};
    P11_GUARD(h->f->C_GetAttributeValue(s, sk, a, 3), "key attributes");
    ENSURE(sens && !extr && der, EVOTE_ERR_KEY_POLICY,
           "key \"%s\" must be sensitive, non-extractable, derive", key_label);
    GUARD(read_pub(h, s, pk, pub));
    memcpy(h->pub, pub, EVOTE_POINT_LEN);
    h->priv = sk;
    h->have_key = 1;
out:
    return ret;
}

evote_err_t evote_hsm_key_attrs(evote_hsm_t *h, evote_hsm_key_attrs_t *o) {
    return evote_fail(EVOTE_ERR_INTERNAL, "stand-in: key_attrs not implemented");
}

evote_err_t evote_hsm_derive_x(evote_hsm_t *h, const uint8_t point[EVOTE_POINT_LEN],
                               uint8_t x_out[32]) {
    evote_err_t ret = EVOTE_OK;
    EC_POINT *p = NULL;
    uint8_t unc[65];
    unsigned si = 0;
    int took = 0;
    CK_OBJECT_HANDLE dk = 0;
    ENSURE(h != NULL && point != NULL && x_out != NULL && h->have_key,
           EVOTE_ERR_ARG, "derive: bad argument or no key selected");
    memset(x_out, 0, 32);
    ALLOC_GUARD(p = EC_POINT_new(evote_ec_group()));
    GUARD(evote_ec_decode(p, point, NULL));
    GUARD(evote_ec_encode_uncompressed(unc, p, NULL));
    CK_ECDH1_DERIVE_PARAMS prm = {CKD_NULL, 0, NULL, sizeof(unc), unc};
    CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &prm, sizeof(prm)};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_ULONG vlen = 32;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
                           {CKA_KEY_TYPE, &kt, sizeof(kt)},
                           {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
                           {CKA_TOKEN, &f, 1},
                           {CKA_SENSITIVE, &f, 1},
                           {CKA_EXTRACTABLE, &t, 1}};
    si = sess_take(h);
    took = 1;
    P11_GUARD(h->f->C_DeriveKey(h->sess[si], &mech, h->priv, tmpl, 6, &dk),
              "C_DeriveKey");
    CK_ATTRIBUTE v = {CKA_VALUE, x_out, 32};
    CK_RV rv = h->f->C_GetAttributeValue(h->sess[si], dk, &v, 1);
    h->f->C_DestroyObject(h->sess[si], dk);
    P11_GUARD(rv, "derived value");
    ENSURE(v.ulValueLen == 32, EVOTE_ERR_PKCS11, "derived value has %lu bytes",
           (unsigned long)v.ulValueLen);
out:
    if (took)
        sess_give(h, si);
    if (ret != EVOTE_OK && x_out != NULL)
        memset(x_out, 0, 32);
    EC_POINT_free(p);
    return ret;
}

evote_err_t evote_hsm_derive_lift(evote_hsm_t *h, const uint8_t point[EVOTE_POINT_LEN],
                                  uint8_t out_even[EVOTE_POINT_LEN],
                                  uint8_t out_odd[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t x[32];
    GUARD(evote_hsm_derive_x(h, point, x));
    out_even[0] = 0x02;
    out_odd[0] = 0x03;
    memcpy(out_even + 1, x, 32);
    memcpy(out_odd + 1, x, 32);
    GUARD(evote_point_check(out_even));
out:
    evote_wipe(x, sizeof(x));
    return ret;
}
