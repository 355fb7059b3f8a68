/*
 * libevote — the election manifest: strict JSON validation (jansson) and
 * read-only accessors. Rules: docs/PROTOCOL.md §4. Every refusal names the
 * field path, e.g. "contests[1].options[0].id".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "evote/manifest.h"
#include "internal.h"

#define MANIFEST_FORMAT "libevote-manifest/1"
#define TEXT_MAX 512        /* bytes of a title or name */
#define CONTESTS_MAX 1000
#define OPTIONS_MAX 1000
#define PERSONS_MAX 1000
#define PATH_MAX_ 160

static const char *const STEPS[] = {"open", "close", "export", "decrypt"};
#define NSTEPS (sizeof(STEPS) / sizeof(STEPS[0]))

struct person {
    const char *id, *name;
    uint8_t cert_sha256[EVOTE_HASH_LEN];
};

struct option {
    const char *id, *name;
};

struct contest {
    const char *id, *title, *kind;
    struct option *options;
    size_t noptions;
};

/* Strings borrow from the jansson tree, which lives as long as the manifest. */
struct evote_manifest {
    json_t *root;
    uint8_t hash[EVOTE_HASH_LEN];
    const char *election_id, *title;
    int64_t opens, closes;
    struct contest *contests;
    size_t ncontests;
    struct person *officials, *trustees;
    size_t nofficials, ntrustees;
    unsigned policy[NSTEPS];
};

#define MFAIL(...) evote_fail(EVOTE_ERR_MANIFEST, "manifest: " __VA_ARGS__)

int evote_manifest_id_valid(const char *s) {
    if (s == NULL)
        return 0;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (n >= EVOTE_ID_MAX)
            return 0;
        if (!alnum && (n == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return n >= 1;
}

/* Refuse members of obj whose name is not in allowed (NULL-terminated). */
static evote_err_t check_keys(json_t *obj, const char *path, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok)
            return MFAIL("%s%sunknown field \"%s\"", path, path[0] ? ": " : "", key);
    }
    return EVOTE_OK;
}

static evote_err_t get_member(json_t *obj, const char *path, const char *key, json_t **out) {
    *out = json_object_get(obj, key);
    if (*out == NULL)
        return MFAIL("%s%s%s: missing", path, path[0] ? "." : "", key);
    return EVOTE_OK;
}

static evote_err_t get_id(json_t *obj, const char *path, const char *key, const char **out) {
    json_t *v;
    evote_err_t rv = get_member(obj, path, key, &v);
    if (rv != EVOTE_OK)
        return rv;
    if (!json_is_string(v))
        return MFAIL("%s.%s: not a string", path, key);
    if (!evote_manifest_id_valid(json_string_value(v)))
        return MFAIL("%s.%s: \"%.80s\" is not an id ([A-Za-z0-9][A-Za-z0-9._-]{0,63})", path,
                     key, json_string_value(v));
    *out = json_string_value(v);
    return EVOTE_OK;
}

/* Display text: non-empty, at most TEXT_MAX bytes, no control characters. */
static evote_err_t get_text(json_t *obj, const char *path, const char *key, const char **out) {
    json_t *v;
    evote_err_t rv = get_member(obj, path, key, &v);
    if (rv != EVOTE_OK)
        return rv;
    if (!json_is_string(v))
        return MFAIL("%s%s%s: not a string", path, path[0] ? "." : "", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > TEXT_MAX)
        return MFAIL("%s%s%s: length %zu is outside 1..%d bytes", path, path[0] ? "." : "", key,
                     n, TEXT_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return MFAIL("%s%s%s: control character at byte %zu", path, path[0] ? "." : "",
                         key, i);
    *out = s;
    return EVOTE_OK;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/*
 * RFC 3339 date-time in exactly the form YYYY-MM-DDTHH:MM:SS+09:00 (Japan
 * Standard Time; no fractional seconds, no other offset, no leap second).
 */
static bool parse_jst(const char *s, int64_t *out) {
    static const char pat[] = "dddd-dd-ddTdd:dd:dd+09:00";
    if (strlen(s) != sizeof(pat) - 1)
        return false;
    for (size_t i = 0; i < sizeof(pat) - 1; i++) {
        if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
            return false;
    }
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    for (int i = 0; i < 4; i++)
        y = y * 10 + (s[i] - '0');
    mo = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    h = (s[11] - '0') * 10 + (s[12] - '0');
    mi = (s[14] - '0') * 10 + (s[15] - '0');
    se = (s[17] - '0') * 10 + (s[18] - '0');
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
        return false;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return false;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = days * 86400 + h * 3600 + mi * 60 + se - 9 * 3600;
    return true;
}

static evote_err_t parse_window(evote_manifest_t *m, json_t *root) {
    evote_err_t ret = EVOTE_OK;
    static const char *const keys[] = {"opens", "closes", NULL};
    json_t *w, *v;
    GUARD(get_member(root, "", "voting_window", &w));
    ENSURE(json_is_object(w), EVOTE_ERR_MANIFEST, "manifest: voting_window: not an object");
    GUARD(check_keys(w, "voting_window", keys));
    for (int i = 0; i < 2; i++) {
        GUARD(get_member(w, "voting_window", keys[i], &v));
        ENSURE(json_is_string(v), EVOTE_ERR_MANIFEST, "manifest: voting_window.%s: not a string",
               keys[i]);
        ENSURE(parse_jst(json_string_value(v), i == 0 ? &m->opens : &m->closes),
               EVOTE_ERR_MANIFEST,
               "manifest: voting_window.%s: \"%.40s\" is not an RFC 3339 time of the form "
               "YYYY-MM-DDTHH:MM:SS+09:00 (Japan Standard Time)",
               keys[i], json_string_value(v));
    }
    ENSURE(m->opens < m->closes, EVOTE_ERR_MANIFEST,
           "manifest: voting_window: opens is not before closes");
out:
    return ret;
}

static evote_err_t parse_options(struct contest *c, json_t *arr, const char *cpath) {
    evote_err_t ret = EVOTE_OK;
    static const char *const keys[] = {"id", "name", NULL};
    char path[PATH_MAX_ + 64];
    size_t n;

    ENSURE(json_is_array(arr), EVOTE_ERR_MANIFEST, "manifest: %s.options: not an array", cpath);
    n = json_array_size(arr);
    ENSURE(n >= 1 && n <= OPTIONS_MAX, EVOTE_ERR_MANIFEST,
           "manifest: %s.options: %zu options, expected 1..%d", cpath, n, OPTIONS_MAX);
    ALLOC_GUARD(c->options = calloc(n, sizeof(*c->options)));
    for (size_t j = 0; j < n; j++) {
        json_t *o = json_array_get(arr, j);
        snprintf(path, sizeof(path), "%s.options[%zu]", cpath, j);
        ENSURE(json_is_object(o), EVOTE_ERR_MANIFEST, "manifest: %s: not an object", path);
        GUARD(check_keys(o, path, keys));
        GUARD(get_id(o, path, "id", &c->options[j].id));
        GUARD(get_text(o, path, "name", &c->options[j].name));
        for (size_t k = 0; k < j; k++)
            ENSURE(strcmp(c->options[k].id, c->options[j].id) != 0, EVOTE_ERR_MANIFEST,
                   "manifest: %s.id: \"%s\" repeats %s.options[%zu].id", path,
                   c->options[j].id, cpath, k);
        c->noptions = j + 1;
    }
out:
    return ret;
}

static evote_err_t parse_contests(evote_manifest_t *m, json_t *root) {
    evote_err_t ret = EVOTE_OK;
    static const char *const keys[] = {"id", "title", "kind", "options", NULL};
    char path[PATH_MAX_];
    json_t *arr, *opts, *kind;
    size_t n;

    GUARD(get_member(root, "", "contests", &arr));
    ENSURE(json_is_array(arr), EVOTE_ERR_MANIFEST, "manifest: contests: not an array");
    n = json_array_size(arr);
    ENSURE(n >= 1 && n <= CONTESTS_MAX, EVOTE_ERR_MANIFEST,
           "manifest: contests: %zu contests, expected 1..%d", n, CONTESTS_MAX);
    ALLOC_GUARD(m->contests = calloc(n, sizeof(*m->contests)));
    for (size_t i = 0; i < n; i++) {
        struct contest *c = &m->contests[i];
        json_t *o = json_array_get(arr, i);
        m->ncontests = i + 1; /* so that free sees the options array */
        snprintf(path, sizeof(path), "contests[%zu]", i);
        ENSURE(json_is_object(o), EVOTE_ERR_MANIFEST, "manifest: %s: not an object", path);
        GUARD(check_keys(o, path, keys));
        GUARD(get_id(o, path, "id", &c->id));
        for (size_t k = 0; k < i; k++)
            ENSURE(strcmp(m->contests[k].id, c->id) != 0, EVOTE_ERR_MANIFEST,
                   "manifest: %s.id: \"%s\" repeats contests[%zu].id", path, c->id, k);
        GUARD(get_text(o, path, "title", &c->title));
        GUARD(get_member(o, path, "kind", &kind));
        ENSURE(json_is_string(kind) && (strcmp(json_string_value(kind), "district") == 0 ||
                                        strcmp(json_string_value(kind), "proportional") == 0),
               EVOTE_ERR_MANIFEST, "manifest: %s.kind: must be \"district\" or \"proportional\"",
               path);
        c->kind = json_string_value(kind);
        GUARD(get_member(o, path, "options", &opts));
        GUARD(parse_options(c, opts, path));
    }
out:
    return ret;
}

static evote_err_t parse_persons(json_t *root, const char *key, struct person **out,
                                 size_t *count) {
    evote_err_t ret = EVOTE_OK;
    static const char *const keys[] = {"id", "name", "cert_sha256", NULL};
    char path[PATH_MAX_];
    json_t *arr = json_object_get(root, key);
    size_t n;

    *count = 0;
    if (arr == NULL)
        return EVOTE_OK;
    ENSURE(json_is_array(arr), EVOTE_ERR_MANIFEST, "manifest: %s: not an array", key);
    n = json_array_size(arr);
    ENSURE(n <= PERSONS_MAX, EVOTE_ERR_MANIFEST, "manifest: %s: more than %d entries", key,
           PERSONS_MAX);
    if (n == 0)
        return EVOTE_OK;
    ALLOC_GUARD(*out = calloc(n, sizeof(**out)));
    for (size_t i = 0; i < n; i++) {
        struct person *p = &(*out)[i];
        json_t *o = json_array_get(arr, i), *cert;
        snprintf(path, sizeof(path), "%s[%zu]", key, i);
        ENSURE(json_is_object(o), EVOTE_ERR_MANIFEST, "manifest: %s: not an object", path);
        GUARD(check_keys(o, path, keys));
        GUARD(get_id(o, path, "id", &p->id));
        for (size_t k = 0; k < i; k++)
            ENSURE(strcmp((*out)[k].id, p->id) != 0, EVOTE_ERR_MANIFEST,
                   "manifest: %s.id: \"%s\" repeats %s[%zu].id", path, p->id, key, k);
        GUARD(get_text(o, path, "name", &p->name));
        cert = json_object_get(o, "cert_sha256");
        if (cert != NULL) {
            const char *hex = json_string_value(cert);
            bool ok = hex != NULL && strlen(hex) == 2 * EVOTE_HASH_LEN;
            for (size_t k = 0; ok && k < 2 * EVOTE_HASH_LEN; k++)
                ok = (hex[k] >= '0' && hex[k] <= '9') || (hex[k] >= 'a' && hex[k] <= 'f');
            ENSURE(ok, EVOTE_ERR_MANIFEST,
                   "manifest: %s.cert_sha256: not 64 lower-case hex digits", path);
            GUARD(evote_unhex(p->cert_sha256, EVOTE_HASH_LEN, hex));
        }
        *count = i + 1;
    }
out:
    return ret;
}

static evote_err_t parse_policy(evote_manifest_t *m, json_t *root) {
    evote_err_t ret = EVOTE_OK;
    json_t *pol = json_object_get(root, "policy"), *v;
    const char *key;

    for (size_t i = 0; i < NSTEPS; i++)
        m->policy[i] = 1;
    if (pol == NULL)
        return EVOTE_OK;
    ENSURE(json_is_object(pol), EVOTE_ERR_MANIFEST, "manifest: policy: not an object");
    json_object_foreach(pol, key, v) {
        size_t s = 0;
        while (s < NSTEPS && strcmp(STEPS[s], key) != 0)
            s++;
        ENSURE(s < NSTEPS, EVOTE_ERR_MANIFEST,
               "manifest: policy: unknown step \"%s\" (open, close, export, decrypt)", key);
        ENSURE(json_is_integer(v), EVOTE_ERR_MANIFEST, "manifest: policy.%s: not an integer",
               key);
        json_int_t k = json_integer_value(v);
        ENSURE(k >= 1 && (uint64_t)k <= m->nofficials, EVOTE_ERR_MANIFEST,
               "manifest: policy.%s: %lld approvals, but %zu officials are named", key,
               (long long)k, m->nofficials);
        m->policy[s] = (unsigned)k;
    }
out:
    return ret;
}

void evote_manifest_free(evote_manifest_t *m) {
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->ncontests; i++)
        free(m->contests[i].options);
    free(m->contests);
    free(m->officials);
    free(m->trustees);
    json_decref(m->root);
    free(m);
}

evote_err_t evote_manifest_parse(evote_manifest_t **out, const uint8_t *data, size_t len) {
    evote_err_t ret = EVOTE_OK;
    static const char *const keys[] = {"format",  "election_id", "title",    "voting_window",
                                       "contests", "officials",  "trustees", "policy",
                                       NULL};
    evote_manifest_t *m = NULL;
    json_error_t jerr;
    json_t *fmt;

    ENSURE(out != NULL && (data != NULL || len == 0), EVOTE_ERR_ARG,
           "manifest parse: bad argument");
    *out = NULL;
    ENSURE(len <= EVOTE_MANIFEST_MAX, EVOTE_ERR_TOO_LARGE,
           "manifest: %zu bytes exceeds the maximum of %u", len, EVOTE_MANIFEST_MAX);
    ALLOC_GUARD(m = calloc(1, sizeof(*m)));
    GUARD(evote_sha256(data, len, m->hash));
    m->root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    ENSURE(m->root != NULL, EVOTE_ERR_MANIFEST, "manifest: JSON error at line %d column %d: %s",
           jerr.line, jerr.column, jerr.text);
    ENSURE(json_is_object(m->root), EVOTE_ERR_MANIFEST, "manifest: root is not a JSON object");
    GUARD(check_keys(m->root, "", keys));
    GUARD(get_member(m->root, "", "format", &fmt));
    ENSURE(json_is_string(fmt) && strcmp(json_string_value(fmt), MANIFEST_FORMAT) == 0,
           EVOTE_ERR_MANIFEST, "manifest: format: expected \"%s\"", MANIFEST_FORMAT);
    GUARD(get_id(m->root, "", "election_id", &m->election_id));
    GUARD(get_text(m->root, "", "title", &m->title));
    GUARD(parse_window(m, m->root));
    GUARD(parse_contests(m, m->root));
    GUARD(parse_persons(m->root, "officials", &m->officials, &m->nofficials));
    GUARD(parse_persons(m->root, "trustees", &m->trustees, &m->ntrustees));
    GUARD(parse_policy(m, m->root));
    *out = m;
    m = NULL;
out:
    evote_manifest_free(m);
    return ret;
}

evote_err_t evote_manifest_load(evote_manifest_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "manifest load: bad argument");
    *out = NULL;
    GUARD(evote_read_file(path, EVOTE_MANIFEST_MAX, &data, &len));
    ret = evote_manifest_parse(out, data, len);
    if (ret != EVOTE_OK) {
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", evote_err_detail());
        ret = evote_fail(ret, "%s: %s", path, detail);
    }
out:
    free(data);
    return ret;
}

/* ---- accessors --------------------------------------------------------- */

const uint8_t *evote_manifest_hash(const evote_manifest_t *m) { return m ? m->hash : NULL; }
const char *evote_manifest_election_id(const evote_manifest_t *m) {
    return m ? m->election_id : NULL;
}
const char *evote_manifest_title(const evote_manifest_t *m) { return m ? m->title : NULL; }

void evote_manifest_window(const evote_manifest_t *m, int64_t *opens, int64_t *closes) {
    if (opens != NULL)
        *opens = m ? m->opens : 0;
    if (closes != NULL)
        *closes = m ? m->closes : 0;
}

size_t evote_manifest_contest_count(const evote_manifest_t *m) { return m ? m->ncontests : 0; }

evote_err_t evote_manifest_contest_index(const evote_manifest_t *m, const char *contest_id,
                                         size_t *index) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(m != NULL && contest_id != NULL && index != NULL, EVOTE_ERR_ARG,
           "contest index: bad argument");
    *index = 0;
    for (size_t i = 0; i < m->ncontests; i++) {
        if (strcmp(m->contests[i].id, contest_id) == 0) {
            *index = i;
            return EVOTE_OK;
        }
    }
    ret = evote_fail(EVOTE_ERR_CONTEST_UNKNOWN, "contest \"%.64s\" is not in manifest %s",
                     contest_id, m->election_id);
out:
    return ret;
}

static const struct contest *contest_at(const evote_manifest_t *m, size_t i) {
    return (m != NULL && i < m->ncontests) ? &m->contests[i] : NULL;
}

const char *evote_manifest_contest_id(const evote_manifest_t *m, size_t i) {
    const struct contest *c = contest_at(m, i);
    return c ? c->id : NULL;
}
const char *evote_manifest_contest_title(const evote_manifest_t *m, size_t i) {
    const struct contest *c = contest_at(m, i);
    return c ? c->title : NULL;
}
const char *evote_manifest_contest_kind(const evote_manifest_t *m, size_t i) {
    const struct contest *c = contest_at(m, i);
    return c ? c->kind : NULL;
}
size_t evote_manifest_option_count(const evote_manifest_t *m, size_t i) {
    const struct contest *c = contest_at(m, i);
    return c ? c->noptions : 0;
}
const char *evote_manifest_option_id(const evote_manifest_t *m, size_t i, size_t j) {
    const struct contest *c = contest_at(m, i);
    return (c && j < c->noptions) ? c->options[j].id : NULL;
}
const char *evote_manifest_option_name(const evote_manifest_t *m, size_t i, size_t j) {
    const struct contest *c = contest_at(m, i);
    return (c && j < c->noptions) ? c->options[j].name : NULL;
}

static const struct person *persons(const evote_manifest_t *m, const char *role, size_t *n) {
    *n = 0;
    if (m == NULL || role == NULL)
        return NULL;
    if (strcmp(role, "official") == 0) {
        *n = m->nofficials;
        return m->officials;
    }
    if (strcmp(role, "trustee") == 0) {
        *n = m->ntrustees;
        return m->trustees;
    }
    return NULL;
}

size_t evote_manifest_person_count(const evote_manifest_t *m, const char *role) {
    size_t n;
    (void)persons(m, role, &n);
    return n;
}
const char *evote_manifest_person_id(const evote_manifest_t *m, const char *role, size_t i) {
    size_t n;
    const struct person *p = persons(m, role, &n);
    return i < n ? p[i].id : NULL;
}
const char *evote_manifest_person_name(const evote_manifest_t *m, const char *role, size_t i) {
    size_t n;
    const struct person *p = persons(m, role, &n);
    return i < n ? p[i].name : NULL;
}
const uint8_t *evote_manifest_person_cert_sha256(const evote_manifest_t *m, const char *role,
                                                 size_t i) {
    size_t n;
    const struct person *p = persons(m, role, &n);
    return i < n ? p[i].cert_sha256 : NULL;
}

unsigned evote_manifest_required_approvals(const evote_manifest_t *m, const char *step) {
    /* Fail closed: an unknown step can never be approved. */
    if (m == NULL || step == NULL)
        return UINT_MAX;
    for (size_t i = 0; i < NSTEPS; i++)
        if (strcmp(STEPS[i], step) == 0)
            return m->policy[i];
    return UINT_MAX;
}
