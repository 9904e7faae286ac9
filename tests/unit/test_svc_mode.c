/* Unit tests for svc_mode: mode values and the alias, which annotation wins, and the stash
 * check on good, malformed and oversized selectors. */
#include "cache/svc_mode.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static svc_mode mode_of(const char *annotations)
{
    char text[400];
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"x\",\"annotations\":{%s}}}", annotations);
    json_doc doc;
    json_doc_init(&doc);
    char err[64];
    svc_mode m = json_parse(&doc, text, strlen(text), err, sizeof err) == 0 ? svc_mode_of(&doc, 0) : SVC_MODE_UNKNOWN;
    json_doc_free(&doc);
    return m;
}

UNIT_TEST(svc_mode_values_and_alias)
{
    CHECK(mode_of("") == SVC_MODE_NONE);
    CHECK(mode_of("\"svclink.cloudpilot.ai/mode\":\"singular\"") == SVC_MODE_SINGULAR);
    CHECK(mode_of("\"svclink.cloudpilot.ai/mode\":\"union\"") == SVC_MODE_UNION);
    CHECK(mode_of("\"vmware.com/syndicate-mode\":\"receiver\"") == SVC_MODE_RECEIVER);
    CHECK(mode_of("\"vmware.com/syndicate-mode\":\"source\"") == SVC_MODE_SOURCE);
    CHECK(mode_of("\"svclink.cloudpilot.ai/mode\":\"Source\"") == SVC_MODE_UNKNOWN);
    CHECK(mode_of("\"svclink.cloudpilot.ai/mode\":7") == SVC_MODE_UNKNOWN);
    CHECK(mode_of("\"svclink.cloudpilot.ai/mode\":\"\"") == SVC_MODE_UNKNOWN);
    /* svclink's own annotation wins over the alias */
    CHECK(mode_of("\"vmware.com/syndicate-mode\":\"singular\",\"svclink.cloudpilot.ai/mode\":\"union\"") ==
          SVC_MODE_UNION);
    CHECK_STR_EQ(svc_mode_name(SVC_MODE_RECEIVER), "receiver");
    CHECK_STR_EQ(svc_mode_name((svc_mode)99), "unknown");
}

static int stash(const char *s)
{
    char err[160];
    return svc_mode_stash_check(s, strlen(s), err, sizeof err);
}

UNIT_TEST(m8_svc_mode_stash_check)
{
    CHECK(stash("{\"app\":\"web\"}") == 0);
    CHECK(stash("{\"app.kubernetes.io/name\":\"web\",\"tier\":\"\"}") == 0);
    CHECK(stash("") != 0);
    CHECK(stash("{") != 0);
    CHECK(stash("{}") != 0);
    CHECK(stash("[]") != 0);
    CHECK(stash("\"app\"") != 0);
    CHECK(stash("{\"app\":{\"x\":\"y\"}}") != 0);
    CHECK(stash("{\"app\":null}") != 0);
    CHECK(stash("{\"-app\":\"x\"}") != 0);
    CHECK(stash("{\"app\":\"x y\"}") != 0);
    CHECK(stash("{\"app\":\"web\"} trailing") != 0);
    char err[160];
    CHECK(svc_mode_stash_check("{\"app\":\"web\"}", 5, err, sizeof err) != 0); /* cut short */
    /* too long, and too many keys */
    char *big = malloc(SVC_MODE_MAX_STASH + 64);
    if (big != NULL) {
        size_t n = 0;
        big[n++] = '{';
        for (int i = 0; n < SVC_MODE_MAX_STASH; i++)
            n += (size_t)snprintf(big + n, 40, "%s\"k%d\":\"v\"", i ? "," : "", i);
        big[n++] = '}';
        CHECK(svc_mode_stash_check(big, n, err, sizeof err) != 0);
        CHECK(strstr(err, "4096") != NULL);
        n = 0;
        big[n++] = '{';
        for (int i = 0; i < 70; i++)
            n += (size_t)snprintf(big + n, 40, "%s\"k%d\":\"v\"", i ? "," : "", i);
        big[n++] = '}';
        CHECK(svc_mode_stash_check(big, n, err, sizeof err) != 0);
        CHECK(strstr(err, "keys") != NULL);
        free(big);
    }
}
