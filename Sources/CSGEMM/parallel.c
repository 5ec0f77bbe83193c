#include "CSGEMM.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* A small pool of workers for csgemm_parallel. Waking a sleeping thread costs tens of microseconds on a virtual
   machine, a large share of a product that takes a millisecond, so a worker that finished polls for the next product
   for a short while (SPIN_NANOSECONDS) before it sleeps on a condition variable. Polling longer would take a core
   from whatever else runs on a busy machine. */

#define MAX_WORKERS 63
#define SPIN_NANOSECONDS 200000L

typedef struct {
    csgemm_kernel kernel;
    long m, n, k, lda, ldb, ldc;
    const float *a, *b;
    float *c;
    int accumulate;
    long parts, split_rows, cut; /* part i covers rows (split_rows) or columns [i * cut, min((i + 1) * cut, size)) */
} product;

static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER; /* one parallel product at a time */
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond = PTHREAD_COND_INITIALIZER;
static product current;
/* The product's number (bits 32 and up), its part count (bits 16-31) and the next unclaimed part (bits 0-15), in one
   word: a part is claimed by a compare-and-swap that also checks the product is still the current one, so a worker
   late from an earlier product can never claim (or read `current` for) a part of a later one. */
static atomic_ulong ticket;
static atomic_long parts_left; /* parts of the current product not yet finished */
static atomic_int failed;
static long workers; /* started so far; grows, never shrinks */

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_part(const product *p, long i) {
    long size = p->split_rows ? p->m : p->n;
    long start = i * p->cut, end = start + p->cut < size ? start + p->cut : size;
    int status = 0;
    if (start < end) {
        if (p->split_rows)
            status = csgemm(p->kernel, end - start, p->n, p->k, p->a + start * p->lda, p->lda, p->b, p->ldb,
                            p->c + start * p->ldc, p->ldc, p->accumulate);
        else
            status = csgemm(p->kernel, p->m, end - start, p->k, p->a, p->lda, p->b + start, p->ldb, p->c + start,
                            p->ldc, p->accumulate);
    }
    if (status) atomic_store(&failed, 1);
}

static void claim_parts(unsigned long number) {
    unsigned long t = atomic_load(&ticket);
    while ((t >> 32) == number && (t & 0xffff) < ((t >> 16) & 0xffff)) {
        if (atomic_compare_exchange_weak(&ticket, &t, t + 1)) {
            run_part(&current, (long)(t & 0xffff));
            atomic_fetch_sub(&parts_left, 1);
            t = atomic_load(&ticket);
        }
    }
}

static void *worker(void *unused) {
    (void)unused;
    unsigned long seen = atomic_load(&ticket) >> 32;
    for (;;) {
        long deadline = now_ns() + SPIN_NANOSECONDS;
        for (int polls = 0; atomic_load(&ticket) >> 32 == seen; polls++) {
            CPU_RELAX();
            if ((polls & 63) == 63 && now_ns() > deadline) {
                pthread_mutex_lock(&sleep_lock);
                while (atomic_load(&ticket) >> 32 == seen) pthread_cond_wait(&sleep_cond, &sleep_lock);
                pthread_mutex_unlock(&sleep_lock);
            }
        }
        seen = atomic_load(&ticket) >> 32;
        claim_parts(seen);
    }
    return 0;
}

static long online_cores(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? cores : 1;
}

int csgemm_parallel(csgemm_kernel kernel, long threads, long m, long n, long k, const float *a, long lda,
                    const float *b, long ldb, float *c, long ldc, int accumulate) {
    if (threads <= 0) threads = online_cores();
    if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
    long mr = csgemm_tile_rows(kernel, n), nr = csgemm_tile_columns(kernel, n);
    long row_tiles = (m + mr - 1) / mr, column_tiles = (n + nr - 1) / nr;
    int split_rows = row_tiles >= column_tiles;
    long tiles = split_rows ? row_tiles : column_tiles;
    if (threads > tiles) threads = tiles;
    /* Every entry is summed in the same order whatever the split (CSGEMM.h), so falling back to one thread when
       another product holds the pool changes the time only, never the result. */
    if (threads <= 1 || pthread_mutex_trylock(&pool_busy) != 0)
        return csgemm(kernel, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    while (workers < threads - 1) {
        pthread_t thread;
        if (pthread_create(&thread, 0, worker, 0) != 0) break;
        pthread_detach(thread);
        workers++;
    }
    if (threads > workers + 1) threads = workers + 1;
    long cut = (tiles + threads - 1) / threads * (split_rows ? mr : nr);
    current = (product){kernel, m, n, k, lda, ldb, ldc, a, b, c, accumulate, 0, split_rows, cut};
    current.parts = ((split_rows ? m : n) + cut - 1) / cut;
    atomic_store(&failed, 0);
    atomic_store(&parts_left, current.parts);
    unsigned long number = ((atomic_load(&ticket) >> 32) + 1) & 0xffffffffUL;
    pthread_mutex_lock(&sleep_lock);
    atomic_store(&ticket, number << 32 | (unsigned long)current.parts << 16);
    pthread_cond_broadcast(&sleep_cond);
    pthread_mutex_unlock(&sleep_lock);

    claim_parts(number);
    long deadline = now_ns() + SPIN_NANOSECONDS;
    for (int polls = 0; atomic_load(&parts_left) > 0; polls++) {
        CPU_RELAX();
        if ((polls & 63) == 63 && now_ns() > deadline) sched_yield();
    }
    int status = atomic_load(&failed) ? -1 : 0;
    pthread_mutex_unlock(&pool_busy);
    return status;
}
