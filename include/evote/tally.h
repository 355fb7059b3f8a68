/*
 * libevote — the decryption output ("plaintext list") and the tally.
 *
 * A plaintext list records, for one contest and one ciphertext-list file,
 * the decrypted point of every ballot in input order, or nothing for a
 * ballot that did not decrypt to a selection. It is a byte tree
 * (docs/PROTOCOL.md §8):
 *
 *   node( leaf "libevote-plaintexts/1", leaf manifest_hash[32],
 *         leaf contest_id, leaf input_sha256[32],
 *         node( entry_1 … entry_N ) )
 *   entry_i = leaf M_i (33-byte compressed point) | leaf "" (invalid)
 *
 * The tally decodes every entry against the manifest's options and counts
 * per option in manifest order; entries that are empty or do not decode are
 * invalid and listed by index (0-based, input order).
 */
#ifndef EVOTE_TALLY_H
#define EVOTE_TALLY_H

#include "common.h"
#include "group.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_PLAINTEXTS_FORMAT "libevote-plaintexts/1"
#define EVOTE_PLAINTEXTS_MAX 100000000u /* entries, as for ciphertext lists */

typedef struct evote_plaintexts evote_plaintexts_t;

/*
 * A list of n entries (1 ≤ n ≤ EVOTE_PLAINTEXTS_MAX), all unset. input_sha256
 * is the SHA-256 of the ciphertext-list file that was decrypted.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_plaintexts_new(evote_plaintexts_t **out, size_t n,
                     const uint8_t manifest_hash[EVOTE_HASH_LEN], const char *contest_id,
                     const uint8_t input_sha256[EVOTE_HASH_LEN]);
EVOTE_API void evote_plaintexts_free(evote_plaintexts_t *p);

/*
 * Set entry i to the point (validated: on the curve, not infinity) or, with
 * point == NULL, mark ballot i invalid. Different threads may set different
 * entries of one list concurrently; nothing else may run meanwhile.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_plaintexts_set(evote_plaintexts_t *p, size_t i, const uint8_t point[EVOTE_POINT_LEN]);

/*
 * Serialise (every entry must have been set: EVOTE_ERR_STATE otherwise) /
 * write atomically (temporary file + rename; replaces an existing file).
 * *out receives a malloc'ed buffer the caller frees.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_plaintexts_serialize(const evote_plaintexts_t *p, uint8_t **out, size_t *len);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_plaintexts_write(const evote_plaintexts_t *p, const char *path);

/*
 * Parse / read a plaintext list: magic (EVOTE_ERR_FORMAT; another
 * "libevote-plaintexts/" version: EVOTE_ERR_VERSION), structure
 * (EVOTE_ERR_BYTETREE), contest id syntax, and every non-empty entry a
 * valid point (EVOTE_ERR_POINT_*), with the index in the detail.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_plaintexts_parse(evote_plaintexts_t **out, const uint8_t *data, size_t len);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_plaintexts_read(evote_plaintexts_t **out, const char *path);

/* Accessors (borrowed pointers, valid until free). */
EVOTE_API size_t evote_plaintexts_count(const evote_plaintexts_t *p);
EVOTE_API const uint8_t *evote_plaintexts_manifest_hash(const evote_plaintexts_t *p);
EVOTE_API const char *evote_plaintexts_contest_id(const evote_plaintexts_t *p);
EVOTE_API const uint8_t *evote_plaintexts_input_sha256(const evote_plaintexts_t *p);
/* Entry i: the point, or NULL if the ballot was invalid, unset or i ≥ n. */
EVOTE_API const uint8_t *evote_plaintexts_get(const evote_plaintexts_t *p, size_t i);

/* ---- tally ------------------------------------------------------------- */

typedef struct evote_tally evote_tally_t;

/*
 * Count the plaintexts of p against manifest m: EVOTE_ERR_MANIFEST_MISMATCH
 * if p names another manifest, EVOTE_ERR_CONTEST_UNKNOWN if its contest is
 * not in m. Never fails because of an entry: those are invalid ballots.
 * The tally borrows m (m must outlive it) and copies what it needs of p.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_tally_compute(evote_tally_t **out, const evote_manifest_t *m,
                    const evote_plaintexts_t *p);
EVOTE_API void evote_tally_free(evote_tally_t *t);

/* Index of the contest in the manifest. */
EVOTE_API size_t evote_tally_contest_index(const evote_tally_t *t);
/* Votes for option j (manifest order); 0 for j out of range. */
EVOTE_API uint64_t evote_tally_votes(const evote_tally_t *t, size_t j);
/* Ballots counted (valid + invalid). */
EVOTE_API uint64_t evote_tally_total(const evote_tally_t *t);
EVOTE_API uint64_t evote_tally_invalid_count(const evote_tally_t *t);
/* Index (input order) of the i-th invalid ballot, ascending. */
EVOTE_API uint64_t evote_tally_invalid_index(const evote_tally_t *t, size_t i);

/*
 * The result as JSON (PROTOCOL §8, "libevote-tally/1"): a malloc'ed,
 * NUL-terminated UTF-8 string the caller frees / written atomically.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_tally_json(const evote_tally_t *t, char **out);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_tally_write_json(const evote_tally_t *t, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_TALLY_H */
