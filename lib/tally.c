/*
 * libevote — plaintext lists (decryption output) and the tally.
 * Formats: docs/PROTOCOL.md §8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "evote/ballot.h"
#include "evote/bytetree.h"
#include "evote/tally.h"
#include "internal.h"

#define TALLY_FORMAT "libevote-tally/1"
#define PT_MAGIC_PREFIX "libevote-plaintexts/"

enum { ENTRY_UNSET = 0, ENTRY_INVALID = 1, ENTRY_POINT = 2 };

struct evote_plaintexts {
    size_t n;
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    char contest_id[EVOTE_ID_MAX + 1];
    uint8_t input_sha256[EVOTE_HASH_LEN];
    uint8_t (*points)[EVOTE_POINT_LEN];
    uint8_t *state;
};

void evote_plaintexts_free(evote_plaintexts_t *p) {
    if (p == NULL)
        return;
    /* Plaintexts are secret until the tally is published. */
    if (p->points != NULL)
        OPENSSL_cleanse(p->points, p->n * EVOTE_POINT_LEN);
    free(p->points);
    free(p->state);
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}

static evote_err_t pt_alloc(evote_plaintexts_t **out, size_t n) {
    evote_err_t ret = EVOTE_OK;
    evote_plaintexts_t *p = NULL;
    ENSURE(n >= 1 && n <= EVOTE_PLAINTEXTS_MAX, EVOTE_ERR_ARG,
           "plaintext list: %zu entries is outside 1..%u", n, EVOTE_PLAINTEXTS_MAX);
    ALLOC_GUARD(p = calloc(1, sizeof(*p)));
    p->n = n;
    ALLOC_GUARD(p->points = calloc(n, EVOTE_POINT_LEN));
    ALLOC_GUARD(p->state = calloc(n, 1));
    *out = p;
    p = NULL;
out:
    evote_plaintexts_free(p);
    return ret;
}

evote_err_t evote_plaintexts_new(evote_plaintexts_t **out, size_t n,
                                 const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                 const char *contest_id,
                                 const uint8_t input_sha256[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_plaintexts_t *p = NULL;
    ENSURE(out != NULL && manifest_hash != NULL && contest_id != NULL && input_sha256 != NULL,
           EVOTE_ERR_ARG, "plaintext list: bad argument");
    *out = NULL;
    ENSURE(evote_manifest_id_valid(contest_id), EVOTE_ERR_ARG,
           "plaintext list: contest id is not a valid id");
    GUARD(pt_alloc(&p, n));
    memcpy(p->manifest_hash, manifest_hash, EVOTE_HASH_LEN);
    memcpy(p->input_sha256, input_sha256, EVOTE_HASH_LEN);
    snprintf(p->contest_id, sizeof(p->contest_id), "%s", contest_id);
    *out = p;
    p = NULL;
out:
    evote_plaintexts_free(p);
    return ret;
}

evote_err_t evote_plaintexts_set(evote_plaintexts_t *p, size_t i,
                                 const uint8_t point[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(p != NULL && i < p->n, EVOTE_ERR_ARG, "plaintext list: index %zu out of range", i);
    if (point == NULL) {
        memset(p->points[i], 0, EVOTE_POINT_LEN);
        p->state[i] = ENTRY_INVALID;
        return EVOTE_OK;
    }
    ret = evote_point_check(point);
    if (ret != EVOTE_OK) {
        ret = evote_fail(ret, "plaintext %zu: %s", i, evote_strerror(ret));
        goto out;
    }
    memcpy(p->points[i], point, EVOTE_POINT_LEN);
    p->state[i] = ENTRY_POINT;
out:
    return ret;
}

static evote_err_t pt_serialize(const evote_plaintexts_t *p, evote_buf_t *b) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(p != NULL && b != NULL, EVOTE_ERR_ARG, "plaintext list: bad argument");
    for (size_t i = 0; i < p->n; i++)
        ENSURE(p->state[i] != ENTRY_UNSET, EVOTE_ERR_STATE,
               "plaintext list: entry %zu was never set", i);
    GUARD(evote_bt_put_node(b, 5));
    GUARD(evote_bt_put_leaf(b, EVOTE_PLAINTEXTS_FORMAT, strlen(EVOTE_PLAINTEXTS_FORMAT)));
    GUARD(evote_bt_put_leaf(b, p->manifest_hash, EVOTE_HASH_LEN));
    GUARD(evote_bt_put_leaf(b, p->contest_id, (uint32_t)strlen(p->contest_id)));
    GUARD(evote_bt_put_leaf(b, p->input_sha256, EVOTE_HASH_LEN));
    GUARD(evote_bt_put_node(b, (uint32_t)p->n));
    for (size_t i = 0; i < p->n; i++)
        GUARD(evote_bt_put_leaf(b, p->points[i],
                                p->state[i] == ENTRY_POINT ? EVOTE_POINT_LEN : 0));
out:
    return ret;
}

evote_err_t evote_plaintexts_serialize(const evote_plaintexts_t *p, uint8_t **out,
                                       size_t *len) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    ENSURE(out != NULL && len != NULL, EVOTE_ERR_ARG, "plaintext list: bad argument");
    *out = NULL;
    *len = 0;
    GUARD(pt_serialize(p, &b));
    *out = b.data;
    *len = b.len;
    b.data = NULL;
out:
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.len);
    evote_buf_free(&b);
    return ret;
}

evote_err_t evote_plaintexts_write(const evote_plaintexts_t *p, const char *path) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    ENSURE(path != NULL, EVOTE_ERR_ARG, "plaintext list: bad argument");
    GUARD(pt_serialize(p, &b));
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, false));
out:
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.len);
    evote_buf_free(&b);
    return ret;
}

evote_err_t evote_plaintexts_parse(evote_plaintexts_t **out, const uint8_t *data, size_t len) {
    evote_err_t ret = EVOTE_OK;
    evote_plaintexts_t *p = NULL;
    evote_bt_reader_t r;
    const uint8_t *d;
    uint32_t n, dl;

    ENSURE(out != NULL && (data != NULL || len == 0), EVOTE_ERR_ARG,
           "plaintext list: bad argument");
    *out = NULL;
    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &n));
    ENSURE(n == 5, EVOTE_ERR_FORMAT, "plaintext list: top node has %u children, expected 5",
           n);
    GUARD(evote_bt_read_leaf(&r, &d, &dl));
    if (dl != strlen(EVOTE_PLAINTEXTS_FORMAT) ||
        memcmp(d, EVOTE_PLAINTEXTS_FORMAT, dl) != 0) {
        bool other_version =
            dl > strlen(PT_MAGIC_PREFIX) && memcmp(d, PT_MAGIC_PREFIX, strlen(PT_MAGIC_PREFIX)) == 0;
        ret = evote_fail(other_version ? EVOTE_ERR_VERSION : EVOTE_ERR_FORMAT,
                         "plaintext list: magic is not \"%s\"", EVOTE_PLAINTEXTS_FORMAT);
        goto out;
    }
    uint8_t mh[EVOTE_HASH_LEN], ih[EVOTE_HASH_LEN];
    char cid[EVOTE_ID_MAX + 1];
    GUARD(evote_bt_read_leaf_fixed(&r, mh, EVOTE_HASH_LEN));
    GUARD(evote_bt_read_leaf(&r, &d, &dl));
    ENSURE(dl >= 1 && dl <= EVOTE_ID_MAX, EVOTE_ERR_FORMAT,
           "plaintext list: contest id of %u bytes", dl);
    memcpy(cid, d, dl);
    cid[dl] = '\0';
    ENSURE(strlen(cid) == dl && evote_manifest_id_valid(cid), EVOTE_ERR_FORMAT,
           "plaintext list: contest id is not a valid id");
    GUARD(evote_bt_read_leaf_fixed(&r, ih, EVOTE_HASH_LEN));
    GUARD(evote_bt_read_node(&r, &n));
    ENSURE(n >= 1 && n <= EVOTE_PLAINTEXTS_MAX, EVOTE_ERR_FORMAT,
           "plaintext list: %u entries is outside 1..%u", n, EVOTE_PLAINTEXTS_MAX);
    GUARD(pt_alloc(&p, n));
    memcpy(p->manifest_hash, mh, EVOTE_HASH_LEN);
    memcpy(p->input_sha256, ih, EVOTE_HASH_LEN);
    memcpy(p->contest_id, cid, dl + 1);
    for (uint32_t i = 0; i < n; i++) {
        ret = evote_bt_read_leaf(&r, &d, &dl);
        if (ret != EVOTE_OK) {
            ret = evote_fail(ret, "plaintext list: entry %u: %s", i, evote_err_detail());
            goto out;
        }
        ENSURE(dl == 0 || dl == EVOTE_POINT_LEN, EVOTE_ERR_FORMAT,
               "plaintext list: entry %u has %u bytes, expected 0 or %d", i, dl,
               EVOTE_POINT_LEN);
        if (dl == 0) {
            p->state[i] = ENTRY_INVALID;
            continue;
        }
        ret = evote_point_check(d);
        if (ret != EVOTE_OK) {
            ret = evote_fail(ret, "plaintext list: entry %u: %s", i, evote_strerror(ret));
            goto out;
        }
        memcpy(p->points[i], d, EVOTE_POINT_LEN);
        p->state[i] = ENTRY_POINT;
    }
    GUARD(evote_bt_read_end(&r));
    *out = p;
    p = NULL;
out:
    evote_plaintexts_free(p);
    return ret;
}

evote_err_t evote_plaintexts_read(evote_plaintexts_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "plaintext list: bad argument");
    *out = NULL;
    GUARD(evote_read_file(path, (size_t)EVOTE_PLAINTEXTS_MAX * (5 + EVOTE_POINT_LEN) + 4096,
                          &data, &len));
    ret = evote_plaintexts_parse(out, data, len);
    if (ret != EVOTE_OK) {
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", evote_err_detail());
        ret = evote_fail(ret, "%s: %s", path, detail);
    }
out:
    if (data != NULL)
        OPENSSL_cleanse(data, len);
    free(data);
    return ret;
}

size_t evote_plaintexts_count(const evote_plaintexts_t *p) { return p ? p->n : 0; }
const uint8_t *evote_plaintexts_manifest_hash(const evote_plaintexts_t *p) {
    return p ? p->manifest_hash : NULL;
}
const char *evote_plaintexts_contest_id(const evote_plaintexts_t *p) {
    return p ? p->contest_id : NULL;
}
const uint8_t *evote_plaintexts_input_sha256(const evote_plaintexts_t *p) {
    return p ? p->input_sha256 : NULL;
}
const uint8_t *evote_plaintexts_get(const evote_plaintexts_t *p, size_t i) {
    return (p != NULL && i < p->n && p->state[i] == ENTRY_POINT) ? p->points[i] : NULL;
}

/* ---- tally ------------------------------------------------------------- */

struct evote_tally {
    const evote_manifest_t *m;
    size_t contest;
    uint8_t input_sha256[EVOTE_HASH_LEN];
    uint8_t plaintexts_sha256[EVOTE_HASH_LEN];
    uint64_t *votes;
    size_t noptions;
    uint64_t total;
    uint64_t *invalid;
    size_t ninvalid;
};

void evote_tally_free(evote_tally_t *t) {
    if (t == NULL)
        return;
    free(t->votes);
    free(t->invalid);
    free(t);
}

evote_err_t evote_tally_compute(evote_tally_t **out, const evote_manifest_t *m,
                                const evote_plaintexts_t *p) {
    evote_err_t ret = EVOTE_OK;
    evote_tally_t *t = NULL;
    uint8_t *ser = NULL;
    size_t serlen = 0;

    ENSURE(out != NULL && m != NULL && p != NULL, EVOTE_ERR_ARG, "tally: bad argument");
    *out = NULL;
    ENSURE(CRYPTO_memcmp(p->manifest_hash, evote_manifest_hash(m), EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH,
           "tally: the plaintext list names another manifest than %s",
           evote_manifest_election_id(m));
    ALLOC_GUARD(t = calloc(1, sizeof(*t)));
    t->m = m;
    GUARD(evote_manifest_contest_index(m, p->contest_id, &t->contest));
    t->noptions = evote_manifest_option_count(m, t->contest);
    ALLOC_GUARD(t->votes = calloc(t->noptions, sizeof(*t->votes)));
    memcpy(t->input_sha256, p->input_sha256, EVOTE_HASH_LEN);
    /* The format is canonical, so this is the SHA-256 of the file read. */
    GUARD(evote_plaintexts_serialize(p, &ser, &serlen));
    GUARD(evote_sha256(ser, serlen, t->plaintexts_sha256));
    size_t cap = 0;
    for (size_t i = 0; i < p->n; i++) {
        uint32_t sel = 0;
        if (p->state[i] == ENTRY_POINT &&
            evote_selection_decode(p->points[i], (uint32_t)t->noptions, &sel) == EVOTE_OK) {
            t->votes[sel]++;
        } else {
            if (t->ninvalid == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                uint64_t *ni = realloc(t->invalid, ncap * sizeof(*ni));
                ALLOC_GUARD(ni);
                t->invalid = ni;
                cap = ncap;
            }
            t->invalid[t->ninvalid++] = i;
        }
        t->total++;
    }
    evote_err_clear(); /* the decode failures above are expected, not errors */
    *out = t;
    t = NULL;
out:
    if (ser != NULL)
        OPENSSL_cleanse(ser, serlen);
    free(ser);
    evote_tally_free(t);
    return ret;
}

size_t evote_tally_contest_index(const evote_tally_t *t) { return t ? t->contest : 0; }
uint64_t evote_tally_votes(const evote_tally_t *t, size_t j) {
    return (t != NULL && j < t->noptions) ? t->votes[j] : 0;
}
uint64_t evote_tally_total(const evote_tally_t *t) { return t ? t->total : 0; }
uint64_t evote_tally_invalid_count(const evote_tally_t *t) { return t ? t->ninvalid : 0; }
uint64_t evote_tally_invalid_index(const evote_tally_t *t, size_t i) {
    return (t != NULL && i < t->ninvalid) ? t->invalid[i] : UINT64_MAX;
}

static json_t *hexj(const uint8_t *b, size_t n) {
    char hex[2 * 64 + 1];
    evote_hex(hex, b, n);
    return json_string(hex);
}

evote_err_t evote_tally_json(const evote_tally_t *t, char **out) {
    evote_err_t ret = EVOTE_OK;
    json_t *root = NULL, *results, *inv, *idx, *contest;
    const evote_manifest_t *m;

    ENSURE(t != NULL && out != NULL, EVOTE_ERR_ARG, "tally json: bad argument");
    *out = NULL;
    m = t->m;
    ALLOC_GUARD(root = json_object());
    ALLOC_GUARD(results = json_array());
    ALLOC_GUARD(inv = json_object());
    ALLOC_GUARD(idx = json_array());
    ALLOC_GUARD(contest = json_object());
    /* json_object_set_new steals the references even on failure. */
    int bad = 0;
    bad |= json_object_set_new(root, "format", json_string(TALLY_FORMAT));
    bad |= json_object_set_new(root, "election_id", json_string(evote_manifest_election_id(m)));
    bad |= json_object_set_new(root, "manifest_sha256", hexj(evote_manifest_hash(m), 32));
    bad |= json_object_set_new(contest, "id",
                               json_string(evote_manifest_contest_id(m, t->contest)));
    bad |= json_object_set_new(contest, "title",
                               json_string(evote_manifest_contest_title(m, t->contest)));
    bad |= json_object_set_new(contest, "kind",
                               json_string(evote_manifest_contest_kind(m, t->contest)));
    bad |= json_object_set_new(root, "contest", contest);
    bad |= json_object_set_new(root, "ciphertexts_sha256", hexj(t->input_sha256, 32));
    bad |= json_object_set_new(root, "plaintexts_sha256", hexj(t->plaintexts_sha256, 32));
    for (size_t j = 0; j < t->noptions; j++) {
        json_t *o = json_pack("{s:s, s:s, s:I}", "option_id",
                              evote_manifest_option_id(m, t->contest, j), "name",
                              evote_manifest_option_name(m, t->contest, j), "votes",
                              (json_int_t)t->votes[j]);
        bad |= json_array_append_new(results, o);
    }
    bad |= json_object_set_new(root, "results", results);
    bad |= json_object_set_new(root, "valid", json_integer((json_int_t)(t->total - t->ninvalid)));
    bad |= json_object_set_new(inv, "count", json_integer((json_int_t)t->ninvalid));
    for (size_t i = 0; i < t->ninvalid; i++)
        bad |= json_array_append_new(idx, json_integer((json_int_t)t->invalid[i]));
    bad |= json_object_set_new(inv, "indices", idx);
    bad |= json_object_set_new(root, "invalid", inv);
    bad |= json_object_set_new(root, "total", json_integer((json_int_t)t->total));
    ENSURE(bad == 0, EVOTE_ERR_NOMEM, "tally json: building the document failed");
    *out = json_dumps(root, JSON_INDENT(2));
    ENSURE(*out != NULL, EVOTE_ERR_NOMEM, "tally json: serialisation failed");
out:
    json_decref(root);
    return ret;
}

evote_err_t evote_tally_write_json(const evote_tally_t *t, const char *path) {
    evote_err_t ret = EVOTE_OK;
    char *s = NULL;
    ENSURE(path != NULL, EVOTE_ERR_ARG, "tally json: bad argument");
    GUARD(evote_tally_json(t, &s));
    size_t n = strlen(s);
    s[n] = '\n'; /* replace the NUL: the file ends with a newline */
    GUARD(evote_write_file_atomic(path, s, n + 1, false, false));
out:
    free(s);
    return ret;
}
