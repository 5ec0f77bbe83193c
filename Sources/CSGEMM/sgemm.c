#include "CSGEMM.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#if defined(__x86_64__) && !defined(SNN_PORTABLE_KERNELS)
#include <cpuid.h>
#include <immintrin.h>
#define CSGEMM_X86_64 1
#endif

/* A micro-kernel sums one tile of C over kc terms, tile = A[rows, 0..<kc] B[0..<kc, columns], then stores the tile
   into C or adds it to C. Three variants differ in where the operands come from:
   - packed: A packed (kc columns of MR contiguous floats), B packed (kc rows of NR contiguous floats, zero-padded);
   - a_in_place: A read where it is (row stride lda), B packed: a strip of A that meets one panel of B only (the
     im2col products: A is streamed once, packing it would double the traffic);
   - b_in_place: A packed, B read where it is (row stride ldb): few rows of A against many columns (a dense layer on
     a small batch), where packing B would write and read back all of B for a few uses of each value. */
typedef void (*kernel_fn)(long kc, const float *a, long lda, const float *b, long ldb, float *c, long ldc, int add);

typedef struct {
    kernel_fn packed, a_in_place, b_in_place;
    long mr, nr;
} kernel_shape;

typedef struct {
    kernel_shape wide, narrow; /* narrow: for products with at most narrow.nr columns */
} kernel_family;

#define CSGEMM_KC 256  /* terms of k per block, when k > CSGEMM_KC_WHOLE */
#define CSGEMM_KC_WHOLE 384
#define CSGEMM_B_BLOCK (1L << 18) /* floats of packed B per block (1 MiB), a share of a core's L2 cache */
#define CSGEMM_A_BLOCK (1L << 16) /* floats of packed A up to which a product counts as having few rows (256 KiB) */

/* ---------------------------------------------------------------------------------------------------------------
   Portable kernel: plain C, each product fused with its addition through fmaf (one rounding, as the vector
   families' fused multiply-adds), in the same order, so it gives their bits on every CPU. Where the build's
   baseline has no FMA instruction (x86-64 before AVX2) fmaf is the C library's, exact and slower. */

#define PORTABLE_MR 4
#define PORTABLE_NR 16

static inline void portable_tile(long kc, const float *a, long rsa, long csa, const float *b, long rsb, float *c,
                                 long ldc, int add) {
    float acc[PORTABLE_MR][PORTABLE_NR] = {{0}};
    for (long p = 0; p < kc; p++) {
        const float *bp = b + p * rsb;
        for (int r = 0; r < PORTABLE_MR; r++) {
            float ar = a[r * rsa + p * csa];
            for (int j = 0; j < PORTABLE_NR; j++) acc[r][j] = fmaf(ar, bp[j], acc[r][j]);
        }
    }
    for (int r = 0; r < PORTABLE_MR; r++)
        for (int j = 0; j < PORTABLE_NR; j++) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

static void portable_packed(long kc, const float *a, long lda, const float *b, long ldb, float *c, long ldc,
                            int add) {
    (void)lda, (void)ldb;
    portable_tile(kc, a, 1, PORTABLE_MR, b, PORTABLE_NR, c, ldc, add);
}

static void portable_a_in_place(long kc, const float *a, long lda, const float *b, long ldb, float *c, long ldc,
                                int add) {
    (void)ldb;
    portable_tile(kc, a, lda, 1, b, PORTABLE_NR, c, ldc, add);
}

static void portable_b_in_place(long kc, const float *a, long lda, const float *b, long ldb, float *c, long ldc,
                                int add) {
    (void)lda;
    portable_tile(kc, a, 1, PORTABLE_MR, b, ldb, c, ldc, add);
}

static const kernel_family portable_family = {
    {portable_packed, portable_a_in_place, portable_b_in_place, PORTABLE_MR, PORTABLE_NR},
    {portable_packed, portable_a_in_place, portable_b_in_place, PORTABLE_MR, PORTABLE_NR},
};

#if CSGEMM_X86_64

/* ---------------------------------------------------------------------------------------------------------------
   x86-64 kernels, each compiled for its own instruction set through a target attribute, so the build needs no
   -march flag and a binary runs on any x86-64 CPU: a family runs only where csgemm_kernel_supported says so.
   Tiles: MR rows x NV vectors; per term, NV loads of B, MR broadcasts of A, MR x NV fused multiply-adds. */

#define UNROLL _Pragma("clang loop unroll(full)")

/* Software prefetches where the hardware prefetchers come too late (measured on one core, CPU time):
   - B read in place comes a row of B per term, each row in another cache line (often another page): asking for the
     row PREFETCH_ROWS terms ahead took a dense 64x1000x1000 product from about 100 to 117-119 GFLOP/s;
   - A read in place is MR row streams at once: asking, every 16 terms (a cache line), for the same columns of the
     next strip's rows took the im2col products 65536x50x16 from 72 to 94-101 and 16384x144x16 from 90 to 113-116.
   A prefetch never faults, so addresses past the end of a matrix are harmless; they are computed as integers so
   that no out-of-range pointer is formed. */
#define PREFETCH_ROWS 8
static inline void prefetch_row(const float *b, long row, long stride, long column) {
    __builtin_prefetch((const void *)((uintptr_t)b + (uintptr_t)((row * stride + column) * (long)sizeof(float))));
}

#define DEFINE_KERNEL(NAME, TARGET, VEC, WIDTH, ZERO, LOADU, STOREU, BROADCAST, FMA, ADD, MR, NV)                    \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_tile(                                 \
        long kc, const float *restrict a, long rsa, long csa, const float *restrict b, long rsb, float *restrict c, \
        long ldc, int add, int prefetch_a, int prefetch_b) {                                                        \
        VEC acc[MR][NV];                                                                                            \
        UNROLL for (int r = 0; r < MR; r++) UNROLL for (int v = 0; v < NV; v++) acc[r][v] = ZERO();                 \
        for (long p = 0; p < kc; p++) {                                                                             \
            VEC bv[NV];                                                                                             \
            UNROLL for (int v = 0; v < NV; v++) bv[v] = LOADU(b + p * rsb + WIDTH * v);                             \
            if (prefetch_b) UNROLL for (int v = 0; v < NV; v++) prefetch_row(b, p + PREFETCH_ROWS, rsb, WIDTH * v);  \
            const float *ap = a + p * csa;                                                                          \
            if (prefetch_a && (p & 15) == 0) UNROLL for (int r = 0; r < MR; r++) prefetch_row(a, r + MR, rsa, p);   \
            UNROLL for (int r = 0; r < MR; r++) {                                                                   \
                VEC ar = BROADCAST(ap + r * rsa);                                                                   \
                UNROLL for (int v = 0; v < NV; v++) acc[r][v] = FMA(ar, bv[v], acc[r][v]);                          \
            }                                                                                                       \
        }                                                                                                           \
        UNROLL for (int r = 0; r < MR; r++) UNROLL for (int v = 0; v < NV; v++) {                                   \
            float *cp = c + r * ldc + WIDTH * v;                                                                    \
            STOREU(cp, add ? ADD(LOADU(cp), acc[r][v]) : acc[r][v]);                                                \
        }                                                                                                           \
    }                                                                                                               \
    __attribute__((target(TARGET))) static void NAME##_packed(long kc, const float *a, long lda, const float *b,    \
                                                              long ldb, float *c, long ldc, int add) {              \
        (void)lda, (void)ldb;                                                                                       \
        NAME##_tile(kc, a, 1, MR, b, WIDTH * NV, c, ldc, add, 0, 0);                                                \
    }                                                                                                               \
    __attribute__((target(TARGET))) static void NAME##_a_in_place(long kc, const float *a, long lda,               \
                                                                  const float *b, long ldb, float *c, long ldc,     \
                                                                  int add) {                                        \
        (void)ldb;                                                                                                  \
        NAME##_tile(kc, a, lda, 1, b, WIDTH * NV, c, ldc, add, 1, 0);                                               \
    }                                                                                                               \
    __attribute__((target(TARGET))) static void NAME##_b_in_place(long kc, const float *a, long lda,               \
                                                                  const float *b, long ldb, float *c, long ldc,     \
                                                                  int add) {                                        \
        (void)lda;                                                                                                  \
        NAME##_tile(kc, a, 1, MR, b, ldb, c, ldc, add, 0, 1);                                                       \
    }

#define AVX2_BROADCAST(p) _mm256_broadcast_ss(p)
#define AVX512_BROADCAST(p) _mm512_set1_ps(*(p))

DEFINE_KERNEL(avx2_wide, "avx2,fma", __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps,
              _mm256_storeu_ps, AVX2_BROADCAST, _mm256_fmadd_ps, _mm256_add_ps, 6, 2)
DEFINE_KERNEL(avx2_narrow, "avx2,fma", __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps,
              _mm256_storeu_ps, AVX2_BROADCAST, _mm256_fmadd_ps, _mm256_add_ps, 12, 1)
DEFINE_KERNEL(avx512_wide, "avx512f", __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps,
              _mm512_storeu_ps, AVX512_BROADCAST, _mm512_fmadd_ps, _mm512_add_ps, 12, 2)
DEFINE_KERNEL(avx512_narrow, "avx512f", __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps,
              _mm512_storeu_ps, AVX512_BROADCAST, _mm512_fmadd_ps, _mm512_add_ps, 24, 1)

static const kernel_family avx2_family = {
    {avx2_wide_packed, avx2_wide_a_in_place, avx2_wide_b_in_place, 6, 16},
    {avx2_narrow_packed, avx2_narrow_a_in_place, avx2_narrow_b_in_place, 12, 8},
};

static const kernel_family avx512_family = {
    {avx512_wide_packed, avx512_wide_a_in_place, avx512_wide_b_in_place, 12, 32},
    {avx512_narrow_packed, avx512_narrow_a_in_place, avx512_narrow_b_in_place, 24, 16},
};

/* Features, never names: leaf 1 and leaf 7 of cpuid say what the CPU has, XCR0 (xgetbv) whether the operating
   system saves the registers those instructions use. */
static csgemm_kernel detect(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return CSGEMM_KERNEL_PORTABLE;
    int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    if (!osxsave || !avx) return CSGEMM_KERNEL_PORTABLE;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6) != 0x6) return CSGEMM_KERNEL_PORTABLE; /* XMM and YMM state */
    if (__get_cpuid_max(0, 0) < 7) return CSGEMM_KERNEL_PORTABLE;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    int avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1;
    if (avx512f && fma && (xcr0_lo & 0xe6) == 0xe6) return CSGEMM_KERNEL_AVX512; /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (avx2 && fma) return CSGEMM_KERNEL_AVX2;
    return CSGEMM_KERNEL_PORTABLE;
}

#else

static csgemm_kernel detect(void) { return CSGEMM_KERNEL_PORTABLE; }

#endif

csgemm_kernel csgemm_best_kernel(void) {
    /* Racing first calls compute and store the same value. */
    static atomic_int cached = -1;
    int value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value < 0) {
        value = (int)detect();
        atomic_store_explicit(&cached, value, memory_order_relaxed);
    }
    return (csgemm_kernel)value;
}

int csgemm_kernel_supported(csgemm_kernel kernel) {
    return kernel >= CSGEMM_KERNEL_PORTABLE && kernel <= csgemm_best_kernel();
}

static const kernel_family *family(csgemm_kernel kernel) {
    if (!csgemm_kernel_supported(kernel)) kernel = csgemm_best_kernel();
    switch (kernel) {
#if CSGEMM_X86_64
    case CSGEMM_KERNEL_AVX512: return &avx512_family;
    case CSGEMM_KERNEL_AVX2: return &avx2_family;
#endif
    default: return &portable_family;
    }
}

static const kernel_shape *shape(csgemm_kernel kernel, long n) {
    const kernel_family *f = family(kernel);
    return n <= f->narrow.nr ? &f->narrow : &f->wide;
}

long csgemm_tile_rows(csgemm_kernel kernel, long n) { return shape(kernel, n)->mr; }
long csgemm_tile_columns(csgemm_kernel kernel, long n) { return shape(kernel, n)->nr; }

/* B[0..<kc, 0..<nc] into panels of nr columns: panel j holds kc rows of nr floats, zero past column nc. */
static void pack_b(long kc, long nc, long nr, const float *b, long ldb, float *bp) {
    for (long j = 0; j < nc; j += nr) {
        long w = nc - j < nr ? nc - j : nr;
        for (long p = 0; p < kc; p++) {
            memcpy(bp, b + p * ldb + j, (size_t)w * sizeof(float));
            if (w < nr) memset(bp + w, 0, (size_t)(nr - w) * sizeof(float));
            bp += nr;
        }
    }
}

/* A[0..<mr, 0..<kc] into kc columns of MR floats, zero past row mr. */
static void pack_a(long mr, long kc, long MR, const float *a, long lda, float *ap) {
    for (long p = 0; p < kc; p++) {
        for (long r = 0; r < mr; r++) ap[p * MR + r] = a[r * lda + p];
        for (long r = mr; r < MR; r++) ap[p * MR + r] = 0;
    }
}

static long round_up(long x, long m) { return (x + m - 1) / m * m; }

/* One tile: straight into C when it is whole, else through a scratch tile whose valid part is stored or added. */
static void run_tile(const kernel_shape *s, kernel_fn fn, long kc, const float *a, long lda, const float *b, long ldb,
                     float *c, long ldc, long mr, long nr, int add, float *scratch) {
    if (mr == s->mr && nr == s->nr) {
        fn(kc, a, lda, b, ldb, c, ldc, add);
        return;
    }
    fn(kc, a, lda, b, ldb, scratch, s->nr, 0);
    for (long r = 0; r < mr; r++)
        for (long j = 0; j < nr; j++)
            c[r * ldc + j] = add ? c[r * ldc + j] + scratch[r * s->nr + j] : scratch[r * s->nr + j];
}

/* Few rows against many columns: all of A's block packed once (it stays in L2), B read in place one panel at a
   time, each panel used by every strip of rows while it is in L1. Only a last, partial panel is packed. */
static void few_rows(const kernel_shape *s, long m, long n, long k, long KC, const float *a, long lda, const float *b,
                     long ldb, float *c, long ldc, int accumulate, float *ap, float *bp, float *scratch) {
    const long MR = s->mr, NR = s->nr;
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        int add = accumulate || pc > 0;
        for (long ic = 0; ic < m; ic += MR)
            pack_a(m - ic < MR ? m - ic : MR, kc, MR, a + ic * lda + pc, lda, ap + ic * kc);
        for (long jr = 0; jr < n; jr += NR) {
            long nr = n - jr < NR ? n - jr : NR;
            const float *panel = b + pc * ldb + jr;
            kernel_fn fn = s->b_in_place;
            long panel_stride = ldb;
            if (nr < NR) {
                pack_b(kc, nr, NR, panel, ldb, bp);
                panel = bp, fn = s->packed, panel_stride = NR;
            }
            for (long ic = 0; ic < m; ic += MR)
                run_tile(s, fn, kc, ap + ic * kc, MR, panel, panel_stride, c + ic * ldc + jr, ldc,
                         m - ic < MR ? m - ic : MR, nr, add, scratch);
        }
    }
}

/* The general case: B packed a block at a time (it stays in L2), strips of A against it; a strip of A is packed when
   it meets more than one panel of B and read in place otherwise. */
static void general(const kernel_shape *s, long m, long n, long k, long KC, long NC, const float *a, long lda,
                    const float *b, long ldb, float *c, long ldc, int accumulate, float *ap, float *bp,
                    float *scratch) {
    const long MR = s->mr, NR = s->nr;
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        long panels = (nc + NR - 1) / NR;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            int add = accumulate || pc > 0;
            pack_b(kc, nc, NR, b + pc * ldb + jc, ldb, bp);
            for (long ic = 0; ic < m; ic += MR) {
                long mr = m - ic < MR ? m - ic : MR;
                const float *strip = a + ic * lda + pc;
                int packed = mr < MR || panels > 1;
                if (packed) pack_a(mr, kc, MR, strip, lda, ap);
                for (long jp = 0; jp < panels; jp++) {
                    long jr = jp * NR, nr = nc - jr < NR ? nc - jr : NR;
                    run_tile(s, packed ? s->packed : s->a_in_place, kc, packed ? ap : strip, lda, bp + jp * kc * NR,
                             NR, c + ic * ldc + jc + jr, ldc, mr, nr, add, scratch);
                }
            }
        }
    }
}

int csgemm(csgemm_kernel kernel, long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c,
           long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return 0;
    }
    const kernel_shape *s = shape(kernel, n);
    const long MR = s->mr, NR = s->nr;
    const long KC = k <= CSGEMM_KC_WHOLE ? k : CSGEMM_KC;
    int few = n > NR && round_up(m, MR) * KC <= CSGEMM_A_BLOCK;
    long NC = CSGEMM_B_BLOCK / KC / NR * NR;
    if (NC < NR) NC = NR;
    if (NC > round_up(n, NR)) NC = round_up(n, NR);
    long a_floats = few ? round_up(m, MR) * KC : MR * KC, b_floats = few ? NR * KC : NC * KC;

    float *ap = aligned_alloc(64, (size_t)round_up(a_floats * (long)sizeof(float), 64));
    float *bp = aligned_alloc(64, (size_t)round_up(b_floats * (long)sizeof(float), 64));
    float *scratch = aligned_alloc(64, (size_t)round_up(MR * NR * (long)sizeof(float), 64));
    int status = 0;
    if (ap && bp && scratch) {
        if (few) few_rows(s, m, n, k, KC, a, lda, b, ldb, c, ldc, accumulate, ap, bp, scratch);
        else general(s, m, n, k, KC, NC, a, lda, b, ldb, c, ldc, accumulate, ap, bp, scratch);
    } else {
        status = -1;
    }
    free(ap);
    free(bp);
    free(scratch);
    return status;
}
