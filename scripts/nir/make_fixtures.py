#!/usr/bin/env python3
"""Writes the NIR test fixtures: Tests/Fixtures/nir/*.nir (valid graphs, with `nir.write`), Tests/Fixtures/nir/bad/
(one malformed file per kind of fault, mostly edited with h5py after `nir.write`) and Tests/Fixtures/nir/README.md.

    py=$(scripts/nir/python-env.sh) && "$py" scripts/nir/make_fixtures.py

Deterministic: every random array comes from a NumPy generator seeded with SEED and the fixture's name, and HDF5
files written twice by the same pinned h5py/nir are byte-identical. `--check` writes nothing and exits 1 when a
committed fixture differs from what this script makes.
"""
import argparse
import hashlib
import os
import pathlib
import shutil
import sys
import tempfile
import zlib

import h5py
import nir
import numpy as np

SEED = 17
REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "Fixtures" / "nir"

f32 = np.float32


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


# ---------------------------------------------------------------------------------------------------------------
# Node builders: what the frameworks' exporters write (see the conventions notes cited in the README).


def torch_linear(rng, fan_in: int, fan_out: int, bias: bool = True):
    """torch.nn.Linear's default initialization: weight and bias uniform on +-1/sqrt(fan_in), float32, (out, in)."""
    bound = 1 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(f32)
    if not bias:
        return nir.Linear(weight=weight)
    return nir.Affine(weight=weight, bias=rng.uniform(-bound, bound, fan_out).astype(f32))


def torch_conv2d(rng, c_in, c_out, kernel, stride, padding, input_shape):
    """torch.nn.Conv2d's default initialization (bound 1/sqrt(c_in * kh * kw)), NIR's (out, in, kh, kw) layout."""
    bound = 1 / np.sqrt(c_in * kernel * kernel)
    return nir.Conv2d(
        input_shape=input_shape,
        weight=rng.uniform(-bound, bound, (c_out, c_in, kernel, kernel)).astype(f32),
        stride=stride,
        padding=padding,
        dilation=1,
        groups=1,
        bias=rng.uniform(-bound, bound, c_out).astype(f32),
    )


def snntorch_leaky(n: int, beta: float = 0.9, threshold: float = 1.0):
    """snn.Leaky as snnTorch's export writes it: beta held as a float32 tensor, dt = 1e-4, tau = dt / (1 - beta),
    r = tau / dt, v_leak = 0, v_reset = 0 (whatever the reset mechanism), v_threshold = threshold; all float32,
    computed in float32 as NumPy does on the tensor's array."""
    dt = 1e-4
    beta = np.full(n, beta, dtype=f32)
    v_threshold = np.full(n, threshold, dtype=f32)
    tau = dt / (1 - beta)
    return nir.LIF(tau=tau, r=tau / dt, v_leak=np.zeros_like(beta), v_threshold=v_threshold,
                   v_reset=np.zeros_like(v_threshold))


def snntorch_synaptic(n: int, alpha: float = 0.8, beta: float = 0.9, threshold: float = 1.0):
    """snn.Synaptic as snnTorch's export writes it: tau_syn = dt/(1-alpha), tau_mem = dt/(1-beta), r = tau_mem/dt,
    w_in = tau_syn/dt, v_leak = 0, v_reset = 0, dt = 1e-4; float32."""
    dt = 1e-4
    alpha = np.full(n, alpha, dtype=f32)
    beta = np.full(n, beta, dtype=f32)
    tau_syn = dt / (1 - alpha)
    tau_mem = dt / (1 - beta)
    v_threshold = np.full(n, threshold, dtype=f32)
    return nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem / dt, v_leak=np.zeros_like(beta),
                       v_threshold=v_threshold, v_reset=np.zeros_like(v_threshold), w_in=tau_syn / dt)


def varied_lif(rng, n: int):
    """A LIF layer whose every parameter differs from neuron to neuron (so a reader that mixes up neurons or
    fields shows it): tau in seconds around 1-20 ms, r = tau/dt at dt = 1e-4, v_leak and v_reset near 0."""
    tau = rng.uniform(1e-3, 2e-2, n).astype(f32)
    return nir.LIF(tau=tau, r=(tau / f32(1e-4)).astype(f32), v_leak=rng.uniform(-0.1, 0.1, n).astype(f32),
                   v_threshold=rng.uniform(0.5, 1.5, n).astype(f32), v_reset=rng.uniform(-0.2, 0.0, n).astype(f32))


def sinabs_if(shape):
    """Sinabs' IAF export: IF with r = 1, v_threshold = 1 (and, since nir 1.0.6, v_reset = 0)."""
    return nir.IF(r=np.ones(shape, f32), v_threshold=np.ones(shape, f32), v_reset=np.zeros(shape, f32))


def chain(*named):
    """A graph input -> named[0] -> ... -> output, Input/Output shapes from the first and last node."""
    nodes = dict(named)
    names = list(nodes)
    first, last = nodes[names[0]], nodes[names[-1]]
    if not isinstance(first, nir.Input):
        nodes = {"input": nir.Input(input_type=first.input_type["input"]), **nodes}
    if not isinstance(last, nir.Output):
        nodes["output"] = nir.Output(output_type=np.asarray(last.output_type["output"]))
    names = list(nodes)
    return nodes, [(a, b) for a, b in zip(names, names[1:])]


# ---------------------------------------------------------------------------------------------------------------
# Valid fixtures


def mlp_pytorch_default(name):
    rng = rng_for(name)
    layers = []
    width = 512
    for layer in range(1, 9):
        layers.append((f"fc{layer}", torch_linear(rng, width, width)))
        layers.append((f"lif{layer}", snntorch_leaky(width, beta=0.9, threshold=1.0)))
    nodes, edges = chain(("input", nir.Input(input_type=np.array([width]))), *layers)
    return nir.NIRGraph(nodes=nodes, edges=edges)


def mlp_small(name):
    rng = rng_for(name)
    nodes, edges = chain(("fc1", torch_linear(rng, 12, 16)), ("lif1", varied_lif(rng, 16)),
                         ("fc2", torch_linear(rng, 16, 16)), ("lif2", varied_lif(rng, 16)),
                         ("fc3", torch_linear(rng, 16, 16)), ("lif3", varied_lif(rng, 16)))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def conv_net(name):
    rng = rng_for(name)
    nodes, edges = chain(
        ("input", nir.Input(input_type=np.array([2, 16, 16]))),
        ("conv1", torch_conv2d(rng, 2, 4, 3, stride=(1, 1), padding=(1, 1), input_shape=(16, 16))),  # 4x16x16
        ("if1", sinabs_if((4, 16, 16))),
        ("pool1", nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                padding=np.array([0, 0]))),  # 4x8x8
        ("conv2", torch_conv2d(rng, 4, 8, 3, stride=(2, 2), padding=(1, 1), input_shape=(8, 8))),  # 8x4x4
        ("lif2", snntorch_leaky((8, 4, 4))),
        ("flatten", nir.Flatten(input_type=np.array([8, 4, 4]), start_dim=0, end_dim=-1)),  # 128
        ("fc3", torch_linear(rng, 128, 10)),
        ("lif3", snntorch_leaky(10)),
    )
    return nir.NIRGraph(nodes=nodes, edges=edges)


def conv1d(name):
    rng = rng_for(name)
    bound = 1 / np.sqrt(3 * 5)
    nodes, edges = chain(
        ("input", nir.Input(input_type=np.array([3, 20]))),
        ("conv", nir.Conv1d(input_shape=20, weight=rng.uniform(-bound, bound, (4, 3, 5)).astype(f32), stride=2,
                            padding=2, dilation=1, groups=1,
                            bias=rng.uniform(-bound, bound, 4).astype(f32))),  # 4x10
        ("lif", snntorch_leaky((4, 10))),
        ("flatten", nir.Flatten(input_type=np.array([4, 10]), start_dim=0, end_dim=-1)),
        ("fc", torch_linear(rng, 40, 5)),
    )
    return nir.NIRGraph(nodes=nodes, edges=edges)


def cuba_lif(name):
    rng = rng_for(name)
    n = 6
    norse_style = nir.CubaLIF(  # Norse's LIFCell export: r = 1, w_in = 1, its own v_leak, v_th, v_reset
        tau_syn=np.full(n, 5e-3, f32), tau_mem=np.full(n, 1e-2, f32), r=np.ones(n, f32),
        v_leak=np.full(n, 0.05, f32), v_threshold=rng.uniform(0.8, 1.2, n).astype(f32),
        v_reset=np.full(n, -0.1, f32), w_in=np.ones(n, f32))
    nodes, edges = chain(("fc1", torch_linear(rng, 8, 16)), ("cuba1", snntorch_synaptic(16, alpha=0.8, beta=0.9)),
                         ("fc2", torch_linear(rng, 16, n)), ("cuba2", norse_style))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def skip_dag(name):
    rng = rng_for(name)
    nodes = {
        "input": nir.Input(input_type=np.array([8])),
        "fc1": torch_linear(rng, 8, 16),
        "lif1": snntorch_leaky(16),
        "fc2": torch_linear(rng, 16, 16),
        "skip": torch_linear(rng, 8, 16, bias=False),
        "lif2": snntorch_leaky(16),
        "fc3": torch_linear(rng, 16, 4),
        "lif3": snntorch_leaky(4),
        "output": nir.Output(output_type=np.array([4])),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("input", "skip"),
             ("skip", "lif2"), ("lif2", "fc3"), ("fc3", "lif3"), ("lif3", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def recurrent(name):
    rng = rng_for(name)
    nodes = {
        "input": nir.Input(input_type=np.array([8])),
        "fc_in": torch_linear(rng, 8, 16),
        "lif": snntorch_leaky(16),
        "rec": torch_linear(rng, 16, 16),
        "fc_out": torch_linear(rng, 16, 4),
        "lif_out": snntorch_leaky(4),
        "output": nir.Output(output_type=np.array([4])),
    }
    edges = [("input", "fc_in"), ("fc_in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "fc_out"),
             ("fc_out", "lif_out"), ("lif_out", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def nested_subgraph(name):
    """An RSynaptic layer as snnTorch exports it: a NIRGraph node {input -> lif, lif -> w_rec -> lif, lif -> output}
    inside the network's graph."""
    rng = rng_for(name)
    inner = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([16])), "lif": snntorch_synaptic(16),
               "w_rec": torch_linear(rng, 16, 16, bias=False), "output": nir.Output(output_type=np.array([16]))},
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )
    nodes, edges = chain(("fc1", torch_linear(rng, 8, 16)), ("rsyn", inner), ("fc2", torch_linear(rng, 16, 4)),
                         ("lif2", snntorch_leaky(4)))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def all_node_types(name):
    """Node types the other fixtures lack, in one chain (a structural fixture, not a sensible network)."""
    rng = rng_for(name)
    n = 24

    def positive(low, high):
        return rng.uniform(low, high, n).astype(f32)

    nodes, edges = chain(
        ("input", nir.Input(input_type=np.array([2, 8, 8]))),
        ("avgpool", nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))),
        ("flatten", nir.Flatten(input_type=np.array([2, 4, 4]), start_dim=0, end_dim=-1)),  # 32
        ("linear", torch_linear(rng, 32, n, bias=False)),
        ("scale", nir.Scale(scale=positive(0.5, 2.0))),
        ("delay", nir.Delay(delay=rng.integers(0, 4, n).astype(f32))),
        ("integrator", nir.I(r=positive(0.5, 2.0))),
        ("li", nir.LI(tau=positive(1e-3, 1e-2), r=positive(0.5, 2.0), v_leak=positive(-0.1, 0.1))),
        ("threshold", nir.Threshold(threshold=positive(0.1, 1.0))),
        ("if", nir.IF(r=positive(0.5, 2.0), v_threshold=positive(0.5, 1.5), v_reset=positive(-0.5, 0.0))),
        ("cubali", nir.CubaLI(tau_syn=positive(1e-3, 5e-3), tau_mem=positive(5e-3, 2e-2), r=positive(0.5, 2.0),
                              v_leak=positive(-0.1, 0.1), w_in=positive(0.5, 2.0))),
    )
    return nir.NIRGraph(nodes=nodes, edges=edges)


def mixed_dtypes(name):
    """What older writers produce: float64 neuron parameters next to float32 weights, a float64 Linear weight,
    int32 Input/Output shapes."""
    rng = rng_for(name)
    n = 5
    nodes = {
        "input": nir.Input(input_type=np.array([3], dtype=np.int32)),
        "fc": nir.Affine(weight=rng.uniform(-1, 1, (n, 3)).astype(f32), bias=np.zeros(n, f32)),
        "lif": nir.LIF(tau=rng.uniform(1e-3, 1e-2, n), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)),
        "readout": nir.Linear(weight=rng.uniform(-1, 1, (2, n))),
        "output": nir.Output(output_type=np.array([2], dtype=np.int32)),
    }
    return nir.NIRGraph(nodes=nodes, edges=[("input", "fc"), ("fc", "lif"), ("lif", "readout"),
                                            ("readout", "output")])


VALID = [
    ("mlp_pytorch_default.nir", mlp_pytorch_default,
     "Input [512] → 8 × (Affine 512×512 → LIF [512]) → Output [512]. Weights and biases uniform on ±1/√512 "
     "(torch.nn.Linear's default), float32. LIF as snnTorch exports `Leaky(beta=0.9, threshold=1)`: dt = 1e-4, "
     "tau = dt/(1−β) and r = tau/dt computed in float32 (tau = {tau}, r = {r}), v_leak = 0, v_threshold = 1, "
     "v_reset = 0. Per-neuron arrays of 512 (what snnTorch writes for a per-neuron beta; a scalar beta "
     "gives 0-d arrays, which nir.write cannot gzip). Nodes `input`, `fc1`, `lif1`, …, `fc8`, `lif8`, `output`."),
    ("mlp_small.nir", mlp_small,
     "Input [12] → Affine 16×12 → LIF → Affine 16×16 → LIF → Affine 16×16 → LIF → Output [16], biases, every LIF "
     "parameter (tau, r, v_leak, v_threshold, v_reset) different per neuron. The first weight is not square, so an "
     "(in, out) / (out, in) mix-up shows."),
    ("conv_net.nir", conv_net,
     "Input [2,16,16] → Conv2d 4×2×3×3 (stride 1, padding 1, input_shape 16×16) → IF [4,16,16] → SumPool2d 2×2 "
     "stride 2 → Conv2d 8×4×3×3 (stride 2, padding 1, input_shape 8×8) → LIF [8,4,4] → Flatten (start_dim 0, "
     "end_dim −1, input_type [8,4,4]) → Affine 10×128 → LIF [10] → Output [10]."),
    ("conv1d.nir", conv1d,
     "Input [3,20] → Conv1d 4×3×5 (stride 2, padding 2, input_shape 20: stored as scalars) → LIF [4,10] → Flatten "
     "→ Affine 5×40 → Output [5]."),
    ("cuba_lif.nir", cuba_lif,
     "Input [8] → Affine 16×8 → CubaLIF [16] as snnTorch exports `Synaptic(alpha=0.8, beta=0.9)` (tau_syn, "
     "tau_mem, r = tau_mem/dt, w_in = tau_syn/dt) → Affine 6×16 → CubaLIF [6] as Norse exports a LIFCell (r = 1, "
     "w_in = 1, v_leak 0.05, v_reset −0.1) → Output [6]."),
    ("skip_dag.nir", skip_dag,
     "A DAG with a skip connection: input → fc1 → lif1 → fc2 → lif2 and input → skip (Linear 16×8) → lif2, so "
     "lif2 has two incoming edges whose currents add; then lif2 → fc3 → lif3 → output."),
    ("recurrent.nir", recurrent,
     "A cycle: input → fc_in → lif ⇄ rec (Affine 16×16, lif → rec → lif) and lif → fc_out → lif_out → output."),
    ("nested_subgraph.nir", nested_subgraph,
     "A NIRGraph node inside the graph, as snnTorch exports RSynaptic: input → fc1 → rsyn → fc2 → lif2 → output, "
     "where rsyn = {input → lif (CubaLIF), lif → w_rec (Linear 16×16) → lif, lif → output}."),
    ("all_node_types.nir", all_node_types,
     "Scale, Delay, I, LI, Threshold, IF, CubaLI, Linear and AvgPool2d in one chain: Input [2,8,8] → AvgPool2d → Flatten → Linear 24×32 → Scale → "
     "Delay → I → LI → Threshold → IF → CubaLI → Output [24]."),
    ("mixed_dtypes.nir", mixed_dtypes,
     "float64 LIF parameters and a float64 Linear weight next to a float32 Affine, int32 Input/Output shapes, no "
     "v_reset written by the caller (nir fills zeros of v_threshold's dtype)."),
]


# ---------------------------------------------------------------------------------------------------------------
# Other valid encodings of mlp_small (written with h5py; nir.read gives the same graph as mlp_small.nir)


def write_fixed_length_strings(path, base):
    """mlp_small.nir with every string (version, types, edges) a fixed-length ASCII string and no compression."""
    with h5py.File(base, "r") as src, h5py.File(path, "w") as dst:
        def copy(s, d):
            for key in sorted(s.keys()):
                item = s[key]
                if isinstance(item, h5py.Group):
                    copy(item, d.create_group(key))
                elif h5py.check_string_dtype(item.dtype) is not None:
                    value = item[()]
                    data = np.array(value, dtype="S") if isinstance(value, np.ndarray) else np.bytes_(value)
                    d.create_dataset(key, data=data)
                else:
                    d.create_dataset(key, data=item[()])
        copy(src, dst)


ENCODINGS = [
    ("mlp_small_fixed_strings.nir", write_fixed_length_strings,
     "mlp_small.nir rewritten with h5py: fixed-length ASCII strings (numpy `S`) for version, types and edges, and "
     "uncompressed, contiguous arrays. nir.read gives the same graph as mlp_small.nir."),
]


# ---------------------------------------------------------------------------------------------------------------
# Malformed fixtures: each starts from a valid nir.write file and breaks one thing.


def bad_base(path):
    """The graph the malformed files start from: input [4] → fc (Affine 3×4) → lif [3] → output [3]."""
    rng = rng_for("bad")
    nodes, edges = chain(("fc", nir.Affine(weight=rng.uniform(-1, 1, (3, 4)).astype(f32),
                                           bias=rng.uniform(-1, 1, 3).astype(f32))),
                         ("lif", snntorch_leaky(3)))
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges))


def edit(fn):
    def make(path):
        bad_base(path)
        with h5py.File(path, "r+") as f:
            fn(f)
    return make


def replace(group, key, data, **kwargs):
    del group[key]
    group.create_dataset(key, data=data, **kwargs)


def string(value):
    return np.array(value, dtype=h5py.string_dtype())


def strings(rows):
    return np.array(rows, dtype=h5py.string_dtype())


def write_text(path):
    pathlib.Path(path).write_text("This is not a NIR file.\nJust text.\n")


def write_truncated(path):
    with tempfile.TemporaryDirectory() as tmp:
        whole = pathlib.Path(tmp) / "whole.nir"
        nir.write(whole, mlp_small("mlp_small.nir"))
        data = whole.read_bytes()
    pathlib.Path(path).write_bytes(data[: len(data) // 2])


def write_empty_graph(path):
    nir.write(path, nir.NIRGraph(nodes={}, edges=[]))


def write_lzf(path):
    rng = rng_for("bad")
    nodes, edges = chain(("fc", nir.Affine(weight=rng.uniform(-1, 1, (3, 4)).astype(f32),
                                           bias=rng.uniform(-1, 1, 3).astype(f32))),
                         ("lif", snntorch_leaky(3)))
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges), compression="lzf")


def edges_1d(f):
    flat = [s.decode() for s in f["node/edges"][()].reshape(-1)]
    replace(f["node"], "edges", strings(flat))


def edges_transposed(f):
    rows = [[s.decode() for s in row] for row in f["node/edges"][()]]
    replace(f["node"], "edges", strings(np.array(rows).T.tolist()))


def shape_mismatch(f):
    replace(f["node/nodes/fc"], "weight", np.ones((3, 5), f32), compression="gzip")


def conv_weight_rank(f):
    g = f["node/nodes"].create_group("conv")
    g.create_dataset("type", data=string("Conv2d"))
    g.create_dataset("weight", data=np.ones((2, 1, 3), f32))
    g.create_dataset("bias", data=np.zeros(2, f32))
    for key, value in [("stride", [1, 1]), ("padding", [0, 0]), ("dilation", [1, 1]), ("input_shape", [4, 4])]:
        g.create_dataset(key, data=np.array(value, np.int64))
    g.create_dataset("groups", data=np.int64(1))
    inp = f["node/nodes/input"]
    replace(inp, "shape", np.array([1, 4, 4], np.int64))
    replace(f["node/nodes/output"], "shape", np.array([2, 2, 2], np.int64))  # what nir infers from the kernel 3
    replace(f["node"], "edges", strings([["input", "conv"], ["conv", "output"]]))
    del f["node/nodes/fc"], f["node/nodes/lif"]


def nan_weight(f):
    w = f["node/nodes/fc/weight"][()]
    w[1, 2] = np.nan
    replace(f["node/nodes/fc"], "weight", w, compression="gzip")


def inf_weight(f):
    w = f["node/nodes/fc/weight"][()]
    w[0, 3] = np.inf
    w[2, 0] = -np.inf
    replace(f["node/nodes/fc"], "weight", w, compression="gzip")


def nonpositive_tau(f):
    tau = f["node/nodes/lif/tau"][()]
    tau[1] = 0.0
    tau[2] = -1e-3
    replace(f["node/nodes/lif"], "tau", tau, compression="gzip")


# Outside what nir.read takes, but a file snn-theory reads and writes back with the extra field kept.
KEPT = [
    ("unknown_field.nir", edit(lambda f: f["node/nodes/lif"].create_dataset("beta", data=np.full(3, 0.9, f32))),
     "The LIF `lif` has an extra dataset `beta`, which no nir version writes: snn-theory keeps it and writes it back."),
]

BAD = [
    ("not_hdf5.nir", write_text, "A text file."),
    ("truncated.nir", write_truncated, "mlp_small.nir cut to its first half."),
    ("missing_dataset.nir", edit(lambda f: f["node/nodes/fc"].__delitem__("weight")),
     "The Affine `fc` has no `weight`."),
    ("mistyped_dataset.nir", edit(lambda f: replace(f["node/nodes/lif"], "tau", string("0.001"))),
     "The LIF `lif`'s `tau` is the string \"0.001\"."),
    ("mistyped_weight.nir", edit(lambda f: replace(f["node/nodes/fc"], "weight", strings([["1", "2", "3", "4"]] * 3))),
     "The Affine `fc`'s `weight` is a 3×4 array of strings."),
    ("wrong_weight_shape.nir", edit(lambda f: replace(f["node/nodes/fc"], "weight", np.ones(12, f32))),
     "The Affine `fc`'s `weight` is 1-D (12 values)."),
    ("shape_mismatch.nir", edit(shape_mismatch),
     "The Affine `fc`'s weight is 3×5 but its input (Input [4]) has 4 values."),
    ("conv_weight_rank.nir", edit(conv_weight_rank),
     "input [1,4,4] → Conv2d `conv` whose `weight` has rank 3 (2×1×3) → output [2,2,2] (the shape nir infers taking "
     "the kernel as 3×3)."),
    ("param_shape_mismatch.nir", edit(lambda f: replace(f["node/nodes/lif"], "v_threshold", np.ones(4, f32))),
     "The LIF `lif` has 3 values of tau, r, v_leak, v_reset but 4 of v_threshold."),
    ("unknown_edge_node.nir", edit(lambda f: replace(f["node"], "edges", strings(
        [["input", "fc"], ["fc", "lif"], ["lif", "output"], ["lif", "readout"]]))),
     "An edge lif → readout; there is no node `readout`."),
    ("unknown_node_type.nir", edit(lambda f: replace(f["node/nodes/fc"], "type", string("Dense"))),
     "The node `fc` has type \"Dense\"."),
    ("missing_type.nir", edit(lambda f: f["node/nodes/lif"].__delitem__("type")),
     "The node `lif` has no `type` dataset."),
    ("missing_node_group.nir", edit(lambda f: f.__delitem__("node")),
     "The root has `version` but no `node` group."),
    ("missing_input_shape.nir", edit(lambda f: f["node/nodes/input"].__delitem__("shape")),
     "The Input node has no `shape`."),
    ("edges_1d.nir", edit(edges_1d), "`edges` is a 1-D array of 6 strings instead of 3×2."),
    ("edges_transposed.nir", edit(edges_transposed), "`edges` is 2×3 (sources in row 0, targets in row 1)."),
    ("duplicate_edge.nir", edit(lambda f: replace(f["node"], "edges", strings(
        [["input", "fc"], ["fc", "lif"], ["fc", "lif"], ["lif", "output"]]))),
     "The edge fc → lif appears twice."),
    ("nan_weight.nir", edit(nan_weight), "The Affine `fc`'s weight[1,2] is NaN."),
    ("inf_weight.nir", edit(inf_weight), "The Affine `fc`'s weight[0,3] is +inf and weight[2,0] is −inf."),
    ("nonpositive_tau.nir", edit(nonpositive_tau), "The LIF `lif`'s tau is 0 for neuron 1 and −0.001 for neuron 2."),
    ("empty_graph.nir", write_empty_graph,
     "A graph with no nodes and no edges (nir.write stores the empty edge list as a (0,) float64 dataset)."),
    ("lzf_compressed.nir", write_lzf,
     "A valid graph written with `nir.write(..., compression=\"lzf\")`: LZF is an h5py plugin, absent from the "
     "system HDF5 library."),
]


# ---------------------------------------------------------------------------------------------------------------


def nir_read_outcome(path: pathlib.Path) -> str:
    """What nir.read does with the file, in one line without the path."""
    try:
        graph = nir.read(path)
    except Exception as error:  # noqa: BLE001 - every failure is the point here
        message = str(error).splitlines()[0] if str(error) else ""
        message = message.replace(str(path), path.name)
        if len(message) > 140:
            message = message[:137] + "..."
        return f"fails: `{type(error).__name__}: {message}`" if message else f"fails: `{type(error).__name__}`"
    return f"reads ({len(graph.nodes)} nodes, {len(graph.edges)} edges)"


def human_size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def lif_constants():
    lif = snntorch_leaky(1)
    return {"tau": f"{float(lif.tau[0]):.9g}", "r": f"{float(lif.r[0]):.9g}"}


def readme(rows_valid, rows_bad, rows_kept) -> str:
    lines = [
        "# NIR fixtures",
        "",
        f"Made by `scripts/nir/make_fixtures.py` with nir=={nir.__version__}, numpy=={np.__version__}, "
        f"h5py=={h5py.__version__} (the pins of `scripts/nir/requirements.txt`), NumPy seed {SEED} with the file's "
        "name. Running it again rewrites byte-identical files; `make_fixtures.py --check` verifies that. Do not edit "
        "these files by hand: change the script and run it.",
        "",
        "    py=$(scripts/nir/python-env.sh) && \"$py\" scripts/nir/make_fixtures.py",
        "",
        "Valid files are written by `nir.write` (gzip level 4 on every array field, as nir writes by default; "
        "tuples and ints such as Conv `stride` or `groups` stay uncompressed). Shapes are NIR's, without batch: "
        "Affine/Linear weights are (out, in), Conv weights (out, in, kh, kw). Neuron time constants are in seconds "
        "(the snnTorch/Norse convention); the file stores no dt.",
        "",
        "## Valid graphs",
        "",
        "| file | size | nir.read | graph |",
        "|---|---|---|---|",
    ]
    for name, size, outcome, text in rows_valid:
        lines.append(f"| `{name}` | {human_size(size)} | {outcome} | {text} |")
    lines += [
        "",
        "`scripts/nir/describe.py FILE` prints what nir.read makes of any of them (nodes, parameters, edges, inferred "
        "shapes); `scripts/nir/same_graph.py A B` compares two files as nir.read sees them.",
        "",
        "## Malformed files (`bad/`)",
        "",
        "Each breaks one thing in a small valid graph (input [4] → fc: Affine 3×4 → lif: LIF [3] → output [3], "
        "written by nir.write) by editing it with h5py, since nir.write refuses most of these. The last column is "
        "what nir.read (the pinned version) does with it: some files nir.read accepts are still ones a simulator "
        "must refuse (NaN or infinite weights, a non-positive tau, an empty graph) or cannot decode without "
        "h5py's plugins (LZF).",
        "",
        "| file | size | what is wrong | nir.read |",
        "|---|---|---|---|",
    ]
    for name, size, outcome, text in rows_bad:
        lines.append(f"| `bad/{name}` | {human_size(size)} | {text} | {outcome} |")
    lines += ["", "## Kept fields (`kept/`)", "", "| file | size | what it holds | nir.read |", "|---|---|---|---|"]
    for name, size, outcome, text in rows_kept:
        lines.append(f"| `kept/{name}` | {human_size(size)} | {text} | {outcome} |")
    lines.append("")
    return "\n".join(lines)


def build(out: pathlib.Path):
    (out / "bad").mkdir(parents=True, exist_ok=True)
    (out / "kept").mkdir(parents=True, exist_ok=True)
    rows_valid, rows_bad, rows_kept = [], [], []
    constants = lif_constants()
    for name, make, text in VALID:
        path = out / name
        nir.write(path, make(name))
        rows_valid.append((name, path.stat().st_size, nir_read_outcome(path), text.replace("{tau}", constants["tau"]).replace("{r}", constants["r"])))
    for name, make, text in ENCODINGS:
        path = out / name
        make(path, out / "mlp_small.nir")
        rows_valid.append((name, path.stat().st_size, nir_read_outcome(path), text))
    for name, make, text in BAD:
        path = out / "bad" / name
        if path.exists():
            path.unlink()
        make(path)
        rows_bad.append((name, path.stat().st_size, nir_read_outcome(path), text))
    for name, make, text in KEPT:
        path = out / "kept" / name
        if path.exists():
            path.unlink()
        make(path)
        rows_kept.append((name, path.stat().st_size, nir_read_outcome(path), text))
    (out / "README.md").write_text(readme(rows_valid, rows_bad, rows_kept))


def digest_tree(root: pathlib.Path):
    """The script's files by path and SHA-256 (`real/` holds files other projects wrote, not made here)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).parts[0] != "real"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write into a temporary directory and compare with the committed fixtures")
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.check:
        build(args.out)
        for rel, _ in digest_tree(args.out).items():
            print(f"{rel}  {human_size((args.out / rel).stat().st_size)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(pathlib.Path(tmp))
        made, committed = digest_tree(pathlib.Path(tmp)), digest_tree(args.out)
    differing = sorted(k for k in made.keys() | committed.keys() if made.get(k) != committed.get(k))
    for rel in differing:
        state = "missing" if rel not in committed else "extra" if rel not in made else "differs"
        print(f"{rel}: {state}", file=sys.stderr)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
