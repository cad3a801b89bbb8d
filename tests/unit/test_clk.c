/*
 * Unit tests: clkhash 0.18.3 compatible CLK encoding.
 *
 * The reference data in ../shared/data/clkhash-vectors was produced by
 * clkhash itself: every vector set (A and B) must come out byte-identical
 * (clks.json) and CLK for CLK (clks.hex), the derived keys and the tokens of
 * the debug records must agree, and every primitive of primitives.json must
 * match.  Dice candidate pairs of A against B are checked against anonlink's.
 * Then invalid schemas and values, each with the error they must give.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "childlink/clk.h"
#include "childlink/csv.h"
#include "clk_internal.h"

#define VECTORS "../shared/data/clkhash-vectors"

#define ONE_ASCII                                                                         \
    "{\"version\": 3, \"clkConfig\": {\"l\": 64, \"kdf\": {\"type\": \"HKDF\"}}, "     \
    "\"features\": [{\"identifier\": \"x\", \"format\": {\"type\": \"string\", "           \
    "\"encoding\": \"ascii\"}, \"hashing\": {\"comparison\": {\"type\": \"ngram\", "      \
    "\"n\": 2}, \"strategy\": {\"bitsPerToken\": 3}}}]}"

/* ---- helpers --------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}

static json_t *read_json(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (j == NULL)
        fail_msg("cannot load %s: %s", path, jerr.text);
    return j;
}

static size_t unhex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static void tohex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

static cl_clk_schema *parse_schema(const char *text, cl_error *err)
{
    cl_clk_schema *s = NULL;
    cl_status st = cl_clk_schema_parse(&s, text, strlen(text), "test.json", err);
    if (st != CL_OK)
        return NULL;
    return s;
}

/* Encode every row of `csv` (header skipped) into `filters`. */
static size_t encode_rows(cl_clk_encoder *e, const cl_clk_schema *s, const char *csv,
                          unsigned char *filters, size_t max)
{
    cl_error err;
    cl_csv_reader *r;
    assert_int_equal(cl_csv_open(&r, csv, 0, &err), CL_OK);
    assert_int_equal(cl_csv_next(r, &err), CL_OK);
    size_t nf = cl_clk_schema_nfeatures(s), bytes = cl_clk_schema_bytes(s), n = 0;
    const char *fields[64];
    size_t lens[64];
    while (cl_csv_next(r, &err) == CL_OK) {
        assert_true(n < max);
        assert_int_equal(cl_csv_nfields(r), nf);
        for (size_t i = 0; i < nf; i++)
            fields[i] = cl_csv_field(r, i, &lens[i]);
        cl_status st = cl_clk_encode(e, fields, lens, nf, filters + n * bytes, &err);
        if (st != CL_OK)
            fail_msg("%s line %ld: %s", csv, cl_csv_line(r), err.message);
        n++;
    }
    cl_csv_close(r);
    return n;
}

/* ---- the vector sets ------------------------------------------------- */

/* Tokens of the debug records: formatted value, token list, k per token. */
static void check_debug(const char *dir, const cl_clk_schema *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/debug.json", dir);
    json_t *dbg = read_json(path);
    json_t *records = json_object_get(dbg, "records");
    clk_buf formatted = {0}, toks = {0};
    size_t offs[512];
    int ks[512];
    size_t checked = 0;
    for (size_t r = 0; r < json_array_size(records); r++) {
        json_t *rec = json_array_get(records, r);
        json_t *raw = json_object_get(rec, "raw");
        json_t *feats = json_object_get(rec, "features");
        for (size_t i = 0; i < s->nfeatures; i++) {
            const clk_feature *f = &s->features[i];
            if (f->ignored)
                continue;
            json_t *jf = json_array_get(feats, i);
            const char *value = json_string_value(json_array_get(raw, i));
            const char *want = json_string_value(json_object_get(jf, "formatted"));
            const char *fv;
            size_t flen;
            if (f->has_missing && strcmp(value, f->sentinel) == 0) {
                fv = f->replace_with;
                flen = f->replace_len;
            } else {
                cl_error err;
                if (clk_format_value(f, value, strlen(value), &formatted, &err) != CL_OK)
                    fail_msg("%s row %zu feature %s: %s", dir, r, f->identifier, err.message);
                fv = formatted.data;
                flen = formatted.len;
            }
            if (flen != strlen(want) || memcmp(fv, want, flen) != 0)
                fail_msg("%s row %zu feature %s: formatted '%.*s', clkhash '%s'", dir, r,
                         f->identifier, (int)flen, fv, want);
            size_t ntok;
            cl_error err;
            assert_int_equal(clk_tokenize(f, fv, flen, &toks, offs, 512, &ntok, &err), CL_OK);
            json_t *jt = json_object_get(jf, "tokens");
            json_t *jk = json_object_get(jf, "k");
            assert_int_equal(ntok, json_array_size(jt));
            clk_token_ks(f, ntok, ks);
            for (size_t t = 0; t < ntok; t++) {
                assert_string_equal(toks.data + offs[t], json_string_value(json_array_get(jt, t)));
                assert_int_equal(ks[t], json_integer_value(json_array_get(jk, t)));
            }
            checked++;
        }
    }
    assert_true(checked > 0);
    cl_free(formatted.data);
    cl_free(toks.data);
    json_decref(dbg);
}

static void check_keys(const char *dir, const cl_clk_schema *s, const unsigned char *secret,
                       size_t secret_len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/keys.json", dir);
    json_t *keys = read_json(path);
    json_t *feats = json_object_get(keys, "features");
    assert_int_equal(json_array_size(feats), s->nfeatures);
    size_t total = 2 * s->nfeatures * s->key_size;
    unsigned char *out = malloc(total);
    cl_error err;
    assert_int_equal(clk_hkdf(s->kdf_hash, secret, secret_len, s->has_salt ? s->salt : NULL,
                              s->salt_len, s->has_info ? s->info : NULL, s->info_len, out,
                              total, &err),
                     CL_OK);
    char hex[1024];
    for (size_t i = 0; i < s->nfeatures; i++) {
        json_t *kh = json_object_get(json_array_get(feats, i), "keys_hex");
        for (size_t k = 0; k < 2; k++) {
            tohex(out + (2 * i + k) * s->key_size, s->key_size, hex);
            assert_string_equal(hex, json_string_value(json_array_get(kh, k)));
        }
    }
    free(out);
    json_decref(keys);
}

static void run_vector_set(const char *dir)
{
    char path[512];
    cl_error err;
    cl_clk_schema *s;
    snprintf(path, sizeof path, "%s/schema.json", dir);
    if (cl_clk_schema_load(&s, path, &err) != CL_OK)
        fail_msg("%s: %s", path, err.message);
    unsigned char *secret;
    size_t secret_len;
    snprintf(path, sizeof path, "%s/secret.txt", dir);
    assert_int_equal(cl_clk_secret_load(path, &secret, &secret_len, &err), CL_OK);
    check_keys(dir, s, secret, secret_len);
    check_debug(dir, s);

    cl_clk_encoder *e;
    assert_int_equal(cl_clk_encoder_new(&e, s, secret, secret_len, &err), CL_OK);

    /* CLK by CLK against clks.hex. */
    size_t bytes = cl_clk_schema_bytes(s);
    unsigned char *filters = malloc(2000 * bytes);
    snprintf(path, sizeof path, "%s/input.csv", dir);
    size_t n = encode_rows(e, s, path, filters, 2000);
    snprintf(path, sizeof path, "%s/clks.hex", dir);
    FILE *hf = fopen(path, "r");
    assert_non_null(hf);
    char line[4096], hex[4096];
    size_t rows = 0;
    while (fgets(line, sizeof line, hf)) {
        line[strcspn(line, "\r\n")] = '\0';
        assert_true(rows < n);
        tohex(filters + rows * bytes, bytes, hex);
        if (strcmp(hex, line) != 0)
            fail_msg("%s: CLK of record %zu differs\n ours    %s\n clkhash %s", dir, rows, hex,
                     line);
        rows++;
    }
    fclose(hf);
    assert_int_equal(rows, n);

    /* The whole file through the streaming writer, byte for byte. */
    char *ours;
    size_t ours_len;
    FILE *mem = open_memstream(&ours, &ours_len);
    size_t count;
    snprintf(path, sizeof path, "%s/input.csv", dir);
    if (cl_clk_encode_csv(e, path, mem, &count, &err) != CL_OK)
        fail_msg("%s: %s", path, err.message);
    fclose(mem);
    assert_int_equal(count, n);
    size_t want_len;
    snprintf(path, sizeof path, "%s/clks.json", dir);
    char *want = read_file(path, &want_len);
    assert_non_null(want);
    assert_int_equal(ours_len, want_len);
    assert_memory_equal(ours, want, want_len);
    free(ours);

    /* Also through the all-at-once writer. */
    mem = open_memstream(&ours, &ours_len);
    assert_int_equal(cl_clk_write_json(mem, filters, n, bytes), CL_OK);
    fclose(mem);
    assert_int_equal(ours_len, want_len);
    assert_memory_equal(ours, want, want_len);
    free(ours);
    free(want);

    free(filters);
    cl_clk_encoder_free(e);
    cl_clk_secret_free(secret, secret_len);
    cl_clk_schema_free(s);
}

static void test_all_vector_sets(void **state)
{
    (void)state;
    DIR *d = opendir(VECTORS "/vectors");
    assert_non_null(d);
    struct dirent *de;
    int sets = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        for (int side = 0; side < 2; side++) {
            char dir[512];
            snprintf(dir, sizeof dir, VECTORS "/vectors/%s/%c", de->d_name, side ? 'B' : 'A');
            if (access(dir, F_OK) != 0)
                continue;
            run_vector_set(dir);
            sets++;
        }
    }
    closedir(d);
    assert_int_equal(sets, 7);   /* six sets, v3_blake_main with both A and B */
}

/* One named set, so that a failure says which. */
#define VECTOR_TEST(name, sub)                                  \
    static void test_vectors_##name##_##sub(void **state)      \
    {                                                           \
        (void)state;                                            \
        run_vector_set(VECTORS "/vectors/" #name "/" #sub);     \
    }
VECTOR_TEST(v3_blake_main, A)
VECTOR_TEST(v3_blake_main, B)
VECTOR_TEST(v3_doublehash, A)
VECTOR_TEST(v3_blake_xorfold1, A)
VECTOR_TEST(v3_blake_xorFolds_documented_key_ignored, A)
VECTOR_TEST(v2_legacy_mixed, A)
VECTOR_TEST(v3_quirks, A)

static void test_xorfolds_spelling(void **state)
{
    (void)state;
    cl_error err;
    cl_clk_schema *a, *b;
    assert_int_equal(cl_clk_schema_load(&a, VECTORS "/schemas/v3_blake_xorfold1.json", &err), CL_OK);
    assert_int_equal(cl_clk_schema_load(&b, VECTORS
                                        "/schemas/v3_blake_xorFolds_documented_key_ignored.json",
                                        &err),
                     CL_OK);
    assert_int_equal(a->xor_folds, 1);
    assert_int_equal(a->hash_l, 1024);
    assert_int_equal(b->xor_folds, 0);   /* "xorFolds" is ignored, as in clkhash */
    assert_int_equal(b->hash_l, 512);
    assert_int_equal(cl_clk_schema_bits(b), 512);
    assert_int_equal(cl_clk_schema_bytes(b), 64);
    cl_clk_schema_free(a);
    cl_clk_schema_free(b);
}

/* ---- anonlink's Dice candidates -------------------------------------- */

static void check_candidates(const unsigned char *fa, size_t na, const unsigned char *fb,
                             size_t nb, size_t bytes, const char *threshold)
{
    char path[512];
    snprintf(path, sizeof path, VECTORS "/anonlink/candidates_t%s.csv", threshold);
    double t = atof(threshold);
    /* anonlink's pairs into a lookup keyed a * nb + b */
    double *want = malloc(na * nb * sizeof *want);
    for (size_t i = 0; i < na * nb; i++)
        want[i] = -1;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));   /* header */
    size_t nwant = 0;
    while (fgets(line, sizeof line, f)) {
        double sim;
        size_t a, b;
        assert_int_equal(sscanf(line, "%lf,%zu,%zu", &sim, &a, &b), 3);
        assert_true(a < na && b < nb);
        want[a * nb + b] = sim;
        nwant++;
    }
    fclose(f);
    size_t found = 0;
    for (size_t a = 0; a < na; a++) {
        for (size_t b = 0; b < nb; b++) {
            double d = cl_clk_dice(fa + a * bytes, fb + b * bytes, bytes);
            double w = want[a * nb + b];
            if (d >= t) {
                if (w < 0)
                    fail_msg("t=%s: pair (%zu,%zu) dice %.12f not in anonlink's candidates",
                             threshold, a, b, d);
                if (fabs(d - w) > 1e-9)
                    fail_msg("t=%s: pair (%zu,%zu) dice %.12f, anonlink %.12f", threshold, a,
                             b, d, w);
                found++;
            } else if (w >= 0) {
                fail_msg("t=%s: anonlink pair (%zu,%zu) %.12f, ours %.12f below threshold",
                         threshold, a, b, w, d);
            }
        }
    }
    assert_int_equal(found, nwant);
    free(want);
}

static void test_anonlink_candidates(void **state)
{
    (void)state;
    cl_error err;
    cl_clk_schema *s;
    assert_int_equal(cl_clk_schema_load(&s, VECTORS "/vectors/v3_blake_main/A/schema.json", &err),
                     CL_OK);
    unsigned char *secret;
    size_t secret_len;
    assert_int_equal(cl_clk_secret_load(VECTORS "/vectors/v3_blake_main/A/secret.txt", &secret,
                                        &secret_len, &err),
                     CL_OK);
    cl_clk_encoder *e;
    assert_int_equal(cl_clk_encoder_new(&e, s, secret, secret_len, &err), CL_OK);
    size_t bytes = cl_clk_schema_bytes(s);
    unsigned char *fa = malloc(1000 * bytes), *fb = malloc(1000 * bytes);
    size_t na = encode_rows(e, s, VECTORS "/vectors/v3_blake_main/A/input.csv", fa, 1000);
    size_t nb = encode_rows(e, s, VECTORS "/vectors/v3_blake_main/B/input.csv", fb, 1000);
    assert_int_equal(na, 1000);
    assert_int_equal(nb, 901);
    check_candidates(fa, na, fb, nb, bytes, "0.70");
    check_candidates(fa, na, fb, nb, bytes, "0.80");
    check_candidates(fa, na, fb, nb, bytes, "0.90");
    free(fa);
    free(fb);
    cl_clk_encoder_free(e);
    cl_clk_secret_free(secret, secret_len);
    cl_clk_schema_free(s);
}

/* ---- primitives.json ------------------------------------------------- */

static json_t *primitives(void)
{
    return read_json(VECTORS "/primitives/primitives.json");
}

static void test_primitive_hkdf(void **state)
{
    (void)state;
    json_t *p = primitives();
    json_t *cases = json_object_get(p, "hkdf");
    assert_true(json_array_size(cases) >= 4);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *jc = json_array_get(cases, c);
        unsigned char secret[256], salt[256], info[256], out[1024];
        char hex[2100];
        size_t sl = unhex(json_string_value(json_object_get(jc, "secret_hex")), secret);
        json_t *js = json_object_get(jc, "salt_hex"), *ji = json_object_get(jc, "info_hex");
        size_t saltl = js && json_is_string(js) ? unhex(json_string_value(js), salt) : 0;
        size_t infol = ji && json_is_string(ji) ? unhex(json_string_value(ji), info) : 0;
        size_t nkeys = (size_t)json_integer_value(json_object_get(jc, "num_keys"));
        size_t ksize = (size_t)json_integer_value(json_object_get(jc, "key_size"));
        clk_kdf_hash h = strcmp(json_string_value(json_object_get(jc, "hash")), "SHA512") == 0
                             ? CLK_KDF_SHA512 : CLK_KDF_SHA256;
        cl_error err;
        assert_int_equal(clk_hkdf(h, secret, sl, json_is_string(js) ? salt : NULL, saltl,
                                  json_is_string(ji) ? info : NULL, infol, out, nkeys * ksize,
                                  &err),
                         CL_OK);
        json_t *keys = json_object_get(jc, "keys_hex");
        for (size_t k = 0; k < nkeys; k++) {
            tohex(out + k * ksize, ksize, hex);
            assert_string_equal(hex, json_string_value(json_array_get(keys, k)));
        }
    }
    /* generate_key_lists: feature i gets keys 2i and 2i+1 of one HKDF run. */
    json_t *lists = json_object_get(p, "generate_key_lists_3_features");
    json_t *c0 = json_array_get(cases, 0);
    unsigned char secret[256], salt[256], info[256], out[6 * 64];
    char hex[200];
    size_t sl = unhex(json_string_value(json_object_get(c0, "secret_hex")), secret);
    size_t saltl = unhex(json_string_value(json_object_get(c0, "salt_hex")), salt);
    size_t infol = unhex(json_string_value(json_object_get(c0, "info_hex")), info);
    cl_error err;
    assert_int_equal(clk_hkdf(CLK_KDF_SHA256, secret, sl, salt, saltl, info, infol, out,
                              sizeof out, &err),
                     CL_OK);
    for (size_t f = 0; f < 3; f++)
        for (size_t k = 0; k < 2; k++) {
            tohex(out + (2 * f + k) * 64, 64, hex);
            assert_string_equal(hex, json_string_value(json_array_get(json_array_get(lists, f), k)));
        }
    /* Too many key bytes for HKDF-SHA256 (255 * 32). */
    unsigned char *big = malloc(255 * 32 + 1);
    assert_int_equal(clk_hkdf(CLK_KDF_SHA256, secret, sl, NULL, 0, NULL, 0, big, 255 * 32 + 1,
                              &err),
                     CL_EINVAL);
    assert_int_equal(clk_hkdf(CLK_KDF_SHA256, secret, sl, NULL, 0, NULL, 0, big, 255 * 32,
                              &err),
                     CL_OK);
    free(big);
    json_decref(p);
}

/* OpenSSL's keyed BLAKE2b with a salt, as an independent reference. */
static void openssl_blake2b(const unsigned char *key, size_t key_len, const unsigned char *salt,
                            size_t salt_len, const unsigned char *msg, size_t len,
                            unsigned char out[64])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "BLAKE2BMAC", NULL);
    assert_non_null(mac);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    size_t size = 64, outl;
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_SALT, (void *)salt, salt_len);
    params[1] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
    params[2] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_MAC_init(ctx, key, key_len, params), 1);
    assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
    assert_int_equal(EVP_MAC_final(ctx, out, &outl, 64), 1);
    assert_int_equal(outl, 64);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

static void digest_bytes(const uint64_t h[8], unsigned char out[64])
{
    for (int i = 0; i < 64; i++)
        out[i] = (unsigned char)(h[i / 8] >> (8 * (i % 8)));
}

static void test_primitive_blake(void **state)
{
    (void)state;
    json_t *p = primitives();
    json_t *cases = json_object_get(p, "blake_hash_token");
    assert_true(json_array_size(cases) >= 8);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *jc = json_array_get(cases, c);
        unsigned char key[64], token[64];
        size_t kl = unhex(json_string_value(json_object_get(jc, "key_hex")), key);
        size_t tl = unhex(json_string_value(json_object_get(jc, "token_hex")), token);
        int k = (int)json_integer_value(json_object_get(jc, "k"));
        uint32_t l = (uint32_t)json_integer_value(json_object_get(jc, "l"));
        json_t *digests = json_object_get(jc, "blake2b_digests_hex");
        for (size_t m = 0; m < json_array_size(digests); m++) {
            unsigned char salt[16], ours[64], ref[64];
            char hex[130];
            int sl = snprintf((char *)salt, sizeof salt, "%zu", m);
            clk_blake2b_state st;
            uint64_t h[8];
            clk_blake2b_keyed_init(&st, key, kl, salt, (size_t)sl);
            clk_blake2b_finish(&st, token, tl, key, kl, salt, (size_t)sl, h);
            digest_bytes(h, ours);
            tohex(ours, 64, hex);
            assert_string_equal(hex, json_string_value(json_array_get(digests, m)));
            openssl_blake2b(key, kl, salt, (size_t)sl, token, tl, ref);
            assert_memory_equal(ours, ref, 64);
        }
        uint32_t idx[128];
        clk_blake_indices(key, kl, token, tl, k, l, idx);
        json_t *want = json_object_get(jc, "indices");
        assert_int_equal(json_array_size(want), (size_t)k);
        for (int i = 0; i < k; i++)
            assert_int_equal(idx[i], json_integer_value(json_array_get(want, (size_t)i)));
    }
    /* Messages spanning several 128-byte blocks, and exactly one block,
     * against OpenSSL. */
    unsigned char key[64], msg[400], ours[64], ref[64];
    for (int i = 0; i < 64; i++)
        key[i] = (unsigned char)(i * 7);
    for (int i = 0; i < 400; i++)
        msg[i] = (unsigned char)(i * 13 + 1);
    size_t lens[] = {1, 127, 128, 129, 256, 257, 400};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        clk_blake2b_state st;
        uint64_t h[8];
        clk_blake2b_keyed_init(&st, key, 32, (const unsigned char *)"12", 2);
        clk_blake2b_finish(&st, msg, lens[i], key, 32, (const unsigned char *)"12", 2, h);
        digest_bytes(h, ours);
        openssl_blake2b(key, 32, (const unsigned char *)"12", 2, msg, lens[i], ref);
        assert_memory_equal(ours, ref, 64);
    }
    json_decref(p);
}

static void test_primitive_double_hash(void **state)
{
    (void)state;
    json_t *p = primitives();
    json_t *cases = json_object_get(p, "double_hash");
    assert_true(json_array_size(cases) >= 5);
    cl_error err;
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *jc = json_array_get(cases, c);
        unsigned char ks[64], km[64], token[64];
        size_t kl = unhex(json_string_value(json_object_get(jc, "key_sha1_hex")), ks);
        unhex(json_string_value(json_object_get(jc, "key_md5_hex")), km);
        size_t tl = unhex(json_string_value(json_object_get(jc, "token_hex")), token);
        int k = (int)json_integer_value(json_object_get(jc, "k"));
        uint32_t l = (uint32_t)json_integer_value(json_object_get(jc, "l"));
        int ps = json_is_true(json_object_get(jc, "prevent_singularity"));
        uint32_t idx[64];
        assert_int_equal(clk_double_indices(ks, km, kl, token, tl, k, l, ps, idx, &err), CL_OK);
        json_t *want = json_object_get(jc, "indices");
        assert_int_equal(json_array_size(want), (size_t)k);
        for (int i = 0; i < k; i++)
            assert_int_equal(idx[i], json_integer_value(json_array_get(want, (size_t)i)));
        /* index 0 is sha1hm and index 1 - index 0 is md5hm (mod l) */
        assert_int_equal(idx[0], json_integer_value(json_object_get(jc, "sha1hm")));
    }
    /* The singular case: with l = 4 the plain MD5 step is 0, so every index
     * is sha1hm; preventing singularity retries with token + chr(0). */
    json_t *sc = json_object_get(p, "double_hash_singular_case");
    json_t *c0 = json_array_get(cases, 0);
    unsigned char ks[64], km[64], token[16];
    size_t kl = unhex(json_string_value(json_object_get(c0, "key_sha1_hex")), ks);
    unhex(json_string_value(json_object_get(c0, "key_md5_hex")), km);
    size_t tl = unhex(json_string_value(json_object_get(sc, "token_hex")), token);
    uint32_t l = (uint32_t)json_integer_value(json_object_get(sc, "l"));
    uint32_t idx[4];
    assert_int_equal(clk_double_indices(ks, km, kl, token, tl, 4, l, 0, idx, &err), CL_OK);
    uint32_t s1 = (uint32_t)json_integer_value(json_object_get(sc, "singular_sha1hm"));
    for (int i = 0; i < 4; i++)
        assert_int_equal(idx[i], s1);
    assert_int_equal(json_integer_value(json_object_get(sc, "singular_md5hm")), 0);
    assert_int_equal(clk_double_indices(ks, km, kl, token, tl, 4, l, 1, idx, &err), CL_OK);
    uint32_t n1 = (uint32_t)json_integer_value(json_object_get(sc, "non_singular_sha1hm"));
    uint32_t n2 = (uint32_t)json_integer_value(json_object_get(sc, "non_singular_md5hm"));
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(idx[i], (n1 + i * n2) % l);
    json_decref(p);
}

/* A feature for tokeniser tests. */
static clk_feature make_feature(clk_comparison cmp, int n, int positional)
{
    clk_feature f;
    memset(&f, 0, sizeof f);
    f.identifier = (char *)"f";
    f.comparison = cmp;
    f.ngram_n = n;
    f.positional = positional;
    f.min_length = f.max_length = -1;
    return f;
}

static void check_tokens(const clk_feature *f, const char *input, json_t *want)
{
    clk_buf toks = {0};
    size_t offs[256], ntok;
    cl_error err;
    assert_int_equal(clk_tokenize(f, input, strlen(input), &toks, offs, 256, &ntok, &err), CL_OK);
    assert_int_equal(ntok, json_array_size(want));
    for (size_t t = 0; t < ntok; t++)
        assert_string_equal(toks.data + offs[t], json_string_value(json_array_get(want, t)));
    cl_free(toks.data);
}

static void test_primitive_tokenisers(void **state)
{
    (void)state;
    json_t *p = primitives();
    json_t *ngrams = json_object_get(p, "ngram");
    assert_true(json_array_size(ngrams) >= 8);
    for (size_t c = 0; c < json_array_size(ngrams); c++) {
        json_t *jc = json_array_get(ngrams, c);
        clk_feature f = make_feature(CLK_CMP_NGRAM, (int)json_integer_value(json_object_get(jc, "n")),
                                     json_is_true(json_object_get(jc, "positional")));
        check_tokens(&f, json_string_value(json_object_get(jc, "input")),
                     json_object_get(jc, "tokens"));
    }
    json_t *exact = json_object_get(p, "exact");
    for (size_t c = 0; c < json_array_size(exact); c++) {
        json_t *jc = json_array_get(exact, c);
        clk_feature f = make_feature(CLK_CMP_EXACT, 0, 0);
        check_tokens(&f, json_string_value(json_object_get(jc, "input")),
                     json_object_get(jc, "tokens"));
    }
    json_t *numeric = json_object_get(p, "numeric");
    assert_true(json_array_size(numeric) >= 20);
    for (size_t c = 0; c < json_array_size(numeric); c++) {
        json_t *jc = json_array_get(numeric, c);
        clk_feature f = make_feature(CLK_CMP_NUMERIC, 0, 0);
        f.threshold_distance = json_number_value(json_object_get(jc, "thresholdDistance"));
        f.resolution = (int)json_integer_value(json_object_get(jc, "resolution"));
        f.fractional_precision = (int)json_integer_value(json_object_get(jc, "fractional_precision"));
        double di = f.threshold_distance;
        for (int i = 0; i < f.fractional_precision; i++)
            di *= 10;
        f.distance_interval = (long long)llround(di);
        check_tokens(&f, json_string_value(json_object_get(jc, "input")),
                     json_object_get(jc, "tokens"));
    }
    /* n = 0: one empty token per position plus one, as Python slices give. */
    clk_feature f0 = make_feature(CLK_CMP_NGRAM, 0, 0);
    json_t *three_empty = json_pack("[sss]", "", "", "");
    check_tokens(&f0, "ab", three_empty);
    json_decref(three_empty);
    json_decref(p);
}

static void test_primitive_ks(void **state)
{
    (void)state;
    json_t *p = primitives();
    const char *kinds[] = {"bitsPerFeature", "bitsPerToken"};
    for (int kind = 0; kind < 2; kind++) {
        json_t *cases = json_object_get(p, kinds[kind]);
        assert_true(json_array_size(cases) >= 1);
        for (size_t c = 0; c < json_array_size(cases); c++) {
            json_t *jc = json_array_get(cases, c);
            clk_feature f = make_feature(CLK_CMP_NGRAM, 2, 0);
            int bits = (int)json_integer_value(json_object_get(jc, kinds[kind]));
            if (kind == 0)
                f.bits_per_feature = bits;
            else
                f.bits_per_token = bits;
            size_t n = (size_t)json_integer_value(json_object_get(jc, "num_tokens"));
            int ks[64];
            clk_token_ks(&f, n, ks);
            json_t *want = json_object_get(jc, "k");
            for (size_t i = 0; i < n; i++)
                assert_int_equal(ks[i], json_integer_value(json_array_get(want, i)));
        }
    }
    json_decref(p);
}

static void test_primitive_bits_fold_dice(void **state)
{
    (void)state;
    json_t *p = primitives();
    json_t *bo = json_object_get(p, "bit_order");
    unsigned char f[2] = {0, 0};
    json_t *set = json_object_get(bo, "set_bits");
    for (size_t i = 0; i < json_array_size(set); i++) {
        size_t b = (size_t)json_integer_value(json_array_get(set, i));
        f[b / 8] |= (unsigned char)(0x80 >> (b % 8));
    }
    char hex[8], b64[8];
    tohex(f, 2, hex);
    assert_string_equal(hex, json_string_value(json_object_get(bo, "bytes_hex")));
    cl_clk_base64(b64, f, 2);
    assert_string_equal(b64, json_string_value(json_object_get(bo, "base64")));
    clk_fold(f, 16, 1);
    tohex(f, 1, hex);
    assert_string_equal(hex, json_string_value(json_object_get(bo, "fold1_bytes_hex")));

    /* Folding a length that is not a whole number of bytes: 12 bits -> 6. */
    unsigned char g[2] = {0xA5, 0xF0};   /* 1010 0101 1111 */
    clk_fold(g, 12, 1);                  /* 101001 ^ 011111 = 110110 */
    assert_int_equal(g[0], 0xD8);

    json_t *dice = json_object_get(p, "dice");
    for (size_t c = 0; c < json_array_size(dice); c++) {
        json_t *jc = json_array_get(dice, c);
        unsigned char a[64], b[64];
        size_t n = unhex(json_string_value(json_object_get(jc, "a_hex")), a);
        unhex(json_string_value(json_object_get(jc, "b_hex")), b);
        assert_true(fabs(cl_clk_dice(a, b, n) - json_number_value(json_object_get(jc, "dice"))) <
                    1e-12);
    }
    unsigned char z[3] = {0, 0, 0};
    assert_true(cl_clk_dice(z, z, 3) == 0.0);
    unsigned char odd[11] = {0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    assert_true(cl_clk_dice(odd, odd, 11) == 1.0);
    json_decref(p);
}

/* Python's 'utf-16' and 'utf-32' codecs put a byte-order mark before every
 * encoded token (little-endian on the machines clkhash runs on). */
static void test_encodings(void **state)
{
    (void)state;
    clk_buf out = {0};
    char hex[128];
    const char *tok = "a\xf0\x9d\x94\xb8";   /* "a" U+1D538 */
    assert_int_equal(clk_encode_token(CLK_ENC_UTF16, tok, strlen(tok), &out), CL_OK);
    tohex((const unsigned char *)out.data, out.len, hex);
    assert_string_equal(hex, "fffe610035d838dd");
    assert_int_equal(clk_encode_token(CLK_ENC_UTF32, tok, strlen(tok), &out), CL_OK);
    tohex((const unsigned char *)out.data, out.len, hex);
    assert_string_equal(hex, "fffe00006100000038d50100");
    assert_int_equal(clk_encode_token(CLK_ENC_UTF8, tok, strlen(tok), &out), CL_OK);
    assert_int_equal(out.len, 5);
    assert_int_equal(clk_encode_token(CLK_ENC_UTF16, "", 0, &out), CL_OK);
    assert_int_equal(out.len, 2);
    cl_free(out.data);

    /* An ascii feature refuses what ascii cannot encode. */
    cl_error err;
    cl_clk_schema *s = parse_schema(ONE_ASCII, &err);
    assert_non_null(s);
    cl_clk_encoder *e;
    assert_int_equal(cl_clk_encoder_new(&e, s, (const unsigned char *)"k", 1, &err), CL_OK);
    unsigned char filter[8];
    const char *ok[] = {"Zoe"}, *bad[] = {"Zo\xc3\xab"};
    assert_int_equal(cl_clk_encode(e, ok, NULL, 1, filter, &err), CL_OK);
    assert_int_equal(cl_clk_encode(e, bad, NULL, 1, filter, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "ascii"));
    cl_clk_encoder_free(e);
    cl_clk_schema_free(s);
}

/* ---- output format --------------------------------------------------- */

static void test_json_format(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(cl_clk_write_json(m, NULL, 0, 4), CL_OK);
    fclose(m);
    assert_string_equal(buf, "{\"clks\": []}");
    free(buf);

    unsigned char two[8] = {0x90, 0xc1, 0, 0xff, 1, 2, 3, 4};
    m = open_memstream(&buf, &len);
    assert_int_equal(cl_clk_write_json(m, two, 2, 4), CL_OK);
    fclose(m);
    assert_string_equal(buf, "{\"clks\": [\"kMEA/w==\", \"AQIDBA==\"]}");
    free(buf);

    /* A filter longer than one 192-byte chunk of the streaming encoder. */
    unsigned char big[500];
    char whole[700];
    for (int i = 0; i < 500; i++)
        big[i] = (unsigned char)(i * 31);
    cl_clk_base64(whole, big, 500);
    m = open_memstream(&buf, &len);
    assert_int_equal(cl_clk_json_add(m, big, 500, 0), CL_OK);
    fclose(m);
    assert_int_equal(len, strlen(whole) + 2);
    assert_memory_equal(buf + 1, whole, strlen(whole));
    free(buf);

    char b64[16];
    assert_int_equal(cl_clk_base64(b64, (const unsigned char *)"a", 1), 4);
    assert_string_equal(b64, "YQ==");
    assert_int_equal(cl_clk_base64(b64, (const unsigned char *)"ab", 2), 4);
    assert_string_equal(b64, "YWI=");
    assert_int_equal(cl_clk_base64(b64, (const unsigned char *)"", 0), 0);

    /* A failing stream reports CL_EIO. */
    FILE *ro = fopen("/dev/null", "r");
    setvbuf(ro, NULL, _IONBF, 0);
    assert_int_equal(cl_clk_json_begin(ro), CL_EIO);
    fclose(ro);
}

/* ---- schemas: what is refused and why -------------------------------- */

#define KDF "\"kdf\": {\"type\": \"HKDF\"}"

static const char *good_schema =
    "{\"version\": 3, \"clkConfig\": {\"l\": 64, " KDF "}, \"features\": ["
    "{\"identifier\": \"id\", \"ignored\": true},"
    "{\"identifier\": \"name\", \"format\": {\"type\": \"string\", \"case\": \"upper\", "
    "\"minLength\": 2, \"maxLength\": 5}, \"hashing\": {\"comparison\": {\"type\": \"ngram\", "
    "\"n\": 2}, \"strategy\": {\"bitsPerToken\": 3}, \"missingValue\": {\"sentinel\": \"N/A\", "
    "\"replaceWith\": \"\"}}},"
    "{\"identifier\": \"pc\", \"format\": {\"type\": \"string\", \"pattern\": "
    "\"[A-Z]{1,2}\\\\d[A-Z0-9]? ?\\\\d[A-Z]{2}\"}, \"hashing\": {\"comparison\": {\"type\": "
    "\"exact\"}, \"strategy\": {\"bitsPerFeature\": 10}, \"missingValue\": {\"sentinel\": \"\"}}},"
    "{\"identifier\": \"age\", \"format\": {\"type\": \"integer\", \"minimum\": 0, "
    "\"maximum\": 18}, \"hashing\": {\"comparison\": {\"type\": \"numeric\", "
    "\"thresholdDistance\": 2, \"resolution\": 1}, \"strategy\": {\"bitsPerToken\": 4}}},"
    "{\"identifier\": \"dob\", \"format\": {\"type\": \"date\", \"format\": \"%d/%m/%Y\"}, "
    "\"hashing\": {\"comparison\": {\"type\": \"ngram\", \"n\": 1, \"positional\": true}, "
    "\"strategy\": {\"bitsPerToken\": 2}, \"hash\": {\"type\": \"doubleHash\", "
    "\"prevent_singularity\": true}}},"
    "{\"identifier\": \"sex\", \"format\": {\"type\": \"enum\", \"values\": [\"M\", \"F\"]}, "
    "\"hashing\": {\"comparison\": {\"type\": \"exact\"}, \"strategy\": {\"bitsPerToken\": 5}}}"
    "]}";

static void test_schema_accessors(void **state)
{
    (void)state;
    cl_error err;
    cl_clk_schema *s = parse_schema(good_schema, &err);
    if (s == NULL)
        fail_msg("%s", err.message);
    assert_int_equal(cl_clk_schema_nfeatures(s), 6);
    assert_string_equal(cl_clk_schema_identifier(s, 1), "name");
    assert_null(cl_clk_schema_identifier(s, 6));
    assert_int_equal(cl_clk_schema_bits(s), 64);
    assert_int_equal(cl_clk_schema_bytes(s), 8);
    assert_int_equal(cl_clk_schema_version(s), 3);
    assert_int_equal(s->key_size, 64);
    assert_int_equal(s->kdf_hash, CLK_KDF_SHA256);
    const char *names[] = {"id", "name", "pc", "age", "dob", "sex"};
    assert_int_equal(cl_clk_check_header(s, names, 6, &err), CL_OK);
    assert_int_equal(cl_clk_check_header(s, names, 5, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "5 columns"));
    const char *wrong[] = {"id", "name", "postcode", "age", "dob", "sex"};
    assert_int_equal(cl_clk_check_header(s, wrong, 6, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "'postcode'"));
    cl_clk_schema_free(s);
    cl_clk_schema_free(NULL);
}

static void expect_schema_error(const char *text, const char *fragment)
{
    cl_error err;
    cl_error_clear(&err);
    cl_clk_schema *s = parse_schema(text, &err);
    if (s != NULL) {
        cl_clk_schema_free(s);
        fail_msg("schema accepted, expected error containing '%s': %s", fragment, text);
    }
    assert_int_equal(err.code, CL_EFORMAT);
    assert_string_equal(err.file, "test.json");
    if (strstr(err.message, fragment) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, fragment);
}

#define ONE(feature) \
    "{\"version\": 3, \"clkConfig\": {\"l\": 64, " KDF "}, \"features\": [" feature "]}"
#define STR_FEATURE(fmt, hashing) \
    "{\"identifier\": \"x\", \"format\": " fmt ", \"hashing\": " hashing "}"
#define NGRAM2 "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 3}}"

static void test_schema_errors(void **state)
{
    (void)state;
    expect_schema_error("{\"version\": 3,", "not valid JSON");
    expect_schema_error("[1, 2]", "JSON object");
    expect_schema_error("{\"clkConfig\": {}}", "'version' is required");
    expect_schema_error("{\"version\": 1, \"clkConfig\": {}}", "version 1 is not supported");
    expect_schema_error("{\"version\": 4, \"clkConfig\": {}}", "not supported");
    expect_schema_error("{\"version\": 3}", "'clkConfig' must be an object");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {" KDF "}, \"features\": []}",
                        "'clkConfig.l' is required");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 0, " KDF "}, \"features\": []}",
                        "clkConfig.l must be between");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": \"64\", " KDF "}, \"features\": []}",
                        "must be an integer");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 64, \"kdf\": {\"type\": \"PBKDF2\"}}, "
                        "\"features\": []}", "only HKDF");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 64, \"kdf\": {\"type\": \"HKDF\", "
                        "\"hash\": \"MD5\"}}, \"features\": []}", "not SHA256 or SHA512");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 64, \"kdf\": {\"type\": \"HKDF\", "
                        "\"salt\": \"not base64!\"}}, \"features\": []}", "salt' is not base64");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 64, " KDF "}, \"features\": {}}",
                        "'features' must be an array");
    expect_schema_error(ONE("{\"format\": {}}"), "identifier' is required");
    expect_schema_error(ONE("{\"identifier\": \"x\"}"), "needs 'format' and 'hashing'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"float\"}", NGRAM2)),
                        "format type 'float'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\", \"encoding\": \"latin-1\"}", NGRAM2)),
                        "encoding 'latin-1'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\", \"case\": \"title\"}", NGRAM2)),
                        "case 'title'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\", \"pattern\": \"(?=a)b\"}", NGRAM2)),
                        "look-around");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\", \"pattern\": \"a[b\"}", NGRAM2)),
                        "unterminated");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"date\", \"format\": \"%Y-%W\"}", NGRAM2)),
                        "%W is not supported");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"date\", \"format\": \"%d %d\"}", NGRAM2)),
                        "repeats %d");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"date\", \"format\": \"%Y%\"}", NGRAM2)),
                        "lone %");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"date\"}", NGRAM2)), "format' is required");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"enum\"}", NGRAM2)), "'values' array");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"soundex\"}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}}")),
                        "comparison type 'soundex'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\"}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}}")),
                        "needs 'n'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 3, \"bitsPerFeature\": 9}}")),
                        "exactly one of bitsPerToken, bitsPerFeature");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, "
                                        "\"strategy\": {}}")),
                        "exactly one of");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 0}}")),
                        "between 1 and 65536");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"numeric\", "
                                        "\"thresholdDistance\": 0.5, \"resolution\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}}")),
                        "whole number");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"numeric\", "
                                        "\"thresholdDistance\": -1, \"resolution\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}}")),
                        "positive 'thresholdDistance'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}, "
                                        "\"hash\": {\"type\": \"sha3\"}}")),
                        "hash type 'sha3'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}, "
                                        "\"hash\": {\"type\": \"blakeHash\", "
                                        "\"prevent_singularity\": true}}")),
                        "only goes with doubleHash");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, "
                                        "\"strategy\": {\"bitsPerToken\": 3}, "
                                        "\"missingValue\": {\"replaceWith\": \"x\"}}")),
                        "string 'sentinel'");
    /* blakeHash needs a power of two; doubleHash does not. */
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 1000, " KDF "}, \"features\": ["
                        STR_FEATURE("{\"type\": \"string\"}", NGRAM2) "]}", "power of two");
    expect_schema_error("{\"version\": 3, \"clkConfig\": {\"l\": 64, \"kdf\": {\"type\": \"HKDF\", "
                        "\"keySize\": 65}}, \"features\": ["
                        STR_FEATURE("{\"type\": \"string\"}", NGRAM2) "]}", "at most 64 bytes");
    cl_error err;
    cl_clk_schema *s = parse_schema(
        "{\"version\": 3, \"clkConfig\": {\"l\": 1000, \"kdf\": {\"type\": \"HKDF\", "
        "\"keySize\": 100}}, \"features\": [" STR_FEATURE(
            "{\"type\": \"string\"}",
            "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 3},"
            " \"hash\": {\"type\": \"doubleHash\"}}") "]}",
        &err);
    assert_non_null(s);
    cl_clk_schema_free(s);
    /* version 2 keys in a version 3 schema, and the reverse */
    expect_schema_error("{\"version\": 2, \"clkConfig\": {\"l\": 64, " KDF "}, \"features\": ["
                        STR_FEATURE("{\"type\": \"string\"}", NGRAM2) "]}",
                        "version 2 'hashing' needs 'ngram'");
    expect_schema_error(ONE(STR_FEATURE("{\"type\": \"string\"}",
                                        "{\"ngram\": 2, \"strategy\": {\"k\": 3}}")),
                        "comparison' must be an object");
    /* An unreadable file */
    assert_int_equal(cl_clk_schema_load(&s, "/nonexistent/schema.json", &err), CL_EIO);
    assert_null(s);
    assert_string_equal(err.file, "/nonexistent/schema.json");
}

static void test_v2_conversion(void **state)
{
    (void)state;
    cl_error err;
    cl_clk_schema *s;
    assert_int_equal(cl_clk_schema_load(&s, VECTORS "/schemas/v2_legacy_mixed.json", &err), CL_OK);
    assert_int_equal(cl_clk_schema_version(s), 2);
    const clk_feature *given = &s->features[1], *family = &s->features[2], *dob = &s->features[3];
    assert_int_equal(given->comparison, CLK_CMP_NGRAM);
    assert_int_equal(given->ngram_n, 2);
    assert_int_equal(given->bits_per_feature, 200);   /* numBits */
    assert_int_equal(given->hash, CLK_HASH_DOUBLE);
    assert_true(given->prevent_singularity);
    assert_int_equal(family->bits_per_token, 20);      /* k */
    assert_int_equal(family->hash, CLK_HASH_BLAKE);
    assert_true(dob->positional);
    assert_int_equal(dob->hash, CLK_HASH_BLAKE);       /* the default */
    cl_clk_schema_free(s);
}

/* ---- values ---------------------------------------------------------- */

typedef struct enc_fixture {
    cl_clk_schema *s;
    cl_clk_encoder *e;
} enc_fixture;

static void fixture_open(enc_fixture *fx)
{
    cl_error err;
    fx->s = parse_schema(good_schema, &err);
    assert_non_null(fx->s);
    assert_int_equal(cl_clk_encoder_new(&fx->e, fx->s, (const unsigned char *)"k", 1, &err),
                     CL_OK);
}

static void fixture_close(enc_fixture *fx)
{
    cl_clk_encoder_free(fx->e);
    cl_clk_schema_free(fx->s);
}

static cl_status encode6(enc_fixture *fx, const char *name, const char *pc, const char *age,
                         const char *dob, const char *sex, unsigned char *filter, cl_error *err)
{
    const char *fields[6] = {"ID-1", name, pc, age, dob, sex};
    return cl_clk_encode(fx->e, fields, NULL, 6, filter, err);
}

static void expect_value_error(enc_fixture *fx, const char *name, const char *pc,
                               const char *age, const char *dob, const char *sex,
                               const char *fragment, const char *secret_value)
{
    unsigned char filter[8];
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(encode6(fx, name, pc, age, dob, sex, filter, &err), CL_EFORMAT);
    if (strstr(err.message, fragment) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, fragment);
    /* The offending value never appears in the message. */
    assert_null(strstr(err.message, secret_value));
}

static void test_value_validation(void **state)
{
    (void)state;
    enc_fixture fx;
    fixture_open(&fx);
    unsigned char a[8], b[8];
    cl_error err;
    assert_int_equal(encode6(&fx, "ANNA", "SW1A 1AA", "7", "05/06/2017", "F", a, &err), CL_OK);
    /* Integer re-formatting: " +007" is 7; day and month need not be padded. */
    assert_int_equal(encode6(&fx, "ANNA", "SW1A 1AA", " +007", "5/6/2017", "F", b, &err), CL_OK);
    assert_memory_equal(a, b, 8);
    assert_int_equal(encode6(&fx, "ANNA", "SW1A 1AA", "0_7", "05/06/2017", "F", b, &err), CL_OK);
    assert_memory_equal(a, b, 8);
    /* int() strips Unicode white space too (no-break space, ideographic space). */
    assert_int_equal(encode6(&fx, "ANNA", "SW1A 1AA", "\xc2\xa0" "7" "\xe3\x80\x80", "05/06/2017", "F",
                             b, &err), CL_OK);
    assert_memory_equal(a, b, 8);
    /* Missing values: sentinel hashed as its replacement, unvalidated. */
    assert_int_equal(encode6(&fx, "N/A", "", "7", "05/06/2017", "F", b, &err), CL_OK);
    assert_int_equal(encode6(&fx, "", "SW1A 1AA", "7", "05/06/2017", "F", b, &err), CL_EFORMAT);

    expect_value_error(&fx, "ANNABEL", "SW1A 1AA", "7", "05/06/2017", "F", "longer than maxLength",
                       "ANNABEL");
    expect_value_error(&fx, "A", "SW1A 1AA", "7", "05/06/2017", "F", "shorter than minLength", "'A'");
    expect_value_error(&fx, "Anna", "SW1A 1AA", "7", "05/06/2017", "F", "not upper case", "Anna");
    /* Python's "ß".upper() is "SS", so ß is not upper case. */
    expect_value_error(&fx, "MAß", "SW1A 1AA", "7", "05/06/2017", "F", "not upper case", "MA");
    expect_value_error(&fx, "ANNA", "sw1a 1aa", "7", "05/06/2017", "F", "does not match the pattern",
                       "sw1a");
    expect_value_error(&fx, "ANNA", "SW1A 1AAX", "7", "05/06/2017", "F", "does not match", "1AAX");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "19", "05/06/2017", "F", "above the maximum 18",
                       "'19'");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "-1", "05/06/2017", "F", "below the minimum 0", "-1");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7.0", "05/06/2017", "F", "not an integer", "7.0");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "1__0", "05/06/2017", "F", "not an integer", "1__0");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "_1", "05/06/2017", "F", "not an integer", "_1");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "", "05/06/2017", "F", "not an integer", "''");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "30/02/2017", "F", "out of range for month",
                       "30/02");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "29/02/2019", "F", "out of range", "29/02");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "2017-06-05", "F", "does not match its format",
                       "2017-06-05");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "05/06/17", "F", "does not match its format",
                       "05/06/17");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "05/06/0000", "F", "out of range", "0000");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "05/06/2017", "X", "not one of the enum", "'X'");
    expect_value_error(&fx, "ANNA", "SW1A 1AA", "7", "05/06/2017", "f", "not one of the enum", "'f'");
    expect_value_error(&fx, "AN\xff", "SW1A 1AA", "7", "05/06/2017", "F", "not valid UTF-8", "\xff");

    /* Leap day in a leap year is fine; so is a different but equal date. */
    assert_int_equal(encode6(&fx, "ANNA", "SW1A 1AA", "7", "29/02/2016", "F", a, &err), CL_OK);
    assert_int_equal(encode6(&fx, "ANNA", "SW1A 1AA", "7", "29/2/2016", "F", b, &err), CL_OK);
    assert_memory_equal(a, b, 8);

    const char *fields[5] = {"a", "b", "c", "d", "e"};
    assert_int_equal(cl_clk_encode(fx.e, fields, NULL, 5, a, &err), CL_EINVAL);
    assert_non_null(strstr(err.message, "5 fields"));
    fixture_close(&fx);
}

static void expect_date(const char *format, const char *value, const char *want)
{
    clk_feature f = make_feature(CLK_CMP_NGRAM, 1, 1);
    f.format = CLK_FMT_DATE;
    cl_error err;
    assert_int_equal(clk_date_compile(&f, format, &err), CL_OK);
    clk_buf out = {0};
    cl_status st = clk_format_value(&f, value, strlen(value), &out, &err);
    if (want == NULL) {
        if (st == CL_OK)
            fail_msg("%s with %s accepted as %s", value, format, out.data);
    } else {
        if (st != CL_OK)
            fail_msg("%s with %s: %s", value, format, err.message);
        assert_string_equal(out.data, want);
    }
    cl_free(out.data);
}

/* datetime.strptime(value, format).strftime("%Y%m%d") as CPython 3.11 gives it. */
static void test_dates(void **state)
{
    (void)state;
    expect_date("%Y-%m-%d", "2017-06-07", "20170607");
    expect_date("%Y-%m-%d", "2017-6-7", "20170607");
    expect_date("%Y-%m-%d", "2017-06- 7", "20170607");    /* %d also takes " 7" */
    expect_date("%Y-%m-%d", "17-06-07", NULL);            /* %Y is four digits */
    expect_date("%Y-%m-%d", "2017-13-01", NULL);
    expect_date("%Y-%m-%d", "2017-06-07 ", NULL);         /* unconverted data remains */
    expect_date("%Y%m%d", "2017111", "20171101");         /* backtracking: 11 then 1 */
    expect_date("%Y%m%d", "201711", "20170101");          /* 1 then 1 */
    expect_date("%d/%m/%y", "01/02/68", "20680201");      /* %y: 00-68 -> 20xx */
    expect_date("%d/%m/%y", "01/02/69", "19690201");
    expect_date("%d %B %Y", "3 MARCH 2001", "20010303");  /* names ignore case */
    expect_date("%d %b %Y", "3 sep 2001", "20010903");
    expect_date("%d %b %Y", "3 Sept 2001", NULL);
    expect_date("%d %B %Y", "3  \t March 2001", "20010303");   /* \s+ */
    expect_date("%d%B%Y", "3march2001", "20010303");
    expect_date("%Y-%j", "2016-060", "20160229");
    expect_date("%Y-%j", "2017-060", "20170301");
    expect_date("%Y-%j", "2017-366", "20180101");         /* runs into next year */
    expect_date("%m-%d", "02-28", "19000228");            /* no year: 1900 */
    expect_date("%m-%d", "02-29", NULL);                  /* and 1900 is not leap */
    expect_date("%Y-%m-%dT%H:%M:%S", "2017-06-07t23:59:59", "20170607");
    expect_date("%Y-%m-%dT%H:%M:%S", "2017-06-07T24:00:00", NULL);
    expect_date("%Y-%m-%dT%H:%M:%S", "2017-06-07T23:59:60", NULL);
    expect_date("%Y-%m-%d %I%p", "2017-06-07 11pm", "20170607");
    expect_date("%a %d %m %Y", "Wed 07 06 2017", "20170607");
    expect_date("%Y %m %d %%", "2017 06 07 %", "20170607");
    expect_date("%Y/%m/%d.%f", "2017/06/07.123456", "20170607");
    expect_date("%Y/%m/%d.%f", "2017/06/07.1234567", NULL);
    expect_date("%d/%m/%Y", "07/06/0999", "9990607");     /* glibc does not pad %Y */
    expect_date("%Y", "2017", "20170101");
}

static void test_numeric_edges(void **state)
{
    (void)state;
    clk_feature f = make_feature(CLK_CMP_NUMERIC, 0, 0);
    f.threshold_distance = 10;
    f.resolution = 1;
    f.distance_interval = 10;
    long long t[3];
    cl_error err;
    /* Python float() syntax */
    assert_int_equal(clk_numeric_tokens(&f, " 1_5 ", 5, t, &err), CL_OK);
    assert_int_equal(t[1], 30);
    assert_int_equal(clk_numeric_tokens(&f, ".5e1", 4, t, &err), CL_OK);
    assert_int_equal(t[1], 10);
    assert_int_equal(clk_numeric_tokens(&f, "12.", 3, t, &err), CL_OK);
    assert_int_equal(t[1], 20);
    const char *bad[] = {"", "abc", "1e", "1_", "_1", "1__0", "--1", "1.2.3", "inf", "-Infinity",
                         "nan", "1e400", "0x10", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (clk_numeric_tokens(&f, bad[i], strlen(bad[i]), t, &err) != CL_EFORMAT)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(clk_numeric_tokens(&f, "1e300", 5, t, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "too large"));
    /* fractional precision: banker's rounding of the scaled value */
    f.fractional_precision = 2;
    f.threshold_distance = 0.5;
    f.resolution = 3;
    f.distance_interval = 50;
    long long t7[7];
    assert_int_equal(clk_numeric_tokens(&f, "652.80", 6, t7, &err), CL_OK);
    assert_int_equal(t7[3], 391700);   /* 65279.99999999999 rounds to 65280 */
}

/* ---- secrets, files and failure paths -------------------------------- */

static void test_secret_and_csv(void **state)
{
    (void)state;
    char dir[] = "/tmp/cl_test_clk_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], csv[128], bad[128];
    cl_error err;
    unsigned char *secret;
    size_t len;
    snprintf(path, sizeof path, "%s/secret", dir);
    FILE *f = fopen(path, "wb");
    fputs("pprl-test-vector-secret-do-not-use\r\n", f);
    fclose(f);
    assert_int_equal(cl_clk_secret_load(path, &secret, &len, &err), CL_OK);
    assert_int_equal(len, 34);
    assert_memory_equal(secret, "pprl-test-vector-secret-do-not-use", 34);
    cl_clk_secret_free(secret, len);
    f = fopen(path, "wb");
    fputs("\n", f);
    fclose(f);
    assert_int_equal(cl_clk_secret_load(path, &secret, &len, &err), CL_EINVAL);
    assert_null(secret);
    snprintf(bad, sizeof bad, "%s/none", dir);
    assert_int_equal(cl_clk_secret_load(bad, &secret, &len, &err), CL_EIO);
    cl_clk_secret_free(NULL, 0);

    enc_fixture fx;
    fixture_open(&fx);
    cl_clk_encoder *e2;
    assert_int_equal(cl_clk_encoder_new(&e2, fx.s, (const unsigned char *)"", 0, &err), CL_EINVAL);

    /* A bad record names the file and line, not the value. */
    snprintf(csv, sizeof csv, "%s/in.csv", dir);
    f = fopen(csv, "wb");
    fputs("id,name,pc,age,dob,sex\n1,ANNA,SW1A 1AA,7,05/06/2017,F\n"
          "2,BOB,SW1A 1AA,7,31/06/2017,M\n", f);
    fclose(f);
    char *out;
    size_t out_len, count = 99;
    FILE *mem = open_memstream(&out, &out_len);
    assert_int_equal(cl_clk_encode_csv(fx.e, csv, mem, &count, &err), CL_EFORMAT);
    fclose(mem);
    free(out);
    assert_string_equal(err.file, csv);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.message, "feature 'dob'"));
    assert_null(strstr(err.message, "31/06"));
    assert_int_equal(count, 0);

    /* Header mismatch, ragged row, empty file. */
    f = fopen(csv, "wb");
    fputs("id,name,postcode,age,dob,sex\n", f);
    fclose(f);
    mem = open_memstream(&out, &out_len);
    assert_int_equal(cl_clk_encode_csv(fx.e, csv, mem, &count, &err), CL_EFORMAT);
    fclose(mem);
    free(out);
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "'postcode'"));
    f = fopen(csv, "wb");
    fputs("id,name,pc,age,dob,sex\n1,ANNA,SW1A 1AA\n", f);
    fclose(f);
    mem = open_memstream(&out, &out_len);
    assert_int_equal(cl_clk_encode_csv(fx.e, csv, mem, &count, &err), CL_EFORMAT);
    fclose(mem);
    free(out);
    assert_non_null(strstr(err.message, "3 fields"));
    f = fopen(csv, "wb");
    fclose(f);
    mem = open_memstream(&out, &out_len);
    assert_int_equal(cl_clk_encode_csv(fx.e, csv, mem, &count, &err), CL_EFORMAT);
    fclose(mem);
    free(out);
    assert_non_null(strstr(err.message, "no header"));
    /* Header only: an empty list, as clkhash writes. */
    f = fopen(csv, "wb");
    fputs("id,name,pc,age,dob,sex\n", f);
    fclose(f);
    mem = open_memstream(&out, &out_len);
    assert_int_equal(cl_clk_encode_csv(fx.e, csv, mem, &count, &err), CL_OK);
    fclose(mem);
    assert_string_equal(out, "{\"clks\": []}");
    free(out);
    assert_int_equal(count, 0);
    fixture_close(&fx);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Every allocation in loading and encoder set-up may fail: each must give
 * CL_ENOMEM and leak nothing (the sanitizer build checks leaks). */
static void test_out_of_memory(void **state)
{
    (void)state;
    size_t before = cl_alloc_bytes_in_use();
    int saw_ok = 0;
    for (long n = 1; n < 400 && !saw_ok; n++) {
        cl_error err;
        cl_clk_schema *s = NULL;
        cl_alloc_fail_after(n);
        cl_status st = cl_clk_schema_parse(&s, good_schema, strlen(good_schema), "t", &err);
        if (st == CL_OK) {
            cl_clk_encoder *e = NULL;
            st = cl_clk_encoder_new(&e, s, (const unsigned char *)"k", 1, &err);
            if (st == CL_OK) {
                unsigned char filter[8];
                const char *fields[6] = {"1", "ANNA", "SW1A 1AA", "7",
                                         "05/06/2017", "F"};
                st = cl_clk_encode(e, fields, NULL, 6, filter, &err);
                saw_ok = st == CL_OK;
                cl_clk_encoder_free(e);
            }
            cl_clk_schema_free(s);
        }
        if (!saw_ok)
            assert_int_equal(st, CL_ENOMEM);
        cl_alloc_fail_after(0);
        assert_int_equal(cl_alloc_bytes_in_use(), before);
    }
    assert_true(saw_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_v3_blake_main_A),
        cmocka_unit_test(test_vectors_v3_blake_main_B),
        cmocka_unit_test(test_vectors_v3_doublehash_A),
        cmocka_unit_test(test_vectors_v3_blake_xorfold1_A),
        cmocka_unit_test(test_vectors_v3_blake_xorFolds_documented_key_ignored_A),
        cmocka_unit_test(test_vectors_v2_legacy_mixed_A),
        cmocka_unit_test(test_vectors_v3_quirks_A),
        cmocka_unit_test(test_all_vector_sets),
        cmocka_unit_test(test_xorfolds_spelling),
        cmocka_unit_test(test_anonlink_candidates),
        cmocka_unit_test(test_primitive_hkdf),
        cmocka_unit_test(test_primitive_blake),
        cmocka_unit_test(test_primitive_double_hash),
        cmocka_unit_test(test_primitive_tokenisers),
        cmocka_unit_test(test_primitive_ks),
        cmocka_unit_test(test_primitive_bits_fold_dice),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_json_format),
        cmocka_unit_test(test_schema_accessors),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_v2_conversion),
        cmocka_unit_test(test_value_validation),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_numeric_edges),
        cmocka_unit_test(test_secret_and_csv),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
