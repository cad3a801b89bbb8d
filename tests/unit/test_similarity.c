/*
 * test_similarity.c - the comparison kernels against published values and
 * against deliberately naive reference implementations written here (full
 * dynamic-programming tables, textbook Jaro with flag arrays), on exhaustive
 * small strings and on random strings in ASCII and multi-byte UTF-8.  Every
 * bounded result must equal the reference whenever the reference is within
 * the bound, and be bound + 1 otherwise.  Bloom-filter Dice is checked on
 * known bit patterns and against a naive bit count, under every popcount
 * implementation this CPU can run; the string tests, too, run under every
 * kernel variant (the ASCII Jaro fast paths differ between them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "childlink/similarity.h"

/* ---- Helpers ---------------------------------------------------------------- */

static double jw(const char *a, const char *b)
{
    return cl_sim_jaro_winkler(a, strlen(a), b, strlen(b));
}

static double jaro(const char *a, const char *b)
{
    return cl_sim_jaro(a, strlen(a), b, strlen(b));
}

static unsigned lev(const char *a, const char *b, unsigned max)
{
    return cl_sim_levenshtein(a, strlen(a), b, strlen(b), max);
}

static unsigned osa(const char *a, const char *b, unsigned max)
{
    return cl_sim_osa(a, strlen(a), b, strlen(b), max);
}

static cl_sim_near near(const char *a, const char *b)
{
    return cl_sim_near_classify(a, strlen(a), b, strlen(b));
}

static void assert_close(double got, double want, double tolerance)
{
    if (fabs(got - want) > tolerance)
        fail_msg("got %.15f, wanted %.15f (+/- %g) [%s]", got, want, tolerance, cl_sim_impl());
}

static const char *const impl_names[] = {"avx512", "avx2", "popcnt", "portable"};

/* Run `body` once under each kernel variant this CPU can run. */
static void each_variant(void (*body)(void))
{
    int ran = 0;
    for (size_t k = 0; k < sizeof impl_names / sizeof impl_names[0]; k++) {
        if (cl_sim_use(impl_names[k]) != CL_OK)
            continue;
        ran++;
        body();
    }
    assert_int_equal(cl_sim_use(NULL), CL_OK);
    assert_true(ran >= 1);
}

/* xorshift64*: reproducible randomness without libc's rand(). */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545F4914F6CDD1D);
}
static unsigned rnd(unsigned n)
{
    return (unsigned)(rng() % n);
}

/* ---- Reference implementations (on code-point arrays) ------------------------ */

static unsigned ref_levenshtein(const uint32_t *a, int la, const uint32_t *b, int lb)
{
    unsigned d[CL_SIM_MAX_CHARS + 1][CL_SIM_MAX_CHARS + 1];
    for (int i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

static unsigned ref_osa(const uint32_t *a, int la, const uint32_t *b, int lb)
{
    unsigned d[CL_SIM_MAX_CHARS + 1][CL_SIM_MAX_CHARS + 1];
    for (int i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* Textbook Jaro; *boost says whether Jaro > 0.7, decided in exact
 * rational arithmetic (as the library does) so that pairs whose Jaro is
 * exactly 0.7 are not boosted. */
static double ref_jaro_exact(const uint32_t *a, int la, const uint32_t *b, int lb, int *boost)
{
    *boost = 1;
    if (la == lb && (la == 0 || memcmp(a, b, (size_t)la * sizeof *a) == 0))
        return 1.0;
    if (la == 0 || lb == 0) {
        *boost = 0;
        return 0.0;
    }
    int window = (la > lb ? la : lb) / 2 - 1;
    if (window < 0)
        window = 0;
    int amatched[CL_SIM_MAX_CHARS] = {0}, bmatched[CL_SIM_MAX_CHARS] = {0};
    int m = 0;
    for (int i = 0; i < la; i++)
        for (int j = 0; j < lb; j++)
            if (j >= i - window && j <= i + window && !bmatched[j] && a[i] == b[j]) {
                amatched[i] = bmatched[j] = 1;
                m++;
                break;
            }
    if (m == 0) {
        *boost = 0;
        return 0.0;
    }
    uint32_t sa[CL_SIM_MAX_CHARS], sb[CL_SIM_MAX_CHARS];
    int na = 0, nb = 0, t = 0;
    for (int i = 0; i < la; i++)
        if (amatched[i])
            sa[na++] = a[i];
    for (int j = 0; j < lb; j++)
        if (bmatched[j])
            sb[nb++] = b[j];
    for (int k = 0; k < m; k++)
        t += sa[k] != sb[k];
    /* (m/la + m/lb + (m - t/2)/m) / 3 > 7/10, times 30 m la lb. */
    *boost = 10 * (2 * m * m * lb + 2 * m * m * la + (2 * m - t) * la * lb) > 7 * 6 * m * la * lb;
    return ((double)m / la + (double)m / lb + (m - t / 2.0) / m) / 3.0;
}

static double ref_jaro(const uint32_t *a, int la, const uint32_t *b, int lb)
{
    int boost;
    return ref_jaro_exact(a, la, b, lb, &boost);
}

static double ref_jaro_winkler(const uint32_t *a, int la, const uint32_t *b, int lb)
{
    int boost;
    double j = ref_jaro_exact(a, la, b, lb, &boost);
    int l = 0;
    while (l < 4 && l < la && l < lb && a[l] == b[l])
        l++;
    return boost ? j + 0.1 * l * (1.0 - j) : j;
}

/* Encode code points as UTF-8; returns the byte count. */
static size_t encode_utf8(const uint32_t *cp, int n, char *out)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            out[len++] = (char)c;
        } else if (c < 0x800) {
            out[len++] = (char)(0xC0 | (c >> 6));
            out[len++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[len++] = (char)(0xE0 | (c >> 12));
            out[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[len++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[len++] = (char)(0xF0 | (c >> 18));
            out[len++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[len++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return len;
}

/* One string of a random test: code points and their UTF-8 bytes. */
typedef struct test_string {
    uint32_t cp[CL_SIM_MAX_CHARS];
    int n;
    char bytes[4 * CL_SIM_MAX_CHARS];
    size_t len;
} test_string;

static void finish(test_string *s)
{
    s->len = encode_utf8(s->cp, s->n, s->bytes);
}

static const uint32_t wide_alphabet[] = {'a', 'b', 'c', 0xE9, 0xEB, 0x4E2D, 0x1F600, 0x0627};

static void random_string(test_string *s, int max_len, int alphabet_size, int wide)
{
    s->n = (int)rnd((unsigned)max_len + 1);
    for (int i = 0; i < s->n; i++)
        s->cp[i] = wide ? wide_alphabet[rnd(sizeof wide_alphabet / sizeof wide_alphabet[0])]
                        : (uint32_t)('a' + rnd((unsigned)alphabet_size));
    finish(s);
}

/* `b` = `a` with up to `edits` random substitutions, insertions, deletions
 * and adjacent swaps, so that pairs land near the bounds that matter. */
static void mutate(const test_string *a, test_string *b, int edits, int wide)
{
    *b = *a;
    for (int e = 0; e < edits; e++) {
        uint32_t c = wide ? wide_alphabet[rnd(8)] : (uint32_t)('a' + rnd(6));
        int kind = (int)rnd(4), n = b->n;
        if (kind == 0 && n > 0) {
            b->cp[rnd((unsigned)n)] = c;
        } else if (kind == 1 && n < CL_SIM_MAX_CHARS) {
            int at = (int)rnd((unsigned)n + 1);
            memmove(b->cp + at + 1, b->cp + at, (size_t)(n - at) * sizeof(uint32_t));
            b->cp[at] = c;
            b->n++;
        } else if (kind == 2 && n > 0) {
            int at = (int)rnd((unsigned)n);
            memmove(b->cp + at, b->cp + at + 1, (size_t)(n - at - 1) * sizeof(uint32_t));
            b->n--;
        } else if (kind == 3 && n > 1) {
            int at = (int)rnd((unsigned)n - 1);
            uint32_t t = b->cp[at];
            b->cp[at] = b->cp[at + 1];
            b->cp[at + 1] = t;
        }
    }
    finish(b);
}

/* Check every kernel on one pair against the references. */
static void check_pair(const test_string *a, const test_string *b)
{
    unsigned want_lev = ref_levenshtein(a->cp, a->n, b->cp, b->n);
    unsigned want_osa = ref_osa(a->cp, a->n, b->cp, b->n);
    for (unsigned max = 0; max <= want_lev + 2; max++) {
        unsigned want = want_lev <= max ? want_lev : max + 1;
        unsigned got = cl_sim_levenshtein(a->bytes, a->len, b->bytes, b->len, max);
        if (got != want)
            fail_msg("levenshtein('%.*s', '%.*s', %u) = %u, wanted %u [%s]", (int)a->len,
                     a->bytes, (int)b->len, b->bytes, max, got, want, cl_sim_impl());
        assert_int_equal(cl_sim_levenshtein(b->bytes, b->len, a->bytes, a->len, max), want);
    }
    for (unsigned max = 0; max <= want_osa + 2; max++) {
        unsigned want = want_osa <= max ? want_osa : max + 1;
        unsigned got = cl_sim_osa(a->bytes, a->len, b->bytes, b->len, max);
        if (got != want)
            fail_msg("osa('%.*s', '%.*s', %u) = %u, wanted %u [%s]", (int)a->len, a->bytes,
                     (int)b->len, b->bytes, max, got, want, cl_sim_impl());
        assert_int_equal(cl_sim_osa(b->bytes, b->len, a->bytes, a->len, max), want);
    }
    assert_int_equal(cl_sim_levenshtein(a->bytes, a->len, b->bytes, b->len, UINT_MAX), want_lev);
    assert_int_equal(cl_sim_osa(a->bytes, a->len, b->bytes, b->len, CL_SIM_MAX_CHARS), want_osa);
    assert_true(want_osa <= want_lev);

    double want_jaro = ref_jaro(a->cp, a->n, b->cp, b->n);
    double got_jaro = cl_sim_jaro(a->bytes, a->len, b->bytes, b->len);
    if (fabs(got_jaro - want_jaro) > 1e-12)
        fail_msg("jaro('%.*s', '%.*s') = %.15f, wanted %.15f [%s]", (int)a->len, a->bytes,
                 (int)b->len, b->bytes, got_jaro, want_jaro, cl_sim_impl());
    assert_close(cl_sim_jaro(b->bytes, b->len, a->bytes, a->len), got_jaro, 1e-12);
    double want_jw = ref_jaro_winkler(a->cp, a->n, b->cp, b->n);
    double got_jw = cl_sim_jaro_winkler(a->bytes, a->len, b->bytes, b->len);
    assert_close(got_jw, want_jw, 1e-12);
    assert_close(cl_sim_jaro_winkler(b->bytes, b->len, a->bytes, a->len), got_jw, 1e-12);
    assert_true(got_jw >= got_jaro && got_jw <= 1.0 && got_jaro >= 0.0);

    /* The level form is exact at or above its threshold, below it otherwise. */
    double min = rnd(101) / 100.0;
    double got_min = cl_sim_jaro_winkler_min(a->bytes, a->len, b->bytes, b->len, min);
    if (got_jw >= min)
        assert_true(got_min == got_jw);
    else
        assert_true(got_min < min);

    double dice = cl_sim_bigram_dice(a->bytes, a->len, b->bytes, b->len);
    assert_true(dice >= 0.0 && dice <= 1.0);
    assert_true(dice == cl_sim_bigram_dice(b->bytes, b->len, a->bytes, a->len));
}

/* ---- Jaro and Jaro-Winkler ----------------------------------------------------- */

static void jaro_winkler_published(void)
{
    assert_close(jaro("MARTHA", "MARHTA"), 17.0 / 18.0, 1e-12);
    assert_close(jw("MARTHA", "MARHTA"), 0.961, 0.0005);
    assert_close(jaro("DWAYNE", "DUANE"), 37.0 / 45.0, 1e-12);
    assert_close(jw("DWAYNE", "DUANE"), 0.840, 0.0005);
    assert_close(jaro("DIXON", "DICKSONX"), 23.0 / 30.0, 1e-12);
    assert_close(jw("DIXON", "DICKSONX"), 0.813, 0.0005);
    assert_close(jaro("JELLYFISH", "SMELLYFISH"), 0.896296296296296, 1e-12);
    /* Symmetric. */
    assert_close(jw("MARHTA", "MARTHA"), jw("MARTHA", "MARHTA"), 0);
    assert_close(jw("DUANE", "DWAYNE"), jw("DWAYNE", "DUANE"), 0);
    assert_close(jw("DICKSONX", "DIXON"), jw("DIXON", "DICKSONX"), 0);
}

static void jaro_conventions(void)
{
    /* Identity, empty strings. */
    assert_true(jaro("", "") == 1.0);
    assert_true(jw("", "") == 1.0);
    assert_true(jaro("", "A") == 0.0);
    assert_true(jw("A", "") == 0.0);
    assert_true(jw("SMITH", "SMITH") == 1.0);
    assert_true(cl_sim_jaro(NULL, 0, NULL, 0) == 1.0);
    assert_true(cl_sim_jaro_winkler(NULL, 0, "X", 1) == 0.0);
    /* Nothing in common. */
    assert_true(jaro("ABC", "XYZ") == 0.0);
    assert_true(jw("A", "B") == 0.0);
    /* One character each: the window is 0, so only the same position matches. */
    assert_true(jaro("AB", "BA") == 0.0);
    /* Window floor(8/2) - 1 = 3: 'X' at 2 and 7 are 5 apart, no match. */
    assert_close(jaro("DIXON", "DICKSONX"), (4 / 5.0 + 4 / 8.0 + 1) / 3, 1e-12);
    /* Three matched pairs out of order (ABC against BCA, window 2) count
     * as 1.5 transpositions: halving is real, not integer. */
    assert_close(jaro("ABCXYZ", "BCAXYZ"), (1 + 1 + (6 - 1.5) / 6) / 3, 1e-12);
    /* No boost at or below 0.7, even with a common prefix. */
    double j = jaro("ABCDEFGHIJ", "ABCDZZZZZZ");
    assert_true(j <= 0.7);
    assert_true(jw("ABCDEFGHIJ", "ABCDZZZZZZ") == j);
    /* The prefix counts at most four characters. */
    j = jaro("ABCDEFX", "ABCDEFY");
    assert_close(jw("ABCDEFX", "ABCDEFY"), j + 0.4 * (1 - j), 1e-12);
    /* Case matters: comparison keys are already case-folded. */
    assert_true(jaro("smith", "SMITH") == 0.0);
}

static void jaro_utf8(void)
{
    /* "zoë" is three characters, one different from "zoe": the same score
     * as the ASCII pair "zox"/"zoe". */
    assert_close(jaro("zo\xc3\xab", "zoe"), jaro("zox", "zoe"), 1e-15);
    assert_close(jw("zo\xc3\xab", "zoe"), jw("zox", "zoe"), 1e-15);
    assert_close(jaro("zo\xc3\xab", "zoe"), 7.0 / 9.0, 1e-12);
    assert_close(jw("zo\xc3\xab", "zoe"), 7.0 / 9.0 + 0.2 * 2.0 / 9.0, 1e-12);
    /* Both non-ASCII, a transposition of two multi-byte characters. */
    assert_close(jw("\xc3\xa9lo\xc3\xafse", "\xc3\xa9l\xc3\xafose"), jw("Elojse", "Eljose"),
                 1e-15);
    /* Non-Latin scripts: Arabic letters are single characters. */
    assert_close(jaro("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", "\xd9\x85\xd8\xad\xd9\x85\xd9\x88\xd8\xaf"),
                 jaro("mhmd", "mhmwd"), 1e-15);
    /* Invalid UTF-8 bytes are characters of their own, unequal to code points. */
    assert_true(jaro("\xff", "\xfe") == 0.0);
    assert_true(jaro("\xff", "\xff") == 1.0);
    assert_close(jaro("a\xffz", "a\xfez"), jaro("axz", "ayz"), 1e-15);
    /* A truncated sequence, an overlong form and a surrogate each decode as
     * their separate bytes, so none equals the code point it imitates. */
    assert_true(jaro("\xc3", "\xc3\xa9") < 1.0);
    assert_true(lev("\xc0\xae", ".", 5) == 2);
    assert_true(lev("\xed\xa0\x80", "\xee\x80\x80", 5) == 3);
    assert_true(lev("\xf4\x90\x80\x80", "x", 9) == 4);
    /* A four-byte code point is one character. */
    assert_int_equal(lev("\xf0\x9f\x98\x80", "x", 9), 1);
}

static void truncation(void)
{
    char a[80], b[80];
    memset(a, 'A', sizeof a);
    memset(b, 'A', sizeof b);
    b[70] = 'B'; /* beyond the 64 characters compared */
    assert_true(cl_sim_jaro(a, 80, b, 80) == 1.0);
    assert_int_equal(cl_sim_levenshtein(a, 80, b, 80, 3), 0);
    assert_int_equal(cl_sim_osa(a, 80, b, 75, 3), 0);
    b[63] = 'B'; /* the last character compared */
    assert_int_equal(cl_sim_levenshtein(a, 80, b, 80, 3), 1);
    assert_true(cl_sim_jaro_winkler(a, 80, b, 80) < 1.0);
    /* Identical bytes are equal whatever the length. */
    assert_true(cl_sim_jaro_winkler(a, 80, a, 80) == 1.0);
    /* Truncation counts characters, not bytes: 64 two-byte 'é' then a
     * difference. */
    char u[2 * 70], v[2 * 70];
    for (int i = 0; i < 70; i++) {
        u[2 * i] = v[2 * i] = (char)0xC3;
        u[2 * i + 1] = v[2 * i + 1] = (char)0xA9;
    }
    v[2 * 66 + 1] = (char)0xAB;
    assert_int_equal(cl_sim_levenshtein(u, sizeof u, v, sizeof v, 5), 0);
    v[2 * 63 + 1] = (char)0xAB;
    assert_int_equal(cl_sim_levenshtein(u, sizeof u, v, sizeof v, 5), 1);
    assert_int_equal(cl_sim_levenshtein(u, sizeof u, "x", 1, 100), 64);
}

static void jaro_winkler_min(void)
{
    double full = jw("MARTHA", "MARHTA");
    assert_true(cl_sim_jaro_winkler_min("MARTHA", 6, "MARHTA", 6, 0.9) == full);
    assert_true(cl_sim_jaro_winkler_min("MARTHA", 6, "MARHTA", 6, full) == full);
    assert_true(cl_sim_jaro_winkler_min("MARTHA", 6, "MARHTA", 6, 0.99) < 0.99);
    /* Lengths 2 and 12 cannot reach 0.8: jaro <= (2 + 2/12) / 3 = 0.72,
     * boosted by a two-character prefix to at most 0.776. */
    assert_true(cl_sim_jaro_winkler_min("AB", 2, "ABCDEFGHIJKL", 12, 0.8) == 0.0);
    assert_true(cl_sim_jaro_winkler_min("AB", 2, "ABCDEFGHIJKL", 12, 0.7) ==
                jw("AB", "ABCDEFGHIJKL"));
    assert_true(cl_sim_jaro_winkler_min("", 0, "", 0, 0.5) == 1.0);
    assert_true(cl_sim_jaro_winkler_min("", 0, "A", 1, 0.5) < 0.5);
}

/* ---- Bigram Dice ------------------------------------------------------------ */

static void bigram_dice(void)
{
    /* ni ig gh ht / na ac ch ht: one in common of eight. */
    assert_close(cl_sim_bigram_dice("night", 5, "nacht", 5), 0.25, 1e-15);
    /* Multisets: "aaa" has aa twice, "aa" once. */
    assert_close(cl_sim_bigram_dice("aaa", 3, "aa", 2), 2.0 / 3.0, 1e-15);
    assert_true(cl_sim_bigram_dice("abab", 4, "baba", 4) == 2.0 * 2 / 6);
    assert_true(cl_sim_bigram_dice("a", 1, "a", 1) == 1.0);
    assert_true(cl_sim_bigram_dice("a", 1, "ab", 2) == 0.0);
    assert_true(cl_sim_bigram_dice("", 0, "", 0) == 1.0);
    assert_true(cl_sim_bigram_dice(NULL, 0, "ab", 2) == 0.0);
    /* Code points: "zoë"/"zoe" share "zo" only. */
    assert_close(cl_sim_bigram_dice("zo\xc3\xab", 4, "zoe", 3), 0.5, 1e-15);
}

/* ---- Edit distances ------------------------------------------------------------ */

static void edit_distance_known(void)
{
    assert_int_equal(lev("kitten", "sitting", 10), 3);
    assert_int_equal(lev("sitting", "kitten", 10), 3);
    assert_int_equal(lev("flaw", "lawn", 10), 2);
    assert_int_equal(lev("ab", "ba", 10), 2);
    assert_int_equal(osa("ab", "ba", 10), 1);
    assert_int_equal(osa("SMITH", "SMIHT", 10), 1);
    assert_int_equal(lev("SMITH", "SMIHT", 10), 2);
    /* OSA edits no substring twice: CA -> ABC is 3 (Damerau would say 2). */
    assert_int_equal(osa("CA", "ABC", 10), 3);
    assert_int_equal(lev("", "", 0), 0);
    assert_int_equal(lev("", "abc", 10), 3);
    assert_int_equal(osa("abc", "", 10), 3);
    assert_int_equal(cl_sim_levenshtein(NULL, 0, NULL, 0, 0), 0);
    assert_int_equal(cl_sim_osa(NULL, 0, "ab", 2, 5), 2);
    /* UTF-8: one substitution, not two byte edits. */
    assert_int_equal(lev("zo\xc3\xab", "zoe", 5), 1);
    assert_int_equal(osa("zo\xc3\xab", "zoe", 5), 1);
    assert_int_equal(osa("\xc3\xa9\xc3\xa8", "\xc3\xa8\xc3\xa9", 5), 1);
}

static void edit_distance_bounds(void)
{
    /* Over the bound gives exactly max + 1. */
    assert_int_equal(lev("kitten", "sitting", 2), 3);
    assert_int_equal(lev("kitten", "sitting", 1), 2);
    assert_int_equal(lev("kitten", "sitting", 0), 1);
    assert_int_equal(lev("kitten", "kitten", 0), 0);
    assert_int_equal(lev("a", "abcdefgh", 3), 4);   /* length difference alone */
    assert_int_equal(osa("abcdef", "badcfe", 2), 3); /* three swaps */
    assert_int_equal(osa("abcdef", "badcfe", 3), 3);
    /* Bounds above any possible distance are harmless. */
    assert_int_equal(lev("abc", "xyz", UINT_MAX), 3);
    assert_int_equal(osa("abc", "xyz", UINT_MAX - 1), 3);
    assert_int_equal(lev("abc", "xyz", 3), 3);
    /* Early exit in the middle of the band still gives max + 1. */
    assert_int_equal(lev("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", 4), 5);
    assert_int_equal(osa("abcdefghijklmnop", "ponmlkjihgfedcba", 1), 2);
}

/* All strings over {a,b,c} of length 0..5 against each other. */
static void edit_and_jaro_exhaustive(void)
{
    static test_string all[364];
    int count = 0;
    for (int len = 0; len <= 5; len++) {
        int total = 1;
        for (int k = 0; k < len; k++)
            total *= 3;
        for (int code = 0; code < total; code++) {
            test_string *s = &all[count++];
            s->n = len;
            for (int k = 0, c = code; k < len; k++, c /= 3)
                s->cp[k] = (uint32_t)('a' + c % 3);
            finish(s);
        }
    }
    assert_int_equal(count, 364);
    for (int i = 0; i < count; i++)
        for (int j = 0; j < count; j++)
            check_pair(&all[i], &all[j]);
}

static void random_ascii(void)
{
    for (int round = 0; round < 20000; round++) {
        test_string a, b;
        int max_len = round % 10 == 0 ? CL_SIM_MAX_CHARS : 14;
        random_string(&a, max_len, 2 + (int)rnd(8), 0);
        if (round % 2)
            mutate(&a, &b, (int)rnd(5), 0);
        else
            random_string(&b, max_len, 2 + (int)rnd(8), 0);
        check_pair(&a, &b);
    }
}

static void random_utf8(void)
{
    for (int round = 0; round < 20000; round++) {
        test_string a, b;
        int max_len = round % 10 == 0 ? CL_SIM_MAX_CHARS : 14;
        random_string(&a, max_len, 0, 1);
        if (round % 2)
            mutate(&a, &b, (int)rnd(5), 1);
        else
            random_string(&b, max_len, 0, 1);
        check_pair(&a, &b);
    }
}

/* A string of exactly 64 characters: the widest Jaro window and masks. */
static void full_width(void)
{
    for (int round = 0; round < 2000; round++) {
        test_string a, b;
        a.n = CL_SIM_MAX_CHARS;
        for (int i = 0; i < a.n; i++)
            a.cp[i] = (uint32_t)('a' + rnd(4));
        finish(&a);
        mutate(&a, &b, (int)rnd(6), 0);
        if (b.n > CL_SIM_MAX_CHARS)
            b.n = CL_SIM_MAX_CHARS;
        finish(&b);
        check_pair(&a, &b);
    }
}

/* Every variant gives bit-identical scores, including on strings longer
 * than the 64 characters compared and with multi-chunk lengths. */
static void test_variants_agree(void **state)
{
    (void)state;
    for (int round = 0; round < 5000; round++) {
        char a[96], b[96];
        size_t alen = rnd(97), blen = rnd(4) ? alen : rnd(97);
        for (size_t i = 0; i < alen; i++)
            a[i] = (char)('A' + rnd(1 + (unsigned)round % 8));
        memcpy(b, a, blen <= alen ? blen : alen);
        for (size_t i = alen; i < blen; i++)
            b[i] = (char)('A' + rnd(3));
        for (int e = (int)rnd(4); e > 0 && blen > 0; e--)
            b[rnd((unsigned)blen)] = (char)('A' + rnd(4));
        if (round % 5 == 0 && alen > 0)
            a[rnd((unsigned)alen)] = (char)0xC3; /* forces decoding */
        double jaro = -1, jw = -1, level = -1, min = rnd(100) / 100.0;
        for (size_t k = 0; k < sizeof impl_names / sizeof impl_names[0]; k++) {
            if (cl_sim_use(impl_names[k]) != CL_OK)
                continue;
            double j = cl_sim_jaro(a, alen, b, blen), w = cl_sim_jaro_winkler(a, alen, b, blen);
            double l = cl_sim_jaro_winkler_min(a, alen, b, blen, min);
            if (jaro < 0) {
                jaro = j, jw = w, level = l;
            } else if (j != jaro || w != jw || l != level) {
                fail_msg("variant %s differs on '%.*s' / '%.*s'", impl_names[k], (int)alen, a,
                         (int)blen, b);
            }
        }
    }
    assert_int_equal(cl_sim_use(NULL), CL_OK);
}

/* ---- Fixed-length identifiers --------------------------------------------------- */

static void test_near_classify(void **state)
{
    (void)state;
    assert_int_equal(near("9434765919", "9434765919"), CL_SIM_NEAR_EQUAL);
    assert_int_equal(near("", ""), CL_SIM_NEAR_EQUAL);
    assert_int_equal(cl_sim_near_classify(NULL, 0, NULL, 0), CL_SIM_NEAR_EQUAL);
    assert_int_equal(near("9434765919", "9434765910"), CL_SIM_NEAR_SUBSTITUTION);
    assert_int_equal(near("9434765919", "1434765919"), CL_SIM_NEAR_SUBSTITUTION);
    assert_int_equal(near("9434765919", "9434705919"), CL_SIM_NEAR_SUBSTITUTION);
    assert_int_equal(near("9434765919", "9434765991"), CL_SIM_NEAR_TRANSPOSITION);
    assert_int_equal(near("9434765919", "4934765919"), CL_SIM_NEAR_TRANSPOSITION);
    assert_int_equal(near("20150304", "20150340"), CL_SIM_NEAR_TRANSPOSITION);
    assert_int_equal(near("9434765919", "9434765999"), CL_SIM_NEAR_SUBSTITUTION);
    /* Two substitutions, a non-adjacent swap, a rotation, unequal lengths. */
    assert_int_equal(near("9434765919", "9434765900"), CL_SIM_NEAR_OTHER);
    assert_int_equal(near("9434765919", "9434769915"), CL_SIM_NEAR_OTHER);
    assert_int_equal(near("123", "231"), CL_SIM_NEAR_OTHER);
    assert_int_equal(near("12", "21x"), CL_SIM_NEAR_OTHER);
    assert_int_equal(near("", "1"), CL_SIM_NEAR_OTHER);
    /* A swap followed by another difference is not a transposition. */
    assert_int_equal(near("A123456789012", "A213456789019"), CL_SIM_NEAR_OTHER);
    assert_int_equal(near("A123456789012", "A213456789012"), CL_SIM_NEAR_TRANSPOSITION);
    /* Symmetric on random digit strings; agrees with OSA distance. */
    for (int round = 0; round < 20000; round++) {
        char a[13], b[13];
        for (int i = 0; i < 13; i++)
            a[i] = b[i] = (char)('0' + rnd(10));
        int kind = (int)rnd(4);
        if (kind >= 1)
            b[rnd(13)] = (char)('0' + rnd(10));
        if (kind >= 2) {
            int at = (int)rnd(12);
            char t = b[at];
            b[at] = b[at + 1];
            b[at + 1] = t;
        }
        cl_sim_near got = cl_sim_near_classify(a, 13, b, 13);
        assert_int_equal(cl_sim_near_classify(b, 13, a, 13), got);
        unsigned d = cl_sim_osa(a, 13, b, 13, 3);
        unsigned hamming = 0;
        for (int i = 0; i < 13; i++)
            hamming += a[i] != b[i];
        if (got == CL_SIM_NEAR_EQUAL)
            assert_int_equal(hamming, 0);
        else if (got == CL_SIM_NEAR_SUBSTITUTION)
            assert_int_equal(hamming, 1);
        else if (got == CL_SIM_NEAR_TRANSPOSITION)
            assert_true(hamming == 2 && d == 1);
        else
            assert_true(hamming >= 2 && !(hamming == 2 && d == 1));
    }
}

/* ---- Dates ---------------------------------------------------------------------- */

static cl_sim_date date(int year, int month, int day, int32_t days)
{
    cl_sim_date d = {days, (int16_t)year, (uint8_t)month, (uint8_t)day};
    return d;
}

static void test_dates(void **state)
{
    (void)state;
    assert_int_equal(cl_sim_days_apart(100, 90), 10);
    assert_int_equal(cl_sim_days_apart(90, 100), 10);
    assert_int_equal(cl_sim_days_apart(-5, 5), 10);
    assert_int_equal(cl_sim_days_apart(7, 7), 0);
    assert_int_equal(cl_sim_days_apart(INT32_MIN, INT32_MAX), UINT32_MAX);
    assert_int_equal(cl_sim_days_apart(INT32_MAX, INT32_MIN), UINT32_MAX);

    cl_sim_date a = date(2015, 3, 4, 16498), b = date(2015, 4, 3, 16528);
    assert_true(cl_sim_date_dm_swapped(a, b));
    assert_true(cl_sim_date_dm_swapped(b, a));
    assert_false(cl_sim_date_dm_swapped(a, a));
    assert_false(cl_sim_date_dm_swapped(date(2015, 5, 5, 0), date(2015, 5, 5, 0)));
    assert_false(cl_sim_date_dm_swapped(a, date(2016, 4, 3, 0)));
    assert_false(cl_sim_date_dm_swapped(a, date(2015, 4, 4, 0)));

    assert_int_equal(cl_sim_date_digits_differ(a, a), 0);
    assert_int_equal(cl_sim_date_digits_differ(a, date(2015, 3, 5, 0)), 1);
    assert_int_equal(cl_sim_date_digits_differ(a, date(2015, 3, 14, 0)), 1);
    assert_int_equal(cl_sim_date_digits_differ(a, date(2016, 3, 4, 0)), 1);
    assert_int_equal(cl_sim_date_digits_differ(a, date(2005, 3, 4, 0)), 1);
    assert_int_equal(cl_sim_date_digits_differ(a, date(2015, 12, 4, 0)), 2);
    /* 20150304 vs 20150403: month 03/04 and day 04/03 differ in one digit each. */
    assert_int_equal(cl_sim_date_digits_differ(a, b), 2);
    /* 20191231 vs 20200101: 1->2, 9->0, 1->0, 2->1, 3->0. */
    assert_int_equal(cl_sim_date_digits_differ(date(2019, 12, 31, 0), date(2020, 1, 1, 0)), 5);
    assert_int_equal(cl_sim_date_digits_differ(date(1999, 9, 9, 0), date(2000, 10, 10, 0)), 8);
    /* Years beyond four digits are taken modulo 10000. */
    assert_int_equal(cl_sim_date_digits_differ(date(12015, 3, 4, 0), a), 0);
}

/* ---- Bloom-filter Dice ---------------------------------------------------------- */

static uint32_t naive_popcount(const uint64_t *a, const uint64_t *b, size_t words)
{
    uint32_t n = 0;
    for (size_t i = 0; i < words; i++)
        for (int bit = 0; bit < 64; bit++)
            n += (uint32_t)(((a[i] & b[i]) >> bit) & 1);
    return n;
}

static void test_dice_known(void **state)
{
    (void)state;
    uint64_t ones[16], alternate[16], zero[16] = {0}, low[16] = {0};
    for (int i = 0; i < 16; i++) {
        ones[i] = ~UINT64_C(0);
        alternate[i] = UINT64_C(0x5555555555555555);
    }
    low[0] = 0xFF;
    assert_int_equal(cl_sim_popcount(ones, 16), 1024);
    assert_int_equal(cl_sim_popcount(alternate, 16), 512);
    assert_int_equal(cl_sim_popcount(zero, 16), 0);
    assert_int_equal(cl_sim_and_popcount(ones, alternate, 16), 512);
    assert_close(cl_sim_dice(ones, 1024, alternate, 512, 16), 2.0 * 512 / 1536, 1e-15);
    assert_true(cl_sim_dice(alternate, 512, alternate, 512, 16) == 1.0);
    assert_true(cl_sim_dice(zero, 0, zero, 0, 16) == 1.0);
    assert_true(cl_sim_dice(zero, 0, ones, 1024, 16) == 0.0);
    uint64_t shifted[16];
    for (int i = 0; i < 16; i++)
        shifted[i] = alternate[i] << 1; /* 0xAAAA...: disjoint */
    assert_true(cl_sim_dice(alternate, 512, shifted, 512, 16) == 0.0);
    assert_close(cl_sim_dice(low, 8, ones, 1024, 16), 16.0 / 1032, 1e-15);
    /* Threshold tests agree with the score. */
    assert_true(cl_sim_dice_at_least(ones, 1024, alternate, 512, 16, 0.66));
    assert_false(cl_sim_dice_at_least(ones, 1024, alternate, 512, 16, 0.67));
    assert_true(cl_sim_dice_at_least(zero, 0, zero, 0, 16, 1.0));
    assert_false(cl_sim_dice_at_least(zero, 0, zero, 0, 16, 1.01));
    assert_false(cl_sim_dice_at_least(zero, 0, ones, 1024, 16, 0.01));
    assert_true(cl_sim_dice_at_least(zero, 0, ones, 1024, 16, 0.0));
    /* The popcounts alone rule 0.9 out (2 * 8 < 0.9 * 1032): zero words read. */
    assert_false(cl_sim_dice_at_least(low, 8, ones, 1024, 16, 0.9));
    assert_false(cl_sim_dice_at_least(alternate, 512, alternate, 512, 16, NAN));
    /* Searching with an empty query finds exactly the empty filters. */
    uint64_t pool[4 * 16] = {0};
    uint32_t pool_pops[4] = {0, 0, 0, 0}, hits[4];
    pool[16] = 1;
    pool[3 * 16 + 5] = 3;
    pool_pops[1] = 1;
    pool_pops[3] = 2;
    assert_int_equal(cl_sim_dice_search(zero, 0, pool, pool_pops, 4, 16, 0.5, hits, NULL), 2);
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 2);
    assert_int_equal(cl_sim_dice_search(zero, 0, pool, pool_pops, 4, 16, 1.01, hits, NULL), 0);
}

static void test_dice_implementations(void **state)
{
    (void)state;
    enum { WORDS = 40, COUNT = 700 };
    static uint64_t filters[COUNT * WORDS];
    static uint32_t pops[COUNT];
    static double scores[COUNT], found_scores[COUNT];
    static uint32_t found[COUNT];
    int tried = 0;
    for (size_t k = 0; k < sizeof impl_names / sizeof impl_names[0]; k++) {
        if (cl_sim_use(impl_names[k]) != CL_OK)
            continue;
        tried++;
        assert_string_equal(cl_sim_impl(), impl_names[k]);
        for (int round = 0; round < 300; round++) {
            size_t words = 1 + rnd(WORDS);
            if (round % 3 == 0)
                words = 16;
            uint64_t a[WORDS], b[WORDS];
            for (size_t i = 0; i < words; i++) {
                /* Sparse, dense and random words. */
                a[i] = rng() & rng() & (rnd(2) ? rng() : ~UINT64_C(0));
                b[i] = rnd(4) ? (a[i] ^ (rng() & rng() & rng())) : rng();
            }
            uint32_t pa = naive_popcount(a, a, words), pb = naive_popcount(b, b, words);
            uint32_t c = naive_popcount(a, b, words);
            assert_int_equal(cl_sim_popcount(a, words), pa);
            assert_int_equal(cl_sim_and_popcount(a, b, words), c);
            double want = (pa + pb) ? 2.0 * c / (pa + pb) : 1.0;
            assert_true(cl_sim_dice(a, pa, b, pb, words) == want);
            assert_true(cl_sim_dice(b, pb, a, pa, words) == want);
            double t = rnd(101) / 100.0;
            assert_int_equal(cl_sim_dice_at_least(a, pa, b, pb, words, t), want >= t);
        }
        /* One against many, for the 16-word case and an odd width. */
        size_t widths[] = {16, 3, 9};
        for (size_t w = 0; w < 3; w++) {
            size_t words = widths[w];
            uint64_t query[WORDS];
            for (size_t i = 0; i < words; i++)
                query[i] = rng() & rng();
            uint32_t qpop = naive_popcount(query, query, words);
            for (size_t f = 0; f < COUNT; f++) {
                for (size_t i = 0; i < words; i++)
                {
                /* Noise of density 1/2 .. 1/32 puts scores either side of 0.8. */
                uint64_t noise = rng();
                for (size_t more = 0; more < f % 5; more++)
                    noise &= rng();
                filters[f * words + i] = f % 7 == 6 ? 0 : query[i] ^ noise;
            }
                pops[f] = naive_popcount(filters + f * words, filters + f * words, words);
            }
            cl_sim_dice_many(query, qpop, filters, pops, COUNT, words, scores);
            for (size_t f = 0; f < COUNT; f++)
                assert_true(scores[f] ==
                            cl_sim_dice(query, qpop, filters + f * words, pops[f], words));
            double t = 0.8;
            size_t n = cl_sim_dice_search(query, qpop, filters, pops, COUNT, words, t, found,
                                          found_scores);
            size_t want_n = 0;
            for (size_t f = 0; f < COUNT; f++) {
                if (scores[f] >= t) {
                    assert_true(want_n < n);
                    assert_int_equal(found[want_n], f);
                    assert_true(found_scores[want_n] == scores[f]);
                    want_n++;
                }
            }
            assert_int_equal(n, want_n);
            assert_true(n > 0 && n < COUNT); /* the data straddles the threshold */
            assert_int_equal(cl_sim_dice_search(query, qpop, filters, pops, COUNT, words, t,
                                                found, NULL),
                             n);
            assert_int_equal(cl_sim_dice_search(query, qpop, filters, pops, 0, words, t, found,
                                                NULL),
                             0);
            assert_int_equal(cl_sim_dice_search(query, qpop, filters, pops, COUNT, words, 0.0,
                                                found, NULL),
                             COUNT);
            /* The popcount pre-filter never drops a filter that passes. */
            const double thresholds[] = {-1.0, 1e-9, 0.3, 0.5, 0.7, 0.75, 0.9, 0.99, 1.0, 1.5, NAN};
            for (size_t ti = 0; ti < sizeof thresholds / sizeof thresholds[0]; ti++) {
                double th = thresholds[ti];
                size_t got = cl_sim_dice_search(query, qpop, filters, pops, COUNT, words, th,
                                                found, NULL);
                size_t want_count = 0;
                for (size_t f = 0; f < COUNT; f++) {
                    if (cl_sim_dice_at_least(query, qpop, filters + f * words, pops[f], words,
                                             th)) {
                        assert_true(want_count < got);
                        assert_int_equal(found[want_count], f);
                        want_count++;
                    }
                }
                assert_int_equal(got, want_count);
            }
        }
    }
    assert_true(tried >= 1);
    assert_int_equal(cl_sim_use(NULL), CL_OK);
}

static void test_dice_impl_selection(void **state)
{
    (void)state;
    const char *best = cl_sim_impl();
    assert_non_null(best);
    assert_int_equal(cl_sim_use("portable"), CL_OK);
    assert_string_equal(cl_sim_impl(), "portable");
    assert_int_equal(cl_sim_use("sse9"), CL_EINVAL);
    assert_int_equal(cl_sim_use(""), CL_EINVAL);
    assert_string_equal(cl_sim_impl(), "portable"); /* unchanged */
    assert_int_equal(cl_sim_use(NULL), CL_OK);
    assert_string_equal(cl_sim_impl(), best);
}

/* ---- Every variant ---------------------------------------------------------------- */

/* The string kernels have instruction-set variants too (the ASCII Jaro fast
 * path); each of these tests runs under every variant this CPU supports. */
#define EACH_VARIANT(name)                                                                    \
    static void test_##name(void **state)                                                     \
    {                                                                                         \
        (void)state;                                                                          \
        each_variant(name);                                                                   \
    }
EACH_VARIANT(jaro_winkler_published)
EACH_VARIANT(jaro_conventions)
EACH_VARIANT(jaro_utf8)
EACH_VARIANT(truncation)
EACH_VARIANT(jaro_winkler_min)
EACH_VARIANT(bigram_dice)
EACH_VARIANT(edit_distance_known)
EACH_VARIANT(edit_distance_bounds)
EACH_VARIANT(edit_and_jaro_exhaustive)
EACH_VARIANT(random_ascii)
EACH_VARIANT(random_utf8)
EACH_VARIANT(full_width)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jaro_winkler_published),
        cmocka_unit_test(test_jaro_conventions),
        cmocka_unit_test(test_jaro_utf8),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_jaro_winkler_min),
        cmocka_unit_test(test_bigram_dice),
        cmocka_unit_test(test_edit_distance_known),
        cmocka_unit_test(test_edit_distance_bounds),
        cmocka_unit_test(test_edit_and_jaro_exhaustive),
        cmocka_unit_test(test_random_ascii),
        cmocka_unit_test(test_random_utf8),
        cmocka_unit_test(test_full_width),
        cmocka_unit_test(test_variants_agree),
        cmocka_unit_test(test_near_classify),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_dice_known),
        cmocka_unit_test(test_dice_implementations),
        cmocka_unit_test(test_dice_impl_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
