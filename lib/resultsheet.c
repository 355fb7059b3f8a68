/* libevote — tally and result sheets (JSON, CSV, printable HTML). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ceremony_internal.h"
#include "evote/bytetree.h"
#include "evote/result.h"
#include "internal.h"

#define FMT_RESULT "libevote-result/1"
#define HTML_INVALID_LIST_MAX 200 /* the sheet lists at most this many indices */

typedef struct {
    bool counted;
    uint64_t cast, total, invalid;
    uint64_t *votes;
    size_t *invalid_idx;
    uint8_t input_sha256[EVOTE_HASH_LEN];
    uint8_t decryption_sha256[EVOTE_HASH_LEN];
    bool have_dec_hash;
} tally_t;

struct evote_result {
    const evote_manifest_t *m;
    size_t nc;
    tally_t *t;
    int64_t when;
};

evote_err_t evote_result_new(evote_result_t **out, const evote_manifest_t *m) {
    evote_err_t ret = EVOTE_OK;
    evote_result_t *r = NULL;
    ENSURE(out != NULL && m != NULL, EVOTE_ERR_ARG, "result: bad argument");
    *out = NULL;
    ALLOC_GUARD(r = calloc(1, sizeof(*r)));
    r->m = m;
    r->nc = evote_manifest_contest_count(m);
    ALLOC_GUARD(r->t = calloc(r->nc ? r->nc : 1, sizeof(tally_t)));
    r->when = (int64_t)time(NULL);
    *out = r;
    r = NULL;
out:
    evote_result_free(r);
    return ret;
}

void evote_result_free(evote_result_t *r) {
    if (r == NULL)
        return;
    for (size_t i = 0; r->t != NULL && i < r->nc; i++) {
        free(r->t[i].votes);
        free(r->t[i].invalid_idx);
    }
    free(r->t);
    free(r);
}

void evote_result_set_time(evote_result_t *r, int64_t t) {
    if (r != NULL)
        r->when = t;
}

evote_err_t evote_result_add(evote_result_t *r, const evote_decryption_t *d,
                             uint64_t cast, const uint8_t *dec_hash) {
    evote_err_t ret = EVOTE_OK;
    size_t ci = 0;
    tally_t t = {0};
    static const uint8_t zero[EVOTE_POINT_LEN];
    ENSURE(r != NULL && d != NULL && d->n > 0, EVOTE_ERR_ARG, "result add: bad argument");
    ENSURE(CRYPTO_memcmp(d->manifest_hash, evote_manifest_hash(r->m), EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH, "decryption of contest %s names another manifest",
           d->contest_id);
    GUARD(evote_manifest_contest_index(r->m, d->contest_id, &ci));
    ENSURE(!r->t[ci].counted, EVOTE_ERR_EXISTS, "contest %s counted twice", d->contest_id);
    ENSURE(cast == 0 || cast >= d->n, EVOTE_ERR_ARG,
           "contest %s: %llu ballots cast but %zu decrypted", d->contest_id,
           (unsigned long long)cast, d->n);
    size_t nopt = evote_manifest_option_count(r->m, ci);
    ALLOC_GUARD(t.votes = calloc(nopt ? nopt : 1, sizeof(uint64_t)));
    for (size_t j = 0; j < d->n; j++) {
        uint32_t sel = EVOTE_SELECTION_INVALID;
        if (memcmp(d->plaintext[j], zero, EVOTE_POINT_LEN) != 0 &&
            evote_selection_decode(d->plaintext[j], (uint32_t)nopt, &sel) != EVOTE_OK)
            sel = EVOTE_SELECTION_INVALID;
        ENSURE(sel == d->selection[j], EVOTE_ERR_FORMAT,
               "contest %s: selection %zu does not match its plaintext", d->contest_id, j);
        if (sel == EVOTE_SELECTION_INVALID) {
            if ((t.invalid & (t.invalid + 1)) == 0 || t.invalid_idx == NULL) {
                size_t *nb = realloc(t.invalid_idx, (t.invalid + 1) * 2 * sizeof(size_t));
                ALLOC_GUARD(nb);
                t.invalid_idx = nb;
            }
            t.invalid_idx[t.invalid++] = j;
        } else {
            t.votes[sel]++;
        }
    }
    evote_err_clear();
    t.counted = true;
    t.total = d->n;
    t.cast = cast ? cast : d->n;
    memcpy(t.input_sha256, d->list_hash, EVOTE_HASH_LEN);
    if (dec_hash != NULL) {
        memcpy(t.decryption_sha256, dec_hash, EVOTE_HASH_LEN);
        t.have_dec_hash = true;
    }
    r->t[ci] = t;
    memset(&t, 0, sizeof(t));
out:
    free(t.votes);
    free(t.invalid_idx);
    return ret;
}

static evote_err_t find(const evote_result_t *r, const char *cid, const tally_t **t) {
    size_t ci;
    evote_err_t e = evote_manifest_contest_index(r->m, cid, &ci);
    if (e != EVOTE_OK)
        return e;
    if (!r->t[ci].counted)
        return evote_fail(EVOTE_ERR_NOT_FOUND, "contest %s not counted", cid);
    *t = &r->t[ci];
    return EVOTE_OK;
}

evote_err_t evote_result_votes(const evote_result_t *r, const char *cid, size_t opt,
                               uint64_t *votes) {
    const tally_t *t = NULL;
    size_t ci;
    evote_err_t e = find(r, cid, &t);
    if (e != EVOTE_OK)
        return e;
    if (evote_manifest_contest_index(r->m, cid, &ci) != EVOTE_OK ||
        opt >= evote_manifest_option_count(r->m, ci))
        return evote_fail(EVOTE_ERR_SELECTION_RANGE, "option %zu", opt);
    *votes = t->votes[opt];
    return EVOTE_OK;
}

evote_err_t evote_result_invalid(const evote_result_t *r, const char *cid,
                                 uint64_t *invalid) {
    const tally_t *t = NULL;
    evote_err_t e = find(r, cid, &t);
    if (e == EVOTE_OK)
        *invalid = t->invalid;
    return e;
}

/* "2026-11-24T01:28:00+09:00": JST has had no daylight saving since 1951. */
static void jst(char out[80], int64_t t, bool iso) {
    time_t s = (time_t)(t + 9 * 3600);
    struct tm tm;
    gmtime_r(&s, &tm);
    if (iso)
        strftime(out, 80, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
    else
        strftime(out, 80, "%Y年%m月%d日 %H:%M:%S JST (UTC+09:00)", &tm);
}

/* ---- JSON ---------------------------------------------------------------- */

evote_err_t evote_result_write_json(const evote_result_t *r, const char *path) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL, *cs = NULL;
    char when[80];
    ENSURE(r != NULL && path != NULL, EVOTE_ERR_ARG, "result json: bad argument");
    ALLOC_GUARD(o = json_object());
    ALLOC_GUARD(cs = json_array());
    jst(when, r->when, true);
    json_object_set_new(o, "format", json_string(FMT_RESULT));
    json_object_set_new(o, "election_id", json_string(evote_manifest_election_id(r->m)));
    json_object_set_new(o, "title", json_string(evote_manifest_title(r->m)));
    json_object_set_new(o, "manifest_sha256",
                        evote_json_hexstr(evote_manifest_hash(r->m), EVOTE_HASH_LEN));
    json_object_set_new(o, "generated_at", json_string(when));
    for (size_t ci = 0; ci < r->nc; ci++) {
        const tally_t *t = &r->t[ci];
        if (!t->counted)
            continue;
        json_t *c = json_object(), *opts = json_array(), *inv = json_array();
        ALLOC_GUARD(c);
        json_object_set_new(c, "contest_id", json_string(evote_manifest_contest_id(r->m, ci)));
        json_object_set_new(c, "title", json_string(evote_manifest_contest_title(r->m, ci)));
        json_object_set_new(c, "kind", json_string(evote_manifest_contest_kind(r->m, ci)));
        json_object_set_new(c, "cast", json_integer((json_int_t)t->cast));
        json_object_set_new(c, "decrypted", json_integer((json_int_t)t->total));
        json_object_set_new(c, "valid", json_integer((json_int_t)(t->total - t->invalid)));
        json_object_set_new(c, "invalid", json_integer((json_int_t)t->invalid));
        for (size_t k = 0; k < t->invalid; k++)
            json_array_append_new(inv, json_integer((json_int_t)t->invalid_idx[k]));
        json_object_set_new(c, "invalid_indices", inv);
        for (size_t j = 0; j < evote_manifest_option_count(r->m, ci); j++) {
            json_t *op = json_object();
            json_object_set_new(op, "id", json_string(evote_manifest_option_id(r->m, ci, j)));
            json_object_set_new(op, "name",
                                json_string(evote_manifest_option_name(r->m, ci, j)));
            json_object_set_new(op, "votes", json_integer((json_int_t)t->votes[j]));
            json_array_append_new(opts, op);
        }
        json_object_set_new(c, "options", opts);
        json_object_set_new(c, "input_sha256", evote_json_hexstr(t->input_sha256, 32));
        if (t->have_dec_hash)
            json_object_set_new(c, "decryption_sha256",
                                evote_json_hexstr(t->decryption_sha256, 32));
        json_array_append_new(cs, c);
    }
    json_object_set(o, "contests", cs);
    GUARD(evote_json_write(path, o, false));
out:
    json_decref(cs);
    json_decref(o);
    return ret;
}

/* ---- text output helpers -------------------------------------------------- */

static evote_err_t bprintf(evote_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static evote_err_t bprintf(evote_buf_t *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return evote_fail(EVOTE_ERR_INTERNAL, "vsnprintf");
    if ((size_t)n < sizeof(small))
        return evote_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (big == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "bprintf");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    evote_err_t e = evote_buf_append(b, big, (size_t)n);
    free(big);
    return e;
}

/* RFC 4180 field: always quoted, quotes doubled. */
static evote_err_t csv_field(evote_buf_t *b, const char *s, bool last) {
    evote_err_t ret = EVOTE_OK;
    GUARD(evote_buf_append(b, "\"", 1));
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            GUARD(evote_buf_append(b, "\"\"", 2));
        else
            GUARD(evote_buf_append(b, p, 1));
    }
    GUARD(evote_buf_append(b, last ? "\"\r\n" : "\",", last ? 3 : 2));
out:
    return ret;
}

evote_err_t evote_result_write_csv(const evote_result_t *r, const char *path) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    char num[32];
    ENSURE(r != NULL && path != NULL, EVOTE_ERR_ARG, "result csv: bad argument");
    GUARD(bprintf(&b, "contest_id,contest_title,row,option_id,option_name,count\r\n"));
    for (size_t ci = 0; ci < r->nc; ci++) {
        const tally_t *t = &r->t[ci];
        if (!t->counted)
            continue;
        const char *cid = evote_manifest_contest_id(r->m, ci);
        const char *ct = evote_manifest_contest_title(r->m, ci);
        for (size_t j = 0; j < evote_manifest_option_count(r->m, ci); j++) {
            GUARD(csv_field(&b, cid, false));
            GUARD(csv_field(&b, ct, false));
            GUARD(csv_field(&b, "option", false));
            GUARD(csv_field(&b, evote_manifest_option_id(r->m, ci, j), false));
            GUARD(csv_field(&b, evote_manifest_option_name(r->m, ci, j), false));
            snprintf(num, sizeof(num), "%llu", (unsigned long long)t->votes[j]);
            GUARD(csv_field(&b, num, true));
        }
        static const char *const rows[] = {"invalid", "cast"};
        for (int k = 0; k < 2; k++) {
            GUARD(csv_field(&b, cid, false));
            GUARD(csv_field(&b, ct, false));
            GUARD(csv_field(&b, rows[k], false));
            GUARD(csv_field(&b, "", false));
            GUARD(csv_field(&b, "", false));
            snprintf(num, sizeof(num), "%llu",
                     (unsigned long long)(k == 0 ? t->invalid : t->cast));
            GUARD(csv_field(&b, num, true));
        }
    }
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, false));
out:
    evote_buf_free(&b);
    return ret;
}

/* ---- HTML ---------------------------------------------------------------- */

static evote_err_t html_text(evote_buf_t *b, const char *s) {
    evote_err_t ret = EVOTE_OK;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '<': GUARD(evote_buf_append(b, "&lt;", 4)); break;
        case '>': GUARD(evote_buf_append(b, "&gt;", 4)); break;
        case '&': GUARD(evote_buf_append(b, "&amp;", 5)); break;
        case '"': GUARD(evote_buf_append(b, "&quot;", 6)); break;
        case '\'': GUARD(evote_buf_append(b, "&#39;", 5)); break;
        default: GUARD(evote_buf_append(b, p, 1));
        }
    }
out:
    return ret;
}

static const char CSS[] =
    "body{font-family:'Noto Sans CJK JP','Noto Sans JP','Hiragino Sans',"
    "'Yu Gothic',sans-serif;margin:2em;color:#111;background:#fff}"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.5em 0 .5em;"
    "border-bottom:2px solid #333}table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #555;padding:.3em .8em}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}th{background:#e8e8e8}"
    ".meta td{border:none;padding:.1em .8em .1em 0}.digest{font-family:monospace;"
    "font-size:.8em;word-break:break-all}.sig{margin-top:3em}"
    ".sig div{display:inline-block;width:30%;margin-right:3%;border-top:1px solid #000;"
    "padding-top:.3em;margin-top:3em}section{page-break-inside:avoid}"
    "@media print{body{margin:1cm}}";

static evote_err_t html_contest(evote_buf_t *b, const evote_result_t *r, size_t ci) {
    evote_err_t ret = EVOTE_OK;
    const tally_t *t = &r->t[ci];
    size_t nopt = evote_manifest_option_count(r->m, ci);
    uint64_t valid = t->total - t->invalid, maxv = 1;
    char hex[65];
    for (size_t j = 0; j < nopt; j++)
        if (t->votes[j] > maxv)
            maxv = t->votes[j];
    GUARD(bprintf(b, "<section class=\"contest\"><h2>"));
    GUARD(html_text(b, evote_manifest_contest_title(r->m, ci)));
    GUARD(bprintf(b, " <small>("));
    GUARD(html_text(b, evote_manifest_contest_id(r->m, ci)));
    GUARD(bprintf(b, ")</small></h2>\n<table><tr><th>#</th><th>候補者・政党 "
                     "Candidate / party</th><th>得票数 Votes</th><th>%%</th></tr>\n"));
    for (size_t j = 0; j < nopt; j++) {
        double pct = valid ? 100.0 * (double)t->votes[j] / (double)valid : 0.0;
        GUARD(bprintf(b, "<tr><td class=\"n\">%zu</td><td>", j + 1));
        GUARD(html_text(b, evote_manifest_option_name(r->m, ci, j)));
        GUARD(bprintf(b, "</td><td class=\"n\">%llu</td><td class=\"n\">%.2f</td></tr>\n",
                      (unsigned long long)t->votes[j], pct));
    }
    GUARD(bprintf(b,
                  "<tr><th colspan=\"2\">有効票 Valid</th><td class=\"n\">%llu</td><td></td></tr>\n"
                  "<tr><th colspan=\"2\">無効票 Invalid</th><td class=\"n\">%llu</td><td></td></tr>\n"
                  "<tr><th colspan=\"2\">投票者数 Ballots cast</th><td class=\"n\">%llu</td>"
                  "<td></td></tr>\n</table>\n",
                  (unsigned long long)valid, (unsigned long long)t->invalid,
                  (unsigned long long)t->cast));
    /* Horizontal bar chart: one 28px row per option, labels left. */
    unsigned h = (unsigned)(nopt * 32 + 10);
    GUARD(bprintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%u\" "
                     "viewBox=\"0 0 720 %u\" role=\"img\" aria-label=\"votes\">\n", h, h));
    for (size_t j = 0; j < nopt; j++) {
        unsigned w = (unsigned)((double)t->votes[j] * 440.0 / (double)maxv);
        unsigned y = (unsigned)(j * 32 + 5);
        GUARD(bprintf(b, "<text x=\"0\" y=\"%u\" font-size=\"14\">", y + 19));
        GUARD(html_text(b, evote_manifest_option_name(r->m, ci, j)));
        GUARD(bprintf(b, "</text><rect x=\"200\" y=\"%u\" width=\"%u\" height=\"26\" "
                         "fill=\"#2b5797\"/><text x=\"%u\" y=\"%u\" font-size=\"14\">%llu"
                         "</text>\n",
                      y, w, 206 + w, y + 19, (unsigned long long)t->votes[j]));
    }
    GUARD(bprintf(b, "</svg>\n"));
    if (t->invalid > 0) {
        GUARD(bprintf(b, "<p>無効票の番号 Invalid ballots (0-based index in the mixed list): "));
        for (size_t k = 0; k < t->invalid && k < HTML_INVALID_LIST_MAX; k++)
            GUARD(bprintf(b, "%s%zu", k ? ", " : "", t->invalid_idx[k]));
        if (t->invalid > HTML_INVALID_LIST_MAX)
            GUARD(bprintf(b, " … (%llu more; the JSON result lists all)",
                          (unsigned long long)(t->invalid - HTML_INVALID_LIST_MAX)));
        GUARD(bprintf(b, "</p>\n"));
    }
    evote_hex(hex, t->input_sha256, 32);
    GUARD(bprintf(b, "<p class=\"digest\">input list SHA-256: %s", hex));
    if (t->have_dec_hash) {
        evote_hex(hex, t->decryption_sha256, 32);
        GUARD(bprintf(b, "<br>decryption SHA-256: %s", hex));
    }
    GUARD(bprintf(b, "</p></section>\n"));
out:
    return ret;
}

evote_err_t evote_result_write_html(const evote_result_t *r, const char *path) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    char when[80], hex[65];
    ENSURE(r != NULL && path != NULL, EVOTE_ERR_ARG, "result html: bad argument");
    jst(when, r->when, false);
    evote_hex(hex, evote_manifest_hash(r->m), 32);
    GUARD(bprintf(&b, "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
                      "<title>"));
    GUARD(html_text(&b, evote_manifest_title(r->m)));
    GUARD(bprintf(&b, " — 開票結果</title><style>%s</style></head><body>\n<h1>", CSS));
    GUARD(html_text(&b, evote_manifest_title(r->m)));
    GUARD(bprintf(&b, " 開票結果 / Result</h1>\n<table class=\"meta\"><tr><td>選挙 Election"
                      "</td><td>"));
    GUARD(html_text(&b, evote_manifest_election_id(r->m)));
    GUARD(bprintf(&b, "</td></tr><tr><td>作成日時 Produced</td><td>%s</td></tr>"
                      "<tr><td>manifest SHA-256</td><td class=\"digest\">%s</td></tr>"
                      "</table>\n", when, hex));
    for (size_t ci = 0; ci < r->nc; ci++)
        if (r->t[ci].counted)
            GUARD(html_contest(&b, r, ci));
    GUARD(bprintf(&b, "<section class=\"sig\"><h2>署名 Signatures</h2>\n"));
    size_t nof = evote_manifest_person_count(r->m, "official");
    for (size_t i = 0; i < (nof ? nof : 3); i++) {
        GUARD(bprintf(&b, "<div>"));
        if (nof)
            GUARD(html_text(&b, evote_manifest_person_name(r->m, "official", i)));
        else
            GUARD(bprintf(&b, "氏名 Name"));
        GUARD(bprintf(&b, "<br>署名 Signature / 日付 Date</div>\n"));
    }
    GUARD(bprintf(&b, "</section>\n</body></html>\n"));
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, false));
out:
    evote_buf_free(&b);
    return ret;
}
