/*
 * name.c - personal names in any script: comparison keys and tidy forms.
 *
 * A raw name goes through three stages, written so that none of them
 * allocates and the output buffer is the only memory that grows with the
 * input:
 *
 *   1. Validate.  The whole value is checked as strict UTF-8 first (no
 *      overlongs, surrogates, code points above U+10FFFF or truncated
 *      sequences), so that nothing is written for a value that will be
 *      refused, and so that the later decoder can trust its input.
 *
 *   2. Map.  Pure-ASCII values (nearly all names in English data) are mapped
 *      byte by byte through a 128-entry class table and never touch
 *      utf8proc.  Other values are decoded one code point at a time and
 *      decomposed with utf8proc_decompose_char (NFKD plus full case folding
 *      for the key; canonical NFD for the tidy form).  Each resulting code
 *      point is then kept, dropped (apostrophes, full stops, format
 *      characters, unwanted combining marks), turned into a separator, or
 *      mapped (ø -> o and the other Latin letters that have no
 *      decomposition).  All dropping happens here, *before* composition, so
 *      that composition sees exactly the code points that will be output;
 *      that is what makes key(key(x)) == key(x).
 *
 *   3. Compose and emit.  Kept code points collect in a small fixed buffer
 *      that is canonically reordered and recomposed (NFC) with
 *      utf8proc_normalize_utf32 whenever it is flushed.  A flush happens only
 *      at a safe boundary: before a separator, or before a starter that can
 *      never compose with what precedes it (combining class 0, not a mark,
 *      not a Hangul vowel or trailing consonant jamo; every other character
 *      that is the second half of a canonical composition is a mark, which
 *      was checked exhaustively against utf8proc's tables).  A run of more
 *      than RUN_MAX code points between safe boundaries (stacked
 *      combining marks, "Zalgo" text) is cut short, in the spirit of
 *      Unicode's Stream-Safe Text Format, so the buffer is always big enough.
 *      The emitter writes tokens straight into the caller's buffer,
 *      collapsing separators to one space and '|' into alternative
 *      boundaries; when an alternative ends it strips forename titles and
 *      placeholders, rejects alternatives without letters and drops
 *      duplicates.
 *
 * Which combining marks the key removes: every mark on a Latin, Greek or
 * Cyrillic base letter (José -> jose, Νίκος -> νικος, Ёлкин -> елкин), the
 * optional vowel pointing of Arabic (harakat, shadda, hamza and madda
 * marks) and Hebrew (niqqud, cantillation), and marks with no letter to sit
 * on.  Marks on any other script are kept, because there they are letters
 * of the name (Devanagari and Bengali vowel signs, Thai vowels, kana voicing
 * marks).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "childlink/name.h"
#include "childlink/utf8.h"

enum { MODE_KEY, MODE_TIDY };

/* The compose buffer: flushed before a safe boundary once FLUSH_AT code
 * points are waiting, and a run between safe boundaries is cut at RUN_MAX,
 * so it never holds more than FLUSH_AT + RUN_MAX + 1 code points. */
#define CHUNK_CAP 256
#define FLUSH_AT 192
#define RUN_MAX 30

/* Distinct alternatives remembered for duplicate removal.  Later
 * alternatives are still compared with these, so output stays idempotent;
 * only duplicates among the 65th and later distinct values survive. */
#define MAX_TRACKED 64

/* Longest decomposition utf8proc produces for one code point is 18 (U+FDFA). */
#define DECOMP_MAX 32

/* ------------------------------------------------------------------------
 * UTF-8
 */

/* Decode one code point from input already accepted by cl_utf8_valid_prefix. */
static size_t utf8_next(const unsigned char *s, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c < 0xE0) {
        *cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    if (c < 0xF0) {
        *cp = (int32_t)(((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu));
        return 3;
    }
    *cp = (int32_t)(((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
                    (s[3] & 0x3Fu));
    return 4;
}

static size_t utf8_put(int32_t cp, unsigned char *b)
{
    uint32_t u = (uint32_t)cp;
    if (u < 0x80) {
        b[0] = (unsigned char)u;
        return 1;
    }
    if (u < 0x800) {
        b[0] = (unsigned char)(0xC0 | (u >> 6));
        b[1] = (unsigned char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (u >> 12));
        b[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (u & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (u >> 18));
    b[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (u & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------------
 * Character classes
 *
 * ASCII classes, one letter per byte value:
 *   l  lower-case letter        U  upper-case letter (key: lower-cased)
 *   L  letter (tidy: kept as is) n  digit, kept
 *   k  other, kept (tidy only)  d  dropped (key: ' ` .)
 *   w  blank: space, control    s  other separator (key: punctuation)
 *   a  '|', alternative boundary
 * Blanks alone make a value missing; anything else with no letter makes it
 * invalid ("no_letters").
 * The Unicode path looks ASCII code points up in the same tables, so both
 * paths give identical results on ASCII text.
 */
static const char KEY_CLASS[129] =
    "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"  /* 0x00-0x1F controls */
    "wssssssdssssssds"                  /* space ! " # $ % & ' ( ) * + , - . / */
    "nnnnnnnnnnssssss"                  /* 0-9 : ; < = > ? */
    "sUUUUUUUUUUUUUUU"                  /* @ A-O */
    "UUUUUUUUUUUsssss"                  /* P-Z [ \ ] ^ _ */
    "dlllllllllllllll"                  /* ` a-o */
    "lllllllllllsassw";                 /* p-z { | } ~ DEL */

static const char TIDY_CLASS[129] =
    "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"
    "wkkkkkkkkkkkkkkk"
    "kkkkkkkkkkkkkkkk"
    "kLLLLLLLLLLLLLLL"
    "LLLLLLLLLLLkkkkk"
    "kLLLLLLLLLLLLLLL"
    "LLLLLLLLLLLkakkw";

static bool cat_is_letter(int cat)
{
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

static bool cat_is_mark(int cat)
{
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
           cat == UTF8PROC_CATEGORY_ME;
}

/* Letter numbers (Roman numerals, 〇) count: they appear in names. */
static bool cp_is_letter(int32_t cp)
{
    if (cp < 0x80)
        return TIDY_CLASS[cp] == 'L';
    int cat = utf8proc_category(cp);
    return cat_is_letter(cat) || cat == UTF8PROC_CATEGORY_NL;
}

/* Latin, Greek and Cyrillic letters: marks on these are diacritics that
 * spelling variants routinely gain or lose. */
static bool is_lgc(int32_t cp)
{
    return cp < 0x0530 ||                           /* Latin, IPA, Greek, Cyrillic */
           (cp >= 0x1C80 && cp <= 0x1C8F) ||        /* Cyrillic Extended-C */
           (cp >= 0x1D00 && cp <= 0x1DBF) ||        /* phonetic extensions */
           (cp >= 0x1E00 && cp <= 0x1FFF) ||        /* Latin Ext. Additional, Greek Ext. */
           (cp >= 0x2C60 && cp <= 0x2C7F) ||        /* Latin Extended-C */
           (cp >= 0x2DE0 && cp <= 0x2DFF) ||        /* Cyrillic Extended-A */
           (cp >= 0xA640 && cp <= 0xA69F) ||        /* Cyrillic Extended-B */
           (cp >= 0xA720 && cp <= 0xA7FF) ||        /* Latin Extended-D */
           (cp >= 0xAB30 && cp <= 0xAB6F) ||        /* Latin Extended-E */
           (cp >= 0x10780 && cp <= 0x107BF) ||      /* Latin Extended-F */
           (cp >= 0x1DF00 && cp <= 0x1DFFF) ||      /* Latin Extended-G */
           (cp >= 0x1E030 && cp <= 0x1E08F);        /* Cyrillic Extended-D */
}

/* Arabic and Hebrew vowel pointing and Quranic annotation: optional in
 * ordinary writing, so one spelling of a name has them and another not. */
static bool is_optional_pointing(int32_t cp)
{
    return (cp >= 0x0591 && cp <= 0x05C7) || (cp >= 0x0610 && cp <= 0x061A) ||
           (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 ||
           (cp >= 0x06D6 && cp <= 0x06ED) || (cp >= 0x08CA && cp <= 0x08FF);
}

/* Characters written in place of an apostrophe: dropped like ASCII '. */
static bool is_apostrophe(int32_t cp)
{
    switch (cp) {
    case 0x00B4: /* acute accent, typed for an apostrophe (O´Brien) */
    case 0x02B9: /* modifier letter prime */
    case 0x02BB: /* modifier letter turned comma (ʻokina) */
    case 0x02BC: /* modifier letter apostrophe */
    case 0x02BD: /* modifier letter reversed comma */
    case 0x055A: /* Armenian apostrophe */
    case 0x05F3: /* Hebrew geresh */
    case 0x0640: /* Arabic tatweel: elongation, not a letter */
    case 0x2018: /* left single quotation mark */
    case 0x2019: /* right single quotation mark */
    case 0x201B: /* single high-reversed-9 quotation mark */
    case 0x2032: /* prime */
        return true;
    default:
        return false;
    }
}

/* A code point that can never combine with what precedes it, so the
 * compose buffer may be flushed just before it. */
static bool is_safe_boundary(int32_t cp, const utf8proc_property_t *p)
{
    if (cp < 0x300)
        return true;
    return p->combining_class == 0 && !cat_is_mark(p->category) &&
           !(cp >= 0x1161 && cp <= 0x1175) && !(cp >= 0x11A8 && cp <= 0x11C2);
}

/* ------------------------------------------------------------------------
 * Emitter: writes tokens and alternatives into the caller's buffer.
 */
typedef struct emitter {
    char *out;
    size_t cap;
    size_t pos;
    bool overflow;
    int mode;
    unsigned flags;
    bool alt_open;        /* the current alternative has output */
    size_t alt_start;     /* where it starts in out */
    bool pending_space;   /* a separator was seen after a token */
    bool alt_content;     /* the alternative's input had more than blanks */
    bool alt_has_letter;
    bool prev_letter;     /* last emitted code point was a letter */
    bool sigma_pending;   /* last emitted was σ after a letter */
    size_t sigma_pos;
    bool saw_no_letters;  /* an alternative was refused for having no letter */
    int kept;             /* alternatives in out */
    int tracked;
    size_t alt_off[MAX_TRACKED];
    size_t alt_len[MAX_TRACKED];
} emitter;

static void em_init(emitter *e, int mode, unsigned flags, char *out, size_t cap)
{
    memset(e, 0, offsetof(emitter, alt_off));
    e->out = out;
    e->cap = cap;
    e->mode = mode;
    e->flags = flags;
    e->overflow = cap == 0;
}

/* Always keeps one byte for the terminating NUL. */
static inline void em_byte(emitter *e, char c)
{
    if (e->pos + 1 >= e->cap) {
        e->overflow = true;
        return;
    }
    e->out[e->pos++] = c;
}

/* Before a token character: open the alternative (writing its '|') or
 * write the single space owed to a run of separators. */
static inline void em_open(emitter *e)
{
    if (e->alt_open) {
        if (e->pending_space) {
            e->pending_space = false;
            em_byte(e, ' ');
        }
        return;
    }
    if (e->kept > 0)
        em_byte(e, '|');
    e->alt_open = true;
    e->alt_start = e->pos;
    e->pending_space = false;
    e->alt_has_letter = false;
}

/* Greek: σ at the end of a word is written ς, as Greek spells it.  Case
 * folding made every sigma σ, so the rule is applied to the folded text
 * and the key is the same however the input wrote it. */
static void em_sigma_end(emitter *e)
{
    if (e->sigma_pending && !e->overflow) {
        e->out[e->sigma_pos] = (char)0xCF;
        e->out[e->sigma_pos + 1] = (char)0x82;
    }
    e->sigma_pending = false;
}

static void em_cp(emitter *e, int32_t cp)
{
    bool letter = cp_is_letter(cp);
    if (e->sigma_pending) {
        if (letter)
            e->sigma_pending = false;
        else
            em_sigma_end(e);
    }
    em_open(e);
    if (cp < 0x80) {
        em_byte(e, (char)cp);
    } else {
        unsigned char b[4];
        size_t n = utf8_put(cp, b);
        if (e->pos + n >= e->cap) {
            e->overflow = true;
        } else {
            memcpy(e->out + e->pos, b, n);
            e->pos += n;
        }
    }
    if (letter)
        e->alt_has_letter = true;
    if (e->mode == MODE_KEY && cp == 0x03C3 && e->prev_letter && !e->overflow) {
        e->sigma_pending = true;
        e->sigma_pos = e->pos - 2;
    }
    e->prev_letter = letter;
}

/* The ASCII fast path's version of em_cp. */
static inline void em_ascii(emitter *e, unsigned char c, bool letter)
{
    if (!e->alt_open || e->pending_space)
        em_open(e);
    em_byte(e, (char)c);
    e->alt_has_letter |= letter;
}

static void em_sep(emitter *e, bool content)
{
    em_sigma_end(e);
    e->prev_letter = false;
    e->alt_content |= content;
    if (e->alt_open)
        e->pending_space = true;
}

/* Words that start a forenames value without being a name.  A title is
 * removed; so is a placeholder word, or a placeholder pair (the word in
 * the first column followed by the one in the second).  Hospitals register
 * newborns as "BABY", "TWIN 1", "BABY OF <mother>". */
enum word_kind { W_TITLE = 1, W_PLACEHOLDER = 2, W_PAIR = 4 };

typedef struct word {
    const char *text;
    unsigned char len;
    unsigned char kind;
} word;

#define WORD(s, k) {s, sizeof(s) - 1, k}
static const word LEADING_WORDS[] = {
    WORD("mr", W_TITLE),       WORD("mrs", W_TITLE),      WORD("miss", W_TITLE),
    WORD("ms", W_TITLE),       WORD("mx", W_TITLE),       WORD("dr", W_TITLE),
    WORD("master", W_TITLE),   WORD("prof", W_TITLE),     WORD("rev", W_TITLE),
    WORD("sir", W_TITLE),      WORD("dame", W_TITLE),     WORD("lady", W_TITLE),
    WORD("lord", W_TITLE),
    WORD("baby", W_PLACEHOLDER | W_PAIR), WORD("infant", W_PLACEHOLDER),
    WORD("unknown", W_PLACEHOLDER),       WORD("unnamed", W_PLACEHOLDER),
    WORD("nk", W_PLACEHOLDER),  WORD("unk", W_PLACEHOLDER), WORD("xx", W_PLACEHOLDER),
    WORD("male", W_PLACEHOLDER), WORD("female", W_PLACEHOLDER),
    WORD("not", W_PAIR),        WORD("n", W_PAIR),          WORD("twin", W_PAIR),
};

static const char *const PLACEHOLDER_PAIRS[][2] = {
    {"not", "known"}, {"n", "k"},  {"twin", "1"},   {"twin", "2"},
    {"twin", "a"},    {"twin", "b"}, {"baby", "boy"}, {"baby", "girl"},
};
#undef WORD

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define LONGEST_LEADING_WORD 7

static bool token_is(const char *t, size_t n, const char *text)
{
    return strlen(text) == n && memcmp(t, text, n) == 0;
}

static unsigned leading_kind(const char *t, size_t n)
{
    if (n > LONGEST_LEADING_WORD)
        return 0;
    for (size_t i = 0; i < COUNT(LEADING_WORDS); i++)
        if (LEADING_WORDS[i].len == n && memcmp(LEADING_WORDS[i].text, t, n) == 0)
            return LEADING_WORDS[i].kind;
    return 0;
}

/* Length of the leading titles and placeholders of forenames `a` (n bytes,
 * tokens separated by single spaces), removed repeatedly so that the result
 * never starts with one.  *none_left is set when nothing would remain or the
 * value is "baby of ...", which names the mother, not the child. */
static size_t forename_prefix(const char *a, size_t n, bool *none_left)
{
    size_t p = 0;
    *none_left = false;
    for (;;) {
        if (p >= n) {
            *none_left = true;
            return n;
        }
        const char *t1 = a + p;
        const char *sp = memchr(t1, ' ', n - p);
        size_t l1 = sp ? (size_t)(sp - t1) : n - p;
        size_t next = sp ? p + l1 + 1 : n;
        unsigned kind = leading_kind(t1, l1);
        if (kind == 0)
            return p;
        if (kind & W_TITLE) {
            p = next;
            continue;
        }
        if ((kind & W_PAIR) && next < n) {
            const char *t2 = a + next;
            const char *sp2 = memchr(t2, ' ', n - next);
            size_t l2 = sp2 ? (size_t)(sp2 - t2) : n - next;
            if (token_is(t1, l1, "baby") && token_is(t2, l2, "of")) {
                *none_left = true;
                return n;
            }
            bool pair = false;
            for (size_t i = 0; i < COUNT(PLACEHOLDER_PAIRS) && !pair; i++)
                pair = token_is(t1, l1, PLACEHOLDER_PAIRS[i][0]) &&
                       token_is(t2, l2, PLACEHOLDER_PAIRS[i][1]);
            if (pair) {
                p = sp2 ? next + l2 + 1 : n;
                continue;
            }
        }
        if (kind & W_PLACEHOLDER) {
            p = next;
            continue;
        }
        return p;
    }
}

static bool text_has_letter(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (TIDY_CLASS[c] == 'L')
                return true;
            i++;
            continue;
        }
        int32_t cp;
        i += utf8_next((const unsigned char *)s + i, &cp);
        if (cp_is_letter(cp))
            return true;
    }
    return false;
}

/* The current alternative is complete: clean it up, then keep or drop it. */
static void em_end_alt(emitter *e)
{
    em_sigma_end(e);
    e->prev_letter = false;
    bool content = e->alt_content;
    e->alt_content = false;
    if (!e->alt_open) {
        if (content)
            e->saw_no_letters = true; /* only punctuation, dropped characters */
        return;
    }
    e->alt_open = false;
    e->pending_space = false;
    if (e->overflow)
        return;
    char *a = e->out + e->alt_start;
    size_t n = e->pos - e->alt_start;
    bool drop = false;
    if (e->mode == MODE_KEY && (e->flags & CL_NAME_FORENAMES)) {
        bool none_left;
        size_t skip = forename_prefix(a, n, &none_left);
        if (none_left) {
            drop = true;
        } else if (skip > 0) {
            memmove(a, a + skip, n - skip);
            n -= skip;
            e->alt_has_letter = text_has_letter(a, n);
        }
    }
    if (!drop && !e->alt_has_letter) {
        drop = true;
        e->saw_no_letters = true;
    }
    for (int i = 0; !drop && i < e->tracked; i++)
        if (e->alt_len[i] == n && memcmp(e->out + e->alt_off[i], a, n) == 0)
            drop = true;
    if (drop) {
        e->pos = e->alt_start - (e->kept > 0 ? 1 : 0); /* and its '|' */
        return;
    }
    e->pos = e->alt_start + n;
    if (e->tracked < MAX_TRACKED) {
        e->alt_off[e->tracked] = e->alt_start;
        e->alt_len[e->tracked] = n;
        e->tracked++;
    }
    e->kept++;
}

static cl_check em_finish(emitter *e, const char **reason)
{
    em_end_alt(e);
    if (e->overflow) {
        if (e->cap > 0)
            e->out[0] = '\0';
        if (reason)
            *reason = "too_long";
        return CL_CHECK_INVALID;
    }
    e->out[e->pos] = '\0';
    if (e->kept > 0)
        return CL_CHECK_VALID;
    e->out[0] = '\0';
    if (e->saw_no_letters) {
        if (reason)
            *reason = "no_letters";
        return CL_CHECK_INVALID;
    }
    return CL_CHECK_MISSING;
}

/* ------------------------------------------------------------------------
 * Normaliser: the compose buffer between the mapping stage and the emitter.
 */
enum base_kind { BASE_NONE, BASE_NONLETTER, BASE_LGC, BASE_OTHER };

typedef struct normaliser {
    emitter *em;
    int n;                       /* code points waiting */
    int run;                     /* of them, since the last safe boundary */
    enum base_kind base;         /* what the next combining mark would sit on */
    int32_t base_cp;
    int32_t cp[CHUNK_CAP];
    uint8_t ccc[CHUNK_CAP];
} normaliser;

static void nz_flush(normaliser *nz)
{
    int n = nz->n;
    if (n == 0)
        return;
    /* Canonical ordering: a stable sort of each run of non-starters by
     * combining class (utf8proc does this in utf8proc_decompose, which we
     * bypass to keep the work in this fixed buffer). */
    for (int i = 1; i < n; i++) {
        uint8_t c = nz->ccc[i];
        if (c == 0)
            continue;
        int32_t cp = nz->cp[i];
        int j = i;
        while (j > 0 && nz->ccc[j - 1] > c) {
            nz->cp[j] = nz->cp[j - 1];
            nz->ccc[j] = nz->ccc[j - 1];
            j--;
        }
        nz->cp[j] = cp;
        nz->ccc[j] = c;
    }
    utf8proc_ssize_t m =
        utf8proc_normalize_utf32(nz->cp, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (m < 0 || m > n)
        m = n; /* cannot happen with in-range code points; keep them as they are */
    for (utf8proc_ssize_t i = 0; i < m; i++)
        em_cp(nz->em, nz->cp[i]);
    nz->n = 0;
    nz->run = 0;
}

static void nz_push(normaliser *nz, int32_t cp)
{
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (is_safe_boundary(cp, p)) {
        if (nz->n >= FLUSH_AT)
            nz_flush(nz);
        nz->run = 0;
    } else {
        if (nz->run >= RUN_MAX)
            return;
        nz->run++;
    }
    nz->cp[nz->n] = cp;
    nz->ccc[nz->n] = (uint8_t)p->combining_class;
    nz->n++;
}

static void nz_sep(normaliser *nz, bool content)
{
    nz_flush(nz);
    em_sep(nz->em, content);
    nz->base = BASE_NONE;
    nz->base_cp = 0;
}

static void nz_alt(normaliser *nz)
{
    nz_flush(nz);
    em_end_alt(nz->em);
    nz->base = BASE_NONE;
    nz->base_cp = 0;
}

static void key_keep(normaliser *nz, int32_t cp, enum base_kind kind)
{
    nz->base = kind;
    nz->base_cp = cp;
    nz_push(nz, cp);
}

/* Latin letters with no decomposition, mapped to the ASCII letters they are
 * written with when the diacritic is lost.  Input is already case-folded.
 * Returns the number of code points written to `to` (0: no mapping). */
static int latin_extra(int32_t cp, int32_t to[2])
{
    switch (cp) {
    case 0x00F8: to[0] = 'o'; return 1;             /* ø */
    case 0x0142: to[0] = 'l'; return 1;             /* ł */
    case 0x0111: to[0] = 'd'; return 1;             /* đ */
    case 0x00F0: to[0] = 'd'; return 1;             /* ð */
    case 0x0256: to[0] = 'd'; return 1;             /* ɖ (Ewe, Fon) */
    case 0x0127: to[0] = 'h'; return 1;             /* ħ */
    case 0x0131: to[0] = 'i'; return 1;             /* ı */
    case 0x0167: to[0] = 't'; return 1;             /* ŧ */
    case 0x00E6: to[0] = 'a'; to[1] = 'e'; return 2; /* æ */
    case 0x0153: to[0] = 'o'; to[1] = 'e'; return 2; /* œ */
    case 0x00FE: to[0] = 't'; to[1] = 'h'; return 2; /* þ */
    case 0x00DF: to[0] = 's'; to[1] = 's'; return 2; /* ß (case folding does this too) */
    default: return 0;
    }
}

/* One code point of the NFKD + case-folded stream, for the key. */
static void key_feed(normaliser *nz, int32_t cp)
{
    if (cp < 0x80) {
        switch (KEY_CLASS[cp]) {
        case 'U': key_keep(nz, cp | 0x20, BASE_LGC); return;
        case 'l': key_keep(nz, cp, BASE_LGC); return;
        case 'n': key_keep(nz, cp, BASE_NONLETTER); return;
        case 'w': nz_sep(nz, false); return;
        case 's': nz_sep(nz, true); return;
        case 'a': nz_alt(nz); return;
        default: nz->em->alt_content = true; return;
        }
    }
    if (is_apostrophe(cp)) {
        nz->em->alt_content = true;
        return;
    }
    if (cp == 0x00B7) {
        /* Middle dot: Catalan writes l·l inside a word (Gal·la); Chinese and
         * Japanese put it between the parts of a foreign name. */
        if (nz->base_cp != 'l')
            nz_sep(nz, true);
        nz->em->alt_content = true;
        return;
    }
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->ignorable || p->category == UTF8PROC_CATEGORY_CF)
        return; /* zero-width and format characters, variation selectors */
    int cat = p->category;
    if (cat_is_mark(cat)) {
        nz->em->alt_content = true;
        if (nz->base == BASE_OTHER && !is_optional_pointing(cp))
            nz_push(nz, cp);
        return;
    }
    if (cat_is_letter(cat)) {
        int32_t to[2];
        int k = latin_extra(cp, to);
        if (k == 0) {
            key_keep(nz, cp, is_lgc(cp) ? BASE_LGC : BASE_OTHER);
        } else {
            for (int i = 0; i < k; i++)
                key_keep(nz, to[i], BASE_LGC);
        }
        return;
    }
    switch (cat) {
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
        key_keep(nz, cp, BASE_NONLETTER);
        return;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        nz_sep(nz, false);
        return;
    default:
        nz_sep(nz, true); /* punctuation and symbols */
        return;
    }
}

/* One code point of the canonically decomposed stream, for the tidy form. */
static void tidy_feed(normaliser *nz, int32_t cp)
{
    if (cp < 0x80) {
        switch (TIDY_CLASS[cp]) {
        case 'w': nz_sep(nz, false); return;
        case 'a': nz_alt(nz); return;
        default: nz_push(nz, cp); return;
        }
    }
    if (cp == 0xFEFF || cp == 0x200B || cp == 0x2060)
        return; /* byte-order mark and invisible spaces: never meant as text */
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        nz_sep(nz, false);
        return;
    default:
        nz_push(nz, cp);
        return;
    }
}

/* ------------------------------------------------------------------------
 * The two paths and the public functions.
 */
static void key_ascii(emitter *e, const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        switch (KEY_CLASS[c]) {
        case 'l': em_ascii(e, c, true); break;
        case 'U': em_ascii(e, (unsigned char)(c | 0x20), true); break;
        case 'n': em_ascii(e, c, false); break;
        case 'w': e->pending_space = e->alt_open; break;
        case 's':
            e->pending_space = e->alt_open;
            e->alt_content = true;
            break;
        case 'a': em_end_alt(e); break;
        default: e->alt_content = true; break; /* 'd' */
        }
    }
}

static void tidy_ascii(emitter *e, const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        switch (TIDY_CLASS[c]) {
        case 'L': em_ascii(e, c, true); break;
        case 'k': em_ascii(e, c, false); break;
        case 'w': e->pending_space = e->alt_open; break;
        default: em_end_alt(e); break; /* 'a' */
        }
    }
}

static void unicode_path(emitter *e, const unsigned char *s, size_t len)
{
    normaliser nz;
    nz.em = e;
    nz.n = 0;
    nz.run = 0;
    nz.base = BASE_NONE;
    nz.base_cp = 0;
    utf8proc_option_t opts = e->mode == MODE_KEY
                                 ? UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD
                                 : UTF8PROC_DECOMPOSE;
    size_t i = 0;
    while (i < len && !e->overflow) {
        int32_t cp;
        i += utf8_next(s + i, &cp);
        if (cp < 0x80) {
            /* ASCII needs no decomposition; skip the utf8proc call. */
            if (e->mode == MODE_KEY)
                key_feed(&nz, cp);
            else
                tidy_feed(&nz, cp);
            continue;
        }
        if (e->mode == MODE_KEY && cp == 0x00B4) {
            continue; /* would decompose to space + accent; it is an apostrophe */
        }
        int32_t d[DECOMP_MAX];
        utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, DECOMP_MAX, opts, NULL);
        if (n < 1 || n > DECOMP_MAX) {
            d[0] = cp;
            n = 1;
        }
        for (utf8proc_ssize_t k = 0; k < n; k++) {
            if (e->mode == MODE_KEY)
                key_feed(&nz, d[k]);
            else
                tidy_feed(&nz, d[k]);
        }
    }
    nz_flush(&nz);
}

static cl_check standardise(int mode, unsigned flags, const char *in, size_t len, char *out,
                            size_t out_cap, const char **reason)
{
    if (reason)
        *reason = NULL;
    if (in == NULL)
        len = 0;
    if (out == NULL)
        out_cap = 0;
    const unsigned char *s = (const unsigned char *)in;
    int ascii_only = 1;
    if (cl_utf8_valid_prefix(s, len, &ascii_only) != len) {
        if (out_cap > 0)
            out[0] = '\0';
        if (reason)
            *reason = "bad_utf8";
        return CL_CHECK_INVALID;
    }
    emitter e;
    em_init(&e, mode, flags, out, out_cap);
    if (!e.overflow) {
        if (!ascii_only)
            unicode_path(&e, s, len);
        else if (mode == MODE_KEY)
            key_ascii(&e, s, len);
        else
            tidy_ascii(&e, s, len);
    }
    return em_finish(&e, reason);
}

cl_check cl_name_key(const char *in, size_t len, unsigned flags, char *out, size_t out_cap,
                     const char **reason)
{
    return standardise(MODE_KEY, flags, in, len, out, out_cap, reason);
}

cl_check cl_name_tidy(const char *in, size_t len, char *out, size_t out_cap,
                      const char **reason)
{
    return standardise(MODE_TIDY, 0, in, len, out, out_cap, reason);
}
