/* Unit tests for check: the flags of `svclink check`, the access review bodies, reading
 * answers into replies, and the verdict lines each kind of failure gives. */
#include "cmd/check.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static check_args_result parse(int argc, char **argv, check_args *a, char *err, size_t errlen)
{
    return check_args_parse(argc, argv, a, err, errlen);
}

UNIT_TEST(check_args_defaults)
{
    char *argv[] = {"check", "--kubeconfig", "k.yaml"};
    check_args a;
    char err[256];
    CHECK(parse(ARGC(argv), argv, &a, err, sizeof err) == CHECK_ARGS_RUN);
    CHECK_STR_EQ(a.kubeconfig, "k.yaml");
    CHECK(a.context == NULL);
    CHECK(!a.trusted);
    CHECK(a.timeout_ms == 10000);
    CHECK(a.namespace_count == 0);
    check_args_free(&a);
}

UNIT_TEST(check_args_all_flags)
{
    char *argv[] = {"check",         "--kubeconfig=k", "--context", "c",           "--trusted", "--timeout=1m30s",
                    "--namespace", "a,b",            "--namespace=b,c"};
    check_args a;
    char err[256];
    CHECK(parse(ARGC(argv), argv, &a, err, sizeof err) == CHECK_ARGS_RUN);
    CHECK_STR_EQ(a.kubeconfig, "k");
    CHECK_STR_EQ(a.context, "c");
    CHECK(a.trusted);
    CHECK(a.timeout_ms == 90000);
    CHECK(a.namespace_count == 3);
    if (a.namespace_count == 3) {
        CHECK_STR_EQ(a.namespaces[0], "a");
        CHECK_STR_EQ(a.namespaces[1], "b");
        CHECK_STR_EQ(a.namespaces[2], "c");
    }
    check_args_free(&a);
    check_args_free(&a); /* twice is harmless */
}

UNIT_TEST(check_args_help)
{
    char *argv[] = {"check", "--kubeconfig", "k", "-h"};
    check_args a;
    char err[256];
    CHECK(parse(ARGC(argv), argv, &a, err, sizeof err) == CHECK_ARGS_HELP);
    check_args_free(&a);
}

/* Each bad command line is an error whose message contains want. */
static void expect_error(int argc, char **argv, const char *want)
{
    check_args a;
    char err[256];
    CHECK(parse(argc, argv, &a, err, sizeof err) == CHECK_ARGS_ERROR);
    CHECK_MSG(strstr(err, want) != NULL, want);
    check_args_free(&a);
}

UNIT_TEST(check_args_errors)
{
    char *none[] = {"check"};
    expect_error(ARGC(none), none, "--kubeconfig FILE is required");
    char *unknown[] = {"check", "--kubeconfig", "k", "--untrusted"};
    expect_error(ARGC(unknown), unknown, "unknown flag \"--untrusted\"");
    char *extra[] = {"check", "--kubeconfig", "k", "get"};
    expect_error(ARGC(extra), extra, "unexpected argument \"get\"");
    char *novalue[] = {"check", "--kubeconfig"};
    expect_error(ARGC(novalue), novalue, "--kubeconfig needs a value");
    char *empty[] = {"check", "--kubeconfig="};
    expect_error(ARGC(empty), empty, "--kubeconfig: empty value");
    char *trusted[] = {"check", "--kubeconfig", "k", "--trusted=true"};
    expect_error(ARGC(trusted), trusted, "--trusted takes no value");
    const char *bad_timeouts[] = {"10", "50ms", "11m", "x", "0s"};
    for (size_t i = 0; i < sizeof bad_timeouts / sizeof bad_timeouts[0]; i++) {
        char *t[] = {"check", "--kubeconfig", "k", "--timeout", (char *)bad_timeouts[i]};
        expect_error(ARGC(t), t, "--timeout:");
    }
    char *ks[] = {"check", "--kubeconfig", "k", "--namespace", "a,kube-system"};
    expect_error(ARGC(ks), ks, "kube-system is never synced");
    char *upper[] = {"check", "--kubeconfig", "k", "--namespace", "Default"};
    expect_error(ARGC(upper), upper, "\"Default\" is not a valid namespace name");
    char *hole[] = {"check", "--kubeconfig", "k", "--namespace", "a,,b"};
    expect_error(ARGC(hole), hole, "\"\" is not a valid namespace name");
}

UNIT_TEST(check_args_namespace_limit)
{
    char list[CHECK_MAX_NAMESPACES * 8 + 16] = "";
    for (unsigned i = 0; i <= CHECK_MAX_NAMESPACES; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%sn%u", i ? "," : "", i);
    char *argv[] = {"check", "--kubeconfig", "k", "--namespace", list};
    expect_error(ARGC(argv), argv, "more than 64 namespaces");
}

UNIT_TEST(check_access_body_text)
{
    size_t len = 0;
    char *b = check_access_body("list", "discovery.k8s.io", "endpointslices", NULL, &len);
    CHECK_STR_EQ(b, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{"
                    "\"resourceAttributes\":{\"verb\":\"list\",\"group\":\"discovery.k8s.io\",\"resource\":"
                    "\"endpointslices\"}}}");
    CHECK(b != NULL && len == strlen(b));
    free(b);
    b = check_access_body("watch", "", "services", "ns-a", &len);
    CHECK_STR_EQ(b, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{"
                    "\"resourceAttributes\":{\"namespace\":\"ns-a\",\"verb\":\"watch\",\"group\":\"\",\"resource\":"
                    "\"services\"}}}");
    free(b);
}

static apiclient_response answer(int status, const char *body, const char *error)
{
    apiclient_response r = {.status = status, .body = body, .body_len = strlen(body), .retry_after = -1, .error = error};
    return r;
}

UNIT_TEST(check_reply_reads_answers)
{
    check_reply r;
    apiclient_response a = answer(200, "{\"major\":\"1\",\"gitVersion\":\"v1.33.13\"}", "");
    check_reply_set(&r, CHECK_REQ_VERSION, "c: GET /version", &a);
    CHECK(r.answered && r.ok && r.status == 200);
    CHECK_STR_EQ(r.value, "v1.33.13");
    CHECK_STR_EQ(r.error, "");

    a = answer(201, "{\"status\":{\"userInfo\":{\"username\":\"system:serviceaccount:x:y\",\"groups\":[]}}}", "");
    check_reply_set(&r, CHECK_REQ_REVIEW, "c: POST /r", &a);
    CHECK(r.ok);
    CHECK_STR_EQ(r.value, "system:serviceaccount:x:y");
    a = answer(201, "{\"status\":{}}", "");
    check_reply_set(&r, CHECK_REQ_REVIEW, "c: POST /r", &a);
    CHECK(r.ok);
    CHECK_STR_EQ(r.value, "");

    a = answer(201, "{\"spec\":{},\"status\":{\"allowed\":true}}", "");
    check_reply_set(&r, CHECK_REQ_ACCESS, "c: POST /a", &a);
    CHECK(r.ok && r.allowed);
    a = answer(201, "{\"status\":{\"allowed\":false,\"reason\":\"no\"}}", "");
    check_reply_set(&r, CHECK_REQ_ACCESS, "c: POST /a", &a);
    CHECK(r.ok && !r.allowed);
}

UNIT_TEST(check_reply_bad_answers)
{
    check_reply r;
    apiclient_response a = answer(200, "<html>", "");
    check_reply_set(&r, CHECK_REQ_VERSION, "c: GET /version", &a);
    CHECK(r.answered && !r.ok);
    CHECK(strncmp(r.error, "c: GET /version: 200, but ", 26) == 0);
    a = answer(200, "[1]", "");
    check_reply_set(&r, CHECK_REQ_VERSION, "c: GET /version", &a);
    CHECK_STR_EQ(r.error, "c: GET /version: 200, but the answer is not a JSON object");
    a = answer(200, "{\"gitVersion\":7}", "");
    check_reply_set(&r, CHECK_REQ_VERSION, "c: GET /version", &a);
    CHECK_STR_EQ(r.error, "c: GET /version: 200, but the answer has no gitVersion");
    a = answer(201, "{\"status\":{\"allowed\":\"yes\"}}", "");
    check_reply_set(&r, CHECK_REQ_ACCESS, "c: POST /a", &a);
    CHECK(!r.ok);
    CHECK_STR_EQ(r.error, "c: POST /a: 201, but the answer has no status.allowed");

    a = answer(403, "{}", "c: POST /a: 403 Forbidden: nope");
    check_reply_set(&r, CHECK_REQ_ACCESS, "c: POST /a", &a);
    CHECK(!r.ok && r.status == 403);
    CHECK_STR_EQ(r.error, "c: POST /a: 403 Forbidden: nope");
    a = answer(302, "", "");
    check_reply_set(&r, CHECK_REQ_VERSION, "c: GET /version", &a);
    CHECK_STR_EQ(r.error, "c: GET /version: unexpected HTTP status 302");
    a = answer(0, "", "c: GET /version: cannot connect to h:1: Connection refused");
    a.transport = CONN_ERR_CONNECT;
    check_reply_set(&r, CHECK_REQ_VERSION, "c: GET /version", &a);
    CHECK(!r.ok && r.transport == CONN_ERR_CONNECT);
    CHECK_STR_EQ(r.error, "c: GET /version: cannot connect to h:1: Connection refused");
}

UNIT_TEST(check_reply_timeout_text)
{
    check_reply r;
    check_reply_timeout(&r, "c: GET /version", 10000);
    CHECK(r.answered && r.expired && !r.ok && r.status == 0 && r.transport == CONN_ERR_TIMEOUT);
    CHECK_STR_EQ(r.error, "c: GET /version: no answer within 10s");
    check_reply_timeout(&r, "c: GET /version", 1500);
    CHECK_STR_EQ(r.error, "c: GET /version: no answer within 1500ms");
}

/* ---- reports ---- */

static check_reply access[2 * CHECK_PERMS + CHECK_CLUSTER_PERMS];
static check_line lines[CHECK_STEPS];
static char line_buf[CHECK_TEXT_MAX + 64];

static void ok_reply(check_reply *r, int status, const char *value)
{
    memset(r, 0, sizeof *r);
    r->answered = r->ok = r->allowed = true;
    r->status = status;
    snprintf(r->value, sizeof r->value, "%s", value);
}

static void failed_reply(check_reply *r, int status, conn_error transport, const char *error)
{
    memset(r, 0, sizeof *r);
    r->answered = true;
    r->status = status;
    r->transport = transport;
    snprintf(r->error, sizeof r->error, "%s", error);
}

/* Everything ok, cluster-wide: each test then breaks one thing. */
static check_outcome all_ok(void)
{
    check_outcome o = {.context = "c", .server = "https://h:6443", .endpoint = "h:6443", .access = access};
    ok_reply(&o.version, 200, "v1.33.13");
    ok_reply(&o.review, 201, "system:serviceaccount:ns:sa");
    for (size_t i = 0; i < 2 * CHECK_PERMS + CHECK_CLUSTER_PERMS; i++)
        ok_reply(&access[i], 201, "");
    return o;
}

static const char *line(unsigned i)
{
    check_line_format(&lines[i], line_buf, sizeof line_buf);
    return line_buf;
}

UNIT_TEST(check_report_all_ok)
{
    check_outcome o = all_ok();
    CHECK(check_report(&o, lines) == 0);
    CHECK_STR_EQ(line(0), "kubeconfig   ok       context c, server https://h:6443\n");
    CHECK_STR_EQ(line(1), "reachable    ok       h:6443\n");
    CHECK_STR_EQ(line(2), "tls          ok       server certificate verified (CA from kubeconfig)\n");
    CHECK_STR_EQ(line(3), "auth         ok       authenticated as system:serviceaccount:ns:sa\n");
    CHECK_STR_EQ(line(4), "version      ok       v1.33.13\n");
    CHECK_STR_EQ(line(5), "permissions  ok       list,watch services; list,watch endpointslices.discovery.k8s.io; "
                          "list,watch namespaces\n");
    CHECK_STR_EQ(line(6), "verdict      ok       this kubeconfig works for a ClusterLink\n");
    o.tls_server_name = "api.example";
    check_report(&o, lines);
    CHECK_STR_EQ(line(2), "tls          ok       server certificate verified for api.example (CA from kubeconfig)\n");
}

UNIT_TEST(check_report_kubeconfig_refused)
{
    check_outcome o = {.kubeconfig_error = "Refused: user \"u\": field \"exec\" is not allowed"};
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(line(0), "kubeconfig   FAIL     Refused: user \"u\": field \"exec\" is not allowed\n");
    for (unsigned i = 1; i < 6; i++)
        CHECK(lines[i].state == CHECK_SKIPPED && strcmp(lines[i].text, "(kubeconfig failed)") == 0);
    CHECK_STR_EQ(line(6), "verdict      FAIL     this kubeconfig is not ready for a ClusterLink (failed: kubeconfig)\n");
}

UNIT_TEST(check_report_unreachable)
{
    check_outcome o = all_ok();
    const char *refused = "c: GET /version: cannot connect to h:6443: Connection refused";
    failed_reply(&o.version, 0, CONN_ERR_CONNECT, refused);
    failed_reply(&o.review, 0, CONN_ERR_CONNECT, "c: POST /r: cannot connect");
    for (size_t i = 0; i < check_access_total(0); i++)
        failed_reply(&access[i], 0, CONN_ERR_CONNECT, "c: POST /a: cannot connect");
    CHECK(check_report(&o, lines) == 1);
    CHECK(lines[1].state == CHECK_FAIL);
    CHECK_STR_EQ(lines[1].text, refused);
    CHECK(lines[2].state == CHECK_SKIPPED && lines[5].state == CHECK_SKIPPED);
    CHECK_STR_EQ(line(2), "tls          skipped  (reachable failed)\n");
    /* DNS and a connect timeout are reachability too. */
    o.version.transport = CONN_ERR_DNS;
    check_report(&o, lines);
    CHECK(lines[1].state == CHECK_FAIL);
    failed_reply(&o.version, 0, CONN_ERR_TIMEOUT, "c: GET /version: h:6443: connecting timed out");
    check_report(&o, lines);
    CHECK(lines[1].state == CHECK_FAIL && lines[2].state == CHECK_SKIPPED);
}

UNIT_TEST(check_report_silence)
{
    check_outcome o = all_ok();
    check_reply_timeout(&o.version, "c: GET /version", 10000);
    check_reply_timeout(&o.review, "c: POST /r", 10000);
    for (size_t i = 0; i < check_access_total(0); i++)
        check_reply_timeout(&access[i], "c: POST /a", 10000);
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(lines[1].text,
                 "c: GET /version: no answer within 10s (connecting, the TLS handshake or the server hangs)");
}

UNIT_TEST(check_report_tls)
{
    check_outcome o = all_ok();
    const char *bad = "c: GET /version: h:6443: the server certificate is not signed by the configured CA";
    failed_reply(&o.version, 0, CONN_ERR_TLS, bad);
    failed_reply(&o.review, 0, CONN_ERR_TLS, bad);
    for (size_t i = 0; i < check_access_total(0); i++)
        failed_reply(&access[i], 0, CONN_ERR_TLS, bad);
    CHECK(check_report(&o, lines) == 1);
    CHECK(lines[1].state == CHECK_OK);
    CHECK(lines[2].state == CHECK_FAIL);
    CHECK_STR_EQ(lines[2].text, bad);
    CHECK_STR_EQ(lines[3].text, "(tls failed)");
    /* A handshake that hangs means the TCP connection was made. */
    failed_reply(&o.version, 0, CONN_ERR_TIMEOUT, "c: GET /version: h:6443: TLS handshake timed out");
    check_report(&o, lines);
    CHECK(lines[1].state == CHECK_OK && lines[2].state == CHECK_FAIL);
}

UNIT_TEST(check_report_insecure_is_a_problem)
{
    check_outcome o = all_ok();
    o.insecure = true;
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(line(2), "tls          FAIL     NOT verified: insecure-skip-tls-verify is set\n");
    CHECK(lines[3].state == CHECK_OK && lines[5].state == CHECK_OK);
    CHECK_STR_EQ(lines[6].text, "this kubeconfig is not ready for a ClusterLink (failed: tls)");
}

UNIT_TEST(check_report_unauthorized)
{
    check_outcome o = all_ok();
    const char *e = "c: POST /apis/authentication.k8s.io/v1/selfsubjectreviews: 401 Unauthorized: Unauthorized";
    failed_reply(&o.version, 401, CONN_OK, "c: GET /version: 401 Unauthorized");
    failed_reply(&o.review, 401, CONN_OK, e);
    CHECK(check_report(&o, lines) == 1);
    CHECK(lines[2].state == CHECK_OK);
    CHECK(lines[3].state == CHECK_FAIL);
    CHECK(strncmp(lines[3].text, "credentials rejected (401): ", 28) == 0 && strstr(lines[3].text, e) != NULL);
    CHECK_STR_EQ(lines[4].text, "(auth failed)");
    CHECK(lines[5].state == CHECK_SKIPPED);
    /* A 401 on any request is enough. */
    o = all_ok();
    failed_reply(&access[2], 401, CONN_OK, "c: POST /a: 401 Unauthorized");
    check_report(&o, lines);
    CHECK(lines[3].state == CHECK_FAIL);
}

UNIT_TEST(check_report_auth_fallbacks)
{
    check_outcome o = all_ok();
    failed_reply(&o.review, 404, CONN_OK, "c: POST /r: 404 Not Found");
    CHECK(check_report(&o, lines) == 0);
    CHECK_STR_EQ(lines[3].text, "authenticated");
    failed_reply(&o.review, 403, CONN_OK, "c: POST /r: 403 Forbidden");
    CHECK(check_report(&o, lines) == 0);
    CHECK(strncmp(lines[3].text, "authenticated (not allowed", 26) == 0);
    ok_reply(&o.review, 201, "system:anonymous");
    CHECK(check_report(&o, lines) == 0);
    CHECK(strstr(lines[3].text, "system:anonymous") != NULL);
    failed_reply(&o.review, 500, CONN_OK, "c: POST /r: 500 Internal Server Error: boom");
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(lines[3].text, "c: POST /r: 500 Internal Server Error: boom");
    CHECK(lines[4].state == CHECK_OK && lines[5].state == CHECK_OK);
}

UNIT_TEST(check_report_version_failure)
{
    check_outcome o = all_ok();
    failed_reply(&o.version, 403, CONN_OK, "c: GET /version: 403 Forbidden: no");
    CHECK(check_report(&o, lines) == 1);
    CHECK(lines[1].state == CHECK_OK && lines[3].state == CHECK_OK);
    CHECK_STR_EQ(line(4), "version      FAIL     c: GET /version: 403 Forbidden: no\n");
}

UNIT_TEST(check_report_missing_permissions)
{
    check_outcome o = all_ok();
    access[3].allowed = false;
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(line(5), "permissions  FAIL     missing: watch endpointslices.discovery.k8s.io\n");
    CHECK_STR_EQ(lines[6].text, "this kubeconfig is not ready for a ClusterLink (failed: permissions)");
    for (size_t i = 0; i < CHECK_PERMS; i++)
        access[i].allowed = false;
    check_report(&o, lines);
    CHECK_STR_EQ(lines[5].text, "missing: list services, watch services, list endpointslices.discovery.k8s.io, "
                                "watch endpointslices.discovery.k8s.io");
}

UNIT_TEST(check_report_namespaces)
{
    char *ns[] = {"ns-a", "ns-b"};
    check_outcome o = all_ok();
    o.namespaces = ns;
    o.namespace_count = 2;
    CHECK(check_report(&o, lines) == 0);
    CHECK_STR_EQ(lines[5].text, "list,watch services; list,watch endpointslices.discovery.k8s.io in ns-a, ns-b; "
                                "list,watch namespaces");
    access[CHECK_PERMS + 0].allowed = false;
    access[CHECK_PERMS + 1].allowed = false;
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(lines[5].text, "missing: list services in ns-b, watch services in ns-b");
    /* Namespaces are cluster-scoped: reviewed once, after every namespace's four. */
    const char *where = "x";
    const check_perm *p = check_access_perm(2 * CHECK_PERMS + 1, ns, 2, &where);
    CHECK(check_access_total(2) == 2 * CHECK_PERMS + CHECK_CLUSTER_PERMS);
    CHECK(where == NULL && strcmp(p->resource, "namespaces") == 0 && strcmp(p->verb, "watch") == 0);
    p = check_access_perm(CHECK_PERMS + 2, ns, 2, &where);
    CHECK(where != NULL && strcmp(where, "ns-b") == 0 && strcmp(p->resource, "endpointslices") == 0);
}

UNIT_TEST(check_report_namespaces_permission)
{
    /* Every ClusterLink watches the remote's Namespaces for the opt-out labels. */
    check_outcome o = all_ok();
    access[CHECK_PERMS + 1].allowed = false;
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(lines[5].text, "missing: watch namespaces");
}

UNIT_TEST(check_report_review_failure)
{
    check_outcome o = all_ok();
    for (size_t i = 1; i < CHECK_PERMS; i++)
        failed_reply(&access[i], 403, CONN_OK, "c: POST /a: 403 Forbidden: cannot create selfsubjectaccessreviews");
    CHECK(check_report(&o, lines) == 1);
    CHECK_STR_EQ(lines[5].text,
                 "c: POST /a: 403 Forbidden: cannot create selfsubjectaccessreviews (and 2 more access reviews failed)");
    /* A 403 elsewhere says nothing about the credentials. */
    CHECK(lines[3].state == CHECK_OK);
}

UNIT_TEST(check_report_trusted_note)
{
    check_outcome o = all_ok();
    o.trusted = true;
    o.kubeconfig_note = "user \"u\": field \"tokenFile\" is not allowed in a ClusterLink kubeconfig";
    CHECK(check_report(&o, lines) == 0);
    CHECK(strstr(lines[0].text, "(a ClusterLink would refuse it: user \"u\": field \"tokenFile\"") != NULL);
    CHECK_STR_EQ(lines[6].text, "this kubeconfig works with --trusted, but a ClusterLink would refuse it");
}

UNIT_TEST(check_line_format_is_safe)
{
    check_line l = {.step = "version", .state = CHECK_OK};
    snprintf(l.text, sizeof l.text, "v1\x1b[31m\r\nx\xff");
    char buf[128];
    check_line_format(&l, buf, sizeof buf);
    CHECK_STR_EQ(buf, "version      ok       v1?[31m??x?\n");
    char tiny[8];
    check_line_format(&l, tiny, sizeof tiny);
    CHECK(strlen(tiny) < sizeof tiny);
    l.text[0] = '\0';
    l.state = CHECK_SKIPPED;
    check_line_format(&l, buf, sizeof buf);
    CHECK_STR_EQ(buf, "version      skipped\n");
}
