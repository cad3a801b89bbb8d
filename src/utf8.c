/*
 * utf8.c - strict UTF-8 validation (see utf8.h).
 *
 * Identifiers and names are nearly always ASCII, so runs of eight ASCII
 * bytes are skipped with one word test before any per-byte decoding.
 */
#include <stdint.h>
#include <string.h>

#include "childlink/utf8.h"

size_t cl_utf8_valid_prefix(const void *data, size_t len, int *ascii_only)
{
    const unsigned char *s = data;
    size_t i = 0;
    int ascii = 1;
    while (i < len) {
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0xC2) {
            break; /* stray continuation byte, or overlong C0/C1 lead */
        } else if (c < 0xE0) {
            need = 1;
        } else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* UTF-16 surrogates */
        } else if (c < 0xF5) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            break;
        }
        if (len - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
            break;
        size_t k = 2;
        while (k <= need && (s[i + k] & 0xC0) == 0x80)
            k++;
        if (k <= need)
            break;
        ascii = 0;
        i += need + 1;
    }
    if (ascii_only)
        *ascii_only = ascii;
    return i;
}
