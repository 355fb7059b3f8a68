/* evote CLI — error printing, PIN input, module discovery. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

int cli_fail(evote_err_t err, const char *what) {
    const char *detail = evote_err_detail();
    cli_audit_note_error(err, detail); /* the audit entry records the failure */
    if (detail != NULL && detail[0] != '\0')
        fprintf(stderr, "evote: %s: %s [%s] (%s)\n", what, evote_strerror(err),
                evote_err_name(err), detail);
    else
        fprintf(stderr, "evote: %s: %s [%s]\n", what, evote_strerror(err),
                evote_err_name(err));
    return 1;
}

bool cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

static void strip_newline(char *buf, size_t *len) {
    while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
        buf[--*len] = '\0';
}

static evote_err_t read_pin_file(const char *path, char *buf, size_t cap,
                                 size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "evote: PIN file %s: %s\n", path, strerror(errno));
        return EVOTE_ERR_PIN_SOURCE;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == cap - 1)
            break;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    strip_newline(buf, len);
    return *len > 0 ? EVOTE_OK : EVOTE_ERR_PIN_SOURCE;
}

static evote_err_t read_pin_tty(const char *prompt, char *buf, size_t cap,
                                size_t *len) {
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return EVOTE_ERR_PIN_SOURCE;
    struct termios old, quiet;
    bool restore = false;
    if (tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* nothing useful to do: the read below still works */
    }
    size_t n = 0;
    char c;
    while (n < cap - 1) {
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n')
            break;
        buf[n++] = c;
    }
    buf[n] = '\0';
    c = 0;
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* ignore */
    }
    close(fd);
    *len = n;
    strip_newline(buf, len);
    return *len > 0 ? EVOTE_OK : EVOTE_ERR_PIN_SOURCE;
}

evote_err_t cli_read_pin(const char *pin_file, const char *env_name,
                         const char *prompt, char *buf, size_t cap, size_t *len) {
    if (buf == NULL || cap < 2 || len == NULL)
        return EVOTE_ERR_ARG;
    *len = 0;
    buf[0] = '\0';
    if (pin_file != NULL)
        return read_pin_file(pin_file, buf, cap, len);
    const char *env = getenv(env_name != NULL ? env_name : "EVOTE_PIN");
    if (env != NULL && env[0] != '\0') {
        size_t n = strlen(env);
        if (n >= cap)
            return EVOTE_ERR_PIN_SOURCE;
        memcpy(buf, env, n + 1);
        *len = n;
        return EVOTE_OK;
    }
    evote_err_t ret = read_pin_tty(prompt != NULL ? prompt : "PIN: ", buf, cap, len);
    if (ret != EVOTE_OK)
        fprintf(stderr, "evote: no PIN: use --pin-file FILE, set %s, or run on a "
                        "terminal\n",
                env_name != NULL ? env_name : "EVOTE_PIN");
    return ret;
}

const char *cli_module_path(const char *opt) {
    if (opt != NULL)
        return opt;
    const char *env = getenv("EVOTE_PKCS11_MODULE");
    if (env != NULL && env[0] != '\0')
        return env;
    return EVOTE_DEFAULT_PKCS11_MODULE;
}
