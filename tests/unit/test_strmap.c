/* Unit tests: string map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "childlink/strmap.h"

static void test_put_get_many(void **state)
{
    (void)state;
    cl_strmap *m = cl_strmap_new();
    assert_non_null(m);
    char key[32];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(key, sizeof key, "id%d", i);
        assert_int_equal(cl_strmap_put(m, key, (size_t)n, i, NULL), 1);
    }
    assert_int_equal(cl_strmap_size(m), 200000);
    for (int i = 0; i < 200000; i += 997) {
        int n = snprintf(key, sizeof key, "id%d", i);
        int64_t v = -1;
        assert_int_equal(cl_strmap_get(m, key, (size_t)n, &v), 1);
        assert_int_equal(v, i);
    }
    int64_t first = -1;
    assert_int_equal(cl_strmap_put(m, "id7", 3, 99, &first), 0);
    assert_int_equal(first, 7);
    assert_int_equal(cl_strmap_get(m, "id", 2, NULL), 0);
    assert_int_equal(cl_strmap_get(m, "id7\0", 4, NULL), 0);   /* length is part of the key */
    cl_strmap_free(m);
}

static void test_intern_returns_the_stored_copy(void **state)
{
    (void)state;
    cl_strmap *m = cl_strmap_new();
    char key[8] = "smith";
    const char *first = NULL, *again = NULL;
    int64_t v = -1;
    assert_int_equal(cl_strmap_intern(m, key, 5, 1, &v, &first), 1);
    assert_ptr_not_equal(first, key);
    strcpy(key, "jones");   /* the map's copy does not change with the caller's buffer */
    assert_string_equal(first, "smith");
    assert_int_equal(cl_strmap_intern(m, "smith", 5, 2, &v, &again), 0);
    assert_ptr_equal(again, first);
    assert_int_equal(v, 1);
    cl_strmap_free(m);
}

static void test_reserve_and_empty_key(void **state)
{
    (void)state;
    cl_strmap *m = cl_strmap_new();
    assert_int_equal(cl_strmap_reserve(m, 100000), 0);
    assert_int_equal(cl_strmap_put(m, "", 0, 5, NULL), 1);
    int64_t v;
    assert_int_equal(cl_strmap_get(m, "", 0, &v), 1);
    assert_int_equal(v, 5);
    assert_int_equal(cl_strmap_reserve(m, 10), 0);   /* never shrinks */
    cl_strmap_free(m);
    cl_strmap_free(NULL);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    cl_strmap *m = cl_strmap_new();
    cl_alloc_fail_after(1);
    assert_int_equal(cl_strmap_put(m, "x", 1, 1, NULL), -1);   /* the key arena */
    cl_alloc_fail_after(0);
    assert_int_equal(cl_strmap_put(m, "x", 1, 1, NULL), 1);
    cl_strmap_free(m);
}

static void test_hash_spreads(void **state)
{
    (void)state;
    /* Sequential short ids must spread over the low bits the table uses. */
    int buckets[256] = {0};
    char key[16];
    for (int i = 0; i < 25600; i++) {
        int n = snprintf(key, sizeof key, "r%d", i);
        buckets[cl_hash_bytes(key, (size_t)n, 0) & 255]++;
    }
    for (int b = 0; b < 256; b++)
        assert_true(buckets[b] > 50 && buckets[b] < 160);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_many),
        cmocka_unit_test(test_intern_returns_the_stored_copy),
        cmocka_unit_test(test_reserve_and_empty_key),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_hash_spreads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
