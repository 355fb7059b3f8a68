/* evote token init — initialise a PKCS#11 token (SoftHSM2's spare slot). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote token init --label LABEL [--module MODULE]\n"
            "                        [--so-pin-file FILE] [--pin-file FILE]\n\n"
            "Initialise the first uninitialised token of the PKCS#11 module with\n"
            "LABEL, a security-officer PIN and a user PIN. For SoftHSM2 point\n"
            "SOFTHSM2_CONF at a configuration whose token directory you chose\n"
            "(pkcs11-config/init-token.sh does all of it).\n\n"
            "PINs: SO PIN from --so-pin-file, else $EVOTE_SO_PIN, else a prompt;\n"
            "user PIN from --pin-file, else $EVOTE_PIN, else a prompt. Never argv.\n"
            "MODULE defaults to $EVOTE_PKCS11_MODULE, else %s.\n",
            EVOTE_DEFAULT_PKCS11_MODULE);
}

/* A prompted PIN for a new token is asked twice: a typo would lock the
 * election key away. PINs from files or the environment are taken as is. */
static evote_err_t read_new_pin(const char *file, const char *env, const char *what,
                                char *buf, size_t cap, size_t *len) {
    char again[256], prompt[96];
    size_t alen = 0;
    bool prompted = file == NULL && (getenv(env) == NULL || getenv(env)[0] == '\0');
    snprintf(prompt, sizeof(prompt), "New %s: ", what);
    evote_err_t rv = cli_read_pin(file, env, prompt, buf, cap, len);
    if (rv != EVOTE_OK || !prompted)
        return rv;
    snprintf(prompt, sizeof(prompt), "New %s again: ", what);
    rv = cli_read_pin(NULL, env, prompt, again, sizeof(again), &alen);
    if (rv == EVOTE_OK && (alen != *len || memcmp(again, buf, alen) != 0)) {
        fprintf(stderr, "evote: the two %ss differ\n", what);
        rv = EVOTE_ERR_PIN_SOURCE;
    }
    evote_wipe(again, sizeof(again));
    return rv;
}

int cmd_token_init(int argc, char **argv) {
    static const struct option opts[] = {{"label", required_argument, NULL, 'l'},
                                         {"module", required_argument, NULL, 'm'},
                                         {"so-pin-file", required_argument, NULL, 's'},
                                         {"pin-file", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *label = NULL, *module = NULL, *so_file = NULL, *pin_file = NULL;
    char so[256], pin[256];
    size_t so_len = 0, pin_len = 0;
    evote_err_t rv;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': label = optarg; break;
        case 'm': module = optarg; break;
        case 's': so_file = optarg; break;
        case 'p': pin_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || label == NULL) {
        fprintf(stderr, "%s: --label is required\n", argv[0]);
        usage(stderr);
        return 2;
    }
    memset(so, 0, sizeof(so));
    memset(pin, 0, sizeof(pin));
    if (read_new_pin(so_file, "EVOTE_SO_PIN", "SO PIN", so, sizeof(so), &so_len) != EVOTE_OK) {
        fprintf(stderr, "evote: no SO PIN: give --so-pin-file FILE, set EVOTE_SO_PIN, or run "
                        "on a terminal [EVOTE_ERR_PIN_SOURCE]\n");
        goto out;
    }
    if (read_new_pin(pin_file, "EVOTE_PIN", "user PIN", pin, sizeof(pin), &pin_len) !=
        EVOTE_OK) {
        fprintf(stderr, "evote: no user PIN: give --pin-file FILE, set EVOTE_PIN, or run on "
                        "a terminal [EVOTE_ERR_PIN_SOURCE]\n");
        goto out;
    }
    rv = evote_hsm_token_init(cli_module_path(module), label, so, so_len, pin, pin_len);
    if (rv != EVOTE_OK) {
        rc = cli_fail(rv, "token init");
        goto out;
    }
    printf("token \"%s\" initialised (module %s)\n", label, cli_module_path(module));
    rc = 0;
out:
    evote_wipe(so, sizeof(so));
    evote_wipe(pin, sizeof(pin));
    return rc;
}
