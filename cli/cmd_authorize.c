/* evote decrypt authorize — one official approves decrypting one list. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cli_ceremony.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote decrypt authorize --manifest FILE --contest ID --input LIST\n"
            "         --authorization AUTH.json --signature-out SIG.p7s\n"
            "         (--token LABEL [--key-label L] [--pin-file F] [--module M]\n"
            "          | --key-file KEY.pem --cert CERT.pem)\n\n"
            "One official approves decrypting exactly this list: AUTH.json (created\n"
            "if it does not exist yet) names the election, manifest, contest and the\n"
            "list's SHA-256; the official signs its exact bytes (CMS, detached, DER)\n"
            "with their own token. Default key label: evote-official.\n");
}

int cmd_decrypt_authorize(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'},      {"contest", 1, 0, 'c'},   {"input", 1, 0, 'i'},
        {"authorization", 1, 0, 'a'}, {"signature-out", 1, 0, 'o'}, {"token", 1, 0, 'T'},
        {"key-label", 1, 0, 'l'},     {"pin-file", 1, 0, 'p'},  {"module", 1, 0, 'M'},
        {"key-file", 1, 0, 'k'},      {"cert", 1, 0, 'C'},      {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    const char *mpath = NULL, *contest = NULL, *input = NULL, *auth = NULL, *out = NULL,
               *token = NULL, *label = "evote-official", *pinf = NULL, *module = NULL,
               *keyf = NULL, *certf = NULL;
    int c, rc = 1;
    evote_manifest_t *m = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    uint8_t lh[32], *der = NULL;
    size_t der_len = 0;
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'c': contest = optarg; break;
        case 'i': input = optarg; break;
        case 'a': auth = optarg; break;
        case 'o': out = optarg; break;
        case 'T': token = optarg; break;
        case 'l': label = optarg; break;
        case 'p': pinf = optarg; break;
        case 'M': module = optarg; break;
        case 'k': keyf = optarg; break;
        case 'C': certf = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!mpath || !contest || !input || !auth || !out || optind != argc ||
        (token == NULL) == (keyf == NULL) || (keyf != NULL && certf == NULL)) {
        usage(stderr);
        return 2;
    }
    if ((e = evote_manifest_load(&m, mpath)) != EVOTE_OK) {
        rc = cli_fail(e, mpath);
        goto out;
    }
    if ((e = evote_sha256_file(input, lh)) != EVOTE_OK) {
        rc = cli_fail(e, input);
        goto out;
    }
    if (access(auth, F_OK) != 0 &&
        (e = evote_approval_write(auth, m, contest, lh)) != EVOTE_OK) {
        rc = cli_fail(e, auth);
        goto out;
    }
    FILE *f = fopen(auth, "rb");
    uint8_t abuf[65536];
    size_t alen = f ? fread(abuf, 1, sizeof(abuf), f) : 0;
    if (f)
        fclose(f);
    if ((e = evote_approval_check_auth(abuf, alen, m, contest, lh)) != EVOTE_OK) {
        rc = cli_fail(e, auth);
        goto out;
    }
    if (token != NULL) {
        char pin[256], prompt[160];
        size_t pin_len = 0;
        snprintf(prompt, sizeof(prompt), "PIN for token \"%s\": ", token);
        if ((e = cli_read_pin(pinf, "EVOTE_PIN", prompt, pin, sizeof(pin), &pin_len)) !=
            EVOTE_OK) {
            rc = cli_fail(e, "PIN");
            goto out;
        }
        e = evote_approval_sign_token(&der, &der_len, abuf, alen, cli_module_path(module),
                                      token, label, pin, pin_len);
        evote_wipe(pin, sizeof(pin));
        if (e != EVOTE_OK) {
            rc = cli_fail(e, "sign with the token");
            goto out;
        }
    } else {
        FILE *kf = fopen(keyf, "r"), *cf = fopen(certf, "r");
        key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
        cert = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL;
        if (kf)
            fclose(kf);
        if (cf)
            fclose(cf);
        if (key == NULL || cert == NULL) {
            fprintf(stderr, "evote: cannot read %s / %s\n", keyf, certf);
            goto out;
        }
    }
    if (token == NULL &&
        (e = evote_approval_sign(&der, &der_len, abuf, alen, key, cert)) != EVOTE_OK) {
        rc = cli_fail(e, "sign");
        goto out;
    }
    f = fopen(out, "wbx");
    if (f == NULL || fwrite(der, 1, der_len, f) != der_len || fclose(f) != 0) {
        fprintf(stderr, "evote: cannot write %s (exists?)\n", out);
        goto out;
    }
    printf("approval of %s (list SHA-256 %s) written to %s\n", contest, cli_hex32(lh), out);
    rc = 0;
out:
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    X509_free(cert);
    evote_manifest_free(m);
    return rc;
}
