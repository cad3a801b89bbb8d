/*
 * postcode.c - UK postcode parsing (see postcode.h).
 *
 * Spaces are dropped and letters upper-cased first, so "sw1a1aa",
 * " SW1A  1AA " and "S W1A1AA" all read as SW1A1AA; what is left must be 5 to
 * 7 characters.  The last three are the inward code (sector digit, two unit
 * letters); the rest is the outward code, which must have one of the six
 * Royal Mail shapes:
 *
 *   A9  A99  AA9  AA99  A9A  AA9A      (A a letter, 9 a digit)
 *
 * with the letters each position allows (Royal Mail's postcode format notes,
 * as restated in the Government Data Standards Catalogue; older copies omit
 * P from the A9A list, but N1P and W1P are in use):
 *
 *   first letter                 any but Q V X
 *   second letter                any but I J Z
 *   letter after digit in A9A    A B C D E F G H J K P S T U W
 *   letter after digit in AA9A   A B E H M N P R V W X Y
 *   inward unit letters          any but C I K M O V
 *
 * GIR 0AA (the old Girobank code) breaks these rules and is accepted by
 * name.  It belongs to no postcode area, so its `area` is "".
 *
 * Each letter rule is a 26-bit mask, so a position is checked with one shift
 * and one AND; a parse is a few dozen instructions and allocates nothing.
 */
#include <string.h>

#include "childlink/postcode.h"

#define BIT(c) (1u << ((c) - 'A'))
#define ALL_LETTERS ((1u << 26) - 1u)

static const uint32_t first_letters = ALL_LETTERS & ~(BIT('Q') | BIT('V') | BIT('X'));
static const uint32_t second_letters = ALL_LETTERS & ~(BIT('I') | BIT('J') | BIT('Z'));
static const uint32_t a9a_letters = BIT('A') | BIT('B') | BIT('C') | BIT('D') | BIT('E') |
                                    BIT('F') | BIT('G') | BIT('H') | BIT('J') | BIT('K') |
                                    BIT('P') | BIT('S') | BIT('T') | BIT('U') | BIT('W');
static const uint32_t aa9a_letters = BIT('A') | BIT('B') | BIT('E') | BIT('H') | BIT('M') |
                                     BIT('N') | BIT('P') | BIT('R') | BIT('V') | BIT('W') |
                                     BIT('X') | BIT('Y');
static const uint32_t unit_letters =
    ALL_LETTERS & ~(BIT('C') | BIT('I') | BIT('K') | BIT('M') | BIT('O') | BIT('V'));

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Whether `c` is an upper-case letter in the set `mask`. */
static int letter_in(unsigned char c, uint32_t mask)
{
    return c >= 'A' && c <= 'Z' && ((mask >> (c - 'A')) & 1u);
}

/* Whether the `n` characters of `s` (upper case, no spaces) form a valid
 * outward code; `*area_len` receives the number of leading letters. */
static int outward_ok(const unsigned char *s, size_t n, size_t *area_len)
{
    if (!letter_in(s[0], first_letters))
        return 0;
    if (is_digit(s[1])) {
        *area_len = 1;
        if (n == 2)
            return 1;                                  /* A9 */
        if (n == 3)
            return is_digit(s[2]) || letter_in(s[2], a9a_letters); /* A99, A9A */
        return 0;
    }
    if (!letter_in(s[1], second_letters) || n < 3 || !is_digit(s[2]))
        return 0;
    *area_len = 2;
    if (n == 3)
        return 1;                                      /* AA9 */
    return is_digit(s[3]) || letter_in(s[3], aa9a_letters); /* AA99, AA9A */
}

static void clear(cl_postcode *out)
{
    out->full[0] = '\0';
    out->district[0] = '\0';
    out->sector[0] = '\0';
    out->area[0] = '\0';
}

cl_check cl_postcode_parse(const char *in, size_t len, cl_postcode *out, const char **reason)
{
    unsigned char s[7];
    size_t n = 0;
    const char *why = NULL;

    clear(out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_space(c))
            continue;
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (n < 7)
            s[n] = c;
        if (++n > 7)
            break;
    }
    if (n == 0) {
        if (reason)
            *reason = "missing";
        return CL_CHECK_MISSING;
    }
    if (n < 5 || n > 7) {
        why = "wrong_length";
        goto invalid;
    }

    size_t out_len = n - 3;
    const unsigned char *inward = s + out_len;
    size_t area_len = 0;
    int girobank = n == 6 && memcmp(s, "GIR0AA", 6) == 0;
    if (!girobank) {
        if (!outward_ok(s, out_len, &area_len) || !is_digit(inward[0]) ||
            !letter_in(inward[1], unit_letters) || !letter_in(inward[2], unit_letters)) {
            why = "bad_format";
            goto invalid;
        }
    }

    memcpy(out->district, s, out_len);
    out->district[out_len] = '\0';
    memcpy(out->full, s, out_len);
    out->full[out_len] = ' ';
    memcpy(out->full + out_len + 1, inward, 3);
    out->full[out_len + 4] = '\0';
    memcpy(out->sector, out->full, out_len + 2);
    out->sector[out_len + 2] = '\0';
    memcpy(out->area, s, area_len);
    out->area[area_len] = '\0';
    if (reason)
        *reason = NULL;
    return CL_CHECK_VALID;

invalid:
    if (reason)
        *reason = why;
    return CL_CHECK_INVALID;
}
