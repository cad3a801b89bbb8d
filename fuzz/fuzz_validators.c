/*
 * fuzz_validators.c - libFuzzer target for the identifier validators.
 *
 * Every input goes through every validator (NHS number, UPN, postcode, date
 * of birth in each format, sex).  Besides crashes and sanitizer reports, the
 * target checks that each verdict is consistent with itself:
 *   - a valid value's standard form is valid again and unchanged (the
 *     validators are idempotent, so `clean` output re-validates);
 *   - a valid NHS number's digits recompute its check digit, and a valid
 *     UPN's tail recomputes its check letter;
 *   - a valid date formats as yyyy-mm-dd and re-parses to the same day
 *     number, within the limits it was checked against;
 *   - invalid results carry a documented reason and leave outputs empty
 *     where the contract says so.
 * A broken invariant aborts, which libFuzzer reports with the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/date.h"
#include "childlink/nhs.h"
#include "childlink/postcode.h"
#include "childlink/sex.h"
#include "childlink/upn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                     \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_validators: invariant failed: %s (line %d)\n", #cond,   \
                    __LINE__);                                                            \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static int one_of(const char *reason, const char *const *list)
{
    if (reason == NULL)
        return 0;
    for (; *list; list++)
        if (strcmp(reason, *list) == 0)
            return 1;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void fuzz_nhs(const char *s, size_t n)
{
    static const char *const reasons[] = {"wrong_length",   "non_digit",  "check_digit_10",
                                          "bad_check_digit", "all_same_digit", "test_range",
                                          NULL};
    char out[11];
    const char *reason = "unset";
    cl_check r = cl_nhs_check(s, n, out, &reason);
    REQUIRE(strlen(out) == 0 || (strlen(out) == 10 && all_digits(out, 10)));
    if (r == CL_CHECK_MISSING) {
        REQUIRE(blank(s, n) && out[0] == '\0');
        return;
    }
    if (r == CL_CHECK_INVALID) {
        REQUIRE(one_of(reason, reasons));
        int digits_kept = strcmp(reason, "wrong_length") != 0 && strcmp(reason, "non_digit") != 0;
        REQUIRE(digits_kept == (out[0] != '\0'));
        return;
    }
    REQUIRE(r == CL_CHECK_VALID && reason == NULL);
    int check = cl_nhs_check_digit(out);
    REQUIRE(check == out[9] - '0');
    REQUIRE(memcmp(out, "999", 3) != 0);
    REQUIRE(strspn(out, (char[]){out[0], '\0'}) != 10);
    char again[11];
    REQUIRE(cl_nhs_check(out, 10, again, NULL) == CL_CHECK_VALID);
    REQUIRE(strcmp(again, out) == 0);
}

static void fuzz_upn(const char *s, size_t n)
{
    static const char *const reasons[] = {"wrong_length", "bad_character", "bad_check_letter",
                                          NULL};
    char out[14];
    int temporary = -1;
    const char *reason = "unset";
    cl_check r = cl_upn_check(s, n, out, &temporary, &reason);
    REQUIRE(temporary == 0 || temporary == 1);
    if (r == CL_CHECK_MISSING) {
        REQUIRE(blank(s, n) && out[0] == '\0' && temporary == 0);
        return;
    }
    if (r == CL_CHECK_INVALID) {
        REQUIRE(one_of(reason, reasons));
        REQUIRE((strcmp(reason, "bad_check_letter") == 0) == (out[0] != '\0'));
        REQUIRE(out[0] != '\0' || temporary == 0);
        return;
    }
    REQUIRE(r == CL_CHECK_VALID && reason == NULL && strlen(out) == 13);
    REQUIRE(cl_upn_check_letter(out + 1) == out[0]);
    REQUIRE(all_digits(out + 1, 11));
    REQUIRE(temporary == !all_digits(out + 12, 1));
    char again[14];
    int temporary_again = -1;
    REQUIRE(cl_upn_check(out, 13, again, &temporary_again, NULL) == CL_CHECK_VALID);
    REQUIRE(strcmp(again, out) == 0 && temporary_again == temporary);
}

static void fuzz_postcode(const char *s, size_t n)
{
    cl_postcode pc;
    const char *reason = "unset";
    cl_check r = cl_postcode_parse(s, n, &pc, &reason);
    if (r != CL_CHECK_VALID) {
        REQUIRE(pc.full[0] == '\0' && pc.district[0] == '\0' && pc.sector[0] == '\0' &&
                pc.area[0] == '\0');
        if (r == CL_CHECK_MISSING)
            REQUIRE(blank(s, n));
        else
            REQUIRE(reason && (strcmp(reason, "wrong_length") == 0 ||
                               strcmp(reason, "bad_format") == 0));
        return;
    }
    REQUIRE(reason == NULL);
    size_t full_len = strlen(pc.full), district_len = strlen(pc.district);
    REQUIRE(full_len >= 6 && full_len <= 8);
    REQUIRE(district_len == full_len - 4 && pc.full[district_len] == ' ');
    REQUIRE(memcmp(pc.full, pc.district, district_len) == 0);
    REQUIRE(strlen(pc.sector) == district_len + 2 &&
            memcmp(pc.full, pc.sector, district_len + 2) == 0);
    REQUIRE(strncmp(pc.district, pc.area, strlen(pc.area)) == 0);
    REQUIRE(strlen(pc.area) <= 2);
    cl_postcode again;
    REQUIRE(cl_postcode_parse(pc.full, full_len, &again, NULL) == CL_CHECK_VALID);
    REQUIRE(strcmp(again.full, pc.full) == 0 && strcmp(again.district, pc.district) == 0 &&
            strcmp(again.sector, pc.sector) == 0 && strcmp(again.area, pc.area) == 0);
}

static void fuzz_date(const char *s, size_t n, const cl_date_options *opt)
{
    static const char *const reasons[] = {"bad_format", "two_digit_year", "impossible_date",
                                          "future_date", "too_old", NULL};
    int32_t days = INT32_MIN;
    const char *reason = "unset";
    cl_check r = cl_date_parse(s, n, opt, &days, &reason);
    if (r == CL_CHECK_MISSING) {
        REQUIRE(blank(s, n) && days == INT32_MIN);
        return;
    }
    if (r == CL_CHECK_INVALID) {
        REQUIRE(one_of(reason, reasons) && days == INT32_MIN);
        REQUIRE(strcmp(reason, "two_digit_year") != 0 || opt->pivot_year == 0);
        return;
    }
    REQUIRE(r == CL_CHECK_VALID && reason == NULL);
    REQUIRE(days <= opt->today);
    int y, m, d;
    cl_date_to_ymd(days, &y, &m, &d);
    REQUIRE(cl_date_is_valid_ymd(y, m, d));
    REQUIRE(y >= (opt->min_year ? opt->min_year : 1880));
    REQUIRE(cl_date_from_ymd(y, m, d) == days);
    char iso[11];
    cl_date_format_iso(days, iso);
    REQUIRE(strlen(iso) == 10);
    cl_date_options iso_opt = *opt;
    iso_opt.format = CL_DATE_ISO;
    int32_t again = INT32_MIN;
    REQUIRE(cl_date_parse(iso, 10, &iso_opt, &again, NULL) == CL_CHECK_VALID);
    REQUIRE(again == days);
}

static void fuzz_sex(const char *s, size_t n)
{
    char code = '?';
    const char *reason = "unset";
    cl_check r = cl_sex_parse(s, n, &code, &reason);
    if (r == CL_CHECK_MISSING) {
        REQUIRE(blank(s, n) && code == 0);
        return;
    }
    if (r == CL_CHECK_INVALID) {
        REQUIRE(reason && strcmp(reason, "unknown_code") == 0 && code == 0);
        return;
    }
    REQUIRE(reason == NULL && code && strchr("MFIU", code) != NULL);
    char again = 0;
    REQUIRE(cl_sex_parse(&code, 1, &again, NULL) == CL_CHECK_VALID && again == code);
}

static void fuzz_day_numbers(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    int32_t days = (int32_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 |
                             (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
    /* Keep years within int range in the intermediate arithmetic. */
    days /= 2;
    int y, m, d;
    cl_date_to_ymd(days, &y, &m, &d);
    REQUIRE(cl_date_is_valid_ymd(y, m, d));
    REQUIRE(cl_date_from_ymd(y, m, d) == days);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    fuzz_nhs(s, size);
    fuzz_upn(s, size);
    fuzz_postcode(s, size);
    fuzz_sex(s, size);
    fuzz_day_numbers(data, size);

    /* Dates under every format, with and without a pivot; the last byte
     * picks a pivot year so two-digit years are explored too. */
    cl_date_options opt = {CL_DATE_AUTO, 0, 19875 /* 2024-06-01 */, 0};
    for (int format = CL_DATE_AUTO; format <= CL_DATE_YYYYMMDD; format++) {
        opt.format = (cl_date_format)format;
        opt.pivot_year = 0;
        opt.min_year = 0;
        fuzz_date(s, size, &opt);
        opt.pivot_year = size ? 1900 + data[size - 1] : 2024;
        opt.min_year = 1800;
        fuzz_date(s, size, &opt);
    }
    return 0;
}
