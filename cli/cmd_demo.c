/*
 * evote demo — a whole practice election in a fresh directory: SoftHSM2
 * token, key generation inside it, a two-contest manifest, random ballots
 * (each proof verified), ciphertext lists, decryption through the token,
 * tally, and a check that the tally equals what was cast.
 *
 * Each contest is mixed by two mix parties (proofs of shuffle verified)
 * before decryption.
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

#define DEMO_TOKEN "evote-demo"
#define DEMO_KEY "election-key"
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
        record_path[PATH_MAX], pin_path[PATH_MAX], so_pin_path[PATH_MAX];
    char pin[33], so_pin[33];
    /* election */
    evote_manifest_t *m;
    evote_hsm_t *hsm;
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

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *step, evote_err_t rv) { return cli_fail(rv, step); }

static int sys_fail(const char *what, const char *path) {
    fprintf(stderr, "evote demo: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static int write_text(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return sys_fail("create", path);
    if (fchmod(fileno(f), mode) != 0 || fputs(text, f) < 0) {
        fclose(f);
        return sys_fail("write", path);
    }
    if (fclose(f) != 0)
        return sys_fail("write", path);
    return 0;
}

/* A random PIN of 32 hex digits (the token is thrown away with the demo). */
static int random_pin(char out[33]) {
    uint8_t r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return 1;
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    evote_wipe(r, sizeof(r));
    return 0;
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
    snprintf(d->record_path, sizeof(d->record_path), "%s/keygen-record.json", d->dir);
    snprintf(d->pin_path, sizeof(d->pin_path), "%s/user-pin", d->dir);
    snprintf(d->so_pin_path, sizeof(d->so_pin_path), "%s/so-pin", d->dir);
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
    if (write_text(d->conf, conf, 0600) != 0)
        return 1;
    setenv("SOFTHSM2_CONF", d->conf, 1);
    if (random_pin(d->so_pin) != 0 || random_pin(d->pin) != 0)
        return fail("token PINs", EVOTE_ERR_RANDOM);
    if (write_text(d->so_pin_path, d->so_pin, 0600) != 0 ||
        write_text(d->pin_path, d->pin, 0600) != 0)
        return 1;
    rv = evote_hsm_token_init(d->module, DEMO_TOKEN, d->so_pin, strlen(d->so_pin), d->pin,
                              strlen(d->pin));
    evote_wipe(d->so_pin, sizeof(d->so_pin));
    if (rv != EVOTE_OK)
        return fail("token init", rv);
    printf("token      \"%s\" in %s/tokens (module %s; PINs in %s, %s)\n", DEMO_TOKEN, d->dir,
           d->module, d->so_pin_path, d->pin_path);
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
    }
    return 0;
}

static int step_keygen(struct demo *d) {
    evote_err_t rv;
    evote_hsm_key_attrs_t a;
    rv = evote_hsm_open(&d->hsm, d->module, DEMO_TOKEN, d->pin, strlen(d->pin),
                        (unsigned)d->sessions);
    evote_wipe(d->pin, sizeof(d->pin));
    if (rv != EVOTE_OK)
        return fail("token", rv);
    if ((rv = evote_hsm_keygen(d->hsm, DEMO_KEY, d->pk)) != EVOTE_OK)
        return fail("keygen", rv);
    if ((rv = evote_pubkey_write_pem(d->pubkey_path, d->pk)) != EVOTE_OK)
        return fail("public key", rv);
    if ((rv = evote_hsm_keygen_record_write(d->hsm, d->record_path, DEMO_KEY,
                                            evote_manifest_hash(d->m),
                                            evote_manifest_election_id(d->m))) != EVOTE_OK)
        return fail("ceremony record", rv);
    if ((rv = evote_hsm_key_attrs(d->hsm, &a)) != EVOTE_OK)
        return fail("key attributes", rv);
    printf("keygen     \"%s\" inside the token: public key ", DEMO_KEY);
    for (size_t i = 0; i < sizeof(d->pk); i++)
        printf("%02x", d->pk[i]);
    printf("\n           sensitive=%d extractable=%d never-extractable=%d derive=%d sign=%d "
           "decrypt=%d, CKA_VALUE %s\n",
           a.sensitive, a.extractable, a.never_extractable, a.derive, a.sign, a.decrypt,
           a.value_readable ? "READABLE" : "unreadable");
    printf("           %s, %s\n", d->pubkey_path, d->record_path);
    return 0;
}

/* Every voter's ballot goes through the bytes and the proof check that a
 * reception server would apply before its ciphertext joins the list. */
static int step_cast(struct demo *d) {
    evote_err_t rv;
    uint8_t buf[EVOTE_BALLOT_MAX];
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        double t0 = now();
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
               now() - t0);
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
        double t0 = now();
        if ((rv = evote_mix_params_new(&p, evote_manifest_election_id(d->m), c->id,
                                       DEMO_MIX_PARTIES)) != EVOTE_OK)
            return fail("mix", rv);
        for (unsigned k = 1; k <= DEMO_MIX_PARTIES && rv == EVOTE_OK; k++)
            rv = k == 1 ? evote_mix_run_file(p, d->pk, c->list_path, 1, c->mix_dir, &o)
                        : evote_mix_run(p, d->pk, NULL, 0, k, c->mix_dir, &o);
        double t1 = now();
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
               c->id, rep.parties, rep.n, t1 - t0, now() - t1, c->mix_dir);
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
        char auth[PATH_MAX], sig[2][PATH_MAX];
        const char *sigs[2] = {sig[0], sig[1]};
        uint8_t lh[EVOTE_HASH_LEN];
        evote_ct_t *cts = NULL;
        size_t n = 0;
        evote_err_t rv;
        snprintf(auth, sizeof(auth), "%s/%s.decrypt-authorization.json", d->dir, c->id);
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

static int step_decrypt(struct demo *d) {
    evote_err_t rv;
    evote_decrypt_opts_t o = {.threads = (unsigned)d->threads};
    evote_decrypt_stats_t st;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        if ((rv = evote_decrypt_file(d->hsm, d->m, c->id, c->list_path, c->plaintexts_path, &o,
                                     &st)) != EVOTE_OK)
            return fail("decrypt", rv);
        printf("decrypt    %s: %zu ciphertexts through SoftHSM2, %u threads on %u sessions, "
               "%.2f s (%.0f/s)\n",
               c->id, st.ciphertexts, st.threads, evote_hsm_session_count(d->hsm), st.seconds,
               st.seconds > 0 ? (double)st.ciphertexts / st.seconds : 0.0);
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

/* The election record in the layout of PROTOCOL §17, checked by evote verify. */
static int step_record(struct demo *d) {
    struct demo_record_file f[4 + 4 * DEMO_MAX_CONTESTS];
    char rel[4 * DEMO_MAX_CONTESTS][EVOTE_ID_MAX + 32];
    size_t n = 0, k = 0;
    f[n++] = (struct demo_record_file){"manifest.json", d->manifest_path};
    f[n++] = (struct demo_record_file){"election-key.pem", d->pubkey_path};
    f[n++] = (struct demo_record_file){"keygen/keygen-record.json", d->record_path};
    f[n++] = (struct demo_record_file){"bundle", d->box.media};
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
    }
    snprintf(d->published, sizeof(d->published), "%s/record", d->dir);
    return demo_record_publish(d->audit, d->published, f, n);
}

static int step_inspect(struct demo *d) {
    evote_hsm_token_info_t ti;
    evote_err_t rv = evote_hsm_token_info(d->hsm, &ti);
    if (rv != EVOTE_OK)
        return fail("token info", rv);
    /* By slot, not --token-label: pkcs11-tool matches labels by prefix, and
     * the demo's other tokens may share this one's as a prefix. SoftHSM2
     * derives the slot id from the token, so it stays valid after the demo. */
    printf("\nInspect the token (the private key shows as sensitive, never extractable):\n"
           "  SOFTHSM2_CONF=%s EVOTE_PIN=\"$(cat %s)\" \\\n"
           "    pkcs11-tool --module %s --slot %lu \\\n"
           "    --login --pin env:EVOTE_PIN --list-objects\n",
           d->conf, d->pin_path, d->module, ti.slot_id);
    if (!d->keep)
        printf("(this workspace is removed now: run `evote demo --keep` or `--dir DIR` to "
               "keep it)\n");
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct demo *);
} steps[] = {
    {"workspace", step_workspace}, {"token", step_token},         {"officials", step_officials},
    {"manifest", step_manifest},   {"voters", step_voters},       {"keygen", step_keygen},
    {"box-open", step_box_open},   {"cast", step_cast},           {"sign", step_sign},
    {"receive", step_receive},     {"box-close", step_box_close}, {"lists", step_lists},
    {"mix", step_mix},             {"approve", step_approve},     {"decrypt", step_decrypt},     {"tally", step_tally},
    {"check", step_check},         {"record", step_record},       {"inspect", step_inspect},
};

/* ---- driver ------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

static void demo_free(struct demo *d, bool failed) {
    demo_box_free(&d->box);
    evote_hsm_free(d->hsm);
    demo_audit_free(d->audit); /* after the HSM: it finalises the module */
    demo_rx_free(&d->rx);      /* likewise (libp11) */
    for (size_t i = 0; i < d->ncontests; i++) {
        evote_tally_free(d->contests[i].tally);
        free(d->contests[i].cast);
        free(d->contests[i].cts);
    }
    evote_manifest_free(d->m);
    evote_wipe(d->pin, sizeof(d->pin));
    evote_wipe(d->so_pin, sizeof(d->so_pin));
    /* A failed run keeps its workspace for a post-mortem. */
    if (d->dir_made && !d->keep && !failed && strstr(d->dir, "evote-demo-") != NULL)
        nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote demo [--ballots N] [--keep | --dir DIR] [--sessions N]\n"
            "                  [--threads N] [--module MODULE]\n\n"
            "Run a whole practice election in a fresh directory: a SoftHSM2 token\n"
            "in that directory, the election key generated inside it, a manifest\n"
            "with a district and a proportional contest, N voters (default 1500)\n"
            "each casting a random ballot per contest (each proof verified), signed\n"
            "on their stand-in ID cards (SoftHSM2 tokens of 25 voters each),\n"
            "ciphertext lists, decryption through the token, the tally, and a\n"
            "check that the tally\n"
            "equals the ballots cast (exit status 1 if not). Every step is signed\n"
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
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = now();
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
        printf("demo finished in %.1f s\n", now() - t0);
    demo_free(&d, rc != 0);
    return rc;
}
