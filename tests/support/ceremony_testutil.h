/* Test helpers for the ceremony suites: software "tokens" and ElGamal. */
#ifndef EVOTE_CEREMONY_TESTUTIL_H
#define EVOTE_CEREMONY_TESTUTIL_H

#include <stdatomic.h>

#include <openssl/bn.h>

#include "evote/evote.h"

/* A software stand-in for a trustee's token: x(key·P), counting calls. */
typedef struct {
    BIGNUM *key;
    uint8_t pk[EVOTE_POINT_LEN];
    atomic_size_t calls;
    evote_err_t fail_with; /* if set, every derive fails with it */
} evt_softkey_t;

void evt_softkey_init(evt_softkey_t *k);
void evt_softkey_clear(evt_softkey_t *k);
evote_err_t evt_softkey_derive(void *ctx, const uint8_t point[EVOTE_POINT_LEN],
                               uint8_t x_out[32]);

/* Sum of public keys (test-side arithmetic). */
void evt_point_add(uint8_t out[EVOTE_POINT_LEN], const uint8_t a[EVOTE_POINT_LEN],
                   const uint8_t b[EVOTE_POINT_LEN]);

/* ElGamal-encrypt selection under pk into ct (fresh r). */
void evt_encrypt(evote_ct_t *ct, const uint8_t pk[EVOTE_POINT_LEN], uint32_t sel);
/* A ciphertext whose C2 is a random point: decrypts to no selection. */
void evt_encrypt_garbage(evote_ct_t *ct, const uint8_t pk[EVOTE_POINT_LEN]);

#endif
