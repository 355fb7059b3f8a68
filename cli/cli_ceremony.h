/* evote CLI — helpers shared by the ceremony subcommands (trustee, decrypt
 * partial/combine/authorize, confirm, result). */
#ifndef EVOTE_CLI_CEREMONY_H
#define EVOTE_CLI_CEREMONY_H

#include "cli.h"

#define CLI_MULTI_MAX 64

/* Open the token labelled token with a PIN from --pin-file/$EVOTE_PIN/prompt
 * and select key_label; pk receives its public key. Prints errors. */
int cli_token_open(evote_hsm_t **hsm, const char *module, const char *token,
                   const char *pin_file, const char *key_label,
                   uint8_t pk[EVOTE_POINT_LEN], unsigned nsessions);

/* evote_derive_x_fn over an evote_hsm_t. */
evote_err_t cli_hsm_derive(void *ctx, const uint8_t point[EVOTE_POINT_LEN],
                           uint8_t x[32]);

/* Default key label of a trustee on their token: "evote-trustee-<id>". */
void cli_trustee_key_label(char *out, size_t cap, const char *trustee_id);

/* Append optarg to a repeatable option's list; 0 ok, 2 too many. */
int cli_multi_add(const char **list, size_t *n, const char *v, const char *opt);

/* Hex of a digest into a static buffer (not reentrant; for printing). */
const char *cli_hex32(const uint8_t h[32]);



/* Check the officials' decryption authorisation for (contest, list hash)
 * against the manifest's approval policy; prints why and returns 1 if it
 * fails, 0 if it holds (or the manifest names no officials). */
int cli_check_authorization(const evote_manifest_t *m, const char *contest,
                            const uint8_t list_hash[EVOTE_HASH_LEN], const char *auth,
                            const char **sigs, size_t nsig);

/* Refuse a list that is not the final output of the verified mix chain in
 * chain_dir, whose input must be the imported box's list
 * box_dir/ciphertexts/<contest>.bt when box_dir is given (PROTOCOL §13);
 * with unmixed (--unmixed, practice only) skip with a warning. */
int cli_check_mix_output(const evote_manifest_t *m, const char *contest,
                         const uint8_t pk[EVOTE_POINT_LEN], const char *chain_dir,
                         const char *box_dir, bool unmixed, const evote_ct_t *cts, size_t n);
/*
 * What every decryption-ceremony step starts from: the manifest, the key
 * (the trustees' key-ceremony record, or with one key the election key PEM
 * as a single share with id CLI_SINGLE_KEY_ID), and the ciphertext list
 * (its file SHA-256 and entries). Any of record/key_pem/input may be NULL
 * (not loaded); record wins over key_pem. contest (may be NULL) must be a
 * contest of the manifest (its index in ci). Prints errors; returns 0 or
 * the exit status. Free with cli_ceremony_free.
 */
#define CLI_SINGLE_KEY_ID "election-key"
typedef struct {
    evote_manifest_t *m;
    size_t ci;
    evote_trustee_share_t *shares;
    size_t nshares;
    uint8_t pk[EVOTE_POINT_LEN];
    evote_ct_t *cts;
    size_t n;
    uint8_t list_hash[EVOTE_HASH_LEN];
} cli_ceremony_t;
int cli_ceremony_load(cli_ceremony_t *c, const char *manifest, const char *contest,
                      const char *record, const char *key_pem, const char *input);
void cli_ceremony_free(cli_ceremony_t *c);
/* Index of trustee id in c->shares, or c->nshares (printed) if it is none. */
size_t cli_ceremony_trustee(const cli_ceremony_t *c, const char *id, const char *record);

/* Lower-case hex of len bytes into out (2*len+1). */
void cli_hex(char *out, const uint8_t *in, size_t len);
#endif
