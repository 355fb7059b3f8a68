/* Test PKI and voter tokens (tests/pki.sh + SoftHSM2), for the signature,
 * reception and demo tests. */
#ifndef EVOTE_TEST_PKI_H
#define EVOTE_TEST_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fixed time inside every ordinary test certificate's validity and the
 * demo manifest's voting window: 2030-06-01T12:00:00Z. */
#define EVT_PKI_NOW ((int64_t)1906459200)

/*
 * Run tests/pki.sh into dir/pki with nrsa RSA voters (rsa-1..rsa-N) plus
 * ec-1, expired, notyet, revoked, unknown. Path of a file in it: evt_pki_path.
 */
void evt_pki_make(const char *dir, int nrsa);
/* dir/pki/<name><suffix>, e.g. ("rsa-1", ".pem"); returns a static buffer
 * slot (4 rotating slots). */
const char *evt_pki_path(const char *dir, const char *name, const char *suffix);

/*
 * A voter "card": initialise a SoftHSM2 token labelled label (SoftHSM2
 * configuration inside dir, as evt_token_setup) with EVT_SO_PIN / EVT_PIN
 * and import dir/pki/<name>.key + .pem under key label "sign". Runs in a
 * child process so the caller has not initialised the module.
 */
void evt_voter_token(const char *dir, const char *label, const char *name);

#endif

/* ---- many voters in memory (property tests, benchmarks) ---------------- */
#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
    uint8_t *cert_der;
    size_t cert_der_len;
    uint8_t cert_sha256[32];
    char issuer[512], serial_hex[130];
    char voter_id[32];
} evt_voter_t;

/*
 * n voters with fresh keys (P-256, or RSA-2048 if rsa) and certificates of
 * the national-ID profile issued by dir/pki/ca (valid 2025..2036), serials
 * starting at first_serial. Free with evt_voters_free.
 */
evt_voter_t *evt_voters_make(const char *dir, size_t n, bool rsa, unsigned first_serial);
void evt_voters_free(evt_voter_t *v, size_t n);
/* CMS SignedData (DER, attached) of data by the voter; caller frees. */
uint8_t *evt_voter_sign(const evt_voter_t *v, const uint8_t *data, size_t len,
                        size_t *der_len);
/* The signature value inside a SignedData (pointer into der). */
const uint8_t *evt_cms_signature(const uint8_t *der, size_t len, size_t *sig_len);
/* A CSV roll line for the voter: by certificate hash (by_hash) or by
 * issuer and serial, eligible for the contests (space-separated). */
void evt_voter_roll_line(const evt_voter_t *v, bool by_hash, const char *contests,
                         char *out, size_t cap);
