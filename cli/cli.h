/* evote CLI — shared helpers for the subcommands (cli/cmd_*.c). */
#ifndef EVOTE_CLI_H
#define EVOTE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "evote/evote.h"

/* One subcommand: `evote WORD1 [WORD2] ...`. */
struct cli_command {
    const char *word1;
    const char *word2; /* NULL for one-word commands */
    int (*main)(int argc, char **argv); /* argv[0] is "evote WORD1 WORD2" */
    const char *summary;
};

/*
 * Print "evote: <what>: <message> (<detail>)" for a library error and
 * return the process exit status for it (1).
 */
int cli_fail(evote_err_t err, const char *what);

/* True if argv contains -h or --help (then print usage and exit 0). */
bool cli_wants_help(int argc, char **argv);

/*
 * Read a PIN without it ever touching argv: from pin_file if given, else
 * from the environment variable env_name (default EVOTE_PIN), else from a
 * prompt on the terminal with echo off. A trailing newline is stripped.
 * buf receives the PIN (NUL-terminated); wipe it with evote_wipe after use.
 * Returns EVOTE_ERR_PIN_SOURCE if none is available.
 */
evote_err_t cli_read_pin(const char *pin_file, const char *env_name,
                         const char *prompt, char *buf, size_t cap, size_t *len);

/* The same for secrets other than PINs (SO PIN): explicit env name. */

/* Module path from --module, else $EVOTE_PKCS11_MODULE, else the default. */
const char *cli_module_path(const char *opt);

/*
 * Audit hook (cli/audit_hook.c): strip the audit options (--audit-log,
 * --operator-token, --operator-key-label, --operator-pin-file,
 * --operator-module, --audit-manifest) from argv, run fn, and — when a log
 * and an operator token are given — append a signed entry recording the
 * step, its files and its outcome. Called by the dispatcher for every
 * subcommand; steps that run several stages (demo) may call it per stage.
 */
int cli_audit_run(int (*fn)(int, char **), const char *step, int argc, char **argv);
/* Remember the error a step failed with (cli_fail calls it). */
void cli_audit_note_error(evote_err_t err, const char *detail);

#endif /* EVOTE_CLI_H */
