/*
 * blocking.c - candidate pairs from blocking rules (see blocking.h).
 *
 * For each rule: a 64-bit key per record (0 when a field the rule needs is
 * missing), and the records with a key sorted by key, so a block is a run of
 * equal keys.  Deduplication across rules compares keys of earlier rules for
 * the pair - a few integer compares - instead of remembering pairs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/blocking.h"
#include "childlink/strmap.h"

typedef struct keyed {
    uint64_t key;
    uint32_t record;
} keyed;

struct cl_blocking {
    const cl_records *r;
    unsigned scope;
    uint64_t *keys[CL_NRULES];        /* [rule][record] */
    keyed *sorted[CL_NRULES];
    size_t nsorted[CL_NRULES];
    uint64_t pairs[CL_NRULES];
    uint64_t largest[CL_NRULES];
};

static const char *const rule_names[CL_NRULES] = {
    "nhs_number", "upn", "dob+forename_initial", "dob+surname_initial",
    "surname_soundex+birth_month", "postcode+forename_initial",
    "names_nysiis+birth_year", "name_soundex_pair+birth_year", "other_id", "address",
    "place+surname_soundex", "dob+postcode",
};

/* Encoded identifier files block on the tokens `encode` writes for the
 * purpose; a token of names without the date of birth would be open to the
 * frequency attack, so postcode with birth year stands in for the NYSIIS rule. */
static const char *const encoded_rule_names[CL_NRULES] = {
    "nhs_number", "upn", "dob+forename_initial", "dob+surname_initial",
    "surname_soundex+birth_month", "postcode+forename_initial",
    "postcode+birth_year", "name_soundex_pair+birth_year", "other_id", "address",
    "place+surname_soundex", "dob+postcode_sector",
};

const char *cl_rule_name(cl_records_kind kind, int rule)
{
    return kind == CL_RECORDS_ENCODED ? encoded_rule_names[rule] : rule_names[rule];
}
const char *cl_blocking_rule_name(const cl_blocking *b, int rule)
{
    return cl_rule_name(b->r->kind, rule);
}

uint64_t cl_blocking_rule_pairs(const cl_blocking *b, int rule) { return b->pairs[rule]; }
uint64_t cl_blocking_rule_largest_block(const cl_blocking *b, int rule) { return b->largest[rule]; }

int cl_blocking_in_scope(const cl_blocking *b, size_t i, size_t j)
{
    unsigned kind = b->r->source[i] == b->r->source[j] ? CL_PAIRS_WITHIN : CL_PAIRS_ACROSS;
    return (b->scope & kind) != 0;
}

static uint64_t key_of(const void *data, size_t len, uint64_t salt)
{
    uint64_t h = cl_hash_bytes(data, len, salt);
    return h ? h : 1;
}

static uint64_t encoded_rule_key(const cl_records *r, int rule, size_t i)
{
    const cl_token_record *t = &r->tokens[i];
    uint64_t token = 0;
    switch (rule) {
    case CL_RULE_NHS:
        return r->nhs[i][0] ? key_of(r->nhs[i], 10, rule) : 0;
    case CL_RULE_UPN:
        return r->upn[i][0] ? key_of(r->upn[i], 13, rule) : 0;
    case CL_RULE_DOB_FORENAME: token = t->dob_forename_initial; break;
    case CL_RULE_DOB_SURNAME: token = t->dob_surname_initial; break;
    case CL_RULE_SURNAME_MONTH: token = t->surname_sdx_ym; break;
    case CL_RULE_POSTCODE_INITIAL: token = t->postcode_initial; break;
    case CL_RULE_NAMES: token = t->postcode_yob; break;
    case CL_RULE_NAME_PAIR_YEAR: token = t->names_sdx_yob; break;
    case CL_RULE_DOB_POSTCODE: token = t->postcode_sector_dob; break;
    }
    return token ? key_of(&token, sizeof token, (uint64_t)rule) : 0;
}

static uint64_t rule_key(const cl_records *r, int rule, size_t i)
{
    /* Both kinds intern these (values or token and filter bytes): equal ids. */
    if (rule == CL_RULE_OTHER_ID || rule == CL_RULE_ADDRESS) {
        uint32_t id = rule == CL_RULE_OTHER_ID ? r->hot[i].other_id : r->hot[i].address;
        return id ? key_of(&id, sizeof id, rule) : 0;
    }
    if (r->kind == CL_RECORDS_ENCODED)
        return encoded_rule_key(r, rule, i);
    char buf[64];
    int year = r->dob[i].days == CL_NO_DATE ? -1 : r->dob[i].year;
    switch (rule) {
    case CL_RULE_NHS:
        return r->nhs[i][0] ? key_of(r->nhs[i], 10, rule) : 0;
    case CL_RULE_UPN:
        return r->upn[i][0] ? key_of(r->upn[i], 13, rule) : 0;
    case CL_RULE_DOB_FORENAME:
    case CL_RULE_DOB_SURNAME: {
        const char *name = cl_records_str(r, rule == CL_RULE_DOB_FORENAME ? r->forename[i]
                                                                          : r->surname[i][0], NULL);
        if (year < 0 || name[0] == 0)
            return 0;
        memcpy(buf, &r->dob[i].days, sizeof r->dob[i].days);
        buf[sizeof r->dob[i].days] = name[0];
        return key_of(buf, sizeof r->dob[i].days + 1, rule);
    }
    case CL_RULE_SURNAME_MONTH: {
        if (year < 0 || !r->surname_soundex[i][0])
            return 0;
        int month = year * 12 + r->dob[i].month;
        memcpy(buf, r->surname_soundex[i], 4);
        memcpy(buf + 4, &month, sizeof month);
        return key_of(buf, 4 + sizeof month, rule);
    }
    case CL_RULE_POSTCODE_INITIAL: {
        size_t flen;
        const char *fn = cl_records_str(r, r->forename[i], &flen);
        if (!r->postcode[i][0] || flen == 0)
            return 0;
        uint32_t pc = r->postcode[i][0];
        memcpy(buf, &pc, sizeof pc);
        buf[sizeof pc] = fn[0];
        return key_of(buf, sizeof pc + 1, rule);
    }
    case CL_RULE_NAMES:
        if (!r->forename_nysiis[i][0] || !r->surname_nysiis[i][0])
            return 0;
        /* strncpy zero-fills after the code, so bytes past its end never vary. */
        strncpy(buf, r->forename_nysiis[i], 7);
        strncpy(buf + 7, r->surname_nysiis[i], 7);
        memcpy(buf + 14, &year, sizeof year);
        return key_of(buf, 14 + sizeof year, rule);
    case CL_RULE_NAME_PAIR_YEAR: {
        const char *a = r->forename_soundex[i], *s = r->surname_soundex[i];
        if (year < 0 || !a[0] || !s[0])
            return 0;
        if (strcmp(a, s) > 0) {
            const char *t = a;
            a = s;
            s = t;
        }
        memcpy(buf, a, 4);
        memcpy(buf + 4, s, 4);
        memcpy(buf + 8, &year, sizeof year);
        return key_of(buf, 8 + sizeof year, rule);
    }
    case CL_RULE_DOB_POSTCODE: {
        uint32_t pc = r->postcode[i][0];
        if (year < 0 || !pc)
            return 0;
        memcpy(buf, &r->dob[i].days, sizeof r->dob[i].days);
        memcpy(buf + sizeof r->dob[i].days, &pc, sizeof pc);
        return key_of(buf, sizeof r->dob[i].days + sizeof pc, rule);
    }
    case CL_RULE_PLACE_SURNAME: {
        uint32_t place = r->hot[i].place;
        if (!place || !r->surname_soundex[i][0])
            return 0;
        memcpy(buf, &place, sizeof place);
        memcpy(buf + sizeof place, r->surname_soundex[i], 4);
        return key_of(buf, sizeof place + 4, rule);
    }
    }
    return 0;
}

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->record < y->record ? -1 : x->record > y->record;
}

void cl_blocking_free(cl_blocking *b)
{
    if (b == NULL)
        return;
    for (int k = 0; k < CL_NRULES; k++) {
        cl_free(b->keys[k]);
        cl_free(b->sorted[k]);
    }
    cl_free(b);
}

cl_status cl_blocking_new(cl_blocking **out, const cl_records *r, unsigned scope, cl_error *err)
{
    *out = NULL;
    cl_blocking *b = cl_calloc(1, sizeof *b);
    if (b == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    b->r = r;
    b->scope = scope;
    for (int k = 0; k < CL_NRULES; k++) {
        b->keys[k] = cl_malloc((r->n ? r->n : 1) * sizeof *b->keys[k]);
        b->sorted[k] = cl_malloc((r->n ? r->n : 1) * sizeof *b->sorted[k]);
        if (b->keys[k] == NULL || b->sorted[k] == NULL) {
            cl_blocking_free(b);
            return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
        }
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++) {
            uint64_t key = rule_key(r, k, i);
            b->keys[k][i] = key;
            if (key != 0)
                b->sorted[k][n++] = (keyed){key, (uint32_t)i};
        }
        qsort(b->sorted[k], n, sizeof *b->sorted[k], by_key);
        b->nsorted[k] = n;
        for (size_t s = 0; s < n;) {
            size_t e = s + 1;
            while (e < n && b->sorted[k][e].key == b->sorted[k][s].key)
                e++;
            uint64_t size = e - s;
            b->pairs[k] += size * (size - 1) / 2;
            if (size > b->largest[k])
                b->largest[k] = size;
            s = e;
        }
    }
    *out = b;
    return CL_OK;
}

/* Whether an earlier rule than `rule` already generates the pair. */
static int seen_before(const cl_blocking *b, int rule, size_t i, size_t j)
{
    for (int k = 0; k < rule; k++) {
        uint64_t a = b->keys[k][i];
        if (a != 0 && a == b->keys[k][j])
            return 1;
    }
    return 0;
}

typedef struct worker {
    const cl_blocking *b;
    int thread, nthreads;
    cl_pair_fn fn;
    void *ctx;
    int result;
} worker;

/* Blocks are dealt out by a hash of their key, so each thread gets a fair
 * share of big and small blocks without coordination. */
static void *work(void *arg)
{
    worker *w = arg;
    const cl_blocking *b = w->b;
    for (int k = 0; k < CL_NRULES && w->result == 0; k++) {
        const keyed *s = b->sorted[k];
        size_t n = b->nsorted[k];
        for (size_t start = 0; start < n && w->result == 0;) {
            size_t end = start + 1;
            while (end < n && s[end].key == s[start].key)
                end++;
            if (end - start > 1 && (int)((s[start].key >> 7) % (uint64_t)w->nthreads) == w->thread) {
                for (size_t x = start; x < end && w->result == 0; x++)
                    for (size_t y = x + 1; y < end; y++) {
                        size_t i = s[x].record, j = s[y].record;
                        if (!cl_blocking_in_scope(b, i, j) || seen_before(b, k, i, j))
                            continue;
                        if ((w->result = w->fn(w->ctx, i, j, k)) != 0)
                            break;
                    }
            }
            start = end;
        }
    }
    return NULL;
}

int cl_blocking_each_pair(const cl_blocking *b, int nthreads, cl_pair_fn fn, void **ctx)
{
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > 64)
        nthreads = 64;
    worker workers[64];
    pthread_t threads[64];
    for (int t = 0; t < nthreads; t++)
        workers[t] = (worker){b, t, nthreads, fn, ctx[t], 0};
    int started = 0;
    for (int t = 1; t < nthreads; t++)
        if (pthread_create(&threads[t], NULL, work, &workers[t]) == 0)
            started = t;
        else
            break;
    /* Threads that could not start have their share done here. */
    for (int t = started + 1; t < nthreads; t++)
        work(&workers[t]);
    work(&workers[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < nthreads; t++)
        if (workers[t].result != 0)
            return workers[t].result;
    return 0;
}
