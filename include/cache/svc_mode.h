/* svc_mode: the per-Service migration modes (annotation svclink.cloudpilot.ai/mode, alias
 * vmware.com/syndicate-mode) and the stash that holds a receiver's selector while it is off. */
#ifndef SVCLINK_CACHE_SVC_MODE_H
#define SVCLINK_CACHE_SVC_MODE_H

#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#define SVC_MODE_ANNOTATION "svclink.cloudpilot.ai/mode"
#define SVC_MODE_ALIAS_ANNOTATION "vmware.com/syndicate-mode" /* the vmware controller's */
/* The selector a receiver had, exactly as spec.selector (JSON), while svclink holds it off. */
#define SVC_MODE_STASH_ANNOTATION "svclink.cloudpilot.ai/stashed-selector"
#define SVC_MODE_MAX_STASH 4096u    /* bytes of a stash (and of a selector svclink stashes) */
#define SVC_MODE_MAX_SELECTOR_KEYS 64u

typedef enum {
    SVC_MODE_NONE = 0, /* no annotation: replicated like any Service */
    SVC_MODE_SINGULAR, /* not exported; nothing imported into it */
    SVC_MODE_UNION,    /* every cluster serves every cluster's endpoints (the default anyway) */
    SVC_MODE_RECEIVER, /* here: selector held off, only the source clusters' endpoints */
    SVC_MODE_SOURCE,   /* the cluster a receiver takes its endpoints from */
    SVC_MODE_UNKNOWN   /* a value svclink does not know: treated as NONE, and reported */
} svc_mode;

/* The mode of the Service object at svc_obj: the svclink annotation, else the alias. */
svc_mode svc_mode_of(const json_doc *doc, int svc_obj);
const char *svc_mode_name(svc_mode m);
/* Checks a stash: a non-empty JSON object of label keys to label values, at most
 * SVC_MODE_MAX_STASH bytes and SVC_MODE_MAX_SELECTOR_KEYS keys. 0, or -1 with err saying
 * what is wrong (never echoing more than a short prefix of the text). Pure and total. */
int svc_mode_stash_check(const char *text, size_t len, char *err, size_t errlen);

#endif
