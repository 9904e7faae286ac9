/* fuzz_svcmode: any bytes as a stashed selector (svc_mode_stash_check) and, when they parse
 * as JSON, as a Service object (its mode, and main_view's reading of selector and stash). */
#include "json/json.h"
#include "cache/main_view.h"
#include "cache/svc_mode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size != 0 ? size : 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    else
        text[0] = '\0';
    char err[160];
    err[0] = '\0';
    /* a refused stash always says why; an accepted one is within the limits */
    if (svc_mode_stash_check(text, size, err, sizeof err) != 0 ? err[0] == '\0' : size > SVC_MODE_MAX_STASH)
        abort();
    json_doc doc;
    json_doc_init(&doc);
    if (json_parse(&doc, text, size, err, sizeof err) == 0) {
        if ((unsigned)svc_mode_of(&doc, 0) > SVC_MODE_UNKNOWN)
            abort();
        main_view v;
        main_view_init(&v, NULL, NULL);
        main_view_upsert(&v, 's', &doc, 0);
        for (strmap_iter it = strmap_iter_start(&v.svcs); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            const main_view_svc *s = it.e->value;
            if ((s->selector != NULL && strlen(s->selector) > SVC_MODE_MAX_STASH) ||
                (s->stash != NULL && strlen(s->stash) != s->stash_len))
                abort();
        }
        main_view_free(&v);
    }
    json_doc_free(&doc);
    free(text);
    return 0;
}
