/* link_secret: watches the main cluster's Secret that holds a ClusterLink's kubeconfig
 * (spec.kubeconfigSecretRef) and hands each decoded version of its key to the link. */
#ifndef SVCLINK_LINK_LINK_SECRET_H
#define SVCLINK_LINK_LINK_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/apiclient.h"
#include "kube/reflector.h"
#include "link/link_status.h"
#include "net/loop.h"

/* The kubeconfig text of the Secret's key, decoded; valid only during the call (it is
 * wiped afterwards: it may hold credentials). */
typedef void (*link_secret_text_cb)(void *arg, const char *text, size_t len);

/* Owned by its link. A missing Secret, key or permission shows in status as a health
 * reason; the last kubeconfig stays in use meanwhile. */
typedef struct {
    reflector *refl;
    bool seen;        /* the Secret was in the last list or has been added since */
    char ns[256], name[256], key[256]; /* what refl serves */
    link_status_state *status; /* borrowed: the link's */
    link_secret_text_cb on_text;
    void *arg;
} link_secret;

/* Starts watching ns/name for key, or keeps the running watch when it already serves the
 * same target. Out of memory: no watch (the next call tries again). */
void link_secret_watch(link_secret *s, loop *l, apiclient_client *main_api, const char *ns, const char *name, const char *key,
                       link_status_state *status, link_secret_text_cb on_text, void *arg);
void link_secret_stop(link_secret *s);

#endif
