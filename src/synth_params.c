/*
 * synth_params.c - every parameter of the synthetic population: built-in
 * defaults, overrides from a JSON file, and params.json.
 *
 * One table (param_table) names each scalar parameter, its section in the
 * JSON file, where it lives in synth_params and its allowed range, so that
 * reading, checking and writing stay in step: a parameter added to the
 * table is at once configurable, validated and recorded.  Per-source error
 * rates, ethnic-group shares and per-origin multipliers are keyed tables of
 * their own and handled beside it.
 *
 * Every fractional value is rounded to a billionth when it is read, and
 * written back from that integer count of billionths, so params.json never
 * depends on how a C library prints doubles and reading it back reproduces
 * the run exactly.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "childlink/date.h"
#include "synth_internal.h"

#define PARAMS_FORMAT "childlink-synth-params/1"

const char *const synth_source_names[SYNTH_N_SOURCES] = {
    "hes_apc", "ecds", "camhs", "npd_census", "npd_absence",
    "npd_ks2", "npd_ks4", "npd_exclusions", "csc_cin", "csc_cla",
};

const char *const synth_kind_names[SYNTH_N_KINDS] = {
    "nhs_missing", "nhs_other_person", "nhs_wrong_digit", "nhs_transposed",
    "upn_missing", "upn_temporary", "upn_wrong_digit",
    "forename_missing", "forename_placeholder", "forename_nickname", "forename_middle",
    "forename_translit", "forename_phonetic", "forename_typo",
    "surname_missing", "surname_stale", "surname_partial", "surname_translit",
    "surname_phonetic", "surname_typo",
    "name_swap",
    "dob_missing", "dob_day_month", "dob_wrong_digit", "dob_estimated",
    "sex_missing", "sex_wrong",
    "postcode_missing", "postcode_stale", "postcode_typo",
    "ethnicity_missing", "ethnicity_different",
};

const synth_field synth_kind_field[SYNTH_N_KINDS] = {
    SYNTH_F_NHS, SYNTH_F_NHS, SYNTH_F_NHS, SYNTH_F_NHS,
    SYNTH_F_UPN, SYNTH_F_UPN, SYNTH_F_UPN,
    SYNTH_F_FORENAME, SYNTH_F_FORENAME, SYNTH_F_FORENAME, SYNTH_F_FORENAME,
    SYNTH_F_FORENAME, SYNTH_F_FORENAME, SYNTH_F_FORENAME,
    SYNTH_F_SURNAME, SYNTH_F_SURNAME, SYNTH_F_SURNAME, SYNTH_F_SURNAME,
    SYNTH_F_SURNAME, SYNTH_F_SURNAME,
    SYNTH_F_SWAP,
    SYNTH_F_DOB, SYNTH_F_DOB, SYNTH_F_DOB, SYNTH_F_DOB,
    SYNTH_F_SEX, SYNTH_F_SEX,
    SYNTH_F_POSTCODE, SYNTH_F_POSTCODE, SYNTH_F_POSTCODE,
    SYNTH_F_ETHNICITY, SYNTH_F_ETHNICITY,
};

#define F(x) (1u << SYNTH_F_##x)
#define NAMES (F(FORENAME) | F(SURNAME) | F(SWAP) | F(DOB) | F(SEX) | F(POSTCODE))
const unsigned synth_source_fields[SYNTH_N_SOURCES] = {
    NAMES | F(NHS) | F(ETHNICITY),            /* hes_apc */
    NAMES | F(NHS) | F(ETHNICITY),            /* ecds */
    NAMES | F(NHS) | F(ETHNICITY),            /* camhs */
    NAMES | F(UPN) | F(ETHNICITY),            /* npd_census */
    NAMES | F(UPN),                           /* npd_absence */
    NAMES | F(UPN),                           /* npd_ks2 */
    NAMES | F(UPN),                           /* npd_ks4 */
    NAMES | F(UPN),                           /* npd_exclusions */
    NAMES | F(NHS) | F(UPN) | F(ETHNICITY),   /* csc_cin */
    NAMES | F(NHS) | F(UPN) | F(ETHNICITY),   /* csc_cla */
};
#undef NAMES
#undef F

const char *const synth_ethnic_dfe[SYNTH_N_ETHNIC] = {
    "WBRI", "WIRI", "WIRT", "WROM", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH",
};

/* NHS ethnic category codes; Gypsy/Roma and Traveller are "any other White"
 * (C) in the 2001-based NHS coding. */
const char *const synth_ethnic_nhs[SYNTH_N_ETHNIC] = {
    "A", "B", "C", "C", "C", "D", "E", "F", "G",
    "H", "J", "K", "L", "M", "N", "P", "R", "S",
};

/* ------------------------------------------------------------ the table */

typedef struct param_desc {
    const char *section;   /* JSON object it sits in */
    const char *key;
    size_t offset;         /* of a double in synth_params */
    double min, max;
} param_desc;

#define P(section, key, field, min, max) {section, key, offsetof(synth_params, field), min, max}

static const param_desc param_table[] = {
    P("population", "family_size_1", family_size[0], 0, 1),
    P("population", "family_size_2", family_size[1], 0, 1),
    P("population", "family_size_3", family_size[2], 0, 1),
    P("population", "family_size_4plus", family_size[3], 0, 1),
    P("population", "twin_rate", twin_rate, 0, 0.5),
    P("population", "move_rate_per_year", move_rate, 0, 1),
    P("population", "move_within_la", move_within_la, 0, 1),
    P("population", "surname_change_rate_per_year", surname_change_rate, 0, 1),
    P("population", "double_barrelled_rate", double_barrelled_rate, 0, 1),
    P("population", "middle_name_rate", middle_name_rate, 0, 1),
    P("population", "muhammad_first_name_rate", muhammad_rate, 0, 1),
    P("population", "preferred_forename_rate", preferred_forename_rate, 0, 1),
    P("population", "independent_school_rate", independent_school_rate, 0, 1),
    P("population", "emigration_rate_per_year", emigration_rate, 0, 1),
    P("population", "hospital_birth_rate", hospital_birth_rate, 0, 1),
    P("population", "adoption_new_nhs_number", adoption_new_nhs_number, 0, 1),

    P("prevalence", "asthma", asthma, 0, 1),
    P("prevalence", "downs_syndrome", downs_syndrome, 0, 1),
    P("prevalence", "epilepsy", epilepsy, 0, 1),
    P("prevalence", "type1_diabetes", type1_diabetes, 0, 1),
    P("prevalence", "cerebral_palsy", cerebral_palsy, 0, 1),
    P("prevalence", "cystic_fibrosis", cystic_fibrosis, 0, 1),
    P("prevalence", "sickle_cell_black_groups", sickle_cell, 0, 1),
    P("prevalence", "autism", autism, 0, 1),
    P("prevalence", "leukaemia", leukaemia, 0, 1),

    P("service_rates", "emergency_admissions_age0", emergency_rate_infant, 0, 20),
    P("service_rates", "emergency_admissions_age1_4", emergency_rate_preschool, 0, 20),
    P("service_rates", "emergency_admissions_age5_17", emergency_rate_school, 0, 20),
    P("service_rates", "elective_admissions", elective_rate, 0, 20),
    P("service_rates", "ed_attendances_age0", ed_rate_infant, 0, 20),
    P("service_rates", "ed_attendances_age1_4", ed_rate_preschool, 0, 20),
    P("service_rates", "ed_attendances_age5_17", ed_rate_school, 0, 20),
    P("service_rates", "camhs_referrals_age5", camhs_rate_age5, 0, 5),
    P("service_rates", "camhs_referrals_age17", camhs_rate_age17, 0, 5),
    P("service_rates", "cin_family_referrals", cin_family_rate, 0, 1),
    P("service_rates", "cin_deprivation_rate_ratio", cin_deprivation_rate_ratio, 0, 100),
    P("service_rates", "cla_given_cin", cla_given_cin, 0, 1),
    P("service_rates", "suspensions_primary", suspension_rate_primary, 0, 5),
    P("service_rates", "suspensions_secondary", suspension_rate_secondary, 0, 5),
    P("service_rates", "permanent_exclusions", permanent_exclusion_rate, 0, 1),
    P("service_rates", "absence_rate", absence_rate, 0, 1),
    P("service_rates", "unauthorised_share", unauthorised_share, 0, 1),
    P("service_rates", "fsm_most_deprived", fsm_most_deprived, 0, 1),
    P("service_rates", "fsm_least_deprived", fsm_least_deprived, 0, 1),
    P("service_rates", "sen_support", sen_support_rate, 0, 1),
    P("service_rates", "ehc_plan", ehcp_rate, 0, 1),

    P("effects", "asthma_absence_rate_ratio", asthma_absence_rate_ratio, 0, 100),
    P("effects", "secondary_absence_rate_ratio", secondary_absence_rate_ratio, 0, 100),
    P("effects", "secondary_camhs_rate_ratio", secondary_camhs_rate_ratio, 0, 100),
    P("effects", "deprivation_admission_rate_ratio", deprivation_admission_rate_ratio, 0, 100),
    P("effects", "cin_ks2_scaled_score_drop", cin_ks2_scaled_score_drop, 0, 40),
    P("effects", "cin_attainment8_drop", cin_attainment8_drop, 0, 90),
    P("effects", "downs_ehcp_year_group", downs_ehcp_year_group, 0, 11),
    P("effects", "downs_ehcp_delay_years", downs_ehcp_delay_years, 0, 11),

    P("error_multipliers", "born_abroad_nhs_missing", abroad_nhs_multiplier, 0, 100),
    P("error_multipliers", "born_abroad_dob", abroad_dob_multiplier, 0, 100),
};
#undef P
#define N_PARAMS (sizeof param_table / sizeof param_table[0])

static double *param_ptr(synth_params *p, const param_desc *d)
{
    return (double *)((char *)p + d->offset);
}

static const double *param_cptr(const synth_params *p, const param_desc *d)
{
    return (const double *)((const char *)p + d->offset);
}

/* Round to a whole number of billionths: what params.json can hold. */
static int64_t to_nano(double x)
{
    return (int64_t)(x * 1e9 + (x < 0 ? -0.5 : 0.5));
}

static double quantise(double x)
{
    return (double)to_nano(x) / 1e9;
}

/* ---------------------------------------------------------- defaults */

typedef struct kind_rate {
    synth_kind kind;
    double rate;
} kind_rate;

static void set_rates(synth_params *p, synth_source s, double persistence,
                      const kind_rate *rates, size_t n)
{
    p->persistence[s] = persistence;
    for (size_t i = 0; i < n; i++)
        p->error_rate[s][rates[i].kind] = rates[i].rate;
}

#define SET(p, s, persistence, ...)                                              \
    do {                                                                         \
        static const kind_rate r_[] = {__VA_ARGS__};                             \
        set_rates(p, s, persistence, r_, sizeof r_ / sizeof r_[0]);              \
    } while (0)

static void default_errors(synth_params *p)
{
    SET(p, SYNTH_SRC_HES_APC, 0.6,
        {SYNTH_E_NHS_MISSING, 0.01}, {SYNTH_E_NHS_OTHER_PERSON, 0.002},
        {SYNTH_E_NHS_WRONG_DIGIT, 0.002}, {SYNTH_E_NHS_TRANSPOSED, 0.001},
        {SYNTH_E_FORENAME_MISSING, 0.003}, {SYNTH_E_FORENAME_PLACEHOLDER, 0.4},
        {SYNTH_E_FORENAME_NICKNAME, 0.01}, {SYNTH_E_FORENAME_MIDDLE, 0.005},
        {SYNTH_E_FORENAME_TRANSLIT, 0.06}, {SYNTH_E_FORENAME_PHONETIC, 0.01},
        {SYNTH_E_FORENAME_TYPO, 0.01},
        {SYNTH_E_SURNAME_MISSING, 0.002}, {SYNTH_E_SURNAME_STALE, 0.25},
        {SYNTH_E_SURNAME_PARTIAL, 0.15}, {SYNTH_E_SURNAME_TRANSLIT, 0.05},
        {SYNTH_E_SURNAME_PHONETIC, 0.008}, {SYNTH_E_SURNAME_TYPO, 0.008},
        {SYNTH_E_NAME_SWAP, 0.003},
        {SYNTH_E_DOB_MISSING, 0.001}, {SYNTH_E_DOB_DAY_MONTH, 0.003},
        {SYNTH_E_DOB_WRONG_DIGIT, 0.004}, {SYNTH_E_DOB_ESTIMATED, 0.001},
        {SYNTH_E_SEX_MISSING, 0.003}, {SYNTH_E_SEX_WRONG, 0.001},
        {SYNTH_E_POSTCODE_MISSING, 0.01}, {SYNTH_E_POSTCODE_STALE, 0.2},
        {SYNTH_E_POSTCODE_TYPO, 0.005},
        {SYNTH_E_ETHNICITY_MISSING, 0.08}, {SYNTH_E_ETHNICITY_DIFFERENT, 0.06});
    SET(p, SYNTH_SRC_ECDS, 0.4,
        {SYNTH_E_NHS_MISSING, 0.04}, {SYNTH_E_NHS_OTHER_PERSON, 0.002},
        {SYNTH_E_NHS_WRONG_DIGIT, 0.003}, {SYNTH_E_NHS_TRANSPOSED, 0.002},
        {SYNTH_E_FORENAME_MISSING, 0.005}, {SYNTH_E_FORENAME_PLACEHOLDER, 0.3},
        {SYNTH_E_FORENAME_NICKNAME, 0.04}, {SYNTH_E_FORENAME_MIDDLE, 0.005},
        {SYNTH_E_FORENAME_TRANSLIT, 0.08}, {SYNTH_E_FORENAME_PHONETIC, 0.02},
        {SYNTH_E_FORENAME_TYPO, 0.02},
        {SYNTH_E_SURNAME_MISSING, 0.003}, {SYNTH_E_SURNAME_STALE, 0.3},
        {SYNTH_E_SURNAME_PARTIAL, 0.2}, {SYNTH_E_SURNAME_TRANSLIT, 0.06},
        {SYNTH_E_SURNAME_PHONETIC, 0.015}, {SYNTH_E_SURNAME_TYPO, 0.015},
        {SYNTH_E_NAME_SWAP, 0.005},
        {SYNTH_E_DOB_MISSING, 0.002}, {SYNTH_E_DOB_DAY_MONTH, 0.005},
        {SYNTH_E_DOB_WRONG_DIGIT, 0.006}, {SYNTH_E_DOB_ESTIMATED, 0.002},
        {SYNTH_E_SEX_MISSING, 0.005}, {SYNTH_E_SEX_WRONG, 0.002},
        {SYNTH_E_POSTCODE_MISSING, 0.03}, {SYNTH_E_POSTCODE_STALE, 0.25},
        {SYNTH_E_POSTCODE_TYPO, 0.01},
        {SYNTH_E_ETHNICITY_MISSING, 0.15}, {SYNTH_E_ETHNICITY_DIFFERENT, 0.08});
    SET(p, SYNTH_SRC_CAMHS, 0.7,
        {SYNTH_E_NHS_MISSING, 0.03}, {SYNTH_E_NHS_OTHER_PERSON, 0.001},
        {SYNTH_E_NHS_WRONG_DIGIT, 0.002}, {SYNTH_E_NHS_TRANSPOSED, 0.001},
        {SYNTH_E_FORENAME_MISSING, 0.002}, {SYNTH_E_FORENAME_NICKNAME, 0.05},
        {SYNTH_E_FORENAME_MIDDLE, 0.01}, {SYNTH_E_FORENAME_TRANSLIT, 0.06},
        {SYNTH_E_FORENAME_PHONETIC, 0.01}, {SYNTH_E_FORENAME_TYPO, 0.01},
        {SYNTH_E_SURNAME_MISSING, 0.002}, {SYNTH_E_SURNAME_STALE, 0.2},
        {SYNTH_E_SURNAME_PARTIAL, 0.2}, {SYNTH_E_SURNAME_TRANSLIT, 0.05},
        {SYNTH_E_SURNAME_PHONETIC, 0.008}, {SYNTH_E_SURNAME_TYPO, 0.008},
        {SYNTH_E_NAME_SWAP, 0.002},
        {SYNTH_E_DOB_MISSING, 0.001}, {SYNTH_E_DOB_DAY_MONTH, 0.003},
        {SYNTH_E_DOB_WRONG_DIGIT, 0.003}, {SYNTH_E_DOB_ESTIMATED, 0.001},
        {SYNTH_E_SEX_MISSING, 0.005}, {SYNTH_E_SEX_WRONG, 0.003},
        {SYNTH_E_POSTCODE_MISSING, 0.01}, {SYNTH_E_POSTCODE_STALE, 0.15},
        {SYNTH_E_POSTCODE_TYPO, 0.005},
        {SYNTH_E_ETHNICITY_MISSING, 0.1}, {SYNTH_E_ETHNICITY_DIFFERENT, 0.05});
    SET(p, SYNTH_SRC_NPD_CENSUS, 0.85,
        {SYNTH_E_UPN_MISSING, 0.002}, {SYNTH_E_UPN_TEMPORARY, 0.004},
        {SYNTH_E_UPN_WRONG_DIGIT, 0.001},
        {SYNTH_E_FORENAME_MISSING, 0.0005}, {SYNTH_E_FORENAME_NICKNAME, 0.03},
        {SYNTH_E_FORENAME_MIDDLE, 0.01}, {SYNTH_E_FORENAME_TRANSLIT, 0.04},
        {SYNTH_E_FORENAME_PHONETIC, 0.008}, {SYNTH_E_FORENAME_TYPO, 0.005},
        {SYNTH_E_SURNAME_MISSING, 0.0005}, {SYNTH_E_SURNAME_STALE, 0.15},
        {SYNTH_E_SURNAME_PARTIAL, 0.25}, {SYNTH_E_SURNAME_TRANSLIT, 0.04},
        {SYNTH_E_SURNAME_PHONETIC, 0.005}, {SYNTH_E_SURNAME_TYPO, 0.005},
        {SYNTH_E_NAME_SWAP, 0.001},
        {SYNTH_E_DOB_DAY_MONTH, 0.002}, {SYNTH_E_DOB_WRONG_DIGIT, 0.002},
        {SYNTH_E_DOB_ESTIMATED, 0.001},
        {SYNTH_E_SEX_MISSING, 0.0005}, {SYNTH_E_SEX_WRONG, 0.0005},
        {SYNTH_E_POSTCODE_MISSING, 0.005}, {SYNTH_E_POSTCODE_STALE, 0.1},
        {SYNTH_E_POSTCODE_TYPO, 0.003},
        {SYNTH_E_ETHNICITY_MISSING, 0.03}, {SYNTH_E_ETHNICITY_DIFFERENT, 0.03});
    for (int s = SYNTH_SRC_NPD_ABSENCE; s <= SYNTH_SRC_NPD_EXCLUSIONS; s++)
        SET(p, (synth_source)s, 0.7,
            {SYNTH_E_UPN_MISSING, 0.003}, {SYNTH_E_UPN_TEMPORARY, 0.003},
            {SYNTH_E_UPN_WRONG_DIGIT, 0.002},
            {SYNTH_E_FORENAME_MISSING, 0.001}, {SYNTH_E_FORENAME_NICKNAME, 0.03},
            {SYNTH_E_FORENAME_MIDDLE, 0.01}, {SYNTH_E_FORENAME_TRANSLIT, 0.04},
            {SYNTH_E_FORENAME_PHONETIC, 0.01}, {SYNTH_E_FORENAME_TYPO, 0.008},
            {SYNTH_E_SURNAME_MISSING, 0.001}, {SYNTH_E_SURNAME_STALE, 0.2},
            {SYNTH_E_SURNAME_PARTIAL, 0.25}, {SYNTH_E_SURNAME_TRANSLIT, 0.04},
            {SYNTH_E_SURNAME_PHONETIC, 0.008}, {SYNTH_E_SURNAME_TYPO, 0.008},
            {SYNTH_E_NAME_SWAP, 0.002},
            {SYNTH_E_DOB_MISSING, 0.001}, {SYNTH_E_DOB_DAY_MONTH, 0.003},
            {SYNTH_E_DOB_WRONG_DIGIT, 0.003}, {SYNTH_E_DOB_ESTIMATED, 0.001},
            {SYNTH_E_SEX_MISSING, 0.001}, {SYNTH_E_SEX_WRONG, 0.001},
            {SYNTH_E_POSTCODE_MISSING, 0.02}, {SYNTH_E_POSTCODE_STALE, 0.15},
            {SYNTH_E_POSTCODE_TYPO, 0.005});
    SET(p, SYNTH_SRC_CSC_CIN, 0.7,
        {SYNTH_E_NHS_MISSING, 0.45}, {SYNTH_E_NHS_OTHER_PERSON, 0.005},
        {SYNTH_E_NHS_WRONG_DIGIT, 0.005}, {SYNTH_E_NHS_TRANSPOSED, 0.003},
        {SYNTH_E_UPN_MISSING, 0.4}, {SYNTH_E_UPN_TEMPORARY, 0.01},
        {SYNTH_E_UPN_WRONG_DIGIT, 0.005},
        {SYNTH_E_FORENAME_MISSING, 0.005}, {SYNTH_E_FORENAME_PLACEHOLDER, 0.3},
        {SYNTH_E_FORENAME_NICKNAME, 0.05}, {SYNTH_E_FORENAME_MIDDLE, 0.01},
        {SYNTH_E_FORENAME_TRANSLIT, 0.08}, {SYNTH_E_FORENAME_PHONETIC, 0.02},
        {SYNTH_E_FORENAME_TYPO, 0.015},
        {SYNTH_E_SURNAME_MISSING, 0.005}, {SYNTH_E_SURNAME_STALE, 0.3},
        {SYNTH_E_SURNAME_PARTIAL, 0.25}, {SYNTH_E_SURNAME_TRANSLIT, 0.06},
        {SYNTH_E_SURNAME_PHONETIC, 0.015}, {SYNTH_E_SURNAME_TYPO, 0.015},
        {SYNTH_E_NAME_SWAP, 0.005},
        {SYNTH_E_DOB_MISSING, 0.005}, {SYNTH_E_DOB_DAY_MONTH, 0.005},
        {SYNTH_E_DOB_WRONG_DIGIT, 0.005}, {SYNTH_E_DOB_ESTIMATED, 0.02},
        {SYNTH_E_SEX_MISSING, 0.01}, {SYNTH_E_SEX_WRONG, 0.002},
        {SYNTH_E_POSTCODE_MISSING, 0.03}, {SYNTH_E_POSTCODE_STALE, 0.2},
        {SYNTH_E_POSTCODE_TYPO, 0.01},
        {SYNTH_E_ETHNICITY_MISSING, 0.06}, {SYNTH_E_ETHNICITY_DIFFERENT, 0.05});
    SET(p, SYNTH_SRC_CSC_CLA, 0.8,
        {SYNTH_E_NHS_MISSING, 0.35}, {SYNTH_E_NHS_OTHER_PERSON, 0.003},
        {SYNTH_E_NHS_WRONG_DIGIT, 0.004}, {SYNTH_E_NHS_TRANSPOSED, 0.002},
        {SYNTH_E_UPN_MISSING, 0.3}, {SYNTH_E_UPN_TEMPORARY, 0.01},
        {SYNTH_E_UPN_WRONG_DIGIT, 0.004},
        {SYNTH_E_FORENAME_MISSING, 0.003}, {SYNTH_E_FORENAME_PLACEHOLDER, 0.2},
        {SYNTH_E_FORENAME_NICKNAME, 0.04}, {SYNTH_E_FORENAME_MIDDLE, 0.01},
        {SYNTH_E_FORENAME_TRANSLIT, 0.06}, {SYNTH_E_FORENAME_PHONETIC, 0.015},
        {SYNTH_E_FORENAME_TYPO, 0.01},
        {SYNTH_E_SURNAME_MISSING, 0.003}, {SYNTH_E_SURNAME_STALE, 0.3},
        {SYNTH_E_SURNAME_PARTIAL, 0.25}, {SYNTH_E_SURNAME_TRANSLIT, 0.05},
        {SYNTH_E_SURNAME_PHONETIC, 0.01}, {SYNTH_E_SURNAME_TYPO, 0.01},
        {SYNTH_E_NAME_SWAP, 0.004},
        {SYNTH_E_DOB_MISSING, 0.002}, {SYNTH_E_DOB_DAY_MONTH, 0.004},
        {SYNTH_E_DOB_WRONG_DIGIT, 0.004}, {SYNTH_E_DOB_ESTIMATED, 0.015},
        {SYNTH_E_SEX_MISSING, 0.005}, {SYNTH_E_SEX_WRONG, 0.002},
        {SYNTH_E_POSTCODE_MISSING, 0.02}, {SYNTH_E_POSTCODE_STALE, 0.2},
        {SYNTH_E_POSTCODE_TYPO, 0.008},
        {SYNTH_E_ETHNICITY_MISSING, 0.04}, {SYNTH_E_ETHNICITY_DIFFERENT, 0.04});
}
#undef SET

void synth_params_default(synth_params *p)
{
    memset(p, 0, sizeof *p);
    p->children = 20000;
    p->seed = 1;
    p->first_year = 2005;
    p->last_year = 2020;
    p->follow_up_end = 0;   /* 31 March, four years after last_year */
    p->areas = 10;
    p->small_areas_per_la = 0;
    p->error_scale = 1.0;

    p->family_size[0] = 0.30;
    p->family_size[1] = 0.40;
    p->family_size[2] = 0.20;
    p->family_size[3] = 0.10;
    p->twin_rate = 0.015;
    p->move_rate = 0.08;
    p->move_within_la = 0.8;
    p->surname_change_rate = 0.006;
    p->double_barrelled_rate = 0.03;
    p->middle_name_rate = 0.7;
    p->muhammad_rate = 0.2;
    p->preferred_forename_rate = 0.15;
    p->independent_school_rate = 0.05;
    p->emigration_rate = 0.004;
    p->hospital_birth_rate = 0.975;
    p->adoption_new_nhs_number = 1.0;

    static const double share[SYNTH_N_ETHNIC] = {
        0.635, 0.003, 0.002, 0.005, 0.074, 0.015, 0.009, 0.018, 0.026,
        0.038, 0.048, 0.019, 0.019, 0.011, 0.041, 0.008, 0.007, 0.022,
    };
    static const double abroad[SYNTH_N_ETHNIC] = {
        0.005, 0.05, 0.01, 0.25, 0.30, 0.005, 0.03, 0.02, 0.04,
        0.08, 0.04, 0.03, 0.20, 0.02, 0.15, 0.10, 0.15, 0.25,
    };
    memcpy(p->ethnic_share, share, sizeof share);
    memcpy(p->born_abroad, abroad, sizeof abroad);

    p->asthma = 0.06;
    p->downs_syndrome = 0.0012;
    p->epilepsy = 0.005;
    p->type1_diabetes = 0.002;
    p->cerebral_palsy = 0.002;
    p->cystic_fibrosis = 0.0004;
    p->sickle_cell = 0.003;
    p->autism = 0.015;
    p->leukaemia = 0.0005;

    p->emergency_rate_infant = 0.15;
    p->emergency_rate_preschool = 0.055;
    p->emergency_rate_school = 0.03;
    p->elective_rate = 0.015;
    p->ed_rate_infant = 0.45;
    p->ed_rate_preschool = 0.3;
    p->ed_rate_school = 0.2;
    p->camhs_rate_age5 = 0.004;
    p->camhs_rate_age17 = 0.025;
    p->cin_family_rate = 0.012;
    p->cin_deprivation_rate_ratio = 4.0;
    p->cla_given_cin = 0.08;
    p->suspension_rate_primary = 0.01;
    p->suspension_rate_secondary = 0.05;
    p->permanent_exclusion_rate = 0.001;
    p->absence_rate = 0.045;
    p->unauthorised_share = 0.25;
    p->fsm_most_deprived = 0.40;
    p->fsm_least_deprived = 0.04;
    p->sen_support_rate = 0.11;
    p->ehcp_rate = 0.025;

    p->asthma_absence_rate_ratio = 1.5;
    p->secondary_absence_rate_ratio = 1.35;
    p->secondary_camhs_rate_ratio = 2.0;
    p->deprivation_admission_rate_ratio = 1.8;
    p->cin_ks2_scaled_score_drop = 3.0;
    p->cin_attainment8_drop = 8.0;
    p->downs_ehcp_year_group = 0;
    p->downs_ehcp_delay_years = 3;

    default_errors(p);
    static const double name_mult[SYNTH_N_ORIGINS] = {1.0, 1.5, 1.5, 1.5, 1.3, 2.0, 1.8, 1.3, 1.6};
    static const double swap_mult[SYNTH_N_ORIGINS] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 2.0, 5.0, 1.0};
    memcpy(p->name_error_multiplier, name_mult, sizeof name_mult);
    memcpy(p->name_swap_multiplier, swap_mult, sizeof swap_mult);
    p->abroad_nhs_multiplier = 3.0;
    p->abroad_dob_multiplier = 3.0;
}

void synth_la_code(int la, char *out)
{
    /* ONS-style codes in a range no real authority uses: unitary (E06),
     * metropolitan (E08) and London (E09) in turn. */
    static const char types[3] = {'6', '8', '9'};
    unsigned n = (unsigned)(la + 1) % 100000u;
    out[0] = 'E';
    out[1] = '0';
    out[2] = types[la % 3];
    out[3] = '9';
    for (int i = 8; i >= 4; i--) {
        out[i] = (char)('0' + n % 10);
        n /= 10;
    }
    out[9] = '\0';
}

/* --------------------------------------------------------- reading JSON */

static cl_status bad(cl_error *err, const char *path, const char *fmt, const char *a,
                     const char *b)
{
    return cl_error_set(err, CL_EINVAL, path, 0, fmt, a, b);
}

static int origin_index(const char *name)
{
    for (int o = 0; o < SYNTH_N_ORIGINS; o++)
        if (strcmp(synth_origin_name((synth_origin)o), name) == 0)
            return o;
    return -1;
}

/* A number in [min, max], quantised; else a message naming section.key. */
static cl_status read_number(json_t *v, double min, double max, double *out, const char *path,
                             const char *section, const char *key, cl_error *err)
{
    if (!json_is_number(v))
        return cl_error_set(err, CL_EINVAL, path, 0, "parameter %s%s%s must be a number",
                            section, section[0] ? "." : "", key);
    double x = json_number_value(v);
    if (!(x >= min && x <= max))
        return cl_error_set(err, CL_EINVAL, path, 0,
                            "parameter %s%s%s is out of range (%g given, allowed %g to %g)",
                            section, section[0] ? "." : "", key, x, min, max);
    *out = quantise(x);
    return CL_OK;
}

static cl_status read_errors(synth_params *p, json_t *errors, const char *path, cl_error *err)
{
    const char *src_name, *key;
    json_t *src, *v;
    if (!json_is_object(errors))
        return bad(err, path, "parameter errors must be an object of sources%s%s", "", "");
    json_object_foreach(errors, src_name, src) {
        int s = 0;
        while (s < SYNTH_N_SOURCES && strcmp(synth_source_names[s], src_name) != 0)
            s++;
        if (s == SYNTH_N_SOURCES)
            return bad(err, path, "unknown source \"%s\" in errors%s", src_name, "");
        if (!json_is_object(src))
            return bad(err, path, "parameter errors.%s must be an object%s", src_name, "");
        json_object_foreach(src, key, v) {
            char section[64];
            snprintf(section, sizeof section, "errors.%s", src_name);
            if (strcmp(key, "persistence") == 0) {
                cl_status st = read_number(v, 0, 1, &p->persistence[s], path, section, key, err);
                if (st != CL_OK)
                    return st;
                continue;
            }
            int k = 0;
            while (k < SYNTH_N_KINDS && strcmp(synth_kind_names[k], key) != 0)
                k++;
            if (k == SYNTH_N_KINDS)
                return bad(err, path, "unknown error kind \"%s\" in errors.%s", key, src_name);
            if (!(synth_source_fields[s] & (1u << synth_kind_field[k])))
                return bad(err, path, "error kind \"%s\" does not apply to %s: the source "
                           "has no such identifier", key, src_name);
            cl_status st = read_number(v, 0, 1, &p->error_rate[s][k], path, section, key, err);
            if (st != CL_OK)
                return st;
        }
    }
    return CL_OK;
}

static cl_status read_origin_map(double *values, json_t *obj, const char *path,
                                 const char *section, cl_error *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return bad(err, path, "parameter %s must be an object of name origins%s", section, "");
    json_object_foreach(obj, key, v) {
        int o = origin_index(key);
        if (o < 0)
            return bad(err, path, "unknown name origin \"%s\" in %s", key, section);
        cl_status st = read_number(v, 0, 100, &values[o], path, section, key, err);
        if (st != CL_OK)
            return st;
    }
    return CL_OK;
}

static cl_status read_ethnic(synth_params *p, json_t *obj, const char *path, cl_error *err)
{
    const char *code, *key;
    json_t *group, *v;
    if (!json_is_object(obj))
        return bad(err, path, "parameter ethnic_groups must be an object%s%s", "", "");
    json_object_foreach(obj, code, group) {
        int e = 0;
        while (e < SYNTH_N_ETHNIC && strcmp(synth_ethnic_dfe[e], code) != 0)
            e++;
        if (e == SYNTH_N_ETHNIC)
            return bad(err, path, "unknown ethnic group \"%s\" (use the DfE codes, e.g. "
                       "WBRI)%s", code, "");
        if (!json_is_object(group))
            return bad(err, path, "parameter ethnic_groups.%s must be an object%s", code, "");
        json_object_foreach(group, key, v) {
            char section[40];
            snprintf(section, sizeof section, "ethnic_groups.%s", code);
            double *slot = strcmp(key, "share") == 0         ? &p->ethnic_share[e]
                           : strcmp(key, "born_abroad") == 0 ? &p->born_abroad[e]
                                                             : NULL;
            if (slot == NULL)
                return bad(err, path, "unknown parameter \"%s\" in ethnic_groups.%s", key, code);
            cl_status st = read_number(v, 0, 1, slot, path, section, key, err);
            if (st != CL_OK)
                return st;
        }
    }
    return CL_OK;
}

static cl_status read_late_las(synth_params *p, json_t *list, const char *path, cl_error *err)
{
    size_t i;
    json_t *v;
    if (!json_is_array(list))
        return bad(err, path, "parameter effects.late_sen_las must be a list of local "
                   "authority codes%s%s", "", "");
    memset(p->late_sen, 0, sizeof p->late_sen);
    json_array_foreach(list, i, v) {
        const char *code = json_string_value(v);
        int la = 0;
        char buf[10];
        for (; code != NULL && la < SYNTH_MAX_LAS; la++) {
            synth_la_code(la, buf);
            if (strcmp(buf, code) == 0)
                break;
        }
        if (code == NULL || la == SYNTH_MAX_LAS)
            return bad(err, path, "effects.late_sen_las: \"%s\" is not a local authority "
                       "code of the generator (see areas.csv)%s", code ? code : "?", "");
        p->late_sen[la] = 1;
    }
    p->late_sen_given = 1;
    return CL_OK;
}

static cl_status read_date(json_t *v, int32_t *out, const char *path, cl_error *err)
{
    const char *s = json_string_value(v);
    int32_t day;
    cl_date_options opt = {CL_DATE_ISO, 0, 0, 1900};
    opt.today = cl_date_from_ymd(2200, 12, 31);
    if (s == NULL || cl_date_parse(s, strlen(s), &opt, &day, NULL) != CL_CHECK_VALID)
        return bad(err, path, "parameter follow_up_end must be a date as \"yyyy-mm-dd\"%s%s",
                   "", "");
    *out = day;
    return CL_OK;
}

static cl_status read_integer(json_t *v, long long min, long long max, long long *out,
                              const char *path, const char *key, cl_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return cl_error_set(err, CL_EINVAL, path, 0,
                            "parameter %s must be a whole number from %lld to %lld", key, min,
                            max);
    *out = json_integer_value(v);
    return CL_OK;
}

static cl_status read_top(synth_params *p, const char *key, json_t *v, int apply,
                          const char *path, cl_error *err)
{
    long long x = 0;
    double d = 0;
    int32_t day = 0;
    cl_status st;
    if (strcmp(key, "format") == 0) {
        if (!json_is_string(v) || strcmp(json_string_value(v), PARAMS_FORMAT) != 0)
            return bad(err, path, "\"format\" must be \"%s\"%s", PARAMS_FORMAT, "");
        return CL_OK;
    }
    if (strcmp(key, "childlink_version") == 0 || strcmp(key, "description") == 0)
        return CL_OK;   /* informative only */
    if (strcmp(key, "children") == 0) {
        if ((st = read_integer(v, 1, 100000000, &x, path, key, err)) == CL_OK && apply)
            p->children = (long)x;
    } else if (strcmp(key, "seed") == 0) {
        if ((st = read_integer(v, 0, INT64_MAX, &x, path, key, err)) == CL_OK && apply)
            p->seed = (uint64_t)x;
    } else if (strcmp(key, "first_year") == 0) {
        if ((st = read_integer(v, 1950, 2100, &x, path, key, err)) == CL_OK && apply)
            p->first_year = (int)x;
    } else if (strcmp(key, "last_year") == 0) {
        if ((st = read_integer(v, 1950, 2100, &x, path, key, err)) == CL_OK && apply)
            p->last_year = (int)x;
    } else if (strcmp(key, "areas") == 0) {
        if ((st = read_integer(v, 1, SYNTH_MAX_LAS, &x, path, key, err)) == CL_OK && apply)
            p->areas = (int)x;
    } else if (strcmp(key, "small_areas_per_la") == 0) {
        if ((st = read_integer(v, 0, 2000, &x, path, key, err)) == CL_OK)
            p->small_areas_per_la = (int)x;
    } else if (strcmp(key, "error_scale") == 0) {
        if ((st = read_number(v, 0, 100, &d, path, "", key, err)) == CL_OK && apply)
            p->error_scale = d;
    } else if (strcmp(key, "follow_up_end") == 0) {
        if ((st = read_date(v, &day, path, err)) == CL_OK)
            p->follow_up_end = day;
    } else {
        st = bad(err, path, "unknown parameter \"%s\"%s", key, "");
    }
    return st;
}

static cl_status apply_json(synth_params *p, json_t *root, int apply_top, const char *path,
                            cl_error *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return bad(err, path, "a parameters file must hold one JSON object%s%s", "", "");
    json_object_foreach(root, key, v) {
        cl_status st = CL_OK;
        if (strcmp(key, "errors") == 0) {
            st = read_errors(p, v, path, err);
        } else if (strcmp(key, "ethnic_groups") == 0) {
            st = read_ethnic(p, v, path, err);
        } else if (json_is_object(v) &&
                   (strcmp(key, "population") == 0 || strcmp(key, "prevalence") == 0 ||
                    strcmp(key, "service_rates") == 0 || strcmp(key, "effects") == 0 ||
                    strcmp(key, "error_multipliers") == 0)) {
            const char *inner;
            json_t *iv;
            json_object_foreach(v, inner, iv) {
                if (strcmp(key, "effects") == 0 && strcmp(inner, "late_sen_las") == 0) {
                    st = read_late_las(p, iv, path, err);
                } else if (strcmp(key, "error_multipliers") == 0 &&
                           strcmp(inner, "name_errors_by_origin") == 0) {
                    st = read_origin_map(p->name_error_multiplier, iv, path,
                                         "error_multipliers.name_errors_by_origin", err);
                } else if (strcmp(key, "error_multipliers") == 0 &&
                           strcmp(inner, "name_swap_by_origin") == 0) {
                    st = read_origin_map(p->name_swap_multiplier, iv, path,
                                         "error_multipliers.name_swap_by_origin", err);
                } else {
                    size_t i = 0;
                    while (i < N_PARAMS && !(strcmp(param_table[i].section, key) == 0 &&
                                             strcmp(param_table[i].key, inner) == 0))
                        i++;
                    if (i == N_PARAMS)
                        return bad(err, path, "unknown parameter \"%s\" in %s", inner, key);
                    st = read_number(iv, param_table[i].min, param_table[i].max,
                                     param_ptr(p, &param_table[i]), path, key, inner, err);
                }
                if (st != CL_OK)
                    return st;
            }
        } else if (json_is_object(v) || json_is_array(v)) {
            st = bad(err, path, "unknown parameter section \"%s\"%s", key, "");
        } else {
            st = read_top(p, key, v, apply_top, path, err);
        }
        if (st != CL_OK)
            return st;
    }
    return CL_OK;
}

cl_status synth_params_apply_file(synth_params *p, const char *path, int top_level,
                                  cl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cl_error_set(err, CL_EIO, path, 0, "cannot read parameters file: %s",
                            strerror(errno));
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (root == NULL)
        return cl_error_set(err, CL_EFORMAT, path, jerr.line,
                            "parameters file is not valid JSON: %s", jerr.text);
    synth_params scratch = *p;
    cl_status st = apply_json(&scratch, root, top_level, path, err);
    json_decref(root);
    if (st == CL_OK)
        *p = scratch;
    return st;
}

cl_status synth_params_finish(synth_params *p, cl_error *err)
{
    if (p->children < 1)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the number of children must be at "
                            "least 1 (%ld given)", p->children);
    if (p->first_year > p->last_year)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "first birth year %d is after the last "
                            "birth year %d", p->first_year, p->last_year);
    if (p->first_year < 1950 || p->last_year > 2100)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "birth years must lie in 1950-2100");
    if (p->areas < 1 || p->areas > SYNTH_MAX_LAS)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the number of local authorities must be "
                            "1 to %d (%d given)", SYNTH_MAX_LAS, p->areas);
    if (!(p->error_scale >= 0 && p->error_scale <= 100))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the error scale must be 0 to 100");
    if (p->follow_up_end == 0)
        p->follow_up_end = cl_date_from_ymd(p->last_year + 4, 3, 31);
    if (p->follow_up_end < cl_date_from_ymd(p->last_year, 12, 31))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "follow_up_end must not be before the end "
                            "of the last birth year");
    double family = 0, ethnic = 0;
    for (int i = 0; i < 4; i++)
        family += p->family_size[i];
    for (int e = 0; e < SYNTH_N_ETHNIC; e++)
        ethnic += p->ethnic_share[e];
    if (!(family > 0))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "population.family_size_* must not all "
                            "be 0");
    if (!(ethnic > 0))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "ethnic_groups.*.share must not all be 0");
    for (int s = 0; s < SYNTH_N_SOURCES; s++) {
        double sum[SYNTH_N_FIELDS] = {0};
        for (int k = 0; k < SYNTH_N_KINDS; k++)
            sum[synth_kind_field[k]] += p->error_rate[s][k];
        for (int f = 0; f < SYNTH_N_FIELDS; f++)
            if (sum[f] > 1.0 + 1e-9)
                return cl_error_set(err, CL_EINVAL, NULL, 0,
                                    "errors.%s: the rates of the errors of one identifier "
                                    "(e.g. all forename_*) must add up to at most 1",
                                    synth_source_names[s]);
    }
    for (int la = p->areas; la < SYNTH_MAX_LAS; la++)
        if (p->late_sen[la]) {
            char code[10];
            synth_la_code(la, code);
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "effects.late_sen_las names %s, but there are only %d local "
                                "authorities", code, p->areas);
        }
    if (!p->late_sen_given) {
        /* Every third authority is late by default: enough to see a
         * postcode lottery, few enough that "on time" is the norm. */
        memset(p->late_sen, 0, sizeof p->late_sen);
        for (int la = 0; la < p->areas; la++)
            p->late_sen[la] = la % 3 == 2;
    }
    return CL_OK;
}

double synth_effective_rate(const synth_params *p, synth_source s, synth_kind kind,
                            synth_origin o, int born_abroad)
{
    double rate = p->error_rate[s][kind] * p->error_scale;
    switch (kind) {
    case SYNTH_E_FORENAME_PHONETIC:
    case SYNTH_E_FORENAME_TYPO:
    case SYNTH_E_SURNAME_PHONETIC:
    case SYNTH_E_SURNAME_TYPO:
        rate *= p->name_error_multiplier[o];
        break;
    case SYNTH_E_NAME_SWAP:
        rate *= p->name_swap_multiplier[o];
        break;
    case SYNTH_E_NHS_MISSING:
        if (born_abroad)
            rate *= p->abroad_nhs_multiplier;
        break;
    case SYNTH_E_DOB_DAY_MONTH:
    case SYNTH_E_DOB_ESTIMATED:
        if (born_abroad)
            rate *= p->abroad_dob_multiplier;
        break;
    default:
        break;
    }
    return rate > 1.0 ? 1.0 : rate;
}

/* --------------------------------------------------------- writing JSON */

size_t synth_fmt_nano(char *out, int64_t nano)
{
    char digits[24];
    size_t n = 0;
    int negative = nano < 0;
    uint64_t v = negative ? (uint64_t)(-nano) : (uint64_t)nano;
    uint64_t whole = v / 1000000000u, frac = v % 1000000000u;
    if (negative)
        out[n++] = '-';
    n += synth_fmt_long(out + n, (long long)whole);
    if (frac != 0) {
        int width = 9;
        while (frac % 10 == 0) {
            frac /= 10;
            width--;
        }
        for (int i = width - 1; i >= 0; i--) {
            digits[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        out[n++] = '.';
        memcpy(out + n, digits, (size_t)width);
        n += (size_t)width;
    }
    out[n] = '\0';
    return n;
}

static void put_number(FILE *f, double x)
{
    char buf[40];
    synth_fmt_nano(buf, to_nano(x));
    fputs(buf, f);
}

cl_status synth_params_write(const synth_params *p, FILE *f)
{
    char buf[40], date[12];
    fprintf(f, "{\n  \"format\": \"%s\",\n  \"childlink_version\": \"%s\",\n", PARAMS_FORMAT,
            CL_VERSION);
    synth_fmt_long(buf, (long long)p->seed);
    fprintf(f, "  \"seed\": %s,\n  \"children\": %ld,\n", buf, p->children);
    fprintf(f, "  \"first_year\": %d,\n  \"last_year\": %d,\n", p->first_year, p->last_year);
    synth_fmt_iso(date, p->follow_up_end);
    fprintf(f, "  \"follow_up_end\": \"%s\",\n", date);
    fprintf(f, "  \"areas\": %d,\n  \"small_areas_per_la\": %d,\n", p->areas,
            p->small_areas_per_la);
    fputs("  \"error_scale\": ", f);
    put_number(f, p->error_scale);
    fputs(",\n", f);

    const char *section = NULL;
    for (size_t i = 0; i < N_PARAMS; i++) {
        const param_desc *d = &param_table[i];
        if (section == NULL || strcmp(section, d->section) != 0) {
            if (section != NULL) {
                if (strcmp(section, "effects") == 0) {
                    fputs(",\n    \"late_sen_las\": [", f);
                    int first = 1;
                    for (int la = 0; la < p->areas; la++)
                        if (p->late_sen[la]) {
                            synth_la_code(la, buf);
                            fprintf(f, "%s\"%s\"", first ? "" : ", ", buf);
                            first = 0;
                        }
                    fputs("]", f);
                }
                fputs("\n  },\n", f);
            }
            section = d->section;
            if (strcmp(section, "error_multipliers") == 0) {
                /* Ethnic groups and per-source errors sit before the
                 * multipliers that adjust them. */
                fputs("  \"ethnic_groups\": {\n", f);
                for (int e = 0; e < SYNTH_N_ETHNIC; e++) {
                    fprintf(f, "    \"%s\": {\"share\": ", synth_ethnic_dfe[e]);
                    put_number(f, p->ethnic_share[e]);
                    fputs(", \"born_abroad\": ", f);
                    put_number(f, p->born_abroad[e]);
                    fprintf(f, "}%s\n", e + 1 < SYNTH_N_ETHNIC ? "," : "");
                }
                fputs("  },\n  \"errors\": {\n", f);
                for (int s = 0; s < SYNTH_N_SOURCES; s++) {
                    fprintf(f, "    \"%s\": {\n      \"persistence\": ", synth_source_names[s]);
                    put_number(f, p->persistence[s]);
                    for (int k = 0; k < SYNTH_N_KINDS; k++) {
                        if (!(synth_source_fields[s] & (1u << synth_kind_field[k])))
                            continue;
                        fprintf(f, ",\n      \"%s\": ", synth_kind_names[k]);
                        put_number(f, p->error_rate[s][k]);
                    }
                    fprintf(f, "\n    }%s\n", s + 1 < SYNTH_N_SOURCES ? "," : "");
                }
                fputs("  },\n", f);
            }
            fprintf(f, "  \"%s\": {\n", section);
        } else {
            fputs(",\n", f);
        }
        fprintf(f, "    \"%s\": ", d->key);
        put_number(f, *param_cptr(p, d));
    }
    fputs(",\n    \"name_errors_by_origin\": {", f);
    for (int o = 0; o < SYNTH_N_ORIGINS; o++) {
        fprintf(f, "%s\"%s\": ", o ? ", " : "", synth_origin_name((synth_origin)o));
        put_number(f, p->name_error_multiplier[o]);
    }
    fputs("},\n    \"name_swap_by_origin\": {", f);
    for (int o = 0; o < SYNTH_N_ORIGINS; o++) {
        fprintf(f, "%s\"%s\": ", o ? ", " : "", synth_origin_name((synth_origin)o));
        put_number(f, p->name_swap_multiplier[o]);
    }
    fputs("}\n  }\n}\n", f);
    return ferror(f) ? CL_EIO : CL_OK;
}
