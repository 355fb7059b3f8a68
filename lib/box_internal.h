/* libevote — internals of the ballot-box module (not installed). */
#ifndef EVOTE_BOX_INTERNAL_H
#define EVOTE_BOX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "evote/common.h"
#include "evote/manifest.h"
#include "evote/merkle.h"

/* "time_utc" of a statement (RFC 3339, "YYYY-MM-DDTHH:MM:SSZ") as Unix seconds. */
evote_err_t box_stmt_time(const uint8_t *stmt, size_t len, int64_t *at);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" and as "YYYY-MM-DDTHH:MM:SS+09:00" (JST). */
void box_time_utc(int64_t t, char out[32]);
void box_time_jst(int64_t t, char out[32]);
/* Parse the UTC form back; EVOTE_ERR_FORMAT unless exactly that form. */
evote_err_t box_parse_time_utc(const char *s, int64_t *t);

/*
 * Signature files of statement NAME in dir: every "NAME.<id>.p7s" (id a
 * valid official id), sorted. names[i] are malloc'd; the caller frees them.
 * More than cap: EVOTE_ERR_POLICY.
 */
evote_err_t box_list_signatures(const char *dir, const char *name, char **names, size_t cap,
                                size_t *n);

/* The manifest's id syntax (also safe as a file name component). */
bool box_id_valid(const char *s);

/* Serialise JSON the way every libevote statement is written: 2-space
 * indent, keys in insertion order, UTF-8 as is, trailing newline. */
evote_err_t box_json_dump(const json_t *j, char **out, size_t *len);

/* Parse statement bytes: an object, no duplicate keys, at most max bytes. */
evote_err_t box_json_parse(const uint8_t *data, size_t len, const char *what, json_t **out);

/* Fetch required members with their types; the detail names what and key. */
evote_err_t box_json_str(const json_t *o, const char *key, const char *what, const char **out);
evote_err_t box_json_u64(const json_t *o, const char *key, const char *what, uint64_t *out);
evote_err_t box_json_hash(const json_t *o, const char *key, const char *what,
                          uint8_t out[32]);
/* Array of hex hashes (a Merkle proof); *n ≤ cap. */
evote_err_t box_json_hashes(const json_t *o, const char *key, const char *what,
                            uint8_t (*out)[32], size_t cap, size_t *n);
json_t *box_json_hex(const uint8_t *p, size_t len);
json_t *box_json_hash_array(const uint8_t (*h)[32], size_t n);

/* ---- shared between box.c and bundle.c ---- */
#include "evote/store.h"

/*
 * The policy step whose count a signed tree head needs (PROTOCOL §12.3):
 * the opening's. A tree head speaks only of the open box; it stops nothing
 * and fixes nothing. The final log is fixed by the closing statement, under
 * the close count, which carries a consistency proof from every such head
 * to the final root, so a receipt ends up backed by the close count all
 * the same; a head that is not a prefix makes the close fail.
 */
#define BOX_STH_STEP "open"

evote_err_t box_check_header(const json_t *j, const char *format, const char *what,
                             const evote_manifest_t *m, const uint8_t *pk_or_null);
evote_err_t box_programs_from_json(const json_t *stmt, const char *key, const char *what,
                                   uint8_t prog[32], uint8_t lib[32]);
evote_err_t box_read_statement(const char *dir, const char *name, json_t **j, uint8_t **bytes,
                               size_t *len);
evote_err_t box_check_opening(const json_t *j, const evote_manifest_t *m,
                              const uint8_t pk[EVOTE_POINT_LEN], const char *what);
evote_err_t box_check_sth(const json_t *j, const evote_manifest_t *m, const char *contest,
                          const char *what, uint64_t *size, uint8_t root[32]);
evote_err_t box_list_sths(const char *dir, const char *contest, char ***names,
                          uint64_t **sizes, size_t *n);
evote_err_t box_rebuild(evote_store_t *store, const char *contest, evote_merkle_tree_t **out,
                        evote_box_state_t *state, evote_store_ballot_cb cb, void *cb_ctx);

#endif
