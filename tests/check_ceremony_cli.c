/*
 * The decryption ceremony through the CLI on SoftHSM2 tokens: two trustees'
 * key ceremony, partial decryptions, combine, result sheets; PIN and token
 * errors; a SIGKILLed partial decryption resumes to the same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ceremony_testutil.h"
#include "internal.h"
#include "testutil.h"

static char D[256];

/* SoftHSM2 config in D with tokens "t1", "t2" (user PIN EVT_PIN). */
static void tokens_setup(void) {
    evt_tmpdir(D, sizeof(D));
    char conf[512], tok[512];
    snprintf(tok, sizeof(tok), "%s/tokens", D);
    mkdir(tok, 0700);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", D);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
            tok);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    setenv("EVOTE_PIN", EVT_PIN, 1);
    for (int i = 1; i <= 2; i++)
        ck_assert_int_eq(evt_sh("softhsm2-util --init-token --free --label t%d --so-pin %s "
                                "--pin %s >/dev/null",
                                i, EVT_SO_PIN, EVT_PIN),
                         0);
    char m[512];
    snprintf(m, sizeof(m), "%s/manifest.json", D);
    evt_write_manifest(m, "test-election");
}

static void keys_setup(int ntrustees) {
    for (int i = 1; i <= ntrustees; i++)
        ck_assert_int_eq(evt_sh("cd %s && %s trustee keygen --manifest manifest.json "
                                "--trustee T%d --token t%d --commitment-out c%d.json "
                                "--key-out k%d.json >/dev/null",
                                D, evt_cli(), i, i, i, i),
                         0);
    char cmd[2048] = "";
    for (int i = 1; i <= ntrustees; i++) {
        char part[128];
        snprintf(part, sizeof(part), " --commitment c%d.json --key k%d.json", i, i);
        strcat(cmd, part);
    }
    ck_assert_int_eq(evt_sh("cd %s && %s trustee combine-keys --manifest manifest.json%s "
                            "--out pk.pem --record record.json >/dev/null",
                            D, evt_cli(), cmd),
                     0);
}

/* n ballots for contest proportional-tokyo (4 options); returns selections. */
static uint32_t *make_list(size_t n, const char *name) {
    char p[512];
    uint8_t pk[33];
    snprintf(p, sizeof(p), "%s/pk.pem", D);
    ck_assert_int_eq(evote_pubkey_read_pem(p, pk), EVOTE_OK);
    evote_ct_t *cts = calloc(n, sizeof(*cts));
    uint32_t *sel = calloc(n, sizeof(*sel));
    for (size_t j = 0; j < n; j++) {
        if (j == 2) {
            evt_encrypt_garbage(&cts[j], pk);
            sel[j] = EVOTE_SELECTION_INVALID;
        } else {
            sel[j] = (uint32_t)((j * 7) % 4);
            evt_encrypt(&cts[j], pk, sel[j]);
        }
    }
    snprintf(p, sizeof(p), "%s/%s", D, name);
    ck_assert_int_eq(evote_ctlist_write(p, cts, n), EVOTE_OK);
    free(cts);
    return sel;
}

static int partial(int i, const char *list, const char *out, const char *extra) {
    return evt_sh("cd %s && %s decrypt partial --manifest manifest.json --record record.json "
                  "--contest proportional-tokyo --input %s --unmixed --trustee T%d --token t%d --out %s "
                  "%s >>log.txt 2>&1",
                  D, evt_cli(), list, i, i, out, extra);
}

START_TEST(test_two_trustees_end_to_end) {
    tokens_setup();
    keys_setup(2);
    size_t n = 30;
    uint32_t *want = make_list(n, "list.bt");
    ck_assert_int_eq(partial(1, "list.bt", "p1.bin", ""), 0);
    ck_assert_int_eq(partial(2, "list.bt", "p2.bin", ""), 0);
    /* one part alone cannot decrypt */
    ck_assert_int_ne(evt_sh("cd %s && %s decrypt combine --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --input list.bt --unmixed "
                            "--partial p1.bin --out d.json 2>/dev/null",
                            D, evt_cli()),
                     0);
    ck_assert_int_eq(evt_sh("cd %s && %s decrypt combine --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --input list.bt --unmixed "
                            "--partial p1.bin --partial p2.bin --out d.json >/dev/null",
                            D, evt_cli()),
                     0);
    ck_assert_int_eq(evt_sh("cd %s && %s result --manifest manifest.json --decryption d.json "
                            "--json r.json --csv r.csv --sheet r.html --time 1767225600 "
                            ">/dev/null",
                            D, evt_cli()),
                     0);
    char p[512];
    snprintf(p, sizeof(p), "%s/r.json", D);
    json_error_t je;
    json_t *r = json_load_file(p, 0, &je);
    ck_assert_ptr_nonnull(r);
    json_t *c = json_array_get(json_object_get(r, "contests"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "contest_id")), "proportional-tokyo");
    uint64_t counts[4] = {0}, inv = 0;
    for (size_t j = 0; j < n; j++)
        if (want[j] == EVOTE_SELECTION_INVALID)
            inv++;
        else
            counts[want[j]]++;
    for (size_t k = 0; k < 4; k++)
        ck_assert_int_eq(json_integer_value(json_object_get(
                             json_array_get(json_object_get(c, "options"), k), "votes")),
                         (json_int_t)counts[k]);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "invalid")), (json_int_t)inv);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(c, "invalid_indices"), 0)),
                     2);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "cast")), (json_int_t)n);
    ck_assert_str_eq(json_string_value(json_object_get(r, "generated_at")),
                     "2026-01-01T09:00:00+09:00");
    json_decref(r);
    /* the sheet and CSV carry the Japanese names */
    size_t len;
    snprintf(p, sizeof(p), "%s/r.html", D);
    char *html = (char *)evt_read(p, &len);
    ck_assert_ptr_nonnull(strstr(html, "みらい党"));
    ck_assert_ptr_nonnull(strstr(html, "<svg"));
    ck_assert_ptr_nonnull(strstr(html, "2026年01月01日 09:00:00 JST (UTC+09:00)"));
    free(html);
    snprintf(p, sizeof(p), "%s/r.csv", D);
    char *csv = (char *)evt_read(p, &len);
    ck_assert_ptr_nonnull(strstr(csv, "\"proportional-tokyo\",\"比例代表 東京都\",\"option\",\"p1\",\"みらい党\""));
    free(csv);
    free(want);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_tampered_key_share_refused) {
    tokens_setup();
    for (int i = 1; i <= 2; i++)
        ck_assert_int_eq(evt_sh("cd %s && %s trustee keygen --manifest manifest.json "
                                "--trustee T%d --token t%d --commitment-out c%d.json "
                                "--key-out k%d.json >/dev/null",
                                D, evt_cli(), i, i, i, i),
                         0);
    /* T2 hands in T1's key under their own name: commitment does not match */
    ck_assert_int_eq(evt_sh("cd %s && sed 's/\"T1\"/\"T2\"/' k1.json > k2x.json", D), 0);
    ck_assert_int_eq(evt_sh("cd %s && %s trustee combine-keys --manifest manifest.json "
                            "--commitment c1.json --key k1.json --commitment c2.json --key "
                            "k2x.json --out pk.pem --record record.json 2>err.txt",
                            D, evt_cli()),
                     1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_COMMITMENT %s/err.txt", D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/pk.pem", D), 0);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_pin_and_token_errors) {
    tokens_setup();
    keys_setup(1);
    uint32_t *w = make_list(3, "list.bt");
    free(w);
    setenv("EVOTE_PIN", "wrong-pin", 1);
    ck_assert_int_eq(partial(1, "list.bt", "p.bin", ""), 1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_PIN_INCORRECT %s/log.txt", D), 0);
    /* SoftHSM2 has no PIN retry counter, so a locked PIN cannot be produced
     * here; check_trustee shows that EVOTE_ERR_PIN_LOCKED from the token
     * passes through the decryption unchanged. */
    setenv("EVOTE_PIN", EVT_PIN, 1);
    /* a token that is not there */
    ck_assert_int_eq(evt_sh("cd %s && %s decrypt partial --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --input list.bt "
                            "--unmixed --trustee T1 --token nosuch --out p.bin 2>err.txt",
                            D, evt_cli()),
                     1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_TOKEN_NOT_FOUND %s/err.txt", D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/p.bin", D), 0);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_sigkill_resume_matches_uninterrupted) {
    tokens_setup();
    keys_setup(1);
    size_t n = evt_quick() ? 1500 : 4000;
    uint32_t *w = make_list(n, "list.bt");
    free(w);
    /* reference run */
    ck_assert_int_eq(partial(1, "list.bt", "ref.bin", "--threads 2"), 0);
    /* killed run: small checkpoints, SIGKILL once the first checkpoint exists */
    ck_assert_int_eq(
        evt_sh("cd %s && (%s decrypt partial --manifest manifest.json --record record.json "
               "--contest proportional-tokyo --input list.bt --unmixed --trustee T1 --token t1 "
               "--out p.bin --checkpoint-every 100 --threads 2 >/dev/null 2>&1 & pid=$!; "
               "for i in $(seq 1 2000); do [ -e p.bin.ckpt ] && break; sleep 0.005; done; "
               "kill -9 $pid; wait $pid 2>/dev/null; true) 2>/dev/null",
               D, evt_cli()),
        0);
    ck_assert_int_eq(evt_sh("test -e %s/p.bin.ckpt", D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/p.bin", D), 0);
    ck_assert_int_eq(partial(1, "list.bt", "p.bin", "--checkpoint-every 100 --threads 2"), 0);
    ck_assert_int_eq(evt_sh("cmp -s %s/p.bin %s/ref.bin", D, D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/p.bin.ckpt", D), 0);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_refuses_list_without_mix_chain) {
    tokens_setup();
    keys_setup(1);
    uint32_t *w = make_list(3, "list.bt");
    free(w);
    const char *base = "decrypt partial --manifest manifest.json --record record.json "
                       "--contest proportional-tokyo --input list.bt --trustee T1 --token t1 "
                       "--out p.bin";
    ck_assert_int_eq(evt_sh("cd %s && %s %s 2>err.txt", D, evt_cli(), base), 1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_NOT_MIX_OUTPUT %s/err.txt", D), 0);
    ck_assert_int_eq(evt_sh("cd %s && mkdir chain && %s %s --mix-chain chain 2>err.txt", D,
                            evt_cli(), base),
                     1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_NOT_MIX_OUTPUT %s/err.txt", D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/p.bin", D), 0);
    evt_rmrf(D);
}
END_TEST

/* A real two-party mix chain: its final output decrypts; the unmixed list,
 * a subset and a chain from another box are refused. */
START_TEST(test_decrypts_only_verified_mix_output) {
    tokens_setup();
    keys_setup(2);
    uint32_t *w = make_list(8, "list.bt");
    free(w);
    for (int k = 1; k <= 2; k++)
        ck_assert_int_eq(evt_sh("cd %s && %s mix --manifest manifest.json --contest "
                                "proportional-tokyo --pubkey pk.pem --party %d --in list.bt "
                                "--out chain --quiet >/dev/null 2>&1",
                                D, evt_cli(), k),
                         0);
    /* the final output as a plain list file */
    char p[512];
    snprintf(p, sizeof(p), "%s/chain/ShuffledCiphertexts.bt", D);
    ck_assert_int_eq(evt_sh("test -s %s", p), 0);
    ck_assert_int_eq(evt_sh("cd %s && cp chain/ShuffledCiphertexts.bt mixed.bt && "
                            "mkdir -p box/ciphertexts && cp list.bt "
                            "box/ciphertexts/proportional-tokyo.bt",
                            D),
                     0);
    const char *common = "decrypt partial --manifest manifest.json --record record.json "
                         "--contest proportional-tokyo --mix-chain chain --box box";
    for (int i = 1; i <= 2; i++)
        ck_assert_int_eq(evt_sh("cd %s && %s %s --input mixed.bt --trustee T%d --token t%d "
                                "--out p%d.bin >>log.txt 2>&1",
                                D, evt_cli(), common, i, i, i),
                         0);
    ck_assert_int_eq(evt_sh("cd %s && %s decrypt combine --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --mix-chain chain --box box "
                            "--input mixed.bt --partial p1.bin --partial p2.bin --out d.pt "
                            ">/dev/null && %s tally --manifest manifest.json --plaintexts d.pt "
                            ">/dev/null 2>&1",
                            D, evt_cli(), evt_cli()),
                     0);
    /* the unmixed box list itself */
    ck_assert_int_eq(evt_sh("cd %s && %s %s --input list.bt --trustee T1 --token t1 --out x.bin "
                            "2>err.txt",
                            D, evt_cli(), common),
                     1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_NOT_MIX_OUTPUT %s/err.txt", D), 0);
    /* a box whose list is not the chain's input */
    uint32_t *w2 = make_list(8, "box/ciphertexts/proportional-tokyo.bt");
    free(w2);
    ck_assert_int_eq(evt_sh("cd %s && %s %s --input mixed.bt --trustee T1 --token t1 --out x.bin "
                            "2>err.txt",
                            D, evt_cli(), common),
                     1);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_NOT_MIX_OUTPUT %s/err.txt", D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/x.bin", D), 0);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_lost_session_resumes) {
    tokens_setup();
    keys_setup(1);
    uint32_t *w = make_list(250, "list.bt");
    free(w);
    ck_assert_int_eq(partial(1, "list.bt", "ref.bin", ""), 0);
    setenv("EVOTE_TEST_STOP_AFTER", "100", 1);
    ck_assert_int_eq(partial(1, "list.bt", "p.bin", "--checkpoint-every 50"), 1);
    unsetenv("EVOTE_TEST_STOP_AFTER");
    ck_assert_int_ne(evt_sh("test -e %s/p.bin", D), 0);
    ck_assert_int_eq(evt_sh("grep -q 'run the same command again to resume' %s/log.txt", D), 0);
    /* the stopped run's checkpoint given to combine: refused as unfinished */
    ck_assert_int_eq(evt_sh("test -s %s/p.bin.ckpt", D), 0);
    ck_assert_int_eq(evt_sh("cd %s && %s decrypt combine --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --input list.bt --unmixed "
                            "--partial p.bin.ckpt --out d.json 2>err.txt",
                            D, evt_cli()),
                     1);
    ck_assert_int_eq(evt_sh("grep -q 'EVOTE_ERR_CHECKPOINT.*p.bin.ckpt is an unfinished "
                            "partial-decryption checkpoint: finish or remove it' %s/err.txt",
                            D),
                     0);
    ck_assert_int_ne(evt_sh("test -e %s/d.json", D), 0);
    ck_assert_int_eq(partial(1, "list.bt", "p.bin", "--checkpoint-every 50"), 0);
    ck_assert_int_eq(evt_sh("cmp -s %s/p.bin %s/ref.bin", D, D), 0);
    evt_rmrf(D);
}
END_TEST

static int confirm(int i, const char *dec, const char *parts, const char *rnd) {
    return evt_sh("cd %s && printf '%%s' '%s' | %s confirm --manifest manifest.json --record "
                  "record.json --contest proportional-tokyo --input list.bt --decryption %s "
                  "%s --query-out q.der --trustee T%d --token t%d > confirm%d.txt 2>&1",
                  D, rnd, evt_cli(), dec, parts, i, i, i);
}

/* Change plaintext j of a decryption file to another option's point. */
static void edit_plaintext(const char *name, size_t j) {
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", D, name);
    evote_decryption_t d;
    evote_manifest_t *m = NULL;
    char mp[512];
    snprintf(mp, sizeof(mp), "%s/manifest.json", D);
    ck_assert_int_eq(evote_manifest_load(&m, mp), EVOTE_OK);
    ck_assert_int_eq(evote_decryption_read(&d, p, m), EVOTE_OK);
    evote_manifest_free(m);
    ck_assert_uint_ne(d.selection[j], EVOTE_SELECTION_INVALID);
    uint32_t sel = (d.selection[j] + 1) % 4;
    ck_assert_int_eq(evote_selection_encode(sel, d.plaintext[j]), EVOTE_OK);
    d.selection[j] = sel;
    ck_assert_int_eq(evote_decryption_write(&d, p), EVOTE_OK);
    evote_decryption_clear(&d);
}

static const char *RND = "3f8a 91c2 77e0 1b4d 5a6c 0e9f 2d8b 6c1a 4e7f 9a0b";

START_TEST(test_confirm_two_trustees_and_pkcs11_tool) {
    tokens_setup();
    keys_setup(2);
    uint32_t *w = make_list(12, "list.bt");
    free(w);
    ck_assert_int_eq(partial(1, "list.bt", "p1.bin", ""), 0);
    ck_assert_int_eq(partial(2, "list.bt", "p2.bin", ""), 0);
    ck_assert_int_eq(evt_sh("cd %s && %s decrypt combine --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --input list.bt --unmixed "
                            "--partial p1.bin --partial p2.bin --out d.json >/dev/null",
                            D, evt_cli()),
                     0);
    const char *parts = "--partial p1.bin --partial p2.bin";
    ck_assert_int_eq(confirm(1, "d.json", parts, RND), 0);
    ck_assert_int_eq(evt_sh("grep -qx CONFIRMED %s/confirm1.txt", D), 0);
    ck_assert_int_eq(confirm(2, "d.json", parts, RND), 0);
    ck_assert_int_eq(evt_sh("grep -qx CONFIRMED %s/confirm2.txt", D), 0);
    /* dice rolls work too; too little randomness is refused */
    ck_assert_int_eq(confirm(1, "d.json", parts, "1234 5612 hello 3456"), 1);
    ck_assert_int_eq(evt_sh("grep -q 'only hex digits or only dice' %s/confirm1.txt", D), 0);
    ck_assert_int_eq(confirm(1, "d.json", parts,
                             "3141526535 1234561234 6543216543 2112345665 4321123456 "
                             "1212121212"),
                     0);
    ck_assert_int_eq(confirm(1, "d.json", parts, "abcd"), 1);
    ck_assert_int_eq(evt_sh("grep -q 'at least' %s/confirm1.txt", D), 0);

    /* the observer repeats the derive with pkcs11-tool and compares */
    ck_assert_int_eq(confirm(1, "d.json", parts, RND), 0);
    ck_assert_int_eq(
        evt_sh("cd %s && pkcs11-tool --module %s --token-label t1 --login --pin %s --derive "
               "-m ECDH1-DERIVE --label evote-trustee-T1 -i q.der -o x.bin >/dev/null 2>&1",
               D, evt_module(), EVT_PIN),
        0);
    ck_assert_int_eq(evt_sh("cd %s && x=$(od -An -tx1 -v x.bin | tr -d ' \\n') && "
                            "grep -q \"trustee T1: expected x = $x\" confirm1.txt",
                            D),
                     0);

    /* one changed plaintext: FAILED (the parts no longer add up) */
    edit_plaintext("d.json", 5);
    ck_assert_int_eq(confirm(1, "d.json", parts, RND), 1);
    ck_assert_int_eq(evt_sh("grep -qx FAILED %s/confirm1.txt", D), 0);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_confirm_single_trustee_changed_plaintext) {
    tokens_setup();
    keys_setup(1);
    uint32_t *w = make_list(10, "list.bt");
    free(w);
    ck_assert_int_eq(partial(1, "list.bt", "p1.bin", ""), 0);
    ck_assert_int_eq(evt_sh("cd %s && %s decrypt combine --manifest manifest.json --record "
                            "record.json --contest proportional-tokyo --input list.bt --unmixed "
                            "--partial p1.bin --out d.json >/dev/null",
                            D, evt_cli()),
                     0);
    /* without partial files the parts come from the plaintexts themselves */
    ck_assert_int_eq(confirm(1, "d.json", "", RND), 0);
    ck_assert_int_eq(evt_sh("grep -qx CONFIRMED %s/confirm1.txt", D), 0);
    edit_plaintext("d.json", 7);
    ck_assert_int_eq(confirm(1, "d.json", "", RND), 1);
    ck_assert_int_eq(evt_sh("grep -qx FAILED %s/confirm1.txt", D), 0);
    ck_assert_int_eq(evt_sh("grep -q EVOTE_ERR_CONFIRM_FAILED %s/confirm1.txt", D), 0);
    evt_rmrf(D);
}
END_TEST

int main(void) {
    Suite *s = suite_create("ceremony_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_two_trustees_end_to_end);
    tcase_add_test(tc, test_tampered_key_share_refused);
    tcase_add_test(tc, test_pin_and_token_errors);
    tcase_add_test(tc, test_sigkill_resume_matches_uninterrupted);
    tcase_add_test(tc, test_lost_session_resumes);
    tcase_add_test(tc, test_refuses_list_without_mix_chain);
    tcase_add_test(tc, test_decrypts_only_verified_mix_output);
    tcase_add_test(tc, test_confirm_two_trustees_and_pkcs11_tool);
    tcase_add_test(tc, test_confirm_single_trustee_changed_plaintext);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
