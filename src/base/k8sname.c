/* k8sname: Kubernetes' name rules (DNS labels and subdomains), the one copy every parser of
 * flags, ClusterLink specs, label selectors and kubeconfig namespaces calls. */
#include "base/k8sname.h"

static bool k8sname_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool k8sname_is_dns_label(const char *name, size_t len)
{
    if (len == 0 || len > K8SNAME_MAX_LABEL)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool end = i == 0 || i == len - 1;
        if (!k8sname_alnum(name[i]) && !(name[i] == '-' && !end))
            return false;
    }
    return true;
}

bool k8sname_is_dns_subdomain(const char *name, size_t len, size_t max)
{
    if (max > K8SNAME_MAX_SUBDOMAIN)
        max = K8SNAME_MAX_SUBDOMAIN;
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        /* A part's ends sit next to a dot or at the ends of the whole. */
        bool end = i == 0 || i == len - 1 || name[i - 1] == '.' || name[i + 1] == '.';
        if (k8sname_alnum(c))
            continue;
        if ((c == '-' || c == '.') && !end)
            continue;
        return false;
    }
    return true;
}
