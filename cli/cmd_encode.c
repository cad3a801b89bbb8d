/*
 * cmd_encode.c - `childlink encode`: split an extract into an identifier
 * file (tokens, Bloom filters) and a payload file, or write clkhash CLKs.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childlink/clk.h"
#include "childlink/encode.h"
#include "childlink/outfile.h"
#include "childlink/schema.h"
#include "cli.h"

static int run(int argc, char **argv);

const cli_command cmd_encode = {
    "encode", "Pseudonymise at source", "split an extract into identifier and payload files",
    "Usage: childlink encode IN.csv --schema S --key PROJECT.key --ids IDS.csv\n"
    "                        --payload PAYLOAD.csv [--source NAME] [Bloom options]\n"
    "       childlink encode IN.csv --clkhash-schema S.json --secret FILE --out CLKS.json\n"
    "\n"
    "Cleans every identifier through the schema, then writes two files, both starting\n"
    "with record_token (a keyed hash of source and record id):\n"
    "  IDS.csv      for the linkage unit: keyed tokens (nhs_number, upn, local_id, dob,\n"
    "               sex, postcode_yob, postcode_sector_dob, postcode_district_dob, dob_year,\n"
    "               surname_sdx_ym, names_sdx_yob, postcode_initial, dob_forename_initial,\n"
    "               dob_surname_initial, other_id, dob_year_month), nhs_number_valid,\n"
    "               upn_valid, filters_salted, bloom_scheme, and base64 Bloom filters\n"
    "               bf_forenames, bf_surname, bf_dob, bf_postcode, bf_address (address\n"
    "               lines and place), bf_record, and filters_balanced.  No clear\n"
    "               identifier.\n"
    "  PAYLOAD.csv  for analysts: every column the schema neither maps nor lists as\n"
    "               identifying, unchanged, in input order.  No identifier.\n"
    "A schema that would let a column whose name looks identifying (name, forename,\n"
    "surname, dob, birth, postcode, address, nhs, upn, email, phone) into the payload is\n"
    "refused, naming the column.  Same input and key give the same bytes.  See\n"
    "docs/privacy.md for the formats, the threat model and the defaults.\n"
    "\n"
    "Options:\n"
    "  --schema S        built-in schema name or JSON schema file (default: generic)\n"
    "  --key FILE        project key from `childlink keygen` (mode 0600)\n"
    "  --ids FILE        identifier file to write\n"
    "  --payload FILE    payload file to write\n"
    "  --source NAME     source name in record tokens (default: the schema's source,\n"
    "                    else the input file name without directory and extension)\n"
    "  --bloom-bits N    filter length in bits, a multiple of 64 (default 1024)\n"
    "  --bloom-k K       bit positions per q-gram (default: a fixed budget of N/8 bits per\n"
    "                    field, spread over its q-grams)\n"
    "  --q Q             q-gram length, 1 to 4 (default 2)\n"
    "  --salt S          salt name, postcode and address filters with: month (the year\n"
    "                    and month of birth; default), dob (the whole date), year, or\n"
    "                    none; month and dob fall back to the year where the date is\n"
    "                    not known that far.  The year alone lets a frequency attack\n"
    "                    recover common names in a large population (docs/privacy.md)\n"
    "  --no-salt         the same as --salt none\n"
    "  --bloom-flip P    flip each filter bit with probability P (0 to 0.5; default 0)\n"
    "  --bloom-xor-fold  fold each filter in half by XOR\n"
    "  --bloom-balance   balanced filters: each filter with its complement, shuffled by a\n"
    "                    keyed permutation, so every filter sets exactly half its bits\n"
    "                    (doubles the length)\n"
    "  --clkhash-schema S.json, --secret FILE, --out FILE\n"
    "                    anonlink-compatible mode: CLKs as clkhash 0.18 writes them\n"
    "                    (docs/clkhash-compat.md); IN.csv must match the schema's columns\n"
    "\n"
    "Outputs are written whole or not at all.\n"
    "Exit status: 0 ok, 1 bad input (data, schema or key file), 2 bad usage, 3 I/O error\n"
    "(including a missing key file), 4 out of memory or a field over the 64 KiB limit.\n"
    "\n"
    "Example:\n"
    "  childlink keygen --out project.key\n"
    "  childlink encode hes.csv --schema hes_apc --key project.key \\\n"
    "      --ids hes.ids.csv --payload hes.payload.csv\n",
    run,
};

static void show_progress(long records)
{
    cli_progress("encode", "%ld records", records);
}

/* "dir/hes.extract.csv" -> "hes.extract" */
static void file_stem(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        n = (size_t)(dot - base);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

static int run_clkhash(const char *in, const char *schema_path, const char *secret_path,
                       const char *out_path)
{
    cl_error err;
    cl_error_clear(&err);
    cl_clk_schema *schema = NULL;
    cl_clk_encoder *enc = NULL;
    cl_outfile *out = NULL;
    unsigned char *secret = NULL;
    size_t secret_len = 0, count = 0;
    cl_status st = cl_clk_schema_load(&schema, schema_path, &err);
    if (st == CL_OK)
        st = cl_clk_secret_load(secret_path, &secret, &secret_len, &err);
    if (st == CL_OK)
        st = cl_clk_encoder_new(&enc, schema, secret, secret_len, &err);
    cl_clk_secret_free(secret, secret_len);
    if (st == CL_OK)
        st = cl_outfile_open(&out, out_path, 0, &err);
    if (st == CL_OK)
        st = cl_clk_encode_csv(enc, in, cl_outfile_stream(out), &count, &err);
    if (st == CL_OK) {
        st = cl_outfile_commit(out, &err);
        out = NULL;
    }
    cl_outfile_abort(out);
    cl_clk_encoder_free(enc);
    cl_clk_schema_free(schema);
    if (st != CL_OK)
        return cli_fail("encode", &err);
    printf("%s: %zu records encoded as CLKs into %s\n", in, count, out_path);
    return cli_finish_stdout("encode");
}

static int run(int argc, char **argv)
{
    enum { O_SCHEMA = 256, O_KEY, O_IDS, O_PAYLOAD, O_SOURCE, O_BITS, O_K, O_Q, O_NOSALT, O_SALT,
           O_FLIP, O_FOLD, O_BALANCE, O_CLK_SCHEMA, O_SECRET, O_OUT, O_HELP };
    static const struct option options[] = {
        {"schema", required_argument, NULL, O_SCHEMA},
        {"key", required_argument, NULL, O_KEY},
        {"ids", required_argument, NULL, O_IDS},
        {"payload", required_argument, NULL, O_PAYLOAD},
        {"source", required_argument, NULL, O_SOURCE},
        {"bloom-bits", required_argument, NULL, O_BITS},
        {"bloom-k", required_argument, NULL, O_K},
        {"q", required_argument, NULL, O_Q},
        {"no-salt", no_argument, NULL, O_NOSALT},
        {"salt", required_argument, NULL, O_SALT},
        {"bloom-flip", required_argument, NULL, O_FLIP},
        {"bloom-xor-fold", no_argument, NULL, O_FOLD},
        {"bloom-balance", no_argument, NULL, O_BALANCE},
        {"clkhash-schema", required_argument, NULL, O_CLK_SCHEMA},
        {"secret", required_argument, NULL, O_SECRET},
        {"out", required_argument, NULL, O_OUT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *schema_name = "generic", *key_path = NULL, *ids = NULL, *payload = NULL;
    const char *source = NULL, *clk_schema = NULL, *secret = NULL, *out = NULL;
    cl_encode_options eopt;
    cl_encode_options_init(&eopt);
    long lv;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case O_SCHEMA: schema_name = optarg; break;
        case O_KEY: key_path = optarg; break;
        case O_IDS: ids = optarg; break;
        case O_PAYLOAD: payload = optarg; break;
        case O_SOURCE: source = optarg; break;
        case O_BITS:
            if (cli_parse_long(optarg, 64, 65536, &lv) != 0 || lv % 64 != 0)
                return cli_usage_error(&cmd_encode,
                                       "--bloom-bits must be a multiple of 64 from 64 to 65536");
            eopt.bloom_bits = (unsigned)lv;
            break;
        case O_K:
            if (cli_parse_long(optarg, 1, 256, &lv) != 0)
                return cli_usage_error(&cmd_encode, "--bloom-k must be 1 to 256");
            eopt.bloom_k = (unsigned)lv;
            break;
        case O_Q:
            if (cli_parse_long(optarg, 1, 4, &lv) != 0)
                return cli_usage_error(&cmd_encode, "--q must be 1 to 4");
            eopt.q = (unsigned)lv;
            break;
        case O_NOSALT: eopt.salt = CL_SALT_NONE; break;
        case O_SALT:
            if (strcmp(optarg, "dob") == 0)
                eopt.salt = CL_SALT_DOB;
            else if (strcmp(optarg, "month") == 0)
                eopt.salt = CL_SALT_YEAR_MONTH;
            else if (strcmp(optarg, "year") == 0)
                eopt.salt = CL_SALT_BIRTH_YEAR;
            else if (strcmp(optarg, "none") == 0)
                eopt.salt = CL_SALT_NONE;
            else
                return cli_usage_error(&cmd_encode, "--salt must be dob, month, year or none");
            break;
        case O_FLIP:
            if (cli_parse_double(optarg, 0.0, 0.5, &eopt.flip_probability) != 0)
                return cli_usage_error(&cmd_encode, "--bloom-flip must be from 0 to 0.5");
            break;
        case O_FOLD: eopt.xor_fold = 1; break;
        case O_BALANCE: eopt.balance = 1; break;
        case O_CLK_SCHEMA: clk_schema = optarg; break;
        case O_SECRET: secret = optarg; break;
        case O_OUT: out = optarg; break;
        case O_HELP: fputs(cmd_encode.usage, stdout); return cli_finish_stdout("encode");
        default:
            return cli_usage_error(&cmd_encode, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(&cmd_encode, "give exactly one input file");
    const char *in = argv[optind];

    if (clk_schema || secret || out) {
        if (!clk_schema || !secret || !out)
            return cli_usage_error(&cmd_encode,
                                   "--clkhash-schema, --secret and --out go together");
        if (key_path || ids || payload)
            return cli_usage_error(&cmd_encode,
                                   "--clkhash-schema mode takes no --key, --ids or --payload");
        if (strcmp(in, out) == 0)
            return cli_usage_error(&cmd_encode, "input and output must be different files");
        return run_clkhash(in, clk_schema, secret, out);
    }
    if (key_path == NULL)
        return cli_usage_error(&cmd_encode, "--key is required");
    if (ids == NULL || payload == NULL)
        return cli_usage_error(&cmd_encode, "--ids and --payload are required");
    if (strcmp(ids, payload) == 0 || strcmp(in, ids) == 0 || strcmp(in, payload) == 0 ||
        strcmp(ids, "-") == 0 || strcmp(payload, "-") == 0)
        return cli_usage_error(&cmd_encode,
                               "input, --ids and --payload must be three different files");
    if (strcmp(ids, key_path) == 0 || strcmp(payload, key_path) == 0)
        return cli_usage_error(&cmd_encode, "an output would overwrite the key file");

    cl_error err;
    cl_error_clear(&err);
    cl_schema *schema = NULL;
    cl_key *key = NULL;
    cl_status st = cl_schema_load(&schema, schema_name, &err);
    if (st != CL_OK)
        return cli_fail("encode", &err);
    if ((st = cl_key_load(&key, key_path, &err)) != CL_OK) {
        cl_schema_free(schema);
        return cli_fail("encode", &err);
    }
    char stem[128];
    if (source == NULL && cl_schema_source(schema)[0] == '\0') {
        file_stem(in, stem, sizeof stem);
        source = stem;
    }
    eopt.source = source;
    cl_encode_stats stats;
    st = cl_encode_file(in, schema, key, &eopt, ids, payload, &stats, show_progress, &err);
    cl_key_free(key);
    cl_schema_free(schema);
    if (st != CL_OK)
        return cli_fail("encode", &err);
    printf("%s: %ld records encoded with key %s\n", in, stats.records, stats.key_id);
    printf("ids: %s (%d tokens, %d filters); payload: %s (%d columns)\n", ids,
           (int)CL_TOKEN_COUNT, (int)CL_FILTER_COUNT, payload, stats.payload_columns);
    for (int t = 0; t < CL_TOKEN_COUNT; t++)
        printf("  %-22s %ld\n", cl_encode_token_name((cl_encode_token)t), stats.tokens[t]);
    for (int f = 0; f < CL_FILTER_COUNT; f++)
        printf("  %-22s %ld\n", cl_encode_filter_name((cl_encode_filter)f), stats.filters[f]);
    return cli_finish_stdout("encode");
}
