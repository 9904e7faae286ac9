/* httpd: the listener behind /healthz, /readyz, /leader and /metrics. Small and strict:
 * a slow or hostile client costs one bounded buffer and is dropped after a timeout. */
#include "net/httpd.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/text.h"

#define HTTPD_MAX_CONNS 32
#define HTTPD_TIMEOUT_MS 5000

typedef struct httpd_conn {
    httpd *srv;
    int fd;
    char in[HTTPD_MAX_REQUEST];
    size_t in_len;
    char *out; /* owned: the whole response */
    size_t out_len, out_sent;
    loop_timer_id timer;
    struct httpd_conn *next;
} httpd_conn;

struct httpd {
    loop *l;
    int fd;
    uint16_t port;
    httpd_handler handler;
    void *arg;
    httpd_conn *conns; /* owned list */
    int nconns;
};

int httpd_parse_request(const char *buf, size_t len, char *method, size_t method_cap, char *path, size_t path_cap)
{
    const char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            end = buf + i;
            break;
        }
    }
    if (end == NULL)
        return len >= HTTPD_MAX_REQUEST ? -1 : 0;
    const char *sp1 = memchr(buf, ' ', (size_t)(end - buf));
    if (sp1 == NULL || sp1 == buf || (size_t)(sp1 - buf) >= method_cap)
        return -1;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(end - target));
    const char *eol = memchr(buf, '\r', (size_t)(end - buf) + 1);
    if (sp2 == NULL || eol == NULL || sp2 > eol || sp2 == target || *target != '/')
        return -1;
    if ((size_t)(eol - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return -1;
    const char *q = memchr(target, '?', (size_t)(sp2 - target));
    size_t plen = (size_t)((q != NULL ? q : sp2) - target);
    if (plen >= path_cap)
        return -1;
    for (const char *p = buf; p < sp1; p++) {
        if (*p < 'A' || *p > 'Z')
            return -1;
    }
    for (const char *p = target; p < target + plen; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return -1;
    }
    memcpy(method, buf, (size_t)(sp1 - buf));
    method[sp1 - buf] = '\0';
    memcpy(path, target, plen);
    path[plen] = '\0';
    return 1;
}

static char httpd_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool httpd_same_ci(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        if (httpd_lower(a[i]) != httpd_lower(b[i]))
            return false;
    }
    return true;
}

static bool httpd_blank(char c)
{
    return c == ' ' || c == '\t';
}

int httpd_header(const char *buf, size_t len, const char *name, char *out, size_t cap)
{
    if (cap == 0)
        return -1;
    out[0] = '\0';
    /* Each field line starts after a CRLF and ends at the next; the head ends at an empty one. */
    const char *p = memchr(buf, '\n', len), *end = buf + len;
    while (p != NULL && ++p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol != NULL ? eol : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        if (line_end == p)
            return 0; /* the empty line: no more fields */
        const char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (colon != NULL && httpd_same_ci(p, (size_t)(colon - p), name)) {
            const char *v = colon + 1, *ve = line_end;
            while (v < ve && httpd_blank(*v))
                v++;
            while (ve > v && httpd_blank(ve[-1]))
                ve--;
            if ((size_t)(ve - v) >= cap)
                return -1;
            memcpy(out, v, (size_t)(ve - v));
            out[ve - v] = '\0';
            return 1;
        }
        p = eol;
    }
    return 0;
}

/* One media range of an Accept value, text[0..len): does it name type with q > 0? */
static bool httpd_range_names(const char *text, size_t len, const char *type)
{
    const char *semi = memchr(text, ';', len), *end = text + len;
    const char *m = text, *me = semi != NULL ? semi : end;
    while (m < me && httpd_blank(*m))
        m++;
    while (me > m && httpd_blank(me[-1]))
        me--;
    if (!httpd_same_ci(m, (size_t)(me - m), type))
        return false;
    /* q=0 (0, 0.0, 0.000) refuses the type; any other weight, or none, accepts it. */
    for (const char *p = semi; p != NULL && p < end;) {
        p++;
        while (p < end && httpd_blank(*p))
            p++;
        const char *next = memchr(p, ';', (size_t)(end - p));
        const char *pe = next != NULL ? next : end;
        if (pe - p >= 2 && httpd_lower(p[0]) == 'q' && p[1] == '=') {
            bool zero = pe - p >= 3 && p[2] == '0';
            for (const char *d = p + 3; zero && d < pe && !httpd_blank(*d); d++)
                zero = *d == '0' || (*d == '.' && d == p + 3);
            return !zero;
        }
        p = next;
    }
    return true;
}

bool httpd_accepts(const char *accept, const char *type)
{
    for (const char *p = accept; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (httpd_range_names(p, n, type))
            return true;
        p = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

static const char *httpd_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

static void httpd_conn_close(httpd_conn *c)
{
    httpd *s = c->srv;
    for (httpd_conn **pp = &s->conns; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    s->nconns--;
    loop_fd_remove(s->l, c->fd);
    close(c->fd);
    if (c->timer != 0)
        loop_timer_cancel(s->l, c->timer);
    free(c->out);
    free(c);
}

static void httpd_on_timeout(loop *l, void *arg)
{
    (void)l;
    httpd_conn *c = arg;
    c->timer = 0;
    httpd_conn_close(c);
}

/* Builds the response; the body is taken over (freed here). */
static void httpd_respond(httpd_conn *c, const char *method, httpd_reply *r)
{
    bool head = strcmp(method, "HEAD") == 0;
    const char *ctype = r->content_type != NULL ? r->content_type : "text/plain; charset=utf-8";
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                     r->status, httpd_reason(r->status), ctype, r->body_len);
    size_t blen = head ? 0 : r->body_len;
    c->out = n > 0 && (size_t)n < sizeof hdr ? malloc((size_t)n + blen + 1) : NULL;
    if (c->out != NULL) {
        memcpy(c->out, hdr, (size_t)n);
        if (blen > 0)
            memcpy(c->out + n, r->body, blen);
        c->out_len = (size_t)n + blen;
    }
    free(r->body);
    r->body = NULL;
}

static void httpd_on_conn(loop *l, int fd, short revents, void *arg)
{
    (void)revents; /* the state says whether we read or write */
    httpd_conn *c = arg;
    if (c->out == NULL) {
        ssize_t got = read(fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
            httpd_conn_close(c);
            return;
        }
        if (got < 0)
            return;
        c->in_len += (size_t)got;
        char method[16], path[512];
        int st = httpd_parse_request(c->in, c->in_len, method, sizeof method, path, sizeof path);
        if (st == 0)
            return;
        httpd_reply reply = {.status = 400};
        if (st < 0)
            snprintf(method, sizeof method, "GET");
        else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            reply.status = 405;
        else {
            char accept[HTTPD_MAX_ACCEPT];
            if (httpd_header(c->in, c->in_len, "accept", accept, sizeof accept) != 1)
                accept[0] = '\0';
            httpd_request req = {.path = path, .accept = accept};
            c->srv->handler(c->srv->arg, &req, &reply);
        }
        if (reply.body == NULL && reply.status != 200) {
            reply.body = strdup(httpd_reason(reply.status));
            reply.body_len = reply.body != NULL ? strlen(reply.body) : 0;
        }
        httpd_respond(c, method, &reply);
        if (c->out == NULL) {
            httpd_conn_close(c);
            return;
        }
        loop_fd_set_events(l, fd, POLLOUT);
        return;
    }
    ssize_t put = write(fd, c->out + c->out_sent, c->out_len - c->out_sent);
    if (put < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (put <= 0) {
        httpd_conn_close(c);
        return;
    }
    c->out_sent += (size_t)put;
    if (c->out_sent == c->out_len)
        httpd_conn_close(c);
}

static void httpd_on_accept(loop *l, int fd, short revents, void *arg)
{
    (void)revents;
    httpd *s = arg;
    for (;;) {
        int cfd = accept(fd, NULL, NULL);
        if (cfd < 0)
            return; /* EAGAIN, or a transient error: the next readiness retries */
        /* Over the limit: refuse rather than queue, so probes never pile up. */
        httpd_conn *c = s->nconns < HTTPD_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
        if (c == NULL || fcntl(cfd, F_SETFL, O_NONBLOCK) != 0 || fcntl(cfd, F_SETFD, FD_CLOEXEC) != 0 ||
            loop_fd_add(l, cfd, POLLIN, httpd_on_conn, c) != 0) {
            free(c);
            close(cfd);
            continue;
        }
        c->srv = s;
        c->fd = cfd;
        c->next = s->conns;
        s->conns = c;
        s->nconns++;
        c->timer = loop_timer_add(l, HTTPD_TIMEOUT_MS, httpd_on_timeout, c);
    }
}

static int httpd_bind(httpd *s, const char *host, uint16_t port, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
    /* Listening happens once at start-up, so a blocking lookup is acceptable here. */
    int rc = getaddrinfo(host[0] != '\0' ? host : NULL, portstr, &hints, &res);
    if (rc != 0) {
        text_errorf(err, errlen, "http listener: cannot resolve \"%s\": %s", host, gai_strerror(rc));
        return -1;
    }
    int saved = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
                s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                         : ((struct sockaddr_in *)&ss)->sin_port);
            s->fd = fd;
            freeaddrinfo(res);
            return 0;
        }
        saved = errno;
        close(fd);
    }
    freeaddrinfo(res);
    text_errorf(err, errlen, "http listener: cannot listen on %s:%u: %s", host[0] ? host : "*", (unsigned)port,
               strerror(saved));
    return -1;
}

httpd *httpd_new(loop *l, const char *host, uint16_t port, httpd_handler handler, void *arg, char *err, size_t errlen)
{
    httpd *s = calloc(1, sizeof *s);
    if (s == NULL) {
        text_errorf(err, errlen, "http listener: out of memory");
        return NULL;
    }
    s->l = l;
    s->handler = handler;
    s->arg = arg;
    s->fd = -1;
    if (httpd_bind(s, host, port, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    if (loop_fd_add(l, s->fd, POLLIN, httpd_on_accept, s) != 0) {
        text_errorf(err, errlen, "http listener: out of memory");
        close(s->fd);
        free(s);
        return NULL;
    }
    return s;
}

uint16_t httpd_port(const httpd *s)
{
    return s->port;
}

void httpd_free(httpd *s)
{
    if (s == NULL)
        return;
    while (s->conns != NULL)
        httpd_conn_close(s->conns);
    loop_fd_remove(s->l, s->fd);
    close(s->fd);
    free(s);
}
