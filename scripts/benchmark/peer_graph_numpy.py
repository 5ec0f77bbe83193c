#!/usr/bin/env python3
"""NumPy peer of GraphSimulation: the forward pass of a NIR graph on a batch, for the speed comparison.

Reads the .nir file with h5py, orders the nodes along the edges (a graph without cycles), and runs T steps on B
samples the way Sources/SNNSimulator/GraphSimulation.swift does, in float32: at each step every node in order on the
sum of its inputs; Affine/Linear as one matrix product over the batch; Conv1d/Conv2d as im2col (a strided window
view of the zero-padded input, copied to rows of B x positions by C_g x kh x kw) times the group's weights
transposed, then the bias; SumPool2d/AvgPool2d as window sums (the average over the full window); Flatten, Scale,
Output; IF and LIF neurons as the Sinabs importer runs them (the sinabs convention of Sources/NIR/
NIRDiscretization.swift: leak exp(-1 / tau) or 1, gain 1, bias 0, floor(v / threshold) spikes when v >= threshold,
reset by subtracting threshold x spikes; IF membranes then clamped at -threshold, Sinabs' min_v_mem). Input: Bernoulli(P) spikes per element and step from
numpy.random.default_rng(seed), or a raw float32 file of shape [B, T, input shape] (--input).

Per neuron node and step it keeps what GraphStatistics keeps: per sample the membrane mean, centred sum of squares
and spike count (float64), per neuron its spikes at step 1 and over all steps, and the neurons silent at that step.
The time covers preparing the weights and the T steps, not reading the file. Prints one JSON object: seconds, and
per neuron node its mean rate at every step.
"""
import argparse
import json
import math
import time

import h5py
import numpy as np
from numpy.lib.stride_tricks import as_strided


def read_graph(path):
    """Nodes (type and parameters) and edges as the file holds them."""
    with h5py.File(path, "r") as f:
        group = f["node"]
        nodes = {}
        for name, node in group["nodes"].items():
            kind = node["type"][()]
            nodes[name] = (kind.decode() if isinstance(kind, bytes) else str(kind),
                           {key: node[key][()] for key in node if key != "type"})
        edges = [tuple(e.decode() if isinstance(e, bytes) else str(e) for e in edge) for edge in group["edges"][()]]
    return nodes, edges


def order(nodes, edges):
    """Kahn's topological order, and each node's inputs in edge order."""
    inputs = {name: [] for name in nodes}
    for source, target in edges:
        inputs[target].append(source)
    remaining = {name: len(sources) for name, sources in inputs.items()}
    ready = sorted(name for name, count in remaining.items() if count == 0)
    result = []
    while ready:
        name = ready.pop(0)
        result.append(name)
        for source, target in edges:
            if source == name:
                remaining[target] -= 1
                if remaining[target] == 0:
                    ready.append(target)
    if len(result) != len(nodes):
        raise SystemExit("the peer runs graphs without cycles only")
    return result, inputs


def pair(value, rank):
    values = np.atleast_1d(value).astype(int).tolist()
    return values * rank if len(values) == 1 else values


def convolution(w, bias, stride, padding, dilation, groups):
    """x (B, C, H, W) -> (B, O, OH, OW) by im2col and one matrix product per group."""
    out_channels, per_group, kh, kw = w.shape
    per_group_out = out_channels // groups
    weights = [np.ascontiguousarray(w[g * per_group_out:(g + 1) * per_group_out].reshape(per_group_out, -1).T)
               for g in range(groups)]
    (sy, sx), (py, px), (dy, dx) = stride, padding, dilation

    def run(x):
        b, c, h, width = x.shape
        if py or px:
            x = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
        oh = (h + 2 * py - dy * (kh - 1) - 1) // sy + 1
        ow = (width + 2 * px - dx * (kw - 1) - 1) // sx + 1
        s = x.strides
        windows = as_strided(x, shape=(b, oh, ow, c, kh, kw),
                             strides=(s[0], s[2] * sy, s[3] * sx, s[1], s[2] * dy, s[3] * dx), writeable=False)
        out = np.empty((b, oh, ow, out_channels), dtype=np.float32)
        for g in range(groups):
            rows = windows[:, :, :, g * per_group:(g + 1) * per_group].reshape(b * oh * ow, -1)
            out[..., g * per_group_out:(g + 1) * per_group_out] = (rows @ weights[g]).reshape(b, oh, ow, -1)
        if bias is not None:
            out += bias
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
    return run


def dense(x, w_t, bias):
    y = x @ w_t
    if bias is not None:
        y += bias
    return y


def pooling(kernel, stride, padding, average):
    (kh, kw), (sy, sx), (py, px) = kernel, stride, padding

    def run(x):
        b, c, h, w = x.shape
        if py or px:
            x = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
        oh, ow = (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1
        s = x.strides
        windows = as_strided(x, shape=(b, c, oh, ow, kh, kw), strides=(s[0], s[1], s[2] * sy, s[3] * sx, s[2], s[3]),
                             writeable=False)
        total = windows.sum(axis=(4, 5), dtype=np.float32)
        return total / np.float32(kh * kw) if average else total
    return run


class Neurons:
    """IF/LIF as Sinabs imports them, with the statistics GraphStatistics keeps."""

    def __init__(self, kind, p, batch, steps):
        threshold = np.asarray(p["v_threshold"], dtype=np.float32).reshape(-1)
        n = threshold.size
        tau = p.get("tau")
        self.leak = (np.exp(-1 / np.asarray(tau, dtype=np.float64)).astype(np.float32).reshape(-1)
                     if kind == "LIF" else np.ones(n, dtype=np.float32))
        self.threshold = threshold
        # sinabs/nir.py imports IF as IAFSqueeze(min_v_mem=-v_threshold), clamped after the reset; LIF has none.
        self.lower = -threshold if kind == "IF" else None
        self.v = np.zeros((batch, n), dtype=np.float32)
        self.means = np.zeros((steps, batch))
        self.squares = np.zeros((steps, batch))
        self.spikes = np.zeros((steps, batch))
        self.silent = np.zeros(steps, dtype=int)
        self.first = np.zeros(n)
        self.counts = np.zeros(n)

    def __call__(self, x, t):
        v = self.v
        v *= self.leak
        v += x.reshape(v.shape)
        u = v.astype(np.float64)
        mean = u.mean(axis=1)
        self.means[t] = mean
        self.squares[t] = ((u - mean[:, None]) ** 2).sum(axis=1)
        fired = np.where(v >= self.threshold, np.floor(v / self.threshold), np.float32(0)).astype(np.float32)
        v -= self.threshold * fired
        if self.lower is not None:
            np.maximum(v, self.lower, out=v)
        per_neuron = fired.sum(axis=0, dtype=np.float64)
        self.spikes[t] = fired.sum(axis=1, dtype=np.float64)
        self.silent[t] = int((per_neuron == 0).sum())
        if t == 0:
            self.first[:] = per_neuron
        self.counts += per_neuron
        return fired.reshape(x.shape)


def simulate(path, batch, steps, rate, seed, input_file=None):
    nodes, edges = read_graph(path)
    names, inputs = order(nodes, edges)
    start = time.perf_counter()
    operations, neurons = {}, []
    for name in names:
        kind, p = nodes[name]
        if kind in ("Conv2d", "Conv1d"):
            w = np.asarray(p["weight"], dtype=np.float32)
            rank = w.ndim - 2
            bias = np.asarray(p["bias"], dtype=np.float32) if "bias" in p else None
            conv = convolution(w if rank == 2 else w[:, :, None, :], bias,
                               *[[1] * (2 - rank) + pair(p[key], rank) for key in ("stride", "padding", "dilation")],
                               int(p.get("groups", 1)))
            operations[name] = (lambda x, t, conv=conv: conv(x)) if rank == 2 else \
                (lambda x, t, conv=conv: conv(x[:, :, None, :])[:, :, 0, :])
        elif kind in ("SumPool2d", "AvgPool2d"):
            pool = pooling(pair(p["kernel_size"], 2), pair(p["stride"], 2), pair(p["padding"], 2), kind == "AvgPool2d")
            operations[name] = lambda x, t, pool=pool: pool(x)
        elif kind in ("Affine", "Linear"):
            w_t = np.ascontiguousarray(np.asarray(p["weight"], dtype=np.float32).T)
            bias = np.asarray(p["bias"], dtype=np.float32) if kind == "Affine" else None
            operations[name] = lambda x, t, w=w_t, b=bias: dense(x.reshape(x.shape[0], -1), w, b)
        elif kind in ("IF", "LIF"):
            layer = Neurons(kind, p, batch, steps)
            neurons.append((name, layer))
            operations[name] = layer
        elif kind == "Scale":
            scale = np.asarray(p["scale"], dtype=np.float32)
            operations[name] = lambda x, t, s=scale: x * s.reshape(x.shape[1:]) if s.size > 1 else x * s
        elif kind == "Flatten":
            operations[name] = lambda x, t: x.reshape(x.shape[0], -1)
        elif kind == "Output":
            operations[name] = lambda x, t: x
        elif kind != "Input":
            raise SystemExit(f"the peer does not run {kind} nodes ({name})")
    input_names = [name for name in names if nodes[name][0] == "Input"]
    shape = tuple(int(v) for v in np.atleast_1d(nodes[input_names[0]][1]["shape"]))
    given = None
    if input_file:
        given = np.fromfile(input_file, dtype=np.float32).reshape((batch, steps) + shape)
    rng = np.random.default_rng(seed)
    threshold = np.float32(rate)
    for t in range(steps):
        outputs = {}
        for name in names:
            if name in input_names:
                outputs[name] = given[:, t] if given is not None else \
                    (rng.random((batch,) + shape, dtype=np.float32) < threshold).astype(np.float32)
                continue
            sources = [outputs[source] for source in inputs[name]]
            x = sources[0]
            for other in sources[1:]:
                x = x + other
            outputs[name] = operations[name](x, t)
    seconds = time.perf_counter() - start
    rates = {name: (layer.spikes / layer.v.shape[1]).mean(axis=1).tolist() for name, layer in neurons}
    return seconds, rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.2, help="Bernoulli input rate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--input", help="a raw float32 file of shape [batch, steps, input shape] instead of draws")
    parser.add_argument("--save-input", help="write the Bernoulli input drawn for these settings to this raw file")
    args = parser.parse_args()
    if args.save_input:
        nodes, edges = read_graph(args.file)
        names, _ = order(nodes, edges)
        first = next(name for name in names if nodes[name][0] == "Input")
        shape = tuple(int(v) for v in np.atleast_1d(nodes[first][1]["shape"]))
        rng = np.random.default_rng(args.seed)
        draws = np.stack([(rng.random((args.batch,) + shape, dtype=np.float32) < np.float32(args.rate))
                          for _ in range(args.steps)], axis=1)
        draws.astype(np.float32).tofile(args.save_input)
        return
    seconds, rates = simulate(args.file, args.batch, args.steps, args.rate, args.seed, args.input)
    print(json.dumps({"implementation": "numpy", "seconds": seconds, "rates": rates}))


if __name__ == "__main__":
    main()
