/* http_response: HTTP/1.1 response heads for the API client: a line-at-a-time scan over the
 * caller's buffer that remembers where it stopped, so any split of the input works. */
#include "net/http_response.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "net/http_char.h"

static unsigned char http_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Case-insensitive comparison of p[0..n) with a lowercase literal. */
static bool http_token_is(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (http_lower((unsigned char)p[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* Copies a validated value into a fixed field, truncating, and replacing non-ASCII bytes
 * so that what lands in logs is plain text. */
static void http_copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c < 0x80 ? (char)c : '?';
    }
    dst[n] = '\0';
}

/* ---- response head ----------------------------------------------------------------- */

void http_response_init(http_response *r)
{
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

http_limits http_response_limits_default(void)
{
    http_limits lim = HTTP_LIMITS_DEFAULT;
    return lim;
}

__attribute__((format(printf, 2, 3))) static int http_head_fail(http_response *r,
                                                                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    r->failed_ = true;
    return -1;
}

/* "HTTP/1.x NNN reason", the reason being optional (with or without its space). */
static int http_parse_status_line(http_response *r, const char *p, size_t n)
{
    if (n < 12 || memcmp(p, "HTTP/", 5) != 0 || !http_char_is_digit((unsigned char)p[5]) ||
        p[6] != '.' || !http_char_is_digit((unsigned char)p[7]) || p[8] != ' ')
        return http_head_fail(r, "line 1: invalid status line (expected \"HTTP/1.x NNN reason\")");
    if (p[5] != '1')
        return http_head_fail(r, "line 1: unsupported HTTP version %c.%c", p[5], p[7]);
    r->minor_version = p[7] - '0';
    int status = 0;
    for (size_t i = 9; i < 12; i++) {
        if (!http_char_is_digit((unsigned char)p[i]))
            return http_head_fail(r, "line 1: invalid status line (status code is not 3 digits)");
        status = status * 10 + (p[i] - '0');
    }
    if (status < 100 || status > 599)
        return http_head_fail(r, "line 1: status code %d out of range 100-599", status);
    r->status = status;
    if (n == 12) {
        r->reason[0] = '\0';
        return 0;
    }
    if (p[12] != ' ')
        return http_head_fail(r, "line 1: invalid status line (no space after status code)");
    for (size_t i = 13; i < n; i++)
        if (!http_char_is_value_byte((unsigned char)p[i]))
            return http_head_fail(r, "line 1: control byte 0x%02x in reason phrase at column %zu",
                                  (unsigned char)p[i], i + 1);
    http_copy_text(r->reason, sizeof r->reason, p + 13, n - 13);
    return 0;
}

static int http_parse_content_length(http_response *r, size_t line, const char *v, size_t n)
{
    if (n == 0)
        return http_head_fail(r, "line %zu: empty Content-Length", line);
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (!http_char_is_digit((unsigned char)v[i]))
            return http_head_fail(r, "line %zu: invalid Content-Length (digits only)", line);
        unsigned d = (unsigned)(v[i] - '0');
        if (value > (UINT64_MAX - d) / 10)
            return http_head_fail(r, "line %zu: Content-Length overflows 64 bits", line);
        value = value * 10 + d;
    }
    if (r->has_content_length && r->content_length != value)
        return http_head_fail(r, "line %zu: conflicting Content-Length values %" PRIu64
                                 " and %" PRIu64, line, r->content_length, value);
    r->has_content_length = true;
    r->content_length = value;
    return 0;
}

/* Calls fn on each non-empty element of a comma-separated list, trimmed of OWS. */
typedef int (*http_list_fn)(http_response *r, size_t line, const char *e, size_t n);

static int http_each_list_element(http_response *r, size_t line, const char *v, size_t n,
                                  http_list_fn fn)
{
    size_t start = 0;
    while (start <= n) {
        size_t end = start;
        while (end < n && v[end] != ',')
            end++;
        size_t a = start, b = end;
        while (a < b && http_char_is_ows((unsigned char)v[a]))
            a++;
        while (b > a && http_char_is_ows((unsigned char)v[b - 1]))
            b--;
        if (b > a && fn(r, line, v + a, b - a) < 0)
            return -1;
        start = end + 1;
    }
    return 0;
}

static int http_transfer_coding(http_response *r, size_t line, const char *e, size_t n)
{
    if (!http_token_is(e, n, "chunked")) {
        char shown[33];
        http_copy_text(shown, sizeof shown, e, n);
        return http_head_fail(r, "line %zu: unsupported Transfer-Encoding \"%s\" (only chunked)",
                              line, shown);
    }
    if (r->chunked)
        return http_head_fail(r, "line %zu: Transfer-Encoding chunked given twice", line);
    r->chunked = true;
    return 0;
}

static int http_connection_option(http_response *r, size_t line, const char *e, size_t n)
{
    (void)line;
    if (http_token_is(e, n, "close"))
        r->connection_close_ = true;
    else if (http_token_is(e, n, "keep-alive"))
        r->connection_keep_alive_ = true;
    return 0;
}

/* Only delta-seconds are honoured: an HTTP date needs a clock we do not want to trust,
 * and anything unparsable is the same as no hint. Saturates rather than overflowing. */
static void http_parse_retry_after(http_response *r, const char *v, size_t n)
{
    int64_t value = 0;
    r->retry_after = -1;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!http_char_is_digit((unsigned char)v[i]))
            return;
        if (value < INT32_MAX)
            value = value * 10 + (v[i] - '0');
    }
    r->retry_after = value > INT32_MAX ? INT32_MAX : value;
}

static int http_parse_header_line(http_response *r, size_t line, const char *p, size_t n)
{
    if (http_char_is_ows((unsigned char)p[0]))
        return http_head_fail(r, "line %zu: obsolete line folding", line);
    size_t name_len = 0;
    while (name_len < n && http_char_is_tchar((unsigned char)p[name_len]))
        name_len++;
    if (name_len == 0 || name_len == n || p[name_len] != ':')
        return http_head_fail(r, "line %zu: invalid header name", line);
    size_t a = name_len + 1, b = n;
    while (a < b && http_char_is_ows((unsigned char)p[a]))
        a++;
    while (b > a && http_char_is_ows((unsigned char)p[b - 1]))
        b--;
    for (size_t i = a; i < b; i++)
        if (!http_char_is_value_byte((unsigned char)p[i]))
            return http_head_fail(r, "line %zu: control byte 0x%02x in header value at column %zu",
                                  line, (unsigned char)p[i], i + 1);
    const char *v = p + a;
    size_t vn = b - a;
    if (http_token_is(p, name_len, "content-length"))
        return http_parse_content_length(r, line, v, vn);
    if (http_token_is(p, name_len, "transfer-encoding")) {
        if (vn == 0)
            return http_head_fail(r, "line %zu: empty Transfer-Encoding", line);
        return http_each_list_element(r, line, v, vn, http_transfer_coding);
    }
    if (http_token_is(p, name_len, "connection"))
        return http_each_list_element(r, line, v, vn, http_connection_option);
    if (http_token_is(p, name_len, "content-type"))
        http_copy_text(r->content_type, sizeof r->content_type, v, vn);
    else if (http_token_is(p, name_len, "retry-after"))
        http_parse_retry_after(r, v, vn);
    return 0;
}

/* Handles one complete line (without its line ending). Returns 1 for the empty line
 * that ends the head, 0 for a line processed, -1 on error. */
static int http_head_line(http_response *r, const char *p, size_t n, const http_limits *lim)
{
    size_t line = r->lines_ + 1;
    if (n == 0) {
        if (r->lines_ == 0)
            return http_head_fail(r, "line 1: empty status line");
        return 1;
    }
    if (n > lim->line_max) {
        if (r->lines_ == 0)
            return http_head_fail(r, "status line longer than %zu bytes", lim->line_max);
        return http_head_fail(r, "header line %zu longer than %zu bytes", line, lim->line_max);
    }
    int rc;
    if (r->lines_ == 0) {
        rc = http_parse_status_line(r, p, n);
    } else {
        if (r->lines_ > lim->header_count_max)
            return http_head_fail(r, "line %zu: more than %zu header fields", line,
                                  lim->header_count_max);
        rc = http_parse_header_line(r, line, p, n);
        r->header_count = r->lines_;
    }
    if (rc < 0)
        return -1;
    r->lines_++;
    return 0;
}

/* Settles what depends on the whole head: framing conflicts and connection reuse. */
static int http_head_finish(http_response *r, size_t head_len)
{
    /* We never ask to upgrade; what follows a 101 would not be HTTP at all. */
    if (r->status == 101)
        return http_head_fail(r, "unexpected 101 Switching Protocols (no upgrade was requested)");
    if (r->chunked && r->minor_version == 0)
        return http_head_fail(r, "Transfer-Encoding in an HTTP/1.0 response");
    bool both = r->chunked && r->has_content_length;
    if (both) {
        /* RFC 9112 6.3: chunked wins; the peer may be confused, so do not reuse it. */
        r->has_content_length = false;
        r->content_length = 0;
    }
    r->close = r->connection_close_ || both ||
               (r->minor_version == 0 && !r->connection_keep_alive_);
    return (int)head_len;
}

int http_response_parse_head(http_response *r, const char *buf, size_t len, const http_limits *lim)
{
    http_limits defaults = HTTP_LIMITS_DEFAULT;
    if (lim == NULL)
        lim = &defaults;
    if (r->failed_)
        return -1;
    if (r->scan_pos_ > len)
        return http_head_fail(r, "input shrank from %zu to %zu bytes between calls",
                              r->scan_pos_, len);
    /* Never look past the head limit, nor past what the int return value can say. */
    size_t head_max = lim->head_max < (size_t)INT_MAX ? lim->head_max : (size_t)INT_MAX;
    size_t window = len < head_max ? len : head_max;
    size_t pos = r->scan_pos_;
    while (pos < window) {
        const char *nl = memchr(buf + pos, '\n', window - pos);
        if (nl == NULL) {
            pos = window;
            break;
        }
        size_t lf = (size_t)(nl - buf), end = lf;
        if (end > r->line_start_ && buf[end - 1] == '\r')
            end--;
        int rc = http_head_line(r, buf + r->line_start_, end - r->line_start_, lim);
        if (rc < 0)
            return -1;
        pos = lf + 1;
        r->line_start_ = pos;
        r->scan_pos_ = pos;
        if (rc == 1)
            return http_head_finish(r, pos);
    }
    r->scan_pos_ = pos;
    /* Fail on an over-long line as soon as it is certain, whatever the split. */
    size_t partial = pos - r->line_start_;
    if (partial > 0 && buf[pos - 1] == '\r')
        partial--;
    if (partial > lim->line_max) {
        if (r->lines_ == 0)
            return http_head_fail(r, "status line longer than %zu bytes", lim->line_max);
        return http_head_fail(r, "header line %zu longer than %zu bytes", r->lines_ + 1,
                              lim->line_max);
    }
    if (len >= head_max)
        return http_head_fail(r, "response head larger than %zu bytes", head_max);
    return -2;
}
