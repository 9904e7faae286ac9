/* kcfg: kubeconfig parsing (libyaml) into what the API client needs, with the rules that
 * make a ClusterLink's untrusted kubeconfig safe to use; also the in-cluster config. */
#ifndef SVCLINK_KUBECONFIG_KCFG_H
#define SVCLINK_KUBECONFIG_KCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/kcfg_types.h"


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
 *   as-groups, as-user-extra) as unsupported; trusted mode also auth-provider and
 *   proxy-url (svclink connects directly). Trusted mode reads exec into out->exec
 *   (kcfg_exec.h says what is checked); exec beside token, tokenFile or a client
 *   certificate is an error, since kubectl would silently ignore the plugin then.
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
