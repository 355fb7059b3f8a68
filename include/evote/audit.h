/*
 * libevote — the election's audit trail: an append-only, hash-chained log
 * in which every ceremony step records who did what, when, on which inputs
 * and outputs, and with what outcome. Each entry is signed (detached CMS)
 * with the operator's own token key.
 *
 * Format, hash inputs and verification rules: docs/PROTOCOL.md §16.
 *
 * Thread safety: an evote_audit_signer_t is used by one thread at a time.
 * evote_audit_append() serialises writers of the same log across processes
 * (flock on "<log>.lock"); a loaded evote_audit_log_t is immutable and may
 * be read from several threads.
 */
#ifndef EVOTE_AUDIT_H
#define EVOTE_AUDIT_H

#include <stdbool.h>

#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_AUDIT_LOG_MAX (64u << 20)  /* whole log file */
#define EVOTE_AUDIT_LINE_MAX (1u << 20)  /* one entry line */

/* ---- signers ----------------------------------------------------------- */

typedef struct evote_audit_signer evote_audit_signer_t;

/*
 * Produce a detached CMS SignedData (DER) over data with the operator's
 * key; *cms is allocated with malloc and released by the caller with
 * free(). Used to plug in a signer other than a PKCS#11 token.
 */
typedef evote_err_t (*evote_audit_sign_fn)(void *ctx, const uint8_t *data,
                                           size_t len, uint8_t **cms,
                                           size_t *cms_len);

/*
 * Open the operator's token through evote_signer_open() (evote/signer.h):
 * find the token labelled token_label, log in with pin (copied, used,
 * wiped), select the private key labelled key_label (NULL: "operator") and
 * the certificate stored next to it on the token. That certificate is what
 * every entry names as the operator. Errors: those of evote_signer_open
 * (EVOTE_ERR_MODULE_LOAD, EVOTE_ERR_TOKEN_NOT_FOUND, EVOTE_ERR_PIN_INCORRECT,
 * EVOTE_ERR_PIN_LOCKED, EVOTE_ERR_KEY_NOT_FOUND, EVOTE_ERR_NOT_FOUND for a
 * missing certificate, EVOTE_ERR_KEY_MISMATCH, EVOTE_ERR_PKCS11).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_signer_open_token(evote_audit_signer_t **out, const char *module_path,
                              const char *token_label, const char *key_label,
                              const char *pin, size_t pin_len);

/*
 * A signer from a callback and the operator's certificate (DER, copied).
 * ctx is borrowed and must outlive the signer.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_signer_from_callback(evote_audit_signer_t **out,
                                 evote_audit_sign_fn fn, void *ctx,
                                 const uint8_t *cert_der, size_t cert_len);

/* Operator certificate (DER, borrowed) and its subject as one line. */
EVOTE_API const uint8_t *evote_audit_signer_cert(const evote_audit_signer_t *s,
                                                 size_t *len);

/* Log out, release the token and free. Accepts NULL. */
EVOTE_API void evote_audit_signer_free(evote_audit_signer_t *s);

/* ---- appending ---------------------------------------------------------- */

/* One file a step read or wrote. sha256 NULL: the file did not exist. */
typedef struct {
    const char *path;
    const uint8_t *sha256;
} evote_audit_file_t;

typedef struct {
    const char *step;               /* "box open", "keygen", ... */
    const char *const *args;        /* the step's argv after the step name */
    size_t nargs;
    /* Values that must never reach the log (PINs): any argument or message
     * containing one is replaced by "[redacted]". Arguments of options whose
     * name contains pin, secret, password or passphrase are redacted too. */
    const char *const *secrets;
    size_t nsecrets;
    const evote_audit_file_t *inputs;
    size_t ninputs;
    const evote_audit_file_t *outputs;
    size_t noutputs;
    evote_err_t result;             /* EVOTE_OK or the step's error */
    int exit_status;                /* process exit status of the step */
    const char *message;            /* error detail (NULL/"" if none) */
    int64_t time;                   /* Unix seconds; 0 = now */
} evote_audit_event_t;

/*
 * Append one signed entry for ev to the log at path, creating it (with
 * genesis bound to manifest_hash) if it does not exist. If it exists, its
 * election must be manifest_hash (EVOTE_ERR_MANIFEST_MISMATCH) unless
 * manifest_hash is NULL; a new log needs manifest_hash (EVOTE_ERR_ARG).
 * The append holds an exclusive lock on "<path>.lock" and rewrites the log
 * through a temporary file and rename: a crash leaves the old or the new
 * log, never a torn one. The existing log's last entry must parse
 * (EVOTE_ERR_AUDIT_CHAIN otherwise: nothing is appended to a damaged log).
 * *seq_out (optional) receives the new entry's sequence number.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_append(const char *path, const uint8_t *manifest_hash,
                   const evote_audit_event_t *ev, evote_audit_signer_t *signer,
                   uint64_t *seq_out);

/* Genesis value of a log: H("libevote/v1/audit-genesis"; manifest hash). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_genesis(const uint8_t manifest_hash[EVOTE_HASH_LEN],
                    uint8_t out[EVOTE_HASH_LEN]);

/* Entry hash: H("libevote/v1/audit-entry"; body bytes, CMS DER bytes). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_entry_hash(const uint8_t *body, size_t body_len, const uint8_t *cms,
                       size_t cms_len, uint8_t out[EVOTE_HASH_LEN]);

/*
 * True if arg is an option whose value is secret ("--pin", "--so-pin=…",
 * "--operator-pin-file", anything naming pin, secret, password or
 * passphrase, case-insensitive). Its value is redacted and never hashed.
 */
EVOTE_API bool evote_audit_arg_is_secret(const char *arg);

/* ---- reading and verifying ---------------------------------------------- */

typedef struct evote_audit_log evote_audit_log_t;

/*
 * Load a log: split it into entries and parse each body. Structural
 * problems are not fatal here (verify reports them); EVOTE_ERR_IO,
 * EVOTE_ERR_NOT_FOUND, EVOTE_ERR_TOO_LARGE only.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_load(evote_audit_log_t **out, const char *path);
EVOTE_API void evote_audit_log_free(evote_audit_log_t *log);

/* Number of lines (entries, well-formed or not). */
EVOTE_API size_t evote_audit_count(const evote_audit_log_t *log);
/* Body of entry i (0-based) as the exact JSON bytes, NUL-terminated,
 * borrowed; NULL if the line was not even splittable. */
EVOTE_API const char *evote_audit_entry_body(const evote_audit_log_t *log,
                                             size_t i);
/* Election (manifest hash) the first entry names, or NULL. */
EVOTE_API const uint8_t *evote_audit_election(const evote_audit_log_t *log);

/*
 * Verify the whole log: every line splits and parses, sequence numbers run
 * 1, 2, 3, … with no gap, repeat or reordering, entry 1 chains to the
 * genesis of its election (and that election is expected_manifest if not
 * NULL), every later entry names the hash of the one before, every entry
 * names the same election, and every signature verifies over the exact
 * body bytes with the certificate named in the body. If ca_pem_path is
 * given, every operator certificate must chain to a CA in that file, valid
 * at the entry's own time. Every problem found is kept (read them with
 * evote_audit_problem); the return value is that of the first:
 * EVOTE_ERR_AUDIT_CHAIN (deleted, inserted, reordered or edited entries,
 * detail "seq N: …"), EVOTE_ERR_SIGNATURE, EVOTE_ERR_CERT_CHAIN,
 * EVOTE_ERR_MANIFEST_MISMATCH. An empty log is EVOTE_ERR_AUDIT_CHAIN.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_audit_verify(evote_audit_log_t *log, const char *ca_pem_path,
                   const uint8_t *expected_manifest);

/* Problems found by the last evote_audit_verify on log (borrowed). */
EVOTE_API size_t evote_audit_problem_count(const evote_audit_log_t *log);
EVOTE_API const char *evote_audit_problem(const evote_audit_log_t *log,
                                          size_t i);

/*
 * Sequence number of the latest successful entry that lists a file with
 * this SHA-256 among its outputs (0 if none). step_out, if not NULL,
 * receives that entry's step (borrowed).
 */
EVOTE_API uint64_t evote_audit_find_output(const evote_audit_log_t *log,
                                           const uint8_t sha256[EVOTE_HASH_LEN],
                                           const char **step_out);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_AUDIT_H */
