/*
 * similarity.c - comparison kernels for Fellegi-Sunter scoring.
 *
 * Every function here runs once per candidate pair and field, so the design
 * is about doing as little as possible per call:
 *
 *  - No allocation and no failure.  Strings are cut to CL_SIM_MAX_CHARS (64)
 *    characters so that all working state fits in fixed stack arrays, and so
 *    that Jaro's "already matched" flags fit in one 64-bit word per string.
 *
 *  - Bytes when possible.  A short scan (8 bytes at a time) decides whether
 *    both strings are ASCII; if so the kernels read the caller's bytes in
 *    place.  Only when a byte >= 0x80 appears are the strings decoded into
 *    code points on the stack.  Each kernel is written once as an
 *    always-inline function taking a `wide` flag and is instantiated for
 *    both element widths, so the flag folds away.
 *
 *  - Jaro matching on ASCII uses SSE2 (baseline on x86-64): the other string
 *    is held in up to four 16-byte registers, one compare and one movemask
 *    give every position equal to the current character, and the match
 *    window and "already matched" flags are applied as bit masks.  The inner
 *    loop then has no data-dependent branch, which is where a scalar Jaro
 *    spends its time (mispredicted "found a match" exits).
 *
 *  - Edit distances strip the common prefix and suffix (which never changes
 *    Levenshtein or OSA distance; typing errors usually leave most of a name
 *    intact) and fill only Ukkonen's diagonal band: with d the length
 *    difference and k the bound, a cell more than (k - d) / 2 left or
 *    (k + d) / 2 right of the main diagonal cannot lie on a path of cost
 *    <= k.  A row whose cells all exceed the bound ends the work early.
 *
 *  - Divisions by small lengths use a table of reciprocals.
 *
 *  - Bloom-filter Dice is memory plus population count.  The library is
 *    built without -march, so the popcount kernels are compiled several
 *    times with __attribute__((target(...))) (portable SWAR, POPCNT, AVX2
 *    nibble look-up, AVX-512 VPOPCNTDQ) and one is chosen on first use with
 *    __builtin_cpu_supports; the choice lives in an atomic pointer.  Each
 *    variant specialises the 16-word (1024-bit) case so the loop unrolls.
 *    One-to-many search first drops filters whose popcount alone rules the
 *    threshold out (|A and B| <= min(|A|, |B|)), then counts the survivors.
 */
#include "childlink/similarity.h"

#include <limits.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define SIM_SSE2 1
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SIM_X86_DISPATCH 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SIM_INLINE static inline __attribute__((always_inline))
#else
#define SIM_INLINE static inline
#endif

/* ---- Small helpers --------------------------------------------------------- */

/* recip[n] = 1/n for the lengths and counts the string kernels divide by
 * (at most two strings' worth of bigrams, 2 * (64 - 1)). */
#define SIM_R4(n) 1.0 / ((n) + 0), 1.0 / ((n) + 1), 1.0 / ((n) + 2), 1.0 / ((n) + 3)
#define SIM_R16(n) SIM_R4(n), SIM_R4((n) + 4), SIM_R4((n) + 8), SIM_R4((n) + 12)
static const double recip[2 * CL_SIM_MAX_CHARS + 1] = {
    0.0,         SIM_R16(1),  SIM_R16(17), SIM_R16(33), SIM_R16(49),
    SIM_R16(65), SIM_R16(81), SIM_R16(97), SIM_R16(113),
};

SIM_INLINE int ctz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(x);
#else
    int n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/* Bits 0..n-1 set, for 0 <= n <= 64. */
SIM_INLINE uint64_t low_bits(int n)
{
    return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

SIM_INLINE int bytes_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* memcmp must not see NULL, even with length 0. */
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* ---- Characters: bytes in place, or decoded code points ------------------- */

/* Element `i` of a string held as bytes (wide == 0) or code points. */
SIM_INLINE uint32_t elem(const void *s, int wide, int i)
{
    return wide ? ((const uint32_t *)s)[i] : (uint32_t)((const uint8_t *)s)[i];
}

/* Whether the first `n` bytes of `s` are all ASCII. */
static int is_ascii(const uint8_t *s, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= s[i];
    return (acc & UINT64_C(0x8080808080808080)) == 0;
}

/* Code points of up to CL_SIM_MAX_CHARS characters of `s` into `out`;
 * returns how many.  A byte that does not begin a valid, shortest-form,
 * non-surrogate sequence becomes 0x110000 + byte: one character, unequal to
 * any code point, so damaged text still compares sensibly. */
static int utf8_decode(const uint8_t *s, size_t len, uint32_t *out)
{
    size_t i = 0;
    int n = 0;
    while (i < len && n < CL_SIM_MAX_CHARS) {
        uint32_t c = s[i];
        size_t extra;
        uint32_t least;
        if (c < 0x80) {
            out[n++] = c;
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1, least = 0x80, c &= 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2, least = 0x800, c &= 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3, least = 0x10000, c &= 0x07;
        } else {
            extra = 0, least = 0;
        }
        int ok = extra > 0 && len - i > extra;
        for (size_t k = 1; ok && k <= extra; k++) {
            uint32_t cont = s[i + k];
            ok = (cont & 0xC0) == 0x80;
            c = (c << 6) | (cont & 0x3F);
        }
        if (ok && c >= least && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF)) {
            out[n++] = c;
            i += extra + 1;
        } else {
            out[n++] = 0x110000u + s[i];
            i++;
        }
    }
    return n;
}

/* The two strings of a comparison as the kernels see them. */
typedef struct sim_pair {
    int wide;   /* 0: a, b point at the caller's ASCII bytes; 1: at a32, b32 */
    int la, lb; /* lengths in characters, each <= CL_SIM_MAX_CHARS */
    const void *a, *b;
    uint32_t a32[CL_SIM_MAX_CHARS], b32[CL_SIM_MAX_CHARS];
} sim_pair;

static void sim_prepare(sim_pair *p, const char *a, size_t alen, const char *b, size_t blen)
{
    size_t na = alen < CL_SIM_MAX_CHARS ? alen : CL_SIM_MAX_CHARS;
    size_t nb = blen < CL_SIM_MAX_CHARS ? blen : CL_SIM_MAX_CHARS;
    /* If the first 64 bytes are ASCII they are the first 64 characters,
     * whatever follows, so only that much needs checking. */
    if (is_ascii((const uint8_t *)a, na) && is_ascii((const uint8_t *)b, nb)) {
        p->wide = 0;
        p->a = a;
        p->b = b;
        p->la = (int)na;
        p->lb = (int)nb;
        return;
    }
    p->wide = 1;
    p->la = utf8_decode((const uint8_t *)a, alen, p->a32);
    p->lb = utf8_decode((const uint8_t *)b, blen, p->b32);
    p->a = p->a32;
    p->b = p->b32;
}

/* ---- Jaro and Jaro-Winkler ------------------------------------------------ */

/* The match window of Jaro: floor(max(la, lb) / 2) - 1, at least 0. */
SIM_INLINE int jaro_window(int la, int lb)
{
    int w = (la > lb ? la : lb) / 2 - 1;
    return w < 0 ? 0 : w;
}

/* Jaro's matching step, one character of `a` at a time taking the earliest
 * unmatched equal character of `b` within the window.  Sets bit i of *af
 * and bit j of *bf for each matched pair; returns the number of matches. */
SIM_INLINE int jaro_match_scalar(const void *a, int la, const void *b, int lb, int wide,
                                 uint64_t *af, uint64_t *bf)
{
    int w = jaro_window(la, lb);
    uint64_t aflags = 0, bflags = 0;
    int m = 0;
    for (int i = 0; i < la; i++) {
        int lo = i > w ? i - w : 0;
        int hi = i + w + 1 < lb ? i + w + 1 : lb;
        uint32_t c = elem(a, wide, i);
        for (int j = lo; j < hi; j++) {
            if (!((bflags >> j) & 1) && elem(b, wide, j) == c) {
                bflags |= (uint64_t)1 << j;
                aflags |= (uint64_t)1 << i;
                m++;
                break;
            }
        }
    }
    *af = aflags;
    *bf = bflags;
    return m;
}

#ifdef SIM_SSE2
/* The same matching step for ASCII strings, branch-free: for each character
 * of `a`, the positions of `b` equal to it come from SSE2 compares, and the
 * earliest one inside the window and not yet taken is the lowest set bit of
 * (equal & window & ~taken). */
static int jaro_match_sse2(const uint8_t *a, int la, const uint8_t *b, int lb, uint64_t *af,
                           uint64_t *bf)
{
    /* The caller's buffer may end anywhere, so vector loads read a copy. */
    uint8_t padded[CL_SIM_MAX_CHARS] = {0};
    memcpy(padded, b, (size_t)lb);
    __m128i chunk0 = _mm_loadu_si128((const __m128i *)padded);
    __m128i chunk1 = _mm_loadu_si128((const __m128i *)(padded + 16));
    __m128i chunk2 = _mm_loadu_si128((const __m128i *)(padded + 32));
    __m128i chunk3 = _mm_loadu_si128((const __m128i *)(padded + 48));
    int w = jaro_window(la, lb);
    uint64_t span = low_bits(2 * w + 1); /* the window of a = w, as bits */
    uint64_t valid = low_bits(lb);
    uint64_t aflags = 0, bflags = 0;
    int m = 0;
    for (int i = 0; i < la; i++) {
        __m128i c = _mm_set1_epi8((char)a[i]);
        uint64_t eq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk0, c));
        if (lb > 16) {
            eq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk1, c)) << 16;
            if (lb > 32) {
                eq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk2, c)) << 32;
                eq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk3, c)) << 48;
            }
        }
        uint64_t window = i >= w ? span << (i - w) : span >> (w - i);
        uint64_t cand = eq & window & valid & ~bflags;
        bflags |= cand & (~cand + 1);
        aflags |= (uint64_t)(cand != 0) << i;
        m += cand != 0;
    }
    *af = aflags;
    *bf = bflags;
    return m;
}
#endif

/* Jaro from the matched positions: walk both flag sets in order, counting
 * matched pairs whose characters differ (t); each is half a transposition. */
SIM_INLINE double jaro_score(const void *a, int la, const void *b, int lb, int wide, int m,
                             uint64_t af, uint64_t bf)
{
    if (m == 0)
        return 0.0;
    int t = 0;
    while (af) {
        int i = ctz64(af), j = ctz64(bf);
        af &= af - 1;
        bf &= bf - 1;
        t += elem(a, wide, i) != elem(b, wide, j);
    }
    double dm = m;
    return (dm * recip[la] + dm * recip[lb] + 1.0 - 0.5 * t * recip[m]) * (1.0 / 3.0);
}

/* Jaro of a prepared pair; both strings non-empty. */
static double jaro_prepared(const sim_pair *p)
{
    uint64_t af, bf;
    int m;
    if (p->wide) {
        m = jaro_match_scalar(p->a, p->la, p->b, p->lb, 1, &af, &bf);
        return jaro_score(p->a, p->la, p->b, p->lb, 1, m, af, bf);
    }
#ifdef SIM_SSE2
    m = jaro_match_sse2(p->a, p->la, p->b, p->lb, &af, &bf);
#else
    m = jaro_match_scalar(p->a, p->la, p->b, p->lb, 0, &af, &bf);
#endif
    return jaro_score(p->a, p->la, p->b, p->lb, 0, m, af, bf);
}

/* Common prefix of a prepared pair, in characters, at most 4. */
static int winkler_prefix(const sim_pair *p)
{
    int n = p->la < p->lb ? p->la : p->lb;
    if (n > 4)
        n = 4;
    int l = 0;
    if (p->wide) {
        while (l < n && p->a32[l] == p->b32[l])
            l++;
    } else {
        const uint8_t *a = p->a, *b = p->b;
        while (l < n && a[l] == b[l])
            l++;
    }
    return l;
}

SIM_INLINE double winkler_boost(double jaro, int prefix)
{
    return jaro > 0.7 ? jaro + 0.1 * prefix * (1.0 - jaro) : jaro;
}

double cl_sim_jaro(const char *a, size_t alen, const char *b, size_t blen)
{
    if (bytes_equal(a, alen, b, blen))
        return 1.0;
    if (alen == 0 || blen == 0)
        return 0.0;
    sim_pair p;
    sim_prepare(&p, a, alen, b, blen);
    return jaro_prepared(&p);
}

double cl_sim_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
    if (bytes_equal(a, alen, b, blen))
        return 1.0;
    if (alen == 0 || blen == 0)
        return 0.0;
    sim_pair p;
    sim_prepare(&p, a, alen, b, blen);
    return winkler_boost(jaro_prepared(&p), winkler_prefix(&p));
}

double cl_sim_jaro_winkler_min(const char *a, size_t alen, const char *b, size_t blen,
                               double min_score)
{
    if (bytes_equal(a, alen, b, blen))
        return 1.0;
    if (alen == 0 || blen == 0)
        return 0.0;
    sim_pair p;
    sim_prepare(&p, a, alen, b, blen);
    /* At best every character of the shorter string matches, in order:
     * jaro <= (1 + short/long + 1) / 3.  The boost grows with jaro, so the
     * bound carries through; the slack covers rounding of the bound. */
    int shorter = p.la < p.lb ? p.la : p.lb, longer = p.la < p.lb ? p.lb : p.la;
    int prefix = winkler_prefix(&p);
    double best = winkler_boost((2.0 + shorter * recip[longer]) * (1.0 / 3.0), prefix);
    if (best + 1e-9 < min_score)
        return 0.0;
    return winkler_boost(jaro_prepared(&p), prefix);
}

/* ---- Bigram Dice ----------------------------------------------------------- */

SIM_INLINE double bigram_kernel(const void *a, int la, const void *b, int lb, int wide)
{
    if (la < 2 || lb < 2)
        return 0.0;
    uint64_t bigrams_b[CL_SIM_MAX_CHARS - 1];
    for (int j = 0; j + 1 < lb; j++)
        bigrams_b[j] = (uint64_t)elem(b, wide, j) << 32 | elem(b, wide, j + 1);
    /* Multiset intersection: each bigram of b is used at most once. */
    uint64_t used = 0;
    int common = 0;
    for (int i = 0; i + 1 < la; i++) {
        uint64_t key = (uint64_t)elem(a, wide, i) << 32 | elem(a, wide, i + 1);
        for (int j = 0; j + 1 < lb; j++) {
            if (bigrams_b[j] == key && !((used >> j) & 1)) {
                used |= (uint64_t)1 << j;
                common++;
                break;
            }
        }
    }
    return 2.0 * common * recip[la - 1 + lb - 1];
}

double cl_sim_bigram_dice(const char *a, size_t alen, const char *b, size_t blen)
{
    if (bytes_equal(a, alen, b, blen))
        return 1.0;
    sim_pair p;
    sim_prepare(&p, a, alen, b, blen);
    return p.wide ? bigram_kernel(p.a, p.la, p.b, p.lb, 1)
                  : bigram_kernel(p.a, p.la, p.b, p.lb, 0);
}

/* ---- Bounded Levenshtein and OSA ------------------------------------------ */

/* Drop the common prefix and suffix, then order the pair so *la <= *lb. */
SIM_INLINE void strip_affixes(const void **a, int *la, const void **b, int *lb, int wide)
{
    int n = *la < *lb ? *la : *lb;
    int prefix = 0;
    while (prefix < n && elem(*a, wide, prefix) == elem(*b, wide, prefix))
        prefix++;
    int suffix = 0;
    while (suffix < n - prefix &&
           elem(*a, wide, *la - 1 - suffix) == elem(*b, wide, *lb - 1 - suffix))
        suffix++;
    size_t unit = wide ? sizeof(uint32_t) : 1;
    *a = (const char *)*a + (size_t)prefix * unit;
    *b = (const char *)*b + (size_t)prefix * unit;
    *la -= prefix + suffix;
    *lb -= prefix + suffix;
    if (*la > *lb) {
        const void *s = *a;
        int l = *la;
        *a = *b;
        *la = *lb;
        *b = s;
        *lb = l;
    }
}

/* Bounded distance of a prepared pair; `osa` adds adjacent transpositions.
 * Rows run over a (the shorter string), columns over b.  Cells outside the
 * band hold `big` (any value above the bound does): the band only ever moves
 * right, so a column read for the first time still holds its initial value,
 * and the one cell left of the band is written before each row. */
SIM_INLINE unsigned edit_kernel(const void *a, int la, const void *b, int lb, int wide,
                                unsigned max, int osa)
{
    strip_affixes(&a, &la, &b, &lb, wide);
    unsigned diff = (unsigned)(lb - la);
    if (diff > max)
        return max + 1;
    if (la == 0)
        return diff;
    unsigned bound = max < (unsigned)lb ? max : (unsigned)lb;
    int left_reach = (int)(bound - diff) / 2, right_reach = (int)(bound + diff) / 2;
    unsigned big = bound + 1;
    unsigned rows[3][CL_SIM_MAX_CHARS + 1];
    unsigned *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (int j = 0; j <= lb; j++) {
        prev[j] = j <= right_reach ? (unsigned)j : big;
        cur[j] = big;
        before[j] = big;
    }
    for (int i = 1; i <= la; i++) {
        int lo = i - left_reach > 1 ? i - left_reach : 1;
        int hi = i + right_reach < lb ? i + right_reach : lb;
        uint32_t ai = elem(a, wide, i - 1);
        /* No element equals UINT32_MAX, so row 1 never transposes. */
        uint32_t ai_before = i > 1 ? elem(a, wide, i - 2) : UINT32_MAX;
        unsigned left = lo == 1 ? (unsigned)i : big;
        unsigned row_min = left;
        cur[lo - 1] = left;
        for (int j = lo; j <= hi; j++) {
            uint32_t bj = elem(b, wide, j - 1);
            unsigned v = prev[j - 1] + (ai != bj);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (left + 1 < v)
                v = left + 1;
            if (osa && j > 1 && ai_before == bj && ai == elem(b, wide, j - 2) &&
                before[j - 2] + 1 < v)
                v = before[j - 2] + 1;
            cur[j] = v;
            left = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > bound)
            return max + 1;
        unsigned *spare = before;
        before = prev;
        prev = cur;
        cur = spare;
    }
    return prev[lb] <= bound ? prev[lb] : max + 1;
}

static unsigned edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                              unsigned max, int osa)
{
    if (bytes_equal(a, alen, b, blen))
        return 0;
    sim_pair p;
    sim_prepare(&p, a, alen, b, blen);
    if (p.wide)
        return osa ? edit_kernel(p.a, p.la, p.b, p.lb, 1, max, 1)
                   : edit_kernel(p.a, p.la, p.b, p.lb, 1, max, 0);
    return osa ? edit_kernel(p.a, p.la, p.b, p.lb, 0, max, 1)
               : edit_kernel(p.a, p.la, p.b, p.lb, 0, max, 0);
}

unsigned cl_sim_levenshtein(const char *a, size_t alen, const char *b, size_t blen,
                            unsigned max)
{
    return edit_distance(a, alen, b, blen, max, 0);
}

unsigned cl_sim_osa(const char *a, size_t alen, const char *b, size_t blen, unsigned max)
{
    return edit_distance(a, alen, b, blen, max, 1);
}

/* ---- Fixed-length identifiers ---------------------------------------------- */

/* Index of the first byte where a and b (n bytes each) differ, or n. */
static size_t first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            break;
    }
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

cl_sim_near cl_sim_near_classify(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return CL_SIM_NEAR_OTHER;
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    size_t n = alen;
    size_t p = n ? first_difference(x, y, n) : 0;
    if (p == n)
        return CL_SIM_NEAR_EQUAL;
    if (first_difference(x + p + 1, y + p + 1, n - p - 1) == n - p - 1)
        return CL_SIM_NEAR_SUBSTITUTION;
    if (p + 1 < n && x[p] == y[p + 1] && x[p + 1] == y[p] &&
        first_difference(x + p + 2, y + p + 2, n - p - 2) == n - p - 2)
        return CL_SIM_NEAR_TRANSPOSITION;
    return CL_SIM_NEAR_OTHER;
}

/* ---- Dates ----------------------------------------------------------------- */

uint32_t cl_sim_days_apart(int32_t a, int32_t b)
{
    /* Unsigned subtraction is exact here: the true difference fits 32 bits. */
    return a > b ? (uint32_t)a - (uint32_t)b : (uint32_t)b - (uint32_t)a;
}

int cl_sim_date_dm_swapped(cl_sim_date a, cl_sim_date b)
{
    return a.year == b.year && a.day == b.month && a.month == b.day && a.day != a.month;
}

static unsigned digits_differ(unsigned x, unsigned y, int digits)
{
    unsigned n = 0;
    for (; digits > 0; digits--) {
        n += x % 10 != y % 10;
        x /= 10;
        y /= 10;
    }
    return n;
}

unsigned cl_sim_date_digits_differ(cl_sim_date a, cl_sim_date b)
{
    unsigned n = 0;
    if (a.year != b.year)
        n += digits_differ((unsigned)((a.year % 10000 + 10000) % 10000),
                           (unsigned)((b.year % 10000 + 10000) % 10000), 4);
    if (a.month != b.month)
        n += digits_differ(a.month, b.month, 2);
    if (a.day != b.day)
        n += digits_differ(a.day, b.day, 2);
    return n;
}

/* ---- Population counts ----------------------------------------------------- */

/* One implementation of the bit-counting primitives. */
typedef struct dice_impl {
    const char *name;
    uint32_t (*popcount)(const uint64_t *bits, size_t words);
    uint32_t (*and_popcount)(const uint64_t *a, const uint64_t *b, size_t words);
    /* counts[k] = |query and filter f|, f = idx[k] (or k when idx is NULL). */
    void (*and_popcount_many)(const uint64_t *query, const uint64_t *filters, size_t words,
                              const uint32_t *idx, size_t n, uint32_t *counts);
} dice_impl;

/* Portable popcount of one word (the classic SWAR reduction), used where no
 * instruction is known to exist. */
SIM_INLINE uint32_t popcount_swar(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
    return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

SIM_INLINE uint32_t and_popcount_portable_kernel(const uint64_t *a, const uint64_t *b,
                                                 size_t words)
{
    uint32_t n = 0;
    for (size_t i = 0; i < words; i++) {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(SIM_X86_DISPATCH)
        n += (uint32_t)__builtin_popcountll(a[i] & b[i]); /* native on non-x86 */
#else
        n += popcount_swar(a[i] & b[i]);
#endif
    }
    return n;
}

/* Generates one implementation from an always-inline kernel and a target
 * attribute, so every variant gets the same 16-word specialisation and the
 * same loops over many filters. */
#define SIM_DICE_VARIANT(name, attr, kernel)                                                  \
    attr static uint32_t name##_and_popcount(const uint64_t *a, const uint64_t *b,            \
                                             size_t words)                                    \
    {                                                                                         \
        return words == 16 ? kernel(a, b, 16) : kernel(a, b, words);                          \
    }                                                                                         \
    attr static uint32_t name##_popcount(const uint64_t *bits, size_t words)                  \
    {                                                                                         \
        return kernel(bits, bits, words);                                                     \
    }                                                                                         \
    attr static void name##_many(const uint64_t *query, const uint64_t *filters, size_t words, \
                                 const uint32_t *idx, size_t n, uint32_t *counts)             \
    {                                                                                         \
        if (words == 16 && idx == NULL) {                                                     \
            for (size_t k = 0; k < n; k++)                                                    \
                counts[k] = kernel(query, filters + k * 16, 16);                              \
        } else if (words == 16) {                                                             \
            for (size_t k = 0; k < n; k++)                                                    \
                counts[k] = kernel(query, filters + (size_t)idx[k] * 16, 16);                 \
        } else {                                                                              \
            for (size_t k = 0; k < n; k++)                                                    \
                counts[k] = kernel(query, filters + (idx ? idx[k] : k) * words, words);       \
        }                                                                                     \
    }                                                                                         \
    static const dice_impl name##_impl = {#name, name##_popcount, name##_and_popcount,       \
                                          name##_many};

SIM_DICE_VARIANT(portable, , and_popcount_portable_kernel)

#ifdef SIM_X86_DISPATCH
#define SIM_TARGET_POPCNT __attribute__((target("popcnt")))
#define SIM_TARGET_AVX2 __attribute__((target("avx2,popcnt")))
#define SIM_TARGET_AVX512 __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

/* Compiled inside target("popcnt") functions, the builtin is one instruction. */
SIM_INLINE uint32_t and_popcount_builtin_kernel(const uint64_t *a, const uint64_t *b,
                                                size_t words)
{
    uint64_t n = 0;
    for (size_t i = 0; i < words; i++)
        n += (uint64_t)__builtin_popcountll(a[i] & b[i]);
    return (uint32_t)n;
}
SIM_DICE_VARIANT(popcnt, SIM_TARGET_POPCNT, and_popcount_builtin_kernel)

/* AVX2 has no vector popcount: look up each nibble's count with a byte
 * shuffle, add the two halves, and sum bytes into 64-bit lanes with SAD. */
SIM_TARGET_AVX2 SIM_INLINE uint32_t and_popcount_avx2_kernel(const uint64_t *a,
                                                             const uint64_t *b, size_t words)
{
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i sums = _mm256_setzero_si256();
    size_t whole = words & ~(size_t)3; /* words in full vectors */
    for (size_t i = 0; i < whole; i += 4) {
        __m256i v = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(a + i)),
                                     _mm256_loadu_si256((const __m256i *)(b + i)));
        __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nibble));
        __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
        sums = _mm256_add_epi64(sums,
                                _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256()));
    }
    __m128i half = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
    uint64_t n = (uint64_t)_mm_cvtsi128_si64(half) + (uint64_t)_mm_extract_epi64(half, 1);
    for (size_t i = whole; i < words; i++)
        n += (uint64_t)__builtin_popcountll(a[i] & b[i]);
    return (uint32_t)n;
}
SIM_DICE_VARIANT(avx2, SIM_TARGET_AVX2, and_popcount_avx2_kernel)

/* AVX-512 VPOPCNTDQ counts eight words per instruction; a masked load takes
 * the tail without reading past it. */
SIM_TARGET_AVX512 SIM_INLINE uint32_t and_popcount_avx512_kernel(const uint64_t *a,
                                                                 const uint64_t *b,
                                                                 size_t words)
{
    __m512i sums = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 8 <= words; i += 8) {
        __m512i v = _mm512_and_si512(_mm512_loadu_si512((const void *)(a + i)),
                                     _mm512_loadu_si512((const void *)(b + i)));
        sums = _mm512_add_epi64(sums, _mm512_popcnt_epi64(v));
    }
    if (i < words) {
        __mmask8 tail = (__mmask8)((1u << (words - i)) - 1);
        __m512i v = _mm512_and_si512(_mm512_maskz_loadu_epi64(tail, a + i),
                                     _mm512_maskz_loadu_epi64(tail, b + i));
        sums = _mm512_add_epi64(sums, _mm512_popcnt_epi64(v));
    }
    return (uint32_t)_mm512_reduce_add_epi64(sums);
}
SIM_DICE_VARIANT(avx512, SIM_TARGET_AVX512, and_popcount_avx512_kernel)
#endif

/* Every implementation this build has, best first. */
static const dice_impl *const dice_impls[] = {
#ifdef SIM_X86_DISPATCH
    &avx512_impl,
    &popcnt_impl,
    &avx2_impl,
#endif
    &portable_impl,
};

static int impl_supported(const dice_impl *impl)
{
#ifdef SIM_X86_DISPATCH
    __builtin_cpu_init();
    if (impl == &avx512_impl)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq") &&
               __builtin_cpu_supports("popcnt");
    if (impl == &avx2_impl)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    if (impl == &popcnt_impl)
        return __builtin_cpu_supports("popcnt");
#endif
    return impl == &portable_impl;
}

static const dice_impl *best_impl(void)
{
    for (size_t k = 0; k < sizeof dice_impls / sizeof dice_impls[0]; k++)
        if (impl_supported(dice_impls[k]))
            return dice_impls[k];
    return &portable_impl;
}

/* NULL until first use; then the implementation every call goes through.
 * Racing first calls store the same value, so relaxed ordering suffices for
 * the choice itself and acquire/release covers the pointed-to table. */
static _Atomic(const dice_impl *) current_impl;

static const dice_impl *dice_current(void)
{
    const dice_impl *impl = atomic_load_explicit(&current_impl, memory_order_acquire);
    if (impl == NULL) {
        impl = best_impl();
        atomic_store_explicit(&current_impl, impl, memory_order_release);
    }
    return impl;
}

const char *cl_sim_popcount_impl(void)
{
    return dice_current()->name;
}

cl_status cl_sim_popcount_use(const char *name)
{
    if (name == NULL) {
        atomic_store_explicit(&current_impl, best_impl(), memory_order_release);
        return CL_OK;
    }
    for (size_t k = 0; k < sizeof dice_impls / sizeof dice_impls[0]; k++) {
        if (strcmp(dice_impls[k]->name, name) == 0) {
            if (!impl_supported(dice_impls[k]))
                return CL_EINVAL;
            atomic_store_explicit(&current_impl, dice_impls[k], memory_order_release);
            return CL_OK;
        }
    }
    return CL_EINVAL;
}

/* ---- Bloom-filter Dice ----------------------------------------------------- */

uint32_t cl_sim_popcount(const uint64_t *bits, size_t words)
{
    return dice_current()->popcount(bits, words);
}

uint32_t cl_sim_and_popcount(const uint64_t *a, const uint64_t *b, size_t words)
{
    return dice_current()->and_popcount(a, b, words);
}

/* Dice from the common count and the two popcounts; empty with empty is 1. */
SIM_INLINE double dice_score(uint32_t common, uint32_t pop_a, uint32_t pop_b)
{
    double total = (double)pop_a + (double)pop_b;
    return total > 0 ? 2.0 * common / total : 1.0;
}

/* 2 * common >= threshold * total, with empty-with-empty scoring 1. */
SIM_INLINE int dice_passes(uint32_t common, uint32_t pop_a, uint32_t pop_b, double threshold)
{
    double total = (double)pop_a + (double)pop_b;
    return total > 0 ? 2.0 * common >= threshold * total : threshold <= 1.0;
}

/* Whether the popcounts leave the threshold reachable at all. */
SIM_INLINE int dice_reachable(uint32_t pop_a, uint32_t pop_b, double threshold)
{
    return dice_passes(pop_a < pop_b ? pop_a : pop_b, pop_a, pop_b, threshold);
}

double cl_sim_dice(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                   size_t words)
{
    if (pop_a == 0 || pop_b == 0)
        return dice_score(0, pop_a, pop_b);
    return dice_score(dice_current()->and_popcount(a, b, words), pop_a, pop_b);
}

int cl_sim_dice_at_least(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                         size_t words, double threshold)
{
    if (!dice_reachable(pop_a, pop_b, threshold))
        return 0;
    if (pop_a == 0 || pop_b == 0)
        return dice_passes(0, pop_a, pop_b, threshold);
    return dice_passes(dice_current()->and_popcount(a, b, words), pop_a, pop_b, threshold);
}

/* Filters handled per kernel call: the counts and candidates stay on the
 * stack and in L1. */
#define SIM_DICE_CHUNK 256

void cl_sim_dice_many(const uint64_t *query, uint32_t query_pop, const uint64_t *filters,
                      const uint32_t *pops, size_t count, size_t words, double *scores)
{
    const dice_impl *impl = dice_current();
    uint32_t counts[SIM_DICE_CHUNK];
    for (size_t base = 0; base < count; base += SIM_DICE_CHUNK) {
        size_t n = count - base < SIM_DICE_CHUNK ? count - base : SIM_DICE_CHUNK;
        impl->and_popcount_many(query, filters + base * words, words, NULL, n, counts);
        for (size_t k = 0; k < n; k++)
            scores[base + k] = dice_score(counts[k], query_pop, pops[base + k]);
    }
}

size_t cl_sim_dice_search(const uint64_t *query, uint32_t query_pop, const uint64_t *filters,
                          const uint32_t *pops, size_t count, size_t words, double threshold,
                          uint32_t *indices, double *scores)
{
    const dice_impl *impl = dice_current();
    uint32_t candidates[SIM_DICE_CHUNK], counts[SIM_DICE_CHUNK];
    size_t found = 0;
    for (size_t base = 0; base < count; base += SIM_DICE_CHUNK) {
        size_t n = count - base < SIM_DICE_CHUNK ? count - base : SIM_DICE_CHUNK;
        size_t kept = 0;
        for (size_t k = 0; k < n; k++) {
            candidates[kept] = (uint32_t)(base + k);
            kept += (size_t)dice_reachable(query_pop, pops[base + k], threshold);
        }
        impl->and_popcount_many(query, filters, words, candidates, kept, counts);
        for (size_t k = 0; k < kept; k++) {
            uint32_t i = candidates[k];
            if (dice_passes(counts[k], query_pop, pops[i], threshold)) {
                indices[found] = i;
                if (scores)
                    scores[found] = dice_score(counts[k], query_pop, pops[i]);
                found++;
            }
        }
    }
    return found;
}
