/* svc_ports: decodes and hashes a Service's ports; the remote cache keeps them and the main
 * view compares a local Service's hash against them, so both sides use this one decoder. */
#include "cache/svc_ports.h"

#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "cache/intern.h"
#include "cache/slice.h"

void svc_ports_free(svc_port *ports, uint16_t n)
{
    if (ports == NULL)
        return;
    for (uint16_t i = 0; i < n; i++) {
        intern_put(ports[i].name);
        intern_put(ports[i].app_protocol);
        intern_put(ports[i].target_port_name);
    }
    free(ports);
}

static int svc_ports_parse_one(const json_doc *doc, int t, svc_port *p)
{
    int64_t v = 0;
    int name = json_obj_get(doc, t, "name"), app = json_obj_get(doc, t, "appProtocol");
    int proto = json_obj_get(doc, t, "protocol"), target = json_obj_get(doc, t, "targetPort");
    if (json_int64(doc, json_obj_get(doc, t, "port"), &v) != 0 || v < 1 || v > 65535)
        return -1;
    p->port = (int32_t)v;
    p->protocol = slice_protocol_parse(doc, proto);
    p->name = json_is_string(doc, name) ? intern_json(doc, name) : intern_get("", 0);
    if (p->name == NULL)
        return -1;
    if (json_is_string(doc, app) && (p->app_protocol = intern_json(doc, app)) == NULL)
        return -1;
    if (json_is_string(doc, target)) {
        if ((p->target_port_name = intern_json(doc, target)) == NULL)
            return -1;
    } else if (json_int64(doc, target, &v) == 0 && v > 0 && v <= 65535) {
        p->target_port = (int32_t)v;
    }
    return 0;
}

int svc_ports_parse(const json_doc *doc, int arr, svc_port **out, uint16_t *n)
{
    *out = NULL;
    *n = 0;
    int len = json_len(doc, arr);
    if (len <= 0)
        return 0;
    if (len > SLICE_MAX_PORTS)
        return -1;
    svc_port *ports = calloc((size_t)len, sizeof *ports);
    if (ports == NULL)
        return -1;
    uint16_t used = 0;
    for (int t = json_arr_first(doc, arr); t >= 0 && used < (uint16_t)len; t = json_next(doc, t)) {
        /* Counted before decoding, so a half-decoded port's references are released too. */
        if (svc_ports_parse_one(doc, t, &ports[used++]) != 0) {
            svc_ports_free(ports, used);
            return -1;
        }
    }
    *out = ports;
    *n = used;
    return 0;
}

uint64_t svc_ports_hash(const svc_port *ports, size_t n)
{
    uint64_t h = STRMAP_FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        const svc_port *p = &ports[i];
        h = strmap_fnv(h, p->name, strlen(p->name) + 1);
        h = strmap_fnv(h, p->app_protocol ? p->app_protocol : "\x01", p->app_protocol ? strlen(p->app_protocol) + 1 : 2);
        h = strmap_fnv(h, p->target_port_name ? p->target_port_name : "\x01",
                       p->target_port_name ? strlen(p->target_port_name) + 1 : 2);
        h = strmap_fnv(h, &p->port, sizeof p->port);
        h = strmap_fnv(h, &p->target_port, sizeof p->target_port);
        h = strmap_fnv(h, &p->protocol, 1);
    }
    return h;
}

int svc_ports_hash_json(const json_doc *doc, int svc_obj, uint64_t *out)
{
    svc_port *ports;
    uint16_t n;
    int spec = json_obj_get(doc, svc_obj, "spec");
    if (svc_ports_parse(doc, json_obj_get(doc, spec, "ports"), &ports, &n) != 0)
        return -1;
    *out = svc_ports_hash(ports, n);
    svc_ports_free(ports, n);
    return 0;
}
