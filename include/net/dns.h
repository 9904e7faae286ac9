/* dns: name resolution off the loop thread, so a slow resolver for one cluster never
 * stalls the others; results come back as loop callbacks. */
#ifndef SVCLINK_NET_DNS_H
#define SVCLINK_NET_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/loop.h"

#define DNS_MAX_ADDRS 8

typedef struct dns_resolver dns_resolver;

/* status 0: addrs[0..n) are ready to connect to (port set); otherwise err says why. */
typedef void (*dns_cb)(void *arg, int status, const struct sockaddr_storage *addrs, size_t n,
                       const char *err);

/* The resolver owns one worker thread, started on first use. Caller owns the resolver. */
dns_resolver *dns_new(loop *l);
/* Cancels outstanding requests (their callbacks never run) and joins the worker. */
void dns_free(dns_resolver *r);

/* Resolves host:port; the callback runs later on the loop thread, never before this
 * returns. Returns a request id (never 0), or 0 on OOM. */
uint64_t dns_resolve(dns_resolver *r, const char *host, uint16_t port, dns_cb cb, void *arg);
/* The callback of a cancelled request never runs; no-op for unknown or finished ids. */
void dns_cancel(dns_resolver *r, uint64_t id);

#endif
