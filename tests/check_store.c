/* Ballot store (SQLite backend): box states, the append transaction and
 * every refusal in it, order, meta values, schema, concurrency. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

static char dir[256];
static char db[512];
static const char *const contests[] = {"district-tokyo-1", "proportional-tokyo"};

static void setup(void) {
    evt_tmpdir(dir, sizeof(dir));
    snprintf(db, sizeof(db), "%s/store.db", dir);
}
static void teardown(void) { evt_rmrf(dir); }

static evote_store_t *open_store(void) {
    evote_store_t *s = NULL;
    ck_assert_int_eq(evote_store_open_sqlite(&s, db), EVOTE_OK);
    return s;
}

/* nvoters voters V0.., V<i> eligible for both contests except V1 (district only). */
static void load_roll(evote_store_t *s, int nvoters) {
    size_t cap = 64 + (size_t)nvoters * 160;
    char *csv = malloc(cap);
    size_t off = (size_t)snprintf(csv, cap, "voter_id,identity,contests\n");
    for (int i = 0; i < nvoters; i++)
        off += (size_t)snprintf(csv + off, cap - off,
                                "V%d,issuer-serial:%x:CN=CA,%s\n", i, i + 1,
                                i == 1 ? "district-tokyo-1"
                                       : "district-tokyo-1 proportional-tokyo");
    evote_roll_t *r = NULL;
    size_t added = 0;
    ck_assert_int_eq(evote_roll_parse(&r, (uint8_t *)csv, off, contests, 2), EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_OK);
    ck_assert_uint_eq(added, (size_t)nvoters);
    evote_roll_free(r);
    free(csv);
}

static uint8_t fake_ballots[64][40];

static void item(evote_store_append_t *it, int voter, const char *contest, int b) {
    char id[16];
    memset(it, 0, sizeof(*it));
    snprintf(id, sizeof(id), "V%d", voter);
    ck_assert_int_eq(evote_roll_voter_key(id, it->voter_key), EVOTE_OK);
    snprintf(it->contest, sizeof(it->contest), "%s", contest);
    memset(fake_ballots[b], 0xB0 + (b & 15), sizeof(fake_ballots[b]));
    fake_ballots[b][0] = (uint8_t)b;
    it->ballot = fake_ballots[b];
    it->ballot_len = sizeof(fake_ballots[b]);
    ck_assert_int_eq(evote_store_leaf_hash(it->ballot, it->ballot_len, it->leaf_hash),
                     EVOTE_OK);
    memset(it->c1, 0, sizeof(it->c1));
    it->c1[0] = 0x02;
    it->c1[1] = (uint8_t)b;
}

static evote_err_t append1(evote_store_t *s, const evote_store_append_t *it,
                           uint64_t *seq) {
    evote_err_t verdict = EVOTE_ERR_INTERNAL;
    uint64_t sq = 0;
    ck_assert_int_eq(evote_store_append(s, it, 1, &verdict, &sq), EVOTE_OK);
    if (seq != NULL)
        *seq = sq;
    return verdict;
}

static uint64_t box_count(evote_store_t *s, const char *c) {
    evote_box_info_t info;
    ck_assert_int_eq(evote_store_box_get(s, c, &info), EVOTE_OK);
    uint64_t n = info.count;
    evote_box_info_clear(&info);
    return n;
}

static uint64_t voted(evote_store_t *s, const char *c) {
    uint64_t el, vo;
    ck_assert_int_eq(evote_store_roll_counts(s, c, &el, &vo), EVOTE_OK);
    return vo;
}

START_TEST(test_box_states) {
    evote_store_t *s = open_store();
    evote_box_info_t info;
    ck_assert_int_eq(evote_store_box_get(s, "district-tokyo-1", &info), EVOTE_OK);
    ck_assert_int_eq(info.state, EVOTE_BOX_NONE);
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_CLOSED, NULL, 0),
                     EVOTE_ERR_STATE);
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_CREATED, NULL, 0),
                     EVOTE_OK);
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_CREATED, NULL, 0),
                     EVOTE_ERR_STATE);
    static const uint8_t fr[] = {1, 2, 3};
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_OPEN, fr, 3),
                     EVOTE_OK);
    ck_assert_int_eq(evote_store_box_get(s, "district-tokyo-1", &info), EVOTE_OK);
    ck_assert_int_eq(info.state, EVOTE_BOX_OPEN);
    ck_assert_uint_eq(info.frontier_len, 3);
    ck_assert_mem_eq(info.frontier, fr, 3);
    evote_box_info_clear(&info);
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_CLOSED, NULL, 0),
                     EVOTE_OK);
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_OPEN, NULL, 0),
                     EVOTE_ERR_STATE);
    ck_assert_int_eq(evote_store_box_open(s, "proportional-tokyo"), EVOTE_OK);
    ck_assert_int_eq(evote_store_box_open(s, "proportional-tokyo"), EVOTE_OK);
    ck_assert_int_eq(evote_store_box_open(s, "district-tokyo-1"), EVOTE_ERR_STATE);
    /* meta values */
    uint8_t *v = NULL;
    size_t n = 0;
    ck_assert_int_eq(evote_store_meta_get(s, "nothing", &v, &n), EVOTE_ERR_NOT_FOUND);
    ck_assert_int_eq(evote_store_meta_set(s, "k", (const uint8_t *)"ab\0c", 4), EVOTE_OK);
    ck_assert_int_eq(evote_store_meta_set(s, "k", (const uint8_t *)"xyz\0", 4), EVOTE_OK);
    ck_assert_int_eq(evote_store_meta_get(s, "k", &v, &n), EVOTE_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(v, "xyz\0", 4);
    free(v);
    evote_store_free(s);
    /* persistent */
    s = open_store();
    ck_assert_int_eq(evote_store_box_get(s, "district-tokyo-1", &info), EVOTE_OK);
    ck_assert_int_eq(info.state, EVOTE_BOX_CLOSED);
    evote_box_info_clear(&info);
    evote_store_free(s);
}
END_TEST

START_TEST(test_append_and_refusals) {
    evote_store_t *s = open_store();
    load_roll(s, 4);
    evote_store_append_t it;
    uint64_t seq = 99;

    item(&it, 0, "district-tokyo-1", 0);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_BOX_NOT_OPEN);
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_CREATED, NULL, 0),
                     EVOTE_OK);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_BOX_NOT_OPEN);
    ck_assert_int_eq(evote_store_box_open(s, "district-tokyo-1"), EVOTE_OK);
    ck_assert_int_eq(evote_store_box_open(s, "proportional-tokyo"), EVOTE_OK);
    ck_assert_uint_eq(voted(s, "district-tokyo-1"), 0);

    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_OK);
    ck_assert_uint_eq(seq, 0);
    /* the same voter again */
    item(&it, 0, "district-tokyo-1", 1);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_ALREADY_VOTED);
    /* another voter, replayed C1 */
    item(&it, 2, "district-tokyo-1", 0);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_REPLAY);
    /* not eligible: V1 has no proportional vote */
    item(&it, 1, "proportional-tokyo", 2);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_NOT_ELIGIBLE);
    /* not in the roll */
    item(&it, 77, "district-tokyo-1", 3);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_NOT_IN_ROLL);
    /* nothing of those was stored */
    ck_assert_uint_eq(box_count(s, "district-tokyo-1"), 1);
    ck_assert_uint_eq(box_count(s, "proportional-tokyo"), 0);
    ck_assert_uint_eq(voted(s, "district-tokyo-1"), 1);
    ck_assert_uint_eq(voted(s, "proportional-tokyo"), 0);
    /* the same C1 in the other contest is fine */
    item(&it, 0, "proportional-tokyo", 0);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_OK);
    ck_assert_uint_eq(seq, 0);
    bool seen = false;
    ck_assert_int_eq(evote_store_c1_seen(s, "proportional-tokyo", it.c1, &seen), EVOTE_OK);
    ck_assert(seen);
    it.c1[5] ^= 1;
    ck_assert_int_eq(evote_store_c1_seen(s, "proportional-tokyo", it.c1, &seen), EVOTE_OK);
    ck_assert(!seen);

    /* a batch: verdicts per item, later items see earlier ones */
    evote_store_append_t b[4];
    evote_err_t res[4];
    uint64_t sq[4];
    item(&b[0], 2, "district-tokyo-1", 10);
    item(&b[1], 2, "district-tokyo-1", 11); /* same voter in the batch */
    item(&b[2], 3, "district-tokyo-1", 10); /* same C1 in the batch */
    item(&b[2], 3, "district-tokyo-1", 10);
    item(&b[3], 3, "proportional-tokyo", 12);
    ck_assert_int_eq(evote_store_append(s, b, 4, res, sq), EVOTE_OK);
    ck_assert_int_eq(res[0], EVOTE_OK);
    ck_assert_uint_eq(sq[0], 1);
    ck_assert_int_eq(res[1], EVOTE_ERR_ALREADY_VOTED);
    ck_assert_int_eq(res[2], EVOTE_ERR_REPLAY);
    ck_assert_int_eq(res[3], EVOTE_OK);
    ck_assert_uint_eq(sq[3], 1);
    ck_assert_uint_eq(box_count(s, "district-tokyo-1"), 2);
    ck_assert_uint_eq(voted(s, "district-tokyo-1"), 2);

    /* closed box */
    ck_assert_int_eq(evote_store_box_set(s, "district-tokyo-1", EVOTE_BOX_CLOSED, NULL, 0),
                     EVOTE_OK);
    item(&it, 3, "district-tokyo-1", 20);
    ck_assert_int_eq(append1(s, &it, &seq), EVOTE_ERR_BOX_CLOSED);
    ck_assert_uint_eq(box_count(s, "district-tokyo-1"), 2);
    ck_assert_uint_eq(voted(s, "district-tokyo-1"), 2);
    evote_store_free(s);
}
END_TEST

struct collect {
    int n, stop_at;
    uint64_t seqs[16];
    uint8_t first[16];
};
static evote_err_t collect_cb(void *ctx, uint64_t seq, const uint8_t *b, size_t len,
                              const uint8_t leaf[32]) {
    struct collect *c = ctx;
    uint8_t h[32];
    ck_assert_int_eq(evote_store_leaf_hash(b, len, h), EVOTE_OK);
    ck_assert_mem_eq(h, leaf, 32);
    c->seqs[c->n] = seq;
    c->first[c->n] = b[0];
    c->n++;
    return c->n == c->stop_at ? EVOTE_ERR_EXISTS : EVOTE_OK;
}

START_TEST(test_foreach_order) {
    evote_store_t *s = open_store();
    load_roll(s, 8);
    ck_assert_int_eq(evote_store_box_open(s, "proportional-tokyo"), EVOTE_OK);
    int order[] = {5, 0, 7, 2};
    for (int i = 0; i < 4; i++) {
        evote_store_append_t it;
        item(&it, order[i], "proportional-tokyo", 30 + i);
        ck_assert_int_eq(append1(s, &it, NULL), EVOTE_OK);
    }
    struct collect c = {0};
    ck_assert_int_eq(evote_store_ballots_foreach(s, "proportional-tokyo", 1, collect_cb, &c),
                     EVOTE_OK);
    /* arrival order, whatever the voters' order in the roll */
    ck_assert_int_eq(c.n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(c.seqs[i], (uint64_t)i + 1);
        ck_assert_uint_eq(c.first[i], 31 + i);
    }
    /* the callback's error stops the walk and comes back */
    struct collect d = {.stop_at = 2};
    ck_assert_int_eq(evote_store_ballots_foreach(s, "proportional-tokyo", 0, collect_cb, &d),
                     EVOTE_ERR_EXISTS);
    ck_assert_int_eq(d.n, 2);
    evote_store_free(s);
}
END_TEST

START_TEST(test_schema) {
    evote_store_t *s = open_store();
    evote_store_free(s);
    sqlite3 *d = NULL;
    ck_assert_int_eq(sqlite3_open(db, &d), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(d, "SELECT name, sql FROM sqlite_master WHERE "
                                           "type = 'table'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int tables = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 1);
        ck_assert_msg(strstr(sql, "WITHOUT ROWID") != NULL, "%s has a rowid",
                      sqlite3_column_text(st, 0));
        tables++;
    }
    ck_assert_int_eq(tables, 5);
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_prepare_v2(d, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* another schema version is refused */
    ck_assert_int_eq(sqlite3_exec(d, "UPDATE meta SET value = 'libevote-store/9' WHERE "
                                     "key = 'schema'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(d);
    ck_assert_int_eq(evote_store_open_sqlite(&s, db), EVOTE_ERR_VERSION);
    ck_assert_ptr_null(s);
    /* not a database */
    char junk[600];
    snprintf(junk, sizeof(junk), "%s/junk.db", dir);
    static const char junktext[] =
        "this is not sqlite, not at all, no.................................."
        "...............................................................";
    evt_write(junk, junktext, sizeof(junktext) - 1);
    ck_assert_int_eq(evote_store_open_sqlite(&s, junk), EVOTE_ERR_STORE);
    ck_assert_int_eq(evote_store_open_sqlite(&s, "/nonexistent/dir/x.db"), EVOTE_ERR_STORE);
}
END_TEST

/* Two handles, two threads, the same voter: exactly one ballot. */
struct race {
    int voter, b;
    evote_err_t verdict;
    pthread_barrier_t *bar;
};
static void *race_thread(void *arg) {
    struct race *r = arg;
    evote_store_t *s = NULL;
    if (evote_store_open_sqlite(&s, db) != EVOTE_OK)
        return NULL;
    evote_store_append_t it;
    item(&it, r->voter, "district-tokyo-1", r->b);
    uint64_t sq;
    pthread_barrier_wait(r->bar);
    if (evote_store_append(s, &it, 1, &r->verdict, &sq) != EVOTE_OK)
        r->verdict = EVOTE_ERR_INTERNAL;
    evote_store_free(s);
    return NULL;
}

START_TEST(test_same_voter_two_threads) {
    evote_store_t *s = open_store();
    int rounds = evt_quick() ? 5 : 20;
    load_roll(s, rounds);
    ck_assert_int_eq(evote_store_box_open(s, "district-tokyo-1"), EVOTE_OK);
    for (int v = 0; v < rounds; v++) {
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 2);
        struct race r[2] = {{v, (2 * v) % 64, EVOTE_ERR_INTERNAL, &bar},
                            {v, (2 * v + 1) % 64, EVOTE_ERR_INTERNAL, &bar}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, race_thread, &r[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&bar);
        int ok = (r[0].verdict == EVOTE_OK) + (r[1].verdict == EVOTE_OK);
        ck_assert_int_eq(ok, 1);
        ck_assert(r[0].verdict == EVOTE_ERR_ALREADY_VOTED ||
                  r[1].verdict == EVOTE_ERR_ALREADY_VOTED);
    }
    ck_assert_uint_eq(box_count(s, "district-tokyo-1"), (uint64_t)rounds);
    ck_assert_uint_eq(voted(s, "district-tokyo-1"), (uint64_t)rounds);
    evote_store_free(s);
}
END_TEST

/* Two processes append different voters at once: all land, no gaps. */
START_TEST(test_two_processes) {
    evote_store_t *s = open_store();
    load_roll(s, 40);
    ck_assert_int_eq(evote_store_box_open(s, "proportional-tokyo"), EVOTE_OK);
    evote_store_free(s);
    pid_t pid[2];
    for (int p = 0; p < 2; p++) {
        pid[p] = fork();
        ck_assert_int_ge(pid[p], 0);
        if (pid[p] == 0) {
            evote_store_t *c = NULL;
            if (evote_store_open_sqlite(&c, db) != EVOTE_OK)
                _exit(2);
            for (int v = p; v < 40; v += 2) {
                if (v == 1)
                    continue; /* not eligible */
                evote_store_append_t it;
                item(&it, v, "proportional-tokyo", v);
                evote_err_t verdict;
                uint64_t sq;
                if (evote_store_append(c, &it, 1, &verdict, &sq) != EVOTE_OK ||
                    verdict != EVOTE_OK)
                    _exit(3);
            }
            evote_store_free(c);
            _exit(0);
        }
    }
    for (int p = 0; p < 2; p++) {
        int st;
        ck_assert_int_eq(waitpid(pid[p], &st, 0), pid[p]);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    s = open_store();
    ck_assert_uint_eq(box_count(s, "proportional-tokyo"), 39);
    ck_assert_uint_eq(voted(s, "proportional-tokyo"), 39);
    evote_store_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_box_states);
    tcase_add_test(tc, test_append_and_refusals);
    tcase_add_test(tc, test_foreach_order);
    tcase_add_test(tc, test_schema);
    tcase_add_test(tc, test_same_voter_two_threads);
    tcase_add_test(tc, test_two_processes);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
