#!/usr/bin/env python3
"""Checks that parameters of a NIR file, as `nir.read` gives them, are exactly the arrays of .npy files.

    py=$(scripts/nir/python-env.sh)
    "$py" scripts/nir/check_weights.py net.nir fc1 weights/paper_layer1.npy [fc2 weights/paper_layer2.npy ...]
    "$py" scripts/nir/check_weights.py net.nir --parameter bias fc1 biases/layer1.npy

Each NODE (outer/inner inside a nested graph) must have the parameter (default: weight) with the .npy array's
dtype, shape (NIR's Affine/Linear weight is (out, in), as torch.nn.Linear and `snn-theory init --npy` write it) and
bit-identical values; --any-dtype compares values only (after converting both to float64 or int64). One line per
pair, "ok" or what differs; exit 0 when every pair agrees, 1 otherwise, 2 when a file cannot be read.
"""
import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nirdesc  # noqa: E402
import same_graph  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=pathlib.Path)
    parser.add_argument("pairs", nargs="+", metavar="NODE EXPECTED.npy")
    parser.add_argument("--parameter", default="weight", help="the node's parameter to check (default: weight)")
    parser.add_argument("--any-dtype", action="store_true", help="compare values only, not dtypes")
    parser.add_argument("--no-type-check", action="store_true", help="nir.read(..., type_check=False)")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give NODE EXPECTED.npy pairs")
    try:
        graph = nirdesc.read(args.file, type_check=not args.no_type_check)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        print(f"{args.file.name}: nir.read fails: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    failed = False
    for node_path, npy in zip(args.pairs[::2], args.pairs[1::2]):
        where = f"{node_path}.{args.parameter} vs {pathlib.Path(npy).name}"
        try:
            expected = np.load(npy, allow_pickle=False)
        except Exception as error:  # noqa: BLE001
            print(f"{where}: cannot load: {type(error).__name__}: {error}", file=sys.stderr)
            return 2
        node = nirdesc.find(graph, node_path)
        if node is None:
            names = ", ".join(path for path, _ in nirdesc.walk(graph))
            print(f"{where}: no node {node_path} (nodes: {names})")
            failed = True
            continue
        fields = nirdesc.parameters(node)
        if args.parameter not in fields:
            print(f"{where}: {type(node).__name__} has no {args.parameter} (has {', '.join(sorted(fields))})")
            failed = True
            continue
        actual = np.asarray(fields[args.parameter])
        if args.any_dtype:
            kind = np.float64 if "f" in (actual.dtype.kind, expected.dtype.kind) else np.int64
            actual, expected = actual.astype(kind), expected.astype(kind)
        differences = []
        same_graph.compare_arrays(where, actual, expected, differences)
        for line in differences:
            print(line)
        if differences:
            failed = True
        else:
            print(f"{where}: ok ({actual.dtype}, {list(actual.shape)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
