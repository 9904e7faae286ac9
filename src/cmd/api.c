/* api: parses `svclink api` arguments, opens one client with cluster_client, and runs a single
 * GET, a paginated LIST or a reflector WATCH, printing one line per object or event. */
#include "cmd/api.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"
#include "kubeconfig/kcfg.h"
#include "kube/cluster_client.h"
#include "net/loop.h"
#include "kube/reflector.h"

static const char api_usage[] =
    "Usage: svclink api [options] get|delete PATH\n"
    "       svclink api [options] create|replace|patch PATH --body FILE\n"
    "       svclink api [options] list PATH\n"
    "       svclink api [options] watch PATH\n"
    "\n"
    "Talks to one API server with svclink's own client (TLS, auth, list/watch).\n"
    "  get PATH     one GET; prints the body\n"
    "  create       POST the body; replace: PUT it (a metadata.resourceVersion in it is a\n"
    "               precondition: 409 Conflict when stale); patch: PATCH it; delete: DELETE\n"
    "  list PATH    a paginated LIST; prints namespace/name of every item, then a summary\n"
    "  watch PATH   list then watch (relisting on 410 Gone, resuming after the server ends\n"
    "               the stream); prints one line per object change\n"
    "\n"
    "Options:\n"
    "  --kubeconfig FILE     kubeconfig (default: in-cluster configuration)\n"
    "  --body FILE           request body for create, replace and patch ('-': stdin)\n"
    "  --patch-type TYPE     merge (default), strategic, json or apply\n"
    "  --context NAME        context to use (default: current-context)\n"
    "  --untrusted           apply the ClusterLink rules (refuse exec, file paths, ...)\n"
    "  --limit N             LIST page size (default 500)\n"
    "  --selector SEL        label selector\n"
    "  --watch-timeout SEC   server-side timeoutSeconds of each watch (default 300)\n"
    "  --duration SEC        watch: stop after SEC seconds (default: run until killed)\n"
    "  --resource-version RV watch: start watching from RV instead of listing first\n"
    "  --parallel N          watch: N identical watches (connections), only the first\n"
    "                        printing; for measuring what one watch costs\n";

typedef struct {
    const char *kubeconfig, *context, *verb, *path, *selector, *from_rv, *body_file, *patch_type;
    bool untrusted;
    unsigned limit, watch_timeout, duration, parallel;
} api_args;

typedef struct {
    loop *l;
    int status;
    unsigned long items, pages, upserts, deletes;
} api_run;

static int api_parse_uint(const char *flag, const char *v, unsigned *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n == 0 || n > 1000000) {
        fprintf(stderr, "svclink api: %s: \"%s\" is not a number from 1 to 1000000\n", flag, v);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

static int api_parse(int argc, char **argv, api_args *a)
{
    memset(a, 0, sizeof *a);
    a->limit = 500;
    a->watch_timeout = 300;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(s, "--untrusted") == 0) {
            a->untrusted = true;
            takes = false;
        } else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(api_usage, stdout);
            return 1;
        } else if (s[0] != '-') {
            if (a->verb == NULL)
                a->verb = s;
            else if (a->path == NULL)
                a->path = s;
            else {
                fprintf(stderr, "svclink api: unexpected argument \"%s\"\n", s);
                return -1;
            }
            continue;
        } else if (v == NULL) {
            fprintf(stderr, "svclink api: %s needs a value (see svclink api --help)\n", s);
            return -1;
        } else if (strcmp(s, "--kubeconfig") == 0) {
            a->kubeconfig = v;
        } else if (strcmp(s, "--context") == 0) {
            a->context = v;
        } else if (strcmp(s, "--body") == 0) {
            a->body_file = v;
        } else if (strcmp(s, "--patch-type") == 0) {
            a->patch_type = v;
        } else if (strcmp(s, "--resource-version") == 0) {
            a->from_rv = v;
        } else if (strcmp(s, "--selector") == 0) {
            a->selector = v;
        } else if (strcmp(s, "--limit") == 0) {
            if (api_parse_uint(s, v, &a->limit) != 0)
                return -1;
        } else if (strcmp(s, "--watch-timeout") == 0) {
            if (api_parse_uint(s, v, &a->watch_timeout) != 0)
                return -1;
        } else if (strcmp(s, "--parallel") == 0) {
            if (api_parse_uint(s, v, &a->parallel) != 0)
                return -1;
        } else if (strcmp(s, "--duration") == 0) {
            if (api_parse_uint(s, v, &a->duration) != 0)
                return -1;
        } else {
            fprintf(stderr, "svclink api: unknown option \"%s\" (see svclink api --help)\n", s);
            return -1;
        }
        if (takes)
            i++;
    }
    static const char *const verbs[] = {"get", "list", "watch", "create", "replace", "patch", "delete"};
    bool known = false;
    for (size_t i = 0; a->verb != NULL && i < sizeof verbs / sizeof verbs[0]; i++)
        known = known || strcmp(a->verb, verbs[i]) == 0;
    if (!known || a->path == NULL || a->path[0] != '/') {
        fprintf(stderr, "svclink api: need a verb (get, list, watch, create, replace, patch, delete) and a "
                        "path starting with '/'\n");
        return -1;
    }
    bool needs_body = strcmp(a->verb, "create") == 0 || strcmp(a->verb, "replace") == 0 ||
                      strcmp(a->verb, "patch") == 0;
    if (needs_body != (a->body_file != NULL)) {
        fprintf(stderr, "svclink api: --body is needed by create, replace and patch, and only by them\n");
        return -1;
    }
    if (a->patch_type != NULL && strcmp(a->patch_type, "merge") != 0 && strcmp(a->patch_type, "strategic") != 0 &&
        strcmp(a->patch_type, "json") != 0 && strcmp(a->patch_type, "apply") != 0) {
        fprintf(stderr, "svclink api: --patch-type must be merge, strategic, json or apply\n");
        return -1;
    }
    return 0;
}

static int api_load(const api_args *a, kcfg_config *cfg)
{
    kcfg_error err;
    int rc;
    if (a->kubeconfig == NULL) {
        rc = kcfg_in_cluster(NULL, cfg, &err);
    } else if (a->untrusted) {
        /* Read as a ClusterLink would: the bytes only, no file paths relative to anything. */
        FILE *f = fopen(a->kubeconfig, "rb");
        if (f == NULL) {
            fprintf(stderr, "svclink api: cannot open %s\n", a->kubeconfig);
            return -1;
        }
        char *buf = malloc(KCFG_MAX_DOC_BYTES + 1);
        size_t n = buf != NULL ? fread(buf, 1, KCFG_MAX_DOC_BYTES + 1, f) : 0;
        fclose(f);
        rc = buf != NULL ? kcfg_parse(buf, n, a->context, KCFG_UNTRUSTED, NULL, cfg, &err) : -1;
        free(buf);
        if (buf == NULL)
            snprintf(err.msg, sizeof err.msg, "out of memory");
    } else {
        rc = kcfg_load_file(a->kubeconfig, a->context, cfg, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "svclink api: kubeconfig %s: %s\n", kcfg_err_kind_name(err.kind), err.msg);
        return -1;
    }
    if (cfg->insecure_skip_tls_verify)
        fprintf(stderr, "svclink api: warning: insecure-skip-tls-verify is set: the server is not verified\n");
    return 0;
}

/* Reads the whole body file (or stdin for "-"), at most 16 MiB. Caller frees. */
static char *api_read_body(const char *path, size_t *len)
{
    const size_t max = (size_t)16 << 20;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "svclink api: cannot open %s\n", path);
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
    if (f != stdin)
        fclose(f);
    if (buf == NULL || n > max) {
        fprintf(stderr, "svclink api: %s: %s\n", path, buf == NULL ? "out of memory" : "larger than 16 MiB");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static const char *api_patch_content_type(const char *type)
{
    if (type == NULL || strcmp(type, "merge") == 0)
        return "application/merge-patch+json";
    if (strcmp(type, "strategic") == 0)
        return "application/strategic-merge-patch+json";
    if (strcmp(type, "json") == 0)
        return "application/json-patch+json";
    return "application/apply-patch+yaml";
}

static void api_on_get(void *arg, const apiclient_response *resp)
{
    api_run *run = arg;
    if (resp->status >= 200 && resp->status < 300) {
        fwrite(resp->body, 1, resp->body_len, stdout);
        fputc('\n', stdout);
        run->status = 0;
    } else {
        fprintf(stderr, "svclink api: %s\n", resp->error);
        run->status = 1;
    }
    loop_stop(run->l);
}

/* ---- list and watch share the reflector's callbacks ---- */

typedef struct {
    api_run *run;
    bool watching;
    bool list_only;
    reflector *r;
} api_refl;

static void api_print_object(const char *op, const json_doc *doc, int obj)
{
    char ns[256] = "", name[256] = "", rv[80] = "";
    json_str_copy(doc, json_path(doc, obj, "metadata", "namespace", NULL), ns, sizeof ns, NULL);
    json_str_copy(doc, json_path(doc, obj, "metadata", "name", NULL), name, sizeof name, NULL);
    json_str_copy(doc, json_path(doc, obj, "metadata", "resourceVersion", NULL), rv, sizeof rv, NULL);
    printf("%s %s%s%s rv=%s\n", op, ns, ns[0] ? "/" : "", name, rv);
}

static void api_list_begin(void *arg)
{
    api_refl *ar = arg;
    ar->run->items = 0;
    printf("LIST-BEGIN\n");
}

static void api_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    api_refl *ar = arg;
    if (op == REFLECTOR_DELETE) {
        ar->run->deletes++;
        api_print_object("DELETE", doc, obj);
        return;
    }
    if (ar->r != NULL && reflector_get_state(ar->r) == REFLECTOR_SYNCED && ar->watching)
        ar->run->upserts++;
    else
        ar->run->items++;
    api_print_object("UPSERT", doc, obj);
}

static void api_stop_soon(loop *l, void *arg)
{
    (void)arg;
    loop_stop(l);
}

static void api_list_end(void *arg)
{
    api_refl *ar = arg;
    const reflector_stats *st = reflector_get_stats(ar->r);
    printf("LIST-END items=%lu pages=%llu rv=%s\n", ar->run->items, (unsigned long long)st->lists,
           reflector_resource_version(ar->r));
    fflush(stdout);
    ar->watching = true;
    if (ar->list_only) {
        ar->run->status = 0;
        /* The reflector is inside its own callback: stop from the loop, not from here. */
        loop_timer_add(ar->run->l, 0, api_stop_soon, NULL);
    }
}

static void api_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    api_refl *ar = arg;
    (void)transport;
    printf("STATE %s status=%d%s%s\n", st == REFLECTOR_SYNCED ? "synced" : st == REFLECTOR_FAILING ? "failing" : "connecting",
           status, reason[0] ? " " : "", reason);
    fflush(stdout);
    if (st == REFLECTOR_FAILING && ar->list_only) {
        ar->run->status = 1;
        loop_timer_add(ar->run->l, 0, api_stop_soon, NULL);
    }
}

static const reflector_handlers api_refl_handlers = {api_list_begin, api_object, api_list_end, api_state};

/* The extra watches of --parallel only report how many have synced. */
static void api_quiet_begin(void *arg)
{
    (void)arg;
}

static void api_quiet_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    (void)arg, (void)op, (void)doc, (void)obj;
}

static void api_quiet_end(void *arg)
{
    unsigned *synced = arg;
    if (++*synced % 10 == 0)
        printf("PARALLEL synced=%u\n", *synced);
    fflush(stdout);
}

static void api_quiet_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    (void)arg, (void)status, (void)transport;
    if (st == REFLECTOR_FAILING)
        fprintf(stderr, "svclink api: parallel watch: %s\n", reason);
}

static const reflector_handlers api_quiet_handlers = {api_quiet_begin, api_quiet_object, api_quiet_end,
                                                    api_quiet_state};

static volatile sig_atomic_t api_signalled;

static void api_on_signal(int sig)
{
    (void)sig;
    api_signalled = 1;
}

static void api_poll_signal(loop *l, void *arg)
{
    if (api_signalled)
        loop_stop(l);
    else
        loop_timer_add(l, 100, api_poll_signal, arg);
}

int api_main(int argc, char **argv)
{
    api_args a;
    /* One line per event, visible at once to whoever follows the output. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int prc = api_parse(argc, argv, &a);
    if (prc != 0)
        return prc > 0 ? 0 : 2;
    kcfg_config cfg;
    if (api_load(&a, &cfg) != 0)
        return 2;
    loop *l = loop_new();
    dns_resolver *dns = l != NULL ? dns_new(l) : NULL;
    cluster_client kc;
    char err[512];
    if (l == NULL || dns == NULL || cluster_client_open(&kc, l, dns, cfg.context_name ? cfg.context_name : "cluster", &cfg,
                                                err, sizeof err) != 0) {
        fprintf(stderr, "svclink api: %s\n", l == NULL || dns == NULL ? "out of memory" : err);
        kcfg_free(&cfg);
        dns_free(dns);
        loop_free(l);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = api_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    loop_timer_add(l, 100, api_poll_signal, NULL);

    api_run run = {.l = l, .status = 1};
    api_refl ar = {.run = &run, .list_only = strcmp(a.verb, "list") == 0};
    reflector **extra = NULL;
    unsigned extra_synced = 0;
    char *body = NULL;
    size_t body_len = 0;
    if (a.body_file != NULL && (body = api_read_body(a.body_file, &body_len)) == NULL) {
        run.status = 2;
    } else if (strcmp(a.verb, "get") == 0 || strcmp(a.verb, "delete") == 0) {
        apiclient_request(kc.api, a.verb[0] == 'g' ? "GET" : "DELETE", a.path, NULL, NULL, 0, api_on_get, &run);
    } else if (body != NULL) {
        const char *method = strcmp(a.verb, "create") == 0 ? "POST" : strcmp(a.verb, "replace") == 0 ? "PUT" : "PATCH";
        const char *ctype = method[1] == 'A' ? api_patch_content_type(a.patch_type) : "application/json";
        apiclient_request(kc.api, method, a.path, ctype, body, body_len, api_on_get, &run);
    } else {
        reflector_config rc = {.path = a.path, .label_selector = a.selector, .page_limit = a.limit,
                          .watch_timeout_s = a.watch_timeout, .list_only = ar.list_only};
        ar.r = reflector_new(l, kc.api, &rc, &api_refl_handlers, &ar);
        if (ar.r != NULL && a.from_rv != NULL)
            reflector_start_from(ar.r, a.from_rv);
        else if (ar.r != NULL)
            reflector_start(ar.r);
        if (!ar.list_only && a.parallel > 1) {
            extra = calloc(a.parallel - 1, sizeof *extra);
            for (unsigned i = 0; extra != NULL && i + 1 < a.parallel; i++) {
                extra[i] = reflector_new(l, kc.api, &rc, &api_quiet_handlers, &extra_synced);
                if (extra[i] != NULL)
                    reflector_start(extra[i]);
            }
        }
        if (!ar.list_only) {
            run.status = 0;
            if (a.duration > 0)
                loop_timer_add(l, (uint64_t)a.duration * 1000u, api_stop_soon, NULL);
        }
    }
    if (run.status != 2)
        loop_run(l);
    free(body);
    if (ar.r != NULL) {
        const reflector_stats *st = reflector_get_stats(ar.r);
        printf("STATS lists=%llu relists=%llu gone=%llu watches=%llu events=%llu failures=%llu\n",
               (unsigned long long)st->lists, (unsigned long long)st->relists, (unsigned long long)st->gone,
               (unsigned long long)st->watches, (unsigned long long)st->events, (unsigned long long)st->failures);
    }
    const apiclient_stats *ks = apiclient_get_stats(kc.api);
    fprintf(stderr, "svclink api: %llu requests, %llu connections, %llu reused\n", (unsigned long long)ks->requests,
            (unsigned long long)ks->connections, (unsigned long long)ks->reused);
    reflector_free(ar.r);
    for (unsigned i = 0; extra != NULL && i + 1 < a.parallel; i++)
        reflector_free(extra[i]);
    free(extra);
    cluster_client_close(&kc);
    dns_free(dns);
    loop_free(l);
    kcfg_free(&cfg);
    return run.status;
}
