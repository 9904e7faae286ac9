/* http: the HTTP/1.1 wire layer of the Kubernetes client: an incremental response-head
 * parser, an in-place body decoder (Content-Length, chunked, until-close), a request writer. */
#ifndef SVCLINK_HTTP_H
#define SVCLINK_HTTP_H

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

/* Fixed limits of the chunked framing. Kubernetes sends no chunk extensions and no
 * trailers, so these only bound what a hostile peer can make us walk through. */
#define HTTP_CHUNK_LINE_MAX 1024      /* chunk size + extensions, without CRLF */
#define HTTP_TRAILER_BYTES_MAX 8192   /* whole trailer section, line endings included */
#define HTTP_TRAILER_COUNT_MAX 32     /* trailer fields */

/* Passed as body_max to http_body_init for streaming consumers (watch), which hand
 * each decoded piece on and so never hold the whole body. */
#define HTTP_BODY_UNLIMITED UINT64_MAX

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
    char error[HTTP_ERROR_MAX]; /* set when http_parse_head returns -1 */

    /* Scan state between calls that return -2; private to http.c. */
    size_t scan_pos_;        /* bytes already scanned */
    size_t line_start_;      /* start of the line being scanned */
    size_t lines_;           /* complete lines processed */
    bool connection_close_, connection_keep_alive_, failed_;
} http_response;

/* Prepares r for a new response; call it before the first http_parse_head of each
 * response (including the one after a skipped 1xx). */
void http_response_init(http_response *r);

/* The defaults above, for callers that do not tune them. */
http_limits http_limits_default(void);

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
int http_parse_head(http_response *r, const char *buf, size_t len, const http_limits *lim);

/* ---- body ------------------------------------------------------------------------ */

typedef enum {
    HTTP_FRAMING_NONE,    /* no body: HEAD request, 1xx, 204, 304 */
    HTTP_FRAMING_LENGTH,  /* Content-Length bytes */
    HTTP_FRAMING_CHUNKED, /* chunked transfer coding */
    HTTP_FRAMING_CLOSE    /* neither: the body ends when the peer closes */
} http_framing;

typedef enum {
    HTTP_BODY_ERROR = -1, /* malformed or over the limit; http_body.error says why */
    HTTP_BODY_MORE = 0,   /* all input used; feed more */
    HTTP_BODY_DONE = 1    /* body complete; input after *consumed is the next response */
} http_body_status;

/* Body decoding state: plain data, nothing to free. Fields ending in '_' are private. */
typedef struct {
    http_framing framing;
    uint64_t decoded;   /* data bytes handed out so far */
    uint64_t max;       /* limit on decoded, from http_body_init */
    bool done;
    /* The connection cannot carry another response after this one (r->close, or the
     * body is delimited by the close itself). */
    bool close_after;
    char error[HTTP_ERROR_MAX];

    uint64_t remaining_; /* LENGTH: bytes left; CHUNKED: bytes left in this chunk */
    uint64_t chunk_size_;
    uint64_t input_at_;  /* CHUNKED: input bytes consumed so far, for error positions */
    int state_;
    size_t line_len_;
    size_t trailer_bytes_, trailer_count_;
    bool failed_;
} http_body;

/* Sets up decoding of the body that follows head r, answering the request method
 * (a HEAD request's response has no body). body_max bounds the decoded size: pass
 * lim->body_max for responses that are kept whole, HTTP_BODY_UNLIMITED for streams.
 * Returns 0, or -1 with b->error set when a Content-Length already exceeds body_max. */
int http_body_init(http_body *b, const http_response *r, const char *method, uint64_t body_max);

/* Decodes in place: reads buf[0..in_len), moves the body data found there to the front
 * of buf (*out_len bytes, never more than *consumed) and sets *consumed to the input
 * used. Bytes at buf[*consumed..in_len) are untouched. Works on any split of the input;
 * partial chunk-size lines, CRLFs and trailers are remembered in b, so consumed input
 * never has to be offered again. On HTTP_BODY_MORE all input was used. On ERROR,
 * *out_len data bytes decoded before the fault are still valid (a caller may log or
 * drop them). After DONE it keeps returning DONE with nothing consumed; after ERROR it
 * keeps returning ERROR. */
http_body_status http_body_decode(http_body *b, char *buf, size_t in_len, size_t *consumed,
                                  size_t *out_len);

/* Tells whether the peer may close the connection now: true when the body is complete
 * or is delimited by the close (that body is then complete); false for a truncated
 * body, with b->error saying how much was missing. */
bool http_body_eof(http_body *b);

/* ---- request writer ---------------------------------------------------------------- */

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
/* Empties b (wiping the old contents) and keeps its memory for reuse. */
void http_buf_reset(http_buf *b);
/* Wipes and releases b's memory; b is then empty and may be reused or freed again. */
void http_buf_free(http_buf *b);

/* What to send. All strings are borrowed for the call and NUL-terminated. */
typedef struct {
    const char *method;       /* a token: "GET", "PUT", "PATCH", ... */
    const char *target;       /* "/api/v1/...?..." already percent-encoded; printable
                                 ASCII only, starting with '/' */
    const char *host;         /* DNS name, IPv4, or IPv6 literal (brackets optional,
                                 no zone id) */
    unsigned port;            /* 1..65535; left out of Host when 443 */
    const char *token;        /* bearer token, or NULL for none */
    const char *version;      /* goes into "User-Agent: svclink/<version>" */
    const char *content_type; /* with a body; NULL for none */
    const char *body;         /* NULL for no body (no Content-Length sent) */
    size_t body_len;
    bool close;               /* send "Connection: close"; otherwise keep-alive */
} http_request;

/* Appends the request (head, then body) to out. Every field is checked first, so a
 * CR, LF, NUL, space or other control byte can never inject a header: then -1 is
 * returned, out is unchanged, and why (when not NULL) names the field and offset,
 * never its value. -1 with "out of memory" otherwise. Nothing here logs a request. */
int http_request_write(http_buf *out, const http_request *req, char *why, size_t why_len);

/* Appends len bytes of s percent-encoded for a query value or path segment: letters,
 * digits and "-._~" stay, every other byte becomes %XX. For label selectors such as
 * "a=b,c!=d" and continue tokens containing '=', '+', '/'. 0, or -1 when out of memory. */
int http_query_escape(http_buf *out, const char *s, size_t len);

#endif
