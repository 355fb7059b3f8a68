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
#include <unistd.h>

#include <openssl/crypto.h>

#include "mix_pos.h"

#define PATH_CAP 4096

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

/* The list file's points compressed (no square roots: the file's points
 * are compressed instead of the others decompressed), either into out or
 * compared with cmp (*eq: all equal). */
static evote_err_t fin_cts(const mix_fin *f, size_t n, size_t chunk, evote_ct_t *out,
                           const evote_ct_t *cmp, bool *eq) {
    evote_err_t ret = EVOTE_OK;
    mix_pt *p = NULL;
    uint8_t c[EVOTE_POINT_LEN];
    bool same = true;
    if (chunk > n)
        chunk = n;
    ALLOC_GUARD(p = malloc(chunk * sizeof(*p)));
    for (size_t i0 = 0; i0 < n && same; i0 += chunk) {
        size_t m = n - i0 < chunk ? n - i0 : chunk;
        for (int half = 0; half < 2 && same; half++) {
            GUARD(mix_fin_points(f, half == 0 ? MIX_CTL_A(n) : MIX_CTL_B(n), i0, m, p));
            for (size_t i = 0; i < m && same; i++) {
                size_t at = i0 + i;
                GUARD(mix_pt_to_compressed(c, &p[i]));
                if (out != NULL)
                    memcpy(half == 0 ? out[at].c1 : out[at].c2, c, EVOTE_POINT_LEN);
                else
                    same = memcmp(c, half == 0 ? cmp[at].c1 : cmp[at].c2,
                                  EVOTE_POINT_LEN) == 0;
            }
        }
    }
    if (eq != NULL)
        *eq = same;
out:
    free(p);
    return ret;
}

/* Do two (validated, hence canonical) files hold the same bytes? */
static evote_err_t fin_eq(const mix_fin *a, const mix_fin *b, bool *eq) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *x = NULL, *y = NULL;
    const size_t B = 1u << 20;
    *eq = a->size == b->size;
    ALLOC_GUARD(x = malloc(B));
    ALLOC_GUARD(y = malloc(B));
    for (uint64_t off = 0; off < a->size && *eq; off += B) {
        size_t m = a->size - off < B ? (size_t)(a->size - off) : B;
        GUARD(mix_fin_read(a, off, x, m));
        GUARD(mix_fin_read(b, off, y, m));
        *eq = memcmp(x, y, m) == 0;
    }
out:
    free(x);
    free(y);
    return ret;
}

static size_t opts_chunk(const evote_mix_opts_t *opts) {
    return opts != NULL && opts->chunk > 0 ? opts->chunk : MIX_CHUNK_DEFAULT;
}

static evote_err_t fin_open_in(mix_fin *f, const char *dir, const char *name) {
    char p[PATH_CAP];
    evote_err_t ret = path_join(p, dir, name);
    f->fd = -1;
    return ret != EVOTE_OK ? ret : mix_fin_open(f, p, name);
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

/* Verify dir. The expected input is `in` (compressed) or `in_file` (a
 * validated list file), or neither; the verified final list goes to
 * final_out (compressed) and/or final_fin (left open, caller closes). */
static evote_err_t verify_impl(const evote_mix_params_t *params, const char *dir,
                               const uint8_t *pk, const evote_ct_t *in, size_t n_in,
                               const mix_fin *in_file, const evote_mix_opts_t *opts,
                               evote_mix_report_t *report, evote_ct_t **final_out,
                               size_t *final_n, mix_fin *final_fin) {
    evote_err_t ret = EVOTE_OK;
    evote_mix_report_t dummy;
    struct vctx vx = {report ? report : &dummy, 0};
    char auxsid[EVOTE_MIX_SID_MAX + 2], nu[64], npc[64], npr[64], nw[2][64];
    uint8_t rho[32], *d = NULL;
    size_t len = 0, n = 0, chunk = opts_chunk(opts);
    unsigned lambda = 0;
    mix_pt Y;
    mix_fin fw = {.fd = -1}, fwp = {.fd = -1}, fu = {.fd = -1}, fpc = {.fd = -1},
            fpr = {.fd = -1}, fexp = {.fd = -1};
    mix_progress prog;
    unsigned threads = opts ? opts->threads : 0;
    bool eq = false;
    int cur = 0;

    ENSURE(params != NULL && dir != NULL, EVOTE_ERR_ARG, "mix verify: bad argument");
    memset(vx.rep, 0, sizeof(*vx.rep));
    if (final_fin != NULL)
        final_fin->fd = -1;
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

    snprintf(nw[cur], sizeof(nw[cur]), "Ciphertexts.bt");
    VCHECK(fin_open_in(&fw, dir, nw[cur]), "input list", "Ciphertexts.bt");
    VCHECK(mix_fin_ctl_n(&fw, &n), "input list", "Ciphertexts.bt");
    VCHECK(mix_fin_walk_ctl(&fw, n, NULL), "input list", "Ciphertexts.bt");
    vx.rep->n = n;
    if (in != NULL && n != n_in)
        eq = false;
    else if (in != NULL)
        VCHECK(fin_cts(&fw, n, chunk, NULL, in, &eq), "input list", "Ciphertexts.bt");
    else if (in_file != NULL)
        VCHECK(fin_eq(&fw, in_file, &eq), "input list", "Ciphertexts.bt");
    if ((in != NULL || in_file != NULL) && !eq) {
        ret = evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "not the list given as input");
        VCHECK(ret, "input list", "Ciphertexts.bt");
    }
    mix_progress_step(&prog, 0.01);

    for (unsigned l = 1; l <= lambda; l++) {
        mix_stmt st = {rho, params->ebitlenro, params->vbitlenro, params->statdist, n, chunk,
                       Y, &fw, threads, &prog, (double)(l - 1) / lambda, (double)l / lambda};
        mix_pfiles pf = {&fu, &fwp, &fpc, &fpr};
        const char *failed = "";
        const mix_fin *badf = NULL;
        char *on = nw[1 - cur];
        vx.party = l;
        mix_progress_step(&prog, (double)(l - 1) / lambda);
        snprintf(nu, sizeof(nu), "proofs/PermutationCommitment%02u.bt", l);
        VCHECK(fin_open_in(&fu, dir, nu), "permutation commitment", nu);
        snprintf(on, 64, "proofs/Ciphertexts%02u.bt", l);
        if (l == lambda && !file_exists(dir, on))
            snprintf(on, 64, "ShuffledCiphertexts.bt");
        VCHECK(fin_open_in(&fwp, dir, on), "output list", on);
        snprintf(npc, sizeof(npc), "proofs/PoSCommitment%02u.bt", l);
        VCHECK(fin_open_in(&fpc, dir, npc), "proof commitment", npc);
        snprintf(npr, sizeof(npr), "proofs/PoSReply%02u.bt", l);
        VCHECK(fin_open_in(&fpr, dir, npr), "proof reply", npr);
        ret = mix_pos_verify(&st, &pf, &failed, &badf);
        if (ret != EVOTE_OK) {
            if (ret == EVOTE_ERR_SHUFFLE_PROOF && badf == &fpr && strncmp(failed, "PoS.", 4) == 0)
                VCHECK(ret, failed, npr); /* an equation, reported against the reply */
            else if (badf == &fu)
                VCHECK(ret, "permutation commitment", nu);
            else if (badf == &fwp)
                VCHECK(ret, "output list", on);
            else if (badf == &fpc)
                VCHECK(ret, "proof commitment", npc);
            else if (badf == &fpr)
                VCHECK(ret, "proof reply", npr);
            else if (badf == &fw)
                VCHECK(ret, "input list", nw[cur]);
            else
                VCHECK(ret, "proof", npr);
        }
        mix_fin_close(&fu);
        mix_fin_close(&fpc);
        mix_fin_close(&fpr);
        mix_fin_close(&fw);
        fw = fwp;
        fwp.fd = -1;
        fw.name = on;
        cur = 1 - cur;
    }
    vx.party = 0;
    /* The chain's final output must be ShuffledCiphertexts.bt. */
    if (strcmp(nw[cur], "ShuffledCiphertexts.bt") != 0) {
        VCHECK(fin_open_in(&fexp, dir, "ShuffledCiphertexts.bt"), "final output",
               "ShuffledCiphertexts.bt");
        VCHECK(mix_fin_walk_ctl(&fexp, n, NULL), "final output", "ShuffledCiphertexts.bt");
        VCHECK(fin_eq(&fexp, &fw, &eq), "final output", "ShuffledCiphertexts.bt");
        if (!eq) {
            ret = evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "differs from the output of party %02u",
                             lambda);
            VCHECK(ret, "final output", "ShuffledCiphertexts.bt");
        }
    }
    vx.rep->parties = lambda;
    if (final_out != NULL) {
        ALLOC_GUARD(*final_out = calloc(n, sizeof(**final_out)));
        ret = fin_cts(&fw, n, chunk, *final_out, NULL, NULL);
        if (ret != EVOTE_OK) {
            free(*final_out);
            *final_out = NULL;
            goto out;
        }
        if (final_n != NULL)
            *final_n = n;
    }
    if (final_fin != NULL) {
        *final_fin = fw;
        final_fin->name = "the chain's output";
        fw.fd = -1;
    }
    mix_progress_done(&prog);
out:
    free(d);
    mix_fin_close(&fw);
    mix_fin_close(&fwp);
    mix_fin_close(&fu);
    mix_fin_close(&fpc);
    mix_fin_close(&fpr);
    mix_fin_close(&fexp);
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

static evote_err_t out_open_at(evote_afile_t **f, const char *dir, const char *name) {
    char p[PATH_CAP];
    evote_err_t ret = path_join(p, dir, name);
    return ret != EVOTE_OK ? ret : evote_afile_open(f, p, false, false);
}

/* Shuffle the list w (n ciphertexts) as party `party` and write its proof
 * into dir. ctl: party 1's Ciphertexts.bt, written but not yet committed. */
static evote_err_t run_party(const evote_mix_params_t *params, const mix_pt *Y,
                             const mix_fin *w, size_t n, unsigned party, const char *dir,
                             evote_afile_t *ctl, const evote_mix_opts_t *opts,
                             const uint32_t *phi_commit_override) {
    evote_err_t ret = EVOTE_OK;
    evote_mix_params_t p2;
    uint8_t rho[32];
    uint32_t *phi = NULL;
    evote_buf_t fpk = {0};
    mix_pout po = {NULL, NULL, NULL, NULL, NULL};
    char nu[64], npc[64], npr[64], nwp[64], pdir[PATH_CAP], txt[16];
    mix_stmt st;
    mix_progress prog;
    unsigned threads = opts ? opts->threads : 0;

    ENSURE(party >= 1 && party <= 25, EVOTE_ERR_ARG, "party must be 1 to 25");
    mix_progress_start(&prog, opts && opts->progress, "shuffle and prove");
    GUARD(evote_mix_global_prefix(params, "default", rho));
    ALLOC_GUARD(phi = malloc(n * sizeof(*phi)));
    GUARD(mix_random_permutation(phi, n));
    snprintf(nu, sizeof(nu), "proofs/PermutationCommitment%02u.bt", party);
    snprintf(npc, sizeof(npc), "proofs/PoSCommitment%02u.bt", party);
    snprintf(npr, sizeof(npr), "proofs/PoSReply%02u.bt", party);
    snprintf(nwp, sizeof(nwp), "proofs/Ciphertexts%02u.bt", party);
    GUARD(out_open_at(&po.u, dir, nu));
    GUARD(out_open_at(&po.pc, dir, npc));
    GUARD(out_open_at(&po.pr, dir, npr));
    GUARD(out_open_at(&po.wp, dir, nwp));
    GUARD(out_open_at(&po.wp2, dir, "ShuffledCiphertexts.bt"));
    st = (mix_stmt){rho, params->ebitlenro, params->vbitlenro, params->statdist, n,
                    opts_chunk(opts), *Y, w, threads, &prog, 0.0, 1.0};
    GUARD(mix_pos_prove(&st, phi, phi_commit_override, &po));

    /* Commit: proofs first, the party count and final output last. */
    if (party == 1) {
        ret = evote_afile_commit(ctl);
        ctl = NULL;
        GUARD(ret);
        GUARD(serialize_fpk(Y, &fpk));
        GUARD(path_join(pdir, dir, "FullPublicKey.bt"));
        GUARD(evote_write_file_atomic(pdir, fpk.data, fpk.len, false, false));
        GUARD(write_text(dir, "version", params->version));
        GUARD(write_text(dir, "type", "shuffling"));
        GUARD(write_text(dir, "auxsid", "default"));
        GUARD(write_text(dir, "width", "1"));
    }
    evote_afile_t **order[] = {&po.u, &po.pc, &po.pr, &po.wp, &po.wp2};
    for (size_t k = 0; k < 5; k++) {
        ret = evote_afile_commit(*order[k]);
        *order[k] = NULL;
        GUARD(ret);
    }
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
    free(phi);
    evote_afile_abort(ctl);
    evote_afile_abort(po.u);
    evote_afile_abort(po.pc);
    evote_afile_abort(po.pr);
    evote_afile_abort(po.wp);
    evote_afile_abort(po.wp2);
    evote_buf_free(&fpk);
    return ret;
}

evote_err_t evote_mix_run(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                          const evote_ct_t *in, size_t n, unsigned party, const char *dir,
                          const evote_mix_opts_t *opts) {
    return mix_run_common(params, pk, in, n, NULL, party, dir, opts, NULL);
}

evote_err_t evote_mix_run_file(const evote_mix_params_t *params,
                               const uint8_t pk[EVOTE_POINT_LEN], const char *in_path,
                               unsigned party, const char *dir, const evote_mix_opts_t *opts) {
    return mix_run_common(params, pk, NULL, 0, in_path, party, dir, opts, NULL);
}

/* Party 1's Ciphertexts.bt: the given file's bytes (validated, so
 * canonical) or the compressed list written out. */
static evote_err_t write_input(evote_afile_t *f, const mix_fin *given, size_t n,
                               const evote_ct_t *in, size_t chunk) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *buf = NULL;
    mix_pt *p = NULL;
    if (given != NULL) {
        const size_t B = 1u << 20;
        ALLOC_GUARD(buf = malloc(B));
        for (uint64_t off = 0; off < given->size; off += B) {
            size_t m = given->size - off < B ? (size_t)(given->size - off) : B;
            GUARD(mix_fin_read(given, off, buf, m));
            GUARD(evote_afile_write(f, buf, m));
        }
        goto out;
    }
    ALLOC_GUARD(buf = malloc(chunk * MIX_PT_BT_LEN));
    ALLOC_GUARD(p = malloc(sizeof(*p)));
    {
        uint8_t hdr[MIX_NODE_LEN] = {0};
        evote_put_u32be(hdr + 1, 2);
        GUARD(evote_afile_write(f, hdr, sizeof(hdr)));
        evote_put_u32be(hdr + 1, (uint32_t)n);
        for (int half = 0; half < 2; half++) {
            GUARD(evote_afile_write(f, hdr, sizeof(hdr)));
            for (size_t i0 = 0; i0 < n; i0 += chunk) {
                size_t m = n - i0 < chunk ? n - i0 : chunk;
                for (size_t i = 0; i < m; i++) {
                    GUARD(mix_pt_from_compressed(p, half == 0 ? in[i0 + i].c1 : in[i0 + i].c2));
                    mix_point_bytes(buf + i * MIX_PT_BT_LEN, p);
                }
                GUARD(evote_afile_write(f, buf, m * MIX_PT_BT_LEN));
            }
        }
    }
out:
    free(buf);
    free(p);
    return ret;
}

evote_err_t mix_run_common(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                           const evote_ct_t *in, size_t n, const char *in_path, unsigned party,
                           const char *dir, const evote_mix_opts_t *opts,
                           const uint32_t *phi_commit_override) {
    evote_err_t ret = EVOTE_OK;
    mix_fin given = {.fd = -1}, w = {.fd = -1};
    evote_afile_t *ctl = NULL;
    uint8_t *d = NULL;
    size_t len = 0, nw = 0;
    unsigned have = 0;
    char pdir[PATH_CAP];
    bool made_dir = false, made_pdir = false;
    mix_pt Y;

    ENSURE(params != NULL && pk != NULL && dir != NULL && party >= 1 && party <= 25,
           EVOTE_ERR_ARG, "mix run: bad argument");
    GUARD(mix_pt_from_compressed(&Y, pk));
    if (in_path != NULL) {
        ret = mix_fin_open(&given, in_path, in_path);
        if (ret == EVOTE_OK)
            ret = mix_fin_ctl_n(&given, &nw);
        if (ret == EVOTE_OK)
            ret = mix_fin_walk_ctl(&given, nw, NULL);
        if (ret != EVOTE_OK) {
            char det[512];
            snprintf(det, sizeof(det), "%s", evote_err_detail());
            if (strncmp(det, in_path, strlen(in_path)) == 0)
                ret = evote_fail(ret, "%s", det);
            else
                ret = evote_fail(ret, "%s: %s", in_path, det);
            goto out;
        }
    }
    if (party == 1) {
        ENSURE((in != NULL && n >= 1) || in_path != NULL, EVOTE_ERR_ARG,
               "mix run: party 1 needs the input list");
        ENSURE(in_path != NULL || n <= EVOTE_CTLIST_MAX, EVOTE_ERR_TOO_LARGE,
               "mix run: %zu ciphertexts is too many", n);
        ENSURE(!file_exists(dir, "proofs/activethreshold"), EVOTE_ERR_EXISTS,
               "%s already holds a mix chain", dir);
        if (in_path != NULL)
            n = nw;
        made_dir = !file_exists(dir, ".");
        GUARD(mkdir_p(dir));
        GUARD(path_join(pdir, dir, "proofs"));
        made_pdir = !file_exists(dir, "proofs");
        GUARD(mkdir_p(pdir));
        GUARD(out_open_at(&ctl, dir, "Ciphertexts.bt"));
        GUARD(write_input(ctl, in_path != NULL ? &given : NULL, n, in, opts_chunk(opts)));
        GUARD(mix_fin_of_fd(&w, evote_afile_fd(ctl), "Ciphertexts.bt"));
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
            mix_pt Yd;
            GUARD(read_in(dir, "FullPublicKey.bt", 4096, &d, &len));
            GUARD(parse_fpk(d, len, &Yd));
            free(d);
            d = NULL;
            ENSURE(mix_pt_eq(&Y, &Yd), EVOTE_ERR_KEY_MISMATCH,
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
            n = rep.n;
        }
    }
    ret = run_party(params, &Y, &w, n, party, dir, ctl, opts, phi_commit_override);
    ctl = NULL; /* run_party commits or aborts it */
    GUARD(ret);
out:
    free(d);
    evote_afile_abort(ctl);
    mix_fin_close(&w);
    mix_fin_close(&given);
    if (ret != EVOTE_OK && made_pdir)
        (void)rmdir(pdir); /* only if nothing is in it */
    if (ret != EVOTE_OK && made_dir)
        (void)rmdir(dir);
    return ret;
}
