/* Test support shared by tests/check_*.c. */
#ifndef EVOTE_TESTUTIL_H
#define EVOTE_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evote/evote.h"

#define EVT_SO_PIN "so-secret-1234"
#define EVT_PIN "user-secret-5678"

/* Fresh directory under $TMPDIR (or /tmp); path into out (cap >= 64). */
void evt_tmpdir(char *out, size_t cap);
/* rm -rf path (only paths made by evt_tmpdir). */
void evt_rmrf(const char *path);

/*
 * Write dir/softhsm2.conf with its token directory inside dir, point
 * SOFTHSM2_CONF at it, and initialise a token labelled label with
 * EVT_SO_PIN / EVT_PIN. The initialisation runs in a child process so the
 * test process has not initialised the module (safe to fork afterwards).
 */
void evt_token_setup(const char *dir, const char *label);

/* Module path for tests: $EVOTE_PKCS11_MODULE or the default. */
const char *evt_module(void);

/* Path of the built evote CLI. */
const char *evt_cli(void);

/* Write a two-contest demo manifest to path (district + proportional). */
void evt_write_manifest(const char *path, const char *election_id);

/* Read a whole file; aborts the test on failure. Caller frees. */
uint8_t *evt_read(const char *path, size_t *len);
void evt_write(const char *path, const void *data, size_t len);

/* Decode hex into a fresh buffer; aborts the test on bad hex. */
uint8_t *evt_unhex(const char *hex, size_t *len);

/* Run a shell command; returns its exit status (or -1). */
int evt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Quick mode (sanitizer runs): fewer iterations. */
bool evt_quick(void);

/* Run one suite with CK_FORK and return the number of failures. */
int evt_run_suite(Suite *s);

#endif
