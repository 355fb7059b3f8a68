/*
 * libevote — reception (see include/evote/receiver.h for the order of
 * checks). The signer's certificate, the signature and everything else
 * that names the voter stay in this function's memory and are wiped; the
 * store receives the bare ballot bytes and a digest-keyed voted flag.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ballot_internal.h"
#include "evote/ballot.h"
#include "evote/receiver.h"
#include "evote/roll.h"
#include "internal.h"
#include "receiver_internal.h"

/* A caller's ballot waiting in the group-commit queue (on its stack). */
typedef struct gc_slot {
    const evote_store_append_t *item;
    struct gc_slot *next;
    evote_err_t verdict;
    uint64_t seq;
    bool done;
    char detail[256];
} gc_slot_t;

struct evote_receiver {
    const evote_manifest_t *m;
    uint8_t pk[EVOTE_POINT_LEN];
    const evote_cms_verifier_t *v;
    evote_store_t *store;
    int64_t (*now)(void *);
    void *now_ctx;
    /* group commit (evote_receiver_set_group_commit); all under gc_mu */
    size_t gc_max;
    bool gc_init, gc_leader;
    pthread_mutex_t gc_mu;
    pthread_cond_t gc_cv;
    gc_slot_t *gc_head, **gc_tail;
    size_t gc_queued;
    /* the leader's scratch (only the leader touches it) */
    evote_store_append_t *gc_items;
    evote_err_t *gc_verdicts;
    uint64_t *gc_seqs;
    gc_slot_t **gc_batch;
    /* statistics (tests, benchmarks) */
    uint64_t gc_commits, gc_ballots;
};

/* One message on its way through the checks. */
typedef struct {
    evote_store_append_t item;
    uint8_t ballot[EVOTE_BALLOT_MAX];
    uint8_t tracking[EVOTE_HASH_LEN];
} pending_t;

static int64_t wall_clock(void *ctx) {
    (void)ctx;
    return (int64_t)time(NULL);
}

evote_err_t evote_receiver_new(evote_receiver_t **out, const evote_manifest_t *m,
                               const uint8_t pk[EVOTE_POINT_LEN],
                               const evote_cms_verifier_t *verifier,
                               evote_store_t *store) {
    evote_err_t ret = EVOTE_OK;
    evote_receiver_t *r = NULL;
    ENSURE(out != NULL && m != NULL && pk != NULL && verifier != NULL && store != NULL,
           EVOTE_ERR_ARG, "receiver: bad argument");
    *out = NULL;
    GUARD(evote_point_check(pk));
    ALLOC_GUARD(r = calloc(1, sizeof(*r)));
    r->m = m;
    memcpy(r->pk, pk, EVOTE_POINT_LEN);
    r->v = verifier;
    r->store = store;
    r->now = wall_clock;
    *out = r;
out:
    return ret;
}

void evote_receiver_free(evote_receiver_t *r) {
    if (r == NULL)
        return;
    if (r->gc_init) {
        pthread_mutex_destroy(&r->gc_mu);
        pthread_cond_destroy(&r->gc_cv);
    }
    free(r->gc_items);
    free(r->gc_verdicts);
    free(r->gc_seqs);
    free(r->gc_batch);
    free(r);
}

evote_err_t evote_receiver_set_group_commit(evote_receiver_t *r, size_t max_group) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(r != NULL, EVOTE_ERR_ARG, "group commit: bad argument");
    ENSURE(max_group <= EVOTE_RECEIVER_GROUP_MAX, EVOTE_ERR_ARG,
           "group commit: at most %d ballots per commit, not %zu", EVOTE_RECEIVER_GROUP_MAX,
           max_group);
    ENSURE(!r->gc_init || r->gc_queued == 0, EVOTE_ERR_STATE,
           "group commit: ballots are waiting");
    if (max_group <= 1) {
        r->gc_max = 0;
        goto out;
    }
    if (!r->gc_init) {
        ENSURE(pthread_mutex_init(&r->gc_mu, NULL) == 0, EVOTE_ERR_NOMEM, "mutex");
        if (pthread_cond_init(&r->gc_cv, NULL) != 0) {
            pthread_mutex_destroy(&r->gc_mu);
            ret = evote_fail(EVOTE_ERR_NOMEM, "condition variable");
            goto out;
        }
        r->gc_init = true;
        r->gc_tail = &r->gc_head;
    }
    free(r->gc_items);
    free(r->gc_verdicts);
    free(r->gc_seqs);
    free(r->gc_batch);
    r->gc_max = 0;
    ALLOC_GUARD(r->gc_items = calloc(max_group, sizeof(*r->gc_items)));
    ALLOC_GUARD(r->gc_verdicts = calloc(max_group, sizeof(*r->gc_verdicts)));
    ALLOC_GUARD(r->gc_seqs = calloc(max_group, sizeof(*r->gc_seqs)));
    ALLOC_GUARD(r->gc_batch = calloc(max_group, sizeof(*r->gc_batch)));
    r->gc_max = max_group;
out:
    return ret;
}

void receiver_group_stats(evote_receiver_t *r, size_t *queued, uint64_t *commits,
                          uint64_t *ballots) {
    if (!r->gc_init) {
        *queued = 0;
        *commits = *ballots = 0;
        return;
    }
    pthread_mutex_lock(&r->gc_mu);
    *queued = r->gc_queued;
    *commits = r->gc_commits;
    *ballots = r->gc_ballots;
    pthread_mutex_unlock(&r->gc_mu);
}

/*
 * The detail of a ballot the store refused inside a group commit. The store
 * keeps the text of its last refusal only, so each ballot's is said again
 * from its verdict and contest, in the words the store gives a ballot
 * committed alone (what evote_receiver_receive reports without the group).
 */
static void gc_refusal(char *buf, size_t cap, evote_err_t v, const char *contest) {
    switch (v) {
    case EVOTE_ERR_BOX_CLOSED: snprintf(buf, cap, "box %s is closed", contest); break;
    case EVOTE_ERR_BOX_NOT_OPEN: snprintf(buf, cap, "box %s is not open", contest); break;
    case EVOTE_ERR_NOT_IN_ROLL: snprintf(buf, cap, "voter not in the roll"); break;
    case EVOTE_ERR_NOT_ELIGIBLE: snprintf(buf, cap, "voter may not vote in %s", contest); break;
    case EVOTE_ERR_ALREADY_VOTED: snprintf(buf, cap, "voter has voted in %s", contest); break;
    case EVOTE_ERR_REPLAY: snprintf(buf, cap, "C1 already in box %s", contest); break;
    default: snprintf(buf, cap, "refused in the commit (%s)", evote_err_name(v)); break;
    }
}

/*
 * Commit the queue's first ballots (up to gc_max) as the leader. Called and
 * returns with gc_mu held; drops it for the store's transaction.
 */
static void gc_lead(evote_receiver_t *r) {
    size_t k = 0;
    r->gc_leader = true;
    while (r->gc_head != NULL && k < r->gc_max) {
        gc_slot_t *sl = r->gc_head;
        r->gc_head = sl->next;
        if (r->gc_head == NULL)
            r->gc_tail = &r->gc_head;
        r->gc_queued--;
        r->gc_batch[k] = sl;
        r->gc_items[k] = *sl->item;
        k++;
    }
    pthread_mutex_unlock(&r->gc_mu);
    evote_err_t ret = evote_store_append(r->store, r->gc_items, k, r->gc_verdicts, r->gc_seqs);
    char detail[200];
    snprintf(detail, sizeof(detail), "%s", evote_err_detail());
    evote_wipe(r->gc_items, k * sizeof(*r->gc_items));
    pthread_mutex_lock(&r->gc_mu);
    for (size_t j = 0; j < k; j++) {
        gc_slot_t *sl = r->gc_batch[j];
        sl->verdict = ret != EVOTE_OK ? ret : r->gc_verdicts[j];
        sl->seq = r->gc_seqs[j];
        if (sl->verdict != EVOTE_OK) {
            if (ret != EVOTE_OK)
                snprintf(sl->detail, sizeof(sl->detail), "group commit failed: %s", detail);
            else
                gc_refusal(sl->detail, sizeof(sl->detail), sl->verdict, sl->item->contest);
        }
        sl->done = true;
    }
    r->gc_commits++;
    r->gc_ballots += k;
    r->gc_leader = false;
    pthread_cond_broadcast(&r->gc_cv);
}

/* One prechecked ballot through the group commit; its verdict. */
static evote_err_t gc_commit_one(evote_receiver_t *r, const pending_t *p, uint64_t *seq) {
    gc_slot_t me;
    memset(&me, 0, sizeof(me));
    me.item = &p->item;
    pthread_mutex_lock(&r->gc_mu);
    *r->gc_tail = &me;
    r->gc_tail = &me.next;
    r->gc_queued++;
    while (!me.done) {
        if (!r->gc_leader)
            gc_lead(r);
        else
            pthread_cond_wait(&r->gc_cv, &r->gc_mu);
    }
    pthread_mutex_unlock(&r->gc_mu);
    *seq = me.seq;
    if (me.verdict != EVOTE_OK)
        return evote_fail(me.verdict, "%s", me.detail);
    return EVOTE_OK;
}

void evote_receiver_set_clock(evote_receiver_t *r, int64_t (*now)(void *), void *ctx) {
    if (r == NULL)
        return;
    r->now = now != NULL ? now : wall_clock;
    r->now_ctx = ctx;
}

/* Roll identity of the signer → voter key; eligibility and voted flag. */
static evote_err_t roll_check(evote_receiver_t *r, const evote_cms_result_t *cms,
                              const char *contest, uint8_t voter_key[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t by_hash[EVOTE_HASH_LEN], by_issuer[EVOTE_HASH_LEN];
    uint8_t vk2[EVOTE_HASH_LEN];
    bool el = false, voted = false, el2 = false, voted2 = false;
    GUARD(evote_roll_cert_keys(cms, by_hash, by_issuer));
    evote_err_t a = evote_store_roll_lookup(r->store, by_hash, contest, voter_key, &el, &voted);
    ENSURE(a == EVOTE_OK || a == EVOTE_ERR_NOT_FOUND, a, "%s", evote_err_detail());
    evote_err_t b = evote_store_roll_lookup(r->store, by_issuer, contest, vk2, &el2, &voted2);
    ENSURE(b == EVOTE_OK || b == EVOTE_ERR_NOT_FOUND, b, "%s", evote_err_detail());
    ENSURE(a == EVOTE_OK || b == EVOTE_OK, EVOTE_ERR_NOT_IN_ROLL,
           "signer certificate (issuer %s, serial %s) is not in the roll", cms->issuer,
           cms->serial_hex);
    if (a == EVOTE_OK && b == EVOTE_OK)
        ENSURE(memcmp(voter_key, vk2, EVOTE_HASH_LEN) == 0, EVOTE_ERR_ROLL_CONFLICT,
               "the certificate names two voters of the roll");
    if (a != EVOTE_OK) {
        memcpy(voter_key, vk2, EVOTE_HASH_LEN);
        el = el2;
        voted = voted2;
    }
    ENSURE(el, EVOTE_ERR_NOT_ELIGIBLE, "voter may not vote in %s", contest);
    ENSURE(!voted, EVOTE_ERR_ALREADY_VOTED, "voter has already voted in %s", contest);
out:
    evote_wipe(by_hash, sizeof(by_hash));
    evote_wipe(by_issuer, sizeof(by_issuer));
    evote_wipe(vk2, sizeof(vk2));
    return ret;
}

/*
 * The checks run in three stages so that the CPU work of a whole batch is
 * done before the store is touched, and the proofs are checked together
 * (lib/ballot_pok.c): stage A (checks 1-5, no store), the batch proof
 * check, then stage B (checks 6-8, 9's verdict, 10) against the store.
 * Each message's result is still its FIRST failing check in the order of
 * receiver.h: a proof verdict is only reported once 6-8 have passed.
 * While one thread of a server commits (and waits for the disk) under the
 * store's lock, another can be in its stage A: nothing there waits for it.
 */
typedef struct {
    evote_cms_result_t cms;
    evote_ballot_t b;
    evote_err_t verdict; /* first failed check so far */
    char detail[256];    /* its detail */
} work_t;

static void work_fail(work_t *w, evote_err_t e) {
    w->verdict = e;
    snprintf(w->detail, sizeof(w->detail), "%s", evote_err_detail());
}

/* Checks 1-5 for one message, and the proof statement for check 9. */
static evote_err_t stage_a(evote_receiver_t *r, const uint8_t *msg, size_t len, int64_t at,
                           work_t *w, evote_ballot_pok_t *pok) {
    evote_err_t ret = EVOTE_OK;
    int64_t opens = 0, closes = 0;
    size_t ci;

    ENSURE(msg != NULL || len == 0, EVOTE_ERR_ARG, "receive: bad argument");
    /* 1-3: form, signature, certificate at the time of receipt */
    GUARD(evote_cms_verify(r->v, msg != NULL ? msg : (const uint8_t *)"", len, NULL, 0,
                           at, &w->cms));
    /* 4: a ballot of this election, for a contest of the manifest */
    ENSURE(w->cms.content_len <= EVOTE_BALLOT_MAX, EVOTE_ERR_BALLOT_FORMAT,
           "signed content of %zu bytes is not a ballot", w->cms.content_len);
    GUARD(evote_ballot_decode_pok(&w->b, pok, w->cms.content, w->cms.content_len, r->pk));
    ENSURE(CRYPTO_memcmp(w->b.manifest_hash, evote_manifest_hash(r->m), EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_WRONG_ELECTION, "ballot names another manifest");
    ENSURE(evote_manifest_contest_index(r->m, w->b.contest_id, &ci) == EVOTE_OK,
           EVOTE_ERR_CONTEST_UNKNOWN, "contest '%s' is not in the manifest",
           w->b.contest_id);
    /* 5: voting window */
    evote_manifest_window(r->m, &opens, &closes);
    ENSURE(at >= opens && at < closes, EVOTE_ERR_OUTSIDE_WINDOW,
           "received at %lld, window is [%lld, %lld)", (long long)at, (long long)opens,
           (long long)closes);
out:
    return ret;
}

/* The boxes' states as read once per batch (the commit reads them again). */
#define BOX_MEMO 8
typedef struct {
    size_t n;
    char contest[BOX_MEMO][EVOTE_ID_MAX + 1];
    evote_box_state_t state[BOX_MEMO];
} box_memo_t;

static evote_err_t box_state(evote_receiver_t *r, box_memo_t *bm, const char *contest,
                             evote_box_state_t *state) {
    evote_err_t ret = EVOTE_OK;
    evote_box_info_t box = {0};
    for (size_t i = 0; i < bm->n; i++)
        if (strcmp(bm->contest[i], contest) == 0) {
            *state = bm->state[i];
            return EVOTE_OK;
        }
    GUARD(evote_store_box_get(r->store, contest, &box));
    *state = box.state;
    if (bm->n < BOX_MEMO) {
        snprintf(bm->contest[bm->n], sizeof(bm->contest[bm->n]), "%s", contest);
        bm->state[bm->n++] = box.state;
    }
out:
    evote_box_info_clear(&box);
    return ret;
}

/* Checks 6-10 for a message that passed 1-5; on success p is ready to
 * append. proof_ok is check 9's verdict, decided before. */
static evote_err_t stage_b(evote_receiver_t *r, box_memo_t *bm, const work_t *w,
                           bool proof_ok, pending_t *p) {
    evote_err_t ret = EVOTE_OK;
    evote_box_state_t state = EVOTE_BOX_NONE;
    const evote_ballot_t *b = &w->b;
    bool seen = false;

    memset(p, 0, sizeof(*p));
    /* 6: box open */
    GUARD(box_state(r, bm, b->contest_id, &state));
    ENSURE(state != EVOTE_BOX_CLOSED, EVOTE_ERR_BOX_CLOSED, "box %s is closed",
           b->contest_id);
    ENSURE(state == EVOTE_BOX_OPEN, EVOTE_ERR_BOX_NOT_OPEN, "box %s is not open",
           b->contest_id);
    /* 7-8: roll */
    GUARD(roll_check(r, &w->cms, b->contest_id, p->item.voter_key));
    /* 9: proof of knowledge */
    ENSURE(proof_ok, EVOTE_ERR_PROOF_INVALID, "z·G differs from T + c·C1");
    /* 10: C1 never seen in this box */
    GUARD(evote_store_c1_seen(r->store, b->contest_id, b->c1, &seen));
    ENSURE(!seen, EVOTE_ERR_REPLAY, "C1 already in box %s", b->contest_id);

    /* Detach: keep the bare ballot bytes only. */
    memcpy(p->ballot, w->cms.content, w->cms.content_len);
    p->item.ballot = p->ballot;
    p->item.ballot_len = w->cms.content_len;
    memcpy(p->item.contest, b->contest_id, sizeof(p->item.contest));
    memcpy(p->item.c1, b->c1, EVOTE_POINT_LEN);
    GUARD(evote_store_leaf_hash(p->ballot, w->cms.content_len, p->item.leaf_hash));
    GUARD(evote_sha256(p->ballot, w->cms.content_len, p->tracking));
out:
    if (ret != EVOTE_OK)
        evote_wipe(p, sizeof(*p));
    return ret;
}

/*
 * Checks 1-10 for n messages: results[i] is message i's verdict, and where
 * it is EVOTE_OK p[i] is ready to append. For n == 1 a refusal leaves its
 * detail as the current error detail. Returns EVOTE_OK or an allocation
 * failure (then results[] hold it).
 */
static evote_err_t precheck(evote_receiver_t *r, const uint8_t *const *msgs,
                            const size_t *lens, size_t n, int64_t at, pending_t *p,
                            evote_err_t *results) {
    evote_err_t ret = EVOTE_OK;
    work_t *w = NULL;
    evote_ballot_pok_t *pok = NULL;
    size_t *which = NULL;
    bool *ok = NULL;
    box_memo_t bm;
    size_t k = 0;

    bm.n = 0;
    ALLOC_GUARD(w = calloc(n, sizeof(*w)));
    ALLOC_GUARD(pok = calloc(n, sizeof(*pok)));
    ALLOC_GUARD(which = calloc(n, sizeof(*which)));
    ALLOC_GUARD(ok = calloc(n, sizeof(*ok)));
    for (size_t i = 0; i < n; i++) {
        evote_err_t e = stage_a(r, msgs[i], lens[i], at, &w[i], &pok[k]);
        if (e != EVOTE_OK)
            work_fail(&w[i], e);
        else
            which[k++] = i;
    }
    /* 9 for every message that passed 1-5, together */
    evote_err_t e = evote_ballot_pok_verify(pok, k, ok);
    if (e != EVOTE_OK)
        for (size_t j = 0; j < k; j++)
            work_fail(&w[which[j]], e);
    else
        for (size_t j = 0; j < k; j++) {
            size_t i = which[j];
            e = stage_b(r, &bm, &w[i], ok[j], &p[i]);
            if (e != EVOTE_OK)
                work_fail(&w[i], e);
        }
    for (size_t i = 0; i < n; i++)
        results[i] = w[i].verdict;
    if (n == 1 && results[0] != EVOTE_OK)
        evote_fail(results[0], "%s", w[0].detail);
out:
    if (ret != EVOTE_OK)
        for (size_t i = 0; i < n; i++)
            results[i] = ret;
    for (size_t i = 0; w != NULL && i < n; i++) {
        if (w[i].cms.cert_der != NULL)
            evote_wipe(w[i].cms.cert_der, w[i].cms.cert_der_len);
        evote_cms_result_clear(&w[i].cms);
    }
    if (w != NULL)
        evote_wipe(w, n * sizeof(*w));
    free(w);
    free(pok);
    free(which);
    free(ok);
    return ret;
}

static void fill_receipt(evote_receipt_t *rc, const pending_t *p, uint64_t seq) {
    memset(rc, 0, sizeof(*rc));
    memcpy(rc->tracking_code, p->tracking, EVOTE_HASH_LEN);
    memcpy(rc->leaf_hash, p->item.leaf_hash, EVOTE_HASH_LEN);
    memcpy(rc->contest, p->item.contest, sizeof(rc->contest));
    rc->index = seq;
}

evote_err_t evote_receiver_receive_batch(evote_receiver_t *r, const uint8_t *const *msgs,
                                         const size_t *lens, size_t n, int64_t at,
                                         evote_err_t *results, evote_receipt_t *receipts) {
    evote_err_t ret = EVOTE_OK;
    pending_t *p = NULL;
    evote_store_append_t *items = NULL;
    evote_err_t *verdicts = NULL;
    size_t *which = NULL;
    uint64_t *seqs = NULL;
    size_t k = 0;
    char detail[512] = "";

    ENSURE(r != NULL && msgs != NULL && lens != NULL && results != NULL && receipts != NULL,
           EVOTE_ERR_ARG, "receive: bad argument");
    for (size_t i = 0; i < n; i++) {
        results[i] = EVOTE_ERR_INTERNAL;
        memset(&receipts[i], 0, sizeof(receipts[i]));
    }
    if (n == 0)
        goto out;
    if (at == EVOTE_NOW)
        at = r->now(r->now_ctx);
    ALLOC_GUARD(p = calloc(n, sizeof(*p)));
    ALLOC_GUARD(items = calloc(n, sizeof(*items)));
    ALLOC_GUARD(verdicts = calloc(n, sizeof(*verdicts)));
    ALLOC_GUARD(which = calloc(n, sizeof(*which)));
    ALLOC_GUARD(seqs = calloc(n, sizeof(*seqs)));
    GUARD(precheck(r, msgs, lens, n, at, p, results));
    if (n == 1 && results[0] != EVOTE_OK)
        snprintf(detail, sizeof(detail), "%s", evote_err_detail());
    for (size_t i = 0; i < n; i++)
        if (results[i] == EVOTE_OK) {
            items[k] = p[i].item;
            which[k++] = i;
        }
    if (k > 0) {
        ret = evote_store_append(r->store, items, k, verdicts, seqs);
        if (ret != EVOTE_OK) {
            for (size_t j = 0; j < k; j++)
                results[which[j]] = ret;
            goto out;
        }
        for (size_t j = 0; j < k; j++) {
            results[which[j]] = verdicts[j];
            if (verdicts[j] == EVOTE_OK)
                fill_receipt(&receipts[which[j]], &p[which[j]], seqs[j]);
            else if (n == 1)
                snprintf(detail, sizeof(detail), "%s", evote_err_detail());
        }
    }
    if (n == 1 && results[0] != EVOTE_OK)
        evote_fail(results[0], "%s", detail);
out:
    if (p != NULL)
        evote_wipe(p, n * sizeof(*p));
    if (items != NULL)
        evote_wipe(items, n * sizeof(*items));
    free(p);
    free(items);
    free(verdicts);
    free(which);
    free(seqs);
    return ret;
}

evote_err_t evote_receiver_receive(evote_receiver_t *r, const uint8_t *msg, size_t len,
                                   int64_t at, evote_receipt_t *receipt) {
    evote_err_t res = EVOTE_ERR_INTERNAL;
    if (receipt == NULL)
        return evote_fail(EVOTE_ERR_ARG, "receive: bad argument");
    memset(receipt, 0, sizeof(*receipt));
    if (r != NULL && r->gc_max > 1 && msg != NULL) {
        pending_t *p = calloc(1, sizeof(*p));
        uint64_t seq = 0;
        if (p == NULL)
            return evote_fail(EVOTE_ERR_NOMEM, "receive: out of memory");
        if (at == EVOTE_NOW)
            at = r->now(r->now_ctx);
        evote_err_t e = precheck(r, &msg, &len, 1, at, p, &res);
        if (e != EVOTE_OK)
            res = e;
        if (res == EVOTE_OK)
            res = gc_commit_one(r, p, &seq);
        if (res == EVOTE_OK)
            fill_receipt(receipt, p, seq);
        evote_wipe(p, sizeof(*p));
        free(p);
        return res;
    }
    evote_err_t ret = evote_receiver_receive_batch(r, &msg, &len, 1, at, &res, receipt);
    if (ret != EVOTE_OK)
        return ret;
    return res;
}
