/*
 * Fuzz the key-ceremony and decryption file readers, which take only
 * paths (the input goes through a memfd): trustee commitment, trustee key
 * share, keygen record, partial decryption, decryption (plaintext list
 * with selections), and the election public key PEM.
 *
 * Input: byte 0 selects the reader, the rest is the file. The seed corpus
 * is made for the fixed manifest (docs/examples/manifest.json).
 */
#include <string.h>

#include "fuzz_common.h"

static void partial(const char *path) {
    evote_partial_t *p = NULL;
    if (evote_partial_read(&p, path) != EVOTE_OK) {
        FUZZ_CHECK(p == NULL);
        return;
    }
    FUZZ_CHECK(evote_manifest_id_valid(evote_partial_trustee(p)));
    FUZZ_CHECK(evote_manifest_id_valid(evote_partial_contest(p)));
    FUZZ_CHECK(evote_point_check(evote_partial_pk(p)) == EVOTE_OK);
    FUZZ_IGNORE(evote_partial_list_hash(p));
    FUZZ_IGNORE(evote_partial_manifest_hash(p));
    size_t n = evote_partial_count(p);
    for (size_t j = 0; j < n; j++)
        FUZZ_CHECK(evote_point_check(evote_partial_part(p, j)) == EVOTE_OK);
    evote_partial_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    const evote_manifest_t *m = fuzz_manifest();
    const uint8_t *mh = evote_manifest_hash(m);
    char path[64];
    int fd = fuzz_file_open(data + 1, size - 1, path);
    char id[EVOTE_ID_MAX + 1];
    uint8_t h[EVOTE_HASH_LEN], pk[EVOTE_POINT_LEN];

    switch (data[0] % 6) {
    case 0:
        if (evote_trustee_commitment_read(path, mh, id, h) == EVOTE_OK)
            FUZZ_CHECK(evote_manifest_id_valid(id));
        break;
    case 1:
        if (evote_trustee_key_read(path, mh, id, pk) == EVOTE_OK) {
            FUZZ_CHECK(evote_manifest_id_valid(id));
            FUZZ_CHECK(evote_point_check(pk) == EVOTE_OK);
        }
        break;
    case 2: {
        evote_trustee_share_t *shares = NULL;
        size_t n = 0;
        if (evote_trustee_record_read(path, mh, &shares, &n, pk) == EVOTE_OK) {
            FUZZ_CHECK(evote_point_check(pk) == EVOTE_OK);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(evote_point_check(shares[i].pk) == EVOTE_OK);
            free(shares);
        } else {
            FUZZ_CHECK(shares == NULL);
        }
        break;
    }
    case 3:
        partial(path);
        break;
    case 4: {
        evote_decryption_t d;
        memset(&d, 0, sizeof(d));
        if (evote_decryption_read(&d, path, m) == EVOTE_OK) {
            for (size_t j = 0; j < d.n; j++)
                if (d.selection[j] != EVOTE_SELECTION_INVALID)
                    FUZZ_CHECK(evote_point_check(d.plaintext[j]) == EVOTE_OK);
        }
        evote_decryption_clear(&d);
        break;
    }
    default:
        if (evote_pubkey_read_pem(path, pk) == EVOTE_OK)
            FUZZ_CHECK(evote_point_check(pk) == EVOTE_OK);
        break;
    }
    fuzz_file_close(fd);
    return 0;
}
