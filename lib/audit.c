/*
 * libevote — the audit log: append-only, hash-chained, every entry signed
 * by its operator (docs/PROTOCOL.md §16).
 *
 * One entry per line:  body ‖ 0x09 ‖ base64(CMS) ‖ 0x0A
 * body is compact JSON (no 0x09, no 0x0A); the CMS is a detached
 * SignedData over the exact body bytes. The chain hashes exact bytes, never
 * re-serialised JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit_internal.h"
#include "internal.h"

#define TAG_GENESIS "libevote/v1/audit-genesis"
#define TAG_ENTRY "libevote/v1/audit-entry"
#define AUDIT_FORMAT "libevote-audit/1"
#define REDACTED "[redacted]"
#define JST_OFFSET (9 * 3600)

/* ---- hashes ------------------------------------------------------------- */

evote_err_t evote_audit_genesis(const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    ENSURE(manifest_hash != NULL && out != NULL, EVOTE_ERR_ARG,
           "audit genesis: bad argument");
    GUARD(evote_hash_new(&h, TAG_GENESIS));
    GUARD(evote_hash_field(h, manifest_hash, EVOTE_HASH_LEN));
    ret = evote_hash_final(h, out);
    h = NULL;
out:
    evote_hash_free(h);
    return ret;
}

evote_err_t evote_audit_entry_hash(const uint8_t *body, size_t body_len,
                                   const uint8_t *cms, size_t cms_len,
                                   uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    ENSURE(body != NULL && cms != NULL && out != NULL, EVOTE_ERR_ARG,
           "audit entry hash: bad argument");
    GUARD(evote_hash_new(&h, TAG_ENTRY));
    GUARD(evote_hash_field(h, body, body_len));
    GUARD(evote_hash_field(h, cms, cms_len));
    ret = evote_hash_final(h, out);
    h = NULL;
out:
    evote_hash_free(h);
    return ret;
}

/* ---- small helpers ------------------------------------------------------ */

static char *b64_encode(const uint8_t *in, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

/* Strict, canonical base64 (no whitespace); *out malloc'd. */
static evote_err_t b64_decode(const char *in, size_t in_len, uint8_t **out,
                              size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (in_len == 0 || in_len % 4 != 0)
        return evote_fail(EVOTE_ERR_FORMAT, "base64 length %zu is not a "
                                            "positive multiple of 4", in_len);
    size_t pad = 0;
    for (size_t i = 0; i < in_len; i++) {
        char c = in[i];
        bool ok = isalnum((unsigned char)c) || c == '+' || c == '/';
        if (c == '=' && i >= in_len - 2) {
            pad++;
            continue;
        }
        if (!ok || pad > 0)
            return evote_fail(EVOTE_ERR_FORMAT, "bad base64 character at %zu", i);
    }
    uint8_t *buf = malloc(in_len / 4 * 3 + 1);
    if (buf == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
    int n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)in_len);
    if (n < 0 || (size_t)n < pad) {
        free(buf);
        return evote_fail(EVOTE_ERR_FORMAT, "bad base64");
    }
    *out = buf;
    *out_len = (size_t)n - pad;
    /* Canonical: re-encoding gives the same text (no junk in pad bits). */
    char *re = b64_encode(buf, *out_len);
    bool same = re != NULL && strlen(re) == in_len && memcmp(re, in, in_len) == 0;
    free(re);
    if (!same) {
        free(buf);
        *out = NULL;
        *out_len = 0;
        return evote_fail(EVOTE_ERR_FORMAT, "non-canonical base64");
    }
    return EVOTE_OK;
}

static void fmt_time(char *out, size_t cap, int64_t t, bool jst) {
    time_t tt = (time_t)(t + (jst ? JST_OFFSET : 0));
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, jst ? "%Y-%m-%dT%H:%M:%S+09:00" : "%Y-%m-%dT%H:%M:%SZ",
             &tm);
}

/* Parse "YYYY-MM-DDTHH:MM:SSZ" exactly. */
static bool parse_utc(const char *s, int64_t *t) {
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strlen(s) != 20)
        return false;
    for (size_t i = 0; i < 20; i++) {
        bool digit = i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && i != 19;
        if (digit != (isdigit((unsigned char)s[i]) != 0))
            return false;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *t = (int64_t)timegm(&tm);
    char back[32];
    fmt_time(back, sizeof(back), *t, false);
    return strcmp(back, s) == 0;
}

bool evote_audit_arg_is_secret(const char *arg) {
    if (arg == NULL || arg[0] != '-')
        return false;
    static const char *const words[] = {"pin", "secret", "password", "passphrase",
                                        "passwd"};
    size_t n = strcspn(arg, "=");
    char name[128];
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)tolower((unsigned char)arg[i]);
    name[n] = '\0';
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(name, words[i]) != NULL)
            return true;
    return false;
}

static bool contains_secret(const char *s, const evote_audit_event_t *ev) {
    for (size_t i = 0; s != NULL && i < ev->nsecrets; i++)
        if (ev->secrets[i] != NULL && ev->secrets[i][0] != '\0' &&
            strstr(s, ev->secrets[i]) != NULL)
            return true;
    return false;
}

/* A JSON string; bytes that are not UTF-8 are recorded as a marker. */
static json_t *jstr(const char *s) {
    json_t *j = json_string(s != NULL ? s : "");
    return j != NULL ? j : json_string("[not UTF-8]");
}

/* Add s to arr, or "[redacted]" if it holds a secret. */
static int push_redacted(json_t *arr, const char *s, const evote_audit_event_t *ev) {
    return json_array_append_new(arr, jstr(contains_secret(s, ev) ? REDACTED : s));
}

static json_t *args_json(const evote_audit_event_t *ev) {
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    bool redact_next = false;
    for (size_t i = 0; i < ev->nargs; i++) {
        const char *a = ev->args[i] != NULL ? ev->args[i] : "";
        int rc;
        if (redact_next && a[0] != '-') {
            rc = json_array_append_new(arr, json_string(REDACTED));
            redact_next = false;
        } else if (evote_audit_arg_is_secret(a)) {
            const char *eq = strchr(a, '=');
            if (eq != NULL) {
                char buf[160];
                size_t n = (size_t)(eq - a) + 1;
                if (n > sizeof(buf) - sizeof(REDACTED))
                    n = sizeof(buf) - sizeof(REDACTED);
                memcpy(buf, a, n);
                memcpy(buf + n, REDACTED, sizeof(REDACTED));
                rc = push_redacted(arr, buf, ev);
                redact_next = false;
            } else {
                rc = push_redacted(arr, a, ev);
                redact_next = true;
            }
        } else {
            rc = push_redacted(arr, a, ev);
            redact_next = false;
        }
        if (rc != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *files_json(const evote_audit_file_t *f, size_t n,
                          const evote_audit_event_t *ev) {
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char hex[2 * EVOTE_HASH_LEN + 1];
        json_t *o = json_object();
        const char *p = f[i].path != NULL ? f[i].path : "";
        if (o == NULL ||
            json_object_set_new(o, "path", jstr(contains_secret(p, ev) ? REDACTED
                                                                    : p)) != 0) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
        if (f[i].sha256 != NULL) {
            evote_hex(hex, f[i].sha256, EVOTE_HASH_LEN);
            json_object_set_new(o, "sha256", json_string(hex));
        } else {
            json_object_set_new(o, "sha256", json_null());
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static char *cert_subject(const uint8_t *der, size_t len) {
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (x != NULL && b != NULL &&
        X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        out = malloc((size_t)n + 1);
        if (out != NULL) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    X509_free(x);
    BIO_free(b);
    ERR_clear_error();
    return out;
}

/* ---- entries ------------------------------------------------------------ */

typedef struct {
    size_t line;       /* 1-based line number */
    char *body;        /* exact bytes, NUL-terminated */
    size_t body_len;
    uint8_t *cms;
    size_t cms_len;
    json_t *json;
    char err[160];     /* why it did not split/parse ("" if fine) */
    /* parsed fields */
    uint64_t seq;
    uint8_t prev[EVOTE_HASH_LEN];
    uint8_t election[EVOTE_HASH_LEN];
    uint8_t hash[EVOTE_HASH_LEN];
    int64_t time;
    uint8_t *cert;
    size_t cert_len;
    const char *step;
    bool ok;
} entry_t;

struct evote_audit_log {
    entry_t *e;
    size_t n;
    char **problems;
    size_t nproblems;
};

static void entry_clear(entry_t *e) {
    free(e->body);
    free(e->cms);
    free(e->cert);
    json_decref(e->json);
    memset(e, 0, sizeof(*e));
}

static bool get_hex32(json_t *o, const char *key, uint8_t out[EVOTE_HASH_LEN]) {
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL || evote_unhex(out, EVOTE_HASH_LEN, s) != EVOTE_OK) {
        evote_err_clear();
        return false;
    }
    /* Lower-case hex only: one spelling per value. */
    for (const char *p = s; *p; p++)
        if (isupper((unsigned char)*p))
            return false;
    return true;
}

/* Validate the body's fields; e->err says what is wrong. */
static bool entry_parse_body(entry_t *e) {
    json_error_t jerr;
    e->json = json_loadb(e->body, e->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (e->json == NULL || !json_is_object(e->json)) {
        snprintf(e->err, sizeof(e->err), "body is not a JSON object (%.100s)",
                 e->json == NULL ? jerr.text : "not an object");
        return false;
    }
    json_t *o = e->json;
    const char *fmt = json_string_value(json_object_get(o, "format"));
    if (fmt == NULL || strcmp(fmt, AUDIT_FORMAT) != 0) {
        snprintf(e->err, sizeof(e->err), "format is not %s", AUDIT_FORMAT);
        return false;
    }
    json_t *seq = json_object_get(o, "seq");
    if (!json_is_integer(seq) || json_integer_value(seq) < 1) {
        snprintf(e->err, sizeof(e->err), "seq is not a positive integer");
        return false;
    }
    e->seq = (uint64_t)json_integer_value(seq);
    if (!get_hex32(o, "prev", e->prev) || !get_hex32(o, "election", e->election)) {
        snprintf(e->err, sizeof(e->err), "prev/election is not 64 lower-case hex");
        return false;
    }
    const char *tu = json_string_value(json_object_get(o, "time_utc"));
    const char *tj = json_string_value(json_object_get(o, "time_jst"));
    char jst[40];
    if (!parse_utc(tu, &e->time) || tj == NULL ||
        (fmt_time(jst, sizeof(jst), e->time, true), strcmp(jst, tj) != 0)) {
        snprintf(e->err, sizeof(e->err),
                 "time_utc/time_jst malformed or not the same instant");
        return false;
    }
    e->step = json_string_value(json_object_get(o, "step"));
    json_t *op = json_object_get(o, "operator");
    const char *cert = json_string_value(json_object_get(op, "cert"));
    if (e->step == NULL || e->step[0] == '\0' ||
        !json_is_array(json_object_get(o, "args")) ||
        !json_is_array(json_object_get(o, "inputs")) ||
        !json_is_array(json_object_get(o, "outputs")) || cert == NULL) {
        snprintf(e->err, sizeof(e->err),
                 "step, args, inputs, outputs or operator.cert missing");
        return false;
    }
    if (b64_decode(cert, strlen(cert), &e->cert, &e->cert_len) != EVOTE_OK) {
        evote_err_clear();
        snprintf(e->err, sizeof(e->err), "operator.cert is not base64");
        return false;
    }
    json_t *oc = json_object_get(o, "outcome");
    json_t *ok = json_object_get(oc, "ok");
    if (!json_is_boolean(ok)) {
        snprintf(e->err, sizeof(e->err), "outcome.ok missing");
        return false;
    }
    e->ok = json_is_true(ok);
    return true;
}

/* Split one line (without its 0x0A) into body and CMS and parse it. */
static void entry_from_line(entry_t *e, size_t lineno, const char *line,
                            size_t len) {
    e->line = lineno;
    const char *tab = memchr(line, '\t', len);
    if (tab == NULL) {
        snprintf(e->err, sizeof(e->err), "no TAB between body and signature");
        return;
    }
    size_t blen = (size_t)(tab - line);
    if (memchr(tab + 1, '\t', len - blen - 1) != NULL ||
        memchr(line, '\0', len) != NULL) {
        snprintf(e->err, sizeof(e->err), "more than one TAB or a NUL byte");
        return;
    }
    e->body = malloc(blen + 1);
    if (e->body == NULL) {
        snprintf(e->err, sizeof(e->err), "out of memory");
        return;
    }
    memcpy(e->body, line, blen);
    e->body[blen] = '\0';
    e->body_len = blen;
    if (b64_decode(tab + 1, len - blen - 1, &e->cms, &e->cms_len) != EVOTE_OK) {
        snprintf(e->err, sizeof(e->err), "signature: %.120s", evote_err_detail());
        evote_err_clear();
        return;
    }
    if (evote_audit_entry_hash((const uint8_t *)e->body, e->body_len, e->cms,
                               e->cms_len, e->hash) != EVOTE_OK) {
        snprintf(e->err, sizeof(e->err), "hash failed");
        return;
    }
    entry_parse_body(e);
}

static evote_err_t log_from_bytes(evote_audit_log_t **out, const uint8_t *data,
                                  size_t len) {
    evote_err_t ret = EVOTE_OK;
    evote_audit_log_t *log = NULL;
    size_t lines = 0;

    *out = NULL;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    if (len > 0 && data[len - 1] != '\n')
        lines++; /* a torn last line still counts: verify reports it */
    ALLOC_GUARD(log = calloc(1, sizeof(*log)));
    if (lines > 0)
        ALLOC_GUARD(log->e = calloc(lines, sizeof(entry_t)));
    size_t start = 0;
    for (size_t k = 0; k < lines; k++) {
        const uint8_t *nl = memchr(data + start, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - data) : len;
        entry_t *e = &log->e[k];
        if (end - start > EVOTE_AUDIT_LINE_MAX) {
            e->line = k + 1;
            snprintf(e->err, sizeof(e->err), "line longer than %u bytes",
                     EVOTE_AUDIT_LINE_MAX);
        } else {
            entry_from_line(e, k + 1, (const char *)data + start, end - start);
        }
        if (nl == NULL && e->err[0] == '\0')
            snprintf(e->err, sizeof(e->err), "last line is not terminated "
                                             "(torn write?)");
        log->n++;
        start = end + 1;
    }
    *out = log;
    log = NULL;
out:
    evote_audit_log_free(log);
    return ret;
}

evote_err_t evote_audit_load(evote_audit_log_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "audit load: bad argument");
    *out = NULL;
    GUARD(evote_read_file(path, EVOTE_AUDIT_LOG_MAX, &data, &len));
    GUARD(log_from_bytes(out, data, len));
out:
    free(data);
    return ret;
}

void evote_audit_log_free(evote_audit_log_t *log) {
    if (log == NULL)
        return;
    for (size_t i = 0; i < log->n; i++)
        entry_clear(&log->e[i]);
    free(log->e);
    for (size_t i = 0; i < log->nproblems; i++)
        free(log->problems[i]);
    free(log->problems);
    free(log);
}

size_t evote_audit_count(const evote_audit_log_t *log) {
    return log != NULL ? log->n : 0;
}

const char *evote_audit_entry_body(const evote_audit_log_t *log, size_t i) {
    if (log == NULL || i >= log->n)
        return NULL;
    return log->e[i].body;
}

const uint8_t *evote_audit_election(const evote_audit_log_t *log) {
    if (log == NULL || log->n == 0 || log->e[0].json == NULL ||
        log->e[0].err[0] != '\0')
        return NULL;
    return log->e[0].election;
}

size_t evote_audit_problem_count(const evote_audit_log_t *log) {
    return log != NULL ? log->nproblems : 0;
}

const char *evote_audit_problem(const evote_audit_log_t *log, size_t i) {
    if (log == NULL || i >= log->nproblems)
        return NULL;
    return log->problems[i];
}

uint64_t evote_audit_find_output(const evote_audit_log_t *log,
                                 const uint8_t sha256[EVOTE_HASH_LEN],
                                 const char **step_out) {
    char hex[2 * EVOTE_HASH_LEN + 1];
    uint64_t found = 0;
    if (step_out != NULL)
        *step_out = NULL;
    if (log == NULL || sha256 == NULL)
        return 0;
    evote_hex(hex, sha256, EVOTE_HASH_LEN);
    for (size_t i = 0; i < log->n; i++) {
        const entry_t *e = &log->e[i];
        if (e->err[0] != '\0' || !e->ok)
            continue;
        json_t *outs = json_object_get(e->json, "outputs");
        size_t k;
        json_t *f;
        json_array_foreach(outs, k, f) {
            const char *h = json_string_value(json_object_get(f, "sha256"));
            if (h != NULL && strcmp(h, hex) == 0) {
                found = e->seq;
                if (step_out != NULL)
                    *step_out = e->step;
            }
        }
    }
    return found;
}

/* ---- verification ------------------------------------------------------- */

typedef struct {
    evote_audit_log_t *log;
    evote_err_t first;
} vstate_t;

static void problem(vstate_t *v, evote_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(vstate_t *v, evote_err_t code, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (v->first == EVOTE_OK) {
        v->first = code;
        evote_fail(code, "%s", buf);
    }
    char **np = realloc(v->log->problems, (v->log->nproblems + 1) * sizeof(char *));
    if (np == NULL)
        return;
    v->log->problems = np;
    np[v->log->nproblems] = strdup(buf);
    if (np[v->log->nproblems] != NULL)
        v->log->nproblems++;
}

/* Signature over the exact body with the body's certificate. */
static evote_err_t check_signature(const entry_t *e, X509_STORE *store,
                                   char *why, size_t cap) {
    evote_err_t ret = EVOTE_OK;
    const unsigned char *p = e->cms;
    CMS_ContentInfo *cms = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *certs = NULL;
    BIO *content = NULL;
    X509_STORE_CTX *sctx = NULL;

    why[0] = '\0';
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)e->cms_len);
    if (cms == NULL || p != e->cms + e->cms_len) {
        snprintf(why, cap, "signature is not one DER CMS structure");
        ret = EVOTE_ERR_CMS_FORMAT;
        goto out;
    }
    {
        /* DER is canonical: re-encoding must give the same bytes, so that
         * no byte of the signature can change without the check noticing. */
        unsigned char *re = NULL;
        int rn = i2d_CMS_ContentInfo(cms, &re);
        bool same = rn > 0 && (size_t)rn == e->cms_len &&
                    memcmp(re, e->cms, e->cms_len) == 0;
        OPENSSL_free(re);
        if (!same) {
            snprintf(why, cap, "signature is not in canonical DER");
            ret = EVOTE_ERR_CMS_FORMAT;
            goto out;
        }
    }
    p = e->cert;
    cert = d2i_X509(NULL, &p, (long)e->cert_len);
    if (cert == NULL || p != e->cert + e->cert_len) {
        snprintf(why, cap, "operator certificate is not DER X.509");
        ret = EVOTE_ERR_FORMAT;
        goto out;
    }
    certs = sk_X509_new_null();
    content = BIO_new_mem_buf(e->body, (int)e->body_len);
    if (certs == NULL || content == NULL || !sk_X509_push(certs, cert)) {
        snprintf(why, cap, "out of memory");
        ret = EVOTE_ERR_NOMEM;
        goto out;
    }
    {
        /* Certificates carried in the CMS (other signers may embed them)
         * must be the operator's own: nothing unsigned rides along. */
        STACK_OF(X509) *in = CMS_get1_certs(cms);
        bool foreign = false;
        for (int k = 0; in != NULL && k < sk_X509_num(in); k++)
            foreign |= X509_cmp(sk_X509_value(in, k), cert) != 0;
        sk_X509_pop_free(in, X509_free);
        if (foreign) {
            snprintf(why, cap, "signature carries a certificate other than the "
                               "operator's");
            ret = EVOTE_ERR_SIGNATURE;
            goto out;
        }
    }
    /* NOINTERN: the signer must be the certificate the body names. */
    if (CMS_verify(cms, certs, NULL, content, NULL,
                   CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
        unsigned long err = ERR_peek_last_error();
        snprintf(why, cap, "signature does not verify with the operator "
                           "certificate (%s)",
                 ERR_reason_error_string(err) ? ERR_reason_error_string(err) : "?");
        ret = EVOTE_ERR_SIGNATURE;
        goto out;
    }
    if (store != NULL) {
        sctx = X509_STORE_CTX_new();
        if (sctx == NULL || X509_STORE_CTX_init(sctx, store, cert, NULL) != 1) {
            snprintf(why, cap, "out of memory");
            ret = EVOTE_ERR_NOMEM;
            goto out;
        }
        /* Valid when the entry was made, not necessarily today. */
        X509_STORE_CTX_set_time(sctx, 0, (time_t)e->time);
        if (X509_verify_cert(sctx) != 1) {
            int xe = X509_STORE_CTX_get_error(sctx);
            snprintf(why, cap, "operator certificate does not chain to the CA "
                               "at the entry's time (%s)",
                     X509_verify_cert_error_string(xe));
            ret = xe == X509_V_ERR_CERT_HAS_EXPIRED     ? EVOTE_ERR_CERT_EXPIRED
                  : xe == X509_V_ERR_CERT_NOT_YET_VALID ? EVOTE_ERR_CERT_NOT_YET_VALID
                                                        : EVOTE_ERR_CERT_CHAIN;
            goto out;
        }
    }
out:
    X509_STORE_CTX_free(sctx);
    sk_X509_free(certs);
    X509_free(cert);
    BIO_free(content);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return ret;
}

evote_err_t evote_audit_verify(evote_audit_log_t *log, const char *ca_pem_path,
                               const uint8_t *expected_manifest) {
    evote_err_t ret = EVOTE_OK;
    X509_STORE *store = NULL;
    vstate_t v = {log, EVOTE_OK};
    uint8_t election[EVOTE_HASH_LEN], prev[EVOTE_HASH_LEN];
    bool have_election = false, have_prev = false;
    uint64_t expect = 1;
    const entry_t *last_good = NULL;

    ENSURE(log != NULL, EVOTE_ERR_ARG, "audit verify: bad argument");
    for (size_t i = 0; i < log->nproblems; i++)
        free(log->problems[i]);
    free(log->problems);
    log->problems = NULL;
    log->nproblems = 0;
    evote_err_clear();

    if (ca_pem_path != NULL) {
        ALLOC_GUARD(store = X509_STORE_new());
        if (X509_STORE_load_file(store, ca_pem_path) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_CERT_CHAIN, ca_pem_path);
            goto out;
        }
    }
    if (log->n == 0) {
        problem(&v, EVOTE_ERR_AUDIT_CHAIN, "the log holds no entry");
        ret = v.first;
        goto out;
    }
    if (expected_manifest != NULL) {
        memcpy(election, expected_manifest, EVOTE_HASH_LEN);
        have_election = true;
    }

    for (size_t i = 0; i < log->n; i++) {
        const entry_t *e = &log->e[i];
        if (e->err[0] != '\0') {
            problem(&v, EVOTE_ERR_AUDIT_CHAIN, "seq %" PRIu64 " (line %zu): %s",
                    expect, e->line, e->err);
            have_prev = false;
            expect++;
            continue;
        }
        if (e->seq > expect) {
            if (e->seq == expect + 1)
                problem(&v, EVOTE_ERR_AUDIT_CHAIN,
                        "seq %" PRIu64 ": missing (deleted or moved): line %zu "
                        "holds seq %" PRIu64,
                        expect, e->line, e->seq);
            else
                problem(&v, EVOTE_ERR_AUDIT_CHAIN,
                        "seq %" PRIu64 "..%" PRIu64 ": missing (deleted or "
                        "moved): line %zu holds seq %" PRIu64,
                        expect, e->seq - 1, e->line, e->seq);
        } else if (e->seq < expect) {
            problem(&v, EVOTE_ERR_AUDIT_CHAIN,
                    "seq %" PRIu64 ": out of order or repeated at line %zu "
                    "(expected seq %" PRIu64 ")",
                    e->seq, e->line, expect);
        }
        if (!have_election) {
            memcpy(election, e->election, EVOTE_HASH_LEN);
            have_election = true;
        }
        if (CRYPTO_memcmp(election, e->election, EVOTE_HASH_LEN) != 0)
            problem(&v, EVOTE_ERR_MANIFEST_MISMATCH,
                    "seq %" PRIu64 ": names another election (manifest hash)",
                    e->seq);
        if (e->seq == 1) {
            uint8_t g[EVOTE_HASH_LEN];
            GUARD(evote_audit_genesis(e->election, g));
            if (CRYPTO_memcmp(g, e->prev, EVOTE_HASH_LEN) != 0)
                problem(&v, EVOTE_ERR_AUDIT_CHAIN,
                        "seq 1: does not start from the election's genesis");
        } else if (i > 0) {
            if (!have_prev)
                problem(&v, EVOTE_ERR_AUDIT_CHAIN,
                        "seq %" PRIu64 ": cannot be chained (entry before it is "
                        "damaged)",
                        e->seq);
            else if (CRYPTO_memcmp(prev, e->prev, EVOTE_HASH_LEN) != 0)
                problem(&v, EVOTE_ERR_AUDIT_CHAIN,
                        "seq %" PRIu64 ": previous-entry hash does not match the "
                        "entry before it (line %zu, seq %" PRIu64
                        "): an entry was inserted, deleted, moved or edited",
                        e->seq, last_good ? last_good->line : 0,
                        last_good ? last_good->seq : 0);
        }
        char why[300];
        evote_err_t sv = check_signature(e, store, why, sizeof(why));
        if (sv != EVOTE_OK)
            problem(&v, sv, "seq %" PRIu64 ": %s", e->seq, why);
        memcpy(prev, e->hash, EVOTE_HASH_LEN);
        have_prev = true;
        last_good = e;
        expect = e->seq + 1;
    }
    ret = v.first;
    if (ret != EVOTE_OK && v.log->nproblems > 0)
        evote_fail(ret, "%s%s", v.log->problems[0],
                   v.log->nproblems > 1 ? " (and more)" : "");
out:
    X509_STORE_free(store);
    return ret;
}

/* ---- appending ---------------------------------------------------------- */

static evote_err_t build_body(char **out, uint64_t seq,
                              const uint8_t prev[EVOTE_HASH_LEN],
                              const uint8_t election[EVOTE_HASH_LEN],
                              const evote_audit_event_t *ev,
                              const uint8_t *cert, size_t cert_len) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL, *op = NULL, *oc = NULL, *a = NULL, *in = NULL, *outs = NULL;
    char hex[2 * EVOTE_HASH_LEN + 1], tu[40], tj[40];
    char *certb64 = NULL, *subject = NULL;
    uint8_t cert_hash[EVOTE_HASH_LEN];
    int64_t t = ev->time != 0 ? ev->time : (int64_t)time(NULL);

    *out = NULL;
    fmt_time(tu, sizeof(tu), t, false);
    fmt_time(tj, sizeof(tj), t, true);
    ALLOC_GUARD(o = json_object());
    ALLOC_GUARD(a = args_json(ev));
    ALLOC_GUARD(in = files_json(ev->inputs, ev->ninputs, ev));
    ALLOC_GUARD(outs = files_json(ev->outputs, ev->noutputs, ev));
    ALLOC_GUARD(certb64 = b64_encode(cert, cert_len));
    subject = cert_subject(cert, cert_len);
    GUARD(evote_sha256(cert, cert_len, cert_hash));

    json_object_set_new(o, "format", json_string(AUDIT_FORMAT));
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    evote_hex(hex, prev, EVOTE_HASH_LEN);
    json_object_set_new(o, "prev", json_string(hex));
    evote_hex(hex, election, EVOTE_HASH_LEN);
    json_object_set_new(o, "election", json_string(hex));
    json_object_set_new(o, "time_utc", json_string(tu));
    json_object_set_new(o, "time_jst", json_string(tj));
    json_object_set_new(o, "step", json_string(ev->step));
    json_object_set_new(o, "args", a);
    a = NULL;
    ALLOC_GUARD(op = json_object());
    json_object_set_new(op, "subject", subject ? jstr(subject) : json_null());
    evote_hex(hex, cert_hash, EVOTE_HASH_LEN);
    json_object_set_new(op, "cert_sha256", json_string(hex));
    json_object_set_new(op, "cert", json_string(certb64));
    json_object_set_new(o, "operator", op);
    op = NULL;
    json_object_set_new(o, "inputs", in);
    in = NULL;
    json_object_set_new(o, "outputs", outs);
    outs = NULL;
    ALLOC_GUARD(oc = json_object());
    json_object_set_new(oc, "ok", json_boolean(ev->result == EVOTE_OK &&
                                               ev->exit_status == 0));
    json_object_set_new(oc, "exit", json_integer(ev->exit_status));
    if (ev->result != EVOTE_OK) {
        json_object_set_new(oc, "code", json_string(evote_err_name(ev->result)));
        json_object_set_new(oc, "number", json_integer((json_int_t)ev->result));
    }
    if (ev->message != NULL && ev->message[0] != '\0')
        json_object_set_new(oc, "message", jstr(contains_secret(ev->message, ev)
                                                    ? REDACTED
                                                    : ev->message));
    json_object_set_new(o, "outcome", oc);
    oc = NULL;
    /* A set that failed (step not UTF-8) would silently drop a key. */
    ENSURE(json_object_size(o) == 12, EVOTE_ERR_ARG,
           "audit entry: step name is not valid UTF-8");
    ALLOC_GUARD(*out = json_dumps(o, JSON_COMPACT));
out:
    json_decref(o);
    json_decref(op);
    json_decref(oc);
    json_decref(a);
    json_decref(in);
    json_decref(outs);
    free(certb64);
    free(subject);
    return ret;
}

static evote_err_t lock_log(const char *path, int *fd_out) {
    char lock[4096];
    *fd_out = -1;
    if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
        return evote_fail(EVOTE_ERR_ARG, "audit log path too long");
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return evote_fail(EVOTE_ERR_IO, "%s: %s", lock, strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return evote_fail(EVOTE_ERR_IO, "lock %s: %s", lock, strerror(e));
        }
    }
    *fd_out = fd;
    return EVOTE_OK;
}

evote_err_t evote_audit_append(const char *path, const uint8_t *manifest_hash,
                               const evote_audit_event_t *ev,
                               evote_audit_signer_t *signer, uint64_t *seq_out) {
    evote_err_t ret = EVOTE_OK;
    int lockfd = -1;
    uint8_t *old = NULL, *cms = NULL, *content = NULL;
    size_t old_len = 0, cms_len = 0, cert_len = 0;
    char *body = NULL, *sig = NULL;
    evote_audit_log_t *tail = NULL;
    uint8_t prev[EVOTE_HASH_LEN], election[EVOTE_HASH_LEN];
    uint64_t seq = 1;

    if (seq_out != NULL)
        *seq_out = 0;
    ENSURE(path != NULL && ev != NULL && ev->step != NULL && signer != NULL &&
               (ev->nargs == 0 || ev->args != NULL) &&
               (ev->ninputs == 0 || ev->inputs != NULL) &&
               (ev->noutputs == 0 || ev->outputs != NULL),
           EVOTE_ERR_ARG, "audit append: bad argument");
    const uint8_t *cert = evote_audit_signer_cert(signer, &cert_len);
    ENSURE(cert != NULL, EVOTE_ERR_ARG, "audit append: signer has no certificate");

    GUARD(lock_log(path, &lockfd));
    ret = evote_read_file(path, EVOTE_AUDIT_LOG_MAX, &old, &old_len);
    if (ret == EVOTE_ERR_NOT_FOUND || (ret == EVOTE_OK && old_len == 0)) {
        evote_err_clear();
        ret = EVOTE_OK;
        ENSURE(manifest_hash != NULL, EVOTE_ERR_ARG,
               "audit log %s does not exist yet: the manifest is needed to "
               "start it",
               path);
        memcpy(election, manifest_hash, EVOTE_HASH_LEN);
        GUARD(evote_audit_genesis(election, prev));
    } else {
        GUARD(ret);
        /* Parse the last line only: appending must not cost a full verify. */
        ENSURE(old[old_len - 1] == '\n', EVOTE_ERR_AUDIT_CHAIN,
               "%s: last entry is not terminated; refusing to append", path);
        size_t start = old_len - 1;
        while (start > 0 && old[start - 1] != '\n')
            start--;
        GUARD(log_from_bytes(&tail, old + start, old_len - start));
        ENSURE(tail->n == 1 && tail->e[0].err[0] == '\0', EVOTE_ERR_AUDIT_CHAIN,
               "%s: last entry is damaged (%s); refusing to append", path,
               tail->n == 1 ? tail->e[0].err : "?");
        memcpy(election, tail->e[0].election, EVOTE_HASH_LEN);
        ENSURE(manifest_hash == NULL ||
                   CRYPTO_memcmp(manifest_hash, election, EVOTE_HASH_LEN) == 0,
               EVOTE_ERR_MANIFEST_MISMATCH,
               "%s belongs to another election (manifest hash differs)", path);
        memcpy(prev, tail->e[0].hash, EVOTE_HASH_LEN);
        seq = tail->e[0].seq + 1;
    }

    GUARD(build_body(&body, seq, prev, election, ev, cert, cert_len));
    size_t body_len = strlen(body);
    ENSURE(memchr(body, '\t', body_len) == NULL && memchr(body, '\n', body_len) == NULL,
           EVOTE_ERR_INTERNAL, "audit body contains TAB or newline");
    GUARD(evote_audit_signer_sign(signer, (const uint8_t *)body, body_len, &cms,
                                  &cms_len));
    ALLOC_GUARD(sig = b64_encode(cms, cms_len));
    size_t sig_len = strlen(sig);
    size_t line_len = body_len + 1 + sig_len + 1;
    ENSURE(line_len <= EVOTE_AUDIT_LINE_MAX, EVOTE_ERR_TOO_LARGE,
           "audit entry is %zu bytes (max %u)", line_len, EVOTE_AUDIT_LINE_MAX);
    ENSURE(old_len + line_len <= EVOTE_AUDIT_LOG_MAX, EVOTE_ERR_TOO_LARGE,
           "audit log would exceed %u bytes", EVOTE_AUDIT_LOG_MAX);
    ALLOC_GUARD(content = malloc(old_len + line_len));
    if (old_len > 0)
        memcpy(content, old, old_len);
    memcpy(content + old_len, body, body_len);
    content[old_len + body_len] = '\t';
    memcpy(content + old_len + body_len + 1, sig, sig_len);
    content[old_len + line_len - 1] = '\n';
    GUARD(evote_write_file_atomic(path, content, old_len + line_len, false, false));
    if (seq_out != NULL)
        *seq_out = seq;
out:
    if (lockfd >= 0)
        close(lockfd); /* releases the flock */
    evote_audit_log_free(tail);
    free(old);
    free(body);
    free(sig);
    free(content);
    free(cms);
    return ret;
}
