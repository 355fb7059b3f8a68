/*
 * libevote — P-256 group elements and domain-separated hashing (public part).
 *
 * Points travel as SEC1 compressed encodings (33 bytes: 0x02/0x03 ‖ x),
 * scalars as 32-byte big-endian integers below the group order n.
 * Every decode validates: on the curve, not the point at infinity.
 * All functions here are thread-safe.
 */
#ifndef EVOTE_GROUP_H
#define EVOTE_GROUP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_POINT_LEN 33  /* SEC1 compressed P-256 point */
#define EVOTE_SCALAR_LEN 32 /* big-endian scalar mod n */
#define EVOTE_HASH_LEN 32   /* SHA-256 */

/*
 * Check that p is the SEC1 compressed encoding of a P-256 point that is not
 * the point at infinity. Returns EVOTE_OK, EVOTE_ERR_POINT_INVALID (bad
 * prefix), EVOTE_ERR_POINT_NOT_ON_CURVE or EVOTE_ERR_POINT_INFINITY.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_point_check(const uint8_t p[EVOTE_POINT_LEN]);

/*
 * Domain-separated SHA-256 (docs/PROTOCOL.md, "Hashing"):
 *   SHA-256( u32be(len(tag)) ‖ tag ‖ Σ ( u32be(len(f_i)) ‖ f_i ) )
 * with tag "libevote/v1/<purpose>". Incremental; the context holds no
 * secret unless the caller feeds one (then call evote_hash_free).
 */
typedef struct evote_hash evote_hash_t;

EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hash_new(evote_hash_t **out, const char *tag);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hash_field(evote_hash_t *h, const void *data, size_t len);
/* Finish into out (32 bytes) and free the context in all cases. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hash_final(evote_hash_t *h, uint8_t out[EVOTE_HASH_LEN]);
EVOTE_API void evote_hash_free(evote_hash_t *h);

/* Plain SHA-256 of a buffer / of the exact bytes of a file. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_sha256(const void *data, size_t len, uint8_t out[EVOTE_HASH_LEN]);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_sha256_file(const char *path, uint8_t out[EVOTE_HASH_LEN]);


/*
 * Election public key files: PEM SubjectPublicKeyInfo of a P-256 key
 * (what `openssl pkey -pubin` reads). Write is atomic; read validates the
 * curve and the point and returns the 33-byte compressed form.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_pubkey_write_pem(const char *path, const uint8_t pk[EVOTE_POINT_LEN]);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_pubkey_read_pem(const char *path, uint8_t pk[EVOTE_POINT_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_GROUP_H */
