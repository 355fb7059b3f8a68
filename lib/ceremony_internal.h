/* libevote — helpers shared by the ceremony modules (trustee, partial,
 * confirm, approval, resultsheet). Not installed. */
#ifndef EVOTE_CEREMONY_INTERNAL_H
#define EVOTE_CEREMONY_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>

#include "evote/common.h"
#include "evote/group.h"

/* An id: 1..EVOTE_ID_MAX bytes of [A-Za-z0-9._-] (EVOTE_ERR_ARG otherwise). */
evote_err_t evote_id_check(const char *id, const char *what);
/* Pretty-print obj (insertion order) to path atomically. */
evote_err_t evote_json_write(const char *path, json_t *obj, bool exclusive);
/* Load a JSON object whose "format" must equal format. */
evote_err_t evote_json_load(const char *path, const char *format, json_t **out);
/* obj[key] as exactly len bytes of hex. */
evote_err_t evote_json_hex(json_t *obj, const char *key, uint8_t *out, size_t len,
                           const char *where);
/* New JSON string of lower-case hex (len <= 64). */
json_t *evote_json_hexstr(const uint8_t *in, size_t len);
/* obj["manifest_sha256"] must equal mh (if mh != NULL). */
evote_err_t evote_json_manifest_check(json_t *obj, const uint8_t *mh,
                                      const char *where);

#endif
