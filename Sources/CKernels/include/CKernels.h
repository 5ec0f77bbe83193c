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

#endif
