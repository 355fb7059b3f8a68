/*
 * libevote — export of a closed box to media and its verified import on the
 * air-gapped machine. docs/PROTOCOL.md §13.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "box_internal.h"
#include "evote/box.h"
#include "evote/bytetree.h"
#include "evote/store.h"
#include "internal.h"

#define BUNDLE_FILE_MAX (UINT64_C(1) << 36) /* 64 GiB: far above any box */
#define BUNDLE_MAX_FILES 100000
#define EVBX_MAGIC "EVBX"
#define EVBX_VERSION 1

#define PATHF(buf, ...)                                                                  \
    ENSURE((size_t)snprintf((buf), sizeof(buf), __VA_ARGS__) < sizeof(buf), EVOTE_ERR_ARG, \
           "path too long")

/* Internal access to the box (box.c). */
struct box_view {
    evote_store_t *store;
    const char *dir, *manifest_path, *pubkey_path;
    const evote_manifest_t *m;
    const evote_officials_t *o;
    const uint8_t *pk;
};
void box_view(const evote_box_t *b, struct box_view *v);

/* ---- small file helpers ------------------------------------------------- */

static evote_err_t copy_file(const char *from, const char *to) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    GUARD(evote_read_file(from, (size_t)1 << 30, &data, &len));
    GUARD(evote_write_file_atomic(to, data, len, true, false));
out:
    free(data);
    return ret;
}

static void rm_tree(const char *path) {
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, e->d_name) >= sizeof(p))
                continue;
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                rm_tree(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static evote_err_t fsync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return evote_fail(EVOTE_ERR_IO, "%s: %s", path, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? EVOTE_OK : evote_fail(EVOTE_ERR_IO, "fsync %s", path);
}

/* Temporary sibling of final (which must not exist); tmp receives the path. */
static evote_err_t make_temp_dir(const char *final, char *tmp, size_t cap) {
    struct stat st;
    if (lstat(final, &st) == 0)
        return evote_fail(EVOTE_ERR_EXISTS, "%s exists: refusing to overwrite", final);
    if ((size_t)snprintf(tmp, cap, "%s.tmp-XXXXXX", final) >= cap)
        return evote_fail(EVOTE_ERR_ARG, "path too long");
    if (mkdtemp(tmp) == NULL)
        return evote_fail(EVOTE_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    return EVOTE_OK;
}

static evote_err_t publish_dir(const char *tmp, const char *final) {
    evote_err_t ret = EVOTE_OK;
    char parent[4096];
    GUARD(fsync_path(tmp));
    /* rename(2) would replace an empty directory created meanwhile. */
    struct stat st;
    ENSURE(lstat(final, &st) != 0, EVOTE_ERR_EXISTS, "%s appeared meanwhile", final);
    ENSURE(rename(tmp, final) == 0, EVOTE_ERR_IO, "rename %s → %s: %s", tmp, final,
           strerror(errno));
    PATHF(parent, "%s", final);
    GUARD(fsync_path(dirname(parent)));
out:
    return ret;
}

/* ---- ballots file (EVBX) -------------------------------------------------- */

typedef struct {
    evote_buf_t evbx;  /* EVBX body (without header) */
    evote_ct_t *cts;
    size_t n, cap;
    const evote_manifest_t *m;
    const uint8_t *pk;
    const char *contest;
} collect_t;

static evote_err_t check_ballot(const uint8_t *ballot, size_t len, const evote_manifest_t *m,
                                const uint8_t *pk, const char *contest, uint64_t index,
                                evote_ct_t *ct) {
    evote_err_t ret = EVOTE_OK;
    evote_ballot_t bal;
    ret = evote_ballot_decode(&bal, ballot, len);
    if (ret == EVOTE_OK && strcmp(bal.contest_id, contest) != 0)
        ret = evote_fail(EVOTE_ERR_CONTEST_UNKNOWN, "ballot for contest %s", bal.contest_id);
    if (ret == EVOTE_OK)
        ret = evote_ballot_verify(&bal, evote_manifest_hash(m), pk);
    if (ret != EVOTE_OK) {
        char d[300];
        snprintf(d, sizeof(d), "%s", evote_err_detail());
        return evote_fail(ret, "ballot %llu of box %s: %s", (unsigned long long)index,
                          contest, d);
    }
    memcpy(ct->c1, bal.c1, EVOTE_POINT_LEN);
    memcpy(ct->c2, bal.c2, EVOTE_POINT_LEN);
    return EVOTE_OK;
}

static evote_err_t collect_cb(void *ctx, uint64_t seq, const uint8_t *ballot, size_t len,
                              const uint8_t leaf[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    collect_t *c = ctx;
    uint8_t l4[4];
    (void)leaf;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 1024;
        evote_ct_t *p = realloc(c->cts, ncap * sizeof(*p));
        ALLOC_GUARD(p);
        c->cts = p;
        c->cap = ncap;
    }
    GUARD(check_ballot(ballot, len, c->m, c->pk, c->contest, seq, &c->cts[c->n]));
    c->n++;
    ENSURE(len <= UINT32_MAX, EVOTE_ERR_TOO_LARGE, "ballot too large");
    evote_put_u32be(l4, (uint32_t)len);
    GUARD(evote_buf_append(&c->evbx, l4, 4));
    GUARD(evote_buf_append(&c->evbx, ballot, len));
out:
    return ret;
}

static evote_err_t write_evbx(const char *path, const collect_t *c) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t out = {0};
    uint8_t hdr[13];
    memcpy(hdr, EVBX_MAGIC, 4);
    hdr[4] = EVBX_VERSION;
    evote_put_u64be(hdr + 5, (uint64_t)c->n);
    GUARD(evote_buf_append(&out, hdr, sizeof(hdr)));
    if (c->evbx.len > 0)
        GUARD(evote_buf_append(&out, c->evbx.data, c->evbx.len));
    GUARD(evote_write_file_atomic(path, out.data, out.len, true, false));
out:
    evote_buf_free(&out);
    return ret;
}

/* ---- export ---------------------------------------------------------------- */

static evote_err_t add_index_entry(json_t *files, const char *root, const char *rel) {
    evote_err_t ret = EVOTE_OK;
    char path[4096];
    uint8_t h[32];
    struct stat st;
    json_t *e = NULL;
    ENSURE((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) < sizeof(path),
           EVOTE_ERR_ARG, "path too long");
    ENSURE(stat(path, &st) == 0, EVOTE_ERR_IO, "%s: %s", path, strerror(errno));
    GUARD(evote_sha256_file(path, h));
    ALLOC_GUARD(e = json_object());
    ENSURE(json_object_set_new(e, "path", json_string(rel)) == 0 &&
               json_object_set_new(e, "size", json_integer((json_int_t)st.st_size)) == 0 &&
               json_object_set_new(e, "sha256", box_json_hex(h, 32)) == 0 &&
               json_array_append(files, e) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
out:
    json_decref(e);
    return ret;
}

/* Copy statement NAME(.json and signatures) from src to dst, indexing them. */
static evote_err_t export_statement(const char *src, const char *dst, const char *name,
                                    json_t *files) {
    evote_err_t ret = EVOTE_OK;
    char *sigs[64] = {0};
    size_t n = 0;
    char a[4096], b[4096], rel[512];
    PATHF(rel, "%s.json", name);
    PATHF(a, "%s/%s", src, rel);
    PATHF(b, "%s/%s", dst, rel);
    GUARD(copy_file(a, b));
    GUARD(add_index_entry(files, dst, rel));
    GUARD(box_list_signatures(src, name, sigs, 64, &n));
    for (size_t i = 0; i < n; i++) {
        PATHF(a, "%s/%s", src, sigs[i]);
        PATHF(b, "%s/%s", dst, sigs[i]);
        GUARD(copy_file(a, b));
        GUARD(add_index_entry(files, dst, sigs[i]));
    }
out:
    for (size_t i = 0; i < 64; i++)
        free(sigs[i]);
    return ret;
}

static int cmp_entry(const void *a, const void *b) {
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "path"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "path"));
    return strcmp(x, y);
}

static evote_err_t sort_entries(json_t *files) {
    size_t n = json_array_size(files);
    json_t **v = calloc(n ? n : 1, sizeof(*v));
    if (v == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(files, i));
    qsort(v, n, sizeof(*v), cmp_entry);
    json_array_clear(files);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(files, v[i]);
    free(v);
    return EVOTE_OK;
}

evote_err_t evote_box_export(evote_box_t *b, const char *out_dir,
                             evote_signer_t *const *signers, size_t nsigners) {
    evote_err_t ret = EVOTE_OK;
    struct box_view v;
    char tmp[4096], path[4096], rel[512];
    bool made = false;
    json_t *closing = NULL, *files = NULL, *index = NULL;
    collect_t c;
    evote_merkle_tree_t *t = NULL;
    char *text = NULL;
    size_t tlen;

    memset(&c, 0, sizeof(c));
    ENSURE(b != NULL && out_dir != NULL && (signers != NULL || nsigners == 0), EVOTE_ERR_ARG,
           "export: NULL argument");
    box_view(b, &v);
    /* Only a box whose opening and closing the officials signed leaves. */
    GUARD(evote_statement_verify_files(v.o, "open", v.dir, "opening", NULL));
    GUARD(evote_statement_verify_files(v.o, "close", v.dir, "closing", NULL));
    GUARD(box_read_statement(v.dir, "closing", &closing, NULL, NULL));
    GUARD(box_check_header(closing, "libevote-box-closing/1", "closing.json", v.m, v.pk));
    GUARD(make_temp_dir(out_dir, tmp, sizeof(tmp)));
    made = true;
    ALLOC_GUARD(files = json_array());
    PATHF(path, "%s/manifest.json", tmp);
    GUARD(copy_file(v.manifest_path, path));
    GUARD(add_index_entry(files, tmp, "manifest.json"));
    PATHF(path, "%s/public-key.pem", tmp);
    GUARD(copy_file(v.pubkey_path, path));
    GUARD(add_index_entry(files, tmp, "public-key.pem"));
    GUARD(export_statement(v.dir, tmp, "opening", files));
    GUARD(export_statement(v.dir, tmp, "closing", files));
    PATHF(path, "%s/ballots", tmp);
    ENSURE(mkdir(path, 0755) == 0, EVOTE_ERR_IO, "%s: %s", path, strerror(errno));
    PATHF(path, "%s/ciphertexts", tmp);
    ENSURE(mkdir(path, 0755) == 0, EVOTE_ERR_IO, "%s: %s", path, strerror(errno));
    json_t *boxes = json_object_get(closing, "boxes");
    ENSURE(json_is_array(boxes) && json_array_size(boxes) == evote_manifest_contest_count(v.m),
           EVOTE_ERR_FORMAT, "closing.json: boxes do not match the manifest");
    for (size_t i = 0; i < evote_manifest_contest_count(v.m); i++) {
        const char *cid = evote_manifest_contest_id(v.m, i);
        json_t *e = json_array_get(boxes, i), *heads;
        uint64_t size;
        uint8_t root[32], mine[32];
        evote_box_state_t st;

        GUARD(box_json_u64(e, "tree_size", "closing.json", &size));
        GUARD(box_json_hash(e, "root", "closing.json", root));
        evote_buf_free(&c.evbx);
        free(c.cts);
        memset(&c, 0, sizeof(c));
        c.m = v.m;
        c.pk = v.pk;
        c.contest = cid;
        evote_merkle_tree_free(t);
        t = NULL;
        GUARD(box_rebuild(v.store, cid, &t, &st, collect_cb, &c));
        ENSURE(st == EVOTE_BOX_CLOSED, EVOTE_ERR_BOX_NOT_OPEN, "box %s is not closed", cid);
        GUARD(evote_merkle_tree_root(t, evote_merkle_tree_size(t), mine));
        ENSURE(evote_merkle_tree_size(t) == size && CRYPTO_memcmp(mine, root, 32) == 0,
               EVOTE_ERR_PROOF_MERKLE, "box %s no longer matches its signed closing head", cid);
        PATHF(rel, "ballots/%s.evbx", cid);
        PATHF(path, "%s/%s", tmp, rel);
        GUARD(write_evbx(path, &c));
        GUARD(add_index_entry(files, tmp, rel));
        if (c.n > 0) { /* a ciphertext list holds at least one ciphertext */
            PATHF(rel, "ciphertexts/%s.bt", cid);
            PATHF(path, "%s/%s", tmp, rel);
            GUARD(evote_ctlist_write(path, c.cts, c.n));
            GUARD(add_index_entry(files, tmp, rel));
        }
        heads = json_object_get(e, "tree_heads");
        for (size_t k = 0; k < json_array_size(heads); k++) {
            const char *nm;
            GUARD(box_json_str(json_array_get(heads, k), "name", "closing.json", &nm));
            GUARD(export_statement(v.dir, tmp, nm, files));
        }
    }
    GUARD(sort_entries(files));
    {
        json_t *h = NULL;
        char utc[32], jst[32];
        int64_t now = (int64_t)time(NULL);
        box_time_utc(now, utc);
        box_time_jst(now, jst);
        ALLOC_GUARD(index = json_object());
        (void)h;
        ENSURE(json_object_set_new(index, "format", json_string("libevote-bundle-index/1")) ==
                       0 &&
                   json_object_set_new(index, "election_id",
                                       json_string(evote_manifest_election_id(v.m))) == 0 &&
                   json_object_set_new(index, "manifest_sha256",
                                       box_json_hex(evote_manifest_hash(v.m), 32)) == 0 &&
                   json_object_set_new(index, "time_utc", json_string(utc)) == 0 &&
                   json_object_set_new(index, "time_jst", json_string(jst)) == 0 &&
                   json_object_set(index, "files", files) == 0,
               EVOTE_ERR_NOMEM, "out of memory");
    }
    GUARD(box_json_dump(index, &text, &tlen));
    PATHF(path, "%s/index.json", tmp);
    GUARD(evote_write_file_atomic(path, text, tlen, true, false));
    for (size_t i = 0; i < nsigners; i++)
        GUARD(evote_statement_sign_file(v.o, signers[i], tmp, "index", NULL));
    GUARD(evote_statement_verify_files(v.o, "export", tmp, "index", NULL));
    GUARD(publish_dir(tmp, out_dir));
    made = false;
out:
    if (made)
        rm_tree(tmp);
    free(text);
    evote_buf_free(&c.evbx);
    free(c.cts);
    evote_merkle_tree_free(t);
    json_decref(closing);
    json_decref(files);
    json_decref(index);
    return ret;
}

/* ---- import ---------------------------------------------------------------- */

#define FAIL_AT(err, file, check, ...)                                                   \
    do {                                                                                 \
        char d_[600];                                                                    \
        snprintf(d_, sizeof(d_), __VA_ARGS__);                                           \
        ret = evote_fail((err), "%s: check %s failed: %s", (file), (check), d_);         \
        goto out;                                                                        \
    } while (0)

/* Re-label a failure of a nested call with the file and check. */
#define AT(file, check, expr)                                                            \
    do {                                                                                 \
        evote_err_t at_rv_ = (expr);                                                     \
        if (at_rv_ != EVOTE_OK) {                                                        \
            char d_[600];                                                                \
            snprintf(d_, sizeof(d_), "%s", evote_err_detail());                          \
            ret = evote_fail(at_rv_, "%s: check %s failed: %s", (file), (check), d_);    \
            goto out;                                                                    \
        }                                                                                \
    } while (0)

typedef struct {
    char **paths;
    size_t n, cap;
} file_list_t;

static void file_list_free(file_list_t *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof(*l));
}

/* Every entry under root/rel (relative paths); anything but a regular file
 * or directory is refused. */
static evote_err_t walk(const char *root, const char *rel, int depth, file_list_t *l) {
    evote_err_t ret = EVOTE_OK;
    char path[4096];
    DIR *d = NULL;
    struct dirent *e;
    PATHF(path, "%s%s%s", root, rel[0] ? "/" : "", rel);
    d = opendir(path);
    ENSURE(d != NULL, EVOTE_ERR_BUNDLE, "%s: check file-set failed: cannot list: %s",
           rel[0] ? rel : ".", strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char r[1024], p[4096];
        ENSURE((size_t)snprintf(r, sizeof(r), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) <
                   sizeof(r),
               EVOTE_ERR_BUNDLE, "%s: check file-set failed: name too long", e->d_name);
        PATHF(p, "%s/%s", root, r);
        struct stat st;
        ENSURE(lstat(p, &st) == 0, EVOTE_ERR_BUNDLE, "%s: check file-set failed: %s", r,
               strerror(errno));
        if (S_ISDIR(st.st_mode)) {
            ENSURE(depth < 1, EVOTE_ERR_BUNDLE,
                   "%s: check file-set failed: unexpected directory", r);
            GUARD(walk(root, r, depth + 1, l));
            continue;
        }
        ENSURE(S_ISREG(st.st_mode), EVOTE_ERR_BUNDLE,
               "%s: check file-set failed: not a regular file", r);
        ENSURE(l->n < BUNDLE_MAX_FILES, EVOTE_ERR_BUNDLE,
               "%s: check file-set failed: too many files", r);
        if (l->n == l->cap) {
            size_t nc = l->cap ? 2 * l->cap : 64;
            char **np = realloc(l->paths, nc * sizeof(*np));
            ALLOC_GUARD(np);
            l->paths = np;
            l->cap = nc;
        }
        ALLOC_GUARD(l->paths[l->n] = strdup(r));
        l->n++;
    }
out:
    if (d != NULL)
        closedir(d);
    return ret;
}

static bool safe_rel(const char *p) {
    /* [A-Za-z0-9._-] components, at most one '/', no "." or ".." parts. */
    size_t n = strlen(p), slashes = 0;
    if (n == 0 || n > 512 || p[0] == '/' || p[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '/') {
            slashes++;
            if (i + 1 >= n || p[i + 1] == '.' || p[i + 1] == '/')
                return false;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return slashes <= 1;
}

static bool is_index_sig(const char *rel) {
    size_t n = strlen(rel);
    if (n <= 10 || strncmp(rel, "index.", 6) != 0 || strcmp(rel + n - 4, ".p7s") != 0)
        return false;
    char id[EVOTE_ID_MAX + 2];
    if (n - 10 > EVOTE_ID_MAX)
        return false;
    memcpy(id, rel + 6, n - 10);
    id[n - 10] = '\0';
    return box_id_valid(id);
}

static int cmp_c1(const void *a, const void *b) { return memcmp(a, b, EVOTE_POINT_LEN); }

/* Parse an EVBX file into a tree of leaf hashes and ciphertexts. */
static evote_err_t read_evbx(const char *path, const char *rel, const evote_manifest_t *m,
                             const uint8_t *pk, const char *contest, evote_merkle_tree_t *t,
                             evote_ct_t **cts, size_t *ncts) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0, off = 13;
    uint64_t count;
    evote_ct_t *v = NULL;

    *cts = NULL;
    *ncts = 0;
    AT(rel, "ballots-format", evote_read_file(path, (size_t)1 << 34, &data, &len));
    if (len < 13 || memcmp(data, EVBX_MAGIC, 4) != 0)
        FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ballots-format", "not an EVBX file");
    if (data[4] != EVBX_VERSION)
        FAIL_AT(EVOTE_ERR_VERSION, rel, "ballots-format", "version %u", data[4]);
    count = evote_get_u64be(data + 5);
    if (count > (len - 13) / 5)
        FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ballots-format", "count %llu cannot fit",
                (unsigned long long)count);
    v = calloc(count ? count : 1, sizeof(*v));
    ALLOC_GUARD(v);
    for (uint64_t i = 0; i < count; i++) {
        uint8_t h[32];
        if (len - off < 4)
            FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ballots-format", "ballot %llu truncated",
                    (unsigned long long)i);
        uint32_t bl = evote_get_u32be(data + off);
        off += 4;
        if (bl > len - off || bl > EVOTE_BALLOT_MAX)
            FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ballots-format", "ballot %llu: bad length %u",
                    (unsigned long long)i, bl);
        AT(rel, "ballot-proof", check_ballot(data + off, bl, m, pk, contest, i, &v[i]));
        AT(rel, "ballots-format", evote_merkle_leaf_hash(data + off, bl, h));
        AT(rel, "ballots-format", evote_merkle_tree_append(t, h));
        off += bl;
    }
    if (off != len)
        FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ballots-format", "%zu trailing bytes", len - off);
    /* Reception refuses a repeated C1 (a replayed or mauled copy); so does
     * the counting machine. */
    if (count > 1) {
        uint8_t(*c1s)[EVOTE_POINT_LEN] = malloc((size_t)count * EVOTE_POINT_LEN);
        ALLOC_GUARD(c1s);
        for (uint64_t i = 0; i < count; i++)
            memcpy(c1s[i], v[i].c1, EVOTE_POINT_LEN);
        qsort(c1s, (size_t)count, EVOTE_POINT_LEN, cmp_c1);
        bool dup = false;
        for (uint64_t i = 1; i < count && !dup; i++)
            dup = memcmp(c1s[i - 1], c1s[i], EVOTE_POINT_LEN) == 0;
        free(c1s);
        if (dup)
            FAIL_AT(EVOTE_ERR_REPLAY, rel, "replay", "two ballots share a C1");
    }
    *cts = v;
    *ncts = (size_t)count;
    v = NULL;
out:
    free(v);
    free(data);
    return ret;
}

static evote_err_t read_bundle_statement(const char *dir, const char *name, json_t **j,
                                         uint8_t **bytes, size_t *len) {
    evote_err_t ret = EVOTE_OK;
    char rel[256];
    PATHF(rel, "%s.json", name);
    AT(rel, "statement-format", box_read_statement(dir, name, j, bytes, len));
out:
    return ret;
}

evote_err_t evote_bundle_import(const char *bundle, const char *out_dir,
                                const char *expected_manifest_path, const char *ca_pem_path,
                                bool allow_program_change) {
    evote_err_t ret = EVOTE_OK;
    char path[4096], tmp[4096];
    uint8_t *mbytes = NULL, *ebytes = NULL, *obytes = NULL;
    size_t mlen = 0, elen = 0, olen = 0;
    evote_manifest_t *m = NULL;
    evote_officials_t *o = NULL;
    json_t *index = NULL, *opening = NULL, *closing = NULL, *sth = NULL;
    file_list_t fl = {0};
    uint8_t pk[EVOTE_POINT_LEN], h[32];
    evote_merkle_tree_t *t = NULL;
    evote_ct_t *cts = NULL;
    size_t ncts = 0;
    evote_buf_t ser = {0};
    bool made = false;

    ENSURE(bundle != NULL, EVOTE_ERR_ARG, "import: NULL argument");
    /* 1. The manifest the counting machine was given, byte for byte. */
    PATHF(path, "%s/manifest.json", bundle);
    AT("manifest.json", "file-set", evote_read_file(path, EVOTE_MANIFEST_MAX, &mbytes, &mlen));
    if (expected_manifest_path != NULL) {
        AT(expected_manifest_path, "manifest",
           evote_read_file(expected_manifest_path, EVOTE_MANIFEST_MAX, &ebytes, &elen));
        if (elen != mlen || CRYPTO_memcmp(ebytes, mbytes, mlen) != 0)
            FAIL_AT(EVOTE_ERR_MANIFEST_MISMATCH, "manifest.json", "manifest",
                    "differs from the manifest given to this machine (%s)",
                    expected_manifest_path);
    }
    AT("manifest.json", "manifest", evote_manifest_parse(&m, mbytes, mlen));
    AT("officials CA", "officials", evote_officials_new(&o, m, ca_pem_path));
    /* 2. The index, signed by the officials as "export" demands. */
    AT("index.json", "index-signatures",
       evote_statement_verify_files(o, "export", bundle, "index", NULL));
    AT("index.json", "index-format", box_read_statement(bundle, "index", &index, NULL, NULL));
    {
        const char *s;
        int64_t tt;
        AT("index.json", "index-format", box_json_str(index, "format", "index.json", &s));
        if (strcmp(s, "libevote-bundle-index/1") != 0)
            FAIL_AT(EVOTE_ERR_BUNDLE, "index.json", "index-format", "format \"%s\"", s);
        AT("index.json", "index-format", box_json_str(index, "election_id", "index.json", &s));
        if (strcmp(s, evote_manifest_election_id(m)) != 0)
            FAIL_AT(EVOTE_ERR_WRONG_ELECTION, "index.json", "index-format",
                    "names election %s", s);
        AT("index.json", "index-format", box_json_hash(index, "manifest_sha256", "index.json", h));
        if (CRYPTO_memcmp(h, evote_manifest_hash(m), 32) != 0)
            FAIL_AT(EVOTE_ERR_MANIFEST_MISMATCH, "index.json", "index-format",
                    "names another manifest");
        AT("index.json", "index-format", box_json_str(index, "time_utc", "index.json", &s));
        AT("index.json", "index-format", box_parse_time_utc(s, &tt));
    }
    /* 3. Exactly the files the index lists, plus the index and its
     * signatures: nothing missing, nothing extra. */
    json_t *files = json_object_get(index, "files");
    if (!json_is_array(files))
        FAIL_AT(EVOTE_ERR_BUNDLE, "index.json", "index-format", "\"files\" missing");
    GUARD(walk(bundle, "", 0, &fl));
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *e = json_array_get(files, i);
        const char *p = json_string_value(json_object_get(e, "path"));
        if (p == NULL || !safe_rel(p) || strcmp(p, "index.json") == 0 || is_index_sig(p))
            FAIL_AT(EVOTE_ERR_BUNDLE, "index.json", "index-format", "files[%zu]: bad path", i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(p, json_string_value(json_object_get(json_array_get(files, k),
                                                            "path"))) == 0)
                FAIL_AT(EVOTE_ERR_BUNDLE, "index.json", "index-format", "%s listed twice", p);
        bool present = false;
        for (size_t k = 0; k < fl.n && !present; k++)
            present = strcmp(fl.paths[k], p) == 0;
        if (!present)
            FAIL_AT(EVOTE_ERR_BUNDLE, p, "file-set", "listed in index.json but missing");
    }
    for (size_t k = 0; k < fl.n; k++) {
        const char *p = fl.paths[k];
        bool listed = strcmp(p, "index.json") == 0 || is_index_sig(p);
        for (size_t i = 0; i < json_array_size(files) && !listed; i++)
            listed = strcmp(p, json_string_value(json_object_get(json_array_get(files, i),
                                                                 "path"))) == 0;
        if (!listed)
            FAIL_AT(EVOTE_ERR_BUNDLE, p, "file-set", "not listed in index.json");
    }
    /* 4. Every byte of every file. */
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *e = json_array_get(files, i);
        const char *p = json_string_value(json_object_get(e, "path"));
        uint8_t want[32];
        uint64_t size;
        struct stat st;
        AT("index.json", "index-format", box_json_hash(e, "sha256", "index.json", want));
        AT("index.json", "index-format", box_json_u64(e, "size", "index.json", &size));
        PATHF(path, "%s/%s", bundle, p);
        if (stat(path, &st) != 0 || (uint64_t)st.st_size != size)
            FAIL_AT(EVOTE_ERR_DIGEST_MISMATCH, p, "file-digest",
                    "size differs from index.json");
        AT(p, "file-digest", evote_sha256_file(path, h));
        if (CRYPTO_memcmp(h, want, 32) != 0)
            FAIL_AT(EVOTE_ERR_DIGEST_MISMATCH, p, "file-digest",
                    "SHA-256 differs from index.json");
    }
    /* 5. The public key, the opening: signed, empty, this election. */
    PATHF(path, "%s/public-key.pem", bundle);
    AT("public-key.pem", "public-key", evote_pubkey_read_pem(path, pk));
    AT("opening.json", "opening-signatures",
       evote_statement_verify_files(o, "open", bundle, "opening", NULL));
    GUARD(read_bundle_statement(bundle, "opening", &opening, &obytes, &olen));
    AT("opening.json", "zero-vote", box_check_opening(opening, m, pk, "opening.json"));
    /* 6. The closing. */
    AT("closing.json", "closing-signatures",
       evote_statement_verify_files(o, "close", bundle, "closing", NULL));
    GUARD(read_bundle_statement(bundle, "closing", &closing, NULL, NULL));
    AT("closing.json", "closing-format",
       box_check_header(closing, "libevote-box-closing/1", "closing.json", m, pk));
    {
        uint8_t oh[32];
        AT("closing.json", "closing-format",
           box_json_hash(closing, "opening_sha256", "closing.json", oh));
        AT("opening.json", "closing-format", evote_sha256(obytes, olen, h));
        if (CRYPTO_memcmp(h, oh, 32) != 0)
            FAIL_AT(EVOTE_ERR_DIGEST_MISMATCH, "closing.json", "closing-format",
                    "names another opening statement");
    }
    json_t *boxes = json_object_get(closing, "boxes");
    if (!json_is_array(boxes) || json_array_size(boxes) != evote_manifest_contest_count(m))
        FAIL_AT(EVOTE_ERR_BUNDLE, "closing.json", "closing-format",
                "boxes do not list the manifest's contests");
    /* 7. Each box: ballots valid, the log they form is the closing head,
     * consistent with the empty opening head and every signed head. */
    for (size_t i = 0; i < json_array_size(boxes); i++) {
        const char *cid = evote_manifest_contest_id(m, i), *s;
        json_t *e = json_array_get(boxes, i), *heads;
        uint64_t size;
        uint8_t root[32], mine[32], empty[32], proof[EVOTE_MERKLE_PROOF_MAX][32];
        size_t plen;
        char rel[512];

        AT("closing.json", "closing-format", box_json_str(e, "contest", "closing.json", &s));
        if (strcmp(s, cid) != 0)
            FAIL_AT(EVOTE_ERR_BUNDLE, "closing.json", "closing-format",
                    "boxes[%zu] is %s, expected %s", i, s, cid);
        AT("closing.json", "closing-format", box_json_u64(e, "tree_size", "closing.json", &size));
        AT("closing.json", "closing-format", box_json_hash(e, "root", "closing.json", root));
        evote_merkle_tree_free(t);
        t = NULL;
        free(cts);
        cts = NULL;
        AT("closing.json", "tree-head", evote_merkle_tree_new(&t));
        PATHF(rel, "ballots/%s.evbx", cid);
        PATHF(path, "%s/%s", bundle, rel);
        GUARD(read_evbx(path, rel, m, pk, cid, t, &cts, &ncts));
        AT(rel, "tree-head", evote_merkle_tree_root(t, evote_merkle_tree_size(t), mine));
        if (evote_merkle_tree_size(t) != size || CRYPTO_memcmp(mine, root, 32) != 0)
            FAIL_AT(EVOTE_ERR_PROOF_MERKLE, rel, "tree-head",
                    "%zu ballots do not form the signed closing head (%llu ballots)",
                    (size_t)evote_merkle_tree_size(t), (unsigned long long)size);
        evote_merkle_empty_root(empty);
        AT("closing.json", "closing-format",
           box_json_hashes(e, "consistency_from_opening", "closing.json", proof,
                           EVOTE_MERKLE_PROOF_MAX, &plen));
        AT("closing.json", "consistency",
           evote_merkle_verify_consistency(0, size, empty, root, (const uint8_t(*)[32])proof,
                                           plen));
        heads = json_object_get(e, "tree_heads");
        if (!json_is_array(heads))
            FAIL_AT(EVOTE_ERR_BUNDLE, "closing.json", "closing-format", "tree_heads missing");
        for (size_t k = 0; k < json_array_size(heads); k++) {
            json_t *he = json_array_get(heads, k);
            const char *nm;
            uint8_t sh[32], sroot[32], hroot[32];
            uint64_t ssize, hsize;
            uint8_t *sb = NULL;
            size_t sbl = 0;
            char srel[256];
            AT("closing.json", "closing-format", box_json_str(he, "name", "closing.json", &nm));
            PATHF(srel, "%s.json", nm);
            if (!safe_rel(nm) || strchr(nm, '/') != NULL)
                FAIL_AT(EVOTE_ERR_BUNDLE, "closing.json", "closing-format", "bad head name");
            AT(srel, "tree-head-signatures",
               evote_statement_verify_files(o, BOX_STH_STEP, bundle, nm, NULL));
            json_decref(sth);
            sth = NULL;
            GUARD(read_bundle_statement(bundle, nm, &sth, &sb, &sbl));
            ret = evote_sha256(sb, sbl, h);
            free(sb);
            GUARD(ret);
            AT("closing.json", "closing-format", box_json_hash(he, "sha256", "closing.json", sh));
            if (CRYPTO_memcmp(sh, h, 32) != 0)
                FAIL_AT(EVOTE_ERR_DIGEST_MISMATCH, srel, "tree-head",
                        "differs from the head closing.json names");
            AT(srel, "tree-head", box_check_sth(sth, m, cid, srel, &ssize, sroot));
            AT("closing.json", "closing-format",
               box_json_u64(he, "tree_size", "closing.json", &hsize));
            AT("closing.json", "closing-format",
               box_json_hash(he, "root", "closing.json", hroot));
            if (hsize != ssize || CRYPTO_memcmp(hroot, sroot, 32) != 0)
                FAIL_AT(EVOTE_ERR_BUNDLE, srel, "tree-head", "closing.json quotes it wrongly");
            AT("closing.json", "closing-format",
               box_json_hashes(he, "consistency", "closing.json", proof,
                               EVOTE_MERKLE_PROOF_MAX, &plen));
            AT(srel, "consistency",
               evote_merkle_verify_consistency(ssize, size, sroot, root,
                                               (const uint8_t(*)[32])proof, plen));
        }
        /* The ciphertext list for mixing is exactly the ballots' (C1, C2). */
        PATHF(rel, "ciphertexts/%s.bt", cid);
        PATHF(path, "%s/%s", bundle, rel);
        struct stat st;
        if (ncts == 0) {
            if (stat(path, &st) == 0)
                FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ciphertexts", "present for an empty box");
        } else {
            uint8_t *ct = NULL;
            size_t ctl = 0;
            evote_buf_free(&ser);
            AT(rel, "ciphertexts", evote_ctlist_serialize(cts, ncts, &ser));
            ret = evote_read_file(path, ser.len + 1, &ct, &ctl);
            bool same = ret == EVOTE_OK && ctl == ser.len && memcmp(ct, ser.data, ctl) == 0;
            free(ct);
            if (ret != EVOTE_OK)
                AT(rel, "ciphertexts", ret);
            if (!same)
                FAIL_AT(EVOTE_ERR_BUNDLE, rel, "ciphertexts",
                        "not the ciphertexts of ballots/%s.evbx", cid);
        }
    }
    /* 8. Program authenticity: the same evote and libevote opened and
     * closed the box. */
    {
        uint8_t op[32], ol[32], cp[32], cl[32], qp[32], ql[32];
        json_t *mv = json_object_get(closing, "program_matches_opening");
        AT("opening.json", "program", box_programs_from_json(opening, "program",
                                                             "opening.json", op, ol));
        AT("closing.json", "program", box_programs_from_json(closing, "program",
                                                             "closing.json", cp, cl));
        AT("closing.json", "program", box_programs_from_json(closing, "opening_program",
                                                             "closing.json", qp, ql));
        if (CRYPTO_memcmp(qp, op, 32) != 0 || CRYPTO_memcmp(ql, ol, 32) != 0)
            FAIL_AT(EVOTE_ERR_DIGEST_MISMATCH, "closing.json", "program",
                    "quotes other opening digests than opening.json holds");
        bool same = CRYPTO_memcmp(op, cp, 32) == 0 && CRYPTO_memcmp(ol, cl, 32) == 0;
        if (!json_is_boolean(mv) || json_is_true(mv) != same)
            FAIL_AT(EVOTE_ERR_BUNDLE, "closing.json", "program",
                    "program_matches_opening contradicts the digests");
        if (!same && !allow_program_change)
            FAIL_AT(EVOTE_ERR_DIGEST_MISMATCH, "closing.json", "program",
                    "the box was closed by another evote/libevote than opened it");
    }
    /* 9. Accept: copy into place atomically (evote_bundle_verify: no copy). */
    if (out_dir == NULL)
        goto out;
    GUARD(make_temp_dir(out_dir, tmp, sizeof(tmp)));
    made = true;
    for (size_t k = 0; k < fl.n; k++) {
        char a[4096], b2[4096];
        PATHF(a, "%s/%s", bundle, fl.paths[k]);
        PATHF(b2, "%s/%s", tmp, fl.paths[k]);
        char *slash = strchr(fl.paths[k], '/');
        if (slash != NULL) {
            char dpath[4096];
            PATHF(dpath, "%s/%.*s", tmp, (int)(slash - fl.paths[k]),
                     fl.paths[k]);
            ENSURE(mkdir(dpath, 0755) == 0 || errno == EEXIST, EVOTE_ERR_IO, "%s: %s", dpath,
                   strerror(errno));
        }
        GUARD(copy_file(a, b2));
    }
    /* The copy is what will be counted: check it against the index again. */
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *e = json_array_get(files, i);
        const char *p = json_string_value(json_object_get(e, "path"));
        uint8_t want[32];
        GUARD(box_json_hash(e, "sha256", "index.json", want));
        PATHF(path, "%s/%s", tmp, p);
        GUARD(evote_sha256_file(path, h));
        ENSURE(CRYPTO_memcmp(h, want, 32) == 0, EVOTE_ERR_IO, "%s: copy differs", p);
    }
    GUARD(publish_dir(tmp, out_dir));
    made = false;
out:
    if (made)
        rm_tree(tmp);
    file_list_free(&fl);
    evote_buf_free(&ser);
    free(cts);
    evote_merkle_tree_free(t);
    json_decref(index);
    json_decref(opening);
    json_decref(closing);
    json_decref(sth);
    evote_officials_free(o);
    evote_manifest_free(m);
    free(mbytes);
    free(ebytes);
    free(obytes);
    return ret;
}

evote_err_t evote_bundle_verify(const char *bundle_dir, const char *expected_manifest_path,
                                const char *ca_pem_path, bool allow_program_change) {
    return evote_bundle_import(bundle_dir, NULL, expected_manifest_path, ca_pem_path,
                               allow_program_change);
}
