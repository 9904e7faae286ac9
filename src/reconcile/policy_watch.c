/* policy_watch: reflectors on the main cluster's Nodes, `kubernetes` EndpointSlices and
 * ServiceCIDRs (with a fallback when the API has none), folded into the policy's deny sets. */
#include "reconcile/policy_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"

typedef enum { PW_NODES = 0, PW_APISERVERS, PW_SCIDRS, PW_SOURCES } pw_kind;

/* ServiceCIDR objects went GA in Kubernetes 1.33 (v1beta1 since 1.31); older servers have
 * none, and the kubernetes Service's ClusterIPs plus --service-cidrs are what is left. */
static const char *const pw_scidr_paths[] = {
    "/apis/networking.k8s.io/v1/servicecidrs",
    "/apis/networking.k8s.io/v1beta1/servicecidrs",
};
#define PW_SCIDR_VERSIONS (sizeof pw_scidr_paths / sizeof pw_scidr_paths[0])

/* The addresses one object contributes, with the list generation it was last seen in. */
typedef struct {
    uint32_t gen;
    size_t n;
    addrpol_cidr v[];
} pw_addrs;

typedef struct {
    policy_watch *pw;
    pw_kind kind;
    reflector *r;
    strmap objs;     /* name -> pw_addrs* (owned) */
    uint32_t gen;
    bool listing;
    bool synced;   /* listed once */
    bool absent;   /* ServiceCIDRs only: not served or refused; not waited for */
    size_t version; /* ServiceCIDRs only: index into pw_scidr_paths */
    int fail_status;        /* the last failure before the first list: HTTP status, 0: none or no answer */
    bool failed;            /* a failure was seen and no list has completed since */
    char fail_reason[160];
} pw_source;

struct policy_watch {
    loop *l;
    apiclient_client *api;
    policy_watch_config cfg;
    pw_source src[PW_SOURCES];
    pw_addrs *kube_svc;           /* default/kubernetes ClusterIPs (owned), or NULL */
    addrpol_set sets[ADDRPOL_NOT_ALLOWED]; /* by reason: SERVICE_CIDR, NODE, APISERVER */
    loop_timer_id rebuild_timer;
    loop_timer_id scidr_timer;    /* replaces the ServiceCIDR reflector (not from its callback) */
    bool was_ready;
};

static const reflector_handlers pw_handlers;

/* ---- decoding the addresses of each kind ---- */

/* Appends text as an address or range (bad or non-IP entries such as Hostname skipped). */
static void pw_collect(const json_doc *doc, int tok, addrpol_cidr *v, size_t cap, size_t *n)
{
    char buf[ADDRPOL_TEXT_MAX];
    size_t len = 0;
    if (*n >= cap || !json_is_string(doc, tok) || json_str_copy(doc, tok, buf, sizeof buf, &len) != JSON_OK)
        return;
    char why[8];
    if (addrpol_cidr_parse(buf, len, &v[*n], why, sizeof why) == 0)
        (*n)++;
}

/* At most this many addresses per object: a Node has a handful, a ServiceCIDR two. */
#define PW_MAX_PER_OBJECT 64

static size_t pw_decode(pw_kind kind, const json_doc *doc, int obj, addrpol_cidr *v)
{
    size_t n = 0;
    if (kind == PW_NODES) {
        int arr = json_path(doc, obj, "status", "addresses", NULL);
        for (int a = json_arr_first(doc, arr); a >= 0; a = json_next(doc, a))
            pw_collect(doc, json_obj_get(doc, a, "address"), v, PW_MAX_PER_OBJECT, &n);
    } else if (kind == PW_APISERVERS) {
        int eps = json_obj_get(doc, obj, "endpoints");
        for (int e = json_arr_first(doc, eps); e >= 0; e = json_next(doc, e)) {
            int addrs = json_obj_get(doc, e, "addresses");
            for (int a = json_arr_first(doc, addrs); a >= 0; a = json_next(doc, a))
                pw_collect(doc, a, v, PW_MAX_PER_OBJECT, &n);
        }
    } else {
        int cidrs = json_path(doc, obj, "spec", "cidrs", NULL);
        for (int c = json_arr_first(doc, cidrs); c >= 0; c = json_next(doc, c))
            pw_collect(doc, c, v, PW_MAX_PER_OBJECT, &n);
    }
    return n;
}

static pw_addrs *pw_addrs_new(const addrpol_cidr *v, size_t n, uint32_t gen)
{
    pw_addrs *a = malloc(sizeof *a + n * sizeof a->v[0]);
    if (a == NULL)
        return NULL;
    a->gen = gen;
    a->n = n;
    if (n > 0)
        memcpy(a->v, v, n * sizeof a->v[0]);
    return a;
}

static bool pw_addrs_same(const pw_addrs *a, const addrpol_cidr *v, size_t n)
{
    return a != NULL && a->n == n && (n == 0 || memcmp(a->v, v, n * sizeof *v) == 0);
}

/* ---- the deny sets ---- */

static void pw_on_rebuild(loop *l, void *arg);

static void pw_schedule_rebuild(policy_watch *pw)
{
    if (pw->rebuild_timer == 0)
        pw->rebuild_timer = loop_timer_add(pw->l, 0, pw_on_rebuild, pw);
}

/* Everything the objects of src give, plus extra, into one set. */
static int pw_build(addrpol_set *out, const pw_source *src, const addrpol_set *extra, const pw_addrs *more)
{
    addrpol_set_clear(out);
    if (addrpol_set_merge(out, extra) != 0)
        return -1;
    if (more != NULL && addrpol_set_add_many(out, more->v, more->n) != 0)
        return -1;
    size_t total = 0;
    for (strmap_iter it = strmap_iter_start(&src->objs); strmap_iter_ok(&it); strmap_iter_next(&it))
        total += ((const pw_addrs *)it.e->value)->n;
    if (total == 0)
        return 0;
    addrpol_cidr *all = malloc(total * sizeof *all);
    if (all == NULL)
        return -1;
    size_t k = 0;
    for (strmap_iter it = strmap_iter_start(&src->objs); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        const pw_addrs *a = it.e->value;
        memcpy(all + k, a->v, a->n * sizeof *all);
        k += a->n;
    }
    int rc = addrpol_set_add_many(out, all, k);
    free(all);
    return rc;
}

static void pw_on_rebuild(loop *l, void *arg)
{
    (void)l;
    policy_watch *pw = arg;
    pw->rebuild_timer = 0;
    addrpol_set server;
    addrpol_set_init(&server);
    const url_host *h = pw->cfg.server;
    if (h != NULL && (h->kind == URL_HOST_IPV4 || h->kind == URL_HOST_IPV6)) {
        addrpol_cidr c = addrpol_host(h->kind == URL_HOST_IPV4 ? 4 : 6, h->addr);
        addrpol_set_add(&server, &c);
    }
    addrpol_set next[ADDRPOL_NOT_ALLOWED];
    bool changed = false, failed = false;
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++) {
        addrpol_set_init(&next[r]);
        int rc = r == ADDRPOL_SERVICE_CIDR ? pw_build(&next[r], &pw->src[PW_SCIDRS], pw->cfg.service_cidrs, pw->kube_svc)
                 : r == ADDRPOL_NODE       ? pw_build(&next[r], &pw->src[PW_NODES], NULL, NULL)
                                           : pw_build(&next[r], &pw->src[PW_APISERVERS], &server, NULL);
        failed |= rc != 0;
    }
    addrpol_set_free(&server);
    if (failed) {
        /* Keep the sets in use rather than deny less than before. */
        log_kv(LOG_ERROR, "out of memory updating the address policy (the previous one stays)", NULL);
        for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++)
            addrpol_set_free(&next[r]);
        return;
    }
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++) {
        if (!addrpol_set_equal(&next[r], &pw->sets[r])) {
            changed = true;
            addrpol_set_free(&pw->sets[r]);
            pw->sets[r] = next[r];
        } else {
            addrpol_set_free(&next[r]);
        }
    }
    bool ready = policy_watch_ready(pw);
    if (changed || (ready && !pw->was_ready)) {
        char cidrs[300];
        addrpol_set_format(&pw->sets[ADDRPOL_SERVICE_CIDR], cidrs, sizeof cidrs);
        char nodes[32], apis[32];
        snprintf(nodes, sizeof nodes, "%zu", pw->sets[ADDRPOL_NODE].n);
        snprintf(apis, sizeof apis, "%zu", pw->sets[ADDRPOL_APISERVER].n);
        log_kv(LOG_INFO, "address policy in use", "serviceCIDRs", cidrs, "nodeAddresses", nodes, "apiServerAddresses", apis,
               "ready", ready ? "true" : "false", NULL);
    }
    if (ready && (changed || !pw->was_ready)) {
        pw->was_ready = true;
        pw->cfg.changed(pw->cfg.arg);
    }
}

/* ---- reflector callbacks ---- */

static void pw_begin(void *arg)
{
    pw_source *s = arg;
    s->gen++;
    s->listing = true;
}

static void pw_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    pw_source *s = arg;
    char name[256];
    size_t len = 0;
    if (json_str_copy(doc, json_path(doc, obj, "metadata", "name", NULL), name, sizeof name, &len) != JSON_OK ||
        len == 0)
        return;
    if (op == REFLECTOR_DELETE) {
        pw_addrs *old = strmap_del(&s->objs, name);
        if (old != NULL) {
            free(old);
            pw_schedule_rebuild(s->pw);
        }
        return;
    }
    addrpol_cidr v[PW_MAX_PER_OBJECT];
    size_t n = pw_decode(s->kind, doc, obj, v);
    pw_addrs *old = strmap_get(&s->objs, name);
    if (pw_addrs_same(old, v, n)) {
        old->gen = s->gen;
        return;
    }
    pw_addrs *a = pw_addrs_new(v, n, s->gen);
    if (a == NULL || strmap_put(&s->objs, name, a, NULL) != 0) {
        free(a);
        log_kv(LOG_ERROR, "out of memory recording main cluster addresses", "name", name, NULL);
        return;
    }
    free(old);
    pw_schedule_rebuild(s->pw);
}

static void pw_end(void *arg)
{
    pw_source *s = arg;
    for (strmap_iter it = strmap_iter_start(&s->objs); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        pw_addrs *a = it.e->value;
        if (a->gen != s->gen) {
            strmap_del(&s->objs, it.e->key);
            free(a);
        }
    }
    s->listing = false;
    s->synced = true;
    pw_schedule_rebuild(s->pw);
}

static const char *pw_resource(const pw_source *s)
{
    return s->kind == PW_NODES ? "nodes" : s->kind == PW_APISERVERS ? "endpointslices/kubernetes" : "servicecidrs";
}

static void pw_start_source(pw_source *s);

static void pw_on_scidr_retry(loop *l, void *arg)
{
    (void)l;
    policy_watch *pw = arg;
    pw_source *s = &pw->src[PW_SCIDRS];
    pw->scidr_timer = 0;
    reflector_free(s->r);
    s->r = NULL;
    if (s->absent) {
        pw_schedule_rebuild(pw);
        return;
    }
    pw_start_source(s);
}

static void pw_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    pw_source *s = arg;
    (void)transport;
    if (st == REFLECTOR_SYNCED)
        s->failed = false;
    if (st != REFLECTOR_FAILING)
        return;
    s->failed = true;
    s->fail_status = status;
    snprintf(s->fail_reason, sizeof s->fail_reason, "%s", reason != NULL ? reason : "");
    if (s->kind == PW_SCIDRS && !s->synced && (status == 404 || status == 403)) {
        /* Not served (an older API server) or refused (older RBAC): the next version, or
         * none; the reflector is replaced from a timer, never inside its own callback. */
        if (status == 404 && s->version + 1 < PW_SCIDR_VERSIONS) {
            s->version++;
        } else {
            s->absent = true;
            log_kv(status == 403 ? LOG_WARN : LOG_INFO,
                   "no ServiceCIDR objects: only the kubernetes Service's ClusterIPs and --service-cidrs are "
                   "denied as Service addresses",
                   "status", status == 403 ? "403" : "404", "error", reason, NULL);
        }
        if (s->pw->scidr_timer == 0)
            s->pw->scidr_timer = loop_timer_add(s->pw->l, 0, pw_on_scidr_retry, s->pw);
        return;
    }
    log_kv(LOG_ERROR, "main cluster watch failing (the address policy keeps what it had)", "resource",
           pw_resource(s), "status", status == 403 ? "403" : status == 0 ? "none" : "error", "error", reason, NULL);
}

static const reflector_handlers pw_handlers = {pw_begin, pw_object, pw_end, pw_state};

static void pw_start_source(pw_source *s)
{
    reflector_config rc = {.path = "/api/v1/nodes"};
    if (s->kind == PW_APISERVERS) {
        /* The API servers publish themselves as the endpoints of default/kubernetes. */
        rc.path = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
        rc.label_selector = "kubernetes.io/service-name=kubernetes";
    } else if (s->kind == PW_SCIDRS) {
        rc.path = pw_scidr_paths[s->version];
    }
    s->r = reflector_new(s->pw->l, s->pw->api, &rc, &pw_handlers, s);
    if (s->r == NULL) {
        log_kv(LOG_ERROR, "out of memory starting a watch", "resource", pw_resource(s), NULL);
        return;
    }
    reflector_start(s->r);
}

/* ---- public ---- */

policy_watch *policy_watch_new(loop *l, apiclient_client *api, const policy_watch_config *cfg)
{
    policy_watch *pw = calloc(1, sizeof *pw);
    if (pw == NULL)
        return NULL;
    pw->l = l;
    pw->api = api;
    pw->cfg = *cfg;
    for (int k = 0; k < PW_SOURCES; k++) {
        pw->src[k].pw = pw;
        pw->src[k].kind = (pw_kind)k;
        strmap_init(&pw->src[k].objs);
    }
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++)
        addrpol_set_init(&pw->sets[r]);
    return pw;
}

void policy_watch_start(policy_watch *pw)
{
    for (int k = 0; k < PW_SOURCES; k++)
        pw_start_source(&pw->src[k]);
    pw_schedule_rebuild(pw); /* --service-cidrs and the server address hold from the start */
}

void policy_watch_free(policy_watch *pw)
{
    if (pw == NULL)
        return;
    loop_timer_cancel(pw->l, pw->rebuild_timer);
    loop_timer_cancel(pw->l, pw->scidr_timer);
    for (int k = 0; k < PW_SOURCES; k++) {
        pw_source *s = &pw->src[k];
        reflector_free(s->r);
        for (strmap_iter it = strmap_iter_start(&s->objs); strmap_iter_ok(&it); strmap_iter_next(&it))
            free(it.e->value);
        strmap_free(&s->objs);
    }
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++)
        addrpol_set_free(&pw->sets[r]);
    free(pw->kube_svc);
    free(pw);
}

void policy_watch_service(policy_watch *pw, reflector_op op, const json_doc *doc, int obj)
{
    int meta = json_obj_get(doc, obj, "metadata");
    if (!json_str_eq(doc, json_obj_get(doc, meta, "namespace"), "default") ||
        !json_str_eq(doc, json_obj_get(doc, meta, "name"), "kubernetes"))
        return;
    addrpol_cidr v[PW_MAX_PER_OBJECT];
    size_t n = 0;
    if (op != REFLECTOR_DELETE) {
        int ips = json_path(doc, obj, "spec", "clusterIPs", NULL);
        for (int t = json_arr_first(doc, ips); t >= 0; t = json_next(doc, t))
            pw_collect(doc, t, v, PW_MAX_PER_OBJECT, &n);
        if (n == 0)
            pw_collect(doc, json_path(doc, obj, "spec", "clusterIP", NULL), v, PW_MAX_PER_OBJECT, &n);
    }
    if (pw_addrs_same(pw->kube_svc, v, n) || (pw->kube_svc == NULL && n == 0))
        return;
    pw_addrs *a = n > 0 ? pw_addrs_new(v, n, 0) : NULL;
    if (n > 0 && a == NULL)
        return; /* out of memory: keep the old addresses */
    free(pw->kube_svc);
    pw->kube_svc = a;
    pw_schedule_rebuild(pw);
}

bool policy_watch_blocked(const policy_watch *pw, char *why, size_t len)
{
    static const pw_kind needed[] = {PW_NODES, PW_APISERVERS};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        const pw_source *s = &pw->src[needed[i]];
        if (s->synced || !s->failed)
            continue;
        const char *resource = needed[i] == PW_NODES ? "nodes" : "endpointslices in default";
        if (s->fail_status == 403 || s->fail_status == 401)
            snprintf(why, len,
                     "the address policy cannot list %s (HTTP %d): grant list and watch on %s to svclink's "
                     "ServiceAccount; nothing is written until then",
                     resource, s->fail_status, resource);
        else
            snprintf(why, len, "the address policy cannot list %s (%.80s); nothing is written until it can",
                     resource, s->fail_reason[0] ? s->fail_reason : "no answer");
        return true;
    }
    return false;
}

bool policy_watch_ready(const policy_watch *pw)
{
    const pw_source *sc = &pw->src[PW_SCIDRS];
    return pw->src[PW_NODES].synced && pw->src[PW_APISERVERS].synced && (sc->synced || sc->absent);
}

void policy_watch_policy(const policy_watch *pw, addrpol *p)
{
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++)
        p->deny[r] = &pw->sets[r];
}
