/* Mix-net: Verificatum fixtures, protInfo, prover/verifier round trips, tampering. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "internal.h"
#include "mix_pos.h"
#include "testutil.h"

#define FIX20 EVOTE_SHARED_DIR "/vectors/verificatum/p256-shuffle-n20"
#define FIX1000 EVOTE_SHARED_DIR "/vectors/verificatum/p256-shuffle-n1000"

/* Indices the verifier holds at a time (0: the default, one chunk for the
 * fixtures); tests set it to cross chunk boundaries. */
static size_t g_chunk;

static evote_err_t verify_fixture(const char *root, evote_mix_report_t *rep) {
    char pi[4096], dir[4096];
    evote_mix_opts_t o = {.chunk = g_chunk};
    evote_mix_params_t *p = NULL;
    snprintf(pi, sizeof(pi), "%s/protInfo.xml", root);
    snprintf(dir, sizeof(dir), "%s/default", root);
    evote_err_t rv = evote_mix_params_read(&p, pi);
    if (rv != EVOTE_OK) {
        snprintf(rep->file, sizeof(rep->file), "protInfo.xml");
        return rv;
    }
    rv = evote_mix_verify_dir(p, dir, NULL, NULL, 0, &o, rep, NULL, NULL);
    evote_mix_params_free(p);
    return rv;
}

START_TEST(test_fixture_n20) {
    evote_mix_report_t rep;
    ck_assert_msg(verify_fixture(FIX20, &rep) == EVOTE_OK, "%s", evote_err_detail());
    ck_assert_uint_eq(rep.n, 20);
    ck_assert_uint_eq(rep.parties, 1);
}
END_TEST

START_TEST(test_fixture_n1000) {
    evote_mix_report_t rep;
    ck_assert_msg(verify_fixture(FIX1000, &rep) == EVOTE_OK, "%s", evote_err_detail());
    ck_assert_uint_eq(rep.n, 1000);
}
END_TEST

START_TEST(test_fixture_chunked) {
    /* Verificatum's proofs verified a chunk at a time: chunk sizes that
     * divide N, that do not, of 1, and of N − 1 */
    static const size_t c20[] = {1, 3, 19, 20}, c1000[] = {64, 999};
    evote_mix_report_t rep;
    for (size_t k = 0; k < 4; k++) {
        g_chunk = c20[k];
        ck_assert_msg(verify_fixture(FIX20, &rep) == EVOTE_OK, "chunk %zu: %s", g_chunk,
                      evote_err_detail());
    }
    for (size_t k = 0; k < 2; k++) {
        g_chunk = c1000[k];
        ck_assert_msg(verify_fixture(FIX1000, &rep) == EVOTE_OK, "chunk %zu: %s", g_chunk,
                      evote_err_detail());
    }
    g_chunk = 0;
}
END_TEST

START_TEST(test_generator_stream) {
    /* taken a chunk at a time, the generators are the same points */
    uint8_t rho[32];
    mix_pt all[100], part[100];
    static const size_t steps[] = {1, 7, 33, 100};
    memset(rho, 0x5a, sizeof(rho));
    ck_assert_int_eq(mix_generators(rho, 100, all, 100, 1), EVOTE_OK);
    for (size_t k = 0; k < 4; k++) {
        mix_gens g;
        memset(part, 0, sizeof(part));
        ck_assert_int_eq(mix_gens_init(&g, rho, 100, 100, 2), EVOTE_OK);
        for (size_t i = 0; i < 100; i += steps[k]) {
            size_t m = 100 - i < steps[k] ? 100 - i : steps[k];
            ck_assert_int_eq(mix_gens_next(&g, part + i, m), EVOTE_OK);
        }
        ck_assert_int_ne(mix_gens_next(&g, part, 1), EVOTE_OK); /* no 101st */
        mix_gens_free(&g);
        ck_assert_int_eq(memcmp(all, part, sizeof(all)), 0);
    }
}
END_TEST

START_TEST(test_secret_streams) {
    /* mix_sk: scalar i is the same however it is asked for, in [1, n−1],
     * and streams of other labels and keys differ */
    mix_sk k1, k2;
    mix_sc a[300], b[300], one;
    BIGNUM *x = BN_new();
    ck_assert_int_eq(mix_sk_init(&k1), EVOTE_OK);
    ck_assert_int_eq(mix_sk_init(&k2), EVOTE_OK);
    ck_assert_int_eq(mix_sk_scalars(&k1, 3, 5, 300, a), EVOTE_OK);
    for (size_t i = 0; i < 300; i += 37) {
        ck_assert_int_eq(mix_sk_scalars(&k1, 3, 5 + i, 1, &one), EVOTE_OK);
        ck_assert_int_eq(memcmp(&one, &a[i], sizeof(one)), 0);
    }
    ck_assert_int_eq(mix_sk_scalars(&k1, 3, 5 + 64, 100, b), EVOTE_OK);
    ck_assert_int_eq(memcmp(b, a + 64, 100 * sizeof(*b)), 0);
    for (size_t i = 0; i < 300; i++) {
        ck_assert_ptr_nonnull(BN_bin2bn(a[i].b, 32, x));
        ck_assert(!BN_is_zero(x));
        ck_assert_int_lt(BN_cmp(x, evote_ec_order()), 0);
    }
    ck_assert_int_eq(mix_sk_scalars(&k1, 4, 5, 300, b), EVOTE_OK);
    ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
    ck_assert_int_eq(mix_sk_scalars(&k2, 3, 5, 300, b), EVOTE_OK);
    ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
    mix_sk_wipe(&k1);
    mix_sk_wipe(&k2);
    uint8_t z[32] = {0};
    ck_assert_int_eq(memcmp(k1.key, z, 32), 0);
    BN_free(x);
}
END_TEST

START_TEST(test_gather_scatter_spans) {
    /* Gather and scatter over more than one span of indices (a span is
     * 8192 points): points written in a scattered order, with holes left
     * for later chunks, then read back at scattered indices. */
    enum { N = 20000, M = 700 };
    char dir[256], path[300];
    uint8_t rho[32];
    mix_pt *h = malloc(N * sizeof(*h)), *got = malloc(N * sizeof(*got)), one;
    mix_pair *pr = malloc(N * sizeof(*pr));
    uint32_t *perm = malloc(N * sizeof(*perm));
    evote_afile_t *af = NULL;
    mix_fin f;
    memset(rho, 0x33, sizeof(rho));
    ck_assert_int_eq(mix_generators(rho, 100, h, N, 0), EVOTE_OK);
    ck_assert_int_eq(mix_random_permutation(perm, N), EVOTE_OK);
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/u.bt", dir);
    ck_assert_int_eq(evote_afile_open(&af, path, false, false), EVOTE_OK);
    /* chunk k holds h[k·M .. ) destined for positions perm[...]; the last
     * chunk first, so earlier writes land before the end of the file */
    for (size_t k0 = (N / M) * M; ; k0 -= M) {
        size_t m = N - k0 < M ? N - k0 : M;
        for (size_t i = 0; i < m; i++)
            pr[i] = (mix_pair){perm[k0 + i], (uint32_t)i};
        mix_pairs_sort(pr, m);
        ck_assert_int_eq(mix_afile_scatter(af, MIX_PL_P(N), pr, m, h + k0), EVOTE_OK);
        if (k0 == 0)
            break;
    }
    ck_assert_int_eq(mix_fin_of_fd(&f, evote_afile_fd(af), "u.bt"), EVOTE_OK);
    /* every slot holds the point sent to it */
    for (size_t i = 0; i < N; i += 997) {
        ck_assert_int_eq(mix_fin_points(&f, MIX_PL_P(N), perm[i], 1, &one), EVOTE_OK);
        ck_assert(mix_pt_eq(&one, &h[i]));
    }
    /* gather everything back through the permutation, in one call */
    for (size_t i = 0; i < N; i++)
        pr[i] = (mix_pair){perm[i], (uint32_t)i};
    mix_pairs_sort(pr, N);
    ck_assert_int_eq(mix_fin_gather(&f, MIX_PL_P(N), pr, N, got), EVOTE_OK);
    ck_assert_int_eq(memcmp(got, h, N * sizeof(*h)), 0);
    /* a few far-apart indices: one read each */
    pr[0] = (mix_pair){3, 0};
    pr[1] = (mix_pair){9000, 1};
    pr[2] = (mix_pair){19999, 2};
    ck_assert_int_eq(mix_fin_gather(&f, MIX_PL_P(N), pr, 3, got), EVOTE_OK);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(mix_fin_points(&f, MIX_PL_P(N), pr[k].idx, 1, &one), EVOTE_OK);
        ck_assert(mix_pt_eq(&got[k], &one));
    }
    /* a slot that holds no point is refused, naming its index */
    {
        uint8_t zero[MIX_PT_BT_LEN] = {0};
        ck_assert_int_eq(evote_afile_pwrite(af, zero, sizeof(zero),
                                            MIX_PL_P(N) + U64(9000) * MIX_PT_BT_LEN),
                         EVOTE_OK);
        ck_assert_int_ne(mix_fin_gather(&f, MIX_PL_P(N), pr, 3, got), EVOTE_OK);
        ck_assert_ptr_nonnull(strstr(evote_err_detail(), "element 9000"));
    }
    evote_afile_abort(af);
    free(h);
    free(got);
    free(pr);
    free(perm);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_file_changed_refused) {
    /* a file written to between the verifier's passes is refused */
    char dir[256], path[300];
    mix_fin f;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/x.bt", dir);
    evt_write(path, "abcd", 4);
    ck_assert_int_eq(mix_fin_open(&f, path, "x.bt"), EVOTE_OK);
    ck_assert_int_eq(mix_fin_unchanged(&f), EVOTE_OK);
    usleep(20000);
    FILE *fp = fopen(path, "r+b");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fputc('z', fp), 'z');
    fclose(fp);
    ck_assert_int_eq(mix_fin_unchanged(&f), EVOTE_ERR_IO);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "x.bt: changed"));
    mix_fin_close(&f);
    evt_rmrf(dir);
}
END_TEST

/* tests/vectors/mix.txt: "key = hex" lines */
static void kat(const char *key, uint8_t *out, size_t len) {
    size_t n;
    char *txt = (char *)evt_read(EVOTE_TEST_VECTORS "/mix.txt", &n);
    char pat[32];
    snprintf(pat, sizeof(pat), "\n%s = ", key);
    char *p = strstr(txt, pat);
    ck_assert_ptr_nonnull(p);
    p += strlen(pat);
    char *e = strchr(p, '\n');
    ck_assert_ptr_nonnull(e);
    *e = '\0';
    ck_assert_int_eq(evote_unhex(out, len, p), EVOTE_OK);
    free(txt);
}

/* The text after "key = " (into buf, at most EVOTE_MIX_SID_MAX bytes). */
static const char *kat_text(const char *key, char *buf) {
    size_t n;
    char *txt = (char *)evt_read(EVOTE_TEST_VECTORS "/mix.txt", &n);
    char pat[32];
    snprintf(pat, sizeof(pat), "\n%s = ", key);
    char *p = strstr(txt, pat);
    ck_assert_ptr_nonnull(p);
    p += strlen(pat);
    size_t len = strcspn(p, "\n");
    ck_assert_uint_le(len, EVOTE_MIX_SID_MAX);
    memcpy(buf, p, len);
    buf[len] = '\0';
    free(txt);
    return buf;
}

START_TEST(test_prefix_and_generators_kat) {
    evote_mix_params_t *p = NULL;
    uint8_t rho[32], want[33], h[20][33], rho_want[32];
    ck_assert_int_eq(evote_mix_params_read(&p, FIX20 "/protInfo.xml"), EVOTE_OK);
    ck_assert_int_eq(evote_mix_global_prefix(p, "default", rho), EVOTE_OK);
    kat("rho", rho_want, 32);
    ck_assert_mem_eq(rho, rho_want, 32);
    ck_assert_int_eq(evote_mix_generators(p, rho, 20, h), EVOTE_OK);
    kat("h0", want, 33);
    ck_assert_mem_eq(h[0], want, 33);
    kat("h1", want, 33);
    ck_assert_mem_eq(h[1], want, 33);
    kat("h19", want, 33);
    ck_assert_mem_eq(h[19], want, 33);
    /* generators are distinct valid points and a prefix of a longer list */
    uint8_t (*h40)[33] = malloc(40 * 33);
    ck_assert_int_eq(evote_mix_generators(p, rho, 40, h40), EVOTE_OK);
    ck_assert_mem_eq(h40, h, 20 * 33);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(evote_point_check(h40[i]), EVOTE_OK);
        for (int j = 0; j < i; j++)
            ck_assert_int_ne(memcmp(h40[i], h40[j], 33), 0);
    }
    free(h40);
    /* another auxsid is another prefix */
    uint8_t rho2[32];
    ck_assert_int_eq(evote_mix_global_prefix(p, "other", rho2), EVOTE_OK);
    ck_assert_int_ne(memcmp(rho, rho2, 32), 0);
    ck_assert_int_eq(evote_mix_global_prefix(p, "1bad", rho2), EVOTE_ERR_FORMAT);
    evote_mix_params_free(p);
}
END_TEST

START_TEST(test_fixture_under_other_sid_refused) {
    /* The same proof under another session id: the prefix, generators and
     * challenges change, so the fixture must not verify. */
    size_t len;
    char *xml = (char *)evt_read(FIX20 "/protInfo.xml", &len);
    char *s = strstr(xml, "<sid>MyDemo</sid>");
    ck_assert_ptr_nonnull(s);
    s[5] = 'N'; /* MyDemo -> NyDemo */
    evote_mix_params_t *p = NULL;
    ck_assert_int_eq(evote_mix_params_parse(&p, (uint8_t *)xml, len), EVOTE_OK);
    evote_mix_report_t rep;
    ck_assert_int_eq(evote_mix_verify_dir(p, FIX20 "/default", NULL, NULL, 0, NULL, &rep,
                                          NULL, NULL),
                     EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_uint_eq(rep.failed_party, 1);
    ck_assert_str_eq(rep.check, "PoS.A");
    evote_mix_params_free(p);
    free(xml);
}
END_TEST

/* ---- protInfo ----------------------------------------------------------- */

static evote_err_t parse_edited(const char *from, const char *to) {
    size_t len;
    char *xml = (char *)evt_read(FIX20 "/protInfo.xml", &len);
    char *s = strstr(xml, from);
    ck_assert_ptr_nonnull(s);
    size_t nl = len - strlen(from) + strlen(to);
    char *out = malloc(nl + 1);
    size_t pre = (size_t)(s - xml);
    memcpy(out, xml, pre);
    memcpy(out + pre, to, strlen(to));
    memcpy(out + pre + strlen(to), s + strlen(from), len - pre - strlen(from));
    evote_mix_params_t *p = NULL;
    evote_err_t rv = evote_mix_params_parse(&p, (uint8_t *)out, nl);
    if (rv == EVOTE_OK)
        ck_assert_ptr_nonnull(p);
    else
        ck_assert_ptr_null(p);
    evote_mix_params_free(p);
    free(out);
    free(xml);
    return rv;
}

START_TEST(test_protinfo_refusals) {
    static const char *const cases[][2] = {
        {"<version>3.1.0</version>", "<version>3.0.4</version>"},
        {"<sid>MyDemo</sid>", "<sid>1Demo</sid>"},
        {"<sid>MyDemo</sid>", "<sid>My-Demo</sid>"},
        {"<sid>MyDemo</sid>", ""},
        {"<statdist>100</statdist>", "<statdist>1000</statdist>"},
        {"<statdist>100</statdist>", "<statdist>0100</statdist>"},
        {"ECqPGroup(P-256)::", "ECqPGroup(P-384)::"},
        {"<prg>SHA-256</prg>", "<prg>SHA-512</prg>"},
        {"<rohash>SHA-256</rohash>", "<rohash>SHA-384</rohash>"},
        {"<width>1</width>", "<width>2</width>"},
        {"<keywidth>1</keywidth>", "<keywidth>2</keywidth>"},
        {"<vbitlenro>256</vbitlenro>", "<vbitlenro>257</vbitlenro>"},
        {"<ebitlenro>256</ebitlenro>", "<ebitlenro>x</ebitlenro>"},
        {"<corr>noninteractive</corr>", "<corr>interactive</corr>"},
        {"<nopart>1</nopart>", "<nopart>2</nopart>"},
        {"<thres>1</thres>", "<thres>2</thres>"},
        {"<width>1</width>", "<width>1</width><width>1</width>"},
        {"<width>1</width>", "<width>1</width><extra>1</extra>"},
        {"<width>1</width>", "<width>&#49;</width>"},
        {"<width>1</width>", "<width>1</wdth>"},
        {"</protocol>", "</protocol><protocol>"},
        {"<protocol>", "<protocol><<"},
        {"Swedish Election", "Swedish \xc3\xa9lection"},
        /* VMN's schema (PROTOCOL 14.1): every element, in order */
        {"<maxciph>0</maxciph>", ""},
        {"<vbitlen>128</vbitlen>", ""},
        {"<hint>127.0.0.1:4041</hint>", ""},
        {"<corr>noninteractive</corr>", ""},
        {"<keywidth>1</keywidth>", "<keywidth>1</keywidth><width>1</width>"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(parse_edited(cases[i][0], cases[i][1]) == EVOTE_ERR_PROTINFO,
                      "case %zu (%s) was not refused", i, cases[i][1]);
    /* unrelated edits keep it valid */
    ck_assert_int_eq(parse_edited("Swedish Election", "Another Name"), EVOTE_OK);
}
END_TEST

START_TEST(test_own_params_roundtrip) {
    char dir[256], path[300], sid[EVOTE_MIX_SID_MAX + 1], sid2[EVOTE_MIX_SID_MAX + 1];
    evote_mix_params_t *p = NULL, *q = NULL;
    evt_tmpdir(dir, sizeof(dir));
    ck_assert_int_eq(evote_mix_params_new(&p, "jp-2026", "district-tokyo-1", 3), EVOTE_OK);
    ck_assert_int_eq(evote_mix_sid(sid, "jp-2026", "district-tokyo-1"), EVOTE_OK);
    ck_assert_str_eq(evote_mix_params_sid(p), sid);
    ck_assert_uint_eq(strlen(sid), 65);
    ck_assert_int_eq(sid[0], 'E');
    ck_assert_str_eq(sid, kat_text("sid", sid2)); /* tests/vectors/mix.txt */
    ck_assert_int_eq(evote_mix_sid(sid2, "jp-2026", "district-tokyo-2"), EVOTE_OK);
    ck_assert_str_ne(sid, sid2);
    ck_assert_int_eq(evote_mix_sid(sid2, "jp-2026district", "-tokyo-1"), EVOTE_OK);
    ck_assert_str_ne(sid, sid2);
    snprintf(path, sizeof(path), "%s/protInfo.xml", dir);
    ck_assert_int_eq(evote_mix_params_write(p, path), EVOTE_OK);
    ck_assert_int_eq(evote_mix_params_read(&q, path), EVOTE_OK);
    ck_assert_str_eq(evote_mix_params_sid(q), sid);
    uint8_t r1[32], r2[32];
    ck_assert_int_eq(evote_mix_global_prefix(p, "default", r1), EVOTE_OK);
    ck_assert_int_eq(evote_mix_global_prefix(q, "default", r2), EVOTE_OK);
    ck_assert_mem_eq(r1, r2, 32);
    ck_assert_int_eq(evote_mix_params_new(&q, "e", "c", 0), EVOTE_ERR_ARG);
    evote_mix_params_free(p);
    evote_mix_params_free(q);
    evt_rmrf(dir);
}
END_TEST

/* ---- tampering with a fixture copy ----------------------------------------- */

static void copy_tree(const char *from, const char *to) {
    ck_assert_int_eq(evt_sh("cp -r '%s' '%s' && chmod -R u+w '%s'", from, to, to), 0);
}

static void flip(const char *path, size_t pos, uint8_t mask) {
    size_t len;
    uint8_t *d = evt_read(path, &len);
    ck_assert_uint_lt(pos, len);
    d[pos] ^= mask;
    evt_write(path, d, len);
    free(d);
}

static const char *const fixture_files[] = {
    "protInfo.xml",
    "default/version",
    "default/type",
    "default/auxsid",
    "default/width",
    "default/FullPublicKey.bt",
    "default/Ciphertexts.bt",
    "default/ShuffledCiphertexts.bt",
    "default/proofs/activethreshold",
    "default/proofs/Ciphertexts01.bt",
    "default/proofs/PermutationCommitment01.bt",
    "default/proofs/PoSCommitment01.bt",
    "default/proofs/PoSReply01.bt",
    "default/proofs/PolynomialInExponent.bt",
};

/* Positions of the values protInfo.xml's parameters are taken from. */
static bool in_used_value(const char *xml, size_t pos) {
    static const char *const tags[] = {"version", "sid",   "statdist", "pgroup",
                                       "vbitlenro", "ebitlenro", "prg", "rohash",
                                       "width",   "keywidth", "nopart", "thres", NULL};
    for (int i = 0; tags[i] != NULL; i++) {
        char open[32];
        snprintf(open, sizeof(open), "<%s>", tags[i]);
        const char *s = strstr(xml, open);
        if (s == NULL)
            continue;
        size_t a = (size_t)(s - xml) + strlen(open);
        const char *e = strchr(xml + a, '<');
        if (pos >= a && e != NULL && pos < (size_t)(e - xml))
            return true;
    }
    return false;
}

START_TEST(test_fixture_byte_flips_refused) {
    char dir[256], root[300], path[400];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(root, sizeof(root), "%s/fx", dir);
    copy_tree(FIX20, root);
    unsigned samples = evt_quick() ? 6 : 24, tried = 0;
    for (size_t f = 0; f < sizeof(fixture_files) / sizeof(fixture_files[0]); f++) {
        snprintf(path, sizeof(path), "%s/%s", root, fixture_files[f]);
        size_t len;
        char *orig = (char *)evt_read(path, &len);
        bool xml = f == 0;
        size_t positions[64], np = 0;
        if (xml) {
            /* every used value gets flips; elsewhere a non-ASCII byte */
            for (size_t p = 0; p < len && np < samples; p += 7)
                if (in_used_value(orig, p))
                    positions[np++] = p;
            for (size_t k = 0; k < samples / 2; k++)
                positions[np++] = (len - 1) * k / (samples / 2);
        } else {
            for (size_t k = 0; k < samples && k < len; k++)
                positions[np++] = len <= samples ? k : (len - 1) * k / (samples - 1);
        }
        for (size_t k = 0; k < np; k++) {
            uint8_t mask = xml && !in_used_value(orig, positions[k]) ? 0x80 : 0x01;
            flip(path, positions[k], mask);
            evote_mix_report_t rep;
            memset(&rep, 0, sizeof(rep));
            g_chunk = k % 3 == 0 ? 0 : k % 3 == 1 ? 1 : 7; /* also across chunks */
            evote_err_t rv = verify_fixture(root, &rep);
            g_chunk = 0;
            ck_assert_msg(rv != EVOTE_OK, "flip at %s:%zu accepted", fixture_files[f],
                          positions[k]);
            /* the refusal names the file that was changed (the copies of the
             * output name either of the two) */
            const char *base = strrchr(fixture_files[f], '/');
            base = base ? base + 1 : fixture_files[f];
            bool named = strstr(rep.file, base) != NULL ||
                         strstr(evote_err_detail(), base) != NULL ||
                         (strstr(base, "Ciphertexts") != NULL &&
                          strstr(rep.file, "Ciphertexts") != NULL) ||
                         /* session values are bound through the prefix ρ: a
                          * change surfaces as a failed proof equation */
                         ((strcmp(base, "auxsid") == 0 || xml) &&
                          strncmp(rep.check, "PoS.", 4) == 0);
            ck_assert_msg(named, "flip at %s:%zu: refusal names %s (%s)", fixture_files[f],
                          positions[k], rep.file, evote_err_detail());
            evt_write(path, orig, len); /* restore */
            tried++;
        }
        free(orig);
    }
    ck_assert_uint_ge(tried, 14 * 4);
    /* and the restored copy verifies again */
    evote_mix_report_t rep;
    ck_assert_int_eq(verify_fixture(root, &rep), EVOTE_OK);
    evt_rmrf(dir);
}
END_TEST


START_TEST(test_fixture_truncations_refused) {
    /* Every file cut short (or emptied, or removed) is refused, naming it. */
    char dir[256], root[300], path[400];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(root, sizeof(root), "%s/fx", dir);
    copy_tree(FIX20, root);
    for (size_t f = 0; f < sizeof(fixture_files) / sizeof(fixture_files[0]); f++) {
        snprintf(path, sizeof(path), "%s/%s", root, fixture_files[f]);
        size_t len;
        uint8_t *orig = evt_read(path, &len);
        /* protInfo.xml may lose its final newline: cut into </protocol> */
        size_t cuts[3] = {0, len / 2, f == 0 ? len - 3 : len - 1};
        for (int k = 0; k < 3; k++) {
            evt_write(path, orig, cuts[k]);
            evote_mix_report_t rep;
            memset(&rep, 0, sizeof(rep));
            ck_assert_msg(verify_fixture(root, &rep) != EVOTE_OK, "%s cut to %zu accepted",
                          fixture_files[f], cuts[k]);
        }
        /* optional files: VMN's key-generation output, and the last party's
         * own copy of its output (ShuffledCiphertexts.bt stands in for it) */
        if (f > 0 && strstr(fixture_files[f], "PolynomialInExponent") == NULL &&
            strstr(fixture_files[f], "Ciphertexts01") == NULL) {
            ck_assert_int_eq(unlink(path), 0);
            evote_mix_report_t rep;
            ck_assert_msg(verify_fixture(root, &rep) != EVOTE_OK, "%s missing accepted",
                          fixture_files[f]);
        }
        evt_write(path, orig, len);
        free(orig);
    }
    evote_mix_report_t rep;
    ck_assert_int_eq(verify_fixture(root, &rep), EVOTE_OK);
    evt_rmrf(dir);
}
END_TEST

/* ---- own proofs -------------------------------------------------------------- */

/* Random key x, PK = x·G, n ciphertexts of messages m_i·G with m_i = i + 1. */
static evote_ct_t *make_list(size_t n, BIGNUM *x, uint8_t pk[33]) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *P = EC_POINT_new(g), *M = EC_POINT_new(g), *C = EC_POINT_new(g);
    BIGNUM *r = BN_new(), *m = BN_new();
    evote_ct_t *cts = calloc(n, sizeof(*cts));
    ck_assert_int_eq(evote_scalar_random(x), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(g, P, x, NULL, NULL, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(pk, P, NULL), EVOTE_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(evote_scalar_random(r), EVOTE_OK);
        ck_assert_int_eq(BN_set_word(m, i + 1), 1);
        ck_assert_int_eq(EC_POINT_mul(g, C, r, NULL, NULL, NULL), 1);
        ck_assert_int_eq(evote_ec_encode(cts[i].c1, C, NULL), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_mul(g, M, m, P, r, NULL), 1); /* m·G + r·PK */
        ck_assert_int_eq(evote_ec_encode(cts[i].c2, M, NULL), EVOTE_OK);
    }
    EC_POINT_free(P);
    EC_POINT_free(M);
    EC_POINT_free(C);
    BN_free(r);
    BN_free(m);
    return cts;
}

/* Decrypt to message indices (m·G for small m) and check it is 1..n once each. */
static void check_plaintexts(const evote_ct_t *cts, size_t n, const BIGNUM *x) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *a = EC_POINT_new(g), *b = EC_POINT_new(g), *mg = EC_POINT_new(g);
    uint8_t *seen = calloc(n + 1, 1);
    uint8_t enc[33], cand[33];
    BIGNUM *m = BN_new();
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(evote_ec_decode(a, cts[i].c1, NULL), EVOTE_OK);
        ck_assert_int_eq(evote_ec_decode(b, cts[i].c2, NULL), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_mul(g, a, NULL, a, x, NULL), 1);
        ck_assert_int_eq(EC_POINT_invert(g, a, NULL), 1);
        ck_assert_int_eq(EC_POINT_add(g, b, b, a, NULL), 1);
        ck_assert_int_eq(evote_ec_encode(enc, b, NULL), EVOTE_OK);
        size_t found = 0;
        for (size_t k = 1; k <= n && !found; k++) {
            BN_set_word(m, k);
            EC_POINT_mul(g, mg, m, NULL, NULL, NULL);
            ck_assert_int_eq(evote_ec_encode(cand, mg, NULL), EVOTE_OK);
            if (memcmp(cand, enc, 33) == 0)
                found = k;
        }
        ck_assert_msg(found && !seen[found], "ciphertext %zu decrypts wrongly", i);
        seen[found] = 1;
    }
    free(seen);
    BN_free(m);
    EC_POINT_free(a);
    EC_POINT_free(b);
    EC_POINT_free(mg);
}

static evote_mix_params_t *own_params(void) {
    evote_mix_params_t *p = NULL;
    ck_assert_int_eq(evote_mix_params_new(&p, "test-election", "contest-a", 1), EVOTE_OK);
    return p;
}

static void roundtrip_chunks(size_t n, size_t c1, size_t c2) {
    char dir[256], chain[300];
    uint8_t pk[33];
    BIGNUM *x = BN_new();
    evote_ct_t *in = make_list(n, x, pk), *out = NULL;
    size_t nout = 0;
    evote_mix_params_t *p = own_params(), *dp = NULL;
    /* party 1 proves with chunk c1, is verified with c2, and the reverse
     * for party 2: the proof does not depend on how it was cut */
    evote_mix_opts_t o = {.chunk = c1}, o2 = {.chunk = c2};
    evote_mix_report_t rep;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(chain, sizeof(chain), "%s/chain", dir);
    ck_assert_msg(evote_mix_run(p, pk, in, n, 1, chain, &o) == EVOTE_OK, "%s",
                  evote_err_detail());
    /* verified both with our params and with the protInfo.xml written */
    char pi[400];
    snprintf(pi, sizeof(pi), "%s/protInfo.xml", chain);
    ck_assert_int_eq(evote_mix_params_read(&dp, pi), EVOTE_OK);
    ck_assert_msg(evote_mix_verify_dir(dp, chain, pk, in, n, &o2, &rep, &out, &nout) ==
                      EVOTE_OK,
                  "n=%zu: %s", n, evote_err_detail());
    ck_assert_uint_eq(nout, n);
    ck_assert_uint_eq(rep.parties, 1);
    check_plaintexts(out, n, x);
    free(out);
    evote_mix_params_free(dp);
    /* second party extends the chain */
    ck_assert_msg(evote_mix_run(p, pk, NULL, 0, 2, chain, &o2) == EVOTE_OK, "%s",
                  evote_err_detail());
    ck_assert_int_eq(evote_mix_params_read(&dp, pi), EVOTE_OK);
    ck_assert_msg(evote_mix_verify_dir(dp, chain, pk, in, n, &o, &rep, &out, &nout) ==
                      EVOTE_OK,
                  "n=%zu: %s", n, evote_err_detail());
    ck_assert_uint_eq(rep.parties, 2);
    check_plaintexts(out, n, x);
    if (n >= 3) /* re-encrypted: no output ciphertext equals an input one */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                ck_assert_int_ne(memcmp(out[i].c1, in[j].c1, 33), 0);
    free(out);
    evote_mix_params_free(dp);
    evote_mix_params_free(p);
    free(in);
    BN_free(x);
    evt_rmrf(dir);
}

static void roundtrip(size_t n) {
    roundtrip_chunks(n, 0, 0);
}

START_TEST(test_roundtrip_chunked) {
    static const size_t c[][2] = {{1, 7}, {3, 20}, {7, 1}, {19, 2}};
    roundtrip_chunks(20, c[_i][0], c[_i][1]);
}
END_TEST

START_TEST(test_roundtrip_small) {
    static const size_t ns[] = {1, 2, 3, 10};
    roundtrip(ns[_i]);
}
END_TEST

START_TEST(test_roundtrip_100) {
    roundtrip(evt_quick() ? 30 : 100);
}
END_TEST

/* A one-party chain of n ciphertexts in dir/chain; returns pk and input. */
static evote_ct_t *make_chain(const char *chain, size_t n, uint8_t pk[33]) {
    BIGNUM *x = BN_new();
    evote_ct_t *in = make_list(n, x, pk);
    evote_mix_params_t *p = own_params();
    ck_assert_int_eq(evote_mix_run(p, pk, in, n, 1, chain, NULL), EVOTE_OK);
    evote_mix_params_free(p);
    BN_free(x);
    return in;
}

static evote_err_t verify_chain(const char *chain, const uint8_t *pk, const evote_ct_t *in,
                                size_t n, evote_mix_report_t *rep) {
    evote_mix_params_t *p = own_params();
    evote_err_t rv = evote_mix_verify_dir(p, chain, pk, in, n, NULL, rep, NULL, NULL);
    evote_mix_params_free(p);
    return rv;
}

START_TEST(test_other_input_key_commitment_refused) {
    char dir[256], c1[300], c2[300], a[400], b[400];
    uint8_t pk1[33], pk2[33];
    evote_mix_report_t rep;
    size_t n = 8;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(c1, sizeof(c1), "%s/c1", dir);
    snprintf(c2, sizeof(c2), "%s/c2", dir);
    evote_ct_t *in1 = make_chain(c1, n, pk1);
    evote_ct_t *in2 = make_chain(c2, n, pk2);
    ck_assert_int_eq(verify_chain(c1, pk1, in1, n, &rep), EVOTE_OK);
    /* expected input, key: mismatch is refused before any proof work */
    ck_assert_int_eq(verify_chain(c1, pk1, in2, n, &rep), EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_str_eq(rep.file, "Ciphertexts.bt");
    ck_assert_int_eq(verify_chain(c1, pk2, in1, n, &rep), EVOTE_ERR_KEY_MISMATCH);
    ck_assert_str_eq(rep.file, "FullPublicKey.bt");
    /* a proof checked against another input list */
    snprintf(a, sizeof(a), "%s/Ciphertexts.bt", c1);
    snprintf(b, sizeof(b), "%s/Ciphertexts.bt", c2);
    ck_assert_int_eq(evt_sh("cp '%s' '%s'", b, a), 0);
    ck_assert_int_eq(verify_chain(c1, NULL, NULL, 0, &rep), EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_uint_eq(rep.failed_party, 1);
    evt_rmrf(dir);
    free(in1);
    free(in2);
}
END_TEST

/* Copy one file of chain c2 over c1 and expect the named check to fail. */
static void swap_file_refused(const char *name, const char *check_prefix) {
    char dir[256], c1[300], c2[300], a[400], b[400];
    uint8_t pk1[33], pk2[33];
    evote_mix_report_t rep;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(c1, sizeof(c1), "%s/c1", dir);
    snprintf(c2, sizeof(c2), "%s/c2", dir);
    free(make_chain(c1, 6, pk1));
    free(make_chain(c2, 6, pk2));
    snprintf(a, sizeof(a), "%s/%s", c1, name);
    snprintf(b, sizeof(b), "%s/%s", c2, name);
    ck_assert_int_eq(evt_sh("cp '%s' '%s'", b, a), 0);
    evote_err_t rv = verify_chain(c1, NULL, NULL, 0, &rep);
    ck_assert_msg(rv != EVOTE_OK, "%s from another proof accepted", name);
    ck_assert_msg(strncmp(rep.check, check_prefix, strlen(check_prefix)) == 0,
                  "%s: check %s", name, rep.check);
    evt_rmrf(dir);
}

START_TEST(test_other_public_key_refused) {
    swap_file_refused("FullPublicKey.bt", "PoS.");
}
END_TEST

START_TEST(test_other_permutation_commitment_refused) {
    swap_file_refused("proofs/PermutationCommitment01.bt", "PoS.");
}
END_TEST

START_TEST(test_wrong_permutation_refused) {
    /* The prover commits to a permutation other than the one it applied. */
    char dir[256], chain[300];
    uint8_t pk[33];
    BIGNUM *x = BN_new();
    size_t n = 10;
    evote_ct_t *in = make_list(n, x, pk);
    evote_mix_params_t *p = own_params();
    evote_mix_report_t rep;
    uint32_t wrong[10];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(chain, sizeof(chain), "%s/chain", dir);
    ck_assert_int_eq(mix_random_permutation(wrong, n), EVOTE_OK);
    ck_assert_int_eq(mix_run_common(p, pk, in, n, NULL, 1, chain, NULL, wrong), EVOTE_OK);
    ck_assert_int_eq(verify_chain(chain, pk, in, n, &rep), EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_uint_eq(rep.failed_party, 1);
    ck_assert_str_eq(rep.check, "PoS.F");
    /* the same with prover and verifier working 3 indices at a time */
    {
        evote_mix_opts_t o3 = {.chunk = 3};
        char chain3[320];
        snprintf(chain3, sizeof(chain3), "%s/chain3", dir);
        ck_assert_int_eq(mix_run_common(p, pk, in, n, NULL, 1, chain3, &o3, wrong), EVOTE_OK);
        ck_assert_int_eq(evote_mix_verify_dir(p, chain3, pk, in, n, &o3, &rep, NULL, NULL),
                         EVOTE_ERR_SHUFFLE_PROOF);
        ck_assert_str_eq(rep.check, "PoS.F");
    }
    evote_mix_params_free(p);
    free(in);
    BN_free(x);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_modified_output_refused) {
    /* Swap two output ciphertexts (every point stays valid). */
    char dir[256], chain[300], path[400];
    uint8_t pk[33];
    evote_mix_report_t rep;
    size_t n = 5, len;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(chain, sizeof(chain), "%s/chain", dir);
    evote_ct_t *in = make_chain(chain, n, pk);
    const char *names[] = {"proofs/Ciphertexts01.bt", "ShuffledCiphertexts.bt"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof(path), "%s/%s", chain, names[k]);
        uint8_t *d = evt_read(path, &len), tmp[81];
        /* first half: node(2) node(n) then 81-byte points */
        memcpy(tmp, d + 10, 81);
        memcpy(d + 10, d + 10 + 81, 81);
        memcpy(d + 10 + 81, tmp, 81);
        evt_write(path, d, len);
        free(d);
    }
    ck_assert_int_eq(verify_chain(chain, pk, in, n, &rep), EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_uint_eq(rep.failed_party, 1);
    ck_assert_str_eq(rep.file, "proofs/PoSReply01.bt");
    ck_assert_int_eq(strncmp(rep.check, "PoS.", 4), 0);
    /* only the final copy changed: the chain's output no longer matches */
    evt_rmrf(chain);
    free(in);
    in = make_chain(chain, n, pk);
    snprintf(path, sizeof(path), "%s/ShuffledCiphertexts.bt", chain);
    uint8_t *d = evt_read(path, &len), tmp[81];
    memcpy(tmp, d + 10, 81);
    memcpy(d + 10, d + 10 + 81, 81);
    memcpy(d + 10 + 81, tmp, 81);
    evt_write(path, d, len);
    free(d);
    ck_assert_int_eq(verify_chain(chain, pk, in, n, &rep), EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_str_eq(rep.check, "final output");
    free(in);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_chain_state_errors) {
    char dir[256], chain[300], other[300];
    uint8_t pk[33], pk2[33];
    BIGNUM *x = BN_new();
    evt_tmpdir(dir, sizeof(dir));
    snprintf(chain, sizeof(chain), "%s/chain", dir);
    snprintf(other, sizeof(other), "%s/none", dir);
    evote_ct_t *in = make_chain(chain, 3, pk);
    evote_ct_t *in2 = make_list(3, x, pk2);
    evote_mix_params_t *p = own_params(), *q = NULL;
    /* party 1 again, a gap, another key, another session, no chain */
    ck_assert_int_eq(evote_mix_run(p, pk, in, 3, 1, chain, NULL), EVOTE_ERR_EXISTS);
    ck_assert_int_eq(evote_mix_run(p, pk, NULL, 0, 3, chain, NULL), EVOTE_ERR_STATE);
    ck_assert_int_eq(evote_mix_run(p, pk2, NULL, 0, 2, chain, NULL), EVOTE_ERR_KEY_MISMATCH);
    /* a later party is given the box export list: not this chain's input */
    ck_assert_int_eq(evote_mix_run(p, pk, in2, 3, 2, chain, NULL), EVOTE_ERR_SHUFFLE_PROOF);
    ck_assert_int_eq(evote_mix_params_new(&q, "test-election", "contest-b", 1), EVOTE_OK);
    ck_assert_int_eq(evote_mix_run(q, pk, NULL, 0, 2, chain, NULL), EVOTE_ERR_PROTINFO);
    ck_assert_int_ne(evote_mix_run(p, pk, NULL, 0, 2, other, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_mix_run(p, pk, in, 3, 0, chain, NULL), EVOTE_ERR_ARG);
    /* verifying under the other session's parameters fails */
    evote_mix_report_t rep;
    ck_assert_int_eq(evote_mix_verify_dir(q, chain, NULL, NULL, 0, NULL, &rep, NULL, NULL),
                     EVOTE_ERR_SHUFFLE_PROOF);
    evote_mix_params_free(p);
    evote_mix_params_free(q);
    free(in);
    free(in2);
    BN_free(x);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_permutation_uniform_shape) {
    /* Every output is a permutation; over many draws every position takes
     * every value (n = 4: 24 permutations, 2000 draws). */
    uint32_t perm[4];
    unsigned count[4][4] = {{0}};
    for (int k = 0; k < 2000; k++) {
        ck_assert_int_eq(mix_random_permutation(perm, 4), EVOTE_OK);
        unsigned seen = 0;
        for (int i = 0; i < 4; i++) {
            ck_assert_uint_lt(perm[i], 4);
            seen |= 1u << perm[i];
            count[i][perm[i]]++;
        }
        ck_assert_uint_eq(seen, 15);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            ck_assert_uint_gt(count[i][j], 350); /* expected 500 */
}
END_TEST


/* ---- CLI -------------------------------------------------------------------- */

START_TEST(test_cli_fixtures) {
    char dir[256], root[300];
    ck_assert_int_eq(evt_sh("'%s' mix verify --protinfo '%s/protInfo.xml' '%s/default' "
                            ">/dev/null",
                            evt_cli(), FIX20, FIX20),
                     0);
    ck_assert_int_eq(evt_sh("'%s' mix verify --quiet --protinfo '%s/protInfo.xml' "
                            "'%s/default' >/dev/null",
                            evt_cli(), FIX1000, FIX1000),
                     0);
    evt_tmpdir(dir, sizeof(dir));
    snprintf(root, sizeof(root), "%s/fx", dir);
    copy_tree(FIX20, root);
    char path[400];
    snprintf(path, sizeof(path), "%s/default/proofs/PoSReply01.bt", root);
    flip(path, 48 + 4 * 38 + 20, 0x01); /* inside k_B,4 */
    ck_assert_int_eq(evt_sh("'%s' mix verify --protinfo '%s/protInfo.xml' '%s/default' "
                            "> '%s/out.txt' 2>&1",
                            evt_cli(), root, root, dir),
                     1);
    ck_assert_int_eq(evt_sh("grep -q 'FAILED: party 01, check PoS' '%s/out.txt'", dir), 0);
    ck_assert_int_eq(evt_sh("'%s' mix verify --help >/dev/null", evt_cli()), 0);
    ck_assert_int_eq(evt_sh("'%s' mix --help >/dev/null", evt_cli()), 0);
    ck_assert_int_eq(evt_sh("'%s' mix verify 2>/dev/null", evt_cli()), 2);
    ck_assert_int_eq(evt_sh("'%s' mix --party 1 2>/dev/null", evt_cli()), 2);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_cli_chain) {
    char dir[256], m[300], pkf[300], list[300], chain[300], fin[300];
    uint8_t pk[33];
    BIGNUM *x = BN_new();
    size_t n = 12;
    evote_ct_t *in = make_list(n, x, pk);
    evt_tmpdir(dir, sizeof(dir));
    snprintf(m, sizeof(m), "%s/manifest.json", dir);
    snprintf(pkf, sizeof(pkf), "%s/pk.pem", dir);
    snprintf(list, sizeof(list), "%s/box.bt", dir);
    snprintf(chain, sizeof(chain), "%s/mix", dir);
    snprintf(fin, sizeof(fin), "%s/final.bt", dir);
    evt_write_manifest(m, "cli-election");
    ck_assert_int_eq(evote_pubkey_write_pem(pkf, pk), EVOTE_OK);
    ck_assert_int_eq(evote_ctlist_write(list, in, n), EVOTE_OK);
    const char *cli = evt_cli();
#define COMMON "--manifest '%s' --contest district-tokyo-1 --pubkey '%s'"
    ck_assert_int_eq(evt_sh("'%s' mix " COMMON " --party 1 --in '%s' --out '%s' >/dev/null",
                            cli, m, pkf, list, chain),
                     0);
    ck_assert_int_eq(evt_sh("'%s' mix " COMMON " --party 2 --in '%s' --out '%s' --quiet "
                            ">/dev/null",
                            cli, m, pkf, list, chain),
                     0);
    ck_assert_int_eq(evt_sh("'%s' mix verify " COMMON " --in '%s' --final '%s' '%s' "
                            "> '%s/v.txt'",
                            cli, m, pkf, list, fin, chain, dir),
                     0);
    ck_assert_int_eq(evt_sh("grep -q 'through 2 parties' '%s/v.txt'", dir), 0);
    evote_ct_t *out = NULL;
    size_t nout = 0;
    ck_assert_int_eq(evote_ctlist_read(fin, &out, &nout), EVOTE_OK);
    ck_assert_uint_eq(nout, n);
    check_plaintexts(out, n, x);
    free(out);
    /* the chain's protInfo.xml verifies it as a VMN directory too */
    ck_assert_int_eq(evt_sh("'%s' mix verify --protinfo '%s/protInfo.xml' '%s' >/dev/null",
                            cli, chain, chain),
                     0);
    /* another contest is another session: refused */
    ck_assert_int_eq(evt_sh("'%s' mix verify --manifest '%s' --contest proportional-tokyo "
                            "--pubkey '%s' --in '%s' '%s' >/dev/null 2>&1",
                            cli, m, pkf, list, chain),
                     1);
    /* party 2's reply tampered: named */
    char path[400];
    snprintf(path, sizeof(path), "%s/proofs/PoSReply02.bt", chain);
    flip(path, 48 + 6 * 38 + 20, 0x01); /* inside k_B,6 */
    ck_assert_int_eq(evt_sh("'%s' mix verify " COMMON " --in '%s' '%s' > '%s/v.txt' 2>&1",
                            cli, m, pkf, list, chain, dir),
                     1);
    ck_assert_int_eq(evt_sh("grep -q 'FAILED: party 02, check PoS' '%s/v.txt'", dir), 0);
#undef COMMON
    free(in);
    BN_free(x);
    evt_rmrf(dir);
}
END_TEST

/* ---- own point arithmetic and Pippenger against OpenSSL ------------------- */

static void rand_point(mix_pt *out, EC_POINT *tmp, BIGNUM *k) {
    ck_assert_int_eq(evote_scalar_random(k), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(evote_ec_group(), tmp, k, NULL, NULL, NULL), 1);
    ck_assert_int_eq(mix_ec_to_pt(out, tmp, NULL), EVOTE_OK);
}

static void assert_jp_is(const mix_jp *j, const EC_POINT *want) {
    EC_POINT *got = EC_POINT_new(evote_ec_group());
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(mix_jp_to_ec(got, j), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_cmp(evote_ec_group(), got, want, NULL), 0);
    EC_POINT_free(got);
}

START_TEST(test_point_ops_vs_openssl) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *P = EC_POINT_new(g), *Q = EC_POINT_new(g), *W = EC_POINT_new(g);
    BIGNUM *k = BN_new();
    mix_pt p, q, r;
    mix_jp jp, jq, jr, jinf;
    mix_ap aq;
    ck_assert_ptr_nonnull(P);
    ck_assert_ptr_nonnull(Q);
    ck_assert_ptr_nonnull(W);
    ck_assert_ptr_nonnull(k);
    mix_jp_set_inf(&jinf);
    for (int it = 0; it < 20; it++) {
        rand_point(&p, P, k);
        rand_point(&q, Q, k);
        mix_jp_from_pt(&jp, &p);
        mix_jp_from_pt(&jq, &q);
        mix_ap_from_pt(&aq, &q);
        /* a Jacobian P with Z ≠ 1: 2P − P via doubling and (−P) */
        mix_jp_dbl(&jr, &jp);
        ck_assert_int_eq(EC_POINT_dbl(g, W, P, NULL), 1);
        assert_jp_is(&jr, W);
        /* P + Q, both formulas, also with Z ≠ 1 on the left */
        ck_assert_int_eq(EC_POINT_add(g, W, P, Q, NULL), 1);
        mix_jp_add(&jr, &jp, &jq);
        assert_jp_is(&jr, W);
        mix_jp_add_affine(&jr, &jp, &aq);
        assert_jp_is(&jr, W);
        mix_jp_dbl(&jr, &jp);
        mix_jp_add_affine(&jr, &jr, &aq); /* 2P + Q */
        ck_assert_int_eq(EC_POINT_dbl(g, W, P, NULL), 1);
        ck_assert_int_eq(EC_POINT_add(g, W, W, Q, NULL), 1);
        assert_jp_is(&jr, W);
        mix_jp_dbl(&jr, &jq);
        mix_jp_add(&jr, &jp, &jr); /* P + 2Q, both Z ≠ 1 after the double */
        ck_assert_int_eq(EC_POINT_dbl(g, W, Q, NULL), 1);
        ck_assert_int_eq(EC_POINT_add(g, W, W, P, NULL), 1);
        assert_jp_is(&jr, W);
        /* Q + Q through the addition formulas: the doubling branch */
        mix_jp_add(&jr, &jq, &jq);
        ck_assert_int_eq(EC_POINT_dbl(g, W, Q, NULL), 1);
        assert_jp_is(&jr, W);
        mix_jp_add_affine(&jr, &jq, &aq);
        assert_jp_is(&jr, W);
        mix_jp_dbl(&jr, &jq);
        mix_jp_add(&jr, &jr, &jr); /* 4Q with Z ≠ 1 */
        ck_assert_int_eq(EC_POINT_dbl(g, W, W, NULL), 1);
        assert_jp_is(&jr, W);
        /* Q + (−Q) = infinity, both formulas */
        mix_ap naq = aq;
        mix_jp njq;
        ck_assert_int_eq(EC_POINT_copy(W, Q), 1);
        ck_assert_int_eq(EC_POINT_invert(g, W, NULL), 1);
        ck_assert_int_eq(mix_ec_to_pt(&r, W, NULL), EVOTE_OK);
        mix_ap_from_pt(&naq, &r);
        mix_jp_from_pt(&njq, &r);
        mix_jp_add_affine(&jr, &jq, &naq);
        ck_assert(mix_jp_is_inf(&jr));
        mix_jp_add(&jr, &jq, &njq);
        ck_assert(mix_jp_is_inf(&jr));
        mix_jp_dbl(&jr, &jq);
        mix_jp_add(&jr, &jr, &njq);
        mix_jp_add(&jr, &jr, &njq); /* 2Q − Q − Q, Z ≠ 1 */
        ck_assert(mix_jp_is_inf(&jr));
        /* infinity on either side and doubled */
        mix_jp_add(&jr, &jinf, &jq);
        assert_jp_is(&jr, Q);
        mix_jp_add(&jr, &jq, &jinf);
        assert_jp_is(&jr, Q);
        mix_jp_add_affine(&jr, &jinf, &aq);
        assert_jp_is(&jr, Q);
        mix_jp_dbl(&jr, &jinf);
        ck_assert(mix_jp_is_inf(&jr));
        ck_assert(mix_jp_eq(&jinf, &jinf));
        ck_assert(!mix_jp_eq(&jinf, &jq));
        mix_jp_dbl(&jr, &jq);
        mix_jp_add(&jr, &jr, &njq); /* Q with Z ≠ 1 */
        ck_assert(mix_jp_eq(&jr, &jq));
        ck_assert(!mix_jp_eq(&jr, &jp));
        ck_assert_int_eq(mix_jp_to_pt(&r, &jr), EVOTE_OK);
        ck_assert(mix_pt_eq(&r, &q));
    }
    /* to affine refuses infinity */
    ck_assert_int_eq(mix_jp_to_pt(&r, &jinf), EVOTE_ERR_POINT_INFINITY);
    EC_POINT_free(P);
    EC_POINT_free(Q);
    EC_POINT_free(W);
    BN_free(k);
}
END_TEST

/* Scalar shapes: 0 random, 1 zero, 2 one, 3 n−1, 4 128-bit, 5 mixed. */
static void fill_scalars(mix_sc *k, size_t n, int shape) {
    BIGNUM *x = BN_new();
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++) {
        int sh = shape == 5 ? (int)(i % 5) : shape;
        switch (sh) {
        case 0:
            ck_assert_int_eq(evote_scalar_random(x), EVOTE_OK);
            break;
        case 1:
            BN_zero(x);
            break;
        case 2:
            ck_assert_int_eq(BN_one(x), 1);
            break;
        case 3:
            ck_assert_ptr_nonnull(BN_copy(x, evote_ec_order()));
            ck_assert_int_eq(BN_sub_word(x, 1), 1);
            break;
        default:
            ck_assert_int_eq(BN_rand(x, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), 1);
        }
        ck_assert_int_eq(BN_bn2binpad(x, k[i].b, 32), 32);
    }
    BN_free(x);
}

START_TEST(test_msm_vs_openssl) {
    static const size_t sizes[] = {1, 2, 3, 17, 300, 5000};
    const EC_GROUP *g = evote_ec_group();
    size_t nmax = 5000;
    mix_pt *pts = malloc(nmax * sizeof(*pts));
    mix_sc *k = malloc(nmax * sizeof(*k));
    EC_POINT *T = EC_POINT_new(g), *A = EC_POINT_new(g), *B = EC_POINT_new(g);
    BIGNUM *x = BN_new();
    ck_assert(pts && k && T && A && B && x);
    for (size_t i = 0; i < nmax; i++) {
        if (i % 7 == 3 && i > 0)
            pts[i] = pts[i - 1]; /* repeated points: bucket doublings */
        else if (i % 11 == 5) {  /* P and −P: cancellations */
            ck_assert_int_eq(mix_pt_to_ec(T, &pts[i - 1], NULL), EVOTE_OK);
            ck_assert_int_eq(EC_POINT_invert(g, T, NULL), 1);
            ck_assert_int_eq(mix_ec_to_pt(&pts[i], T, NULL), EVOTE_OK);
        } else
            rand_point(&pts[i], T, x);
    }
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t n = sizes[si];
        if (evt_quick() && n > 300)
            continue;
        for (int shape = 0; shape <= 5; shape++) {
            fill_scalars(k, n, shape);
            if (shape == 4 && n > 2)
                k[2] = k[1]; /* equal scalars on equal points */
            for (unsigned th = 1; th <= 2; th++) {
                ck_assert_int_eq(mix_msm(A, pts, 0, k, n, th), EVOTE_OK);
                ck_assert_int_eq(mix_msm_ossl(B, pts, 0, k, n, th), EVOTE_OK);
                ck_assert_int_eq(EC_POINT_cmp(g, A, B, NULL), 0);
            }
        }
        /* all ones */
        ck_assert_int_eq(mix_msm(A, pts, 0, NULL, n, 2), EVOTE_OK);
        ck_assert_int_eq(mix_msm_ossl(B, pts, 0, NULL, n, 1), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_cmp(g, A, B, NULL), 0);
    }
    /* P·1 + P·(n−1) = infinity through the buckets */
    pts[1] = pts[0];
    fill_scalars(k, 1, 2);
    fill_scalars(k + 1, 1, 3);
    ck_assert_int_eq(mix_msm(A, pts, 0, k, 2, 1), EVOTE_OK);
    ck_assert(EC_POINT_is_at_infinity(g, A));
    /* the window grows with n, within bounds */
    ck_assert_uint_ge(mix_msm_window(80000), mix_msm_window(1000));
    ck_assert_uint_le(mix_msm_window((size_t)1 << 40), 15);
    free(pts);
    free(k);
    EC_POINT_free(T);
    EC_POINT_free(A);
    EC_POINT_free(B);
    BN_free(x);
}
END_TEST

struct fill_arg {
    const mix_sc *k[3];
};

static evote_err_t fill_from(void *arg, size_t seg, size_t start, size_t m, mix_sc *out) {
    struct fill_arg *f = arg;
    memcpy(out, f->k[seg] + start, m * sizeof(*out));
    return EVOTE_OK;
}

START_TEST(test_msm_segments) {
    const EC_GROUP *g = evote_ec_group();
    size_t n = evt_quick() ? 700 : 3000;
    mix_pt *pts = malloc(3 * n * sizeof(*pts));
    mix_sc *k = malloc(3 * n * sizeof(*k));
    EC_POINT *T = EC_POINT_new(g), *A = EC_POINT_new(g), *S = EC_POINT_new(g);
    BIGNUM *x = BN_new();
    mix_jp r;
    ck_assert(pts && k && T && A && S && x);
    for (size_t i = 0; i < 3 * n; i++)
        rand_point(&pts[i], T, x);
    fill_scalars(k, 3 * n, 5);
    struct fill_arg fa = {{NULL, k + n, NULL}};
    /* segment 0 explicit scalars, 1 from the callback, 2 all ones (stride 2) */
    mix_msm_seg seg[3] = {{pts, 0, k, n, false},
                          {pts + n, 0, NULL, n, true},
                          {pts + 2 * n, 2 * sizeof(mix_pt), NULL, n / 2, false}};
    for (unsigned th = 1; th <= 2; th++) {
        ck_assert_int_eq(mix_msm_segs(&r, seg, 3, fill_from, &fa, th), EVOTE_OK);
        ck_assert_int_eq(mix_msm_ossl(S, pts, 0, k, 2 * n, 1), EVOTE_OK);
        ck_assert_int_eq(mix_msm_ossl(T, pts + 2 * n, 2 * sizeof(mix_pt), NULL, n / 2, 1),
                         EVOTE_OK);
        ck_assert_int_eq(EC_POINT_add(g, S, S, T, NULL), 1);
        assert_jp_is(&r, S);
    }
    free(pts);
    free(k);
    EC_POINT_free(T);
    EC_POINT_free(A);
    EC_POINT_free(S);
    BN_free(x);
}
END_TEST

START_TEST(test_scalar_arith_vs_bn) {
    const BIGNUM *q = evote_ec_order();
    BIGNUM *a = BN_new(), *b = BN_new(), *w = BN_new(), *got = BN_new();
    BN_CTX *bn = BN_CTX_new();
    ck_assert(a && b && w && got && bn);
    for (int it = 0; it < 200; it++) {
        mix_sc sa, sb, sr;
        mix_sn na, nb, nr, nbm;
        int shape = it % 4;
        fill_scalars(&sa, 1, it % 6 == 5 ? 0 : it % 6);
        fill_scalars(&sb, 1, shape == 0 ? 3 : 0);
        ck_assert_ptr_nonnull(BN_bin2bn(sa.b, 32, a));
        ck_assert_ptr_nonnull(BN_bin2bn(sb.b, 32, b));
        mix_sn_from_sc(&na, &sa);
        mix_sn_from_sc(&nb, &sb);
        /* a·b through a Montgomery-form b */
        mix_sn_to_mont(&nbm, &nb);
        mix_sn_mont(&nr, &na, &nbm);
        mix_sn_to_sc(&sr, &nr);
        ck_assert_int_eq(BN_mod_mul(w, a, b, q, bn), 1);
        ck_assert_ptr_nonnull(BN_bin2bn(sr.b, 32, got));
        ck_assert_int_eq(BN_cmp(w, got), 0);
        mix_sn_add(&nr, &na, &nb);
        mix_sn_to_sc(&sr, &nr);
        ck_assert_int_eq(BN_mod_add(w, a, b, q, bn), 1);
        ck_assert_ptr_nonnull(BN_bin2bn(sr.b, 32, got));
        ck_assert_int_eq(BN_cmp(w, got), 0);
        mix_sn_sub(&nr, &na, &nb);
        mix_sn_to_sc(&sr, &nr);
        ck_assert_int_eq(BN_mod_sub(w, a, b, q, bn), 1);
        ck_assert_ptr_nonnull(BN_bin2bn(sr.b, 32, got));
        ck_assert_int_eq(BN_cmp(w, got), 0);
    }
    BN_free(a);
    BN_free(b);
    BN_free(w);
    BN_free(got);
    BN_CTX_free(bn);
}
END_TEST

START_TEST(test_on_curve_vs_openssl) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *T = EC_POINT_new(g);
    BIGNUM *k = BN_new();
    mix_pt p, q;
    static const uint8_t pbe[32] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0,
                                    0,    0,    0,    0,    0, 0, 0, 0, 0, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ck_assert(T && k);
    for (int it = 0; it < 50; it++) {
        rand_point(&p, T, k);
        ck_assert(mix_pt_on_curve(&p));
        ck_assert_int_eq(mix_pt_to_ec(T, &p, NULL), EVOTE_OK);
        q = p;
        q.y[it % 32] ^= (uint8_t)(1u << (it % 8));
        ck_assert(!mix_pt_on_curve(&q));
        ck_assert_int_ne(mix_pt_to_ec(T, &q, NULL), EVOTE_OK);
        q = p;
        q.x[31 - it % 32] ^= 0x10;
        ck_assert(!mix_pt_on_curve(&q));
    }
    /* coordinates p and above are refused even if they reduce to a point */
    mix_generator(&p);
    q = p;
    memcpy(q.x, pbe, 32);
    ck_assert(!mix_pt_on_curve(&q));
    q = p;
    memset(q.y, 0xff, 32);
    ck_assert(!mix_pt_on_curve(&q));
    ck_assert(mix_pt_on_curve(&p));
    EC_POINT_free(T);
    BN_free(k);
}
END_TEST

START_TEST(test_decompress_vs_openssl) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *T = EC_POINT_new(g), *U = EC_POINT_new(g);
    BIGNUM *k = BN_new();
    uint8_t enc[33];
    mix_pt p, q;
    ck_assert(T && U && k);
    for (int it = 0; it < 60; it++) {
        rand_point(&p, T, k);
        ck_assert_int_eq(evote_ec_encode(enc, T, NULL), EVOTE_OK);
        ck_assert_int_eq(mix_pt_from_compressed(&q, enc), EVOTE_OK);
        ck_assert(mix_pt_eq(&p, &q));
        /* an x with no point, or a flipped bit: same verdict as OpenSSL */
        enc[1 + it % 32] ^= (uint8_t)(1u << (it % 8));
        evote_err_t want = evote_ec_decode(U, enc, NULL);
        ck_assert_int_eq(mix_pt_from_compressed(&q, enc), want);
        if (want == EVOTE_OK) {
            ck_assert_int_eq(mix_ec_to_pt(&p, U, NULL), EVOTE_OK);
            ck_assert(mix_pt_eq(&p, &q));
        }
    }
    memset(enc, 0xff, sizeof(enc));
    enc[0] = 0x02;
    ck_assert_int_eq(mix_pt_from_compressed(&q, enc), EVOTE_ERR_POINT_INVALID);
    enc[0] = 0x04;
    ck_assert_int_eq(mix_pt_from_compressed(&q, enc), EVOTE_ERR_POINT_INVALID);
    EC_POINT_free(T);
    EC_POINT_free(U);
    BN_free(k);
}
END_TEST

/* fast and portable results equal, and equal to the BIGNUM result */
static void expect_fe(const fe *fast, const fe *portable, const BIGNUM *want) {
    uint8_t w[32], got[32];
    ck_assert_mem_eq(fast->v, portable->v, 32);
    ck_assert_int_eq(BN_bn2binpad(want, w, 32), 32);
    fe_to_bytes(got, fast);
    ck_assert_mem_eq(got, w, 32);
}

/* The field operations the point arithmetic runs on (x86-64: assembly and
 * add-with-carry intrinsics) against the portable C versions and against
 * BIGNUM arithmetic mod p, on random elements and on the edges (0, 1,
 * p−1, p−2, 2^255, values with all-ones or all-zero limbs). */
START_TEST(test_field_ops_vs_portable_and_bn) {
    BIGNUM *p = BN_new(), *x = BN_new(), *y = BN_new(), *z = BN_new();
    BN_CTX *bn = BN_CTX_new();
    static const char *edges[] = {
        "0", "1", "2",
        "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFE",
        "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFD",
        "8000000000000000000000000000000000000000000000000000000000000000",
        "FFFFFFFF00000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "00000000FFFFFFFF00000000000000000000000000000000FFFFFFFF00000000",
        "FFFFFFFFFFFFFFFF", "10000000000000000"};
    const size_t ne = sizeof(edges) / sizeof(edges[0]);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_ptr_nonnull(z);
    ck_assert_ptr_nonnull(bn);
    ck_assert_int_ne(
        BN_hex2bn(&p, "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"), 0);
    for (size_t it = 0; it < 20000; it++) {
        uint8_t xb[32], yb[32];
        fe a, b, r1, r2;
        if (it < ne * ne) {
            ck_assert_int_ne(BN_hex2bn(&x, edges[it % ne]), 0);
            ck_assert_int_ne(BN_hex2bn(&y, edges[it / ne]), 0);
        } else {
            ck_assert_int_eq(BN_rand_range(x, p), 1);
            ck_assert_int_eq(BN_rand_range(y, p), 1);
        }
        ck_assert_int_eq(BN_bn2binpad(x, xb, 32), 32);
        ck_assert_int_eq(BN_bn2binpad(y, yb, 32), 32);
        fe_from_bytes(&a, xb);
        fe_from_bytes(&b, yb);
        fe_mul(&r1, &a, &b);
        fe_portable_mul(&r2, &a, &b);
        ck_assert_int_eq(BN_mod_mul(z, x, y, p, bn), 1);
        expect_fe(&r1, &r2, z);
        fe_sqr(&r1, &a);
        fe_portable_sqr(&r2, &a);
        ck_assert_int_eq(BN_mod_sqr(z, x, p, bn), 1);
        expect_fe(&r1, &r2, z);
        fe_add(&r1, &a, &b);
        fe_portable_add(&r2, &a, &b);
        ck_assert_int_eq(BN_mod_add(z, x, y, p, bn), 1);
        expect_fe(&r1, &r2, z);
        fe_sub(&r1, &a, &b);
        fe_portable_sub(&r2, &a, &b);
        ck_assert_int_eq(BN_mod_sub(z, x, y, p, bn), 1);
        expect_fe(&r1, &r2, z);
        fe_sub(&r1, &b, &a);
        fe_portable_sub(&r2, &b, &a);
        ck_assert_int_eq(BN_mod_sub(z, y, x, p, bn), 1);
        expect_fe(&r1, &r2, z);
    }
    BN_free(p);
    BN_free(x);
    BN_free(y);
    BN_free(z);
    BN_CTX_free(bn);
}
END_TEST

static Suite *mix_suite(void) {
    Suite *s = suite_create("mix");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_fixture_n20);
    tcase_add_test(tc, test_fixture_n1000);
    tcase_add_test(tc, test_fixture_chunked);
    tcase_add_test(tc, test_generator_stream);
    tcase_add_test(tc, test_secret_streams);
    tcase_add_test(tc, test_file_changed_refused);
    tcase_add_test(tc, test_gather_scatter_spans);
    tcase_add_test(tc, test_prefix_and_generators_kat);
    tcase_add_test(tc, test_fixture_under_other_sid_refused);
    tcase_add_test(tc, test_protinfo_refusals);
    tcase_add_test(tc, test_own_params_roundtrip);
    tcase_add_test(tc, test_fixture_byte_flips_refused);
    tcase_add_test(tc, test_fixture_truncations_refused);
    tcase_add_loop_test(tc, test_roundtrip_small, 0, 4);
    tcase_add_test(tc, test_roundtrip_100);
    tcase_add_loop_test(tc, test_roundtrip_chunked, 0, 4);
    tcase_add_test(tc, test_other_input_key_commitment_refused);
    tcase_add_test(tc, test_other_public_key_refused);
    tcase_add_test(tc, test_other_permutation_commitment_refused);
    tcase_add_test(tc, test_wrong_permutation_refused);
    tcase_add_test(tc, test_modified_output_refused);
    tcase_add_test(tc, test_chain_state_errors);
    tcase_add_test(tc, test_permutation_uniform_shape);
    tcase_add_test(tc, test_cli_fixtures);
    tcase_add_test(tc, test_cli_chain);
    suite_add_tcase(s, tc);
    TCase *ta = tcase_create("arith");
    tcase_set_timeout(ta, 300);
    tcase_add_test(ta, test_field_ops_vs_portable_and_bn);
    tcase_add_test(ta, test_point_ops_vs_openssl);
    tcase_add_test(ta, test_msm_vs_openssl);
    tcase_add_test(ta, test_msm_segments);
    tcase_add_test(ta, test_scalar_arith_vs_bn);
    tcase_add_test(ta, test_on_curve_vs_openssl);
    tcase_add_test(ta, test_decompress_vs_openssl);
    suite_add_tcase(s, ta);
    return s;
}

int main(void) { return evt_run_suite(mix_suite()) == 0 ? 0 : 1; }
