#include "CKernels.h"

static void threshold_bits_portable(const float *x, long n, float threshold, unsigned long long *bits) {
    long words = (n + 63) / 64;
    for (long w = 0; w < words; w++) {
        unsigned long long word = 0;
        long end = n - 64 * w < 64 ? n - 64 * w : 64;
        for (long m = 0; m < end; m++) word |= (unsigned long long)(x[64 * w + m] > threshold) << m;
        bits[w] = word;
    }
}

/// Rows [first, first + count) with the compiler's popcount (a table-free bit count on CPUs without POPCNT).
static void bit_overlaps_portable(const unsigned long long *bits, long words, long first, long count, double *out,
                                  long ldOut) {
    for (long c = first; c < first + count; c++) {
        const unsigned long long *a = bits + c * words;
        for (long d = 0; d <= c; d++) {
            const unsigned long long *b = bits + d * words;
            long total = 0;
            for (long w = 0; w < words; w++) total += __builtin_popcountll(a[w] & b[w]);
            out[c * ldOut + d] = (double)total;
        }
    }
}

void snn_bit_overlaps_definition(const unsigned long long *bits, long words, long first, long count, double *out,
                                 long ldOut) {
    bit_overlaps_portable(bits, words, first, count, out, ldOut);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
#include <immintrin.h>

__attribute__((target("popcnt")))
static void bit_overlaps_popcnt(const unsigned long long *bits, long words, long first, long count, double *out,
                                long ldOut) {
    for (long c = first; c < first + count; c++) {
        const unsigned long long *a = bits + c * words;
        for (long d = 0; d <= c; d++) {
            const unsigned long long *b = bits + d * words;
            long total = 0;
            for (long w = 0; w < words; w++) total += __builtin_popcountll(a[w] & b[w]);
            out[c * ldOut + d] = (double)total;
        }
    }
}

/// Eight words per instruction (AVX-512 VPOPCNTDQ), the last partial group under a mask.
__attribute__((target("avx512f,avx512vpopcntdq")))
static void bit_overlaps_avx512(const unsigned long long *bits, long words, long first, long count, double *out,
                                long ldOut) {
    long full = words / 8 * 8;
    __mmask8 tail = (__mmask8)((1u << (words - full)) - 1);
    for (long c = first; c < first + count; c++) {
        const unsigned long long *a = bits + c * words;
        for (long d = 0; d <= c; d++) {
            const unsigned long long *b = bits + d * words;
            __m512i total = _mm512_setzero_si512();
            for (long w = 0; w < full; w += 8)
                total = _mm512_add_epi64(total, _mm512_popcnt_epi64(_mm512_and_si512(
                    _mm512_loadu_si512((const void *)(a + w)), _mm512_loadu_si512((const void *)(b + w)))));
            if (tail)
                total = _mm512_add_epi64(total, _mm512_popcnt_epi64(_mm512_and_si512(
                    _mm512_maskz_loadu_epi64(tail, a + full), _mm512_maskz_loadu_epi64(tail, b + full))));
            out[c * ldOut + d] = (double)_mm512_reduce_add_epi64(total);
        }
    }
}

/// Sixteen comparisons per instruction, the same bits.
__attribute__((target("avx512f")))
static void threshold_bits_avx512(const float *x, long n, float threshold, unsigned long long *bits) {
    __m512 t = _mm512_set1_ps(threshold);
    long words = (n + 63) / 64;
    for (long w = 0; w < words; w++) {
        unsigned long long word = 0;
        for (int q = 0; q < 4; q++) {
            long start = 64 * w + 16 * q, left = n - start;
            if (left <= 0) break;
            __mmask16 valid = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
            __mmask16 above = _mm512_mask_cmp_ps_mask(valid, _mm512_maskz_loadu_ps(valid, x + start), t, _CMP_GT_OQ);
            word |= (unsigned long long)above << (16 * q);
        }
        bits[w] = word;
    }
}

void snn_threshold_bits(const float *x, long n, float threshold, unsigned long long *bits) {
    if (__builtin_cpu_supports("avx512f")) threshold_bits_avx512(x, n, threshold, bits);
    else threshold_bits_portable(x, n, threshold, bits);
}

void snn_bit_overlaps(const unsigned long long *bits, long words, long first, long count, double *out, long ldOut) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
        bit_overlaps_avx512(bits, words, first, count, out, ldOut);
    else if (__builtin_cpu_supports("popcnt"))
        bit_overlaps_popcnt(bits, words, first, count, out, ldOut);
    else
        bit_overlaps_portable(bits, words, first, count, out, ldOut);
}
#else
void snn_threshold_bits(const float *x, long n, float threshold, unsigned long long *bits) {
    threshold_bits_portable(x, n, threshold, bits);
}

void snn_bit_overlaps(const unsigned long long *bits, long words, long first, long count, double *out, long ldOut) {
    bit_overlaps_portable(bits, words, first, count, out, ldOut);
}
#endif
