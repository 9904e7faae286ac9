/* Unit tests for json: every escape both ways, surrogates, the invalid JSON jsmn alone
 * would accept, limits, token growth and reuse, a Kubernetes object, writer round trips. */
#include "json/json.h"
#include "json/json_writer.h"
#include "unit.h"

#include <stdlib.h>

static char json_t_err[256];

static int json_t_parse(json_doc *d, const char *text)
{
    json_t_err[0] = '\0';
    return json_parse(d, text, strlen(text), json_t_err, sizeof json_t_err);
}

/* Parses a one-string document and returns its unescaped copy (caller frees). */
static char *json_t_unescape(const char *doc_text)
{
    json_doc d;
    json_doc_init(&d);
    char *s = json_t_parse(&d, doc_text) == 0 ? json_str_dup(&d, 0) : NULL;
    json_doc_free(&d);
    return s;
}

/* Writes one string value and returns the text (caller frees). */
static char *json_t_write_string(const char *s, size_t len)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_string_len(&w, s, len);
    char *out = json_writer_take(&w, NULL);
    json_writer_free(&w);
    return out;
}

UNIT_TEST(json_unescape_every_escape)
{
    static const struct {
        const char *json, *plain;
    } cases[] = {
        {"\"\\\"\"", "\""},
        {"\"\\\\\"", "\\"},
        {"\"\\/\"", "/"},
        {"\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t"},
        {"\"\\u0041\\u007a\"", "Az"},
        {"\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9"},
        {"\"\\u20ac\"", "\xe2\x82\xac"},
        {"\"\\uffff\"", "\xef\xbf\xbf"},
        {"\"\\u001f\\u007f\"", "\x1f\x7f"},
        {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"},
        {"\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80"},
        {"\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf"},
        {"\"\\ud800\\udc00\"", "\xf0\x90\x80\x80"},
        {"\"a\\nb\\u0020c\"", "a\nb c"},
        {"\"raw \xc3\xa9 \xf0\x9f\x98\x80\"", "raw \xc3\xa9 \xf0\x9f\x98\x80"},
        {"\"\"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = json_t_unescape(cases[i].json);
        if (s == NULL || strcmp(s, cases[i].plain) != 0)
            fprintf(stderr, "unescape case %zu (%s) failed\n", i, cases[i].json);
        CHECK_STR_EQ(s, cases[i].plain);
        free(s);
    }
}

UNIT_TEST(json_writer_escapes_every_form)
{
    static const struct {
        const char *plain, *json;
    } cases[] = {
        {"\"", "\"\\\"\""},
        {"\\", "\"\\\\\""},
        {"/", "\"/\""},
        {"\n\r\t", "\"\\n\\r\\t\""},
        {"\b\f", "\"\\u0008\\u000c\""},
        {"\x01\x1f", "\"\\u0001\\u001f\""},
        {"\x7f", "\"\x7f\""},
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
        {"plain", "\"plain\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = json_t_write_string(cases[i].plain, strlen(cases[i].plain));
        CHECK_STR_EQ(out, cases[i].json);
        free(out);
    }
    char *out = json_t_write_string("a\0b", 3);
    CHECK_STR_EQ(out, "\"a\\u0000b\"");
    free(out);
}

UNIT_TEST(json_string_roundtrip_all_ascii)
{
    char all[128];
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    all[127] = '\0';
    char *text = json_t_write_string(all, 127);
    char *back = text != NULL ? json_t_unescape(text) : NULL;
    CHECK_STR_EQ(back, all);
    free(back);
    free(text);
}

UNIT_TEST(json_lone_surrogates_are_errors)
{
    static const struct {
        const char *json;
        size_t at;
    } bad[] = {
        {"\"\\ud83d\"", 1},        {"\"\\ud83dx\"", 1},         {"\"\\ud83d\\u0041\"", 1},
        {"\"\\ude00\"", 1},        {"\"\\ude00\\ud83d\"", 1},   {"\"ab\\udbff\\n\"", 3},
        {"\"\\ud83d\\ud83d\"", 1}, {"[\"ok\",\"\\udc00\"]", 7}, {"\"\\ud83d\\ude0\"", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i].json) == -1);
        CHECK(strstr(json_t_err, "surrogate") != NULL || strstr(json_t_err, "\\u escape") != NULL);
        if (d.err_offset != bad[i].at)
            fprintf(stderr, "surrogate case %zu: offset %zu (%s)\n", i, d.err_offset, json_t_err);
        CHECK(d.err_offset == bad[i].at);
        CHECK(d.count == 0 && json_tok_kind(&d, 0) == JSON_NONE);
        json_doc_free(&d);
    }
}

UNIT_TEST(json_invalid_escapes)
{
    static const struct {
        const char *json, *what;
        size_t at;
    } bad[] = {
        {"\"\\x\"", "invalid escape", 1},          {"\"ab\\'\"", "invalid escape", 3},
        {"\"\\U0041\"", "invalid escape", 1},      {"\"\\u12G4\"", "invalid \\u escape", 1},
        {"\"\\u12\"", "invalid \\u escape", 1},   {"\"\\u", "invalid \\u escape", 1},
        {"\"\\", "unterminated escape", 1},        {"\"\\\"", "unterminated string starting", 0},
        {"[\"\\\\\\\"]", "unterminated string starting", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i].json) == -1);
        if (strstr(json_t_err, bad[i].what) == NULL || d.err_offset != bad[i].at)
            fprintf(stderr, "escape case %zu (%s): %s\n", i, bad[i].json, json_t_err);
        CHECK(strstr(json_t_err, bad[i].what) != NULL && d.err_offset == bad[i].at);
        json_doc_free(&d);
    }
}

UNIT_TEST(json_nul_escape_refused_for_c_strings)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "\"a\\u0000b\"") == 0);
    CHECK(json_str_dup(&d, 0) == NULL);
    char buf[16];
    size_t n = 99;
    CHECK(json_str_copy(&d, 0, buf, sizeof buf, &n) == JSON_ERR_NUL);
    CHECK_STR_EQ(buf, "a");
    CHECK(n == 1);
    CHECK(!json_str_eq(&d, 0, "a"));
    CHECK(!json_str_eq(&d, 0, "ab"));
    json_doc_free(&d);
}

UNIT_TEST(json_invalid_primitives)
{
    static const struct {
        const char *json;
        size_t at;
    } bad[] = {
        {"tru", 0},      {"01", 1},     {"1.", 2},       {"-", 1},        {"+1", 0},
        {"NaN", 0},      {"Infinity", 0}, {"-Infinity", 1}, {"True", 0},   {"nul", 0},
        {"nulll", 0},    {"1e", 2},     {"1e+", 3},      {".5", 0},       {"-01", 2},
        {"0x10", 1},     {"1.2.3", 3},  {"[truex]", 1},  {"[1,tru]", 3},  {"{\"a\":-}", 6},
        {"[00]", 2},     {"1-2", 1},    {"'a'", 0},      {"undefined", 0}, {"[1a]", 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i].json) == -1);
        if (d.err_offset != bad[i].at)
            fprintf(stderr, "primitive case %zu (%s): offset %zu: %s\n", i, bad[i].json,
                    d.err_offset, json_t_err);
        CHECK(d.err_offset == bad[i].at);
        char want[32];
        snprintf(want, sizeof want, "at byte %zu", bad[i].at);
        CHECK(strstr(json_t_err, want) != NULL);
        json_doc_free(&d);
    }
}

UNIT_TEST(json_valid_primitives)
{
    static const struct {
        const char *json;
        json_kind kind;
    } good[] = {
        {"0", JSON_NUMBER},      {"-0", JSON_NUMBER},   {"1.5e10", JSON_NUMBER},
        {"1E-2", JSON_NUMBER},   {"-0.0e+0", JSON_NUMBER}, {"123456789", JSON_NUMBER},
        {"true", JSON_BOOL},     {"false", JSON_BOOL},  {"null", JSON_NULL},
        {" \"s\" ", JSON_STRING}, {"{}", JSON_OBJECT},   {"[]", JSON_ARRAY},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, good[i].json) == 0);
        CHECK(d.count == 1 && json_tok_kind(&d, 0) == good[i].kind);
        json_doc_free(&d);
    }
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "[0,-1,2.5,true,false,null,\"x\",[],{}]") == 0);
    CHECK(d.count == 10 && json_len(&d, 0) == 9);
    json_doc_free(&d);
}

UNIT_TEST(json_raw_control_characters_in_strings)
{
    static const char *const bad[] = {"\"a\tb\"", "\"a\nb\"", "\"\x01\"", "\"\x1f\"", "[\"ok\",\"\r\"]"};
    static const size_t at[] = {2, 2, 1, 1, 7};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i]) == -1);
        CHECK(strstr(json_t_err, "control character") != NULL);
        CHECK(d.err_offset == at[i]);
        json_doc_free(&d);
    }
    /* DEL is not a control character for JSON. */
    char *s = json_t_unescape("\"\x7f\"");
    CHECK_STR_EQ(s, "\x7f");
    free(s);
}

UNIT_TEST(json_invalid_utf8_in_strings)
{
    static const char *const bad[] = {
        "\"\xc0\x80\"",         /* overlong NUL */
        "\"\xed\xa0\x80\"",     /* a surrogate in UTF-8 */
        "\"\xf4\x90\x80\x80\"", /* past U+10FFFF */
        "\"\xe2\x82\"",         /* truncated */
        "\"\x80\"",             /* lone continuation byte */
        "\"\xff\"",
        "\"\xe0\x80\xaf\"",     /* overlong '/' */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i]) == -1);
        CHECK(strstr(json_t_err, "UTF-8") != NULL && d.err_offset == 1);
        json_doc_free(&d);
    }
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "[\xc3\xa9]") == -1); /* non-ASCII outside a string */
    json_doc_free(&d);
}

UNIT_TEST(json_structural_errors_jsmn_would_accept)
{
    static const struct {
        const char *json;
        size_t at;
    } bad[] = {
        {"[1 2]", 3},            {"[1,]", 3},          {"[,1]", 1},         {"{\"a\" 1}", 5},
        {"{\"a\":1,}", 7},       {"{\"a\"}", 4},       {"{1:2}", 1},        {"[\"a\":1]", 4},
        {"{\"a\":1 \"b\":2}", 7}, {"[}", 1},           {"{]", 1},           {"[", 1},
        {"{\"a\":1", 6},         {"\"abc", 0},         {"}", 0},            {"]", 0},
        {"{\"a\":}", 5},         {"{,}", 1},           {"[1,,2]", 3},       {"{\"a\"::1}", 5},
        {"{[]:1}", 1},           {"{{}:1}", 1},        {"[1]]", 3},         {"{\"a\":1}}", 7},
        {":", 0},                {",", 0},             {"[1:2]", 2},        {"{\"a\":1,\"b\"}", 10},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i].json) == -1);
        if (d.err_offset != bad[i].at)
            fprintf(stderr, "structure case %zu (%s): offset %zu: %s\n", i, bad[i].json,
                    d.err_offset, json_t_err);
        CHECK(d.err_offset == bad[i].at);
        json_doc_free(&d);
    }
}

UNIT_TEST(json_trailing_data_and_whitespace)
{
    static const struct {
        const char *json;
        size_t at;
    } bad[] = {{"{} x", 3}, {"{}{}", 2}, {"1 2", 2}, {"\"a\"\"b\"", 3}, {"[] ,", 3}, {"null null", 5}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc d;
        json_doc_init(&d);
        CHECK(json_t_parse(&d, bad[i].json) == -1);
        CHECK(strstr(json_t_err, "after the JSON value") != NULL && d.err_offset == bad[i].at);
        json_doc_free(&d);
    }
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, " \t\r\n{\"a\" : [ 1 , 2 ] }\r\n\t ") == 0);
    CHECK(d.count == 5);
    /* A NUL byte ends jsmn's scan early; here it is an error wherever it is. */
    CHECK(json_parse(&d, "{}\0", 3, json_t_err, sizeof json_t_err) == -1 && d.err_offset == 2);
    CHECK(strstr(json_t_err, "byte 0x00") != NULL);
    CHECK(json_parse(&d, "\"a\0\"", 4, json_t_err, sizeof json_t_err) == -1 && d.err_offset == 2);
    json_doc_free(&d);
}

UNIT_TEST(json_empty_input)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "") == -1);
    CHECK(strstr(json_t_err, "empty") != NULL);
    CHECK(json_t_parse(&d, " \r\n") == -1);
    CHECK(strstr(json_t_err, "empty") != NULL && d.err_offset == 3);
    CHECK(json_parse(&d, NULL, 5, json_t_err, sizeof json_t_err) == -1);
    CHECK(json_parse(&d, "x", 1, NULL, 0) == -1); /* no error buffer is fine */
    json_doc_free(&d);
}

/* "[[[...]]]" with n levels, malloc'd. */
static char *json_t_nested(size_t n)
{
    char *s = malloc(2 * n + 1);
    if (s == NULL)
        return NULL;
    memset(s, '[', n);
    memset(s + n, ']', n);
    s[2 * n] = '\0';
    return s;
}

UNIT_TEST(json_nesting_limit)
{
    json_doc d;
    json_doc_init(&d);
    char *ok = json_t_nested(JSON_DEFAULT_MAX_DEPTH);
    char *deep = json_t_nested(JSON_DEFAULT_MAX_DEPTH + 1);
    char *huge = json_t_nested(1000000);
    CHECK(ok != NULL && deep != NULL && huge != NULL);
    CHECK(json_t_parse(&d, ok) == 0 && d.count == JSON_DEFAULT_MAX_DEPTH);
    CHECK(json_t_parse(&d, deep) == -1);
    CHECK(strstr(json_t_err, "nesting deeper than 64 at byte 64") != NULL);
    /* Refused at the limit, before jsmn could spend quadratic time closing brackets. */
    CHECK(json_t_parse(&d, huge) == -1 && d.err_offset == JSON_DEFAULT_MAX_DEPTH);
    d.max_depth = 2;
    CHECK(json_t_parse(&d, "{\"a\":[1]}") == 0);
    CHECK(json_t_parse(&d, "{\"a\":[{}]}") == -1 && d.err_offset == 6);
    d.max_depth = 100000; /* clamped to JSON_HARD_MAX_DEPTH */
    CHECK(json_t_parse(&d, huge) == -1 && d.err_offset == JSON_HARD_MAX_DEPTH);
    free(ok);
    free(deep);
    free(huge);
    json_doc_free(&d);
}

UNIT_TEST(json_token_growth_reuse_and_shrink)
{
    /* [0,1,2,...,N-1]: N+1 tokens, far more than the initial array. */
    size_t n = 100000;
    char *big = malloc(n * 8 + 3);
    CHECK(big != NULL);
    if (big == NULL)
        return;
    size_t o = 0;
    big[o++] = '[';
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(big + o, i ? ",%zu" : "%zu", i);
    big[o++] = ']';
    big[o] = '\0';
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "[1,2]") == 0 && d.count == 3);
    CHECK(json_parse(&d, big, o, json_t_err, sizeof json_t_err) == 0);
    CHECK(d.count == (int)n + 1 && d.cap >= d.count && json_len(&d, 0) == (int)n);
    int64_t v = -1, sum = 0;
    int last = -1;
    for (int t = json_arr_first(&d, 0); t >= 0; t = json_next(&d, t)) {
        CHECK(json_int64(&d, t, &v) == JSON_OK);
        sum += v;
        last = t;
    }
    CHECK(sum == (int64_t)(n * (n - 1) / 2) && last == (int)n && v == (int64_t)n - 1);
    /* The same doc, reused for a small document, gives the big array back. */
    CHECK(json_t_parse(&d, "{\"k\":\"v\"}") == 0 && d.count == 3);
    CHECK(d.cap < 1024 && json_str_eq(&d, json_obj_get(&d, 0, "k"), "v"));
    /* The token limit is checked while scanning, with the offset where it was crossed. */
    d.max_tokens = 10;
    CHECK(json_parse(&d, big, o, json_t_err, sizeof json_t_err) == -1);
    CHECK(strstr(json_t_err, "more than 10 tokens at byte 19") != NULL);
    CHECK(json_t_parse(&d, "[1,2,3,4,5,6,7,8,9]") == 0);
    free(big);
    json_doc_free(&d);
    CHECK(d.toks == NULL && d.cap == 0 && d.count == 0);
}

UNIT_TEST(json_failed_parse_leaves_doc_empty_and_reusable)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "{\"a\":1}") == 0 && d.count == 3);
    CHECK(json_t_parse(&d, "{\"a\":") == -1);
    CHECK(d.count == 0 && d.text == NULL && json_obj_get(&d, 0, "a") == -1);
    CHECK(json_t_parse(&d, "{\"b\":2}") == 0 && json_obj_get(&d, 0, "b") == 2);
    json_doc_free(&d);
}

/* An EndpointSlice as the API server sends it (managedFields and all). */
static const char json_t_slice[] =
    "{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\","
    "\"metadata\":{\"name\":\"web-abc12\",\"generateName\":\"web-\",\"namespace\":\"shop\","
    "\"uid\":\"0b7c6f3e-2d5e-4c59-9f1a-7a4f4b0e9d11\",\"resourceVersion\":\"48213\","
    "\"generation\":3,\"creationTimestamp\":\"2024-05-01T10:00:00Z\","
    "\"labels\":{\"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\","
    "\"kubernetes.io/service-name\":\"web\"},"
    "\"annotations\":{\"endpoints.kubernetes.io/last-change-trigger-time\":\"2024-05-01T10:00:00Z\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"name\":\"web\","
    "\"uid\":\"5e0e5c5a-1111-2222-3333-444455556666\",\"controller\":true,\"blockOwnerDeletion\":true}],"
    "\"managedFields\":[{\"manager\":\"kube-controller-manager\",\"operation\":\"Update\","
    "\"apiVersion\":\"discovery.k8s.io/v1\",\"time\":\"2024-05-01T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
    "\"fieldsV1\":{\"f:addressType\":{},\"f:endpoints\":{},\"f:metadata\":{\"f:labels\":{\".\":{},"
    "\"f:kubernetes.io/service-name\":{}}},\"f:ports\":{}}}]},"
    "\"addressType\":\"IPv4\","
    "\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"conditions\":{\"ready\":true,\"serving\":true,"
    "\"terminating\":false},\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"shop\",\"name\":\"web-7d4b9c-x2x\","
    "\"uid\":\"aa\"},\"nodeName\":\"node-1\",\"zone\":\"eu-1a\"},"
    "{\"addresses\":[\"10.244.2.9\"],\"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true},"
    "\"nodeName\":\"node-2\"},"
    "{\"addresses\":[\"10.244.3.1\"],\"conditions\":{}}],"
    "\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080},"
    "{\"name\":\"metrics\",\"protocol\":\"TCP\",\"port\":9090,\"appProtocol\":null}]}\n";

UNIT_TEST(json_kubernetes_endpointslice_navigation)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, json_t_slice) == 0);
    CHECK(json_str_eq(&d, json_path(&d, 0, "metadata", "name", NULL), "web-abc12"));
    CHECK(json_str_eq(&d, json_path(&d, 0, "metadata", "labels", "kubernetes.io/service-name", NULL),
                      "web"));
    CHECK(json_str_eq(&d, json_obj_get(&d, 0, "addressType"), "IPv4"));
    CHECK(json_path(&d, 0, "metadata", "nope", NULL) == -1);
    CHECK(json_path(&d, 0, "addressType", "x", NULL) == -1); /* through a string */
    CHECK(json_path(&d, 0, NULL) == 0);
    int64_t gen = 0;
    CHECK(json_int64(&d, json_path(&d, 0, "metadata", "generation", NULL), &gen) == 0 && gen == 3);
    /* "kind" also appears inside ownerReferences and targetRef: only the top one counts. */
    CHECK(json_str_eq(&d, json_obj_get(&d, 0, "kind"), "EndpointSlice"));
    CHECK(json_obj_get(&d, 0, "nodeName") == -1);

    int eps = json_obj_get(&d, 0, "endpoints");
    CHECK(json_is_array(&d, eps) && json_len(&d, eps) == 3);
    const char *want_ip[] = {"10.244.1.5", "10.244.2.9", "10.244.3.1"};
    int ready_seen = 0, i = 0;
    for (int ep = json_arr_first(&d, eps); ep >= 0; ep = json_next(&d, ep), i++) {
        CHECK(i < 3 && json_is_object(&d, ep));
        if (i >= 3)
            break;
        int addrs = json_obj_get(&d, ep, "addresses");
        char ip[64];
        CHECK(json_str_copy(&d, json_arr_first(&d, addrs), ip, sizeof ip, NULL) == JSON_OK);
        CHECK_STR_EQ(ip, want_ip[i]);
        int ready = json_path(&d, ep, "conditions", "ready", NULL);
        bool b = false;
        if (ready >= 0 && json_bool(&d, ready, &b) == JSON_OK && b)
            ready_seen++;
    }
    CHECK(i == 3 && ready_seen == 1);
    int ports = json_obj_get(&d, 0, "ports");
    int p1 = json_next(&d, json_arr_first(&d, ports));
    int64_t port = 0;
    CHECK(json_int64(&d, json_obj_get(&d, p1, "port"), &port) == 0 && port == 9090);
    CHECK(json_is_null(&d, json_obj_get(&d, p1, "appProtocol")));
    CHECK(json_next(&d, p1) == -1);

    /* Members in order; a key's json_next skips its value's whole subtree. */
    const char *keys[] = {"kind", "apiVersion", "metadata", "addressType", "endpoints", "ports"};
    size_t k = 0;
    for (int key = json_obj_first(&d, 0); key >= 0; key = json_next(&d, key), k++)
        CHECK(k < 6 && json_str_eq(&d, key, keys[k]) && json_obj_value(&d, key) == key + 1);
    CHECK(k == 6);
    size_t rawlen = 0;
    const char *raw = json_raw(&d, json_obj_get(&d, 0, "addressType"), &rawlen);
    CHECK(raw != NULL && rawlen == 6 && memcmp(raw, "\"IPv4\"", 6) == 0);
    json_doc_free(&d);
}

UNIT_TEST(json_service_with_embedded_json_annotation)
{
    static const char svc[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\","
        "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
        "\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"Service\\\",\\\"metadata\\\":{\\\"name\\\":"
        "\\\"web\\\"},\\\"spec\\\":{\\\"ports\\\":[{\\\"port\\\":80}]}}\\n\"}},"
        "\"spec\":{\"clusterIP\":\"10.96.12.7\",\"clusterIPs\":[\"10.96.12.7\"],\"type\":\"ClusterIP\","
        "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}],"
        "\"selector\":{\"app\":\"web\"}},\"status\":{\"loadBalancer\":{}}}";
    json_doc d, inner;
    json_doc_init(&d);
    json_doc_init(&inner);
    CHECK(json_t_parse(&d, svc) == 0);
    char *cfg = json_str_dup(
        &d, json_path(&d, 0, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration",
                      NULL));
    CHECK(cfg != NULL);
    if (cfg != NULL) {
        CHECK(json_t_parse(&inner, cfg) == 0);
        int64_t port = 0;
        int ports = json_path(&inner, 0, "spec", "ports", NULL);
        CHECK(json_int64(&inner, json_obj_get(&inner, json_arr_first(&inner, ports), "port"), &port) == 0);
        CHECK(port == 80);
    }
    CHECK(json_str_eq(&d, json_path(&d, 0, "spec", "selector", "app", NULL), "web"));
    CHECK(json_is_object(&d, json_path(&d, 0, "status", "loadBalancer", NULL)));
    CHECK(json_obj_first(&d, json_path(&d, 0, "status", "loadBalancer", NULL)) == -1);
    free(cfg);
    json_doc_free(&inner);
    json_doc_free(&d);
}

UNIT_TEST(json_keys_compared_after_unescaping)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "{\"a\\u0062c\":1,\"x\\\"y\":2,\"\\u00e9\":3,\"ab\":4,\"\\ud83d\\ude00\":5,\"a\":6,\"a\":7}") == 0);
    int64_t v = 0;
    CHECK(json_int64(&d, json_obj_get(&d, 0, "abc"), &v) == 0 && v == 1);
    CHECK(json_int64(&d, json_obj_get(&d, 0, "x\"y"), &v) == 0 && v == 2);
    CHECK(json_int64(&d, json_obj_get(&d, 0, "\xc3\xa9"), &v) == 0 && v == 3);
    CHECK(json_int64(&d, json_obj_get(&d, 0, "ab"), &v) == 0 && v == 4);
    CHECK(json_int64(&d, json_obj_get(&d, 0, "\xf0\x9f\x98\x80"), &v) == 0 && v == 5);
    CHECK(json_int64(&d, json_obj_get(&d, 0, "a"), &v) == 0 && v == 6); /* first wins */
    CHECK(json_obj_get(&d, 0, "abcd") == -1);
    CHECK(json_obj_get(&d, 0, "") == -1);
    CHECK(json_obj_get(&d, 0, "x\\\"y") == -1);
    CHECK(!json_str_eq(&d, 1, "ab") && !json_str_eq(&d, 1, "abcd") && json_str_eq(&d, 1, "abc"));
    CHECK(!json_str_eq(&d, 1, NULL));
    json_doc_free(&d);
}

UNIT_TEST(json_navigation_bounds_and_kinds)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "{\"a\":{\"b\":[1,{\"c\":null}],\"d\":\"e\"},\"f\":[],\"g\":true}") == 0);
    /* {0 a1 {2 b3 [4 1:5 {6 c7 null8 d9 e10 f11 [12 g13 true14 */
    CHECK(d.count == 15);
    CHECK(json_tok_kind(&d, 4) == JSON_ARRAY && json_tok_kind(&d, 5) == JSON_NUMBER);
    CHECK(json_tok_kind(&d, 8) == JSON_NULL && json_tok_kind(&d, 14) == JSON_BOOL);
    CHECK(json_next(&d, 1) == 11 && json_next(&d, 11) == 13 && json_next(&d, 13) == -1);
    CHECK(json_next(&d, 3) == 9 && json_next(&d, 5) == 6 && json_next(&d, 6) == -1);
    CHECK(json_next(&d, 2) == -1); /* a value has no sibling: its parent is the key */
    CHECK(json_next(&d, 0) == -1);
    CHECK(json_len(&d, 0) == 3 && json_len(&d, 4) == 2 && json_len(&d, 12) == 0 && json_len(&d, 5) == -1);
    CHECK(json_arr_first(&d, 12) == -1 && json_arr_first(&d, 2) == -1 && json_obj_first(&d, 4) == -1);
    CHECK(json_obj_value(&d, 5) == -1 && json_obj_value(&d, 10) == -1 && json_obj_value(&d, 9) == 10);
    CHECK(json_path(&d, 0, "a", "b", "c", NULL) == -1); /* b is an array */
    int bad[] = {-1, -100, 15, 1 << 30};
    for (size_t i = 0; i < 4; i++) {
        int t = bad[i];
        int64_t v;
        bool b;
        char buf[4];
        CHECK(json_tok_kind(&d, t) == JSON_NONE && json_next(&d, t) == -1 && json_len(&d, t) == -1);
        CHECK(json_obj_get(&d, t, "a") == -1 && json_path(&d, t, "a", NULL) == -1);
        CHECK(json_path(&d, t, NULL) == -1);
        CHECK(json_raw(&d, t, NULL) == NULL && json_str_dup(&d, t) == NULL && !json_str_eq(&d, t, ""));
        CHECK(json_int64(&d, t, &v) == JSON_ERR_TYPE && json_bool(&d, t, &b) == JSON_ERR_TYPE);
        CHECK(json_str_copy(&d, t, buf, sizeof buf, NULL) == JSON_ERR_TYPE && buf[0] == '\0');
        CHECK(!json_is_null(&d, t) && !json_is_object(&d, t));
    }
    json_doc_free(&d);
}

UNIT_TEST(json_int64_bool_null)
{
    json_doc d;
    json_doc_init(&d);
    CHECK(json_t_parse(&d, "[9223372036854775807,-9223372036854775808,9223372036854775808,"
                           "-9223372036854775809,1.0,1e3,\"1\",-0,true,false,null,99999999999999999999]") == 0);
    int64_t v = 0;
    bool b = false;
    CHECK(json_int64(&d, 1, &v) == 0 && v == INT64_MAX);
    CHECK(json_int64(&d, 2, &v) == 0 && v == INT64_MIN);
    CHECK(json_int64(&d, 3, &v) == JSON_ERR_RANGE);
    CHECK(json_int64(&d, 4, &v) == JSON_ERR_RANGE);
    CHECK(json_int64(&d, 5, &v) == JSON_ERR_RANGE);
    CHECK(json_int64(&d, 6, &v) == JSON_ERR_RANGE);
    CHECK(json_int64(&d, 7, &v) == JSON_ERR_TYPE);
    CHECK(json_int64(&d, 8, &v) == 0 && v == 0);
    CHECK(json_int64(&d, 9, &v) == JSON_ERR_TYPE);
    CHECK(json_bool(&d, 9, &b) == 0 && b);
    CHECK(json_bool(&d, 10, &b) == 0 && !b);
    CHECK(json_bool(&d, 11, &b) == JSON_ERR_TYPE && json_bool(&d, 8, &b) == JSON_ERR_TYPE);
    CHECK(json_is_null(&d, 11) && !json_is_null(&d, 10));
    CHECK(json_int64(&d, 12, &v) == JSON_ERR_RANGE);
    json_doc_free(&d);
}

UNIT_TEST(json_str_copy_truncates_at_character_boundary)
{
    json_doc d;
    json_doc_init(&d);
    /* "a" + U+00E9 (2 bytes) + U+20AC (3) + U+1F600 (4, from a pair) = 10 bytes */
    CHECK(json_t_parse(&d, "\"a\\u00e9\xe2\x82\xac\\ud83d\\ude00\"") == 0);
    char buf[16];
    size_t n = 0;
    CHECK(json_str_copy(&d, 0, buf, 11, &n) == JSON_OK && n == 10);
    CHECK_STR_EQ(buf, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    const size_t caps[] = {10, 9, 7, 6, 4, 3, 2, 1};
    const size_t lens[] = {6, 6, 6, 3, 3, 1, 1, 0};
    for (size_t i = 0; i < 8; i++) {
        memset(buf, 'x', sizeof buf);
        CHECK(json_str_copy(&d, 0, buf, caps[i], &n) == JSON_ERR_SPACE);
        CHECK(n == lens[i] && buf[n] == '\0');
    }
    CHECK(json_str_copy(&d, 0, buf, 0, &n) == JSON_ERR_SPACE && n == 0);
    CHECK(json_str_copy(&d, 0, NULL, 10, &n) == JSON_ERR_SPACE);
    json_doc_free(&d);
}

UNIT_TEST(json_writer_builds_a_request_body)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "apiVersion");
    json_writer_string(&w, "discovery.k8s.io/v1");
    json_writer_key(&w, "metadata");
    json_writer_object_begin(&w);
    json_writer_key(&w, "name");
    json_writer_string(&w, "web-\"x\"");
    json_writer_key(&w, "labels");
    json_writer_object_begin(&w);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    json_writer_key(&w, "endpoints");
    json_writer_array_begin(&w);
    for (int i = 0; i < 2; i++) {
        json_writer_object_begin(&w);
        json_writer_key(&w, "addresses");
        json_writer_array_begin(&w);
        json_writer_string(&w, i ? "10.0.0.2" : "10.0.0.1");
        json_writer_array_end(&w);
        json_writer_key(&w, "ready");
        json_writer_bool(&w, i == 0);
        json_writer_object_end(&w);
    }
    json_writer_array_end(&w);
    json_writer_key(&w, "n");
    json_writer_array_begin(&w);
    json_writer_int64(&w, INT64_MIN);
    json_writer_int64(&w, 0);
    json_writer_int64(&w, INT64_MAX);
    json_writer_null(&w);
    const char *frag = " {\"pre\": [1, 2.5e3]} ";
    json_writer_raw(&w, frag, strlen(frag));
    json_writer_array_end(&w);
    json_writer_object_end(&w);
    CHECK(json_writer_error(&w) == 0);
    size_t len = 0;
    char *out = json_writer_take(&w, &len);
    CHECK_STR_EQ(out, "{\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":{\"name\":\"web-\\\"x\\\"\","
                      "\"labels\":{}},\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"ready\":true},"
                      "{\"addresses\":[\"10.0.0.2\"],\"ready\":false}],\"n\":[-9223372036854775808,0,"
                      "9223372036854775807,null, {\"pre\": [1, 2.5e3]} ]}");
    CHECK(out != NULL && len == strlen(out));
    /* The output parses back to the same values. */
    json_doc d;
    json_doc_init(&d);
    CHECK(out != NULL && json_parse(&d, out, len, json_t_err, sizeof json_t_err) == 0);
    CHECK(json_str_eq(&d, json_path(&d, 0, "metadata", "name", NULL), "web-\"x\""));
    int64_t v = 0;
    int n = json_obj_get(&d, 0, "n");
    CHECK(json_int64(&d, json_arr_first(&d, n), &v) == 0 && v == INT64_MIN);
    int eps = json_obj_get(&d, 0, "endpoints");
    bool b = true;
    CHECK(json_bool(&d, json_obj_get(&d, json_next(&d, json_arr_first(&d, eps)), "ready"), &b) == 0 && !b);
    json_doc_free(&d);
    free(out);
    /* The writer is empty and usable again after take. */
    CHECK(w.buf == NULL && w.len == 0 && !w.done);
    json_writer_string(&w, "again");
    out = json_writer_take(&w, NULL);
    CHECK_STR_EQ(out, "\"again\"");
    free(out);
    json_writer_free(&w);
}

/* Runs calls, then checks that take gives nothing and the error sticks. */
#define JSON_T_WRITER_FAILS(want, calls)                                                         \
    do {                                                                                        \
        json_writer w_;                                                                         \
        json_writer_init(&w_);                                                                  \
        json_writer *w = &w_;                                                                   \
        calls;                                                                                  \
        CHECK(json_writer_take(w, NULL) == NULL);                                               \
        CHECK(json_writer_error(w) == (want));                                                  \
        CHECK(json_writer_string(w, "later") == (want));                                        \
        json_writer_free(w);                                                                    \
    } while (0)

UNIT_TEST(json_writer_sticky_errors)
{
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_object_begin(w); json_writer_string(w, "v"));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_array_begin(w); json_writer_key(w, "k"));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_object_begin(w); json_writer_array_end(w));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_object_begin(w); json_writer_key(w, "k");
                        json_writer_object_end(w));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_object_begin(w); json_writer_key(w, "k");
                        json_writer_key(w, "k2"));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_array_end(w));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_key(w, "k"));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_int64(w, 1); json_writer_int64(w, 2));
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_array_begin(w)); /* incomplete */
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, (void)0);                   /* nothing written */
    JSON_T_WRITER_FAILS(JSON_ERR_STATE, json_writer_string(w, NULL));
    JSON_T_WRITER_FAILS(JSON_ERR_UTF8, json_writer_array_begin(w); json_writer_string(w, "ok");
                        json_writer_string(w, "bad \xff"); json_writer_array_end(w));
    JSON_T_WRITER_FAILS(JSON_ERR_UTF8, json_writer_object_begin(w); json_writer_key(w, "\xc0\xaf"));
    JSON_T_WRITER_FAILS(JSON_ERR_UTF8, json_writer_string(w, "\xed\xa0\x80")); /* surrogate */
    JSON_T_WRITER_FAILS(JSON_ERR_UTF8, json_writer_string(w, "\xe2\x82"));     /* truncated */
    JSON_T_WRITER_FAILS(JSON_ERR_SYNTAX, json_writer_raw(w, "[1,]", 4));
    JSON_T_WRITER_FAILS(JSON_ERR_SYNTAX, json_writer_raw(w, "1 2", 3));
    JSON_T_WRITER_FAILS(JSON_ERR_SYNTAX, json_writer_raw(w, "", 0));
    JSON_T_WRITER_FAILS(JSON_ERR_SYNTAX, json_writer_raw(w, NULL, 0));
    JSON_T_WRITER_FAILS(JSON_ERR_DEPTH, for (int i = 0; i <= JSON_WRITER_MAX_DEPTH; i++)
                                            json_writer_array_begin(w));
    /* Exactly the maximum depth is fine and parses back with the default limit. */
    json_writer w;
    json_writer_init(&w);
    for (int i = 0; i < JSON_WRITER_MAX_DEPTH; i++)
        json_writer_array_begin(&w);
    for (int i = 0; i < JSON_WRITER_MAX_DEPTH; i++)
        json_writer_array_end(&w);
    size_t len = 0;
    char *out = json_writer_take(&w, &len);
    json_doc d;
    json_doc_init(&d);
    CHECK(out != NULL && json_parse(&d, out, len, NULL, 0) == 0);
    json_doc_free(&d);
    free(out);
    json_writer_free(&w);
    CHECK(strcmp(json_strerror(JSON_ERR_UTF8), "string is not valid UTF-8") == 0);
    CHECK(strcmp(json_strerror(12345), "unknown json status") == 0);
}

UNIT_TEST(json_writer_long_output_grows)
{
    json_writer w;
    json_writer_init(&w);
    json_writer_array_begin(&w);
    char s[300];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    for (int i = 0; i < 2000; i++)
        json_writer_string(&w, s);
    json_writer_array_end(&w);
    size_t len = 0;
    char *out = json_writer_take(&w, &len);
    CHECK(out != NULL && len == 2000 * 301 + 1999 + 2);
    json_doc d;
    json_doc_init(&d);
    CHECK(out != NULL && json_parse(&d, out, len, NULL, 0) == 0 && json_len(&d, 0) == 2000);
    json_doc_free(&d);
    free(out);
    json_writer_free(&w);
}
