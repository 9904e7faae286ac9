/* kconn: turns a parsed kubeconfig into a live API client: TLS credentials, the server's
 * host, port and path prefix, and the bearer token or token file. */
#ifndef SVCLINK_KCONN_H
#define SVCLINK_KCONN_H

#include <stddef.h>

#include "dns.h"
#include "kapi.h"
#include "kcfg.h"
#include "loop.h"
#include "tls.h"

/* An API client together with the credentials it borrows; one owner frees both. */
typedef struct {
    tls_creds *creds;
    kapi_client *api;
} kconn;

/* Builds creds and client for cfg. name labels every error. Returns 0, or -1 with a
 * message in err (naming the kubeconfig field at fault; never a secret). */
int kconn_open(kconn *out, loop *l, dns_resolver *dns, const char *name, const kcfg_config *cfg, char *err,
               size_t errlen);
void kconn_close(kconn *k);

#endif
