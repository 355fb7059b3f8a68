/*
 * libevote — CMS signing with a key on a PKCS#11 token through libp11.
 *
 * Part of the lib/hsm* module: this file and lib/hsm.c are the only places
 * that talk to a PKCS#11 module. libp11 turns the token key into an
 * EVP_PKEY whose private operations run on the token, so OpenSSL's CMS code
 * can sign with it as with any other key.
 */
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "evote/cms.h"
#include "evote/signer.h"
#include "internal.h"

#define PIN_MAX 256
#define CERT_PEM_MAX (64 * 1024)

/* PKCS#11 return values that libp11 leaves in the OpenSSL error queue. */
#define P11_CKR_PIN_INCORRECT 0xA0UL
#define P11_CKR_PIN_LOCKED 0xA4UL

struct key_ref {
    const char *label; /* libp11's, valid until the next enumeration */
    unsigned int index;
};

struct evote_signer {
    PKCS11_CTX *ctx;      /* NULL for a software key */
    PKCS11_SLOT *slots;
    unsigned int nslots;
    int logged_in;
    PKCS11_SLOT *slot;    /* borrowed from slots */
    /* The token's private keys by label, from one libp11 enumeration
     * (libp11 lists the whole token, attributes and all, on each call):
     * switching keys looks up here and enumerates again only on a miss. */
    PKCS11_KEY *keys;     /* libp11's listing (owned by the token) */
    struct key_ref *by_label;
    unsigned int nby_label;
    EVP_PKEY *key;
    X509 *cert;
    uint8_t *cert_der;
    size_t cert_der_len;
};

static int cmp_key_ref(const void *a, const void *b) {
    const struct key_ref *x = a, *y = b;
    int c = strcmp(x->label, y->label);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* (Re)list the token's private keys and sort them by label; on equal
 * labels the first enumerated comes first, as a linear search found it. */
static evote_err_t index_keys(evote_signer_t *s) {
    evote_err_t ret = EVOTE_OK;
    unsigned int nkeys = 0, n = 0;
    struct key_ref *refs = NULL;

    PKCS11_KEY *keys = NULL;

    free(s->by_label);
    s->by_label = NULL;
    s->nby_label = 0;
    s->keys = NULL;
    ENSURE(PKCS11_enumerate_keys(s->slot->token, &keys, &nkeys) == 0, EVOTE_ERR_PKCS11,
           "cannot list the keys of token '%s'", s->slot->token->label);
    if (nkeys > 0)
        ALLOC_GUARD(refs = calloc(nkeys, sizeof(*refs)));
    for (unsigned int i = 0; i < nkeys; i++)
        if (keys[i].isPrivate && keys[i].label != NULL) {
            refs[n].label = keys[i].label;
            refs[n].index = i;
            n++;
        }
    if (n > 1)
        qsort(refs, n, sizeof(*refs), cmp_key_ref);
    s->keys = keys;
    s->by_label = refs;
    s->nby_label = n;
    refs = NULL;
out:
    free(refs);
    return ret;
}

/* The first enumerated private key labelled label, or NULL. */
static PKCS11_KEY *lookup_key(const evote_signer_t *s, const char *label) {
    size_t lo = 0, hi = s->nby_label;
    while (lo < hi) { /* lower bound */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->by_label[mid].label, label) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->nby_label && strcmp(s->by_label[lo].label, label) == 0)
        return &s->keys[s->by_label[lo].index];
    return NULL;
}

static const char *module_or_default(const char *m) {
    if (m != NULL && m[0] != '\0')
        return m;
    const char *env = getenv("EVOTE_PKCS11_MODULE");
    if (env != NULL && env[0] != '\0')
        return env;
    return EVOTE_DEFAULT_PKCS11_MODULE;
}

static evote_err_t load_cert_pem(const char *path, X509 **out) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    BIO *bio = NULL;

    *out = NULL;
    GUARD(evote_read_file(path, CERT_PEM_MAX, &data, &len));
    ALLOC_GUARD(bio = BIO_new_mem_buf(data, (int)len));
    *out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    ENSURE(*out != NULL, EVOTE_ERR_FORMAT, "%s: not a PEM certificate", path);
out:
    ERR_clear_error();
    BIO_free(bio);
    free(data);
    return ret;
}

/* Cache the DER and check that the certificate belongs to the key. */
static evote_err_t bind_cert(evote_signer_t *s) {
    evote_err_t ret = EVOTE_OK;
    unsigned char *der = NULL;
    EVP_PKEY *certkey = X509_get0_pubkey(s->cert);

    ENSURE(certkey != NULL, EVOTE_ERR_FORMAT, "certificate has no usable public key");
    ENSURE(EVP_PKEY_eq(certkey, s->key) == 1, EVOTE_ERR_KEY_MISMATCH,
           "certificate does not belong to the signing key");
    int n = i2d_X509(s->cert, &der);
    ENSURE(n > 0, EVOTE_ERR_CRYPTO, "cannot encode certificate");
    s->cert_der = der;
    s->cert_der_len = (size_t)n;
out:
    ERR_clear_error();
    return ret;
}

static evote_err_t login_error(void) {
    unsigned long e = ERR_peek_last_error();
    unsigned long reason = ERR_GET_REASON(e);
    ERR_clear_error();
    if (reason == P11_CKR_PIN_INCORRECT)
        return evote_fail(EVOTE_ERR_PIN_INCORRECT, "token login refused the PIN");
    if (reason == P11_CKR_PIN_LOCKED)
        return evote_fail(EVOTE_ERR_PIN_LOCKED, "token PIN is locked");
    return evote_fail(EVOTE_ERR_PKCS11, "token login failed (CKR 0x%lx)", reason);
}

static PKCS11_CERT *find_cert(PKCS11_TOKEN *tok, const PKCS11_KEY *key) {
    PKCS11_CERT *certs = NULL;
    unsigned int n = 0;
    if (PKCS11_enumerate_certs(tok, &certs, &n) != 0)
        return NULL;
    for (unsigned int i = 0; i < n; i++)
        if (key->id_len > 0 && certs[i].id_len == key->id_len &&
            memcmp(certs[i].id, key->id, key->id_len) == 0)
            return &certs[i];
    for (unsigned int i = 0; i < n; i++)
        if (key->label != NULL && certs[i].label != NULL &&
            strcmp(certs[i].label, key->label) == 0)
            return &certs[i];
    return NULL;
}

/*
 * Make the private key labelled key_label the signing key, with its
 * certificate from cert_pem_path or the token. The signer is unchanged on
 * failure.
 */
static evote_err_t select_key(evote_signer_t *s, const char *key_label,
                              const char *cert_pem_path) {
    evote_err_t ret = EVOTE_OK;
    PKCS11_KEY *key = NULL;
    evote_signer_t t;

    memset(&t, 0, sizeof(t));
    if (s->keys != NULL)
        key = lookup_key(s, key_label);
    if (key == NULL) { /* first use, or a key added since: list again */
        GUARD(index_keys(s));
        key = lookup_key(s, key_label);
    }
    ENSURE(key != NULL, EVOTE_ERR_KEY_NOT_FOUND, "no private key labelled '%s' on '%s'",
           key_label, s->slot->token->label);
    t.key = PKCS11_get_private_key(key);
    ENSURE(t.key != NULL, EVOTE_ERR_PKCS11, "cannot use key '%s'", key_label);
    if (cert_pem_path != NULL) {
        GUARD(load_cert_pem(cert_pem_path, &t.cert));
    } else {
        PKCS11_CERT *c = find_cert(s->slot->token, key);
        ENSURE(c != NULL && c->x509 != NULL, EVOTE_ERR_NOT_FOUND,
               "no certificate for key '%s' on '%s' (give one with a PEM file)", key_label,
               s->slot->token->label);
        ALLOC_GUARD(t.cert = X509_dup(c->x509));
    }
    GUARD(bind_cert(&t));
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    OPENSSL_free(s->cert_der);
    s->key = t.key;
    s->cert = t.cert;
    s->cert_der = t.cert_der;
    s->cert_der_len = t.cert_der_len;
    memset(&t, 0, sizeof(t));
out:
    ERR_clear_error();
    EVP_PKEY_free(t.key);
    X509_free(t.cert);
    OPENSSL_free(t.cert_der);
    return ret;
}

evote_err_t evote_signer_select_key(evote_signer_t *s, const char *key_label,
                                    const char *cert_pem_path) {
    if (s == NULL || key_label == NULL || s->ctx == NULL || s->slot == NULL)
        return evote_fail(EVOTE_ERR_ARG, "select key: not a token signer");
    return select_key(s, key_label, cert_pem_path);
}

evote_err_t evote_signer_select_token(evote_signer_t *s, const char *token_label,
                                      const char *pin, size_t pin_len, const char *key_label,
                                      const char *cert_pem_path) {
    evote_err_t ret = EVOTE_OK;
    char pinbuf[PIN_MAX + 1];
    PKCS11_SLOT *old_slot = NULL, *slot = NULL;
    PKCS11_KEY *old_keys = NULL;
    struct key_ref *old_refs = NULL;
    unsigned int old_n = 0;
    bool switched = false, logged_in = false;

    memset(pinbuf, 0, sizeof(pinbuf));
    ENSURE(s != NULL && s->ctx != NULL && s->slot != NULL, EVOTE_ERR_ARG,
           "select token: not a token signer");
    ENSURE(token_label != NULL && key_label != NULL && (pin != NULL || pin_len == 0),
           EVOTE_ERR_ARG, "select token: bad argument");
    ENSURE(pin_len <= PIN_MAX, EVOTE_ERR_ARG, "PIN longer than %d bytes", PIN_MAX);
    ENSURE(pin_len == 0 || memchr(pin, 0, pin_len) == NULL, EVOTE_ERR_ARG,
           "PIN contains a NUL byte");
    for (unsigned int i = 0; i < s->nslots; i++) {
        PKCS11_TOKEN *t = s->slots[i].token;
        if (t != NULL && t->initialized && t->label != NULL &&
            strcmp(t->label, token_label) == 0) {
            slot = &s->slots[i];
            break;
        }
    }
    ENSURE(slot != NULL, EVOTE_ERR_TOKEN_NOT_FOUND,
           "no token labelled '%s' (the module's slots as listed when the signer opened)",
           token_label);
    if (slot == s->slot) {
        ret = select_key(s, key_label, cert_pem_path);
        goto out;
    }
    ENSURE(PKCS11_open_session(slot, 0) == 0, EVOTE_ERR_PKCS11,
           "cannot open a session on token '%s'", token_label);
    if (pin_len > 0)
        memcpy(pinbuf, pin, pin_len);
    if (PKCS11_login(slot, 0, pinbuf) != 0) {
        ret = login_error();
        goto out;
    }
    logged_in = true;
    /* select on the new token; the old one's listing comes back on failure */
    old_slot = s->slot;
    old_keys = s->keys;
    old_refs = s->by_label;
    old_n = s->nby_label;
    s->slot = slot;
    s->keys = NULL;
    s->by_label = NULL;
    s->nby_label = 0;
    switched = true;
    GUARD(select_key(s, key_label, cert_pem_path));
    PKCS11_logout(old_slot);
    free(old_refs);
    old_refs = NULL;
    switched = false;
    logged_in = false;
out:
    if (switched) {
        free(s->by_label);
        s->slot = old_slot;
        s->keys = old_keys;
        s->by_label = old_refs;
        s->nby_label = old_n;
    }
    if (logged_in)
        PKCS11_logout(slot);
    ERR_clear_error();
    evote_wipe(pinbuf, sizeof(pinbuf));
    return ret;
}

evote_err_t evote_signer_open(evote_signer_t **out, const char *module_path,
                              const char *token_label, const char *pin,
                              size_t pin_len, const char *key_label,
                              const char *cert_pem_path) {
    evote_err_t ret = EVOTE_OK;
    evote_signer_t *s = NULL;
    char pinbuf[PIN_MAX + 1];
    const char *module = module_or_default(module_path);

    memset(pinbuf, 0, sizeof(pinbuf));
    ENSURE(out != NULL && token_label != NULL && key_label != NULL &&
               (pin != NULL || pin_len == 0),
           EVOTE_ERR_ARG, "signer open: bad argument");
    *out = NULL;
    ENSURE(pin_len <= PIN_MAX, EVOTE_ERR_ARG, "PIN longer than %d bytes", PIN_MAX);
    ENSURE(memchr(pin, 0, pin_len) == NULL, EVOTE_ERR_ARG, "PIN contains a NUL byte");
    ALLOC_GUARD(s = calloc(1, sizeof(*s)));
    ALLOC_GUARD(s->ctx = PKCS11_CTX_new());
    if (PKCS11_CTX_load(s->ctx, module) != 0) {
        PKCS11_CTX_free(s->ctx);
        s->ctx = NULL;
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_MODULE_LOAD, "cannot load PKCS#11 module %s", module);
        goto out;
    }
    ENSURE(PKCS11_enumerate_slots(s->ctx, &s->slots, &s->nslots) == 0,
           EVOTE_ERR_PKCS11, "cannot list the slots of %s", module);
    for (unsigned int i = 0; i < s->nslots; i++) {
        PKCS11_TOKEN *t = s->slots[i].token;
        if (t != NULL && t->initialized && t->label != NULL &&
            strcmp(t->label, token_label) == 0) {
            s->slot = &s->slots[i];
            break;
        }
    }
    ENSURE(s->slot != NULL, EVOTE_ERR_TOKEN_NOT_FOUND, "no token labelled '%s'",
           token_label);
    ENSURE(PKCS11_open_session(s->slot, 0) == 0, EVOTE_ERR_PKCS11,
           "cannot open a session on token '%s'", token_label);
    memcpy(pinbuf, pin, pin_len);
    if (PKCS11_login(s->slot, 0, pinbuf) != 0) {
        ret = login_error();
        goto out;
    }
    s->logged_in = 1;
    GUARD(select_key(s, key_label, cert_pem_path));
    *out = s;
    s = NULL;
out:
    ERR_clear_error();
    evote_wipe(pinbuf, sizeof(pinbuf));
    evote_signer_free(s);
    return ret;
}

evote_err_t evote_signer_open_pem(evote_signer_t **out, const char *key_pem_path,
                                  const char *cert_pem_path) {
    evote_err_t ret = EVOTE_OK;
    evote_signer_t *s = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    BIO *bio = NULL;

    ENSURE(out != NULL && key_pem_path != NULL && cert_pem_path != NULL,
           EVOTE_ERR_ARG, "signer open: bad argument");
    *out = NULL;
    ALLOC_GUARD(s = calloc(1, sizeof(*s)));
    GUARD(evote_read_file(key_pem_path, CERT_PEM_MAX, &data, &len));
    ALLOC_GUARD(bio = BIO_new_mem_buf(data, (int)len));
    s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    ENSURE(s->key != NULL, EVOTE_ERR_FORMAT, "%s: not a PEM private key", key_pem_path);
    GUARD(load_cert_pem(cert_pem_path, &s->cert));
    GUARD(bind_cert(s));
    *out = s;
    s = NULL;
out:
    ERR_clear_error();
    BIO_free(bio);
    if (data != NULL) {
        evote_wipe(data, len);
        free(data);
    }
    evote_signer_free(s);
    return ret;
}

void evote_signer_free(evote_signer_t *s) {
    if (s == NULL)
        return;
    /* The key refers to the slot: free it before the slots go. */
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    OPENSSL_free(s->cert_der);
    free(s->by_label);
    if (s->ctx != NULL) {
        if (s->logged_in && s->slot != NULL)
            PKCS11_logout(s->slot);
        if (s->slots != NULL)
            PKCS11_release_all_slots(s->ctx, s->slots, s->nslots);
        PKCS11_CTX_unload(s->ctx);
        PKCS11_CTX_free(s->ctx);
    }
    ERR_clear_error();
    evote_wipe(s, sizeof(*s));
    free(s);
}

evote_err_t evote_signer_sign_cms(evote_signer_t *s, const uint8_t *data, size_t len,
                                  bool detached, uint8_t **der, size_t *der_len) {
    evote_err_t ret = EVOTE_OK;
    BIO *in = NULL;
    CMS_ContentInfo *cms = NULL;
    unsigned char *buf = NULL;
    unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;

    if (der != NULL)
        *der = NULL;
    if (der_len != NULL)
        *der_len = 0;
    ENSURE(s != NULL && (data != NULL || len == 0) && der != NULL && der_len != NULL,
           EVOTE_ERR_ARG, "sign: bad argument");
    ENSURE(len <= EVOTE_SIGN_MAX, EVOTE_ERR_TOO_LARGE, "sign: %zu bytes is too much",
           len);
    if (detached)
        flags |= CMS_DETACHED;
    ALLOC_GUARD(in = BIO_new_mem_buf(data != NULL ? data : (const uint8_t *)"", (int)len));
    cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    ENSURE(cms != NULL, EVOTE_ERR_CRYPTO, "CMS_sign failed");
    if (CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags) == NULL) {
        ret = evote_fail_ossl(EVOTE_ERR_CRYPTO, "CMS signer (token signature)");
        goto out;
    }
    if (CMS_final(cms, in, NULL, flags) != 1) {
        ret = evote_fail_ossl(EVOTE_ERR_CRYPTO, "CMS signature on the token");
        goto out;
    }
    int n = i2d_CMS_ContentInfo(cms, NULL);
    ENSURE(n > 0, EVOTE_ERR_CRYPTO, "CMS encoding failed");
    ALLOC_GUARD(buf = malloc((size_t)n));
    unsigned char *p = buf;
    ENSURE(i2d_CMS_ContentInfo(cms, &p) == n, EVOTE_ERR_CRYPTO, "CMS encoding failed");
    *der = buf;
    *der_len = (size_t)n;
    buf = NULL;
out:
    ERR_clear_error();
    free(buf);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return ret;
}

const uint8_t *evote_signer_cert_der(const evote_signer_t *s, size_t *len) {
    if (s == NULL) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = s->cert_der_len;
    return s->cert_der;
}
