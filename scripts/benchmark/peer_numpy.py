#!/usr/bin/env python3
"""NumPy peer of the simulator's standard workload (issue 3), for the speed comparison.

Width 1000 (input size 1000), depth 100, T = 10, batch 64, theta = 1, beta = 0.9, reset by subtraction,
Bernoulli(0.2) input, the paper's initialization (Var[w_1] = 1 / (n_0 p), Var[w_l] = 1 / (n Q(1)) for l >= 2),
Gaussian float32 weights, one network. Per layer: draw W with default_rng().standard_normal(dtype=float32), scaled;
one matrix product over all B x T columns; then the LIF scan over T, vectorized over neurons and batch items:

    u[t] = beta u[t-1] + I[t] - theta s[t-1],  s[t] = (u[t] > theta),  u[0] = 0, s[0] = 0

accumulating per layer and step, in float64, the mean and variance of u (before reset) over neurons x batch and the
spike rate: the statistics the Swift simulator streams. Prints seconds, synaptic events (sum over layers of
n_{l-1} n_l B T multiply-adds) per second, and the last layer's rates.
"""
import argparse
import json
import math
import time

import numpy as np


def simulate(width=1000, depth=100, steps=10, batch=64, theta=1.0, beta=0.9, rate=0.2, seed=1):
    rng = np.random.default_rng(seed)
    q = math.erfc(1 / math.sqrt(2)) / 2
    variances = [1 / (width * rate)] + [1 / (width * q)] * (depth - 1)
    beta32, theta32 = np.float32(beta), np.float32(theta)
    # Rows are the B*T columns of the simulator, ordered (t, b): x[t*B + b] is the input of batch item b at step t.
    x = (rng.random((steps * batch, width), dtype=np.float32) < rate).astype(np.float32)
    mean = np.zeros((depth, steps))
    var = np.zeros((depth, steps))
    rates = np.zeros((depth, steps))
    for layer in range(depth):
        w = rng.standard_normal((width, width), dtype=np.float32)
        w *= np.float32(math.sqrt(variances[layer]))
        current = (x @ w).reshape(steps, batch, width)  # x (BT, n_in) @ W^T (n_in, n_out): all columns at once
        spikes = np.empty_like(current)
        u = np.zeros((batch, width), dtype=np.float32)
        s = np.zeros((batch, width), dtype=np.float32)
        for t in range(steps):
            u *= beta32
            u += current[t]
            u -= theta32 * s
            mean[layer, t] = u.mean(dtype=np.float64)
            var[layer, t] = u.var(dtype=np.float64, ddof=1)
            np.greater(u, theta32, out=s, casting="unsafe")
            spikes[t] = s
            rates[layer, t] = s.mean(dtype=np.float64)
        x = spikes.reshape(steps * batch, width)
    return mean, var, rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="runs; the fastest is reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    width, depth, steps, batch = 1000, 100, 10, 64
    events = depth * width * width * batch * steps
    best = math.inf
    for _ in range(args.repeats):
        start = time.perf_counter()
        _, _, rates = simulate(seed=args.seed)
        best = min(best, time.perf_counter() - start)
    if args.json:
        print(json.dumps({"implementation": "numpy", "seconds": best, "synaptic_events": events,
                          "synaptic_events_per_second": events / best,
                          "last_layer_rates": [round(r, 4) for r in rates[-1]]}))
    else:
        print(f"numpy {np.__version__}: {best:.3f} s, {events / best:.3e} synaptic events/s")
        print("last layer rates:", " ".join(f"{r:.4f}" for r in rates[-1]))


if __name__ == "__main__":
    main()
