#ifndef SNN_THEORY_COPENBLAS_SHIM_H
#define SNN_THEORY_COPENBLAS_SHIM_H
#include <cblas.h>
/* openblas_set_num_threads is declared in cblas.h of OpenBLAS. */
#endif
