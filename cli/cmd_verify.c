/* evote verify DIR — check a whole published election record. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote verify DIR [--ca OPERATORS_CA.pem] [--json] [--complete]\n"
            "                        [--report FILE]\n\n"
            "Check a published election record (layout: docs/PROTOCOL.md §17) and\n"
            "print one line per check: manifest digest, key ceremony, trustees'\n"
            "commitments, keys and key-ceremony record, opening statement and\n"
            "zero-vote check, box log and tree heads, program digests, export\n"
            "bundle, mix proofs, decryption (partial decryptions, their combination,\n"
            "the observer confirmations, the officials' approvals), tally recount,\n"
            "result sheets re-derived, audit trail, and that every artefact is the\n"
            "output of a signed audit entry.\n\n"
            "  --ca FILE     operators' CA for the audit trail (default:\n"
            "                DIR/audit/operators-ca.pem if present)\n"
            "  --json        print the checklist as JSON\n"
            "  --complete    also fail if a check finds no artefact\n"
            "  --report FILE write the JSON checklist to FILE as well\n\n"
            "Exit status 0 only if no check failed and none was left unchecked.\n");
}

static json_t *report_json(const evote_record_report_t *r, const char *dir, bool ok) {
    json_t *checks = json_array();
    for (size_t i = 0; i < evote_record_check_count(r); i++) {
        evote_err_t e = evote_record_check_error(r, i);
        json_array_append_new(
            checks, json_pack("{s:s,s:s,s:s,s:s*,s:s}", "id", evote_record_check_id(r, i),
                              "title", evote_record_check_title(r, i), "status",
                              evote_check_status_name(evote_record_check_status(r, i)),
                              "error", e == EVOTE_OK ? NULL : evote_err_name(e),
                              "detail", evote_record_check_detail(r, i)));
    }
    return json_pack("{s:s,s:s,s:b,s:o}", "format", "libevote-verify-report/1",
                     "record", dir, "ok", ok, "checks", checks);
}

int cmd_verify(int argc, char **argv) {
    static const struct option opts[] = {{"ca", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"complete", no_argument, NULL, 'C'},
                                         {"report", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    evote_record_opts_t o = {0};
    bool as_json = false, complete = false;
    const char *report = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o.operators_ca = optarg; break;
        case 'j': as_json = true; break;
        case 'C': complete = true; break;
        case 'r': report = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *dir = argv[optind];
    evote_record_report_t *r = NULL;
    evote_err_t rv = evote_record_verify(&r, dir, &o);
    if (rv != EVOTE_OK)
        return cli_fail(rv, dir);
    bool ok = evote_record_report_ok(r, complete);
    json_t *j = report_json(r, dir, ok);
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    if (as_json) {
        printf("%s\n", text ? text : "{}");
    } else {
        printf("Election record %s\n", dir);
        for (size_t i = 0; i < evote_record_check_count(r); i++) {
            evote_check_status_t s = evote_record_check_status(r, i);
            printf("  [%-11s] %-15s %s\n", evote_check_status_name(s),
                   evote_record_check_id(r, i), evote_record_check_title(r, i));
            printf("                %s%s%s\n", evote_record_check_detail(r, i),
                   s == EVOTE_CHECK_FAIL ? " — " : "",
                   s == EVOTE_CHECK_FAIL
                       ? evote_err_name(evote_record_check_error(r, i))
                       : "");
        }
        printf("%s\n", ok ? "RESULT: PASS" : "RESULT: FAIL");
    }
    int rc = ok ? 0 : 1;
    if (report != NULL) {
        /* Temporary file and rename: never a partial report. */
        size_t tl = strlen(report) + 8;
        char *tmp = malloc(tl);
        FILE *f = NULL;
        bool written = false;
        if (tmp != NULL) {
            snprintf(tmp, tl, "%s.tmp", report);
            f = fopen(tmp, "wx");
        }
        if (f != NULL) {
            written = fprintf(f, "%s\n", text ? text : "{}") >= 0;
            written = fflush(f) == 0 && fsync(fileno(f)) == 0 && written;
            written = fclose(f) == 0 && written;
            written = written && rename(tmp, report) == 0;
            if (!written)
                unlink(tmp);
        }
        if (!written) {
            fprintf(stderr, "evote verify: cannot write %s\n", report);
            rc = 1;
        }
        free(tmp);
    }
    free(text);
    json_decref(j);
    evote_record_report_free(r);
    return rc;
}
