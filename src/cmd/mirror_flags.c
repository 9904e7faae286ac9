/* mirror_flags: parses and checks `svclink mirror`'s flags (k8s-svc-sync's, plus the common
 * leader-election, HTTP, log and resync flags through options_parse_command). */
#include "cmd/mirror_flags.h"
#include "base/k8sname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/label_sel.h"
#include "base/text.h"

#define MIRROR_FLAGS_MAX_CONTEXT 253u

static const options_command_flag mirror_flags_flags[] = {
    {"--src-context", false}, {"--dst-context", false}, {"--src-ns", false},
    {"--dst-ns", false},      {"--sync-label", false},  {"--link-name", false},
};

/* Common flags that make no sense here: the namespace pair and createServices are fixed,
 * and there is no ClusterLink status to pace. */
static const char *const mirror_flags_refused[] = {"--included-namespaces", "--sync-services-to-local-cluster",
                                                "--status-interval", NULL};

void mirror_flags_link_name(const char *context, char out[64])
{
    size_t n = 0;
    bool dash = false;
    for (const char *p = context; *p != '\0' && n < 63; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum) {
            if (dash && n > 0 && n < 62)
                out[n++] = '-';
            out[n++] = c;
            dash = false;
        } else {
            dash = true;
        }
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, 64, "%s", MIRROR_FLAGS_DEFAULT_LINK);
}

static int mirror_flags_once(const char *flag, const char *seen, char *err, size_t errlen)
{
    if (seen == NULL)
        return 0;
    text_errorf(err, errlen, "%s is given twice", flag);
    return -1;
}

static int mirror_flags_namespace(const char *flag, const char *value, char *err, size_t errlen)
{
    if (strchr(value, ',') != NULL) {
        text_errorf(err, errlen, "%s: one namespace, not a list (run one svclink mirror per namespace pair)", flag);
        return -1;
    }
    if (!k8sname_is_dns_label(value, strlen(value))) {
        text_errorf(err, errlen, "%s: \"%.80s\" is not a valid namespace name (lowercase letters, digits and '-', at "
                                "most 63 characters)", flag, value);
        return -1;
    }
    if (strcmp(value, "kube-system") == 0) {
        text_errorf(err, errlen, "%s: kube-system is never synced", flag);
        return -1;
    }
    return 0;
}

static int mirror_flags_context(const char *flag, const char *value, char *err, size_t errlen)
{
    size_t len = strlen(value);
    if (len == 0 || len > MIRROR_FLAGS_MAX_CONTEXT) {
        text_errorf(err, errlen, "%s: a context name of 1 to %u characters is needed", flag, MIRROR_FLAGS_MAX_CONTEXT);
        return -1;
    }
    return 0;
}

static int mirror_flags_selector(mirror_flags *m, const char *value, char *err, size_t errlen)
{
    /* '' is an explicit "every Service", as kubectl's -l ''. */
    if (value[0] == '\0')
        return 0;
    char why[300];
    if (label_sel_from_text(value, &m->selector, why, sizeof why) != 0) {
        text_errorf(err, errlen, "--sync-label: %s", why);
        return -1;
    }
    return 0;
}

static int mirror_flags_apply(void *arg, const char *flag, const char *value, char *err, size_t errlen)
{
    mirror_flags *m = arg;
    const char **slot = strcmp(flag, "--src-context") == 0   ? &m->src_context
                        : strcmp(flag, "--dst-context") == 0 ? &m->dst_context
                        : strcmp(flag, "--src-ns") == 0      ? &m->src_ns
                        : strcmp(flag, "--dst-ns") == 0      ? &m->dst_ns
                        : strcmp(flag, "--sync-label") == 0  ? &m->sync_label
                                                             : NULL;
    if (slot == NULL) { /* --link-name */
        if (mirror_flags_once(flag, m->link_name[0] ? m->link_name : NULL, err, errlen) != 0)
            return -1;
        if (!k8sname_is_dns_label(value, strlen(value))) {
            text_errorf(err, errlen, "--link-name: \"%.80s\" is not a DNS label (lowercase letters, digits and '-', "
                                    "at most 63 characters)", value);
            return -1;
        }
        snprintf(m->link_name, sizeof m->link_name, "%s", value);
        return 0;
    }
    if (mirror_flags_once(flag, *slot, err, errlen) != 0)
        return -1;
    int rc = 0;
    if (slot == &m->src_context || slot == &m->dst_context)
        rc = mirror_flags_context(flag, value, err, errlen);
    else if (slot == &m->src_ns || slot == &m->dst_ns)
        rc = mirror_flags_namespace(flag, value, err, errlen);
    else
        rc = mirror_flags_selector(m, value, err, errlen);
    if (rc == 0)
        *slot = value;
    return rc;
}

static int mirror_flags_kubeconfig(mirror_flags *m, const mirror_flags_env *env, char *err, size_t errlen)
{
    if (m->common.kubeconfig_path != NULL)
        return 0;
    if (env->kubeconfig != NULL && env->kubeconfig[0] != '\0') {
        if (strchr(env->kubeconfig, ':') != NULL) {
            text_errorf(err, errlen, "--kubeconfig: KUBECONFIG lists several files; give the one with both contexts");
            return -1;
        }
        m->common.kubeconfig_path = env->kubeconfig;
        return 0;
    }
    /* k8s-svc-sync used client-go's default rules, which end at kubectl's file. */
    if (env->home != NULL && env->home[0] != '\0') {
        size_t n = strlen(env->home) + sizeof "/.kube/config";
        if ((m->kubeconfig_home = malloc(n)) == NULL) {
            text_errorf(err, errlen, "out of memory");
            return -1;
        }
        snprintf(m->kubeconfig_home, n, "%s/.kube/config", env->home);
        m->common.kubeconfig_path = m->kubeconfig_home;
        return 0;
    }
    text_errorf(err, errlen, "--kubeconfig is required (the kubeconfig file holding both contexts; or set KUBECONFIG)");
    return -1;
}

/* k8s-svc-sync's defaults for every flag of its table left out. */
static int mirror_flags_defaults(mirror_flags *m, const mirror_flags_env *env, char *err, size_t errlen)
{
    if (mirror_flags_kubeconfig(m, env, err, errlen) != 0)
        return -1;
    if (m->src_context == NULL)
        m->src_context = MIRROR_FLAGS_DEFAULT_SRC_CONTEXT;
    if (m->dst_context == NULL)
        m->dst_context = MIRROR_FLAGS_DEFAULT_DST_CONTEXT;
    if (m->src_ns == NULL)
        m->src_ns = MIRROR_FLAGS_DEFAULT_SRC_NS;
    if (m->dst_ns == NULL)
        m->dst_ns = MIRROR_FLAGS_DEFAULT_DST_NS;
    if (m->sync_label == NULL) {
        m->sync_label = MIRROR_FLAGS_DEFAULT_SYNC_LABEL;
        if (mirror_flags_selector(m, m->sync_label, err, errlen) != 0)
            return -1;
    }
    if (m->common.lease_namespace == NULL)
        m->common.lease_namespace = MIRROR_FLAGS_DEFAULT_LEASE_NS;
    if (m->common.lease_name == NULL)
        m->common.lease_name = MIRROR_FLAGS_DEFAULT_LEASE_NAME;
    /* A $HOSTNAME that cannot be one leaves svclink's own default: POD_NAME or the host name,
     * with a random suffix. */
    if (m->common.lease_identity == NULL && options_identity_ok(env->hostname))
        m->common.lease_identity = env->hostname;
    if (strcmp(m->src_context, m->dst_context) == 0 && strcmp(m->src_ns, m->dst_ns) == 0) {
        text_errorf(err, errlen, "--dst-ns: the same context and namespace as the source: the Services would be "
                                "copied onto themselves");
        return -1;
    }
    return 0;
}

/* k8s-svc-sync's KEY=VALUE-external, kept for users who select what it made by it. */
static void mirror_flags_compat(mirror_flags *m)
{
    const char *q = m->selector, *eq = q != NULL ? strchr(q, '=') : NULL;
    if (eq == NULL || eq == q || eq[-1] == '!' || strchr(q, ',') != NULL || strchr(q, ' ') != NULL)
        return;
    size_t klen = (size_t)(eq - q);
    char value[80];
    int n = snprintf(value, sizeof value, "%s%s", eq + 1, MIRROR_FLAGS_COMPAT_SUFFIX);
    /* A key of svclink's own would collide with the labels svclink writes. */
    if (klen >= sizeof m->compat_key || strncmp(q, "svclink.cloudpilot.ai/", 22) == 0 || n <= 0 ||
        (size_t)n >= sizeof m->compat_value || eq[1] == '\0' || !label_sel_valid_value(value, (size_t)n))
        return;
    memcpy(m->compat_key, q, klen);
    m->compat_key[klen] = '\0';
    memcpy(m->compat_value, value, (size_t)n + 1);
}

/* k8s-svc-sync's names of the leader-election flags. */
static const options_alias mirror_flags_aliases[] = {
    {"--leader-election-namespace", "--leader-elect-namespace"},
    {"--leader-election-name", "--leader-elect-name"},
    {"--pod-name", "--leader-elect-identity"},
};

options_action mirror_flags_parse(int argc, char *const argv[], const mirror_flags_env *env, mirror_flags *out,
                                  char *err, size_t errlen)
{
    static const mirror_flags_env none = {0};
    memset(out, 0, sizeof *out);
    options_command cmd = {.program = "svclink mirror", .flags = mirror_flags_flags,
                           .nflags = sizeof mirror_flags_flags / sizeof mirror_flags_flags[0],
                           .aliases = mirror_flags_aliases,
                           .naliases = sizeof mirror_flags_aliases / sizeof mirror_flags_aliases[0],
                           .leader_elect_default = true, .http_address_default = MIRROR_FLAGS_DEFAULT_HTTP,
                           .refused = mirror_flags_refused, .apply = mirror_flags_apply, .arg = out};
    options_action a = options_parse_command(argc, argv, &cmd, &out->common, err, errlen);
    if (a != OPTIONS_RUN)
        return a;
    if (mirror_flags_defaults(out, env != NULL ? env : &none, err, errlen) != 0)
        return OPTIONS_ERROR;
    out->common.kubeconfig_context = out->dst_context;
    /* --src-ns narrows the source's watches to that namespace (least privilege there). */
    if (options_namespace_list_add("--src-ns", out->src_ns, 1, &out->common.included_namespaces,
                               &out->common.included_namespace_count, err, errlen) != 0)
        return OPTIONS_ERROR;
    if (out->link_name[0] == '\0')
        mirror_flags_link_name(out->src_context, out->link_name);
    mirror_flags_compat(out);
    return OPTIONS_RUN;
}

void mirror_flags_free(mirror_flags *m)
{
    options_free(&m->common);
    free(m->selector);
    m->selector = NULL;
    free(m->kubeconfig_home);
    m->kubeconfig_home = NULL;
}

void mirror_flags_usage(char *buf, size_t buflen)
{
    snprintf(buf, buflen,
             "Usage: svclink mirror [--kubeconfig FILE] [--src-context A] [--dst-context B] [--src-ns NS]\n"
             "                      [--dst-ns NS] [--sync-label SELECTOR] [flags]\n"
             "\n"
             "Copies the Services of one namespace of the source cluster that match a label selector\n"
             "into a namespace of the destination cluster, with their endpoints as EndpointSlices, and\n"
             "deletes what it made when a Service stops matching or goes (k8s-svc-sync's job; no CRD).\n"
             "k8s-svc-sync's command line works as it is: one dash or two, -flag value or -flag=value,\n"
             "and its defaults for what is left out.\n"
             "\n"
             "Flags:\n"
             "  --kubeconfig FILE                 the kubeconfig with both contexts (default $KUBECONFIG,\n"
             "                                    else ~/.kube/config); file paths and exec plugins are allowed\n"
             "  --src-context NAME                the source cluster's context, read only (default local-cluster)\n"
             "  --dst-context NAME                the destination cluster's context, written (default\n"
             "                                    external-cluster)\n"
             "  --src-ns NS                       the source namespace (default default)\n"
             "  --dst-ns NS                       the destination namespace, created when missing (default\n"
             "                                    prod-test)\n"
             "  --sync-label SELECTOR             kubectl label selector (default sync=true; 'tier in (a,b)',\n"
             "                                    ...); '' copies every Service of --src-ns\n"
             "  --link-name NAME                  the name on svclink's labels and slices (default: the\n"
             "                                    source context made a DNS label, else \"mirror\")\n"
             "  --sync-interval DURATION          periodic full resync (default 30s; 1s to 24h)\n"
             "  --leader-elect[=true|false]       elect one writer among replicas on a Lease in the\n"
             "                                    destination (default true, as k8s-svc-sync)\n"
             "  --leader-elect-namespace NS       the Lease's namespace (default k8s-sync);\n"
             "                                    also -leader-election-namespace\n"
             "  --leader-elect-name NAME          the Lease's name (default k8s-svc-sync-leader);\n"
             "                                    also -leader-election-name\n"
             "  --leader-elect-identity ID        this replica's name in the Lease and /leader (default\n"
             "                                    $HOSTNAME); also -pod-name\n"
             "  --leader-elect-lease-duration D   (default 15s)\n"
             "  --leader-elect-renew-deadline D   (default 10s)\n"
             "  --leader-elect-retry-period D     (default 2s)\n"
             "  --http-address HOST:PORT          serve /health, /ready, /leader, /healthz, /readyz, /metrics\n"
             "                                    (default :8080; '' for none)\n"
             "  --log-format text|json            (default text)\n"
             "  --log-level LEVEL                 debug, info, warn or error (default info)\n"
             "  --service-cidrs, --allowed-cidrs, --max-services-per-link, --max-endpoints-per-link\n"
             "                                    the address policy and budgets, as for svclink\n"
             "  -h, --help                        print this help and exit\n");
}
