/*
 * synth_life.c - families, children's lives, and the records they leave.
 *
 * Generation is family by family.  A family gets, from its own seeded
 * stream, a local authority and ethnic group, a naming tradition, births
 * (with twins), perhaps an arrival from abroad, a history of addresses
 * (moves, mostly within the authority), of surnames (changes, double-barrels)
 * and of children's-social-care referrals; then each child gets a sex,
 * names, an NHS number, conditions, a latent ability and absence propensity,
 * special educational needs, and perhaps a period in care (placements, maybe
 * adoption: a new surname, address and NHS number).  Each child's records
 * are then written source by source, in the source's own columns and codes,
 * with the identifier errors of synth_errors.c, one truth.csv row per record
 * and one people.csv row per child.  Nothing about a family outlives it, so
 * memory stays flat however many children are made.
 *
 * The planted effects (docs/synthetic-data.md) are here, each in one place
 * and named after its parameter: asthma_absence_rate_ratio and
 * secondary_absence_rate_ratio in absence_rate(), secondary_camhs_rate_ratio
 * in the CAMHS hazard, deprivation_admission_rate_ratio in emergency
 * admissions, cin_* drops in attainment, downs_ehcp_* in sen_status().
 */
#include <math.h>
#include <string.h>

#include "childlink/date.h"
#include "childlink/nhs.h"
#include "childlink/upn.h"
#include "synth_internal.h"

#define NO_DAY INT32_MAX
#define MAX_PERIODS 48
#define MAX_SURNAMES 5
#define MAX_CIN 16
#define MAX_CLA 8
#define MAX_LOCAL 8
#define NAME_CAP 64

/* ------------------------------------------------------------- types */

typedef struct addr_period {
    int32_t from;
    int32_t area;
    int32_t unit;
} addr_period;

typedef struct name_period {
    int32_t from;
    char name[NAME_CAP];
    unsigned can;   /* SYNTH_CAN_SUR_* */
} name_period;

typedef struct cin_episode {
    int32_t start, end;        /* end beyond follow-up: still open */
    const char *need;
    const char *source;
    int32_t cpp_start;         /* NO_DAY: no child protection plan */
    const char *closure;
} cin_episode;

typedef struct cla_episode {
    int32_t start, end;        /* end NO_DAY: open at the end of follow-up */
    int area, unit;            /* placement address */
    const char *place, *legal, *reason_new, *reason_end;
    const char *need;          /* category of need (CIN census codes) */
} cla_episode;

typedef struct child {
    long person_id;
    int female, twin, born_abroad, independent;
    int32_t dob, entry, exit;  /* records lie in [entry, exit) */
    synth_origin forename_origin;
    char forename[NAME_CAP], middle[NAME_CAP], preferred[NAME_CAP];
    unsigned can_forename;
    char nhs[11], nhs_after_adoption[11];
    char upn[14];
    /* conditions: onset day, or NO_DAY */
    int32_t asthma, epilepsy, diabetes, autism, leukaemia;
    int downs, cerebral_palsy, cystic_fibrosis, sickle_cell;
    double ability, frailty;
    int sen_support_from, sen_support_to, ehcp_from;   /* year groups; 99 none */
    int downs_jitter;          /* 0 or 1 year later than the authority's norm */
    int32_t upn_day;           /* when the UPN was issued, or NO_DAY */
    /* social care */
    cin_episode own_cin[2];
    int n_own_cin;
    int32_t first_cin;         /* first referral day, or NO_DAY */
    cla_episode cla[MAX_CLA];
    int n_cla;
    int32_t adopted;           /* adoption day, or NO_DAY */
    /* timelines (merged from the family's, care and adoption) */
    addr_period addr[MAX_PERIODS];
    int n_addr;
    name_period surname[MAX_SURNAMES + 1];
    int n_surname;
    struct {
        int la;
        char id[16];
    } local[MAX_LOCAL];
    int n_local;
    long records;
    int moves;
    /* Computed once per child, used by every record. */
    int32_t birthday[20];      /* day of each birthday, 0th to 19th */
    uint64_t sticky_key[SYNTH_N_SOURCES];
    char id_text[24], family_text[24], birth_year_text[8];
    char dob_text[3][12];      /* by date_style */
} child;

typedef struct family {
    long id;
    synth_ethnic ethnic;
    synth_origin origin;
    int born_abroad;
    int32_t arrival;           /* NO_DAY when born here */
    int32_t start, leave;      /* leave: NO_DAY when the family stays */
    addr_period addr[MAX_PERIODS];
    int n_addr;
    name_period surname[MAX_SURNAMES];
    int n_surname;
    int feminine;              /* Polish -ska forms for girls */
    int independent;
    int fsm_year0;
    uint64_t fsm_bits;         /* bit y: eligible in academic year fsm_year0+y */
    cin_episode cin[MAX_CIN];
    int n_cin;
    char mother_nhs[11];
    const char *muhammad;      /* the family's spelling */
    int n;
    child kids[SYNTH_MAX_FAMILY];
} family;

struct synth_gen {
    const synth_params *p;
    const synth_model *m;
    const synth_names *names;
    synth_outputs *out;
    synth_errors *errors;
    synth_counts counts;
    long made;
    long families;
    uint64_t draws;            /* family draws, kept or not */
    uint64_t nhs_next, mother_next;
    uint64_t record_count[SYNTH_N_SOURCES];
    uint64_t record_key[SYNTH_N_SOURCES];
    uint32_t *local_next;      /* per LA */
    uint16_t *upn_serial;      /* per school and year of entry */
    uint32_t *upn_overflow;    /* per LA */
    int upn_year0, upn_years;
    uint32_t *ethnic_cum;      /* per LA, SYNTH_N_ETHNIC cumulative weights */
    synth_prob twin_delivery;
    int32_t first_day, last_day, end_day;
    family fam;
};

/* ------------------------------------------------------------ helpers */

static int year_of(int32_t day)
{
    int y, m, d;
    cl_date_to_ymd(day, &y, &m, &d);
    return y;
}

/* The school cohort of a birth: children born from September of year Y-1 to
 * August of year Y share a school year, and are given cohort Y.  They start
 * reception in September of Y+4 and year 7 in September of Y+11. */
static int cohort_year(int32_t dob)
{
    int y, m, d;
    cl_date_to_ymd(dob, &y, &m, &d);
    return m >= 9 ? y + 1 : y;
}

static int32_t third_thursday_of_january(int year)
{
    int32_t jan1 = cl_date_from_ymd(year, 1, 1);
    /* Day 0 (1970-01-01) was a Thursday. */
    int weekday = (int)(((jan1 % 7) + 7) % 7);   /* 0 = Thursday */
    int32_t first = jan1 + (weekday == 0 ? 0 : 7 - weekday);
    return first + 14;
}

/* A rate multiplier that is `ratio` in deprivation decile 1 and 1 in decile
 * 10, linear in between. */
static double dep_mult(double ratio, int decile)
{
    return 1.0 + (ratio - 1.0) * (double)(10 - decile) / 9.0;
}

static void copy_name(char *dst, const char *src)
{
    size_t len = strlen(src);
    if (len >= NAME_CAP)
        len = NAME_CAP - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int32_t min32(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

static int32_t max32(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

/* A valid, unique NHS number from a counter: a keyed permutation of
 * 0..299,999,999 onto 400,000,000-699,999,999, skipping bases whose check
 * digit would be 10.  Children count up from 0, mothers down from the top,
 * so the two never meet. */
static void nhs_from_counter(synth_gen *g, uint64_t *counter, int down, char out[11])
{
    const uint64_t domain = 300000000u;
    for (;;) {
        uint64_t c = down ? domain - 1 - *counter : *counter;
        (*counter)++;
        uint64_t x = c;
        do
            x = synth_permute(x, g->p->seed ^ 0x4e4853ull /* "NHS" */, 30);
        while (x >= domain);
        uint64_t base = 400000000u + x;
        char digits[10];
        for (int i = 8; i >= 0; i--) {
            digits[i] = (char)('0' + base % 10);
            base /= 10;
        }
        int check = cl_nhs_check_digit(digits);
        if (check == 10)
            continue;
        memcpy(out, digits, 9);
        out[9] = (char)('0' + check);
        out[10] = '\0';
        return;
    }
}

static uint64_t record_id(synth_gen *g, synth_source s)
{
    uint64_t n = g->record_count[s]++;
    return 100000000000ull + synth_permute(n, g->record_key[s], 36);
}

/* ------------------------------------------------------ naming traditions */

typedef struct origin_share {
    synth_origin origin;
    int permille;
} origin_share;

/* Which naming tradition a family of each ethnic group follows. */
static const origin_share origin_mix[SYNTH_N_ETHNIC][4] = {
    [SYNTH_ETH_WBRI] = {{SYNTH_ORIGIN_ENGLISH, 1000}},
    [SYNTH_ETH_WIRI] = {{SYNTH_ORIGIN_IRISH, 700}, {SYNTH_ORIGIN_ENGLISH, 300}},
    [SYNTH_ETH_WIRT] = {{SYNTH_ORIGIN_IRISH, 600}, {SYNTH_ORIGIN_ENGLISH, 400}},
    [SYNTH_ETH_WROM] = {{SYNTH_ORIGIN_EAST_EUROPEAN, 600}, {SYNTH_ORIGIN_ENGLISH, 400}},
    [SYNTH_ETH_WOTH] = {{SYNTH_ORIGIN_EAST_EUROPEAN, 700}, {SYNTH_ORIGIN_ENGLISH, 150},
                        {SYNTH_ORIGIN_ARABIC, 150}},
    [SYNTH_ETH_MWBC] = {{SYNTH_ORIGIN_ENGLISH, 1000}},
    [SYNTH_ETH_MWBA] = {{SYNTH_ORIGIN_ENGLISH, 500}, {SYNTH_ORIGIN_WEST_AFRICAN, 500}},
    [SYNTH_ETH_MWAS] = {{SYNTH_ORIGIN_ENGLISH, 500}, {SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM, 250},
                        {SYNTH_ORIGIN_INDIAN, 250}},
    [SYNTH_ETH_MOTH] = {{SYNTH_ORIGIN_ENGLISH, 600}, {SYNTH_ORIGIN_ARABIC, 200},
                        {SYNTH_ORIGIN_WEST_AFRICAN, 100}, {SYNTH_ORIGIN_CHINESE, 100}},
    [SYNTH_ETH_AIND] = {{SYNTH_ORIGIN_INDIAN, 950}, {SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM, 50}},
    [SYNTH_ETH_APKN] = {{SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM, 1000}},
    [SYNTH_ETH_ABAN] = {{SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM, 1000}},
    [SYNTH_ETH_AOTH] = {{SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM, 300}, {SYNTH_ORIGIN_INDIAN, 300},
                        {SYNTH_ORIGIN_ARABIC, 200}, {SYNTH_ORIGIN_CHINESE, 200}},
    [SYNTH_ETH_BCRB] = {{SYNTH_ORIGIN_ENGLISH, 1000}},
    [SYNTH_ETH_BAFR] = {{SYNTH_ORIGIN_WEST_AFRICAN, 650}, {SYNTH_ORIGIN_SOMALI, 300},
                        {SYNTH_ORIGIN_ARABIC, 50}},
    [SYNTH_ETH_BOTH] = {{SYNTH_ORIGIN_WEST_AFRICAN, 500}, {SYNTH_ORIGIN_ENGLISH, 400},
                        {SYNTH_ORIGIN_SOMALI, 100}},
    [SYNTH_ETH_CHNE] = {{SYNTH_ORIGIN_CHINESE, 1000}},
    [SYNTH_ETH_OOTH] = {{SYNTH_ORIGIN_ARABIC, 800}, {SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM, 100},
                        {SYNTH_ORIGIN_CHINESE, 100}},
};

static synth_origin pick_origin(synth_ethnic e, synth_rng *r)
{
    int u = (int)synth_rng_below(r, 1000);
    for (int i = 0; i < 4 && origin_mix[e][i].permille > 0; i++) {
        if (u < origin_mix[e][i].permille)
            return origin_mix[e][i].origin;
        u -= origin_mix[e][i].permille;
    }
    return origin_mix[e][0].origin;
}

static int is_mixed(synth_ethnic e)
{
    return e == SYNTH_ETH_MWBC || e == SYNTH_ETH_MWBA || e == SYNTH_ETH_MWAS ||
           e == SYNTH_ETH_MOTH;
}

static int is_black(synth_ethnic e)
{
    return e == SYNTH_ETH_BCRB || e == SYNTH_ETH_BAFR || e == SYNTH_ETH_BOTH ||
           e == SYNTH_ETH_MWBC || e == SYNTH_ETH_MWBA;
}

/* Groups that live more often in deprived areas (as in England). */
static int deprived_tilt(synth_ethnic e)
{
    return e == SYNTH_ETH_APKN || e == SYNTH_ETH_ABAN || e == SYNTH_ETH_BAFR ||
           e == SYNTH_ETH_BCRB || e == SYNTH_ETH_BOTH || e == SYNTH_ETH_WROM ||
           e == SYNTH_ETH_WIRT || e == SYNTH_ETH_MWBC;
}

/* ------------------------------------------------------------ geography */

static int pick_area(synth_gen *g, int la, synth_ethnic e, synth_rng *r)
{
    const synth_la *l = &g->m->las[la];
    int area = l->first_area;
    for (int attempt = 0; attempt < 6; attempt++) {
        area = l->first_area + (int)synth_rng_below(r, (uint32_t)l->n_areas);
        int decile = g->m->areas[area].decile;
        /* Acceptance weight in tenths: deprived areas favoured for some
         * groups, a mild lean to affluent areas for the rest. */
        int weight = deprived_tilt(e) ? 11 - decile : 5 + decile / 2;
        if ((int)synth_rng_below(r, 11) < weight)
            break;
    }
    return area;
}

static void add_address(family *f, int32_t from, int area, int unit)
{
    if (f->n_addr < MAX_PERIODS) {
        f->addr[f->n_addr].from = from;
        f->addr[f->n_addr].area = area;
        f->addr[f->n_addr].unit = unit;
        f->n_addr++;
    }
}

static const addr_period *family_address_at(const family *f, int32_t day)
{
    int i = 0;
    while (i + 1 < f->n_addr && f->addr[i + 1].from <= day)
        i++;
    return &f->addr[i];
}

static void family_moves(synth_gen *g, family *f, synth_rng *r, int32_t until)
{
    const synth_params *p = g->p;
    int la = g->m->areas[f->addr[0].area].la;
    for (int32_t year_start = f->start; year_start < until; year_start += 365) {
        const addr_period *now = &f->addr[f->n_addr - 1];
        int decile = g->m->areas[now->area].decile;
        double rate = p->move_rate * (decile <= 3 ? 1.3 : 1.0);
        if (!synth_rng_chance(r, synth_prob_of(rate)))
            continue;
        int32_t day = year_start + synth_rng_range(r, 0, 364);
        if (day >= until || day <= now->from)
            continue;
        la = g->m->areas[now->area].la;
        int area;
        if (g->m->n_las == 1 || synth_rng_chance(r, synth_prob_of(p->move_within_la))) {
            const synth_la *l = &g->m->las[la];
            if (synth_rng_below(r, 2) == 0) {
                int j = now->area - l->first_area + synth_rng_range(r, -3, 3);
                j = j < 0 ? 0 : j >= l->n_areas ? l->n_areas - 1 : j;
                area = l->first_area + j;
            } else {
                area = pick_area(g, la, f->ethnic, r);
            }
        } else {
            int other = (int)synth_rng_below(r, (uint32_t)g->m->n_las - 1);
            if (other >= la)
                other++;
            area = pick_area(g, other, f->ethnic, r);
        }
        int unit = (int)synth_rng_below(r, SYNTH_UNITS_PER_AREA);
        if (area == now->area && unit == now->unit)
            unit = (unit + 1) % SYNTH_UNITS_PER_AREA;
        add_address(f, day, area, unit);
    }
}

/* ----------------------------------------------------------- surnames */

/* Which surname variants exist, for a family of naming origin `o`. */
static unsigned surname_can(synth_gen *g, const char *name, synth_origin o)
{
    char buf[96];
    synth_rng scratch;
    unsigned can = 0;
    synth_rng_seed(&scratch, 1);
    if (synth_name_phonetic(g->names, name, &scratch, buf, sizeof buf))
        can |= SYNTH_CAN_SUR_PHONETIC;
    if (synth_origin_transliterated(o) &&
        synth_name_translit(g->names, name, o, &scratch, buf, sizeof buf))
        can |= SYNTH_CAN_SUR_TRANSLIT;
    return can;
}

static void new_surname(synth_gen *g, family *f, synth_rng *r, char *out)
{
    const char *a = synth_names_surname(g->names, f->origin, r);
    if ((f->origin == SYNTH_ORIGIN_ENGLISH || f->origin == SYNTH_ORIGIN_IRISH) &&
        synth_rng_chance(r, synth_prob_of(g->p->double_barrelled_rate))) {
        const char *b = synth_names_surname(g->names, SYNTH_ORIGIN_ENGLISH, r);
        if (strcmp(a, b) != 0 && strlen(a) + strlen(b) + 2 <= NAME_CAP) {
            size_t la = strlen(a);
            memcpy(out, a, la);
            out[la] = '-';
            memcpy(out + la + 1, b, strlen(b) + 1);
            return;
        }
    }
    copy_name(out, a);
}

static void family_surnames(synth_gen *g, family *f, synth_rng *r, int32_t until)
{
    f->n_surname = 1;
    f->surname[0].from = f->start;
    new_surname(g, f, r, f->surname[0].name);
    for (int32_t year_start = f->start + 365; year_start < until; year_start += 365) {
        if (f->n_surname == MAX_SURNAMES ||
            !synth_rng_chance(r, synth_prob_of(g->p->surname_change_rate)))
            continue;
        name_period *prev = &f->surname[f->n_surname - 1];
        name_period *next = &f->surname[f->n_surname];
        next->from = year_start + synth_rng_range(r, 0, 364);
        if (next->from >= until)
            break;
        char fresh[NAME_CAP];
        copy_name(fresh, synth_names_surname(g->names, synth_rng_below(r, 10) < 6
                                                            ? f->origin
                                                            : SYNTH_ORIGIN_ENGLISH, r));
        if (synth_rng_below(r, 4) == 0 && strchr(prev->name, '-') == NULL &&
            strlen(prev->name) + strlen(fresh) + 2 <= NAME_CAP) {
            /* A step-parent's name joined to the old one. */
            size_t lp = strlen(prev->name);
            memcpy(next->name, prev->name, lp);
            next->name[lp] = '-';
            memcpy(next->name + lp + 1, fresh, strlen(fresh) + 1);
        } else {
            copy_name(next->name, fresh);
        }
        if (strcmp(next->name, prev->name) == 0)
            continue;
        f->n_surname++;
    }
    for (int i = 0; i < f->n_surname; i++)
        f->surname[i].can = surname_can(g, f->surname[i].name, f->origin);
}

/* Polish surnames take a feminine ending for girls (Kowalski, Kowalska). */
static void feminine_form(char *name)
{
    size_t len = strlen(name);
    if (len > 3 && strcmp(name + len - 3, "ski") == 0)
        name[len - 1] = 'a';
    else if (len > 3 && strcmp(name + len - 3, "cki") == 0)
        name[len - 1] = 'a';
}

/* ---------------------------------------------------- social care codes */

static const char *pick_code(synth_rng *r, const char *const *codes, const int *permille)
{
    int u = (int)synth_rng_below(r, 1000);
    for (int i = 0; codes[i] != NULL; i++) {
        if (u < permille[i])
            return codes[i];
        u -= permille[i];
    }
    return codes[0];
}

static const char *const need_codes[] = {"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8",
                                         "N9", "N0", NULL};
static const int need_permille[] = {540, 20, 40, 100, 150, 50, 10, 30, 50, 10};
static const char *const referral_sources[] = {"5A", "2A", "3A", "1A", "3B", "6", "8", "9",
                                               "10", NULL};
static const int referral_permille[] = {300, 200, 150, 80, 80, 50, 80, 20, 40};
static const char *const closure_reasons[] = {"RC8", "RC7", "RC5", "RC3", "RC4", NULL};
static const int closure_permille[] = {300, 600, 50, 25, 25};

static void family_cin(synth_gen *g, family *f, synth_rng *r, int32_t until)
{
    const synth_params *p = g->p;
    for (int32_t year_start = f->start; year_start < until; year_start += 365) {
        int decile = g->m->areas[family_address_at(f, year_start)->area].decile;
        double rate = p->cin_family_rate * dep_mult(p->cin_deprivation_rate_ratio, decile);
        if (f->n_cin == MAX_CIN || !synth_rng_chance(r, synth_prob_of(rate)))
            continue;
        cin_episode *c = &f->cin[f->n_cin];
        c->start = year_start + synth_rng_range(r, 0, 364);
        if (c->start >= until)
            break;
        c->end = c->start + synth_rng_range(r, 30, 720);
        c->need = pick_code(r, need_codes, need_permille);
        c->source = pick_code(r, referral_sources, referral_permille);
        c->cpp_start = synth_rng_below(r, 5) == 0 && c->end - c->start > 60
                           ? c->start + synth_rng_range(r, 14, 60)
                           : NO_DAY;
        c->closure = pick_code(r, closure_reasons, closure_permille);
        f->n_cin++;
    }
}

/* ------------------------------------------------------------- children */

static const double frailty_values[8] = {0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0};
static const uint32_t frailty_cum[8] = {150, 350, 550, 700, 820, 920, 980, 1000};

static unsigned forename_can(synth_gen *g, const child *k)
{
    char buf[96];
    synth_rng scratch;
    unsigned can = 0;
    synth_rng_seed(&scratch, 2);
    if (synth_name_nickname(g->names, k->forename, &scratch, buf, sizeof buf))
        can |= SYNTH_CAN_NICKNAME;
    if (synth_name_phonetic(g->names, k->forename, &scratch, buf, sizeof buf))
        can |= SYNTH_CAN_FORE_PHONETIC;
    if (synth_origin_transliterated(k->forename_origin) &&
        synth_name_translit(g->names, k->forename, k->forename_origin, &scratch, buf,
                            sizeof buf))
        can |= SYNTH_CAN_FORE_TRANSLIT;
    return can;
}

static int sibling_has_name(const family *f, int upto, const char *name)
{
    for (int i = 0; i < upto; i++)
        if (strcmp(f->kids[i].forename, name) == 0 || strcmp(f->kids[i].middle, name) == 0)
            return 1;
    return 0;
}

static int muslim_naming(synth_origin o)
{
    return o == SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM || o == SYNTH_ORIGIN_SOMALI ||
           o == SYNTH_ORIGIN_ARABIC;
}

static void child_names(synth_gen *g, family *f, int index, synth_rng *r)
{
    const synth_params *p = g->p;
    child *k = &f->kids[index];
    int birth_year = year_of(k->dob);
    k->forename_origin = is_mixed(f->ethnic) && synth_rng_below(r, 10) < 7
                             ? SYNTH_ORIGIN_ENGLISH
                             : f->origin;
    const char *name = NULL;
    for (int attempt = 0; attempt < 8; attempt++) {
        name = synth_names_forename(g->names, k->forename_origin, k->female, birth_year, r);
        if (!sibling_has_name(f, index, name))
            break;
    }
    copy_name(k->forename, name);
    k->middle[0] = '\0';
    double middle_rate = p->middle_name_rate;
    if (k->forename_origin == SYNTH_ORIGIN_CHINESE || k->forename_origin == SYNTH_ORIGIN_SOMALI)
        middle_rate *= 0.2;
    else if (k->forename_origin != SYNTH_ORIGIN_ENGLISH &&
             k->forename_origin != SYNTH_ORIGIN_IRISH)
        middle_rate *= 0.5;
    if (!k->female && muslim_naming(k->forename_origin) &&
        synth_rng_chance(r, synth_prob_of(p->muhammad_rate))) {
        /* Muhammad first, known by the second name: the classic case of a
         * child whose records disagree on which name is the forename. */
        copy_name(k->middle, k->forename);
        copy_name(k->forename, f->muhammad);
        if (strcmp(k->middle, k->forename) == 0)
            k->middle[0] = '\0';
    } else if (synth_rng_chance(r, synth_prob_of(middle_rate))) {
        for (int attempt = 0; attempt < 4; attempt++) {
            name = synth_names_forename(g->names, k->forename_origin, k->female, birth_year, r);
            if (strcmp(name, k->forename) != 0) {
                copy_name(k->middle, name);
                break;
            }
        }
    }
    k->can_forename = forename_can(g, k);
    k->preferred[0] = '\0';
    char buf[96];
    if ((k->can_forename & SYNTH_CAN_NICKNAME) &&
        synth_rng_chance(r, synth_prob_of(p->preferred_forename_rate)) &&
        synth_name_nickname(g->names, k->forename, r, buf, sizeof buf))
        copy_name(k->preferred, buf);
}

static void child_conditions(synth_gen *g, const family *f, child *k, synth_rng *r)
{
    const synth_params *p = g->p;
    double boy = k->female ? 0.0 : 1.0;
    k->asthma = k->epilepsy = k->diabetes = k->autism = k->leukaemia = NO_DAY;
    if (synth_rng_chance(r, synth_prob_of(p->asthma * (0.75 + 0.5 * boy))))
        k->asthma = k->dob + synth_rng_range(r, 365, 9 * 365);
    k->downs = synth_rng_chance(r, synth_prob_of(p->downs_syndrome));
    if (synth_rng_chance(r, synth_prob_of(p->epilepsy)))
        k->epilepsy = k->dob + synth_rng_range(r, 30, 15 * 365);
    if (synth_rng_chance(r, synth_prob_of(p->type1_diabetes)))
        k->diabetes = k->dob + synth_rng_range(r, 2 * 365, 15 * 365);
    k->cerebral_palsy = synth_rng_chance(r, synth_prob_of(p->cerebral_palsy));
    k->cystic_fibrosis = synth_rng_chance(r, synth_prob_of(p->cystic_fibrosis));
    k->sickle_cell = is_black(f->ethnic) && synth_rng_chance(r, synth_prob_of(p->sickle_cell));
    if (synth_rng_chance(r, synth_prob_of(p->autism * (0.5 + boy))))
        k->autism = k->dob + synth_rng_range(r, 3 * 365, 10 * 365);
    if (synth_rng_chance(r, synth_prob_of(p->leukaemia)))
        k->leukaemia = k->dob + synth_rng_range(r, 2 * 365, 10 * 365);

    k->ability = synth_rng_normal(r);
    k->frailty = frailty_values[synth_rng_pick(r, frailty_cum, 8)];

    /* Special educational needs: year groups from which support or an EHC
     * plan applies; conditions that need one get it. */
    k->sen_support_from = k->sen_support_to = k->ehcp_from = 99;
    int decile = g->m->areas[family_address_at(f, k->dob)->area].decile;
    double dep = decile <= 3 ? 1.3 : 1.0;
    if (synth_rng_chance(r, synth_prob_of(p->sen_support_rate * (0.6 + 0.8 * boy) * dep))) {
        k->sen_support_from = synth_rng_range(r, 0, 8);
        k->sen_support_to = synth_rng_below(r, 10) < 4 ? k->sen_support_from + synth_rng_range(r, 2, 4)
                                                       : 99;
    }
    if (synth_rng_chance(r, synth_prob_of(p->ehcp_rate * (0.4 + 1.2 * boy)))) {
        k->ehcp_from = synth_rng_range(r, 0, 9);
        if (k->sen_support_from > k->ehcp_from - 1)
            k->sen_support_from = k->ehcp_from > 0 ? k->ehcp_from - 1 : 0;
        k->sen_support_to = 99;
    }
    if (k->cerebral_palsy)
        k->ehcp_from = 0;
    if (k->autism != NO_DAY) {
        int yg = year_of(k->autism) - cohort_year(k->dob) - 4;
        yg = yg < 0 ? 0 : yg > 11 ? 11 : yg;
        if (k->sen_support_from > yg)
            k->sen_support_from = yg;
        k->sen_support_to = 99;
        if (synth_rng_below(r, 2) == 0 && k->ehcp_from > yg + 1)
            k->ehcp_from = yg + 1;
    }
    if (k->downs) {
        /* The EHC plan's timing is decided each year by the authority of
         * the school (sen_status); support starts at once. */
        k->sen_support_from = 0;
        k->sen_support_to = 99;
        k->ehcp_from = 99;
        k->downs_jitter = (int)synth_rng_below(r, 2);
    }
}

static void add_child_cin(child *k, int32_t start, const char *need, synth_rng *r)
{
    if (k->n_own_cin == 2)
        return;
    cin_episode *c = &k->own_cin[k->n_own_cin++];
    c->start = start;
    c->end = start + synth_rng_range(r, 180, 900);
    c->need = need;
    c->source = synth_rng_below(r, 2) ? "3A" : "2A";
    c->cpp_start = NO_DAY;
    c->closure = "RC7";
}

static const char *const place_codes[] = {"U1", "U2", "U3", "U4", "U5", "U6", "K2", "P1",
                                          "H5", "R1", NULL};
static const int place_permille[] = {120, 80, 280, 60, 140, 60, 100, 80, 40, 40};
static const char *const legal_codes[] = {"C1", "V2", "C2", NULL};
static const int legal_permille[] = {350, 400, 250};
static const char *const end_codes[] = {"E4A", "E13", "E41", "E45", "E8", NULL};
static const int end_permille[] = {550, 100, 100, 100, 150};

static void child_care(synth_gen *g, family *f, child *k, synth_rng *r)
{
    const synth_params *p = g->p;
    k->n_cla = 0;
    k->adopted = NO_DAY;
    for (int i = 0; i < f->n_cin && k->n_cla == 0; i++) {
        const cin_episode *c = &f->cin[i];
        if (c->start < k->entry || c->start >= k->exit || c->start < k->dob)
            continue;
        double rate = p->cla_given_cin * (c->start - k->dob < 365 ? 1.5 : 1.0);
        if (!synth_rng_chance(r, synth_prob_of(rate)))
            continue;
        int32_t start = c->start + synth_rng_range(r, 7, 120);
        if (start >= k->exit)
            continue;
        int u = (int)synth_rng_below(r, 10);
        int32_t length = u < 4   ? synth_rng_range(r, 30, 180)
                         : u < 7 ? synth_rng_range(r, 180, 730)
                                 : synth_rng_range(r, 730, 6 * 365);
        int32_t end = start + length;
        int open = end >= k->exit;
        if (open)
            end = k->exit;
        int adopt = !open && start - k->dob < 4 * 365 && length > 365 &&
                    synth_rng_below(r, 100) < 35;
        int home_la = g->m->areas[family_address_at(f, start)->area].la;
        int32_t at = start;
        while (at < end && k->n_cla < MAX_CLA) {
            cla_episode *e = &k->cla[k->n_cla];
            e->start = at;
            int32_t next = at + synth_rng_range(r, 90, 540);
            int last = next >= end || k->n_cla == MAX_CLA - 1;
            e->end = last ? (open ? NO_DAY : end) : next;
            int la = g->m->n_las > 1 && synth_rng_below(r, 10) < 3
                         ? (int)synth_rng_below(r, (uint32_t)g->m->n_las)
                         : home_la;
            e->area = pick_area(g, la, f->ethnic, r);
            e->unit = (int)synth_rng_below(r, SYNTH_UNITS_PER_AREA);
            e->place = last && adopt ? "A4" : pick_code(r, place_codes, place_permille);
            e->legal = k->n_cla == 0 ? pick_code(r, legal_codes, legal_permille)
                                     : (adopt && last ? "E1" : "C2");
            e->reason_new = k->n_cla == 0 ? "S" : "P";
            e->need = c->need;
            e->reason_end = !last ? "X1"
                            : open ? ""
                            : adopt ? (synth_rng_below(r, 2) ? "E11" : "E12")
                                    : pick_code(r, end_codes, end_permille);
            k->n_cla++;
            if (last)
                break;
            at = next;
        }
        if (adopt)
            k->adopted = end;
    }
}

/* Build the child's address and surname timelines from the family's, its
 * placements in care and its adoption. */
static void child_timelines(synth_gen *g, family *f, child *k, synth_rng *r)
{
    int adopt_area = -1, adopt_unit = 0;
    char adopt_surname[NAME_CAP] = "";
    if (k->adopted != NO_DAY) {
        int la = (int)synth_rng_below(r, (uint32_t)g->m->n_las);
        adopt_area = pick_area(g, la, SYNTH_ETH_WBRI, r);
        adopt_unit = (int)synth_rng_below(r, SYNTH_UNITS_PER_AREA);
        copy_name(adopt_surname, synth_names_surname(g->names, synth_rng_below(r, 10) < 7
                                                                   ? SYNTH_ORIGIN_ENGLISH
                                                                   : f->origin, r));
        if (g->p->adoption_new_nhs_number > 0 &&
            synth_rng_chance(r, synth_prob_of(g->p->adoption_new_nhs_number)))
            nhs_from_counter(g, &g->nhs_next, 0, k->nhs_after_adoption);
    }
    /* Addresses: walk the family's periods, overlaying care and adoption. */
    int32_t bounds[MAX_PERIODS + 2 * MAX_CLA + 2];
    int nb = 0;
    for (int i = 0; i < f->n_addr; i++)
        bounds[nb++] = f->addr[i].from;
    for (int i = 0; i < k->n_cla; i++) {
        bounds[nb++] = k->cla[i].start;
        if (k->cla[i].end != NO_DAY)
            bounds[nb++] = k->cla[i].end;
    }
    if (k->adopted != NO_DAY)
        bounds[nb++] = k->adopted;
    for (int i = 1; i < nb; i++)   /* insertion sort: a few dozen at most */
        for (int j = i; j > 0 && bounds[j - 1] > bounds[j]; j--) {
            int32_t t = bounds[j];
            bounds[j] = bounds[j - 1];
            bounds[j - 1] = t;
        }
    k->n_addr = 0;
    for (int i = 0; i < nb; i++) {
        int32_t day = bounds[i];
        int area, unit;
        if (k->adopted != NO_DAY && day >= k->adopted) {
            area = adopt_area;
            unit = adopt_unit;
        } else {
            int in_care = -1;
            for (int c = 0; c < k->n_cla; c++)
                if (day >= k->cla[c].start && (k->cla[c].end == NO_DAY || day < k->cla[c].end))
                    in_care = c;
            if (in_care >= 0) {
                area = k->cla[in_care].area;
                unit = k->cla[in_care].unit;
            } else {
                const addr_period *a = family_address_at(f, day);
                area = a->area;
                unit = a->unit;
            }
        }
        if (k->n_addr > 0 && k->addr[k->n_addr - 1].area == area &&
            k->addr[k->n_addr - 1].unit == unit)
            continue;
        if (k->n_addr == MAX_PERIODS)
            break;
        k->addr[k->n_addr].from = day;
        k->addr[k->n_addr].area = area;
        k->addr[k->n_addr].unit = unit;
        k->n_addr++;
    }
    k->moves = 0;
    for (int i = 1; i < k->n_addr; i++)
        if (k->addr[i].from > k->entry && k->addr[i].from < k->exit)
            k->moves++;
    /* Surnames. */
    k->n_surname = 0;
    for (int i = 0; i < f->n_surname; i++) {
        if (k->adopted != NO_DAY && f->surname[i].from >= k->adopted)
            break;
        name_period *s = &k->surname[k->n_surname++];
        *s = f->surname[i];
        if (k->female && f->feminine) {
            feminine_form(s->name);
            if (strcmp(s->name, f->surname[i].name) != 0)
                s->can = surname_can(g, s->name, f->origin);
        }
    }
    if (k->adopted != NO_DAY) {
        name_period *s = &k->surname[k->n_surname++];
        s->from = k->adopted;
        copy_name(s->name, adopt_surname);
        s->can = surname_can(g, s->name, f->origin);
    }
}

static int child_address_at(const child *k, int32_t day, int *area, int *unit, int *prev_area,
                            int *prev_unit)
{
    int i = 0;
    while (i + 1 < k->n_addr && k->addr[i + 1].from <= day)
        i++;
    *area = k->addr[i].area;
    *unit = k->addr[i].unit;
    *prev_area = i > 0 ? k->addr[i - 1].area : -1;
    *prev_unit = i > 0 ? k->addr[i - 1].unit : 0;
    return i;
}

static const name_period *child_surname_at(const child *k, int32_t day,
                                           const name_period **previous)
{
    int i = 0;
    while (i + 1 < k->n_surname && k->surname[i + 1].from <= day)
        i++;
    *previous = i > 0 ? &k->surname[i - 1] : NULL;
    return &k->surname[i];
}

static int fsm_at(const family *f, int academic_year)
{
    int bit = academic_year - f->fsm_year0;
    return bit >= 0 && bit < 64 && (f->fsm_bits >> bit) & 1u;
}

static void assign_local_id(synth_gen *g, child *k, int la)
{
    for (int i = 0; i < k->n_local; i++)
        if (k->local[i].la == la)
            return;
    if (k->n_local == MAX_LOCAL)
        return;
    uint32_t n = g->local_next[la]++;
    uint64_t x = synth_permute(n, synth_hash3(g->p->seed, 0x4c4f43ull /* "LOC" */, (uint64_t)la),
                               26);
    k->local[k->n_local].la = la;
    /* LAchildID: the authority's own numbering, e.g. "LC1030045871". */
    char digits[24];
    synth_fmt_long(digits, (long long)x);
    size_t nd = strlen(digits);
    char *id = k->local[k->n_local].id;
    size_t o = 0;
    id[o++] = 'L';
    id[o++] = 'C';
    o += synth_fmt_long(id + o, g->m->las[la].dfe_number);
    for (size_t pad = nd; pad < 8; pad++)
        id[o++] = '0';
    memcpy(id + o, digits, nd + 1);
    k->n_local++;
}

static const char *local_id(const child *k, int la)
{
    for (int i = 0; i < k->n_local; i++)
        if (k->local[i].la == la)
            return k->local[i].id;
    return "";
}

/* ------------------------------------------------------------- records */

enum date_style { DATE_ISO, DATE_DMY, DATE_COMPACT };

static void put_str(cl_csv_writer *w, const char *s)
{
    cl_csv_write_field(w, s, strlen(s));
}

static void put_long(cl_csv_writer *w, long long v)
{
    char buf[24];
    cl_csv_write_field(w, buf, synth_fmt_long(buf, v));
}

static void put_date(cl_csv_writer *w, int32_t day, enum date_style style)
{
    char buf[16];
    size_t n = 0;
    if (day != SYNTH_NO_DATE && day != NO_DAY)
        n = style == DATE_ISO   ? synth_fmt_iso(buf, day)
            : style == DATE_DMY ? synth_fmt_dmy(buf, day)
                                : synth_fmt_compact(buf, day);
    cl_csv_write_field(w, buf, n);
}

/* One record under construction: the truth, what the source recorded, and
 * the record's id. */
typedef struct record {
    synth_gen *g;
    family *f;
    child *k;
    synth_rng *r;
    synth_source src;
    int32_t day;
    int true_area;
    synth_true_ids t;
    synth_id_view v;
    const char *previous_surname;  /* the true former surname, or NULL */
    char id[24];
} record;

/* Work out the truth on `day` and what `src` recorded.  `home` (may be
 * NULL) replaces the child's address by another known one (a child in care
 * is recorded at home by social care). */
static void begin(record *rec, synth_gen *g, family *f, child *k, synth_rng *r,
                  synth_source src, int32_t day, const addr_period *home,
                  const addr_period *home_before)
{
    rec->g = g;
    rec->f = f;
    rec->k = k;
    rec->r = r;
    rec->src = src;
    rec->day = day;
    synth_true_ids *t = &rec->t;
    t->person_id = k->person_id;
    t->sticky_key = k->sticky_key[src];
    t->forename_origin = k->forename_origin;
    t->surname_origin = f->origin;
    t->ethnic = f->ethnic;
    t->born_abroad = k->born_abroad;
    t->female = k->female;
    t->nhs = k->adopted != NO_DAY && day >= k->adopted && k->nhs_after_adoption[0]
                 ? k->nhs_after_adoption
                 : k->nhs;
    t->other_nhs = f->mother_nhs;
    for (int i = 0; i < f->n; i++)
        if (&f->kids[i] != k && f->kids[i].dob <= day) {
            t->other_nhs = f->kids[i].nhs;
            break;
        }
    t->upn = k->upn_day <= day ? k->upn : "";
    t->forename = k->forename;
    t->middle = k->middle;
    const name_period *previous;
    const name_period *now = child_surname_at(k, day, &previous);
    t->surname = now->name;
    t->surname_since = now->from;
    t->previous_surname = previous ? previous->name : NULL;
    rec->previous_surname = t->previous_surname;
    t->can = k->can_forename | now->can;
    t->dob = k->dob;
    t->day = day;
    int area, unit, prev_area, prev_unit;
    int at = child_address_at(k, day, &area, &unit, &prev_area, &prev_unit);
    rec->true_area = area;
    t->address_since = k->addr[at].from;
    if (home != NULL) {
        t->address_since = home->from;
        area = home->area;
        unit = home->unit;
        prev_area = home_before ? home_before->area : -1;
        prev_unit = home_before ? home_before->unit : 0;
    }
    t->area = area;
    t->unit = unit;
    t->prev_area = prev_area;
    t->prev_unit = prev_unit;
    synth_errors_apply(g->errors, g->m, g->names, src, t, r, &rec->v, &g->counts);
    synth_fmt_long(rec->id, (long long)record_id(g, src));
    g->counts.records[src]++;
    k->records++;
}

/* The recorded date of birth: mostly the true one, formatted once per
 * child. */
static void put_dob(cl_csv_writer *w, const record *rec, enum date_style style)
{
    if (rec->v.dob == rec->k->dob)
        put_str(w, rec->k->dob_text[style]);
    else
        put_date(w, rec->v.dob, style);
}

/* The truth.csv row that closes every record. */
static void finish(record *rec)
{
    synth_gen *g = rec->g;
    const synth_area *a = &g->m->areas[rec->true_area];
    cl_csv_writer *w = g->out->truth;
    cl_csv_end_row(g->out->source[rec->src]);
    put_str(w, synth_source_names[rec->src]);
    static const char *const digits[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
    put_str(w, rec->id);
    put_str(w, rec->k->id_text);
    put_str(w, rec->k->family_text);
    put_str(w, synth_ethnic_dfe[rec->f->ethnic]);
    put_str(w, digits[a->decile]);
    put_str(w, rec->k->female ? "F" : "M");
    put_str(w, rec->k->birth_year_text);
    put_str(w, g->m->las[a->la].code);
    put_str(w, rec->k->twin ? "1" : "0");
    put_str(w, rec->k->born_abroad ? "1" : "0");
    cl_csv_write_field(w, rec->v.errors, rec->v.errors_len);
    cl_csv_end_row(w);
}

static void put_name(cl_csv_writer *w, const char *name, int upper)
{
    if (!upper) {
        put_str(w, name);
        return;
    }
    char buf[128];
    synth_name_upper(name, buf, sizeof buf);
    put_str(w, buf);
}

/* A former surname the source knows, when the recorded one is current. */
static const char *known_previous(record *rec, int permille)
{
    if (rec->previous_surname == NULL || strcmp(rec->v.surname, rec->t.surname) != 0)
        return "";
    return (int)synth_rng_below(rec->r, 1000) < permille ? rec->previous_surname : "";
}

static const char *nhs_ethnic(const record *rec, const char *missing)
{
    return rec->v.ethnic < 0 ? missing : synth_ethnic_nhs[rec->v.ethnic];
}

static const char *dfe_ethnic(const record *rec)
{
    if (rec->v.ethnic >= 0)
        return synth_ethnic_dfe[rec->v.ethnic];
    return (rec->t.person_id + rec->day) % 2 ? "REFU" : "NOBT";
}

static const char *sex_code(const record *rec, const char *male, const char *female,
                            const char *missing)
{
    return rec->v.sex == 'M' ? male : rec->v.sex == 'F' ? female : missing;
}

static const char *lsoa(const record *rec)
{
    return rec->v.area >= 0 ? rec->g->m->areas[rec->v.area].code : "";
}

static const char *la_code_of_area(const record *rec, int area)
{
    return area >= 0 ? rec->g->m->las[rec->g->m->areas[area].la].code : "";
}

/* ------------------------------------------------------------ hospital */

typedef struct weighted {
    const char *code;
    int weight;
} weighted;

static const char *pick_weighted(synth_rng *r, const weighted *table)
{
    int total = 0;
    for (int i = 0; table[i].code != NULL; i++)
        total += table[i].weight;
    int u = (int)synth_rng_below(r, (uint32_t)total);
    for (int i = 0; table[i].code != NULL; i++) {
        if (u < table[i].weight)
            return table[i].code;
        u -= table[i].weight;
    }
    return table[0].code;
}

/* ICD-10 as HES writes it: four characters, no dot, X for a 3-character
 * code. */
static const weighted diag_infant[] = {
    {"J219", 30}, {"B349", 15}, {"R509", 10}, {"A084", 10}, {"J069", 10}, {"K219", 5},
    {"R11X", 5}, {"N390", 5}, {"J189", 5}, {NULL, 0}};
static const weighted diag_preschool[] = {
    {"J069", 10}, {"B349", 12}, {"A09X", 12}, {"J189", 6}, {"R560", 6}, {"J050", 6},
    {"S060", 4}, {"T189", 3}, {"L039", 3}, {"R104", 2}, {"J039", 5}, {"T391", 2}, {NULL, 0}};
static const weighted diag_child[] = {
    {"J039", 8}, {"R104", 10}, {"K358", 6}, {"S525", 8}, {"S060", 6}, {"A09X", 5},
    {"J189", 4}, {"N390", 3}, {"L039", 3}, {"R51X", 3}, {"S934", 3}, {NULL, 0}};
static const weighted diag_teen[] = {
    {"R104", 10}, {"K358", 7}, {"S060", 6}, {"S626", 3}, {"T391", 6}, {"J039", 4},
    {"N390", 3}, {"R55X", 3}, {"G439", 2}, {"F100", 2}, {"S934", 3}, {"R074", 2}, {NULL, 0}};
static const weighted emergency_methods[] = {
    {"21", 700}, {"22", 120}, {"23", 30}, {"24", 50}, {"28", 30}, {"2A", 40}, {"2D", 30},
    {NULL, 0}};
static const weighted elective_methods[] = {{"11", 500}, {"12", 300}, {"13", 200}, {NULL, 0}};

static int32_t length_of_stay(synth_rng *r)
{
    int u = (int)synth_rng_below(r, 100);
    return u < 35 ? 0 : u < 65 ? 1 : u < 80 ? 2 : u < 95 ? synth_rng_range(r, 3, 6)
                                                         : synth_rng_range(r, 7, 20);
}

/* Chronic conditions present on `day`, as secondary diagnoses. */
static int chronic_codes(const child *k, int32_t day, const char **out, int max)
{
    int n = 0;
#define ADD(cond, code)              \
    do {                             \
        if ((cond) && n < max)       \
            out[n++] = code;         \
    } while (0)
    ADD(k->downs, "Q909");
    ADD(k->cerebral_palsy, "G809");
    ADD(k->cystic_fibrosis, "E849");
    ADD(k->sickle_cell, "D571");
    ADD(k->epilepsy <= day, "G409");
    ADD(k->diabetes <= day, "E109");
    ADD(k->leukaemia <= day, "C910");
    ADD(k->autism <= day, "F840");
    ADD(k->asthma <= day, "J459");
#undef ADD
    return n;
}

static void ecds_record(synth_gen *g, family *f, child *k, synth_rng *r, int32_t day,
                        const char *diagnosis, int admitted);

static const char *snomed_for_hes(const char *icd)
{
    if (strncmp(icd, "J45", 3) == 0 || strncmp(icd, "J46", 3) == 0)
        return "195967001";
    if (strncmp(icd, "J21", 3) == 0)
        return "4120002";
    if (strncmp(icd, "S06", 3) == 0)
        return "82271004";
    if (icd[0] == 'S')
        return "125605004";
    if (icd[0] == 'T')
        return "75478009";
    if (strncmp(icd, "R10", 3) == 0 || strncmp(icd, "K35", 3) == 0)
        return "21522001";
    if (strncmp(icd, "G40", 3) == 0 || strncmp(icd, "R56", 3) == 0)
        return "91175000";
    if (strncmp(icd, "E10", 3) == 0)
        return "46635009";
    if (strncmp(icd, "N39", 3) == 0)
        return "68566005";
    if (strncmp(icd, "A0", 2) == 0)
        return "25374005";
    if (strncmp(icd, "J03", 3) == 0)
        return "90176007";
    if (strncmp(icd, "J05", 3) == 0)
        return "71186008";
    if (strncmp(icd, "R50", 3) == 0)
        return "386661006";
    return "34014006";
}

static void hes_record(synth_gen *g, family *f, child *k, synth_rng *r, int32_t admit,
                       const char *method, const char *primary, const char *extra)
{
    record rec;
    begin(&rec, g, f, k, r, SYNTH_SRC_HES_APC, admit, NULL, NULL);
    cl_csv_writer *w = g->out->source[SYNTH_SRC_HES_APC];
    int32_t los = method[0] == '8' ? synth_rng_range(r, 0, 3) : length_of_stay(r);
    const char *diag[3] = {primary, "", ""};
    int nd = 1;
    if (extra != NULL && extra[0])
        diag[nd++] = extra;
    const char *chronic[9];
    int nc = chronic_codes(k, admit, chronic, 9);
    for (int i = 0; i < nc && nd < 3; i++)
        if (strcmp(chronic[i], diag[0]) != 0 && (nd < 2 || strcmp(chronic[i], diag[1]) != 0))
            diag[nd++] = chronic[i];
    put_str(w, rec.id);
    put_str(w, rec.v.nhs);
    put_name(w, rec.v.forename, 1);
    put_name(w, rec.v.surname, 1);
    put_name(w, known_previous(&rec, 300), 1);
    put_dob(w, &rec, DATE_ISO);
    put_str(w, sex_code(&rec, "1", "2", "0"));
    put_str(w, nhs_ethnic(&rec, "Z"));
    put_str(w, rec.v.postcode);
    put_str(w, lsoa(&rec));
    put_str(w, la_code_of_area(&rec, rec.v.area));
    int la = g->m->areas[rec.true_area].la;
    if (g->m->n_las > 1 && synth_rng_below(r, 100) < 15)
        la = (int)synth_rng_below(r, (uint32_t)g->m->n_las);
    put_str(w, g->m->las[la].provider);
    put_date(w, admit, DATE_ISO);
    put_date(w, min32(admit + los, g->end_day), DATE_ISO);
    put_str(w, method);
    put_str(w, diag[0]);
    put_str(w, diag[1]);
    put_str(w, diag[2]);
    finish(&rec);
    if (strcmp(method, "21") == 0)
        ecds_record(g, f, k, r, admit, snomed_for_hes(primary), 1);
}

static const char *emergency_diagnosis(const child *k, int32_t day, synth_rng *r,
                                       const char **extra)
{
    int32_t age_days = day - k->dob;
    *extra = NULL;
    if (age_days < 28 && synth_rng_below(r, 3) == 0)
        return "P599";
    if (age_days < 365)
        return pick_weighted(r, diag_infant);
    if (age_days < 5 * 365)
        return pick_weighted(r, diag_preschool);
    if (age_days < 12 * 365)
        return pick_weighted(r, diag_child);
    const char *code = pick_weighted(r, diag_teen);
    if (strcmp(code, "T391") == 0)
        *extra = "X609";   /* intentional self-poisoning */
    return code;
}

/* Events of a Poisson process with `per_year` events a year over [lo, hi):
 * writes up to `max` event days into `days`, returns how many. */
static int poisson_days(synth_rng *r, int32_t lo, int32_t hi, double per_year, int32_t *days,
                        int max)
{
    if (hi <= lo || !(per_year > 0))
        return 0;
    int n = synth_rng_poisson(r, per_year * (double)(hi - lo) / 365.25);
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++)
        days[i] = synth_rng_range(r, lo, hi - 1);
    return n;
}

static const weighted elective_young[] = {
    {"K409", 3}, {"Q531", 2}, {"H653", 4}, {"J353", 4}, {"K029", 5}, {"N47X", 2}, {NULL, 0}};
static const weighted elective_older[] = {
    {"J353", 4}, {"K029", 5}, {"N47X", 1}, {"M214", 1}, {"D223", 1}, {"S832", 1}, {NULL, 0}};

static void hospital(synth_gen *g, family *f, child *k, synth_rng *r)
{
    const synth_params *p = g->p;
    int32_t days[16];
    /* Birth episode. */
    if (!k->born_abroad && k->dob >= k->entry &&
        synth_rng_chance(r, synth_prob_of(p->hospital_birth_rate))) {
        const char *extra = k->downs                      ? "Q909"
                            : synth_rng_below(r, 100) < (k->twin ? 50 : 7) ? "P073"
                            : synth_rng_below(r, 10) == 0 ? "P599"
                                                          : NULL;
        hes_record(g, f, k, r, k->dob, synth_rng_below(r, 20) ? "82" : "83",
                   k->twin ? "Z383" : "Z380", extra);
    }
    double chronic = 1.0;
    if (k->downs || k->cerebral_palsy)
        chronic = 2.0;
    else if (k->cystic_fibrosis || k->sickle_cell)
        chronic = 1.5;
    /* Emergency admissions by year of age. */
    for (int age = 0; age < 18; age++) {
        int32_t lo = max32(k->entry, k->birthday[age]);
        int32_t hi = min32(k->exit, k->birthday[age + 1]);
        if (lo >= hi)
            continue;
        int area, unit, pa, pu;
        child_address_at(k, lo, &area, &unit, &pa, &pu);
        int decile = g->m->areas[area].decile;
        double base = age == 0   ? p->emergency_rate_infant
                      : age < 5 ? p->emergency_rate_preschool
                                : p->emergency_rate_school;
        double rate = base * dep_mult(p->deprivation_admission_rate_ratio, decile) * chronic;
        int n = poisson_days(r, lo, hi, rate, days, 16);
        for (int i = 0; i < n; i++) {
            const char *extra;
            const char *diag = emergency_diagnosis(k, days[i], r, &extra);
            hes_record(g, f, k, r, days[i], pick_weighted(r, emergency_methods), diag, extra);
        }
        if (age >= 1 && age <= 15) {
            n = poisson_days(r, lo, hi, p->elective_rate, days, 4);
            for (int i = 0; i < n; i++) {
                const char *code = pick_weighted(r, age < 6 ? elective_young : elective_older);
                if (k->female && (strcmp(code, "N47X") == 0 || strcmp(code, "Q531") == 0))
                    code = "J353";
                hes_record(g, f, k, r, days[i], pick_weighted(r, elective_methods), code, NULL);
            }
        }
    }
    int32_t until16 = min32(k->exit, k->birthday[16]);
    /* Admissions for chronic conditions follow deprivation too. */
    int home_area, home_unit, pa0, pu0;
    child_address_at(k, k->entry, &home_area, &home_unit, &pa0, &pu0);
    double dep = dep_mult(p->deprivation_admission_rate_ratio, g->m->areas[home_area].decile);
    /* Asthma: an admission soon after onset, then further ones. */
    if (k->asthma != NO_DAY) {
        int32_t first = max32(k->asthma, k->entry) + synth_rng_range(r, 0, 364);
        if (first < k->exit) {
            static const weighted asthma_codes[] = {{"J459", 70}, {"J450", 15}, {"J46X", 15},
                                                    {NULL, 0}};
            hes_record(g, f, k, r, first, "21", pick_weighted(r, asthma_codes), NULL);
            int n = poisson_days(r, first + 1, until16, 0.2 * dep, days, 16);
            for (int i = 0; i < n; i++)
                hes_record(g, f, k, r, days[i], "21", pick_weighted(r, asthma_codes), NULL);
        }
    }
    if (k->epilepsy != NO_DAY) {
        static const weighted codes[] = {{"G409", 50}, {"G403", 20}, {"G408", 15}, {"R568", 15},
                                         {NULL, 0}};
        int n = poisson_days(r, max32(k->epilepsy, k->entry), k->exit, 0.2 * dep, days, 16);
        for (int i = 0; i < n; i++)
            hes_record(g, f, k, r, days[i], "21", pick_weighted(r, codes), NULL);
    }
    if (k->diabetes != NO_DAY && k->diabetes >= k->entry && k->diabetes < k->exit) {
        hes_record(g, f, k, r, k->diabetes, "21", "E101", NULL);
        int n = poisson_days(r, k->diabetes + 1, k->exit, 0.08 * dep, days, 16);
        for (int i = 0; i < n; i++)
            hes_record(g, f, k, r, days[i], "21", synth_rng_below(r, 2) ? "E101" : "E109", NULL);
    }
    if (k->cystic_fibrosis) {
        int n = poisson_days(r, k->entry, k->exit, 0.7, days, 16);
        for (int i = 0; i < n; i++) {
            /* One draw per statement: argument order is unspecified in C. */
            const char *method = synth_rng_below(r, 2) ? "13" : "21";
            hes_record(g, f, k, r, days[i], method, synth_rng_below(r, 2) ? "E840" : "E849",
                       NULL);
        }
    }
    if (k->sickle_cell) {
        int n = poisson_days(r, k->entry, k->exit, 0.35 * dep, days, 16);
        for (int i = 0; i < n; i++)
            hes_record(g, f, k, r, days[i], "21", "D570", NULL);
    }
    if (k->leukaemia != NO_DAY && k->leukaemia >= k->entry && k->leukaemia < k->exit) {
        int32_t day = k->leukaemia;
        hes_record(g, f, k, r, day, "21", "C910", NULL);
        for (int i = 0; i < 5; i++) {
            day += synth_rng_range(r, 20, 60);
            if (day >= k->exit)
                break;
            hes_record(g, f, k, r, day, "13", "C910", NULL);
        }
    }
    if (k->cerebral_palsy) {
        int n = poisson_days(r, k->entry, k->exit, 0.2, days, 16);
        for (int i = 0; i < n; i++)
            hes_record(g, f, k, r, days[i], "12", "G800", NULL);
    }
    if (k->downs && !k->born_abroad && synth_rng_below(r, 10) < 4) {
        int32_t day = k->dob + synth_rng_range(r, 60, 300);
        if (day >= k->entry && day < k->exit)
            hes_record(g, f, k, r, day, "13", "Q210", "Q909");
    }
}

/* ---------------------------------------------- emergency care (ECDS) */

/* SNOMED CT concepts as ECDS records diagnoses. */
static const weighted ed_infant[] = {
    {"4120002", 25}, {"34014006", 20}, {"386661006", 20}, {"25374005", 10}, {"82271004", 10},
    {"419076005", 5}, {"91175000", 5}, {NULL, 0}};
static const weighted ed_preschool[] = {
    {"34014006", 15}, {"386661006", 12}, {"82271004", 15}, {"25374005", 10}, {"71186008", 8},
    {"312608009", 10}, {"125605004", 5}, {"419076005", 5}, {"75478009", 5}, {"90176007", 5},
    {NULL, 0}};
static const weighted ed_child[] = {
    {"125605004", 15}, {"44465007", 15}, {"82271004", 12}, {"312608009", 10},
    {"21522001", 10}, {"90176007", 6}, {"34014006", 6}, {"419076005", 5}, {"68566005", 3},
    {NULL, 0}};
static const weighted ed_teen[] = {
    {"44465007", 15}, {"125605004", 12}, {"82271004", 10}, {"21522001", 12},
    {"248062006", 8}, {"75478009", 7}, {"312608009", 8}, {"90176007", 5}, {"419076005", 4},
    {"197480006", 5}, {NULL, 0}};

static void ecds_record(synth_gen *g, family *f, child *k, synth_rng *r, int32_t day,
                        const char *diagnosis, int admitted)
{
    record rec;
    begin(&rec, g, f, k, r, SYNTH_SRC_ECDS, day, NULL, NULL);
    cl_csv_writer *w = g->out->source[SYNTH_SRC_ECDS];
    put_str(w, rec.id);
    put_str(w, rec.v.nhs);
    put_name(w, rec.v.forename, 1);
    put_name(w, rec.v.surname, 1);
    put_dob(w, &rec, DATE_COMPACT);
    put_str(w, sex_code(&rec, "1", "2", "X"));
    put_str(w, nhs_ethnic(&rec, "99"));
    put_str(w, rec.v.postcode);
    put_str(w, lsoa(&rec));
    put_str(w, g->m->las[g->m->areas[rec.true_area].la].provider);
    put_date(w, day, DATE_COMPACT);
    put_str(w, diagnosis);
    put_str(w, admitted ? "306706006" : "306689006");
    finish(&rec);
}

static void emergency_care(synth_gen *g, family *f, child *k, synth_rng *r)
{
    const synth_params *p = g->p;
    int32_t days[24];
    for (int age = 0; age < 18; age++) {
        int32_t lo = max32(k->entry, k->birthday[age]);
        int32_t hi = min32(k->exit, k->birthday[age + 1]);
        if (lo >= hi)
            continue;
        int area, unit, pa, pu;
        child_address_at(k, lo, &area, &unit, &pa, &pu);
        double base = age == 0 ? p->ed_rate_infant : age < 5 ? p->ed_rate_preschool
                                                             : p->ed_rate_school;
        double rate = base * dep_mult(1.5, g->m->areas[area].decile);
        if (k->asthma <= lo)
            rate *= 1.2;
        int n = poisson_days(r, lo, hi, rate, days, 24);
        for (int i = 0; i < n; i++) {
            const char *diag;
            int u = (int)synth_rng_below(r, 100);
            if (k->asthma <= days[i] && u < 30)
                diag = "195967001";
            else if (k->epilepsy <= days[i] && u < 25)
                diag = "91175000";
            else if (k->diabetes <= days[i] && u < 20)
                diag = "46635009";
            else
                diag = pick_weighted(r, age == 0  ? ed_infant
                                        : age < 5 ? ed_preschool
                                        : age < 12 ? ed_child
                                                   : ed_teen);
            ecds_record(g, f, k, r, days[i], diag, 0);
        }
    }
}

/* ------------------------------------------------ mental health (CAMHS) */

static const weighted camhs_sources[] = {
    {"A1", 350}, {"D1", 200}, {"B2", 120}, {"C1", 100}, {"H1", 80}, {"B1", 50}, {"A3", 100},
    {NULL, 0}};
static const weighted camhs_reasons_child[] = {
    {"06", 250}, {"04", 200}, {"25", 180}, {"10", 200}, {"13", 100}, {"05", 70}, {NULL, 0}};
static const weighted camhs_reasons_teen[] = {
    {"06", 300}, {"05", 200}, {"09", 150}, {"10", 80}, {"12", 60}, {"04", 60}, {"25", 50},
    {"17", 50}, {"07", 50}, {NULL, 0}};

static int32_t secondary_transfer_day(const child *k)
{
    return cl_date_from_ymd(cohort_year(k->dob) + 11, 9, 1);
}

static void camhs(synth_gen *g, family *f, child *k, synth_rng *r)
{
    const synth_params *p = g->p;
    int32_t transfer = secondary_transfer_day(k);
    int32_t days[8];
    for (int age = 5; age < 18; age++) {
        int32_t lo = max32(k->entry, k->birthday[age]);
        int32_t hi = min32(k->exit, k->birthday[age + 1]);
        if (lo >= hi)
            continue;
        /* Split the year at the move to secondary school, where the
         * hazard jumps by secondary_camhs_rate_ratio. */
        int32_t cuts[3] = {lo, hi, hi};
        int pieces = 1;
        if (transfer > lo && transfer < hi) {
            cuts[1] = transfer;
            pieces = 2;
        }
        for (int piece = 0; piece < pieces; piece++) {
            int32_t a = cuts[piece], b = cuts[piece + 1];
            int area, unit, pa, pu;
            child_address_at(k, a, &area, &unit, &pa, &pu);
            double rate = p->camhs_rate_age5 +
                          (p->camhs_rate_age17 - p->camhs_rate_age5) * (double)(age - 5) / 12.0;
            if (a >= transfer)
                rate *= p->secondary_camhs_rate_ratio;
            if (k->first_cin <= a)
                rate *= 2.0;
            if (k->autism <= a)
                rate *= 3.0;
            rate *= dep_mult(1.3, g->m->areas[area].decile);
            int n = poisson_days(r, a, b, rate, days, 8);
            for (int i = 0; i < n; i++) {
                record rec;
                begin(&rec, g, f, k, r, SYNTH_SRC_CAMHS, days[i], NULL, NULL);
                cl_csv_writer *w = g->out->source[SYNTH_SRC_CAMHS];
                put_str(w, rec.id);
                put_str(w, rec.v.nhs);
                put_name(w, rec.v.forename, 0);
                put_name(w, rec.v.surname, 0);
                put_dob(w, &rec, DATE_ISO);
                put_str(w, sex_code(&rec, "1", "2", "X"));
                put_str(w, nhs_ethnic(&rec, "Z"));
                put_str(w, rec.v.postcode);
                put_str(w, lsoa(&rec));
                put_date(w, days[i], DATE_ISO);
                put_str(w, pick_weighted(r, camhs_sources));
                put_str(w, pick_weighted(r, age < 12 ? camhs_reasons_child : camhs_reasons_teen));
                finish(&rec);
            }
        }
    }
}

/* ------------------------------------------------------------- school */

typedef struct school_year {
    int g;                  /* year group: 0 reception .. 11 */
    int year;               /* academic year starting in September of this */
    int32_t sep1, census, summer;
    int school;
    int fsm, fsm_ever;
    char sen;               /* N, K, E */
} school_year;

static char sen_status(const synth_gen *g, const child *k, int yg, int la)
{
    if (k->downs) {
        int from = (int)g->p->downs_ehcp_year_group + k->downs_jitter +
                   (g->p->late_sen[la] ? (int)g->p->downs_ehcp_delay_years : 0);
        return yg >= from ? 'E' : 'K';
    }
    if (yg >= k->ehcp_from)
        return 'E';
    if (yg >= k->sen_support_from && yg < k->sen_support_to)
        return 'K';
    return 'N';
}

static void academic_year_label(int year, char *out)
{
    /* "2015/16" */
    size_t n = synth_fmt_long(out, year);
    out[n++] = '/';
    out[n++] = (char)('0' + (year + 1) / 10 % 10);
    out[n++] = (char)('0' + (year + 1) % 10);
    out[n] = '\0';
}

/* The identifier columns every NPD file after the census carries. */
static void npd_identifiers(cl_csv_writer *w, const record *rec)
{
    put_str(w, rec->id);
    put_str(w, rec->v.upn);
    put_name(w, rec->v.surname, 0);
    put_name(w, rec->v.forename, 0);
    put_dob(w, rec, DATE_DMY);
    put_str(w, sex_code(rec, "M", "F", ""));
    put_str(w, rec->v.postcode);
}

static void npd_school_columns(cl_csv_writer *w, const synth_gen *g, const school_year *y)
{
    const synth_school *s = &g->m->schools[y->school];
    char label[12];
    put_long(w, g->m->las[s->la].dfe_number);
    put_long(w, s->estab);
    put_long(w, s->urn);
    academic_year_label(y->year, label);
    put_str(w, label);
}

static void issue_upn(synth_gen *g, child *k, const school_year *y)
{
    const synth_school *s = &g->m->schools[y->school];
    const synth_la *l = &g->m->las[s->la];
    int yi = y->year - g->upn_year0;
    yi = yi < 0 ? 0 : yi >= g->upn_years ? g->upn_years - 1 : yi;
    int estab = s->estab;
    uint32_t serial = ++g->upn_serial[(size_t)y->school * (size_t)g->upn_years + (size_t)yi];
    if (serial > 999) {
        /* A school that ran out of serials: continue under an establishment
         * number no school uses, so UPNs stay unique. */
        uint32_t over = g->upn_overflow[s->la]++;
        estab = 9000 + (int)(over / 999 % 1000);
        serial = over % 999 + 1;
    }
    char tail[13];
    int yy = y->year % 100;
    tail[0] = (char)('0' + l->dfe_number / 100 % 10);
    tail[1] = (char)('0' + l->dfe_number / 10 % 10);
    tail[2] = (char)('0' + l->dfe_number % 10);
    tail[3] = (char)('0' + estab / 1000 % 10);
    tail[4] = (char)('0' + estab / 100 % 10);
    tail[5] = (char)('0' + estab / 10 % 10);
    tail[6] = (char)('0' + estab % 10);
    tail[7] = (char)('0' + yy / 10);
    tail[8] = (char)('0' + yy % 10);
    tail[9] = (char)('0' + serial / 100 % 10);
    tail[10] = (char)('0' + serial / 10 % 10);
    tail[11] = (char)('0' + serial % 10);
    tail[12] = '\0';
    k->upn[0] = cl_upn_check_letter(tail);
    memcpy(k->upn + 1, tail, 13);
    k->upn_day = y->census;
}

static int choose_school(synth_gen *g, int area, int secondary, synth_rng *r)
{
    const synth_area *a = &g->m->areas[area];
    if (synth_rng_below(r, 10) != 0)
        return secondary ? a->secondary : a->primary;
    const synth_la *l = &g->m->las[a->la];
    return secondary ? l->first_secondary + (int)synth_rng_below(r, (uint32_t)l->n_secondaries)
                     : l->first_primary + (int)synth_rng_below(r, (uint32_t)l->n_primaries);
}

static double absence_rate(const synth_gen *g, const child *k, const school_year *y)
{
    const synth_params *p = g->p;
    double rate = p->absence_rate * k->frailty;
    if (y->fsm)
        rate *= 1.5;
    if (y->sen == 'K')
        rate *= 1.3;
    else if (y->sen == 'E')
        rate *= 1.6;
    if (k->first_cin < y->sep1)
        rate *= 1.5;
    if (k->asthma < y->sep1)
        rate *= p->asthma_absence_rate_ratio;
    if (y->g >= 7)
        rate *= p->secondary_absence_rate_ratio;
    if (y->g >= 10)
        rate *= 1.1;
    if (k->downs || k->cerebral_palsy || k->cystic_fibrosis || k->sickle_cell ||
        k->epilepsy < y->sep1 || k->diabetes < y->sep1 || k->leukaemia < y->sep1)
        rate *= 1.3;
    return rate > 0.9 ? 0.9 : rate;
}

static long round_half_up(double x)
{
    return x < 0 ? -(long)(-x + 0.5) : (long)(x + 0.5);
}

/* A binomial(n, q) count, approximately: mean plus a normal deviate. */
static long approx_binomial(synth_rng *r, long n, double q)
{
    double mean = (double)n * q;
    double sd = sqrt(mean * (1.0 - q));
    long x = round_half_up(mean + sd * synth_rng_normal(r));
    return x < 0 ? 0 : x > n ? n : x;
}

/* Whether the recorded legal surname is an old one or a part of a
 * double-barrelled one, cases where schools often hold the current full
 * surname as the preferred surname. */
static int school_knows_surname(const record *rec)
{
    const char *recorded = rec->v.surname;
    if (recorded[0] == '\0' || strcmp(recorded, rec->t.surname) == 0)
        return 0;
    if (rec->t.previous_surname != NULL && strcmp(recorded, rec->t.previous_surname) == 0)
        return 1;
    return strchr(rec->t.surname, '-') != NULL && strstr(rec->t.surname, recorded) != NULL;
}

static const weighted exclusion_reasons[] = {
    {"PD", 350}, {"VA", 150}, {"PP", 120}, {"VP", 100}, {"PA", 50}, {"DA", 40}, {"DM", 30},
    {"BU", 30}, {"TH", 20}, {"RA", 10}, {"SM", 10}, {"OT", 90}, {NULL, 0}};

static void school_records(synth_gen *g, family *f, child *k, synth_rng *r)
{
    const synth_params *p = g->p;
    if (f->independent)
        return;
    int cohort = cohort_year(k->dob);
    int school = -1, last_area = -1, last_la = -1, excluded = 0, fsm_ever = 0;
    double z = k->ability - 0.25 * (double)(10 - g->m->areas[k->addr[0].area].decile) / 9.0;
    for (int yg = 0; yg <= 11; yg++) {
        school_year y;
        y.g = yg;
        y.year = cohort + 4 + yg;
        y.sep1 = cl_date_from_ymd(y.year, 9, 1);
        y.census = third_thursday_of_january(y.year + 1);
        y.summer = cl_date_from_ymd(y.year + 1, 7, 20);
        if (y.census < k->entry || y.census >= k->exit || y.census > g->end_day) {
            if (y.census >= k->exit || y.census > g->end_day)
                break;
            continue;
        }
        int area, unit, pa, pu;
        child_address_at(k, y.census, &area, &unit, &pa, &pu);
        int la = g->m->areas[area].la;
        int secondary = yg >= 7;
        if (school < 0 || yg == 7 || la != last_la || excluded ||
            (area != last_area && synth_rng_below(r, 10) < 3))
            school = choose_school(g, area, secondary, r);
        if (excluded && g->m->las[la].n_secondaries > 1) {
            const synth_la *l = &g->m->las[la];
            int other = l->first_secondary +
                        (int)synth_rng_below(r, (uint32_t)l->n_secondaries - 1);
            if (other >= school)
                other++;
            school = other;
        }
        excluded = 0;
        last_area = area;
        last_la = la;
        y.school = school;
        y.fsm = fsm_at(f, y.year);
        fsm_ever |= y.fsm;
        y.fsm_ever = fsm_ever;
        y.sen = sen_status(g, k, yg, g->m->schools[school].la);
        if (k->upn_day == NO_DAY)
            issue_upn(g, k, &y);

        /* Spring census. */
        record rec;
        begin(&rec, g, f, k, r, SYNTH_SRC_NPD_CENSUS, y.census, NULL, NULL);
        cl_csv_writer *w = g->out->source[SYNTH_SRC_NPD_CENSUS];
        put_str(w, rec.id);
        put_str(w, rec.v.upn);
        put_name(w, rec.v.surname, 0);
        /* The school's preferred surname: the full current one where the
         * legal surname field lags behind or is cut short. */
        put_name(w, school_knows_surname(&rec) && synth_rng_below(r, 2) ? rec.t.surname : "", 0);
        put_name(w, known_previous(&rec, 600), 0);
        put_name(w, rec.v.forename, 0);
        put_name(w, rec.v.middle, 0);
        put_name(w, k->preferred, 0);
        put_dob(w, &rec, DATE_DMY);
        put_str(w, sex_code(&rec, "M", "F", ""));
        put_str(w, dfe_ethnic(&rec));
        put_str(w, rec.v.postcode);
        put_str(w, lsoa(&rec));
        npd_school_columns(w, g, &y);
        put_date(w, y.census, DATE_DMY);
        if (yg == 0)
            put_str(w, "R");
        else
            put_long(w, yg);
        put_long(w, y.fsm);
        char sen[2] = {y.sen, 0};
        put_str(w, sen);
        finish(&rec);

        /* Annual absence. */
        long possible = 380 - 2 * (long)synth_rng_below(r, 6);
        if (k->entry > y.sep1)
            possible = possible * (long)(y.summer - k->entry) / (long)(y.summer - y.sep1) / 2 * 2;
        if (possible < 20)
            possible = 20;
        double rate = absence_rate(g, k, &y);
        long absent = approx_binomial(r, possible, rate);
        double share = p->unauthorised_share * (y.fsm ? 1.5 : 1.0) * (yg >= 10 ? 1.2 : 1.0);
        long unauthorised = approx_binomial(r, absent, share > 0.9 ? 0.9 : share);
        begin(&rec, g, f, k, r, SYNTH_SRC_NPD_ABSENCE, y.census, NULL, NULL);
        w = g->out->source[SYNTH_SRC_NPD_ABSENCE];
        npd_identifiers(w, &rec);
        npd_school_columns(w, g, &y);
        if (yg == 0)
            put_str(w, "R");
        else
            put_long(w, yg);
        put_long(w, possible);
        put_long(w, absent - unauthorised);
        put_long(w, unauthorised);
        finish(&rec);

        double senz = y.sen == 'E' ? 1.4 : y.sen == 'K' ? 0.6 : 0.0;
        double z_now = z - 0.35 * (double)y.fsm_ever - senz - (k->downs ? 2.5 : 0.0);
        /* Key stage 2 at the end of year 6 (no tests in 2020 and 2021). */
        int32_t ks2_day = cl_date_from_ymd(y.year + 1, 5, 12);
        if (yg == 6 && y.year + 1 != 2020 && y.year + 1 != 2021 && ks2_day < k->exit &&
            ks2_day <= g->end_day) {
            double drop = k->first_cin < ks2_day ? p->cin_ks2_scaled_score_drop : 0.0;
            long read = round_half_up(104.0 + 6.0 * (z_now + 0.35 * synth_rng_normal(r)) - drop);
            long maths = round_half_up(104.0 + 6.0 * (z_now + 0.35 * synth_rng_normal(r)) - drop);
            read = read < 80 ? 80 : read > 120 ? 120 : read;
            maths = maths < 80 ? 80 : maths > 120 ? 120 : maths;
            begin(&rec, g, f, k, r, SYNTH_SRC_NPD_KS2, ks2_day, NULL, NULL);
            w = g->out->source[SYNTH_SRC_NPD_KS2];
            npd_identifiers(w, &rec);
            npd_school_columns(w, g, &y);
            put_long(w, read);
            put_long(w, maths);
            put_long(w, read >= 100 && maths >= 100);
            finish(&rec);
        }
        /* Key stage 4 at the end of year 11. */
        int32_t ks4_day = cl_date_from_ymd(y.year + 1, 6, 15);
        if (yg == 11 && ks4_day < k->exit && ks4_day <= g->end_day) {
            double drop = k->first_cin < ks4_day ? p->cin_attainment8_drop : 0.0;
            double att8 = 47.0 + 16.0 * (z_now + 0.3 * synth_rng_normal(r)) - drop;
            att8 = att8 < 0 ? 0 : att8 > 90 ? 90 : att8;
            long tenths = round_half_up(att8 * 10.0);
            char text[16];
            size_t n = synth_fmt_long(text, tenths / 10);
            text[n++] = '.';
            text[n++] = (char)('0' + tenths % 10);
            text[n] = '\0';
            begin(&rec, g, f, k, r, SYNTH_SRC_NPD_KS4, ks4_day, NULL, NULL);
            w = g->out->source[SYNTH_SRC_NPD_KS4];
            npd_identifiers(w, &rec);
            npd_school_columns(w, g, &y);
            put_str(w, text);
            for (int subject = 0; subject < 2; subject++) {
                long grade = round_half_up(att8 / 10.0 + 0.7 * synth_rng_normal(r));
                if (att8 < 5.0)
                    put_str(w, "U");
                else
                    put_long(w, grade < 1 ? 1 : grade > 9 ? 9 : grade);
            }
            finish(&rec);
        }
        /* Suspensions and permanent exclusions. */
        double mult = (k->female ? 0.4 : 1.6) * (y.fsm ? 1.8 : 1.0) *
                      (y.sen == 'E' ? 2.5 : y.sen == 'K' ? 2.0 : 1.0) *
                      (k->first_cin < y.sep1 ? 2.0 : 1.0) * (k->autism < y.sep1 ? 1.5 : 1.0);
        double per_year = (secondary ? p->suspension_rate_secondary : p->suspension_rate_primary) *
                          mult;
        int32_t days[6];
        int32_t year_end = min32(min32(y.summer, k->exit), g->end_day + 1);
        int n = poisson_days(r, y.sep1 + 7, year_end, per_year * 365.25 / 300.0, days, 6);
        int perm = secondary && synth_rng_chance(r, synth_prob_of(p->permanent_exclusion_rate * mult));
        for (int i = 0; i < n + perm; i++) {
            int is_perm = i == n;
            int32_t day = is_perm ? synth_rng_range(r, y.sep1 + 30, max32(y.sep1 + 31, year_end - 1))
                                  : days[i];
            if (day >= k->exit || day > g->end_day)
                continue;
            begin(&rec, g, f, k, r, SYNTH_SRC_NPD_EXCLUSIONS, day, NULL, NULL);
            w = g->out->source[SYNTH_SRC_NPD_EXCLUSIONS];
            npd_identifiers(w, &rec);
            npd_school_columns(w, g, &y);
            put_str(w, is_perm ? "PERM" : "FIXD");
            put_date(w, day, DATE_DMY);
            if (is_perm)
                put_str(w, "");
            else
                put_long(w, 1 + (long)synth_rng_below(r, 10));
            put_str(w, pick_weighted(r, exclusion_reasons));
            finish(&rec);
            if (is_perm)
                excluded = 1;
        }
    }
}

/* -------------------------------------------------- children's social care */

static void cin_record(synth_gen *g, family *f, child *k, synth_rng *r, const cin_episode *c)
{
    int area, unit, pa, pu;
    child_address_at(k, c->start, &area, &unit, &pa, &pu);
    int la = g->m->areas[area].la;
    assign_local_id(g, k, la);
    record rec;
    begin(&rec, g, f, k, r, SYNTH_SRC_CSC_CIN, c->start, NULL, NULL);
    cl_csv_writer *w = g->out->source[SYNTH_SRC_CSC_CIN];
    put_str(w, rec.id);
    put_str(w, local_id(k, la));
    put_str(w, rec.v.upn);
    put_str(w, rec.v.nhs);
    put_name(w, rec.v.forename, 0);
    put_name(w, rec.v.surname, 0);
    put_dob(w, &rec, DATE_DMY);
    put_str(w, sex_code(&rec, "1", "2", "0"));
    put_str(w, dfe_ethnic(&rec));
    put_str(w, rec.v.postcode);
    put_long(w, g->m->las[la].dfe_number);
    put_date(w, c->start, DATE_DMY);
    put_str(w, c->source);
    put_str(w, c->need);
    put_date(w, c->cpp_start != NO_DAY && c->cpp_start <= g->end_day ? c->cpp_start : NO_DAY,
             DATE_DMY);
    int32_t closed = min32(c->end, k->exit);
    const char *reason = c->end < k->exit            ? c->closure
                         : k->adopted != NO_DAY && k->adopted <= c->end ? "RC1"
                                                                         : "RC5";
    if (closed > g->end_day) {
        put_str(w, "");
        put_str(w, "");
    } else {
        put_date(w, closed, DATE_DMY);
        put_str(w, reason);
    }
    finish(&rec);
}

static void social_care(synth_gen *g, family *f, child *k, synth_rng *r)
{
    for (int i = 0; i < f->n_cin; i++) {
        const cin_episode *c = &f->cin[i];
        if (c->start < k->entry || c->start >= k->exit || c->start < k->dob ||
            (k->adopted != NO_DAY && c->start >= k->adopted))
            continue;
        cin_record(g, f, k, r, c);
    }
    for (int i = 0; i < k->n_own_cin; i++)
        if (k->own_cin[i].start >= k->entry && k->own_cin[i].start < k->exit)
            cin_record(g, f, k, r, &k->own_cin[i]);
    for (int i = 0; i < k->n_cla; i++) {
        const cla_episode *e = &k->cla[i];
        /* Social care records the home the child came from. */
        int32_t care_start = k->cla[0].start;
        int hi = 0;
        while (hi + 1 < f->n_addr && f->addr[hi + 1].from <= care_start)
            hi++;
        const addr_period *home = &f->addr[hi];
        const addr_period *before = hi > 0 ? &f->addr[hi - 1] : NULL;
        int la = g->m->areas[home->area].la;
        assign_local_id(g, k, la);
        record rec;
        begin(&rec, g, f, k, r, SYNTH_SRC_CSC_CLA, e->start, home, before);
        cl_csv_writer *w = g->out->source[SYNTH_SRC_CSC_CLA];
        char placement[12];
        synth_postcode(g->m, e->area, e->unit, placement);
        put_str(w, rec.id);
        put_str(w, local_id(k, la));
        put_str(w, rec.v.upn);
        put_str(w, rec.v.nhs);
        put_name(w, rec.v.forename, 0);
        put_name(w, rec.v.surname, 0);
        put_dob(w, &rec, DATE_DMY);
        put_str(w, sex_code(&rec, "1", "2", ""));
        put_str(w, dfe_ethnic(&rec));
        put_str(w, rec.v.postcode);
        put_str(w, placement);
        put_long(w, g->m->las[la].dfe_number);
        put_date(w, e->start, DATE_DMY);
        put_str(w, e->reason_new);
        put_str(w, e->legal);
        put_str(w, e->need);
        put_str(w, e->place);
        int ended = e->end != NO_DAY && e->end <= g->end_day;
        put_date(w, ended ? e->end : NO_DAY, DATE_DMY);
        put_str(w, ended ? e->reason_end : "");
        finish(&rec);
    }
}

/* ------------------------------------------------------------ people.csv */

static void put_day_or_blank(cl_csv_writer *w, int32_t day)
{
    put_date(w, day, DATE_ISO);
}

static void people_row(synth_gen *g, family *f, child *k)
{
    cl_csv_writer *w = g->out->people;
    const synth_area *first = &g->m->areas[k->addr[0].area];
    for (int i = 0; i < k->n_addr; i++)
        if (k->addr[i].from <= k->entry)
            first = &g->m->areas[k->addr[i].area];
    put_long(w, k->person_id);
    put_long(w, f->id);
    put_str(w, k->nhs);
    put_str(w, k->nhs_after_adoption);
    put_str(w, k->upn);
    put_str(w, k->forename);
    put_str(w, k->middle);
    put_str(w, k->preferred);
    put_str(w, k->surname[0].name);
    put_str(w, k->surname[k->n_surname - 1].name);
    put_date(w, k->dob, DATE_ISO);
    put_str(w, k->female ? "F" : "M");
    put_str(w, synth_ethnic_dfe[f->ethnic]);
    put_str(w, synth_origin_name(k->forename_origin));
    put_str(w, synth_origin_name(f->origin));
    put_long(w, k->twin);
    put_long(w, k->born_abroad);
    put_date(w, k->entry, DATE_ISO);
    put_date(w, k->exit - 1, DATE_ISO);
    put_str(w, g->m->las[first->la].code);
    put_long(w, first->decile);
    put_long(w, k->moves);
    put_long(w, k->n_surname - 1);
    put_long(w, f->independent);
    put_day_or_blank(w, k->asthma);
    put_long(w, k->downs);
    put_day_or_blank(w, k->epilepsy);
    put_day_or_blank(w, k->diabetes);
    put_long(w, k->cerebral_palsy);
    put_long(w, k->cystic_fibrosis);
    put_long(w, k->sickle_cell);
    put_day_or_blank(w, k->autism);
    put_day_or_blank(w, k->leukaemia);
    put_day_or_blank(w, k->first_cin);
    put_day_or_blank(w, k->n_cla > 0 ? k->cla[0].start : NO_DAY);
    put_day_or_blank(w, k->adopted);
    put_long(w, k->records);
    cl_csv_end_row(w);
}

/* ------------------------------------------------------------ families */

static void family_fsm(synth_gen *g, family *f, synth_rng *r, int32_t until)
{
    const synth_params *p = g->p;
    f->fsm_year0 = year_of(f->start) - 1;
    f->fsm_bits = 0;
    int state = 0;
    for (int y = 0; y < 64; y++) {
        int year = f->fsm_year0 + y;
        int32_t sep1 = cl_date_from_ymd(year, 9, 1);
        if (sep1 > until)
            break;
        int decile = g->m->areas[family_address_at(f, max32(sep1, f->start))->area].decile;
        double q = p->fsm_least_deprived +
                   (p->fsm_most_deprived - p->fsm_least_deprived) * (double)(10 - decile) / 9.0;
        /* Eligibility persists from year to year, as family income does. */
        if (y == 0 || synth_rng_below(r, 10) >= 8)
            state = synth_rng_chance(r, synth_prob_of(q));
        if (state)
            f->fsm_bits |= 1ull << y;
    }
}

static void new_child(synth_gen *g, family *f, int index, int32_t dob, int twin)
{
    child *k = &f->kids[index];
    memset(k, 0, sizeof *k);
    k->person_id = g->made + 1 + index;
    k->dob = dob;
    int y, m, d;
    cl_date_to_ymd(dob, &y, &m, &d);
    if (m == 2 && d == 29)
        d = 28;   /* birthdays of a leap-day child fall on 28 February */
    k->birthday[0] = dob;
    for (int a = 1; a < 20; a++)
        k->birthday[a] = cl_date_from_ymd(y + a, m, d);
    k->twin = twin;
    k->upn_day = NO_DAY;
    k->first_cin = NO_DAY;
    k->adopted = NO_DAY;
}

static int pick_family_size(synth_gen *g, synth_rng *r)
{
    const synth_params *p = g->p;
    double total = p->family_size[0] + p->family_size[1] + p->family_size[2] + p->family_size[3];
    double u = synth_rng_unit(r) * total;
    if (u < p->family_size[0])
        return 1;
    if (u < p->family_size[0] + p->family_size[1])
        return 2;
    if (u < p->family_size[0] + p->family_size[1] + p->family_size[2])
        return 3;
    return 4 + (int)synth_rng_below(r, 3);
}

/* Births: an anchor day, then siblings 15-60 months apart, each one either
 * after the youngest or before the eldest so far.  The anchor is drawn from
 * the birth years widened by three years each side and only the children
 * born within the years are kept, as a family straddling the window would
 * be: that keeps births spread evenly over the years.  A delivery is twins
 * with the probability that makes twin_rate of children twins; a twin pair
 * is kept or dropped whole. */
static void family_births(synth_gen *g, family *f, synth_rng *r, int size, int cap)
{
    int32_t day[2 * SYNTH_MAX_FAMILY];
    int twin[2 * SYNTH_MAX_FAMILY];
    int planned = 0;
    int32_t anchor = synth_rng_range(r, g->first_day - 1095, g->last_day + 1095);
    int32_t youngest = anchor, eldest = anchor;
    while (planned < size) {
        int32_t d = anchor;
        if (planned > 0) {
            int32_t gap = synth_rng_range(r, 450, 1800);
            if (synth_rng_below(r, 2) == 0)
                d = youngest = youngest + gap;
            else
                d = eldest = eldest - gap;
        }
        int twins = synth_rng_chance(r, g->twin_delivery);
        day[planned] = d;
        twin[planned++] = twins;
        if (twins) {
            day[planned] = d;
            twin[planned++] = 1;
        }
    }
    /* Birth order (a twin pair stays adjacent: equal days, stable sort). */
    for (int i = 1; i < planned; i++)
        for (int j = i; j > 0 && day[j - 1] > day[j]; j--) {
            int32_t td = day[j];
            day[j] = day[j - 1];
            day[j - 1] = td;
            int tt = twin[j];
            twin[j] = twin[j - 1];
            twin[j - 1] = tt;
        }
    f->n = 0;
    for (int i = 0; i < planned; i++) {
        int pair = twin[i] && i + 1 < planned && twin[i + 1] && day[i + 1] == day[i];
        int count = pair ? 2 : 1;
        if (day[i] >= g->first_day && day[i] <= g->last_day && f->n + count <= cap) {
            new_child(g, f, f->n++, day[i], pair);
            if (pair) {
                new_child(g, f, f->n++, day[i], 1);
                g->counts.twins += 2;
            }
        }
        i += count - 1;
    }
}

int synth_gen_family(synth_gen *g)
{
    const synth_params *p = g->p;
    long remaining = p->children - g->made;
    if (remaining <= 0)
        return 0;
    family *f = &g->fam;
    synth_rng r;
    int la, cap = remaining < SYNTH_MAX_FAMILY ? (int)remaining : SYNTH_MAX_FAMILY;
    do {
        /* Families all of whose children fall outside the birth years are
         * drawn and dropped; each draw has its own stream. */
        synth_rng_seed(&r, synth_hash3(p->seed, 0x46414dull /* "FAM" */, g->draws++));
        la = (int)synth_rng_pick(&r, g->m->la_cum, (size_t)g->m->n_las);
        f->ethnic = (synth_ethnic)synth_rng_pick(
            &r, g->ethnic_cum + (size_t)la * SYNTH_N_ETHNIC, SYNTH_N_ETHNIC);
        f->origin = pick_origin(f->ethnic, &r);
        int size = pick_family_size(g, &r);
        family_births(g, f, &r, size < cap ? size : cap, cap);
    } while (f->n == 0);
    f->id = ++g->families;

    int32_t earliest = f->kids[0].dob;
    f->born_abroad = synth_rng_chance(&r, synth_prob_of(p->born_abroad[f->ethnic]));
    f->arrival = NO_DAY;
    if (f->born_abroad) {
        int32_t latest = min32(g->end_day - 180, earliest + 14 * 365);
        f->arrival = latest > earliest ? synth_rng_range(&r, earliest, latest) : earliest;
    }
    f->start = f->born_abroad ? min32(earliest, f->arrival) : earliest;
    f->start = max32(f->start, f->born_abroad ? f->arrival : earliest);
    f->leave = NO_DAY;
    double emigration = p->emigration_rate * (f->born_abroad ? 2.5 : 1.0);
    for (int32_t year_start = f->start; year_start <= g->end_day; year_start += 365)
        if (synth_rng_chance(&r, synth_prob_of(emigration))) {
            f->leave = year_start + synth_rng_range(&r, 0, 364);
            break;
        }
    int32_t until = min32(g->end_day + 1, f->leave);

    f->n_addr = 0;
    int first_area = pick_area(g, la, f->ethnic, &r);
    add_address(f, f->start, first_area, (int)synth_rng_below(&r, SYNTH_UNITS_PER_AREA));
    family_moves(g, f, &r, until);
    family_surnames(g, f, &r, until);
    f->feminine = f->origin == SYNTH_ORIGIN_EAST_EUROPEAN && synth_rng_below(&r, 10) < 8;
    int decile = g->m->areas[f->addr[0].area].decile;
    double independent = p->independent_school_rate *
                         (decile >= 8 ? 2.5 : decile <= 3 ? 0.3 : 1.0);
    f->independent = synth_rng_chance(&r, synth_prob_of(independent));
    family_fsm(g, f, &r, until);
    f->n_cin = 0;
    family_cin(g, f, &r, until);
    nhs_from_counter(g, &g->mother_next, 1, f->mother_nhs);
    static const char *const muhammad[] = {"Muhammad", "Mohammed", "Mohammad", "Mohamed"};
    f->muhammad = muhammad[synth_rng_below(&r, 10) < 5   ? 0
                           : synth_rng_below(&r, 10) < 6 ? 1
                           : synth_rng_below(&r, 2)      ? 2
                                                         : 3];

    /* Children: who they are, then their care, then their timelines. */
    for (int i = 0; i < f->n; i++) {
        child *k = &f->kids[i];
        synth_rng kr;
        synth_rng_seed(&kr, synth_hash3(p->seed, 0x4b4944ull /* "KID" */,
                                        (uint64_t)k->person_id));
        synth_fmt_long(k->id_text, k->person_id);
        synth_fmt_long(k->family_text, f->id);
        synth_fmt_long(k->birth_year_text, year_of(k->dob));
        synth_fmt_iso(k->dob_text[DATE_ISO], k->dob);
        synth_fmt_dmy(k->dob_text[DATE_DMY], k->dob);
        synth_fmt_compact(k->dob_text[DATE_COMPACT], k->dob);
        for (int s = 0; s < SYNTH_N_SOURCES; s++)
            k->sticky_key[s] = synth_hash3(p->seed ^ 0x5354494b59ull /* "STIKY" */,
                                           (uint64_t)k->person_id, (uint64_t)s);
        k->female = synth_rng_chance(&kr, synth_prob_of(0.488));
        k->born_abroad = f->born_abroad && k->dob < f->arrival;
        k->entry = k->born_abroad ? f->arrival : k->dob;
        k->exit = min32(min32(g->end_day + 1, f->leave), k->birthday[18]);
        if (k->exit < k->entry)
            k->exit = k->entry;
        child_names(g, f, i, &kr);
        nhs_from_counter(g, &g->nhs_next, 0, k->nhs);
        child_conditions(g, f, k, &kr);
        k->n_own_cin = 0;
        if ((k->downs || k->cerebral_palsy || k->autism != NO_DAY) &&
            synth_rng_below(&kr, 10) < 3) {
            int32_t day = k->dob + synth_rng_range(&kr, 2 * 365, 10 * 365);
            if (day >= k->entry && day < k->exit)
                add_child_cin(k, day, "N2", &kr);
        }
        child_care(g, f, k, &kr);
        child_timelines(g, f, k, &kr);
        k->first_cin = NO_DAY;
        for (int c = 0; c < f->n_cin; c++)
            if (f->cin[c].start >= k->entry && f->cin[c].start < k->exit &&
                f->cin[c].start >= k->dob && f->cin[c].start < k->first_cin &&
                (k->adopted == NO_DAY || f->cin[c].start < k->adopted))
                k->first_cin = f->cin[c].start;
        for (int c = 0; c < k->n_own_cin; c++)
            if (k->own_cin[c].start < k->first_cin)
                k->first_cin = k->own_cin[c].start;
    }
    for (int i = 0; i < f->n; i++) {
        child *k = &f->kids[i];
        synth_rng kr;
        synth_rng_seed(&kr, synth_hash3(p->seed, 0x524543ull /* "REC" */,
                                        (uint64_t)k->person_id));
        if (k->entry < k->exit) {
            hospital(g, f, k, &kr);
            emergency_care(g, f, k, &kr);
            camhs(g, f, k, &kr);
            school_records(g, f, k, &kr);
            social_care(g, f, k, &kr);
        }
        people_row(g, f, k);
    }
    g->made += f->n;
    g->counts.children = g->made;
    g->counts.families = g->families;
    return f->n;
}

/* ------------------------------------------------------------ set-up */

static const char *const source_headers[SYNTH_N_SOURCES] = {
    "EPIKEY,NEWNHSNO,FORENAME,SURNAME,PREVIOUS_SURNAME,DOB,SEX,ETHNOS,HOMEADD,LSOA11,"
    "RESLADST,PROCODE3,ADMIDATE,DISDATE,ADMIMETH,DIAG_4_01,DIAG_4_02,DIAG_4_03",
    "EC_IDENT,NHS_NUMBER,PATIENT_FORENAME,PATIENT_SURNAME,PERSON_BIRTH_DATE,"
    "PERSON_STATED_GENDER_CODE,ETHNIC_CATEGORY,POSTCODE_USUAL_ADDRESS,LSOA,PROVIDER_CODE,"
    "ARRIVAL_DATE,EC_DIAGNOSIS_01,EC_DISCHARGE_DESTINATION",
    "SERVICE_REQUEST_ID,NHS_NUMBER,GIVEN_NAME,FAMILY_NAME,DATE_OF_BIRTH,GENDER,"
    "ETHNIC_CATEGORY,POSTCODE,LSOA,REFERRAL_DATE,SOURCE_OF_REFERRAL,"
    "PRIMARY_REASON_FOR_REFERRAL",
    "RecordID,UPN,LegalSurname,PreferredSurname,FormerSurname,Forename,MiddleNames,"
    "PreferredForename,DOB,Gender,Ethnicity,Postcode,LSOA,LA,Estab,URN,AcademicYear,"
    "CensusDate,NCyearActual,FSMeligible,SENprovision",
    "RecordID,UPN,Surname,Forename,DOB,Gender,Postcode,LA,Estab,URN,AcademicYear,"
    "NCyearActual,SessionsPossible,SessionsAuthorised,SessionsUnauthorised",
    "RecordID,UPN,Surname,Forename,DOB,Gender,Postcode,LA,Estab,URN,AcademicYear,"
    "KS2_READ_SCALED,KS2_MAT_SCALED,KS2_RWM_EXP",
    "RecordID,UPN,Surname,Forename,DOB,Gender,Postcode,LA,Estab,URN,AcademicYear,ATT8,"
    "GCSE_ENG_GRADE,GCSE_MAT_GRADE",
    "RecordID,UPN,Surname,Forename,DOB,Gender,Postcode,LA,Estab,URN,AcademicYear,Category,"
    "StartDate,Sessions,Reason",
    "ReferralID,LAchildID,UPN,NHSNumber,Forename,Surname,PersonBirthDate,GenderCurrent,"
    "Ethnicity,Postcode,LA,CINreferralDate,ReferralSource,PrimaryNeedCode,CPPstartDate,"
    "CINclosureDate,ReasonForClosure",
    "EpisodeID,CHILD,UPN,NHSNumber,Forename,Surname,DOB,SEX,ETHNIC,HOME_POST,PL_POST,LA,"
    "DECOM,RNE,LS,CIN,PLACE,DEC,REC",
};

static const char truth_header[] =
    "source,record_id,person_id,family_id,ethnic_group,deprivation_decile,sex,birth_year,la,"
    "multiple_birth,born_abroad,errors";

static const char people_header[] =
    "person_id,family_id,nhs_number,nhs_number_after_adoption,upn,forename,middle_names,"
    "preferred_forename,birth_surname,surname,dob,sex,ethnic_group,forename_origin,"
    "surname_origin,multiple_birth,born_abroad,entry_date,exit_date,entry_la,"
    "entry_deprivation_decile,moves,surname_changes,independent_school,asthma_onset,"
    "downs_syndrome,epilepsy_onset,type1_diabetes_onset,cerebral_palsy,cystic_fibrosis,"
    "sickle_cell,autism_diagnosis,leukaemia_onset,first_cin_referral,care_start,adopted,"
    "records";

/* Write a comma-separated header as fields. */
static void put_header(cl_csv_writer *w, const char *header)
{
    const char *p = header;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        cl_csv_write_field(w, p, len);
        p += len + (comma ? 1 : 0);
    }
    cl_csv_end_row(w);
}

void synth_gen_write_headers(synth_gen *g)
{
    for (int s = 0; s < SYNTH_N_SOURCES; s++)
        put_header(g->out->source[s], source_headers[s]);
    put_header(g->out->truth, truth_header);
    put_header(g->out->people, people_header);
}

const synth_counts *synth_gen_counts(const synth_gen *g)
{
    return &g->counts;
}

cl_status synth_gen_new(synth_gen **out, const synth_params *p, const synth_model *m,
                        const synth_names *names, synth_outputs *o, cl_error *err)
{
    *out = NULL;
    synth_gen *g = cl_calloc(1, sizeof *g);
    if (g == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    g->p = p;
    g->m = m;
    g->names = names;
    g->out = o;
    g->first_day = cl_date_from_ymd(p->first_year, 1, 1);
    g->last_day = cl_date_from_ymd(p->last_year, 12, 31);
    g->end_day = p->follow_up_end;
    g->twin_delivery = synth_prob_of(p->twin_rate / (2.0 - p->twin_rate));
    for (int s = 0; s < SYNTH_N_SOURCES; s++)
        g->record_key[s] = synth_hash3(p->seed, 0x524543ull /* "REC" */, (uint64_t)s);
    g->upn_year0 = p->first_year - 1;
    g->upn_years = year_of(p->follow_up_end) - g->upn_year0 + 2;
    g->local_next = cl_calloc((size_t)m->n_las, sizeof *g->local_next);
    g->upn_overflow = cl_calloc((size_t)m->n_las, sizeof *g->upn_overflow);
    g->upn_serial = cl_calloc((size_t)m->n_schools * (size_t)g->upn_years,
                              sizeof *g->upn_serial);
    g->ethnic_cum = cl_calloc((size_t)m->n_las * SYNTH_N_ETHNIC, sizeof *g->ethnic_cum);
    cl_status st = CL_ENOMEM;
    if (g->local_next == NULL || g->upn_overflow == NULL || g->upn_serial == NULL ||
        g->ethnic_cum == NULL)
        goto fail;
    if ((st = synth_errors_new(&g->errors, p, err)) != CL_OK)
        goto fail;
    for (int la = 0; la < m->n_las; la++) {
        double diversity = (double)m->las[la].diversity_ppm / 1e6;
        uint32_t cum = 0;
        for (int e = 0; e < SYNTH_N_ETHNIC; e++) {
            double w = p->ethnic_share[e] * (e == SYNTH_ETH_WBRI ? 1.0 : diversity);
            cum += (uint32_t)(w * 1e6);
            g->ethnic_cum[(size_t)la * SYNTH_N_ETHNIC + (size_t)e] = cum;
        }
        if (cum == 0)
            g->ethnic_cum[(size_t)la * SYNTH_N_ETHNIC + SYNTH_N_ETHNIC - 1] = 1;
    }
    *out = g;
    return CL_OK;
fail:
    synth_gen_free(g);
    if (st == CL_ENOMEM)
        cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    return st;
}

void synth_gen_free(synth_gen *g)
{
    if (g == NULL)
        return;
    synth_errors_free(g->errors);
    cl_free(g->local_next);
    cl_free(g->upn_overflow);
    cl_free(g->upn_serial);
    cl_free(g->ethnic_cum);
    cl_free(g);
}
