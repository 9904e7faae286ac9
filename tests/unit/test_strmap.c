/* Unit tests for smap: insert, replace, delete, growth, and deleting while iterating. */
#include "smap.h"
#include "unit.h"

#include <stdio.h>

UNIT_TEST(smap_put_get_replace_delete)
{
    smap m;
    smap_init(&m);
    int a = 1, b = 2;
    void *old = &a;
    CHECK(smap_get(&m, "x") == NULL);
    CHECK(smap_del(&m, "x") == NULL);
    CHECK(smap_put(&m, "x", &a, &old) == 0 && old == NULL);
    CHECK(smap_put(&m, "x", &b, &old) == 0 && old == &a);
    CHECK(smap_get(&m, "x") == &b && smap_count(&m) == 1);
    CHECK(smap_put(&m, "", &a, NULL) == 0 && smap_get(&m, "") == &a);
    CHECK(smap_del(&m, "x") == &b && smap_get(&m, "x") == NULL && smap_count(&m) == 1);
    smap_free(&m);
    CHECK(smap_count(&m) == 0);
}

UNIT_TEST(smap_grows_and_iterates_with_deletion)
{
    smap m;
    smap_init(&m);
    char key[32];
    static int values[5000];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "ns/svc-%d", i);
        values[i] = i;
        CHECK(smap_put(&m, key, &values[i], NULL) == 0);
    }
    CHECK(smap_count(&m) == 5000);
    int found = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "ns/svc-%d", i);
        int *v = smap_get(&m, key);
        found += v != NULL && *v == i;
    }
    CHECK(found == 5000);
    size_t seen = 0;
    for (smap_iter it = smap_iter_start(&m); smap_iter_ok(&it); smap_iter_next(&it)) {
        seen++;
        if (*(int *)it.e->value % 2 == 0)
            smap_del(&m, it.e->key);
    }
    CHECK(seen == 5000 && smap_count(&m) == 2500);
    smap_free(&m);
}
