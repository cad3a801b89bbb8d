/*
 * test_name.c - name keys and tidy forms: table-driven cases for ASCII,
 * diacritics, non-Latin scripts, Unicode normal forms, titles and
 * placeholders, alternatives, invalid UTF-8, output capacity and very long
 * input; plus properties checked over every Unicode code point (the key of
 * a key is itself) and a check that nothing is allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/name.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define S CL_NAME_SURNAME
#define F CL_NAME_FORENAMES
#define V CL_CHECK_VALID
#define M CL_CHECK_MISSING
#define I CL_CHECK_INVALID

/* One case: input, flags, expected result, and the expected key (VALID) or
 * reason (INVALID); ignored for MISSING. */
typedef struct key_case {
    const char *in;
    unsigned flags;
    cl_check want;
    const char *out;
} key_case;

static const char *check_name(cl_check c)
{
    return c == V ? "valid" : c == M ? "missing" : "invalid";
}

static cl_check key_of(const char *in, size_t len, unsigned flags, char **out,
                       const char **reason)
{
    size_t cap = CL_NAME_OUT_CAP(len);
    *out = malloc(cap);
    assert_non_null(*out);
    return cl_name_key(in, len, flags, *out, cap, reason);
}

static cl_check tidy_of(const char *in, size_t len, char **out, const char **reason)
{
    size_t cap = CL_NAME_OUT_CAP(len);
    *out = malloc(cap);
    assert_non_null(*out);
    return cl_name_tidy(in, len, *out, cap, reason);
}

/* Checks the result of one call against its case, with a readable message. */
static void expect(const char *what, const char *in, cl_check want, const char *want_out,
                   cl_check got, const char *out, const char *reason)
{
    int ok = got == want;
    if (ok && want == V)
        ok = reason == NULL && strcmp(out, want_out) == 0;
    if (ok && want == M)
        ok = reason == NULL && out[0] == '\0';
    if (ok && want == I)
        ok = reason != NULL && strcmp(reason, want_out) == 0 && out[0] == '\0';
    if (!ok)
        fail_msg("%s(\"%s\"): got %s \"%s\" (%s), wanted %s \"%s\"", what, in, check_name(got),
                 out, reason ? reason : "no reason", check_name(want), want_out ? want_out : "");
}

static void run_key_cases(const key_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const key_case *c = &cases[i];
        char *out;
        const char *reason = "unset";
        cl_check got = key_of(c->in, strlen(c->in), c->flags, &out, &reason);
        expect(c->flags & F ? "key/forenames" : "key", c->in, c->want, c->out, got, out, reason);
        if (got == V) {
            /* The key of a key is itself. */
            char *again;
            const char *r2 = "unset";
            assert_int_equal(key_of(out, strlen(out), c->flags, &again, &r2), V);
            assert_string_equal(again, out);
            free(again);
        }
        free(out);
    }
}

typedef struct tidy_case {
    const char *in;
    cl_check want;
    const char *out;
} tidy_case;

static void run_tidy_cases(const tidy_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const tidy_case *c = &cases[i];
        char *out;
        const char *reason = "unset";
        cl_check got = tidy_of(c->in, strlen(c->in), &out, &reason);
        expect("tidy", c->in, c->want, c->out, got, out, reason);
        if (got == V) {
            char *again;
            const char *r2 = "unset";
            assert_int_equal(tidy_of(out, strlen(out), &again, &r2), V);
            assert_string_equal(again, out);
            free(again);
        }
        free(out);
    }
}

/* ---------------------------------------------------------------------- */

static void test_ascii(void **state)
{
    (void)state;
    static const key_case cases[] = {
        {"  O'Brien ", S, V, "obrien"},
        {"Mary-Jane", S, V, "mary jane"},
        {"SMITH", S, V, "smith"},
        {"smith", S, V, "smith"},
        {"smith  jones", S, V, "smith jones"},
        {"Smith_Jones", S, V, "smith jones"},
        {"Smith,Jones", S, V, "smith jones"},
        {"Smith/Jones", S, V, "smith jones"},
        {"\tSmith\t\tJones\r\n", S, V, "smith jones"},
        {"Smith (Jones)", S, V, "smith jones"},
        {"  Smith (Jones) ", S, V, "smith jones"},
        {"--Smith--", S, V, "smith"},
        {"Smith -Jones", S, V, "smith jones"},
        {"St. John", S, V, "st john"},
        {"St.John", S, V, "stjohn"},
        {"J.R.R.", S, V, "jrr"},
        {"D`Arcy", S, V, "darcy"},
        {"O' Neil", S, V, "o neil"},
        {"Henry 8th", S, V, "henry 8th"},
        {"Dr. John  Paul", S, V, "dr john paul"},
        {"a", S, V, "a"},
        {"Z", S, V, "z"},
        {"MacDonald", S, V, "macdonald"},
        {"ab\"cd\"", S, V, "ab cd"},
        {"x&y+z;w:v?u!t@s#r$q%p^o*n=m<l>k[j]i{h}g~f\\e", S, V,
         "x y z w v u t s r q p o n m l k j i h g f e"},
    };
    run_key_cases(cases, COUNT(cases));
}

static void test_ascii_embedded_nul_and_controls(void **state)
{
    (void)state;
    char out[64];
    const char *reason = "unset";
    /* Length, not NUL, ends the input; NUL and other controls separate. */
    assert_int_equal(cl_name_key("Ann\0Marie", 9, S, out, sizeof out, &reason), V);
    assert_string_equal(out, "ann marie");
    assert_int_equal(cl_name_key("Ann\x01\x7f" "Marie", 10, S, out, sizeof out, &reason), V);
    assert_string_equal(out, "ann marie");
    assert_int_equal(cl_name_tidy("Ann\0Marie", 9, out, sizeof out, &reason), V);
    assert_string_equal(out, "Ann Marie");
    /* Only the first `len` bytes are read. */
    assert_int_equal(cl_name_key("SmithJones", 5, S, out, sizeof out, &reason), V);
    assert_string_equal(out, "smith");
}

static void test_forenames(void **state)
{
    (void)state;
    static const key_case cases[] = {
        {"Dr. John  Paul", F, V, "john paul"},
        {"Mr John", F, V, "john"},
        {"MRS JANE", F, V, "jane"},
        {"Miss. Ann", F, V, "ann"},
        {"Ms Ann", F, V, "ann"},
        {"Mx Sam", F, V, "sam"},
        {"Prof. Ada", F, V, "ada"},
        {"Rev Dr Martin", F, V, "martin"},
        {"Rev. Dr. Martin Luther", F, V, "martin luther"},
        {"Sir Ian", F, V, "ian"},
        {"Dame Judi", F, V, "judi"},
        {"Lady Jane", F, V, "jane"},
        {"Lord Peter", F, V, "peter"},
        {"Master Tom", F, V, "tom"},
        {"Mrs-Smith", F, V, "smith"},
        {"Drew", F, V, "drew"},
        {"Mrsa", F, V, "mrsa"},
        {"Johnny Dr", F, V, "johnny dr"},      /* titles only at the start */
        {"John Baby", F, V, "john baby"},      /* placeholders only at the start */
        {"Baby John", F, V, "john"},
        {"BABY SMITH", F, V, "smith"},
        {"Twin 1 Amy", F, V, "amy"},
        {"Mr Baby John", F, V, "john"},
        {"Baby Dr John", F, V, "john"},        /* removed until neither starts it */
        {"Twinkle", F, V, "twinkle"},
        {"Twin", F, V, "twin"},
        {"Not", F, V, "not"},
        {"N", F, V, "n"},
        {"Babyface", F, V, "babyface"},
        {"Baby Ofelia", F, V, "ofelia"},
        {"Notknown", F, V, "notknown"},
        /* Placeholders alone: missing. */
        {"BABY", F, M, NULL},
        {"Baby of", F, M, NULL},
        {"Baby of Sarah Smith", F, M, NULL},  /* the mother's name, not the child's */
        {"BABY OF SARAH", F, M, NULL},
        {"Mr Baby of Sarah", F, M, NULL},
        {"BABY BOY", F, M, NULL},
        {"baby girl", F, M, NULL},
        {"Infant", F, M, NULL},
        {"UNKNOWN", F, M, NULL},
        {"Unnamed", F, M, NULL},
        {"Not Known", F, M, NULL},
        {"NOT-KNOWN", F, M, NULL},
        {"NK", F, M, NULL},
        {"N.K.", F, M, NULL},
        {"N/K", F, M, NULL},
        {"unk", F, M, NULL},
        {"XX", F, M, NULL},
        {"Twin 1", F, M, NULL},
        {"TWIN 2", F, M, NULL},
        {"Twin A", F, M, NULL},
        {"twin b", F, M, NULL},
        {"Male", F, M, NULL},
        {"FEMALE", F, M, NULL},
        {"Baby Twin 1", F, M, NULL},
        /* Titles alone: missing. */
        {"Mr", F, M, NULL},
        {"Dr.", F, M, NULL},
        {"Mr. Mrs.", F, M, NULL},
        {"Mr Baby", F, M, NULL},
        /* What remains has no letter. */
        {"Mr 123", F, I, "no_letters"},
        {"Baby|123", F, I, "no_letters"},
        /* The surname flag removes nothing. */
        {"Baby", S, V, "baby"},
        {"Lord", S, V, "lord"},
        {"Mr Smith", S, V, "mr smith"},
        {"Baby of Sarah", S, V, "baby of sarah"},
        /* Per alternative. */
        {"Baby|Amy", F, V, "amy"},
        {"Mr John|John", F, V, "john"},
        {"Twin 1|Twin 2", F, M, NULL},
        {"Dr Who|Mr Who", F, V, "who"},
    };
    run_key_cases(cases, COUNT(cases));
}

static void test_diacritics_and_latin_letters(void **state)
{
    (void)state;
    static const key_case cases[] = {
        {"José", S, V, "jose"},
        {"Zoë", S, V, "zoe"},
        {"Łukasz", S, V, "lukasz"},
        {"Søren", S, V, "soren"},
        {"SØREN", S, V, "soren"},
        {"Straße", S, V, "strasse"},
        {"STRASSE", S, V, "strasse"},
        {"Großmann", S, V, "grossmann"},
        {"GROẞMANN", S, V, "grossmann"},
        {"Đorđević", S, V, "dordevic"},
        {"Ħamrun", S, V, "hamrun"},
        {"Işık", S, V, "isik"},
        {"İbrahim", S, V, "ibrahim"},
        {"Ibrahim", S, V, "ibrahim"},
        {"Æthelred", S, V, "aethelred"},
        {"Œdipe", S, V, "oedipe"},
        {"Þór", S, V, "thor"},
        {"Guðrún", S, V, "gudrun"},
        {"ÐÓRA", S, V, "dora"},
        {"Ørsted", S, V, "orsted"},
        {"François", S, V, "francois"},
        {"Müller", S, V, "muller"},
        {"Nguyễn Văn", S, V, "nguyen van"},
        {"Dvořák", S, V, "dvorak"},
        {"Ñúñez", S, V, "nunez"},
        {"Şahin", S, V, "sahin"},
        {"Çelik", S, V, "celik"},
        {"Ōtani", S, V, "otani"},
        {"Ĳsselmeer", S, V, "ijsselmeer"},
        {"ǅemal", S, V, "dzemal"},
        {"Gal·la", S, V, "galla"},
        {"Paraŀlel", S, V, "parallel"},
        {"Ŧ", S, V, "t"},
        {"Ɖossou", S, V, "dossou"},
        /* Typographic apostrophes and hyphens, like ASCII ones. */
        {"O’Brien", S, V, "obrien"},
        {"O‘Brien", S, V, "obrien"},
        {"Oʼ Brien", S, V, "o brien"},
        {"O´Brien", S, V, "obrien"},
        {"Hawaiʻi", S, V, "hawaii"},
        {"Mary‐Jane", S, V, "mary jane"},
        {"Mary‑Jane", S, V, "mary jane"},
        {"Mary–Jane", S, V, "mary jane"},
        {"Mary—Jane", S, V, "mary jane"},
        {"Mary − Jane", S, V, "mary jane"},
        /* Compatibility forms and invisible characters. */
        {"Mary\xc2\xa0Jane", S, V, "mary jane"},       /* no-break space */
        {"Mary\xe3\x80\x80Jane", S, V, "mary jane"},   /* ideographic space */
        {"ＳＭＩＴＨ", S, V, "smith"},
        {"ﬁona", S, V, "fiona"},
        {"Smi\xc2\xadth", S, V, "smith"},              /* soft hyphen */
        {"Smi\xe2\x80\x8bth", S, V, "smith"},          /* zero-width space */
        {"\xef\xbb\xbfSmith", S, V, "smith"},          /* byte-order mark */
        {"Ⅻ", S, V, "xii"},
        {"Louis Ⅺ", S, V, "louis xi"},
        {"Dr. José-María", F, V, "jose maria"},
        {"Dʳ John", F, V, "john"},                      /* superscript r folds */
    };
    run_key_cases(cases, COUNT(cases));
}

static void test_non_latin_scripts_kept(void **state)
{
    (void)state;
    static const key_case cases[] = {
        {"Иван", S, V, "иван"},
        {"ИВАН", S, V, "иван"},
        {"Ёлкин", S, V, "елкин"},
        {"Иван-Petrov", S, V, "иван petrov"},
        {"Νίκος", S, V, "νικος"},
        {"ΝΊΚΟΣ", S, V, "νικος"},
        {"ΝΙΚΟΣ", S, V, "νικος"},
        {"Νικοσ", S, V, "νικος"},
        {"Σωκράτης", S, V, "σωκρατης"},
        {"Αλέξανδρος Παπαδόπουλος", S, V, "αλεξανδρος παπαδοπουλος"},
        {"Σ", S, V, "σ"},
        {"ς", S, V, "σ"},
        {"ΑΣ-ΒΗΤΑ", S, V, "ας βητα"},
        {"Οδυσσέας", S, V, "οδυσσεας"},
        {"محمد", S, V, "محمد"},
        {"مُحَمَّد", S, V, "محمد"},                 /* optional vowel marks */
        {"عبد الله", S, V, "عبد الله"},
        {"أحمد", S, V, "احمد"},                     /* hamza is optional too */
        {"محـــمد", S, V, "محمد"},                  /* tatweel */
        {"שָׁלוֹם", S, V, "שלום"},
        {"דוד", S, V, "דוד"},
        {"রবীন্দ্রনাথ ঠাকুর", S, V, "রবীন্দ্রনাথ ঠাকুর"},  /* vowel signs kept */
        {"মোহাম্মদ", S, V, "মোহাম্মদ"},
        {"অর্জুন", S, V, "অর্জুন"},
        {"अर्जुन", S, V, "अर्जुन"},
        {"प्रिया शर्मा", S, V, "प्रिया शर्मा"},
        {"ਗੁਰਪ੍ਰੀਤ", S, V, "ਗੁਰਪ੍ਰੀਤ"},
        {"王小明", S, V, "王小明"},
        {"欧阳 娜娜", S, V, "欧阳 娜娜"},
        {"约翰·史密斯", S, V, "约翰 史密斯"},
        {"김민준", S, V, "김민준"},
        {"さくら", S, V, "さくら"},
        {"佐々木", S, V, "佐々木"},
        {"ｻｸﾗ", S, V, "サクラ"},
        {"ｶﾞﾝﾀﾞﾑ", S, V, "ガンダム"},
        {"ｶﾞ", S, V, "ガ"},
        {"สมศักดิ์", S, V, "สมศักดิ์"},
        {"Անի", S, V, "անի"},
        {"ნინო", S, V, "ნინო"},
        {"ዮሐንስ", S, V, "ዮሐንስ"},
        {"தமிழ்செல்வன்", S, V, "தமிழ்செல்வன்"},
        {"Ali|علي", S, V, "ali|علي"},
    };
    run_key_cases(cases, COUNT(cases));
}

/* NFD (or differently ordered) input gives the same key and tidy form as
 * NFC input. */
static void test_normal_forms_agree(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"José", "Jose\xcc\x81"},
        {"Zoë", "Zoe\xcc\x88"},
        {"Nguyễn", "Nguye\xcc\x82\xcc\x83n"},
        {"Ångström", "A\xcc\x8a" "ngstro\xcc\x88m"},
        {"Ångström", "\xe2\x84\xab" "ngstro\xcc\x88m"},      /* U+212B angstrom sign */
        {"ậ", "a\xcc\xa3\xcc\x82"},
        {"ậ", "a\xcc\x82\xcc\xa3"},                          /* marks out of order */
        {"김민준", "\xe1\x84\x80\xe1\x85\xb5\xe1\x86\xb7\xe1\x84\x86\xe1\x85\xb5"
                   "\xe1\x86\xab\xe1\x84\x8c\xe1\x85\xae\xe1\x86\xab"},
        {"মোহাম্মদ", "ম\xe0\xa7\x87\xe0\xa6\xbe" "হাম্মদ"},      /* two-part vowel sign */
        {"が", "か\xe3\x82\x99"},
        {"Νίκος", "Νι\xcc\x81κος"},
        {"Ёлкин", "Е\xcc\x88лкин"},
        {"Łukasz", "Łukasz"},
    };
    for (size_t i = 0; i < COUNT(pairs); i++) {
        for (unsigned flags = 0; flags < 2; flags++) {
            char *a, *b;
            const char *ra, *rb;
            cl_check ka = key_of(pairs[i][0], strlen(pairs[i][0]), flags, &a, &ra);
            cl_check kb = key_of(pairs[i][1], strlen(pairs[i][1]), flags, &b, &rb);
            assert_int_equal(ka, V);
            assert_int_equal(kb, V);
            if (strcmp(a, b) != 0)
                fail_msg("key(%s) = %s but key(%s) = %s", pairs[i][0], a, pairs[i][1], b);
            free(a);
            free(b);
        }
        char *a, *b;
        const char *ra, *rb;
        assert_int_equal(tidy_of(pairs[i][0], strlen(pairs[i][0]), &a, &ra), V);
        assert_int_equal(tidy_of(pairs[i][1], strlen(pairs[i][1]), &b, &rb), V);
        if (strcmp(a, b) != 0)
            fail_msg("tidy(%s) = %s but tidy(%s) = %s", pairs[i][0], a, pairs[i][1], b);
        /* The tidy form is NFC: the composed spelling comes back unchanged. */
        assert_string_equal(a, pairs[i][0]);
        free(a);
        free(b);
    }
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
    } bad[] = {
        {"\xc3", 1},                       /* truncated two-byte sequence */
        {"Jos\xc3", 4},
        {"\xc3\x28", 2},                   /* bad continuation */
        {"\xc0\xaf", 2},                   /* overlong '/' */
        {"\xc1\xbf", 2},                   /* overlong */
        {"\xe0\x80\xaf", 3},               /* overlong three-byte */
        {"\xe0\x9f\xbf", 3},               /* overlong U+07FF */
        {"\xf0\x80\x80\xaf", 4},           /* overlong four-byte */
        {"\xf0\x8f\xbf\xbf", 4},           /* overlong U+FFFF */
        {"\xed\xa0\x80", 3},               /* surrogate U+D800 */
        {"\xed\xbf\xbf", 3},               /* surrogate U+DFFF */
        {"\xf4\x90\x80\x80", 4},           /* U+110000 */
        {"\xf5\x80\x80\x80", 4},           /* lead byte beyond range */
        {"\xf8\x88\x80\x80\x80", 5},       /* five-byte form */
        {"\x80", 1},                       /* lone continuation */
        {"Smith\xbf", 6},
        {"\xff", 1},
        {"\xfe", 1},
        {"Jos\xe9", 4},                    /* Latin-1, not UTF-8 */
        {"\xe2\x82", 2},                   /* truncated three-byte */
        {"\xe2\x82Smith", 7},
        {"\xf0\x9f\x98", 3},               /* truncated four-byte */
        {"Ann\xf0", 4},
        {"ok|\xc3", 5},                    /* in any alternative */
        {"\xe2\x28\xa1", 3},
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        char out[64];
        for (unsigned flags = 0; flags < 2; flags++) {
            memset(out, 'x', sizeof out);
            const char *reason = NULL;
            assert_int_equal(cl_name_key(bad[i].in, bad[i].len, flags, out, sizeof out, &reason),
                             I);
            assert_non_null(reason);
            assert_string_equal(reason, "bad_utf8");
            assert_string_equal(out, "");
        }
        memset(out, 'x', sizeof out);
        const char *reason = NULL;
        assert_int_equal(cl_name_tidy(bad[i].in, bad[i].len, out, sizeof out, &reason), I);
        assert_string_equal(reason, "bad_utf8");
        assert_string_equal(out, "");
        /* Reported even when the buffer is too small. */
        assert_int_equal(cl_name_key(bad[i].in, bad[i].len, S, out, 1, &reason), I);
        assert_string_equal(reason, "bad_utf8");
    }
    /* The edges of the valid ranges are accepted. */
    static const key_case edges[] = {
        {"\xc2\x80z", S, V, "z"},                      /* U+0080 */
        {"z\xdf\xbf", S, V, "z"},                      /* U+07FF, NKo taman sign */
        {"z\xed\x9f\xbb", S, V, "zퟻ"},                 /* U+D7FB, just below surrogates */
        {"\xee\x80\x80z", S, V, "\xee\x80\x80z"},      /* U+E000, private use, kept */
        {"z\xef\xbf\xbd", S, V, "z"},                  /* U+FFFD, a symbol */
        {"\xf0\x90\x80\x80", S, V, "\xf0\x90\x80\x80"}, /* U+10000, Linear B letter */
        {"\xf4\x8f\xbf\xbf", S, I, "no_letters"},     /* U+10FFFF */
    };
    run_key_cases(edges, COUNT(edges));
}

static void test_missing_and_no_letters(void **state)
{
    (void)state;
    static const key_case cases[] = {
        {"", S, M, NULL},
        {" ", S, M, NULL},
        {"   ", S, M, NULL},
        {"\t\r\n", S, M, NULL},
        {"|", S, M, NULL},
        {" | | ", S, M, NULL},
        {"\xc2\xa0", S, M, NULL},                 /* no-break space */
        {"\xe3\x80\x80", S, M, NULL},             /* ideographic space */
        {"\xe2\x80\x8b", S, M, NULL},             /* zero-width space */
        {"\xef\xbb\xbf ", S, M, NULL},            /* byte-order mark */
        {"", F, M, NULL},
        {"123", S, I, "no_letters"},
        {"-", S, I, "no_letters"},
        {".", S, I, "no_letters"},
        {"'", S, I, "no_letters"},
        {"--", S, I, "no_letters"},
        {"12-34", S, I, "no_letters"},
        {"!!!", S, I, "no_letters"},
        {"?", F, I, "no_letters"},
        {"\xf0\x9f\x98\x80", S, I, "no_letters"},  /* emoji */
        {"\xcc\x81", S, I, "no_letters"},          /* a combining mark alone */
        {"١٢٣", S, I, "no_letters"},               /* Arabic-Indic digits */
        {"﷽", S, I, "no_letters"},                 /* a ligature symbol */
        {"123|456", S, I, "no_letters"},
        {"Smith|123", S, V, "smith"},              /* letterless alternatives go */
        {"-|Smith", S, V, "smith"},
        {" |123", S, I, "no_letters"},
        {"ﷺ", S, V, "صلى الله عليه وسلم"},         /* a ligature of words */
        {"Henry Ⅷ", S, V, "henry viii"},
    };
    run_key_cases(cases, COUNT(cases));
}

static void test_alternatives(void **state)
{
    (void)state;
    static const key_case cases[] = {
        {"Smith|Jones", S, V, "smith|jones"},
        {"Smith||Jones", S, V, "smith|jones"},
        {"|Smith|", S, V, "smith"},
        {"Smith | Jones", S, V, "smith|jones"},
        {"Smith|SMITH|smith", S, V, "smith"},
        {"Smith|Smyth|SMITH", S, V, "smith|smyth"},
        {"José|Jose|JOSÉ", S, V, "jose"},
        {"José|Jose", S, V, "jose"},
        {"Smith | SMITH|Smyth", S, V, "smith|smyth"},
        {"O'Brien|OBrien|O Brien", S, V, "obrien|o brien"},
        {"Mary-Jane|Mary Jane", S, V, "mary jane"},
        {"a|b|c|b|a", S, V, "a|b|c"},
        {"Иван|ИВАН|Ivan", S, V, "иван|ivan"},
        {"Smith｜Jones", S, V, "smith|jones"},   /* fullwidth bar is a '|' once normalised */
    };
    run_key_cases(cases, COUNT(cases));
}

/* Many alternatives: duplicates go, and the key is still its own key past
 * the number of alternatives remembered. */
static void test_many_alternatives(void **state)
{
    (void)state;
    size_t cap = 200 * 8;
    char *in = malloc(cap);
    assert_non_null(in);
    size_t n = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 100; i++)
            n += (size_t)snprintf(in + n, cap - n, "%s%c%c", n ? "|" : "", 'a' + i / 26,
                                  'a' + i % 26);
    char *out;
    const char *reason;
    assert_int_equal(key_of(in, n, S, &out, &reason), V);
    /* The first 64 distinct values are remembered, so the second round's
     * repeats of them go; later ones stay. */
    size_t bars = 0;
    for (const char *p = out; *p; p++)
        bars += *p == '|';
    assert_int_equal(bars + 1, 100 + 36);
    assert_memory_equal(out, "aa|ab|ac", 8);
    char *again;
    assert_int_equal(key_of(out, strlen(out), S, &again, &reason), V);
    assert_string_equal(again, out);
    free(again);
    free(out);
    free(in);
}

/* Every capacity below what is needed gives "too_long" and an empty
 * string, and nothing is written past the capacity. */
static void test_out_cap(void **state)
{
    (void)state;
    /* `exact`: nothing is written and then removed (titles, placeholders,
     * duplicates), so the key's own length plus one is enough.  Otherwise
     * the function may need a little more; CL_NAME_OUT_CAP always does. */
    static const struct {
        const char *in;
        bool exact[3]; /* surname key, forenames key, tidy */
    } inputs[] = {
        {"Smith", {true, true, true}},
        {"  O'Brien ", {true, true, true}},
        {"Dr. John  Paul", {true, false, true}},
        {"José|Jose|Zoë", {false, false, true}},
        {"Иван Петров", {true, true, true}},
        {"ﷺ", {true, true, true}},
        {"Baby of Sarah|Amy", {true, false, true}},
        {"김민준", {true, true, true}},
        {"ΣΟΦΟΣ", {true, true, true}},
    };
    for (size_t i = 0; i < COUNT(inputs); i++) {
        const char *in = inputs[i].in;
        size_t len = strlen(in);
        for (int mode = 0; mode < 3; mode++) {
            char full[512];
            const char *reason;
            cl_check want = mode == 2 ? cl_name_tidy(in, len, full, sizeof full, &reason)
                                      : cl_name_key(in, len, (unsigned)mode, full, sizeof full,
                                                    &reason);
            assert_int_equal(want, V);
            size_t need = strlen(full) + 1;
            assert_true(need <= CL_NAME_OUT_CAP(len));
            for (size_t cap = 0; cap <= need + 2; cap++) {
                char buf[512];
                memset(buf, '#', sizeof buf);
                const char *r = NULL;
                cl_check got = mode == 2 ? cl_name_tidy(in, len, cap ? buf : NULL, cap, &r)
                                         : cl_name_key(in, len, (unsigned)mode,
                                                       cap ? buf : NULL, cap, &r);
                for (size_t k = cap; k < sizeof buf; k++)
                    if (buf[k] != '#')
                        fail_msg("\"%s\" cap %zu: byte %zu written", in, cap, k);
                if (got == V) {
                    assert_string_equal(buf, full);
                } else {
                    assert_int_equal(got, I);
                    assert_string_equal(r, "too_long");
                    if (cap > 0)
                        assert_int_equal(buf[0], '\0');
                }
                if (cap >= need && inputs[i].exact[mode])
                    assert_int_equal(got, V);
            }
        }
    }
    /* The documented bound is enough for the worst expansion known. */
    const char *worst = "ﷺﷺﷺ";
    size_t len = strlen(worst);
    char *out = malloc(CL_NAME_OUT_CAP(len));
    const char *reason;
    assert_int_equal(cl_name_key(worst, len, S, out, CL_NAME_OUT_CAP(len), &reason), V);
    assert_true(strlen(out) > 10 * len);
    free(out);
}

static char *repeat(const char *unit, size_t total, size_t *len)
{
    size_t u = strlen(unit);
    size_t n = total / u;
    char *s = malloc(n * u + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[n * u] = '\0';
    *len = n * u;
    return s;
}

/* 1 MB inputs of several kinds: valid, idempotent, and the expected size. */
static void test_very_long_input(void **state)
{
    (void)state;
    static const struct {
        const char *unit;
        unsigned flags;
        const char *key_unit;   /* NULL: only check validity and idempotence */
    } cases[] = {
        {"Abcdefghij ", S, "abcdefghij "},
        {"Zoë Łukasz Иван ", S, "zoe lukasz иван "},
        {"ë", S, "e"},                     /* one token of 1 MB */
        {"Νίκος-", S, NULL},
        {"a\xcc\x81", S, "a"},
        {"কো", S, NULL},
        {"a|b|", S, NULL},
        {"Baby|", F, NULL},
        {"王", F, NULL},
    };
    const size_t total = 1u << 20;
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t len;
        char *in = repeat(cases[i].unit, total, &len);
        char *out;
        const char *reason;
        cl_check got = key_of(in, len, cases[i].flags, &out, &reason);
        if (cases[i].flags & F && strcmp(cases[i].unit, "Baby|") == 0) {
            assert_int_equal(got, M);
        } else {
            assert_int_equal(got, V);
            if (cases[i].key_unit != NULL) {
                size_t ku = strlen(cases[i].key_unit);
                size_t units = len / strlen(cases[i].unit);
                size_t want = ku * units - (cases[i].key_unit[ku - 1] == ' ' ? 1 : 0);
                if (ku == 1)
                    want = units;
                assert_int_equal(strlen(out), want);
                assert_memory_equal(out, cases[i].key_unit, ku - 1);
            }
            char *again;
            assert_int_equal(key_of(out, strlen(out), cases[i].flags, &again, &reason), V);
            assert_true(strcmp(out, again) == 0);
            free(again);
        }
        if (strcmp(cases[i].unit, "a|b|") == 0)
            assert_string_equal(out, "a|b");
        free(out);
        char *tidy;
        assert_int_equal(tidy_of(in, len, &tidy, &reason), V);
        free(tidy);
        free(in);
    }
    /* 1 MB of spaces is missing; 1 MB of digits has no letters. */
    size_t len;
    char *in = repeat(" ", total, &len);
    char *out;
    const char *reason;
    assert_int_equal(key_of(in, len, S, &out, &reason), M);
    free(out);
    memset(in, '7', len);
    assert_int_equal(key_of(in, len, S, &out, &reason), I);
    assert_string_equal(reason, "no_letters");
    free(out);
    free(in);
}

/* A base letter with a megabyte of combining marks: the run is cut, and
 * the result is stable (Unicode's stream-safe limit of 30 marks). */
static void test_stacked_marks(void **state)
{
    (void)state;
    size_t n = 0;
    const size_t marks = 200000;
    char *in = malloc(3 + 3 * marks + 1);
    assert_non_null(in);
    memcpy(in, "क", 3);   /* Devanagari KA: its marks are kept */
    n = 3;
    for (size_t i = 0; i < marks; i++) {
        memcpy(in + n, "\xe0\xa5\x8d", 3);  /* virama */
        n += 3;
    }
    char *out;
    const char *reason;
    assert_int_equal(key_of(in, n, S, &out, &reason), V);
    assert_int_equal(strlen(out), 3 + 3 * 30);
    char *again;
    assert_int_equal(key_of(out, strlen(out), S, &again, &reason), V);
    assert_string_equal(again, out);
    free(again);
    free(out);
    assert_int_equal(tidy_of(in, n, &out, &reason), V);
    assert_int_equal(strlen(out), 3 + 3 * 30);
    free(out);
    free(in);
}

/* Forcing the Unicode path (a zero-width space in front) changes nothing
 * for ASCII input: the two paths share their rules. */
static void test_paths_agree(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "  O'Brien ", "Mary-Jane", "Dr. John  Paul", "Smith|SMITH|Smyth", "123", "-", " ",
        "Baby of Sarah", "N/K", "Mr 123", "a`b.c'd", "x&y+z", "Ann\tMarie\n", "Twin 1|Amy",
        "|", "", "J.R.R. Tolkien", "_", "o'", "Rev. Dr.",
    };
    for (size_t i = 0; i < COUNT(inputs); i++) {
        char pre[128];
        size_t len = strlen(inputs[i]);
        memcpy(pre, "\xe2\x80\x8b", 3);
        memcpy(pre + 3, inputs[i], len);
        for (int mode = 0; mode < 3; mode++) {
            char a[256], b[256];
            const char *ra = NULL, *rb = NULL;
            cl_check ka, kb;
            if (mode == 2) {
                ka = cl_name_tidy(inputs[i], len, a, sizeof a, &ra);
                kb = cl_name_tidy(pre, len + 3, b, sizeof b, &rb);
            } else {
                ka = cl_name_key(inputs[i], len, (unsigned)mode, a, sizeof a, &ra);
                kb = cl_name_key(pre, len + 3, (unsigned)mode, b, sizeof b, &rb);
            }
            if (ka != kb || strcmp(a, b) != 0 || (ra == NULL) != (rb == NULL) ||
                (ra && strcmp(ra, rb) != 0))
                fail_msg("mode %d \"%s\": ascii %s \"%s\", unicode %s \"%s\"", mode, inputs[i],
                         check_name(ka), a, check_name(kb), b);
        }
    }
}

static void put_cp(char *s, size_t *n, uint32_t cp)
{
    if (cp < 0x80) {
        s[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        s[(*n)++] = (char)(0xC0 | (cp >> 6));
        s[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s[(*n)++] = (char)(0xE0 | (cp >> 12));
        s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        s[(*n)++] = (char)(0xF0 | (cp >> 18));
        s[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* Every code point, alone and between letters: never bad UTF-8, and the
 * key (and tidy form) of the result is the result. */
static void test_every_code_point_idempotent(void **state)
{
    (void)state;
    static const char *const around[][2] = {{"", ""}, {"a", "b"}, {"σ", "\xcc\x81"},
                                           {"क", "\xe0\xa4\xbf"}};
    long failures = 0;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        /* Unassigned planes behave alike: sample them. */
        if (cp >= 0x32000 && cp < 0xE0000 && (cp & 0xFFF) != 0)
            continue;
        for (size_t w = 0; w < COUNT(around); w++) {
            char in[32];
            size_t n = 0;
            memcpy(in, around[w][0], strlen(around[w][0]));
            n += strlen(around[w][0]);
            put_cp(in, &n, cp);
            memcpy(in + n, around[w][1], strlen(around[w][1]));
            n += strlen(around[w][1]);
            for (int mode = 0; mode < 3; mode++) {
                char a[1024], b[1024];
                const char *r;
                cl_check k = mode == 2 ? cl_name_tidy(in, n, a, sizeof a, &r)
                                       : cl_name_key(in, n, (unsigned)mode, a, sizeof a, &r);
                assert_true(k != I || strcmp(r, "no_letters") == 0);
                if (k != V)
                    continue;
                cl_check k2 = mode == 2
                                  ? cl_name_tidy(a, strlen(a), b, sizeof b, &r)
                                  : cl_name_key(a, strlen(a), (unsigned)mode, b, sizeof b, &r);
                if ((k2 != V || strcmp(a, b) != 0) && failures++ < 10)
                    print_message("not idempotent: U+%04X mode %d: %s -> %s\n", (unsigned)cp,
                                  mode, a, b);
            }
        }
    }
    assert_int_equal(failures, 0);
}

static void test_tidy(void **state)
{
    (void)state;
    static const tidy_case cases[] = {
        {"  mary   JANE  ", V, "mary JANE"},
        {"O'Brien", V, "O'Brien"},
        {"Dr. John  Paul", V, "Dr. John Paul"},
        {"Mary-Jane", V, "Mary-Jane"},
        {"Jose\xcc\x81", V, "José"},
        {"Zoe\xcc\x88", V, "Zoë"},
        {"Smith | Jones", V, "Smith|Jones"},
        {"Smith|Smith", V, "Smith"},
        {"Smith|SMITH", V, "Smith|SMITH"},      /* case is kept, so both stay */
        {"|Smith||", V, "Smith"},
        {"\tAnn\xc2\xa0Marie\n", V, "Ann Marie"},
        {"\xef\xbb\xbfSmith", V, "Smith"},
        {"Smi\xe2\x80\x8bth", V, "Smith"},
        {"ｶﾞ", V, "ｶﾞ"},                      /* NFC keeps compatibility forms */
        {"ﬁona", V, "ﬁona"},
        {"Ⅻ", V, "Ⅻ"},
        {"Иван", V, "Иван"},
        {"ΝΙΚΟΣ", V, "ΝΙΚΟΣ"},
        {"مُحَمَّد", V, "مُحَمَّد"},
        {"Baby", V, "Baby"},                    /* no placeholder removal */
        {"BABY OF SARAH", V, "BABY OF SARAH"},
        {"Łukasz  Nowak", V, "Łukasz Nowak"},
        {"", M, NULL},
        {"   ", M, NULL},
        {" | ", M, NULL},
        {"123", I, "no_letters"},
        {"-", I, "no_letters"},
        {"123|Smith", V, "Smith"},
    };
    run_tidy_cases(cases, COUNT(cases));
}

/* NULL is accepted for reason; NULL input with length 0 is missing; a NULL
 * or empty output buffer is "too_long". */
static void test_null_arguments(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(cl_name_key("Smith", 5, S, out, sizeof out, NULL), V);
    assert_string_equal(out, "smith");
    assert_int_equal(cl_name_key("123", 3, S, out, sizeof out, NULL), I);
    assert_int_equal(cl_name_key("\xc3", 1, S, out, sizeof out, NULL), I);
    assert_int_equal(cl_name_tidy("Smith", 5, out, sizeof out, NULL), V);
    const char *reason = "unset";
    assert_int_equal(cl_name_key(NULL, 0, S, out, sizeof out, &reason), M);
    assert_null(reason);
    assert_string_equal(out, "");
    assert_int_equal(cl_name_tidy(NULL, 0, out, sizeof out, &reason), M);
    assert_int_equal(cl_name_key("Smith", 5, S, NULL, 0, &reason), I);
    assert_string_equal(reason, "too_long");
    assert_int_equal(cl_name_key("", 0, S, out, 1, &reason), M);
    assert_string_equal(out, "");
    /* Unknown flag bits are ignored. */
    assert_int_equal(cl_name_key("Mr Smith", 8, F | 0x80u, out, sizeof out, &reason), V);
    assert_string_equal(out, "smith");
}

/* The functions use only the caller's buffer: with every allocation set
 * to fail they still work, and nothing is left allocated. */
static void test_no_allocation(void **state)
{
    (void)state;
    size_t before = cl_alloc_bytes_in_use();
    cl_alloc_fail_after(1);
    char out[256];
    const char *reason;
    assert_int_equal(cl_name_key("Nguyễn Văn|Иван", strlen("Nguyễn Văn|Иван"), F, out,
                                 sizeof out, &reason),
                     V);
    assert_string_equal(out, "nguyen van|иван");
    assert_int_equal(cl_name_tidy("Zoe\xcc\x88", 5, out, sizeof out, &reason), V);
    assert_string_equal(out, "Zoë");
    /* The armed failure is still pending: nobody allocated. */
    void *p = cl_malloc(16);
    assert_null(p);
    cl_alloc_fail_after(0);
    assert_int_equal(cl_alloc_bytes_in_use(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_ascii_embedded_nul_and_controls),
        cmocka_unit_test(test_forenames),
        cmocka_unit_test(test_diacritics_and_latin_letters),
        cmocka_unit_test(test_non_latin_scripts_kept),
        cmocka_unit_test(test_normal_forms_agree),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_missing_and_no_letters),
        cmocka_unit_test(test_alternatives),
        cmocka_unit_test(test_many_alternatives),
        cmocka_unit_test(test_out_cap),
        cmocka_unit_test(test_very_long_input),
        cmocka_unit_test(test_stacked_marks),
        cmocka_unit_test(test_paths_agree),
        cmocka_unit_test(test_every_code_point_idempotent),
        cmocka_unit_test(test_tidy),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_no_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
