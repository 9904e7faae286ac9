/* svcmode: reads a Service's mode annotation and validates a stashed selector; the stash
 * is checked whole before svclink ever writes it back, so garbage is refused, never applied. */
#include "svcmode.h"

#include <stdbool.h>
#include <string.h>

#include "lsel.h"
#include "txt.h"

static const char *const svcmode_names[] = {"", "singular", "union", "receiver", "source", "unknown"};

const char *svcmode_name(svcmode m)
{
    return (unsigned)m < sizeof svcmode_names / sizeof svcmode_names[0] ? svcmode_names[m] : "unknown";
}

svcmode svcmode_of(const json_doc *doc, int svc_obj)
{
    int ann = json_path(doc, svc_obj, "metadata", "annotations", NULL);
    int v = json_obj_get(doc, ann, SVCMODE_ANNOTATION);
    if (v < 0)
        v = json_obj_get(doc, ann, SVCMODE_ALIAS_ANNOTATION);
    if (v < 0)
        return SVCMODE_NONE;
    for (int m = SVCMODE_SINGULAR; m <= SVCMODE_SOURCE; m++) {
        if (json_str_eq(doc, v, svcmode_names[m]))
            return (svcmode)m;
    }
    return SVCMODE_UNKNOWN;
}

int svcmode_stash_check(const char *text, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > SVCMODE_MAX_STASH) {
        txt_errorf(err, errlen, "stash is %s", len == 0 ? "empty" : "longer than 4096 bytes");
        return -1;
    }
    json_doc doc;
    json_doc_init(&doc);
    char jerr[96];
    int rc = -1;
    if (json_parse(&doc, text, len, jerr, sizeof jerr) != 0) {
        txt_errorf(err, errlen, "stash is not JSON (%s)", jerr);
    } else if (!json_is_object(&doc, 0) || json_len(&doc, 0) <= 0) {
        txt_errorf(err, errlen, "stash is not a non-empty JSON object of labels");
    } else if (json_len(&doc, 0) > (int)SVCMODE_MAX_SELECTOR_KEYS) {
        txt_errorf(err, errlen, "stash has more than %u keys", SVCMODE_MAX_SELECTOR_KEYS);
    } else {
        rc = 0;
        for (int k = json_obj_first(&doc, 0); k >= 0 && rc == 0; k = json_next(&doc, k)) {
            char key[320], val[80];
            size_t klen = 0, vlen = 0;
            int v = json_obj_value(&doc, k);
            if (json_str_copy(&doc, k, key, sizeof key, &klen) != 0 || !lsel_valid_key(key, klen)) {
                txt_errorf(err, errlen, "stash has a key that is not a label key");
                rc = -1;
            } else if (!json_is_string(&doc, v) || json_str_copy(&doc, v, val, sizeof val, &vlen) != 0 ||
                       !lsel_valid_value(val, vlen)) {
                txt_errorf(err, errlen, "stash value of %.80s is not a label value", key);
                rc = -1;
            }
        }
    }
    json_doc_free(&doc);
    return rc;
}
