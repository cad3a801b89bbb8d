/*
 * clk_blake2b.c - keyed BLAKE2b-512 (RFC 7693) for the clkhash encoder.
 *
 * OpenSSL offers BLAKE2b as an EVP_MAC, but every call then re-derives the
 * state from the key and goes through the provider machinery.  clkhash
 * hashes each token with the same key and one of a few salts, and tokens are
 * short, so here the state after the key block is computed once per (key,
 * salt) and each token costs a single compression.  The unit tests check
 * this implementation against OpenSSL's BLAKE2BMAC and clkhash's digests.
 */
#include <string.h>

#include "clk_internal.h"

static const uint64_t blake2b_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
    0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
    0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL
};

static const uint8_t blake2b_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}
};

static uint64_t load64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t rotr64(uint64_t x, unsigned n)
{
    return (x >> n) | (x << (64 - n));
}

#define G(a, b, c, d, x, y)               \
    do {                                  \
        a = a + b + (x);                  \
        d = rotr64(d ^ a, 32);            \
        c = c + d;                        \
        b = rotr64(b ^ c, 24);            \
        a = a + b + (y);                  \
        d = rotr64(d ^ a, 16);            \
        c = c + d;                        \
        b = rotr64(b ^ c, 63);            \
    } while (0)

/* Compress one 128-byte block; `t` counts bytes including this block. */
static void compress(uint64_t h[8], const unsigned char block[128], uint64_t t, int last)
{
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++)
        m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = blake2b_iv[i];
    }
    v[12] ^= t;          /* high word of the counter is always 0 here */
    if (last)
        v[14] = ~v[14];
    /* Spelled out so that every message index is a constant and v stays in
     * registers: about twice as fast as a loop over the rounds. */
#define ROUND(r)                                                          \
    do {                                                                  \
        G(v[0], v[4], v[8], v[12], m[blake2b_sigma[r][0]], m[blake2b_sigma[r][1]]);   \
        G(v[1], v[5], v[9], v[13], m[blake2b_sigma[r][2]], m[blake2b_sigma[r][3]]);   \
        G(v[2], v[6], v[10], v[14], m[blake2b_sigma[r][4]], m[blake2b_sigma[r][5]]);  \
        G(v[3], v[7], v[11], v[15], m[blake2b_sigma[r][6]], m[blake2b_sigma[r][7]]);  \
        G(v[0], v[5], v[10], v[15], m[blake2b_sigma[r][8]], m[blake2b_sigma[r][9]]);  \
        G(v[1], v[6], v[11], v[12], m[blake2b_sigma[r][10]], m[blake2b_sigma[r][11]]); \
        G(v[2], v[7], v[8], v[13], m[blake2b_sigma[r][12]], m[blake2b_sigma[r][13]]);  \
        G(v[3], v[4], v[9], v[14], m[blake2b_sigma[r][14]], m[blake2b_sigma[r][15]]);  \
    } while (0)
    ROUND(0);
    ROUND(1);
    ROUND(2);
    ROUND(3);
    ROUND(4);
    ROUND(5);
    ROUND(6);
    ROUND(7);
    ROUND(8);
    ROUND(9);
    ROUND(10);
    ROUND(11);
#undef ROUND
    for (int i = 0; i < 8; i++)
        h[i] ^= v[i] ^ v[i + 8];
}

/* Initial chaining value from the parameter block: 64-byte digest, key
 * length, fanout 1, depth 1, the salt; everything else zero. */
static void param_init(uint64_t h[8], size_t key_len, const unsigned char *salt,
                       size_t salt_len)
{
    unsigned char padded_salt[16] = {0};
    memcpy(padded_salt, salt, salt_len > 16 ? 16 : salt_len);
    for (int i = 0; i < 8; i++)
        h[i] = blake2b_iv[i];
    h[0] ^= 0x01010000ULL | ((uint64_t)key_len << 8) | 64u;
    h[4] ^= load64(padded_salt);
    h[5] ^= load64(padded_salt + 8);
}

void clk_blake2b_keyed_init(clk_blake2b_state *s, const unsigned char *key, size_t key_len,
                            const unsigned char *salt, size_t salt_len)
{
    unsigned char block[128] = {0};
    param_init(s->h, key_len, salt, salt_len);
    memcpy(block, key, key_len);
    compress(s->h, block, 128, 0);
    s->t = 128;
}

void clk_blake2b_finish(const clk_blake2b_state *s, const unsigned char *msg, size_t len,
                        const unsigned char *key, size_t key_len, const unsigned char *salt,
                        size_t salt_len, uint64_t out[8])
{
    unsigned char block[128];
    if (len == 0) {
        /* The key block is the only, hence final, block. */
        memset(block, 0, sizeof block);
        memcpy(block, key, key_len);
        param_init(out, key_len, salt, salt_len);
        compress(out, block, 128, 1);
        return;
    }
    memcpy(out, s->h, sizeof s->h);
    uint64_t t = s->t;
    while (len > 128) {
        t += 128;
        compress(out, msg, t, 0);
        msg += 128;
        len -= 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, msg, len);
    t += len;
    compress(out, block, t, 1);
}
