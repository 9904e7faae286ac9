/* kcfg_file: the files a kubeconfig may name (trusted mode) and the in-cluster ones, read
 * whole and bounded; errors name the field and the path, never the contents. */
#include "kubeconfig/kcfg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubeconfig/kcfg_err.h"

char *kcfg_file_join(const char *base_dir, const char *path)
{
    if (path[0] == '/' || base_dir == NULL || base_dir[0] == '\0')
        return strdup(path);
    size_t n = strlen(base_dir) + strlen(path) + 2;
    char *joined = malloc(n);
    if (joined != NULL)
        snprintf(joined, n, "%s/%s", base_dir, path);
    return joined;
}

static int kcfg_file_fail(kcfg_error *err, kcfg_err_kind kind, const char *where, const char *what, const char *path,
                      const char *problem)
{
    char shown[KCFG_ERR_NAME_BUF];
    return KCFG_ERR_FAIL(err, kind, "%s%scannot read %s \"%s\": %s", where != NULL ? where : "", where != NULL ? ": " : "",
                     what, kcfg_err_show(path, shown), problem);
}

/* Only regular files: a FIFO or device could block or never end. */
int kcfg_file_read(const char *path, const char *where, const char *what, uint8_t **out, size_t *out_len,
               kcfg_error *err)
{
    struct stat st;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kcfg_file_fail(err, KCFG_ERR_IO, where, what, path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return kcfg_file_fail(err, KCFG_ERR_IO, where, what, path, "not a regular file");
    }
    if (st.st_size > (off_t)KCFG_MAX_DOC_BYTES) {
        close(fd);
        return kcfg_file_fail(err, KCFG_ERR_LIMIT, where, what, path, "larger than 1 MiB");
    }
    size_t cap = (size_t)st.st_size, len = 0;
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL) {
        close(fd);
        return kcfg_err_nomem(err);
    }
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            free(buf);
            return kcfg_file_fail(err, KCFG_ERR_IO, where, what, path, strerror(saved));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* The token file is re-read by the client as it rotates; here it must merely exist. */
int kcfg_file_check(const char *path, const char *where, const char *what, kcfg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kcfg_file_fail(err, KCFG_ERR_IO, where, what, path, strerror(errno));
    close(fd);
    return 0;
}
