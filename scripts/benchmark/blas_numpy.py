#!/usr/bin/env python3
"""NumPy peer of the project's matrix product (scripts/benchmark/blas.sh): C = A @ B in float32, row-major.

The three shapes of the dense and im2col products: 64x1000 @ 1000x1000 (a dense layer on a batch of 64),
65536x50 @ 50x16 and 16384x144 @ 144x16 (convolutions as im2col products). Per shape: three untimed products, then
SAMPLES samples of CALLS products each into a preallocated C (np.matmul with out=); a sample's GFLOP/s is
2 m k n / (its time / CALLS). Prints one JSON object per shape. NumPy calls its bundled OpenBLAS's cblas_sgemm for
these, with the threads set here (OPENBLAS_NUM_THREADS, before NumPy loads), and the kernel OpenBLAS chose for this
CPU (reported as "core").
"""
import argparse
import ctypes
import glob
import json
import os
import sys
import time

SHAPES = [(64, 1000, 1000), (65536, 50, 16), (16384, 144, 16)]


def openblas_core(np):
    """The kernel family the bundled OpenBLAS chose, when it can be asked; otherwise ''."""
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*.so*")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
            if hasattr(lib, name):
                function = getattr(lib, name)
                function.restype = ctypes.c_char_p
                return function().decode()
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import numpy as np

    core = openblas_core(np)
    rng = np.random.default_rng(1)
    for m, k, n in SHAPES:
        a = rng.random((m, k), dtype=np.float32) - np.float32(0.5)
        b = rng.random((k, n), dtype=np.float32) - np.float32(0.5)
        c = np.empty((m, n), dtype=np.float32)
        for _ in range(3):
            np.matmul(a, b, out=c)
        gflops = []
        for _ in range(args.samples):
            start = time.perf_counter()
            for _ in range(args.calls):
                np.matmul(a, b, out=c)
            seconds = (time.perf_counter() - start) / args.calls
            gflops.append(2 * m * k * n / seconds * 1e-9)
        print(json.dumps({"implementation": f"numpy {np.__version__}", "core": core, "threads": args.threads,
                          "shape": f"{m}x{k}x{n}", "gflops": gflops}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
