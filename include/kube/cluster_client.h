/* cluster_client: turns a parsed kubeconfig into a live API client: TLS credentials, the server's
 * host, port and path prefix, and the bearer token or token file. */
#ifndef SVCLINK_KUBE_CLUSTER_CLIENT_H
#define SVCLINK_KUBE_CLUSTER_CLIENT_H

#include <stddef.h>

#include "net/dns.h"
#include "kube/apiclient.h"
#include "kube/exec_auth.h"
#include "kubeconfig/kcfg.h"
#include "net/loop.h"
#include "net/tls.h"

/* An API client together with the credentials it borrows; one owner frees them all. */
typedef struct {
    tls_creds *creds;
    exec_auth *auth; /* the user's exec plugin (trusted kubeconfigs only), or NULL */
    apiclient_client *api;
} cluster_client;

/* Builds creds and client for cfg. name labels every error. With cfg->exec the plugin is
 * run when the first request needs a credential (not here). Returns 0, or -1 with a
 * message in err (naming the kubeconfig field at fault; never a secret). */
int cluster_client_open(cluster_client *out, loop *l, dns_resolver *dns, const char *name, const kcfg_config *cfg, char *err,
               size_t errlen);
void cluster_client_close(cluster_client *k);

#endif
