/*
 * libevote — PKCS#11: module loading, token discovery, login, the session
 * pool, election key generation/selection and CKM_ECDH1_DERIVE.
 *
 * Every PKCS#11 call of the library lives in lib/hsm*.c. The module is
 * loaded with dlopen and initialised once per process however many handles
 * use it (C_Initialize/C_Finalize are process-wide in PKCS#11), so a
 * registry counts its users.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hsm_internal.h"

#ifndef EVOTE_DEFAULT_PKCS11_MODULE
#define EVOTE_DEFAULT_PKCS11_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#endif

#define MAX_SESSIONS 256
#define MAX_SLOTS 1024
#define MAX_PIN_LEN 255
#define MAX_KEY_LABEL 128
#define KEY_ID_LEN 16
#define TOKEN_LABEL_LEN 32

const uint8_t evote_hsm_p256_oid_der[10] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x03, 0x01, 0x07};

/* ---- CK_RV names and mapping ------------------------------------------ */

struct ckr_name {
    CK_RV rv;
    const char *name;
};
#define R(x) {x, #x}
static const struct ckr_name ckr_names[] = {
    R(CKR_OK),
    R(CKR_CANCEL),
    R(CKR_HOST_MEMORY),
    R(CKR_SLOT_ID_INVALID),
    R(CKR_GENERAL_ERROR),
    R(CKR_FUNCTION_FAILED),
    R(CKR_ARGUMENTS_BAD),
    R(CKR_NO_EVENT),
    R(CKR_NEED_TO_CREATE_THREADS),
    R(CKR_CANT_LOCK),
    R(CKR_ATTRIBUTE_READ_ONLY),
    R(CKR_ATTRIBUTE_SENSITIVE),
    R(CKR_ATTRIBUTE_TYPE_INVALID),
    R(CKR_ATTRIBUTE_VALUE_INVALID),
    R(CKR_ACTION_PROHIBITED),
    R(CKR_DATA_INVALID),
    R(CKR_DATA_LEN_RANGE),
    R(CKR_DEVICE_ERROR),
    R(CKR_DEVICE_MEMORY),
    R(CKR_DEVICE_REMOVED),
    R(CKR_ENCRYPTED_DATA_INVALID),
    R(CKR_ENCRYPTED_DATA_LEN_RANGE),
    R(CKR_FUNCTION_CANCELED),
    R(CKR_FUNCTION_NOT_PARALLEL),
    R(CKR_FUNCTION_NOT_SUPPORTED),
    R(CKR_KEY_HANDLE_INVALID),
    R(CKR_KEY_SIZE_RANGE),
    R(CKR_KEY_TYPE_INCONSISTENT),
    R(CKR_KEY_NOT_NEEDED),
    R(CKR_KEY_CHANGED),
    R(CKR_KEY_NEEDED),
    R(CKR_KEY_INDIGESTIBLE),
    R(CKR_KEY_FUNCTION_NOT_PERMITTED),
    R(CKR_KEY_NOT_WRAPPABLE),
    R(CKR_KEY_UNEXTRACTABLE),
    R(CKR_MECHANISM_INVALID),
    R(CKR_MECHANISM_PARAM_INVALID),
    R(CKR_OBJECT_HANDLE_INVALID),
    R(CKR_OPERATION_ACTIVE),
    R(CKR_OPERATION_NOT_INITIALIZED),
    R(CKR_PIN_INCORRECT),
    R(CKR_PIN_INVALID),
    R(CKR_PIN_LEN_RANGE),
    R(CKR_PIN_EXPIRED),
    R(CKR_PIN_LOCKED),
    R(CKR_SESSION_CLOSED),
    R(CKR_SESSION_COUNT),
    R(CKR_SESSION_HANDLE_INVALID),
    R(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
    R(CKR_SESSION_READ_ONLY),
    R(CKR_SESSION_EXISTS),
    R(CKR_SESSION_READ_ONLY_EXISTS),
    R(CKR_SESSION_READ_WRITE_SO_EXISTS),
    R(CKR_SIGNATURE_INVALID),
    R(CKR_SIGNATURE_LEN_RANGE),
    R(CKR_TEMPLATE_INCOMPLETE),
    R(CKR_TEMPLATE_INCONSISTENT),
    R(CKR_TOKEN_NOT_PRESENT),
    R(CKR_TOKEN_NOT_RECOGNIZED),
    R(CKR_TOKEN_WRITE_PROTECTED),
    R(CKR_UNWRAPPING_KEY_SIZE_RANGE),
    R(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
    R(CKR_USER_ALREADY_LOGGED_IN),
    R(CKR_USER_NOT_LOGGED_IN),
    R(CKR_USER_PIN_NOT_INITIALIZED),
    R(CKR_USER_TYPE_INVALID),
    R(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    R(CKR_USER_TOO_MANY_TYPES),
    R(CKR_WRAPPED_KEY_INVALID),
    R(CKR_WRAPPED_KEY_LEN_RANGE),
    R(CKR_WRAPPING_KEY_HANDLE_INVALID),
    R(CKR_WRAPPING_KEY_SIZE_RANGE),
    R(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
    R(CKR_RANDOM_SEED_NOT_SUPPORTED),
    R(CKR_RANDOM_NO_RNG),
    R(CKR_DOMAIN_PARAMS_INVALID),
    R(CKR_CURVE_NOT_SUPPORTED),
    R(CKR_BUFFER_TOO_SMALL),
    R(CKR_SAVED_STATE_INVALID),
    R(CKR_INFORMATION_SENSITIVE),
    R(CKR_STATE_UNSAVEABLE),
    R(CKR_CRYPTOKI_NOT_INITIALIZED),
    R(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    R(CKR_MUTEX_BAD),
    R(CKR_MUTEX_NOT_LOCKED),
    R(CKR_NEW_PIN_MODE),
    R(CKR_NEXT_OTP),
    R(CKR_EXCEEDED_MAX_ITERATIONS),
    R(CKR_FIPS_SELF_TEST_FAILED),
    R(CKR_LIBRARY_LOAD_FAILED),
    R(CKR_PIN_TOO_WEAK),
    R(CKR_PUBLIC_KEY_INVALID),
    R(CKR_FUNCTION_REJECTED),
};
#undef R

const char *evote_hsm_ckr_name(CK_RV rv) {
    for (size_t i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++)
        if (ckr_names[i].rv == rv)
            return ckr_names[i].name;
    return rv >= CKR_VENDOR_DEFINED ? "CKR_VENDOR_DEFINED+" : "CKR_?";
}

evote_err_t evote_hsm_ckr(CK_RV rv, const char *what) {
    evote_err_t err;
    switch (rv) {
    case CKR_PIN_INCORRECT:
        err = EVOTE_ERR_PIN_INCORRECT;
        break;
    case CKR_PIN_LOCKED:
        err = EVOTE_ERR_PIN_LOCKED;
        break;
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
        err = EVOTE_ERR_TOKEN_REMOVED;
        break;
    case CKR_USER_NOT_LOGGED_IN:
        err = EVOTE_ERR_NOT_LOGGED_IN;
        break;
    default:
        err = EVOTE_ERR_PKCS11;
        break;
    }
    return evote_fail(err, "%s: %s (0x%08lx)", what, evote_hsm_ckr_name(rv),
                      (unsigned long)rv);
}

/* ---- module registry -------------------------------------------------- */

/*
 * One entry per loaded module (keyed by the dlopen handle, which is the same
 * for every path that names the same library). logged_in lists the slots on
 * which a live evote_hsm_t holds the user login.
 */
struct p11_module {
    struct p11_module *next;
    void *dl;
    CK_FUNCTION_LIST *f;
    unsigned refs;
    bool finalize; /* we initialised it, so we finalize it */
    CK_SLOT_ID logged_in[16];
    unsigned nlogged;
};

static pthread_mutex_t g_mods_mu = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module *g_mods;

const char *evote_hsm_default_module(void) {
    const char *env = getenv("EVOTE_PKCS11_MODULE");
    if (env != NULL && env[0] != '\0')
        return env;
    return EVOTE_DEFAULT_PKCS11_MODULE;
}

static evote_err_t module_acquire(const char *path, struct p11_module **out) {
    evote_err_t ret = EVOTE_OK;
    void *dl = NULL;
    struct p11_module *m = NULL;
    CK_C_GetFunctionList getfl;
    CK_FUNCTION_LIST *f = NULL;
    CK_C_INITIALIZE_ARGS args;
    CK_RV rv;

    *out = NULL;
    pthread_mutex_lock(&g_mods_mu);
    /* RTLD_NODELETE: some modules register atexit handlers or thread keys
     * that must not outlive their code; keeping it mapped is harmless. */
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (dl == NULL) {
        const char *e = dlerror();
        ret = evote_fail(EVOTE_ERR_MODULE_LOAD, "%s", e ? e : path);
        goto out;
    }
    for (struct p11_module *e = g_mods; e != NULL; e = e->next) {
        if (e->dl == dl) {
            e->refs++;
            dlclose(dl); /* the entry keeps its own reference */
            dl = NULL;
            *out = e;
            goto out;
        }
    }
    getfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
    ENSURE(getfl != NULL, EVOTE_ERR_MODULE_LOAD,
           "%s: no C_GetFunctionList (not a PKCS#11 module)", path);
    rv = getfl(&f);
    ENSURE(rv == CKR_OK && f != NULL, EVOTE_ERR_MODULE_LOAD,
           "%s: C_GetFunctionList: %s", path, evote_hsm_ckr_name(rv));
    ENSURE(f->version.major == 2, EVOTE_ERR_MODULE_LOAD,
           "%s: Cryptoki version %u.%u is not 2.x", path, f->version.major,
           f->version.minor);
    ALLOC_GUARD(m = calloc(1, sizeof(*m)));
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK; /* we call it from several threads */
    rv = f->C_Initialize(&args);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        m->finalize = false; /* someone else in the process owns it */
    } else if (rv != CKR_OK) {
        ret = evote_fail(EVOTE_ERR_MODULE_LOAD, "%s: C_Initialize: %s (0x%08lx)", path,
                         evote_hsm_ckr_name(rv), (unsigned long)rv);
        goto out;
    } else {
        m->finalize = true;
    }
    m->dl = dl;
    m->f = f;
    m->refs = 1;
    m->next = g_mods;
    g_mods = m;
    *out = m;
    m = NULL;
    dl = NULL;
out:
    free(m);
    if (dl != NULL)
        dlclose(dl);
    pthread_mutex_unlock(&g_mods_mu);
    return ret;
}

static void module_release(struct p11_module *mod) {
    if (mod == NULL)
        return;
    pthread_mutex_lock(&g_mods_mu);
    if (--mod->refs == 0) {
        for (struct p11_module **pp = &g_mods; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == mod) {
                *pp = mod->next;
                break;
            }
        }
        if (mod->finalize)
            mod->f->C_Finalize(NULL);
        dlclose(mod->dl);
        free(mod);
    }
    pthread_mutex_unlock(&g_mods_mu);
}

/* Claim the user login on slot for one handle; false if already held. */
static bool module_claim_slot(struct p11_module *mod, CK_SLOT_ID slot) {
    bool ok = true;
    pthread_mutex_lock(&g_mods_mu);
    for (unsigned i = 0; i < mod->nlogged; i++)
        if (mod->logged_in[i] == slot)
            ok = false;
    if (ok && mod->nlogged < sizeof(mod->logged_in) / sizeof(mod->logged_in[0]))
        mod->logged_in[mod->nlogged++] = slot;
    else
        ok = false;
    pthread_mutex_unlock(&g_mods_mu);
    return ok;
}

static void module_unclaim_slot(struct p11_module *mod, CK_SLOT_ID slot) {
    pthread_mutex_lock(&g_mods_mu);
    for (unsigned i = 0; i < mod->nlogged; i++) {
        if (mod->logged_in[i] == slot) {
            mod->logged_in[i] = mod->logged_in[--mod->nlogged];
            break;
        }
    }
    pthread_mutex_unlock(&g_mods_mu);
}

/* ---- tokens ----------------------------------------------------------- */

/* Copy a blank-padded PKCS#11 string field into a NUL-terminated one. */
static void unpad(char *out, const unsigned char *in, size_t len) {
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\0'))
        len--;
    memcpy(out, in, len);
    out[len] = '\0';
}

static evote_err_t check_token_label(const char *label) {
    size_t n = label != NULL ? strlen(label) : 0;
    if (n == 0 || n > TOKEN_LABEL_LEN)
        return evote_fail(EVOTE_ERR_ARG, "token label must be 1 to %d bytes",
                          TOKEN_LABEL_LEN);
    if (label[n - 1] == ' ' || label[0] == ' ')
        return evote_fail(EVOTE_ERR_ARG,
                          "token label must not start or end with a blank");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
            return evote_fail(EVOTE_ERR_ARG, "token label contains a control character");
    return EVOTE_OK;
}

/* Slots with a token present (fresh array; caller frees). */
static evote_err_t list_slots(CK_FUNCTION_LIST *f, CK_SLOT_ID **out, CK_ULONG *n) {
    evote_err_t ret = EVOTE_OK;
    CK_SLOT_ID *slots = NULL;
    CK_ULONG count = 0;
    CK_RV rv;

    *out = NULL;
    *n = 0;
    for (int attempt = 0; attempt < 4; attempt++) {
        P11_GUARD(f->C_GetSlotList(CK_TRUE, NULL, &count));
        if (count == 0)
            goto out;
        ENSURE(count <= MAX_SLOTS, EVOTE_ERR_PKCS11, "module reports %lu slots",
               (unsigned long)count);
        free(slots);
        ALLOC_GUARD(slots = calloc(count, sizeof(*slots)));
        rv = f->C_GetSlotList(CK_TRUE, slots, &count);
        if (rv == CKR_BUFFER_TOO_SMALL)
            continue; /* a token arrived meanwhile */
        P11_GUARD(rv);
        *out = slots;
        *n = count;
        slots = NULL;
        goto out;
    }
    ret = evote_fail(EVOTE_ERR_PKCS11, "C_GetSlotList keeps changing");
out:
    free(slots);
    return ret;
}

/*
 * The one initialised token labelled label: its slot and info.
 * EVOTE_ERR_TOKEN_NOT_FOUND if none (or if two carry the label: refusing to
 * guess which one holds the election key).
 */
static evote_err_t find_token(CK_FUNCTION_LIST *f, const char *label,
                              CK_SLOT_ID *slot, CK_TOKEN_INFO *info) {
    evote_err_t ret = EVOTE_OK;
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    unsigned found = 0;
    char got[TOKEN_LABEL_LEN + 1];

    GUARD(list_slots(f, &slots, &n));
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        CK_RV rv = f->C_GetTokenInfo(slots[i], &ti);
        if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED ||
            rv == CKR_SLOT_ID_INVALID)
            continue;
        P11_GUARD(rv);
        if (!(ti.flags & CKF_TOKEN_INITIALIZED))
            continue;
        unpad(got, ti.label, sizeof(ti.label));
        if (strcmp(got, label) != 0)
            continue;
        if (found++ == 0) {
            *slot = slots[i];
            *info = ti;
        }
    }
    ENSURE(found != 0, EVOTE_ERR_TOKEN_NOT_FOUND, "no token labelled \"%s\"", label);
    ENSURE(found == 1, EVOTE_ERR_TOKEN_NOT_FOUND,
           "%u tokens are labelled \"%s\"; refusing to pick one", found, label);
out:
    free(slots);
    return ret;
}

/* C_Login with a temporary copy of the PIN (the API takes a non-const
 * pointer), wiped on every path. */
static CK_RV login(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_USER_TYPE who,
                   const char *pin, size_t pin_len) {
    unsigned char copy[MAX_PIN_LEN];
    memcpy(copy, pin, pin_len);
    CK_RV rv = f->C_Login(s, who, copy, (CK_ULONG)pin_len);
    OPENSSL_cleanse(copy, sizeof(copy));
    return rv;
}

static evote_err_t check_pin(const char *pin, size_t pin_len, const char *what) {
    if (pin == NULL || pin_len == 0)
        return evote_fail(EVOTE_ERR_PIN_SOURCE, "%s is empty", what);
    if (pin_len > MAX_PIN_LEN)
        return evote_fail(EVOTE_ERR_ARG, "%s is longer than %d bytes", what,
                          MAX_PIN_LEN);
    return EVOTE_OK;
}

/* ---- the handle ------------------------------------------------------- */

struct evote_hsm {
    struct p11_module *mod;
    CK_FUNCTION_LIST *f;
    CK_SLOT_ID slot;
    CK_TOKEN_INFO token;
    char module_path[4096];
    bool logged_in, slot_claimed;

    /* session pool: free[0..nfree) are indices into sessions */
    CK_SESSION_HANDLE *sessions;
    unsigned nsessions;
    unsigned *free_idx;
    unsigned nfree;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool sync_ok;

    /* selected key pair */
    CK_OBJECT_HANDLE priv, pub;
    uint8_t pub_point[EVOTE_POINT_LEN];
    uint8_t key_id[64];
    size_t key_id_len;

    atomic_ulong derives; /* C_DeriveKey calls made (tests, bench) */
};

unsigned long evote_hsm_derive_count(evote_hsm_t *hsm) {
    return hsm != NULL ? atomic_load(&hsm->derives) : 0;
}

CK_FUNCTION_LIST *evote_hsm_functions(evote_hsm_t *hsm) {
    return hsm != NULL ? hsm->f : NULL;
}

CK_OBJECT_HANDLE evote_hsm_key_handle(const evote_hsm_t *hsm) {
    return hsm != NULL ? hsm->priv : CK_INVALID_HANDLE;
}

unsigned evote_hsm_session_count(const evote_hsm_t *hsm) {
    return hsm != NULL ? hsm->nsessions : 0;
}

CK_SESSION_HANDLE evote_hsm_session_get(evote_hsm_t *hsm) {
    pthread_mutex_lock(&hsm->mu);
    while (hsm->nfree == 0)
        pthread_cond_wait(&hsm->cv, &hsm->mu);
    CK_SESSION_HANDLE s = hsm->sessions[hsm->free_idx[--hsm->nfree]];
    pthread_mutex_unlock(&hsm->mu);
    return s;
}

void evote_hsm_session_put(evote_hsm_t *hsm, CK_SESSION_HANDLE s) {
    pthread_mutex_lock(&hsm->mu);
    for (unsigned i = 0; i < hsm->nsessions; i++) {
        if (hsm->sessions[i] == s) {
            hsm->free_idx[hsm->nfree++] = i;
            break;
        }
    }
    pthread_cond_signal(&hsm->cv);
    pthread_mutex_unlock(&hsm->mu);
}

void evote_hsm_free(evote_hsm_t *hsm) {
    if (hsm == NULL)
        return;
    if (hsm->f != NULL) {
        if (hsm->logged_in && hsm->nsessions > 0)
            hsm->f->C_Logout(hsm->sessions[0]);
        for (unsigned i = 0; i < hsm->nsessions; i++)
            if (hsm->sessions[i] != CK_INVALID_HANDLE)
                hsm->f->C_CloseSession(hsm->sessions[i]);
    }
    if (hsm->slot_claimed)
        module_unclaim_slot(hsm->mod, hsm->slot);
    module_release(hsm->mod);
    if (hsm->sync_ok) {
        pthread_mutex_destroy(&hsm->mu);
        pthread_cond_destroy(&hsm->cv);
    }
    free(hsm->sessions);
    free(hsm->free_idx);
    OPENSSL_cleanse(hsm, sizeof(*hsm));
    free(hsm);
}

static unsigned default_sessions(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_SESSIONS ? MAX_SESSIONS : (unsigned)n;
}

evote_err_t evote_hsm_open(evote_hsm_t **out, const char *module_path,
                           const char *token_label, const char *pin, size_t pin_len,
                           unsigned nsessions) {
    evote_err_t ret = EVOTE_OK;
    evote_hsm_t *hsm = NULL;
    CK_RV rv;

    ENSURE(out != NULL, EVOTE_ERR_ARG, "hsm open: out is NULL");
    *out = NULL;
    GUARD(check_token_label(token_label));
    GUARD(check_pin(pin, pin_len, "PIN"));
    if (module_path == NULL || module_path[0] == '\0')
        module_path = evote_hsm_default_module();
    ENSURE(strlen(module_path) < sizeof(hsm->module_path), EVOTE_ERR_ARG,
           "module path too long");
    if (nsessions == 0)
        nsessions = default_sessions();
    ENSURE(nsessions <= MAX_SESSIONS, EVOTE_ERR_ARG, "at most %d sessions",
           MAX_SESSIONS);

    ALLOC_GUARD(hsm = calloc(1, sizeof(*hsm)));
    hsm->priv = hsm->pub = CK_INVALID_HANDLE;
    strcpy(hsm->module_path, module_path);
    GUARD(module_acquire(module_path, &hsm->mod));
    hsm->f = hsm->mod->f;
    GUARD(find_token(hsm->f, token_label, &hsm->slot, &hsm->token));
    ENSURE(!(hsm->token.flags & CKF_USER_PIN_LOCKED), EVOTE_ERR_PIN_LOCKED,
           "token \"%s\" reports its user PIN locked", token_label);
    ENSURE(hsm->token.flags & CKF_USER_PIN_INITIALIZED, EVOTE_ERR_PKCS11,
           "token \"%s\" has no user PIN yet (initialise it first)", token_label);
    /* Honour the token's session limit rather than failing half-way. */
    if (hsm->token.ulMaxSessionCount != CK_EFFECTIVELY_INFINITE &&
        hsm->token.ulMaxSessionCount != CK_UNAVAILABLE_INFORMATION &&
        nsessions > hsm->token.ulMaxSessionCount)
        nsessions = (unsigned)hsm->token.ulMaxSessionCount;
    ENSURE(module_claim_slot(hsm->mod, hsm->slot), EVOTE_ERR_STATE,
           "token \"%s\" is already open in this process", token_label);
    hsm->slot_claimed = true;

    ALLOC_GUARD(hsm->sessions = calloc(nsessions, sizeof(*hsm->sessions)));
    ALLOC_GUARD(hsm->free_idx = calloc(nsessions, sizeof(*hsm->free_idx)));
    for (unsigned i = 0; i < nsessions; i++) {
        hsm->sessions[i] = CK_INVALID_HANDLE;
        P11_GUARD(hsm->f->C_OpenSession(hsm->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, &hsm->sessions[i]));
        hsm->nsessions = i + 1;
        hsm->free_idx[i] = i;
    }
    hsm->nfree = nsessions;

    rv = login(hsm->f, hsm->sessions[0], CKU_USER, pin, pin_len);
    if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
        /* a PIN the token cannot even accept is an incorrect PIN */
        ret = evote_fail(EVOTE_ERR_PIN_INCORRECT, "C_Login: %s (0x%08lx)",
                         evote_hsm_ckr_name(rv), (unsigned long)rv);
        goto out;
    }
    ENSURE(rv != CKR_USER_ALREADY_LOGGED_IN, EVOTE_ERR_STATE,
           "token \"%s\" is already logged in by another user of the module in "
           "this process", token_label);
    if (rv != CKR_OK) {
        ret = evote_hsm_ckr(rv, "C_Login");
        goto out;
    }
    hsm->logged_in = true;

    ENSURE(pthread_mutex_init(&hsm->mu, NULL) == 0, EVOTE_ERR_THREAD, "mutex init");
    if (pthread_cond_init(&hsm->cv, NULL) != 0) {
        pthread_mutex_destroy(&hsm->mu);
        ret = evote_fail(EVOTE_ERR_THREAD, "condition variable init");
        goto out;
    }
    hsm->sync_ok = true;
    *out = hsm;
    hsm = NULL;
out:
    evote_hsm_free(hsm);
    return ret;
}

evote_err_t evote_hsm_token_info(evote_hsm_t *hsm, evote_hsm_token_info_t *out) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(hsm != NULL && out != NULL, EVOTE_ERR_ARG, "token info: bad argument");
    memset(out, 0, sizeof(*out));
    unpad(out->label, hsm->token.label, sizeof(hsm->token.label));
    unpad(out->manufacturer, hsm->token.manufacturerID,
          sizeof(hsm->token.manufacturerID));
    unpad(out->model, hsm->token.model, sizeof(hsm->token.model));
    unpad(out->serial, hsm->token.serialNumber, sizeof(hsm->token.serialNumber));
    snprintf(out->module_path, sizeof(out->module_path), "%s", hsm->module_path);
    out->slot_id = (unsigned long)hsm->slot;
out:
    return ret;
}

/* ---- token initialisation --------------------------------------------- */

evote_err_t evote_hsm_token_init(const char *module_path, const char *token_label,
                                 const char *so_pin, size_t so_pin_len,
                                 const char *user_pin, size_t user_pin_len) {
    evote_err_t ret = EVOTE_OK;
    struct p11_module *mod = NULL;
    CK_FUNCTION_LIST *f = NULL;
    CK_SLOT_ID *slots = NULL, slot = 0;
    CK_ULONG n = 0;
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    bool have_slot = false, so_logged_in = false;
    unsigned char label32[TOKEN_LABEL_LEN];
    unsigned char so_copy[MAX_PIN_LEN], user_copy[MAX_PIN_LEN];
    char got[TOKEN_LABEL_LEN + 1];
    CK_RV rv;

    GUARD(check_token_label(token_label));
    GUARD(check_pin(so_pin, so_pin_len, "SO PIN"));
    GUARD(check_pin(user_pin, user_pin_len, "user PIN"));
    if (module_path == NULL || module_path[0] == '\0')
        module_path = evote_hsm_default_module();
    GUARD(module_acquire(module_path, &mod));
    f = mod->f;

    GUARD(list_slots(f, &slots, &n));
    for (CK_ULONG i = 0; i < n; i++) {
        rv = f->C_GetTokenInfo(slots[i], &ti);
        if (rv != CKR_OK)
            continue;
        if (ti.flags & CKF_TOKEN_INITIALIZED) {
            unpad(got, ti.label, sizeof(ti.label));
            ENSURE(strcmp(got, token_label) != 0, EVOTE_ERR_EXISTS,
                   "a token labelled \"%s\" already exists", token_label);
        } else if (!have_slot) {
            slot = slots[i];
            have_slot = true;
        }
    }
    ENSURE(have_slot, EVOTE_ERR_TOKEN_NOT_FOUND,
           "no slot holds an uninitialised token");

    memset(label32, ' ', sizeof(label32));
    memcpy(label32, token_label, strlen(token_label));
    memcpy(so_copy, so_pin, so_pin_len);
    rv = f->C_InitToken(slot, so_copy, (CK_ULONG)so_pin_len, label32);
    OPENSSL_cleanse(so_copy, sizeof(so_copy));
    P11_GUARD(rv);

    /* SoftHSM2 (and others) move a freshly initialised token to a new slot
     * id: find it again by label. */
    GUARD(find_token(f, token_label, &slot, &ti));
    P11_GUARD(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
    P11_GUARD(login(f, s, CKU_SO, so_pin, so_pin_len));
    so_logged_in = true;
    memcpy(user_copy, user_pin, user_pin_len);
    rv = f->C_InitPIN(s, user_copy, (CK_ULONG)user_pin_len);
    OPENSSL_cleanse(user_copy, sizeof(user_copy));
    P11_GUARD(rv);
out:
    if (so_logged_in)
        f->C_Logout(s);
    if (s != CK_INVALID_HANDLE)
        f->C_CloseSession(s);
    free(slots);
    module_release(mod);
    return ret;
}

/* ---- objects and attributes ------------------------------------------- */

/* Find up to cap objects matching tmpl; *count receives how many exist
 * (capped at cap + 1 so that "more than one" is visible). */
static evote_err_t find_objects(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s,
                                CK_ATTRIBUTE *tmpl, CK_ULONG ntmpl,
                                CK_OBJECT_HANDLE *out, CK_ULONG cap, CK_ULONG *count) {
    evote_err_t ret = EVOTE_OK;
    CK_OBJECT_HANDLE buf[8];
    CK_ULONG got = 0;
    bool active = false;

    *count = 0;
    ENSURE(cap + 1 <= sizeof(buf) / sizeof(buf[0]), EVOTE_ERR_INTERNAL,
           "find_objects: cap");
    P11_GUARD(f->C_FindObjectsInit(s, tmpl, ntmpl));
    active = true;
    P11_GUARD(f->C_FindObjects(s, buf, cap + 1, &got));
    for (CK_ULONG i = 0; i < got && i < cap; i++)
        out[i] = buf[i];
    *count = got;
out:
    if (active) {
        CK_RV rv = f->C_FindObjectsFinal(s);
        if (rv != CKR_OK && ret == EVOTE_OK)
            ret = evote_hsm_ckr(rv, "C_FindObjectsFinal");
    }
    return ret;
}

/* Read one boolean attribute: 1, 0, or -1 if the token does not report it. */
static int read_bool(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                     CK_ATTRIBUTE_TYPE type) {
    CK_BBOOL v = CK_FALSE;
    CK_ATTRIBUTE a = {type, &v, sizeof(v)};
    CK_RV rv = f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK || a.ulValueLen != sizeof(v))
        return -1;
    return v ? 1 : 0;
}

/* CKA_EC_POINT (DER OCTET STRING of 04‖x‖y; a few tokens return the bare
 * point) → validated compressed point. */
static evote_err_t read_ec_point(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s,
                                 CK_OBJECT_HANDLE o, uint8_t out[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t buf[80];
    CK_ATTRIBUTE a = {CKA_EC_POINT, buf, sizeof(buf)};
    const uint8_t *pt = NULL;
    EC_POINT *p = NULL;

    P11_GUARD(f->C_GetAttributeValue(s, o, &a, 1));
    if (a.ulValueLen == 67 && buf[0] == 0x04 && buf[1] == 65 && buf[2] == 0x04)
        pt = buf + 2;
    else if (a.ulValueLen == 65 && buf[0] == 0x04)
        pt = buf;
    ENSURE(pt != NULL, EVOTE_ERR_PKCS11,
           "CKA_EC_POINT is not an uncompressed P-256 point (%lu bytes)",
           (unsigned long)a.ulValueLen);
    ALLOC_GUARD(p = EC_POINT_new(evote_ec_group()));
    if (EC_POINT_oct2point(evote_ec_group(), p, pt, 65, NULL) != 1) {
        ret = evote_fail_ossl(EVOTE_ERR_POINT_NOT_ON_CURVE,
                              "token public key is not on P-256");
        goto out;
    }
    GUARD(evote_ec_encode(out, p, NULL));
    GUARD(evote_point_check(out));
out:
    EC_POINT_free(p);
    return ret;
}

static evote_err_t check_key_label(const char *label) {
    size_t n = label != NULL ? strlen(label) : 0;
    if (n == 0 || n > MAX_KEY_LABEL)
        return evote_fail(EVOTE_ERR_ARG, "key label must be 1 to %d bytes",
                          MAX_KEY_LABEL);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
            return evote_fail(EVOTE_ERR_ARG, "key label contains a control character");
    return EVOTE_OK;
}

static void read_attrs(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                       evote_hsm_key_attrs_t *a) {
    a->sensitive = read_bool(f, s, o, CKA_SENSITIVE);
    a->extractable = read_bool(f, s, o, CKA_EXTRACTABLE);
    a->never_extractable = read_bool(f, s, o, CKA_NEVER_EXTRACTABLE);
    a->always_sensitive = read_bool(f, s, o, CKA_ALWAYS_SENSITIVE);
    a->derive = read_bool(f, s, o, CKA_DERIVE);
    a->sign = read_bool(f, s, o, CKA_SIGN);
    a->decrypt = read_bool(f, s, o, CKA_DECRYPT);
    a->token = read_bool(f, s, o, CKA_TOKEN);
    a->private_ = read_bool(f, s, o, CKA_PRIVATE);
    a->unwrap = read_bool(f, s, o, CKA_UNWRAP);
    a->sign_recover = read_bool(f, s, o, CKA_SIGN_RECOVER);

    /* The value must not come out, whatever the flags claim. */
    uint8_t v[128];
    CK_ATTRIBUTE va = {CKA_VALUE, NULL, 0};
    CK_RV rv = f->C_GetAttributeValue(s, o, &va, 1);
    a->value_readable = 0;
    if (rv == CKR_OK && va.ulValueLen != CK_UNAVAILABLE_INFORMATION)
        a->value_readable = 1;
    va.pValue = v;
    va.ulValueLen = sizeof(v);
    rv = f->C_GetAttributeValue(s, o, &va, 1);
    if (rv == CKR_OK && va.ulValueLen != CK_UNAVAILABLE_INFORMATION)
        a->value_readable = 1;
    OPENSSL_cleanse(v, sizeof(v));
}

/* The election key policy (docs/PROTOCOL.md §7). */
static evote_err_t check_policy(const evote_hsm_key_attrs_t *a) {
#define NEED(field, want)                                                      \
    if (a->field != (want))                                                    \
        return evote_fail(EVOTE_ERR_KEY_POLICY, "election key: %s is %s, must be %s", \
                          #field, a->field < 0 ? "unreported" : a->field ? "true" : "false", \
                          (want) ? "true" : "false");
    NEED(token, 1)
    NEED(private_, 1)
    NEED(sensitive, 1)
    NEED(always_sensitive, 1)
    NEED(extractable, 0)
    NEED(never_extractable, 1)
    NEED(derive, 1)
    NEED(sign, 0)
    NEED(decrypt, 0)
#undef NEED
    if (a->unwrap == 1 || a->sign_recover == 1)
        return evote_fail(EVOTE_ERR_KEY_POLICY,
                          "election key: unwrap/sign-recover must be off");
    if (a->value_readable)
        return evote_fail(EVOTE_ERR_KEY_POLICY,
                          "election key: the token hands out CKA_VALUE");
    return EVOTE_OK;
}

/* ---- derive ----------------------------------------------------------- */

evote_err_t evote_hsm_derive_raw(evote_hsm_t *hsm, const uint8_t point65[65],
                                 uint8_t x_out[32]) {
    evote_err_t ret = EVOTE_OK;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ULONG vlen = 32;
    CK_ECDH1_DERIVE_PARAMS params;
    CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &params, sizeof(params)};
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},         {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_TOKEN, &no, sizeof(no)},           {CKA_SENSITIVE, &no, sizeof(no)},
        {CKA_EXTRACTABLE, &yes, sizeof(yes)},   {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
    };
    CK_ATTRIBUTE val = {CKA_VALUE, x_out, 32};

    ENSURE(hsm->priv != CK_INVALID_HANDLE, EVOTE_ERR_STATE,
           "no election key selected");
    memset(&params, 0, sizeof(params));
    params.kdf = CKD_NULL;
    params.pPublicData = (unsigned char *)point65;
    params.ulPublicDataLen = 65;
    s = evote_hsm_session_get(hsm);
    atomic_fetch_add_explicit(&hsm->derives, 1, memory_order_relaxed);
    P11_GUARD(hsm->f->C_DeriveKey(s, &mech, hsm->priv, tmpl,
                                  sizeof(tmpl) / sizeof(tmpl[0]), &obj));
    P11_GUARD(hsm->f->C_GetAttributeValue(s, obj, &val, 1));
    ENSURE(val.ulValueLen == 32, EVOTE_ERR_PKCS11,
           "ECDH derive returned %lu bytes, expected 32", (unsigned long)val.ulValueLen);
out:
    if (obj != CK_INVALID_HANDLE) {
        CK_RV rv = hsm->f->C_DestroyObject(s, obj);
        if (rv != CKR_OK && ret == EVOTE_OK)
            ret = evote_hsm_ckr(rv, "C_DestroyObject");
    }
    if (s != CK_INVALID_HANDLE)
        evote_hsm_session_put(hsm, s);
    if (ret != EVOTE_OK && x_out != NULL)
        OPENSSL_cleanse(x_out, 32);
    return ret;
}

evote_err_t evote_hsm_derive_x(evote_hsm_t *hsm, const uint8_t point[EVOTE_POINT_LEN],
                               uint8_t x_out[32]) {
    evote_err_t ret = EVOTE_OK;
    EC_POINT *p = NULL;
    uint8_t unc[65];

    ENSURE(hsm != NULL && point != NULL && x_out != NULL, EVOTE_ERR_ARG,
           "derive: bad argument");
    memset(x_out, 0, 32);
    /* Validate before the token sees it: SoftHSM2 answers an off-curve point
     * with a generic error, other tokens may do worse (invalid-curve
     * attacks leak the key). */
    ALLOC_GUARD(p = EC_POINT_new(evote_ec_group()));
    GUARD(evote_ec_decode(p, point, NULL));
    GUARD(evote_ec_encode_uncompressed(unc, p, NULL));
    GUARD(evote_hsm_derive_raw(hsm, unc, x_out));
out:
    EC_POINT_free(p);
    return ret;
}

evote_err_t evote_hsm_derive_lift(evote_hsm_t *hsm, const uint8_t point[EVOTE_POINT_LEN],
                                  uint8_t out_even[EVOTE_POINT_LEN],
                                  uint8_t out_odd[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t x[32];

    ENSURE(out_even != NULL && out_odd != NULL, EVOTE_ERR_ARG, "lift: bad argument");
    memset(out_even, 0, EVOTE_POINT_LEN);
    memset(out_odd, 0, EVOTE_POINT_LEN);
    GUARD(evote_hsm_derive_x(hsm, point, x));
    out_even[0] = 0x02;
    memcpy(out_even + 1, x, 32);
    /* x(key·P) of a working token is always on the curve; a token that
     * answers otherwise is broken, which is not the ballot's fault. */
    ret = evote_point_check(out_even);
    if (ret != EVOTE_OK) {
        ret = evote_fail(EVOTE_ERR_PKCS11,
                         "token returned an ECDH x-coordinate that is not on P-256");
        memset(out_even, 0, EVOTE_POINT_LEN);
        goto out;
    }
    out_odd[0] = 0x03;
    memcpy(out_odd + 1, x, 32);
out:
    OPENSSL_cleanse(x, sizeof(x));
    return ret;
}

/* ---- key generation and selection -------------------------------------- */

/* Derive once with G: x(key·G) must equal x(PK), or the two halves found
 * under the label do not belong together. */
static evote_err_t check_pair(evote_hsm_t *hsm) {
    evote_err_t ret = EVOTE_OK;
    uint8_t g[EVOTE_POINT_LEN], x[32];
    EC_POINT *gen = NULL;

    ALLOC_GUARD(gen = EC_POINT_dup(EC_GROUP_get0_generator(evote_ec_group()),
                                   evote_ec_group()));
    GUARD(evote_ec_encode(g, gen, NULL));
    GUARD(evote_hsm_derive_x(hsm, g, x));
    ENSURE(CRYPTO_memcmp(x, hsm->pub_point + 1, 32) == 0, EVOTE_ERR_KEY_MISMATCH,
           "the private key does not match the public key stored with it");
out:
    EC_POINT_free(gen);
    return ret;
}

static void forget_key(evote_hsm_t *hsm) {
    hsm->priv = hsm->pub = CK_INVALID_HANDLE;
    memset(hsm->pub_point, 0, sizeof(hsm->pub_point));
    memset(hsm->key_id, 0, sizeof(hsm->key_id));
    hsm->key_id_len = 0;
}

evote_err_t evote_hsm_keygen(evote_hsm_t *hsm, const char *key_label,
                             uint8_t pub[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE found[1], pubh = CK_INVALID_HANDLE, privh = CK_INVALID_HANDLE;
    CK_ULONG count = 0;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    uint8_t id[KEY_ID_LEN];
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    evote_hsm_key_attrs_t attrs;
    bool keep = false;

    ENSURE(hsm != NULL && pub != NULL, EVOTE_ERR_ARG, "keygen: bad argument");
    memset(pub, 0, EVOTE_POINT_LEN);
    GUARD(check_key_label(key_label));
    forget_key(hsm);
    CK_ULONG lablen = (CK_ULONG)strlen(key_label);
    CK_ATTRIBUTE by_label[] = {{CKA_LABEL, (void *)key_label, lablen}};
    CK_ATTRIBUTE pub_tmpl[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_EC_PARAMS, (void *)evote_hsm_p256_oid_der, sizeof(evote_hsm_p256_oid_der)},
        {CKA_LABEL, (void *)key_label, lablen},
        {CKA_ID, id, sizeof(id)},
        {CKA_VERIFY, &no, sizeof(no)},
        {CKA_ENCRYPT, &no, sizeof(no)},
        {CKA_WRAP, &no, sizeof(no)},
    };
    CK_ATTRIBUTE priv_tmpl[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_DERIVE, &yes, sizeof(yes)},
        {CKA_SIGN, &no, sizeof(no)},
        {CKA_DECRYPT, &no, sizeof(no)},
        {CKA_UNWRAP, &no, sizeof(no)},
        {CKA_SIGN_RECOVER, &no, sizeof(no)},
        {CKA_LABEL, (void *)key_label, lablen},
        {CKA_ID, id, sizeof(id)},
    };

    s = evote_hsm_session_get(hsm);
    GUARD(find_objects(hsm->f, s, by_label, 1, found, 1, &count));
    ENSURE(count == 0, EVOTE_ERR_KEY_EXISTS,
           "an object labelled \"%s\" already exists on the token", key_label);
    ENSURE(RAND_bytes(id, sizeof(id)) == 1, EVOTE_ERR_RANDOM, "RAND_bytes");
    P11_GUARD(hsm->f->C_GenerateKeyPair(s, &mech, pub_tmpl,
                                        sizeof(pub_tmpl) / sizeof(pub_tmpl[0]), priv_tmpl,
                                        sizeof(priv_tmpl) / sizeof(priv_tmpl[0]),
                                        &pubh, &privh));
    GUARD(read_ec_point(hsm->f, s, pubh, hsm->pub_point));
    memset(&attrs, 0, sizeof(attrs));
    read_attrs(hsm->f, s, privh, &attrs);
    /* A token that silently ignored part of the template must not leave an
     * election key behind that looks right by its label. */
    GUARD(check_policy(&attrs));
    hsm->priv = privh;
    hsm->pub = pubh;
    memcpy(hsm->key_id, id, sizeof(id));
    hsm->key_id_len = sizeof(id);
    evote_hsm_session_put(hsm, s);
    s = CK_INVALID_HANDLE;
    GUARD(check_pair(hsm));
    memcpy(pub, hsm->pub_point, EVOTE_POINT_LEN);
    keep = true;
out:
    if (!keep) {
        if (s == CK_INVALID_HANDLE && hsm != NULL &&
            (privh != CK_INVALID_HANDLE || pubh != CK_INVALID_HANDLE))
            s = evote_hsm_session_get(hsm);
        if (privh != CK_INVALID_HANDLE)
            hsm->f->C_DestroyObject(s, privh);
        if (pubh != CK_INVALID_HANDLE)
            hsm->f->C_DestroyObject(s, pubh);
        if (hsm != NULL)
            forget_key(hsm);
    }
    if (s != CK_INVALID_HANDLE)
        evote_hsm_session_put(hsm, s);
    return ret;
}

evote_err_t evote_hsm_select_key(evote_hsm_t *hsm, const char *key_label,
                                 uint8_t pub[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE privs[2], pubs[2];
    CK_ULONG np = 0, nq = 0;
    CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    uint8_t params[32];
    CK_ATTRIBUTE pa[] = {{CKA_KEY_TYPE, &kt, sizeof(kt)},
                         {CKA_EC_PARAMS, params, sizeof(params)}};
    evote_hsm_key_attrs_t attrs;

    ENSURE(hsm != NULL && pub != NULL, EVOTE_ERR_ARG, "select key: bad argument");
    memset(pub, 0, EVOTE_POINT_LEN);
    GUARD(check_key_label(key_label));
    forget_key(hsm);
    CK_ULONG lablen = (CK_ULONG)strlen(key_label);
    CK_ATTRIBUTE find_priv[] = {{CKA_CLASS, &priv_cls, sizeof(priv_cls)},
                                {CKA_LABEL, (void *)key_label, lablen}};

    s = evote_hsm_session_get(hsm);
    GUARD(find_objects(hsm->f, s, find_priv, 2, privs, 1, &np));
    ENSURE(np != 0, EVOTE_ERR_KEY_NOT_FOUND, "no private key labelled \"%s\"",
           key_label);
    ENSURE(np == 1, EVOTE_ERR_KEY_EXISTS,
           "several private keys are labelled \"%s\"; refusing to pick one", key_label);
    P11_GUARD(hsm->f->C_GetAttributeValue(s, privs[0], pa, 2));
    ENSURE(kt == CKK_EC && pa[1].ulValueLen == sizeof(evote_hsm_p256_oid_der) &&
               memcmp(params, evote_hsm_p256_oid_der, sizeof(evote_hsm_p256_oid_der)) == 0,
           EVOTE_ERR_KEY_POLICY, "key \"%s\" is not a P-256 EC key", key_label);
    memset(&attrs, 0, sizeof(attrs));
    read_attrs(hsm->f, s, privs[0], &attrs);
    GUARD(check_policy(&attrs));

    CK_ATTRIBUTE ida = {CKA_ID, hsm->key_id, sizeof(hsm->key_id)};
    P11_GUARD(hsm->f->C_GetAttributeValue(s, privs[0], &ida, 1));
    ENSURE(ida.ulValueLen > 0 && ida.ulValueLen <= sizeof(hsm->key_id), EVOTE_ERR_KEY_POLICY,
           "key \"%s\" has no usable CKA_ID", key_label);
    hsm->key_id_len = ida.ulValueLen;
    CK_ATTRIBUTE find_pub[] = {{CKA_CLASS, &pub_cls, sizeof(pub_cls)},
                               {CKA_ID, hsm->key_id, ida.ulValueLen}};
    GUARD(find_objects(hsm->f, s, find_pub, 2, pubs, 1, &nq));
    ENSURE(nq != 0, EVOTE_ERR_KEY_NOT_FOUND,
           "the public half of key \"%s\" is missing from the token", key_label);
    ENSURE(nq == 1, EVOTE_ERR_KEY_EXISTS,
           "several public keys share the CKA_ID of key \"%s\"", key_label);
    GUARD(read_ec_point(hsm->f, s, pubs[0], hsm->pub_point));
    hsm->priv = privs[0];
    hsm->pub = pubs[0];
    evote_hsm_session_put(hsm, s);
    s = CK_INVALID_HANDLE;
    GUARD(check_pair(hsm));
    memcpy(pub, hsm->pub_point, EVOTE_POINT_LEN);
out:
    if (s != CK_INVALID_HANDLE)
        evote_hsm_session_put(hsm, s);
    if (ret != EVOTE_OK && hsm != NULL)
        forget_key(hsm);
    return ret;
}

evote_err_t evote_hsm_key_attrs(evote_hsm_t *hsm, evote_hsm_key_attrs_t *out) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(hsm != NULL && out != NULL, EVOTE_ERR_ARG, "key attrs: bad argument");
    memset(out, 0, sizeof(*out));
    ENSURE(hsm->priv != CK_INVALID_HANDLE, EVOTE_ERR_STATE, "no election key selected");
    CK_SESSION_HANDLE s = evote_hsm_session_get(hsm);
    read_attrs(hsm->f, s, hsm->priv, out);
    evote_hsm_session_put(hsm, s);
out:
    return ret;
}

evote_err_t evote_hsm_key_id(evote_hsm_t *hsm, uint8_t *out, size_t cap, size_t *len) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(hsm != NULL && out != NULL && len != NULL, EVOTE_ERR_ARG,
           "key id: bad argument");
    *len = 0;
    ENSURE(hsm->priv != CK_INVALID_HANDLE, EVOTE_ERR_STATE, "no election key selected");
    ENSURE(cap >= hsm->key_id_len, EVOTE_ERR_TOO_LARGE, "key id is %zu bytes",
           hsm->key_id_len);
    memcpy(out, hsm->key_id, hsm->key_id_len);
    *len = hsm->key_id_len;
out:
    return ret;
}

evote_err_t evote_hsm_key_public(evote_hsm_t *hsm, uint8_t pub[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(hsm != NULL && pub != NULL, EVOTE_ERR_ARG, "key public: bad argument");
    memset(pub, 0, EVOTE_POINT_LEN);
    ENSURE(hsm->priv != CK_INVALID_HANDLE, EVOTE_ERR_STATE, "no election key selected");
    memcpy(pub, hsm->pub_point, EVOTE_POINT_LEN);
out:
    return ret;
}
