/*
 * libevote — Verificatum session parameters (protInfo.xml subset), global
 * prefix, PRG, random oracle and independent generators (VERIFICATUM.md,
 * docs/PROTOCOL.md §14).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "mix_fp.h"
#include "mix_internal.h"

#define VMN_VERSION "3.1.0"
#define VMN_PGROUP                                                                 \
    "ECqPGroup(P-256)::00000000020100000020636f6d2e766572696669636174756d2e61726974" \
    "686d2e4543715047726f75700100000005502d323536"
#define PROTINFO_MAX (1u << 20)

/* ---- PRG and random oracle ---------------------------------------------- */

/* SHA-256 fetched once: EVP_Digest with EVP_sha256() fetches the
 * implementation on every call, which was most of the cost of a 32-byte
 * PRG block (measured 620 ns per block against 130 ns with a fetched
 * digest and a reused context). */
static EVP_MD *g_sha256;
static pthread_once_t g_sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) {
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void mix_prg_init(mix_prg *g, const uint8_t seed[32]) {
    memcpy(g->seed, seed, 32);
    g->ctr = 0;
    g->pos = 32;
    g->md = NULL;
}

void mix_prg_free(mix_prg *g) {
    if (g == NULL)
        return;
    EVP_MD_CTX_free(g->md);
    g->md = NULL;
}

evote_err_t mix_prg_bytes(mix_prg *g, uint8_t *out, size_t len) {
    evote_err_t ret = EVOTE_OK;
    if (len > 0 && g->md == NULL) {
        pthread_once(&g_sha256_once, sha256_fetch);
        ENSURE(g_sha256 != NULL, EVOTE_ERR_INTERNAL, "SHA-256 not available");
        ALLOC_GUARD(g->md = EVP_MD_CTX_new());
    }
    while (len > 0) {
        if (g->pos == 32) {
            uint8_t in[36];
            unsigned int n = 0;
            memcpy(in, g->seed, 32);
            evote_put_u32be(in + 32, g->ctr++);
            OSSL_GUARD(EVP_DigestInit_ex2(g->md, g_sha256, NULL));
            OSSL_GUARD(EVP_DigestUpdate(g->md, in, sizeof(in)));
            OSSL_GUARD(EVP_DigestFinal_ex(g->md, g->buf, &n));
            g->pos = 0;
        }
        size_t take = 32 - g->pos < len ? 32 - g->pos : len;
        memcpy(out, g->buf + g->pos, take);
        g->pos += take;
        out += take;
        len -= take;
    }
out:
    return ret;
}

evote_err_t mix_prg_seek(mix_prg *g, uint64_t off) {
    evote_err_t ret = EVOTE_OK;
    uint8_t skip[32];
    ENSURE(off / 32 <= UINT32_MAX, EVOTE_ERR_TOO_LARGE, "PRG offset out of range");
    g->ctr = (uint32_t)(off / 32);
    g->pos = 32;
    GUARD(mix_prg_bytes(g, skip, off % 32));
out:
    return ret;
}

evote_err_t mix_ro_begin(mix_ro *ro, uint32_t nbits, const uint8_t rho[32]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t pre[4];
    ro->nbits = nbits;
    ALLOC_GUARD(ro->md = EVP_MD_CTX_new());
    OSSL_GUARD(EVP_DigestInit_ex(ro->md, EVP_sha256(), NULL));
    evote_put_u32be(pre, nbits);
    OSSL_GUARD(EVP_DigestUpdate(ro->md, pre, 4));
    if (rho != NULL)
        OSSL_GUARD(EVP_DigestUpdate(ro->md, rho, 32));
out:
    if (ret != EVOTE_OK)
        mix_ro_abort(ro);
    return ret;
}

evote_err_t mix_ro_update(mix_ro *ro, const void *data, size_t len) {
    evote_err_t ret = EVOTE_OK;
    if (len > 0)
        OSSL_GUARD(EVP_DigestUpdate(ro->md, data, len));
out:
    return ret;
}

evote_err_t mix_ro_final(mix_ro *ro, uint8_t *out) {
    evote_err_t ret = EVOTE_OK;
    uint8_t seed[32];
    unsigned int n = 0;
    mix_prg g = {.md = NULL};
    size_t len = (ro->nbits + 7) / 8;
    OSSL_GUARD(EVP_DigestFinal_ex(ro->md, seed, &n));
    mix_prg_init(&g, seed);
    GUARD(mix_prg_bytes(&g, out, len));
    if (ro->nbits % 8 != 0)
        out[0] &= (uint8_t)(0xff >> (8 - ro->nbits % 8));
out:
    mix_prg_free(&g);
    mix_ro_abort(ro);
    return ret;
}

void mix_ro_abort(mix_ro *ro) {
    EVP_MD_CTX_free(ro->md);
    ro->md = NULL;
}

evote_err_t mix_ro_node(mix_ro *ro, uint32_t n) {
    uint8_t h[5] = {0x00};
    evote_put_u32be(h + 1, n);
    return mix_ro_update(ro, h, 5);
}

evote_err_t mix_ro_leaf(mix_ro *ro, const void *data, uint32_t len) {
    uint8_t h[5] = {0x01};
    evote_put_u32be(h + 1, len);
    evote_err_t ret = mix_ro_update(ro, h, 5);
    return ret != EVOTE_OK ? ret : mix_ro_update(ro, data, len);
}

evote_err_t mix_ro_point(mix_ro *ro, const mix_pt *p) {
    uint8_t b[MIX_PT_BT_LEN];
    mix_point_bytes(b, p);
    return mix_ro_update(ro, b, sizeof(b));
}

/* ---- protInfo.xml ---------------------------------------------------------- */

struct px {
    const char *s;
    size_t len, pos;
};

static bool px_starts(const struct px *x, const char *lit) {
    size_t n = strlen(lit);
    return x->len - x->pos >= n && memcmp(x->s + x->pos, lit, n) == 0;
}

/* Skip whitespace, comments and (at the start) an XML declaration. */
static evote_err_t px_misc(struct px *x) {
    for (;;) {
        while (x->pos < x->len && isspace((unsigned char)x->s[x->pos]))
            x->pos++;
        if (px_starts(x, "<!--")) {
            const char *end = NULL;
            for (size_t i = x->pos + 4; i + 3 <= x->len; i++)
                if (memcmp(x->s + i, "-->", 3) == 0) {
                    end = x->s + i;
                    break;
                }
            if (end == NULL)
                return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: unterminated comment");
            x->pos = (size_t)(end - x->s) + 3;
        } else if (x->pos == 0 && px_starts(x, "<?xml")) {
            size_t i = x->pos + 5;
            while (i + 2 <= x->len && memcmp(x->s + i, "?>", 2) != 0)
                i++;
            if (i + 2 > x->len)
                return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: unterminated declaration");
            x->pos = i + 2;
        } else {
            return EVOTE_OK;
        }
    }
}

/* "<name>" → name (letters and digits only). */
static evote_err_t px_open(struct px *x, char *name, size_t cap) {
    size_t i = 0;
    if (x->pos >= x->len || x->s[x->pos] != '<')
        return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: expected a tag at byte %zu",
                          x->pos);
    x->pos++;
    while (x->pos < x->len && isalnum((unsigned char)x->s[x->pos]) && i + 1 < cap)
        name[i++] = x->s[x->pos++];
    name[i] = '\0';
    if (i == 0 || x->pos >= x->len || x->s[x->pos] != '>')
        return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: malformed tag at byte %zu",
                          x->pos);
    x->pos++;
    return EVOTE_OK;
}

static evote_err_t px_close(struct px *x, const char *name) {
    char want[80];
    snprintf(want, sizeof(want), "</%s>", name);
    if (!px_starts(x, want))
        return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: expected %s at byte %zu",
                          want, x->pos);
    x->pos += strlen(want);
    return EVOTE_OK;
}

/* Text up to the next '<', trimmed; no entities or markup. */
static evote_err_t px_text(struct px *x, char *out, size_t cap) {
    size_t start = x->pos;
    while (x->pos < x->len && x->s[x->pos] != '<') {
        if (x->s[x->pos] == '&' || x->s[x->pos] == '>')
            return evote_fail(EVOTE_ERR_PROTINFO,
                              "protInfo.xml: entity or markup in a value at byte %zu",
                              x->pos);
        x->pos++;
    }
    size_t end = x->pos;
    while (start < end && isspace((unsigned char)x->s[start]))
        start++;
    while (end > start && isspace((unsigned char)x->s[end - 1]))
        end--;
    if (end - start >= cap)
        return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: value at byte %zu too long",
                          start);
    memcpy(out, x->s + start, end - start);
    out[end - start] = '\0';
    return EVOTE_OK;
}

static bool sid_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 2 || n > EVOTE_MIX_SID_MAX || !isalpha((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] > 0x7f)
            return false;
    return true;
}

static evote_err_t parse_u32(const char *tag, const char *v, uint32_t lo, uint32_t hi,
                             uint32_t *out) {
    char *end = NULL;
    if (*v < '0' || *v > '9' || strlen(v) > 9)
        return evote_fail(EVOTE_ERR_PROTINFO, "protInfo.xml: <%s> is not a number", tag);
    unsigned long x = strtoul(v, &end, 10);
    if (*end != '\0' || (v[0] == '0' && v[1] != '\0') || x < lo || x > hi)
        return evote_fail(EVOTE_ERR_PROTINFO,
                          "protInfo.xml: <%s> must be an integer in [%u, %u]", tag, lo, hi);
    *out = (uint32_t)x;
    return EVOTE_OK;
}

static const char *const k_top[] = {
    "version", "sid",      "name",  "descr", "nopart",    "statdist", "bullboard",
    "thres",   "pgroup",   "keywidth", "vbitlen", "vbitlenro", "ebitlen", "ebitlenro",
    "prg",     "rohash",   "corr",  "width", "maxciph", NULL};
static const char *const k_party[] = {"name", "srtbyrole", "descr", "pkey",
                                      "http", "hint",      NULL};

static int tag_index(const char *const *set, const char *name) {
    for (int i = 0; set[i] != NULL; i++)
        if (strcmp(set[i], name) == 0)
            return i;
    return -1;
}

evote_err_t evote_mix_params_parse(evote_mix_params_t **out, const uint8_t *xml,
                                   size_t len) {
    evote_err_t ret = EVOTE_OK;
    evote_mix_params_t *p = NULL;
    struct px x = {(const char *)xml, len, 0};
    char name[32], val[8192];
    char *values[sizeof(k_top) / sizeof(k_top[0])] = {0};
    unsigned nparty = 0;
    int ntop = 0; /* top-level elements seen, in schema order */

    ENSURE(out != NULL && xml != NULL, EVOTE_ERR_ARG, "protInfo: bad argument");
    *out = NULL;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = xml[i];
        ENSURE(c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f),
               EVOTE_ERR_PROTINFO, "protInfo.xml: byte %zu (0x%02x) is not printable ASCII",
               i, c);
    }
    ALLOC_GUARD(p = calloc(1, sizeof(*p)));
    GUARD(px_misc(&x));
    GUARD(px_open(&x, name, sizeof(name)));
    ENSURE(strcmp(name, "protocol") == 0, EVOTE_ERR_PROTINFO,
           "protInfo.xml: root element is <%s>, expected <protocol>", name);
    for (;;) {
        GUARD(px_misc(&x));
        if (px_starts(&x, "</protocol>")) {
            x.pos += strlen("</protocol>");
            break;
        }
        GUARD(px_open(&x, name, sizeof(name)));
        if (strcmp(name, "party") == 0) {
            /* VMN's schema: parties follow every top-level element, each with
             * exactly these fields in this order (PROTOCOL 14.1). */
            int nf = 0;
            ENSURE(k_top[ntop] == NULL, EVOTE_ERR_PROTINFO,
                   "protInfo.xml: <party> before <%s>", k_top[ntop]);
            ENSURE(nparty < 25, EVOTE_ERR_PROTINFO, "protInfo.xml: more than 25 parties");
            for (;;) {
                GUARD(px_misc(&x));
                if (px_starts(&x, "</party>")) {
                    x.pos += strlen("</party>");
                    break;
                }
                GUARD(px_open(&x, name, sizeof(name)));
                int k = tag_index(k_party, name);
                ENSURE(k >= 0, EVOTE_ERR_PROTINFO, "protInfo.xml: unknown party field <%s>",
                       name);
                ENSURE(k == nf, EVOTE_ERR_PROTINFO,
                       "protInfo.xml: party field <%s> out of place (VMN's schema wants <%s>)",
                       name, k_party[nf] != NULL ? k_party[nf] : "</party>");
                nf++;
                GUARD(px_text(&x, val, sizeof(val)));
                GUARD(px_close(&x, name));
            }
            ENSURE(k_party[nf] == NULL, EVOTE_ERR_PROTINFO,
                   "protInfo.xml: party %u lacks <%s>", nparty + 1, k_party[nf]);
            nparty++;
            continue;
        }
        int k = tag_index(k_top, name);
        ENSURE(k >= 0, EVOTE_ERR_PROTINFO, "protInfo.xml: unsupported element <%s>", name);
        ENSURE(values[k] == NULL, EVOTE_ERR_PROTINFO, "protInfo.xml: <%s> appears twice",
               name);
        ENSURE(nparty == 0 && k == ntop, EVOTE_ERR_PROTINFO,
               "protInfo.xml: <%s> out of place (VMN's schema wants <%s> here)", name,
               k_top[ntop] != NULL ? k_top[ntop] : "party");
        ntop++;
        GUARD(px_text(&x, val, sizeof(val)));
        GUARD(px_close(&x, name));
        ALLOC_GUARD(values[k] = strdup(val));
    }
    GUARD(px_misc(&x));
    ENSURE(x.pos == x.len, EVOTE_ERR_PROTINFO, "protInfo.xml: content after </protocol>");

    /* every element of VMN's schema is required (minOccurs = 1) */
    ENSURE(k_top[ntop] == NULL, EVOTE_ERR_PROTINFO, "protInfo.xml: <%s> is missing",
           k_top[ntop]);
#define V(tag) values[tag_index(k_top, tag)]
    ENSURE(strcmp(V("version"), VMN_VERSION) == 0, EVOTE_ERR_PROTINFO,
           "protInfo.xml: version %.32s is not supported (only " VMN_VERSION ")",
           V("version"));
    snprintf(p->version, sizeof(p->version), "%s", V("version"));
    ENSURE(sid_ok(V("sid")), EVOTE_ERR_PROTINFO,
           "protInfo.xml: <sid> does not match [A-Za-z][A-Za-z0-9]{1,1023}");
    snprintf(p->sid, sizeof(p->sid), "%s", V("sid"));
    ENSURE(strcmp(V("pgroup"), VMN_PGROUP) == 0, EVOTE_ERR_PROTINFO,
           "protInfo.xml: group is not supported (only ECqPGroup(P-256))");
    ENSURE(strcmp(V("prg"), "SHA-256") == 0, EVOTE_ERR_PROTINFO,
           "protInfo.xml: prg %.32s is not supported (only SHA-256)", V("prg"));
    ENSURE(strcmp(V("rohash"), "SHA-256") == 0, EVOTE_ERR_PROTINFO,
           "protInfo.xml: rohash %.32s is not supported (only SHA-256)", V("rohash"));
    ENSURE(strcmp(V("corr"), "noninteractive") == 0,
           EVOTE_ERR_PROTINFO, "protInfo.xml: only non-interactive proofs are supported");
    GUARD(parse_u32("statdist", V("statdist"), 0, 256, &p->statdist));
    GUARD(parse_u32("vbitlenro", V("vbitlenro"), 1, 256, &p->vbitlenro));
    GUARD(parse_u32("ebitlenro", V("ebitlenro"), 1, 256, &p->ebitlenro));
    GUARD(parse_u32("nopart", V("nopart"), 1, 25, &p->nopart));
    GUARD(parse_u32("thres", V("thres"), 1, p->nopart, &p->thres));
    GUARD(parse_u32("width", V("width"), 1, 1, &p->width));
    GUARD(parse_u32("keywidth", V("keywidth"), 1, 1, &p->keywidth));
    ENSURE(nparty == p->nopart, EVOTE_ERR_PROTINFO,
           "protInfo.xml: %u <party> elements but nopart is %u", nparty, p->nopart);
#undef V
    *out = p;
    p = NULL;
out:
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        free(values[i]);
    free(p);
    return ret;
}

evote_err_t evote_mix_params_read(evote_mix_params_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "protInfo: bad argument");
    *out = NULL;
    GUARD(evote_read_file(path, PROTINFO_MAX, &data, &len));
    ret = evote_mix_params_parse(out, data, len);
out:
    free(data);
    return ret;
}

evote_err_t evote_mix_sid(char out[EVOTE_MIX_SID_MAX + 1], const char *election_id,
                          const char *contest_id) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    uint8_t d[32];
    ENSURE(out != NULL && election_id != NULL && contest_id != NULL, EVOTE_ERR_ARG,
           "mix sid: bad argument");
    GUARD(evote_hash_new(&h, "libevote/v1/mix-sid"));
    GUARD(evote_hash_field(h, election_id, strlen(election_id)));
    GUARD(evote_hash_field(h, contest_id, strlen(contest_id)));
    ret = evote_hash_final(h, d);
    h = NULL;
    GUARD(ret);
    out[0] = 'E';
    evote_hex(out + 1, d, 32);
out:
    evote_hash_free(h);
    return ret;
}

evote_err_t evote_mix_params_new(evote_mix_params_t **out, const char *election_id,
                                 const char *contest_id, unsigned nparties) {
    evote_err_t ret = EVOTE_OK;
    evote_mix_params_t *p = NULL;
    ENSURE(out != NULL && nparties >= 1 && nparties <= 25, EVOTE_ERR_ARG,
           "mix params: bad argument (1 to 25 parties)");
    *out = NULL;
    ALLOC_GUARD(p = calloc(1, sizeof(*p)));
    GUARD(evote_mix_sid(p->sid, election_id, contest_id));
    snprintf(p->version, sizeof(p->version), VMN_VERSION);
    p->statdist = 100;
    p->vbitlenro = 256;
    p->ebitlenro = 256;
    p->nopart = nparties;
    p->thres = 1;
    p->width = p->keywidth = 1;
    *out = p;
    p = NULL;
out:
    free(p);
    return ret;
}

evote_err_t evote_mix_params_write(const evote_mix_params_t *p, const char *path) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    char line[2048];
    ENSURE(p != NULL && path != NULL, EVOTE_ERR_ARG, "protInfo write: bad argument");
#define PUT(...)                                                                   \
    do {                                                                           \
        int n_ = snprintf(line, sizeof(line), __VA_ARGS__);                        \
        ENSURE(n_ > 0 && (size_t)n_ < sizeof(line), EVOTE_ERR_INTERNAL, "protInfo line"); \
        GUARD(evote_buf_append(&b, line, (size_t)n_));                             \
    } while (0)
    PUT("<!-- Protocol information for a libevote mix chain (docs/PROTOCOL.md 14).\n"
        "     Parameters as in Verificatum VMN " VMN_VERSION ". -->\n\n<protocol>\n");
    PUT("   <version>%s</version>\n", p->version);
    PUT("   <sid>%s</sid>\n", p->sid);
    PUT("   <name>libevote mix</name>\n   <descr></descr>\n");
    PUT("   <nopart>%u</nopart>\n", p->nopart);
    PUT("   <statdist>%u</statdist>\n", p->statdist);
    PUT("   <bullboard>com.verificatum.protocol.com.BullBoardBasicHTTPW</bullboard>\n");
    PUT("   <thres>%u</thres>\n", p->thres);
    PUT("   <pgroup>%s</pgroup>\n", VMN_PGROUP);
    PUT("   <keywidth>%u</keywidth>\n", p->keywidth);
    PUT("   <vbitlen>128</vbitlen>\n   <vbitlenro>%u</vbitlenro>\n", p->vbitlenro);
    PUT("   <ebitlen>128</ebitlen>\n   <ebitlenro>%u</ebitlenro>\n", p->ebitlenro);
    PUT("   <prg>SHA-256</prg>\n   <rohash>SHA-256</rohash>\n");
    PUT("   <corr>noninteractive</corr>\n   <width>%u</width>\n   <maxciph>0</maxciph>\n",
        p->width);
    for (unsigned i = 1; i <= p->nopart; i++)
        PUT("   <party>\n      <name>Party%02u</name>\n      <srtbyrole>anyrole</srtbyrole>\n"
            "      <descr></descr>\n      <pkey></pkey>\n"
            "      <http>http://127.0.0.1:%u</http>\n      <hint>127.0.0.1:%u</hint>\n"
            "   </party>\n",
            i, 8040 + i, 4040 + i);
    PUT("</protocol>\n");
#undef PUT
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, false));
out:
    evote_buf_free(&b);
    return ret;
}

const char *evote_mix_params_sid(const evote_mix_params_t *p) {
    return p != NULL ? p->sid : NULL;
}

void evote_mix_params_free(evote_mix_params_t *p) {
    free(p);
}

/* ---- global prefix ----------------------------------------------------- */

evote_err_t evote_mix_global_prefix(const evote_mix_params_t *p, const char *auxsid,
                                    uint8_t rho[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    char rosid[EVOTE_MIX_SID_MAX * 2 + 2];
    uint8_t u[4];
    ENSURE(p != NULL && auxsid != NULL && rho != NULL, EVOTE_ERR_ARG,
           "global prefix: bad argument");
    ENSURE(sid_ok(auxsid), EVOTE_ERR_FORMAT,
           "auxsid does not match [A-Za-z][A-Za-z0-9]{1,1023}");
    snprintf(rosid, sizeof(rosid), "%s.%s", p->sid, auxsid);
    GUARD(evote_bt_put_node(&b, 8));
    GUARD(evote_bt_put_leaf(&b, p->version, (uint32_t)strlen(p->version)));
    GUARD(evote_bt_put_leaf(&b, rosid, (uint32_t)strlen(rosid)));
    evote_put_u32be(u, p->statdist);
    GUARD(evote_bt_put_leaf(&b, u, 4));
    evote_put_u32be(u, p->vbitlenro);
    GUARD(evote_bt_put_leaf(&b, u, 4));
    evote_put_u32be(u, p->ebitlenro);
    GUARD(evote_bt_put_leaf(&b, u, 4));
    GUARD(evote_bt_put_leaf(&b, "SHA-256", 7));
    GUARD(evote_bt_put_leaf(&b, VMN_PGROUP, (uint32_t)strlen(VMN_PGROUP)));
    GUARD(evote_bt_put_leaf(&b, "SHA-256", 7));
    GUARD(evote_sha256(b.data, b.len, rho));
out:
    evote_buf_free(&b);
    return ret;
}

/* ---- independent generators --------------------------------------------- */

struct gen_job {
    const uint8_t *cand; /* ncand candidates of clen bytes */
    size_t clen;
    mix_pt *pt;   /* per candidate */
    uint8_t *ok;  /* per candidate */
    BN_CTX **bn;  /* per thread */
};

static evote_err_t gen_range(void *arg, size_t start, size_t end, unsigned t) {
    struct gen_job *j = arg;
    evote_err_t ret = EVOTE_OK;
    BN_CTX *bn = j->bn[t];
    BIGNUM *x, *p;

    BN_CTX_start(bn);
    x = BN_CTX_get(bn);
    p = BN_CTX_get(bn);
    ALLOC_GUARD(p);
    OSSL_GUARD(EC_GROUP_get_curve(evote_ec_group(), p, NULL, NULL, bn));
    for (size_t i = start; i < end; i++) {
        fe fx, fy;
        j->ok[i] = 0;
        ALLOC_GUARD(BN_bin2bn(j->cand + i * j->clen, (int)j->clen, x));
        OSSL_GUARD(BN_nnmod(x, x, p, bn));
        ENSURE(BN_bn2binpad(x, j->pt[i].x, 32) == 32, EVOTE_ERR_INTERNAL, "generator x");
        /* one exponentiation decides squareness and gives the root */
        fe_from_bytes(&fx, j->pt[i].x);
        if (!fe_curve_y(&fy, &fx))
            continue;
        fe_to_bytes(j->pt[i].y, &fy);
        j->ok[i] = 1;
    }
out:
    BN_CTX_end(bn);
    return ret;
}

/*
 * The generators as a stream (docs/PROTOCOL.md §14.5): candidates are
 * consumed strictly in PRG order and the first n valid ones kept, so
 * taking them chunk by chunk gives the same points as taking them at once.
 * Batching is only for threads (VMN does the same); a batch's valid
 * candidates beyond the chunk asked for wait in the batch for the next
 * call.
 */
evote_err_t mix_gens_init(mix_gens *g, const uint8_t rho[32], uint32_t statdist, size_t n,
                          unsigned threads) {
    evote_err_t ret = EVOTE_OK;
    mix_ro ro = {0};
    uint8_t seed[32];
    memset(g, 0, sizeof(*g));
    g->prg.md = NULL;
    g->bits = 256 + statdist;
    g->clen = (g->bits + 7) / 8;
    g->left = n;
    g->batch = n < 4096 ? 2 * n + 16 : 8192;
    g->threads = mix_threads(threads);
    GUARD(mix_ro_begin(&ro, 256, rho));
    GUARD(mix_ro_leaf(&ro, "generators", 10));
    GUARD(mix_ro_final(&ro, seed));
    mix_prg_init(&g->prg, seed);
    ALLOC_GUARD(g->cand = malloc(g->batch * g->clen));
    ALLOC_GUARD(g->ok = malloc(g->batch));
    ALLOC_GUARD(g->pts = malloc(g->batch * sizeof(*g->pts)));
    for (unsigned t = 0; t < g->threads; t++)
        ALLOC_GUARD(g->bn[t] = BN_CTX_new());
out:
    mix_ro_abort(&ro);
    if (ret != EVOTE_OK)
        mix_gens_free(g);
    return ret;
}

evote_err_t mix_gens_next(mix_gens *g, mix_pt *h, size_t n) {
    evote_err_t ret = EVOTE_OK;
    size_t got = 0;
    ENSURE(n <= g->left, EVOTE_ERR_INTERNAL, "generators: %zu asked, %zu left", n, g->left);
    while (got < n) {
        if (g->pos == g->m) {
            /* about half the candidates are valid: ask for a little over
             * twice what is still missing, so the last batch is not a
             * full one */
            size_t m = 2 * g->left + 64 < g->batch ? 2 * g->left + 64 : g->batch;
            struct gen_job job = {g->cand, g->clen, g->pts, g->ok, g->bn};
            GUARD(mix_prg_bytes(&g->prg, g->cand, m * g->clen));
            for (size_t i = 0; i < m; i++)
                if (g->bits % 8 != 0)
                    g->cand[i * g->clen] &= (uint8_t)(0xff >> (8 - g->bits % 8));
            GUARD(mix_parallel(m, g->threads, gen_range, &job));
            g->pos = 0;
            g->m = m;
        }
        for (; g->pos < g->m && got < n; g->pos++)
            if (g->ok[g->pos]) {
                h[got++] = g->pts[g->pos];
                g->left--;
            }
    }
out:
    return ret;
}

void mix_gens_free(mix_gens *g) {
    if (g == NULL)
        return;
    mix_prg_free(&g->prg);
    for (unsigned t = 0; t < 64; t++) {
        BN_CTX_free(g->bn[t]);
        g->bn[t] = NULL;
    }
    free(g->cand);
    free(g->ok);
    free(g->pts);
    g->cand = g->ok = NULL;
    g->pts = NULL;
}

evote_err_t mix_generators(const uint8_t rho[32], uint32_t statdist, mix_pt *h, size_t n,
                           unsigned threads) {
    evote_err_t ret = EVOTE_OK;
    mix_gens g;
    GUARD(mix_gens_init(&g, rho, statdist, n, threads));
    ret = mix_gens_next(&g, h, n);
    mix_gens_free(&g);
out:
    return ret;
}

evote_err_t evote_mix_generators(const evote_mix_params_t *p, const uint8_t rho[32],
                                 size_t n, uint8_t (*out)[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    mix_pt *h = NULL;
    ENSURE(p != NULL && rho != NULL && out != NULL && n > 0, EVOTE_ERR_ARG,
           "generators: bad argument");
    ALLOC_GUARD(h = malloc(n * sizeof(*h)));
    GUARD(mix_generators(rho, p->statdist, h, n, 0));
    for (size_t i = 0; i < n; i++)
        GUARD(mix_pt_to_compressed(out[i], &h[i]));
out:
    free(h);
    return ret;
}
