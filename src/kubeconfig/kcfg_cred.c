/* kcfg_cred: the chosen cluster and user of a kubeconfig turned into kcfg_config: server, CA,
 * client certificate and key, token, each under the trust rules of kcfg.h. */
#include "kubeconfig/kcfg_cred.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "kubeconfig/kcfg_err.h"
#include "kubeconfig/kcfg_exec.h"
#include "kubeconfig/kcfg_file.h"
#include "base/text.h"

#define KCFG_CRED_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- trust rules ------------------------------------------------------------------------ */

typedef enum { KP_ALLOW, KP_REFUSE, KP_UNSUPPORTED } kpolicy_action;

typedef struct {
    uint8_t field; /* index into the section's keys */
    uint8_t untrusted, trusted;
    const char *why; /* the reason shown */
} kpolicy;

/* A file path in an untrusted kubeconfig would let a link read the controller's own files
 * (its service-account token, say) and send them to a server of its choosing. */
#define KP_FILE_WHY(alt) "it names a file on the controller's host; use " alt " instead"

/* Rules are checked in order, so the most dangerous field is the one named. */
static int kpolicy_check(const kcfg_node_ctx *c, const char *where, const char *const *keys, const uint32_t *vals,
                         const kpolicy *rules, size_t nrules)
{
    for (size_t r = 0; r < nrules; r++) {
        if (!kcfg_node_is_set(c, vals[rules[r].field]))
            continue;
        uint8_t action = c->trust == KCFG_TRUSTED ? rules[r].trusted : rules[r].untrusted;
        const char *field = keys[rules[r].field];
        if (action == KP_REFUSE)
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_REFUSED,
                             "%s: field \"%s\" is not allowed in a ClusterLink kubeconfig (%s)",
                             where, field, rules[r].why);
        if (action == KP_UNSUPPORTED)
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_UNSUPPORTED, "%s: field \"%s\" is not supported (%s)", where, field,
                             rules[r].why);
    }
    return 0;
}

/* ---- PEM fields: *-data or (trusted) a file --------------------------------------------- */

bool kcfg_cred_pem_present(const uint8_t *data, size_t len)
{
    static const char begin[] = "-----BEGIN ";
    const size_t n = sizeof begin - 1;
    for (size_t i = 0; i + n <= len; i++)
        if (data[i] == '-' && memcmp(data + i, begin, n) == 0)
            return true;
    return false;
}

typedef struct {
    const char *data_field, *file_field;
    uint32_t data, file;
} kpem_src;

static int kpem_from_data(const kcfg_node_ctx *c, const char *where, const char *field, const char *text, uint8_t **out,
                          size_t *out_len)
{
    size_t bad = 0;
    /* b64 reports running out of memory as a failure at byte 0; errno tells them apart. */
    errno = 0;
    if (b64_decode(text, strlen(text), out, out_len, &bad) != 0) {
        if (bad == 0 && errno == ENOMEM)
            return kcfg_err_nomem(c->err);
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s is not valid base64 (byte %zu)", where, field, bad);
    }
    if (kcfg_cred_pem_present(*out, *out_len))
        return 0;
    return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                     "%s: %s does not decode to PEM (no \"-----BEGIN\" line); was it base64-encoded twice?", where,
                     field);
}

static int kpem_from_file(const kcfg_node_ctx *c, const char *where, const char *field, const char *path, uint8_t **out,
                          size_t *out_len)
{
    char what[64];
    char *full = kcfg_file_join(c->base_dir, path);
    if (full == NULL)
        return kcfg_err_nomem(c->err);
    snprintf(what, sizeof what, "%s file", field);
    int rc = kcfg_file_read(full, where, what, out, out_len, c->err);
    if (rc == 0 && !kcfg_cred_pem_present(*out, *out_len)) {
        char shown[KCFG_ERR_NAME_BUF];
        rc = KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s file \"%s\" does not hold PEM (no \"-----BEGIN\" line)", where,
                       field, kcfg_err_show(full, shown));
    }
    free(full);
    return rc;
}

/* Decodes the *-data field or reads the file field (the trust rules already refused the
 * file in untrusted mode). *out stays NULL when neither is set. */
static int kpem_load(const kcfg_node_ctx *c, const char *where, const kpem_src *src, uint8_t **out, size_t *out_len)
{
    const char *data, *file;
    *out = NULL;
    *out_len = 0;
    if (kcfg_node_string(c, src->data, where, src->data_field, &data) != 0 ||
        kcfg_node_string(c, src->file, where, src->file_field, &file) != 0)
        return -1;
    if (data != NULL && file != NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s and %s are both set; use one (kubectl refuses both too)",
                         where, src->data_field, src->file_field);
    int rc = 0;
    if (data != NULL)
        rc = kpem_from_data(c, where, src->data_field, data, out, out_len);
    else if (file != NULL)
        rc = kpem_from_file(c, where, src->file_field, file, out, out_len);
    if (rc != 0) {
        text_wipe(*out, *out_len);
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    return rc;
}

/* ---- cluster ------------------------------------------------------------------------- */

enum { CL_SERVER, CL_CA_DATA, CL_CA_FILE, CL_INSECURE, CL_TLS_NAME, CL_PROXY, CL_N };
static const char *const kcluster_keys[CL_N] = {
    "server", "certificate-authority-data", "certificate-authority", "insecure-skip-tls-verify", "tls-server-name",
    "proxy-url",
};
static const kpolicy kcluster_rules[] = {
    {CL_CA_FILE, KP_REFUSE, KP_ALLOW, KP_FILE_WHY("certificate-authority-data")},
    {CL_PROXY, KP_REFUSE, KP_UNSUPPORTED,
     "a proxy would see or redirect the controller's traffic; svclink connects to API servers directly"},
};

static int kcluster_server(const kcfg_node_ctx *c, const char *where, uint32_t v)
{
    const char *server;
    char problem[URL_ERR_MAX];
    if (kcfg_node_string(c, v, where, "server", &server) != 0)
        return -1;
    if (server == NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: server is not set", where);
    if (url_parse(server, &c->out->url, problem, sizeof problem) != 0)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: server: %s", where, problem);
    return kcfg_node_dup(c, server, &c->out->server);
}

static int kcluster_tls_name(const kcfg_node_ctx *c, const char *where, uint32_t v)
{
    const char *name;
    char problem[URL_ERR_MAX];
    if (kcfg_node_string(c, v, where, "tls-server-name", &name) != 0)
        return -1;
    if (name == NULL)
        return 0;
    if (url_host_parse(name, strlen(name), &c->out->tls_server, problem, sizeof problem) != 0)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: tls-server-name: %s", where, problem);
    return kcfg_node_dup(c, c->out->tls_server.name, &c->out->tls_server_name);
}

int kcfg_cred_cluster(const kcfg_node_ctx *c, const char *name, uint32_t body)
{
    char where[KCFG_ERR_WHERE_BUF];
    uint32_t v[CL_N];
    bool insecure;
    kcfg_err_where(where, "cluster", name);
    if (kcfg_node_fields(c, body, where, kcluster_keys, CL_N, v) != 0 ||
        kpolicy_check(c, where, kcluster_keys, v, kcluster_rules, KCFG_CRED_COUNT(kcluster_rules)) != 0 ||
        kcluster_server(c, where, v[CL_SERVER]) != 0 ||
        kcfg_node_bool(c, v[CL_INSECURE], where, kcluster_keys[CL_INSECURE], &insecure) != 0)
        return -1;
    if (insecure && (kcfg_node_is_set(c, v[CL_CA_DATA]) || kcfg_node_is_set(c, v[CL_CA_FILE])))
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                         "%s: insecure-skip-tls-verify cannot be combined with %s (kubectl refuses this too); "
                         "keep the CA and drop insecure-skip-tls-verify",
                         where, kcluster_keys[kcfg_node_is_set(c, v[CL_CA_DATA]) ? CL_CA_DATA : CL_CA_FILE]);
    c->out->insecure_skip_tls_verify = insecure;
    const kpem_src ca = {kcluster_keys[CL_CA_DATA], kcluster_keys[CL_CA_FILE], v[CL_CA_DATA], v[CL_CA_FILE]};
    if (kpem_load(c, where, &ca, &c->out->ca_pem, &c->out->ca_pem_len) != 0)
        return -1;
    return kcluster_tls_name(c, where, v[CL_TLS_NAME]);
}

/* ---- user -------------------------------------------------------------------------------- */

enum {
    US_EXEC, US_AUTH_PROVIDER, US_TOKEN_FILE, US_CERT_FILE, US_KEY_FILE, US_USERNAME, US_PASSWORD, US_AS, US_AS_UID,
    US_AS_GROUPS, US_AS_EXTRA, US_CERT_DATA, US_KEY_DATA, US_TOKEN, US_N
};
static const char *const kuser_keys[US_N] = {
    "exec", "auth-provider", "tokenFile", "client-certificate", "client-key", "username", "password", "as", "as-uid",
    "as-groups", "as-user-extra", "client-certificate-data", "client-key-data", "token",
};
#define KP_BASIC_WHY "Kubernetes removed basic authentication; use a token or a client certificate"
#define KP_AS_WHY "impersonation is not implemented; give the link a credential for the identity it should use"
static const kpolicy kuser_rules[] = {
    {US_EXEC, KP_REFUSE, KP_ALLOW, "credential plugins would run programs inside the controller"},
    {US_AUTH_PROVIDER, KP_REFUSE, KP_UNSUPPORTED, "auth-provider plugins would run inside the controller"},
    {US_TOKEN_FILE, KP_REFUSE, KP_ALLOW,
     "it names a file on the controller's host, such as the controller's own service-account token; "
     "use token instead"},
    {US_CERT_FILE, KP_REFUSE, KP_ALLOW, KP_FILE_WHY("client-certificate-data")},
    {US_KEY_FILE, KP_REFUSE, KP_ALLOW, KP_FILE_WHY("client-key-data")},
    {US_USERNAME, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_BASIC_WHY},
    {US_PASSWORD, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_BASIC_WHY},
    {US_AS, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
    {US_AS_UID, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
    {US_AS_GROUPS, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
    {US_AS_EXTRA, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
};

static int kuser_policy(const kcfg_node_ctx *c, const char *where, const uint32_t *v)
{
    if (c->trust == KCFG_TRUSTED && kcfg_node_is_set(c, v[US_AUTH_PROVIDER]))
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_UNSUPPORTED,
                             "%s: field \"%s\" is not supported (auth-provider plugins are not built in; use exec, "
                             "a token or a client certificate)",
                             where, kuser_keys[US_AUTH_PROVIDER]);
    return kpolicy_check(c, where, kuser_keys, v, kuser_rules, KCFG_CRED_COUNT(kuser_rules));
}

/* exec with a static credential beside it: client-go would then quietly skip the plugin;
 * here the kubeconfig says which one it means. */
static int kuser_exec(const kcfg_node_ctx *c, const char *where, const uint32_t *v)
{
    static const int others[] = {US_TOKEN, US_TOKEN_FILE, US_CERT_DATA, US_CERT_FILE, US_KEY_DATA, US_KEY_FILE};
    if (!kcfg_node_is_set(c, v[US_EXEC]))
        return 0;
    for (size_t i = 0; i < KCFG_CRED_COUNT(others); i++)
        if (kcfg_node_is_set(c, v[others[i]]))
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                                 "%s: exec and %s are both set; kubectl would ignore exec: keep one", where,
                                 kuser_keys[others[i]]);
    return kcfg_exec_parse(c, where, v[US_EXEC], &c->out->exec);
}

/* The token goes into an Authorization header: a CR, LF or other control byte there
 * would split the request. Names the position, never the value. */
static int kuser_token(const kcfg_node_ctx *c, const char *where, uint32_t v)
{
    const char *token;
    if (kcfg_node_string(c, v, where, "token", &token) != 0)
        return -1;
    if (token == NULL)
        return 0;
    for (size_t i = 0; token[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)token[i];
        if (ch < 0x21 || ch > 0x7e)
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                             "%s: token has a byte that cannot go in an HTTP header (position %zu)", where, i);
    }
    return kcfg_node_dup(c, token, &c->out->token);
}

static int kuser_token_file(const kcfg_node_ctx *c, const char *where, uint32_t v)
{
    const char *path;
    if (kcfg_node_string(c, v, where, "tokenFile", &path) != 0)
        return -1;
    if (path == NULL)
        return 0;
    c->out->token_file = kcfg_file_join(c->base_dir, path);
    if (c->out->token_file == NULL)
        return kcfg_err_nomem(c->err);
    return kcfg_file_check(c->out->token_file, where, "tokenFile", c->err);
}

int kcfg_cred_user(const kcfg_node_ctx *c, const char *name, uint32_t body)
{
    char where[KCFG_ERR_WHERE_BUF];
    uint32_t v[US_N];
    kcfg_config *out = c->out;
    kcfg_err_where(where, "user", name);
    if (kcfg_node_fields(c, body, where, kuser_keys, US_N, v) != 0 || kuser_policy(c, where, v) != 0 ||
        kuser_exec(c, where, v) != 0)
        return -1;
    const kpem_src cert = {kuser_keys[US_CERT_DATA], kuser_keys[US_CERT_FILE], v[US_CERT_DATA], v[US_CERT_FILE]};
    const kpem_src key = {kuser_keys[US_KEY_DATA], kuser_keys[US_KEY_FILE], v[US_KEY_DATA], v[US_KEY_FILE]};
    if (kpem_load(c, where, &cert, &out->client_cert_pem, &out->client_cert_pem_len) != 0 ||
        kpem_load(c, where, &key, &out->client_key_pem, &out->client_key_pem_len) != 0)
        return -1;
    if ((out->client_cert_pem == NULL) != (out->client_key_pem == NULL))
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s is set without %s; a client certificate needs its key",
                         where,
                         out->client_cert_pem != NULL ? "client-certificate-data (or client-certificate)"
                                                      : "client-key-data (or client-key)",
                         out->client_cert_pem != NULL ? "client-key-data" : "client-certificate-data");
    if (kuser_token(c, where, v[US_TOKEN]) != 0)
        return -1;
    return kuser_token_file(c, where, v[US_TOKEN_FILE]);
}
