/*
 * libevote — verifiable mix-net: re-encryption shuffles of EC-ElGamal
 * ciphertext lists with Terelius–Wikström proofs of shuffle, byte for byte
 * in Verificatum's (VMN 3.1.0) non-interactive format over P-256
 * (VERIFICATUM.md; docs/PROTOCOL.md §14).
 *
 * A chain directory holds the whole mix of one contest in VMN's layout:
 * the input list, each party's permutation commitment, proof commitment,
 * reply and output (files numbered 01, 02, …) and the final output. Party
 * K extends the directory that party K−1 handed over; anyone checks it
 * with evote_mix_verify_dir (or with Verificatum's `vmnv -shuffle`).
 *
 * Secrets (permutation, re-encryption and proof randomness) come from
 * OpenSSL's DRBG and are wiped before return. Functions are thread-safe
 * and use opts->threads worker threads (0 = all cores).
 */
#ifndef EVOTE_MIX_H
#define EVOTE_MIX_H

#include <stdbool.h>

#include "ballot.h"
#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The supported subset of a VMN protInfo.xml (immutable once made). */
typedef struct evote_mix_params evote_mix_params_t;

#define EVOTE_MIX_SID_MAX 1024

/*
 * Parse protInfo.xml bytes. Only version 3.1.0, group ECqPGroup(P-256),
 * prg and rohash SHA-256, width 1 and keywidth 1 are supported; anything
 * else, and any malformed XML, is EVOTE_ERR_PROTINFO with detail.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_params_parse(evote_mix_params_t **out, const uint8_t *xml, size_t len);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_params_read(evote_mix_params_t **out, const char *path);
/*
 * Parameters of libevote's own sessions: sid derived from the election id
 * and contest (PROTOCOL §14), statdist 100, vbitlenro = ebitlenro = 256,
 * nopart = nparties (the most parties a chain may have), thres = 1.
 * A chain directory's own protInfo.xml has nopart = thres = its parties.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_params_new(evote_mix_params_t **out, const char *election_id,
                     const char *contest_id, unsigned nparties);
/* Write as protInfo.xml (atomic). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_params_write(const evote_mix_params_t *p, const char *path);
EVOTE_API const char *evote_mix_params_sid(const evote_mix_params_t *p);
EVOTE_API void evote_mix_params_free(evote_mix_params_t *p);

/* The session id for (election, contest): "E" ‖ hex(SHA-256(...)) (§14). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_sid(char out[EVOTE_MIX_SID_MAX + 1], const char *election_id,
              const char *contest_id);

/* Global prefix ρ for the session and auxsid (VERIFICATUM.md). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_global_prefix(const evote_mix_params_t *p, const char *auxsid,
                        uint8_t rho[EVOTE_HASH_LEN]);

/* The first n independent generators for ρ, compressed. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_generators(const evote_mix_params_t *p, const uint8_t rho[EVOTE_HASH_LEN],
                     size_t n, uint8_t (*out)[EVOTE_POINT_LEN]);

typedef struct {
    unsigned threads; /* 0 = all cores */
    bool progress;    /* progress with an estimate on stderr */
    size_t chunk;     /* ciphertexts held in memory at a time; 0 = 65 536
                         (about 45 MB); the files carry the rest */
} evote_mix_opts_t;

/*
 * Run party `party` (1, 2, …) of the chain in dir: shuffle its input (the
 * list `in` for party 1, which creates dir; the chain's current output for
 * later parties, which must be a directory made for the same params and
 * public key, with parties 1..party−1) and append its proof and output.
 * A later party first verifies the whole chain so far, from `in` (the box
 * export list: Ciphertexts.bt must equal it) when given, and refuses to mix
 * a chain that does not verify, with the failing party, file and check in
 * the error detail. Party 1 also writes protInfo.xml for params. Every file
 * is written atomically; on failure no new party is recorded in dir.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_run(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
              const evote_ct_t *in, size_t n, unsigned party, const char *dir,
              const evote_mix_opts_t *opts);

/* The same, reading the input list from a byte-tree file (no point
 * decompression: the fast path for large lists). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_run_file(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                   const char *in_path, unsigned party, const char *dir,
                   const evote_mix_opts_t *opts);

/* What a verification found (filled on success and on failure). */
typedef struct {
    unsigned parties;  /* parties verified (active threshold) */
    unsigned failed_party; /* 0 if none / not party-specific */
    char check[64];    /* name of the failed check, "" if none */
    char file[128];    /* file the failure refers to, "" if none */
    size_t n;          /* number of ciphertexts */
} evote_mix_report_t;

/*
 * Verify the chain or VMN proof directory dir under params. If pk is not
 * NULL the public key must be (G, pk); if in is not NULL, Ciphertexts.bt
 * must equal it. On success, *final_out (if not NULL) receives the final
 * output list (caller frees). EVOTE_ERR_SHUFFLE_PROOF, EVOTE_ERR_BYTETREE,
 * EVOTE_ERR_PROTINFO, EVOTE_ERR_KEY_MISMATCH, EVOTE_ERR_FORMAT …; the
 * report and the error detail name the party, the check and the file.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_mix_verify_dir(const evote_mix_params_t *params, const char *dir,
                     const uint8_t *pk, const evote_ct_t *in, size_t n_in,
                     const evote_mix_opts_t *opts, evote_mix_report_t *report,
                     evote_ct_t **final_out, size_t *final_n);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_MIX_H */
