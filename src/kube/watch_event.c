/* watch_event: one watch-stream line or Status body at a time, through json_parse into a
 * caller-owned doc, so a long-lived watch reuses one token array for every event. */
#include "kube/watch_event.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "base/text.h"

static const struct {
    const char *name;
    watch_event_type type;
} watch_event_types[] = {
    {"ADDED", WATCH_EVENT_ADDED},       {"MODIFIED", WATCH_EVENT_MODIFIED}, {"DELETED", WATCH_EVENT_DELETED},
    {"BOOKMARK", WATCH_EVENT_BOOKMARK}, {"ERROR", WATCH_EVENT_ERROR},
};

#define WATCH_EVENT_TYPE_COUNT (sizeof watch_event_types / sizeof watch_event_types[0])

const char *watch_event_type_name(watch_event_type type)
{
    for (size_t i = 0; i < WATCH_EVENT_TYPE_COUNT; i++)
        if (watch_event_types[i].type == type)
            return watch_event_types[i].name;
    return "NONE";
}

/* Fills st from a Status object; only a code that is not an int is an error. */
static int watch_event_status_fill(const json_doc *doc, int obj, watch_event_status *st, const char *what,
                               char *err, size_t errlen)
{
    int code = json_obj_get(doc, obj, "code");
    if (code >= 0 && !json_is_null(doc, code)) {
        int64_t v = 0;
        if (json_int64(doc, code, &v) != JSON_OK || v < INT_MIN || v > INT_MAX) {
            char q[JSON_QUOTE_SIZE];
            text_errorf(err, errlen, "%s: Status code %s is not an integer", what,
                           json_quote(doc, code, q));
            return -1;
        }
        st->code = (int)v;
    }
    /* Text for people: a cut (JSON_ERR_SPACE) or a \u0000 keeps the prefix json_str_copy
     * leaves; a missing or non-string field leaves "". Neither is worth failing for. */
    json_str_copy(doc, json_obj_get(doc, obj, "reason"), st->reason, sizeof st->reason, NULL);
    json_str_copy(doc, json_obj_get(doc, obj, "message"), st->message, sizeof st->message, NULL);
    return 0;
}

/* Empties ev so a failed decode never leaves half-filled fields; returns -1. */
static int watch_event_reset(watch_event_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->object = -1;
    return -1;
}

/* Copies metadata.resourceVersion of obj into ev; the value is opaque, so only its form
 * (a non-empty string that fits) is checked. */
static int watch_event_copy_rv(const json_doc *doc, int obj, watch_event_event *ev, char *err,
                           size_t errlen)
{
    const char *type = watch_event_type_name(ev->type);
    int rv = json_path(doc, obj, "metadata", "resourceVersion", NULL);
    if (rv < 0) {
        text_errorf(err, errlen, "watch event %s: object has no metadata.resourceVersion", type);
        return -1;
    }
    if (!json_is_string(doc, rv)) {
        char q[JSON_QUOTE_SIZE];
        text_errorf(err, errlen, "watch event %s: metadata.resourceVersion %s is not a string",
                       type, json_quote(doc, rv, q));
        return -1;
    }
    size_t n = 0;
    int r = json_str_copy(doc, rv, ev->resource_version, sizeof ev->resource_version, &n);
    if (r == JSON_ERR_SPACE) {
        text_errorf(err, errlen, "watch event %s: metadata.resourceVersion longer than %d bytes",
                       type, WATCH_EVENT_RV_SIZE - 1);
        return -1;
    }
    if (r != JSON_OK || n == 0) {
        text_errorf(err, errlen, "watch event %s: metadata.resourceVersion is %s", type,
                       r != JSON_OK ? "not a plain string (holds \\u0000)" : "empty");
        return -1;
    }
    return 0;
}

/* Parses text into doc and requires a JSON object at the top. */
static int watch_event_parse_object(json_doc *doc, const char *text, size_t len, const char *what,
                                char *err, size_t errlen)
{
    char jerr[160];
    if (json_parse(doc, text, len, jerr, sizeof jerr) < 0) {
        text_errorf(err, errlen, "%s is not valid JSON: %s", what, jerr);
        return -1;
    }
    if (!json_is_object(doc, 0)) {
        text_errorf(err, errlen, "%s is not a JSON object", what);
        return -1;
    }
    return 0;
}

int watch_event_decode(const char *line, size_t len, json_doc *doc, watch_event_event *ev, char *err,
                   size_t errlen)
{
    char q[JSON_QUOTE_SIZE];
    watch_event_reset(ev);
    if (watch_event_parse_object(doc, line, len, "watch event", err, errlen) < 0)
        return -1;
    int type = json_obj_get(doc, 0, "type");
    if (type < 0) {
        text_errorf(err, errlen, "watch event has no \"type\"");
        return -1;
    }
    for (size_t i = 0; i < WATCH_EVENT_TYPE_COUNT && ev->type == WATCH_EVENT_NONE; i++)
        if (json_str_eq(doc, type, watch_event_types[i].name))
            ev->type = watch_event_types[i].type;
    if (ev->type == WATCH_EVENT_NONE) {
        text_errorf(err, errlen, "unknown watch event type %s", json_quote(doc, type, q));
        return watch_event_reset(ev);
    }
    const char *name = watch_event_type_name(ev->type);
    int obj = json_obj_get(doc, 0, "object");
    if (obj < 0) {
        text_errorf(err, errlen, "watch event %s has no \"object\"", name);
        return watch_event_reset(ev);
    }
    if (!json_is_object(doc, obj)) {
        text_errorf(err, errlen, "watch event %s: \"object\" %s is not a JSON object", name,
                       json_quote(doc, obj, q));
        return watch_event_reset(ev);
    }
    ev->object = obj;
    if (ev->type == WATCH_EVENT_ERROR) {
        if (watch_event_status_fill(doc, obj, &ev->status, "watch event ERROR", err, errlen) < 0)
            return watch_event_reset(ev);
        return 0;
    }
    if (watch_event_copy_rv(doc, obj, ev, err, errlen) < 0)
        return watch_event_reset(ev);
    if (ev->type == WATCH_EVENT_BOOKMARK)
        ev->initial_events_end = json_str_eq(
            doc, json_path(doc, obj, "metadata", "annotations", "k8s.io/initial-events-end", NULL),
            "true");
    return 0;
}

int watch_event_decode_status(const char *body, size_t len, json_doc *doc, watch_event_status *st,
                          char *err, size_t errlen)
{
    char q[JSON_QUOTE_SIZE];
    memset(st, 0, sizeof *st);
    if (watch_event_parse_object(doc, body, len, "Status body", err, errlen) < 0)
        return -1;
    int kind = json_obj_get(doc, 0, "kind");
    if (!json_str_eq(doc, kind, "Status")) {
        text_errorf(err, errlen, "body is not a metav1.Status (kind %s)",
                       kind < 0 ? "missing" : json_quote(doc, kind, q));
        return -1;
    }
    if (watch_event_status_fill(doc, 0, st, "Status body", err, errlen) < 0) {
        memset(st, 0, sizeof *st);
        return -1;
    }
    return 0;
}

bool watch_event_status_is_gone(const watch_event_status *st)
{
    return st->code == 410 || strcmp(st->reason, "Expired") == 0 || strcmp(st->reason, "Gone") == 0;
}

bool watch_event_is_gone(const watch_event_event *ev)
{
    return ev->type == WATCH_EVENT_ERROR && watch_event_status_is_gone(&ev->status);
}
