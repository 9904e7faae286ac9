/* plan_world: the world the plan's unit cases are decided in: the main cluster's view and up
 * to three links with their caches and rules, fed real JSON, and builders of that JSON.
 * The cases (tests/unit/test_plan_*.c) are named by the contract row they prove; rows plan
 * does not decide are tested where they are decided (test_linkspec.c, test_link_dir.c, e2e). */
#ifndef SVCLINK_TEST_PLAN_WORLD_H
#define SVCLINK_TEST_PLAN_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile/plan.h"
#include "write/svc_body.h"

/* A world: the local view and up to three links with their caches and rules. */
typedef struct {
    main_view view;
    remote_cache cache[3];
    linkspec spec[3];
    filter_rules rules[3];
    plan_link links[3];
    size_t nlinks;
    linkspec_list global;
    linkspec_map_entry map; /* plan_world_init_mapped: remote default -> local prod-test */
    linkspec_nsmap nsmap;
} plan_world;

int plan_world_doc(json_doc *doc, const char *text);

void plan_world_init(plan_world *w, size_t nlinks);

/* One link that maps remote namespace default into local prod-test. */
void plan_world_init_mapped(plan_world *w);

void plan_world_free(plan_world *w);

int plan_world_remote(plan_world *w, size_t link, kube_kind kind, const char *text);

void plan_world_remote_delete(plan_world *w, size_t link, kube_kind kind, const char *text);

void plan_world_local(plan_world *w, kube_kind kind, const char *text);

void plan_world_local_delete(plan_world *w, const char *text);

int plan_world_plan(plan_world *w, const char *ns, const char *svc, plan_output *out);

size_t plan_world_count(const plan_output *out, plan_kind kind);

const plan_action *plan_world_first(const plan_output *out, plan_kind kind);

/* Records body as the slice ns/name the API server holds (NULL: deleted). */
void plan_world_record(plan_world *w, const char *ns, const char *name, const char *body);

/* The body a slice write of the plan sends (malloc'd), or NULL. */
char *plan_world_body(const plan_action *a);

/* Does what the engine would: writes each slice as the API server would store it. */
void plan_world_apply(plan_world *w, const plan_output *out);

/* Plans ns/svc, applies the plan, and checks a second plan has nothing left to do. */
bool plan_world_converge(plan_world *w, const char *ns, const char *svc);

int64_t plan_world_endpoints_of(const plan_world *w, const char *ns, const char *svc, const char *link);

/* Removes the first occurrence of what from s; false when there is none. */
bool plan_world_cut(char *s, const char *what);

#define PW_SVC(ns, name, extra)                                                                        \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"" extra "},"      \
    "\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define PW_SLICE(ns, svc, name, ips)                                                                   \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"labels\":{\"kubernetes.io/service-name\":" \
    "\"" svc "\"}},\"addressType\":\"IPv4\",\"endpoints\":[" ips "],\"ports\":[{\"port\":8080}]}"
#define PW_EP(ip) "{\"addresses\":[\"" ip "\"]}"
#define PW_CREATED(ns, name, source, spec)                                                            \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\",\"labels\":{"      \
    "\"svclink.cloudpilot.ai/created-by\":\"svclink\",\"svclink.cloudpilot.ai/source-cluster\":\"" source \
    "\"}},\"spec\":" spec "}"
#define PW_EXT(ns, name, target)                                                                      \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\"},\"spec\":{\"type\":\"ExternalName\","    \
    "\"externalName\":\"" target "\"}}"
#define PW_PORTS "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"
/* Per-Service modes (svclink.cloudpilot.ai/mode, alias vmware.com/syndicate-mode). */
#define PW_ANN(mode) ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"" mode "\"}"
#define PW_MSVC(ns, name, meta, spec)                                                                  \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\",\"resourceVersion\":\"7\"" meta \
    "},\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]" spec "}}"
#define PW_SEL ",\"selector\":{\"app\":\"web\",\"tier\":\"db\"}"
#define PW_STASH "\"svclink.cloudpilot.ai/stashed-selector\":\"{\\\"app\\\":\\\"web\\\",\\\"tier\\\":\\\"db\\\"}\""

/* Link `link` exports ns/svc (port 80 to 8080) with one remote slice holding eps (PW_EP items). */
void plan_world_export(plan_world *w, size_t link, const char *ns, const char *svc, const char *eps);

/* The local Service ns/svc, uid "u-<svc>". */
void plan_world_local_svc(plan_world *w, const char *ns, const char *svc);

/* Whether a plan of ns/svc writes slices when the local Service exists and link 0 exports it
 * with an endpoint: only the link's rules can stop it. */
bool plan_world_synced(plan_world *w, const char *ns, const char *svc);

/* The body of the one slice a plan of ns/svc writes (malloc'd), or NULL when it does not
 * plan exactly one write. */
char *plan_world_one_body(plan_world *w, const char *ns, const char *svc);

/* One link, demo/web local and exported with eps. */
void plan_world_web(plan_world *w, const char *eps);

/* The same, planned and written. */
void plan_world_web_synced(plan_world *w, const char *eps);

/* The body of the one slice plan_world_web's world writes (malloc'd), or NULL. */
char *plan_world_web_body(const char *eps);

/* A headless Service, and an endpoint with a hostname. */
#define PW_HEADLESS(ns, name, extra)                                                                   \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"" extra "},"      \
    "\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define PW_HOST_EP(ip, host) "{\"addresses\":[\"" ip "\"],\"hostname\":\"" host "\"}"

#endif
