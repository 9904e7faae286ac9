/* conn: one TLS connection to an API server on the loop: resolve, non-blocking connect
 * (trying each address), BearSSL handshake, then buffered plaintext in both directions. */
#ifndef SVCLINK_NET_CONN_H
#define SVCLINK_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "net/dns.h"
#include "net/loop.h"
#include "net/tls.h"

typedef struct conn conn;

/* A peer that answers nothing (gone, or a path that drops every packet) ends the
 * connection within about this many seconds (TCP keepalive and user timeout). */
#define CONN_DEAD_PEER_S 30

/* Why a connection ended; the owner maps these to status reasons. */
typedef enum {
    CONN_OK = 0,       /* orderly end: the server closed the connection */
    CONN_ERR_DNS,      /* the host name did not resolve */
    CONN_ERR_CONNECT,  /* no address accepted the TCP connection */
    CONN_ERR_TIMEOUT,  /* connect or handshake took too long */
    CONN_ERR_TLS,      /* handshake or record failure; see tls_error_text */
    CONN_ERR_IO,       /* the socket failed after the handshake */
    CONN_ERR_NOMEM,
    CONN_ERR_AUTH      /* never from conn itself: the API client had no credential to send
                          (a credential plugin failed), so no request went out */
} conn_error;

typedef struct {
    /* The handshake is done: writes now go out. */
    void (*on_ready)(conn *c, void *arg);
    /* Plaintext from the server; data is valid only during the call. */
    void (*on_data)(conn *c, const uint8_t *data, size_t len, void *arg);
    /* The connection is over (after this, no callback runs again); reason is a complete
     * sentence naming host and cause. The owner must still call conn_free. */
    void (*on_close)(conn *c, conn_error err, const char *reason, void *arg);
} conn_handlers;

typedef struct {
    const char *host;        /* DNS name or IP literal (no brackets) to connect to */
    uint16_t port;
    const char *server_name; /* name to verify: tls-server-name, else host */
    const tls_creds *creds;  /* borrowed; must outlive the connection */
    uint32_t handshake_timeout_ms;
} conn_target;

/* Starts connecting; callbacks run later on the loop thread. NULL on OOM (err says).
 * Caller owns the result (conn_free), which may be called from inside any callback. */
conn *conn_open(loop *l, dns_resolver *dns, const conn_target *target, const conn_handlers *h, void *arg,
                char *err, size_t errlen);
/* Queues plaintext for sending (before on_ready it waits for the handshake); it goes out
 * on the loop's next pass, so no callback ever runs inside conn_write. -1 on OOM or when
 * the connection is closed. */
int conn_write(conn *c, const void *data, size_t len);
/* Closes at once without callbacks and releases everything. */
void conn_free(conn *c);
/* Bytes held for this connection (structures and buffers), for memory accounting. */
size_t conn_footprint(const conn *c);

#endif
