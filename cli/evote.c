/*
 * evote — one subcommand per step of the election ceremony.
 * Each subcommand lives in cli/cmd_*.c; this file only dispatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("evote %s (protocol v%d)\n", evote_version(), EVOTE_PROTOCOL_VERSION);
    return 0;
}

static const struct cli_command commands[] = {
#define CLI_COMMAND(w1, w2, fn, summary) {w1, w2, fn, summary},
#include "commands.def"
#undef CLI_COMMAND
    {"version", NULL, cmd_version, "print the version"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: evote COMMAND [SUBCOMMAND] [OPTIONS]\n\n"
               "Steps of an election ceremony (each takes --help):\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%s%s", commands[i].word1,
                 commands[i].word2 ? " " : "", commands[i].word2 ? commands[i].word2 : "");
        fprintf(f, "  %-20s %s\n", name, commands[i].summary);
    }
    fprintf(f, "\nPINs are read from --pin-file, $EVOTE_PIN or a prompt, never "
               "from the command line.\n");
    fprintf(f, "Every step also takes --audit-log FILE --operator-token LABEL\n"
               "[--operator-key-label K] [--operator-pin-file F] [--operator-module "
               "P]\n[--audit-manifest M] and then appends a signed entry to the "
               "election's\naudit log (operator PIN: --operator-pin-file, "
               "$EVOTE_OPERATOR_PIN or a prompt).\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    /* Two-word commands first, so that `decrypt combine` is not taken for
     * the one-word `decrypt` with an argument. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
            const struct cli_command *c = &commands[i];
            if (strcmp(argv[1], c->word1) != 0)
                continue;
            if (pass == 0 && c->word2 != NULL && argc >= 3 &&
                strcmp(argv[2], c->word2) == 0) {
                char name[96];
                snprintf(name, sizeof(name), "evote %s %s", c->word1, c->word2);
                argv[2] = name;
                return cli_audit_run(c->main, name + 6, argc - 2, argv + 2);
            }
            if (pass == 1 && c->word2 == NULL) {
                char name[64];
                snprintf(name, sizeof(name), "evote %s", c->word1);
                argv[1] = name;
                return cli_audit_run(c->main, name + 6, argc - 1, argv + 1);
            }
        }
    }
    /* A known first word with an unknown or missing second word. */
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (commands[i].word2 != NULL && strcmp(argv[1], commands[i].word1) == 0) {
            fprintf(stderr, "evote %s: expected one of:", argv[1]);
            for (size_t j = 0; j < sizeof(commands) / sizeof(commands[0]); j++)
                if (commands[j].word2 && strcmp(commands[j].word1, argv[1]) == 0)
                    fprintf(stderr, " %s", commands[j].word2);
            fprintf(stderr, "\n");
            return 2;
        }
    }
    fprintf(stderr, "evote: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
