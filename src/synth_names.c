/*
 * synth_names.c - drawing names, and the ways a name gets written wrongly.
 *
 * At start-up the embedded lists (synth_names_data.c) are tokenised into one
 * arena and every distinct spelling is interned once, so a name is a small
 * integer with its string, its short forms and the variant groups it belongs
 * to.  Each (origin, sex) forename list and each origin's surname list
 * becomes a table of cumulative integer weights, sampled by binary search.
 * English forenames drift by cohort: their table is built for every birth
 * year from 2005 to 2020 as a blend of the 2005 and 2020 rankings (years
 * outside that range use the nearest one), all in integer arithmetic.
 *
 * Variants come in four kinds, matching the errors a record can carry:
 * nicknames (a listed short form), phonetic spellings (a listed equivalent,
 * else an English spelling rule: ph/f, doubled letters, -ie/-y, ...),
 * transliterations (a listed equivalent, else a rule of the name's own
 * romanisation: Arabic ee/i and a/e, Somali x/h, pinyin x/hs, Polish
 * diacritics and w/v, ...), and keyboard typos (adjacent key, dropped,
 * doubled or swapped letter).  Rules work on ASCII letters only, so names in
 * UTF-8 keep their other characters intact.
 */
#include <string.h>

#include "childlink/strmap.h"
#include "synth_internal.h"

#define NAME_MAX_BYTES 64
#define YEAR_LO 2005
#define YEAR_HI 2020
#define N_YEARS (YEAR_HI - YEAR_LO + 1)
#define RANK_SCALE 1000000u

typedef struct name_info {
    uint32_t nick_first, nick_count;   /* into nick_ids */
    int32_t phonetic_group;            /* -1: none */
    int32_t translit_group;
} name_info;

typedef struct name_group {
    uint32_t first, count;             /* into group_ids */
} name_group;

typedef struct name_table {
    uint32_t n;
    uint32_t *ids;
    uint32_t *cum;       /* n_years tables of n cumulative weights */
    int n_years;
} name_table;

struct synth_names {
    cl_strmap *map;          /* spelling -> id */
    char *arena;
    size_t arena_len, arena_cap;
    const char **str;        /* id -> spelling */
    name_info *info;
    uint32_t n_str, cap_str;
    uint32_t *nick_ids;
    uint32_t n_nick, cap_nick;
    uint32_t *group_ids;
    uint32_t n_group_ids, cap_group_ids;
    name_group *groups;
    uint32_t n_groups, cap_groups;
    name_table fore[SYNTH_N_ORIGINS][2];
    name_table sur[SYNTH_N_ORIGINS];
};

static const char *const origin_names[SYNTH_N_ORIGINS] = {
    "english", "irish", "east_european", "south_asian_muslim", "indian",
    "west_african", "somali", "chinese", "arabic",
};

const char *synth_origin_name(synth_origin o)
{
    return (unsigned)o < SYNTH_N_ORIGINS ? origin_names[o] : "";
}

int synth_origin_transliterated(synth_origin o)
{
    switch (o) {
    case SYNTH_ORIGIN_EAST_EUROPEAN:
    case SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM:
    case SYNTH_ORIGIN_INDIAN:
    case SYNTH_ORIGIN_SOMALI:
    case SYNTH_ORIGIN_CHINESE:
    case SYNTH_ORIGIN_ARABIC:
        return 1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------- building */

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static int grow(void **array, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t next = *cap ? *cap * 2 : 256;
    while (next < need)
        next *= 2;
    void *p = cl_realloc(*array, (size_t)next * elem);
    if (p == NULL)
        return -1;
    *array = p;
    *cap = next;
    return 0;
}

/* The id of a spelling, interning it on first sight; -1 when out of memory
 * or the name is too long to be a name. */
static int64_t intern(synth_names *n, const char *s, size_t len)
{
    int64_t id;
    if (len == 0 || len >= NAME_MAX_BYTES)
        return -1;
    if (cl_strmap_get(n->map, s, len, &id))
        return id;
    if (n->arena_len + len + 1 > n->arena_cap)
        return -1;
    if (grow((void **)&n->str, &n->cap_str, n->n_str + 1, sizeof *n->str) != 0)
        return -1;
    char *copy = n->arena + n->arena_len;
    memcpy(copy, s, len);
    copy[len] = '\0';
    n->arena_len += len + 1;
    id = n->n_str;
    if (cl_strmap_put(n->map, copy, len, id, NULL) < 0)
        return -1;
    n->str[id] = copy;
    n->n_str++;
    return id;
}

/* Next white-space separated token of `*text` on the current line; returns
 * its length (0 at the end of the line or text) and leaves *text after it. */
static size_t next_token(const char **text, const char **start, int stop_at_newline)
{
    const char *p = *text;
    while (*p && is_space(*p) && !(stop_at_newline && *p == '\n'))
        p++;
    *start = p;
    while (*p && !is_space(*p))
        p++;
    *text = p;
    return (size_t)(p - *start);
}

static size_t count_tokens(const char *text)
{
    size_t count = 0;
    const char *start;
    while (next_token(&text, &start, 0) > 0)
        count++;
    return count;
}

static cl_status build_infos(synth_names *n)
{
    name_info *info = cl_realloc(n->info, (size_t)(n->n_str ? n->n_str : 1) * sizeof *info);
    if (info == NULL)
        return CL_ENOMEM;
    for (uint32_t i = 0; i < n->n_str; i++) {
        info[i].nick_first = info[i].nick_count = 0;
        info[i].phonetic_group = info[i].translit_group = -1;
    }
    n->info = info;
    return CL_OK;
}

/* Read lines of equivalent spellings into groups.  The group of a name is
 * the first listed line it appears on. */
static cl_status read_groups(synth_names *n, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *start;
        uint32_t first = n->n_group_ids, count = 0;
        size_t len;
        while ((len = next_token(&p, &start, 1)) > 0) {
            int64_t id = intern(n, start, len);
            if (id < 0 || grow((void **)&n->group_ids, &n->cap_group_ids,
                               n->n_group_ids + 1, sizeof *n->group_ids) != 0)
                return CL_ENOMEM;
            n->group_ids[n->n_group_ids++] = (uint32_t)id;
            count++;
        }
        if (*p == '\n')
            p++;
        if (count == 0)
            continue;
        if (grow((void **)&n->groups, &n->cap_groups, n->n_groups + 1, sizeof *n->groups) != 0)
            return CL_ENOMEM;
        n->groups[n->n_groups].first = first;
        n->groups[n->n_groups].count = count;
        n->n_groups++;
    }
    return CL_OK;
}

static cl_status read_nicknames(synth_names *n)
{
    const char *p = synth_nickname_text;
    while (*p) {
        const char *start;
        size_t len = next_token(&p, &start, 1);
        if (len > 0) {
            if (intern(n, start, len) < 0)
                return CL_ENOMEM;
            while ((len = next_token(&p, &start, 1)) > 0)
                if (intern(n, start, len) < 0)
                    return CL_ENOMEM;
        }
        if (*p == '\n')
            p++;
    }
    return CL_OK;
}

/* Second pass over the nickname lines, once infos exist. */
static cl_status link_nicknames(synth_names *n)
{
    const char *p = synth_nickname_text;
    while (*p) {
        const char *start;
        size_t len = next_token(&p, &start, 1);
        if (len > 0) {
            int64_t full;
            cl_strmap_get(n->map, start, len, &full);
            name_info *info = &n->info[full];
            int fresh = info->nick_count == 0;
            if (fresh)
                info->nick_first = n->n_nick;
            while ((len = next_token(&p, &start, 1)) > 0) {
                int64_t id;
                cl_strmap_get(n->map, start, len, &id);
                if (!fresh || id == full)
                    continue;
                if (grow((void **)&n->nick_ids, &n->cap_nick, n->n_nick + 1,
                         sizeof *n->nick_ids) != 0)
                    return CL_ENOMEM;
                n->nick_ids[n->n_nick++] = (uint32_t)id;
                info->nick_count++;
            }
        }
        if (*p == '\n')
            p++;
    }
    return CL_OK;
}

static void link_groups(synth_names *n, uint32_t first_group, uint32_t end_group, int translit)
{
    for (uint32_t g = first_group; g < end_group; g++) {
        for (uint32_t k = 0; k < n->groups[g].count; k++) {
            name_info *info = &n->info[n->group_ids[n->groups[g].first + k]];
            int32_t *slot = translit ? &info->translit_group : &info->phonetic_group;
            if (*slot < 0 && n->groups[g].count > 1)
                *slot = (int32_t)g;
        }
    }
}

static uint32_t rank_weight(size_t rank, int offset)
{
    return RANK_SCALE / (uint32_t)(rank + 1 + (size_t)offset);
}

/* Build one forename table from the lists for (origin, sex): a list with a
 * ranking year takes part in the cohort blend, others weigh every year
 * alike. */
static cl_status build_forenames(synth_names *n, synth_origin o, char sex, name_table *t,
                                 uint32_t *local)
{
    uint32_t *w05 = NULL, *w20 = NULL;
    cl_status st = CL_ENOMEM;
    size_t cap = 0;
    int cohort = 0;
    for (size_t i = 0; i < synth_n_name_lists; i++)
        if (synth_name_lists[i].origin == o && synth_name_lists[i].sex == sex) {
            cap += count_tokens(synth_name_lists[i].text);
            cohort |= synth_name_lists[i].year != 0;
        }
    t->ids = cl_malloc((cap ? cap : 1) * sizeof *t->ids);
    w05 = cl_calloc(cap ? cap : 1, sizeof *w05);
    w20 = cl_calloc(cap ? cap : 1, sizeof *w20);
    if (t->ids == NULL || w05 == NULL || w20 == NULL)
        goto done;
    t->n = 0;
    for (size_t i = 0; i < synth_n_name_lists; i++) {
        const synth_name_list *l = &synth_name_lists[i];
        if (l->origin != o || l->sex != sex)
            continue;
        const char *p = l->text, *start;
        size_t len, rank = 0;
        while ((len = next_token(&p, &start, 0)) > 0) {
            int64_t id = intern(n, start, len);
            if (id < 0)
                goto done;
            uint32_t k = local[id];
            if (k == UINT32_MAX) {
                k = t->n++;
                local[id] = k;
                t->ids[k] = (uint32_t)id;
            }
            uint32_t w = rank_weight(rank++, l->zipf_offset);
            if (l->year == 0 || l->year <= 2012) {
                if (w05[k] == 0)
                    w05[k] = w;
            }
            if (l->year == 0 || l->year > 2012) {
                if (w20[k] == 0)
                    w20[k] = w;
            }
        }
    }
    for (uint32_t k = 0; k < t->n; k++)
        local[t->ids[k]] = UINT32_MAX;
    /* A name missing from one ranking is rare in that year, not impossible. */
    uint32_t floor_weight = rank_weight(450, 10) / 2;
    for (uint32_t k = 0; k < t->n; k++) {
        if (w05[k] == 0)
            w05[k] = floor_weight;
        if (w20[k] == 0)
            w20[k] = floor_weight;
    }
    t->n_years = cohort ? N_YEARS : 1;
    t->cum = cl_malloc((size_t)t->n_years * (t->n ? t->n : 1) * sizeof *t->cum);
    if (t->cum == NULL)
        goto done;
    for (int y = 0; y < t->n_years; y++) {
        uint32_t total = 0;
        for (uint32_t k = 0; k < t->n; k++) {
            uint64_t w = cohort ? ((uint64_t)w05[k] * (uint64_t)(N_YEARS - 1 - y) +
                                   (uint64_t)w20[k] * (uint64_t)y) / (N_YEARS - 1)
                                : w05[k];
            total += (uint32_t)(w ? w : 1);
            t->cum[(size_t)y * t->n + k] = total;
        }
    }
    st = CL_OK;
done:
    cl_free(w05);
    cl_free(w20);
    return st;
}

static cl_status build_surnames(synth_names *n, synth_origin o, name_table *t)
{
    size_t cap = 0;
    for (size_t i = 0; i < synth_n_name_lists; i++)
        if (synth_name_lists[i].origin == o && synth_name_lists[i].sex == 'S')
            cap += count_tokens(synth_name_lists[i].text);
    const synth_name_compound *c = NULL;
    for (size_t i = 0; i < synth_n_name_compounds; i++)
        if (synth_name_compounds[i].origin == o)
            c = &synth_name_compounds[i];
    size_t n_prefix = c ? count_tokens(c->prefixes) : 0;
    size_t n_suffix = c ? count_tokens(c->suffixes) : 0;
    cap += n_prefix * n_suffix;
    t->n_years = 1;
    t->ids = cl_malloc((cap ? cap : 1) * sizeof *t->ids);
    t->cum = cl_malloc((cap ? cap : 1) * sizeof *t->cum);
    if (t->ids == NULL || t->cum == NULL)
        return CL_ENOMEM;
    uint32_t total = 0;
    t->n = 0;
    for (size_t i = 0; i < synth_n_name_lists; i++) {
        const synth_name_list *l = &synth_name_lists[i];
        if (l->origin != o || l->sex != 'S')
            continue;
        const char *p = l->text, *start;
        size_t len, rank = 0;
        while ((len = next_token(&p, &start, 0)) > 0) {
            int64_t id = intern(n, start, len);
            if (id < 0)
                return CL_ENOMEM;
            total += rank_weight(rank++, l->zipf_offset);
            t->ids[t->n] = (uint32_t)id;
            t->cum[t->n++] = total;
        }
    }
    if (c != NULL && n_prefix * n_suffix > 0) {
        uint64_t tail = (uint64_t)total * (uint64_t)c->tail_permille /
                        (uint64_t)(1000 - c->tail_permille);
        uint32_t each = (uint32_t)(tail / (n_prefix * n_suffix));
        if (each == 0)
            each = 1;
        const char *pp = c->prefixes, *ps;
        size_t lp;
        while ((lp = next_token(&pp, &ps, 0)) > 0) {
            const char *sp = c->suffixes, *ss;
            size_t ls;
            while ((ls = next_token(&sp, &ss, 0)) > 0) {
                char buf[NAME_MAX_BYTES];
                if (lp + ls >= sizeof buf)
                    continue;
                memcpy(buf, ps, lp);
                memcpy(buf + lp, ss, ls);
                int64_t id = intern(n, buf, lp + ls);
                if (id < 0)
                    return CL_ENOMEM;
                total += each;
                t->ids[t->n] = (uint32_t)id;
                t->cum[t->n++] = total;
            }
        }
    }
    return CL_OK;
}

static size_t longest_token(const char *text)
{
    size_t longest = 0, len;
    const char *start;
    while ((len = next_token(&text, &start, 0)) > 0)
        if (len > longest)
            longest = len;
    return longest;
}

/* An upper bound on the arena: every listed spelling once, plus every
 * compound at its longest. */
static size_t arena_bytes_needed(void)
{
    size_t bytes = strlen(synth_nickname_text) + strlen(synth_phonetic_text) +
                   strlen(synth_translit_text) + 3;
    for (size_t i = 0; i < synth_n_name_lists; i++)
        bytes += strlen(synth_name_lists[i].text) + 1;
    for (size_t i = 0; i < synth_n_name_compounds; i++) {
        const synth_name_compound *c = &synth_name_compounds[i];
        bytes += count_tokens(c->prefixes) * count_tokens(c->suffixes) *
                 (longest_token(c->prefixes) + longest_token(c->suffixes) + 1);
    }
    return bytes;
}

cl_status synth_names_new(synth_names **out, cl_error *err)
{
    *out = NULL;
    uint32_t *local = NULL;
    cl_status st = CL_ENOMEM;
    synth_names *n = cl_calloc(1, sizeof *n);
    if (n == NULL)
        goto fail;
    n->arena_cap = arena_bytes_needed();
    n->arena = cl_malloc(n->arena_cap);
    n->map = cl_strmap_new();
    if (n->arena == NULL || n->map == NULL)
        goto fail;
    /* Intern every spelling first so that ids are stable, then build the
     * per-name information and the tables. */
    if (read_nicknames(n) != CL_OK)
        goto fail;
    uint32_t phonetic_first = n->n_groups;
    if (read_groups(n, synth_phonetic_text) != CL_OK)
        goto fail;
    uint32_t translit_first = n->n_groups;
    if (read_groups(n, synth_translit_text) != CL_OK)
        goto fail;
    uint32_t translit_end = n->n_groups;
    /* Tables intern the list names; `local` maps id -> table slot while a
     * table is built, so it must cover every id that can appear: each takes
     * at least two bytes of the arena. */
    size_t max_ids = n->arena_cap / 2 + 1;
    local = cl_malloc(max_ids * sizeof *local);
    if (local == NULL)
        goto fail;
    memset(local, 0xff, max_ids * sizeof *local);
    for (int o = 0; o < SYNTH_N_ORIGINS; o++) {
        if (build_forenames(n, (synth_origin)o, 'M', &n->fore[o][0], local) != CL_OK ||
            build_forenames(n, (synth_origin)o, 'F', &n->fore[o][1], local) != CL_OK ||
            build_surnames(n, (synth_origin)o, &n->sur[o]) != CL_OK)
            goto fail;
    }
    if (build_infos(n) != CL_OK || link_nicknames(n) != CL_OK)
        goto fail;
    link_groups(n, phonetic_first, translit_first, 0);
    link_groups(n, translit_first, translit_end, 1);
    cl_free(local);
    *out = n;
    return CL_OK;
fail:
    cl_free(local);
    synth_names_free(n);
    return cl_error_set(err, st, NULL, 0, "out of memory building the name tables");
}

void synth_names_free(synth_names *n)
{
    if (n == NULL)
        return;
    for (int o = 0; o < SYNTH_N_ORIGINS; o++) {
        for (int s = 0; s < 2; s++) {
            cl_free(n->fore[o][s].ids);
            cl_free(n->fore[o][s].cum);
        }
        cl_free(n->sur[o].ids);
        cl_free(n->sur[o].cum);
    }
    cl_strmap_free(n->map);
    cl_free(n->arena);
    cl_free(n->str);
    cl_free(n->info);
    cl_free(n->nick_ids);
    cl_free(n->group_ids);
    cl_free(n->groups);
    cl_free(n);
}

/* ------------------------------------------------------------- sampling */

const char *synth_names_forename(const synth_names *n, synth_origin o, int female,
                                 int birth_year, synth_rng *r)
{
    const name_table *t = &n->fore[o][female ? 1 : 0];
    int y = 0;
    if (t->n_years > 1) {
        y = birth_year < YEAR_LO ? 0 : birth_year > YEAR_HI ? N_YEARS - 1 : birth_year - YEAR_LO;
    }
    size_t k = synth_rng_pick(r, t->cum + (size_t)y * t->n, t->n);
    return n->str[t->ids[k]];
}

const char *synth_names_surname(const synth_names *n, synth_origin o, synth_rng *r)
{
    const name_table *t = &n->sur[o];
    return n->str[t->ids[synth_rng_pick(r, t->cum, t->n)]];
}

size_t synth_names_forename_count(const synth_names *n)
{
    size_t count = 0;
    for (int o = 0; o < SYNTH_N_ORIGINS; o++)
        count += n->fore[o][0].n + n->fore[o][1].n;
    return count;
}

size_t synth_names_surname_count(const synth_names *n)
{
    size_t count = 0;
    for (int o = 0; o < SYNTH_N_ORIGINS; o++)
        count += n->sur[o].n;
    return count;
}

double synth_names_top_surname_share(const synth_names *n, synth_origin o)
{
    const name_table *t = &n->sur[o];
    if (t->n == 0)
        return 0.0;
    return (double)t->cum[0] / (double)t->cum[t->n - 1];
}

/* ------------------------------------------------------------- variants */

static int lookup(const synth_names *n, const char *name, int64_t *id)
{
    return cl_strmap_get(n->map, name, strlen(name), id);
}

static int copy_out(const char *s, char *out, size_t cap)
{
    size_t len = strlen(s);
    if (len + 1 > cap)
        return 0;
    memcpy(out, s, len + 1);
    return 1;
}

static int from_group(const synth_names *n, int64_t id, int32_t group, synth_rng *r, char *out,
                      size_t cap)
{
    const name_group *g = &n->groups[group];
    /* Pick uniformly among the other members. */
    uint32_t k = synth_rng_below(r, g->count - 1);
    uint32_t pick = n->group_ids[g->first + k];
    if (pick == (uint32_t)id)
        pick = n->group_ids[g->first + g->count - 1];
    if (pick == (uint32_t)id)
        return 0;
    return copy_out(n->str[pick], out, cap);
}

int synth_name_nickname(const synth_names *n, const char *name, synth_rng *r, char *out,
                        size_t cap)
{
    int64_t id;
    if (!lookup(n, name, &id) || n->info[id].nick_count == 0)
        return 0;
    const name_info *info = &n->info[id];
    uint32_t pick = n->nick_ids[info->nick_first + synth_rng_below(r, info->nick_count)];
    return copy_out(n->str[pick], out, cap);
}

static int is_lower_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static int is_lower_letter(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_lower_consonant(char c)
{
    return is_lower_letter(c) && !is_lower_vowel(c);
}

/* A rewrite candidate: replace `len` bytes at `pos` by `with`. */
typedef struct rewrite {
    size_t pos, len;
    const char *with;
} rewrite;

#define MAX_REWRITES 64

typedef struct rewrites {
    rewrite r[MAX_REWRITES];
    int n;
} rewrites;

static void add(rewrites *rw, size_t pos, size_t len, const char *with)
{
    if (rw->n < MAX_REWRITES) {
        rw->r[rw->n].pos = pos;
        rw->r[rw->n].len = len;
        rw->r[rw->n].with = with;
        rw->n++;
    }
}

/* ASCII lower-case copy of `name` into `low` (cap NAME_MAX_BYTES); 0 if too
 * long. */
static size_t lower_copy(const char *name, char *low)
{
    size_t len = strlen(name);
    if (len >= NAME_MAX_BYTES)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return len;
}

/* Apply one rewrite chosen at random and restore title case: upper case at
 * the start and after a hyphen, space or apostrophe. */
static int apply_rewrite(const rewrites *rw, const char *low, size_t len, synth_rng *r,
                         char *out, size_t cap)
{
    if (rw->n == 0)
        return 0;
    const rewrite *w = &rw->r[synth_rng_below(r, (uint32_t)rw->n)];
    size_t with_len = strlen(w->with);
    size_t out_len = len - w->len + with_len;
    if (out_len + 1 > cap || out_len == 0)
        return 0;
    memcpy(out, low, w->pos);
    memcpy(out + w->pos, w->with, with_len);
    memcpy(out + w->pos + with_len, low + w->pos + w->len, len - w->pos - w->len + 1);
    for (size_t i = 0; i < out_len; i++) {
        int word_start = i == 0 || out[i - 1] == '-' || out[i - 1] == ' ' ||
                         (out[i - 1] == '\'' && i == 2);
        if (word_start && is_lower_letter(out[i]))
            out[i] = (char)(out[i] - 'a' + 'A');
    }
    return strcmp(out, low) != 0;
}

static const char *const letter_str[26] = {
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
};

static int starts(const char *s, size_t i, const char *pat)
{
    return strncmp(s + i, pat, strlen(pat)) == 0;
}

static void phonetic_rules(const char *s, size_t len, rewrites *rw)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i], next = s[i + 1], prev = i ? s[i - 1] : 0;
        int at_end = i + 1 == len;
        if (starts(s, i, "ph"))
            add(rw, i, 2, "f");
        if (i == 0 && c == 'f' && is_lower_vowel(next))
            add(rw, i, 1, "ph");
        if (starts(s, i, "ck"))
            add(rw, i, 2, "k");
        if (i == 0 && c == 'c' && (next == 'a' || next == 'o' || next == 'u' || next == 'l' ||
                                   next == 'r'))
            add(rw, i, 1, "k");
        if (i == 0 && c == 'k' && (next == 'a' || next == 'o' || next == 'u'))
            add(rw, i, 1, "c");
        if (c == 'y' && i > 0 && is_lower_consonant(prev) && !at_end)
            add(rw, i, 1, "i");
        if (c == 'i' && (prev == 'a' || prev == 'e' || prev == 'o') && !at_end)
            add(rw, i, 1, "y");
        if (i + 2 == len && starts(s, i, "ie"))
            add(rw, i, 2, "y");
        if (at_end && c == 'y' && is_lower_consonant(prev))
            add(rw, i, 1, "ie");
        if (i + 2 == len && starts(s, i, "ey"))
            add(rw, i, 2, "y");
        if (starts(s, i, "ei"))
            add(rw, i, 2, "ie");
        if (starts(s, i, "ie") && i + 2 < len)
            add(rw, i, 2, "ei");
        if (is_lower_consonant(c) && next == c && c != 'c')
            add(rw, i, 2, letter_str[c - 'a']);
        if ((c == 'l' || c == 'n' || c == 'r' || c == 's' || c == 't') && i > 0 &&
            is_lower_vowel(prev) && is_lower_vowel(next))
            add(rw, i, 1, c == 'l' ? "ll" : c == 'n' ? "nn" : c == 'r' ? "rr" : c == 's' ? "ss" : "tt");
        if (at_end && (c == 'n' || c == 'l') && len > 2)
            add(rw, len, 0, "e");
        if (at_end && c == 'e' && (prev == 'n' || prev == 'l') && len > 3)
            add(rw, i, 1, "");
        if (at_end && c == 'a' && len > 2)
            add(rw, len, 0, "h");
        if (i + 2 == len && starts(s, i, "ah") && len > 3)
            add(rw, i + 1, 1, "");
        if (c == 'z' && i > 0 && is_lower_vowel(prev) && is_lower_vowel(next))
            add(rw, i, 1, "s");
        if (c == 's' && i > 0 && is_lower_vowel(prev) && is_lower_vowel(next))
            add(rw, i, 1, "z");
        if (i > 0 && starts(s, i, "th") && prev != 't')
            add(rw, i, 2, "t");
        if (i + 3 == len && starts(s, i, "son"))
            add(rw, i, 3, "sen");
        if (i + 3 == len && starts(s, i, "sen"))
            add(rw, i, 3, "son");
        if (i == 0 && starts(s, i, "mc") && len > 4)
            add(rw, i, 2, "mac");
        if (i == 0 && starts(s, i, "mac") && len > 5 && is_lower_consonant(s[3]))
            add(rw, i, 3, "mc");
    }
}

int synth_name_phonetic(const synth_names *n, const char *name, synth_rng *r, char *out,
                        size_t cap)
{
    int64_t id;
    if (lookup(n, name, &id) && n->info[id].phonetic_group >= 0 &&
        from_group(n, id, n->info[id].phonetic_group, r, out, cap))
        return 1;
    char low[NAME_MAX_BYTES];
    size_t len = lower_copy(name, low);
    if (len == 0)
        return 0;
    rewrites rw = {.n = 0};
    phonetic_rules(low, len, &rw);
    return apply_rewrite(&rw, low, len, r, out, cap);
}

/* Two-byte UTF-8 letters with diacritics that English systems drop, and
 * their plain letters. */
static const struct {
    const char *utf8;
    const char *plain;
} diacritics[] = {
    {"ą", "a"}, {"ć", "c"}, {"ę", "e"}, {"ł", "l"}, {"ń", "n"}, {"ó", "o"}, {"ś", "s"},
    {"ź", "z"}, {"ż", "z"}, {"Ł", "L"}, {"Ś", "S"}, {"Ż", "Z"}, {"Ź", "Z"}, {"Ć", "C"},
    {"ș", "s"}, {"ț", "t"}, {"ă", "a"}, {"â", "a"}, {"î", "i"}, {"Ș", "S"}, {"Ț", "T"},
    {"ė", "e"}, {"ū", "u"}, {"į", "i"}, {"ų", "u"}, {"ž", "z"}, {"š", "s"}, {"č", "c"},
    {"Ž", "Z"}, {"Š", "S"}, {"Č", "C"}, {"á", "a"}, {"é", "e"}, {"í", "i"}, {"ý", "y"},
    {"ř", "r"}, {"ě", "e"}, {"ů", "u"}, {"ő", "o"}, {"ű", "u"}, {"ö", "o"}, {"ü", "u"},
    {"ä", "a"}, {"Á", "A"}, {"É", "E"},
};

/* Strip every diacritic listed above; 1 if anything changed. */
static int strip_diacritics(const char *name, char *out, size_t cap)
{
    size_t o = 0;
    int changed = 0;
    for (size_t i = 0; name[i];) {
        size_t k = sizeof diacritics / sizeof diacritics[0];
        if ((unsigned char)name[i] >= 0x80)   /* only multi-byte characters */
            for (k = 0; k < sizeof diacritics / sizeof diacritics[0] &&
                        strncmp(name + i, diacritics[k].utf8, strlen(diacritics[k].utf8)) != 0;
                 k++)
                ;
        const char *piece = k < sizeof diacritics / sizeof diacritics[0] ? diacritics[k].plain
                                                                          : NULL;
        size_t take = piece ? strlen(diacritics[k].utf8) : 1;
        size_t put = piece ? strlen(piece) : 1;
        if (o + put + 1 > cap)
            return 0;
        memcpy(out + o, piece ? piece : name + i, put);
        o += put;
        i += take;
        changed |= piece != NULL;
    }
    out[o] = '\0';
    return changed;
}

static void arabic_rules(const char *s, size_t len, rewrites *rw)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i], next = s[i + 1], prev = i ? s[i - 1] : 0;
        int at_end = i + 1 == len;
        if (starts(s, i, "ee"))
            add(rw, i, 2, "i");
        if (c == 'i' && is_lower_consonant(prev) && is_lower_consonant(next))
            add(rw, i, 1, "ee");
        if (starts(s, i, "oo"))
            add(rw, i, 2, "u");
        if (c == 'u' && is_lower_consonant(prev) && is_lower_consonant(next))
            add(rw, i, 1, "oo");
        if (starts(s, i, "ou"))
            add(rw, i, 2, "u");
        if (i == 0 && c == 'u')
            add(rw, i, 1, "o");
        if (i == 0 && c == 'o')
            add(rw, i, 1, "u");
        if (c == 'a' && i >= 2 && is_lower_consonant(next) && !at_end)
            add(rw, i, 1, "e");
        if (c == 'e' && i >= 2 && is_lower_consonant(next) && !at_end)
            add(rw, i, 1, "a");
        if (c == 'q')
            add(rw, i, 1, "k");
        if (starts(s, i, "dh"))
            add(rw, i, 2, "d");
        if (starts(s, i, "aa"))
            add(rw, i, 2, "a");
        if (at_end && c == 'a' && is_lower_consonant(prev))
            add(rw, len, 0, "h");
        if (i + 2 == len && starts(s, i, "ah"))
            add(rw, i + 1, 1, "");
        if (c == 'y' && is_lower_vowel(prev) && (is_lower_consonant(next) || at_end))
            add(rw, i, 1, "i");
        if (c == 'i' && prev == 'a' && (is_lower_consonant(next) || at_end))
            add(rw, i, 1, "y");
    }
}

static void somali_rules(const char *s, size_t len, rewrites *rw)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i], next = s[i + 1];
        if (c == 'x')
            add(rw, i, 1, "h");
        if (c == 'h' && i > 0 && s[i - 1] != 's' && s[i - 1] != 'k')
            add(rw, i, 1, "x");
        if (i == 0 && c == 'c' && is_lower_vowel(next))
            add(rw, i, 1, "");
        if (starts(s, i, "aa"))
            add(rw, i, 2, "a");
        if (starts(s, i, "oo"))
            add(rw, i, 2, "u");
        if (starts(s, i, "uu"))
            add(rw, i, 2, "u");
        if (starts(s, i, "ii"))
            add(rw, i, 2, "i");
        if (c == 'e' && i >= 2 && i + 1 < len)
            add(rw, i, 1, "a");
    }
}

static void indian_rules(const char *s, size_t len, rewrites *rw)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i], next = s[i + 1], prev = i ? s[i - 1] : 0;
        if (starts(s, i, "ee"))
            add(rw, i, 2, "i");
        if (c == 'i' && is_lower_consonant(prev) && is_lower_consonant(next))
            add(rw, i, 1, "ee");
        if (starts(s, i, "oo"))
            add(rw, i, 2, "u");
        if (starts(s, i, "sh") && i == 0)
            add(rw, i, 2, "s");
        if (starts(s, i, "th"))
            add(rw, i, 2, "t");
        if (c == 't' && next != 'h' && i > 0 && is_lower_vowel(prev))
            add(rw, i, 1, "th");
        if (starts(s, i, "dh"))
            add(rw, i, 2, "d");
        if (starts(s, i, "bh"))
            add(rw, i, 2, "b");
        if (starts(s, i, "ksh"))
            add(rw, i, 3, "x");
        if (c == 'v' && i == 0)
            add(rw, i, 1, "w");
    }
}

static void chinese_rules(const char *s, size_t len, rewrites *rw)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i], prev = i ? s[i - 1] : 0;
        if (c == 'x')
            add(rw, i, 1, "hs");
        if (starts(s, i, "zh"))
            add(rw, i, 2, "ch");
        if (c == 'q')
            add(rw, i, 1, "ch");
        if (starts(s, i, "ao"))
            add(rw, i, 2, "au");
        if (i + 3 == len && starts(s, i, "ang"))
            add(rw, i, 3, "ong");
        if (i + 1 == len && c == 'i' && is_lower_consonant(prev))
            add(rw, i, 1, "ee");
        /* Two-syllable given names get split: Junjie -> Jun-Jie. */
        if (i >= 2 && i + 2 <= len && is_lower_consonant(c) && is_lower_vowel(prev) &&
            is_lower_vowel(s[i + 1]) && c != 'n' && c != 'g')
            add(rw, i, 0, "-");
    }
}

static void east_european_rules(const char *s, size_t len, rewrites *rw)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i], next = s[i + 1];
        if (c == 'w')
            add(rw, i, 1, "v");
        if (starts(s, i, "sz"))
            add(rw, i, 2, "sh");
        if (starts(s, i, "cz"))
            add(rw, i, 2, "ch");
        if (starts(s, i, "ks"))
            add(rw, i, 2, "x");
        if (c == 'x')
            add(rw, i, 1, "ks");
        if (i + 2 == len && starts(s, i, "ii"))
            add(rw, i, 2, "iy");
        if (i + 2 == len && starts(s, i, "iy"))
            add(rw, i, 2, "ii");
        if (i == 0 && c == 'j' && is_lower_vowel(next))
            add(rw, i, 1, "y");
        if (i == 0 && c == 'y' && is_lower_vowel(next))
            add(rw, i, 1, "j");
    }
}

int synth_name_translit(const synth_names *n, const char *name, synth_origin o, synth_rng *r,
                        char *out, size_t cap)
{
    int64_t id;
    int in_group = lookup(n, name, &id) && n->info[id].translit_group >= 0;
    /* A listed equivalent is the commonest variant, but rules are also used
     * so that listed names vary in more than a few ways. */
    if (in_group && synth_rng_below(r, 4) != 0 &&
        from_group(n, id, n->info[id].translit_group, r, out, cap))
        return 1;
    if (o == SYNTH_ORIGIN_EAST_EUROPEAN && synth_rng_below(r, 2) == 0 &&
        strip_diacritics(name, out, cap))
        return 1;
    char low[NAME_MAX_BYTES];
    size_t len = lower_copy(name, low);
    if (len == 0)
        return 0;
    rewrites rw = {.n = 0};
    switch (o) {
    case SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM:
    case SYNTH_ORIGIN_ARABIC:
        arabic_rules(low, len, &rw);
        break;
    case SYNTH_ORIGIN_SOMALI:
        somali_rules(low, len, &rw);
        arabic_rules(low, len, &rw);
        break;
    case SYNTH_ORIGIN_INDIAN:
        indian_rules(low, len, &rw);
        break;
    case SYNTH_ORIGIN_CHINESE:
        chinese_rules(low, len, &rw);
        break;
    case SYNTH_ORIGIN_EAST_EUROPEAN:
        east_european_rules(low, len, &rw);
        break;
    default:
        break;
    }
    if (apply_rewrite(&rw, low, len, r, out, cap))
        return 1;
    if (in_group && from_group(n, id, n->info[id].translit_group, r, out, cap))
        return 1;
    return o == SYNTH_ORIGIN_EAST_EUROPEAN && strip_diacritics(name, out, cap);
}

/* Letters next to each key on a QWERTY keyboard. */
static const char *const keyboard[26] = {
    "qwsz", "vghn", "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv", "gyujnb", "ujko", "huikmn",
    "jiolm", "kop", "njk", "bhjm", "iklp", "ol", "wa", "edft", "awedxz", "rfgy", "yhji",
    "cfgb", "qase", "zsdc", "tghu", "asx",
};

int synth_name_typo(const char *name, synth_rng *r, char *out, size_t cap)
{
    size_t len = strlen(name);
    if (len + 2 > cap)
        return 0;
    /* Positions of ASCII letters: typos are made there only, so multi-byte
     * UTF-8 characters are never cut. */
    size_t letters[NAME_MAX_BYTES];
    size_t n_letters = 0;
    for (size_t i = 0; i < len && n_letters < NAME_MAX_BYTES; i++) {
        char c = name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            letters[n_letters++] = i;
    }
    if (n_letters < 2)
        return 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        size_t at = letters[synth_rng_below(r, (uint32_t)n_letters)];
        char c = name[at];
        int upper = c >= 'A' && c <= 'Z';
        char lower = upper ? (char)(c - 'A' + 'a') : c;
        switch (synth_rng_below(r, 4)) {
        case 0: { /* neighbouring key */
            const char *near = keyboard[lower - 'a'];
            char sub = near[synth_rng_below(r, (uint32_t)strlen(near))];
            memcpy(out, name, len + 1);
            out[at] = upper ? (char)(sub - 'a' + 'A') : sub;
            break;
        }
        case 1: /* dropped letter */
            if (n_letters < 3)
                continue;
            memcpy(out, name, at);
            memcpy(out + at, name + at + 1, len - at);
            break;
        case 2: /* doubled letter */
            memcpy(out, name, at + 1);
            out[at + 1] = lower;
            memcpy(out + at + 2, name + at + 1, len - at);
            break;
        default: { /* two neighbouring letters swapped */
            size_t next = at + 1;
            if (next >= len || !((name[next] >= 'a' && name[next] <= 'z')))
                continue;
            memcpy(out, name, len + 1);
            out[at] = upper ? (char)(name[next] - 'a' + 'A') : name[next];
            out[next] = lower;
            break;
        }
        }
        if (strcmp(out, name) != 0)
            return 1;
    }
    return 0;
}

void synth_name_upper(const char *name, char *out, size_t cap)
{
    if (!strip_diacritics(name, out, cap)) {
        size_t len = strlen(name);
        if (len >= cap)
            len = cap - 1;
        memcpy(out, name, len);
        out[len] = '\0';
    }
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
}
