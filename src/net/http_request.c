/* http_request: HTTP/1.1 requests for the API client: every field checked before a byte is
 * written, so nothing from a kubeconfig or a link can inject a header. */
#include "net/http_request.h"

#include <stdio.h>
#include <string.h>
#include "net/http_char.h"
#include "base/text.h"

/* Checks that s is non-empty and every byte is in [lo, hi] (and, for methods, a tchar).
 * Reports the offset only: the field may be a secret. */
static int http_check_field(const char *what, const char *s, unsigned char lo, unsigned char hi,
                            bool token_only, char *why, size_t why_len)
{
    if (s == NULL || s[0] == '\0') {
        text_errorf(why, why_len, "%s is empty", what);
        return -1;
    }
    for (size_t i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < lo || c > hi || (token_only && !http_char_is_tchar(c))) {
            text_errorf(why, why_len, "%s has a forbidden byte 0x%02x at offset %zu", what, c, i);
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
            text_errorf(why, why_len, "host has an unclosed '['");
            return -1;
        }
        p++;
        n -= 2;
    }
    if (n > 255) {
        text_errorf(why, why_len, "host longer than 255 bytes");
        return -1;
    }
    bool colon = memchr(p, ':', n) != NULL;
    if (bracketed && !colon) {
        text_errorf(why, why_len, "host in brackets is not an IPv6 literal");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        bool ok = colon ? (text_hex_value(c) >= 0 || c == ':' || c == '.')
                        : ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || http_char_is_digit(c) ||
                           c == '-' || c == '.' || c == '_' || c == '~');
        if (!ok) {
            text_errorf(why, why_len, "host has a forbidden byte 0x%02x at offset %zu", c,
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
        text_errorf(why, why_len, "content type starts or ends with a space");
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
        text_errorf(why, why_len, "target does not start with '/'");
        return -1;
    }
    const char *hash = strchr(req->target, '#');
    if (hash != NULL) {
        text_errorf(why, why_len, "target has a fragment at offset %zu", (size_t)(hash - req->target));
        return -1;
    }
    if (http_check_host(req->host, ipv6, why, why_len) < 0)
        return -1;
    if (req->port == 0 || req->port > 65535) {
        text_errorf(why, why_len, "port %u out of range 1-65535", req->port);
        return -1;
    }
    if (req->token != NULL &&
        http_check_field("bearer token", req->token, 0x21, 0x7e, false, why, why_len) < 0)
        return -1;
    if (http_check_field("version", req->version, 0x21, 0x7e, false, why, why_len) < 0)
        return -1;
    if (req->content_type != NULL) {
        if (req->body == NULL) {
            text_errorf(why, why_len, "content type given without a body");
            return -1;
        }
        if (http_check_content_type(req->content_type, why, why_len) < 0)
            return -1;
    }
    if (req->body == NULL && req->body_len != 0) {
        text_errorf(why, why_len, "body length %zu with no body", req->body_len);
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
        text_errorf(why, why_len, "out of memory writing the request");
        return -1;
    }
    return 0;
}

int http_request_query_escape(http_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || http_char_is_digit(c) ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (http_buf_append(out, keep ? (const char *)&s[i] : enc, keep ? 1 : 3) < 0) {
            http_buf_truncate(out, start);
            return -1;
        }
    }
    return 0;
}
