/* lease: leader election among svclink replicas on a coordination.k8s.io/v1 Lease, with
 * client-go's rules (expiry judged on the local clock from when a record was last seen to change). */
#ifndef SVCLINK_CONTROLLER_LEASE_H
#define SVCLINK_CONTROLLER_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "kube/apiclient.h"
#include "net/loop.h"

typedef struct lease lease;

typedef struct {
    const char *ns;
    const char *name;
    const char *identity;
    uint64_t duration_ms;       /* written as leaseDurationSeconds (rounded up) */
    uint64_t renew_deadline_ms; /* a leader that cannot renew for this long gives up */
    uint64_t retry_ms;          /* between acquire attempts and between renewals */
} lease_config;

/* leading true: this replica now holds the Lease. leading false: it held it and lost
 * it (could not renew within the deadline, or someone else holds it now). */
typedef void (*lease_change_cb)(void *arg, bool leading);

/* The Lease as read from the API (strings are owned copies, bounded). */
typedef struct {
    bool present;
    char holder[129];
    char acquire_time[40];
    char renew_time[40];
    int64_t duration_s;
    int64_t transitions;
    char resource_version[64];
} lease_record;

typedef enum {
    LEASE_WAIT,    /* someone else holds a valid Lease */
    LEASE_CREATE,  /* no Lease exists */
    LEASE_TAKE,    /* the Lease is free or expired: update it to name us */
    LEASE_RENEW    /* we hold it: update renewTime */
} lease_action;

/* Pure decision, unit-tested: what to do given the last record, when it last changed
 * (monotonic ms) and now. */
lease_action lease_decide(const lease_record *rec, const char *identity, uint64_t observed_ms, uint64_t now_ms,
                          uint64_t own_duration_ms);

/* Reads a Lease object into rec. 0, or -1 when it is not a Lease-shaped object. */
int lease_parse(const json_doc *doc, int obj, lease_record *rec);

/* The PUT/POST body that makes identity the holder (or releases when identity is ""),
 * keeping acquireTime when we already held it. now is RFC 3339 with microseconds.
 * Caller frees the result. */
char *lease_body(const lease_config *cfg, const lease_record *prev, const char *identity, const char *now,
                 size_t *len);

/* Caller owns the result (lease_free); strings in cfg are copied. The Lease is watched
 * through api (borrowed; must outlive it). */
lease *lease_new(loop *l, apiclient_client *api, const lease_config *cfg, lease_change_cb cb, void *arg);
void lease_start(lease *le);
bool lease_leading(const lease *le);
/* The holder named by the last record seen ("" when none). */
const char *lease_holder(const lease *le);
const char *lease_identity(const lease *le);
/* Gives the Lease up (if held) so another replica takes over at once; done runs once,
 * when the release was answered or failed, or immediately when not leading. */
void lease_release(lease *le, void (*done)(void *arg), void *arg);
void lease_free(lease *le);

/* The identity written into the Lease when no flag gives one: POD_NAME or the host name,
 * plus a random suffix so that two processes on one host never share it. */
void lease_default_identity(char *out, size_t cap);
/* The namespace of the pod we run in (its service-account mount), else fallback. */
void lease_default_namespace(const char *fallback, char *out, size_t cap);

#endif
