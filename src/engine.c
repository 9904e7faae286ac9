/* engine: wires the main cluster's reflectors (ClusterLinks, Services, our EndpointSlices,
 * kubeconfig Secrets) and one remote view per link to a queue of dirty Services, and
 * reconciles each: compute the wanted slices, compare hashes, write only the differences. */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "dns.h"
#include "filter.h"
#include "hsrv.h"
#include "json.h"
#include "kcfg.h"
#include "kconn.h"
#include "lease.h"
#include "linkspec.h"
#include "log.h"
#include "loop.h"
#include "lview.h"
#include "metrics.h"
#include "rcache.h"
#include "refl.h"
#include "slice.h"
#include "smap.h"
#include "txt.h"
#include "version.h"

#define ENGINE_KEY_MAX 320
#define ENGINE_MAX_WRITES_IN_FLIGHT 8
#define ENGINE_KEYS_PER_PASS 200
#define ENGINE_CLUSTERLINKS "/apis/svclink.cloudpilot.ai/v1alpha1/clusterlinks"
#define ENGINE_EVENTS_NS "default"
#define ENGINE_SA_NAMESPACE_FILE "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
#define ENGINE_DEFAULT_LEASE_NS "cloudpilot"
/* SIGTERM: how long in-flight writes and the Lease release may take before exiting anyway. */
#define ENGINE_STOP_GRACE_MS 3000

typedef struct engine engine;
typedef struct clink clink;

/* How the reconciler treats one link's slices for a Service. */
typedef enum {
    LINK_KEEP,   /* leave them exactly as they are (disabled, not yet synced, partitioned) */
    LINK_MANAGE, /* make them equal to the remote view */
    LINK_EMPTY   /* remove them (link deleted, or its endpoints went stale) */
} link_mode;

/* One reflector of a link, so its callbacks know which link and which kind. */
typedef struct {
    clink *lk;
    char kind; /* 's' Services, 'e' EndpointSlices */
    refl *r;
    bool synced;
    bool listing;
    bool over_budget; /* its cache refused an object: the failure is LimitExceeded */
} link_refl;

typedef struct {
    bool ready;
    char reason[32];
    char message[512];
    char transition[32];
    char remote_version[64];
    char last_sync[32];
    int64_t observed_generation;
    int64_t services, endpoints;
    bool present; /* the object had a status at all */
} link_status;

struct clink {
    engine *e;
    char *name;
    linkspec spec;
    bool have_spec;
    uint32_t gen;
    /* kubeconfig source */
    uint64_t kubeconfig_hash;  /* of the decoded text in use; 0: none */
    refl *secret_refl;
    char secret_target[600];   /* "ns/name/key" the secret reflector serves */
    char *secret_text;         /* decoded kubeconfig from the Secret (owned, wiped) */
    bool secret_seen;
    /* remote */
    kcfg_config kcfg;
    bool have_kcfg;
    kconn conn;
    bool connected;
    link_refl *refls;
    size_t nrefls;
    rcache cache;
    bool cache_ready;          /* every reflector has listed once since connecting */
    kapi_req *version_req;
    filter_rules rules;
    /* health */
    char reason[32];
    char message[512];
    bool ready;
    uint64_t failing_since;    /* loop ms; 0 when healthy */
    loop_timer_id stale_timer;
    bool stale;
    bool ever_synced;
    char remote_version[64];
    char last_sync[32];
    /* status */
    link_status observed;
    link_status written;       /* what our last PATCH said (valid when status_written) */
    bool status_written;
    loop_timer_id status_timer;
    bool status_inflight;
    bool finalizer_inflight;
    smap counts;               /* "ns/svc" -> endpoints written from this link (+1) */
    linkspec_list other_finalizers; /* metadata.finalizers except ours (owned) */
    int64_t total_endpoints;
};

typedef struct {
    engine *e;
    char kind; /* 'l' ClusterLinks, 's' Services, 'e' our EndpointSlices */
} main_refl;

typedef struct write_op {
    struct write_op *next;
    char method[8];
    char *path;
    char *body;
    size_t body_len;
    const char *ctype;
    char kind[24];
    char ns[64];
    char name[254];
    char key[ENGINE_KEY_MAX]; /* the Service to reconcile again once done; "" none */
    char link[254];           /* for finalizer and status writes */
    int what;                 /* WRITE_* */
    uint64_t since_ms;        /* when the change behind it was seen (loop ms); 0: unknown */
} write_op;

enum { WRITE_SLICE, WRITE_SERVICE, WRITE_NAMESPACE, WRITE_STATUS, WRITE_FINALIZER, WRITE_EVENT };

struct engine {
    const cfg_options *opts;
    linkspec_list global_included;
    loop *l;
    dns_resolver *dns;
    kcfg_config main_cfg;
    kconn main;
    main_refl mrefl[3];
    refl *main_refls[3]; /* ClusterLinks, Services, our EndpointSlices */
    bool links_synced;
    lview view;
    smap links;     /* name -> clink* */
    uint32_t links_gen;
    smap dirty;     /* "ns/svc" -> (void*)1 */
    loop_timer_id pass_timer;
    loop_timer_id resync_timer;
    write_op *wq_head, *wq_tail;
    int writes_in_flight;
    smap pending_svc; /* "ns/svc" -> 1 while a Service or Namespace create is in flight */
    smap inflight;    /* "ns/slice" -> 1 while a write of that slice is in flight */
    int sig_pipe[2];
    json_doc scratch;
    /* Leader election: only a replica with leading set writes anything. */
    lease *lease;        /* NULL when --leader-elect is off */
    bool leading;
    bool stopping;       /* SIGTERM seen: draining writes, then releasing the Lease */
    int exit_status;
    uint64_t drain_deadline_ms;
    uint64_t current_since; /* since_ms of the Service being reconciled */
    hsrv *http;
    bool main_failing[3];
};

static void engine_mark_dirty(void *arg, const char *ns, const char *name);
static void engine_schedule_pass(engine *e);
static void link_schedule_status(clink *lk);
static void link_mark_all(clink *lk);

/* ---- small helpers ---- */

static void engine_now_rfc3339(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int engine_key(char *key, const char *ns, const char *name)
{
    int n = snprintf(key, ENGINE_KEY_MAX, "%s/%s", ns, name);
    return n > 0 && n < ENGINE_KEY_MAX ? 0 : -1;
}

/* A deleted link leaves no series behind: link names come and go, metrics must not grow. */
static void engine_forget_link_metrics(const char *name)
{
    char needle[300];
    metrics_labels(needle, sizeof needle, "link", name, NULL);
    for (int f = METRICS_LINK_CONNECTED; f <= METRICS_LINK_LAST_SYNC; f++)
        metrics_forget((metrics_family)f, needle);
    metrics_labels(needle, sizeof needle, "cluster", name, NULL);
    metrics_forget(METRICS_WATCH_RESTARTS, needle);
    metrics_forget(METRICS_API_REQUESTS, needle);
}

/* ---- the write queue: at most ENGINE_MAX_WRITES_IN_FLIGHT requests to the main cluster ---- */

static void engine_write_next(engine *e);
static void engine_on_written(void *arg, const kapi_response *resp);

typedef struct {
    engine *e;
    write_op *op;
} write_ctx;

static void engine_write_free(write_op *op)
{
    free(op->path);
    free(op->body);
    free(op);
}

static void engine_send(engine *e, write_op *op)
{
    write_ctx *ctx = malloc(sizeof *ctx);
    if (ctx == NULL) {
        engine_write_free(op);
        return;
    }
    ctx->e = e;
    ctx->op = op;
    e->writes_in_flight++;
    /* key is "ns/service" for writes made for a Service; "" for link status and Events. */
    const char *slash = strchr(op->key, '/');
    log_kv(LOG_INFO, "write", "verb", op->method, "kind", op->kind, "ns", op->ns, "name", op->name, "service",
           slash != NULL ? slash + 1 : "", "link", op->link, NULL);
    if (kapi_request(e->main.api, op->method, op->path, op->ctype, op->body, op->body_len, engine_on_written, ctx) ==
        NULL) {
        kapi_response fail = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        engine_on_written(ctx, &fail);
    }
}

static void engine_write_next(engine *e)
{
    /* A replica that does not lead sends nothing, whatever was queued before. */
    while (e->leading && e->writes_in_flight < ENGINE_MAX_WRITES_IN_FLIGHT && e->wq_head != NULL) {
        write_op *op = e->wq_head;
        e->wq_head = op->next;
        if (e->wq_head == NULL)
            e->wq_tail = NULL;
        engine_send(e, op);
    }
}

/* Queues a write; body is taken over (freed with the op). */
static void engine_write(engine *e, int what, const char *method, const char *path, const char *ctype, char *body,
                         size_t body_len, const char *kind, const char *ns, const char *name, const char *key,
                         const char *link_name)
{
    write_op *op = calloc(1, sizeof *op);
    char *p = strdup(path);
    if (op == NULL || p == NULL) {
        free(op);
        free(p);
        free(body);
        return;
    }
    op->what = what;
    snprintf(op->method, sizeof op->method, "%s", method);
    op->path = p;
    op->body = body;
    op->body_len = body_len;
    op->ctype = ctype;
    snprintf(op->kind, sizeof op->kind, "%s", kind);
    snprintf(op->ns, sizeof op->ns, "%s", ns ? ns : "");
    snprintf(op->name, sizeof op->name, "%s", name ? name : "");
    snprintf(op->key, sizeof op->key, "%s", key ? key : "");
    snprintf(op->link, sizeof op->link, "%s", link_name ? link_name : "");
    op->since_ms = e->current_since;
    if (e->wq_tail != NULL)
        e->wq_tail->next = op;
    else
        e->wq_head = op;
    e->wq_tail = op;
    engine_write_next(e);
}

static void engine_requeue_key(engine *e, const char *key)
{
    if (key[0] == '\0')
        return;
    const char *slash = strchr(key, '/');
    if (slash == NULL)
        return;
    char ns[64];
    snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
    engine_mark_dirty(e, ns, slash + 1);
}

static void engine_on_written(void *arg, const kapi_response *resp)
{
    write_ctx *ctx = arg;
    engine *e = ctx->e;
    write_op *op = ctx->op;
    free(ctx);
    e->writes_in_flight--;
    bool ok = resp->status >= 200 && resp->status < 300;
    char labels[128];
    metrics_labels(labels, sizeof labels, "kind", op->kind, "verb", op->method, NULL);
    metrics_add(METRICS_WRITES, labels, 1);
    if (ok && op->what == WRITE_SLICE && op->since_ms != 0)
        metrics_observe(METRICS_PROPAGATION, "", (double)(loop_now_ms() - op->since_ms) / 1000.0);
    if (op->what == WRITE_SLICE) {
        char skey[ENGINE_KEY_MAX];
        if (engine_key(skey, op->ns, op->name) == 0)
            smap_del(&e->inflight, skey);
        lview_slice *s = lview_slice_get(&e->view, op->ns, op->name);
        if (s != NULL)
            s->pending = false;
        if (ok && strcmp(op->method, "DELETE") == 0) {
            lview_record_slice(&e->view, op->ns, op->name, NULL, -1);
        } else if (ok) {
            char jerr[64];
            if (json_parse(&e->scratch, resp->body, resp->body_len, jerr, sizeof jerr) == 0)
                lview_record_slice(&e->view, op->ns, op->name, &e->scratch, 0);
        } else if (resp->status == 404 && strcmp(op->method, "DELETE") == 0) {
            lview_record_slice(&e->view, op->ns, op->name, NULL, -1);
        }
    } else if (op->what == WRITE_SERVICE || op->what == WRITE_NAMESPACE) {
        if (op->what == WRITE_SERVICE || !ok)
            free(smap_del(&e->pending_svc, op->key));
    } else if (op->what == WRITE_STATUS || op->what == WRITE_FINALIZER) {
        clink *lk = smap_get(&e->links, op->link);
        if (lk != NULL && op->what == WRITE_STATUS) {
            lk->status_inflight = false;
            /* A change made meanwhile was skipped: write it now. After a failure the
             * next resync tries again, so a refusing server is not hammered. */
            if (ok)
                link_schedule_status(lk);
        }
        if (lk != NULL && op->what == WRITE_FINALIZER)
            lk->finalizer_inflight = false;
        if (lk != NULL && !ok && op->what == WRITE_STATUS)
            lk->status_written = false;
    }
    if (!ok && !(resp->status == 409 && op->what == WRITE_NAMESPACE) &&
        !(resp->status == 404 && strcmp(op->method, "DELETE") == 0)) {
        /* 409 on a slice or Service: the watch brings the newer state, then we retry. */
        log_kv(resp->status == 409 ? LOG_INFO : LOG_WARN, "write failed", "verb", op->method, "kind", op->kind,
               "ns", op->ns, "name", op->name, "error", resp->error, NULL);
    }
    engine_requeue_key(e, op->key);
    engine_write_free(op);
    engine_write_next(e);
}

/* ---- desired slices for one (Service, link) ---- */

/* The endpoints of one slice set, gathered from every remote slice with that shape. */
typedef struct {
    slice_addr_type type;
    uint64_t ports_hash;
    const slice_port *ports;
    uint16_t nports;
    const slice_ep **eps;
    size_t neps, cap;
} slice_set;

typedef struct {
    slice_set *sets;
    size_t n, cap;
} slice_sets;

static void slice_sets_free(slice_sets *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        free(ss->sets[i].eps);
    free(ss->sets);
    memset(ss, 0, sizeof *ss);
}

static slice_set *slice_sets_find(slice_sets *ss, const slice_data *d)
{
    uint64_t ph = slice_ports_hash(d->ports, d->nports);
    for (size_t i = 0; i < ss->n; i++) {
        if (ss->sets[i].type == d->addr_type && ss->sets[i].ports_hash == ph)
            return &ss->sets[i];
    }
    if (ss->n == ss->cap) {
        size_t cap = ss->cap ? ss->cap * 2 : 4;
        slice_set *grown = realloc(ss->sets, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        ss->sets = grown;
        ss->cap = cap;
    }
    slice_set *s = &ss->sets[ss->n++];
    memset(s, 0, sizeof *s);
    s->type = d->addr_type;
    s->ports_hash = ph;
    s->ports = d->ports;
    s->nports = d->nports;
    return s;
}

static int slice_set_add(slice_set *s, const slice_ep *ep)
{
    if (s->neps == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        const slice_ep **grown = realloc(s->eps, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        s->eps = grown;
        s->cap = cap;
    }
    s->eps[s->neps++] = ep;
    return 0;
}

/* Sorts by address and keeps one endpoint per address: during a rollout the same pod can
 * sit in two remote slices for a moment. The first after sorting wins (deterministic). */
static void slice_set_finish(slice_set *s)
{
    if (s->neps > 1)
        qsort(s->eps, s->neps, sizeof *s->eps, slice_ep_cmp);
    size_t out = 0;
    for (size_t i = 0; i < s->neps; i++) {
        if (out > 0 && memcmp(s->eps[out - 1]->addr, s->eps[i]->addr, 16) == 0)
            continue;
        s->eps[out++] = s->eps[i];
    }
    s->neps = out;
}

/* ---- link mode ---- */

static link_mode link_mode_of(const clink *lk)
{
    if (lk->spec.deleting || !lk->have_spec)
        return lk->spec.deleting ? LINK_EMPTY : LINK_KEEP;
    if (!lk->spec.enabled)
        return LINK_KEEP;
    if (lk->stale)
        return LINK_EMPTY;
    if (!lk->connected || !lk->cache_ready || lk->failing_since != 0)
        return LINK_KEEP;
    for (size_t i = 0; i < lk->nrefls; i++) {
        if (lk->refls[i].listing)
            return LINK_KEEP;
    }
    return LINK_MANAGE;
}

static bool link_service_wanted(const clink *lk, const char *ns, const char *svc, const rc_group **out)
{
    *out = NULL;
    if (filter_check(&lk->rules, ns, svc) != FILTER_ALLOW)
        return false;
    const rc_group *g = rcache_group(&lk->cache, ns, svc);
    if (g == NULL || g->svc == NULL || (g->svc->flags & (RC_HEADLESS | RC_EXTERNAL_NAME)))
        return false;
    *out = g;
    return true;
}

/* ---- reconcile one Service ---- */

static void engine_count(clink *lk, const char *key, int64_t neps)
{
    void *old = NULL;
    if (neps > 0)
        smap_put(&lk->counts, key, (void *)(uintptr_t)(neps + 1), &old);
    else
        old = smap_del(&lk->counts, key);
    int64_t before = old != NULL ? (int64_t)(uintptr_t)old - 1 : 0;
    if (before != neps) {
        lk->total_endpoints += neps - before;
        link_schedule_status(lk);
    }
}

/* One write per slice at a time: a second reconcile before the answer must not repeat it. */
static bool engine_slice_busy(engine *e, const char *ns, const char *name, bool claim)
{
    char skey[ENGINE_KEY_MAX];
    if (engine_key(skey, ns, name) != 0)
        return true;
    if (smap_get(&e->inflight, skey) != NULL)
        return true;
    if (claim)
        smap_put(&e->inflight, skey, (void *)1, NULL);
    return false;
}

static void engine_write_slice(engine *e, const slice_desc *d, lview_slice *observed, const char *key)
{
    if (engine_slice_busy(e, d->ns, d->name, true))
        return;
    char *body = NULL;
    size_t len = 0;
    if (slice_desc_write(d, observed != NULL ? observed->rv : NULL, &body, &len) != 0)
        return;
    char path[600];
    if (observed == NULL)
        snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", d->ns);
    else
        snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", d->ns, d->name);
    if (observed != NULL)
        observed->pending = true;
    engine_write(e, WRITE_SLICE, observed == NULL ? "POST" : "PUT", path, "application/json", body, len,
                 "EndpointSlice", d->ns, d->name, key, d->link);
}

static void engine_delete_slice(engine *e, lview_slice *s, const char *key)
{
    if (engine_slice_busy(e, s->ns, s->name, true))
        return;
    char path[600];
    snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", s->ns, s->name);
    s->pending = true;
    engine_write(e, WRITE_SLICE, "DELETE", path, NULL, NULL, 0, "EndpointSlice", s->ns, s->name, key, s->link);
}

/* Makes this link's slices of ns/svc what the remote view says. wanted names are
 * collected so the caller can delete the rest. */
static void engine_sync_link(engine *e, clink *lk, const char *ns, const char *svc, const char *key,
                             const lview_svc *local)
{
    const rc_group *g = NULL;
    bool wanted = local != NULL && !local->unsyncable && link_service_wanted(lk, ns, svc, &g);
    slice_sets ss = {0};
    if (wanted) {
        for (const rc_slice *rs = g->slices; rs != NULL; rs = rs->next) {
            if (rs->data.addr_type == SLICE_ADDR_NONE || rs->data.neps == 0)
                continue;
            slice_set *set = slice_sets_find(&ss, &rs->data);
            for (uint32_t i = 0; set != NULL && i < rs->data.neps; i++)
                slice_set_add(set, &rs->data.eps[i]);
        }
    }
    /* Names we want; everything else of this link for this Service goes. */
    char (*names)[64] = NULL;
    size_t nnames = 0, cap = 0;
    int64_t total = 0;
    for (size_t i = 0; i < ss.n; i++) {
        slice_set *set = &ss.sets[i];
        slice_set_finish(set);
        total += (int64_t)set->neps;
        for (size_t off = 0, chunk = 0; off < set->neps; off += SLICE_MAX_ENDPOINTS, chunk++) {
            if (nnames == cap) {
                cap = cap ? cap * 2 : 4;
                char(*grown)[64] = realloc(names, cap * sizeof *names);
                if (grown == NULL)
                    goto out;
                names = grown;
            }
            slice_name(names[nnames], ns, svc, lk->name, set->type, set->ports_hash, (unsigned)chunk);
            size_t n = set->neps - off < SLICE_MAX_ENDPOINTS ? set->neps - off : SLICE_MAX_ENDPOINTS;
            slice_desc d = {.ns = ns, .name = names[nnames], .service = svc, .link = lk->name,
                            .owner_uid = local->uid, .addr_type = set->type, .ports = set->ports,
                            .nports = set->nports, .eps = set->eps + off, .neps = n};
            nnames++;
            lview_slice *o = lview_slice_get(&e->view, ns, d.name);
            if ((o != NULL && o->pending) || engine_slice_busy(e, ns, d.name, false))
                continue;
            if (o == NULL || o->hash != slice_desc_hash(&d) || strcmp(o->service, svc) != 0)
                engine_write_slice(e, &d, o, key);
        }
    }
    for (lview_slice *s = lview_slices_of(&e->view, ns, svc); s != NULL; s = s->next) {
        if (strcmp(s->link, lk->name) != 0 || s->pending)
            continue;
        bool keep = false;
        for (size_t i = 0; i < nnames && !keep; i++)
            keep = strcmp(names[i], s->name) == 0;
        if (!keep)
            engine_delete_slice(e, s, key);
    }
    engine_count(lk, key, total);
out:
    free(names);
    slice_sets_free(&ss);
}

/* Removes every slice of ns/svc labelled with link_name (deleted or stale link). */
static void engine_empty_link(engine *e, const char *link_name, const char *ns, const char *svc, const char *key)
{
    for (lview_slice *s = lview_slices_of(&e->view, ns, svc); s != NULL; s = s->next) {
        if (strcmp(s->link, link_name) == 0 && !s->pending)
            engine_delete_slice(e, s, key);
    }
}

/* ---- local Services created by svclink ---- */

static char *engine_service_body(const char *ns, const char *svc, const rc_svc *r, bool patch, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    if (!patch) {
        json_writer_member_string(&w, "apiVersion", "v1");
        json_writer_member_string(&w, "kind", "Service");
        json_writer_key(&w, "metadata");
        json_writer_object_begin(&w);
        json_writer_member_string(&w, "name", svc);
        json_writer_member_string(&w, "namespace", ns);
        json_writer_key(&w, "labels");
        json_writer_object_begin(&w);
        json_writer_member_string(&w, LVIEW_CREATED_BY_LABEL, "svclink");
        json_writer_object_end(&w);
        json_writer_object_end(&w);
    }
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    if (!patch) {
        json_writer_member_string(&w, "type", "ClusterIP");
        static const char *const policies[] = {NULL, "SingleStack", "PreferDualStack", "RequireDualStack"};
        if (r->ip_family_policy != 0) {
            json_writer_member_string(&w, "ipFamilyPolicy", policies[r->ip_family_policy]);
        }
        if (r->ip_families[0] != 0) {
            json_writer_key(&w, "ipFamilies");
            json_writer_array_begin(&w);
            for (int i = 0; i < 2 && r->ip_families[i] != 0; i++)
                json_writer_string(&w, r->ip_families[i] == 6 ? "IPv6" : "IPv4");
            json_writer_array_end(&w);
        }
    }
    json_writer_key(&w, "ports");
    json_writer_array_begin(&w);
    for (uint16_t i = 0; i < r->nports; i++) {
        const rc_svc_port *p = &r->ports[i];
        json_writer_object_begin(&w);
        if (p->name[0] != '\0') {
            json_writer_member_string(&w, "name", p->name);
        }
        json_writer_member_int64(&w, "port", p->port);
        json_writer_member_string(&w, "protocol", slice_protocol_name(p->protocol));
        if (p->target_port_name != NULL) {
            json_writer_member_string(&w, "targetPort", p->target_port_name);
        } else if (p->target_port > 0) {
            json_writer_member_int64(&w, "targetPort", p->target_port);
        }
        if (p->app_protocol != NULL) {
            json_writer_member_string(&w, "appProtocol", p->app_protocol);
        }
        json_writer_object_end(&w);
    }
    json_writer_array_end(&w);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    char *body = json_writer_finish(&w, len);
    return body;
}

/* With --sync-services-to-local-cluster: create the Namespace and Service a remote has,
 * or bring the ports of a Service svclink created in line with it. */
static void engine_ensure_service(engine *e, const char *ns, const char *svc, const char *key,
                                  const lview_svc *local, const rc_svc *r, const char *link_name)
{
    if (smap_get(&e->pending_svc, key) != NULL)
        return;
    size_t len = 0;
    char path[600];
    if (local == NULL) {
        /* Namespace first (409 AlreadyExists is fine), then the Service. */
        char *nsbody = malloc(160 + strlen(ns));
        if (nsbody == NULL)
            return;
        int n = sprintf(nsbody, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\","
                                "\"labels\":{\"" LVIEW_CREATED_BY_LABEL "\":\"svclink\"}}}", ns);
        smap_put(&e->pending_svc, key, strdup("1"), NULL);
        engine_write(e, WRITE_NAMESPACE, "POST", "/api/v1/namespaces", "application/json", nsbody, (size_t)n,
                     "Namespace", "", ns, "", link_name);
        char *body = engine_service_body(ns, svc, r, false, &len);
        if (body == NULL)
            return;
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
        engine_write(e, WRITE_SERVICE, "POST", path, "application/json", body, len, "Service", ns, svc, key,
                     link_name);
        return;
    }
    if (!local->created_by_us || local->ports_hash == rcache_ports_hash(r->ports, r->nports))
        return;
    char *body = engine_service_body(ns, svc, r, true, &len);
    if (body == NULL)
        return;
    smap_put(&e->pending_svc, key, strdup("1"), NULL);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    engine_write(e, WRITE_SERVICE, "PATCH", path, "application/merge-patch+json", body, len, "Service", ns, svc,
                 key, link_name);
}

/* Sorted link names, so every pass visits links in the same order. */
static int engine_cmp_links(const void *a, const void *b)
{
    return strcmp((*(clink *const *)a)->name, (*(clink *const *)b)->name);
}

static size_t engine_sorted_links(engine *e, clink ***out)
{
    size_t n = smap_count(&e->links), i = 0;
    *out = calloc(n ? n : 1, sizeof **out);
    if (*out == NULL)
        return 0;
    for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it))
        (*out)[i++] = it.e->value;
    qsort(*out, n, sizeof **out, engine_cmp_links);
    return n;
}

static void engine_reconcile(engine *e, const char *key)
{
    const char *slash = strchr(key, '/');
    if (slash == NULL)
        return;
    char ns[64], svc[64];
    snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
    snprintf(svc, sizeof svc, "%s", slash + 1);
    const lview_svc *local = lview_service(&e->view, ns, svc);
    clink **links;
    size_t n = engine_sorted_links(e, &links);
    bool ensured = false;
    for (size_t i = 0; i < n; i++) {
        clink *lk = links[i];
        switch (link_mode_of(lk)) {
        case LINK_KEEP:
            break;
        case LINK_EMPTY:
            engine_empty_link(e, lk->name, ns, svc, key);
            engine_count(lk, key, 0);
            break;
        case LINK_MANAGE: {
            const rc_group *g = NULL;
            if (e->opts->sync_services_to_local_cluster && !ensured && link_service_wanted(lk, ns, svc, &g)) {
                ensured = true;
                engine_ensure_service(e, ns, svc, key, local, g->svc, lk->name);
            }
            engine_sync_link(e, lk, ns, svc, key, local);
            break;
        }
        }
    }
    free(links);
    /* Slices of links that no longer exist (known only once ClusterLinks are listed). */
    if (e->links_synced) {
        for (lview_slice *s = lview_slices_of(&e->view, ns, svc); s != NULL; s = s->next) {
            if (smap_get(&e->links, s->link) == NULL && !s->pending)
                engine_delete_slice(e, s, key);
        }
    }
}

/* ---- the dirty queue ---- */

static void engine_mark_dirty(void *arg, const char *ns, const char *name)
{
    engine *e = arg;
    char key[ENGINE_KEY_MAX];
    /* A follower queues nothing: becoming leader reconciles everything anyway. */
    if (!e->leading || engine_key(key, ns, name) != 0)
        return;
    /* The value is when the Service first became dirty: the start of its propagation. */
    if (smap_get(&e->dirty, key) == NULL && smap_put(&e->dirty, key, (void *)(uintptr_t)loop_now_ms(), NULL) != 0)
        return;
    /* Scheduled even when the key was queued already: a pass that found the main view
     * unsynced left its keys queued without a pass to come. */
    engine_schedule_pass(e);
}

static void engine_on_pass(loop *l, void *arg)
{
    (void)l;
    engine *e = arg;
    e->pass_timer = 0;
    /* Nothing is written before the main cluster's own view is complete. */
    if (!e->view.svcs_synced || !e->view.slices_synced || !e->links_synced)
        return;
    if (!e->leading)
        return; /* stopping: what is queued is the next leader's */
    int done = 0;
    for (smap_iter it = smap_iter_start(&e->dirty); smap_iter_ok(&it) && done < ENGINE_KEYS_PER_PASS;
         smap_iter_next(&it), done++) {
        char key[ENGINE_KEY_MAX];
        snprintf(key, sizeof key, "%s", it.e->key);
        e->current_since = (uint64_t)(uintptr_t)smap_del(&e->dirty, key);
        engine_reconcile(e, key);
        e->current_since = 0;
    }
    if (smap_count(&e->dirty) > 0)
        engine_schedule_pass(e);
}

static void engine_schedule_pass(engine *e)
{
    if (e->pass_timer == 0)
        e->pass_timer = loop_timer_add(e->l, 0, engine_on_pass, e);
}

/* Every Service a link knows of, remotely or by a local slice, goes on the queue. */
static void link_mark_all(clink *lk)
{
    engine *e = lk->e;
    for (smap_iter it = smap_iter_start(&lk->cache.groups); smap_iter_ok(&it); smap_iter_next(&it)) {
        rc_group *g = it.e->value;
        engine_mark_dirty(e, g->ns, g->name);
    }
    for (smap_iter it = smap_iter_start(&e->view.slices); smap_iter_ok(&it); smap_iter_next(&it)) {
        lview_slice *s = it.e->value;
        if (strcmp(s->link, lk->name) == 0)
            engine_mark_dirty(e, s->ns, s->service);
    }
}

static void engine_mark_everything(engine *e)
{
    for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it))
        link_mark_all(it.e->value);
    for (smap_iter it = smap_iter_start(&e->view.slices); smap_iter_ok(&it); smap_iter_next(&it)) {
        lview_slice *s = it.e->value;
        engine_mark_dirty(e, s->ns, s->service);
    }
}

/* ---- link health, status and Events ---- */

static void engine_event(engine *e, clink *lk, bool warning, const char *reason, const char *message)
{
    if (!e->leading)
        return;
    char now[32];
    engine_now_rfc3339(now);
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "v1");
    json_writer_member_string(&w, "kind", "Event");
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_key(&w, "generateName");
    char gen[300];
    snprintf(gen, sizeof gen, "%s.", lk->name);
    json_writer_string(&w, gen);
    json_writer_object_end(&w);
    json_writer_key(&w, "involvedObject");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "svclink.cloudpilot.ai/v1alpha1");
    json_writer_member_string(&w, "kind", "ClusterLink");
    json_writer_member_string(&w, "name", lk->name);
    if (lk->have_spec && lk->spec.uid != NULL) {
        json_writer_member_string(&w, "uid", lk->spec.uid);
    }
    json_writer_object_end(&w);
    json_writer_member_string(&w, "reason", reason);
    json_writer_member_string(&w, "message", message);
    json_writer_member_string(&w, "type", warning ? "Warning" : "Normal");
    json_writer_key(&w, "source");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "component", "svclink");
    json_writer_object_end(&w);
    json_writer_member_string(&w, "firstTimestamp", now);
    json_writer_member_string(&w, "lastTimestamp", now);
    json_writer_member_int64(&w, "count", 1);
    json_writer_object_end(&w);
    size_t len;
    char *body = json_writer_finish(&w, &len);
    if (body != NULL)
        engine_write(e, WRITE_EVENT, "POST", "/api/v1/namespaces/" ENGINE_EVENTS_NS "/events", "application/json",
                     body, len, "Event", ENGINE_EVENTS_NS, lk->name, "", lk->name);
}

/* Sets the link's health; a change is logged, becomes an Event, and updates the status. */
static void link_set_health(clink *lk, bool ready, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void link_set_health(clink *lk, bool ready, const char *reason, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (lk->ready == ready && strcmp(lk->reason, reason) == 0 && strcmp(lk->message, message) == 0)
        return;
    bool reason_changed = lk->ready != ready || strcmp(lk->reason, reason) != 0;
    lk->ready = ready;
    snprintf(lk->reason, sizeof lk->reason, "%s", reason);
    snprintf(lk->message, sizeof lk->message, "%s", message);
    bool syncing = strcmp(reason, "Syncing") == 0;
    log_kv(ready || syncing ? LOG_INFO : LOG_WARN, "link state", "link", lk->name, "ready", ready ? "true" : "false",
           "reason", reason, "message", message, NULL);
    /* No Event when the object already says so (a restarted controller finding things as
     * they were is not news). */
    bool already = lk->observed.present && lk->observed.ready == ready && strcmp(lk->observed.reason, reason) == 0;
    /* Connecting is a step, not news: no Event for it. */
    if (reason_changed && !already && !syncing)
        engine_event(lk->e, lk, !ready && strcmp(reason, "Disabled") != 0, reason, message);
    link_schedule_status(lk);
}

static void link_build_status(const clink *lk, link_status *st)
{
    memset(st, 0, sizeof *st);
    st->present = true;
    st->ready = lk->ready;
    snprintf(st->reason, sizeof st->reason, "%s", lk->reason[0] ? lk->reason : "Syncing");
    snprintf(st->message, sizeof st->message, "%s", lk->message);
    snprintf(st->remote_version, sizeof st->remote_version, "%s", lk->remote_version);
    snprintf(st->last_sync, sizeof st->last_sync, "%s", lk->last_sync);
    st->observed_generation = lk->have_spec ? lk->spec.generation : 0;
    st->services = (int64_t)smap_count(&lk->counts);
    st->endpoints = lk->total_endpoints;
    /* The transition time moves only when the condition does. */
    if (lk->observed.present && lk->observed.ready == st->ready && strcmp(lk->observed.reason, st->reason) == 0 &&
        lk->observed.transition[0] != '\0')
        snprintf(st->transition, sizeof st->transition, "%s", lk->observed.transition);
    else if (lk->status_written && lk->written.ready == st->ready && strcmp(lk->written.reason, st->reason) == 0)
        snprintf(st->transition, sizeof st->transition, "%s", lk->written.transition);
    else
        engine_now_rfc3339(st->transition);
}

static bool link_status_equal(const link_status *a, const link_status *b)
{
    return a->present == b->present && a->ready == b->ready && strcmp(a->reason, b->reason) == 0 &&
           strcmp(a->message, b->message) == 0 && strcmp(a->transition, b->transition) == 0 &&
           strcmp(a->remote_version, b->remote_version) == 0 && strcmp(a->last_sync, b->last_sync) == 0 &&
           a->observed_generation == b->observed_generation && a->services == b->services &&
           a->endpoints == b->endpoints;
}

/* Closes the two objects a ClusterLink merge patch opened ({"status":{ or {"metadata":{),
 * and queues the PATCH to the link (subpath "" or "/status"). 0, or -1 when the body
 * could not be built. */
static int link_send_patch(clink *lk, json_writer *w, int what, const char *subpath, const char *kind)
{
    json_writer_object_end(w);
    json_writer_object_end(w);
    size_t len;
    char *body = json_writer_finish(w, &len);
    if (body == NULL)
        return -1;
    char path[600];
    snprintf(path, sizeof path, ENGINE_CLUSTERLINKS "/%s%s", lk->name, subpath);
    engine_write(lk->e, what, "PATCH", path, "application/merge-patch+json", body, len, kind, "", lk->name, "",
                 lk->name);
    return 0;
}

static void link_write_status(clink *lk)
{
    if (!lk->e->leading || !lk->have_spec || lk->spec.deleting || lk->status_inflight)
        return;
    /* A restarted controller reconnecting to a link the object calls ready says nothing
     * until it knows more: otherwise every restart would flap the status. */
    if (strcmp(lk->reason, "Syncing") == 0 && !lk->ever_synced && lk->observed.ready)
        return;
    link_status st;
    link_build_status(lk, &st);
    if (link_status_equal(&st, &lk->observed) || (lk->status_written && link_status_equal(&st, &lk->written)))
        return;
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "status");
    json_writer_object_begin(&w);
    json_writer_key(&w, "conditions");
    json_writer_array_begin(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "type", "Ready");
    json_writer_member_string(&w, "status", st.ready ? "True" : "False");
    json_writer_member_string(&w, "reason", st.reason);
    json_writer_member_string(&w, "message", st.message);
    json_writer_member_string(&w, "lastTransitionTime", st.transition);
    json_writer_member_int64(&w, "observedGeneration", st.observed_generation);
    json_writer_object_end(&w);
    json_writer_array_end(&w);
    json_writer_member_int64(&w, "observedGeneration", st.observed_generation);
    if (st.remote_version[0] != '\0') {
        json_writer_member_string(&w, "remoteVersion", st.remote_version);
    }
    if (st.last_sync[0] != '\0') {
        json_writer_member_string(&w, "lastSyncTime", st.last_sync);
    }
    json_writer_member_int64(&w, "syncedServices", st.services);
    json_writer_member_int64(&w, "syncedEndpoints", st.endpoints);
    if (link_send_patch(lk, &w, WRITE_STATUS, "/status", "ClusterLinkStatus") == 0) {
        lk->written = st;
        lk->status_written = true;
        lk->status_inflight = true;
    }
}

static void link_on_status_timer(loop *l, void *arg)
{
    (void)l;
    clink *lk = arg;
    lk->status_timer = 0;
    link_write_status(lk);
}

/* Status writes are batched: many counts change during one pass. */
static void link_schedule_status(clink *lk)
{
    if (lk->status_timer == 0)
        lk->status_timer = loop_timer_add(lk->e->l, 300, link_on_status_timer, lk);
}

static void link_parse_status(link_status *st, const json_doc *doc, int obj)
{
    memset(st, 0, sizeof *st);
    int status = json_obj_get(doc, obj, "status");
    if (!json_is_object(doc, status))
        return;
    st->present = true;
    int conds = json_obj_get(doc, status, "conditions");
    for (int c = json_arr_first(doc, conds); c >= 0; c = json_next(doc, c)) {
        if (!json_str_eq(doc, json_obj_get(doc, c, "type"), "Ready"))
            continue;
        st->ready = json_str_eq(doc, json_obj_get(doc, c, "status"), "True");
        json_str_copy(doc, json_obj_get(doc, c, "reason"), st->reason, sizeof st->reason, NULL);
        json_str_copy(doc, json_obj_get(doc, c, "message"), st->message, sizeof st->message, NULL);
        json_str_copy(doc, json_obj_get(doc, c, "lastTransitionTime"), st->transition, sizeof st->transition, NULL);
    }
    json_str_copy(doc, json_obj_get(doc, status, "remoteVersion"), st->remote_version, sizeof st->remote_version,
                  NULL);
    json_str_copy(doc, json_obj_get(doc, status, "lastSyncTime"), st->last_sync, sizeof st->last_sync, NULL);
    json_int64(doc, json_obj_get(doc, status, "observedGeneration"), &st->observed_generation);
    json_int64(doc, json_obj_get(doc, status, "syncedServices"), &st->services);
    json_int64(doc, json_obj_get(doc, status, "syncedEndpoints"), &st->endpoints);
}

/* ---- finalizer ---- */

static void link_patch_finalizers(clink *lk, bool add)
{
    if (lk->finalizer_inflight || !lk->e->leading)
        return;
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_key(&w, "finalizers");
    json_writer_array_begin(&w);
    for (size_t i = 0; i < lk->other_finalizers.count; i++)
        json_writer_string(&w, lk->other_finalizers.items[i]);
    if (add)
        json_writer_string(&w, LINKSPEC_FINALIZER);
    json_writer_array_end(&w);
    /* The resourceVersion makes this a compare-and-swap: another writer's change is not lost. */
    json_writer_member_string(&w, "resourceVersion", lk->spec.resource_version != NULL ? lk->spec.resource_version : "");
    if (link_send_patch(lk, &w, WRITE_FINALIZER, "", "ClusterLink") == 0)
        lk->finalizer_inflight = true;
}

/* A deleted link's finalizer goes once none of its slices is left. */
static void engine_release_finalizers(engine *e)
{
    for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it)) {
        clink *lk = it.e->value;
        if (!lk->have_spec || !lk->spec.deleting || !lk->spec.has_finalizer || lk->finalizer_inflight)
            continue;
        bool left = false;
        for (smap_iter s = smap_iter_start(&e->view.slices); smap_iter_ok(&s) && !left; smap_iter_next(&s))
            left = strcmp(((lview_slice *)s.e->value)->link, lk->name) == 0;
        if (left)
            continue;
        log_kv(LOG_INFO, "link cleaned up, releasing it", "link", lk->name, NULL);
        link_patch_finalizers(lk, false);
    }
}

/* ---- remote connection of a link ---- */

/* The link's cache budgets: its spec's, else the flags'. */
static void link_set_budgets(clink *lk)
{
    const cfg_options *o = lk->e->opts;
    rcache_limits lim = {lk->spec.max_services ? lk->spec.max_services : o->max_services_per_link,
                         lk->spec.max_endpoints ? lk->spec.max_endpoints : o->max_endpoints_per_link};
    rcache_set_limits(&lk->cache, &lim);
}

static void link_disconnect(clink *lk)
{
    for (size_t i = 0; i < lk->nrefls; i++)
        refl_free(lk->refls[i].r);
    free(lk->refls);
    lk->refls = NULL;
    lk->nrefls = 0;
    kapi_cancel(lk->version_req);
    lk->version_req = NULL;
    if (lk->connected)
        kconn_close(&lk->conn);
    lk->connected = false;
    lk->cache_ready = false;
    rcache_free(&lk->cache);
    rcache_init(&lk->cache, engine_mark_dirty, lk->e);
    link_set_budgets(lk);
    if (lk->have_kcfg)
        kcfg_free(&lk->kcfg);
    lk->have_kcfg = false;
    lk->kubeconfig_hash = 0;
    if (lk->stale_timer != 0)
        loop_timer_cancel(lk->e->l, lk->stale_timer);
    lk->stale_timer = 0;
    lk->failing_since = 0;
}

static void link_on_stale(loop *l, void *arg)
{
    (void)l;
    clink *lk = arg;
    lk->stale_timer = 0;
    lk->stale = true;
    log_kv(LOG_WARN, "remote unreachable too long: removing its endpoints", "link", lk->name, NULL);
    link_mark_all(lk);
}

/* Maps a reflector failure to a status reason an operator can act on. */
static const char *link_failure_reason(int status, conn_error transport)
{
    if (status == 401)
        return "Unauthorized";
    if (status == 403)
        return "Forbidden";
    if (transport == CONN_ERR_TLS)
        return "TLSError";
    return "Unreachable";
}

static void link_refl_state(void *arg, refl_state st, int status, conn_error transport, const char *reason)
{
    link_refl *lr = arg;
    clink *lk = lr->lk;
    if (st != REFL_FAILING)
        return;
    lr->synced = false;
    lr->listing = false;
    if (lr->over_budget) {
        /* Reachable but too big: no stale timer, so what was written stays. */
        if (lk->failing_since == 0)
            lk->failing_since = loop_now_ms();
        link_set_health(lk, false, "LimitExceeded", "%s; the link keeps what it had and retries", reason);
        return;
    }
    if (lk->failing_since == 0) {
        lk->failing_since = loop_now_ms();
        if (lk->spec.stale_timeout_s > 0 && lk->stale_timer == 0 && !lk->stale)
            lk->stale_timer = loop_timer_add(lk->e->l, (uint64_t)lk->spec.stale_timeout_s * 1000u, link_on_stale, lk);
    }
    const char *why = link_failure_reason(status, transport);
    if (lk->spec.stale_timeout_s > 0 && !lk->stale)
        link_set_health(lk, false, why, "%s (endpoints kept for %us while unreachable)", reason,
                        lk->spec.stale_timeout_s);
    else
        link_set_health(lk, false, why, "%s", reason);
}

static void link_refl_begin(void *arg)
{
    link_refl *lr = arg;
    lr->listing = true;
    lr->over_budget = false;
    rcache_list_begin(&lr->lk->cache, lr->kind);
}

static void link_refl_object(void *arg, refl_op op, const json_doc *doc, int obj)
{
    link_refl *lr = arg;
    char err[256];
    int rc;
    if (op == REFL_DELETE)
        rcache_delete(&lr->lk->cache, lr->kind, doc, obj);
    else if ((rc = rcache_upsert(&lr->lk->cache, lr->kind, doc, obj, err, sizeof err)) == RCACHE_OVER_BUDGET) {
        lr->over_budget = true; /* stops here, keeping what the cache holds */
        refl_refuse(lr->r, err);
    } else if (rc != 0) {
        log_kv(LOG_WARN, "remote object ignored", "link", lr->lk->name, "error", err, NULL);
    }
}

static void link_on_synced(clink *lk)
{
    bool first = !lk->ever_synced;
    lk->ever_synced = true;
    lk->cache_ready = true;
    lk->failing_since = 0;
    lk->stale = false;
    if (lk->stale_timer != 0)
        loop_timer_cancel(lk->e->l, lk->stale_timer);
    lk->stale_timer = 0;
    /* A restarted controller that finds the link already connected keeps its sync time. */
    if (first && lk->observed.present && lk->observed.ready && lk->observed.last_sync[0] != '\0')
        snprintf(lk->last_sync, sizeof lk->last_sync, "%s", lk->observed.last_sync);
    else
        engine_now_rfc3339(lk->last_sync);
    link_set_health(lk, true, "Connected", "Synced from %s", lk->kcfg.server);
    link_mark_all(lk);
}

static void link_refl_end(void *arg)
{
    link_refl *lr = arg;
    clink *lk = lr->lk;
    rcache_list_end(&lk->cache, lr->kind);
    lr->listing = false;
    lr->synced = true;
    for (size_t i = 0; i < lk->nrefls; i++) {
        if (!lk->refls[i].synced)
            return;
    }
    link_on_synced(lk);
}

static const refl_handlers link_refl_handlers = {link_refl_begin, link_refl_object, link_refl_end, link_refl_state};

static void link_on_version(void *arg, const kapi_response *resp)
{
    clink *lk = arg;
    lk->version_req = NULL;
    if (resp->status != 200)
        return;
    json_doc doc;
    json_doc_init(&doc);
    char err[64];
    if (json_parse(&doc, resp->body, resp->body_len, err, sizeof err) == 0 &&
        json_str_copy(&doc, json_obj_get(&doc, 0, "gitVersion"), lk->remote_version, sizeof lk->remote_version,
                      NULL) == 0)
        link_schedule_status(lk);
    json_doc_free(&doc);
}

/* Starts the remote reflectors: cluster-wide, or one pair per namespace of
 * --included-namespaces, which then narrows what is watched. */
static int link_start_reflectors(clink *lk)
{
    engine *e = lk->e;
    size_t nns = e->global_included.count;
    size_t n = nns > 0 ? 2 * nns : 2;
    lk->refls = calloc(n, sizeof *lk->refls);
    if (lk->refls == NULL)
        return -1;
    lk->nrefls = n;
    for (size_t i = 0; i < n; i++) {
        link_refl *lr = &lk->refls[i];
        char path[400];
        const char *ns = nns > 0 ? e->global_included.items[i / 2] : NULL;
        lr->lk = lk;
        lr->kind = i % 2 == 0 ? 's' : 'e';
        if (lr->kind == 's')
            snprintf(path, sizeof path, ns ? "/api/v1/namespaces/%s/services" : "/api/v1/services", ns);
        else
            snprintf(path, sizeof path,
                     ns ? "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" : "/apis/discovery.k8s.io/v1/endpointslices",
                     ns);
        /* Our own slices in a remote (two controllers linked both ways) must not echo back. */
        refl_config rc = {.path = path,
                          .label_selector = lr->kind == 'e' ? SLICE_LABEL_MANAGED_BY "!=" SLICE_MANAGED_BY : NULL};
        lr->r = refl_new(e->l, lk->conn.api, &rc, &link_refl_handlers, lr);
        if (lr->r == NULL)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        refl_start(lk->refls[i].r);
    lk->version_req = kapi_request(lk->conn.api, "GET", "/version", NULL, NULL, 0, link_on_version, lk);
    return 0;
}

/* Uses the kubeconfig text (from the spec or a Secret): parse it under the untrusted
 * rules, and reconnect only when it really changed. */
static void link_use_kubeconfig(clink *lk, const char *text, size_t len)
{
    uint64_t h = smap_fnv(SMAP_FNV_OFFSET, text, len) | 1u;
    if (lk->connected && h == lk->kubeconfig_hash)
        return;
    link_disconnect(lk);
    kcfg_error kerr;
    if (kcfg_parse(text, len, NULL, KCFG_UNTRUSTED, NULL, &lk->kcfg, &kerr) != 0) {
        link_set_health(lk, false, kerr.kind == KCFG_ERR_REFUSED ? "KubeconfigRefused" : "KubeconfigInvalid",
                        "kubeconfig: %s", kerr.msg);
        return;
    }
    lk->have_kcfg = true;
    char err[512];
    if (kconn_open(&lk->conn, lk->e->l, lk->e->dns, lk->name, &lk->kcfg, err, sizeof err) != 0) {
        link_set_health(lk, false, "KubeconfigInvalid", "kubeconfig: %s", err);
        return;
    }
    lk->connected = true;
    lk->kubeconfig_hash = h;
    if (lk->kcfg.insecure_skip_tls_verify)
        log_kv(LOG_WARN, "insecure-skip-tls-verify is set: the remote server is not verified", "link", lk->name, NULL);
    link_set_health(lk, false, "Syncing", "Connecting to %s", lk->kcfg.server);
    if (link_start_reflectors(lk) != 0) {
        link_set_health(lk, false, "Unreachable", "out of memory starting the watches");
        link_disconnect(lk);
    }
}

/* ---- kubeconfig from a Secret ---- */

static void link_secret_begin(void *arg)
{
    clink *lk = arg;
    lk->secret_seen = false;
}

static void link_secret_object(void *arg, refl_op op, const json_doc *doc, int obj)
{
    clink *lk = arg;
    if (op == REFL_DELETE) {
        lk->secret_seen = false;
        link_set_health(lk, false, "SecretNotFound", "Secret %s/%s was deleted (the last kubeconfig stays in use)",
                        lk->spec.secret_namespace, lk->spec.secret_name);
        return;
    }
    lk->secret_seen = true;
    int data = json_path(doc, obj, "data", lk->spec.secret_key, NULL);
    size_t raw_len = 0;
    const char *raw = json_is_string(doc, data) ? json_raw(doc, data, &raw_len) : NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    /* Secret data is base64 in the API; the raw token includes its quotes. */
    if (raw == NULL || raw_len < 2 || b64_decode(raw + 1, raw_len - 2, &text, &len, NULL) != 0) {
        link_set_health(lk, false, "KubeconfigInvalid", "Secret %s/%s has no usable key \"%s\"",
                        lk->spec.secret_namespace, lk->spec.secret_name, lk->spec.secret_key);
        return;
    }
    link_use_kubeconfig(lk, (const char *)text, len);
    txt_wipe(text, len);
    free(text);
}

static void link_secret_end(void *arg)
{
    clink *lk = arg;
    if (!lk->secret_seen)
        link_set_health(lk, false, "SecretNotFound", "Secret %s/%s not found", lk->spec.secret_namespace,
                        lk->spec.secret_name);
}

static void link_secret_state(void *arg, refl_state st, int status, conn_error transport, const char *reason)
{
    clink *lk = arg;
    (void)transport;
    if (st == REFL_FAILING)
        link_set_health(lk, false, status == 403 ? "Forbidden" : "SecretNotFound",
                        "cannot read Secret %s/%s: %s", lk->spec.secret_namespace, lk->spec.secret_name, reason);
}

static const refl_handlers link_secret_handlers = {link_secret_begin, link_secret_object, link_secret_end,
                                                   link_secret_state};

static void link_watch_secret(clink *lk)
{
    char target[600];
    snprintf(target, sizeof target, "%s/%s/%s", lk->spec.secret_namespace, lk->spec.secret_name, lk->spec.secret_key);
    if (lk->secret_refl != NULL && strcmp(target, lk->secret_target) == 0)
        return;
    refl_free(lk->secret_refl);
    lk->secret_refl = NULL;
    snprintf(lk->secret_target, sizeof lk->secret_target, "%s", target);
    char path[300], field[300];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/secrets", lk->spec.secret_namespace);
    snprintf(field, sizeof field, "metadata.name=%s", lk->spec.secret_name);
    refl_config rc = {.path = path, .field_selector = field};
    lk->secret_refl = refl_new(lk->e->l, lk->e->main.api, &rc, &link_secret_handlers, lk);
    if (lk->secret_refl != NULL)
        refl_start(lk->secret_refl);
}

/* ---- ClusterLink objects ---- */

static clink *link_new(engine *e, const char *name)
{
    clink *lk = calloc(1, sizeof *lk);
    if (lk == NULL)
        return NULL;
    lk->e = e;
    lk->name = strdup(name);
    smap_init(&lk->counts);
    rcache_init(&lk->cache, engine_mark_dirty, e);
    if (lk->name == NULL || smap_put(&e->links, name, lk, NULL) != 0) {
        free(lk->name);
        free(lk);
        return NULL;
    }
    return lk;
}

static void link_free_lists(linkspec_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static void link_destroy(clink *lk)
{
    engine *e = lk->e;
    link_disconnect(lk);
    rcache_free(&lk->cache);
    refl_free(lk->secret_refl);
    if (lk->status_timer != 0)
        loop_timer_cancel(e->l, lk->status_timer);
    if (lk->have_spec)
        linkspec_free(&lk->spec);
    link_free_lists(&lk->other_finalizers);
    smap_free(&lk->counts);
    engine_forget_link_metrics(lk->name);
    smap_del(&e->links, lk->name);
    free(lk->name);
    free(lk);
}

static void link_capture_finalizers(clink *lk, const json_doc *doc, int obj)
{
    link_free_lists(&lk->other_finalizers);
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

/* Applies the spec of a ClusterLink as it now stands. */
static void link_apply(clink *lk, linkspec *spec)
{
    bool had = lk->have_spec;
    bool same = had && linkspec_same_spec(&lk->spec, spec);
    bool was_deleting = had && lk->spec.deleting;
    if (had)
        linkspec_free(&lk->spec);
    lk->spec = *spec;
    lk->have_spec = true;
    filter_rules_init(&lk->rules, &lk->spec, &lk->e->global_included);
    link_set_budgets(lk);

    if (lk->spec.deleting) {
        if (!was_deleting) {
            log_kv(LOG_INFO, "link deleted: removing its slices", "link", lk->name, NULL);
            link_disconnect(lk);
            refl_free(lk->secret_refl);
            lk->secret_refl = NULL;
            link_mark_all(lk);
        }
        return;
    }
    if (!lk->spec.has_finalizer)
        link_patch_finalizers(lk, true);
    if (same && (lk->connected || !lk->spec.enabled))
        return;
    if (!lk->spec.enabled) {
        link_disconnect(lk);
        refl_free(lk->secret_refl);
        lk->secret_refl = NULL;
        link_set_health(lk, false, "Disabled", "spec.enabled is false: existing slices are kept, nothing is synced");
        return;
    }
    if (lk->spec.has_secret_ref) {
        link_watch_secret(lk);
    } else {
        refl_free(lk->secret_refl);
        lk->secret_refl = NULL;
        uint8_t *text = NULL;
        size_t len = 0, bad = 0;
        const char *b64 = lk->spec.kubeconfig_b64;
        if (b64_decode(b64, strlen(b64), &text, &len, &bad) != 0) {
            link_disconnect(lk);
            link_set_health(lk, false, "KubeconfigInvalid",
                            "spec.kubeconfig is not valid base64 (byte %zu): give the output of base64 -w0 kubeconfig",
                            bad);
        } else {
            link_use_kubeconfig(lk, (const char *)text, len);
            txt_wipe(text, len);
            free(text);
        }
    }
    /* New filters may allow or forbid Services: look at all of them again. */
    if (!same)
        link_mark_all(lk);
}

static void engine_link_upsert(engine *e, const json_doc *doc, int obj)
{
    char name[254];
    if (linkspec_name(doc, obj, name, sizeof name) != 0)
        return;
    clink *lk = smap_get(&e->links, name);
    if (lk == NULL && (lk = link_new(e, name)) == NULL)
        return;
    lk->gen = e->links_gen;
    link_parse_status(&lk->observed, doc, obj);
    link_capture_finalizers(lk, doc, obj);
    linkspec spec;
    char err[400];
    if (linkspec_parse(doc, obj, &spec, err, sizeof err) != 0) {
        /* Keep what is synced; say what is wrong. */
        link_set_health(lk, false, "KubeconfigInvalid", "invalid spec: %s", err);
        return;
    }
    link_apply(lk, &spec);
    link_schedule_status(lk);
}

/* ---- main-cluster reflectors ---- */

static void main_refl_begin(void *arg)
{
    main_refl *mr = arg;
    engine *e = mr->e;
    if (mr->kind == 'l')
        e->links_gen++;
    else
        lview_list_begin(&e->view, mr->kind);
}

static void main_refl_object(void *arg, refl_op op, const json_doc *doc, int obj)
{
    main_refl *mr = arg;
    engine *e = mr->e;
    if (mr->kind != 'l') {
        if (op == REFL_DELETE)
            lview_delete(&e->view, mr->kind, doc, obj);
        else
            lview_upsert(&e->view, mr->kind, doc, obj);
        return;
    }
    if (op == REFL_UPSERT) {
        engine_link_upsert(e, doc, obj);
        return;
    }
    char name[254];
    clink *lk = linkspec_name(doc, obj, name, sizeof name) == 0 ? smap_get(&e->links, name) : NULL;
    if (lk != NULL) {
        log_kv(LOG_INFO, "link gone", "link", name, NULL);
        link_mark_all(lk);
        link_destroy(lk);
    }
}

static void main_refl_end(void *arg)
{
    main_refl *mr = arg;
    engine *e = mr->e;
    if (mr->kind == 'l') {
        for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it)) {
            clink *lk = it.e->value;
            if (lk->gen != e->links_gen) {
                link_mark_all(lk);
                link_destroy(lk);
            }
        }
        e->links_synced = true;
    } else {
        lview_list_end(&e->view, mr->kind);
    }
    /* Once all three are listed, look at everything: this is where orphans from links
     * deleted while svclink was down are found. */
    if (e->links_synced && e->view.svcs_synced && e->view.slices_synced)
        engine_mark_everything(e);
}

static void main_refl_state(void *arg, refl_state st, int status, conn_error transport, const char *reason)
{
    main_refl *mr = arg;
    (void)transport;
    mr->e->main_failing[mr - mr->e->mrefl] = st == REFL_FAILING;
    if (st == REFL_FAILING)
        log_kv(LOG_ERROR, "main cluster watch failing", "resource",
               mr->kind == 'l' ? "clusterlinks" : mr->kind == 's' ? "services" : "endpointslices", "status",
               status == 0 ? "none" : status == 403 ? "403" : status == 404 ? "404" : "error", "error", reason, NULL);
}

static const refl_handlers main_refl_handlers = {main_refl_begin, main_refl_object, main_refl_end, main_refl_state};

/* ---- periodic resync, signals, run ---- */

static void engine_on_resync(loop *l, void *arg)
{
    engine *e = arg;
    engine_mark_everything(e);
    for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it))
        link_schedule_status(it.e->value);
    e->resync_timer = loop_timer_add(l, e->opts->sync_interval_ms, engine_on_resync, e);
}

static void engine_on_tick(loop *l, void *arg)
{
    engine *e = arg;
    engine_release_finalizers(e);
    loop_timer_add(l, 1000, engine_on_tick, e);
}

/* ---- leadership ---- */

static void engine_on_leadership(void *arg, bool leading)
{
    engine *e = arg;
    if (!leading) {
        /* Exit rather than step down: an in-flight write cannot be taken back, and a
         * fresh process starts as a clean follower (the kubelet restarts it). */
        e->leading = false;
        e->exit_status = 1;
        loop_stop(e->l);
        return;
    }
    if (e->stopping)
        return;
    e->leading = true;
    /* The caches are warm: one pass over everything brings the slices up to date. */
    engine_mark_everything(e);
    for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it))
        link_schedule_status(it.e->value);
    engine_write_next(e);
}

/* The identity written into the Lease: the flag, else POD_NAME or the host name plus a
 * random suffix, so that two processes on one host never share it. */
static void engine_identity(const cfg_options *opts, char *out, size_t cap)
{
    if (opts->lease_identity != NULL) {
        snprintf(out, cap, "%s", opts->lease_identity);
        return;
    }
    char host[65] = "svclink";
    const char *pod = getenv("POD_NAME");
    if (pod != NULL && pod[0] != '\0' && strlen(pod) < sizeof host)
        snprintf(host, sizeof host, "%s", pod);
    else if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "svclink");
    host[sizeof host - 1] = '\0';
    unsigned char rnd[4] = {0};
    if (getentropy(rnd, sizeof rnd) != 0)
        memcpy(rnd, &(uint32_t){(uint32_t)getpid()}, sizeof rnd);
    snprintf(out, cap, "%s_%02x%02x%02x%02x", host, rnd[0], rnd[1], rnd[2], rnd[3]);
}

/* The flag, else the namespace the pod runs in, else cloudpilot. */
static void engine_lease_namespace(const cfg_options *opts, char *out, size_t cap)
{
    snprintf(out, cap, "%s", opts->lease_namespace != NULL ? opts->lease_namespace : ENGINE_DEFAULT_LEASE_NS);
    if (opts->lease_namespace != NULL)
        return;
    FILE *f = fopen(ENGINE_SA_NAMESPACE_FILE, "r");
    if (f == NULL)
        return;
    char ns[80] = "";
    if (fgets(ns, sizeof ns, f) != NULL) {
        ns[strcspn(ns, "\r\n")] = '\0';
        if (cfg_is_dns_label(ns, strlen(ns)))
            snprintf(out, cap, "%s", ns);
    }
    fclose(f);
}

static int engine_start_lease(engine *e)
{
    if (!e->opts->leader_elect) {
        e->leading = true;
        return 0;
    }
    char ns[80], identity[200];
    engine_lease_namespace(e->opts, ns, sizeof ns);
    engine_identity(e->opts, identity, sizeof identity);
    lease_config lc = {.ns = ns,
                       .name = e->opts->lease_name,
                       .identity = identity,
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

static bool engine_ready(const engine *e, const char **why)
{
    static const char *const names[3] = {"clusterlinks", "services", "endpointslices"};
    for (int i = 0; i < 3; i++) {
        if (e->main_failing[i]) {
            *why = names[i];
            return false;
        }
    }
    *why = !e->links_synced ? "clusterlinks" : !e->view.svcs_synced ? "services" : "endpointslices";
    return e->links_synced && e->view.svcs_synced && e->view.slices_synced;
}

static double engine_resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f == NULL)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static double engine_rfc3339_unix(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

/* Gauges are read from the engine's state when scraped, never kept up to date in between. */
static void engine_refresh_metrics(engine *e)
{
    metrics_set(METRICS_LEADER, "", e->leading ? 1 : 0);
    metrics_set(METRICS_RESIDENT_MEMORY, "", engine_resident_bytes());
    for (smap_iter it = smap_iter_start(&e->links); smap_iter_ok(&it); smap_iter_next(&it)) {
        clink *lk = it.e->value;
        link_status st;
        link_build_status(lk, &st);
        char labels[300];
        metrics_labels(labels, sizeof labels, "link", lk->name, NULL);
        metrics_set(METRICS_LINK_CONNECTED, labels, lk->ready ? 1 : 0);
        metrics_set(METRICS_LINK_ENDPOINTS, labels, (double)st.endpoints);
        metrics_set(METRICS_LINK_SERVICES, labels, (double)st.services);
        metrics_set(METRICS_LINK_LAST_SYNC, labels, engine_rfc3339_unix(st.last_sync));
    }
}

static char *engine_leader_json(const engine *e, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "leaderElection");
    json_writer_bool(&w, e->lease != NULL);
    json_writer_key(&w, "leading");
    json_writer_bool(&w, e->leading);
    json_writer_member_string(&w, "identity", e->lease != NULL ? lease_identity(e->lease) : "");
    json_writer_member_string(&w, "holder", e->lease != NULL ? lease_holder(e->lease) : "");
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

static void engine_http(void *arg, const char *path, hsrv_reply *reply)
{
    engine *e = arg;
    const char *why = "";
    reply->content_type = "text/plain; charset=utf-8";
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0) {
        /* Answered from the loop itself: a wedged loop answers nothing and fails the probe. */
        reply->status = 200;
        reply->body = strdup("ok\n");
    } else if (strcmp(path, "/readyz") == 0) {
        bool ready = engine_ready(e, &why);
        char text[160];
        snprintf(text, sizeof text, ready ? "ok\n" : "not ready: the main cluster's %s are not synced\n", why);
        reply->status = ready ? 200 : 503;
        reply->body = strdup(text);
    } else if (strcmp(path, "/leader") == 0) {
        reply->status = 200;
        reply->content_type = "application/json";
        reply->body = engine_leader_json(e, &reply->body_len);
        return;
    } else if (strcmp(path, "/metrics") == 0) {
        engine_refresh_metrics(e);
        reply->status = 200;
        reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
        reply->body = metrics_render(&reply->body_len);
        if (reply->body == NULL)
            reply->status = 500;
        return;
    } else {
        reply->status = 404;
        reply->body = strdup("not found: try /healthz, /readyz, /leader or /metrics\n");
    }
    reply->body_len = reply->body != NULL ? strlen(reply->body) : 0;
}

static int engine_start_http(engine *e)
{
    if (e->opts->http_address == NULL)
        return 0;
    char host[256], err[300];
    uint16_t port;
    if (cfg_split_host_port(e->opts->http_address, host, sizeof host, &port) != 0)
        return -1; /* cfg has validated it already */
    e->http = hsrv_new(e->l, host, port, engine_http, e, err, sizeof err);
    if (e->http == NULL) {
        log_kv(LOG_ERROR, "cannot serve health and metrics", "address", e->opts->http_address, "error", err, NULL);
        return -1;
    }
    char bound[300];
    snprintf(bound, sizeof bound, "%s%s%s:%u", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
             (unsigned)hsrv_port(e->http));
    log_kv(LOG_INFO, "serving /healthz /readyz /leader /metrics", "address", bound, NULL);
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
    if (e->writes_in_flight > 0 && loop_now_ms() < e->drain_deadline_ms) {
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
    e->leading = false;
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

static int engine_load_main(engine *e)
{
    kcfg_error kerr;
    int rc = e->opts->kubeconfig_path != NULL ? kcfg_load_file(e->opts->kubeconfig_path, NULL, &e->main_cfg, &kerr)
                                              : kcfg_in_cluster(NULL, &e->main_cfg, &kerr);
    if (rc != 0) {
        log_kv(LOG_ERROR, "cannot load the main cluster's configuration", "kubeconfig",
               e->opts->kubeconfig_path ? e->opts->kubeconfig_path : "in-cluster", "error", kerr.msg, NULL);
        return -1;
    }
    char err[512];
    if (kconn_open(&e->main, e->l, e->dns, "main", &e->main_cfg, err, sizeof err) != 0) {
        log_kv(LOG_ERROR, "cannot use the main cluster's configuration", "error", err, NULL);
        kcfg_free(&e->main_cfg);
        return -1;
    }
    return 0;
}

static int engine_start_main(engine *e)
{
    static const char *const paths[3] = {
        ENGINE_CLUSTERLINKS,
        "/api/v1/services",
        "/apis/discovery.k8s.io/v1/endpointslices",
    };
    static const char kinds[3] = {'l', 's', 'e'};
    for (int i = 0; i < 3; i++) {
        e->mrefl[i].e = e;
        e->mrefl[i].kind = kinds[i];
        refl_config rc = {.path = paths[i],
                          .label_selector = kinds[i] == 'e' ? SLICE_LABEL_MANAGED_BY "=" SLICE_MANAGED_BY : NULL};
        e->main_refls[i] = refl_new(e->l, e->main.api, &rc, &main_refl_handlers, &e->mrefl[i]);
        if (e->main_refls[i] == NULL)
            return -1;
    }
    for (int i = 0; i < 3; i++)
        refl_start(e->main_refls[i]);
    return 0;
}

static void engine_cleanup(engine *e)
{
    lease_free(e->lease);
    hsrv_free(e->http);
    while (smap_count(&e->links) > 0) {
        smap_iter it = smap_iter_start(&e->links);
        link_destroy(it.e->value);
    }
    smap_free(&e->links);
    for (int i = 0; i < 3; i++)
        refl_free(e->main_refls[i]);
    while (e->wq_head != NULL) {
        write_op *op = e->wq_head;
        e->wq_head = op->next;
        engine_write_free(op);
    }
    for (smap_iter it = smap_iter_start(&e->pending_svc); smap_iter_ok(&it); smap_iter_next(&it))
        free(it.e->value);
    smap_free(&e->pending_svc);
    smap_free(&e->inflight);
    smap_free(&e->dirty);
    lview_free(&e->view);
    json_doc_free(&e->scratch);
    if (e->main.api != NULL)
        kconn_close(&e->main);
    kcfg_free(&e->main_cfg);
    dns_free(e->dns);
    loop_free(e->l);
    metrics_reset();
    for (int i = 0; i < 2; i++) {
        if (e->sig_pipe[i] > 0)
            close(e->sig_pipe[i]);
    }
}

int engine_run(const cfg_options *opts)
{
    engine e;
    memset(&e, 0, sizeof e);
    e.opts = opts;
    e.global_included.items = opts->included_namespaces;
    e.global_included.count = opts->included_namespace_count;
    smap_init(&e.links);
    smap_init(&e.dirty);
    smap_init(&e.pending_svc);
    smap_init(&e.inflight);
    lview_init(&e.view, engine_mark_dirty, &e);
    json_doc_init(&e.scratch);
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
        if (engine_start_http(&e) == 0 && engine_start_lease(&e) == 0 && engine_start_main(&e) == 0) {
            e.resync_timer = loop_timer_add(e.l, opts->sync_interval_ms, engine_on_resync, &e);
            loop_timer_add(e.l, 1000, engine_on_tick, &e);
            status = loop_run(e.l) == 0 ? e.exit_status : 1;
            log_kv(LOG_INFO, "svclink stopped", NULL);
        }
    }
    engine_cleanup(&e);
    return status;
}
