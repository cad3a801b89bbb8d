/*
 * fuzz_name.c - libFuzzer target for cl_name_key and cl_name_tidy.
 *
 * The first input byte chooses the flags, the input form (raw bytes, or
 * byte pairs that pick code points from interesting ranges) and a small
 * output capacity; the rest is the name.  For every input it checks the properties callers rely
 * on, which no table of examples can cover:
 *   - with CL_NAME_OUT_CAP(len) the result is never "too_long", and a valid
 *     result is valid UTF-8, NUL-terminated inside the buffer, with no
 *     leading, trailing or doubled spaces and no empty alternatives;
 *   - key(key(x)) == key(x) and tidy(tidy(x)) == tidy(x);
 *   - the ASCII fast path and the Unicode path agree (a zero-width space in
 *     front forces the Unicode path and must change nothing);
 *   - with a small capacity the call either gives the same answer or says
 *     "too_long", and never writes past the capacity;
 *   - the phonetic codes of any key are well formed.
 * Build: make BUILD=build-NAME build-NAME/fuzz/fuzz_name
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/name.h"
#include "childlink/phonetic.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz_name: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                          \
            abort();                                                                 \
        }                                                                            \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c < 0xE0) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c < 0xF0) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c < 0xF5) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i - 1 < need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* The shape every valid output has. */
static void check_shape(const char *out, size_t cap)
{
    size_t n = strnlen(out, cap);
    CHECK(n < cap);
    CHECK(n > 0);
    CHECK(valid_utf8(out, n));
    CHECK(out[0] != ' ' && out[0] != '|');
    CHECK(out[n - 1] != ' ' && out[n - 1] != '|');
    CHECK(strstr(out, "  ") == NULL);
    CHECK(strstr(out, "||") == NULL);
    CHECK(strstr(out, " |") == NULL);
    CHECK(strstr(out, "| ") == NULL);
}

typedef cl_check (*standardise_fn)(const char *in, size_t len, unsigned flags, char *out,
                                   size_t cap, const char **reason);

static cl_check key_fn(const char *in, size_t len, unsigned flags, char *out, size_t cap,
                       const char **reason)
{
    return cl_name_key(in, len, flags, out, cap, reason);
}

static cl_check tidy_fn(const char *in, size_t len, unsigned flags, char *out, size_t cap,
                        const char **reason)
{
    (void)flags;
    return cl_name_tidy(in, len, out, cap, reason);
}

static void exercise(standardise_fn fn, const char *in, size_t len, unsigned flags,
                     size_t small_cap, int is_key)
{
    size_t cap = CL_NAME_OUT_CAP(len);
    char *out = malloc(cap);
    char *again = malloc(cap);
    CHECK(out != NULL && again != NULL);
    const char *reason = NULL;
    cl_check r = fn(in, len, flags, out, cap, &reason);
    CHECK(r == CL_CHECK_VALID || r == CL_CHECK_MISSING || r == CL_CHECK_INVALID);
    if (r == CL_CHECK_INVALID) {
        CHECK(reason != NULL);
        CHECK(strcmp(reason, "bad_utf8") == 0 || strcmp(reason, "no_letters") == 0);
        CHECK((strcmp(reason, "bad_utf8") == 0) == !valid_utf8(in, len));
        CHECK(out[0] == '\0' || strcmp(reason, "bad_utf8") == 0);
    } else {
        CHECK(reason == NULL);
        CHECK(valid_utf8(in, len));
    }
    if (r == CL_CHECK_MISSING)
        CHECK(out[0] == '\0');

    if (r == CL_CHECK_VALID) {
        check_shape(out, cap);
        size_t n = strlen(out);
        /* Idempotent. */
        const char *reason2 = NULL;
        cl_check r2 = fn(out, n, flags, again, CL_NAME_OUT_CAP(n), &reason2);
        if (r2 != CL_CHECK_VALID || strcmp(out, again) != 0) {
            fprintf(stderr, "not idempotent:\n  first:  [%s]\n  second: [%s] (%d)\n", out,
                    again, (int)r2);
            abort();
        }
        if (is_key) {
            char sx[5], ny[7];
            cl_soundex(out, sx);
            cl_nysiis(out, ny);
            size_t sl = strlen(sx), nl = strlen(ny);
            CHECK(sl == 0 || sl == 4);
            CHECK(nl <= 6);
            CHECK((sl == 0) == (nl == 0));
        }
    }

    /* The Unicode path must agree with the ASCII path. */
    if (r != CL_CHECK_INVALID || strcmp(reason, "bad_utf8") != 0) {
        char *pre = malloc(len + 3);
        CHECK(pre != NULL);
        memcpy(pre, "\xE2\x80\x8B", 3); /* U+200B zero-width space */
        memcpy(pre + 3, in, len);
        size_t pcap = CL_NAME_OUT_CAP(len + 3);
        char *pout = malloc(pcap);
        CHECK(pout != NULL);
        const char *preason = NULL;
        cl_check pr = fn(pre, len + 3, flags, pout, pcap, &preason);
        if (pr != r || strcmp(pout, out) != 0) {
            fprintf(stderr, "paths differ:\n  plain:   [%s] (%d)\n  unicode: [%s] (%d)\n", out,
                    (int)r, pout, (int)pr);
            abort();
        }
        free(pre);
        free(pout);
    }

    /* A small buffer: the same answer, or too_long; never an overrun (ASan
     * watches the exact-size heap block). */
    char *small = small_cap > 0 ? malloc(small_cap) : NULL;
    CHECK(small_cap == 0 || small != NULL);
    const char *sreason = NULL;
    cl_check sr = fn(in, len, flags, small, small_cap, &sreason);
    if (sr == CL_CHECK_INVALID && strcmp(sreason, "too_long") == 0) {
        CHECK(r != CL_CHECK_INVALID || strcmp(reason, "bad_utf8") != 0);
        CHECK(small_cap == 0 || small[0] == '\0');
    } else {
        CHECK(sr == r);
        if (r == CL_CHECK_INVALID)
            CHECK(strcmp(sreason, reason) == 0);
        if (r == CL_CHECK_VALID) {
            CHECK(strnlen(small, small_cap) < small_cap);
            CHECK(strcmp(small, out) == 0);
        }
    }
    free(small);
    free(out);
    free(again);
}

/* Ranges that hold the interesting cases: separators, marks, scripts with
 * and without case, Hangul jamo, compatibility forms.  Random bytes rarely
 * form valid UTF-8 in these ranges, so "code point mode" builds it. */
static const uint32_t RANGES[16][2] = {
    {0x20, 0x7F},       {0xA0, 0x24F},      {0x300, 0x36F},   {0x370, 0x52F},
    {0x590, 0x6FF},     {0x900, 0x9FF},     {0xE00, 0xE7F},   {0x1100, 0x11FF},
    {0x1E00, 0x1FFF},   {0x2000, 0x218F},   {0x3000, 0x30FF}, {0xAC00, 0xAC40},
    {0xFB00, 0xFDFF},   {0xFE00, 0xFFEF},   {0x20, 0x7F},     {0x0, 0x10FFFF},
};

static size_t put_utf8(uint32_t cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Names from many scripts, run through every check once at start-up, so a
 * short smoke run covers the Unicode paths even without a seed corpus. */
static const char *const BUILT_IN[] = {
    "  O'Brien ", "Dr. John  Paul", "Jose\xcc\x81", "Zoë", "Łukasz", "Søren|Soren", "Straße",
    "Иван", "ΝΙΚΟΣ", "مُحَمَّد", "أحمد", "שָׁלוֹם", "রবীন্দ্রনাথ", "मोहन", "王小明", "김민준",
    "\xe1\x84\x80\xe1\x85\xb5", "ｶﾞﾝﾀﾞﾑ", "BABY SMITH", "Twin 1|Baby of", "Gal·la",
    "约翰·史密斯", "İsmail Işık", "Æsa Þór", "Nguyễn", "ǅemal", "Ⅻ", "ﷺ", "a\xcc\x81\xcc\x82",
    "σ'α", "ΑΣ1", "N/K", "Mr|Mrs|Ms", "Smith｜Jones", "\xef\xbb\xbf", "-", "123|abc",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof BUILT_IN / sizeof BUILT_IN[0]; i++) {
        for (size_t cap = 0; cap < 40; cap += 13) {
            exercise(key_fn, BUILT_IN[i], strlen(BUILT_IN[i]), 0, cap, 1);
            exercise(key_fn, BUILT_IN[i], strlen(BUILT_IN[i]), CL_NAME_FORENAMES, cap, 1);
            exercise(tidy_fn, BUILT_IN[i], strlen(BUILT_IN[i]), 0, cap, 0);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned flags = data[0] & 1u;
    int cp_mode = (data[0] & 2u) != 0;
    size_t small_cap = (size_t)(data[0] >> 2);
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char *built = NULL;
    if (cp_mode) {
        /* Each byte pair picks a range (high nibble) and a code point in it. */
        built = malloc(2 * len + 1);
        CHECK(built != NULL);
        size_t n = 0;
        for (size_t i = 0; i + 1 < len; i += 2) {
            unsigned v = ((unsigned)data[1 + i] << 8) | data[2 + i];
            const uint32_t *r = RANGES[v >> 12];
            uint32_t span = r[1] - r[0] + 1;
            uint32_t cp = r[0] + (uint32_t)((v & 0xFFF) * 0x111u) % span;
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            n += put_utf8(cp, built + n);
        }
        in = built;
        len = n;
    }
    exercise(key_fn, in, len, flags, small_cap, 1);
    exercise(tidy_fn, in, len, 0, small_cap, 0);
    free(built);
    return 0;
}
