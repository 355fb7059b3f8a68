/*
 * libevote — common definitions: export macro, error codes, wiping.
 *
 * Every fallible function in libevote returns evote_err_t (EVOTE_OK == 0).
 * Codes and their messages live in one table (lib/error.c); the detail of the
 * last failure on the calling thread (a PKCS#11 CK_RV, an OpenSSL error, the
 * index of a bad ballot, the file and check that failed) is kept in a
 * thread-local buffer readable with evote_err_detail().
 */
#ifndef EVOTE_COMMON_H
#define EVOTE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(EVOTE_BUILDING_LIBRARY) && defined(__GNUC__)
#define EVOTE_API __attribute__((visibility("default")))
#else
#define EVOTE_API
#endif

#if defined(__GNUC__)
#define EVOTE_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define EVOTE_WARN_UNUSED
#endif

/* Version of the byte formats in docs/PROTOCOL.md that this build speaks. */
#define EVOTE_PROTOCOL_VERSION 1

/*
 * Error codes. Values are stable once released: append, never renumber.
 * Each block belongs to one module; a block's first value is fixed so
 * modules can grow without touching each other.
 */
typedef enum {
    EVOTE_OK = 0,

    /* generic 1..49 */
    EVOTE_ERR_ARG = 1,          /* invalid argument (NULL, bad length) */
    EVOTE_ERR_NOMEM = 2,        /* allocation failed */
    EVOTE_ERR_IO = 3,           /* file could not be read or written */
    EVOTE_ERR_CRYPTO = 4,       /* OpenSSL call failed unexpectedly */
    EVOTE_ERR_FORMAT = 5,       /* input is not well formed */
    EVOTE_ERR_TOO_LARGE = 6,    /* input is larger than allowed */
    EVOTE_ERR_TRUNCATED = 7,    /* input ends early */
    EVOTE_ERR_VERSION = 8,      /* unsupported format version */
    EVOTE_ERR_RANDOM = 9,       /* random generator failed */
    EVOTE_ERR_EXISTS = 10,      /* refusing to overwrite an existing artefact */
    EVOTE_ERR_NOT_FOUND = 11,   /* a named thing does not exist */
    EVOTE_ERR_STATE = 12,       /* operation not allowed in the current state */
    EVOTE_ERR_INTERNAL = 13,    /* invariant violated: a bug */
    EVOTE_ERR_THREAD = 14,      /* thread creation or join failed */

    /* group, encoding, hashing 50..99 */
    EVOTE_ERR_POINT_INVALID = 50,    /* not a valid SEC1 compressed point */
    EVOTE_ERR_POINT_NOT_ON_CURVE = 51,
    EVOTE_ERR_POINT_INFINITY = 52,   /* the point at infinity is never valid */
    EVOTE_ERR_SCALAR_RANGE = 53,     /* scalar is zero or not below the order */
    EVOTE_ERR_SELECTION_RANGE = 54,  /* selection index outside the contest */
    EVOTE_ERR_NOT_A_SELECTION = 55,  /* point does not decode to a selection */

    /* manifest 100..149 */
    EVOTE_ERR_MANIFEST = 100,        /* manifest is invalid (detail says why) */
    EVOTE_ERR_CONTEST_UNKNOWN = 101, /* contest id not in the manifest */
    EVOTE_ERR_MANIFEST_MISMATCH = 102, /* artefact names another manifest */

    /* ballots and proofs 150..199 */
    EVOTE_ERR_BALLOT_FORMAT = 150,   /* ballot bytes malformed */
    EVOTE_ERR_PROOF_INVALID = 151,   /* proof of knowledge does not verify */
    EVOTE_ERR_KEY_MISMATCH = 152,    /* artefact names another public key */

    /* PKCS#11 / HSM 200..249 */
    EVOTE_ERR_MODULE_LOAD = 200,     /* PKCS#11 module could not be loaded */
    EVOTE_ERR_TOKEN_NOT_FOUND = 201, /* no token with that label */
    EVOTE_ERR_PIN_INCORRECT = 202,
    EVOTE_ERR_PIN_LOCKED = 203,
    EVOTE_ERR_KEY_NOT_FOUND = 204,   /* no key with that label on the token */
    EVOTE_ERR_KEY_EXISTS = 205,      /* a key with that label already exists */
    EVOTE_ERR_PKCS11 = 206,          /* other PKCS#11 failure (detail: CK_RV) */
    EVOTE_ERR_NOT_LOGGED_IN = 207,
    EVOTE_ERR_KEY_POLICY = 208,      /* key attributes violate the policy */
    EVOTE_ERR_TOKEN_REMOVED = 209,   /* token or session went away */
    EVOTE_ERR_PIN_SOURCE = 210,      /* no PIN could be read */

    /* signatures, certificates, voter roll, reception 250..349 */
    EVOTE_ERR_CMS_FORMAT = 250,      /* not well-formed DER/CMS */
    EVOTE_ERR_SIGNATURE = 251,       /* signature does not verify */
    EVOTE_ERR_CERT_CHAIN = 252,      /* certificate does not chain to a CA */
    EVOTE_ERR_CERT_EXPIRED = 253,
    EVOTE_ERR_CERT_NOT_YET_VALID = 254,
    EVOTE_ERR_CERT_REVOKED = 255,
    EVOTE_ERR_WRONG_ELECTION = 256,
    EVOTE_ERR_OUTSIDE_WINDOW = 257,  /* outside the voting window */
    EVOTE_ERR_NOT_IN_ROLL = 258,
    EVOTE_ERR_NOT_ELIGIBLE = 259,    /* voter may not vote in this contest */
    EVOTE_ERR_ALREADY_VOTED = 260,
    EVOTE_ERR_REPLAY = 261,          /* C1 already seen */
    EVOTE_ERR_ROLL_CONFLICT = 262,   /* conflicting roll entries */
    EVOTE_ERR_STORE = 263,           /* storage backend failure */
    EVOTE_ERR_BOX_NOT_OPEN = 264,
    EVOTE_ERR_BOX_CLOSED = 265,
    EVOTE_ERR_BOX_NOT_EMPTY = 266,

    /* transparency log, bundles 350..399 */
    EVOTE_ERR_PROOF_MERKLE = 350,    /* inclusion/consistency proof fails */
    EVOTE_ERR_BUNDLE = 351,          /* bundle check failed (detail: file) */
    EVOTE_ERR_DIGEST_MISMATCH = 352, /* a file or program digest differs */
    EVOTE_ERR_POLICY = 353,          /* not enough approvals / signatures */

    /* mix-net 400..449 */
    EVOTE_ERR_SHUFFLE_PROOF = 400,   /* proof of shuffle does not verify */
    EVOTE_ERR_BYTETREE = 401,        /* byte tree malformed */
    EVOTE_ERR_PROTINFO = 402,        /* protInfo.xml malformed/unsupported */

    /* audit, decryption ceremony 450..499 */
    EVOTE_ERR_AUDIT_CHAIN = 450,     /* audit log chain broken (detail: seq) */
    EVOTE_ERR_COMMITMENT = 451,      /* key does not match its commitment */
    EVOTE_ERR_NOT_MIX_OUTPUT = 452,  /* list is not a verified mix output */
    EVOTE_ERR_CONFIRM_FAILED = 453,  /* observer confirmation failed */
    EVOTE_ERR_CHECKPOINT = 454,      /* checkpoint unusable */
} evote_err_t;

/* Static English message for a code; never NULL (unknown codes too). */
EVOTE_API const char *evote_strerror(evote_err_t err);

/* Symbolic name of a code, e.g. "EVOTE_ERR_PIN_INCORRECT"; never NULL. */
EVOTE_API const char *evote_err_name(evote_err_t err);

/*
 * Detail of the last failure on this thread ("" if none). The pointer stays
 * valid until the next libevote call on the same thread. Thread-safe.
 */
EVOTE_API const char *evote_err_detail(void);

/* Forget the detail of the last failure on this thread. */
EVOTE_API void evote_err_clear(void);

/* Overwrite len bytes at p with zeros in a way the compiler keeps. */
EVOTE_API void evote_wipe(void *p, size_t len);

/* Library version string, e.g. "0.1.0". */
EVOTE_API const char *evote_version(void);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_COMMON_H */
