/*
 * Only the whole, verified final output of a mix chain is decrypted: a
 * subset, a re-ordered or edited list, the unmixed input, or another
 * contest's chain is refused with EVOTE_ERR_NOT_MIX_OUTPUT.
 * Runs a real one-party chain when the mix-net module is in the build;
 * without it every list must be refused.
 */
#include <stdlib.h>
#include <string.h>

#include "ceremony_testutil.h"
#include "internal.h"
#include "testutil.h"

#if defined(__has_include)
#if __has_include("evote/mix.h")
#include "evote/mix.h"
#define HAVE_MIX 1
#endif
#endif

static evote_manifest_t *manifest(const char *dir) {
    char p[512];
    snprintf(p, sizeof(p), "%s/manifest.json", dir);
    evt_write_manifest(p, "mixcheck");
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_load(&m, p), EVOTE_OK);
    return m;
}

#ifdef HAVE_MIX
START_TEST(test_only_final_output) {
    char dir[256], chain[512], other[512];
    evt_tmpdir(dir, sizeof(dir));
    evote_manifest_t *m = manifest(dir);
    evt_softkey_t k;
    evt_softkey_init(&k);
    enum { N = 6 };
    evote_ct_t in[N];
    for (int j = 0; j < N; j++)
        evt_encrypt(&in[j], k.pk, (uint32_t)(j % 4));
    snprintf(chain, sizeof(chain), "%s/chain", dir);
    snprintf(other, sizeof(other), "%s/other", dir);
    evote_mix_params_t *pp = NULL, *po = NULL;
    ck_assert_int_eq(evote_mix_params_new(&pp, "mixcheck", "proportional-tokyo", 1), EVOTE_OK);
    ck_assert_int_eq(evote_mix_run(pp, k.pk, in, N, 1, chain, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_mix_params_new(&po, "mixcheck", "district-tokyo-1", 1), EVOTE_OK);
    ck_assert_int_eq(evote_mix_run(po, k.pk, in, N, 1, other, NULL), EVOTE_OK);
    evote_ct_t *fin = NULL;
    size_t fn = 0;
    evote_mix_report_t rep;
    ck_assert_int_eq(evote_mix_verify_dir(pp, chain, k.pk, in, N, NULL, &rep, &fin, &fn),
                     EVOTE_OK);
    ck_assert_uint_eq(fn, N);
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, chain, in, N,
                                                    fin, N),
                     EVOTE_OK);
    /* a subset */
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, chain, in, N,
                                                    fin, N - 1),
                     EVOTE_ERR_NOT_MIX_OUTPUT);
    /* re-ordered */
    evote_ct_t t = fin[0];
    fin[0] = fin[1];
    fin[1] = t;
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, chain, in, N,
                                                    fin, N),
                     EVOTE_ERR_NOT_MIX_OUTPUT);
    fin[1] = fin[0];
    fin[0] = t;
    /* the unmixed input */
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, chain, in, N,
                                                    in, N),
                     EVOTE_ERR_NOT_MIX_OUTPUT);
    /* another contest's chain */
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, other, in, N,
                                                    fin, N),
                     EVOTE_ERR_NOT_MIX_OUTPUT);
    /* a chain that starts from other ciphertexts than the box's */
    evote_ct_t box[N];
    memcpy(box, in, sizeof(box));
    evt_encrypt(&box[2], k.pk, 0);
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, chain, box,
                                                    N, fin, N),
                     EVOTE_ERR_NOT_MIX_OUTPUT);
    free(fin);
    evote_mix_params_free(pp);
    evote_mix_params_free(po);
    evt_softkey_clear(&k);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST
#else
START_TEST(test_without_mix_module_refuses) {
    char dir[256];
    evt_tmpdir(dir, sizeof(dir));
    evote_manifest_t *m = manifest(dir);
    evt_softkey_t k;
    evt_softkey_init(&k);
    evote_ct_t ct;
    evt_encrypt(&ct, k.pk, 0);
    ck_assert_int_eq(evote_decrypt_check_mix_output(m, "proportional-tokyo", k.pk, dir, NULL, 0,
                                                    &ct, 1),
                     EVOTE_ERR_NOT_MIX_OUTPUT);
    evt_softkey_clear(&k);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST
#endif

int main(void) {
    Suite *s = suite_create("mixcheck");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
#ifdef HAVE_MIX
    tcase_add_test(tc, test_only_final_output);
#else
    tcase_add_test(tc, test_without_mix_module_refuses);
#endif
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
