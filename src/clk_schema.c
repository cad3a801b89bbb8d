/*
 * clk_schema.c - load clkhash linkage schemas (version 2 and 3).
 *
 * The loader reads the JSON once into the structs of clk_internal.h and
 * compiles everything the hot path needs (patterns, date formats, enum
 * lists, numeric grid steps).  Version 2 is read straight into the version 3
 * model, which is what clkhash's convert_v2_to_v3 does: `ngram`/`positional`
 * become an n-gram comparison, `k` becomes bitsPerToken and `numBits`
 * bitsPerFeature.
 *
 * It accepts what clkhash 0.18.3 accepts and mirrors its quirks, notably
 * that only `clkConfig.xor_folds` folds: the spelling `xorFolds` from the
 * published schema documentation is ignored, as clkhash ignores it.  A schema
 * that clkhash would reject, or that childlink cannot hash identically, is
 * refused with a message naming the feature and key.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "clk_internal.h"

typedef struct loader {
    const char *origin;
    cl_error *err;
} loader;

static cl_status fail(loader *ld, const char *fmt, const char *a, const char *b)
{
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return cl_error_set(ld->err, CL_EFORMAT, ld->origin, 0, "clkhash schema: %s", msg);
}

/* Name the schema file in an error set by a helper that does not know it. */
static cl_status with_origin(loader *ld, cl_status st)
{
    if (st != CL_OK && st != CL_ENOMEM && ld->err)
        snprintf(ld->err->file, sizeof ld->err->file, "%s", ld->origin ? ld->origin : "");
    return st;
}

static char *dup_string(const char *s, size_t len)
{
    return cl_strndup(s, len);
}

/* Decode standard base64 (padding optional, whitespace ignored). */
static int base64_decode(const char *s, unsigned char **out, size_t *out_len)
{
    size_t len = strlen(s);
    unsigned char *buf = cl_malloc(len / 4 * 3 + 4);
    if (buf == NULL)
        return -2;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=') {
            pad++;
            continue;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        else {
            cl_free(buf);
            return -1;
        }
        if (pad) {          /* data after padding */
            cl_free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits >= 6 || pad > 2) {
        cl_free(buf);
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

/* An integer member: absent -> *present = 0; a JSON integer, or a real with
 * an integral value (Python compares 3.0 == 3), is accepted. */
static cl_status get_int(loader *ld, json_t *obj, const char *key, const char *where,
                         long long min, long long max, long long *out, int *present)
{
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    if (v == NULL)
        return CL_OK;
    long long x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v)) {
        x = (long long)json_real_value(v);
    } else {
        char k[128];
        snprintf(k, sizeof k, "%s.%s", where, key);
        return fail(ld, "'%s' must be an integer%s", k, NULL);
    }
    if (x < min || x > max) {
        char k[200];
        snprintf(k, sizeof k, "%s.%s must be between %lld and %lld", where, key, min, max);
        return fail(ld, "%s%s", k, NULL);
    }
    *out = x;
    return CL_OK;
}

static cl_status get_string(loader *ld, json_t *obj, const char *key, const char *where,
                            int required, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL) {
        if (required) {
            char k[128];
            snprintf(k, sizeof k, "%s.%s", where, key);
            return fail(ld, "'%s' is required%s", k, NULL);
        }
        return CL_OK;
    }
    if (!json_is_string(v)) {
        char k[128];
        snprintf(k, sizeof k, "%s.%s", where, key);
        return fail(ld, "'%s' must be a string%s", k, NULL);
    }
    *out = json_string_value(v);
    return CL_OK;
}

static cl_status get_bool(loader *ld, json_t *obj, const char *key, const char *where,
                          int *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return CL_OK;
    if (!json_is_boolean(v)) {
        char k[128];
        snprintf(k, sizeof k, "%s.%s", where, key);
        return fail(ld, "'%s' must be true or false%s", k, NULL);
    }
    *out = json_is_true(v);
    return CL_OK;
}

static int name_is(const char *s, const char *a, const char *b)
{
    return strcmp(s, a) == 0 || (b && strcmp(s, b) == 0);
}

static cl_status parse_format(loader *ld, clk_feature *f, json_t *fmt, const char *where)
{
    cl_status st;
    int present;
    long long x;
    const char *type;
    if (!json_is_object(fmt))
        return fail(ld, "feature '%s': 'format' must be an object%s", f->identifier, NULL);
    if ((st = get_string(ld, fmt, "type", where, 1, &type)) != CL_OK)
        return st;
    f->encoding = CLK_ENC_UTF8;
    f->min_length = -1;
    f->max_length = -1;
    if (strcmp(type, "string") == 0) {
        const char *enc, *pattern, *text_case;
        f->format = CLK_FMT_STRING;
        if ((st = get_string(ld, fmt, "encoding", where, 0, &enc)) != CL_OK)
            return st;
        if (enc == NULL || name_is(enc, "utf-8", "utf8") || name_is(enc, "UTF-8", "UTF8"))
            f->encoding = CLK_ENC_UTF8;
        else if (name_is(enc, "utf-16", "utf16") || name_is(enc, "UTF-16", "UTF16"))
            f->encoding = CLK_ENC_UTF16;
        else if (name_is(enc, "utf-32", "utf32") || name_is(enc, "UTF-32", "UTF32"))
            f->encoding = CLK_ENC_UTF32;
        else if (name_is(enc, "ascii", "ASCII"))
            f->encoding = CLK_ENC_ASCII;
        else
            return fail(ld, "feature '%s': encoding '%s' is not one of ascii, utf-8, utf-16, "
                        "utf-32", f->identifier, enc);
        if ((st = get_string(ld, fmt, "pattern", where, 0, &pattern)) != CL_OK)
            return st;
        if (pattern != NULL)   /* clkhash then ignores case and lengths */
            return with_origin(ld, clk_regex_compile(f, pattern, ld->err));
        if ((st = get_string(ld, fmt, "case", where, 0, &text_case)) != CL_OK)
            return st;
        if (text_case == NULL || strcmp(text_case, "mixed") == 0)
            f->text_case = CLK_CASE_MIXED;
        else if (strcmp(text_case, "upper") == 0)
            f->text_case = CLK_CASE_UPPER;
        else if (strcmp(text_case, "lower") == 0)
            f->text_case = CLK_CASE_LOWER;
        else
            return fail(ld, "feature '%s': case '%s' is not upper, lower or mixed",
                        f->identifier, text_case);
        if ((st = get_int(ld, fmt, "minLength", where, 0, 1000000000, &x, &present)) != CL_OK)
            return st;
        if (present)
            f->min_length = (long)x;
        if ((st = get_int(ld, fmt, "maxLength", where, 1, 1000000000, &x, &present)) != CL_OK)
            return st;
        if (present)
            f->max_length = (long)x;
        return CL_OK;
    }
    if (strcmp(type, "integer") == 0) {
        f->format = CLK_FMT_INTEGER;
        if ((st = get_int(ld, fmt, "minimum", where, LLONG_MIN, LLONG_MAX, &f->minimum,
                          &f->has_minimum)) != CL_OK)
            return st;
        return get_int(ld, fmt, "maximum", where, LLONG_MIN, LLONG_MAX, &f->maximum,
                       &f->has_maximum);
    }
    if (strcmp(type, "date") == 0) {
        const char *dfmt;
        f->format = CLK_FMT_DATE;
        if ((st = get_string(ld, fmt, "format", where, 1, &dfmt)) != CL_OK)
            return st;
        return with_origin(ld, clk_date_compile(f, dfmt, ld->err));
    }
    if (strcmp(type, "enum") == 0) {
        json_t *values = json_object_get(fmt, "values");
        f->format = CLK_FMT_ENUM;
        if (!json_is_array(values))
            return fail(ld, "feature '%s': enum format needs a 'values' array%s", f->identifier,
                        NULL);
        size_t n = json_array_size(values);
        f->enum_values = cl_calloc(n ? n : 1, sizeof *f->enum_values);
        f->enum_lens = cl_calloc(n ? n : 1, sizeof *f->enum_lens);
        if (f->enum_values == NULL || f->enum_lens == NULL)
            return CL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(values, i);
            if (!json_is_string(v))
                return fail(ld, "feature '%s': enum values must be strings%s", f->identifier,
                            NULL);
            f->enum_lens[i] = json_string_length(v);
            f->enum_values[i] = dup_string(json_string_value(v), f->enum_lens[i]);
            if (f->enum_values[i] == NULL)
                return CL_ENOMEM;
            f->nenum = i + 1;
        }
        return CL_OK;
    }
    return fail(ld, "feature '%s': format type '%s' is not string, integer, date or enum",
                f->identifier, type);
}

static cl_status parse_comparison(loader *ld, clk_feature *f, json_t *hashing, int version,
                                  const char *where)
{
    cl_status st;
    long long x;
    int present;
    if (version == 2) {
        f->comparison = CLK_CMP_NGRAM;
        if ((st = get_int(ld, hashing, "ngram", where, 0, 64, &x, &present)) != CL_OK)
            return st;
        if (!present)
            return fail(ld, "feature '%s': version 2 'hashing' needs 'ngram'%s", f->identifier,
                        NULL);
        f->ngram_n = (int)x;
        return get_bool(ld, hashing, "positional", where, &f->positional);
    }
    json_t *cmp = json_object_get(hashing, "comparison");
    const char *type;
    if (!json_is_object(cmp))
        return fail(ld, "feature '%s': 'hashing.comparison' must be an object%s", f->identifier,
                    NULL);
    char cwhere[300];
    snprintf(cwhere, sizeof cwhere, "%.280s.comparison", where);
    if ((st = get_string(ld, cmp, "type", cwhere, 1, &type)) != CL_OK)
        return st;
    if (strcmp(type, "ngram") == 0) {
        f->comparison = CLK_CMP_NGRAM;
        if ((st = get_int(ld, cmp, "n", cwhere, 0, 64, &x, &present)) != CL_OK)
            return st;
        if (!present)
            return fail(ld, "feature '%s': n-gram comparison needs 'n'%s", f->identifier, NULL);
        f->ngram_n = (int)x;
        return get_bool(ld, cmp, "positional", cwhere, &f->positional);
    }
    if (strcmp(type, "exact") == 0) {
        f->comparison = CLK_CMP_EXACT;
        return CL_OK;
    }
    if (strcmp(type, "numeric") == 0) {
        f->comparison = CLK_CMP_NUMERIC;
        json_t *td = json_object_get(cmp, "thresholdDistance");
        if (!json_is_number(td) || json_number_value(td) <= 0)
            return fail(ld, "feature '%s': numeric comparison needs a positive "
                        "'thresholdDistance'%s", f->identifier, NULL);
        f->threshold_distance = json_number_value(td);
        if ((st = get_int(ld, cmp, "resolution", cwhere, 1, 1024, &x, &present)) != CL_OK)
            return st;
        if (!present)
            return fail(ld, "feature '%s': numeric comparison needs 'resolution'%s",
                        f->identifier, NULL);
        f->resolution = (int)x;
        if ((st = get_int(ld, cmp, "fractional_precision", cwhere, 0, 15, &x, &present)) !=
            CL_OK)
            return st;
        f->fractional_precision = present ? (int)x : 0;
        double p10 = 1;
        for (int i = 0; i < f->fractional_precision; i++)
            p10 *= 10;
        double di = f->threshold_distance * p10;
        double rounded = (double)(long long)(di + 0.5);
        if (di > 1e15 || rounded < 1 || (di - rounded > 1e-9 * rounded) ||
            (rounded - di > 1e-9 * rounded))
            return fail(ld, "feature '%s': thresholdDistance times 10^fractional_precision "
                        "must be a whole number%s", f->identifier, NULL);
        f->distance_interval = (long long)rounded;
        return CL_OK;
    }
    return fail(ld, "feature '%s': comparison type '%s' is not ngram, exact or numeric",
                f->identifier, type);
}

static cl_status parse_hashing(loader *ld, clk_feature *f, json_t *hashing, int version,
                               size_t key_size)
{
    cl_status st;
    long long x;
    int present;
    char where[300];
    snprintf(where, sizeof where, "feature '%s' hashing", f->identifier);
    if (!json_is_object(hashing))
        return fail(ld, "feature '%s': 'hashing' must be an object%s", f->identifier, NULL);
    if ((st = parse_comparison(ld, f, hashing, version, where)) != CL_OK)
        return st;

    json_t *strategy = json_object_get(hashing, "strategy");
    if (!json_is_object(strategy))
        return fail(ld, "feature '%s': 'hashing.strategy' must be an object%s", f->identifier,
                    NULL);
    const char *per_token = version == 2 ? "k" : "bitsPerToken";
    const char *per_feature = version == 2 ? "numBits" : "bitsPerFeature";
    if ((st = get_int(ld, strategy, per_token, where, 1, 65536, &x, &present)) != CL_OK)
        return st;
    if (present)
        f->bits_per_token = (int)x;
    if ((st = get_int(ld, strategy, per_feature, where, 1, 65536, &x, &present)) != CL_OK)
        return st;
    if (present)
        f->bits_per_feature = (int)x;
    if ((f->bits_per_token > 0) == (f->bits_per_feature > 0))
        return fail(ld, "feature '%s': 'strategy' needs exactly one of %s",
                    f->identifier, version == 2 ? "k, numBits" : "bitsPerToken, bitsPerFeature");

    json_t *hash = json_object_get(hashing, "hash");
    f->hash = CLK_HASH_BLAKE;
    if (hash != NULL) {
        const char *type;
        if (!json_is_object(hash))
            return fail(ld, "feature '%s': 'hashing.hash' must be an object%s", f->identifier,
                        NULL);
        if ((st = get_string(ld, hash, "type", where, 1, &type)) != CL_OK)
            return st;
        if (strcmp(type, "blakeHash") == 0) {
            f->hash = CLK_HASH_BLAKE;
            if (json_object_get(hash, "prevent_singularity") != NULL)
                return fail(ld, "feature '%s': prevent_singularity only goes with doubleHash%s",
                            f->identifier, NULL);
        } else if (strcmp(type, "doubleHash") == 0) {
            f->hash = CLK_HASH_DOUBLE;
            if ((st = get_bool(ld, hash, "prevent_singularity", where,
                               &f->prevent_singularity)) != CL_OK)
                return st;
        } else {
            return fail(ld, "feature '%s': hash type '%s' is not blakeHash or doubleHash",
                        f->identifier, type);
        }
    }
    if (f->hash == CLK_HASH_BLAKE && key_size > 64)
        return fail(ld, "feature '%s': BLAKE2b keys are at most 64 bytes, but keySize is "
                    "larger%s", f->identifier, NULL);

    json_t *missing = json_object_get(hashing, "missingValue");
    if (missing != NULL) {
        json_t *sentinel = json_object_get(missing, "sentinel");
        json_t *replace = json_object_get(missing, "replaceWith");
        if (!json_is_object(missing) || !json_is_string(sentinel) ||
            (replace != NULL && !json_is_string(replace)))
            return fail(ld, "feature '%s': 'missingValue' needs a string 'sentinel' and an "
                        "optional string 'replaceWith'%s", f->identifier, NULL);
        f->has_missing = 1;
        f->sentinel_len = json_string_length(sentinel);
        f->sentinel = dup_string(json_string_value(sentinel), f->sentinel_len);
        /* Without replaceWith the sentinel itself is hashed. */
        json_t *r = replace ? replace : sentinel;
        f->replace_len = json_string_length(r);
        f->replace_with = dup_string(json_string_value(r), f->replace_len);
        if (f->sentinel == NULL || f->replace_with == NULL)
            return CL_ENOMEM;
    }
    return CL_OK;
}

static cl_status parse_features(loader *ld, cl_clk_schema *s, json_t *features)
{
    if (!json_is_array(features))
        return fail(ld, "'features' must be an array%s%s", NULL, NULL);
    size_t n = json_array_size(features);
    s->features = cl_calloc(n ? n : 1, sizeof *s->features);
    if (s->features == NULL)
        return CL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *jf = json_array_get(features, i);
        clk_feature *f = &s->features[i];
        s->nfeatures = i + 1;
        char where[64];
        snprintf(where, sizeof where, "features[%zu]", i);
        if (!json_is_object(jf))
            return fail(ld, "'%s' must be an object%s", where, NULL);
        const char *identifier;
        cl_status st = get_string(ld, jf, "identifier", where, 1, &identifier);
        if (st != CL_OK)
            return st;
        f->identifier = dup_string(identifier, strlen(identifier));
        if (f->identifier == NULL)
            return CL_ENOMEM;
        json_t *ignored = json_object_get(jf, "ignored");
        if (json_is_true(ignored)) {
            f->ignored = 1;
            continue;
        }
        json_t *fmt = json_object_get(jf, "format");
        json_t *hashing = json_object_get(jf, "hashing");
        if (fmt == NULL || hashing == NULL)
            return fail(ld, "feature '%s' needs 'format' and 'hashing' (or \"ignored\": "
                        "true)%s", f->identifier, NULL);
        if ((st = parse_format(ld, f, fmt, where)) != CL_OK)
            return st;
        if ((st = parse_hashing(ld, f, hashing, s->version, s->key_size)) != CL_OK)
            return st;
    }
    return CL_OK;
}

static cl_status parse_kdf(loader *ld, cl_clk_schema *s, json_t *kdf)
{
    cl_status st;
    const char *type, *hash, *salt, *info;
    long long x;
    int present;
    if (!json_is_object(kdf))
        return fail(ld, "'clkConfig.kdf' must be an object%s%s", NULL, NULL);
    if ((st = get_string(ld, kdf, "type", "clkConfig.kdf", 1, &type)) != CL_OK)
        return st;
    if (strcmp(type, "HKDF") != 0)
        return fail(ld, "key derivation '%s' is not supported (only HKDF)%s", type, NULL);
    if ((st = get_string(ld, kdf, "hash", "clkConfig.kdf", 0, &hash)) != CL_OK)
        return st;
    if (hash == NULL || strcmp(hash, "SHA256") == 0)
        s->kdf_hash = CLK_KDF_SHA256;
    else if (strcmp(hash, "SHA512") == 0)
        s->kdf_hash = CLK_KDF_SHA512;
    else
        return fail(ld, "HKDF hash '%s' is not SHA256 or SHA512%s", hash, NULL);
    if ((st = get_string(ld, kdf, "salt", "clkConfig.kdf", 0, &salt)) != CL_OK ||
        (st = get_string(ld, kdf, "info", "clkConfig.kdf", 0, &info)) != CL_OK)
        return st;
    if (salt != NULL) {
        int rc = base64_decode(salt, &s->salt, &s->salt_len);
        if (rc == -2)
            return CL_ENOMEM;
        if (rc != 0)
            return fail(ld, "'clkConfig.kdf.salt' is not base64%s%s", NULL, NULL);
        s->has_salt = 1;
    }
    if (info != NULL) {
        int rc = base64_decode(info, &s->info, &s->info_len);
        if (rc == -2)
            return CL_ENOMEM;
        if (rc != 0)
            return fail(ld, "'clkConfig.kdf.info' is not base64%s%s", NULL, NULL);
        s->has_info = 1;
    }
    if ((st = get_int(ld, kdf, "keySize", "clkConfig.kdf", 1, 4096, &x, &present)) != CL_OK)
        return st;
    s->key_size = present ? (size_t)x : 64;
    return CL_OK;
}

static cl_status parse_root(loader *ld, cl_clk_schema *s, json_t *root)
{
    cl_status st;
    long long x;
    int present;
    if (!json_is_object(root))
        return fail(ld, "the top level must be a JSON object%s%s", NULL, NULL);
    if ((st = get_int(ld, root, "version", "schema", 0, 1000, &x, &present)) != CL_OK)
        return st;
    if (!present)
        return fail(ld, "'version' is required%s%s", NULL, NULL);
    if (x != 2 && x != 3)
        return fail(ld, "version %s is not supported (use a version 2 or 3 schema)%s",
                    x == 1 ? "1" : "other than 2 or 3", NULL);
    s->version = (int)x;
    json_t *config = json_object_get(root, "clkConfig");
    if (!json_is_object(config))
        return fail(ld, "'clkConfig' must be an object%s%s", NULL, NULL);
    if ((st = get_int(ld, config, "l", "clkConfig", 1, CL_CLK_MAX_BITS, &x, &present)) != CL_OK)
        return st;
    if (!present)
        return fail(ld, "'clkConfig.l' is required%s%s", NULL, NULL);
    s->l = (size_t)x;
    /* Only this spelling folds; clkhash 0.18.3 ignores "xorFolds". */
    if ((st = get_int(ld, config, "xor_folds", "clkConfig", 0, 20, &x, &present)) != CL_OK)
        return st;
    s->xor_folds = present ? (int)x : 0;
    s->hash_l = s->l << s->xor_folds;
    if (s->hash_l > CL_CLK_MAX_BITS)
        return fail(ld, "'clkConfig.l' times 2^xor_folds is too large%s%s", NULL, NULL);
    if ((st = parse_kdf(ld, s, json_object_get(config, "kdf"))) != CL_OK)
        return st;
    if ((st = parse_features(ld, s, json_object_get(root, "features"))) != CL_OK)
        return st;
    for (size_t i = 0; i < s->nfeatures; i++) {
        const clk_feature *f = &s->features[i];
        if (!f->ignored && f->hash == CLK_HASH_BLAKE && (s->hash_l & (s->hash_l - 1)) != 0)
            return fail(ld, "feature '%s': blakeHash needs l * 2^xor_folds to be a power of "
                        "two%s", f->identifier, NULL);
    }
    return CL_OK;
}

cl_status cl_clk_schema_parse(cl_clk_schema **out, const char *text, size_t len,
                              const char *origin, cl_error *err)
{
    *out = NULL;
    loader ld = {origin, err};
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (root == NULL)
        return cl_error_set(err, CL_EFORMAT, origin, jerr.line > 0 ? jerr.line : 0,
                            "clkhash schema is not valid JSON: %s", jerr.text);
    cl_clk_schema *s = cl_calloc(1, sizeof *s);
    if (s == NULL) {
        json_decref(root);
        return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory loading clkhash schema");
    }
    cl_status st = parse_root(&ld, s, root);
    json_decref(root);
    if (st != CL_OK) {
        if (st == CL_ENOMEM)
            cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory loading clkhash schema");
        cl_clk_schema_free(s);
        return st;
    }
    *out = s;
    return CL_OK;
}

cl_status cl_clk_schema_load(cl_clk_schema **out, const char *path, cl_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return cl_error_set(err, CL_EIO, path, 0, "cannot open clkhash schema");
    char *text = NULL;
    size_t len = 0, cap = 0;
    cl_status st = CL_OK;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (64u << 20)) {
                st = cl_error_set(err, CL_ELIMIT, path, 0, "clkhash schema larger than 64 MiB");
                break;
            }
            char *p = cl_realloc(text, cap);
            if (p == NULL) {
                st = cl_error_set(err, CL_ENOMEM, path, 0, "out of memory reading schema");
                break;
            }
            text = p;
        }
        size_t got = fread(text + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp))
                st = cl_error_set(err, CL_EIO, path, 0, "cannot read clkhash schema");
            break;
        }
    }
    fclose(fp);
    if (st == CL_OK)
        st = cl_clk_schema_parse(out, text, len, path, err);
    cl_free(text);
    return st;
}

void cl_clk_schema_free(cl_clk_schema *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nfeatures; i++) {
        clk_feature *f = &s->features[i];
        cl_free(f->identifier);
        if (f->has_pattern)
            regfree(&f->pattern);
        for (size_t k = 0; k < f->nenum; k++)
            cl_free(f->enum_values[k]);
        cl_free(f->enum_values);
        cl_free(f->enum_lens);
        cl_free(f->sentinel);
        cl_free(f->replace_with);
    }
    cl_free(s->features);
    cl_free(s->salt);
    cl_free(s->info);
    cl_free(s);
}

size_t cl_clk_schema_nfeatures(const cl_clk_schema *s) { return s->nfeatures; }
const char *cl_clk_schema_identifier(const cl_clk_schema *s, size_t i)
{
    return i < s->nfeatures ? s->features[i].identifier : NULL;
}
size_t cl_clk_schema_bits(const cl_clk_schema *s) { return s->l; }
size_t cl_clk_schema_bytes(const cl_clk_schema *s) { return (s->l + 7) / 8; }
int cl_clk_schema_version(const cl_clk_schema *s) { return s->version; }

cl_status cl_clk_check_header(const cl_clk_schema *s, const char *const *names, size_t count,
                              cl_error *err)
{
    if (count != s->nfeatures)
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "header has %zu columns but the clkhash schema has %zu features",
                            count, s->nfeatures);
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], s->features[i].identifier) != 0)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "column %zu is named '%s' but the clkhash schema expects '%s'",
                                i + 1, names[i], s->features[i].identifier);
    return CL_OK;
}
