/*
 * libevote — decryption accepts only the whole, verified output of a mix
 * chain. Built against the mix-net module's declared API
 * (include/evote/mix.h); a build without that module refuses every list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evote/trustee.h"
#include "internal.h"

#if defined(__has_include)
#if __has_include("evote/mix.h")
#include "evote/mix.h"
#define EVOTE_HAVE_MIX 1
#endif
#endif

evote_err_t evote_decrypt_check_mix_output(const evote_manifest_t *m, const char *contest_id,
                                           const uint8_t pk[EVOTE_POINT_LEN],
                                           const char *chain_dir, const evote_ct_t *box_in,
                                           size_t box_n, const evote_ct_t *list, size_t n) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(m != NULL && contest_id != NULL && pk != NULL && chain_dir != NULL &&
               list != NULL && n > 0,
           EVOTE_ERR_ARG, "mix output check: bad argument");
#ifdef EVOTE_HAVE_MIX
    {
        evote_mix_params_t *params = NULL;
        evote_ct_t *final = NULL;
        size_t final_n = 0;
        evote_mix_report_t rep;
        char path[4200], want[EVOTE_MIX_SID_MAX + 1];
        size_t ci;
        memset(&rep, 0, sizeof(rep));
        GUARD(evote_manifest_contest_index(m, contest_id, &ci));
        snprintf(path, sizeof(path), "%s/protInfo.xml", chain_dir);
        evote_err_t e = evote_mix_params_read(&params, path);
        if (e == EVOTE_OK)
            e = evote_mix_sid(want, evote_manifest_election_id(m), contest_id);
        if (e == EVOTE_OK && strcmp(evote_mix_params_sid(params), want) != 0)
            e = evote_fail(EVOTE_ERR_NOT_MIX_OUTPUT,
                           "the mix chain in %s is of another election or contest", chain_dir);
        if (e == EVOTE_OK)
            e = evote_mix_verify_dir(params, chain_dir, pk, box_in, box_n, NULL, &rep, &final,
                                     &final_n);
        evote_mix_params_free(params);
        if (e != EVOTE_OK) {
            ret = evote_fail(EVOTE_ERR_NOT_MIX_OUTPUT,
                             "the mix chain in %s does not verify (%s: %s)", chain_dir,
                             evote_err_name(e), evote_err_detail());
            free(final);
            goto out;
        }
        if (final_n != n) {
            free(final);
            ENSURE(0, EVOTE_ERR_NOT_MIX_OUTPUT,
                   "the list has %zu ciphertexts, the mix's final output %zu", n, final_n);
        }
        for (size_t j = 0; j < n; j++)
            if (memcmp(&final[j], &list[j], sizeof(evote_ct_t)) != 0) {
                free(final);
                ENSURE(0, EVOTE_ERR_NOT_MIX_OUTPUT,
                       "ciphertext %zu differs from the mix's final output", j);
            }
        free(final);
    }
#else
    (void)box_in;
    (void)box_n;
    ret = evote_fail(EVOTE_ERR_NOT_MIX_OUTPUT,
                     "this build has no mix-net module: cannot verify %s", chain_dir);
#endif
out:
    return ret;
}
