/* Unit tests for plan: the address policy (A), one case per row of docs/sync-contract.md named
 * by its id, each quoting its row (hack/check-contract.sh checks the names). */
#include "plan_world.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* ---- A: the address policy ---- */

static void plan_world_set(addrpol_set *s, const char *list)
{
    char err[200];
    addrpol_set_init(s);
    CHECK_MSG(addrpol_set_add_list(s, list, "test", err, sizeof err) == 0, err);
}

static bool plan_world_has_drop(const plan_output *out, const char *link, const char *ip, addrpol_reason r)
{
    uint8_t a[16] = {0};
    char text[ADDRPOL_ADDR_STR];
    for (size_t i = 0; i < out->ndrops; i++) {
        const plan_drop *d = &out->drops[i];
        memcpy(a, d->addr, 16);
        addrpol_addr_format(d->family, a, text);
        if (strcmp(d->link, link) == 0 && strcmp(text, ip) == 0 && d->reason == r)
            return true;
    }
    return false;
}

/* Whether a plan of demo/web, exported by one link under policy p with endpoints `denied` and
 * 10.245.0.1, drops exactly `denied` for reason r and writes 10.245.0.1. */
static bool plan_world_drops_only(const addrpol *p, const char *denied, addrpol_reason r)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].policy = p;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    char eps[128];
    snprintf(eps, sizeof eps, "{\"addresses\":[\"%s\"]}," PW_EP("10.245.0.1"), denied);
    plan_world_export(&w, 0, "demo", "web", eps);
    plan_output out;
    bool ok = plan_world_plan(&w, "demo", "web", &out) == 0 && out.ndrops == 1 && plan_world_has_drop(&out, "cluster-a", denied, r) &&
              out.nactions == 1 && out.actions[0].desc.neps == 1 && out.actions[0].desc.eps[0].addr[1] == 245;
    plan_output_free(&out);
    plan_world_free(&w);
    return ok;
}

/* Whether, with only the deny set of reason r holding ranges, addr is dropped for r. */
static bool plan_world_denied(addrpol_reason r, const char *ranges, const char *addr)
{
    addrpol_set set;
    plan_world_set(&set, ranges);
    addrpol p = {0};
    p.deny[r] = &set;
    bool ok = plan_world_drops_only(&p, addr, r);
    addrpol_set_free(&set);
    return ok;
}

/* A1: an address inside a main-cluster Service CIDR is never written (service-cidr). */
UNIT_TEST(a1_service_cidr_addresses_are_dropped)
{
    CHECK(plan_world_denied(ADDRPOL_SERVICE_CIDR, "10.96.0.0/16", "10.96.0.1"));
}

/* A1: the same on IPv6 slices. */
UNIT_TEST(a1_service_cidr_on_ipv6_slices)
{
    plan_world w;
    plan_world_init(&w, 1);
    addrpol_set svc;
    plan_world_set(&svc, "fd00:96::/112");
    addrpol p = {.deny = {[ADDRPOL_SERVICE_CIDR] = &svc}};
    w.links[0].policy = &p;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-6\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv6\",\"endpoints\":[" PW_EP("fd00:96::1") "," PW_EP(
                        "fd00:245::1") "],\"ports\":[{\"port\":8080}]}") == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.ndrops == 1 && out.drops[0].family == 6 && out.counts[0].endpoints == 1);
    CHECK(plan_world_has_drop(&out, "cluster-a", "fd00:96::1", ADDRPOL_SERVICE_CIDR));
    plan_output_free(&out);
    plan_world_free(&w);
    addrpol_set_free(&svc);
}

/* A2: an address of a main-cluster Node is never written (node). */
UNIT_TEST(a2_node_addresses_are_dropped)
{
    CHECK(plan_world_denied(ADDRPOL_NODE, "172.18.0.2", "172.18.0.2"));
}

/* A3: an endpoint of the kubernetes slices in default, or svclink's own API server, is never
 * written (apiserver). */
UNIT_TEST(a3_api_server_addresses_are_dropped)
{
    CHECK(plan_world_denied(ADDRPOL_APISERVER, "172.18.0.10", "172.18.0.10"));
}

/* A4: outside --allowed-cidrs when set, or outside the link's allowedCIDRs when set (inside
 * both when both are): not-allowed. */
UNIT_TEST(a4_outside_either_allow_list_is_dropped)
{
    addrpol_set global, link, empty;
    plan_world_set(&global, "10.245.0.0/16");
    plan_world_set(&link, "10.245.0.0/24");
    addrpol_set_init(&empty);
    addrpol p = {.allow_global = &global, .allow_link = &link};
    CHECK(plan_world_drops_only(&p, "10.245.7.1", ADDRPOL_NOT_ALLOWED));
    CHECK(plan_world_drops_only(&p, "10.246.0.1", ADDRPOL_NOT_ALLOWED));
    /* An empty list is no list. */
    p.allow_link = &empty;
    CHECK(plan_world_drops_only(&p, "10.246.0.1", ADDRPOL_NOT_ALLOWED) && !plan_world_drops_only(&p, "10.245.7.1", ADDRPOL_NOT_ALLOWED));
    addrpol_set_free(&global);
    addrpol_set_free(&link);
    addrpol_set_free(&empty);
}

/* A4: each link has its own allowedCIDRs; with A1 to A3 in one plan, the first matching row
 * names the reason. */
UNIT_TEST(a4_each_link_has_its_own_allow_list)
{
    plan_world w;
    plan_world_init(&w, 2);
    addrpol_set svc, nodes, api, allow;
    plan_world_set(&svc, "10.96.0.0/16");
    plan_world_set(&nodes, "172.18.0.2");
    plan_world_set(&api, "172.18.0.10");
    plan_world_set(&allow, "10.245.0.0/16");
    addrpol pa = {.deny = {[ADDRPOL_SERVICE_CIDR] = &svc, [ADDRPOL_NODE] = &nodes, [ADDRPOL_APISERVER] = &api},
                  .allow_link = &allow};
    addrpol pb = pa;
    pb.allow_link = NULL;
    w.links[0].policy = &pa;
    w.links[1].policy = &pb;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    for (size_t l = 0; l < 2; l++) {
        CHECK(plan_world_remote(&w, l, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
        CHECK(plan_world_remote(&w, l, KUBE_KIND_ENDPOINT_SLICE,
                        PW_SLICE("demo", "web", "web-x",
                                 PW_EP("10.96.0.1") "," PW_EP("172.18.0.2") "," PW_EP("172.18.0.10") "," PW_EP(
                                     "10.245.3.4") "," PW_EP("10.246.0.7"))) == 0);
    }
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    /* cluster-a (allowedCIDRs 10.245.0.0/16) keeps one; cluster-b (no allow-list) two. */
    CHECK(out.ncounts == 2 && out.counts[0].endpoints == 1 && out.counts[1].endpoints == 2);
    CHECK(out.ndrops == 7);
    CHECK(plan_world_has_drop(&out, "cluster-a", "10.96.0.1", ADDRPOL_SERVICE_CIDR));
    CHECK(plan_world_has_drop(&out, "cluster-a", "172.18.0.2", ADDRPOL_NODE));
    CHECK(plan_world_has_drop(&out, "cluster-a", "172.18.0.10", ADDRPOL_APISERVER));
    CHECK(plan_world_has_drop(&out, "cluster-a", "10.246.0.7", ADDRPOL_NOT_ALLOWED));
    CHECK(!plan_world_has_drop(&out, "cluster-b", "10.246.0.7", ADDRPOL_NOT_ALLOWED));
    CHECK(plan_world_has_drop(&out, "cluster-b", "10.96.0.1", ADDRPOL_SERVICE_CIDR));
    for (size_t i = 0; i < out.nactions; i++) {
        const plan_action *a = &out.actions[i];
        for (size_t e = 0; a->kind == PLAN_WRITE_SLICE && e < a->desc.neps; e++)
            CHECK(a->desc.eps[e].addr[0] == 10 && a->desc.eps[e].addr[1] >= 245); /* only 10.245/10.246 */
    }
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 2);
    plan_world_free(&w);
    addrpol_set *sets[] = {&svc, &nodes, &api, &allow};
    for (size_t i = 0; i < 4; i++)
        addrpol_set_free(sets[i]);
}

/* A6: a change of the policy plans every Service again, so an address that becomes a node's
 * leaves the slices. */
UNIT_TEST(a6_a_policy_change_removes_what_is_now_denied)
{
    plan_world w;
    plan_world_init(&w, 1);
    addrpol_set nodes;
    addrpol_set_init(&nodes);
    addrpol p = {.deny = {[ADDRPOL_NODE] = &nodes}};
    w.links[0].policy = &p;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1") "," PW_EP("10.1.0.2"))) == 0);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 2);
    /* A main node now has 10.1.0.2: the next plan rewrites the slice without it. */
    char err[100];
    CHECK(addrpol_set_add_list(&nodes, "10.1.0.2", "n", err, sizeof err) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 1 && out.ndrops == 1 && out.counts[0].endpoints == 1);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    /* Every endpoint denied: the slice goes. */
    CHECK(addrpol_set_add_list(&nodes, "10.1.0.1", "n", err, sizeof err) == 0);
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_DELETE_SLICE) == 1 && plan_world_count(&out, PLAN_WRITE_SLICE) == 0 && out.ndrops == 2);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 0);
    plan_world_free(&w);
    addrpol_set_free(&nodes);
}
