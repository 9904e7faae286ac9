/* metrics: the process's Prometheus counters, gauges and one latency histogram, kept in
 * one registry and rendered in the text exposition format for GET /metrics. */
#ifndef SVCLINK_BASE_METRICS_H
#define SVCLINK_BASE_METRICS_H

#include <stddef.h>

/* Families: every series belongs to one of these (help and type come from a table). */
typedef enum {
    METRICS_BUILD_INFO = 0,
    METRICS_LEADER,
    METRICS_LINK_CONNECTED,
    METRICS_LINK_ENDPOINTS,
    METRICS_LINK_SERVICES,
    METRICS_ENDPOINTS_DROPPED,
    METRICS_LINK_LAST_SYNC, /* LINK_CONNECTED..LINK_LAST_SYNC carry a link label: cluster_link_forget_metrics */
    METRICS_WATCH_RESTARTS,
    METRICS_LISTS,
    METRICS_API_REQUESTS,
    METRICS_WRITES,
    METRICS_WRITES_REFUSED,
    METRICS_PROPAGATION,
    METRICS_RESIDENT_MEMORY,
    METRICS_FAMILY_COUNT
} metrics_family;

/* labels is a pre-built label list without braces, e.g. `link="a"` (use metrics_labels),
 * or "" for none. Counters grow by delta; gauges are set; the histogram observes seconds.
 * Out of memory drops the sample: metrics never fail the controller. */
void metrics_add(metrics_family f, const char *labels, double delta);
void metrics_set(metrics_family f, const char *labels, double value);
void metrics_observe(metrics_family f, const char *labels, double seconds);
/* Forgets every series of f whose labels contain needle (a link that was deleted). */
void metrics_forget(metrics_family f, const char *needle);

/* Builds `k1="v1",k2="v2"` from NULL-terminated key, value pairs, escaping values as the
 * exposition format wants. Truncated (never overflowing) to cap. */
void metrics_labels(char *out, size_t cap, ...) __attribute__((sentinel));

/* The whole registry as text; caller frees. NULL on OOM. */
char *metrics_render(size_t *len);
/* Frees every series (process exit, tests). */
void metrics_reset(void);

#endif
