#include "CKernels.h"

// Only additions and subtractions of floats, each rounded on its own, in the same order in every lane: the vector
// paths give the bits of the definition on every CPU.
#pragma STDC FP_CONTRACT OFF

/// One column of the definition: 32 lanes, additions in list order, then subtractions.
static void accumulate_column(const float *panel, const snn_panel_column *c) {
    float acc[32];
    for (int i = 0; i < 32; i++) acc[i] = c->previous ? c->previous[i] : 0.0f;
    for (long e = 0; e < c->additions; e++) {
        const float *w = panel + 32 * (long)c->list[e];
        for (int i = 0; i < 32; i++) acc[i] = acc[i] + w[i];
    }
    for (long e = c->additions; e < c->length; e++) {
        const float *w = panel + 32 * (long)c->list[e];
        for (int i = 0; i < 32; i++) acc[i] = acc[i] - w[i];
    }
    for (int i = 0; i < 32; i++) c->output[i] = acc[i];
}

void snn_accumulate_panel_definition(const float *panel, const snn_panel_column *columns, long count) {
    for (long c = 0; c < count; c++) accumulate_column(panel, columns + c);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(SNN_PORTABLE_KERNELS)
#include <immintrin.h>

/* Up to four columns side by side: while every column still has an addition (then a subtraction) left, one entry of
   each per round, so 4 x (32 / lanes) independent accumulators keep the adder busy; then each column's rest alone.
   Per lane the order is the definition's: previous (or 0), additions in list order, subtractions in list order. */
#define DEFINE_ACCUMULATE(NAME, TARGET, VEC, LANES, ZERO, LOADU, ADD, SUB, STOREU)                                  \
    __attribute__((target(TARGET))) static void NAME(const float *panel, const snn_panel_column *columns,          \
                                                     long count) {                                                  \
        enum { V = 32 / LANES };                                                                                    \
        VEC acc[4][V];                                                                                              \
        for (long c = 0; c < count; c++)                                                                            \
            for (int v = 0; v < V; v++)                                                                             \
                acc[c][v] = columns[c].previous ? LOADU(columns[c].previous + LANES * v) : ZERO();                  \
        long position[4] = {0, 0, 0, 0};                                                                            \
        for (int phase = 0; phase < 2; phase++) {                                                                   \
            long end[4] = {0, 0, 0, 0}, common = -1;                                                                \
            for (long c = 0; c < count; c++) {                                                                      \
                end[c] = phase == 0 ? columns[c].additions : columns[c].length;                                     \
                long left = end[c] - position[c];                                                                   \
                if (common < 0 || left < common) common = left;                                                     \
            }                                                                                                       \
            if (count == 4) {                                                                                       \
                const unsigned *l0 = columns[0].list + position[0], *l1 = columns[1].list + position[1];           \
                const unsigned *l2 = columns[2].list + position[2], *l3 = columns[3].list + position[3];           \
                for (long e = 0; e < common; e++) {                                                                 \
                    const float *w0 = panel + 32 * (long)l0[e], *w1 = panel + 32 * (long)l1[e];                    \
                    const float *w2 = panel + 32 * (long)l2[e], *w3 = panel + 32 * (long)l3[e];                    \
                    for (int v = 0; v < V; v++) {                                                                   \
                        if (phase == 0) {                                                                           \
                            acc[0][v] = ADD(acc[0][v], LOADU(w0 + LANES * v));                                      \
                            acc[1][v] = ADD(acc[1][v], LOADU(w1 + LANES * v));                                      \
                            acc[2][v] = ADD(acc[2][v], LOADU(w2 + LANES * v));                                      \
                            acc[3][v] = ADD(acc[3][v], LOADU(w3 + LANES * v));                                      \
                        } else {                                                                                    \
                            acc[0][v] = SUB(acc[0][v], LOADU(w0 + LANES * v));                                      \
                            acc[1][v] = SUB(acc[1][v], LOADU(w1 + LANES * v));                                      \
                            acc[2][v] = SUB(acc[2][v], LOADU(w2 + LANES * v));                                      \
                            acc[3][v] = SUB(acc[3][v], LOADU(w3 + LANES * v));                                      \
                        }                                                                                           \
                    }                                                                                               \
                }                                                                                                   \
                for (int c = 0; c < 4; c++) position[c] += common;                                                  \
            }                                                                                                       \
            for (long c = 0; c < count; c++) {                                                                      \
                const unsigned *list = columns[c].list;                                                             \
                for (long e = position[c]; e < end[c]; e++) {                                                       \
                    const float *w = panel + 32 * (long)list[e];                                                    \
                    for (int v = 0; v < V; v++)                                                                     \
                        acc[c][v] = phase == 0 ? ADD(acc[c][v], LOADU(w + LANES * v))                               \
                                               : SUB(acc[c][v], LOADU(w + LANES * v));                              \
                }                                                                                                   \
                position[c] = end[c];                                                                               \
            }                                                                                                       \
        }                                                                                                           \
        for (long c = 0; c < count; c++)                                                                            \
            for (int v = 0; v < V; v++) STOREU(columns[c].output + LANES * v, acc[c][v]);                           \
    }

DEFINE_ACCUMULATE(accumulate_avx512, "avx512f", __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_add_ps,
                  _mm512_sub_ps, _mm512_storeu_ps)
DEFINE_ACCUMULATE(accumulate_avx2, "avx2", __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_add_ps,
                  _mm256_sub_ps, _mm256_storeu_ps)
DEFINE_ACCUMULATE(accumulate_sse, "sse2", __m128, 4, _mm_setzero_ps, _mm_loadu_ps, _mm_add_ps, _mm_sub_ps,
                  _mm_storeu_ps)

typedef void (*accumulate_fn)(const float *, const snn_panel_column *, long);

static accumulate_fn choose(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return accumulate_avx512;
    if (__builtin_cpu_supports("avx2")) return accumulate_avx2;
    return accumulate_sse;
}

static int level_of(accumulate_fn f) { return f == accumulate_avx512 ? 2 : f == accumulate_avx2 ? 1 : 0; }

#else

typedef void (*accumulate_fn)(const float *, const snn_panel_column *, long);
static accumulate_fn choose(void) { return snn_accumulate_panel_definition; }
static int level_of(accumulate_fn f) { (void)f; return 0; }

#endif

static accumulate_fn chosen(void) {
    /* Racing first calls compute and store the same pointer. */
    static _Atomic(accumulate_fn) cached = 0;
    accumulate_fn f = cached;
    if (!f) {
        f = choose();
        cached = f;
    }
    return f;
}

void snn_accumulate_panel(const float *panel, const snn_panel_column *columns, long count) {
    chosen()(panel, columns, count);
}

int snn_accumulate_vector_level(void) { return level_of(chosen()); }
