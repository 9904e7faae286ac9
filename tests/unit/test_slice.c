/* Unit tests for slice: decoding remote slices (unsafe addresses dropped, FQDN ignored),
 * names (valid, short, distinct for colliding readable parts), and the hash being equal
 * for what we write and what we read back. */
#include "cache/slice.h"
#include "unit.h"

#include <stdlib.h>

static const char slice_remote[] =
    "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"web-abc\","
    "\"namespace\":\"demo\",\"labels\":{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
    "\"endpoints\":["
    "{\"addresses\":[\"10.1.0.2\"],\"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},"
    "\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":\"Pod\",\"name\":\"p\"},\"zone\":\"z\"},"
    "{\"addresses\":[\"127.0.0.1\"]},{\"addresses\":[\"169.254.1.1\"]},{\"addresses\":[\"0.0.0.0\"]},"
    "{\"addresses\":[\"not-an-ip\"]},"
    "{\"addresses\":[\"10.1.0.1\"],\"conditions\":{\"ready\":false,\"terminating\":true},\"hostname\":\"h\"}],"
    "\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,"
    "\"protocol\":\"UDP\",\"appProtocol\":\"dns\"}]}";

static void slice_load(json_doc *doc, const char *text)
{
    char err[128];
    json_doc_init(doc);
    CHECK(json_parse(doc, text, strlen(text), err, sizeof err) == 0);
}

UNIT_TEST(slice_parse_drops_unsafe_and_keeps_conditions)
{
    json_doc doc;
    slice_load(&doc, slice_remote);
    slice_data d;
    char err[128];
    CHECK(slice_parse(&doc, 0, &d, err, sizeof err) == 0);
    CHECK(d.addr_type == SLICE_ADDR_IPV4 && d.nports == 2);
    CHECK(d.neps == 2 && d.dropped == 4);
    if (d.neps == 2) {
        slice_ep e0 = slice_data_ep(&d, 0), e1 = slice_data_ep(&d, 1);
        CHECK(e0.addr[0] == 10 && e0.addr[3] == 2);
        CHECK(e0.cond == (SLICE_READY_SET | SLICE_READY | SLICE_SERVING_SET | SLICE_SERVING | SLICE_TERMINATING_SET));
        CHECK(e0.hostname == NULL);
        CHECK(e1.cond == (SLICE_READY_SET | SLICE_TERMINATING_SET | SLICE_TERMINATING));
        CHECK_STR_EQ(e1.hostname, "h");
        /* Packed: a condition byte and four address bytes per IPv4 endpoint. */
        CHECK(slice_ep_size(d.addr_type) == 5);
    }
    slice_data_free(&d);
    json_doc_free(&doc);
}

UNIT_TEST(slice_fqdn_is_ignored_and_bad_port_refused)
{
    json_doc doc;
    slice_data d;
    char err[128];
    slice_load(&doc, "{\"addressType\":\"FQDN\",\"endpoints\":[{\"addresses\":[\"a.example\"]}]}");
    CHECK(slice_parse(&doc, 0, &d, err, sizeof err) == 0 && d.addr_type == SLICE_ADDR_NONE && d.neps == 0);
    slice_data_free(&d);
    json_doc_free(&doc);
    slice_load(&doc, "{\"addressType\":\"IPv4\",\"ports\":[{\"port\":70000}]}");
    CHECK(slice_parse(&doc, 0, &d, err, sizeof err) == -1 && strstr(err, "ports[0]") != NULL);
    json_doc_free(&doc);
}

UNIT_TEST(slice_unsafe_ipv6)
{
    uint8_t a[16] = {0};
    CHECK(slice_addr_unsafe(SLICE_ADDR_IPV6, a)); /* :: */
    a[15] = 1;
    CHECK(slice_addr_unsafe(SLICE_ADDR_IPV6, a)); /* ::1 */
    uint8_t ll[16] = {0xfe, 0x80, [15] = 1};
    CHECK(slice_addr_unsafe(SLICE_ADDR_IPV6, ll));
    uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
    CHECK(slice_addr_unsafe(SLICE_ADDR_IPV6, mapped));
    uint8_t ok[16] = {0xfd, 0x00, [15] = 5};
    CHECK(!slice_addr_unsafe(SLICE_ADDR_IPV6, ok));
}

static bool slice_name_valid(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 63 || n[0] == '-' || n[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

UNIT_TEST(slice_names_valid_distinct_and_stable)
{
    char a[64], b[64], c[64];
    slice_name(a, "ns", "a-b", "c", SLICE_ADDR_IPV4, 1, 0);
    slice_name(b, "ns", "a", "b-c", SLICE_ADDR_IPV4, 1, 0);
    CHECK(strncmp(a, "a-b-c-", 6) == 0 && strncmp(b, "a-b-c-", 6) == 0);
    CHECK(strcmp(a, b) != 0);
    slice_name(c, "ns", "a-b", "c", SLICE_ADDR_IPV4, 1, 0);
    CHECK(strcmp(a, c) == 0);
    slice_name(c, "ns", "a-b", "c", SLICE_ADDR_IPV4, 1, 1);
    CHECK(strcmp(a, c) != 0);
    slice_name(c, "ns", "a-b", "c", SLICE_ADDR_IPV6, 1, 0);
    CHECK(strcmp(a, c) != 0);
    slice_name(c, "other", "a-b", "c", SLICE_ADDR_IPV4, 1, 0);
    CHECK(strcmp(a, c) != 0);
    char svc[64], link[64];
    memset(svc, 'x', 60);
    svc[60] = '\0';
    memcpy(link, "my.cluster.example.com-with-a-long-name-here-0000", 50);
    link[50] = '\0';
    slice_name(c, "ns", svc, link, SLICE_ADDR_IPV4, 7, 3);
    CHECK(slice_name_valid(c) && strlen(c) <= 52);
    CHECK(slice_name_valid(a) && slice_name_valid(b));
    /* A readable part ending in '-' after the cut must not leave "--" or a trailing dash. */
    slice_name(c, "ns", "abcdefghijklmnopqrs-tuv", "l", SLICE_ADDR_IPV4, 7, 0);
    CHECK(slice_name_valid(c) && strstr(c, "--") == NULL);
}

UNIT_TEST(b3_slice_written_body_observes_to_the_same_hash)
{
    json_doc doc;
    slice_load(&doc, slice_remote);
    slice_data d;
    char err[128];
    CHECK(slice_parse(&doc, 0, &d, err, sizeof err) == 0);
    slice_ports_sort(d.ports, d.nports);
    slice_ep eps[2] = {slice_data_ep(&d, 1), slice_data_ep(&d, 0)};
    qsort(eps, 2, sizeof eps[0], slice_ep_cmp);
    CHECK(eps[0].addr[3] == 1);
    slice_desc desc = {.ns = "demo", .name = "web-a-0123456789", .service = "web", .link = "cluster-a",
                       .owner_uid = "uid-1", .addr_type = d.addr_type, .ports = d.ports, .nports = d.nports,
                       .eps = eps, .neps = 2};
    char *body = NULL;
    size_t len = 0;
    CHECK(slice_desc_write(&desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "nodeName") == NULL && strstr(body, "targetRef") == NULL &&
          strstr(body, "zone") == NULL);
    json_doc back;
    slice_load(&back, body);
    slice_observed o;
    CHECK(slice_observe(&back, 0, "demo", "web-a-0123456789", &o) == 0);
    CHECK(o.hash == slice_desc_hash(&desc) && o.neps == 2);
    CHECK_STR_EQ(o.service, "web");
    CHECK_STR_EQ(o.link, "cluster-a");
    CHECK_STR_EQ(o.owner_uid, "uid-1");
    /* Any hand edit of what we manage changes the hash. */
    desc.owner_uid = "uid-2";
    CHECK(o.hash != slice_desc_hash(&desc));
    json_doc_free(&back);
    free(body);
    slice_data_free(&d);
    json_doc_free(&doc);
}

UNIT_TEST(b9_slice_classify_labels_layouts)
{
    const char *mb = SLICE_MANAGED_BY;
    /* another controller's slice, whatever else it carries */
    CHECK(slice_classify_labels("web-abc", "endpointslice-controller.k8s.io", "web", "a", NULL) == SLICE_CLASS_OTHER);
    CHECK(slice_classify_labels("web-svclink-a", NULL, "web", NULL, "a") == SLICE_CLASS_OTHER);
    /* ours: the cluster label decides, whatever the name */
    CHECK(slice_classify_labels("web-a-0123456789", mb, "web", "a", NULL) == SLICE_CLASS_OURS);
    CHECK(slice_classify_labels("web-svclink-a", mb, "web", "a", "a") == SLICE_CLASS_OURS);
    /* svclink (Go): its label and its exact name */
    CHECK(slice_classify_labels("web-svclink-cluster-a", mb, "web", NULL, "cluster-a") == SLICE_CLASS_GO);
    CHECK(slice_classify_labels("a-b-svclink-c", mb, "a-b", NULL, "c") == SLICE_CLASS_GO);
    /* Go label but the name is not its layout: neither */
    CHECK(slice_classify_labels("web-svclink-cluster-b", mb, "web", NULL, "cluster-a") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels("web-svclink-cluster-a-x", mb, "web", NULL, "cluster-a") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels("web-cluster-a", mb, "web", NULL, "cluster-a") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels("api-svclink-cluster-a", mb, "web", NULL, "cluster-a") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels(NULL, mb, "web", NULL, "cluster-a") == SLICE_CLASS_UNKNOWN);
    /* no service label, empty or over-long values: neither */
    CHECK(slice_classify_labels("web-svclink-a", mb, NULL, NULL, "a") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels("-svclink-a", mb, "", NULL, "a") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels("web-svclink-", mb, "web", "", "") == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_labels("x", mb, "web", NULL, NULL) == SLICE_CLASS_UNKNOWN);
    char longv[70];
    memset(longv, 'a', 64);
    longv[64] = '\0';
    CHECK(slice_classify_labels("web-a-0123456789", mb, "web", longv, NULL) == SLICE_CLASS_UNKNOWN);
    CHECK_STR_EQ(slice_class_name(SLICE_CLASS_GO), "svclink-go");
}

static slice_class slice_classify_text(const char *text, char service[64], char link[64])
{
    json_doc doc;
    slice_load(&doc, text);
    slice_class c = slice_classify(&doc, 0, service, link);
    json_doc_free(&doc);
    return c;
}

UNIT_TEST(b9_slice_classify_objects)
{
    char svc[64], link[64];
    CHECK(slice_classify_text("{\"metadata\":{\"name\":\"web-svclink-cluster-a\",\"labels\":{"
                              "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
                              "\"cloudpilot.ai/svclink-cluster\":\"cluster-a\",\"kubernetes.io/service-name\":\"web\"}}}",
                              svc, link) == SLICE_CLASS_GO);
    CHECK_STR_EQ(svc, "web");
    CHECK_STR_EQ(link, "cluster-a");
    CHECK(slice_classify_text("{\"metadata\":{\"name\":\"web-b-0123456789\",\"labels\":{"
                              "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
                              "\"svclink.cloudpilot.ai/cluster\":\"b\",\"kubernetes.io/service-name\":\"web\"}}}",
                              svc, link) == SLICE_CLASS_OURS);
    CHECK_STR_EQ(link, "b");
    /* hand-made slice with our managed-by value */
    CHECK(slice_classify_text("{\"metadata\":{\"name\":\"web-manual\",\"labels\":{"
                              "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
                              "\"kubernetes.io/service-name\":\"web\"}}}",
                              svc, link) == SLICE_CLASS_UNKNOWN);
    CHECK(svc[0] == '\0' && link[0] == '\0');
    /* labels of the wrong type, no metadata, not an object: total, never ours */
    CHECK(slice_classify_text("{\"metadata\":{\"name\":7,\"labels\":{"
                              "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
                              "\"cloudpilot.ai/svclink-cluster\":[\"a\"],\"kubernetes.io/service-name\":\"web\"}}}",
                              svc, link) == SLICE_CLASS_UNKNOWN);
    CHECK(slice_classify_text("{}", svc, link) == SLICE_CLASS_OTHER);
    CHECK(slice_classify_text("[1,2]", svc, link) == SLICE_CLASS_OTHER);
    /* a Go name longer than 63 characters (its names are never cut) is still its layout */
    char text[1024], name[200];
    snprintf(name, sizeof name, "%s-svclink-%s", "service-name-of-forty-characters-exactly", "cluster-name-of-thirty-chars-x");
    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"%s\",\"labels\":{"
             "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
             "\"cloudpilot.ai/svclink-cluster\":\"cluster-name-of-thirty-chars-x\","
             "\"kubernetes.io/service-name\":\"service-name-of-forty-characters-exactly\"}}}",
             name);
    CHECK(strlen(name) > 63);
    CHECK(slice_classify_text(text, svc, link) == SLICE_CLASS_GO);
}
