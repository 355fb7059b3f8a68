/*
 * libevote — voter roll files (CSV, JSON) → store entries (PROTOCOL §10).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "evote/roll.h"
#include "internal.h"

#define VOTER_ID_MAX 64
#define IDENTITY_MAX 600
#define CONTESTS_MAX 64

typedef struct {
    evote_roll_entry_t e;
    char **contests;
} entry_t;

struct evote_roll {
    entry_t *v;
    size_t n, cap;
    int json; /* entries are numbered, not lines */
};

void evote_roll_free(evote_roll_t *r) {
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t j = 0; j < r->v[i].e.ncontests; j++)
            free(r->v[i].contests[j]);
        free(r->v[i].contests);
    }
    free(r->v);
    free(r);
}

size_t evote_roll_count(const evote_roll_t *r) { return r != NULL ? r->n : 0; }

static const char *where(const evote_roll_t *r) { return r->json ? "entry" : "line"; }

static bool voter_id_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > VOTER_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == ',')
            return false;
    return true;
}

static bool contest_id_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > EVOTE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static bool is_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/*
 * Canonical identity: "sha256:<64 lower hex>" or
 * "issuer-serial:<lower hex serial, no leading zeros>:<issuer RFC 2253>".
 */
static evote_err_t canon_identity(const char *in, char *out, size_t cap, size_t line,
                                  const char *w) {
    evote_err_t ret = EVOTE_OK;
    size_t n = strlen(in);
    if (strncmp(in, "sha256:", 7) == 0) {
        ENSURE(n == 7 + 64 && is_hex(in + 7, 64), EVOTE_ERR_FORMAT,
               "%s %zu: sha256 identity needs 64 hex digits", w, line);
        ENSURE(cap > n, EVOTE_ERR_FORMAT, "%s %zu: identity too long", w, line);
        for (size_t i = 0; i <= n; i++)
            out[i] = (char)tolower((unsigned char)in[i]);
    } else if (strncmp(in, "issuer-serial:", 14) == 0) {
        const char *serial = in + 14;
        const char *colon = strchr(serial, ':');
        ENSURE(colon != NULL && colon > serial && is_hex(serial, (size_t)(colon - serial)),
               EVOTE_ERR_FORMAT, "%s %zu: issuer-serial identity needs hex serial ':' issuer",
               w, line);
        const char *issuer = colon + 1;
        ENSURE(issuer[0] != '\0', EVOTE_ERR_FORMAT, "%s %zu: empty issuer", w, line);
        while (serial[0] == '0' && serial + 1 < colon)
            serial++;
        size_t sl = (size_t)(colon - serial);
        ENSURE(14 + sl + 1 + strlen(issuer) < cap, EVOTE_ERR_FORMAT,
               "%s %zu: identity too long", w, line);
        memcpy(out, "issuer-serial:", 14);
        for (size_t i = 0; i < sl; i++)
            out[14 + i] = (char)tolower((unsigned char)serial[i]);
        out[14 + sl] = ':';
        strcpy(out + 15 + sl, issuer);
    } else {
        ret = evote_fail(EVOTE_ERR_FORMAT,
                         "%s %zu: identity must start with sha256: or issuer-serial:", w,
                         line);
    }
out:
    return ret;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Validate and add one voter (contests: array of n strings, copied). */
static evote_err_t add_entry(evote_roll_t *r, const char *const *known, size_t nknown, size_t line,
                             const char *voter_id, const char *identity,
                             const char *const *contests, size_t n) {
    evote_err_t ret = EVOTE_OK;
    const char *w = where(r);
    char canon[IDENTITY_MAX + 1];
    entry_t *e = NULL;

    ENSURE(voter_id_ok(voter_id), EVOTE_ERR_FORMAT,
           "%s %zu: voter id must be 1..%d printable characters without ',' or '\"'", w,
           line, VOTER_ID_MAX);
    GUARD(canon_identity(identity, canon, sizeof(canon), line, w));
    ENSURE(n > 0 && n <= CONTESTS_MAX, EVOTE_ERR_FORMAT,
           "%s %zu: a voter needs 1..%d contests", w, line, CONTESTS_MAX);
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        entry_t *nv = realloc(r->v, nc * sizeof(*nv));
        ALLOC_GUARD(nv);
        r->v = nv;
        r->cap = nc;
    }
    e = &r->v[r->n];
    memset(e, 0, sizeof(*e));
    ALLOC_GUARD(e->contests = calloc(n, sizeof(char *)));
    r->n++; /* from here on, freed with the roll */
    for (size_t i = 0; i < n; i++) {
        ENSURE(contest_id_ok(contests[i]), EVOTE_ERR_FORMAT, "%s %zu: bad contest id '%.64s'",
               w, line, contests[i]);
        if (known != NULL) {
            bool found = false;
            for (size_t k = 0; k < nknown && !found; k++)
                found = strcmp(known[k], contests[i]) == 0;
            ENSURE(found, EVOTE_ERR_CONTEST_UNKNOWN,
                   "%s %zu: contest '%s' is not in the manifest", w, line, contests[i]);
        }
        ALLOC_GUARD(e->contests[i] = strdup(contests[i]));
        e->e.ncontests = i + 1;
    }
    qsort(e->contests, n, sizeof(char *), cmp_str);
    for (size_t i = 1; i < n; i++)
        ENSURE(strcmp(e->contests[i - 1], e->contests[i]) != 0, EVOTE_ERR_FORMAT,
               "%s %zu: contest '%s' listed twice", w, line, e->contests[i]);
    e->e.contests = (const char *const *)e->contests;
    e->e.line = line;
    GUARD(evote_roll_voter_key(voter_id, e->e.voter_key));
    GUARD(evote_roll_ident_key(canon, e->e.ident_key));
out:
    return ret;
}

/* ---- CSV ---------------------------------------------------------------- */

/* Split one CSV line into fields (RFC 4180 quoting, no embedded newlines). */
static evote_err_t csv_fields(char *line, size_t lineno, char **f, size_t maxf,
                              size_t *nf) {
    evote_err_t ret = EVOTE_OK;
    size_t n = 0;
    char *p = line;
    for (;;) {
        ENSURE(n < maxf, EVOTE_ERR_FORMAT, "line %zu: more than %zu fields", lineno, maxf);
        char *w = p;
        f[n++] = w;
        if (*p == '"') {
            p++;
            for (;;) {
                ENSURE(*p != '\0', EVOTE_ERR_FORMAT, "line %zu: unterminated quote", lineno);
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            ENSURE(*p == ',' || *p == '\0', EVOTE_ERR_FORMAT,
                   "line %zu: text after a closing quote", lineno);
        } else {
            while (*p != ',' && *p != '\0') {
                ENSURE(*p != '"', EVOTE_ERR_FORMAT, "line %zu: stray quote", lineno);
                w++;
                p++;
            }
        }
        char c = *p;
        *w = '\0';
        if (c == '\0')
            break;
        p++;
    }
    *nf = n;
out:
    return ret;
}

static evote_err_t parse_csv(evote_roll_t *r, char *text, size_t len,
                             const char *const *known, size_t nknown) {
    evote_err_t ret = EVOTE_OK;
    size_t lineno = 0;
    bool header = false;
    char *p = text, *end = text + len;
    ENSURE(memchr(text, 0, len) == NULL, EVOTE_ERR_FORMAT, "roll contains a NUL byte");
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        p = nl ? nl + 1 : end;
        if (nl)
            *nl = '\0';
        else
            *end = '\0';
        lineno++;
        size_t l = strlen(line);
        if (l > 0 && line[l - 1] == '\r')
            line[--l] = '\0';
        if (l == 0 || line[0] == '#')
            continue;
        char *f[4];
        size_t nf = 0;
        GUARD(csv_fields(line, lineno, f, 4, &nf));
        if (!header) {
            ENSURE(nf == 3 && strcmp(f[0], "voter_id") == 0 && strcmp(f[1], "identity") == 0 &&
                       strcmp(f[2], "contests") == 0,
                   EVOTE_ERR_FORMAT, "line %zu: header must be voter_id,identity,contests",
                   lineno);
            header = true;
            continue;
        }
        ENSURE(nf == 3, EVOTE_ERR_FORMAT, "line %zu: expected 3 fields, found %zu", lineno,
               nf);
        const char *cs[CONTESTS_MAX + 1];
        size_t nc = 0;
        for (char *tok = strtok(f[2], " "); tok != NULL; tok = strtok(NULL, " ")) {
            ENSURE(nc < CONTESTS_MAX, EVOTE_ERR_FORMAT, "line %zu: too many contests",
                   lineno);
            cs[nc++] = tok;
        }
        GUARD(add_entry(r, known, nknown, lineno, f[0], f[1], cs, nc));
    }
    ENSURE(header, EVOTE_ERR_FORMAT, "roll has no header line");
out:
    return ret;
}

/* ---- JSON --------------------------------------------------------------- */

static evote_err_t parse_json(evote_roll_t *r, const uint8_t *data, size_t len,
                              const char *const *known, size_t nknown) {
    evote_err_t ret = EVOTE_OK;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    r->json = 1;
    ENSURE(root != NULL, EVOTE_ERR_FORMAT, "roll JSON line %d: %s", jerr.line, jerr.text);
    ENSURE(json_is_object(root), EVOTE_ERR_FORMAT, "roll JSON is not an object");
    const char *fmt = json_string_value(json_object_get(root, "format"));
    ENSURE(fmt != NULL && strcmp(fmt, "libevote-roll/1") == 0, EVOTE_ERR_FORMAT,
           "roll JSON: format must be \"libevote-roll/1\"");
    json_t *voters = json_object_get(root, "voters");
    ENSURE(json_is_array(voters), EVOTE_ERR_FORMAT, "roll JSON: voters must be an array");
    ENSURE(json_object_size(root) == 2, EVOTE_ERR_FORMAT,
           "roll JSON: only format and voters are allowed");
    for (size_t i = 0; i < json_array_size(voters); i++) {
        json_t *v = json_array_get(voters, i);
        size_t entry = i + 1;
        ENSURE(json_is_object(v) && json_object_size(v) == 3, EVOTE_ERR_FORMAT,
               "entry %zu: needs exactly voter_id, identity, contests", entry);
        const char *id = json_string_value(json_object_get(v, "voter_id"));
        const char *ident = json_string_value(json_object_get(v, "identity"));
        json_t *cs = json_object_get(v, "contests");
        ENSURE(id != NULL && ident != NULL && json_is_array(cs), EVOTE_ERR_FORMAT,
               "entry %zu: needs voter_id, identity (strings), contests (array)", entry);
        const char *names[CONTESTS_MAX + 1];
        size_t nc = json_array_size(cs);
        ENSURE(nc <= CONTESTS_MAX, EVOTE_ERR_FORMAT, "entry %zu: too many contests", entry);
        for (size_t j = 0; j < nc; j++) {
            names[j] = json_string_value(json_array_get(cs, j));
            ENSURE(names[j] != NULL, EVOTE_ERR_FORMAT, "entry %zu: contest %zu is not a string",
                   entry, j + 1);
        }
        GUARD(add_entry(r, known, nknown, entry, id, ident, names, nc));
    }
out:
    json_decref(root);
    return ret;
}

/* ---- contradictions within the file ------------------------------------ */

static int cmp_voter(const void *a, const void *b) {
    const entry_t *x = a, *y = b;
    int c = memcmp(x->e.voter_key, y->e.voter_key, EVOTE_HASH_LEN);
    if (c != 0)
        return c;
    return x->e.line < y->e.line ? -1 : x->e.line > y->e.line;
}

static bool same_entry(const entry_t *a, const entry_t *b) {
    if (memcmp(a->e.ident_key, b->e.ident_key, EVOTE_HASH_LEN) != 0 ||
        a->e.ncontests != b->e.ncontests)
        return false;
    for (size_t i = 0; i < a->e.ncontests; i++)
        if (strcmp(a->contests[i], b->contests[i]) != 0)
            return false;
    return true;
}

static int cmp_ident_ptr(const void *a, const void *b) {
    const entry_t *x = *(entry_t *const *)a, *y = *(entry_t *const *)b;
    int c = memcmp(x->e.ident_key, y->e.ident_key, EVOTE_HASH_LEN);
    if (c != 0)
        return c;
    return x->e.line < y->e.line ? -1 : x->e.line > y->e.line;
}

static void drop_entry(entry_t *e) {
    for (size_t j = 0; j < e->e.ncontests; j++)
        free(e->contests[j]);
    free(e->contests);
}

static evote_err_t dedupe(evote_roll_t *r) {
    evote_err_t ret = EVOTE_OK;
    entry_t **byid = NULL;
    const char *w = where(r);
    if (r->n == 0)
        return EVOTE_OK;
    qsort(r->v, r->n, sizeof(entry_t), cmp_voter);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (k > 0 && memcmp(r->v[k - 1].e.voter_key, r->v[i].e.voter_key, EVOTE_HASH_LEN) == 0) {
            if (!same_entry(&r->v[k - 1], &r->v[i])) {
                ret = evote_fail(EVOTE_ERR_ROLL_CONFLICT,
                                 "%ss %zu and %zu: one voter id, different identity or "
                                 "contests",
                                 w, r->v[k - 1].e.line, r->v[i].e.line);
                /* keep the array consistent for free: move the rest down */
                for (size_t j = i; j < r->n; j++)
                    r->v[k++] = r->v[j];
                r->n = k;
                goto out;
            }
            drop_entry(&r->v[i]);
            continue;
        }
        r->v[k++] = r->v[i];
    }
    r->n = k;
    ALLOC_GUARD(byid = malloc(r->n * sizeof(*byid)));
    for (size_t i = 0; i < r->n; i++)
        byid[i] = &r->v[i];
    qsort(byid, r->n, sizeof(*byid), cmp_ident_ptr);
    for (size_t i = 1; i < r->n; i++)
        ENSURE(memcmp(byid[i - 1]->e.ident_key, byid[i]->e.ident_key, EVOTE_HASH_LEN) != 0,
               EVOTE_ERR_ROLL_CONFLICT, "%ss %zu and %zu: one identity for two voters", w,
               byid[i - 1]->e.line, byid[i]->e.line);
out:
    free(byid);
    return ret;
}

evote_err_t evote_roll_parse(evote_roll_t **out, const uint8_t *data, size_t len,
                             const char *const *known, size_t nknown) {
    evote_err_t ret = EVOTE_OK;
    evote_roll_t *r = NULL;
    char *text = NULL;
    ENSURE(out != NULL && (data != NULL || len == 0), EVOTE_ERR_ARG, "roll: bad argument");
    *out = NULL;
    ENSURE(len <= EVOTE_ROLL_MAX, EVOTE_ERR_TOO_LARGE, "roll larger than %u bytes",
           EVOTE_ROLL_MAX);
    ALLOC_GUARD(r = calloc(1, sizeof(*r)));
    size_t i = 0;
    while (i < len && isspace(data[i]))
        i++;
    if (i < len && data[i] == '{') {
        GUARD(parse_json(r, data, len, known, nknown));
    } else {
        ALLOC_GUARD(text = malloc(len + 1));
        if (len > 0)
            memcpy(text, data, len);
        text[len] = '\0';
        GUARD(parse_csv(r, text, len, known, nknown));
    }
    GUARD(dedupe(r));
    *out = r;
    r = NULL;
out:
    free(text);
    evote_roll_free(r);
    return ret;
}

evote_err_t evote_roll_load(evote_roll_t **out, const char *path,
                            const char *const *known, size_t nknown) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "roll load: bad argument");
    *out = NULL;
    GUARD(evote_read_file(path, EVOTE_ROLL_MAX, &data, &len));
    ret = evote_roll_parse(out, data, len, known, nknown);
    if (ret != EVOTE_OK) {
        char d[512];
        snprintf(d, sizeof(d), "%s", evote_err_detail());
        evote_fail(ret, "%s: %s", path, d);
    }
out:
    free(data);
    return ret;
}

evote_err_t evote_roll_import(evote_store_t *s, const evote_roll_t *r, size_t *added) {
    evote_err_t ret = EVOTE_OK;
    evote_roll_entry_t *e = NULL;
    ENSURE(s != NULL && r != NULL && added != NULL, EVOTE_ERR_ARG,
           "roll import: bad argument");
    *added = 0;
    if (r->n == 0)
        goto out;
    ALLOC_GUARD(e = malloc(r->n * sizeof(*e)));
    /* Import in digest order, never in file order. */
    for (size_t i = 0; i < r->n; i++)
        e[i] = r->v[i].e;
    ret = evote_store_roll_import(s, e, r->n, added);
    if (ret == EVOTE_ERR_ROLL_CONFLICT && r->json) {
        char d[512];
        snprintf(d, sizeof(d), "%s", evote_err_detail());
        if (strncmp(d, "line ", 5) == 0)
            evote_fail(ret, "entry %s", d + 5);
    }
out:
    free(e);
    return ret;
}

evote_err_t evote_roll_cert_keys(const evote_cms_result_t *signer,
                                 uint8_t by_hash[EVOTE_HASH_LEN],
                                 uint8_t by_issuer[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    char ident[IDENTITY_MAX + 16];
    char hex[2 * EVOTE_HASH_LEN + 1];
    ENSURE(signer != NULL && by_hash != NULL && by_issuer != NULL, EVOTE_ERR_ARG,
           "cert keys: bad argument");
    evote_hex(hex, signer->cert_sha256, EVOTE_HASH_LEN);
    snprintf(ident, sizeof(ident), "sha256:%s", hex);
    GUARD(evote_roll_ident_key(ident, by_hash));
    int n = snprintf(ident, sizeof(ident), "issuer-serial:%s:%s", signer->serial_hex,
                     signer->issuer);
    ENSURE(n > 0 && (size_t)n < sizeof(ident), EVOTE_ERR_FORMAT, "issuer name too long");
    GUARD(evote_roll_ident_key(ident, by_issuer));
out:
    evote_wipe(ident, sizeof(ident));
    return ret;
}
