/*
 * libevote — decryption of a whole ciphertext list through the token.
 *
 * For each ciphertext (C1, C2): the token derives x(key·C1) (C1 validated
 * first), the x-coordinate is lifted to ±S, and evote_decrypt_resolve()
 * decides which of C2 − S, C2 + S is a selection of the contest. A
 * ciphertext where neither or both decode is an invalid ballot: it is
 * reported by index, never guessed. docs/PROTOCOL.md §7 and §8.
 *
 * Work is spread over T threads (default: the handle's number of sessions)
 * that pull ciphertexts from a shared counter, so every session of the token
 * is kept busy.
 */
#ifndef EVOTE_DECRYPT_H
#define EVOTE_DECRYPT_H

#include "ballot.h"
#include "common.h"
#include "hsm.h"
#include "manifest.h"
#include "tally.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Selection value that marks an invalid ballot in decryption results. */
#define EVOTE_SELECTION_INVALID UINT32_MAX

/* Optional progress report: called from worker threads (serialised by the
 * library) with the number of ciphertexts done so far and the total. */
typedef void (*evote_decrypt_progress_fn)(void *arg, size_t done, size_t total);

typedef struct {
    unsigned threads;                   /* 0 = evote_hsm_session_count() */
    evote_decrypt_progress_fn progress; /* NULL = none */
    void *progress_arg;
    /* Resolve every ballot with evote_decrypt_resolve() instead of the
     * x-only comparison against the contest's selection points (same
     * verdicts, about two square roots more per ballot; docs/PROTOCOL.md
     * §7). For cross-checks. */
    int reference_resolve;
} evote_decrypt_opts_t;

/*
 * Decrypt cts[0..n) with the key selected on hsm for a contest with
 * noptions options. selection[i] receives the selection of ciphertext i or
 * EVOTE_SELECTION_INVALID; plaintext (may be NULL) receives the plaintext
 * point (all zero where invalid); *ninvalid the number of invalid ballots.
 * opts may be NULL. Fails (and zeroes every output) on a token or system
 * error — the detail names the ciphertext index — never on a bad ballot.
 * Thread-safe with respect to other users of hsm.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_ctlist(evote_hsm_t *hsm, const evote_ct_t *cts, size_t n,
                     uint32_t noptions, const evote_decrypt_opts_t *opts,
                     uint32_t *selection, uint8_t (*plaintext)[EVOTE_POINT_LEN],
                     size_t *ninvalid);

/* Counts of one evote_decrypt_file() run. */
typedef struct {
    size_t ciphertexts; /* how many were in the list */
    size_t valid;
    size_t invalid;
    unsigned threads;   /* threads used */
    double seconds;     /* wall time of the token work (derive + resolve) */
    double cpu_seconds; /* process CPU time over the same span (all threads;
                           with an in-process token such as SoftHSM2 it
                           includes the token's work) */
} evote_decrypt_stats_t;

/*
 * Decrypt the serialised ciphertext list data[0..len) (docs/PROTOCOL.md §3)
 * for contest_id of manifest m into a fresh plaintext list (include/evote/
 * tally.h) naming the manifest, the contest and SHA-256(data). The list's
 * points are validated as evote_ctlist_parse does; C1's coordinates are
 * taken from the validated list for the token. *out is the caller's
 * (evote_plaintexts_free). stats may be NULL.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_list(evote_hsm_t *hsm, const evote_manifest_t *m, const char *contest_id,
                   const uint8_t *data, size_t len, const evote_decrypt_opts_t *opts,
                   evote_plaintexts_t **out, evote_decrypt_stats_t *stats);

/*
 * The same from the file in_path to the plaintext list file out_path,
 * written atomically; refuses to overwrite out_path (EVOTE_ERR_EXISTS).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_file(evote_hsm_t *hsm, const evote_manifest_t *m,
                   const char *contest_id, const char *in_path,
                   const char *out_path, const evote_decrypt_opts_t *opts,
                   evote_decrypt_stats_t *stats);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_DECRYPT_H */
