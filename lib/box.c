/*
 * libevote — the ballot box as a signed transparency log: opening (zero-vote
 * check), tree heads, receipts, closing. docs/PROTOCOL.md §12.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "box_internal.h"
#include "evote/box.h"
#include "evote/store.h"
#include "internal.h"

struct evote_box {
    evote_store_t *store;
    char dir[2048];
    char manifest_path[2048];
    char pubkey_path[2048];
    const evote_manifest_t *m;
    const evote_officials_t *o;
    uint8_t pk[EVOTE_POINT_LEN];
};

evote_err_t evote_box_new(evote_box_t **out, const char *store_path, const char *dir,
                          const evote_manifest_t *m, const char *manifest_path,
                          const char *pubkey_path, const evote_officials_t *o) {
    evote_err_t ret = EVOTE_OK;
    evote_box_t *b = NULL;
    uint8_t h[EVOTE_HASH_LEN];

    ENSURE(out != NULL && store_path != NULL && dir != NULL && m != NULL &&
               manifest_path != NULL && pubkey_path != NULL && o != NULL,
           EVOTE_ERR_ARG, "box: NULL argument");
    *out = NULL;
    ENSURE(strlen(dir) < 1024 && strlen(manifest_path) < 2048 && strlen(pubkey_path) < 2048,
           EVOTE_ERR_ARG, "box: path too long");
    ALLOC_GUARD(b = calloc(1, sizeof(*b)));
    strcpy(b->dir, dir);
    strcpy(b->manifest_path, manifest_path);
    strcpy(b->pubkey_path, pubkey_path);
    b->m = m;
    b->o = o;
    /* The manifest file must be the one that was loaded: it is exported
     * verbatim and its hash anchors every statement. */
    GUARD(evote_sha256_file(manifest_path, h));
    ENSURE(CRYPTO_memcmp(h, evote_manifest_hash(m), EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH, "%s is not the loaded manifest", manifest_path);
    GUARD(evote_pubkey_read_pem(pubkey_path, b->pk));
    ENSURE(mkdir(dir, 0755) == 0 || errno == EEXIST, EVOTE_ERR_IO, "%s: cannot create: %s",
           dir, strerror(errno));
    GUARD(evote_store_open_sqlite(&b->store, store_path));
    *out = b;
    b = NULL;
out:
    evote_box_free(b);
    return ret;
}

void evote_box_free(evote_box_t *b) {
    if (b == NULL)
        return;
    evote_store_free(b->store);
    free(b);
}

/* ---- shared pieces ------------------------------------------------------- */

static evote_err_t box_path(const evote_box_t *b, const char *file, char *out, size_t cap) {
    if ((size_t)snprintf(out, cap, "%s/%s", b->dir, file) >= cap)
        return evote_fail(EVOTE_ERR_ARG, "path too long");
    return EVOTE_OK;
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Common members of every statement: election, manifest, time. */
static evote_err_t stmt_header(const evote_box_t *b, const char *format, json_t **out) {
    evote_err_t ret = EVOTE_OK;
    char utc[32], jst[32];
    json_t *j = NULL;
    int64_t now = (int64_t)time(NULL);

    *out = NULL;
    box_time_utc(now, utc);
    box_time_jst(now, jst);
    ALLOC_GUARD(j = json_object());
    ENSURE(json_object_set_new(j, "format", json_string(format)) == 0 &&
               json_object_set_new(j, "election_id",
                                   json_string(evote_manifest_election_id(b->m))) == 0 &&
               json_object_set_new(j, "manifest_sha256",
                                   box_json_hex(evote_manifest_hash(b->m), 32)) == 0 &&
               json_object_set_new(j, "public_key", box_json_hex(b->pk, EVOTE_POINT_LEN)) ==
                   0 &&
               json_object_set_new(j, "time_utc", json_string(utc)) == 0 &&
               json_object_set_new(j, "time_jst", json_string(jst)) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
    *out = j;
    j = NULL;
out:
    json_decref(j);
    return ret;
}

/* Check a statement's common members against this election. */
evote_err_t box_check_header(const json_t *j, const char *format, const char *what,
                             const evote_manifest_t *m, const uint8_t *pk_or_null) {
    evote_err_t ret = EVOTE_OK;
    const char *s;
    uint8_t h[32];
    int64_t t;

    GUARD(box_json_str(j, "format", what, &s));
    ENSURE(strcmp(s, format) == 0, EVOTE_ERR_FORMAT, "%s: format \"%s\", expected \"%s\"",
           what, s, format);
    GUARD(box_json_str(j, "election_id", what, &s));
    ENSURE(strcmp(s, evote_manifest_election_id(m)) == 0, EVOTE_ERR_WRONG_ELECTION,
           "%s: names election \"%s\"", what, s);
    GUARD(box_json_hash(j, "manifest_sha256", what, h));
    ENSURE(CRYPTO_memcmp(h, evote_manifest_hash(m), 32) == 0, EVOTE_ERR_MANIFEST_MISMATCH,
           "%s: names another manifest", what);
    if (pk_or_null != NULL) {
        uint8_t pk[EVOTE_POINT_LEN];
        GUARD(box_json_str(j, "public_key", what, &s));
        ENSURE(strlen(s) == 2 * EVOTE_POINT_LEN && evote_unhex(pk, sizeof(pk), s) == EVOTE_OK,
               EVOTE_ERR_FORMAT, "%s: public_key is not 33 bytes of hex", what);
        ENSURE(CRYPTO_memcmp(pk, pk_or_null, EVOTE_POINT_LEN) == 0, EVOTE_ERR_KEY_MISMATCH,
               "%s: names another election public key", what);
    }
    GUARD(box_json_str(j, "time_utc", what, &s));
    GUARD(box_parse_time_utc(s, &t));
out:
    return ret;
}

static json_t *programs_json(const evote_programs_t *p) {
    json_t *j = json_object();
    if (j == NULL)
        return NULL;
    if (json_object_set_new(j, "evote_sha256", box_json_hex(p->program_sha256, 32)) != 0 ||
        json_object_set_new(j, "libevote_sha256", box_json_hex(p->library_sha256, 32)) != 0 ||
        json_object_set_new(j, "evote_path", json_string(p->program_path)) != 0 ||
        json_object_set_new(j, "libevote_path", json_string(p->library_path)) != 0 ||
        json_object_set_new(j, "libevote_version", json_string(evote_version())) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Program digests recorded in a statement (opening or closing). */
evote_err_t box_programs_from_json(const json_t *stmt, const char *key, const char *what,
                                   uint8_t prog[32], uint8_t lib[32]) {
    json_t *p = json_object_get(stmt, key);
    if (!json_is_object(p))
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" missing", what, key);
    evote_err_t ret = box_json_hash(p, "evote_sha256", what, prog);
    if (ret == EVOTE_OK)
        ret = box_json_hash(p, "libevote_sha256", what, lib);
    return ret;
}

static evote_err_t write_statement(const char *path, json_t *j) {
    evote_err_t ret = EVOTE_OK;
    char *text = NULL;
    size_t len = 0;
    GUARD(box_json_dump(j, &text, &len));
    ENSURE(len <= EVOTE_STATEMENT_MAX, EVOTE_ERR_TOO_LARGE, "statement of %zu bytes", len);
    GUARD(evote_write_file_atomic(path, text, len, true, false));
out:
    free(text);
    return ret;
}

evote_err_t box_read_statement(const char *dir, const char *name, json_t **j, uint8_t **bytes,
                               size_t *len) {
    evote_err_t ret = EVOTE_OK;
    char path[4096];
    uint8_t *data = NULL;
    size_t n = 0;

    *j = NULL;
    if (bytes != NULL)
        *bytes = NULL;
    ENSURE((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir, name) < sizeof(path),
           EVOTE_ERR_ARG, "path too long");
    GUARD(evote_read_file(path, EVOTE_STATEMENT_MAX, &data, &n));
    GUARD(box_json_parse(data, n, path, j));
    if (bytes != NULL) {
        *bytes = data;
        *len = n;
        data = NULL;
    }
out:
    free(data);
    return ret;
}

/* Collect every ballot of a contest into a Merkle tree, checking each
 * stored leaf hash against the ballot bytes and the result against the
 * store's frontier. cb (may be NULL) sees every ballot. */
typedef struct {
    evote_merkle_tree_t *t;
    const char *contest;
    evote_store_ballot_cb user;
    void *user_ctx;
    uint64_t next;
} rebuild_ctx_t;

static evote_err_t rebuild_cb(void *ctx, uint64_t seq, const uint8_t *ballot, size_t len,
                              const uint8_t leaf_hash[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    rebuild_ctx_t *c = ctx;
    uint8_t h[EVOTE_HASH_LEN];
    (void)seq;
    GUARD(evote_merkle_leaf_hash(ballot, len, h));
    ENSURE(CRYPTO_memcmp(h, leaf_hash, EVOTE_HASH_LEN) == 0, EVOTE_ERR_STORE,
           "box %s: ballot %llu does not match its stored leaf hash", c->contest,
           (unsigned long long)c->next);
    GUARD(evote_merkle_tree_append(c->t, h));
    if (c->user != NULL)
        GUARD(c->user(c->user_ctx, c->next, ballot, len, h));
    c->next++;
out:
    return ret;
}

evote_err_t box_rebuild(evote_store_t *store, const char *contest, evote_merkle_tree_t **out,
                        evote_box_state_t *state, evote_store_ballot_cb cb, void *cb_ctx) {
    evote_err_t ret = EVOTE_OK;
    evote_box_info_t info;
    evote_merkle_frontier_t f;
    uint8_t r1[32], r2[32];
    rebuild_ctx_t c = {0};

    memset(&info, 0, sizeof(info));
    *out = NULL;
    GUARD(evote_store_box_get(store, contest, &info));
    if (state != NULL)
        *state = info.state;
    GUARD(evote_merkle_tree_new(&c.t));
    c.contest = contest;
    c.user = cb;
    c.user_ctx = cb_ctx;
    GUARD(evote_store_ballots_foreach(store, contest, 0, rebuild_cb, &c));
    evote_merkle_frontier_init(&f);
    if (info.frontier != NULL)
        GUARD(evote_merkle_frontier_decode(&f, info.frontier, info.frontier_len));
    /* Ballots may have arrived between box_get and the scan while open:
     * compare only when the sizes agree, else re-read the head. */
    if (f.size != evote_merkle_tree_size(c.t) && info.state == EVOTE_BOX_OPEN) {
        evote_box_info_clear(&info);
        GUARD(evote_store_box_get(store, contest, &info));
        evote_merkle_frontier_init(&f);
        if (info.frontier != NULL)
            GUARD(evote_merkle_frontier_decode(&f, info.frontier, info.frontier_len));
    }
    if (f.size <= evote_merkle_tree_size(c.t)) {
        GUARD(evote_merkle_frontier_root(&f, r1));
        GUARD(evote_merkle_tree_root(c.t, f.size, r2));
        ENSURE(CRYPTO_memcmp(r1, r2, 32) == 0, EVOTE_ERR_STORE,
               "box %s: stored Merkle head (size %llu) differs from the ballots", contest,
               (unsigned long long)f.size);
    }
    ENSURE(info.state == EVOTE_BOX_OPEN || f.size == evote_merkle_tree_size(c.t),
           EVOTE_ERR_STORE, "box %s: stored head has %llu ballots, the box %llu", contest,
           (unsigned long long)f.size, (unsigned long long)evote_merkle_tree_size(c.t));
    *out = c.t;
    c.t = NULL;
out:
    evote_box_info_clear(&info);
    evote_merkle_tree_free(c.t);
    return ret;
}

/* ---- opening ------------------------------------------------------------- */

evote_err_t evote_box_prepare_open(evote_box_t *b) {
    evote_err_t ret = EVOTE_OK;
    json_t *j = NULL, *boxes = NULL, *off = NULL;
    evote_box_info_t info;
    evote_programs_t progs;
    char path[4096];
    uint8_t empty[32];

    memset(&info, 0, sizeof(info));
    ENSURE(b != NULL, EVOTE_ERR_ARG, "box: NULL argument");
    GUARD(box_path(b, "opening.json", path, sizeof(path)));
    ENSURE(!file_exists(path), EVOTE_ERR_EXISTS, "%s exists: the box was opened before",
           path);
    evote_merkle_empty_root(empty);
    ALLOC_GUARD(boxes = json_array());
    for (size_t i = 0; i < evote_manifest_contest_count(b->m); i++) {
        const char *c = evote_manifest_contest_id(b->m, i);
        evote_box_info_clear(&info);
        GUARD(evote_store_box_get(b->store, c, &info));
        /* The zero-vote check comes first: a box holding ballots is
         * reported as such whatever state it claims. */
        ENSURE(info.count == 0, EVOTE_ERR_BOX_NOT_EMPTY,
               "box %s holds %llu ballots: refusing to open", c,
               (unsigned long long)info.count);
        ENSURE(info.state != EVOTE_BOX_CLOSED, EVOTE_ERR_BOX_CLOSED,
               "box %s is closed for good", c);
        ENSURE(info.state != EVOTE_BOX_OPEN, EVOTE_ERR_STATE, "box %s is already open", c);
        json_t *e = json_object();
        ALLOC_GUARD(e);
        ENSURE(json_array_append_new(boxes, e) == 0 &&
                   json_object_set_new(e, "contest", json_string(c)) == 0 &&
                   json_object_set_new(e, "tree_size", json_integer(0)) == 0 &&
                   json_object_set_new(e, "root", box_json_hex(empty, 32)) == 0,
               EVOTE_ERR_NOMEM, "out of memory");
    }
    GUARD(evote_programs_measure(&progs));
    ALLOC_GUARD(off = json_array());
    for (size_t i = 0; i < evote_manifest_person_count(b->m, "official"); i++) {
        json_t *e = json_object();
        ALLOC_GUARD(e);
        ENSURE(json_array_append_new(off, e) == 0 &&
                   json_object_set_new(
                       e, "id", json_string(evote_manifest_person_id(b->m, "official", i))) ==
                       0 &&
                   json_object_set_new(e, "name",
                                       json_string(evote_manifest_person_name(
                                           b->m, "official", i))) == 0,
               EVOTE_ERR_NOMEM, "out of memory");
    }
    GUARD(stmt_header(b, "libevote-box-opening/1", &j));
    ENSURE(json_object_set_new(j, "boxes", boxes) == 0, EVOTE_ERR_NOMEM, "out of memory");
    boxes = NULL;
    ENSURE(json_object_set_new(j, "program", programs_json(&progs)) == 0 &&
               json_object_set_new(j, "officials", off) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
    off = NULL;
    ENSURE(json_object_set_new(
               j, "required_approvals",
               json_integer((json_int_t)evote_manifest_required_approvals(b->m, "open"))) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
    GUARD(write_statement(path, j));
out:
    evote_box_info_clear(&info);
    json_decref(j);
    json_decref(boxes);
    json_decref(off);
    return ret;
}

/* The opening statement names this election, key and every contest (in
 * manifest order) with the empty tree head. */
evote_err_t box_check_opening(const json_t *j, const evote_manifest_t *m,
                              const uint8_t pk[EVOTE_POINT_LEN], const char *what) {
    evote_err_t ret = EVOTE_OK;
    json_t *boxes;
    uint8_t empty[32], root[32], d1[32], d2[32];
    uint64_t size;
    const char *c;

    GUARD(box_check_header(j, "libevote-box-opening/1", what, m, pk));
    evote_merkle_empty_root(empty);
    boxes = json_object_get(j, "boxes");
    ENSURE(json_is_array(boxes) && json_array_size(boxes) == evote_manifest_contest_count(m),
           EVOTE_ERR_FORMAT, "%s: \"boxes\" must list the manifest's %zu contests", what,
           evote_manifest_contest_count(m));
    for (size_t i = 0; i < json_array_size(boxes); i++) {
        json_t *e = json_array_get(boxes, i);
        ENSURE(json_is_object(e), EVOTE_ERR_FORMAT, "%s: boxes[%zu] not an object", what, i);
        GUARD(box_json_str(e, "contest", what, &c));
        ENSURE(strcmp(c, evote_manifest_contest_id(m, i)) == 0, EVOTE_ERR_FORMAT,
               "%s: boxes[%zu] is \"%s\", the manifest's contest %zu is \"%s\"", what, i, c,
               i, evote_manifest_contest_id(m, i));
        GUARD(box_json_u64(e, "tree_size", what, &size));
        GUARD(box_json_hash(e, "root", what, root));
        /* The zero-vote statement: size 0 and the root of the empty tree. */
        ENSURE(size == 0 && CRYPTO_memcmp(root, empty, 32) == 0, EVOTE_ERR_BOX_NOT_EMPTY,
               "%s: box %s was not opened empty", what, c);
    }
    GUARD(box_programs_from_json(j, "program", what, d1, d2));
out:
    return ret;
}

static evote_err_t verified_opening(evote_box_t *b, json_t **out) {
    evote_err_t ret = EVOTE_OK;
    json_t *j = NULL;
    *out = NULL;
    GUARD(evote_statement_verify_files(b->o, "open", b->dir, "opening", NULL));
    GUARD(box_read_statement(b->dir, "opening", &j, NULL, NULL));
    GUARD(box_check_opening(j, b->m, b->pk, "opening.json"));
    *out = j;
    j = NULL;
out:
    json_decref(j);
    return ret;
}

evote_err_t evote_box_commit_open(evote_box_t *b) {
    evote_err_t ret = EVOTE_OK;
    json_t *j = NULL;
    const char **ids = NULL;
    size_t n;

    ENSURE(b != NULL, EVOTE_ERR_ARG, "box: NULL argument");
    GUARD(verified_opening(b, &j));
    n = evote_manifest_contest_count(b->m);
    ALLOC_GUARD(ids = calloc(n ? n : 1, sizeof(*ids)));
    for (size_t i = 0; i < n; i++)
        ids[i] = evote_manifest_contest_id(b->m, i);
    /* One store transaction re-checks that every box is empty and unopened
     * and opens them all: a refusal, an error or a crash opens none.
     * Reception refuses any ballot for a box that is not open, so the
     * counts checked there cannot change under it. */
    GUARD(evote_store_box_open_all(b->store, ids, n));
out:
    free(ids);
    json_decref(j);
    return ret;
}

evote_err_t evote_box_zero_check(evote_box_t *b, uint64_t *sizes) {
    evote_err_t ret = EVOTE_OK;
    json_t *j = NULL;
    evote_merkle_tree_t *t = NULL;
    evote_box_state_t st;

    ENSURE(b != NULL, EVOTE_ERR_ARG, "box: NULL argument");
    GUARD(verified_opening(b, &j));
    for (size_t i = 0; i < evote_manifest_contest_count(b->m); i++) {
        const char *c = evote_manifest_contest_id(b->m, i);
        evote_merkle_tree_free(t);
        t = NULL;
        /* Every box's log, rebuilt from its ballots, must match the stored
         * head; every log extends the empty one the officials signed. */
        GUARD(box_rebuild(b->store, c, &t, &st, NULL, NULL));
        ENSURE(st != EVOTE_BOX_NONE && st != EVOTE_BOX_CREATED,
               EVOTE_ERR_BOX_NOT_OPEN, "box %s: statement signed but box never opened", c);
        if (sizes != NULL)
            sizes[i] = evote_merkle_tree_size(t);
    }
out:
    evote_merkle_tree_free(t);
    json_decref(j);
    return ret;
}

/* ---- tree heads ---------------------------------------------------------- */

evote_err_t evote_box_prepare_sth(evote_box_t *b, const char *contest, char name_out[128]) {
    evote_err_t ret = EVOTE_OK;
    evote_merkle_tree_t *t = NULL;
    evote_box_state_t st;
    json_t *j = NULL;
    uint8_t root[32];
    uint64_t n;
    char path[4096], name[128];
    size_t idx;

    ENSURE(b != NULL && contest != NULL && name_out != NULL, EVOTE_ERR_ARG,
           "box: NULL argument");
    name_out[0] = '\0';
    GUARD(evote_manifest_contest_index(b->m, contest, &idx));
    GUARD(box_rebuild(b->store, contest, &t, &st, NULL, NULL));
    ENSURE(st == EVOTE_BOX_OPEN, st == EVOTE_BOX_CLOSED ? EVOTE_ERR_BOX_CLOSED
                                                         : EVOTE_ERR_BOX_NOT_OPEN,
           "box %s is not open (closing.json holds the final head)", contest);
    n = evote_merkle_tree_size(t);
    GUARD(evote_merkle_tree_root(t, n, root));
    snprintf(name, sizeof(name), "sth-%s-%llu", contest, (unsigned long long)n);
    GUARD(stmt_header(b, "libevote-box-tree-head/1", &j));
    ENSURE(json_object_set_new(j, "contest", json_string(contest)) == 0 &&
               json_object_set_new(j, "tree_size", json_integer((json_int_t)n)) == 0 &&
               json_object_set_new(j, "root", box_json_hex(root, 32)) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
    GUARD(box_path(b, name, path, sizeof(path) - 5));
    strcat(path, ".json");
    GUARD(write_statement(path, j));
    snprintf(name_out, 128, "%s", name);
out:
    evote_merkle_tree_free(t);
    json_decref(j);
    return ret;
}

/* A tree head statement and what it says. */
evote_err_t box_check_sth(const json_t *j, const evote_manifest_t *m, const char *contest,
                          const char *what, uint64_t *size, uint8_t root[32]) {
    evote_err_t ret = EVOTE_OK;
    const char *c;
    GUARD(box_check_header(j, "libevote-box-tree-head/1", what, m, NULL));
    GUARD(box_json_str(j, "contest", what, &c));
    ENSURE(strcmp(c, contest) == 0, EVOTE_ERR_FORMAT, "%s: tree head of contest %s, not %s",
           what, c, contest);
    GUARD(box_json_u64(j, "tree_size", what, size));
    GUARD(box_json_hash(j, "root", what, root));
out:
    return ret;
}

/* Signed tree heads of contest in dir, by size (ascending): names malloc'd. */
evote_err_t box_list_sths(const char *dir, const char *contest, char ***names,
                          uint64_t **sizes, size_t *n) {
    evote_err_t ret = EVOTE_OK;
    DIR *d = NULL;
    struct dirent *e;
    char prefix[128];
    size_t k = 0, cap = 0;
    char **nm = NULL;
    uint64_t *sz = NULL;

    *names = NULL;
    *sizes = NULL;
    *n = 0;
    snprintf(prefix, sizeof(prefix), "sth-%s-", contest);
    d = opendir(dir);
    ENSURE(d != NULL, EVOTE_ERR_IO, "%s: cannot list", dir);
    while ((e = readdir(d)) != NULL) {
        size_t pl = strlen(prefix), fl = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, pl) != 0 || fl <= pl + 5 ||
            strcmp(e->d_name + fl - 5, ".json") != 0)
            continue;
        char digits[32];
        size_t dl = fl - pl - 5;
        if (dl == 0 || dl >= sizeof(digits))
            continue;
        memcpy(digits, e->d_name + pl, dl);
        digits[dl] = '\0';
        if (strspn(digits, "0123456789") != dl || (dl > 1 && digits[0] == '0'))
            continue;
        if (k == cap) {
            cap = cap ? 2 * cap : 16;
            char **a = realloc(nm, cap * sizeof(*nm));
            ALLOC_GUARD(a);
            nm = a;
            uint64_t *s = realloc(sz, cap * sizeof(*sz));
            ALLOC_GUARD(s);
            sz = s;
        }
        ALLOC_GUARD(nm[k] = strndup(e->d_name, fl - 5));
        sz[k] = strtoull(digits, NULL, 10);
        k++;
    }
    /* insertion sort by size: few heads per contest */
    for (size_t i = 1; i < k; i++)
        for (size_t x = i; x > 0 && sz[x - 1] > sz[x]; x--) {
            uint64_t ts = sz[x];
            sz[x] = sz[x - 1];
            sz[x - 1] = ts;
            char *tn = nm[x];
            nm[x] = nm[x - 1];
            nm[x - 1] = tn;
        }
    *names = nm;
    *sizes = sz;
    *n = k;
    nm = NULL;
    sz = NULL;
out:
    if (nm != NULL) {
        for (size_t i = 0; i < k; i++)
            free(nm[i]);
        free(nm);
    }
    free(sz);
    if (d != NULL)
        closedir(d);
    return ret;
}

static void free_names(char **names, size_t n) {
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- receipts ------------------------------------------------------------- */

typedef struct {
    const uint8_t *code;
    uint64_t found;
    bool hit;
} find_ctx_t;

static evote_err_t find_cb(void *ctx, uint64_t seq, const uint8_t *ballot, size_t len,
                           const uint8_t leaf[EVOTE_HASH_LEN]) {
    find_ctx_t *f = ctx;
    uint8_t h[32];
    (void)leaf;
    evote_err_t ret = evote_sha256(ballot, len, h);
    if (ret == EVOTE_OK && !f->hit && CRYPTO_memcmp(h, f->code, 32) == 0) {
        f->hit = true;
        f->found = seq;
    }
    return ret;
}

static char *b64(const uint8_t *p, size_t n) {
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

evote_err_t evote_box_receipt(evote_box_t *b, const char *contest,
                              const uint8_t tracking_code[EVOTE_HASH_LEN], char **json,
                              size_t *len) {
    evote_err_t ret = EVOTE_OK;
    evote_merkle_tree_t *t = NULL;
    find_ctx_t f = {tracking_code, 0, false};
    char **names = NULL, *sigs[64] = {0};
    uint64_t *sizes = NULL;
    size_t n = 0, nsig = 0, plen = 0, idx;
    uint8_t *sth = NULL, proof[EVOTE_MERKLE_PROOF_MAX][32], root[32], size_root[32];
    size_t sth_len = 0;
    json_t *j = NULL, *jsigs = NULL, *sthj = NULL;
    const char *use = NULL;
    uint64_t size = 0;

    ENSURE(b != NULL && contest != NULL && tracking_code != NULL && json != NULL && len != NULL,
           EVOTE_ERR_ARG, "receipt: NULL argument");
    *json = NULL;
    *len = 0;
    GUARD(evote_manifest_contest_index(b->m, contest, &idx));
    GUARD(box_rebuild(b->store, contest, &t, NULL, find_cb, &f));
    ENSURE(f.hit, EVOTE_ERR_NOT_FOUND, "box %s holds no ballot with that tracking code",
           contest);
    GUARD(box_list_sths(b->dir, contest, &names, &sizes, &n));
    /* The latest signed head that covers the ballot. */
    for (size_t i = n; i-- > 0 && use == NULL;) {
        if (sizes[i] <= f.found || sizes[i] > evote_merkle_tree_size(t))
            continue;
        if (evote_statement_verify_files(b->o, BOX_STH_STEP, b->dir, names[i], NULL) ==
            EVOTE_OK) {
            use = names[i];
            size = sizes[i];
        }
    }
    evote_err_clear();
    ENSURE(use != NULL, EVOTE_ERR_NOT_FOUND,
           "no signed tree head of box %s covers ballot %llu yet: ask the officials for one "
           "(evote box sth)",
           contest, (unsigned long long)f.found);
    GUARD(box_read_statement(b->dir, use, &sthj, &sth, &sth_len));
    GUARD(box_check_sth(sthj, b->m, contest, use, &size, root));
    GUARD(evote_merkle_tree_root(t, size, size_root));
    ENSURE(CRYPTO_memcmp(root, size_root, 32) == 0, EVOTE_ERR_PROOF_MERKLE,
           "%s: signed root differs from the box's log", use);
    GUARD(evote_merkle_tree_inclusion_proof(t, f.found, size, proof, EVOTE_MERKLE_PROOF_MAX,
                                            &plen));
    GUARD(box_list_signatures(b->dir, use, sigs, 64, &nsig));
    ALLOC_GUARD(jsigs = json_object());
    for (size_t i = 0; i < nsig; i++) {
        char path[4096];
        uint8_t *der = NULL;
        size_t dl = 0;
        snprintf(path, sizeof(path), "%s/%s", b->dir, sigs[i]);
        GUARD(evote_read_file(path, 65536, &der, &dl));
        char *s = b64(der, dl);
        free(der);
        ALLOC_GUARD(s);
        /* key: the official part of NAME.<official>.p7s */
        char off[EVOTE_ID_MAX + 1];
        size_t ul = strlen(use);
        snprintf(off, sizeof(off), "%.*s", (int)(strlen(sigs[i]) - ul - 5), sigs[i] + ul + 1);
        int rc = json_object_set_new(jsigs, off, json_string(s));
        free(s);
        ENSURE(rc == 0, EVOTE_ERR_NOMEM, "out of memory");
    }
    ALLOC_GUARD(j = json_object());
    ENSURE(json_object_set_new(j, "format", json_string("libevote-receipt/1")) == 0 &&
               json_object_set_new(j, "election_id",
                                   json_string(evote_manifest_election_id(b->m))) == 0 &&
               json_object_set_new(j, "contest", json_string(contest)) == 0 &&
               json_object_set_new(j, "tracking_code", box_json_hex(tracking_code, 32)) == 0 &&
               json_object_set_new(j, "leaf_hash",
                                   box_json_hex(evote_merkle_tree_leaf(t, f.found), 32)) == 0 &&
               json_object_set_new(j, "leaf_index", json_integer((json_int_t)f.found)) == 0 &&
               json_object_set_new(j, "inclusion_proof",
                                   box_json_hash_array((const uint8_t(*)[32])proof, plen)) ==
                   0 &&
               json_object_set_new(j, "tree_head",
                                   json_stringn((const char *)sth, sth_len)) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
    ENSURE(json_object_set_new(j, "tree_head_signatures", jsigs) == 0, EVOTE_ERR_NOMEM,
           "out of memory");
    jsigs = NULL;
    GUARD(box_json_dump(j, json, len));
out:
    for (size_t i = 0; i < 64; i++)
        free(sigs[i]);
    free_names(names, n);
    free(sizes);
    free(sth);
    json_decref(sthj);
    json_decref(j);
    json_decref(jsigs);
    evote_merkle_tree_free(t);
    return ret;
}

evote_err_t evote_receipt_verify(const evote_officials_t *o, const uint8_t *receipt, size_t len,
                                 const uint8_t *ballot, size_t ballot_len) {
    evote_err_t ret = EVOTE_OK;
    json_t *j = NULL, *sth = NULL, *jsigs;
    const char *s, *contest, *sth_text;
    uint8_t code[32], leaf[32], root[32], h[32], proof[EVOTE_MERKLE_PROOF_MAX][32];
    uint8_t *sigs[64] = {0};
    size_t sig_lens[64] = {0}, nsig = 0, plen = 0;
    uint64_t index, size;

    ENSURE(receipt != NULL && (ballot != NULL || ballot_len == 0), EVOTE_ERR_ARG,
           "receipt verify: NULL argument");
    ENSURE(len <= 4 * EVOTE_STATEMENT_MAX, EVOTE_ERR_TOO_LARGE, "receipt too large");
    GUARD(box_json_parse(receipt, len, "receipt", &j));
    GUARD(box_json_str(j, "format", "receipt", &s));
    ENSURE(strcmp(s, "libevote-receipt/1") == 0, EVOTE_ERR_FORMAT, "receipt: format \"%s\"", s);
    GUARD(box_json_str(j, "contest", "receipt", &contest));
    GUARD(box_json_hash(j, "tracking_code", "receipt", code));
    GUARD(box_json_hash(j, "leaf_hash", "receipt", leaf));
    GUARD(box_json_u64(j, "leaf_index", "receipt", &index));
    GUARD(box_json_hashes(j, "inclusion_proof", "receipt", proof, EVOTE_MERKLE_PROOF_MAX,
                          &plen));
    GUARD(box_json_str(j, "tree_head", "receipt", &sth_text));
    size_t sth_len = json_string_length(json_object_get(j, "tree_head"));
    GUARD(box_json_parse((const uint8_t *)sth_text, sth_len, "receipt tree_head", &sth));
    GUARD(box_json_str(sth, "contest", "receipt tree_head", &s));
    ENSURE(strcmp(s, contest) == 0, EVOTE_ERR_FORMAT,
           "receipt: tree head of contest %s, receipt for %s", s, contest);
    GUARD(box_json_u64(sth, "tree_size", "receipt tree_head", &size));
    GUARD(box_json_hash(sth, "root", "receipt tree_head", root));
    if (o != NULL) {
        jsigs = json_object_get(j, "tree_head_signatures");
        ENSURE(json_is_object(jsigs), EVOTE_ERR_FORMAT,
               "receipt: tree_head_signatures missing");
        const char *key;
        json_t *v;
        json_object_foreach(jsigs, key, v) {
            const char *t = json_string_value(v);
            ENSURE(t != NULL && nsig < 64, EVOTE_ERR_FORMAT, "receipt: bad signature entry");
            size_t tl = strlen(t);
            ENSURE(tl % 4 == 0 && tl <= 4 * 65536 / 3 + 4, EVOTE_ERR_FORMAT,
                   "receipt: signature of %s is not base64", key);
            ALLOC_GUARD(sigs[nsig] = malloc(tl / 4 * 3 + 1));
            int dl = EVP_DecodeBlock(sigs[nsig], (const unsigned char *)t, (int)tl);
            ENSURE(dl >= 0, EVOTE_ERR_FORMAT, "receipt: signature of %s is not base64", key);
            /* EVP_DecodeBlock counts padding as zero bytes */
            if (tl >= 1 && t[tl - 1] == '=')
                dl--;
            if (tl >= 2 && t[tl - 2] == '=')
                dl--;
            sig_lens[nsig++] = (size_t)dl;
        }
        GUARD(box_check_header(sth, "libevote-box-tree-head/1", "receipt tree_head",
                               evote_officials_manifest(o), NULL));
        GUARD(evote_statement_verify(o, BOX_STH_STEP, (const uint8_t *)sth_text, sth_len,
                                     (const uint8_t *const *)sigs, sig_lens, NULL, nsig,
                                     NULL));
    }
    if (ballot != NULL) {
        GUARD(evote_sha256(ballot, ballot_len, h));
        ENSURE(CRYPTO_memcmp(h, code, 32) == 0, EVOTE_ERR_PROOF_MERKLE,
               "receipt: tracking code is not that of this ballot");
        GUARD(evote_merkle_leaf_hash(ballot, ballot_len, h));
        ENSURE(CRYPTO_memcmp(h, leaf, 32) == 0, EVOTE_ERR_PROOF_MERKLE,
               "receipt: leaf hash is not that of this ballot");
    }
    GUARD(evote_merkle_verify_inclusion(leaf, index, size, (const uint8_t(*)[32])proof, plen,
                                        root));
out:
    for (size_t i = 0; i < 64; i++)
        free(sigs[i]);
    json_decref(sth);
    json_decref(j);
    return ret;
}

/* ---- closing -------------------------------------------------------------- */

evote_err_t evote_box_close(evote_box_t *b, bool *programs_match) {
    evote_err_t ret = EVOTE_OK;
    json_t *open = NULL, *j = NULL, *boxes = NULL, *sth = NULL;
    evote_box_info_t info;
    evote_merkle_tree_t *t = NULL;
    evote_programs_t now;
    uint8_t op_prog[32], op_lib[32], root[32], proof[EVOTE_MERKLE_PROOF_MAX][32];
    uint8_t *opening_bytes = NULL;
    size_t opening_len = 0, plen;
    char path[4096], **names = NULL;
    uint64_t *sizes = NULL;
    size_t nsth = 0;
    bool match;

    memset(&info, 0, sizeof(info));
    if (programs_match != NULL)
        *programs_match = false;
    ENSURE(b != NULL, EVOTE_ERR_ARG, "box: NULL argument");
    GUARD(box_path(b, "closing.json", path, sizeof(path)));
    ENSURE(!file_exists(path), EVOTE_ERR_BOX_CLOSED, "the box was closed before (%s)", path);
    GUARD(verified_opening(b, &open));
    GUARD(box_read_statement(b->dir, "opening", &sth, &opening_bytes, &opening_len));
    json_decref(sth);
    sth = NULL;
    /* Stop reception for good before anything else: every later head is
     * final. A box already closed by an interrupted run stays closed. */
    for (size_t i = 0; i < evote_manifest_contest_count(b->m); i++) {
        const char *c = evote_manifest_contest_id(b->m, i);
        evote_box_info_clear(&info);
        GUARD(evote_store_box_get(b->store, c, &info));
        ENSURE(info.state == EVOTE_BOX_OPEN || info.state == EVOTE_BOX_CLOSED,
               EVOTE_ERR_BOX_NOT_OPEN, "box %s was never opened", c);
        if (info.state == EVOTE_BOX_OPEN)
            GUARD(evote_store_box_set(b->store, c, EVOTE_BOX_CLOSED, NULL, 0));
    }
    ALLOC_GUARD(boxes = json_array());
    for (size_t i = 0; i < evote_manifest_contest_count(b->m); i++) {
        const char *c = evote_manifest_contest_id(b->m, i);
        json_t *e = NULL, *heads = NULL;
        uint64_t n;
        evote_merkle_tree_free(t);
        t = NULL;
        GUARD(box_rebuild(b->store, c, &t, NULL, NULL, NULL));
        n = evote_merkle_tree_size(t);
        GUARD(evote_merkle_tree_root(t, n, root));
        ALLOC_GUARD(e = json_object());
        ENSURE(json_array_append_new(boxes, e) == 0, EVOTE_ERR_NOMEM, "out of memory");
        ENSURE(json_object_set_new(e, "contest", json_string(c)) == 0 &&
                   json_object_set_new(e, "tree_size", json_integer((json_int_t)n)) == 0 &&
                   json_object_set_new(e, "root", box_json_hex(root, 32)) == 0 &&
                   json_object_set_new(e, "consistency_from_opening", json_array()) == 0,
               EVOTE_ERR_NOMEM, "out of memory");
        /* Every tree head the officials signed while open must be a prefix
         * of the final log: record the proof, refuse to hide a fork. */
        ALLOC_GUARD(heads = json_array());
        ENSURE(json_object_set_new(e, "tree_heads", heads) == 0, EVOTE_ERR_NOMEM,
               "out of memory");
        free_names(names, nsth);
        free(sizes);
        names = NULL;
        sizes = NULL;
        GUARD(box_list_sths(b->dir, c, &names, &sizes, &nsth));
        for (size_t k = 0; k < nsth; k++) {
            uint8_t *bytes = NULL, h[32], sroot[32], mine[32];
            size_t blen = 0;
            uint64_t ssize;
            if (evote_statement_verify_files(b->o, BOX_STH_STEP, b->dir, names[k], NULL) !=
                EVOTE_OK)
                continue; /* an unsigned draft is no commitment */
            json_decref(sth);
            sth = NULL;
            GUARD(box_read_statement(b->dir, names[k], &sth, &bytes, &blen));
            ret = evote_sha256(bytes, blen, h);
            free(bytes);
            GUARD(ret);
            GUARD(box_check_sth(sth, b->m, c, names[k], &ssize, sroot));
            ENSURE(ssize <= n, EVOTE_ERR_PROOF_MERKLE,
                   "%s: signed head of %llu ballots, the box holds %llu", names[k],
                   (unsigned long long)ssize, (unsigned long long)n);
            GUARD(evote_merkle_tree_root(t, ssize, mine));
            ENSURE(CRYPTO_memcmp(mine, sroot, 32) == 0, EVOTE_ERR_PROOF_MERKLE,
                   "%s: signed root is not a prefix of the final log", names[k]);
            GUARD(evote_merkle_tree_consistency_proof(t, ssize, n, proof,
                                                      EVOTE_MERKLE_PROOF_MAX, &plen));
            json_t *he = json_object();
            ALLOC_GUARD(he);
            ENSURE(json_array_append_new(heads, he) == 0 &&
                       json_object_set_new(he, "name", json_string(names[k])) == 0 &&
                       json_object_set_new(he, "sha256", box_json_hex(h, 32)) == 0 &&
                       json_object_set_new(he, "tree_size", json_integer((json_int_t)ssize)) ==
                           0 &&
                       json_object_set_new(he, "root", box_json_hex(sroot, 32)) == 0 &&
                       json_object_set_new(
                           he, "consistency",
                           box_json_hash_array((const uint8_t(*)[32])proof, plen)) == 0,
                   EVOTE_ERR_NOMEM, "out of memory");
        }
    }
    /* Program authenticity: the program closing the box must be the one
     * that opened it. A mismatch does not stop the close (reception is
     * already stopped) but is written into the signed statement. */
    GUARD(evote_programs_measure(&now));
    GUARD(box_programs_from_json(open, "program", "opening.json", op_prog, op_lib));
    match = CRYPTO_memcmp(op_prog, now.program_sha256, 32) == 0 &&
            CRYPTO_memcmp(op_lib, now.library_sha256, 32) == 0;
    {
        uint8_t oh[32];
        GUARD(evote_sha256(opening_bytes, opening_len, oh));
        GUARD(stmt_header(b, "libevote-box-closing/1", &j));
        ENSURE(json_object_set_new(j, "opening_sha256", box_json_hex(oh, 32)) == 0,
               EVOTE_ERR_NOMEM, "out of memory");
    }
    ENSURE(json_object_set_new(j, "boxes", boxes) == 0, EVOTE_ERR_NOMEM, "out of memory");
    boxes = NULL;
    ENSURE(json_object_set_new(j, "program", programs_json(&now)) == 0 &&
               json_object_set(j, "opening_program", json_object_get(open, "program")) == 0 &&
               json_object_set_new(j, "program_matches_opening", json_boolean(match)) == 0 &&
               json_object_set_new(j, "required_approvals",
                                   json_integer((json_int_t)evote_manifest_required_approvals(
                                       b->m, "close"))) == 0,
           EVOTE_ERR_NOMEM, "out of memory");
    GUARD(write_statement(path, j));
    if (programs_match != NULL)
        *programs_match = match;
out:
    evote_box_info_clear(&info);
    free_names(names, nsth);
    free(sizes);
    free(opening_bytes);
    evote_merkle_tree_free(t);
    json_decref(open);
    json_decref(j);
    json_decref(boxes);
    json_decref(sth);
    return ret;
}

/* Read-only view for bundle.c. */
struct box_view {
    evote_store_t *store;
    const char *dir, *manifest_path, *pubkey_path;
    const evote_manifest_t *m;
    const evote_officials_t *o;
    const uint8_t *pk;
};
void box_view(const evote_box_t *b, struct box_view *v);
void box_view(const evote_box_t *b, struct box_view *v) {
    v->store = b->store;
    v->dir = b->dir;
    v->manifest_path = b->manifest_path;
    v->pubkey_path = b->pubkey_path;
    v->m = b->m;
    v->o = b->o;
    v->pk = b->pk;
}
