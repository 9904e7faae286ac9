/* check: `svclink check` loads a kubeconfig under a ClusterLink's rules, asks the server who
 * we are, its version and the four permissions a link needs, and judges each step. */
#include "cmd/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/options.h"
#include "net/dns.h"
#include "json/json.h"
#include "json/json_writer.h"
#include "kubeconfig/kcfg.h"
#include "kube/cluster_client.h"
#include "net/loop.h"
#include "base/text.h"

static const char check_usage[] =
    "Usage: svclink check --kubeconfig FILE [--context NAME] [--trusted] [--timeout 10s]\n"
    "                     [--namespace NS[,NS...]]\n"
    "\n"
    "Tries a kubeconfig the way a ClusterLink would use it and prints one line per step:\n"
    "kubeconfig, reachable, tls, auth, version, permissions, then a verdict.\n"
    "\n"
    "Options:\n"
    "  --kubeconfig FILE        the kubeconfig to try (required)\n"
    "  --context NAME           context to use (default: current-context)\n"
    "  --trusted                read it as your own kubeconfig: file paths and exec plugins\n"
    "                           allowed (a ClusterLink refuses exec, auth-provider and file paths)\n"
    "  --timeout DURATION       bound on the whole check (default 10s; 100ms to 10m)\n"
    "  --namespace NS[,NS...]   check list/watch in these namespaces instead of cluster-wide\n"
    "                           (as with --included-namespaces); may be repeated\n"
    "\n"
    "Exit status: 0 every step is ok, 1 a step failed, 2 bad usage.\n";

/* ---- command line ---- */

static int check_apply_flag(check_args *a, const char *flag, const char *value, char *err, size_t errlen)
{
    if (strcmp(flag, "--namespace") == 0)
        return options_namespace_list_add(flag, value, CHECK_MAX_NAMESPACES, &a->namespaces, &a->namespace_count, err,
                                      errlen);
    if (value[0] == '\0') {
        text_errorf(err, errlen, "%s: empty value", flag);
        return -1;
    }
    if (strcmp(flag, "--kubeconfig") == 0) {
        a->kubeconfig = value;
    } else if (strcmp(flag, "--context") == 0) {
        a->context = value;
    } else if (options_parse_duration_ms(value, &a->timeout_ms) != 0 || a->timeout_ms < CHECK_MIN_TIMEOUT_MS ||
               a->timeout_ms > CHECK_MAX_TIMEOUT_MS) {
        text_errorf(err, errlen, "--timeout: \"%.40s\" is not a duration from 100ms to 10m (examples: 10s, 1m)",
                   value);
        return -1;
    }
    return 0;
}

/* The flags that take a value; --trusted and --help take none. */
static const char *check_value_flag(const char *arg, size_t len)
{
    static const char *const flags[] = {"--kubeconfig", "--context", "--timeout", "--namespace"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strlen(flags[i]) == len && memcmp(flags[i], arg, len) == 0)
            return flags[i];
    return NULL;
}

check_args_result check_args_parse(int argc, char *const argv[], check_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->timeout_ms = CHECK_DEFAULT_TIMEOUT_MS;
    text_errorf(err, errlen, "%s", "");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return CHECK_ARGS_HELP;
        if (strcmp(arg, "--trusted") == 0) {
            out->trusted = true;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const char *flag = check_value_flag(arg, len);
        if (flag == NULL) {
            if (len == 9 && memcmp(arg, "--trusted", 9) == 0)
                text_errorf(err, errlen, "--trusted takes no value");
            else
                text_errorf(err, errlen, "%s \"%.64s\"", arg[0] == '-' ? "unknown flag" : "unexpected argument", arg);
            return CHECK_ARGS_ERROR;
        }
        const char *value = eq != NULL ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (value == NULL) {
            text_errorf(err, errlen, "%s needs a value", flag);
            return CHECK_ARGS_ERROR;
        }
        if (check_apply_flag(out, flag, value, err, errlen) != 0)
            return CHECK_ARGS_ERROR;
    }
    if (out->kubeconfig == NULL) {
        text_errorf(err, errlen, "--kubeconfig FILE is required");
        return CHECK_ARGS_ERROR;
    }
    return CHECK_ARGS_RUN;
}

void check_args_free(check_args *a)
{
    options_namespace_list_free(&a->namespaces, &a->namespace_count);
}

/* ---- requests and replies ---- */

const check_perm check_perms[CHECK_PERMS] = {
    {"list", "", "services", "services"},
    {"watch", "", "services", "services"},
    {"list", "discovery.k8s.io", "endpointslices", "endpointslices.discovery.k8s.io"},
    {"watch", "discovery.k8s.io", "endpointslices", "endpointslices.discovery.k8s.io"},
};

const check_perm check_cluster_perms[CHECK_CLUSTER_PERMS] = {
    {"list", "", "namespaces", "namespaces"},
    {"watch", "", "namespaces", "namespaces"},
};

size_t check_access_total(size_t namespace_count)
{
    return (namespace_count > 0 ? namespace_count : 1) * CHECK_PERMS + CHECK_CLUSTER_PERMS;
}

const check_perm *check_access_perm(size_t i, char *const *namespaces, size_t namespace_count, const char **ns)
{
    size_t namespaced = (namespace_count > 0 ? namespace_count : 1) * CHECK_PERMS;
    *ns = NULL;
    if (i >= namespaced)
        return &check_cluster_perms[i - namespaced];
    if (namespace_count > 0)
        *ns = namespaces[i / CHECK_PERMS];
    return &check_perms[i % CHECK_PERMS];
}

char *check_access_body(const char *verb, const char *group, const char *resource, const char *ns, size_t *len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", "authorization.k8s.io/v1");
    json_writer_member_string(&w, "kind", "SelfSubjectAccessReview");
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    json_writer_key(&w, "resourceAttributes");
    json_writer_object_begin(&w);
    if (ns != NULL)
        json_writer_member_string(&w, "namespace", ns);
    json_writer_member_string(&w, "verb", verb);
    json_writer_member_string(&w, "group", group);
    json_writer_member_string(&w, "resource", resource);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    return json_writer_finish(&w, len);
}

/* Reads what kind asks for out of a 2xx body. -1 with why set when it is not there. */
static int check_read_body(check_reply *r, check_req_kind kind, const json_doc *doc, char *why, size_t whylen)
{
    if (kind == CHECK_REQ_ACCESS) {
        if (json_bool(doc, json_path(doc, 0, "status", "allowed", NULL), &r->allowed) != JSON_OK) {
            text_errorf(why, whylen, "the answer has no status.allowed");
            return -1;
        }
        return 0;
    }
    int tok = kind == CHECK_REQ_VERSION ? json_obj_get(doc, 0, "gitVersion")
                                        : json_path(doc, 0, "status", "userInfo", "username", NULL);
    int rc = json_str_copy(doc, tok, r->value, sizeof r->value, NULL);
    /* A review without a user name still proves we were authenticated; a version must say. */
    if (kind == CHECK_REQ_VERSION && (rc == JSON_ERR_TYPE || r->value[0] == '\0')) {
        text_errorf(why, whylen, "the answer has no gitVersion");
        return -1;
    }
    return 0;
}

void check_reply_set(check_reply *r, check_req_kind kind, const char *what, const apiclient_response *resp)
{
    memset(r, 0, sizeof *r);
    r->answered = true;
    r->status = resp->status;
    r->transport = resp->transport;
    if (resp->status < 200 || resp->status > 299) {
        if (resp->error != NULL && resp->error[0] != '\0')
            text_errorf(r->error, sizeof r->error, "%s", resp->error);
        else
            text_errorf(r->error, sizeof r->error, "%s: unexpected HTTP status %d", what, resp->status);
        return;
    }
    json_doc doc;
    json_doc_init(&doc);
    doc.max_tokens = 100000; /* these answers are small; a hostile server gets no more */
    char why[128];
    int rc = json_parse(&doc, resp->body, resp->body_len, why, sizeof why);
    if (rc == 0 && !json_is_object(&doc, 0)) {
        text_errorf(why, sizeof why, "the answer is not a JSON object");
        rc = -1;
    }
    if (rc == 0)
        rc = check_read_body(r, kind, &doc, why, sizeof why);
    json_doc_free(&doc);
    if (rc != 0) {
        r->value[0] = '\0';
        text_errorf(r->error, sizeof r->error, "%s: %d, but %s", what, resp->status, why);
        return;
    }
    r->ok = true;
}

/* "10s" for whole seconds, else "1500ms". */
static const char *check_duration_text(uint64_t ms, char *buf, size_t buflen)
{
    if (ms % 1000 == 0)
        snprintf(buf, buflen, "%llus", (unsigned long long)(ms / 1000));
    else
        snprintf(buf, buflen, "%llums", (unsigned long long)ms);
    return buf;
}

void check_reply_timeout(check_reply *r, const char *what, uint64_t timeout_ms)
{
    char d[32];
    memset(r, 0, sizeof *r);
    r->answered = true;
    r->expired = true;
    r->transport = CONN_ERR_TIMEOUT;
    text_errorf(r->error, sizeof r->error, "%s: no answer within %s", what, check_duration_text(timeout_ms, d, sizeof d));
}

/* ---- the report ---- */

enum { CHECK_KUBECONFIG, CHECK_REACHABLE, CHECK_TLS, CHECK_AUTH, CHECK_VERSION, CHECK_PERMISSIONS, CHECK_VERDICT };
static const char *const check_step_names[CHECK_STEPS] = {"kubeconfig", "reachable", "tls", "auth",
                                                          "version", "permissions", "verdict"};

static void check_set(check_line *l, check_state st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check_set(check_line *l, check_state st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    l->state = st;
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
}

/* Appends to the line's text; what does not fit is cut. */
static void check_append(check_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check_append(check_line *l, const char *fmt, ...)
{
    size_t used = strlen(l->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->text + used, sizeof l->text - used, fmt, ap);
    va_end(ap);
}

static size_t check_access_count(const check_outcome *o)
{
    return check_access_total(o->namespace_count);
}

/* Every reply: the version first, since its path is the simplest to read in a message. */
static const check_reply *check_reply_at(const check_outcome *o, size_t i)
{
    if (i == 0)
        return &o->version;
    if (i == 1)
        return &o->review;
    return i - 2 < check_access_count(o) && o->access != NULL ? &o->access[i - 2] : NULL;
}

/* The first answered reply with this HTTP status, or NULL. */
static const check_reply *check_find_status(const check_outcome *o, int status)
{
    for (size_t i = 0; check_reply_at(o, i) != NULL; i++)
        if (check_reply_at(o, i)->answered && check_reply_at(o, i)->status == status)
            return check_reply_at(o, i);
    return NULL;
}

typedef enum { CHECK_LINK_UP, CHECK_LINK_UNREACHABLE, CHECK_LINK_TLS } check_link;

/* How far the connection got. Any HTTP status means TCP and TLS worked; otherwise the
 * first failure says where it stopped (*why). conn says "TLS handshake timed out" when
 * the TCP connection was made, which is the only way to tell the two timeouts apart. */
static check_link check_connection(const check_outcome *o, const check_reply **why)
{
    *why = NULL;
    for (size_t i = 0; check_reply_at(o, i) != NULL; i++) {
        const check_reply *r = check_reply_at(o, i);
        if (r->answered && r->status > 0)
            return CHECK_LINK_UP;
        if (r->answered && *why == NULL)
            *why = r;
    }
    if (*why == NULL)
        return CHECK_LINK_UNREACHABLE;
    switch ((*why)->transport) {
    case CONN_ERR_TLS:
    case CONN_ERR_IO:
        return CHECK_LINK_TLS;
    case CONN_ERR_TIMEOUT:
        return strstr((*why)->error, "TLS handshake timed out") != NULL ? CHECK_LINK_TLS : CHECK_LINK_UNREACHABLE;
    default:
        return CHECK_LINK_UNREACHABLE;
    }
}

/* reachable and tls; returns the reason later steps cannot run, or NULL. */
static const char *check_steps_connection(const check_outcome *o, check_line *lines)
{
    const check_reply *why;
    check_link link = check_connection(o, &why);
    if (link == CHECK_LINK_UNREACHABLE) {
        check_set(&lines[CHECK_REACHABLE], CHECK_FAIL, "%s", why != NULL ? why->error : "no request was sent");
        /* Without any answer we cannot tell which stage hung: say so rather than guess. */
        if (why != NULL && why->expired)
            check_append(&lines[CHECK_REACHABLE], " (connecting, the TLS handshake or the server hangs)");
        return "reachable";
    }
    check_set(&lines[CHECK_REACHABLE], CHECK_OK, "%s", o->endpoint);
    if (link == CHECK_LINK_TLS) {
        check_set(&lines[CHECK_TLS], CHECK_FAIL, "%s", why->error);
        return "tls";
    }
    if (o->insecure)
        check_set(&lines[CHECK_TLS], CHECK_FAIL, "NOT verified: insecure-skip-tls-verify is set");
    else if (o->tls_server_name != NULL)
        check_set(&lines[CHECK_TLS], CHECK_OK, "server certificate verified for %s (CA from kubeconfig)",
                  o->tls_server_name);
    else
        check_set(&lines[CHECK_TLS], CHECK_OK, "server certificate verified (CA from kubeconfig)");
    return NULL;
}

/* Any request can meet a 401, which means no request is authenticated; the review's own
 * answer otherwise tells as whom (a 403 or 404 still proves the credentials passed). */
static const char *check_step_auth(const check_outcome *o, check_line *l)
{
    const check_reply *rejected = o->review.status == 401 ? &o->review : check_find_status(o, 401);
    const check_reply *rv = &o->review;
    if (rejected != NULL) {
        check_set(l, CHECK_FAIL, "credentials rejected (401): %s", rejected->error);
        return "auth";
    }
    if (rv->ok && strcmp(rv->value, "system:anonymous") == 0)
        check_set(l, CHECK_OK, "authenticated as system:anonymous (the kubeconfig gives no credentials)");
    else if (rv->ok && rv->value[0] != '\0')
        check_set(l, CHECK_OK, "authenticated as %s", rv->value);
    else if (rv->ok || rv->status == 404)
        check_set(l, CHECK_OK, "authenticated");
    else if (rv->status == 403)
        check_set(l, CHECK_OK, "authenticated (not allowed to ask as whom: SelfSubjectReview is forbidden)");
    else
        check_set(l, CHECK_FAIL, "%s", rv->error);
    return NULL;
}

static void check_step_version(const check_outcome *o, check_line *l)
{
    if (o->version.ok)
        check_set(l, CHECK_OK, "%s", o->version.value);
    else
        check_set(l, CHECK_FAIL, "%s", o->version.error);
}

/* Names every permission that is missing ("watch services in ns-a"), or, when a review
 * itself failed, that failure: then nothing is known about the others. */
static void check_step_permissions(const check_outcome *o, check_line *l)
{
    size_t n = check_access_count(o), failed = 0, missing = 0;
    const check_reply *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!o->access[i].ok && failed++ == 0)
            first = &o->access[i];
    }
    if (first != NULL) {
        check_set(l, CHECK_FAIL, "%s", first->error);
        if (failed > 1)
            check_append(l, " (and %zu more access reviews failed)", failed - 1);
        return;
    }
    check_set(l, CHECK_FAIL, "missing: ");
    for (size_t i = 0; i < n; i++) {
        if (o->access[i].allowed)
            continue;
        const char *ns;
        const check_perm *p = check_access_perm(i, o->namespaces, o->namespace_count, &ns);
        check_append(l, "%s%s %s", missing++ > 0 ? ", " : "", p->verb, p->shown);
        if (ns != NULL)
            check_append(l, " in %s", ns);
    }
    if (missing > 0)
        return;
    check_set(l, CHECK_OK, "list,watch services; list,watch endpointslices.discovery.k8s.io");
    for (size_t i = 0; i < o->namespace_count; i++)
        check_append(l, "%s%s", i == 0 ? " in " : ", ", o->namespaces[i]);
    check_append(l, "; list,watch namespaces");
}

static unsigned check_step_verdict(const check_outcome *o, check_line *lines)
{
    unsigned failed = 0;
    check_line *v = &lines[CHECK_VERDICT];
    for (unsigned i = 0; i < CHECK_VERDICT; i++) {
        if (lines[i].state != CHECK_FAIL)
            continue;
        if (failed++ == 0)
            check_set(v, CHECK_FAIL, "this kubeconfig is not ready for a ClusterLink (failed: %s", lines[i].step);
        else
            check_append(v, ", %s", lines[i].step);
    }
    if (failed > 0)
        check_append(v, ")");
    else if (o->kubeconfig_note != NULL)
        check_set(v, CHECK_OK, "this kubeconfig works with --trusted, but a ClusterLink would refuse it");
    else
        check_set(v, CHECK_OK, "this kubeconfig works for a ClusterLink");
    return failed;
}

unsigned check_report(const check_outcome *o, check_line lines[CHECK_STEPS])
{
    for (unsigned i = 0; i < CHECK_STEPS; i++) {
        lines[i].step = check_step_names[i];
        lines[i].state = CHECK_SKIPPED;
        lines[i].text[0] = '\0';
    }
    const char *blocked = NULL; /* the step whose failure stops the ones after it */
    if (o->kubeconfig_error != NULL) {
        check_set(&lines[CHECK_KUBECONFIG], CHECK_FAIL, "%s", o->kubeconfig_error);
        blocked = "kubeconfig";
    } else {
        check_set(&lines[CHECK_KUBECONFIG], CHECK_OK, "context %s, server %s", o->context, o->server);
        if (o->kubeconfig_note != NULL)
            check_append(&lines[CHECK_KUBECONFIG], " (a ClusterLink would refuse it: %s)", o->kubeconfig_note);
        blocked = check_steps_connection(o, lines);
    }
    if (blocked == NULL)
        blocked = check_step_auth(o, &lines[CHECK_AUTH]);
    if (blocked == NULL) {
        check_step_version(o, &lines[CHECK_VERSION]);
        check_step_permissions(o, &lines[CHECK_PERMISSIONS]);
    }
    for (unsigned i = CHECK_REACHABLE; blocked != NULL && i < CHECK_VERDICT; i++)
        if (lines[i].state == CHECK_SKIPPED)
            check_set(&lines[i], CHECK_SKIPPED, "(%s failed)", blocked);
    return check_step_verdict(o, lines);
}

void check_line_format(const check_line *line, char *buf, size_t buflen)
{
    static const char *const states[] = {"ok", "FAIL", "skipped"};
    if (buflen == 0)
        return;
    int n = snprintf(buf, buflen, "%-12s %-8s ", line->step, states[line->state]);
    size_t at = n > 0 && (size_t)n < buflen ? (size_t)n : buflen - 1;
    for (const char *p = line->text; *p != '\0' && at + 2 < buflen; p++) {
        unsigned char c = (unsigned char)*p;
        buf[at++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    /* A step with no text would end in blanks: trim them. */
    while (at > 0 && buf[at - 1] == ' ')
        at--;
    if (at + 1 < buflen)
        buf[at++] = '\n';
    buf[at] = '\0';
}

/* ---- running the requests ---- */

typedef struct check_run check_run;

/* One request and where its answer goes. */
typedef struct {
    check_run *run;
    check_req_kind kind;
    const char *method, *path;
    char *body;           /* owned: freed by check_run_free */
    size_t body_len;
    check_reply *reply;   /* borrowed from the outcome */
    apiclient_req *handle;     /* while in flight; owned by the client */
    char what[128];       /* "cluster: VERB path", for messages apiclient does not write */
} check_req;

struct check_run {
    loop *l;
    apiclient_client *api;
    uint64_t timeout_ms;
    check_req *reqs;      /* owned */
    size_t count, next, inflight, finished;
    loop_timer_id timer;
};

static void check_pump(check_run *run);

static void check_on_done(void *arg, const apiclient_response *resp)
{
    check_req *q = arg;
    q->handle = NULL;
    q->run->inflight--;
    q->run->finished++;
    check_reply_set(q->reply, q->kind, q->what, resp);
    check_pump(q->run);
}

/* Keeps at most CHECK_MAX_INFLIGHT requests on the wire; stops the loop when all are in. */
static void check_pump(check_run *run)
{
    while (run->inflight < CHECK_MAX_INFLIGHT && run->next < run->count) {
        check_req *q = &run->reqs[run->next++];
        q->handle = apiclient_request(run->api, q->method, q->path, q->body != NULL ? "application/json" : NULL, q->body,
                                 q->body_len, check_on_done, q);
        if (q->handle != NULL) {
            run->inflight++;
            continue;
        }
        char msg[CHECK_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s: out of memory", q->what);
        apiclient_response oom = {.transport = CONN_ERR_NOMEM, .body = "", .retry_after = -1, .error = msg};
        check_reply_set(q->reply, q->kind, q->what, &oom);
        run->finished++;
    }
    if (run->finished == run->count)
        loop_stop(run->l);
}

static void check_on_timeout(loop *l, void *arg)
{
    check_run *run = arg;
    run->timer = 0;
    for (size_t i = 0; i < run->count; i++) {
        check_req *q = &run->reqs[i];
        if (q->handle != NULL)
            apiclient_cancel(q->handle);
        q->handle = NULL;
        if (!q->reply->answered)
            check_reply_timeout(q->reply, q->what, run->timeout_ms);
    }
    loop_stop(l);
}

/* Appends a request to run->reqs (sized by the caller); body passes to the run. */
static void check_add_req(check_run *run, const char *cluster, check_req_kind kind, const char *method,
                          const char *path, char *body, size_t body_len, check_reply *reply)
{
    check_req *q = &run->reqs[run->count++];
    q->run = run;
    q->kind = kind;
    q->method = method;
    q->path = path;
    q->body = body;
    q->body_len = body_len;
    q->reply = reply;
    snprintf(q->what, sizeof q->what, "%.60s: %s %s", cluster, method, path);
}

/* The version, the review and every access review, in that order. -1 on OOM. */
static int check_build_reqs(check_run *run, const char *cluster, const check_args *a, check_outcome *o,
                            check_reply *access)
{
    static const char review[] = "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}";
    size_t naccess = check_access_count(o);
    run->reqs = calloc(2 + naccess, sizeof *run->reqs);
    char *rbody = run->reqs != NULL ? strdup(review) : NULL;
    if (rbody == NULL)
        return -1;
    check_add_req(run, cluster, CHECK_REQ_VERSION, "GET", "/version", NULL, 0, &o->version);
    check_add_req(run, cluster, CHECK_REQ_REVIEW, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", rbody,
                  sizeof review - 1, &o->review);
    for (size_t i = 0; i < naccess; i++) {
        const char *ns;
        const check_perm *p = check_access_perm(i, a->namespaces, a->namespace_count, &ns);
        size_t len = 0;
        char *body = check_access_body(p->verb, p->group, p->resource, ns, &len);
        if (body == NULL)
            return -1;
        check_add_req(run, cluster, CHECK_REQ_ACCESS, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                      body, len, &access[i]);
    }
    return 0;
}

static void check_run_free(check_run *run)
{
    for (size_t i = 0; run->reqs != NULL && i < run->count; i++) {
        if (run->reqs[i].handle != NULL)
            apiclient_cancel(run->reqs[i].handle);
        free(run->reqs[i].body);
    }
    free(run->reqs);
    if (run->timer != 0)
        loop_timer_cancel(run->l, run->timer);
}

/* Sends every request and waits for the answers or the timeout. -1 (err set) when the
 * client cannot be built: that is a problem of the kubeconfig's data. */
static int check_probe(const check_args *a, const kcfg_config *cfg, check_outcome *o, check_reply *access,
                       char *err, size_t errlen)
{
    loop *l = loop_new();
    dns_resolver *dns = l != NULL ? dns_new(l) : NULL;
    cluster_client kc = {0};
    check_run run = {.l = l, .timeout_ms = a->timeout_ms};
    int rc = -1;
    if (l == NULL || dns == NULL) {
        text_errorf(err, errlen, "out of memory");
    } else if (cluster_client_open(&kc, l, dns, o->context, cfg, err, errlen) == 0) {
        run.api = kc.api;
        if (check_build_reqs(&run, o->context, a, o, access) != 0) {
            text_errorf(err, errlen, "out of memory");
        } else {
            run.timer = loop_timer_add(l, a->timeout_ms, check_on_timeout, &run);
            check_pump(&run);
            if (run.finished < run.count && loop_run(l) != 0)
                check_on_timeout(l, &run); /* poll failed: what is missing never came */
            rc = 0;
        }
    }
    check_run_free(&run);
    cluster_client_close(&kc);
    dns_free(dns);
    loop_free(l);
    return rc;
}

/* ---- the command ---- */

/* Names and texts the outcome points into. */
typedef struct {
    char kubeconfig_error[KCFG_ERR_MSG_MAX + 32];
    char note[KCFG_ERR_MSG_MAX];
    char server[URL_HOST_MAX + URL_PATH_MAX + 32];
    char endpoint[URL_HOST_MAX + 16];
} check_texts;

/* Loads the kubeconfig as asked. With --trusted it is also read under a ClusterLink's
 * rules, so the report can say when a link would refuse what works here. */
static int check_load(const check_args *a, kcfg_config *cfg, check_outcome *o, check_texts *t)
{
    kcfg_error err;
    if (kcfg_load_file_as(a->kubeconfig, a->context, a->trusted ? KCFG_TRUSTED : KCFG_UNTRUSTED, cfg, &err) != 0) {
        snprintf(t->kubeconfig_error, sizeof t->kubeconfig_error, "%s: %s", kcfg_err_kind_name(err.kind), err.msg);
        o->kubeconfig_error = t->kubeconfig_error;
        return -1;
    }
    if (a->trusted) {
        kcfg_config as_link;
        if (kcfg_load_file_as(a->kubeconfig, a->context, KCFG_UNTRUSTED, &as_link, &err) != 0 &&
            err.kind == KCFG_ERR_REFUSED) {
            snprintf(t->note, sizeof t->note, "%s", err.msg);
            o->kubeconfig_note = t->note;
        }
        kcfg_free(&as_link);
    }
    const url_parts *u = &cfg->url;
    bool v6 = u->host.kind == URL_HOST_IPV6;
    snprintf(t->endpoint, sizeof t->endpoint, "%s%s%s:%u", v6 ? "[" : "", u->host.name, v6 ? "]" : "", u->port);
    snprintf(t->server, sizeof t->server, "https://%s%s", t->endpoint, u->path_prefix);
    o->context = cfg->context_name != NULL ? cfg->context_name : "cluster";
    o->server = t->server;
    o->endpoint = t->endpoint;
    o->tls_server_name = cfg->tls_server_name;
    o->insecure = cfg->insecure_skip_tls_verify;
    return 0;
}

static void check_print(const check_line *lines)
{
    char buf[CHECK_TEXT_MAX + 64];
    for (unsigned i = 0; i < CHECK_STEPS; i++) {
        check_line_format(&lines[i], buf, sizeof buf);
        fputs(buf, stdout);
    }
    fflush(stdout);
}

static int check_execute(const check_args *a)
{
    size_t naccess = check_access_total(a->namespace_count);
    check_reply *access = calloc(naccess, sizeof *access);
    check_line *lines = calloc(CHECK_STEPS, sizeof *lines);
    check_texts *t = calloc(1, sizeof *t);
    if (access == NULL || lines == NULL || t == NULL) {
        fprintf(stderr, "svclink check: out of memory\n");
        free(access);
        free(lines);
        free(t);
        return 1;
    }
    check_outcome o = {.trusted = a->trusted, .access = access, .namespaces = a->namespaces,
                       .namespace_count = a->namespace_count};
    kcfg_config cfg;
    if (check_load(a, &cfg, &o, t) == 0 &&
        check_probe(a, &cfg, &o, access, t->kubeconfig_error, sizeof t->kubeconfig_error) != 0)
        o.kubeconfig_error = t->kubeconfig_error;
    unsigned failed = check_report(&o, lines);
    check_print(lines);
    kcfg_free(&cfg);
    free(access);
    free(lines);
    free(t);
    return failed > 0 ? 1 : 0;
}

int check_main(int argc, char **argv)
{
    check_args a;
    char err[256];
    check_args_result r = check_args_parse(argc, argv, &a, err, sizeof err);
    int status;
    if (r == CHECK_ARGS_HELP) {
        fputs(check_usage, stdout);
        status = 0;
    } else if (r == CHECK_ARGS_ERROR) {
        fprintf(stderr, "svclink check: %s (see svclink check --help)\n", err);
        status = 2;
    } else {
        status = check_execute(&a);
    }
    check_args_free(&a);
    return status;
}
