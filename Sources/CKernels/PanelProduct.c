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

/// The power p of `snn_scaled_panel` for a column whose largest magnitude is `largest` (0 for 0, NaN or infinity).
static int panel_power(float largest) {
    if (!(largest > 0) || !isfinite(largest)) return 0;
    int exponent = 0;
    frexpf(largest, &exponent);
    int power = 1 - exponent;
    return power > 126 ? 126 : (power < -126 ? -126 : power);
}

static void transpose_panel_portable(const float *x, long stride, long count, long k, float *panel) {
    for (long i = 0; i < k; i++)
        for (long lane = 0; lane < 32; lane++) panel[32 * i + lane] = lane < count ? x[lane * stride + i] : 0;
}

static void scale_columns_portable(const float *x, long stride, long count, long k, float *scaled, double *inverse) {
    for (long lane = 0; lane < count; lane++) {
        const float *column = x + lane * stride;
        float largest = 0;
        for (long i = 0; i < k; i++) {
            float magnitude = fabsf(column[i]);
            largest = magnitude > largest ? magnitude : largest;
        }
        int power = panel_power(largest);
        float scale = ldexpf(1.0f, power);
        inverse[lane] = ldexp(1.0, -power);
        float *out = scaled + lane * stride;
        for (long i = 0; i < k; i++) out[i] = column[i] * scale;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
/// Each half entry of the panel gathered from 16 columns (masked past `count`).
__attribute__((target("avx512f")))
static void transpose_panel_avx512(const float *x, long stride, long count, long k, float *panel) {
    __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32((int)stride));
    __mmask16 low = count >= 16 ? 0xffff : (__mmask16)((1u << count) - 1);
    __mmask16 high = count >= 32 ? 0xffff : (count <= 16 ? 0 : (__mmask16)((1u << (count - 16)) - 1));
    const float *upper = x + 16 * stride;
    for (long i = 0; i < k; i++) {
        _mm512_store_ps(panel + 32 * i, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), low, offsets, x + i, 4));
        _mm512_store_ps(panel + 32 * i + 16,
                        high ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), high, offsets, upper + i, 4)
                             : _mm512_setzero_ps());
    }
}

/// A vector maximum and scaling per column.
__attribute__((target("avx512f")))
static void scale_columns_avx512(const float *x, long stride, long count, long k, float *scaled, double *inverse) {
    for (long lane = 0; lane < count; lane++) {
        const float *column = x + lane * stride;
        __m512 largest = _mm512_setzero_ps();
        long i = 0;
        for (; i + 16 <= k; i += 16) largest = _mm512_max_ps(largest, _mm512_abs_ps(_mm512_loadu_ps(column + i)));
        __mmask16 tail = (__mmask16)((1u << (k - i)) - 1);
        largest = _mm512_max_ps(largest, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail, column + i)));
        int power = panel_power(_mm512_reduce_max_ps(largest));
        __m512 scale = _mm512_set1_ps(ldexpf(1.0f, power));
        inverse[lane] = ldexp(1.0, -power);
        float *out = scaled + lane * stride;
        for (i = 0; i + 16 <= k; i += 16) _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(column + i), scale));
        _mm512_mask_storeu_ps(out + i, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, column + i), scale));
    }
}

/// Gathers take 32-bit offsets: the AVX-512 paths serve columns less than 2 GiB apart.
static int fits_gather(long count, long stride) { return count * stride < (1L << 31) / 4; }

void snn_transpose_panel(const float *x, long stride, long count, long k, float *panel) {
    if (__builtin_cpu_supports("avx512f") && fits_gather(count, stride))
        transpose_panel_avx512(x, stride, count, k, panel);
    else
        transpose_panel_portable(x, stride, count, k, panel);
}

void snn_scale_columns(const float *x, long stride, long count, long k, float *scaled, double *inverse) {
    if (__builtin_cpu_supports("avx512f")) scale_columns_avx512(x, stride, count, k, scaled, inverse);
    else scale_columns_portable(x, stride, count, k, scaled, inverse);
}

void snn_scaled_panel(const float *x, long stride, long count, long k, float *scaled, float *panel, double *inverse) {
    if (__builtin_cpu_supports("avx512f") && fits_gather(count, stride)) {
        scale_columns_avx512(x, stride, count, k, scaled, inverse);
        transpose_panel_avx512(scaled, stride, count, k, panel);
    } else {
        scale_columns_portable(x, stride, count, k, scaled, inverse);
        transpose_panel_portable(scaled, stride, count, k, panel);
    }
}
#else
void snn_scale_columns(const float *x, long stride, long count, long k, float *scaled, double *inverse) {
    scale_columns_portable(x, stride, count, k, scaled, inverse);
}

void snn_transpose_panel(const float *x, long stride, long count, long k, float *panel) {
    transpose_panel_portable(x, stride, count, k, panel);
}

void snn_scaled_panel(const float *x, long stride, long count, long k, float *scaled, float *panel, double *inverse) {
    scale_columns_portable(x, stride, count, k, scaled, inverse);
    transpose_panel_portable(scaled, stride, count, k, panel);
}
#endif
