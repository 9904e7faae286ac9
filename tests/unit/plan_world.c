/* plan_world: builds the worlds of the plan's unit cases and runs the plan in them, applying
 * what it writes back into the main view the way the write path would. */
#include "plan_world.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int plan_world_doc(json_doc *doc, const char *text)
{
    char err[128];
    json_doc_init(doc);
    return json_parse(doc, text, strlen(text), err, sizeof err);
}

void plan_world_init(plan_world *w, size_t nlinks)
{
    static const char *const names[3] = {"cluster-a", "cluster-b", "cluster-c"};
    memset(w, 0, sizeof *w);
    main_view_init(&w->view, NULL, NULL);
    w->view.svcs_synced = w->view.slices_synced = true;
    w->nlinks = nlinks;
    for (size_t i = 0; i < nlinks; i++) {
        remote_cache_init(&w->cache[i], NULL, NULL);
        w->spec[i].enabled = true;
        filter_rules_init(&w->rules[i], &w->spec[i], &w->global);
        w->links[i] = (plan_link){.name = names[i], .mode = PLAN_MANAGE, .rules = &w->rules[i],
                                  .cache = &w->cache[i]};
    }
}

void plan_world_init_mapped(plan_world *w)
{
    plan_world_init(w, 1);
    w->map = (linkspec_map_entry){"default", "prod-test"};
    w->nsmap = (linkspec_nsmap){&w->map, 1};
    w->links[0].nsmap = &w->nsmap;
}

void plan_world_free(plan_world *w)
{
    main_view_free(&w->view);
    for (size_t i = 0; i < w->nlinks; i++)
        remote_cache_free(&w->cache[i]);
}

int plan_world_remote(plan_world *w, size_t link, kube_kind kind, const char *text)
{
    json_doc doc;
    char err[128];
    int rc = plan_world_doc(&doc, text);
    if (rc == 0)
        rc = remote_cache_upsert(&w->cache[link], kind, &doc, 0, err, sizeof err);
    json_doc_free(&doc);
    return rc;
}

void plan_world_remote_delete(plan_world *w, size_t link, kube_kind kind, const char *text)
{
    json_doc doc;
    if (plan_world_doc(&doc, text) == 0)
        remote_cache_delete(&w->cache[link], kind, &doc, 0);
    json_doc_free(&doc);
}

void plan_world_local(plan_world *w, kube_kind kind, const char *text)
{
    json_doc doc;
    if (plan_world_doc(&doc, text) == 0)
        main_view_upsert(&w->view, kind, &doc, 0);
    json_doc_free(&doc);
}

void plan_world_local_delete(plan_world *w, const char *text)
{
    json_doc doc;
    if (plan_world_doc(&doc, text) == 0)
        main_view_delete(&w->view, KUBE_KIND_SERVICE, &doc, 0);
    json_doc_free(&doc);
}

int plan_world_plan(plan_world *w, const char *ns, const char *svc, plan_output *out)
{
    plan_input in = {.ns = ns, .svc = svc, .view = &w->view, .links = w->links, .nlinks = w->nlinks,
                     .links_known = true};
    return plan_service(&in, out);
}

size_t plan_world_count(const plan_output *out, plan_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < out->nactions; i++)
        n += out->actions[i].kind == kind;
    return n;
}

const plan_action *plan_world_first(const plan_output *out, plan_kind kind)
{
    for (size_t i = 0; i < out->nactions; i++) {
        if (out->actions[i].kind == kind)
            return &out->actions[i];
    }
    return NULL;
}

void plan_world_record(plan_world *w, const char *ns, const char *name, const char *body)
{
    json_doc doc;
    if (body == NULL)
        main_view_record_slice(&w->view, ns, name, NULL, -1);
    else if (plan_world_doc(&doc, body) == 0)
        main_view_record_slice(&w->view, ns, name, &doc, 0);
    if (body != NULL)
        json_doc_free(&doc);
}

char *plan_world_body(const plan_action *a)
{
    char *body = NULL;
    size_t len = 0;
    if (a == NULL || a->kind != PLAN_WRITE_SLICE || slice_desc_write(&a->desc, NULL, &body, &len) != 0)
        return NULL;
    return body;
}

void plan_world_apply(plan_world *w, const plan_output *out)
{
    for (size_t i = 0; i < out->nactions; i++) {
        const plan_action *a = &out->actions[i];
        if (a->kind == PLAN_DELETE_SLICE) {
            plan_world_record(w, a->observed->ns, a->observed->name, NULL);
        } else if (a->kind == PLAN_WRITE_SLICE) {
            char *body = plan_world_body(a);
            if (body != NULL)
                plan_world_record(w, a->desc.ns, a->desc.name, body);
            free(body);
        }
    }
}

bool plan_world_converge(plan_world *w, const char *ns, const char *svc)
{
    plan_output out;
    if (plan_world_plan(w, ns, svc, &out) != 0)
        return false;
    plan_world_apply(w, &out);
    plan_output_free(&out);
    if (plan_world_plan(w, ns, svc, &out) != 0)
        return false;
    bool idle = out.nactions == 0;
    plan_output_free(&out);
    return idle;
}

int64_t plan_world_endpoints_of(const plan_world *w, const char *ns, const char *svc, const char *link)
{
    int64_t n = 0;
    for (const main_view_slice *s = main_view_slices_of(&w->view, ns, svc); s != NULL; s = s->next) {
        if (strcmp(s->link, link) == 0)
            n += s->neps;
    }
    return n;
}

bool plan_world_cut(char *s, const char *what)
{
    char *p = s != NULL ? strstr(s, what) : NULL;
    if (p == NULL)
        return false;
    size_t n = strlen(what);
    memmove(p, p + n, strlen(p + n) + 1);
    return true;
}

void plan_world_export(plan_world *w, size_t link, const char *ns, const char *svc, const char *eps)
{
    char text[4096];
    snprintf(text, sizeof text, "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\"},\"spec\":%s}", ns, svc, PW_PORTS);
    CHECK(plan_world_remote(w, link, KUBE_KIND_SERVICE, text) == 0);
    snprintf(text, sizeof text,
             "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s-x\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
             "\"addressType\":\"IPv4\",\"endpoints\":[%s],\"ports\":[{\"port\":8080}]}",
             ns, svc, svc, eps);
    CHECK(plan_world_remote(w, link, KUBE_KIND_ENDPOINT_SLICE, text) == 0);
}

void plan_world_local_svc(plan_world *w, const char *ns, const char *svc)
{
    char text[512];
    snprintf(text, sizeof text, "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\",\"uid\":\"u-%s\"},\"spec\":%s}", ns,
             svc, svc, PW_PORTS);
    plan_world_local(w, KUBE_KIND_SERVICE, text);
}

bool plan_world_synced(plan_world *w, const char *ns, const char *svc)
{
    plan_world_local_svc(w, ns, svc);
    plan_world_export(w, 0, ns, svc, PW_EP("10.1.0.1"));
    plan_output out;
    bool wrote = plan_world_plan(w, ns, svc, &out) == 0 && plan_world_count(&out, PLAN_WRITE_SLICE) > 0;
    plan_output_free(&out);
    return wrote;
}

char *plan_world_one_body(plan_world *w, const char *ns, const char *svc)
{
    plan_output out;
    char *body = NULL;
    if (plan_world_plan(w, ns, svc, &out) == 0 && out.nactions == 1)
        body = plan_world_body(&out.actions[0]);
    plan_output_free(&out);
    return body;
}

void plan_world_web(plan_world *w, const char *eps)
{
    plan_world_init(w, 1);
    plan_world_local(w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    plan_world_export(w, 0, "demo", "web", eps);
}

void plan_world_web_synced(plan_world *w, const char *eps)
{
    plan_world_web(w, eps);
    CHECK(plan_world_converge(w, "demo", "web"));
}

char *plan_world_web_body(const char *eps)
{
    plan_world w;
    plan_world_web(&w, eps);
    char *body = plan_world_one_body(&w, "demo", "web");
    plan_world_free(&w);
    return body;
}
