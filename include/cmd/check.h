/* check: `svclink check`, which tries a kubeconfig the way a ClusterLink would use it and
 * prints a verdict, one line per step; its pure parts are declared here for the unit tests. */
#ifndef SVCLINK_CMD_CHECK_H
#define SVCLINK_CMD_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"
#include "kube/apiclient.h"

/* Limits. --namespace names at most CHECK_MAX_NAMESPACES namespaces (each costs four access
 * reviews); at most CHECK_MAX_INFLIGHT requests are on the wire at once, so a long list
 * never opens a burst of connections. */
#define CHECK_MAX_NAMESPACES 64u
#define CHECK_MAX_INFLIGHT 8u
#define CHECK_DEFAULT_TIMEOUT_MS 10000u
#define CHECK_MIN_TIMEOUT_MS 100u
#define CHECK_MAX_TIMEOUT_MS 600000u
#define CHECK_ERROR_MAX 1024u /* apiclient's messages fit (APICLIENT_ERROR_MAX) */
#define CHECK_VALUE_MAX 256u  /* a user name or a version, cut to fit */
#define CHECK_TEXT_MAX 16384u /* one report line: enough for every namespace's four misses */

/* ---- command line ---- */

typedef struct {
    const char *kubeconfig; /* borrowed from argv */
    const char *context;    /* borrowed from argv; NULL: current-context */
    bool trusted;
    uint64_t timeout_ms;
    char **namespaces;      /* owned (check_args_free): in the order given, without repeats */
    size_t namespace_count; /* 0: check cluster-wide */
} check_args;

typedef enum {
    CHECK_ARGS_RUN = 0,
    CHECK_ARGS_HELP = 1,   /* -h or --help */
    CHECK_ARGS_ERROR = -1  /* err names the flag or value at fault */
} check_args_result;

/* Parses argv[1..argc-1] (argv[0] is "check"). *out is always initialised; call
 * check_args_free whatever the result. Flags take "--flag value" or "--flag=value". */
check_args_result check_args_parse(int argc, char *const argv[], check_args *out, char *err, size_t errlen);
void check_args_free(check_args *a);

/* ---- requests ---- */

/* The SelfSubjectAccessReview body asking whether verb on group/resource is allowed in
 * namespace ns (NULL: cluster-wide). Returns the JSON text (caller frees) and its length
 * in *len, or NULL when out of memory. */
char *check_access_body(const char *verb, const char *group, const char *resource, const char *ns, size_t *len);

/* What each request asks; it decides how a successful body is read. */
typedef enum {
    CHECK_REQ_VERSION, /* GET /version: gitVersion */
    CHECK_REQ_REVIEW,  /* SelfSubjectReview: status.userInfo.username */
    CHECK_REQ_ACCESS   /* SelfSubjectAccessReview: status.allowed */
} check_req_kind;

/* One request's outcome, copied out of the apiclient callback. */
typedef struct {
    bool answered;        /* set by check_reply_set or check_reply_timeout */
    bool expired;         /* check_reply_timeout: our own time ran out, not apiclient's */
    bool ok;              /* 2xx and the body said what was asked */
    int status;           /* HTTP status; 0 when none arrived */
    conn_error transport; /* why no status arrived */
    char error[CHECK_ERROR_MAX]; /* "" when ok; else apiclient's text (cluster, verb, path, ...) */
    char value[CHECK_VALUE_MAX]; /* version: gitVersion; review: the user name ("" if none) */
    bool allowed;         /* access review: status.allowed */
} check_reply;

/* Records resp, reading the body as kind says. A 2xx body without the expected field is
 * a failure whose error says so, prefixed with what (e.g. "c: GET /version"). */
void check_reply_set(check_reply *r, check_req_kind kind, const char *what, const apiclient_response *resp);
/* Records that no answer came within timeout_ms: "what: no answer within 10s". */
void check_reply_timeout(check_reply *r, const char *what, uint64_t timeout_ms);

/* ---- the report ---- */

/* The permissions a ClusterLink needs: four in each namespace checked (or cluster-wide),
 * then two cluster-scoped ones (Namespaces, for the opt-out labels), in the order of
 * check_outcome.access. */
#define CHECK_PERMS 4u
#define CHECK_CLUSTER_PERMS 2u
typedef struct {
    const char *verb, *group, *resource;
    const char *shown; /* "services", "endpointslices.discovery.k8s.io" */
} check_perm;
extern const check_perm check_perms[CHECK_PERMS];
extern const check_perm check_cluster_perms[CHECK_CLUSTER_PERMS];
/* How many access reviews a check of namespace_count namespaces (0: cluster-wide) makes. */
size_t check_access_total(size_t namespace_count);
/* Review i of those: its permission, and in *ns its namespace (NULL: cluster-wide). */
const check_perm *check_access_perm(size_t i, char *const *namespaces, size_t namespace_count, const char **ns);

typedef struct {
    /* The kubeconfig step. When kubeconfig_error is set nothing else is read. */
    const char *kubeconfig_error; /* why it cannot be used, or NULL */
    const char *kubeconfig_note;  /* --trusted: why a ClusterLink would refuse it, or NULL */
    const char *context;          /* the context's name */
    const char *server;           /* "https://host:port[/prefix]" */
    const char *endpoint;         /* "host:port" ("[v6]:port") */
    const char *tls_server_name;  /* NULL unless the kubeconfig sets it */
    bool insecure;                /* insecure-skip-tls-verify */
    bool trusted;                 /* read with --trusted */
    check_reply version, review;
    /* check_access_total(namespace_count) replies, in check_access_perm's order. Borrowed. */
    const check_reply *access;
    char *const *namespaces;
    size_t namespace_count;
} check_outcome;

typedef enum { CHECK_OK, CHECK_FAIL, CHECK_SKIPPED } check_state;

#define CHECK_STEPS 7u /* kubeconfig reachable tls auth version permissions verdict */
typedef struct {
    const char *step;
    check_state state;
    char text[CHECK_TEXT_MAX];
} check_line;

/* Judges o into the seven lines. Returns the number of steps that failed (the verdict
 * line is not counted): 0 means the kubeconfig works. */
unsigned check_report(const check_outcome *o, check_line lines[CHECK_STEPS]);

/* "step         state    text\n" into buf (NUL-terminated, cut to fit). Bytes outside
 * printable ASCII in the text, which may quote a server's message, become '?'. */
void check_line_format(const check_line *line, char *buf, size_t buflen);

/* ---- the command ---- */

/* Runs `svclink check ...` with argv[0] == "check". Returns the exit status: 0 every
 * step is ok, 1 a step failed, 2 bad usage. */
int check_main(int argc, char **argv);

#endif
