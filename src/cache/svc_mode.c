/* svc_mode: reads a Service's mode annotation and validates a stashed selector; the stash
 * is checked whole before svclink ever writes it back, so garbage is refused, never applied. */
#include "cache/svc_mode.h"

#include <stdbool.h>
#include <string.h>

#include "kube/label_sel.h"
#include "base/text.h"

static const char *const svc_mode_names[] = {"", "singular", "union", "receiver", "source", "unknown"};

const char *svc_mode_name(svc_mode m)
{
    return (unsigned)m < sizeof svc_mode_names / sizeof svc_mode_names[0] ? svc_mode_names[m] : "unknown";
}

svc_mode svc_mode_of(const json_doc *doc, int svc_obj)
{
    int ann = json_path(doc, svc_obj, "metadata", "annotations", NULL);
    int v = json_obj_get(doc, ann, SVC_MODE_ANNOTATION);
    if (v < 0)
        v = json_obj_get(doc, ann, SVC_MODE_ALIAS_ANNOTATION);
    if (v < 0)
        return SVC_MODE_NONE;
    for (int m = SVC_MODE_SINGULAR; m <= SVC_MODE_SOURCE; m++) {
        if (json_str_eq(doc, v, svc_mode_names[m]))
            return (svc_mode)m;
    }
    return SVC_MODE_UNKNOWN;
}

int svc_mode_stash_check(const char *text, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > SVC_MODE_MAX_STASH) {
        text_errorf(err, errlen, "stash is %s", len == 0 ? "empty" : "longer than 4096 bytes");
        return -1;
    }
    json_doc doc;
    json_doc_init(&doc);
    char jerr[96];
    int rc = -1;
    if (json_parse(&doc, text, len, jerr, sizeof jerr) != 0) {
        text_errorf(err, errlen, "stash is not JSON (%s)", jerr);
    } else if (!json_is_object(&doc, 0) || json_len(&doc, 0) <= 0) {
        text_errorf(err, errlen, "stash is not a non-empty JSON object of labels");
    } else if (json_len(&doc, 0) > (int)SVC_MODE_MAX_SELECTOR_KEYS) {
        text_errorf(err, errlen, "stash has more than %u keys", SVC_MODE_MAX_SELECTOR_KEYS);
    } else {
        rc = 0;
        for (int k = json_obj_first(&doc, 0); k >= 0 && rc == 0; k = json_next(&doc, k)) {
            char key[320], val[80];
            size_t klen = 0, vlen = 0;
            int v = json_obj_value(&doc, k);
            if (json_str_copy(&doc, k, key, sizeof key, &klen) != 0 || !label_sel_valid_key(key, klen)) {
                text_errorf(err, errlen, "stash has a key that is not a label key");
                rc = -1;
            } else if (!json_is_string(&doc, v) || json_str_copy(&doc, v, val, sizeof val, &vlen) != 0 ||
                       !label_sel_valid_value(val, vlen)) {
                text_errorf(err, errlen, "stash value of %.80s is not a label value", key);
                rc = -1;
            }
        }
    }
    json_doc_free(&doc);
    return rc;
}
