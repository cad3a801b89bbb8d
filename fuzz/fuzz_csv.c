/*
 * fuzz_csv.c - libFuzzer target for the CSV reader and the cleaner.
 *
 * Feeds arbitrary bytes as a CSV file (small field limit, so the limit path
 * is hit too) and checks the reader's invariants: every record ends in a
 * status, fields are NUL-terminated at their stated length and valid UTF-8
 * enough to be cleaned, and an error always carries a line number.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "childlink/clean.h"
#include "childlink/csv.h"
#include "childlink/schema.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static cl_schema *schema;
    cl_error err;
    if (schema == NULL && cl_schema_load(&schema, "generic", &err) != CL_OK)
        return 0;
    FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
    if (f == NULL)
        return 0;
    if (size == 0) {
        fclose(f);
        return 0;
    }
    cl_csv_reader *r;
    if (cl_csv_from_stream(&r, f, "fuzz.csv", 256, &err) != CL_OK) {
        fclose(f);
        return 0;
    }
    cl_cleaner *c = NULL;
    cl_status st;
    long records = 0;
    while ((st = cl_csv_next(r, &err)) == CL_OK) {
        for (size_t i = 0; i < cl_csv_nfields(r); i++) {
            size_t len;
            const char *v = cl_csv_field(r, i, &len);
            assert(v[len] == '\0' && strlen(v) == len && len <= 256);
        }
        if (records++ == 0) {
            if (cl_cleaner_new(&c, schema, r, &err) != CL_OK)
                c = NULL;
            continue;
        }
        if (c != NULL) {
            cl_clean_record rec;
            if (cl_cleaner_record(c, r, &rec, &err) == CL_OK)
                for (int k = 0; k < CL_FIELD_COUNT; k++)
                    assert(rec.value[k] != NULL && strlen(rec.value[k]) == rec.len[k]);
        }
    }
    if (st != CL_END)
        assert(err.line > 0 && err.message[0] != '\0');
    cl_cleaner_free(c);
    cl_csv_close(r);
    fclose(f);
    return 0;
}
