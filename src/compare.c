/*
 * compare.c - the comparisons of the default model: one level per field for
 * a record pair (see model.h for the packing).
 *
 * Levels are ordered strongest first and the first that holds wins, so each
 * function returns as soon as it knows: equal interned ids cost one integer
 * compare, and Jaro-Winkler is only computed for values that differ.
 * Multi-valued fields take the strongest level over all pairs of values.
 */
#include <string.h>

#include "childlink/model.h"

static const char *const comparison_names[CL_NCOMPARISONS] = {
    "forename", "surname", "dob", "sex", "postcode", "nhs_number", "upn", "local_id",
    "address", "place", "other_id",
};

static const char *const level_names[CL_NCOMPARISONS][CL_MAX_LEVELS] = {
    {"null", "exact", "jaro_winkler_0.92", "among_other_forenames", "swapped_with_surname",
     "jaro_winkler_0.80_or_nysiis", "else"},
    {"null", "exact", "jaro_winkler_0.92", "shares_a_part", "swapped_with_forename",
     "jaro_winkler_0.80_or_soundex", "else"},
    {"null", "exact", "day_month_transposed", "one_digit_different", "within_31_days", "else"},
    {"null", "equal", "different"},
    {"null", "exact", "same_sector", "same_district", "one_character_or_transposition", "else"},
    {"null", "exact", "one_digit_or_transposition", "different"},
    {"null", "exact", "one_character_or_transposition", "different"},
    {"null", "equal", "different"},
    {"null", "exact", "jaro_winkler_0.90", "half_the_words", "else"},
    {"null", "exact", "jaro_winkler_0.90", "else"},
    {"null", "exact", "one_character_or_transposition", "different"},
};

static const int nlevels[CL_NCOMPARISONS] = {7, 7, 6, 3, 6, 4, 4, 3, 5, 4, 4};

/* Encoded identifier files: Dice similarity bands of the Bloom filters where
 * clear text has string measures, token equality elsewhere.  A keyed token
 * cannot be one digit away from another, so NHS number and UPN are exact or
 * different. */
static const char *const encoded_level_names[CL_NCOMPARISONS][CL_MAX_LEVELS] = {
    {"null", "exact", "dice_0.90", "dice_0.75", "dice_0.60", "swapped_names", "else"},
    {"null", "exact", "dice_0.90", "dice_0.75", "dice_0.60", "swapped_names", "else"},
    {"null", "exact", "dice_0.80", "dice_0.60", "else"},
    {"null", "equal", "different"},
    {"null", "exact", "same_sector", "same_district", "dice_0.60", "else"},
    {"null", "exact", "different"},
    {"null", "exact", "different"},
    {"null", "equal", "different"},
    {"null", "exact", "dice_0.80", "dice_0.60", "else"},
    {"null", "exact", "dice_0.80", "else"},
    {"null", "exact", "different"},
};

static const int encoded_nlevels[CL_NCOMPARISONS] = {7, 7, 5, 3, 6, 3, 3, 3, 5, 4, 3};

const char *cl_comparison_name(int k) { return comparison_names[k]; }

const char *cl_level_name(cl_records_kind kind, int k, int l)
{
    return kind == CL_RECORDS_ENCODED ? encoded_level_names[k][l] : level_names[k][l];
}

int cl_comparison_nlevels(cl_records_kind kind, int k)
{
    return kind == CL_RECORDS_ENCODED ? encoded_nlevels[k] : nlevels[k];
}

/* Whether token `t` (tlen bytes) is one of the space-separated tokens of s. */
static int has_token(const char *s, size_t slen, const char *t, size_t tlen)
{
    size_t i = 0;
    while (i < slen) {
        size_t j = i;
        while (j < slen && s[j] != ' ' && s[j] != '|')
            j++;
        if (j - i == tlen && memcmp(s + i, t, tlen) == 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* Whether any token of a is a token of b (a double-barrelled surname given in part). */
static int share_token(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0;
    while (i < alen) {
        size_t j = i;
        while (j < alen && a[j] != ' ')
            j++;
        if (j - i >= 2 && has_token(b, blen, a + i, j - i))
            return 1;
        i = j + 1;
    }
    return 0;
}

static int in_ids(uint32_t id, const uint32_t *ids)
{
    for (int k = 0; k < CL_MAX_ALTERNATIVES; k++)
        if (ids[k] == id && id != 0)
            return 1;
    return 0;
}

/* Names, places and filters repeat across a child's many records, so the
 * same pair of values is compared again and again: a small per-thread
 * direct-mapped cache of (id, id) -> similarity answers most of them without
 * touching the strings.  One cache for Jaro-Winkler, one for Dice, one each
 * for the forename and surname levels. */
#define PAIR_CACHE_BITS 16
typedef struct pair_entry {
    uint32_t a, b;
    float value;
    uint32_t used;
} pair_entry;
typedef struct pair_cache {
    uint64_t store;   /* cl_records.generation it holds */
    pair_entry slot[1u << PAIR_CACHE_BITS];
} pair_cache;
static _Thread_local pair_cache jw_cache, dice_cache;
/* Name levels that depend only on the two values, for the same reason. */
static _Thread_local pair_cache forename_cache, surname_cache;

/* The cache entry for the unordered pair (a, b) (ordered in place), emptied
 * when the cache last served another store. */
static pair_entry *pair_slot(pair_cache *c, const cl_records *r, uint32_t *a, uint32_t *b)
{
    if (c->store != r->generation) {
        memset(c->slot, 0, sizeof c->slot);
        c->store = r->generation;
    }
    if (*a > *b) {
        uint32_t t = *a;
        *a = *b;
        *b = t;
    }
    return &c->slot[((*a * 0x9E3779B1u) ^ (*b * 0x85EBCA77u)) >> (32 - PAIR_CACHE_BITS)];
}

/* Jaro-Winkler of two distinct interned strings; exact at and above 0.80,
 * some value below it otherwise. */
static double jw_value(const cl_records *r, uint32_t a, uint32_t b)
{
    pair_entry *e = pair_slot(&jw_cache, r, &a, &b);
    if (e->used && e->a == a && e->b == b)
        return e->value;
    size_t alen, blen;
    const char *as = cl_records_str(r, a, &alen);
    const char *bs = cl_records_str(r, b, &blen);
    float jw = (float)cl_sim_jaro_winkler_min(as, alen, bs, blen, 0.80);
    *e = (pair_entry){a, b, jw, 1};
    return jw;
}

/* The name bands: 2 (>= 0.92), 5 (>= 0.80) or 6.  The cache holds floats, so
 * the thresholds are compared as floats too. */
static unsigned jw_band(const cl_records *r, uint32_t a, uint32_t b)
{
    float jw = (float)jw_value(r, a, b);
    return jw >= 0.92f ? 2 : jw >= 0.80f ? 5 : 6;
}

/* The forename level of two different forenames fields, leaving out the swap
 * with a surname (which depends on the surnames): 2, 3, 5 or 6.  A pure
 * function of the two fields, so cached. */
static unsigned forenames_level(const cl_records *r, const cl_hot_record *A,
                                const cl_hot_record *B)
{
    uint32_t x = A->forenames, y = B->forenames;
    pair_entry *e = pair_slot(&forename_cache, r, &x, &y);
    if (e->used && e->a == x && e->b == y)
        return (unsigned)e->value;
    uint32_t a = A->forename, b = B->forename;
    unsigned band = jw_band(r, a, b), level = band;
    if (band != 2) {
        size_t alen, blen, falen, fblen;
        const char *as = cl_records_str(r, a, &alen);
        const char *bs = cl_records_str(r, b, &blen);
        const char *fa = cl_records_str(r, A->forenames, &falen);
        const char *fb = cl_records_str(r, B->forenames, &fblen);
        if (has_token(fb, fblen, as, alen) || has_token(fa, falen, bs, blen))
            level = 3;
        else if (band == 5 || (A->forename_nysiis[0] &&
                               memcmp(A->forename_nysiis, B->forename_nysiis,
                                      sizeof A->forename_nysiis) == 0))
            level = 5;
        else
            level = 6;
    }
    *e = (pair_entry){x, y, (float)level, 1};
    return level;
}

static unsigned forename_level(const cl_records *r, size_t i, size_t j)
{
    const cl_hot_record *A = &r->hot[i], *B = &r->hot[j];
    uint32_t a = A->forename, b = B->forename;
    if (a == 0 || b == 0)
        return 0;
    if (a == b)
        return 1;
    unsigned level = forenames_level(r, A, B);
    if (level >= 5 && (in_ids(a, B->surname) || in_ids(b, A->surname)))
        return 4;
    return level;
}

static unsigned surname_pair_level(const cl_records *r, uint32_t a, uint32_t b)
{
    if (a == b)
        return 1;
    pair_entry *e = pair_slot(&surname_cache, r, &a, &b);
    if (e->used && e->a == a && e->b == b)
        return (unsigned)e->value;
    unsigned level = jw_band(r, a, b);
    if (level != 2) {
        size_t alen, blen;
        const char *as = cl_records_str(r, a, &alen);
        const char *bs = cl_records_str(r, b, &blen);
        if (share_token(as, alen, bs, blen))
            level = 3;
    }
    *e = (pair_entry){a, b, (float)level, 1};
    return level;
}

static unsigned surname_level(const cl_records *r, size_t i, size_t j)
{
    const cl_hot_record *A = &r->hot[i], *B = &r->hot[j];
    const uint32_t *sa = A->surname, *sb = B->surname;
    if (sa[0] == 0 || sb[0] == 0)
        return 0;
    unsigned best = 6;
    for (int x = 0; x < CL_MAX_ALTERNATIVES && sa[x]; x++)
        for (int y = 0; y < CL_MAX_ALTERNATIVES && sb[y]; y++) {
            unsigned l = surname_pair_level(r, sa[x], sb[y]);
            if (l < best)
                best = l;
        }
    if (best <= 3)
        return best;
    if ((B->forename && in_ids(B->forename, sa)) ||
        (A->forename && in_ids(A->forename, sb)))
        return 4;
    if (best == 6 && A->surname_soundex[0] &&
        memcmp(A->surname_soundex, B->surname_soundex, sizeof A->surname_soundex) == 0)
        return 5;
    return best;
}

static unsigned dob_level(const cl_records *r, size_t i, size_t j)
{
    const cl_hot_record *A = &r->hot[i], *B = &r->hot[j];
    cl_sim_date a = A->dob, b = B->dob;
    if (a.days == CL_NO_DATE || b.days == CL_NO_DATE)
        return 0;
    if (a.days == b.days)
        return 1;
    if (cl_sim_date_dm_swapped(a, b))
        return 2;
    if (cl_sim_date_digits_differ(a, b) == 1)
        return 3;
    if (cl_sim_days_apart(a.days, b.days) <= 31)
        return 4;
    return 5;
}

/* Whether two values differ by one character or two adjacent ones swapped. */
static int one_typo(const char *a, size_t alen, const char *b, size_t blen)
{
    cl_sim_near near = cl_sim_near_classify(a, alen, b, blen);
    return near == CL_SIM_NEAR_SUBSTITUTION || near == CL_SIM_NEAR_TRANSPOSITION;
}

static int strings_one_typo(const cl_records *r, uint32_t a, uint32_t b)
{
    size_t alen, blen;
    const char *as = cl_records_str(r, a, &alen);
    const char *bs = cl_records_str(r, b, &blen);
    return one_typo(as, alen, bs, blen);
}

static unsigned postcode_level(const cl_records *r, size_t i, size_t j)
{
    const cl_hot_record *A = &r->hot[i], *B = &r->hot[j];
    const uint32_t *pa = A->postcode, *pb = B->postcode;
    if (pa[0] == 0 || pb[0] == 0)
        return 0;
    unsigned best = 5;
    for (int x = 0; x < CL_MAX_ALTERNATIVES && pa[x]; x++)
        for (int y = 0; y < CL_MAX_ALTERNATIVES && pb[y]; y++) {
            if (pa[x] == pb[y])
                return 1;
            if (A->postcode_sector[x] && A->postcode_sector[x] == B->postcode_sector[y])
                best = 2;
            else if (best > 3 && A->postcode_district[x] == B->postcode_district[y])
                best = 3;
        }
    if (best < 4)
        return best;
    /* A mistyped character: what is left when no part agrees (and all there
     * is for postcodes outside the UK's format). */
    return strings_one_typo(r, pa[0], pb[0]) ? 4 : 5;
}

/* Address lines: exact, close as strings, or sharing at least half their
 * words (a line missing on one side, or two lines in another order). */
static unsigned address_level(const cl_records *r, uint32_t a, uint32_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == b)
        return 1;
    if (jw_value(r, a, b) >= 0.90f)
        return 2;
    size_t alen, blen;
    const char *as = cl_records_str(r, a, &alen);
    const char *bs = cl_records_str(r, b, &blen);
    unsigned words = 0, shared = 0;
    for (size_t i = 0; i < alen; ) {
        size_t j = i;
        while (j < alen && as[j] != ' ')
            j++;
        words++;
        shared += has_token(bs, blen, as + i, j - i);
        i = j + 1;
    }
    unsigned bwords = 1;
    for (size_t i = 0; i < blen; i++)
        bwords += bs[i] == ' ';
    return 2 * shared >= (words < bwords ? words : bwords) && shared > 0 ? 3 : 4;
}

static unsigned place_level(const cl_records *r, uint32_t a, uint32_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == b)
        return 1;
    return jw_value(r, a, b) >= 0.90f ? 2 : 3;
}

/* Another shared identifier: exact, one character mistyped or two
 * transposed, or different (string ids of the standard forms). */
static unsigned other_id_level(const cl_records *r, uint32_t a, uint32_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == b)
        return 1;
    return strings_one_typo(r, a, b) ? 2 : 3;
}

static unsigned exact_id_level(const char *a, const char *b, size_t len)
{
    if (a[0] == 0 || b[0] == 0)
        return 0;
    if (memcmp(a, b, len) == 0)
        return 1;
    return one_typo(a, len, b, len) ? 2 : 3;
}

/* ---- encoded identifier files ---- */

/* Dice coefficient of two distinct filters (string ids of their bytes),
 * cached per thread like Jaro-Winkler: a child's filters recur in all its
 * records. */
static double filter_dice(const cl_records *r, uint32_t a, uint32_t b)
{
    pair_entry *e = pair_slot(&dice_cache, r, &a, &b);
    if (e->used && e->a == a && e->b == b)
        return e->value;
    /* Interned bytes carry no alignment: load words with memcpy. */
    const unsigned char *x = (const unsigned char *)cl_records_str(r, a, NULL);
    const unsigned char *y = (const unsigned char *)cl_records_str(r, b, NULL);
    uint32_t pa = 0, pb = 0, both = 0;
    for (size_t w = 0; w + 8 <= r->filter_bytes; w += 8) {
        uint64_t u, v;
        memcpy(&u, x + w, 8);
        memcpy(&v, y + w, 8);
        pa += (uint32_t)__builtin_popcountll(u);
        pb += (uint32_t)__builtin_popcountll(v);
        both += (uint32_t)__builtin_popcountll(u & v);
    }
    float dice = pa + pb ? (float)(2.0 * both / (pa + pb)) : 0.0f;
    if (r->filters_balanced == 1) {
        /* A balanced filter is F || ~F shuffled, n bits with n/2 set, so
         * |A xor B| = n/2 - both for the filters F inside, whose own counts it
         * hides.  encode's fixed budget of n/16 draws into n/2 bits sets
         * about n/2 (1 - e^(-1/8)) of them each: estimate the Dice of the F
         * from that.  (With --bloom-k the counts vary and this is rougher.) */
        double half = (double)r->filter_bytes * 4.0;
        double fill = half * 0.1175030974;   /* 1 - e^(-1/8) */
        double d = 1.0 - (half - both) / (2.0 * fill);
        dice = (float)(d < 0.0 ? 0.0 : d);
    }
    *e = (pair_entry){a, b, dice, 1};
    return dice;
}

/* Names: exact (equal filters), then Dice bands.  Filters of forename and
 * surname are keyed apart, so a swap shows only in the names_sdx_yob token,
 * which holds the two Soundex codes in either order: equal there but far
 * apart here is a swap. */
static unsigned encoded_name_level(const cl_records *r, uint32_t a, uint32_t b, int same_pair)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == b)
        return 1;
    double d = filter_dice(r, a, b);
    return d >= 0.90 ? 2 : d >= 0.75 ? 3 : d >= 0.60 ? 4 : same_pair ? 5 : 6;
}

static cl_vector compare_encoded(const cl_records *r, size_t i, size_t j)
{
    const cl_hot_record *A = &r->hot[i], *B = &r->hot[j];
    const cl_token_record *TA = &r->tokens[i], *TB = &r->tokens[j];
    int same_pair = TA->names_sdx_yob && TA->names_sdx_yob == TB->names_sdx_yob;
    /* Filters salted with different birth years (or dates) are unrelated
     * bit patterns: no evidence either way, so null rather than "else".
     * The postcode alone has a token without the year (postcode_initial),
     * which stands in: a wrong birth year no longer hides an equal postcode
     * (FEBRL 4, salted: F1 0.958 -> 0.986).  The name tokens all hold the
     * year, and a Soundex stand-in for dob salting was measured to change
     * nothing. */
    int comparable = TA->salt == TB->salt;
    cl_vector v = comparable ? encoded_name_level(r, A->forename, B->forename, same_pair) : 0;
    if (comparable)
        v |= encoded_name_level(r, A->surname[0], B->surname[0], same_pair) << 4;
    unsigned dob = 0;
    if (TA->dob && TB->dob && TA->dob == TB->dob) {
        dob = 1;
    } else if (TA->dob_filter && TB->dob_filter) {
        double d = filter_dice(r, TA->dob_filter, TB->dob_filter);
        dob = d >= 0.80 ? 2 : d >= 0.60 ? 3 : 4;
    }
    v |= dob << 8;
    unsigned sex = A->sex && B->sex ? (A->sex == B->sex ? 1u : 2u) : 0u;
    v |= sex << 12;
    unsigned postcode = 0;
    uint32_t pa = A->postcode[0], pb = B->postcode[0];
    if (pa && pb && comparable) {
        if (pa == pb)
            postcode = 1;
        else if (TA->postcode_sector_dob && TA->postcode_sector_dob == TB->postcode_sector_dob)
            postcode = 2;
        else if (TA->postcode_district_dob &&
                 TA->postcode_district_dob == TB->postcode_district_dob)
            postcode = 3;
        else
            postcode = filter_dice(r, pa, pb) >= 0.60 ? 4 : 5;
    } else if (!comparable && ((TA->postcode_yob && TA->postcode_yob == TB->postcode_yob) ||
                               (TA->postcode_initial &&
                                TA->postcode_initial == TB->postcode_initial))) {
        postcode = 1;
    }
    v |= postcode << 16;
    unsigned nhs = A->nhs[0] && B->nhs[0] ? (memcmp(A->nhs, B->nhs, 10) == 0 ? 1u : 2u) : 0u;
    unsigned upn = A->upn[0] && B->upn[0] ? (memcmp(A->upn, B->upn, 13) == 0 ? 1u : 2u) : 0u;
    v |= nhs << 20;
    v |= upn << 24;
    unsigned local = 0;
    if (A->source == B->source && A->local_id && B->local_id)
        local = A->local_id == B->local_id ? 1 : 2;
    v |= (cl_vector)local << 28;
    /* Place is part of bf_address, so its own comparison stays null. */
    unsigned address = 0;
    if (A->address && B->address && comparable) {
        double d;
        address = A->address == B->address ? 1
                  : (d = filter_dice(r, A->address, B->address)) >= 0.80 ? 2
                  : d >= 0.60 ? 3 : 4;
    }
    v |= (cl_vector)address << (4 * CL_CMP_ADDRESS);
    unsigned other = A->other_id && B->other_id ? (A->other_id == B->other_id ? 1u : 2u) : 0u;
    v |= (cl_vector)other << (4 * CL_CMP_OTHER_ID);
    return v;
}

cl_vector cl_compare(const cl_records *r, size_t i, size_t j)
{
    if (r->kind == CL_RECORDS_ENCODED)
        return compare_encoded(r, i, j);
    const cl_hot_record *A = &r->hot[i], *B = &r->hot[j];
    cl_vector v = forename_level(r, i, j);
    v |= surname_level(r, i, j) << 4;
    v |= dob_level(r, i, j) << 8;
    unsigned sex = A->sex && B->sex ? (A->sex == B->sex ? 1u : 2u) : 0u;
    v |= sex << 12;
    v |= postcode_level(r, i, j) << 16;
    v |= exact_id_level(A->nhs, B->nhs, 10) << 20;
    v |= exact_id_level(A->upn, B->upn, 13) << 24;
    unsigned local = 0;
    if (A->source == B->source && A->local_id && B->local_id)
        local = A->local_id == B->local_id ? 1 : 2;
    v |= (cl_vector)local << 28;
    v |= (cl_vector)address_level(r, A->address, B->address) << (4 * CL_CMP_ADDRESS);
    v |= (cl_vector)place_level(r, A->place, B->place) << (4 * CL_CMP_PLACE);
    v |= (cl_vector)other_id_level(r, A->other_id, B->other_id) << (4 * CL_CMP_OTHER_ID);
    return v;
}
