/*
 * fuzz_similarity.c - libFuzzer target for the comparison kernels.
 *
 * The input is split into two strings (the first byte chooses where) and
 * every string kernel is run on the pair both ways round; the same bytes
 * are then read as two Bloom filters.  Nothing here knows the right
 * answers, so the checks are properties that must hold for any input:
 * ranges, symmetry, identity, bounded results agreeing with unbounded ones,
 * the level form of Jaro-Winkler agreeing with the full score, the
 * threshold test agreeing with the score, and every popcount
 * implementation agreeing with the others.  A failed check aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/similarity.h"

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond))                                                                          \
            abort();                                                                          \
    } while (0)

static void check_strings(const char *a, size_t alen, const char *b, size_t blen, uint8_t knob)
{
    double jaro = cl_sim_jaro(a, alen, b, blen);
    double jw = cl_sim_jaro_winkler(a, alen, b, blen);
    CHECK(jaro >= 0.0 && jaro <= 1.0);
    CHECK(jw >= jaro && jw <= 1.0);
    CHECK(fabs(jaro - cl_sim_jaro(b, blen, a, alen)) <= 1e-12);
    CHECK(fabs(jw - cl_sim_jaro_winkler(b, blen, a, alen)) <= 1e-12);
    CHECK(cl_sim_jaro(a, alen, a, alen) == 1.0);
    CHECK(cl_sim_jaro_winkler(b, blen, b, blen) == 1.0);
    if (alen == blen && memcmp(a, b, alen) == 0)
        CHECK(jw == 1.0);

    double min_score = knob / 255.0;
    double level = cl_sim_jaro_winkler_min(a, alen, b, blen, min_score);
    if (jw >= min_score)
        CHECK(level == jw);
    else
        CHECK(level < min_score);

    double dice = cl_sim_bigram_dice(a, alen, b, blen);
    CHECK(dice >= 0.0 && dice <= 1.0);
    CHECK(dice == cl_sim_bigram_dice(b, blen, a, alen));

    /* Characters never outnumber bytes, and at most 64 are compared. */
    size_t longest = alen > blen ? alen : blen;
    if (longest > CL_SIM_MAX_CHARS)
        longest = CL_SIM_MAX_CHARS;
    unsigned lev = cl_sim_levenshtein(a, alen, b, blen, UINT32_MAX);
    unsigned osa = cl_sim_osa(a, alen, b, blen, CL_SIM_MAX_CHARS);
    CHECK(lev <= longest && osa <= lev);
    CHECK(lev == cl_sim_levenshtein(b, blen, a, alen, CL_SIM_MAX_CHARS));
    CHECK(osa == cl_sim_osa(b, blen, a, alen, UINT32_MAX));
    CHECK((lev == 0) == (jaro == 1.0));
    CHECK(cl_sim_levenshtein(a, alen, a, alen, 0) == 0);
    for (unsigned max = 0; max <= 5; max++) {
        CHECK(cl_sim_levenshtein(a, alen, b, blen, max) == (lev <= max ? lev : max + 1));
        CHECK(cl_sim_osa(b, blen, a, alen, max) == (osa <= max ? osa : max + 1));
    }

    /* Every variant gives bit-identical scores. */
    static const char *const variants[] = {"portable", "popcnt", "avx2", "avx512"};
    for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++) {
        if (cl_sim_use(variants[k]) != CL_OK)
            continue;
        CHECK(cl_sim_jaro(a, alen, b, blen) == jaro);
        CHECK(cl_sim_jaro_winkler(b, blen, a, alen) == cl_sim_jaro_winkler(a, alen, b, blen));
        CHECK(cl_sim_jaro_winkler_min(a, alen, b, blen, min_score) == level);
    }
    cl_sim_use(NULL);

    cl_sim_near near = cl_sim_near_classify(a, alen, b, blen);
    CHECK(near == cl_sim_near_classify(b, blen, a, alen));
    CHECK((near == CL_SIM_NEAR_EQUAL) == (alen == blen && memcmp(a, b, alen) == 0));
    if (near == CL_SIM_NEAR_SUBSTITUTION || near == CL_SIM_NEAR_TRANSPOSITION)
        CHECK(alen == blen);
}

static void check_filters(const uint8_t *data, size_t size, uint8_t knob)
{
    enum { MAX_WORDS = 40 };
    uint64_t a[MAX_WORDS], b[MAX_WORDS];
    size_t words = size / 16;
    if (words > MAX_WORDS)
        words = MAX_WORDS;
    memcpy(a, data, words * 8);
    memcpy(b, data + words * 8, words * 8);
    static const char *const variants[] = {"portable", "popcnt", "avx2", "avx512"};
    double first = -1;
    for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++) {
        if (cl_sim_use(variants[k]) != CL_OK)
            continue;
        uint32_t pa = cl_sim_popcount(a, words), pb = cl_sim_popcount(b, words);
        uint32_t common = cl_sim_and_popcount(a, b, words);
        CHECK(common <= pa && common <= pb && pa <= 64 * words && pb <= 64 * words);
        double score = cl_sim_dice(a, pa, b, pb, words);
        CHECK(score >= 0.0 && score <= 1.0);
        CHECK(score == cl_sim_dice(b, pb, a, pa, words));
        CHECK(cl_sim_dice(a, pa, a, pa, words) == 1.0);
        if (first < 0)
            first = score;
        CHECK(score == first);
        /* The division-free test may differ from the score only by rounding. */
        double threshold = knob / 255.0;
        int passes = cl_sim_dice_at_least(a, pa, b, pb, words, threshold);
        CHECK(passes == (score >= threshold) || fabs(score - threshold) <= 1e-12);
        uint32_t found;
        double found_score;
        size_t n = cl_sim_dice_search(a, pa, b, &pb, 1, words, threshold, &found, &found_score);
        CHECK(n == (size_t)passes);
        if (n == 1)
            CHECK(found == 0 && found_score == score);
    }
    cl_sim_use(NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t knob = data[0];
    const char *rest = (const char *)data + 1;
    size_t rest_len = size - 1;
    size_t split = rest_len ? (size_t)data[1] % (rest_len + 1) : 0;
    check_strings(rest, split, rest + split, rest_len - split, knob);
    check_filters(data + 1, size - 1, knob);
    return 0;
}
