/* k8sname: Kubernetes' rules for object and label names, in one place so that every flag,
 * spec field and kubeconfig value is judged by the same rule the API server applies. */
#ifndef SVCLINK_BASE_K8SNAME_H
#define SVCLINK_BASE_K8SNAME_H

#include <stdbool.h>
#include <stddef.h>

#define K8SNAME_MAX_LABEL 63u      /* a DNS label: namespace names, label values */
#define K8SNAME_MAX_SUBDOMAIN 253u /* a DNS subdomain: most object names */

/* An RFC 1123 label: 1..63 of [a-z0-9-], starting and ending alphanumeric. */
bool k8sname_is_dns_label(const char *name, size_t len);

/* An RFC 1123 subdomain as the API server checks it: dot-separated parts of [a-z0-9-] that
 * start and end alphanumeric. Only the whole is bounded (by max, at most
 * K8SNAME_MAX_SUBDOMAIN), not each part: that is Kubernetes' rule, not DNS's. */
bool k8sname_is_dns_subdomain(const char *name, size_t len, size_t max);

#endif
