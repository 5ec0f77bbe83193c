#!/usr/bin/env python3
"""Independent reference for the first step's finite-width gradient variance of THEORY.md section 10 ("Finite width").

Written from THEORY.md with NumPy and SciPy's binomial law, not from the Swift code: the active count k_{l-1} feeding
layer l is a Markov chain (section 5; k_0 ~ Binomial(n, p)), and with layer l's mean of h^2 given (k_{l-1}, k_l)

    E[mean_i h_i^2 | k_{l-1} = k, k_l = k'] = (k'/n) A(k) + (1 - k'/n) B(k),
    A(k) = E[h(u - theta)^2 | u > theta],  B(k) = E[h(u - theta)^2 | u <= theta],  u ~ N(0, Var[w_l] k),

the ratio Var[delta_l] / Var[delta_L] = prod_{m>l} n Var[w_m] E[V_l(k_{l-1})] / E[V_L(k_{L-1})] with the value
recursion V_L(k) = A + B, V_l(k) = sum_k' P_l(k, k') ((k'/n) A(k) + (1 - k'/n) B(k)) V_{l+1}(k'), on full (n+1) x (n+1)
transition matrices. The partial moments are composite Gauss-Legendre sums split at the threshold.
Paper initialization (target variance 1), theta 1, Bernoulli(0.2) input, depth 20, atan alpha = 2.
Printed: the ratio over the wide-layer mean field's chi^(L - l), and the same for the per-item weight gradient (whose
entries delta_i s_j average to mean_i delta_i^2 x k_{l-1} / n).

    python3 scripts/reference/gradient_finite_width.py > Tests/SNNTheoryTests/Reference/gradient_finite_width.csv
"""
import math

import numpy as np
from scipy.stats import binom

THETA, P, DEPTH = 1.0, 0.2, 20
GL_X, GL_W = np.polynomial.legendre.leggauss(400)


def q(z):
    return 0.5 * math.erfc(z / math.sqrt(2))


def h(x, a=2.0):
    return a / 2 / (1 + (math.pi / 2 * a * x) ** 2)


def integral(lo, hi, var):
    x = (hi - lo) / 2 * GL_X + (hi + lo) / 2
    w = (hi - lo) / 2 * GL_W
    return float(np.sum(w * np.exp(-x * x / (2 * var)) / math.sqrt(2 * math.pi * var) * h(x - THETA) ** 2))


def partial_moments(var):
    """(E[h^2; u > theta], E[h^2; u <= theta]) for u ~ N(0, var)."""
    if var <= 0:
        return 0.0, h(-THETA) ** 2
    sd = math.sqrt(var)
    top, bottom = max(THETA + 3, 12 * sd), min(THETA - 3, -12 * sd)
    above = integral(THETA, THETA + 3, var) + integral(THETA + 3, top, var)
    below = integral(THETA - 3, THETA, var) + integral(bottom, THETA - 3, var)
    return above, below


def relative_variances(n):
    ks = np.arange(n + 1)
    var = [1 / (n * P)] + [1 / (n * q(THETA))] * (DEPTH - 1)
    transitions, weighted, last = [], [], None
    for l in range(DEPTH):
        p = np.array([q(THETA / math.sqrt(var[l] * k)) if k > 0 else 0.0 for k in ks])
        t = binom.pmf(ks[None, :], n, p[:, None])
        m = np.array([partial_moments(var[l] * k) for k in ks])
        a = np.where(p > 0, m[:, 0] / np.where(p > 0, p, 1), 0.0)
        b = m[:, 1] / np.where(p < 1, 1 - p, 1)
        transitions.append(t)
        weighted.append(t * ((ks[None, :] / n) * a[:, None] + (1 - ks[None, :] / n) * b[:, None]))
        last = m[:, 0] + m[:, 1]
    laws = [binom.pmf(ks, n, P)]
    for l in range(DEPTH - 1):
        laws.append(laws[-1] @ transitions[l])
    values = [None] * DEPTH
    values[DEPTH - 1] = last
    for l in range(DEPTH - 2, -1, -1):
        values[l] = weighted[l] @ values[l + 1]
    gains = [n * v for v in var]
    d = np.array([np.prod(gains[l + 1:]) * (laws[l] @ values[l]) for l in range(DEPTH)])
    # Per-item weight gradient: mean_i delta_i^2 x k_{l-1} / n, so the law of k_{l-1} is weighted by k / n.
    w = np.array([np.prod(gains[l + 1:]) * (laws[l] @ (ks / n * values[l])) for l in range(DEPTH)])
    chi = gains[1] * sum(partial_moments(1.0))
    # The wide limit of the weight ratio: chi^(L - l) times K_{l-1} / K_{L-1} (input rate P at layer 1, Q(theta) after).
    rates = [P] + [q(THETA)] * (DEPTH - 1)
    return [(d[l] / d[-1] / chi ** (DEPTH - 1 - l), w[l] / w[-1] / (chi ** (DEPTH - 1 - l) * rates[l] / rates[-1]))
            for l in range(DEPTH)]


def main():
    print("# Var[delta_l] / Var[delta_L] at finite width over the mean field's chi^(L - l): first step, paper init, "
          "theta 1, Bernoulli(0.2), depth 20, atan:2 (scripts/reference/gradient_finite_width.py)")
    print("width,layer,relative_over_wide,weight_over_wide")
    for n in (100, 300, 1000):
        for layer, (r, w) in enumerate(relative_variances(n), start=1):
            print(f"{n},{layer},{r:.12e},{w:.12e}")


if __name__ == "__main__":
    main()
