/*
 * libevote — the ballot box as a signed transparency log: opening with the
 * zero-vote check, signed tree heads, receipts, closing, export to media and
 * verified import on the air-gapped machine (docs/PROTOCOL.md §12, §13).
 *
 * A box directory holds the statements the officials sign (opening.json,
 * sth-<contest>-<size>.json, closing.json, each with its NAME.<official>.p7s
 * signatures); the ballots and each contest's Merkle frontier live in the
 * store, whose per-contest box state ("open", "closed") reception obeys.
 *
 * An evote_box_t is used by one thread at a time.
 */
#ifndef EVOTE_BOX_H
#define EVOTE_BOX_H

#include <stdbool.h>

#include "common.h"
#include "group.h"
#include "manifest.h"
#include "merkle.h"
#include "statement.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SHA-256 of the running program (/proc/self/exe) and of the libevote that
 * is loaded (found through dladdr on a libevote symbol). */
typedef struct {
    uint8_t program_sha256[EVOTE_HASH_LEN];
    uint8_t library_sha256[EVOTE_HASH_LEN];
    char program_path[1024];
    char library_path[1024];
} evote_programs_t;

EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_programs_measure(evote_programs_t *out);

typedef struct evote_box evote_box_t;

/*
 * Open the box of an election: store_path is the reception store, dir the
 * box directory (created if missing), m the manifest (its file bytes at
 * manifest_path are exported verbatim), pk the election public key (PEM
 * file at pubkey_path), o the officials (all borrowed; they must outlive
 * the box).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_box_new(evote_box_t **out, const char *store_path, const char *dir,
              const evote_manifest_t *m, const char *manifest_path,
              const char *pubkey_path, const evote_officials_t *o);
EVOTE_API void evote_box_free(evote_box_t *b);

/*
 * Zero-vote check, then write dir/opening.json (refuses to overwrite:
 * EVOTE_ERR_EXISTS). EVOTE_ERR_BOX_NOT_EMPTY names the contest that holds
 * ballots; EVOTE_ERR_STATE if any box was opened before.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_box_prepare_open(evote_box_t *b);

/*
 * Verify opening.json and its signatures against the manifest's "open"
 * policy, then — in one store transaction that re-checks that every box is
 * empty and unopened — open every contest's box for reception.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_box_commit_open(evote_box_t *b);

/*
 * Re-check the opening at any time: the statement's signatures and policy,
 * that it names this manifest, public key and every contest with the empty
 * tree head, and that the store's boxes extend that empty log (their
 * current heads are reported in *sizes, one per contest, may be NULL).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_box_zero_check(evote_box_t *b,
                                                             uint64_t *sizes);

/*
 * Write the tree head statement of contest's box as it is now
 * (dir/sth-<contest>-<size>.json) for the officials to sign; name_out
 * receives NAME (without .json). EVOTE_ERR_BOX_NOT_OPEN unless open.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_box_prepare_sth(evote_box_t *b, const char *contest, char name_out[128]);

/*
 * Receipt for the ballot whose tracking code (SHA-256 of the ballot bytes)
 * is given: the leaf index and an inclusion proof against the latest
 * signed tree head that covers it, as JSON (docs/PROTOCOL.md §12.5),
 * *json malloc'd. EVOTE_ERR_NOT_FOUND if no ballot has that code or no
 * signed tree head covers it yet.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_box_receipt(evote_box_t *b, const char *contest,
                  const uint8_t tracking_code[EVOTE_HASH_LEN], char **json,
                  size_t *len);

/*
 * Close every box for good: stop reception (store state "closed"), then
 * write closing.json with the final heads, the consistency proofs from the
 * opening head and from every signed tree head to the final head, and the
 * comparison of the running program's digests with the opening's.
 * *programs_match (may be NULL) receives that comparison; a mismatch is
 * recorded in the statement, never hidden. EVOTE_ERR_BOX_CLOSED if closed
 * before, EVOTE_ERR_BOX_NOT_OPEN if never opened.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_box_close(evote_box_t *b,
                                                        bool *programs_match);

/*
 * Export the closed box to the new directory out_dir (must not exist): the
 * bundle is built in a temporary sibling, its index.json signed by each of
 * the nsigners officials' signers and checked against the manifest's
 * "export" policy, and only then renamed into place. Requires the opening
 * and closing statements to be signed as their policies demand.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_box_export(evote_box_t *b, const char *out_dir, evote_signer_t *const *signers,
                 size_t nsigners);

/*
 * Verify a bundle and, only if every check passes, copy it to out_dir (new
 * directory, atomically). m_expected (may be NULL) is the manifest the
 * counting machine was given independently: the bundle's manifest must be
 * byte-identical to it. ca_pem_path (NULL: none) is the officials' CA.
 * Errors name the file and the check in the detail: EVOTE_ERR_BUNDLE
 * (missing/extra/unreadable file, malformed content), EVOTE_ERR_DIGEST_MISMATCH
 * (file or program digest), EVOTE_ERR_PROOF_MERKLE, EVOTE_ERR_POLICY,
 * signature errors.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bundle_import(const char *bundle_dir, const char *out_dir,
                    const char *expected_manifest_path, const char *ca_pem_path,
                    bool allow_program_change);

/*
 * Every check of evote_bundle_import, copying nothing (for `evote verify`
 * and auditors). Same errors and details.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bundle_verify(const char *bundle_dir, const char *expected_manifest_path,
                    const char *ca_pem_path, bool allow_program_change);

/*
 * Verify a receipt (JSON from evote_box_receipt) for a voter: the tree
 * head's signatures under the manifest's policy (skipped when o is NULL —
 * only for pages that check signatures elsewhere), the inclusion proof,
 * and, if ballot is not NULL, that the receipt is for exactly these ballot
 * bytes. EVOTE_ERR_PROOF_MERKLE, EVOTE_ERR_FORMAT, signature/policy errors.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_receipt_verify(const evote_officials_t *o, const uint8_t *receipt, size_t len,
                     const uint8_t *ballot, size_t ballot_len);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_BOX_H */
