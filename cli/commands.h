/* Entry points of the subcommands listed in commands.def. */
#ifndef EVOTE_CLI_COMMANDS_H
#define EVOTE_CLI_COMMANDS_H
int cmd_manifest_check(int argc, char **argv);
int cmd_ballot_encrypt(int argc, char **argv);
int cmd_ballot_verify(int argc, char **argv);
int cmd_tally(int argc, char **argv);
int cmd_token_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_trustee_keygen(int argc, char **argv);
int cmd_trustee_combine(int argc, char **argv);
int cmd_decrypt_partial(int argc, char **argv);
int cmd_decrypt_combine(int argc, char **argv);
int cmd_result(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_decrypt_authorize(int argc, char **argv);
#endif
