/* Unit tests for watch_event: each event type, ERROR Status fields and 410 detection, every
 * malformed envelope, line endings, one doc reused across events, plain Status bodies. */
#include "kube/watch_event.h"
#include "unit.h"

#include <stdlib.h>

static char watch_event_t_err[256];

static int watch_event_t_decode(json_doc *doc, const char *line, watch_event_event *ev)
{
    watch_event_t_err[0] = '\0';
    return watch_event_decode(line, strlen(line), doc, ev, watch_event_t_err, sizeof watch_event_t_err);
}

/* Decodes a line that must fail and checks the message mentions want. */
static bool watch_event_t_fails(const char *line, const char *want)
{
    json_doc doc;
    json_doc_init(&doc);
    watch_event_event ev;
    int r = watch_event_t_decode(&doc, line, &ev);
    json_doc_free(&doc);
    bool ok = r == -1 && strstr(watch_event_t_err, want) != NULL && ev.type == WATCH_EVENT_NONE &&
              ev.object == -1 && ev.resource_version[0] == '\0';
    if (!ok)
        fprintf(stderr, "watch_event: %s -> %d \"%s\" (wanted \"%s\")\n", line, r, watch_event_t_err, want);
    return ok;
}

UNIT_TEST(watch_event_added_modified_deleted)
{
    static const struct {
        const char *line;
        watch_event_type type;
        const char *rv;
    } cases[] = {
        {"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
         "{\"name\":\"web\",\"namespace\":\"shop\",\"resourceVersion\":\"1001\"},\"spec\":{}}}",
         WATCH_EVENT_ADDED, "1001"},
        {"{\"object\":{\"metadata\":{\"resourceVersion\":\"1002\",\"name\":\"web\"}},\"type\":\"MODIFIED\"}",
         WATCH_EVENT_MODIFIED, "1002"},
        {"{\"type\":\"DELETED\",\"object\":{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"web-1\","
         "\"resourceVersion\":\"1003\",\"deletionTimestamp\":\"2024-05-01T10:00:00Z\"}}}",
         WATCH_EVENT_DELETED, "1003"},
        /* Opaque: not necessarily a number, escapes decoded. */
        {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"a/b\\u0033-\\\"x\"}}}",
         WATCH_EVENT_ADDED, "a/b3-\"x"},
    };
    json_doc doc;
    json_doc_init(&doc);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        watch_event_event ev;
        CHECK(watch_event_t_decode(&doc, cases[i].line, &ev) == 0);
        CHECK(ev.type == cases[i].type);
        CHECK_STR_EQ(ev.resource_version, cases[i].rv);
        CHECK(json_is_object(&doc, ev.object));
        CHECK(json_str_eq(&doc, json_path(&doc, ev.object, "metadata", "resourceVersion", NULL),
                          cases[i].rv));
        CHECK(!watch_event_is_gone(&ev) && !ev.initial_events_end);
        CHECK(ev.status.code == 0 && ev.status.reason[0] == '\0');
    }
    json_doc_free(&doc);
}

UNIT_TEST(watch_event_bookmark)
{
    json_doc doc;
    json_doc_init(&doc);
    watch_event_event ev;
    CHECK(watch_event_t_decode(&doc,
                           "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"EndpointSlice\",\"apiVersion\":"
                           "\"discovery.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"12746\","
                           "\"creationTimestamp\":null}}}\n",
                           &ev) == 0);
    CHECK(ev.type == WATCH_EVENT_BOOKMARK && !ev.initial_events_end);
    CHECK_STR_EQ(ev.resource_version, "12746");
    CHECK(watch_event_t_decode(&doc,
                           "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\","
                           "\"metadata\":{\"resourceVersion\":\"99\",\"annotations\":"
                           "{\"k8s.io/initial-events-end\":\"true\"}}}}",
                           &ev) == 0);
    CHECK(ev.type == WATCH_EVENT_BOOKMARK && ev.initial_events_end);
    CHECK_STR_EQ(ev.resource_version, "99");
    CHECK(watch_event_t_fails("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":{}}}",
                          "watch event BOOKMARK: object has no metadata.resourceVersion"));
    json_doc_free(&doc);
}

UNIT_TEST(watch_event_error_expired)
{
    json_doc doc;
    json_doc_init(&doc);
    watch_event_event ev;
    CHECK(watch_event_t_decode(&doc,
                           "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                           "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: "
                           "123 (456)\",\"reason\":\"Expired\",\"code\":410}}\r\n",
                           &ev) == 0);
    CHECK(ev.type == WATCH_EVENT_ERROR && ev.status.code == 410);
    CHECK_STR_EQ(ev.status.reason, "Expired");
    CHECK_STR_EQ(ev.status.message, "too old resource version: 123 (456)");
    CHECK_STR_EQ(ev.resource_version, "");
    CHECK(watch_event_is_gone(&ev) && json_is_object(&doc, ev.object));

    /* Either signal alone is enough. */
    CHECK(watch_event_t_decode(&doc, "{\"type\":\"ERROR\",\"object\":{\"code\":410}}", &ev) == 0);
    CHECK(watch_event_is_gone(&ev) && ev.status.reason[0] == '\0');
    CHECK(watch_event_t_decode(&doc, "{\"type\":\"ERROR\",\"object\":{\"reason\":\"Gone\"}}", &ev) == 0);
    CHECK(watch_event_is_gone(&ev) && ev.status.code == 0);
    CHECK(watch_event_t_decode(&doc, "{\"type\":\"ERROR\",\"object\":{\"reason\":\"Expired\",\"code\":null}}",
                           &ev) == 0);
    CHECK(watch_event_is_gone(&ev));
    CHECK(watch_event_t_decode(&doc,
                           "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":\"Failure\","
                           "\"message\":\"etcdserver: request timed out\",\"reason\":\"InternalError\","
                           "\"code\":500}}",
                           &ev) == 0);
    CHECK(!watch_event_is_gone(&ev) && ev.status.code == 500);
    CHECK_STR_EQ(ev.status.reason, "InternalError");
    /* reason/message of the wrong type are left empty, not an error. */
    CHECK(watch_event_t_decode(&doc, "{\"type\":\"ERROR\",\"object\":{\"reason\":7,\"message\":[]}}", &ev) == 0);
    CHECK(ev.status.reason[0] == '\0' && ev.status.message[0] == '\0');
    json_doc_free(&doc);

    CHECK(watch_event_t_fails("{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}",
                          "Status code \"410\" is not an integer"));
    CHECK(watch_event_t_fails("{\"type\":\"ERROR\",\"object\":{\"code\":410.5}}", "not an integer"));
    CHECK(watch_event_t_fails("{\"type\":\"ERROR\",\"object\":{\"code\":4294967706}}", "not an integer"));
    CHECK(watch_event_t_fails("{\"type\":\"ERROR\"}", "watch event ERROR has no \"object\""));
}

UNIT_TEST(watch_event_error_long_text_truncated_safely)
{
    /* message: 600 x U+00E9 (2 bytes each, escaped and raw alternately): cut at 510 bytes. */
    size_t cap = 8192, o = 0;
    char *line = malloc(cap);
    CHECK(line != NULL);
    if (line == NULL)
        return;
    o += (size_t)snprintf(line + o, cap - o, "{\"type\":\"ERROR\",\"object\":{\"code\":403,\"message\":\"");
    for (int i = 0; i < 600; i++)
        o += (size_t)snprintf(line + o, cap - o, "%s", i % 2 ? "\\u00e9" : "\xc3\xa9");
    o += (size_t)snprintf(line + o, cap - o, "\",\"reason\":\"");
    for (int i = 0; i < 100; i++)
        line[o++] = 'R';
    o += (size_t)snprintf(line + o, cap - o, "\"}}");
    json_doc doc;
    json_doc_init(&doc);
    watch_event_event ev;
    CHECK(watch_event_decode(line, o, &doc, &ev, watch_event_t_err, sizeof watch_event_t_err) == 0);
    CHECK(strlen(ev.status.message) == WATCH_EVENT_MESSAGE_SIZE - 2);
    CHECK(memcmp(ev.status.message + WATCH_EVENT_MESSAGE_SIZE - 4, "\xc3\xa9", 2) == 0);
    CHECK(strlen(ev.status.reason) == WATCH_EVENT_REASON_SIZE - 1 && ev.status.code == 403);
    /* An embedded \u0000 keeps the text before it. */
    CHECK(watch_event_t_decode(&doc, "{\"type\":\"ERROR\",\"object\":{\"message\":\"abc\\u0000def\"}}", &ev) == 0);
    CHECK_STR_EQ(ev.status.message, "abc");
    json_doc_free(&doc);
    free(line);
}

UNIT_TEST(watch_event_malformed_envelopes)
{
    CHECK(watch_event_t_fails("", "not valid JSON: empty document"));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",", "not valid JSON: unexpected end of input"));
    CHECK(watch_event_t_fails("[]", "not a JSON object"));
    CHECK(watch_event_t_fails("{\"object\":{}}", "has no \"type\""));
    CHECK(watch_event_t_fails("{\"type\":\"FOO\",\"object\":{}}", "unknown watch event type \"FOO\""));
    CHECK(watch_event_t_fails("{\"type\":\"added\",\"object\":{}}", "unknown watch event type \"added\""));
    CHECK(watch_event_t_fails("{\"type\":1,\"object\":{}}", "unknown watch event type 1"));
    CHECK(watch_event_t_fails("{\"type\":\"ADDEDADDEDADDEDADDEDADDEDADDEDADDEDADDEDADDED\",\"object\":{}}",
                          "unknown watch event type \"ADDEDADDEDADDEDADDEDADDEDADDEDADDEDADDE..."));
    CHECK(watch_event_t_fails("{\"type\":\"\\u001b[31m\",\"object\":{}}", "unknown watch event type \"\\u001b[31m\""));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\"}", "watch event ADDED has no \"object\""));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",\"object\":[]}", "\"object\" [] is not a JSON object"));
    CHECK(watch_event_t_fails("{\"type\":\"MODIFIED\",\"object\":null}", "is not a JSON object"));
    CHECK(watch_event_t_fails("{\"type\":\"DELETED\",\"object\":\"x\"}", "is not a JSON object"));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",\"object\":{}}",
                          "watch event ADDED: object has no metadata.resourceVersion"));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",\"object\":{\"metadata\":[]}}", "no metadata.resourceVersion"));
    CHECK(watch_event_t_fails("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":123}}}",
                          "metadata.resourceVersion 123 is not a string"));
    CHECK(watch_event_t_fails("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"resourceVersion\":\"\"}}}",
                          "metadata.resourceVersion is empty"));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\\u00002\"}}}",
                          "holds \\u0000"));
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}} x",
                          "after the JSON value"));
}

UNIT_TEST(watch_event_resource_version_length_limit)
{
    char line[256], rv[80];
    memset(rv, '7', sizeof rv);
    rv[WATCH_EVENT_RV_SIZE - 1] = '\0'; /* exactly the limit */
    snprintf(line, sizeof line, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"%s\"}}}", rv);
    json_doc doc;
    json_doc_init(&doc);
    watch_event_event ev;
    CHECK(watch_event_t_decode(&doc, line, &ev) == 0);
    CHECK_STR_EQ(ev.resource_version, rv);
    json_doc_free(&doc);
    rv[WATCH_EVENT_RV_SIZE - 1] = '7';
    rv[WATCH_EVENT_RV_SIZE] = '\0';
    snprintf(line, sizeof line, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"%s\"}}}", rv);
    CHECK(watch_event_t_fails(line, "metadata.resourceVersion longer than 64 bytes"));
}

UNIT_TEST(watch_event_line_endings)
{
    static const char *const ends[] = {"\n", "\r\n", "\r", " \n", ""};
    json_doc doc;
    json_doc_init(&doc);
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"5\"}}}%s",
                 ends[i]);
        watch_event_event ev;
        CHECK(watch_event_t_decode(&doc, line, &ev) == 0 && ev.type == WATCH_EVENT_ADDED);
        CHECK_STR_EQ(ev.resource_version, "5");
    }
    json_doc_free(&doc);
    /* Two events on one line are not one event. */
    CHECK(watch_event_t_fails("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"5\"}}}\n"
                          "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"6\"}}}",
                          "after the JSON value"));
}

UNIT_TEST(watch_event_one_doc_across_a_stream)
{
    /* A big event, then small ones, then a bad one, then a good one: all on one doc. */
    size_t cap = 1 << 20, o = 0;
    char *big = malloc(cap);
    CHECK(big != NULL);
    if (big == NULL)
        return;
    o += (size_t)snprintf(big, cap, "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"77\"},"
                                    "\"endpoints\":[");
    for (int i = 0; i < 5000; i++)
        o += (size_t)snprintf(big + o, cap - o, "%s{\"addresses\":[\"10.1.%d.%d\"]}", i ? "," : "", i / 256,
                              i % 256);
    o += (size_t)snprintf(big + o, cap - o, "]}}\n");
    json_doc doc;
    json_doc_init(&doc);
    watch_event_event ev;
    CHECK(watch_event_decode(big, o, &doc, &ev, watch_event_t_err, sizeof watch_event_t_err) == 0);
    CHECK(ev.type == WATCH_EVENT_MODIFIED && json_len(&doc, json_obj_get(&doc, ev.object, "endpoints")) == 5000);
    char line[128];
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof line, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"%d\"}}}\n",
                 1000 + i);
        CHECK(watch_event_t_decode(&doc, line, &ev) == 0);
        char want[16];
        snprintf(want, sizeof want, "%d", 1000 + i);
        CHECK_STR_EQ(ev.resource_version, want);
    }
    CHECK(doc.cap < 1024); /* the big event's tokens were given back */
    CHECK(watch_event_t_decode(&doc, "{\"type\":", &ev) == -1 && doc.count == 0);
    CHECK(watch_event_t_decode(&doc, "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}",
                           &ev) == 0);
    CHECK_STR_EQ(ev.resource_version, "9");
    json_doc_free(&doc);
    free(big);
}

UNIT_TEST(watch_event_decode_status_body)
{
    json_doc doc;
    json_doc_init(&doc);
    watch_event_status st;
    const char *body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                       "\"message\":\"The provided continue parameter is too old to display a consistent "
                       "list result.\",\"reason\":\"Expired\",\"code\":410}";
    CHECK(watch_event_decode_status(body, strlen(body), &doc, &st, watch_event_t_err, sizeof watch_event_t_err) == 0);
    CHECK(st.code == 410 && watch_event_status_is_gone(&st));
    CHECK_STR_EQ(st.reason, "Expired");
    CHECK(strstr(st.message, "continue parameter is too old") != NULL);
    body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"
           "\"services \\\"web\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"web\","
           "\"kind\":\"services\"},\"code\":404}\n";
    CHECK(watch_event_decode_status(body, strlen(body), &doc, &st, watch_event_t_err, sizeof watch_event_t_err) == 0);
    CHECK(st.code == 404 && !watch_event_status_is_gone(&st));
    CHECK_STR_EQ(st.message, "services \"web\" not found");
    CHECK_STR_EQ(st.reason, "NotFound");

    static const struct {
        const char *body, *want;
    } bad[] = {
        {"<html>502 Bad Gateway</html>", "Status body is not valid JSON: unexpected character"},
        {"[]", "not a JSON object"},
        {"{\"code\":410}", "not a metav1.Status (kind missing)"},
        {"{\"kind\":\"Pod\",\"code\":410}", "not a metav1.Status (kind \"Pod\")"},
        {"{\"kind\":\"Status\",\"code\":true}", "Status body: Status code true is not an integer"},
        {"", "empty document"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st.code = 7;
        int r = watch_event_decode_status(bad[i].body, strlen(bad[i].body), &doc, &st, watch_event_t_err,
                                      sizeof watch_event_t_err);
        CHECK(r == -1 && strstr(watch_event_t_err, bad[i].want) != NULL);
        CHECK(st.code == 0 && st.reason[0] == '\0' && st.message[0] == '\0');
    }
    json_doc_free(&doc);
}

UNIT_TEST(watch_event_type_names)
{
    CHECK_STR_EQ(watch_event_type_name(WATCH_EVENT_ADDED), "ADDED");
    CHECK_STR_EQ(watch_event_type_name(WATCH_EVENT_MODIFIED), "MODIFIED");
    CHECK_STR_EQ(watch_event_type_name(WATCH_EVENT_DELETED), "DELETED");
    CHECK_STR_EQ(watch_event_type_name(WATCH_EVENT_BOOKMARK), "BOOKMARK");
    CHECK_STR_EQ(watch_event_type_name(WATCH_EVENT_ERROR), "ERROR");
    CHECK_STR_EQ(watch_event_type_name(WATCH_EVENT_NONE), "NONE");
    CHECK_STR_EQ(watch_event_type_name((watch_event_type)99), "NONE");
}
