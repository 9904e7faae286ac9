/* slice: the compact model of an EndpointSlice (about 32 bytes per endpoint), decoding it
 * from API JSON, naming and hashing the slices svclink writes, and writing their bodies. */
#ifndef SVCLINK_CACHE_SLICE_H
#define SVCLINK_CACHE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#define SLICE_MANAGED_BY "svclink.cloudpilot.ai"
#define SLICE_LABEL_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define SLICE_LABEL_SERVICE "kubernetes.io/service-name"
#define SLICE_LABEL_CLUSTER "svclink.cloudpilot.ai/cluster"
#define SLICE_LABEL_SOURCE "multicluster.kubernetes.io/source-cluster"
/* The vmware controller's marker on what it replicated; tools may look for it. */
#define SLICE_LABEL_REPLICATED "replicated"
/* The built-in controller writes at most 100 endpoints per slice; so do we. */
#define SLICE_MAX_ENDPOINTS 100
#define SLICE_API_MAX_ENDPOINTS 1000
#define SLICE_MAX_PORTS 100

typedef enum { SLICE_ADDR_NONE = 0, SLICE_ADDR_IPV4 = 4, SLICE_ADDR_IPV6 = 6 } slice_addr_type;

/* Condition bits: a *_SET bit says the field was present; absent ready/serving mean true
 * and absent terminating means false, and we keep absent as absent. */
enum {
    SLICE_READY_SET = 1, SLICE_READY = 2, SLICE_SERVING_SET = 4, SLICE_SERVING = 8,
    SLICE_TERMINATING_SET = 16, SLICE_TERMINATING = 32
};

/* One endpoint as slice_data_ep reads it out of a slice_data: a copy of its first address
 * (4 bytes used for IPv4) and conditions; hostname is borrowed from the slice_data. */
typedef struct {
    uint8_t addr[16];  /* network order */
    uint8_t cond;      /* SLICE_* bits */
    const char *hostname; /* NULL when none */
} slice_ep;

typedef struct {
    const char *name;         /* interned (intern), one reference owned; "" when unnamed */
    const char *app_protocol; /* interned, one reference owned, or NULL */
    int32_t port;       /* -1: no port (all ports) */
    uint8_t protocol;   /* SLICE_PROTO_* */
} slice_port;

enum { SLICE_PROTO_TCP = 0, SLICE_PROTO_UDP, SLICE_PROTO_SCTP };

/* A port's protocol field (Service or EndpointSlice): absent or unknown means TCP, the
 * API's default. */
uint8_t slice_protocol_parse(const json_doc *doc, int tok);
/* "TCP", "UDP" or "SCTP". */
const char *slice_protocol_name(uint8_t protocol);

/* One slice's data; every array and string is owned (slice_data_free). The endpoints are
 * packed, since a hundred thousand of them may be held: neps records of
 * slice_ep_size(addr_type) bytes, each the conditions byte and then the address (4 bytes
 * for IPv4, 16 for IPv6). Read them with slice_data_ep. */
typedef struct {
    slice_port *ports;
    uint8_t *eps;
    char **hostnames;   /* NULL when no endpoint has a hostname, else neps entries (NULL: none) */
    uint32_t neps;
    uint32_t dropped;   /* endpoints left out: unsafe addresses (loopback, link-local, ...) */
    slice_addr_type addr_type;
    uint16_t nports;
} slice_data;

/* Bytes of one packed endpoint record of a slice of this address type. */
size_t slice_ep_size(slice_addr_type t);
/* Endpoint i (< d->neps) of d. */
slice_ep slice_data_ep(const slice_data *d, uint32_t i);

/* Decodes an EndpointSlice object. FQDN slices (and unknown types) give addr_type NONE and
 * no endpoints: svclink only carries IP endpoints. Endpoints whose first address is
 * loopback, link-local, unspecified or multicast are dropped (counted in dropped): such an
 * address from a remote cluster would send local traffic somewhere local. 0, or -1 with
 * err naming the field. */
int slice_parse(const json_doc *doc, int obj, slice_data *out, char *err, size_t errlen);
void slice_data_free(slice_data *d);

/* True for addresses never written (loopback, link-local, unspecified, multicast). */
bool slice_addr_unsafe(slice_addr_type t, const uint8_t *addr);

/* Sorts ports into the canonical order (name, protocol, port) in place. */
void slice_ports_sort(slice_port *ports, size_t n);
/* A hash of a canonically sorted port set: slices with equal port sets group together. */
uint64_t slice_ports_hash(const slice_port *ports, size_t n);
/* Compares two slice_ep by address bytes (then conditions, hostname), for qsort. */
int slice_ep_cmp(const void *a, const void *b);

/* What one slice of ours says: enough to write it and to compare it with what is there. */
typedef struct {
    const char *ns, *name;
    const char *service, *link;
    const char *owner_uid;     /* the local Service's uid */
    slice_addr_type addr_type;
    const slice_port *ports;
    size_t nports;
    const slice_ep *eps;       /* borrowed, in the order to write */
    size_t neps;
    const char *hostname_suffix; /* non-NULL for a headless Service: hostnames get "-<suffix>" */
    const char *zone_hint;       /* non-NULL: every endpoint gets hints.forZones [{name: zone_hint}] */
} slice_desc;

/* The zone svclink hints remote endpoints for when the local Service prefers close
 * endpoints: no node is in it, so kube-proxy uses them only when no local endpoint is
 * ready for its own zone. */
#define SLICE_REMOTE_ZONE "svclink-remote"

/* The hostname written for a remote endpoint of a headless Service: "<hostname>-<link>"
 * (dots of the link turned into '-'), so db-0 of two clusters stay two names; when that is
 * longer than 63, "<hostname, at most 40>-<10 hex of a hash of both>". A DNS label. out
 * must hold 64 bytes. */
void slice_hostname(char out[64], const char *hostname, const char *suffix);

/* A hash of everything svclink manages in a slice (labels, owner, type, ports, endpoints),
 * computed the same way for what we want and for what we observe. */
uint64_t slice_desc_hash(const slice_desc *d);

/* Writes the full object body for create (rv NULL) or update (rv = observed version). */
int slice_desc_write(const slice_desc *d, const char *rv, char **body, size_t *len);

/* The name of chunk `index` of the slice set (ns, service, link, addr_type, port set):
 * "<service≤20>-<link≤20>-<10 hex>", a DNS label of at most 52 characters. The hex is 40 bits
 * of a hash over the NUL-separated tuple, so different tuples differ even when the
 * readable part is the same. out must hold 64 bytes. */
void slice_name(char out[64], const char *ns, const char *service, const char *link, slice_addr_type t,
                uint64_t ports_hash, unsigned index);

/* Observed slices of ours: decodes the labels and owner that slice_desc_hash covers, and
 * computes the same hash from the object. Strings are copied into the caller's buffers
 * (service and link up to 63 bytes). 0, or -1 when it is not a well-formed slice of ours. */
typedef struct {
    char service[64];
    char link[64];    /* link names are at most 63 characters (a label value) */
    char owner_uid[64];
    uint64_t hash;
    uint32_t neps;
} slice_observed;
int slice_observe(const json_doc *doc, int obj, const char *ns, const char *name, slice_observed *out);

const char *slice_addr_type_name(slice_addr_type t);

/* ---- whose slice is it ----
 * svclink (Go), the seed's implementation, wrote slices with our managed-by value but its
 * own cluster label and names "<service>-svclink-<cluster>" (cloudpilot-ai/svclink,
 * pkg/updater). svclink takes those over: they are its link's slices in another layout. */
#define SLICE_GO_LABEL_CLUSTER "cloudpilot.ai/svclink-cluster"
#define SLICE_GO_NAME_INFIX "-svclink-"

typedef enum {
    SLICE_CLASS_OTHER = 0, /* another controller's (managed-by is not ours): never touched */
    SLICE_CLASS_OURS,      /* our layout: service and SLICE_LABEL_CLUSTER labels */
    SLICE_CLASS_GO,        /* svclink (Go)'s layout: replaced once its link is synced */
    SLICE_CLASS_UNKNOWN    /* our managed-by value in neither layout: left alone */
} slice_class;

/* The decision alone, over the slice's name and label values (NULL: label absent). Our
 * labels win over svclink (Go)'s when both are there. A label value must be 1 to 63
 * characters (the API's own limit) to count. */
slice_class slice_classify_labels(const char *name, const char *managed_by, const char *service,
                                  const char *cluster, const char *go_cluster);

/* The same for an EndpointSlice object; for OURS and GO, service and link receive the
 * Service and link (cluster) names, else "". */
slice_class slice_classify(const json_doc *doc, int obj, char service[64], char link[64]);

const char *slice_class_name(slice_class c);

#endif
