/* probe: health, readiness, leader and metrics answers; gauges are read from the engine's
 * state when scraped, never kept up to date in between. */
#include "controller/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "link/cluster_link.h"
#include "json/json_writer.h"
#include "base/metrics.h"

bool probe_ready(const probe_view *v, char *text, size_t len)
{
    static const char *const names[3] = {"clusterlinks", "services", "endpointslices"};
    const char *why = NULL;
    for (int i = 0; i < 3 && why == NULL; i++) {
        if (v->main_failing[i])
            why = names[i];
    }
    if (why == NULL && !(v->links_synced && v->svcs_synced && v->slices_synced))
        why = !v->links_synced ? "clusterlinks" : !v->svcs_synced ? "services" : "endpointslices";
    if (why != NULL) {
        snprintf(text, len, "not ready: the main cluster's %s are not synced\n", why);
        return false;
    }
    if (v->blocked != NULL) {
        snprintf(text, len, "not ready: %s\n", v->blocked);
        return false;
    }
    snprintf(text, len, "ok\n");
    return true;
}

/* k8s-svc-sync's /ready: the main cluster as for /readyz, and every link connected and
 * listed ("connection to the clusters established"); *link names the first one that is not. */
static bool probe_ready_all(const probe_view *v, const char **why, const char **link, char *text, size_t len)
{
    *link = NULL;
    if (!probe_ready(v, text, len))
        return false;
    for (strmap_iter it = strmap_iter_start(v->links); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        const cluster_link *lk = it.e->value;
        /* A disabled link is meant to be disconnected. */
        if (!lk->status.ready && strcmp(lk->status.reason, "Disabled") != 0) {
            *link = lk->name;
            *why = lk->status.reason;
            return false;
        }
    }
    return true;
}

static double probe_resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f == NULL)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static double probe_rfc3339_unix(const char *text)
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

static void probe_refresh_metrics(const probe_view *v)
{
    metrics_set(METRICS_LEADER, "", v->leading ? 1 : 0);
    metrics_set(METRICS_RESIDENT_MEMORY, "", probe_resident_bytes());
    for (strmap_iter it = strmap_iter_start(v->links); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        const cluster_link *lk = it.e->value;
        link_status st;
        link_status_build(&lk->status, &st);
        char labels[300];
        metrics_labels(labels, sizeof labels, "link", lk->name, NULL);
        metrics_set(METRICS_LINK_CONNECTED, labels, lk->status.ready ? 1 : 0);
        metrics_set(METRICS_LINK_ENDPOINTS, labels, (double)st.endpoints);
        metrics_set(METRICS_LINK_SERVICES, labels, (double)st.services);
        metrics_set(METRICS_LINK_LAST_SYNC, labels, probe_rfc3339_unix(st.last_sync));
    }
}

static char *probe_leader_json(const probe_view *v, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "leaderElection");
    json_writer_bool(&w, v->lease != NULL);
    json_writer_key(&w, "leading");
    json_writer_bool(&w, v->leading);
    json_writer_member_string(&w, "identity", v->lease != NULL ? lease_identity(v->lease) : "");
    json_writer_member_string(&w, "holder", v->lease != NULL ? lease_holder(v->lease) : "");
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

/* k8s-svc-sync's answer, word for word: its operators' scripts compare it. */
static char *probe_leader_text(const probe_view *v, size_t *len)
{
    const char *name = v->lease != NULL ? lease_identity(v->lease) : v->identity != NULL ? v->identity : "";
    char text[200];
    if (v->leading)
        snprintf(text, sizeof text, "Leader: %.128s", name);
    else
        snprintf(text, sizeof text, "Follower");
    char *out = strdup(text);
    *len = out != NULL ? strlen(out) : 0;
    return out;
}

void probe_reply(const probe_view *v, const httpd_request *req, httpd_reply *reply)
{
    const char *why = "", *path = req->path;
    reply->content_type = "text/plain; charset=utf-8";
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 || strcmp(path, "/health") == 0) {
        /* Answered from the loop itself: a wedged loop answers nothing and fails the probe. */
        reply->status = 200;
        reply->body = strdup("ok\n");
    } else if (strcmp(path, "/readyz") == 0) {
        char text[400];
        bool ready = probe_ready(v, text, sizeof text);
        reply->status = ready ? 200 : 503;
        reply->body = strdup(text);
    } else if (strcmp(path, "/ready") == 0) {
        const char *link;
        char text[400];
        bool ready = probe_ready_all(v, &why, &link, text, sizeof text);
        if (!ready && link != NULL)
            snprintf(text, sizeof text, "not ready: link %.63s is %.31s\n", link, why[0] ? why : "not connected");
        reply->status = ready ? 200 : 503;
        reply->body = strdup(text);
    } else if (strcmp(path, "/leader") == 0) {
        reply->status = 200;
        if (v->leader_text && !httpd_accepts(req->accept != NULL ? req->accept : "", "application/json")) {
            reply->body = probe_leader_text(v, &reply->body_len);
        } else {
            reply->content_type = "application/json";
            reply->body = probe_leader_json(v, &reply->body_len);
        }
        if (reply->body == NULL)
            reply->status = 500;
        return;
    } else if (strcmp(path, "/metrics") == 0) {
        probe_refresh_metrics(v);
        reply->status = 200;
        reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
        reply->body = metrics_render(&reply->body_len);
        if (reply->body == NULL)
            reply->status = 500;
        return;
    } else {
        reply->status = 404;
        reply->body = strdup("not found: try /healthz, /readyz, /health, /ready, /leader or /metrics\n");
    }
    reply->body_len = reply->body != NULL ? strlen(reply->body) : 0;
}
