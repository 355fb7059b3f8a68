/*
 * libevote — verify a whole published election record (docs/PROTOCOL.md
 * §17): one checklist, one result per check, built on the verification
 * functions of the modules that produced each artefact.
 *
 * Thread safety: a report is immutable once returned and may be read from
 * several threads; evote_record_verify itself is reentrant.
 */
#ifndef EVOTE_VERIFY_H
#define EVOTE_VERIFY_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EVOTE_CHECK_PASS = 0,      /* artefact present and verified */
    EVOTE_CHECK_FAIL = 1,      /* artefact present and wrong (or missing
                                  although the record says it must exist) */
    EVOTE_CHECK_ABSENT = 2,    /* the record holds no such artefact */
    EVOTE_CHECK_UNCHECKED = 3, /* present, but this build cannot verify it */
} evote_check_status_t;

typedef struct evote_record_report evote_record_report_t;

typedef struct {
    /* CA of the operators' certificates for the audit trail; NULL: use
     * DIR/audit/operators-ca.pem if present, else check signatures only. */
    const char *operators_ca;
} evote_record_opts_t;

/*
 * Run every check on the record in dir. Returns EVOTE_OK when the checks
 * could be run (whatever they found; read the report), EVOTE_ERR_ARG,
 * EVOTE_ERR_NOT_FOUND (dir missing) or EVOTE_ERR_NOMEM otherwise.
 * opts may be NULL. *out is freed with evote_record_report_free.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_record_verify(evote_record_report_t **out, const char *dir,
                    const evote_record_opts_t *opts);
EVOTE_API void evote_record_report_free(evote_record_report_t *r);

EVOTE_API size_t evote_record_check_count(const evote_record_report_t *r);
/* Stable short id ("manifest", "audit", …), a title, the status, the error
 * code of a failure (EVOTE_OK otherwise) and a one-line detail. */
EVOTE_API const char *evote_record_check_id(const evote_record_report_t *r, size_t i);
EVOTE_API const char *evote_record_check_title(const evote_record_report_t *r,
                                               size_t i);
EVOTE_API evote_check_status_t
evote_record_check_status(const evote_record_report_t *r, size_t i);
EVOTE_API evote_err_t evote_record_check_error(const evote_record_report_t *r,
                                               size_t i);
EVOTE_API const char *evote_record_check_detail(const evote_record_report_t *r,
                                                size_t i);

/* "PASS", "FAIL", "not present", "UNCHECKED". */
EVOTE_API const char *evote_check_status_name(evote_check_status_t s);

/*
 * True if no check failed and none was left unchecked; with
 * require_complete, every check must also have found its artefact.
 */
EVOTE_API bool evote_record_report_ok(const evote_record_report_t *r,
                                      bool require_complete);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_VERIFY_H */
