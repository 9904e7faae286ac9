/* lease: leader election on a coordination.k8s.io/v1 Lease. The Lease is watched, so a
 * released or expired Lease is taken at once; writes are compare-and-swap on resourceVersion. */
#include "controller/lease.h"
#include "base/k8sname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/options.h"
#include "json/json_writer.h"
#include "base/log.h"
#include "kube/reflector.h"

struct lease {
    loop *l;
    apiclient_client *api; /* borrowed */
    lease_config cfg; /* strings point into the owned copies below */
    char *ns, *name, *identity;
    char *collection; /* /apis/coordination.k8s.io/v1/namespaces/NS/leases */
    char *field_selector;
    reflector *watch;
    lease_record rec;
    bool listed;       /* the watch has delivered a complete list */
    bool seen_in_list; /* the Lease was restated by the current list */
    uint64_t observed_ms; /* monotonic time the record last changed */
    bool leading;
    uint64_t renewed_ms;  /* when the last successful acquire/renew was sent */
    apiclient_req *req;        /* the write in flight, or NULL */
    uint64_t req_sent_ms;
    bool releasing;
    loop_timer_id tick;
    lease_change_cb cb;
    void *arg;
    void (*release_done)(void *arg);
    void *release_arg;
};

/* ---- pure parts ---- */

lease_action lease_decide(const lease_record *rec, const char *identity, uint64_t observed_ms, uint64_t now_ms,
                          uint64_t own_duration_ms)
{
    if (!rec->present)
        return LEASE_CREATE;
    if (strcmp(rec->holder, identity) == 0)
        return LEASE_RENEW;
    if (rec->holder[0] == '\0')
        return LEASE_TAKE;
    /* The holder's own claim of duration counts; our clock measures it, never theirs. */
    uint64_t duration_ms = rec->duration_s > 0 ? (uint64_t)rec->duration_s * 1000u : own_duration_ms;
    return observed_ms + duration_ms <= now_ms ? LEASE_TAKE : LEASE_WAIT;
}

int lease_parse(const json_doc *doc, int obj, lease_record *rec)
{
    memset(rec, 0, sizeof *rec);
    int spec = json_obj_get(doc, obj, "spec");
    int meta = json_obj_get(doc, obj, "metadata");
    if (!json_is_object(doc, meta))
        return -1;
    rec->present = true;
    json_str_copy(doc, json_obj_get(doc, meta, "resourceVersion"), rec->resource_version,
                  sizeof rec->resource_version, NULL);
    if (!json_is_object(doc, spec))
        return 0; /* a Lease with no spec yet: free for the taking */
    json_str_copy(doc, json_obj_get(doc, spec, "holderIdentity"), rec->holder, sizeof rec->holder, NULL);
    json_str_copy(doc, json_obj_get(doc, spec, "acquireTime"), rec->acquire_time, sizeof rec->acquire_time, NULL);
    json_str_copy(doc, json_obj_get(doc, spec, "renewTime"), rec->renew_time, sizeof rec->renew_time, NULL);
    json_int64(doc, json_obj_get(doc, spec, "leaseDurationSeconds"), &rec->duration_s);
    json_int64(doc, json_obj_get(doc, spec, "leaseTransitions"), &rec->transitions);
    return 0;
}

char *lease_body(const lease_config *cfg, const lease_record *prev, const char *identity, const char *now,
                 size_t *len)
{
    bool ours = prev->present && strcmp(prev->holder, identity) == 0 && identity[0] != '\0';
    bool release = identity[0] == '\0';
    int64_t transitions = prev->present ? prev->transitions : 0;
    if (prev->present && !ours && !release)
        transitions++;
    /* A release says "1 s" so that a replica without our watch also moves on quickly. */
    int64_t duration_s = release ? 1 : (int64_t)((cfg->duration_ms + 999) / 1000);
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "coordination.k8s.io/v1");
    json_writer_member_string(&w, "kind", "Lease");
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "name", cfg->name);
    json_writer_member_string(&w, "namespace", cfg->ns);
    if (prev->present && prev->resource_version[0] != '\0')
        json_writer_member_string(&w, "resourceVersion", prev->resource_version);
    json_writer_object_end(&w);
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "holderIdentity", identity);
    json_writer_member_int64(&w, "leaseDurationSeconds", duration_s);
    json_writer_member_string(&w, "acquireTime", ours && prev->acquire_time[0] != '\0' ? prev->acquire_time : now);
    json_writer_member_string(&w, "renewTime", now);
    json_writer_member_int64(&w, "leaseTransitions", transitions);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

/* ---- the running election ---- */

static void lease_try(lease *le);

static void lease_micro_now(char out[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%06dZ", base, (int)((ts.tv_nsec / 1000) % 1000000));
}

static bool lease_record_same(const lease_record *a, const lease_record *b)
{
    return a->present == b->present && strcmp(a->holder, b->holder) == 0 &&
           strcmp(a->renew_time, b->renew_time) == 0 && strcmp(a->acquire_time, b->acquire_time) == 0 &&
           a->duration_s == b->duration_s && a->transitions == b->transitions;
}

/* Takes a newer record; the clock for expiry restarts only when its content changed. */
static void lease_observe(lease *le, const lease_record *rec)
{
    if (!lease_record_same(&le->rec, rec))
        le->observed_ms = loop_now_ms();
    le->rec = *rec;
}

static void lease_lose(lease *le, const char *why)
{
    if (!le->leading)
        return;
    le->leading = false;
    log_kv(LOG_ERROR, "leader election lost", "lease", le->name, "identity", le->identity, "reason", why, NULL);
    le->cb(le->arg, false);
}

static void lease_on_written(void *arg, const apiclient_response *resp)
{
    lease *le = arg;
    le->req = NULL;
    uint64_t sent = le->req_sent_ms;
    if (le->releasing) {
        if (resp->status < 200 || resp->status >= 300)
            log_kv(LOG_WARN, "lease release failed; the next leader waits for expiry", "error", resp->error, NULL);
        else
            log_kv(LOG_INFO, "lease released", "lease", le->name, NULL);
        void (*done)(void *) = le->release_done;
        le->release_done = NULL;
        if (done != NULL)
            done(le->release_arg);
        return;
    }
    if (resp->status >= 200 && resp->status < 300) {
        json_doc doc;
        json_doc_init(&doc);
        char jerr[64];
        lease_record rec;
        if (json_parse(&doc, resp->body, resp->body_len, jerr, sizeof jerr) == 0 &&
            lease_parse(&doc, 0, &rec) == 0)
            lease_observe(le, &rec);
        json_doc_free(&doc);
        le->renewed_ms = sent;
        if (!le->leading && strcmp(le->rec.holder, le->identity) == 0) {
            le->leading = true;
            log_kv(LOG_INFO, "became leader", "lease", le->name, "identity", le->identity, NULL);
            le->cb(le->arg, true);
        }
        return;
    }
    /* 409: someone wrote first; the watch brings their record and the next try decides. */
    log_kv(resp->status == 409 ? LOG_DEBUG : LOG_WARN, "lease write failed", "lease", le->name, "error",
           resp->error, NULL);
    if (le->leading && loop_now_ms() - le->renewed_ms >= le->cfg.renew_deadline_ms)
        lease_lose(le, "could not renew within the renew deadline");
}

static void lease_send(lease *le, const char *identity)
{
    char now[40];
    lease_micro_now(now);
    size_t len;
    char *body = lease_body(&le->cfg, &le->rec, identity, now, &len);
    if (body == NULL)
        return;
    char path[600];
    bool create = !le->rec.present;
    if (create)
        snprintf(path, sizeof path, "%s", le->collection);
    else
        snprintf(path, sizeof path, "%s/%s", le->collection, le->name);
    le->req_sent_ms = loop_now_ms();
    le->req = apiclient_request(le->api, create ? "POST" : "PUT", path, "application/json", body, len, lease_on_written,
                           le);
    free(body);
}

static void lease_try(lease *le)
{
    if (le->req != NULL || le->releasing)
        return;
    uint64_t now = loop_now_ms();
    if (le->leading && now - le->renewed_ms >= le->cfg.renew_deadline_ms) {
        lease_lose(le, "could not renew within the renew deadline");
        return;
    }
    if (!le->listed && !le->leading)
        return;
    lease_action act = lease_decide(&le->rec, le->identity, le->observed_ms, now, le->cfg.duration_ms);
    if (act == LEASE_WAIT) {
        if (le->leading)
            lease_lose(le, "another replica holds the lease");
        return;
    }
    lease_send(le, le->identity);
}

static void lease_on_tick(loop *l, void *arg)
{
    lease *le = arg;
    le->tick = loop_timer_add(l, le->cfg.retry_ms, lease_on_tick, le);
    lease_try(le);
}

static void lease_watch_begin(void *arg)
{
    lease *le = arg;
    le->seen_in_list = false;
}

static void lease_watch_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    lease *le = arg;
    lease_record rec;
    if (op == REFLECTOR_DELETE) {
        memset(&rec, 0, sizeof rec);
    } else if (lease_parse(doc, obj, &rec) != 0) {
        return;
    }
    le->seen_in_list = op != REFLECTOR_DELETE;
    lease_observe(le, &rec);
    if (le->leading && rec.present && strcmp(rec.holder, le->identity) != 0) {
        lease_lose(le, "another replica took the lease");
        return;
    }
    /* A released or deleted Lease is taken now, not at the next tick: a rolling
     * update then hands over in a round trip. */
    if (le->listed && (!rec.present || rec.holder[0] == '\0'))
        lease_try(le);
}

static void lease_watch_end(void *arg)
{
    lease *le = arg;
    if (!le->seen_in_list) {
        lease_record none;
        memset(&none, 0, sizeof none);
        lease_observe(le, &none);
    }
    bool first = !le->listed;
    le->listed = true;
    if (first)
        lease_try(le);
}

static void lease_watch_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    lease *le = arg;
    (void)status;
    (void)transport;
    if (st == REFLECTOR_FAILING)
        log_kv(LOG_WARN, "lease watch failing", "lease", le->name, "error", reason, NULL);
}

static const reflector_handlers lease_watch_handlers = {lease_watch_begin, lease_watch_object, lease_watch_end,
                                                   lease_watch_state};

lease *lease_new(loop *l, apiclient_client *api, const lease_config *cfg, lease_change_cb cb, void *arg)
{
    lease *le = calloc(1, sizeof *le);
    if (le == NULL)
        return NULL;
    le->l = l;
    le->api = api;
    le->cb = cb;
    le->arg = arg;
    le->cfg = *cfg;
    le->ns = strdup(cfg->ns);
    le->name = strdup(cfg->name);
    le->identity = strdup(cfg->identity);
    size_t clen = strlen(cfg->ns) + 64, flen = strlen(cfg->name) + 32;
    le->collection = malloc(clen);
    le->field_selector = malloc(flen);
    if (le->ns == NULL || le->name == NULL || le->identity == NULL || le->collection == NULL ||
        le->field_selector == NULL) {
        lease_free(le);
        return NULL;
    }
    le->cfg.ns = le->ns;
    le->cfg.name = le->name;
    le->cfg.identity = le->identity;
    snprintf(le->collection, clen, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", cfg->ns);
    snprintf(le->field_selector, flen, "metadata.name=%s", cfg->name);
    /* Short watches: a renewal every retry period keeps the stream busy anyway. */
    reflector_config rc = {.path = le->collection, .field_selector = le->field_selector, .backoff_max_ms = 5000};
    le->watch = reflector_new(l, api, &rc, &lease_watch_handlers, le);
    if (le->watch == NULL) {
        lease_free(le);
        return NULL;
    }
    return le;
}

void lease_start(lease *le)
{
    log_kv(LOG_INFO, "leader election starting", "lease", le->name, "namespace", le->ns, "identity", le->identity,
           NULL);
    reflector_start(le->watch);
    le->tick = loop_timer_add(le->l, le->cfg.retry_ms, lease_on_tick, le);
}

bool lease_leading(const lease *le)
{
    return le->leading;
}

const char *lease_holder(const lease *le)
{
    return le->rec.present ? le->rec.holder : "";
}

const char *lease_identity(const lease *le)
{
    return le->identity;
}

void lease_release(lease *le, void (*done)(void *arg), void *arg)
{
    bool held = le->leading;
    le->leading = false;
    le->releasing = true;
    if (le->req != NULL) {
        apiclient_cancel(le->req);
        le->req = NULL;
    }
    if (!held || !le->rec.present || strcmp(le->rec.holder, le->identity) != 0) {
        done(arg);
        return;
    }
    le->release_done = done;
    le->release_arg = arg;
    lease_send(le, "");
    if (le->req == NULL) {
        le->release_done = NULL;
        done(arg);
    }
}

void lease_free(lease *le)
{
    if (le == NULL)
        return;
    if (le->req != NULL)
        apiclient_cancel(le->req);
    if (le->tick != 0)
        loop_timer_cancel(le->l, le->tick);
    reflector_free(le->watch);
    free(le->ns);
    free(le->name);
    free(le->identity);
    free(le->collection);
    free(le->field_selector);
    free(le);
}

void lease_default_identity(char *out, size_t cap)
{
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

#define LEASE_SA_NAMESPACE_FILE "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

void lease_default_namespace(const char *fallback, char *out, size_t cap)
{
    snprintf(out, cap, "%s", fallback);
    FILE *f = fopen(LEASE_SA_NAMESPACE_FILE, "r");
    if (f == NULL)
        return;
    char ns[80] = "";
    if (fgets(ns, sizeof ns, f) != NULL) {
        ns[strcspn(ns, "\r\n")] = '\0';
        if (k8sname_is_dns_label(ns, strlen(ns)))
            snprintf(out, cap, "%s", ns);
    }
    fclose(f);
}
