/* fuzz_watch_event: the input as a watch stream split on '\n', each line (in its own
 * exactly-sized buffer) through watch_event_decode on one reused doc, plus Status decoding. */
#include "kube/watch_event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                        \
    do {                                                                                        \
        if (!(cond))                                                                            \
            abort();                                                                            \
    } while (0)

static void fuzz_watchev_check_status(const watch_event_status *st)
{
    FUZZ_CHECK(strlen(st->reason) < sizeof st->reason);
    FUZZ_CHECK(strlen(st->message) < sizeof st->message);
}

static void fuzz_watchev_line(const char *line, size_t len, json_doc *doc)
{
    watch_event_event ev;
    char err[256] = "";
    if (watch_event_decode(line, len, doc, &ev, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0' && ev.type == WATCH_EVENT_NONE && ev.object == -1);
        FUZZ_CHECK(ev.resource_version[0] == '\0' && !watch_event_is_gone(&ev));
        return;
    }
    FUZZ_CHECK(ev.type >= WATCH_EVENT_ADDED && ev.type <= WATCH_EVENT_ERROR);
    FUZZ_CHECK(json_is_object(doc, ev.object));
    size_t rvlen = strlen(ev.resource_version);
    FUZZ_CHECK(rvlen < WATCH_EVENT_RV_SIZE);
    if (ev.type == WATCH_EVENT_ERROR) {
        FUZZ_CHECK(rvlen == 0);
        fuzz_watchev_check_status(&ev.status);
    } else {
        FUZZ_CHECK(rvlen > 0 && !watch_event_is_gone(&ev));
        FUZZ_CHECK(json_str_eq(doc, json_path(doc, ev.object, "metadata", "resourceVersion", NULL),
                               ev.resource_version));
    }
    FUZZ_CHECK(!ev.initial_events_end || ev.type == WATCH_EVENT_BOOKMARK);
    /* Tokens of the event stay usable until the next decode. */
    for (int k = json_obj_first(doc, ev.object); k >= 0; k = json_next(doc, k))
        FUZZ_CHECK(json_obj_value(doc, k) == k + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_doc doc;
    json_doc_init(&doc);
    size_t start = 0;
    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        /* The line keeps its '\n', as a stream reader may hand it over. */
        size_t len = nl != NULL ? (size_t)(nl - (data + start)) + 1 : size - start;
        char *line = malloc(len);
        if (line == NULL)
            break;
        memcpy(line, data + start, len);
        fuzz_watchev_line(line, len, &doc);
        free(line);
        start += len;
    }

    /* The whole input as an HTTP error body. */
    char *body = malloc(size ? size : 1);
    if (body != NULL) {
        memcpy(body, data, size);
        watch_event_status st;
        char err[256] = "";
        if (watch_event_decode_status(body, size, &doc, &st, err, sizeof err) == 0)
            fuzz_watchev_check_status(&st);
        else
            FUZZ_CHECK(err[0] != '\0' && st.code == 0 && st.reason[0] == '\0');
        free(body);
    }
    json_doc_free(&doc);
    return 0;
}
