/* libevote — hex, whole-file reads and atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"

void evote_hex(char *out, const uint8_t *in, size_t len) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

evote_err_t evote_unhex(uint8_t *out, size_t len, const char *hex) {
    if (out == NULL || hex == NULL)
        return evote_fail(EVOTE_ERR_ARG, "unhex: bad argument");
    if (strlen(hex) != 2 * len)
        return evote_fail(EVOTE_ERR_FORMAT, "expected %zu hex digits, got %zu",
                          2 * len, strlen(hex));
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return evote_fail(EVOTE_ERR_FORMAT, "not a hex digit at %zu", 2 * i);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return EVOTE_OK;
}

evote_err_t evote_read_file(const char *path, size_t max, uint8_t **out,
                            size_t *len) {
    evote_err_t ret = EVOTE_OK;
    FILE *f = NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;

    ENSURE(path != NULL && out != NULL && len != NULL, EVOTE_ERR_ARG,
           "read file: bad argument");
    *out = NULL;
    *len = 0;
    f = fopen(path, "rb");
    ENSURE(f != NULL, errno == ENOENT ? EVOTE_ERR_NOT_FOUND : EVOTE_ERR_IO,
           "%s: %s", path, strerror(errno));
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, ncap);
            ALLOC_GUARD(nb);
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        ENSURE(n <= max, EVOTE_ERR_TOO_LARGE, "%s: larger than %zu bytes", path,
               max);
        if (got == 0) {
            ENSURE(!ferror(f), EVOTE_ERR_IO, "%s: read error", path);
            break;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (f != NULL)
        fclose(f);
    return ret;
}

evote_err_t evote_sha256_file(const char *path, uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    FILE *f = NULL;
    EVP_MD_CTX *md = NULL;
    uint8_t buf[65536];
    unsigned int n = 0;

    ENSURE(path != NULL && out != NULL, EVOTE_ERR_ARG, "sha256 file: bad argument");
    f = fopen(path, "rb");
    ENSURE(f != NULL, errno == ENOENT ? EVOTE_ERR_NOT_FOUND : EVOTE_ERR_IO,
           "%s: %s", path, strerror(errno));
    ALLOC_GUARD(md = EVP_MD_CTX_new());
    OSSL_GUARD(EVP_DigestInit_ex(md, EVP_sha256(), NULL));
    for (;;) {
        size_t got = fread(buf, 1, sizeof(buf), f);
        if (got > 0)
            OSSL_GUARD(EVP_DigestUpdate(md, buf, got));
        if (got < sizeof(buf)) {
            ENSURE(!ferror(f), EVOTE_ERR_IO, "%s: read error", path);
            break;
        }
    }
    OSSL_GUARD(EVP_DigestFinal_ex(md, out, &n));
out:
    EVP_MD_CTX_free(md);
    if (f != NULL)
        fclose(f);
    return ret;
}

static evote_err_t fsync_dir_of(const char *path) {
    char *copy = strdup(path);
    if (copy == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0)
        return evote_fail(EVOTE_ERR_IO, "open directory of %s: %s", path,
                          strerror(errno));
    int rc = fsync(fd);
    close(fd);
    if (rc != 0)
        return evote_fail(EVOTE_ERR_IO, "fsync directory of %s: %s", path,
                          strerror(errno));
    return EVOTE_OK;
}

/* ---- files written atomically, whole or as a stream ---------------------------- */

struct evote_afile {
    char *path, *tmp;
    int fd;
    bool exclusive;
    uint64_t end; /* where evote_afile_write appends */
};

void evote_afile_abort(evote_afile_t *f) {
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp != NULL) {
        unlink(f->tmp);
        free(f->tmp);
    }
    free(f->path);
    free(f);
}

evote_err_t evote_afile_open(evote_afile_t **out, const char *path, bool exclusive,
                             bool private_) {
    evote_err_t ret = EVOTE_OK;
    evote_afile_t *f = NULL;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "write file: bad argument");
    *out = NULL;
    if (exclusive && access(path, F_OK) == 0) {
        ret = evote_fail(EVOTE_ERR_EXISTS, "%s already exists", path);
        goto out;
    }
    ALLOC_GUARD(f = calloc(1, sizeof(*f)));
    f->fd = -1;
    f->exclusive = exclusive;
    ALLOC_GUARD(f->path = strdup(path));
    size_t tl = strlen(path) + 16;
    ALLOC_GUARD(f->tmp = malloc(tl));
    snprintf(f->tmp, tl, "%s.tmp.XXXXXX", path);
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        ret = evote_fail(EVOTE_ERR_IO, "%s: %s", f->tmp, strerror(errno));
        free(f->tmp); /* nothing was created */
        f->tmp = NULL;
        goto out;
    }
    ENSURE(fchmod(f->fd, private_ ? 0600 : 0644) == 0, EVOTE_ERR_IO, "chmod %s: %s",
           f->tmp, strerror(errno));
    *out = f;
    f = NULL;
out:
    evote_afile_abort(f);
    return ret;
}

evote_err_t evote_afile_write(evote_afile_t *f, const void *data, size_t len) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(f != NULL, EVOTE_ERR_ARG, "write file: bad argument");
    GUARD(evote_afile_pwrite(f, data, len, f->end));
    f->end += len;
out:
    return ret;
}

evote_err_t evote_afile_pwrite(evote_afile_t *f, const void *data, size_t len,
                               uint64_t off) {
    evote_err_t ret = EVOTE_OK;
    const uint8_t *p = data;
    ENSURE(f != NULL && f->fd >= 0 && (data != NULL || len == 0) && off <= INT64_MAX,
           EVOTE_ERR_ARG, "write file: bad argument");
    while (len > 0) {
        ssize_t w = pwrite(f->fd, p, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        ENSURE(w > 0, EVOTE_ERR_IO, "write %s: %s", f->tmp, strerror(errno));
        p += w;
        off += (uint64_t)w;
        len -= (size_t)w;
    }
out:
    return ret;
}

int evote_afile_fd(const evote_afile_t *f) {
    return f != NULL ? f->fd : -1;
}

evote_err_t evote_afile_commit(evote_afile_t *f) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(f != NULL && f->fd >= 0, EVOTE_ERR_ARG, "write file: bad argument");
    ENSURE(fsync(f->fd) == 0, EVOTE_ERR_IO, "fsync %s: %s", f->tmp, strerror(errno));
    int rc = close(f->fd);
    f->fd = -1;
    ENSURE(rc == 0, EVOTE_ERR_IO, "close %s: %s", f->tmp, strerror(errno));
    if (f->exclusive) {
        /* link() fails if path appeared meanwhile: no silent overwrite. */
        ENSURE(link(f->tmp, f->path) == 0, errno == EEXIST ? EVOTE_ERR_EXISTS : EVOTE_ERR_IO,
               "%s: %s", f->path, strerror(errno));
        unlink(f->tmp);
    } else {
        ENSURE(rename(f->tmp, f->path) == 0, EVOTE_ERR_IO, "rename to %s: %s", f->path,
               strerror(errno));
    }
    free(f->tmp);
    f->tmp = NULL;
    ret = fsync_dir_of(f->path);
out:
    evote_afile_abort(f);
    return ret;
}

evote_err_t evote_write_file_atomic(const char *path, const void *data,
                                    size_t len, bool exclusive, bool private_) {
    evote_err_t ret = EVOTE_OK;
    evote_afile_t *f = NULL;
    ENSURE(path != NULL && (data != NULL || len == 0), EVOTE_ERR_ARG,
           "write file: bad argument");
    GUARD(evote_afile_open(&f, path, exclusive, private_));
    GUARD(evote_afile_write(f, data, len));
    ret = evote_afile_commit(f);
    f = NULL;
out:
    evote_afile_abort(f);
    return ret;
}
