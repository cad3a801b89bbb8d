/*
 * test_nhs.c - NHS number checks: published examples, every reason slug, and
 * an exhaustive proof on a few numbers that modulus 11 catches every single
 * wrong digit and every swap of two adjacent different digits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "childlink/nhs.h"

static cl_check check(const char *s, char out[11], const char **reason)
{
    return cl_nhs_check(s, strlen(s), out, reason);
}

/* Assert `s` is invalid for `want` (and that out is as expected). */
static void expect_invalid(const char *s, const char *want, const char *want_out)
{
    char out[11] = "junk";
    const char *reason = "unset";
    assert_int_equal(check(s, out, &reason), CL_CHECK_INVALID);
    assert_non_null(reason);
    assert_string_equal(reason, want);
    assert_string_equal(out, want_out);
}

static void test_check_digit_by_hand(void **state)
{
    (void)state;
    /* 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11-2 = 9. */
    assert_int_equal(cl_nhs_check_digit("943476591"), 9);
    /* 4*10+1*8+2*6+3*5+2*4+1*3+3*2 = 92; 92 mod 11 = 4; 11-4 = 7. */
    assert_int_equal(cl_nhs_check_digit("401023213"), 7);
    assert_int_equal(cl_nhs_check_digit("485777345"), 7);
    /* 10 mod 11 = 10 -> 1; sum 0 -> 11 -> 0; sum 1 mod 11 -> 10 (none). */
    assert_int_equal(cl_nhs_check_digit("100000000"), 1);
    assert_int_equal(cl_nhs_check_digit("000000000"), 0);
    assert_int_equal(cl_nhs_check_digit("123456789"), 10);
    assert_int_equal(cl_nhs_check_digit("100000001"), 10);
}

static void test_published_examples_valid(void **state)
{
    (void)state;
    const char *valid[] = {
        "9434765919",      /* NHS Digital documentation example */
        "943 476 5919",    /* as printed on letters and cards */
        "943-476-5919",
        "  9434765919\t ",
        "4010232137",
        "485 777 3457",
        "9-4-3-4-7-6-5-9-1-9",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char out[11];
        const char *reason = "unset";
        assert_int_equal(check(valid[i], out, &reason), CL_CHECK_VALID);
        assert_null(reason);
        assert_int_equal(strlen(out), 10);
    }
    char out[11];
    assert_int_equal(check("943 476 5919", out, NULL), CL_CHECK_VALID);
    assert_string_equal(out, "9434765919");
}

static void test_missing(void **state)
{
    (void)state;
    char out[11] = "junk";
    const char *reason = NULL;
    assert_int_equal(cl_nhs_check("", 0, out, &reason), CL_CHECK_MISSING);
    assert_string_equal(reason, "missing");
    assert_string_equal(out, "");
    assert_int_equal(check("  \t ", out, &reason), CL_CHECK_MISSING);
    /* A NULL pointer with zero length is an empty value. */
    assert_int_equal(cl_nhs_check(NULL, 0, out, NULL), CL_CHECK_MISSING);
}

static void test_wrong_length_and_non_digit(void **state)
{
    (void)state;
    expect_invalid("943476591", "wrong_length", "");
    expect_invalid("94347659190", "wrong_length", "");
    expect_invalid("-", "wrong_length", "");
    expect_invalid("943 476 591 9 1", "wrong_length", "");
    expect_invalid("943476591O", "non_digit", "");     /* letter O for zero */
    expect_invalid("NHS9434765919", "non_digit", "");
    expect_invalid("943.476.5919", "non_digit", "");
    expect_invalid("9434765919\n", "non_digit", "");
    expect_invalid("\xef\xbc\x99" "434765919", "non_digit", ""); /* full-width 9 */
    /* Length counts only the given bytes: an embedded NUL ends nothing. */
    char out[11];
    const char *reason;
    assert_int_equal(cl_nhs_check("9434765919", 9, out, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "wrong_length");
    assert_int_equal(cl_nhs_check("943476\0" "5919", 11, out, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "non_digit");
}

static void test_check_failures_keep_digits(void **state)
{
    (void)state;
    expect_invalid("9434765918", "bad_check_digit", "9434765918");
    expect_invalid("943 476 5910", "bad_check_digit", "9434765910");
    expect_invalid("1234567890", "check_digit_10", "1234567890");
    expect_invalid("1000000011", "check_digit_10", "1000000011");
}

static void test_all_same_digit(void **state)
{
    (void)state;
    char num[11] = {0};
    for (char d = '0'; d <= '9'; d++) {
        memset(num, d, 10);
        /* They pass the arithmetic, which is why they need their own rule. */
        assert_int_equal(cl_nhs_check_digit(num), d - '0');
        expect_invalid(num, "all_same_digit", num);
    }
}

static void test_test_range(void **state)
{
    (void)state;
    /* Find 999 numbers whose check digit is right: still invalid. */
    int found = 0;
    for (int serial = 0; serial < 2000 && found < 20; serial++) {
        char num[24];
        snprintf(num, sizeof num, "999%06d", serial);
        int cd = cl_nhs_check_digit(num);
        if (cd == 10)
            continue;
        num[9] = (char)('0' + cd);
        num[10] = '\0';
        if (strcmp(num, "9999999999") == 0)
            continue;
        expect_invalid(num, "test_range", num);
        found++;
    }
    assert_int_equal(found, 20);
    /* 998 and 099 are not the test range. */
    char out[11];
    const char *reason;
    char num[11] = "998000000";
    num[9] = (char)('0' + cl_nhs_check_digit(num));
    num[10] = '\0';
    assert_int_equal(check(num, out, &reason), CL_CHECK_VALID);
}

/* Every single-digit substitution and every adjacent transposition of a
 * valid number must be rejected. */
static void assert_mutations_fail(const char *valid)
{
    char out[11];
    const char *reason;
    assert_int_equal(check(valid, out, &reason), CL_CHECK_VALID);
    char m[11];
    int tried = 0;
    for (int pos = 0; pos < 10; pos++) {
        for (char d = '0'; d <= '9'; d++) {
            if (d == valid[pos])
                continue;
            memcpy(m, valid, 11);
            m[pos] = d;
            assert_int_not_equal(check(m, out, &reason), CL_CHECK_VALID);
            tried++;
        }
    }
    assert_int_equal(tried, 90);
    for (int pos = 0; pos < 9; pos++) {
        if (valid[pos] == valid[pos + 1])
            continue;
        memcpy(m, valid, 11);
        m[pos] = valid[pos + 1];
        m[pos + 1] = valid[pos];
        assert_int_not_equal(check(m, out, &reason), CL_CHECK_VALID);
    }
}

static void test_mutations_exhaustive(void **state)
{
    (void)state;
    assert_mutations_fail("9434765919");
    assert_mutations_fail("4010232137");
    assert_mutations_fail("4857773457");
    /* And for a spread of computed valid numbers. */
    int done = 0;
    for (long seed = 400000000; done < 200; seed += 7919) {
        char num[24];
        snprintf(num, sizeof num, "%09ld", seed % 1000000000L);
        int cd = cl_nhs_check_digit(num);
        if (cd == 10)
            continue;
        num[9] = (char)('0' + cd);
        num[10] = '\0';
        assert_mutations_fail(num);
        done++;
    }
}

static void test_long_input(void **state)
{
    (void)state;
    /* A megabyte of spaces around a number: still read, no overflow. */
    size_t n = 1 << 20;
    static char big[(1 << 20) + 16];
    memset(big, ' ', n);
    memcpy(big + n / 2, "9434765919", 10);
    char out[11];
    const char *reason;
    assert_int_equal(cl_nhs_check(big, n, out, &reason), CL_CHECK_VALID);
    assert_string_equal(out, "9434765919");
    /* A megabyte of digits: wrong length, out stays empty. */
    memset(big, '4', n);
    assert_int_equal(cl_nhs_check(big, n, out, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "wrong_length");
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_digit_by_hand),
        cmocka_unit_test(test_published_examples_valid),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_wrong_length_and_non_digit),
        cmocka_unit_test(test_check_failures_keep_digits),
        cmocka_unit_test(test_all_same_digit),
        cmocka_unit_test(test_test_range),
        cmocka_unit_test(test_mutations_exhaustive),
        cmocka_unit_test(test_long_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
