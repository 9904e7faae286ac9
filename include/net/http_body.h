/* http_body: decoding the body that follows a response head, in place: Content-Length,
 * chunked (extensions and trailers bounded and dropped) or until the peer closes. */
#ifndef SVCLINK_NET_HTTP_BODY_H
#define SVCLINK_NET_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http_response.h"

/* Fixed limits of the chunked framing. Kubernetes sends no chunk extensions and no
 * trailers, so these only bound what a hostile peer can make us walk through. */
#define HTTP_CHUNK_LINE_MAX 1024      /* chunk size + extensions, without CRLF */
#define HTTP_TRAILER_BYTES_MAX 8192   /* whole trailer section, line endings included */
#define HTTP_TRAILER_COUNT_MAX 32     /* trailer fields */

/* Passed as body_max to http_body_init for streaming consumers (watch), which hand
 * each decoded piece on and so never hold the whole body. */
#define HTTP_BODY_UNLIMITED UINT64_MAX

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

#endif
