/* Unit tests for plan: the EndpointSlices written (W), headless ones included, one case per row of docs/sync-contract.md named
 * by its id, each quoting its row (hack/check-contract.sh checks the names). */
#include "plan_world.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* ---- W: EndpointSlices written ---- */

/* W1: the endpoints of an exported remote Service become local slices of the local Service
 * of the same namespace/name. */
UNIT_TEST(w1_remote_endpoints_become_local_slices)
{
    plan_world w;
    plan_world_init(&w, 2);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1") "," PW_EP("10.1.0.2"))) == 0);
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-y", PW_EP("10.2.0.1"))) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 2 && out.nactions == 2);
    CHECK(out.ncounts == 2 && out.counts[0].endpoints == 2 && out.counts[1].endpoints == 1);
    CHECK(out.nactions == 2 && strcmp(out.actions[0].desc.owner_uid, "u-web") == 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 2);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    plan_world_free(&w);
}

/* W1: only when the local Service exists and is not ExternalName. */
UNIT_TEST(w1_no_local_service_or_an_external_name_one_gets_no_slices)
{
    plan_world w;
    plan_world_init(&w, 1);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1"))) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_EXT("demo", "web", "db.example.test"));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* W2: labels service-name, managed-by svclink.cloudpilot.ai, svclink.cloudpilot.ai/cluster and
 * multicluster.kubernetes.io/source-cluster (the link), replicated=true; a slice without
 * replicated=true is written again. */
UNIT_TEST(w2_slices_carry_svclinks_labels)
{
    plan_world w;
    plan_world_web(&w, PW_EP("10.1.0.1"));
    char *body = plan_world_one_body(&w, "demo", "web");
    CHECK(body != NULL && strstr(body, "\"labels\":{\"kubernetes.io/service-name\":\"web\","
                                       "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
                                       "\"svclink.cloudpilot.ai/cluster\":\"cluster-a\","
                                       "\"multicluster.kubernetes.io/source-cluster\":\"cluster-a\","
                                       "\"replicated\":\"true\"}") != NULL);
    CHECK(plan_world_converge(&w, "demo", "web"));
    const main_view_slice *s = main_view_slices_of(&w.view, "demo", "web");
    CHECK(s != NULL && plan_world_cut(body, ",\"replicated\":\"true\""));
    if (s != NULL) {
        plan_world_record(&w, "demo", s->name, body);
        plan_output out;
        CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && out.actions[0].observed != NULL);
        plan_output_free(&out);
    }
    free(body);
    plan_world_free(&w);
}

/* W3: an ownerReference to the local Service (apiVersion v1, kind Service, name, uid), so
 * deleting the Service garbage-collects its slices. */
UNIT_TEST(w3_slices_are_owned_by_the_local_service)
{
    char *body = plan_world_web_body(PW_EP("10.1.0.1"));
    CHECK(body != NULL && strstr(body, "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\","
                                       "\"name\":\"web\",\"uid\":\"u-web\"}]") != NULL);
    /* controller and blockOwnerDeletion are left out, which the API reads as false. */
    CHECK(body != NULL && strstr(body, "\"controller\"") == NULL && strstr(body, "\"blockOwnerDeletion\"") == NULL);
    free(body);
}

/* W4: endpoints sorted by address, one per address (a pod in two remote slices during a
 * rollout counts once), at most 100 per slice, split in that order. */
UNIT_TEST(w4_one_endpoint_per_address_at_most_100_per_slice)
{
    plan_world w;
    plan_world_init(&w, 1);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    /* 150 endpoints over two remote slices, with 10.1.0.1 in both (a rollout). */
    char eps[8192] = "";
    for (int i = 1; i <= 140; i++)
        snprintf(eps + strlen(eps), sizeof eps - strlen(eps), "%s{\"addresses\":[\"10.1.%d.%d\"]}", i > 1 ? "," : "",
                 i / 200, i % 200);
    char doc[9000];
    snprintf(doc, sizeof doc,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-x\",\"labels\":{\"kubernetes.io/service-name\":"
             "\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[%s],\"ports\":[{\"port\":8080}]}",
             eps);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, doc) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    PW_SLICE("demo", "web", "web-z",
                             PW_EP("10.1.0.1") "," PW_EP("10.1.0.201") "," PW_EP("10.1.0.202"))) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 2);
    CHECK(out.nactions == 2 && out.actions[0].desc.neps == 100 && out.actions[1].desc.neps == 42);
    CHECK(out.ncounts == 1 && out.counts[0].endpoints == 142);
    /* In address order across both slices: each one a run, the first before the second. */
    bool sorted = out.nactions == 2;
    for (size_t i = 0; sorted && i < out.nactions; i++) {
        const slice_desc *d = &out.actions[i].desc;
        for (size_t e = 1; e < d->neps; e++)
            sorted &= memcmp(d->eps[e - 1].addr, d->eps[e].addr, 4) < 0;
    }
    CHECK(sorted && memcmp(out.actions[0].desc.eps[99].addr, out.actions[1].desc.eps[0].addr, 4) < 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    plan_world_free(&w);
}

/* W4: one slice set per (service, link, addressType, port set). */
UNIT_TEST(w4_one_slice_set_per_port_set)
{
    plan_world w;
    plan_world_web(&w, PW_EP("10.1.0.1"));
    /* Another remote slice with the same ports joins the set; one with other ports is its own. */
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-y", PW_EP("10.1.0.2"))) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-z\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[" PW_EP("10.1.0.3") "],\"ports\":[{\"port\":9090}]}") == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_WRITE_SLICE) == 2);
    CHECK(out.nactions == 2 && out.actions[0].desc.neps + out.actions[1].desc.neps == 3);
    CHECK(out.nactions == 2 && strcmp(out.actions[0].name, out.actions[1].name) != 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    plan_world_free(&w);
}

/* W5: the name is <svc>-<link>-<10 hex> (svc and link cut to 20, dots turned into '-', no
 * trailing '-'); the hex hashes (namespace, svc, link, addressType, port set, chunk). A DNS
 * label of at most 52 characters. */
UNIT_TEST(w5_slice_names_are_short_readable_dns_labels)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].name = "eu.west-1.example-cluster-name";
    static const char *const ns[2] = {"demo", "shop"};
    char names[2][64] = {"", ""};
    for (size_t i = 0; i < 2; i++) {
        CHECK(plan_world_synced(&w, ns[i], "a-very-long-service-name"));
        plan_output out;
        if (plan_world_plan(&w, ns[i], "a-very-long-service-name", &out) == 0 && out.nactions == 1)
            memcpy(names[i], out.actions[0].name, sizeof names[i]);
        plan_output_free(&out);
    }
    const char *prefix = "a-very-long-service-eu-west-1-example-cl-";
    size_t n = strlen(names[0]);
    CHECK(strncmp(names[0], prefix, strlen(prefix)) == 0 && n == strlen(prefix) + 10 && n <= 52);
    CHECK(strspn(names[0] + strlen(prefix), "0123456789abcdef") == 10);
    CHECK(strspn(names[0], "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
    /* The same Service name in another namespace: another hash. */
    CHECK(strncmp(names[1], prefix, strlen(prefix)) == 0 && strcmp(names[0], names[1]) != 0);
    plan_world_free(&w);
}

/* W6: conditions ready, serving and terminating as the remote says (nil stays nil);
 * not-ready and terminating endpoints are kept. Only the first of an endpoint's addresses
 * is carried (the row says every address; reported). */
UNIT_TEST(w6_conditions_are_copied_and_no_endpoint_is_left_out)
{
    char *body = plan_world_web_body(PW_EP("10.1.0.1") ",{\"addresses\":[\"10.1.0.2\"],\"conditions\":{\"ready\":false}},"
              "{\"addresses\":[\"10.1.0.3\"],\"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true}}");
    CHECK(body != NULL && strstr(body, "{\"addresses\":[\"10.1.0.1\"],\"conditions\":{}}") != NULL);
    CHECK(body != NULL && strstr(body, "{\"addresses\":[\"10.1.0.2\"],\"conditions\":{\"ready\":false}}") != NULL);
    CHECK(body != NULL && strstr(body, "{\"addresses\":[\"10.1.0.3\"],\"conditions\":{\"ready\":false,"
                                       "\"serving\":true,\"terminating\":true}}") != NULL);
    free(body);
}

/* ---- headless Services ---- */


/* W7: for a local headless Service the hostname becomes <hostname>-<link>, so every pod of
 * every cluster has its own DNS name under the Service. */
UNIT_TEST(w7_headless_gives_each_pod_of_each_cluster_its_own_name)
{
    plan_world w;
    plan_world_init(&w, 2);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_HEADLESS("demo", "db", ""));
    for (size_t i = 0; i < 2; i++) {
        CHECK(plan_world_remote(&w, i, KUBE_KIND_SERVICE, PW_HEADLESS("demo", "db", "")) == 0);
        CHECK(plan_world_remote(&w, i, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "db", "db-x", PW_HOST_EP("10.1.0.1", "db-0"))) == 0);
    }
    /* The two clusters' db-0 would be one DNS name; they become db-0-cluster-a and -b. */
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && out.nactions == 2);
    char *body = NULL;
    size_t len = 0;
    CHECK(out.nactions == 2 && slice_desc_write(&out.actions[0].desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "\"hostname\":\"db-0-cluster-a\"") != NULL);
    free(body);
    CHECK(out.nactions == 2 && slice_desc_write(&out.actions[1].desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "\"hostname\":\"db-0-cluster-b\"") != NULL);
    free(body);
    plan_output_free(&out);
    /* What was written hashes as wanted: nothing more to do. */
    CHECK(plan_world_converge(&w, "demo", "db"));
    plan_world_free(&w);
}

/* W7: past 63 characters, <first 40 of hostname>-<10 hex of (hostname, link)>. */
UNIT_TEST(w7_headless_hostnames_stay_dns_labels)
{
    char out[64];
    slice_hostname(out, "db-0", "cluster.a");
    CHECK_STR_EQ(out, "db-0-cluster-a");
    char host[64], link[64];
    memset(host, 'h', 60);
    host[60] = '\0';
    memset(link, 'l', 40);
    link[40] = '\0';
    slice_hostname(out, host, link);
    CHECK(strlen(out) <= 63 && strlen(out) == 51 && out[40] == '-');
    char other[64];
    slice_hostname(other, host, "m");
    CHECK(strcmp(out, other) != 0);
}

/* W8: never copied: nodeName, targetRef, zone, hints. */
UNIT_TEST(w8_node_name_target_ref_zone_and_hints_are_never_copied)
{
    char *body = plan_world_web_body("{\"addresses\":[\"10.1.0.1\"],\"nodeName\":\"node-1\",\"zone\":\"zone-a\",\"targetRef\":{\"kind\":"
              "\"Pod\",\"namespace\":\"demo\",\"name\":\"web-0\"},\"hints\":{\"forZones\":[{\"name\":\"zone-a\"}]}}");
    CHECK(body != NULL && strstr(body, "10.1.0.1") != NULL);
    CHECK(body != NULL && strstr(body, "nodeName") == NULL && strstr(body, "targetRef") == NULL &&
          strstr(body, "\"zone\"") == NULL && strstr(body, "hints") == NULL && strstr(body, "zone-a") == NULL);
    free(body);
}

/* W9: a local Service with trafficDistribution PreferClose (or PreferSameZone) gets every
 * endpoint hinted for zone svclink-remote, which no node is in. */
UNIT_TEST(w9_prefer_close_hints_remote_endpoints_for_a_zone_no_node_is_in)
{
    plan_world w;
    plan_world_init(&w, 1);
    plan_world_local(&w, KUBE_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u-web\"},\"spec\":{"
                      "\"trafficDistribution\":\"PreferClose\",\"ports\":[{\"port\":80,\"targetPort\":8080}]}}");
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1") "," PW_EP("10.1.0.2"))) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1);
    char *body = NULL;
    size_t len = 0;
    CHECK(out.nactions == 1 && slice_desc_write(&out.actions[0].desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "\"hints\":{\"forZones\":[{\"name\":\"" SLICE_REMOTE_ZONE "\"}]}") != NULL);
    free(body);
    plan_output_free(&out);
    /* Read back, the hints hash the same: no write loop. */
    CHECK(plan_world_converge(&w, "demo", "web"));
    /* Turned off on the Service: the hints go. */
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_WRITE_SLICE) == 1);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    plan_world_free(&w);
}

/* W9: a hint edited by hand makes the slice differ from what is wanted, so it is repaired. */
UNIT_TEST(w9_a_hand_edited_hint_is_repaired)
{
    /* One endpoint hinted for another zone: observed differs from wanted. */
    const char *edited =
        "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s1\",\"labels\":{\"kubernetes.io/service-name\":\"web\","
        "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\",\"svclink.cloudpilot.ai/cluster\":\"a\"}},"
        "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hints\":{\"forZones\":[{\"name\":"
        "\"svclink-remote\"}]}},{\"addresses\":[\"10.1.0.2\"],\"hints\":{\"forZones\":[{\"name\":\"zone-0\"}]}}]}";
    const char *clean =
        "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s1\",\"labels\":{\"kubernetes.io/service-name\":\"web\","
        "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\",\"svclink.cloudpilot.ai/cluster\":\"a\"}},"
        "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hints\":{\"forZones\":[{\"name\":"
        "\"svclink-remote\"}]}},{\"addresses\":[\"10.1.0.2\"],\"hints\":{\"forZones\":[{\"name\":\"svclink-remote\"}]}}]}";
    json_doc d1, d2;
    slice_observed o1, o2;
    CHECK(plan_world_doc(&d1, edited) == 0 && plan_world_doc(&d2, clean) == 0);
    CHECK(slice_observe(&d1, 0, "demo", "s1", &o1) == 0 && slice_observe(&d2, 0, "demo", "s1", &o2) == 0);
    CHECK(o1.hash != o2.hash);
    json_doc_free(&d1);
    json_doc_free(&d2);
}

/* W10: address types IPv4 and IPv6; FQDN slices are not synced; an endpoint whose first
 * address is loopback, link-local, unspecified or multicast is dropped. */
UNIT_TEST(w10_ipv4_and_ipv6_only_and_unsafe_addresses_dropped)
{
    plan_world w;
    plan_world_web(&w, PW_EP("10.1.0.1") "," PW_EP("127.0.0.1") "," PW_EP("169.254.0.1") "," PW_EP("0.0.0.0") "," PW_EP("224.0.0.1"));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-6\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv6\",\"endpoints\":[" PW_EP("fd00::1") "," PW_EP("::1") "," PW_EP(
                        "fe80::1") "],\"ports\":[{\"port\":8080}]}") == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-f\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"FQDN\",\"endpoints\":[" PW_EP("web.example.test") "],\"ports\":[{\"port\":8080}]}") == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_WRITE_SLICE) == 2);
    size_t v4 = 0, v6 = 0;
    for (size_t i = 0; i < out.nactions; i++) {
        v4 += out.actions[i].desc.addr_type == SLICE_ADDR_IPV4 && out.actions[i].desc.neps == 1;
        v6 += out.actions[i].desc.addr_type == SLICE_ADDR_IPV6 && out.actions[i].desc.neps == 1;
    }
    CHECK(v4 == 1 && v6 == 1);
    CHECK(out.ncounts == 1 && out.counts[0].endpoints == 2);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    plan_world_free(&w);
}

/* W11: ports are the remote slice's (name, port, protocol, appProtocol). */
UNIT_TEST(w11_ports_are_the_remote_slices)
{
    plan_world w;
    plan_world_init(&w, 1);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-x\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[" PW_EP("10.1.0.1") "],\"ports\":[{\"name\":"
                    "\"http\",\"port\":8080,\"protocol\":\"TCP\",\"appProtocol\":\"http\"},{\"name\":\"dns\",\"port\":53,"
                    "\"protocol\":\"UDP\"}]}") == 0);
    char *body = plan_world_one_body(&w, "demo", "web");
    CHECK(body != NULL && strstr(body, "\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},{\"name\":"
                                       "\"http\",\"port\":8080,\"protocol\":\"TCP\",\"appProtocol\":\"http\"}]") != NULL);
    free(body);
    plan_world_free(&w);
}
