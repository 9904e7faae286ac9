/* link_secret: one reflector on one Secret of the main cluster, filtered by name; each
 * version's key is base64-decoded, handed to the link and wiped. */
#include "link/link_secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/text.h"

static void link_secret_begin(void *arg)
{
    link_secret *s = arg;
    s->seen = false;
}

static void link_secret_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    link_secret *s = arg;
    if (op == REFLECTOR_DELETE) {
        s->seen = false;
        link_status_set_health(s->status, false, "SecretNotFound", "Secret %s/%s was deleted (the last kubeconfig stays in use)",
                               s->ns, s->name);
        return;
    }
    s->seen = true;
    int data = json_path(doc, obj, "data", s->key, NULL);
    size_t raw_len = 0;
    const char *raw = json_is_string(doc, data) ? json_raw(doc, data, &raw_len) : NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    /* Secret data is base64 in the API; the raw token includes its quotes. */
    if (raw == NULL || raw_len < 2 || b64_decode(raw + 1, raw_len - 2, &text, &len, NULL) != 0) {
        link_status_set_health(s->status, false, "KubeconfigInvalid", "Secret %s/%s has no usable key \"%s\"", s->ns, s->name,
                               s->key);
        return;
    }
    s->on_text(s->arg, (const char *)text, len);
    text_wipe(text, len);
    free(text);
}

static void link_secret_end(void *arg)
{
    link_secret *s = arg;
    if (!s->seen)
        link_status_set_health(s->status, false, "SecretNotFound", "Secret %s/%s not found", s->ns, s->name);
}

static void link_secret_state(void *arg, reflector_state st, int status, conn_error transport, const char *reason)
{
    link_secret *s = arg;
    (void)transport;
    if (st == REFLECTOR_FAILING)
        link_status_set_health(s->status, false, status == 403 ? "Forbidden" : "SecretNotFound", "cannot read Secret %s/%s: %s",
                               s->ns, s->name, reason);
}

static const reflector_handlers link_secret_handlers = {link_secret_begin, link_secret_object, link_secret_end,
                                                        link_secret_state};

void link_secret_watch(link_secret *s, loop *l, apiclient_client *main_api, const char *ns, const char *name, const char *key,
                       link_status_state *status, link_secret_text_cb on_text, void *arg)
{
    s->status = status;
    s->on_text = on_text;
    s->arg = arg;
    if (s->refl != NULL && strcmp(ns, s->ns) == 0 && strcmp(name, s->name) == 0 && strcmp(key, s->key) == 0)
        return;
    link_secret_stop(s);
    snprintf(s->ns, sizeof s->ns, "%s", ns);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->key, sizeof s->key, "%s", key);
    char path[300], field[300];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/secrets", ns);
    snprintf(field, sizeof field, "metadata.name=%s", name);
    reflector_config rc = {.path = path, .field_selector = field};
    s->refl = reflector_new(l, main_api, &rc, &link_secret_handlers, s);
    if (s->refl != NULL)
        reflector_start(s->refl);
}

void link_secret_stop(link_secret *s)
{
    reflector_free(s->refl);
    s->refl = NULL;
}
