/* Unit tests for k8sname: the label and subdomain rules at their edges, the same answers the
 * API server gives (a subdomain's parts may pass 63 characters; a label may not). */
#include <string.h>

#include "base/k8sname.h"
#include "unit.h"

static bool label(const char *s)
{
    return k8sname_is_dns_label(s, strlen(s));
}

static bool subdomain(const char *s)
{
    return k8sname_is_dns_subdomain(s, strlen(s), K8SNAME_MAX_SUBDOMAIN);
}

UNIT_TEST(k8sname_labels)
{
    char long_label[K8SNAME_MAX_LABEL + 2];
    memset(long_label, 'a', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    CHECK(label("a") && label("web-0") && label("0a") && label("a-b-c"));
    CHECK(!label("") && !label("-a") && !label("a-") && !label("A") && !label("a.b") && !label("a_b"));
    CHECK(!label(long_label));
    long_label[K8SNAME_MAX_LABEL] = '\0';
    CHECK(label(long_label));
}

UNIT_TEST(k8sname_subdomains)
{
    char big[K8SNAME_MAX_SUBDOMAIN + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(subdomain("a") && subdomain("a.b") && subdomain("svclink.cloudpilot.ai") && subdomain("a-1.b-2"));
    CHECK(!subdomain("") && !subdomain(".a") && !subdomain("a.") && !subdomain("a..b") && !subdomain("a.-b"));
    CHECK(!subdomain("a-.b") && !subdomain("A.b") && !subdomain("a_b"));
    /* Kubernetes bounds only the whole: one 100-character part is a valid subdomain. */
    big[100] = '\0';
    CHECK(subdomain(big) && !label(big));
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(!subdomain(big));
    big[K8SNAME_MAX_SUBDOMAIN] = '\0';
    CHECK(subdomain(big));
    /* A caller's tighter bound wins; a looser one is clamped to Kubernetes'. */
    CHECK(!k8sname_is_dns_subdomain("abcd", 4, 3) && k8sname_is_dns_subdomain("abc", 3, 3));
    big[K8SNAME_MAX_SUBDOMAIN] = 'a';
    CHECK(!k8sname_is_dns_subdomain(big, K8SNAME_MAX_SUBDOMAIN + 1, 1000));
}
