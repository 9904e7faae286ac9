/* kcfg_types: the kubeconfig reader's shared vocabulary (limits, trust modes, errors and the
 * parsed result), below every kcfg_* module so that none of them needs kcfg.h itself. */
#ifndef SVCLINK_KUBECONFIG_KCFG_TYPES_H
#define SVCLINK_KUBECONFIG_KCFG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/url.h"

/* Limits, all enforced before or while the YAML is read, so any input costs bounded time
 * and memory; a document over one is refused with KCFG_ERR_LIMIT. KCFG_MAX_NODES counts
 * each alias as the whole subtree it repeats. */
#define KCFG_MAX_DOC_BYTES (1024u * 1024u) /* kubeconfig text, and each file read */
#define KCFG_MAX_NODES 65536u              /* YAML nodes, aliases expanded */
#define KCFG_MAX_DEPTH 64u                 /* nesting of sequences and mappings */
#define KCFG_MAX_ANCHORS 256u              /* anchors (&name) in one document */
#define KCFG_ERR_MSG_MAX 512u

/* Where a kubeconfig comes from. The zero value is the safe one. */
typedef enum {
    KCFG_UNTRUSTED = 0, /* from a ClusterLink (spec or Secret): written by whoever may
                           create a link */
    KCFG_TRUSTED = 1    /* the operator's --kubeconfig file */
} kcfg_trust;

typedef enum {
    KCFG_OK = 0,
    KCFG_ERR_INVALID,     /* not YAML, wrong shape, missing or unknown context, cluster or
                             user, duplicate names or keys, missing server, bad base64,
                             bad URL, contradictory fields */
    KCFG_ERR_REFUSED,     /* an untrusted kubeconfig uses a forbidden feature: exec,
                             auth-provider, a file path, proxy-url */
    KCFG_ERR_UNSUPPORTED, /* a feature svclink does not implement, whoever wrote it:
                             basic auth, impersonation; in trusted mode auth-provider,
                             proxy-url, exec interactiveMode Always and exec API
                             versions other than v1 and v1beta1 */
    KCFG_ERR_LIMIT,       /* over one of the limits above */
    KCFG_ERR_IO,          /* a trusted file (kubeconfig, CA, certificate, key, token)
                             or an in-cluster file cannot be read */
    KCFG_ERR_NOMEM        /* out of memory: worth retrying later */
} kcfg_err_kind;

/* msg is one line that names the field, context, cluster or user concerned. It never
 * holds the value of a secret field (token, password, any *-data field) nor user
 * information, query or path of the server URL. It may quote names, file paths, kind,
 * apiVersion, namespace, anchors and a URL's scheme, host or port: escaped (\xHH outside
 * printable ASCII, quotes too) and cut after 64 bytes each. */
typedef struct {
    kcfg_err_kind kind;
    char msg[KCFG_ERR_MSG_MAX];
} kcfg_error;

/* The exec credential plugin API versions svclink speaks (kubectl's too; v1alpha1 was
 * removed from Kubernetes in 1.24). */
#define KCFG_EXEC_API_V1 "client.authentication.k8s.io/v1"
#define KCFG_EXEC_API_V1BETA1 "client.authentication.k8s.io/v1beta1"

typedef struct {
    char *name;  /* owned; never empty, no '=' */
    char *value; /* owned; may be "" */
} kcfg_exec_env;

/* A trusted user's `exec` stanza (client-go's ExecConfig). Everything is owned by the
 * struct and released by kcfg_free. interactiveMode is not kept: Never and IfAvailable
 * (or absent) both mean "never interactive" here, since svclink has no terminal, and
 * Always is refused when the kubeconfig is read. */
typedef struct {
    char *api_version;        /* KCFG_EXEC_API_V1 or KCFG_EXEC_API_V1BETA1 */
    char *command;            /* as written, except that a relative path with a '/' is
                                 resolved against the kubeconfig's directory (as kubectl
                                 does); a bare name is looked up in PATH when run */
    char **args;              /* nargs strings (each may be "") */
    size_t nargs;
    kcfg_exec_env *env;       /* added to the process environment, in order */
    size_t nenv;
    bool provide_cluster_info; /* pass the cluster in KUBERNETES_EXEC_INFO */
} kcfg_exec;

/* The result. Every pointer is owned by the struct (NULL when absent) and released by
 * kcfg_free; the *_pem buffers are NUL-terminated, with their length beside them. */
typedef struct {
    char *server;       /* the server URL as written */
    url_parts url;      /* server, parsed */
    uint8_t *ca_pem;    /* certificate-authority-data decoded, or (trusted) the
                           certificate-authority file, or in-cluster ca.crt; NULL: none */
    size_t ca_pem_len;
    char *tls_server_name; /* NULL unless set; a checked host, see tls_server */
    url_host tls_server;   /* tls-server-name parsed (zeroed when not set) */
    bool insecure_skip_tls_verify;
    uint8_t *client_cert_pem; /* client-certificate-data, or (trusted) the file */
    size_t client_cert_pem_len;
    uint8_t *client_key_pem;  /* client-key-data, or (trusted) the file; secret */
    size_t client_key_pem_len;
    char *token;              /* bearer token; secret; printable ASCII only */
    char *token_file;         /* trusted or in-cluster: a path to re-read as the token
                                 rotates; it wins over token when both are set, as in
                                 client-go. Checked readable when parsed. */
    kcfg_exec *exec;          /* trusted only: the credential plugin, NULL when none; never
                                 together with token, tokenFile or a client certificate */
    char *namespace_name;     /* the context's namespace (a DNS label), NULL: not set */
    char *context_name;       /* names used, for messages */
    char *cluster_name;
    char *user_name;          /* NULL when the context names no user (anonymous) */
} kcfg_config;

#endif
