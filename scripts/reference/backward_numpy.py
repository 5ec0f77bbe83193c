#!/usr/bin/env python3
"""Independent reference for the simulator's backward pass: gradients of L = sum_t g^T s_L[t] through the LIF
network of THEORY.md section 1, by reverse-mode differentiation of the forward computation.

Nothing here is derived by hand from the backward equations. The forward pass is written from THEORY.md section 1
(float64), recorded on a small tape of vector operations, and the tape is walked backwards: each operation knows only
its own local derivative. The spike s = H(u - theta) passes back h(u - theta), the framework's surrogate derivative,
implemented below from snnTorch's `snntorch/surrogate.py` and SpikingJelly's
`spikingjelly/activation_based/surrogate.py`. The spike that enters the reset (theta s[t-1], or the factor
(1 - s[t-1])) is either a constant (`detached`, as snnTorch's `mem_reset` detaches it) or the spike node itself
(`attached`). So delta_l[t] = dL/du_l[t] is the adjoint of the node u_l[t], and dL/dW_l the adjoint of W_l.

    python3 scripts/reference/backward_numpy.py CASE.json RESULT.json

CASE.json holds: widths [n_0, ..., n_L]; steps T; batch B; theta; beta; reset ("subtract" or "zero"); reset_gradient
("detached" or "attached"); surrogate {"kind", "scale", "amplitude"}; inputs [b][t][j] (spikes or analog values);
weights [l-1] as n_l x n_{l-1} row-major lists; readout g (n_L values). RESULT.json holds per layer l = 1..L:
"potentials" and "spikes" [b][t][i], "delta" [b][t][i], "weight_gradient" (summed over the batch, n_l x n_{l-1}),
and statistics: "delta_variance" per step (unbiased over the n_l B entries), "delta_variance_pooled" (over n_l B T),
"item_gradient_variance" (unbiased over the n_l n_{l-1} B entries of the per-item gradients dL_b/dW_l) and
"batch_gradient_variance" (over the n_l n_{l-1} entries of the batch sum).
"""
import json
import sys

import numpy as np


def surrogate(kind: str, scale: float, amplitude: float):
    """h(x) at x = u - theta, as each framework's backward pass computes it, times `amplitude`."""
    a = scale
    shapes = {
        # snnTorch ATan.backward: alpha / 2 / (1 + (pi / 2 * alpha * x)^2).
        "atan": lambda x: a / 2 / (1 + (np.pi / 2 * a * x) ** 2),
        # snnTorch FastSigmoid.backward: 1 / (slope * |x| + 1)^2.
        "fast_sigmoid": lambda x: 1 / (a * np.abs(x) + 1.0) ** 2,
        # snnTorch Sigmoid.backward, slope e^{-slope x} / (e^{-slope x} + 1)^2, written as SpikingJelly's
        # sigmoid_backward writes the same function: alpha * sigmoid(alpha x) * (1 - sigmoid(alpha x)).
        "sigmoid": lambda x: a * (1 / (1 + np.exp(-a * x))) * (1 - 1 / (1 + np.exp(-a * x))),
        # snnTorch Triangular.backward: grad * threshold, negated where input >= 0.
        "triangular": lambda x: np.where(x >= 0, -a, a),
        # snnTorch StraightThroughEstimator.backward: the incoming gradient unchanged.
        "straight_through": lambda x: np.ones_like(x),
        # snnTorch SpikeRateEscape.backward: slope * exp(-beta * |x - 1|) (slope is the amplitude).
        "spike_rate_escape": lambda x: np.exp(-a * np.abs(x - 1)),
        # SpikingJelly rect_backward: alpha * (|x| < 0.5 / alpha).
        "rect": lambda x: a * (np.abs(x) < 0.5 / a),
        # SpikingJelly piecewise_quadratic_backward: -alpha^2 |x| + alpha, zero where |x| > 1 / alpha.
        "piecewise_quadratic": lambda x: np.where(np.abs(x) > 1 / a, 0.0, -(a**2) * np.abs(x) + a),
        # A Gaussian density of standard deviation a.
        "gaussian": lambda x: np.exp(-(x**2) / (2 * a * a)) / (np.sqrt(2 * np.pi) * a),
    }
    shape = shapes[kind]
    return lambda x: amplitude * shape(x)


class Tape:
    """Nodes in creation order; each node keeps (parent, local vector-Jacobian product) pairs."""

    def __init__(self):
        self.values = []
        self.parents = []

    def leaf(self, value):
        self.values.append(np.asarray(value, dtype=np.float64))
        self.parents.append([])
        return len(self.values) - 1

    def node(self, value, parents):
        self.values.append(value)
        self.parents.append(parents)
        return len(self.values) - 1

    def matvec(self, w, x):
        W, X = self.values[w], self.values[x]
        return self.node(W @ X, [(w, lambda g: np.outer(g, X)), (x, lambda g: W.T @ g)])

    def add(self, x, y):
        return self.node(self.values[x] + self.values[y], [(x, lambda g: g), (y, lambda g: g)])

    def sub(self, x, y):
        return self.node(self.values[x] - self.values[y], [(x, lambda g: g), (y, lambda g: -g)])

    def scale(self, c, x):
        return self.node(c * self.values[x], [(x, lambda g: c * g)])

    def mul(self, x, y):
        X, Y = self.values[x], self.values[y]
        return self.node(X * Y, [(x, lambda g: g * Y), (y, lambda g: g * X)])

    def spike(self, u, theta, h):
        U = self.values[u]
        return self.node((U > theta).astype(np.float64), [(u, lambda g: g * h(U - theta))])

    def constant(self, x):
        """The value of x as a new leaf: no gradient flows back through it (torch's detach)."""
        return self.leaf(self.values[x].copy())

    def dot(self, g, x):
        G = self.values[g]
        return self.node(np.array(G @ self.values[x]), [(x, lambda a: a * G)])

    def backward(self, root):
        adjoint = [None] * len(self.values)
        adjoint[root] = np.ones_like(self.values[root])
        for k in range(root, -1, -1):
            if adjoint[k] is None:
                continue
            for parent, vjp in self.parents[k]:
                contribution = vjp(adjoint[k])
                adjoint[parent] = contribution if adjoint[parent] is None else adjoint[parent] + contribution
        return adjoint


def item_gradients(case, b, h):
    """Forward and backward of batch item b alone: L_b = sum_t g . s_L[b, t]. Items share only the weights, so the
    potentials and deltas of item b are those of the whole batch, and dL/dW_l is the sum of the dL_b/dW_l."""
    widths, steps = case["widths"], case["steps"]
    theta, beta, reset = case["theta"], case["beta"], case["reset"]
    attached = case["reset_gradient"] == "attached"
    tape = Tape()
    weights = [tape.leaf(np.array(w, dtype=np.float64).reshape(widths[l + 1], widths[l]))
               for l, w in enumerate(case["weights"])]
    g = tape.leaf(case["readout"])
    activity = [tape.leaf(case["inputs"][b][t]) for t in range(steps)]
    potentials, spikes = [], []
    for l in range(1, len(widths)):
        u = tape.leaf(np.zeros(widths[l]))
        s = tape.leaf(np.zeros(widths[l]))
        layer_u, layer_s = [], []
        for t in range(steps):
            current = tape.matvec(weights[l - 1], activity[t])
            resetting = s if attached else tape.constant(s)
            if reset == "subtract":
                u = tape.sub(tape.add(tape.scale(beta, u), current), tape.scale(theta, resetting))
            else:
                kept = tape.sub(tape.leaf(np.ones(widths[l])), resetting)
                u = tape.add(tape.mul(tape.scale(beta, u), kept), current)
            s = tape.spike(u, theta, h)
            layer_u.append(u)
            layer_s.append(s)
        potentials.append(layer_u)
        spikes.append(layer_s)
        activity = layer_s
    loss = tape.leaf(0.0)
    for t in range(steps):
        loss = tape.add(loss, tape.dot(g, spikes[-1][t]))
    adjoint = tape.backward(loss)
    zero = lambda k: adjoint[k] if adjoint[k] is not None else np.zeros_like(tape.values[k])
    return [{
        "potentials": [tape.values[u] for u in potentials[l]],
        "spikes": [tape.values[s] for s in spikes[l]],
        "delta": [zero(u) for u in potentials[l]],
        "weight_gradient": zero(weights[l]),
    } for l in range(len(widths) - 1)]


def unbiased_variance(values):
    values = np.asarray(values, dtype=np.float64).ravel()
    return float(values.var(ddof=1)) if values.size > 1 else 0.0


def main() -> None:
    with open(sys.argv[1]) as f:
        case = json.load(f)
    s = case["surrogate"]
    h = surrogate(s["kind"], s["scale"], s["amplitude"])
    items = [item_gradients(case, b, h) for b in range(case["batch"])]
    layers = []
    for l in range(len(case["widths"]) - 1):
        per_item = [item[l] for item in items]
        delta = np.array([item["delta"] for item in per_item])  # [b][t][i]
        item_gradient = np.array([item["weight_gradient"] for item in per_item])  # [b][i][j]
        batch_gradient = item_gradient.sum(axis=0)
        layers.append({
            "potentials": np.array([item["potentials"] for item in per_item]).tolist(),
            "spikes": np.array([item["spikes"] for item in per_item]).tolist(),
            "delta": delta.tolist(),
            "weight_gradient": batch_gradient.tolist(),
            "delta_variance": [unbiased_variance(delta[:, t, :]) for t in range(case["steps"])],
            "delta_variance_pooled": unbiased_variance(delta),
            "item_gradient_variance": unbiased_variance(item_gradient),
            "batch_gradient_variance": unbiased_variance(batch_gradient),
        })
    with open(sys.argv[2], "w") as f:
        json.dump({"layers": layers}, f)


if __name__ == "__main__":
    main()
