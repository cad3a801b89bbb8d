/*
 * synth_model.c - the fixed geography of the synthetic population: local
 * authorities, small areas with a deprivation decile, postcodes and schools.
 *
 * This is the "model" part of the generator's memory: its size depends on
 * the number of areas, never on the number of children.  Codes are derived
 * from indices, not drawn, so that a config file can name a local authority
 * ("E06900003") before the run and every run with the same number of areas
 * has the same codes; only the character of each authority (deprivation,
 * diversity, size) comes from the seed.
 *
 * Postcodes are synthetic but follow the Royal Mail format: each authority
 * gets a two-letter postcode area that no real area uses, each small area a
 * run of SYNTH_UNITS_PER_AREA units within one sector ("AC12 3DE"), so a
 * postcode always lies in exactly one small area and one authority.
 */
#include <stdio.h>
#include <string.h>

#include "synth_internal.h"

/* Real two-letter postcode areas, which synthetic areas must avoid. */
static const char real_areas[] =
    "AB AL BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL "
    "DN DT DY EC EH EN EX FK FY GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY "
    "LA LD LE LL LN LS LU ME MK ML NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM SA SE "
    "SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB WA WC WD WF WN WR WS WV "
    "YO ZE";

static const char *const la_names[] = {
    "Ashcombe", "Brackenhurst", "Caldermoor", "Dunmere", "Eastwold", "Farleigh Downs",
    "Greymarsh", "Hollinbrook", "Ivelford", "Kestrelby", "Larkmoor", "Millhaven",
    "Netherfold", "Oakhollow", "Pennistone Vale", "Quarrington", "Ravensmere", "Saltcombe",
    "Thistlebury", "Upperdale", "Wexcombe", "Yarrowfield", "Alderwick", "Blackthorne",
    "Coldharbour Vale", "Deepdene", "Elderbrook", "Foxmoor", "Glenwood", "Hartsholme",
    "Kingsmere", "Lowmoor", "Marlstone", "Norbridge", "Orchardleigh", "Pebblecombe",
    "Redmarsh", "Stonehollow", "Thornwick", "Willowmere",
};
#define N_LA_NAMES (sizeof la_names / sizeof la_names[0])

static const char *const school_words[] = {
    "Park", "Green", "Hill", "Meadow", "Vale", "Lane", "Fields", "Grove", "Brook", "Church",
    "Castle", "Mill", "Bridge", "Orchard", "Common", "Heath",
};
#define N_SCHOOL_WORDS (sizeof school_words / sizeof school_words[0])

/* Letters allowed in the last two places of a postcode (not C I K M O V). */
static const char inward_letters[] = "ABDEFGHJLNPQRSTUWXYZ";

/* Areas per sector: 8 areas x 20 units fit the 400 units a sector allows. */
#define AREAS_PER_SECTOR 8

static int valid_area_pair(char a, char b)
{
    if (a == 'Q' || a == 'V' || a == 'X' || b == 'I' || b == 'J' || b == 'Z')
        return 0;
    for (size_t i = 0; i + 2 < sizeof real_areas; i += 3)   /* "AB " entries */
        if (real_areas[i] == a && real_areas[i + 1] == b)
            return 0;
    return 1;
}

/* The la-th two-letter combination that is a valid, unused postcode area. */
static void area_letters(int la, char out[3])
{
    int seen = 0;
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++)
            if (valid_area_pair(a, b) && seen++ == la) {
                out[0] = a;
                out[1] = b;
                out[2] = '\0';
                return;
            }
    out[0] = 'Y';   /* unreachable for la < SYNTH_MAX_LAS */
    out[1] = 'Y';
    out[2] = '\0';
}

static void la_name(int la, char *out, size_t cap)
{
    if ((size_t)la < N_LA_NAMES)
        snprintf(out, cap, "%s", la_names[la]);
    else
        snprintf(out, cap, "%s %d", la_names[la % N_LA_NAMES], la / (int)N_LA_NAMES + 1);
}

static int clamp_int(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

cl_status synth_model_build(synth_model *m, const synth_params *p, cl_error *err)
{
    memset(m, 0, sizeof *m);
    int n_las = p->areas;
    int per_la = p->small_areas_per_la;
    if (per_la == 0)
        per_la = clamp_int((int)(p->children / ((long)n_las * 250)), 4, 2000);
    if ((long)per_la * n_las > 99999)
        per_la = 99999 / n_las;
    long years = p->last_year - p->first_year + 1;
    long cohort = p->children / years / n_las + 1;
    int primaries = clamp_int((int)(cohort / 45 + 1), 1, 1999);
    int secondaries = clamp_int((int)(cohort / 200 + 1), 1, 999);
    if (primaries > per_la)
        primaries = per_la;
    if (secondaries > per_la)
        secondaries = per_la;

    m->n_las = n_las;
    m->n_areas = per_la * n_las;
    m->n_schools = (primaries + secondaries) * n_las;
    m->las = cl_calloc((size_t)n_las, sizeof *m->las);
    m->areas = cl_calloc((size_t)m->n_areas, sizeof *m->areas);
    m->schools = cl_calloc((size_t)m->n_schools, sizeof *m->schools);
    m->la_cum = cl_calloc((size_t)n_las, sizeof *m->la_cum);
    if (m->las == NULL || m->areas == NULL || m->schools == NULL || m->la_cum == NULL) {
        synth_model_free(m);
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory building the areas");
    }

    synth_rng r;
    synth_rng_seed(&r, synth_hash3(p->seed, 0x4d4f44454cull /* "MODEL" */, 0));
    /* Mean deprivation deciles spread from deprived to affluent, then dealt
     * out to authorities in a seeded order. */
    int *order = cl_malloc((size_t)n_las * sizeof *order);
    if (order == NULL) {
        synth_model_free(m);
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory building the areas");
    }
    for (int i = 0; i < n_las; i++)
        order[i] = i;
    for (int i = n_las - 1; i > 0; i--) {
        int j = (int)synth_rng_below(&r, (uint32_t)i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    uint32_t cum = 0;
    int area = 0, school = 0;
    for (int la = 0; la < n_las; la++) {
        synth_la *l = &m->las[la];
        synth_la_code(la, l->code);
        la_name(la, l->name, sizeof l->name);
        area_letters(la, l->area_letters);
        l->provider[0] = 'R';
        l->provider[1] = (char)('A' + la / 26 % 26);
        l->provider[2] = (char)('A' + la % 26);
        l->provider[3] = '\0';
        l->dfe_number = 101 + la;
        /* Population weights 0.6-1.4 and diversity 0.3-3.0 times the
         * national share of children from minority ethnic groups; the
         * deprived authorities tend to be the diverse ones, as in England. */
        cum += 600 + synth_rng_below(&r, 801);
        m->la_cum[la] = cum;
        int mean_decile = n_las == 1 ? 5 : 2 + 7 * order[la] / (n_las - 1);
        l->diversity_ppm = (uint32_t)(300000 + synth_rng_below(&r, 1500001) +
                                      (uint32_t)(10 - mean_decile) * 150000u);
        l->first_area = area;
        l->n_areas = per_la;
        for (int j = 0; j < per_la; j++, area++) {
            synth_area *a = &m->areas[area];
            unsigned n = 900001u + (unsigned)area;
            memcpy(a->code, "E01", 3);
            for (int i = 8; i >= 3; i--) {
                a->code[i] = (char)('0' + n % 10);
                n /= 10;
            }
            a->code[9] = '\0';
            a->la = la;
            a->decile = clamp_int(mean_decile + (int)synth_rng_below(&r, 9) - 4, 1, 10);
            int sector_index = j / AREAS_PER_SECTOR;
            a->district = 1 + sector_index / 10;
            a->sector = sector_index % 10;
            a->unit_first = (j % AREAS_PER_SECTOR) * SYNTH_UNITS_PER_AREA;
        }
        l->first_primary = school;
        l->n_primaries = primaries;
        for (int i = 0; i < primaries; i++, school++) {
            synth_school *s = &m->schools[school];
            s->la = la;
            s->secondary = 0;
            s->estab = 2001 + i;
            s->area = l->first_area + i * per_la / primaries;
        }
        l->first_secondary = school;
        l->n_secondaries = secondaries;
        for (int i = 0; i < secondaries; i++, school++) {
            synth_school *s = &m->schools[school];
            s->la = la;
            s->secondary = 1;
            s->estab = 4001 + i;
            s->area = l->first_area + i * per_la / secondaries;
        }
        for (int j = 0; j < per_la; j++) {
            synth_area *a = &m->areas[l->first_area + j];
            a->primary = l->first_primary + j * primaries / per_la;
            a->secondary = l->first_secondary + j * secondaries / per_la;
        }
    }
    for (int s = 0; s < m->n_schools; s++)
        m->schools[s].urn = 900001 + s;
    cl_free(order);
    return CL_OK;
}

void synth_model_free(synth_model *m)
{
    if (m == NULL)
        return;
    cl_free(m->las);
    cl_free(m->areas);
    cl_free(m->schools);
    cl_free(m->la_cum);
    memset(m, 0, sizeof *m);
}

void synth_postcode(const synth_model *m, int area, int unit, char *out)
{
    const synth_area *a = &m->areas[area];
    const synth_la *l = &m->las[a->la];
    int u = a->unit_first + unit;
    int n = 0;
    out[n++] = l->area_letters[0];
    out[n++] = l->area_letters[1];
    if (a->district >= 10)
        out[n++] = (char)('0' + a->district / 10);
    out[n++] = (char)('0' + a->district % 10);
    out[n++] = ' ';
    out[n++] = (char)('0' + a->sector);
    out[n++] = inward_letters[u / 20];
    out[n++] = inward_letters[u % 20];
    out[n] = '\0';
}

static void write_int(cl_csv_writer *w, long long v)
{
    char buf[24];
    cl_csv_write_field(w, buf, synth_fmt_long(buf, v));
}

cl_status synth_model_write_areas(const synth_model *m, const synth_params *p,
                                  cl_csv_writer *w)
{
    static const char *const header[] = {
        "area_code", "la_code", "la_name", "la_number", "deprivation_decile",
        "postcode_sector", "first_postcode", "last_postcode", "postcodes",
        "primary_school_urn", "secondary_school_urn", "late_sen_la",
    };
    for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
        cl_csv_write_str(w, header[i]);
    cl_csv_end_row(w);
    for (int i = 0; i < m->n_areas; i++) {
        const synth_area *a = &m->areas[i];
        const synth_la *l = &m->las[a->la];
        char first[9], last[9], sector[9];
        synth_postcode(m, i, 0, first);
        synth_postcode(m, i, SYNTH_UNITS_PER_AREA - 1, last);
        memcpy(sector, first, sizeof sector);
        sector[strlen(sector) - 2] = '\0';
        cl_csv_write_str(w, a->code);
        cl_csv_write_str(w, l->code);
        cl_csv_write_str(w, l->name);
        write_int(w, l->dfe_number);
        write_int(w, a->decile);
        cl_csv_write_str(w, sector);
        cl_csv_write_str(w, first);
        cl_csv_write_str(w, last);
        write_int(w, SYNTH_UNITS_PER_AREA);
        write_int(w, m->schools[a->primary].urn);
        write_int(w, m->schools[a->secondary].urn);
        write_int(w, p->late_sen[a->la] ? 1 : 0);
        cl_csv_end_row(w);
    }
    return CL_OK;
}

cl_status synth_model_write_postcodes(const synth_model *m, cl_csv_writer *w)
{
    static const char *const header[] = {"postcode", "area_code", "la_code",
                                         "deprivation_decile"};
    for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
        cl_csv_write_str(w, header[i]);
    cl_csv_end_row(w);
    for (int i = 0; i < m->n_areas; i++) {
        const synth_area *a = &m->areas[i];
        for (int u = 0; u < SYNTH_UNITS_PER_AREA; u++) {
            char pc[9];
            synth_postcode(m, i, u, pc);
            cl_csv_write_str(w, pc);
            cl_csv_write_str(w, a->code);
            cl_csv_write_str(w, m->las[a->la].code);
            write_int(w, a->decile);
            cl_csv_end_row(w);
        }
    }
    return CL_OK;
}

cl_status synth_model_write_schools(const synth_model *m, cl_csv_writer *w)
{
    static const char *const header[] = {"urn", "la_number", "estab", "laestab",
                                         "school_name", "phase", "la_code", "area_code"};
    for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
        cl_csv_write_str(w, header[i]);
    cl_csv_end_row(w);
    for (int i = 0; i < m->n_schools; i++) {
        const synth_school *s = &m->schools[i];
        const synth_la *l = &m->las[s->la];
        int nth = s->secondary ? i - l->first_secondary : i - l->first_primary;
        char name[96];
        const char *word = school_words[nth % (int)N_SCHOOL_WORDS];
        int round = nth / (int)N_SCHOOL_WORDS;
        char first_word[40];
        snprintf(first_word, sizeof first_word, "%s", l->name);
        char *space = strchr(first_word, ' ');
        if (space != NULL)
            *space = '\0';
        if (round == 0)
            snprintf(name, sizeof name, "%s %s %s", first_word, word,
                     s->secondary ? "Academy" : "Primary School");
        else
            snprintf(name, sizeof name, "%s %s %s %d", first_word, word,
                     s->secondary ? "Academy" : "Primary School", round + 1);
        write_int(w, s->urn);
        write_int(w, l->dfe_number);
        write_int(w, s->estab);
        write_int(w, (long long)l->dfe_number * 10000 + s->estab);
        cl_csv_write_str(w, name);
        cl_csv_write_str(w, s->secondary ? "Secondary" : "Primary");
        cl_csv_write_str(w, l->code);
        cl_csv_write_str(w, m->areas[s->area].code);
        cl_csv_end_row(w);
    }
    return CL_OK;
}
