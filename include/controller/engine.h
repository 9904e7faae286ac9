/* engine: the svclink controller: ClusterLinks in, one remote view per link, and the
 * EndpointSlices (and, if asked, Namespaces and Services) of the main cluster kept equal to them. */
#ifndef SVCLINK_CONTROLLER_ENGINE_H
#define SVCLINK_CONTROLLER_ENGINE_H

#include <stdbool.h>

#include "controller/options.h"
#include "link/cluster_link.h"

/* Runs until SIGTERM or SIGINT; returns the process exit status (0 after a signal, 1
 * when the main cluster's configuration cannot be loaded). */
int engine_run(const options *opts);

/* Links not backed by ClusterLink objects (svclink mirror, --kubeconfig-dir) are added by a
 * hook, called once with the links' environment before any watch starts; it may keep env
 * and l to add, change and remove static links later (cluster_link_static_upsert/remove). It
 * returns 0, or -1 to stop start-up (it has logged why). */
typedef int (*engine_links_fn)(void *arg, const cluster_link_env *env, loop *l);

typedef struct {
    bool no_clusterlinks;   /* do not watch ClusterLinks (no CRD needed) */
    engine_links_fn add_links;
    void *arg;
    /* svclink mirror: the main cluster is watched in this one namespace only (NULL: all). */
    const char *main_namespace;
    /* svclink mirror: only this link's slices are seen, and only Services this link
     * created count as svclink's, so other svclink instances' objects are never touched. */
    const char *own_link;
    /* One more label on created Services, or NULL (see svc_body_source). */
    const char *service_label_key, *service_label_value;
    /* svclink mirror: /leader answers k8s-svc-sync's text (probe_view.leader_text). */
    bool leader_text;
} engine_hooks;

int engine_run_with(const options *opts, const engine_hooks *hooks);

#endif
