/* http_buf: the growable byte buffer of the API client (requests, response bytes,
 * query strings); what it gives up is wiped, since requests carry bearer tokens. */
#ifndef SVCLINK_NET_HTTP_BUF_H
#define SVCLINK_NET_HTTP_BUF_H

#include <stddef.h>

/* A growable byte buffer owned by whoever declared it. Because requests carry bearer
 * tokens, growing, resetting and freeing wipe the bytes they give up. */
typedef struct {
    char *data; /* NUL-terminated after every successful call (not counted in len) */
    size_t len;
    size_t cap;
} http_buf;

void http_buf_init(http_buf *b);
/* Appends n bytes; 0, or -1 when out of memory or the size would overflow (b unchanged). */
int http_buf_append(http_buf *b, const void *data, size_t n);
/* Appends the NUL-terminated s, as http_buf_append. */
int http_buf_puts(http_buf *b, const char *s);
/* Drops everything after len, wiping it; nothing when len is not below b->len. */
void http_buf_truncate(http_buf *b, size_t len);
/* Empties b (wiping the old contents) and keeps its memory for reuse. */
void http_buf_reset(http_buf *b);
/* Wipes and releases b's memory; b is then empty and may be reused or freed again. */
void http_buf_free(http_buf *b);

#endif
