/*
 * evaluate.c - linkage quality and bias against known truth (see evaluate.h
 * and docs/evaluate.md).
 *
 * Records are interned once, keyed on "source\0record_id" in a cl_strmap
 * (the CSV reader refuses NUL bytes, so the key is unambiguous), and get a
 * dense index.  Everything else is a column indexed by record: the cluster
 * (interned child_id), the person (interned person_id), the first line each
 * was seen on (for duplicate messages), and one group index per --by column.
 * Rows cost no allocation of their own: keys go into the map's arena and the
 * columns grow by doubling.
 *
 * Counting never enumerates pairs.  The evaluated records are counting-sorted
 * by person, then stably by cluster, which gives two orders in O(n): persons
 * as contiguous runs, and clusters as runs whose cluster-by-person cells are
 * contiguous too.  Summing C(n,2) over persons, clusters and cells gives the
 * true, predicted and correct pairs; the subgroup measures come from the same
 * runs with a small per-value counter that is reset through a list of the
 * values touched, so each run costs its length.
 *
 * The pairs file is not kept.  Each judged pair adds one to a (probability,
 * true or false) count; the sweep is then a cumulative sum over the distinct
 * probabilities in descending order, which is exact at every threshold.  If
 * the distinct values exceed a limit (a linker writing full-precision doubles
 * with term-frequency adjustments), the counts are re-binned to 1e-6, which is
 * still exact at every threshold that is a multiple of 1e-6, the whole grid
 * included.  True pairs are also kept in a set (they are few: bounded by the
 * true pairs of the truth) to count each once for the blocking recall and to
 * refuse a true pair listed twice, which would otherwise push recall past 1.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/csv.h"
#include "childlink/encode.h"
#include "childlink/evaluate.h"
#include "childlink/strmap.h"

#define NONE UINT32_MAX
#define PROGRESS_ROWS 1000000u
#define GRID_STEPS 100          /* thresholds 0.01 .. 0.99 */
#define BINS_PER_UNIT 1e6       /* 1 / CL_EVAL_PROBABILITY_RESOLUTION */

typedef struct group_col {
    char *name;
    cl_strmap *values;          /* value -> group index */
    char **value_text;          /* by group index */
    size_t nvalues, values_cap;
    uint32_t *of_record;        /* group index per record; NONE: not in the truth */
    cl_eval_group *groups;      /* results, sorted by value after compute */
    /* Scratch for counting one run: count per group and the groups touched. */
    uint64_t *run_count, *cluster_count;
    uint32_t *touched, *cluster_touched;
    size_t ntouched, ncluster_touched;
    /* Raw sums per group index while counting. */
    uint64_t *true_both, *found_both, *predicted_either, *correct_either, *records;
} group_col;

/* Counts of judged pairs per distinct probability (or per 1e-6 bin). */
typedef struct probmap {
    uint64_t *keys;             /* key + 1; 0: empty slot */
    uint64_t *true_count, *false_count;
    size_t cap, count, limit;
    int binned;
} probmap;

/* The distinct true pairs seen in the pairs file, with the line of each. */
typedef struct pairset {
    uint64_t *keys;             /* lo << 32 | hi, lo < hi, so never 0 */
    long *lines;
    size_t cap, count;
} pairset;

enum phase { PHASE_RECORDS, PHASE_PAIRS, PHASE_COMPUTED, PHASE_FAILED };

struct cl_eval {
    enum phase phase;
    size_t n_by;
    group_col by[CL_EVAL_MAX_BY];
    uint64_t min_group_true_pairs;
    size_t max_group_values;
    cl_eval_progress_fn progress;
    void *progress_ctx;
    char *truth_path, *linkmap_path, *pairs_path;

    cl_strmap *records, *clusters, *persons;
    size_t nrecords, nclusters, npersons, rec_cap;
    uint32_t *cluster_of, *person_of;
    long *linkmap_line, *truth_line;
    char *key;
    size_t key_cap;
    /* --key: one encoder per truth source, for record tokens */
    const struct cl_key *record_key;
    cl_encoder **encoders;
    char **encoder_source;
    size_t nencoders;

    pairset true_scored;
    probmap probs;

    cl_eval_summary summary;
    cl_eval_sweep_row *sweep;
    size_t nsweep;
};

static uint64_t pairs_of(uint64_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }

static double ratio(uint64_t num, uint64_t den) { return den ? (double)num / (double)den : NAN; }

static cl_eval_measures make_measures(uint64_t true_pairs, uint64_t found, uint64_t predicted,
                                      uint64_t correct)
{
    cl_eval_measures m = {true_pairs, found, predicted, correct, 0, 0, 0};
    m.precision = ratio(correct, predicted);
    m.recall = ratio(found, true_pairs);
    if (isnan(m.precision) || isnan(m.recall))
        m.f1 = NAN;
    else if (m.precision + m.recall == 0)
        m.f1 = 0;
    else
        m.f1 = 2 * m.precision * m.recall / (m.precision + m.recall);
    return m;
}

static cl_status oom(cl_error *err, const char *file, long line)
{
    return cl_error_set(err, CL_ENOMEM, file, line, "out of memory");
}

static char *copy_string(const char *s)
{
    return s ? cl_strndup(s, strlen(s)) : NULL;
}

/* ---- lifetime ---- */

cl_status cl_eval_new(cl_eval **out, const cl_eval_options *opts, cl_error *err)
{
    *out = NULL;
    cl_eval_options none = {0};
    if (opts == NULL)
        opts = &none;
    if (opts->n_by > CL_EVAL_MAX_BY)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "at most %u --by columns",
                            CL_EVAL_MAX_BY);
    for (size_t b = 0; b < opts->n_by; b++) {
        const char *name = opts->by_columns[b];
        if (name == NULL || name[0] == '\0')
            return cl_error_set(err, CL_EINVAL, NULL, 0, "--by needs a column name");
        for (size_t c = 0; c < b; c++)
            if (strcmp(opts->by_columns[c], name) == 0)
                return cl_error_set(err, CL_EINVAL, NULL, 0, "--by column '%s' given twice",
                                    name);
    }
    cl_eval *ev = cl_calloc(1, sizeof *ev);
    if (ev == NULL)
        return oom(err, NULL, 0);
    ev->n_by = opts->n_by;
    ev->min_group_true_pairs =
        opts->min_group_true_pairs ? opts->min_group_true_pairs : CL_EVAL_DEFAULT_MIN_GROUP_PAIRS;
    ev->max_group_values =
        opts->max_group_values ? opts->max_group_values : CL_EVAL_DEFAULT_MAX_GROUP_VALUES;
    ev->probs.limit = opts->max_distinct_probabilities ? opts->max_distinct_probabilities
                                                       : CL_EVAL_DEFAULT_MAX_DISTINCT_PROBABILITIES;
    ev->progress = opts->progress;
    ev->progress_ctx = opts->progress_ctx;
    ev->record_key = opts->record_key;
    ev->summary.blocking_recall = NAN;
    int failed = (ev->records = cl_strmap_new()) == NULL ||
                 (ev->clusters = cl_strmap_new()) == NULL ||
                 (ev->persons = cl_strmap_new()) == NULL;
    for (size_t b = 0; b < ev->n_by && !failed; b++)
        failed = (ev->by[b].name = copy_string(opts->by_columns[b])) == NULL ||
                 (ev->by[b].values = cl_strmap_new()) == NULL;
    if (failed) {
        cl_eval_free(ev);
        return oom(err, NULL, 0);
    }
    *out = ev;
    return CL_OK;
}

static void free_group_scratch(group_col *g)
{
    cl_free(g->run_count);
    cl_free(g->cluster_count);
    cl_free(g->touched);
    cl_free(g->cluster_touched);
    cl_free(g->true_both);
    cl_free(g->found_both);
    cl_free(g->predicted_either);
    cl_free(g->correct_either);
    cl_free(g->records);
    g->run_count = g->cluster_count = NULL;
    g->touched = g->cluster_touched = NULL;
    g->true_both = g->found_both = g->predicted_either = g->correct_either = g->records = NULL;
}

void cl_eval_free(cl_eval *ev)
{
    if (ev == NULL)
        return;
    for (size_t b = 0; b < ev->n_by; b++) {
        group_col *g = &ev->by[b];
        cl_free(g->name);
        cl_strmap_free(g->values);
        for (size_t i = 0; i < g->nvalues; i++)
            cl_free(g->value_text[i]);
        cl_free(g->value_text);
        cl_free(g->of_record);
        cl_free(g->groups);
        free_group_scratch(g);
    }
    for (size_t e = 0; e < ev->nencoders; e++) {
        cl_encoder_free(ev->encoders[e]);
        cl_free(ev->encoder_source[e]);
    }
    cl_free(ev->encoders);
    cl_free(ev->encoder_source);
    cl_free(ev->truth_path);
    cl_free(ev->linkmap_path);
    cl_free(ev->pairs_path);
    cl_strmap_free(ev->records);
    cl_strmap_free(ev->clusters);
    cl_strmap_free(ev->persons);
    cl_free(ev->cluster_of);
    cl_free(ev->person_of);
    cl_free(ev->linkmap_line);
    cl_free(ev->truth_line);
    cl_free(ev->key);
    cl_free(ev->true_scored.keys);
    cl_free(ev->true_scored.lines);
    cl_free(ev->probs.keys);
    cl_free(ev->probs.true_count);
    cl_free(ev->probs.false_count);
    cl_free(ev->sweep);
    cl_free(ev);
}

/* ---- records ---- */

/* Grow every per-record column to hold one more record.  A pointer is kept
 * as soon as its realloc succeeds, so a failure half-way leaves the columns
 * valid (rec_cap only moves when all have grown). */
static int grow_columns(cl_eval *ev)
{
    if (ev->nrecords < ev->rec_cap)
        return 0;
    size_t cap = ev->rec_cap ? ev->rec_cap * 2 : 1024;
    void *p;
    if ((p = cl_realloc(ev->cluster_of, cap * sizeof(uint32_t))) == NULL)
        return -1;
    ev->cluster_of = p;
    if ((p = cl_realloc(ev->person_of, cap * sizeof(uint32_t))) == NULL)
        return -1;
    ev->person_of = p;
    if ((p = cl_realloc(ev->linkmap_line, cap * sizeof(long))) == NULL)
        return -1;
    ev->linkmap_line = p;
    if ((p = cl_realloc(ev->truth_line, cap * sizeof(long))) == NULL)
        return -1;
    ev->truth_line = p;
    for (size_t b = 0; b < ev->n_by; b++) {
        if ((p = cl_realloc(ev->by[b].of_record, cap * sizeof(uint32_t))) == NULL)
            return -1;
        ev->by[b].of_record = p;
    }
    ev->rec_cap = cap;
    return 0;
}

/* Build "source\0record_id" in the scratch key buffer; returns its length,
 * or 0 when out of memory. */
static size_t make_key(cl_eval *ev, const char *source, size_t slen, const char *record_id,
                       size_t rlen)
{
    size_t need = slen + 1 + rlen;
    if (need > ev->key_cap) {
        size_t cap = need < 256 ? 256 : need * 2;
        char *k = cl_realloc(ev->key, cap);
        if (k == NULL)
            return 0;
        ev->key = k;
        ev->key_cap = cap;
    }
    memcpy(ev->key, source, slen);
    ev->key[slen] = '\0';
    memcpy(ev->key + slen + 1, record_id, rlen);
    return need;
}

/* The index of a record, added if new. */
static cl_status record_intern(cl_eval *ev, const char *source, size_t slen,
                               const char *record_id, size_t rlen, uint32_t *out,
                               const char *file, long line, cl_error *err)
{
    if (ev->nrecords >= NONE - 1)
        return cl_error_set(err, CL_ELIMIT, file, line, "more than %u records", NONE - 1);
    size_t klen = make_key(ev, source, slen, record_id, rlen);
    if (klen == 0 || grow_columns(ev) != 0)
        return oom(err, file, line);
    int64_t existing;
    int fresh = cl_strmap_put(ev->records, ev->key, klen, (int64_t)ev->nrecords, &existing);
    if (fresh < 0)
        return oom(err, file, line);
    if (fresh == 0) {
        *out = (uint32_t)existing;
        return CL_OK;
    }
    uint32_t r = (uint32_t)ev->nrecords++;
    ev->cluster_of[r] = NONE;
    ev->person_of[r] = NONE;
    ev->linkmap_line[r] = 0;
    ev->truth_line[r] = 0;
    for (size_t b = 0; b < ev->n_by; b++)
        ev->by[b].of_record[r] = NONE;
    *out = r;
    return CL_OK;
}

/* The index of a record, or NONE. */
static uint32_t record_find(cl_eval *ev, const char *source, size_t slen, const char *record_id,
                            size_t rlen, int *failed)
{
    size_t klen = make_key(ev, source, slen, record_id, rlen);
    if (klen == 0) {
        *failed = 1;
        return NONE;
    }
    int64_t v;
    return cl_strmap_get(ev->records, ev->key, klen, &v) ? (uint32_t)v : NONE;
}

/* Intern `s` in `map`, whose values are dense indices 0..*count-1. */
static int intern(cl_strmap *map, const char *s, size_t len, size_t *count, uint32_t *out)
{
    int64_t existing;
    int r = cl_strmap_put(map, s, len, (int64_t)*count, &existing);
    if (r < 0)
        return -1;
    *out = r ? (uint32_t)(*count)++ : (uint32_t)existing;
    return 0;
}

static cl_status check_phase_records(cl_eval *ev, cl_error *err)
{
    if (ev->phase != PHASE_RECORDS)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "truth and link map records must come before the pairs and the "
                            "computation");
    return CL_OK;
}

/* Describe a line for "first on line N" when the first sighting had one. */
static const char *first_seen(long line, char *buf, size_t cap)
{
    if (line > 0)
        snprintf(buf, cap, " (first on line %ld)", line);
    else
        buf[0] = '\0';
    return buf;
}

/* The index of a --by value, added if new.  The limit is checked before the
 * value enters the map, so a refused value leaves no trace. */
static cl_status group_intern(const cl_eval *ev, group_col *g, const char *v, size_t vlen,
                              uint32_t *out, const char *file, long line, cl_error *err)
{
    int64_t id;
    if (cl_strmap_get(g->values, v, vlen, &id)) {
        *out = (uint32_t)id;
        return CL_OK;
    }
    if (g->nvalues >= ev->max_group_values)
        return cl_error_set(err, CL_ELIMIT, file, line,
                            "column '%s' has more than %zu distinct values; --by is for "
                            "categories such as ethnic group or deprivation decile",
                            g->name, ev->max_group_values);
    if (g->nvalues == g->values_cap) {
        size_t cap = g->values_cap ? g->values_cap * 2 : 16;
        char **t = cl_realloc(g->value_text, cap * sizeof *t);
        if (t == NULL)
            return oom(err, file, line);
        g->value_text = t;
        g->values_cap = cap;
    }
    char *copy = cl_strndup(v, vlen);
    if (copy == NULL || cl_strmap_put(g->values, v, vlen, (int64_t)g->nvalues, NULL) < 0) {
        cl_free(copy);
        return oom(err, file, line);
    }
    g->value_text[g->nvalues] = copy;
    *out = (uint32_t)g->nvalues++;
    return CL_OK;
}

/* The record token of (source, record_id) under ev->record_key, into out. */
static cl_status record_token(cl_eval *ev, const char *source, size_t slen,
                              const char *record_id, size_t rlen,
                              char out[CL_TOKEN_CHARS + 1], const char *file, long line,
                              cl_error *err)
{
    size_t e = 0;
    while (e < ev->nencoders &&
           !(strlen(ev->encoder_source[e]) == slen && memcmp(ev->encoder_source[e], source, slen) == 0))
        e++;
    if (e == ev->nencoders) {
        cl_encoder **enc = cl_realloc(ev->encoders, (e + 1) * sizeof *enc);
        if (enc == NULL)
            return oom(err, file, line);
        ev->encoders = enc;
        char **src = cl_realloc(ev->encoder_source, (e + 1) * sizeof *src);
        if (src == NULL)
            return oom(err, file, line);
        ev->encoder_source = src;
        if ((src[e] = cl_strndup(source, slen)) == NULL)
            return oom(err, file, line);
        cl_status st = cl_encoder_new(&enc[e], ev->record_key, src[e], NULL, err);
        if (st != CL_OK) {
            cl_free(src[e]);
            return st;
        }
        ev->nencoders++;
    }
    if (cl_encoder_record_token(ev->encoders[e], record_id, rlen, out) != 0)
        return cl_error_set(err, CL_ENOMEM, file, line, "cannot compute a record token");
    return CL_OK;
}

static cl_status add_truth_at(cl_eval *ev, const char *source, size_t slen,
                              const char *record_id, size_t rlen, const char *person_id,
                              size_t plen, const char *const *group_values,
                              const size_t *group_lens, const char *file, long line,
                              cl_error *err)
{
    if (slen == 0)
        return cl_error_set(err, CL_EFORMAT, file, line, "empty source");
    if (rlen == 0)
        return cl_error_set(err, CL_EFORMAT, file, line, "empty record_id");
    char token[CL_TOKEN_CHARS + 1];
    if (ev->record_key) {
        cl_status st = record_token(ev, source, slen, record_id, rlen, token, file, line, err);
        if (st != CL_OK)
            return st;
        record_id = token;
        rlen = CL_TOKEN_CHARS;
    }
    if (plen == 0)
        return cl_error_set(err, CL_EFORMAT, file, line, "empty person_id");
    uint32_t r;
    cl_status st = record_intern(ev, source, slen, record_id, rlen, &r, file, line, err);
    if (st != CL_OK)
        return st;
    if (ev->person_of[r] != NONE) {
        char where[64];
        return cl_error_set(err, CL_EFORMAT, file, line,
                            "duplicate record (source '%.*s', record_id '%.*s')%s", (int)slen,
                            source, (int)rlen, record_id,
                            first_seen(ev->truth_line[r], where, sizeof where));
    }
    uint32_t groups[CL_EVAL_MAX_BY];
    for (size_t b = 0; b < ev->n_by; b++)
        if ((st = group_intern(ev, &ev->by[b], group_values[b], group_lens[b], &groups[b], file,
                               line, err)) != CL_OK)
            return st;
    uint32_t person;
    if (intern(ev->persons, person_id, plen, &ev->npersons, &person) != 0)
        return oom(err, file, line);
    ev->person_of[r] = person;
    ev->truth_line[r] = line;
    for (size_t b = 0; b < ev->n_by; b++)
        ev->by[b].of_record[r] = groups[b];
    ev->summary.truth_records++;
    return CL_OK;
}

static cl_status add_link_at(cl_eval *ev, const char *source, size_t slen, const char *record_id,
                             size_t rlen, const char *child_id, size_t clen, const char *file,
                             long line, cl_error *err)
{
    if (slen == 0)
        return cl_error_set(err, CL_EFORMAT, file, line, "empty source");
    if (rlen == 0)
        return cl_error_set(err, CL_EFORMAT, file, line, "empty record_id");
    if (clen == 0)
        return cl_error_set(err, CL_EFORMAT, file, line, "empty child_id");
    uint32_t r;
    cl_status st = record_intern(ev, source, slen, record_id, rlen, &r, file, line, err);
    if (st != CL_OK)
        return st;
    if (ev->cluster_of[r] != NONE) {
        char where[64];
        return cl_error_set(err, CL_EFORMAT, file, line,
                            "duplicate record (source '%.*s', record_id '%.*s')%s", (int)slen,
                            source, (int)rlen, record_id,
                            first_seen(ev->linkmap_line[r], where, sizeof where));
    }
    uint32_t cluster;
    if (intern(ev->clusters, child_id, clen, &ev->nclusters, &cluster) != 0)
        return oom(err, file, line);
    ev->cluster_of[r] = cluster;
    ev->linkmap_line[r] = line;
    ev->summary.linkmap_records++;
    return CL_OK;
}

cl_status cl_eval_add_truth(cl_eval *ev, const char *source, const char *record_id,
                            const char *person_id, const char *const *group_values,
                            cl_error *err)
{
    cl_status st = check_phase_records(ev, err);
    if (st != CL_OK)
        return st;
    if (ev->n_by > 0 && group_values == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "a value is needed for each --by column");
    size_t lens[CL_EVAL_MAX_BY];
    for (size_t b = 0; b < ev->n_by; b++)
        lens[b] = strlen(group_values[b]);
    return add_truth_at(ev, source, strlen(source), record_id, strlen(record_id), person_id,
                        strlen(person_id), group_values, lens, NULL, 0, err);
}

cl_status cl_eval_add_link(cl_eval *ev, const char *source, const char *record_id,
                           const char *child_id, cl_error *err)
{
    cl_status st = check_phase_records(ev, err);
    if (st != CL_OK)
        return st;
    return add_link_at(ev, source, strlen(source), record_id, strlen(record_id), child_id,
                       strlen(child_id), NULL, 0, err);
}

/* ---- pairs ---- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}

/* Add a true pair; 1 when new, 0 when present (*first_line: its line), -1 on
 * no memory.  Grows at half load, so probes stay short. */
static int pairset_add(pairset *s, uint64_t key, long line, long *first_line)
{
    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *keys = cl_calloc(cap, sizeof *keys);
        long *lines = cl_malloc(cap * sizeof *lines);
        if (keys == NULL || lines == NULL) {
            cl_free(keys);
            cl_free(lines);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->keys[i] == 0)
                continue;
            size_t j = mix64(s->keys[i]) & (cap - 1);
            while (keys[j] != 0)
                j = (j + 1) & (cap - 1);
            keys[j] = s->keys[i];
            lines[j] = s->lines[i];
        }
        cl_free(s->keys);
        cl_free(s->lines);
        s->keys = keys;
        s->lines = lines;
        s->cap = cap;
    }
    size_t j = mix64(key) & (s->cap - 1);
    while (s->keys[j] != 0) {
        if (s->keys[j] == key) {
            *first_line = s->lines[j];
            return 0;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = key;
    s->lines[j] = line;
    s->count++;
    return 1;
}

/* The 1e-6 bin of p: the largest q with q/1e6 <= p, computed with the same
 * division used for thresholds so that "p >= q0/1e6" and "bin >= q0" agree
 * exactly. */
static uint64_t bin_of(double p)
{
    uint64_t q = (uint64_t)(p * BINS_PER_UNIT);
    while (q > 0 && (double)q / BINS_PER_UNIT > p)
        q--;
    while ((double)(q + 1) / BINS_PER_UNIT <= p)
        q++;
    return q;
}

static uint64_t prob_key(const probmap *m, double p)
{
    if (m->binned)
        return bin_of(p);
    uint64_t bits;
    memcpy(&bits, &p, sizeof bits);
    return bits;
}

static double key_threshold(const probmap *m, uint64_t key)
{
    if (m->binned)
        return (double)key / BINS_PER_UNIT;
    double p;
    memcpy(&p, &key, sizeof p);
    return p;
}

static int probmap_resize(probmap *m, size_t cap)
{
    uint64_t *keys = cl_calloc(cap, sizeof *keys);
    uint64_t *tc = cl_malloc(cap * sizeof *tc);
    uint64_t *fc = cl_malloc(cap * sizeof *fc);
    if (keys == NULL || tc == NULL || fc == NULL) {
        cl_free(keys);
        cl_free(tc);
        cl_free(fc);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0)
            continue;
        size_t j = mix64(m->keys[i]) & (cap - 1);
        while (keys[j] != 0)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        tc[j] = m->true_count[i];
        fc[j] = m->false_count[i];
    }
    cl_free(m->keys);
    cl_free(m->true_count);
    cl_free(m->false_count);
    m->keys = keys;
    m->true_count = tc;
    m->false_count = fc;
    m->cap = cap;
    return 0;
}

/* The slot holding stored key `stored` (key + 1), or the empty slot where it
 * would go. */
static size_t probmap_slot(const probmap *m, uint64_t stored)
{
    size_t j = mix64(stored) & (m->cap - 1);
    while (m->keys[j] != 0 && m->keys[j] != stored)
        j = (j + 1) & (m->cap - 1);
    return j;
}

static int probmap_add(probmap *m, uint64_t key, uint64_t true_n, uint64_t false_n)
{
    if ((m->count + 1) * 2 > m->cap && probmap_resize(m, m->cap ? m->cap * 2 : 256) != 0)
        return -1;
    size_t j = probmap_slot(m, key + 1);
    if (m->keys[j] == 0) {
        m->keys[j] = key + 1;
        m->true_count[j] = 0;
        m->false_count[j] = 0;
        m->count++;
    }
    m->true_count[j] += true_n;
    m->false_count[j] += false_n;
    return 0;
}

/* Too many distinct probabilities: merge them into 1e-6 bins (at most
 * 1,000,001 of them, so this happens once). */
static int probmap_rebin(probmap *m)
{
    probmap b = {0};
    b.binned = 1;
    b.limit = m->limit;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0)
            continue;
        uint64_t key = bin_of(key_threshold(m, m->keys[i] - 1));
        if (probmap_add(&b, key, m->true_count[i], m->false_count[i]) != 0) {
            cl_free(b.keys);
            cl_free(b.true_count);
            cl_free(b.false_count);
            return -1;
        }
    }
    cl_free(m->keys);
    cl_free(m->true_count);
    cl_free(m->false_count);
    *m = b;
    return 0;
}

/* Count one judged pair of probability p. */
static int probmap_count(probmap *m, double p, int is_true)
{
    if (!m->binned && m->count >= m->limit && m->keys[probmap_slot(m, prob_key(m, p) + 1)] == 0 &&
        probmap_rebin(m) != 0)
        return -1;
    return probmap_add(m, prob_key(m, p), is_true != 0, is_true == 0);
}

static cl_status add_pair_at(cl_eval *ev, const char *sa, size_t sa_len, const char *ia,
                             size_t ia_len, const char *sb, size_t sb_len, const char *ib,
                             size_t ib_len, double p, const char *file, long line, cl_error *err)
{
    if (ev->phase == PHASE_RECORDS) {
        if (ev->summary.truth_records == 0 || ev->summary.linkmap_records == 0)
            return cl_error_set(err, CL_EINVAL, file, 0,
                                "add the truth and the link map before the pairs");
        ev->phase = PHASE_PAIRS;
        ev->summary.has_pairs = 1;
    } else if (ev->phase != PHASE_PAIRS) {
        return cl_error_set(err, CL_EINVAL, file, 0, "pairs must come before the computation");
    }
    if (!(p >= 0 && p <= 1))
        return cl_error_set(err, CL_EFORMAT, file, line, "match_probability %g is not in [0,1]",
                            p);
    if (sa_len == sb_len && ia_len == ib_len && memcmp(sa, sb, sa_len) == 0 &&
        memcmp(ia, ib, ia_len) == 0)
        return cl_error_set(err, CL_EFORMAT, file, line,
                            "record (source '%.*s', record_id '%.*s') is paired with itself",
                            (int)sa_len, sa, (int)ia_len, ia);
    ev->summary.pair_rows++;
    int failed = 0;
    uint32_t a = record_find(ev, sa, sa_len, ia, ia_len, &failed);
    uint32_t b = record_find(ev, sb, sb_len, ib, ib_len, &failed);
    if (failed)
        return oom(err, file, line);
    if (a == NONE || b == NONE || ev->cluster_of[a] == NONE || ev->person_of[a] == NONE ||
        ev->cluster_of[b] == NONE || ev->person_of[b] == NONE) {
        ev->summary.pairs_skipped++;
        return CL_OK;
    }
    int is_true = ev->person_of[a] == ev->person_of[b];
    if (is_true) {
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        long first = 0;
        int fresh = pairset_add(&ev->true_scored, lo << 32 | hi, line, &first);
        if (fresh < 0)
            return oom(err, file, line);
        if (fresh == 0) {
            char where[64];
            return cl_error_set(err, CL_EFORMAT, file, line,
                                "pair (source '%.*s', record_id '%.*s') - (source '%.*s', "
                                "record_id '%.*s') is listed twice%s",
                                (int)sa_len, sa, (int)ia_len, ia, (int)sb_len, sb, (int)ib_len,
                                ib, first_seen(first, where, sizeof where));
        }
    }
    if (probmap_count(&ev->probs, p == 0 ? 0.0 : p, is_true) != 0)
        return oom(err, file, line);
    ev->summary.pairs_judged++;
    return CL_OK;
}

cl_status cl_eval_add_pair(cl_eval *ev, const char *source_a, const char *record_id_a,
                           const char *source_b, const char *record_id_b,
                           double match_probability, cl_error *err)
{
    return add_pair_at(ev, source_a, strlen(source_a), record_id_a, strlen(record_id_a),
                       source_b, strlen(source_b), record_id_b, strlen(record_id_b),
                       match_probability, NULL, 0, err);
}

/* ---- reading files ---- */

#define MAX_TABLE_COLUMNS (8 + CL_EVAL_MAX_BY)

typedef struct table {
    cl_csv_reader *r;
    const char *path;
    size_t ncolumns;                 /* in the header */
    size_t col[MAX_TABLE_COLUMNS];   /* position of each wanted column */
    uint64_t rows;
    cl_eval *ev;
} table;

/* Open `path` and find each of `names` in its header. */
static cl_status table_open(table *t, cl_eval *ev, const char *path, const char *const *names,
                            size_t n, cl_error *err)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->ev = ev;
    cl_status st = cl_csv_open(&t->r, path, 0, err);
    if (st != CL_OK)
        return st;
    st = cl_csv_next(t->r, err);
    if (st == CL_END)
        return cl_error_set(err, CL_EFORMAT, path, 0, "file is empty (no header line)");
    if (st != CL_OK)
        return st;
    t->ncolumns = cl_csv_nfields(t->r);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t c = 0; c < t->ncolumns; c++) {
            if (strcmp(cl_csv_field(t->r, c, NULL), names[i]) != 0)
                continue;
            if (found)
                return cl_error_set(err, CL_EFORMAT, path, cl_csv_line(t->r),
                                    "duplicate column name '%s'", names[i]);
            found = 1;
            t->col[i] = c;
        }
        if (!found)
            return cl_error_set(err, CL_EFORMAT, path, cl_csv_line(t->r), "missing column '%s'",
                                names[i]);
    }
    return CL_OK;
}

/* Next data row, checked for its number of fields; CL_END at the end. */
static cl_status table_next(table *t, cl_error *err)
{
    cl_status st = cl_csv_next(t->r, err);
    if (st != CL_OK)
        return st;
    if (cl_csv_nfields(t->r) != t->ncolumns)
        return cl_error_set(err, CL_EFORMAT, t->path, cl_csv_line(t->r),
                            "record has %zu fields but the header has %zu",
                            cl_csv_nfields(t->r), t->ncolumns);
    t->rows++;
    if (t->ev->progress && t->rows % PROGRESS_ROWS == 0)
        t->ev->progress(t->ev->progress_ctx, t->path, t->rows);
    return CL_OK;
}

static const char *field(const table *t, size_t i, size_t *len)
{
    return cl_csv_field(t->r, t->col[i], len);
}

/* A probability as written by `link`: a plain decimal number in [0,1].  Only
 * digits, sign, point and exponent are accepted, so "nan", "inf" and hex
 * floats are refused before strtod sees them. */
static int parse_probability(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + len || !(v >= 0 && v <= 1))
        return -1;
    *out = v == 0 ? 0.0 : v;   /* no -0 */
    return 0;
}

static cl_status set_path(char **slot, const char *path, cl_error *err)
{
    cl_free(*slot);
    if ((*slot = copy_string(path)) == NULL)
        return oom(err, path, 0);
    return CL_OK;
}

static cl_status finish_table(table *t, cl_status st, int rows_needed, cl_error *err)
{
    if (st == CL_END) {
        st = CL_OK;
        if (rows_needed && t->rows == 0)
            st = cl_error_set(err, CL_EFORMAT, t->path, 0, "file has a header but no records");
    }
    cl_csv_close(t->r);
    return st;
}

cl_status cl_eval_read_truth(cl_eval *ev, const char *path, cl_error *err)
{
    cl_status st = check_phase_records(ev, err);
    if (st != CL_OK)
        return st;
    if (ev->truth_path != NULL)
        return cl_error_set(err, CL_EINVAL, path, 0, "a truth file was already read");
    if ((st = set_path(&ev->truth_path, path, err)) != CL_OK)
        return st;
    const char *names[3 + CL_EVAL_MAX_BY] = {"source", "record_id", "person_id"};
    for (size_t b = 0; b < ev->n_by; b++)
        names[3 + b] = ev->by[b].name;
    table t;
    st = table_open(&t, ev, path, names, 3 + ev->n_by, err);
    while (st == CL_OK && (st = table_next(&t, err)) == CL_OK) {
        size_t slen, rlen, plen;
        const char *values[CL_EVAL_MAX_BY];
        size_t lens[CL_EVAL_MAX_BY];
        const char *source = field(&t, 0, &slen);
        const char *record_id = field(&t, 1, &rlen);
        const char *person_id = field(&t, 2, &plen);
        for (size_t b = 0; b < ev->n_by; b++)
            values[b] = field(&t, 3 + b, &lens[b]);
        st = add_truth_at(ev, source, slen, record_id, rlen, person_id, plen, values, lens, path,
                          cl_csv_line(t.r), err);
    }
    return finish_table(&t, st, 1, err);
}

cl_status cl_eval_read_linkmap(cl_eval *ev, const char *path, cl_error *err)
{
    cl_status st = check_phase_records(ev, err);
    if (st != CL_OK)
        return st;
    if (ev->linkmap_path != NULL)
        return cl_error_set(err, CL_EINVAL, path, 0, "a link map was already read");
    if ((st = set_path(&ev->linkmap_path, path, err)) != CL_OK)
        return st;
    static const char *const names[] = {"source", "record_id", "child_id", "match_probability"};
    table t;
    st = table_open(&t, ev, path, names, 4, err);
    while (st == CL_OK && (st = table_next(&t, err)) == CL_OK) {
        size_t slen, rlen, clen, plen;
        const char *source = field(&t, 0, &slen);
        const char *record_id = field(&t, 1, &rlen);
        const char *child_id = field(&t, 2, &clen);
        const char *prob = field(&t, 3, &plen);
        double p;
        if (plen > 0 && parse_probability(prob, plen, &p) != 0)
            st = cl_error_set(err, CL_EFORMAT, path, cl_csv_line(t.r),
                              "match_probability '%.*s' is not a number in [0,1]",
                              (int)(plen > 40 ? 40 : plen), prob);
        else
            st = add_link_at(ev, source, slen, record_id, rlen, child_id, clen, path,
                             cl_csv_line(t.r), err);
    }
    return finish_table(&t, st, 1, err);
}

cl_status cl_eval_read_pairs(cl_eval *ev, const char *path, cl_error *err)
{
    if (ev->phase != PHASE_RECORDS && ev->phase != PHASE_PAIRS)
        return cl_error_set(err, CL_EINVAL, path, 0, "pairs must come before the computation");
    if (ev->summary.truth_records == 0 || ev->summary.linkmap_records == 0)
        return cl_error_set(err, CL_EINVAL, path, 0,
                            "add the truth and the link map before the pairs");
    if (ev->pairs_path != NULL)
        return cl_error_set(err, CL_EINVAL, path, 0, "a pairs file was already read");
    cl_status st = set_path(&ev->pairs_path, path, err);
    if (st != CL_OK)
        return st;
    /* Even a pairs file with no rows means "nothing was compared". */
    ev->phase = PHASE_PAIRS;
    ev->summary.has_pairs = 1;
    static const char *const names[] = {"source_a", "record_id_a", "source_b", "record_id_b",
                                        "match_probability"};
    table t;
    st = table_open(&t, ev, path, names, 5, err);
    while (st == CL_OK && (st = table_next(&t, err)) == CL_OK) {
        size_t la, lia, lb, lib, lp;
        const char *sa = field(&t, 0, &la);
        const char *ia = field(&t, 1, &lia);
        const char *sb = field(&t, 2, &lb);
        const char *ib = field(&t, 3, &lib);
        const char *prob = field(&t, 4, &lp);
        long line = cl_csv_line(t.r);
        double p;
        if (la == 0 || lia == 0 || lb == 0 || lib == 0)
            st = cl_error_set(err, CL_EFORMAT, path, line, "empty %s",
                              la == 0 ? "source_a" : lia == 0 ? "record_id_a"
                                                    : lb == 0 ? "source_b" : "record_id_b");
        else if (parse_probability(prob, lp, &p) != 0)
            st = cl_error_set(err, CL_EFORMAT, path, line,
                              "match_probability '%.*s' is not a number in [0,1]",
                              (int)(lp > 40 ? 40 : lp), prob);
        else
            st = add_pair_at(ev, sa, la, ia, lia, sb, lb, ib, lib, p, path, line, err);
    }
    return finish_table(&t, st, 0, err);
}

/* ---- counting ---- */

/* Stable counting sort of `in` by key_of[record], whose key sizes are known:
 * out gets the records of key 0, then key 1, ...  `pos` is scratch of nkeys. */
static void counting_sort(const uint32_t *key_of, const uint32_t *in, size_t n,
                          const uint32_t *size, size_t nkeys, uint32_t *pos, uint32_t *out)
{
    uint32_t at = 0;
    for (size_t k = 0; k < nkeys; k++) {
        pos[k] = at;
        at += size[k];
    }
    for (size_t i = 0; i < n; i++)
        out[pos[key_of[in[i]]]++] = in[i];
}

static int alloc_group_scratch(group_col *g)
{
    size_t n = g->nvalues ? g->nvalues : 1;
    g->run_count = cl_calloc(n, sizeof(uint64_t));
    g->cluster_count = cl_calloc(n, sizeof(uint64_t));
    g->touched = cl_malloc(n * sizeof(uint32_t));
    g->cluster_touched = cl_malloc(n * sizeof(uint32_t));
    g->true_both = cl_calloc(n, sizeof(uint64_t));
    g->found_both = cl_calloc(n, sizeof(uint64_t));
    g->predicted_either = cl_calloc(n, sizeof(uint64_t));
    g->correct_either = cl_calloc(n, sizeof(uint64_t));
    g->records = cl_calloc(n, sizeof(uint64_t));
    g->groups = cl_calloc(n, sizeof(cl_eval_group));
    return g->run_count && g->cluster_count && g->touched && g->cluster_touched &&
                   g->true_both && g->found_both && g->predicted_either && g->correct_either &&
                   g->records && g->groups
               ? 0
               : -1;
}

/* Count the group values of the records in one run into run_count. */
static void count_run(group_col *g, const uint32_t *recs, size_t n)
{
    g->ntouched = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = g->of_record[recs[i]];
        if (g->run_count[v]++ == 0)
            g->touched[g->ntouched++] = v;
    }
}

/* Persons: true pairs overall and, per group, pairs with both records in it. */
static void count_persons(cl_eval *ev, const uint32_t *order_p, const uint32_t *person_size)
{
    cl_eval_summary *s = &ev->summary;
    size_t at = 0;
    for (size_t p = 0; p < ev->npersons; p++) {
        uint32_t n = person_size[p];
        if (n == 0)
            continue;
        const uint32_t *recs = order_p + at;
        at += n;
        s->persons++;
        s->pairwise.true_pairs += pairs_of(n);
        if (n == 1)
            s->singleton_persons++;
        if (n > s->largest_person)
            s->largest_person = n;
        for (size_t b = 0; b < ev->n_by; b++) {
            group_col *g = &ev->by[b];
            count_run(g, recs, n);
            for (size_t i = 0; i < g->ntouched; i++) {
                uint32_t v = g->touched[i];
                g->true_both[v] += pairs_of(g->run_count[v]);
                g->records[v] += g->run_count[v];
                g->run_count[v] = 0;
            }
        }
    }
}

/* One cluster-by-person cell of m records inside a cluster of n. */
static void count_cell(cl_eval *ev, const uint32_t *recs, uint64_t m)
{
    for (size_t b = 0; b < ev->n_by; b++) {
        group_col *g = &ev->by[b];
        count_run(g, recs, m);
        for (size_t i = 0; i < g->ntouched; i++) {
            uint32_t v = g->touched[i];
            uint64_t k = g->run_count[v];
            g->found_both[v] += pairs_of(k);
            g->correct_either[v] += pairs_of(m) - pairs_of(m - k);
            if (g->cluster_count[v] == 0)
                g->cluster_touched[g->ncluster_touched++] = v;
            g->cluster_count[v] += k;
            g->run_count[v] = 0;
        }
    }
}

/* Clusters, and the cells within them: predicted and correct pairs, split,
 * merged and exactly rebuilt persons.  `cells_of_person` starts zeroed. */
static void count_clusters(cl_eval *ev, const uint32_t *order_cp, const uint32_t *cluster_size,
                           const uint32_t *person_size, uint32_t *cells_of_person)
{
    cl_eval_summary *s = &ev->summary;
    size_t at = 0;
    for (size_t c = 0; c < ev->nclusters; c++) {
        uint64_t n = cluster_size[c];
        if (n == 0)
            continue;
        const uint32_t *recs = order_cp + at;
        at += n;
        s->clusters++;
        s->pairwise.predicted_pairs += pairs_of(n);
        if (n == 1)
            s->singleton_clusters++;
        if (n > s->largest_cluster)
            s->largest_cluster = n;
        size_t cells = 0;
        for (size_t i = 0; i < n;) {
            uint32_t p = ev->person_of[recs[i]];
            size_t j = i + 1;
            while (j < n && ev->person_of[recs[j]] == p)
                j++;
            uint64_t m = j - i;
            cells++;
            cells_of_person[p]++;
            s->pairwise.correct_pairs += pairs_of(m);
            if (m == n && m == person_size[p])
                s->persons_exact++;
            count_cell(ev, recs + i, m);
            i = j;
        }
        if (cells > 1)
            s->clusters_merged++;
        for (size_t b = 0; b < ev->n_by; b++) {
            group_col *g = &ev->by[b];
            for (size_t i = 0; i < g->ncluster_touched; i++) {
                uint32_t v = g->cluster_touched[i];
                g->predicted_either[v] += pairs_of(n) - pairs_of(n - g->cluster_count[v]);
                g->cluster_count[v] = 0;
            }
            g->ncluster_touched = 0;
        }
    }
    for (size_t p = 0; p < ev->npersons; p++)
        if (cells_of_person[p] > 1)
            s->persons_split++;
}

/* Whole numbers (an optional '-' and digits) compare as numbers and sort
 * before other text, so deciles read 1, 2, ..., 10 and not 1, 10, 2. */
static int is_integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int compare_magnitude(const char *a, const char *b)
{
    while (*a == '0' && a[1] != '\0')
        a++;
    while (*b == '0' && b[1] != '\0')
        b++;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static int compare_values(const char *a, const char *b)
{
    int ia = is_integer_text(a), ib = is_integer_text(b);
    if (ia != ib)
        return ia ? -1 : 1;
    if (ia) {
        int na = a[0] == '-', nb = b[0] == '-';
        int c = na != nb ? (na ? -1 : 1)
                         : (na ? -compare_magnitude(a + 1, b + 1) : compare_magnitude(a, b));
        if (c != 0)
            return c;
    }
    return strcmp(a, b);
}

static int compare_groups(const void *x, const void *y)
{
    return compare_values(((const cl_eval_group *)x)->value, ((const cl_eval_group *)y)->value);
}

static void finish_groups(cl_eval *ev)
{
    for (size_t b = 0; b < ev->n_by; b++) {
        group_col *g = &ev->by[b];
        for (size_t v = 0; v < g->nvalues; v++) {
            cl_eval_group *grp = &g->groups[v];
            grp->value = g->value_text[v];
            grp->records = g->records[v];
            grp->measures = make_measures(g->true_both[v], g->found_both[v],
                                          g->predicted_either[v], g->correct_either[v]);
            grp->in_gap = g->true_both[v] >= ev->min_group_true_pairs;
        }
        if (g->nvalues > 1)
            qsort(g->groups, g->nvalues, sizeof *g->groups, compare_groups);
        free_group_scratch(g);
    }
}

/* ---- the sweep ---- */

typedef struct prob_entry {
    double threshold;
    uint64_t true_count, false_count;   /* cumulative after the sort */
} prob_entry;

static int compare_entries_descending(const void *x, const void *y)
{
    double a = ((const prob_entry *)x)->threshold, b = ((const prob_entry *)y)->threshold;
    return a > b ? -1 : a < b ? 1 : 0;
}

static int kind_rank(const char *kind)
{
    return strcmp(kind, "grid") == 0 ? 0 : strcmp(kind, "best_f1") == 0 ? 1 : 2;
}

static int compare_rows(const void *x, const void *y)
{
    const cl_eval_sweep_row *a = x, *b = y;
    if (a->threshold != b->threshold)
        return a->threshold < b->threshold ? -1 : 1;
    return kind_rank(a->kind) - kind_rank(b->kind);
}

/* Measures when the first `n` entries (thresholds >= t) are predicted. */
static cl_eval_measures measures_at(const prob_entry *e, size_t n, uint64_t true_pairs)
{
    uint64_t tp = n ? e[n - 1].true_count : 0;
    uint64_t fp = n ? e[n - 1].false_count : 0;
    return make_measures(true_pairs, tp, tp + fp, tp);
}

/* Number of entries with threshold >= t (entries are descending). */
static size_t entries_at_or_above(const prob_entry *e, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].threshold >= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static cl_status build_sweep(cl_eval *ev, cl_error *err)
{
    probmap *m = &ev->probs;
    uint64_t true_pairs = ev->summary.pairwise.true_pairs;
    size_t n = m->count;
    prob_entry *e = cl_malloc((n ? n : 1) * sizeof *e);
    /* grid (99 + 0.999 and 0.9999), best_f1, all_scored */
    ev->sweep = cl_malloc((GRID_STEPS - 1 + 2 + 2) * sizeof *ev->sweep);
    if (e == NULL || ev->sweep == NULL) {
        cl_free(e);
        return oom(err, NULL, 0);
    }
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0)
            continue;
        e[k].threshold = key_threshold(m, m->keys[i] - 1);
        e[k].true_count = m->true_count[i];
        e[k].false_count = m->false_count[i];
        k++;
    }
    qsort(e, n, sizeof *e, compare_entries_descending);
    for (size_t i = 1; i < n; i++) {
        e[i].true_count += e[i - 1].true_count;
        e[i].false_count += e[i - 1].false_count;
    }
    ev->summary.distinct_probabilities = n;
    ev->summary.probabilities_binned = m->binned;
    ev->summary.true_pairs_scored = ev->true_scored.count;
    ev->summary.blocking_recall = ratio(ev->true_scored.count, true_pairs);

    size_t rows = 0;
    for (int step = 1; step < GRID_STEPS + 2; step++) {
        double t = step < GRID_STEPS ? step / (double)GRID_STEPS
                                     : step == GRID_STEPS ? 999 / 1000.0 : 9999 / 10000.0;
        ev->sweep[rows].threshold = t;
        ev->sweep[rows].kind = "grid";
        ev->sweep[rows].measures = measures_at(e, entries_at_or_above(e, n, t), true_pairs);
        rows++;
    }
    /* The best F1 over every threshold at which anything changes; on ties the
     * highest threshold, which predicts fewest pairs. */
    size_t best = n;
    double best_f1 = -1;
    for (size_t i = 0; i < n; i++) {
        double f1 = measures_at(e, i + 1, true_pairs).f1;
        if (!isnan(f1) && f1 > best_f1) {
            best_f1 = f1;
            best = i;
        }
    }
    if (best < n) {
        ev->sweep[rows].threshold = e[best].threshold;
        ev->sweep[rows].kind = "best_f1";
        ev->sweep[rows].measures = measures_at(e, best + 1, true_pairs);
        rows++;
    }
    if (n > 0) {
        ev->sweep[rows].threshold = e[n - 1].threshold;
        ev->sweep[rows].kind = "all_scored";
        ev->sweep[rows].measures = measures_at(e, n, true_pairs);
        rows++;
    }
    qsort(ev->sweep, rows, sizeof *ev->sweep, compare_rows);
    ev->nsweep = rows;
    cl_free(e);
    return CL_OK;
}

cl_status cl_eval_compute(cl_eval *ev, cl_error *err)
{
    if (ev->phase == PHASE_COMPUTED || ev->phase == PHASE_FAILED)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the evaluation was already computed");
    cl_eval_summary *s = &ev->summary;
    uint64_t evaluated = 0;
    for (size_t r = 0; r < ev->nrecords; r++)
        evaluated += ev->cluster_of[r] != NONE && ev->person_of[r] != NONE;
    s->evaluated_records = evaluated;
    s->linkmap_only_records = s->linkmap_records - evaluated;
    s->truth_only_records = s->truth_records - evaluated;
    if (evaluated == 0)
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "no record is in both the link map (%s: %llu records) and the "
                            "truth (%s: %llu records): do their source and record_id columns "
                            "agree?",
                            ev->linkmap_path ? ev->linkmap_path : "added",
                            (unsigned long long)s->linkmap_records,
                            ev->truth_path ? ev->truth_path : "added",
                            (unsigned long long)s->truth_records);
    ev->phase = PHASE_FAILED;   /* until every step below has succeeded */

    size_t nkeys = ev->npersons > ev->nclusters ? ev->npersons : ev->nclusters;
    uint32_t *list = cl_malloc(evaluated * sizeof *list);
    uint32_t *order_p = cl_malloc(evaluated * sizeof *order_p);
    uint32_t *order_cp = cl_malloc(evaluated * sizeof *order_cp);
    uint32_t *person_size = cl_calloc(ev->npersons + 1, sizeof *person_size);
    uint32_t *cluster_size = cl_calloc(ev->nclusters + 1, sizeof *cluster_size);
    uint32_t *scratch = cl_malloc((nkeys + 1) * sizeof *scratch);
    cl_status st = CL_OK;
    int failed = !list || !order_p || !order_cp || !person_size || !cluster_size || !scratch;
    for (size_t b = 0; b < ev->n_by && !failed; b++)
        failed = alloc_group_scratch(&ev->by[b]) != 0;
    if (failed) {
        st = oom(err, NULL, 0);
        goto done;
    }
    size_t n = 0;
    for (size_t r = 0; r < ev->nrecords; r++) {
        if (ev->cluster_of[r] == NONE || ev->person_of[r] == NONE)
            continue;
        list[n++] = (uint32_t)r;
        person_size[ev->person_of[r]]++;
        cluster_size[ev->cluster_of[r]]++;
    }
    counting_sort(ev->person_of, list, n, person_size, ev->npersons, scratch, order_p);
    counting_sort(ev->cluster_of, order_p, n, cluster_size, ev->nclusters, scratch, order_cp);
    count_persons(ev, order_p, person_size);
    memset(scratch, 0, ev->npersons * sizeof *scratch);
    count_clusters(ev, order_cp, cluster_size, person_size, scratch);
    s->pairwise = make_measures(s->pairwise.true_pairs, s->pairwise.correct_pairs,
                                s->pairwise.predicted_pairs, s->pairwise.correct_pairs);
    finish_groups(ev);
    if (s->has_pairs && (st = build_sweep(ev, err)) != CL_OK)
        goto done;
    ev->phase = PHASE_COMPUTED;
done:
    cl_free(list);
    cl_free(order_p);
    cl_free(order_cp);
    cl_free(person_size);
    cl_free(cluster_size);
    cl_free(scratch);
    return st;
}

/* ---- results ---- */

const cl_eval_summary *cl_eval_get_summary(const cl_eval *ev) { return &ev->summary; }
size_t cl_eval_by_count(const cl_eval *ev) { return ev->n_by; }
const char *cl_eval_by_name(const cl_eval *ev, size_t b) { return ev->by[b].name; }

size_t cl_eval_group_count(const cl_eval *ev, size_t b)
{
    return ev->phase == PHASE_COMPUTED ? ev->by[b].nvalues : 0;
}

const cl_eval_group *cl_eval_group_get(const cl_eval *ev, size_t b, size_t i)
{
    return &ev->by[b].groups[i];
}

size_t cl_eval_sweep_count(const cl_eval *ev)
{
    return ev->phase == PHASE_COMPUTED ? ev->nsweep : 0;
}

const cl_eval_sweep_row *cl_eval_sweep_get(const cl_eval *ev, size_t i) { return &ev->sweep[i]; }

static double measure_of(const cl_eval_measures *m, cl_eval_measure which)
{
    return which == CL_EVAL_PRECISION ? m->precision : which == CL_EVAL_RECALL ? m->recall : m->f1;
}

static const char *measure_name(cl_eval_measure which)
{
    return which == CL_EVAL_PRECISION ? "precision" : which == CL_EVAL_RECALL ? "recall" : "F1";
}

cl_eval_gap cl_eval_gap_get(const cl_eval *ev, size_t b, cl_eval_measure measure)
{
    cl_eval_gap gap = {0, NULL, NULL, NAN, NAN, NAN};
    const cl_eval_group *best = NULL, *worst = NULL;
    for (size_t i = 0; i < cl_eval_group_count(ev, b); i++) {
        const cl_eval_group *g = &ev->by[b].groups[i];
        double v = measure_of(&g->measures, measure);
        if (!g->in_gap || isnan(v))
            continue;
        gap.eligible_groups++;
        if (best == NULL || v > measure_of(&best->measures, measure))
            best = g;
        if (worst == NULL || v < measure_of(&worst->measures, measure))
            worst = g;
    }
    if (gap.eligible_groups < 2)
        return gap;
    gap.best_group = best->value;
    gap.worst_group = worst->value;
    gap.best = measure_of(&best->measures, measure);
    gap.worst = measure_of(&worst->measures, measure);
    gap.gap_points = (gap.best - gap.worst) * 100;
    return gap;
}

static const char *shown(const char *value) { return value[0] ? value : "(empty)"; }

void cl_eval_gap_sentence(const cl_eval *ev, size_t b, cl_eval_measure measure, char *buf,
                          size_t cap)
{
    if (cap == 0)
        return;
    cl_eval_gap gap = cl_eval_gap_get(ev, b, measure);
    if (gap.best_group == NULL)
        snprintf(buf, cap,
                 "%s gap by %s: not measured (%zu group%s with at least %llu true pairs and a "
                 "defined %s; 2 needed)",
                 measure_name(measure), ev->by[b].name, gap.eligible_groups,
                 gap.eligible_groups == 1 ? "" : "s",
                 (unsigned long long)ev->min_group_true_pairs, measure_name(measure));
    else
        snprintf(buf, cap,
                 "%s gap by %s: %.2f percentage points (best %s: %.4f, worst %s: %.4f)",
                 measure_name(measure), ev->by[b].name, gap.gap_points, shown(gap.best_group),
                 gap.best, shown(gap.worst_group), gap.worst);
}

/* ---- writing ---- */

/* The shortest text that reads back as exactly `v`. */
static void format_exact(char *buf, size_t cap, double v)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void format_measure(char *buf, size_t cap, double v, const char *undefined)
{
    if (isnan(v))
        snprintf(buf, cap, "%s", undefined);
    else
        snprintf(buf, cap, "%.4f", v);
}

static double share(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void report_measures(FILE *out, const cl_eval_measures *m)
{
    char p[32], r[32], f[32];
    format_measure(p, sizeof p, m->precision, "n/a");
    format_measure(r, sizeof r, m->recall, "n/a");
    format_measure(f, sizeof f, m->f1, "n/a");
    fprintf(out, "  %-26s %14llu\n", "true pairs", (unsigned long long)m->true_pairs);
    fprintf(out, "  %-26s %14llu\n", "predicted pairs", (unsigned long long)m->predicted_pairs);
    fprintf(out, "  %-26s %14llu\n", "correct pairs", (unsigned long long)m->correct_pairs);
    fprintf(out, "  %-26s %14s%s\n", "precision", p,
            isnan(m->precision) ? "  (no predicted pairs)" : "");
    fprintf(out, "  %-26s %14s%s\n", "recall", r, isnan(m->recall) ? "  (no true pairs)" : "");
    fprintf(out, "  %-26s %14s\n", "F1", f);
}

static void report_groups(const cl_eval *ev, FILE *out, size_t b)
{
    const group_col *g = &ev->by[b];
    int width = 5;
    for (size_t i = 0; i < g->nvalues; i++) {
        int len = (int)strlen(shown(g->groups[i].value)) + 1;
        if (len > width)
            width = len;
    }
    if (width > 40)
        width = 40;
    fprintf(out,
            "\nBy %s (a true pair is in a group when both its records are; a predicted pair "
            "when either is)\n",
            g->name);
    fprintf(out, "  %-*s %10s %12s %12s %12s %12s %9s %9s %9s\n", width, "group", "records",
            "true pairs", "found", "predicted", "correct", "precision", "recall", "F1");
    int any_small = 0;
    for (size_t i = 0; i < g->nvalues; i++) {
        const cl_eval_group *grp = &g->groups[i];
        const cl_eval_measures *m = &grp->measures;
        char p[32], r[32], f[32], label[300];
        format_measure(p, sizeof p, m->precision, "n/a");
        format_measure(r, sizeof r, m->recall, "n/a");
        format_measure(f, sizeof f, m->f1, "n/a");
        snprintf(label, sizeof label, "%s%s", shown(grp->value), grp->in_gap ? "" : "*");
        any_small |= !grp->in_gap;
        fprintf(out, "  %-*s %10llu %12llu %12llu %12llu %12llu %9s %9s %9s\n", width, label,
                (unsigned long long)grp->records, (unsigned long long)m->true_pairs,
                (unsigned long long)m->found_pairs, (unsigned long long)m->predicted_pairs,
                (unsigned long long)m->correct_pairs, p, r, f);
    }
    if (any_small)
        fprintf(out, "  * fewer than %llu true pairs: reported, but left out of the gaps\n",
                (unsigned long long)ev->min_group_true_pairs);
    char sentence[1024];
    cl_eval_gap_sentence(ev, b, CL_EVAL_RECALL, sentence, sizeof sentence);
    fprintf(out, "  %s\n", sentence);
    cl_eval_gap_sentence(ev, b, CL_EVAL_PRECISION, sentence, sizeof sentence);
    fprintf(out, "  %s\n", sentence);
}

static void report_pairs(const cl_eval *ev, FILE *out)
{
    const cl_eval_summary *s = &ev->summary;
    char br[32];
    format_measure(br, sizeof br, s->blocking_recall, "n/a");
    fprintf(out, "\nScored pairs (%s; a pair is predicted when match_probability >= threshold)\n",
            ev->pairs_path ? ev->pairs_path : "added");
    fprintf(out, "  %-26s %14llu\n", "pairs", (unsigned long long)s->pair_rows);
    fprintf(out, "  %-26s %14llu\n", "judged", (unsigned long long)s->pairs_judged);
    fprintf(out, "  %-26s %14llu  (a record not in both link map and truth)\n", "skipped",
            (unsigned long long)s->pairs_skipped);
    fprintf(out, "  %-26s %14llu  of %llu true pairs\n", "true pairs scored",
            (unsigned long long)s->true_pairs_scored,
            (unsigned long long)s->pairwise.true_pairs);
    fprintf(out, "  %-26s %14s  (share of true pairs compared at all)\n", "blocking recall", br);
    fprintf(out, "  %-26s %14llu%s\n", "distinct probabilities",
            (unsigned long long)s->distinct_probabilities,
            s->probabilities_binned ? "  (binned to 0.000001)" : "");
    fprintf(out, "  %-10s %-10s %12s %12s %9s %9s %9s\n", "threshold", "kind", "predicted",
            "correct", "precision", "recall", "F1");
    for (size_t i = 0; i < ev->nsweep; i++) {
        const cl_eval_sweep_row *row = &ev->sweep[i];
        /* The full sweep goes to --sweep; here only the rows worth reading. */
        int step = (int)lround(row->threshold * 100);
        int keep = strcmp(row->kind, "grid") != 0 ||
                   (fabs(row->threshold * 100 - step) < 1e-9 && step % 10 == 0) ||
                   row->threshold > 0.99 || step == 95;
        if (!keep)
            continue;
        char t[32], p[32], r[32], f[32];
        format_exact(t, sizeof t, row->threshold);
        format_measure(p, sizeof p, row->measures.precision, "n/a");
        format_measure(r, sizeof r, row->measures.recall, "n/a");
        format_measure(f, sizeof f, row->measures.f1, "n/a");
        fprintf(out, "  %-10s %-10s %12llu %12llu %9s %9s %9s\n", t, row->kind,
                (unsigned long long)row->measures.predicted_pairs,
                (unsigned long long)row->measures.correct_pairs, p, r, f);
    }
}

static cl_status check_written(FILE *out, cl_error *err)
{
    if (fflush(out) != 0 || ferror(out))
        return cl_error_set(err, CL_EIO, NULL, 0, "error writing the evaluation");
    return CL_OK;
}

static cl_status check_computed(const cl_eval *ev, cl_error *err)
{
    if (ev->phase != PHASE_COMPUTED)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the evaluation has not been computed");
    return CL_OK;
}

cl_status cl_eval_write_report(const cl_eval *ev, FILE *out, cl_error *err)
{
    cl_status st = check_computed(ev, err);
    if (st != CL_OK)
        return st;
    const cl_eval_summary *s = &ev->summary;
    fprintf(out, "Linkage evaluation\n");
    fprintf(out, "  %-12s %s: %llu records\n", "link map",
            ev->linkmap_path ? ev->linkmap_path : "-", (unsigned long long)s->linkmap_records);
    fprintf(out, "  %-12s %s: %llu records\n", "truth", ev->truth_path ? ev->truth_path : "-",
            (unsigned long long)s->truth_records);
    fprintf(out, "  %-12s %llu records in both (counted); %llu only in the link map, %llu only "
                 "in the truth (not counted)\n",
            "evaluated", (unsigned long long)s->evaluated_records,
            (unsigned long long)s->linkmap_only_records,
            (unsigned long long)s->truth_only_records);

    fprintf(out, "\nPairwise (a predicted pair is two records in one cluster; a true pair, two "
                 "records of one person)\n");
    report_measures(out, &s->pairwise);

    fprintf(out, "\nClusters against persons\n");
    fprintf(out, "  %-26s %14llu\n", "clusters", (unsigned long long)s->clusters);
    fprintf(out, "  %-26s %14llu\n", "persons", (unsigned long long)s->persons);
    fprintf(out, "  %-26s %14llu  (%.2f%% of persons)\n", "persons exactly rebuilt",
            (unsigned long long)s->persons_exact, share(s->persons_exact, s->persons));
    fprintf(out, "  %-26s %14llu  (%.2f%% of persons)\n", "persons split",
            (unsigned long long)s->persons_split, share(s->persons_split, s->persons));
    fprintf(out, "  %-26s %14llu  (%.2f%% of clusters)\n", "clusters merged",
            (unsigned long long)s->clusters_merged, share(s->clusters_merged, s->clusters));
    fprintf(out, "  %-26s %14llu\n", "singleton clusters",
            (unsigned long long)s->singleton_clusters);
    fprintf(out, "  %-26s %14llu\n", "singleton persons", (unsigned long long)s->singleton_persons);
    fprintf(out, "  %-26s %14llu  records\n", "largest cluster",
            (unsigned long long)s->largest_cluster);
    fprintf(out, "  %-26s %14llu  records\n", "largest person",
            (unsigned long long)s->largest_person);

    if (s->has_pairs)
        report_pairs(ev, out);
    for (size_t b = 0; b < ev->n_by; b++)
        report_groups(ev, out, b);
    return check_written(out, err);
}

cl_status cl_eval_write_sweep(const cl_eval *ev, FILE *out, cl_error *err)
{
    cl_status st = check_computed(ev, err);
    if (st != CL_OK)
        return st;
    cl_csv_writer *w = cl_csv_writer_new(out);
    if (w == NULL)
        return oom(err, NULL, 0);
    static const char *const header[] = {"threshold", "kind", "predicted_pairs",
                                         "true_positives", "false_positives", "false_negatives",
                                         "precision", "recall", "f1"};
    for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
        cl_csv_write_str(w, header[i]);
    cl_csv_end_row(w);
    for (size_t i = 0; i < ev->nsweep; i++) {
        const cl_eval_sweep_row *row = &ev->sweep[i];
        const cl_eval_measures *m = &row->measures;
        char buf[32];
        format_exact(buf, sizeof buf, row->threshold);
        cl_csv_write_str(w, buf);
        cl_csv_write_str(w, row->kind);
        cl_csv_write_fmt(w, "%llu", (unsigned long long)m->predicted_pairs);
        cl_csv_write_fmt(w, "%llu", (unsigned long long)m->correct_pairs);
        cl_csv_write_fmt(w, "%llu", (unsigned long long)(m->predicted_pairs - m->correct_pairs));
        cl_csv_write_fmt(w, "%llu", (unsigned long long)(m->true_pairs - m->found_pairs));
        double values[3] = {m->precision, m->recall, m->f1};
        for (int v = 0; v < 3; v++) {
            if (isnan(values[v]))
                cl_csv_write_str(w, "NA");
            else
                cl_csv_write_fmt(w, "%.6f", values[v]);
        }
        cl_csv_end_row(w);
    }
    st = cl_csv_writer_flush(w);
    cl_csv_writer_free(w);
    if (st != CL_OK)
        return cl_error_set(err, CL_EIO, NULL, 0, "error writing the sweep");
    return check_written(out, err);
}

/* JSON building: every json_*_set_new is checked once, through `ok`. */
typedef struct jb {
    int ok;
} jb;

/* jansson's *_set_new and *_append_new take the value even when they fail
 * (or when obj is NULL), so nothing leaks on the way out. */
static void jset(jb *j, json_t *obj, const char *key, json_t *value)
{
    if (json_object_set_new(obj, key, value) != 0)
        j->ok = 0;
}

static void jappend(jb *j, json_t *arr, json_t *value)
{
    if (json_array_append_new(arr, value) != 0)
        j->ok = 0;
}

static json_t *jcount(uint64_t v) { return json_integer((json_int_t)v); }
static json_t *jnumber(double v) { return isnan(v) ? json_null() : json_real(v); }
static json_t *jtext(const char *s) { return s ? json_string(s) : json_null(); }

/* Add the measures to `o` (after whatever identifies them); returns `o`. */
static json_t *json_measures(jb *j, json_t *o, const cl_eval_measures *m)
{
    jset(j, o, "true_pairs", jcount(m->true_pairs));
    jset(j, o, "found_pairs", jcount(m->found_pairs));
    jset(j, o, "predicted_pairs", jcount(m->predicted_pairs));
    jset(j, o, "correct_pairs", jcount(m->correct_pairs));
    jset(j, o, "false_positives", jcount(m->predicted_pairs - m->correct_pairs));
    jset(j, o, "false_negatives", jcount(m->true_pairs - m->found_pairs));
    jset(j, o, "precision", jnumber(m->precision));
    jset(j, o, "recall", jnumber(m->recall));
    jset(j, o, "f1", jnumber(m->f1));
    return o;
}

static json_t *json_gap(jb *j, const cl_eval *ev, size_t b, cl_eval_measure measure)
{
    cl_eval_gap gap = cl_eval_gap_get(ev, b, measure);
    char sentence[1024];
    cl_eval_gap_sentence(ev, b, measure, sentence, sizeof sentence);
    json_t *o = json_object();
    jset(j, o, "eligible_groups", jcount(gap.eligible_groups));
    jset(j, o, "percentage_points", jnumber(gap.gap_points));
    jset(j, o, "best_group", jtext(gap.best_group));
    jset(j, o, "best", jnumber(gap.best));
    jset(j, o, "worst_group", jtext(gap.worst_group));
    jset(j, o, "worst", jnumber(gap.worst));
    jset(j, o, "sentence", json_string(sentence));
    return o;
}

static json_t *json_report(const cl_eval *ev, jb *j)
{
    const cl_eval_summary *s = &ev->summary;
    json_t *root = json_object();

    json_t *inputs = json_object();
    jset(j, inputs, "linkmap", jtext(ev->linkmap_path));
    jset(j, inputs, "truth", jtext(ev->truth_path));
    jset(j, inputs, "pairs", jtext(ev->pairs_path));
    jset(j, root, "inputs", inputs);

    json_t *records = json_object();
    jset(j, records, "linkmap", jcount(s->linkmap_records));
    jset(j, records, "truth", jcount(s->truth_records));
    jset(j, records, "evaluated", jcount(s->evaluated_records));
    jset(j, records, "linkmap_only", jcount(s->linkmap_only_records));
    jset(j, records, "truth_only", jcount(s->truth_only_records));
    jset(j, root, "records", records);

    jset(j, root, "pairwise", json_measures(j, json_object(), &s->pairwise));

    json_t *clusters = json_object();
    jset(j, clusters, "clusters", jcount(s->clusters));
    jset(j, clusters, "persons", jcount(s->persons));
    jset(j, clusters, "persons_exact", jcount(s->persons_exact));
    jset(j, clusters, "persons_split", jcount(s->persons_split));
    jset(j, clusters, "clusters_merged", jcount(s->clusters_merged));
    jset(j, clusters, "singleton_clusters", jcount(s->singleton_clusters));
    jset(j, clusters, "singleton_persons", jcount(s->singleton_persons));
    jset(j, clusters, "largest_cluster", jcount(s->largest_cluster));
    jset(j, clusters, "largest_person", jcount(s->largest_person));
    jset(j, root, "clusters", clusters);

    if (s->has_pairs) {
        json_t *pairs = json_object();
        jset(j, pairs, "rows", jcount(s->pair_rows));
        jset(j, pairs, "judged", jcount(s->pairs_judged));
        jset(j, pairs, "skipped", jcount(s->pairs_skipped));
        jset(j, pairs, "true_pairs_scored", jcount(s->true_pairs_scored));
        jset(j, pairs, "blocking_recall", jnumber(s->blocking_recall));
        jset(j, pairs, "distinct_probabilities", jcount(s->distinct_probabilities));
        jset(j, pairs, "probability_resolution",
             s->probabilities_binned ? json_real(CL_EVAL_PROBABILITY_RESOLUTION) : json_null());
        json_t *sweep = json_array();
        for (size_t i = 0; i < ev->nsweep; i++) {
            const cl_eval_sweep_row *row = &ev->sweep[i];
            json_t *o = json_object();
            jset(j, o, "threshold", json_real(row->threshold));
            jset(j, o, "kind", json_string(row->kind));
            jappend(j, sweep, json_measures(j, o, &row->measures));
        }
        jset(j, pairs, "sweep", sweep);
        jset(j, root, "pairs", pairs);
    } else {
        jset(j, root, "pairs", json_null());
    }

    json_t *by = json_array();
    for (size_t b = 0; b < ev->n_by; b++) {
        json_t *col = json_object();
        jset(j, col, "column", json_string(ev->by[b].name));
        jset(j, col, "min_true_pairs", jcount(ev->min_group_true_pairs));
        json_t *groups = json_array();
        for (size_t i = 0; i < ev->by[b].nvalues; i++) {
            const cl_eval_group *g = &ev->by[b].groups[i];
            json_t *o = json_object();
            jset(j, o, "value", json_string(g->value));
            jset(j, o, "records", jcount(g->records));
            jset(j, o, "in_gap", json_boolean(g->in_gap));
            jappend(j, groups, json_measures(j, o, &g->measures));
        }
        jset(j, col, "groups", groups);
        jset(j, col, "recall_gap", json_gap(j, ev, b, CL_EVAL_RECALL));
        jset(j, col, "precision_gap", json_gap(j, ev, b, CL_EVAL_PRECISION));
        jset(j, col, "f1_gap", json_gap(j, ev, b, CL_EVAL_F1));
        jappend(j, by, col);
    }
    jset(j, root, "by", by);
    return root;
}

cl_status cl_eval_write_json(const cl_eval *ev, FILE *out, cl_error *err)
{
    cl_status st = check_computed(ev, err);
    if (st != CL_OK)
        return st;
    jb j = {1};
    json_t *root = json_report(ev, &j);
    if (!j.ok || root == NULL) {
        json_decref(root);
        return oom(err, NULL, 0);
    }
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF)
        return cl_error_set(err, CL_EIO, NULL, 0, "error writing the JSON report");
    return check_written(out, err);
}
