/* metrics: one process-wide registry of labelled series, rendered as Prometheus text.
 * The registry owns every series; it lives until metrics_reset (at exit). */
#include "base/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"

typedef enum { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM } metrics_type;

static const struct {
    const char *name;
    metrics_type type;
    const char *help;
} metrics_families[METRICS_FAMILY_COUNT] = {
    [METRICS_BUILD_INFO] = {"svclink_build_info", METRICS_GAUGE, "Always 1; the labels say which build runs."},
    [METRICS_LEADER] = {"svclink_leader", METRICS_GAUGE,
                        "1 when this replica may write (it leads, or leader election is off)."},
    [METRICS_LINK_CONNECTED] = {"svclink_link_connected", METRICS_GAUGE,
                                "1 when the link's remote cluster is connected and its caches are synced."},
    [METRICS_LINK_ENDPOINTS] = {"svclink_link_endpoints", METRICS_GAUGE,
                                "Endpoints written into the main cluster from this link."},
    [METRICS_LINK_SERVICES] = {"svclink_link_services", METRICS_GAUGE,
                               "Services that have endpoints written from this link."},
    [METRICS_ENDPOINTS_DROPPED] = {"svclink_endpoints_dropped_total", METRICS_COUNTER,
                                   "Remote endpoints the address policy refused, each counted once when it "
                                   "appears, per link and reason."},
    [METRICS_LINK_LAST_SYNC] = {"svclink_link_last_sync_timestamp_seconds", METRICS_GAUGE,
                                "Unix time of the link's last complete, successful sync."},
    [METRICS_WATCH_RESTARTS] = {"svclink_watch_restarts_total", METRICS_COUNTER,
                                "Watch streams opened again after the first, per cluster and resource."},
    [METRICS_LISTS] = {"svclink_lists_total", METRICS_COUNTER,
                       "Full LISTs started (the first and every relist), per cluster and resource."},
    [METRICS_API_REQUESTS] = {"svclink_api_requests_total", METRICS_COUNTER,
                              "API requests answered (or failed: code=\"0\"), per cluster, verb and code."},
    [METRICS_WRITES] = {"svclink_writes_total", METRICS_COUNTER,
                        "Writes to the main cluster, per kind and verb."},
    [METRICS_WRITES_REFUSED] = {"svclink_writes_refused_total", METRICS_COUNTER,
                                "Writes the main cluster refused with 403 Forbidden (RBAC or admission), per "
                                "kind and verb; writes into a namespace being deleted are not counted."},
    [METRICS_PROPAGATION] = {"svclink_propagation_seconds", METRICS_HISTOGRAM,
                             "From a change reaching svclink to the main API server acknowledging the "
                             "EndpointSlice write it caused."},
    [METRICS_RESIDENT_MEMORY] = {"process_resident_memory_bytes", METRICS_GAUGE, "Resident memory size in bytes."},
};

static const double metrics_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define METRICS_NBUCKETS (sizeof metrics_buckets / sizeof metrics_buckets[0])

typedef struct {
    metrics_family family;
    double value; /* counter or gauge; the histogram's sum */
    unsigned long long count;
    unsigned long long buckets[METRICS_NBUCKETS];
    char labels[]; /* owned copy */
} metrics_series;

static strmap metrics_registry; /* "FF|labels" -> metrics_series* (owned) */

static metrics_series *metrics_get(metrics_family f, const char *labels)
{
    char key[512];
    int n = snprintf(key, sizeof key, "%02d|%s", (int)f, labels);
    if (n < 0 || (size_t)n >= sizeof key)
        return NULL;
    metrics_series *s = strmap_get(&metrics_registry, key);
    if (s != NULL)
        return s;
    size_t llen = strlen(labels);
    s = calloc(1, sizeof *s + llen + 1);
    if (s == NULL)
        return NULL;
    s->family = f;
    memcpy(s->labels, labels, llen + 1);
    if (strmap_put(&metrics_registry, key, s, NULL) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void metrics_add(metrics_family f, const char *labels, double delta)
{
    metrics_series *s = metrics_get(f, labels);
    if (s != NULL)
        s->value += delta;
}

void metrics_set(metrics_family f, const char *labels, double value)
{
    metrics_series *s = metrics_get(f, labels);
    if (s != NULL)
        s->value = value;
}

void metrics_observe(metrics_family f, const char *labels, double seconds)
{
    metrics_series *s = metrics_get(f, labels);
    if (s == NULL)
        return;
    s->value += seconds;
    s->count++;
    for (size_t i = 0; i < METRICS_NBUCKETS; i++) {
        if (seconds <= metrics_buckets[i])
            s->buckets[i]++;
    }
}

void metrics_forget(metrics_family f, const char *needle)
{
    for (strmap_iter it = strmap_iter_start(&metrics_registry); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        metrics_series *s = it.e->value;
        if (s->family == f && strstr(s->labels, needle) != NULL) {
            free(strmap_del(&metrics_registry, it.e->key));
        }
    }
}

void metrics_labels(char *out, size_t cap, ...)
{
    va_list ap;
    va_start(ap, cap);
    size_t n = 0;
    bool whole = true;
    const char *key;
    if (cap == 0) {
        va_end(ap);
        return;
    }
    out[0] = '\0';
    while (whole && (key = va_arg(ap, const char *)) != NULL) {
        const char *p = va_arg(ap, const char *);
        int w = snprintf(out + n, cap - n, "%s%s=\"", n > 0 ? "," : "", key);
        whole = w >= 0 && (size_t)w < cap - n;
        if (!whole)
            break;
        n += (size_t)w;
        for (p = p != NULL ? p : ""; *p != '\0' && whole; p++) {
            bool esc = *p == '\\' || *p == '"' || *p == '\n';
            whole = n + (esc ? 2 : 1) + 2 <= cap; /* room left for the closing quote and NUL */
            if (whole && esc)
                out[n++] = '\\';
            if (whole)
                out[n++] = *p == '\n' ? 'n' : *p;
        }
        if (whole) {
            out[n++] = '"';
            out[n] = '\0';
        }
    }
    va_end(ap);
    /* A cut label set would mislabel a series: give none instead. */
    if (!whole)
        out[0] = '\0';
}

/* ---- rendering ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} metrics_out;

static void metrics_printf(metrics_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void metrics_printf(metrics_out *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n + 1;
        char *grown = realloc(o->buf, cap);
        if (grown == NULL) {
            o->failed = true;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
}

static int metrics_cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void metrics_render_series(metrics_out *o, const metrics_series *s)
{
    const char *name = metrics_families[s->family].name;
    const char *sep = s->labels[0] != '\0' ? "," : "";
    if (metrics_families[s->family].type != METRICS_HISTOGRAM) {
        if (s->labels[0] != '\0')
            metrics_printf(o, "%s{%s} %.15g\n", name, s->labels, s->value);
        else
            metrics_printf(o, "%s %.15g\n", name, s->value);
        return;
    }
    for (size_t i = 0; i < METRICS_NBUCKETS; i++)
        metrics_printf(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, s->labels, sep, metrics_buckets[i], s->buckets[i]);
    metrics_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, s->labels, sep, s->count);
    if (s->labels[0] != '\0') {
        metrics_printf(o, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, s->labels, s->value, name, s->labels,
                       s->count);
    } else {
        metrics_printf(o, "%s_sum %.9g\n%s_count %llu\n", name, s->value, name, s->count);
    }
}

char *metrics_render(size_t *len)
{
    size_t n = strmap_count(&metrics_registry), i = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    if (keys == NULL)
        return NULL;
    for (strmap_iter it = strmap_iter_start(&metrics_registry); strmap_iter_ok(&it); strmap_iter_next(&it))
        keys[i++] = it.e->key;
    qsort(keys, n, sizeof *keys, metrics_cmp_keys);
    metrics_out o = {.buf = malloc(4096), .cap = 4096};
    if (o.buf == NULL) {
        free(keys);
        return NULL;
    }
    o.buf[0] = '\0';
    int last = -1;
    for (i = 0; i < n; i++) {
        const metrics_series *s = strmap_get(&metrics_registry, keys[i]);
        if ((int)s->family != last) {
            last = (int)s->family;
            static const char *const types[] = {"counter", "gauge", "histogram"};
            metrics_printf(&o, "# HELP %s %s\n# TYPE %s %s\n", metrics_families[s->family].name,
                           metrics_families[s->family].help, metrics_families[s->family].name,
                           types[metrics_families[s->family].type]);
        }
        metrics_render_series(&o, s);
    }
    free(keys);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}

void metrics_reset(void)
{
    for (strmap_iter it = strmap_iter_start(&metrics_registry); strmap_iter_ok(&it); strmap_iter_next(&it))
        free(it.e->value);
    strmap_free(&metrics_registry);
}
