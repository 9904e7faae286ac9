/* Fuzz target for x509san: arbitrary bytes as a DER certificate, matched against an IPv4
 * and an IPv6 address; must never crash or read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/x509san.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t v4[4] = {127, 0, 0, 1};
    static const uint8_t v6[16] = {[15] = 1};
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    (void)x509san_match_ip(copy, size, v4, sizeof v4);
    (void)x509san_match_ip(copy, size, v6, sizeof v6);
    free(copy);
    return 0;
}
