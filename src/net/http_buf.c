/* http_buf: the API client's growable byte buffer; every byte it gives up (grown
 * out of, reset, truncated, freed) is wiped first, as requests carry bearer tokens. */
#include "net/http_buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/text.h"

void http_buf_init(http_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Grows by moving to a new block rather than realloc, so no stale copy of a token is
 * left behind in freed memory. */
static int http_buf_reserve(http_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap < 256 ? 256 : b->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *data = malloc(cap);
    if (data == NULL)
        return -1;
    if (b->data != NULL) {
        memcpy(data, b->data, b->len);
        text_wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

int http_buf_append(http_buf *b, const void *data, size_t n)
{
    if (http_buf_reserve(b, n) < 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int http_buf_puts(http_buf *b, const char *s)
{
    return http_buf_append(b, s, strlen(s));
}

void http_buf_truncate(http_buf *b, size_t len)
{
    if (b->data == NULL || len >= b->len)
        return;
    text_wipe(b->data + len, b->len - len);
    b->len = len;
}

void http_buf_reset(http_buf *b)
{
    http_buf_truncate(b, 0);
}

void http_buf_free(http_buf *b)
{
    if (b->data != NULL) {
        text_wipe(b->data, b->cap);
        free(b->data);
    }
    http_buf_init(b);
}
