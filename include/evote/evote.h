/*
 * libevote — umbrella header. Include this, link with -levote
 * (pkg-config --cflags --libs libevote).
 */
#ifndef EVOTE_EVOTE_H
#define EVOTE_EVOTE_H

#include "common.h"
#include "group.h"
#include "manifest.h"
#include "ballot.h"
#include "bytetree.h"
#include "hsm.h"
#include "tally.h"
#include "decrypt.h"
#include "signer.h"
#include "cms.h"
#include "store.h"
#include "roll.h"
#include "receiver.h"
#include "mix.h"
#include "merkle.h"
#include "statement.h"
#include "box.h"
#include "audit.h"
#include "verify.h"
#include "trustee.h"
#include "result.h"
#include "confirm.h"
#include "approval.h"

#endif /* EVOTE_EVOTE_H */
