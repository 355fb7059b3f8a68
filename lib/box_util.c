/* libevote — ballot box helpers: times, JSON, signature files, program digests. */
#define _GNU_SOURCE /* dladdr */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "box_internal.h"
#include "evote/box.h"
#include "internal.h"

void box_time_utc(int64_t t, char out[32]) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void box_time_jst(int64_t t, char out[32]) {
    /* Japan has kept UTC+9 without daylight saving since 1951: a fixed
     * offset, independent of the machine's tz database. */
    time_t tt = (time_t)(t + 9 * 3600);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
}

evote_err_t box_parse_time_utc(const char *s, int64_t *t) {
    struct tm tm;
    char back[32];
    memset(&tm, 0, sizeof(tm));
    *t = 0;
    if (s == NULL || strlen(s) != 20)
        return evote_fail(EVOTE_ERR_FORMAT, "time \"%s\" is not YYYY-MM-DDTHH:MM:SSZ",
                          s ? s : "");
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0')
        return evote_fail(EVOTE_ERR_FORMAT, "time \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", s);
    int64_t v = (int64_t)timegm(&tm);
    box_time_utc(v, back);
    if (strcmp(back, s) != 0) /* 2026-02-30 and the like */
        return evote_fail(EVOTE_ERR_FORMAT, "time \"%s\" is not a valid date", s);
    *t = v;
    return EVOTE_OK;
}

evote_err_t box_json_parse(const uint8_t *data, size_t len, const char *what, json_t **out) {
    json_error_t e;
    *out = NULL;
    json_t *j = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &e);
    if (j == NULL)
        return evote_fail(EVOTE_ERR_FORMAT, "%s: not JSON (line %d: %s)", what, e.line,
                          e.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return evote_fail(EVOTE_ERR_FORMAT, "%s: not a JSON object", what);
    }
    *out = j;
    return EVOTE_OK;
}

evote_err_t box_stmt_time(const uint8_t *stmt, size_t len, int64_t *at) {
    evote_err_t ret = EVOTE_OK;
    json_t *j = NULL;
    const char *s;
    *at = 0;
    GUARD(box_json_parse(stmt, len, "statement", &j));
    GUARD(box_json_str(j, "time_utc", "statement", &s));
    GUARD(box_parse_time_utc(s, at));
out:
    json_decref(j);
    return ret;
}

evote_err_t box_json_dump(const json_t *j, char **out, size_t *len) {
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    *out = NULL;
    *len = 0;
    if (s == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "JSON serialisation failed");
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (t == NULL) {
        free(s);
        return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    *out = t;
    *len = n + 1;
    return EVOTE_OK;
}

evote_err_t box_json_str(const json_t *o, const char *key, const char *what,
                         const char **out) {
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!json_is_string(v))
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" missing or not a string", what, key);
    *out = json_string_value(v);
    return EVOTE_OK;
}

evote_err_t box_json_u64(const json_t *o, const char *key, const char *what, uint64_t *out) {
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" missing or not a non-negative integer",
                          what, key);
    *out = (uint64_t)json_integer_value(v);
    return EVOTE_OK;
}

static bool lower_hex(const char *s, size_t n) {
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

evote_err_t box_json_hash(const json_t *o, const char *key, const char *what,
                          uint8_t out[32]) {
    const char *s;
    evote_err_t ret = box_json_str(o, key, what, &s);
    memset(out, 0, 32);
    if (ret != EVOTE_OK)
        return ret;
    if (!lower_hex(s, 64))
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" is not 64 lower-case hex digits", what,
                          key);
    return evote_unhex(out, 32, s);
}

evote_err_t box_json_hashes(const json_t *o, const char *key, const char *what,
                            uint8_t (*out)[32], size_t cap, size_t *n) {
    json_t *a = json_object_get(o, key);
    *n = 0;
    if (!json_is_array(a))
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" missing or not an array", what, key);
    if (json_array_size(a) > cap)
        return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\" has too many hashes", what, key);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s == NULL || !lower_hex(s, 64))
            return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\"[%zu] is not a hex hash", what, key,
                              i);
        if (evote_unhex(out[i], 32, s) != EVOTE_OK)
            return evote_fail(EVOTE_ERR_FORMAT, "%s: \"%s\"[%zu] is not a hex hash", what,
                              key, i);
    }
    *n = json_array_size(a);
    return EVOTE_OK;
}

json_t *box_json_hex(const uint8_t *p, size_t len) {
    char *hex = malloc(2 * len + 1);
    if (hex == NULL)
        return NULL;
    evote_hex(hex, p, len);
    json_t *j = json_string(hex);
    free(hex);
    return j;
}

json_t *box_json_hash_array(const uint8_t (*h)[32], size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, box_json_hex(h[i], 32)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

bool box_id_valid(const char *s) {
    /* The manifest's id syntax: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
    size_t n = strlen(s);
    if (n == 0 || n > EVOTE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

evote_err_t box_list_signatures(const char *dir, const char *name, char **names, size_t cap,
                                size_t *n) {
    evote_err_t ret = EVOTE_OK;
    DIR *d = NULL;
    struct dirent *e;
    size_t nl = strlen(name), k = 0;

    *n = 0;
    d = opendir(dir);
    ENSURE(d != NULL, EVOTE_ERR_IO, "%s: cannot list the directory", dir);
    while ((e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        size_t fl = strlen(f);
        if (fl <= nl + 5 || strncmp(f, name, nl) != 0 || f[nl] != '.' ||
            strcmp(f + fl - 4, ".p7s") != 0)
            continue;
        char id[EVOTE_ID_MAX + 2];
        size_t il = fl - nl - 5;
        if (il == 0 || il > EVOTE_ID_MAX)
            continue;
        memcpy(id, f + nl + 1, il);
        id[il] = '\0';
        if (!box_id_valid(id))
            continue;
        ENSURE(k < cap, EVOTE_ERR_POLICY, "%s: more than %zu signatures on %s", dir, cap, name);
        ALLOC_GUARD(names[k] = strdup(f));
        k++;
    }
    qsort(names, k, sizeof(char *), cmp_str);
    *n = k;
out:
    if (d != NULL)
        closedir(d);
    if (ret != EVOTE_OK) {
        for (size_t i = 0; i < k; i++) {
            free(names[i]);
            names[i] = NULL;
        }
    }
    return ret;
}

/* ---- program digests ------------------------------------------------------ */

evote_err_t evote_programs_measure(evote_programs_t *out) {
    evote_err_t ret = EVOTE_OK;
    Dl_info info;
    char *real = NULL;
    ssize_t n;

    ENSURE(out != NULL, EVOTE_ERR_ARG, "programs: NULL argument");
    memset(out, 0, sizeof(*out));
    n = readlink("/proc/self/exe", out->program_path, sizeof(out->program_path) - 1);
    ENSURE(n > 0 && (size_t)n < sizeof(out->program_path) - 1, EVOTE_ERR_IO,
           "cannot resolve /proc/self/exe");
    out->program_path[n] = '\0';
    /* Hash through /proc/self/exe, not the path: it is the file that runs
     * even if the path was replaced since. */
    GUARD(evote_sha256_file("/proc/self/exe", out->program_sha256));
    memset(&info, 0, sizeof(info));
    ENSURE(dladdr((void *)&evote_programs_measure, &info) != 0 && info.dli_fname != NULL,
           EVOTE_ERR_IO, "dladdr cannot locate libevote");
    real = realpath(info.dli_fname, NULL);
    ENSURE(real != NULL, EVOTE_ERR_IO, "cannot resolve %s", info.dli_fname);
    ENSURE(strlen(real) < sizeof(out->library_path), EVOTE_ERR_IO, "library path too long");
    strcpy(out->library_path, real);
    GUARD(evote_sha256_file(real, out->library_sha256));
out:
    free(real);
    if (ret != EVOTE_OK && out != NULL)
        memset(out, 0, sizeof(*out));
    return ret;
}
