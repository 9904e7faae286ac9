/* watch_event: decodes one line of a Kubernetes watch stream ({"type":...,"object":{...}}) and
 * metav1.Status bodies (ERROR events, HTTP error responses) into fixed-size fields. */
#ifndef SVCLINK_KUBE_WATCH_EVENT_H
#define SVCLINK_KUBE_WATCH_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "json/json.h"

/* Sizes include the NUL. A longer resourceVersion is an error (it is opaque and must be
 * sent back unchanged); a longer reason or message is cut at a character boundary. */
#define WATCH_EVENT_RV_SIZE 65
#define WATCH_EVENT_REASON_SIZE 64
#define WATCH_EVENT_MESSAGE_SIZE 512

typedef enum {
    WATCH_EVENT_NONE = 0,
    WATCH_EVENT_ADDED,
    WATCH_EVENT_MODIFIED,
    WATCH_EVENT_DELETED,
    WATCH_EVENT_BOOKMARK,
    WATCH_EVENT_ERROR,
} watch_event_type;

/* The fields of a metav1.Status this program acts on. */
typedef struct {
    int code;                            /* HTTP-style code; 0 when absent */
    char reason[WATCH_EVENT_REASON_SIZE];    /* e.g. "Expired", "Gone", "NotFound"; may be "" */
    char message[WATCH_EVENT_MESSAGE_SIZE];  /* human-readable; may be "" */
} watch_event_status;

typedef struct {
    watch_event_type type;
    /* Token index of the event's object in the json_doc given to watch_event_decode: valid
     * while that doc is not parsed again and the line is alive. */
    int object;
    /* metadata.resourceVersion: set for every type but ERROR (where it is ""). */
    char resource_version[WATCH_EVENT_RV_SIZE];
    /* BOOKMARK carrying the k8s.io/initial-events-end annotation (watch-list streams). */
    bool initial_events_end;
    /* ERROR only: the Status the server sent. */
    watch_event_status status;
} watch_event_event;

/* Parses one event line (a trailing "\n" or "\r\n" is fine) into doc, which the caller
 * owns and should reuse across events, then fills *ev (always initialised). Errors, with
 * err saying which: invalid JSON, a missing or unknown type, a missing or non-object
 * object, a missing, non-string, empty or over-long metadata.resourceVersion on any type
 * but ERROR, a non-integer status code. Returns 0 or -1. */
int watch_event_decode(const char *line, size_t len, json_doc *doc, watch_event_event *ev, char *err,
                   size_t errlen);

/* Decodes a metav1.Status body (an HTTP error response) into *st (always initialised).
 * The body must be a JSON object with "kind":"Status". Returns 0 or -1. */
int watch_event_decode_status(const char *body, size_t len, json_doc *doc, watch_event_status *st,
                          char *err, size_t errlen);

/* True when the Status says the resourceVersion or continue token expired: code 410, or
 * reason "Expired" or "Gone". The caller lists again. */
bool watch_event_status_is_gone(const watch_event_status *st);
/* True for an ERROR event whose Status is gone (as above). */
bool watch_event_is_gone(const watch_event_event *ev);

/* "ADDED", ..., "ERROR", or "NONE". */
const char *watch_event_type_name(watch_event_type type);

#endif
