#include "CKernels.h"

// Every product and sum rounded on its own: no contraction to fused multiply-adds, whatever the target.
#pragma STDC FP_CONTRACT OFF

/// g for rows [first, first + count) of input j, one row at a time.
static void list_sums_rows(const float *delta, long stride, long first, long count, long j, const long *starts,
                           const unsigned *columns, const float *values, double *sums, double *squares, float *store,
                           long storeStride) {
    for (long i = first; i < first + count; i++) {
        float g = 0;
        for (long e = starts[j]; e < starts[j + 1]; e++) {
            float d = delta[(long)columns[e] * stride + i];
            if (values) {
                float p = d * values[e];
                g = g + p;
            } else {
                g = g + d;
            }
        }
        double x = g;
        double x2 = x * x;
        sums[i % 8] = sums[i % 8] + x;
        squares[i % 8] = squares[i % 8] + x2;
        if (store) store[i * storeStride + j] = g;
    }
}

void snn_list_sums_definition(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                              const float *values, long fanIn, double *sums, double *squares, float *store,
                              long storeStride) {
    for (long j = 0; j < fanIn; j++)
        list_sums_rows(delta, stride, 0, rows, j, starts, columns, values, sums, squares, store, storeStride);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
#include <immintrin.h>

/// Adds the eight lanes of g (rows first..first+7) to the buckets, as the definition does row by row.
__attribute__((target("avx2")))
static inline void add_lanes(__m256 g, __m256d *s0, __m256d *s1, __m256d *q0, __m256d *q1) {
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(g)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(g, 1));
    *s0 = _mm256_add_pd(*s0, lo);
    *s1 = _mm256_add_pd(*s1, hi);
    *q0 = _mm256_add_pd(*q0, _mm256_mul_pd(lo, lo));
    *q1 = _mm256_add_pd(*q1, _mm256_mul_pd(hi, hi));
}

/// Rows [first, first + count) of input j: 64 rows (eight accumulators) per walk of the list, then 8 at a time, then
/// the rows past the last group of 8 one at a time, so every bucket receives its values in the definition's order.
__attribute__((target("avx2")))
static void list_sums_avx2_rows(const float *delta, long stride, long first, long count, long j, const long *starts,
                                const unsigned *columns, const float *values, double *sums, double *squares,
                                float *store, long storeStride) {
    long end = first + count / 8 * 8, begin = starts[j], stop = starts[j + 1];
    __m256d s0 = _mm256_loadu_pd(sums), s1 = _mm256_loadu_pd(sums + 4);
    __m256d q0 = _mm256_loadu_pd(squares), q1 = _mm256_loadu_pd(squares + 4);
    long i = first;
    for (; i + 64 <= end; i += 64) {
        __m256 a[8];
        for (int k = 0; k < 8; k++) a[k] = _mm256_setzero_ps();
        for (long e = begin; e < stop; e++) {
            const float *d = delta + (long)columns[e] * stride + i;
            if (values) {
                __m256 v = _mm256_set1_ps(values[e]);
                for (int k = 0; k < 8; k++) a[k] = _mm256_add_ps(a[k], _mm256_mul_ps(_mm256_loadu_ps(d + 8 * k), v));
            } else {
                for (int k = 0; k < 8; k++) a[k] = _mm256_add_ps(a[k], _mm256_loadu_ps(d + 8 * k));
            }
        }
        for (int k = 0; k < 8; k++) {
            add_lanes(a[k], &s0, &s1, &q0, &q1);
            if (store) {
                float lanes[8];
                _mm256_storeu_ps(lanes, a[k]);
                for (int m = 0; m < 8; m++) store[(i + 8 * k + m) * storeStride + j] = lanes[m];
            }
        }
    }
    for (; i < end; i += 8) {
        __m256 a = _mm256_setzero_ps();
        for (long e = begin; e < stop; e++) {
            __m256 d = _mm256_loadu_ps(delta + (long)columns[e] * stride + i);
            a = _mm256_add_ps(a, values ? _mm256_mul_ps(d, _mm256_set1_ps(values[e])) : d);
        }
        add_lanes(a, &s0, &s1, &q0, &q1);
        if (store) {
            float lanes[8];
            _mm256_storeu_ps(lanes, a);
            for (int m = 0; m < 8; m++) store[(i + m) * storeStride + j] = lanes[m];
        }
    }
    _mm256_storeu_pd(sums, s0);
    _mm256_storeu_pd(sums + 4, s1);
    _mm256_storeu_pd(squares, q0);
    _mm256_storeu_pd(squares + 4, q1);
    list_sums_rows(delta, stride, end, first + count - end, j, starts, columns, values, sums, squares, store,
                   storeStride);
}

__attribute__((target("avx2")))
static void list_sums_avx2(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                           const float *values, long fanIn, double *sums, double *squares, float *store,
                           long storeStride) {
    for (long j = 0; j < fanIn; j++)
        list_sums_avx2_rows(delta, stride, 0, rows, j, starts, columns, values, sums, squares, store, storeStride);
}

/// 128 rows (eight sixteen-lane accumulators) per walk of a list; the rows past the last block of 128 by the AVX2 path.
__attribute__((target("avx512f,avx2")))
static void list_sums_avx512(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                             const float *values, long fanIn, double *sums, double *squares, float *store,
                             long storeStride) {
    long blocks = rows / 128 * 128;
    for (long j = 0; j < fanIn; j++) {
        long begin = starts[j], stop = starts[j + 1];
        for (long i = 0; i < blocks; i += 128) {
            __m512 a[8];
            for (int k = 0; k < 8; k++) a[k] = _mm512_setzero_ps();
            for (long e = begin; e < stop; e++) {
                const float *d = delta + (long)columns[e] * stride + i;
                if (values) {
                    __m512 v = _mm512_set1_ps(values[e]);
                    for (int k = 0; k < 8; k++)
                        a[k] = _mm512_add_ps(a[k], _mm512_mul_ps(_mm512_loadu_ps(d + 16 * k), v));
                } else {
                    for (int k = 0; k < 8; k++) a[k] = _mm512_add_ps(a[k], _mm512_loadu_ps(d + 16 * k));
                }
            }
            __m256d s0 = _mm256_loadu_pd(sums), s1 = _mm256_loadu_pd(sums + 4);
            __m256d q0 = _mm256_loadu_pd(squares), q1 = _mm256_loadu_pd(squares + 4);
            for (int k = 0; k < 8; k++) {
                add_lanes(_mm512_castps512_ps256(a[k]), &s0, &s1, &q0, &q1);
                add_lanes(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a[k]), 1)), &s0, &s1, &q0, &q1);
                if (store) {
                    float lanes[16];
                    _mm512_storeu_ps(lanes, a[k]);
                    for (int m = 0; m < 16; m++) store[(i + 16 * k + m) * storeStride + j] = lanes[m];
                }
            }
            _mm256_storeu_pd(sums, s0);
            _mm256_storeu_pd(sums + 4, s1);
            _mm256_storeu_pd(squares, q0);
            _mm256_storeu_pd(squares + 4, q1);
        }
        list_sums_avx2_rows(delta, stride, blocks, rows - blocks, j, starts, columns, values, sums, squares, store,
                            storeStride);
    }
}

void snn_list_sums(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                   const float *values, long fanIn, double *sums, double *squares, float *store, long storeStride) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2"))
        list_sums_avx512(delta, stride, rows, starts, columns, values, fanIn, sums, squares, store, storeStride);
    else if (__builtin_cpu_supports("avx2"))
        list_sums_avx2(delta, stride, rows, starts, columns, values, fanIn, sums, squares, store, storeStride);
    else
        snn_list_sums_definition(delta, stride, rows, starts, columns, values, fanIn, sums, squares, store, storeStride);
}
#else
void snn_list_sums(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                   const float *values, long fanIn, double *sums, double *squares, float *store, long storeStride) {
    snn_list_sums_definition(delta, stride, rows, starts, columns, values, fanIn, sums, squares, store, storeStride);
}
#endif
