/* cluster_link: one ClusterLink: applies its spec, reads its kubeconfig (inline or from a Secret,
 * under the untrusted rules), connects, runs the remote reflectors and tracks health. */
#include "link/cluster_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cache/slice.h"
#include "base/text.h"

/* ---- metrics ---- */

void cluster_link_forget_metrics(const char *name)
{
    char needle[300];
    metrics_labels(needle, sizeof needle, "link", name, NULL);
    for (int f = METRICS_LINK_CONNECTED; f <= METRICS_LINK_LAST_SYNC; f++)
        metrics_forget((metrics_family)f, needle);
    metrics_labels(needle, sizeof needle, "cluster", name, NULL);
    metrics_forget(METRICS_WATCH_RESTARTS, needle);
    metrics_forget(METRICS_LISTS, needle);
    metrics_forget(METRICS_API_REQUESTS, needle);
}

/* ---- mode and dirty marking ---- */

/* The remote cache names remote namespaces; the queue wants local ones. */
static void cluster_link_remote_dirty(void *arg, const char *ns, const char *svc)
{
    cluster_link *lk = arg;
    const char *local = lk->have_spec ? linkspec_local_ns(&lk->spec.namespace_mapping, ns) : ns;
    if (local != NULL)
        lk->env->mark_dirty(lk->env->arg, local, svc);
}

/* A namespace's opt-out label changed: every Service known in it is looked at again. */
static void cluster_link_ns_changed(void *arg, const char *ns)
{
    cluster_link *lk = arg;
    for (strmap_iter it = strmap_iter_start(&lk->cache.groups); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        remote_group *g = it.e->value;
        if (strcmp(g->ns, ns) == 0)
            cluster_link_remote_dirty(lk, g->ns, g->name);
    }
}

plan_mode cluster_link_mode(const cluster_link *lk)
{
    if (lk->spec.deleting || !lk->have_spec)
        return lk->spec.deleting ? PLAN_EMPTY : PLAN_KEEP;
    if (!lk->spec.enabled)
        return PLAN_KEEP;
    if (lk->stale)
        return PLAN_EMPTY;
    if (!lk->connected || !lk->cache_ready || lk->failing_since != 0)
        return PLAN_KEEP;
    for (size_t i = 0; i < lk->nrefls; i++) {
        if (lk->refls[i].listing)
            return PLAN_KEEP;
    }
    return PLAN_MANAGE;
}

void cluster_link_mark_all(cluster_link *lk)
{
    const cluster_link_env *env = lk->env;
    for (strmap_iter it = strmap_iter_start(&lk->cache.groups); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        remote_group *g = it.e->value;
        cluster_link_remote_dirty(lk, g->ns, g->name);
    }
    /* Services svclink created may have no slice to be found by (ExternalName) and no
     * remote left: they are looked at too, so they can be deleted. */
    main_view_mark_created(env->view);
    for (strmap_iter it = strmap_iter_start(&env->view->slices); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        main_view_slice *s = it.e->value;
        if (strcmp(s->link, lk->name) == 0)
            env->mark_dirty(env->arg, s->ns, s->service);
    }
}

bool cluster_link_release_if_clean(cluster_link *lk)
{
    if (!lk->have_spec || !lk->spec.deleting || lk->status.finalizer_inflight || (!lk->is_static && !lk->spec.has_finalizer))
        return false;
    for (strmap_iter s = strmap_iter_start(&lk->env->view->slices); strmap_iter_ok(&s); strmap_iter_next(&s)) {
        if (strcmp(((main_view_slice *)s.e->value)->link, lk->name) == 0)
            return false;
    }
    log_kv(LOG_INFO, "link cleaned up, releasing it", "link", lk->name, NULL);
    if (lk->is_static)
        return true;
    link_status_patch_finalizers(&lk->status, false);
    return false;
}

/* ---- remote connection ---- */

/* The link's cache budgets: its spec's, else the flags'. */
static void cluster_link_set_budgets(cluster_link *lk)
{
    remote_cache_limits lim = {lk->spec.max_services ? lk->spec.max_services : lk->env->max_services,
                         lk->spec.max_endpoints ? lk->spec.max_endpoints : lk->env->max_endpoints};
    remote_cache_set_limits(&lk->cache, &lim);
}

static void cluster_link_disconnect(cluster_link *lk)
{
    for (size_t i = 0; i < lk->nrefls; i++)
        reflector_free(lk->refls[i].r);
    free(lk->refls);
    lk->refls = NULL;
    lk->nrefls = 0;
    apiclient_cancel(lk->version_req);
    lk->version_req = NULL;
    if (lk->connected)
        cluster_client_close(&lk->conn);
    lk->connected = false;
    lk->cache_ready = false;
    remote_cache_free(&lk->cache);
    remote_cache_init(&lk->cache, cluster_link_remote_dirty, lk);
    cluster_link_set_budgets(lk);
    ns_optout_free(&lk->optout);
    ns_optout_init(&lk->optout, cluster_link_ns_changed, lk);
    if (lk->have_kcfg)
        kcfg_free(&lk->kcfg);
    lk->have_kcfg = false;
    lk->kubeconfig_hash = 0;
    if (lk->stale_timer != 0)
        loop_timer_cancel(lk->env->l, lk->stale_timer);
    lk->stale_timer = 0;
    lk->failing_since = 0;
}

static void cluster_link_on_stale(loop *l, void *arg)
{
    (void)l;
    cluster_link *lk = arg;
    lk->stale_timer = 0;
    lk->stale = true;
    log_kv(LOG_WARN, "remote unreachable too long: removing its endpoints", "link", lk->name, NULL);
    cluster_link_mark_all(lk);
}

/* Maps a reflector failure to a status reason an operator can act on. */
static const char *cluster_link_failure_reason(int status, conn_error transport)
{
    if (status == 401)
        return "Unauthorized";
    if (status == 403)
        return "Forbidden";
    if (transport == CONN_ERR_AUTH)
        return "ExecPluginFailed";
    if (transport == CONN_ERR_TLS)
        return "TLSError";
    return "Unreachable";
}

static void cluster_link_refl_synced(cluster_link_refl *lr);

/* One watch's connection broke: the others to the same server (opened alike, quiet alike)
 * have likely broken too, but each would notice only at its own keepalive deadline, and a
 * link that resumed in between would go Connected, then Unreachable again. So they all
 * watch again from their resourceVersions now, and the link is Connected once every one
 * of them is. Each is marked unsynced first: a failure reported from inside
 * reflector_rewatch comes back here and must not kick it again. */
static void cluster_link_suspect_siblings(cluster_link_refl *failed)
{
    cluster_link *lk = failed->lk;
    for (size_t i = 0; i < lk->nrefls; i++) {
        cluster_link_refl *lr = &lk->refls[i];
        if (lr == failed || !lr->synced)
            continue;
        lr->synced = false;
        if (reflector_rewatch(lr->r) != 0)
            lr->synced = true; /* no watch open (listing, or waiting to retry): left alone */
    }
}

static void cluster_link_refl_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    cluster_link_refl *lr = arg;
    cluster_link *lk = lr->lk;
    if (st == REFLECTOR_SYNCED && !lr->synced) {
        /* The watch after a list, or one resumed from its resourceVersion after a broken
         * connection, was accepted: this part of the cache is whole and kept current. */
        cluster_link_refl_synced(lr);
        return;
    }
    if (st != REFLECTOR_FAILING)
        return;
    lr->synced = false;
    lr->listing = false;
    if (status == 0 && transport != CONN_OK && transport != CONN_ERR_AUTH)
        cluster_link_suspect_siblings(lr);
    if (lr->over_budget) {
        /* Reachable but too big: no stale timer, so what was written stays. */
        if (lk->failing_since == 0)
            lk->failing_since = loop_now_ms();
        link_status_set_health(&lk->status, false, "LimitExceeded", "%s; the link keeps what it had and retries", reason);
        return;
    }
    const char *why = cluster_link_failure_reason(status, transport);
    if (lk->failing_since == 0) {
        lk->failing_since = loop_now_ms();
        if (lk->spec.stale_timeout_s > 0 && lk->stale_timer == 0 && !lk->stale)
            lk->stale_timer =
                loop_timer_add(lk->env->l, (uint64_t)lk->spec.stale_timeout_s * 1000u, cluster_link_on_stale, lk);
    } else if (!lk->status.ready && strcmp(lk->status.reason, why) == 0) {
        /* The same outage failing the same way again (a retry, or another of the link's
         * watches naming its own path): one outage, one message, no status rewrites. */
        return;
    }
    if (lk->spec.stale_timeout_s > 0 && !lk->stale)
        link_status_set_health(&lk->status, false, why, "%s (endpoints kept for %us while unreachable)", reason,
                            lk->spec.stale_timeout_s);
    else
        link_status_set_health(&lk->status, false, why, "%s", reason);
}

static void cluster_link_refl_begin(void *arg)
{
    cluster_link_refl *lr = arg;
    lr->listing = true;
    lr->over_budget = false;
    if (lr->kind == KUBE_KIND_NAMESPACE)
        ns_optout_list_begin(&lr->lk->optout);
    else
        remote_cache_list_begin(&lr->lk->cache, lr->kind);
}

/* Whether the link keeps objects of obj's namespace: one its namespace rules refuse is
 * never synced, so caching it would only cost memory (a link to a shared remote would
 * hold every namespace's endpoints). A change of the rules lists again. */
static bool cluster_link_namespace_cached(const cluster_link *lk, const json_doc *doc, int obj)
{
    char ns[64];
    if (json_str_copy(doc, json_path(doc, obj, "metadata", "namespace", NULL), ns, sizeof ns, NULL) != 0)
        return true; /* remote_cache_upsert judges what it cannot read */
    return filter_check_namespace(&lk->rules, ns) == FILTER_ALLOW;
}

static void cluster_link_refl_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    cluster_link_refl *lr = arg;
    char err[256];
    int rc;
    if (lr->kind == KUBE_KIND_NAMESPACE)
        ns_optout_set(&lr->lk->optout, doc, obj, op != REFLECTOR_DELETE);
    else if (op == REFLECTOR_DELETE || !cluster_link_namespace_cached(lr->lk, doc, obj))
        remote_cache_delete(&lr->lk->cache, lr->kind, doc, obj);
    else if ((rc = remote_cache_upsert(&lr->lk->cache, lr->kind, doc, obj, err, sizeof err)) == REMOTE_CACHE_OVER_BUDGET) {
        lr->over_budget = true; /* stops here, keeping what the cache holds */
        reflector_refuse(lr->r, err);
    } else if (rc != 0) {
        log_kv(LOG_WARN, "remote object ignored", "link", lr->lk->name, "error", err, NULL);
    }
}

static void cluster_link_on_synced(cluster_link *lk)
{
    bool first = !lk->status.ever_synced;
    lk->status.ever_synced = true;
    lk->cache_ready = true;
    lk->failing_since = 0;
    lk->stale = false;
    if (lk->stale_timer != 0)
        loop_timer_cancel(lk->env->l, lk->stale_timer);
    lk->stale_timer = 0;
    /* A restarted controller that finds the link already connected keeps its sync time. */
    if (first && lk->status.observed.present && lk->status.observed.ready && lk->status.observed.last_sync[0] != '\0')
        snprintf(lk->status.last_sync, sizeof lk->status.last_sync, "%s", lk->status.observed.last_sync);
    else
        link_status_now(lk->status.last_sync);
    link_status_set_health(&lk->status, true, "Connected", "Synced from %s", lk->kcfg.server);
    cluster_link_mark_all(lk);
}

/* One reflector holds its full set: the link is synced when all of them do. */
static void cluster_link_refl_synced(cluster_link_refl *lr)
{
    cluster_link *lk = lr->lk;
    lr->synced = true;
    for (size_t i = 0; i < lk->nrefls; i++) {
        if (!lk->refls[i].synced)
            return;
    }
    cluster_link_on_synced(lk);
}

static void cluster_link_refl_end(void *arg)
{
    cluster_link_refl *lr = arg;
    cluster_link *lk = lr->lk;
    if (lr->kind == KUBE_KIND_NAMESPACE)
        ns_optout_list_end(&lk->optout);
    else
        remote_cache_list_end(&lk->cache, lr->kind);
    lr->listing = false;
    /* A list again while synced (its watch met 410): as fresh as the first. Otherwise the
     * watch that follows is what makes it synced (cluster_link_refl_state). */
    if (lr->synced)
        cluster_link_refl_synced(lr);
}

static const reflector_handlers cluster_link_refl_handlers = {cluster_link_refl_begin, cluster_link_refl_object, cluster_link_refl_end,
                                                  cluster_link_refl_state};

static void cluster_link_on_version(void *arg, const apiclient_response *resp)
{
    cluster_link *lk = arg;
    lk->version_req = NULL;
    if (resp->status != 200)
        return;
    json_doc doc;
    json_doc_init(&doc);
    char err[64];
    if (json_parse(&doc, resp->body, resp->body_len, err, sizeof err) == 0 &&
        json_str_copy(&doc, json_obj_get(&doc, 0, "gitVersion"), lk->status.remote_version, sizeof lk->status.remote_version,
                      NULL) == 0)
        link_status_schedule(&lk->status);
    json_doc_free(&doc);
}

/* The remote Services reflector's selector: never a Service svclink created there (peer
 * mode: it would echo back), and the link's serviceSelector. Owned by the caller. */
static char *cluster_link_service_selector(const cluster_link *lk)
{
    const char *own = MAIN_VIEW_CREATED_BY_LABEL "!=svclink";
    const char *sel = lk->spec.service_selector;
    size_t n = strlen(own) + (sel != NULL ? strlen(sel) + 1 : 0) + 1;
    char *out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%s%s%s", own, sel != NULL ? "," : "", sel != NULL ? sel : "");
    return out;
}

/* Starts the remote reflectors: Services and EndpointSlices cluster-wide, or one pair per
 * namespace of --included-namespaces, which then narrows what is watched; and one
 * Namespace reflector for the opt-out labels. */
static int cluster_link_start_reflectors(cluster_link *lk)
{
    const cluster_link_env *env = lk->env;
    size_t nns = env->global_included->count;
    size_t pairs = nns > 0 ? 2 * nns : 2;
    size_t n = lk->no_optout ? pairs : pairs + 1;
    char *svc_sel = cluster_link_service_selector(lk);
    lk->refls = svc_sel != NULL ? calloc(n, sizeof *lk->refls) : NULL;
    if (lk->refls == NULL) {
        free(svc_sel);
        return -1;
    }
    lk->nrefls = n;
    for (size_t i = 0; i < n; i++) {
        cluster_link_refl *lr = &lk->refls[i];
        char path[400];
        const char *ns = nns > 0 && i < pairs ? env->global_included->items[i / 2] : NULL;
        lr->lk = lk;
        lr->kind = i >= pairs ? KUBE_KIND_NAMESPACE : i % 2 == 0 ? KUBE_KIND_SERVICE : KUBE_KIND_ENDPOINT_SLICE;
        const char *sel = NULL;
        if (lr->kind == KUBE_KIND_NAMESPACE) {
            snprintf(path, sizeof path, "/api/v1/namespaces"); /* unselected: see ns_optout.h */
        } else if (lr->kind == KUBE_KIND_SERVICE) {
            snprintf(path, sizeof path, ns ? "/api/v1/namespaces/%s/services" : "/api/v1/services", ns);
            /* Evaluated remotely: unselected Services are never transferred, and one that
             * stops matching arrives as a deletion. */
            sel = svc_sel;
        } else {
            snprintf(path, sizeof path,
                     ns ? "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" : "/apis/discovery.k8s.io/v1/endpointslices",
                     ns);
            /* Our own slices in a remote (two controllers linked both ways) must not echo back. */
            sel = SLICE_LABEL_MANAGED_BY "!=" SLICE_MANAGED_BY;
        }
        reflector_config rc = {.path = path, .label_selector = sel};
        lr->r = reflector_new(env->l, lk->conn.api, &rc, &cluster_link_refl_handlers, lr);
        if (lr->r == NULL) {
            free(svc_sel);
            return -1;
        }
    }
    free(svc_sel);
    for (size_t i = 0; i < n; i++)
        reflector_start(lk->refls[i].r);
    lk->version_req = apiclient_request(lk->conn.api, "GET", "/version", NULL, NULL, 0, cluster_link_on_version, lk);
    return 0;
}

/* A new selector changes what the remote sends, and new namespace rules what the cache
 * keeps: list again on the same connection. Until the new list is complete the link keeps
 * its slices (its mode is KEEP). */
static void cluster_link_restart_reflectors(cluster_link *lk, const char *why)
{
    for (size_t i = 0; i < lk->nrefls; i++)
        reflector_free(lk->refls[i].r);
    free(lk->refls);
    lk->refls = NULL;
    lk->nrefls = 0;
    lk->cache_ready = false;
    cluster_link_mark_all(lk);
    remote_cache_free(&lk->cache);
    remote_cache_init(&lk->cache, cluster_link_remote_dirty, lk);
    cluster_link_set_budgets(lk);
    ns_optout_free(&lk->optout);
    ns_optout_init(&lk->optout, cluster_link_ns_changed, lk);
    link_status_set_health(&lk->status, false, "Syncing", "Listing again from %s with the new %s", lk->kcfg.server, why);
    if (cluster_link_start_reflectors(lk) != 0) {
        link_status_set_health(&lk->status, false, "Unreachable", "out of memory starting the watches");
        cluster_link_disconnect(lk);
    }
}

/* Uses the kubeconfig text (from the spec or a Secret): parse it under the untrusted
 * rules, and reconnect only when it really changed. */
static void cluster_link_use_kubeconfig(cluster_link *lk, const char *text, size_t len)
{
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, text, len) | 1u;
    if (lk->connected && h == lk->kubeconfig_hash)
        return;
    cluster_link_disconnect(lk);
    kcfg_error kcfg_err;
    if (kcfg_parse(text, len, lk->context, lk->trust, lk->base_dir, &lk->kcfg, &kcfg_err) != 0) {
        link_status_set_health(&lk->status, false, kcfg_err.kind == KCFG_ERR_REFUSED ? "KubeconfigRefused" : "KubeconfigInvalid",
                            "kubeconfig: %s", kcfg_err.msg);
        return;
    }
    lk->have_kcfg = true;
    char err[512];
    if (cluster_client_open(&lk->conn, lk->env->l, lk->env->dns, lk->name, &lk->kcfg, err, sizeof err) != 0) {
        link_status_set_health(&lk->status, false, "KubeconfigInvalid", "kubeconfig: %s", err);
        return;
    }
    lk->connected = true;
    lk->kubeconfig_hash = h;
    if (lk->kcfg.insecure_skip_tls_verify)
        log_kv(LOG_WARN, "insecure-skip-tls-verify is set: the remote server is not verified", "link", lk->name, NULL);
    link_status_set_health(&lk->status, false, "Syncing", "Connecting to %s", lk->kcfg.server);
    if (cluster_link_start_reflectors(lk) != 0) {
        link_status_set_health(&lk->status, false, "Unreachable", "out of memory starting the watches");
        cluster_link_disconnect(lk);
    }
}

/* The Secret named by spec.kubeconfigSecretRef changed. */
static void cluster_link_secret_text(void *arg, const char *text, size_t len)
{
    cluster_link_use_kubeconfig(arg, text, len);
}

static void cluster_link_watch_secret(cluster_link *lk)
{
    link_secret_watch(&lk->secret, lk->env->l, lk->env->main_api, lk->spec.secret_namespace, lk->spec.secret_name,
                      lk->spec.secret_key, &lk->status, cluster_link_secret_text, lk);
}

/* ---- the ClusterLink object ---- */

/* link_status asks this whenever it acts, so it always sees the spec as it is now. */
static void cluster_link_status_facts(const void *owner, link_status_facts *out)
{
    const cluster_link *lk = owner;
    *out = (link_status_facts){.name = lk->name,
                               .is_static = lk->is_static,
                               .have_spec = lk->have_spec,
                               .deleting = lk->have_spec && lk->spec.deleting,
                               .uid = lk->have_spec ? lk->spec.uid : NULL,
                               .resource_version = lk->have_spec ? lk->spec.resource_version : NULL,
                               .other_finalizers = &lk->other_finalizers,
                               .generation = lk->generation};
}

static cluster_link *cluster_link_new(const cluster_link_env *env, const char *name)
{
    cluster_link *lk = calloc(1, sizeof *lk);
    if (lk == NULL)
        return NULL;
    lk->env = env;
    lk->name = strdup(name);
    link_status_init(&lk->status, env->l, env->writes, env->pending, env->status_interval_ms, cluster_link_status_facts,
                     lk);
    remote_cache_init(&lk->cache, cluster_link_remote_dirty, lk);
    cluster_link_set_budgets(lk);
    ns_optout_init(&lk->optout, cluster_link_ns_changed, lk);
    if (lk->name == NULL || strmap_put(env->links, name, lk, NULL) != 0) {
        link_status_free(&lk->status);
        free(lk->name);
        free(lk);
        return NULL;
    }
    return lk;
}

static void cluster_link_free_list(linkspec_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void cluster_link_destroy(cluster_link *lk)
{
    const cluster_link_env *env = lk->env;
    cluster_link_disconnect(lk);
    remote_cache_free(&lk->cache);
    ns_optout_free(&lk->optout);
    link_secret_stop(&lk->secret);
    if (lk->have_spec)
        linkspec_free(&lk->spec);
    cluster_link_free_list(&lk->other_finalizers);
    if (lk->static_text != NULL)
        text_wipe(lk->static_text, lk->static_len);
    free(lk->static_text);
    free(lk->context);
    free(lk->base_dir);
    link_status_free(&lk->status);
    cluster_link_forget_metrics(lk->name);
    strmap_del(env->links, lk->name);
    free(lk->name);
    free(lk);
}

static void cluster_link_capture_finalizers(cluster_link *lk, const json_doc *doc, int obj)
{
    cluster_link_free_list(&lk->other_finalizers);
    int fins = json_path(doc, obj, "metadata", "finalizers", NULL);
    int n = json_len(doc, fins);
    if (n <= 0 || (lk->other_finalizers.items = calloc((size_t)n, sizeof(char *))) == NULL)
        return;
    for (int f = json_arr_first(doc, fins); f >= 0; f = json_next(doc, f)) {
        if (json_str_eq(doc, f, LINKSPEC_FINALIZER))
            continue;
        char *s = json_str_dup(doc, f);
        if (s != NULL)
            lk->other_finalizers.items[lk->other_finalizers.count++] = s;
    }
}

static void cluster_link_use_inline_kubeconfig(cluster_link *lk)
{
    uint8_t *text = NULL;
    size_t len = 0, bad = 0;
    const char *b64 = lk->spec.kubeconfig_b64;
    if (b64_decode(b64, strlen(b64), &text, &len, &bad) != 0) {
        cluster_link_disconnect(lk);
        link_status_set_health(&lk->status, false, "KubeconfigInvalid",
                            "spec.kubeconfig is not valid base64 (byte %zu): give the output of base64 -w0 kubeconfig",
                            bad);
        return;
    }
    cluster_link_use_kubeconfig(lk, (const char *)text, len);
    text_wipe(text, len);
    free(text);
}

/* A spec that parses again after SpecInvalid: say what the link is doing now (nothing else
 * would, when the valid spec equals the one in use). */
static void cluster_link_restore_health(cluster_link *lk)
{
    if (strcmp(lk->status.reason, "SpecInvalid") != 0)
        return;
    if (!lk->spec.enabled)
        link_status_set_health(&lk->status, false, "Disabled", "spec.enabled is false: existing slices are kept, nothing is synced");
    else if (lk->connected && lk->cache_ready && lk->failing_since == 0)
        link_status_set_health(&lk->status, true, "Connected", "Synced from %s", lk->kcfg.server);
    else if (lk->connected)
        link_status_set_health(&lk->status, false, "Syncing", "Connecting to %s", lk->kcfg.server);
}

/* Applies the spec of a ClusterLink as it now stands; takes spec over. */
static void cluster_link_apply(cluster_link *lk, linkspec *spec)
{
    bool had = lk->have_spec;
    bool same = had && linkspec_same_spec(&lk->spec, spec);
    bool selector_changed = had && (lk->spec.service_selector == NULL) != (spec->service_selector == NULL);
    if (had && !selector_changed && spec->service_selector != NULL)
        selector_changed = strcmp(lk->spec.service_selector, spec->service_selector) != 0;
    bool namespaces_changed = had && !linkspec_same_namespaces(&lk->spec, spec);
    /* Marks made under the old mapping name the old local namespaces: queue them first. */
    if (had && !same && lk->connected)
        cluster_link_mark_all(lk);
    bool was_deleting = had && lk->spec.deleting;
    if (had)
        linkspec_free(&lk->spec);
    lk->spec = *spec;
    lk->have_spec = true;
    filter_rules_init(&lk->rules, &lk->spec, lk->env->global_included);
    cluster_link_set_budgets(lk);
    filter_rules_exclude(&lk->rules, lk->env->global_excluded);

    if (lk->spec.deleting) {
        if (!was_deleting) {
            log_kv(LOG_INFO, "link deleted: removing its slices", "link", lk->name, NULL);
            cluster_link_disconnect(lk);
            link_secret_stop(&lk->secret);
            cluster_link_mark_all(lk);
        }
        return;
    }
    if (!lk->spec.has_finalizer && !lk->is_static)
        link_status_patch_finalizers(&lk->status, true);
    cluster_link_restore_health(lk);
    /* A static link's kubeconfig is not in its spec: it is looked at below every time
     * (cluster_link_use_kubeconfig reconnects only when it changed). */
    if (same && !lk->is_static && (lk->connected || !lk->spec.enabled))
        return;
    if (!lk->spec.enabled) {
        cluster_link_disconnect(lk);
        link_secret_stop(&lk->secret);
        link_status_set_health(&lk->status, false, "Disabled", "spec.enabled is false: existing slices are kept, nothing is synced");
        return;
    }
    if ((selector_changed || namespaces_changed) && lk->connected && lk->nrefls > 0)
        cluster_link_restart_reflectors(lk, selector_changed ? "serviceSelector" : "namespace filters");
    if (lk->is_static) {
        cluster_link_use_kubeconfig(lk, lk->static_text, lk->static_len);
    } else if (lk->spec.has_secret_ref) {
        cluster_link_watch_secret(lk);
    } else {
        link_secret_stop(&lk->secret);
        cluster_link_use_inline_kubeconfig(lk);
    }
    /* New filters may allow or forbid Services: look at all of them again. */
    if (!same)
        cluster_link_mark_all(lk);
}

static bool cluster_link_str_same(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int cluster_link_dup_opt(const char *src, char **out)
{
    *out = NULL;
    return src != NULL && (*out = strdup(src)) == NULL ? -1 : 0;
}

/* Takes a new kubeconfig source; the hash check in cluster_link_use_kubeconfig then decides
 * whether to reconnect (a new context or trust forces it). */
static int cluster_link_static_source(cluster_link *lk, const cluster_link_source *src)
{
    bool same_reading = lk->trust == src->trust && cluster_link_str_same(lk->context, src->context) &&
                        cluster_link_str_same(lk->base_dir, src->base_dir);
    char *text = malloc(src->kubeconfig_len + 1);
    char *context = NULL, *base_dir = NULL;
    if (text == NULL || cluster_link_dup_opt(src->context, &context) != 0 || cluster_link_dup_opt(src->base_dir, &base_dir) != 0) {
        free(text);
        free(context);
        free(base_dir);
        return -1;
    }
    memcpy(text, src->kubeconfig, src->kubeconfig_len);
    text[src->kubeconfig_len] = '\0';
    if (lk->static_text != NULL)
        text_wipe(lk->static_text, lk->static_len);
    free(lk->static_text);
    free(lk->context);
    free(lk->base_dir);
    lk->static_text = text;
    lk->static_len = src->kubeconfig_len;
    lk->context = context;
    lk->base_dir = base_dir;
    lk->trust = src->trust;
    if (!same_reading)
        lk->kubeconfig_hash = 0;
    return 0;
}

cluster_link *cluster_link_static_upsert(const cluster_link_env *env, const char *name, linkspec *spec, const cluster_link_source *src)
{
    cluster_link *lk = strmap_get(env->links, name);
    if (lk != NULL && !lk->is_static) {
        log_kv(LOG_WARN, "a ClusterLink of that name exists: it is used, not this kubeconfig", "link", name, NULL);
        linkspec_free(spec);
        return NULL;
    }
    bool fresh = lk == NULL;
    if (fresh && (lk = cluster_link_new(env, name)) == NULL) {
        linkspec_free(spec);
        return NULL;
    }
    lk->is_static = true;
    lk->no_optout = src->no_namespace_optout;
    free(spec->name);
    spec->name = strdup(name);
    if (spec->name == NULL || cluster_link_static_source(lk, src) != 0) {
        linkspec_free(spec);
        if (fresh)
            cluster_link_destroy(lk);
        return NULL;
    }
    cluster_link_apply(lk, spec);
    return lk;
}

void cluster_link_static_remove(cluster_link *lk)
{
    if (!lk->have_spec || lk->spec.deleting)
        return;
    lk->spec.deleting = true;
    log_kv(LOG_INFO, "link removed: removing its slices", "link", lk->name, NULL);
    cluster_link_disconnect(lk);
    cluster_link_mark_all(lk);
}

cluster_link *cluster_link_upsert(const cluster_link_env *env, const json_doc *doc, int obj, uint32_t gen)
{
    char name[254];
    if (linkspec_name(doc, obj, name, sizeof name) != 0)
        return NULL;
    cluster_link *lk = strmap_get(env->links, name);
    if (lk != NULL && lk->is_static) {
        /* The ClusterLink wins over a kubeconfig file of the same name. */
        log_kv(LOG_WARN, "a ClusterLink replaces the kubeconfig-file link of the same name", "link", name, NULL);
        cluster_link_mark_all(lk);
        cluster_link_destroy(lk);
        lk = NULL;
    }
    if (lk == NULL && (lk = cluster_link_new(env, name)) == NULL)
        return NULL;
    lk->gen = gen;
    if (json_int64(doc, json_path(doc, obj, "metadata", "generation", NULL), &lk->generation) != JSON_OK)
        lk->generation = 0;
    link_status_parse(&lk->status.observed, doc, obj);
    cluster_link_capture_finalizers(lk, doc, obj);
    linkspec spec;
    char err[400];
    if (linkspec_parse(doc, obj, &spec, err, sizeof err) != 0) {
        /* Keep what is synced; say what is wrong. */
        link_status_set_health(&lk->status, false, "SpecInvalid", "invalid spec: %s", err);
        return lk;
    }
    cluster_link_apply(lk, &spec);
    link_status_schedule(&lk->status);
    return lk;
}
