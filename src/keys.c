/*
 * keys.c - project keys and keyed hashing (see keys.h).
 *
 * HMAC-SHA256 (RFC 2104) is built here from OpenSSL's SHA-256: a cl_key_mac
 * keeps the two states after hashing key^ipad and key^opad, so each HMAC
 * costs a struct copy and two compressions.  The low-level SHA256_* calls
 * are deprecated since OpenSSL 3.0 (still present in 4.1) but EVP has no way
 * to reuse a hashed prefix cheaply: measured on this machine, EVP_MAC takes
 * 318 ns per short message, EVP_MD_CTX_copy_ex 239 ns, this 120 ns, and
 * encode computes some fifteen of them per record.  The unit tests compare
 * it with OpenSSL's HMAC().
 *
 * The block PRF is AES-256 in ECB mode through EVP: each 16-byte input block
 * is one PRF call, and a batch of blocks costs about 2.5 ns each.
 *
 * Key bytes are copied into our own objects and wiped with OPENSSL_cleanse
 * (which the compiler cannot optimise away) before being freed; the text of
 * a key file is wiped as soon as it is parsed.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPENSSL_SUPPRESS_DEPRECATED   /* SHA256_Init etc.: see above */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "childlink/keys.h"
#include "childlink/outfile.h"

#define KEY_MAGIC "childlink-key/1"
/* Longest key file read: the line is 89 bytes; anything far longer is not
 * a key file. */
#define KEY_FILE_MAX 512

struct cl_key {
    unsigned char bytes[CL_KEY_BYTES];
    char id[CL_KEY_ID_CHARS + 1];
};

struct cl_key_mac {
    SHA256_CTX inner, outer;   /* after key^ipad, key^opad */
};

struct cl_key_prf {
    EVP_CIPHER_CTX *ctx;
};

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* key_id = hex(SHA-256("childlink key id" || key))[0..8). */
static int compute_id(const unsigned char *bytes, char id[CL_KEY_ID_CHARS + 1])
{
    static const char label[] = "childlink key id";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(md, label, sizeof label - 1) == 1 &&
             EVP_DigestUpdate(md, bytes, CL_KEY_BYTES) == 1 &&
             EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen >= CL_KEY_ID_CHARS / 2;
    EVP_MD_CTX_free(md);
    if (!ok)
        return -1;
    for (int i = 0; i < CL_KEY_ID_CHARS / 2; i++) {
        id[2 * i] = hex_digits[digest[i] >> 4];
        id[2 * i + 1] = hex_digits[digest[i] & 15];
    }
    id[CL_KEY_ID_CHARS] = '\0';
    return 0;
}

cl_status cl_key_from_bytes(cl_key **out, const unsigned char *bytes, size_t len, cl_error *err)
{
    *out = NULL;
    if (len != CL_KEY_BYTES)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "a key must be %d bytes, not %zu",
                            CL_KEY_BYTES, len);
    cl_key *k = cl_calloc(1, sizeof *k);
    if (k == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    memcpy(k->bytes, bytes, CL_KEY_BYTES);
    if (compute_id(k->bytes, k->id) != 0) {
        cl_key_free(k);
        return cl_error_set(err, CL_EINVAL, NULL, 0, "cannot compute the key id (SHA-256 failed)");
    }
    *out = k;
    return CL_OK;
}

cl_status cl_key_generate(cl_key **out, cl_error *err)
{
    unsigned char bytes[CL_KEY_BYTES];
    *out = NULL;
    if (RAND_bytes(bytes, (int)sizeof bytes) != 1) {
        OPENSSL_cleanse(bytes, sizeof bytes);
        return cl_error_set(err, CL_EIO, NULL, 0,
                            "the operating system's random source is not available");
    }
    cl_status st = cl_key_from_bytes(out, bytes, sizeof bytes, err);
    OPENSSL_cleanse(bytes, sizeof bytes);
    return st;
}

void cl_key_free(cl_key *key)
{
    if (key == NULL)
        return;
    OPENSSL_cleanse(key, sizeof *key);
    cl_free(key);
}

const char *cl_key_id(const cl_key *key) { return key->id; }

cl_status cl_key_parse(cl_key **out, const char *text, size_t len, const char *origin,
                       cl_error *err)
{
    *out = NULL;
    const size_t magic_len = sizeof KEY_MAGIC - 1;
    /* One line end is allowed; nothing else may follow the key. */
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    if (len < magic_len + 1 || memcmp(text, KEY_MAGIC " ", magic_len + 1) != 0)
        return cl_error_set(err, CL_EFORMAT, origin, 0,
                            "not a childlink key file (it must start with '" KEY_MAGIC " ')");
    const char *p = text + magic_len + 1;
    size_t rest = len - magic_len - 1;
    if (rest != CL_KEY_ID_CHARS + 1 + 2 * CL_KEY_BYTES || p[CL_KEY_ID_CHARS] != ' ')
        return cl_error_set(err, CL_EFORMAT, origin, 0,
                            "malformed key file: expected '" KEY_MAGIC
                            " <8-digit key id> <64 hex digits>' on one line");
    for (size_t i = 0; i < CL_KEY_ID_CHARS; i++)
        if (hex_value(p[i]) < 0)
            return cl_error_set(err, CL_EFORMAT, origin, 0, "malformed key file: bad key id");
    unsigned char bytes[CL_KEY_BYTES];
    const char *hex = p + CL_KEY_ID_CHARS + 1;
    for (size_t i = 0; i < CL_KEY_BYTES; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(bytes, sizeof bytes);
            return cl_error_set(err, CL_EFORMAT, origin, 0,
                                "malformed key file: the key is not 64 hex digits");
        }
        bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    cl_status st = cl_key_from_bytes(out, bytes, sizeof bytes, err);
    OPENSSL_cleanse(bytes, sizeof bytes);
    if (st != CL_OK)
        return st;
    for (size_t i = 0; i < CL_KEY_ID_CHARS; i++)
        if ((*out)->id[i] != hex_digits[hex_value(p[i])]) {
            cl_key_free(*out);
            *out = NULL;
            return cl_error_set(err, CL_EFORMAT, origin, 0,
                                "key id does not match the key: the key file is corrupted");
        }
    return CL_OK;
}

cl_status cl_key_load(cl_key **out, const char *path, cl_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NOCTTY);
    if (fd < 0)
        return cl_error_set(err, CL_EIO, path, 0, "cannot open key file: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        cl_status st = cl_error_set(err, CL_EIO, path, 0, "cannot read key file: %s",
                                    strerror(errno));
        close(fd);
        return st;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return cl_error_set(err, CL_EFORMAT, path, 0, "key file is not a regular file");
    }
    if (sb.st_mode & 077) {
        close(fd);
        return cl_error_set(err, CL_EFORMAT, path, 0,
                            "key file is readable or writable by other users (mode %03o); "
                            "treat the key as exposed, or if it is not, run chmod 600",
                            (unsigned)(sb.st_mode & 0777));
    }
    char text[KEY_FILE_MAX];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, sizeof text - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cl_status st = cl_error_set(err, CL_EIO, path, 0, "cannot read key file: %s",
                                        strerror(errno));
            close(fd);
            OPENSSL_cleanse(text, sizeof text);
            return st;
        }
        if (n == 0 || (len += (size_t)n) == sizeof text)
            break;
    }
    close(fd);
    cl_status st;
    if (len == sizeof text)
        st = cl_error_set(err, CL_EFORMAT, path, 0, "not a childlink key file (too long)");
    else if (len == 0)
        st = cl_error_set(err, CL_EFORMAT, path, 0, "key file is empty");
    else
        st = cl_key_parse(out, text, len, path, err);
    OPENSSL_cleanse(text, sizeof text);
    return st;
}

cl_status cl_key_save(const cl_key *key, const char *path, cl_error *err)
{
    cl_outfile *o = NULL;
    cl_status st = cl_outfile_open(&o, path, CL_OUTFILE_NO_CLOBBER | CL_OUTFILE_PRIVATE, err);
    if (st != CL_OK)
        return st;
    char line[sizeof KEY_MAGIC + CL_KEY_ID_CHARS + 2 * CL_KEY_BYTES + 4];
    size_t n = 0;
    memcpy(line, KEY_MAGIC " ", sizeof KEY_MAGIC);
    n = sizeof KEY_MAGIC;
    memcpy(line + n, key->id, CL_KEY_ID_CHARS);
    n += CL_KEY_ID_CHARS;
    line[n++] = ' ';
    for (size_t i = 0; i < CL_KEY_BYTES; i++) {
        line[n++] = hex_digits[key->bytes[i] >> 4];
        line[n++] = hex_digits[key->bytes[i] & 15];
    }
    line[n++] = '\n';
    size_t wrote = fwrite(line, 1, n, cl_outfile_stream(o));
    OPENSSL_cleanse(line, sizeof line);
    if (wrote != n) {
        cl_outfile_abort(o);
        return cl_error_set(err, CL_EIO, path, 0, "cannot write key file");
    }
    return cl_outfile_commit(o, err);
}

static cl_status mac_with(cl_key_mac **out, const unsigned char *bytes, cl_error *err)
{
    *out = NULL;
    cl_key_mac *m = cl_calloc(1, sizeof *m);
    if (m == NULL)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    unsigned char pad[SHA256_CBLOCK];   /* the key is shorter than a block */
    memset(pad, 0x36, sizeof pad);
    for (int i = 0; i < CL_KEY_BYTES; i++)
        pad[i] ^= bytes[i];
    int ok = SHA256_Init(&m->inner) == 1 && SHA256_Update(&m->inner, pad, sizeof pad) == 1;
    memset(pad, 0x5c, sizeof pad);
    for (int i = 0; i < CL_KEY_BYTES; i++)
        pad[i] ^= bytes[i];
    ok = ok && SHA256_Init(&m->outer) == 1 && SHA256_Update(&m->outer, pad, sizeof pad) == 1;
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) {
        cl_key_mac_free(m);
        return cl_error_set(err, CL_EINVAL, NULL, 0, "SHA-256 is not available");
    }
    *out = m;
    return CL_OK;
}

/* subkey = HMAC(key, "childlink derive" 0x00 purpose) */
static cl_status derive(const cl_key *key, const char *purpose, unsigned char sub[CL_KEY_BYTES],
                        cl_error *err)
{
    static const char label[] = "childlink derive";   /* NUL included below */
    cl_key_mac *master = NULL;
    cl_status st = mac_with(&master, key->bytes, err);
    if (st != CL_OK)
        return st;
    int bad = cl_key_mac_compute2(master, label, sizeof label, purpose, strlen(purpose), sub);
    cl_key_mac_free(master);
    return bad ? cl_error_set(err, CL_EINVAL, NULL, 0, "HMAC-SHA256 failed") : CL_OK;
}

cl_status cl_key_mac_new(cl_key_mac **out, const cl_key *key, cl_error *err)
{
    return mac_with(out, key->bytes, err);
}

cl_status cl_key_mac_derived(cl_key_mac **out, const cl_key *key, const char *purpose,
                             cl_error *err)
{
    unsigned char sub[CL_KEY_BYTES];
    *out = NULL;
    cl_status st = derive(key, purpose, sub, err);
    if (st == CL_OK)
        st = mac_with(out, sub, err);
    OPENSSL_cleanse(sub, sizeof sub);
    return st;
}

int cl_key_mac_compute2(cl_key_mac *m, const void *a, size_t alen, const void *b, size_t blen,
                        unsigned char out[CL_KEY_BYTES])
{
    SHA256_CTX c = m->inner;
    int ok = (alen == 0 || SHA256_Update(&c, a, alen) == 1) &&
             (blen == 0 || SHA256_Update(&c, b, blen) == 1) && SHA256_Final(out, &c) == 1;
    c = m->outer;
    ok = ok && SHA256_Update(&c, out, CL_KEY_BYTES) == 1 && SHA256_Final(out, &c) == 1;
    /* No wipe of c: SHA256_Final wipes its block buffer, and the chaining
     * value left is the HMAC itself, not the key state. */
    if (ok)
        return 0;
    memset(out, 0, CL_KEY_BYTES);
    return -1;
}

int cl_key_mac_compute(cl_key_mac *m, const void *msg, size_t len, unsigned char out[CL_KEY_BYTES])
{
    return cl_key_mac_compute2(m, msg, len, NULL, 0, out);
}

void cl_key_mac_free(cl_key_mac *m)
{
    if (m == NULL)
        return;
    OPENSSL_cleanse(m, sizeof *m);
    cl_free(m);
}

cl_status cl_key_prf_derived(cl_key_prf **out, const cl_key *key, const char *purpose,
                             cl_error *err)
{
    unsigned char sub[CL_KEY_BYTES];
    *out = NULL;
    cl_status st = derive(key, purpose, sub, err);
    if (st != CL_OK) {
        OPENSSL_cleanse(sub, sizeof sub);
        return st;
    }
    cl_key_prf *p = cl_calloc(1, sizeof *p);
    if (p == NULL) {
        OPENSSL_cleanse(sub, sizeof sub);
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    }
    p->ctx = EVP_CIPHER_CTX_new();
    int ok = p->ctx != NULL &&
             EVP_EncryptInit_ex(p->ctx, EVP_aes_256_ecb(), NULL, sub, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(p->ctx, 0) == 1;
    OPENSSL_cleanse(sub, sizeof sub);
    if (!ok) {
        cl_key_prf_free(p);
        return cl_error_set(err, CL_EINVAL, NULL, 0, "AES-256 is not available");
    }
    *out = p;
    return CL_OK;
}

int cl_key_prf_blocks(cl_key_prf *p, const unsigned char *in, size_t nblocks, unsigned char *out)
{
    int done = 0;
    size_t bytes = nblocks * CL_PRF_BLOCK;
    if (nblocks == 0)
        return 0;
    if (bytes / CL_PRF_BLOCK != nblocks || bytes > (size_t)INT_MAX ||
        EVP_EncryptUpdate(p->ctx, out, &done, in, (int)bytes) != 1 || (size_t)done != bytes)
        return -1;
    return 0;
}

void cl_key_prf_free(cl_key_prf *p)
{
    if (p == NULL)
        return;
    EVP_CIPHER_CTX_free(p->ctx);   /* OpenSSL cleanses the key schedule */
    cl_free(p);
}
