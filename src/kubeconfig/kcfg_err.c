/* kcfg_err: kubeconfig error messages, shared by the tree, the selection, the credential
 * checks and the file reading, so every message quotes names the same safe way. */
#include "kubeconfig/kcfg_err.h"

#include <stdio.h>
#include <string.h>

int kcfg_err_nomem(kcfg_error *err)
{
    return KCFG_ERR_FAIL(err, KCFG_ERR_NOMEM, "out of memory while reading the kubeconfig");
}

const char *kcfg_err_show(const char *s, char buf[KCFG_ERR_NAME_BUF])
{
    size_t o = 0, i;
    for (i = 0; s[i] != '\0' && i < KCFG_ERR_NAME_SHOW; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            buf[o++] = (char)c;
        } else {
            snprintf(buf + o, 5, "\\x%02x", c);
            o += 4;
        }
    }
    if (s[i] != '\0') {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

void kcfg_err_where(char where[KCFG_ERR_WHERE_BUF], const char *what, const char *name)
{
    char shown[KCFG_ERR_NAME_BUF];
    snprintf(where, KCFG_ERR_WHERE_BUF, "%s \"%s\"", what, kcfg_err_show(name, shown));
}
