/*
 * libevote — tally of published decryptions and result sheets: JSON and
 * CSV for machines, a printable HTML sheet (UTF-8, inline SVG bar chart,
 * time in Asia/Tokyo, digests of the inputs, signature lines) for people.
 *
 * Contests appear in manifest order, options in notification order. A
 * result object is not thread-safe; distinct objects are independent.
 */
#ifndef EVOTE_RESULT_H
#define EVOTE_RESULT_H

#include "common.h"
#include "manifest.h"
#include "trustee.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct evote_result evote_result_t;

/* m is borrowed and must outlive r. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_new(evote_result_t **out, const evote_manifest_t *m);
EVOTE_API void evote_result_free(evote_result_t *r);

/*
 * Count one contest's decryption. Every selection is re-derived from its
 * plaintext point (a file whose selections disagree: EVOTE_ERR_FORMAT).
 * cast = number of ballots cast in the contest (from the closed box);
 * 0 = use the list length. decryption_sha256 (may be NULL) is printed among
 * the digests. Errors: EVOTE_ERR_MANIFEST_MISMATCH, EVOTE_ERR_CONTEST_UNKNOWN,
 * EVOTE_ERR_EXISTS (contest counted twice), EVOTE_ERR_ARG (cast < count).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_add(evote_result_t *r, const evote_decryption_t *d, uint64_t cast,
                 const uint8_t *decryption_sha256);

/* Time printed on the sheets (Unix seconds); default: now. */
EVOTE_API void evote_result_set_time(evote_result_t *r, int64_t unix_time);

/* Votes for option j of the contest (EVOTE_ERR_NOT_FOUND if not counted). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_votes(const evote_result_t *r, const char *contest_id, size_t option,
                   uint64_t *votes);
/* Number of invalid ballots of the contest. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_invalid(const evote_result_t *r, const char *contest_id,
                     uint64_t *invalid);

/* Writers (atomic). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_write_json(const evote_result_t *r, const char *path);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_write_csv(const evote_result_t *r, const char *path);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_result_write_html(const evote_result_t *r, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_RESULT_H */
