/*
 * A voting client's core, as an integrator links it:
 *   cc encrypt_ballot.c $(pkg-config --cflags --libs libevote)
 * Encrypts one selection for one contest and prints the ballot in hex.
 * usage: encrypt_ballot MANIFEST PUBKEY.pem CONTEST SELECTION
 */
#include <stdio.h>
#include <stdlib.h>

#include <evote/evote.h>

int main(int argc, char **argv) {
    evote_manifest_t *m = NULL;
    uint8_t pk[EVOTE_POINT_LEN], buf[EVOTE_BALLOT_MAX];
    evote_ballot_t b;
    size_t len = 0;
    evote_err_t rv;

    if (argc != 5) {
        fprintf(stderr, "usage: %s MANIFEST PUBKEY.pem CONTEST SELECTION\n", argv[0]);
        return 2;
    }
    if ((rv = evote_manifest_load(&m, argv[1])) != EVOTE_OK ||
        (rv = evote_pubkey_read_pem(argv[2], pk)) != EVOTE_OK ||
        (rv = evote_ballot_encrypt(&b, m, argv[3], pk, (uint32_t)strtoul(argv[4], NULL, 10))) !=
            EVOTE_OK ||
        (rv = evote_ballot_encode(&b, buf, sizeof(buf), &len)) != EVOTE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", evote_err_name(rv), evote_strerror(rv),
                evote_err_detail());
        evote_manifest_free(m);
        return 1;
    }
    for (size_t i = 0; i < len; i++)
        printf("%02x", buf[i]);
    printf("\n");
    evote_manifest_free(m);
    return 0;
}
