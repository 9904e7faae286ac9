/* slice: EndpointSlice decoding into the compact model, the canonical hash that makes
 * "nothing changed" cheap to see, slice names, and the JSON bodies svclink writes. */
#include "cache/slice.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/intern.h"
#include "json/json_writer.h"
#include "base/strmap.h"
#include "base/text.h"

const char *slice_addr_type_name(slice_addr_type t)
{
    return t == SLICE_ADDR_IPV4 ? "IPv4" : t == SLICE_ADDR_IPV6 ? "IPv6" : "none";
}

static size_t slice_addr_len(slice_addr_type t)
{
    return t == SLICE_ADDR_IPV6 ? 16 : 4;
}

size_t slice_ep_size(slice_addr_type t)
{
    return 1 + slice_addr_len(t);
}

slice_ep slice_data_ep(const slice_data *d, uint32_t i)
{
    slice_ep e = {{0}, 0, NULL};
    const uint8_t *rec = d->eps + (size_t)i * slice_ep_size(d->addr_type);
    e.cond = rec[0];
    memcpy(e.addr, rec + 1, slice_addr_len(d->addr_type));
    if (d->hostnames != NULL)
        e.hostname = d->hostnames[i];
    return e;
}

bool slice_addr_unsafe(slice_addr_type t, const uint8_t *a)
{
    if (t == SLICE_ADDR_IPV4) {
        return a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254) || a[0] >= 224;
    }
    static const uint8_t zero[16] = {0};
    static const uint8_t loop6[16] = {[15] = 1};
    if (memcmp(a, zero, 16) == 0 || memcmp(a, loop6, 16) == 0)
        return true;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
        return true;
    if (a[0] == 0xff) /* multicast */
        return true;
    /* IPv4-mapped ::ffff:a.b.c.d: judge the IPv4 address inside. */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0)
        return slice_addr_unsafe(SLICE_ADDR_IPV4, a + 12);
    return false;
}

void slice_data_free(slice_data *d)
{
    for (uint16_t i = 0; i < d->nports; i++) {
        intern_put(d->ports[i].name);
        intern_put(d->ports[i].app_protocol);
    }
    free(d->ports);
    if (d->hostnames != NULL) {
        for (uint32_t i = 0; i < d->neps; i++)
            free(d->hostnames[i]);
        free(d->hostnames);
    }
    free(d->eps);
    memset(d, 0, sizeof *d);
}

static int slice_parse_ports(const json_doc *doc, int arr, slice_data *out, char *err, size_t errlen)
{
    int n = json_len(doc, arr);
    if (n <= 0)
        return 0;
    if (n > SLICE_MAX_PORTS) {
        text_errorf(err, errlen, "ports: %d entries (at most %d)", n, SLICE_MAX_PORTS);
        return -1;
    }
    out->ports = calloc((size_t)n, sizeof *out->ports);
    if (out->ports == NULL)
        return -1;
    for (int t = json_arr_first(doc, arr); t >= 0; t = json_next(doc, t)) {
        slice_port *p = &out->ports[out->nports];
        int name = json_obj_get(doc, t, "name");
        int port = json_obj_get(doc, t, "port");
        int proto = json_obj_get(doc, t, "protocol");
        int app = json_obj_get(doc, t, "appProtocol");
        int64_t v = -1;
        if (port >= 0 && !json_is_null(doc, port) && (json_int64(doc, port, &v) != 0 || v < 0 || v > 65535)) {
            text_errorf(err, errlen, "ports[%u].port is not a port number", out->nports);
            return -1;
        }
        p->port = (int32_t)v;
        p->protocol = slice_protocol_parse(doc, proto);
        p->name = json_is_string(doc, name) ? intern_json(doc, name) : intern_get("", 0);
        if (json_is_string(doc, app))
            p->app_protocol = intern_json(doc, app);
        out->nports++;
        if (p->name == NULL || (json_is_string(doc, app) && p->app_protocol == NULL)) {
            text_errorf(err, errlen, "ports[%u]: bad or too long name", out->nports - 1);
            return -1;
        }
    }
    return 0;
}

static uint8_t slice_parse_conditions(const json_doc *doc, int cond)
{
    uint8_t bits = 0;
    bool v;
    if (json_bool(doc, json_obj_get(doc, cond, "ready"), &v) == 0)
        bits |= SLICE_READY_SET | (v ? SLICE_READY : 0);
    if (json_bool(doc, json_obj_get(doc, cond, "serving"), &v) == 0)
        bits |= SLICE_SERVING_SET | (v ? SLICE_SERVING : 0);
    if (json_bool(doc, json_obj_get(doc, cond, "terminating"), &v) == 0)
        bits |= SLICE_TERMINATING_SET | (v ? SLICE_TERMINATING : 0);
    return bits;
}

/* An endpoint's hostname into d->hostnames[d->neps], making the array on the first one. */
static int slice_parse_hostname(const json_doc *doc, int host, size_t cap, slice_data *d)
{
    if (!json_is_string(doc, host))
        return 0;
    if (d->hostnames == NULL && (d->hostnames = calloc(cap, sizeof *d->hostnames)) == NULL)
        return -1;
    d->hostnames[d->neps] = json_str_dup(doc, host);
    return d->hostnames[d->neps] != NULL ? 0 : -1;
}

static int slice_parse_endpoints(const json_doc *doc, int arr, bool keep_unsafe, slice_data *out, char *err,
                                 size_t errlen)
{
    int n = json_len(doc, arr);
    if (n <= 0)
        return 0;
    if (n > SLICE_API_MAX_ENDPOINTS) {
        text_errorf(err, errlen, "endpoints: %d entries (at most %d)", n, SLICE_API_MAX_ENDPOINTS);
        return -1;
    }
    size_t rec = slice_ep_size(out->addr_type);
    out->eps = calloc((size_t)n, rec);
    if (out->eps == NULL)
        return -1;
    int family = out->addr_type == SLICE_ADDR_IPV6 ? AF_INET6 : AF_INET;
    for (int t = json_arr_first(doc, arr); t >= 0; t = json_next(doc, t)) {
        uint8_t *e = out->eps + out->neps * rec;
        uint8_t addr[16];
        char text[64];
        int addrs = json_obj_get(doc, t, "addresses");
        if (json_str_copy(doc, json_arr_first(doc, addrs), text, sizeof text, NULL) != 0 ||
            inet_pton(family, text, addr) != 1 || (!keep_unsafe && slice_addr_unsafe(out->addr_type, addr))) {
            out->dropped++;
            continue;
        }
        memcpy(e + 1, addr, rec - 1);
        /* More than one address is legal, but consumers read only the first. */
        if (json_len(doc, addrs) > 1 && keep_unsafe)
            e[0] |= 0x80; /* marks "extra addresses" so a hand-added one shows as a change */
        e[0] |= slice_parse_conditions(doc, json_obj_get(doc, t, "conditions"));
        if (slice_parse_hostname(doc, json_obj_get(doc, t, "hostname"), (size_t)n, out) != 0) {
            text_errorf(err, errlen, "endpoints[%u].hostname is not valid", out->neps);
            return -1;
        }
        out->neps++;
    }
    /* Dropped endpoints leave their records unused; give them back (cannot fail to shrink,
     * but a NULL answer keeps the larger block). */
    if (out->dropped > 0 && out->neps > 0) {
        uint8_t *fit = realloc(out->eps, out->neps * rec);
        if (fit != NULL)
            out->eps = fit;
    }
    return 0;
}

static int slice_parse_mode(const json_doc *doc, int obj, bool keep_unsafe, slice_data *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int type = json_obj_get(doc, obj, "addressType");
    out->addr_type = json_str_eq(doc, type, "IPv4") ? SLICE_ADDR_IPV4
                     : json_str_eq(doc, type, "IPv6") ? SLICE_ADDR_IPV6
                                                      : SLICE_ADDR_NONE;
    if (out->addr_type == SLICE_ADDR_NONE)
        return 0;
    if (slice_parse_ports(doc, json_obj_get(doc, obj, "ports"), out, err, errlen) != 0 ||
        slice_parse_endpoints(doc, json_obj_get(doc, obj, "endpoints"), keep_unsafe, out, err, errlen) != 0) {
        slice_data_free(out);
        return -1;
    }
    return 0;
}

int slice_parse(const json_doc *doc, int obj, slice_data *out, char *err, size_t errlen)
{
    return slice_parse_mode(doc, obj, false, out, err, errlen);
}

static int slice_port_cmp(const void *pa, const void *pb)
{
    const slice_port *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c != 0)
        return c;
    if (a->protocol != b->protocol)
        return a->protocol < b->protocol ? -1 : 1;
    return a->port < b->port ? -1 : a->port > b->port;
}

void slice_ports_sort(slice_port *ports, size_t n)
{
    if (n > 1)
        qsort(ports, n, sizeof *ports, slice_port_cmp);
}

static uint64_t slice_hash_str(uint64_t h, const char *s)
{
    s = s != NULL ? s : "";
    return strmap_fnv(h, s, strlen(s) + 1); /* the NUL separates fields unambiguously */
}

uint64_t slice_ports_hash(const slice_port *ports, size_t n)
{
    uint64_t h = STRMAP_FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h = slice_hash_str(h, ports[i].name);
        h = slice_hash_str(h, ports[i].app_protocol != NULL ? ports[i].app_protocol : "\x01");
        h = strmap_fnv(h, &ports[i].port, sizeof ports[i].port);
        h = strmap_fnv(h, &ports[i].protocol, 1);
    }
    return h;
}

int slice_ep_cmp(const void *pa, const void *pb)
{
    const slice_ep *a = pa, *b = pb;
    int c = memcmp(a->addr, b->addr, 16);
    if (c != 0)
        return c;
    if (a->cond != b->cond)
        return a->cond < b->cond ? -1 : 1;
    return strcmp(a->hostname ? a->hostname : "", b->hostname ? b->hostname : "");
}

/* The hash covers what we write; source is the source-cluster label (equal to link in
 * what we want; whatever is there in what we observe). */
void slice_hostname(char out[64], const char *hostname, const char *suffix)
{
    char sfx[64];
    size_t n = 0;
    for (; suffix[n] != '\0' && n < 63; n++)
        sfx[n] = suffix[n] == '.' ? '-' : suffix[n];
    sfx[n] = '\0';
    size_t hl = strlen(hostname);
    if (hl + 1 + n <= 63) {
        memcpy(out, hostname, hl);
        out[hl] = '-';
        memcpy(out + hl + 1, sfx, n + 1);
        return;
    }
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, hostname, hl + 1);
    h = strmap_fnv(h, suffix, strlen(suffix) + 1);
    size_t keep = hl < 40 ? hl : 40;
    while (keep > 0 && hostname[keep - 1] == '-')
        keep--;
    snprintf(out, 64, "%.*s-%010llx", (int)keep, hostname, (unsigned long long)(h & 0xffffffffffULL));
}

/* The hostname an endpoint is written with ("\x01" for none, which hashes apart from ""). */
static const char *slice_ep_hostname(const slice_desc *d, const slice_ep *e, char buf[64])
{
    if (e->hostname == NULL)
        return "\x01";
    if (d->hostname_suffix == NULL)
        return e->hostname;
    slice_hostname(buf, e->hostname, d->hostname_suffix);
    return buf;
}

static uint64_t slice_hash_parts(const slice_desc *d, const char *source, const char *owner_name)
{
    uint64_t h = STRMAP_FNV_OFFSET;
    h = slice_hash_str(h, d->service);
    h = slice_hash_str(h, d->link);
    h = slice_hash_str(h, source);
    h = slice_hash_str(h, owner_name);
    h = slice_hash_str(h, d->owner_uid);
    uint8_t t = (uint8_t)d->addr_type;
    h = strmap_fnv(h, &t, 1);
    uint64_t np = d->nports;
    h = strmap_fnv(h, &np, sizeof np);
    uint64_t ph = slice_ports_hash(d->ports, d->nports);
    h = strmap_fnv(h, &ph, sizeof ph);
    uint64_t ne = d->neps;
    h = strmap_fnv(h, &ne, sizeof ne);
    h = slice_hash_str(h, d->zone_hint != NULL ? d->zone_hint : "\x01");
    size_t alen = slice_addr_len(d->addr_type);
    for (size_t i = 0; i < d->neps; i++) {
        h = strmap_fnv(h, d->eps[i].addr, alen);
        h = strmap_fnv(h, &d->eps[i].cond, 1);
        char host[64];
        h = slice_hash_str(h, slice_ep_hostname(d, &d->eps[i], host));
    }
    return h;
}

uint64_t slice_desc_hash(const slice_desc *d)
{
    return slice_hash_parts(d, d->link, d->service);
}

uint8_t slice_protocol_parse(const json_doc *doc, int tok)
{
    return json_str_eq(doc, tok, "UDP") ? SLICE_PROTO_UDP : json_str_eq(doc, tok, "SCTP") ? SLICE_PROTO_SCTP
                                                                                      : SLICE_PROTO_TCP;
}

const char *slice_protocol_name(uint8_t protocol)
{
    static const char *const names[] = {"TCP", "UDP", "SCTP"};
    return protocol < 3 ? names[protocol] : "TCP";
}

static void slice_write_endpoint(json_writer *w, const slice_desc *d, const slice_ep *e)
{
    slice_addr_type t = d->addr_type;
    char text[INET6_ADDRSTRLEN];
    inet_ntop(t == SLICE_ADDR_IPV6 ? AF_INET6 : AF_INET, e->addr, text, sizeof text);
    json_writer_object_begin(w);
    json_writer_key(w, "addresses");
    json_writer_array_begin(w);
    json_writer_string(w, text);
    json_writer_array_end(w);
    json_writer_key(w, "conditions");
    json_writer_object_begin(w);
    if (e->cond & SLICE_READY_SET) {
        json_writer_key(w, "ready");
        json_writer_bool(w, e->cond & SLICE_READY);
    }
    if (e->cond & SLICE_SERVING_SET) {
        json_writer_key(w, "serving");
        json_writer_bool(w, e->cond & SLICE_SERVING);
    }
    if (e->cond & SLICE_TERMINATING_SET) {
        json_writer_key(w, "terminating");
        json_writer_bool(w, e->cond & SLICE_TERMINATING);
    }
    json_writer_object_end(w);
    if (e->hostname != NULL) {
        char host[64];
        json_writer_key(w, "hostname");
        json_writer_string(w, slice_ep_hostname(d, e, host));
    }
    if (d->zone_hint != NULL) {
        json_writer_key(w, "hints");
        json_writer_object_begin(w);
        json_writer_key(w, "forZones");
        json_writer_array_begin(w);
        json_writer_object_begin(w);
        json_writer_member_string(w, "name", d->zone_hint);
        json_writer_object_end(w);
        json_writer_array_end(w);
        json_writer_object_end(w);
    }
    json_writer_object_end(w);
}

int slice_desc_write(const slice_desc *d, const char *rv, char **body, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "discovery.k8s.io/v1");
    json_writer_member_string(&w, "kind", "EndpointSlice");
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "name", d->name);
    json_writer_member_string(&w, "namespace", d->ns);
    if (rv != NULL)
        json_writer_member_string(&w, "resourceVersion", rv);
    json_writer_key(&w, "labels");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, SLICE_LABEL_SERVICE, d->service);
    json_writer_member_string(&w, SLICE_LABEL_MANAGED_BY, SLICE_MANAGED_BY);
    json_writer_member_string(&w, SLICE_LABEL_CLUSTER, d->link);
    json_writer_member_string(&w, SLICE_LABEL_SOURCE, d->link);
    json_writer_member_string(&w, SLICE_LABEL_REPLICATED, "true");
    json_writer_object_end(&w);
    json_writer_key(&w, "ownerReferences");
    json_writer_array_begin(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "v1");
    json_writer_member_string(&w, "kind", "Service");
    json_writer_member_string(&w, "name", d->service);
    json_writer_member_string(&w, "uid", d->owner_uid);
    json_writer_object_end(&w);
    json_writer_array_end(&w);
    json_writer_object_end(&w);
    json_writer_member_string(&w, "addressType", slice_addr_type_name(d->addr_type));
    json_writer_key(&w, "endpoints");
    json_writer_array_begin(&w);
    for (size_t i = 0; i < d->neps; i++)
        slice_write_endpoint(&w, d, &d->eps[i]);
    json_writer_array_end(&w);
    json_writer_key(&w, "ports");
    json_writer_array_begin(&w);
    for (size_t i = 0; i < d->nports; i++) {
        const slice_port *p = &d->ports[i];
        json_writer_object_begin(&w);
        json_writer_member_string(&w, "name", p->name);
        if (p->port >= 0) {
            json_writer_member_int64(&w, "port", p->port);
        }
        json_writer_member_string(&w, "protocol", slice_protocol_name(p->protocol));
        if (p->app_protocol != NULL)
            json_writer_member_string(&w, "appProtocol", p->app_protocol);
        json_writer_object_end(&w);
    }
    json_writer_array_end(&w);
    json_writer_object_end(&w);
    *body = json_writer_finish(&w, len);
    return *body != NULL ? 0 : -1;
}

/* Copies the first n characters of s as a name part: lowercase alphanumerics and '-',
 * dots turned into '-', and no trailing '-' (the next part adds one). */
static size_t slice_name_part(char *out, const char *s, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; s[i] != '\0' && len < n; i++) {
        char c = s[i];
        if (c == '.')
            c = '-';
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            out[len++] = c;
    }
    while (len > 0 && out[len - 1] == '-')
        len--;
    return len;
}

void slice_name(char out[64], const char *ns, const char *service, const char *link, slice_addr_type t,
                uint64_t ports_hash, unsigned index)
{
    uint64_t h = STRMAP_FNV_OFFSET;
    h = slice_hash_str(h, ns);
    h = slice_hash_str(h, service);
    h = slice_hash_str(h, link);
    uint8_t tb = (uint8_t)t;
    h = strmap_fnv(h, &tb, 1);
    h = strmap_fnv(h, &ports_hash, sizeof ports_hash);
    h = strmap_fnv(h, &index, sizeof index);
    size_t len = slice_name_part(out, service, 20);
    out[len++] = '-';
    size_t l2 = slice_name_part(out + len, link, 20);
    len += l2;
    if (l2 > 0)
        out[len++] = '-';
    snprintf(out + len, 64 - len, "%010llx", (unsigned long long)(h & 0xffffffffffull));
}

/* ---- observed slices ---- */

static int slice_label(const json_doc *doc, int labels, const char *key, char *buf, size_t len)
{
    return json_str_copy(doc, json_obj_get(doc, labels, key), buf, len, NULL);
}

/* The one zone every endpoint of an observed slice is hinted for, copied into buf; NULL
 * when none is; a value no desc has when they differ (so a hand edit is repaired). */
static const char *slice_observed_hint(const json_doc *doc, int obj, char *buf, size_t cap)
{
    int eps = json_obj_get(doc, obj, "endpoints");
    bool first = true, none = false;
    buf[0] = '\0';
    for (int e = json_arr_first(doc, eps); e >= 0; e = json_next(doc, e)) {
        int zones = json_path(doc, e, "hints", "forZones", NULL);
        char zone[64] = "";
        bool one = json_len(doc, zones) == 1 &&
                   json_str_copy(doc, json_obj_get(doc, json_arr_first(doc, zones), "name"), zone, sizeof zone,
                                 NULL) == 0;
        if (first) {
            none = !one && zones < 0;
            if (one)
                snprintf(buf, cap, "%s", zone);
            else if (!none)
                return "\x02";
            first = false;
        } else if (none ? zones >= 0 : (!one || strcmp(zone, buf) != 0)) {
            return "\x02";
        }
    }
    return first || none ? NULL : buf;
}

int slice_observe(const json_doc *doc, int obj, const char *ns, const char *name, slice_observed *out)
{
    memset(out, 0, sizeof *out);
    int labels = json_path(doc, obj, "metadata", "labels", NULL);
    char source[254], owner_name[64] = "";
    if (!json_str_eq(doc, json_obj_get(doc, labels, SLICE_LABEL_MANAGED_BY), SLICE_MANAGED_BY) ||
        slice_label(doc, labels, SLICE_LABEL_SERVICE, out->service, sizeof out->service) != 0 ||
        slice_label(doc, labels, SLICE_LABEL_CLUSTER, out->link, sizeof out->link) != 0)
        return -1;
    if (slice_label(doc, labels, SLICE_LABEL_SOURCE, source, sizeof source) != 0)
        source[0] = '\0';
    int refs = json_path(doc, obj, "metadata", "ownerReferences", NULL);
    for (int r = json_arr_first(doc, refs); r >= 0; r = json_next(doc, r)) {
        if (json_str_eq(doc, json_obj_get(doc, r, "kind"), "Service") &&
            json_str_eq(doc, json_obj_get(doc, r, "apiVersion"), "v1")) {
            json_str_copy(doc, json_obj_get(doc, r, "uid"), out->owner_uid, sizeof out->owner_uid, NULL);
            json_str_copy(doc, json_obj_get(doc, r, "name"), owner_name, sizeof owner_name, NULL);
            break;
        }
    }
    slice_data data;
    char err[128];
    if (slice_parse_mode(doc, obj, true, &data, err, sizeof err) != 0)
        return -1;
    slice_ep *eps = calloc(data.neps ? data.neps : 1, sizeof *eps);
    if (eps == NULL) {
        slice_data_free(&data);
        return -1;
    }
    for (uint32_t i = 0; i < data.neps; i++)
        eps[i] = slice_data_ep(&data, i);
    char hint[64];
    slice_desc d = {.ns = ns, .name = name, .service = out->service, .link = out->link,
                    .owner_uid = out->owner_uid, .addr_type = data.addr_type, .ports = data.ports,
                    .nports = data.nports, .eps = eps, .neps = data.neps,
                    .zone_hint = slice_observed_hint(doc, obj, hint, sizeof hint)};
    /* Endpoints a hand edit added with an unsafe address were kept above, so they count. */
    out->hash = slice_hash_parts(&d, source, owner_name) ^ (data.dropped ? 0x5a5a5a5aull : 0);
    /* A slice without the marker (written before it existed, or edited) is written again. */
    if (!json_str_eq(doc, json_obj_get(doc, labels, SLICE_LABEL_REPLICATED), "true"))
        out->hash ^= 0xa5a5a5a5ull;
    out->neps = data.neps;
    free(eps);
    slice_data_free(&data);
    return 0;
}

/* ---- classification ---- */

static bool slice_label_ok(const char *v)
{
    return v != NULL && v[0] != '\0' && strlen(v) <= 63;
}

/* svclink (Go) names its slice "<service>-svclink-<cluster>", never shortened. */
static bool slice_go_name(const char *name, const char *service, const char *cluster)
{
    size_t ls = strlen(service), li = strlen(SLICE_GO_NAME_INFIX);
    return strncmp(name, service, ls) == 0 && strncmp(name + ls, SLICE_GO_NAME_INFIX, li) == 0 &&
           strcmp(name + ls + li, cluster) == 0;
}

slice_class slice_classify_labels(const char *name, const char *managed_by, const char *service,
                                  const char *cluster, const char *go_cluster)
{
    if (managed_by == NULL || strcmp(managed_by, SLICE_MANAGED_BY) != 0)
        return SLICE_CLASS_OTHER;
    if (!slice_label_ok(service))
        return SLICE_CLASS_UNKNOWN;
    if (slice_label_ok(cluster))
        return SLICE_CLASS_OURS;
    if (name != NULL && slice_label_ok(go_cluster) && slice_go_name(name, service, go_cluster))
        return SLICE_CLASS_GO;
    return SLICE_CLASS_UNKNOWN;
}

/* A label's value, or NULL when absent or not a string short enough to be one. */
static const char *slice_label_value(const json_doc *doc, int labels, const char *key, char *buf, size_t len)
{
    return slice_label(doc, labels, key, buf, len) == 0 ? buf : NULL;
}

slice_class slice_classify(const json_doc *doc, int obj, char service[64], char link[64])
{
    service[0] = link[0] = '\0';
    int meta = json_obj_get(doc, obj, "metadata");
    int labels = json_obj_get(doc, meta, "labels");
    char name[254], mb[64], svc[64], cl[64], go[64];
    const char *n = json_str_copy(doc, json_obj_get(doc, meta, "name"), name, sizeof name, NULL) == 0 ? name : NULL;
    const char *c = slice_label_value(doc, labels, SLICE_LABEL_CLUSTER, cl, sizeof cl);
    const char *g = slice_label_value(doc, labels, SLICE_GO_LABEL_CLUSTER, go, sizeof go);
    const char *s = slice_label_value(doc, labels, SLICE_LABEL_SERVICE, svc, sizeof svc);
    slice_class k = slice_classify_labels(n, slice_label_value(doc, labels, SLICE_LABEL_MANAGED_BY, mb, sizeof mb),
                                          s, c, g);
    if (k == SLICE_CLASS_OURS || k == SLICE_CLASS_GO) {
        memcpy(service, svc, sizeof svc);
        memcpy(link, k == SLICE_CLASS_OURS ? cl : go, 64);
    }
    return k;
}

const char *slice_class_name(slice_class c)
{
    static const char *const names[] = {"other", "ours", "svclink-go", "unknown"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}
