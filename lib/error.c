/* libevote — error table and thread-local detail. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "internal.h"

#define EVOTE_VERSION_STRING "0.1.0"

struct err_entry {
    evote_err_t code;
    const char *name;
    const char *msg;
};

#define E(c, m) {c, #c, m}
static const struct err_entry err_table[] = {
    E(EVOTE_OK, "success"),
    E(EVOTE_ERR_ARG, "invalid argument"),
    E(EVOTE_ERR_NOMEM, "out of memory"),
    E(EVOTE_ERR_IO, "input/output error"),
    E(EVOTE_ERR_CRYPTO, "cryptographic library failure"),
    E(EVOTE_ERR_FORMAT, "input is not well formed"),
    E(EVOTE_ERR_TOO_LARGE, "input is too large"),
    E(EVOTE_ERR_TRUNCATED, "input is truncated"),
    E(EVOTE_ERR_VERSION, "unsupported format version"),
    E(EVOTE_ERR_RANDOM, "random number generator failure"),
    E(EVOTE_ERR_EXISTS, "refusing to overwrite an existing artefact"),
    E(EVOTE_ERR_NOT_FOUND, "not found"),
    E(EVOTE_ERR_STATE, "operation not allowed in the current state"),
    E(EVOTE_ERR_INTERNAL, "internal error"),
    E(EVOTE_ERR_THREAD, "thread failure"),

    E(EVOTE_ERR_POINT_INVALID, "not a valid compressed P-256 point"),
    E(EVOTE_ERR_POINT_NOT_ON_CURVE, "point is not on the P-256 curve"),
    E(EVOTE_ERR_POINT_INFINITY, "point at infinity is not allowed"),
    E(EVOTE_ERR_SCALAR_RANGE, "scalar out of range"),
    E(EVOTE_ERR_SELECTION_RANGE, "selection outside the contest's options"),
    E(EVOTE_ERR_NOT_A_SELECTION, "point does not encode a selection"),

    E(EVOTE_ERR_MANIFEST, "invalid manifest"),
    E(EVOTE_ERR_CONTEST_UNKNOWN, "unknown contest"),
    E(EVOTE_ERR_MANIFEST_MISMATCH, "artefact belongs to another manifest"),

    E(EVOTE_ERR_BALLOT_FORMAT, "malformed ballot"),
    E(EVOTE_ERR_PROOF_INVALID, "ballot proof does not verify"),
    E(EVOTE_ERR_KEY_MISMATCH, "artefact names another public key"),

    E(EVOTE_ERR_MODULE_LOAD, "PKCS#11 module could not be loaded"),
    E(EVOTE_ERR_TOKEN_NOT_FOUND, "token not found"),
    E(EVOTE_ERR_PIN_INCORRECT, "incorrect PIN"),
    E(EVOTE_ERR_PIN_LOCKED, "PIN is locked"),
    E(EVOTE_ERR_KEY_NOT_FOUND, "key not found on token"),
    E(EVOTE_ERR_KEY_EXISTS, "a key with that label already exists"),
    E(EVOTE_ERR_PKCS11, "PKCS#11 failure"),
    E(EVOTE_ERR_NOT_LOGGED_IN, "not logged in to the token"),
    E(EVOTE_ERR_KEY_POLICY, "key attributes violate the policy"),
    E(EVOTE_ERR_TOKEN_REMOVED, "token or session was removed"),
    E(EVOTE_ERR_PIN_SOURCE, "no PIN available"),

    E(EVOTE_ERR_CMS_FORMAT, "not a well-formed CMS SignedData"),
    E(EVOTE_ERR_SIGNATURE, "signature does not verify"),
    E(EVOTE_ERR_CERT_CHAIN, "certificate does not chain to a trusted CA"),
    E(EVOTE_ERR_CERT_EXPIRED, "certificate has expired"),
    E(EVOTE_ERR_CERT_NOT_YET_VALID, "certificate is not yet valid"),
    E(EVOTE_ERR_CERT_REVOKED, "certificate is revoked"),
    E(EVOTE_ERR_WRONG_ELECTION, "ballot names another election"),
    E(EVOTE_ERR_OUTSIDE_WINDOW, "outside the voting window"),
    E(EVOTE_ERR_NOT_IN_ROLL, "voter is not in the roll"),
    E(EVOTE_ERR_NOT_ELIGIBLE, "voter is not eligible for this contest"),
    E(EVOTE_ERR_ALREADY_VOTED, "voter has already voted in this contest"),
    E(EVOTE_ERR_REPLAY, "ballot was already received (replayed C1)"),
    E(EVOTE_ERR_ROLL_CONFLICT, "conflicting voter roll entries"),
    E(EVOTE_ERR_STORE, "ballot store failure"),
    E(EVOTE_ERR_BOX_NOT_OPEN, "ballot box is not open"),
    E(EVOTE_ERR_BOX_CLOSED, "ballot box is closed"),
    E(EVOTE_ERR_BOX_NOT_EMPTY, "ballot box is not empty"),

    E(EVOTE_ERR_PROOF_MERKLE, "Merkle proof does not verify"),
    E(EVOTE_ERR_BUNDLE, "bundle check failed"),
    E(EVOTE_ERR_DIGEST_MISMATCH, "digest mismatch"),
    E(EVOTE_ERR_POLICY, "signature policy not satisfied"),

    E(EVOTE_ERR_SHUFFLE_PROOF, "proof of shuffle does not verify"),
    E(EVOTE_ERR_BYTETREE, "malformed byte tree"),
    E(EVOTE_ERR_PROTINFO, "malformed or unsupported protocol info"),

    E(EVOTE_ERR_AUDIT_CHAIN, "audit log chain is broken"),
    E(EVOTE_ERR_COMMITMENT, "key does not match its commitment"),
    E(EVOTE_ERR_NOT_MIX_OUTPUT, "list is not the verified output of a mix chain"),
    E(EVOTE_ERR_CONFIRM_FAILED, "observer confirmation failed"),
    E(EVOTE_ERR_CHECKPOINT, "checkpoint is unusable"),
};
#undef E

static const struct err_entry *err_lookup(evote_err_t err) {
    for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
        if (err_table[i].code == err)
            return &err_table[i];
    return NULL;
}

const char *evote_strerror(evote_err_t err) {
    const struct err_entry *e = err_lookup(err);
    return e ? e->msg : "unknown error";
}

const char *evote_err_name(evote_err_t err) {
    const struct err_entry *e = err_lookup(err);
    return e ? e->name : "EVOTE_ERR_UNKNOWN";
}

static _Thread_local char err_detail[512];

const char *evote_err_detail(void) { return err_detail; }

void evote_err_clear(void) { err_detail[0] = '\0'; }

evote_err_t evote_fail(evote_err_t err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
    va_end(ap);
    return err;
}

evote_err_t evote_fail_ossl(evote_err_t err, const char *what) {
    char buf[256] = "no OpenSSL error queued";
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return evote_fail(err, "%s: %s", what, buf);
}

void evote_wipe(void *p, size_t len) {
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

const char *evote_version(void) { return EVOTE_VERSION_STRING; }
