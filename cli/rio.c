#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rio.h"

evote_err_t rio_read_file(const char *path, size_t max, uint8_t **out, size_t *len) {
    *out = NULL;
    *len = 0;
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "evote: %s: %s\n", path, strerror(errno));
        return EVOTE_ERR_IO;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    evote_err_t ret = EVOTE_OK;
    if (buf == NULL) {
        ret = EVOTE_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                fprintf(stderr, "evote: %s: larger than %zu bytes\n", path, max);
                ret = EVOTE_ERR_TOO_LARGE;
                goto out;
            }
            uint8_t *nb = realloc(buf, cap * 2 + 1);
            if (nb == NULL) {
                ret = EVOTE_ERR_NOMEM;
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "evote: %s: %s\n", path, strerror(errno));
            ret = EVOTE_ERR_IO;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        fprintf(stderr, "evote: %s: larger than %zu bytes\n", path, max);
        ret = EVOTE_ERR_TOO_LARGE;
        goto out;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return ret;
}

evote_err_t rio_write_atomic(const char *path, const void *data, size_t len) {
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return EVOTE_ERR_ARG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "evote: %s: %s\n", tmp, strerror(errno));
        return EVOTE_ERR_IO;
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    if (left != 0 || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "evote: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return EVOTE_ERR_IO;
    }
    return EVOTE_OK;
}
