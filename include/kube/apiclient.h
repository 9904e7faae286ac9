/* apiclient: requests to one Kubernetes API server over the loop: one-shot requests on
 * keep-alive connections, and streams (watch) on a connection of their own. */
#ifndef SVCLINK_KUBE_APICLIENT_H
#define SVCLINK_KUBE_APICLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "kube/exec_auth.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/loop.h"
#include "net/tls.h"

typedef struct apiclient_client apiclient_client;
typedef struct apiclient_req apiclient_req;

typedef struct {
    const char *name;        /* the cluster's name in every error message ("main", a link) */
    const char *host;        /* DNS name or IP literal, no brackets */
    uint16_t port;
    const char *path_prefix; /* "" or "/prefix", prepended to every path */
    const char *server_name; /* name to verify (tls-server-name), NULL: host */
    const tls_creds *creds;  /* borrowed; must outlive the client */
    const char *token;       /* bearer token (copied, wiped on free), or NULL */
    const char *token_file;  /* re-read when it changes (rotated service-account tokens) */
    exec_auth *auth;         /* borrowed, must outlive the client; NULL: token and creds
                                above. Else each request asks it for the credential first
                                (waiting while the plugin runs; failing with transport
                                CONN_ERR_AUTH and its message when it cannot get one), a
                                certificate from it replaces creds' own, and a 401 answer
                                drops the credential and sends the request once more. */
    uint32_t request_timeout_ms; /* one-shot requests; 0: 30 s */
} apiclient_config;

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
} apiclient_response;

typedef void (*apiclient_done_cb)(void *arg, const apiclient_response *resp);
/* One line of a stream (without its newline), valid only during the call. */
typedef void (*apiclient_line_cb)(void *arg, const char *line, size_t len);
/* A piece of a 2xx body, in arrival order, valid only during the call. Return 0 to go on,
 * or -1 to stop the request with why (the callback fills it): done then runs with status
 * 0, transport CONN_ERR_IO and "cluster: GET path: why". */
typedef int (*apiclient_body_cb)(void *arg, const char *data, size_t len, char *why, size_t whylen);

/* Bounds on what one request holds. A stream line is one watch event: one object (at
 * most LIST_FRAME_ITEM_MAX_DEFAULT, 1 MiB, for the reasons given in list_frame.h) in a small envelope. A body kept whole
 * (apiclient_request) is one object too: lists go through apiclient_get_body and are never held
 * whole. An error answer is a metav1.Status. Over a bound the request fails and says so. */
#define APICLIENT_LINE_MAX ((size_t)1024 * 1024 + 16 * 1024)

/* Caller owns the client (apiclient_free). NULL with err set on failure. */
apiclient_client *apiclient_new(loop *l, dns_resolver *dns, const apiclient_config *cfg, char *err, size_t errlen);
/* Cancels every request (no callbacks) and closes every connection. */
void apiclient_free(apiclient_client *c);

/* Sends a request; path includes the query. body may be NULL. done runs exactly once,
 * later, on the loop thread, unless the request is cancelled first. Returns a handle
 * owned by the client (valid until done runs or apiclient_cancel), or NULL on OOM. */
apiclient_req *apiclient_request(apiclient_client *c, const char *method, const char *path, const char *content_type,
                       const char *body, size_t body_len, apiclient_done_cb done, void *arg);
/* A GET whose 2xx body goes to on_body piece by piece as it is decoded (for LISTs), so
 * it is never held; done runs once as for apiclient_request, with an empty body on success.
 * An error answer (status >= 300) is held (bounded) for done, as for apiclient_request. */
apiclient_req *apiclient_get_body(apiclient_client *c, const char *path, apiclient_body_cb on_body, apiclient_done_cb done, void *arg);
/* Starts a streaming GET: each newline-terminated line of a 200 response goes to
 * on_line; done runs once when the stream ends (status 200 and transport CONN_OK for
 * an orderly end), fails, or is refused (status >= 400 with the body). idle_timeout_ms
 * closes a stream that has been silent that long (0: never). */
apiclient_req *apiclient_stream(apiclient_client *c, const char *path, uint32_t idle_timeout_ms, apiclient_line_cb on_line,
                      apiclient_done_cb done, void *arg);
/* The stream's 200 head has arrived: the server accepted it (a watch is now watching).
 * Runs at most once, before any line; it may cancel the stream. */
typedef void (*apiclient_open_cb)(void *arg);
/* Sets r's on_open; call it right after apiclient_stream (nothing arrives before the loop
 * runs again). */
void apiclient_stream_on_open(apiclient_req *r, apiclient_open_cb on_open);
/* Stops a request or stream; its callbacks never run again. Safe inside its callbacks. */
void apiclient_cancel(apiclient_req *r);

/* Counters for metrics and tests. */
typedef struct {
    uint64_t requests;     /* requests and streams sent */
    uint64_t connections;  /* TCP+TLS connections opened */
    uint64_t reused;       /* requests sent on a kept-alive connection */
    uint64_t failures;     /* transport failures */
} apiclient_stats;
const apiclient_stats *apiclient_get_stats(const apiclient_client *c);
const char *apiclient_name(const apiclient_client *c);

#endif
