/* fuzz_linkspec: any bytes through json_parse and linkspec_parse, checking what the engine
 * relies on: a parsed link is fully valid, a refused one is empty and never quotes its
 * kubeconfig, and the filter rules built from it work. */
#define _GNU_SOURCE /* memmem */
#include "controller/options.h"
#include "base/k8sname.h"
#include "spec/filter.h"
#include "json/json.h"
#include "spec/linkspec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check_list(const linkspec_list *l, bool refs)
{
    if (l->count > LINKSPEC_MAX_LIST || (l->count == 0) != (l->items == NULL))
        abort();
    for (size_t i = 0; i < l->count; i++) {
        const char *s = l->items[i];
        const char *slash = strchr(s, '/');
        if (!refs) {
            if (!k8sname_is_dns_label(s, strlen(s)))
                abort();
            continue;
        }
        if (slash == NULL || !k8sname_is_dns_label(s, (size_t)(slash - s)) ||
            !k8sname_is_dns_label(slash + 1, strlen(slash + 1)))
            abort();
    }
}

static void fuzz_check_ok(const json_doc *doc, const linkspec *s)
{
    if (s->name == NULL || s->name[0] == '\0' || strlen(s->name) > LINKSPEC_MAX_NAME ||
        s->uid == NULL || s->resource_version == NULL)
        abort();
    if ((s->kubeconfig_b64 != NULL) == s->has_secret_ref)
        abort();
    if (s->kubeconfig_b64 != NULL && s->kubeconfig_b64[0] == '\0')
        abort();
    bool ref_fields = s->secret_namespace != NULL && s->secret_name != NULL && s->secret_key != NULL;
    bool no_ref_fields = s->secret_namespace == NULL && s->secret_name == NULL && s->secret_key == NULL;
    if (s->has_secret_ref ? !ref_fields : !no_ref_fields)
        abort();
    if (s->has_secret_ref && !k8sname_is_dns_label(s->secret_namespace, strlen(s->secret_namespace)))
        abort();
    if (s->stale_timeout_s > LINKSPEC_MAX_STALE_TIMEOUT_S || !linkspec_same_spec(s, s))
        abort();
    fuzz_check_list(&s->included_namespaces, false);
    fuzz_check_list(&s->excluded_namespaces, false);
    fuzz_check_list(&s->excluded_services, true);
    fuzz_check_list(&s->excluded_service_names, false);
    char name[LINKSPEC_MAX_NAME + 1];
    if (linkspec_name(doc, 0, name, sizeof name) != 0 || strcmp(name, s->name) != 0)
        abort();

    filter_rules r;
    filter_rules_init(&r, s, NULL);
    if (filter_check(&r, "kube-system", "x") != FILTER_KUBE_SYSTEM ||
        filter_check(&r, "default", "kubernetes") != FILTER_KUBERNETES_SERVICE)
        abort();
    for (size_t i = 0; i < s->excluded_services.count; i++) {
        char buf[128];
        strcpy(buf, s->excluded_services.items[i]);
        char *slash = strchr(buf, '/');
        *slash = '\0';
        filter_verdict v = filter_check(&r, buf, slash + 1);
        if (v == FILTER_ALLOW || filter_verdict_text(v)[0] == '\0')
            abort();
    }
}

/* The kubeconfig must never be quoted. Checked on the first 8 bytes of its raw text when
 * they are base64 characters, include a '+' (no fixed message text has one) and occur
 * nowhere else in the input, so any copy in the message can only have come from it. */
static void fuzz_check_secret(const json_doc *doc, const char *text, size_t size, const char *err)
{
    int kc = json_path(doc, 0, "spec", "kubeconfig", NULL);
    size_t n = 0;
    const char *raw = json_is_string(doc, kc) ? json_raw(doc, kc, &n) : NULL;
    if (raw == NULL || n < 10)
        return;
    const char *probe = raw + 1;
    bool plus = false;
    for (size_t i = 0; i < 8; i++) {
        char c = probe[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '='))
            return;
        plus |= c == '+';
    }
    const char *first = memmem(text, size, probe, 8);
    if (!plus || first == NULL ||
        memmem(first + 1, size - (size_t)(first + 1 - text), probe, 8) != NULL)
        return;
    if (memmem(err, strlen(err), probe, 8) != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size != 0 ? size : 1);
    if (text == NULL)
        return 0;
    if (size != 0)
        memcpy(text, data, size);
    json_doc doc;
    json_doc_init(&doc);
    char err[512];
    if (json_parse(&doc, text, size, err, sizeof err) == 0) {
        linkspec s;
        err[0] = '\0';
        if (linkspec_parse(&doc, 0, &s, err, sizeof err) == 0) {
            fuzz_check_ok(&doc, &s);
            linkspec_free(&s);
        } else {
            linkspec zero;
            memset(&zero, 0, sizeof zero);
            if (err[0] == '\0' || memcmp(&s, &zero, sizeof s) != 0)
                abort();
            fuzz_check_secret(&doc, text, size, err);
        }
        char name[300];
        (void)linkspec_name(&doc, 0, name, sizeof name);
        (void)linkspec_name(&doc, 0, name, 1);
    }
    json_doc_free(&doc);
    free(text);
    return 0;
}
