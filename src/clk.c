/*
 * clk.c - clkhash 0.18.3 compatible CLK encoding: keys, hashing into the
 * Bloom filter, folding, and the {"clks": [...]} output (see clk.h).
 *
 * Per record and feature: the raw value is validated and formatted
 * (clk_format.c) unless it is the missing-value sentinel, whose replacement
 * is hashed as is; the formatted value is cut into tokens; each token gets
 * k bits, where k is bitsPerToken, or bitsPerFeature shared out over the
 * tokens with the remainder going to the first ones; the token's bytes (in
 * the feature's encoding) are hashed either with keyed BLAKE2b (one 512-bit
 * digest read as 32 little-endian 16-bit words per 32 bits, salt "0", "1",
 * ...) or by double hashing (HMAC-SHA1 + i * HMAC-MD5 modulo the length).
 * All features share one filter of l * 2^xor_folds bits, which is then
 * folded.  Bit i lives in byte i / 8 at bit 7 - i % 8 (bitarray's
 * big-endian order), which is also what base64 encodes.
 *
 * The encoder precomputes the BLAKE2b state after the key block for every
 * (feature, salt) pair and keeps one HMAC context per feature and digest,
 * so a token costs one BLAKE2b compression or two HMAC runs, and a record
 * allocates nothing once the scratch buffers have grown.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "childlink/csv.h"
#include "clk_internal.h"

/* ---- key derivation -------------------------------------------------- */

cl_status clk_hkdf(clk_kdf_hash hash, const unsigned char *secret, size_t secret_len,
                   const unsigned char *salt, size_t salt_len, const unsigned char *info,
                   size_t info_len, unsigned char *out, size_t out_len, cl_error *err)
{
    cl_status st = CL_OK;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (ctx == NULL) {
        st = cl_error_set(err, CL_EINVAL, NULL, 0, "OpenSSL has no HKDF");
        goto done;
    }
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            hash == CLK_KDF_SHA512 ? "SHA512" : "SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
    /* An absent or empty salt both mean HashLen zero bytes (RFC 5869). */
    if (salt != NULL && salt_len > 0)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info != NULL && info_len > 0)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, out_len, params) != 1)
        st = cl_error_set(err, CL_EINVAL, NULL, 0,
                          "HKDF cannot derive %zu key bytes (at most 255 times the hash "
                          "length): reduce keySize or the number of features", out_len);
done:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return st;
}

/* ---- token -> bit indices -------------------------------------------- */

void clk_token_ks(const clk_feature *f, size_t ntokens, int *ks)
{
    for (size_t i = 0; i < ntokens; i++) {
        if (f->bits_per_token > 0) {
            ks[i] = f->bits_per_token;
        } else {
            size_t bits = (size_t)f->bits_per_feature;
            ks[i] = (int)(bits / ntokens + (i < bits % ntokens ? 1 : 0));
        }
    }
}

/* str(i).encode(): the salt of the i-th BLAKE2b call (no snprintf: this is
 * on the hot path). */
static int salt_string(int i, unsigned char *salt)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i > 0);
    for (int k = 0; k < n; k++)
        salt[k] = (unsigned char)digits[n - 1 - k];
    return n;
}

/* Indices from the per-salt states after the key block: salt str(m) gives
 * the 32 16-bit words for indices 32m .. 32m+31. */
static void blake_indices_cached(const clk_blake2b_state *states, const unsigned char *key,
                                 size_t key_len, const unsigned char *token, size_t token_len,
                                 int k, uint32_t l, uint32_t *indices)
{
    uint64_t h[8];
    for (int m = 0; m * 32 < k; m++) {
        unsigned char salt[16];
        int sl = salt_string(m, salt);
        clk_blake2b_finish(&states[m], token, token_len, key, key_len, salt, (size_t)sl, h);
        int n = k - m * 32 < 32 ? k - m * 32 : 32;
        /* l is a power of two (the schema loader checks), so % l is a mask. */
        uint32_t mask = l - 1;
        for (int j = 0; j < n; j++)
            indices[m * 32 + j] = (uint32_t)(h[j / 4] >> (16 * (j % 4))) & 0xffff & mask;
    }
}

void clk_blake_indices(const unsigned char *key, size_t key_len, const unsigned char *token,
                       size_t token_len, int k, uint32_t l, uint32_t *indices)
{
    for (int m = 0; m * 32 < k; m++) {
        clk_blake2b_state st;
        unsigned char salt[16];
        int sl = salt_string(m, salt);
        clk_blake2b_keyed_init(&st, key, key_len, salt, (size_t)sl);
        int n = k - m * 32 < 32 ? k - m * 32 : 32;
        uint64_t h[8];
        clk_blake2b_finish(&st, token, token_len, key, key_len, salt, (size_t)sl, h);
        for (int j = 0; j < n; j++)
            indices[m * 32 + j] = (uint32_t)((h[j / 4] >> (16 * (j % 4))) & 0xffff) % l;
    }
}

/* HMAC into `md`, re-using the key already set on `ctx`. */
static int hmac_run(EVP_MAC_CTX *ctx, const unsigned char *a, size_t alen,
                    const unsigned char *b, size_t blen, unsigned char *md, size_t *mdlen)
{
    if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx, a, alen) != 1)
        return 0;
    if (blen > 0 && EVP_MAC_update(ctx, b, blen) != 1)
        return 0;
    return EVP_MAC_final(ctx, md, mdlen, 64) == 1;
}

/* A digest read as a big-endian integer, modulo l. */
static uint32_t digest_mod(const unsigned char *md, size_t len, uint32_t l)
{
    uint64_t r = 0;
    for (size_t i = 0; i < len; i++)
        r = (r * 256 + md[i]) % l;
    return (uint32_t)r;
}

/* UTF-8 of chr(i), as Python's chr(i).encode() gives it. */
static size_t chr_utf8(uint32_t i, unsigned char *out)
{
    if (i < 0x80) {
        out[0] = (unsigned char)i;
        return 1;
    }
    out[0] = (unsigned char)(0xc0 | (i >> 6));
    out[1] = (unsigned char)(0x80 | (i & 0x3f));
    return 2;
}

static cl_status double_indices_ctx(EVP_MAC_CTX *sha1, EVP_MAC_CTX *md5,
                                    const unsigned char *token, size_t token_len, int k,
                                    uint32_t l, int prevent_singularity, uint32_t *indices,
                                    cl_error *err)
{
    unsigned char md[64];
    size_t mdlen;
    if (!hmac_run(sha1, token, token_len, NULL, 0, md, &mdlen))
        goto openssl;
    uint32_t sha1hm = digest_mod(md, mdlen, l);
    if (!hmac_run(md5, token, token_len, NULL, 0, md, &mdlen))
        goto openssl;
    uint32_t md5hm = digest_mod(md, mdlen, l);
    if (prevent_singularity) {
        /* clkhash retries HMAC-MD5 over token + chr(i) for i = 0, 1, ...
         * until the step is non-zero modulo l. */
        for (uint32_t i = 0; md5hm == 0; i++) {
            if (i >= 2048)
                return cl_error_set(err, CL_EINVAL, NULL, 0,
                                    "double hashing found no non-zero step for l = %u", l);
            unsigned char suffix[2];
            size_t sl = chr_utf8(i, suffix);
            if (!hmac_run(md5, token, token_len, suffix, sl, md, &mdlen))
                goto openssl;
            md5hm = digest_mod(md, mdlen, l);
        }
    }
    for (int i = 0; i < k; i++)
        indices[i] = (uint32_t)((sha1hm + (uint64_t)i * md5hm) % l);
    return CL_OK;
openssl:
    return cl_error_set(err, CL_EINVAL, NULL, 0, "OpenSSL HMAC failed");
}

static EVP_MAC_CTX *hmac_new(EVP_MAC *mac, const char *digest, const unsigned char *key,
                             size_t key_len)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL)
        return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, key_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

cl_status clk_double_indices(const unsigned char *key_sha1, const unsigned char *key_md5,
                             size_t key_len, const unsigned char *token, size_t token_len,
                             int k, uint32_t l, int prevent_singularity, uint32_t *indices,
                             cl_error *err)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *sha1 = mac ? hmac_new(mac, "SHA1", key_sha1, key_len) : NULL;
    EVP_MAC_CTX *md5 = mac ? hmac_new(mac, "MD5", key_md5, key_len) : NULL;
    cl_status st;
    if (sha1 == NULL || md5 == NULL)
        st = cl_error_set(err, CL_EINVAL, NULL, 0, "OpenSSL HMAC unavailable");
    else
        st = double_indices_ctx(sha1, md5, token, token_len, k, l, prevent_singularity,
                                indices, err);
    EVP_MAC_CTX_free(sha1);
    EVP_MAC_CTX_free(md5);
    EVP_MAC_free(mac);
    return st;
}

/* ---- folding and bits ------------------------------------------------ */

static int bit_get(const unsigned char *f, size_t i)
{
    return (f[i / 8] >> (7 - i % 8)) & 1;
}

static void bit_put(unsigned char *f, size_t i, int v)
{
    unsigned char mask = (unsigned char)(1u << (7 - i % 8));
    f[i / 8] = (unsigned char)(v ? (f[i / 8] | mask) : (f[i / 8] & ~mask));
}

void clk_fold(unsigned char *filter, size_t bits, int folds)
{
    for (int r = 0; r < folds; r++) {
        size_t half = bits / 2;
        if (half % 8 == 0) {
            for (size_t j = 0; j < half / 8; j++)
                filter[j] ^= filter[half / 8 + j];
        } else {
            for (size_t i = 0; i < half; i++)
                bit_put(filter, i, bit_get(filter, i) ^ bit_get(filter, half + i));
        }
        bits = half;
    }
    /* Clear what lies past the folded length in its last byte. */
    if (bits % 8)
        filter[bits / 8] &= (unsigned char)(0xff00u >> (bits % 8));
}

/* ---- encoder --------------------------------------------------------- */

typedef struct clk_feature_keys {
    const unsigned char *key1, *key2;
    clk_blake2b_state *salt_states;   /* blakeHash: one per 32 bits of the largest k */
    int nsalts;
    EVP_MAC_CTX *sha1, *md5;          /* doubleHash */
} clk_feature_keys;

struct cl_clk_encoder {
    const cl_clk_schema *schema;
    unsigned char *keys;
    size_t keys_len;
    clk_feature_keys *fk;
    EVP_MAC *hmac;
    unsigned char *bloom;
    size_t bloom_bytes;
    clk_buf formatted, toks, encoded;
    size_t *offs;
    size_t offs_cap;
    uint32_t *indices;            /* 65536: the largest k */
};

void cl_clk_encoder_free(cl_clk_encoder *e)
{
    if (e == NULL)
        return;
    if (e->fk) {
        for (size_t i = 0; i < e->schema->nfeatures; i++) {
            if (e->fk[i].salt_states) {
                OPENSSL_cleanse(e->fk[i].salt_states,
                                (size_t)e->fk[i].nsalts * sizeof(clk_blake2b_state));
                cl_free(e->fk[i].salt_states);
            }
            EVP_MAC_CTX_free(e->fk[i].sha1);
            EVP_MAC_CTX_free(e->fk[i].md5);
        }
        cl_free(e->fk);
    }
    if (e->keys) {
        OPENSSL_cleanse(e->keys, e->keys_len);
        cl_free(e->keys);
    }
    EVP_MAC_free(e->hmac);
    cl_free(e->bloom);
    cl_free(e->formatted.data);
    cl_free(e->toks.data);
    cl_free(e->encoded.data);
    cl_free(e->offs);
    cl_free(e->indices);
    cl_free(e);
}

cl_status cl_clk_encoder_new(cl_clk_encoder **out, const cl_clk_schema *s,
                             const unsigned char *secret, size_t secret_len, cl_error *err)
{
    *out = NULL;
    if (secret_len == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the clkhash secret is empty");
    cl_clk_encoder *e = cl_calloc(1, sizeof *e);
    if (e == NULL)
        goto nomem;
    e->schema = s;
    e->keys_len = 2 * s->nfeatures * s->key_size;
    e->keys = cl_malloc(e->keys_len ? e->keys_len : 1);
    e->fk = cl_calloc(s->nfeatures ? s->nfeatures : 1, sizeof *e->fk);
    e->bloom_bytes = (s->hash_l + 7) / 8;
    e->bloom = cl_malloc(e->bloom_bytes);
    e->offs_cap = 256;
    e->offs = cl_malloc(e->offs_cap * sizeof *e->offs);
    e->indices = cl_malloc(65536 * sizeof *e->indices);
    if (e->keys == NULL || e->fk == NULL || e->bloom == NULL || e->offs == NULL ||
        e->indices == NULL)
        goto nomem;
    if (e->keys_len > 0) {
        cl_status st = clk_hkdf(s->kdf_hash, secret, secret_len, s->has_salt ? s->salt : NULL,
                                s->salt_len, s->has_info ? s->info : NULL, s->info_len, e->keys,
                                e->keys_len, err);
        if (st != CL_OK) {
            cl_clk_encoder_free(e);
            return st;
        }
    }
    for (size_t i = 0; i < s->nfeatures; i++) {
        const clk_feature *f = &s->features[i];
        clk_feature_keys *fk = &e->fk[i];
        fk->key1 = e->keys + 2 * i * s->key_size;
        fk->key2 = fk->key1 + s->key_size;
        if (f->ignored)
            continue;
        if (f->hash == CLK_HASH_BLAKE) {
            int max_k = f->bits_per_token > 0 ? f->bits_per_token : f->bits_per_feature;
            fk->nsalts = (max_k + 31) / 32;
            fk->salt_states = cl_malloc((size_t)fk->nsalts * sizeof *fk->salt_states);
            if (fk->salt_states == NULL)
                goto nomem;
            for (int m = 0; m < fk->nsalts; m++) {
                unsigned char salt[16];
                int sl = salt_string(m, salt);
                clk_blake2b_keyed_init(&fk->salt_states[m], fk->key1, s->key_size, salt,
                                       (size_t)sl);
            }
        } else {
            if (e->hmac == NULL && (e->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
                goto openssl;
            fk->sha1 = hmac_new(e->hmac, "SHA1", fk->key1, s->key_size);
            fk->md5 = hmac_new(e->hmac, "MD5", fk->key2, s->key_size);
            if (fk->sha1 == NULL || fk->md5 == NULL)
                goto openssl;
        }
    }
    *out = e;
    return CL_OK;
openssl:
    cl_clk_encoder_free(e);
    return cl_error_set(err, CL_EINVAL, NULL, 0, "OpenSSL HMAC-SHA1/MD5 unavailable");
nomem:
    cl_clk_encoder_free(e);
    return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory creating the clkhash encoder");
}

static void set_bits(unsigned char *bloom, const uint32_t *indices, int k)
{
    for (int i = 0; i < k; i++)
        bloom[indices[i] >> 3] |= (unsigned char)(0x80u >> (indices[i] & 7));
}

static cl_status encode_feature(cl_clk_encoder *e, size_t fi, const char *value, size_t len,
                                cl_error *err)
{
    const cl_clk_schema *s = e->schema;
    const clk_feature *f = &s->features[fi];
    const clk_feature_keys *fk = &e->fk[fi];
    cl_status st;
    const char *formatted;
    size_t flen;
    if (f->has_missing && len == f->sentinel_len && memcmp(value, f->sentinel, len) == 0) {
        /* Missing: hash the replacement as given, unvalidated, unformatted. */
        formatted = f->replace_with;
        flen = f->replace_len;
    } else {
        if ((st = clk_format_value(f, value, len, &e->formatted, err)) != CL_OK)
            return st;
        formatted = e->formatted.data;
        flen = e->formatted.len;
    }
    size_t bound = clk_token_bound(f, flen) + 1;
    if (bound > e->offs_cap) {
        size_t cap = e->offs_cap;
        while (cap < bound)
            cap *= 2;
        size_t *p = cl_realloc(e->offs, cap * sizeof *p);
        if (p == NULL)
            return CL_ENOMEM;
        e->offs = p;
        e->offs_cap = cap;
    }
    size_t ntokens;
    if ((st = clk_tokenize(f, formatted, flen, &e->toks, e->offs, e->offs_cap, &ntokens,
                           err)) != CL_OK)
        return st;
    uint32_t l = (uint32_t)s->hash_l;
    for (size_t t = 0; t < ntokens; t++) {
        int k = f->bits_per_token > 0
                    ? f->bits_per_token
                    : (int)((size_t)f->bits_per_feature / ntokens +
                            (t < (size_t)f->bits_per_feature % ntokens ? 1 : 0));
        if (k == 0)
            continue;
        const char *tok = e->toks.data + e->offs[t];
        size_t tlen = e->offs[t + 1] - e->offs[t] - 1;   /* less the NUL */
        const unsigned char *bytes = (const unsigned char *)tok;
        if (f->encoding == CLK_ENC_UTF16 || f->encoding == CLK_ENC_UTF32 ||
            f->encoding == CLK_ENC_ASCII) {
            if (f->encoding == CLK_ENC_ASCII) {
                for (size_t b = 0; b < tlen; b++)
                    if ((unsigned char)tok[b] >= 0x80)
                        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                            "feature '%s': value cannot be encoded in ascii",
                                            f->identifier);
            } else {
                if ((st = clk_encode_token(f->encoding, tok, tlen, &e->encoded)) != CL_OK)
                    return st;
                bytes = (const unsigned char *)e->encoded.data;
                tlen = e->encoded.len;
            }
        }
        if (f->hash == CLK_HASH_BLAKE) {
            blake_indices_cached(fk->salt_states, fk->key1, s->key_size, bytes, tlen, k, l,
                                 e->indices);
        } else if ((st = double_indices_ctx(fk->sha1, fk->md5, bytes, tlen, k, l,
                                            f->prevent_singularity, e->indices, err)) != CL_OK) {
            return st;
        }
        set_bits(e->bloom, e->indices, k);
    }
    return CL_OK;
}

cl_status cl_clk_encode(cl_clk_encoder *e, const char *const *fields, const size_t *lens,
                        size_t count, unsigned char *filter, cl_error *err)
{
    const cl_clk_schema *s = e->schema;
    if (count != s->nfeatures)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "record has %zu fields but the clkhash schema has %zu features",
                            count, s->nfeatures);
    memset(e->bloom, 0, e->bloom_bytes);
    for (size_t i = 0; i < count; i++) {
        if (s->features[i].ignored)
            continue;
        size_t len = lens ? lens[i] : strlen(fields[i]);
        cl_status st = encode_feature(e, i, fields[i], len, err);
        if (st != CL_OK) {
            if (st == CL_ENOMEM)
                cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory encoding a record");
            return st;
        }
    }
    clk_fold(e->bloom, s->hash_l, s->xor_folds);
    memcpy(filter, e->bloom, (s->l + 7) / 8);
    return CL_OK;
}

/* ---- output ---------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t cl_clk_base64(char *dst, const unsigned char *src, size_t len)
{
    size_t n = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        dst[n++] = b64_alphabet[v >> 18];
        dst[n++] = b64_alphabet[(v >> 12) & 63];
        dst[n++] = b64_alphabet[(v >> 6) & 63];
        dst[n++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < len ? (uint32_t)src[i + 1] << 8 : 0);
        dst[n++] = b64_alphabet[v >> 18];
        dst[n++] = b64_alphabet[(v >> 12) & 63];
        dst[n++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        dst[n++] = '=';
    }
    dst[n] = '\0';
    return n;
}

cl_status cl_clk_json_begin(FILE *out)
{
    return fputs("{\"clks\": [", out) < 0 ? CL_EIO : CL_OK;
}

cl_status cl_clk_json_add(FILE *out, const unsigned char *filter, size_t bytes, size_t index)
{
    char chunk[4 * 64 + 1];
    if (index > 0 && fputs(", ", out) < 0)
        return CL_EIO;
    if (fputc('"', out) == EOF)
        return CL_EIO;
    /* 192 bytes -> 256 characters at a time: a multiple of 3 keeps the
     * chunks' base64 identical to the whole's. */
    for (size_t off = 0; off < bytes; off += 192) {
        size_t n = bytes - off < 192 ? bytes - off : 192;
        size_t cl = cl_clk_base64(chunk, filter + off, n);
        if (fwrite(chunk, 1, cl, out) != cl)
            return CL_EIO;
    }
    return fputc('"', out) == EOF ? CL_EIO : CL_OK;
}

cl_status cl_clk_json_end(FILE *out)
{
    return fputs("]}", out) < 0 ? CL_EIO : CL_OK;
}

cl_status cl_clk_write_json(FILE *out, const unsigned char *filters, size_t count,
                            size_t bytes)
{
    if (cl_clk_json_begin(out) != CL_OK)
        return CL_EIO;
    for (size_t i = 0; i < count; i++)
        if (cl_clk_json_add(out, filters + i * bytes, bytes, i) != CL_OK)
            return CL_EIO;
    return cl_clk_json_end(out);
}

double cl_clk_dice(const unsigned char *a, const unsigned char *b, size_t bytes)
{
    uint64_t both = 0, total = 0;
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        both += (uint64_t)__builtin_popcountll(x & y);
        total += (uint64_t)__builtin_popcountll(x) + (uint64_t)__builtin_popcountll(y);
    }
    for (; i < bytes; i++) {
        both += (uint64_t)__builtin_popcount(a[i] & b[i]);
        total += (uint64_t)__builtin_popcount(a[i]) + (uint64_t)__builtin_popcount(b[i]);
    }
    return total == 0 ? 0.0 : 2.0 * (double)both / (double)total;
}

/* ---- secrets and whole files ----------------------------------------- */

cl_status cl_clk_secret_load(const char *path, unsigned char **secret, size_t *len,
                             cl_error *err)
{
    *secret = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return cl_error_set(err, CL_EIO, path, 0, "cannot open the secret file");
    size_t cap = 1u << 16;
    unsigned char *buf = cl_malloc(cap + 1);
    if (buf == NULL) {
        fclose(fp);
        return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory reading the secret");
    }
    size_t n = fread(buf, 1, cap, fp);
    int bad = ferror(fp) || (n == cap && fgetc(fp) != EOF);
    fclose(fp);
    if (bad) {
        OPENSSL_cleanse(buf, cap);
        cl_free(buf);
        return cl_error_set(err, CL_EIO, path, 0,
                            "cannot read the secret file (or it is over 64 KiB)");
    }
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    if (n == 0) {
        cl_free(buf);
        return cl_error_set(err, CL_EINVAL, path, 0, "the secret file is empty");
    }
    buf[n] = '\0';
    *secret = buf;
    *len = n;
    return CL_OK;
}

void cl_clk_secret_free(unsigned char *secret, size_t len)
{
    if (secret == NULL)
        return;
    OPENSSL_cleanse(secret, len);
    cl_free(secret);
}

cl_status cl_clk_encode_csv(cl_clk_encoder *e, const char *csv_path, FILE *out,
                            size_t *count, cl_error *err)
{
    const cl_clk_schema *s = e->schema;
    size_t nf = s->nfeatures;
    size_t records = 0;
    cl_csv_reader *r = NULL;
    const char **fields = cl_calloc(nf ? nf : 1, sizeof *fields);
    size_t *lens = cl_calloc(nf ? nf : 1, sizeof *lens);
    unsigned char *filter = cl_malloc(cl_clk_schema_bytes(s));
    cl_status st;
    if (count)
        *count = 0;
    if (fields == NULL || lens == NULL || filter == NULL) {
        st = cl_error_set(err, CL_ENOMEM, csv_path, 0, "out of memory");
        goto done;
    }
    if ((st = cl_csv_open(&r, csv_path, 0, err)) != CL_OK)
        goto done;
    st = cl_csv_next(r, err);
    if (st == CL_END) {
        st = cl_error_set(err, CL_EFORMAT, csv_path, 1, "no header row");
        goto done;
    }
    if (st != CL_OK)
        goto done;
    if (cl_csv_nfields(r) == nf)
        for (size_t i = 0; i < nf; i++)
            fields[i] = cl_csv_field(r, i, NULL);
    if (cl_csv_nfields(r) != nf) {
        st = cl_error_set(err, CL_EFORMAT, csv_path, cl_csv_line(r),
                          "header has %zu columns but the clkhash schema has %zu features",
                          cl_csv_nfields(r), nf);
        goto done;
    }
    if ((st = cl_clk_check_header(s, fields, nf, err)) != CL_OK) {
        if (err) {
            snprintf(err->file, sizeof err->file, "%s", csv_path);
            err->line = cl_csv_line(r);
        }
        goto done;
    }
    if ((st = cl_clk_json_begin(out)) != CL_OK)
        goto write_failed;
    while ((st = cl_csv_next(r, err)) == CL_OK) {
        if (cl_csv_nfields(r) != nf) {
            st = cl_error_set(err, CL_EFORMAT, csv_path, cl_csv_line(r),
                              "record has %zu fields, expected %zu", cl_csv_nfields(r), nf);
            goto done;
        }
        for (size_t i = 0; i < nf; i++)
            fields[i] = cl_csv_field(r, i, &lens[i]);
        if ((st = cl_clk_encode(e, fields, lens, nf, filter, err)) != CL_OK) {
            if (err) {
                snprintf(err->file, sizeof err->file, "%s", csv_path);
                err->line = cl_csv_line(r);
            }
            goto done;
        }
        if ((st = cl_clk_json_add(out, filter, cl_clk_schema_bytes(s), records)) != CL_OK)
            goto write_failed;
        records++;
    }
    if (st != CL_END)
        goto done;
    if ((st = cl_clk_json_end(out)) != CL_OK)
        goto write_failed;
    if (count)
        *count = records;
    st = CL_OK;
    goto done;
write_failed:
    st = cl_error_set(err, CL_EIO, NULL, 0, "cannot write the CLK output");
done:
    cl_csv_close(r);
    cl_free(fields);
    cl_free(lens);
    cl_free(filter);
    return st;
}
