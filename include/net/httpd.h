/* httpd: a tiny HTTP/1.1 server on the loop for probes and metrics: GET and HEAD only,
 * one request per connection, bounded request size, connections and time. */
#ifndef SVCLINK_NET_HTTPD_H
#define SVCLINK_NET_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"

typedef struct httpd httpd;

/* What a handler answers. body is malloc'd and handed over to the server, or NULL. */
typedef struct {
    int status;
    const char *content_type; /* static string */
    char *body;
    size_t body_len;
} httpd_reply;

/* What a handler is told of a request (both strings NUL-terminated, owned by the server). */
typedef struct {
    const char *path;   /* the request path, query removed */
    const char *accept; /* the first Accept header's value, trimmed; "" when absent or over
                         * HTTPD_MAX_ACCEPT bytes */
} httpd_request;

/* Must fill reply. */
typedef void (*httpd_handler)(void *arg, const httpd_request *req, httpd_reply *reply);

#define HTTPD_MAX_REQUEST 4096
#define HTTPD_MAX_ACCEPT 256

/* Parses a request head from buf[0..len). Returns 1 when complete (method and path
 * copied, NUL-terminated, path without query), 0 when more bytes are needed, -1 when
 * malformed or over HTTPD_MAX_REQUEST. Pure; any input is safe. */
int httpd_parse_request(const char *buf, size_t len, char *method, size_t method_cap, char *path, size_t path_cap);

/* The value of the first header field called name (any case) in the complete request head
 * buf[0..len), without surrounding blanks, copied into out (NUL-terminated). 1 when found,
 * 0 when absent, -1 when its value does not fit in cap. Pure; any input is safe. */
int httpd_header(const char *buf, size_t len, const char *name, char *out, size_t cap);

/* True when an Accept value names type itself ("application/json", any case) with a
 * non-zero q. Wildcards do not count: a client that takes any type (curl's default) leaves
 * the choice to the server. */
bool httpd_accepts(const char *accept, const char *type);

/* Listens on host:port (host "" = every address; port 0 = any free port). Caller owns
 * the server (httpd_free). NULL with err set on failure. */
httpd *httpd_new(loop *l, const char *host, uint16_t port, httpd_handler handler, void *arg, char *err, size_t errlen);
/* The port actually bound. */
uint16_t httpd_port(const httpd *s);
void httpd_free(httpd *s);

#endif
