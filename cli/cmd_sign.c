/* evote ballot sign — the voter's card signs one encrypted ballot (CMS). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "rio.h"

static void usage(FILE *f) {
    fprintf(f, "usage: evote ballot sign --token LABEL --key-label KEY [--cert CERT.pem]\n"
               "                         [--module PATH] [--pin-file FILE] [--detached]\n"
               "                         --in BALLOT --out BALLOT.p7\n"
               "Sign the ballot bytes as CMS SignedData (DER) with the key on the\n"
               "token; the certificate comes from --cert or from the token.\n"
               "The PIN comes from --pin-file, $EVOTE_PIN or a prompt.\n");
}

int cmd_ballot_sign(int argc, char **argv) {
    static const struct option opts[] = {
        {"token", required_argument, NULL, 't'},  {"key-label", required_argument, NULL, 'k'},
        {"cert", required_argument, NULL, 'c'},   {"module", required_argument, NULL, 'm'},
        {"pin-file", required_argument, NULL, 'p'}, {"in", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},    {"detached", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *token = NULL, *key = NULL, *cert = NULL, *module = NULL,
               *pin_file = NULL, *in = NULL, *outp = NULL;
    bool detached = false;
    int c, rc = 1;
    char pin[257];
    size_t pin_len = 0;
    uint8_t *data = NULL, *der = NULL;
    size_t len = 0, der_len = 0;
    evote_signer_t *s = NULL;
    evote_err_t err;

    memset(pin, 0, sizeof(pin));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': token = optarg; break;
        case 'k': key = optarg; break;
        case 'c': cert = optarg; break;
        case 'm': module = optarg; break;
        case 'p': pin_file = optarg; break;
        case 'i': in = optarg; break;
        case 'o': outp = optarg; break;
        case 'd': detached = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (token == NULL || key == NULL || in == NULL || outp == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    if ((err = rio_read_file(in, EVOTE_SIGN_MAX, &data, &len)) != EVOTE_OK) {
        rc = cli_fail(err, in);
        goto out;
    }
    if ((err = cli_read_pin(pin_file, NULL, "Voter card PIN: ", pin, sizeof(pin),
                            &pin_len)) != EVOTE_OK) {
        rc = cli_fail(err, "PIN");
        goto out;
    }
    err = evote_signer_open(&s, cli_module_path(module), token, pin, pin_len, key, cert);
    evote_wipe(pin, sizeof(pin));
    if (err != EVOTE_OK) {
        rc = cli_fail(err, "open signing key");
        goto out;
    }
    if ((err = evote_signer_sign_cms(s, data, len, detached, &der, &der_len)) != EVOTE_OK) {
        rc = cli_fail(err, "sign");
        goto out;
    }
    if ((err = rio_write_atomic(outp, der, der_len)) != EVOTE_OK) {
        rc = cli_fail(err, outp);
        goto out;
    }
    rc = 0;
out:
    evote_wipe(pin, sizeof(pin));
    evote_signer_free(s);
    free(data);
    free(der);
    return rc;
}
