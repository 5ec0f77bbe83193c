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

#endif
