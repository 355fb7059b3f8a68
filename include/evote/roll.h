/*
 * libevote — the voter roll: who may vote in which contest.
 *
 * A roll file (CSV or JSON, docs/PROTOCOL.md §10) lists each voter's id,
 * the certificate that identifies them (by SHA-256 of the certificate, or
 * by issuer and serial number) and the contests they may vote in. The store
 * keeps only digests of the id and identity and a "voted" flag per contest.
 *
 * A parsed roll is immutable; functions are thread-safe on distinct rolls.
 */
#ifndef EVOTE_ROLL_H
#define EVOTE_ROLL_H

#include "cms.h"
#include "common.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_ROLL_MAX (512u * 1024u * 1024u) /* largest roll file */

typedef struct evote_roll evote_roll_t;

/*
 * Parse roll bytes (JSON if the first non-blank byte is '{', else CSV).
 * If known is not NULL every contest must be one of its nknown ids
 * (EVOTE_ERR_CONTEST_UNKNOWN): pass the manifest's contest ids. Syntax errors are EVOTE_ERR_FORMAT, two
 * entries of the file that contradict each other (one voter id with two
 * identities or contest sets, one identity for two voters) are
 * EVOTE_ERR_ROLL_CONFLICT; the detail names the line(s) (CSV) or the
 * entries (JSON, 1-based). Exact repetitions are accepted once.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_roll_parse(evote_roll_t **out, const uint8_t *data, size_t len,
                 const char *const *known, size_t nknown);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_roll_load(evote_roll_t **out, const char *path, const char *const *known,
                size_t nknown);
EVOTE_API void evote_roll_free(evote_roll_t *r);

/* Number of distinct voters in the roll. */
EVOTE_API size_t evote_roll_count(const evote_roll_t *r);

/*
 * Add the roll to the store in one transaction: voters already present
 * with the same identity and contests are left alone (re-import is
 * idempotent; their voted flags are kept); any contradiction with the
 * store is EVOTE_ERR_ROLL_CONFLICT naming the line, and nothing changes.
 * *added receives the number of new voters.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_roll_import(evote_store_t *s, const evote_roll_t *r, size_t *added);

/*
 * The two roll identities of a verified signer certificate (PROTOCOL §10):
 * by_hash = ident key of "sha256:<hex>", by_issuer = ident key of
 * "issuer-serial:<serial>:<issuer>".
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_roll_cert_keys(const evote_cms_result_t *signer,
                     uint8_t by_hash[EVOTE_HASH_LEN],
                     uint8_t by_issuer[EVOTE_HASH_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_ROLL_H */
