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
/* One reflector per label, each selecting only the opted-out namespaces remotely. */
#define NSOPT_SELECTOR NSOPT_LABEL "=false"
#define NSOPT_ALIAS_SELECTOR NSOPT_ALIAS_LABEL "=false"
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
/* A relist of the reflector for `by` (NSOPT_BY_*): begin, one upsert per object, end. */
void nsopt_list_begin(nsopt *o, uint8_t by);
void nsopt_list_end(nsopt *o, uint8_t by);
/* A Namespace object seen by the reflector for `by` (set) or deleted / no longer selected. */
void nsopt_set(nsopt *o, uint8_t by, const json_doc *doc, int obj, bool present);
/* True when remote namespace ns opts out. */
bool nsopt_out(const nsopt *o, const char *ns);

#endif
