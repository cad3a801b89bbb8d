/*
 * test_postcode.c - UK postcode parsing: each of the six shapes, GIR 0AA,
 * normalisation of case and spacing, the derived fields, and the letters each
 * position allows, checked for all 26 letters against the Royal Mail lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "childlink/postcode.h"

static cl_check parse(const char *s, cl_postcode *pc, const char **reason)
{
    return cl_postcode_parse(s, strlen(s), pc, reason);
}

static void expect_valid(const char *s, const char *full, const char *district,
                         const char *sector, const char *area)
{
    cl_postcode pc;
    const char *reason = "unset";
    assert_int_equal(parse(s, &pc, &reason), CL_CHECK_VALID);
    assert_null(reason);
    assert_string_equal(pc.full, full);
    assert_string_equal(pc.district, district);
    assert_string_equal(pc.sector, sector);
    assert_string_equal(pc.area, area);
    /* The normal form parses to itself. */
    cl_postcode again;
    assert_int_equal(parse(pc.full, &again, NULL), CL_CHECK_VALID);
    assert_string_equal(again.full, pc.full);
}

static void expect_invalid(const char *s, const char *want)
{
    cl_postcode pc;
    memset(&pc, 'x', sizeof pc);
    const char *reason = "unset";
    assert_int_equal(parse(s, &pc, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, want);
    assert_string_equal(pc.full, "");
    assert_string_equal(pc.district, "");
    assert_string_equal(pc.sector, "");
    assert_string_equal(pc.area, "");
}

static int accepted(const char *s)
{
    cl_postcode pc;
    return parse(s, &pc, NULL) == CL_CHECK_VALID;
}

static void test_six_shapes(void **state)
{
    (void)state;
    expect_valid("M1 1AE", "M1 1AE", "M1", "M1 1", "M");              /* A9 */
    expect_valid("M60 1NW", "M60 1NW", "M60", "M60 1", "M");          /* A99 */
    expect_valid("CR2 6XH", "CR2 6XH", "CR2", "CR2 6", "CR");         /* AA9 */
    expect_valid("DN55 1PT", "DN55 1PT", "DN55", "DN55 1", "DN");     /* AA99 */
    expect_valid("W1A 0AX", "W1A 0AX", "W1A", "W1A 0", "W");          /* A9A */
    expect_valid("EC1A 1BB", "EC1A 1BB", "EC1A", "EC1A 1", "EC");     /* AA9A */
    expect_valid("SW1A 1AA", "SW1A 1AA", "SW1A", "SW1A 1", "SW");
    expect_valid("N1C 4AG", "N1C 4AG", "N1C", "N1C 4", "N");
    expect_valid("SE1P 5LX", "SE1P 5LX", "SE1P", "SE1P 5", "SE");
    expect_valid("BT1 5GS", "BT1 5GS", "BT1", "BT1 5", "BT");
}

static void test_girobank(void **state)
{
    (void)state;
    expect_valid("GIR 0AA", "GIR 0AA", "GIR", "GIR 0", "");
    expect_valid("gir0aa", "GIR 0AA", "GIR", "GIR 0", "");
    /* Only GIR 0AA itself is excepted from the rules. */
    expect_invalid("GIR 0AB", "bad_format");
    expect_invalid("GIR 1AA", "bad_format");
}

static void test_normalises_case_and_spacing(void **state)
{
    (void)state;
    expect_valid("sw1a1aa", "SW1A 1AA", "SW1A", "SW1A 1", "SW");
    expect_valid(" SW1A  1AA ", "SW1A 1AA", "SW1A", "SW1A 1", "SW");
    expect_valid("\tsW1a 1aA\t", "SW1A 1AA", "SW1A", "SW1A 1", "SW");
    expect_valid("S W 1 A 1 A A", "SW1A 1AA", "SW1A", "SW1A 1", "SW");
    expect_valid("m11ae", "M1 1AE", "M1", "M1 1", "M");
    expect_valid("B338TH", "B33 8TH", "B33", "B33 8", "B");
}

static void test_missing(void **state)
{
    (void)state;
    cl_postcode pc;
    const char *reason = NULL;
    assert_int_equal(cl_postcode_parse("", 0, &pc, &reason), CL_CHECK_MISSING);
    assert_string_equal(reason, "missing");
    assert_string_equal(pc.full, "");
    assert_int_equal(parse("   \t", &pc, &reason), CL_CHECK_MISSING);
}

static void test_wrong_length(void **state)
{
    (void)state;
    expect_invalid("SW1", "wrong_length");
    expect_invalid("M1 1A", "wrong_length");
    expect_invalid("SW1A 1AAA", "wrong_length");
    expect_invalid("SW1A-1AA", "wrong_length");
    expect_invalid("SW1A 1AA, London", "wrong_length");
    /* Bytes given, not up to a NUL. */
    cl_postcode pc;
    const char *reason;
    assert_int_equal(cl_postcode_parse("SW1A 1AA", 4, &pc, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "wrong_length");
}

static void test_bad_format(void **state)
{
    (void)state;
    expect_invalid("SW1A1A", "bad_format");     /* inward must be 9AA */
    expect_invalid("SW1A AAA", "bad_format");
    expect_invalid("SW1A 11A", "bad_format");
    expect_invalid("12345", "bad_format");
    expect_invalid("1W1A 1AA", "bad_format");
    expect_invalid("SWAA 1AA", "bad_format");
    expect_invalid("S1AA 1AA", "bad_format");   /* A9AA is no shape */
    expect_invalid("SW1AA1AA", "wrong_length");
    expect_invalid("SW!A 1AA", "bad_format");
    expect_invalid("SW1A 1A\xc3\xa1", "wrong_length");
    expect_invalid("SW1\xc3\xa1 1AA", "wrong_length");
    expect_invalid("SW\xc3\xa1 1AA", "bad_format");
    cl_postcode pc;
    const char *reason;
    assert_int_equal(cl_postcode_parse("SW1\0 1AA", 8, &pc, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "bad_format");
}

/* For every letter, put it in one position of a template and compare the
 * verdict with the published list for that position. */
static void check_position(const char *template, int pos, const char *allowed)
{
    for (char c = 'A'; c <= 'Z'; c++) {
        char s[16];
        snprintf(s, sizeof s, "%s", template);
        s[pos] = c;
        int want = strchr(allowed, c) != NULL;
        if (accepted(s) != want)
            fail_msg("%s: letter %c %s", s, c, want ? "should pass" : "should fail");
        /* Lower case follows the same rule. */
        s[pos] = (char)(c - 'A' + 'a');
        assert_int_equal(accepted(s), want);
    }
}

static void test_letters_per_position(void **state)
{
    (void)state;
    const char *not_qvx = "ABCDEFGHIJKLMNOPRSTUWYZ";
    const char *not_ijz = "ABCDEFGHKLMNOPQRSTUVWXY";
    const char *unit = "ABDEFGHJLNPQRSTUWXYZ";   /* not C I K M O V */
    /* First position, in each shape. */
    check_position("A1 1AA", 0, not_qvx);
    check_position("A11 1AA", 0, not_qvx);
    check_position("AB1 1AA", 0, not_qvx);
    check_position("AB11 1AA", 0, not_qvx);
    check_position("A1A 1AA", 0, not_qvx);
    check_position("AB1A 1AA", 0, not_qvx);
    /* Second position when it is a letter. */
    check_position("AB1 1AA", 1, not_ijz);
    check_position("AB12 1AA", 1, not_ijz);
    check_position("EC1A 1AA", 1, not_ijz);
    /* Third position of A9A, fourth of AA9A. */
    check_position("W1A 1AA", 2, "ABCDEFGHJKPSTUW");
    check_position("EC1A 1AA", 3, "ABEHMNPRVWXY");
    /* Unit letters, in both places, after every shape of outward code. */
    check_position("M1 1AA", 4, unit);
    check_position("M1 1AA", 5, unit);
    check_position("EC1A 1AA", 6, unit);
    check_position("EC1A 1AA", 7, unit);
    check_position("DN55 1PT", 7, unit);
}

static void test_digits_where_letters_go(void **state)
{
    (void)state;
    for (char d = '0'; d <= '9'; d++) {
        char s[16];
        snprintf(s, sizeof s, "SW1A 1AA");
        s[6] = d;
        assert_false(accepted(s));
        snprintf(s, sizeof s, "SW1A 1AA");
        s[5] = d;   /* sector can be any digit */
        assert_true(accepted(s));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_six_shapes),
        cmocka_unit_test(test_girobank),
        cmocka_unit_test(test_normalises_case_and_spacing),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_wrong_length),
        cmocka_unit_test(test_bad_format),
        cmocka_unit_test(test_letters_per_position),
        cmocka_unit_test(test_digits_where_letters_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
