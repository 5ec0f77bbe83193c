#!/usr/bin/env python3
"""NumPy peer of the project's normal generator (scripts/benchmark/perf.sh): milliseconds per million float32
standard normals from default_rng(1).standard_normal(out=..., dtype=float32) (NumPy's ziggurat on PCG64), one thread.

One untimed call, then SAMPLES samples of CALLS calls filling a preallocated array of a million; a sample's time is
the thread's CPU time (time.thread_time), so that other processes on a shared machine do not count, divided by CALLS.
Prints one JSON object with every sample.
"""
import argparse
import json
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--calls", type=int, default=4)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    out = np.empty(1_000_000, dtype=np.float32)
    rng.standard_normal(out=out, dtype=np.float32)
    samples = []
    for _ in range(args.samples):
        start = time.thread_time()
        for _ in range(args.calls):
            rng.standard_normal(out=out, dtype=np.float32)
        samples.append((time.thread_time() - start) * 1e3 / args.calls)
    print(json.dumps({"implementation": f"numpy {np.__version__}", "part": "normals", "ms_per_million": samples}))


if __name__ == "__main__":
    main()
