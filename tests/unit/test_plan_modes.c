/* Unit tests for plan: per-Service modes (M), one case per row of docs/sync-contract.md named
 * by its id, each quoting its row (hack/check-contract.sh checks the names). */
#include "plan_world.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* ---- M: per-Service modes ---- */

/* Two links: cluster-a's web (10.1.0.1) and cluster-b's web (10.2.0.1), modes as given. */
static void plan_world_two_remotes(plan_world *w, const char *svc_a, const char *svc_b)
{
    plan_world_init(w, 2);
    CHECK(plan_world_remote(w, 0, KUBE_KIND_SERVICE, svc_a) == 0);
    CHECK(plan_world_remote(w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1"))) == 0);
    CHECK(plan_world_remote(w, 1, KUBE_KIND_SERVICE, svc_b) == 0);
    CHECK(plan_world_remote(w, 1, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-y", PW_EP("10.2.0.1"))) == 0);
}

/* M1: a link whose remote mode is singular contributes nothing: its slices are deleted. */
UNIT_TEST(m1_a_singular_remote_loses_its_slices)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", "", ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    /* cluster-b's Service turns singular: its slices go, cluster-a's stay */
    CHECK(plan_world_remote(&w, 1, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("singular"), "")) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_DELETE_SLICE) == 1 && out.nactions == 1);
    CHECK(out.nactions == 1 && strcmp(out.actions[0].link, "cluster-b") == 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    plan_world_free(&w);
}

/* M1: ... and a Service svclink created for it is deleted when no other link exports it (it
 * is never created in the first place). */
UNIT_TEST(m1_a_singular_remote_gets_no_created_service)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", PW_ANN("singular"), ""),
                   PW_MSVC("demo", "web", ",\"annotations\":{\"vmware.com/syndicate-mode\":\"singular\"}", ""));
    w.links[0].create_services = w.links[1].create_services = true;
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0); /* created with singular: never imported (the alias too) */
    plan_output_free(&out);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}"));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_DELETE_SERVICE) == 1 && out.nactions == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M2: a local Service whose mode is singular gets no slices at all (existing ones deleted). */
UNIT_TEST(m2_a_singular_local_service_imports_nothing)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", "", ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_converge(&w, "demo", "web"));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("singular"), ""));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_DELETE_SLICE) == 2 && out.nactions == 2);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") + plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    plan_world_free(&w);
}

/* M3: local none, union or source, remote none, union, receiver or source: slices from every
 * link, as without modes. */
UNIT_TEST(m3_union_takes_every_cluster)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", PW_ANN("union"), ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("union"), PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 2 && out.nactions == 2); /* the selector is left alone */
    CHECK(out.mode_note == NULL);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M4: a receiver (or a union meeting a source) with a source link is held: its selector goes
 * into the stash annotation exactly, the controller's stale slices are cleared, and only
 * source links give slices. */
UNIT_TEST(m4_a_receiver_holds_its_selector_and_takes_only_sources)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", PW_ANN("source"), ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("receiver"), PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_STASH_SELECTOR);
    CHECK(a != NULL);
    /* the selector exactly as the API server sent it */
    CHECK(a != NULL && a->local->selector != NULL && strcmp(a->local->selector, "{\"app\":\"web\",\"tier\":\"db\"}") == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 1);
    for (size_t i = 0; i < out.nactions; i++)
        CHECK(out.actions[i].kind != PLAN_WRITE_SLICE || strcmp(out.actions[i].link, "cluster-a") == 0);
    plan_output_free(&out);
    /* stashed: selector gone, the stash holds it; nothing more to do */
    plan_world_local(&w, KUBE_KIND_SERVICE,
             PW_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\"," PW_STASH "}", ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    plan_world_apply(&w, &out);
    plan_output_free(&out);
    /* held: what is left each pass is clearing the controller's stale slices (the engine
     * does that once per stash) */
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CLEAR_CONTROLLER_SLICES);
    plan_output_free(&out);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1 && plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    plan_world_free(&w);
}

/* M5: a held Service gets no slices from a link whose remote is not source. */
UNIT_TEST(m5_a_held_service_drops_the_slices_of_other_links)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", "", ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_converge(&w, "demo", "web"));
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    /* cluster-a turns source and the local Service a receiver (already stashed). */
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("source"), "")) == 0);
    plan_world_local(&w, KUBE_KIND_SERVICE,
             PW_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\"," PW_STASH "}", ""));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_DELETE_SLICE);
    CHECK(plan_world_count(&out, PLAN_DELETE_SLICE) == 1 && a != NULL && strcmp(a->link, "cluster-b") == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 0);
    plan_world_apply(&w, &out);
    plan_output_free(&out);
    CHECK(plan_world_endpoints_of(&w, "demo", "web", "cluster-a") == 1 && plan_world_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    plan_world_free(&w);
}

/* M6: a receiver with no source anywhere keeps its selector, takes slices from every link, and
 * says "receiver without a source cluster". */
UNIT_TEST(m6_a_receiver_without_a_source_keeps_its_selector)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", "", ""), PW_MSVC("demo", "web", PW_ANN("receiver"), ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("receiver"), PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_first(&out, PLAN_STASH_SELECTOR) == NULL);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 2); /* a remote receiver still exports its pods */
    CHECK(out.mode_note != NULL && strstr(out.mode_note, "without a source") != NULL);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M7: not held, with a stash and no selector: spec.selector is set to the stash exactly and the
 * annotation removed. */
UNIT_TEST(m7_no_longer_held_the_stash_comes_back_exactly)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", PW_ANN("source"), ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE,
             PW_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\"," PW_STASH "}", ""));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    plan_world_apply(&w, &out); /* held: cluster-a's slice written */
    plan_output_free(&out);
    /* the mode goes: the stash comes back exactly, cluster-b's endpoints too */
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", ",\"annotations\":{" PW_STASH "}", ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_RESTORE_SELECTOR);
    CHECK(a != NULL && strcmp(a->local->stash, "{\"app\":\"web\",\"tier\":\"db\"}") == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 1);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M8: a stash that is not a JSON object of 1 to 64 label keys to values (at most 4096 bytes)
 * is never applied, never removed, and logged "stashed selector refused" with the reason. */
UNIT_TEST(m8_a_bad_stash_is_refused_never_applied)
{
    static const char *const bad[] = {"not json", "[\\\"app\\\"]", "{}", "{\\\"app\\\":7}",
                                      "{\\\"bad key!\\\":\\\"x\\\"}", "{\\\"app\\\":\\\"has space\\\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        plan_world w;
        plan_world_init(&w, 1);
        char text[600];
        snprintf(text, sizeof text,
                 "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u\",\"annotations\":"
                 "{\"svclink.cloudpilot.ai/stashed-selector\":\"%s\"}},\"spec\":{\"ports\":[{\"port\":80}]}}",
                 bad[i]);
        plan_world_local(&w, KUBE_KIND_SERVICE, text);
        plan_output out;
        CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
        CHECK(plan_world_first(&out, PLAN_RESTORE_SELECTOR) == NULL);
        CHECK(out.mode_note != NULL && strstr(out.mode_note, "refused") != NULL);
        CHECK(strstr(out.mode_detail, "stash") != NULL);
        plan_output_free(&out);
        plan_world_free(&w);
    }
}

/* M9: a Service with both a selector and a stash: nothing changed, logged. */
UNIT_TEST(m9_a_selector_and_a_stash_both_set_change_nothing)
{
    plan_world w;
    plan_world_init(&w, 1);
    plan_world_local(&w, KUBE_KIND_SERVICE,
             PW_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/stashed-selector\":\"{\\\"app\\\":\\\"old\\\"}\"}", PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0 && out.mode_note != NULL);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M10: an unknown mode value is treated as none and logged "unknown mode value". */
UNIT_TEST(m10_an_unknown_mode_value_is_reported_and_ignored)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", PW_ANN("bogus"), ""), PW_MSVC("demo", "web", "", ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("recevier"), PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 2 && out.nactions == 2);
    CHECK(out.mode_note != NULL && strstr(out.mode_note, "unknown") != NULL);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M11: a Service created by svclink, then given a selector or a mode, is adopted: never patched
 * or deleted by the created-Service rows (S10). */
UNIT_TEST(m11_a_created_service_given_a_selector_or_mode_is_adopted)
{
    plan_world w;
    plan_world_init(&w, 1);
    w.links[0].create_services = true;
    /* no link exports it, but someone gave it a selector (a migration target taken over) */
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}", PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}" PW_ANN("source"), ""));
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    plan_world_free(&w);
}

/* M12: held, with source on more than one link: the endpoints of every source are used, logged
 * "more than one cluster claims source". Also M4: a union Service meeting a source is held. */
UNIT_TEST(m12_every_source_is_used_when_more_than_one_claims_it)
{
    plan_world w;
    plan_world_two_remotes(&w, PW_MSVC("demo", "web", PW_ANN("source"), ""), PW_MSVC("demo", "web", PW_ANN("source"), ""));
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", ",\"annotations\":{\"vmware.com/syndicate-mode\":\"union\"}", PW_SEL));
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0);
    CHECK(plan_world_first(&out, PLAN_STASH_SELECTOR) != NULL);
    CHECK(plan_world_count(&out, PLAN_WRITE_SLICE) == 2); /* two sources: both used, and said */
    CHECK(out.mode_note != NULL && strstr(out.mode_note, "more than one") != NULL);
    plan_output_free(&out);
    plan_world_free(&w);
}
