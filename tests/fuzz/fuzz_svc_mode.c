/* fuzz_svcmode: any bytes as a stashed selector (svcmode_stash_check) and, when they parse
 * as JSON, as a Service object (its mode, and lview's reading of selector and stash). */
#include "json.h"
#include "lview.h"
#include "svcmode.h"

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
    if (svcmode_stash_check(text, size, err, sizeof err) != 0 ? err[0] == '\0' : size > SVCMODE_MAX_STASH)
        abort();
    json_doc doc;
    json_doc_init(&doc);
    if (json_parse(&doc, text, size, err, sizeof err) == 0) {
        if ((unsigned)svcmode_of(&doc, 0) > SVCMODE_UNKNOWN)
            abort();
        lview v;
        lview_init(&v, NULL, NULL);
        lview_upsert(&v, 's', &doc, 0);
        for (smap_iter it = smap_iter_start(&v.svcs); smap_iter_ok(&it); smap_iter_next(&it)) {
            const lview_svc *s = it.e->value;
            if ((s->selector != NULL && strlen(s->selector) > SVCMODE_MAX_STASH) ||
                (s->stash != NULL && strlen(s->stash) != s->stash_len))
                abort();
        }
        lview_free(&v);
    }
    json_doc_free(&doc);
    free(text);
    return 0;
}
