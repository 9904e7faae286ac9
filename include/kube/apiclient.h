/* kapi: requests to one Kubernetes API server over the loop: one-shot requests on
 * keep-alive connections, and streams (watch) on a connection of their own. */
#ifndef SVCLINK_KAPI_H
#define SVCLINK_KAPI_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "dns.h"
#include "loop.h"
#include "tls.h"

typedef struct kapi_client kapi_client;
typedef struct kapi_req kapi_req;

typedef struct {
    const char *name;        /* the cluster's name in every error message ("main", a link) */
    const char *host;        /* DNS name or IP literal, no brackets */
    uint16_t port;
    const char *path_prefix; /* "" or "/prefix", prepended to every path */
    const char *server_name; /* name to verify (tls-server-name), NULL: host */
    const tls_creds *creds;  /* borrowed; must outlive the client */
    const char *token;       /* bearer token (copied, wiped on free), or NULL */
    const char *token_file;  /* re-read when it changes (rotated service-account tokens) */
    uint32_t request_timeout_ms; /* one-shot requests; 0: 30 s */
} kapi_config;

/* The outcome of a request, valid only during the callback. */
typedef struct {
    int status;           /* HTTP status, or 0 when no response arrived */
    conn_error transport; /* CONN_OK unless the connection failed (status 0) */
    const char *body;     /* decoded body (NUL-terminated), "" for streams */
    size_t body_len;
    int64_t retry_after;  /* seconds from Retry-After, -1 if absent */
    /* For failures (transport, or status >= 400): "cluster: VERB path: what happened",
     * with the server's Status message when it sent one. "" on success. */
    const char *error;
} kapi_response;

typedef void (*kapi_done_cb)(void *arg, const kapi_response *resp);
/* One line of a stream (without its newline), valid only during the call. */
typedef void (*kapi_line_cb)(void *arg, const char *line, size_t len);
/* A piece of a 2xx body, in arrival order, valid only during the call. Return 0 to go on,
 * or -1 to stop the request with why (the callback fills it): done then runs with status
 * 0, transport CONN_ERR_IO and "cluster: GET path: why". */
typedef int (*kapi_body_cb)(void *arg, const char *data, size_t len, char *why, size_t whylen);

/* Bounds on what one request holds. A stream line is one watch event: one object (at
 * most JFRAME_ITEM_MAX_DEFAULT, 1 MiB, for the reasons given in jframe.h) in a small envelope. A body kept whole
 * (kapi_request) is one object too: lists go through kapi_get_body and are never held
 * whole. An error answer is a metav1.Status. Over a bound the request fails and says so. */
#define KAPI_LINE_MAX ((size_t)1024 * 1024 + 16 * 1024)

/* Caller owns the client (kapi_free). NULL with err set on failure. */
kapi_client *kapi_new(loop *l, dns_resolver *dns, const kapi_config *cfg, char *err, size_t errlen);
/* Cancels every request (no callbacks) and closes every connection. */
void kapi_free(kapi_client *c);

/* Sends a request; path includes the query. body may be NULL. done runs exactly once,
 * later, on the loop thread, unless the request is cancelled first. Returns a handle
 * owned by the client (valid until done runs or kapi_cancel), or NULL on OOM. */
kapi_req *kapi_request(kapi_client *c, const char *method, const char *path, const char *content_type,
                       const char *body, size_t body_len, kapi_done_cb done, void *arg);
/* A GET whose 2xx body goes to on_body piece by piece as it is decoded (for LISTs), so
 * it is never held; done runs once as for kapi_request, with an empty body on success.
 * An error answer (status >= 300) is held (bounded) for done, as for kapi_request. */
kapi_req *kapi_get_body(kapi_client *c, const char *path, kapi_body_cb on_body, kapi_done_cb done, void *arg);
/* Starts a streaming GET: each newline-terminated line of a 200 response goes to
 * on_line; done runs once when the stream ends (status 200 and transport CONN_OK for
 * an orderly end), fails, or is refused (status >= 400 with the body). idle_timeout_ms
 * closes a stream that has been silent that long (0: never). */
kapi_req *kapi_stream(kapi_client *c, const char *path, uint32_t idle_timeout_ms, kapi_line_cb on_line,
                      kapi_done_cb done, void *arg);
/* Stops a request or stream; its callbacks never run again. Safe inside its callbacks. */
void kapi_cancel(kapi_req *r);

/* Counters for metrics and tests. */
typedef struct {
    uint64_t requests;     /* requests and streams sent */
    uint64_t connections;  /* TCP+TLS connections opened */
    uint64_t reused;       /* requests sent on a kept-alive connection */
    uint64_t failures;     /* transport failures */
} kapi_stats;
const kapi_stats *kapi_get_stats(const kapi_client *c);
const char *kapi_name(const kapi_client *c);

#endif
