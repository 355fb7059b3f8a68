/* Ballots: selection encoding, encryption, proof, byte format, resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "ballot_internal.h"
#include "internal.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* key=value vector files; blocks separated by blank lines, '#' comments. */
struct kv {
    char key[64];
    char *val;
};

static struct kv *read_vectors(const char *name, size_t *n) {
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", EVOTE_TEST_VECTORS, name);
    char *text = (char *)evt_read(path, &len);
    struct kv *out = calloc(len / 2 + 1, sizeof(*out));
    ck_assert_ptr_nonnull(out);
    *n = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *eq = strchr(line, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        snprintf(out[*n].key, sizeof(out[*n].key), "%s", line);
        out[*n].val = strdup(eq + 1);
        (*n)++;
    }
    free(text);
    return out;
}

static void free_vectors(struct kv *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i].val);
    free(v);
}

static void hexeq(const uint8_t *got, size_t len, const char *want, const char *what) {
    char hex[2 * 256 + 1];
    ck_assert_uint_le(len, 256);
    evote_hex(hex, got, len);
    ck_assert_msg(strcmp(hex, want) == 0, "%s: got %s want %s", what, hex, want);
}

static void unhex_fixed(uint8_t *out, size_t len, const char *hex) {
    size_t n;
    uint8_t *b = evt_unhex(hex, &n);
    ck_assert_uint_eq(n, len);
    memcpy(out, b, len);
    free(b);
}

/* A fresh key pair: sk as BIGNUM, pk compressed. */
static BIGNUM *keypair(uint8_t pk[EVOTE_POINT_LEN]) {
    const EC_GROUP *g = evote_ec_group();
    BIGNUM *sk = BN_new();
    EC_POINT *p = EC_POINT_new(g);
    ck_assert_int_eq(evote_scalar_random(sk), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(g, p, sk, NULL, NULL, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(pk, p, NULL), EVOTE_OK);
    EC_POINT_free(p);
    return sk;
}

/* x(sk·C1) as CKM_ECDH1_DERIVE would return it, lifted to 02‖x and 03‖x. */
static void derive_lifts(const BIGNUM *sk, const uint8_t c1[EVOTE_POINT_LEN],
                         uint8_t s_even[EVOTE_POINT_LEN], uint8_t s_odd[EVOTE_POINT_LEN]) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = EC_POINT_new(g);
    ck_assert_int_eq(evote_ec_decode(p, c1, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(g, p, NULL, p, sk, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(s_even, p, NULL), EVOTE_OK);
    s_even[0] = 0x02;
    memcpy(s_odd, s_even, EVOTE_POINT_LEN);
    s_odd[0] = 0x03;
    EC_POINT_free(p);
}

/* point a + b (compressed in, compressed out). */
static void point_add(const uint8_t a[33], const uint8_t b[33], uint8_t out[33]) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *pa = EC_POINT_new(g), *pb = EC_POINT_new(g);
    ck_assert_int_eq(evote_ec_decode(pa, a, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(pb, b, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_add(g, pa, pa, pb, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(out, pa, NULL), EVOTE_OK);
    EC_POINT_free(pa);
    EC_POINT_free(pb);
}

static const char *G_HEX = "036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";

static void generator(uint8_t g[33]) { unhex_fixed(g, 33, G_HEX); }

static evote_manifest_t *test_manifest(char *dir, size_t cap) {
    char path[4200];
    evote_manifest_t *m = NULL;
    evt_tmpdir(dir, cap);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    evt_write_manifest(path, "ballot-test");
    ck_assert_int_eq(evote_manifest_load(&m, path), EVOTE_OK);
    return m;
}

/* A valid random ballot for "proportional-tokyo" and its encoding. */
static void sample_ballot(evote_manifest_t *m, const uint8_t pk[33], evote_ballot_t *b,
                          uint8_t *buf, size_t *len) {
    ck_assert_int_eq(evote_ballot_encrypt(b, m, "proportional-tokyo", pk, 2), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_encode(b, buf, EVOTE_BALLOT_MAX, len), EVOTE_OK);
}

/* ---- selection encoding ------------------------------------------------- */

START_TEST(test_selection_kat) {
    size_t n;
    struct kv *v = read_vectors("selection.txt", &n);
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].key, "selection") != 0)
            continue;
        uint32_t sel = (uint32_t)strtoul(v[i].val, NULL, 10);
        ck_assert_str_eq(v[i + 2].key, "point");
        uint8_t pt[33], pt2[33];
        ck_assert_int_eq(evote_selection_encode(sel, pt), EVOTE_OK);
        hexeq(pt, 33, v[i + 2].val, "selection point");
        ck_assert_int_eq(evote_selection_encode_uncached(sel, pt2), EVOTE_OK);
        ck_assert_mem_eq(pt, pt2, 33);
        ck_assert_int_eq(evote_point_check(pt), EVOTE_OK);
        uint32_t back = 12345;
        if (sel < UINT32_MAX) {
            ck_assert_int_eq(evote_selection_decode(pt, sel + 1, &back), EVOTE_OK);
            ck_assert_uint_eq(back, sel);
        }
        /* one option too few: not a selection of this contest */
        ck_assert_int_eq(evote_selection_decode(pt, sel, &back), EVOTE_ERR_NOT_A_SELECTION);
        ck_assert_uint_eq(back, 0);
        seen++;
    }
    ck_assert_uint_ge(seen, 10);
    free_vectors(v, n);
}
END_TEST

START_TEST(test_selection_roundtrip_all) {
    /* Every selection of a large contest decodes to itself, and only there. */
    const uint32_t nopt = evt_quick() ? 300 : 1500; /* beyond the cache, too */
    for (uint32_t s = 0; s < nopt; s++) {
        uint8_t pt[33];
        uint32_t back;
        ck_assert_int_eq(evote_selection_encode(s, pt), EVOTE_OK);
        ck_assert_int_eq(pt[0], 0x02);
        ck_assert_int_eq(evote_point_check(pt), EVOTE_OK);
        ck_assert_int_eq(evote_selection_decode(pt, nopt, &back), EVOTE_OK);
        ck_assert_uint_eq(back, s);
        pt[0] = 0x03; /* −M: a valid point but not an encoding */
        ck_assert_int_eq(evote_point_check(pt), EVOTE_OK);
        ck_assert_int_eq(evote_selection_decode(pt, nopt, &back), EVOTE_ERR_NOT_A_SELECTION);
    }
}
END_TEST

START_TEST(test_selection_not_smallest_j) {
    /* x = 256·m + j' on the curve for a j' above the smallest is refused. */
    uint8_t pt[33], alt[33];
    uint32_t back;
    ck_assert_int_eq(evote_selection_encode(0, pt), EVOTE_OK);
    memcpy(alt, pt, 33);
    bool found = false;
    for (unsigned j = (unsigned)pt[32] + 1; j < 256 && !found; j++) {
        alt[32] = (uint8_t)j;
        found = evote_point_check(alt) == EVOTE_OK;
    }
    ck_assert_msg(found, "no second x in the block of selection 0");
    ck_assert_int_eq(evote_selection_decode(alt, 10, &back), EVOTE_ERR_NOT_A_SELECTION);
}
END_TEST

START_TEST(test_selection_decode_refusals) {
    uint8_t g[33], pt[33];
    uint32_t back;
    generator(g);
    ck_assert_int_eq(evote_selection_decode(g, 1000, &back), EVOTE_ERR_NOT_A_SELECTION);
    /* x = 0..255 (m = 0) is never an encoding */
    memset(pt, 0, 33);
    pt[0] = 0x02;
    pt[32] = 5;
    ck_assert_int_eq(evote_selection_decode(pt, 1000, &back), EVOTE_ERR_NOT_A_SELECTION);
    /* noptions 0: nothing decodes */
    ck_assert_int_eq(evote_selection_encode(0, pt), EVOTE_OK);
    ck_assert_int_eq(evote_selection_decode(pt, 0, &back), EVOTE_ERR_NOT_A_SELECTION);
    ck_assert_int_eq(evote_selection_decode(NULL, 3, &back), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_selection_encode(0, NULL), EVOTE_ERR_ARG);
}
END_TEST

/* ---- known-answer ballots ----------------------------------------------- */

static const char *vget(struct kv *v, size_t n, size_t from, const char *key) {
    for (size_t i = from; i < n; i++) {
        if (strcmp(v[i].key, key) == 0)
            return v[i].val;
        if (i > from && strcmp(v[i].key, "vector") == 0)
            break;
    }
    ck_abort_msg("vector key %s missing", key);
    return NULL;
}

START_TEST(test_ballot_kat) {
    size_t n;
    struct kv *v = read_vectors("ballot.txt", &n);
    uint8_t pk[33], mh[32], skb[32];
    unhex_fixed(pk, 33, vget(v, n, 0, "pk"));
    unhex_fixed(mh, 32, vget(v, n, 0, "manifest_hash"));
    unhex_fixed(skb, 32, vget(v, n, 0, "sk"));
    BIGNUM *sk = BN_bin2bn(skb, 32, NULL);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].key, "vector") != 0)
            continue;
        uint8_t r[32], k[32], c[32], buf[EVOTE_BALLOT_MAX], se[33], so[33], pt[33];
        const char *cid = vget(v, n, i, "contest_id");
        uint32_t sel = (uint32_t)strtoul(vget(v, n, i, "selection"), NULL, 10), back;
        size_t len;
        evote_ballot_t b, d;
        unhex_fixed(r, 32, vget(v, n, i, "r"));
        unhex_fixed(k, 32, vget(v, n, i, "k"));
        ck_assert_int_eq(evote_ballot_encrypt_fixed(&b, mh, cid, pk, sel, r, k), EVOTE_OK);
        hexeq(b.c1, 33, vget(v, n, i, "c1"), "C1");
        hexeq(b.c2, 33, vget(v, n, i, "c2"), "C2");
        hexeq(b.proof_t, 33, vget(v, n, i, "t"), "T");
        hexeq(b.proof_z, 32, vget(v, n, i, "z"), "z");
        ck_assert_int_eq(evote_ballot_challenge(&b, pk, c), EVOTE_OK);
        hexeq(c, 32, vget(v, n, i, "challenge"), "challenge");
        ck_assert_int_eq(evote_ballot_encode(&b, buf, sizeof(buf), &len), EVOTE_OK);
        hexeq(buf, len, vget(v, n, i, "ballot"), "ballot bytes");
        /* the vector's bytes decode and verify */
        size_t blen;
        uint8_t *bytes = evt_unhex(vget(v, n, i, "ballot"), &blen);
        ck_assert_int_eq(evote_ballot_decode(&d, bytes, blen), EVOTE_OK);
        ck_assert_int_eq(evote_ballot_verify(&d, mh, pk), EVOTE_OK);
        ck_assert_str_eq(d.contest_id, cid);
        free(bytes);
        /* decryption as the token does it */
        derive_lifts(sk, b.c1, se, so);
        hexeq(se + 1, 32, vget(v, n, i, "dh_x"), "derive x");
        ck_assert_int_eq(evote_decrypt_resolve(b.c2, se, so, sel + 1, pt, &back), EVOTE_OK);
        ck_assert_uint_eq(back, sel);
        hexeq(pt, 33, vget(v, n, i, "m"), "plaintext M");
        count++;
    }
    ck_assert_uint_eq(count, 3);
    BN_free(sk);
    free_vectors(v, n);
}
END_TEST

START_TEST(test_encrypt_fixed_refuses_bad_scalars) {
    uint8_t pk[33], mh[32] = {0}, zero[32] = {0}, big[32], one[32] = {0};
    evote_ballot_t b;
    BIGNUM *sk = keypair(pk);
    memset(big, 0xff, 32);
    one[31] = 1;
    ck_assert_int_eq(evote_ballot_encrypt_fixed(&b, mh, "c", pk, 0, zero, one),
                     EVOTE_ERR_SCALAR_RANGE);
    ck_assert_int_eq(evote_ballot_encrypt_fixed(&b, mh, "c", pk, 0, one, big),
                     EVOTE_ERR_SCALAR_RANGE);
    ck_assert_int_eq(evote_ballot_encrypt_fixed(&b, mh, "-c", pk, 0, one, one), EVOTE_ERR_ARG);
    /* output zeroed on failure */
    uint8_t zeros[sizeof(b)];
    memset(zeros, 0, sizeof(zeros));
    ck_assert_mem_eq(&b, zeros, sizeof(b));
    BN_free(sk);
}
END_TEST

/* ---- round trip --------------------------------------------------------- */

START_TEST(test_roundtrip_random) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33];
    BIGNUM *sk = keypair(pk);
    const int count = evt_quick() ? 60 : 600;
    for (int i = 0; i < count; i++) {
        uint8_t rnd[2], buf[EVOTE_BALLOT_MAX], se[33], so[33], pt[33];
        ck_assert_int_eq(RAND_bytes(rnd, 2), 1);
        size_t ci = rnd[0] % evote_manifest_contest_count(m);
        const char *cid = evote_manifest_contest_id(m, ci);
        uint32_t nopt = (uint32_t)evote_manifest_option_count(m, ci);
        uint32_t sel = rnd[1] % nopt, back;
        evote_ballot_t b, d;
        size_t len;
        ck_assert_int_eq(evote_ballot_encrypt(&b, m, cid, pk, sel), EVOTE_OK);
        ck_assert_int_eq(evote_ballot_encode(&b, buf, sizeof(buf), &len), EVOTE_OK);
        ck_assert_uint_eq(len, 168 + strlen(cid));
        ck_assert_int_eq(evote_ballot_decode(&d, buf, len), EVOTE_OK);
        ck_assert_mem_eq(&b, &d, sizeof(b));
        ck_assert_int_eq(evote_ballot_check(&d, m, pk), EVOTE_OK);
        derive_lifts(sk, d.c1, se, so);
        ck_assert_int_eq(evote_decrypt_resolve(d.c2, se, so, nopt, pt, &back), EVOTE_OK);
        ck_assert_uint_eq(back, sel);
    }
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_encrypt_is_randomised) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33];
    BIGNUM *sk = keypair(pk);
    evote_ballot_t a, b;
    ck_assert_int_eq(evote_ballot_encrypt(&a, m, "district-tokyo-1", pk, 1), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_encrypt(&b, m, "district-tokyo-1", pk, 1), EVOTE_OK);
    ck_assert_int_ne(memcmp(a.c1, b.c1, 33), 0);
    ck_assert_int_ne(memcmp(a.proof_t, b.proof_t, 33), 0);
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_encrypt_refusals) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], bad[33];
    BIGNUM *sk = keypair(pk);
    evote_ballot_t b;
    ck_assert_int_eq(evote_ballot_encrypt(&b, m, "district-tokyo-1", pk, 3),
                     EVOTE_ERR_SELECTION_RANGE);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "3 options"));
    ck_assert_int_eq(evote_ballot_encrypt(&b, m, "proportional-tokyo", pk, 4),
                     EVOTE_ERR_SELECTION_RANGE);
    ck_assert_int_eq(evote_ballot_encrypt(&b, m, "district-osaka-1", pk, 0),
                     EVOTE_ERR_CONTEST_UNKNOWN);
    memcpy(bad, pk, 33);
    bad[0] = 0x05;
    ck_assert_int_eq(evote_ballot_encrypt(&b, m, "district-tokyo-1", bad, 0),
                     EVOTE_ERR_POINT_INVALID);
    ck_assert_int_eq(evote_ballot_encrypt(&b, NULL, "district-tokyo-1", pk, 0), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_ballot_encrypt(NULL, m, "district-tokyo-1", pk, 0), EVOTE_ERR_ARG);
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

/* ---- tampering ----------------------------------------------------------- */

START_TEST(test_tamper_rejected) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], pk2[33], g[33], buf[EVOTE_BALLOT_MAX];
    BIGNUM *sk = keypair(pk), *sk2 = keypair(pk2);
    evote_ballot_t b, t;
    size_t len;
    const uint8_t *mh = evote_manifest_hash(m);
    generator(g);
    sample_ballot(m, pk, &b, buf, &len);
    ck_assert_int_eq(evote_ballot_verify(&b, mh, pk), EVOTE_OK);

    /* C1, C2, T replaced by other valid points: the proof no longer holds */
    t = b;
    point_add(b.c1, g, t.c1);
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    t = b;
    point_add(b.c2, g, t.c2);
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    t = b;
    point_add(b.proof_t, g, t.proof_t);
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    /* z + 1 */
    t = b;
    for (int i = 31; i >= 0 && ++t.proof_z[i] == 0; i--)
        ;
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    /* z = 0 and z ≥ n */
    t = b;
    memset(t.proof_z, 0, 32);
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    memset(t.proof_z, 0xff, 32);
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    /* invalid T */
    t = b;
    t.proof_t[0] = 0x07;
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    /* manifest hash: named by the ballot, and bound by the proof */
    t = b;
    t.manifest_hash[7] ^= 1;
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_MANIFEST_MISMATCH);
    ck_assert_int_eq(evote_ballot_verify(&t, t.manifest_hash, pk), EVOTE_ERR_PROOF_INVALID);
    ck_assert_int_eq(evote_ballot_check(&t, m, pk), EVOTE_ERR_MANIFEST_MISMATCH);
    /* contest id: moved to another contest of the same manifest */
    t = b;
    snprintf(t.contest_id, sizeof(t.contest_id), "district-tokyo-1");
    ck_assert_int_eq(evote_ballot_verify(&t, mh, pk), EVOTE_ERR_PROOF_INVALID);
    ck_assert_int_eq(evote_ballot_check(&t, m, pk), EVOTE_ERR_PROOF_INVALID);
    snprintf(t.contest_id, sizeof(t.contest_id), "district-osaka-1");
    ck_assert_int_eq(evote_ballot_check(&t, m, pk), EVOTE_ERR_CONTEST_UNKNOWN);
    /* another election key */
    ck_assert_int_eq(evote_ballot_verify(&b, mh, pk2), EVOTE_ERR_PROOF_INVALID);

    /* byte-level: flip one bit of every byte after the header in turn */
    for (size_t i = 4; i < len; i++) {
        uint8_t copy[EVOTE_BALLOT_MAX];
        memcpy(copy, buf, len);
        copy[i] ^= 0x01;
        evote_ballot_t d;
        evote_err_t rv = evote_ballot_decode(&d, copy, len);
        if (rv == EVOTE_OK)
            rv = evote_ballot_check(&d, m, pk);
        ck_assert_msg(rv != EVOTE_OK, "flipped byte %zu accepted", i);
    }
    BN_free(sk);
    BN_free(sk2);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

/* ---- decoding refusals ------------------------------------------------- */

/* Offsets in a ballot for contest "proportional-tokyo" (18 bytes). */
#define OFF_IDLEN 36
#define OFF_C1 (37 + 18)
#define OFF_C2 (OFF_C1 + 33)
#define OFF_T (OFF_C2 + 33)
#define OFF_Z (OFF_T + 33)

START_TEST(test_decode_refusals) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], buf[EVOTE_BALLOT_MAX + 8], c[EVOTE_BALLOT_MAX + 8];
    BIGNUM *sk = keypair(pk);
    evote_ballot_t b, d;
    size_t len;
    sample_ballot(m, pk, &b, buf, &len);
    ck_assert_uint_eq(len, OFF_Z + 32);
    uint8_t zeros[sizeof(d)];
    memset(zeros, 0, sizeof(zeros));

#define EXPECT(code)                                                                   \
    do {                                                                               \
        memset(&d, 0xaa, sizeof(d));                                                   \
        ck_assert_int_eq(evote_ballot_decode(&d, c, len), (code));                     \
        ck_assert_mem_eq(&d, zeros, sizeof(d));                                        \
    } while (0)
#define RESET() memcpy(c, buf, len)

    static const int fields[] = {OFF_C1, OFF_C2, OFF_T};
    for (int f = 0; f < 3; f++) {
        int o = fields[f];
        /* off the curve: x = 1 */
        RESET();
        memset(c + o, 0, 33);
        c[o] = 0x02;
        c[o + 32] = 1;
        EXPECT(EVOTE_ERR_POINT_NOT_ON_CURVE);
        ck_assert_ptr_nonnull(strstr(evote_err_detail(), f == 0 ? "C1" : f == 1 ? "C2" : "T"));
        /* infinity (SEC1 0x00, padded) */
        RESET();
        memset(c + o, 0, 33);
        EXPECT(EVOTE_ERR_POINT_INFINITY);
        /* bad prefix: uncompressed / hybrid markers */
        RESET();
        c[o] = 0x04;
        EXPECT(EVOTE_ERR_POINT_INVALID);
        c[o] = 0x06;
        EXPECT(EVOTE_ERR_POINT_INVALID);
        /* x ≥ p */
        RESET();
        memset(c + o + 1, 0xff, 32);
        EXPECT(EVOTE_ERR_POINT_INVALID);
    }
    /* z = 0, z = n - 0 (≥ n) */
    RESET();
    memset(c + OFF_Z, 0, 32);
    EXPECT(EVOTE_ERR_SCALAR_RANGE);
    ck_assert_int_eq(BN_bn2binpad(evote_ec_order(), c + OFF_Z, 32), 32);
    EXPECT(EVOTE_ERR_SCALAR_RANGE);
    /* header */
    RESET();
    c[0] = 'X';
    EXPECT(EVOTE_ERR_BALLOT_FORMAT);
    RESET();
    c[3] = 0x02;
    EXPECT(EVOTE_ERR_VERSION);
    RESET();
    c[OFF_IDLEN + 1] = '-'; /* ids start with a letter or digit */
    EXPECT(EVOTE_ERR_BALLOT_FORMAT);
    RESET();
    c[OFF_IDLEN + 3] = '/';
    EXPECT(EVOTE_ERR_BALLOT_FORMAT);
    RESET();
    c[OFF_IDLEN + 3] = '\0';
    EXPECT(EVOTE_ERR_BALLOT_FORMAT);
    RESET();
    c[OFF_IDLEN] = 0;
    EXPECT(EVOTE_ERR_BALLOT_FORMAT);
    RESET();
    c[OFF_IDLEN] = 65;
    EXPECT(EVOTE_ERR_BALLOT_FORMAT);
    /* id length says more than is there / less than is there */
    RESET();
    c[OFF_IDLEN] = 19;
    EXPECT(EVOTE_ERR_TRUNCATED);
    RESET();
    c[OFF_IDLEN] = 17;
    EXPECT(EVOTE_ERR_TOO_LARGE);

    /* truncated: every shorter length */
    RESET();
    size_t full = len;
    for (len = 0; len < full; len++) {
        memset(&d, 0xaa, sizeof(d));
        ck_assert_int_eq(evote_ballot_decode(&d, c, len), EVOTE_ERR_TRUNCATED);
        ck_assert_mem_eq(&d, zeros, sizeof(d));
    }
    /* oversized: one trailing byte, and beyond the maximum */
    len = full + 1;
    c[full] = 0;
    EXPECT(EVOTE_ERR_TOO_LARGE);
    len = EVOTE_BALLOT_MAX + 1;
    EXPECT(EVOTE_ERR_TOO_LARGE);
    len = full;
    RESET();
    ck_assert_int_eq(evote_ballot_decode(&d, c, len), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_decode(NULL, c, len), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_ballot_decode(&d, NULL, len), EVOTE_ERR_ARG);
    /* encode into a short buffer */
    ck_assert_int_eq(evote_ballot_encode(&b, c, len - 1, &len), EVOTE_ERR_ARG);
#undef EXPECT
#undef RESET
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_decode_garbage) {
    /* random input never crashes and is never accepted */
    uint8_t buf[EVOTE_BALLOT_MAX + 1];
    evote_ballot_t d;
    const int iters = evt_quick() ? 2000 : 20000;
    for (int i = 0; i < iters; i++) {
        uint8_t l;
        ck_assert_int_eq(RAND_bytes(&l, 1), 1);
        size_t len = l;
        ck_assert_int_eq(RAND_bytes(buf, sizeof(buf)), 1);
        if (i % 2) { /* plausible header so the parser goes deeper */
            memcpy(buf, "EVB\x01", 4);
            buf[36] = (uint8_t)(1 + i % 64);
            memset(buf + 37, 'a', buf[36]);
            len = 168 + buf[36];
        }
        ck_assert_int_ne(evote_ballot_decode(&d, buf, len), EVOTE_OK);
    }
}
END_TEST

START_TEST(test_ballot_files) {
    char dir[4096], path[4200];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], buf[EVOTE_BALLOT_MAX];
    BIGNUM *sk = keypair(pk);
    evote_ballot_t b, d;
    size_t len, flen;
    sample_ballot(m, pk, &b, buf, &len);
    snprintf(path, sizeof(path), "%s/ballot.evb", dir);
    ck_assert_int_eq(evote_ballot_write(&b, path), EVOTE_OK);
    uint8_t *file = evt_read(path, &flen);
    ck_assert_uint_eq(flen, len);
    ck_assert_mem_eq(file, buf, len);
    ck_assert_int_eq(evote_ballot_read(&d, path), EVOTE_OK);
    ck_assert_mem_eq(&b, &d, sizeof(b));
    /* a file with one byte appended is refused and names the file */
    file = realloc(file, flen + 1);
    file[flen] = 0;
    evt_write(path, file, flen + 1);
    ck_assert_int_eq(evote_ballot_read(&d, path), EVOTE_ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "ballot.evb"));
    snprintf(path, sizeof(path), "%s/missing.evb", dir);
    ck_assert_int_eq(evote_ballot_read(&d, path), EVOTE_ERR_NOT_FOUND);
    free(file);
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

/* ---- decryption resolution --------------------------------------------- */

START_TEST(test_resolve_neither) {
    /* C2 is not M ± S for any selection: a junk ballot is invalid, no guess */
    uint8_t pk[33], g[33], se[33], so[33], pt[33];
    uint32_t sel = 99;
    BIGNUM *sk = keypair(pk);
    generator(g);
    derive_lifts(sk, pk, se, so); /* any S */
    ck_assert_int_eq(evote_decrypt_resolve(g, se, so, 5, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "neither"));
    ck_assert_uint_eq(sel, 0);
    /* C2 = S: C2 − S is the identity, C2 + S = 2S is junk */
    ck_assert_int_eq(evote_decrypt_resolve(se, se, so, 5, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
    BN_free(sk);
}
END_TEST

START_TEST(test_resolve_both) {
    /* S = (M_b − M_a)/2, C2 = M_a + S: C2 − S = M_a and C2 + S = M_b */
    const EC_GROUP *g = evote_ec_group();
    uint8_t ma[33], mb[33], s[33], so[33], c2[33], pt[33];
    uint32_t sel = 99;
    ck_assert_int_eq(evote_selection_encode(1, ma), EVOTE_OK);
    ck_assert_int_eq(evote_selection_encode(3, mb), EVOTE_OK);
    EC_POINT *pa = EC_POINT_new(g), *pb = EC_POINT_new(g);
    BIGNUM *half = BN_new(), *two = BN_new();
    BN_CTX *bn = BN_CTX_new();
    ck_assert_int_eq(evote_ec_decode(pa, ma, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(pb, mb, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_invert(g, pa, bn), 1);
    ck_assert_int_eq(EC_POINT_add(g, pb, pb, pa, bn), 1); /* M_b − M_a */
    ck_assert_int_eq(BN_set_word(two, 2), 1);
    ck_assert_ptr_nonnull(BN_mod_inverse(half, two, evote_ec_order(), bn));
    ck_assert_int_eq(EC_POINT_mul(g, pb, NULL, pb, half, bn), 1); /* S */
    ck_assert_int_eq(evote_ec_encode(s, pb, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_invert(g, pa, bn), 1); /* M_a again */
    ck_assert_int_eq(EC_POINT_add(g, pa, pa, pb, bn), 1);
    ck_assert_int_eq(evote_ec_encode(c2, pa, NULL), EVOTE_OK);
    s[0] = 0x02;
    memcpy(so, s, 33);
    so[0] = 0x03;
    ck_assert_int_eq(evote_decrypt_resolve(c2, s, so, 5, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "both"));
    uint8_t zeros[33] = {0};
    ck_assert_mem_eq(pt, zeros, 33);
    /* with only 2 options, selection 3 is out: then exactly one decodes */
    ck_assert_int_eq(evote_decrypt_resolve(c2, s, so, 2, pt, &sel), EVOTE_OK);
    ck_assert_uint_eq(sel, 1);
    ck_assert_mem_eq(pt, ma, 33);
    EC_POINT_free(pa);
    EC_POINT_free(pb);
    BN_free(half);
    BN_free(two);
    BN_CTX_free(bn);
}
END_TEST

START_TEST(test_resolve_bad_args) {
    uint8_t pk[33], se[33], so[33], pt[33], c2[33];
    uint32_t sel;
    BIGNUM *sk = keypair(pk);
    derive_lifts(sk, pk, se, so);
    ck_assert_int_eq(evote_selection_encode(0, c2), EVOTE_OK);
    /* swapped lifts, different x */
    ck_assert_int_eq(evote_decrypt_resolve(c2, so, se, 5, pt, &sel), EVOTE_ERR_ARG);
    so[5] ^= 1;
    ck_assert_int_eq(evote_decrypt_resolve(c2, se, so, 5, pt, &sel), EVOTE_ERR_ARG);
    so[5] ^= 1;
    /* C2 off the curve */
    memset(c2, 0, 33);
    c2[0] = 0x02;
    c2[32] = 1;
    ck_assert_int_eq(evote_decrypt_resolve(c2, se, so, 5, pt, &sel),
                     EVOTE_ERR_POINT_NOT_ON_CURVE);
    ck_assert_int_eq(evote_decrypt_resolve(NULL, se, so, 5, pt, &sel), EVOTE_ERR_ARG);
    BN_free(sk);
}
END_TEST


/* Run all three resolvers on one input and require identical answers. */
static evote_err_t resolve_all(const uint8_t c2[33], const uint8_t se[33], uint32_t nopt,
                               uint8_t pt[33], uint32_t *sel) {
    const EC_GROUP *g = evote_ec_group();
    uint8_t so[33], c2u[65], pg[33], px[33];
    uint32_t sg = 7, sx = 7;
    memcpy(so, se, 33);
    so[0] = 0x03;
    evote_err_t r = evote_decrypt_resolve(c2, se, so, nopt, pt, sel);
    evote_err_t rg = evote_decrypt_resolve_generic(c2, se, so, nopt, pg, &sg);
    ck_assert_int_eq(r, rg);
    ck_assert_uint_eq(*sel, sg);
    ck_assert_mem_eq(pt, pg, 33);
    EC_POINT *p = EC_POINT_new(g);
    if (evote_ec_decode(p, c2, NULL) == EVOTE_OK) {
        ck_assert_int_eq(evote_ec_encode_uncompressed(c2u, p, NULL), EVOTE_OK);
        evote_err_t rx = evote_decrypt_resolve_x(c2u, se + 1, nopt, px, &sx);
        ck_assert_int_eq(rx, r);
        ck_assert_uint_eq(sx, *sel);
        ck_assert_mem_eq(px, pt, 33);
    }
    EC_POINT_free(p);
    return r;
}

START_TEST(test_resolve_fast_matches_generic) {
    const EC_GROUP *g = evote_ec_group();
    uint8_t pk[33], se[33], so[33], m[33], c2[33], pt[33], gen[33];
    uint32_t sel;
    BIGNUM *k = keypair(pk); /* S = k·G below: any point */
    EC_POINT *ps = EC_POINT_new(g);
    generator(gen);
    const int iters = evt_quick() ? 150 : 1500;
    for (int i = 0; i < iters; i++) {
        uint8_t rnd[2];
        ck_assert_int_eq(RAND_bytes(rnd, 2), 1);
        ck_assert_int_eq(evote_scalar_random(k), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_mul(g, ps, k, NULL, NULL, NULL), 1);
        ck_assert_int_eq(evote_ec_encode(se, ps, NULL), EVOTE_OK); /* the true S */
        uint32_t want = rnd[0] % 40, nopt = 40;
        ck_assert_int_eq(evote_selection_encode(want, m), EVOTE_OK);
        point_add(m, se, c2); /* C2 = M + S */
        se[0] = 0x02; /* what the token gives: x only */
        memcpy(so, se, 33);
        so[0] = 0x03;
        switch (rnd[1] % 4) {
        case 0:
        case 1: /* a valid ballot */
            ck_assert_int_eq(resolve_all(c2, se, nopt, pt, &sel), EVOTE_OK);
            ck_assert_uint_eq(sel, want);
            ck_assert_mem_eq(pt, m, 33);
            break;
        case 2: /* selection beyond the contest: invalid */
            ck_assert_int_eq(resolve_all(c2, se, want, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
            break;
        default: /* junk C2 */
            point_add(c2, gen, c2);
            ck_assert_int_eq(resolve_all(c2, se, nopt, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
            break;
        }
    }
    /* C2 = ±S (x equal: the fast code hands over to the generic one) */
    ck_assert_int_eq(resolve_all(se, se, 5, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
    ck_assert_int_eq(resolve_all(so, se, 5, pt, &sel), EVOTE_ERR_NOT_A_SELECTION);
    /* C2 = S = M/2: C2 + S = M decodes, C2 − S is the identity → valid,
     * found by the generic path */
    {
        BIGNUM *half = BN_new(), *two = BN_new();
        BN_CTX *bn = BN_CTX_new();
        EC_POINT *pm = EC_POINT_new(g);
        ck_assert_int_eq(evote_selection_encode(2, m), EVOTE_OK);
        ck_assert_int_eq(evote_ec_decode(pm, m, NULL), EVOTE_OK);
        ck_assert_int_eq(BN_set_word(two, 2), 1);
        ck_assert_ptr_nonnull(BN_mod_inverse(half, two, evote_ec_order(), bn));
        ck_assert_int_eq(EC_POINT_mul(g, pm, NULL, pm, half, bn), 1);
        ck_assert_int_eq(evote_ec_encode(c2, pm, NULL), EVOTE_OK);
        memcpy(se, c2, 33);
        se[0] = 0x02;
        ck_assert_int_eq(resolve_all(c2, se, 5, pt, &sel), EVOTE_OK);
        ck_assert_uint_eq(sel, 2);
        ck_assert_mem_eq(pt, m, 33);
        EC_POINT_free(pm);
        BN_free(half);
        BN_free(two);
        BN_CTX_free(bn);
    }
    EC_POINT_free(ps);
    BN_free(k);
}
END_TEST

START_TEST(test_resolve_x_refusals) {
    const EC_GROUP *g = evote_ec_group();
    uint8_t c2u[65], bad[65], x[32], pt[33], m[33];
    uint32_t sel;
    EC_POINT *p = EC_POINT_new(g);
    ck_assert_int_eq(evote_selection_encode(0, m), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(p, m, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_ec_encode_uncompressed(c2u, p, NULL), EVOTE_OK);
    memcpy(x, c2u + 1, 32); /* some valid x */
    memcpy(bad, c2u, 65);
    bad[0] = 0x02;
    ck_assert_int_eq(evote_decrypt_resolve_x(bad, x, 5, pt, &sel), EVOTE_ERR_POINT_INVALID);
    memcpy(bad, c2u, 65);
    bad[64] ^= 1; /* y changed: off the curve */
    ck_assert_int_eq(evote_decrypt_resolve_x(bad, x, 5, pt, &sel), EVOTE_ERR_POINT_NOT_ON_CURVE);
    memcpy(bad, c2u, 65);
    memset(bad + 33, 0xff, 32); /* y ≥ p */
    ck_assert_int_eq(evote_decrypt_resolve_x(bad, x, 5, pt, &sel), EVOTE_ERR_POINT_INVALID);
    /* x that is no point's coordinate, and x ≥ p */
    memset(x, 0, 32);
    x[31] = 1;
    ck_assert_int_eq(evote_decrypt_resolve_x(c2u, x, 5, pt, &sel),
                     EVOTE_ERR_POINT_NOT_ON_CURVE);
    memset(x, 0xff, 32);
    ck_assert_int_eq(evote_decrypt_resolve_x(c2u, x, 5, pt, &sel), EVOTE_ERR_POINT_INVALID);
    ck_assert_int_eq(evote_decrypt_resolve_x(NULL, x, 5, pt, &sel), EVOTE_ERR_ARG);
    /* the same refusals through the compressed API */
    uint8_t se[33] = {0x02}, so[33] = {0x03};
    se[32] = so[32] = 1;
    ck_assert_int_eq(evote_decrypt_resolve(m, se, so, 5, pt, &sel),
                     EVOTE_ERR_POINT_NOT_ON_CURVE);
    EC_POINT_free(p);
}
END_TEST


/* ---- proof statements, alone and in batches (lib/ballot_pok.c) ---------- */

/* Statement of ballot b under pk, through its encoding (the receiver's path). */
static void pok_of(const evote_ballot_t *b, const uint8_t pk[33], evote_ballot_pok_t *s) {
    uint8_t buf[EVOTE_BALLOT_MAX];
    size_t len;
    evote_ballot_t d;
    ck_assert_int_eq(evote_ballot_encode(b, buf, sizeof(buf), &len), EVOTE_OK);
    ck_assert_int_eq(evote_ballot_decode_pok(&d, s, buf, len, pk), EVOTE_OK);
    ck_assert_mem_eq(&d, b, sizeof(d));
}

START_TEST(test_pok_decode_matches_decode) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], buf[EVOTE_BALLOT_MAX], c[32];
    BIGNUM *sk = keypair(pk);
    evote_ballot_t b, d1, d2;
    evote_ballot_pok_t s;
    size_t len;
    sample_ballot(m, pk, &b, buf, &len);
    pok_of(&b, pk, &s);
    ck_assert_int_eq(evote_ballot_challenge(&b, pk, c), EVOTE_OK);
    ck_assert_mem_eq(s.c, c, 32);
    ck_assert_mem_eq(s.z, b.proof_z, 32);
    uint8_t enc[33];
    ck_assert_int_eq(mix_pt_to_compressed(enc, &s.c1), EVOTE_OK);
    ck_assert_mem_eq(enc, b.c1, 33);
    ck_assert_int_eq(mix_pt_to_compressed(enc, &s.t), EVOTE_OK);
    ck_assert_mem_eq(enc, b.proof_t, 33);
    /* every one-bit flip: the same verdict as evote_ballot_decode, and
     * nothing left in either output on a refusal */
    static const evote_ballot_pok_t zero_pok;
    static const evote_ballot_t zero_b;
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            uint8_t copy[EVOTE_BALLOT_MAX];
            memcpy(copy, buf, len);
            copy[i] ^= (uint8_t)(1u << bit);
            evote_err_t e1 = evote_ballot_decode(&d1, copy, len);
            memset(&s, 0x5a, sizeof(s));
            evote_err_t e2 = evote_ballot_decode_pok(&d2, &s, copy, len, pk);
            ck_assert_msg(e1 == e2, "byte %zu bit %d: decode %s, decode_pok %s", i, bit,
                          evote_err_name(e1), evote_err_name(e2));
            if (e2 != EVOTE_OK) {
                ck_assert_mem_eq(&s, &zero_pok, sizeof(s));
                ck_assert_mem_eq(&d2, &zero_b, sizeof(d2));
            } else {
                ck_assert_mem_eq(&d1, &d2, sizeof(d1));
            }
        }
    ck_assert_int_eq(evote_ballot_decode_pok(&d2, &s, buf, len, NULL), EVOTE_ERR_ARG);
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_pok_batch_all_good) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], buf[EVOTE_BALLOT_MAX];
    BIGNUM *sk = keypair(pk);
    /* 0, 1, a small batch, one full chunk, a chunk and one more, three chunks */
    static const size_t sizes[] = {0, 1, 2, 7, EVOTE_POK_BATCH_MAX, EVOTE_POK_BATCH_MAX + 1,
                                   2 * EVOTE_POK_BATCH_MAX + 2};
    const size_t nmax = 2 * EVOTE_POK_BATCH_MAX + 2;
    evote_ballot_pok_t *s = calloc(nmax, sizeof(*s));
    bool *ok = calloc(nmax, sizeof(*ok));
    for (size_t i = 0; i < nmax; i++) {
        evote_ballot_t b;
        size_t len;
        sample_ballot(m, pk, &b, buf, &len);
        pok_of(&b, pk, &s[i]);
    }
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        memset(ok, 0, nmax * sizeof(*ok));
        ck_assert_int_eq(evote_ballot_pok_verify(s, sizes[k], ok), EVOTE_OK);
        for (size_t i = 0; i < sizes[k]; i++)
            ck_assert_msg(ok[i], "n = %zu: statement %zu refused", sizes[k], i);
        for (size_t i = sizes[k]; i < nmax; i++)
            ck_assert(!ok[i]); /* nothing written past n */
    }
    ck_assert_int_eq(evote_ballot_pok_verify(NULL, 3, ok), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_ballot_pok_verify(s, 3, NULL), EVOTE_ERR_ARG);
    free(s);
    free(ok);
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_pok_batch_names_bad) {
    char dir[4096];
    evote_manifest_t *m = test_manifest(dir, sizeof(dir));
    uint8_t pk[33], buf[EVOTE_BALLOT_MAX], g[33];
    BIGNUM *sk = keypair(pk);
    const size_t n = EVOTE_POK_BATCH_MAX + 6; /* two chunks */
    evote_ballot_t *b = calloc(n, sizeof(*b));
    evote_ballot_pok_t *s = calloc(n, sizeof(*s));
    bool *ok = calloc(n, sizeof(*ok));
    const uint8_t *mh = evote_manifest_hash(m);
    generator(g);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        sample_ballot(m, pk, &b[i], buf, &len);
    }
    /* bad proofs that still decode: z + 1 (first), another ballot's C1,
     * T + G (first of the second chunk), C2 + G (last, bound by c) */
    const size_t bad[] = {0, 33, EVOTE_POK_BATCH_MAX, n - 1};
    for (int i = 31; i >= 0 && ++b[bad[0]].proof_z[i] == 0; i--)
        ;
    memcpy(b[bad[1]].c1, b[bad[1] + 1].c1, 33);
    point_add(b[bad[2]].proof_t, g, b[bad[2]].proof_t);
    point_add(b[bad[3]].c2, g, b[bad[3]].c2);
    for (size_t i = 0; i < n; i++)
        pok_of(&b[i], pk, &s[i]);
    ck_assert_int_eq(evote_ballot_pok_verify(s, n, ok), EVOTE_OK);
    for (size_t i = 0; i < n; i++) {
        bool is_bad = i == bad[0] || i == bad[1] || i == bad[2] || i == bad[3];
        ck_assert_msg(ok[i] == !is_bad, "statement %zu: %s", i, ok[i] ? "accepted" : "refused");
        /* the same verdict as the one-ballot check */
        ck_assert_int_eq(evote_ballot_verify(&b[i], mh, pk),
                         is_bad ? EVOTE_ERR_PROOF_INVALID : EVOTE_OK);
    }
    /* a batch of bad ones only, and one bad one alone */
    evote_ballot_pok_t two[3] = {s[bad[0]], s[bad[1]], s[bad[2]]};
    ok[0] = ok[1] = ok[2] = true;
    ck_assert_int_eq(evote_ballot_pok_verify(two, 3, ok), EVOTE_OK);
    ck_assert(!ok[0] && !ok[1] && !ok[2]);
    ok[0] = true;
    ck_assert_int_eq(evote_ballot_pok_verify(&s[bad[3]], 1, ok), EVOTE_OK);
    ck_assert(!ok[0]);
    /* two invalid statements whose errors cancel in a plain sum (T's
     * swapped between two ballots) must not pass: the weights differ */
    evote_ballot_pok_t sw[2] = {s[1], s[2]};
    sw[0].t = s[2].t;
    sw[1].t = s[1].t;
    ok[0] = ok[1] = true;
    ck_assert_int_eq(evote_ballot_pok_verify(sw, 2, ok), EVOTE_OK);
    ck_assert(!ok[0] && !ok[1]);
    free(b);
    free(s);
    free(ok);
    BN_free(sk);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

static Suite *ballot_suite(void) {
    Suite *s = suite_create("ballot");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_selection_kat);
    tcase_add_test(tc, test_selection_roundtrip_all);
    tcase_add_test(tc, test_selection_not_smallest_j);
    tcase_add_test(tc, test_selection_decode_refusals);
    tcase_add_test(tc, test_ballot_kat);
    tcase_add_test(tc, test_encrypt_fixed_refuses_bad_scalars);
    tcase_add_test(tc, test_roundtrip_random);
    tcase_add_test(tc, test_encrypt_is_randomised);
    tcase_add_test(tc, test_encrypt_refusals);
    tcase_add_test(tc, test_tamper_rejected);
    tcase_add_test(tc, test_decode_refusals);
    tcase_add_test(tc, test_decode_garbage);
    tcase_add_test(tc, test_ballot_files);
    tcase_add_test(tc, test_resolve_neither);
    tcase_add_test(tc, test_resolve_both);
    tcase_add_test(tc, test_resolve_bad_args);
    tcase_add_test(tc, test_resolve_fast_matches_generic);
    tcase_add_test(tc, test_resolve_x_refusals);
    tcase_add_test(tc, test_pok_decode_matches_decode);
    tcase_add_test(tc, test_pok_batch_all_good);
    tcase_add_test(tc, test_pok_batch_names_bad);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return evt_run_suite(ballot_suite()) == 0 ? 0 : 1; }
