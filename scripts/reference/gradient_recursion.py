#!/usr/bin/env python3
"""Independent reference for the backward mean field of THEORY.md section 10, for T = 1 and T = 2 time steps.

Written from THEORY.md (sections 1, 4 and 10), not from the Swift code, and evaluated differently: where the toolkit
uses randomized quasi-Monte Carlo over the current sequence, this script integrates over (I[1], I[2]) with composite
Gauss-Legendre rules, split where the integrand has a jump or a kink (the spike at u[1] = theta, the surrogate's centre
at u[2] = theta) and refined around those points. With the forward kernel K_{l-1} and Sigma_l = gain_l K_{l-1}:

    I[1] ~ N(0, S11),  I[2] | I[1] = x  ~  N(x S12 / S11, S22 - S12^2 / S11)
    u[1] = x, s[1] = [x > theta], u[2] = beta x + I[2] - theta s[1] (subtract) or (s[1] ? I[2] : beta x + I[2]) (zero)
    a[t] = h(u[t] - theta); b[1] = beta (subtract, detached), beta - theta a[1] (subtract, attached),
           beta (1 - s[1]) (zero, detached), beta (1 - s[1]) - beta u[1] a[1] (zero, attached)
    J = [[a1, b1 a2], [0, a2]],  D_l = E[J E_l J^T],  E_{l-1} = gain_l D_l,  E_L = [[1, 1], [1, 1]]
    weight gradient (per item):  sum_{t,t'} D_l(t, t') K_{l-1}(t, t')

The paper's initialization with target variance 1: gain_1 = 1 / p (Bernoulli(p) input), gain_l = 1 / Q(theta) after.

    python3 scripts/reference/gradient_recursion.py > Tests/SNNTheoryTests/Reference/gradient_recursion.csv
"""
import math

import numpy as np

THETA = 1.0
BETA = 0.9
P = 0.2
DEPTH = 3
NODES = 48


def surrogate(kind, scale):
    """h(x), x = u - theta, as THEORY.md section 7's table writes it."""
    if kind == "atan":
        return lambda x: scale / 2 / (1 + (math.pi / 2 * scale * x) ** 2)
    if kind == "fast_sigmoid":
        return lambda x: 1 / (scale * np.abs(x) + 1) ** 2
    if kind == "gaussian":
        return lambda x: np.exp(-x * x / (2 * scale * scale)) / (math.sqrt(2 * math.pi) * scale)
    raise ValueError(kind)


def q(z):
    return 0.5 * math.erfc(z / math.sqrt(2))


GL_X, GL_W = np.polynomial.legendre.leggauss(NODES)


def composite(points):
    """Nodes and weights of Gauss-Legendre rules on each interval between consecutive sorted `points`."""
    xs, ws = [], []
    for lo, hi in zip(points[:-1], points[1:]):
        if hi <= lo:
            continue
        xs.append((hi - lo) / 2 * GL_X + (hi + lo) / 2)
        ws.append((hi - lo) / 2 * GL_W)
    return np.concatenate(xs), np.concatenate(ws)


def refined(centre, lo, hi):
    """Break points for an integrand with a jump or narrow peak at `centre`, over [lo, hi]."""
    pts = [lo, hi] + [centre + d for d in (-3, -1, -0.3, -0.1, -0.03, 0, 0.03, 0.1, 0.3, 1, 3)]
    return sorted(p for p in pts if lo <= p <= hi)


def layer_two_steps(sigma, e, h, reset, attached):
    """(forward kernel K_l, D_l) for T = 2 by 2-D composite quadrature."""
    s11, s12, s22 = sigma[0][0], sigma[0][1], sigma[1][1]
    sd1 = math.sqrt(s11)
    slope = s12 / s11
    v = max(s22 - s12 * s12 / s11, 0.0)
    sdc = math.sqrt(v)
    xs, wx = composite(refined(THETA, -14 * sd1, 14 * sd1))
    wx = wx * np.exp(-xs * xs / (2 * s11)) / math.sqrt(2 * math.pi * s11)
    acc = {k: 0.0 for k in ("s2", "s1s2", "a1a1", "a1b1a2", "b1b1a2a2", "a1a2", "b1a2a2", "a2a2")}
    for x, w in zip(xs, wx):
        s1 = 1.0 if x > THETA else 0.0
        a1 = h(x - THETA)
        if reset == "subtract":
            c = BETA * x - THETA * s1
            b1 = BETA - THETA * a1 if attached else BETA
        else:
            c = 0.0 if s1 else BETA * x
            b1 = BETA * (1 - s1) - (BETA * x * a1 if attached else 0.0)
        mean2 = c + slope * x
        # u[2] ~ N(mean2, v): integrate over u[2] itself.
        if sdc > 0:
            us, wu = composite(refined(THETA, mean2 - 14 * sdc, mean2 + 14 * sdc))
            wu = wu * np.exp(-(us - mean2) ** 2 / (2 * v)) / math.sqrt(2 * math.pi * v)
        else:
            us, wu = np.array([mean2]), np.array([1.0])
        a2 = h(us - THETA)
        s2 = (us > THETA).astype(float)
        acc["s2"] += w * np.sum(wu * s2)
        acc["s1s2"] += w * s1 * np.sum(wu * s2)
        acc["a1a1"] += w * a1 * a1
        acc["a1b1a2"] += w * a1 * b1 * np.sum(wu * a2)
        acc["b1b1a2a2"] += w * b1 * b1 * np.sum(wu * a2 * a2)
        acc["a1a2"] += w * a1 * np.sum(wu * a2)
        acc["b1a2a2"] += w * b1 * np.sum(wu * a2 * a2)
        acc["a2a2"] += w * np.sum(wu * a2 * a2)
    k = np.array([[q(THETA / sd1), acc["s1s2"]], [acc["s1s2"], acc["s2"]]])
    y11 = acc["a1a1"] * e[0][0] + 2 * acc["a1b1a2"] * e[0][1] + acc["b1b1a2a2"] * e[1][1]
    y12 = acc["a1a2"] * e[0][1] + acc["b1a2a2"] * e[1][1]
    y22 = acc["a2a2"] * e[1][1]
    return k, np.array([[y11, y12], [y12, y22]])


def layer_one_step(sigma, e, h):
    s11 = sigma[0][0]
    sd1 = math.sqrt(s11)
    xs, wx = composite(refined(THETA, -14 * sd1, 14 * sd1))
    wx = wx * np.exp(-xs * xs / (2 * s11)) / math.sqrt(2 * math.pi * s11)
    return np.array([[q(THETA / sd1)]]), np.array([[np.sum(wx * h(xs - THETA) ** 2) * e[0][0]]])


def recursion(steps, h, reset, attached):
    k0 = np.array([[P if i == j else P * P for j in range(steps)] for i in range(steps)])
    gains = [1 / P] + [1 / q(THETA)] * (DEPTH - 1)
    kernels = [k0]
    # The forward pass needs no backward input: run it with a dummy E first.
    for l in range(DEPTH):
        sigma = gains[l] * kernels[-1]
        dummy = np.ones((steps, steps))
        k, _ = layer_one_step(sigma, dummy, h) if steps == 1 else layer_two_steps(sigma, dummy, h, reset, attached)
        kernels.append(k)
    e = np.ones((steps, steps))
    d = [None] * DEPTH
    traces_e = [None] * (DEPTH + 1)
    traces_e[DEPTH] = np.trace(e)
    for l in range(DEPTH, 0, -1):
        sigma = gains[l - 1] * kernels[l - 1]
        if steps == 1:
            _, dl = layer_one_step(sigma, e, h)
        else:
            _, dl = layer_two_steps(sigma, e, h, reset, attached)
        d[l - 1] = dl
        e = gains[l - 1] * dl
        traces_e[l - 1] = np.trace(e)
    weights = [float(np.sum(d[l] * kernels[l])) for l in range(DEPTH)]
    rows = []
    for l in range(DEPTH):
        rel = [d[l][t][t] / d[DEPTH - 1][t][t] for t in range(steps)]
        rows.append((l + 1, rel, np.trace(d[l]) / np.trace(d[DEPTH - 1]), weights[l] / weights[DEPTH - 1],
                     traces_e[l] / traces_e[l + 1]))
    return rows


def main():
    surrogates = [("atan", 2.0), ("fast_sigmoid", 25.0), ("gaussian", 0.4)]
    print("# Backward mean field of THEORY.md section 10 by composite Gauss-Legendre quadrature "
          f"(scripts/reference/gradient_recursion.py, {NODES} nodes per piece).")
    print(f"# theta {THETA}, beta {BETA}, Bernoulli({P}) input, depth {DEPTH}, paper init (target variance 1).")
    print("steps,surrogate,reset,reset_grad,layer,membrane_variance_t1,membrane_variance_t2,pooled,weight,chi")
    for steps in (1, 2):
        for kind, scale in surrogates:
            h = surrogate(kind, scale)
            modes = [("subtract", "detached")] if steps == 1 else [
                ("subtract", "detached"), ("subtract", "attached"), ("zero", "detached"), ("zero", "attached")]
            for reset, grad in modes:
                for layer, rel, pooled, weight, chi in recursion(steps, h, reset, grad == "attached"):
                    t2 = f"{rel[1]:.15e}" if steps == 2 else ""
                    print(f"{steps},{kind}:{scale},{reset},{grad},{layer},{rel[0]:.15e},{t2},{pooled:.15e},"
                          f"{weight:.15e},{chi:.15e}")


if __name__ == "__main__":
    main()
