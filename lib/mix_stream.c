/*
 * libevote — chain files read a chunk at a time, and the prover's secret
 * scalar streams: what lets the mix prover and verifier keep a chunk of
 * indices in memory instead of the whole proof (docs/PROTOCOL.md §14.8).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mix_pos.h"

/* ---- files --------------------------------------------------------------- */

evote_err_t mix_fin_open(mix_fin *f, const char *path, const char *name) {
    evote_err_t ret = EVOTE_OK;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    f->own = true;
    f->name = name;
    if (f->fd < 0) {
        if (errno == ENOENT)
            return evote_fail(EVOTE_ERR_NOT_FOUND, "%s: missing", name);
        return evote_fail(EVOTE_ERR_IO, "%s: %s", name, strerror(errno));
    }
    if (fstat(f->fd, &f->st) != 0 || !S_ISREG(f->st.st_mode)) {
        ret = evote_fail(EVOTE_ERR_IO, "%s: not a regular file", name);
        mix_fin_close(f);
        return ret;
    }
    f->size = (uint64_t)f->st.st_size;
    return EVOTE_OK;
}

evote_err_t mix_fin_of_fd(mix_fin *f, int fd, const char *name) {
    f->fd = fd;
    f->own = false;
    f->name = name;
    if (fd < 0 || fstat(fd, &f->st) != 0)
        return evote_fail(EVOTE_ERR_IO, "%s: cannot stat", name);
    f->size = (uint64_t)f->st.st_size;
    return EVOTE_OK;
}

void mix_fin_close(mix_fin *f) {
    if (f == NULL)
        return;
    if (f->own && f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* A file is read more than once (challenges first, then the products): a
 * change in between would have the products use other bytes than the
 * challenges hashed. The inode's change time moves on every write. */
evote_err_t mix_fin_unchanged(const mix_fin *f) {
    struct stat now;
    if (fstat(f->fd, &now) != 0)
        return evote_fail(EVOTE_ERR_IO, "%s: cannot stat", f->name);
    if (now.st_size != f->st.st_size || now.st_ctim.tv_sec != f->st.st_ctim.tv_sec ||
        now.st_ctim.tv_nsec != f->st.st_ctim.tv_nsec)
        return evote_fail(EVOTE_ERR_IO, "%s: changed while it was being read", f->name);
    return EVOTE_OK;
}

evote_err_t mix_fin_read(const mix_fin *f, uint64_t off, void *buf, size_t len) {
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = pread(f->fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return evote_fail(EVOTE_ERR_IO, "%s: %s", f->name, strerror(errno));
        if (r == 0)
            return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: truncated");
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return EVOTE_OK;
}

static evote_err_t element_fail(evote_err_t err, size_t i) {
    char d[256];
    snprintf(d, sizeof(d), "%s", evote_err_detail());
    return evote_fail(err, "element %zu: %s", i, d);
}

#define READ_BATCH 4096

/* Points (pt) or scalars, parsed from the elements [i0, i0 + m) at off. */
static evote_err_t fin_elements(const mix_fin *f, uint64_t off, size_t i0, size_t m, bool pt,
                                void *out) {
    evote_err_t ret = EVOTE_OK;
    size_t len = pt ? MIX_PT_BT_LEN : MIX_SC_BT_LEN;
    uint8_t *buf = NULL;
    ALLOC_GUARD(buf = malloc((m < READ_BATCH ? m + 1 : READ_BATCH) * len));
    for (size_t k0 = 0; k0 < m; k0 += READ_BATCH) {
        size_t b = m - k0 < READ_BATCH ? m - k0 : READ_BATCH;
        evote_bt_reader_t r;
        GUARD(mix_fin_read(f, off + U64(i0 + k0) * len, buf, b * len));
        evote_bt_reader_init(&r, buf, b * len);
        for (size_t k = 0; k < b; k++) {
            ret = pt ? mix_read_point(&r, (mix_pt *)out + k0 + k, NULL, NULL)
                     : mix_read_scalar(&r, (mix_sc *)out + k0 + k);
            if (ret != EVOTE_OK) {
                ret = element_fail(ret, i0 + k0 + k);
                goto out;
            }
        }
    }
out:
    free(buf);
    return ret;
}

evote_err_t mix_fin_points(const mix_fin *f, uint64_t off, size_t i0, size_t m, mix_pt *out) {
    return fin_elements(f, off, i0, m, true, out);
}

evote_err_t mix_fin_scalars(const mix_fin *f, uint64_t off, size_t i0, size_t m,
                            mix_sc *out) {
    return fin_elements(f, off, i0, m, false, out);
}

/* ---- gather and scatter ------------------------------------------------------ */

static int cmp_pair(const void *a, const void *b) {
    const mix_pair *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void mix_pairs_sort(mix_pair *p, size_t m) {
    qsort(p, m, sizeof(*p), cmp_pair);
}

#define SPAN_PTS 8192 /* points per read or write of a gather or scatter */

/* The requests from p[k] on that fall in one span: their number and the
 * points the span covers. */
static void span_at(const mix_pair *p, size_t k, size_t m, size_t *cnt, size_t *span) {
    size_t first = p[k].idx, c = 0;
    while (k + c < m && p[k + c].idx - first < SPAN_PTS)
        c++;
    *cnt = c;
    *span = p[k + c - 1].idx - first + 1;
}

evote_err_t mix_fin_gather(const mix_fin *f, uint64_t off, const mix_pair *p, size_t m,
                           mix_pt *out) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *buf = NULL;
    ALLOC_GUARD(buf = malloc(SPAN_PTS * MIX_PT_BT_LEN));
    for (size_t k = 0; k < m;) {
        size_t first = p[k].idx, cnt, span;
        span_at(p, k, m, &cnt, &span); /* one read for them all */
        GUARD(mix_fin_read(f, off + U64(first) * MIX_PT_BT_LEN, buf, span * MIX_PT_BT_LEN));
        for (size_t t = 0; t < cnt; t++) {
            evote_bt_reader_t r;
            evote_bt_reader_init(&r, buf + (p[k + t].idx - first) * MIX_PT_BT_LEN, MIX_PT_BT_LEN);
            ret = mix_read_point(&r, &out[p[k + t].pos], NULL, NULL);
            if (ret != EVOTE_OK) {
                ret = element_fail(ret, p[k + t].idx);
                goto out;
            }
        }
        k += cnt;
    }
out:
    free(buf);
    return ret;
}

evote_err_t mix_afile_scatter(evote_afile_t *af, uint64_t off, const mix_pair *p, size_t m,
                              const mix_pt *in) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *buf = NULL;
    mix_fin f;
    ALLOC_GUARD(buf = malloc(SPAN_PTS * MIX_PT_BT_LEN));
    GUARD(mix_fin_of_fd(&f, evote_afile_fd(af), "temporary file"));
    for (size_t k = 0; k < m;) {
        size_t first = p[k].idx, cnt, span;
        span_at(p, k, m, &cnt, &span);
        /* read what is there (holes read as 0) unless every slot is new */
        uint64_t at = off + U64(first) * MIX_PT_BT_LEN, have = 0;
        if (span != cnt) {
            struct stat stt;
            ENSURE(fstat(f.fd, &stt) == 0, EVOTE_ERR_IO, "cannot stat a temporary file");
            have = (uint64_t)stt.st_size > at ? (uint64_t)stt.st_size - at : 0;
            if (have > U64(span) * MIX_PT_BT_LEN)
                have = U64(span) * MIX_PT_BT_LEN;
            memset(buf + have, 0, span * MIX_PT_BT_LEN - (size_t)have);
            if (have > 0)
                GUARD(mix_fin_read(&f, at, buf, (size_t)have));
        }
        for (size_t t = 0; t < cnt; t++)
            mix_point_bytes(buf + (p[k + t].idx - first) * MIX_PT_BT_LEN, &in[p[k + t].pos]);
        GUARD(evote_afile_pwrite(af, buf, span * MIX_PT_BT_LEN, at));
        k += cnt;
    }
out:
    free(buf);
    return ret;
}

/* A node header on its own (evote_bt_read_node would also want the
 * children's bytes to be there). */
static evote_err_t node_hdr(const uint8_t b[MIX_NODE_LEN], uint32_t *count) {
    if (b[0] != 0x00)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: expected a node, found tag 0x%02x",
                          b[0]);
    *count = evote_get_u32be(b + 1);
    return EVOTE_OK;
}

/* ---- whole-file walk -------------------------------------------------------- */

#define WALK_BUF (1u << 20)

struct walk {
    const mix_fin *f;
    mix_ro *ro;
    uint8_t *buf;
    size_t have, pos; /* bytes in buf, next unread */
    uint64_t off;     /* file offset of buf[have] */
};

/* Make at least k bytes readable at w->buf + w->pos. */
static evote_err_t walk_need(struct walk *w, size_t k) {
    evote_err_t ret = EVOTE_OK;
    if (w->have - w->pos >= k)
        return EVOTE_OK;
    memmove(w->buf, w->buf + w->pos, w->have - w->pos);
    w->have -= w->pos;
    w->pos = 0;
    size_t want = WALK_BUF - w->have;
    if (U64(want) > w->f->size - w->off)
        want = (size_t)(w->f->size - w->off);
    if (want > 0) {
        GUARD(mix_fin_read(w->f, w->off, w->buf + w->have, want));
        w->have += want;
        w->off += want;
    }
    ENSURE(w->have - w->pos >= k, EVOTE_ERR_BYTETREE, "byte tree: truncated");
out:
    return ret;
}

/* Consume k bytes (already needed) into the hash. */
static evote_err_t walk_take(struct walk *w, size_t k) {
    evote_err_t ret = EVOTE_OK;
    if (w->ro != NULL)
        GUARD(mix_ro_update(w->ro, w->buf + w->pos, k));
    w->pos += k;
out:
    return ret;
}

evote_err_t mix_fin_walk(const mix_fin *f, const mix_bt_item *it, size_t nit, mix_ro *ro) {
    evote_err_t ret = EVOTE_OK;
    struct walk w = {f, ro, NULL, 0, 0, 0};
    ALLOC_GUARD(w.buf = malloc(WALK_BUF));
    for (size_t k = 0; k < nit; k++) {
        evote_bt_reader_t r;
        if (it[k].kind == MIX_BT_NODE) {
            uint32_t c = 0;
            GUARD(walk_need(&w, MIX_NODE_LEN));
            GUARD(node_hdr(w.buf + w.pos, &c));
            ENSURE(c == it[k].count, EVOTE_ERR_BYTETREE, "%s has %u parts, expected %u",
                   it[k].what, c, it[k].count);
            GUARD(walk_take(&w, MIX_NODE_LEN));
            continue;
        }
        bool pt = it[k].kind == MIX_BT_POINTS;
        size_t len = pt ? MIX_PT_BT_LEN : MIX_SC_BT_LEN;
        for (uint32_t i = 0; i < it[k].count; i++) {
            mix_pt p;
            mix_sc s;
            GUARD(walk_need(&w, len));
            evote_bt_reader_init(&r, w.buf + w.pos, len);
            ret = pt ? mix_read_point(&r, &p, NULL, NULL) : mix_read_scalar(&r, &s);
            if (ret != EVOTE_OK) {
                if (it[k].count > 1) {
                    ret = element_fail(ret, i);
                } else {
                    char d[256];
                    snprintf(d, sizeof(d), "%s", evote_err_detail());
                    ret = evote_fail(ret, "%s: %s", it[k].what, d);
                }
                goto out;
            }
            if (it[k].keep != NULL) {
                if (pt)
                    *(mix_pt *)it[k].keep = p;
                else
                    *(mix_sc *)it[k].keep = s;
            }
            GUARD(walk_take(&w, len));
        }
    }
    ENSURE(w.pos == w.have && w.off == f->size, EVOTE_ERR_BYTETREE,
           "byte tree: trailing bytes after the %s", nit > 0 ? it[0].what : "tree");
out:
    free(w.buf);
    return ret;
}

evote_err_t mix_fin_ctl_n(const mix_fin *f, size_t *n) {
    evote_err_t ret = EVOTE_OK;
    uint8_t h[10];
    uint32_t top = 0, na = 0;
    GUARD(mix_fin_read(f, 0, h, sizeof(h)));
    GUARD(node_hdr(h, &top));
    ENSURE(top == 2, EVOTE_ERR_BYTETREE, "ciphertext list: top node has %u children", top);
    GUARD(node_hdr(h + 5, &na));
    ENSURE(na >= 1 && na <= EVOTE_CTLIST_MAX, EVOTE_ERR_BYTETREE,
           "ciphertext list: %u ciphertexts is out of range", na);
    *n = na;
out:
    return ret;
}

evote_err_t mix_fin_walk_ctl(const mix_fin *f, size_t n, mix_ro *ro) {
    const mix_bt_item it[] = {
        {MIX_BT_NODE, 2, NULL, "ciphertext list"}, {MIX_BT_NODE, (uint32_t)n, NULL, "C1 list"},
        {MIX_BT_POINTS, (uint32_t)n, NULL, "C1"},  {MIX_BT_NODE, (uint32_t)n, NULL, "C2 list"},
        {MIX_BT_POINTS, (uint32_t)n, NULL, "C2"},
    };
    return mix_fin_walk(f, it, sizeof(it) / sizeof(it[0]), ro);
}

evote_err_t mix_fin_walk_plist(const mix_fin *f, size_t n, mix_ro *ro) {
    const mix_bt_item it[] = {{MIX_BT_NODE, (uint32_t)n, NULL, "permutation commitment"},
                              {MIX_BT_POINTS, (uint32_t)n, NULL, "u"}};
    return mix_fin_walk(f, it, 2, ro);
}

evote_err_t mix_fin_walk_commit(const mix_fin *f, size_t n, mix_ro *ro, mix_pt *Ap, mix_pt *Cp,
                               mix_pt *Dp, mix_pt *Fpa, mix_pt *Fpb) {
    const mix_bt_item it[] = {
        {MIX_BT_NODE, 6, NULL, "commitment"}, {MIX_BT_NODE, (uint32_t)n, NULL, "B list"},
        {MIX_BT_POINTS, (uint32_t)n, NULL, "B"}, {MIX_BT_POINTS, 1, Ap, "A'"},
        {MIX_BT_NODE, (uint32_t)n, NULL, "B' list"}, {MIX_BT_POINTS, (uint32_t)n, NULL, "B'"},
        {MIX_BT_POINTS, 1, Cp, "C'"}, {MIX_BT_POINTS, 1, Dp, "D'"},
        {MIX_BT_NODE, 2, NULL, "F'"}, {MIX_BT_POINTS, 1, Fpa, "F'a"},
        {MIX_BT_POINTS, 1, Fpb, "F'b"},
    };
    return mix_fin_walk(f, it, sizeof(it) / sizeof(it[0]), ro);
}

evote_err_t mix_fin_walk_reply(const mix_fin *f, size_t n, mix_ro *ro, mix_sc *kA, mix_sc *kC, mix_sc *kD,
                              mix_sc *kF) {
    const mix_bt_item it[] = {
        {MIX_BT_NODE, 6, NULL, "reply"}, {MIX_BT_SCALARS, 1, kA, "k_A"},
        {MIX_BT_NODE, (uint32_t)n, NULL, "k_B list"}, {MIX_BT_SCALARS, (uint32_t)n, NULL, "k_B"},
        {MIX_BT_SCALARS, 1, kC, "k_C"}, {MIX_BT_SCALARS, 1, kD, "k_D"},
        {MIX_BT_NODE, (uint32_t)n, NULL, "k_E list"}, {MIX_BT_SCALARS, (uint32_t)n, NULL, "k_E"},
        {MIX_BT_SCALARS, 1, kF, "k_F"},
    };
    return mix_fin_walk(f, it, sizeof(it) / sizeof(it[0]), ro);
}

/* ---- secret scalar streams ----------------------------------------------------- */

static EVP_CIPHER *g_aes;
static pthread_once_t g_aes_once = PTHREAD_ONCE_INIT;

static void aes_fetch(void) {
    g_aes = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
}

evote_err_t mix_sk_init(mix_sk *k) {
    if (RAND_priv_bytes(k->key, sizeof(k->key)) != 1)
        return evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_priv_bytes");
    return EVOTE_OK;
}

void mix_sk_wipe(mix_sk *k) {
    OPENSSL_cleanse(k->key, sizeof(k->key));
}

/* a ≥ b for 32-byte big-endian, without branching on the bytes */
static unsigned ge32(const uint8_t *a, const uint8_t *b) {
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = (int)a[i] - (int)b[i] - borrow;
        borrow = (d >> 8) & 1;
    }
    return (unsigned)(1 - borrow);
}

static unsigned is_zero32(const uint8_t *a) {
    unsigned acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= a[i];
    return (acc - 1) >> 31 & 1;
}

/* a − b (32 bytes), always computed */
static void sub32(uint8_t *r, const uint8_t *a, const uint8_t *b) {
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = (int)a[i] - (int)b[i] - borrow;
        r[i] = (uint8_t)d;
        borrow = (d >> 8) & 1;
    }
}

/*
 * Scalar i of stream `label` comes from the 64 key-stream bytes at blocks
 * 4i … 4i+3 under the counter block label ‖ 0^32 ‖ (4i as 64 bits): the
 * first 32 bytes as a number if it lies in [1, n−1]; otherwise (probability
 * about 2^-32) the next 32 bytes, less n if they are at least n, and 1 if
 * that is 0 (probability 2^-256). The selection is by mask, not branch.
 */
evote_err_t mix_sk_scalars(const mix_sk *k, uint32_t label, size_t i0, size_t m,
                           mix_sc *out) {
    evote_err_t ret = EVOTE_OK;
    static const uint8_t order[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
        0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    EVP_CIPHER_CTX *c = NULL;
    uint8_t iv[16] = {0}, ks[64 * 64], zero[64 * 64] = {0}, alt[32];
    int olen = 0;
    ENSURE(U64(i0) + m <= (U64(1) << 60), EVOTE_ERR_TOO_LARGE, "secret stream index");
    evote_put_u32be(iv, label);
    evote_put_u32be(iv + 8, (uint32_t)((U64(i0) * 4) >> 32));
    evote_put_u32be(iv + 12, (uint32_t)(U64(i0) * 4));
    pthread_once(&g_aes_once, aes_fetch);
    ENSURE(g_aes != NULL, EVOTE_ERR_INTERNAL, "AES-256-CTR not available");
    ALLOC_GUARD(c = EVP_CIPHER_CTX_new());
    OSSL_GUARD(EVP_EncryptInit_ex2(c, g_aes, k->key, iv, NULL));
    for (size_t t0 = 0; t0 < m; t0 += 64) {
        size_t b = m - t0 < 64 ? m - t0 : 64;
        OSSL_GUARD(EVP_EncryptUpdate(c, ks, &olen, zero, (int)(b * 64)));
        for (size_t t = 0; t < b; t++) {
            const uint8_t *a = ks + 64 * t, *a2 = a + 32;
            unsigned bad = ge32(a, order) | is_zero32(a);
            unsigned big = ge32(a2, order);
            sub32(alt, a2, order);
            for (int i = 0; i < 32; i++) {
                uint8_t mk = (uint8_t)(0u - big);
                alt[i] = (uint8_t)((alt[i] & mk) | (a2[i] & ~mk));
            }
            alt[31] |= (uint8_t)is_zero32(alt);
            uint8_t mb = (uint8_t)(0u - bad);
            for (int i = 0; i < 32; i++)
                out[t0 + t].b[i] = (uint8_t)((alt[i] & mb) | (a[i] & ~mb));
        }
    }
out:
    OPENSSL_cleanse(ks, sizeof(ks));
    OPENSSL_cleanse(alt, sizeof(alt));
    EVP_CIPHER_CTX_free(c);
    return ret;
}
