/*
 * synth_internal.h - what the files of the synthetic-data generator share.
 *
 *   synth_rng.c     the PRNG, hashing and exact integer sampling helpers
 *   synth_names.c   embedded name frequency lists and name variants
 *   synth_params.c  every model parameter: defaults, JSON config, params.json
 *   synth_model.c   local authorities, small areas, postcodes and schools
 *   synth_life.c    families and children: lives, events and records
 *   synth_errors.c  identifier errors applied to each record
 *   synth.c         the run: output files, streaming, progress
 *
 * Determinism is the first rule here: nothing that decides output may depend
 * on the machine.  Randomness comes from our own xoshiro256** streams keyed by
 * hashes of (seed, purpose, index), so a family's draws do not depend on what
 * was generated before it.  Probabilities are compared as 32-bit integer
 * thresholds; the few doubles are only added, multiplied, divided or
 * square-rooted (all exactly rounded by IEEE 754), and contraction into
 * fused multiply-adds is switched off where a compiler would do it.
 */
#ifndef CHILDLINK_SYNTH_INTERNAL_H
#define CHILDLINK_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "childlink/base.h"
#include "childlink/csv.h"
#include "childlink/synth.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ------------------------------------------------------------------ PRNG */

typedef struct synth_rng {
    uint64_t s[4];
} synth_rng;

/* A probability as a threshold on a uniform 32-bit draw: 0 .. 2^32. */
typedef uint64_t synth_prob;

/* splitmix64's finaliser: a bijective 64-bit mix. */
uint64_t synth_mix(uint64_t x);
/* A hash of three words (order matters). */
uint64_t synth_hash3(uint64_t a, uint64_t b, uint64_t c);
/* Seed a stream from a 64-bit key (any key, including 0, is fine). */
void synth_rng_seed(synth_rng *r, uint64_t key);
uint64_t synth_rng_u64(synth_rng *r);
uint32_t synth_rng_u32(synth_rng *r);
/* Uniform in [0, n); n >= 1. */
uint32_t synth_rng_below(synth_rng *r, uint32_t n);
/* Uniform in [lo, hi] (inclusive); lo <= hi. */
int32_t synth_rng_range(synth_rng *r, int32_t lo, int32_t hi);
/* Threshold for probability p (clamped to [0, 1]). */
synth_prob synth_prob_of(double p);
/* 1 with probability p. */
int synth_rng_chance(synth_rng *r, synth_prob p);
/* Uniform double in [0, 1) with 53 random bits. */
double synth_rng_unit(synth_rng *r);
/* Approximately standard normal (Irwin-Hall sum of 12 uniforms, minus 6). */
double synth_rng_normal(synth_rng *r);
/* Poisson with the given mean (0 <= mean <= 50), by inversion. */
int synth_rng_poisson(synth_rng *r, double mean);
/* Index i with probability (cum[i] - cum[i-1]) / cum[n-1]; cum ascending,
 * cum[n-1] > 0. */
size_t synth_rng_pick(synth_rng *r, const uint32_t *cum, size_t n);
/* A keyed bijection on [0, 2^bits) (bits even, 8..62): used to turn
 * sequential counters into record ids that do not reveal generation order. */
uint64_t synth_permute(uint64_t x, uint64_t key, int bits);
/* e^-x for 0 <= x <= 60 by range reduction and a series: +-*\/ only. */
double synth_exp_neg(double x);

/* --------------------------------------------------------------- names */

/* Naming traditions: which lists a family draws names from. */
typedef enum synth_origin {
    SYNTH_ORIGIN_ENGLISH = 0,
    SYNTH_ORIGIN_IRISH,
    SYNTH_ORIGIN_EAST_EUROPEAN,
    SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM,
    SYNTH_ORIGIN_INDIAN,
    SYNTH_ORIGIN_WEST_AFRICAN,
    SYNTH_ORIGIN_SOMALI,
    SYNTH_ORIGIN_CHINESE,
    SYNTH_ORIGIN_ARABIC,
    SYNTH_N_ORIGINS
} synth_origin;

const char *synth_origin_name(synth_origin o);
/* Whether names of this tradition reach English records by transliteration
 * (and so have transliteration variants). */
int synth_origin_transliterated(synth_origin o);

typedef struct synth_names synth_names;

/* Parse the embedded lists and build the sampling tables (English forenames
 * for every birth year 2005-2020; other years use the nearest).  Free with
 * synth_names_free.  Fails only with CL_ENOMEM. */
cl_status synth_names_new(synth_names **out, cl_error *err);
void synth_names_free(synth_names *n);

/* A forename for a child of the given origin, sex and birth year (clamped to
 * the table's years).  The string is owned by `n`. */
const char *synth_names_forename(const synth_names *n, synth_origin o, int female,
                                 int birth_year, synth_rng *r);
/* A surname of the given origin.  The string is owned by `n`. */
const char *synth_names_surname(const synth_names *n, synth_origin o, synth_rng *r);
/* Distinct forenames and surnames held (for tests and docs). */
size_t synth_names_forename_count(const synth_names *n);
size_t synth_names_surname_count(const synth_names *n);
/* Share (0..1) of draws from `o`'s surname list taken by its most common
 * surname: a check on common-name concentration. */
double synth_names_top_surname_share(const synth_names *n, synth_origin o);

/* Variants.  Each writes a NUL-terminated result different from `name` into
 * `out` (capacity `cap`) and returns 1, or returns 0 when the kind of variant
 * does not apply to this name (out is then unspecified). */
int synth_name_nickname(const synth_names *n, const char *name, synth_rng *r, char *out,
                        size_t cap);
int synth_name_phonetic(const synth_names *n, const char *name, synth_rng *r, char *out,
                        size_t cap);
int synth_name_translit(const synth_names *n, const char *name, synth_origin o, synth_rng *r,
                        char *out, size_t cap);
int synth_name_typo(const char *name, synth_rng *r, char *out, size_t cap);
/* `name` as systems that hold only upper-case ASCII write it: diacritics
 * dropped (Wójcik -> WOJCIK).  Always succeeds, truncating to `cap`. */
void synth_name_upper(const char *name, char *out, size_t cap);

/* -------------------------------------------------------------- sources */

typedef enum synth_source {
    SYNTH_SRC_HES_APC = 0,
    SYNTH_SRC_ECDS,
    SYNTH_SRC_CAMHS,
    SYNTH_SRC_NPD_CENSUS,
    SYNTH_SRC_NPD_ABSENCE,
    SYNTH_SRC_NPD_KS2,
    SYNTH_SRC_NPD_KS4,
    SYNTH_SRC_NPD_EXCLUSIONS,
    SYNTH_SRC_CSC_CIN,
    SYNTH_SRC_CSC_CLA,
    SYNTH_N_SOURCES
} synth_source;

extern const char *const synth_source_names[SYNTH_N_SOURCES];

/* Identifier fields a record can carry errors in. */
typedef enum synth_field {
    SYNTH_F_NHS = 0,
    SYNTH_F_UPN,
    SYNTH_F_FORENAME,
    SYNTH_F_SURNAME,
    SYNTH_F_SWAP,       /* forename and surname exchanged */
    SYNTH_F_DOB,
    SYNTH_F_SEX,
    SYNTH_F_POSTCODE,
    SYNTH_F_ETHNICITY,
    SYNTH_N_FIELDS
} synth_field;

/* Error kinds.  Kinds of one field are mutually exclusive on a record (one
 * uniform draw picks at most one), so each kind's rate is exactly the share
 * of eligible records that carry it. */
typedef enum synth_kind {
    SYNTH_E_NHS_MISSING = 0,
    SYNTH_E_NHS_OTHER_PERSON,
    SYNTH_E_NHS_WRONG_DIGIT,
    SYNTH_E_NHS_TRANSPOSED,
    SYNTH_E_UPN_MISSING,
    SYNTH_E_UPN_TEMPORARY,
    SYNTH_E_UPN_WRONG_DIGIT,
    SYNTH_E_FORENAME_MISSING,
    SYNTH_E_FORENAME_PLACEHOLDER,
    SYNTH_E_FORENAME_NICKNAME,
    SYNTH_E_FORENAME_MIDDLE,
    SYNTH_E_FORENAME_TRANSLIT,
    SYNTH_E_FORENAME_PHONETIC,
    SYNTH_E_FORENAME_TYPO,
    SYNTH_E_SURNAME_MISSING,
    SYNTH_E_SURNAME_STALE,
    SYNTH_E_SURNAME_PARTIAL,
    SYNTH_E_SURNAME_TRANSLIT,
    SYNTH_E_SURNAME_PHONETIC,
    SYNTH_E_SURNAME_TYPO,
    SYNTH_E_NAME_SWAP,
    SYNTH_E_DOB_MISSING,
    SYNTH_E_DOB_DAY_MONTH,
    SYNTH_E_DOB_WRONG_DIGIT,
    SYNTH_E_DOB_ESTIMATED,
    SYNTH_E_SEX_MISSING,
    SYNTH_E_SEX_WRONG,
    SYNTH_E_POSTCODE_MISSING,
    SYNTH_E_POSTCODE_STALE,
    SYNTH_E_POSTCODE_TYPO,
    SYNTH_E_ETHNICITY_MISSING,
    SYNTH_E_ETHNICITY_DIFFERENT,
    SYNTH_N_KINDS
} synth_kind;

extern const char *const synth_kind_names[SYNTH_N_KINDS];
extern const synth_field synth_kind_field[SYNTH_N_KINDS];
/* Bit (1u << field) set for each identifier field the source carries. */
extern const unsigned synth_source_fields[SYNTH_N_SOURCES];

/* ------------------------------------------------------ ethnic groups */

/* DfE ethnicity codes, in the order of the 2011 census categories. */
typedef enum synth_ethnic {
    SYNTH_ETH_WBRI = 0, SYNTH_ETH_WIRI, SYNTH_ETH_WIRT, SYNTH_ETH_WROM, SYNTH_ETH_WOTH,
    SYNTH_ETH_MWBC, SYNTH_ETH_MWBA, SYNTH_ETH_MWAS, SYNTH_ETH_MOTH,
    SYNTH_ETH_AIND, SYNTH_ETH_APKN, SYNTH_ETH_ABAN, SYNTH_ETH_AOTH,
    SYNTH_ETH_BCRB, SYNTH_ETH_BAFR, SYNTH_ETH_BOTH,
    SYNTH_ETH_CHNE, SYNTH_ETH_OOTH,
    SYNTH_N_ETHNIC
} synth_ethnic;

extern const char *const synth_ethnic_dfe[SYNTH_N_ETHNIC];   /* "WBRI" */
extern const char *const synth_ethnic_nhs[SYNTH_N_ETHNIC];   /* "A" */

/* ---------------------------------------------------------- parameters */

#define SYNTH_MAX_LAS 500
#define SYNTH_MAX_FAMILY 8

typedef struct synth_params {
    /* top level */
    long children;
    uint64_t seed;
    int first_year, last_year;
    int32_t follow_up_end;     /* day number */
    int areas;
    int small_areas_per_la;    /* 0 = automatic */
    double error_scale;

    /* population */
    double family_size[4];     /* shares of sibships of 1, 2, 3, 4+ */
    double twin_rate;
    double move_rate;
    double move_within_la;
    double surname_change_rate;
    double double_barrelled_rate;
    double middle_name_rate;
    double muhammad_rate;
    double preferred_forename_rate;
    double independent_school_rate;
    double emigration_rate;
    double hospital_birth_rate;
    double adoption_new_nhs_number;
    double ethnic_share[SYNTH_N_ETHNIC];
    double born_abroad[SYNTH_N_ETHNIC];

    /* prevalence */
    double asthma, downs_syndrome, epilepsy, type1_diabetes, cerebral_palsy,
        cystic_fibrosis, sickle_cell, autism, leukaemia;

    /* service rates */
    double emergency_rate_infant, emergency_rate_preschool, emergency_rate_school;
    double elective_rate;
    double ed_rate_infant, ed_rate_preschool, ed_rate_school;
    double camhs_rate_age5, camhs_rate_age17;
    double cin_family_rate, cin_deprivation_rate_ratio, cla_given_cin;
    double suspension_rate_primary, suspension_rate_secondary, permanent_exclusion_rate;
    double absence_rate, unauthorised_share;
    double fsm_most_deprived, fsm_least_deprived;
    double sen_support_rate, ehcp_rate;

    /* planted effects */
    double asthma_absence_rate_ratio;
    double secondary_absence_rate_ratio;
    double secondary_camhs_rate_ratio;
    double deprivation_admission_rate_ratio;
    double cin_ks2_scaled_score_drop;
    double cin_attainment8_drop;
    double downs_ehcp_year_group;
    double downs_ehcp_delay_years;
    unsigned char late_sen[SYNTH_MAX_LAS];
    int late_sen_given;        /* late_sen came from a config file */

    /* errors (rates before error_scale) */
    double persistence[SYNTH_N_SOURCES];
    double error_rate[SYNTH_N_SOURCES][SYNTH_N_KINDS];
    double name_error_multiplier[SYNTH_N_ORIGINS];
    double name_swap_multiplier[SYNTH_N_ORIGINS];
    double abroad_nhs_multiplier;
    double abroad_dob_multiplier;
} synth_params;

/* Built-in defaults for everything (late_sen is set once the number of
 * local authorities is known: see synth_params_finish). */
void synth_params_default(synth_params *p);
/* Apply the JSON parameters file `path` over `p`.  With `top_level` 0 the
 * top-level keys (children, seed, ...) are checked but not applied. */
cl_status synth_params_apply_file(synth_params *p, const char *path, int top_level,
                                  cl_error *err);
/* Check ranges that depend on several values and fill derived ones (the
 * default late-SEN local authorities). */
cl_status synth_params_finish(synth_params *p, cl_error *err);
/* Write `p` as JSON to `f`.  Returns CL_OK or CL_EIO. */
cl_status synth_params_write(const synth_params *p, FILE *f);
/* The code of local authority `la` ("E06900001"): fixed by its index so that
 * a config file can name it.  `out` holds at least 10 bytes. */
void synth_la_code(int la, char *out);

/* --------------------------------------------------------------- model */

typedef struct synth_la {
    char code[10];         /* ONS-style "E06900001" */
    char name[40];
    char area_letters[3];  /* postcode area, e.g. "AC" */
    char provider[4];      /* hospital trust code, e.g. "RAB" */
    int dfe_number;        /* 3-digit DfE LA number (UPN, census LA) */
    int first_area, n_areas;
    int first_primary, n_primaries;
    int first_secondary, n_secondaries;
    uint32_t diversity_ppm;   /* how ethnically diverse (1e6 = national) */
} synth_la;

typedef struct synth_area {
    char code[10];         /* LSOA-style "E01900001" */
    int la;
    int decile;            /* 1 = most deprived */
    int district, sector;  /* postcode district number and sector digit */
    int unit_first;        /* first unit index within the sector */
    int primary, secondary;  /* catchment schools (global indices) */
} synth_area;

typedef struct synth_school {
    int urn;
    int estab;             /* 4 digits: 2xxx primary, 4xxx secondary */
    int la;
    int area;
    int secondary;
} synth_school;

#define SYNTH_UNITS_PER_AREA 20

typedef struct synth_model {
    int n_las, n_areas, n_schools;
    synth_la *las;
    synth_area *areas;
    synth_school *schools;
    uint32_t *la_cum;          /* cumulative LA population weights */
} synth_model;

cl_status synth_model_build(synth_model *m, const synth_params *p, cl_error *err);
void synth_model_free(synth_model *m);
/* Postcode of unit `unit` (0..SYNTH_UNITS_PER_AREA-1) of area `area`, as
 * "AC12 3DE"; out holds at least 9 bytes. */
void synth_postcode(const synth_model *m, int area, int unit, char *out);
cl_status synth_model_write_areas(const synth_model *m, const synth_params *p,
                                  cl_csv_writer *w);
cl_status synth_model_write_postcodes(const synth_model *m, cl_csv_writer *w);
cl_status synth_model_write_schools(const synth_model *m, cl_csv_writer *w);

/* ---------------------------------------------------------- generation */

typedef struct synth_gen synth_gen;

/* The output writers generation streams into, one per file. */
typedef struct synth_outputs {
    cl_csv_writer *source[SYNTH_N_SOURCES];
    cl_csv_writer *truth;
    cl_csv_writer *people;
} synth_outputs;

/* Counts kept while generating, for error_summary.csv and tests. */
typedef struct synth_counts {
    long records[SYNTH_N_SOURCES];
    long eligible[SYNTH_N_SOURCES][SYNTH_N_KINDS];
    long applied[SYNTH_N_SOURCES][SYNTH_N_KINDS];
    long children, families, twins;
} synth_counts;

cl_status synth_gen_new(synth_gen **out, const synth_params *p, const synth_model *m,
                        const synth_names *names, synth_outputs *o, cl_error *err);
void synth_gen_free(synth_gen *g);
/* Write the header rows of every source, truth.csv and people.csv. */
void synth_gen_write_headers(synth_gen *g);
/* Generate the next family; returns the number of children it had (0 when
 * all children have been generated). */
int synth_gen_family(synth_gen *g);
const synth_counts *synth_gen_counts(const synth_gen *g);

/* Effective rate (after error_scale and group multipliers) of `kind` in
 * `source` for a child of origin `o`, born abroad or not. */
double synth_effective_rate(const synth_params *p, synth_source s, synth_kind kind,
                            synth_origin o, int born_abroad);

/* ------------------------------------------------------------- errors */

/* Which name variants exist for a person (computed once per person). */
#define SYNTH_CAN_NICKNAME 1u
#define SYNTH_CAN_FORE_PHONETIC 2u
#define SYNTH_CAN_FORE_TRANSLIT 4u
#define SYNTH_CAN_SUR_PHONETIC 8u
#define SYNTH_CAN_SUR_TRANSLIT 16u

/* The truth about one person's identifiers on the day of one record. */
typedef struct synth_true_ids {
    long person_id;
    uint64_t sticky_key;           /* keys the person's sticky errors in this
                                      source (see synth_errors.c) */
    synth_origin forename_origin, surname_origin;
    synth_ethnic ethnic;
    int born_abroad;
    int female;
    const char *nhs;               /* "" when the person has none */
    const char *other_nhs;         /* a sibling's or the mother's number */
    const char *upn;               /* "" before a UPN is issued */
    const char *forename, *middle; /* middle "" when none */
    const char *surname;
    const char *previous_surname;  /* NULL when the surname never changed */
    unsigned can;                  /* SYNTH_CAN_* */
    int32_t dob, day;              /* birth and record day numbers */
    int32_t surname_since;         /* day the current surname began */
    int area, unit;                /* address on the record day */
    int32_t address_since;         /* day the child moved there */
    int prev_area, prev_unit;      /* the address before it; -1 when none */
} synth_true_ids;

/* Out-of-date values are written only this soon after a change: records
 * lag behind a move or a change of name for a while, not for ever. */
#define SYNTH_STALE_POSTCODE_DAYS 730
#define SYNTH_STALE_SURNAME_DAYS 1826

/* What a source records: the truth with its errors. */
typedef struct synth_id_view {
    char nhs[16], upn[16];
    char forename[96], middle[96];
    char surname[96], previous_surname[96];
    int32_t dob;                   /* SYNTH_NO_DATE when missing */
    char sex;                      /* 'M', 'F', or 0 when missing */
    int area;                      /* the small area the postcode lies in,
                                      -1 when missing */
    char postcode[12];             /* "" when missing */
    int ethnic;                    /* -1 when missing */
    char errors[400];              /* applied kinds joined by '|' */
    size_t errors_len;
} synth_id_view;

#define SYNTH_NO_DATE INT32_MIN

typedef struct synth_errors synth_errors;

/* Precompute each source's error thresholds for every origin and
 * born-abroad status.  Free with synth_errors_free. */
cl_status synth_errors_new(synth_errors **out, const synth_params *p, cl_error *err);
void synth_errors_free(synth_errors *e);
/* Fill `v` with what source `s` records about `t`, drawing errors with `r`
 * (and the person's sticky streams), and count eligibility and errors. */
void synth_errors_apply(const synth_errors *e, const synth_model *m, const synth_names *names,
                        synth_source s, const synth_true_ids *t, synth_rng *r,
                        synth_id_view *v, synth_counts *counts);

/* --------------------------------------------------------- formatting */

/* Write v in decimal; returns the length.  `out` holds 21 bytes. */
size_t synth_fmt_long(char *out, long long v);
/* Day number as yyyy-mm-dd / dd/mm/yyyy / yyyymmdd.  Return the length. */
size_t synth_fmt_iso(char *out, int32_t day);
size_t synth_fmt_dmy(char *out, int32_t day);
size_t synth_fmt_compact(char *out, int32_t day);
/* A count of billionths as a decimal with no trailing zeros ("0.015"). */
size_t synth_fmt_nano(char *out, int64_t nano);

/* ------------------------------------------- embedded name data */

/* One frequency-ordered list of names (synth_names_data.c).  A name's weight
 * is proportional to 1 / (rank + zipf_offset), so the offset sets how much
 * the most common names dominate. */
typedef struct synth_name_list {
    synth_origin origin;
    char sex;           /* 'M' or 'F' forenames, 'S' surnames */
    int year;           /* ranking year (2005, 2020) for lists that drift with
                           birth cohort; 0 for lists used in every year */
    int zipf_offset;
    const char *text;   /* names separated by white space, commonest first */
} synth_name_list;

/* A long tail of rarer surnames made by joining parts ("Ash" + "worth"),
 * taking `tail_permille` of that origin's surname draws. */
typedef struct synth_name_compound {
    synth_origin origin;
    int tail_permille;
    const char *prefixes;
    const char *suffixes;
} synth_name_compound;

extern const synth_name_list synth_name_lists[];
extern const size_t synth_n_name_lists;
extern const synth_name_compound synth_name_compounds[];
extern const size_t synth_n_name_compounds;
/* Lines of "Fullname Short Short ...": the short forms a forename has. */
extern const char synth_nickname_text[];
/* Lines of spellings that sound the same (Catherine Katherine Kathryn). */
extern const char synth_phonetic_text[];
/* Lines of transliterations of one name (Muhammad Mohammed Mohamed). */
extern const char synth_translit_text[];

#endif
