#!/usr/bin/env python3
"""Exits 0 when `nir.read` makes the same graph of two NIR files, else 1 with one line per difference on stdout.

    py=$(scripts/nir/python-env.sh) && "$py" scripts/nir/same_graph.py A.nir B.nir [--ignore-metadata]

Same graph: the same node names (nested graphs' nodes as outer/inner) with the same types; the same edges as sets,
per graph; every parameter of the same kind, dtype and shape with bit-identical values (so -0.0 differs from 0.0,
and a NaN equals only the same NaN); the same inferred input_type/output_type; the same metadata (unless
--ignore-metadata). Both files go through nir.read, so only what nir.read itself normalises may differ: edge order,
string flavours (fixed or variable length, ASCII or UTF-8), compression and chunking, a missing v_reset (zeros
of v_threshold's dtype) and a missing or scalar w_in (broadcast to v_threshold's shape), the Input/Output nodes its
type inference adds. The files' version strings are not compared. Exit 2 when a file cannot be read.
"""
import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nir  # noqa: E402
import nirdesc  # noqa: E402


def show(x):
    return repr(x.item()) if isinstance(x, np.generic) else repr(x)


def compare_arrays(where, a, b, out):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        out.append(f"{where}: dtype {a.dtype} != {b.dtype}")
    if a.shape != b.shape:
        out.append(f"{where}: shape {list(a.shape)} != {list(b.shape)}")
        return
    if a.dtype != b.dtype:
        if a.dtype.kind in "fiub" and b.dtype.kind in "fiub" and not np.array_equal(a, b, equal_nan=True):
            out.append(f"{where}: values differ as well")
        return
    if a.dtype.kind in "OSU":  # strings (bytes objects from h5py)
        if a.tolist() != b.tolist():
            out.append(f"{where}: values differ: {str(a.tolist())[:60]} != {str(b.tolist())[:60]}")
        return
    if nirdesc.raw_bytes(a) == nirdesc.raw_bytes(b):
        return
    if a.dtype.kind in "fc":
        differ = a.view(f"u{a.dtype.itemsize}") != b.view(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" \
            else ~((a == b) & (np.signbit(a.real) == np.signbit(b.real)))
    else:
        differ = a != b
    differ = np.atleast_1d(differ)
    count = int(np.count_nonzero(differ))
    first = tuple(int(i) for i in np.argwhere(differ)[0]) if count else ()
    x, y = (a[first], b[first]) if a.ndim else (a[()], b[()])
    detail = f"{show(x)} != {show(y)}"
    if repr(x) == repr(y) and a.dtype.kind == "f":
        bits = f"u{a.dtype.itemsize}"
        detail += f" (bits {np.asarray(x).view(bits).item():x} != {np.asarray(y).view(bits).item():x})"
    at = f" at {list(first)}" if a.ndim else ""
    out.append(f"{where}: {count} of {a.size} values differ, first{at}: {detail}")


def compare_values(where, a, b, out):
    ka, kb = nirdesc.kind_of(a), nirdesc.kind_of(b)
    if ka != kb:
        out.append(f"{where}: {ka} {show(a)[:60]} != {kb} {show(b)[:60]}")
        return
    if ka in ("array", "python"):
        if ka == "python" and type(a) is not type(b):
            out.append(f"{where}: Python {type(a).__name__} != {type(b).__name__}")
        compare_arrays(where, a, b, out)
    elif ka == "string" and a != b:
        out.append(f"{where}: {a!r} != {b!r}")
    elif ka == "other" and repr(a) != repr(b):
        out.append(f"{where}: {a!r} != {b!r}")


def compare_dicts(where, a, b, out, what):
    for key in sorted(a.keys() - b.keys()):
        out.append(f"{where}: {what} {key} only in A")
    for key in sorted(b.keys() - a.keys()):
        out.append(f"{where}: {what} {key} only in B")
    for key in sorted(a.keys() & b.keys()):
        compare_values(f"{where}: {what} {key}", a[key], b[key], out)


def compare_graphs(a, b, ignore_metadata, prefix=""):
    out = []
    here = f"graph {prefix.rstrip('/')}" if prefix else "graph"
    for name in sorted(a.nodes.keys() - b.nodes.keys()):
        out.append(f"node {prefix}{name} ({type(a.nodes[name]).__name__}): only in A")
    for name in sorted(b.nodes.keys() - a.nodes.keys()):
        out.append(f"node {prefix}{name} ({type(b.nodes[name]).__name__}): only in B")
    edges_a, edges_b = set(map(tuple, a.edges)), set(map(tuple, b.edges))
    for src, dst in sorted(edges_a - edges_b):
        out.append(f"{here}: edge {src} -> {dst} only in A")
    for src, dst in sorted(edges_b - edges_a):
        out.append(f"{here}: edge {src} -> {dst} only in B")
    if len(a.edges) != len(edges_a) or len(b.edges) != len(edges_b):
        out.append(f"{here}: repeated edges ({len(a.edges)} rows, {len(edges_a)} distinct in A; "
                   f"{len(b.edges)} rows, {len(edges_b)} distinct in B)")
    if not ignore_metadata:
        compare_dicts(here, a.metadata or {}, b.metadata or {}, out, "metadata")
    for name in sorted(a.nodes.keys() & b.nodes.keys()):
        na, nb = a.nodes[name], b.nodes[name]
        where = f"node {prefix}{name}"
        if type(na) is not type(nb):
            out.append(f"{where}: type {type(na).__name__} != {type(nb).__name__}")
            continue
        where += f" ({type(na).__name__})"
        if isinstance(na, nir.NIRGraph):
            out += compare_graphs(na, nb, ignore_metadata, prefix + name + "/")
        else:
            compare_dicts(where, nirdesc.parameters(na), nirdesc.parameters(nb), out, "parameter")
            if not ignore_metadata:
                compare_dicts(where, na.metadata or {}, nb.metadata or {}, out, "metadata")
        for attr in ("input_type", "output_type"):
            ta, tb = nirdesc.describe_type(getattr(na, attr)), nirdesc.describe_type(getattr(nb, attr))
            if ta != tb:
                out.append(f"{where}: inferred {attr} {ta} != {tb}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=pathlib.Path)
    parser.add_argument("b", type=pathlib.Path)
    parser.add_argument("--ignore-metadata", action="store_true", help="do not compare graph or node metadata")
    parser.add_argument("--no-type-check", action="store_true", help="nir.read(..., type_check=False)")
    args = parser.parse_args()
    graphs = []
    for label, path in (("A", args.a), ("B", args.b)):
        try:
            graphs.append(nirdesc.read(path, type_check=not args.no_type_check))
        except Exception as error:  # noqa: BLE001 - reported, not raised
            message = str(error).splitlines()[0] if str(error) else ""
            print(f"{label} ({path.name}): nir.read fails: {type(error).__name__}: {message}", file=sys.stderr)
            return 2
    differences = compare_graphs(*graphs, ignore_metadata=args.ignore_metadata)
    for line in differences:
        print(line)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
