/* fuzz_kubeconfig: feeds any bytes to kcfg_parse (untrusted mode only, so no file is
 * ever opened) and to url_parse, checking the invariants callers rely on. */
#define _GNU_SOURCE /* memmem */
#include "kubeconfig/kcfg.h"
#include "kubeconfig/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A failed parse leaves nothing behind; a good one has what the client needs. */
static void fuzz_check(int rc, const kcfg_config *cfg, const kcfg_error *err)
{
    if (rc != 0) {
        if (err->kind == KCFG_OK || err->msg[0] == '\0' || cfg->server != NULL || cfg->token != NULL)
            abort();
        return;
    }
    if (err->kind != KCFG_OK || cfg->server == NULL || cfg->url.host.name[0] == '\0' || cfg->url.port == 0 ||
        cfg->context_name == NULL || cfg->cluster_name == NULL || cfg->token_file != NULL)
        abort();
    if (cfg->insecure_skip_tls_verify && cfg->ca_pem != NULL)
        abort();
    if ((cfg->client_cert_pem == NULL) != (cfg->client_key_pem == NULL))
        abort();
}

/* The token, if any, must never be quoted back in a message; unless the document also
 * uses the same text elsewhere (as a name, say), where quoting that is fair. */
static void fuzz_check_secret(const char *token, const char *text, size_t size, const kcfg_error *err)
{
    if (token == NULL || strlen(token) < 8 || strstr(err->msg, token) == NULL)
        return;
    size_t n = strlen(token);
    const char *first = memmem(text, size, token, n);
    if (first != NULL && memmem(first + 1, size - (size_t)(first + 1 - text), token, n) != NULL)
        return;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size != 0 ? size : 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    else
        text[0] = '\0';
    kcfg_config cfg;
    kcfg_error err;
    int rc = kcfg_parse(text, size, NULL, KCFG_UNTRUSTED, NULL, &cfg, &err);
    fuzz_check(rc, &cfg, &err);
    if (rc == 0) {
        /* Every other context of the same document: errors there must not leak the token
         * found through the current one. */
        char *token = cfg.token != NULL ? strdup(cfg.token) : NULL;
        kcfg_free(&cfg);
        static const char *const names[] = {"a", "b", "prod", ""};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            rc = kcfg_parse(text, size, names[i], KCFG_UNTRUSTED, NULL, &cfg, &err);
            fuzz_check(rc, &cfg, &err);
            if (rc != 0)
                fuzz_check_secret(token, text, size, &err);
            kcfg_free(&cfg);
        }
        free(token);
    }
    free(text);

    /* url_parse wants a C string: the input up to its first NUL, exactly sized. */
    size_t n = strnlen((const char *)data, size);
    char *url = malloc(n + 1);
    if (url == NULL)
        return 0;
    memcpy(url, data, n);
    url[n] = '\0';
    url_parts u;
    char uerr[URL_ERR_MAX];
    if (url_parse(url, &u, uerr, sizeof uerr) == 0) {
        char auth[URL_HOST_MAX + 16];
        if (u.port == 0 || u.host.name[0] == '\0' || url_authority(&u, auth, sizeof auth) != 0)
            abort();
    }
    url_host h;
    (void)url_host_parse(url, n, &h, uerr, sizeof uerr);
    (void)url_host_is_ip(url, NULL, NULL);
    free(url);
    return 0;
}
