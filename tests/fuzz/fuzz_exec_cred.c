/* fuzz_exec_cred: any bytes as a plugin's stdout through exec_cred_parse (both API
 * versions), and the same bytes as an RFC 3339 time; results checked for their promises. */
#include "kube/exec_cred.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                        \
    do {                                                                                        \
        if (!(cond))                                                                            \
            abort();                                                                            \
    } while (0)

static void fuzz_exec_cred_one(const char *text, size_t len, const char *api)
{
    exec_cred c;
    char err[EXEC_CRED_ERR_MAX] = "";
    if (exec_cred_parse(text, len, api, &c, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof err);
        FUZZ_CHECK(c.token == NULL && c.cert_pem == NULL && c.key_pem == NULL && !c.has_expiry);
        return;
    }
    FUZZ_CHECK(c.token != NULL || (c.cert_pem != NULL && c.key_pem != NULL));
    FUZZ_CHECK((c.cert_pem == NULL) == (c.key_pem == NULL));
    if (c.token != NULL) {
        size_t n = strlen(c.token);
        FUZZ_CHECK(n > 0 && n <= EXEC_CRED_TOKEN_MAX);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(c.token[i] > 0x20 && c.token[i] < 0x7f);
    }
    if (c.cert_pem != NULL)
        FUZZ_CHECK(strlen((const char *)c.cert_pem) == c.cert_len && strlen((const char *)c.key_pem) == c.key_len);
    exec_cred_free(&c);
    FUZZ_CHECK(c.token == NULL && c.cert_pem == NULL && c.key_pem == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exactly-sized copy, so reading one byte past the input is caught. */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    fuzz_exec_cred_one(text, size, "client.authentication.k8s.io/v1");
    fuzz_exec_cred_one(text, size, "client.authentication.k8s.io/v1beta1");
    int64_t ms;
    if (exec_cred_rfc3339(text, size, &ms) == 0)
        FUZZ_CHECK(size >= 20 && size <= 35);
    free(text);
    return 0;
}
