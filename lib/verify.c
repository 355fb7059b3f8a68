/*
 * libevote — `evote verify`: check a whole published election record
 * (docs/PROTOCOL.md §17). Each check calls the verification function of the
 * module that owns the artefact; this file only finds the files, runs the
 * checks in ceremony order and collects one result per check.
 *
 * A check whose artefact is absent says so ("not present"); a check whose
 * artefact is present but whose verifier is not part of this build reports
 * UNCHECKED, which fails the run: an auditor must never read "PASS" for
 * something nobody looked at.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "evote/approval.h"
#include "evote/audit.h"
#include "evote/box.h"
#include "evote/bytetree.h"
#include "evote/mix.h"
#include "evote/group.h"
#include "evote/manifest.h"
#include "evote/confirm.h"
#include "evote/hsm.h"
#include "evote/result.h"
#include "evote/tally.h"
#include "evote/trustee.h"
#include "evote/verify.h"
#include "internal.h"

#define DETAIL_MAX 1024
#define CONFIRM_SIG_MAX 64 /* approvals read per contest */

typedef struct {
    const char *id;
    const char *title;
    evote_check_status_t status;
    evote_err_t err;
    char detail[DETAIL_MAX];
} check_t;

struct evote_record_report {
    check_t *c;
    size_t n;
};

typedef struct {
    const char *dir;
    const char *ca;
    evote_record_report_t *r;
    /* what earlier checks learnt */
    bool have_manifest;
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    evote_manifest_t *manifest; /* parsed and valid, else NULL */
    bool have_pk;
    uint8_t pk[EVOTE_POINT_LEN]; /* election public key */
    evote_trustee_share_t *shares; /* the trustees, when their check passed */
    size_t nshares;
    evote_audit_log_t *audit; /* loaded by the audit check, NULL if absent */
    bool audit_ok;
} ctx_t;

static check_t *add(ctx_t *x, const char *id, const char *title) {
    check_t *nc = realloc(x->r->c, (x->r->n + 1) * sizeof(check_t));
    if (nc == NULL)
        return NULL;
    x->r->c = nc;
    check_t *c = &nc[x->r->n++];
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->title = title;
    return c;
}

static void set(check_t *c, evote_check_status_t st, evote_err_t err,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set(check_t *c, evote_check_status_t st, evote_err_t err,
                const char *fmt, ...) {
    va_list ap;
    c->status = st;
    c->err = err;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
}

static void path_in(const ctx_t *x, const char *rel, char *out, size_t cap) {
    snprintf(out, cap, "%s/%s", x->dir, rel);
}

static bool exists(const ctx_t *x, const char *rel) {
    char p[4096];
    struct stat st;
    path_in(x, rel, p, sizeof(p));
    return stat(p, &st) == 0;
}

/* ---- manifest ----------------------------------------------------------- */

static void check_manifest(ctx_t *x) {
    check_t *c = add(x, "manifest", "Manifest digest");
    char p[4096];
    uint8_t *data = NULL;
    size_t len = 0;
    if (c == NULL)
        return;
    path_in(x, "manifest.json", p, sizeof(p));
    evote_err_t rv = evote_read_file(p, EVOTE_MANIFEST_MAX, &data, &len);
    if (rv != EVOTE_OK) {
        set(c, EVOTE_CHECK_FAIL, rv, "manifest.json: %s", evote_err_detail());
        goto out;
    }
    if (evote_sha256(data, len, x->manifest_hash) != EVOTE_OK) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_CRYPTO, "cannot hash manifest.json");
        goto out;
    }
    x->have_manifest = true;
    char hex[2 * EVOTE_HASH_LEN + 1];
    evote_hex(hex, x->manifest_hash, EVOTE_HASH_LEN);
    rv = evote_manifest_parse(&x->manifest, data, len);
    if (rv != EVOTE_OK) {
        set(c, EVOTE_CHECK_FAIL, rv, "manifest.json: %s", evote_err_detail());
        goto out;
    }
    /* The digest published next to it, if any. */
    path_in(x, "manifest.sha256", p, sizeof(p));
    uint8_t *pub = NULL;
    size_t plen = 0;
    if (evote_read_file(p, 4096, &pub, &plen) == EVOTE_OK) {
        bool same = plen >= 64 && strncmp((char *)pub, hex, 64) == 0 &&
                    (plen == 64 || pub[64] == '\n' || pub[64] == ' ');
        free(pub);
        if (!same) {
            set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_DIGEST_MISMATCH,
                "manifest.json has SHA-256 %s, manifest.sha256 says otherwise", hex);
            goto out;
        }
    }
    evote_err_clear();
    set(c, EVOTE_CHECK_PASS, EVOTE_OK,
        "valid manifest of election %s, SHA-256 %s; every artefact is checked "
        "against it",
        evote_manifest_election_id(x->manifest), hex);
out:
    free(data);
}

/* ---- key ceremony --------------------------------------------------------- */

/*
 * The election key and the key-generation record that `keygen` writes
 * (libevote-keygen-record/1, PROTOCOL §7), read back by the hsm module's
 * reader: same manifest, same public key, and the private key's attributes
 * as the token reported them satisfy the key policy. The record's integrity
 * rests on the audit trail.
 */
static void check_key(ctx_t *x) {
    check_t *c = add(x, "key-ceremony", "Key ceremony record");
    char p[4096], pkhex[2 * EVOTE_POINT_LEN + 1];
    evote_keygen_record_t kr;
    if (c == NULL)
        return;
    bool have_key = exists(x, "election-key.pem");
    bool have_rec = exists(x, "keygen/keygen-record.json");
    if (!have_key && !have_rec) {
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK,
            "not present (election-key.pem, keygen/keygen-record.json)");
        return;
    }
    path_in(x, "election-key.pem", p, sizeof(p));
    evote_err_t rv = evote_pubkey_read_pem(p, x->pk);
    if (rv != EVOTE_OK) {
        set(c, EVOTE_CHECK_FAIL, rv, "election-key.pem: %s", evote_err_detail());
        return;
    }
    x->have_pk = true;
    evote_hex(pkhex, x->pk, EVOTE_POINT_LEN);
    if (!have_rec) {
        if (exists(x, "trustees")) {
            /* n-of-n: the key must be the one the trustees' record names
             * (the trustees check re-derives it from the shares). */
            evote_trustee_share_t *sh = NULL;
            size_t nsh = 0;
            uint8_t rpk[EVOTE_POINT_LEN];
            path_in(x, "trustees/key-ceremony.json", p, sizeof(p));
            rv = evote_trustee_record_read(p, x->manifest_hash, &sh, &nsh, rpk);
            free(sh);
            if (rv != EVOTE_OK)
                set(c, EVOTE_CHECK_FAIL, rv, "trustees/key-ceremony.json: %s",
                    evote_err_detail());
            else if (CRYPTO_memcmp(rpk, x->pk, EVOTE_POINT_LEN) != 0)
                set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_KEY_MISMATCH,
                    "election-key.pem is not the key of trustees/key-ceremony.json");
            else
                set(c, EVOTE_CHECK_PASS, EVOTE_OK,
                    "key %.16s… is the election key of the trustees' key-ceremony record "
                    "(%zu trustees; shares and commitments: see the trustees check)",
                    pkhex, nsh);
            evote_err_clear();
        } else {
            set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_NOT_FOUND,
                "election-key.pem without keygen/keygen-record.json or trustees/");
        }
        return;
    }
    path_in(x, "keygen/keygen-record.json", p, sizeof(p));
    rv = evote_hsm_keygen_record_read(p, &kr);
    if (rv == EVOTE_OK && !x->have_manifest)
        rv = evote_fail(EVOTE_ERR_MANIFEST_MISMATCH, "no manifest to bind the record to");
    if (rv == EVOTE_OK)
        rv = evote_hsm_keygen_record_check(&kr, x->manifest_hash, x->pk);
    if (rv != EVOTE_OK) {
        set(c, EVOTE_CHECK_FAIL, rv, "keygen/keygen-record.json: %s", evote_err_detail());
        evote_err_clear();
        return;
    }
    set(c, EVOTE_CHECK_PASS, EVOTE_OK,
        "key %.16s… generated in token \"%s\" for this manifest; sensitive, never "
        "extractable, derive only",
        pkhex, kr.token_label);
}

/* ---- trustees (n-of-n key ceremony, PROTOCOL §15.1) ------------------------ */

/*
 * trustees/key-ceremony.json (re-read with every commitment and the sum
 * re-checked), each trustee's published commitment and key share (the
 * commitment re-computed from the share), the manifest's trustee set, and
 * the sum against election-key.pem. Keeps the shares for the decryption
 * check.
 */
static evote_err_t trustees_run(ctx_t *x, char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    char p[4096], rel[EVOTE_ID_MAX + 64];
    uint8_t rpk[EVOTE_POINT_LEN], sum[EVOTE_POINT_LEN];
    evote_trustee_share_t *s = NULL;
    size_t n = 0, nrec = 0;
    struct dirent **names = NULL;
    int k = -1;

    path_in(x, "trustees/key-ceremony.json", p, sizeof(p));
    if ((ret = evote_trustee_record_read(p, x->manifest_hash, &s, &n, rpk)) != EVOTE_OK) {
        snprintf(why, cap, "trustees/key-ceremony.json: %s", evote_err_detail());
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char id[EVOTE_ID_MAX + 1];
        uint8_t com[EVOTE_HASH_LEN], kpk[EVOTE_POINT_LEN], again[EVOTE_HASH_LEN];
        snprintf(rel, sizeof(rel), "trustees/%s.commitment.json", s[i].id);
        path_in(x, rel, p, sizeof(p));
        if ((ret = evote_trustee_commitment_read(p, x->manifest_hash, id, com)) != EVOTE_OK) {
            snprintf(why, cap, "%s: %s", rel, evote_err_detail());
            goto out;
        }
        if (strcmp(id, s[i].id) != 0 || CRYPTO_memcmp(com, s[i].commitment, EVOTE_HASH_LEN)) {
            ret = EVOTE_ERR_COMMITMENT;
            snprintf(why, cap, "%s is not the commitment the key-ceremony record holds for "
                               "trustee %s", rel, s[i].id);
            goto out;
        }
        snprintf(rel, sizeof(rel), "trustees/%s.key.json", s[i].id);
        path_in(x, rel, p, sizeof(p));
        if ((ret = evote_trustee_key_read(p, x->manifest_hash, id, kpk)) != EVOTE_OK) {
            snprintf(why, cap, "%s: %s", rel, evote_err_detail());
            goto out;
        }
        if ((ret = evote_trustee_commitment(again, x->manifest_hash, id, kpk)) != EVOTE_OK) {
            snprintf(why, cap, "%s: %s", rel, evote_err_detail());
            goto out;
        }
        if (strcmp(id, s[i].id) != 0 || CRYPTO_memcmp(again, com, EVOTE_HASH_LEN) != 0) {
            ret = EVOTE_ERR_COMMITMENT;
            snprintf(why, cap, "trustee %s: the published key share does not reproduce the "
                               "published commitment", s[i].id);
            goto out;
        }
        if (CRYPTO_memcmp(kpk, s[i].pk, EVOTE_POINT_LEN) != 0) {
            ret = EVOTE_ERR_KEY_MISMATCH;
            snprintf(why, cap, "%s is not the key the key-ceremony record holds", rel);
            goto out;
        }
        /* The token's attribute record of this trustee's key, if published. */
        snprintf(rel, sizeof(rel), "trustees/%s.keygen-record.json", s[i].id);
        if (exists(x, rel)) {
            evote_keygen_record_t kr;
            path_in(x, rel, p, sizeof(p));
            ret = evote_hsm_keygen_record_read(p, &kr);
            if (ret == EVOTE_OK)
                ret = evote_hsm_keygen_record_check(&kr, x->manifest_hash, s[i].pk);
            if (ret != EVOTE_OK) {
                snprintf(why, cap, "%s: %s", rel, evote_err_detail());
                goto out;
            }
            nrec++;
        }
    }
    if (nrec != 0 && nrec != n) {
        ret = EVOTE_ERR_NOT_FOUND;
        snprintf(why, cap, "token attribute records for %zu of %zu trustees: every trustee's "
                           "trustees/<id>.keygen-record.json or none", nrec, n);
        goto out;
    }
    /* Nothing in trustees/ from someone who is not a trustee of the record. */
    path_in(x, "trustees", p, sizeof(p));
    k = scandir(p, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *d = names[i]->d_name;
        static const char *const sfx[] = {".commitment.json", ".key.json",
                                          ".keygen-record.json"};
        if (d[0] == '.' || strcmp(d, "key-ceremony.json") == 0 || strcmp(d, "README") == 0)
            continue;
        bool known = false;
        for (size_t t = 0; t < n && !known; t++)
            for (size_t f = 0; f < 3 && !known; f++) {
                size_t l = strlen(s[t].id);
                known = strncmp(d, s[t].id, l) == 0 && strcmp(d + l, sfx[f]) == 0;
            }
        if (!known) {
            ret = EVOTE_ERR_KEY_MISMATCH;
            snprintf(why, cap, "trustees/%s belongs to no trustee of the key-ceremony record",
                     d);
            goto out;
        }
    }
    /* Manifest's trustee set, duplicates, and the sum. */
    if ((ret = evote_trustee_combine_keys(sum, x->manifest, x->manifest_hash, s, n)) !=
        EVOTE_OK) {
        snprintf(why, cap, "trustees/key-ceremony.json: %s", evote_err_detail());
        goto out;
    }
    if (!x->have_pk) {
        ret = EVOTE_ERR_NOT_FOUND;
        snprintf(why, cap, "no valid election-key.pem to compare the trustees' sum with");
        goto out;
    }
    if (CRYPTO_memcmp(sum, x->pk, EVOTE_POINT_LEN) != 0 ||
        CRYPTO_memcmp(rpk, x->pk, EVOTE_POINT_LEN) != 0) {
        ret = EVOTE_ERR_KEY_MISMATCH;
        snprintf(why, cap, "election-key.pem is not the sum of the trustees' keys");
        goto out;
    }
    snprintf(why, cap, "%zu trustee(s); every key share reproduces its commitment; "
                       "their sum is election-key.pem%s",
             n, nrec == n ? "; every key sensitive, never extractable, derive only (token "
                            "records)"
                          : " (no token attribute records)");
    x->shares = s;
    x->nshares = n;
    s = NULL;
out:
    for (int i = 0; i < k; i++)
        free(names[i]);
    free(names);
    free(s);
    return ret;
}

static void check_trustees(ctx_t *x) {
    check_t *c = add(x, "trustees", "Trustee commitments, keys and key-ceremony record");
    char why[DETAIL_MAX - 32];
    if (c == NULL)
        return;
    if (!exists(x, "trustees")) {
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (trustees/)");
        return;
    }
    if (x->manifest == NULL) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_MANIFEST, "no valid manifest");
        return;
    }
    evote_err_t rv = trustees_run(x, why, sizeof(why));
    evote_err_clear();
    set(c, rv == EVOTE_OK ? EVOTE_CHECK_PASS : EVOTE_CHECK_FAIL, rv, "%s", why);
}

/* ---- ballot box, through the export bundle ------------------------------ */

/*
 * The box's artefacts are published as the export bundle (PROTOCOL §13):
 * `evote_bundle_import` checks it in a fixed order and stops at the first
 * failure, naming that check. Each of its checks belongs to one line of our
 * checklist; lines whose checks all ran before the failure pass, the line of
 * the failing check fails, later lines were not reached (UNCHECKED).
 */
static const struct {
    const char *check; /* bundle import's check name */
    int line;          /* 0 bundle, 1 opening, 2 box-log, 3 program */
} bundle_checks[] = {
    {"manifest", 0},           {"index-signatures", 0},   {"index-format", 0},
    {"file-set", 0},           {"file-digest", 0},        {"public-key", 0},
    {"opening-signatures", 1}, {"zero-vote", 1},          {"closing-signatures", 2},
    {"closing-format", 2},     {"ballots-format", 2},     {"ballot-proof", 2},
    {"tree-head", 2},          {"tree-head-signatures", 2}, {"consistency", 2},
    {"ciphertexts", 2},        {"program", 3},
};

static void check_box(ctx_t *x) {
    static const char *const ids[4] = {"bundle", "opening", "box-log", "program"};
    static const char *const titles[4] = {
        "Export bundle integrity", "Opening statement and zero-vote check",
        "Box log, tree heads, consistency from opening to closing",
        "Program digests at opening and closing"};
    check_t *c[4];
    /* Checklist order: opening, box-log, program, bundle. */
    c[1] = add(x, ids[1], titles[1]);
    c[2] = add(x, ids[2], titles[2]);
    c[3] = add(x, ids[3], titles[3]);
    c[0] = add(x, ids[0], titles[0]);
    if (c[0] == NULL || c[1] == NULL || c[2] == NULL || c[3] == NULL)
        return;
    /* add() may move the array: look the four up again afterwards. */
    for (int k = 0; k < 4; k++)
        c[k] = &x->r->c[x->r->n - 4 + (k == 0 ? 3 : k - 1)];
    if (!exists(x, "bundle")) {
        for (int k = 0; k < 4; k++)
            set(c[k], EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (bundle/)");
        return;
    }
    char bundle[4096], ca[4096], man[4096], tmp[4200], out[4300];
    path_in(x, "bundle", bundle, sizeof(bundle));
    path_in(x, "officials-ca.pem", ca, sizeof(ca));
    path_in(x, "manifest.json", man, sizeof(man));
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof(tmp), "%s/evote-verify-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmp) == NULL) {
        for (int k = 0; k < 4; k++)
            set(c[k], EVOTE_CHECK_UNCHECKED, EVOTE_ERR_IO, "no temporary directory");
        return;
    }
    snprintf(out, sizeof(out), "%s/import", tmp);
    evote_err_t rv = evote_bundle_import(bundle, out, x->have_manifest ? man : NULL,
                                         access(ca, R_OK) == 0 ? ca : NULL, false);
    char detail[DETAIL_MAX];
    snprintf(detail, sizeof(detail), "%s", rv == EVOTE_OK ? "" : evote_err_detail());
    evote_err_clear();
    /* Remove the copy the import made: the record is what we checked. */
    char cmd[8800];
    if (strchr(tmp, '\'') == NULL) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        if (system(cmd) != 0) {
            /* a leftover temporary copy is harmless */
        }
    }
    if (rv == EVOTE_OK) {
        set(c[1], EVOTE_CHECK_PASS, EVOTE_OK,
            "opening statement signed under the open policy; every box empty at opening");
        set(c[2], EVOTE_CHECK_PASS, EVOTE_OK,
            "ballots form the closing heads; every signed head consistent with it; "
            "every ballot proof verifies");
        set(c[3], EVOTE_CHECK_PASS, EVOTE_OK,
            "program digests at closing equal those at opening");
        set(c[0], EVOTE_CHECK_PASS, EVOTE_OK,
            "index signed under the export policy; every file's SHA-256 matches%s",
            access(ca, R_OK) == 0 ? "; officials chain to officials-ca.pem"
                                  : " (no officials-ca.pem: chains not checked)");
        return;
    }
    int failed_line = 0;
    const char *at = strstr(detail, ": check ");
    for (size_t i = 0; at != NULL && i < sizeof(bundle_checks) / sizeof(bundle_checks[0]);
         i++) {
        size_t n = strlen(bundle_checks[i].check);
        if (strncmp(at + 8, bundle_checks[i].check, n) == 0 &&
            strncmp(at + 8 + n, " failed", 7) == 0) {
            failed_line = bundle_checks[i].line;
            break;
        }
    }
    /* Lines before the failing one (in the import's order 0,1,2,3) passed. */
    for (int k = 0; k < 4; k++) {
        if (k < failed_line)
            set(c[k], EVOTE_CHECK_PASS, EVOTE_OK, "checked by the bundle import before it "
                                                  "stopped");
        else if (k == failed_line)
            set(c[k], EVOTE_CHECK_FAIL, rv, "bundle/%s", detail);
        else
            set(c[k], EVOTE_CHECK_UNCHECKED, EVOTE_ERR_STATE,
                "not reached: the bundle import stopped at an earlier check");
    }
}

/* ---- mix ---------------------------------------------------------------- */

/*
 * mix/<contest-id>/ is the contest's mix chain directory (PROTOCOL §14):
 * its protInfo.xml must be libevote's session for this election and
 * contest, the chain verifies under the election key starting from the
 * box's list in the bundle (when published), and the list that was
 * decrypted is exactly the chain's final output.
 */
static evote_err_t mix_one(ctx_t *x, const char *cid, char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    char dir[4096], pi[4200], inp[4200], dec[4200], sid[EVOTE_MIX_SID_MAX + 1];
    evote_mix_params_t *params = NULL;
    evote_ct_t *in = NULL, *final = NULL, *decl = NULL;
    size_t nin = 0, nfinal = 0, ndec = 0;
    evote_mix_report_t rep;
    evote_mix_opts_t opts = {0};

    memset(&rep, 0, sizeof(rep));
    snprintf(dir, sizeof(dir), "%s/mix/%s", x->dir, cid);
    snprintf(pi, sizeof(pi), "%s/protInfo.xml", dir);
    if ((ret = evote_mix_params_read(&params, pi)) != EVOTE_OK) {
        snprintf(why, cap, "mix/%s/protInfo.xml: %s", cid, evote_err_detail());
        goto out;
    }
    if ((ret = evote_mix_sid(sid, evote_manifest_election_id(x->manifest), cid)) != EVOTE_OK)
        goto out;
    if (strcmp(sid, evote_mix_params_sid(params)) != 0) {
        ret = EVOTE_ERR_WRONG_ELECTION;
        snprintf(why, cap, "mix/%s: session id is not this election's and contest's", cid);
        goto out;
    }
    snprintf(inp, sizeof(inp), "%s/bundle/ciphertexts/%s.bt", x->dir, cid);
    if (access(inp, F_OK) == 0 && (ret = evote_ctlist_read(inp, &in, &nin)) != EVOTE_OK) {
        snprintf(why, cap, "bundle/ciphertexts/%s.bt: %s", cid, evote_err_detail());
        goto out;
    }
    ret = evote_mix_verify_dir(params, dir, x->have_pk ? x->pk : NULL, in, nin, &opts, &rep,
                               &final, &nfinal);
    if (ret != EVOTE_OK) {
        snprintf(why, cap, "mix/%s: party %u, check %s%s%s: %.200s", cid, rep.failed_party,
                 rep.check, rep.file[0] ? ", file " : "", rep.file, evote_err_detail());
        goto out;
    }
    snprintf(dec, sizeof(dec), "%s/decrypt/%s.input.bt", x->dir, cid);
    if (access(dec, F_OK) == 0) {
        if ((ret = evote_ctlist_read(dec, &decl, &ndec)) != EVOTE_OK) {
            snprintf(why, cap, "decrypt/%s.input.bt: %s", cid, evote_err_detail());
            goto out;
        }
        if (ndec != nfinal || memcmp(decl, final, nfinal * sizeof(*final)) != 0) {
            ret = EVOTE_ERR_NOT_MIX_OUTPUT;
            snprintf(why, cap, "decrypt/%s.input.bt is not the final output of mix/%s",
                     cid, cid);
            goto out;
        }
    }
    snprintf(why, cap, "%u part%s, %zu ciphertexts", rep.parties,
             rep.parties == 1 ? "y" : "ies", nfinal);
out:
    free(in);
    free(final);
    free(decl);
    evote_mix_params_free(params);
    return ret;
}

static void check_mix(ctx_t *x) {
    check_t *c = add(x, "mix", "Every proof of shuffle in the mix chain");
    if (c == NULL)
        return;
    if (!exists(x, "mix")) {
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (mix/)");
        return;
    }
    if (x->manifest == NULL) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_MANIFEST, "no valid manifest");
        return;
    }
    char all[DETAIL_MAX] = "";
    for (size_t ci = 0; ci < evote_manifest_contest_count(x->manifest); ci++) {
        const char *cid = evote_manifest_contest_id(x->manifest, ci);
        char rel[EVOTE_ID_MAX + 8], why[700];
        snprintf(rel, sizeof(rel), "mix/%s", cid);
        if (!exists(x, rel)) {
            set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_NOT_FOUND, "mix/%s: no mix chain for contest",
                cid);
            return;
        }
        evote_err_t rv = mix_one(x, cid, why, sizeof(why));
        evote_err_clear();
        if (rv != EVOTE_OK) {
            set(c, EVOTE_CHECK_FAIL, rv, "%s", why);
            return;
        }
        size_t l = strlen(all);
        snprintf(all + l, sizeof(all) - l, "%s%s: %s", l ? "; " : "", cid, why);
    }
    set(c, EVOTE_CHECK_PASS, EVOTE_OK, "%s; each decrypted list is the chain's output", all);
}

/* ---- decryption: partials, combination, confirmations, approvals -------- */

/* Single-key elections: the one "trustee" of a confirmation (§15.4). */
#define SINGLE_KEY_ID "election-key"

static bool has_suffix(const char *s, const char *sfx) {
    size_t a = strlen(s), b = strlen(sfx);
    return a > b && strcmp(s + a - b, sfx) == 0;
}

static evote_err_t checkpoint_refusal(const char *cid, const char *d, char *why, size_t cap) {
    snprintf(why, cap, "decrypt/partials/%s/%s is an unfinished partial-decryption "
                       "checkpoint: finish or remove it", cid, d);
    return EVOTE_ERR_CHECKPOINT;
}

/* The partial files of contest cid, in the order of the shares. */
static evote_err_t load_partials(ctx_t *x, const char *cid, const uint8_t lh[EVOTE_HASH_LEN],
                                 size_t n, evote_partial_t **parts, char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    char dir[4096], p[4400];
    struct dirent **names = NULL;
    int k;
    snprintf(dir, sizeof(dir), "%s/decrypt/partials/%s", x->dir, cid);
    k = scandir(dir, &names, NULL, alphasort);
    if (k < 0) {
        snprintf(why, cap, "decrypt/partials/%s/: missing", cid);
        return EVOTE_ERR_NOT_FOUND;
    }
    for (int i = 0; i < k && ret == EVOTE_OK; i++) {
        const char *d = names[i]->d_name;
        if (d[0] == '.' || strcmp(d, "README") == 0)
            continue;
        /* `evote decrypt partial` keeps OUT.ckpt while it runs; one left
         * here is a crashed run's, published by mistake. */
        if (has_suffix(d, ".ckpt")) {
            ret = checkpoint_refusal(cid, d, why, cap);
            break;
        }
        size_t t = 0, l = 0;
        while (t < x->nshares) {
            l = strlen(x->shares[t].id);
            if (strncmp(d, x->shares[t].id, l) == 0 && strcmp(d + l, ".evpd") == 0)
                break;
            t++;
        }
        if (t == x->nshares) {
            ret = EVOTE_ERR_KEY_MISMATCH;
            snprintf(why, cap, "decrypt/partials/%s/%s: no trustee of the key-ceremony "
                               "record has this name", cid, d);
            break;
        }
        evote_partial_t *pt = NULL;
        snprintf(p, sizeof(p), "%s/%s", dir, d);
        if ((ret = evote_partial_read(&pt, p)) != EVOTE_OK) {
            if (ret == EVOTE_ERR_CHECKPOINT) /* a checkpoint under a partial's name */
                checkpoint_refusal(cid, d, why, cap);
            else
                snprintf(why, cap, "decrypt/partials/%s/%s: %s", cid, d, evote_err_detail());
            break;
        }
        parts[t] = pt;
        if (CRYPTO_memcmp(evote_partial_manifest_hash(pt), x->manifest_hash,
                          EVOTE_HASH_LEN) != 0) {
            ret = EVOTE_ERR_MANIFEST_MISMATCH;
            snprintf(why, cap, "decrypt/partials/%s/%s names another manifest", cid, d);
        } else if (strcmp(evote_partial_contest(pt), cid) != 0) {
            ret = EVOTE_ERR_CONTEST_UNKNOWN;
            snprintf(why, cap, "decrypt/partials/%s/%s is of contest %s", cid, d,
                     evote_partial_contest(pt));
        } else if (strcmp(evote_partial_trustee(pt), x->shares[t].id) != 0) {
            ret = EVOTE_ERR_KEY_MISMATCH;
            snprintf(why, cap, "decrypt/partials/%s/%s is trustee %s's", cid, d,
                     evote_partial_trustee(pt));
        } else if (CRYPTO_memcmp(evote_partial_pk(pt), x->shares[t].pk, EVOTE_POINT_LEN) != 0) {
            ret = EVOTE_ERR_KEY_MISMATCH;
            snprintf(why, cap, "decrypt/partials/%s/%s names another key than trustee %s's",
                     cid, d, x->shares[t].id);
        } else if (CRYPTO_memcmp(evote_partial_list_hash(pt), lh, EVOTE_HASH_LEN) != 0 ||
                   evote_partial_count(pt) != n) {
            ret = EVOTE_ERR_DIGEST_MISMATCH;
            snprintf(why, cap, "decrypt/partials/%s/%s is not a decryption of "
                               "decrypt/%s.input.bt", cid, d, cid);
        }
    }
    for (int i = 0; i < k; i++)
        free(names[i]);
    free(names);
    for (size_t t = 0; ret == EVOTE_OK && t < x->nshares; t++)
        if (parts[t] == NULL) {
            ret = EVOTE_ERR_NOT_FOUND;
            snprintf(why, cap, "decrypt/partials/%s/%s.evpd: missing (trustee %s)", cid,
                     x->shares[t].id, x->shares[t].id);
        }
    return ret;
}

/* The officials' approvals of decrypting list lh of cid (§15.3). */
static evote_err_t check_approvals(ctx_t *x, const char *cid, const uint8_t lh[EVOTE_HASH_LEN],
                                   size_t *napproved, char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    char p[4400];
    uint8_t *auth = NULL, *sig[CONFIRM_SIG_MAX] = {0};
    size_t alen = 0, slen[CONFIRM_SIG_MAX] = {0}, nsig = 0;
    snprintf(p, sizeof(p), "%s/decrypt/%s.authorization.json", x->dir, cid);
    if (access(p, F_OK) == 0 &&
        (ret = evote_read_file(p, 1u << 20, &auth, &alen)) != EVOTE_OK) {
        snprintf(why, cap, "decrypt/%s.authorization.json: %s", cid, evote_err_detail());
        goto out;
    }
    for (nsig = 0; nsig < CONFIRM_SIG_MAX; nsig++) {
        snprintf(p, sizeof(p), "%s/decrypt/%s.approval-%zu.cms", x->dir, cid, nsig + 1);
        if (access(p, F_OK) != 0)
            break;
        if ((ret = evote_read_file(p, 1u << 20, &sig[nsig], &slen[nsig])) != EVOTE_OK) {
            snprintf(why, cap, "decrypt/%s.approval-%zu.cms: %s", cid, nsig + 1,
                     evote_err_detail());
            goto out;
        }
    }
    if (auth == NULL && nsig > 0) {
        ret = EVOTE_ERR_NOT_FOUND;
        snprintf(why, cap, "decrypt/%s.authorization.json: missing, but approvals of it "
                           "are published", cid);
        goto out;
    }
    ret = evote_approval_verify(x->manifest, cid, lh, auth, alen,
                                (const uint8_t *const *)sig, slen, nsig, napproved);
    if (ret != EVOTE_OK)
        snprintf(why, cap, "approvals of decrypt/%s.input.bt: %s", cid, evote_err_detail());
out:
    free(auth);
    for (size_t i = 0; i < CONFIRM_SIG_MAX; i++)
        free(sig[i]);
    return ret;
}

/* The recorded confirmation of cid, recomputed from the published files. */
static evote_err_t check_confirmation(ctx_t *x, const char *cid, const uint8_t lh[32],
                                      const evote_decryption_t *d, const evote_ct_t *cts,
                                      size_t n, const evote_trustee_share_t *shares,
                                      size_t ns, evote_partial_t *const *parts, size_t np,
                                      char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    char p[4400];
    uint8_t ph[EVOTE_HASH_LEN], q[EVOTE_POINT_LEN], ex[32];
    evote_confirmation_t rec = {0};
    evote_confirm_t *conf = NULL;
    snprintf(p, sizeof(p), "%s/decrypt/confirmations/%s.json", x->dir, cid);
    if ((ret = evote_confirmation_read(&rec, p)) != EVOTE_OK) {
        snprintf(why, cap, "decrypt/confirmations/%s.json: %s", cid, evote_err_detail());
        goto out;
    }
    snprintf(p, sizeof(p), "%s/decrypt/%s.plaintexts", x->dir, cid);
    if ((ret = evote_sha256_file(p, ph)) != EVOTE_OK) {
        snprintf(why, cap, "decrypt/%s.plaintexts: %s", cid, evote_err_detail());
        goto out;
    }
#define CFAIL(code, ...)                                                       \
    do {                                                                       \
        ret = (code);                                                          \
        int o_ = snprintf(why, cap, "decrypt/confirmations/%s.json: ", cid);   \
        snprintf(why + o_, cap - (size_t)o_, __VA_ARGS__);                     \
        goto out;                                                              \
    } while (0)
    if (CRYPTO_memcmp(rec.manifest_hash, x->manifest_hash, EVOTE_HASH_LEN) != 0)
        CFAIL(EVOTE_ERR_MANIFEST_MISMATCH, "names another manifest");
    if (strcmp(rec.contest_id, cid) != 0)
        CFAIL(EVOTE_ERR_CONTEST_UNKNOWN, "is of contest %s", rec.contest_id);
    if (CRYPTO_memcmp(rec.input_sha256, lh, EVOTE_HASH_LEN) != 0)
        CFAIL(EVOTE_ERR_DIGEST_MISMATCH, "names another input list than decrypt/%s.input.bt",
              cid);
    if (CRYPTO_memcmp(rec.plaintexts_sha256, ph, EVOTE_HASH_LEN) != 0)
        CFAIL(EVOTE_ERR_DIGEST_MISMATCH, "confirms other plaintexts than decrypt/%s.plaintexts",
              cid);
    if (rec.verdict != EVOTE_CONFIRM_CONFIRMED)
        CFAIL(EVOTE_ERR_CONFIRM_FAILED, "the verdict is %s%s%s",
              evote_confirm_verdict_name(rec.verdict), rec.detail[0] ? ": " : "", rec.detail);
    ret = evote_confirm_new(&conf, rec.randomness, strlen(rec.randomness), d, cts, n, shares,
                            ns, parts, np);
    if (ret != EVOTE_OK)
        CFAIL(ret == EVOTE_ERR_ARG ? EVOTE_ERR_FORMAT : ret, "recomputing it: %s",
              evote_err_detail());
    if (strcmp(evote_confirm_mode(conf), rec.mode) != 0)
        CFAIL(EVOTE_ERR_CONFIRM_FAILED, "mode \"%s\", but the randomness reads as \"%s\"",
              rec.mode, evote_confirm_mode(conf));
    evote_confirm_query(conf, q);
    if (!rec.have_q || CRYPTO_memcmp(q, rec.q, EVOTE_POINT_LEN) != 0)
        CFAIL(EVOTE_ERR_CONFIRM_FAILED, "the query point is not the one the recorded "
                                        "randomness and the published files give");
    if (rec.ntrustees != ns)
        CFAIL(EVOTE_ERR_CONFIRM_FAILED, "%zu trustee(s) confirmed, the key has %zu",
              rec.ntrustees, ns);
    for (size_t i = 0; i < ns; i++) {
        const evote_confirmation_trustee_t *t = NULL;
        for (size_t k = 0; k < rec.ntrustees && t == NULL; k++)
            if (strcmp(rec.trustees[k].trustee_id, shares[i].id) == 0)
                t = &rec.trustees[k];
        if (t == NULL)
            CFAIL(EVOTE_ERR_CONFIRM_FAILED, "trustee %s was not asked", shares[i].id);
        if ((ret = evote_confirm_expected(conf, shares[i].id, ex)) != EVOTE_OK)
            CFAIL(ret, "%s", evote_err_detail());
        if (!t->have_expected || CRYPTO_memcmp(ex, t->expected, 32) != 0)
            CFAIL(EVOTE_ERR_CONFIRM_FAILED, "trustee %s: the recorded expected x is not "
                                            "x(E_i) of the published files", shares[i].id);
        if (!t->have_answer || CRYPTO_memcmp(ex, t->answer, 32) != 0)
            CFAIL(EVOTE_ERR_CONFIRM_FAILED, "trustee %s: the token's recorded answer is not "
                                            "x(E_i)", shares[i].id);
        if (t->verdict != EVOTE_CONFIRM_CONFIRMED)
            CFAIL(EVOTE_ERR_CONFIRM_FAILED, "trustee %s: verdict %s", shares[i].id,
                  evote_confirm_verdict_name(t->verdict));
    }
#undef CFAIL
out:
    evote_confirm_free(conf);
    evote_confirmation_clear(&rec);
    return ret;
}

static evote_err_t decryption_one(ctx_t *x, size_t ci, size_t *napproved, char *why,
                                  size_t cap) {
    evote_err_t ret = EVOTE_OK;
    const char *cid = evote_manifest_contest_id(x->manifest, ci);
    char p[4400];
    uint8_t lh[EVOTE_HASH_LEN];
    evote_ct_t *cts = NULL;
    size_t n = 0, ns = 0;
    evote_decryption_t d = {0}, mine = {0};
    evote_partial_t **parts = NULL;
    evote_trustee_share_t single;
    const evote_trustee_share_t *shares;
    bool trustees = exists(x, "trustees");

    snprintf(p, sizeof(p), "%s/decrypt/%s.input.bt", x->dir, cid);
    if ((ret = evote_sha256_file(p, lh)) != EVOTE_OK ||
        (ret = evote_ctlist_read(p, &cts, &n)) != EVOTE_OK) {
        snprintf(why, cap, "decrypt/%s.input.bt: %s", cid, evote_err_detail());
        goto out;
    }
    /* Approvals come first, as in the ceremony (nothing decrypted without). */
    if ((ret = check_approvals(x, cid, lh, napproved, why, cap)) != EVOTE_OK)
        goto out;
    snprintf(p, sizeof(p), "%s/decrypt/%s.plaintexts", x->dir, cid);
    if ((ret = evote_decryption_read(&d, p, x->manifest)) != EVOTE_OK) {
        snprintf(why, cap, "decrypt/%s.plaintexts: %s", cid, evote_err_detail());
        goto out;
    }
    if (strcmp(d.contest_id, cid) != 0 || CRYPTO_memcmp(d.list_hash, lh, EVOTE_HASH_LEN) != 0 ||
        d.n != n) {
        ret = EVOTE_ERR_DIGEST_MISMATCH;
        snprintf(why, cap, "decrypt/%s.plaintexts is not the decryption of "
                           "decrypt/%s.input.bt", cid, cid);
        goto out;
    }
    if (trustees) {
        if (x->shares == NULL) {
            ret = EVOTE_ERR_KEY_MISMATCH;
            snprintf(why, cap, "no verified trustee set (the trustees check failed)");
            goto out;
        }
        shares = x->shares;
        ns = x->nshares;
        ALLOC_GUARD(parts = calloc(ns, sizeof(*parts)));
        if ((ret = load_partials(x, cid, lh, n, parts, why, cap)) != EVOTE_OK)
            goto out;
        /* Σ_i D_ij = C2_j − M_j for every j: recombine and compare. */
        ret = evote_decrypt_combine(&mine, shares, ns, parts, ns, x->manifest_hash, cid,
                                    (uint32_t)evote_manifest_option_count(x->manifest, ci),
                                    lh, cts, n);
        if (ret != EVOTE_OK) {
            snprintf(why, cap, "combining decrypt/partials/%s/: %s", cid, evote_err_detail());
            goto out;
        }
        for (size_t j = 0; j < n; j++)
            if (CRYPTO_memcmp(mine.plaintext[j], d.plaintext[j], EVOTE_POINT_LEN) != 0 ||
                mine.selection[j] != d.selection[j]) {
                ret = EVOTE_ERR_DIGEST_MISMATCH;
                snprintf(why, cap, "decrypt/%s.plaintexts: entry %zu is not C2 minus the sum "
                                   "of the trustees' parts", cid, j);
                goto out;
            }
    } else {
        if (!x->have_pk) {
            ret = EVOTE_ERR_NOT_FOUND;
            snprintf(why, cap, "no valid election-key.pem");
            goto out;
        }
        memset(&single, 0, sizeof(single));
        strcpy(single.id, SINGLE_KEY_ID);
        memcpy(single.pk, x->pk, EVOTE_POINT_LEN);
        shares = &single;
        ns = 1;
    }
    ret = check_confirmation(x, cid, lh, &d, cts, n, shares, ns, parts,
                             trustees ? ns : 0, why, cap);
    if (ret == EVOTE_OK)
        snprintf(why, cap, "%s: %zu entries%s, confirmed by %zu token(s)", cid, n,
                 trustees ? " = C2 − Σ parts" : "", ns);
out:
    if (parts != NULL)
        for (size_t i = 0; i < ns; i++)
            evote_partial_free(parts[i]);
    free(parts);
    evote_decryption_clear(&mine);
    evote_decryption_clear(&d);
    free(cts);
    return ret;
}

static bool any_authorization(const ctx_t *x) {
    char p[4096];
    struct dirent **names = NULL;
    bool found = false;
    path_in(x, "decrypt", p, sizeof(p));
    int k = scandir(p, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        if (has_suffix(names[i]->d_name, ".authorization.json") ||
            has_suffix(names[i]->d_name, ".cms"))
            found = true;
        free(names[i]);
    }
    free(names);
    return found;
}

static void check_decryption(ctx_t *x) {
    check_t *c = add(x, "decryption",
                     "Decryption: partial decryptions, combination, observer "
                     "confirmations, approvals");
    if (c == NULL)
        return;
    bool trustees_dec = exists(x, "trustees") && exists(x, "decrypt");
    if (!trustees_dec && !exists(x, "decrypt/confirmations") &&
        !exists(x, "decrypt/partials") && !any_authorization(x)) {
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK,
            "not present (decrypt/partials/, decrypt/confirmations/, "
            "decrypt/*.authorization.json)");
        return;
    }
    if (x->manifest == NULL) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_MANIFEST, "no valid manifest");
        return;
    }
    char all[DETAIL_MAX] = "";
    size_t napproved_min = SIZE_MAX;
    for (size_t ci = 0; ci < evote_manifest_contest_count(x->manifest); ci++) {
        char why[700];
        size_t napp = 0;
        evote_err_t rv = decryption_one(x, ci, &napp, why, sizeof(why));
        evote_err_clear();
        if (rv != EVOTE_OK) {
            set(c, EVOTE_CHECK_FAIL, rv, "%s", why);
            return;
        }
        if (napp < napproved_min)
            napproved_min = napp;
        size_t l = strlen(all);
        snprintf(all + l, sizeof(all) - l, "%s%s", l ? "; " : "", why);
    }
    size_t l = strlen(all);
    if (napproved_min != SIZE_MAX && napproved_min > 0)
        snprintf(all + l, sizeof(all) - l, "; approved by at least %zu official(s) each",
                 napproved_min);
    else
        snprintf(all + l, sizeof(all) - l, "; the manifest requires no approvals");
    set(c, EVOTE_CHECK_PASS, EVOTE_OK, "%s", all);
}

/* ---- results: re-derived byte for byte ---------------------------------- */

/* "2026-11-24T01:28:00+09:00" (what the result JSON records) → Unix time. */
static bool parse_jst(const char *s, int64_t *out) {
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strlen(s) != 25 || strcmp(s + 19, "+09:00") != 0)
        return false;
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL || end != s + 19)
        return false;
    *out = (int64_t)timegm(&tm) - 9 * 3600;
    return true;
}

static evote_err_t same_file(const char *a, const char *b, bool *same) {
    uint8_t ha[EVOTE_HASH_LEN], hb[EVOTE_HASH_LEN];
    evote_err_t e = evote_sha256_file(a, ha);
    if (e == EVOTE_OK)
        e = evote_sha256_file(b, hb);
    *same = e == EVOTE_OK && memcmp(ha, hb, EVOTE_HASH_LEN) == 0;
    return e;
}

static evote_err_t results_run(ctx_t *x, char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    static const char *const files[3] = {"results.json", "results.csv", "results.html"};
    char p[4400], tmp[4200], mine[4400];
    evote_result_t *r = NULL;
    json_t *j = NULL;
    int64_t when = 0;
    bool made_tmp = false;

    for (int k = 0; k < 3; k++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "results/%s", files[k]);
        if (!exists(x, rel)) {
            snprintf(why, cap, "results/%s: missing", files[k]);
            return EVOTE_ERR_NOT_FOUND;
        }
    }
    path_in(x, "results/results.json", p, sizeof(p));
    json_error_t je;
    j = json_load_file(p, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL || !parse_jst(json_string_value(json_object_get(j, "generated_at")), &when)) {
        ret = EVOTE_ERR_FORMAT;
        snprintf(why, cap, "results/results.json: no valid \"generated_at\" time");
        goto out;
    }
    if ((ret = evote_result_new(&r, x->manifest)) != EVOTE_OK)
        goto fail_detail;
    evote_result_set_time(r, when);
    for (size_t ci = 0; ci < evote_manifest_contest_count(x->manifest); ci++) {
        const char *cid = evote_manifest_contest_id(x->manifest, ci);
        evote_decryption_t d = {0};
        uint8_t h[EVOTE_HASH_LEN];
        uint64_t cast = 0;
        snprintf(p, sizeof(p), "%s/decrypt/%s.plaintexts", x->dir, cid);
        if ((ret = evote_decryption_read(&d, p, x->manifest)) != EVOTE_OK ||
            (ret = evote_sha256_file(p, h)) != EVOTE_OK) {
            evote_decryption_clear(&d);
            snprintf(why, cap, "decrypt/%s.plaintexts: %s", cid, evote_err_detail());
            goto out;
        }
        /* Ballots cast: the closed box's list in the bundle, when published. */
        snprintf(p, sizeof(p), "%s/bundle/ciphertexts/%s.bt", x->dir, cid);
        if (access(p, F_OK) == 0) {
            evote_ct_t *box = NULL;
            size_t nbox = 0;
            ret = evote_ctlist_read(p, &box, &nbox);
            free(box);
            if (ret != EVOTE_OK) {
                evote_decryption_clear(&d);
                snprintf(why, cap, "bundle/ciphertexts/%s.bt: %s", cid, evote_err_detail());
                goto out;
            }
            cast = nbox;
        }
        ret = evote_result_add(r, &d, cast, h);
        evote_decryption_clear(&d);
        if (ret != EVOTE_OK) {
            snprintf(why, cap, "counting %s: %s", cid, evote_err_detail());
            goto out;
        }
    }
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof(tmp), "%s/evote-verify-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmp) == NULL) {
        ret = EVOTE_ERR_IO;
        snprintf(why, cap, "no temporary directory");
        goto out;
    }
    made_tmp = true;
    for (int k = 0; k < 3; k++) {
        bool same = false;
        snprintf(mine, sizeof(mine), "%s/%s", tmp, files[k]);
        ret = k == 0   ? evote_result_write_json(r, mine)
              : k == 1 ? evote_result_write_csv(r, mine)
                       : evote_result_write_html(r, mine);
        if (ret != EVOTE_OK)
            goto fail_detail;
        snprintf(p, sizeof(p), "%s/results/%s", x->dir, files[k]);
        if ((ret = same_file(p, mine, &same)) != EVOTE_OK)
            goto fail_detail;
        if (!same) {
            ret = EVOTE_ERR_DIGEST_MISMATCH;
            snprintf(why, cap, "results/%s differs from the result re-derived from the "
                               "plaintexts and the ballots cast", files[k]);
            goto out;
        }
    }
    snprintf(why, cap, "results.json, results.csv and results.html re-derived byte for "
                       "byte (time %s)", json_string_value(json_object_get(j, "generated_at")));
    goto out;
fail_detail:
    snprintf(why, cap, "re-deriving the results: %s", evote_err_detail());
out:
    if (made_tmp) {
        for (int k = 0; k < 3; k++) {
            snprintf(mine, sizeof(mine), "%s/%s", tmp, files[k]);
            remove(mine);
        }
        rmdir(tmp);
    }
    evote_result_free(r);
    json_decref(j);
    return ret;
}

static void check_results(ctx_t *x) {
    check_t *c = add(x, "results", "Result sheets re-derived from the plaintexts");
    char why[DETAIL_MAX - 32];
    if (c == NULL)
        return;
    if (!exists(x, "results")) {
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (results/)");
        return;
    }
    if (x->manifest == NULL) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_MANIFEST, "no valid manifest");
        return;
    }
    evote_err_t rv = results_run(x, why, sizeof(why));
    evote_err_clear();
    set(c, rv == EVOTE_OK ? EVOTE_CHECK_PASS : EVOTE_CHECK_FAIL, rv, "%s", why);
}

/* ---- tally -------------------------------------------------------------- */

/* Recount contest ci from decrypt/<id>.plaintexts and compare with
 * tally/<id>.json byte for byte (the JSON is deterministic). */
static evote_err_t recount_one(ctx_t *x, size_t ci, char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    const char *cid = evote_manifest_contest_id(x->manifest, ci);
    char pp[4096], tp[4096];
    evote_plaintexts_t *pl = NULL;
    evote_tally_t *t = NULL;
    char *mine = NULL;
    uint8_t *pub = NULL;
    size_t plen = 0;

    snprintf(pp, sizeof(pp), "%s/decrypt/%s.plaintexts", x->dir, cid);
    snprintf(tp, sizeof(tp), "%s/tally/%s.json", x->dir, cid);
    ret = evote_plaintexts_read(&pl, pp);
    if (ret != EVOTE_OK) {
        snprintf(why, cap, "decrypt/%s.plaintexts: %s", cid, evote_err_detail());
        goto out;
    }
    if (CRYPTO_memcmp(evote_plaintexts_manifest_hash(pl), x->manifest_hash,
                      EVOTE_HASH_LEN) != 0) {
        ret = EVOTE_ERR_MANIFEST_MISMATCH;
        snprintf(why, cap, "decrypt/%s.plaintexts names another election", cid);
        goto out;
    }
    if (strcmp(evote_plaintexts_contest_id(pl), cid) != 0) {
        ret = EVOTE_ERR_CONTEST_UNKNOWN;
        snprintf(why, cap, "decrypt/%s.plaintexts holds contest %s", cid,
                 evote_plaintexts_contest_id(pl));
        goto out;
    }
    {
        /* The list that was decrypted, when published next to it. */
        char ip[4096];
        uint8_t ih[EVOTE_HASH_LEN];
        snprintf(ip, sizeof(ip), "%s/decrypt/%s.input.bt", x->dir, cid);
        if (access(ip, F_OK) == 0) {
            ret = evote_sha256_file(ip, ih);
            if (ret == EVOTE_OK &&
                CRYPTO_memcmp(ih, evote_plaintexts_input_sha256(pl), EVOTE_HASH_LEN) != 0)
                ret = EVOTE_ERR_DIGEST_MISMATCH;
            if (ret != EVOTE_OK) {
                snprintf(why, cap, "decrypt/%s.plaintexts is not the decryption of "
                                   "decrypt/%s.input.bt",
                         cid, cid);
                goto out;
            }
        }
    }
    ret = evote_tally_compute(&t, x->manifest, pl);
    if (ret == EVOTE_OK)
        ret = evote_tally_json(t, &mine);
    if (ret != EVOTE_OK) {
        snprintf(why, cap, "recount of %s: %s", cid, evote_err_detail());
        goto out;
    }
    ret = evote_read_file(tp, 64u << 20, &pub, &plen);
    if (ret != EVOTE_OK) {
        snprintf(why, cap, "tally/%s.json: %s", cid, evote_err_detail());
        goto out;
    }
    size_t ml = strlen(mine);
    if (!(plen == ml + 1 && pub[ml] == '\n' && memcmp(pub, mine, ml) == 0)) {
        ret = EVOTE_ERR_DIGEST_MISMATCH;
        snprintf(why, cap, "tally/%s.json differs from the recount of "
                           "decrypt/%s.plaintexts",
                 cid, cid);
        goto out;
    }
out:
    free(pub);
    free(mine);
    evote_tally_free(t);
    evote_plaintexts_free(pl);
    return ret;
}

static void check_tally(ctx_t *x) {
    check_t *c = add(x, "tally", "Tally recounted from the plaintexts");
    if (c == NULL)
        return;
    if (!exists(x, "tally") && !exists(x, "decrypt")) {
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (tally/, decrypt/)");
        return;
    }
    if (x->manifest == NULL) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_MANIFEST,
            "no valid manifest to count against");
        return;
    }
    size_t n = evote_manifest_contest_count(x->manifest);
    for (size_t ci = 0; ci < n; ci++) {
        char why[600];
        evote_err_t rv = recount_one(x, ci, why, sizeof(why));
        if (rv != EVOTE_OK) {
            set(c, EVOTE_CHECK_FAIL, rv, "%s", why);
            evote_err_clear();
            return;
        }
    }
    set(c, EVOTE_CHECK_PASS, EVOTE_OK,
        "%zu contest(s): every result equals the recount of its plaintexts", n);
}

/* ---- audit trail -------------------------------------------------------- */

static void check_audit(ctx_t *x) {
    check_t *c = add(x, "audit", "Audit trail: sequence, hash chain, signatures");
    char p[4096], cap[4096];
    if (c == NULL)
        return;
    path_in(x, "audit/audit.log", p, sizeof(p));
    evote_err_t rv = evote_audit_load(&x->audit, p);
    if (rv == EVOTE_ERR_NOT_FOUND) {
        evote_err_clear();
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (audit/audit.log)");
        return;
    }
    if (rv != EVOTE_OK) {
        set(c, EVOTE_CHECK_FAIL, rv, "audit/audit.log: %s", evote_err_detail());
        return;
    }
    const char *ca = x->ca;
    if (ca == NULL) {
        path_in(x, "audit/operators-ca.pem", cap, sizeof(cap));
        if (access(cap, R_OK) == 0)
            ca = cap;
    }
    rv = evote_audit_verify(x->audit, ca, x->have_manifest ? x->manifest_hash : NULL);
    if (rv != EVOTE_OK) {
        size_t np = evote_audit_problem_count(x->audit);
        set(c, EVOTE_CHECK_FAIL, rv, "%s%s", np ? evote_audit_problem(x->audit, 0) : evote_err_detail(),
            np > 1 ? " (and more: run `evote audit verify`)" : "");
        return;
    }
    x->audit_ok = true;
    set(c, EVOTE_CHECK_PASS, EVOTE_OK,
        "%zu entries chain from the manifest's genesis; every signature verifies%s",
        evote_audit_count(x->audit),
        ca ? "; operator certificates chain to the operators' CA"
           : " (no operators' CA given: certificates not chained)");
}

/* Every file of the record, relative to dir, except the audit trail itself. */
typedef struct {
    char **rel;
    size_t n;
} filelist_t;

static void walk(const char *root, const char *rel, filelist_t *fl, int depth) {
    char p[4096];
    snprintf(p, sizeof(p), "%s%s%s", root, rel[0] ? "/" : "", rel);
    struct dirent **names = NULL;
    int k = scandir(p, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *d = names[i]->d_name;
        char child[4096], full[4096];
        struct stat st;
        int n1 = snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", d);
        int n2 = snprintf(full, sizeof(full), "%s/%.2048s", root, child);
        if (n1 < (int)sizeof(child) && n2 < (int)sizeof(full) && d[0] != '.' &&
            stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 8) {
                walk(root, child, fl, depth + 1);
            } else if (S_ISREG(st.st_mode)) {
                char **nr = realloc(fl->rel, (fl->n + 1) * sizeof(char *));
                if (nr != NULL) {
                    fl->rel = nr;
                    if ((nr[fl->n] = strdup(child)) != NULL)
                        fl->n++;
                }
            }
        }
        free(names[i]);
    }
    free(names);
}

static bool coverage_exempt(const char *rel) {
    /* The manifest is the anchor every step reads, not an output; the
     * trail and its CA are checked by the audit check. */
    size_t n = strlen(rel);
    return strcmp(rel, "manifest.json") == 0 || strcmp(rel, "manifest.sha256") == 0 ||
           strncmp(rel, "audit/", 6) == 0 || strcmp(rel, "README") == 0 ||
           (n > 5 && strcmp(rel + n - 5, ".lock") == 0);
}

static void check_coverage(ctx_t *x) {
    check_t *c = add(x, "audit-coverage",
                     "Every artefact is the output of a signed audit entry");
    filelist_t fl = {0};
    if (c == NULL)
        return;
    walk(x->dir, "", &fl, 0);
    size_t total = 0, missing = 0;
    char list[600] = "";
    for (size_t i = 0; i < fl.n; i++) {
        if (coverage_exempt(fl.rel[i]))
            continue;
        total++;
        char p[4096];
        uint8_t h[EVOTE_HASH_LEN];
        snprintf(p, sizeof(p), "%s/%s", x->dir, fl.rel[i]);
        bool found = x->audit != NULL && evote_sha256_file(p, h) == EVOTE_OK &&
                     evote_audit_find_output(x->audit, h, NULL) != 0;
        if (!found) {
            if (missing < 6) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", missing ? ", " : "",
                         fl.rel[i]);
            }
            missing++;
        }
    }
    for (size_t i = 0; i < fl.n; i++)
        free(fl.rel[i]);
    free(fl.rel);
    evote_err_clear();
    if (total == 0)
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (no artefact besides the "
                                             "manifest)");
    else if (x->audit == NULL)
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_AUDIT_CHAIN,
            "no audit trail: %zu artefact(s) recorded by no one (%s%s)", total, list,
            total > 6 ? ", …" : "");
    else if (!x->audit_ok)
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_AUDIT_CHAIN,
            "the audit trail does not verify, so it accounts for nothing");
    else if (missing > 0)
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_AUDIT_CHAIN,
            "%zu of %zu artefact(s) are the output of no successful audit entry "
            "(missing entries, or the file was changed afterwards): %s%s",
            missing, total, list, missing > 6 ? ", …" : "");
    else
        set(c, EVOTE_CHECK_PASS, EVOTE_OK,
            "%zu artefact(s), each byte-identical to the output of a signed, "
            "successful entry",
            total);
}

/* ---- driver ------------------------------------------------------------- */

evote_err_t evote_record_verify(evote_record_report_t **out, const char *dir,
                                const evote_record_opts_t *opts) {
    evote_err_t ret = EVOTE_OK;
    ctx_t x;
    struct stat st;

    memset(&x, 0, sizeof(x));
    ENSURE(out != NULL && dir != NULL, EVOTE_ERR_ARG, "verify: bad argument");
    *out = NULL;
    ENSURE(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), EVOTE_ERR_NOT_FOUND,
           "%s is not a directory", dir);
    x.dir = dir;
    x.ca = opts != NULL ? opts->operators_ca : NULL;
    ALLOC_GUARD(x.r = calloc(1, sizeof(*x.r)));

    check_manifest(&x);
    check_key(&x);
    check_trustees(&x);
    check_box(&x);
    check_mix(&x);
    check_decryption(&x);
    check_tally(&x);
    check_results(&x);
    check_audit(&x);
    check_coverage(&x);
    ENSURE(x.r->n == 13, EVOTE_ERR_NOMEM, "verify: out of memory");
    *out = x.r;
    x.r = NULL;
out:
    evote_manifest_free(x.manifest);
    free(x.shares);
    evote_audit_log_free(x.audit);
    evote_record_report_free(x.r);
    return ret;
}

void evote_record_report_free(evote_record_report_t *r) {
    if (r == NULL)
        return;
    free(r->c);
    free(r);
}

size_t evote_record_check_count(const evote_record_report_t *r) {
    return r != NULL ? r->n : 0;
}

#define GETTER(type, name, field, dflt)                                        \
    type evote_record_check_##name(const evote_record_report_t *r, size_t i) { \
        return (r != NULL && i < r->n) ? r->c[i].field : dflt;                 \
    }
GETTER(const char *, id, id, NULL)
GETTER(const char *, title, title, NULL)
GETTER(evote_check_status_t, status, status, EVOTE_CHECK_FAIL)
GETTER(evote_err_t, error, err, EVOTE_ERR_ARG)
GETTER(const char *, detail, detail, NULL)

const char *evote_check_status_name(evote_check_status_t s) {
    switch (s) {
    case EVOTE_CHECK_PASS: return "PASS";
    case EVOTE_CHECK_FAIL: return "FAIL";
    case EVOTE_CHECK_ABSENT: return "not present";
    case EVOTE_CHECK_UNCHECKED: return "UNCHECKED";
    }
    return "?";
}

bool evote_record_report_ok(const evote_record_report_t *r, bool require_complete) {
    if (r == NULL || r->n == 0)
        return false;
    for (size_t i = 0; i < r->n; i++) {
        evote_check_status_t s = r->c[i].status;
        if (s == EVOTE_CHECK_FAIL || s == EVOTE_CHECK_UNCHECKED ||
            (require_complete && s == EVOTE_CHECK_ABSENT))
            return false;
    }
    return true;
}
