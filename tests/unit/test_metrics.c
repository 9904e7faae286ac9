/* Unit tests for metrics: label escaping, counters, gauges, forgetting a link's series,
 * and the text format of the histogram. */
#include "base/metrics.h"
#include "unit.h"

#include <stdlib.h>

UNIT_TEST(metrics_labels_escape_and_truncate)
{
    char out[64];
    metrics_labels(out, sizeof out, "link", "a\"b\\c\nd", "verb", "GET", NULL);
    CHECK_STR_EQ(out, "link=\"a\\\"b\\\\c\\nd\",verb=\"GET\"");
    metrics_labels(out, sizeof out, NULL);
    CHECK_STR_EQ(out, "");
    char tiny[12];
    metrics_labels(tiny, sizeof tiny, "cluster", "a-very-long-name", NULL);
    CHECK_STR_EQ(tiny, ""); /* never a half label */
}

UNIT_TEST(metrics_render_groups_families)
{
    metrics_reset();
    metrics_add(METRICS_API_REQUESTS, "cluster=\"main\",verb=\"GET\",code=\"200\"", 1);
    metrics_add(METRICS_API_REQUESTS, "cluster=\"main\",verb=\"GET\",code=\"200\"", 2);
    metrics_set(METRICS_LINK_ENDPOINTS, "link=\"a\"", 5);
    metrics_set(METRICS_LINK_ENDPOINTS, "link=\"ab\"", 7);
    metrics_set(METRICS_LEADER, "", 1);
    metrics_observe(METRICS_PROPAGATION, "", 0.02);
    metrics_observe(METRICS_PROPAGATION, "", 3);
    size_t len = 0;
    char *text = metrics_render(&len);
    CHECK(text != NULL && strlen(text) == len);
    if (text != NULL) {
        CHECK(strstr(text, "svclink_api_requests_total{cluster=\"main\",verb=\"GET\",code=\"200\"} 3\n") != NULL);
        CHECK(strstr(text, "# TYPE svclink_api_requests_total counter\n") != NULL);
        CHECK(strstr(text, "svclink_link_endpoints{link=\"ab\"} 7\n") != NULL);
        CHECK(strstr(text, "svclink_leader 1\n") != NULL);
        CHECK(strstr(text, "svclink_propagation_seconds_bucket{le=\"0.01\"} 0\n") != NULL);
        CHECK(strstr(text, "svclink_propagation_seconds_bucket{le=\"0.025\"} 1\n") != NULL);
        CHECK(strstr(text, "svclink_propagation_seconds_bucket{le=\"5\"} 2\n") != NULL);
        CHECK(strstr(text, "svclink_propagation_seconds_bucket{le=\"+Inf\"} 2\n") != NULL);
        CHECK(strstr(text, "svclink_propagation_seconds_count 2\n") != NULL);
        /* One HELP per family even with several series. */
        const char *first = strstr(text, "# HELP svclink_link_endpoints");
        CHECK(first != NULL && strstr(first + 1, "# HELP svclink_link_endpoints") == NULL);
    }
    free(text);
    metrics_forget(METRICS_LINK_ENDPOINTS, "link=\"a\"");
    text = metrics_render(&len);
    CHECK(text != NULL && strstr(text, "link=\"a\"}") == NULL && strstr(text, "link=\"ab\"} 7") != NULL);
    free(text);
    metrics_reset();
    text = metrics_render(&len);
    CHECK(text != NULL && len == 0);
    free(text);
}
