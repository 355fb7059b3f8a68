/* libevote — observer confirmation: one derive confirms a whole list. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "ceremony_internal.h"
#include "evote/confirm.h"
#include "internal.h"

#define TAG_PLAIN "libevote/v1/confirm-plaintexts"
#define TAG_SEED "libevote/v1/confirm-seed"
#define TAG_COEF "libevote/v1/confirm-coef"

struct evote_confirm {
    uint8_t q[EVOTE_POINT_LEN];
    uint8_t q_unc[65];
    size_t nt;
    char (*id)[EVOTE_ID_MAX + 1];
    uint8_t (*expected)[32];
    const char *mode;
};

void evote_confirm_free(evote_confirm_t *c) {
    if (c == NULL)
        return;
    free(c->id);
    free(c->expected);
    free(c);
}

void evote_confirm_query(const evote_confirm_t *c, uint8_t q[EVOTE_POINT_LEN]) {
    memcpy(q, c->q, EVOTE_POINT_LEN);
}

void evote_confirm_query_spki(const evote_confirm_t *c, uint8_t der[91]) {
    static const uint8_t prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    memcpy(der, prefix, sizeof(prefix));
    memcpy(der + 26, c->q_unc, 65);
}

/*
 * Normalise the observer's text: whitespace dropped; all of 1..6 → dice
 * (mode "dice", the digits as ASCII); else hex (mode "hex", the bytes).
 */
static evote_err_t parse_randomness(const char *in, size_t len, uint8_t **norm,
                                    size_t *nlen, const char **mode) {
    evote_err_t ret = EVOTE_OK;
    char *s = NULL;
    size_t k = 0;
    bool dice = true, hex = true;
    *norm = NULL;
    ENSURE(in != NULL, EVOTE_ERR_ARG, "no observer randomness");
    ALLOC_GUARD(s = malloc(len + 1));
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
            continue;
        s[k++] = ch;
        if (ch < '1' || ch > '6')
            dice = false;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
              (ch >= 'A' && ch <= 'F')))
            hex = false;
    }
    s[k] = '\0';
    ENSURE(k > 0 && (dice || hex), EVOTE_ERR_ARG,
           "observer randomness must be only hex digits or only dice rolls 1-6");
    if (dice && k >= EVOTE_CONFIRM_MIN_DICE) {
        *mode = "dice";
        *norm = (uint8_t *)s;
        *nlen = k;
        s = NULL;
        goto out;
    }
    ENSURE(hex, EVOTE_ERR_ARG, "need at least %d dice rolls, got %zu",
           EVOTE_CONFIRM_MIN_DICE, k);
    ENSURE(k >= EVOTE_CONFIRM_MIN_HEX && k % 2 == 0, EVOTE_ERR_ARG,
           "need an even number of at least %d hex digits (or %d dice rolls), got %zu",
           EVOTE_CONFIRM_MIN_HEX, EVOTE_CONFIRM_MIN_DICE, k);
    ALLOC_GUARD(*norm = malloc(k / 2));
    GUARD(evote_unhex(*norm, k / 2, s));
    *nlen = k / 2;
    *mode = "hex";
out:
    if (ret != EVOTE_OK) {
        free(*norm);
        *norm = NULL;
    }
    if (s != NULL) {
        OPENSSL_cleanse(s, len + 1);
        free(s);
    }
    return ret;
}

static evote_err_t coef(BIGNUM *out, const uint8_t seed[32], uint64_t i, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    uint8_t i8[8], d[32];
    evote_put_u64be(i8, i);
    GUARD(evote_hash_new(&h, TAG_COEF));
    GUARD(evote_hash_field(h, seed, 32));
    GUARD(evote_hash_field(h, i8, 8));
    ret = evote_hash_final(h, d);
    h = NULL;
    GUARD(ret);
    GUARD(evote_scalar_from_hash(out, d, bn));
    ENSURE(!BN_is_zero(out), EVOTE_ERR_INTERNAL, "zero coefficient");
out:
    evote_hash_free(h);
    return ret;
}

evote_err_t evote_confirm_new(evote_confirm_t **out, const char *rnd, size_t rlen,
                              const evote_decryption_t *dec, const evote_ct_t *cts,
                              size_t n, const evote_trustee_share_t *shares, size_t ns,
                              evote_partial_t *const *parts, size_t np) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    evote_confirm_t *c = NULL;
    uint8_t *norm = NULL, seed[32], ph[32], n8[8];
    size_t nlen = 0;
    const char *mode = NULL;
    evote_hash_t *h = NULL;
    BN_CTX *bn = NULL;
    BIGNUM *a = NULL, *b = NULL;
    EC_POINT *q = NULL, *pt = NULL, *sum = NULL, **e = NULL, *tmp = NULL;
    const evote_partial_t **order = NULL;
    static const uint8_t zero[EVOTE_POINT_LEN];

    ENSURE(out != NULL && dec != NULL && cts != NULL && shares != NULL && ns > 0 &&
               n == dec->n && n > 0,
           EVOTE_ERR_ARG, "confirm: bad argument (list and decryption lengths differ?)");
    *out = NULL;
    ENSURE(np == ns || (np == 0 && ns == 1), EVOTE_ERR_ARG,
           "%zu trustees need %zu partial decryptions, got %zu", ns, ns, np);
    GUARD(parse_randomness(rnd, rlen, &norm, &nlen, &mode));

    /* Bind the parts to this list exactly as combine does. */
    ALLOC_GUARD(order = calloc(ns, sizeof(*order)));
    for (size_t k = 0; k < np; k++) {
        const evote_partial_t *p = parts[k];
        size_t i = 0;
        while (i < ns && strcmp(shares[i].id, evote_partial_trustee(p)) != 0)
            i++;
        ENSURE(i < ns && order[i] == NULL, EVOTE_ERR_KEY_MISMATCH,
               "partial decryption of \"%s\": not a trustee or given twice",
               evote_partial_trustee(p));
        ENSURE(memcmp(shares[i].pk, evote_partial_pk(p), EVOTE_POINT_LEN) == 0,
               EVOTE_ERR_KEY_MISMATCH, "partial of \"%s\" names another key", shares[i].id);
        ENSURE(memcmp(evote_partial_list_hash(p), dec->list_hash, 32) == 0 &&
                   memcmp(evote_partial_manifest_hash(p), dec->manifest_hash, 32) == 0 &&
                   strcmp(evote_partial_contest(p), dec->contest_id) == 0 &&
                   evote_partial_count(p) == n,
               EVOTE_ERR_DIGEST_MISMATCH, "partial of \"%s\" is of another list",
               shares[i].id);
        order[i] = p;
    }

    /* Hash of the published plaintexts, in list order. */
    GUARD(evote_hash_new(&h, TAG_PLAIN));
    evote_put_u64be(n8, n);
    GUARD(evote_hash_field(h, n8, 8));
    for (size_t j = 0; j < n; j++)
        GUARD(evote_hash_field(h, dec->plaintext[j], EVOTE_POINT_LEN));
    ret = evote_hash_final(h, ph);
    h = NULL;
    GUARD(ret);
    GUARD(evote_hash_new(&h, TAG_SEED));
    GUARD(evote_hash_field(h, mode, strlen(mode)));
    GUARD(evote_hash_field(h, norm, nlen));
    GUARD(evote_hash_field(h, dec->manifest_hash, 32));
    GUARD(evote_hash_field(h, dec->contest_id, strlen(dec->contest_id)));
    GUARD(evote_hash_field(h, dec->list_hash, 32));
    GUARD(evote_hash_field(h, ph, 32));
    ret = evote_hash_final(h, seed);
    h = NULL;
    GUARD(ret);

    ALLOC_GUARD(c = calloc(1, sizeof(*c)));
    c->mode = mode;
    c->nt = ns;
    ALLOC_GUARD(c->id = calloc(ns, sizeof(*c->id)));
    ALLOC_GUARD(c->expected = calloc(ns, sizeof(*c->expected)));
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(a = BN_new());
    ALLOC_GUARD(b = BN_new());
    ALLOC_GUARD(q = EC_POINT_new(g));
    ALLOC_GUARD(pt = EC_POINT_new(g));
    ALLOC_GUARD(sum = EC_POINT_new(g));
    ALLOC_GUARD(tmp = EC_POINT_new(g));
    ALLOC_GUARD(e = calloc(ns, sizeof(*e)));
    GUARD(coef(a, seed, 0, bn));
    OSSL_GUARD(EC_POINT_mul(g, q, a, NULL, NULL, bn)); /* a·G */
    for (size_t i = 0; i < ns; i++) {
        ALLOC_GUARD(e[i] = EC_POINT_new(g));
        GUARD(evote_ec_decode(pt, shares[i].pk, bn));
        OSSL_GUARD(EC_POINT_mul(g, e[i], NULL, pt, a, bn)); /* a·PK_i */
        strcpy(c->id[i], shares[i].id);
    }
    for (size_t j = 0; j < n; j++) {
        GUARD(coef(b, seed, (uint64_t)j + 1, bn));
        GUARD(evote_ec_decode(pt, cts[j].c1, bn));
        OSSL_GUARD(EC_POINT_mul(g, tmp, NULL, pt, b, bn));
        OSSL_GUARD(EC_POINT_add(g, q, q, tmp, bn));
        /* sum = C2_j − M_j must equal Σ_i D_ij */
        GUARD(evote_ec_decode(sum, cts[j].c2, bn));
        if (memcmp(dec->plaintext[j], zero, EVOTE_POINT_LEN) != 0) {
            GUARD(evote_ec_decode(pt, dec->plaintext[j], bn));
            OSSL_GUARD(EC_POINT_invert(g, pt, bn));
            OSSL_GUARD(EC_POINT_add(g, sum, sum, pt, bn));
        }
        if (np == 0) {
            ENSURE(!EC_POINT_is_at_infinity(g, sum), EVOTE_ERR_CONFIRM_FAILED,
                   "plaintext %zu equals C2: no part can explain it", j);
            OSSL_GUARD(EC_POINT_mul(g, tmp, NULL, sum, b, bn));
            OSSL_GUARD(EC_POINT_add(g, e[0], e[0], tmp, bn));
            continue;
        }
        for (size_t i = 0; i < ns; i++) {
            GUARD(evote_ec_decode(pt, evote_partial_part(order[i], j), bn));
            OSSL_GUARD(EC_POINT_mul(g, tmp, NULL, pt, b, bn));
            OSSL_GUARD(EC_POINT_add(g, e[i], e[i], tmp, bn));
            OSSL_GUARD(EC_POINT_invert(g, pt, bn));
            OSSL_GUARD(EC_POINT_add(g, sum, sum, pt, bn));
        }
        ENSURE(EC_POINT_is_at_infinity(g, sum), EVOTE_ERR_CONFIRM_FAILED,
               "published plaintext %zu is not C2 minus the published parts", j);
    }
    ENSURE(!EC_POINT_is_at_infinity(g, q), EVOTE_ERR_INTERNAL, "Q is infinity");
    GUARD(evote_ec_encode(c->q, q, bn));
    GUARD(evote_ec_encode_uncompressed(c->q_unc, q, bn));
    for (size_t i = 0; i < ns; i++) {
        uint8_t enc[EVOTE_POINT_LEN];
        ENSURE(!EC_POINT_is_at_infinity(g, e[i]), EVOTE_ERR_CONFIRM_FAILED,
               "expected value for %s is infinity", shares[i].id);
        GUARD(evote_ec_encode(enc, e[i], bn));
        memcpy(c->expected[i], enc + 1, 32);
    }
    *out = c;
    c = NULL;
out:
    if (e != NULL)
        for (size_t i = 0; i < ns; i++)
            EC_POINT_free(e[i]);
    free(e);
    free(order);
    evote_hash_free(h);
    if (norm != NULL) {
        OPENSSL_cleanse(norm, nlen);
        free(norm);
    }
    OPENSSL_cleanse(seed, sizeof(seed));
    BN_clear_free(a);
    BN_clear_free(b);
    EC_POINT_free(q);
    EC_POINT_free(pt);
    EC_POINT_free(sum);
    EC_POINT_free(tmp);
    BN_CTX_free(bn);
    evote_confirm_free(c);
    return ret;
}

static evote_err_t find_trustee(const evote_confirm_t *c, const char *id, size_t *i) {
    for (*i = 0; *i < c->nt; (*i)++)
        if (strcmp(c->id[*i], id) == 0)
            return EVOTE_OK;
    return evote_fail(EVOTE_ERR_NOT_FOUND, "trustee \"%s\" is not in the key record", id);
}

evote_err_t evote_confirm_expected(const evote_confirm_t *c, const char *id,
                                   uint8_t x[32]) {
    size_t i;
    if (c == NULL || id == NULL || x == NULL)
        return evote_fail(EVOTE_ERR_ARG, "confirm expected: bad argument");
    evote_err_t e = find_trustee(c, id, &i);
    if (e == EVOTE_OK)
        memcpy(x, c->expected[i], 32);
    return e;
}

evote_err_t evote_confirm_check(const evote_confirm_t *c, const char *id,
                                evote_derive_x_fn derive, void *ctx, uint8_t answer[32]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t x[32];
    size_t i;
    ENSURE(c != NULL && id != NULL && derive != NULL, EVOTE_ERR_ARG,
           "confirm check: bad argument");
    GUARD(find_trustee(c, id, &i));
    GUARD(derive(ctx, c->q, x));
    if (answer != NULL)
        memcpy(answer, x, 32);
    ENSURE(CRYPTO_memcmp(x, c->expected[i], 32) == 0, EVOTE_ERR_CONFIRM_FAILED,
           "trustee %s: the token's answer differs from the published decryption", id);
out:
    return ret;
}

const char *evote_confirm_mode(const evote_confirm_t *c) {
    return c != NULL ? c->mode : NULL;
}

/* ---- the confirmation file ------------------------------------------------ */

#define FMT_CONFIRMATION "libevote-confirmation/1"

const char *evote_confirm_verdict_name(evote_confirm_verdict_t v) {
    switch (v) {
    case EVOTE_CONFIRM_CONFIRMED: return "CONFIRMED";
    case EVOTE_CONFIRM_FAILED: return "FAILED";
    case EVOTE_CONFIRM_NOT_ASKED: return "NOT ASKED";
    }
    return "?";
}

static evote_err_t verdict_parse(const char *s, evote_confirm_verdict_t *v) {
    for (int k = 0; k <= 2; k++)
        if (s != NULL && strcmp(s, evote_confirm_verdict_name((evote_confirm_verdict_t)k)) == 0) {
            *v = (evote_confirm_verdict_t)k;
            return EVOTE_OK;
        }
    return EVOTE_ERR_FORMAT;
}

#define JSET(o, k, v)                                                          \
    ENSURE(json_object_set_new((o), (k), (v)) == 0, EVOTE_ERR_FORMAT,         \
           "confirmation: cannot store %s", (k))

evote_err_t evote_confirmation_write(const evote_confirmation_t *c, const char *path) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL, *arr;
    ENSURE(c != NULL && path != NULL && c->randomness != NULL &&
               (c->ntrustees == 0 || c->trustees != NULL),
           EVOTE_ERR_ARG, "confirmation write: bad argument");
    GUARD(evote_id_check(c->contest_id, "confirmation contest"));
    ALLOC_GUARD(o = json_object());
    JSET(o, "format", json_string(FMT_CONFIRMATION));
    JSET(o, "manifest_sha256", evote_json_hexstr(c->manifest_hash, EVOTE_HASH_LEN));
    JSET(o, "contest_id", json_string(c->contest_id));
    JSET(o, "input_sha256", evote_json_hexstr(c->input_sha256, EVOTE_HASH_LEN));
    JSET(o, "plaintexts_sha256", evote_json_hexstr(c->plaintexts_sha256, EVOTE_HASH_LEN));
    JSET(o, "mode", json_string(c->mode));
    JSET(o, "randomness", json_string(c->randomness));
    JSET(o, "query_point",
         c->have_q ? evote_json_hexstr(c->q, EVOTE_POINT_LEN) : json_null());
    ALLOC_GUARD(arr = json_array());
    JSET(o, "trustees", arr);
    for (size_t i = 0; i < c->ntrustees; i++) {
        const evote_confirmation_trustee_t *t = &c->trustees[i];
        json_t *e = json_object();
        ALLOC_GUARD(e);
        ENSURE(json_array_append_new(arr, e) == 0, EVOTE_ERR_NOMEM, "confirmation");
        GUARD(evote_id_check(t->trustee_id, "confirmation trustee"));
        JSET(e, "trustee_id", json_string(t->trustee_id));
        JSET(e, "token_answer", t->have_answer ? evote_json_hexstr(t->answer, 32) : json_null());
        JSET(e, "expected_x", t->have_expected ? evote_json_hexstr(t->expected, 32) : json_null());
        JSET(e, "verdict", json_string(evote_confirm_verdict_name(t->verdict)));
    }
    JSET(o, "verdict", json_string(evote_confirm_verdict_name(c->verdict)));
    JSET(o, "detail", json_string(c->detail));
    GUARD(evote_json_write(path, o, false));
out:
    json_decref(o);
    return ret;
}

void evote_confirmation_clear(evote_confirmation_t *c) {
    if (c == NULL)
        return;
    free(c->randomness);
    free(c->trustees);
    memset(c, 0, sizeof(*c));
}

/* obj[key]: hex of len bytes, or null (*have = false). */
static evote_err_t hex_or_null(json_t *obj, const char *key, uint8_t *out, size_t len,
                               bool *have, const char *where) {
    json_t *v = json_object_get(obj, key);
    *have = false;
    if (json_is_null(v))
        return EVOTE_OK;
    evote_err_t e = evote_json_hex(obj, key, out, len, where);
    if (e == EVOTE_OK)
        *have = true;
    return e;
}

evote_err_t evote_confirmation_read(evote_confirmation_t *out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "confirmation read: bad argument");
    memset(out, 0, sizeof(*out));
    GUARD(evote_json_load(path, FMT_CONFIRMATION, &o));
    GUARD(evote_json_hex(o, "manifest_sha256", out->manifest_hash, EVOTE_HASH_LEN, path));
    const char *cid = json_string_value(json_object_get(o, "contest_id"));
    ENSURE(cid != NULL && evote_id_check(cid, path) == EVOTE_OK, EVOTE_ERR_FORMAT,
           "%s: \"contest_id\" missing or not an id", path);
    strcpy(out->contest_id, cid);
    GUARD(evote_json_hex(o, "input_sha256", out->input_sha256, EVOTE_HASH_LEN, path));
    GUARD(evote_json_hex(o, "plaintexts_sha256", out->plaintexts_sha256, EVOTE_HASH_LEN,
                         path));
    const char *mode = json_string_value(json_object_get(o, "mode"));
    ENSURE(mode != NULL && (strcmp(mode, "hex") == 0 || strcmp(mode, "dice") == 0),
           EVOTE_ERR_FORMAT, "%s: \"mode\" must be \"hex\" or \"dice\"", path);
    strcpy(out->mode, mode);
    const char *rnd = json_string_value(json_object_get(o, "randomness"));
    ENSURE(rnd != NULL, EVOTE_ERR_FORMAT, "%s: \"randomness\" missing", path);
    ALLOC_GUARD(out->randomness = strdup(rnd));
    GUARD(hex_or_null(o, "query_point", out->q, EVOTE_POINT_LEN, &out->have_q, path));
    json_t *arr = json_object_get(o, "trustees");
    ENSURE(json_is_array(arr) && json_array_size(arr) <= 1000, EVOTE_ERR_FORMAT,
           "%s: \"trustees\" must be an array", path);
    out->ntrustees = json_array_size(arr);
    ALLOC_GUARD(out->trustees = calloc(out->ntrustees ? out->ntrustees : 1,
                                       sizeof(*out->trustees)));
    for (size_t i = 0; i < out->ntrustees; i++) {
        json_t *e = json_array_get(arr, i);
        evote_confirmation_trustee_t *t = &out->trustees[i];
        const char *id = json_string_value(json_object_get(e, "trustee_id"));
        ENSURE(id != NULL && evote_id_check(id, path) == EVOTE_OK, EVOTE_ERR_FORMAT,
               "%s: trustee %zu: \"trustee_id\" missing or not an id", path, i);
        strcpy(t->trustee_id, id);
        GUARD(hex_or_null(e, "token_answer", t->answer, 32, &t->have_answer, path));
        GUARD(hex_or_null(e, "expected_x", t->expected, 32, &t->have_expected, path));
        ENSURE(verdict_parse(json_string_value(json_object_get(e, "verdict")),
                             &t->verdict) == EVOTE_OK,
               EVOTE_ERR_FORMAT, "%s: trustee %s: bad \"verdict\"", path, id);
    }
    ENSURE(verdict_parse(json_string_value(json_object_get(o, "verdict")), &out->verdict) ==
               EVOTE_OK,
           EVOTE_ERR_FORMAT, "%s: bad \"verdict\"", path);
    const char *d = json_string_value(json_object_get(o, "detail"));
    snprintf(out->detail, sizeof(out->detail), "%s", d != NULL ? d : "");
out:
    if (ret != EVOTE_OK)
        evote_confirmation_clear(out);
    json_decref(o);
    return ret;
}
