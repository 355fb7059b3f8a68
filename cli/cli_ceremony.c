/* evote CLI — ceremony helpers: token opening, repeatable options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ceremony.h"

int cli_token_open(evote_hsm_t **hsm, const char *module, const char *token,
                   const char *pin_file, const char *key_label,
                   uint8_t pk[EVOTE_POINT_LEN], unsigned nsessions) {
    char pin[256];
    size_t pin_len = 0;
    char prompt[160];
    evote_err_t e;
    *hsm = NULL;
    snprintf(prompt, sizeof(prompt), "PIN for token \"%s\": ", token);
    e = cli_read_pin(pin_file, "EVOTE_PIN", prompt, pin, sizeof(pin), &pin_len);
    if (e != EVOTE_OK)
        return cli_fail(e, "PIN");
    e = evote_hsm_open(hsm, cli_module_path(module), token, pin, pin_len, nsessions);
    evote_wipe(pin, sizeof(pin));
    if (e != EVOTE_OK)
        return cli_fail(e, "open token");
    if (key_label != NULL) {
        e = evote_hsm_select_key(*hsm, key_label, pk);
        if (e != EVOTE_OK) {
            evote_hsm_free(*hsm);
            *hsm = NULL;
            return cli_fail(e, "select key");
        }
    }
    return 0;
}

evote_err_t cli_hsm_derive(void *ctx, const uint8_t point[EVOTE_POINT_LEN],
                           uint8_t x[32]) {
    return evote_hsm_derive_x((evote_hsm_t *)ctx, point, x);
}

void cli_trustee_key_label(char *out, size_t cap, const char *trustee_id) {
    snprintf(out, cap, "evote-trustee-%s", trustee_id);
}

int cli_multi_add(const char **list, size_t *n, const char *v, const char *opt) {
    if (*n >= CLI_MULTI_MAX) {
        fprintf(stderr, "evote: too many %s (at most %d)\n", opt, CLI_MULTI_MAX);
        return 2;
    }
    list[(*n)++] = v;
    return 0;
}

const char *cli_hex32(const uint8_t h[32]) {
    static const char d[] = "0123456789abcdef";
    static char buf[65];
    for (int i = 0; i < 32; i++) {
        buf[2 * i] = d[h[i] >> 4];
        buf[2 * i + 1] = d[h[i] & 15];
    }
    buf[64] = 0;
    return buf;
}

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = malloc(1u << 20);
    *len = buf ? fread(buf, 1, 1u << 20, f) : 0;
    fclose(f);
    return buf;
}

int cli_check_authorization(const evote_manifest_t *m, const char *contest,
                            const uint8_t list_hash[EVOTE_HASH_LEN], const char *auth,
                            const char **sigs, size_t nsig) {
    uint8_t *a = NULL, *s[CLI_MULTI_MAX] = {0};
    size_t alen = 0, slen[CLI_MULTI_MAX] = {0}, napproved = 0;
    int rc = 1;
    if (auth != NULL && (a = slurp(auth, &alen)) == NULL) {
        fprintf(stderr, "evote: cannot read %s\n", auth);
        goto out;
    }
    for (size_t i = 0; i < nsig; i++)
        if ((s[i] = slurp(sigs[i], &slen[i])) == NULL) {
            fprintf(stderr, "evote: cannot read %s\n", sigs[i]);
            goto out;
        }
    evote_err_t e = evote_approval_verify(m, contest, list_hash, a, alen,
                                          (const uint8_t *const *)s, slen, nsig, &napproved);
    if (e != EVOTE_OK) {
        cli_fail(e, "approvals");
        goto out;
    }
    if (napproved > 0)
        printf("decryption approved by %zu official(s)\n", napproved);
    rc = 0;
out:
    free(a);
    for (size_t i = 0; i < nsig; i++)
        free(s[i]);
    return rc;
}

int cli_check_mix_output(const evote_manifest_t *m, const char *contest,
                         const uint8_t pk[EVOTE_POINT_LEN], const char *chain_dir,
                         const char *box_dir, bool unmixed, const evote_ct_t *cts, size_t n) {
    if (unmixed) {
        fprintf(stderr, "evote: WARNING: --unmixed: this list is NOT checked against a mix "
                        "chain; use it for practice elections only\n");
        return 0;
    }
    if (chain_dir == NULL) {
        fprintf(stderr, "evote: only the final output of a verified mix chain can be "
                        "decrypted: give --mix-chain DIR [EVOTE_ERR_NOT_MIX_OUTPUT]\n");
        return 1;
    }
    evote_ct_t *box = NULL;
    size_t nbox = 0;
    evote_err_t e;
    if (box_dir != NULL) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/ciphertexts/%s.bt", box_dir, contest);
        if ((e = evote_ctlist_read(path, &box, &nbox)) != EVOTE_OK)
            return cli_fail(e, path);
    } else {
        fprintf(stderr, "evote: note: no --box given: the mix chain's input is not compared "
                        "with the imported box\n");
    }
    e = evote_decrypt_check_mix_output(m, contest, pk, chain_dir, box, nbox, cts, n);
    free(box);
    if (e != EVOTE_OK)
        return cli_fail(e, "mix output");
    return 0;
}

void cli_hex(char *out, const uint8_t *in, size_t len) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * len] = 0;
}

int cli_ceremony_load(cli_ceremony_t *c, const char *manifest, const char *contest,
                      const char *record, const char *key_pem, const char *input) {
    evote_err_t e;
    memset(c, 0, sizeof(*c));
    if ((e = evote_manifest_load(&c->m, manifest)) != EVOTE_OK)
        return cli_fail(e, manifest);
    if (contest != NULL &&
        (e = evote_manifest_contest_index(c->m, contest, &c->ci)) != EVOTE_OK)
        return cli_fail(e, contest);
    if (record != NULL) {
        if ((e = evote_trustee_record_read(record, evote_manifest_hash(c->m), &c->shares,
                                           &c->nshares, c->pk)) != EVOTE_OK)
            return cli_fail(e, record);
    } else if (key_pem != NULL) {
        if ((e = evote_pubkey_read_pem(key_pem, c->pk)) != EVOTE_OK)
            return cli_fail(e, key_pem);
        if ((c->shares = calloc(1, sizeof(*c->shares))) == NULL)
            return cli_fail(EVOTE_ERR_NOMEM, key_pem);
        c->nshares = 1;
        strcpy(c->shares[0].id, CLI_SINGLE_KEY_ID);
        memcpy(c->shares[0].pk, c->pk, EVOTE_POINT_LEN);
    }
    if (input != NULL && ((e = evote_sha256_file(input, c->list_hash)) != EVOTE_OK ||
                          (e = evote_ctlist_read(input, &c->cts, &c->n)) != EVOTE_OK))
        return cli_fail(e, input);
    return 0;
}

void cli_ceremony_free(cli_ceremony_t *c) {
    if (c == NULL)
        return;
    free(c->cts);
    free(c->shares);
    evote_manifest_free(c->m);
    memset(c, 0, sizeof(*c));
}

size_t cli_ceremony_trustee(const cli_ceremony_t *c, const char *id, const char *record) {
    size_t i = 0;
    while (i < c->nshares && strcmp(c->shares[i].id, id) != 0)
        i++;
    if (i == c->nshares)
        fprintf(stderr, "evote: trustee \"%s\" is not in %s\n", id,
                record != NULL ? record : "the key record");
    return i;
}
