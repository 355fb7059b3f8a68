/* Ballot encryption and verification rates, in ballots/s and in mul. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>

#include "bench.h"
#include "evote/evote.h"
#include "ballot_internal.h"
#include "internal.h"

static const char MANIFEST[] =
    "{\"format\":\"libevote-manifest/1\",\"election_id\":\"bench\",\"title\":\"bench\","
    "\"voting_window\":{\"opens\":\"2026-01-01T08:30:00+09:00\","
    "\"closes\":\"2026-01-02T20:00:00+09:00\"},"
    "\"contests\":[{\"id\":\"proportional-tokyo\",\"title\":\"p\",\"kind\":\"proportional\","
    "\"options\":[{\"id\":\"p1\",\"name\":\"a\"},{\"id\":\"p2\",\"name\":\"b\"},"
    "{\"id\":\"p3\",\"name\":\"c\"},{\"id\":\"p4\",\"name\":\"d\"}]}]}";

int bench_ballot(const struct bench_opts *o) {
    evote_manifest_t *m = NULL;
    const EC_GROUP *g = evote_ec_group();
    BIGNUM *sk = BN_new();
    EC_POINT *p = EC_POINT_new(g);
    uint8_t pk[EVOTE_POINT_LEN];
    size_t n = o->n ? o->n : 2000;
    evote_ballot_t *b = calloc(n, sizeof(*b));
    int rc = 1;

    if (b == NULL || sk == NULL || p == NULL ||
        evote_manifest_parse(&m, (const uint8_t *)MANIFEST, sizeof(MANIFEST) - 1) != EVOTE_OK ||
        evote_scalar_random(sk) != EVOTE_OK || EC_POINT_mul(g, p, sk, NULL, NULL, NULL) != 1 ||
        evote_ec_encode(pk, p, NULL) != EVOTE_OK)
        goto out;
    double mul = bench_mul_rate();

    double t0 = bench_now();
    for (size_t i = 0; i < n; i++)
        if (evote_ballot_encrypt(&b[i], m, "proportional-tokyo", pk, (uint32_t)(i % 4)) !=
            EVOTE_OK)
            goto out;
    double enc = (double)n / (bench_now() - t0);

    /* decode = parse the bytes, every point validated; verify = the proof
     * check (evote_ballot_check, which validates the points once more). */
    evote_ballot_t *d = calloc(n, sizeof(*d));
    if (d == NULL)
        goto out;
    t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[EVOTE_BALLOT_MAX];
        size_t len;
        if (evote_ballot_encode(&b[i], buf, sizeof(buf), &len) != EVOTE_OK ||
            evote_ballot_decode(&d[i], buf, len) != EVOTE_OK) {
            free(d);
            goto out;
        }
    }
    double dec = (double)n / (bench_now() - t0);
    t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        if (evote_ballot_check(&d[i], m, pk) != EVOTE_OK) {
            free(d);
            goto out;
        }
    }
    double ver = (double)n / (bench_now() - t0);
    /* the decryptor's share of the work after the token's derive:
     * lift x(sk·C1) to ±S and resolve (PROTOCOL §8.1) */
    uint8_t (*se)[EVOTE_POINT_LEN] = calloc(n, EVOTE_POINT_LEN);
    EC_POINT *q = EC_POINT_new(g);
    bool ok = se != NULL && q != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = evote_ec_decode(q, d[i].c1, NULL) == EVOTE_OK &&
             EC_POINT_mul(g, q, NULL, q, sk, NULL) == 1 &&
             evote_ec_encode(se[i], q, NULL) == EVOTE_OK;
    t0 = bench_now();
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t so[EVOTE_POINT_LEN], pt[EVOTE_POINT_LEN];
        uint32_t sel;
        se[i][0] = 0x02;
        memcpy(so, se[i], EVOTE_POINT_LEN);
        so[0] = 0x03;
        ok = evote_decrypt_resolve(d[i].c2, se[i], so, 4, pt, &sel) == EVOTE_OK &&
             sel == i % 4;
    }
    double res = (double)n / (bench_now() - t0);
    /* the same from uncompressed C2 and the raw x (evote_decrypt_resolve_x),
     * and the reference implementation on EC_POINTs, for comparison */
    uint8_t (*c2u)[65] = calloc(n, 65);
    ok = ok && c2u != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = evote_ec_decode(q, d[i].c2, NULL) == EVOTE_OK &&
             evote_ec_encode_uncompressed(c2u[i], q, NULL) == EVOTE_OK;
    t0 = bench_now();
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t pt[EVOTE_POINT_LEN];
        uint32_t sel;
        ok = evote_decrypt_resolve_x(c2u[i], se[i] + 1, 4, pt, &sel) == EVOTE_OK &&
             sel == i % 4;
    }
    double resx = (double)n / (bench_now() - t0);
    t0 = bench_now();
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t so[EVOTE_POINT_LEN], pt[EVOTE_POINT_LEN];
        uint32_t sel;
        memcpy(so, se[i], EVOTE_POINT_LEN);
        so[0] = 0x03;
        ok = evote_decrypt_resolve_generic(d[i].c2, se[i], so, 4, pt, &sel) == EVOTE_OK &&
             sel == i % 4;
    }
    double resg = (double)n / (bench_now() - t0);
    free(c2u);
    free(se);
    EC_POINT_free(q);
    free(d);
    if (!ok)
        goto out;
    double both = 1.0 / (1.0 / dec + 1.0 / ver);

    printf("ballot: %zu ballots, one thread\n", n);
    printf("ballot: encrypt %.0f ballots/s (%.2f mul per ballot)\n", enc, mul / enc);
    printf("ballot: decode %.0f ballots/s (%.2f mul per ballot)\n", dec, mul / dec);
    printf("ballot: verify proof %.0f ballots/s (%.2f mul per ballot)\n", ver, mul / ver);
    printf("ballot: decode+verify %.0f ballots/s (%.2f mul per ballot)\n", both, mul / both);
    printf("ballot: decrypt resolve (±S, decode) %.0f ballots/s (%.2f mul per ballot)\n", res,
           mul / res);
    printf("ballot: decrypt resolve_x (C2 uncompressed) %.0f ballots/s (%.2f mul per ballot)\n",
           resx, mul / resx);
    printf("ballot: decrypt resolve, EC_POINT reference %.0f ballots/s (%.2f mul per ballot)\n",
           resg, mul / resg);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench ballot: %s\n", evote_err_detail());
    free(b);
    BN_free(sk);
    EC_POINT_free(p);
    evote_manifest_free(m);
    return rc;
}
