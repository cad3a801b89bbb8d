/*
 * cmd_validate.c - `childlink validate`: check identifier values one by one.
 *
 * A thin loop over the library's validators (nhs.h, upn.h, postcode.h,
 * date.h, sex.h): each value, from the command line or one per line from
 * standard input, becomes one output line "value<TAB>verdict<TAB>detail".
 * It is the quick way to ask "why was this value refused?" and the command
 * form of the rules that `childlink clean` applies to whole files.
 *
 * Standard input is read a byte at a time into a fixed line buffer, so the
 * memory used is the same whatever comes in.  A line longer than the buffer
 * cannot be any identifier: it is echoed as it streams past and reported as
 * "too_long" without being held.  Echoed values have control characters
 * escaped so that a stray tab or carriage return cannot shift the columns.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "childlink/date.h"
#include "childlink/nhs.h"
#include "childlink/postcode.h"
#include "childlink/sex.h"
#include "childlink/upn.h"
#include "cli.h"

#define LINE_CAP 4096

static const char usage[] =
    "Usage: childlink validate --type TYPE [options] [VALUE...]\n"
    "\n"
    "Check identifier values one at a time: each is reported valid, with its\n"
    "standard form, or invalid, with the reason.  Values come from the command\n"
    "line or, when none is given, one per line from standard input (CRLF line\n"
    "ends are fine).  `childlink clean` applies the same rules to whole files.\n"
    "\n"
    "Types:\n"
    "  nhs_number  10 digits with a modulus-11 check digit; spaces and hyphens\n"
    "              are ignored; one repeated digit and the 999 test range are\n"
    "              refused.  Standard form: the 10 digits.\n"
    "  upn         Unique Pupil Number: check letter, then 12 characters; a\n"
    "              temporary UPN (letter last) is shown as \"(temporary)\".\n"
    "              Standard form: 13 characters, upper case.\n"
    "  postcode    UK postcode, any case and spacing.  Standard form: \"SW1A 1AA\".\n"
    "  dob         date of birth (see --date-format).  Standard form: yyyy-mm-dd.\n"
    "  sex         NHS codes 1 2 9 0 X, DfE codes M F, or words (male, girl,\n"
    "              not known, ...).  Standard form: M, F, I (indeterminate)\n"
    "              or U (recorded as not known).\n"
    "\n"
    "Options:\n"
    "  -t, --type TYPE         identifier type, one of the above (required)\n"
    "  -f, --date-format FMT   dob: auto (default: yyyy-mm-dd, dd/mm/yyyy,\n"
    "                          dd-mm-yyyy or yyyymmdd), iso, dmy, mdy, yyyymmdd\n"
    "  -p, --pivot-year YEAR   dob: accept two-digit years, reading each as the\n"
    "                          latest year ending in those digits that is not\n"
    "                          after YEAR (without it they are refused)\n"
    "      --today YYYY-MM-DD  dob: dates after this day are \"future_date\"\n"
    "                          (default: today, UTC)\n"
    "  -h, --help              show this text\n"
    "\n"
    "Output: one line per value, three tab-separated columns:\n"
    "  VALUE  valid    STANDARD-FORM\n"
    "  VALUE  invalid  REASON\n"
    "VALUE is echoed as given, control characters written as \\t, \\r or \\xHH.\n"
    "An empty value gives \"invalid  missing\"; a line over 4096 bytes gives\n"
    "\"invalid  too_long\".  Reasons: nhs_number wrong_length non_digit\n"
    "all_same_digit test_range check_digit_10 bad_check_digit; upn wrong_length\n"
    "bad_character bad_check_letter; postcode wrong_length bad_format; dob\n"
    "bad_format two_digit_year impossible_date future_date too_old; sex\n"
    "unknown_code (docs/identifiers.md explains each).\n"
    "\n"
    "Exit status: 0 every value valid; 1 at least one invalid or missing;\n"
    "2 bad usage (no or unknown --type, bad option); 3 error reading input or\n"
    "writing output.\n"
    "\n"
    "Example:\n"
    "  $ childlink validate --type nhs_number '943 476 5919' 9434765918\n"
    "  943 476 5919\tvalid\t9434765919\n"
    "  9434765918\tinvalid\tbad_check_digit\n"
    "  $ printf 'sw1a1aa\\r\\n' | childlink validate --type postcode\n"
    "  sw1a1aa\tvalid\tSW1A 1AA\n";

static int run(int argc, char **argv);

const cli_command cmd_validate = {"validate", "Prepare identifiers",
                                  "check identifier values one by one", usage, run};

typedef enum id_type { TYPE_NONE, TYPE_NHS, TYPE_UPN, TYPE_POSTCODE, TYPE_DOB, TYPE_SEX } id_type;

static const struct {
    const char *name;
    id_type type;
} type_names[] = {
    {"nhs_number", TYPE_NHS}, {"upn", TYPE_UPN}, {"postcode", TYPE_POSTCODE},
    {"dob", TYPE_DOB},        {"sex", TYPE_SEX},
};

static const struct {
    const char *name;
    cl_date_format format;
} format_names[] = {
    {"auto", CL_DATE_AUTO}, {"iso", CL_DATE_ISO},           {"dmy", CL_DATE_DMY},
    {"mdy", CL_DATE_MDY},   {"yyyymmdd", CL_DATE_YYYYMMDD},
};

typedef struct validate_job {
    id_type type;
    cl_date_options date;
    long invalid;   /* values that were invalid or missing */
} validate_job;

/* Write one byte of an echoed value, escaping control characters. */
static void echo_byte(unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    if (c >= 0x20 && c != 0x7f) {
        putchar_unlocked(c);
        return;
    }
    putchar_unlocked('\\');
    switch (c) {
    case '\t': putchar_unlocked('t'); break;
    case '\r': putchar_unlocked('r'); break;
    case '\n': putchar_unlocked('n'); break;
    default:
        putchar_unlocked('x');
        putchar_unlocked(hex[c >> 4]);
        putchar_unlocked(hex[c & 15]);
    }
}

static void echo(const char *value, size_t len)
{
    for (size_t i = 0; i < len; i++)
        echo_byte((unsigned char)value[i]);
}

/* Validate one value and write its verdict and detail (the columns after the
 * echoed value, with their tabs and the newline). */
static void report(validate_job *job, const char *value, size_t len)
{
    const char *reason = NULL;
    char standard[32] = "";
    const char *suffix = "";
    cl_check verdict = CL_CHECK_INVALID;

    switch (job->type) {
    case TYPE_NHS:
        verdict = cl_nhs_check(value, len, standard, &reason);
        break;
    case TYPE_UPN: {
        int temporary = 0;
        verdict = cl_upn_check(value, len, standard, &temporary, &reason);
        if (temporary)
            suffix = " (temporary)";
        break;
    }
    case TYPE_POSTCODE: {
        cl_postcode pc;
        verdict = cl_postcode_parse(value, len, &pc, &reason);
        memcpy(standard, pc.full, sizeof pc.full);
        break;
    }
    case TYPE_DOB: {
        int32_t days = 0;
        verdict = cl_date_parse(value, len, &job->date, &days, &reason);
        if (verdict == CL_CHECK_VALID)
            cl_date_format_iso(days, standard);
        break;
    }
    case TYPE_SEX:
        verdict = cl_sex_parse(value, len, &standard[0], &reason);
        standard[1] = '\0';
        break;
    case TYPE_NONE:
        break;
    }

    if (verdict == CL_CHECK_VALID) {
        fputs("\tvalid\t", stdout);
        fputs(standard, stdout);
        fputs(suffix, stdout);
    } else {
        job->invalid++;
        fputs("\tinvalid\t", stdout);
        fputs(verdict == CL_CHECK_MISSING ? "missing" : reason ? reason : "invalid", stdout);
    }
    putchar_unlocked('\n');
}

/* Validate each line of standard input.  Returns 0, or -1 on a read error. */
static int validate_stdin(validate_job *job)
{
    char line[LINE_CAP + 1];   /* room for a '\r' after a full-length value */
    size_t len = 0;
    int overflow = 0;     /* the current line has outgrown `line` */
    int held_cr = 0;      /* overflow mode: a '\r' not yet known to end the line */
    int c;

    for (;;) {
        c = getchar_unlocked();
        if (c == EOF && len == 0 && !overflow)
            break;
        if (c == '\n' || c == EOF) {
            if (overflow) {
                fputs("\tinvalid\ttoo_long\n", stdout);
                job->invalid++;
            } else {
                if (len > 0 && line[len - 1] == '\r')
                    len--;
                echo(line, len);
                if (len > LINE_CAP) {
                    fputs("\tinvalid\ttoo_long\n", stdout);
                    job->invalid++;
                } else {
                    report(job, line, len);
                }
            }
            if (ferror(stdout) || c == EOF)
                break;
            len = 0;
            overflow = held_cr = 0;
            continue;
        }
        if (overflow) {
            if (held_cr)
                echo_byte('\r');
            held_cr = c == '\r';
            if (!held_cr)
                echo_byte((unsigned char)c);
            continue;
        }
        if (len == sizeof line) {
            overflow = 1;
            echo(line, len);
            len = 0;
            held_cr = c == '\r';
            if (!held_cr)
                echo_byte((unsigned char)c);
            continue;
        }
        line[len++] = (char)c;
    }
    return ferror(stdin) ? -1 : 0;
}

static int parse_today(const char *s, int32_t *today)
{
    /* Any real day is a possible "today", so no future or age limit. */
    cl_date_options opt = {CL_DATE_ISO, 0, INT32_MAX, 1};
    return cl_date_parse(s, strlen(s), &opt, today, NULL) == CL_CHECK_VALID ? 0 : -1;
}

static int run(int argc, char **argv)
{
    enum { OPT_TODAY = 256 };
    static const struct option long_options[] = {
        {"type", required_argument, NULL, 't'},
        {"date-format", required_argument, NULL, 'f'},
        {"pivot-year", required_argument, NULL, 'p'},
        {"today", required_argument, NULL, OPT_TODAY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    validate_job job = {TYPE_NONE, {CL_DATE_AUTO, 0, 0, 0}, 0};
    int opt;

    optind = 1;
    opterr = 0;   /* report bad options ourselves, with the usage text */
    while ((opt = getopt_long(argc, argv, ":t:f:p:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 't': {
            size_t i;
            for (i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
                if (strcmp(optarg, type_names[i].name) == 0)
                    break;
            if (i == sizeof type_names / sizeof type_names[0])
                return cli_usage_error(&cmd_validate,
                                       "unknown type '%s' (nhs_number, upn, postcode, dob, sex)",
                                       optarg);
            job.type = type_names[i].type;
            break;
        }
        case 'f': {
            size_t i;
            for (i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
                if (strcmp(optarg, format_names[i].name) == 0)
                    break;
            if (i == sizeof format_names / sizeof format_names[0])
                return cli_usage_error(&cmd_validate,
                                       "unknown date format '%s' (auto, iso, dmy, mdy, yyyymmdd)",
                                       optarg);
            job.date.format = format_names[i].format;
            break;
        }
        case 'p': {
            long year;
            if (cli_parse_long(optarg, 1000, 9999, &year) != 0)
                return cli_usage_error(&cmd_validate,
                                       "--pivot-year wants a four-digit year, not '%s'", optarg);
            job.date.pivot_year = (int)year;
            break;
        }
        case OPT_TODAY:
            if (parse_today(optarg, &job.date.today) != 0)
                return cli_usage_error(&cmd_validate,
                                       "--today wants a date as yyyy-mm-dd, not '%s'", optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return cli_finish_stdout("validate");
        case ':':
            return cli_usage_error(&cmd_validate, "option '%s' needs a value",
                                   argv[optind - 1]);
        default:
            if (optopt != 0)
                return cli_usage_error(&cmd_validate, "unknown option '-%c'", optopt);
            return cli_usage_error(&cmd_validate, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (job.type == TYPE_NONE)
        return cli_usage_error(&cmd_validate, "--type is required");
    if (job.date.today == 0)
        job.date.today = cl_date_today();   /* once, not per value */

    if (optind < argc) {
        for (int i = optind; i < argc && !ferror(stdout); i++) {
            size_t len = strlen(argv[i]);
            echo(argv[i], len);
            report(&job, argv[i], len);
        }
    } else if (validate_stdin(&job) != 0) {
        fprintf(stderr, "childlink validate: error reading standard input\n");
        return CLI_EXIT_IO;
    }

    int rc = cli_finish_stdout("validate");
    if (rc != CLI_EXIT_OK)
        return rc;
    return job.invalid > 0 ? CLI_EXIT_DATA : CLI_EXIT_OK;
}
