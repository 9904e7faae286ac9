/* ns_optout: the namespaces of one remote cluster that opt out of syncing by a label
 * (svclink.cloudpilot.ai/sync=false, or the vmware controller's replicated=false). */
#ifndef SVCLINK_CACHE_NS_OPTOUT_H
#define SVCLINK_CACHE_NS_OPTOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"
#include "base/strmap.h"

#define NS_OPTOUT_LABEL "svclink.cloudpilot.ai/sync"
#define NS_OPTOUT_ALIAS_LABEL "replicated" /* the vmware controller's marker */
/* One unselected Namespace watch per link reads both labels: a label selector cannot say
 * "either label", and a second watch would hold a second connection (a TLS session's
 * buffers) per link for what is usually a handful of names. Only opted-out names are kept. */
enum { NS_OPTOUT_BY_LABEL = 1, NS_OPTOUT_BY_ALIAS = 2 };

/* Called with a namespace whose opt-out changed. */
typedef void (*ns_optout_changed_cb)(void *arg, const char *ns);

typedef struct {
    strmap ns;          /* name -> (uintptr_t) bits now | bits before a relist << 8 */
    ns_optout_changed_cb changed;
    void *arg;
} ns_optout;

void ns_optout_init(ns_optout *o, ns_optout_changed_cb changed, void *arg);
void ns_optout_free(ns_optout *o);
/* A relist of the Namespace watch: begin, one ns_optout_set per object, end; a namespace the
 * list does not restate is no longer out. */
void ns_optout_list_begin(ns_optout *o);
void ns_optout_list_end(ns_optout *o);
/* A Namespace object seen (present) or deleted: it is out while either label says "false". */
void ns_optout_set(ns_optout *o, const json_doc *doc, int obj, bool present);
/* True when remote namespace ns opts out. */
bool ns_optout_out(const ns_optout *o, const char *ns);

#endif
