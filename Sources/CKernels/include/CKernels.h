#ifndef SNN_CKERNELS_H
#define SNN_CKERNELS_H

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

#endif
