/* Entry points of the subcommands listed in commands.def. */
#ifndef EVOTE_CLI_COMMANDS_H
#define EVOTE_CLI_COMMANDS_H
int cmd_manifest_check(int argc, char **argv);
int cmd_ballot_encrypt(int argc, char **argv);
int cmd_ballot_verify(int argc, char **argv);
int cmd_tally(int argc, char **argv);
int cmd_ballot_sign(int argc, char **argv);
int cmd_audit_verify(int argc, char **argv);
int cmd_audit_show(int argc, char **argv);
int cmd_verify(int argc, char **argv);
#endif
