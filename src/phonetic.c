/*
 * phonetic.c - Soundex and NYSIIS codes of a comparison key (see phonetic.h).
 *
 * Both codes are English-language devices, so they read only the ASCII
 * letters of the key's first token (the token ends at a space, a '|' or
 * the end); other bytes, digits and non-Latin letters are skipped.  Keys
 * from cl_name_key are already lower case with diacritics removed, so
 * "Zoë" and "Zoe" get the same codes.  Neither function allocates.
 *
 * NYSIIS follows the rules published in R. L. Taft, "Name Search
 * Techniques" (New York State Identification and Intelligence System,
 * 1970), applied to the name as it is rewritten: a replacement made at one
 * position (SCH -> SSS, EV -> AF, PH -> FF) is what the following positions
 * see, and a letter equal to the last letter of the code is not added
 * again.  The ending rules (drop a final S, AY -> Y, drop a final A) are
 * applied once each, in that order, and the code is then cut to six
 * characters as in the original.  Two readings had to be chosen where the
 * published rules are silent: the first character of the code is never
 * removed by the ending rules ("A" stays "A"), and only the first
 * NYSIIS_MAX_LETTERS letters of a token are read (no real name is longer).
 */
#include <stdbool.h>
#include <string.h>

#include "childlink/phonetic.h"

#define NYSIIS_MAX_LETTERS 128

/* Copy the upper-cased ASCII letters of the first token of `key` into
 * `buf` (at most `cap`); returns how many. */
static size_t first_token_letters(const char *key, char *buf, size_t cap)
{
    size_t n = 0;
    if (key == NULL)
        return 0;
    for (const char *p = key; *p != '\0' && *p != ' ' && *p != '|' && n < cap; p++) {
        char c = *p;
        if (c >= 'a' && c <= 'z')
            buf[n++] = (char)(c - 'a' + 'A');
        else if (c >= 'A' && c <= 'Z')
            buf[n++] = c;
    }
    return n;
}

/* Soundex digit of an upper-case letter: '0' for vowels (they separate
 * equal codes), '-' for H and W (they do not). */
static char soundex_digit(char c)
{
    static const char digits[26] = {
        '0', '1', '2', '3', '0', '1', '2', '-', '0', '2', '2', '4', '5', /* A-M */
        '5', '0', '1', '2', '6', '2', '3', '0', '1', '-', '2', '0', '2', /* N-Z */
    };
    return digits[c - 'A'];
}

void cl_soundex(const char *key, char out[5])
{
    char letters[64];
    out[0] = '\0';
    /* Three digits never need more than a few letters per digit, but a run
     * of vowels or repeated consonants can be long: read the whole token
     * in pieces of 64. */
    const char *p = key;
    if (p == NULL)
        return;
    size_t k = 0;
    char last = '0';
    bool first = true;
    while (*p != '\0' && *p != ' ' && *p != '|' && k < 4) {
        size_t n = 0;
        while (*p != '\0' && *p != ' ' && *p != '|' && n < sizeof letters) {
            char c = *p++;
            if (c >= 'a' && c <= 'z')
                letters[n++] = (char)(c - 'a' + 'A');
            else if (c >= 'A' && c <= 'Z')
                letters[n++] = c;
        }
        for (size_t i = 0; i < n && k < 4; i++) {
            char d = soundex_digit(letters[i]);
            if (first) {
                out[k++] = letters[i];
                last = d == '-' ? '0' : d;
                first = false;
                continue;
            }
            if (d == '-')
                continue;
            if (d != '0' && d != last)
                out[k++] = d;
            last = d;
        }
    }
    if (k == 0)
        return;
    while (k < 4)
        out[k++] = '0';
    out[4] = '\0';
}

static bool nysiis_vowel(char c)
{
    return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

static bool starts(const char *name, size_t n, const char *prefix)
{
    size_t l = strlen(prefix);
    return n >= l && memcmp(name, prefix, l) == 0;
}

void cl_nysiis(const char *key, char out[7])
{
    char name[NYSIIS_MAX_LETTERS];
    char code[NYSIIS_MAX_LETTERS];
    size_t n = first_token_letters(key, name, sizeof name);
    out[0] = '\0';
    if (n == 0)
        return;

    /* Rule 1: the start of the name. */
    if (starts(name, n, "MAC"))
        memcpy(name, "MCC", 3);
    else if (starts(name, n, "KN"))
        memcpy(name, "NN", 2);
    else if (starts(name, n, "K"))
        name[0] = 'C';
    else if (starts(name, n, "PH") || starts(name, n, "PF"))
        memcpy(name, "FF", 2);
    else if (starts(name, n, "SCH"))
        memcpy(name, "SSS", 3);

    /* Rule 2: the end of the name; the second letter becomes a blank. */
    if (n >= 2) {
        char a = name[n - 2], b = name[n - 1];
        if ((a == 'E' || a == 'I') && b == 'E') {
            name[n - 2] = 'Y';
            n--;
        } else if ((a == 'D' || a == 'R' || a == 'N') && (b == 'T' || b == 'D') &&
                   !(a == 'D' && b == 'D')) {
            /* DT, RT, RD, NT, ND */
            name[n - 2] = 'D';
            n--;
        }
    }

    /* Rules 3-6: the first letter, then a scan from the second. */
    size_t k = 0;
    code[k++] = name[0];
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        char prev = name[i - 1];
        char next = i + 1 < n ? name[i + 1] : ' ';
        char next2 = i + 2 < n ? name[i + 2] : ' ';
        if (nysiis_vowel(c)) {
            if (c == 'E' && next == 'V') {
                name[i] = 'A';
                name[i + 1] = 'F';
            } else {
                name[i] = 'A';
            }
        } else if (c == 'Q') {
            name[i] = 'G';
        } else if (c == 'Z') {
            name[i] = 'S';
        } else if (c == 'M') {
            name[i] = 'N';
        } else if (c == 'K') {
            name[i] = next == 'N' ? 'N' : 'C';
        } else if (c == 'S' && next == 'C' && next2 == 'H') {
            name[i] = name[i + 1] = name[i + 2] = 'S';
        } else if (c == 'P' && next == 'H') {
            name[i] = name[i + 1] = 'F';
        } else if (c == 'H' && (!nysiis_vowel(prev) || !nysiis_vowel(next))) {
            name[i] = prev;
        } else if (c == 'W' && nysiis_vowel(prev)) {
            name[i] = prev;
        }
        if (name[i] != code[k - 1])
            code[k++] = name[i];
    }

    /* Rules 7-9: the end of the code, never its first character. */
    if (k > 1 && code[k - 1] == 'S')
        k--;
    if (k > 2 && code[k - 2] == 'A' && code[k - 1] == 'Y') {
        code[k - 2] = 'Y';
        k--;
    }
    if (k > 1 && code[k - 1] == 'A')
        k--;
    if (k > 6)
        k = 6;
    memcpy(out, code, k);
    out[k] = '\0';
}
