#include "CKernels.h"

// Only the explicit fused multiply-adds (fmaf, _mm256_fmadd_ps): no other contraction, whatever the target.
#pragma STDC FP_CONTRACT OFF

#include <math.h>
#include <string.h>

/// fmaf is correctly rounded, so this gives the vector path's bits.
void snn_panel_product_definition(const float *panel, long k, const float *input, long inputStride, float *out,
                                 long outStride, long rows, long columns) {
    for (long c = 0; c < columns; c++) {
        const float *x = input + c * inputStride;
        float acc[32];
        memset(acc, 0, sizeof acc);
        for (long m = 0; m < k; m++) {
            const float *w = panel + 32 * m;
            for (int i = 0; i < 32; i++) acc[i] = fmaf(w[i], x[m], acc[i]);
        }
        memcpy(out + c * outStride, acc, (size_t)rows * sizeof(float));
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
#include <immintrin.h>

/// Three columns at a time: 12 eight-lane accumulators, each weight vector loaded once for three fused
/// multiply-adds.
__attribute__((target("avx2,fma")))
static void panel_product_avx2(const float *panel, long k, const float *input, long inputStride, float *out,
                               long outStride, long rows, long columns) {
    long c = 0;
    for (; c + 3 <= columns; c += 3) {
        const float *x = input + c * inputStride, *y = x + inputStride, *z = y + inputStride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        for (long m = 0; m < k; m++) {
            const float *w = panel + 32 * m;
            __m256 w0 = _mm256_load_ps(w), w1 = _mm256_load_ps(w + 8), w2 = _mm256_load_ps(w + 16),
                   w3 = _mm256_load_ps(w + 24);
            __m256 sx = _mm256_broadcast_ss(x + m), sy = _mm256_broadcast_ss(y + m), sz = _mm256_broadcast_ss(z + m);
            a0 = _mm256_fmadd_ps(w0, sx, a0); a1 = _mm256_fmadd_ps(w1, sx, a1);
            a2 = _mm256_fmadd_ps(w2, sx, a2); a3 = _mm256_fmadd_ps(w3, sx, a3);
            b0 = _mm256_fmadd_ps(w0, sy, b0); b1 = _mm256_fmadd_ps(w1, sy, b1);
            b2 = _mm256_fmadd_ps(w2, sy, b2); b3 = _mm256_fmadd_ps(w3, sy, b3);
            d0 = _mm256_fmadd_ps(w0, sz, d0); d1 = _mm256_fmadd_ps(w1, sz, d1);
            d2 = _mm256_fmadd_ps(w2, sz, d2); d3 = _mm256_fmadd_ps(w3, sz, d3);
        }
        float lanes[3][32];
        _mm256_storeu_ps(lanes[0], a0); _mm256_storeu_ps(lanes[0] + 8, a1);
        _mm256_storeu_ps(lanes[0] + 16, a2); _mm256_storeu_ps(lanes[0] + 24, a3);
        _mm256_storeu_ps(lanes[1], b0); _mm256_storeu_ps(lanes[1] + 8, b1);
        _mm256_storeu_ps(lanes[1] + 16, b2); _mm256_storeu_ps(lanes[1] + 24, b3);
        _mm256_storeu_ps(lanes[2], d0); _mm256_storeu_ps(lanes[2] + 8, d1);
        _mm256_storeu_ps(lanes[2] + 16, d2); _mm256_storeu_ps(lanes[2] + 24, d3);
        for (int j = 0; j < 3; j++) memcpy(out + (c + j) * outStride, lanes[j], (size_t)rows * sizeof(float));
    }
    for (; c < columns; c++) {
        const float *x = input + c * inputStride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (long m = 0; m < k; m++) {
            const float *w = panel + 32 * m;
            __m256 s = _mm256_broadcast_ss(x + m);
            a0 = _mm256_fmadd_ps(_mm256_load_ps(w), s, a0);
            a1 = _mm256_fmadd_ps(_mm256_load_ps(w + 8), s, a1);
            a2 = _mm256_fmadd_ps(_mm256_load_ps(w + 16), s, a2);
            a3 = _mm256_fmadd_ps(_mm256_load_ps(w + 24), s, a3);
        }
        float lanes[32];
        _mm256_storeu_ps(lanes, a0); _mm256_storeu_ps(lanes + 8, a1);
        _mm256_storeu_ps(lanes + 16, a2); _mm256_storeu_ps(lanes + 24, a3);
        memcpy(out + c * outStride, lanes, (size_t)rows * sizeof(float));
    }
}

/// Six columns at a time: 12 sixteen-lane accumulators; the remaining columns by the AVX2 path.
__attribute__((target("avx512f")))
static void panel_product_avx512(const float *panel, long k, const float *input, long inputStride, float *out,
                                 long outStride, long rows, long columns) {
    long c = 0;
    for (; c + 6 <= columns; c += 6) {
        const float *x = input + c * inputStride;
        __m512 lo[6], hi[6];
        for (int j = 0; j < 6; j++) lo[j] = hi[j] = _mm512_setzero_ps();
        for (long m = 0; m < k; m++) {
            const float *w = panel + 32 * m;
            __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 16);
            for (int j = 0; j < 6; j++) {
                __m512 s = _mm512_set1_ps(x[j * inputStride + m]);
                lo[j] = _mm512_fmadd_ps(w0, s, lo[j]);
                hi[j] = _mm512_fmadd_ps(w1, s, hi[j]);
            }
        }
        for (int j = 0; j < 6; j++) {
            float lanes[32];
            _mm512_storeu_ps(lanes, lo[j]);
            _mm512_storeu_ps(lanes + 16, hi[j]);
            memcpy(out + (c + j) * outStride, lanes, (size_t)rows * sizeof(float));
        }
    }
    if (c < columns)
        panel_product_avx2(panel, k, input + c * inputStride, inputStride, out + c * outStride, outStride, rows,
                           columns - c);
}

void snn_panel_product(const float *panel, long k, const float *input, long inputStride, float *out,
                       long outStride, long rows, long columns) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        panel_product_avx512(panel, k, input, inputStride, out, outStride, rows, columns);
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        panel_product_avx2(panel, k, input, inputStride, out, outStride, rows, columns);
    else snn_panel_product_definition(panel, k, input, inputStride, out, outStride, rows, columns);
}
#else
void snn_panel_product(const float *panel, long k, const float *input, long inputStride, float *out,
                       long outStride, long rows, long columns) {
    snn_panel_product_definition(panel, k, input, inputStride, out, outStride, rows, columns);
}
#endif
