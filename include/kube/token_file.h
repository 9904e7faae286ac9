/* token_file: a bearer token read from a file and read again whenever the file changes,
 * as the kubelet rotates projected service-account tokens under a running pod. */
#ifndef SVCLINK_KUBE_TOKEN_FILE_H
#define SVCLINK_KUBE_TOKEN_FILE_H

#include <time.h>

/* Owns path and token; the token is a secret, wiped when replaced or freed. */
typedef struct {
    char *path;
    char *token;            /* the last good token, or NULL before the first good read */
    struct timespec mtime;  /* of the file the token was read from */
} token_file;

#define TOKEN_FILE_MAX 16384

/* Reads the token from path. 0, or -1 when out of memory or the file gives no token (err
 * says which). t is ready for token_file_free either way. */
int token_file_open(token_file *t, const char *path, char *err, size_t errlen);
/* The current token: read again when the file's mtime changed. A file that cannot be read
 * or is empty keeps the last good token (the server says when it is no longer valid). */
const char *token_file_current(token_file *t);
void token_file_free(token_file *t);

#endif
