/*
 * evote demo — a whole practice election in a fresh directory: two
 * trustees, each with their own SoftHSM2 token, generate their key shares
 * inside them (commitments published first, then the shares, combined
 * into the election key), a two-contest manifest, random ballots (each
 * proof verified), ciphertext lists, each trustee's partial decryption on
 * their own token, the combination, tally, a check that the tally equals
 * what was cast, an observer's confirmation and the result sheets.
 *
 * Each contest is mixed by two mix parties (proofs of shuffle verified)
 * before decryption. The trustees', officials' and observer's ceremonies
 * run as `evote …` child processes (demo_run_evote), as those people would
 * run them on their own machines.
 *
 * The election is a list of small steps (see `steps` below) sharing one
 * struct demo, so that later ceremonies (signing and reception, ballot box
 * open/close/export/import, mixing, trustees) slot in as further steps.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH/FTW_PHYS */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cli_ceremony.h"
#include "cli_hsm.h"
#include "demo_box.h"
#include "commands.h"
#include "demo_rx.h"
#include "demo_record.h"
#include "demo_util.h"

#define DEMO_MAX_CONTESTS 8
#define DEMO_MAX_BALLOTS 10000000ul

struct contest_run {
    const char *id;
    size_t index, noptions;
    uint64_t *cast; /* votes cast per option */
    evote_ct_t *cts;
    size_t ncts;
    char list_path[PATH_MAX], plaintexts_path[PATH_MAX], tally_path[PATH_MAX];
    char mix_dir[PATH_MAX], mixed_path[PATH_MAX]; /* mix chain, its verified output */
    evote_tally_t *tally;
    /* decryption ceremony */
    char auth_path[PATH_MAX], sig_path[2][PATH_MAX];
    char partial_dir[PATH_MAX], partial[DEMO_TRUSTEES][PATH_MAX];
    char randomness_path[PATH_MAX], query_path[PATH_MAX], confirmation_path[PATH_MAX];
};

/* One trustee: their token (label = trustee id), PIN file, and what their
 * `evote trustee keygen` writes. */
struct trustee_run {
    char id[16];
    char pin_path[PATH_MAX], so_pin_path[PATH_MAX];
    char own_dir[PATH_MAX];   /* the trustee's own machine */
    char key_own[PATH_MAX];   /* key share, kept until every commitment is out */
    char commitment[PATH_MAX], key_pub[PATH_MAX], keygen_record[PATH_MAX];
};

struct demo {
    /* options */
    unsigned long ballots;
    unsigned long threads, sessions;
    const char *module;
    bool keep;
    /* workspace */
    char dir[PATH_MAX - 64];
    bool dir_made;
    char conf[PATH_MAX], manifest_path[PATH_MAX], pubkey_path[PATH_MAX],
        trustees_dir[PATH_MAX], ceremony_path[PATH_MAX], partials_dir[PATH_MAX],
        confirm_dir[PATH_MAX], results_dir[PATH_MAX];
    char threads_arg[16];
    /* election */
    evote_manifest_t *m;
    struct trustee_run trustees[DEMO_TRUSTEES];
    uint8_t pk[EVOTE_POINT_LEN];
    struct contest_run contests[DEMO_MAX_CONTESTS];
    size_t ncontests;
    struct demo_box box; /* officials, ballot box, media, air-gapped import */
    struct demo_rx rx;   /* voters, their cards, reception (cli/demo_rx.c) */
    /* audit trail and published record (cli/demo_record.c) */
    struct demo_audit *audit;
    char published[PATH_MAX];
};

static const char DEMO_MANIFEST[] =
    "{\n"
    "  \"format\": \"libevote-manifest/1\",\n"
    "  \"election_id\": \"demo-2026-shugiin\",\n"
    "  \"title\": \"第52回衆議院議員総選挙（在外投票・模擬）\",\n"
    "  \"voting_window\": {\"opens\": \"2026-01-01T08:30:00+09:00\",\n"
    "                    \"closes\": \"2036-12-31T20:00:00+09:00\"},\n"
    "  \"contests\": [\n"
    "    {\"id\": \"district-tokyo-1\", \"title\": \"小選挙区 東京都第1区\",\n"
    "     \"kind\": \"district\", \"options\": [\n"
    "       {\"id\": \"c1\", \"name\": \"山田 太郎\"},\n"
    "       {\"id\": \"c2\", \"name\": \"佐藤 花子\"},\n"
    "       {\"id\": \"c3\", \"name\": \"鈴木 一郎\"},\n"
    "       {\"id\": \"c4\", \"name\": \"高橋 美咲\"}]},\n"
    "    {\"id\": \"proportional-tokyo\", \"title\": \"比例代表 東京都ブロック\",\n"
    "     \"kind\": \"proportional\", \"options\": [\n"
    "       {\"id\": \"p1\", \"name\": \"みらい党\"},\n"
    "       {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
    "       {\"id\": \"p3\", \"name\": \"あおば党\"},\n"
    "       {\"id\": \"p4\", \"name\": \"つばさ党\"},\n"
    "       {\"id\": \"p5\", \"name\": \"ひかり党\"},\n"
    "       {\"id\": \"p6\", \"name\": \"市民の会\"}]}\n"
    "  ]\n"
    "}\n";

static int fail(const char *step, evote_err_t rv) { return cli_fail(rv, step); }

static int sys_fail(const char *what, const char *path) {
    fprintf(stderr, "evote demo: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

/* Uniform in [0, n) by rejection: no modulo bias. */
static int random_below(uint32_t n, uint32_t *out) {
    uint32_t limit = UINT32_MAX - UINT32_MAX % n, v;
    do {
        if (RAND_bytes((uint8_t *)&v, sizeof(v)) != 1)
            return 1;
    } while (v >= limit);
    *out = v % n;
    return 0;
}

static int make_dir(const char *path) {
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return sys_fail("create directory", path);
    return 0;
}

/* Copy a file as it is published (byte for byte; dst must not exist). */
static int copy_file(const char *src, const char *dst) {
    FILE *in = fopen(src, "rb"), *out = in != NULL ? fopen(dst, "wbx") : NULL;
    char buf[65536];
    size_t n;
    int rc = in != NULL && out != NULL ? 0 : 1;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = 1;
    if (in != NULL && ferror(in))
        rc = 1;
    if (out != NULL && fclose(out) != 0)
        rc = 1;
    if (in != NULL)
        fclose(in);
    return rc != 0 ? sys_fail("copy to", dst) : 0;
}

static void hex_of(char *out, const uint8_t *in, size_t n) {
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* ---- steps -------------------------------------------------------------- */

static int step_workspace(struct demo *d) {
    if (d->dir[0] != '\0') {
        if (mkdir(d->dir, 0700) != 0)
            return sys_fail("create directory", d->dir);
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(d->dir, sizeof(d->dir), "%s/evote-demo-XXXXXX",
                 base != NULL && base[0] != '\0' ? base : "/tmp");
        if (mkdtemp(d->dir) == NULL)
            return sys_fail("create directory", d->dir);
    }
    d->dir_made = true;
    snprintf(d->conf, sizeof(d->conf), "%s/softhsm2.conf", d->dir);
    snprintf(d->manifest_path, sizeof(d->manifest_path), "%s/manifest.json", d->dir);
    snprintf(d->pubkey_path, sizeof(d->pubkey_path), "%s/election-key.pem", d->dir);
    snprintf(d->trustees_dir, sizeof(d->trustees_dir), "%s/trustees", d->dir);
    snprintf(d->ceremony_path, sizeof(d->ceremony_path), "%s/trustees/key-ceremony.json",
             d->dir);
    snprintf(d->partials_dir, sizeof(d->partials_dir), "%s/partials", d->dir);
    snprintf(d->confirm_dir, sizeof(d->confirm_dir), "%s/confirmations", d->dir);
    snprintf(d->results_dir, sizeof(d->results_dir), "%s/results", d->dir);
    for (int i = 0; i < DEMO_TRUSTEES; i++) {
        struct trustee_run *t = &d->trustees[i];
        char id[sizeof(t->id)]; /* a copy: snprintf's source must not overlap *d */
        snprintf(id, sizeof(id), "trustee-%d", i + 1);
        memcpy(t->id, id, sizeof(id));
        snprintf(t->pin_path, sizeof(t->pin_path), "%s/%s.pin", d->dir, id);
        snprintf(t->so_pin_path, sizeof(t->so_pin_path), "%s/%s.so-pin", d->dir, id);
        snprintf(t->own_dir, sizeof(t->own_dir), "%s/%s", d->dir, id);
        snprintf(t->key_own, sizeof(t->key_own), "%s/%s/key.json", d->dir, id);
        snprintf(t->commitment, sizeof(t->commitment), "%s/trustees/%s.commitment.json",
                 d->dir, id);
        snprintf(t->key_pub, sizeof(t->key_pub), "%s/trustees/%s.key.json", d->dir, id);
        snprintf(t->keygen_record, sizeof(t->keygen_record),
                 "%s/trustees/%s.keygen-record.json", d->dir, id);
    }
    printf("workspace  %s%s\n", d->dir, d->keep ? "" : " (removed at the end; --keep keeps it)");
    return 0;
}

static int step_token(struct demo *d) {
    char tokens[PATH_MAX], conf[PATH_MAX + 256];
    evote_err_t rv;
    snprintf(tokens, sizeof(tokens), "%s/tokens", d->dir);
    if (mkdir(tokens, 0700) != 0)
        return sys_fail("create directory", tokens);
    /* Same content as pkcs11-config/softhsm2.conf.in: the token store lives
     * in the workspace, never in the system's token directory. */
    snprintf(conf, sizeof(conf),
             "# SoftHSM2 configuration of one evote demo (generated)\n"
             "directories.tokendir = %s\n"
             "objectstore.backend = file\n"
             "log.level = ERROR\n"
             "slots.removable = false\n",
             tokens);
    if (demo_write_text(d->conf, conf, 0600) != 0)
        return 1;
    setenv("SOFTHSM2_CONF", d->conf, 1);
    /* One token per trustee, labelled with their id: in a real election
     * each one is a separate HSM in that trustee's keeping. */
    for (int i = 0; i < DEMO_TRUSTEES; i++) {
        struct trustee_run *t = &d->trustees[i];
        char pin[33], so_pin[33];
        if (demo_random_pin(so_pin) != 0 || demo_random_pin(pin) != 0)
            return fail("token PINs", EVOTE_ERR_RANDOM);
        if (demo_write_text(t->so_pin_path, so_pin, 0600) != 0 ||
            demo_write_text(t->pin_path, pin, 0600) != 0) {
            evote_wipe(pin, sizeof(pin));
            evote_wipe(so_pin, sizeof(so_pin));
            return 1;
        }
        rv = evote_hsm_token_init(d->module, t->id, so_pin, strlen(so_pin), pin, strlen(pin));
        evote_wipe(pin, sizeof(pin));
        evote_wipe(so_pin, sizeof(so_pin));
        if (rv != EVOTE_OK)
            return fail("token init", rv);
        printf("token      \"%s\" in %s/tokens (module %s; PINs in %s, %s)\n", t->id, d->dir,
               d->module, t->so_pin_path, t->pin_path);
    }
    return 0;
}

static int step_manifest(struct demo *d) {
    evote_err_t rv;
    if (demo_box_write_manifest(&d->box, d->manifest_path, DEMO_MANIFEST) != 0)
        return 1;
    if ((rv = evote_manifest_load(&d->m, d->manifest_path)) != EVOTE_OK)
        return fail("manifest", rv);
    d->ncontests = evote_manifest_contest_count(d->m);
    if (d->ncontests > DEMO_MAX_CONTESTS)
        return fail("manifest", EVOTE_ERR_TOO_LARGE);
    const uint8_t *h = evote_manifest_hash(d->m);
    printf("manifest   %s — %s, %zu contests, SHA-256 ", evote_manifest_election_id(d->m),
           evote_manifest_title(d->m), d->ncontests);
    for (int i = 0; i < EVOTE_HASH_LEN; i++)
        printf("%02x", h[i]);
    printf("\n");
    for (size_t i = 0; i < d->ncontests; i++) {
        struct contest_run *c = &d->contests[i];
        c->id = evote_manifest_contest_id(d->m, i);
        c->index = i;
        c->noptions = evote_manifest_option_count(d->m, i);
        c->cast = calloc(c->noptions, sizeof(*c->cast));
        c->cts = calloc(d->ballots, sizeof(*c->cts));
        if (c->cast == NULL || c->cts == NULL)
            return fail("manifest", EVOTE_ERR_NOMEM);
        snprintf(c->list_path, sizeof(c->list_path), "%s/%s.ciphertexts.bt", d->dir, c->id);
        snprintf(c->plaintexts_path, sizeof(c->plaintexts_path), "%s/%s.plaintexts", d->dir,
                 c->id);
        snprintf(c->tally_path, sizeof(c->tally_path), "%s/%s.tally.json", d->dir, c->id);
        snprintf(c->mix_dir, sizeof(c->mix_dir), "%s/%s.mix", d->dir, c->id);
        snprintf(c->mixed_path, sizeof(c->mixed_path), "%s/%s.mixed.bt", d->dir, c->id);
        snprintf(c->auth_path, sizeof(c->auth_path), "%s/%s.decrypt-authorization.json",
                 d->dir, c->id);
        snprintf(c->partial_dir, sizeof(c->partial_dir), "%s/partials/%s", d->dir, c->id);
        for (int t = 0; t < DEMO_TRUSTEES; t++)
            snprintf(c->partial[t], sizeof(c->partial[t]), "%s/partials/%s/%s.evpd", d->dir,
                     c->id, d->trustees[t].id);
        snprintf(c->randomness_path, sizeof(c->randomness_path),
                 "%s/confirmations/%s.randomness", d->dir, c->id);
        snprintf(c->query_path, sizeof(c->query_path), "%s/confirmations/%s.q.der", d->dir,
                 c->id);
        snprintf(c->confirmation_path, sizeof(c->confirmation_path),
                 "%s/confirmations/%s.json", d->dir, c->id);
    }
    return 0;
}

/* Key ceremony, part 1: each trustee generates their key share inside
 * their own token and publishes the commitment H(manifest, trustee, PK_i)
 * (and the token's record of the key's attributes); the share itself stays
 * with the trustee until every commitment is out. */
static int step_trustees(struct demo *d) {
    if (make_dir(d->trustees_dir) != 0)
        return 1;
    for (int i = 0; i < DEMO_TRUSTEES; i++) {
        struct trustee_run *t = &d->trustees[i];
        if (make_dir(t->own_dir) != 0)
            return 1;
        const char *args[] = {"trustee", "keygen", "--manifest", d->manifest_path,
                              "--trustee", t->id, "--token", t->id, "--pin-file", t->pin_path,
                              "--module", d->module, "--commitment-out", t->commitment,
                              "--key-out", t->key_own, "--record-out", t->keygen_record, NULL};
        printf("trustees   %s generates a key share on token \"%s\" and publishes its "
               "commitment:\n",
               t->id, t->id);
        if (demo_run_evote(args) != 0)
            return 1;
        printf("           %s, %s\n", t->commitment, t->keygen_record);
    }
    return 0;
}

/* Key ceremony, part 2: with every commitment published, the trustees
 * publish their key shares; combine-keys checks each against its
 * commitment and writes the election key (their sum). */
static int step_election_key(struct demo *d) {
    const char *args[8 + 4 * DEMO_TRUSTEES + 1];
    size_t n = 0;
    evote_err_t rv;
    args[n++] = "trustee";
    args[n++] = "combine-keys";
    args[n++] = "--manifest";
    args[n++] = d->manifest_path;
    for (int i = 0; i < DEMO_TRUSTEES; i++) {
        struct trustee_run *t = &d->trustees[i];
        if (copy_file(t->key_own, t->key_pub) != 0)
            return 1;
        printf("election   %s publishes its key share %s\n", t->id, t->key_pub);
        args[n++] = "--commitment";
        args[n++] = t->commitment;
        args[n++] = "--key";
        args[n++] = t->key_pub;
    }
    args[n++] = "--out";
    args[n++] = d->pubkey_path;
    args[n++] = "--record";
    args[n++] = d->ceremony_path;
    args[n] = NULL;
    printf("election   trustee combine-keys checks every share against its commitment:\n");
    if (demo_run_evote(args) != 0)
        return 1;
    if ((rv = evote_pubkey_read_pem(d->pubkey_path, d->pk)) != EVOTE_OK)
        return fail("public key", rv);
    char hex[2 * EVOTE_POINT_LEN + 1];
    hex_of(hex, d->pk, sizeof(d->pk));
    printf("election   key %s (sum of %d shares)\n           %s, %s\n", hex, DEMO_TRUSTEES,
           d->pubkey_path, d->ceremony_path);
    return 0;
}

/* Every voter's ballot goes through the bytes and the proof check that a
 * reception server would apply before its ciphertext joins the list. */
static int step_cast(struct demo *d) {
    evote_err_t rv;
    uint8_t buf[EVOTE_BALLOT_MAX];
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        double t0 = demo_now();
        for (size_t i = 0; i < d->ballots; i++) {
            evote_ballot_t b, back;
            uint32_t sel;
            size_t len = 0;
            if (random_below((uint32_t)c->noptions, &sel) != 0)
                return fail("cast", EVOTE_ERR_RANDOM);
            if ((rv = evote_ballot_encrypt(&b, d->m, c->id, d->pk, sel)) != EVOTE_OK ||
                (rv = evote_ballot_encode(&b, buf, sizeof(buf), &len)) != EVOTE_OK ||
                (rv = evote_ballot_decode(&back, buf, len)) != EVOTE_OK ||
                (rv = evote_ballot_verify(&back, evote_manifest_hash(d->m), d->pk)) != EVOTE_OK)
                return fail("cast", rv);
            if (demo_rx_add(&d->rx, i, ci, buf, len) != 0)
                return 1;
            memcpy(c->cts[c->ncts].c1, back.c1, EVOTE_POINT_LEN);
            memcpy(c->cts[c->ncts].c2, back.c2, EVOTE_POINT_LEN);
            c->ncts++;
            c->cast[sel]++;
        }
        printf("cast       %zu ballots for %s, every proof verified (%.1f s)\n", c->ncts, c->id,
               demo_now() - t0);
    }
    return 0;
}

static int step_voters(struct demo *d) {
    const char *ids[DEMO_MAX_CONTESTS];
    for (size_t i = 0; i < d->ncontests; i++)
        ids[i] = d->contests[i].id;
    return demo_rx_voters(&d->rx, d->dir, d->module, d->ballots, ids, d->ncontests);
}

static int step_sign(struct demo *d) { return demo_rx_sign(&d->rx); }

static int step_receive(struct demo *d) {
    return demo_rx_receive(&d->rx, &d->box, d->m, d->pk);
}

static int step_officials(struct demo *d) { return demo_box_officials(&d->box, d->dir, d->module); }

static int step_box_open(struct demo *d) {
    return demo_box_open(&d->box, d->manifest_path, d->pubkey_path);
}

static int step_box_close(struct demo *d) {
    return demo_box_close(&d->box, d->manifest_path, d->pubkey_path);
}

/* Counting reads the lists of the bundle imported on the air-gapped side,
 * which must hold exactly the ciphertexts cast. */
static int step_lists(struct demo *d) {
    evote_err_t rv;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        evote_ct_t *cts = NULL;
        size_t n = 0;
        char workspace_copy[PATH_MAX];
        snprintf(workspace_copy, sizeof(workspace_copy), "%s", c->list_path);
        demo_box_list_path(&d->box, c->id, c->list_path, sizeof(c->list_path));
        if ((rv = evote_ctlist_read(c->list_path, &cts, &n)) != EVOTE_OK)
            return fail("ciphertext list", rv);
        bool same = n == c->ncts && memcmp(cts, c->cts, n * sizeof(*cts)) == 0;
        /* A copy under the workspace's usual name, for inspection and for
         * tools run by hand after the demo. */
        rv = same ? evote_ctlist_write(workspace_copy, cts, n) : EVOTE_OK;
        free(cts);
        if (!same) {
            fprintf(stderr, "evote demo: %s: imported list differs from the ballots cast\n",
                    c->list_path);
            return 1;
        }
        if (rv != EVOTE_OK)
            return fail("ciphertext list", rv);
        printf("list       %s (%zu ciphertexts, as cast; copy %s)\n", c->list_path, n,
               workspace_copy);
    }
    return 0;
}

/* Two mix parties shuffle each contest's list (each appending its proof of
 * shuffle to the contest's chain directory, as on two separate machines);
 * the whole chain is verified from the box's list, and only its verified
 * final output goes on to decryption. */
#define DEMO_MIX_PARTIES 2
static int step_mix(struct demo *d) {
    evote_err_t rv;
    evote_mix_opts_t o = {.threads = (unsigned)d->threads, .progress = false};
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        evote_mix_params_t *p = NULL;
        evote_mix_report_t rep;
        evote_ct_t *out = NULL;
        size_t nout = 0;
        double t0 = demo_now();
        if ((rv = evote_mix_params_new(&p, evote_manifest_election_id(d->m), c->id,
                                       DEMO_MIX_PARTIES)) != EVOTE_OK)
            return fail("mix", rv);
        for (unsigned k = 1; k <= DEMO_MIX_PARTIES && rv == EVOTE_OK; k++)
            rv = k == 1 ? evote_mix_run_file(p, d->pk, c->list_path, 1, c->mix_dir, &o)
                        : evote_mix_run(p, d->pk, NULL, 0, k, c->mix_dir, &o);
        double t1 = demo_now();
        if (rv == EVOTE_OK)
            rv = evote_mix_verify_dir(p, c->mix_dir, d->pk, c->cts, c->ncts, &o, &rep, &out,
                                      &nout);
        if (rv == EVOTE_OK)
            rv = evote_ctlist_write(c->mixed_path, out, nout);
        free(out);
        evote_mix_params_free(p);
        if (rv != EVOTE_OK)
            return fail("mix", rv);
        printf("mix        %s: %u parties shuffled %zu ciphertexts (%.2f s), chain verified "
               "(%.2f s): %s\n",
               c->id, rep.parties, rep.n, t1 - t0, demo_now() - t1, c->mix_dir);
        /* decryption takes the mixed list, never the box's own order */
        _Static_assert(sizeof(c->list_path) == sizeof(c->mixed_path), "path sizes");
        memcpy(c->list_path, c->mixed_path, sizeof(c->list_path));
    }
    return 0;
}

/* Before any ciphertext reaches the token: two officials approve this exact
 * list, and the list must be the whole final output of the mix chain that
 * verifies from the imported box's list — the checks `evote decrypt` makes. */
static int step_approve(struct demo *d) {
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        const char *auth = c->auth_path;
        char(*sig)[PATH_MAX] = c->sig_path;
        const char *sigs[2] = {sig[0], sig[1]};
        uint8_t lh[EVOTE_HASH_LEN];
        evote_ct_t *cts = NULL;
        size_t n = 0;
        evote_err_t rv;
        printf("approve    %s: officials 1 and 2 sign the decryption of %s\n", c->id,
               c->list_path);
        if (demo_box_approve(&d->box, d->manifest_path, c->id, c->list_path, auth, sig) != 0)
            return 1;
        if ((rv = evote_sha256_file(c->list_path, lh)) != EVOTE_OK ||
            (rv = evote_ctlist_read(c->list_path, &cts, &n)) != EVOTE_OK)
            return fail("decryption input", rv);
        char box[PATH_MAX];
        snprintf(box, sizeof(box), "%s", d->box.airgap);
        int rc = cli_check_authorization(d->m, c->id, lh, auth, sigs, 2);
        if (rc == 0)
            rc = cli_check_mix_output(d->m, c->id, d->pk, c->mix_dir, box, false, cts, n);
        free(cts);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Each trustee, on their own machine with their own token, computes their
 * part of the decryption of each contest's mixed list; `evote decrypt
 * partial` first checks the officials' approvals and the mix chain from
 * the imported box. */
static int step_decrypt_partial(struct demo *d) {
    if (make_dir(d->partials_dir) != 0)
        return 1;
    for (int i = 0; i < DEMO_TRUSTEES; i++) {
        struct trustee_run *t = &d->trustees[i];
        for (size_t ci = 0; ci < d->ncontests; ci++) {
            struct contest_run *c = &d->contests[ci];
            if (make_dir(c->partial_dir) != 0)
                return 1;
            const char *args[] = {"decrypt", "partial", "--manifest", d->manifest_path,
                                  "--record", d->ceremony_path, "--contest", c->id,
                                  "--input", c->list_path, "--mix-chain", c->mix_dir,
                                  "--box", d->box.airgap, "--authorization", c->auth_path,
                                  "--signature", c->sig_path[0], "--signature", c->sig_path[1],
                                  "--trustee", t->id, "--token", t->id,
                                  "--pin-file", t->pin_path, "--module", d->module,
                                  "--out", c->partial[i],
                                  d->threads_arg[0] ? "--threads" : NULL, d->threads_arg, NULL};
            double t0 = demo_now();
            printf("partial    %s on token \"%s\": %s\n", t->id, t->id, c->id);
            if (demo_run_evote(args) != 0)
                return 1;
            printf("           %zu ciphertexts in %.2f s (%.0f/s, approvals and mix chain "
                   "checked first)\n",
                   c->ncts, demo_now() - t0, c->ncts / (demo_now() - t0));
        }
    }
    return 0;
}

/* The count staff put the parts together: M_j = C2_j − Σ_i D_ij. */
static int step_decrypt_combine(struct demo *d) {
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        const char *args[20 + 2 * DEMO_TRUSTEES] = {
            "decrypt", "combine", "--manifest", d->manifest_path, "--record",
            d->ceremony_path, "--contest", c->id, "--input", c->list_path, "--mix-chain",
            c->mix_dir, "--box", d->box.airgap, "--out", c->plaintexts_path};
        size_t n = 0;
        while (args[n] != NULL)
            n++;
        for (int i = 0; i < DEMO_TRUSTEES; i++) {
            args[n++] = "--partial";
            args[n++] = c->partial[i];
        }
        args[n] = NULL;
        printf("combine    %s: ", c->id);
        if (demo_run_evote(args) != 0)
            return 1;
    }
    return 0;
}

static int step_tally(struct demo *d) {
    evote_err_t rv;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        evote_plaintexts_t *p = NULL;
        if ((rv = evote_plaintexts_read(&p, c->plaintexts_path)) != EVOTE_OK)
            return fail("plaintexts", rv);
        rv = evote_tally_compute(&c->tally, d->m, p);
        evote_plaintexts_free(p);
        if (rv != EVOTE_OK)
            return fail("tally", rv);
        if ((rv = evote_tally_write_json(c->tally, c->tally_path)) != EVOTE_OK)
            return fail("tally JSON", rv);
        printf("\n%s — %s [%s]\n", c->id, evote_manifest_contest_title(d->m, c->index),
               evote_manifest_contest_kind(d->m, c->index));
        printf("  %-4s %-24s %8s\n", "id", "name", "votes");
        for (size_t j = 0; j < c->noptions; j++)
            printf("  %-4s %-*s %8llu\n", evote_manifest_option_id(d->m, c->index, j),
                   /* pad by display columns: these names are 3-byte UTF-8
                    * characters of two columns each */
                   24 + (int)(strlen(evote_manifest_option_name(d->m, c->index, j)) / 3),
                   evote_manifest_option_name(d->m, c->index, j),
                   (unsigned long long)evote_tally_votes(c->tally, j));
        printf("  %-4s %-24s %8llu\n", "", "(invalid)",
               (unsigned long long)evote_tally_invalid_count(c->tally));
        printf("  %-4s %-24s %8llu\n", "", "(total)",
               (unsigned long long)evote_tally_total(c->tally));
    }
    printf("\n");
    return 0;
}

/* The point of the exercise: what came out is exactly what went in. */
static int step_check(struct demo *d) {
    uint64_t all = 0;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        if (evote_tally_total(c->tally) != c->ncts || evote_tally_invalid_count(c->tally) != 0) {
            fprintf(stderr, "evote demo: %s: tally counts %llu ballots (%llu invalid), %zu were "
                            "cast\n",
                    c->id, (unsigned long long)evote_tally_total(c->tally),
                    (unsigned long long)evote_tally_invalid_count(c->tally), c->ncts);
            return 1;
        }
        for (size_t j = 0; j < c->noptions; j++) {
            if (evote_tally_votes(c->tally, j) != c->cast[j]) {
                fprintf(stderr, "evote demo: %s option %s: tally %llu, cast %llu — MISMATCH\n",
                        c->id, evote_manifest_option_id(d->m, c->index, j),
                        (unsigned long long)evote_tally_votes(c->tally, j),
                        (unsigned long long)c->cast[j]);
                return 1;
            }
        }
        all += c->ncts;
    }
    printf("tally matches the %llu ballots cast\n", (unsigned long long)all);
    return 0;
}

/* An observer's confirmation of each published decryption (PROTOCOL §15):
 * fresh randomness, then ONE derive per trustee token on the query point
 * Q over the whole batch, compared with the value the published parts
 * predict. The demo draws the randomness from the OS RNG; a real observer
 * types their own (hex or dice) only after the plaintexts are published. */
static int step_confirm(struct demo *d) {
    if (make_dir(d->confirm_dir) != 0)
        return 1;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        uint8_t r[32];
        char hex[2 * sizeof(r) + 2];
        if (RAND_bytes(r, sizeof(r)) != 1)
            return fail("observer's randomness", EVOTE_ERR_RANDOM);
        hex_of(hex, r, sizeof(r));
        strcat(hex, "\n");
        if (demo_write_text(c->randomness_path, hex, 0644) != 0)
            return 1;
        printf("confirm    %s: the observer's randomness %.*s\n"
               "           (drawn by the demo from the OS RNG; a real observer types or rolls "
               "their own after the plaintexts are published)\n",
               c->id, (int)(2 * sizeof(r)), hex);
        const char *args[40 + 8 * DEMO_TRUSTEES] = {
            "confirm", "--manifest", d->manifest_path, "--record", d->ceremony_path,
            "--contest", c->id, "--input", c->list_path, "--decryption", c->plaintexts_path,
            "--randomness", c->randomness_path, "--query-out", c->query_path,
            "--out", c->confirmation_path, "--module", d->module};
        size_t n = 0;
        while (args[n] != NULL)
            n++;
        for (int i = 0; i < DEMO_TRUSTEES; i++) {
            struct trustee_run *t = &d->trustees[i];
            args[n++] = "--partial";
            args[n++] = c->partial[i];
            args[n++] = "--trustee";
            args[n++] = t->id;
            args[n++] = "--token";
            args[n++] = t->id;
            args[n++] = "--pin-file";
            args[n++] = t->pin_path;
        }
        args[n] = NULL;
        printf("confirm    %s asks each trustee's token for one derive on Q:\n", c->id);
        if (demo_run_evote(args) != 0)
            return 1;
        printf("confirm    %s: to ask a token yourself, without evote, and compare with "
               "\"expected x\" above:\n",
               c->id);
        for (int i = 0; i < DEMO_TRUSTEES; i++) {
            struct trustee_run *t = &d->trustees[i];
            char label[64];
            cli_trustee_key_label(label, sizeof(label), t->id);
            printf("  SOFTHSM2_CONF=%s EVOTE_PIN=\"$(cat %s)\" \\\n"
                   "    pkcs11-tool --module %s --token-label %s --login --pin env:EVOTE_PIN \\\n"
                   "    --derive -m ECDH1-DERIVE --label %s -i %s -o x.bin && "
                   "od -An -tx1 -v x.bin | tr -d ' \\n'; echo\n",
                   d->conf, t->pin_path, d->module, t->id, label, c->query_path);
        }
    }
    return 0;
}

/* The result sheets for machines (JSON, CSV) and people (HTML), with the
 * number of ballots cast per contest from the closed box. */
static int step_results(struct demo *d) {
    char json[PATH_MAX + 16], csv[PATH_MAX + 16], html[PATH_MAX + 16];
    char cast[DEMO_MAX_CONTESTS][EVOTE_ID_MAX + 32];
    const char *args[16 + 4 * DEMO_MAX_CONTESTS];
    size_t n = 0;
    if (make_dir(d->results_dir) != 0)
        return 1;
    snprintf(json, sizeof(json), "%s/results.json", d->results_dir);
    snprintf(csv, sizeof(csv), "%s/results.csv", d->results_dir);
    snprintf(html, sizeof(html), "%s/results.html", d->results_dir);
    args[n++] = "result";
    args[n++] = "--manifest";
    args[n++] = d->manifest_path;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        snprintf(cast[ci], sizeof(cast[ci]), "%s=%zu", c->id, c->ncts);
        args[n++] = "--decryption";
        args[n++] = c->plaintexts_path;
        args[n++] = "--cast";
        args[n++] = cast[ci];
    }
    args[n++] = "--json";
    args[n++] = json;
    args[n++] = "--csv";
    args[n++] = csv;
    args[n++] = "--sheet";
    args[n++] = html;
    args[n] = NULL;
    printf("results    evote result:\n");
    if (demo_run_evote(args) != 0)
        return 1;
    printf("results    %s\n           %s\n           %s (printable sheet: open it in a "
           "browser)\n",
           json, csv, html);
    return 0;
}

/* The election record in the layout of PROTOCOL §17, checked by evote verify. */
static int step_record(struct demo *d) {
    struct demo_record_file f[6 + 8 * DEMO_MAX_CONTESTS];
    char rel[8 * DEMO_MAX_CONTESTS][EVOTE_ID_MAX + 32];
    size_t n = 0, k = 0;
    f[n++] = (struct demo_record_file){"manifest.json", d->manifest_path};
    f[n++] = (struct demo_record_file){"election-key.pem", d->pubkey_path};
    f[n++] = (struct demo_record_file){"trustees", d->trustees_dir};
    f[n++] = (struct demo_record_file){"bundle", d->box.media};
    f[n++] = (struct demo_record_file){"decrypt/partials", d->partials_dir};
    f[n++] = (struct demo_record_file){"results", d->results_dir};
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        snprintf(rel[k], sizeof(rel[0]), "mix/%s", c->id);
        f[n++] = (struct demo_record_file){rel[k++], c->mix_dir};
        snprintf(rel[k], sizeof(rel[0]), "decrypt/%s.input.bt", c->id);
        f[n++] = (struct demo_record_file){rel[k++], c->list_path};
        snprintf(rel[k], sizeof(rel[0]), "decrypt/%s.plaintexts", c->id);
        f[n++] = (struct demo_record_file){rel[k++], c->plaintexts_path};
        snprintf(rel[k], sizeof(rel[0]), "tally/%s.json", c->id);
        f[n++] = (struct demo_record_file){rel[k++], c->tally_path};
        snprintf(rel[k], sizeof(rel[0]), "decrypt/%s.authorization.json", c->id);
        f[n++] = (struct demo_record_file){rel[k++], c->auth_path};
        for (int i = 0; i < 2; i++) {
            snprintf(rel[k], sizeof(rel[0]), "decrypt/%s.approval-%d.cms", c->id, i + 1);
            f[n++] = (struct demo_record_file){rel[k++], c->sig_path[i]};
        }
        if (access(c->confirmation_path, F_OK) == 0) {
            snprintf(rel[k], sizeof(rel[0]), "decrypt/confirmations/%s.json", c->id);
            f[n++] = (struct demo_record_file){rel[k++], c->confirmation_path};
        }
    }
    snprintf(d->published, sizeof(d->published), "%s/record", d->dir);
    return demo_record_publish(d->audit, d->published, f, n);
}

static int step_inspect(struct demo *d) {
    /* By label: no other token of the demo has a trustee's label as a
     * prefix (pkcs11-tool matches --token-label by prefix). */
    printf("\nInspect a trustee's token (the private key shows as sensitive, never "
           "extractable):\n");
    for (int i = 0; i < DEMO_TRUSTEES; i++)
        printf("  SOFTHSM2_CONF=%s EVOTE_PIN=\"$(cat %s)\" \\\n"
               "    pkcs11-tool --module %s --token-label %s \\\n"
               "    --login --pin env:EVOTE_PIN --list-objects\n",
               d->conf, d->trustees[i].pin_path, d->module, d->trustees[i].id);
    if (!d->keep)
        printf("(this workspace is removed now: run `evote demo --keep` or `--dir DIR` to "
               "keep it)\n");
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct demo *);
} steps[] = {
    {"workspace", step_workspace},
    {"token", step_token},
    {"officials", step_officials},
    {"manifest", step_manifest},
    {"voters", step_voters},
    {"trustees", step_trustees},
    {"election-key", step_election_key},
    {"box-open", step_box_open},
    {"cast", step_cast},
    {"sign", step_sign},
    {"receive", step_receive},
    {"box-close", step_box_close},
    {"lists", step_lists},
    {"mix", step_mix},
    {"approve", step_approve},
    {"decrypt-partial", step_decrypt_partial},
    {"decrypt-combine", step_decrypt_combine},
    {"tally", step_tally},
    {"check", step_check},
    {"confirm", step_confirm},
    {"results", step_results},
    {"record", step_record},
    {"inspect", step_inspect},
};

/* ---- driver ------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

static void demo_free(struct demo *d, bool failed) {
    demo_box_free(&d->box);
    demo_audit_free(d->audit); /* it finalises the module */
    demo_rx_free(&d->rx);      /* likewise (libp11) */
    for (size_t i = 0; i < d->ncontests; i++) {
        evote_tally_free(d->contests[i].tally);
        free(d->contests[i].cast);
        free(d->contests[i].cts);
    }
    evote_manifest_free(d->m);
    /* A failed run keeps its workspace for a post-mortem. */
    if (d->dir_made && !d->keep && !failed && strstr(d->dir, "evote-demo-") != NULL)
        nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote demo [--ballots N] [--keep | --dir DIR] [--sessions N]\n"
            "                  [--threads N] [--module MODULE]\n\n"
            "Run a whole practice election in a fresh directory: two trustees, each\n"
            "with a SoftHSM2 token in that directory, generate key shares inside\n"
            "them (commitments first), combined into the election key; a manifest\n"
            "with a district and a proportional contest, N voters (default 1500)\n"
            "casting a random ballot in each (each proof verified), signed on their\n"
            "stand-in ID cards (SoftHSM2 tokens of 25 voters each), the box, two mix\n"
            "parties, two officials approving, each trustee's partial decryption\n"
            "on their own token, the combination, the tally, a check that it\n"
            "equals the ballots cast (exit status 1 if not), an observer's\n"
            "confirmation and the result sheets (JSON, CSV, HTML). Every step is signed\n"
            "into an audit log by a demo operator's token, and DIR/record is the\n"
            "published election record, checked with `evote verify` (PROTOCOL §17).\n\n"
            "The directory is a new one under $TMPDIR, removed at the end unless\n"
            "--keep; --dir DIR uses DIR (created, must not exist) and keeps it.\n"
            "MODULE defaults to $EVOTE_PKCS11_MODULE, else %s.\n",
            EVOTE_DEFAULT_PKCS11_MODULE);
}

int cmd_demo(int argc, char **argv) {
    static const struct option opts[] = {
        {"ballots", required_argument, NULL, 'n'}, {"keep", no_argument, NULL, 'k'},
        {"dir", required_argument, NULL, 'd'},     {"sessions", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 'T'}, {"module", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static struct demo d; /* large; one per process */
    const char *module = NULL;
    int c, rc = 0;

    memset(&d, 0, sizeof(d));
    d.ballots = 1500; /* issue #2: a few thousand ballots (2 contests) */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_count(optarg, DEMO_MAX_BALLOTS, &d.ballots)) {
                fprintf(stderr, "%s: --ballots %s is not a number from 1 to %lu\n", argv[0],
                        optarg, DEMO_MAX_BALLOTS);
                return 2;
            }
            break;
        case 'k': d.keep = true; break;
        case 'd':
            if (strlen(optarg) >= sizeof(d.dir)) {
                fprintf(stderr, "%s: --dir is too long\n", argv[0]);
                return 2;
            }
            strcpy(d.dir, optarg);
            d.keep = true;
            break;
        case 'S':
        case 'T':
            if (!cli_parse_count(optarg, 256, c == 'S' ? &d.sessions : &d.threads)) {
                fprintf(stderr, "%s: --%s %s is not a number from 1 to 256\n", argv[0],
                        c == 'S' ? "sessions" : "threads", optarg);
                return 2;
            }
            break;
        case 'm': module = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    d.module = cli_module_path(module);
    /* each trustee's token: that many sessions, one thread on each */
    if (d.threads > 0 || d.sessions > 0)
        snprintf(d.threads_arg, sizeof(d.threads_arg), "%lu",
                 d.threads > d.sessions ? d.threads : d.sessions);
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = demo_now();
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && rc == 0; i++) {
        /* Steps between the token set-up and the publication are signed
         * into the audit log by the demo's operator (cli/demo_record.c). */
        bool audited = d.audit != NULL && strcmp(steps[i].name, "record") != 0 &&
                       strcmp(steps[i].name, "inspect") != 0;
        if (audited)
            demo_audit_before(d.audit);
        rc = steps[i].run(&d);
        if (audited && demo_audit_after(d.audit, steps[i].name, rc,
                                        d.m ? evote_manifest_hash(d.m) : NULL) != 0)
            rc = rc != 0 ? rc : 1;
        if (rc == 0 && strcmp(steps[i].name, "token") == 0)
            rc = demo_audit_begin(&d.audit, d.dir, d.module);
        if (rc != 0)
            fprintf(stderr, "evote demo: step \"%s\" failed%s%s\n", steps[i].name,
                    d.dir_made ? "; workspace kept: " : "", d.dir_made ? d.dir : "");
    }
    if (rc == 0)
        printf("demo finished in %.1f s\n", demo_now() - t0);
    demo_free(&d, rc != 0);
    return rc;
}
