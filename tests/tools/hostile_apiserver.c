/* hostile_apiserver: a stand-in for a remote Kubernetes API server that misbehaves, for
 * tests/e2e/test_hostile.sh. TLS (BearSSL) on 127.0.0.1; the first path segment picks the mode. */
#define _GNU_SOURCE
#include <bearssl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Modes, as https://127.0.0.1:PORT/MODE in a kubeconfig's server:
 *   endless     a Services LIST whose items never end (one Service repeated, throttled)
 *   many        a valid Services LIST of 200,000 distinct Services in one page
 *   manyeps     a valid EndpointSlices LIST of 2,000 slices x 100 endpoints (200,000)
 *   deep        a Services LIST whose item nests 200,000 deep
 *   garbage     a Services LIST body of random bytes
 *   slow        a valid Services LIST sent one byte a second
 *   huge        a Services LIST with one 3 MiB Service
 *   endlessline a valid empty LIST, then a Services watch whose first line never ends
 * Everything else (/version, the other resource, watches of other modes) answers as a
 * quiet, empty, healthy cluster would. */

#define HS_HEAD_MAX 16384
#define HS_PREFIX "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":["

typedef struct {
    int fd;
    br_sslio_context io;
    char out[65536]; /* body bytes waiting to go out as one chunk */
    size_t out_len;
} hs_conn;

static int hs_sock_read(void *ctx, unsigned char *buf, size_t len)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n > 0)
            return (int)n;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

static int hs_sock_write(void *ctx, const unsigned char *buf, size_t len)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0)
            return (int)n;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Any failed write means the client went away: the child ends there. */
static void hs_write(hs_conn *c, const void *data, size_t len)
{
    if (br_sslio_write_all(&c->io, data, len) != 0)
        _exit(0);
}

static void hs_flush(hs_conn *c)
{
    if (br_sslio_flush(&c->io) != 0)
        _exit(0);
}

static void hs_head(hs_conn *c, int status, const char *reason, long length)
{
    char head[256];
    int n = length >= 0 ? snprintf(head, sizeof head,
                                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %ld\r\n\r\n",
                                   status, reason, length)
                        : snprintf(head, sizeof head,
                                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                                   status, reason);
    hs_write(c, head, (size_t)n);
}

static void hs_chunk_flush(hs_conn *c)
{
    if (c->out_len == 0)
        return;
    char size[32];
    int n = snprintf(size, sizeof size, "%zx\r\n", c->out_len);
    hs_write(c, size, (size_t)n);
    hs_write(c, c->out, c->out_len);
    hs_write(c, "\r\n", 2);
    c->out_len = 0;
    hs_flush(c);
}

static void hs_body(hs_conn *c, const char *data, size_t len)
{
    while (len > 0) {
        size_t n = sizeof c->out - c->out_len;
        if (n > len)
            n = len;
        memcpy(c->out + c->out_len, data, n);
        c->out_len += n;
        data += n;
        len -= n;
        if (c->out_len == sizeof c->out)
            hs_chunk_flush(c);
    }
}

__attribute__((format(printf, 2, 3))) static void hs_bodyf(hs_conn *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    hs_body(c, buf, (size_t)n);
}

static void hs_end(hs_conn *c)
{
    hs_chunk_flush(c);
    hs_write(c, "0\r\n\r\n", 5);
    hs_flush(c);
}

static void hs_fixed(hs_conn *c, int status, const char *reason, const char *body)
{
    hs_head(c, status, reason, (long)strlen(body));
    hs_write(c, body, strlen(body));
    hs_flush(c);
}

/* A watch that says nothing until the client goes away or timeoutSeconds passes. */
static void hs_quiet_watch(hs_conn *c, const char *target)
{
    const char *t = strstr(target, "timeoutSeconds=");
    int secs = t != NULL ? atoi(t + 15) : 60;
    hs_head(c, 200, "OK", -1);
    hs_flush(c);
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    time_t end = time(NULL) + secs;
    while (time(NULL) < end) {
        if (poll(&p, 1, 1000) > 0) {
            char b[256];
            if (read(c->fd, b, sizeof b) <= 0)
                _exit(0);
        }
    }
    hs_end(c);
}

static void hs_service(hs_conn *c, const char *name, const char *extra)
{
    hs_bodyf(c, "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"hostile\",\"resourceVersion\":\"1\"%s},"
                "\"spec\":{\"ports\":[{\"port\":80}]}}",
             name, extra);
}

static void hs_list_services(hs_conn *c, const char *mode)
{
    if (strcmp(mode, "garbage") == 0) {
        static char junk[65536];
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < sizeof junk; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            junk[i] = (char)(x & 0xff);
        }
        junk[0] = '{'; /* past the first byte, so the framer has to find the fault itself */
        hs_head(c, 200, "OK", (long)sizeof junk);
        hs_write(c, junk, sizeof junk);
        hs_flush(c);
        return;
    }
    if (strcmp(mode, "slow") == 0) {
        const char *body = HS_PREFIX "]}";
        hs_head(c, 200, "OK", (long)strlen(body));
        hs_flush(c);
        for (const char *p = body; *p != '\0'; p++) {
            hs_write(c, p, 1);
            hs_flush(c);
            sleep(1);
        }
        return;
    }
    hs_head(c, 200, "OK", -1);
    hs_body(c, HS_PREFIX, strlen(HS_PREFIX));
    if (strcmp(mode, "endless") == 0) {
        for (unsigned long i = 0;; i++) {
            hs_body(c, i > 0 ? "," : "", i > 0);
            hs_service(c, "endless", "");
            if (i % 512 == 511) {
                hs_chunk_flush(c);
                usleep(20000); /* never ends, but need not burn a core to show it */
            }
        }
    }
    if (strcmp(mode, "many") == 0) {
        for (int i = 0; i < 200000; i++) {
            char name[16];
            snprintf(name, sizeof name, "s%06d", i);
            hs_body(c, i > 0 ? "," : "", i > 0);
            hs_service(c, name, "");
        }
    } else if (strcmp(mode, "deep") == 0) {
        hs_bodyf(c, "{\"metadata\":{\"name\":\"deep\",\"namespace\":\"hostile\"},\"spec\":");
        for (int i = 0; i < 200000; i++)
            hs_body(c, "{\"a\":", 5);
        hs_body(c, "1", 1);
        for (int i = 0; i < 200001; i++)
            hs_body(c, "}", 1);
    } else if (strcmp(mode, "huge") == 0) {
        hs_bodyf(c, "{\"metadata\":{\"name\":\"huge\",\"namespace\":\"hostile\",\"annotations\":{\"a\":\"");
        static char fill[65536];
        memset(fill, 'h', sizeof fill);
        for (int i = 0; i < 48; i++) /* 3 MiB */
            hs_body(c, fill, sizeof fill);
        hs_bodyf(c, "\"}},\"spec\":{\"ports\":[{\"port\":80}]}}");
    } else if (strcmp(mode, "manyeps") == 0) {
        hs_service(c, "web", "");
    }
    hs_body(c, "]}", 2);
    hs_end(c);
}

static void hs_list_slices(hs_conn *c, const char *mode)
{
    hs_head(c, 200, "OK", -1);
    hs_body(c, HS_PREFIX, strlen(HS_PREFIX));
    if (strcmp(mode, "manyeps") == 0) {
        for (int s = 0; s < 2000; s++) {
            hs_bodyf(c, "%s{\"metadata\":{\"name\":\"web-%04d\",\"namespace\":\"hostile\",\"labels\":"
                        "{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\",\"ports\":[{\"port\":80}],"
                        "\"endpoints\":[",
                     s > 0 ? "," : "", s);
            for (int e = 0; e < 100; e++)
                hs_bodyf(c, "%s{\"addresses\":[\"10.%d.%d.%d\"]}", e > 0 ? "," : "", 100 + s / 250, s % 250, e + 1);
            hs_body(c, "]}", 2);
        }
    }
    hs_body(c, "]}", 2);
    hs_end(c);
}

static void hs_endless_line(hs_conn *c)
{
    hs_head(c, 200, "OK", -1);
    hs_bodyf(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\",\"namespace\":\"hostile\","
                "\"resourceVersion\":\"2\",\"annotations\":{\"a\":\"");
    static char fill[65536];
    memset(fill, 'l', sizeof fill);
    for (unsigned long i = 0;; i++) {
        hs_body(c, fill, sizeof fill);
        if (i % 16 == 15)
            usleep(20000);
    }
}

static void hs_answer(hs_conn *c, const char *target)
{
    char mode[32] = "";
    const char *rest = target;
    if (target[0] == '/') {
        const char *slash = strchr(target + 1, '/');
        size_t n = slash != NULL ? (size_t)(slash - target - 1) : strlen(target + 1);
        if (n < sizeof mode) {
            memcpy(mode, target + 1, n);
            mode[n] = '\0';
        }
        rest = slash != NULL ? slash : "/";
    }
    int watch = strstr(rest, "watch=1") != NULL;
    if (strncmp(rest, "/version", 8) == 0) {
        hs_fixed(c, 200, "OK", "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"v1.33.0-hostile\"}");
    } else if (strncmp(rest, "/api/v1/services", 16) == 0) {
        if (watch && strcmp(mode, "endlessline") == 0)
            hs_endless_line(c);
        else if (watch)
            hs_quiet_watch(c, rest);
        else
            hs_list_services(c, strcmp(mode, "endlessline") == 0 ? "" : mode);
    } else if (strncmp(rest, "/apis/discovery.k8s.io/v1/endpointslices", 40) == 0) {
        if (watch)
            hs_quiet_watch(c, rest);
        else
            hs_list_slices(c, mode);
    } else if (strncmp(rest, "/api/v1/namespaces", 18) == 0 && (rest[18] == '?' || rest[18] == '\0')) {
        /* The links' opt-out watches (label-selected Namespaces): none opts out, in every
         * mode, so each link fails for its mode's own reason. */
        if (watch)
            hs_quiet_watch(c, rest);
        else
            hs_fixed(c, 200, "OK",
                     "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},"
                     "\"items\":[]}");
    } else {
        hs_fixed(c, 404, "Not Found",
                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"not here\","
                 "\"reason\":\"NotFound\",\"code\":404}");
    }
}

/* Reads one request head; returns its target in target, or exits when the client is gone. */
static void hs_read_request(hs_conn *c, char *target, size_t cap)
{
    char head[HS_HEAD_MAX + 1];
    size_t len = 0;
    while (len < HS_HEAD_MAX) {
        int n = br_sslio_read(&c->io, head + len, 1);
        if (n <= 0)
            _exit(0);
        len++;
        if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    head[len] = '\0';
    char *sp = strchr(head, ' ');
    char *sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
    if (sp2 == NULL || (size_t)(sp2 - sp - 1) >= cap)
        _exit(0);
    memcpy(target, sp + 1, (size_t)(sp2 - sp - 1));
    target[sp2 - sp - 1] = '\0';
}

static void hs_serve(int fd, const br_x509_certificate *chain, const br_ec_private_key *key)
{
    static br_ssl_server_context sc;
    static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
    br_ssl_server_init_full_ec(&sc, chain, 1, BR_KEYTYPE_EC, key);
    br_ssl_engine_set_buffer(&sc.eng, iobuf, sizeof iobuf, 1);
    br_ssl_server_reset(&sc);
    hs_conn c = {.fd = fd};
    br_sslio_init(&c.io, &sc.eng, hs_sock_read, &c.fd, hs_sock_write, &c.fd);
    for (;;) {
        char target[4096];
        hs_read_request(&c, target, sizeof target);
        hs_answer(&c, target);
    }
}

static unsigned char *hs_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    static unsigned char buf[2][8192];
    static int which;
    unsigned char *b = buf[which++ & 1];
    *len = fread(b, 1, sizeof buf[0], f);
    fclose(f);
    return b;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hostile_apiserver PORT CERT.der KEY.der (PORT 0: any; the port is printed)\n");
        return 2;
    }
    size_t cert_len = 0, key_len = 0;
    unsigned char *cert = hs_read_file(argv[2], &cert_len);
    unsigned char *keyder = hs_read_file(argv[3], &key_len);
    if (cert == NULL || keyder == NULL) {
        fprintf(stderr, "hostile_apiserver: cannot read %s or %s\n", argv[2], argv[3]);
        return 1;
    }
    static br_skey_decoder_context kd;
    br_skey_decoder_init(&kd);
    br_skey_decoder_push(&kd, keyder, key_len);
    if (br_skey_decoder_last_error(&kd) != 0 || br_skey_decoder_key_type(&kd) != BR_KEYTYPE_EC) {
        fprintf(stderr, "hostile_apiserver: %s is not an EC private key in DER\n", argv[3]);
        return 1;
    }
    const br_ec_private_key *key = br_skey_decoder_get_ec(&kd);
    br_x509_certificate chain = {cert, cert_len};

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        perror("hostile_apiserver: listen");
        return 1;
    }
    printf("%u\n", ntohs(a.sin_port));
    fflush(stdout);
    struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
    sigaction(SIGCHLD, &sa, NULL);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(ls);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            hs_serve(fd, &chain, key);
            _exit(0);
        }
        close(fd);
    }
}
