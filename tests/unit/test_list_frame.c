/* Unit tests for list_frame: items and metadata framed out of a LIST body under any split,
 * strings holding brackets and escapes, and every bound and malformation refused. */
#include <stdlib.h>

#include "kube/list_frame.h"
#include "unit.h"

/* What the callback saw: the items joined by '|', and the metadata. */
typedef struct {
    char items[4096];
    char meta[256];
    int nitems, nmeta;
    int refuse_at; /* refuse this item (1-based); 0: never */
} jf_seen;

static int jf_collect(void *arg, list_frame_kind kind, const char *text, size_t len, char *err, size_t errlen)
{
    jf_seen *s = arg;
    if (kind == LIST_FRAME_META) {
        snprintf(s->meta, sizeof s->meta, "%.*s", (int)len, text);
        s->nmeta++;
        return 0;
    }
    s->nitems++;
    if (s->refuse_at == s->nitems) {
        snprintf(err, errlen, "item %d refused", s->nitems);
        return -1;
    }
    size_t at = strlen(s->items);
    snprintf(s->items + at, sizeof s->items - at, "%s%.*s", at > 0 ? "|" : "", (int)len, text);
    return 0;
}

/* Feeds text in pieces of step bytes (0: all at once), then finishes. */
static int jf_run(const char *text, size_t len, size_t step, size_t item_max, jf_seen *s, char *err, size_t errlen)
{
    list_frame f;
    list_frame_init(&f, item_max);
    int rc = 0;
    if (step == 0)
        step = len > 0 ? len : 1;
    for (size_t at = 0; rc == 0 && at < len; at += step)
        rc = list_frame_feed(&f, text + at, len - at < step ? len - at : step, jf_collect, s);
    if (rc == 0)
        rc = list_frame_finish(&f);
    snprintf(err, errlen, "%s", f.error);
    list_frame_free(&f);
    return rc;
}

static int jf_str(const char *text, jf_seen *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    return jf_run(text, strlen(text), 0, 0, s, err, errlen);
}

#define JF_LIST                                                                                             \
    "{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\",\"continue\":" \
    "\"x\"},\n \"items\": [ {\"a\":\"]}[{\\\"\\\\\"} , {\"b\":[1,{\"c\":null}]},{}\t]}\n"

UNIT_TEST(list_frame_any_split_gives_the_same_items)
{
    const char *want_items = "{\"a\":\"]}[{\\\"\\\\\"}|{\"b\":[1,{\"c\":null}]}|{}";
    for (size_t step = 0; step <= 7; step++) {
        jf_seen s;
        memset(&s, 0, sizeof s);
        char err[LIST_FRAME_ERROR_MAX];
        CHECK(jf_run(JF_LIST, strlen(JF_LIST), step, 0, &s, err, sizeof err) == 0);
        CHECK_STR_EQ(s.items, want_items);
        CHECK_STR_EQ(s.meta, "{\"resourceVersion\":\"42\",\"continue\":\"x\"}");
        CHECK(s.nitems == 3 && s.nmeta == 1);
    }
}

UNIT_TEST(list_frame_empty_and_null_items)
{
    jf_seen s;
    char err[LIST_FRAME_ERROR_MAX];
    CHECK(jf_str("{\"metadata\":{},\"items\":[]}", &s, err, sizeof err) == 0);
    CHECK(s.nitems == 0 && s.nmeta == 1);
    CHECK(jf_str("{\"items\":null,\"metadata\":{\"resourceVersion\":\"1\"}}", &s, err, sizeof err) == 0);
    CHECK(s.nitems == 0 && s.nmeta == 1);
    CHECK(jf_str("{}", &s, err, sizeof err) == 0);
    CHECK(jf_str("{\"items\":nul}", &s, err, sizeof err) == -1);
    CHECK(jf_str("{\"items\":nulls}", &s, err, sizeof err) == -1);
    CHECK(jf_str("{\"items\":5}", &s, err, sizeof err) == -1);
    CHECK(strstr(err, "not an array") != NULL);
}

UNIT_TEST(list_frame_skips_other_members_of_any_kind)
{
    jf_seen s;
    char err[LIST_FRAME_ERROR_MAX];
    CHECK(jf_str("{\"x\":-1.5e3,\"y\":true,\"z\":\"it]ems\",\"w\":[{\"items\":[{}]}],\"items\":[{\"k\":1}],"
                 "\"it\\u0065ms\":[{}],\"v\":null}",
                 &s, err, sizeof err) == 0);
    CHECK(s.nitems == 1);
    CHECK_STR_EQ(s.items, "{\"k\":1}");
}

UNIT_TEST(list_frame_refuses_malformed_bodies)
{
    static const char *bad[] = {
        "",                               /* empty */
        "[]",                             /* not an object */
        "garbage",
        "{\"items\":[1]}",                /* an item that is not an object */
        "{\"items\":[{}",                 /* ends inside the array */
        "{\"items\":[{\"a\":1}",          /* ends inside nothing but the list */
        "{\"items\":[{\"a\":[}]}",        /* mismatched brackets */
        "{\"items\":[{\"a\":1}]]}",
        "{\"items\":[{},]}",              /* a trailing comma */
        "{\"items\":[{}]}x",              /* data after the end */
        "{\"items\":[{}]}{}",
        "{\"items\" [{}]}",               /* no colon */
        "{\"items\":[{}] \"metadata\":{}}", /* no comma */
        "{\"metadata\":[]}",              /* metadata not an object */
        "{\"metadata\":{},\"metadata\":{}}",
        "{\"items\":[],\"items\":[]}",
        "{\"items\":[{\"a\":\"x\ny\"}]}",  /* a raw control byte in a string */
        "{\"k\ney\":1}",
        "{\"x\":@}",
        "{\"x\":\"open",
        "{,}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jf_seen s;
        char err[LIST_FRAME_ERROR_MAX];
        char what[80];
        snprintf(what, sizeof what, "body %zu was accepted", i);
        bool refused = jf_str(bad[i], &s, err, sizeof err) == -1 && err[0] != '\0';
        CHECK_MSG(refused, what);
    }
}

UNIT_TEST(b13_list_frame_item_bound_is_exact)
{
    /* {"a":"xx...x"} of exactly 64 bytes: accepted at item_max 64, refused at 63. */
    char body[256];
    char item[65];
    memset(item, 'x', 64);
    memcpy(item, "{\"a\":\"", 6);
    memcpy(item + 62, "\"}", 2);
    item[64] = '\0';
    snprintf(body, sizeof body, "{\"items\":[%s]}", item);
    jf_seen s;
    char err[LIST_FRAME_ERROR_MAX];
    memset(&s, 0, sizeof s);
    CHECK(jf_run(body, strlen(body), 1, 64, &s, err, sizeof err) == 0);
    CHECK_STR_EQ(s.items, item);
    memset(&s, 0, sizeof s);
    CHECK(jf_run(body, strlen(body), 1, 63, &s, err, sizeof err) == -1);
    CHECK(strstr(err, "items[0] exceeds 63 bytes") != NULL);
    CHECK(s.nitems == 0);
}

UNIT_TEST(b13_list_frame_depth_bound)
{
    /* Items nested to LIST_FRAME_MAX_DEPTH (the root and the array count) pass; one more fails. */
    for (int extra = 0; extra <= 1; extra++) {
        int n = LIST_FRAME_MAX_DEPTH - 2 + extra; /* containers inside the array */
        size_t cap = 32 + 8 * (size_t)n;
        char *body = malloc(cap);
        CHECK(body != NULL);
        if (body == NULL)
            return;
        size_t at = (size_t)snprintf(body, cap, "{\"items\":[");
        for (int i = 0; i < n; i++)
            at += (size_t)snprintf(body + at, cap - at, "{\"a\":");
        at += (size_t)snprintf(body + at, cap - at, "1");
        for (int i = 0; i < n; i++)
            body[at++] = '}';
        at += (size_t)snprintf(body + at, cap - at, "]}");
        jf_seen s;
        char err[LIST_FRAME_ERROR_MAX];
        memset(&s, 0, sizeof s);
        int rc = jf_run(body, at, 3, 0, &s, err, sizeof err);
        CHECK(rc == (extra ? -1 : 0));
        if (extra)
            CHECK(strstr(err, "nesting deeper than") != NULL);
        free(body);
    }
}

UNIT_TEST(list_frame_huge_depth_fails_fast_without_memory)
{
    /* 200,000 '[' in a skipped member and in an item: refused at the bound, not buffered. */
    size_t n = 200000;
    char *body = malloc(n + 32);
    CHECK(body != NULL);
    if (body == NULL)
        return;
    for (int where = 0; where < 2; where++) {
        size_t at = (size_t)snprintf(body, 32, where ? "{\"items\":[{\"a\":" : "{\"x\":");
        memset(body + at, '[', n);
        list_frame f;
        list_frame_init(&f, 0);
        CHECK(list_frame_feed(&f, body, at + n, jf_collect, &(jf_seen){0}) == -1);
        CHECK(strstr(f.error, "nesting deeper than") != NULL);
        CHECK(f.offset < 200);
        CHECK(list_frame_feed(&f, "]", 1, jf_collect, &(jf_seen){0}) == -1); /* stays failed */
        list_frame_free(&f);
    }
    free(body);
}

UNIT_TEST(list_frame_gap_bound)
{
    /* Whitespace forever between items is refused once LIST_FRAME_GAP_MAX is passed. */
    list_frame f;
    list_frame_init(&f, 0);
    jf_seen s;
    memset(&s, 0, sizeof s);
    CHECK(list_frame_feed(&f, "{\"items\":[{},", 13, jf_collect, &s) == 0);
    char spaces[4096];
    memset(spaces, ' ', sizeof spaces);
    int rc = 0;
    size_t fed = 0;
    while (rc == 0 && fed < 2 * LIST_FRAME_GAP_MAX) {
        rc = list_frame_feed(&f, spaces, sizeof spaces, jf_collect, &s);
        fed += sizeof spaces;
    }
    CHECK(rc == -1);
    CHECK(fed <= LIST_FRAME_GAP_MAX + sizeof spaces);
    CHECK(strstr(f.error, "outside the list's items") != NULL);
    CHECK(s.nitems == 1);
    list_frame_free(&f);
}

UNIT_TEST(list_frame_metadata_bound)
{
    size_t n = LIST_FRAME_META_MAX + 16;
    char *body = malloc(n + 64);
    CHECK(body != NULL);
    if (body == NULL)
        return;
    size_t at = (size_t)snprintf(body, 64, "{\"metadata\":{\"continue\":\"");
    memset(body + at, 'c', n);
    list_frame f;
    list_frame_init(&f, 0);
    CHECK(list_frame_feed(&f, body, at + n, jf_collect, &(jf_seen){0}) == -1);
    CHECK(strstr(f.error, "metadata exceeds") != NULL);
    list_frame_free(&f);
    free(body);
}

UNIT_TEST(list_frame_callback_refusal_stops_the_body)
{
    jf_seen s;
    memset(&s, 0, sizeof s);
    s.refuse_at = 2;
    char err[LIST_FRAME_ERROR_MAX];
    const char *body = "{\"items\":[{\"n\":1},{\"n\":2},{\"n\":3}]}";
    CHECK(jf_run(body, strlen(body), 0, 0, &s, err, sizeof err) == -1);
    CHECK_STR_EQ(err, "item 2 refused");
    CHECK(s.nitems == 2);
    CHECK_STR_EQ(s.items, "{\"n\":1}");
}

UNIT_TEST(list_frame_split_escapes_keep_strings_closed)
{
    /* A string ending in an escaped backslash, then a quote: every split point. */
    const char *body = "{\"items\":[{\"s\":\"a\\\\\",\"t\":\"\\\"}\"}]}";
    for (size_t step = 1; step <= strlen(body); step++) {
        jf_seen s;
        memset(&s, 0, sizeof s);
        char err[LIST_FRAME_ERROR_MAX];
        CHECK(jf_run(body, strlen(body), step, 0, &s, err, sizeof err) == 0);
        CHECK_STR_EQ(s.items, "{\"s\":\"a\\\\\",\"t\":\"\\\"}\"}");
    }
}

UNIT_TEST(list_frame_reset_starts_a_new_body)
{
    list_frame f;
    list_frame_init(&f, 128);
    jf_seen s;
    memset(&s, 0, sizeof s);
    CHECK(list_frame_feed(&f, "xyz", 3, jf_collect, &s) == -1);
    list_frame_reset(&f);
    CHECK(f.item_max == 128 && !f.failed && f.offset == 0);
    CHECK(list_frame_feed(&f, "{\"items\":[{}]}", 14, jf_collect, &s) == 0);
    CHECK(list_frame_finish(&f) == 0);
    CHECK(s.nitems == 1);
    list_frame_free(&f);
}
