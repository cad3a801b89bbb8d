/*
 * strmap.c - string -> int64 hash map with an arena for keys (see strmap.h).
 */
#include <string.h>

#include "childlink/strmap.h"

#define ARENA_CHUNK (1u << 20)

typedef struct slot {
    const char *key;   /* NULL: empty */
    uint32_t len;
    uint32_t hash32;
    int64_t value;
} slot;

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

struct cl_strmap {
    slot *slots;
    size_t cap;    /* power of two */
    size_t size;
    chunk *chunks;
};

uint64_t cl_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    /* 8 bytes at a time, multiply-xorshift mixing (after the murmur finaliser). */
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ull);
    while (len >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        k *= 0xBF58476D1CE4E5B9ull;
        k ^= k >> 31;
        h = (h ^ k) * 0x94D049BB133111EBull;
        p += 8;
        len -= 8;
    }
    uint64_t k = 0;
    for (size_t i = 0; i < len; i++)
        k |= (uint64_t)p[i] << (8 * i);
    h = (h ^ k) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 32;
    return h;
}

cl_strmap *cl_strmap_new(void)
{
    cl_strmap *m = cl_calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->cap = 1024;
    m->slots = cl_calloc(m->cap, sizeof *m->slots);
    if (m->slots == NULL) {
        cl_free(m);
        return NULL;
    }
    return m;
}

void cl_strmap_free(cl_strmap *m)
{
    if (m == NULL)
        return;
    for (chunk *c = m->chunks, *next; c; c = next) {
        next = c->next;
        cl_free(c);
    }
    cl_free(m->slots);
    cl_free(m);
}

size_t cl_strmap_size(const cl_strmap *m) { return m->size; }

static const char *arena_copy(cl_strmap *m, const char *key, size_t len)
{
    chunk *c = m->chunks;
    if (c == NULL || c->cap - c->used < len + 1) {
        size_t cap = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
        c = cl_malloc(sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->next = m->chunks;
        c->used = 0;
        c->cap = cap;
        m->chunks = c;
    }
    char *p = c->data + c->used;
    memcpy(p, key, len);
    p[len] = '\0';
    c->used += len + 1;
    return p;
}

static int rehash(cl_strmap *m, size_t cap);

static int grow(cl_strmap *m)
{
    return rehash(m, m->cap * 2);
}

int cl_strmap_reserve(cl_strmap *m, size_t n)
{
    size_t cap = m->cap;
    while (n * 10 > cap * 7)
        cap *= 2;
    return cap == m->cap ? 0 : rehash(m, cap);
}

static int rehash(cl_strmap *m, size_t cap)
{
    slot *slots = cl_calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        slot s = m->slots[i];
        if (s.key == NULL)
            continue;
        size_t j = s.hash32 & (cap - 1);
        /* hash32 only holds 32 bits; tables beyond 2^32 slots are out of scope. */
        while (slots[j].key != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = s;
    }
    cl_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

static slot *find(const cl_strmap *m, const char *key, size_t len, uint32_t h)
{
    size_t j = h & (m->cap - 1);
    for (;;) {
        slot *s = &m->slots[j];
        if (s->key == NULL ||
            (s->hash32 == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
        j = (j + 1) & (m->cap - 1);
    }
}

int cl_strmap_put(cl_strmap *m, const char *key, size_t len, int64_t value, int64_t *existing)
{
    return cl_strmap_intern(m, key, len, value, existing, NULL);
}

int cl_strmap_intern(cl_strmap *m, const char *key, size_t len, int64_t value,
                     int64_t *existing, const char **stored)
{
    if (len > UINT32_MAX)
        return -1;
    if ((m->size + 1) * 10 > m->cap * 7 && grow(m) != 0)
        return -1;
    uint32_t h = (uint32_t)cl_hash_bytes(key, len, 0);
    slot *s = find(m, key, len, h);
    if (s->key != NULL) {
        if (existing)
            *existing = s->value;
        if (stored)
            *stored = s->key;
        return 0;
    }
    const char *copy = arena_copy(m, key, len);
    if (copy == NULL)
        return -1;
    s->key = copy;
    s->len = (uint32_t)len;
    s->hash32 = h;
    s->value = value;
    m->size++;
    if (stored)
        *stored = copy;
    return 1;
}

int cl_strmap_get(const cl_strmap *m, const char *key, size_t len, int64_t *value)
{
    uint32_t h = (uint32_t)cl_hash_bytes(key, len, 0);
    const slot *s = find(m, key, len, h);
    if (s->key == NULL)
        return 0;
    if (value)
        *value = s->value;
    return 1;
}
