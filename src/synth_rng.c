/*
 * synth_rng.c - randomness for the synthetic-data generator.
 *
 * The same seed must give the same files on every machine, so nothing here
 * comes from the C library: xoshiro256** (Blackman and Vigna) for streams,
 * splitmix64's finaliser for hashing keys into seeds, and sampling helpers
 * that use integer arithmetic or only the exactly-rounded double operations.
 * Streams are cheap to create, so the generator keys a fresh one by
 * (seed, purpose, index) wherever it wants draws that do not depend on
 * generation order (a family, a child's sticky errors in one source).
 */
#include "synth_internal.h"

uint64_t synth_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t synth_hash3(uint64_t a, uint64_t b, uint64_t c)
{
    return synth_mix(synth_mix(synth_mix(a) ^ b) ^ c);
}

void synth_rng_seed(synth_rng *r, uint64_t key)
{
    uint64_t x = key;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ull;
        r->s[i] = synth_mix(x);
    }
    /* xoshiro must not start all-zero; splitmix outputs make that
     * impossible in practice, but make it impossible in fact. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t synth_rng_u64(synth_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t synth_rng_u32(synth_rng *r)
{
    return (uint32_t)(synth_rng_u64(r) >> 32);
}

uint32_t synth_rng_below(synth_rng *r, uint32_t n)
{
    /* Multiply-shift: bias below 2^-32 per value, far under any tolerance
     * the generator's statistics could notice, and no division. */
    return (uint32_t)(((uint64_t)synth_rng_u32(r) * n) >> 32);
}

int32_t synth_rng_range(synth_rng *r, int32_t lo, int32_t hi)
{
    return lo + (int32_t)synth_rng_below(r, (uint32_t)(hi - lo) + 1u);
}

synth_prob synth_prob_of(double p)
{
    if (!(p > 0.0))
        return 0;
    if (p >= 1.0)
        return (synth_prob)1 << 32;
    return (synth_prob)(p * 4294967296.0);
}

int synth_rng_chance(synth_rng *r, synth_prob p)
{
    return (uint64_t)synth_rng_u32(r) < p;
}

double synth_rng_unit(synth_rng *r)
{
    return (double)(synth_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

double synth_rng_normal(synth_rng *r)
{
    double sum = 0.0;
    for (int i = 0; i < 12; i++)
        sum += synth_rng_unit(r);
    return sum - 6.0;
}

double synth_exp_neg(double x)
{
    /* Halve until small, sum the series, then square back up: only
     * exactly-rounded operations, so every IEEE machine agrees. */
    int halvings = 0;
    while (x > 0.125 && halvings < 20) {
        x *= 0.5;
        halvings++;
    }
    double term = 1.0, sum = 1.0;
    /* x <= 1/8: eight terms leave a relative error below 1e-13, far finer
     * than any sampling here can notice. */
    for (int k = 1; k <= 8; k++) {
        term = term * -x / (double)k;
        sum += term;
    }
    for (int i = 0; i < halvings; i++)
        sum *= sum;
    return sum;
}

int synth_rng_poisson(synth_rng *r, double mean)
{
    if (!(mean > 0.0))
        return 0;
    if (mean > 50.0)
        mean = 50.0;
    double u = synth_rng_unit(r);
    double p = synth_exp_neg(mean);
    double cum = p;
    int k = 0;
    while (u > cum && k < 200) {
        k++;
        p = p * mean / (double)k;
        cum += p;
    }
    return k;
}

size_t synth_rng_pick(synth_rng *r, const uint32_t *cum, size_t n)
{
    uint32_t u = synth_rng_below(r, cum[n - 1]);
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u < cum[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint64_t synth_permute(uint64_t x, uint64_t key, int bits)
{
    /* A balanced Feistel network: each round is invertible whatever the
     * round function, so the whole is a bijection on [0, 2^bits). */
    int half = bits / 2;
    uint64_t mask = (1ull << half) - 1;
    uint64_t left = (x >> half) & mask, right = x & mask;
    for (uint64_t round = 0; round < 4; round++) {
        uint64_t f = synth_mix(key ^ (round << 58) ^ right) & mask;
        uint64_t next = left ^ f;
        left = right;
        right = next;
    }
    return (left << half) | right;
}
