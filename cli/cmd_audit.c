/* evote audit verify | show — check and read an election's audit log. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"

static void verify_usage(FILE *f) {
    fprintf(f,
            "usage: evote audit verify LOG [--ca CA.pem] [--manifest MANIFEST]\n\n"
            "Check the audit log: every entry parses, sequence numbers run 1, 2,\n"
            "3, ... without gap, the hash chain from the election's genesis holds,\n"
            "and every entry's signature verifies with the operator certificate it\n"
            "names. With --ca, every operator certificate must chain to that CA at\n"
            "the time of its entry. With --manifest, the log must belong to that\n"
            "election. Each problem is printed with the sequence number it\n"
            "concerns; exit status 1 if there is any.\n");
}

int cmd_audit_verify(int argc, char **argv) {
    static const struct option opts[] = {{"ca", required_argument, NULL, 'c'},
                                         {"manifest", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *ca = NULL, *manifest = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ca = optarg; break;
        case 'm': manifest = optarg; break;
        case 'h': verify_usage(stdout); return 0;
        default: verify_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        verify_usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    uint8_t mh[EVOTE_HASH_LEN];
    evote_err_t rv;
    if (manifest != NULL && (rv = evote_sha256_file(manifest, mh)) != EVOTE_OK)
        return cli_fail(rv, manifest);
    evote_audit_log_t *log = NULL;
    if ((rv = evote_audit_load(&log, path)) != EVOTE_OK)
        return cli_fail(rv, path);
    rv = evote_audit_verify(log, ca, manifest ? mh : NULL);
    int rc = 0;
    if (rv == EVOTE_OK) {
        printf("%s: %zu entries; sequence, hash chain and signatures OK%s\n", path,
               evote_audit_count(log), ca ? "; operator certificates chain to the CA" : "");
    } else {
        for (size_t i = 0; i < evote_audit_problem_count(log); i++)
            printf("%s: FAIL %s\n", path, evote_audit_problem(log, i));
        fprintf(stderr, "evote audit verify: %s [%s]\n", evote_strerror(rv),
                evote_err_name(rv));
        rc = 1;
    }
    evote_audit_log_free(log);
    return rc;
}

static void show_usage(FILE *f) {
    fprintf(f, "usage: evote audit show LOG [--json]\n\n"
               "Print the audit log as a timeline: who did what, when (JST), on\n"
               "which files, with what outcome. --json prints the entries as a JSON\n"
               "array. This does not verify the log: use `evote audit verify`.\n");
}

/* "CN=…" out of an RFC 2253 subject, else the whole subject. */
static void common_name(const char *subject, char *out, size_t cap) {
    const char *cn = subject ? strstr(subject, "CN=") : NULL;
    if (cn == NULL) {
        snprintf(out, cap, "%s", subject ? subject : "?");
        return;
    }
    cn += 3;
    size_t n = 0;
    while (cn[n] != '\0' && !(cn[n] == ',' && (n == 0 || cn[n - 1] != '\\')))
        n++;
    snprintf(out, cap, "%.*s", (int)n, cn);
}

static void print_files(const char *label, json_t *arr) {
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f) {
        const char *h = json_string_value(json_object_get(f, "sha256"));
        printf("        %-7s %s  %.16s%s\n", i == 0 ? label : "",
               json_string_value(json_object_get(f, "path")), h ? h : "(absent)",
               h ? "…" : "");
    }
}

int cmd_audit_show(int argc, char **argv) {
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool as_json = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': as_json = true; break;
        case 'h': show_usage(stdout); return 0;
        default: show_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        show_usage(stderr);
        return 2;
    }
    evote_audit_log_t *log = NULL;
    evote_err_t rv = evote_audit_load(&log, argv[optind]);
    if (rv != EVOTE_OK)
        return cli_fail(rv, argv[optind]);
    json_t *all = json_array();
    for (size_t i = 0; i < evote_audit_count(log); i++) {
        const char *body = evote_audit_entry_body(log, i);
        json_t *e = body ? json_loads(body, 0, NULL) : NULL;
        if (e == NULL) {
            if (as_json)
                json_array_append_new(all, json_pack("{s:s,s:I}", "error",
                                                     "malformed entry", "line",
                                                     (json_int_t)(i + 1)));
            else
                printf("line %zu: malformed entry (run `evote audit verify`)\n",
                       i + 1);
            continue;
        }
        if (as_json) {
            json_array_append_new(all, e);
            continue;
        }
        json_t *op = json_object_get(e, "operator");
        json_t *oc = json_object_get(e, "outcome");
        char who[128], when[40];
        common_name(json_string_value(json_object_get(op, "subject")), who, sizeof(who));
        const char *tj = json_string_value(json_object_get(e, "time_jst"));
        snprintf(when, sizeof(when), "%.10s %.8s JST", tj ? tj : "?",
                 tj && strlen(tj) > 11 ? tj + 11 : "?");
        printf("#%-4" JSON_INTEGER_FORMAT " %s  %-20s %s\n",
               json_integer_value(json_object_get(e, "seq")), when, who,
               json_string_value(json_object_get(e, "step")));
        json_t *args = json_object_get(e, "args");
        if (json_array_size(args) > 0) {
            printf("        args   ");
            size_t k;
            json_t *a;
            json_array_foreach(args, k, a) printf(" %s", json_string_value(a));
            printf("\n");
        }
        print_files("in", json_object_get(e, "inputs"));
        print_files("out", json_object_get(e, "outputs"));
        if (json_is_true(json_object_get(oc, "ok")))
            printf("        result  ok\n");
        else
            printf("        result  FAILED (exit %" JSON_INTEGER_FORMAT "%s%s) %s\n",
                   json_integer_value(json_object_get(oc, "exit")),
                   json_object_get(oc, "code") ? ", " : "",
                   json_object_get(oc, "code")
                       ? json_string_value(json_object_get(oc, "code"))
                       : "",
                   json_object_get(oc, "message")
                       ? json_string_value(json_object_get(oc, "message"))
                       : "");
        json_decref(e);
    }
    if (as_json) {
        char *s = json_dumps(all, JSON_INDENT(2));
        if (s != NULL)
            printf("%s\n", s);
        free(s);
    }
    json_decref(all);
    evote_audit_log_free(log);
    return 0;
}
