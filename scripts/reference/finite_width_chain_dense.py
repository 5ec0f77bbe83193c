#!/usr/bin/env python3
"""Independent reference for the finite-width chain (THEORY.md section 5): the full dense transition matrix.

Builds every entry of the (n+1) x (n+1) matrix P(k_l = j | k_{l-1} = k) = Binomial(j; n, Q(theta / sqrt(v k)))
with SciPy (binom.pmf, norm.sf; float64) and multiplies the law of k through the layers: O(n^2) per layer, none of
the truncation or log-space walks of FiniteWidthChain.swift. Paper initialization, target variance 1, input spikes
Bernoulli(Q(1)) so that k_0 ~ Binomial(n, Q(1)).

    python3 scripts/reference/finite_width_chain_dense.py 1000 100 1      # width, depth, theta (seconds)

Values pinned in Tests/SNNTheoryTests/FiniteWidthChainTests.swift (width 1000, theta 1, layer 10): mean rate
0.1554040068 over all networks, 0.1554059478 among active ones (THEORY.md's 0.155406 is the latter).
"""
import sys

import numpy as np
from scipy.stats import binom, norm

INPUT_RATE = 0.158655253931457


def main() -> None:
    n, depth, theta = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    k = np.arange(n + 1)
    first_variance = 1 / (n * INPUT_RATE)
    variance = 1 / (n * norm.sf(theta))
    mean_field = norm.sf(theta)

    def transition(v: float) -> np.ndarray:
        p = np.zeros(n + 1)
        p[1:] = norm.sf(theta / np.sqrt(v * k[1:]))
        matrix = binom.pmf(k[None, :], n, p[:, None])
        matrix[0, :] = 0
        matrix[0, 0] = 1
        return matrix

    law = binom.pmf(k, n, INPUT_RATE) @ transition(first_variance)
    deep = transition(variance)
    print("layer silent mean_rate mean_rate_given_active p_rate_above_2x_mean_field total")
    for layer in range(1, depth + 1):
        if layer > 1:
            law = law @ deep
        if layer in (1, 2, 10, 50, 100) or layer == depth:
            mean_rate = (k * law).sum() / n
            active = (k[1:] * law[1:]).sum() / law[1:].sum() / n
            saturated = law[k > 2 * mean_field * n].sum()
            print(f"{layer} {law[0]:.12g} {mean_rate:.12g} {active:.12g} {saturated:.12g} {law.sum():.16g}")


if __name__ == "__main__":
    main()
