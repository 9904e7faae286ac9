/* svc_ports: a Service's port list in compact form (interned names), decoded from its JSON
 * and hashed the same way for a remote Service and a local one, so the two can be compared. */
#ifndef SVCLINK_CACHE_SVC_PORTS_H
#define SVCLINK_CACHE_SVC_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

typedef struct {
    /* Interned (intern), one reference each owned: they repeat across Services. */
    const char *name;             /* "" when unnamed */
    const char *app_protocol;     /* or NULL */
    const char *target_port_name; /* or NULL (then target_port is a number, 0: unset) */
    int32_t port;
    int32_t target_port;
    uint8_t protocol; /* SLICE_PROTO_* */
} svc_port;

/* Decodes a Service's spec.ports array (arr; a missing array is no ports). Returns 0 with
 * *out (caller owns it: svc_ports_free) and *n, or -1 with *out NULL and *n 0 when a port
 * is out of range, there are more than SLICE_MAX_PORTS, or memory runs out. */
int svc_ports_parse(const json_doc *doc, int arr, svc_port **out, uint16_t *n);
/* Releases the array and the interned references it holds; NULL is fine. */
void svc_ports_free(svc_port *ports, uint16_t n);
/* Hash of a port set (name, port, protocol, targetPort, appProtocol) in its given order. */
uint64_t svc_ports_hash(const svc_port *ports, size_t n);
/* The same from a Service object; 0 and *out set, or -1 when its ports do not decode. */
int svc_ports_hash_json(const json_doc *doc, int svc_obj, uint64_t *out);

#endif
