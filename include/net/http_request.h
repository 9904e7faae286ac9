/* http_request: writing an HTTP/1.1 request (head, then body) into an http_buf after checking
 * every field, and percent-encoding query values. */
#ifndef SVCLINK_NET_HTTP_REQUEST_H
#define SVCLINK_NET_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "net/http_buf.h"

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
int http_request_query_escape(http_buf *out, const char *s, size_t len);

#endif
