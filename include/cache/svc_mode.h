/* svcmode: the per-Service migration modes (annotation svclink.cloudpilot.ai/mode, alias
 * vmware.com/syndicate-mode) and the stash that holds a receiver's selector while it is off. */
#ifndef SVCLINK_SVCMODE_H
#define SVCLINK_SVCMODE_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define SVCMODE_ANNOTATION "svclink.cloudpilot.ai/mode"
#define SVCMODE_ALIAS_ANNOTATION "vmware.com/syndicate-mode" /* the vmware controller's */
/* The selector a receiver had, exactly as spec.selector (JSON), while svclink holds it off. */
#define SVCMODE_STASH_ANNOTATION "svclink.cloudpilot.ai/stashed-selector"
#define SVCMODE_MAX_STASH 4096u    /* bytes of a stash (and of a selector svclink stashes) */
#define SVCMODE_MAX_SELECTOR_KEYS 64u

typedef enum {
    SVCMODE_NONE = 0, /* no annotation: replicated like any Service */
    SVCMODE_SINGULAR, /* not exported; nothing imported into it */
    SVCMODE_UNION,    /* every cluster serves every cluster's endpoints (the default anyway) */
    SVCMODE_RECEIVER, /* here: selector held off, only the source clusters' endpoints */
    SVCMODE_SOURCE,   /* the cluster a receiver takes its endpoints from */
    SVCMODE_UNKNOWN   /* a value svclink does not know: treated as NONE, and reported */
} svcmode;

/* The mode of the Service object at svc_obj: the svclink annotation, else the alias. */
svcmode svcmode_of(const json_doc *doc, int svc_obj);
const char *svcmode_name(svcmode m);
/* Checks a stash: a non-empty JSON object of label keys to label values, at most
 * SVCMODE_MAX_STASH bytes and SVCMODE_MAX_SELECTOR_KEYS keys. 0, or -1 with err saying
 * what is wrong (never echoing more than a short prefix of the text). Pure and total. */
int svcmode_stash_check(const char *text, size_t len, char *err, size_t errlen);

#endif
