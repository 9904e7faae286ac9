/* http: HTTP/1.1 response heads, body framing and requests for the API client. Every
 * parser here is a byte-at-a-time state machine over caller buffers, so any split works. */
#include "http.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "txt.h"

/* ---- shared helpers ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void http_format(char *dst, size_t cap,
                                                               const char *fmt, ...)
{
    if (dst == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/* RFC 9110 tchar: the bytes a method, header name or coding name may use. */
static bool http_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A byte allowed inside a field value or reason phrase: HTAB, SP, VCHAR, obs-text. */
static bool http_is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool http_is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool http_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

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

http_limits http_limits_default(void)
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
    if (n < 12 || memcmp(p, "HTTP/", 5) != 0 || !http_is_digit((unsigned char)p[5]) ||
        p[6] != '.' || !http_is_digit((unsigned char)p[7]) || p[8] != ' ')
        return http_head_fail(r, "line 1: invalid status line (expected \"HTTP/1.x NNN reason\")");
    if (p[5] != '1')
        return http_head_fail(r, "line 1: unsupported HTTP version %c.%c", p[5], p[7]);
    r->minor_version = p[7] - '0';
    int status = 0;
    for (size_t i = 9; i < 12; i++) {
        if (!http_is_digit((unsigned char)p[i]))
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
        if (!http_is_value_byte((unsigned char)p[i]))
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
        if (!http_is_digit((unsigned char)v[i]))
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
        while (a < b && http_is_ows((unsigned char)v[a]))
            a++;
        while (b > a && http_is_ows((unsigned char)v[b - 1]))
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
        if (!http_is_digit((unsigned char)v[i]))
            return;
        if (value < INT32_MAX)
            value = value * 10 + (v[i] - '0');
    }
    r->retry_after = value > INT32_MAX ? INT32_MAX : value;
}

static int http_parse_header_line(http_response *r, size_t line, const char *p, size_t n)
{
    if (http_is_ows((unsigned char)p[0]))
        return http_head_fail(r, "line %zu: obsolete line folding", line);
    size_t name_len = 0;
    while (name_len < n && http_is_tchar((unsigned char)p[name_len]))
        name_len++;
    if (name_len == 0 || name_len == n || p[name_len] != ':')
        return http_head_fail(r, "line %zu: invalid header name", line);
    size_t a = name_len + 1, b = n;
    while (a < b && http_is_ows((unsigned char)p[a]))
        a++;
    while (b > a && http_is_ows((unsigned char)p[b - 1]))
        b--;
    for (size_t i = a; i < b; i++)
        if (!http_is_value_byte((unsigned char)p[i]))
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

int http_parse_head(http_response *r, const char *buf, size_t len, const http_limits *lim)
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

/* ---- body -------------------------------------------------------------------------- */

enum {
    HTTP_CS_SIZE_FIRST, /* first hex digit of a chunk size */
    HTTP_CS_SIZE,       /* more hex digits */
    HTTP_CS_SIZE_BWS,   /* whitespace after the size, before ';' or CR */
    HTTP_CS_EXT,        /* chunk extensions, skipped */
    HTTP_CS_SIZE_LF,    /* LF ending the size line */
    HTTP_CS_DATA,
    HTTP_CS_DATA_CR,
    HTTP_CS_DATA_LF,
    HTTP_CS_TRAILER_START, /* start of a trailer line, or CR of the final CRLF */
    HTTP_CS_TRAILER_NAME,
    HTTP_CS_TRAILER_VALUE,
    HTTP_CS_TRAILER_LF,
    HTTP_CS_FINAL_LF
};

__attribute__((format(printf, 2, 3))) static int http_body_fail(http_body *b, const char *fmt,
                                                                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
    b->failed_ = true;
    return -1;
}

int http_body_init(http_body *b, const http_response *r, const char *method, uint64_t body_max)
{
    memset(b, 0, sizeof *b);
    b->max = body_max;
    b->close_after = r->close;
    bool head_request = method != NULL && strcmp(method, "HEAD") == 0;
    if (head_request || r->status < 200 || r->status == 204 || r->status == 304) {
        b->framing = HTTP_FRAMING_NONE;
        b->done = true;
        return 0;
    }
    if (r->chunked) {
        b->framing = HTTP_FRAMING_CHUNKED;
        b->state_ = HTTP_CS_SIZE_FIRST;
        return 0;
    }
    if (r->has_content_length) {
        b->framing = HTTP_FRAMING_LENGTH;
        if (r->content_length > body_max)
            return http_body_fail(b, "Content-Length %" PRIu64 " exceeds the body limit of %" PRIu64
                                     " bytes", r->content_length, body_max);
        b->remaining_ = r->content_length;
        b->done = r->content_length == 0;
        return 0;
    }
    b->framing = HTTP_FRAMING_CLOSE;
    b->close_after = true;
    return 0;
}

static int http_chunk_size_line_byte(http_body *b)
{
    if (++b->line_len_ > HTTP_CHUNK_LINE_MAX)
        return http_body_fail(b, "chunk size line longer than %d bytes", HTTP_CHUNK_LINE_MAX);
    return 0;
}

/* The end of a size line: the last chunk leads to trailers, any other to its data,
 * refused up front when it would take the body over its limit. */
static int http_chunk_size_done(http_body *b, uint64_t at)
{
    if (b->chunk_size_ == 0) {
        b->state_ = HTTP_CS_TRAILER_START;
        return 0;
    }
    if (b->chunk_size_ > b->max - b->decoded)
        return http_body_fail(b, "chunk of %" PRIu64 " bytes at body byte %" PRIu64
                                 " takes the body over its limit of %" PRIu64 " bytes",
                              b->chunk_size_, at, b->max);
    b->remaining_ = b->chunk_size_;
    b->state_ = HTTP_CS_DATA;
    return 0;
}

/* One byte of the trailer section (fields, then the final CRLF): checked, counted
 * against the section limit, and dropped. */
static int http_trailer_step(http_body *b, unsigned char c, uint64_t at)
{
    if (++b->trailer_bytes_ > HTTP_TRAILER_BYTES_MAX)
        return http_body_fail(b, "chunked trailer section longer than %d bytes",
                              HTTP_TRAILER_BYTES_MAX);
    switch (b->state_) {
    case HTTP_CS_TRAILER_START:
        if (c == '\r') {
            b->state_ = HTTP_CS_FINAL_LF;
            return 0;
        }
        if (!http_is_tchar(c))
            return http_body_fail(b, "invalid trailer field at body byte %" PRIu64, at);
        if (++b->trailer_count_ > HTTP_TRAILER_COUNT_MAX)
            return http_body_fail(b, "more than %d trailer fields", HTTP_TRAILER_COUNT_MAX);
        b->state_ = HTTP_CS_TRAILER_NAME;
        return 0;
    case HTTP_CS_TRAILER_NAME:
        if (c == ':')
            b->state_ = HTTP_CS_TRAILER_VALUE;
        else if (!http_is_tchar(c))
            return http_body_fail(b, "invalid trailer field name at body byte %" PRIu64, at);
        return 0;
    case HTTP_CS_TRAILER_VALUE:
        if (c == '\r')
            b->state_ = HTTP_CS_TRAILER_LF;
        else if (!http_is_value_byte(c))
            return http_body_fail(b, "control byte 0x%02x in trailer at body byte %" PRIu64, c, at);
        return 0;
    case HTTP_CS_TRAILER_LF:
        if (c != '\n')
            return http_body_fail(b, "trailer line not ended by CRLF at body byte %" PRIu64, at);
        b->state_ = HTTP_CS_TRAILER_START;
        return 0;
    case HTTP_CS_FINAL_LF:
        if (c != '\n')
            return http_body_fail(b, "chunked body not ended by CRLF at body byte %" PRIu64, at);
        return 1;
    default:
        return http_body_fail(b, "chunked decoder in unknown trailer state %d", b->state_);
    }
}

/* A byte after the size digits: whitespace (BWS), extensions, or the line end. */
static int http_chunk_after_size(http_body *b, unsigned char c, uint64_t at)
{
    if (c == '\r') {
        b->state_ = HTTP_CS_SIZE_LF;
        return 0; /* the line limit counts the line without its CRLF */
    }
    if (c == ';')
        b->state_ = HTTP_CS_EXT;
    else if (http_is_ows(c))
        b->state_ = HTTP_CS_SIZE_BWS;
    else if (c == '\n')
        return http_body_fail(b, "chunk size line not ended by CRLF at body byte %" PRIu64, at);
    else
        return http_body_fail(b, "invalid byte 0x%02x in chunk size at body byte %" PRIu64, c, at);
    return http_chunk_size_line_byte(b);
}

/* One framing byte (anything but chunk data) at input offset at. Returns 1 when the
 * body is complete, 0 to go on, -1 on error. */
static int http_chunk_byte(http_body *b, unsigned char c, uint64_t at)
{
    int hex = txt_hex_value(c);
    switch (b->state_) {
    case HTTP_CS_SIZE_FIRST:
        if (hex < 0)
            return http_body_fail(b, "chunk size expected at body byte %" PRIu64
                                     ", found byte 0x%02x", at, c);
        b->chunk_size_ = (uint64_t)hex;
        b->line_len_ = 1;
        b->state_ = HTTP_CS_SIZE;
        return 0;
    case HTTP_CS_SIZE:
        if (hex >= 0) {
            if (b->chunk_size_ > (UINT64_MAX >> 4))
                return http_body_fail(b, "chunk size overflows 64 bits at body byte %" PRIu64, at);
            b->chunk_size_ = b->chunk_size_ << 4 | (uint64_t)hex;
            return http_chunk_size_line_byte(b);
        }
        return http_chunk_after_size(b, c, at);
    case HTTP_CS_SIZE_BWS:
        return http_chunk_after_size(b, c, at);
    case HTTP_CS_EXT:
        if (c == '\r') {
            b->state_ = HTTP_CS_SIZE_LF;
            return 0;
        }
        if (!http_is_value_byte(c))
            return http_body_fail(b, "control byte 0x%02x in chunk extension at body byte %" PRIu64,
                                  c, at);
        return http_chunk_size_line_byte(b);
    case HTTP_CS_SIZE_LF:
        if (c != '\n')
            return http_body_fail(b, "chunk size line not ended by CRLF at body byte %" PRIu64, at);
        return http_chunk_size_done(b, at);
    case HTTP_CS_DATA_CR:
    case HTTP_CS_DATA_LF:
        if (c != (b->state_ == HTTP_CS_DATA_CR ? '\r' : '\n'))
            return http_body_fail(b, "missing CRLF after chunk data at body byte %" PRIu64, at);
        b->state_ = b->state_ == HTTP_CS_DATA_CR ? HTTP_CS_DATA_LF : HTTP_CS_SIZE_FIRST;
        return 0;
    case HTTP_CS_TRAILER_START:
    case HTTP_CS_TRAILER_NAME:
    case HTTP_CS_TRAILER_VALUE:
    case HTTP_CS_TRAILER_LF:
    case HTTP_CS_FINAL_LF:
        return http_trailer_step(b, c, at);
    default:
        return http_body_fail(b, "chunked decoder in unknown state %d", b->state_);
    }
}

static http_body_status http_chunked_decode(http_body *b, char *buf, size_t in_len,
                                            size_t *consumed, size_t *out_len)
{
    size_t i = 0, o = 0;
    http_body_status st = HTTP_BODY_MORE;
    while (i < in_len) {
        if (b->state_ == HTTP_CS_DATA) {
            size_t n = in_len - i;
            if (n > b->remaining_)
                n = (size_t)b->remaining_;
            if (o != i)
                memmove(buf + o, buf + i, n);
            o += n;
            i += n;
            b->remaining_ -= n;
            b->decoded += n;
            if (b->remaining_ == 0)
                b->state_ = HTTP_CS_DATA_CR;
            continue;
        }
        int rc = http_chunk_byte(b, (unsigned char)buf[i], b->input_at_ + i);
        if (rc < 0) {
            st = HTTP_BODY_ERROR;
            break;
        }
        i++;
        if (rc > 0) {
            b->done = true;
            st = HTTP_BODY_DONE;
            break;
        }
    }
    b->input_at_ += i;
    *consumed = i;
    *out_len = o;
    return st;
}

http_body_status http_body_decode(http_body *b, char *buf, size_t in_len, size_t *consumed,
                                  size_t *out_len)
{
    *consumed = 0;
    *out_len = 0;
    if (b->failed_)
        return HTTP_BODY_ERROR;
    if (b->done)
        return HTTP_BODY_DONE;
    switch (b->framing) {
    case HTTP_FRAMING_LENGTH: {
        size_t n = in_len;
        if (n > b->remaining_)
            n = (size_t)b->remaining_;
        b->remaining_ -= n;
        b->decoded += n;
        *consumed = n;
        *out_len = n;
        b->done = b->remaining_ == 0;
        return b->done ? HTTP_BODY_DONE : HTTP_BODY_MORE;
    }
    case HTTP_FRAMING_CLOSE: {
        /* Hand out data up to the limit and fail on the byte after it, so the outcome
         * does not depend on how the input was split. */
        size_t n = in_len;
        if (n > b->max - b->decoded)
            n = (size_t)(b->max - b->decoded);
        b->decoded += n;
        *consumed = n;
        *out_len = n;
        if (n < in_len) {
            http_body_fail(b, "body longer than its limit of %" PRIu64 " bytes", b->max);
            return HTTP_BODY_ERROR;
        }
        return HTTP_BODY_MORE;
    }
    case HTTP_FRAMING_CHUNKED:
        return http_chunked_decode(b, buf, in_len, consumed, out_len);
    case HTTP_FRAMING_NONE:
    default:
        b->done = true;
        return HTTP_BODY_DONE;
    }
}

bool http_body_eof(http_body *b)
{
    if (b->failed_)
        return false;
    if (b->done || b->framing == HTTP_FRAMING_NONE)
        return true;
    if (b->framing == HTTP_FRAMING_CLOSE) {
        b->done = true;
        return true;
    }
    if (b->framing == HTTP_FRAMING_LENGTH)
        http_body_fail(b, "connection closed with %" PRIu64 " of %" PRIu64 " body bytes missing",
                       b->remaining_, b->decoded + b->remaining_);
    else
        http_body_fail(b, "connection closed inside the chunked body after %" PRIu64
                          " data bytes", b->decoded);
    return false;
}

/* ---- growable buffer --------------------------------------------------------------- */

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
        txt_wipe(b->data, b->cap);
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

static int http_buf_puts(http_buf *b, const char *s)
{
    return http_buf_append(b, s, strlen(s));
}

/* Drops everything after len, wiping it. */
static void http_buf_truncate(http_buf *b, size_t len)
{
    if (b->data == NULL || len >= b->len)
        return;
    txt_wipe(b->data + len, b->len - len);
    b->len = len;
}

void http_buf_reset(http_buf *b)
{
    http_buf_truncate(b, 0);
}

void http_buf_free(http_buf *b)
{
    if (b->data != NULL) {
        txt_wipe(b->data, b->cap);
        free(b->data);
    }
    http_buf_init(b);
}

/* ---- request writer ---------------------------------------------------------------- */

/* Checks that s is non-empty and every byte is in [lo, hi] (and, for methods, a tchar).
 * Reports the offset only: the field may be a secret. */
static int http_check_field(const char *what, const char *s, unsigned char lo, unsigned char hi,
                            bool token_only, char *why, size_t why_len)
{
    if (s == NULL || s[0] == '\0') {
        http_format(why, why_len, "%s is empty", what);
        return -1;
    }
    for (size_t i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < lo || c > hi || (token_only && !http_is_tchar(c))) {
            http_format(why, why_len, "%s has a forbidden byte 0x%02x at offset %zu", what, c, i);
            return -1;
        }
    }
    return 0;
}

/* A DNS name or IPv4 address (letters, digits, "-._~"), or an IPv6 literal (hex digits,
 * ':' and '.'), optionally already in brackets. Sets *ipv6 when brackets are needed. */
static int http_check_host(const char *host, bool *ipv6, char *why, size_t why_len)
{
    if (http_check_field("host", host, 0x21, 0x7e, false, why, why_len) < 0)
        return -1;
    size_t n = strlen(host);
    const char *p = host;
    bool bracketed = host[0] == '[';
    if (bracketed) {
        if (n < 3 || host[n - 1] != ']') {
            http_format(why, why_len, "host has an unclosed '['");
            return -1;
        }
        p++;
        n -= 2;
    }
    if (n > 255) {
        http_format(why, why_len, "host longer than 255 bytes");
        return -1;
    }
    bool colon = memchr(p, ':', n) != NULL;
    if (bracketed && !colon) {
        http_format(why, why_len, "host in brackets is not an IPv6 literal");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        bool ok = colon ? (txt_hex_value(c) >= 0 || c == ':' || c == '.')
                        : ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || http_is_digit(c) ||
                           c == '-' || c == '.' || c == '_' || c == '~');
        if (!ok) {
            http_format(why, why_len, "host has a forbidden byte 0x%02x at offset %zu", c,
                        i + (bracketed ? 1 : 0));
            return -1;
        }
    }
    *ipv6 = colon && !bracketed;
    return 0;
}

/* Content-Type may hold interior spaces ("application/json; charset=utf-8"), which
 * cannot end the line, but no other control byte and no edge whitespace. */
static int http_check_content_type(const char *ct, char *why, size_t why_len)
{
    if (http_check_field("content type", ct, 0x20, 0x7e, false, why, why_len) < 0)
        return -1;
    size_t n = strlen(ct);
    if (ct[0] == ' ' || ct[n - 1] == ' ') {
        http_format(why, why_len, "content type starts or ends with a space");
        return -1;
    }
    return 0;
}

static int http_check_request(const http_request *req, bool *ipv6, char *why, size_t why_len)
{
    if (http_check_field("method", req->method, 0x21, 0x7e, true, why, why_len) < 0)
        return -1;
    if (http_check_field("target", req->target, 0x21, 0x7e, false, why, why_len) < 0)
        return -1;
    if (req->target[0] != '/') {
        http_format(why, why_len, "target does not start with '/'");
        return -1;
    }
    const char *hash = strchr(req->target, '#');
    if (hash != NULL) {
        http_format(why, why_len, "target has a fragment at offset %zu", (size_t)(hash - req->target));
        return -1;
    }
    if (http_check_host(req->host, ipv6, why, why_len) < 0)
        return -1;
    if (req->port == 0 || req->port > 65535) {
        http_format(why, why_len, "port %u out of range 1-65535", req->port);
        return -1;
    }
    if (req->token != NULL &&
        http_check_field("bearer token", req->token, 0x21, 0x7e, false, why, why_len) < 0)
        return -1;
    if (http_check_field("version", req->version, 0x21, 0x7e, false, why, why_len) < 0)
        return -1;
    if (req->content_type != NULL) {
        if (req->body == NULL) {
            http_format(why, why_len, "content type given without a body");
            return -1;
        }
        if (http_check_content_type(req->content_type, why, why_len) < 0)
            return -1;
    }
    if (req->body == NULL && req->body_len != 0) {
        http_format(why, why_len, "body length %zu with no body", req->body_len);
        return -1;
    }
    return 0;
}

static int http_write_head(http_buf *out, const http_request *req, bool ipv6)
{
    char num[32];
    int rc = 0;
    rc |= http_buf_puts(out, req->method);
    rc |= http_buf_puts(out, " ");
    rc |= http_buf_puts(out, req->target);
    rc |= http_buf_puts(out, " HTTP/1.1\r\nHost: ");
    rc |= http_buf_puts(out, ipv6 ? "[" : "");
    rc |= http_buf_puts(out, req->host);
    rc |= http_buf_puts(out, ipv6 ? "]" : "");
    if (req->port != 443) {
        snprintf(num, sizeof num, ":%u", req->port);
        rc |= http_buf_puts(out, num);
    }
    if (req->token != NULL) {
        rc |= http_buf_puts(out, "\r\nAuthorization: Bearer ");
        rc |= http_buf_puts(out, req->token);
    }
    rc |= http_buf_puts(out, "\r\nAccept: application/json\r\nUser-Agent: svclink/");
    rc |= http_buf_puts(out, req->version);
    if (req->body != NULL) {
        if (req->content_type != NULL) {
            rc |= http_buf_puts(out, "\r\nContent-Type: ");
            rc |= http_buf_puts(out, req->content_type);
        }
        snprintf(num, sizeof num, "%zu", req->body_len);
        rc |= http_buf_puts(out, "\r\nContent-Length: ");
        rc |= http_buf_puts(out, num);
    }
    if (req->close)
        rc |= http_buf_puts(out, "\r\nConnection: close");
    rc |= http_buf_puts(out, "\r\n\r\n");
    return rc;
}

int http_request_write(http_buf *out, const http_request *req, char *why, size_t why_len)
{
    bool ipv6 = false;
    if (http_check_request(req, &ipv6, why, why_len) < 0)
        return -1;
    size_t start = out->len;
    int rc = http_write_head(out, req, ipv6);
    if (rc == 0 && req->body != NULL)
        rc = http_buf_append(out, req->body, req->body_len);
    if (rc != 0) {
        http_buf_truncate(out, start);
        http_format(why, why_len, "out of memory writing the request");
        return -1;
    }
    return 0;
}

int http_query_escape(http_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || http_is_digit(c) ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (http_buf_append(out, keep ? (const char *)&s[i] : enc, keep ? 1 : 3) < 0) {
            http_buf_truncate(out, start);
            return -1;
        }
    }
    return 0;
}
