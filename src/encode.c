/*
 * encode.c - identifier and payload files from one extract (see encode.h).
 *
 * Per record: clean (clean.h) into standard forms, compose the token inputs,
 * HMAC each under its own subkey, build the Bloom filters, write one row to
 * each output.  The encoder owns one HMAC or PRF context per subkey and
 * every buffer, so the loop allocates nothing once the buffers have grown
 * to the longest value.
 *
 * Bloom positions (scheme 2): for each q-gram, the message M = salt 0x00
 * gram becomes a 16-byte block -- M zero-padded to 13 bytes then |M| when
 * |M| <= 13 (a birth year and a bigram of any two characters fit), else the
 * first 13 bytes of HMAC(subkey, M) then 0xFF -- followed by a 16-bit
 * big-endian counter c = 0, 1, ...  Each block goes through the field's
 * keyed PRF (AES-256, keys.h); each output block is read as two big-endian
 * 64-bit words, each giving floor(64 / pb) draws of pb = ceil(log2(bits))
 * bits, most significant first; a draw >= bits is rejected (only possible
 * when bits is not a power of two) so that every position is uniform.  All
 * the blocks of one field go to the PRF in one call: an AES block costs a
 * few nanoseconds where an HMAC per gram cost hundreds, and no cache of
 * positions is needed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childlink/clk.h"
#include "childlink/csv.h"
#include "childlink/encode.h"
#include "childlink/outfile.h"
#include "childlink/phonetic.h"
#include "childlink/postcode.h"

/* Longest value (bytes) a filter looks at: standardised names, dates and
 * postcodes are far shorter; anything longer is cut at a character boundary. */
#define MAX_VALUE_BYTES 256
#define MAX_GRAMS (MAX_VALUE_BYTES + 8)
#define MAX_SALT_BYTES 16

static const char *const token_names[CL_TOKEN_COUNT] = {
    "nhs_number", "upn", "local_id", "dob", "sex", "postcode_yob", "postcode_sector_dob",
    "postcode_district_dob", "dob_year", "surname_sdx_ym", "names_sdx_yob", "postcode_initial",
    "dob_forename_initial", "dob_surname_initial", "other_id", "dob_year_month",
};
static const char *const filter_names[CL_FILTER_COUNT] = {
    "bf_forenames", "bf_surname", "bf_dob", "bf_postcode", "bf_address", "bf_record",
};

const char *cl_encode_token_name(cl_encode_token t)
{
    return (unsigned)t < CL_TOKEN_COUNT ? token_names[t] : "";
}

const char *cl_encode_filter_name(cl_encode_filter f)
{
    return (unsigned)f < CL_FILTER_COUNT ? filter_names[f] : "";
}

void cl_encode_options_init(cl_encode_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->bloom_bits = 1024;
    opt->q = 2;
    opt->salt = CL_SALT_YEAR_MONTH;
}

struct cl_encoder {
    cl_encode_options opt;
    cl_key_mac *record_mac;
    cl_key_mac *token_mac[CL_TOKEN_COUNT];
    cl_key_mac *long_gram_mac;   /* shortens q-gram messages too long for a block */
    cl_key_prf *filter_prf[CL_FILTER_RECORD];          /* positions in field filters */
    cl_key_prf *record_filter_prf[CL_FILTER_RECORD];   /* in bf_record, per field */
    cl_key_prf *flip_prf;       /* bit-flip noise */
    unsigned char *flip_blocks;   /* bloom_bits / 8 blocks, when flipping */
    char *record_prefix;       /* "record" 0 source 0: what every record id follows */
    size_t record_prefix_len;
    unsigned position_bits;   /* ceil(log2(bloom_bits)) */
    size_t raw_bytes;         /* bloom_bits / 8 */
    size_t out_bytes;         /* after folding and balancing */
    uint32_t *balance[CL_FILTER_COUNT];   /* balancing: bit s of the folded filter and
                                             its complement goes to bit balance[f][s] */
    unsigned char *raw;       /* scratch filter */
    unsigned char *filter[CL_FILTER_COUNT];
    char *message;            /* salt 0 gram 0 counter */
    size_t gram_start[MAX_GRAMS + 1];
    unsigned char *prf_in, *prf_out;   /* PRF blocks of one field, grown as needed */
    size_t prf_cap;                    /* blocks they hold */
};

static void hex16(const unsigned char *mac, char out[CL_TOKEN_CHARS + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < CL_TOKEN_CHARS / 2; i++) {
        out[2 * i] = digits[mac[i] >> 4];
        out[2 * i + 1] = digits[mac[i] & 15];
    }
    out[CL_TOKEN_CHARS] = '\0';
}

void cl_encoder_free(cl_encoder *e)
{
    if (e == NULL)
        return;
    cl_free(e->prf_in);
    cl_free(e->prf_out);
    for (int f = 0; f < CL_FILTER_COUNT; f++)
        cl_free(e->balance[f]);
    cl_key_mac_free(e->record_mac);
    for (int t = 0; t < CL_TOKEN_COUNT; t++)
        cl_key_mac_free(e->token_mac[t]);
    for (int f = 0; f < CL_FILTER_RECORD; f++) {
        cl_key_prf_free(e->filter_prf[f]);
        cl_key_prf_free(e->record_filter_prf[f]);
    }
    cl_key_prf_free(e->flip_prf);
    cl_free(e->flip_blocks);
    cl_key_mac_free(e->long_gram_mac);
    cl_free(e->record_prefix);
    cl_free(e->raw);
    for (int f = 0; f < CL_FILTER_COUNT; f++)
        cl_free(e->filter[f]);
    cl_free(e->message);
    cl_free(e);
}

/* The keyed permutation of a balanced filter's bits: Fisher-Yates over
 * 2n positions, each swap index drawn from the AES PRF of a counter under
 * the subkey for `purpose` (32-bit draws, rejection keeps them uniform). */
static cl_status make_balance(cl_encoder *e, const cl_key *key, const char *purpose, int f,
                              cl_error *err)
{
    uint32_t n = (uint32_t)e->out_bytes * 8;   /* balanced length */
    cl_key_prf *prf = NULL;
    cl_status st = cl_key_prf_derived(&prf, key, purpose, err);
    if (st != CL_OK)
        return st;
    if ((e->balance[f] = cl_malloc(n * sizeof *e->balance[f])) == NULL) {
        cl_key_prf_free(prf);
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    }
    uint32_t *perm = e->balance[f];
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    unsigned char in[CL_PRF_BLOCK] = {0}, out[CL_PRF_BLOCK];
    uint64_t counter = 0;
    unsigned used = 4;   /* 32-bit draws left unread in out */
    for (uint32_t i = n - 1; i > 0; i--) {
        uint64_t range = (uint64_t)i + 1, limit = (UINT64_C(1) << 32) / range * range;
        uint64_t draw;
        do {
            if (used == 4) {
                for (int b = 0; b < 8; b++)
                    in[8 + b] = (unsigned char)(counter >> (56 - 8 * b));
                counter++;
                if (cl_key_prf_blocks(prf, in, 1, out) != 0) {
                    cl_key_prf_free(prf);
                    return cl_error_set(err, CL_EINVAL, NULL, 0, "AES-256 failed");
                }
                used = 0;
            }
            const unsigned char *d = out + 4 * used++;
            draw = (uint64_t)d[0] << 24 | (uint64_t)d[1] << 16 | (uint64_t)d[2] << 8 | d[3];
        } while (draw >= limit);
        uint32_t j = (uint32_t)(draw % range), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    cl_key_prf_free(prf);
    /* Keep the inverse: encoding walks the set source bits. */
    uint32_t *place = cl_malloc(n * sizeof *place);
    if (place == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        place[perm[i]] = i;
    cl_free(perm);
    e->balance[f] = place;
    return CL_OK;
}

cl_status cl_encoder_new(cl_encoder **out, const cl_key *key, const char *source,
                         const cl_encode_options *opt, cl_error *err)
{
    *out = NULL;
    cl_encode_options defaults;
    if (opt == NULL) {
        cl_encode_options_init(&defaults);
        opt = &defaults;
    }
    if (opt->bloom_bits < 64 || opt->bloom_bits > 65536 || opt->bloom_bits % 64 != 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "--bloom-bits must be a multiple of 64 from 64 to 65536");
    if (opt->bloom_k > 256)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "--bloom-k must be 0 (budget) to 256");
    if (opt->q < 1 || opt->q > 4)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "q must be 1 to 4");
    if (!(opt->flip_probability >= 0.0 && opt->flip_probability <= 0.5))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "--bloom-flip must be from 0 to 0.5");
    cl_encoder *e = cl_calloc(1, sizeof *e);
    if (e == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    e->opt = *opt;
    e->opt.source = NULL;
    e->raw_bytes = opt->bloom_bits / 8;
    e->out_bytes = opt->xor_fold ? e->raw_bytes / 2 : e->raw_bytes;
    if (opt->balance)
        e->out_bytes *= 2;
    size_t filter_buffer = e->out_bytes > e->raw_bytes ? e->out_bytes : e->raw_bytes;
    while ((1u << e->position_bits) < opt->bloom_bits)
        e->position_bits++;
    cl_status st = CL_ENOMEM;
    size_t sl = strlen(source) < 256 ? strlen(source) : 256;
    e->record_prefix_len = 7 + sl + 1;
    if ((e->record_prefix = cl_malloc(e->record_prefix_len)) == NULL ||
        (e->raw = cl_malloc(e->raw_bytes)) == NULL ||
        (e->message = cl_malloc(MAX_SALT_BYTES + MAX_VALUE_BYTES + 8)) == NULL)
        goto fail;
    memcpy(e->record_prefix, "record", 7);   /* its NUL is the separator */
    memcpy(e->record_prefix + 7, source, sl);
    e->record_prefix[7 + sl] = '\0';
    for (int f = 0; f < CL_FILTER_COUNT; f++)
        if ((e->filter[f] = cl_calloc(1, filter_buffer)) == NULL)
            goto fail;
    char purpose[64];
    if ((st = cl_key_mac_new(&e->record_mac, key, err)) != CL_OK ||
        (st = cl_key_prf_derived(&e->flip_prf, key, "bloom-flip", err)) != CL_OK ||
        (st = cl_key_mac_derived(&e->long_gram_mac, key, "bloom-long-grams", err)) != CL_OK)
        goto fail;
    for (int t = 0; t < CL_TOKEN_COUNT; t++) {
        snprintf(purpose, sizeof purpose, "token/%s", token_names[t]);
        if ((st = cl_key_mac_derived(&e->token_mac[t], key, purpose, err)) != CL_OK)
            goto fail;
    }
    for (int f = 0; f < CL_FILTER_RECORD; f++) {
        snprintf(purpose, sizeof purpose, "bloom-positions/%s", filter_names[f]);
        if ((st = cl_key_prf_derived(&e->filter_prf[f], key, purpose, err)) != CL_OK)
            goto fail;
        snprintf(purpose, sizeof purpose, "bloom-record-positions/%s", filter_names[f]);
        if ((st = cl_key_prf_derived(&e->record_filter_prf[f], key, purpose, err)) != CL_OK)
            goto fail;
    }
    if (opt->flip_probability > 0 &&
        (e->flip_blocks = cl_malloc((size_t)opt->bloom_bits / 8 * CL_PRF_BLOCK)) == NULL) {
        st = CL_ENOMEM;
        goto fail;
    }
    if (opt->balance)
        for (int f = 0; f < CL_FILTER_COUNT; f++) {
            snprintf(purpose, sizeof purpose, "bloom-balance/%s", filter_names[f]);
            if ((st = make_balance(e, key, purpose, f, err)) != CL_OK)
                goto fail;
        }
    *out = e;
    return CL_OK;
fail:
    cl_encoder_free(e);
    if (st == CL_ENOMEM)
        cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    return st;
}

size_t cl_encoder_filter_bytes(const cl_encoder *e) { return e->out_bytes; }

/* The record token's bytes: HMAC(key, "record" 0 source 0 record_id). */
static int record_mac(cl_encoder *e, const char *record_id, size_t len,
                      unsigned char mac[CL_KEY_BYTES])
{
    return cl_key_mac_compute2(e->record_mac, e->record_prefix, e->record_prefix_len, record_id,
                               len, mac);
}

int cl_encoder_record_token(cl_encoder *e, const char *record_id, size_t len,
                            char out[CL_TOKEN_CHARS + 1])
{
    unsigned char mac[CL_KEY_BYTES];
    if (record_mac(e, record_id, len, mac) != 0)
        return -1;
    hex16(mac, out);
    return 0;
}

int cl_encoder_token(cl_encoder *e, cl_encode_token t, const char *value, size_t len,
                     char out[CL_TOKEN_CHARS + 1])
{
    out[0] = '\0';
    if (len == 0 || (unsigned)t >= CL_TOKEN_COUNT)
        return 0;
    unsigned char mac[CL_KEY_BYTES];
    if (cl_key_mac_compute(e->token_mac[t], value, len, mac) != 0)
        return -1;
    hex16(mac, out);
    return 0;
}

/* Length of the UTF-8 sequence starting with byte `c` (1 for anything that
 * does not start a multi-byte sequence, so bad bytes count as characters). */
static size_t utf8_len(unsigned char c)
{
    if (c < 0xC0)
        return 1;
    if (c < 0xE0)
        return 2;
    if (c < 0xF0)
        return 3;
    return c < 0xF8 ? 4 : 1;
}

/* Block 0 of the message salt 0x00 gram (file comment), counter bytes zero.
 * `short_form` is the block already holding the salt and separator. */
static int gram_block(cl_key_mac *mac, const unsigned char short_form[CL_PRF_BLOCK],
                      char *msg, size_t salt_len, const char *gram, size_t gram_len,
                      unsigned char blk[CL_PRF_BLOCK])
{
    size_t n = salt_len + 1 + gram_len;
    if (n <= 13) {
        memcpy(blk, short_form, CL_PRF_BLOCK);
        for (size_t i = 0; i < gram_len; i++)   /* a few bytes: no call to memcpy */
            blk[salt_len + 1 + i] = (unsigned char)gram[i];
        blk[13] = (unsigned char)n;
        return 0;
    }
    unsigned char digest[CL_KEY_BYTES];
    memcpy(msg + salt_len + 1, gram, gram_len);   /* msg holds salt 0x00 already */
    if (cl_key_mac_compute(mac, msg, n, digest) != 0)
        return -1;
    memcpy(blk, digest, 13);
    blk[13] = 0xFF;
    blk[14] = blk[15] = 0;
    return 0;
}

static uint64_t load_be64(const unsigned char *b)
{
    return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
           (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
           (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

/* Set `want` accepted positions read from the PRF outputs `out` of one
 * q-gram's `nb` blocks; when rejections leave too few, further blocks are
 * made from block 0 `in` with the counter running on. */
static int set_positions(cl_encoder *e, cl_key_prf *prf, const unsigned char *in,
                         const unsigned char *out, unsigned nb, unsigned want, unsigned char *bits)
{
    const unsigned pb = e->position_bits, m = e->opt.bloom_bits, per_word = 64 / pb;
    const uint64_t mask = (UINT64_C(1) << pb) - 1;
    unsigned char extra_in[CL_PRF_BLOCK], extra_out[CL_PRF_BLOCK];
    if ((m & (m - 1)) == 0) {   /* every draw is accepted: nb blocks are enough */
        const unsigned shift = 64 - pb;
        unsigned left = want;
        for (const unsigned char *blk = out; left > 0; blk += 8) {
            uint64_t w = load_be64(blk);
            unsigned take = left < per_word ? left : per_word;
            for (unsigned j = 0; j < take; j++, w <<= pb) {
                unsigned p = (unsigned)(w >> shift);
                bits[p >> 3] |= (unsigned char)(0x80u >> (p & 7));
            }
            left -= take;
        }
        return 0;
    }
    const unsigned char *blk = out;
    unsigned set = 0;
    for (unsigned c = 0;;) {
        for (int half = 0; half < 2; half++) {
            uint64_t w = load_be64(blk + 8 * half);
            for (unsigned j = 1; j <= per_word; j++) {
                unsigned p = (unsigned)(w >> (64 - pb * j) & mask);
                if (p >= m)
                    continue;
                bits[p >> 3] |= (unsigned char)(0x80u >> (p & 7));
                if (++set == want)
                    return 0;
            }
        }
        if (++c < nb) {
            blk = out + (size_t)c * CL_PRF_BLOCK;
            continue;
        }
        if (c > 0xFFFF)
            return -1;
        memcpy(extra_in, in, CL_PRF_BLOCK);
        extra_in[14] = (unsigned char)(c >> 8);
        extra_in[15] = (unsigned char)c;
        if (cl_key_prf_blocks(prf, extra_in, 1, extra_out) != 0)
            return -1;
        blk = extra_out;
    }
}

/* The PRF input blocks of every q-gram of `value` under `salt`, into
 * e->prf_in: *nb blocks for each of the returned number of q-grams (0 for an
 * empty value, -1 out of memory), each to give *per_gram positions.  `k` 0
 * means the fixed budget `budget` spread over the q-grams.  The blocks do
 * not depend on the filter: each filter's own PRF key keeps them apart. */
static long gram_blocks(cl_encoder *e, const char *value, size_t len, const char *salt,
                        size_t salt_len, unsigned k, unsigned budget, unsigned *per_gram,
                        unsigned *nb)
{
    if (len == 0)
        return 0;
    if (len > MAX_VALUE_BYTES)
        len = MAX_VALUE_BYTES;
    if (salt_len > MAX_SALT_BYTES)
        salt_len = MAX_SALT_BYTES;
    const unsigned q = e->opt.q, pad = q - 1;
    /* The padded value is pad '_' + value + pad '_'; gram_start holds each
     * character's offset into it. */
    char padded[MAX_VALUE_BYTES + 8];
    memset(padded, '_', pad);
    memcpy(padded + pad, value, len);
    memset(padded + pad + len, '_', pad);
    size_t plen = len + 2 * pad, nchars = 0;
    for (size_t i = 0; i < plen && nchars < MAX_GRAMS;) {
        e->gram_start[nchars++] = i;
        size_t step = utf8_len((unsigned char)padded[i]);
        i += step <= plen - i ? step : plen - i;
    }
    e->gram_start[nchars] = plen;
    size_t ngrams = nchars >= q ? nchars - q + 1 : 1;
    *per_gram = k;
    if (k == 0) {
        *per_gram = (unsigned)((budget + ngrams / 2) / ngrams);
        if (*per_gram == 0)
            *per_gram = 1;
    }
    const unsigned per_block = 2 * (64 / e->position_bits);
    *nb = (*per_gram + per_block - 1) / per_block;
    size_t total = ngrams * *nb;
    if (total > e->prf_cap) {
        cl_free(e->prf_in);
        cl_free(e->prf_out);
        e->prf_out = NULL;
        e->prf_cap = 0;
        if ((e->prf_in = cl_malloc(total * CL_PRF_BLOCK)) == NULL ||
            (e->prf_out = cl_malloc(total * CL_PRF_BLOCK)) == NULL)
            return -1;
        e->prf_cap = total;
    }
    char *msg = e->message;
    memcpy(msg, salt, salt_len);
    msg[salt_len] = '\0';
    unsigned char short_form[CL_PRF_BLOCK] = {0};
    if (salt_len < 13)
        memcpy(short_form, salt, salt_len);
    for (size_t g = 0; g < ngrams; g++) {
        size_t from = e->gram_start[g];
        size_t to = g + q <= nchars ? e->gram_start[g + q] : plen;
        unsigned char *blk = e->prf_in + g * *nb * CL_PRF_BLOCK;
        if (gram_block(e->long_gram_mac, short_form, msg, salt_len, padded + from, to - from,
                       blk) != 0)
            return -1;
        for (unsigned c = 1; c < *nb; c++) {
            unsigned char *next = blk + (size_t)c * CL_PRF_BLOCK;
            memcpy(next, blk, 14);
            next[14] = (unsigned char)(c >> 8);
            next[15] = (unsigned char)c;
        }
    }
    return (long)ngrams;
}

/* Set the positions of the blocks gram_blocks made, under `prf`, in bits. */
static int set_grams(cl_encoder *e, cl_key_prf *prf, long ngrams, unsigned per_gram,
                     unsigned nb, unsigned char *bits)
{
    if (ngrams <= 0)
        return ngrams < 0 ? -1 : 0;
    if (cl_key_prf_blocks(prf, e->prf_in, (size_t)ngrams * nb, e->prf_out) != 0)
        return -1;
    for (size_t g = 0; g < (size_t)ngrams; g++) {
        size_t at = g * nb * CL_PRF_BLOCK;
        if (set_positions(e, prf, e->prf_in + at, e->prf_out + at, nb, per_gram, bits) != 0)
            return -1;
    }
    return 0;
}

int cl_encoder_bloom(cl_encoder *e, cl_encode_filter f, const char *value, size_t len,
                     const char *salt, size_t salt_len, unsigned char *bits)
{
    memset(bits, 0, e->raw_bytes);
    if ((unsigned)f >= CL_FILTER_RECORD)
        return -1;
    unsigned per_gram, nb;
    long ngrams = gram_blocks(e, value, len, salt, salt_len, e->opt.bloom_k,
                              e->opt.bloom_bits / 8, &per_gram, &nb);
    return set_grams(e, e->filter_prf[f], ngrams, per_gram, nb, bits);
}

/* Flip noise, then folding, then balancing, from e->raw into `dst`.  The
 * noise is drawn from the flip PRF of the record token and the filter
 * (docs/privacy.md): secret, and the same for the same record every time,
 * so output stays deterministic. */
static int finish_filter(cl_encoder *e, const unsigned char *record_key, int f,
                         unsigned char *dst)
{
    if (e->opt.flip_probability > 0) {
        /* Block c: the record token's first 12 bytes, the filter, 0, c (16
         * bits, big-endian); each output block gives eight 16-bit draws,
         * one per bit, which flips where it is below P * 65536. */
        unsigned threshold = (unsigned)(e->opt.flip_probability * 65536.0 + 0.5);
        unsigned nblocks = e->opt.bloom_bits / 8;
        unsigned char *blocks = e->flip_blocks;
        for (unsigned c = 0; c < nblocks; c++) {
            unsigned char *b = blocks + (size_t)c * CL_PRF_BLOCK;
            memcpy(b, record_key, 12);
            b[12] = (unsigned char)f;
            b[13] = 0;
            b[14] = (unsigned char)(c >> 8);
            b[15] = (unsigned char)c;
        }
        if (cl_key_prf_blocks(e->flip_prf, blocks, nblocks, blocks) != 0)
            return -1;
        for (unsigned c = 0; c < nblocks; c++) {   /* block c: the flips of byte c */
            const unsigned char *d = blocks + (size_t)c * CL_PRF_BLOCK;
            unsigned mask = 0;
            for (int k = 0; k < 8; k++)
                mask |= (((unsigned)d[2 * k] << 8 | d[2 * k + 1]) < threshold) << (7 - k);
            e->raw[c] ^= (unsigned char)mask;
        }
    }
    size_t n = e->raw_bytes;
    if (e->opt.xor_fold) {
        n /= 2;
        for (size_t i = 0; i < n; i++)
            e->raw[i] ^= e->raw[i + n];
    }
    if (!e->opt.balance) {
        memcpy(dst, e->raw, n);
        return 0;
    }
    /* Balanced: source bit s of raw || ~raw goes to output bit place[s]. */
    const uint32_t *place = e->balance[f], bits = (uint32_t)n * 8;
    memset(dst, 0, 2 * n);
    for (int half = 0; half < 2; half++)
        for (uint32_t w = 0; w < (bits + 63) / 64; w++) {
            /* A folded filter may end in half a word; raw holds twice its
             * bytes, so the load stays inside, and the mask drops the rest. */
            uint64_t x = load_be64(e->raw + 8 * w);
            if (half)
                x = ~x;
            if (bits - w * 64 < 64)
                x &= ~UINT64_C(0) << (64 - (bits - w * 64));
            while (x) {   /* most significant set bit first: bit 63 is position 0 */
                int z = __builtin_clzll(x);
                uint32_t q = place[half * bits + w * 64 + (uint32_t)z];
                dst[q >> 3] |= (unsigned char)(0x80u >> (q & 7));
                x &= ~(UINT64_C(1) << (63 - z));
            }
        }
    return 0;
}

/* The first '|'-separated value of a field. */
static size_t first_value(const char *s, size_t len)
{
    const char *bar = memchr(s, '|', len);
    return bar ? (size_t)(bar - s) : len;
}

/* "a|b|c" of up to three pieces into `buf`; 0 (empty) if any piece is empty. */
static size_t compose(char *buf, size_t cap, const char *a, size_t alen, const char *b,
                      size_t blen, const char *c, size_t clen)
{
    if (alen == 0 || blen == 0 || (c != NULL && clen == 0) ||
        alen + blen + clen + 3 > cap)
        return 0;
    size_t n = 0;
    memcpy(buf, a, alen);
    n = alen;
    buf[n++] = '|';
    memcpy(buf + n, b, blen);
    n += blen;
    if (c != NULL) {
        buf[n++] = '|';
        memcpy(buf + n, c, clen);
        n += clen;
    }
    return n;
}

/* Whether the record's sex is M or F: unknown and indeterminate are missing,
 * in tokens and payloads as in clear-text linkage. */
static int known_sex(const cl_clean_record *rec)
{
    const char *sex = rec->value[CL_FIELD_SEX];
    return sex && rec->len[CL_FIELD_SEX] >= 1 && (sex[0] == 'M' || sex[0] == 'F');
}

int cl_encoder_record(cl_encoder *e, const cl_clean_record *rec, cl_encoded *out)
{
    const char *v[CL_FIELD_COUNT];
    size_t n[CL_FIELD_COUNT];
    for (int f = 0; f < CL_FIELD_COUNT; f++) {
        v[f] = rec->value[f] ? rec->value[f] : "";
        n[f] = rec->value[f] ? first_value(v[f], rec->len[f]) : 0;
    }
    unsigned char mac[CL_KEY_BYTES];
    if (record_mac(e, v[CL_FIELD_RECORD_ID], rec->len[CL_FIELD_RECORD_ID], mac) != 0)
        return -1;
    hex16(mac, out->record_token);
    memcpy(out->record_key, mac, sizeof out->record_key);
    out->nhs_number_valid = rec->check[CL_FIELD_NHS_NUMBER] == CL_CHECK_VALID;
    /* A temporary UPN is no evidence of identity (as in clear-text linkage). */
    out->upn_valid = rec->check[CL_FIELD_UPN] == CL_CHECK_VALID && rec->reason[CL_FIELD_UPN] == NULL;

    const char *year = v[CL_FIELD_DOB];
    size_t year_len = n[CL_FIELD_DOB] >= 4 ? 4 : 0;
    cl_postcode pc;
    memset(&pc, 0, sizeof pc);
    char free_postcode[64];
    const char *postcode = pc.full;
    if (n[CL_FIELD_POSTCODE] > 0 &&
        cl_postcode_parse(v[CL_FIELD_POSTCODE], n[CL_FIELD_POSTCODE], &pc, NULL) != CL_CHECK_VALID) {
        /* Cleaning empties postcodes a UK-format schema refuses, so this is a
         * free-form one ("postcode_format": "any"): the whole value, no
         * sector or district. */
        memset(&pc, 0, sizeof pc);
        size_t take = n[CL_FIELD_POSTCODE] < sizeof free_postcode ? n[CL_FIELD_POSTCODE] : 0;
        memcpy(free_postcode, v[CL_FIELD_POSTCODE], take);
        free_postcode[take] = '\0';
        postcode = free_postcode;
    }
    /* cl_soundex reads up to the first space or '|', so the whole field is fine. */
    char fore_sdx[5] = "", sur_sdx[5] = "";
    if (n[CL_FIELD_FORENAMES] > 0)
        cl_soundex(v[CL_FIELD_FORENAMES], fore_sdx);
    if (n[CL_FIELD_SURNAME] > 0)
        cl_soundex(v[CL_FIELD_SURNAME], sur_sdx);
    size_t initial_len = n[CL_FIELD_FORENAMES] > 0
                             ? utf8_len((unsigned char)v[CL_FIELD_FORENAMES][0]) : 0;
    if (initial_len > n[CL_FIELD_FORENAMES])
        initial_len = n[CL_FIELD_FORENAMES];
    size_t surname_initial_len = n[CL_FIELD_SURNAME] > 0
                                     ? utf8_len((unsigned char)v[CL_FIELD_SURNAME][0]) : 0;
    if (surname_initial_len > n[CL_FIELD_SURNAME])
        surname_initial_len = n[CL_FIELD_SURNAME];
    /* Only a whole ISO date gives date tokens ("2011-05" is its first 7 bytes). */
    size_t dob_len = n[CL_FIELD_DOB] == 10 ? 10 : 0;
    size_t month_len = dob_len ? 7 : 0;

    char buf[MAX_VALUE_BYTES + 32];
    size_t len;
    int bad = 0;
    bad |= cl_encoder_token(e, CL_TOKEN_NHS_NUMBER, v[CL_FIELD_NHS_NUMBER], n[CL_FIELD_NHS_NUMBER],
                            out->token[CL_TOKEN_NHS_NUMBER]);
    bad |= cl_encoder_token(e, CL_TOKEN_UPN, v[CL_FIELD_UPN], n[CL_FIELD_UPN],
                            out->token[CL_TOKEN_UPN]);
    bad |= cl_encoder_token(e, CL_TOKEN_LOCAL_ID, v[CL_FIELD_LOCAL_ID], n[CL_FIELD_LOCAL_ID],
                            out->token[CL_TOKEN_LOCAL_ID]);
    bad |= cl_encoder_token(e, CL_TOKEN_DOB, v[CL_FIELD_DOB], n[CL_FIELD_DOB],
                            out->token[CL_TOKEN_DOB]);
    bad |= cl_encoder_token(e, CL_TOKEN_OTHER_ID, v[CL_FIELD_OTHER_ID], n[CL_FIELD_OTHER_ID],
                            out->token[CL_TOKEN_OTHER_ID]);
    bad |= cl_encoder_token(e, CL_TOKEN_SEX, v[CL_FIELD_SEX], known_sex(rec) ? 1 : 0,
                            out->token[CL_TOKEN_SEX]);
    /* Areas are frequency targets (docs/privacy.md): a postcode only with the
     * birth year, a sector or district only with the whole date of birth. */
    len = compose(buf, sizeof buf, postcode, strlen(postcode), year, year_len, NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_POSTCODE_YOB, buf, len, out->token[CL_TOKEN_POSTCODE_YOB]);
    len = compose(buf, sizeof buf, pc.sector, strlen(pc.sector), v[CL_FIELD_DOB], n[CL_FIELD_DOB],
                  NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_POSTCODE_SECTOR_DOB, buf, len,
                            out->token[CL_TOKEN_POSTCODE_SECTOR_DOB]);
    len = compose(buf, sizeof buf, pc.district, strlen(pc.district), v[CL_FIELD_DOB],
                  n[CL_FIELD_DOB], NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_POSTCODE_DISTRICT_DOB, buf, len,
                            out->token[CL_TOKEN_POSTCODE_DISTRICT_DOB]);
    bad |= cl_encoder_token(e, CL_TOKEN_DOB_YEAR, year, year_len, out->token[CL_TOKEN_DOB_YEAR]);
    len = compose(buf, sizeof buf, sur_sdx, strlen(sur_sdx), v[CL_FIELD_DOB], month_len, NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_SURNAME_SDX_YM, buf, len,
                            out->token[CL_TOKEN_SURNAME_SDX_YM]);
    /* The two codes in byte order: a forename/surname swap keeps the token. */
    const char *sdx_lo = strcmp(fore_sdx, sur_sdx) <= 0 ? fore_sdx : sur_sdx;
    const char *sdx_hi = sdx_lo == fore_sdx ? sur_sdx : fore_sdx;
    len = compose(buf, sizeof buf, sdx_lo, strlen(sdx_lo), sdx_hi, strlen(sdx_hi), year, year_len);
    bad |= cl_encoder_token(e, CL_TOKEN_NAMES_SDX_YOB, buf, len,
                            out->token[CL_TOKEN_NAMES_SDX_YOB]);
    len = compose(buf, sizeof buf, postcode, strlen(postcode), v[CL_FIELD_FORENAMES], initial_len,
                  NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_POSTCODE_INITIAL, buf, len,
                            out->token[CL_TOKEN_POSTCODE_INITIAL]);
    len = compose(buf, sizeof buf, v[CL_FIELD_DOB], dob_len, v[CL_FIELD_FORENAMES], initial_len,
                  NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_DOB_FORENAME_INITIAL, buf, len,
                            out->token[CL_TOKEN_DOB_FORENAME_INITIAL]);
    len = compose(buf, sizeof buf, v[CL_FIELD_DOB], dob_len, v[CL_FIELD_SURNAME],
                  surname_initial_len, NULL, 0);
    bad |= cl_encoder_token(e, CL_TOKEN_DOB_SURNAME_INITIAL, buf, len,
                            out->token[CL_TOKEN_DOB_SURNAME_INITIAL]);
    if (bad)
        return -1;

    /* Field filters and the record-level filter.  The dob filter is not
     * salted: salting it with its own year would stop a wrong year from
     * near-agreeing, and a date is no frequency target. */
    static const int filter_field[CL_FILTER_RECORD] = {
        CL_FIELD_FORENAMES, CL_FIELD_SURNAME, CL_FIELD_DOB, CL_FIELD_POSTCODE, CL_FIELD_ADDRESS,
    };
    /* Address lines and place as one text: either alone is a frequency
     * target (a town), together and salted they are not. */
    char address[2 * MAX_VALUE_BYTES + 2];
    size_t address_len = 0;
    for (int field = CL_FIELD_ADDRESS; field <= CL_FIELD_PLACE; field++) {
        size_t take = n[field] < MAX_VALUE_BYTES ? n[field] : MAX_VALUE_BYTES;
        if (take == 0)
            continue;
        if (address_len > 0)
            address[address_len++] = ' ';
        memcpy(address + address_len, v[field], take);
        address_len += take;
    }
    /* A date of birth known only to the year salts with the year: a record
     * of the same child with the whole date then compares as "no evidence". */
    cl_encode_salt salted = e->opt.salt;
    size_t year_month_len = n[CL_FIELD_DOB] >= 7 && v[CL_FIELD_DOB][4] == '-' ? 7 : 0;
    if ((salted == CL_SALT_DOB && dob_len == 0) ||
        (salted == CL_SALT_YEAR_MONTH && year_month_len == 0))
        salted = CL_SALT_BIRTH_YEAR;
    out->filters_salted = salted;
    out->filters_balanced = e->opt.balance != 0;
    const char *salt = salted == CL_SALT_NONE ? "" : v[CL_FIELD_DOB];
    size_t salt_len = salted == CL_SALT_DOB          ? dob_len
                      : salted == CL_SALT_YEAR_MONTH ? year_month_len
                      : salted == CL_SALT_BIRTH_YEAR ? year_len
                                                     : 0;
    if (cl_encoder_token(e, CL_TOKEN_DOB_YEAR_MONTH, v[CL_FIELD_DOB],
                         salted == CL_SALT_YEAR_MONTH ? year_month_len : 0,
                         out->token[CL_TOKEN_DOB_YEAR_MONTH]) != 0)
        return -1;
    const unsigned budget = e->opt.bloom_bits / 8;
    int any = 0;
    unsigned char *record_raw = e->filter[CL_FILTER_RECORD];   /* built here, finished last */
    memset(record_raw, 0, e->raw_bytes);
    for (int f = 0; f < CL_FILTER_RECORD; f++) {
        int field = filter_field[f];
        const char *value = field == CL_FIELD_POSTCODE ? postcode
                            : field == CL_FIELD_ADDRESS ? address : v[field];
        size_t vlen = field == CL_FIELD_POSTCODE ? strlen(postcode)
                      : field == CL_FIELD_ADDRESS ? address_len : n[field];
        const char *s = f == CL_FILTER_DOB ? "" : salt;
        size_t sl = f == CL_FILTER_DOB ? 0 : salt_len;
        memset(e->raw, 0, e->raw_bytes);
        /* The field filter and the field's part of bf_record read the same
         * blocks through different keys, unless their salts differ (dob). */
        unsigned per_gram, nb;
        long ngrams = gram_blocks(e, value, vlen, s, sl, e->opt.bloom_k, budget, &per_gram, &nb);
        if (set_grams(e, e->filter_prf[f], ngrams, per_gram, nb, e->raw) != 0)
            return -1;
        if (sl != salt_len)
            ngrams = gram_blocks(e, value, vlen, salt, salt_len, e->opt.bloom_k, budget,
                                 &per_gram, &nb);
        if (set_grams(e, e->record_filter_prf[f], ngrams, per_gram, nb, record_raw) != 0)
            return -1;
        out->has_filter[f] = vlen > 0;
        any |= vlen > 0;
        if (vlen > 0 && finish_filter(e, out->record_key, f, e->filter[f]) != 0)
            return -1;
        if (vlen == 0)
            memset(e->filter[f], 0, e->raw_bytes);
        out->filter[f] = e->filter[f];
    }
    out->has_filter[CL_FILTER_RECORD] = any;
    memcpy(e->raw, record_raw, e->raw_bytes);
    if (any && finish_filter(e, out->record_key, CL_FILTER_RECORD, record_raw) != 0)
        return -1;
    out->filter[CL_FILTER_RECORD] = record_raw;
    return 0;
}

int cl_encode_looks_identifying(const char *name)
{
    static const char *const patterns[] = {
        "name", "forename", "surname", "dob", "birth", "postcode", "address",
        "nhs", "upn", "email", "phone",
    };
    size_t len = strlen(name);
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        size_t plen = strlen(patterns[p]);
        for (size_t i = 0; i + plen <= len; i++) {
            size_t j = 0;
            while (j < plen) {
                char c = name[i + j];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
                if (c != patterns[p][j])
                    break;
                j++;
            }
            if (j == plen)
                return 1;
        }
    }
    return 0;
}

/* What analysts need of the identifiers, and no more: the spine of the linked
 * database (docs/database.md) holds sex, birth year and month and ethnic
 * group, never the whole date of birth. */
#define PAYLOAD_DERIVED 4
static const char *const payload_derived[PAYLOAD_DERIVED] = {
    "sex", "birth_year", "birth_month", "ethnic_group",
};

static void write_derived(cl_csv_writer *w, const cl_clean_record *rec)
{
    cl_csv_write_field(w, rec->value[CL_FIELD_SEX], known_sex(rec) ? 1 : 0);
    const char *dob = rec->value[CL_FIELD_DOB];
    int dated = rec->check[CL_FIELD_DOB] == CL_CHECK_VALID && rec->len[CL_FIELD_DOB] >= 10;
    cl_csv_write_field(w, dob, dated ? 4 : 0);
    cl_csv_write_field(w, dated ? dob + 5 : NULL, dated ? 2 : 0);
    const char *eth = rec->value[CL_FIELD_ETHNICITY];
    size_t elen = eth ? first_value(eth, rec->len[CL_FIELD_ETHNICITY]) : 0;
    cl_csv_write_field(w, eth, elen);
}

static void write_ids_header(cl_csv_writer *w)
{
    cl_csv_write_str(w, "record_token");
    for (int t = 0; t < CL_TOKEN_COUNT; t++)
        cl_csv_write_str(w, token_names[t]);
    cl_csv_write_str(w, "nhs_number_valid");
    cl_csv_write_str(w, "upn_valid");
    cl_csv_write_str(w, "filters_salted");
    cl_csv_write_str(w, "bloom_scheme");
    for (int f = 0; f < CL_FILTER_COUNT; f++)
        cl_csv_write_str(w, filter_names[f]);
    cl_csv_write_str(w, "filters_balanced");
    cl_csv_end_row(w);
}

static void write_ids_row(cl_csv_writer *w, const cl_encoded *enc, size_t filter_bytes,
                          char *b64)
{
    /* Hex tokens, flags and base64 never need quoting. */
    cl_csv_write_plain(w, enc->record_token, CL_TOKEN_CHARS);
    for (int t = 0; t < CL_TOKEN_COUNT; t++)
        cl_csv_write_plain(w, enc->token[t], enc->token[t][0] ? CL_TOKEN_CHARS : 0);
    cl_csv_write_plain(w, enc->nhs_number_valid ? "1" : "0", 1);
    cl_csv_write_plain(w, enc->upn_valid ? "1" : "0", 1);
    char salted = (char)('0' + enc->filters_salted);   /* the cl_encode_salt value */
    cl_csv_write_plain(w, &salted, 1);
    cl_csv_write_plain(w, CL_BLOOM_SCHEME_TEXT, sizeof CL_BLOOM_SCHEME_TEXT - 1);
    for (int f = 0; f < CL_FILTER_COUNT; f++) {
        if (!enc->has_filter[f]) {
            cl_csv_write_plain(w, NULL, 0);
            continue;
        }
        size_t n = cl_clk_base64(b64, enc->filter[f], filter_bytes);
        cl_csv_write_plain(w, b64, n);
    }
    cl_csv_write_plain(w, enc->filters_balanced ? "1" : "0", 1);
    cl_csv_end_row(w);
}

/* Every record token with its line, to refuse a repeated record id once the
 * file is read: a token is an HMAC of the id, so equal tokens mean equal ids.
 * Appending and sorting once is sequential work; a map of id strings cost a
 * fifth of encoding time in allocations and cache misses.  (The outputs are
 * temporary files until the end, so finding the duplicate late loses
 * nothing.) */
typedef struct seen_token {
    uint64_t hi, lo;
    long line;
} seen_token;

typedef struct token_list {
    seen_token *at;
    size_t n, cap;
} token_list;

static int token_list_add(token_list *t, const unsigned char key[16], long line)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1u << 16;
        seen_token *at = cl_realloc(t->at, cap * sizeof *at);
        if (at == NULL)
            return -1;
        t->at = at;
        t->cap = cap;
    }
    seen_token *at = &t->at[t->n++];
    memcpy(&at->hi, key, 8);   /* byte order is immaterial: equal keys, equal words */
    memcpy(&at->lo, key + 8, 8);
    at->line = line;
    return 0;
}

/* Sort by hi, then line: LSD radix sort, eight passes of eight bits (the
 * tokens are uniform, so no pass is wasted; stable, so the lines, appended
 * in order, stay in order within equal keys).  -1 out of memory. */
static int token_list_sort(token_list *t)
{
    seen_token *tmp = t->n ? cl_malloc(t->n * sizeof *tmp) : NULL;
    if (t->n && tmp == NULL)
        return -1;
    seen_token *from = t->at, *to = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < t->n; i++)
            count[(from[i].hi >> shift & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < t->n; i++)
            to[count[from[i].hi >> shift & 0xff]++] = from[i];
        seen_token *swap = from;
        from = to;
        to = swap;
    }
    /* eight passes: the sorted list is back in t->at */
    cl_free(tmp);
    return 0;
}

/* The earliest line that repeats an earlier token (0 if none; -1 out of
 * memory), and that earlier line in *first. */
static long token_list_repeat(token_list *t, long *first)
{
    if (token_list_sort(t) != 0)
        return -1;
    long repeat = 0;
    for (size_t g = 0; g < t->n;) {   /* each run of equal hi: tiny unless ids repeat */
        size_t end = g + 1;
        while (end < t->n && t->at[end].hi == t->at[g].hi)
            end++;
        /* Lines ascend within the run (the sort is stable), so the first i
         * with an earlier equal token is the run's earliest repeat: stop
         * there, or a file of one id repeated would take quadratic time. */
        int found = 0;
        for (size_t i = g + 1; i < end && !found; i++)
            for (size_t j = g; j < i; j++)
                if (t->at[j].lo == t->at[i].lo) {
                    if (repeat == 0 || t->at[i].line < repeat) {
                        repeat = t->at[i].line;
                        *first = t->at[j].line;
                    }
                    found = 1;
                    break;
                }
        g = end;
    }
    return repeat;
}

cl_status cl_encode_file(const char *in_path, const cl_schema *schema, const cl_key *key,
                         const cl_encode_options *opt, const char *ids_path,
                         const char *payload_path, cl_encode_stats *stats,
                         void (*progress)(long records), cl_error *err)
{
    cl_csv_reader *r = NULL;
    cl_cleaner *c = NULL;
    cl_encoder *e = NULL;
    cl_outfile *ids = NULL, *payload = NULL;
    cl_csv_writer *iw = NULL, *pw = NULL;
    token_list seen = {NULL, 0, 0};
    char *b64 = NULL;
    cl_encode_stats local;
    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    snprintf(stats->key_id, sizeof stats->key_id, "%s", cl_key_id(key));
    cl_encode_options defaults;
    if (opt == NULL) {
        cl_encode_options_init(&defaults);
        opt = &defaults;
    }
    const char *source = opt->source ? opt->source : cl_schema_source(schema);

    cl_status st = cl_encoder_new(&e, key, source, opt, err);
    if (st != CL_OK || (st = cl_csv_open(&r, in_path, 0, err)) != CL_OK)
        goto done;
    st = cl_csv_next(r, err);
    if (st == CL_END) {
        st = cl_error_set(err, CL_EFORMAT, in_path, 0, "file is empty (no header line)");
        goto done;
    }
    if (st != CL_OK || (st = cl_cleaner_new(&c, schema, r, err)) != CL_OK)
        goto done;
    const cl_schema_binding *b = cl_cleaner_binding(c);
    for (int col = 0; col < b->ncolumns; col++)
        if (b->column_role[col] == CL_COLUMN_PAYLOAD &&
            cl_encode_looks_identifying(b->column_names[col])) {
            st = cl_error_set(err, CL_EFORMAT, in_path, cl_csv_line(r),
                              "column '%s' looks identifying but the schema neither maps it "
                              "nor lists it in \"identifying\", so it would reach the payload "
                              "file; add it to one of them",
                              b->column_names[col]);
            goto done;
        }
    if ((st = cl_outfile_open(&ids, ids_path, 0, err)) != CL_OK ||
        (st = cl_outfile_open(&payload, payload_path, 0, err)) != CL_OK)
        goto done;
    size_t filter_bytes = cl_encoder_filter_bytes(e);
    iw = cl_csv_writer_new(cl_outfile_stream(ids));
    pw = cl_csv_writer_new(cl_outfile_stream(payload));
    b64 = cl_malloc(4 * ((filter_bytes + 2) / 3) + 1);
    if (iw == NULL || pw == NULL || b64 == NULL) {
        st = cl_error_set(err, CL_ENOMEM, in_path, 0, "out of memory");
        goto done;
    }
    write_ids_header(iw);
    cl_csv_write_str(pw, "record_token");
    for (int d = 0; d < PAYLOAD_DERIVED; d++)
        cl_csv_write_str(pw, payload_derived[d]);
    for (int col = 0; col < b->ncolumns; col++)
        if (b->column_role[col] == CL_COLUMN_PAYLOAD) {
            cl_csv_write_str(pw, b->column_names[col]);
            stats->payload_columns++;
        }
    cl_csv_end_row(pw);

    while ((st = cl_csv_next(r, err)) == CL_OK) {
        cl_clean_record rec;
        cl_encoded enc;
        if ((st = cl_cleaner_record(c, r, &rec, err)) != CL_OK)
            goto done;
        if (cl_encoder_record(e, &rec, &enc) != 0) {
            st = cl_error_set(err, CL_EINVAL, in_path, cl_csv_line(r), "HMAC-SHA256 failed");
            goto done;
        }
        if (token_list_add(&seen, enc.record_key, cl_csv_line(r)) != 0) {
            st = cl_error_set(err, CL_ENOMEM, in_path, cl_csv_line(r), "out of memory");
            goto done;
        }
        write_ids_row(iw, &enc, filter_bytes, b64);
        cl_csv_write_str(pw, enc.record_token);
        write_derived(pw, &rec);
        for (int col = 0; col < b->ncolumns; col++)
            if (b->column_role[col] == CL_COLUMN_PAYLOAD) {
                size_t len;
                const char *s = cl_csv_field(r, (size_t)col, &len);
                cl_csv_write_field(pw, s, len);
            }
        cl_csv_end_row(pw);
        stats->records++;
        for (int t = 0; t < CL_TOKEN_COUNT; t++)
            stats->tokens[t] += enc.token[t][0] != '\0';
        for (int f = 0; f < CL_FILTER_COUNT; f++)
            stats->filters[f] += enc.has_filter[f];
        if (progress && stats->records % 1000000 == 0)
            progress(stats->records);
    }
    if (st != CL_END)
        goto done;
    if (stats->records == 0) {
        st = cl_error_set(err, CL_EFORMAT, in_path, 0, "file has a header but no records");
        goto done;
    }
    long first_line = 0, repeat = token_list_repeat(&seen, &first_line);
    if (repeat < 0) {
        st = cl_error_set(err, CL_ENOMEM, in_path, 0, "out of memory");
        goto done;
    }
    if (repeat != 0) {
        /* The id itself is not echoed: error logs travel further than data. */
        st = cl_error_set(err, CL_EFORMAT, in_path, repeat,
                          "duplicate record id (first on line %ld)", first_line);
        goto done;
    }
    if (cl_csv_writer_flush(iw) != CL_OK || cl_csv_writer_flush(pw) != CL_OK) {
        st = cl_error_set(err, CL_EIO, ids_path, 0, "cannot write output");
        goto done;
    }
    /* Commit both or neither: if the second rename fails, take the first back. */
    st = cl_outfile_commit(ids, err);
    ids = NULL;
    if (st != CL_OK)
        goto done;
    st = cl_outfile_commit(payload, err);
    payload = NULL;
    if (st != CL_OK) {
        unlink(ids_path);
        goto done;
    }
    st = CL_OK;
done:
    cl_free(b64);
    cl_csv_writer_free(iw);
    cl_csv_writer_free(pw);
    cl_outfile_abort(ids);
    cl_outfile_abort(payload);
    cl_free(seen.at);
    cl_cleaner_free(c);
    cl_csv_close(r);
    cl_encoder_free(e);
    return st;
}
