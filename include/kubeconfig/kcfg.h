/* kcfg: kubeconfig parsing (libyaml) into what the API client needs, with the rules that
 * make a ClusterLink's untrusted kubeconfig safe to use; also the in-cluster config. */
#ifndef SVCLINK_KUBECONFIG_KCFG_H
#define SVCLINK_KUBECONFIG_KCFG_H

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
                             basic auth, impersonation; in trusted mode exec,
                             auth-provider and proxy-url */
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
    char *namespace_name;     /* the context's namespace (a DNS label), NULL: not set */
    char *context_name;       /* names used, for messages */
    char *cluster_name;
    char *user_name;          /* NULL when the context names no user (anonymous) */
} kcfg_config;

/* Parses len bytes of kubeconfig YAML (no NUL needed) and resolves one context:
 * context_name, or current-context when NULL. In trusted mode relative file paths are
 * taken from base_dir (NULL: the working directory). Returns 0 and fills *out (the
 * caller then owns it: kcfg_free), or -1 with *out zeroed and *err set.
 *
 * Decisions worth knowing:
 * - Only the chosen context, its cluster and its user are checked; other entries may use
 *   anything (a pasted ~/.kube/config with exec users elsewhere still works), as long as
 *   each list entry is a mapping whose name, if any, is a string.
 * - Names: a second context, cluster or user with the name in use is an error (kubectl
 *   refuses duplicates too). A key given twice in a mapping we read is an error.
 * - Aliases are allowed but counted: each one costs the size of the subtree it repeats,
 *   against KCFG_MAX_NODES, so a "billion laughs" document fails fast. An alias may only
 *   name a node that is complete, so cycles cannot be built. Merge keys (<<) and !!binary
 *   scalars are refused, since kubectl would expand or decode them and we would read a
 *   different config.
 * - Booleans: plain true/True/TRUE/false/False/FALSE only (or tagged !!bool). YAML 1.1
 *   forms (yes/no/on/off/y/n) and quoted strings are an error rather than a guess.
 * - null, ~ and "" mean "not set", as for kubectl. Unknown fields are ignored.
 * - A second YAML document in the stream is an error (kubectl would read the first).
 * - Untrusted mode refuses (KCFG_ERR_REFUSED) user exec and auth-provider, the file
 *   fields certificate-authority, client-certificate, client-key and tokenFile, and
 *   proxy-url. Both modes refuse username/password and impersonation (as, as-uid,
 *   as-groups, as-user-extra) as unsupported; trusted mode also exec, auth-provider and
 *   proxy-url (svclink runs no plugins and connects directly).
 * - kubectl's contradictions are errors here too: insecure-skip-tls-verify with a CA,
 *   a *-data field with its file twin, a client certificate without its key or the
 *   reverse. Decoded certificates and keys must contain a PEM "-----BEGIN" line. */
int kcfg_parse(const char *yaml, size_t len, const char *context_name, kcfg_trust trust, const char *base_dir,
               kcfg_config *out, kcfg_error *err);

/* Reads the trusted kubeconfig file at path (at most KCFG_MAX_DOC_BYTES, a regular file)
 * and parses it with base_dir = the file's directory. Errors as for kcfg_parse. */
int kcfg_load_file(const char *path, const char *context_name, kcfg_config *out, kcfg_error *err);
/* The same with the trust mode chosen: KCFG_UNTRUSTED reads a file under a ClusterLink's
 * rules (`svclink check`), so what is tried is exactly what a link would carry. */
int kcfg_load_file_as(const char *path, const char *context_name, kcfg_trust trust, kcfg_config *out,
                      kcfg_error *err);

/* Reads the kubeconfig file at path as kcfg_load_file does (a regular file of at most
 * KCFG_MAX_DOC_BYTES) into a NUL-terminated *text the caller owns (it may hold secrets:
 * text_wipe it, then free). 0, or -1 with *text NULL and *err set. */
int kcfg_read_file(const char *path, char **text, size_t *len, kcfg_error *err);

/* The in-cluster config: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 * (an IPv6 host is bracketed), sa_dir/ca.crt, sa_dir/token kept as token_file (tokens
 * rotate about hourly: re-read it) and sa_dir/namespace. sa_dir NULL means
 * /var/run/secrets/kubernetes.io/serviceaccount. A missing variable is KCFG_ERR_INVALID,
 * a missing file KCFG_ERR_IO; the message names it. The context and cluster are named
 * "in-cluster", the user "serviceaccount". */
int kcfg_in_cluster(const char *sa_dir, kcfg_config *out, kcfg_error *err);

/* Releases everything (secrets are wiped first) and zeroes *cfg; safe to call twice.
 * (In all three functions above err may be NULL when only the status matters.) */
void kcfg_free(kcfg_config *cfg);

/* A short stable word for the kind ("Invalid", "Refused", ...) for status reasons. */
const char *kcfg_err_kind_name(kcfg_err_kind kind);

#endif
