/*
 * sex.c - sex/gender codes onto M, F, I, U (see sex.h).
 *
 * The value is trimmed, lower-cased and its internal runs of spaces,
 * underscores and hyphens squeezed to one space ("Not_Known", "not  known"
 * and "NOT-KNOWN" are one word), into a small stack buffer; then it is looked
 * up.  Single characters, by far the most common input, go through a switch;
 * words through a short table.  Anything longer than the longest word is
 * unrecognised without being read to the end.
 *
 * Codes, by source:
 *   NHS Data Dictionary (person stated gender): 1 male, 2 female,
 *     9 indeterminate, X and 0 not known
 *   DfE school census: M, F (and U where suppliers add it)
 *   words: male/female, boy/girl, man/woman, indeterminate, unknown,
 *     not known, not recorded, not stated, not specified, n/k
 * "Not known" means somebody recorded that the sex is not known; it is kept
 * apart from a missing (empty) value, which records nothing.
 */
#include <string.h>

#include "childlink/sex.h"

#define WORD_MAX 16

typedef struct sex_word {
    const char *word;
    char code;
} sex_word;

static const sex_word words[] = {
    {"male", 'M'},          {"boy", 'M'},           {"man", 'M'},
    {"female", 'F'},        {"girl", 'F'},          {"woman", 'F'},
    {"indeterminate", 'I'}, {"unknown", 'U'},       {"not known", 'U'},
    {"notknown", 'U'},      {"not recorded", 'U'},  {"not stated", 'U'},
    {"not specified", 'U'}, {"nk", 'U'},            {"n/k", 'U'},
};

static char single_code(unsigned char c)
{
    switch (c) {
    case '1': case 'm': return 'M';
    case '2': case 'f': return 'F';
    case '9': case 'i': return 'I';
    case '0': case 'x': case 'u': return 'U';
    default: return 0;
    }
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t';
}

cl_check cl_sex_parse(const char *in, size_t len, char *code, const char **reason)
{
    const unsigned char *s = (const unsigned char *)in;
    char buf[WORD_MAX + 1];
    size_t n = 0;
    int pending_space = 0, seen_separator = 0;

    *code = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (is_space(c) || c == '_' || c == '-') {
            seen_separator |= !is_space(c);
            pending_space = n > 0;
            continue;
        }
        if (pending_space) {
            if (n >= WORD_MAX)
                goto unknown;
            buf[n++] = ' ';
            pending_space = 0;
        }
        if (n >= WORD_MAX)
            goto unknown;
        buf[n++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    if (n == 0 && !seen_separator) {
        if (reason)
            *reason = "missing";
        return CL_CHECK_MISSING;
    }
    if (n == 0) {
        goto unknown;
    } else if (n == 1) {
        *code = single_code((unsigned char)buf[0]);
    } else {
        buf[n] = '\0';
        for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
            if (strcmp(buf, words[k].word) == 0) {
                *code = words[k].code;
                break;
            }
        }
    }
    if (*code == 0)
        goto unknown;
    if (reason)
        *reason = NULL;
    return CL_CHECK_VALID;

unknown:
    *code = 0;
    if (reason)
        *reason = "unknown_code";
    return CL_CHECK_INVALID;
}
