/* kube_kind: the kinds of Kubernetes object svclink lists and watches, named once so the
 * caches and reflectors dispatch on an enum rather than on letters. */
#ifndef SVCLINK_KUBE_KUBE_KIND_H
#define SVCLINK_KUBE_KUBE_KIND_H

typedef enum {
    KUBE_KIND_SERVICE,
    KUBE_KIND_ENDPOINT_SLICE,
    KUBE_KIND_NAMESPACE,
    KUBE_KIND_CLUSTER_LINK,
} kube_kind;

/* The plural resource name ("services", "endpointslices", ...), for logs and paths. */
const char *kube_kind_resource(kube_kind kind);

#endif
