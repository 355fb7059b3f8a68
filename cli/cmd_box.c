/*
 * evote box open | sign | zero-check | sth | receipt | close | export | import
 * — the ballot box as a signed transparency log (docs/PROTOCOL.md §12, §13).
 * Thin: parse, call libevote, print.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

#define MAX_OFFICIALS 16

typedef struct {
    const char *store, *dir, *manifest, *pubkey, *ca, *module, *key_label;
    const char *contest, *code, *out, *bundle, *statement, *verify, *ballot;
    const char *tokens[MAX_OFFICIALS], *certs[MAX_OFFICIALS], *pins[MAX_OFFICIALS];
    size_t ntokens, ncerts, npins;
    bool allow_program_change, no_signatures;
    /* loaded */
    evote_manifest_t *m;
    evote_officials_t *o;
    evote_box_t *b;
    evote_signer_t *signers[MAX_OFFICIALS];
} box_cli_t;

static const char *COMMON_HELP =
    "  --store DB            the reception store (SQLite)\n"
    "  --dir DIR             the box directory holding the officials' statements\n"
    "  --manifest FILE       the election manifest\n"
    "  --public-key FILE     the election public key (PEM)\n"
    "  --officials-ca FILE   CA of the officials' certificates (if the manifest\n"
    "                        does not pin them)\n";

static const char *SIGNER_HELP =
    "  --token LABEL         an official's token (repeat, one per official)\n"
    "  --cert FILE           that official's certificate (PEM; repeat in the same\n"
    "                        order; default: the certificate object on the token)\n"
    "  --key-label LABEL     label of the signing key on every token (default sign)\n"
    "  --pin-file FILE       PIN of that token (repeat in the same order; else\n"
    "                        $EVOTE_PIN or a prompt)\n"
    "  --module PATH         PKCS#11 module\n";

static void box_cli_free(box_cli_t *c) {
    for (size_t i = 0; i < MAX_OFFICIALS; i++)
        evote_signer_free(c->signers[i]);
    evote_box_free(c->b);
    evote_officials_free(c->o);
    evote_manifest_free(c->m);
}

enum {
    O_STORE = 256, O_DIR, O_MANIFEST, O_PUBKEY, O_CA, O_MODULE, O_KEYLABEL, O_TOKEN, O_CERT,
    O_PIN, O_CONTEST, O_CODE, O_OUT, O_BUNDLE, O_STATEMENT, O_ALLOW, O_VERIFY, O_BALLOT,
    O_NOSIG
};

/* Parse every option any box subcommand takes; returns 0, or 2 on misuse. */
static int parse(box_cli_t *c, int argc, char **argv, void (*usage)(FILE *)) {
    static const struct option opts[] = {
        {"store", required_argument, NULL, O_STORE},
        {"dir", required_argument, NULL, O_DIR},
        {"manifest", required_argument, NULL, O_MANIFEST},
        {"public-key", required_argument, NULL, O_PUBKEY},
        {"pubkey", required_argument, NULL, O_PUBKEY}, /* hidden alias, as elsewhere */
        {"officials-ca", required_argument, NULL, O_CA},
        {"module", required_argument, NULL, O_MODULE},
        {"key-label", required_argument, NULL, O_KEYLABEL},
        {"token", required_argument, NULL, O_TOKEN},
        {"cert", required_argument, NULL, O_CERT},
        {"pin-file", required_argument, NULL, O_PIN},
        {"contest", required_argument, NULL, O_CONTEST},
        {"tracking-code", required_argument, NULL, O_CODE},
        {"out", required_argument, NULL, O_OUT},
        {"bundle", required_argument, NULL, O_BUNDLE},
        {"statement", required_argument, NULL, O_STATEMENT},
        {"allow-program-change", no_argument, NULL, O_ALLOW},
        {"verify", required_argument, NULL, O_VERIFY},
        {"ballot", required_argument, NULL, O_BALLOT},
        {"no-signatures", no_argument, NULL, O_NOSIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int o;
    memset(c, 0, sizeof(*c));
    c->key_label = "sign";
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case O_STORE: c->store = optarg; break;
        case O_DIR: c->dir = optarg; break;
        case O_MANIFEST: c->manifest = optarg; break;
        case O_PUBKEY: c->pubkey = optarg; break;
        case O_CA: c->ca = optarg; break;
        case O_MODULE: c->module = optarg; break;
        case O_KEYLABEL: c->key_label = optarg; break;
        case O_CONTEST: c->contest = optarg; break;
        case O_CODE: c->code = optarg; break;
        case O_OUT: c->out = optarg; break;
        case O_BUNDLE: c->bundle = optarg; break;
        case O_STATEMENT: c->statement = optarg; break;
        case O_ALLOW: c->allow_program_change = true; break;
        case O_VERIFY: c->verify = optarg; break;
        case O_BALLOT: c->ballot = optarg; break;
        case O_NOSIG: c->no_signatures = true; break;
        case O_TOKEN:
        case O_CERT:
        case O_PIN: {
            const char **a = o == O_TOKEN ? c->tokens : o == O_CERT ? c->certs : c->pins;
            size_t *n = o == O_TOKEN ? &c->ntokens : o == O_CERT ? &c->ncerts : &c->npins;
            if (*n == MAX_OFFICIALS) {
                fprintf(stderr, "evote box: at most %d officials\n", MAX_OFFICIALS);
                return 2;
            }
            a[(*n)++] = optarg;
            break;
        }
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || (c->ncerts != 0 && c->ncerts != c->ntokens) ||
        (c->npins > 1 && c->npins != c->ntokens)) {
        usage(stderr);
        return 2;
    }
    return 0;
}

static int need(void (*usage)(FILE *), int n, ...) {
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        if (va_arg(ap, const char *) == NULL) {
            va_end(ap);
            usage(stderr);
            return 2;
        }
    }
    va_end(ap);
    return 0;
}

/* Manifest, officials and (if store given) the box. */
static int load(box_cli_t *c, bool with_box) {
    evote_err_t err = evote_manifest_load(&c->m, c->manifest);
    if (err != EVOTE_OK)
        return cli_fail(err, c->manifest);
    if ((err = evote_officials_new(&c->o, c->m, c->ca)) != EVOTE_OK)
        return cli_fail(err, c->ca ? c->ca : "officials");
    if (with_box && (err = evote_box_new(&c->b, c->store, c->dir, c->m, c->manifest,
                                         c->pubkey, c->o)) != EVOTE_OK)
        return cli_fail(err, "box");
    return 0;
}

/* Log in to every official's token (PINs never from argv). */
static int open_signers(box_cli_t *c) {
    for (size_t i = 0; i < c->ntokens; i++) {
        char pin[256], prompt[200];
        size_t pin_len = 0;
        snprintf(prompt, sizeof(prompt), "PIN of token %s: ", c->tokens[i]);
        evote_err_t err = cli_read_pin(c->npins == 0   ? NULL
                                       : c->npins == 1 ? c->pins[0]
                                                       : c->pins[i],
                                       NULL, prompt, pin, sizeof(pin), &pin_len);
        if (err == EVOTE_OK)
            err = evote_signer_open(&c->signers[i], cli_module_path(c->module), c->tokens[i],
                                    pin, pin_len, c->key_label,
                                    c->ncerts ? c->certs[i] : NULL);
        evote_wipe(pin, sizeof(pin));
        if (err != EVOTE_OK)
            return cli_fail(err, c->tokens[i]);
    }
    return 0;
}

static int sign_all(box_cli_t *c, const char *dir, const char *name) {
    for (size_t i = 0; i < c->ntokens; i++) {
        char who[EVOTE_ID_MAX + 1];
        evote_err_t err = evote_statement_sign_file(c->o, c->signers[i], dir, name, who);
        if (err != EVOTE_OK)
            return cli_fail(err, c->tokens[i]);
        printf("%s.json signed by %s (token %s)\n", name, who, c->tokens[i]);
    }
    return 0;
}

static evote_err_t evote_read_file_cli(const char *path, uint8_t **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (f == NULL)
        return EVOTE_ERR_IO;
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    bool eof = feof(f);
    fclose(f);
    if (buf == NULL)
        return EVOTE_ERR_NOMEM;
    if (!eof) {
        free(buf);
        return EVOTE_ERR_TOO_LARGE;
    }
    *out = buf;
    *len = n;
    return EVOTE_OK;
}

static evote_err_t evote_hex_decode_cli(const char *hex, uint8_t out[32]) {
    if (strlen(hex) != 64)
        return EVOTE_ERR_FORMAT;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return EVOTE_ERR_FORMAT;
        out[i] = (uint8_t)v;
    }
    return EVOTE_OK;
}

/* ---- open ------------------------------------------------------------------ */

static void usage_open(FILE *f) {
    fprintf(f, "usage: evote box open --store DB --dir DIR --manifest FILE --public-key FILE\n"
               "                      [--token LABEL [--cert FILE] [--pin-file FILE]]...\n"
               "Zero-vote check, then the opening statement (DIR/opening.json), signed by\n"
               "each official's token, then every contest's box is opened for reception\n"
               "once the manifest's \"open\" policy is met. Officials who sign elsewhere\n"
               "use `evote box sign --statement opening` and run this again.\n%s%s",
            COMMON_HELP, SIGNER_HELP);
}

int cmd_box_open(int argc, char **argv) {
    box_cli_t c;
    int rc = parse(&c, argc, argv, usage_open);
    if (rc == 0)
        rc = need(usage_open, 4, c.store, c.dir, c.manifest, c.pubkey);
    if (rc == 0)
        rc = load(&c, true);
    if (rc == 0)
        rc = open_signers(&c);
    if (rc == 0) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/opening.json", c.dir);
        FILE *f = fopen(p, "r");
        if (f != NULL) {
            fclose(f);
            printf("%s exists: adding signatures to it\n", p);
        } else {
            evote_err_t err = evote_box_prepare_open(c.b);
            if (err != EVOTE_OK)
                rc = cli_fail(err, "zero-vote check");
            else
                printf("zero-vote check passed: every box is empty; wrote %s\n", p);
        }
    }
    if (rc == 0)
        rc = sign_all(&c, c.dir, "opening");
    if (rc == 0) {
        evote_err_t err = evote_box_commit_open(c.b);
        if (err != EVOTE_OK)
            rc = cli_fail(err, "open");
        else
            printf("boxes open for reception: %zu contests\n",
                   evote_manifest_contest_count(c.m));
    }
    box_cli_free(&c);
    return rc;
}

/* ---- sign ------------------------------------------------------------------ */

static void usage_sign(FILE *f) {
    fprintf(f, "usage: evote box sign --dir DIR --statement NAME --manifest FILE\n"
               "                      --token LABEL [--cert FILE] [--pin-file FILE]\n"
               "Sign DIR/NAME.json (opening, closing, sth-…, index) with official tokens:\n"
               "writes DIR/NAME.<official>.p7s, a detached CMS over the exact bytes.\n%s%s",
            COMMON_HELP, SIGNER_HELP);
}

int cmd_box_sign(int argc, char **argv) {
    box_cli_t c;
    int rc = parse(&c, argc, argv, usage_sign);
    if (rc == 0)
        rc = need(usage_sign, 3, c.dir, c.statement, c.manifest);
    if (rc == 0 && c.ntokens == 0) {
        usage_sign(stderr);
        rc = 2;
    }
    if (rc == 0)
        rc = load(&c, false);
    if (rc == 0)
        rc = open_signers(&c);
    if (rc == 0)
        rc = sign_all(&c, c.dir, c.statement);
    box_cli_free(&c);
    return rc;
}

/* ---- zero-check ------------------------------------------------------------- */

static void usage_zero(FILE *f) {
    fprintf(f, "usage: evote box zero-check --store DB --dir DIR --manifest FILE "
               "--public-key FILE\n"
               "Re-check the opening statement at any time: its signatures and policy, that\n"
               "every box was opened empty, and that every box's log as stored now extends\n"
               "that empty head (rebuilt from the ballots).\n%s",
            COMMON_HELP);
}

int cmd_box_zero_check(int argc, char **argv) {
    box_cli_t c;
    int rc = parse(&c, argc, argv, usage_zero);
    if (rc == 0)
        rc = need(usage_zero, 4, c.store, c.dir, c.manifest, c.pubkey);
    if (rc == 0)
        rc = load(&c, true);
    if (rc == 0) {
        size_t n = evote_manifest_contest_count(c.m);
        uint64_t *sizes = calloc(n, sizeof(*sizes));
        evote_err_t err = sizes ? evote_box_zero_check(c.b, sizes) : EVOTE_ERR_NOMEM;
        if (err != EVOTE_OK) {
            rc = cli_fail(err, "zero-check");
        } else {
            printf("opening statement verified: every box was opened empty\n");
            for (size_t i = 0; i < n; i++)
                printf("  %-24s %llu ballots now\n", evote_manifest_contest_id(c.m, i),
                       (unsigned long long)sizes[i]);
        }
        free(sizes);
    }
    box_cli_free(&c);
    return rc;
}

/* ---- sth ---------------------------------------------------------------------- */

static void usage_sth(FILE *f) {
    fprintf(f, "usage: evote box sth --store DB --dir DIR --manifest FILE --public-key FILE\n"
               "                     --contest ID [--token LABEL ...]\n"
               "Write the contest's current tree head (DIR/sth-<contest>-<size>.json) and\n"
               "sign it with the given tokens (policy: as for \"open\").\n%s%s",
            COMMON_HELP, SIGNER_HELP);
}

int cmd_box_sth(int argc, char **argv) {
    box_cli_t c;
    char name[128];
    int rc = parse(&c, argc, argv, usage_sth);
    if (rc == 0)
        rc = need(usage_sth, 5, c.store, c.dir, c.manifest, c.pubkey, c.contest);
    if (rc == 0)
        rc = load(&c, true);
    if (rc == 0)
        rc = open_signers(&c);
    if (rc == 0) {
        evote_err_t err = evote_box_prepare_sth(c.b, c.contest, name);
        if (err != EVOTE_OK)
            rc = cli_fail(err, c.contest);
        else
            printf("wrote %s/%s.json\n", c.dir, name);
    }
    if (rc == 0)
        rc = sign_all(&c, c.dir, name);
    box_cli_free(&c);
    return rc;
}

/* ---- receipt ---------------------------------------------------------------- */

static void usage_receipt(FILE *f) {
    fprintf(f,
            "usage: evote box receipt --store DB --dir DIR --manifest FILE --public-key FILE\n"
            "                         --contest ID --tracking-code HEX [--out FILE]\n"
            "       evote box receipt --verify RECEIPT --manifest FILE [--ballot FILE]\n"
            "                         [--officials-ca FILE] [--no-signatures]\n"
            "The first form issues a receipt: the ballot's inclusion proof against the\n"
            "latest signed tree head. The second verifies one (the voter's side): the\n"
            "officials' signatures on the head, the proof, and with --ballot that the\n"
            "receipt is for exactly that ballot file.\n%s",
            COMMON_HELP);
}

int cmd_box_receipt(int argc, char **argv) {
    box_cli_t c;
    evote_err_t err;
    int rc = parse(&c, argc, argv, usage_receipt);
    if (rc == 0 && c.verify != NULL) {
        uint8_t *r = NULL, *bal = NULL;
        size_t rl = 0, bl = 0;
        rc = need(usage_receipt, 1, c.manifest);
        if (rc == 0)
            rc = load(&c, false);
        if (rc == 0 && (err = evote_read_file_cli(c.verify, &r, &rl)) != EVOTE_OK)
            rc = cli_fail(err, c.verify);
        if (rc == 0 && c.ballot && (err = evote_read_file_cli(c.ballot, &bal, &bl)) != EVOTE_OK)
            rc = cli_fail(err, c.ballot);
        if (rc == 0) {
            err = evote_receipt_verify(c.no_signatures ? NULL : c.o, r, rl, bal, bl);
            if (err != EVOTE_OK)
                rc = cli_fail(err, c.verify);
            else
                printf("receipt verified: the ballot is in the box%s\n",
                       c.no_signatures ? " (signatures NOT checked)"
                                       : " under the officials' signed tree head");
        }
        free(r);
        free(bal);
        box_cli_free(&c);
        return rc;
    }
    if (rc == 0)
        rc = need(usage_receipt, 6, c.store, c.dir, c.manifest, c.pubkey, c.contest, c.code);
    if (rc == 0)
        rc = load(&c, true);
    if (rc == 0) {
        uint8_t code[32];
        char *json = NULL;
        size_t len = 0;
        err = evote_hex_decode_cli(c.code, code);
        if (err == EVOTE_OK)
            err = evote_box_receipt(c.b, c.contest, code, &json, &len);
        if (err != EVOTE_OK) {
            rc = cli_fail(err, "receipt");
        } else if (c.out != NULL) {
            FILE *f = fopen(c.out, "wx");
            if (f == NULL || fwrite(json, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "evote box receipt: cannot write %s\n", c.out);
                rc = 1;
            } else {
                printf("wrote %s\n", c.out);
            }
        } else {
            fwrite(json, 1, len, stdout);
        }
        free(json);
    }
    box_cli_free(&c);
    return rc;
}

/* ---- close ---------------------------------------------------------------- */

static void usage_close(FILE *f) {
    fprintf(f, "usage: evote box close --store DB --dir DIR --manifest FILE --public-key FILE\n"
               "                       [--token LABEL ...]\n"
               "Stop reception for good, write the final heads with their consistency\n"
               "proofs (DIR/closing.json), compare the program digests with the opening's,\n"
               "and sign. Closing is final.\n%s%s",
            COMMON_HELP, SIGNER_HELP);
}

int cmd_box_close(int argc, char **argv) {
    box_cli_t c;
    bool match = false;
    int rc = parse(&c, argc, argv, usage_close);
    if (rc == 0)
        rc = need(usage_close, 4, c.store, c.dir, c.manifest, c.pubkey);
    if (rc == 0)
        rc = load(&c, true);
    if (rc == 0)
        rc = open_signers(&c);
    if (rc == 0) {
        evote_err_t err = evote_box_close(c.b, &match);
        if (err != EVOTE_OK) {
            rc = cli_fail(err, "close");
        } else {
            printf("boxes closed for good; wrote %s/closing.json\n", c.dir);
            if (!match)
                fprintf(stderr,
                        "\n"
                        "*****************************************************************\n"
                        "*  WARNING: the evote program or libevote closing the box is NOT *\n"
                        "*  the one that opened it (SHA-256 differs; recorded in          *\n"
                        "*  closing.json). Import will refuse the bundle unless the count *\n"
                        "*  staff accept it explicitly (--allow-program-change).          *\n"
                        "*****************************************************************\n\n");
        }
    }
    if (rc == 0)
        rc = sign_all(&c, c.dir, "closing");
    box_cli_free(&c);
    return rc == 0 && !match ? 3 : rc;
}

/* ---- export ------------------------------------------------------------------ */

static void usage_export(FILE *f) {
    fprintf(f, "usage: evote box export --store DB --dir DIR --manifest FILE --public-key FILE\n"
               "                        --out BUNDLE --token LABEL ...\n"
               "Write the closed box to BUNDLE (a new directory, written atomically):\n"
               "manifest, public key, statements and signatures, every contest's ballots\n"
               "and ciphertext list, and index.json (SHA-256 of every file) signed by the\n"
               "officials as the \"export\" policy demands. Holds no roll data.\n%s%s",
            COMMON_HELP, SIGNER_HELP);
}

int cmd_box_export(int argc, char **argv) {
    box_cli_t c;
    int rc = parse(&c, argc, argv, usage_export);
    if (rc == 0)
        rc = need(usage_export, 5, c.store, c.dir, c.manifest, c.pubkey, c.out);
    if (rc == 0)
        rc = load(&c, true);
    if (rc == 0)
        rc = open_signers(&c);
    if (rc == 0) {
        evote_err_t err = evote_box_export(c.b, c.out, c.signers, c.ntokens);
        if (err != EVOTE_OK)
            rc = cli_fail(err, "export");
        else
            printf("bundle written to %s\n", c.out);
    }
    box_cli_free(&c);
    return rc;
}

/* ---- import ---------------------------------------------------------------- */

static void usage_import(FILE *f) {
    fprintf(f, "usage: evote box import --bundle DIR --out DIR --manifest FILE\n"
               "                        [--officials-ca FILE] [--allow-program-change]\n"
               "On the air-gapped machine: verify the bundle (manifest identical to FILE,\n"
               "officials' signatures on index, opening and closing, every file's SHA-256,\n"
               "nothing missing or extra, every ballot, the tree heads against the ballots,\n"
               "consistency from the empty opening head to the closing head, the program\n"
               "digests) and only then copy it to --out. A refusal names the file and\n"
               "the check.\n");
}

int cmd_box_import(int argc, char **argv) {
    box_cli_t c;
    int rc = parse(&c, argc, argv, usage_import);
    if (rc == 0)
        rc = need(usage_import, 3, c.bundle, c.out, c.manifest);
    if (rc == 0) {
        evote_err_t err = evote_bundle_import(c.bundle, c.out, c.manifest, c.ca,
                                              c.allow_program_change);
        if (err != EVOTE_OK)
            rc = cli_fail(err, "import refused");
        else
            printf("bundle verified and imported to %s\n", c.out);
    }
    box_cli_free(&c);
    return rc;
}
