/*
 * libevote — the election manifest (JSON, parsed with jansson).
 *
 * The manifest's SHA-256 over the exact file bytes is the election's anchor:
 * every later artefact names it. The JSON is never re-serialised for hashing.
 * Layout and validation rules: docs/PROTOCOL.md, "Manifest".
 * A loaded manifest is immutable and may be shared between threads.
 */
#ifndef EVOTE_MANIFEST_H
#define EVOTE_MANIFEST_H

#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_ID_MAX 64          /* election, contest, option, person ids */
#define EVOTE_MANIFEST_MAX (1u << 20)

typedef struct evote_manifest evote_manifest_t;

/*
 * True if s is a valid id: [A-Za-z0-9][A-Za-z0-9._-]{0,63} (election,
 * contest, option and person ids, and contest ids inside ballots).
 */
EVOTE_API int evote_manifest_id_valid(const char *s);

/*
 * Parse and validate manifest bytes; EVOTE_ERR_MANIFEST with the field path
 * in the detail, EVOTE_ERR_TOO_LARGE above EVOTE_MANIFEST_MAX bytes.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_manifest_parse(evote_manifest_t **out, const uint8_t *data, size_t len);
/* Read a file (at most EVOTE_MANIFEST_MAX bytes) and parse it. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_manifest_load(evote_manifest_t **out, const char *path);
EVOTE_API void evote_manifest_free(evote_manifest_t *m);

/* SHA-256 of the exact bytes (borrowed, 32 bytes). */
EVOTE_API const uint8_t *evote_manifest_hash(const evote_manifest_t *m);
EVOTE_API const char *evote_manifest_election_id(const evote_manifest_t *m);
EVOTE_API const char *evote_manifest_title(const evote_manifest_t *m);

/* Voting window as Unix seconds (UTC); manifest times carry +09:00. */
EVOTE_API void evote_manifest_window(const evote_manifest_t *m,
                                     int64_t *opens, int64_t *closes);

/* Contests in official order. */
EVOTE_API size_t evote_manifest_contest_count(const evote_manifest_t *m);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_manifest_contest_index(const evote_manifest_t *m, const char *contest_id,
                             size_t *index);
EVOTE_API const char *evote_manifest_contest_id(const evote_manifest_t *m, size_t i);
EVOTE_API const char *evote_manifest_contest_title(const evote_manifest_t *m, size_t i);
/* "district" or "proportional". */
EVOTE_API const char *evote_manifest_contest_kind(const evote_manifest_t *m, size_t i);

/* Options (candidates or parties) of contest i in notification order. */
EVOTE_API size_t evote_manifest_option_count(const evote_manifest_t *m, size_t i);
EVOTE_API const char *evote_manifest_option_id(const evote_manifest_t *m, size_t i,
                                               size_t j);
EVOTE_API const char *evote_manifest_option_name(const evote_manifest_t *m,
                                                 size_t i, size_t j);

/*
 * People named by the manifest. role is "official" or "trustee". Each has
 * an id, a display name and optionally the SHA-256 of their certificate
 * (all-zero when the manifest leaves it open).
 */
EVOTE_API size_t evote_manifest_person_count(const evote_manifest_t *m,
                                             const char *role);
EVOTE_API const char *evote_manifest_person_id(const evote_manifest_t *m,
                                               const char *role, size_t i);
EVOTE_API const char *evote_manifest_person_name(const evote_manifest_t *m,
                                                 const char *role, size_t i);
EVOTE_API const uint8_t *evote_manifest_person_cert_sha256(const evote_manifest_t *m,
                                                           const char *role, size_t i);

/*
 * Approval policy: how many officials must sign the statement for step
 * ("open", "close", "export", "decrypt"). Default 1 when unspecified.
 * An unknown step (or NULL) yields UINT_MAX: fail closed.
 */
EVOTE_API unsigned evote_manifest_required_approvals(const evote_manifest_t *m,
                                                     const char *step);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_MANIFEST_H */
