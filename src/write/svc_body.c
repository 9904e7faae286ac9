/* svc_body: JSON for the Services and Namespaces svclink creates: the remote's ports (with
 * targetPort as the remote gives it) and IP families, svclink's labels, nothing allocated here. */
#include "write/svc_body.h"

#include "cache/svc_mode.h"

#include "json/json_writer.h"
#include "cache/main_view.h"
#include "cache/slice.h"

static void svc_body_ports(json_writer *w, const remote_svc *r)
{
    json_writer_key(w, "ports");
    json_writer_array_begin(w);
    for (uint16_t i = 0; i < r->nports; i++) {
        const svc_port *p = &r->ports[i];
        json_writer_object_begin(w);
        if (p->name[0] != '\0') {
            json_writer_member_string(w, "name", p->name);
        }
        json_writer_member_int64(w, "port", p->port);
        json_writer_member_string(w, "protocol", slice_protocol_name(p->protocol));
        if (p->target_port_name != NULL) {
            json_writer_member_string(w, "targetPort", p->target_port_name);
        } else if (p->target_port > 0) {
            json_writer_member_int64(w, "targetPort", p->target_port);
        }
        if (p->app_protocol != NULL) {
            json_writer_member_string(w, "appProtocol", p->app_protocol);
        }
        json_writer_object_end(w);
    }
    json_writer_array_end(w);
}

static void svc_body_families(json_writer *w, const remote_svc *r)
{
    static const char *const policies[] = {NULL, "SingleStack", "PreferDualStack", "RequireDualStack"};
    if (r->ip_family_policy != 0 && r->ip_family_policy < 4) {
        json_writer_member_string(w, "ipFamilyPolicy", policies[r->ip_family_policy]);
    }
    if (r->ip_families[0] != 0) {
        json_writer_key(w, "ipFamilies");
        json_writer_array_begin(w);
        for (int i = 0; i < 2 && r->ip_families[i] != 0; i++)
            json_writer_string(w, r->ip_families[i] == 6 ? "IPv6" : "IPv4");
        json_writer_array_end(w);
    }
}

char *svc_body_service(const char *ns, const char *svc, const remote_svc *r, const svc_body_source *src, bool patch,
                      size_t *len)
{
    bool external = (r->flags & REMOTE_EXTERNAL_NAME) != 0;
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    if (!patch) {
        json_writer_member_string(&w, "apiVersion", "v1");
        json_writer_member_string(&w, "kind", "Service");
        json_writer_key(&w, "metadata");
        json_writer_object_begin(&w);
        json_writer_member_string(&w, "name", svc);
        json_writer_member_string(&w, "namespace", ns);
        json_writer_key(&w, "labels");
        json_writer_object_begin(&w);
        json_writer_member_string(&w, MAIN_VIEW_CREATED_BY_LABEL, "svclink");
        json_writer_member_string(&w, MAIN_VIEW_REPLICATED_LABEL, "true");
        if (src != NULL && src->link != NULL) {
            json_writer_member_string(&w, MAIN_VIEW_SOURCE_CLUSTER_LABEL, src->link);
        }
        if (src != NULL && src->ns != NULL) {
            json_writer_member_string(&w, MAIN_VIEW_SOURCE_NAMESPACE_LABEL, src->ns);
        }
        if (src != NULL && src->extra_key != NULL && src->extra_value != NULL) {
            json_writer_member_string(&w, src->extra_key, src->extra_value);
        }
        json_writer_object_end(&w);
        json_writer_object_end(&w);
    }
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    if (!patch) {
        json_writer_member_string(&w, "type", external ? "ExternalName" : "ClusterIP");
        if (!external && (r->flags & REMOTE_HEADLESS)) {
            json_writer_member_string(&w, "clusterIP", "None");
        }
        if (!external)
            svc_body_families(&w, r);
    }
    if (external) {
        json_writer_member_string(&w, "externalName", r->external_name != NULL ? r->external_name : "");
    }
    svc_body_ports(&w, r);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

char *svc_body_namespace(const char *ns, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "v1");
    json_writer_member_string(&w, "kind", "Namespace");
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "name", ns);
    json_writer_key(&w, "labels");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, MAIN_VIEW_CREATED_BY_LABEL, "svclink");
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

static void svc_body_meta_rv(json_writer *w, const char *rv)
{
    json_writer_key(w, "metadata");
    json_writer_object_begin(w);
    json_writer_member_string(w, "resourceVersion", rv);
    json_writer_key(w, "annotations");
    json_writer_object_begin(w);
    json_writer_key(w, SVC_MODE_STASH_ANNOTATION);
}

char *svc_body_selector_stash(const char *rv, const char *selector_json, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    svc_body_meta_rv(&w, rv);
    json_writer_string(&w, selector_json);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    json_writer_key(&w, "selector");
    json_writer_null(&w);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

char *svc_body_selector_restore(const char *rv, const char *stash_json, size_t stash_len, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    svc_body_meta_rv(&w, rv);
    json_writer_null(&w);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    json_writer_key(&w, "selector");
    json_writer_raw(&w, stash_json, stash_len);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

char *svc_body_delete(const char *uid, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "v1");
    json_writer_member_string(&w, "kind", "DeleteOptions");
    json_writer_key(&w, "preconditions");
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "uid", uid);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    size_t n = 0;
    char *body = json_writer_finish(&w, &n);
    if (len != NULL)
        *len = n;
    return body;
}
