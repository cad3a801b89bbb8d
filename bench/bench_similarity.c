/*
 * bench_similarity.c - throughput of the comparison kernels.
 *
 * Builds a fixed, seeded set of synthetic comparison keys (name-like
 * strings made of syllables, their typing-error variants, unrelated names,
 * accented names in UTF-8, 10-digit identifiers, dates and 1024-bit Bloom
 * filters), then calls each kernel over the whole set repeatedly for a
 * fixed time and prints one line per kernel:
 *
 *     similarity: jaro_winkler 48.1 M comparisons/s
 *
 * The pair sets exclude byte-identical strings (which return at once), so
 * the string figures are for the work that remains after that early exit.
 * The data fit in L2, as a block of candidate pairs does.  Each figure is
 * the best of five rounds, since benchmarks often share a machine.
 *
 * Usage: bench_similarity [SECONDS_PER_KERNEL]   (default 0.3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childlink/similarity.h"

#define PAIRS 4096
#define KEY_CAP 48
#define FILTERS 4096
#define WORDS 16 /* 1024-bit filters */

typedef struct key {
    char s[KEY_CAP];
    size_t len;
} key;

typedef struct bench_data {
    key name_a[PAIRS], name_b[PAIRS];   /* ASCII, near or unrelated */
    key utf8_a[PAIRS], utf8_b[PAIRS];   /* with accented letters */
    key id_a[PAIRS], id_b[PAIRS];       /* 10-digit identifiers */
    cl_sim_date date_a[PAIRS], date_b[PAIRS];
    uint64_t filters[FILTERS * WORDS];
    uint32_t pops[FILTERS];
    uint32_t partner[PAIRS];            /* filter compared with filter i */
    double scores[FILTERS];
    uint32_t found[FILTERS];
} bench_data;

static uint64_t rng_state = UINT64_C(0x853C49E6748FEA9B);
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

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A name of 2-4 syllables, upper case, like a comparison key. */
static void make_name(key *k, int accented)
{
    static const char *const onsets[] = {"B", "CH", "D", "F", "G", "H", "J", "K", "L", "M",
                                         "N", "P", "R", "S", "SH", "T", "TH", "V", "W", "Z"};
    static const char *const vowels[] = {"A", "E", "I", "O", "U", "AI", "EE", "OO", "Y"};
    static const char *const accents[] = {"\xc3\x89", "\xc3\x8b", "\xc3\x96", "\xc3\x9c",
                                          "\xc4\x8c"}; /* É Ë Ö Ü Č */
    k->len = 0;
    int syllables = 2 + (int)rnd(3);
    for (int s = 0; s < syllables; s++) {
        const char *parts[2] = {onsets[rnd(20)], vowels[rnd(9)]};
        if (accented && rnd(3) == 0)
            parts[1] = accents[rnd(5)];
        for (int p = 0; p < 2; p++) {
            size_t n = strlen(parts[p]);
            memcpy(k->s + k->len, parts[p], n);
            k->len += n;
        }
    }
}

/* A copy of `in` with one or two typing errors (ASCII positions only). */
static void make_variant(const key *in, key *out)
{
    *out = *in;
    int edits = 1 + (int)rnd(2);
    for (int e = 0; e < edits && out->len > 2; e++) {
        size_t at = rnd((unsigned)out->len - 1);
        if ((unsigned char)out->s[at] >= 0x80 || (unsigned char)out->s[at + 1] >= 0x80)
            continue;
        switch (rnd(4)) {
        case 0: /* substitution */
            out->s[at] = (char)('A' + rnd(26));
            break;
        case 1: { /* transposition */
            char t = out->s[at];
            out->s[at] = out->s[at + 1];
            out->s[at + 1] = t;
            break;
        }
        case 2: /* deletion */
            memmove(out->s + at, out->s + at + 1, out->len - at - 1);
            out->len--;
            break;
        default: /* insertion */
            if (out->len + 1 < KEY_CAP) {
                memmove(out->s + at + 1, out->s + at, out->len - at);
                out->s[at] = (char)('A' + rnd(26));
                out->len++;
            }
            break;
        }
    }
}

/* Half near pairs (one or two errors), half unrelated; never identical. */
static void make_pairs(key *a, key *b, int accented)
{
    for (int i = 0; i < PAIRS; i++) {
        do {
            make_name(&a[i], accented);
            if (i % 2)
                make_variant(&a[i], &b[i]);
            else
                make_name(&b[i], accented);
        } while (a[i].len == b[i].len && memcmp(a[i].s, b[i].s, a[i].len) == 0);
    }
}

static void make_data(bench_data *d)
{
    make_pairs(d->name_a, d->name_b, 0);
    make_pairs(d->utf8_a, d->utf8_b, 1);
    for (int i = 0; i < PAIRS; i++) {
        key *a = &d->id_a[i], *b = &d->id_b[i];
        a->len = b->len = 10;
        for (int k = 0; k < 10; k++)
            a->s[k] = (char)('0' + rnd(10));
        *b = *a;
        int kind = (int)rnd(4);
        if (kind == 1) {
            b->s[rnd(10)] = (char)('0' + rnd(10));
        } else if (kind == 2) {
            unsigned at = rnd(9);
            char t = b->s[at];
            b->s[at] = b->s[at + 1];
            b->s[at + 1] = t;
        } else if (kind == 3) {
            for (int k = 0; k < 10; k++)
                b->s[k] = (char)('0' + rnd(10));
        }
        int year = 2000 + (int)rnd(20), month = 1 + (int)rnd(12), day = 1 + (int)rnd(28);
        d->date_a[i] = (cl_sim_date){(int32_t)(year * 365 + month * 31 + day), (int16_t)year,
                                     (uint8_t)month, (uint8_t)day};
        d->date_b[i] = d->date_a[i];
        if (rnd(2))
            d->date_b[i].day = (uint8_t)(1 + rnd(28));
    }
    /* Filters of 20-35 % density; every fourth a noisy copy of another, so
     * that search thresholds are met by some. */
    for (int f = 0; f < FILTERS; f++) {
        uint64_t *w = d->filters + (size_t)f * WORDS;
        for (int i = 0; i < WORDS; i++) {
            if (f % 4 == 3) {
                uint64_t noise = rng() & rng() & rng() & rng();
                w[i] = d->filters[(size_t)(f - 3) * WORDS + i] ^ noise;
            } else {
                w[i] = (rng() & rng()) | (rng() & rng() & rng());
            }
        }
        d->pops[f] = cl_sim_popcount(w, WORDS);
    }
    for (int i = 0; i < PAIRS; i++)
        d->partner[i] = i % 4 == 0 ? (uint32_t)((i + 3) % FILTERS) : rnd(FILTERS);
}

/* One pass of a kernel over its data; returns the comparisons made and adds
 * something result-dependent to *sink so nothing is optimised away.  Each
 * pass sums into a local first: accumulating through the pointer would
 * chain every call on a store and reload, and time that instead. */
typedef size_t (*bench_pass)(bench_data *d, double *sink);

static size_t pass_jaro(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_jaro(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s, d->name_b[i].len);
    *sink += total;
    return PAIRS;
}

static size_t pass_jaro_winkler(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_jaro_winkler(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s,
                                     d->name_b[i].len);
    *sink += total;
    return PAIRS;
}

static size_t pass_jaro_winkler_min(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_jaro_winkler_min(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s,
                                         d->name_b[i].len, 0.88);
    *sink += total;
    return PAIRS;
}

static size_t pass_jaro_winkler_utf8(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_jaro_winkler(d->utf8_a[i].s, d->utf8_a[i].len, d->utf8_b[i].s,
                                     d->utf8_b[i].len);
    *sink += total;
    return PAIRS;
}

static size_t pass_levenshtein_2(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_levenshtein(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s,
                                    d->name_b[i].len, 2);
    *sink += total;
    return PAIRS;
}

static size_t pass_levenshtein_unbounded(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_levenshtein(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s,
                                    d->name_b[i].len, CL_SIM_MAX_CHARS);
    *sink += total;
    return PAIRS;
}

static size_t pass_osa_2(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_osa(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s, d->name_b[i].len, 2);
    *sink += total;
    return PAIRS;
}

static size_t pass_levenshtein_utf8_2(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_levenshtein(d->utf8_a[i].s, d->utf8_a[i].len, d->utf8_b[i].s,
                                    d->utf8_b[i].len, 2);
    *sink += total;
    return PAIRS;
}

static size_t pass_bigram_dice(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_bigram_dice(d->name_a[i].s, d->name_a[i].len, d->name_b[i].s,
                                    d->name_b[i].len);
    *sink += total;
    return PAIRS;
}

static size_t pass_near_classify(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++)
        total += cl_sim_near_classify(d->id_a[i].s, d->id_a[i].len, d->id_b[i].s, d->id_b[i].len);
    *sink += total;
    return PAIRS;
}

static size_t pass_dates(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++) {
        cl_sim_date a = d->date_a[i], b = d->date_b[i];
        total += cl_sim_days_apart(a.days, b.days) + cl_sim_date_dm_swapped(a, b) +
                 cl_sim_date_digits_differ(a, b);
    }
    *sink += total;
    return PAIRS;
}

static size_t pass_dice_1024(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++) {
        uint32_t j = d->partner[i];
        total += cl_sim_dice(d->filters + (size_t)i * WORDS, d->pops[i],
                             d->filters + (size_t)j * WORDS, d->pops[j], WORDS);
    }
    *sink += total;
    return PAIRS;
}

static size_t pass_dice_1024_at_least(bench_data *d, double *sink)
{
    double total = 0;
    for (int i = 0; i < PAIRS; i++) {
        uint32_t j = d->partner[i];
        total += cl_sim_dice_at_least(d->filters + (size_t)i * WORDS, d->pops[i],
                                      d->filters + (size_t)j * WORDS, d->pops[j], WORDS, 0.8);
    }
    *sink += total;
    return PAIRS;
}

/* Queries: 16 filters each scored against all 4096. */
static size_t pass_dice_1024_many(bench_data *d, double *sink)
{
    double total = 0;
    for (int q = 0; q < 16; q++) {
        cl_sim_dice_many(d->filters + (size_t)q * 97 * WORDS, d->pops[q * 97], d->filters,
                         d->pops, FILTERS, WORDS, d->scores);
        total += d->scores[q];
    }
    *sink += total;
    return 16 * FILTERS;
}

static size_t pass_dice_1024_search(bench_data *d, double *sink)
{
    double total = 0;
    for (int q = 0; q < 16; q++) {
        total += (double)cl_sim_dice_search(d->filters + (size_t)q * 97 * WORDS, d->pops[q * 97],
                                            d->filters, d->pops, FILTERS, WORDS, 0.8, d->found,
                                            NULL);
    }
    *sink += total;
    return 16 * FILTERS;
}

/* Runs `pass` for about `seconds` in five rounds and reports the best
 * round: on a shared machine the best round is the closest to what the
 * kernel does uncontended. */
static void run(const char *name, bench_pass pass, bench_data *d, double seconds)
{
    double sink = 0, best = 0;
    pass(d, &sink); /* warm caches and branch predictors */
    for (int round = 0; round < 5; round++) {
        size_t comparisons = 0;
        double start = now_seconds(), elapsed;
        do {
            comparisons += pass(d, &sink);
            elapsed = now_seconds() - start;
        } while (elapsed < seconds / 5);
        if (comparisons / elapsed > best)
            best = comparisons / elapsed;
    }
    printf("similarity: %s %.1f M comparisons/s\n", name, best / 1e6);
    if (sink == 0.123456789)
        printf("(unlikely checksum)\n");
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.3;
    if (seconds <= 0 || seconds > 60) {
        fprintf(stderr, "usage: bench_similarity [SECONDS_PER_KERNEL]\n");
        return 2;
    }
    bench_data *d = malloc(sizeof *d);
    if (d == NULL) {
        fprintf(stderr, "bench_similarity: out of memory\n");
        return 1;
    }
    make_data(d);
    printf("similarity: kernel variant %s\n", cl_sim_impl());
    run("jaro", pass_jaro, d, seconds);
    run("jaro_winkler", pass_jaro_winkler, d, seconds);
    run("jaro_winkler_min_0.88", pass_jaro_winkler_min, d, seconds);
    run("jaro_winkler_utf8", pass_jaro_winkler_utf8, d, seconds);
    run("levenshtein_max2", pass_levenshtein_2, d, seconds);
    run("levenshtein_unbounded", pass_levenshtein_unbounded, d, seconds);
    run("osa_max2", pass_osa_2, d, seconds);
    run("levenshtein_utf8_max2", pass_levenshtein_utf8_2, d, seconds);
    run("bigram_dice", pass_bigram_dice, d, seconds);
    run("near_classify_10", pass_near_classify, d, seconds);
    run("date_apart_swap_digits", pass_dates, d, seconds);
    run("dice_1024", pass_dice_1024, d, seconds);
    run("dice_1024_at_least", pass_dice_1024_at_least, d, seconds);
    run("dice_1024_many", pass_dice_1024_many, d, seconds);
    run("dice_1024_search_0.8", pass_dice_1024_search, d, seconds);
    /* Every kernel variant this CPU runs, for comparison. */
    static const char *const impls[] = {"avx512", "avx2", "popcnt", "portable"};
    for (size_t k = 0; k < sizeof impls / sizeof impls[0]; k++) {
        if (cl_sim_use(impls[k]) != CL_OK)
            continue;
        char label[64];
        snprintf(label, sizeof label, "jaro_winkler[%s]", impls[k]);
        run(label, pass_jaro_winkler, d, seconds);
        snprintf(label, sizeof label, "dice_1024[%s]", impls[k]);
        run(label, pass_dice_1024, d, seconds);
        snprintf(label, sizeof label, "dice_1024_many[%s]", impls[k]);
        run(label, pass_dice_1024_many, d, seconds);
    }
    cl_sim_use(NULL);
    free(d);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "bench_similarity: cannot write output\n");
        return 1;
    }
    return 0;
}
