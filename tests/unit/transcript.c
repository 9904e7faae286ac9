/* transcript: the scripted stand-in API server of the event-driven unit tests: accepts on the
 * test's loop, ends TLS with BearSSL's server engine, reads requests and plays recorded answers. */
#include "transcript.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http_buf.h"
#include "net/tls.h"

/* A throwaway P-256 key and its self-signed certificate (CN=transcript, IP SAN 127.0.0.1),
 * made for these tests only; the client does not verify it (tls_creds insecure). */
static const unsigned char transcript_cert[] = {
    0x30, 0x82, 0x01, 0x91, 0x30, 0x82, 0x01, 0x38, 0xa0, 0x03, 0x02, 0x01,
    0x02, 0x02, 0x14, 0x72, 0x23, 0xb9, 0xc5, 0xd9, 0x24, 0x2c, 0x73, 0x99,
    0xe8, 0xa6, 0xe9, 0x84, 0x32, 0xed, 0x3d, 0xab, 0x5f, 0x35, 0xd4, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x15, 0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0a,
    0x74, 0x72, 0x61, 0x6e, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x30, 0x20,
    0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x37, 0x31, 0x37, 0x31, 0x39,
    0x35, 0x35, 0x5a, 0x18, 0x0f, 0x32, 0x31, 0x32, 0x36, 0x31, 0x31, 0x31,
    0x33, 0x31, 0x37, 0x31, 0x39, 0x35, 0x35, 0x5a, 0x30, 0x15, 0x31, 0x13,
    0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0a, 0x74, 0x72, 0x61,
    0x6e, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x30, 0x59, 0x30, 0x13, 0x06,
    0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xf0, 0x76,
    0x0e, 0x47, 0xeb, 0xa5, 0x2d, 0x7b, 0xea, 0xd5, 0xb5, 0xa7, 0x95, 0x5b,
    0xbb, 0xda, 0x51, 0xae, 0xe9, 0x78, 0x3b, 0x0a, 0xd2, 0xe2, 0x1a, 0xeb,
    0xf7, 0x83, 0xec, 0xe5, 0x83, 0x97, 0x0d, 0xb7, 0x40, 0x7f, 0x7e, 0x20,
    0xba, 0xfb, 0x87, 0xda, 0x20, 0x05, 0x10, 0x9b, 0x22, 0x7a, 0xd6, 0x30,
    0x00, 0x22, 0x9b, 0x31, 0x25, 0x51, 0x92, 0x07, 0xd4, 0x01, 0xa4, 0x34,
    0x43, 0x38, 0xa3, 0x64, 0x30, 0x62, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d,
    0x0e, 0x04, 0x16, 0x04, 0x14, 0xac, 0xeb, 0x1e, 0x4d, 0x77, 0x52, 0x27,
    0xfb, 0xeb, 0xfb, 0x0b, 0x86, 0x07, 0x7b, 0x74, 0x25, 0x99, 0x8b, 0xae,
    0x5a, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16,
    0x80, 0x14, 0xac, 0xeb, 0x1e, 0x4d, 0x77, 0x52, 0x27, 0xfb, 0xeb, 0xfb,
    0x0b, 0x86, 0x07, 0x7b, 0x74, 0x25, 0x99, 0x8b, 0xae, 0x5a, 0x30, 0x0f,
    0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03,
    0x01, 0x01, 0xff, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x08,
    0x30, 0x06, 0x87, 0x04, 0x7f, 0x00, 0x00, 0x01, 0x30, 0x0a, 0x06, 0x08,
    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30,
    0x44, 0x02, 0x20, 0x15, 0x1e, 0xc8, 0xeb, 0xa7, 0xf4, 0x8a, 0x48, 0xa7,
    0x26, 0x95, 0x11, 0x1c, 0xf2, 0x33, 0x2f, 0x5c, 0x72, 0x44, 0x4d, 0x81,
    0xcb, 0xf8, 0x6d, 0x29, 0xcb, 0x4d, 0x75, 0x49, 0xaa, 0x67, 0x3b, 0x02,
    0x20, 0x71, 0xee, 0x7f, 0x41, 0x7e, 0xf3, 0x1b, 0xf2, 0x8d, 0x97, 0xaf,
    0xfe, 0xd8, 0x03, 0xf2, 0x74, 0x7a, 0x4c, 0x54, 0x7d, 0x04, 0x71, 0xf3,
    0x01, 0xc2, 0x68, 0x1d, 0x23, 0x3b, 0xfa, 0xe7, 0xe0,
};
static const unsigned char transcript_key_x[] = {
    0x1b, 0xe6, 0x2d, 0x4f, 0x41, 0x4a, 0x59, 0x23, 0xcf, 0x93, 0xab, 0xd1,
    0xfc, 0x1b, 0xc5, 0x23, 0x57, 0xe9, 0xb0, 0x8d, 0x22, 0x0c, 0x32, 0xcf,
    0x23, 0x1b, 0xda, 0x5c, 0x9a, 0xaf, 0x3a, 0x1a,
};

#define TRANSCRIPT_HEAD_MAX ((size_t)64 * 1024)

typedef struct transcript_conn {
    struct transcript_conn *next;
    transcript *t;
    int fd;
    unsigned serial;
    short events;
    br_ssl_server_context sc;
    unsigned char *iobuf;     /* BR_SSL_BUFSIZE_BIDI bytes, owned */
    http_buf in;              /* request bytes not parsed yet */
    /* The answer being sent: its bytes, the ends of its records, where it stands. */
    http_buf wire;
    size_t *ends;             /* owned */
    size_t nends, next_end, off;
    uint32_t pause_ms;
    transcript_end end;
    bool answering;           /* a request was read and its answer is not over */
    bool held;                /* ...and waits for transcript_release */
    size_t held_req;          /* the request it waits with */
    const transcript_step *step;
    bool paused, closing;
    loop_timer_id pause_timer;
} transcript_conn;

struct transcript {
    loop *l;
    const transcript_step *steps;
    size_t nsteps;
    bool any_order;
    bool *used;               /* per step, owned */
    size_t next_step;
    int lfd;
    uint16_t port;
    unsigned serials;
    transcript_conn *conns;
    transcript_request *reqs; /* owned, with their strings */
    size_t nreqs, reqs_cap;
    br_x509_certificate chain;
    br_ec_private_key key;
    tls_creds *creds;         /* for transcript_client_new; owned */
    bool failed;
    char error[512];
    bool deadline_hit;
};

static void transcript_failf(transcript *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void transcript_failf(transcript *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    t->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error, sizeof t->error, fmt, ap);
    va_end(ap);
}

/* ---- connections ---- */

static void transcript_conn_free(transcript_conn *c)
{
    transcript *t = c->t;
    for (transcript_conn **p = &t->conns; *p != NULL; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    if (c->pause_timer != 0)
        loop_timer_cancel(t->l, c->pause_timer);
    loop_fd_remove(t->l, c->fd);
    close(c->fd);
    http_buf_free(&c->in);
    http_buf_free(&c->wire);
    free(c->ends);
    free(c->iobuf);
    free(c);
}

static const char *transcript_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Whatever";
    }
}

static int transcript_add_end(transcript_conn *c, size_t end)
{
    size_t *grown = realloc(c->ends, (c->nends + 1) * sizeof *grown);
    if (grown == NULL)
        return -1;
    c->ends = grown;
    c->ends[c->nends++] = end;
    return 0;
}

static int transcript_appendf(http_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int transcript_appendf(http_buf *b, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof text)
        return -1;
    return http_buf_append(b, text, (size_t)n);
}

/* Lays out the step's answer in c->wire with the ends of its records. 0 or -1 (OOM). */
static int transcript_build(transcript_conn *c, const transcript_step *s, const char *body, size_t len)
{
    http_buf *w = &c->wire;
    int rc = transcript_appendf(w, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n", s->status,
                                transcript_reason(s->status));
    if (s->chunked)
        rc |= http_buf_puts(w, "Transfer-Encoding: chunked\r\n");
    else
        rc |= transcript_appendf(w, "Content-Length: %zu\r\n", len);
    if (s->end == TRANSCRIPT_CLOSE)
        rc |= http_buf_puts(w, "Connection: close\r\n");
    rc |= http_buf_puts(w, s->headers != NULL ? s->headers : "");
    rc |= http_buf_puts(w, "\r\n");
    rc |= transcript_add_end(c, w->len);
    size_t cut = 0; /* TRANSCRIPT_CUT: where the bytes stop */
    if (!s->chunked) {
        cut = w->len + len / 2;
        rc |= http_buf_append(w, body, len);
    }
    for (size_t at = 0; s->chunked && at < len;) {
        size_t n = s->chunk_size == 0 || s->chunk_size > len - at ? len - at : s->chunk_size;
        rc |= transcript_appendf(w, "%zx\r\n", n);
        cut = w->len + n / 2;
        rc |= http_buf_append(w, body + at, n);
        rc |= http_buf_puts(w, "\r\n");
        rc |= transcript_add_end(c, w->len);
        at += n;
    }
    if (s->chunked && s->end != TRANSCRIPT_HOLD && s->end != TRANSCRIPT_CUT)
        rc |= http_buf_puts(w, "0\r\n\r\n");
    if (rc != 0)
        return -1;
    if (s->end == TRANSCRIPT_CUT)
        http_buf_truncate(w, cut > c->ends[0] ? cut : c->ends[0]);
    /* The records: the natural ones cut at the end, or record_size bytes each. */
    size_t kept = 0;
    for (size_t i = 0; i < c->nends && s->record_size == 0; i++)
        if (c->ends[i] < w->len)
            c->ends[kept++] = c->ends[i];
    c->nends = kept;
    for (size_t at = s->record_size; s->record_size != 0 && at < w->len; at += s->record_size)
        rc |= transcript_add_end(c, at);
    rc |= transcript_add_end(c, w->len);
    return rc;
}

static void transcript_pump(transcript_conn *c);

/* Lays out the answer of step s to request req and starts sending it. */
static void transcript_start(transcript_conn *c, const transcript_step *s, size_t req)
{
    if (s->end == TRANSCRIPT_DROP) {
        c->closing = true;
        return;
    }
    http_buf_reset(&c->wire);
    c->nends = c->next_end = c->off = 0;
    c->pause_ms = s->pause_ms;
    c->end = s->end;
    char *made = NULL;
    const char *body = s->body != NULL ? s->body : "";
    if (s->body_fn != NULL) {
        made = s->body_fn(&c->t->reqs[req]);
        if (made == NULL) {
            transcript_failf(c->t, "request %zu: the step's body_fn failed", req);
            c->closing = true;
            return;
        }
        body = made;
    }
    if (transcript_build(c, s, body, strlen(body)) != 0) {
        transcript_failf(c->t, "request %zu: out of memory for the answer", req);
        c->closing = true;
    }
    free(made);
}

/* Answers request req with step s (NULL: no step matched, and the connection closes), or
 * keeps it for transcript_release when the step is held. */
static void transcript_answer(transcript_conn *c, const transcript_step *s, size_t req)
{
    c->answering = true;
    c->step = s;
    if (s == NULL) {
        c->closing = true;
    } else if (s->held) {
        c->held = true;
        c->held_req = req;
    } else {
        transcript_start(c, s, req);
    }
}

/* Whether the query (after '?', or NULL) has the parameter want ("name=value" or "name"). */
static bool transcript_has_param(const char *query, const char *want)
{
    size_t wl = strlen(want);
    bool bare = strchr(want, '=') == NULL;
    for (const char *p = query; p != NULL && *p != '\0';) {
        const char *amp = strchr(p, '&');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
        if (n == wl && memcmp(p, want, wl) == 0)
            return true;
        if (bare && n > wl && memcmp(p, want, wl) == 0 && p[wl] == '=')
            return true;
        p = amp != NULL ? amp + 1 : NULL;
    }
    return false;
}

static bool transcript_matches(const transcript_step *s, const transcript_request *r)
{
    if (strcmp(s->method, r->method) != 0)
        return false;
    const char *q = strchr(r->target, '?');
    size_t path_len = q != NULL ? (size_t)(q - r->target) : strlen(r->target);
    size_t want = strlen(s->path);
    if (path_len < want || memcmp(r->target, s->path, want) != 0)
        return false;
    for (size_t i = 0; i < sizeof s->query / sizeof s->query[0] && s->query[i] != NULL; i++)
        if (!transcript_has_param(q != NULL ? q + 1 : NULL, s->query[i]))
            return false;
    return true;
}

/* The step for request r: the next one in order, or the first unused match. */
static const transcript_step *transcript_pick(transcript *t, transcript_request *r, size_t idx)
{
    size_t i = t->next_step;
    if (t->any_order)
        for (i = 0; i < t->nsteps && (t->used[i] || !transcript_matches(&t->steps[i], r)); i++)
            ;
    if (i >= t->nsteps) {
        transcript_failf(t, "request %zu (%s %s): no step left for it", idx, r->method, r->target);
        return NULL;
    }
    if (!transcript_matches(&t->steps[i], r)) {
        transcript_failf(t, "request %zu (%s %s) does not match step %zu (%s %s)", idx, r->method, r->target, i,
                         t->steps[i].method, t->steps[i].path);
        return NULL;
    }
    t->used[i] = true;
    t->next_step = i + 1;
    r->step = (int)i;
    return &t->steps[i];
}

/* Content-Length of a request head (NUL-terminated, CRLF lines), 0 when absent. */
static size_t transcript_content_length(const char *head)
{
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            return strtoul(line + 17, NULL, 10);
    return 0;
}

static int transcript_record(transcript *t, transcript_conn *c, const char *head, const char *body, size_t body_len)
{
    if (t->nreqs == t->reqs_cap) {
        size_t cap = t->reqs_cap ? t->reqs_cap * 2 : 16;
        transcript_request *grown = realloc(t->reqs, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        t->reqs = grown;
        t->reqs_cap = cap;
    }
    transcript_request *r = &t->reqs[t->nreqs];
    memset(r, 0, sizeof *r);
    const char *sp = strchr(head, ' ');
    const char *sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
    if (sp == NULL || sp2 == NULL || (size_t)(sp - head) >= sizeof r->method)
        return -1;
    memcpy(r->method, head, (size_t)(sp - head));
    r->target = strndup(sp + 1, (size_t)(sp2 - sp - 1));
    r->body = malloc(body_len + 1);
    if (r->target == NULL || r->body == NULL) {
        free(r->target);
        free(r->body);
        return -1;
    }
    memcpy(r->body, body, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    r->at_ms = loop_now_ms();
    r->conn = c->serial;
    r->step = -1;
    t->nreqs++;
    return 0;
}

/* Reads the next whole request out of c->in and starts its answer. False when none is whole. */
static bool transcript_take_request(transcript_conn *c)
{
    transcript *t = c->t;
    char *data = c->in.data;
    char *head_end = data != NULL ? strstr(data, "\r\n\r\n") : NULL;
    if (head_end == NULL) {
        if (c->in.len > TRANSCRIPT_HEAD_MAX) {
            transcript_failf(t, "a request head over %zu bytes", TRANSCRIPT_HEAD_MAX);
            transcript_answer(c, NULL, 0);
        }
        return false;
    }
    size_t head_len = (size_t)(head_end - data) + 4;
    head_end[2] = '\0'; /* the head as a string of CRLF lines */
    size_t body_len = transcript_content_length(data);
    if (c->in.len - head_len < body_len) {
        head_end[2] = '\r';
        return false;
    }
    if (transcript_record(t, c, data, data + head_len, body_len) != 0) {
        transcript_failf(t, "a request that cannot be recorded (bad request line or out of memory)");
        transcript_answer(c, NULL, 0);
        return false;
    }
    size_t used = head_len + body_len;
    memmove(c->in.data, c->in.data + used, c->in.len - used);
    http_buf_truncate(&c->in, c->in.len - used);
    size_t idx = t->nreqs - 1;
    transcript_answer(c, transcript_pick(t, &t->reqs[idx], idx), idx);
    return true;
}

static void transcript_on_pause(loop *l, void *arg)
{
    (void)l;
    transcript_conn *c = arg;
    c->pause_timer = 0;
    c->paused = false;
    transcript_pump(c);
}

/* Copies answer bytes into the engine up to the next record's end; at that end, flushes
 * the record and, between records, starts the pause. Returns true on progress. */
static bool transcript_send_app(transcript_conn *c, br_ssl_engine_context *eng)
{
    if (!c->answering || c->held || c->closing || c->paused || c->next_end >= c->nends)
        return false;
    size_t avail;
    unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &avail);
    size_t n = c->ends[c->next_end] - c->off;
    if (n > avail)
        n = avail;
    memcpy(buf, c->wire.data + c->off, n);
    br_ssl_engine_sendapp_ack(eng, n);
    c->off += n;
    if (c->off < c->ends[c->next_end])
        return true;
    br_ssl_engine_flush(eng, 0);
    c->next_end++;
    if (c->next_end < c->nends && c->pause_ms > 0) {
        c->paused = true;
        c->pause_timer = loop_timer_add(c->t->l, c->pause_ms, transcript_on_pause, c);
    }
    if (c->next_end == c->nends) {
        if (c->end == TRANSCRIPT_KEEP)
            c->answering = false;
        else if (c->end != TRANSCRIPT_HOLD)
            c->closing = true;
    }
    return true;
}

/* Moves bytes between the socket, the engine and the script until nothing moves. Frees c
 * when the connection ends. */
static void transcript_pump(transcript_conn *c)
{
    br_ssl_engine_context *eng = &c->sc.eng;
    bool want_write = false;
    for (bool progress = true; progress;) {
        progress = false;
        unsigned st = br_ssl_engine_current_state(eng);
        if (st & BR_SSL_CLOSED) {
            transcript_conn_free(c);
            return;
        }
        want_write = false;
        if (st & BR_SSL_SENDREC) {
            size_t len;
            unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
            ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
            if (n > 0) {
                br_ssl_engine_sendrec_ack(eng, (size_t)n);
                progress = true;
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                transcript_conn_free(c);
                return;
            }
            want_write = true;
        } else if (c->closing) {
            transcript_conn_free(c); /* everything queued is out */
            return;
        }
        if (st & BR_SSL_RECVAPP) {
            size_t len;
            unsigned char *buf = br_ssl_engine_recvapp_buf(eng, &len);
            if (http_buf_append(&c->in, buf, len) != 0) {
                transcript_failf(c->t, "out of memory for a request");
                transcript_conn_free(c);
                return;
            }
            br_ssl_engine_recvapp_ack(eng, len);
            progress = true;
        }
        if (!c->answering && !c->closing && transcript_take_request(c))
            progress = true;
        if ((st & BR_SSL_SENDAPP) && transcript_send_app(c, eng))
            progress = true;
        if (st & BR_SSL_RECVREC) {
            size_t len;
            unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
            ssize_t n = recv(c->fd, buf, len, 0);
            if (n > 0) {
                br_ssl_engine_recvrec_ack(eng, (size_t)n);
                progress = true;
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                transcript_conn_free(c); /* the client went away */
                return;
            }
        }
    }
    short events = (short)(POLLIN | (want_write ? POLLOUT : 0));
    if (events != c->events) {
        loop_fd_set_events(c->t->l, c->fd, events);
        c->events = events;
    }
}

static void transcript_on_conn(loop *l, int fd, short revents, void *arg)
{
    (void)l;
    (void)fd;
    (void)revents;
    transcript_pump(arg);
}

static void transcript_on_accept(loop *l, int fd, short revents, void *arg)
{
    (void)revents;
    transcript *t = arg;
    for (;;) {
        int cfd = accept(fd, NULL, NULL);
        if (cfd < 0)
            return;
        if (fcntl(cfd, F_SETFL, O_NONBLOCK) != 0 || fcntl(cfd, F_SETFD, FD_CLOEXEC) != 0) {
            close(cfd);
            transcript_failf(t, "cannot make a connection non-blocking");
            continue;
        }
        /* Each record goes out at once: Nagle would hold a small one back for the client's
         * delayed ACK (40 ms a time). */
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        transcript_conn *c = calloc(1, sizeof *c);
        unsigned char *iobuf = malloc(BR_SSL_BUFSIZE_BIDI);
        if (c == NULL || iobuf == NULL) {
            free(c);
            free(iobuf);
            close(cfd);
            transcript_failf(t, "out of memory for a connection");
            continue;
        }
        c->t = t;
        c->fd = cfd;
        c->serial = ++t->serials;
        c->iobuf = iobuf;
        c->events = POLLIN;
        http_buf_init(&c->in);
        http_buf_init(&c->wire);
        br_ssl_server_init_full_ec(&c->sc, &t->chain, 1, BR_KEYTYPE_EC, &t->key);
        br_ssl_engine_set_buffer(&c->sc.eng, c->iobuf, BR_SSL_BUFSIZE_BIDI, 1);
        /* BearSSL 0.6 seeds itself only from RDRAND (see tls.c): seed it, or arm64 fails. */
        unsigned char seed[32];
        if (getentropy(seed, sizeof seed) == 0)
            br_ssl_engine_inject_entropy(&c->sc.eng, seed, sizeof seed);
        if (!br_ssl_server_reset(&c->sc)) {
            transcript_failf(t, "the server's TLS engine did not reset (BearSSL error %d)",
                             br_ssl_engine_last_error(&c->sc.eng));
            close(cfd);
            free(c->iobuf);
            free(c);
            continue;
        }
        c->next = t->conns;
        t->conns = c;
        if (loop_fd_add(l, cfd, POLLIN, transcript_on_conn, c) != 0) {
            transcript_failf(t, "cannot watch a connection");
            close(cfd);
            t->conns = c->next;
            free(c->iobuf);
            free(c);
        }
    }
}

/* ---- the transcript ---- */

transcript *transcript_new(loop *l, const transcript_step *steps, size_t nsteps, bool any_order)
{
    transcript *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->l = l;
    t->steps = steps;
    t->nsteps = nsteps;
    t->any_order = any_order;
    t->used = calloc(nsteps + 1, sizeof *t->used);
    t->chain = (br_x509_certificate){(unsigned char *)transcript_cert, sizeof transcript_cert};
    t->key = (br_ec_private_key){BR_EC_secp256r1, (unsigned char *)transcript_key_x, sizeof transcript_key_x};
    t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (t->used == NULL || t->lfd < 0 || bind(t->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(t->lfd, 64) != 0 || getsockname(t->lfd, (struct sockaddr *)&a, &alen) != 0 ||
        loop_fd_add(l, t->lfd, POLLIN, transcript_on_accept, t) != 0) {
        if (t->lfd >= 0)
            close(t->lfd);
        free(t->used);
        free(t);
        return NULL;
    }
    t->port = ntohs(a.sin_port);
    return t;
}

void transcript_free(transcript *t)
{
    if (t == NULL)
        return;
    while (t->conns != NULL)
        transcript_conn_free(t->conns);
    loop_fd_remove(t->l, t->lfd);
    close(t->lfd);
    for (size_t i = 0; i < t->nreqs; i++) {
        free(t->reqs[i].target);
        free(t->reqs[i].body);
    }
    free(t->reqs);
    free(t->used);
    tls_creds_free(t->creds);
    free(t);
}

uint16_t transcript_port(const transcript *t)
{
    return t->port;
}

apiclient_client *transcript_client_new(transcript *t)
{
    char err[256];
    if (t->creds == NULL) {
        tls_creds_input in = {.insecure_skip_verify = true};
        if (tls_creds_new(&in, &t->creds, err, sizeof err) != 0)
            return NULL;
    }
    apiclient_config cfg = {.name = "test", .host = "127.0.0.1", .port = t->port, .path_prefix = "",
                            .creds = t->creds, .request_timeout_ms = 5000};
    return apiclient_new(t->l, NULL, &cfg, err, sizeof err);
}

size_t transcript_count(const transcript *t)
{
    return t->nreqs;
}

const transcript_request *transcript_request_at(const transcript *t, size_t i)
{
    static const transcript_request none = {.target = "", .body = "", .step = -1};
    return i < t->nreqs ? &t->reqs[i] : &none;
}

size_t transcript_held(const transcript *t)
{
    size_t n = 0;
    for (const transcript_conn *c = t->conns; c != NULL; c = c->next)
        n += c->held;
    return n;
}

void transcript_release(transcript *t, size_t n)
{
    for (; n > 0; n--) {
        transcript_conn *oldest = NULL;
        for (transcript_conn *c = t->conns; c != NULL; c = c->next)
            if (c->held && (oldest == NULL || c->held_req < oldest->held_req))
                oldest = c;
        if (oldest == NULL)
            return;
        oldest->held = false;
        transcript_start(oldest, oldest->step, oldest->held_req);
        transcript_pump(oldest);
    }
}

static void transcript_on_deadline(loop *l, void *arg)
{
    (void)l;
    ((transcript *)arg)->deadline_hit = true;
}

int transcript_wait(transcript *t, bool (*cond)(void *), void *arg, const char *what)
{
    t->deadline_hit = false;
    loop_timer_id deadline = loop_timer_add(t->l, TRANSCRIPT_DEADLINE_MS, transcript_on_deadline, t);
    while (!cond(arg) && !t->failed && !t->deadline_hit)
        if (loop_run_once(t->l, -1) != 0)
            break;
    loop_timer_cancel(t->l, deadline);
    if (cond(arg))
        return 0;
    transcript_failf(t, "timed out after %d ms waiting for %s", TRANSCRIPT_DEADLINE_MS, what);
    return -1;
}

typedef struct {
    const transcript *t;
    size_t n;
} transcript_count_wait;

static bool transcript_count_reached(void *arg)
{
    const transcript_count_wait *w = arg;
    return w->t->nreqs >= w->n;
}

int transcript_wait_count(transcript *t, size_t n)
{
    transcript_count_wait w = {t, n};
    char what[64];
    snprintf(what, sizeof what, "request %zu", n);
    return transcript_wait(t, transcript_count_reached, &w, what);
}

void transcript_run_for(transcript *t, uint32_t ms)
{
    t->deadline_hit = false;
    loop_timer_id stop = loop_timer_add(t->l, ms, transcript_on_deadline, t);
    while (!t->deadline_hit)
        if (loop_run_once(t->l, -1) != 0)
            break;
    loop_timer_cancel(t->l, stop);
}

bool transcript_ok(const transcript *t)
{
    return !t->failed;
}

const char *transcript_error(const transcript *t)
{
    return t->error[0] != '\0' ? t->error : "no error";
}
