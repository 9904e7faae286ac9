/* conn: drives a BearSSL engine from socket readiness. The pump moves records between the
 * socket and the engine and plaintext between the engine and the owner until no progress. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum { CONN_RESOLVING, CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY, CONN_CLOSED } conn_state;

struct conn {
    loop *l;
    dns_resolver *dns;
    conn_state state;
    char host[256];
    char server_name[256];
    uint16_t port;
    const tls_creds *creds;
    conn_handlers h;
    void *arg;
    int fd;
    short events;
    uint64_t dns_id;
    loop_timer_id deadline;
    struct sockaddr_storage addrs[DNS_MAX_ADDRS];
    size_t naddrs, next_addr;
    char last_connect_error[128];
    tls_session *tls;
    uint8_t *out;          /* plaintext waiting for the engine; owned */
    size_t out_len, out_cap;
    int in_callback;       /* conn_free inside a callback is deferred until it returns */
    bool free_pending;
};

static void conn_pump(conn *c);

static void conn_release(conn *c)
{
    if (c->deadline != 0)
        loop_timer_cancel(c->l, c->deadline);
    if (c->dns_id != 0)
        dns_cancel(c->dns, c->dns_id);
    if (c->fd >= 0) {
        loop_fd_remove(c->l, c->fd);
        close(c->fd);
    }
    tls_session_free(c->tls);
    free(c->out);
    free(c);
}

void conn_free(conn *c)
{
    if (c == NULL)
        return;
    if (c->in_callback > 0) {
        c->free_pending = true;
        c->state = CONN_CLOSED;
        return;
    }
    conn_release(c);
}

/* Every owner callback goes through these, so the owner may free the conn inside. They
 * return false when the conn is gone and the caller must not touch it again. */
static bool conn_after_callback(conn *c)
{
    c->in_callback--;
    if (c->in_callback == 0 && c->free_pending) {
        conn_release(c);
        return false;
    }
    return c->state != CONN_CLOSED;
}

static void conn_fail(conn *c, conn_error e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void conn_fail(conn *c, conn_error e, const char *fmt, ...)
{
    if (c->state == CONN_CLOSED)
        return;
    c->state = CONN_CLOSED;
    if (c->fd >= 0) {
        loop_fd_remove(c->l, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    if (c->deadline != 0) {
        loop_timer_cancel(c->l, c->deadline);
        c->deadline = 0;
    }
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    c->in_callback++;
    c->h.on_close(c, e, reason, c->arg);
    conn_after_callback(c);
}

static void conn_set_events(conn *c, short events)
{
    if (c->fd >= 0 && events != c->events) {
        loop_fd_set_events(c->l, c->fd, events);
        c->events = events;
    }
}

static void conn_on_deadline(loop *l, void *arg)
{
    (void)l;
    conn *c = arg;
    c->deadline = 0;
    conn_fail(c, CONN_ERR_TIMEOUT, "%s:%u: %s timed out", c->host, c->port,
              c->state == CONN_HANDSHAKE ? "TLS handshake" : "connecting");
}

static void conn_on_socket(loop *l, int fd, short revents, void *arg);
static void conn_try_next_address(conn *c);

static void conn_start_tls(conn *c)
{
    char err[256];
    c->tls = tls_session_new(c->creds, c->server_name, err, sizeof err);
    if (c->tls == NULL) {
        conn_fail(c, CONN_ERR_TLS, "%s:%u: %s", c->host, c->port, err);
        return;
    }
    c->state = CONN_HANDSHAKE;
    conn_pump(c);
}

static void conn_on_connected(conn *c)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr != 0) {
        snprintf(c->last_connect_error, sizeof c->last_connect_error, "%s", strerror(soerr));
        loop_fd_remove(c->l, c->fd);
        close(c->fd);
        c->fd = -1;
        conn_try_next_address(c);
        return;
    }
    conn_start_tls(c);
}

static void conn_tune_socket(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Watches are long and quiet: keepalives find a peer that is gone (or a path that drops
     * everything) within CONN_DEAD_PEER_S; the user timeout bounds data left unacknowledged
     * (a request sent into a blackhole) the same way, where retransmissions alone would
     * take about 15 minutes. The bound is in docs/operations.md. */
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int idle = 15, intvl = 5, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    unsigned user_timeout_ms = CONN_DEAD_PEER_S * 1000u;
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

static void conn_try_next_address(conn *c)
{
    while (c->next_addr < c->naddrs) {
        const struct sockaddr_storage *sa = &c->addrs[c->next_addr++];
        socklen_t salen = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(c->last_connect_error, sizeof c->last_connect_error, "socket: %s", strerror(errno));
            continue;
        }
        conn_tune_socket(fd);
        if (connect(fd, (const struct sockaddr *)sa, salen) != 0 && errno != EINPROGRESS) {
            snprintf(c->last_connect_error, sizeof c->last_connect_error, "%s", strerror(errno));
            close(fd);
            continue;
        }
        c->fd = fd;
        c->events = POLLOUT;
        c->state = CONN_CONNECTING;
        if (loop_fd_add(c->l, fd, POLLOUT, conn_on_socket, c) != 0) {
            conn_fail(c, CONN_ERR_NOMEM, "%s:%u: out of memory", c->host, c->port);
            return;
        }
        return;
    }
    conn_fail(c, CONN_ERR_CONNECT, "cannot connect to %s:%u: %s", c->host, c->port,
              c->last_connect_error[0] ? c->last_connect_error : "no address");
}

static void conn_on_resolved(void *arg, int status, const struct sockaddr_storage *addrs, size_t n,
                             const char *err)
{
    conn *c = arg;
    c->dns_id = 0;
    if (status != 0) {
        conn_fail(c, CONN_ERR_DNS, "%s", err);
        return;
    }
    memcpy(c->addrs, addrs, n * sizeof addrs[0]);
    c->naddrs = n;
    c->next_addr = 0;
    conn_try_next_address(c);
}

/* IP literals skip the resolver thread entirely. */
static bool conn_literal_address(conn *c)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&c->addrs[0];
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&c->addrs[0];
    memset(&c->addrs[0], 0, sizeof c->addrs[0]);
    if (inet_pton(AF_INET, c->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(c->port);
    } else if (inet_pton(AF_INET6, c->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(c->port);
    } else {
        return false;
    }
    c->naddrs = 1;
    c->next_addr = 0;
    return true;
}

static void conn_on_start(loop *l, void *arg)
{
    (void)l;
    conn *c = arg;
    /* c->deadline keeps running: it covers resolution, connect and handshake together. */
    if (conn_literal_address(c)) {
        conn_try_next_address(c);
    } else {
        c->dns_id = dns_resolve(c->dns, c->host, c->port, conn_on_resolved, c);
        if (c->dns_id == 0) {
            conn_fail(c, CONN_ERR_NOMEM, "%s: cannot start name resolution", c->host);
            return;
        }
    }
}

conn *conn_open(loop *l, dns_resolver *dns, const conn_target *t, const conn_handlers *h, void *arg, char *err,
                size_t errlen)
{
    conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->l = l;
    c->dns = dns;
    c->fd = -1;
    snprintf(c->host, sizeof c->host, "%s", t->host);
    snprintf(c->server_name, sizeof c->server_name, "%s", t->server_name ? t->server_name : t->host);
    c->port = t->port;
    c->creds = t->creds;
    c->h = *h;
    c->arg = arg;
    c->state = CONN_RESOLVING;
    /* Start on the next loop pass, so no callback ever runs inside conn_open. */
    uint32_t timeout = t->handshake_timeout_ms ? t->handshake_timeout_ms : 10000;
    loop_timer_id start = loop_timer_add(l, 0, conn_on_start, c);
    c->deadline = loop_timer_add(l, timeout, conn_on_deadline, c);
    if (start == 0 || c->deadline == 0) {
        loop_timer_cancel(l, start);
        loop_timer_cancel(l, c->deadline);
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return c;
}

int conn_write(conn *c, const void *data, size_t len)
{
    if (c->state == CONN_CLOSED)
        return -1;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 1024;
        while (cap < c->out_len + len)
            cap *= 2;
        uint8_t *grown = realloc(c->out, cap);
        if (grown == NULL)
            return -1;
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    /* Never pump from here: the caller may be in the middle of its own bookkeeping, and a
     * fast server's answer would run its callbacks before conn_write returned. Asking
     * for POLLOUT lets the loop send on its next pass. */
    if (c->state == CONN_READY)
        conn_set_events(c, (short)(c->events | POLLOUT));
    return 0;
}

/* Ends the connection with the engine's error, or as an orderly close when there is none. */
static void conn_engine_closed(conn *c, br_ssl_engine_context *eng)
{
    int e = br_ssl_engine_last_error(eng);
    if (e == BR_ERR_OK) {
        conn_fail(c, CONN_OK, "%s:%u closed the connection", c->host, c->port);
    } else {
        char text[300];
        conn_fail(c, CONN_ERR_TLS, "%s:%u: %s", c->host, c->port, tls_error_text(e, text, sizeof text));
    }
}

/* Socket bytes one pump may take before it yields to the loop: a remote that sends as
 * fast as we read must not starve the other connections and the timers (poll is level-
 * triggered, so what is left wakes us again on the next round). */
#define CONN_PUMP_RECV_MAX ((size_t)64 * 1024)

static void conn_pump(conn *c)
{
    br_ssl_engine_context *eng = tls_session_engine(c->tls);
    size_t received = 0;
    bool progress = true;
    bool want_read = false, want_write = false;
    while (progress && c->state != CONN_CLOSED) {
        progress = false;
        unsigned st = br_ssl_engine_current_state(eng);
        if (st & BR_SSL_CLOSED) {
            conn_engine_closed(c, eng);
            return;
        }
        if (c->state == CONN_HANDSHAKE && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
            c->state = CONN_READY;
            loop_timer_cancel(c->l, c->deadline);
            c->deadline = 0;
            c->in_callback++;
            c->h.on_ready(c, c->arg);
            if (!conn_after_callback(c))
                return;
            progress = true;
            continue;
        }
        want_read = want_write = false;
        if (st & BR_SSL_SENDREC) {
            size_t len;
            unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
            ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
            if (n > 0) {
                br_ssl_engine_sendrec_ack(eng, (size_t)n);
                progress = true;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                want_write = true;
            } else {
                conn_fail(c, CONN_ERR_IO, "%s:%u: send failed: %s", c->host, c->port, strerror(errno));
                return;
            }
        }
        if (st & BR_SSL_RECVAPP) {
            size_t len;
            unsigned char *buf = br_ssl_engine_recvapp_buf(eng, &len);
            c->in_callback++;
            c->h.on_data(c, buf, len, c->arg);
            if (!conn_after_callback(c))
                return;
            br_ssl_engine_recvapp_ack(eng, len);
            progress = true;
            continue;
        }
        if ((st & BR_SSL_SENDAPP) && c->out_len > 0) {
            size_t len;
            unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &len);
            size_t n = len < c->out_len ? len : c->out_len;
            memcpy(buf, c->out, n);
            memmove(c->out, c->out + n, c->out_len - n);
            c->out_len -= n;
            br_ssl_engine_sendapp_ack(eng, n);
            if (c->out_len == 0)
                br_ssl_engine_flush(eng, 0);
            progress = true;
            continue;
        }
        if ((st & BR_SSL_RECVREC) && received >= CONN_PUMP_RECV_MAX) {
            want_read = true; /* yield: the rest is read on the next round */
        } else if (st & BR_SSL_RECVREC) {
            size_t len;
            unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
            ssize_t n = recv(c->fd, buf, len, 0);
            if (n > 0) {
                br_ssl_engine_recvrec_ack(eng, (size_t)n);
                received += (size_t)n;
                progress = true;
            } else if (n == 0) {
                /* TCP EOF without close_notify: Go servers do this; treat as an end. */
                conn_fail(c, CONN_OK, "%s:%u closed the connection", c->host, c->port);
                return;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                want_read = true;
            } else {
                conn_fail(c, CONN_ERR_IO, "%s:%u: receive failed: %s", c->host, c->port, strerror(errno));
                return;
            }
        }
    }
    if (c->state != CONN_CLOSED)
        conn_set_events(c, (short)((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0)));
}

static void conn_on_socket(loop *l, int fd, short revents, void *arg)
{
    (void)l;
    (void)fd;
    conn *c = arg;
    if (c->state == CONN_CONNECTING) {
        if (revents & (POLLOUT | POLLERR | POLLHUP))
            conn_on_connected(c);
        return;
    }
    if (c->state == CONN_HANDSHAKE || c->state == CONN_READY)
        conn_pump(c);
}

size_t conn_footprint(const conn *c)
{
    return sizeof *c + c->out_cap + (c->tls != NULL ? tls_session_size(c->tls) : 0);
}
