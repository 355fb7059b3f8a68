/* evote CLI — opening a token with a PIN that never touches argv. */
#ifndef EVOTE_CLI_HSM_H
#define EVOTE_CLI_HSM_H

#include "cli.h"

/*
 * Read the user PIN (--pin-file, else $EVOTE_PIN, else a prompt), open the
 * token labelled label through module (NULL: $EVOTE_PKCS11_MODULE or the
 * default) with nsessions sessions, and wipe the PIN. Prints the error and
 * returns the exit status (0 on success).
 */
int cli_open_token(const char *module, const char *label, const char *pin_file,
                   unsigned nsessions, evote_hsm_t **out);

/* Parse a positive count (sessions, threads, ballots) no larger than max. */
bool cli_parse_count(const char *s, unsigned long max, unsigned long *out);

#endif
