/* Unit tests for plan: behaviour the plan decides (B) and svclink mirror (R), one case per row of docs/sync-contract.md named
 * by its id, each quoting its row (hack/check-contract.sh checks the names). */
#include "plan_world.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* ---- B: behaviour the plan decides ---- */

/* B2: svclink writes only differences: a slice deleted or edited by hand comes back, and
 * nothing to do writes nothing. */
UNIT_TEST(b2_a_slice_deleted_or_edited_by_hand_comes_back)
{
    plan_world w;
    plan_world_web(&w, PW_EP("10.1.0.1") "," PW_EP("10.1.0.2"));
    char *body = plan_world_one_body(&w, "demo", "web");
    CHECK(plan_world_converge(&w, "demo", "web"));
    const main_view_slice *s = main_view_slices_of(&w.view, "demo", "web");
    char name[64] = "";
    if (s != NULL)
        snprintf(name, sizeof name, "%s", s->name);
    CHECK(name[0] != '\0');
    plan_output out;
    /* Deleted by hand: created again. */
    plan_world_record(&w, "demo", name, NULL);
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && out.actions[0].kind == PLAN_WRITE_SLICE &&
          out.actions[0].observed == NULL);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    /* An endpoint removed by hand: updated. */
    CHECK(plan_world_cut(body, ",{\"addresses\":[\"10.1.0.2\"],\"conditions\":{}}"));
    plan_world_record(&w, "demo", name, body);
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && out.actions[0].observed != NULL);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    free(body);
    plan_world_free(&w);
}

/* B5: a disabled link's slices stay as they are: no updates. */
UNIT_TEST(b5_a_disabled_link_keeps_its_slices_as_they_are)
{
    plan_world w;
    plan_world_web_synced(&w, PW_EP("10.1.0.1"));
    /* Disabled, unsynced or partitioned: the remote went away but nothing is removed. */
    plan_world_remote_delete(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1")));
    w.links[0].mode = PLAN_KEEP;
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0 && out.ncounts == 0);
    plan_output_free(&out);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    plan_world_free(&w);
}

/* B7: once ClusterLinks are listed, slices of links that no longer exist are deleted. */
UNIT_TEST(b7_slices_of_links_that_no_longer_exist_are_deleted)
{
    plan_world w;
    plan_world_init(&w, 2);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-y", PW_EP("10.2.0.1"))) == 0);
    CHECK(plan_world_converge(&w, "demo", "web"));
    /* cluster-b's ClusterLink is gone while svclink was down: its slices are orphans. */
    w.nlinks = 1;
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_DELETE_SLICE) == 1 && out.nactions == 1);
    plan_output_free(&out);
    /* Before ClusterLinks are listed nothing is known to be an orphan. */
    plan_input in = {.ns = "demo", .svc = "web", .view = &w.view, .links = w.links, .nlinks = 1};
    CHECK(plan_service(&in, &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.nlinks = 2;
    plan_world_free(&w);
}

/* B7: once a link's remote is synced, its slices for Services that no longer exist remotely
 * are deleted. */
UNIT_TEST(b7_slices_of_services_gone_remotely_are_deleted)
{
    plan_world w;
    plan_world_web_synced(&w, PW_EP("10.1.0.1"));
    plan_world_remote_delete(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    plan_world_remote_delete(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1")));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && plan_world_count(&out, PLAN_DELETE_SLICE) == 1);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(main_view_slices_of(&w.view, "demo", "web") == NULL);
    plan_world_free(&w);
}

#define PW_GO_SLICE                                                                                   \
    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-svclink-cluster-a\",\"labels\":{"               \
    "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\",\"cloudpilot.ai/svclink-cluster\":" \
    "\"cluster-a\",\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":["     \
    PW_EP("10.1.0.9") "],\"ports\":[{\"port\":8080}]}"

/* B8: svclink (Go)'s slices are slices of that link; they are deleted only in a later pass
 * that finds every wanted slice written as wanted (while ours is refused or in flight the
 * old one stays); a disabled link keeps them, a deleted one removes them like its own. */
UNIT_TEST(b8_go_slices_go_only_once_ours_are_written)
{
    plan_world w;
    plan_world_web(&w, PW_EP("10.1.0.1"));
    plan_world_local(&w, KUBE_KIND_ENDPOINT_SLICE, PW_GO_SLICE);
    const main_view_slice *go = main_view_slice_get(&w.view, "demo", "web-svclink-cluster-a");
    CHECK(go != NULL && go->foreign);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && plan_world_count(&out, PLAN_WRITE_SLICE) == 1);
    char ours[64];
    snprintf(ours, sizeof ours, "%s", out.nactions == 1 ? out.actions[0].name : "");
    plan_output_free(&out);
    /* Ours in flight: theirs stays. */
    CHECK(main_view_slice_write_begin(&w.view, "demo", ours) == 0);
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SLICE) == 0);
    plan_output_free(&out);
    main_view_slice_write_end(&w.view, "demo", ours);
    /* Disabled: kept. Deleted: removed like ours. */
    w.links[0].mode = PLAN_KEEP;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.links[0].mode = PLAN_EMPTY;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SLICE) == 1);
    plan_output_free(&out);
    /* Ours written as wanted: the next pass deletes theirs. */
    w.links[0].mode = PLAN_MANAGE;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    plan_world_apply(&w, &out);
    plan_output_free(&out);
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && plan_world_count(&out, PLAN_DELETE_SLICE) == 1 &&
          strcmp(out.actions[0].observed->name, "web-svclink-cluster-a") == 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(main_view_slice_get(&w.view, "demo", "web-svclink-cluster-a") == NULL);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    plan_world_free(&w);
}

/* B10: a link unreachable past staleEndpointTimeoutSeconds (or deleted) loses its slices. */
UNIT_TEST(b10_a_stale_link_loses_its_slices)
{
    plan_world w;
    plan_world_web_synced(&w, PW_EP("10.1.0.1"));
    /* Deleted or stale: every slice of the link goes. */
    w.links[0].mode = PLAN_EMPTY;
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_DELETE_SLICE) == 1 && out.ncounts == 1 && out.counts[0].endpoints == 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(main_view_slices_of(&w.view, "demo", "web") == NULL);
    plan_world_free(&w);
}

/* ---- R: svclink mirror ---- */

/* R5: a Service counts as created by svclink only with created-by=svclink and
 * source-cluster=<link>: Services of other svclink instances are never changed. */
UNIT_TEST(r5_only_this_links_created_services_are_ours)
{
    /* svclink mirror sees only its own link: a Service another svclink created in the same
     * namespace is never patched or deleted by it, one it created itself still is. */
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    w.view.only_source = "cluster-a";
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "web", "cluster-z", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_PATCH_SERVICE) == 0 &&
          plan_world_count(&out, PLAN_DELETE_SERVICE) == 0 && plan_world_count(&out, PLAN_CREATE_SERVICE) == 0);
    plan_output_free(&out);
    plan_world_remote_delete(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}
