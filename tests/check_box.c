/*
 * Ballot box: zero-vote opening, reception gate, statements and officials'
 * policy, tree heads and receipts, close is final, export and import with a
 * tamper test for every file of the bundle.
 *
 * Officials sign with software keys (evote_signer_open_pem) so that the
 * suite stays fast; the token path of the same signer is exercised by
 * check_signer and by the demo.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Test paths are short temporary directories. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include "box_internal.h"
#include "internal.h"
#include "testutil.h"

typedef struct {
    char dir[256];
    char manifest[512], pubkey[512], store[512], boxdir[512], ca[512];
    evote_manifest_t *m;
    evote_officials_t *o;
    evote_box_t *b;
    evote_store_t *s;
    evote_signer_t *sig[4]; /* official-1..3, and 4 = a stranger */
    uint8_t pk[EVOTE_POINT_LEN];
    unsigned nvoters;
} env_t;

static const char *CONTESTS[2] = {"district-tokyo-1", "proportional-tokyo"};

static void make_official(const char *dir, const char *name, char sha_hex[65]) {
    ck_assert_int_eq(
        evt_sh("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
               "-nodes -keyout %s.key -out %s.pem -subj /CN=%s -days 3650 "
               "-addext keyUsage=critical,digitalSignature >/dev/null 2>&1",
               dir, name, name, name),
        0);
    char path[600];
    snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
    ck_assert_int_eq(evt_sh("cd '%s' && openssl x509 -in %s.pem -outform DER -out %s.der", dir,
                            name, name),
                     0);
    snprintf(path, sizeof(path), "%s/%s.der", dir, name);
    uint8_t h[32];
    ck_assert_int_eq(evote_sha256_file(path, h), EVOTE_OK);
    evote_hex(sha_hex, h, 32);
}

static void write_manifest(const char *path, const char *election, const char *pins[3],
                           int need) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\n  \"format\": \"libevote-manifest/1\",\n  \"election_id\": \"%s\",\n"
            "  \"title\": \"模擬\",\n"
            "  \"voting_window\": {\"opens\": \"2020-01-01T08:30:00+09:00\",\n"
            "                    \"closes\": \"2099-12-31T20:00:00+09:00\"},\n"
            "  \"contests\": [\n"
            "    {\"id\": \"district-tokyo-1\", \"title\": \"小選挙区\", \"kind\": \"district\",\n"
            "     \"options\": [{\"id\": \"c1\", \"name\": \"山田\"}, {\"id\": \"c2\", \"name\": "
            "\"佐藤\"}]},\n"
            "    {\"id\": \"proportional-tokyo\", \"title\": \"比例\", \"kind\": "
            "\"proportional\",\n"
            "     \"options\": [{\"id\": \"p1\", \"name\": \"みらい党\"}, {\"id\": \"p2\", "
            "\"name\": \"さくら党\"}]}\n"
            "  ],\n  \"officials\": [\n",
            election);
    for (int i = 0; i < 3; i++)
        fprintf(f, "    {\"id\": \"official-%d\", \"name\": \"委員 %d\", \"cert_sha256\": \"%s\"}%s\n",
                i + 1, i + 1, pins[i], i < 2 ? "," : "");
    fprintf(f,
            "  ],\n  \"trustees\": [{\"id\": \"trustee-1\", \"name\": \"開票管理者\"}],\n"
            "  \"policy\": {\"open\": %d, \"close\": %d, \"export\": %d, \"decrypt\": %d}\n}\n",
            need, need, need, need);
    fclose(f);
}

/* A whole election set-up: officials, manifest, key, store, box. */
static void env_setup(env_t *e, const char *election) {
    char pins[3][65], stranger[65];
    const char *p[3] = {pins[0], pins[1], pins[2]};
    memset(e, 0, sizeof(*e));
    evt_tmpdir(e->dir, sizeof(e->dir));
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "official-%d", i + 1);
        make_official(e->dir, name, pins[i]);
    }
    make_official(e->dir, "official-9", stranger);
    snprintf(e->manifest, sizeof(e->manifest), "%s/manifest.json", e->dir);
    write_manifest(e->manifest, election, p, 2);
    snprintf(e->pubkey, sizeof(e->pubkey), "%s/election-key.pem", e->dir);
    ck_assert_int_eq(evt_sh("cd '%s' && openssl ecparam -name prime256v1 -genkey -noout "
                            "-out ek.pem && openssl pkey -in ek.pem -pubout -out "
                            "election-key.pem",
                            e->dir),
                     0);
    snprintf(e->store, sizeof(e->store), "%s/store.sqlite", e->dir);
    snprintf(e->boxdir, sizeof(e->boxdir), "%s/box", e->dir);
    ck_assert_int_eq(evote_manifest_load(&e->m, e->manifest), EVOTE_OK);
    ck_assert_int_eq(evote_officials_new(&e->o, e->m, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_pubkey_read_pem(e->pubkey, e->pk), EVOTE_OK);
    ck_assert_msg(evote_box_new(&e->b, e->store, e->boxdir, e->m, e->manifest, e->pubkey,
                                e->o) == EVOTE_OK,
                  "box new: %s", evote_err_detail());
    ck_assert_int_eq(evote_store_open_sqlite(&e->s, e->store), EVOTE_OK);
    for (int i = 0; i < 4; i++) {
        char k[600], c[600];
        int n = i < 3 ? i + 1 : 9;
        snprintf(k, sizeof(k), "%s/official-%d.key", e->dir, n);
        snprintf(c, sizeof(c), "%s/official-%d.pem", e->dir, n);
        ck_assert_int_eq(evote_signer_open_pem(&e->sig[i], k, c), EVOTE_OK);
    }
}

static void env_free(env_t *e) {
    for (int i = 0; i < 4; i++)
        evote_signer_free(e->sig[i]);
    evote_store_free(e->s);
    evote_box_free(e->b);
    evote_officials_free(e->o);
    evote_manifest_free(e->m);
    evt_rmrf(e->dir);
}

static void sign_as(env_t *e, int official, const char *dir, const char *name) {
    char who[EVOTE_ID_MAX + 1];
    ck_assert_msg(evote_statement_sign_file(e->o, e->sig[official], dir, name, who) ==
                      EVOTE_OK,
                  "sign %s: %s", name, evote_err_detail());
}

static void open_boxes(env_t *e) {
    ck_assert_msg(evote_box_prepare_open(e->b) == EVOTE_OK, "prepare: %s", evote_err_detail());
    sign_as(e, 0, e->boxdir, "opening");
    sign_as(e, 1, e->boxdir, "opening");
    ck_assert_msg(evote_box_commit_open(e->b) == EVOTE_OK, "commit: %s", evote_err_detail());
}

/* Cast one ballot through the store (a fresh voter each time); returns the
 * append verdict. bytes/len (may be NULL) receive the ballot. */
static evote_err_t cast(env_t *e, int contest, uint8_t *bytes, size_t *len) {
    char voter[32];
    uint8_t vk[32], ik[32], buf[EVOTE_BALLOT_MAX];
    size_t n, added;
    evote_ballot_t bal;
    snprintf(voter, sizeof(voter), "voter-%u", e->nvoters++);
    ck_assert_int_eq(evote_roll_voter_key(voter, vk), EVOTE_OK);
    ck_assert_int_eq(evote_roll_ident_key(voter, ik), EVOTE_OK);
    const char *cs[2] = {CONTESTS[0], CONTESTS[1]};
    evote_roll_entry_t re = {{0}, {0}, 2, cs, 1};
    memcpy(re.voter_key, vk, 32);
    memcpy(re.ident_key, ik, 32);
    ck_assert_int_eq(evote_store_roll_import(e->s, &re, 1, &added), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_encrypt(&bal, e->m, CONTESTS[contest], e->pk,
                                          e->nvoters % 2),
                     EVOTE_OK);
    ck_assert_int_eq(evote_ballot_encode(&bal, buf, sizeof(buf), &n), EVOTE_OK);
    evote_store_append_t it;
    memset(&it, 0, sizeof(it));
    memcpy(it.voter_key, vk, 32);
    snprintf(it.contest, sizeof(it.contest), "%s", CONTESTS[contest]);
    it.ballot = buf;
    it.ballot_len = n;
    ck_assert_int_eq(evote_merkle_leaf_hash(buf, n, it.leaf_hash), EVOTE_OK);
    memcpy(it.c1, bal.c1, EVOTE_POINT_LEN);
    evote_err_t verdict = EVOTE_ERR_INTERNAL;
    uint64_t seq;
    ck_assert_int_eq(evote_store_append(e->s, &it, 1, &verdict, &seq), EVOTE_OK);
    if (bytes != NULL) {
        memcpy(bytes, buf, n);
        *len = n;
    }
    return verdict;
}

/* ---- opening --------------------------------------------------------------- */

START_TEST(test_reception_refused_before_opening) {
    env_t e;
    env_setup(&e, "box-test-1");
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_ERR_BOX_NOT_OPEN);
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_OK);
    /* A prepared, unsigned statement opens nothing. */
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_ERR_BOX_NOT_OPEN);
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_POLICY);
    sign_as(&e, 0, e.boxdir, "opening");
    /* One official is not enough when the manifest asks for two. */
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "needs 2"));
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_ERR_BOX_NOT_OPEN);
    sign_as(&e, 2, e.boxdir, "opening");
    ck_assert_msg(evote_box_commit_open(e.b) == EVOTE_OK, "%s", evote_err_detail());
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_OK);
    uint64_t sizes[2];
    ck_assert_msg(evote_box_zero_check(e.b, sizes) == EVOTE_OK, "%s", evote_err_detail());
    ck_assert_uint_eq(sizes[0], 1);
    ck_assert_uint_eq(sizes[1], 2);
    /* Opening twice is refused. */
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_BOX_NOT_EMPTY);
    env_free(&e);
}
END_TEST

START_TEST(test_zero_vote_refusal) {
    env_t e;
    env_setup(&e, "box-test-2");
    /* A box that received a ballot outside the ceremony (reception's
     * convenience opener) can never be "opened empty". */
    ck_assert_int_eq(evote_store_box_open(e.s, CONTESTS[1]), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_ERR_BOX_NOT_EMPTY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), CONTESTS[1]));
    char path[600];
    snprintf(path, sizeof(path), "%s/opening.json", e.boxdir);
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0); /* nothing written */
    env_free(&e);
}
END_TEST

START_TEST(test_zero_vote_refusal_at_commit) {
    env_t e;
    env_setup(&e, "box-test-3");
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_OK);
    sign_as(&e, 0, e.boxdir, "opening");
    sign_as(&e, 1, e.boxdir, "opening");
    /* Between the statement and the commit a ballot sneaks in. */
    ck_assert_int_eq(evote_store_box_open(e.s, CONTESTS[0]), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_BOX_NOT_EMPTY);
    /* and the other box was not opened either */
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_ERR_BOX_NOT_OPEN);
    env_free(&e);
}
END_TEST

/* Opening is all-or-nothing: a store failure while the second contest's
 * box is being opened (injected with a trigger that aborts any write to
 * that box's row) leaves the first one unopened too, and the ceremony can
 * simply be committed again once the fault is gone. */
START_TEST(test_open_all_or_nothing) {
    env_t e;
    env_setup(&e, "box-test-atomic");
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_OK);
    sign_as(&e, 0, e.boxdir, "opening");
    sign_as(&e, 1, e.boxdir, "opening");
    ck_assert_int_eq(
        evt_sh("sqlite3 '%s' \"CREATE TRIGGER inject_ins BEFORE INSERT ON boxes "
               "WHEN NEW.contest = '%s' BEGIN SELECT RAISE(ABORT, 'injected fault'); END; "
               "CREATE TRIGGER inject_upd BEFORE UPDATE ON boxes "
               "WHEN NEW.contest = '%s' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;\"",
               e.store, CONTESTS[1], CONTESTS[1]),
        0);
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_STORE);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "injected fault"));
    for (int i = 0; i < 2; i++) {
        evote_box_info_t info;
        memset(&info, 0, sizeof(info));
        ck_assert_int_eq(evote_store_box_get(e.s, CONTESTS[i], &info), EVOTE_OK);
        ck_assert_msg(info.state != EVOTE_BOX_OPEN, "box %s was left open", CONTESTS[i]);
        evote_box_info_clear(&info);
        ck_assert_int_eq(cast(&e, i, NULL, NULL), EVOTE_ERR_BOX_NOT_OPEN);
    }
    ck_assert_int_eq(evt_sh("sqlite3 '%s' 'DROP TRIGGER inject_ins; DROP TRIGGER inject_upd;'",
                            e.store),
                     0);
    ck_assert_msg(evote_box_commit_open(e.b) == EVOTE_OK, "%s", evote_err_detail());
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_OK);
    /* and, once open, never again */
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_BOX_NOT_EMPTY);
    env_free(&e);
}
END_TEST

START_TEST(test_statement_signatures) {
    env_t e;
    char a[700], b[700];
    env_setup(&e, "box-test-4");
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_OK);
    sign_as(&e, 0, e.boxdir, "opening");
    /* A stranger's certificate is not an official's. */
    char who[EVOTE_ID_MAX + 1];
    ck_assert_int_eq(evote_statement_sign_file(e.o, e.sig[3], e.boxdir, "opening", who),
                     EVOTE_ERR_POLICY);
    /* The same official twice (copied under another name) does not count. */
    snprintf(a, sizeof(a), "%s/opening.official-1.p7s", e.boxdir);
    snprintf(b, sizeof(b), "%s/opening.official-2.p7s", e.boxdir);
    ck_assert_int_eq(evt_sh("cp '%s' '%s'", a, b), 0);
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "twice"));
    unlink(b);
    sign_as(&e, 1, e.boxdir, "opening");
    ck_assert_int_eq(evote_statement_verify_files(e.o, "open", e.boxdir, "opening", NULL),
                     EVOTE_OK);
    /* Signing again is refused rather than overwriting. */
    ck_assert_int_eq(evote_statement_sign_file(e.o, e.sig[1], e.boxdir, "opening", who),
                     EVOTE_ERR_EXISTS);
    /* One changed byte of the statement breaks every signature. */
    snprintf(a, sizeof(a), "%s/opening.json", e.boxdir);
    size_t n;
    uint8_t *d = evt_read(a, &n);
    d[n / 2] ^= 0x01;
    evt_write(a, d, n);
    ck_assert_int_ne(evote_box_commit_open(e.b), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_ERR_BOX_NOT_OPEN);
    d[n / 2] ^= 0x01;
    evt_write(a, d, n);
    free(d);
    /* A signature flipped in its last byte. */
    snprintf(a, sizeof(a), "%s/opening.official-2.p7s", e.boxdir);
    d = evt_read(a, &n);
    d[n - 1] ^= 0x01;
    evt_write(a, d, n);
    ck_assert_int_ne(evote_box_commit_open(e.b), EVOTE_OK);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "opening.official-2.p7s"));
    free(d);
    env_free(&e);
}
END_TEST

/* ---- tree heads and receipts ---------------------------------------------- */

START_TEST(test_sth_and_receipt) {
    env_t e;
    uint8_t ballots[6][EVOTE_BALLOT_MAX], code[32];
    size_t lens[6];
    char name[128], *r = NULL;
    size_t rlen;
    env_setup(&e, "box-test-5");
    open_boxes(&e);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(cast(&e, 0, ballots[i], &lens[i]), EVOTE_OK);
    ck_assert_int_eq(evote_sha256(ballots[3], lens[3], code), EVOTE_OK);
    /* No signed head yet. */
    ck_assert_int_eq(evote_box_receipt(e.b, CONTESTS[0], code, &r, &rlen), EVOTE_ERR_NOT_FOUND);
    ck_assert_int_eq(evote_box_prepare_sth(e.b, CONTESTS[0], name), EVOTE_OK);
    ck_assert_str_eq(name, "sth-district-tokyo-1-5");
    /* An unsigned head is no head. */
    ck_assert_int_eq(evote_box_receipt(e.b, CONTESTS[0], code, &r, &rlen), EVOTE_ERR_NOT_FOUND);
    sign_as(&e, 0, e.boxdir, name);
    sign_as(&e, 1, e.boxdir, name);
    ck_assert_msg(evote_box_receipt(e.b, CONTESTS[0], code, &r, &rlen) == EVOTE_OK, "%s",
                  evote_err_detail());
    ck_assert_int_eq(evote_receipt_verify(e.o, (uint8_t *)r, rlen, ballots[3], lens[3]),
                     EVOTE_OK);
    ck_assert_int_eq(evote_receipt_verify(NULL, (uint8_t *)r, rlen, NULL, 0), EVOTE_OK);
    /* Someone else's ballot does not match the receipt. */
    ck_assert_int_eq(evote_receipt_verify(e.o, (uint8_t *)r, rlen, ballots[2], lens[2]),
                     EVOTE_ERR_PROOF_MERKLE);
    /* A changed hex digit in the proof, in the head, in the index. */
    char *p = strstr(r, "\"inclusion_proof\"");
    ck_assert_ptr_nonnull(p);
    p = strchr(p, '[');
    p = strchr(p, '"') + 5;
    *p = *p == 'a' ? 'b' : 'a';
    ck_assert_int_eq(evote_receipt_verify(e.o, (uint8_t *)r, rlen, ballots[3], lens[3]),
                     EVOTE_ERR_PROOF_MERKLE);
    *p = *p == 'a' ? 'b' : 'a';
    p = strstr(r, "\"leaf_index\": 3");
    ck_assert_ptr_nonnull(p);
    p[14] = '2';
    ck_assert_int_eq(evote_receipt_verify(e.o, (uint8_t *)r, rlen, ballots[3], lens[3]),
                     EVOTE_ERR_PROOF_MERKLE);
    p[14] = '3';
    p = strstr(r, "tree_size\\\": 5,");
    ck_assert_ptr_nonnull(p);
    p += 13;
    ck_assert_int_eq(*p, '5');
    /* A head claiming 6 ballots: the officials never signed that. (The
     * same path also fits size 6 — RFC 9162 proofs authenticate the size
     * only through the signed head, which is why it is signed.) */
    *p = '6';
    ck_assert_int_ne(evote_receipt_verify(e.o, (uint8_t *)r, rlen, ballots[3], lens[3]),
                     EVOTE_OK);
    /* A head of 4 ballots: even unsigned, the path no longer fits. */
    *p = '4';
    ck_assert_int_eq(evote_receipt_verify(NULL, (uint8_t *)r, rlen, ballots[3], lens[3]),
                     EVOTE_ERR_PROOF_MERKLE);
    free(r);
    r = NULL;
    /* A ballot cast after the head is not covered until the next head. */
    ck_assert_int_eq(cast(&e, 0, ballots[5], &lens[5]), EVOTE_OK);
    ck_assert_int_eq(evote_sha256(ballots[5], lens[5], code), EVOTE_OK);
    ck_assert_int_eq(evote_box_receipt(e.b, CONTESTS[0], code, &r, &rlen), EVOTE_ERR_NOT_FOUND);
    memset(code, 0, 32);
    ck_assert_int_eq(evote_box_receipt(e.b, CONTESTS[0], code, &r, &rlen), EVOTE_ERR_NOT_FOUND);
    env_free(&e);
}
END_TEST

/* ---- closing ------------------------------------------------------------------ */

static void close_boxes(env_t *e) {
    bool match = false;
    ck_assert_msg(evote_box_close(e->b, &match) == EVOTE_OK, "close: %s", evote_err_detail());
    ck_assert(match);
    sign_as(e, 1, e->boxdir, "closing");
    sign_as(e, 2, e->boxdir, "closing");
}

START_TEST(test_close_is_final) {
    env_t e;
    char name[128];
    bool match;
    env_setup(&e, "box-test-6");
    ck_assert_int_eq(evote_box_close(e.b, &match), EVOTE_ERR_NOT_FOUND); /* no opening */
    open_boxes(&e);
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_box_prepare_sth(e.b, CONTESTS[0], name), EVOTE_OK);
    sign_as(&e, 0, e.boxdir, name);
    sign_as(&e, 2, e.boxdir, name);
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_OK);
    close_boxes(&e);
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_ERR_BOX_CLOSED);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_ERR_BOX_CLOSED);
    ck_assert_int_eq(evote_box_close(e.b, &match), EVOTE_ERR_BOX_CLOSED);
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_ERR_EXISTS);
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_ERR_BOX_NOT_EMPTY);
    ck_assert_int_eq(evote_box_prepare_sth(e.b, CONTESTS[1], name), EVOTE_ERR_BOX_CLOSED);
    /* Even with the statement files removed, the store keeps the box shut. */
    char p[700];
    snprintf(p, sizeof(p), "%s/closing.json", e.boxdir);
    unlink(p);
    ck_assert_int_eq(evote_store_box_set(e.s, CONTESTS[1], EVOTE_BOX_OPEN, NULL, 0),
                     EVOTE_ERR_STATE);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_ERR_BOX_CLOSED);
    /* The closing statement holds the consistency proof of the signed head. */
    env_free(&e);
}
END_TEST

/* ---- export / import ------------------------------------------------------------ */

static void run_election(env_t *e, const char *election, int nballots) {
    char name[128];
    env_setup(e, election);
    open_boxes(e);
    for (int i = 0; i < nballots; i++)
        ck_assert_int_eq(cast(e, i % 2, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_box_prepare_sth(e->b, CONTESTS[0], name), EVOTE_OK);
    sign_as(e, 0, e->boxdir, name);
    sign_as(e, 1, e->boxdir, name);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cast(e, 0, NULL, NULL), EVOTE_OK);
    close_boxes(e);
}

static void export_bundle(env_t *e, const char *out) {
    evote_signer_t *s[2] = {e->sig[0], e->sig[2]};
    ck_assert_msg(evote_box_export(e->b, out, s, 2) == EVOTE_OK, "export: %s",
                  evote_err_detail());
}

static void list_files(const char *root, const char *rel, char names[][256], size_t *n) {
    char p[1024];
    snprintf(p, sizeof(p), "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(p);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char r[256];
        snprintf(r, sizeof(r), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        snprintf(p, sizeof(p), "%s/%s", root, r);
        struct stat st;
        ck_assert_int_eq(stat(p, &st), 0);
        if (S_ISDIR(st.st_mode))
            list_files(root, r, names, n);
        else
            snprintf(names[(*n)++], 256, "%s", r);
    }
    closedir(d);
}

START_TEST(test_export_import) {
    env_t e;
    char bundle[600], out[600];
    env_setup(&e, "box-test-7");
    env_free(&e);
    run_election(&e, "box-test-7", 8);
    snprintf(bundle, sizeof(bundle), "%s/media", e.dir);
    snprintf(out, sizeof(out), "%s/airgap", e.dir);
    /* Export refuses without enough officials on the index. */
    evote_signer_t *one[1] = {e.sig[0]};
    ck_assert_int_eq(evote_box_export(e.b, bundle, one, 1), EVOTE_ERR_POLICY);
    struct stat st;
    ck_assert_int_ne(stat(bundle, &st), 0); /* nothing left behind */
    export_bundle(&e, bundle);
    ck_assert_int_eq(evote_box_export(e.b, bundle, one, 1), EVOTE_ERR_EXISTS);
    ck_assert_msg(evote_bundle_verify(bundle, e.manifest, NULL, false) == EVOTE_OK,
                  "verify: %s", evote_err_detail());
    ck_assert_int_ne(stat(out, &st), 0); /* verify copies nothing */
    ck_assert_msg(evote_bundle_import(bundle, out, e.manifest, NULL, false) == EVOTE_OK,
                  "import: %s", evote_err_detail());
    ck_assert_int_eq(evote_bundle_import(bundle, out, e.manifest, NULL, false),
                     EVOTE_ERR_EXISTS);
    /* The imported ciphertext list is what mixing reads. */
    char ct[700];
    evote_ct_t *cts = NULL;
    size_t n = 0;
    snprintf(ct, sizeof(ct), "%s/ciphertexts/district-tokyo-1.bt", out);
    ck_assert_int_eq(evote_ctlist_read(ct, &cts, &n), EVOTE_OK);
    ck_assert_uint_eq(n, 7);
    free(cts);
    /* No roll data: no voter key bytes anywhere in the bundle. */
    uint8_t vk[32];
    char names[64][256];
    size_t nf = 0;
    list_files(bundle, "", names, &nf);
    ck_assert_uint_ge(nf, 14);
    for (unsigned v = 0; v < e.nvoters; v++) {
        char id[32];
        snprintf(id, sizeof(id), "voter-%u", v);
        ck_assert_int_eq(evote_roll_voter_key(id, vk), EVOTE_OK);
        for (size_t i = 0; i < nf; i++) {
            char p[900];
            size_t len;
            snprintf(p, sizeof(p), "%s/%s", bundle, names[i]);
            uint8_t *d = evt_read(p, &len);
            for (size_t k = 0; k + 32 <= len; k++)
                ck_assert(memcmp(d + k, vk, 32) != 0);
            free(d);
        }
    }
    env_free(&e);
}
END_TEST

static void expect_refusal(env_t *e, const char *bundle, const char *file, const char *check) {
    char out[700];
    snprintf(out, sizeof(out), "%s/refused", e->dir);
    evote_err_t rv = evote_bundle_verify(bundle, e->manifest, NULL, false);
    ck_assert_msg(rv != EVOTE_OK, "verify accepted tampered %s", file);
    rv = evote_bundle_import(bundle, out, e->manifest, NULL, false);
    ck_assert_msg(rv != EVOTE_OK, "tampered %s accepted", file);
    const char *d = evote_err_detail();
    ck_assert_msg(strstr(d, file) != NULL && strstr(d, check) != NULL,
                  "tampered %s: expected file and check %s, got: %s (%s)", file, check,
                  evote_err_name(rv), d);
    struct stat st;
    ck_assert_msg(stat(out, &st) != 0, "refused import left %s", out);
}

static bool is_sig(const char *f) { return strncmp(f, "index.", 6) == 0 && strstr(f, ".p7s"); }

/* Which check must catch a flipped byte in each kind of file. */
static const char *check_for(const char *f) {
    if (strcmp(f, "manifest.json") == 0)
        return "check manifest";
    if (strncmp(f, "index.", 6) == 0)
        return "check index-signatures";
    return "check file-digest";
}

/* C1 uniqueness at import. Reception refuses a repeated C1, so a bundle
 * whose two ballots share one can only come from a store that was got
 * round: here the same ballot bytes are appended for a second voter with a
 * different value in the store's C1 column. The officials close and export
 * it as usual (every signature, root and proof in the bundle is right), and
 * import must still refuse it, by the replay check of that box's ballots. */
START_TEST(test_import_refuses_shared_c1) {
    env_t e;
    char bundle[600];
    uint8_t first[EVOTE_BALLOT_MAX];
    size_t flen = 0, added = 0;
    env_setup(&e, "box-test-c1");
    open_boxes(&e);
    ck_assert_int_eq(cast(&e, 0, first, &flen), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 0, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_OK);
    /* the same bytes again, for another voter */
    uint8_t vk[32], ik[32];
    ck_assert_int_eq(evote_roll_voter_key("replayer", vk), EVOTE_OK);
    ck_assert_int_eq(evote_roll_ident_key("replayer", ik), EVOTE_OK);
    const char *cs[1] = {CONTESTS[0]};
    evote_roll_entry_t re = {{0}, {0}, 1, cs, 1};
    memcpy(re.voter_key, vk, 32);
    memcpy(re.ident_key, ik, 32);
    ck_assert_int_eq(evote_store_roll_import(e.s, &re, 1, &added), EVOTE_OK);
    evote_ballot_t bal;
    ck_assert_int_eq(evote_ballot_decode(&bal, first, flen), EVOTE_OK);
    evote_store_append_t it;
    memset(&it, 0, sizeof(it));
    memcpy(it.voter_key, vk, 32);
    snprintf(it.contest, sizeof(it.contest), "%s", CONTESTS[0]);
    it.ballot = first;
    it.ballot_len = flen;
    ck_assert_int_eq(evote_merkle_leaf_hash(first, flen, it.leaf_hash), EVOTE_OK);
    memcpy(it.c1, bal.c1, EVOTE_POINT_LEN);
    evote_err_t verdict = EVOTE_ERR_INTERNAL;
    uint64_t seq = 0;
    /* with its true C1 the store refuses it */
    ck_assert_int_eq(evote_store_append(e.s, &it, 1, &verdict, &seq), EVOTE_OK);
    ck_assert_int_eq(verdict, EVOTE_ERR_REPLAY);
    it.c1[EVOTE_POINT_LEN - 1] ^= 0x01; /* the store's column only */
    ck_assert_int_eq(evote_store_append(e.s, &it, 1, &verdict, &seq), EVOTE_OK);
    ck_assert_int_eq(verdict, EVOTE_OK);
    ck_assert_uint_eq(seq, 2);
    close_boxes(&e);
    snprintf(bundle, sizeof(bundle), "%s/media", e.dir);
    export_bundle(&e, bundle);
    expect_refusal(&e, bundle, CONTESTS[0], "check replay");
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "share a C1"));
    ck_assert_int_eq(evote_bundle_verify(bundle, e.manifest, NULL, false), EVOTE_ERR_REPLAY);
    env_free(&e);
}
END_TEST

START_TEST(test_bundle_tamper_every_file) {
    env_t e, other;
    char bundle[600], copy[700], names[64][256];
    size_t nf = 0;
    run_election(&e, "box-test-8", 6);
    snprintf(bundle, sizeof(bundle), "%s/media", e.dir);
    export_bundle(&e, bundle);
    snprintf(copy, sizeof(copy), "%s/copy", e.dir);
    list_files(bundle, "", names, &nf);
    ck_assert_uint_ge(nf, 14);
    for (size_t i = 0; i < nf; i++) {
        char p[900];
        size_t len;
        ck_assert_int_eq(evt_sh("rm -rf '%s' && cp -a '%s' '%s'", copy, bundle, copy), 0);
        snprintf(p, sizeof(p), "%s/%s", copy, names[i]);
        uint8_t *d = evt_read(p, &len);
        ck_assert_uint_gt(len, 0);
        /* first, middle and last byte, each on its own copy */
        size_t at[3] = {0, len / 2, len - 1};
        for (int k = evt_quick() ? 1 : 0; k < (evt_quick() ? 2 : 3); k++) {
            d[at[k]] ^= 0x20;
            evt_write(p, d, len);
            expect_refusal(&e, copy, names[i], check_for(names[i]));
            d[at[k]] ^= 0x20;
        }
        evt_write(p, d, len);
        /* The file removed. */
        unlink(p);
        /* (a removed index signature leaves too few: the index is named) */
        expect_refusal(&e, copy, is_sig(names[i]) ? "index.json" : names[i],
                       strcmp(names[i], "manifest.json") == 0 ? "check file-set"
                       : strncmp(names[i], "index.", 6) == 0 ? "check index-signatures"
                                                              : "check file-set");
        free(d);
    }
    /* An extra file, also one that looks like a signature of a statement. */
    ck_assert_int_eq(evt_sh("rm -rf '%s' && cp -a '%s' '%s' && echo x > '%s/notes.txt'", copy,
                            bundle, copy, copy),
                     0);
    expect_refusal(&e, copy, "notes.txt", "check file-set");
    ck_assert_int_eq(evt_sh("rm -rf '%s' && cp -a '%s' '%s' && cp '%s/opening.official-1.p7s' "
                            "'%s/opening.official-3.p7s'",
                            copy, bundle, copy, copy, copy),
                     0);
    expect_refusal(&e, copy, "opening.official-3.p7s", "check file-set");
    ck_assert_int_eq(evt_sh("rm -rf '%s' && cp -a '%s' '%s' && mkdir '%s/ballots/x'", copy,
                            bundle, copy, copy),
                     0);
    expect_refusal(&e, copy, "ballots/x", "check file-set");
    /* Files swapped in from another election. */
    run_election(&other, "box-test-8b", 4);
    char obundle[600];
    snprintf(obundle, sizeof(obundle), "%s/media", other.dir);
    export_bundle(&other, obundle);
    const char *swap[] = {"opening.json", "closing.json", "ballots/district-tokyo-1.evbx",
                          "index.json", "public-key.pem"};
    for (size_t i = 0; i < sizeof(swap) / sizeof(swap[0]); i++) {
        ck_assert_int_eq(evt_sh("rm -rf '%s' && cp -a '%s' '%s' && cp '%s/%s' '%s/%s'", copy,
                                bundle, copy, obundle, swap[i], copy, swap[i]),
                         0);
        expect_refusal(&e, copy, swap[i], check_for(swap[i]));
    }
    /* The other election's whole bundle against this machine's manifest. */
    expect_refusal(&e, obundle, "manifest.json", "check manifest");
    env_free(&other);
    env_free(&e);
}
END_TEST

START_TEST(test_program_mismatch_recorded) {
    env_t e;
    char p[700], out[700], bundle[700];
    bool match = true;
    env_setup(&e, "box-test-9");
    ck_assert_int_eq(evote_box_prepare_open(e.b), EVOTE_OK);
    /* Pretend another evote build opened the box: change the recorded
     * program digest before the officials sign. */
    snprintf(p, sizeof(p), "%s/opening.json", e.boxdir);
    size_t n;
    uint8_t *d = evt_read(p, &n);
    char *q = strstr((char *)d, "\"evote_sha256\": \"");
    ck_assert_ptr_nonnull(q);
    q += 17;
    *q = *q == '0' ? '1' : '0';
    evt_write(p, d, n);
    free(d);
    sign_as(&e, 0, e.boxdir, "opening");
    sign_as(&e, 1, e.boxdir, "opening");
    ck_assert_int_eq(evote_box_commit_open(e.b), EVOTE_OK);
    ck_assert_int_eq(cast(&e, 1, NULL, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_box_close(e.b, &match), EVOTE_OK);
    ck_assert(!match);
    snprintf(p, sizeof(p), "%s/closing.json", e.boxdir);
    d = evt_read(p, &n);
    ck_assert_ptr_nonnull(strstr((char *)d, "\"program_matches_opening\": false"));
    free(d);
    sign_as(&e, 0, e.boxdir, "closing");
    sign_as(&e, 2, e.boxdir, "closing");
    snprintf(bundle, sizeof(bundle), "%s/media", e.dir);
    export_bundle(&e, bundle);
    expect_refusal(&e, bundle, "closing.json", "check program");
    snprintf(out, sizeof(out), "%s/airgap", e.dir);
    ck_assert_int_eq(evote_bundle_import(bundle, out, e.manifest, NULL, true), EVOTE_OK);
    env_free(&e);
}
END_TEST

START_TEST(test_programs_measure) {
    evote_programs_t p;
    uint8_t h[32];
    ck_assert_int_eq(evote_programs_measure(&p), EVOTE_OK);
    ck_assert_int_eq(evote_sha256_file(p.program_path, h), EVOTE_OK);
    ck_assert_mem_eq(h, p.program_sha256, 32);
    ck_assert_int_eq(evote_sha256_file(p.library_path, h), EVOTE_OK);
    ck_assert_mem_eq(h, p.library_sha256, 32);
    ck_assert_int_eq(evote_programs_measure(NULL), EVOTE_ERR_ARG);
}
END_TEST

START_TEST(test_times) {
    char u[32], j[32];
    int64_t t;
    box_time_utc(1906545600, u);
    box_time_jst(1906545600, j);
    ck_assert_str_eq(u, "2030-06-01T12:00:00Z");
    ck_assert_str_eq(j, "2030-06-01T21:00:00+09:00");
    ck_assert_int_eq(box_parse_time_utc(u, &t), EVOTE_OK);
    ck_assert_int_eq(t, 1906545600);
    ck_assert_int_eq(box_parse_time_utc("2030-02-30T12:00:00Z", &t), EVOTE_ERR_FORMAT);
    ck_assert_int_eq(box_parse_time_utc("2030-06-01T12:00:00+09:00", &t), EVOTE_ERR_FORMAT);
    ck_assert_int_eq(box_parse_time_utc("2030-06-01 12:00:00Z", &t), EVOTE_ERR_FORMAT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("box");
    TCase *tc = tcase_create("box");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_times);
    tcase_add_test(tc, test_programs_measure);
    tcase_add_test(tc, test_reception_refused_before_opening);
    tcase_add_test(tc, test_zero_vote_refusal);
    tcase_add_test(tc, test_zero_vote_refusal_at_commit);
    tcase_add_test(tc, test_open_all_or_nothing);
    tcase_add_test(tc, test_statement_signatures);
    tcase_add_test(tc, test_sth_and_receipt);
    tcase_add_test(tc, test_close_is_final);
    tcase_add_test(tc, test_export_import);
    tcase_add_test(tc, test_bundle_tamper_every_file);
    tcase_add_test(tc, test_import_refuses_shared_c1);
    tcase_add_test(tc, test_program_mismatch_recorded);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
