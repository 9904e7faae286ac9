/* engine: wires the main cluster's reflectors (ClusterLinks, Services, our EndpointSlices)
 * and the links to a queue of dirty Services; each pass plans a Service and runs the writes. */
#include "controller/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "write/apply.h"
#include "link/cluster_link.h"
#include "net/dns.h"
#include "net/httpd.h"
#include "json/json.h"
#include "kubeconfig/kcfg.h"
#include "kube/cluster_client.h"
#include "controller/lease.h"
#include "base/log.h"
#include "net/loop.h"
#include "cache/main_view.h"
#include "base/metrics.h"
#include "reconcile/plan.h"
#include "reconcile/policy_watch.h"
#include "controller/probe.h"
#include "kube/reflector.h"
#include "cache/slice.h"
#include "base/strmap.h"
#include "version.h"
#include "write/write_queue.h"

#define ENGINE_KEYS_PER_PASS 200
/* A pass stops planning while this many writes wait unsent, and writes' answers start the
 * next one: a rendered write costs about 2 KiB (body and op), so queueing all of 10,000
 * Services' writes at once would cost 20 MiB; dirty keys wait in e->dirty instead. */
#define ENGINE_QUEUE_HIGH 32
#define ENGINE_DEFAULT_LEASE_NS "cloudpilot"
/* SIGTERM: how long in-flight writes and the Lease release may take before exiting anyway. */
#define ENGINE_STOP_GRACE_MS 3000

typedef struct engine engine;

typedef struct {
    engine *e;
    kube_kind kind; /* ClusterLinks, Services, or our EndpointSlices */
} main_refl;

struct engine {
    const options *opts;
    linkspec_list global_included;
    linkspec_list global_excluded;
    loop *l;
    dns_resolver *dns;
    kcfg_config main_cfg;
    cluster_client main;
    main_refl mrefl[3];
    reflector *main_refls[3]; /* ClusterLinks, Services, our EndpointSlices */
    bool main_failing[3];
    bool links_synced;
    main_view view;
    policy_watch *pw;     /* the main cluster's own addresses, for the address policy */
    strmap links;       /* name -> cluster_link* (each owned by this map: cluster_link_destroy) */
    uint32_t links_gen;
    cluster_link_env env;    /* what links borrow from us */
    strmap dirty;       /* "ns/svc" -> loop ms it first became dirty */
    loop_timer_id pass_timer;
    loop_timer_id resync_timer;
    write_queue writes;
    apply_state apply; /* runs plans as writes and books the answers */
    int sig_pipe[2];
    /* Leader election: only a replica with leading set writes anything. */
    lease *lease;     /* NULL when --leader-elect is off */
    char identity[200]; /* this replica's name: in the Lease, and in /leader */
    bool leading;
    bool stopping;    /* SIGTERM seen: draining writes, then releasing the Lease */
    int exit_status;
    uint64_t drain_deadline_ms;
    httpd *http;
    engine_hooks hooks;
};

static void engine_schedule_pass(engine *e);
static void engine_maybe_pass(engine *e);

static void engine_set_leading(engine *e, bool leading)
{
    e->leading = leading;
    write_queue_set_leading(&e->writes, leading);
}

/* ---- the dirty queue ---- */

static void engine_mark_dirty(void *arg, const char *ns, const char *name)
{
    engine *e = arg;
    char key[WRITE_QUEUE_KEY_MAX];
    /* A follower queues nothing: becoming leader reconciles everything anyway. */
    if (!e->leading || strmap_key(key, ns, name) != 0)
        return;
    /* The value is when the Service first became dirty: the start of its propagation. */
    if (strmap_get(&e->dirty, key) == NULL && strmap_put(&e->dirty, key, (void *)(uintptr_t)loop_now_ms(), NULL) != 0)
        return;
    /* Scheduled even when the key was queued already: a pass that found the main view
     * unsynced left its keys queued without a pass to come. */
    engine_schedule_pass(e);
}

static void engine_mark_everything(engine *e)
{
    for (strmap_iter it = strmap_iter_start(&e->links); strmap_iter_ok(&it); strmap_iter_next(&it))
        cluster_link_mark_all(it.e->value);
    for (strmap_iter it = strmap_iter_start(&e->view.slices); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        main_view_slice *s = it.e->value;
        engine_mark_dirty(e, s->ns, s->service);
    }
    main_view_mark_created(&e->view);
}


/* ---- running a plan ---- */

/* Sorted by name, so every pass visits links in the same order. */
static int engine_cmp_links(const void *a, const void *b)
{
    return strcmp(((const plan_link *)a)->name, ((const plan_link *)b)->name);
}

/* The links as plan sees them, each with its address policy (pols[i]: the main cluster's
 * deny sets, --allowed-cidrs and the link's spec.allowedCIDRs). */
static size_t engine_plan_links(engine *e, plan_link **out, addrpol **pols)
{
    size_t n = strmap_count(&e->links), i = 0;
    *out = calloc(n ? n : 1, sizeof **out);
    *pols = calloc(n ? n : 1, sizeof **pols);
    if (*out == NULL || *pols == NULL) {
        free(*out);
        free(*pols);
        *out = NULL;
        *pols = NULL;
        return 0;
    }
    for (strmap_iter it = strmap_iter_start(&e->links); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        const cluster_link *lk = it.e->value;
        addrpol *p = &(*pols)[i];
        policy_watch_policy(e->pw, p);
        p->allow_global = &e->opts->allowed_cidrs;
        p->allow_link = lk->have_spec ? &lk->spec.allowed_cidrs : NULL;
        int create = lk->have_spec ? lk->spec.create_services : LINKSPEC_UNSET;
        (*out)[i++] = (plan_link){.name = lk->name, .mode = cluster_link_mode(lk), .rules = &lk->rules,
                                  .cache = &lk->cache,
                                  .create_services = create == LINKSPEC_UNSET ? e->opts->sync_services_to_local_cluster
                                                                              : create == 1,
                                  .nsmap = lk->have_spec ? &lk->spec.namespace_mapping : NULL, .policy = p,
                                  .optout = &lk->optout};
    }
    qsort(*out, n, sizeof **out, engine_cmp_links);
    return n;
}

static void engine_reconcile(engine *e, const char *key)
{
    char ns[64];
    const char *svc;
    if (strmap_key_split(key, ns, &svc) != 0)
        return;
    plan_link *links = NULL;
    addrpol *pols = NULL;
    size_t n = engine_plan_links(e, &links, &pols);
    plan_input in = {.ns = ns, .svc = svc, .view = &e->view, .links = links, .nlinks = n,
                     .links_known = e->links_synced};
    plan_output out;
    if (links == NULL || plan_service(&in, &out) != 0) {
        log_kv(LOG_ERROR, "out of memory reconciling a Service", "ns", ns, "service", svc, NULL);
        free(links);
        free(pols);
        return;
    }
    for (size_t i = 0; i < out.nactions; i++)
        apply_action(&e->apply, &out.actions[i], ns, svc, key);
    if (out.mode_note != NULL)
        log_kv(LOG_WARN, out.mode_note, "ns", ns, "service", svc, "error", out.mode_detail, NULL);
    if (out.ignored_link != NULL)
        log_kv(LOG_INFO, "ExternalName differs between links: the creating link's target is kept", "ns", ns,
               "service", svc, "link", out.ignored_link, NULL);
    for (size_t i = 0; i < out.ncounts; i++) {
        cluster_link *lk = strmap_get(&e->links, out.counts[i].link);
        if (lk != NULL) {
            link_status_count(&lk->status, key, out.counts[i].endpoints);
            link_status_drops(&lk->status, key, out.drops, out.ndrops);
        }
    }
    plan_output_free(&out);
    free(links);
    free(pols);
}

static void engine_on_pass(loop *l, void *arg)
{
    (void)l;
    engine *e = arg;
    e->pass_timer = 0;
    /* Nothing is written before the main cluster's own view is complete. */
    if (!e->view.svcs_synced || !e->view.slices_synced || !e->links_synced || !policy_watch_ready(e->pw))
        return;
    if (!e->leading)
        return; /* stopping: what is queued is the next leader's */
    int done = 0;
    for (strmap_iter it = strmap_iter_start(&e->dirty);
         strmap_iter_ok(&it) && done < ENGINE_KEYS_PER_PASS && write_queue_queued(&e->writes) < ENGINE_QUEUE_HIGH;
         strmap_iter_next(&it), done++) {
        char key[WRITE_QUEUE_KEY_MAX];
        snprintf(key, sizeof key, "%s", it.e->key);
        write_queue_set_since(&e->writes, (uint64_t)(uintptr_t)strmap_del(&e->dirty, key));
        engine_reconcile(e, key);
        write_queue_set_since(&e->writes, 0);
    }
    engine_maybe_pass(e);
}

static void engine_schedule_pass(engine *e)
{
    if (e->pass_timer == 0)
        e->pass_timer = loop_timer_add(e->l, 0, engine_on_pass, e);
}

/* Another pass when keys are left and the queue has room; a full queue's answers call
 * this again (engine_on_written). */
static void engine_maybe_pass(engine *e)
{
    if (strmap_count(&e->dirty) > 0 && write_queue_queued(&e->writes) < ENGINE_QUEUE_HIGH)
        engine_schedule_pass(e);
}

/* ---- answers to our writes ---- */

static void engine_on_written(void *arg, const write_queue_op *op, const apiclient_response *resp)
{
    engine *e = arg;
    if (op->what == WRITE_QUEUE_STATUS || op->what == WRITE_QUEUE_FINALIZER) {
        cluster_link *lk = strmap_get(&e->links, op->link);
        if (lk != NULL)
            link_status_written(&lk->status, op->what == WRITE_QUEUE_FINALIZER, resp->status >= 200 && resp->status < 300);
    }
    char what[160];
    if (apply_written(&e->apply, op, resp) && op->link[0] != '\0' &&
        write_refusals_describe(op->kind, op->method, op->ns, what, sizeof what)) {
        cluster_link *lk = strmap_get(&e->links, op->link);
        if (lk != NULL)
            link_status_write_refused(&lk->status, what);
    }
    engine_maybe_pass(e);
}

/* ---- main-cluster reflectors ---- */

static void engine_link_gone(engine *e, cluster_link *lk)
{
    (void)e;
    cluster_link_mark_all(lk);
    cluster_link_destroy(lk);
}

static void main_refl_begin(void *arg)
{
    main_refl *mr = arg;
    engine *e = mr->e;
    if (mr->kind == KUBE_KIND_CLUSTER_LINK)
        e->links_gen++;
    else
        main_view_list_begin(&e->view, mr->kind);
}

static void main_refl_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    main_refl *mr = arg;
    engine *e = mr->e;
    if (mr->kind != KUBE_KIND_CLUSTER_LINK) {
        if (mr->kind == KUBE_KIND_SERVICE)
            policy_watch_service(e->pw, op, doc, obj);
        if (op == REFLECTOR_DELETE)
            main_view_delete(&e->view, mr->kind, doc, obj);
        else
            main_view_upsert(&e->view, mr->kind, doc, obj);
        return;
    }
    if (op == REFLECTOR_UPSERT) {
        cluster_link_upsert(&e->env, doc, obj, e->links_gen);
        return;
    }
    char name[254];
    cluster_link *lk = linkspec_name(doc, obj, name, sizeof name) == 0 ? strmap_get(&e->links, name) : NULL;
    if (lk != NULL) {
        log_kv(LOG_INFO, "link gone", "link", name, NULL);
        engine_link_gone(e, lk);
    }
}

static void main_refl_end(void *arg)
{
    main_refl *mr = arg;
    engine *e = mr->e;
    if (mr->kind == KUBE_KIND_CLUSTER_LINK) {
        /* Links not in the new list are gone; destroying one changes the map, so restart. */
        bool again = true;
        while (again) {
            again = false;
            for (strmap_iter it = strmap_iter_start(&e->links); strmap_iter_ok(&it); strmap_iter_next(&it)) {
                cluster_link *lk = it.e->value;
                if (!lk->is_static && lk->gen != e->links_gen) {
                    engine_link_gone(e, lk);
                    again = true;
                    break;
                }
            }
        }
        e->links_synced = true;
    } else {
        main_view_list_end(&e->view, mr->kind);
    }
    /* Once all three are listed, look at everything: this is where orphans from links
     * deleted while svclink was down are found. */
    if (e->links_synced && e->view.svcs_synced && e->view.slices_synced)
        engine_mark_everything(e);
}

static void main_refl_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    main_refl *mr = arg;
    (void)transport;
    mr->e->main_failing[mr - mr->e->mrefl] = st == REFLECTOR_FAILING;
    if (st == REFLECTOR_FAILING)
        log_kv(LOG_ERROR, "main cluster watch failing", "resource",
               kube_kind_resource(mr->kind), "status",
               status == 0 ? "none" : status == 403 ? "403" : status == 404 ? "404" : "error", "error", reason, NULL);
}

static const reflector_handlers main_refl_handlers = {main_refl_begin, main_refl_object, main_refl_end, main_refl_state};

/* ---- periodic resync and leadership ---- */

static void engine_schedule_all_status(engine *e)
{
    for (strmap_iter it = strmap_iter_start(&e->links); strmap_iter_ok(&it); strmap_iter_next(&it))
        link_status_schedule(&((cluster_link *)it.e->value)->status);
}

static void engine_on_resync(loop *l, void *arg)
{
    engine *e = arg;
    engine_mark_everything(e);
    engine_schedule_all_status(e);
    e->resync_timer = loop_timer_add(l, e->opts->sync_interval_ms, engine_on_resync, e);
}

static void engine_on_tick(loop *l, void *arg)
{
    engine *e = arg;
    /* A static link that is clean is destroyed; that changes the map, so start over. */
    bool again = true;
    while (again) {
        again = false;
        for (strmap_iter it = strmap_iter_start(&e->links); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            if (cluster_link_release_if_clean(it.e->value)) {
                cluster_link_destroy(it.e->value);
                again = true;
                break;
            }
        }
    }
    loop_timer_add(l, 1000, engine_on_tick, e);
}

static void engine_on_leadership(void *arg, bool leading)
{
    engine *e = arg;
    if (!leading) {
        /* Exit rather than step down: an in-flight write cannot be taken back, and a
         * fresh process starts as a clean follower (the kubelet restarts it). */
        engine_set_leading(e, false);
        e->exit_status = 1;
        loop_stop(e->l);
        return;
    }
    if (e->stopping)
        return;
    engine_set_leading(e, true);
    /* The caches are warm: one pass over everything brings the slices up to date. */
    engine_mark_everything(e);
    engine_schedule_all_status(e);
}

static int engine_start_lease(engine *e)
{
    if (e->opts->lease_identity != NULL)
        snprintf(e->identity, sizeof e->identity, "%s", e->opts->lease_identity);
    else
        lease_default_identity(e->identity, sizeof e->identity);
    if (!e->opts->leader_elect) {
        engine_set_leading(e, true);
        return 0;
    }
    char ns[80];
    if (e->opts->lease_namespace != NULL)
        snprintf(ns, sizeof ns, "%s", e->opts->lease_namespace);
    else
        lease_default_namespace(ENGINE_DEFAULT_LEASE_NS, ns, sizeof ns);
    lease_config lc = {.ns = ns,
                       .name = e->opts->lease_name != NULL ? e->opts->lease_name : "svclink",
                       .identity = e->identity,
                       .duration_ms = e->opts->lease_duration_ms,
                       .renew_deadline_ms = e->opts->renew_deadline_ms,
                       .retry_ms = e->opts->retry_period_ms};
    e->lease = lease_new(e->l, e->main.api, &lc, engine_on_leadership, e);
    if (e->lease == NULL)
        return -1;
    lease_start(e->lease);
    return 0;
}

/* ---- health, readiness, leader and metrics over HTTP ---- */

static void engine_http(void *arg, const httpd_request *req, httpd_reply *reply)
{
    engine *e = arg;
    char blocked[420];
    probe_view v = {.leading = e->leading, .lease = e->lease, .links_synced = e->links_synced,
                    .svcs_synced = e->view.svcs_synced, .slices_synced = e->view.slices_synced,
                    .main_failing = e->main_failing, .links = &e->links,
                    .leader_text = e->hooks.leader_text, .identity = e->identity};
    char refused[160];
    if (e->pw != NULL && policy_watch_blocked(e->pw, blocked, sizeof blocked)) {
        v.blocked = blocked;
    } else if (write_refusals_current(&e->apply.refusals, loop_now_ms(), refused, sizeof refused)) {
        snprintf(blocked, sizeof blocked,
                 "the main cluster refuses svclink's writes: %s; grant that verb on that resource to svclink's "
                 "ServiceAccount (the writes are retried with backoff)",
                 refused);
        v.blocked = blocked;
    }
    probe_reply(&v, req, reply);
}

static int engine_start_http(engine *e)
{
    if (e->opts->http_address == NULL)
        return 0;
    char host[256], err[300];
    uint16_t port;
    if (options_split_host_port(e->opts->http_address, host, sizeof host, &port) != 0)
        return -1; /* options has validated it already */
    e->http = httpd_new(e->l, host, port, engine_http, e, err, sizeof err);
    if (e->http == NULL) {
        log_kv(LOG_ERROR, "cannot serve health and metrics", "address", e->opts->http_address, "error", err, NULL);
        return -1;
    }
    char bound[300];
    snprintf(bound, sizeof bound, "%s%s%s:%u", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
             (unsigned)httpd_port(e->http));
    log_kv(LOG_INFO, "serving /healthz /readyz /health /ready /leader /metrics", "address", bound, NULL);
    return 0;
}

/* ---- signals ---- */

static int engine_sig_write_fd = -1;

static void engine_on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(engine_sig_write_fd, "x", 1);
    (void)ignored;
    errno = saved;
}

static void engine_on_released(void *arg)
{
    engine *e = arg;
    loop_stop(e->l);
}

/* Waits for the writes already sent (none new start: leading is off), then gives the
 * Lease up, so the next leader never overlaps with a write of ours. */
static void engine_on_drain(loop *l, void *arg)
{
    engine *e = arg;
    if (!write_queue_idle(&e->writes) && loop_now_ms() < e->drain_deadline_ms) {
        loop_timer_add(l, 10, engine_on_drain, e);
        return;
    }
    lease_release(e->lease, engine_on_released, e);
}

static void engine_on_stop_deadline(loop *l, void *arg)
{
    (void)arg;
    log_kv(LOG_WARN, "stopping without a clean hand-over: writes or the lease release took too long", NULL);
    loop_stop(l);
}

static void engine_on_sigpipe(loop *l, int fd, short revents, void *arg)
{
    (void)revents;
    engine *e = arg;
    char drain[16];
    while (read(fd, drain, sizeof drain) > 0) {
    }
    if (e->stopping) {
        loop_stop(l); /* a second signal: no more waiting */
        return;
    }
    e->stopping = true;
    log_kv(LOG_INFO, "signal received, stopping", NULL);
    if (e->lease == NULL || !lease_leading(e->lease)) {
        if (e->lease != NULL)
            lease_release(e->lease, engine_on_released, e);
        else
            loop_stop(l);
        return;
    }
    engine_set_leading(e, false);
    e->drain_deadline_ms = loop_now_ms() + ENGINE_STOP_GRACE_MS;
    loop_timer_add(l, ENGINE_STOP_GRACE_MS + 1000, engine_on_stop_deadline, e);
    engine_on_drain(l, e);
}

static int engine_signals(engine *e)
{
    if (pipe(e->sig_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(e->sig_pipe[i], F_SETFL, O_NONBLOCK);
        fcntl(e->sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    engine_sig_write_fd = e->sig_pipe[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = engine_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return loop_fd_add(e->l, e->sig_pipe[0], POLLIN, engine_on_sigpipe, e);
}

/* ---- start and stop ---- */

/* The main cluster's own addresses changed (or became known): plan everything again. */
static void engine_on_policy(void *arg)
{
    engine *e = arg;
    engine_mark_everything(e);
}

static int engine_load_main(engine *e)
{
    kcfg_error kcfg_err;
    int rc = e->opts->kubeconfig_path != NULL
                 ? kcfg_load_file(e->opts->kubeconfig_path, e->opts->kubeconfig_context, &e->main_cfg, &kcfg_err)
                 : kcfg_in_cluster(NULL, &e->main_cfg, &kcfg_err);
    if (rc != 0) {
        log_kv(LOG_ERROR, "cannot load the main cluster's configuration", "kubeconfig",
               e->opts->kubeconfig_path ? e->opts->kubeconfig_path : "in-cluster", "error", kcfg_err.msg, NULL);
        return -1;
    }
    char err[512];
    if (cluster_client_open(&e->main, e->l, e->dns, "main", &e->main_cfg, err, sizeof err) != 0) {
        log_kv(LOG_ERROR, "cannot use the main cluster's configuration", "error", err, NULL);
        kcfg_free(&e->main_cfg);
        return -1;
    }
    write_queue_init(&e->writes, e->main.api, engine_on_written, e);
    apply_init(&e->apply, e->l, &e->writes, &e->view, engine_mark_dirty, e);
    e->apply.label_key = e->hooks.service_label_key;
    e->apply.label_value = e->hooks.service_label_value;
    e->env = (cluster_link_env){.l = e->l, .dns = e->dns, .main_api = e->main.api, .writes = &e->writes,
                         .view = &e->view, .global_included = &e->global_included,
                         .global_excluded = &e->global_excluded,
                         .status_interval_ms = e->opts->status_interval_ms, .links = &e->links,
                         .mark_dirty = engine_mark_dirty, .arg = e, .pending = &e->dirty,
                         .max_services = e->opts->max_services_per_link,
                         .max_endpoints = e->opts->max_endpoints_per_link};
    policy_watch_config pc = {.service_cidrs = &e->opts->service_cidrs, .server = &e->main_cfg.url.host,
                          .changed = engine_on_policy, .arg = e};
    e->pw = policy_watch_new(e->l, e->main.api, &pc);
    if (e->pw == NULL) {
        log_kv(LOG_ERROR, "out of memory at start-up", NULL);
        return -1;
    }
    return 0;
}

/* The main cluster's Services and our slices: everywhere, or (svclink mirror) in one
 * namespace and only the one link's slices, which is also all its RBAC allows. */
static int engine_main_paths(engine *e, char paths[3][300], char *slice_selector, size_t sellen)
{
    const char *ns = e->hooks.main_namespace;
    int n1 = snprintf(paths[0], 300, "%s", LINKSPEC_API_PATH);
    int n2 = snprintf(paths[1], 300, ns ? "/api/v1/namespaces/%s/services" : "/api/v1/services", ns);
    int n3 = snprintf(paths[2], 300,
                      ns ? "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices"
                         : "/apis/discovery.k8s.io/v1/endpointslices",
                      ns);
    const char *own = e->hooks.own_link;
    int n4 = snprintf(slice_selector, sellen, "%s=%s%s%s", SLICE_LABEL_MANAGED_BY, SLICE_MANAGED_BY,
                      own ? "," SLICE_LABEL_CLUSTER "=" : "", own ? own : "");
    bool ok = n1 > 0 && n1 < 300 && n2 > 0 && n2 < 300 && n3 > 0 && n3 < 300 && n4 > 0 && (size_t)n4 < sellen;
    if (!ok)
        log_kv(LOG_ERROR, "main-cluster watch path too long", "namespace", ns ? ns : "", NULL);
    return ok ? 0 : -1;
}

static int engine_start_main(engine *e)
{
    char paths[3][300], selector[200];
    static const kube_kind kinds[3] = {KUBE_KIND_CLUSTER_LINK, KUBE_KIND_SERVICE, KUBE_KIND_ENDPOINT_SLICE};
    if (engine_main_paths(e, paths, selector, sizeof selector) != 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        e->mrefl[i].e = e;
        e->mrefl[i].kind = kinds[i];
        if (kinds[i] == KUBE_KIND_CLUSTER_LINK && e->hooks.no_clusterlinks) {
            e->links_synced = true; /* the hook's links are all there are */
            continue;
        }
        reflector_config rc = {.path = paths[i],
                          .label_selector = kinds[i] == KUBE_KIND_ENDPOINT_SLICE ? selector : NULL};
        e->main_refls[i] = reflector_new(e->l, e->main.api, &rc, &main_refl_handlers, &e->mrefl[i]);
        if (e->main_refls[i] == NULL)
            return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (e->main_refls[i] != NULL)
            reflector_start(e->main_refls[i]);
    }
    policy_watch_start(e->pw);
    return 0;
}

static void engine_cleanup(engine *e)
{
    lease_free(e->lease);
    httpd_free(e->http);
    while (strmap_count(&e->links) > 0) {
        strmap_iter it = strmap_iter_start(&e->links);
        cluster_link_destroy(it.e->value);
    }
    strmap_free(&e->links);
    for (int i = 0; i < 3; i++)
        reflector_free(e->main_refls[i]);
    policy_watch_free(e->pw);
    write_queue_free(&e->writes);
    apply_free(&e->apply);
    strmap_free(&e->dirty);
    main_view_free(&e->view);
    if (e->main.api != NULL)
        cluster_client_close(&e->main);
    kcfg_free(&e->main_cfg);
    dns_free(e->dns);
    loop_free(e->l);
    metrics_reset();
    for (int i = 0; i < 2; i++) {
        if (e->sig_pipe[i] > 0)
            close(e->sig_pipe[i]);
    }
}

int engine_run(const options *opts)
{
    engine_hooks none = {0};
    return engine_run_with(opts, &none);
}

int engine_run_with(const options *opts, const engine_hooks *hooks)
{
    engine e;
    memset(&e, 0, sizeof e);
    e.opts = opts;
    e.hooks = *hooks;
    e.global_included.items = opts->included_namespaces;
    e.global_included.count = opts->included_namespace_count;
    e.global_excluded.items = opts->excluded_namespaces;
    e.global_excluded.count = opts->excluded_namespace_count;
    strmap_init(&e.links);
    strmap_init(&e.dirty);
    main_view_init(&e.view, engine_mark_dirty, &e);
    e.view.only_source = hooks->own_link;
    log_setup((log_level)opts->log_level, opts->log_json);
    char build[200];
    metrics_labels(build, sizeof build, "version", SVCLINK_VERSION, NULL);
    metrics_set(METRICS_BUILD_INFO, build, 1);
    e.l = loop_new();
    e.dns = e.l != NULL ? dns_new(e.l) : NULL;
    int status = 1;
    if (e.dns == NULL || engine_signals(&e) != 0) {
        log_kv(LOG_ERROR, "out of memory at start-up", NULL);
    } else if (engine_load_main(&e) == 0) {
        char interval[32];
        snprintf(interval, sizeof interval, "%llums", (unsigned long long)opts->sync_interval_ms);
        log_kv(LOG_INFO, "svclink starting", "server", e.main_cfg.server, "syncInterval", interval,
               "syncServicesToLocalCluster", opts->sync_services_to_local_cluster ? "true" : "false", NULL);
        if (engine_start_http(&e) == 0 && engine_start_lease(&e) == 0 &&
            (hooks->add_links == NULL || hooks->add_links(hooks->arg, &e.env, e.l) == 0) &&
            engine_start_main(&e) == 0) {
            e.resync_timer = loop_timer_add(e.l, opts->sync_interval_ms, engine_on_resync, &e);
            loop_timer_add(e.l, 1000, engine_on_tick, &e);
            status = loop_run(e.l) == 0 ? e.exit_status : 1;
            log_kv(LOG_INFO, "svclink stopped", NULL);
        }
    }
    engine_cleanup(&e);
    return status;
}
