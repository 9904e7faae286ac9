/* kcred: a kubeconfig's cluster (server, CA, TLS name) and user (client certificate and
 * key, token) read into kcfg_config, with what each trust mode refuses. */
#ifndef SVCLINK_KCRED_H
#define SVCLINK_KCRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knode.h"

/* The cluster entry name with body body (the "cluster" mapping): fills c->out's server,
 * url, CA, insecure_skip_tls_verify and tls_server_name. 0, or -1 with c->err set. */
int kcred_cluster(const kn_ctx *c, const char *name, uint32_t body);

/* The user entry name with body body (the "user" mapping): fills c->out's client
 * certificate and key, token and token_file. 0, or -1 with c->err set. */
int kcred_user(const kn_ctx *c, const char *name, uint32_t body);

/* True when data holds a PEM "-----BEGIN " line. */
bool kcred_pem_present(const uint8_t *data, size_t len);

#endif
