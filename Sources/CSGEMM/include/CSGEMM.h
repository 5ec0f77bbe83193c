#ifndef SNN_THEORY_CSGEMM_H
#define SNN_THEORY_CSGEMM_H

/* Row-major single-precision matrix products on one thread: C = A B, or C += A B.
   The caller splits work across threads (SNNLinearAlgebra does); see README.md for the kernels and the choice. */

/* The kernel families, from the most portable up. A family is usable when the CPU reports the instructions and the
   operating system saves their registers (cpuid and xgetbv); nothing is chosen by the CPU's name or model number. */
typedef enum {
    CSGEMM_KERNEL_PORTABLE = 0, /* plain C, compiled for the build's baseline (SSE2 on x86-64, NEON on arm64) */
    CSGEMM_KERNEL_AVX2 = 1,     /* AVX2 + FMA, 256-bit */
    CSGEMM_KERNEL_AVX512 = 2    /* AVX-512F, 512-bit */
} csgemm_kernel;

/* The best kernel family this CPU and operating system support (detected once, then cached). */
csgemm_kernel csgemm_best_kernel(void);

/* Whether this CPU and operating system support `kernel`. */
int csgemm_kernel_supported(csgemm_kernel kernel);

/* The column and row multiples a caller splitting C across threads should cut at, for a product with n columns:
   the kernel's tile (rows x columns). Cuts elsewhere give the same results, only more edge tiles. */
long csgemm_tile_rows(csgemm_kernel kernel, long n);
long csgemm_tile_columns(csgemm_kernel kernel, long n);

/* C[m x n] = A[m x k] B[k x n] (accumulate == 0) or C += A B (accumulate != 0); row-major, leading dimensions lda,
   ldb, ldc (elements). Every entry of C is summed in the same order whatever the kernel family with fused
   multiply-adds (AVX2, AVX-512) and whatever part of C a call covers: blocks of 256 terms of k (k itself when
   k <= 384), each block summed in increasing k from zero and then added to C. An unsupported `kernel` falls back to
   the best supported one. Returns 0, or -1 if the packing buffers could not be allocated (C is then unchanged). */
int csgemm(csgemm_kernel kernel, long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c,
           long ldc, int accumulate);

/* The same product on `threads` threads (the calling thread and up to threads - 1 pooled workers; threads <= 0: one
   per online core), C cut into row or column strips at tile boundaries. The result is the same, bit for bit, for
   every thread count. A call made while another thread's product holds the pool runs on the calling thread alone. */
int csgemm_parallel(csgemm_kernel kernel, long threads, long m, long n, long k, const float *a, long lda,
                    const float *b, long ldb, float *c, long ldc, int accumulate);

#endif
