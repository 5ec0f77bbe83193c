#!/usr/bin/env python3
"""NumPy peer of the exact reduced sampler on the reduced comparison's workload, for the speed comparison.

Width n (--width, default 1000; the input has as many), depth 100, T steps (default 10), batch 1, theta = 1,
beta = 0.9, reset by subtraction, Bernoulli(0.2) input, the paper's initialization (Var[w_1] = 1 / (n_0 p),
Var[w_l] = 1 / (n Q(1)) for l >= 2), NETWORKS networks (default 20) spread over PROCESSES worker processes (default: all cores), as the Swift sampler
spreads them over its threads. Per network and layer the same work as ReducedSampler (THEORY.md section 5):

    C_{l-1}(t, t') = sum_i s_i[t] s_i[t']            the previous layer's overlap matrix (C_0 from the input)
    L L^T = Var[w_l] C_{l-1}                          its Cholesky factor (semi-definite: zero pivots skipped)
    I = Z L^T, Z ~ N(0, 1) float32, n_l x T           the layer's currents, no weight matrix
    u[t] = beta u[t-1] + I[t] - theta s[t-1],  s[t] = (u[t] > theta)

accumulating per layer and step the mean and variance of u (before reset) and the spike rate. Prints seconds and the
mean time-averaged last-layer rate with its standard error across networks (the same law as the Swift sampler's).

It also counts the Gaussian draws each method needs per network, from its own samples (the same law as both Swift
methods): the reduced sampler n_l T per layer; the full simulator one weight per (input that spiked at some step,
neuron), n_l a_l n_{l-1} per layer, with a_l the fraction of layer l-1 (the input for l = 1) that spikes at least once
in the T steps. Their quotient is the speed ratio the two would show if a draw cost the same in both and nothing else
cost anything.
"""
import argparse
import json
import math
import multiprocessing
import os
import time

# One BLAS thread per worker, set before NumPy loads its BLAS: the parallelism is over networks, as in the Swift
# sampler.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import numpy as np  # noqa: E402

DEPTH, THETA, BETA, RATE = 100, 1.0, 0.9, 0.2


def psd_cholesky(a):
    """Lower L with L L^T = a for a positive semi-definite a; a pivot below 1e-12 of its diagonal entry is zero."""
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        n = a.shape[0]
        l = np.zeros_like(a)
        for j in range(n):
            d = a[j, j] - l[j, :j] @ l[j, :j]
            if d <= 1e-12 * a[j, j] or d <= 0:
                continue
            l[j, j] = math.sqrt(d)
            l[j + 1:, j] = (a[j + 1:, j] - l[j + 1:, :j] @ l[j, :j]) / l[j, j]
        return l


def network(args):
    """One network's per-layer, per-step rates (and the membrane moments the sampler also reports)."""
    seed, index, steps, width = args
    rng = np.random.default_rng([seed, index])
    q = math.erfc(1 / math.sqrt(2)) / 2
    variances = [1 / (width * RATE)] + [1 / (width * q)] * (DEPTH - 1)
    beta32, theta32 = np.float32(BETA), np.float32(THETA)
    spikes = (rng.random((width, steps)) < RATE).astype(np.float64)
    overlap = spikes.T @ spikes
    ever_active = np.zeros(DEPTH)  # a_l: the fraction of layer l-1 that spikes at least once
    ever_active[0] = spikes.any(axis=1).mean()
    rates = np.zeros((DEPTH, steps))
    mean = np.zeros((DEPTH, steps))
    var = np.zeros((DEPTH, steps))
    for layer in range(DEPTH):
        factor = psd_cholesky(variances[layer] * overlap).astype(np.float32)
        current = rng.standard_normal((width, steps), dtype=np.float32) @ factor.T
        u = np.zeros(width, dtype=np.float32)
        s = np.zeros(width, dtype=np.float32)
        out = np.empty((width, steps), dtype=np.float32)
        for t in range(steps):
            u *= beta32
            u += current[:, t]
            u -= theta32 * s
            mean[layer, t] = u.mean(dtype=np.float64)
            var[layer, t] = u.var(dtype=np.float64, ddof=1)
            np.greater(u, theta32, out=s, casting="unsafe")
            out[:, t] = s
            rates[layer, t] = s.mean(dtype=np.float64)
        overlap = out.T.astype(np.float64) @ out.astype(np.float64)
        if layer + 1 < DEPTH:
            ever_active[layer + 1] = out.any(axis=1).mean()
    return rates, ever_active


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    jobs = [(args.seed, r, args.steps, args.width) for r in range(args.networks)]
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        pool.map(network, jobs[:args.processes])  # warm-up: workers started, NumPy imported and its caches warm
        start = time.perf_counter()
        results = pool.map(network, jobs)
        seconds = time.perf_counter() - start
    n = args.width
    draws_full = sum(n * n * a.sum() for _, a in results)  # n_l a_l n_{l-1}, n_l = n_{l-1} = n
    draws_reduced = len(results) * DEPTH * n * args.steps
    results = [rates for rates, _ in results]
    last = np.array([r[-1].mean() for r in results])
    print(json.dumps({"method": "numpy", "networks": args.networks, "steps": args.steps, "width": args.width,
                      "processes": args.processes, "seconds": seconds, "last_layer_rate": float(last.mean()),
                      "last_layer_rate_error": float(last.std(ddof=1) / math.sqrt(len(last))),
                      "last_layer_silent_fraction": float(np.mean([not r[-1].any() for r in results])),
                      "draws_full_per_reduced": float(draws_full / draws_reduced)}))


if __name__ == "__main__":
    main()
