/*
 * similarity.h - the comparison kernels of the linkage engine.
 *
 * Fellegi-Sunter scoring compares every candidate pair on several fields, so
 * these functions sit in the innermost loop and run tens of millions of times
 * a second.  They therefore never allocate, never fail, keep their working
 * state in small fixed stack buffers, and return early where they can (equal
 * strings, lengths that already rule a bound out).
 *
 * Strings are comparison keys: byte strings with an explicit length, with no
 * NUL bytes and no terminator needed.  A pointer may be NULL when its length
 * is 0.  What counts as a "character":
 *   - when both strings are ASCII, each byte is a character;
 *   - when either has a byte >= 0x80, both are decoded as UTF-8 and each code
 *     point is a character, so "zoë" and "zoe" are one substitution apart,
 *     not two.  A byte that does not start a valid UTF-8 sequence (stray
 *     continuation, overlong form, surrogate, truncated sequence) counts as
 *     one character of its own, unequal to every code point and to every
 *     other byte value.
 * Only the first CL_SIM_MAX_CHARS characters of each string are compared;
 * anything after is ignored (names, postcodes and identifiers as comparison
 * keys are far shorter).  Two strings with identical bytes are always equal,
 * whatever their length.
 *
 * Bloom-filter encodings are arrays of uint64_t words.  Their Dice similarity
 * uses the hardware population count.  The library is built for the
 * baseline CPU, so the kernels that gain from newer instructions (popcount,
 * Jaro on ASCII) exist in variants; the best one the CPU runs is chosen
 * once, on first use, and may be overridden for tests and benchmarks
 * (cl_sim_use).
 *
 * All functions are thread-safe and re-entrant.
 */
#ifndef CHILDLINK_SIMILARITY_H
#define CHILDLINK_SIMILARITY_H

#include <stddef.h>
#include <stdint.h>

#include "childlink/base.h"

/* Characters of each string that the string kernels look at. */
#define CL_SIM_MAX_CHARS 64

/* ---- Jaro, Jaro-Winkler, bigram Dice ------------------------------------ */

/* Jaro similarity of `a` (`alen` bytes) and `b` (`blen` bytes), in [0, 1].
 * Convention: two characters match when equal and at most
 * floor(max(|a|, |b|) / 2) - 1 positions apart (0 when that is negative);
 * each character matches at most once, earliest first; with m matches and
 * t the number of matched pairs out of order, t/2 transpositions count
 * (halved as a real number, so 3 out-of-order matches give 1.5), and
 * jaro = (m/|a| + m/|b| + (m - t/2)/m) / 3, or 0 when m = 0.
 * Identical strings (including two empty ones) give 1; an empty string
 * against a non-empty one gives 0.  Symmetric.  Never fails. */
CL_API double cl_sim_jaro(const char *a, size_t alen, const char *b, size_t blen);

/* Jaro-Winkler similarity, in [0, 1]: with j = cl_sim_jaro(a, b) and l the
 * length of the common prefix (at most 4 characters), j + 0.1 * l * (1 - j)
 * when j > 0.7, else j (Winkler's boost threshold; no long-string
 * adjustment).  Published values: MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.840,
 * DIXON/DICKSONX 0.813.  Symmetric.  Never fails. */
CL_API double cl_sim_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen);

/* Jaro-Winkler for a comparison level "score >= min_score": returns exactly
 * cl_sim_jaro_winkler(a, b) when that is >= min_score, and otherwise some
 * value below min_score (0 when the string lengths alone rule the level out,
 * which costs no character comparisons).  Never fails. */
CL_API double cl_sim_jaro_winkler_min(const char *a, size_t alen, const char *b, size_t blen,
                                      double min_score);

/* Dice coefficient of the multisets of adjacent character pairs (bigrams):
 * 2 * |common bigrams| / (bigrams of a + bigrams of b), in [0, 1].
 * Identical strings give 1; otherwise a string shorter than two characters
 * has no bigrams and gives 0.  Symmetric.  Never fails. */
CL_API double cl_sim_bigram_dice(const char *a, size_t alen, const char *b, size_t blen);

/* ---- Bounded edit distances --------------------------------------------- */

/* Levenshtein distance (insertions, deletions, substitutions, each 1)
 * between `a` and `b` when it is at most `max`; otherwise max + 1.  Work is
 * O(n * max) in a diagonal band after common prefixes and suffixes are
 * removed, and stops as soon as the bound is certain to be exceeded.
 * A `max` of CL_SIM_MAX_CHARS or more means unbounded.  Symmetric.
 * Never fails. */
CL_API unsigned cl_sim_levenshtein(const char *a, size_t alen, const char *b, size_t blen,
                                   unsigned max);

/* Optimal-string-alignment distance (Levenshtein plus transposition of two
 * adjacent characters, each 1, no substring edited twice: "CA" -> "ABC" is
 * 3, not Damerau's 2) when at most `max`; otherwise max + 1.  Same bounds,
 * cost and conventions as cl_sim_levenshtein.  Never fails. */
CL_API unsigned cl_sim_osa(const char *a, size_t alen, const char *b, size_t blen,
                           unsigned max);

/* ---- Near agreement of fixed-length identifiers -------------------------- */

/* How two fixed-length identifiers (NHS number, UPN, yyyymmdd) differ. */
typedef enum cl_sim_near {
    CL_SIM_NEAR_EQUAL = 0,          /* same bytes */
    CL_SIM_NEAR_SUBSTITUTION = 1,   /* exactly one position differs */
    CL_SIM_NEAR_TRANSPOSITION = 2,  /* exactly two adjacent positions differ,
                                       and swapping them makes them equal */
    CL_SIM_NEAR_OTHER = 3           /* anything else, including unequal lengths */
} cl_sim_near;

/* Classify `a` against `b` byte by byte (whole strings, no length cap).
 * Symmetric.  Never fails. */
CL_API cl_sim_near cl_sim_near_classify(const char *a, size_t alen, const char *b, size_t blen);

/* ---- Dates --------------------------------------------------------------- */

/* A date as comparisons want it, filled once per record: the day number
 * (as from cl_date_parse) and its calendar parts (as from cl_date_to_ymd),
 * so that comparing never converts.  Year 0..9999. */
typedef struct cl_sim_date {
    int32_t days;
    int16_t year;
    uint8_t month;   /* 1..12 */
    uint8_t day;     /* 1..31 */
} cl_sim_date;

/* |a - b| in days, without overflow for any two int32 day numbers. */
CL_API uint32_t cl_sim_days_apart(int32_t a, int32_t b);

/* 1 when `a` and `b` differ only by day and month having been swapped
 * (same year, a.day == b.month, a.month == b.day, a.day != a.month), else 0. */
CL_API int cl_sim_date_dm_swapped(cl_sim_date a, cl_sim_date b);

/* Number of digits (0..8) that differ between the yyyymmdd renderings of
 * `a` and `b`; 1 means "one digit different" (a keying slip).  Years outside
 * 0..9999 are rendered modulo 10000. */
CL_API unsigned cl_sim_date_digits_differ(cl_sim_date a, cl_sim_date b);

/* ---- Bloom-filter Dice --------------------------------------------------- */

/* Number of set bits in `words` words of `bits`. */
CL_API uint32_t cl_sim_popcount(const uint64_t *bits, size_t words);

/* Number of bits set in both `a` and `b` (`words` words each). */
CL_API uint32_t cl_sim_and_popcount(const uint64_t *a, const uint64_t *b, size_t words);

/* Dice similarity 2 |A and B| / (|A| + |B|) of two filters of `words` words,
 * given their popcounts `pop_a` and `pop_b` (from cl_sim_popcount, stored
 * with the encoding).  In [0, 1]; two empty filters give 1.  Never fails. */
CL_API double cl_sim_dice(const uint64_t *a, uint32_t pop_a, const uint64_t *b, uint32_t pop_b,
                          size_t words);

/* 1 when the Dice similarity of `a` and `b` is at least `threshold`, else 0,
 * tested as 2 |A and B| >= threshold * (|A| + |B|) so no division is done;
 * it can disagree with cl_sim_dice(...) >= threshold only through rounding
 * when the two are within one unit in the last place.  Skips the bit count
 * when the popcounts alone rule the threshold out.  Never fails. */
CL_API int cl_sim_dice_at_least(const uint64_t *a, uint32_t pop_a, const uint64_t *b,
                                uint32_t pop_b, size_t words, double threshold);

/* Score one filter against many: `filters` holds `count` filters of `words`
 * words each, back to back, and `pops` their popcounts; writes
 * scores[i] = Dice(query, filter i) for every i.  `scores` holds `count`
 * doubles.  Never fails. */
CL_API void cl_sim_dice_many(const uint64_t *query, uint32_t query_pop, const uint64_t *filters,
                             const uint32_t *pops, size_t count, size_t words, double *scores);

/* Candidate search: like cl_sim_dice_many, but writes to `indices` (room for
 * `count` entries) the positions, in increasing order, of the filters whose
 * Dice similarity with `query` is at least `threshold` (tested as in
 * cl_sim_dice_at_least), and their scores to `scores` when it is not NULL.
 * Filters whose popcount alone rules the threshold out are not read.
 * `count` must not exceed UINT32_MAX.  Returns the number written.
 * Never fails. */
CL_API size_t cl_sim_dice_search(const uint64_t *query, uint32_t query_pop,
                                 const uint64_t *filters, const uint32_t *pops, size_t count,
                                 size_t words, double threshold, uint32_t *indices,
                                 double *scores);

/* ---- Instruction-set variants ------------------------------------------- */

/* Name of the kernel variant in use, the best this CPU runs unless
 * cl_sim_use chose another:
 *   "avx512"   AVX-512 F/BW/VBMI2/VPOPCNTDQ with BMI2 (Ice Lake, Zen 4 and later)
 *   "avx2"     AVX2 nibble-table popcount; SSE2 Jaro
 *   "popcnt"   scalar POPCNT; SSE2 Jaro
 *   "portable" plain C throughout (the only variant off x86-64)
 * Every variant gives identical results. */
CL_API const char *cl_sim_impl(void);

/* Use the variant called `name` (one of the above) from now on, in every
 * thread; NULL chooses the best one again.  For tests and benchmarks.
 * Returns CL_OK, or CL_EINVAL when the name is unknown or this CPU (or this
 * build) cannot run it, leaving the choice unchanged. */
CL_API cl_status cl_sim_use(const char *name);

#endif
