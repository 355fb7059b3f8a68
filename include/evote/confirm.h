/*
 * libevote — observer confirmation of a published decryption.
 *
 * A PKCS#11 token cannot prove its decryptions, but it can be asked one
 * more question whose answer is predictable only if the published parts are
 * right. After the plaintexts are published an observer supplies fresh
 * randomness (hex, or dice rolls); from it and the published data we derive
 * a, b_1..b_n and the query point Q = a·G + Σ b_j·C1_j. Trustee i's token
 * answers x(x_i·Q), which must equal x(a·PK_i + Σ b_j·D_ij) computed from
 * the published parts D_ij. One derive confirms a whole list; one wrong
 * plaintext makes it fail (except with probability about 2^-128).
 *
 * The expected value is public, so the check is worth exactly the
 * observer's trust in the channel to the token: evote prints Q and the
 * expected x so the observer can ask the token with their own tool
 * (pkcs11-tool --derive). Derivation: docs/PROTOCOL.md §15.4.
 */
#ifndef EVOTE_CONFIRM_H
#define EVOTE_CONFIRM_H

#include <stdbool.h>

#include "common.h"
#include "trustee.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Observer randomness: at least this many hex digits / dice rolls. */
#define EVOTE_CONFIRM_MIN_HEX 32
#define EVOTE_CONFIRM_MIN_DICE 50

typedef struct evote_confirm evote_confirm_t;

/*
 * Prepare a confirmation of decryption dec of the list cts[0..n) (file hash
 * dec->list_hash) for the trustees in shares. parts (one per trustee, any
 * order) give D_ij; with a single trustee and no parts, D_j = C2_j − M_j is
 * taken from the published plaintexts. randomness is the observer's text:
 * only hex digits (at least EVOTE_CONFIRM_MIN_HEX) or only digits 1..6 (at
 * least EVOTE_CONFIRM_MIN_DICE dice rolls); whitespace is ignored.
 * Errors: EVOTE_ERR_ARG (too little or malformed randomness),
 * EVOTE_ERR_CONFIRM_FAILED (the parts do not add up to the published
 * plaintexts: the detail names the first index), the combine errors for
 * parts that belong elsewhere.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_confirm_new(evote_confirm_t **out, const char *randomness, size_t randomness_len,
                  const evote_decryption_t *dec, const evote_ct_t *cts, size_t n,
                  const evote_trustee_share_t *shares, size_t nshares,
                  evote_partial_t *const *parts, size_t nparts);
EVOTE_API void evote_confirm_free(evote_confirm_t *c);

/* The query point Q (33 bytes compressed, or 65 bytes uncompressed). */
EVOTE_API void evote_confirm_query(const evote_confirm_t *c, uint8_t q[EVOTE_POINT_LEN]);
/* Q as DER SubjectPublicKeyInfo (91 bytes): what `pkcs11-tool --derive -i` reads. */
EVOTE_API void evote_confirm_query_spki(const evote_confirm_t *c, uint8_t der[91]);

/* Expected x(a·PK_i + Σ b_j·D_ij) for trustee trustee_id. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_confirm_expected(const evote_confirm_t *c, const char *trustee_id, uint8_t x[32]);

/*
 * Ask the trustee's token (derive) for x(x_i·Q) and compare:
 * EVOTE_OK (CONFIRMED) or EVOTE_ERR_CONFIRM_FAILED; token errors pass
 * through. answer (may be NULL) receives the token's x for printing.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_confirm_check(const evote_confirm_t *c, const char *trustee_id,
                    evote_derive_x_fn derive, void *ctx, uint8_t answer[32]);


/* "hex" or "dice": how the observer's randomness was read (§15.4). */
EVOTE_API const char *evote_confirm_mode(const evote_confirm_t *c);

/* ---- the confirmation file (libevote-confirmation/1, PROTOCOL §15.4) ---- */

typedef enum {
    EVOTE_CONFIRM_NOT_ASKED = 0, /* no token was asked for this trustee */
    EVOTE_CONFIRM_CONFIRMED = 1, /* the token's answer equals x(E_i) */
    EVOTE_CONFIRM_FAILED = 2,    /* it does not (or the parts do not add up) */
} evote_confirm_verdict_t;

typedef struct {
    char trustee_id[EVOTE_ID_MAX + 1];
    bool have_expected, have_answer;
    uint8_t expected[32]; /* x(E_i) */
    uint8_t answer[32];   /* the token's x(x_i·Q) */
    evote_confirm_verdict_t verdict;
} evote_confirmation_trustee_t;

/*
 * What `evote confirm --out` records. randomness is the observer's text as
 * given (hex digits or dice rolls, whitespace allowed). have_q is false
 * when the published parts did not add up (then verdict is FAILED and
 * detail says why). verdict: CONFIRMED iff every trustee is CONFIRMED,
 * FAILED if any is, else NOT_ASKED (incomplete).
 */
typedef struct {
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    char contest_id[EVOTE_ID_MAX + 1];
    uint8_t input_sha256[EVOTE_HASH_LEN];
    uint8_t plaintexts_sha256[EVOTE_HASH_LEN];
    char mode[8];
    char *randomness;
    bool have_q;
    uint8_t q[EVOTE_POINT_LEN];
    size_t ntrustees;
    evote_confirmation_trustee_t *trustees;
    evote_confirm_verdict_t verdict;
    char detail[256];
} evote_confirmation_t;

/* "CONFIRMED", "FAILED", "NOT ASKED". */
EVOTE_API const char *evote_confirm_verdict_name(evote_confirm_verdict_t v);

/* Write atomically (overwrites: a rerun replaces the file). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_confirmation_write(const evote_confirmation_t *c, const char *path);
/* Read and check the layout (EVOTE_ERR_FORMAT); clear with
 * evote_confirmation_clear. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_confirmation_read(evote_confirmation_t *out, const char *path);
EVOTE_API void evote_confirmation_clear(evote_confirmation_t *c);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_CONFIRM_H */
