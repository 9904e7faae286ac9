/* linkspec: decodes and re-validates a ClusterLink object, applying the CRD's defaults, so
 * a link stored past an old CRD or written straight to etcd is refused with a message. */
#include "spec/linkspec.h"
#include "base/k8sname.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/label_sel.h"
#include "base/text.h"

/* Big enough for every bounded string copied through a stack buffer (names, keys, uid). */
#define LS_BUF 256

/* Where errors go and which document is read; threaded through the small helpers. */
typedef struct {
    const json_doc *doc;
    char *err;
    size_t errlen;
} ls_ctx;

/* A missing member and an explicit null mean the same: the API server prunes nulls of
 * non-nullable fields, so only a direct etcd write could tell them apart. */
static bool ls_present(const json_doc *doc, int tok)
{
    return tok >= 0 && !json_is_null(doc, tok);
}

/* A Secret data key: [-._a-zA-Z0-9]+, at most 253, and not ".", ".." or "..anything"
 * (the API server refuses those keys, so no Secret could hold them). */
static bool ls_is_secret_key(const char *s, size_t len)
{
    if (len == 0 || len > LINKSPEC_MAX_SECRET_KEY)
        return false;
    if (strcmp(s, ".") == 0 || strncmp(s, "..", 2) == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* Copies string tok (at most max bytes) into buf[LS_BUF]; -1 with a message naming path
 * when it is not a string, holds \u0000, or is longer than max. */
static int ls_copy(const ls_ctx *c, int tok, const char *path, size_t max, char buf[LS_BUF],
                   size_t *len)
{
    char q[JSON_QUOTE_SIZE];
    if (!json_is_string(c->doc, tok)) {
        text_errorf(c->err, c->errlen, "%s: %s is not a string", path, json_quote(c->doc, tok, q));
        return -1;
    }
    int r = json_str_copy(c->doc, tok, buf, LS_BUF, len);
    if (r == JSON_ERR_NUL) {
        text_errorf(c->err, c->errlen, "%s: holds a NUL character (\\u0000)", path);
        return -1;
    }
    if (r != JSON_OK || *len > max) {
        text_errorf(c->err, c->errlen, "%s: %s is longer than %zu characters", path,
                   json_quote(c->doc, tok, q), max);
        return -1;
    }
    return 0;
}

static int ls_strdup(const ls_ctx *c, const char *s, const char *path, char **out)
{
    *out = strdup(s);
    if (*out == NULL) {
        text_errorf(c->err, c->errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

/* ---- metadata ---- */

static int ls_parse_opt_string(const ls_ctx *c, int meta, const char *key, size_t max,
                               char **out)
{
    char path[64], buf[LS_BUF];
    size_t len = 0;
    snprintf(path, sizeof path, "metadata.%s", key);
    int tok = json_obj_get(c->doc, meta, key);
    buf[0] = '\0';
    if (ls_present(c->doc, tok) && ls_copy(c, tok, path, max, buf, &len) < 0)
        return -1;
    return ls_strdup(c, buf, path, out);
}

static int ls_parse_name(const ls_ctx *c, int meta, linkspec *out)
{
    char buf[LS_BUF], q[48];
    size_t len = 0;
    int tok = json_obj_get(c->doc, meta, "name");
    if (!ls_present(c->doc, tok)) {
        text_errorf(c->err, c->errlen, "metadata.name: missing");
        return -1;
    }
    if (ls_copy(c, tok, "metadata.name", LINKSPEC_MAX_NAME, buf, &len) < 0)
        return -1;
    if (!k8sname_is_dns_subdomain(buf, len, LINKSPEC_MAX_NAME)) {
        text_errorf(c->err, c->errlen,
                   "metadata.name: %s is not a DNS subdomain (lowercase letters, digits, '-' "
                   "and '.')",
                   json_quote(c->doc, tok, q));
        return -1;
    }
    return ls_strdup(c, buf, "metadata.name", &out->name);
}

static int ls_parse_finalizers(const ls_ctx *c, int meta, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    int arr = json_obj_get(c->doc, meta, "finalizers");
    if (!ls_present(c->doc, arr))
        return 0;
    if (!json_is_array(c->doc, arr)) {
        text_errorf(c->err, c->errlen, "metadata.finalizers: %s is not a list",
                   json_quote(c->doc, arr, q));
        return -1;
    }
    size_t i = 0;
    for (int t = json_arr_first(c->doc, arr); t >= 0; t = json_next(c->doc, t), i++) {
        if (!json_is_string(c->doc, t)) {
            text_errorf(c->err, c->errlen, "metadata.finalizers[%zu]: %s is not a string", i,
                       json_quote(c->doc, t, q));
            return -1;
        }
        if (json_str_eq(c->doc, t, LINKSPEC_FINALIZER))
            out->has_finalizer = true;
    }
    return 0;
}

static int ls_parse_metadata(const ls_ctx *c, int obj, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    int meta = json_obj_get(c->doc, obj, "metadata");
    if (!json_is_object(c->doc, meta)) {
        text_errorf(c->err, c->errlen, "metadata: %s",
                   ls_present(c->doc, meta) ? "not an object" : "missing");
        return -1;
    }
    if (ls_parse_name(c, meta, out) < 0 ||
        ls_parse_opt_string(c, meta, "uid", LINKSPEC_MAX_UID, &out->uid) < 0 ||
        ls_parse_opt_string(c, meta, "resourceVersion", LINKSPEC_MAX_RESOURCE_VERSION,
                            &out->resource_version) < 0)
        return -1;
    int gen = json_obj_get(c->doc, meta, "generation");
    if (ls_present(c->doc, gen) &&
        (json_int64(c->doc, gen, &out->generation) != JSON_OK || out->generation < 0)) {
        text_errorf(c->err, c->errlen, "metadata.generation: %s is not a non-negative integer",
                   json_quote(c->doc, gen, q));
        return -1;
    }
    out->deleting = ls_present(c->doc, json_obj_get(c->doc, meta, "deletionTimestamp"));
    return ls_parse_finalizers(c, meta, out);
}

/* ---- spec ---- */

typedef enum { LS_NAMESPACE, LS_SERVICE_NAME, LS_SERVICE_REF } ls_item_kind;

/* Checks one list entry; on error names the field, index and value. */
static int ls_check_item(const ls_ctx *c, const char *field, size_t i, int tok, ls_item_kind kind,
                         const char *s, size_t len)
{
    char q[JSON_QUOTE_SIZE];
    if (kind == LS_SERVICE_REF) {
        const char *slash = memchr(s, '/', len);
        if (slash == NULL) {
            text_errorf(c->err, c->errlen, "spec.%s[%zu]: %s is not namespace/name", field, i,
                       json_quote(c->doc, tok, q));
            return -1;
        }
        size_t ns_len = (size_t)(slash - s);
        if (!k8sname_is_dns_label(s, ns_len)) {
            text_errorf(c->err, c->errlen,
                       "spec.%s[%zu]: %s: the namespace is not a DNS label (lowercase letters, "
                       "digits and '-', at most 63 characters)",
                       field, i, json_quote(c->doc, tok, q));
            return -1;
        }
        if (!k8sname_is_dns_label(slash + 1, len - ns_len - 1)) {
            text_errorf(c->err, c->errlen,
                       "spec.%s[%zu]: %s: the service name is not a DNS label (lowercase "
                       "letters, digits and '-', at most 63 characters)",
                       field, i, json_quote(c->doc, tok, q));
            return -1;
        }
        return 0;
    }
    if (!k8sname_is_dns_label(s, len)) {
        text_errorf(c->err, c->errlen,
                   "spec.%s[%zu]: %s is not a valid %s name (a DNS label: lowercase letters, "
                   "digits and '-', at most 63 characters)",
                   field, i, json_quote(c->doc, tok, q),
                   kind == LS_NAMESPACE ? "namespace" : "service");
        return -1;
    }
    return 0;
}

static int ls_parse_list(const ls_ctx *c, int spec, const char *field, ls_item_kind kind,
                         linkspec_list *out)
{
    char q[48], path[80], buf[LS_BUF];
    int arr = json_obj_get(c->doc, spec, field);
    if (!ls_present(c->doc, arr))
        return 0;
    if (!json_is_array(c->doc, arr)) {
        text_errorf(c->err, c->errlen, "spec.%s: %s is not a list", field,
                   json_quote(c->doc, arr, q));
        return -1;
    }
    int n = json_len(c->doc, arr);
    if (n < 0 || (size_t)n > LINKSPEC_MAX_LIST) {
        text_errorf(c->err, c->errlen, "spec.%s: %d entries, at most %u are allowed", field, n,
                   LINKSPEC_MAX_LIST);
        return -1;
    }
    if (n == 0)
        return 0;
    out->items = calloc((size_t)n, sizeof *out->items);
    if (out->items == NULL) {
        text_errorf(c->err, c->errlen, "spec.%s: out of memory", field);
        return -1;
    }
    /* service refs are two labels and a slash */
    size_t max = kind == LS_SERVICE_REF ? 127 : 63;
    size_t i = 0;
    for (int t = json_arr_first(c->doc, arr); t >= 0; t = json_next(c->doc, t), i++) {
        size_t len = 0;
        snprintf(path, sizeof path, "spec.%s[%zu]", field, i);
        if (ls_copy(c, t, path, max, buf, &len) < 0 ||
            ls_check_item(c, field, i, t, kind, buf, len) < 0 ||
            ls_strdup(c, buf, path, &out->items[i]) < 0)
            return -1;
        out->count = i + 1;
    }
    return 0;
}

/* One secret-ref member: a required (or defaulted) bounded string that must pass valid. */
static int ls_parse_ref_field(const ls_ctx *c, int ref, const char *key, const char *dflt,
                              size_t max, bool (*valid)(const char *, size_t), const char *what,
                              char **out)
{
    char path[64], buf[LS_BUF], q[48];
    size_t len = 0;
    snprintf(path, sizeof path, "spec.kubeconfigSecretRef.%s", key);
    int tok = json_obj_get(c->doc, ref, key);
    if (!ls_present(c->doc, tok)) {
        if (dflt == NULL) {
            text_errorf(c->err, c->errlen, "%s: missing", path);
            return -1;
        }
        return ls_strdup(c, dflt, path, out);
    }
    if (ls_copy(c, tok, path, max, buf, &len) < 0)
        return -1;
    if (!valid(buf, len)) {
        text_errorf(c->err, c->errlen, "%s: %s is not a valid %s", path, json_quote(c->doc, tok, q),
                   what);
        return -1;
    }
    return ls_strdup(c, buf, path, out);
}

static bool ls_valid_namespace(const char *s, size_t len)
{
    return k8sname_is_dns_label(s, len);
}

static bool ls_valid_secret_name(const char *s, size_t len)
{
    return k8sname_is_dns_subdomain(s, len, LINKSPEC_MAX_SUBDOMAIN);
}

static int ls_parse_secret_ref(const ls_ctx *c, int ref, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    if (!json_is_object(c->doc, ref)) {
        text_errorf(c->err, c->errlen, "spec.kubeconfigSecretRef: %s is not an object",
                   json_quote(c->doc, ref, q));
        return -1;
    }
    out->has_secret_ref = true;
    if (ls_parse_ref_field(c, ref, "namespace", NULL, 63, ls_valid_namespace,
                           "namespace name (a DNS label: lowercase letters, digits and '-', at "
                           "most 63 characters)",
                           &out->secret_namespace) < 0 ||
        ls_parse_ref_field(c, ref, "name", NULL, LINKSPEC_MAX_SUBDOMAIN, ls_valid_secret_name,
                           "Secret name (a DNS subdomain: lowercase letters, digits, '-' and "
                           "'.', at most 253 characters)",
                           &out->secret_name) < 0 ||
        ls_parse_ref_field(c, ref, "key", LINKSPEC_DEFAULT_SECRET_KEY, LINKSPEC_MAX_SECRET_KEY,
                           ls_is_secret_key,
                           "Secret data key (letters, digits, '-', '_' and '.', at most 253 "
                           "characters; neither \".\" nor starting with \"..\")",
                           &out->secret_key) < 0)
        return -1;
    return 0;
}

/* The kubeconfig is a credential: messages say what is wrong with it, never what it is. */
static int ls_parse_kubeconfig(const ls_ctx *c, int tok, linkspec *out)
{
    if (!json_is_string(c->doc, tok)) {
        text_errorf(c->err, c->errlen,
                   "spec.kubeconfig: not a string (it holds the base64 of a kubeconfig)");
        return -1;
    }
    out->kubeconfig_b64 = json_str_dup(c->doc, tok);
    if (out->kubeconfig_b64 == NULL) {
        text_errorf(c->err, c->errlen, "spec.kubeconfig: holds a NUL character (\\u0000) or "
                                      "memory ran out");
        return -1;
    }
    size_t n = strlen(out->kubeconfig_b64);
    if (n == 0) {
        text_errorf(c->err, c->errlen, "spec.kubeconfig: empty");
        return -1;
    }
    if (n > LINKSPEC_MAX_KUBECONFIG_B64) {
        text_errorf(c->err, c->errlen, "spec.kubeconfig: %zu characters, at most %u are allowed",
                   n, LINKSPEC_MAX_KUBECONFIG_B64);
        return -1;
    }
    return 0;
}

static int ls_parse_sources(const ls_ctx *c, int spec, linkspec *out)
{
    int kc = json_obj_get(c->doc, spec, "kubeconfig");
    int ref = json_obj_get(c->doc, spec, "kubeconfigSecretRef");
    bool has_kc = ls_present(c->doc, kc), has_ref = ls_present(c->doc, ref);
    if (has_kc == has_ref) {
        text_errorf(c->err, c->errlen,
                   "spec: exactly one of spec.kubeconfig and spec.kubeconfigSecretRef must be "
                   "set (%s)",
                   has_kc ? "both are" : "neither is");
        return -1;
    }
    return has_kc ? ls_parse_kubeconfig(c, kc, out) : ls_parse_secret_ref(c, ref, out);
}

/* An optional per-link budget; absent means the controller's flag applies. */
static int ls_parse_budget(const ls_ctx *c, int spec, const char *field, uint64_t *out)
{
    char q[JSON_QUOTE_SIZE];
    int t = json_obj_get(c->doc, spec, field);
    if (!ls_present(c->doc, t))
        return 0;
    int64_t v = 0;
    if (json_int64(c->doc, t, &v) != JSON_OK || v < 1 || v > LINKSPEC_MAX_BUDGET) {
        text_errorf(c->err, c->errlen, "spec.%s: %s is not an integer from 1 to %u", field,
                   json_quote(c->doc, t, q), LINKSPEC_MAX_BUDGET);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int ls_parse_scalars(const ls_ctx *c, int spec, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    int en = json_obj_get(c->doc, spec, "enabled");
    if (ls_present(c->doc, en) && json_bool(c->doc, en, &out->enabled) != JSON_OK) {
        text_errorf(c->err, c->errlen, "spec.enabled: %s is not true or false",
                   json_quote(c->doc, en, q));
        return -1;
    }
    int st = json_obj_get(c->doc, spec, "staleEndpointTimeoutSeconds");
    if (ls_present(c->doc, st)) {
        int64_t v = 0;
        if (json_int64(c->doc, st, &v) != JSON_OK || v < 0 || v > LINKSPEC_MAX_STALE_TIMEOUT_S) {
            text_errorf(c->err, c->errlen,
                       "spec.staleEndpointTimeoutSeconds: %s is not an integer from 0 to %u",
                       json_quote(c->doc, st, q), LINKSPEC_MAX_STALE_TIMEOUT_S);
            return -1;
        }
        out->stale_timeout_s = (uint32_t)v;
    }
    if (ls_parse_budget(c, spec, "maxServices", &out->max_services) < 0 ||
        ls_parse_budget(c, spec, "maxEndpoints", &out->max_endpoints) < 0)
        return -1;
    return 0;
}

/* ---- serviceSelector, namespaceMapping, createServices ---- */

static int ls_map_name(const ls_ctx *c, int entry, const char *key, size_t i, char **out)
{
    char path[80], buf[LS_BUF], q[JSON_QUOTE_SIZE];
    size_t len = 0;
    snprintf(path, sizeof path, "spec.namespaceMapping[%zu].%s", i, key);
    int tok = json_obj_get(c->doc, entry, key);
    if (!ls_present(c->doc, tok)) {
        text_errorf(c->err, c->errlen, "%s: missing", path);
        return -1;
    }
    if (ls_copy(c, tok, path, 63, buf, &len) < 0)
        return -1;
    if (!k8sname_is_dns_label(buf, len)) {
        text_errorf(c->err, c->errlen, "%s: %s is not a namespace name (a DNS label)", path,
                   json_quote(c->doc, tok, q));
        return -1;
    }
    if (strcmp(buf, "kube-system") == 0) {
        text_errorf(c->err, c->errlen, "%s: kube-system is never synced, from or to", path);
        return -1;
    }
    return ls_strdup(c, buf, path, out);
}

/* Two entries with one `from` would say two things; two with one `to` would pour two
 * remote namespaces of this link into one local namespace, where their Services collide. */
static int ls_map_unique(const ls_ctx *c, const linkspec_nsmap *m, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(m->items[j].from, m->items[i].from) == 0) {
            text_errorf(c->err, c->errlen,
                       "spec.namespaceMapping[%zu].from: \"%s\" is already mapped by entry %zu", i,
                       m->items[i].from, j);
            return -1;
        }
        if (strcmp(m->items[j].to, m->items[i].to) == 0) {
            text_errorf(c->err, c->errlen,
                       "spec.namespaceMapping[%zu].to: entry %zu maps into \"%s\" already (one local "
                       "namespace takes at most one remote namespace of a link)",
                       i, j, m->items[i].to);
            return -1;
        }
    }
    return 0;
}

static int ls_parse_mapping(const ls_ctx *c, int spec, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    int arr = json_obj_get(c->doc, spec, "namespaceMapping");
    if (!ls_present(c->doc, arr))
        return 0;
    int n = json_len(c->doc, arr);
    if (!json_is_array(c->doc, arr) || (size_t)n > LINKSPEC_MAX_LIST) {
        text_errorf(c->err, c->errlen, "spec.namespaceMapping: %s is not a list of at most %u {from, to}",
                   json_quote(c->doc, arr, q), LINKSPEC_MAX_LIST);
        return -1;
    }
    if (n == 0)
        return 0;
    linkspec_nsmap *m = &out->namespace_mapping;
    if ((m->items = calloc((size_t)n, sizeof *m->items)) == NULL) {
        text_errorf(c->err, c->errlen, "spec.namespaceMapping: out of memory");
        return -1;
    }
    size_t i = 0;
    for (int e = json_arr_first(c->doc, arr); e >= 0; e = json_next(c->doc, e), i++) {
        if (!json_is_object(c->doc, e)) {
            text_errorf(c->err, c->errlen, "spec.namespaceMapping[%zu]: %s is not {from, to}", i,
                       json_quote(c->doc, e, q));
            return -1;
        }
        m->count = i + 1;
        if (ls_map_name(c, e, "from", i, &m->items[i].from) < 0 || ls_map_name(c, e, "to", i, &m->items[i].to) < 0 ||
            ls_map_unique(c, m, i) < 0)
            return -1;
    }
    return 0;
}

/* spec.allowedCIDRs: addresses or ranges; each entry is checked and named when wrong. */
static int ls_parse_cidrs(const ls_ctx *c, int spec, linkspec *out)
{
    char q[JSON_QUOTE_SIZE], buf[LS_BUF], path[64], why[200];
    int arr = json_obj_get(c->doc, spec, "allowedCIDRs");
    if (!ls_present(c->doc, arr))
        return 0;
    int n = json_len(c->doc, arr);
    if (!json_is_array(c->doc, arr) || n < 0 || (size_t)n > LINKSPEC_MAX_LIST) {
        text_errorf(c->err, c->errlen, "spec.allowedCIDRs: %s is not a list of at most %u entries",
                   json_quote(c->doc, arr, q), LINKSPEC_MAX_LIST);
        return -1;
    }
    size_t i = 0;
    for (int t = json_arr_first(c->doc, arr); t >= 0; t = json_next(c->doc, t), i++) {
        size_t len = 0;
        addrpol_cidr cidr;
        snprintf(path, sizeof path, "spec.allowedCIDRs[%zu]", i);
        if (ls_copy(c, t, path, ADDRPOL_TEXT_MAX - 1, buf, &len) < 0)
            return -1;
        if (addrpol_cidr_parse(buf, len, &cidr, why, sizeof why) != 0) {
            text_errorf(c->err, c->errlen, "%s: %s", path, why);
            return -1;
        }
        if (addrpol_set_add(&out->allowed_cidrs, &cidr) != 0) {
            text_errorf(c->err, c->errlen, "%s: out of memory", path);
            return -1;
        }
    }
    return 0;
}

static int ls_parse_mirror(const ls_ctx *c, int spec, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    out->create_services = LINKSPEC_UNSET;
    int cs = json_obj_get(c->doc, spec, "createServices");
    bool b = false;
    if (ls_present(c->doc, cs)) {
        if (json_bool(c->doc, cs, &b) != JSON_OK) {
            text_errorf(c->err, c->errlen, "spec.createServices: %s is not true or false", json_quote(c->doc, cs, q));
            return -1;
        }
        out->create_services = b ? 1 : 0;
    }
    if (label_sel_from_json(c->doc, json_obj_get(c->doc, spec, "serviceSelector"), "spec.serviceSelector",
                       &out->service_selector, c->err, c->errlen) != 0)
        return -1;
    return ls_parse_mapping(c, spec, out);
}

static int ls_parse_spec(const ls_ctx *c, int obj, linkspec *out)
{
    char q[JSON_QUOTE_SIZE];
    int spec = json_obj_get(c->doc, obj, "spec");
    if (!ls_present(c->doc, spec)) {
        text_errorf(c->err, c->errlen,
                   "spec: missing (one of spec.kubeconfig and spec.kubeconfigSecretRef must be "
                   "set)");
        return -1;
    }
    if (!json_is_object(c->doc, spec)) {
        text_errorf(c->err, c->errlen, "spec: %s is not an object", json_quote(c->doc, spec, q));
        return -1;
    }
    out->enabled = true;
    out->stale_timeout_s = LINKSPEC_DEFAULT_STALE_TIMEOUT_S;
    if (ls_parse_scalars(c, spec, out) < 0 || ls_parse_sources(c, spec, out) < 0 ||
        ls_parse_list(c, spec, "includedNamespaces", LS_NAMESPACE, &out->included_namespaces) < 0 ||
        ls_parse_list(c, spec, "excludedNamespaces", LS_NAMESPACE, &out->excluded_namespaces) < 0 ||
        ls_parse_list(c, spec, "excludedServices", LS_SERVICE_REF, &out->excluded_services) < 0 ||
        ls_parse_list(c, spec, "excludedServiceNames", LS_SERVICE_NAME,
                      &out->excluded_service_names) < 0 ||
        ls_parse_mirror(c, spec, out) < 0 ||
        ls_parse_cidrs(c, spec, out) < 0)
        return -1;
    return 0;
}

int linkspec_parse(const json_doc *doc, int obj, linkspec *out, char *err, size_t errlen)
{
    ls_ctx c = {doc, err, errlen};
    memset(out, 0, sizeof *out);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (!json_is_object(doc, obj)) {
        text_errorf(err, errlen, "ClusterLink: not a JSON object");
        return -1;
    }
    if (ls_parse_metadata(&c, obj, out) < 0 || ls_parse_spec(&c, obj, out) < 0) {
        linkspec_free(out);
        return -1;
    }
    return 0;
}

int linkspec_name(const json_doc *doc, int obj, char *buf, size_t buflen)
{
    size_t len = 0;
    int tok = json_path(doc, obj, "metadata", "name", NULL);
    if (buf == NULL || buflen == 0)
        return -1;
    if (json_str_copy(doc, tok, buf, buflen, &len) != JSON_OK || len == 0) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

static void ls_list_free(linkspec_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

void linkspec_free(linkspec *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->uid);
    free(s->resource_version);
    text_wipe_free(s->kubeconfig_b64);
    free(s->secret_namespace);
    free(s->secret_name);
    free(s->secret_key);
    ls_list_free(&s->included_namespaces);
    ls_list_free(&s->excluded_namespaces);
    ls_list_free(&s->excluded_services);
    ls_list_free(&s->excluded_service_names);
    free(s->service_selector);
    for (size_t i = 0; i < s->namespace_mapping.count; i++) {
        free(s->namespace_mapping.items[i].from);
        free(s->namespace_mapping.items[i].to);
    }
    free(s->namespace_mapping.items);
    addrpol_set_free(&s->allowed_cidrs);
    memset(s, 0, sizeof *s);
}

/* NULL equals only NULL. */
static bool ls_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool ls_list_same(const linkspec_list *a, const linkspec_list *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!ls_str_same(a->items[i], b->items[i]))
            return false;
    return true;
}

static bool ls_map_same(const linkspec_nsmap *a, const linkspec_nsmap *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        if (strcmp(a->items[i].from, b->items[i].from) != 0 || strcmp(a->items[i].to, b->items[i].to) != 0)
            return false;
    }
    return true;
}

bool linkspec_same_namespaces(const linkspec *a, const linkspec *b)
{
    return ls_list_same(&a->included_namespaces, &b->included_namespaces) &&
           ls_list_same(&a->excluded_namespaces, &b->excluded_namespaces);
}

bool linkspec_same_spec(const linkspec *a, const linkspec *b)
{
    return a->enabled == b->enabled && ls_str_same(a->kubeconfig_b64, b->kubeconfig_b64) &&
           a->has_secret_ref == b->has_secret_ref &&
           ls_str_same(a->secret_namespace, b->secret_namespace) &&
           ls_str_same(a->secret_name, b->secret_name) &&
           ls_str_same(a->secret_key, b->secret_key) &&
           linkspec_same_namespaces(a, b) && ls_list_same(&a->excluded_services, &b->excluded_services) &&
           ls_list_same(&a->excluded_service_names, &b->excluded_service_names) &&
           a->stale_timeout_s == b->stale_timeout_s && ls_str_same(a->service_selector, b->service_selector) &&
           a->create_services == b->create_services && ls_map_same(&a->namespace_mapping, &b->namespace_mapping) &&
           addrpol_set_equal(&a->allowed_cidrs, &b->allowed_cidrs) && a->max_services == b->max_services &&
           a->max_endpoints == b->max_endpoints;
}

const char *linkspec_local_ns(const linkspec_nsmap *m, const char *remote_ns)
{
    bool taken = false;
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].from, remote_ns) == 0)
            return m->items[i].to;
        taken = taken || strcmp(m->items[i].to, remote_ns) == 0;
    }
    return taken ? NULL : remote_ns;
}

const char *linkspec_remote_ns(const linkspec_nsmap *m, const char *local_ns)
{
    bool mapped_away = false;
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].to, local_ns) == 0)
            return m->items[i].from;
        mapped_away = mapped_away || strcmp(m->items[i].from, local_ns) == 0;
    }
    /* A remote namespace that is mapped elsewhere does not also land under its own name. */
    return mapped_away ? NULL : local_ns;
}
