/* http_lines: splits a streamed HTTP body into lines as it arrives. A line that arrives
 * whole in one piece is handed on from the piece itself, without a copy. */
#include "net/http_lines.h"

#include <stdlib.h>
#include <string.h>

void http_lines_init(http_lines *s, size_t max, size_t keep)
{
    memset(s, 0, sizeof *s);
    s->max = max;
    s->keep = keep;
}

void http_lines_reset(http_lines *s)
{
    s->len = 0;
}

void http_lines_free(http_lines *s)
{
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

static http_lines_status http_lines_emit(const char *line, size_t len, http_lines_cb cb, void *arg)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return HTTP_LINES_OK;
    return cb(arg, line, len) == 0 ? HTTP_LINES_OK : HTTP_LINES_STOPPED;
}

/* Appends to the partial line, growing the buffer by doubling but never past max. */
static http_lines_status http_lines_append(http_lines *s, const char *data, size_t n)
{
    if (n > s->max - s->len)
        return HTTP_LINES_TOO_LONG;
    if (s->len + n > s->cap) {
        size_t cap = s->cap < 4096 ? 4096 : s->cap;
        while (cap < s->len + n)
            cap *= 2;
        if (cap > s->max)
            cap = s->max;
        char *grown = realloc(s->buf, cap);
        if (grown == NULL)
            return HTTP_LINES_NOMEM;
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return HTTP_LINES_OK;
}

/* Emits the buffered line. The buffer is detached first when it is to be released, so a
 * callback that frees the splitter leaves nothing to touch afterwards. */
static http_lines_status http_lines_emit_buffered(http_lines *s, http_lines_cb cb, void *arg)
{
    size_t whole = s->len;
    s->len = 0;
    if (s->cap <= s->keep)
        return http_lines_emit(s->buf, whole, cb, arg);
    char *big = s->buf;
    s->buf = NULL;
    s->cap = 0;
    http_lines_status st = http_lines_emit(big, whole, cb, arg);
    free(big);
    return st;
}

http_lines_status http_lines_feed(http_lines *s, const char *data, size_t len, http_lines_cb cb, void *arg)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        if (nl == NULL)
            return http_lines_append(s, data, len);
        size_t n = (size_t)(nl - data);
        http_lines_status st;
        if (s->len == 0) {
            st = n > s->max ? HTTP_LINES_TOO_LONG : http_lines_emit(data, n, cb, arg);
        } else {
            st = http_lines_append(s, data, n);
            if (st == HTTP_LINES_OK)
                st = http_lines_emit_buffered(s, cb, arg);
        }
        if (st != HTTP_LINES_OK)
            return st;
        data = nl + 1;
        len -= n + 1;
    }
    return HTTP_LINES_OK;
}

http_lines_status http_lines_finish(http_lines *s, http_lines_cb cb, void *arg)
{
    if (s->len == 0)
        return HTTP_LINES_OK;
    return http_lines_emit_buffered(s, cb, arg);
}
