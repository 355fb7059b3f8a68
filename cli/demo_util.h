/*
 * evote demo — small helpers the demo's steps share (workspace files,
 * throwaway PINs, timing). Not part of the library.
 */
#ifndef EVOTE_CLI_DEMO_UTIL_H
#define EVOTE_CLI_DEMO_UTIL_H

#include <sys/types.h>

/* Seconds on the monotonic clock. */
double demo_now(void);

/* A random PIN of 32 hex digits from the OS RNG (the tokens are thrown
 * away with the demo). 0 on success. */
int demo_random_pin(char out[33]);

/* Create path (it must not exist) with mode and write text; 0 on success,
 * else 1 after a message on stderr. */
int demo_write_text(const char *path, const char *text, mode_t mode);

#endif
