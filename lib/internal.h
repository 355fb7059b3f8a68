/*
 * libevote — internal helpers shared by the modules in lib/.
 * Not installed; tests may include it to reach internals.
 */
#ifndef EVOTE_INTERNAL_H
#define EVOTE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "evote/common.h"
#include "evote/group.h"

/* ---- errors ----------------------------------------------------------- */

/* Set the thread's error detail (printf-style) and return err. */
evote_err_t evote_fail(evote_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, appending the first OpenSSL error queue entry to the detail. */
evote_err_t evote_fail_ossl(evote_err_t err, const char *what);

/*
 * Guard macros: the early exit is the normal path. They assume a local
 * `evote_err_t ret` and a cleanup label `out`.
 */
#define GUARD(expr)                                                            \
    do {                                                                       \
        evote_err_t guard_rv_ = (expr);                                        \
        if (guard_rv_ != EVOTE_OK) {                                           \
            ret = guard_rv_;                                                   \
            goto out;                                                          \
        }                                                                      \
    } while (0)

/* OpenSSL calls that return 1 on success. */
#define OSSL_GUARD(expr)                                                       \
    do {                                                                       \
        if ((expr) != 1) {                                                     \
            ret = evote_fail_ossl(EVOTE_ERR_CRYPTO, #expr);                    \
            goto out;                                                          \
        }                                                                      \
    } while (0)

/* Pointers that must not be NULL after an allocation. */
#define ALLOC_GUARD(ptr)                                                       \
    do {                                                                       \
        if ((ptr) == NULL) {                                                   \
            ret = evote_fail(EVOTE_ERR_NOMEM, "out of memory at %s:%d",        \
                             __FILE__, __LINE__);                              \
            goto out;                                                          \
        }                                                                      \
    } while (0)

#define ENSURE(cond, err, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            ret = evote_fail((err), __VA_ARGS__);                              \
            goto out;                                                          \
        }                                                                      \
    } while (0)

/* ---- P-256 ------------------------------------------------------------ */

/* The shared, immutable P-256 group (created once, thread-safe). */
const EC_GROUP *evote_ec_group(void);
/* Group order n (borrowed, immutable). */
const BIGNUM *evote_ec_order(void);

/*
 * Decode a 33-byte SEC1 compressed point into out (allocated by caller)
 * with full validation: prefix 02/03, x < p, on the curve, not infinity.
 */
evote_err_t evote_ec_decode(EC_POINT *out, const uint8_t in[EVOTE_POINT_LEN],
                            BN_CTX *bn);
/* Encode a point as 33 bytes; fails on the point at infinity. */
evote_err_t evote_ec_encode(uint8_t out[EVOTE_POINT_LEN], const EC_POINT *p,
                            BN_CTX *bn);
/* Encode as 65-byte uncompressed SEC1 (04 ‖ x ‖ y), for PKCS#11. */
evote_err_t evote_ec_encode_uncompressed(uint8_t out[65], const EC_POINT *p,
                                         BN_CTX *bn);

/* Decode a 32-byte big-endian scalar; refuses values >= n (and 0 if !allow0). */
evote_err_t evote_scalar_decode(BIGNUM *out, const uint8_t in[EVOTE_SCALAR_LEN],
                                bool allow_zero);
evote_err_t evote_scalar_encode(uint8_t out[EVOTE_SCALAR_LEN], const BIGNUM *s);
/* Uniform secret scalar in [1, n-1] from OpenSSL's DRBG (BN_priv_rand_range). */
evote_err_t evote_scalar_random(BIGNUM *out);
/* Reduce a 32-byte hash modulo n (challenge derivation). */
evote_err_t evote_scalar_from_hash(BIGNUM *out, const uint8_t h[EVOTE_HASH_LEN],
                                   BN_CTX *bn);

/* ---- bytes and files -------------------------------------------------- */

static inline void evote_put_u32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t evote_get_u32be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void evote_put_u64be(uint8_t *p, uint64_t v) {
    evote_put_u32be(p, (uint32_t)(v >> 32));
    evote_put_u32be(p + 4, (uint32_t)v);
}
static inline uint64_t evote_get_u64be(const uint8_t *p) {
    return ((uint64_t)evote_get_u32be(p) << 32) | evote_get_u32be(p + 4);
}

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void evote_hex(char *out, const uint8_t *in, size_t len);
/* Parse exactly 2*len hex digits; EVOTE_ERR_FORMAT otherwise. */
evote_err_t evote_unhex(uint8_t *out, size_t len, const char *hex);

/*
 * Read a whole file (at most max bytes, else EVOTE_ERR_TOO_LARGE) into a
 * fresh buffer the caller frees. A NUL is appended (not counted in *len).
 */
evote_err_t evote_read_file(const char *path, size_t max, uint8_t **out,
                            size_t *len);
/*
 * Write data to path atomically: temporary file in the same directory,
 * fsync, rename, fsync of the directory. Mode 0644 (0600 if private).
 * If exclusive and path exists, fails with EVOTE_ERR_EXISTS.
 */
evote_err_t evote_write_file_atomic(const char *path, const void *data,
                                    size_t len, bool exclusive, bool private_);

/*
 * The same, written as a stream: open creates the temporary file, write
 * appends, commit does the fsync/rename/fsync and frees; abort (also on
 * NULL) removes the temporary file and frees. Nothing appears at path
 * unless commit succeeds. commit frees f even when it fails.
 */
typedef struct evote_afile evote_afile_t;
evote_err_t evote_afile_open(evote_afile_t **f, const char *path, bool exclusive,
                             bool private_);
evote_err_t evote_afile_write(evote_afile_t *f, const void *data, size_t len);
/* Write at an offset of the temporary file (files of a known layout);
 * evote_afile_write appends after what it wrote before, not after this. */
evote_err_t evote_afile_pwrite(evote_afile_t *f, const void *data, size_t len,
                               uint64_t off);
/* The temporary file's descriptor, open for reading and writing until
 * commit or abort (to read back what was written). */
int evote_afile_fd(const evote_afile_t *f);
evote_err_t evote_afile_commit(evote_afile_t *f);
void evote_afile_abort(evote_afile_t *f);

#endif /* EVOTE_INTERNAL_H */
