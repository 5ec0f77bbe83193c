#include "CKernels.h"

// Branch-free: every index is written at the list's end, which advances only for a listed one (a branch on flags
// that are 1 at random would be mispredicted often).
long snn_list_spikes_definition(const float *now, long count, uint32_t *list) {
    long n = 0;
    for (long j = 0; j < count; j++) {
        list[n] = (uint32_t)j;
        n += now[j] != 0;
    }
    return n;
}

long snn_list_changes_definition(const float *now, const float *before, long count, uint32_t *on, uint32_t *off,
                                 long *switchedOn, long *switchedOff) {
    long spiking = 0, nOn = 0, nOff = 0;
    for (long j = 0; j < count; j++) {
        int s = now[j] != 0, p = before[j] != 0;
        spiking += s;
        on[nOn] = (uint32_t)j;
        nOn += s & !p;
        off[nOff] = (uint32_t)j;
        nOff += p & !s;
    }
    *switchedOn = nOn;
    *switchedOff = nOff;
    return spiking;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
#include <immintrin.h>

/// Sixteen flags per compare: their set lanes' indices packed to the front of a register (vpcompressd) and stored
/// under a mask of exactly that many lanes, so nothing is written past the list.
__attribute__((target("avx512f")))
static long list_spikes_avx512(const float *now, long count, uint32_t *list) {
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 zero = _mm512_setzero_ps();
    long n = 0, j = 0;
    for (; j + 16 <= count; j += 16) {
        __mmask16 s = _mm512_cmp_ps_mask(_mm512_loadu_ps(now + j), zero, _CMP_NEQ_UQ);
        __m512i packed = _mm512_maskz_compress_epi32(s, _mm512_add_epi32(iota, _mm512_set1_epi32((int)j)));
        int k = __builtin_popcount(s);
        _mm512_mask_storeu_epi32(list + n, (__mmask16)((1u << k) - 1), packed);
        n += k;
    }
    for (; j < count; j++) {
        list[n] = (uint32_t)j;
        n += now[j] != 0;
    }
    return n;
}

__attribute__((target("avx512f")))
static long list_changes_avx512(const float *now, const float *before, long count, uint32_t *on, uint32_t *off,
                                long *switchedOn, long *switchedOff) {
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 zero = _mm512_setzero_ps();
    long spiking = 0, nOn = 0, nOff = 0, j = 0;
    for (; j + 16 <= count; j += 16) {
        unsigned s = _mm512_cmp_ps_mask(_mm512_loadu_ps(now + j), zero, _CMP_NEQ_UQ);
        unsigned p = _mm512_cmp_ps_mask(_mm512_loadu_ps(before + j), zero, _CMP_NEQ_UQ);
        __m512i index = _mm512_add_epi32(iota, _mm512_set1_epi32((int)j));
        __mmask16 up = (__mmask16)(s & ~p), down = (__mmask16)(p & ~s);
        int kUp = __builtin_popcount(up), kDown = __builtin_popcount(down);
        _mm512_mask_storeu_epi32(on + nOn, (__mmask16)((1u << kUp) - 1), _mm512_maskz_compress_epi32(up, index));
        _mm512_mask_storeu_epi32(off + nOff, (__mmask16)((1u << kDown) - 1), _mm512_maskz_compress_epi32(down, index));
        nOn += kUp;
        nOff += kDown;
        spiking += __builtin_popcount(s);
    }
    for (; j < count; j++) {
        int s = now[j] != 0, p = before[j] != 0;
        spiking += s;
        on[nOn] = (uint32_t)j;
        nOn += s & !p;
        off[nOff] = (uint32_t)j;
        nOff += p & !s;
    }
    *switchedOn = nOn;
    *switchedOff = nOff;
    return spiking;
}

long snn_list_spikes(const float *now, long count, uint32_t *list) {
    if (__builtin_cpu_supports("avx512f")) return list_spikes_avx512(now, count, list);
    return snn_list_spikes_definition(now, count, list);
}

long snn_list_changes(const float *now, const float *before, long count, uint32_t *on, uint32_t *off,
                      long *switchedOn, long *switchedOff) {
    if (__builtin_cpu_supports("avx512f"))
        return list_changes_avx512(now, before, count, on, off, switchedOn, switchedOff);
    return snn_list_changes_definition(now, before, count, on, off, switchedOn, switchedOff);
}
#else
long snn_list_spikes(const float *now, long count, uint32_t *list) {
    return snn_list_spikes_definition(now, count, list);
}

long snn_list_changes(const float *now, const float *before, long count, uint32_t *on, uint32_t *off,
                      long *switchedOn, long *switchedOff) {
    return snn_list_changes_definition(now, before, count, on, off, switchedOn, switchedOff);
}
#endif
