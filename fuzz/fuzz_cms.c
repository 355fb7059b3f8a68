/*
 * Fuzz CMS SignedData verification (evote_cms_verify), the first thing the
 * receiver does with a signed ballot, attached and detached, against a
 * verifier with the test CA (tests/vectors/audit/ca.pem) and a CRL-free
 * configuration. Seeds: the audit vector's signatures with their bodies. On success, the receiver's next steps run on the result:
 * the roll identities of the signer and the ballot decode of the content.
 *
 * The receiver itself (evote_receiver_receive) needs a store and is not
 * called here; everything it does before touching the store is.
 */
#include <string.h>

#include "fuzz_common.h"

#ifndef EVOTE_FUZZ_CA
#error "EVOTE_FUZZ_CA must name a PEM CA file"
#endif

static evote_cms_verifier_t *g_v, *g_empty;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (evote_cms_verifier_new(&g_v) != EVOTE_OK ||
        evote_cms_verifier_add_ca_file(g_v, EVOTE_FUZZ_CA) != EVOTE_OK ||
        evote_cms_verifier_new(&g_empty) != EVOTE_OK)
        abort();
    return 0;
}

static void check_result(evote_err_t e, const evote_cms_result_t *res) {
    if (e != EVOTE_OK) {
        static const evote_cms_result_t zero;
        FUZZ_CHECK(memcmp(res, &zero, sizeof(zero)) == 0);
        return;
    }
    FUZZ_CHECK(res->cert_der != NULL && res->cert_der_len > 0);
    uint8_t h[EVOTE_HASH_LEN];
    FUZZ_CHECK(evote_sha256(res->cert_der, res->cert_der_len, h) == EVOTE_OK);
    FUZZ_CHECK(memcmp(h, res->cert_sha256, sizeof(h)) == 0);
    FUZZ_CHECK(memchr(res->issuer, 0, sizeof(res->issuer)) != NULL);
    FUZZ_CHECK(memchr(res->serial_hex, 0, sizeof(res->serial_hex)) != NULL);
    uint8_t k1[EVOTE_HASH_LEN], k2[EVOTE_HASH_LEN];
    FUZZ_IGNORE(evote_roll_cert_keys(res, k1, k2));
    evote_ballot_t b;
    FUZZ_IGNORE(evote_ballot_decode(&b, res->content, res->content_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Layout: u16be(len) ‖ detached content[len] ‖ DER; len 0 = attached. */
    if (size < 2)
        return 0;
    size_t clen = ((size_t)data[0] << 8) | data[1];
    if (clen > size - 2)
        clen = size - 2;
    const uint8_t *content = clen ? data + 2 : NULL;
    const uint8_t *der = data + 2 + clen;
    size_t der_len = size - 2 - clen;
    /* Just after the test certificates were issued (2026-11-23). */
    const int64_t at = 1795453200;
    evote_cms_result_t res;
    evote_err_t e = evote_cms_verify(g_v, der, der_len, content, clen, at, &res);
    check_result(e, &res);
    evote_cms_result_clear(&res);
    /* The whole input as one DER message. */
    e = evote_cms_verify(g_v, data, size, NULL, 0, at, &res);
    check_result(e, &res);
    evote_cms_result_clear(&res);
    /* No CA: nothing may verify. */
    FUZZ_CHECK(evote_cms_verify(g_empty, der, der_len, content, clen, at, NULL) != EVOTE_OK);
    return 0;
}
