#!/usr/bin/env python3
"""High-precision reference tables for the snn-theory test suite (see THEORY.md sections 2 and 3).

What it computes (all from first principles, independently of the Swift code):

  gaussian_integrals.csv  For u ~ N(mu, sigma^2), z = (theta - mu)/sigma, s = H(u - theta):
                          P(u > theta), its natural log, dP/dsigma, E[u s], E[u | u > theta], E[u^2 s],
                          Var[s].  E[u s] and E[u^2 s] come from mpmath.quad (u = theta + sigma t, split
                          points) and are asserted to agree with the closed forms of THEORY.md section 2 to
                          30 digits; dP/dsigma comes from mpmath.diff and is asserted against z phi(z)/sigma.
  bivariate_orthant.csv   P(X > a, Y > b) for standard normals with correlation rho, by mpmath.quad of the
                          conditional form int_a^inf phi(x) Q((b - rho x)/sqrt(1 - rho^2)) dx, asserted to 25
                          digits against the correlation (Plackett) integral
                          Q(a)Q(b) + int_0^rho exp(-(a^2 - 2 r a b + b^2)/(2(1 - r^2))) / (2 pi sqrt(1 - r^2)) dr,
                          evaluated with as many extra digits as its cancellation costs (up to 100 extra).
                          For rho < 0 it is also checked against the same integral anchored at rho = -1,
                          P(-1) + int_{-1}^rho ..., which has no cancellation; for strongly negative rho far
                          in the tail (P ~ 1e-43437 against Q(a)Q(b) ~ 1e-47) that is the only check.
  recursion.csv           The first-time-step mean-field variance recursion of THEORY.md section 3,
                          Var[u_1] = n Var[w_1] p0, Var[u_l] = n Var[w_l] Q(theta / sqrt(Var[u_{l-1}])),
                          rate_l = Q(theta / sqrt(Var[u_l])), for Kaiming, LeCun, Glorot, PyTorch-default and the
                          paper's initialization.  Nothing is clamped: values like 4.4e-771 are exact.
  stability.csv           chi(x) = x phi(x) / (2 Q(x)), the slope of the recursion map at the paper's fixed
                          point (checked against mpmath.diff of the map), and the root of chi(x) = 1.
  related_inits.csv       THEORY.md section 6: the gains n Var[w] of layers l >= 2 (unit-variance potential,
                          p = Q(theta)) of the paper's rule 1 / p, the authors' leak-and-reset-aware variant
                          (1 - beta^2 - theta^2 p (1 - p) + 2 beta theta E[u | u > theta]) / p and the variance
                          balance with phi(theta) in place of E[u | u > theta]; E[u | u > theta] by mpmath.quad,
                          asserted against phi(theta) / Q(theta) to 30 digits.

How: mpmath only (erfc, npdf, quad with split points, diff, findroot).  Gaussian, bivariate and stability
tables at mp.dps = 50; the recursion at mp.dps >= 60.  mpmath.quad's stopping rule is absolute, so every
integrand is rescaled and the error estimate is required to be small relative to the result (rquad).
The tables' integrals use Gauss-Legendre, the cross-checks tanh-sinh.  For z < 0, 1 - P is taken as
Q(-z) directly, so log P and Var[s] keep all their digits when P is within 1e-50 of 1.
The recursion is ill-conditioned once a layer's variance is tiny (a relative error e in Var[u_{l-1}]
becomes about e * theta^2 / (2 Var[u_{l-1}]) in Var[u_l]; e.g. Kaiming layer 5 ~ 1e-(4.9e769) needs
~800 digits), so it is rerun at increasing precision (60, 120, 240, ... digits) until every printed
digit is unchanged between two successive precisions.
For Q(x) with x > 1e100 (where mpmath.erfc overflows internally) log Q(x) uses the asymptotic series
-x^2/2 - log(x sqrt(2 pi)) + log(1 - 1/x^2 + 3/x^4 - ...), checked against erfc at x = 1e20 and 1e100.

Numbers are printed with 25 significant digits in scientific notation
(mpmath.nstr(x, 25, min_fixed=0, max_fixed=0)); a 0 appears only where the true value is exactly 0.
Values far below Double's range are still printed in full (Swift parses them as 0 and the tests skip them).
In recursion.csv a field is left EMPTY where the true value is positive but not representable even in
mpmath (e.g. Kaiming layer 6: Var ~ 10^(-10^(4.9e769)); its log10 is still given, with a ~770-digit exponent).
In the paper's rows Var[u_l] = n Var[w_l] Q_l is evaluated as target * (Q_l / Q_design), which is
algebraically identical and stays exactly equal to the target when Var[u_{l-1}] equals it; the naive product
n * Var[w_l] * Q_l is also computed and asserted to agree to the working precision.

Rerun by hand (never run by the tests):   cd Tests/SNNTheoryTests/Reference && python3 make_reference.py
Requires Python 3 and mpmath (pip install mpmath).  Takes about two to three minutes.
It prints the largest relative difference seen in each self-check (all below 1e-43 when last run).
"""

import csv
import os
import sys

try:
    import mpmath
    from mpmath import mp, mpf, erfc, npdf, quad, diff, findroot, sqrt, log, exp, pi, inf, nstr
except ImportError:  # pragma: no cover
    sys.exit("make_reference.py needs mpmath: pip install mpmath")

HERE = os.path.dirname(os.path.abspath(__file__))


def fmt(x):
    """25 significant digits, scientific notation; '' for a non-representable value."""
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    x = mpf(x)
    if x == 0:
        return "0"
    return nstr(x, 25, min_fixed=0, max_fixed=0)


def write_csv(name, header, rows, comments=()):
    path = os.path.join(HERE, name)
    with open(path, "w", newline="") as f:
        for c in comments:
            f.write("# " + c + "\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) for v in r])
    print(f"wrote {name}: {len(rows)} rows")
    return path


def Q(x):
    """Upper tail of the standard normal, P(Z > x) = erfc(x / sqrt 2) / 2."""
    return erfc(x / sqrt(2)) / 2


def rquad(f, pts, method="tanh-sinh"):
    """mpmath.quad with a relative error target.

    mpmath.quad stops on an *absolute* error of about 10^-dps, which is useless for integrals like 1e-837.
    The integrand is therefore divided by its largest value on the finite split points and their midpoints,
    and the returned error estimate is checked relative to the result.
    """
    finite = [p for p in pts if p != inf]
    probes = finite + [(x + y) / 2 for x, y in zip(finite[:-1], finite[1:])]
    if pts[-1] == inf:
        probes.append(finite[-1] + 1)
    values = []
    for p in probes:
        try:
            values.append(abs(f(p)))
        except ZeroDivisionError:  # an integrable endpoint singularity (e.g. r = -1)
            pass
    scale = max(values)
    if scale == 0:
        raise AssertionError("integrand vanishes on all probes")
    val, err = quad(lambda x: f(x) / scale, pts, error=True, method=method)
    if val == 0 or abs(err / val) > mpf(10) ** (-(mp.dps * 7 // 10)):
        raise AssertionError(f"quad error estimate too large: {nstr(val, 10)} +- {nstr(err, 5)}")
    return val * scale


# The tables' integrals use Gauss-Legendre (fast for these smooth integrands once split); the cross-checks
# (correlation integrals) use tanh-sinh, so the two sides share neither formula nor quadrature rule.
GAUSS = "gauss-legendre"


def rel_diff(a, b):
    a, b = mpf(a), mpf(b)
    if a == b:
        return mpf(0)
    return abs(a - b) / max(abs(a), abs(b))


WORST = {}  # check kind -> largest relative difference seen


def agree(a, b, digits, what):
    d = rel_diff(a, b)
    kind = what.split(" a=")[0].split(" mu=")[0].split(" layer")[0].split(" at ")[0]
    WORST[kind] = max(WORST.get(kind, mpf(0)), d)
    if d > mpf(10) ** (-digits):
        raise AssertionError(f"{what}: {nstr(a, 40)} vs {nstr(b, 40)} (rel diff {nstr(d, 5)})")


# ---------------------------------------------------------------------------------------------------
# 1. Gaussian integrals
# ---------------------------------------------------------------------------------------------------

def gaussian_row(mu, sigma, theta):
    mu, sigma, theta = mpf(mu), mpf(sigma), mpf(theta)
    z = (theta - mu) / sigma
    q = Q(z)
    ph = npdf(z)

    # dP/dsigma at fixed mu, theta: numerically (mpmath.diff) and by the formula z phi(z) / sigma.
    # For z < 0, P = 1 - Q(-z) is within 10^-dps of 1: differentiate -Q(-z) instead (same derivative).
    if z >= 0:
        dsig_num = diff(lambda s: Q((theta - mu) / s), sigma)
    else:
        dsig_num = diff(lambda s: -Q((mu - theta) / s), sigma)
    dsig_formula = z * ph / sigma
    agree(dsig_num, dsig_formula, 30, f"dP/dsigma mu={mu} sigma={sigma} theta={theta}")

    # E[u^k s] = int_theta^inf u^k phi((u-mu)/sigma)/sigma du;  u = theta + sigma t:
    #          = int_0^inf (theta + sigma t)^k phi(z + t) dt.
    pts = {mpf(0), mpf(1), mpf(5), mpf(20)}
    if z > 1:  # integrand decays like exp(-z t): resolve the scale 1/z
        for k in (1, 4, 16, 64, 256):
            if k / z < 1:
                pts.add(k / z)
    if z < 0:  # density peaks at t = -z
        for d in (-10, -3, -1, 0, 1, 3, 10):
            if -z + d > 0:
                pts.add(-z + d)
    pts = sorted(pts) + [inf]

    def moment(k):
        return rquad(lambda t: (theta + sigma * t) ** k * npdf(z + t), pts, GAUSS)

    m0 = moment(0)
    m1 = moment(1)
    m2 = moment(2)
    # Closed forms (THEORY.md section 2).
    c1 = mu * q + sigma * ph
    c2 = (mu ** 2 + sigma ** 2) * q + sigma * (theta + mu) * ph
    agree(m0, q, 30, f"P quad mu={mu} sigma={sigma} theta={theta}")
    agree(m1, c1, 30, f"E[u s] mu={mu} sigma={sigma} theta={theta}")
    agree(m2, c2, 30, f"E[u^2 s] mu={mu} sigma={sigma} theta={theta}")

    # For z < 0, 1 - Q(z) = Q(-z) is tiny: take it directly, not as a difference that loses digits.
    q_complement = Q(-z)
    log_q = log(q) if z >= 0 else mpmath.log1p(-q_complement)
    return [mu, sigma, theta, z, q, log_q, dsig_num, m1, m1 / q, m2, q * q_complement]


def make_gaussian():
    mp.dps = 50
    rows = []
    mus = ["-3", "-1", "-0.2", "0", "0.3", "1", "2.5"]
    sigmas = ["0.05", "0.3", "1", "2", "7"]
    thetas = ["0.1", "0.5", "1", "1.5", "3"]
    for m in mus:
        for s in sigmas:
            for t in thetas:
                rows.append(gaussian_row(mpf(m), mpf(s), mpf(t)))
    # Far tails, positive z: mu = 0, theta = 1, sigma = 1/z.
    for zz in (5, 8, 12, 20, 26, 30, 35, 37):
        rows.append(gaussian_row(mpf(0), 1 / mpf(zz), mpf(1)))
    # Negative z: mu = 1 + |z|/2, sigma = 0.5, theta = 1.
    for zz in (5, 12, 37):
        rows.append(gaussian_row(1 + mpf(zz) / 2, mpf("0.5"), mpf(1)))
    # Negative mu, far tail (strong cancellation in the closed forms of E[u s], E[u^2 s]).
    for m, s, t in (("-10", "1", "1"), ("-30", "0.8", "0.5"), ("-36", "1", "1"),
                    ("-5", "0.2", "1.5"), ("-2", "0.1", "1")):
        rows.append(gaussian_row(mpf(m), mpf(s), mpf(t)))
    write_csv("gaussian_integrals.csv",
              ["mu", "sigma", "theta", "z", "spike_probability", "log_spike_probability",
               "spike_probability_dsigma", "u_spike", "u_given_spike", "u2_spike", "spike_variance"],
              rows,
              ["u ~ N(mu, sigma^2), z = (theta - mu)/sigma, s = H(u - theta); mpmath, 50 digits; "
               "made by make_reference.py"])
    return rows


# ---------------------------------------------------------------------------------------------------
# 2. Bivariate orthant probabilities
# ---------------------------------------------------------------------------------------------------

def orthant_conditional(a, b, rho):
    """P(X > a, Y > b) = int_a^inf phi(x) Q((b - rho x)/sqrt(1 - rho^2)) dx."""
    c = sqrt(1 - rho ** 2)
    pts = {a, a + 1, a + 4, a + 10}
    # Resolve a fast decay at the lower end (tails, strongly negative rho): the integrand's log-slope at a
    # is -a - (rho/c) phi(y)/Q(y), y = (b - rho a)/c.
    y = (b - rho * a) / c
    rate = abs(-a - (rho / c) * npdf(y) / Q(y))
    if rate > 1:
        for k in (1, 4, 16, 64, 256):
            if k / rate < 1:
                pts.add(a + k / rate)
    if rho != 0:  # the Q factor steps at x = b / rho; at x0 + d w its argument is -d sign(rho)
        x0 = b / rho
        w = c / abs(rho)
        for d in (-16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16):
            p = x0 + d * w
            if p > a:
                pts.add(p)
    pts = sorted(pts) + [inf]
    return rquad(lambda x: npdf(x) * Q((b - rho * x) / c), pts, GAUSS)


def orthant_plackett(a, b, rho):
    """Q(a)Q(b) + int_0^rho exp(-(a^2 - 2 r a b + b^2)/(2(1 - r^2))) / (2 pi sqrt(1 - r^2)) dr."""
    f = lambda r: exp(-(a * a - 2 * r * a * b + b * b) / (2 * (1 - r * r))) / (2 * pi * sqrt(1 - r * r))
    if rho == 0:
        return Q(a) * Q(b)
    pts = [rho * k for k in (0, mpf("0.5"), mpf("0.9"), mpf("0.99"), mpf("0.999"), 1)]
    return Q(a) * Q(b) + rquad(f, pts)


def orthant_plackett_from_minus_one(a, b, rho):
    """The same correlation integral anchored at rho = -1, free of cancellation for rho < 0:
    P(rho) = P(-1) + int_{-1}^rho ..., with P(-1) = P(a < X < -b) = max(0, Q(a) - Q(-b)).
    Using (a^2 - 2 r a b + b^2)/(1 - r^2) = (a+b)^2/(2(1+r)) + (a-b)^2/(2(1-r)) and r = -cos(2t)
    (so 1 + r = 2 sin^2 t, 1 - r = 2 cos^2 t, and the 1/sqrt(1 - r^2) singularity disappears):
    int_0^T exp(-(a+b)^2/(8 sin^2 t) - (a-b)^2/(8 cos^2 t)) / pi dt,  T = (asin(rho) + pi/2)/2."""
    sp, sm = (a + b) ** 2, (a - b) ** 2

    def f(t):
        e = mpf(0)
        if sp != 0:
            e -= sp / (8 * mpmath.sin(t) ** 2)
        if sm != 0:
            e -= sm / (8 * mpmath.cos(t) ** 2)
        return exp(e) / pi

    base = max(mpf(0), Q(a) - Q(-b))
    h = 1 + rho
    rs = [rho - h * k for k in (mpf("0.5"), mpf("0.1"), mpf("0.01"), mpf("0.001"))] + [rho]
    pts = [mpf(0)] + [(mpmath.asin(r) + pi / 2) / 2 for r in rs]
    return base + rquad(f, pts)


def make_bivariate():
    mp.dps = 50
    rows = []
    grid = ["-2", "0", "0.5", "1", "2", "4"]
    pairs = [(x, y) for x in grid for y in grid] + [("6", "6"), ("8", "8"), ("10", "10"),
                                                    ("12", "12"), ("8", "10")]
    rhos = ["-0.999", "-0.9", "-0.5", "-0.1", "0", "0.1", "0.5", "0.9", "0.999"]
    far_tail_checks = 0
    for sa, sb in pairs:
        for sr in rhos:
            mp.dps = 50
            a, b, rho = mpf(sa), mpf(sb), mpf(sr)
            p = orthant_conditional(a, b, rho)
            # Digits the rho=0-anchored Plackett form loses to cancellation (Q(a)Q(b) vs a much smaller P).
            lost = max(0, int(mpmath.log10(Q(a) * Q(b) / p)))
            if lost <= 100:
                with mp.workdps(60 + lost):
                    p2 = orthant_plackett(mpf(sa), mpf(sb), mpf(sr))
                agree(p, p2, 25, f"orthant a={sa} b={sb} rho={sr} (Plackett, {60 + lost} digits)")
            else:
                far_tail_checks += 1
            if rho < 0:
                with mp.workdps(60):
                    p3 = orthant_plackett_from_minus_one(mpf(sa), mpf(sb), mpf(sr))
                agree(p, p3, 25, f"orthant a={sa} b={sb} rho={sr} (Plackett from rho=-1)")
            if rho == 0:
                agree(p, Q(a) * Q(b), 30, f"orthant rho=0 a={sa} b={sb}")
            rows.append([a, b, rho, p])
    print(f"  bivariate: {far_tail_checks} rows (rho < 0, far tail) checked only by the rho=-1-anchored form")
    write_csv("bivariate_orthant.csv", ["a", "b", "rho", "probability"], rows,
              ["P(X > a, Y > b), X, Y standard normal with correlation rho; mpmath, 50 digits; "
               "made by make_reference.py"])
    return rows


# ---------------------------------------------------------------------------------------------------
# 3. Mean-field recursion (first time step)
# ---------------------------------------------------------------------------------------------------

# Beyond this |log| a value exp(log) is not representable even in mpmath (its binary exponent would be
# an integer with more than ~10^4 digits); such values are reported as empty fields.
LOG_REPRESENTABLE = mpf(10) ** 10000


def log_Q_from_x2(x2):
    """(log Q(x), Q(x) or None) for x = sqrt(x2) > 0, any size of x2."""
    if x2 < mpf(10) ** 200:
        q = Q(sqrt(x2))
        return log(q), q
    x = sqrt(x2)
    # Asymptotic series: Q(x) = phi(x)/x * sum_k (-1)^k (2k-1)!! / x^(2k)
    s, term, k = mpf(1), mpf(1), 1
    while True:
        term = -term * (2 * k - 1) / x2
        if abs(term) < mpf(2) ** (-mp.prec - 10):
            break
        s += term
        k += 1
    lq = -x2 / 2 - log(x) - log(2 * pi) / 2 + log(s)
    return lq, None


def exp_if_representable(L):
    if abs(L) > LOG_REPRESENTABLE:
        return None
    # exp of a huge argument needs the argument's integer part exactly: add its digits to the precision.
    extra = int(mpmath.log10(abs(L))) + 10 if abs(L) > 1 else 0
    with mp.workprec(mp.prec + int(extra * 3.33)):
        return +exp(L)


def check_asymptotic():
    with mp.workdps(60):
        for xs in ("1e20", "1e100"):
            x = mpf(xs)
            direct = log(Q(x))
            s = 1 - 1 / x ** 2 + 3 / x ** 4
            lq = -x * x / 2 - log(x) - log(2 * pi) / 2 + log(s)
            agree(direct, lq, 50, f"asymptotic log Q at {xs}")


def weight_gain(init, n, theta, p0, target, layer):
    """n * Var[w_l] (all layers have fan-in n)."""
    n = mpf(n)
    if init == "kaiming":
        return n * (2 / n)
    if init == "lecun":
        return n * (1 / n)
    if init == "glorot":
        return n * (2 / (n + n))
    if init == "pytorch":
        return n * (1 / (3 * n))
    if init == "paper":
        if layer == 1:
            return n * (target / (n * p0))
        return n * (target / (n * Q(theta / sqrt(target))))
    raise ValueError(init)


def run_recursion(init, theta, width, p0, target, layers, dps):
    """Rows [init, theta, width, p0, target, layer, var, rate, log10 var] at `dps` digits."""
    with mp.workdps(dps):
        theta, p0 = mpf(theta), mpf(p0)
        target = mpf(target) if target is not None else None
        out = []
        v = None   # Var[u_{l-1}] (mpf) or None when not representable
        for l in range(1, layers + 1):
            gain = weight_gain(init, width, theta, p0, target, l)
            if l == 1:
                if init == "paper":
                    v_new = target * (p0 / p0)
                    agree(v_new, gain * p0, mp.dps - 5, "paper layer 1 naive product")
                else:
                    v_new = gain * p0
                L = log(v_new)
            elif v is None:
                v_new, L = None, None
            else:
                lq, q = log_Q_from_x2(theta ** 2 / v)
                if init == "paper":
                    q_design = Q(theta / sqrt(target))
                    if q is None:
                        raise AssertionError("paper init left the representable range")
                    v_new = target * (q / q_design)
                    agree(v_new, gain * q, mp.dps - 5, f"paper layer {l} naive product")
                    L = log(v_new)
                elif q is not None:
                    v_new = gain * q
                    L = log(v_new)
                else:
                    L = log(gain) + lq
                    v_new = exp_if_representable(L)
            # rate_l = Q(theta / sqrt(Var[u_l]))
            if v_new is None:
                rate = None
            else:
                lq, q = log_Q_from_x2(theta ** 2 / v_new)
                rate = q if q is not None else exp_if_representable(lq)
            log10v = None if L is None else L / log(10)
            out.append([init, theta, width, p0, target, l, v_new, rate, log10v])
            v = v_new
        return [[fmt(x) if not isinstance(x, (str, int)) else str(x) for x in r] for r in out]


def converged_recursion(init, theta, width, p0, target, layers):
    dps = 60
    prev = run_recursion(init, theta, width, p0, target, layers, dps)
    while True:
        dps *= 2
        if dps > 8000:
            raise AssertionError(f"recursion {init} did not converge by 8000 digits")
        cur = run_recursion(init, theta, width, p0, target, layers, dps)
        if cur == prev:
            return cur, dps // 2
        prev = cur


def make_recursion():
    check_asymptotic()
    specs = [("kaiming", "1", 1000, "0.158655253931457", None, 6),
             ("paper", "1", 1000, "0.2", "1", 100),
             ("paper", "1.5", 1000, "0.1", "2", 5),
             ("lecun", "1", 1000, "0.2", None, 8),
             ("glorot", "1", 1000, "0.2", None, 8),
             ("pytorch", "1", 1000, "0.2", None, 8),
             ("kaiming", "1", 1000, "0.2", None, 8),
             ("kaiming", "0.5", 500, "0.3", None, 8)]
    rows = []
    for spec in specs:
        r, dps = converged_recursion(*spec)
        print(f"  recursion {spec[0]} theta={spec[1]} width={spec[2]} p0={spec[3]}: "
              f"stable at {dps} digits")
        rows += r
    for r in rows:  # the paper's init with target 1 must stay exactly 1
        if r[0] == "paper" and r[4] == fmt(1):
            assert r[6] == fmt(1) and r[8] == "0", r
    write_csv("recursion.csv",
              ["init", "theta", "width", "input_rate", "target_variance", "layer", "membrane_variance",
               "rate", "log10_membrane_variance"],
              rows,
              ["first-time-step mean-field recursion (THEORY.md section 3); mpmath, >= 60 digits, "
               "precision raised until every printed digit is stable; made by make_reference.py",
               "an empty field is a positive value not representable even in mpmath "
               "(e.g. 10^(-10^(4.9e769))), never a zero"])
    return rows


# ---------------------------------------------------------------------------------------------------
# 4. Stability of the paper's fixed point
# ---------------------------------------------------------------------------------------------------

def chi(x):
    return x * npdf(x) / (2 * Q(x))


def make_stability():
    mp.dps = 50
    rows = []
    for xs in ("0.25", "0.5", "0.75", "1", "1.19", "1.25", "1.5", "2", "3"):
        x = mpf(xs)
        c = chi(x)
        # chi is the slope of sigma_{l-1}^2 -> (sigma_t^2 / Q(theta/sigma_t)) Q(theta/sigma_{l-1}) at sigma_t;
        # check numerically with theta = x, sigma_t = 1.
        slope = diff(lambda v: Q(x / sqrt(v)) / Q(x), mpf(1))
        agree(c, slope, 30, f"chi slope at {xs}")
        rows.append([x, c])
    crit = findroot(lambda x: chi(x) - 1, mpf("1.19"), tol=mpf(10) ** (-45))
    agree(chi(crit), 1, 40, "critical chi")
    rows.append(["critical", crit])
    write_csv("stability.csv", ["theta_over_sigma", "chi"], rows,
              ["chi(x) = x phi(x) / (2 Q(x)); last row: root of chi(x) = 1; mpmath, 50 digits; "
               "made by make_reference.py"])
    return rows


def make_related_inits():
    mp.dps = 50
    rows = []
    for ts in ("0.25", "0.5", "1", "1.5", "2", "3"):
        theta = mpf(ts)
        p = Q(theta)
        tail_mean = rquad(lambda u: u * npdf(u), [theta, theta + 1, theta + 4, inf]) / p
        agree(tail_mean, npdf(theta) / p, 30, f"E[u | u > {ts}]")
        for bs in ("0", "0.5", "0.9", "1"):
            beta = mpf(bs)
            base = 1 - beta ** 2 - theta ** 2 * p * (1 - p)
            reset = (base + 2 * beta * theta * tail_mean) / p
            balance = (base + 2 * beta * theta * npdf(theta)) / p
            assert reset > 0 and balance > 0, (ts, bs)
            rows.append([theta, beta, 1 / p, reset, balance])
    write_csv("related_inits.csv", ["theta", "beta", "gain_paper", "gain_paper_reset", "gain_paper_balance"], rows,
              ["THEORY.md section 6: n Var[w_l] for l >= 2 with a unit-variance potential, p = Q(theta); "
               "mpmath, 50 digits; made by make_reference.py"])
    return rows


if __name__ == "__main__":
    import time
    for make in (make_stability, make_related_inits, make_recursion, make_gaussian, make_bivariate):
        t0 = time.time()
        make()
        print(f"  ({make.__name__}: {time.time() - t0:.0f} s)")
    print("largest relative differences in the self-checks:")
    for kind, d in WORST.items():
        print(f"  {kind}: {nstr(d, 3)}")
