#!/usr/bin/env python3
"""Reference tables for the surrogate-gradient integrals of THEORY.md section 7 (mpmath, 45 digits).

The surrogates h(x), x = u - theta, are written here from the frameworks' own backward passes (snnTorch
`snntorch/surrogate.py`, SpikingJelly `spikingjelly/activation_based/surrogate.py`), independently of the Swift code:

  atan                 (alpha / 2) / (1 + (pi/2 alpha x)^2)                snnTorch ATan.backward, atan(alpha=2.0)
  fast_sigmoid         1 / (slope |x| + 1)^2                               snnTorch FastSigmoid.backward, slope=25
  sigmoid              slope e^(-slope x) / (e^(-slope x) + 1)^2           snnTorch Sigmoid.backward, slope=25
  triangular           c for x < 0, -c for x >= 0                          snnTorch Triangular.backward, threshold=1
  straight_through     1                                                   snnTorch StraightThroughEstimator.backward
  spike_rate_escape    k e^(-beta |x - 1|)                                 snnTorch SpikeRateEscape.backward, beta=1, slope=25
  rect                 alpha for |x| < 0.5 / alpha, else 0                 SpikingJelly rect_backward, alpha=1
  piecewise_quadratic  alpha - alpha^2 |x| for |x| <= 1 / alpha, else 0    SpikingJelly piecewise_quadratic_backward, alpha=1
  gaussian             exp(-x^2 / (2 a^2)) / (sqrt(2 pi) a)                a Gaussian of standard deviation a

Tables (written to Tests/SNNTheoryTests/Reference/):

  surrogate_integrals.csv   E[h(X)] and E[h(X)^2] for X ~ N(m, sigma^2), every surrogate at two scales (one for
                            straight_through), sigma in {0.1, 0.5, 1, 3}, m / sigma from -30 to 30.
  surrogate_cross_step.csv  E[h(X) h(Y)] for (X, Y) jointly Gaussian (means m_s, m_t, deviations sigma_s, sigma_t,
                            correlation rho), every surrogate at its default scale.
  surrogate_critical.csv    The scale at which the backward gain chi_back = sigma_t^2 E[h(u - theta)^2] / Q(theta /
                            sigma_t), u ~ N(0, sigma_t^2), equals 1 (the paper's initialization, THEORY.md section 7).

How each value is made, and what it is checked against (the largest relative difference of each check is printed):
  - Every expectation by mpmath.quad (tanh-sinh) over the real line split at the surrogate's kinks and support ends,
    around its centre and around the Gaussian's mean, and at the integrand's mode (found by a scan of log f and a
    golden-section search); the integrand is divided by its largest probed value so that quad's absolute stopping
    rule is a relative one, and its error estimate must be below 10^-(0.6 dps) of the result (1e-27 at 45 digits).
  - Checked against a second representation evaluated at 450 extra digits, so that no cancellation matters:
    closed forms for straight_through, triangular, rect, piecewise_quadratic (exact polynomial-times-Gaussian
    integrals), spike_rate_escape (Laplace-Gaussian: erfc terms), gaussian (a Gaussian convolution); for atan the
    Fourier form E[1 / (1 - i b X)] = int_0^inf exp(-b^2 sigma^2 t^2 / 2 - (1 - i b m) t) dt with complex erfc
    (E[h^2] from E[1 / (1 - i b X)^2] as well); for fast_sigmoid the Laplace form
    (1 + k|x|)^-n = int_0^inf t^(n-1) e^-t e^(-t k |x|) dt / (n-1)!, one quadrature over t of erfc terms; for sigmoid,
    whose logistic-normal integral has no closed form, Gauss-Legendre on a different split (geometric around the
    mode, in units of the smaller of sigma and 1 / slope). Required agreement: 1e-28 relative. The table's value is
    the second representation, for sigmoid the tanh-sinh quadrature.
  - Cross-step values by conditioning on X: E[h(X) E[h(Y) | X]], the inner expectation by the closed or Fourier or
    Laplace forms above (60 extra digits; sigmoid: quadrature), and checked against conditioning on Y instead; the
    Gaussian surrogate also against its closed form (a bivariate normal density at the origin with covariance
    Sigma + a^2 I), and rho = 1 with equal marginals against E[h^2]. triangular as c^2 (1 - 2 P(X >= 0)
    - 2 P(Y >= 0) + 4 P(X >= 0, Y >= 0)), its two orientations compared on the scale c^2 (one case is 0 by
    symmetry). sigmoid and fast_sigmoid, whose inner
    expectation is itself a quadrature, at 25 digits with a fixed 24-point Gauss-Legendre rule on every piece inside
    and out (nested adaptive quadrature would take hours); the same rule is checked on atan against its adaptive
    values. Required agreement: 1e-25 relative at 45 digits, 1e-20 at 25 and for that check.
  - Critical scales by mpmath.findroot (bisection-type, inside a bracket from a scan of 200 log-spaced scales in
    [1e-3, 1e3] that must show exactly one sign change), with the closed or Fourier forms above.

Numbers are printed with 25 significant digits (nstr(x, 25, min_fixed=0, max_fixed=0)); inputs are printed as the
decimals the values were computed at.

Rerun by hand (never run by the tests):   python3 scripts/reference/surrogate_integrals.py
Arguments select tables (critical, cross, one-step; all by default). Requires Python 3 and mpmath
(pip install mpmath). On two cores the one-step table took about 15 minutes, the cross-step table about 20 (one
process per surrogate, as many as there are cores), the critical scales a few minutes.
"""

import csv
import multiprocessing
import os
import sys

try:
    from mpmath import mp, mpf, mpc, erfc, exp, sqrt, pi, inf, quad, nstr, findroot, log, re, fsum
    from mpmath.calculus.quadrature import GaussLegendre
except ImportError:  # pragma: no cover
    sys.exit("surrogate_integrals.py needs mpmath: pip install mpmath")

mp.dps = 45
EXTRA = 450  # extra digits for the second representations, so that no cancellation matters to the 30-sigma tails
CROSS_EXTRA = 60  # the same inside the cross-step integrals, whose conditional means stay within ~20 deviations

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "SNNTheoryTests", "Reference")

DEFAULT_AMPLITUDE = {"spike_rate_escape": mpf(25)}


# ---------------------------------------------------------------- definitions

def shape(kind, a, x):
    """h(x) / amplitude, as each framework's backward pass writes it (x = u - theta)."""
    if kind == "atan":
        return a / 2 / (1 + (pi / 2 * a * x) ** 2)
    if kind == "fast_sigmoid":
        return 1 / (a * abs(x) + 1) ** 2
    if kind == "sigmoid":
        e = exp(-a * x)
        return a * e / (e + 1) ** 2
    if kind == "triangular":
        return a if x < 0 else -a
    if kind == "straight_through":
        return mpf(1)
    if kind == "spike_rate_escape":
        return exp(-a * abs(x - 1))
    if kind == "rect":
        return a if abs(x) < mpf("0.5") / a else mpf(0)
    if kind == "piecewise_quadratic":
        return mpf(0) if abs(x) > 1 / a else -a ** 2 * abs(x) + a
    if kind == "gaussian":
        return exp(-x ** 2 / (2 * a ** 2)) / (sqrt(2 * pi) * a)
    raise ValueError(kind)


def features(kind, a):
    """(support low, support high, kinks, centre, width) of the shape."""
    if kind == "atan":
        return -inf, inf, [], mpf(0), 2 / (pi * a)
    if kind in ("fast_sigmoid",):
        return -inf, inf, [mpf(0)], mpf(0), 1 / a
    if kind == "sigmoid":
        return -inf, inf, [], mpf(0), 1 / a
    if kind == "triangular":
        return -inf, inf, [mpf(0)], mpf(0), None
    if kind == "straight_through":
        return -inf, inf, [], None, None
    if kind == "spike_rate_escape":
        return -inf, inf, [mpf(1)], mpf(1), 1 / a
    if kind == "rect":
        return -mpf("0.5") / a, mpf("0.5") / a, [], mpf(0), mpf("0.5") / a
    if kind == "piecewise_quadratic":
        return -1 / a, 1 / a, [mpf(0)], mpf(0), 1 / a
    if kind == "gaussian":
        return -inf, inf, [], mpf(0), a
    raise ValueError(kind)


def npdf(x, m, s):
    return exp(-((x - m) / s) ** 2 / 2) / (s * sqrt(2 * pi))


def Q(z):
    return erfc(z / sqrt(2)) / 2


def phi(z):
    return exp(-z * z / 2) / sqrt(2 * pi)


# ---------------------------------------------------------------- quadrature

WORST = {}


def note(check, a, b):
    a, b = mpf(a), mpf(b)
    d = mpf(0) if a == b else abs(a - b) / max(abs(a), abs(b))
    WORST[check] = max(WORST.get(check, mpf(0)), d)
    return d


def golden_max(f, lo, hi, steps=80):
    g = (sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(steps):
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return (a + b) / 2


def logf(f, x):
    v = abs(f(x))
    return log(v) if v > 0 else -inf


def mode(f, lo, hi, anchors):
    """The largest local maximum of |f| near the anchors: a scan of log |f| then a golden-section search."""
    a0, a1 = min(anchors), max(anchors)
    span = a1 - a0
    grid = sorted(set([a0 + span * k / 400 for k in range(401)] + list(anchors)))
    grid = [x for x in grid if lo < x < hi] or [(lo + hi) / 2 if lo > -inf and hi < inf else anchors[0]]
    values = [logf(f, x) for x in grid]
    i = max(range(len(grid)), key=lambda k: values[k])
    left = grid[i - 1] if i > 0 else grid[i] - (span / 400 or 1)
    right = grid[i + 1] if i + 1 < len(grid) else grid[i] + (span / 400 or 1)
    left, right = max(left, lo), min(right, hi)
    return golden_max(lambda x: logf(f, x), left, right)


def rquad(f, pts, method="tanh-sinh", extra_probes=(), prune=False):
    """mpmath.quad over the split points with a relative error target (see the module docstring).

    With prune, a finite piece whose integrand stays below 10^-(dps + 10) of the largest probed value at nine
    equispaced points is left out (the split points cut every feature, so inside a piece the integrand is smooth and
    its peaks sit at probed points); used for the cross-step's nested quadratures, where every evaluation is costly.
    """
    finite = [p for p in pts if p not in (inf, -inf)]
    probes = finite + [(x + y) / 2 for x, y in zip(finite[:-1], finite[1:])] + list(extra_probes)
    scale = max(abs(f(p)) for p in probes)
    if scale == 0:
        raise AssertionError("integrand vanishes on all probes")
    pieces = list(zip(pts[:-1], pts[1:]))
    if prune:
        negligible = scale * mpf(10) ** -(mp.dps + 10)
        kept = []
        for a, b in pieces:
            if a == -inf or b == inf or max(abs(f(a + (b - a) * k / 8)) for k in range(9)) > negligible:
                kept.append((a, b))
        pieces = kept
    val, err = mpf(0), mpf(0)
    for a, b in pieces:
        v, e = quad(lambda x: f(x) / scale, [a, b], error=True, method=method, maxdegree=10)
        val, err = val + v, err + e
    if val == 0 or abs(err / val) > mpf(10) ** -(mp.dps * 6 // 10):
        raise AssertionError(f"quad error estimate too large: {nstr(val, 10)} +- {nstr(err, 5)}")
    return val * scale


def split_points(kind, a, m, s, f, extra=()):
    """Split points for int f: support ends, kinks, the shape's centre +- widths, the mean +- deviations, the mode."""
    lo, hi, kinks, centre, width = features(kind, a)
    inner = list(kinks) + list(extra)
    if centre is not None:
        inner += [centre + width * k for k in (0, -1, 1, -4, 4, -16, 16, -64, 64)] if width else [centre]
    inner += [m + s * k for k in (0, -1, 1, -3, 3, -8, 8, -20, 20, -40, 40)]
    anchors = [m] + ([centre] if centre is not None else []) + list(extra)
    x_star = mode(f, lo, hi, anchors)
    inner += [x_star]
    pts = sorted(set(x for x in inner if lo < x < hi))
    return [lo] + pts + [hi], x_star


def expectation_by_quadrature(kind, a, m, s, power, method="tanh-sinh"):
    """E[shape(X)^power], X ~ N(m, s^2), by quad; triangular's signed E[h] as c (P(X < 0) - P(X > 0))."""
    if kind == "triangular":
        if power == 2:
            return a ** 2 * rquad(lambda x: npdf(x, m, s), split_points("straight_through", a, m, s,
                                                                        lambda x: npdf(x, m, s))[0])
        below = rquad(lambda x: npdf(x, m, s), [-inf] + [p for p in sorted({m + s * k for k in
                      (0, -1, 1, -3, 3, -8, 8, -20, 20, -40, 40)}) if p < 0] + [0])
        above = rquad(lambda x: npdf(x, m, s), [0] + [p for p in sorted({m + s * k for k in
                      (0, -1, 1, -3, 3, -8, 8, -20, 20, -40, 40)}) if p > 0] + [inf])
        return a * (below - above)
    f = lambda x: shape(kind, a, x) ** power * npdf(x, m, s)
    pts, x_star = split_points(kind, a, m, s, f)
    return rquad(f, pts, method, extra_probes=[x_star])


def expectation_by_legendre_grid(kind, a, m, s, power):
    """Gauss-Legendre on a split geometric around the mode, x* +- min(s, width) 2^j for j = -1..14 (the check for
    sigmoid)."""
    lo, hi, kinks, centre, width = features(kind, a)
    f = lambda x: shape(kind, a, x) ** power * npdf(x, m, s)
    x_star = mode(f, lo, hi, [m, centre])
    step = min(s, width)
    inner = [x_star] + [x_star + sign * step * mpf(2) ** j for j in range(-1, 15) for sign in (-1, 1)]
    pts = [lo] + sorted(set(x for x in inner + list(kinks) if lo < x < hi)) + [hi]
    return rquad(f, pts, "gauss-legendre", extra_probes=[x_star])


# ---------------------------------------------------------------- second representations (EXTRA digits)

def laplace_gaussian(beta, mu, s):
    """E[exp(-beta |Y|)], Y ~ N(mu, s^2)."""
    return exp(beta ** 2 * s ** 2 / 2) * (exp(-beta * mu) * Q(beta * s - mu / s) + exp(beta * mu) * Q(beta * s + mu / s))


def linear_piece(alpha_, beta_, l, u, power):
    """int_l^u (alpha + beta z)^power phi(z) dz for power 1 or 2."""
    dP = Q(l) - Q(u)
    dphi = phi(l) - phi(u)
    if power == 1:
        return alpha_ * dP + beta_ * dphi
    return alpha_ ** 2 * dP + 2 * alpha_ * beta_ * dphi + beta_ ** 2 * (dP + l * phi(l) - u * phi(u))


def atan_fourier(b, m, s):
    """(E[1/(1 - i b X)], E[1/(1 - i b X)^2]) for X ~ N(m, s^2), by the complex-erfc Laplace integral."""
    A = b ** 2 * s ** 2 / 2
    B = mpc(1, -b * m)
    i1 = sqrt(pi / A) / 2 * exp(B ** 2 / (4 * A)) * erfc(B / (2 * sqrt(A)))
    i2 = (1 - B * i1) / (2 * A)
    return i1, i2


def fast_sigmoid_laplace(k, m, s, power):
    n = 2 * power  # (1 + k|x|)^-n
    fact = mpf(1) if n == 2 else mpf(6)
    scale = 1 / (k * (abs(m) + s))
    g = lambda t: t ** (n - 1) * exp(-t) * laplace_gaussian(t * k, m, s) / fact
    # t e^-t beyond t = 250 is below e^-240 of the result: the range stops there, since for t k huge the two
    # exponents inside laplace_gaussian cancel beyond the working precision.
    pts = sorted({mpf(0), scale / 10, scale, 10 * scale, mpf(1), mpf(10), mpf(60), mpf(250)})
    return rquad(g, [p for p in pts if p <= 250])


def expectation_second_form(kind, a, m, s, power, extra=EXTRA):
    """A second representation of E[shape(X)^power] (None for sigmoid: see expectation_by_legendre_grid)."""
    with mp.workdps(mp.dps + extra):
        a, m, s = mpf(a), mpf(m), mpf(s)
        if kind == "straight_through":
            return mpf(1)
        if kind == "triangular":
            return a * (1 - 2 * Q(-m / s)) if power == 1 else a ** 2
        if kind == "rect":
            w = mpf("0.5") / a
            return a ** power * (Q((-w - m) / s) - Q((w - m) / s))
        if kind == "piecewise_quadratic":
            w = 1 / a
            # left piece a + a^2 x on [-w, 0], right piece a - a^2 x on [0, w]; x = m + s z
            left = linear_piece(a + a ** 2 * m, a ** 2 * s, (-w - m) / s, -m / s, power)
            right = linear_piece(a - a ** 2 * m, -a ** 2 * s, -m / s, (w - m) / s, power)
            return left + right
        if kind == "spike_rate_escape":
            return laplace_gaussian(power * a, m - 1, s)
        if kind == "gaussian":
            if power == 1:
                v = a ** 2 + s ** 2
                return exp(-m ** 2 / (2 * v)) / sqrt(2 * pi * v)
            v = a ** 2 + 2 * s ** 2
            return exp(-m ** 2 / v) / (2 * pi * a * sqrt(v))
        if kind == "atan":
            i1, i2 = atan_fourier(pi / 2 * a, m, s)
            return a / 2 * re(i1) if power == 1 else (a / 2) ** 2 * (re(i1) + re(i2)) / 2
    if kind == "fast_sigmoid":
        return fast_sigmoid_laplace(mpf(a), mpf(m), mpf(s), power)
    return None


def expectation(kind, a, m, s, power, extra=EXTRA):
    """E[shape(X)^power]: the second form where there is one (the table's value), else quadrature; s = 0 is h(m)."""
    if s == 0:
        return shape(kind, a, m) ** power
    second = expectation_second_form(kind, a, m, s, power, extra)
    return second if second is not None else expectation_by_quadrature(kind, a, m, s, power)


# ---------------------------------------------------------------- the one-step table

SCALES = [
    ("atan", "2", None), ("atan", "5", None),
    ("fast_sigmoid", "25", None), ("fast_sigmoid", "5", None),
    ("sigmoid", "25", None), ("sigmoid", "4", None),
    ("triangular", "1", None), ("triangular", "0.5", None),
    ("straight_through", "1", None),
    ("spike_rate_escape", "1", "25"), ("spike_rate_escape", "2", "50"),
    ("rect", "1", None), ("rect", "4", None),
    ("piecewise_quadratic", "1", None), ("piecewise_quadratic", "4", None),
    ("gaussian", "0.43", None), ("gaussian", "0.1", None),
]
SIGMAS = ["0.1", "0.5", "1", "3"]
RATIOS = ["-30", "-20", "-10", "-5", "-2", "-1", "-0.25", "0", "0.25", "1", "2", "5", "10", "20", "30"]


def one_step_rows():
    rows = []
    for kind, scale, amp in SCALES:
        a = mpf(scale)
        k = mpf(amp) if amp else DEFAULT_AMPLITUDE.get(kind, mpf(1))
        for sig in SIGMAS:
            s = mpf(sig)
            for r in RATIOS:
                m = mpf(r) * s
                values = []
                for power in (1, 2):
                    by_quad = expectation_by_quadrature(kind, a, m, s, power)
                    second = expectation_second_form(kind, a, m, s, power)
                    if second is None:
                        second = expectation_by_legendre_grid(kind, a, m, s, power)
                    if not (kind == "triangular" and power == 1 and m == 0):
                        if note(f"{kind} E[h^{power}] quad vs second form", by_quad, second) > mpf(10) ** -28:
                            raise AssertionError(f"{kind} {scale} m {m} s {s} power {power}: {by_quad} vs {second}")
                    values.append(k ** power * (second if kind != "sigmoid" else by_quad))
                rows.append([kind, scale, nstr(k, 10), sig, nstr(m, 10, min_fixed=-10, max_fixed=10)] + values)
        print(f"  {kind} {scale}: done", flush=True)
    return rows


# ---------------------------------------------------------------- cross-step

def conditional_inner(kind, a, mean, sd):
    """E[shape(Y)], Y ~ N(mean, sd^2), sd >= 0."""
    if sd == 0:
        return shape(kind, a, mean)
    return expectation(kind, a, mean, sd, 1, extra=CROSS_EXTRA)


def cross_by_conditioning(kind, a, ms, ss, mt, st, rho):
    """E[shape(X) shape(Y)] = int shape(x) N(x; ms, ss^2) E[shape(Y) | X = x] dx."""
    csd = st * sqrt((1 - rho) * (1 + rho))
    cmean = lambda x: mt + rho * st * (x - ms) / ss
    if rho == 0:
        independent = conditional_inner(kind, a, mt, st)
        f = lambda x: shape(kind, a, x) * npdf(x, ms, ss) * independent
    else:
        # Beyond 60 deviations the outer density is below e^-1800 of its peak, while every inner expectation is at
        # most h's peak: those points are set to 0 rather than sent to an inner quadrature at a mean of 1e20.
        f = lambda x: (mpf(0) if abs(x - ms) > 60 * ss else
                       shape(kind, a, x) * npdf(x, ms, ss) * conditional_inner(kind, a, cmean(x), csd))
    lo, hi, kinks, centre, width = features(kind, a)
    extra = []
    if rho != 0:
        # where the conditional mean of Y crosses the shape's features, and the conditional spread around them
        marks = list(kinks) + ([lo] if lo > -inf else []) + ([hi] if hi < inf else [])
        if centre is not None:
            marks += [centre + (width or 0) * k for k in (0, -1, 1, -4, 4)]
        for y in marks:
            x = ms + (y - mt) * ss / (rho * st)
            extra.append(x)
            spread = (csd + (width or 0)) * ss / abs(rho * st)
            extra += [x + spread * k for k in (-8, -2, -1, 1, 2, 8)] if spread > 0 else []
    pts, x_star = split_points(kind, a, ms, ss, f, extra=extra)
    return rquad(f, pts, extra_probes=[x_star], prune=True)


NESTED = ("sigmoid", "fast_sigmoid")  # no closed inner expectation: fixed rules instead of nested adaptive quad
_RULES = {}


def legendre_rule(degree):
    """mpmath's Gauss-Legendre nodes and weights on [-1, 1] (3 * 2^(degree - 1) nodes) at the working precision."""
    key = (degree, mp.prec)
    if key not in _RULES:
        _RULES[key] = GaussLegendre(mp).calc_nodes(degree, mp.prec)
    return _RULES[key]


def fixed_quad(f, pts, degree=4):
    total = mpf(0)
    for a, b in zip(pts[:-1], pts[1:]):
        h, c = (b - a) / 2, (a + b) / 2
        total += h * fsum(w * f(c + h * x) for x, w in legendre_rule(degree))
    return total


def fixed_pieces(kind, a, m, s, reach, extra=()):
    """[m - reach s, m + reach s] within the support, cut at the kinks, at m +- (0 ... 40) s and at the centre
    +- 4^j widths (j = -2 ... 5): pieces on which the integrand is smooth and varies by a bounded factor."""
    lo, hi, kinks, centre, width = features(kind, a)
    pts = set(extra) | set(kinks)
    for k in (0, 0.5, 1, 2, 3, 4, 6, 8, 12, 20, 30, 40):
        pts |= {m + s * k, m - s * k}
    for j in range(-2, 6):
        pts |= {centre + width * mpf(4) ** j, centre - width * mpf(4) ** j}
    pts.add(centre)
    left, right = max(lo, m - reach * s), min(hi, m + reach * s)
    return [left] + sorted(p for p in pts if left < p < right) + [right]


def cross_by_fixed_rule(kind, a, ms, ss, mt, st, rho):
    """E[shape(X) shape(Y)] by conditioning on X with a 24-point Gauss-Legendre rule on every piece, inside and out:
    the inner over the conditional mean +- 40 deviations, the outer over ms +- 60 ss (beyond, the densities are
    below e^-800 and e^-1800 of their peaks). Checked against conditioning on Y (other pieces, other nodes)."""
    csd = st * sqrt((1 - rho) * (1 + rho))

    def inner(mu):
        if csd == 0:
            return shape(kind, a, mu)
        return fixed_quad(lambda y: shape(kind, a, y) * npdf(y, mu, csd), fixed_pieces(kind, a, mu, csd, 40))

    extra = []
    if rho == 0:
        independent = inner(mt)
        f = lambda x: shape(kind, a, x) * npdf(x, ms, ss) * independent
    else:
        f = lambda x: shape(kind, a, x) * npdf(x, ms, ss) * inner(mt + rho * st * (x - ms) / ss)
        _, _, kinks, centre, width = features(kind, a)
        spread = (csd + width) * ss / abs(rho * st)
        for y in [centre + width * k for k in (0, -1, 1, -4, 4)] + list(kinks):
            x = ms + (y - mt) * ss / (rho * st)
            extra += [x + spread * k for k in (0, -8, -4, -2, -1, -0.5, 0.5, 1, 2, 4, 8)]
    return fixed_quad(f, fixed_pieces(kind, a, ms, ss, 60, extra))


def triangular_cross(a, ms, ss, mt, st, rho):
    """c^2 E[sign'(X) sign'(Y)] = c^2 (1 - 2 P(X >= 0) - 2 P(Y >= 0) + 4 P(X >= 0, Y >= 0)), the joint probability by
    conditioning on X (a positive integrand, so it keeps its digits even where the whole is 0 by symmetry)."""
    csd = st * sqrt((1 - rho) * (1 + rho))
    if csd == 0:
        # Y = mt + rho st (X - ms) / ss: Y >= 0 is X >= x0 (rho = 1) or X <= x0 (rho = -1).
        x0 = ms - mt * ss / (rho * st)
        with mp.workdps(mp.dps + EXTRA):
            if rho > 0:
                both = Q((max(0, x0) - ms) / ss)
            else:
                both = max(0, Q(-ms / ss) - Q((x0 - ms) / ss))
    else:
        f = lambda x: npdf(x, ms, ss) * Q(-(mt + rho * st * (x - ms) / ss) / csd)
        marks = [ms + ss * k for k in (0, -1, 1, -3, 3, -8, 8, -20, 20, -40, 40)]
        if rho != 0:
            x0 = ms - mt * ss / (rho * st)  # where the conditional mean of Y is 0
            spread = csd * ss / abs(rho * st)
            marks += [x0 + spread * k for k in (0, -8, -3, -1, 1, 3, 8)]
        both = rquad(f, [mpf(0)] + sorted(set(x for x in marks if x > 0)) + [inf])
    return a ** 2 * (1 - 2 * Q(-ms / ss) - 2 * Q(-mt / st) + 4 * both)


def gaussian_cross_closed(a, ms, ss, mt, st, rho):
    with mp.workdps(mp.dps + EXTRA):
        v11, v22, v12 = ss ** 2 + a ** 2, st ** 2 + a ** 2, rho * ss * st
        det = v11 * v22 - v12 ** 2
        quadform = (v22 * ms ** 2 - 2 * v12 * ms * mt + v11 * mt ** 2) / det
        return exp(-quadform / 2) / (2 * pi * sqrt(det))


CROSS_CASES = [
    ("-1", "1", "-1", "1", "0.5"),
    ("-1", "1", "-0.6", "0.8", "0.9"),
    ("0.3", "0.5", "-0.2", "1.2", "-0.7"),
    ("-4", "1", "-3", "0.5", "0.99"),
    ("0", "0.2", "0.1", "0.3", "0"),
    ("-1", "1", "-1", "1", "1"),
    ("-0.5", "1", "0.5", "1", "-1"),
    ("-10", "1", "-8", "1", "0.9"),
]
CROSS_MADE = "mpmath, 45 digits (sigmoid and fast_sigmoid 25: nested quadratures); made by " \
    "scripts/reference/surrogate_integrals.py"
CROSS_KINDS = [("sigmoid", "25"), ("fast_sigmoid", "25"), ("atan", "2"), ("triangular", "1"),
               ("straight_through", "1"), ("spike_rate_escape", "1"), ("rect", "1"),
               ("piecewise_quadratic", "1"), ("gaussian", "0.43")]


CROSS_DPS = {"sigmoid": 25, "fast_sigmoid": 25}  # nested quadratures: 45 digits would take hours


def cross_rows_at_precision(kind_scale):
    kind, scale = kind_scale
    with mp.workdps(CROSS_DPS.get(kind, mp.dps)):
        rows = cross_rows_of(kind, scale)
    print(f"  cross {kind}: done", flush=True)
    return rows, WORST


def cross_rows():
    """One process per surrogate (the nested quadratures take the better part of an hour each); rows in a fixed
    order whatever the process count."""
    with multiprocessing.Pool(min(len(CROSS_KINDS), os.cpu_count() or 1)) as pool:
        results = pool.map(cross_rows_at_precision, CROSS_KINDS, chunksize=1)
    rows = []
    for part, worst in results:
        rows += part
        for check, value in worst.items():
            WORST[check] = max(WORST.get(check, mpf(0)), value)
    return rows


def cross_rows_of(kind, scale):
    rows = []
    agreement = mpf(10) ** -min(25, mp.dps - 5)  # 1e-25 at 45 digits, 1e-20 at 25
    a = mpf(scale)
    k = DEFAULT_AMPLITUDE.get(kind, mpf(1))
    for case in CROSS_CASES:
        ms, ss, mt, st, rho = map(mpf, case)
        if kind == "straight_through":
            value = mpf(1)
        else:
            if kind == "triangular":
                value = triangular_cross(a, ms, ss, mt, st, rho)
                other = triangular_cross(a, mt, st, ms, ss, rho)
                # A difference of probabilities, 0 by symmetry in one case: compared on the scale c^2.
                if abs(value - other) > agreement * a ** 2:
                    raise AssertionError(f"{kind} {case}: {value} vs {other}")
            else:
                method = cross_by_fixed_rule if kind in NESTED else cross_by_conditioning
                value = method(kind, a, ms, ss, mt, st, rho)
                other = method(kind, a, mt, st, ms, ss, rho)
                if note("cross-step, conditioning on X vs on Y", value, other) > agreement:
                    raise AssertionError(f"{kind} {case}: {value} vs {other}")
            if kind == "atan":
                fixed = cross_by_fixed_rule(kind, a, ms, ss, mt, st, rho)
                if note("cross-step atan, adaptive vs the fixed rule of sigmoid's", value, fixed) > mpf(10) ** -20:
                    raise AssertionError(f"{kind} {case}: {value} vs {fixed}")
            if kind == "gaussian":
                closed = gaussian_cross_closed(a, ms, ss, mt, st, rho)
                if note("cross-step gaussian, conditioning vs closed form", value, closed) > agreement:
                    raise AssertionError(f"{kind} {case}: {value} vs {closed}")
            if rho == 1 and ms == mt and ss == st:
                second = expectation(kind, a, ms, ss, 2)
                if note("cross-step at rho = 1 vs E[h^2]", value, second) > agreement:
                    raise AssertionError(f"{kind} {case}: {value} vs {second}")
        rows.append([kind, scale, nstr(k, 10)] + list(case) + [k ** 2 * value])
        print(f"    {kind} {case}: {nstr(value, 20)}", flush=True)
    return rows


# ---------------------------------------------------------------- critical scales

def backward_gain(kind, a, theta, variance):
    s = sqrt(variance)
    k = DEFAULT_AMPLITUDE.get(kind, mpf(1))
    return variance * k ** 2 * expectation(kind, a, -theta, s, 2) / Q(theta / s)


CRITICAL_CASES = [("gaussian", "1", "1"), ("gaussian", "0.5", "1"), ("gaussian", "2", "1"), ("gaussian", "1", "2"),
                  ("atan", "1", "1"), ("rect", "1", "1"), ("piecewise_quadratic", "1", "1"),
                  ("fast_sigmoid", "1", "1")]


def critical_rows():
    rows = []
    for kind, th, var in CRITICAL_CASES:
        theta, variance = mpf(th), mpf(var)
        g = lambda a: backward_gain(kind, a, theta, variance) - 1
        grid = [mpf(10) ** (-3 + 6 * mpf(i) / 199) for i in range(200)]
        values = [g(a) for a in grid]
        changes = [i for i in range(199) if (values[i] > 0) != (values[i + 1] > 0)]
        if len(changes) != 1:
            raise AssertionError(f"{kind} theta {th}: {len(changes)} sign changes of chi_back - 1")
        i = changes[0]
        root = findroot(g, (grid[i], grid[i + 1]), solver="anderson")
        if abs(g(root)) > mpf(10) ** -35:
            raise AssertionError(f"{kind} theta {th}: residual {g(root)}")
        rows.append([kind, th, var, root])
        print(f"  critical {kind} theta {th} variance {var}: {nstr(root, 15)}", flush=True)
    return rows


def fmt(x):
    if isinstance(x, str):
        return x
    x = mpf(x)
    return "0" if x == 0 else nstr(x, 25, min_fixed=0, max_fixed=0)


def write_csv(name, header, rows, comments):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        for c in comments:
            f.write("# " + c + "\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) for v in r])
    print(f"wrote {name}: {len(rows)} rows", flush=True)


def main():
    """Writes the tables named on the command line (critical, cross, one-step), all three by default."""
    wanted = set(sys.argv[1:]) or {"critical", "cross", "one-step"}
    made = "mpmath, 45 digits; made by scripts/reference/surrogate_integrals.py"
    if "critical" in wanted:
        write_csv("surrogate_critical.csv", ["surrogate", "theta", "target_variance", "critical_scale"],
                  critical_rows(),
                  ["the scale at which chi_back = sigma_t^2 E[h(u - theta)^2] / Q(theta / sigma_t) = 1, "
                   "u ~ N(0, sigma_t^2), sigma_t^2 = target_variance; " + made])
    if "cross" in wanted:
        write_csv("surrogate_cross_step.csv",
                  ["surrogate", "scale", "amplitude", "m_s", "sigma_s", "m_t", "sigma_t", "rho", "expectation_hh"],
                  cross_rows(),
                  ["E[h(X) h(Y)], (X, Y) jointly Gaussian: means m_s, m_t, deviations sigma_s, sigma_t, correlation "
                   "rho; " + CROSS_MADE])
    if "one-step" in wanted:
        write_csv("surrogate_integrals.csv",
                  ["surrogate", "scale", "amplitude", "sigma", "m", "expectation_h", "expectation_h2"],
                  one_step_rows(),
                  ["E[h(X)] and E[h(X)^2], X = u - theta ~ N(m, sigma^2); " + made])
    for check, worst in sorted(WORST.items()):
        print(f"largest relative difference, {check}: {nstr(worst, 3)}")


if __name__ == "__main__":
    main()
