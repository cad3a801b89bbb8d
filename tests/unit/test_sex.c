/*
 * test_sex.c - sex codes from NHS, DfE and free-text sources onto M/F/I/U,
 * with missing kept apart from "not known" and anything else refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "childlink/sex.h"

static void expect_code(const char *s, char want)
{
    char code = '?';
    const char *reason = "unset";
    cl_check got = cl_sex_parse(s, strlen(s), &code, &reason);
    if (got != CL_CHECK_VALID || code != want)
        fail_msg("'%s': got %d '%c', wanted '%c'", s, (int)got, code ? code : '0', want);
    assert_null(reason);
}

static void expect_unknown(const char *s)
{
    char code = '?';
    const char *reason = "unset";
    cl_check got = cl_sex_parse(s, strlen(s), &code, &reason);
    if (got != CL_CHECK_INVALID)
        fail_msg("'%s' should be refused, got %d '%c'", s, (int)got, code);
    assert_string_equal(reason, "unknown_code");
    assert_int_equal(code, 0);
}

static void test_nhs_data_dictionary_codes(void **state)
{
    (void)state;
    expect_code("1", 'M');
    expect_code("2", 'F');
    expect_code("9", 'I');
    expect_code("0", 'U');
    expect_code("X", 'U');
    expect_code("x", 'U');
}

static void test_dfe_and_letters(void **state)
{
    (void)state;
    expect_code("M", 'M');
    expect_code("F", 'F');
    expect_code("m", 'M');
    expect_code("f", 'F');
    expect_code("U", 'U');
    expect_code("I", 'I');
    expect_code(" M ", 'M');
    expect_code("\tF", 'F');
}

static void test_words(void **state)
{
    (void)state;
    expect_code("male", 'M');
    expect_code("Male", 'M');
    expect_code("MALE", 'M');
    expect_code("boy", 'M');
    expect_code("Man", 'M');
    expect_code("female", 'F');
    expect_code("Female", 'F');
    expect_code("GIRL", 'F');
    expect_code("woman", 'F');
    expect_code("Indeterminate", 'I');
    expect_code("unknown", 'U');
    expect_code("Not Known", 'U');
    expect_code("not  known", 'U');
    expect_code("NOT_KNOWN", 'U');
    expect_code("not-known", 'U');
    expect_code("notknown", 'U');
    expect_code("Not recorded", 'U');
    expect_code("not stated", 'U');
    expect_code("Not Specified", 'U');
    expect_code("NK", 'U');
    expect_code("n/k", 'U');
    expect_code("  female  ", 'F');
}

static void test_missing_is_not_unknown(void **state)
{
    (void)state;
    char code = '?';
    const char *reason = NULL;
    assert_int_equal(cl_sex_parse("", 0, &code, &reason), CL_CHECK_MISSING);
    assert_int_equal(code, 0);
    assert_string_equal(reason, "missing");
    assert_int_equal(cl_sex_parse("   ", 3, &code, NULL), CL_CHECK_MISSING);
    assert_int_equal(cl_sex_parse(NULL, 0, &code, NULL), CL_CHECK_MISSING);
}

static void test_unrecognised(void **state)
{
    (void)state;
    const char *bad[] = {
        "3", "8", "10", "12", "A", "Z", "-", "_", "males", "mal", "fem", "femal",
        "m.", "M F", "other", "gentleman", "not", "known", "female female",
        "indeterminate!", "notknownnotknown", "\xc3\xa9", "M\n",
        "a very long value that is nothing like a sex code at all",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_unknown(bad[i]);
    /* Bytes given, not up to a NUL. */
    char code;
    const char *reason;
    assert_int_equal(cl_sex_parse("male", 3, &code, &reason), CL_CHECK_INVALID);
    assert_int_equal(cl_sex_parse("M\0", 2, &code, &reason), CL_CHECK_INVALID);
    assert_int_equal(cl_sex_parse("female", 1, &code, &reason), CL_CHECK_VALID);
    assert_int_equal(code, 'F');
}

static void test_long_input(void **state)
{
    (void)state;
    static char big[1 << 16];
    memset(big, 'm', sizeof big);
    char code = '?';
    const char *reason;
    assert_int_equal(cl_sex_parse(big, sizeof big, &code, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "unknown_code");
    memset(big, ' ', sizeof big);
    big[sizeof big / 2] = 'F';
    assert_int_equal(cl_sex_parse(big, sizeof big, &code, &reason), CL_CHECK_VALID);
    assert_int_equal(code, 'F');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nhs_data_dictionary_codes),
        cmocka_unit_test(test_dfe_and_letters),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_missing_is_not_unknown),
        cmocka_unit_test(test_unrecognised),
        cmocka_unit_test(test_long_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
