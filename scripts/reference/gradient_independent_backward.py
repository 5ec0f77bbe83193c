#!/usr/bin/env python3
"""Monte Carlo of the first step's backward pass with the backward weights redrawn (THEORY.md section 10, assumption
B1 made exact), against the true backward pass, to separate the finite-width effects of section 10.

Paper init (target variance 1), theta 1, Bernoulli(0.2) input, depth 20, atan alpha = 2, batch 16, float64 NumPy.
`same`: delta_{l-1} = W_l^T (h * delta_l) with the W_l of the forward pass (true backpropagation); `independent`: a
fresh Gaussian matrix of the same variance in its place. Prints Var[delta_1] / Var[delta_20] (ratio of means over
networks, delta-method standard error) over the wide-layer chi^19 - 1.

    python3 scripts/reference/gradient_independent_backward.py WIDTH NETWORKS same|independent [SEED]

Measured (seed 0): width 100, 4000 networks, independent: -0.2313 +- 0.0145; width 300, 1500 networks, independent:
-0.1254 +- 0.0080; width 100, 1000 networks: same -0.160 +- 0.036, independent -0.250 +- 0.026 (section 10's
finite-width chain gives -0.212 at width 100 and -0.130 at 300 for the independent case).
"""
import math
import sys

import numpy as np

THETA, P, DEPTH, BATCH = 1.0, 0.2, 20, 16
CHI = 0.7592775376422690  # n Var[w] E[h(u - 1)^2] at u ~ N(0, 1), paper init: section 7 (mpmath table)


def h(x, a=2.0):
    return a / 2 / (1 + (math.pi / 2 * a * x) ** 2)


def q(z):
    return 0.5 * math.erfc(z / math.sqrt(2))


def run(n, networks, mode, seed):
    rng = np.random.default_rng(seed)
    variances = np.zeros((networks, DEPTH))
    for r in range(networks):
        s = (rng.random((n, BATCH)) < P).astype(float)
        weights, surrogates = [], []
        for l in range(DEPTH):
            var = 1 / (n * P) if l == 0 else 1 / (n * q(THETA))
            w = rng.normal(0, math.sqrt(var), (n, n))
            u = w @ s
            weights.append((w, var))
            surrogates.append(h(u - THETA))
            s = (u > THETA).astype(float)
        e = np.repeat(rng.normal(0, 1, (n, 1)), BATCH, 1)
        for l in range(DEPTH - 1, -1, -1):
            d = surrogates[l] * e
            variances[r, l] = d.var(ddof=1)
            if l > 0:
                w, var = weights[l]
                backward = w if mode == "same" else rng.normal(0, math.sqrt(var), (n, n))
                e = backward.T @ d
    means = variances.mean(0)
    ratio = means[0] / means[-1]
    se = math.sqrt(((variances[:, 0] - ratio * variances[:, -1]) ** 2).sum() / (networks * (networks - 1))) / means[-1]
    return ratio, se


def main():
    n, networks, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    ratio, se = run(n, networks, mode, seed)
    wide = CHI ** (DEPTH - 1)
    print(f"width {n}, {networks} networks, {mode}: Var[delta_1]/Var[delta_20] / chi^19 - 1 = "
          f"{ratio / wide - 1:.4f} +- {se / wide:.4f}")


if __name__ == "__main__":
    main()
