/*
 * model.c - Fellegi-Sunter parameters: u by random sampling, m and the
 * prior by EM on counts of distinct comparison vectors, scoring with
 * term-frequency adjustment, and the model file (see model.h).
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "childlink/model.h"
#include "childlink/outfile.h"

/* Smallest probability a parameter may take, so no level is ever treated
 * as impossible (log2 of 0). */
#define MIN_PROBABILITY 1e-6

/* ---- counts of distinct vectors: open addressing, key of all ones = empty ---- */

struct cl_vector_counts {
    cl_vector *keys;
    uint64_t *counts;
    size_t cap, size;
};

#define EMPTY_KEY UINT64_MAX   /* no vector: a level is at most 7 */

cl_vector_counts *cl_vector_counts_new(void)
{
    cl_vector_counts *c = cl_calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->cap = 4096;
    c->keys = cl_malloc(c->cap * sizeof *c->keys);
    c->counts = cl_calloc(c->cap, sizeof *c->counts);
    if (c->keys == NULL || c->counts == NULL) {
        cl_vector_counts_free(c);
        return NULL;
    }
    memset(c->keys, 0xFF, c->cap * sizeof *c->keys);
    return c;
}

void cl_vector_counts_free(cl_vector_counts *c)
{
    if (c == NULL)
        return;
    cl_free(c->keys);
    cl_free(c->counts);
    cl_free(c);
}

size_t cl_vector_counts_distinct(const cl_vector_counts *c) { return c->size; }

void cl_vector_counts_raw(const cl_vector_counts *c, const cl_vector **keys,
                          const uint64_t **counts, size_t *cap)
{
    *keys = c->keys;
    *counts = c->counts;
    *cap = c->cap;
}

static size_t slot_of(const cl_vector_counts *c, cl_vector v)
{
    uint64_t h = v * 0x9E3779B97F4A7C15u;
    size_t j = (size_t)(h ^ (h >> 29)) & (c->cap - 1);
    while (c->keys[j] != EMPTY_KEY && c->keys[j] != v)
        j = (j + 1) & (c->cap - 1);
    return j;
}

int cl_vector_counts_add(cl_vector_counts *c, cl_vector v, uint64_t n)
{
    if ((c->size + 1) * 2 > c->cap) {
        cl_vector_counts bigger = {0};
        bigger.cap = c->cap * 2;
        bigger.keys = cl_malloc(bigger.cap * sizeof *bigger.keys);
        bigger.counts = cl_calloc(bigger.cap, sizeof *bigger.counts);
        if (bigger.keys == NULL || bigger.counts == NULL) {
            cl_free(bigger.keys);
            cl_free(bigger.counts);
            return -1;
        }
        memset(bigger.keys, 0xFF, bigger.cap * sizeof *bigger.keys);
        for (size_t i = 0; i < c->cap; i++)
            if (c->keys[i] != EMPTY_KEY) {
                size_t j = slot_of(&bigger, c->keys[i]);
                bigger.keys[j] = c->keys[i];
                bigger.counts[j] = c->counts[i];
            }
        cl_free(c->keys);
        cl_free(c->counts);
        c->keys = bigger.keys;
        c->counts = bigger.counts;
        c->cap = bigger.cap;
    }
    size_t j = slot_of(c, v);
    if (c->keys[j] == EMPTY_KEY) {
        c->keys[j] = v;
        c->size++;
    }
    c->counts[j] += n;
    return 0;
}

/* ---- u by random sampling ---- */

static uint64_t next_random(uint64_t *state)
{
    /* splitmix64: a fixed, portable sequence */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

cl_status cl_model_estimate_u(cl_model *model, const cl_records *r, uint64_t samples,
                              int (*pair_allowed)(const cl_records *, size_t, size_t),
                              cl_error *err)
{
    if (r->n < 2)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "need at least two records");
    model->kind = r->kind;
    double counts[CL_NCOMPARISONS][CL_MAX_LEVELS] = {{0}};
    uint64_t state = 20260101;
    uint64_t taken = 0, tries = 0;
    while (taken < samples && tries < samples * 20) {
        tries++;
        size_t i = (size_t)(next_random(&state) % r->n);
        size_t j = (size_t)(next_random(&state) % r->n);
        if (i == j || (pair_allowed && !pair_allowed(r, i, j)))
            continue;
        cl_vector v = cl_compare(r, i, j);
        for (int k = 0; k < CL_NCOMPARISONS; k++)
            counts[k][CL_VECTOR_LEVEL(v, k)] += 1;
        taken++;
    }
    if (taken == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no record pair is in scope for sampling");
    for (int k = 0; k < CL_NCOMPARISONS; k++) {
        double total = 0;
        for (int l = 1; l < cl_comparison_nlevels(model->kind, k); l++)
            total += counts[k][l];
        for (int l = 1; l < cl_comparison_nlevels(model->kind, k); l++) {
            /* Levels never seen among random pairs get half a count: rare, not impossible. */
            double c = counts[k][l] > 0 ? counts[k][l] : 0.5;
            model->u[k][l] = total > 0 ? c / (total + 0.5) : 1.0 / (cl_comparison_nlevels(model->kind, k) - 1);
            if (model->u[k][l] < MIN_PROBABILITY)
                model->u[k][l] = MIN_PROBABILITY;
        }
        model->u[k][0] = 1;
        model->m[k][0] = 1;
    }
    model->u_sample_pairs = taken;
    return CL_OK;
}

/* Precompute the weights scoring needs, so the inner loop takes no logarithms
 * but for term-frequency adjusted levels. */
static void fill_weights(cl_model *model)
{
    for (int k = 0; k < CL_NCOMPARISONS; k++)
        for (int l = 0; l < CL_MAX_LEVELS; l++) {
            double m = model->m[k][l] > 0 ? model->m[k][l] : 1;
            double u = model->u[k][l] > 0 ? model->u[k][l] : 1;
            model->weight[k][l] = l == 0 ? 0 : log2(m / u);
            model->log2_m[k][l] = log2(m);
        }
    model->prior_weight = log2(model->prior / (1 - model->prior));
}

/* ---- EM ---- */

static int by_vector(const void *a, const void *b)
{
    cl_vector x = *(const cl_vector *)a, y = *(const cl_vector *)b;
    return x < y ? -1 : x > y;
}

cl_status cl_model_em(cl_model *model, const cl_vector_counts *counts, double possible_pairs,
                      int max_iterations, cl_error *err)
{
    double v[CL_NCOMPARISONS][CL_MAX_LEVELS];  /* non-match distribution among candidates */
    /* Sum in vector order, not table order, so results do not depend on the
     * order in which threads filled the table. */
    size_t nvectors = 0;
    cl_vector *keys = cl_malloc((counts->size ? counts->size : 1) * sizeof *keys);
    if (keys == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    uint64_t total = 0;
    for (size_t s = 0; s < counts->cap; s++)
        if (counts->keys[s] != EMPTY_KEY) {
            total += counts->counts[s];
            keys[nvectors++] = counts->keys[s];
        }
    qsort(keys, nvectors, sizeof *keys, by_vector);
    if (total == 0) {
        cl_free(keys);
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "no candidate pairs to train on: the blocking rules created none");
    }
    for (int k = 0; k < CL_NCOMPARISONS; k++) {
        int L = cl_comparison_nlevels(model->kind, k);
        for (int l = 1; l < L; l++) {
            model->m[k][l] = l == 1 ? 0.85 : 0.15 / (L - 2);
            v[k][l] = 0.5 * model->u[k][l] + 0.5 / (L - 1);
        }
        model->m[k][0] = v[k][0] = 1;
    }
    double lambda = 0.1;
    model->em_converged = 0;
    int it;
    for (it = 1; it <= max_iterations; it++) {
        double M[CL_NCOMPARISONS][CL_MAX_LEVELS] = {{0}};
        double V[CL_NCOMPARISONS][CL_MAX_LEVELS] = {{0}};
        double matches = 0;
        for (size_t x = 0; x < nvectors; x++) {
            cl_vector g = keys[x];
            size_t s = slot_of(counts, g);
            double pm = lambda, pu = 1 - lambda;
            for (int k = 0; k < CL_NCOMPARISONS; k++) {
                unsigned l = CL_VECTOR_LEVEL(g, k);
                pm *= model->m[k][l];
                pu *= v[k][l];
            }
            double p = pm + pu > 0 ? pm / (pm + pu) : 0;
            double c = (double)counts->counts[s];
            matches += c * p;
            for (int k = 0; k < CL_NCOMPARISONS; k++) {
                unsigned l = CL_VECTOR_LEVEL(g, k);
                M[k][l] += c * p;
                V[k][l] += c * (1 - p);
            }
        }
        double change = fabs(matches / (double)total - lambda);
        lambda = matches / (double)total;
        for (int k = 0; k < CL_NCOMPARISONS; k++) {
            int L = cl_comparison_nlevels(model->kind, k);
            double sm = 0, sv = 0;
            for (int l = 1; l < L; l++) {
                sm += M[k][l];
                sv += V[k][l];
            }
            for (int l = 1; l < L; l++) {
                double nm = sm > 0 ? M[k][l] / sm : model->m[k][l];
                double nv = sv > 0 ? V[k][l] / sv : v[k][l];
                if (nm < MIN_PROBABILITY)
                    nm = MIN_PROBABILITY;
                if (nv < MIN_PROBABILITY)
                    nv = MIN_PROBABILITY;
                if (fabs(nm - model->m[k][l]) > change)
                    change = fabs(nm - model->m[k][l]);
                model->m[k][l] = nm;
                v[k][l] = nv;
            }
        }
        model->em_max_change = change;
        if (change < 1e-6) {
            model->em_converged = 1;
            break;
        }
    }
    cl_free(keys);
    model->em_iterations = it > max_iterations ? max_iterations : it;
    model->candidate_share = lambda;
    model->candidate_pairs = total;
    double expected_matches = lambda * (double)total;
    model->prior = possible_pairs > 0 ? expected_matches / possible_pairs : lambda;
    if (model->prior < 1e-12)
        model->prior = 1e-12;
    if (model->prior > 0.5)
        model->prior = 0.5;
    fill_weights(model);
    return CL_OK;
}

/* ---- scoring ---- */

/* log2 of a small count from a table, larger ones computed. */
static double log2_count(uint32_t c)
{
    static double table[4096];
    static int ready;
    if (c < 4096) {
        if (!ready) {
            for (int i = 1; i < 4096; i++)
                table[i] = log2((double)i);
            ready = 1;   /* racing threads write identical values */
        }
        return table[c];
    }
    return log2((double)c);
}

/* Term-frequency adjusted weight of an exact level: log2(m / tf), where tf
 * is the share of records holding the agreed value. */
static double tf_weight(const cl_model *model, int k, const uint32_t *count, uint32_t total,
                        uint32_t id)
{
    if (total == 0 || id == 0 || count[id] == 0)
        return model->weight[k][1];
    double w = model->log2_m[k][1] - (log2_count(count[id]) - log2_count(total));
    double cap = model->log2_m[k][1] - log2(MIN_PROBABILITY);
    return w < cap ? w : cap;
}

/* The value both records share for an exact multi-valued level. */
static uint32_t shared_value(const uint32_t *a, const uint32_t *b)
{
    for (int x = 0; x < CL_MAX_ALTERNATIVES && a[x]; x++)
        for (int y = 0; y < CL_MAX_ALTERNATIVES && b[y]; y++)
            if (a[x] == b[y])
                return a[x];
    return 0;
}

double cl_model_weight(const cl_model *model, const cl_records *r, size_t i, size_t j,
                       cl_vector v, double per_comparison[CL_NCOMPARISONS])
{
    double w = model->prior_weight;
    for (int k = 0; k < CL_NCOMPARISONS; k++) {
        unsigned l = CL_VECTOR_LEVEL(v, k);
        double wk;
        if (l == 1 && k == CL_CMP_FORENAME)
            wk = tf_weight(model, k, r->forename_count, r->forename_total, r->forename[i]);
        else if (l == 1 && k == CL_CMP_SURNAME)
            wk = tf_weight(model, k, r->surname_count, r->surname_total,
                           shared_value(r->surname[i], r->surname[j]));
        else if (l == 1 && k == CL_CMP_POSTCODE)
            wk = tf_weight(model, k, r->postcode_count, r->postcode_total,
                           shared_value(r->postcode[i], r->postcode[j]));
        else if (l == 1 && k == CL_CMP_PLACE)
            wk = tf_weight(model, k, r->place_count, r->place_total, r->hot[i].place);
        else
            wk = model->weight[k][l];
        if (per_comparison)
            per_comparison[k] = wk;
        w += wk;
    }
    return w;
}

double cl_weight_to_probability(double weight)
{
    if (weight > 60)
        return 1.0;
    if (weight < -60)
        return 0.0;
    double odds = exp2(weight);
    return odds / (1 + odds);
}

/* ---- model file ---- */

cl_status cl_model_save(const cl_model *model, const char *path, cl_error *err)
{
    json_t *root = json_object();
    json_t *cmps = json_array();
    json_object_set_new(root, "model", json_string("childlink-model/1"));
    json_object_set_new(root, "description",
                        json_string("Fellegi-Sunter model of the default comparisons. weight = "
                                    "log2(m/u); exact name and postcode levels are term-frequency "
                                    "adjusted at scoring. See docs/model.md."));
    json_object_set_new(root, "identifiers",
                        json_string(model->kind == CL_RECORDS_ENCODED ? "encoded" : "clear"));
    json_object_set_new(root, "prior_match_probability", json_real(model->prior));
    json_object_set_new(root, "candidate_match_share", json_real(model->candidate_share));
    json_t *em = json_object();
    json_object_set_new(em, "iterations", json_integer(model->em_iterations));
    json_object_set_new(em, "converged", json_boolean(model->em_converged));
    json_object_set_new(em, "last_max_change", json_real(model->em_max_change));
    json_object_set_new(em, "candidate_pairs", json_integer((json_int_t)model->candidate_pairs));
    json_object_set_new(em, "u_sample_pairs", json_integer((json_int_t)model->u_sample_pairs));
    json_object_set_new(root, "training", em);
    for (int k = 0; k < CL_NCOMPARISONS; k++) {
        json_t *c = json_object();
        json_t *levels = json_array();
        json_object_set_new(c, "comparison", json_string(cl_comparison_name(k)));
        for (int l = 1; l < cl_comparison_nlevels(model->kind, k); l++) {
            json_t *lv = json_object();
            json_object_set_new(lv, "level", json_string(cl_level_name(model->kind, k, l)));
            json_object_set_new(lv, "m", json_real(model->m[k][l]));
            json_object_set_new(lv, "u", json_real(model->u[k][l]));
            json_object_set_new(lv, "weight", json_real(log2(model->m[k][l] / model->u[k][l])));
            int tf = l == 1 && (k == CL_CMP_FORENAME || k == CL_CMP_SURNAME ||
                                k == CL_CMP_POSTCODE || k == CL_CMP_PLACE);
            json_object_set_new(lv, "term_frequency_adjusted", json_boolean(tf));
            json_array_append_new(levels, lv);
        }
        json_object_set_new(c, "levels", levels);
        json_array_append_new(cmps, c);
    }
    json_object_set_new(root, "comparisons", cmps);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (text == NULL)
        return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
    cl_outfile *o;
    cl_status st = cl_outfile_open(&o, path, 0, err);
    if (st == CL_OK) {
        fputs(text, cl_outfile_stream(o));
        fputc('\n', cl_outfile_stream(o));
        st = cl_outfile_commit(o, err);
    }
    free(text);
    return st;
}

static double number(json_t *o, const char *key, int *ok)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) {
        *ok = 0;
        return 0;
    }
    return json_number_value(v);
}

cl_status cl_model_load(cl_model *model, const char *path, cl_error *err)
{
    memset(model, 0, sizeof *model);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL)
        return cl_error_set(err, jerr.line > 0 ? CL_EFORMAT : CL_EIO, path, jerr.line,
                            "cannot read model: %s", jerr.text);
    cl_status st = CL_OK;
    json_t *tag = json_object_get(root, "model");
    json_t *cmps = json_object_get(root, "comparisons");
    int ok = 1;
    model->prior = number(root, "prior_match_probability", &ok);
    if (!json_is_string(tag) || strcmp(json_string_value(tag), "childlink-model/1") != 0 ||
        !json_is_array(cmps) || !ok || !(model->prior > 0 && model->prior < 1)) {
        st = cl_error_set(err, CL_EFORMAT, path, 0,
                          "not a childlink model (need \"model\": \"childlink-model/1\", a "
                          "prior_match_probability in (0,1) and \"comparisons\")");
        goto done;
    }
    /* Models written before encoded linkage existed name no kind: clear. */
    json_t *kind = json_object_get(root, "identifiers");
    if (kind != NULL && (!json_is_string(kind) ||
                         (strcmp(json_string_value(kind), "clear") != 0 &&
                          strcmp(json_string_value(kind), "encoded") != 0))) {
        st = cl_error_set(err, CL_EFORMAT, path, 0,
                          "\"identifiers\" must be \"clear\" or \"encoded\"");
        goto done;
    }
    model->kind = kind && strcmp(json_string_value(kind), "encoded") == 0 ? CL_RECORDS_ENCODED
                                                                          : CL_RECORDS_CLEAR;
    /* Comparisons are found by name; one the file lacks (a model written
     * before it existed) is neutral: m = u at every level, weight 0. */
    for (size_t x = 0; x < json_array_size(cmps); x++) {
        json_t *name = json_object_get(json_array_get(cmps, x), "comparison");
        int known = 0;
        for (int k = 0; k < CL_NCOMPARISONS && json_is_string(name); k++)
            known |= strcmp(json_string_value(name), cl_comparison_name(k)) == 0;
        if (!known) {
            st = cl_error_set(err, CL_EFORMAT, path, 0,
                              "comparison %zu of the model is not one this version knows: "
                              "retrain it", x + 1);
            goto done;
        }
    }
    for (int k = 0; k < CL_NCOMPARISONS; k++) {
        json_t *c = NULL;
        for (size_t x = 0; x < json_array_size(cmps) && c == NULL; x++) {
            json_t *name = json_object_get(json_array_get(cmps, x), "comparison");
            if (strcmp(json_string_value(name), cl_comparison_name(k)) == 0)
                c = json_array_get(cmps, x);
        }
        if (c == NULL) {
            for (int l = 0; l < CL_MAX_LEVELS; l++)
                model->m[k][l] = model->u[k][l] = 1;
            continue;
        }
        json_t *levels = json_object_get(c, "levels");
        if (!json_is_array(levels) ||
            json_array_size(levels) != (size_t)cl_comparison_nlevels(model->kind, k) - 1) {
            st = cl_error_set(err, CL_EFORMAT, path, 0,
                              "comparison '%s' of the model does not have %d levels: the model "
                              "does not match this version; retrain it",
                              cl_comparison_name(k), cl_comparison_nlevels(model->kind, k) - 1);
            goto done;
        }
        model->m[k][0] = model->u[k][0] = 1;
        for (int l = 1; l < cl_comparison_nlevels(model->kind, k); l++) {
            json_t *lv = json_array_get(levels, (size_t)l - 1);
            json_t *lname = json_object_get(lv, "level");
            model->m[k][l] = number(lv, "m", &ok);
            model->u[k][l] = number(lv, "u", &ok);
            if (!ok || !json_is_string(lname) ||
                strcmp(json_string_value(lname), cl_level_name(model->kind, k, l)) != 0 ||
                !(model->m[k][l] > 0 && model->m[k][l] <= 1) ||
                !(model->u[k][l] > 0 && model->u[k][l] <= 1)) {
                st = cl_error_set(err, CL_EFORMAT, path, 0,
                                  "level %d of comparison '%s' must be '%s' with m and u in (0,1]",
                                  l, cl_comparison_name(k), cl_level_name(model->kind, k, l));
                goto done;
            }
        }
    }
    fill_weights(model);
done:
    json_decref(root);
    return st;
}
