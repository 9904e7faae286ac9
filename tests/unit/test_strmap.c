/* Unit tests for strmap: insert, replace, delete, growth, and deleting while iterating. */
#include "base/strmap.h"
#include "unit.h"

#include <stdio.h>

UNIT_TEST(strmap_put_get_replace_delete)
{
    strmap m;
    strmap_init(&m);
    int a = 1, b = 2;
    void *old = &a;
    CHECK(strmap_get(&m, "x") == NULL);
    CHECK(strmap_del(&m, "x") == NULL);
    CHECK(strmap_put(&m, "x", &a, &old) == 0 && old == NULL);
    CHECK(strmap_put(&m, "x", &b, &old) == 0 && old == &a);
    CHECK(strmap_get(&m, "x") == &b && strmap_count(&m) == 1);
    CHECK(strmap_put(&m, "", &a, NULL) == 0 && strmap_get(&m, "") == &a);
    CHECK(strmap_del(&m, "x") == &b && strmap_get(&m, "x") == NULL && strmap_count(&m) == 1);
    strmap_free(&m);
    CHECK(strmap_count(&m) == 0);
}

UNIT_TEST(strmap_grows_and_iterates_with_deletion)
{
    strmap m;
    strmap_init(&m);
    char key[32];
    static int values[5000];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "ns/svc-%d", i);
        values[i] = i;
        CHECK(strmap_put(&m, key, &values[i], NULL) == 0);
    }
    CHECK(strmap_count(&m) == 5000);
    int found = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "ns/svc-%d", i);
        int *v = strmap_get(&m, key);
        found += v != NULL && *v == i;
    }
    CHECK(found == 5000);
    size_t seen = 0;
    for (strmap_iter it = strmap_iter_start(&m); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        seen++;
        if (*(int *)it.e->value % 2 == 0)
            strmap_del(&m, it.e->key);
    }
    CHECK(seen == 5000 && strmap_count(&m) == 2500);
    strmap_free(&m);
}
