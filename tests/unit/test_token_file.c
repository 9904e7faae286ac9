/* Unit tests for token_file: trimmed on read, read again only when the file changes, the
 * last good token kept when the file goes missing or empty, and a clear error at open. */
#include "kube/token_file.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void token_write(const char *path, const char *text, long sec)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
    struct timespec times[2] = {{sec, 0}, {sec, 0}};
    utimensat(AT_FDCWD, path, times, 0);
}

UNIT_TEST(token_file_rotation)
{
    char dir[] = "/tmp/svclink-token-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = unit_fmt("%s/token", dir);
    char err[256] = "";
    token_file t;
    CHECK(token_file_open(&t, path, err, sizeof err) == -1);
    CHECK(strstr(err, path) != NULL);
    token_file_free(&t);

    token_write(path, "first\n", 1000);
    CHECK(token_file_open(&t, path, err, sizeof err) == 0);
    CHECK_STR_EQ(token_file_current(&t), "first");
    token_write(path, "second \r\n", 2000);
    CHECK_STR_EQ(token_file_current(&t), "second");
    token_write(path, "\n", 3000);
    CHECK_STR_EQ(token_file_current(&t), "second");
    token_write(path, "third", 4000);
    CHECK_STR_EQ(token_file_current(&t), "third");
    unlink(path);
    CHECK_STR_EQ(token_file_current(&t), "third");
    token_file_free(&t);
    CHECK(t.token == NULL && t.path == NULL);

    token_write(path, "", 5000);
    CHECK(token_file_open(&t, path, err, sizeof err) == -1);
    token_file_free(&t);
    unlink(path);
    rmdir(dir);
    free(path);
}
