/*
 * link.c - training, scoring, clustering and the link map (see link.h).
 *
 * Candidate pairs stream out of the blocking module block by block on
 * several threads; each thread keeps its own vector counts (training) or its
 * own list of accepted pairs (scoring), merged at the end, so the inner loop
 * shares nothing and allocates only when a list grows.  Accepted pairs are
 * sorted strongest first (ties by record index, so the result does not
 * depend on thread timing) and merged by union-find under the NHS number /
 * UPN guard.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/csv.h"
#include "childlink/encode.h"
#include "childlink/keys.h"
#include "childlink/link.h"
#include "childlink/outfile.h"

#define MAX_THREADS 64

void cl_link_options_default(cl_link_options *o)
{
    memset(o, 0, sizeof *o);
    o->scope = CL_PAIRS_ACROSS | CL_PAIRS_WITHIN;
    o->threshold = 0.9;
    o->threads = 2;
    o->max_pairs_per_rule = 2000000000ull;
    o->u_samples = 2000000;
    o->em_max_iterations = 500;
    o->max_cluster_size = 200;
    o->seed = 0x6368696cu;
}

static void note(const cl_link_options *o, const char *what)
{
    if (o->progress)
        o->progress(what);
}

cl_status cl_link_check_blocking(const cl_blocking *b, const cl_link_options *o, cl_error *err)
{
    for (int k = 0; k < CL_NRULES; k++)
        if (cl_blocking_rule_pairs(b, k) > o->max_pairs_per_rule)
            return cl_error_set(err, CL_ELIMIT, NULL, 0,
                                "blocking rule '%s' would create %llu pairs (largest block: %llu "
                                "records), over the limit of %llu; the data may lack that field's "
                                "variety (e.g. one date for all records)",
                                cl_blocking_rule_name(b, k), (unsigned long long)cl_blocking_rule_pairs(b, k),
                                (unsigned long long)cl_blocking_rule_largest_block(b, k),
                                (unsigned long long)o->max_pairs_per_rule);
    return CL_OK;
}

double cl_link_possible_pairs(const cl_records *r, unsigned scope)
{
    double *per = calloc((size_t)r->nsources, sizeof *per);
    if (per == NULL)
        return (double)r->n * (double)(r->n - 1) / 2;
    for (size_t i = 0; i < r->n; i++)
        per[r->source[i]] += 1;
    double within = 0, all = (double)r->n * (double)(r->n - 1) / 2;
    for (int s = 0; s < r->nsources; s++)
        within += per[s] * (per[s] - 1) / 2;
    free(per);
    double total = 0;
    if (scope & CL_PAIRS_WITHIN)
        total += within;
    if (scope & CL_PAIRS_ACROSS)
        total += all - within;
    return total;
}

static int across_only(const cl_records *r, size_t i, size_t j) { return r->source[i] != r->source[j]; }
static int within_only(const cl_records *r, size_t i, size_t j) { return r->source[i] == r->source[j]; }

/* ---- training ---- */

/* EM needs the distribution of comparison vectors, not every vector: past
 * this many candidate pairs, every k-th pair of each thread is compared and
 * counted k times. */
#define TRAINING_PAIRS 8000000ull

typedef struct count_ctx {
    const cl_records *r;
    cl_vector_counts *counts;
    uint64_t pairs;
    uint64_t stride;
} count_ctx;

static int count_pair(void *p, size_t i, size_t j, int rule)
{
    (void)rule;
    count_ctx *c = p;
    if (c->pairs++ % c->stride != 0)
        return 0;
    return cl_vector_counts_add(c->counts, cl_compare(c->r, i, j), c->stride) != 0;
}

static int thread_count(const cl_link_options *o)
{
    return o->threads < 1 ? 1 : o->threads > MAX_THREADS ? MAX_THREADS : o->threads;
}

cl_status cl_link_train(const cl_records *r, const cl_blocking *b, const cl_link_options *o,
                        cl_model *model, cl_error *err)
{
    memset(model, 0, sizeof *model);
    int (*allowed)(const cl_records *, size_t, size_t) = NULL;
    if (o->scope == CL_PAIRS_ACROSS)
        allowed = across_only;
    else if (o->scope == CL_PAIRS_WITHIN)
        allowed = within_only;
    note(o, "estimating u from random record pairs");
    cl_status st = cl_model_estimate_u(model, r, o->u_samples, allowed, err);
    if (st != CL_OK)
        return st;
    note(o, "counting comparison vectors of candidate pairs");
    int nt = thread_count(o);
    count_ctx ctx[MAX_THREADS];
    void *ctxp[MAX_THREADS];
    uint64_t upper = 0;
    for (int k = 0; k < CL_NRULES; k++)
        upper += cl_blocking_rule_pairs(b, k);
    uint64_t stride = upper > TRAINING_PAIRS ? upper / TRAINING_PAIRS : 1;
    for (int t = 0; t < nt; t++) {
        ctx[t] = (count_ctx){r, cl_vector_counts_new(), 0, stride};
        ctxp[t] = &ctx[t];
    }
    st = CL_OK;
    for (int t = 0; t < nt; t++)
        if (ctx[t].counts == NULL)
            st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    if (st == CL_OK && cl_blocking_each_pair(b, nt, count_pair, ctxp) != 0)
        st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory counting comparison vectors");
    if (st == CL_OK) {
        /* Fold the other threads' counts into thread 0's. */
        for (int t = 1; t < nt; t++) {
            size_t cap;
            const cl_vector *keys;
            const uint64_t *counts;
            cl_vector_counts_raw(ctx[t].counts, &keys, &counts, &cap);
            for (size_t s = 0; s < cap && st == CL_OK; s++)
                if (counts[s] != 0 && cl_vector_counts_add(ctx[0].counts, keys[s], counts[s]) != 0)
                    st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
        }
    }
    uint64_t pairs = 0;
    for (int t = 0; t < nt; t++)
        pairs += ctx[t].pairs;
    if (st == CL_OK && pairs == 0)
        st = cl_error_set(err, CL_EFORMAT, NULL, 0,
                          "no candidate pairs: the inputs lack the fields the blocking rules "
                          "need (NHS number, UPN, date of birth with names, or postcode with "
                          "a forename); see `childlink link --count-pairs`");
    if (st == CL_OK) {
        note(o, "estimating m and the prior by EM");
        st = cl_model_em(model, ctx[0].counts, cl_link_possible_pairs(r, o->scope),
                         o->em_max_iterations, err);
    }
    for (int t = 0; t < nt; t++)
        cl_vector_counts_free(ctx[t].counts);
    return st;
}

/* ---- scoring ---- */

enum { RULE_PROBABILISTIC = 0, RULE_NHS_DOB, RULE_UPN_DOB, RULE_TWIN_GUARD, RULE_NO_MATCH,
       RULE_ECHILD_STEP1 };   /* ECHILD steps 1..8 follow */
static const char *const rule_labels[] = {
    "probabilistic", "nhs_dob", "upn_dob", "twin_guard", "no_match",
    "echild_step_1", "echild_step_2", "echild_step_3", "echild_step_4",
    "echild_step_5", "echild_step_6", "echild_step_7", "echild_step_8",
};

/* Forename initial and first three letters of the surname agree. */
static int initial_and_three(const cl_records *r, size_t i, size_t j)
{
    const char *fa = cl_records_str(r, r->forename[i], NULL);
    const char *fb = cl_records_str(r, r->forename[j], NULL);
    const char *sa = cl_records_str(r, r->surname[i][0], NULL);
    const char *sb = cl_records_str(r, r->surname[j][0], NULL);
    return fa[0] && fa[0] == fb[0] && strlen(sa) >= 3 && strlen(sb) >= 3 &&
           memcmp(sa, sb, 3) == 0;
}

/* NHS England's stepwise NPD-to-register matching, as used for ECHILD: the
 * first step a pair satisfies is its "match rank"; 0 when none. */
static int echild_step(const cl_records *r, size_t i, size_t j)
{
    const cl_sim_date *da = &r->dob[i], *db = &r->dob[j];
    if (da->days == CL_NO_DATE || db->days == CL_NO_DATE)
        return 0;
    int dob = da->days == db->days;
    int month_year = da->year == db->year && da->month == db->month;
    int sex = r->sex[i] && r->sex[i] == r->sex[j];
    int postcode = r->postcode[i][0] && r->postcode[i][0] == r->postcode[j][0];
    int names = r->forename[i] && r->forename[i] == r->forename[j] && r->surname[i][0] &&
                r->surname[i][0] == r->surname[j][0];
    int soundex = r->forename_soundex[i][0] &&
                  strcmp(r->forename_soundex[i], r->forename_soundex[j]) == 0 &&
                  r->surname_soundex[i][0] &&
                  strcmp(r->surname_soundex[i], r->surname_soundex[j]) == 0;
    int initials = initial_and_three(r, i, j);
    if (names && dob && sex && postcode)
        return 1;
    if (soundex && dob && sex && postcode)
        return 2;
    if (initials && dob && sex && postcode)
        return 3;
    if (initials && dob && postcode)
        return 4;
    if (dob && sex && postcode)
        return 5;
    if (month_year && sex && postcode)
        return 6;
    if (names && dob && sex)
        return 7;
    if (initials && dob && sex)
        return 8;
    return 0;
}


/* Twins share surname, date of birth and address, never another identifier:
 * an agreeing one (up to a typo in clear text) lifts the twin guard. */
static int other_id_agrees(const cl_records *r, cl_vector v)
{
    unsigned l = CL_VECTOR_LEVEL(v, CL_CMP_OTHER_ID);
    return l == 1 || (l == 2 && r->kind == CL_RECORDS_CLEAR);
}

/* The decision for a pair and its match probability; its match weight too
 * when `weight` is not NULL (deterministic links skip the model otherwise). */
static int decide(const cl_records *r, const cl_model *model, int echild, int twin_guard,
                  size_t i, size_t j,
                  cl_vector v, double *probability, double *weight)
{
    if (echild) {
        int step = echild_step(r, i, j);
        *probability = step ? 1.0 : 0.0;
        if (weight)
            *weight = step ? 99.0 : -99.0;
        return step ? RULE_ECHILD_STEP1 + step - 1 : RULE_NO_MATCH;
    }
    unsigned dob = CL_VECTOR_LEVEL(v, CL_CMP_DOB);
    int nhs_exact = CL_VECTOR_LEVEL(v, CL_CMP_NHS) == 1 && r->nhs_valid[i] && r->nhs_valid[j];
    int upn_exact = CL_VECTOR_LEVEL(v, CL_CMP_UPN) == 1 && r->upn_valid[i] && r->upn_valid[j];
    int rule = RULE_PROBABILISTIC;
    if (dob == 1 && nhs_exact)
        rule = RULE_NHS_DOB;
    else if (dob == 1 && upn_exact)
        rule = RULE_UPN_DOB;
    else if (twin_guard && dob == 1 && (int)CL_VECTOR_LEVEL(v, CL_CMP_FORENAME) ==
                             cl_comparison_nlevels(r->kind, CL_CMP_FORENAME) - 1 &&
             !other_id_agrees(r, v))
        rule = RULE_TWIN_GUARD;
    if (rule != RULE_PROBABILISTIC && rule != RULE_TWIN_GUARD && weight == NULL) {
        *probability = 1.0;
        return rule;
    }
    double w = cl_model_weight(model, r, i, j, v, NULL);
    if (weight)
        *weight = w;
    *probability = rule == RULE_PROBABILISTIC || rule == RULE_TWIN_GUARD
                       ? cl_weight_to_probability(w) : 1.0;
    return rule;
}

const char *cl_link_classify(const cl_records *r, const cl_model *model, size_t i, size_t j,
                             cl_vector v, double *probability)
{
    return rule_labels[decide(r, model, 0, 1, i, j, v, probability, NULL)];
}

typedef struct accepted {
    uint32_t i, j;
    float probability;
    uint8_t rule;
} accepted;

typedef struct score_ctx {
    const cl_records *r;
    const cl_model *model;
    double threshold;
    int echild;
    int twin_guard;
    accepted *pairs;
    size_t n, cap;
    uint64_t candidates, deterministic, guarded;
    cl_csv_writer *pairs_out;
} score_ctx;

static int score_pair(void *p, size_t i, size_t j, int rule)
{
    (void)rule;
    score_ctx *c = p;
    c->candidates++;
    cl_vector v = cl_compare(c->r, i, j);
    double prob, weight;
    int label = decide(c->r, c->model, c->echild, c->twin_guard, i, j, v, &prob,
                       c->pairs_out ? &weight : NULL);
    if (c->pairs_out) {
        cl_csv_writer *w = c->pairs_out;
        const cl_records *r = c->r;
        cl_csv_write_str(w, r->source_names[r->source[i]]);
        cl_csv_write_str(w, cl_records_str(r, r->record_id[i], NULL));
        cl_csv_write_str(w, r->source_names[r->source[j]]);
        cl_csv_write_str(w, cl_records_str(r, r->record_id[j], NULL));
        cl_csv_write_fmt(w, "%.4f", weight);
        cl_csv_write_fmt(w, "%.6f", label == RULE_TWIN_GUARD ? 0.0 : prob);
        cl_csv_write_str(w, rule_labels[label]);
        cl_csv_end_row(w);
    }
    if (label == RULE_TWIN_GUARD || label == RULE_NO_MATCH) {
        if (prob >= c->threshold && label == RULE_TWIN_GUARD)
            c->guarded++;
        return 0;
    }
    if (prob < c->threshold)
        return 0;
    if (label != RULE_PROBABILISTIC)
        c->deterministic++;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1u << 16;
        accepted *a = cl_realloc(c->pairs, cap * sizeof *a);
        if (a == NULL)
            return 1;
        c->pairs = a;
        c->cap = cap;
    }
    c->pairs[c->n++] = (accepted){(uint32_t)i, (uint32_t)j, (float)prob, (uint8_t)label};
    return 0;
}

static int strongest_first(const void *a, const void *b)
{
    const accepted *x = a, *y = b;
    if (x->probability != y->probability)
        return x->probability > y->probability ? -1 : 1;
    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* ---- clustering ---- */

typedef struct clusters {
    uint32_t *parent, *size;
    int32_t *nhs, *upn;   /* a member with a valid NHS number / UPN, or -1 */
} clusters;

static uint32_t find_root(clusters *c, uint32_t x)
{
    while (c->parent[x] != x) {
        c->parent[x] = c->parent[c->parent[x]];
        x = c->parent[x];
    }
    return x;
}

static int conflict(const cl_records *r, int32_t a, int32_t b, int upn)
{
    if (a < 0 || b < 0)
        return 0;
    return upn ? memcmp(r->upn[a], r->upn[b], 13) != 0 : memcmp(r->nhs[a], r->nhs[b], 10) != 0;
}

/* 32-bit Feistel permutation: distinct cluster ordinals give distinct,
 * unguessable-looking ids that carry nothing of the records. */
static uint32_t permute(uint32_t x, uint32_t seed)
{
    uint16_t left = (uint16_t)(x >> 16), right = (uint16_t)x;
    for (uint32_t round = 0; round < 4; round++) {
        uint32_t f = (right ^ seed ^ (round * 0x9E37u)) * 0x85EBCA6Bu;
        f ^= f >> 13;
        uint16_t next = (uint16_t)(left ^ (f & 0xFFFFu));
        left = right;
        right = next;
    }
    return ((uint32_t)left << 16) | right;
}

cl_status cl_link_check_model(const cl_records *r, const cl_model *model, cl_error *err)
{
    if (model->kind == r->kind)
        return CL_OK;
    return cl_error_set(err, CL_EINVAL, NULL, 0,
                        "the model was trained on %s identifiers but the inputs are %s: train "
                        "a model on files like these",
                        model->kind == CL_RECORDS_ENCODED ? "encoded" : "clear",
                        r->kind == CL_RECORDS_ENCODED ? "encoded identifier files" : "clear");
}

cl_status cl_link_run(const cl_records *r, const cl_blocking *b, const cl_model *model,
                      const cl_link_options *o, const char *linkmap_path, cl_link_result *res,
                      cl_error *err)
{
    memset(res, 0, sizeof *res);
    res->records = r->n;
    if (r->kind == CL_RECORDS_ENCODED && o->preset_echild)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "--preset echild compares clear names and postcodes; encoded "
                            "identifier files are linked by the model");
    if (r->kind == CL_RECORDS_ENCODED && o->record_key)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "encoded identifier files already name records by their record "
                            "tokens: --key is not needed (and the linkage unit should not hold it)");
    if (!o->preset_echild) {
        cl_status st = cl_link_check_model(r, model, err);
        if (st != CL_OK)
            return st;
    }
    cl_status st = CL_OK;
    int nt = o->pairs_path ? 1 : thread_count(o);   /* one writer for the pairs file */
    score_ctx ctx[MAX_THREADS];
    void *ctxp[MAX_THREADS];
    cl_outfile *pairs_file = NULL, *map_file = NULL;
    cl_csv_writer *map = NULL;
    clusters c = {0};
    float *best = NULL;
    uint8_t *best_rule = NULL;
    uint32_t *child = NULL;
    cl_encoder **encoders = NULL;
    uint8_t *partnered = NULL;
    memset(ctx, 0, sizeof ctx);
    for (int t = 0; t < nt; t++) {
        ctx[t] = (score_ctx){.r = r, .model = model, .threshold = o->threshold,
                            .echild = o->preset_echild,
                            .twin_guard = !o->no_twin_guard};
        ctxp[t] = &ctx[t];
    }
    if ((st = cl_outfile_open(&map_file, linkmap_path, 0, err)) != CL_OK)
        goto done;
    if (o->pairs_path) {
        if ((st = cl_outfile_open(&pairs_file, o->pairs_path, 0, err)) != CL_OK)
            goto done;
        if ((ctx[0].pairs_out = cl_csv_writer_new(cl_outfile_stream(pairs_file))) == NULL)
            goto nomem;
        static const char *const head[] = {"source_a", "record_id_a", "source_b", "record_id_b",
                                           "match_weight", "match_probability", "link_rule"};
        for (size_t h = 0; h < 7; h++)
            cl_csv_write_str(ctx[0].pairs_out, head[h]);
        cl_csv_end_row(ctx[0].pairs_out);
    }
    note(o, "scoring candidate pairs");
    if (cl_blocking_each_pair(b, nt, score_pair, ctxp) != 0)
        goto nomem;
    size_t total = 0;
    for (int t = 0; t < nt; t++) {
        total += ctx[t].n;
        res->candidate_pairs += ctx[t].candidates;
        res->deterministic_pairs += ctx[t].deterministic;
        res->twin_guarded += ctx[t].guarded;
    }
    /* Gather every thread's accepted pairs into thread 0's list. */
    if (total > ctx[0].cap) {
        accepted *a = cl_realloc(ctx[0].pairs, total * sizeof *a);
        if (a == NULL)
            goto nomem;
        ctx[0].pairs = a;
        ctx[0].cap = total;
    }
    for (int t = 1; t < nt; t++) {
        memcpy(ctx[0].pairs + ctx[0].n, ctx[t].pairs, ctx[t].n * sizeof *ctx[t].pairs);
        ctx[0].n += ctx[t].n;
    }
    res->accepted_pairs = ctx[0].n;
    qsort(ctx[0].pairs, ctx[0].n, sizeof *ctx[0].pairs, strongest_first);

    note(o, "clustering accepted pairs");
    size_t n = r->n;
    c.parent = cl_malloc(n * sizeof *c.parent);
    c.size = cl_malloc(n * sizeof *c.size);
    c.nhs = cl_malloc(n * sizeof *c.nhs);
    c.upn = cl_malloc(n * sizeof *c.upn);
    best = cl_calloc(n, sizeof *best);
    best_rule = cl_calloc(n, sizeof *best_rule);
    child = cl_malloc(n * sizeof *child);
    if (!c.parent || !c.size || !c.nhs || !c.upn || !best || !best_rule || !child)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        c.parent[i] = (uint32_t)i;
        c.size[i] = 1;
        c.nhs[i] = r->nhs_valid[i] ? (int32_t)i : -1;
        c.upn[i] = r->upn_valid[i] ? (int32_t)i : -1;
        best[i] = -1;
    }
    /* One-to-one between two sources: strongest pairs first, a record keeps
     * only its first partner from the other source. */
    int oto[2] = {-1, -1};
    for (int e = 0; e < 2 && o->one_to_one[0]; e++)
        for (int s = 0; s < r->nsources; s++)
            if (strcmp(r->source_names[s], o->one_to_one[e]) == 0)
                oto[e] = s;
    if (o->one_to_one[0] && (oto[0] < 0 || oto[1] < 0 || oto[0] == oto[1])) {
        st = cl_error_set(err, CL_EINVAL, NULL, 0,
                          "one-to-one needs two different input sources (got '%s' and '%s')",
                          o->one_to_one[0], o->one_to_one[1]);
        goto done;
    }
    if (oto[0] >= 0 && (partnered = cl_calloc(n, 1)) == NULL)
        goto nomem;
    for (size_t p = 0; p < ctx[0].n; p++) {
        const accepted *a = &ctx[0].pairs[p];
        if (partnered) {
            int si = r->source[a->i], sj = r->source[a->j];
            if ((si == oto[0] && sj == oto[1]) || (si == oto[1] && sj == oto[0])) {
                if (partnered[a->i] || partnered[a->j]) {
                    res->one_to_one_dropped++;
                    continue;
                }
                partnered[a->i] = partnered[a->j] = 1;
            }
        }
        uint32_t x = find_root(&c, a->i), y = find_root(&c, a->j);
        if (x != y) {
            int overwhelming = a->probability >= 0.999999f && a->rule != RULE_PROBABILISTIC;
            if (!overwhelming && (conflict(r, c.nhs[x], c.nhs[y], 0) ||
                                  conflict(r, c.upn[x], c.upn[y], 1))) {
                res->refused_merges++;
                continue;
            }
            if (c.size[x] < c.size[y]) {
                uint32_t t = x;
                x = y;
                y = t;
            }
            c.parent[y] = x;
            c.size[x] += c.size[y];
            if (c.nhs[x] < 0)
                c.nhs[x] = c.nhs[y];
            if (c.upn[x] < 0)
                c.upn[x] = c.upn[y];
        }
        uint32_t ends[2] = {a->i, a->j};
        for (int e = 0; e < 2; e++)
            if (a->probability > best[ends[e]]) {
                best[ends[e]] = a->probability;
                best_rule[ends[e]] = a->rule;
            }
    }
    /* Number clusters in order of their first record, then disguise the ordinal. */
    for (size_t i = 0; i < n; i++)
        child[i] = UINT32_MAX;
    uint32_t clusters_seen = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t root = find_root(&c, (uint32_t)i);
        if (child[root] == UINT32_MAX) {
            child[root] = clusters_seen++;
            if (c.size[root] > res->largest_cluster)
                res->largest_cluster = c.size[root];
            if (c.size[root] > o->max_cluster_size)
                res->oversized_clusters++;
        }
    }
    res->clusters = clusters_seen;
    if ((map = cl_csv_writer_new(cl_outfile_stream(map_file))) == NULL)
        goto nomem;
    static const char *const head[] = {"source", "record_id", "child_id", "match_probability",
                                       "link_rule"};
    for (size_t h = 0; h < 5; h++)
        cl_csv_write_str(map, head[h]);
    cl_csv_end_row(map);
    if (o->record_key) {
        /* One encoder per source: the record token is keyed by source name. */
        if ((encoders = cl_calloc((size_t)r->nsources, sizeof *encoders)) == NULL)
            goto nomem;
        for (int s = 0; s < r->nsources; s++)
            if ((st = cl_encoder_new(&encoders[s], o->record_key, r->source_names[s], NULL,
                                     err)) != CL_OK)
                goto done;
    }
    for (size_t i = 0; i < n; i++) {
        cl_csv_write_str(map, r->source_names[r->source[i]]);
        size_t idlen;
        const char *id = cl_records_str(r, r->record_id[i], &idlen);
        char token[CL_TOKEN_CHARS + 1];
        if (encoders) {
            if (cl_encoder_record_token(encoders[r->source[i]], id, idlen, token) != 0) {
                st = cl_error_set(err, CL_EIO, NULL, 0, "the crypto library failed");
                goto done;
            }
            id = token;
        }
        cl_csv_write_str(map, id);
        cl_csv_write_fmt(map, "c%08x", permute(child[find_root(&c, (uint32_t)i)], o->seed));
        if (best[i] >= 0) {
            cl_csv_write_fmt(map, "%.6f", best[i]);
            cl_csv_write_str(map, rule_labels[best_rule[i]]);
        } else {
            cl_csv_write_str(map, "");
            cl_csv_write_str(map, "none");
        }
        cl_csv_end_row(map);
    }
    if (cl_csv_writer_flush(map) != CL_OK ||
        (ctx[0].pairs_out && cl_csv_writer_flush(ctx[0].pairs_out) != CL_OK)) {
        st = cl_error_set(err, CL_EIO, linkmap_path, 0, "error writing output");
        goto done;
    }
    if (pairs_file) {
        st = cl_outfile_commit(pairs_file, err);
        pairs_file = NULL;
        if (st != CL_OK)
            goto done;
    }
    st = cl_outfile_commit(map_file, err);
    map_file = NULL;
    goto done;
nomem:
    st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
done:
    for (int t = 0; t < nt; t++) {
        cl_free(ctx[t].pairs);
        cl_csv_writer_free(ctx[t].pairs_out);
    }
    cl_csv_writer_free(map);
    cl_outfile_abort(map_file);
    cl_outfile_abort(pairs_file);
    cl_free(c.parent);
    cl_free(c.size);
    cl_free(c.nhs);
    cl_free(c.upn);
    cl_free(best);
    cl_free(best_rule);
    cl_free(child);
    cl_free(partnered);
    if (encoders)
        for (int s = 0; s < r->nsources; s++)
            cl_encoder_free(encoders[s]);
    cl_free(encoders);
    return st;
}
