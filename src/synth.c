/*
 * synth.c - `cl_synth_run`: one synthetic population, written atomically.
 *
 * The run resolves the parameters (built-in defaults, then the config file,
 * then the caller's options), builds the model (areas, schools, name
 * tables), opens every output as a temporary file beside its destination,
 * streams the population family by family into them, and only when all of
 * it has been written and flushed renames each into place, params.json last.
 * Any failure aborts every output, so a directory never holds a half-written
 * population that looks whole.
 *
 * Also here: the integer formatters every synth file uses, so that no
 * output depends on the C library's floating-point printing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "childlink/date.h"
#include "childlink/outfile.h"
#include "synth_internal.h"

/* ---------------------------------------------------------- formatting */

size_t synth_fmt_long(char *out, long long v)
{
    char tmp[24];
    size_t n = 0, o = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        out[o++] = '-';
    while (n > 0)
        out[o++] = tmp[--n];
    out[o] = '\0';
    return o;
}

static void two(char *out, int v)
{
    out[0] = (char)('0' + v / 10 % 10);
    out[1] = (char)('0' + v % 10);
}

static void four(char *out, int v)
{
    two(out, v / 100);
    two(out + 2, v % 100);
}

size_t synth_fmt_iso(char *out, int32_t day)
{
    int y, m, d;
    cl_date_to_ymd(day, &y, &m, &d);
    four(out, y);
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
    out[10] = '\0';
    return 10;
}

size_t synth_fmt_dmy(char *out, int32_t day)
{
    int y, m, d;
    cl_date_to_ymd(day, &y, &m, &d);
    two(out, d);
    out[2] = '/';
    two(out + 3, m);
    out[5] = '/';
    four(out + 6, y);
    out[10] = '\0';
    return 10;
}

size_t synth_fmt_compact(char *out, int32_t day)
{
    int y, m, d;
    cl_date_to_ymd(day, &y, &m, &d);
    four(out, y);
    two(out + 4, m);
    two(out + 6, d);
    out[8] = '\0';
    return 8;
}

/* -------------------------------------------------------------- options */

void cl_synth_options_default(cl_synth_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->children = 20000;
    opt->seed = 1;
    opt->first_year = 2005;
    opt->last_year = 2020;
    opt->areas = 10;
    opt->error_scale = 1.0;
}

cl_status cl_synth_load_config(cl_synth_options *opt, const char *path, cl_error *err)
{
    synth_params p;
    synth_params_default(&p);
    p.children = opt->children;
    p.seed = opt->seed;
    p.first_year = opt->first_year;
    p.last_year = opt->last_year;
    p.areas = opt->areas;
    p.error_scale = opt->error_scale;
    cl_status st = synth_params_apply_file(&p, path, 1, err);
    if (st != CL_OK)
        return st;
    opt->children = p.children;
    opt->seed = p.seed;
    opt->first_year = p.first_year;
    opt->last_year = p.last_year;
    opt->areas = p.areas;
    opt->error_scale = p.error_scale;
    opt->config_path = path;
    return CL_OK;
}

static cl_status resolve_params(synth_params *p, const cl_synth_options *opt, cl_error *err)
{
    synth_params_default(p);
    if (opt->config_path != NULL) {
        cl_status st = synth_params_apply_file(p, opt->config_path, 0, err);
        if (st != CL_OK)
            return st;
    }
    if (opt->children < 1)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "the number of children must be at least 1 (%ld given)",
                            opt->children);
    if (opt->seed > (uint64_t)INT64_MAX)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the seed must be below 2^63");
    if (!(opt->error_scale >= 0.0 && opt->error_scale <= 100.0))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "the error scale must be 0 to 100");
    p->children = opt->children;
    p->seed = opt->seed;
    p->first_year = opt->first_year;
    p->last_year = opt->last_year;
    p->areas = opt->areas;
    /* The same rounding as values read from a file, so that params.json
     * read back gives the same run. */
    p->error_scale = (double)(int64_t)(opt->error_scale * 1e9 + 0.5) / 1e9;
    return synth_params_finish(p, err);
}

/* ---------------------------------------------------------- directory */

static cl_status prepare_directory(const char *dir, int force, cl_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return cl_error_set(err, CL_EIO, dir, 0, "cannot use output directory: %s",
                                strerror(errno));
        if (mkdir(dir, 0777) != 0)
            return cl_error_set(err, CL_EIO, dir, 0, "cannot create output directory: %s",
                                strerror(errno));
        return CL_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return cl_error_set(err, CL_EIO, dir, 0, "exists and is not a directory");
    DIR *d = opendir(dir);
    if (d == NULL)
        return cl_error_set(err, CL_EIO, dir, 0, "cannot read output directory: %s",
                            strerror(errno));
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    if (!empty && !force)
        return cl_error_set(err, CL_EEXIST, dir, 0,
                            "output directory is not empty (use --force to overwrite)");
    return CL_OK;
}

/* -------------------------------------------------------------- outputs */

enum {
    OUT_TRUTH = SYNTH_N_SOURCES,
    OUT_PEOPLE,
    OUT_AREAS,
    OUT_POSTCODES,
    OUT_SCHOOLS,
    OUT_SUMMARY,
    OUT_PARAMS,
    N_OUTPUTS
};

static const char *const output_names[N_OUTPUTS] = {
    "hes_apc.csv", "ecds.csv", "camhs.csv", "npd_census.csv", "npd_absence.csv",
    "npd_ks2.csv", "npd_ks4.csv", "npd_exclusions.csv", "csc_cin.csv", "csc_cla.csv",
    "truth.csv", "people.csv", "areas.csv", "postcodes.csv", "schools.csv",
    "error_summary.csv", "params.json",
};

typedef struct run_state {
    cl_outfile *file[N_OUTPUTS];
    cl_csv_writer *csv[N_OUTPUTS];
} run_state;

static void close_all(run_state *s)
{
    for (int i = 0; i < N_OUTPUTS; i++) {
        cl_csv_writer_free(s->csv[i]);
        cl_outfile_abort(s->file[i]);
        s->csv[i] = NULL;
        s->file[i] = NULL;
    }
}

static cl_status open_all(run_state *s, const char *dir, cl_error *err)
{
    size_t dir_len = strlen(dir);
    for (int i = 0; i < N_OUTPUTS; i++) {
        char path[4096];
        if (dir_len + strlen(output_names[i]) + 2 > sizeof path)
            return cl_error_set(err, CL_EIO, dir, 0, "output directory name is too long");
        snprintf(path, sizeof path, "%s%s%s", dir,
                 dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/", output_names[i]);
        cl_status st = cl_outfile_open(&s->file[i], path, CL_OUTFILE_OVERWRITE, err);
        if (st != CL_OK)
            return st;
        if (i != OUT_PARAMS &&
            (s->csv[i] = cl_csv_writer_new(cl_outfile_stream(s->file[i]))) == NULL)
            return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
    }
    return CL_OK;
}

static void put_long(cl_csv_writer *w, long long v)
{
    char buf[24];
    cl_csv_write_field(w, buf, synth_fmt_long(buf, v));
}

static void put_rate(cl_csv_writer *w, int64_t nano)
{
    char buf[40];
    cl_csv_write_field(w, buf, synth_fmt_nano(buf, nano));
}

/* error_summary.csv: per source and kind, the configured rate and what was
 * measured.  Rates are exact ratios of integers, written as decimals. */
static void write_summary(cl_csv_writer *w, const synth_params *p, const synth_counts *c)
{
    static const char *const header[] = {"source", "error", "configured_rate", "eligible",
                                         "applied", "measured_rate", "records"};
    for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
        cl_csv_write_str(w, header[i]);
    cl_csv_end_row(w);
    for (int s = 0; s < SYNTH_N_SOURCES; s++)
        for (int k = 0; k < SYNTH_N_KINDS; k++) {
            if (!(synth_source_fields[s] & (1u << synth_kind_field[k])))
                continue;
            double configured = p->error_rate[s][k] * p->error_scale;
            if (configured > 1.0)
                configured = 1.0;
            long eligible = c->eligible[s][k], applied = c->applied[s][k];
            cl_csv_write_str(w, synth_source_names[s]);
            cl_csv_write_str(w, synth_kind_names[k]);
            put_rate(w, (int64_t)(configured * 1e9 + 0.5));
            put_long(w, eligible);
            put_long(w, applied);
            if (eligible > 0) {
                /* applied/eligible rounded to a millionth, in integers. */
                long long micro = ((long long)applied * 1000000 + eligible / 2) / eligible;
                put_rate(w, micro * 1000);
            } else {
                cl_csv_write_str(w, "");
            }
            put_long(w, c->records[s]);
            cl_csv_end_row(w);
        }
}

cl_status cl_synth_run(const cl_synth_options *opt, const char *out_dir, cl_error *err)
{
    cl_synth_options defaults;
    if (opt == NULL) {
        cl_synth_options_default(&defaults);
        opt = &defaults;
    }
    cl_error_clear(err);
    synth_params *p = cl_malloc(sizeof *p);
    if (p == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    synth_model model;
    memset(&model, 0, sizeof model);
    synth_names *names = NULL;
    synth_gen *gen = NULL;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    cl_status st;

    if ((st = resolve_params(p, opt, err)) != CL_OK ||
        (st = prepare_directory(out_dir, opt->force, err)) != CL_OK ||
        (st = synth_model_build(&model, p, err)) != CL_OK ||
        (st = synth_names_new(&names, err)) != CL_OK ||
        (st = open_all(&rs, out_dir, err)) != CL_OK)
        goto done;

    synth_outputs outputs;
    for (int s = 0; s < SYNTH_N_SOURCES; s++)
        outputs.source[s] = rs.csv[s];
    outputs.truth = rs.csv[OUT_TRUTH];
    outputs.people = rs.csv[OUT_PEOPLE];
    if ((st = synth_gen_new(&gen, p, &model, names, &outputs, err)) != CL_OK)
        goto done;
    synth_model_write_areas(&model, p, rs.csv[OUT_AREAS]);
    synth_model_write_postcodes(&model, rs.csv[OUT_POSTCODES]);
    synth_model_write_schools(&model, rs.csv[OUT_SCHOOLS]);
    synth_gen_write_headers(gen);

    long step = p->children / 10 > 0 ? p->children / 10 : 1;
    long next_report = step;
    long done_children = 0;
    int made;
    while ((made = synth_gen_family(gen)) > 0) {
        done_children += made;
        if (opt->progress != NULL && done_children >= next_report) {
            opt->progress(opt->progress_ctx, done_children, p->children);
            next_report = (done_children / step + 1) * step;
        }
    }
    write_summary(rs.csv[OUT_SUMMARY], p, synth_gen_counts(gen));
    for (int i = 0; i < N_OUTPUTS; i++) {
        if (rs.csv[i] != NULL && cl_csv_writer_flush(rs.csv[i]) != CL_OK) {
            st = cl_error_set(err, CL_EIO, cl_outfile_path(rs.file[i]), 0,
                              "error writing output: %s", strerror(errno));
            goto done;
        }
    }
    if ((st = synth_params_write(p, cl_outfile_stream(rs.file[OUT_PARAMS]))) != CL_OK) {
        cl_error_set(err, CL_EIO, cl_outfile_path(rs.file[OUT_PARAMS]), 0,
                     "error writing output");
        goto done;
    }
    /* Commit in order, params.json last: its presence marks a complete run. */
    for (int i = 0; i < N_OUTPUTS; i++) {
        cl_csv_writer_free(rs.csv[i]);
        rs.csv[i] = NULL;
        cl_outfile *f = rs.file[i];
        rs.file[i] = NULL;
        if ((st = cl_outfile_commit(f, err)) != CL_OK)
            goto done;
    }
done:
    close_all(&rs);
    synth_gen_free(gen);
    synth_names_free(names);
    synth_model_free(&model);
    cl_free(p);
    return st;
}
