/*
 * libevote — mix chain directories in Verificatum's proof layout
 * (VERIFICATUM.md "Proof directory"; docs/PROTOCOL.md §14): running one
 * party and verifying a whole chain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "mix_pos.h"

#define MIX_FILE_MAX ((size_t)EVOTE_CTLIST_MAX * 200)
#define PATH_CAP 4096

/* ---- containers ---------------------------------------------------------- */

evote_err_t mix_ctl_alloc(mix_ctl *c, size_t n) {
    evote_err_t ret = EVOTE_OK;
    c->n = n;
    c->a = c->b = NULL;
    ALLOC_GUARD(c->a = calloc(n ? n : 1, sizeof(mix_pt)));
    ALLOC_GUARD(c->b = calloc(n ? n : 1, sizeof(mix_pt)));
out:
    if (ret != EVOTE_OK)
        mix_ctl_free(c);
    return ret;
}

void mix_ctl_free(mix_ctl *c) {
    if (c == NULL)
        return;
    free(c->a);
    free(c->b);
    c->a = c->b = NULL;
    c->n = 0;
}

evote_err_t mix_commit_alloc(mix_commit *c, size_t n) {
    evote_err_t ret = EVOTE_OK;
    memset(c, 0, sizeof(*c));
    ALLOC_GUARD(c->B = calloc(n, sizeof(mix_pt)));
    ALLOC_GUARD(c->Bp = calloc(n, sizeof(mix_pt)));
out:
    if (ret != EVOTE_OK)
        mix_commit_free(c);
    return ret;
}

void mix_commit_free(mix_commit *c) {
    if (c == NULL)
        return;
    free(c->B);
    free(c->Bp);
    c->B = c->Bp = NULL;
}

evote_err_t mix_reply_alloc(mix_reply *r, size_t n) {
    evote_err_t ret = EVOTE_OK;
    memset(r, 0, sizeof(*r));
    ALLOC_GUARD(r->kB = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(r->kE = calloc(n, sizeof(mix_sc)));
out:
    if (ret != EVOTE_OK)
        mix_reply_free(r);
    return ret;
}

void mix_reply_free(mix_reply *r) {
    if (r == NULL)
        return;
    free(r->kB);
    free(r->kE);
    r->kB = r->kE = NULL;
}

/* ---- byte-tree files ---------------------------------------------------------- */

evote_err_t mix_ctl_parse(const uint8_t *data, size_t len, mix_ctl *out) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r, peek;
    uint32_t top, na;
    memset(out, 0, sizeof(*out));
    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &top));
    ENSURE(top == 2, EVOTE_ERR_BYTETREE, "ciphertext list: top node has %u children", top);
    peek = r;
    GUARD(evote_bt_read_node(&peek, &na));
    ENSURE(na >= 1 && na <= EVOTE_CTLIST_MAX, EVOTE_ERR_BYTETREE,
           "ciphertext list: %u ciphertexts is out of range", na);
    GUARD(mix_ctl_alloc(out, na));
    GUARD(mix_read_points(&r, out->a, na));
    GUARD(mix_read_points(&r, out->b, na));
    GUARD(evote_bt_read_end(&r));
out:
    if (ret != EVOTE_OK)
        mix_ctl_free(out);
    return ret;
}

evote_err_t mix_out_flush(mix_out *o, bool all) {
    evote_err_t ret = EVOTE_OK;
    if (o->f != NULL && o->b.len > 0 && (all || o->b.len >= MIX_OUT_CHUNK)) {
        GUARD(evote_afile_write(o->f, o->b.data, o->b.len));
        o->b.len = 0;
    }
out:
    return ret;
}

evote_err_t mix_ctl_serialize(const mix_ctl *c, mix_out *o) {
    evote_err_t ret = EVOTE_OK;
    GUARD(evote_bt_put_node(&o->b, 2));
    GUARD(mix_points_serialize(c->a, c->n, o));
    GUARD(mix_points_serialize(c->b, c->n, o));
out:
    return ret;
}

evote_err_t mix_points_parse(const uint8_t *data, size_t len, size_t n, mix_pt *out) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    evote_bt_reader_init(&r, data, len);
    GUARD(mix_read_points(&r, out, n));
    GUARD(evote_bt_read_end(&r));
out:
    return ret;
}

evote_err_t mix_points_serialize(const mix_pt *p, size_t n, mix_out *o) {
    evote_err_t ret = EVOTE_OK;
    GUARD(evote_bt_put_node(&o->b, (uint32_t)n));
    for (size_t i = 0; i < n; i++) {
        GUARD(mix_put_point(&o->b, &p[i]));
        GUARD(mix_out_flush(o, false));
    }
out:
    return ret;
}

evote_err_t mix_commit_parse(const uint8_t *data, size_t len, size_t n, mix_commit *c) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    uint32_t k;
    EC_POINT *tmp = NULL;
    BN_CTX *bn = NULL;
    ALLOC_GUARD(tmp = EC_POINT_new(evote_ec_group()));
    ALLOC_GUARD(bn = BN_CTX_new());
    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &k));
    ENSURE(k == 6, EVOTE_ERR_BYTETREE, "commitment has %u parts, expected 6", k);
    GUARD(mix_read_points(&r, c->B, n));
    GUARD(mix_read_point(&r, &c->Ap, tmp, bn));
    GUARD(mix_read_points(&r, c->Bp, n));
    GUARD(mix_read_point(&r, &c->Cp, tmp, bn));
    GUARD(mix_read_point(&r, &c->Dp, tmp, bn));
    GUARD(evote_bt_read_node(&r, &k));
    ENSURE(k == 2, EVOTE_ERR_BYTETREE, "F' has %u parts, expected 2", k);
    GUARD(mix_read_point(&r, &c->Fpa, tmp, bn));
    GUARD(mix_read_point(&r, &c->Fpb, tmp, bn));
    GUARD(evote_bt_read_end(&r));
out:
    EC_POINT_free(tmp);
    BN_CTX_free(bn);
    return ret;
}

evote_err_t mix_commit_serialize(const mix_commit *c, size_t n, mix_out *o) {
    evote_err_t ret = EVOTE_OK;
    GUARD(evote_bt_put_node(&o->b, 6));
    GUARD(mix_points_serialize(c->B, n, o));
    GUARD(mix_put_point(&o->b, &c->Ap));
    GUARD(mix_points_serialize(c->Bp, n, o));
    GUARD(mix_put_point(&o->b, &c->Cp));
    GUARD(mix_put_point(&o->b, &c->Dp));
    GUARD(evote_bt_put_node(&o->b, 2));
    GUARD(mix_put_point(&o->b, &c->Fpa));
    GUARD(mix_put_point(&o->b, &c->Fpb));
out:
    return ret;
}

static evote_err_t read_scalars(evote_bt_reader_t *r, mix_sc *out, size_t n) {
    evote_err_t ret = EVOTE_OK;
    uint32_t k;
    GUARD(evote_bt_read_node(r, &k));
    ENSURE(k == n, EVOTE_ERR_BYTETREE, "%u scalars, expected %zu", k, n);
    for (size_t i = 0; i < n; i++) {
        ret = mix_read_scalar(r, &out[i]);
        if (ret != EVOTE_OK) {
            char d[256];
            snprintf(d, sizeof(d), "%s", evote_err_detail());
            ret = evote_fail(ret, "scalar %zu: %s", i, d);
            goto out;
        }
    }
out:
    return ret;
}

evote_err_t mix_reply_parse(const uint8_t *data, size_t len, size_t n, mix_reply *rp) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    uint32_t k;
    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &k));
    ENSURE(k == 6, EVOTE_ERR_BYTETREE, "reply has %u parts, expected 6", k);
    GUARD(mix_read_scalar(&r, &rp->kA));
    GUARD(read_scalars(&r, rp->kB, n));
    GUARD(mix_read_scalar(&r, &rp->kC));
    GUARD(mix_read_scalar(&r, &rp->kD));
    GUARD(read_scalars(&r, rp->kE, n));
    GUARD(mix_read_scalar(&r, &rp->kF));
    GUARD(evote_bt_read_end(&r));
out:
    return ret;
}

static evote_err_t scalars_serialize(const mix_sc *k, size_t n, mix_out *o) {
    evote_err_t ret = EVOTE_OK;
    GUARD(evote_bt_put_node(&o->b, (uint32_t)n));
    for (size_t i = 0; i < n; i++) {
        GUARD(mix_put_scalar(&o->b, &k[i]));
        GUARD(mix_out_flush(o, false));
    }
out:
    return ret;
}

evote_err_t mix_reply_serialize(const mix_reply *r, size_t n, mix_out *o) {
    evote_err_t ret = EVOTE_OK;
    GUARD(evote_bt_put_node(&o->b, 6));
    GUARD(mix_put_scalar(&o->b, &r->kA));
    GUARD(scalars_serialize(r->kB, n, o));
    GUARD(mix_put_scalar(&o->b, &r->kC));
    GUARD(mix_put_scalar(&o->b, &r->kD));
    GUARD(scalars_serialize(r->kE, n, o));
    GUARD(mix_put_scalar(&o->b, &r->kF));
out:
    return ret;
}

/* ---- directory helpers ---------------------------------------------------------- */

static evote_err_t path_join(char *out, const char *dir, const char *name) {
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_CAP)
        return evote_fail(EVOTE_ERR_ARG, "path too long: %s/%s", dir, name);
    return EVOTE_OK;
}

static evote_err_t write_text(const char *dir, const char *name, const char *text) {
    char p[PATH_CAP];
    evote_err_t ret = path_join(p, dir, name);
    return ret != EVOTE_OK ? ret : evote_write_file_atomic(p, text, strlen(text), false, false);
}

/* A byte-tree file of the chain, streamed through o (mix_out) into a
 * temporary file and renamed into place by out_commit only when whole. */
static evote_err_t out_open(mix_out *o, const char *dir, const char *name) {
    char p[PATH_CAP];
    evote_err_t ret = path_join(p, dir, name);
    o->b.len = 0;
    return ret != EVOTE_OK ? ret : evote_afile_open(&o->f, p, false, false);
}

static evote_err_t out_commit(mix_out *o) {
    evote_err_t ret = mix_out_flush(o, true);
    if (ret != EVOTE_OK)
        return ret; /* o->f stays open: the caller's clean-up removes it */
    ret = evote_afile_commit(o->f);
    o->f = NULL;
    return ret;
}

/* Read a file of the directory; errors name the file. */
static evote_err_t read_in(const char *dir, const char *name, size_t max, uint8_t **data,
                           size_t *len) {
    char p[PATH_CAP];
    evote_err_t ret = path_join(p, dir, name);
    if (ret != EVOTE_OK)
        return ret;
    ret = evote_read_file(p, max, data, len);
    if (ret == EVOTE_ERR_NOT_FOUND)
        return evote_fail(EVOTE_ERR_NOT_FOUND, "%s: missing", name);
    return ret;
}

static evote_err_t read_text(const char *dir, const char *name, char *out, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *d = NULL;
    size_t len = 0;
    GUARD(read_in(dir, name, cap - 1, &d, &len));
    ENSURE(memchr(d, 0, len) == NULL, EVOTE_ERR_FORMAT, "%s: contains a NUL byte", name);
    memcpy(out, d, len);
    out[len] = '\0';
out:
    free(d);
    return ret;
}

static bool file_exists(const char *dir, const char *name) {
    char p[PATH_CAP];
    struct stat st;
    return path_join(p, dir, name) == EVOTE_OK && stat(p, &st) == 0;
}

static evote_err_t mkdir_p(const char *path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return evote_fail(EVOTE_ERR_IO, "mkdir %s: %s", path, strerror(errno));
    return EVOTE_OK;
}

/* FullPublicKey.bt = node(G, Y) */
static evote_err_t serialize_fpk(const mix_pt *Y, evote_buf_t *b) {
    evote_err_t ret = EVOTE_OK;
    mix_pt g;
    mix_generator(&g);
    GUARD(evote_bt_put_node(b, 2));
    GUARD(mix_put_point(b, &g));
    GUARD(mix_put_point(b, Y));
out:
    return ret;
}

static evote_err_t parse_fpk(const uint8_t *d, size_t len, mix_pt *Y) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    mix_pt kp[2], g;
    evote_bt_reader_init(&r, d, len);
    GUARD(mix_read_points(&r, kp, 2));
    GUARD(evote_bt_read_end(&r));
    mix_generator(&g);
    ENSURE(mix_pt_eq(&kp[0], &g), EVOTE_ERR_KEY_MISMATCH,
           "the basic public key is not the standard generator");
    *Y = kp[1];
out:
    return ret;
}

static evote_err_t ctl_from_cts(mix_ctl *c, const evote_ct_t *cts, size_t n) {
    evote_err_t ret = EVOTE_OK;
    GUARD(mix_ctl_alloc(c, n));
    for (size_t i = 0; i < n; i++) {
        GUARD(mix_pt_from_compressed(&c->a[i], cts[i].c1));
        GUARD(mix_pt_from_compressed(&c->b[i], cts[i].c2));
    }
out:
    if (ret != EVOTE_OK)
        mix_ctl_free(c);
    return ret;
}

/* Does the parsed list equal the given compressed ciphertexts? (No square
 * roots: compress the parsed points instead of decompressing the others.) */
static bool ctl_eq_cts(const mix_ctl *x, const evote_ct_t *cts, size_t n) {
    uint8_t c[EVOTE_POINT_LEN];
    if (x->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        mix_pt_to_compressed(c, &x->a[i]);
        if (memcmp(c, cts[i].c1, EVOTE_POINT_LEN) != 0)
            return false;
        mix_pt_to_compressed(c, &x->b[i]);
        if (memcmp(c, cts[i].c2, EVOTE_POINT_LEN) != 0)
            return false;
    }
    return true;
}

static bool ctl_eq(const mix_ctl *x, const mix_ctl *y) {
    return x->n == y->n && memcmp(x->a, y->a, x->n * sizeof(mix_pt)) == 0 &&
           memcmp(x->b, y->b, x->n * sizeof(mix_pt)) == 0;
}

/* ---- verification ------------------------------------------------------------------ */

struct vctx {
    evote_mix_report_t *rep;
    unsigned party;
};

/* Record the failure in the report and re-raise with party/file in the detail. */
static evote_err_t vfail(struct vctx *v, evote_err_t err, const char *check,
                         const char *file) {
    char d[512];
    snprintf(d, sizeof(d), "%s", evote_err_detail());
    v->rep->failed_party = v->party;
    snprintf(v->rep->check, sizeof(v->rep->check), "%s", check);
    snprintf(v->rep->file, sizeof(v->rep->file), "%s", file);
    if (v->party > 0)
        return evote_fail(err, "party %02u: %s: %s: %s", v->party, file, check, d);
    return evote_fail(err, "%s: %s: %s", file, check, d);
}

#define VCHECK(expr, check, file)                                                  \
    do {                                                                           \
        evote_err_t vrv_ = (expr);                                                 \
        if (vrv_ != EVOTE_OK) {                                                    \
            ret = vfail(&vx, vrv_, (check), (file));                               \
            goto out;                                                              \
        }                                                                          \
    } while (0)

static evote_err_t expect_text(const char *dir, const char *name, const char *want) {
    char got[64];
    evote_err_t ret = read_text(dir, name, got, sizeof(got));
    if (ret != EVOTE_OK)
        return ret;
    if (strcmp(got, want) != 0)
        return evote_fail(EVOTE_ERR_FORMAT, "is \"%.32s\", expected \"%s\"", got, want);
    return EVOTE_OK;
}

static evote_err_t parse_small_uint(const char *dir, const char *name, unsigned *out) {
    char got[16];
    evote_err_t ret = read_text(dir, name, got, sizeof(got));
    if (ret != EVOTE_OK)
        return ret;
    if (got[0] < '1' || got[0] > '9' || strlen(got) > 2 ||
        (got[1] != '\0' && (got[1] < '0' || got[1] > '9')))
        return evote_fail(EVOTE_ERR_FORMAT, "\"%.8s\" is not a party count", got);
    *out = (unsigned)atoi(got);
    return EVOTE_OK;
}

/* Verify dir. The expected input is `in` (compressed) or `in_ctl` (parsed),
 * or neither; the verified final list goes to final_out (compressed) and/or
 * final_ctl (parsed, caller frees). */
static evote_err_t verify_impl(const evote_mix_params_t *params, const char *dir,
                               const uint8_t *pk, const evote_ct_t *in, size_t n_in,
                               const mix_ctl *in_ctl, const evote_mix_opts_t *opts,
                               evote_mix_report_t *report, evote_ct_t **final_out,
                               size_t *final_n, mix_ctl *final_ctl) {
    evote_err_t ret = EVOTE_OK;
    evote_mix_report_t dummy;
    struct vctx vx = {report ? report : &dummy, 0};
    char auxsid[EVOTE_MIX_SID_MAX + 2], name[64], outname[64];
    uint8_t rho[32], *d = NULL;
    size_t len = 0, n;
    unsigned lambda = 0;
    mix_pt Y, *h = NULL, *u = NULL;
    mix_ctl w = {0}, wp = {0}, expect = {0};
    mix_commit c = {0};
    mix_reply r = {0};
    mix_progress prog;
    unsigned threads = opts ? opts->threads : 0;

    ENSURE(params != NULL && dir != NULL, EVOTE_ERR_ARG, "mix verify: bad argument");
    memset(vx.rep, 0, sizeof(*vx.rep));
    if (final_ctl != NULL)
        memset(final_ctl, 0, sizeof(*final_ctl));
    if (final_out != NULL)
        *final_out = NULL;
    if (final_n != NULL)
        *final_n = 0;
    mix_progress_start(&prog, opts && opts->progress, "verify shuffle");

    VCHECK(expect_text(dir, "version", params->version), "version", "version");
    VCHECK(expect_text(dir, "type", "shuffling"), "type", "type");
    VCHECK(expect_text(dir, "width", "1"), "width", "width");
    VCHECK(read_text(dir, "auxsid", auxsid, sizeof(auxsid)), "auxsid", "auxsid");
    VCHECK(evote_mix_global_prefix(params, auxsid, rho), "auxsid", "auxsid");
    VCHECK(parse_small_uint(dir, "proofs/activethreshold", &lambda), "active threshold",
           "proofs/activethreshold");
    if (lambda > params->nopart || lambda < params->thres) {
        ret = evote_fail(EVOTE_ERR_FORMAT, "%u is not between thres %u and nopart %u",
                         lambda, params->thres, params->nopart);
        VCHECK(ret, "active threshold", "proofs/activethreshold");
    }
    VCHECK(read_in(dir, "FullPublicKey.bt", 4096, &d, &len), "public key", "FullPublicKey.bt");
    VCHECK(parse_fpk(d, len, &Y), "public key", "FullPublicKey.bt");
    free(d);
    d = NULL;
    if (pk != NULL) {
        mix_pt want;
        VCHECK(mix_pt_from_compressed(&want, pk), "public key", "FullPublicKey.bt");
        if (!mix_pt_eq(&want, &Y)) {
            ret = evote_fail(EVOTE_ERR_KEY_MISMATCH, "not the election public key");
            VCHECK(ret, "public key", "FullPublicKey.bt");
        }
    }
    if (file_exists(dir, "proofs/PolynomialInExponent.bt")) {
        /* VMN's key-generation output: its constant term must be Y. */
        mix_pt *coef = NULL;
        evote_bt_reader_t br;
        VCHECK(read_in(dir, "proofs/PolynomialInExponent.bt", 1 << 16, &d, &len),
               "public key", "proofs/PolynomialInExponent.bt");
        coef = calloc(params->thres, sizeof(*coef));
        ALLOC_GUARD(coef);
        evote_bt_reader_init(&br, d, len);
        ret = mix_read_points(&br, coef, params->thres);
        if (ret == EVOTE_OK)
            ret = evote_bt_read_end(&br);
        if (ret == EVOTE_OK && !mix_pt_eq(&coef[0], &Y))
            ret = evote_fail(EVOTE_ERR_KEY_MISMATCH,
                             "constant term is not the key in FullPublicKey.bt");
        free(coef);
        free(d);
        d = NULL;
        VCHECK(ret, "public key", "proofs/PolynomialInExponent.bt");
    }

    VCHECK(read_in(dir, "Ciphertexts.bt", MIX_FILE_MAX, &d, &len), "input list",
           "Ciphertexts.bt");
    VCHECK(mix_ctl_parse(d, len, &w), "input list", "Ciphertexts.bt");
    free(d);
    d = NULL;
    n = w.n;
    vx.rep->n = n;
    if ((in != NULL && !ctl_eq_cts(&w, in, n_in)) || (in_ctl != NULL && !ctl_eq(&w, in_ctl))) {
        ret = evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "not the list given as input");
        VCHECK(ret, "input list", "Ciphertexts.bt");
    }
    ALLOC_GUARD(h = malloc(n * sizeof(*h)));
    ALLOC_GUARD(u = malloc(n * sizeof(*u)));
    mix_progress_step(&prog, 0.01);
    GUARD(mix_generators(rho, params->statdist, h, n, threads));
    mix_progress_step(&prog, 0.1);
    GUARD(mix_commit_alloc(&c, n));
    GUARD(mix_reply_alloc(&r, n));

    for (unsigned l = 1; l <= lambda; l++) {
        mix_stmt st = {rho, params->ebitlenro, params->vbitlenro, n, h, Y, &w, &wp, threads,
                       &prog, 0.1 + 0.9 * (l - 1) / lambda, 0.1 + 0.9 * l / lambda};
        const char *failed = "";
        vx.party = l;
        mix_progress_step(&prog, (double)(l - 1) / lambda);
        snprintf(name, sizeof(name), "proofs/PermutationCommitment%02u.bt", l);
        VCHECK(read_in(dir, name, MIX_FILE_MAX, &d, &len), "permutation commitment", name);
        VCHECK(mix_points_parse(d, len, n, u), "permutation commitment", name);
        free(d);
        d = NULL;
        snprintf(outname, sizeof(outname), "proofs/Ciphertexts%02u.bt", l);
        if (l == lambda && !file_exists(dir, outname))
            snprintf(outname, sizeof(outname), "ShuffledCiphertexts.bt");
        VCHECK(read_in(dir, outname, MIX_FILE_MAX, &d, &len), "output list", outname);
        VCHECK(mix_ctl_parse(d, len, &wp), "output list", outname);
        free(d);
        d = NULL;
        if (wp.n != n) {
            ret = evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "%zu ciphertexts, input has %zu", wp.n,
                             n);
            VCHECK(ret, "output list", outname);
        }
        snprintf(name, sizeof(name), "proofs/PoSCommitment%02u.bt", l);
        VCHECK(read_in(dir, name, MIX_FILE_MAX, &d, &len), "proof commitment", name);
        VCHECK(mix_commit_parse(d, len, n, &c), "proof commitment", name);
        free(d);
        d = NULL;
        snprintf(name, sizeof(name), "proofs/PoSReply%02u.bt", l);
        VCHECK(read_in(dir, name, MIX_FILE_MAX, &d, &len), "proof reply", name);
        VCHECK(mix_reply_parse(d, len, n, &r), "proof reply", name);
        free(d);
        d = NULL;
        ret = mix_pos_verify(&st, u, &c, &r, &failed);
        if (ret != EVOTE_OK) {
            /* an equation that fails is reported against the reply it checks */
            VCHECK(ret, ret == EVOTE_ERR_SHUFFLE_PROOF ? failed : "proof", name);
        }
        mix_ctl_free(&w);
        w = wp;
        memset(&wp, 0, sizeof(wp));
    }
    vx.party = 0;
    /* The chain's final output must be ShuffledCiphertexts.bt. */
    VCHECK(read_in(dir, "ShuffledCiphertexts.bt", MIX_FILE_MAX, &d, &len), "final output",
           "ShuffledCiphertexts.bt");
    VCHECK(mix_ctl_parse(d, len, &expect), "final output", "ShuffledCiphertexts.bt");
    if (!ctl_eq(&expect, &w)) {
        ret = evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "differs from the output of party %02u",
                         lambda);
        VCHECK(ret, "final output", "ShuffledCiphertexts.bt");
    }
    vx.rep->parties = lambda;
    if (final_out != NULL) {
        evote_ct_t *cts = NULL;
        ALLOC_GUARD(cts = calloc(n, sizeof(*cts)));
        for (size_t i = 0; i < n; i++) {
            mix_pt_to_compressed(cts[i].c1, &w.a[i]);
            mix_pt_to_compressed(cts[i].c2, &w.b[i]);
        }
        *final_out = cts;
        if (final_n != NULL)
            *final_n = n;
    }
    if (final_ctl != NULL) {
        *final_ctl = w;
        memset(&w, 0, sizeof(w));
    }
    mix_progress_done(&prog);
out:
    free(d);
    free(h);
    free(u);
    mix_ctl_free(&w);
    mix_ctl_free(&wp);
    mix_ctl_free(&expect);
    mix_commit_free(&c);
    mix_reply_free(&r);
    return ret;
}

evote_err_t evote_mix_verify_dir(const evote_mix_params_t *params, const char *dir,
                                 const uint8_t *pk, const evote_ct_t *in, size_t n_in,
                                 const evote_mix_opts_t *opts, evote_mix_report_t *report,
                                 evote_ct_t **final_out, size_t *final_n) {
    return verify_impl(params, dir, pk, in, n_in, NULL, opts, report, final_out, final_n,
                       NULL);
}

/* ---- running a party ------------------------------------------------------------------ */

evote_err_t mix_run_party(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                          const mix_ctl *w, unsigned party, const char *dir,
                          const evote_mix_opts_t *opts, const uint32_t *phi_commit_override) {
    evote_err_t ret = EVOTE_OK;
    evote_mix_params_t p2;
    uint8_t rho[32];
    size_t n = w->n;
    mix_pt *h = NULL, *u = NULL;
    mix_ctl wp = {0};
    mix_commit c = {0};
    mix_reply r = {0};
    uint32_t *phi = NULL;
    mix_sc *s = NULL;
    mix_out o = {{0}, NULL};
    char name[64], pdir[PATH_CAP], txt[16];
    mix_stmt st;
    mix_progress prog;
    unsigned threads = opts ? opts->threads : 0;

    ENSURE(party >= 1 && party <= 25, EVOTE_ERR_ARG, "party must be 1 to 25");
    mix_progress_start(&prog, opts && opts->progress, "shuffle and prove");
    GUARD(evote_mix_global_prefix(params, "default", rho));
    ALLOC_GUARD(h = malloc(n * sizeof(*h)));
    ALLOC_GUARD(u = malloc(n * sizeof(*u)));
    ALLOC_GUARD(phi = malloc(n * sizeof(*phi)));
    ALLOC_GUARD(s = malloc(n * sizeof(*s)));
    GUARD(mix_generators(rho, params->statdist, h, n, threads));
    mix_progress_step(&prog, 0.1);
    GUARD(mix_ctl_alloc(&wp, n));
    GUARD(mix_commit_alloc(&c, n));
    GUARD(mix_reply_alloc(&r, n));
    GUARD(mix_random_permutation(phi, n));
    GUARD(mix_random_scalars(s, n));
    st = (mix_stmt){rho, params->ebitlenro, params->vbitlenro, n, h, {{0}, {0}}, w, &wp,
                    threads, &prog, 0.1, 0.9};
    GUARD(mix_pt_from_compressed(&st.pk, pk));
    GUARD(mix_pos_prove(&st, phi, s, phi_commit_override, u, &c, &r));
    mix_progress_step(&prog, 0.9);

    /* Write: proofs first, the party count and final output last. */
    GUARD(mkdir_p(dir));
    GUARD(path_join(pdir, dir, "proofs"));
    GUARD(mkdir_p(pdir));
    if (party == 1) {
        GUARD(out_open(&o, dir, "Ciphertexts.bt"));
        GUARD(mix_ctl_serialize(w, &o));
        GUARD(out_commit(&o));
        GUARD(out_open(&o, dir, "FullPublicKey.bt"));
        GUARD(serialize_fpk(&st.pk, &o.b));
        GUARD(out_commit(&o));
        GUARD(write_text(dir, "version", params->version));
        GUARD(write_text(dir, "type", "shuffling"));
        GUARD(write_text(dir, "auxsid", "default"));
        GUARD(write_text(dir, "width", "1"));
    }
    snprintf(name, sizeof(name), "proofs/PermutationCommitment%02u.bt", party);
    GUARD(out_open(&o, dir, name));
    GUARD(mix_points_serialize(u, n, &o));
    GUARD(out_commit(&o));
    snprintf(name, sizeof(name), "proofs/PoSCommitment%02u.bt", party);
    GUARD(out_open(&o, dir, name));
    GUARD(mix_commit_serialize(&c, n, &o));
    GUARD(out_commit(&o));
    snprintf(name, sizeof(name), "proofs/PoSReply%02u.bt", party);
    GUARD(out_open(&o, dir, name));
    GUARD(mix_reply_serialize(&r, n, &o));
    GUARD(out_commit(&o));
    snprintf(name, sizeof(name), "proofs/Ciphertexts%02u.bt", party);
    GUARD(out_open(&o, dir, name));
    GUARD(mix_ctl_serialize(&wp, &o));
    GUARD(out_commit(&o));
    GUARD(out_open(&o, dir, "ShuffledCiphertexts.bt"));
    GUARD(mix_ctl_serialize(&wp, &o));
    GUARD(out_commit(&o));
    p2 = *params;
    p2.nopart = p2.thres = party;
    GUARD(path_join(pdir, dir, "protInfo.xml"));
    GUARD(evote_mix_params_write(&p2, pdir));
    snprintf(txt, sizeof(txt), "%u", party);
    GUARD(write_text(dir, "proofs/activethreshold", txt));
    mix_progress_done(&prog);
out:
    if (phi != NULL)
        OPENSSL_cleanse(phi, n * sizeof(*phi));
    if (s != NULL)
        OPENSSL_cleanse(s, n * sizeof(*s));
    free(phi);
    free(s);
    free(h);
    free(u);
    mix_ctl_free(&wp);
    mix_commit_free(&c);
    mix_reply_free(&r);
    evote_afile_abort(o.f);
    evote_buf_free(&o.b);
    return ret;
}

static evote_err_t run_common(const evote_mix_params_t *params,
                              const uint8_t pk[EVOTE_POINT_LEN], const evote_ct_t *in,
                              size_t n, const char *in_path, unsigned party, const char *dir,
                              const evote_mix_opts_t *opts);

evote_err_t evote_mix_run(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                          const evote_ct_t *in, size_t n, unsigned party, const char *dir,
                          const evote_mix_opts_t *opts) {
    return run_common(params, pk, in, n, NULL, party, dir, opts);
}

evote_err_t evote_mix_run_file(const evote_mix_params_t *params,
                               const uint8_t pk[EVOTE_POINT_LEN], const char *in_path,
                               unsigned party, const char *dir, const evote_mix_opts_t *opts) {
    return run_common(params, pk, NULL, 0, in_path, party, dir, opts);
}

static evote_err_t run_common(const evote_mix_params_t *params,
                              const uint8_t pk[EVOTE_POINT_LEN], const evote_ct_t *in,
                              size_t n, const char *in_path, unsigned party, const char *dir,
                              const evote_mix_opts_t *opts) {
    evote_err_t ret = EVOTE_OK;
    mix_ctl w = {0}, given = {0};
    uint8_t *d = NULL;
    size_t len = 0;
    unsigned have = 0;

    ENSURE(params != NULL && pk != NULL && dir != NULL && party >= 1 && party <= 25,
           EVOTE_ERR_ARG, "mix run: bad argument");
    if (in_path != NULL) {
        ret = evote_read_file(in_path, MIX_FILE_MAX, &d, &len);
        if (ret == EVOTE_OK)
            ret = mix_ctl_parse(d, len, &given);
        free(d);
        d = NULL;
        if (ret != EVOTE_OK) {
            char det[512];
            snprintf(det, sizeof(det), "%s", evote_err_detail());
            ret = evote_fail(ret, "%s: %s", in_path, det);
            goto out;
        }
    }
    if (party == 1) {
        ENSURE((in != NULL && n >= 1) || in_path != NULL, EVOTE_ERR_ARG,
               "mix run: party 1 needs the input list");
        ENSURE(!file_exists(dir, "proofs/activethreshold"), EVOTE_ERR_EXISTS,
               "%s already holds a mix chain", dir);
        if (in_path != NULL) {
            w = given;
            memset(&given, 0, sizeof(given));
        } else {
            GUARD(ctl_from_cts(&w, in, n));
        }
    } else {
        evote_mix_params_t *dp = NULL;
        char pi[PATH_CAP];
        GUARD(path_join(pi, dir, "protInfo.xml"));
        GUARD(evote_mix_params_read(&dp, pi));
        bool same = strcmp(dp->sid, params->sid) == 0;
        evote_mix_params_free(dp);
        ENSURE(same, EVOTE_ERR_PROTINFO, "%s belongs to another session (sid)", dir);
        GUARD(parse_small_uint(dir, "proofs/activethreshold", &have));
        ENSURE(have == party - 1, EVOTE_ERR_STATE,
               "%s holds %u parties: the next one is party %u, not %u", dir, have, have + 1,
               party);
        {
            mix_pt want, Y;
            GUARD(read_in(dir, "FullPublicKey.bt", 4096, &d, &len));
            GUARD(parse_fpk(d, len, &Y));
            free(d);
            d = NULL;
            GUARD(mix_pt_from_compressed(&want, pk));
            ENSURE(mix_pt_eq(&want, &Y), EVOTE_ERR_KEY_MISMATCH,
                   "%s was mixed under another public key", dir);
        }
        /* Never extend a chain that does not verify: check every party so far
         * (from the box export list, when given) and mix the verified output. */
        {
            evote_mix_params_t vp = *params;
            evote_mix_report_t rep;
            if (vp.nopart < have)
                vp.nopart = have;
            vp.thres = 1;
            ret = verify_impl(&vp, dir, pk, in, n, in_path != NULL ? &given : NULL, opts, &rep,
                              NULL, NULL, &w);
            if (ret != EVOTE_OK) {
                char det[600];
                snprintf(det, sizeof(det), "%s", evote_err_detail());
                ret = evote_fail(ret, "refusing to mix: the chain in %s does not verify: %s",
                                 dir, det);
                goto out;
            }
        }
    }
    GUARD(mix_run_party(params, pk, &w, party, dir, opts, NULL));
out:
    free(d);
    mix_ctl_free(&w);
    mix_ctl_free(&given);
    return ret;
}
