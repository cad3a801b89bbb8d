/*
 * synth_errors.c - the identifier errors each source makes.
 *
 * For every record the generator knows the truth (synth_true_ids) and asks
 * here what the source wrote down.  Each identifier field gets one uniform
 * draw, and the kinds of error of that field own consecutive slices of
 * [0, 1): so at most one error per field, and the share of eligible records
 * that carry a kind is exactly its rate (e.g. of the records whose date of
 * birth has day <= 12 and day != month, dob_day_month of them are
 * transposed).  Eligibility is counted for every record and kind, so
 * error_summary.csv and the tests can compare measured with configured.
 *
 * Errors stick to a person within a source, as real ones do: a hospital
 * keeps the misspelt registration, a school carries a wrong date of birth
 * from year to year.  With probability `persistence` a field's draw comes
 * from a stream keyed by (seed, person, source, field) instead of the
 * record's own stream, so the same error, with the same variant, recurs.
 * This changes how errors cluster, never their rate.
 */
#include <string.h>

#include "childlink/date.h"
#include "childlink/nhs.h"
#include "childlink/upn.h"
#include "synth_internal.h"

struct synth_errors {
    uint64_t seed;
    synth_prob persist[SYNTH_N_SOURCES];
    /* Kinds of field f are field_first[f] .. field_end[f]-1 (they are
     * consecutive in the enum). */
    int field_first[SYNTH_N_FIELDS], field_end[SYNTH_N_FIELDS];
    /* Cumulative thresholds within each field, kinds in enum order. */
    uint64_t cum[SYNTH_N_SOURCES][SYNTH_N_ORIGINS][2][SYNTH_N_KINDS];
};

cl_status synth_errors_new(synth_errors **out, const synth_params *p, cl_error *err)
{
    synth_errors *e = cl_calloc(1, sizeof *e);
    if (e == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    int *field_first = e->field_first, *field_end = e->field_end;
    for (int f = 0; f < SYNTH_N_FIELDS; f++) {
        field_first[f] = SYNTH_N_KINDS;
        field_end[f] = 0;
    }
    for (int k = 0; k < SYNTH_N_KINDS; k++) {
        int f = (int)synth_kind_field[k];
        if (k < field_first[f])
            field_first[f] = k;
        field_end[f] = k + 1;
    }
    e->seed = p->seed;
    for (int s = 0; s < SYNTH_N_SOURCES; s++) {
        e->persist[s] = synth_prob_of(p->persistence[s]);
        for (int o = 0; o < SYNTH_N_ORIGINS; o++)
            for (int a = 0; a < 2; a++)
                for (int f = 0; f < SYNTH_N_FIELDS; f++) {
                    double rate[SYNTH_N_KINDS] = {0}, sum = 0;
                    for (int k = field_first[f]; k < field_end[f]; k++) {
                        rate[k] = synth_effective_rate(p, (synth_source)s, (synth_kind)k,
                                                       (synth_origin)o, a);
                        sum += rate[k];
                    }
                    /* Scaled-up rates can outgrow the unit interval; keep
                     * their proportions. */
                    double scale = sum > 1.0 ? 1.0 / sum : 1.0;
                    double cum = 0;
                    for (int k = field_first[f]; k < field_end[f]; k++) {
                        cum += rate[k] * scale;
                        e->cum[s][o][a][k] = synth_prob_of(cum);
                    }
                }
    }
    *out = e;
    return CL_OK;
}

void synth_errors_free(synth_errors *e)
{
    cl_free(e);
}

/* ------------------------------------------------------------ helpers */

static void note(synth_id_view *v, synth_kind k)
{
    const char *name = synth_kind_names[k];
    size_t len = strlen(name);
    if (v->errors_len + len + 2 > sizeof v->errors)
        return;
    if (v->errors_len > 0)
        v->errors[v->errors_len++] = '|';
    memcpy(v->errors + v->errors_len, name, len + 1);
    v->errors_len += len;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t len = strlen(src);
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int wrong_digit(char *s, size_t first, size_t last, synth_rng *r)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        size_t at = first + synth_rng_below(r, (uint32_t)(last - first + 1));
        if (s[at] < '0' || s[at] > '9')
            continue;
        s[at] = (char)('0' + (s[at] - '0' + 1 + (int)synth_rng_below(r, 9)) % 10);
        return 1;
    }
    return 0;
}

static int transpose_digits(char *s, synth_rng *r)
{
    size_t len = strlen(s);
    for (int attempt = 0; attempt < 12 && len >= 2; attempt++) {
        size_t at = synth_rng_below(r, (uint32_t)(len - 1));
        if (s[at] != s[at + 1]) {
            char t = s[at];
            s[at] = s[at + 1];
            s[at + 1] = t;
            return 1;
        }
    }
    return 0;
}

static const char upn_letters[] = "ABCDEFGHJKLMNPQRTUVWXYZ";

static int temporary_upn(char *upn, synth_rng *r)
{
    if (strlen(upn) != 13)
        return 0;
    upn[12] = upn_letters[synth_rng_below(r, 23)];
    char check = cl_upn_check_letter(upn + 1);
    if (check == 0)
        return 0;
    upn[0] = check;
    return 1;
}

/* One digit of the day, month or year changed, giving a real date that is
 * not after the record (systems refuse a birth in the future). */
static int wrong_dob_digit(int32_t dob, int32_t latest, synth_rng *r, int32_t *out)
{
    int y, m, d;
    cl_date_to_ymd(dob, &y, &m, &d);
    for (int attempt = 0; attempt < 10; attempt++) {
        int ny = y, nm = m, nd = d;
        switch (synth_rng_below(r, 5)) {
        case 0: nd = (d / 10) * 10 + (int)synth_rng_below(r, 10); break;
        case 1: nd = (int)synth_rng_below(r, 4) * 10 + d % 10; break;
        case 2: nm = (m / 10) * 10 + (int)synth_rng_below(r, 10); break;
        case 3: ny = (y / 10) * 10 + (int)synth_rng_below(r, 10); break;
        default: ny = (y / 100) * 100 + (int)synth_rng_below(r, 10) * 10 + y % 10; break;
        }
        if ((ny != y || nm != m || nd != d) && cl_date_is_valid_ymd(ny, nm, nd) &&
            cl_date_from_ymd(ny, nm, nd) <= latest) {
            *out = cl_date_from_ymd(ny, nm, nd);
            return 1;
        }
    }
    return 0;
}

static const char inward[] = "ABDEFGHJLNPQRSTUWXYZ";

static int postcode_typo(char *pc, synth_rng *r)
{
    size_t len = strlen(pc);
    if (len < 6)
        return 0;
    char *digit = pc + len - 3, *l1 = pc + len - 2, *l2 = pc + len - 1;
    switch (synth_rng_below(r, 3)) {
    case 0:
        *digit = (char)('0' + (*digit - '0' + 1 + (int)synth_rng_below(r, 9)) % 10);
        return 1;
    case 1:
        if (*l1 == *l2)
            return 0;
        {
            char t = *l1;
            *l1 = *l2;
            *l2 = t;
        }
        return 1;
    default: {
        char *at = synth_rng_below(r, 2) ? l1 : l2;
        char c = inward[synth_rng_below(r, 20)];
        if (c == *at)
            return 0;
        *at = c;
        return 1;
    }
    }
}

/* Where an ethnicity is recorded differently, the group it is recorded as:
 * mostly a neighbouring category, as found when sources are compared. */
static const synth_ethnic ethnic_alternative[SYNTH_N_ETHNIC][2] = {
    {SYNTH_ETH_WOTH, SYNTH_ETH_MOTH}, {SYNTH_ETH_WBRI, SYNTH_ETH_WOTH},
    {SYNTH_ETH_WIRI, SYNTH_ETH_WBRI}, {SYNTH_ETH_WOTH, SYNTH_ETH_WIRT},
    {SYNTH_ETH_WBRI, SYNTH_ETH_OOTH}, {SYNTH_ETH_BCRB, SYNTH_ETH_WBRI},
    {SYNTH_ETH_BAFR, SYNTH_ETH_WBRI}, {SYNTH_ETH_AOTH, SYNTH_ETH_WBRI},
    {SYNTH_ETH_WBRI, SYNTH_ETH_OOTH}, {SYNTH_ETH_AOTH, SYNTH_ETH_OOTH},
    {SYNTH_ETH_AOTH, SYNTH_ETH_ABAN}, {SYNTH_ETH_AOTH, SYNTH_ETH_APKN},
    {SYNTH_ETH_AIND, SYNTH_ETH_OOTH}, {SYNTH_ETH_MWBC, SYNTH_ETH_BOTH},
    {SYNTH_ETH_BOTH, SYNTH_ETH_OOTH}, {SYNTH_ETH_BAFR, SYNTH_ETH_BCRB},
    {SYNTH_ETH_AOTH, SYNTH_ETH_OOTH}, {SYNTH_ETH_AOTH, SYNTH_ETH_WOTH},
};

/* ------------------------------------------------------------ applying */

static int eligible(synth_kind k, const synth_true_ids *t, int dob_day, int dob_month)
{
    switch (k) {
    case SYNTH_E_NHS_MISSING:
    case SYNTH_E_NHS_WRONG_DIGIT:
    case SYNTH_E_NHS_TRANSPOSED:
        return t->nhs[0] != '\0';
    case SYNTH_E_NHS_OTHER_PERSON:
        return t->nhs[0] != '\0' && t->other_nhs != NULL && t->other_nhs[0] != '\0' &&
               strcmp(t->other_nhs, t->nhs) != 0;
    case SYNTH_E_UPN_MISSING:
    case SYNTH_E_UPN_TEMPORARY:
    case SYNTH_E_UPN_WRONG_DIGIT:
        return t->upn[0] != '\0';
    case SYNTH_E_FORENAME_PLACEHOLDER:
        return t->day - t->dob < 28;
    case SYNTH_E_FORENAME_NICKNAME:
        return (t->can & SYNTH_CAN_NICKNAME) != 0;
    case SYNTH_E_FORENAME_MIDDLE:
        return t->middle[0] != '\0';
    case SYNTH_E_FORENAME_TRANSLIT:
        return synth_origin_transliterated(t->forename_origin) &&
               (t->can & SYNTH_CAN_FORE_TRANSLIT);
    case SYNTH_E_FORENAME_PHONETIC:
        return (t->can & SYNTH_CAN_FORE_PHONETIC) != 0;
    case SYNTH_E_SURNAME_STALE:
        return t->previous_surname != NULL && t->day - t->surname_since < SYNTH_STALE_SURNAME_DAYS;
    case SYNTH_E_SURNAME_PARTIAL:
        return strchr(t->surname, '-') != NULL;
    case SYNTH_E_SURNAME_TRANSLIT:
        return synth_origin_transliterated(t->surname_origin) &&
               (t->can & SYNTH_CAN_SUR_TRANSLIT);
    case SYNTH_E_SURNAME_PHONETIC:
        return (t->can & SYNTH_CAN_SUR_PHONETIC) != 0;
    case SYNTH_E_DOB_DAY_MONTH:
        return dob_day <= 12 && dob_day != dob_month;
    case SYNTH_E_DOB_ESTIMATED:
        return dob_day != 1;
    case SYNTH_E_POSTCODE_STALE:
        return t->prev_area >= 0 && t->day - t->address_since < SYNTH_STALE_POSTCODE_DAYS;
    default:
        return 1;
    }
}

static int apply(synth_kind k, const synth_true_ids *t, const synth_model *m,
                 const synth_names *names, synth_rng *r, synth_id_view *v, int dob_day,
                 int dob_month)
{
    char buf[96];
    switch (k) {
    case SYNTH_E_NHS_MISSING:
        v->nhs[0] = '\0';
        return 1;
    case SYNTH_E_NHS_OTHER_PERSON:
        copy(v->nhs, sizeof v->nhs, t->other_nhs);
        return 1;
    case SYNTH_E_NHS_WRONG_DIGIT:
        return wrong_digit(v->nhs, 0, 9, r);
    case SYNTH_E_NHS_TRANSPOSED:
        return transpose_digits(v->nhs, r);
    case SYNTH_E_UPN_MISSING:
        v->upn[0] = '\0';
        return 1;
    case SYNTH_E_UPN_TEMPORARY:
        return temporary_upn(v->upn, r);
    case SYNTH_E_UPN_WRONG_DIGIT:
        return wrong_digit(v->upn, 1, 12, r);
    case SYNTH_E_FORENAME_MISSING:
        v->forename[0] = '\0';
        return 1;
    case SYNTH_E_FORENAME_PLACEHOLDER:
        copy(v->forename, sizeof v->forename, "BABY");
        return 1;
    case SYNTH_E_FORENAME_NICKNAME:
        if (!synth_name_nickname(names, t->forename, r, buf, sizeof buf))
            return 0;
        copy(v->forename, sizeof v->forename, buf);
        return 1;
    case SYNTH_E_FORENAME_MIDDLE:
        /* Known by the middle name: the names come in the other order. */
        copy(v->forename, sizeof v->forename, t->middle);
        copy(v->middle, sizeof v->middle, t->forename);
        return 1;
    case SYNTH_E_FORENAME_TRANSLIT:
        if (!synth_name_translit(names, t->forename, t->forename_origin, r, buf, sizeof buf))
            return 0;
        copy(v->forename, sizeof v->forename, buf);
        return 1;
    case SYNTH_E_FORENAME_PHONETIC:
        if (!synth_name_phonetic(names, t->forename, r, buf, sizeof buf))
            return 0;
        copy(v->forename, sizeof v->forename, buf);
        return 1;
    case SYNTH_E_FORENAME_TYPO:
        if (!synth_name_typo(t->forename, r, buf, sizeof buf))
            return 0;
        copy(v->forename, sizeof v->forename, buf);
        return 1;
    case SYNTH_E_SURNAME_MISSING:
        v->surname[0] = '\0';
        return 1;
    case SYNTH_E_SURNAME_STALE:
        copy(v->surname, sizeof v->surname, t->previous_surname);
        v->previous_surname[0] = '\0';
        return 1;
    case SYNTH_E_SURNAME_PARTIAL: {
        const char *hyphen = strchr(t->surname, '-');
        if (synth_rng_below(r, 3) != 0) {
            size_t len = (size_t)(hyphen - t->surname);
            if (len >= sizeof v->surname)
                return 0;
            memcpy(v->surname, t->surname, len);
            v->surname[len] = '\0';
        } else {
            copy(v->surname, sizeof v->surname, hyphen + 1);
        }
        return v->surname[0] != '\0';
    }
    case SYNTH_E_SURNAME_TRANSLIT:
        if (!synth_name_translit(names, t->surname, t->surname_origin, r, buf, sizeof buf))
            return 0;
        copy(v->surname, sizeof v->surname, buf);
        return 1;
    case SYNTH_E_SURNAME_PHONETIC:
        if (!synth_name_phonetic(names, t->surname, r, buf, sizeof buf))
            return 0;
        copy(v->surname, sizeof v->surname, buf);
        return 1;
    case SYNTH_E_SURNAME_TYPO:
        if (!synth_name_typo(t->surname, r, buf, sizeof buf))
            return 0;
        copy(v->surname, sizeof v->surname, buf);
        return 1;
    case SYNTH_E_NAME_SWAP:
        copy(buf, sizeof buf, v->forename);
        copy(v->forename, sizeof v->forename, v->surname);
        copy(v->surname, sizeof v->surname, buf);
        return 1;
    case SYNTH_E_DOB_MISSING:
        v->dob = SYNTH_NO_DATE;
        return 1;
    case SYNTH_E_DOB_DAY_MONTH: {
        int y, mo, d;
        cl_date_to_ymd(t->dob, &y, &mo, &d);
        v->dob = cl_date_from_ymd(y, dob_day, dob_month);
        return 1;
    }
    case SYNTH_E_DOB_WRONG_DIGIT:
        return wrong_dob_digit(t->dob, t->day, r, &v->dob);
    case SYNTH_E_DOB_ESTIMATED: {
        int y, mo, d;
        cl_date_to_ymd(t->dob, &y, &mo, &d);
        /* Estimated dates are the first of the month, or for a child whose
         * birth was never registered here often 1 January. */
        v->dob = t->born_abroad && synth_rng_below(r, 2) ? cl_date_from_ymd(y, 1, 1)
                                                         : cl_date_from_ymd(y, mo, 1);
        return v->dob != t->dob;
    }
    case SYNTH_E_SEX_MISSING:
        v->sex = 0;
        return 1;
    case SYNTH_E_SEX_WRONG:
        v->sex = t->female ? 'M' : 'F';
        return 1;
    case SYNTH_E_POSTCODE_MISSING:
        v->postcode[0] = '\0';
        v->area = -1;
        return 1;
    case SYNTH_E_POSTCODE_STALE:
        synth_postcode(m, t->prev_area, t->prev_unit, v->postcode);
        v->area = t->prev_area;
        return 1;
    case SYNTH_E_POSTCODE_TYPO:
        return postcode_typo(v->postcode, r);
    case SYNTH_E_ETHNICITY_MISSING:
        v->ethnic = -1;
        return 1;
    case SYNTH_E_ETHNICITY_DIFFERENT:
        v->ethnic = (int)ethnic_alternative[t->ethnic][synth_rng_below(r, 4) == 0];
        return 1;
    default:
        return 0;
    }
}

void synth_errors_apply(const synth_errors *e, const synth_model *m, const synth_names *names,
                        synth_source s, const synth_true_ids *t, synth_rng *r,
                        synth_id_view *v, synth_counts *counts)
{
    copy(v->nhs, sizeof v->nhs, t->nhs);
    copy(v->upn, sizeof v->upn, t->upn);
    copy(v->forename, sizeof v->forename, t->forename);
    copy(v->middle, sizeof v->middle, t->middle);
    copy(v->surname, sizeof v->surname, t->surname);
    v->previous_surname[0] = '\0';
    v->dob = t->dob;
    v->sex = t->female ? 'F' : 'M';
    v->area = t->area;
    synth_postcode(m, t->area, t->unit, v->postcode);
    v->ethnic = (int)t->ethnic;
    v->errors[0] = '\0';
    v->errors_len = 0;

    int year, dob_month, dob_day;
    cl_date_to_ymd(t->dob, &year, &dob_month, &dob_day);
    int born_abroad = t->born_abroad ? 1 : 0;
    unsigned fields = synth_source_fields[s];
    const int *field_first = e->field_first, *field_end = e->field_end;
    for (int f = 0; f < SYNTH_N_FIELDS; f++) {
        if (!(fields & (1u << f)))
            continue;
        synth_origin o = f == SYNTH_F_FORENAME ? t->forename_origin : t->surname_origin;
        const uint64_t *cum = e->cum[s][o][born_abroad];
        for (int k = field_first[f]; k < field_end[f]; k++)
            if (eligible((synth_kind)k, t, dob_day, dob_month))
                counts->eligible[s][k]++;
        if (cum[field_end[f] - 1] == 0)
            continue;   /* no errors configured for this field */
        uint64_t key = synth_mix(t->sticky_key + (uint64_t)f);
        int sticky = synth_rng_chance(r, e->persist[s]);
        uint64_t u = sticky ? synth_mix(key) >> 32 : synth_rng_u32(r);
        int k = field_first[f];
        while (k < field_end[f] && u >= cum[k])
            k++;
        if (k == field_end[f] || !eligible((synth_kind)k, t, dob_day, dob_month))
            continue;
        synth_rng content;
        synth_rng *cr = r;
        if (sticky) {
            synth_rng_seed(&content, key ^ 0x434f4e54454e54ull /* "CONTENT" */);
            cr = &content;
        }
        if (apply((synth_kind)k, t, m, names, cr, v, dob_day, dob_month)) {
            counts->applied[s][k]++;
            note(v, (synth_kind)k);
        }
    }
}
