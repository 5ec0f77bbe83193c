#!/usr/bin/env python3
"""Tests the NIR scripts against the fixtures (and against the real files in Tests/Fixtures/nir/real/):

- make_fixtures.py --check: the committed fixtures are what the script makes;
- describe.py on every fixture: exit 0 and valid, reproducible JSON for the files nir.read reads, exit 1 with an
  "error" for the ones it refuses (as Tests/Fixtures/nir/README.md says);
- same_graph.py: every file against itself and against nir.write(nir.read(file)) (0); against copies edited with
  h5py, 1 for a real difference (one ulp, dtype, -0.0, a node renamed, an extra edge, metadata) and 0 for what nir.read
  normalises (edge order, no compression, fixed-length strings, a missing all-zero v_reset);
- check_weights.py against .npy files exact (0), off by one ulp, of another dtype, or naming a missing node (1).

    py=$(scripts/nir/python-env.sh) && "$py" scripts/nir/selftest.py

Ends with the line "N passed, N failed"; exit 1 when any failed.
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import h5py
import nir
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO / "Tests" / "Fixtures" / "nir"
SHARED = REPO / "Tests" / "Fixtures" / "nir" / "real"

results = {"passed": 0, "failed": 0}


def run(script, *args):
    p = subprocess.run([sys.executable, str(HERE / script), *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""))


def valid_files():
    files = sorted(FIXTURES.glob("*.nir"))
    files += sorted(SHARED.glob("*.nir")) if SHARED.is_dir() else []
    return files


def readable(path):
    try:
        nir.read(path)
        return True
    except Exception:  # noqa: BLE001
        return False


def edited_copy(tmp, source, name, fn):
    path = tmp / name
    shutil.copy(source, path)
    with h5py.File(path, "r+") as f:
        fn(f)
    return path


def replace(group, key, data, **kwargs):
    del group[key]
    group.create_dataset(key, data=data, **kwargs)


def main():
    code, out, err = run("make_fixtures.py", "--check")
    check("make_fixtures.py --check", code == 0, out + err)

    for path in valid_files() + sorted((FIXTURES / "bad").glob("*.nir")):
        code, out, _ = run("describe.py", path)
        again = run("describe.py", path)[1]
        try:
            parsed = json.loads(out)
        except ValueError as error:
            check(f"describe {path.name}", False, f"not JSON: {error}")
            continue
        expected = 0 if readable(path) else 1
        ok = code == expected and (("error" in parsed) == (expected == 1)) and out == again
        check(f"describe {path.name} (exit {expected})", ok, f"exit {code}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for path in valid_files():
            code, out, _ = run("same_graph.py", path, path)
            check(f"same_graph {path.name} itself", code == 0 and out == "", out)
            round_trip = tmp / f"round_trip_{path.name}"
            nir.write(round_trip, nir.read(path))
            code, out, _ = run("same_graph.py", path, round_trip)
            check(f"same_graph {path.name} vs nir.write(nir.read(it))", code == 0 and out == "", out)

        small = FIXTURES / "mlp_small.nir"

        def nudge(f):
            w = f["node/nodes/fc2/weight"][()]
            w[3, 5] = np.nextafter(w[3, 5], np.float32(np.inf))
            replace(f["node/nodes/fc2"], "weight", w, compression="gzip")

        def negative_zero(f):
            v = f["node/nodes/lif1/v_leak"][()]
            v[0] = -0.0 if v[0] == 0 else v[0]
            v[4] = 0.0
            w = f["node/nodes/fc1/bias"][()]
            w[0] = -0.0
            replace(f["node/nodes/fc1"], "bias", w)

        def as_float64(f):
            replace(f["node/nodes/fc1"], "weight", f["node/nodes/fc1/weight"][()].astype(np.float64))

        def rename(f):
            f["node/nodes"].move("lif3", "lif_out")
            edges = [[s.decode().replace("lif3", "lif_out") for s in row] for row in f["node/edges"][()]]
            replace(f["node"], "edges", np.array(edges, dtype=h5py.string_dtype()))

        def extra_edge(f):
            edges = [[s.decode() for s in row] for row in f["node/edges"][()]] + [["lif3", "fc2"]]
            replace(f["node"], "edges", np.array(edges, dtype=h5py.string_dtype()))

        def metadata(f):
            f["node/nodes/fc1"].create_group("metadata").create_dataset("origin", data="edited",
                                                                        dtype=h5py.string_dtype())

        def shuffle_edges(f):
            edges = [[s.decode() for s in row] for row in f["node/edges"][()]][::-1]
            replace(f["node"], "edges", np.array(edges, dtype=h5py.string_dtype()))

        def uncompressed(f):
            for name in list(f["node/nodes"]):
                for key in list(f["node/nodes"][name]):
                    item = f["node/nodes"][name][key]
                    if item.compression:
                        replace(f["node/nodes"][name], key, item[()])

        expectations = [
            ("one weight one ulp up", nudge, 1, "node fc2 (Affine): parameter weight: 1 of 256 values differ"),
            ("-0.0 for 0.0", negative_zero, 1, "parameter bias: 1 of 16 values differ"),
            ("float64 weight, same values", as_float64, 1, "parameter weight: dtype float32 != float64"),
            ("node renamed", rename, 1, "node lif3 (LIF): only in A"),
            ("extra edge", extra_edge, 1, "graph: edge lif3 -> fc2 only in B"),
            ("node metadata", metadata, 1, "metadata origin only in B"),
            ("edges in another order", shuffle_edges, 0, ""),
            ("no compression", uncompressed, 0, ""),
        ]
        for label, fn, expected, text in expectations:
            copy = edited_copy(tmp, small, f"{fn.__name__}.nir", fn)
            code, out, err = run("same_graph.py", small, copy)
            check(f"same_graph mlp_small vs {label} (exit {expected})", code == expected and text in out,
                  f"exit {code}: {out}{err}")
        code, out, _ = run("same_graph.py", "--ignore-metadata", small, tmp / "metadata.nir")
        check("same_graph --ignore-metadata", code == 0, out)
        code, out, _ = run("same_graph.py", small, FIXTURES / "mlp_small_fixed_strings.nir")
        check("same_graph mlp_small vs fixed-length strings, uncompressed (exit 0)", code == 0, out)

        cuba = FIXTURES / "cuba_lif.nir"
        no_reset = edited_copy(tmp, cuba, "no_v_reset.nir", lambda f: f["node/nodes/cuba1"].__delitem__("v_reset"))
        code, out, _ = run("same_graph.py", cuba, no_reset)
        check("same_graph cuba_lif vs a copy without its all-zero v_reset (exit 0)", code == 0, out)
        code, out, _ = run("same_graph.py", cuba, FIXTURES / "bad" / "not_hdf5.nir")
        check("same_graph on an unreadable file (exit 2)", code == 2, out)

        graph = nir.read(small)
        exact = tmp / "fc1.npy"
        np.save(exact, graph.nodes["fc1"].weight)
        np.save(tmp / "fc2.npy", graph.nodes["fc2"].weight)
        code, out, _ = run("check_weights.py", small, "fc1", exact, "fc2", tmp / "fc2.npy")
        check("check_weights exact (exit 0)", code == 0 and out.count(": ok") == 2, out)
        off = graph.nodes["fc1"].weight.copy()
        off[0, 0] = np.nextafter(off[0, 0], np.float32(1))
        np.save(tmp / "off.npy", off)
        code, out, _ = run("check_weights.py", small, "fc1", tmp / "off.npy")
        check("check_weights one ulp off (exit 1)", code == 1 and "1 of 192 values differ" in out, out)
        np.save(tmp / "f64.npy", graph.nodes["fc1"].weight.astype(np.float64))
        code, out, _ = run("check_weights.py", small, "fc1", tmp / "f64.npy")
        check("check_weights float64 file (exit 1)", code == 1 and "dtype float32 != float64" in out, out)
        code, out, _ = run("check_weights.py", "--any-dtype", small, "fc1", tmp / "f64.npy")
        check("check_weights --any-dtype (exit 0)", code == 0, out)
        code, out, _ = run("check_weights.py", small, "fc9", exact)
        check("check_weights missing node (exit 1)", code == 1 and "no node fc9" in out, out)
        nested = FIXTURES / "nested_subgraph.nir"
        np.save(tmp / "w_rec.npy", nir.read(nested).nodes["rsyn"].nodes["w_rec"].weight)
        code, out, _ = run("check_weights.py", nested, "rsyn/w_rec", tmp / "w_rec.npy")
        check("check_weights nested node rsyn/w_rec (exit 0)", code == 0, out)

    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
