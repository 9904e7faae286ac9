/* dns: one worker thread runs getaddrinfo() for queued requests and reports through a
 * pipe that the loop watches; cancellation is a flag checked on the loop thread. */
#include "net/dns.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dns_request {
    struct dns_request *next;     /* worker queues (todo, done), guarded by mu */
    struct dns_request *all_next; /* loop thread's list of unreported requests */
    uint64_t id;
    char host[256];
    uint16_t port;
    dns_cb cb;
    void *arg;
    bool cancelled; /* touched only on the loop thread */
    int status;
    char err[400];
    struct sockaddr_storage addrs[DNS_MAX_ADDRS];
    size_t naddrs;
} dns_request;

struct dns_resolver {
    loop *l;
    pthread_t thread;
    bool started, stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dns_request *todo_head, *todo_tail; /* guarded by mu */
    dns_request *done;                   /* guarded by mu */
    dns_request *outstanding;            /* loop thread only: for dns_cancel and dns_free */
    int pipe_rd, pipe_wr;
    uint64_t next_id;
};

static void dns_lookup(dns_request *q)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    char port[8];
    snprintf(port, sizeof port, "%u", q->port);
    int rc = getaddrinfo(q->host, port, &hints, &res);
    if (rc != 0) {
        q->status = -1;
        snprintf(q->err, sizeof q->err, "cannot resolve %s: %s", q->host, gai_strerror(rc));
        return;
    }
    for (struct addrinfo *a = res; a != NULL && q->naddrs < DNS_MAX_ADDRS; a = a->ai_next) {
        if (a->ai_addrlen <= sizeof q->addrs[0]) {
            memcpy(&q->addrs[q->naddrs], a->ai_addr, a->ai_addrlen);
            q->naddrs++;
        }
    }
    freeaddrinfo(res);
    if (q->naddrs == 0) {
        q->status = -1;
        snprintf(q->err, sizeof q->err, "cannot resolve %s: no usable address", q->host);
    }
}

static void *dns_worker(void *arg)
{
    dns_resolver *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->todo_head == NULL && !r->stopping)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stopping)
            break;
        dns_request *q = r->todo_head;
        r->todo_head = q->next;
        if (r->todo_head == NULL)
            r->todo_tail = NULL;
        pthread_mutex_unlock(&r->mu);
        dns_lookup(q);
        pthread_mutex_lock(&r->mu);
        q->next = r->done;
        r->done = q;
        /* A full pipe already means "something is done": the write may fail harmlessly. */
        ssize_t ignored = write(r->pipe_wr, "x", 1);
        (void)ignored;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The loop thread owns request memory once queued: it frees a request after reporting it. */
static void dns_unlink(dns_resolver *r, dns_request *q)
{
    for (dns_request **p = &r->outstanding; *p != NULL; p = &(*p)->all_next) {
        if (*p == q) {
            *p = q->all_next;
            return;
        }
    }
}

static void dns_on_pipe(loop *l, int fd, short revents, void *arg)
{
    (void)l;
    (void)revents;
    dns_resolver *r = arg;
    char drain[64];
    while (read(fd, drain, sizeof drain) > 0) {
    }
    pthread_mutex_lock(&r->mu);
    dns_request *done = r->done;
    r->done = NULL;
    pthread_mutex_unlock(&r->mu);
    while (done != NULL) {
        dns_request *q = done;
        done = q->next;
        dns_unlink(r, q);
        if (!q->cancelled)
            q->cb(q->arg, q->status, q->addrs, q->naddrs, q->status == 0 ? NULL : q->err);
        free(q);
    }
}

dns_resolver *dns_new(loop *l)
{
    dns_resolver *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->l = l;
    r->next_id = 1;
    r->pipe_rd = r->pipe_wr = -1;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    return r;
}

static int dns_start(dns_resolver *r)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    r->pipe_rd = p[0];
    r->pipe_wr = p[1];
    if (loop_fd_add(r->l, r->pipe_rd, POLLIN, dns_on_pipe, r) != 0)
        return -1;
    /* getaddrinfo needs little stack; a small one keeps the thread's footprint down. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    int rc = pthread_create(&r->thread, &attr, dns_worker, r);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        loop_fd_remove(r->l, r->pipe_rd);
        return -1;
    }
    r->started = true;
    return 0;
}

uint64_t dns_resolve(dns_resolver *r, const char *host, uint16_t port, dns_cb cb, void *arg)
{
    if (!r->started && dns_start(r) != 0)
        return 0;
    dns_request *q = calloc(1, sizeof *q);
    if (q == NULL)
        return 0;
    q->id = r->next_id++;
    snprintf(q->host, sizeof q->host, "%s", host);
    q->port = port;
    q->cb = cb;
    q->arg = arg;
    q->all_next = r->outstanding;
    r->outstanding = q;
    pthread_mutex_lock(&r->mu);
    if (r->todo_tail != NULL)
        r->todo_tail->next = q;
    else
        r->todo_head = q;
    r->todo_tail = q;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return q->id;
}

void dns_cancel(dns_resolver *r, uint64_t id)
{
    for (dns_request *q = r->outstanding; q != NULL; q = q->all_next) {
        if (q->id == id) {
            q->cancelled = true;
            return;
        }
    }
}

void dns_free(dns_resolver *r)
{
    if (r == NULL)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stopping = true;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        /* A lookup in progress finishes first; getaddrinfo has its own timeouts. */
        pthread_join(r->thread, NULL);
        loop_fd_remove(r->l, r->pipe_rd);
    }
    /* The worker is gone: every request, queued, done or never started, is ours to free. */
    while (r->outstanding != NULL) {
        dns_request *q = r->outstanding;
        r->outstanding = q->all_next;
        free(q);
    }
    if (r->pipe_rd >= 0)
        close(r->pipe_rd);
    if (r->pipe_wr >= 0)
        close(r->pipe_wr);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
