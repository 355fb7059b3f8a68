/*
 * libevote — SQLite backend of the ballot store (schema: PROTOCOL §11).
 *
 * WAL journal with synchronous=FULL: a commit has reached the disk when
 * sqlite3_step(COMMIT) returns, so a receipt may be issued after it.
 * Writers take the lock up front (BEGIN IMMEDIATE) and wait up to the busy
 * timeout, so several processes can receive into one file. Within a
 * process, one connection per handle, serialised by a mutex.
 *
 * Tables are WITHOUT ROWID and keyed by digests or (contest, seq): no
 * hidden rowid records the order in which voters were marked, and the
 * roll is only ever updated in place when someone votes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "evote/store.h"
#include "internal.h"
#include "store_internal.h"

#define SCHEMA_NAME "libevote-store/1"
#define BUSY_TIMEOUT_MS 10000

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS roll ("
    "  voter_key BLOB PRIMARY KEY NOT NULL CHECK (length(voter_key) = 32),"
    "  ident_key BLOB NOT NULL UNIQUE CHECK (length(ident_key) = 32)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS roll_contest ("
    "  voter_key BLOB NOT NULL,"
    "  contest TEXT NOT NULL,"
    "  voted INTEGER NOT NULL DEFAULT 0 CHECK (voted IN (0, 1)),"
    "  PRIMARY KEY (voter_key, contest)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS boxes ("
    "  contest TEXT PRIMARY KEY NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('created', 'open', 'closed')),"
    "  count INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),"
    "  frontier BLOB) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ballots ("
    "  contest TEXT NOT NULL,"
    "  seq INTEGER NOT NULL CHECK (seq >= 0),"
    "  ballot BLOB NOT NULL,"
    "  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),"
    "  c1 BLOB NOT NULL CHECK (length(c1) = 33),"
    "  PRIMARY KEY (contest, seq),"
    "  UNIQUE (contest, c1)) WITHOUT ROWID;";

enum {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_BOX_GET,
    Q_BOX_INSERT,
    Q_BOX_STATE,
    Q_ROLL_BY_VOTER,
    Q_ROLL_BY_IDENT,
    Q_ROLL_INSERT,
    Q_RC_LIST,
    Q_RC_GET,
    Q_RC_INSERT,
    Q_RC_MARK,
    Q_RC_COUNTS,
    Q_C1_SEEN,
    Q_BALLOT_INSERT,
    Q_BOX_BUMP,
    Q_BALLOTS,
    Q_META_GET,
    Q_META_SET,
    Q_ROLL_LOOKUP,
    Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_BOX_GET] = "SELECT state, count, frontier FROM boxes WHERE contest = ?1",
    [Q_BOX_INSERT] = "INSERT INTO boxes (contest, state, count) VALUES (?1, ?2, 0)",
    [Q_BOX_STATE] = "UPDATE boxes SET state = ?2, frontier = coalesce(?3, frontier) "
                    "WHERE contest = ?1",
    [Q_ROLL_BY_VOTER] = "SELECT ident_key FROM roll WHERE voter_key = ?1",
    [Q_ROLL_BY_IDENT] = "SELECT voter_key FROM roll WHERE ident_key = ?1",
    [Q_ROLL_INSERT] = "INSERT INTO roll (voter_key, ident_key) VALUES (?1, ?2)",
    [Q_RC_LIST] = "SELECT contest FROM roll_contest WHERE voter_key = ?1 ORDER BY contest",
    [Q_RC_GET] = "SELECT voted FROM roll_contest WHERE voter_key = ?1 AND contest = ?2",
    [Q_RC_INSERT] = "INSERT INTO roll_contest (voter_key, contest, voted) VALUES (?1, ?2, 0)",
    [Q_RC_MARK] = "UPDATE roll_contest SET voted = 1 WHERE voter_key = ?1 AND "
                  "contest = ?2 AND voted = 0",
    [Q_RC_COUNTS] = "SELECT count(*), coalesce(sum(voted), 0) FROM roll_contest "
                    "WHERE contest = ?1",
    [Q_C1_SEEN] = "SELECT 1 FROM ballots WHERE contest = ?1 AND c1 = ?2",
    [Q_BALLOT_INSERT] = "INSERT INTO ballots (contest, seq, ballot, leaf_hash, c1) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_BOX_BUMP] = "UPDATE boxes SET count = count + 1, frontier = ?2 WHERE contest = ?1",
    [Q_BALLOTS] = "SELECT seq, ballot, leaf_hash FROM ballots WHERE contest = ?1 AND "
                  "seq >= ?2 ORDER BY seq",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    /* the voter of an identity and, if eligible, their flag for a contest
     * (voted is NULL when not eligible), in one statement */
    [Q_ROLL_LOOKUP] = "SELECT r.voter_key, c.voted FROM roll AS r LEFT JOIN roll_contest "
                      "AS c ON c.voter_key = r.voter_key AND c.contest = ?2 "
                      "WHERE r.ident_key = ?1",
};

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    pthread_mutex_t mu;
    /* A second connection for the lookups that reception makes before its
     * commit (box state, roll, C1): in WAL mode it reads the last commit
     * while the writer holds mu through COMMIT and its disk flush, so one
     * receiving thread's checks do not wait for another thread's fsync.
     * Those lookups are advisory: the commit repeats them (§11.3). NULL
     * when the database cannot be shared by a second connection. */
    sqlite3 *rdb;
    sqlite3_stmt *rq[Q_COUNT]; /* only the read queries are prepared */
    pthread_mutex_t rmu;
    char path[1024];
} sq_t;

/* One connection with its statements and its lock. */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt **q;
    pthread_mutex_t *mu;
} conn_t;

static conn_t writer_conn(sq_t *s) { return (conn_t){s->db, s->q, &s->mu}; }
static conn_t reader_conn(sq_t *s) {
    return s->rdb != NULL ? (conn_t){s->rdb, s->rq, &s->rmu} : writer_conn(s);
}
static sqlite3_stmt *QC(conn_t c, int i) {
    sqlite3_reset(c.q[i]);
    sqlite3_clear_bindings(c.q[i]);
    return c.q[i];
}

static evote_err_t sq_fail(sq_t *s, const char *what) {
    return evote_fail(EVOTE_ERR_STORE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* Reset a statement and bind fresh parameters. */
static sqlite3_stmt *Q(sq_t *s, int i) {
    sqlite3_reset(s->q[i]);
    sqlite3_clear_bindings(s->q[i]);
    return s->q[i];
}

static int bind_text(sqlite3_stmt *st, int i, const char *t) {
    return sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}
static int bind_blob(sqlite3_stmt *st, int i, const void *b, size_t n) {
    return sqlite3_bind_blob(st, i, b, (int)n, SQLITE_STATIC);
}

/* Run a statement that returns no row. */
static evote_err_t exec_q(sq_t *s, int i, const char *what) {
    int rc = sqlite3_step(s->q[i]);
    sqlite3_reset(s->q[i]);
    if (rc != SQLITE_DONE)
        return sq_fail(s, what);
    return EVOTE_OK;
}

static evote_err_t begin(sq_t *s) { return exec_q(s, Q_BEGIN, "begin"); }
static evote_err_t commit(sq_t *s) { return exec_q(s, Q_COMMIT, "commit"); }
static void rollback(sq_t *s) {
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_step(Q(s, Q_ROLLBACK));
        sqlite3_reset(s->q[Q_ROLLBACK]);
    }
}

static void sq_close(void *impl) {
    sq_t *s = impl;
    if (s == NULL)
        return;
    for (int i = 0; i < Q_COUNT; i++) {
        sqlite3_finalize(s->q[i]);
        sqlite3_finalize(s->rq[i]);
    }
    sqlite3_close(s->rdb);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->rmu);
    free(s);
}

static const char *state_name(evote_box_state_t st) {
    switch (st) {
    case EVOTE_BOX_CREATED: return "created";
    case EVOTE_BOX_OPEN: return "open";
    case EVOTE_BOX_CLOSED: return "closed";
    default: return NULL;
    }
}

static evote_box_state_t state_parse(const unsigned char *t) {
    if (t == NULL)
        return EVOTE_BOX_NONE;
    if (strcmp((const char *)t, "created") == 0)
        return EVOTE_BOX_CREATED;
    if (strcmp((const char *)t, "open") == 0)
        return EVOTE_BOX_OPEN;
    if (strcmp((const char *)t, "closed") == 0)
        return EVOTE_BOX_CLOSED;
    return EVOTE_BOX_NONE;
}

/* ---- box ---------------------------------------------------------------- */

static evote_err_t box_get_on(sq_t *s, conn_t c, const char *contest,
                              evote_box_info_t *info) {
    evote_err_t ret = EVOTE_OK;
    sqlite3_stmt *st = QC(c, Q_BOX_GET);
    memset(info, 0, sizeof(*info));
    bind_text(st, 1, contest);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        goto out;
    ENSURE(rc == SQLITE_ROW, EVOTE_ERR_STORE, "%s: box %s: %s", s->path, contest,
           sqlite3_errmsg(c.db));
    info->state = state_parse(sqlite3_column_text(st, 0));
    ENSURE(info->state != EVOTE_BOX_NONE, EVOTE_ERR_STORE, "%s: box %s: bad state",
           s->path, contest);
    info->count = (uint64_t)sqlite3_column_int64(st, 1);
    int n = sqlite3_column_bytes(st, 2);
    if (sqlite3_column_type(st, 2) == SQLITE_BLOB && n > 0) {
        ALLOC_GUARD(info->frontier = malloc((size_t)n));
        memcpy(info->frontier, sqlite3_column_blob(st, 2), (size_t)n);
        info->frontier_len = (size_t)n;
    }
out:
    sqlite3_reset(st);
    if (ret != EVOTE_OK)
        evote_box_info_clear(info);
    return ret;
}

static evote_err_t box_get_locked(sq_t *s, const char *contest, evote_box_info_t *info) {
    return box_get_on(s, writer_conn(s), contest, info);
}

static evote_err_t sq_box_get(void *impl, const char *contest, evote_box_info_t *info) {
    sq_t *s = impl;
    if (contest == NULL || info == NULL)
        return evote_fail(EVOTE_ERR_ARG, "box get: bad argument");
    conn_t c = reader_conn(s);
    pthread_mutex_lock(c.mu);
    evote_err_t ret = box_get_on(s, c, contest, info);
    pthread_mutex_unlock(c.mu);
    return ret;
}

static evote_err_t sq_box_set(void *impl, const char *contest, evote_box_state_t state,
                              const uint8_t *frontier, size_t frontier_len) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    evote_box_info_t cur = {0};
    const char *name = state_name(state);
    if (contest == NULL || name == NULL || strlen(contest) > EVOTE_ID_MAX)
        return evote_fail(EVOTE_ERR_ARG, "box set: bad argument");
    pthread_mutex_lock(&s->mu);
    GUARD(begin(s));
    GUARD(box_get_locked(s, contest, &cur));
    bool ok = (cur.state == EVOTE_BOX_NONE &&
               (state == EVOTE_BOX_CREATED || state == EVOTE_BOX_OPEN)) ||
              (cur.state == EVOTE_BOX_CREATED && state == EVOTE_BOX_OPEN) ||
              (cur.state == EVOTE_BOX_OPEN && state == EVOTE_BOX_CLOSED);
    ENSURE(ok, EVOTE_ERR_STATE, "box %s: cannot go from %s to %s", contest,
           cur.state == EVOTE_BOX_NONE ? "none" : state_name(cur.state), name);
    sqlite3_stmt *st;
    if (cur.state == EVOTE_BOX_NONE) {
        st = Q(s, Q_BOX_INSERT);
        bind_text(st, 1, contest);
        bind_text(st, 2, name);
        GUARD(exec_q(s, Q_BOX_INSERT, "create box"));
    }
    st = Q(s, Q_BOX_STATE);
    bind_text(st, 1, contest);
    bind_text(st, 2, name);
    if (frontier != NULL)
        bind_blob(st, 3, frontier, frontier_len);
    GUARD(exec_q(s, Q_BOX_STATE, "box state"));
    GUARD(commit(s));
out:
    if (ret != EVOTE_OK)
        rollback(s);
    evote_box_info_clear(&cur);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static evote_err_t sq_box_open_all(void *impl, const char *const *contests, size_t n) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    evote_box_info_t cur = {0};
    if (contests == NULL && n > 0)
        return evote_fail(EVOTE_ERR_ARG, "box open: bad argument");
    for (size_t i = 0; i < n; i++)
        if (contests[i] == NULL || strlen(contests[i]) > EVOTE_ID_MAX)
            return evote_fail(EVOTE_ERR_ARG, "box open: bad contest %zu", i);
    pthread_mutex_lock(&s->mu);
    GUARD(begin(s));
    /* Every check first, then every change, all inside one transaction:
     * a crash or an error anywhere leaves every box as it was. */
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const char *c = contests[i];
            evote_box_info_clear(&cur);
            GUARD(box_get_locked(s, c, &cur));
            ENSURE(cur.count == 0, EVOTE_ERR_BOX_NOT_EMPTY,
                   "box %s holds %llu ballots: refusing to open", c,
                   (unsigned long long)cur.count);
            ENSURE(cur.state != EVOTE_BOX_CLOSED, EVOTE_ERR_BOX_CLOSED,
                   "box %s is closed for good", c);
            ENSURE(cur.state != EVOTE_BOX_OPEN, EVOTE_ERR_STATE, "box %s is already open", c);
            if (pass == 0)
                continue;
            sqlite3_stmt *st;
            if (cur.state == EVOTE_BOX_NONE) {
                st = Q(s, Q_BOX_INSERT);
                bind_text(st, 1, c);
                bind_text(st, 2, state_name(EVOTE_BOX_CREATED));
                GUARD(exec_q(s, Q_BOX_INSERT, "create box"));
            }
            st = Q(s, Q_BOX_STATE);
            bind_text(st, 1, c);
            bind_text(st, 2, state_name(EVOTE_BOX_OPEN));
            GUARD(exec_q(s, Q_BOX_STATE, "open box"));
        }
    }
    GUARD(commit(s));
out:
    if (ret != EVOTE_OK)
        rollback(s);
    evote_box_info_clear(&cur);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static evote_err_t sq_c1_seen(void *impl, const char *contest,
                              const uint8_t c1[EVOTE_POINT_LEN], bool *seen) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    if (contest == NULL || c1 == NULL || seen == NULL)
        return evote_fail(EVOTE_ERR_ARG, "c1 seen: bad argument");
    conn_t c = reader_conn(s);
    pthread_mutex_lock(c.mu);
    sqlite3_stmt *st = QC(c, Q_C1_SEEN);
    bind_text(st, 1, contest);
    bind_blob(st, 2, c1, EVOTE_POINT_LEN);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        *seen = rc == SQLITE_ROW;
    else
        ret = evote_fail(EVOTE_ERR_STORE, "%s: c1 lookup: %s", s->path, sqlite3_errmsg(c.db));
    sqlite3_reset(st);
    pthread_mutex_unlock(c.mu);
    return ret;
}

/* ---- roll --------------------------------------------------------------- */

/* Does the stored voter's contest set equal e's? */
static evote_err_t same_contests(sq_t *s, const evote_roll_entry_t *e, bool *same) {
    evote_err_t ret = EVOTE_OK;
    sqlite3_stmt *st = Q(s, Q_RC_LIST);
    size_t n = 0;
    bind_blob(st, 1, e->voter_key, EVOTE_HASH_LEN);
    *same = true;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        bool found = false;
        for (size_t i = 0; i < e->ncontests && !found; i++)
            found = strcmp(e->contests[i], c) == 0;
        if (!found)
            *same = false;
        n++;
    }
    ENSURE(rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: roll: %s", s->path,
           sqlite3_errmsg(s->db));
    if (n != e->ncontests)
        *same = false;
out:
    sqlite3_reset(st);
    return ret;
}

static evote_err_t sq_roll_import(void *impl, const evote_roll_entry_t *e, size_t n,
                                  size_t *added) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    size_t nadded = 0;
    if ((e == NULL && n > 0) || added == NULL)
        return evote_fail(EVOTE_ERR_ARG, "roll import: bad argument");
    *added = 0;
    pthread_mutex_lock(&s->mu);
    GUARD(begin(s));
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = Q(s, Q_ROLL_BY_VOTER);
        bind_blob(st, 1, e[i].voter_key, EVOTE_HASH_LEN);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            bool same_ident = sqlite3_column_bytes(st, 0) == EVOTE_HASH_LEN &&
                              memcmp(sqlite3_column_blob(st, 0), e[i].ident_key,
                                     EVOTE_HASH_LEN) == 0;
            sqlite3_reset(st);
            ENSURE(same_ident, EVOTE_ERR_ROLL_CONFLICT,
                   "line %zu: voter already in the roll with another identity",
                   e[i].line);
            bool same = false;
            GUARD(same_contests(s, &e[i], &same));
            ENSURE(same, EVOTE_ERR_ROLL_CONFLICT,
                   "line %zu: voter already in the roll with other contests", e[i].line);
            continue;
        }
        sqlite3_reset(st);
        ENSURE(rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: roll: %s", s->path,
               sqlite3_errmsg(s->db));
        st = Q(s, Q_ROLL_BY_IDENT);
        bind_blob(st, 1, e[i].ident_key, EVOTE_HASH_LEN);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        ENSURE(rc != SQLITE_ROW, EVOTE_ERR_ROLL_CONFLICT,
               "line %zu: identity already belongs to another voter in the roll",
               e[i].line);
        ENSURE(rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: roll: %s", s->path,
               sqlite3_errmsg(s->db));
        st = Q(s, Q_ROLL_INSERT);
        bind_blob(st, 1, e[i].voter_key, EVOTE_HASH_LEN);
        bind_blob(st, 2, e[i].ident_key, EVOTE_HASH_LEN);
        GUARD(exec_q(s, Q_ROLL_INSERT, "roll insert"));
        for (size_t j = 0; j < e[i].ncontests; j++) {
            st = Q(s, Q_RC_INSERT);
            bind_blob(st, 1, e[i].voter_key, EVOTE_HASH_LEN);
            bind_text(st, 2, e[i].contests[j]);
            GUARD(exec_q(s, Q_RC_INSERT, "roll contest insert"));
        }
        nadded++;
    }
    GUARD(commit(s));
    *added = nadded;
out:
    if (ret != EVOTE_OK)
        rollback(s);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static evote_err_t sq_roll_lookup(void *impl, const uint8_t ident_key[EVOTE_HASH_LEN],
                                  const char *contest, uint8_t *voter_key, bool *eligible,
                                  bool *voted) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    uint8_t vk[EVOTE_HASH_LEN];
    if (ident_key == NULL || contest == NULL || eligible == NULL || voted == NULL)
        return evote_fail(EVOTE_ERR_ARG, "roll lookup: bad argument");
    *eligible = *voted = false;
    conn_t c = reader_conn(s);
    pthread_mutex_lock(c.mu);
    sqlite3_stmt *st = QC(c, Q_ROLL_LOOKUP);
    bind_blob(st, 1, ident_key, EVOTE_HASH_LEN);
    bind_text(st, 2, contest);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        ret = EVOTE_ERR_NOT_FOUND; /* no detail: an ordinary answer */
        goto out;
    }
    ENSURE(rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == EVOTE_HASH_LEN,
           EVOTE_ERR_STORE, "%s: roll lookup: %s", s->path, sqlite3_errmsg(c.db));
    memcpy(vk, sqlite3_column_blob(st, 0), EVOTE_HASH_LEN);
    if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
        *eligible = true;
        *voted = sqlite3_column_int(st, 1) != 0;
    }
    /* ident_key is UNIQUE and (voter_key, contest) the key: one row at most */
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    ENSURE(rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: roll lookup: %s", s->path,
           sqlite3_errmsg(c.db));
    if (voter_key != NULL)
        memcpy(voter_key, vk, EVOTE_HASH_LEN);
out:
    pthread_mutex_unlock(c.mu);
    return ret;
}

static evote_err_t sq_roll_counts(void *impl, const char *contest, uint64_t *eligible,
                                  uint64_t *voted) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    if (contest == NULL || eligible == NULL || voted == NULL)
        return evote_fail(EVOTE_ERR_ARG, "roll counts: bad argument");
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = Q(s, Q_RC_COUNTS);
    bind_text(st, 1, contest);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *eligible = (uint64_t)sqlite3_column_int64(st, 0);
        *voted = (uint64_t)sqlite3_column_int64(st, 1);
    } else {
        ret = sq_fail(s, "roll counts");
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

/* ---- reception's commit -------------------------------------------------- */

/* Checks of one item inside the transaction; EVOTE_OK means "apply it". */
static evote_err_t append_check(sq_t *s, const evote_store_append_t *it,
                                evote_box_info_t *box, evote_err_t *verdict) {
    evote_err_t ret = EVOTE_OK;
    sqlite3_stmt *st;
    int rc;
    *verdict = EVOTE_OK;
    GUARD(box_get_locked(s, it->contest, box));
    if (box->state == EVOTE_BOX_CLOSED) {
        *verdict = evote_fail(EVOTE_ERR_BOX_CLOSED, "box %s is closed", it->contest);
        goto out;
    }
    if (box->state != EVOTE_BOX_OPEN) {
        *verdict = evote_fail(EVOTE_ERR_BOX_NOT_OPEN, "box %s is not open", it->contest);
        goto out;
    }
    st = Q(s, Q_ROLL_BY_VOTER);
    bind_blob(st, 1, it->voter_key, EVOTE_HASH_LEN);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    ENSURE(rc == SQLITE_ROW || rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: roll: %s",
           s->path, sqlite3_errmsg(s->db));
    if (rc == SQLITE_DONE) {
        *verdict = evote_fail(EVOTE_ERR_NOT_IN_ROLL, "voter not in the roll");
        goto out;
    }
    st = Q(s, Q_RC_GET);
    bind_blob(st, 1, it->voter_key, EVOTE_HASH_LEN);
    bind_text(st, 2, it->contest);
    rc = sqlite3_step(st);
    int voted = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    ENSURE(rc == SQLITE_ROW || rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: roll: %s",
           s->path, sqlite3_errmsg(s->db));
    if (rc == SQLITE_DONE) {
        *verdict = evote_fail(EVOTE_ERR_NOT_ELIGIBLE, "voter may not vote in %s",
                              it->contest);
        goto out;
    }
    if (voted) {
        *verdict = evote_fail(EVOTE_ERR_ALREADY_VOTED, "voter has voted in %s",
                              it->contest);
        goto out;
    }
    st = Q(s, Q_C1_SEEN);
    bind_text(st, 1, it->contest);
    bind_blob(st, 2, it->c1, EVOTE_POINT_LEN);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    ENSURE(rc == SQLITE_ROW || rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: c1: %s", s->path,
           sqlite3_errmsg(s->db));
    if (rc == SQLITE_ROW)
        *verdict = evote_fail(EVOTE_ERR_REPLAY, "C1 already in box %s", it->contest);
out:
    return ret;
}

static evote_err_t append_apply(sq_t *s, const evote_store_append_t *it,
                                const evote_box_info_t *box, uint64_t *seq) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *frontier = NULL;
    size_t flen = 0;
    sqlite3_stmt *st = Q(s, Q_RC_MARK);
    bind_blob(st, 1, it->voter_key, EVOTE_HASH_LEN);
    bind_text(st, 2, it->contest);
    GUARD(exec_q(s, Q_RC_MARK, "mark voted"));
    ENSURE(sqlite3_changes(s->db) == 1, EVOTE_ERR_INTERNAL, "voted flag not set");
    GUARD(evote_store_frontier_append(box->frontier, box->frontier_len, it->leaf_hash,
                                      box->count, &frontier, &flen));
    st = Q(s, Q_BALLOT_INSERT);
    bind_text(st, 1, it->contest);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)box->count);
    bind_blob(st, 3, it->ballot, it->ballot_len);
    bind_blob(st, 4, it->leaf_hash, EVOTE_HASH_LEN);
    bind_blob(st, 5, it->c1, EVOTE_POINT_LEN);
    GUARD(exec_q(s, Q_BALLOT_INSERT, "append ballot"));
    st = Q(s, Q_BOX_BUMP);
    bind_text(st, 1, it->contest);
    if (frontier != NULL)
        bind_blob(st, 2, frontier, flen);
    GUARD(exec_q(s, Q_BOX_BUMP, "box count"));
    *seq = box->count;
out:
    free(frontier);
    return ret;
}

static evote_err_t sq_append(void *impl, const evote_store_append_t *items, size_t n,
                             evote_err_t *results, uint64_t *seq) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    evote_box_info_t box = {0};
    if (items == NULL || results == NULL || seq == NULL || n == 0)
        return evote_fail(EVOTE_ERR_ARG, "append: bad argument");
    for (size_t i = 0; i < n; i++) {
        results[i] = EVOTE_ERR_STORE;
        seq[i] = 0;
        if (items[i].ballot == NULL || items[i].ballot_len == 0 ||
            memchr(items[i].contest, 0, sizeof(items[i].contest)) == NULL)
            return evote_fail(EVOTE_ERR_ARG, "append: bad item %zu", i);
    }
    pthread_mutex_lock(&s->mu);
    GUARD(begin(s));
    for (size_t i = 0; i < n; i++) {
        evote_err_t verdict;
        GUARD(append_check(s, &items[i], &box, &verdict));
        if (verdict == EVOTE_OK)
            GUARD(append_apply(s, &items[i], &box, &seq[i]));
        results[i] = verdict;
        evote_box_info_clear(&box);
    }
    GUARD(commit(s));
out:
    if (ret != EVOTE_OK) {
        rollback(s);
        for (size_t i = 0; i < n; i++) {
            results[i] = ret;
            seq[i] = 0;
        }
    }
    evote_box_info_clear(&box);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static evote_err_t sq_ballots_foreach(void *impl, const char *contest, uint64_t from,
                                      evote_store_ballot_cb cb, void *ctx) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    sqlite3_stmt *st = NULL;
    if (contest == NULL || cb == NULL)
        return evote_fail(EVOTE_ERR_ARG, "ballots: bad argument");
    pthread_mutex_lock(&s->mu);
    /* A private statement: the callback may take its time, and a read
     * transaction gives it one consistent snapshot. */
    if (sqlite3_prepare_v2(s->db, sql[Q_BALLOTS], -1, &st, NULL) != SQLITE_OK) {
        ret = sq_fail(s, "prepare ballots");
        goto out;
    }
    bind_text(st, 1, contest);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
    int rc;
    uint64_t expect = from;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        ENSURE(seq == expect, EVOTE_ERR_STORE, "%s: box %s: sequence gap at %llu",
               s->path, contest, (unsigned long long)expect);
        ENSURE(sqlite3_column_bytes(st, 2) == EVOTE_HASH_LEN, EVOTE_ERR_STORE,
               "%s: box %s: bad leaf hash at %llu", s->path, contest,
               (unsigned long long)seq);
        GUARD(cb(ctx, seq, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                 sqlite3_column_blob(st, 2)));
        expect++;
    }
    ENSURE(rc == SQLITE_DONE, EVOTE_ERR_STORE, "%s: ballots: %s", s->path,
           sqlite3_errmsg(s->db));
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static evote_err_t sq_meta_get(void *impl, const char *key, uint8_t **val, size_t *len) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    if (key == NULL || val == NULL || len == NULL)
        return evote_fail(EVOTE_ERR_ARG, "meta get: bad argument");
    *val = NULL;
    *len = 0;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = Q(s, Q_META_GET);
    bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = evote_fail(EVOTE_ERR_NOT_FOUND, "no store value '%s'", key);
        goto out;
    }
    ENSURE(rc == SQLITE_ROW, EVOTE_ERR_STORE, "%s: meta: %s", s->path,
           sqlite3_errmsg(s->db));
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    ALLOC_GUARD(*val = malloc(n + 1));
    if (n > 0)
        memcpy(*val, sqlite3_column_blob(st, 0), n);
    (*val)[n] = 0;
    *len = n;
out:
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static evote_err_t sq_meta_set(void *impl, const char *key, const uint8_t *val,
                               size_t len) {
    sq_t *s = impl;
    evote_err_t ret = EVOTE_OK;
    if (key == NULL || (val == NULL && len > 0))
        return evote_fail(EVOTE_ERR_ARG, "meta set: bad argument");
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = Q(s, Q_META_SET);
    bind_text(st, 1, key);
    bind_blob(st, 2, val != NULL ? val : (const uint8_t *)"", len);
    ret = exec_q(s, Q_META_SET, "meta set");
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static const evote_store_ops_t sqlite_ops = {
    .close = sq_close,
    .roll_import = sq_roll_import,
    .roll_lookup = sq_roll_lookup,
    .roll_counts = sq_roll_counts,
    .box_get = sq_box_get,
    .box_set = sq_box_set,
    .c1_seen = sq_c1_seen,
    .append = sq_append,
    .ballots_foreach = sq_ballots_foreach,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .box_open_all = sq_box_open_all,
};

static evote_err_t exec_sql(sq_t *s, const char *text, const char *what) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, text, NULL, NULL, &msg) != SQLITE_OK) {
        evote_err_t e = evote_fail(EVOTE_ERR_STORE, "%s: %s: %s", s->path, what,
                                   msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return e;
    }
    return EVOTE_OK;
}

/* The second connection (see sq_t), for a database file in WAL mode. */
static evote_err_t open_reader(sq_t *s) {
    static const int reads[] = {Q_BOX_GET, Q_ROLL_LOOKUP, Q_C1_SEEN};
    if (s->path[0] == '\0' || strcmp(s->path, ":memory:") == 0 ||
        strncmp(s->path, "file:", 5) == 0)
        return EVOTE_OK; /* private or URI databases: everything on one connection */
    if (sqlite3_open_v2(s->path, &s->rdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return evote_fail(EVOTE_ERR_STORE, "%s: cannot open a second connection: %s",
                          s->path, s->rdb ? sqlite3_errmsg(s->rdb) : "out of memory");
    sqlite3_busy_timeout(s->rdb, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(s->rdb, 1);
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
        if (sqlite3_prepare_v3(s->rdb, sql[reads[i]], -1, SQLITE_PREPARE_PERSISTENT,
                               &s->rq[reads[i]], NULL) != SQLITE_OK)
            return evote_fail(EVOTE_ERR_STORE, "%s: %s: %s", s->path, sql[reads[i]],
                              sqlite3_errmsg(s->rdb));
    return EVOTE_OK;
}

evote_err_t evote_store_open_sqlite(evote_store_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    sq_t *s = NULL;
    evote_store_t *store = NULL;
    uint8_t *ver = NULL;
    size_t vlen = 0;

    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "store open: bad argument");
    *out = NULL;
    ENSURE(strlen(path) < sizeof(s->path), EVOTE_ERR_ARG, "store path too long");
    ALLOC_GUARD(s = calloc(1, sizeof(*s)));
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    strcpy(s->path, path);
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        ret = evote_fail(EVOTE_ERR_STORE, "%s: cannot open: %s", path,
                         s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(s->db, 1);
    GUARD(exec_sql(s, "PRAGMA journal_mode = WAL", "journal_mode"));
    GUARD(exec_sql(s, "PRAGMA synchronous = FULL", "synchronous"));
    GUARD(exec_sql(s, "PRAGMA secure_delete = ON", "secure_delete"));
    GUARD(exec_sql(s, "BEGIN IMMEDIATE", "begin"));
    GUARD(exec_sql(s, schema_sql, "schema"));
    GUARD(exec_sql(s, "INSERT INTO meta (key, value) VALUES ('schema', '" SCHEMA_NAME
                      "') ON CONFLICT (key) DO NOTHING",
                   "schema version"));
    GUARD(exec_sql(s, "COMMIT", "commit"));
    for (int i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
                               NULL) != SQLITE_OK) {
            ret = sq_fail(s, sql[i]);
            goto out;
        }
    GUARD(open_reader(s));
    GUARD(evote_store_new(&store, &sqlite_ops, s));
    s = NULL; /* owned by store */
    GUARD(evote_store_meta_get(store, "schema", &ver, &vlen));
    ENSURE(vlen == strlen(SCHEMA_NAME) && memcmp(ver, SCHEMA_NAME, vlen) == 0,
           EVOTE_ERR_VERSION, "%s: store schema is '%.*s', not " SCHEMA_NAME, path,
           (int)(vlen > 64 ? 64 : vlen), (const char *)ver);
    *out = store;
    store = NULL;
out:
    free(ver);
    if (s != NULL && s->db != NULL && ret != EVOTE_OK && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sq_close(s);
    evote_store_free(store);
    return ret;
}
