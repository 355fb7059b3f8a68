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
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "evote/audit.h"
#include "evote/box.h"
#include "evote/bytetree.h"
#include "evote/mix.h"
#include "evote/group.h"
#include "evote/manifest.h"
#include "evote/tally.h"
#include "evote/verify.h"
#include "internal.h"

#define DETAIL_MAX 1024

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
 * (libevote-keygen-record/1, PROTOCOL §7): same manifest, same public key,
 * and the private key's attributes as the token reported them satisfy the
 * key policy. The hsm module has no reader for its record, so the fields
 * are checked here; the record's integrity rests on the audit trail.
 */
static const struct {
    const char *attr;
    bool want;
} key_policy[] = {
    {"CKA_TOKEN", true},          {"CKA_PRIVATE", true},
    {"CKA_SENSITIVE", true},      {"CKA_ALWAYS_SENSITIVE", true},
    {"CKA_EXTRACTABLE", false},   {"CKA_NEVER_EXTRACTABLE", true},
    {"CKA_DERIVE", true},         {"CKA_SIGN", false},
    {"CKA_DECRYPT", false},       {"CKA_VALUE_readable", false},
};

static void check_key(ctx_t *x) {
    check_t *c = add(x, "key-ceremony", "Key ceremony record");
    char p[4096], hex[2 * EVOTE_HASH_LEN + 1], pkhex[2 * EVOTE_POINT_LEN + 1];
    json_t *j = NULL;
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
            set(c, EVOTE_CHECK_ABSENT, EVOTE_OK,
                "no single-token key ceremony: the key comes from the trustees "
                "(see the trustees check)");
        } else {
            set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_NOT_FOUND,
                "election-key.pem without keygen/keygen-record.json or trustees/");
        }
        return;
    }
    path_in(x, "keygen/keygen-record.json", p, sizeof(p));
    json_error_t jerr;
    j = json_load_file(p, JSON_REJECT_DUPLICATES, &jerr);
    const char *fmt = json_string_value(json_object_get(j, "format"));
    if (j == NULL || fmt == NULL || strcmp(fmt, "libevote-keygen-record/1") != 0) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_FORMAT,
            "keygen/keygen-record.json is not a libevote-keygen-record/1 document");
        goto out;
    }
    evote_hex(hex, x->manifest_hash, EVOTE_HASH_LEN);
    const char *mh = json_string_value(json_object_get(j, "manifest_sha256"));
    if (!x->have_manifest || mh == NULL || strcmp(mh, hex) != 0) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_MANIFEST_MISMATCH,
            "the key ceremony record names another manifest");
        goto out;
    }
    json_t *key = json_object_get(j, "key");
    const char *rpk = json_string_value(json_object_get(key, "public_key"));
    if (rpk == NULL || strcmp(rpk, pkhex) != 0) {
        set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_KEY_MISMATCH,
            "election-key.pem is not the key the ceremony record names");
        goto out;
    }
    json_t *attrs = json_object_get(j, "private_key_attributes");
    for (size_t i = 0; i < sizeof(key_policy) / sizeof(key_policy[0]); i++) {
        json_t *v = json_object_get(attrs, key_policy[i].attr);
        if (!json_is_boolean(v) || json_is_true(v) != key_policy[i].want) {
            set(c, EVOTE_CHECK_FAIL, EVOTE_ERR_KEY_POLICY,
                "private key attribute %s is %s, the policy requires %s",
                key_policy[i].attr,
                json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") : "missing",
                key_policy[i].want ? "true" : "false");
            goto out;
        }
    }
    set(c, EVOTE_CHECK_PASS, EVOTE_OK,
        "key %.16s… generated in token \"%s\" for this manifest; sensitive, never "
        "extractable, derive only",
        pkhex, json_string_value(json_object_get(json_object_get(j, "token"), "label"))
                   ? json_string_value(json_object_get(json_object_get(j, "token"), "label"))
                   : "?");
out:
    json_decref(j);
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

/* ---- parts whose verifiers land with their modules ---------------------- */

/*
 * A check for artefacts at rels (NULL-terminated): "not present" if none
 * exists, else UNCHECKED naming the module whose verifier is missing.
 * Replaced by a real check when that module's library verify lands.
 */
static void check_pending(ctx_t *x, const char *id, const char *title,
                          const char *module, const char *const *rels) {
    check_t *c = add(x, id, title);
    if (c == NULL)
        return;
    char found[512] = "";
    size_t nfound = 0;
    for (size_t i = 0; rels[i] != NULL; i++) {
        if (exists(x, rels[i])) {
            size_t l = strlen(found);
            snprintf(found + l, sizeof(found) - l, "%s%s", nfound ? ", " : "",
                     rels[i]);
            nfound++;
        }
    }
    if (nfound == 0) {
        size_t l = 0;
        char want[512] = "";
        for (size_t i = 0; rels[i] != NULL; i++) {
            snprintf(want + l, sizeof(want) - l, "%s%s", i ? ", " : "", rels[i]);
            l = strlen(want);
        }
        set(c, EVOTE_CHECK_ABSENT, EVOTE_OK, "not present (%s)", want);
        return;
    }
    set(c, EVOTE_CHECK_UNCHECKED, EVOTE_ERR_STATE,
        "%s present, but this build has no verifier for it (%s module)", found,
        module);
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
    static const char *const trustees[] = {"trustees", NULL};
    check_pending(&x, "trustees", "Trustee commitments", "ceremony", trustees);
    check_box(&x);
    check_mix(&x);
    static const char *const decrypt[] = {"decrypt/confirmations", NULL};
    check_pending(&x, "decryption",
                  "Decryption outputs against the observer confirmations",
                  "ceremony", decrypt);
    check_tally(&x);
    check_audit(&x);
    check_coverage(&x);
    ENSURE(x.r->n == 12, EVOTE_ERR_NOMEM, "verify: out of memory");
    *out = x.r;
    x.r = NULL;
out:
    evote_manifest_free(x.manifest);
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
