/* tls: decodes PEM trust anchors and client keys into BearSSL structures once per cluster,
 * and builds per-connection client engines with an X.509 checker that also knows IP SANs. */
#include "net/tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/x509san.h"
#include "base/text.h"

/* A server certificate larger than this cannot be checked for IP SANs; real ones are ~1-2 KiB. */
#define TLS_MAX_EE_CERT 16384
/* A chain longer than this in a kubeconfig is surely a mistake. */
#define TLS_MAX_CHAIN 8
#define TLS_MAX_ANCHORS 64

struct tls_creds {
    br_x509_trust_anchor *anchors; /* each anchor's dn.data and key data are separate mallocs */
    size_t nanchors;
    br_x509_certificate *chain;    /* each data is a malloc'd DER copy */
    size_t nchain;
    int key_type;                  /* 0 (none), BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
    br_rsa_private_key rsa;        /* points into key_storage */
    br_ec_private_key ec;          /* points into key_storage */
    uint8_t *key_storage;
    unsigned issuer_key_type;      /* signer of the client certificate, for set_single_ec */
    bool insecure;
    unsigned refs;                 /* holders: the creator and each tls_creds_ref */
};

typedef enum { TLS_CHECK_DNS, TLS_CHECK_IP, TLS_CHECK_NONE } tls_check_mode;

/* Our X.509 class: delegates the chain validation to br_x509_minimal, adding the IP SAN
 * match (minimal matches DNS names only) or, in insecure mode, only extracting the key. */
typedef struct {
    const br_x509_class *vtable;
    br_x509_minimal_context minimal;
    tls_check_mode mode;
    uint8_t ip[16];
    size_t ip_len;
    int cert_index;
    /* The end-entity certificate, captured for the IP SAN check: allocated at its exact
     * size when it starts and freed at the end of the chain, so an established session
     * holds nothing for it. */
    uint8_t *ee;
    size_t ee_len, ee_expected;
    bool ee_too_big;
    br_x509_decoder_context *decoder; /* insecure mode only: the leaf's key (owned) */
} tls_x509;

/* One buffer for both directions (BearSSL's half-duplex mode): HTTP/1.1 sends a request,
 * then reads its answer, and a watch only reads, so nothing needs both at once. A second,
 * output buffer would cost every connection 4 KiB more and push the session into the
 * allocator's next size class (32 KiB instead of 26 KiB); svclink holds one session per
 * watch, three per link. */
struct tls_session {
    br_ssl_client_context client;
    tls_x509 x509;
    unsigned char buf[BR_SSL_BUFSIZE_MONO];
};

/* ---- PEM ---- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
    bool oom;
} tls_bytes;

static void tls_bytes_append(void *ctx, const void *src, size_t len)
{
    tls_bytes *b = ctx;
    if (b->oom)
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->oom = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, len);
    b->len += len;
}

typedef int (*tls_pem_cb)(const char *name, const uint8_t *der, size_t len, void *arg, char *err, size_t errlen);

/* Decodes every PEM object in pem[0..len) and hands each to cb with its label. */
static int tls_pem_each(const uint8_t *pem, size_t len, const char *what, tls_pem_cb cb, void *arg,
                        char *err, size_t errlen)
{
    br_pem_decoder_context pc;
    tls_bytes der = {0};
    char name[128] = "";
    bool inside = false;
    int objects = 0, rc = 0;
    br_pem_decoder_init(&pc);
    size_t off = 0;
    bool sent_final_newline = false;
    while (rc == 0) {
        /* The decoder only closes a line on a newline, so one is fed after the input. */
        const uint8_t *chunk = off < len ? pem + off : (const uint8_t *)"\n";
        size_t avail = off < len ? len - off : 1;
        if (off >= len && sent_final_newline)
            break;
        size_t used = br_pem_decoder_push(&pc, chunk, avail);
        if (off < len)
            off += used;
        else if (used > 0)
            sent_final_newline = true;
        int event = br_pem_decoder_event(&pc);
        if (event == BR_PEM_BEGIN_OBJ) {
            snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
            der.len = 0;
            inside = true;
            br_pem_decoder_setdest(&pc, tls_bytes_append, &der);
        } else if (event == BR_PEM_END_OBJ) {
            inside = false;
            objects++;
            if (der.oom) {
                text_errorf(err, errlen, "%s: out of memory", what);
                rc = -1;
            } else {
                rc = cb(name, der.data, der.len, arg, err, errlen);
            }
        } else if (event == BR_PEM_ERROR) {
            text_errorf(err, errlen, "%s: malformed PEM", what);
            rc = -1;
        } else if (used == 0) {
            break; /* no progress and no event: nothing more will come */
        }
    }
    free(der.data);
    if (rc == 0 && inside) {
        text_errorf(err, errlen, "%s: PEM block \"%s\" has no END line", what, name);
        rc = -1;
    }
    if (rc == 0 && objects == 0) {
        text_errorf(err, errlen, "%s: no PEM block found", what);
        rc = -1;
    }
    return rc;
}

/* ---- trust anchors ---- */

static uint8_t *tls_dup(const void *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p != NULL && len > 0)
        memcpy(p, src, len);
    return p;
}

/* Copies a decoded public key out of the decoder, which will be reused. */
static int tls_copy_pkey(const br_x509_pkey *src, br_x509_pkey *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->key_type = src->key_type;
    if (src->key_type == BR_KEYTYPE_RSA) {
        dst->key.rsa.n = tls_dup(src->key.rsa.n, src->key.rsa.nlen);
        dst->key.rsa.e = tls_dup(src->key.rsa.e, src->key.rsa.elen);
        dst->key.rsa.nlen = src->key.rsa.nlen;
        dst->key.rsa.elen = src->key.rsa.elen;
        return dst->key.rsa.n && dst->key.rsa.e ? 0 : -1;
    }
    dst->key.ec.curve = src->key.ec.curve;
    dst->key.ec.q = tls_dup(src->key.ec.q, src->key.ec.qlen);
    dst->key.ec.qlen = src->key.ec.qlen;
    return dst->key.ec.q ? 0 : -1;
}

static void tls_free_pkey(br_x509_pkey *k)
{
    if (k->key_type == BR_KEYTYPE_RSA) {
        free(k->key.rsa.n);
        free(k->key.rsa.e);
    } else if (k->key_type == BR_KEYTYPE_EC) {
        free(k->key.ec.q);
    }
}

static int tls_add_anchor(const char *name, const uint8_t *der, size_t len, void *arg, char *err, size_t errlen)
{
    tls_creds *c = arg;
    if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0)
        return 0; /* bundles sometimes carry other blocks; only certificates are anchors */
    if (c->nanchors == TLS_MAX_ANCHORS) {
        text_errorf(err, errlen, "CA bundle: more than %d certificates", TLS_MAX_ANCHORS);
        return -1;
    }
    tls_bytes dn = {0};
    br_x509_decoder_context dc;
    br_x509_decoder_init(&dc, tls_bytes_append, &dn);
    br_x509_decoder_push(&dc, der, len);
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
    if (pk == NULL || dn.oom) {
        free(dn.data);
        text_errorf(err, errlen, "CA bundle: certificate %zu cannot be decoded (BearSSL error %d)",
                   c->nanchors + 1, br_x509_decoder_last_error(&dc));
        return -1;
    }
    br_x509_trust_anchor *ta = &c->anchors[c->nanchors];
    memset(ta, 0, sizeof *ta);
    ta->dn.data = dn.data != NULL ? dn.data : tls_dup("", 0);
    ta->dn.len = dn.len;
    /* A self-signed leaf given as the CA is still a valid anchor, just not a CA one. */
    ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
    if (ta->dn.data == NULL || tls_copy_pkey(pk, &ta->pkey) != 0) {
        free(ta->dn.data);
        tls_free_pkey(&ta->pkey);
        text_errorf(err, errlen, "CA bundle: out of memory");
        return -1;
    }
    c->nanchors++;
    return 0;
}

/* ---- client certificate and key ---- */

static int tls_add_chain_cert(const char *name, const uint8_t *der, size_t len, void *arg, char *err,
                              size_t errlen)
{
    tls_creds *c = arg;
    if (strcmp(name, "CERTIFICATE") != 0)
        return 0;
    if (c->nchain == TLS_MAX_CHAIN) {
        text_errorf(err, errlen, "client certificate: chain longer than %d", TLS_MAX_CHAIN);
        return -1;
    }
    if (c->nchain == 0) {
        br_x509_decoder_context dc;
        br_x509_decoder_init(&dc, NULL, NULL);
        br_x509_decoder_push(&dc, der, len);
        if (br_x509_decoder_get_pkey(&dc) == NULL) {
            text_errorf(err, errlen, "client certificate cannot be decoded (BearSSL error %d)",
                       br_x509_decoder_last_error(&dc));
            return -1;
        }
        c->issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(&dc);
    }
    c->chain[c->nchain].data = tls_dup(der, len);
    c->chain[c->nchain].data_len = len;
    if (c->chain[c->nchain].data == NULL) {
        text_errorf(err, errlen, "client certificate: out of memory");
        return -1;
    }
    c->nchain++;
    return 0;
}

static int tls_copy_rsa_key(tls_creds *c, const br_rsa_private_key *k)
{
    size_t total = k->plen + k->qlen + k->dplen + k->dqlen + k->iqlen;
    uint8_t *p = malloc(total);
    if (p == NULL)
        return -1;
    c->key_storage = p;
    c->rsa.n_bitlen = k->n_bitlen;
#define TLS_TAKE(field, lenfield)                                                              \
    do {                                                                                        \
        memcpy(p, k->field, k->lenfield);                                                       \
        c->rsa.field = p;                                                                       \
        c->rsa.lenfield = k->lenfield;                                                          \
        p += k->lenfield;                                                                       \
    } while (0)
    TLS_TAKE(p, plen);
    TLS_TAKE(q, qlen);
    TLS_TAKE(dp, dplen);
    TLS_TAKE(dq, dqlen);
    TLS_TAKE(iq, iqlen);
#undef TLS_TAKE
    return 0;
}

static int tls_add_key(const char *name, const uint8_t *der, size_t len, void *arg, char *err, size_t errlen)
{
    tls_creds *c = arg;
    if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
        text_errorf(err, errlen, "client key is encrypted; svclink needs an unencrypted key");
        return -1;
    }
    if (strcmp(name, "RSA PRIVATE KEY") != 0 && strcmp(name, "EC PRIVATE KEY") != 0 &&
        strcmp(name, "PRIVATE KEY") != 0)
        return 0; /* e.g. "EC PARAMETERS" before a SEC1 key */
    if (c->key_type != 0) {
        text_errorf(err, errlen, "client key: more than one private key block");
        return -1;
    }
    br_skey_decoder_context kc;
    br_skey_decoder_init(&kc);
    br_skey_decoder_push(&kc, der, len);
    int type = br_skey_decoder_key_type(&kc);
    if (type == BR_KEYTYPE_RSA) {
        if (tls_copy_rsa_key(c, br_skey_decoder_get_rsa(&kc)) != 0)
            goto oom;
    } else if (type == BR_KEYTYPE_EC) {
        const br_ec_private_key *k = br_skey_decoder_get_ec(&kc);
        c->key_storage = tls_dup(k->x, k->xlen);
        if (c->key_storage == NULL)
            goto oom;
        c->ec.curve = k->curve;
        c->ec.x = c->key_storage;
        c->ec.xlen = k->xlen;
    } else {
        text_errorf(err, errlen, "client key (%s) cannot be decoded (BearSSL error %d): expected an "
                   "RSA or EC key in PKCS#1, SEC1 or PKCS#8 form", name, br_skey_decoder_last_error(&kc));
        return -1;
    }
    c->key_type = type;
    return 0;
oom:
    text_errorf(err, errlen, "client key: out of memory");
    return -1;
}

tls_creds *tls_creds_ref(tls_creds *c)
{
    if (c != NULL)
        c->refs++;
    return c;
}

void tls_creds_free(tls_creds *c)
{
    if (c == NULL || --c->refs > 0)
        return;
    for (size_t i = 0; i < c->nanchors; i++) {
        free(c->anchors[i].dn.data);
        tls_free_pkey(&c->anchors[i].pkey);
    }
    free(c->anchors);
    for (size_t i = 0; i < c->nchain; i++)
        free(c->chain[i].data);
    free(c->chain);
    if (c->key_storage != NULL) {
        /* The key is a secret: do not leave it in freed heap memory. */
        size_t n = c->key_type == BR_KEYTYPE_RSA
                       ? c->rsa.plen + c->rsa.qlen + c->rsa.dplen + c->rsa.dqlen + c->rsa.iqlen
                       : c->ec.xlen;
        text_wipe(c->key_storage, n);
        free(c->key_storage);
    }
    free(c);
}

int tls_creds_new(const tls_creds_input *in, tls_creds **out, char *err, size_t errlen)
{
    *out = NULL;
    tls_creds *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->refs = 1;
    c->anchors = calloc(TLS_MAX_ANCHORS, sizeof *c->anchors);
    c->chain = calloc(TLS_MAX_CHAIN, sizeof *c->chain);
    if (c->anchors == NULL || c->chain == NULL)
        goto fail;
    c->insecure = in->insecure_skip_verify;
    if (!c->insecure) {
        if (in->ca_pem == NULL || in->ca_len == 0) {
            text_errorf(err, errlen, "no certificate authority given: set certificate-authority-data "
                       "(or, only if you accept the risk, insecure-skip-tls-verify)");
            goto fail;
        }
        if (tls_pem_each(in->ca_pem, in->ca_len, "certificate-authority-data", tls_add_anchor, c, err,
                         errlen) != 0)
            goto fail;
        if (c->nanchors == 0) {
            text_errorf(err, errlen, "certificate-authority-data holds no CERTIFICATE block");
            goto fail;
        }
    }
    if ((in->cert_pem != NULL) != (in->key_pem != NULL)) {
        text_errorf(err, errlen, "a client certificate needs its key and a key needs its certificate");
        goto fail;
    }
    if (in->cert_pem != NULL) {
        if (tls_pem_each(in->cert_pem, in->cert_len, "client-certificate-data", tls_add_chain_cert, c, err,
                         errlen) != 0)
            goto fail;
        if (tls_pem_each(in->key_pem, in->key_len, "client-key-data", tls_add_key, c, err, errlen) != 0)
            goto fail;
        if (c->nchain == 0 || c->key_type == 0) {
            text_errorf(err, errlen, "client-certificate-data or client-key-data holds no usable block");
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    tls_creds_free(c);
    return -1;
}

bool tls_creds_insecure(const tls_creds *creds)
{
    return creds->insecure;
}

/* ---- the X.509 class ---- */

static tls_x509 *tls_x509_of(const br_x509_class **ctx)
{
    return (tls_x509 *)(void *)ctx;
}

static void tls_x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
    tls_x509 *x = tls_x509_of(ctx);
    x->cert_index = -1;
    x->ee_len = 0;
    x->ee_too_big = false;
    if (x->mode == TLS_CHECK_NONE)
        return;
    /* For an IP, minimal must not look for a DNS name: we check the IP SAN at the end. */
    x->minimal.vtable->start_chain(&x->minimal.vtable, x->mode == TLS_CHECK_DNS ? server_name : NULL);
}

static void tls_x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
    tls_x509 *x = tls_x509_of(ctx);
    x->cert_index++;
    if (x->cert_index == 0) {
        x->ee_expected = length;
        x->ee_too_big = length > TLS_MAX_EE_CERT;
        if (x->mode == TLS_CHECK_NONE)
            br_x509_decoder_init(x->decoder, NULL, NULL);
        if (x->mode == TLS_CHECK_IP && !x->ee_too_big) {
            free(x->ee);
            x->ee = malloc(length ? length : 1);
            x->ee_too_big = x->ee == NULL; /* fails closed: no IP SAN check, no match */
        }
    }
    if (x->mode != TLS_CHECK_NONE)
        x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

static void tls_x509_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    tls_x509 *x = tls_x509_of(ctx);
    if (x->cert_index == 0) {
        if (x->mode == TLS_CHECK_NONE)
            br_x509_decoder_push(x->decoder, buf, len);
        if (x->mode == TLS_CHECK_IP && !x->ee_too_big && x->ee_len + len <= x->ee_expected) {
            memcpy(x->ee + x->ee_len, buf, len);
            x->ee_len += len;
        }
    }
    if (x->mode != TLS_CHECK_NONE)
        x->minimal.vtable->append(&x->minimal.vtable, buf, len);
}

static void tls_x509_end_cert(const br_x509_class **ctx)
{
    tls_x509 *x = tls_x509_of(ctx);
    if (x->mode != TLS_CHECK_NONE)
        x->minimal.vtable->end_cert(&x->minimal.vtable);
}

static unsigned tls_x509_end_chain(const br_x509_class **ctx)
{
    tls_x509 *x = tls_x509_of(ctx);
    if (x->mode == TLS_CHECK_NONE)
        return br_x509_decoder_get_pkey(x->decoder) != NULL ? 0 : BR_ERR_X509_INVALID_VALUE;
    unsigned r = x->minimal.vtable->end_chain(&x->minimal.vtable);
    if (r == 0 && x->mode == TLS_CHECK_IP) {
        bool whole = !x->ee_too_big && x->ee != NULL && x->ee_len == x->ee_expected;
        if (!whole || x509san_match_ip(x->ee, x->ee_len, x->ip, x->ip_len) != X509SAN_MATCH)
            r = BR_ERR_X509_BAD_SERVER_NAME;
    }
    free(x->ee);
    x->ee = NULL;
    return r;
}

static const br_x509_pkey *tls_x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    tls_x509 *x = (tls_x509 *)(void *)ctx;
    if (x->mode == TLS_CHECK_NONE) {
        if (usages != NULL)
            *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
        return br_x509_decoder_get_pkey(x->decoder);
    }
    return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
}

static const br_x509_class tls_x509_vtable = {
    sizeof(tls_x509),     tls_x509_start_chain, tls_x509_start_cert, tls_x509_append,
    tls_x509_end_cert,    tls_x509_end_chain,   tls_x509_get_pkey,
};

/* ---- sessions ---- */

tls_session *tls_session_new(const tls_creds *c, const char *server_name, char *err, size_t errlen)
{
    tls_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        text_errorf(err, errlen, "out of memory");
        return NULL;
    }
    tls_x509 *x = &s->x509;
    /* init_full sets every suite and hash and makes minimal the engine's checker; we then
     * put our class in front of it. */
    br_ssl_client_init_full(&s->client, &x->minimal, c->anchors, c->nanchors);
    br_ssl_engine_set_versions(&s->client.eng, BR_TLS12, BR_TLS12);
    x->vtable = &tls_x509_vtable;
    br_ssl_engine_set_x509(&s->client.eng, &x->vtable);

    bool is_ip = false;
    if (inet_pton(AF_INET, server_name, x->ip) == 1) {
        is_ip = true;
        x->ip_len = 4;
    } else if (inet_pton(AF_INET6, server_name, x->ip) == 1) {
        is_ip = true;
        x->ip_len = 16;
    }
    x->mode = c->insecure ? TLS_CHECK_NONE : is_ip ? TLS_CHECK_IP : TLS_CHECK_DNS;
    /* SNI carries host names only (RFC 6066); minimal checks DNS SANs against this name. */
    const char *sni = is_ip ? NULL : server_name;
    if (x->mode == TLS_CHECK_NONE) {
        x->decoder = malloc(sizeof *x->decoder);
        if (x->decoder == NULL) {
            free(s);
            text_errorf(err, errlen, "out of memory");
            return NULL;
        }
    }
    if (c->key_type == BR_KEYTYPE_RSA) {
        br_ssl_client_set_single_rsa(&s->client, c->chain, c->nchain, &c->rsa, br_rsa_pkcs1_sign_get_default());
    } else if (c->key_type == BR_KEYTYPE_EC) {
        br_ssl_client_set_single_ec(&s->client, c->chain, c->nchain, &c->ec, BR_KEYTYPE_SIGN,
                                    c->issuer_key_type, br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
    }
    br_ssl_engine_set_buffer(&s->client.eng, s->buf, sizeof s->buf, 0);
    /* BearSSL 0.6 knows no getentropy (BR_USE_GETENTROPY is a later addition) and is built
     * without /dev/urandom, so its only system seeder is RDRAND on x86: without this seed,
     * every reset fails with BR_ERR_NO_RANDOM on arm64 (and on x86 without RDRAND). */
    unsigned char seed[32];
    if (getentropy(seed, sizeof seed) != 0) {
        text_errorf(err, errlen, "cannot get random bytes for TLS (getentropy failed)");
        free(x->decoder);
        free(s);
        return NULL;
    }
    br_ssl_engine_inject_entropy(&s->client.eng, seed, sizeof seed);
    text_wipe(seed, sizeof seed);
    if (!br_ssl_client_reset(&s->client, sni, 0)) {
        text_errorf(err, errlen, "TLS engine reset failed (BearSSL error %d)",
                   br_ssl_engine_last_error(&s->client.eng));
        free(x->decoder);
        free(s);
        return NULL;
    }
    return s;
}

void tls_session_free(tls_session *s)
{
    if (s == NULL)
        return;
    free(s->x509.ee);
    free(s->x509.decoder);
    free(s);
}

size_t tls_session_size(const tls_session *s)
{
    return sizeof *s + (s->x509.ee != NULL ? s->x509.ee_expected : 0) +
           (s->x509.decoder != NULL ? sizeof *s->x509.decoder : 0);
}

br_ssl_engine_context *tls_session_engine(tls_session *s)
{
    return &s->client.eng;
}

const char *tls_error_text(int e, char *buf, size_t buflen)
{
    if (e == BR_ERR_RECV_FATAL_ALERT + BR_ALERT_PROTOCOL_VERSION || e == BR_ERR_UNSUPPORTED_VERSION) {
        snprintf(buf, buflen, "the server refused TLS 1.2 (it probably requires TLS 1.3, which svclink "
                 "does not speak): allow TLS 1.2 on the API server (--tls-min-version=VersionTLS12)");
    } else if (e == BR_ERR_X509_NOT_TRUSTED) {
        snprintf(buf, buflen, "the server certificate is not signed by the configured certificate "
                 "authority (certificate-authority-data)");
    } else if (e == BR_ERR_X509_BAD_SERVER_NAME) {
        snprintf(buf, buflen, "the server certificate does not name the host svclink connected to "
                 "(check the server URL, or set tls-server-name to a name the certificate holds)");
    } else if (e == BR_ERR_X509_EXPIRED) {
        snprintf(buf, buflen, "the server certificate has expired or is not yet valid");
    } else if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) {
        int alert = e - BR_ERR_RECV_FATAL_ALERT;
        snprintf(buf, buflen, "the server aborted the TLS handshake with alert %d%s", alert,
                 alert == BR_ALERT_BAD_CERTIFICATE || alert == BR_ALERT_UNKNOWN_CA ||
                         alert == 116 /* certificate_required */
                     ? " (it rejected or required a client certificate)"
                     : "");
    } else if (e >= BR_ERR_SEND_FATAL_ALERT) {
        snprintf(buf, buflen, "svclink aborted the TLS handshake (alert %d)", e - BR_ERR_SEND_FATAL_ALERT);
    } else if (e >= BR_ERR_X509_OK) {
        snprintf(buf, buflen, "the server certificate chain is invalid (BearSSL X.509 error %d)", e);
    } else {
        snprintf(buf, buflen, "TLS error (BearSSL error %d)", e);
    }
    return buf;
}
