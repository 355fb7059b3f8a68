/* Reception: every refusal in its order with nothing stored, receipts,
 * tokens end to end, the CLI, concurrency and the unlinkability property. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "internal.h"
#include "pki.h"
#include "receiver_internal.h"
#include "testutil.h"

#define D "district-tokyo-1"
#define P "proportional-tokyo"

static char pkidir[256]; /* made once per suite (unchecked fixture) */
static char dir[512];    /* per test, inside pkidir */
static char db[700], mpath[700], pkpath[700], m2path[700];
static evote_manifest_t *m, *m_other;
static uint8_t pk[33];
static evote_store_t *store;
static evote_cms_verifier_t *ver;
static evote_receiver_t *rcv;

static void keypair(uint8_t out[33]) {
    BIGNUM *sk = BN_new();
    EC_POINT *p = EC_POINT_new(evote_ec_group());
    ck_assert_int_eq(evote_scalar_random(sk), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(evote_ec_group(), p, sk, NULL, NULL, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(out, p, NULL), EVOTE_OK);
    EC_POINT_free(p);
    BN_clear_free(sk);
}

/* The demo manifest with its window closing 2030-12-31T20:00+09:00, so
 * that both window edges fall inside the test certificates' validity. */
static void write_manifest(const char *path, const char *election) {
    evt_write_manifest(path, election);
    size_t len;
    char *t = (char *)evt_read(path, &len);
    char *hit = strstr(t, "2036-12-31T20:00:00+09:00");
    ck_assert_ptr_nonnull(hit);
    memcpy(hit, "2030", 4);
    evt_write(path, t, len);
    free(t);
}

static void roll_add(const char *csv) {
    evote_roll_t *r = NULL;
    size_t added;
    const char *ids[] = {D, P};
    ck_assert_int_eq(evote_roll_parse(&r, (const uint8_t *)csv, strlen(csv), ids, 2),
                     EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(store, r, &added), EVOTE_OK);
    evote_roll_free(r);
}

/* Roll: every PKI voter, rsa-2 only for the district. */
static void roll_pki(void) {
    static const char *names[] = {"rsa-1", "ec-1", "expired", "notyet", "revoked", "unknown"};
    char csv[8192] = "voter_id,identity,contests\n";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t len;
        char *pem = (char *)evt_read(evt_pki_path(dir, names[i], ".pem"), &len);
        (void)pem;
        free(pem);
        char line[256], hex[65];
        /* identity by the certificate's SHA-256 (DER) */
        ck_assert_int_eq(evt_sh("openssl x509 -in '%s' -outform DER -out '%s/c.der'",
                                evt_pki_path(dir, names[i], ".pem"), dir),
                         0);
        char derp[600];
        snprintf(derp, sizeof(derp), "%s/c.der", dir);
        uint8_t h[32];
        ck_assert_int_eq(evote_sha256_file(derp, h), EVOTE_OK);
        evote_hex(hex, h, 32);
        snprintf(line, sizeof(line), "%s,sha256:%s,%s %s\n", names[i], hex, D, P);
        strcat(csv, line);
    }
    /* rsa-2 by issuer and serial, district only */
    ck_assert_int_eq(evt_sh("openssl x509 -in '%s' -noout -serial | cut -d= -f2 > '%s/serial'",
                            evt_pki_path(dir, "rsa-2", ".pem"), dir),
                     0);
    char sp[600];
    snprintf(sp, sizeof(sp), "%s/serial", dir);
    size_t sl;
    char *serial = (char *)evt_read(sp, &sl);
    serial[strcspn(serial, "\n")] = 0;
    char line[512];
    snprintf(line, sizeof(line),
             "rsa-2,\"issuer-serial:%s:CN=Test National ID CA,O=libevote test,C=JP\",%s\n",
             serial, D);
    free(serial);
    strcat(csv, line);
    roll_add(csv);
}

static void make_receiver(bool with_crl) {
    evote_receiver_free(rcv);
    evote_cms_verifier_free(ver);
    ck_assert_int_eq(evote_cms_verifier_new(&ver), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verifier_add_ca_file(ver, evt_pki_path(dir, "ca", ".pem")),
                     EVOTE_OK);
    if (with_crl)
        ck_assert_int_eq(evote_cms_verifier_add_crl_file(ver, evt_pki_path(dir, "crl", ".pem")),
                         EVOTE_OK);
    ck_assert_int_eq(evote_receiver_new(&rcv, m, pk, ver, store), EVOTE_OK);
}

static void suite_setup(void) {
    evt_tmpdir(pkidir, sizeof(pkidir));
    evt_pki_make(pkidir, 2);
}
static void suite_teardown(void) { evt_rmrf(pkidir); }

static void setup(void) {
    snprintf(dir, sizeof(dir), "%s/evote-test-XXXXXX", pkidir);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char link[700];
    snprintf(link, sizeof(link), "%s/pki", dir);
    ck_assert_int_eq(evt_sh("ln -s '%s/pki' '%s'", pkidir, link), 0);
    snprintf(db, sizeof(db), "%s/store.db", dir);
    snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
    snprintf(m2path, sizeof(m2path), "%s/other.json", dir);
    snprintf(pkpath, sizeof(pkpath), "%s/pk.pem", dir);
    write_manifest(mpath, "test-election-2030");
    write_manifest(m2path, "another-election");
    ck_assert_int_eq(evote_manifest_load(&m, mpath), EVOTE_OK);
    ck_assert_int_eq(evote_manifest_load(&m_other, m2path), EVOTE_OK);
    keypair(pk);
    ck_assert_int_eq(evote_pubkey_write_pem(pkpath, pk), EVOTE_OK);
    ck_assert_int_eq(evote_store_open_sqlite(&store, db), EVOTE_OK);
    ck_assert_int_eq(evote_store_box_open(store, D), EVOTE_OK);
    roll_pki();
    make_receiver(true);
}

static void teardown(void) {
    evote_receiver_free(rcv);
    evote_cms_verifier_free(ver);
    evote_store_free(store);
    evote_manifest_free(m);
    evote_manifest_free(m_other);
    rcv = NULL;
    ver = NULL;
    store = NULL;
}

/* Ballot bytes for contest under manifest mm (sel chosen by the caller). */
static size_t ballot_bytes(const evote_manifest_t *mm, const char *contest, uint32_t sel,
                           uint8_t out[EVOTE_BALLOT_MAX], evote_ballot_t *bo) {
    evote_ballot_t b;
    size_t len = 0;
    ck_assert_int_eq(evote_ballot_encrypt(&b, mm, contest, pk, sel), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_encode(&b, out, EVOTE_BALLOT_MAX, &len), EVOTE_OK);
    if (bo != NULL)
        *bo = b;
    return len;
}

static uint8_t *sign_as(const char *name, const uint8_t *data, size_t len, size_t *out_len) {
    evote_signer_t *s = NULL;
    uint8_t *der = NULL;
    ck_assert_int_eq(evote_signer_open_pem(&s, evt_pki_path(dir, name, ".key"),
                                           evt_pki_path(dir, name, ".pem")),
                     EVOTE_OK);
    ck_assert_int_eq(evote_signer_sign_cms(s, data, len, false, &der, out_len), EVOTE_OK);
    evote_signer_free(s);
    return der;
}

/* A signed ballot of voter name for contest. */
static uint8_t *signed_ballot(const char *name, const char *contest, size_t *len) {
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl = ballot_bytes(m, contest, 1, b, NULL);
    return sign_as(name, b, bl, len);
}

/* Everything the store says about its contents, to compare before/after. */
struct snap {
    uint64_t count[2], voted[2];
    uint8_t digest[32];
};
static evote_err_t snap_cb(void *ctx, uint64_t seq, const uint8_t *b, size_t len,
                           const uint8_t leaf[32]) {
    EVP_MD_CTX *md = ctx;
    uint8_t s8[8];
    evote_put_u64be(s8, seq);
    EVP_DigestUpdate(md, s8, 8);
    EVP_DigestUpdate(md, b, len);
    EVP_DigestUpdate(md, leaf, 32);
    return EVOTE_OK;
}
static void take_snap(struct snap *s) {
    static const char *cs[2] = {D, P};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (int i = 0; i < 2; i++) {
        uint64_t el;
        evote_box_info_t info;
        ck_assert_int_eq(evote_store_box_get(store, cs[i], &info), EVOTE_OK);
        s->count[i] = info.count;
        evote_box_info_clear(&info);
        ck_assert_int_eq(evote_store_roll_counts(store, cs[i], &el, &s->voted[i]), EVOTE_OK);
        ck_assert_int_eq(evote_store_ballots_foreach(store, cs[i], 0, snap_cb, md), EVOTE_OK);
    }
    EVP_DigestFinal_ex(md, s->digest, NULL);
    EVP_MD_CTX_free(md);
}

static void refuse_at(const uint8_t *msg, size_t len, int64_t at, evote_err_t want) {
    struct snap before, after;
    take_snap(&before);
    evote_receipt_t rc;
    memset(&rc, 0x5A, sizeof(rc));
    evote_err_t got = evote_receiver_receive(rcv, msg, len, at, &rc);
    ck_assert_msg(got == want, "want %s, got %s (%s)", evote_err_name(want),
                  evote_err_name(got), evote_err_detail());
    static const evote_receipt_t zero;
    ck_assert_mem_eq(&rc, &zero, sizeof(rc));
    take_snap(&after);
    ck_assert_mem_eq(&before, &after, sizeof(before));
}
static void refuse(const uint8_t *msg, size_t len, evote_err_t want) {
    refuse_at(msg, len, EVT_PKI_NOW, want);
}

static void accept(const uint8_t *msg, size_t len, evote_receipt_t *rc) {
    evote_err_t got = evote_receiver_receive(rcv, msg, len, EVT_PKI_NOW, rc);
    ck_assert_msg(got == EVOTE_OK, "refused: %s (%s)", evote_err_name(got),
                  evote_err_detail());
}

/* ---- acceptance ---------------------------------------------------------- */

struct find {
    uint64_t seq;
    const uint8_t *want;
    size_t len;
    int found;
};
static evote_err_t find_cb(void *ctx, uint64_t seq, const uint8_t *b, size_t len,
                           const uint8_t leaf[32]) {
    struct find *f = ctx;
    (void)leaf;
    if (seq == f->seq && len == f->len && memcmp(b, f->want, len) == 0)
        f->found = 1;
    return EVOTE_OK;
}

START_TEST(test_accept) {
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl = ballot_bytes(m, D, 2, b, NULL);
    size_t len;
    uint8_t *msg = sign_as("rsa-1", b, bl, &len);
    evote_receipt_t rc;
    accept(msg, len, &rc);
    uint8_t h[32];
    ck_assert_int_eq(evote_sha256(b, bl, h), EVOTE_OK);
    ck_assert_mem_eq(rc.tracking_code, h, 32);
    ck_assert_int_eq(evote_store_leaf_hash(b, bl, h), EVOTE_OK);
    ck_assert_mem_eq(rc.leaf_hash, h, 32);
    ck_assert_str_eq(rc.contest, D);
    ck_assert_uint_eq(rc.index, 0);
    /* the box holds exactly the bare ballot */
    struct find f = {0, b, bl, 0};
    ck_assert_int_eq(evote_store_ballots_foreach(store, D, 0, find_cb, &f), EVOTE_OK);
    ck_assert_int_eq(f.found, 1);
    struct snap s;
    take_snap(&s);
    ck_assert_uint_eq(s.count[0], 1);
    ck_assert_uint_eq(s.voted[0], 1);
    ck_assert_uint_eq(s.voted[1], 0);
    free(msg);
    /* ECDSA voter and a voter named by issuer and serial */
    msg = signed_ballot("ec-1", D, &len);
    accept(msg, len, &rc);
    ck_assert_uint_eq(rc.index, 1);
    free(msg);
    msg = signed_ballot("rsa-2", D, &len);
    accept(msg, len, &rc);
    ck_assert_uint_eq(rc.index, 2);
    free(msg);
}
END_TEST

/* ---- each refusal, in order, nothing stored ----------------------------- */

START_TEST(test_refuse_form) {
    uint8_t *big = calloc(1, EVOTE_CMS_MAX + 1);
    refuse(big, EVOTE_CMS_MAX + 1, EVOTE_ERR_TOO_LARGE);
    free(big);
    static const uint8_t junk[] = "not DER at all";
    refuse(junk, sizeof(junk), EVOTE_ERR_CMS_FORMAT);
    refuse(junk, 0, EVOTE_ERR_CMS_FORMAT);
    size_t len;
    uint8_t *msg = signed_ballot("rsa-1", D, &len);
    refuse(msg, len - 1, EVOTE_ERR_CMS_FORMAT);
    free(msg);
}
END_TEST

START_TEST(test_refuse_signature) {
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl = ballot_bytes(m, D, 0, b, NULL);
    size_t len;
    uint8_t *msg = sign_as("rsa-1", b, bl, &len);
    uint8_t *hit = NULL;
    for (size_t i = 0; i + bl <= len; i++)
        if (memcmp(msg + i, b, bl) == 0)
            hit = msg + i;
    ck_assert_ptr_nonnull(hit);
    hit[bl - 1] ^= 0x01; /* a byte of the ballot's proof */
    refuse(msg, len, EVOTE_ERR_SIGNATURE);
    hit[bl - 1] ^= 0x01;
    msg[len - 3] ^= 0x10; /* the signature value */
    refuse(msg, len, EVOTE_ERR_SIGNATURE);
    free(msg);
}
END_TEST

START_TEST(test_refuse_certificates) {
    static const struct {
        const char *name;
        evote_err_t want;
    } c[] = {{"unknown", EVOTE_ERR_CERT_CHAIN},
             {"expired", EVOTE_ERR_CERT_EXPIRED},
             {"notyet", EVOTE_ERR_CERT_NOT_YET_VALID},
             {"revoked", EVOTE_ERR_CERT_REVOKED}};
    for (size_t i = 0; i < 4; i++) {
        size_t len;
        uint8_t *msg = signed_ballot(c[i].name, D, &len);
        refuse(msg, len, c[i].want);
        free(msg);
    }
    /* a certificate's validity is judged at the time of receipt */
    make_receiver(false);
    size_t len;
    uint8_t *msg = signed_ballot("rsa-1", D, &len);
    refuse_at(msg, len, (int64_t)2082758400 /* 2036-01-01T00:00Z */ + 60,
              EVOTE_ERR_CERT_EXPIRED);
    free(msg);
}
END_TEST

START_TEST(test_refuse_election_and_contest) {
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t len;
    /* another election's ballot */
    size_t bl = ballot_bytes(m_other, D, 0, b, NULL);
    uint8_t *msg = sign_as("rsa-1", b, bl, &len);
    refuse(msg, len, EVOTE_ERR_WRONG_ELECTION);
    free(msg);
    /* a contest the manifest does not have (the proof is not reached) */
    evote_ballot_t bb;
    ballot_bytes(m, D, 0, b, &bb);
    snprintf(bb.contest_id, sizeof(bb.contest_id), "district-osaka-9");
    ck_assert_int_eq(evote_ballot_encode(&bb, b, sizeof(b), &bl), EVOTE_OK);
    msg = sign_as("rsa-1", b, bl, &len);
    refuse(msg, len, EVOTE_ERR_CONTEST_UNKNOWN);
    free(msg);
    /* signed content that is not a ballot */
    msg = sign_as("rsa-1", (const uint8_t *)"hello", 5, &len);
    refuse(msg, len, EVOTE_ERR_BALLOT_FORMAT);
    free(msg);
    /* an expired certificate on another election's ballot: the certificate
     * is checked first */
    bl = ballot_bytes(m_other, D, 0, b, NULL);
    msg = sign_as("expired", b, bl, &len);
    refuse(msg, len, EVOTE_ERR_CERT_EXPIRED);
    free(msg);
}
END_TEST

START_TEST(test_refuse_window) {
    int64_t opens, closes;
    evote_manifest_window(m, &opens, &closes);
    make_receiver(false); /* the CRL was issued after the window opened */
    size_t len;
    uint8_t *msg = signed_ballot("rsa-1", D, &len);
    refuse_at(msg, len, opens - 1, EVOTE_ERR_OUTSIDE_WINDOW);
    refuse_at(msg, len, closes, EVOTE_ERR_OUTSIDE_WINDOW);
    evote_receipt_t rc;
    ck_assert_int_eq(evote_receiver_receive(rcv, msg, len, opens, &rc), EVOTE_OK);
    free(msg);
}
END_TEST

static int64_t fixed_clock(void *ctx) { return *(int64_t *)ctx; }

START_TEST(test_clock_override) {
    int64_t opens, closes;
    evote_manifest_window(m, &opens, &closes);
    int64_t now = closes + 10;
    evote_receiver_set_clock(rcv, fixed_clock, &now);
    size_t len;
    uint8_t *msg = signed_ballot("rsa-1", D, &len);
    refuse_at(msg, len, EVOTE_NOW, EVOTE_ERR_OUTSIDE_WINDOW);
    now = EVT_PKI_NOW;
    evote_receipt_t rc;
    ck_assert_int_eq(evote_receiver_receive(rcv, msg, len, EVOTE_NOW, &rc), EVOTE_OK);
    free(msg);
}
END_TEST

START_TEST(test_refuse_box) {
    size_t len;
    uint8_t *msg = signed_ballot("rsa-1", P, &len);
    refuse(msg, len, EVOTE_ERR_BOX_NOT_OPEN); /* P's box was never opened */
    ck_assert_int_eq(evote_store_box_set(store, P, EVOTE_BOX_CREATED, NULL, 0), EVOTE_OK);
    refuse(msg, len, EVOTE_ERR_BOX_NOT_OPEN);
    ck_assert_int_eq(evote_store_box_set(store, P, EVOTE_BOX_OPEN, NULL, 0), EVOTE_OK);
    ck_assert_int_eq(evote_store_box_set(store, P, EVOTE_BOX_CLOSED, NULL, 0), EVOTE_OK);
    refuse(msg, len, EVOTE_ERR_BOX_CLOSED);
    free(msg);
}
END_TEST

START_TEST(test_refuse_roll) {
    ck_assert_int_eq(evote_store_box_open(store, P), EVOTE_OK);
    /* a valid certificate of the CA that is not in the roll */
    evt_voter_t *stranger = evt_voters_make(dir, 1, false, 900000);
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl = ballot_bytes(m, D, 0, b, NULL), len;
    uint8_t *msg = evt_voter_sign(&stranger[0], b, bl, &len);
    refuse(msg, len, EVOTE_ERR_NOT_IN_ROLL);
    free(msg);
    evt_voters_free(stranger, 1);
    /* rsa-2 may vote in the district only */
    msg = signed_ballot("rsa-2", P, &len);
    refuse(msg, len, EVOTE_ERR_NOT_ELIGIBLE);
    free(msg);
}
END_TEST

START_TEST(test_refuse_already_voted) {
    size_t len;
    evote_receipt_t rc;
    uint8_t *msg = signed_ballot("ec-1", D, &len);
    accept(msg, len, &rc);
    refuse(msg, len, EVOTE_ERR_ALREADY_VOTED); /* the same message again */
    free(msg);
    msg = signed_ballot("ec-1", D, &len); /* a fresh ballot: no re-voting */
    refuse(msg, len, EVOTE_ERR_ALREADY_VOTED);
    free(msg);
}
END_TEST

START_TEST(test_refuse_proof) {
    evote_ballot_t bb;
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl, len;
    ballot_bytes(m, D, 0, b, &bb);
    bb.proof_z[31] ^= 1;
    ck_assert_int_eq(evote_ballot_encode(&bb, b, sizeof(b), &bl), EVOTE_OK);
    uint8_t *msg = sign_as("rsa-1", b, bl, &len);
    refuse(msg, len, EVOTE_ERR_PROOF_INVALID);
    free(msg);
    /* under another election key the proof fails too */
    uint8_t other_pk[33];
    keypair(other_pk);
    ck_assert_int_eq(evote_ballot_encrypt(&bb, m, D, other_pk, 0), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_encode(&bb, b, sizeof(b), &bl), EVOTE_OK);
    msg = sign_as("rsa-1", b, bl, &len);
    refuse(msg, len, EVOTE_ERR_PROOF_INVALID);
    free(msg);
}
END_TEST

START_TEST(test_refuse_replay) {
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl = ballot_bytes(m, D, 1, b, NULL), len;
    uint8_t *msg = sign_as("rsa-1", b, bl, &len);
    evote_receipt_t rc;
    accept(msg, len, &rc);
    free(msg);
    /* another voter submits the same ballot */
    msg = sign_as("ec-1", b, bl, &len);
    refuse(msg, len, EVOTE_ERR_REPLAY);
    free(msg);
    /* the ec-1 voter has not been marked: a ballot of their own is taken */
    msg = signed_ballot("ec-1", D, &len);
    accept(msg, len, &rc);
    free(msg);
}
END_TEST

START_TEST(test_batch) {
    ck_assert_int_eq(evote_store_box_open(store, P), EVOTE_OK);
    size_t lens[5];
    uint8_t *msgs[5];
    msgs[0] = signed_ballot("rsa-1", D, &lens[0]);
    msgs[1] = signed_ballot("rsa-1", D, &lens[1]); /* same voter in one batch */
    msgs[2] = signed_ballot("expired", D, &lens[2]);
    msgs[3] = signed_ballot("ec-1", P, &lens[3]);
    msgs[4] = signed_ballot("rsa-1", P, &lens[4]);
    evote_err_t res[5];
    evote_receipt_t rc[5];
    ck_assert_int_eq(evote_receiver_receive_batch(rcv, (const uint8_t *const *)msgs, lens, 5,
                                                  EVT_PKI_NOW, res, rc),
                     EVOTE_OK);
    ck_assert_int_eq(res[0], EVOTE_OK);
    ck_assert_int_eq(res[1], EVOTE_ERR_ALREADY_VOTED);
    ck_assert_int_eq(res[2], EVOTE_ERR_CERT_EXPIRED);
    ck_assert_int_eq(res[3], EVOTE_OK);
    ck_assert_int_eq(res[4], EVOTE_OK);
    ck_assert_uint_eq(rc[0].index, 0);
    ck_assert_uint_eq(rc[3].index, 0);
    ck_assert_uint_eq(rc[4].index, 1);
    static const evote_receipt_t zero;
    ck_assert_mem_eq(&rc[1], &zero, sizeof(zero));
    struct snap s;
    take_snap(&s);
    ck_assert_uint_eq(s.count[0], 1);
    ck_assert_uint_eq(s.count[1], 2);
    ck_assert_uint_eq(s.voted[0], 1);
    ck_assert_uint_eq(s.voted[1], 2);
    for (int i = 0; i < 5; i++)
        free(msgs[i]);
}
END_TEST


/* ---- proofs checked in batches (lib/ballot_pok.c) ----------------------- */

/* nv fresh voters in the roll for both contests. */
static evt_voter_t *batch_voters(size_t nv, unsigned first_serial) {
    evt_voter_t *v = evt_voters_make(dir, nv, false, first_serial);
    char *csv = malloc(64 + nv * 700);
    size_t off = (size_t)sprintf(csv, "voter_id,identity,contests\n");
    for (size_t i = 0; i < nv; i++) {
        char line[1024];
        evt_voter_roll_line(&v[i], i % 2 == 0, D " " P, line, sizeof(line));
        off += (size_t)sprintf(csv + off, "%s", line);
    }
    roll_add(csv);
    free(csv);
    return v;
}

/* Voter v's signed ballot for contest; with a proof that fails (z + 1, the
 * ballot still decodes) if bad. */
static uint8_t *voter_ballot(const evt_voter_t *v, const char *contest, bool bad,
                             size_t *len) {
    evote_ballot_t bb;
    uint8_t b[EVOTE_BALLOT_MAX];
    size_t bl = ballot_bytes(m, contest, 1, b, &bb);
    if (bad) {
        for (int i = 31; i >= 0 && ++bb.proof_z[i] == 0; i--)
            ;
        ck_assert_int_eq(evote_ballot_encode(&bb, b, sizeof(b), &bl), EVOTE_OK);
    }
    return evt_voter_sign(v, b, bl, len);
}

static bool stored(const char *contest, uint64_t seq, const uint8_t *msg, size_t len) {
    /* the bare ballot of a signed message is its CMS content */
    evote_cms_result_t cr;
    ck_assert_int_eq(evote_cms_verify(ver, msg, len, NULL, 0, EVT_PKI_NOW, &cr), EVOTE_OK);
    struct find f = {seq, cr.content, cr.content_len, 0};
    ck_assert_int_eq(evote_store_ballots_foreach(store, contest, 0, find_cb, &f), EVOTE_OK);
    evote_cms_result_clear(&cr);
    return f.found != 0;
}

START_TEST(test_batch_one_bad_proof) {
    const size_t nv = 9, bad = 4;
    evt_voter_t *v = batch_voters(nv, 700000);
    uint8_t *msgs[9];
    size_t lens[9];
    evote_err_t res[9];
    evote_receipt_t rc[9];
    for (size_t i = 0; i < nv; i++)
        msgs[i] = voter_ballot(&v[i], D, i == bad, &lens[i]);
    ck_assert_int_eq(evote_receiver_receive_batch(rcv, (const uint8_t *const *)msgs, lens, nv,
                                                  EVT_PKI_NOW, res, rc),
                     EVOTE_OK);
    static const evote_receipt_t zero;
    uint64_t next = 0;
    for (size_t i = 0; i < nv; i++) {
        if (i == bad) {
            ck_assert_msg(res[i] == EVOTE_ERR_PROOF_INVALID, "ballot %zu: %s", i,
                          evote_err_name(res[i]));
            ck_assert_mem_eq(&rc[i], &zero, sizeof(zero));
            continue;
        }
        ck_assert_msg(res[i] == EVOTE_OK, "ballot %zu: %s", i, evote_err_name(res[i]));
        ck_assert_uint_eq(rc[i].index, next);
        ck_assert(stored(D, next, msgs[i], lens[i]));
        next++;
    }
    struct snap s;
    take_snap(&s);
    ck_assert_uint_eq(s.count[0], nv - 1);
    ck_assert_uint_eq(s.voted[0], nv - 1);
    /* the refused voter was not marked: a good ballot of theirs is taken */
    free(msgs[bad]);
    msgs[bad] = voter_ballot(&v[bad], D, false, &lens[bad]);
    evote_receipt_t one;
    accept(msgs[bad], lens[bad], &one);
    ck_assert_uint_eq(one.index, nv - 1);
    for (size_t i = 0; i < nv; i++)
        free(msgs[i]);
    evt_voters_free(v, nv);
}
END_TEST

START_TEST(test_batch_all_good) {
    ck_assert_int_eq(evote_store_box_open(store, P), EVOTE_OK);
    const size_t nv = 6;
    evt_voter_t *v = batch_voters(nv, 710000);
    uint8_t *msgs[12];
    size_t lens[12];
    evote_err_t res[12];
    evote_receipt_t rc[12];
    for (size_t i = 0; i < 2 * nv; i++) /* both contests, interleaved */
        msgs[i] = voter_ballot(&v[i / 2], i % 2 ? P : D, false, &lens[i]);
    ck_assert_int_eq(evote_receiver_receive_batch(rcv, (const uint8_t *const *)msgs, lens,
                                                  2 * nv, EVT_PKI_NOW, res, rc),
                     EVOTE_OK);
    for (size_t i = 0; i < 2 * nv; i++) {
        ck_assert_msg(res[i] == EVOTE_OK, "ballot %zu: %s", i, evote_err_name(res[i]));
        ck_assert_uint_eq(rc[i].index, i / 2);
        ck_assert_str_eq(rc[i].contest, i % 2 ? P : D);
        ck_assert(stored(i % 2 ? P : D, i / 2, msgs[i], lens[i]));
    }
    struct snap s;
    take_snap(&s);
    ck_assert_uint_eq(s.count[0], nv);
    ck_assert_uint_eq(s.count[1], nv);
    ck_assert_uint_eq(s.voted[0], nv);
    ck_assert_uint_eq(s.voted[1], nv);
    for (size_t i = 0; i < 2 * nv; i++)
        free(msgs[i]);
    evt_voters_free(v, nv);
}
END_TEST

/* A bad proof is reported only where the checks before it pass: each
 * message's result is its first failing check in receiver.h's order. */
START_TEST(test_batch_check_order) {
    const size_t nv = 3;
    evt_voter_t *v = batch_voters(nv, 720000);
    evt_voter_t *stranger = evt_voters_make(dir, 1, false, 730000);
    evote_receipt_t one;
    size_t flen;
    uint8_t *first = voter_ballot(&v[1], D, false, &flen);
    accept(first, flen, &one); /* v[1] has voted in D */
    uint8_t *msgs[5];
    size_t lens[5];
    evote_err_t res[5];
    evote_receipt_t rc[5];
    msgs[0] = voter_ballot(&v[0], D, true, &lens[0]);        /* bad proof */
    msgs[1] = voter_ballot(&stranger[0], D, true, &lens[1]); /* + not in the roll */
    msgs[2] = voter_ballot(&v[1], D, true, &lens[2]);        /* + already voted */
    msgs[3] = voter_ballot(&v[2], P, true, &lens[3]);        /* + box not open */
    msgs[4] = voter_ballot(&v[2], D, false, &lens[4]);       /* good */
    struct snap before, after;
    take_snap(&before);
    ck_assert_int_eq(evote_receiver_receive_batch(rcv, (const uint8_t *const *)msgs, lens, 5,
                                                  EVT_PKI_NOW, res, rc),
                     EVOTE_OK);
    ck_assert_int_eq(res[0], EVOTE_ERR_PROOF_INVALID);
    ck_assert_int_eq(res[1], EVOTE_ERR_NOT_IN_ROLL);
    ck_assert_int_eq(res[2], EVOTE_ERR_ALREADY_VOTED);
    ck_assert_int_eq(res[3], EVOTE_ERR_BOX_NOT_OPEN);
    ck_assert_int_eq(res[4], EVOTE_OK);
    take_snap(&after);
    ck_assert_uint_eq(after.count[0], before.count[0] + 1);
    ck_assert_uint_eq(after.voted[0], before.voted[0] + 1);
    ck_assert_uint_eq(after.count[1], before.count[1]);
    /* alone, the bad-proof ballot is refused with the same code and a detail */
    refuse(msgs[0], lens[0], EVOTE_ERR_PROOF_INVALID);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "z"));
    for (size_t i = 0; i < 5; i++)
        free(msgs[i]);
    free(first);
    evt_voters_free(stranger, 1);
    evt_voters_free(v, nv);
}
END_TEST

/* ---- a voter card end to end ------------------------------------------------ */

START_TEST(test_token_end_to_end) {
    static const char *names[] = {"rsa-1", "ec-1"};
    for (int i = 0; i < 2; i++) {
        char label[32];
        snprintf(label, sizeof(label), "card-%d", i);
        evt_voter_token(dir, label, names[i]);
        evote_signer_t *s = NULL;
        ck_assert_int_eq(evote_signer_open(&s, evt_module(), label, EVT_PIN, strlen(EVT_PIN),
                                           "sign", NULL),
                         EVOTE_OK);
        uint8_t b[EVOTE_BALLOT_MAX], *der = NULL;
        size_t bl = ballot_bytes(m, D, 0, b, NULL), len = 0;
        ck_assert_int_eq(evote_signer_sign_cms(s, b, bl, false, &der, &len), EVOTE_OK);
        evote_signer_free(s);
        evote_receipt_t rc;
        accept(der, len, &rc);
        ck_assert_uint_eq(rc.index, (uint64_t)i);
        free(der);
    }
}
END_TEST

/* ---- CLI ----------------------------------------------------------------- */

START_TEST(test_cli_receive) {
    char b1[600], b2[600], bad[600], stream[600], out[600];
    size_t len;
    uint8_t *msg = signed_ballot("rsa-1", D, &len);
    snprintf(b1, sizeof(b1), "%s/b1.p7", dir);
    evt_write(b1, msg, len);
    free(msg);
    msg = signed_ballot("ec-1", P, &len);
    snprintf(b2, sizeof(b2), "%s/b2.p7", dir);
    evt_write(b2, msg, len);
    free(msg);
    msg = signed_ballot("revoked", D, &len);
    snprintf(bad, sizeof(bad), "%s/bad.p7", dir);
    evt_write(bad, msg, len);
    free(msg);
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    const char *common = "--manifest '%s' --pubkey '%s' --ca '%s' --crl '%s' --at 1906459200";
    char opts[4096];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(opts, sizeof(opts), common, mpath, pkpath, evt_pki_path(dir, "ca", ".pem"),
             evt_pki_path(dir, "crl", ".pem"));
#pragma GCC diagnostic pop
    /* the test's own store handle is closed so the CLI has the file */
    evote_receiver_free(rcv);
    rcv = NULL;
    evote_store_free(store);
    store = NULL;
    /* reception opens no box itself: the proportional box is not open yet */
    ck_assert_int_eq(evt_sh("'%s' receive --store '%s' %s '%s' > '%s'", evt_cli(), db, opts,
                            b2, out),
                     1);
    ck_assert_int_eq(evt_sh("grep -q '^refused .*b2.p7 EVOTE_ERR_BOX_NOT_OPEN$' '%s'", out),
                     0);
    /* the old stopgap option is gone (`evote box open` opens boxes) */
    ck_assert_int_eq(evt_sh("'%s' receive --store '%s' %s --open-boxes '%s' >/dev/null 2>&1",
                            evt_cli(), db, opts, b2),
                     2);
    /* a test-only opening without officials, through the library */
    ck_assert_int_eq(evote_store_open_sqlite(&store, db), EVOTE_OK);
    ck_assert_int_eq(evote_store_box_open(store, P), EVOTE_OK);
    evote_store_free(store);
    store = NULL;
    ck_assert_int_eq(evt_sh("'%s' receive --store '%s' %s '%s' '%s' '%s' > '%s'", evt_cli(), db,
                            opts, b1, b2, bad, out),
                     1);
    ck_assert_int_eq(evt_sh("grep -q '^accepted .*b1.p7 " D " 0 [0-9a-f]\\{64\\}$' '%s'", out),
                     0);
    ck_assert_int_eq(evt_sh("grep -q '^accepted .*b2.p7 " P " 0 ' '%s'", out), 0);
    ck_assert_int_eq(evt_sh("grep -q '^refused .*bad.p7 EVOTE_ERR_CERT_REVOKED$' '%s'", out),
                     0);
    /* tracking code = SHA-256 of the bare ballot */
    ck_assert_int_eq(evt_sh("openssl cms -verify -noverify -inform DER -binary -in '%s' "
                            "-out '%s/b1.bin' 2>/dev/null && "
                            "grep -q \"$(sha256sum < '%s/b1.bin' | cut -c1-64)\" '%s'",
                            b1, dir, dir, out),
                     0);
    /* again: already voted */
    ck_assert_int_eq(evt_sh("'%s' receive --store '%s' %s '%s' > '%s'", evt_cli(), db, opts,
                            b1, out),
                     1);
    ck_assert_int_eq(evt_sh("grep -q 'EVOTE_ERR_ALREADY_VOTED' '%s'", out), 0);
    /* a stream of length-prefixed messages */
    snprintf(stream, sizeof(stream), "%s/stream", dir);
    FILE *f = fopen(stream, "wb");
    static const char *voters[] = {"rsa-2", "rsa-1"};
    for (int i = 0; i < 2; i++) {
        msg = signed_ballot(voters[i], D, &len);
        uint8_t hdr[4];
        evote_put_u32be(hdr, (uint32_t)len);
        fwrite(hdr, 1, 4, f);
        fwrite(msg, 1, len, f);
        free(msg);
    }
    fclose(f);
    ck_assert_int_eq(evt_sh("'%s' receive --store '%s' %s - < '%s' > '%s'", evt_cli(), db,
                            opts, stream, out),
                     1);
    ck_assert_int_eq(evt_sh("grep -q '^accepted #0 " D " 1 ' '%s'", out), 0);
    ck_assert_int_eq(evt_sh("grep -q '^refused #1 EVOTE_ERR_ALREADY_VOTED' '%s'", out), 0);
    /* truncated stream */
    ck_assert_int_eq(evt_sh("head -c 10 '%s' | '%s' receive --store '%s' %s - >/dev/null "
                            "2>&1",
                            stream, evt_cli(), db, opts),
                     1);
    ck_assert_int_eq(evt_sh("'%s' receive --help > /dev/null", evt_cli()), 0);
    ck_assert_int_eq(evt_sh("'%s' receive --store x 2>/dev/null", evt_cli()), 2);
}
END_TEST

/* ---- concurrency -------------------------------------------------------- */

struct racer {
    const uint8_t *msg;
    size_t len;
    evote_receiver_t *r;
    evote_err_t res;
    pthread_barrier_t *bar;
};
static void *racer(void *arg) {
    struct racer *x = arg;
    evote_receipt_t rc;
    pthread_barrier_wait(x->bar);
    x->res = evote_receiver_receive(x->r, x->msg, x->len, EVT_PKI_NOW, &rc);
    return NULL;
}

START_TEST(test_same_voter_two_threads) {
    /* one voter, two different ballots, two threads; once through one
     * shared receiver, once through two receivers on two store handles */
    int rounds = evt_quick() ? 3 : 6;
    evt_voter_t *v = evt_voters_make(dir, (size_t)rounds * 2, false, 500000);
    char line[1024];
    char *csv = calloc(1, 64 + (size_t)rounds * 2 * 1024);
    strcpy(csv, "voter_id,identity,contests\n");
    for (int i = 0; i < rounds * 2; i++) {
        evt_voter_roll_line(&v[i], i % 2 == 0, D, line, sizeof(line));
        strcat(csv, line);
    }
    roll_add(csv);
    free(csv);
    evote_store_t *s2 = NULL;
    evote_receiver_t *r2 = NULL;
    ck_assert_int_eq(evote_store_open_sqlite(&s2, db), EVOTE_OK);
    ck_assert_int_eq(evote_receiver_new(&r2, m, pk, ver, s2), EVOTE_OK);
    for (int i = 0; i < rounds * 2; i++) {
        uint8_t b1[EVOTE_BALLOT_MAX], b2[EVOTE_BALLOT_MAX];
        size_t l1 = ballot_bytes(m, D, 0, b1, NULL), l2 = ballot_bytes(m, D, 1, b2, NULL);
        size_t ml1, ml2;
        uint8_t *m1 = evt_voter_sign(&v[i], b1, l1, &ml1);
        uint8_t *m2 = evt_voter_sign(&v[i], b2, l2, &ml2);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 2);
        struct racer x[2] = {{m1, ml1, rcv, EVOTE_ERR_INTERNAL, &bar},
                             {m2, ml2, i < rounds ? rcv : r2, EVOTE_ERR_INTERNAL, &bar}};
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            ck_assert_int_eq(pthread_create(&t[k], NULL, racer, &x[k]), 0);
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
        pthread_barrier_destroy(&bar);
        ck_assert_msg((x[0].res == EVOTE_OK) + (x[1].res == EVOTE_OK) == 1,
                      "round %d: %s / %s", i, evote_err_name(x[0].res),
                      evote_err_name(x[1].res));
        ck_assert(x[0].res == EVOTE_ERR_ALREADY_VOTED || x[1].res == EVOTE_ERR_ALREADY_VOTED);
        free(m1);
        free(m2);
    }
    struct snap s;
    take_snap(&s);
    ck_assert_uint_eq(s.count[0], (uint64_t)rounds * 2);
    ck_assert_uint_eq(s.voted[0], (uint64_t)rounds * 2);
    evote_receiver_free(r2);
    evote_store_free(s2);
    evt_voters_free(v, (size_t)rounds * 2);
}
END_TEST

/* ---- group commit -------------------------------------------------------- */

/* A store that forwards to the test's SQLite store but holds every append
 * at a gate until the test opens it, recording each commit's size. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    size_t sizes[16], ncalls;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, {0}, 0};

static void g_close(void *impl) { (void)impl; }
static evote_err_t g_lookup(void *impl, const uint8_t ik[32], const char *c, uint8_t *vk,
                            bool *el, bool *voted) {
    return evote_store_roll_lookup(impl, ik, c, vk, el, voted);
}
static evote_err_t g_box_get(void *impl, const char *c, evote_box_info_t *info) {
    return evote_store_box_get(impl, c, info);
}
static evote_err_t g_c1_seen(void *impl, const char *c, const uint8_t c1[33], bool *seen) {
    return evote_store_c1_seen(impl, c, c1, seen);
}
static evote_err_t g_append(void *impl, const evote_store_append_t *items, size_t n,
                            evote_err_t *results, uint64_t *seq) {
    pthread_mutex_lock(&gate.mu);
    if (gate.ncalls < 16)
        gate.sizes[gate.ncalls] = n;
    gate.ncalls++;
    pthread_cond_broadcast(&gate.cv);
    while (!gate.open)
        pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
    return evote_store_append(impl, items, n, results, seq);
}
static const evote_store_ops_t gated_ops = {
    .close = g_close, .roll_lookup = g_lookup, .box_get = g_box_get,
    .c1_seen = g_c1_seen, .append = g_append};

struct gc_caller {
    evote_receiver_t *r;
    const uint8_t *msg;
    size_t len;
    evote_err_t res;
    evote_receipt_t rc;
    char detail[256]; /* the refusal's detail (thread-local in the library) */
    int returned;     /* under gate.mu */
};
static void *gc_call(void *arg) {
    struct gc_caller *c = arg;
    memset(&c->rc, 0x5A, sizeof(c->rc));
    c->res = evote_receiver_receive(c->r, c->msg, c->len, EVT_PKI_NOW, &c->rc);
    if (c->res != EVOTE_OK)
        snprintf(c->detail, sizeof(c->detail), "%s", evote_err_detail());
    pthread_mutex_lock(&gate.mu);
    c->returned = 1;
    pthread_mutex_unlock(&gate.mu);
    return NULL;
}

/*
 * Six single-ballot callers on one group-commit receiver (at most 4 per
 * commit). The first caller leads a commit of its own ballot, held at the
 * gate; the five others pass their checks and queue behind it. No caller
 * returns while its commit is held. Once it is let through, the next leader
 * commits 4 of the queued ballots at once, and the last one follows: commit
 * sizes 1, 4, 1. One voter sent two ballots: the commit's own check keeps
 * exactly one, and the other's refusal names the check and the box. Every
 * receipt names its ballot in the store.
 */
START_TEST(test_group_commit) {
    enum { N = 6 };
    evt_voter_t *v = evt_voters_make(dir, N - 1, false, 600000);
    char line[1024], csv[8192] = "voter_id,identity,contests\n";
    for (int i = 0; i < N - 1; i++) {
        evt_voter_roll_line(&v[i], true, D, line, sizeof(line));
        strcat(csv, line);
    }
    roll_add(csv);
    evote_store_t *gs = NULL;
    evote_receiver_t *r = NULL;
    ck_assert_int_eq(evote_store_new(&gs, &gated_ops, store), EVOTE_OK);
    ck_assert_int_eq(evote_receiver_new(&r, m, pk, ver, gs), EVOTE_OK);
    ck_assert_int_eq(evote_receiver_set_group_commit(r, EVOTE_RECEIVER_GROUP_MAX + 1),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_receiver_set_group_commit(r, 4), EVOTE_OK);
    uint8_t *msgs[N];
    size_t lens[N];
    uint8_t ballots[N][EVOTE_BALLOT_MAX];
    size_t blens[N];
    struct gc_caller c[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        blens[i] = ballot_bytes(m, D, (uint32_t)(i % 3), ballots[i], NULL);
        msgs[i] = evt_voter_sign(&v[i < N - 1 ? i : N - 2], ballots[i], blens[i], &lens[i]);
        memset(&c[i], 0, sizeof(c[i]));
        c[i].r = r;
        c[i].msg = msgs[i];
        c[i].len = lens[i];
        c[i].res = EVOTE_ERR_INTERNAL;
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, gc_call, &c[i]), 0);
    /* wait (bounded) until one commit is held and the five others queue */
    size_t queued = 0;
    uint64_t commits = 0, nballots = 0;
    for (int spin = 0; spin < 120000; spin++) {
        receiver_group_stats(r, &queued, &commits, &nballots);
        pthread_mutex_lock(&gate.mu);
        size_t held = gate.ncalls;
        pthread_mutex_unlock(&gate.mu);
        if (held == 1 && queued == N - 1)
            break;
        usleep(1000);
    }
    pthread_mutex_lock(&gate.mu);
    ck_assert_uint_eq(gate.ncalls, 1);
    ck_assert_uint_eq(gate.sizes[0], 1);
    for (int i = 0; i < N; i++)
        ck_assert_msg(!c[i].returned, "caller %d returned before its commit", i);
    pthread_mutex_unlock(&gate.mu);
    ck_assert_uint_eq(queued, N - 1);
    ck_assert_uint_eq(commits, 0);
    pthread_mutex_lock(&gate.mu);
    gate.open = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(gate.ncalls, 3);
    ck_assert_uint_eq(gate.sizes[1], 4);
    ck_assert_uint_eq(gate.sizes[2], 1);
    receiver_group_stats(r, &queued, &commits, &nballots);
    ck_assert_uint_eq(queued, 0);
    ck_assert_uint_eq(commits, 3);
    ck_assert_uint_eq(nballots, N);
    /* verdicts: the two ballots of one voter, exactly one kept */
    int accepted = 0;
    bool index_used[N] = {false};
    static const evote_receipt_t zero;
    for (int i = 0; i < N; i++) {
        if (i >= N - 2) {
            ck_assert(c[i].res == EVOTE_OK || c[i].res == EVOTE_ERR_ALREADY_VOTED);
        } else {
            ck_assert_msg(c[i].res == EVOTE_OK, "caller %d: %s", i, evote_err_name(c[i].res));
        }
        if (c[i].res != EVOTE_OK) {
            ck_assert_mem_eq(&c[i].rc, &zero, sizeof(zero));
            /* the check and the box, as a ballot committed alone is told */
            ck_assert_str_eq(c[i].detail, "voter has voted in " D);
            continue;
        }
        accepted++;
        ck_assert_str_eq(c[i].rc.contest, D);
        ck_assert_uint_lt(c[i].rc.index, N - 1);
        ck_assert(!index_used[c[i].rc.index]);
        index_used[c[i].rc.index] = true;
        uint8_t h[32];
        ck_assert_int_eq(evote_sha256(ballots[i], blens[i], h), EVOTE_OK);
        ck_assert_mem_eq(c[i].rc.tracking_code, h, 32);
        struct find f = {c[i].rc.index, ballots[i], blens[i], 0};
        ck_assert_int_eq(evote_store_ballots_foreach(store, D, 0, find_cb, &f), EVOTE_OK);
        ck_assert_msg(f.found, "caller %d: receipt index %llu holds another ballot", i,
                      (unsigned long long)c[i].rc.index);
    }
    ck_assert_int_eq(accepted, N - 1);
    ck_assert((c[N - 2].res == EVOTE_OK) + (c[N - 1].res == EVOTE_OK) == 1);
    struct snap sn;
    take_snap(&sn);
    ck_assert_uint_eq(sn.count[0], N - 1);
    ck_assert_uint_eq(sn.voted[0], N - 1);
    /* a refusal before the queue (here: already voted) comes straight back */
    evote_receipt_t rc;
    ck_assert_int_eq(evote_receiver_receive(r, msgs[0], lens[0], EVT_PKI_NOW, &rc),
                     EVOTE_ERR_ALREADY_VOTED);
    receiver_group_stats(r, &queued, &commits, &nballots);
    ck_assert_uint_eq(commits, 3);
    /* off again: single commits, as before */
    ck_assert_int_eq(evote_receiver_set_group_commit(r, 0), EVOTE_OK);
    for (int i = 0; i < N; i++)
        free(msgs[i]);
    evote_receiver_free(r);
    evote_store_free(gs);
    evt_voters_free(v, N - 1);
}
END_TEST

/* ---- property: flags == ballots, no voter-identifying bytes stored -------- */

struct worker {
    evote_receiver_t *r;
    uint8_t **msgs;
    size_t *lens;
    size_t from, to;
    size_t accepted;
};
static void *worker(void *arg) {
    struct worker *w = arg;
    enum { B = 16 };
    for (size_t i = w->from; i < w->to; i += B) {
        size_t n = w->to - i < B ? w->to - i : B;
        evote_err_t res[B];
        evote_receipt_t rc[B];
        if (evote_receiver_receive_batch(w->r, (const uint8_t *const *)&w->msgs[i],
                                         &w->lens[i], n, EVT_PKI_NOW, res, rc) != EVOTE_OK)
            return NULL;
        for (size_t k = 0; k < n; k++)
            w->accepted += res[k] == EVOTE_OK;
    }
    return NULL;
}

/* Needles to look for in the store's files; scanned in one pass by an
 * 8-byte prefix index, since there are thousands of them. */
struct needle {
    uint64_t prefix;
    const uint8_t *p;
    size_t len;
    const char *what;
    size_t who;
};
static struct needle *needles;
static size_t nneedles, needles_cap;

static uint64_t prefix8(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static void add_needle(const void *p, size_t len, const char *what, size_t who) {
    ck_assert_uint_ge(len, 8);
    if (nneedles == needles_cap) {
        needles_cap = needles_cap ? 2 * needles_cap : 1024;
        needles = realloc(needles, needles_cap * sizeof(*needles));
        ck_assert_ptr_nonnull(needles);
    }
    needles[nneedles++] = (struct needle){prefix8(p), p, len, what, who};
}
static int cmp_needle(const void *a, const void *b) {
    uint64_t x = ((const struct needle *)a)->prefix, y = ((const struct needle *)b)->prefix;
    return x < y ? -1 : x > y;
}
/* First needle found in hay (NULL if none); *at receives its offset. */
static const struct needle *scan(const uint8_t *hay, size_t hl, size_t *at) {
    qsort(needles, nneedles, sizeof(*needles), cmp_needle);
    for (size_t i = 0; i + 8 <= hl; i++) {
        uint64_t k = prefix8(hay + i);
        size_t lo = 0, hi = nneedles;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (needles[mid].prefix < k)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t j = lo; j < nneedles && needles[j].prefix == k; j++)
            if (i + needles[j].len <= hl &&
                memcmp(hay + i, needles[j].p, needles[j].len) == 0) {
                *at = i;
                return &needles[j];
            }
    }
    return NULL;
}

START_TEST(test_property_unlinkable) {
    size_t nv = evt_quick() ? 60 : 1200;
    ck_assert_int_eq(evote_store_box_open(store, P), EVOTE_OK);
    evt_voter_t *v = evt_voters_make(dir, nv, false, 100000);
    /* roll: half by certificate hash, half by issuer+serial; every 7th
     * voter only for the district */
    char *csv = malloc(64 + nv * 700);
    size_t off = (size_t)sprintf(csv, "voter_id,identity,contests\n");
    for (size_t i = 0; i < nv; i++) {
        char line[1024];
        evt_voter_roll_line(&v[i], i % 2 == 0, i % 7 == 0 ? D : D " " P, line, sizeof(line));
        off += (size_t)sprintf(csv + off, "%s", line);
    }
    roll_add(csv);
    free(csv);
    /* ballots: each voter one per contest; plus every 5th voter tries twice
     * in the district, every 7th tries the proportional contest anyway */
    size_t cap = nv * 3, n = 0;
    uint8_t **msgs = calloc(cap, sizeof(*msgs));
    size_t *lens = calloc(cap, sizeof(*lens));
    uint8_t first_ballot[EVOTE_BALLOT_MAX];
    size_t first_len = 0;
    for (size_t i = 0; i < nv; i++) {
        for (int c = 0; c < 2; c++) {
            uint8_t b[EVOTE_BALLOT_MAX];
            size_t bl = ballot_bytes(m, c == 0 ? D : P, (uint32_t)(i % 3), b, NULL);
            /* the control needle: voter 1 sends one district ballot only
             * (every 5th voter also sends a second one, and after the
             * shuffle either may be the one accepted) */
            if (i == 1 && c == 0) {
                memcpy(first_ballot, b, bl);
                first_len = bl;
            }
            msgs[n] = evt_voter_sign(&v[i], b, bl, &lens[n]);
            n++;
        }
        if (i % 5 == 0) {
            uint8_t b[EVOTE_BALLOT_MAX];
            size_t bl = ballot_bytes(m, D, 0, b, NULL);
            msgs[n] = evt_voter_sign(&v[i], b, bl, &lens[n]);
            n++;
        }
    }
    /* shuffle so voters and contests interleave, two threads */
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1);
        uint8_t *tm = msgs[i];
        size_t tl = lens[i];
        msgs[i] = msgs[j];
        lens[i] = lens[j];
        msgs[j] = tm;
        lens[j] = tl;
    }
    struct worker w[2] = {{rcv, msgs, lens, 0, n / 2, 0}, {rcv, msgs, lens, n / 2, n, 0}};
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(pthread_create(&t[k], NULL, worker, &w[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    size_t accepted = w[0].accepted + w[1].accepted;
    size_t eligible_p = 0;
    for (size_t i = 0; i < nv; i++)
        eligible_p += i % 7 != 0;
    ck_assert_uint_eq(accepted, nv + eligible_p);
    struct snap s;
    take_snap(&s);
    ck_assert_uint_eq(s.count[0], nv);
    ck_assert_uint_eq(s.voted[0], nv);
    ck_assert_uint_eq(s.count[1], eligible_p);
    ck_assert_uint_eq(s.voted[1], eligible_p);

    /* Scan every byte the store wrote (database, WAL) for anything that
     * identifies a voter. */
    evote_receiver_free(rcv);
    rcv = NULL;
    evote_store_free(store);
    store = NULL;
    char (*hexes)[65] = calloc(nv, sizeof(*hexes));
    uint8_t (*pubs)[65] = calloc(nv, sizeof(*pubs));
    for (size_t i = 0; i < nv; i++) {
        evote_hex(hexes[i], v[i].cert_sha256, 32);
        size_t pl = 0;
        ck_assert_int_eq(EVP_PKEY_get_octet_string_param(v[i].key, "pub", pubs[i], 65, &pl),
                         1);
        add_needle(v[i].voter_id, strlen(v[i].voter_id), "voter id", i);
        add_needle(v[i].cert_der, v[i].cert_der_len, "certificate", i);
        add_needle(v[i].cert_sha256, 32, "certificate hash", i);
        add_needle(hexes[i], 64, "certificate hash (hex)", i);
        add_needle(pubs[i], pl, "public key", i);
    }
    for (size_t k = 0; k < n; k++) {
        size_t sl;
        const uint8_t *sig = evt_cms_signature(msgs[k], lens[k], &sl);
        add_needle(sig, sl, "signature", k);
    }
    add_needle("Voter jp-voter", 14, "subject name", 0);
    static const char *suffix[] = {"", "-wal", "-shm"};
    int scanned = 0;
    for (int f = 0; f < 3; f++) {
        char path[800];
        snprintf(path, sizeof(path), "%s%s", db, suffix[f]);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t hl;
        uint8_t *hay = evt_read(path, &hl);
        size_t at = 0;
        const struct needle *hit = scan(hay, hl, &at);
        ck_assert_msg(hit == NULL, "%s: %s of voter/message %zu found at offset %zu", path,
                      hit ? hit->what : "", hit ? hit->who : 0, at);
        scanned += hl > 0;
        free(hay);
    }
    ck_assert_int_ge(scanned, 1);
    /* control: the same scan does find what the store holds (a ballot) */
    free(needles);
    needles = NULL;
    nneedles = needles_cap = 0;
    add_needle(first_ballot, first_len, "ballot", 0);
    int found = 0;
    for (int f = 0; f < 2; f++) {
        char path[800];
        snprintf(path, sizeof(path), "%s%s", db, suffix[f]);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t hl;
        uint8_t *hay = evt_read(path, &hl);
        size_t at = 0;
        found += scan(hay, hl, &at) != NULL;
        free(hay);
    }
    ck_assert_int_ge(found, 1);
    free(needles);
    needles = NULL;
    nneedles = needles_cap = 0;
    free(hexes);
    free(pubs);
    for (size_t k = 0; k < n; k++)
        free(msgs[k]);
    free(msgs);
    free(lens);
    evt_voters_free(v, nv);
}
END_TEST

int main(void) {
    Suite *s = suite_create("receiver");
    TCase *tc = tcase_create("receiver");
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_accept);
    tcase_add_test(tc, test_refuse_form);
    tcase_add_test(tc, test_refuse_signature);
    tcase_add_test(tc, test_refuse_certificates);
    tcase_add_test(tc, test_refuse_election_and_contest);
    tcase_add_test(tc, test_refuse_window);
    tcase_add_test(tc, test_clock_override);
    tcase_add_test(tc, test_refuse_box);
    tcase_add_test(tc, test_refuse_roll);
    tcase_add_test(tc, test_refuse_already_voted);
    tcase_add_test(tc, test_refuse_proof);
    tcase_add_test(tc, test_refuse_replay);
    tcase_add_test(tc, test_batch);
    tcase_add_test(tc, test_batch_one_bad_proof);
    tcase_add_test(tc, test_batch_all_good);
    tcase_add_test(tc, test_batch_check_order);
    tcase_add_test(tc, test_token_end_to_end);
    tcase_add_test(tc, test_cli_receive);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("property");
    tcase_add_unchecked_fixture(tp, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tp, setup, teardown);
    tcase_set_timeout(tp, 300);
    tcase_add_test(tp, test_same_voter_two_threads);
    tcase_add_test(tp, test_group_commit);
    tcase_add_test(tp, test_property_unlinkable);
    suite_add_tcase(s, tp);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
