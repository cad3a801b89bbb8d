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
 *  - Bytes when possible.  A quick check decides whether both strings are
 *    ASCII; if so the kernels read the caller's bytes in place.  Only when
 *    a byte >= 0x80 appears are the strings decoded into code points on the
 *    stack.  Each scalar kernel is written once as an always-inline
 *    function taking a `wide` flag and instantiated for both element
 *    widths, so the flag folds away.
 *
 *  - Jaro on ASCII has vector fast paths (SSE2, which every x86-64 has, and
 *    AVX-512 BW/VBMI2): the other string sits in registers, one compare per
 *    character gives every equal position as a bit mask, and the match
 *    window and "already matched" flags are applied as masks, so the inner
 *    loop has no data-dependent branch (a scalar Jaro spends its time in
 *    mispredicted "found a match" exits).  Strings are loaded without
 *    reading past their ends: overlapping partial loads, or masked loads.
 *    Whether Winkler's boost applies (Jaro > 0.7) is decided in exact
 *    integer arithmetic, so that no variant or compiler can disagree on a
 *    pair whose Jaro is exactly 0.7.
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
 *    built without -march, so the kernels that gain from newer instructions
 *    are compiled several times with __attribute__((target(...))) into
 *    variants (portable C; POPCNT; AVX2 nibble look-up; AVX-512 VPOPCNTDQ,
 *    which also carries the AVX-512 Jaro), one of which is chosen on first
 *    use with __builtin_cpu_supports and held in an atomic pointer.  Each
 *    variant specialises the 16-word (1024-bit) case so the loop unrolls,
 *    and a single-pair call is one indirect jump into the variant.  Search
 *    of one filter against many first drops, by an integer range test on
 *    the stored popcounts, filters that cannot reach the threshold
 *    (|A and B| <= min(|A|, |B|)), then counts the survivors.
 */
#include "childlink/similarity.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* On x86-64 with gcc or clang: SSE2 (always present there) for the ASCII
 * fast paths, and run-time dispatch to newer instruction sets.  Elsewhere
 * the portable C paths serve. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SIM_X86 1
#endif

/* Scores must not depend on the variant: inside functions compiled for
 * AVX-512 (which implies FMA) clang would otherwise fuse a * b + c and round
 * differently from the baseline build.  gcc in ISO C mode never fuses. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
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

/* ---- Instruction-set variants --------------------------------------------- */

/* The kernels that gain from newer instructions exist in several variants
 * (see the end of this file); one table of them is in force at a time. */
typedef struct sim_impl sim_impl;
static const sim_impl *sim_current(void);

/* ---- Characters: bytes in place, or decoded code points ------------------- */

/* Element `i` of a string held as bytes (wide == 0) or code points. */
SIM_INLINE uint32_t elem(const void *s, int wide, int i)
{
    return wide ? ((const uint32_t *)s)[i] : (uint32_t)((const uint8_t *)s)[i];
}

#ifdef SIM_X86
/* The first min(n, 16) bytes at `p`, zero-filled to 16, read without
 * touching anything outside p[0..n): short strings are read with two
 * overlapping loads and shifted into place, so no byte-wise copy (and no
 * store-to-load forwarding stall) is needed.  x86 is little-endian. */
static inline __m128i load_prefix16(const uint8_t *p, size_t n)
{
    uint64_t lo = 0, hi = 0;
    if (n >= 16)
        return _mm_loadu_si128((const __m128i *)p);
    if (n >= 8) {
        memcpy(&lo, p, 8);
        memcpy(&hi, p + n - 8, 8);
        hi = (hi >> (8 * (15 - n))) >> 8; /* keep bytes 8..n-1 */
    } else if (n >= 4) {
        uint32_t first, last;
        memcpy(&first, p, 4);
        memcpy(&last, p + n - 4, 4);
        lo = first | (uint64_t)last << (8 * (n - 4));
    } else if (n > 0) {
        lo = p[0] | (uint64_t)p[n >> 1] << (8 * (n >> 1)) | (uint64_t)p[n - 1] << (8 * (n - 1));
    }
    return _mm_set_epi64x((long long)hi, (long long)lo);
}
#endif

/* Whether the first `n` bytes of `s` are all ASCII. */
static int is_ascii(const uint8_t *s, size_t n)
{
#ifdef SIM_X86
    if (n <= 16)
        return _mm_movemask_epi8(load_prefix16(s, n)) == 0;
#endif
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
    /* An empty string may come as NULL; kernels do pointer arithmetic. */
    if (a == NULL)
        a = "";
    if (b == NULL)
        b = "";
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
 * and bit j of *bf for each matched pair. */
SIM_INLINE void jaro_match_scalar(const void *a, int la, const void *b, int lb, int wide,
                                 uint64_t *af, uint64_t *bf)
{
    int w = jaro_window(la, lb);
    uint64_t aflags = 0, bflags = 0;
    for (int i = 0; i < la; i++) {
        int lo = i > w ? i - w : 0;
        int hi = i + w + 1 < lb ? i + w + 1 : lb;
        uint32_t c = elem(a, wide, i);
        for (int j = lo; j < hi; j++) {
            if (!((bflags >> j) & 1) && elem(b, wide, j) == c) {
                bflags |= (uint64_t)1 << j;
                aflags |= (uint64_t)1 << i;
                break;
            }
        }
    }
    *af = aflags;
    *bf = bflags;
}

/* Walk both flag sets in order: sets *matches to the number of matched
 * pairs and returns how many of them have different characters (each is
 * half a transposition). */
SIM_INLINE int jaro_unordered(const void *a, const void *b, int wide, uint64_t af, uint64_t bf,
                              int *matches)
{
    int t = 0, m = 0;
    while (af) {
        int i = ctz64(af), j = ctz64(bf);
        af &= af - 1;
        bf &= bf - 1;
        t += elem(a, wide, i) != elem(b, wide, j);
        m++;
    }
    *matches = m;
    return t;
}

SIM_INLINE double jaro_value(int la, int lb, int m, int t)
{
    if (m == 0)
        return 0.0;
    if (m == la && m == lb && t == 0)
        return 1.0; /* identical once cut to 64 characters: exactly 1 */
    double dm = m;
    return (dm * recip[la] + dm * recip[lb] + 1.0 - 0.5 * t * recip[m]) * (1.0 / 3.0);
}

/* Whether jaro > 0.7, decided exactly: jaro = N / D with
 * N = 2m*m*lb + 2m*m*la + (2m - t)*la*lb and D = 6m*la*lb, so the test is
 * 10 N > 7 D.  In floating point, pairs whose Jaro is exactly 0.7 (such as
 * lengths 5 and 6 with 3 matches in order, computed as 0.7000000000000001)
 * would be boosted or not depending on the order of operations. */
SIM_INLINE int winkler_applies(int la, int lb, int m, int t)
{
    if (m == 0)
        return 0;
    int64_t n = 2 * (int64_t)m * m * lb + 2 * (int64_t)m * m * la + (int64_t)(2 * m - t) * la * lb;
    int64_t d = 6 * (int64_t)m * la * lb;
    return 10 * n > 7 * d;
}

/* Jaro, or Jaro-Winkler when `prefix` (the common prefix, at most 4) > 0. */
SIM_INLINE double jaro_result(int la, int lb, int m, int t, int prefix)
{
    double jaro = jaro_value(la, lb, m, t);
    if (prefix > 0 && winkler_applies(la, lb, m, t))
        jaro += 0.1 * prefix * (1.0 - jaro);
    return jaro;
}

/* Whether lengths and prefix alone put Jaro-Winkler below `min_score`.  At
 * best every character of the shorter string matches, in order:
 * jaro <= (1 + short/long + 1) / 3, and the boost only grows with jaro (it
 * is applied to the bound unconditionally, which keeps it a bound).  The
 * slack covers rounding of the bound. */
SIM_INLINE int jaro_winkler_ruled_out(int la, int lb, int prefix, double min_score)
{
    int shorter = la < lb ? la : lb, longer = la < lb ? lb : la;
    double best = (2.0 + shorter * recip[longer]) * (1.0 / 3.0);
    best += 0.1 * prefix * (1.0 - best);
    return best + 1e-9 < min_score;
}

#ifdef SIM_X86
/* Jaro or Jaro-Winkler (`winkler`) of two strings when both are ASCII in
 * their first 64 bytes; returns 0, leaving *out alone, when either is not,
 * for the caller to decode them.  Both strings are non-empty.
 *
 * `b` is held in up to four 16-byte registers (for more than 16 bytes, the
 * last one overlaps the one before and its mask is shifted into place).
 * For each character of `a`, one compare and one movemask per register give
 * every position of `b` equal to it; the earliest one inside the window and
 * not yet taken is the lowest set bit of (equal & window & ~taken), so the
 * loop has no data-dependent branch, which is where a scalar Jaro spends
 * its time.  The window mask slides one bit per character. */
static int jaro_ascii_sse2(const char *as, size_t alen, const char *bs, size_t blen,
                           int winkler, double min_score, double *out)
{
    const uint8_t *a = (const uint8_t *)as, *b = (const uint8_t *)bs;
    int la = alen < CL_SIM_MAX_CHARS ? (int)alen : CL_SIM_MAX_CHARS;
    int lb = blen < CL_SIM_MAX_CHARS ? (int)blen : CL_SIM_MAX_CHARS;
    __m128i va = load_prefix16(a, (size_t)la);
    __m128i vb[4];
    int offset[4] = {0, 0, 0, 0};
    int chunks = 1;
    if (lb <= 16) {
        vb[0] = load_prefix16(b, (size_t)lb);
    } else {
        chunks = (lb + 15) / 16;
        for (int k = 0; k < chunks; k++) {
            offset[k] = 16 * k < lb - 16 ? 16 * k : lb - 16;
            vb[k] = _mm_loadu_si128((const __m128i *)(b + offset[k]));
        }
    }
    __m128i high = va;
    for (int k = 0; k < chunks; k++)
        high = _mm_or_si128(high, vb[k]);
    if (_mm_movemask_epi8(high) != 0 || (la > 16 && !is_ascii(a + 16, (size_t)la - 16)))
        return 0;

    unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(va, vb[0]));
    if (alen == blen && (alen <= 16 ? same == 0xFFFF : memcmp(a, b, alen) == 0)) {
        *out = 1.0;
        return 1;
    }
    int prefix = 0;
    if (winkler) {
        prefix = ctz64(~(uint64_t)same | 0x10); /* lanes 0..3 at most */
        if (prefix > la)
            prefix = la;
        if (prefix > lb)
            prefix = lb;
        if (min_score > 0 && jaro_winkler_ruled_out(la, lb, prefix, min_score)) {
            *out = 0.0;
            return 1;
        }
    }

    int w = jaro_window(la, lb);
    uint64_t window = low_bits(w + 1);
    /* Positions past the end of b start out "taken". */
    uint64_t aflags = 0, bflags = ~low_bits(lb);
    for (int i = 0; i < la; i++) {
        __m128i c = _mm_set1_epi8((char)a[i]);
        uint64_t eq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(vb[0], c));
        for (int k = 1; k < chunks; k++)
            eq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(vb[k], c)) << offset[k];
        uint64_t cand = eq & window & ~bflags;
        bflags |= cand & (~cand + 1);
        aflags |= (uint64_t)(cand != 0) << i;
        window = (window << 1) | (uint64_t)(i + 1 <= w);
    }
    int m, t = jaro_unordered(a, b, 0, aflags, bflags & low_bits(lb), &m);
    *out = jaro_result(la, lb, m, t, prefix);
    return 1;
}
#endif

#ifdef SIM_X86
#define SIM_TARGET_POPCNT __attribute__((target("popcnt")))
#define SIM_TARGET_AVX2 __attribute__((target("avx2,popcnt")))
#define SIM_TARGET_AVX512                                                                     \
    __attribute__((target("avx512f,avx512bw,avx512vbmi2,avx512vpopcntdq,bmi,bmi2,popcnt")))

/* The same with AVX-512 (BW and VBMI2): masked loads read each string into
 * one register without touching bytes past its end; one compare into a mask
 * register finds every equal position of b; and instead of walking the
 * matched positions one by one, VPCOMPRESSB packs the matched characters of
 * each string to the front, so that one compare and a popcount give the
 * transpositions. */
SIM_TARGET_AVX512 static int jaro_ascii_avx512(const char *as, size_t alen, const char *bs,
                                               size_t blen, int winkler, double min_score,
                                               double *out)
{
    const uint8_t *a = (const uint8_t *)as, *b = (const uint8_t *)bs;
    int la = alen < CL_SIM_MAX_CHARS ? (int)alen : CL_SIM_MAX_CHARS;
    int lb = blen < CL_SIM_MAX_CHARS ? (int)blen : CL_SIM_MAX_CHARS;
    __m512i va = _mm512_maskz_loadu_epi8(low_bits(la), a);
    __m512i vb = _mm512_maskz_loadu_epi8(low_bits(lb), b);
    if (_mm512_movepi8_mask(_mm512_or_si512(va, vb)) != 0)
        return 0;
    uint64_t same = _mm512_cmpeq_epi8_mask(va, vb);
    if (alen == blen && (alen <= CL_SIM_MAX_CHARS ? same == ~(uint64_t)0
                                                  : memcmp(a, b, alen) == 0)) {
        *out = 1.0;
        return 1;
    }
    int prefix = 0;
    if (winkler) {
        prefix = ctz64(~same | 0x10);
        if (prefix > la)
            prefix = la;
        if (prefix > lb)
            prefix = lb;
        if (min_score > 0 && jaro_winkler_ruled_out(la, lb, prefix, min_score)) {
            *out = 0.0;
            return 1;
        }
    }
    int w = jaro_window(la, lb);
    uint64_t window = low_bits(w + 1);
    uint64_t aflags = 0, bflags = ~low_bits(lb);
    for (int i = 0; i < la; i++) {
        uint64_t eq = _mm512_cmpeq_epi8_mask(vb, _mm512_set1_epi8((char)a[i]));
        uint64_t cand = eq & window & ~bflags;
        bflags |= cand & (~cand + 1);
        aflags |= (uint64_t)(cand != 0) << i;
        window = (window << 1) | (uint64_t)(i + 1 <= w);
    }
    bflags &= low_bits(lb);
    __m512i matched_a = _mm512_maskz_compress_epi8(aflags, va);
    __m512i matched_b = _mm512_maskz_compress_epi8(bflags, vb);
    int m = __builtin_popcountll(aflags);
    int t = __builtin_popcountll(_mm512_cmpneq_epi8_mask(matched_a, matched_b));
    *out = jaro_result(la, lb, m, t, prefix);
    return 1;
}
#endif

/* No fast path: every pair goes through jaro_general. */
static int jaro_ascii_none(const char *a, size_t alen, const char *b, size_t blen, int winkler,
                           double min_score, double *out)
{
    (void)a, (void)alen, (void)b, (void)blen, (void)winkler, (void)min_score, (void)out;
    return 0;
}

/* Common prefix of a prepared pair, in characters, at most 4. */
static int winkler_prefix(const sim_pair *p)
{
    int n = p->la < p->lb ? p->la : p->lb;
    if (n > 4)
        n = 4;
    int l = 0;
    while (l < n && elem(p->a, p->wide, l) == elem(p->b, p->wide, l))
        l++;
    return l;
}

/* Jaro or Jaro-Winkler of any input, decoding where needed: the path for
 * non-ASCII text, for the portable variant, and off x86-64.  Both strings
 * non-empty. */
static double jaro_general(const char *a, size_t alen, const char *b, size_t blen, int winkler,
                           double min_score)
{
    if (bytes_equal(a, alen, b, blen))
        return 1.0;
    sim_pair p;
    sim_prepare(&p, a, alen, b, blen);
    int prefix = winkler ? winkler_prefix(&p) : 0;
    if (winkler && min_score > 0 && jaro_winkler_ruled_out(p.la, p.lb, prefix, min_score))
        return 0.0;
    uint64_t af, bf;
    int m, t;
    if (p.wide) {
        jaro_match_scalar(p.a, p.la, p.b, p.lb, 1, &af, &bf);
        t = jaro_unordered(p.a, p.b, 1, af, bf, &m);
    } else {
        jaro_match_scalar(p.a, p.la, p.b, p.lb, 0, &af, &bf);
        t = jaro_unordered(p.a, p.b, 0, af, bf, &m);
    }
    return jaro_result(p.la, p.lb, m, t, prefix);
}

static double jaro_any(const char *a, size_t alen, const char *b, size_t blen, int winkler,
                       double min_score);

double cl_sim_jaro(const char *a, size_t alen, const char *b, size_t blen)
{
    return jaro_any(a, alen, b, blen, 0, 0.0);
}

double cl_sim_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
    return jaro_any(a, alen, b, blen, 1, 0.0);
}

double cl_sim_jaro_winkler_min(const char *a, size_t alen, const char *b, size_t blen,
                               double min_score)
{
    return jaro_any(a, alen, b, blen, 1, min_score);
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

/* The "above the bound" answer, max + 1, kept from wrapping to 0. */
SIM_INLINE unsigned above(unsigned max)
{
    return max < UINT_MAX ? max + 1 : UINT_MAX;
}

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
 * Rows run over a (the shorter string), columns over b, three rows kept
 * (OSA looks two back).  Cells outside the band read as `big` (any value
 * above the bound does): the band moves right by at most one column a row,
 * so each row writes one cell either side of its band (the left one with
 * D[i][0] = i while the band touches column 0) and nothing else needs
 * initialising; a row reads only its own band and one cell either side in
 * the rows before. */
SIM_INLINE unsigned edit_kernel(const void *a, int la, const void *b, int lb, int wide,
                                unsigned max, int osa)
{
    strip_affixes(&a, &la, &b, &lb, wide);
    unsigned diff = (unsigned)(lb - la);
    if (diff > max)
        return above(max);
    if (la == 0)
        return diff;
    unsigned bound = max < (unsigned)lb ? max : (unsigned)lb;
    int left_reach = (int)(bound - diff) / 2, right_reach = (int)(bound + diff) / 2;
    unsigned big = bound + 1;
    unsigned rows[3][CL_SIM_MAX_CHARS + 2];
    unsigned *before = rows[0], *prev = rows[1], *cur = rows[2];
    int top = right_reach < lb ? right_reach : lb;
    for (int j = 0; j <= top; j++)
        prev[j] = (unsigned)j;
    prev[top + 1] = big;
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
        cur[hi + 1] = big;
        if (row_min > bound)
            return above(max);
        unsigned *spare = before;
        before = prev;
        prev = cur;
        cur = spare;
    }
    return prev[lb] <= bound ? prev[lb] : above(max);
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

/* ---- Variants: popcount kernels and the dispatch table ------------------- */

/* One variant of the instruction-set-dependent kernels. */
struct sim_impl {
    const char *name;
    /* Jaro / Jaro-Winkler of ASCII strings; returns 0 to decline. */
    int (*jaro_ascii)(const char *a, size_t alen, const char *b, size_t blen, int winkler,
                      double min_score, double *out);
    uint32_t (*popcount)(const uint64_t *bits, size_t words);
    uint32_t (*and_popcount)(const uint64_t *a, const uint64_t *b, size_t words);
    /* counts[k] = |query and filter f|, f = idx[k] (or k when idx is NULL). */
    void (*and_popcount_many)(const uint64_t *query, const uint64_t *filters, size_t words,
                              const uint32_t *idx, size_t n, uint32_t *counts);
    /* The single-pair calls whole, so that a public call is one jump. */
    double (*dice)(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                   size_t words);
    int (*dice_at_least)(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                         size_t words, double threshold);
};

/* Dice from the common count and the two popcounts; empty with empty is 1. */
SIM_INLINE double dice_score(uint32_t common, uint32_t pop_a, uint32_t pop_b)
{
    uint64_t total = (uint64_t)pop_a + pop_b;
    return total ? 2.0 * common / (double)total : 1.0;
}

/* 2 * common >= threshold * total, with empty-with-empty scoring 1. */
SIM_INLINE int dice_passes(uint32_t common, uint32_t pop_a, uint32_t pop_b, double threshold)
{
    uint64_t total = (uint64_t)pop_a + pop_b;
    return total ? 2.0 * common >= threshold * (double)total : threshold <= 1.0;
}

/* Whether the popcounts leave the threshold reachable at all. */
SIM_INLINE int dice_reachable(uint32_t pop_a, uint32_t pop_b, double threshold)
{
    return dice_passes(pop_a < pop_b ? pop_a : pop_b, pop_a, pop_b, threshold);
}

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
#if (defined(__GNUC__) || defined(__clang__)) && !defined(SIM_X86)
        n += (uint32_t)__builtin_popcountll(a[i] & b[i]); /* native on non-x86 */
#else
        n += popcount_swar(a[i] & b[i]);
#endif
    }
    return n;
}

/* Generates one variant from a target attribute, an always-inline popcount
 * kernel and a Jaro fast path, so every variant gets the same 16-word
 * specialisation and the same loops over many filters. */
#define SIM_VARIANT(name, attr, kernel, jaro)                                                  \
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
    attr static double name##_dice(const uint64_t *a, uint32_t pop_a, const uint64_t *b,      \
                                   uint32_t pop_b, size_t words)                              \
    {                                                                                         \
        if (pop_a == 0 || pop_b == 0)                                                         \
            return dice_score(0, pop_a, pop_b);                                               \
        return dice_score(words == 16 ? kernel(a, b, 16) : kernel(a, b, words), pop_a, pop_b); \
    }                                                                                         \
    attr static int name##_dice_at_least(const uint64_t *a, uint32_t pop_a, const uint64_t *b, \
                                         uint32_t pop_b, size_t words, double threshold)       \
    {                                                                                         \
        if (!dice_reachable(pop_a, pop_b, threshold))                                         \
            return 0;                                                                         \
        if (pop_a == 0 || pop_b == 0)                                                         \
            return dice_passes(0, pop_a, pop_b, threshold);                                   \
        return dice_passes(words == 16 ? kernel(a, b, 16) : kernel(a, b, words), pop_a, pop_b, \
                           threshold);                                                        \
    }                                                                                         \
    static const sim_impl name##_impl = {#name,               jaro,                          \
                                         name##_popcount,     name##_and_popcount,           \
                                         name##_many,         name##_dice,                   \
                                         name##_dice_at_least};

SIM_VARIANT(portable, , and_popcount_portable_kernel, jaro_ascii_none)

#ifdef SIM_X86
/* Compiled inside target("popcnt") functions, the builtin is one instruction. */
SIM_INLINE uint32_t and_popcount_builtin_kernel(const uint64_t *a, const uint64_t *b,
                                                size_t words)
{
    /* Four sums keep four counts in flight (gcc -O2 does not unroll). */
    uint64_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    size_t whole = words & ~(size_t)3;
    for (size_t i = 0; i < whole; i += 4) {
        n0 += (uint64_t)__builtin_popcountll(a[i] & b[i]);
        n1 += (uint64_t)__builtin_popcountll(a[i + 1] & b[i + 1]);
        n2 += (uint64_t)__builtin_popcountll(a[i + 2] & b[i + 2]);
        n3 += (uint64_t)__builtin_popcountll(a[i + 3] & b[i + 3]);
    }
    for (size_t i = whole; i < words; i++)
        n0 += (uint64_t)__builtin_popcountll(a[i] & b[i]);
    return (uint32_t)(n0 + n1 + n2 + n3);
}
SIM_VARIANT(popcnt, SIM_TARGET_POPCNT, and_popcount_builtin_kernel, jaro_ascii_sse2)

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
SIM_VARIANT(avx2, SIM_TARGET_AVX2, and_popcount_avx2_kernel, jaro_ascii_sse2)

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
SIM_VARIANT(avx512, SIM_TARGET_AVX512, and_popcount_avx512_kernel, jaro_ascii_avx512)
#endif

/* Every variant this build has, best first. */
static const sim_impl *const sim_impls[] = {
#ifdef SIM_X86
    &avx512_impl,
    &avx2_impl, /* measured ahead of scalar POPCNT on 128-byte filters */
    &popcnt_impl,
#endif
    &portable_impl,
};

static int impl_supported(const sim_impl *impl)
{
#ifdef SIM_X86
    /* No __builtin_cpu_init: the compiler runtime fills the feature flags
     * in a constructor, and calling it here from several threads at once
     * would race on them. */
    if (impl == &avx512_impl)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vbmi2") &&
               __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    if (impl == &avx2_impl)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    if (impl == &popcnt_impl)
        return __builtin_cpu_supports("popcnt");
#endif
    return impl == &portable_impl;
}

static const sim_impl *best_impl(void)
{
    for (size_t k = 0; k < sizeof sim_impls / sizeof sim_impls[0]; k++)
        if (impl_supported(sim_impls[k]))
            return sim_impls[k];
    return &portable_impl;
}

/* NULL until first use; then the variant every call goes through.  Racing
 * first calls store the same value, and the tables themselves are constant,
 * so an atomic pointer is all the synchronisation needed. */
static _Atomic(const sim_impl *) current_impl;

static const sim_impl *sim_current(void)
{
    const sim_impl *impl = atomic_load_explicit(&current_impl, memory_order_acquire);
    if (impl == NULL) {
        impl = best_impl();
        atomic_store_explicit(&current_impl, impl, memory_order_release);
    }
    return impl;
}

/* Jaro (winkler == 0) or Jaro-Winkler of any pair: the variant's ASCII fast
 * path when it takes the pair, else the decoding path. */
static double jaro_any(const char *a, size_t alen, const char *b, size_t blen, int winkler,
                       double min_score)
{
    if (alen == 0 || blen == 0)
        return alen == blen ? 1.0 : 0.0;
    double score;
    if (sim_current()->jaro_ascii(a, alen, b, blen, winkler, min_score, &score))
        return score;
    return jaro_general(a, alen, b, blen, winkler, min_score);
}

const char *cl_sim_impl(void)
{
    return sim_current()->name;
}

cl_status cl_sim_use(const char *name)
{
    if (name == NULL) {
        atomic_store_explicit(&current_impl, best_impl(), memory_order_release);
        return CL_OK;
    }
    for (size_t k = 0; k < sizeof sim_impls / sizeof sim_impls[0]; k++) {
        if (strcmp(sim_impls[k]->name, name) == 0) {
            if (!impl_supported(sim_impls[k]))
                return CL_EINVAL;
            atomic_store_explicit(&current_impl, sim_impls[k], memory_order_release);
            return CL_OK;
        }
    }
    return CL_EINVAL;
}

/* ---- Bloom-filter Dice ----------------------------------------------------- */

uint32_t cl_sim_popcount(const uint64_t *bits, size_t words)
{
    return sim_current()->popcount(bits, words);
}

uint32_t cl_sim_and_popcount(const uint64_t *a, const uint64_t *b, size_t words)
{
    return sim_current()->and_popcount(a, b, words);
}

double cl_sim_dice(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                   size_t words)
{
    return sim_current()->dice(a, pop_a, b, pop_b, words);
}

int cl_sim_dice_at_least(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                         size_t words, double threshold)
{
    return sim_current()->dice_at_least(a, pop_a, b, pop_b, words, threshold);
}

/* Filters handled per kernel call: the counts and candidates stay on the
 * stack and in L1. */
#define SIM_DICE_CHUNK 256

void cl_sim_dice_many(const uint64_t *query, uint32_t query_pop, const uint64_t *filters,
                      const uint32_t *pops, size_t count, size_t words, double *scores)
{
    const sim_impl *impl = sim_current();
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
    /* Dice never exceeds 1, so a threshold above 1 (or NaN) admits nothing;
     * at or below 1 an empty query still meets empty filters. */
    if (!(threshold <= 1.0))
        return 0;
    /* With |A and B| <= min(pa, pb), the threshold is reachable only for
     * pb in [pa t / (2 - t), pa (2 - t) / t]: an integer range test per
     * filter instead of floating point.  The range is widened by one each
     * way against rounding; dice_passes decides exactly. */
    uint32_t lowest = 0, highest = UINT32_MAX;
    if (threshold > 0) {
        double lo = floor(query_pop * threshold / (2.0 - threshold)) - 1;
        double hi = ceil(query_pop * (2.0 - threshold) / threshold) + 1;
        lowest = lo > 0 ? (uint32_t)lo : 0;
        highest = hi < (double)UINT32_MAX ? (uint32_t)hi : UINT32_MAX;
    }
    uint32_t span = highest - lowest;
    const sim_impl *impl = sim_current();
    uint32_t candidates[SIM_DICE_CHUNK], counts[SIM_DICE_CHUNK];
    size_t found = 0;
    for (size_t base = 0; base < count; base += SIM_DICE_CHUNK) {
        size_t n = count - base < SIM_DICE_CHUNK ? count - base : SIM_DICE_CHUNK;
        size_t kept = 0;
        for (size_t k = 0; k < n; k++) {
            candidates[kept] = (uint32_t)(base + k);
            kept += pops[base + k] - lowest <= span;
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
