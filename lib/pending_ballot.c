/*
 * libevote — STAND-IN for the ballot branch: the manifest accessors of
 * include/evote/manifest.h and the selection codec / decrypt_resolve of
 * include/evote/ballot.h, minimal, so that the ceremony branch can be built
 * and tested before the ballot engineer's code lands. DELETE THIS FILE when
 * merging the ballot branch (duplicate symbols then fail the link on purpose).
 * The encoding here (M = (s+1)·G) is NOT the protocol's; ceremony code only
 * uses it through the declared API, never its values.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/ec.h>

#include "evote/ballot.h"
#include "evote/manifest.h"
#include "internal.h"

typedef struct {
    char id[EVOTE_ID_MAX + 1];
    char *name;
    uint8_t cert[32];
} person_t;

typedef struct {
    char *id, *title, *kind;
    size_t nopt;
    char **opt_id, **opt_name;
} contest_t;

struct evote_manifest {
    uint8_t hash[32];
    char *election_id, *title;
    int64_t opens, closes;
    contest_t *c;
    size_t nc;
    person_t *off, *tru;
    size_t noff, ntru;
    unsigned appr_decrypt;
};

static char *dupstr(json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? strdup(s) : NULL;
}

static evote_err_t people(json_t *arr, person_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (arr == NULL)
        return EVOTE_OK;
    if (!json_is_array(arr))
        return evote_fail(EVOTE_ERR_MANIFEST, "people must be an array");
    *n = json_array_size(arr);
    *out = calloc(*n + 1, sizeof(person_t));
    if (*out == NULL)
        return EVOTE_ERR_NOMEM;
    for (size_t i = 0; i < *n; i++) {
        json_t *p = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(p, "id"));
        if (id == NULL || strlen(id) > EVOTE_ID_MAX)
            return evote_fail(EVOTE_ERR_MANIFEST, "person %zu: bad id", i);
        strcpy((*out)[i].id, id);
        (*out)[i].name = dupstr(p, "name");
        const char *c = json_string_value(json_object_get(p, "cert_sha256"));
        if (c != NULL && evote_unhex((*out)[i].cert, 32, c) != EVOTE_OK)
            return evote_fail(EVOTE_ERR_MANIFEST, "person %s: bad cert_sha256", id);
    }
    return EVOTE_OK;
}

evote_err_t evote_manifest_parse(evote_manifest_t **out, const uint8_t *data,
                                 size_t len) {
    evote_err_t ret = EVOTE_OK;
    json_error_t je;
    json_t *root = NULL;
    evote_manifest_t *m = NULL;
    *out = NULL;
    root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
    ENSURE(root != NULL, EVOTE_ERR_MANIFEST, "line %d: %s", je.line, je.text);
    ALLOC_GUARD(m = calloc(1, sizeof(*m)));
    GUARD(evote_sha256(data, len, m->hash));
    m->election_id = dupstr(root, "election_id");
    m->title = dupstr(root, "title");
    ENSURE(m->election_id != NULL, EVOTE_ERR_MANIFEST, "no election_id");
    json_t *cs = json_object_get(root, "contests");
    ENSURE(json_is_array(cs) && json_array_size(cs) > 0, EVOTE_ERR_MANIFEST,
           "no contests");
    m->nc = json_array_size(cs);
    ALLOC_GUARD(m->c = calloc(m->nc, sizeof(contest_t)));
    for (size_t i = 0; i < m->nc; i++) {
        json_t *c = json_array_get(cs, i);
        contest_t *k = &m->c[i];
        k->id = dupstr(c, "id");
        k->title = dupstr(c, "title");
        k->kind = dupstr(c, "kind");
        ENSURE(k->id != NULL, EVOTE_ERR_MANIFEST, "contest %zu: no id", i);
        json_t *os = json_object_get(c, "options");
        ENSURE(json_is_array(os) && json_array_size(os) > 0, EVOTE_ERR_MANIFEST,
               "contest %s: no options", k->id);
        k->nopt = json_array_size(os);
        ALLOC_GUARD(k->opt_id = calloc(k->nopt, sizeof(char *)));
        ALLOC_GUARD(k->opt_name = calloc(k->nopt, sizeof(char *)));
        for (size_t j = 0; j < k->nopt; j++) {
            k->opt_id[j] = dupstr(json_array_get(os, j), "id");
            k->opt_name[j] = dupstr(json_array_get(os, j), "name");
        }
    }
    GUARD(people(json_object_get(root, "officials"), &m->off, &m->noff));
    GUARD(people(json_object_get(root, "trustees"), &m->tru, &m->ntru));
    json_t *ap = json_object_get(json_object_get(root, "approvals"), "decrypt");
    m->appr_decrypt = json_is_integer(ap) ? (unsigned)json_integer_value(ap) : 1;
    *out = m;
    m = NULL;
out:
    json_decref(root);
    evote_manifest_free(m);
    return ret;
}

evote_err_t evote_manifest_load(evote_manifest_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *d = NULL;
    size_t n = 0;
    GUARD(evote_read_file(path, EVOTE_MANIFEST_MAX, &d, &n));
    GUARD(evote_manifest_parse(out, d, n));
out:
    free(d);
    return ret;
}

void evote_manifest_free(evote_manifest_t *m) {
    if (m == NULL)
        return;
    for (size_t i = 0; m->c != NULL && i < m->nc; i++) {
        for (size_t j = 0; j < m->c[i].nopt; j++) {
            if (m->c[i].opt_id)
                free(m->c[i].opt_id[j]);
            if (m->c[i].opt_name)
                free(m->c[i].opt_name[j]);
        }
        free(m->c[i].opt_id);
        free(m->c[i].opt_name);
        free(m->c[i].id);
        free(m->c[i].title);
        free(m->c[i].kind);
    }
    for (size_t i = 0; i < m->noff; i++)
        free(m->off[i].name);
    for (size_t i = 0; i < m->ntru; i++)
        free(m->tru[i].name);
    free(m->off);
    free(m->tru);
    free(m->c);
    free(m->election_id);
    free(m->title);
    free(m);
}

const uint8_t *evote_manifest_hash(const evote_manifest_t *m) { return m->hash; }
const char *evote_manifest_election_id(const evote_manifest_t *m) {
    return m->election_id;
}
const char *evote_manifest_title(const evote_manifest_t *m) {
    return m->title ? m->title : "";
}
void evote_manifest_window(const evote_manifest_t *m, int64_t *o, int64_t *c) {
    *o = m->opens;
    *c = m->closes;
}
size_t evote_manifest_contest_count(const evote_manifest_t *m) { return m->nc; }
evote_err_t evote_manifest_contest_index(const evote_manifest_t *m,
                                         const char *id, size_t *index) {
    for (size_t i = 0; i < m->nc; i++)
        if (strcmp(m->c[i].id, id) == 0) {
            *index = i;
            return EVOTE_OK;
        }
    return evote_fail(EVOTE_ERR_CONTEST_UNKNOWN, "contest \"%s\"", id);
}
const char *evote_manifest_contest_id(const evote_manifest_t *m, size_t i) {
    return m->c[i].id;
}
const char *evote_manifest_contest_title(const evote_manifest_t *m, size_t i) {
    return m->c[i].title ? m->c[i].title : m->c[i].id;
}
const char *evote_manifest_contest_kind(const evote_manifest_t *m, size_t i) {
    return m->c[i].kind ? m->c[i].kind : "";
}
size_t evote_manifest_option_count(const evote_manifest_t *m, size_t i) {
    return m->c[i].nopt;
}
const char *evote_manifest_option_id(const evote_manifest_t *m, size_t i, size_t j) {
    return m->c[i].opt_id[j] ? m->c[i].opt_id[j] : "";
}
const char *evote_manifest_option_name(const evote_manifest_t *m, size_t i,
                                       size_t j) {
    return m->c[i].opt_name[j] ? m->c[i].opt_name[j] : "";
}
static const person_t *plist(const evote_manifest_t *m, const char *role,
                             size_t *n) {
    if (strcmp(role, "official") == 0) {
        *n = m->noff;
        return m->off;
    }
    *n = m->ntru;
    return m->tru;
}
size_t evote_manifest_person_count(const evote_manifest_t *m, const char *role) {
    size_t n;
    plist(m, role, &n);
    return n;
}
const char *evote_manifest_person_id(const evote_manifest_t *m, const char *role,
                                     size_t i) {
    size_t n;
    return plist(m, role, &n)[i].id;
}
const char *evote_manifest_person_name(const evote_manifest_t *m, const char *role,
                                       size_t i) {
    size_t n;
    const person_t *p = plist(m, role, &n);
    return p[i].name ? p[i].name : p[i].id;
}
const uint8_t *evote_manifest_person_cert_sha256(const evote_manifest_t *m,
                                                 const char *role, size_t i) {
    size_t n;
    return plist(m, role, &n)[i].cert;
}
unsigned evote_manifest_required_approvals(const evote_manifest_t *m,
                                           const char *step) {
    return strcmp(step, "decrypt") == 0 ? m->appr_decrypt : 1;
}

/* ---- selection codec stand-in ----------------------------------------- */

evote_err_t evote_selection_encode(uint32_t s, uint8_t point[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *k = NULL;
    EC_POINT *p = NULL;
    ALLOC_GUARD(k = BN_new());
    ALLOC_GUARD(p = EC_POINT_new(evote_ec_group()));
    OSSL_GUARD(BN_set_word(k, (BN_ULONG)s + 1));
    OSSL_GUARD(EC_POINT_mul(evote_ec_group(), p, k, NULL, NULL, NULL));
    GUARD(evote_ec_encode(point, p, NULL));
out:
    BN_free(k);
    EC_POINT_free(p);
    return ret;
}

evote_err_t evote_selection_decode(const uint8_t point[EVOTE_POINT_LEN],
                                   uint32_t noptions, uint32_t *selection) {
    uint8_t q[EVOTE_POINT_LEN];
    for (uint32_t s = 0; s < noptions && s < 1024; s++) {
        if (evote_selection_encode(s, q) != EVOTE_OK)
            return EVOTE_ERR_CRYPTO;
        if (memcmp(q, point, EVOTE_POINT_LEN) == 0) {
            *selection = s;
            return EVOTE_OK;
        }
    }
    return evote_fail(EVOTE_ERR_NOT_A_SELECTION, "not a selection");
}
