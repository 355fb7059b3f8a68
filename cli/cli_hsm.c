/* evote CLI — opening a token with a PIN that never touches argv. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_hsm.h"

int cli_open_token(const char *module, const char *label, const char *pin_file,
                   unsigned nsessions, evote_hsm_t **out) {
    char pin[256], prompt[96];
    size_t len = 0;
    evote_err_t rv;

    *out = NULL;
    snprintf(prompt, sizeof(prompt), "User PIN for token \"%s\": ", label);
    rv = cli_read_pin(pin_file, "EVOTE_PIN", prompt, pin, sizeof(pin), &len);
    if (rv != EVOTE_OK) {
        evote_wipe(pin, sizeof(pin));
        fprintf(stderr, "evote: no user PIN for token \"%s\": give --pin-file FILE, set "
                        "EVOTE_PIN, or run on a terminal [EVOTE_ERR_PIN_SOURCE]\n",
                label);
        return 1;
    }
    rv = evote_hsm_open(out, cli_module_path(module), label, pin, len, nsessions);
    evote_wipe(pin, sizeof(pin));
    if (rv != EVOTE_OK)
        return cli_fail(rv, "token");
    return 0;
}

bool cli_parse_count(const char *s, unsigned long max, unsigned long *out) {
    char *end;
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > max)
        return false;
    *out = v;
    return true;
}
