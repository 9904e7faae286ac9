/* Unit tests for b64: RFC 4648 vectors both ways, wrapped input, and every kind of
 * malformed input reporting where it went wrong. */
#include "base/b64.h"
#include "unit.h"

#include <stdlib.h>

static const char *const b64_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const b64_coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

UNIT_TEST(b64_rfc4648_vectors)
{
    for (size_t i = 0; i < 7; i++) {
        char *enc = b64_encode((const uint8_t *)b64_plain[i], strlen(b64_plain[i]));
        CHECK_STR_EQ(enc, b64_coded[i]);
        free(enc);
        uint8_t *dec;
        size_t n;
        CHECK(b64_decode(b64_coded[i], strlen(b64_coded[i]), &dec, &n, NULL) == 0);
        CHECK(n == strlen(b64_plain[i]));
        CHECK(dec != NULL && memcmp(dec, b64_plain[i], n) == 0 && dec[n] == '\0');
        free(dec);
    }
}

UNIT_TEST(b64_wrapped_and_unpadded)
{
    uint8_t *dec;
    size_t n;
    CHECK(b64_decode("Zm9v\nYmFy\r\n", 11, &dec, &n, NULL) == 0);
    CHECK(n == 6 && memcmp(dec, "foobar", 6) == 0);
    free(dec);
    CHECK(b64_decode("Zm9vYg", 6, &dec, &n, NULL) == 0);
    CHECK(n == 4 && memcmp(dec, "foob", 4) == 0);
    free(dec);
}

UNIT_TEST(b64_binary_roundtrip)
{
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    for (size_t len = 0; len <= 256; len += 37) {
        char *enc = b64_encode(all, len);
        uint8_t *dec;
        size_t n;
        CHECK(enc != NULL && b64_decode(enc, strlen(enc), &dec, &n, NULL) == 0);
        CHECK(n == len && memcmp(dec, all, len) == 0);
        free(dec);
        free(enc);
    }
}

UNIT_TEST(b64_rejects_malformed)
{
    struct {
        const char *text;
        size_t bad_at;
    } bad[] = {
        {"Zm9v!", 4}, {"Z", 1}, {"Zm9vY", 5}, {"Zg=", 3}, {"Z===", 1}, {"Zg==Zg==", 4},
        {"Zm9v=", 4}, {"Zg=a", 3}, {"apiVersion: v1", 10}, {"Zm8==", 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *dec = (uint8_t *)1;
        size_t n = 0, at = 999;
        CHECK(b64_decode(bad[i].text, strlen(bad[i].text), &dec, &n, &at) == -1);
        CHECK(dec == NULL);
        if (at != bad[i].bad_at)
            fprintf(stderr, "b64 case %zu: bad offset %zu, expected %zu\n", i, at, bad[i].bad_at);
        CHECK(at == bad[i].bad_at);
    }
}
