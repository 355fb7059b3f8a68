/* libevote — reception internals shared with the tests and benchmarks. */
#ifndef EVOTE_RECEIVER_INTERNAL_H
#define EVOTE_RECEIVER_INTERNAL_H

#include <stdint.h>

#include "evote/receiver.h"

/* Group commit: ballots waiting now, commits made and ballots they held. */
void receiver_group_stats(evote_receiver_t *r, size_t *queued, uint64_t *commits,
                          uint64_t *ballots);

#endif
