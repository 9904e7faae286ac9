/* kcfg_cred: a kubeconfig's cluster (server, CA, TLS name) and user (client certificate and
 * key, token) read into kcfg_config, with what each trust mode refuses. */
#ifndef SVCLINK_KUBECONFIG_KCFG_CRED_H
#define SVCLINK_KUBECONFIG_KCFG_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/kcfg_node.h"

/* The cluster entry name with body body (the "cluster" mapping): fills c->out's server,
 * url, CA, insecure_skip_tls_verify and tls_server_name. 0, or -1 with c->err set. */
int kcfg_cred_cluster(const kcfg_node_ctx *c, const char *name, uint32_t body);

/* The user entry name with body body (the "user" mapping): fills c->out's client
 * certificate and key, token and token_file. 0, or -1 with c->err set. */
int kcfg_cred_user(const kcfg_node_ctx *c, const char *name, uint32_t body);

/* True when data holds a PEM "-----BEGIN " line. */
bool kcfg_cred_pem_present(const uint8_t *data, size_t len);

#endif
