/* Unit tests: UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "childlink/utf8.h"

static size_t prefix(const char *s, int *ascii)
{
    return cl_utf8_valid_prefix(s, strlen(s), ascii);
}

static void test_valid(void **state)
{
    (void)state;
    int ascii = -1;
    assert_int_equal(prefix("", &ascii), 0);
    assert_int_equal(ascii, 1);
    assert_int_equal(prefix("plain ascii longer than eight", &ascii), 29);
    assert_int_equal(ascii, 1);
    assert_int_equal(prefix("Zo\xC3\xAB \xE7\x8E\x8B \xF0\x9F\x98\x80", &ascii), 13);
    assert_int_equal(ascii, 0);
    assert_int_equal(prefix("\xF4\x8F\xBF\xBF", NULL), 4);   /* U+10FFFF */
}

static void test_invalid_prefix_length(void **state)
{
    (void)state;
    assert_int_equal(prefix("abc\xE9xyz", NULL), 3);              /* Latin-1 byte */
    assert_int_equal(prefix("\xC0\xAF", NULL), 0);                /* overlong */
    assert_int_equal(prefix("ab\xE0\x80\xAF", NULL), 2);          /* overlong, 3 bytes */
    assert_int_equal(prefix("x\xED\xA0\x80", NULL), 1);           /* surrogate */
    assert_int_equal(prefix("\xF4\x90\x80\x80", NULL), 0);        /* above U+10FFFF */
    assert_int_equal(prefix("12345678\xE2\x82", NULL), 8);        /* truncated */
    assert_int_equal(prefix("\x80", NULL), 0);                    /* stray continuation */
    assert_int_equal(prefix("\xE2\x82\x41", NULL), 0);            /* bad continuation */
    int ascii = -1;
    assert_int_equal(prefix("ok\xFF", &ascii), 2);
    assert_int_equal(ascii, 1);   /* of the valid prefix */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid_prefix_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
