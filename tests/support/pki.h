/* Test PKI and voter tokens (tests/pki.sh + SoftHSM2), for the signature,
 * reception and demo tests. */
#ifndef EVOTE_TEST_PKI_H
#define EVOTE_TEST_PKI_H

#include <stddef.h>

/* A fixed time inside every ordinary test certificate's validity and the
 * demo manifest's voting window: 2030-06-01T12:00:00Z. */
#define EVT_PKI_NOW ((int64_t)1906459200)

/*
 * Run tests/pki.sh into dir/pki with nrsa RSA voters (rsa-1..rsa-N) plus
 * ec-1, expired, notyet, revoked, unknown. Path of a file in it: evt_pki_path.
 */
void evt_pki_make(const char *dir, int nrsa);
/* dir/pki/<name><suffix>, e.g. ("rsa-1", ".pem"); returns a static buffer
 * slot (4 rotating slots). */
const char *evt_pki_path(const char *dir, const char *name, const char *suffix);

/*
 * A voter "card": initialise a SoftHSM2 token labelled label (SoftHSM2
 * configuration inside dir, as evt_token_setup) with EVT_SO_PIN / EVT_PIN
 * and import dir/pki/<name>.key + .pem under key label "sign". Runs in a
 * child process so the caller has not initialised the module.
 */
void evt_voter_token(const char *dir, const char *label, const char *name);

#endif
