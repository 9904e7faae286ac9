/* Unit tests for linkspec: ClusterLinks as the API server returns them, defaults, every
 * validation error and the field it names, metadata flags, and spec comparison. */
#include "spec/linkspec.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A ClusterLink read back from kube-apiserver v1.33: defaults applied, managedFields and
 * status present. */
static const char full_object[] =
    "{\"apiVersion\":\"svclink.cloudpilot.ai/v1alpha1\",\"kind\":\"ClusterLink\","
    "\"metadata\":{\"creationTimestamp\":\"2025-05-01T10:00:00Z\",\"finalizers\":"
    "[\"other.example.com/keep\",\"svclink.cloudpilot.ai/cleanup\"],\"generation\":3,"
    "\"managedFields\":[{\"apiVersion\":\"svclink.cloudpilot.ai/v1alpha1\",\"fieldsType\":"
    "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\".\":{},\"f:enabled\":{},\"f:kubeconfig\":{},"
    "\"f:excludedServices\":{}}},\"manager\":\"kubectl-client-side-apply\",\"operation\":"
    "\"Update\",\"time\":\"2025-05-01T10:00:00Z\"},{\"apiVersion\":"
    "\"svclink.cloudpilot.ai/v1alpha1\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":"
    "{\"f:conditions\":{}}},\"manager\":\"svclink\",\"operation\":\"Update\",\"subresource\":"
    "\"status\",\"time\":\"2025-05-01T10:00:05Z\"}],\"name\":\"cluster-a\",\"resourceVersion\":"
    "\"48213\",\"uid\":\"6f1c2b8e-0d7a-4c55-9e43-2b1f7f0a9c11\",\"annotations\":{"
    "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},"
    "\"spec\":{\"enabled\":true,\"kubeconfig\":\"YXBpVmVyc2lvbjogdjEK\",\"includedNamespaces\":"
    "[\"shop\",\"payments\"],\"excludedNamespaces\":[\"staging\"],\"excludedServices\":"
    "[\"shop/legacy\",\"payments/debug\"],\"excludedServiceNames\":[\"metrics\"],"
    "\"staleEndpointTimeoutSeconds\":300,\"someFutureField\":{\"x\":[1,2]}},"
    "\"status\":{\"conditions\":[{\"lastTransitionTime\":\"2025-05-01T10:00:05Z\",\"message\":"
    "\"synced\",\"observedGeneration\":3,\"reason\":\"Connected\",\"status\":\"True\",\"type\":"
    "\"Ready\"}],\"observedGeneration\":3,\"remoteVersion\":\"v1.33.13\",\"syncedServices\":4,"
    "\"syncedEndpoints\":12}}";

/* Parses text (whose root is the object) into *s; returns linkspec_parse's result, or -2
 * when the text is not JSON. */
static int parse_text(const char *text, linkspec *s, char *err, size_t errlen)
{
    json_doc doc;
    json_doc_init(&doc);
    int rc = -2;
    if (json_parse(&doc, text, strlen(text), err, errlen) == 0)
        rc = linkspec_parse(&doc, 0, s, err, errlen);
    json_doc_free(&doc);
    return rc;
}

/* A minimal object: metadata.name "l1" and the given spec members. */
static int parse_spec(const char *spec_members, linkspec *s, char *err, size_t errlen)
{
    char text[8192];
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"l1\"},\"spec\":{%s}}", spec_members);
    return parse_text(text, s, err, errlen);
}

/* A spec that must fail, with an error containing want; the struct must come back zeroed. */
static bool rejects(const char *spec_members, const char *want)
{
    linkspec s;
    char err[512];
    int rc = parse_spec(spec_members, &s, err, sizeof err);
    linkspec zero;
    memset(&zero, 0, sizeof zero);
    bool ok = rc == -1 && strstr(err, want) != NULL && memcmp(&s, &zero, sizeof s) == 0;
    if (!ok)
        printf("  rejects(%s): rc=%d err=%s (wanted %s)\n", spec_members, rc, err, want);
    return ok;
}

#define KC "\"kubeconfig\":\"YQ==\""

UNIT_TEST(linkspec_full_object)
{
    linkspec s;
    char err[256];
    CHECK(parse_text(full_object, &s, err, sizeof err) == 0);
    CHECK_STR_EQ(s.name, "cluster-a");
    CHECK_STR_EQ(s.uid, "6f1c2b8e-0d7a-4c55-9e43-2b1f7f0a9c11");
    CHECK_STR_EQ(s.resource_version, "48213");
    CHECK(s.generation == 3);
    CHECK(!s.deleting);
    CHECK(s.has_finalizer);
    CHECK(s.enabled);
    CHECK_STR_EQ(s.kubeconfig_b64, "YXBpVmVyc2lvbjogdjEK");
    CHECK(!s.has_secret_ref);
    CHECK(s.secret_namespace == NULL && s.secret_name == NULL && s.secret_key == NULL);
    CHECK(s.included_namespaces.count == 2);
    CHECK_STR_EQ(s.included_namespaces.items[0], "shop");
    CHECK_STR_EQ(s.included_namespaces.items[1], "payments");
    CHECK(s.excluded_namespaces.count == 1);
    CHECK_STR_EQ(s.excluded_namespaces.items[0], "staging");
    CHECK(s.excluded_services.count == 2);
    CHECK_STR_EQ(s.excluded_services.items[1], "payments/debug");
    CHECK(s.excluded_service_names.count == 1);
    CHECK_STR_EQ(s.excluded_service_names.items[0], "metrics");
    CHECK(s.stale_timeout_s == 300);
    linkspec_free(&s);
    CHECK(s.name == NULL && s.included_namespaces.items == NULL);
    linkspec_free(&s); /* twice is harmless */
}

UNIT_TEST(v4_linkspec_defaults)
{
    linkspec s;
    char err[256];
    CHECK(parse_text("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"kubeconfig\":\"YQ==\"}}", &s, err,
                     sizeof err) == 0);
    CHECK(s.enabled);
    CHECK(s.stale_timeout_s == LINKSPEC_DEFAULT_STALE_TIMEOUT_S);
    CHECK_STR_EQ(s.uid, "");
    CHECK_STR_EQ(s.resource_version, "");
    CHECK(s.generation == 0 && !s.deleting && !s.has_finalizer);
    CHECK(s.included_namespaces.count == 0 && s.included_namespaces.items == NULL);
    CHECK(s.excluded_namespaces.count == 0 && s.excluded_services.count == 0 &&
          s.excluded_service_names.count == 0);
    linkspec_free(&s);

    /* nulls mean "not set", as the API server's pruning makes them */
    CHECK(parse_spec(KC ",\"enabled\":null,\"staleEndpointTimeoutSeconds\":null,"
                        "\"includedNamespaces\":null,\"kubeconfigSecretRef\":null",
                     &s, err, sizeof err) == 0);
    CHECK(s.enabled && s.stale_timeout_s == 300 && !s.has_secret_ref);
    CHECK(s.max_services == 0 && s.max_endpoints == 0);
    linkspec_free(&s);

    CHECK(parse_spec(KC ",\"enabled\":false,\"staleEndpointTimeoutSeconds\":0,"
                        "\"includedNamespaces\":[]",
                     &s, err, sizeof err) == 0);
    CHECK(!s.enabled && s.stale_timeout_s == 0 && s.included_namespaces.count == 0);
    linkspec_free(&s);

    CHECK(parse_spec(KC ",\"staleEndpointTimeoutSeconds\":86400", &s, err, sizeof err) == 0);
    CHECK(s.stale_timeout_s == 86400);
    linkspec_free(&s);
}

UNIT_TEST(v8_linkspec_budgets)
{
    linkspec s;
    char err[256];
    /* Budgets: 1..LINKSPEC_MAX_BUDGET, and part of the spec's identity. */
    linkspec t;
    CHECK(parse_spec(KC ",\"maxServices\":20,\"maxEndpoints\":100000000", &s, err, sizeof err) == 0);
    CHECK(s.max_services == 20 && s.max_endpoints == 100000000);
    CHECK(parse_spec(KC ",\"maxServices\":21", &t, err, sizeof err) == 0);
    CHECK(!linkspec_same_spec(&s, &t));
    linkspec_free(&t);
    linkspec_free(&s);
    CHECK(parse_spec(KC ",\"maxServices\":0", &s, err, sizeof err) == -1);
    CHECK(strstr(err, "spec.maxServices: 0 is not an integer from 1 to 100000000") != NULL);
    CHECK(parse_spec(KC ",\"maxEndpoints\":\"many\"", &s, err, sizeof err) == -1);
    CHECK(strstr(err, "spec.maxEndpoints") != NULL);
}

UNIT_TEST(v2_linkspec_secret_ref)
{
    linkspec s;
    char err[256];
    CHECK(parse_spec("\"kubeconfigSecretRef\":{\"namespace\":\"cloudpilot\",\"name\":"
                     "\"cluster-a.kubeconfig\"}",
                     &s, err, sizeof err) == 0);
    CHECK(s.has_secret_ref && s.kubeconfig_b64 == NULL);
    CHECK_STR_EQ(s.secret_namespace, "cloudpilot");
    CHECK_STR_EQ(s.secret_name, "cluster-a.kubeconfig");
    CHECK_STR_EQ(s.secret_key, LINKSPEC_DEFAULT_SECRET_KEY);
    linkspec_free(&s);

    CHECK(parse_spec("\"kubeconfigSecretRef\":{\"namespace\":\"ns\",\"name\":\"n\",\"key\":"
                     "\"config.Yaml_2-x\"}",
                     &s, err, sizeof err) == 0);
    CHECK_STR_EQ(s.secret_key, "config.Yaml_2-x");
    linkspec_free(&s);

    CHECK(parse_spec("\"kubeconfigSecretRef\":{\"namespace\":\"ns\",\"name\":\"n\",\"key\":\".k\"}",
                     &s, err, sizeof err) == 0);
    CHECK_STR_EQ(s.secret_key, ".k");
    linkspec_free(&s);
}

UNIT_TEST(linkspec_metadata_flags)
{
    linkspec s;
    char err[256];
    CHECK(parse_text("{\"metadata\":{\"name\":\"gone\",\"deletionTimestamp\":"
                     "\"2025-05-01T11:00:00Z\",\"deletionGracePeriodSeconds\":0,\"finalizers\":"
                     "[\"svclink.cloudpilot.ai/cleanup\"]},\"spec\":{" KC "}}",
                     &s, err, sizeof err) == 0);
    CHECK(s.deleting && s.has_finalizer);
    linkspec_free(&s);

    CHECK(parse_text("{\"metadata\":{\"name\":\"gone\",\"deletionTimestamp\":"
                     "\"2025-05-01T11:00:00Z\",\"finalizers\":[\"svclink.cloudpilot.ai/cleanupx\","
                     "\"svclink.cloudpilot.ai\"]},\"spec\":{" KC "}}",
                     &s, err, sizeof err) == 0);
    CHECK(s.deleting && !s.has_finalizer);
    linkspec_free(&s);

    CHECK(parse_text("{\"metadata\":{\"name\":\"x\",\"deletionTimestamp\":null,\"finalizers\":[]},"
                     "\"spec\":{" KC "}}",
                     &s, err, sizeof err) == 0);
    CHECK(!s.deleting && !s.has_finalizer);
    linkspec_free(&s);

    /* dots are fine in a link name (a DNS subdomain) */
    CHECK(parse_text("{\"metadata\":{\"name\":\"eu-1.prod\"},\"spec\":{" KC "}}", &s, err,
                     sizeof err) == 0);
    CHECK_STR_EQ(s.name, "eu-1.prod");
    linkspec_free(&s);
}

UNIT_TEST(v1_linkspec_metadata_errors)
{
    linkspec s;
    char err[256];
    CHECK(parse_text("[]", &s, err, sizeof err) == -1);
    CHECK(strstr(err, "not a JSON object") != NULL);
    CHECK(parse_text("{\"spec\":{" KC "}}", &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata: missing");
    CHECK(parse_text("{\"metadata\":[],\"spec\":{" KC "}}", &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata: not an object");
    CHECK(parse_text("{\"metadata\":{},\"spec\":{" KC "}}", &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata.name: missing");
    CHECK(parse_text("{\"metadata\":{\"name\":7},\"spec\":{" KC "}}", &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata.name: 7 is not a string");
    CHECK(parse_text("{\"metadata\":{\"name\":\"Bad\"},\"spec\":{" KC "}}", &s, err, sizeof err) ==
          -1);
    CHECK(strstr(err, "metadata.name: \"Bad\" is not a DNS subdomain") == err);
    CHECK(parse_text("{\"metadata\":{\"name\":\"a..b\"},\"spec\":{" KC "}}", &s, err, sizeof err) ==
          -1);
    CHECK(parse_text("{\"metadata\":{\"name\":\"a.-b\"},\"spec\":{" KC "}}", &s, err, sizeof err) ==
          -1);
    CHECK(parse_text("{\"metadata\":{\"name\":\"\"},\"spec\":{" KC "}}", &s, err, sizeof err) ==
          -1);
    /* 63 is the most a label value (svclink.cloudpilot.ai/cluster=<link>) can hold */
    char text[512], name[80];
    memset(name, 'a', 64);
    name[64] = '\0';
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{" KC "}}", name);
    CHECK(parse_text(text, &s, err, sizeof err) == -1);
    CHECK(strstr(err, "metadata.name:") == err && strstr(err, "longer than 63") != NULL);
    name[63] = '\0';
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{" KC "}}", name);
    CHECK(parse_text(text, &s, err, sizeof err) == 0);
    linkspec_free(&s);

    CHECK(parse_text("{\"metadata\":{\"name\":\"x\",\"uid\":5},\"spec\":{" KC "}}", &s, err,
                     sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata.uid: 5 is not a string");
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\",\"generation\":\"3\"},\"spec\":{" KC "}}", &s,
                     err, sizeof err) == -1);
    CHECK(strstr(err, "metadata.generation:") == err);
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\",\"generation\":-1},\"spec\":{" KC "}}", &s,
                     err, sizeof err) == -1);
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\",\"finalizers\":\"a\"},\"spec\":{" KC "}}", &s,
                     err, sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata.finalizers: \"a\" is not a list");
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\",\"finalizers\":[\"a\",1]},\"spec\":{" KC "}}",
                     &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "metadata.finalizers[1]: 1 is not a string");
    memset(name, '1', 65);
    name[65] = '\0';
    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"%s\"},\"spec\":{" KC "}}", name);
    CHECK(parse_text(text, &s, err, sizeof err) == -1);
    CHECK(strstr(err, "metadata.resourceVersion:") == err);
}

UNIT_TEST(linkspec_spec_shape_errors)
{
    linkspec s;
    char err[256];
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\"}}", &s, err, sizeof err) == -1);
    CHECK(strstr(err, "spec: missing") == err);
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\"},\"spec\":null}", &s, err, sizeof err) == -1);
    CHECK(strstr(err, "spec: missing") == err);
    CHECK(parse_text("{\"metadata\":{\"name\":\"x\"},\"spec\":[1]}", &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "spec: [1] is not an object");
}

UNIT_TEST(v2_linkspec_kubeconfig_sources)
{
    CHECK(rejects("", "spec: exactly one of spec.kubeconfig and spec.kubeconfigSecretRef must "
                      "be set (neither is)"));
    CHECK(rejects("\"enabled\":true", "(neither is)"));
    CHECK(rejects(KC ",\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\"}",
                  "spec: exactly one of spec.kubeconfig and spec.kubeconfigSecretRef must be set "
                  "(both are)"));
    CHECK(rejects("\"kubeconfig\":\"\"", "spec.kubeconfig: empty"));
    CHECK(rejects("\"kubeconfig\":42", "spec.kubeconfig: not a string"));
    CHECK(rejects("\"kubeconfig\":\"a\\u0000b\"", "spec.kubeconfig: holds a NUL"));
    CHECK(rejects("\"kubeconfigSecretRef\":\"x\"", "spec.kubeconfigSecretRef: \"x\" is not an object"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"name\":\"b\"}",
                  "spec.kubeconfigSecretRef.namespace: missing"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\"}",
                  "spec.kubeconfigSecretRef.name: missing"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"A\",\"name\":\"b\"}",
                  "spec.kubeconfigSecretRef.namespace: \"A\" is not a valid namespace name"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a.b\",\"name\":\"b\"}",
                  "spec.kubeconfigSecretRef.namespace: \"a.b\" is not a valid namespace name"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b_c\"}",
                  "spec.kubeconfigSecretRef.name: \"b_c\" is not a valid Secret name"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\".b\"}",
                  "spec.kubeconfigSecretRef.name: \".b\" is not a valid Secret name"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\",\"key\":\"\"}",
                  "spec.kubeconfigSecretRef.key: \"\" is not a valid Secret data key"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\",\"key\":\"a/b\"}",
                  "spec.kubeconfigSecretRef.key: \"a/b\" is not a valid Secret data key"));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\",\"key\":\".\"}",
                  "spec.kubeconfigSecretRef.key: \".\""));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\",\"key\":\"..x\"}",
                  "spec.kubeconfigSecretRef.key: \"..x\""));
    CHECK(rejects("\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\",\"key\":true}",
                  "spec.kubeconfigSecretRef.key: true is not a string"));
}

UNIT_TEST(v2_linkspec_secret_ref_lengths)
{
    char spec[1024], big[300];
    linkspec s;
    char err[512];
    /* a 253-character subdomain with dots is the longest Secret name */
    memset(big, 'a', 253);
    for (int i = 50; i < 253; i += 51)
        big[i] = '.';
    big[253] = '\0';
    snprintf(spec, sizeof spec,
             "\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"%s\",\"key\":\"%s\"}", big,
             big);
    CHECK(parse_spec(spec, &s, err, sizeof err) == 0);
    linkspec_free(&s);
    big[253] = 'a';
    big[254] = '\0';
    snprintf(spec, sizeof spec, "\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"%s\"}",
             big);
    CHECK(rejects(spec, "spec.kubeconfigSecretRef.name:"));
    snprintf(spec, sizeof spec,
             "\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\",\"key\":\"%s\"}", big);
    CHECK(rejects(spec, "longer than 253 characters"));
    memset(big, 'n', 64);
    big[64] = '\0';
    snprintf(spec, sizeof spec, "\"kubeconfigSecretRef\":{\"namespace\":\"%s\",\"name\":\"b\"}",
             big);
    CHECK(rejects(spec, "spec.kubeconfigSecretRef.namespace:"));
}

UNIT_TEST(v4_linkspec_scalar_errors)
{
    CHECK(rejects(KC ",\"enabled\":\"yes\"", "spec.enabled: \"yes\" is not true or false"));
    CHECK(rejects(KC ",\"enabled\":1", "spec.enabled: 1 is not true or false"));
    CHECK(rejects(KC ",\"staleEndpointTimeoutSeconds\":-1",
                  "spec.staleEndpointTimeoutSeconds: -1 is not an integer from 0 to 86400"));
    CHECK(rejects(KC ",\"staleEndpointTimeoutSeconds\":86401",
                  "spec.staleEndpointTimeoutSeconds: 86401 is not"));
    CHECK(rejects(KC ",\"staleEndpointTimeoutSeconds\":1.5", "spec.staleEndpointTimeoutSeconds: 1.5"));
    CHECK(rejects(KC ",\"staleEndpointTimeoutSeconds\":\"300\"",
                  "spec.staleEndpointTimeoutSeconds: \"300\""));
    CHECK(rejects(KC ",\"staleEndpointTimeoutSeconds\":99999999999999999999999",
                  "spec.staleEndpointTimeoutSeconds:"));
}

UNIT_TEST(v3_linkspec_list_errors)
{
    CHECK(rejects(KC ",\"includedNamespaces\":\"a\"", "spec.includedNamespaces: \"a\" is not a list"));
    CHECK(rejects(KC ",\"includedNamespaces\":[\"ok\",\"Bad_NS\"]",
                  "spec.includedNamespaces[1]: \"Bad_NS\" is not a valid namespace name"));
    CHECK(rejects(KC ",\"excludedNamespaces\":[\"Bad_NS\"]",
                  "spec.excludedNamespaces[0]: \"Bad_NS\" is not a valid namespace name"));
    CHECK(rejects(KC ",\"excludedNamespaces\":[\"\"]", "spec.excludedNamespaces[0]: \"\""));
    CHECK(rejects(KC ",\"excludedNamespaces\":[null]", "spec.excludedNamespaces[0]: null is not a string"));
    CHECK(rejects(KC ",\"excludedServices\":[\"a/b\",\"b/c\",\"foo\"]",
                  "spec.excludedServices[2]: \"foo\" is not namespace/name"));
    CHECK(rejects(KC ",\"excludedServices\":[\"Ns/b\"]",
                  "spec.excludedServices[0]: \"Ns/b\": the namespace is not a DNS label"));
    CHECK(rejects(KC ",\"excludedServices\":[\"/b\"]", "[0]: \"/b\": the namespace"));
    CHECK(rejects(KC ",\"excludedServices\":[\"a/\"]", "[0]: \"a/\": the service name"));
    CHECK(rejects(KC ",\"excludedServices\":[\"a/b/c\"]", "[0]: \"a/b/c\": the service name"));
    CHECK(rejects(KC ",\"excludedServices\":[\"a/b.c\"]", "[0]: \"a/b.c\": the service name"));
    CHECK(rejects(KC ",\"excludedServiceNames\":[\"web\",\"we b\"]",
                  "spec.excludedServiceNames[1]: \"we b\" is not a valid service name"));
    CHECK(rejects(KC ",\"excludedServiceNames\":[\"-web\"]", "spec.excludedServiceNames[0]"));
    CHECK(rejects(KC ",\"excludedServiceNames\":[[\"web\"]]",
                  "spec.excludedServiceNames[0]: [\"web\"] is not a string"));
    /* values are quoted cut to 40 bytes with control bytes replaced */
    CHECK(rejects(KC ",\"excludedServiceNames\":[\"\\u001b[31mred\"]",
                  "[0]: \"\\u001b[31mred\" is not"));
    CHECK(rejects(KC ",\"excludedServiceNames\":[\"a\\tb\"]", "[0]: \"a\\tb\" is not"));
    CHECK(rejects(KC ",\"excludedServiceNames\":[\"caf\xc3\xa9\"]", "[0]: \"caf??\" is not"));
    CHECK(rejects(KC ",\"excludedServiceNames\":[\"a123456789b123456789c123456789d123456789e123456789f123456789g123456789\"]",
                  "[0]: \"a123456789b123456789c123456789d12345678... is longer than 63"));
}

/* Builds `"field":["n0",...]` with count entries into a heap buffer. */
static char *long_list(const char *field, size_t count, const char *item)
{
    size_t cap = strlen(field) + 16 + count * (strlen(item) + 3);
    char *p = malloc(cap);
    if (p == NULL)
        return NULL;
    size_t o = (size_t)snprintf(p, cap, "\"%s\":[", field);
    for (size_t i = 0; i < count; i++)
        o += (size_t)snprintf(p + o, cap - o, "%s\"%s\"", i ? "," : "", item);
    snprintf(p + o, cap - o, "]");
    return p;
}

UNIT_TEST(v3_linkspec_list_limits)
{
    linkspec s;
    char err[256];
    char *list = long_list("excludedServiceNames", LINKSPEC_MAX_LIST, "svc");
    char *text = malloc(64 * 1024);
    CHECK(list != NULL && text != NULL);
    if (list == NULL || text == NULL)
        goto out;
    snprintf(text, 64 * 1024, "{\"metadata\":{\"name\":\"l\"},\"spec\":{" KC ",%s}}", list);
    CHECK(parse_text(text, &s, err, sizeof err) == 0);
    CHECK(s.excluded_service_names.count == LINKSPEC_MAX_LIST);
    linkspec_free(&s);
    free(list);
    list = long_list("includedNamespaces", LINKSPEC_MAX_LIST + 1, "ns");
    CHECK(list != NULL);
    if (list == NULL)
        goto out;
    snprintf(text, 64 * 1024, "{\"metadata\":{\"name\":\"l\"},\"spec\":{" KC ",%s}}", list);
    CHECK(parse_text(text, &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "spec.includedNamespaces: 1025 entries, at most 1024 are allowed");
    /* a long entry: 64 characters is one too many for a DNS label */
    free(list);
    list = long_list("excludedNamespaces", 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    snprintf(text, 64 * 1024, "{\"metadata\":{\"name\":\"l\"},\"spec\":{" KC ",%s}}", list);
    CHECK(parse_text(text, &s, err, sizeof err) == -1);
    CHECK(strstr(err, "spec.excludedNamespaces[0]: \"aaaa") == err);
out:
    free(list);
    free(text);
}

UNIT_TEST(l3_linkspec_kubeconfig_never_quoted)
{
    /* whatever is wrong around it, the kubeconfig's text stays out of the message */
    const char *secret = "U0VDUkVULVRPS0VOLXZhbHVl";
    const char *bad[] = {
        ",\"kubeconfigSecretRef\":{\"namespace\":\"a\",\"name\":\"b\"}",
        ",\"enabled\":\"yes\"",
        ",\"excludedServices\":[\"nope\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char spec[512], err[512];
        linkspec s;
        snprintf(spec, sizeof spec, "\"kubeconfig\":\"%s\"%s", secret, bad[i]);
        int rc = parse_spec(spec, &s, err, sizeof err);
        CHECK(rc == -1);
        CHECK(strstr(err, secret) == NULL);
    }
    linkspec s;
    char err[512];
    CHECK(parse_spec("\"kubeconfig\":[\"U0VDUkVULVRPS0VOLXZhbHVl\"]", &s, err, sizeof err) == -1);
    CHECK(strstr(err, secret) == NULL);
    CHECK(strstr(err, "spec.kubeconfig:") == err);
}

UNIT_TEST(v2_linkspec_kubeconfig_length)
{
    size_t n = LINKSPEC_MAX_KUBECONFIG_B64 + 1;
    char *text = malloc(n + 128);
    CHECK(text != NULL);
    if (text == NULL)
        return;
    size_t o = (size_t)sprintf(text, "{\"metadata\":{\"name\":\"l\"},\"spec\":{\"kubeconfig\":\"");
    memset(text + o, 'A', n);
    strcpy(text + o + n, "\"}}");
    linkspec s;
    char err[256];
    CHECK(parse_text(text, &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "spec.kubeconfig: 1572865 characters, at most 1572864 are allowed");
    strcpy(text + o + n - 1, "\"}}");
    CHECK(parse_text(text, &s, err, sizeof err) == 0);
    CHECK(strlen(s.kubeconfig_b64) == LINKSPEC_MAX_KUBECONFIG_B64);
    linkspec_free(&s);
    free(text);
}

UNIT_TEST(linkspec_name_only)
{
    json_doc doc;
    json_doc_init(&doc);
    char buf[16], err[128];
    const char *bad_spec = "{\"metadata\":{\"name\":\"broken\"},\"spec\":{\"excludedServices\":[\"x\"]}}";
    CHECK(json_parse(&doc, bad_spec, strlen(bad_spec), err, sizeof err) == 0);
    linkspec s;
    CHECK(linkspec_parse(&doc, 0, &s, err, sizeof err) == -1);
    CHECK(linkspec_name(&doc, 0, buf, sizeof buf) == 0);
    CHECK_STR_EQ(buf, "broken");
    CHECK(linkspec_name(&doc, 0, buf, 6) == -1); /* "broken" needs 7 bytes */
    CHECK(linkspec_name(&doc, 0, buf, 7) == 0);
    const char *none = "{\"metadata\":{\"uid\":\"u\"}}";
    CHECK(json_parse(&doc, none, strlen(none), err, sizeof err) == 0);
    CHECK(linkspec_name(&doc, 0, buf, sizeof buf) == -1);
    CHECK(linkspec_name(&doc, 5, buf, sizeof buf) == -1);
    const char *empty = "{\"metadata\":{\"name\":\"\"}}";
    CHECK(json_parse(&doc, empty, strlen(empty), err, sizeof err) == 0);
    CHECK(linkspec_name(&doc, 0, buf, sizeof buf) == -1);
    const char *num = "{\"metadata\":{\"name\":3}}";
    CHECK(json_parse(&doc, num, strlen(num), err, sizeof err) == 0);
    CHECK(linkspec_name(&doc, 0, buf, sizeof buf) == -1);
    json_doc_free(&doc);
}

UNIT_TEST(linkspec_nested_object)
{
    /* the object need not be the root: a watch event's "object" or a list item */
    const char *ev = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"w\"},\"spec\":{"
                     "\"kubeconfig\":\"YQ==\"}}}";
    json_doc doc;
    json_doc_init(&doc);
    char err[128];
    CHECK(json_parse(&doc, ev, strlen(ev), err, sizeof err) == 0);
    int obj = json_obj_get(&doc, 0, "object");
    linkspec s;
    CHECK(linkspec_parse(&doc, obj, &s, err, sizeof err) == 0);
    CHECK_STR_EQ(s.name, "w");
    linkspec_free(&s);
    CHECK(linkspec_parse(&doc, -1, &s, err, sizeof err) == -1);
    CHECK(linkspec_parse(&doc, 9999, &s, err, sizeof err) == -1);
    json_doc_free(&doc);
}

/* Parses spec members into a fresh struct for comparisons; aborts the test on failure. */
static bool same(const char *a, const char *b)
{
    linkspec x, y;
    char err[256];
    if (parse_spec(a, &x, err, sizeof err) != 0)
        return printf("  same: %s: %s\n", a, err), false;
    if (parse_spec(b, &y, err, sizeof err) != 0) {
        linkspec_free(&x);
        return printf("  same: %s: %s\n", b, err), false;
    }
    bool r = linkspec_same_spec(&x, &y);
    linkspec_free(&x);
    linkspec_free(&y);
    return r;
}

UNIT_TEST(linkspec_same_spec_cases)
{
    CHECK(same(KC, KC));
    /* a default spelled out is the same spec */
    CHECK(same(KC, KC ",\"enabled\":true,\"staleEndpointTimeoutSeconds\":300"));
    CHECK(same(KC ",\"includedNamespaces\":[]", KC));
    CHECK(!same(KC, KC ",\"enabled\":false"));
    CHECK(!same(KC, "\"kubeconfig\":\"Yg==\""));
    CHECK(!same(KC, KC ",\"staleEndpointTimeoutSeconds\":301"));
    CHECK(!same(KC ",\"includedNamespaces\":[\"a\",\"b\"]", KC ",\"includedNamespaces\":[\"b\",\"a\"]"));
    CHECK(!same(KC ",\"includedNamespaces\":[\"a\"]", KC ",\"excludedNamespaces\":[\"a\"]"));
    CHECK(!same(KC ",\"excludedServices\":[\"a/b\"]", KC ",\"excludedServices\":[\"a/b\",\"a/c\"]"));
    CHECK(!same(KC ",\"excludedServiceNames\":[\"a\"]", KC ",\"excludedServiceNames\":[\"b\"]"));
    const char *ref = "\"kubeconfigSecretRef\":{\"namespace\":\"n\",\"name\":\"s\"}";
    CHECK(same(ref, "\"kubeconfigSecretRef\":{\"namespace\":\"n\",\"name\":\"s\",\"key\":\"kubeconfig\"}"));
    CHECK(!same(ref, "\"kubeconfigSecretRef\":{\"namespace\":\"n\",\"name\":\"s\",\"key\":\"k\"}"));
    CHECK(!same(ref, "\"kubeconfigSecretRef\":{\"namespace\":\"m\",\"name\":\"s\"}"));
    CHECK(!same(ref, "\"kubeconfigSecretRef\":{\"namespace\":\"n\",\"name\":\"t\"}"));
    CHECK(!same(ref, KC));

    /* metadata and status changes are not spec changes */
    linkspec a, b;
    char err[256];
    CHECK(parse_text(full_object, &a, err, sizeof err) == 0);
    char *changed = strdup(full_object);
    CHECK(changed != NULL);
    if (changed == NULL)
        return;
    char *p = strstr(changed, "\"48213\"");
    memcpy(p, "\"48999\"", 7);
    p = strstr(changed, "\"syncedServices\":4");
    p[strlen("\"syncedServices\":")] = '9';
    p = strstr(changed, "\"generation\":3");
    p[strlen("\"generation\":")] = '4';
    CHECK(parse_text(changed, &b, err, sizeof err) == 0);
    CHECK(linkspec_same_spec(&a, &b));
    CHECK(strcmp(a.resource_version, b.resource_version) != 0 && b.generation == 4);
    linkspec_free(&b);
    p = strstr(changed, "\"payments/debug\"");
    memcpy(p, "\"payments/dbug2\"", 16);
    CHECK(parse_text(changed, &b, err, sizeof err) == 0);
    CHECK(!linkspec_same_spec(&a, &b));
    linkspec_free(&b);
    linkspec_free(&a);
    free(changed);
}

/* ---- mirror-mode fields ---- */

#define KCM "\"kubeconfig\":\"YXBpVmVyc2lvbjogdjEK\","

UNIT_TEST(linkspec_mirror_fields_decode)
{
    linkspec s;
    char err[512];
    CHECK(parse_spec(KCM "\"createServices\":true,\"serviceSelector\":{\"matchLabels\":{\"sync\":\"true\"}},"
                        "\"namespaceMapping\":[{\"from\":\"default\",\"to\":\"prod-test\"},{\"from\":\"a\",\"to\":\"b\"}]",
                     &s, err, sizeof err) == 0);
    CHECK(s.create_services == 1);
    CHECK_STR_EQ(s.service_selector, "sync=true");
    CHECK(s.namespace_mapping.count == 2);
    CHECK_STR_EQ(linkspec_local_ns(&s.namespace_mapping, "default"), "prod-test");
    CHECK_STR_EQ(linkspec_remote_ns(&s.namespace_mapping, "prod-test"), "default");
    CHECK_STR_EQ(linkspec_local_ns(&s.namespace_mapping, "other"), "other");
    CHECK(linkspec_local_ns(&s.namespace_mapping, "b") == NULL);
    linkspec t;
    CHECK(parse_spec(KCM "\"createServices\":false", &t, err, sizeof err) == 0);
    CHECK(t.create_services == 0 && t.service_selector == NULL && t.namespace_mapping.count == 0);
    CHECK(!linkspec_same_spec(&s, &t));
    linkspec_free(&t);
    CHECK(parse_spec(KCM "\"enabled\":true", &t, err, sizeof err) == 0);
    CHECK(t.create_services == LINKSPEC_UNSET);
    linkspec_free(&t);
    linkspec_free(&s);
}

UNIT_TEST(v6_linkspec_mirror_fields_refused_with_the_field_named)
{
    CHECK(rejects(KCM "\"namespaceMapping\":[{\"from\":\"default\",\"to\":\"kube-system\"}]",
                  "spec.namespaceMapping[0].to: kube-system"));
    CHECK(rejects(KCM "\"namespaceMapping\":[{\"from\":\"a\",\"to\":\"b\"},{\"from\":\"a\",\"to\":\"c\"}]",
                  "spec.namespaceMapping[1].from"));
    CHECK(rejects(KCM "\"namespaceMapping\":[{\"from\":\"a\",\"to\":\"b\"},{\"from\":\"c\",\"to\":\"b\"}]",
                  "spec.namespaceMapping[1].to"));
    CHECK(rejects(KCM "\"namespaceMapping\":[{\"from\":\"Bad_NS\",\"to\":\"b\"}]", "spec.namespaceMapping[0].from"));
    CHECK(rejects(KCM "\"namespaceMapping\":[{\"from\":\"a\"}]", "spec.namespaceMapping[0].to: missing"));
    CHECK(rejects(KCM "\"namespaceMapping\":{\"from\":\"a\"}", "spec.namespaceMapping"));
    CHECK(rejects(KCM "\"createServices\":\"yes\"", "spec.createServices"));
    CHECK(rejects(KCM "\"serviceSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\"}]}",
                  "spec.serviceSelector.matchExpressions[0]"));
}
UNIT_TEST(v7_linkspec_allowed_cidrs)
{
    linkspec s, t;
    char err[512];
    CHECK(parse_spec("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":[\"10.245.0.0/16\",\"fd00::/8\",\"192.0.2.7\"]", &s,
                     err, sizeof err) == 0);
    CHECK(s.allowed_cidrs.n == 3);
    uint8_t in[4] = {10, 245, 9, 9}, out[4] = {10, 246, 0, 1};
    CHECK(addrpol_set_contains(&s.allowed_cidrs, 4, in) && !addrpol_set_contains(&s.allowed_cidrs, 4, out));
    /* The same ranges in another order are the same spec; another range is not. */
    CHECK(parse_spec("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":[\"192.0.2.7\",\"fd00::/8\",\"10.245.0.0/16\"]", &t,
                     err, sizeof err) == 0);
    CHECK(linkspec_same_spec(&s, &t));
    linkspec_free(&t);
    CHECK(parse_spec("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":[\"10.245.0.0/17\"]", &t, err, sizeof err) == 0);
    CHECK(!linkspec_same_spec(&s, &t));
    linkspec_free(&t);
    linkspec_free(&s);
    CHECK(s.allowed_cidrs.v == NULL);
    CHECK(parse_spec("\"kubeconfig\":\"eA==\"", &s, err, sizeof err) == 0 && s.allowed_cidrs.n == 0);
    linkspec_free(&s);
    CHECK(rejects("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":[\"10.0.0.0/8\",\"10.0.0.0/33\"]",
                  "spec.allowedCIDRs[1]: \"10.0.0.0/33\" is not an IP address or CIDR"));
    CHECK(rejects("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":\"10.0.0.0/8\"", "spec.allowedCIDRs"));
    CHECK(rejects("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":[7]", "spec.allowedCIDRs[0]"));
    CHECK(rejects("\"kubeconfig\":\"eA==\",\"allowedCIDRs\":[\"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa\"]",
                  "spec.allowedCIDRs[0]"));
}
