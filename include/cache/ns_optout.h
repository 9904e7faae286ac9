/* nsopt: the namespaces of one remote cluster that opt out of syncing by a label
 * (svclink.cloudpilot.ai/sync=false, or the vmware controller's replicated=false). */
#ifndef SVCLINK_NSOPT_H
#define SVCLINK_NSOPT_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "smap.h"

#define NSOPT_LABEL "svclink.cloudpilot.ai/sync"
#define NSOPT_ALIAS_LABEL "replicated" /* the vmware controller's marker */
/* One unselected Namespace watch per link reads both labels: a label selector cannot say
 * "either label", and a second watch would hold a second connection (a TLS session's
 * buffers) per link for what is usually a handful of names. Only opted-out names are kept. */
enum { NSOPT_BY_LABEL = 1, NSOPT_BY_ALIAS = 2 };

/* Called with a namespace whose opt-out changed. */
typedef void (*nsopt_changed_cb)(void *arg, const char *ns);

typedef struct {
    smap ns;          /* name -> (uintptr_t) bits now | bits before a relist << 8 */
    nsopt_changed_cb changed;
    void *arg;
} nsopt;

void nsopt_init(nsopt *o, nsopt_changed_cb changed, void *arg);
void nsopt_free(nsopt *o);
/* A relist of the Namespace watch: begin, one nsopt_set per object, end; a namespace the
 * list does not restate is no longer out. */
void nsopt_list_begin(nsopt *o);
void nsopt_list_end(nsopt *o);
/* A Namespace object seen (present) or deleted: it is out while either label says "false". */
void nsopt_set(nsopt *o, const json_doc *doc, int obj, bool present);
/* True when remote namespace ns opts out. */
bool nsopt_out(const nsopt *o, const char *ns);

#endif
