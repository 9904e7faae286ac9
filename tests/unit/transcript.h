/* transcript: a test-only stand-in API server on 127.0.0.1 (an ephemeral port), run by the
 * same loop as the client under test, answering each request from a script of recorded responses. */
#ifndef SVCLINK_TESTS_TRANSCRIPT_H
#define SVCLINK_TESTS_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/apiclient.h"
#include "net/loop.h"

/* The client speaks TLS only (conn.c is built around the BearSSL engine, url.c refuses
 * http), so the server ends TLS itself with BearSSL's server engine and a throwaway key:
 * no product code changes. Each piece of an answer goes out as its own TLS record, which
 * the client's conn hands to apiclient as one on_data call: the splits are exact. */

/* How an answer ends. */
typedef enum {
    TRANSCRIPT_KEEP = 0, /* complete; the connection stays open for the next request */
    TRANSCRIPT_CLOSE,    /* complete ("Connection: close"), then the server closes */
    TRANSCRIPT_CUT,      /* the server closes half way through the body's last chunk (or the body) */
    TRANSCRIPT_HOLD,     /* chunked: every chunk goes out but the stream never ends (an open watch) */
    TRANSCRIPT_DROP,     /* no answer at all: the server closes once it has read the request */
} transcript_end;

/* One request as the server read it. */
typedef struct {
    char method[8];
    char *target;       /* path and query as sent (owned by the transcript) */
    char *body;         /* NUL-terminated; "" when there was none (owned by the transcript) */
    size_t body_len;
    uint64_t at_ms;     /* loop_now_ms() when it had arrived whole */
    unsigned conn;      /* which connection: 1 for the first one accepted, 2 for the next... */
    int step;           /* the script step that answers it, -1 when none matched */
} transcript_request;

/* One step of the script: the request expected, then the recorded answer. */
typedef struct {
    const char *method;
    const char *path;         /* the target's path (before '?') starts with this */
    const char *query[6];     /* each "name=value" (or a bare "name") is one of the query's parameters */
    int status;
    const char *headers;      /* extra header lines, each ending in "\r\n"; NULL: none */
    const char *body;         /* NULL: empty */
    /* Instead of body: made from the request (the apply tests echo what was posted). The
     * result is malloc'ed and the transcript frees it; NULL fails the script. */
    char *(*body_fn)(const transcript_request *req);
    bool chunked;             /* Transfer-Encoding: chunked, else Content-Length */
    size_t chunk_size;        /* chunked: the body cut into chunks of this many bytes (0: one chunk) */
    size_t record_size;       /* the answer's bytes cut into records of this many, whatever the
                               * framing (0: the head, each chunk and the last chunk one record each) */
    uint32_t pause_ms;        /* a timer between records (0: none) */
    transcript_end end;
    bool held;                /* the answer waits for transcript_release */
} transcript_step;

typedef struct transcript transcript;

/* Listens on 127.0.0.1:0 and serves steps (borrowed: they must outlive the transcript) on
 * the loop l. In order, request i is answered by step i; with any_order, by the first step
 * not used yet that matches (for clients with several requests in flight). A request that
 * matches no step fails the script and its connection is closed. Caller owns the result
 * (transcript_free); NULL when the socket or memory fails. */
transcript *transcript_new(loop *l, const transcript_step *steps, size_t nsteps, bool any_order);
/* Frees every connection and request; call it after the clients talking to it are freed. */
void transcript_free(transcript *t);
uint16_t transcript_port(const transcript *t);

/* A client for this server (name "test", IP literal, TLS without verification, a 5 s request
 * timeout). Caller owns it and frees it (apiclient_free) before transcript_free; NULL on OOM. */
apiclient_client *transcript_client_new(transcript *t);

/* The requests read so far, in the order they arrived whole; a pointer is valid until the
 * loop runs again. Past the end, an empty request (method "", target "", step -1), so a
 * failing test goes on to its next check. */
size_t transcript_count(const transcript *t);
const transcript_request *transcript_request_at(const transcript *t, size_t i);
/* Requests whose answer waits (held steps), and the release of the n oldest of them. */
size_t transcript_held(const transcript *t);
void transcript_release(transcript *t, size_t n);

/* The deadline of a wait: generous, since the unit tests also run under ASan and qemu. A
 * passing test never comes near it; a failing one ends there. */
#define TRANSCRIPT_DEADLINE_MS 5000

/* Runs the loop until cond(arg) holds: 0; or -1 once the script has failed or
 * TRANSCRIPT_DEADLINE_MS have passed (a deadline timer wakes the loop), which then fails
 * the script too ("timed out waiting for <what>"). */
int transcript_wait(transcript *t, bool (*cond)(void *), void *arg, const char *what);
/* transcript_wait for n requests in all. */
int transcript_wait_count(transcript *t, size_t n);
/* Runs the loop for ms, for checks that something does NOT happen (nothing else can show it). */
void transcript_run_for(transcript *t, uint32_t ms);

/* False once anything went against the script; transcript_error says what first. */
bool transcript_ok(const transcript *t);
const char *transcript_error(const transcript *t);

#endif
