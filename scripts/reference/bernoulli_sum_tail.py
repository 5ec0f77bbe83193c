"""Reference tails of S = sum_j w_j x_j, x_j ~ Bernoulli(p_j) independent (THEORY.md section 9.1).

Each case draws weights and probabilities from NumPy's default_rng with a fixed seed and lists P(S > t) and
P(S >= t) at t = E[S] + k sd[S], k = -2 ... 4. Up to 20 terms every one of the 2^n sums is enumerated (bit patterns,
float64); for 32 and 40 terms the two halves' 2^(n/2) sums are enumerated and joined with searchsorted. The test
(Tests/SNNTheoryTests/BernoulliSumTests.swift) reads the committed table; it needs no Python.

    python3 scripts/reference/bernoulli_sum_tail.py   # writes Tests/SNNTheoryTests/Reference/bernoulli_sum_tail.csv
"""
import csv
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SNNTheoryTests", "Reference",
                   "bernoulli_sum_tail.csv")


def enumerate_all(w, p):
    n = len(w)
    bits = ((np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)
    values = bits @ w
    prob = np.prod(np.where(bits == 1, p[None, :], 1 - p[None, :]), axis=1)
    return values, prob


def tails_full(w, p, ts):
    values, prob = enumerate_all(w, p)
    return [(prob[values > t].sum(), prob[values >= t].sum()) for t in ts]


def tails_halves(w, p, ts):
    h = len(w) // 2
    a, pa = enumerate_all(w[:h], p[:h])
    b, pb = enumerate_all(w[h:], p[h:])
    order = np.argsort(b)
    b, pb = b[order], pb[order]
    above = np.concatenate([np.cumsum(pb[::-1])[::-1], [0.0]])  # above[k] = P(B >= b[k]) for sorted b
    out = []
    for t in ts:
        strict = above[np.searchsorted(b, t - a, side="right")]
        inclusive = above[np.searchsorted(b, t - a, side="left")]
        out.append(((pa * strict).sum(), (pa * inclusive).sum()))
    return out


def cases():
    rng = np.random.default_rng(20261208)
    for n in (4, 9, 14, 18, 20, 32, 40):
        for kind in ("gaussian-p0.2", "gaussian-p0.05", "uniform-p", "dominated-p0.2", "positive-p0.5"):
            w = rng.normal(0, 1, n)
            if kind == "gaussian-p0.2":
                p = np.full(n, 0.2)
            elif kind == "gaussian-p0.05":
                p = np.full(n, 0.05)
            elif kind == "uniform-p":
                p = rng.uniform(0.01, 0.99, n)
            elif kind == "dominated-p0.2":
                w[0] = 6 * np.abs(w).max()
                p = np.full(n, 0.2)
            else:
                w = np.abs(w)
                p = np.full(n, 0.5)
            yield f"{kind}-n{n}", w, p


def main():
    rows = []
    for name, w, p in cases():
        mean = (w * p).sum()
        sd = np.sqrt((w * w * p * (1 - p)).sum())
        ts = [mean + k * sd for k in (-2, -1, 0, 1, 2, 3, 4)]
        tails = tails_full(w, p, ts) if len(w) <= 20 else tails_halves(w, p, ts)
        for t, (strict, inclusive) in zip(ts, tails):
            rows.append([name, len(w), " ".join(repr(float(x)) for x in w), " ".join(repr(float(x)) for x in p),
                         repr(float(t)), repr(float(strict)), repr(float(inclusive))])
    with open(OUT, "w", newline="") as f:
        f.write("# P(S > t) and P(S >= t) for S = sum w_j Bernoulli(p_j), float64 enumeration; made by "
                "scripts/reference/bernoulli_sum_tail.py (numpy " + np.__version__ + ")\n")
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["case", "n", "weights", "probabilities", "t", "tail", "tail_inclusive"])
        wr.writerows(rows)
    print(f"wrote {len(rows)} rows")


if __name__ == "__main__":
    main()
