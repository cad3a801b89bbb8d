/*
 * test_encode.c - tokens, Bloom filters and whole-file encoding: the token
 * and record-token definitions checked against OpenSSL's HMAC, determinism
 * and key separation, the filter properties the linker relies on (similar
 * names stay similar, salt and key change everything, the fixed bit budget),
 * the option checks, the identifying-column guard, and the file-level
 * refusals that must leave no output behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "childlink/encode.h"
#include "childlink/schema.h"

static unsigned char key_a[CL_KEY_BYTES], key_b[CL_KEY_BYTES];
static char dir[] = "/tmp/test_encode.XXXXXX";

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < CL_KEY_BYTES; i++) {
        key_a[i] = (unsigned char)i;
        key_b[i] = (unsigned char)(i * 7 + 1);
    }
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static cl_encoder *make(const unsigned char *bytes, const cl_encode_options *opt)
{
    cl_key *k = NULL;
    cl_encoder *e = NULL;
    assert_int_equal(cl_key_from_bytes(&k, bytes, CL_KEY_BYTES, NULL), CL_OK);
    assert_int_equal(cl_encoder_new(&e, k, "hes", opt, NULL), CL_OK);
    cl_key_free(k);   /* the encoder must not need it any more */
    return e;
}

static int popcount(const unsigned char *b, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += __builtin_popcount(b[i]);
    return c;
}

static double dice(const unsigned char *a, const unsigned char *b, size_t n)
{
    int both = 0;
    for (size_t i = 0; i < n; i++)
        both += __builtin_popcount((unsigned)(a[i] & b[i]));
    int s = popcount(a, n) + popcount(b, n);
    return s ? 2.0 * both / s : 0.0;
}

static void test_record_token_definition(void **state)
{
    (void)state;
    cl_encoder *e = make(key_a, NULL);
    char tok[CL_TOKEN_CHARS + 1];
    assert_int_equal(cl_encoder_record_token(e, "123", 3, tok), 0);
    unsigned char mac[32];
    unsigned int len;
    HMAC(EVP_sha256(), key_a, 32, (const unsigned char *)"record\0hes\000123", 14, mac, &len);
    char want[33];
    for (int i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(tok, want);
    cl_encoder_free(e);
}

static void test_tokens_keyed_and_separated(void **state)
{
    (void)state;
    cl_encoder *a = make(key_a, NULL), *b = make(key_b, NULL);
    char t1[33], t2[33], t3[33], t4[33];
    assert_int_equal(cl_encoder_token(a, CL_TOKEN_DOB, "2011-05-21", 10, t1), 0);
    assert_int_equal(cl_encoder_token(a, CL_TOKEN_DOB, "2011-05-21", 10, t2), 0);
    assert_string_equal(t1, t2);                       /* deterministic */
    assert_int_equal(strlen(t1), CL_TOKEN_CHARS);
    assert_int_equal(cl_encoder_token(b, CL_TOKEN_DOB, "2011-05-21", 10, t3), 0);
    assert_string_not_equal(t1, t3);                   /* another key */
    assert_int_equal(cl_encoder_token(a, CL_TOKEN_DOB_YEAR, "2011-05-21", 10, t4), 0);
    assert_string_not_equal(t1, t4);                   /* another column */
    assert_int_equal(cl_encoder_token(a, CL_TOKEN_DOB, "2011-05-22", 10, t4), 0);
    assert_string_not_equal(t1, t4);
    assert_int_equal(cl_encoder_token(a, CL_TOKEN_DOB, "", 0, t4), 0);
    assert_string_equal(t4, "");                        /* missing stays missing */
    /* Token = HMAC(HMAC(key, "childlink derive\0token/dob"), value). */
    unsigned char sub[32], mac[32];
    unsigned int len;
    HMAC(EVP_sha256(), key_a, 32, (const unsigned char *)"childlink derive\0token/dob", 26, sub, &len);
    HMAC(EVP_sha256(), sub, 32, (const unsigned char *)"2011-05-21", 10, mac, &len);
    char want[33];
    for (int i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(t1, want);
    cl_encoder_free(a);
    cl_encoder_free(b);
}

static void test_bloom_properties(void **state)
{
    (void)state;
    cl_encoder *e = make(key_a, NULL), *other = make(key_b, NULL);
    unsigned char a[128], b[128], c[128], d[128];
    assert_int_equal(cl_encoder_filter_bytes(e), 128);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "", 0, "2011", 4, a), 0);
    assert_int_equal(popcount(a, 128), 0);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "bailey", 6, "2011", 4, a), 0);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "bailey", 6, "2011", 4, b), 0);
    assert_memory_equal(a, b, 128);
    /* Fixed budget: 128 draws per field, so ~120 distinct bits whatever the length. */
    int set_short = popcount(a, 128);
    assert_in_range(set_short, 90, 128);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "featherstonehaugh", 17, "2011", 4, c), 0);
    assert_in_range(popcount(c, 128), 90, 128);
    /* A one-letter typo stays close; another name does not. */
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "baily", 5, "2011", 4, c), 0);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "shelley", 7, "2011", 4, d), 0);
    double near = dice(a, c, 128), far = dice(a, d, 128);
    assert_true(near > 0.6);
    assert_true(far < 0.5 && near > far + 0.25);
    /* Salt, field and key each change the filter completely. */
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "bailey", 6, "2012", 4, c), 0);
    assert_true(dice(a, c, 128) < 0.35);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_FORENAMES, "bailey", 6, "2011", 4, c), 0);
    assert_true(dice(a, c, 128) < 0.35);
    assert_int_equal(cl_encoder_bloom(other, CL_FILTER_SURNAME, "bailey", 6, "2011", 4, c), 0);
    assert_true(dice(a, c, 128) < 0.35);
    /* The record filter is not built alone. */
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_RECORD, "x", 1, "", 0, c), -1);
    cl_encoder_free(e);
    cl_encoder_free(other);
}

/* Scheme 2, rebuilt from docs/privacy.md with OpenSSL alone: a reader of the
 * docs can reproduce (or audit) every bit. */
static void test_bloom_scheme_definition(void **state)
{
    (void)state;
    cl_encoder *e = make(key_a, NULL);
    unsigned char got[128], want[128] = {0}, sub[32];
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "bailey", 6, "2011", 4, got), 0);
    unsigned int len;
    HMAC(EVP_sha256(), key_a, 32,
         (const unsigned char *)"childlink derive\0bloom-positions/bf_surname", 43, sub, &len);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, sub, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(c, 0), 1);
    /* "_bailey_": 7 bigrams, round(128 / 7) = 18 draws each, 10 bits a draw,
     * 6 draws per 64-bit word: three words, so two blocks per bigram. */
    const char *padded = "_bailey_";
    for (int g = 0; g < 7; g++) {
        unsigned char in[32] = {0}, out[32];
        for (int blk = 0; blk < 2; blk++) {
            unsigned char *b = in + 16 * blk;
            memcpy(b, "2011\0", 5);          /* M = salt 0x00 bigram */
            memcpy(b + 5, padded + g, 2);
            b[13] = 7;                        /* |M| */
            b[15] = (unsigned char)blk;       /* counter, big-endian */
        }
        int n = 0;
        assert_int_equal(EVP_EncryptUpdate(c, out, &n, in, 32), 1);
        int draws = 0;
        for (int w = 0; w < 4 && draws < 18; w++) {
            uint64_t word = 0;
            for (int i = 0; i < 8; i++)
                word = word << 8 | out[8 * w + i];
            for (int d = 0; d < 6 && draws < 18; d++, draws++) {
                unsigned p = (unsigned)(word >> (54 - 10 * d)) & 1023u;
                want[p / 8] |= (unsigned char)(0x80u >> (p % 8));
            }
        }
    }
    assert_memory_equal(got, want, 128);

    /* A message longer than 13 bytes is shortened by HMAC first: "_\xc3\xab"
     * salted with a whole date is 10 + 1 + 3 = 14 bytes.  "\xc3\xab" (e with
     * diaeresis) gives 2 bigrams, 64 draws each: 6 blocks apiece. */
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "\xc3\xab", 2, "2011-05-21", 10, got),
                     0);
    memset(want, 0, sizeof want);
    unsigned char long_key[32];
    HMAC(EVP_sha256(), key_a, 32, (const unsigned char *)"childlink derive\0bloom-long-grams", 33,
         long_key, &len);
    const char *grams[2] = {"_\xc3\xab", "\xc3\xab_"};
    for (int g = 0; g < 2; g++) {
        unsigned char msg[14], digest[32], in[6 * 16], out[6 * 16];
        memcpy(msg, "2011-05-21\0", 11);
        memcpy(msg + 11, grams[g], 3);
        HMAC(EVP_sha256(), long_key, 32, msg, 14, digest, &len);
        for (int blk = 0; blk < 6; blk++) {
            memcpy(in + 16 * blk, digest, 13);
            in[16 * blk + 13] = 0xFF;
            in[16 * blk + 14] = 0;
            in[16 * blk + 15] = (unsigned char)blk;
        }
        int n = 0;
        assert_int_equal(EVP_EncryptUpdate(c, out, &n, in, (int)sizeof in), 1);
        for (int draws = 0, w = 0; draws < 64; w++) {
            uint64_t word = 0;
            for (int i = 0; i < 8; i++)
                word = word << 8 | out[8 * w + i];
            for (int d = 0; d < 6 && draws < 64; d++, draws++) {
                unsigned p = (unsigned)(word >> (54 - 10 * d)) & 1023u;
                want[p / 8] |= (unsigned char)(0x80u >> (p % 8));
            }
        }
    }
    assert_memory_equal(got, want, 128);
    EVP_CIPHER_CTX_free(c);
    cl_encoder_free(e);
}

static void test_bloom_fixed_k_and_utf8(void **state)
{
    (void)state;
    cl_encode_options opt;
    cl_encode_options_init(&opt);
    opt.bloom_k = 3;
    opt.bloom_bits = 960;                  /* not a power of two: rejection path */
    cl_encoder *e = make(key_a, &opt);
    unsigned char a[120], b[120];
    /* "_ab_" has 3 bigrams: at most 9 bits. */
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "ab", 2, "", 0, a), 0);
    assert_in_range(popcount(a, 120), 1, 9);
    /* Code points, not bytes: "zoë" and "zoe" share 2 of 4 bigrams. */
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "zo\xc3\xab", 4, "", 0, a), 0);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "zoe", 3, "", 0, b), 0);
    assert_in_range(popcount(a, 120), 1, 12);
    double d = dice(a, b, 120);
    assert_true(d > 0.3 && d < 0.8);
    cl_encoder_free(e);
}

static void test_options_checked(void **state)
{
    (void)state;
    cl_key *k = NULL;
    cl_encoder *e = NULL;
    cl_error err;
    assert_int_equal(cl_key_from_bytes(&k, key_a, CL_KEY_BYTES, NULL), CL_OK);
    cl_encode_options opt;
    unsigned bad_bits[] = {0, 32, 100, 65600};
    for (size_t i = 0; i < 4; i++) {
        cl_encode_options_init(&opt);
        opt.bloom_bits = bad_bits[i];
        assert_int_equal(cl_encoder_new(&e, k, "s", &opt, &err), CL_EINVAL);
        assert_null(e);
    }
    cl_encode_options_init(&opt);
    opt.q = 0;
    assert_int_equal(cl_encoder_new(&e, k, "s", &opt, &err), CL_EINVAL);
    cl_encode_options_init(&opt);
    opt.flip_probability = 0.6;
    assert_int_equal(cl_encoder_new(&e, k, "s", &opt, &err), CL_EINVAL);
    cl_encode_options_init(&opt);
    opt.bloom_k = 1000;
    assert_int_equal(cl_encoder_new(&e, k, "s", &opt, &err), CL_EINVAL);
    /* Out of memory at every allocation of cl_encoder_new fails cleanly. */
    for (long n = 1; n < 12; n++) {
        cl_alloc_fail_after(n);
        cl_status st = cl_encoder_new(&e, k, "s", NULL, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            cl_encoder_free(e);
            break;
        }
        assert_int_equal(st, CL_ENOMEM);
        assert_null(e);
    }
    cl_key_free(k);
}

static void fill_record(cl_clean_record *rec, const char *const *values)
{
    memset(rec, 0, sizeof *rec);
    for (int f = 0; f < CL_FIELD_COUNT; f++) {
        rec->value[f] = values[f] ? values[f] : "";   /* fields a test leaves out: missing */
        rec->len[f] = strlen(rec->value[f]);
        rec->check[f] = rec->value[f][0] ? CL_CHECK_VALID : CL_CHECK_MISSING;
    }
}

static void test_record_fold_flip(void **state)
{
    (void)state;
    const char *vals[CL_FIELD_COUNT] = {"r1", "9434765919", "", "", "katie olivia|kate",
                                        "bailey", "2011-05-21", "F", "AH1 0EY", ""};
    cl_clean_record rec;
    fill_record(&rec, vals);
    cl_encoder *e = make(key_a, NULL);
    cl_encoded x;
    assert_int_equal(cl_encoder_record(e, &rec, &x), 0);
    assert_true(x.nhs_number_valid);
    /* record_key is the record token as bytes (duplicates and flip noise read it). */
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", x.record_key[i]);
    assert_string_equal(hex, x.record_token);
    assert_false(x.upn_valid);
    assert_string_equal(x.token[CL_TOKEN_UPN], "");
    char t[33];
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_NAMES_SDX_YOB, "B400|K300|2011", 14, t), 0);
    assert_string_equal(x.token[CL_TOKEN_NAMES_SDX_YOB], t);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_POSTCODE_DISTRICT_DOB, "AH1|2011-05-21", 14, t), 0);
    assert_string_equal(x.token[CL_TOKEN_POSTCODE_DISTRICT_DOB], t);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_POSTCODE_YOB, "AH1 0EY|2011", 12, t), 0);
    assert_string_equal(x.token[CL_TOKEN_POSTCODE_YOB], t);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_SURNAME_SDX_YM, "B400|2011-05", 12, t), 0);
    assert_string_equal(x.token[CL_TOKEN_SURNAME_SDX_YM], t);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_DOB_FORENAME_INITIAL, "2011-05-21|k", 12, t), 0);
    assert_string_equal(x.token[CL_TOKEN_DOB_FORENAME_INITIAL], t);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_DOB_SURNAME_INITIAL, "2011-05-21|b", 12, t), 0);
    assert_string_equal(x.token[CL_TOKEN_DOB_SURNAME_INITIAL], t);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_POSTCODE_INITIAL, "AH1 0EY|k", 9, t), 0);
    assert_string_equal(x.token[CL_TOKEN_POSTCODE_INITIAL], t);
    /* Forenames filter: the first value only, salted with the year and month
     * of birth, which the dob_year_month token names. */
    unsigned char want[128], plain[128], rec_bits[128];
    assert_int_equal(x.filters_salted, CL_SALT_YEAR_MONTH);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_FORENAMES, "katie olivia", 12, "2011-05", 7,
                                      want), 0);
    assert_memory_equal(x.filter[CL_FILTER_FORENAMES], want, 128);
    assert_int_equal(cl_encoder_token(e, CL_TOKEN_DOB_YEAR_MONTH, "2011-05", 7, t), 0);
    assert_string_equal(x.token[CL_TOKEN_DOB_YEAR_MONTH], t);
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_DOB, "2011-05-21", 10, "", 0, want), 0);
    assert_memory_equal(x.filter[CL_FILTER_DOB], want, 128);
    assert_true(x.has_filter[CL_FILTER_RECORD]);
    memcpy(plain, x.filter[CL_FILTER_SURNAME], 128);
    memcpy(rec_bits, x.filter[CL_FILTER_RECORD], 128);
    assert_true(popcount(rec_bits, 128) > popcount(plain, 128));
    cl_encoder_free(e);

    /* --salt dob, year and none. */
    cl_encode_options opt;
    cl_encode_options_init(&opt);
    static const struct {
        cl_encode_salt salt;
        const char *value;   /* what the filters are salted with */
    } salts[] = {
        {CL_SALT_DOB, "2011-05-21"}, {CL_SALT_BIRTH_YEAR, "2011"}, {CL_SALT_NONE, ""},
    };
    for (size_t i = 0; i < sizeof salts / sizeof salts[0]; i++) {
        opt.salt = salts[i].salt;
        e = make(key_a, &opt);
        assert_int_equal(cl_encoder_record(e, &rec, &x), 0);
        assert_int_equal(x.filters_salted, salts[i].salt);
        assert_int_equal(cl_encoder_bloom(e, CL_FILTER_FORENAMES, "katie olivia", 12,
                                          salts[i].value, strlen(salts[i].value), want), 0);
        assert_memory_equal(x.filter[CL_FILTER_FORENAMES], want, 128);
        assert_string_equal(x.token[CL_TOKEN_DOB_YEAR_MONTH], "");   /* only with the month */
        cl_encoder_free(e);
    }

    cl_encode_options_init(&opt);
    opt.xor_fold = 1;
    opt.flip_probability = 0.1;
    e = make(key_a, &opt);
    assert_int_equal(cl_encoder_filter_bytes(e), 64);
    cl_encoded y, z;
    assert_int_equal(cl_encoder_record(e, &rec, &y), 0);
    unsigned char folded[64];
    memcpy(folded, y.filter[CL_FILTER_SURNAME], 64);
    assert_int_equal(cl_encoder_record(e, &rec, &z), 0);
    assert_memory_equal(folded, z.filter[CL_FILTER_SURNAME], 64);   /* noise is deterministic */
    unsigned char nf[64];
    for (int i = 0; i < 64; i++)
        nf[i] = plain[i] ^ plain[i + 64];
    assert_memory_not_equal(folded, nf, 64);   /* ~10% of bits flipped */
    int differ = 0;
    for (int i = 0; i < 64; i++)
        differ += __builtin_popcount((unsigned)(folded[i] ^ nf[i]));
    assert_in_range(differ, 40, 140);
    cl_encoder_free(e);

    /* Balanced: the filter and its complement, shuffled: twice the length,
     * exactly half set, the same shuffle every time; folding comes first. */
    cl_encode_options_init(&opt);
    opt.balance = 1;
    e = make(key_a, &opt);
    assert_int_equal(cl_encoder_filter_bytes(e), 256);
    assert_int_equal(cl_encoder_record(e, &rec, &y), 0);
    assert_true(y.filters_balanced);
    assert_int_equal(popcount(y.filter[CL_FILTER_SURNAME], 256), 1024);
    assert_int_equal(popcount(y.filter[CL_FILTER_RECORD], 256), 1024);
    unsigned char balanced[256];
    memcpy(balanced, y.filter[CL_FILTER_SURNAME], 256);
    assert_int_equal(cl_encoder_record(e, &rec, &z), 0);
    assert_memory_equal(balanced, z.filter[CL_FILTER_SURNAME], 256);
    /* Rebuilt from docs/privacy.md: the surname filter (salted with the year
     * and month) and its complement, through a Fisher-Yates permutation whose
     * swaps come from AES-256 under "bloom-balance/bf_surname". */
    unsigned char inner[128], sub[32];
    assert_int_equal(cl_encoder_bloom(e, CL_FILTER_SURNAME, "bailey", 6, "2011-05", 7, inner), 0);
    unsigned int len;
    HMAC(EVP_sha256(), key_a, 32,
         (const unsigned char *)"childlink derive\0bloom-balance/bf_surname", 41, sub, &len);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, sub, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(c, 0), 1);
    static uint32_t perm[2048];
    for (uint32_t i = 0; i < 2048; i++)
        perm[i] = i;
    unsigned char block[16] = {0}, words[16];
    uint64_t counter = 0;
    int used = 4;
    for (uint32_t i = 2047; i > 0; i--) {
        uint64_t range = (uint64_t)i + 1, limit = (UINT64_C(1) << 32) / range * range, draw;
        do {
            if (used == 4) {
                for (int b = 0; b < 8; b++)
                    block[8 + b] = (unsigned char)(counter >> (56 - 8 * b));
                counter++;
                int n = 0;
                assert_int_equal(EVP_EncryptUpdate(c, words, &n, block, 16), 1);
                used = 0;
            }
            const unsigned char *d = words + 4 * used++;
            draw = (uint64_t)d[0] << 24 | (uint64_t)d[1] << 16 | (uint64_t)d[2] << 8 | d[3];
        } while (draw >= limit);
        uint32_t j = (uint32_t)(draw % range), swap = perm[i];
        perm[i] = perm[j];
        perm[j] = swap;
    }
    EVP_CIPHER_CTX_free(c);
    unsigned char rebuilt[256] = {0};
    for (uint32_t i = 0; i < 2048; i++) {
        uint32_t src = perm[i] % 1024;
        unsigned bit = (unsigned)(inner[src / 8] >> (7 - src % 8)) & 1u;
        if (bit ^ (perm[i] >= 1024))
            rebuilt[i / 8] |= (unsigned char)(0x80u >> (i % 8));
    }
    assert_memory_equal(balanced, rebuilt, 256);
    cl_encoder_free(e);

    opt.xor_fold = 1;
    e = make(key_a, &opt);
    assert_int_equal(cl_encoder_filter_bytes(e), 128);
    assert_int_equal(cl_encoder_record(e, &rec, &y), 0);
    assert_int_equal(popcount(y.filter[CL_FILTER_SURNAME], 128), 512);
    cl_encoder_free(e);

    /* Flip noise rebuilt from docs/privacy.md: bit p flips where the 16-bit
     * draw at byte 2 (p mod 8) of AES-256("bloom-flip", block p / 8) is below
     * P * 65536; block c is the record token's first 12 bytes, the filter's
     * index, 0, and c big-endian. */
    cl_encode_options_init(&opt);
    opt.flip_probability = 0.1;
    e = make(key_a, &opt);
    assert_int_equal(cl_encoder_record(e, &rec, &y), 0);
    HMAC(EVP_sha256(), key_a, 32, (const unsigned char *)"childlink derive\0bloom-flip", 27, sub,
         &len);
    c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, sub, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(c, 0), 1);
    unsigned threshold = (unsigned)(0.1 * 65536.0 + 0.5);
    int flips = 0;
    for (unsigned byte = 0; byte < 128; byte++) {
        unsigned char in[16], out[16];
        memcpy(in, y.record_key, 12);
        in[12] = CL_FILTER_SURNAME;
        in[13] = 0;
        in[14] = (unsigned char)(byte >> 8);
        in[15] = (unsigned char)byte;
        int n = 0;
        assert_int_equal(EVP_EncryptUpdate(c, out, &n, in, 16), 1);
        for (int k = 0; k < 8; k++)
            if (((unsigned)out[2 * k] << 8 | out[2 * k + 1]) < threshold) {
                inner[byte] ^= (unsigned char)(0x80u >> k);
                flips++;
            }
    }
    EVP_CIPHER_CTX_free(c);
    assert_in_range(flips, 60, 150);   /* about a tenth of 1,024 */
    assert_memory_equal(y.filter[CL_FILTER_SURNAME], inner, 128);
    cl_encoder_free(e);

    /* Nothing known: no tokens, no filters, but a record token. */
    const char *empty[CL_FIELD_COUNT] = {"r9", "", "", "", "", "", "", "", "", ""};
    fill_record(&rec, empty);
    e = make(key_a, NULL);
    assert_int_equal(cl_encoder_record(e, &rec, &x), 0);
    assert_int_equal(strlen(x.record_token), 32);
    for (int i = 0; i < CL_TOKEN_COUNT; i++)
        assert_string_equal(x.token[i], "");
    for (int f = 0; f < CL_FILTER_COUNT; f++)
        assert_false(x.has_filter[f]);
    cl_encoder_free(e);
}

static void test_looks_identifying(void **state)
{
    (void)state;
    const char *yes[] = {"Forename", "MOTHER_NAME", "PersonBirthDate", "dob", "HomePostcode",
                         "ADDRESS1", "nhsno", "Former_UPN", "Email", "phone_number", "SURNAME"};
    const char *no[] = {"ADMIDATE", "LSOA11", "URN", "diagnosis", "la", "", "POST", "NH"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!cl_encode_looks_identifying(yes[i]))
            fail_msg("'%s' should look identifying", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (cl_encode_looks_identifying(no[i]))
            fail_msg("'%s' should not look identifying", no[i]);
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

static void test_encode_file(void **state)
{
    (void)state;
    cl_key *k = NULL;
    cl_schema *generic = NULL, *leaky_ok = NULL;
    cl_error err;
    assert_int_equal(cl_key_from_bytes(&k, key_a, CL_KEY_BYTES, NULL), CL_OK);
    assert_int_equal(cl_schema_load(&generic, "generic", NULL), CL_OK);
    assert_int_equal(cl_schema_load(&leaky_ok, "tests/data/encode/schema_leaky_ok.json", &err), CL_OK);
    char ids[256], pay[256];
    snprintf(ids, sizeof ids, "%s/ids.csv", dir);
    snprintf(pay, sizeof pay, "%s/pay.csv", dir);
    cl_encode_stats stats;
    cl_encode_options opt;
    cl_encode_options_init(&opt);
    opt.source = "test";
    assert_int_equal(cl_encode_file("tests/data/encode/good.csv", generic, k, &opt, ids, pay,
                                    &stats, NULL, &err), CL_OK);
    assert_int_equal(stats.records, 3);
    assert_int_equal(stats.payload_columns, 2);
    assert_int_equal(stats.tokens[CL_TOKEN_NHS_NUMBER], 2);
    assert_int_equal(stats.filters[CL_FILTER_RECORD], 2);
    FILE *f = fopen(pay, "rb");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line,
                        "record_token,sex,birth_year,birth_month,ethnic_group,admission_date,diagnosis\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, ",2016-01-02,\"S52,0\"\n"));   /* unchanged, re-quoted */
    assert_non_null(strstr(line, ",M,2011,08,,2016"));   /* sex, birth year and month only */
    assert_null(strstr(line, "2011-08-24"));
    fclose(f);

    /* Refusals leave neither output behind. */
    unlink(ids);
    unlink(pay);
    assert_int_equal(cl_encode_file("tests/data/encode/leaky.csv", generic, k, NULL, ids, pay,
                                    NULL, NULL, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "column 'Mother_Name' looks identifying"));
    assert_false(exists(ids) || exists(pay));
    assert_int_equal(cl_encode_file("tests/data/encode/leaky.csv", leaky_ok, k, NULL, ids, pay,
                                    NULL, NULL, &err), CL_OK);
    unlink(ids);
    unlink(pay);
    assert_int_equal(cl_encode_file("tests/data/encode/dup.csv", generic, k, NULL, ids, pay,
                                    NULL, NULL, &err), CL_EFORMAT);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.message, "duplicate record id"));
    assert_false(exists(ids) || exists(pay));
    assert_int_equal(cl_encode_file("tests/data/encode/ragged.csv", generic, k, NULL, ids, pay,
                                    NULL, NULL, &err), CL_EFORMAT);
    assert_false(exists(ids) || exists(pay));
    assert_int_equal(cl_encode_file("tests/data/encode/header_only.csv", generic, k, NULL, ids,
                                    pay, NULL, NULL, &err), CL_EFORMAT);
    assert_false(exists(ids) || exists(pay));
    assert_int_equal(cl_encode_file("tests/data/encode/none.csv", generic, k, NULL, ids, pay,
                                    NULL, NULL, &err), CL_EIO);
    assert_false(exists(ids) || exists(pay));
    /* Out of memory while setting up: an error, and still no outputs.  (Later
     * allocations reach cl_cleaner_new, whose out-of-memory path is not ours.) */
    for (long n = 1; n < 30; n++) {
        cl_alloc_fail_after(n);
        cl_status st = cl_encode_file("tests/data/encode/good.csv", generic, k, NULL, ids, pay,
                                      NULL, NULL, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            unlink(ids);
            unlink(pay);
            break;
        }
        assert_int_equal(st, CL_ENOMEM);
        assert_false(exists(ids) || exists(pay));
    }
    cl_schema_free(generic);
    cl_schema_free(leaky_ok);
    cl_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_token_definition),
        cmocka_unit_test(test_tokens_keyed_and_separated),
        cmocka_unit_test(test_bloom_properties),
        cmocka_unit_test(test_bloom_scheme_definition),
        cmocka_unit_test(test_bloom_fixed_k_and_utf8),
        cmocka_unit_test(test_options_checked),
        cmocka_unit_test(test_record_fold_flip),
        cmocka_unit_test(test_looks_identifying),
        cmocka_unit_test(test_encode_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
