/*
 * blocking.h - candidate record pairs from blocking rules.
 *
 * A rule gives each record a key (e.g. date of birth; surname Soundex and
 * birth year); records with equal keys form a block and every pair in a
 * block is a candidate.  Several rules recover true pairs that any one rule
 * misses (a mistyped date of birth still meets its match on the names rule).
 * A pair is produced once, by the first rule that generates it: later rules
 * skip pairs whose keys also agree on an earlier rule, so no set of pairs is
 * ever held in memory.
 */
#ifndef CHILDLINK_BLOCKING_H
#define CHILDLINK_BLOCKING_H

#include <stdint.h>

#include "childlink/base.h"
#include "childlink/records.h"

enum {
    CL_RULE_NHS = 0,             /* NHS number */
    CL_RULE_UPN,                 /* UPN */
    CL_RULE_DOB_FORENAME,        /* date of birth + forename initial */
    CL_RULE_DOB_SURNAME,         /* date of birth + surname initial */
    CL_RULE_SURNAME_MONTH,       /* surname Soundex + birth year and month */
    CL_RULE_POSTCODE_INITIAL,    /* postcode + forename initial */
    CL_RULE_NAMES,               /* forename NYSIIS + surname NYSIIS + birth year */
    CL_RULE_NAME_PAIR_YEAR,      /* the two name Soundex codes in either order + birth year */
    CL_RULE_OTHER_ID,            /* the other shared identifier */
    CL_RULE_ADDRESS,             /* address lines */
    CL_RULE_PLACE_SURNAME,       /* place + surname Soundex */
    CL_RULE_DOB_POSTCODE,        /* date of birth + postcode (names swapped or replaced) */
    CL_NRULES
};

/* Which pairs are in scope. */
#define CL_PAIRS_ACROSS 1u   /* records from different sources */
#define CL_PAIRS_WITHIN 2u   /* records from the same source (deduplication) */

typedef struct cl_blocking cl_blocking;

/* Compute every rule's keys and blocks for `r`.  `scope` is a mask of
 * CL_PAIRS_*.  Free with cl_blocking_free. */
CL_API cl_status cl_blocking_new(cl_blocking **out, const cl_records *r, unsigned scope,
                                 cl_error *err) CL_MUST_CHECK;
CL_API void cl_blocking_free(cl_blocking *b);

/* Name of a rule for stores of this kind (encoded files block on tokens). */
CL_API const char *cl_rule_name(cl_records_kind kind, int rule);
CL_API const char *cl_blocking_rule_name(const cl_blocking *b, int rule);

/* Pairs rule `rule` generates before removing those of earlier rules (an
 * upper bound used to refuse rules that would explode), and its largest block. */
CL_API uint64_t cl_blocking_rule_pairs(const cl_blocking *b, int rule);
CL_API uint64_t cl_blocking_rule_largest_block(const cl_blocking *b, int rule);

/* Whether the pair i, j is in the blocking's scope. */
CL_API int cl_blocking_in_scope(const cl_blocking *b, size_t i, size_t j);

/* Call fn(ctx[t], i, j, rule) for every candidate pair exactly once, with
 * i < j, using `nthreads` threads (t is the thread's index; the blocks are
 * shared out among threads).  fn returns 0 to go on, non-zero to stop; the
 * first non-zero return is returned. */
typedef int (*cl_pair_fn)(void *ctx, size_t i, size_t j, int rule);
CL_API int cl_blocking_each_pair(const cl_blocking *b, int nthreads, cl_pair_fn fn, void **ctx);

#endif
