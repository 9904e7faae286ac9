/* link_status: a ClusterLink's health, its status subresource (written only when it differs
 * from what the object says), its Events and its cleanup finalizer. */
#include "link/link_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link/cluster_link.h"
#include "json/json_writer.h"
#include "base/log.h"
#include "base/metrics.h"

#define LINK_STATUS_EVENTS_NS "default"
#define LINK_STATUS_BATCH_MS 300

void link_status_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void link_status_event(cluster_link *lk, bool warning, const char *reason, const char *message)
{
    /* A link without a ClusterLink has no object for an Event: its log line says it. */
    if (!lk->env->writes->leading || lk->is_static)
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
    if (body == NULL) {
        log_kv(LOG_ERROR, "cannot encode an Event (out of memory); it is not sent", "link", lk->name, "reason", reason,
               NULL);
        return;
    }
    write_queue_request r = {.what = WRITE_QUEUE_EVENT, .method = "POST", .path = "/api/v1/namespaces/" LINK_STATUS_EVENTS_NS "/events",
                    .ctype = "application/json", .kind = "Event", .ns = LINK_STATUS_EVENTS_NS, .name = lk->name,
                    .link = lk->name};
    /* Events are best effort: one lost is logged, not retried. */
    if (write_queue_write(lk->env->writes, &r, body, len) != 0)
        log_kv(LOG_ERROR, "cannot queue an Event (out of memory); it is not sent", "link", lk->name, "reason", reason,
               NULL);
}

void link_status_set_health(cluster_link *lk, bool ready, const char *reason, const char *fmt, ...)
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
        link_status_event(lk, !ready && strcmp(reason, "Disabled") != 0, reason, message);
    lk->pace.urgent = true;
    link_status_schedule(lk);
}

void link_status_build(const cluster_link *lk, link_status *st)
{
    memset(st, 0, sizeof *st);
    st->present = true;
    st->ready = lk->ready;
    snprintf(st->reason, sizeof st->reason, "%s", lk->reason[0] ? lk->reason : "Syncing");
    char note[600];
    policy_drops_format(&lk->drops, note, sizeof note);
    /* The note describes a synced link's endpoints; another state has its own message. */
    if (lk->ready && note[0] != '\0') {
        /* A cut note still names the first addresses; the message stays one line. */
        if (snprintf(st->message, sizeof st->message, "%s; %s", lk->message, note) >= (int)sizeof st->message)
            st->message[sizeof st->message - 1] = '\0';
    } else
        snprintf(st->message, sizeof st->message, "%s", lk->message);
    /* Until the remote answers /version again, the version the object names stands: a
     * restart would otherwise write it away and back. */
    snprintf(st->remote_version, sizeof st->remote_version, "%s",
             lk->remote_version[0] == '\0' && lk->observed.present ? lk->observed.remote_version : lk->remote_version);
    snprintf(st->last_sync, sizeof st->last_sync, "%s", lk->last_sync);
    st->observed_generation = lk->generation;
    st->services = (int64_t)strmap_count(&lk->counts);
    st->endpoints = lk->total_endpoints;
    /* The transition time moves only when the condition does. */
    if (lk->observed.present && lk->observed.ready == st->ready && strcmp(lk->observed.reason, st->reason) == 0 &&
        lk->observed.transition[0] != '\0')
        snprintf(st->transition, sizeof st->transition, "%s", lk->observed.transition);
    else if (lk->status_written && lk->written.ready == st->ready && strcmp(lk->written.reason, st->reason) == 0)
        snprintf(st->transition, sizeof st->transition, "%s", lk->written.transition);
    else
        link_status_now(st->transition);
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
static int link_status_send_patch(cluster_link *lk, json_writer *w, write_queue_what what, const char *subpath, const char *kind)
{
    json_writer_object_end(w);
    json_writer_object_end(w);
    size_t len;
    char *body = json_writer_finish(w, &len);
    char path[600];
    snprintf(path, sizeof path, CLUSTER_LINK_API_PATH "/%s%s", lk->name, subpath);
    write_queue_request r = {.what = what, .method = "PATCH", .path = path, .ctype = "application/merge-patch+json",
                    .kind = kind, .name = lk->name, .link = lk->name};
    if (body == NULL || write_queue_write(lk->env->writes, &r, body, len) != 0) {
        log_kv(LOG_ERROR, body == NULL ? "cannot encode the patch (out of memory)" : "cannot queue the patch (out of memory)",
               "kind", kind, "link", lk->name, NULL);
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
static bool link_status_due(cluster_link *lk, const link_status *st)
{
    const link_status *ref = lk->status_written ? &lk->written : &lk->observed;
    bool counts_only = ref->present && ref->ready == st->ready && strcmp(ref->reason, st->reason) == 0 &&
                       strcmp(ref->message, st->message) == 0 && strcmp(ref->transition, st->transition) == 0 &&
                       ref->observed_generation == st->observed_generation &&
                       strcmp(ref->remote_version, st->remote_version) == 0 &&
                       strcmp(ref->last_sync, st->last_sync) == 0;
    uint64_t now = loop_now_ms(), interval = lk->env->status_interval_ms;
    uint64_t wait_ms = 0;
    if (counts_only && lk->env->pending != NULL && strmap_count(lk->env->pending) > 0) {
        if (lk->pace.settling_since_ms == 0)
            lk->pace.settling_since_ms = now;
        if (now - lk->pace.settling_since_ms < interval)
            wait_ms = LINK_STATUS_BATCH_MS;
    }
    if (wait_ms == 0 && counts_only && lk->pace.last_write_ms != 0 && now < lk->pace.last_write_ms + interval)
        wait_ms = lk->pace.last_write_ms + interval - now;
    if (wait_ms == 0) {
        lk->pace.settling_since_ms = 0;
        return true;
    }
    if (lk->status_timer == 0) {
        lk->status_timer = loop_timer_add(lk->env->l, wait_ms, link_status_on_timer, lk);
        lk->pace.deferred = true;
    }
    return false;
}

static void link_status_write(cluster_link *lk)
{
    /* A link whose spec never parsed has no spec, but must still say why. */
    bool refused = !lk->have_spec && strcmp(lk->reason, "SpecInvalid") == 0;
    if (!lk->env->writes->leading || (!lk->have_spec && !refused) || lk->spec.deleting || lk->status_inflight ||
        lk->is_static)
        return;
    /* A restarted controller reconnecting to a link the object calls ready says nothing
     * until it knows more: otherwise every restart would flap the status. */
    if (strcmp(lk->reason, "Syncing") == 0 && !lk->ever_synced && lk->observed.ready)
        return;
    link_status st;
    link_status_build(lk, &st);
    if (link_status_equal(&st, &lk->observed) || (lk->status_written && link_status_equal(&st, &lk->written))) {
        lk->pace.urgent = false;
        return;
    }
    if (!link_status_due(lk, &st))
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
    if (link_status_send_patch(lk, &w, WRITE_QUEUE_STATUS, "/status", "ClusterLinkStatus") == 0) {
        lk->written = st;
        lk->status_written = true;
        lk->status_inflight = true;
        lk->pace.last_write_ms = loop_now_ms();
        lk->pace.urgent = false;
    } else {
        link_status_schedule(lk); /* tried again at the next batch */
    }
}

static void link_status_on_timer(loop *l, void *arg)
{
    (void)l;
    cluster_link *lk = arg;
    lk->status_timer = 0;
    lk->pace.deferred = false;
    link_status_write(lk);
}

void link_status_schedule(cluster_link *lk)
{
    /* A health change does not wait for a count write put off to the end of the interval. */
    if (lk->status_timer != 0 && !(lk->pace.deferred && lk->pace.urgent))
        return;
    if (lk->status_timer != 0)
        loop_timer_cancel(lk->env->l, lk->status_timer);
    lk->pace.deferred = false;
    lk->status_timer = loop_timer_add(lk->env->l, LINK_STATUS_BATCH_MS, link_status_on_timer, lk);
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

void link_status_count(cluster_link *lk, const char *key, int64_t neps)
{
    void *old = NULL;
    if (neps > 0)
        strmap_put(&lk->counts, key, (void *)(uintptr_t)(neps + 1), &old);
    else
        old = strmap_del(&lk->counts, key);
    int64_t before = old != NULL ? (int64_t)(uintptr_t)old - 1 : 0;
    if (before != neps) {
        lk->total_endpoints += neps - before;
        link_status_schedule(lk);
    }
}

void link_status_drops(cluster_link *lk, const char *key, const plan_drop *drops, size_t n)
{
    uint64_t fresh[ADDRPOL_REASONS] = {0};
    int changed = policy_drops_record(&lk->drops, key, lk->name, drops, n, fresh);
    if (changed < 0) {
        log_kv(LOG_ERROR, "out of memory recording dropped endpoints", "link", lk->name, "service", key, NULL);
        return;
    }
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_REASONS; r++) {
        if (fresh[r] == 0)
            continue;
        char labels[300];
        metrics_labels(labels, sizeof labels, "link", lk->name, "reason", addrpol_reason_label((addrpol_reason)r),
                       NULL);
        metrics_add(METRICS_ENDPOINTS_DROPPED, labels, (double)fresh[r]);
    }
    if (changed > 0) {
        char note[600];
        policy_drops_format(&lk->drops, note, sizeof note);
        log_kv(LOG_WARN, "address policy dropped endpoints", "link", lk->name, "service", key, "note",
               note[0] ? note : "none any more", NULL);
        link_status_schedule(lk);
    }
}

void link_status_patch_finalizers(cluster_link *lk, bool add)
{
    if (lk->finalizer_inflight || !lk->env->writes->leading || lk->is_static)
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
    if (link_status_send_patch(lk, &w, WRITE_QUEUE_FINALIZER, "", "ClusterLink") == 0)
        lk->finalizer_inflight = true;
}

void link_status_written(cluster_link *lk, bool finalizer, bool ok)
{
    if (finalizer) {
        lk->finalizer_inflight = false;
        return;
    }
    lk->status_inflight = false;
    /* A change made meanwhile was skipped: write it now. After a failure the next resync
     * tries again, so a refusing server is not hammered. */
    if (ok)
        link_status_schedule(lk);
    else
        lk->status_written = false;
}
