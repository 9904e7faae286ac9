/* kcfg: the entry points: a kubeconfig from text or a file is read into a kcfg_tree and
 * resolved by kcfg_select; the in-cluster config comes from the pod's service account. */
#include "kubeconfig/kcfg.h"
#include "base/k8sname.h"

#include "kubeconfig/kcfg_cred.h"
#include "kubeconfig/kcfg_err.h"
#include "kubeconfig/kcfg_exec.h"
#include "kubeconfig/kcfg_file.h"
#include "kubeconfig/kcfg_select.h"
#include "kubeconfig/kcfg_tree.h"
#include "base/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KCFG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

const char *kcfg_err_kind_name(kcfg_err_kind kind)
{
    switch (kind) {
    case KCFG_OK:
        return "OK";
    case KCFG_ERR_INVALID:
        return "Invalid";
    case KCFG_ERR_REFUSED:
        return "Refused";
    case KCFG_ERR_UNSUPPORTED:
        return "Unsupported";
    case KCFG_ERR_LIMIT:
        return "TooLarge";
    case KCFG_ERR_IO:
        return "IOError";
    case KCFG_ERR_NOMEM:
        return "OutOfMemory";
    }
    return "Unknown";
}

/* Callers may pass err NULL when they only want the status; a scratch error stands in. */
static kcfg_error kcfg_scratch_err;

static kcfg_error *kcfg_start(kcfg_config *out, kcfg_error *err)
{
    if (err == NULL)
        err = &kcfg_scratch_err;
    memset(out, 0, sizeof *out);
    err->kind = KCFG_OK;
    err->msg[0] = '\0';
    return err;
}

int kcfg_parse(const char *yaml, size_t len, const char *context_name, kcfg_trust trust, const char *base_dir,
               kcfg_config *out, kcfg_error *err)
{
    err = kcfg_start(out, err);
    if (len > KCFG_MAX_DOC_BYTES)
        return KCFG_ERR_FAIL(err, KCFG_ERR_LIMIT, "kubeconfig is %zu bytes; the limit is %u", len, KCFG_MAX_DOC_BYTES);
    if (yaml == NULL || len == 0)
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "kubeconfig is empty");
    kcfg_tree t;
    kcfg_tree_init(&t);
    int rc = kcfg_tree_build(&t, yaml, len, err);
    if (rc == 0) {
        const kcfg_node_ctx c = {.t = &t, .trust = trust, .base_dir = base_dir, .out = out, .err = err};
        rc = kcfg_select_resolve(&c, context_name);
    }
    kcfg_tree_free(&t);
    if (rc != 0)
        kcfg_free(out);
    return rc;
}

int kcfg_read_file(const char *path, char **text, size_t *len, kcfg_error *err)
{
    uint8_t *buf = NULL;
    kcfg_error local;
    int rc = kcfg_file_read(path, NULL, "kubeconfig", &buf, len, err != NULL ? err : &local);
    *text = (char *)buf;
    return rc;
}

int kcfg_load_file(const char *path, const char *context_name, kcfg_config *out, kcfg_error *err)
{
    return kcfg_load_file_as(path, context_name, KCFG_TRUSTED, out, err);
}

int kcfg_load_file_as(const char *path, const char *context_name, kcfg_trust trust, kcfg_config *out,
                      kcfg_error *err)
{
    uint8_t *text;
    size_t len;
    err = kcfg_start(out, err);
    if (kcfg_file_read(path, NULL, "kubeconfig", &text, &len, err) != 0)
        return -1;
    const char *slash = strrchr(path, '/');
    char *base_dir = NULL;
    if (slash != NULL) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        base_dir = strndup(path, n);
        if (base_dir == NULL) {
            text_wipe(text, len);
            free(text);
            return kcfg_err_nomem(err);
        }
    }
    int rc = kcfg_parse((const char *)text, len, context_name, trust, base_dir, out, err);
    text_wipe(text, len);
    free(text);
    free(base_dir);
    return rc;
}

/* ---- in-cluster --------------------------------------------------------------------------- */

static int kin_env(const char *name, const char **out, kcfg_error *err)
{
    *out = getenv(name);
    if (*out == NULL || (*out)[0] == '\0')
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID,
                         "%s is not set: svclink is not running in a pod; give it --kubeconfig", name);
    return 0;
}

static int kin_server(kcfg_config *out, kcfg_error *err)
{
    const char *host, *port;
    char problem[URL_ERR_MAX];
    if (kin_env("KUBERNETES_SERVICE_HOST", &host, err) != 0 || kin_env("KUBERNETES_SERVICE_PORT", &port, err) != 0)
        return -1;
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    size_t n = strlen(host) + strlen(port) + 16;
    out->server = malloc(n);
    if (out->server == NULL)
        return kcfg_err_nomem(err);
    snprintf(out->server, n, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (url_parse(out->server, &out->url, problem, sizeof problem) != 0)
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID,
                         "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT do not make a valid URL: %s", problem);
    return 0;
}

static int kin_namespace(const char *path, kcfg_config *out, kcfg_error *err)
{
    uint8_t *text;
    size_t len;
    char shown[KCFG_ERR_NAME_BUF];
    if (kcfg_file_read(path, NULL, "service account namespace file", &text, &len, err) != 0)
        return -1;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    if (!k8sname_is_dns_label((const char *)text, len) || strlen((const char *)text) != len) {
        free(text);
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "service account namespace file \"%s\" does not hold a namespace name",
                         kcfg_err_show(path, shown));
    }
    out->namespace_name = (char *)text;
    return 0;
}

static int kin_files(const char *dir, kcfg_config *out, kcfg_error *err)
{
    char *ca = kcfg_file_join(dir, "ca.crt"), *ns = kcfg_file_join(dir, "namespace");
    out->token_file = kcfg_file_join(dir, "token");
    int rc = ca == NULL || ns == NULL || out->token_file == NULL ? kcfg_err_nomem(err) : 0;
    if (rc == 0)
        rc = kcfg_file_read(ca, NULL, "service account CA file", &out->ca_pem, &out->ca_pem_len, err);
    if (rc == 0 && !kcfg_cred_pem_present(out->ca_pem, out->ca_pem_len)) {
        char shown[KCFG_ERR_NAME_BUF];
        rc = KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "service account CA file \"%s\" does not hold PEM", kcfg_err_show(ca, shown));
    }
    if (rc == 0)
        rc = kcfg_file_check(out->token_file, NULL, "service account token file", err);
    if (rc == 0)
        rc = kin_namespace(ns, out, err);
    free(ca);
    free(ns);
    return rc;
}

int kcfg_in_cluster(const char *sa_dir, kcfg_config *out, kcfg_error *err)
{
    err = kcfg_start(out, err);
    int rc = kin_server(out, err);
    if (rc == 0)
        rc = kin_files(sa_dir != NULL ? sa_dir : KCFG_SA_DIR, out, err);
    if (rc == 0 && ((out->context_name = strdup("in-cluster")) == NULL ||
                    (out->cluster_name = strdup("in-cluster")) == NULL ||
                    (out->user_name = strdup("serviceaccount")) == NULL))
        rc = kcfg_err_nomem(err);
    if (rc != 0)
        kcfg_free(out);
    return rc;
}

void kcfg_free(kcfg_config *cfg)
{
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->tls_server_name);
    free(cfg->client_cert_pem);
    text_wipe(cfg->client_key_pem, cfg->client_key_pem_len);
    free(cfg->client_key_pem);
    text_wipe(cfg->token, cfg->token != NULL ? strlen(cfg->token) : 0);
    free(cfg->token);
    free(cfg->token_file);
    kcfg_exec_free(cfg->exec);
    free(cfg->namespace_name);
    free(cfg->context_name);
    free(cfg->cluster_name);
    free(cfg->user_name);
    memset(cfg, 0, sizeof *cfg);
}
