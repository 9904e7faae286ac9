/* mirror: `svclink mirror`: builds the one link (source context, trusted, into --dst-ns with
 * createServices and the selector) and keeps it in step with the kubeconfig file. */
#include "cmd/mirror.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "link/cluster_link.h"
#include "controller/engine.h"
#include "kubeconfig/kcfg.h"
#include "spec/linkspec.h"
#include "base/log.h"
#include "net/loop.h"
#include "base/text.h"

typedef struct {
    const mirror_flags *m;
    const cluster_link_env *env;
    loop *l;
    char *base_dir;       /* owned: the kubeconfig's directory (relative paths start there) */
    struct stat seen;     /* the file as last read: a change of these reloads the source */
} mirror_state;

static int mirror_list_one(linkspec_list *list, const char *name)
{
    list->items = calloc(1, sizeof *list->items);
    if (list->items == NULL || (list->items[0] = strdup(name)) == NULL)
        return -1;
    list->count = 1;
    return 0;
}

/* The spec a ClusterLink would need for the same job. 0, or -1 (out of memory; spec freed). */
static int mirror_spec(const mirror_flags *m, linkspec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->enabled = true;
    spec->stale_timeout_s = LINKSPEC_DEFAULT_STALE_TIMEOUT_S;
    spec->create_services = 1;
    bool ok = (spec->uid = strdup("")) != NULL && (spec->resource_version = strdup("")) != NULL &&
              mirror_list_one(&spec->included_namespaces, m->src_ns) == 0 &&
              (m->selector == NULL || (spec->service_selector = strdup(m->selector)) != NULL);
    if (ok && strcmp(m->src_ns, m->dst_ns) != 0) {
        linkspec_nsmap *map = &spec->namespace_mapping;
        ok = (map->items = calloc(1, sizeof *map->items)) != NULL;
        if (ok) {
            map->count = 1;
            ok = (map->items[0].from = strdup(m->src_ns)) != NULL && (map->items[0].to = strdup(m->dst_ns)) != NULL;
        }
    }
    if (!ok)
        linkspec_free(spec);
    return ok ? 0 : -1;
}

static bool mirror_same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reads the kubeconfig and gives the link its source; the link reconnects only when the
 * source context's text changed. */
static int mirror_load(mirror_state *s)
{
    const mirror_flags *m = s->m;
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    kcfg_error kcfg_err = {.msg = "it cannot be looked at (stat)"};
    /* stat first: a file replaced after the read is then seen as changed once more. */
    if (stat(m->common.kubeconfig_path, &st) != 0 || kcfg_read_file(m->common.kubeconfig_path, &text, &len, &kcfg_err) != 0) {
        log_kv(LOG_WARN, "cannot read the kubeconfig: the source keeps its last one", "kubeconfig",
               m->common.kubeconfig_path, "error", kcfg_err.msg, NULL);
        return -1;
    }
    s->seen = st;
    linkspec spec;
    cluster_link *lk = NULL;
    if (mirror_spec(m, &spec) == 0) {
        cluster_link_source src = {.kubeconfig = text, .kubeconfig_len = len, .trust = KCFG_TRUSTED,
                            .context = m->src_context, .base_dir = s->base_dir,
                           .no_namespace_optout = true};
        lk = cluster_link_static_upsert(s->env, m->link_name, &spec, &src);
    }
    text_wipe(text, len);
    free(text);
    if (lk == NULL) {
        log_kv(LOG_ERROR, "out of memory setting up the mirror link", "link", m->link_name, NULL);
        return -1;
    }
    return 0;
}

static void mirror_on_poll(loop *l, void *arg)
{
    mirror_state *s = arg;
    struct stat st;
    if (stat(s->m->common.kubeconfig_path, &st) == 0 && !mirror_same_file(&st, &s->seen)) {
        log_kv(LOG_INFO, "kubeconfig file changed: reloading the source context", "kubeconfig",
               s->m->common.kubeconfig_path, "context", s->m->src_context, NULL);
        mirror_load(s);
    }
    loop_timer_add(l, MIRROR_KUBECONFIG_POLL_MS, mirror_on_poll, s);
}

static int mirror_add_links(void *arg, const cluster_link_env *env, loop *l)
{
    mirror_state *s = arg;
    s->env = env;
    s->l = l;
    const mirror_flags *m = s->m;
    char selector[200];
    snprintf(selector, sizeof selector, "%s", m->selector != NULL ? m->selector : "(every Service)");
    log_kv(LOG_INFO, "mirror", "link", m->link_name, "srcContext", m->src_context, "srcNamespace", m->src_ns,
           "dstContext", m->dst_context, "dstNamespace", m->dst_ns, "selector", selector, NULL);
    /* The one thing k8s-svc-sync's leader-election flags mean differently here. */
    if (m->common.leader_elect) {
        char lease[160];
        snprintf(lease, sizeof lease, "%s/%s", m->common.lease_namespace, m->common.lease_name);
        log_kv(LOG_INFO, "the Lease is in the destination cluster (k8s-svc-sync kept it in the source): svclink "
               "never writes to the source", "lease", lease, "context", m->dst_context, NULL);
    }
    if (mirror_load(s) != 0)
        return -1;
    loop_timer_add(l, MIRROR_KUBECONFIG_POLL_MS, mirror_on_poll, s);
    return 0;
}

/* Fails fast, before any connection, on a context that cannot be used. */
static int mirror_check_context(const mirror_flags *m, const char *flag, const char *context)
{
    kcfg_config cfg;
    kcfg_error kcfg_err;
    if (kcfg_load_file(m->common.kubeconfig_path, context, &cfg, &kcfg_err) != 0) {
        fprintf(stderr, "svclink mirror: %s \"%.80s\": %s\n", flag, context, kcfg_err.msg);
        return -1;
    }
    kcfg_free(&cfg);
    return 0;
}

static char *mirror_base_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

int mirror_run(const mirror_flags *m)
{
    char *text = NULL;
    size_t len = 0;
    kcfg_error kcfg_err;
    if (kcfg_read_file(m->common.kubeconfig_path, &text, &len, &kcfg_err) != 0) {
        fprintf(stderr, "svclink mirror: --kubeconfig: %s\n", kcfg_err.msg);
        return 2;
    }
    text_wipe(text, len);
    free(text);
    if (mirror_check_context(m, "--src-context", m->src_context) != 0 ||
        mirror_check_context(m, "--dst-context", m->dst_context) != 0)
        return 2;
    mirror_state s = {.m = m, .base_dir = mirror_base_dir(m->common.kubeconfig_path)};
    if (s.base_dir == NULL) {
        fprintf(stderr, "svclink mirror: out of memory\n");
        return 1;
    }
    engine_hooks hooks = {.no_clusterlinks = true, .add_links = mirror_add_links, .arg = &s,
                          .main_namespace = m->dst_ns, .own_link = m->link_name,
                          .service_label_key = m->compat_key[0] ? m->compat_key : NULL,
                          .service_label_value = m->compat_key[0] ? m->compat_value : NULL,
                          .leader_text = true};
    int status = engine_run_with(&m->common, &hooks);
    free(s.base_dir);
    return status;
}
