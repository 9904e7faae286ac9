/* Unit tests for plan: the local Services svclink creates (S), one case per row of docs/sync-contract.md named
 * by its id, each quoting its row (hack/check-contract.sh checks the names). */
#include "plan_world.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* ---- S: local Services (createServices) ---- */

/* Two links exporting demo/web (port 80 to 8080); cluster-b may create Services. */
static void plan_world_two_exporters(plan_world *w)
{
    plan_world_init(w, 2);
    CHECK(plan_world_remote(w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(w, 1, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    w->links[1].create_services = true;
}

/* S1: a missing local Service whose creator's remote is ClusterIP is created selectorless,
 * with the remote's ports (targetPort as the remote gives it); only when a link may create. */
UNIT_TEST(s1_a_missing_service_is_created_only_when_asked)
{
    plan_world w;
    plan_world_two_exporters(&w);
    w.links[1].create_services = false;
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.links[1].create_services = true;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CREATE_SERVICE &&
          strcmp(out.actions[0].link, "cluster-b") == 0);
    const plan_action *a = plan_world_first(&out, PLAN_CREATE_SERVICE);
    char *body = a != NULL ? svc_body_service("demo", "web", a->rsvc, NULL, false, &(size_t){0}) : NULL;
    CHECK(body != NULL && strstr(body, "\"type\":\"ClusterIP\"") != NULL && strstr(body, "\"targetPort\":8080") != NULL &&
          strstr(body, "selector") == NULL);
    free(body);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S1: createServices is per link. */
UNIT_TEST(s1_create_services_is_per_link)
{
    plan_world w;
    plan_world_init(&w, 2);
    w.links[1].create_services = true; /* cluster-a off, cluster-b on */
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_SERVICE, PW_SVC("other", "api", "")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    CHECK(plan_world_plan(&w, "other", "api", &out) == 0 && plan_world_count(&out, PLAN_CREATE_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S2: a missing local Service whose creator's remote is headless is created with
 * clusterIP: None. */
UNIT_TEST(s2_a_headless_remote_is_created_headless)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_HEADLESS("demo", "db", "")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL);
    char *body = a != NULL ? svc_body_service("demo", "db", a->rsvc, NULL, false, &(size_t){0}) : NULL;
    CHECK(body != NULL && strstr(body, "\"clusterIP\":\"None\"") != NULL);
    free(body);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S3: a missing local Service whose creator's remote is ExternalName is created with the same
 * externalName; never slices. */
UNIT_TEST(s3_an_external_name_is_created_with_its_target_and_no_slices)
{
    plan_world w;
    plan_world_init(&w, 2);
    w.links[0].create_services = w.links[1].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_EXT("demo", "db", "db.example.test")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_CREATE_SERVICE);
    CHECK(out.nactions == 1 && a != NULL && a->rsvc->external_name != NULL &&
          strcmp(a->rsvc->external_name, "db.example.test") == 0);
    plan_output_free(&out);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db.example.test\"}"));
    /* No slices for an ExternalName, and nothing to do when it matches. */
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S4: a Service svclink created, of the same type, whose ports or externalName differ from the
 * creator's remote gets a merge patch. */
UNIT_TEST(s4_a_created_service_follows_the_remote_ports)
{
    plan_world w;
    plan_world_two_exporters(&w);
    plan_world_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}},\"spec\":{\"ports\":[{\"port\":81}]}}");
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S4: ... and its externalName. */
UNIT_TEST(s4_a_created_external_name_follows_the_remote_target)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db.example.test\"}"));
    /* The target changes: patched. */
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_EXT("demo", "db", "db2.example.test")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && plan_world_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S5: a Service svclink created whose type (ClusterIP, headless, ExternalName) differs from
 * the creator's remote is deleted, and created again on the next pass. */
UNIT_TEST(s5_external_name_and_cluster_ip_replace_each_other)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db2.example.test\"}"));
    plan_output out;
    /* ExternalName -> ClusterIP: deleted, then made again as ClusterIP. */
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "db", "")) == 0);
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_local_delete(&w, PW_CREATED("demo", "db", "cluster-a", "{}"));
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->rsvc->external_name == NULL && !(a->rsvc->flags & REMOTE_EXTERNAL_NAME));
    plan_output_free(&out);
    /* And back: a ClusterIP one svclink made becomes an ExternalName through a delete. */
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_EXT("demo", "db", "db.example.test")) == 0);
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S5: clusterIP is immutable: a ClusterIP one svclink made for a now headless remote is
 * deleted and made again. */
UNIT_TEST(s5_a_cluster_ip_change_deletes_and_creates_again)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_HEADLESS("demo", "db", "")) == 0);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S6: a Service svclink did not create is never touched (slices only, W1). */
UNIT_TEST(s6_a_service_svclink_did_not_create_is_never_touched)
{
    plan_world w;
    plan_world_two_exporters(&w);
    plan_world_local(&w, KUBE_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\"},"
                      "\"spec\":{\"ports\":[{\"port\":81}]}}");
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_PATCH_SERVICE) == 0 && plan_world_count(&out, PLAN_CREATE_SERVICE) == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S7: a Service svclink created that no synced link exports, and that no disabled, syncing or
 * unreachable link made or has slices in, is deleted (uid precondition). */
UNIT_TEST(s7_a_created_service_goes_once_no_link_wants_it)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* The remote Service is deleted (or stops matching the selector): ours goes too. */
    plan_world_remote_delete(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_DELETE_SERVICE);
    CHECK(a != NULL && a->local != NULL && strcmp(a->local->uid, "u-web") == 0);
    plan_output_free(&out);
    /* Not while the link that made it cannot be trusted (disabled, syncing, partitioned). */
    w.links[0].mode = PLAN_KEEP;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    /* Its link deleted: it goes. */
    w.links[0].mode = PLAN_EMPTY;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    /* A Service svclink did not create is never deleted. */
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S7: ... it stays while another link exports it, or has slices in it. */
UNIT_TEST(s7_a_created_service_another_link_still_exports_stays)
{
    plan_world w;
    plan_world_init(&w, 2);
    w.links[0].create_services = true;
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    /* A KEEP link with slices in it holds it too (disable keeps slices, and they are owned by it). */
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-y", PW_EP("10.2.0.1"))) == 0);
    CHECK(plan_world_converge(&w, "demo", "web"));
    plan_world_remote_delete(&w, 1, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    w.links[1].mode = PLAN_KEEP;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S8: created Services carry replicated=true, created-by=svclink, source-cluster=<creator
 * link> and source-namespace=<remote namespace>; never clusterIP, nodePort, externalIPs or
 * loadBalancer* fields. */
UNIT_TEST(s8_created_services_say_where_they_come_from_and_pin_no_address)
{
    plan_world w;
    plan_world_init_mapped(&w);
    w.links[0].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE,
                    "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},\"spec\":{\"type\":\"LoadBalancer\","
                    "\"clusterIP\":\"10.96.0.5\",\"externalIPs\":[\"192.0.2.1\"],\"loadBalancerIP\":\"192.0.2.2\","
                    "\"ports\":[{\"port\":80,\"targetPort\":8080,\"nodePort\":30080}]}}") == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "prod-test", "web", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && strcmp(a->link, "cluster-a") == 0);
    svc_body_source src = {.link = a != NULL ? a->link : NULL, .ns = a != NULL ? a->remote_ns : NULL};
    char *body = a != NULL ? svc_body_service("prod-test", "web", a->rsvc, &src, false, &(size_t){0}) : NULL;
    CHECK(body != NULL && strstr(body, "\"svclink.cloudpilot.ai/created-by\":\"svclink\"") != NULL &&
          strstr(body, "\"replicated\":\"true\"") != NULL &&
          strstr(body, "\"svclink.cloudpilot.ai/source-cluster\":\"cluster-a\"") != NULL &&
          strstr(body, "\"svclink.cloudpilot.ai/source-namespace\":\"default\"") != NULL);
    CHECK(body != NULL && strstr(body, "clusterIP") == NULL && strstr(body, "nodePort") == NULL &&
          strstr(body, "externalIPs") == NULL && strstr(body, "loadBalancer") == NULL &&
          strstr(body, "\"type\":\"ClusterIP\"") != NULL);
    free(body);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S9: a link other than the creator that exports an ExternalName with another externalName is
 * ignored for that Service (and named). */
UNIT_TEST(s9_another_links_other_external_name_is_ignored)
{
    plan_world w;
    plan_world_init(&w, 2);
    w.links[0].create_services = w.links[1].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_EXT("demo", "db", "db2.example.test")) == 0);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db2.example.test\"}"));
    /* Another link naming another target loses to the creator, and is named. */
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_SERVICE, PW_EXT("demo", "db", "other.example.test")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    CHECK(out.ignored_link != NULL && strcmp(out.ignored_link, "cluster-b") == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* S10: svclink updates or deletes only Services with the created-by label and no selector
 * and no mode annotation; any other Service is only ever patched for its selector (M4, M7). */
UNIT_TEST(s10_only_plain_created_services_are_patched_or_deleted)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("source"), "")) == 0);
    /* created-by, other ports: patched while plain... */
    plan_world_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}},\"spec\":{\"ports\":[{\"port\":81}]}}");
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    /* ...left alone once it has a mode; a receiver's only write is its selector's stash. */
    plan_world_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}" PW_ANN("receiver") "},\"spec\":{\"ports\":[{\"port\":81}]"
             PW_SEL "}}");
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_PATCH_SERVICE) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 0 &&
          plan_world_count(&out, PLAN_STASH_SELECTOR) == 1);
    plan_output_free(&out);
    plan_world_remote_delete(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && plan_world_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}
