/*
 * libevote — ballot store: backend-independent part (dispatch, digests,
 * the Merkle frontier hook shared by every backend).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "evote/store.h"
#include "evote/merkle.h"
#include "internal.h"
#include "store_internal.h"

struct evote_store {
    const evote_store_ops_t *ops;
    void *impl;
};

void evote_box_info_clear(evote_box_info_t *info) {
    if (info == NULL)
        return;
    free(info->frontier);
    memset(info, 0, sizeof(*info));
}

evote_err_t evote_store_new(evote_store_t **out, const evote_store_ops_t *ops, void *impl) {
    if (out == NULL || ops == NULL)
        return evote_fail(EVOTE_ERR_ARG, "store: bad argument");
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "store: out of memory");
    (*out)->ops = ops;
    (*out)->impl = impl;
    return EVOTE_OK;
}

void evote_store_free(evote_store_t *s) {
    if (s == NULL)
        return;
    if (s->ops->close != NULL)
        s->ops->close(s->impl);
    free(s);
}

#define DISPATCH(s, fn, ...)                                                   \
    do {                                                                       \
        if ((s) == NULL || (s)->ops->fn == NULL)                               \
            return evote_fail(EVOTE_ERR_ARG, "store: no " #fn);                \
        return (s)->ops->fn((s)->impl, __VA_ARGS__);                           \
    } while (0)

evote_err_t evote_store_roll_import(evote_store_t *s, const evote_roll_entry_t *e,
                                    size_t n, size_t *added) {
    DISPATCH(s, roll_import, e, n, added);
}
evote_err_t evote_store_roll_lookup(evote_store_t *s, const uint8_t ident_key[32],
                                    const char *contest, uint8_t *voter_key,
                                    bool *eligible, bool *voted) {
    DISPATCH(s, roll_lookup, ident_key, contest, voter_key, eligible, voted);
}
evote_err_t evote_store_roll_counts(evote_store_t *s, const char *contest,
                                    uint64_t *eligible, uint64_t *voted) {
    DISPATCH(s, roll_counts, contest, eligible, voted);
}
evote_err_t evote_store_box_get(evote_store_t *s, const char *contest,
                                evote_box_info_t *info) {
    DISPATCH(s, box_get, contest, info);
}
evote_err_t evote_store_box_set(evote_store_t *s, const char *contest,
                                evote_box_state_t state, const uint8_t *frontier,
                                size_t frontier_len) {
    DISPATCH(s, box_set, contest, state, frontier, frontier_len);
}
evote_err_t evote_store_c1_seen(evote_store_t *s, const char *contest,
                                const uint8_t c1[EVOTE_POINT_LEN], bool *seen) {
    DISPATCH(s, c1_seen, contest, c1, seen);
}
evote_err_t evote_store_append(evote_store_t *s, const evote_store_append_t *items,
                               size_t n, evote_err_t *results, uint64_t *seq) {
    DISPATCH(s, append, items, n, results, seq);
}
evote_err_t evote_store_ballots_foreach(evote_store_t *s, const char *contest,
                                        uint64_t from, evote_store_ballot_cb cb,
                                        void *ctx) {
    DISPATCH(s, ballots_foreach, contest, from, cb, ctx);
}
evote_err_t evote_store_meta_get(evote_store_t *s, const char *key, uint8_t **val,
                                 size_t *len) {
    DISPATCH(s, meta_get, key, val, len);
}
evote_err_t evote_store_meta_set(evote_store_t *s, const char *key, const uint8_t *val,
                                 size_t len) {
    DISPATCH(s, meta_set, key, val, len);
}

evote_err_t evote_store_box_open_all(evote_store_t *s, const char *const *contests,
                                     size_t n) {
    DISPATCH(s, box_open_all, contests, n);
}

evote_err_t evote_store_box_open(evote_store_t *s, const char *contest) {
    evote_err_t ret = EVOTE_OK;
    evote_box_info_t info = {0};
    GUARD(evote_store_box_get(s, contest, &info));
    if (info.state == EVOTE_BOX_OPEN)
        goto out;
    if (info.state == EVOTE_BOX_NONE)
        GUARD(evote_store_box_set(s, contest, EVOTE_BOX_CREATED, NULL, 0));
    GUARD(evote_store_box_set(s, contest, EVOTE_BOX_OPEN, NULL, 0));
out:
    evote_box_info_clear(&info);
    return ret;
}

static evote_err_t tagged_key(const char *tag, const char *s, uint8_t out[32]) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    ENSURE(s != NULL && out != NULL, EVOTE_ERR_ARG, "roll key: bad argument");
    GUARD(evote_hash_new(&h, tag));
    GUARD(evote_hash_field(h, s, strlen(s)));
    ret = evote_hash_final(h, out);
    h = NULL;
out:
    evote_hash_free(h);
    return ret;
}

evote_err_t evote_roll_voter_key(const char *voter_id, uint8_t out[EVOTE_HASH_LEN]) {
    return tagged_key("libevote/v1/roll-voter", voter_id, out);
}

evote_err_t evote_roll_ident_key(const char *identity, uint8_t out[EVOTE_HASH_LEN]) {
    return tagged_key("libevote/v1/roll-identity", identity, out);
}

evote_err_t evote_store_leaf_hash(const uint8_t *ballot, size_t len,
                                  uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    EVP_MD_CTX *md = NULL;
    static const uint8_t zero = 0x00;
    ENSURE(ballot != NULL && out != NULL, EVOTE_ERR_ARG, "leaf hash: bad argument");
    ALLOC_GUARD(md = EVP_MD_CTX_new());
    OSSL_GUARD(EVP_DigestInit_ex(md, EVP_sha256(), NULL));
    OSSL_GUARD(EVP_DigestUpdate(md, &zero, 1));
    OSSL_GUARD(EVP_DigestUpdate(md, ballot, len));
    OSSL_GUARD(EVP_DigestFinal_ex(md, out, NULL));
out:
    EVP_MD_CTX_free(md);
    return ret;
}

/*
 * ==== MERKLE HOOK (box engineer, issue 4) ====
 * Every backend calls this inside the append transaction with the box's
 * current frontier blob (NULL when the box is empty) and the new leaf hash,
 * and stores *out as the new frontier (format: include/evote/merkle.h,
 * PROTOCOL §12.1). The blob's size must equal count_before, so a frontier
 * that drifted from the ballots table fails the append instead of hiding it.
 */
evote_err_t evote_store_frontier_append(const uint8_t *in, size_t in_len,
                                        const uint8_t leaf_hash[EVOTE_HASH_LEN],
                                        uint64_t count_before, uint8_t **out,
                                        size_t *out_len) {
    evote_err_t ret = EVOTE_OK;
    evote_merkle_frontier_t f;
    uint8_t buf[EVOTE_MERKLE_FRONTIER_ENC_MAX];
    size_t n = 0;

    *out = NULL;
    *out_len = 0;
    evote_merkle_frontier_init(&f);
    if (in != NULL)
        GUARD(evote_merkle_frontier_decode(&f, in, in_len));
    ENSURE(f.size == count_before, EVOTE_ERR_STORE,
           "box frontier holds %llu ballots, the box %llu", (unsigned long long)f.size,
           (unsigned long long)count_before);
    GUARD(evote_merkle_frontier_append(&f, leaf_hash));
    GUARD(evote_merkle_frontier_encode(&f, buf, sizeof(buf), &n));
    ALLOC_GUARD(*out = malloc(n));
    memcpy(*out, buf, n);
    *out_len = n;
out:
    return ret;
}
