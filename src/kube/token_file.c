/* token_file: re-reads a token file when its mtime changes, keeping the last good token
 * when a read fails. Never logs the token; wipes every copy it drops. */
#include "kube/token_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/text.h"

/* The file's token with trailing newlines and spaces trimmed, or NULL (unreadable or empty). */
static char *token_file_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, TOKEN_FILE_MAX + 1);
    size_t n = buf != NULL ? fread(buf, 1, TOKEN_FILE_MAX, f) : 0;
    fclose(f);
    if (buf == NULL)
        return NULL;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

const char *token_file_current(token_file *t)
{
    struct stat st;
    if (t->path == NULL || stat(t->path, &st) != 0)
        return t->token;
    if (t->token != NULL && st.st_mtim.tv_sec == t->mtime.tv_sec && st.st_mtim.tv_nsec == t->mtime.tv_nsec)
        return t->token;
    char *fresh = token_file_read(t->path);
    if (fresh != NULL) {
        text_wipe_free(t->token);
        t->token = fresh;
        t->mtime = st.st_mtim;
    }
    return t->token;
}

int token_file_open(token_file *t, const char *path, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->path = strdup(path);
    if (t->path == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (token_file_current(t) == NULL) {
        snprintf(err, errlen, "cannot read the token file %s (missing, unreadable or empty)", path);
        return -1;
    }
    return 0;
}

void token_file_free(token_file *t)
{
    text_wipe_free(t->token);
    free(t->path);
    memset(t, 0, sizeof *t);
}
