/*
 * alloc.c - the allocator front door (see base.h).
 *
 * Every block carries a small header with its size so that the byte count
 * stays exact across realloc and free.  The counters are process-wide and
 * updated with relaxed atomics: the linker's worker threads allocate too,
 * but only outside their inner loops, so contention is negligible.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/base.h"

/* 16 bytes keeps the user pointer aligned for any scalar type. */
typedef union block_header {
    size_t bytes;
    max_align_t align;
} block_header;

static atomic_size_t bytes_in_use;
static atomic_size_t bytes_peak;
static atomic_size_t bytes_limit;
static atomic_long fail_countdown;

static int should_fail(size_t extra)
{
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (n > 0 && atomic_fetch_sub(&fail_countdown, 1) == 1)
        return 1;
    size_t limit = atomic_load_explicit(&bytes_limit, memory_order_relaxed);
    return limit != 0 &&
           atomic_load_explicit(&bytes_in_use, memory_order_relaxed) + extra > limit;
}

static void count(size_t added, size_t removed)
{
    size_t now = atomic_fetch_add(&bytes_in_use, added) + added;
    atomic_fetch_sub(&bytes_in_use, removed);
    now -= removed;
    size_t peak = atomic_load_explicit(&bytes_peak, memory_order_relaxed);
    while (now > peak && !atomic_compare_exchange_weak(&bytes_peak, &peak, now))
        ;
}

void *cl_malloc(size_t bytes)
{
    if (bytes > SIZE_MAX - sizeof(block_header) || should_fail(bytes))
        return NULL;
    block_header *h = malloc(sizeof *h + bytes);
    if (h == NULL)
        return NULL;
    h->bytes = bytes;
    count(bytes, 0);
    return h + 1;
}

void *cl_calloc(size_t n, size_t bytes)
{
    if (bytes != 0 && n > SIZE_MAX / bytes)
        return NULL;
    size_t total = n * bytes;
    if (total > SIZE_MAX - sizeof(block_header) || should_fail(total))
        return NULL;
    /* calloc, not malloc + memset: large blocks come zeroed from the kernel,
     * so they are not touched twice. */
    block_header *h = calloc(1, sizeof *h + total);
    if (h == NULL)
        return NULL;
    h->bytes = total;
    count(total, 0);
    return h + 1;
}

void *cl_realloc(void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return cl_malloc(bytes);
    block_header *h = (block_header *)ptr - 1;
    size_t old = h->bytes;
    if (bytes > SIZE_MAX - sizeof(block_header) || (bytes > old && should_fail(bytes - old)))
        return NULL;
    block_header *n = realloc(h, sizeof *n + bytes);
    if (n == NULL)
        return NULL;
    n->bytes = bytes;
    count(bytes, old);
    return n + 1;
}

void cl_free(void *ptr)
{
    if (ptr == NULL)
        return;
    block_header *h = (block_header *)ptr - 1;
    count(0, h->bytes);
    free(h);
}

char *cl_strndup(const char *s, size_t len)
{
    char *p = cl_malloc(len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

size_t cl_alloc_bytes_in_use(void) { return atomic_load(&bytes_in_use); }
size_t cl_alloc_bytes_peak(void) { return atomic_load(&bytes_peak); }
void cl_alloc_set_limit(size_t bytes) { atomic_store(&bytes_limit, bytes); }
void cl_alloc_fail_after(long n) { atomic_store(&fail_countdown, n); }
