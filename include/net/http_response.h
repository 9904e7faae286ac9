/* http_response: the HTTP/1.1 response-head parser of the Kubernetes client (incremental, bounded)
 * and the limits of a response. Bodies are http_body.h, requests http_request.h. */
#ifndef SVCLINK_NET_HTTP_RESPONSE_H
#define SVCLINK_NET_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every error is a one-line message naming what was wrong and where (line number,
 * field, offset); it never quotes a token. Buffers of this size hold one. */
#define HTTP_ERROR_MAX 128
/* Copied header values are truncated to fit these (NUL included); the client only
 * needs them to decide how to decode the body and what to log. */
#define HTTP_REASON_MAX 64
#define HTTP_CONTENT_TYPE_MAX 128

/* ---- limits ------------------------------------------------------------------------ */

/* Limits of one response. The API server's heads are well under 1 KiB and its largest
 * lists a few MiB, so the defaults leave room while keeping a hostile or broken server
 * from making us hold more than head_max bytes of head or body_max bytes of body. */
typedef struct {
    size_t head_max;         /* status line + headers + final empty line, in bytes */
    size_t line_max;         /* one status or header line, without its line ending */
    size_t header_count_max; /* header fields, not counting the status line */
    uint64_t body_max;       /* decoded body of a non-streaming response */
} http_limits;

#define HTTP_HEAD_MAX_DEFAULT ((size_t)64 * 1024)
#define HTTP_LINE_MAX_DEFAULT ((size_t)8 * 1024)
#define HTTP_HEADER_COUNT_MAX_DEFAULT ((size_t)128)
#define HTTP_BODY_MAX_DEFAULT ((uint64_t)64 * 1024 * 1024)
#define HTTP_LIMITS_DEFAULT                                                                 \
    {                                                                                       \
        HTTP_HEAD_MAX_DEFAULT, HTTP_LINE_MAX_DEFAULT, HTTP_HEADER_COUNT_MAX_DEFAULT,        \
            HTTP_BODY_MAX_DEFAULT                                                           \
    }

/* ---- response head ----------------------------------------------------------------- */

/* One parsed response head. Every field is a copy: nothing points into the parsed
 * buffer, so the connection may reuse it at once. Plain data, nothing to free. */
typedef struct {
    int minor_version;     /* 0 for HTTP/1.0, 1 for HTTP/1.1 (higher minors read as 1.1) */
    int status;            /* 100..599 */
    char reason[HTTP_REASON_MAX];             /* truncated; non-ASCII bytes become '?' */
    char content_type[HTTP_CONTENT_TYPE_MAX]; /* "" when absent; same sanitising */
    bool has_content_length; /* false when chunked, which wins over Content-Length */
    uint64_t content_length;  /* duplicates must agree */
    bool chunked;          /* Transfer-Encoding: chunked (the only coding accepted) */
    /* The connection must not be reused after this response: "Connection: close", an
     * HTTP/1.0 response without "Connection: keep-alive", or a message that carried both
     * Transfer-Encoding and Content-Length (chunked wins, but the peer is confused). */
    bool close;
    int64_t retry_after;   /* Retry-After in seconds (delta-seconds form), -1 if absent */
    size_t header_count;
    char error[HTTP_ERROR_MAX]; /* set when http_response_parse_head returns -1 */

    /* Scan state between calls that return -2; private to http.c. */
    size_t scan_pos_;        /* bytes already scanned */
    size_t line_start_;      /* start of the line being scanned */
    size_t lines_;           /* complete lines processed */
    bool connection_close_, connection_keep_alive_, failed_;
} http_response;

/* Prepares r for a new response; call it before the first http_response_parse_head of each
 * response (including the one after a skipped 1xx). */
void http_response_init(http_response *r);

/* The defaults above, for callers that do not tune them. */
http_limits http_response_limits_default(void);

/* Parses the response head at the start of buf[0..len). buf is the connection's input
 * so far; call again with the same start and more bytes after -2 (each byte is scanned
 * once across calls, and never more than lim->head_max of them). lim may be NULL for the
 * defaults. Returns:
 *   > 0  the head's length: the body (or the next response) starts at buf + that;
 *   -2   the head is incomplete (fields of r are not meaningful yet);
 *   -1   the head is malformed or over a limit; r->error says what and where, and every
 *        later call returns -1 too.
 * Line endings are CRLF or, as RFC 9112 section 2.2 allows, a bare LF; a bare CR, obsolete
 * line folding, whitespace before the colon and control bytes in values are errors.
 * 1xx heads are returned like any other (status < 200): they have no body, so the
 * caller calls http_response_init and parses the next head from the returned offset.
 * 101 is an error, since we never request an upgrade. After a success, parse the next
 * response with a fresh http_response_init. */
int http_response_parse_head(http_response *r, const char *buf, size_t len, const http_limits *lim);

#endif
