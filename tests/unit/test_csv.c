/* Unit tests: CSV reader and writer, atomic output files, allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "childlink/csv.h"
#include "childlink/outfile.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cl_test_csv_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *bytes, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Read all of `text` and return the status of the first failure (or CL_END),
 * storing the records joined as "a|b;c|d;" in `joined`. */
static cl_status read_all(const char *text, size_t len, char *joined, size_t cap, cl_error *err)
{
    const char *path = write_file("in.csv", text, len);
    cl_csv_reader *r;
    cl_status st = cl_csv_open(&r, path, 64, err);
    assert_int_equal(st, CL_OK);
    joined[0] = '\0';
    while ((st = cl_csv_next(r, err)) == CL_OK) {
        for (size_t i = 0; i < cl_csv_nfields(r); i++) {
            if (i)
                strncat(joined, "|", cap - strlen(joined) - 1);
            strncat(joined, cl_csv_field(r, i, NULL), cap - strlen(joined) - 1);
        }
        strncat(joined, ";", cap - strlen(joined) - 1);
    }
    cl_csv_close(r);
    return st;
}

static void test_plain_and_quoted(void **state)
{
    (void)state;
    char got[512];
    cl_error err;
    const char *t = "a,b,c\n1,\"x,y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",,\n";
    assert_int_equal(read_all(t, strlen(t), got, sizeof got, &err), CL_END);
    assert_string_equal(got, "a|b|c;1|x,y|he said \"hi\";multi\nline||;");
}

static void test_crlf_bom_blank_lines_no_final_newline(void **state)
{
    (void)state;
    char got[512];
    cl_error err;
    const char *t = "\xEF\xBB\xBFid,name\r\n\r\n1,Zo\xC3\xAB\r\n2,Ann";
    assert_int_equal(read_all(t, strlen(t), got, sizeof got, &err), CL_END);
    assert_string_equal(got, "id|name;1|Zo\xC3\xAB;2|Ann;");
}

static void test_line_numbers(void **state)
{
    (void)state;
    cl_error err;
    const char *t = "h\n\"a\nb\"\nc\n";
    const char *path = write_file("lines.csv", t, strlen(t));
    cl_csv_reader *r;
    assert_int_equal(cl_csv_open(&r, path, 0, &err), CL_OK);
    assert_int_equal(cl_csv_next(r, &err), CL_OK);
    assert_int_equal(cl_csv_line(r), 1);
    assert_int_equal(cl_csv_next(r, &err), CL_OK);
    assert_int_equal(cl_csv_line(r), 2);
    assert_int_equal(cl_csv_next(r, &err), CL_OK);
    assert_int_equal(cl_csv_line(r), 4);
    assert_string_equal(cl_csv_field(r, 0, NULL), "c");
    assert_int_equal(cl_csv_next(r, &err), CL_END);
    cl_csv_close(r);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    char got[512];
    cl_error err;
    const char *t = "a,b\n1,\"open\n2,3\n";
    assert_int_equal(read_all(t, strlen(t), got, sizeof got, &err), CL_EFORMAT);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "unterminated quoted field 2"));
}

static void test_stray_quote_and_garbage_after_quote(void **state)
{
    (void)state;
    char got[512];
    cl_error err;
    const char *t = "a,b\n1,ab\"c\n";
    assert_int_equal(read_all(t, strlen(t), got, sizeof got, &err), CL_EFORMAT);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "stray quote"));
    const char *u = "a,b\n1,\"ab\"c\n";
    assert_int_equal(read_all(u, strlen(u), got, sizeof got, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "after the closing quote"));
}

static void test_invalid_utf8_and_nul_and_utf16(void **state)
{
    (void)state;
    char got[512];
    cl_error err;
    const char *t = "a\nJos\xE9\n"; /* Latin-1 e-acute */
    assert_int_equal(read_all(t, strlen(t), got, sizeof got, &err), CL_EFORMAT);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "not valid UTF-8"));
    const char overlong[] = "a\n\xC0\xAF\n";
    assert_int_equal(read_all(overlong, sizeof overlong - 1, got, sizeof got, &err), CL_EFORMAT);
    const char surrogate[] = "a\n\xED\xA0\x80\n";
    assert_int_equal(read_all(surrogate, sizeof surrogate - 1, got, sizeof got, &err), CL_EFORMAT);
    const char truncated[] = "a\nab\xE2\x82";
    assert_int_equal(read_all(truncated, sizeof truncated - 1, got, sizeof got, &err), CL_EFORMAT);
    const char nul[] = "a\nb\0c\n";
    assert_int_equal(read_all(nul, sizeof nul - 1, got, sizeof got, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "NUL"));
    const char utf16[] = "\xFF\xFE" "a\0";
    assert_int_equal(read_all(utf16, sizeof utf16 - 1, got, sizeof got, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "UTF-16"));
}

static void test_field_limit(void **state)
{
    (void)state;
    char got[512];
    cl_error err;
    char big[300];
    memset(big, 'x', sizeof big);
    big[0] = 'a';
    big[1] = '\n';
    big[sizeof big - 1] = '\n';
    assert_int_equal(read_all(big, sizeof big, got, sizeof got, &err), CL_ELIMIT);
    assert_non_null(strstr(err.message, "longer than the limit of 64 bytes"));
}

static void test_empty_file(void **state)
{
    (void)state;
    char got[16];
    cl_error err;
    assert_int_equal(read_all("", 0, got, sizeof got, &err), CL_END);
    assert_string_equal(got, "");
}

static void test_missing_file(void **state)
{
    (void)state;
    cl_error err;
    cl_csv_reader *r;
    assert_int_equal(cl_csv_open(&r, "/nonexistent/x.csv", 0, &err), CL_EIO);
    assert_null(r);
    assert_string_equal(err.file, "/nonexistent/x.csv");
}

static void test_large_record_crosses_windows(void **state)
{
    (void)state;
    /* 600 KiB of rows, so records straddle the 256 KiB input window. */
    size_t rows = 60000;
    char *t = malloc(rows * 12 + 1);
    assert_non_null(t);
    size_t n = 0;
    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(t + n, "%06zu,\"q\"\n", i);
    const char *path = write_file("big.csv", t, n);
    free(t);
    cl_error err;
    cl_csv_reader *r;
    assert_int_equal(cl_csv_open(&r, path, 0, &err), CL_OK);
    size_t i = 0;
    cl_status st;
    while ((st = cl_csv_next(r, &err)) == CL_OK) {
        char want[16];
        sprintf(want, "%06zu", i);
        assert_string_equal(cl_csv_field(r, 0, NULL), want);
        assert_string_equal(cl_csv_field(r, 1, NULL), "q");
        assert_int_equal(cl_csv_line(r), (long)i + 1);
        i++;
    }
    assert_int_equal(st, CL_END);
    assert_int_equal(i, rows);
    cl_csv_close(r);
}

static void test_writer_roundtrip(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/w.csv", dir);
    cl_error err;
    cl_outfile *o;
    assert_int_equal(cl_outfile_open(&o, path, 0, &err), CL_OK);
    cl_csv_writer *w = cl_csv_writer_new(cl_outfile_stream(o));
    assert_non_null(w);
    cl_csv_write_str(w, "plain");
    cl_csv_write_str(w, "a,b");
    cl_csv_write_str(w, "say \"x\"");
    cl_csv_write_fmt(w, "%d", 42);
    cl_csv_end_row(w);
    cl_csv_write_str(w, "");
    cl_csv_write_str(w, "line\nbreak");
    cl_csv_end_row(w);
    assert_int_equal(cl_csv_writer_flush(w), CL_OK);
    cl_csv_writer_free(w);
    assert_int_equal(cl_outfile_commit(o, &err), CL_OK);
    char got[512];
    FILE *f = fopen(path, "rb");
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    assert_string_equal(got, "plain,\"a,b\",\"say \"\"x\"\"\",42\n,\"line\nbreak\"\n");
    char joined[512];
    assert_int_equal(read_all(got, n, joined, sizeof joined, &err), CL_END);
    assert_string_equal(joined, "plain|a,b|say \"x\"|42;|line\nbreak;");
}

static int count_entries(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void test_outfile_abort_leaves_nothing(void **state)
{
    (void)state;
    int before = count_entries();
    char path[256];
    snprintf(path, sizeof path, "%s/aborted.csv", dir);
    cl_error err;
    cl_outfile *o;
    assert_int_equal(cl_outfile_open(&o, path, 0, &err), CL_OK);
    fputs("partial", cl_outfile_stream(o));
    cl_outfile_abort(o);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(count_entries(), before);
}

static void test_outfile_no_clobber_and_private(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/key", dir);
    cl_error err;
    cl_outfile *o;
    assert_int_equal(cl_outfile_open(&o, path, CL_OUTFILE_NO_CLOBBER | CL_OUTFILE_PRIVATE, &err),
                     CL_OK);
    fputs("secret", cl_outfile_stream(o));
    assert_int_equal(cl_outfile_commit(o, &err), CL_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(cl_outfile_open(&o, path, CL_OUTFILE_NO_CLOBBER, &err), CL_EEXIST);
    assert_null(o);
}

static void test_outfile_bad_directory(void **state)
{
    (void)state;
    cl_error err;
    cl_outfile *o;
    assert_int_equal(cl_outfile_open(&o, "/nonexistent-dir/out.csv", 0, &err), CL_EIO);
    assert_non_null(strstr(err.message, "cannot create output"));
}

static void test_outfile_full_disk(void **state)
{
    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    /* Writes that fail must surface at commit; /dev/full stands in for a full disk. */
    cl_csv_writer *w;
    FILE *f = fopen("/dev/full", "wb");
    assert_non_null(f);
    w = cl_csv_writer_new(f);
    for (int i = 0; i < 100000; i++)
        cl_csv_write_str(w, "data");
    assert_int_equal(cl_csv_writer_flush(w), CL_EIO);
    cl_csv_writer_free(w);
    fclose(f);
}

static void test_alloc_failure_is_reported(void **state)
{
    (void)state;
    const char *path = write_file("oom.csv", "a\n", 2);
    for (long n = 1; n <= 6; n++) {
        cl_error err;
        cl_csv_reader *r = NULL;
        cl_alloc_fail_after(n);
        cl_status st = cl_csv_open(&r, path, 0, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            cl_csv_close(r);
        } else {
            assert_int_equal(st, CL_ENOMEM);
            assert_null(r);
        }
    }
    size_t before = cl_alloc_bytes_in_use();
    cl_error err;
    cl_csv_reader *r;
    assert_int_equal(cl_csv_open(&r, path, 0, &err), CL_OK);
    assert_true(cl_alloc_bytes_in_use() > before);
    cl_csv_close(r);
    assert_int_equal(cl_alloc_bytes_in_use(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_quoted),
        cmocka_unit_test(test_crlf_bom_blank_lines_no_final_newline),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_stray_quote_and_garbage_after_quote),
        cmocka_unit_test(test_invalid_utf8_and_nul_and_utf16),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_large_record_crosses_windows),
        cmocka_unit_test(test_writer_roundtrip),
        cmocka_unit_test(test_outfile_abort_leaves_nothing),
        cmocka_unit_test(test_outfile_no_clobber_and_private),
        cmocka_unit_test(test_outfile_bad_directory),
        cmocka_unit_test(test_outfile_full_disk),
        cmocka_unit_test(test_alloc_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
