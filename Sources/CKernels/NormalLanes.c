#include "CKernels.h"

// Each result is one product and one exact sign change, rounded once: no contraction, whatever the target.
#pragma STDC FP_CONTRACT OFF

#include <string.h>

/// One 32-bit word through the ziggurat's fast path: the layer from bits 0-7, the sign from bit 8, the abscissa from
/// bits 9-31; x = abscissa * w (one rounding), its sign set by the bit, times scale (one rounding), with k and w the
/// layer's entry (k in the low 32 bits, w's bits in the high). Returns 1 when the point lies outside the layer's inner
/// rectangle (abscissa >= k).
static inline int fast_one(uint32_t bits, float scale, const uint64_t *layers, float *out) {
    uint64_t entry = layers[bits & 0xFF];
    int32_t abscissa = (int32_t)(bits >> 9), inner = (int32_t)(uint32_t)entry;
    uint32_t widthBits = (uint32_t)(entry >> 32);
    float width;
    memcpy(&width, &widthBits, sizeof width);
    float x = (float)abscissa * width;
    uint32_t pattern;
    memcpy(&pattern, &x, sizeof pattern);
    pattern ^= (bits & 0x100) << 23;
    memcpy(&x, &pattern, sizeof x);
    *out = x * scale;
    return abscissa >= inner;
}

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/// SplitMix64's increment and finalizer (Sources/SNNSupport/SplitMix64.swift).
static const uint64_t golden = 0x9E3779B97F4A7C15ull;
static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void snn_normal_lanes_seed_definition(uint64_t key, uint64_t *state) {
    for (int lane = 0; lane < 8; lane++)
        for (int w = 0; w < 4; w++) state[8 * w + lane] = mix(key + (uint64_t)(4 * lane + w + 1) * golden);
}

long snn_normal_lanes_definition(uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                                 uint64_t *missed) {
    uint64_t *s0 = state, *s1 = state + 8, *s2 = state + 16, *s3 = state + 24;
    long misses = 0;
    for (long group = 0; group * 16 < count; group++) {
        for (int lane = 0; lane < 8; lane++) {
            uint64_t word = rotl(s1[lane] * 5, 7) * 9;
            uint64_t t = s1[lane] << 17;
            s2[lane] ^= s0[lane];
            s3[lane] ^= s1[lane];
            s1[lane] ^= s2[lane];
            s0[lane] ^= s3[lane];
            s2[lane] ^= t;
            s3[lane] = rotl(s3[lane], 45);
            for (int half = 0; half < 2; half++) {
                long slot = group * 16 + 2 * lane + half;
                uint32_t bits = (uint32_t)(word >> (32 * half));
                if (slot < count && fast_one(bits, scale, layers, out + slot))
                    missed[misses++] = (uint64_t)slot << 32 | bits;
            }
        }
    }
    return misses;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
#include <immintrin.h>

/// The lanes' words of one step in slot order (lane 0 low, lane 0 high, lane 1 low, ...): the little-endian layout
/// of eight 64-bit words, so no shuffle is needed. Misses come out in slot order: the mask's bits are visited upward.
__attribute__((target("avx2")))
static long normal_lanes_avx2(uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                              uint64_t *missed) {
    __m256i s0[2], s1[2], s2[2], s3[2];
    for (int h = 0; h < 2; h++) {
        s0[h] = _mm256_loadu_si256((const __m256i *)(state + 4 * h));
        s1[h] = _mm256_loadu_si256((const __m256i *)(state + 8 + 4 * h));
        s2[h] = _mm256_loadu_si256((const __m256i *)(state + 16 + 4 * h));
        s3[h] = _mm256_loadu_si256((const __m256i *)(state + 24 + 4 * h));
    }
    const __m256i low8 = _mm256_set1_epi32(0xFF), signBit = _mm256_set1_epi32(0x100);
    const __m256 scales = _mm256_set1_ps(scale);
    long misses = 0;
    for (long base = 0; base < count; base += 16) {
        for (int h = 0; h < 2; h++) {
            __m256i a = s1[h];
            __m256i five = _mm256_add_epi64(a, _mm256_slli_epi64(a, 2));
            __m256i rotated = _mm256_or_si256(_mm256_slli_epi64(five, 7), _mm256_srli_epi64(five, 57));
            __m256i word = _mm256_add_epi64(rotated, _mm256_slli_epi64(rotated, 3));
            __m256i t = _mm256_slli_epi64(a, 17);
            s2[h] = _mm256_xor_si256(s2[h], s0[h]);
            s3[h] = _mm256_xor_si256(s3[h], s1[h]);
            s1[h] = _mm256_xor_si256(s1[h], s2[h]);
            s0[h] = _mm256_xor_si256(s0[h], s3[h]);
            s2[h] = _mm256_xor_si256(s2[h], t);
            s3[h] = _mm256_or_si256(_mm256_slli_epi64(s3[h], 45), _mm256_srli_epi64(s3[h], 19));

            __m256i layer = _mm256_and_si256(word, low8);
            __m256i abscissa = _mm256_srli_epi32(word, 9);
            __m256i sign = _mm256_slli_epi32(_mm256_and_si256(word, signBit), 23);
            // One 64-bit load per slot gives k and w together; then the k's and w's are gathered in slot order.
            __m256 g0 = _mm256_castsi256_ps(
                _mm256_i32gather_epi64((const long long *)layers, _mm256_castsi256_si128(layer), 8));
            __m256 g1 = _mm256_castsi256_ps(
                _mm256_i32gather_epi64((const long long *)layers, _mm256_extracti128_si256(layer, 1), 8));
            __m256i inner = _mm256_permute4x64_epi64(
                _mm256_castps_si256(_mm256_shuffle_ps(g0, g1, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0));
            __m256 width = _mm256_castsi256_ps(_mm256_permute4x64_epi64(
                _mm256_castps_si256(_mm256_shuffle_ps(g0, g1, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
            __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(abscissa), width);
            x = _mm256_mul_ps(_mm256_xor_ps(x, _mm256_castsi256_ps(sign)), scales);
            unsigned fast = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(inner, abscissa)));
            long first = base + 8 * h;
            long valid = count - first;
            if (valid <= 0) break;
            if (valid >= 8) {
                _mm256_storeu_ps(out + first, x);
            } else {
                float lanes[8];
                _mm256_storeu_ps(lanes, x);
                memcpy(out + first, lanes, (size_t)valid * sizeof(float));
            }
            unsigned miss = ~fast & (valid >= 8 ? 0xFFu : (1u << valid) - 1);
            if (miss) {
                uint32_t words[8];
                _mm256_storeu_si256((__m256i *)words, word);
                while (miss) {
                    int i = __builtin_ctz(miss);
                    missed[misses++] = (uint64_t)(first + i) << 32 | words[i];
                    miss &= miss - 1;
                }
            }
        }
    }
    for (int h = 0; h < 2; h++) {
        _mm256_storeu_si256((__m256i *)(state + 4 * h), s0[h]);
        _mm256_storeu_si256((__m256i *)(state + 8 + 4 * h), s1[h]);
        _mm256_storeu_si256((__m256i *)(state + 16 + 4 * h), s2[h]);
        _mm256_storeu_si256((__m256i *)(state + 24 + 4 * h), s3[h]);
    }
    return misses;
}

/// The eight lanes in one register each, sixteen slots per step; the same order as the AVX2 path.
__attribute__((target("avx512f")))
static long normal_lanes_avx512(uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                                uint64_t *missed) {
    __m512i s0 = _mm512_loadu_si512(state), s1 = _mm512_loadu_si512(state + 8), s2 = _mm512_loadu_si512(state + 16),
            s3 = _mm512_loadu_si512(state + 24);
    const __m512i low8 = _mm512_set1_epi32(0xFF), signBit = _mm512_set1_epi32(0x100);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 scales = _mm512_set1_ps(scale);
    long misses = 0;
    for (long base = 0; base < count; base += 16) {
        __m512i five = _mm512_add_epi64(s1, _mm512_slli_epi64(s1, 2));
        __m512i rotated = _mm512_rol_epi64(five, 7);
        __m512i word = _mm512_add_epi64(rotated, _mm512_slli_epi64(rotated, 3));
        __m512i t = _mm512_slli_epi64(s1, 17);
        s2 = _mm512_xor_si512(s2, s0);
        s3 = _mm512_xor_si512(s3, s1);
        s1 = _mm512_xor_si512(s1, s2);
        s0 = _mm512_xor_si512(s0, s3);
        s2 = _mm512_xor_si512(s2, t);
        s3 = _mm512_rol_epi64(s3, 45);

        __m512i layer = _mm512_and_si512(word, low8);
        __m512i abscissa = _mm512_srli_epi32(word, 9);
        __m512i sign = _mm512_slli_epi32(_mm512_and_si512(word, signBit), 23);
        // One 64-bit load per slot gives k and w together; then the k's and w's are gathered in slot order.
        __m512i g0 = _mm512_i32gather_epi64(_mm512_castsi512_si256(layer), layers, 8);
        __m512i g1 = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(layer, 1), layers, 8);
        __m512i inner = _mm512_permutex2var_epi32(g0, even, g1);
        __m512 width = _mm512_castsi512_ps(_mm512_permutex2var_epi32(g0, odd, g1));
        __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(abscissa), width);
        x = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), sign));
        x = _mm512_mul_ps(x, scales);
        long valid = count - base;
        __mmask16 keep = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        _mm512_mask_storeu_ps(out + base, keep, x);
        // The misses (one group in six has one) appended without a branch: entries slot << 32 | word for the two
        // halves of the group, compressed to the front and stored under a mask of exactly as many lanes.
        unsigned miss = (unsigned)_mm512_mask_cmpge_epi32_mask(keep, abscissa, inner);
        __m512i slots = _mm512_add_epi32(iota, _mm512_set1_epi32((int)base));
        for (int h = 0; h < 2; h++) {
            __m256i w8 = h ? _mm512_extracti64x4_epi64(word, 1) : _mm512_castsi512_si256(word);
            __m256i s8 = h ? _mm512_extracti64x4_epi64(slots, 1) : _mm512_castsi512_si256(slots);
            __m512i entries = _mm512_or_si512(_mm512_slli_epi64(_mm512_cvtepu32_epi64(s8), 32),
                                              _mm512_cvtepu32_epi64(w8));
            __mmask8 m = (__mmask8)(miss >> (8 * h));
            int count = __builtin_popcount(m);
            _mm512_mask_storeu_epi64(missed + misses, (__mmask8)((1u << count) - 1),
                                     _mm512_maskz_compress_epi64(m, entries));
            misses += count;
        }
    }
    _mm512_storeu_si512(state, s0);
    _mm512_storeu_si512(state + 8, s1);
    _mm512_storeu_si512(state + 16, s2);
    _mm512_storeu_si512(state + 24, s3);
    return misses;
}

/// The 32 finalizers at once: word w of the eight lanes in one register (64-bit products need AVX-512 DQ).
__attribute__((target("avx512f,avx512dq")))
static void normal_lanes_seed_avx512(uint64_t key, uint64_t *state) {
    const __m512i lane = _mm512_setr_epi64(0, 4, 8, 12, 16, 20, 24, 28);
    const __m512i m1 = _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ull),
                  m2 = _mm512_set1_epi64((long long)0x94D049BB133111EBull), gamma = _mm512_set1_epi64((long long)golden);
    for (int w = 0; w < 4; w++) {
        __m512i n = _mm512_add_epi64(lane, _mm512_set1_epi64(w + 1));
        __m512i z = _mm512_add_epi64(_mm512_set1_epi64((long long)key), _mm512_mullo_epi64(n, gamma));
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), m1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2);
        _mm512_storeu_si512(state + 8 * w, _mm512_xor_si512(z, _mm512_srli_epi64(z, 31)));
    }
}

void snn_normal_lanes_seed(uint64_t key, uint64_t *state) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        normal_lanes_seed_avx512(key, state);
    else
        snn_normal_lanes_seed_definition(key, state);
}

long snn_normal_lanes_with(int kernel, uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                           uint64_t *missed) {
    switch (kernel) {
    case 0: return snn_normal_lanes_definition(state, out, count, scale, layers, missed);
    case 1:
        if (!__builtin_cpu_supports("avx2")) return -1;
        return normal_lanes_avx2(state, out, count, scale, layers, missed);
    case 2:
        if (!__builtin_cpu_supports("avx512f")) return -1;
        return normal_lanes_avx512(state, out, count, scale, layers, missed);
    default: return -1;
    }
}

int snn_normal_lanes_best(void) {
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}
#else
void snn_normal_lanes_seed(uint64_t key, uint64_t *state) { snn_normal_lanes_seed_definition(key, state); }

long snn_normal_lanes_with(int kernel, uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                           uint64_t *missed) {
    return kernel == 0 ? snn_normal_lanes_definition(state, out, count, scale, layers, missed) : -1;
}

int snn_normal_lanes_best(void) { return 0; }
#endif

long snn_normal_lanes(uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                      uint64_t *missed) {
    return snn_normal_lanes_with(snn_normal_lanes_best(), state, out, count, scale, layers, missed);
}
