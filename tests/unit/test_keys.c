/*
 * test_keys.c - project keys: generation, the key-file format and its
 * refusals (missing, short, garbled, corrupted id, too permissive), and the
 * keyed hash checked against OpenSSL's one-shot HMAC and RFC 4231 test case 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "childlink/keys.h"

static char dir[] = "/tmp/test_keys.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static const unsigned char fixed[CL_KEY_BYTES] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};
static const char fixed_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void test_generate_differs(void **state)
{
    (void)state;
    cl_key *a = NULL, *b = NULL;
    assert_int_equal(cl_key_generate(&a, NULL), CL_OK);
    assert_int_equal(cl_key_generate(&b, NULL), CL_OK);
    assert_int_equal(strlen(cl_key_id(a)), CL_KEY_ID_CHARS);
    assert_string_not_equal(cl_key_id(a), cl_key_id(b));
    cl_key_free(a);
    cl_key_free(b);
    cl_key_free(NULL);
}

static void test_id_is_sha256_of_label_and_key(void **state)
{
    (void)state;
    cl_key *k = NULL;
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, NULL), CL_OK);
    unsigned char buf[16 + CL_KEY_BYTES], digest[32];
    memcpy(buf, "childlink key id", 16);
    memcpy(buf + 16, fixed, CL_KEY_BYTES);
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(buf, sizeof buf, digest, &len, EVP_sha256(), NULL), 1);
    char want[9];
    snprintf(want, sizeof want, "%02x%02x%02x%02x", digest[0], digest[1], digest[2], digest[3]);
    assert_string_equal(cl_key_id(k), want);
    cl_key_free(k);
    cl_error err;
    assert_int_equal(cl_key_from_bytes(&k, fixed, 31, &err), CL_EINVAL);
    assert_null(k);
}

static void test_save_load_roundtrip(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/project.key", dir);
    cl_key *k = NULL, *back = NULL;
    cl_error err;
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, NULL), CL_OK);
    assert_int_equal(cl_key_save(k, path, &err), CL_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    FILE *f = fopen(path, "rb");
    char line[200] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    char want[200];
    snprintf(want, sizeof want, "childlink-key/1 %s %s\n", cl_key_id(k), fixed_hex);
    assert_string_equal(line, want);
    /* Never overwrites. */
    assert_int_equal(cl_key_save(k, path, &err), CL_EEXIST);
    assert_int_equal(cl_key_load(&back, path, &err), CL_OK);
    assert_string_equal(cl_key_id(back), cl_key_id(k));
    cl_key_free(back);
    cl_key_free(k);
}

static void expect_load(const char *name, const char *text, mode_t mode, cl_status want,
                        const char *message_part)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text, mode);
    cl_key *k = (cl_key *)1;
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(cl_key_load(&k, path, &err), want);
    if (want == CL_OK) {
        assert_non_null(k);
        cl_key_free(k);
        return;
    }
    assert_null(k);
    if (strstr(err.message, message_part) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, message_part);
    /* The key itself never appears in a message. */
    assert_null(strstr(err.message, "0a0b0c0d"));
}

static void test_load_refusals(void **state)
{
    (void)state;
    cl_key *k = NULL;
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, NULL), CL_OK);
    char good[200], text[240];
    snprintf(good, sizeof good, "childlink-key/1 %s %s", cl_key_id(k), fixed_hex);
    cl_key_free(k);

    cl_error err;
    char missing[256];
    snprintf(missing, sizeof missing, "%s/none.key", dir);
    assert_int_equal(cl_key_load(&k, missing, &err), CL_EIO);
    assert_non_null(strstr(err.message, "cannot open key file"));

    snprintf(text, sizeof text, "%s\r\n", good);
    expect_load("crlf.key", text, 0600, CL_OK, "");   /* CRLF is fine */
    expect_load("world.key", good, 0644, CL_EFORMAT, "readable or writable by other users");
    expect_load("group.key", good, 0640, CL_EFORMAT, "mode 640");
    expect_load("empty.key", "", 0600, CL_EFORMAT, "empty");
    expect_load("magic.key", "secret-key 1234", 0600, CL_EFORMAT, "not a childlink key file");
    snprintf(text, sizeof text, "%.*s", (int)strlen(good) - 2, good);
    expect_load("short.key", text, 0600, CL_EFORMAT, "malformed key file");
    snprintf(text, sizeof text, "%s\nextra\n", good);
    expect_load("extra.key", text, 0600, CL_EFORMAT, "malformed key file");
    snprintf(text, sizeof text, "%s", good);
    text[strlen(text) - 5] = 'g';
    expect_load("nothex.key", text, 0600, CL_EFORMAT, "not 64 hex digits");
    snprintf(text, sizeof text, "%s", good);
    text[strlen(text) - 1] = text[strlen(text) - 1] == '0' ? '1' : '0';
    expect_load("corrupt.key", text, 0600, CL_EFORMAT, "key id does not match");
    snprintf(text, sizeof text, "%s", good);
    text[16] = 'z';
    expect_load("badid.key", text, 0600, CL_EFORMAT, "bad key id");
    /* A directory is not a key file. */
    assert_int_equal(cl_key_load(&k, dir, &err), CL_EFORMAT);
}

static void test_parse_ok_uppercase_hex(void **state)
{
    (void)state;
    cl_key *k = NULL, *u = NULL;
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, NULL), CL_OK);
    char text[200];
    snprintf(text, sizeof text, "childlink-key/1 %s %s\n", cl_key_id(k), fixed_hex);
    for (char *p = text + 16; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    assert_int_equal(cl_key_parse(&u, text, strlen(text), "t", NULL), CL_OK);
    assert_string_equal(cl_key_id(u), cl_key_id(k));
    cl_key_free(u);
    cl_key_free(k);
}

static void test_mac_matches_openssl(void **state)
{
    (void)state;
    cl_key *k = NULL;
    cl_key_mac *m = NULL;
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, NULL), CL_OK);
    assert_int_equal(cl_key_mac_new(&m, k, NULL), CL_OK);
    const char *msgs[] = {"", "a", "record\0hes\0001", ("a much longer message than one block "
                           "of SHA-256, which is sixty-four bytes long, to be sure")};
    for (size_t i = 0; i < 4; i++) {
        unsigned char got[32], want[32];
        unsigned int len = 0;
        size_t n = i == 2 ? 12 : strlen(msgs[i]);
        /* Twice: re-initialisation must not drift. */
        for (int rep = 0; rep < 2; rep++) {
            assert_int_equal(cl_key_mac_compute(m, msgs[i], n, got), 0);
            assert_non_null(HMAC(EVP_sha256(), fixed, 32, (const unsigned char *)msgs[i], n, want,
                                 &len));
            assert_memory_equal(got, want, 32);
        }
        if (n > 1) {
            assert_int_equal(cl_key_mac_compute2(m, msgs[i], 1, msgs[i] + 1, n - 1, got), 0);
            assert_memory_equal(got, want, 32);
        }
    }
    cl_key_mac_free(m);
    /* Derived keys: subkey = HMAC(key, "childlink derive\0" purpose). */
    cl_key_mac *d = NULL, *d2 = NULL;
    assert_int_equal(cl_key_mac_derived(&d, k, "token/dob", NULL), CL_OK);
    assert_int_equal(cl_key_mac_derived(&d2, k, "token/upn", NULL), CL_OK);
    unsigned char sub[32], want[32], got[32], other[32];
    unsigned int len;
    HMAC(EVP_sha256(), fixed, 32, (const unsigned char *)"childlink derive\0token/dob", 26, sub, &len);
    HMAC(EVP_sha256(), sub, 32, (const unsigned char *)"2011-05-21", 10, want, &len);
    assert_int_equal(cl_key_mac_compute(d, "2011-05-21", 10, got), 0);
    assert_memory_equal(got, want, 32);
    assert_int_equal(cl_key_mac_compute(d2, "2011-05-21", 10, other), 0);
    assert_memory_not_equal(got, other, 32);
    cl_key_mac_free(d);
    cl_key_mac_free(d2);
    cl_key_mac_free(NULL);
    cl_key_free(k);
}

/* The block PRF is AES-256-ECB under HMAC(key, "childlink derive\0" purpose). */
static void test_prf_matches_openssl(void **state)
{
    (void)state;
    cl_key *k = NULL;
    cl_key_prf *p = NULL, *q = NULL;
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, NULL), CL_OK);
    assert_int_equal(cl_key_prf_derived(&p, k, "bloom-positions/bf_surname", NULL), CL_OK);
    assert_int_equal(cl_key_prf_derived(&q, k, "bloom-positions/bf_forenames", NULL), CL_OK);
    unsigned char sub[32], in[3 * CL_PRF_BLOCK], got[sizeof in], want[sizeof in],
        other[sizeof in];
    unsigned int len;
    HMAC(EVP_sha256(), fixed, 32,
         (const unsigned char *)"childlink derive\0bloom-positions/bf_surname", 43, sub, &len);
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)(i * 37 + 5);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, sub, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(c, 0), 1);
    assert_int_equal(EVP_EncryptUpdate(c, want, &n, in, (int)sizeof in), 1);
    assert_int_equal(n, (int)sizeof in);
    EVP_CIPHER_CTX_free(c);
    /* Twice, and block by block: no state carries over between calls. */
    for (int rep = 0; rep < 2; rep++) {
        assert_int_equal(cl_key_prf_blocks(p, in, 3, got), 0);
        assert_memory_equal(got, want, sizeof in);
    }
    for (size_t b = 0; b < 3; b++) {
        assert_int_equal(cl_key_prf_blocks(p, in + b * CL_PRF_BLOCK, 1, got), 0);
        assert_memory_equal(got, want + b * CL_PRF_BLOCK, CL_PRF_BLOCK);
    }
    assert_int_equal(cl_key_prf_blocks(p, in, 0, got), 0);
    /* Another purpose, another function. */
    assert_int_equal(cl_key_prf_blocks(q, in, 3, other), 0);
    assert_memory_not_equal(other, want, sizeof in);
    cl_key_prf_free(p);
    cl_key_prf_free(q);
    cl_key_prf_free(NULL);
    cl_key_free(k);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    cl_key *k = NULL;
    cl_error err;
    cl_alloc_fail_after(1);
    assert_int_equal(cl_key_from_bytes(&k, fixed, sizeof fixed, &err), CL_ENOMEM);
    cl_alloc_fail_after(0);
    assert_null(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_differs),
        cmocka_unit_test(test_id_is_sha256_of_label_and_key),
        cmocka_unit_test(test_save_load_roundtrip),
        cmocka_unit_test(test_load_refusals),
        cmocka_unit_test(test_parse_ok_uppercase_hex),
        cmocka_unit_test(test_mac_matches_openssl),
        cmocka_unit_test(test_prf_matches_openssl),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
