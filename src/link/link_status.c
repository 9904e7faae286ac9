/* link_status: a ClusterLink's health, its status subresource (written only when it differs
 * from what the object says), its Events and its cleanup finalizer. */
#include "link/link_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/json_writer.h"
#include "base/log.h"
#include "base/metrics.h"

#define LINK_STATUS_EVENTS_NS "default"
#define LINK_STATUS_BATCH_MS 300

/* What the owner says of its ClusterLink right now (name, spec state): asked each time,
 * since a timer may fire after the spec changed. */
static link_status_facts link_status_facts_of(const link_status_state *st)
{
    link_status_facts f;
    memset(&f, 0, sizeof f);
    st->facts(st->owner, &f);
    return f;
}

void link_status_init(link_status_state *st, loop *l, write_queue *writes, const strmap *pending,
                      uint64_t status_interval_ms, void (*facts)(const void *owner, link_status_facts *out),
                      const void *owner)
{
    memset(st, 0, sizeof *st);
    st->l = l;
    st->writes = writes;
    st->pending = pending;
    st->status_interval_ms = status_interval_ms;
    st->facts = facts;
    st->owner = owner;
    strmap_init(&st->counts);
    policy_drops_init(&st->drops);
}

void link_status_free(link_status_state *st)
{
    if (st->status_timer != 0)
        loop_timer_cancel(st->l, st->status_timer);
    st->status_timer = 0;
    strmap_free(&st->counts);
    policy_drops_free(&st->drops);
}

void link_status_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void link_status_event(link_status_state *st, bool warning, const char *reason, const char *message)
{
    link_status_facts f = link_status_facts_of(st);
    /* A link without a ClusterLink has no object for an Event: its log line says it. */
    if (!st->writes->leading || f.is_static)
        return;
    char now[32];
    link_status_now(now);
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "v1");
    json_writer_member_string(&w, "kind", "Event");
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_key(&w, "generateName");
    char gen[300];
    snprintf(gen, sizeof gen, "%s.", f.name);
    json_writer_string(&w, gen);
    json_writer_object_end(&w);
    json_writer_key(&w, "involvedObject");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "svclink.cloudpilot.ai/v1alpha1");
    json_writer_member_string(&w, "kind", "ClusterLink");
    json_writer_member_string(&w, "name", f.name);
    if (f.have_spec && f.uid != NULL) {
        json_writer_member_string(&w, "uid", f.uid);
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
    if (body == NULL) {
        log_kv(LOG_ERROR, "cannot encode an Event (out of memory); it is not sent", "link", f.name, "reason", reason,
               NULL);
        return;
    }
    write_queue_request r = {.what = WRITE_QUEUE_EVENT, .method = "POST", .path = "/api/v1/namespaces/" LINK_STATUS_EVENTS_NS "/events",
                    .ctype = "application/json", .kind = "Event", .ns = LINK_STATUS_EVENTS_NS, .name = f.name,
                    .link = f.name};
    /* Events are best effort: one lost is logged, not retried. */
    if (write_queue_write(st->writes, &r, body, len) != 0)
        log_kv(LOG_ERROR, "cannot queue an Event (out of memory); it is not sent", "link", f.name, "reason", reason,
               NULL);
}

void link_status_write_refused(link_status_state *st, const char *what)
{
    uint64_t now = loop_now_ms();
    if (st->refused_event_ms != 0 && now - st->refused_event_ms < LINK_STATUS_REFUSED_EVENT_MS)
        return;
    st->refused_event_ms = now;
    char message[300];
    snprintf(message, sizeof message,
             "the main cluster refuses svclink's writes for this link: %.160s; grant that to svclink's "
             "ServiceAccount (the writes are retried with backoff)",
             what);
    link_status_facts f = link_status_facts_of(st);
    log_kv(LOG_WARN, "write refused", "link", f.name, "message", message, NULL);
    link_status_event(st, true, "WriteRefused", message);
}

void link_status_set_health(link_status_state *st, bool ready, const char *reason, const char *fmt, ...)
{
    link_status_facts f = link_status_facts_of(st);
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (st->ready == ready && strcmp(st->reason, reason) == 0 && strcmp(st->message, message) == 0)
        return;
    bool reason_changed = st->ready != ready || strcmp(st->reason, reason) != 0;
    st->ready = ready;
    snprintf(st->reason, sizeof st->reason, "%s", reason);
    snprintf(st->message, sizeof st->message, "%s", message);
    bool syncing = strcmp(reason, "Syncing") == 0;
    log_kv(ready || syncing ? LOG_INFO : LOG_WARN, "link state", "link", f.name, "ready", ready ? "true" : "false",
           "reason", reason, "message", message, NULL);
    /* No Event when the object already says so (a restarted controller finding things as
     * they were is not news). */
    bool already = st->observed.present && st->observed.ready == ready && strcmp(st->observed.reason, reason) == 0;
    /* Connecting is a step, not news: no Event for it. */
    if (reason_changed && !already && !syncing)
        link_status_event(st, !ready && strcmp(reason, "Disabled") != 0, reason, message);
    st->pace.urgent = true;
    link_status_schedule(st);
}

void link_status_build(const link_status_state *st, link_status *snap)
{
    link_status_facts f = link_status_facts_of(st);
    memset(snap, 0, sizeof *snap);
    snap->present = true;
    snap->ready = st->ready;
    snprintf(snap->reason, sizeof snap->reason, "%s", st->reason[0] ? st->reason : "Syncing");
    char note[600];
    policy_drops_format(&st->drops, note, sizeof note);
    /* The note describes a synced link's endpoints; another state has its own message. */
    if (st->ready && note[0] != '\0') {
        /* A cut note still names the first addresses; the message stays one line. */
        if (snprintf(snap->message, sizeof snap->message, "%s; %s", st->message, note) >= (int)sizeof snap->message)
            snap->message[sizeof snap->message - 1] = '\0';
    } else
        snprintf(snap->message, sizeof snap->message, "%s", st->message);
    /* Until the remote answers /version again, the version the object names stands: a
     * restart would otherwise write it away and back. */
    snprintf(snap->remote_version, sizeof snap->remote_version, "%s",
             st->remote_version[0] == '\0' && st->observed.present ? st->observed.remote_version : st->remote_version);
    snprintf(snap->last_sync, sizeof snap->last_sync, "%s", st->last_sync);
    snap->observed_generation = f.generation;
    snap->services = (int64_t)strmap_count(&st->counts);
    snap->endpoints = st->total_endpoints;
    /* The transition time moves only when the condition does. */
    if (st->observed.present && st->observed.ready == snap->ready && strcmp(st->observed.reason, snap->reason) == 0 &&
        st->observed.transition[0] != '\0')
        snprintf(snap->transition, sizeof snap->transition, "%s", st->observed.transition);
    else if (st->status_written && st->written.ready == snap->ready && strcmp(st->written.reason, snap->reason) == 0)
        snprintf(snap->transition, sizeof snap->transition, "%s", st->written.transition);
    else
        link_status_now(snap->transition);
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
static int link_status_send_patch(link_status_state *st, json_writer *w, write_queue_what what, const char *subpath, const char *kind)
{
    link_status_facts f = link_status_facts_of(st);
    json_writer_object_end(w);
    json_writer_object_end(w);
    size_t len;
    char *body = json_writer_finish(w, &len);
    char path[600];
    snprintf(path, sizeof path, LINKSPEC_API_PATH "/%s%s", f.name, subpath);
    write_queue_request r = {.what = what, .method = "PATCH", .path = path, .ctype = "application/merge-patch+json",
                    .kind = kind, .name = f.name, .link = f.name};
    if (body == NULL || write_queue_write(st->writes, &r, body, len) != 0) {
        log_kv(LOG_ERROR, body == NULL ? "cannot encode the patch (out of memory)" : "cannot queue the patch (out of memory)",
               "kind", kind, "link", f.name, NULL);
        return -1;
    }
    return 0;
}

static void link_status_on_timer(loop *l, void *arg);

/* Whether st may be written now. When only the counts differ from what was last written
 * (or what the object says), they go out at most once per status interval, and not while
 * the engine still has Services queued: counts read mid-pass are partial, and a restarted
 * controller would write them on the way back to what the object already says. That wait
 * lasts at most one interval, so a link under constant churn still reports. */
static bool link_status_due(link_status_state *st, const link_status *snap)
{
    const link_status *ref = st->status_written ? &st->written : &st->observed;
    bool counts_only = ref->present && ref->ready == snap->ready && strcmp(ref->reason, snap->reason) == 0 &&
                       strcmp(ref->message, snap->message) == 0 && strcmp(ref->transition, snap->transition) == 0 &&
                       ref->observed_generation == snap->observed_generation &&
                       strcmp(ref->remote_version, snap->remote_version) == 0 &&
                       strcmp(ref->last_sync, snap->last_sync) == 0;
    uint64_t now = loop_now_ms(), interval = st->status_interval_ms;
    uint64_t wait_ms = 0;
    if (counts_only && st->pending != NULL && strmap_count(st->pending) > 0) {
        if (st->pace.settling_since_ms == 0)
            st->pace.settling_since_ms = now;
        if (now - st->pace.settling_since_ms < interval)
            wait_ms = LINK_STATUS_BATCH_MS;
    }
    if (wait_ms == 0 && counts_only && st->pace.last_write_ms != 0 && now < st->pace.last_write_ms + interval)
        wait_ms = st->pace.last_write_ms + interval - now;
    if (wait_ms == 0) {
        st->pace.settling_since_ms = 0;
        return true;
    }
    if (st->status_timer == 0) {
        st->status_timer = loop_timer_add(st->l, wait_ms, link_status_on_timer, st);
        st->pace.deferred = true;
    }
    return false;
}

static void link_status_write(link_status_state *st)
{
    link_status_facts f = link_status_facts_of(st);
    /* A link whose spec never parsed has no spec, but must still say why. */
    bool refused = !f.have_spec && strcmp(st->reason, "SpecInvalid") == 0;
    if (!st->writes->leading || (!f.have_spec && !refused) || f.deleting || st->status_inflight ||
        f.is_static)
        return;
    /* A restarted controller reconnecting to a link the object calls ready says nothing
     * until it knows more: otherwise every restart would flap the status. No reason yet (a
     * kubeconfig Secret not listed yet) is "Syncing" too. */
    if ((st->reason[0] == '\0' || strcmp(st->reason, "Syncing") == 0) && !st->ever_synced && st->observed.ready)
        return;
    link_status snap;
    link_status_build(st, &snap);
    if (link_status_equal(&snap, &st->observed) || (st->status_written && link_status_equal(&snap, &st->written))) {
        st->pace.urgent = false;
        return;
    }
    if (!link_status_due(st, &snap))
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
    json_writer_member_string(&w, "status", snap.ready ? "True" : "False");
    json_writer_member_string(&w, "reason", snap.reason);
    json_writer_member_string(&w, "message", snap.message);
    json_writer_member_string(&w, "lastTransitionTime", snap.transition);
    json_writer_member_int64(&w, "observedGeneration", snap.observed_generation);
    json_writer_object_end(&w);
    json_writer_array_end(&w);
    json_writer_member_int64(&w, "observedGeneration", snap.observed_generation);
    if (snap.remote_version[0] != '\0') {
        json_writer_member_string(&w, "remoteVersion", snap.remote_version);
    }
    if (snap.last_sync[0] != '\0') {
        json_writer_member_string(&w, "lastSyncTime", snap.last_sync);
    }
    json_writer_member_int64(&w, "syncedServices", snap.services);
    json_writer_member_int64(&w, "syncedEndpoints", snap.endpoints);
    if (link_status_send_patch(st, &w, WRITE_QUEUE_STATUS, "/status", "ClusterLinkStatus") == 0) {
        st->written = snap;
        st->status_written = true;
        st->status_inflight = true;
        st->pace.last_write_ms = loop_now_ms();
        st->pace.urgent = false;
    } else {
        link_status_schedule(st); /* tried again at the next batch */
    }
}

static void link_status_on_timer(loop *l, void *arg)
{
    (void)l;
    link_status_state *st = arg;
    st->status_timer = 0;
    st->pace.deferred = false;
    link_status_write(st);
}

void link_status_schedule(link_status_state *st)
{
    /* A health change does not wait for a count write put off to the end of the interval. */
    if (st->status_timer != 0 && !(st->pace.deferred && st->pace.urgent))
        return;
    if (st->status_timer != 0)
        loop_timer_cancel(st->l, st->status_timer);
    st->pace.deferred = false;
    st->status_timer = loop_timer_add(st->l, LINK_STATUS_BATCH_MS, link_status_on_timer, st);
}

void link_status_parse(link_status *st, const json_doc *doc, int obj)
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

void link_status_count(link_status_state *st, const char *key, int64_t neps)
{
    void *old = NULL;
    if (neps > 0)
        strmap_put(&st->counts, key, (void *)(uintptr_t)(neps + 1), &old);
    else
        old = strmap_del(&st->counts, key);
    int64_t before = old != NULL ? (int64_t)(uintptr_t)old - 1 : 0;
    if (before != neps) {
        st->total_endpoints += neps - before;
        link_status_schedule(st);
    }
}

void link_status_drops(link_status_state *st, const char *key, const plan_drop *drops, size_t n)
{
    link_status_facts f = link_status_facts_of(st);
    uint64_t fresh[ADDRPOL_REASONS] = {0};
    int changed = policy_drops_record(&st->drops, key, f.name, drops, n, fresh);
    if (changed < 0) {
        log_kv(LOG_ERROR, "out of memory recording dropped endpoints", "link", f.name, "service", key, NULL);
        return;
    }
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_REASONS; r++) {
        if (fresh[r] == 0)
            continue;
        char labels[300];
        metrics_labels(labels, sizeof labels, "link", f.name, "reason", addrpol_reason_label((addrpol_reason)r),
                       NULL);
        metrics_add(METRICS_ENDPOINTS_DROPPED, labels, (double)fresh[r]);
    }
    if (changed > 0) {
        char note[600];
        policy_drops_format(&st->drops, note, sizeof note);
        log_kv(LOG_WARN, "address policy dropped endpoints", "link", f.name, "service", key, "note",
               note[0] ? note : "none any more", NULL);
        link_status_schedule(st);
    }
}

void link_status_patch_finalizers(link_status_state *st, bool add)
{
    link_status_facts f = link_status_facts_of(st);
    if (st->finalizer_inflight || !st->writes->leading || f.is_static)
        return;
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_key(&w, "finalizers");
    json_writer_array_begin(&w);
    for (size_t i = 0; i < f.other_finalizers->count; i++)
        json_writer_string(&w, f.other_finalizers->items[i]);
    if (add)
        json_writer_string(&w, LINKSPEC_FINALIZER);
    json_writer_array_end(&w);
    /* The resourceVersion makes this a compare-and-swap: another writer's change is not lost. */
    json_writer_member_string(&w, "resourceVersion", f.resource_version != NULL ? f.resource_version : "");
    if (link_status_send_patch(st, &w, WRITE_QUEUE_FINALIZER, "", "ClusterLink") == 0)
        st->finalizer_inflight = true;
}

void link_status_written(link_status_state *st, bool finalizer, bool ok)
{
    if (finalizer) {
        st->finalizer_inflight = false;
        return;
    }
    st->status_inflight = false;
    /* A change made meanwhile was skipped: write it now. After a failure the next resync
     * tries again, so a refusing server is not hammered. */
    if (ok)
        link_status_schedule(st);
    else
        st->status_written = false;
}
