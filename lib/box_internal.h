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

#endif
