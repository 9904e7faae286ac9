/* list_frame: frames a Kubernetes LIST body ({"metadata":{...},"items":[{...},...]}) as its
 * bytes arrive, handing out one item (and the list's metadata) at a time, so a body is never held whole. */
#ifndef SVCLINK_KUBE_LIST_FRAME_H
#define SVCLINK_KUBE_LIST_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits. An item is one Service or EndpointSlice. The API server caps an object's
 * annotations at 256 KiB and a slice at 1,000 endpoints (about 250 KiB as JSON), so 1 MiB
 * holds any such object with room for its managedFields, while bounding what a hostile
 * server can make us hold (etcd's own limit, about 1.5 MiB per object, would allow more).
 * The list's own metadata is a few hundred bytes
 * (resourceVersion, continue token, remainingItemCount). Bytes outside items and metadata
 * (kind, apiVersion, whitespace, unknown members, which are skipped without being held)
 * are capped too, so a body cannot go on forever between items. Nesting beyond
 * LIST_FRAME_MAX_DEPTH (counted from the body's root) is refused, as json_parse would. */
#define LIST_FRAME_ITEM_MAX_DEFAULT ((size_t)1024 * 1024)
#define LIST_FRAME_META_MAX ((size_t)64 * 1024)
#define LIST_FRAME_GAP_MAX ((size_t)64 * 1024)
#define LIST_FRAME_MAX_DEPTH 64
#define LIST_FRAME_ERROR_MAX 160
/* A buffer grown past this for one large item is released after it, so one big object
 * does not keep its size resident for the rest of the run. */
#define LIST_FRAME_KEEP_MAX ((size_t)64 * 1024)

typedef enum { LIST_FRAME_ITEM, LIST_FRAME_META } list_frame_kind;

/* One complete item (an element of "items", always a JSON object, text from '{' to '}')
 * or the list's "metadata" object. The text is valid only during the call and is not yet
 * validated beyond its framing: parse it strictly (json_parse). Return 0 to go on, or -1
 * to stop: list_frame_feed then fails with err (the callback fills it) as its error. */
typedef int (*list_frame_cb)(void *arg, list_frame_kind kind, const char *text, size_t len, char *err, size_t errlen);

/* Framing state. Plain data plus one owned buffer (list_frame_free). Fields ending in '_'
 * are private. */
typedef struct {
    size_t item_max;       /* from list_frame_init */
    uint64_t offset;       /* body bytes consumed so far, for error positions */
    uint64_t items;        /* items handed out */
    bool failed;
    char error[LIST_FRAME_ERROR_MAX];

    int state_;
    char *buf_;            /* the item or metadata being captured */
    size_t len_, cap_, cap_limit_;
    size_t gap_;           /* bytes skipped outside items and metadata */
    char key_[12];         /* the top-level member being read ("items", "metadata") */
    size_t key_len_;
    bool key_long_, seen_items_, seen_meta_;
    int member_;           /* which member's value is being read */
    int value_state_;      /* inside a captured or skipped value: string/escape/scalar */
    unsigned depth_;       /* open containers, the body's root included */
    unsigned value_base_;  /* depth at which the current value started */
    uint8_t stack_[LIST_FRAME_MAX_DEPTH]; /* '{' or '[' per open container */
} list_frame;

/* item_max 0: LIST_FRAME_ITEM_MAX_DEFAULT. */
void list_frame_init(list_frame *f, size_t item_max);
/* Releases the buffer; f is then as after list_frame_init with the same item_max. */
void list_frame_reset(list_frame *f);
void list_frame_free(list_frame *f);

/* Consumes data[0..len) (any split of the body: one byte at a time works) and calls cb for
 * every item and for the metadata as each completes. Returns 0, or -1 with f->error set
 * (what, which item, at which body byte): not a JSON object at the root, "items" not an
 * array (null is an empty list), an item that is not an object or exceeds item_max, the
 * metadata over LIST_FRAME_META_MAX, nesting beyond LIST_FRAME_MAX_DEPTH, mismatched brackets, a
 * raw control byte in a string, data after the root value, LIST_FRAME_GAP_MAX exceeded,
 * or out of memory. After -1 every call returns -1. */
int list_frame_feed(list_frame *f, const char *data, size_t len, list_frame_cb cb, void *arg);

/* At the end of the body: 0 when the root object was complete, else -1 with f->error. */
int list_frame_finish(list_frame *f);

#endif
