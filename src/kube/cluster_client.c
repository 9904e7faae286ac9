/* cluster_client: the glue between kcfg (what the kubeconfig says) and tls/apiclient (how to talk):
 * kept apart so the main cluster and every ClusterLink are built the same way. */
#include "kube/cluster_client.h"

#include <stdio.h>
#include <string.h>

int cluster_client_open(cluster_client *out, loop *l, dns_resolver *dns, const char *name, const kcfg_config *cfg, char *err,
               size_t errlen)
{
    memset(out, 0, sizeof *out);
    tls_creds_input in = {
        .ca_pem = cfg->ca_pem,
        .ca_len = cfg->ca_pem_len,
        .cert_pem = cfg->client_cert_pem,
        .cert_len = cfg->client_cert_pem_len,
        .key_pem = cfg->client_key_pem,
        .key_len = cfg->client_key_pem_len,
        .insecure_skip_verify = cfg->insecure_skip_tls_verify,
    };
    char why[384];
    if (tls_creds_new(&in, &out->creds, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", name, why);
        return -1;
    }
    if (cfg->exec != NULL && (out->auth = exec_auth_new(l, name, cfg, err, errlen)) == NULL) {
        tls_creds_free(out->creds);
        out->creds = NULL;
        return -1;
    }
    apiclient_config kc = {
        .name = name,
        .host = cfg->url.host.name,
        .port = cfg->url.port,
        .path_prefix = cfg->url.path_prefix,
        .server_name = cfg->tls_server_name,
        .creds = out->creds,
        .token = cfg->token_file != NULL ? NULL : cfg->token,
        .token_file = cfg->token_file,
        .auth = out->auth,
    };
    out->api = apiclient_new(l, dns, &kc, err, errlen);
    if (out->api == NULL) {
        exec_auth_free(out->auth);
        tls_creds_free(out->creds);
        out->auth = NULL;
        out->creds = NULL;
        return -1;
    }
    return 0;
}

void cluster_client_close(cluster_client *k)
{
    apiclient_free(k->api);
    exec_auth_free(k->auth);
    tls_creds_free(k->creds);
    k->api = NULL;
    k->auth = NULL;
    k->creds = NULL;
}
