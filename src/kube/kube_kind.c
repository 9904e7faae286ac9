/* kube_kind: the resource names of the kinds svclink watches, for the log lines and metrics
 * that say which watch an event or failure belongs to. */
#include "kube/kube_kind.h"

const char *kube_kind_resource(kube_kind kind)
{
    switch (kind) {
    case KUBE_KIND_SERVICE:
        return "services";
    case KUBE_KIND_ENDPOINT_SLICE:
        return "endpointslices";
    case KUBE_KIND_NAMESPACE:
        return "namespaces";
    case KUBE_KIND_CLUSTER_LINK:
        return "clusterlinks";
    }
    return "unknown";
}
