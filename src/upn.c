/*
 * upn.c - Unique Pupil Number validation (see upn.h).
 *
 * The rule (DfE "Unique pupil numbers (UPNs)" guidance, and the UK
 * Government Data Standards Catalogue entry "Unique Pupil Number" v2.0):
 *
 *   position 1      check letter
 *   positions 2-4   LA number            } 12 characters, all digits for a
 *   positions 5-8   establishment number } permanent UPN; a temporary UPN has
 *   positions 9-10  year of allocation   } a letter in position 13
 *   positions 11-13 serial
 *
 *   check = sum over positions p = 2..13 of p * value(character p), mod 23,
 *   where a digit's value is the digit and a letter's value is its index in
 *   ABCDEFGHJKLMNPQRTUVWXYZ (A=0 ... Z=22; I, O and S are never used); the
 *   check letter is that same alphabet's letter for the remainder.
 *
 * Worked example: 801200005001 gives 2*8 + 4*1 + 5*2 + 10*5 + 13*1 = 93,
 * 93 mod 23 = 1, so the UPN is B801200005001.
 *
 * Because 23 is prime and every weight and value is below 23, any single
 * wrong character and any swap of two adjacent different characters changes
 * the sum modulo 23, so the check letter catches it.
 *
 * LA numbers are not checked against the list of local authorities: the list
 * changes with reorganisations and old UPNs keep their original LA number.
 */
#include "childlink/upn.h"

static const char check_alphabet[24] = "ABCDEFGHJKLMNPQRTUVWXYZ";

/* Value of a letter in the check alphabet (upper case), or -1. */
static int letter_value(unsigned char c)
{
    /* Indexed by c - 'A'; -1 for I, O, S. */
    static const signed char value[26] = {
        0,  1,  2,  3,  4,  5,  6,  7,  -1, 8,  9,  10, 11,
        12, -1, 13, 14, 15, -1, 16, 17, 18, 19, 20, 21, 22,
    };
    if (c < 'A' || c > 'Z')
        return -1;
    return value[c - 'A'];
}

/* Value of character `pos` (2..13) of a UPN, or -1 if not allowed there. */
static int tail_value(unsigned char c, int pos)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return pos == 13 ? letter_value(c) : -1;
}

char cl_upn_check_letter(const char tail[12])
{
    int sum = 0;
    for (int i = 0; i < 12; i++) {
        int v = tail_value((unsigned char)tail[i], i + 2);
        if (v < 0)
            return 0;
        sum += v * (i + 2);
    }
    return check_alphabet[sum % 23];
}

static unsigned char ascii_upper(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t';
}

cl_check cl_upn_check(const char *in, size_t len, char out[14], int *temporary,
                      const char **reason)
{
    char upn[13];
    size_t n = 0;
    const char *why = NULL;

    out[0] = '\0';
    if (temporary)
        *temporary = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_space(c))
            continue;
        if (n < 13)
            upn[n] = (char)ascii_upper(c);
        if (++n > 13)
            break; /* already too long: no need to read the rest */
    }
    if (n == 0) {
        if (reason)
            *reason = "missing";
        return CL_CHECK_MISSING;
    }
    if (n != 13) {
        why = "wrong_length";
        goto invalid;
    }
    if (letter_value((unsigned char)upn[0]) < 0) {
        why = "bad_character";
        goto invalid;
    }
    for (int pos = 2; pos <= 13; pos++) {
        if (tail_value((unsigned char)upn[pos - 1], pos) < 0) {
            why = "bad_character";
            goto invalid;
        }
    }
    for (int i = 0; i < 13; i++)
        out[i] = upn[i];
    out[13] = '\0';
    if (temporary)
        *temporary = upn[12] >= 'A';
    if (cl_upn_check_letter(upn + 1) != upn[0]) {
        why = "bad_check_letter";
        goto invalid;
    }
    if (reason)
        *reason = NULL;
    return CL_CHECK_VALID;

invalid:
    if (reason)
        *reason = why;
    return CL_CHECK_INVALID;
}
