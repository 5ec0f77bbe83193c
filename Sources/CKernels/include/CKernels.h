#ifndef SNN_CKERNELS_H
#define SNN_CKERNELS_H

#include <stdint.h>

/// out[c][i] = sum over m = 0..k-1, in increasing m, of fma(panel[32 m + i], input[c][m], .), from 0, for the
/// rows i < rows (<= 32) of one panel and the columns c < columns: a panel of 32 rows of a matrix (entry m holds
/// its 32 rows' values at column m) times `columns` vectors (column c at input + c * inputStride), each output written
/// at out + c * outStride. Every product is fused with its addition (one rounding), in the same order on every CPU:
/// AVX2 with FMA where the CPU has them (checked at run time), fmaf from the C library otherwise.
void snn_panel_product(const float *panel, long k, const float *input, long inputStride, float *out,
                       long outStride, long rows, long columns);

/// The same product one lane at a time with fmaf: the path of CPUs without AVX2 and FMA, and the definition the
/// vector path is tested against, bit for bit.
void snn_panel_product_definition(const float *panel, long k, const float *input, long inputStride, float *out,
                                  long outStride, long rows, long columns);

/// A panel of up to 32 columns for `snn_panel_product`: entry i (32 floats) holds the values at i of the columns
/// lane < count (k values at x + lane * stride), zeros past `count`. The panel is 64-byte aligned.
void snn_transpose_panel(const float *x, long stride, long count, long k, float *panel);

/// Columns scaled by powers of two: each column `lane` < count (k values at x + lane * stride) times 2^p, p in
/// [-126, 126] chosen so that its largest magnitude lands in [1, 2) (p = 0 for a column of zeros or one holding an
/// infinity; a column holding a NaN gets some p, its products being NaN whatever p), written to
/// scaled + lane * stride, with 2^-p in inverse[lane]. Scaling by a power of two is exact for normal values, so
/// products of scaled columns are the unscaled ones times the scales, and stay out of the slow subnormal range.
void snn_scale_columns(const float *x, long stride, long count, long k, float *scaled, double *inverse);

/// `snn_scale_columns` for up to 32 columns, then the panel of the scaled columns (`snn_transpose_panel`).
void snn_scaled_panel(const float *x, long stride, long count, long k, float *scaled, float *panel, double *inverse);

/// Sums of listed columns, for the weight gradient G_ij = sum_c delta_i[c] a_j[c]: for each input j < fanIn and row
/// i < rows, g_ij = the Float32 sum, in increasing e from starts[j] to starts[j + 1] - 1, of
/// delta[columns[e] * stride + i] (times values[e], rounded, when `values` is not NULL). Adds g_ij and g_ij^2 as doubles
/// to sums[i % 8] and squares[i % 8], in increasing j, then i; stores g_ij at store[i * storeStride + j] when `store`
/// is not NULL. AVX2 where the CPU has it, scalar otherwise, the same bits.
void snn_list_sums(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                   const float *values, long fanIn, double *sums, double *squares, float *store, long storeStride);

/// The same, scalar: the path of CPUs without AVX2, and the definition the vector path is tested against.
void snn_list_sums_definition(const float *delta, long stride, long rows, const long *starts, const unsigned *columns,
                              const float *values, long fanIn, double *sums, double *squares, float *store,
                              long storeStride);

/// One column of a 32-neuron panel for the forward pass's sparse route: out[i] = (previous[i], or 0 when previous is
/// NULL) plus panel[32 list[e] + i] for e < additions, in increasing e, then minus it for additions <= e < length,
/// for the 32 rows i of the panel (entry m of the panel holds its 32 rows' weights from input m).
typedef struct {
    const unsigned *list;
    long length;
    long additions;
    float *output;
    const float *previous;
} snn_panel_column;

/// `count` (1 to 4) columns of one panel: AVX-512, AVX2 or SSE2 chosen by CPU features at the first call (only the
/// definition in a build with SNN_PORTABLE_KERNELS defined); the same bits as the definition on every path, since
/// every lane adds and subtracts its floats in the definition's order with nothing fused.
void snn_accumulate_panel(const float *panel, const snn_panel_column *columns, long count);

/// The same, one lane at a time: the path of a portable build and the definition the vector paths are tested
/// against, bit for bit.
void snn_accumulate_panel_definition(const float *panel, const snn_panel_column *columns, long count);

/// Which path snn_accumulate_panel takes: 2 AVX-512, 1 AVX2, 0 SSE2 or the definition.
int snn_accumulate_vector_level(void);

/// The spikes of one column as bits: bit m of bits[w] is set when x[64 w + m] > threshold, for the n values; the bits
/// past n in the last of the (n + 63) / 64 words are zero.
void snn_threshold_bits(const float *x, long n, float threshold, unsigned long long *bits);

/// Spike overlaps, the Gram matrix of 0/1 columns: for each column c in [first, first + count) and d <= c,
/// out[c * ldOut + d] = the number of bits set in both columns c and d (column c at bits + c * words), an exact
/// count. AVX-512 VPOPCNTDQ or POPCNT where the CPU has them (checked at run time), a portable bit count otherwise.
void snn_bit_overlaps(const unsigned long long *bits, long words, long first, long count, double *out, long ldOut);

/// The same with the portable bit count: the definition the other paths are tested against.
void snn_bit_overlaps_definition(const unsigned long long *bits, long words, long first, long count, double *out,
                                 long ldOut);

/// The fast path of the ziggurat for normals (Sources/SNNSimulator/Ziggurat.swift) over eight xoshiro256** lanes.
/// `state` holds the lanes' 4 x 8 words, word-major (state[8 w + j] is word w of lane j), and is advanced. Step g
/// advances every lane once; its 64-bit outputs, as 16 32-bit words in little-endian order (lane 0 low, lane 0 high,
/// lane 1 low, ...), go to slots 16 g .. 16 g + 15; slots from `count` on are dropped. Per slot, from its word: layer
/// = bits 0-7, sign = bit 8, abscissa = bits 9-31; with the layer's entry layers[layer] = (bits of w) << 32 | k,
/// out[slot] = (+-abscissa * w) * scale, each product rounded once; when abscissa >= k (outside the layer's inner
/// rectangle) it also appends slot << 32 | word to `missed` (room for `count` entries), in increasing slot. Returns
/// the number appended. AVX-512 or AVX2 where the CPU has them (checked at run time), scalar otherwise, the same bits.
long snn_normal_lanes(uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                      uint64_t *missed);

/// The same with a chosen kernel: 0 the scalar definition, 1 AVX2, 2 AVX-512; -1 when the CPU lacks it.
long snn_normal_lanes_with(int kernel, uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                           uint64_t *missed);

/// The scalar definition the vector kernels are tested against, bit for bit.
long snn_normal_lanes_definition(uint64_t *state, float *out, long count, float scale, const uint64_t *layers,
                                 uint64_t *missed);

/// The lanes' state for the key `key`: lane j takes SplitMix64's outputs 4 j + 1 .. 4 j + 4 from `key`, i.e.
/// state[8 w + j] = mix(key + (4 j + w + 1) 0x9E3779B97F4A7C15) with mix SplitMix64's finalizer: lane j is
/// xoshiro256** seeded with key + 4 j 0x9E3779B97F4A7C15. AVX-512 (with DQ) where the CPU has it, the same words.
void snn_normal_lanes_seed(uint64_t key, uint64_t *state);
void snn_normal_lanes_seed_definition(uint64_t key, uint64_t *state);

/// The kernel snn_normal_lanes uses on this CPU: 2 AVX-512, 1 AVX2, 0 scalar.
int snn_normal_lanes_best(void);

/// The simulator's input lists (`NetworkWorkspace.buildInputLists`): the j < count with now[j] != 0, increasing, into
/// `list`; returns their number. May write one slot past the list's end (room for count + 1 entries).
/// AVX-512 where the CPU has it (checked at run time), the scalar definition otherwise, the same lists.
long snn_list_spikes(const float *now, long count, uint32_t *list);

/// The j < count that switched on (now[j] != 0, before[j] == 0) into `on` and those that switched off into `off`,
/// increasing, their numbers in *switchedOn and *switchedOff; returns the number of j with now[j] != 0. May write one
/// slot past each list's end. AVX-512 where the CPU has it, the scalar definition otherwise, the same lists.
long snn_list_changes(const float *now, const float *before, long count, uint32_t *on, uint32_t *off,
                      long *switchedOn, long *switchedOff);

/// The scalar definitions the vector paths are tested against.
long snn_list_spikes_definition(const float *now, long count, uint32_t *list);
long snn_list_changes_definition(const float *now, const float *before, long count, uint32_t *on, uint32_t *off,
                                 long *switchedOn, long *switchedOff);

#endif
