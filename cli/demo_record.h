/* evote demo — audit trail and published election record (cli/demo_record.c). */
#ifndef EVOTE_CLI_DEMO_RECORD_H
#define EVOTE_CLI_DEMO_RECORD_H

#include "cli.h"

struct demo_audit;

/* Create the operator's token (key + certificate from a throwaway
 * operators' CA) in the demo's SoftHSM2 store and open it for signing.
 * Call after the token store exists and before the election HSM handle is
 * opened. Returns 0 or a process exit status. */
int demo_audit_begin(struct demo_audit **out, const char *dir, const char *module);
/* Around each step: snapshot the workspace, then append the signed entry
 * (no-op while manifest_hash is NULL or a is NULL). */
void demo_audit_before(struct demo_audit *a);
int demo_audit_after(struct demo_audit *a, const char *step, int step_rc,
                     const uint8_t *manifest_hash);

struct demo_record_file {
    const char *rel; /* path in the record (PROTOCOL §17) */
    const char *src;
};
/* Publish the record directory (must not exist), then verify it. */
int demo_record_publish(struct demo_audit *a, const char *record,
                        const struct demo_record_file *files, size_t n);
/* Free after the election's HSM handle (the operator token's module
 * finalisation must come last). Accepts NULL. */
void demo_audit_free(struct demo_audit *a);

#endif
