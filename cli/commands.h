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
int cmd_ballot_sign(int argc, char **argv);
int cmd_roll_import(int argc, char **argv);
int cmd_receive(int argc, char **argv);
int cmd_mix(int argc, char **argv);
int cmd_mix_verify(int argc, char **argv);
int cmd_box_open(int argc, char **argv);
int cmd_box_sign(int argc, char **argv);
int cmd_box_zero_check(int argc, char **argv);
int cmd_box_sth(int argc, char **argv);
int cmd_box_receipt(int argc, char **argv);
int cmd_box_close(int argc, char **argv);
int cmd_box_export(int argc, char **argv);
int cmd_box_import(int argc, char **argv);
int cmd_audit_verify(int argc, char **argv);
int cmd_audit_show(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_trustee_keygen(int argc, char **argv);
int cmd_trustee_combine(int argc, char **argv);
int cmd_decrypt_partial(int argc, char **argv);
int cmd_decrypt_combine(int argc, char **argv);
int cmd_result(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_decrypt_authorize(int argc, char **argv);
#endif
