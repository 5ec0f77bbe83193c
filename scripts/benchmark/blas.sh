#!/usr/bin/env bash
# The project's matrix product (SNNLinearAlgebra's MatrixMultiply on CSGEMM) against NumPy's bundled BLAS, on the
# dense and im2col shapes: 64x1000 . 1000x1000, 65536x50 . 50x16 and 16384x144 . 144x16, float32, row-major,
# C = A B. The two run alternately, RUNS times each (default 5), in separate processes, on THREADS threads
# (default: all cores); no environment variable is set for the project's side, and NumPy's side runs without
# OPENBLAS_CORETYPE so that its OpenBLAS picks its own kernels. A run times, per shape, SAMPLES samples (default 10)
# of CALLS products (default 10) after three untimed ones. Printed per shape: best and median GFLOP/s over all
# samples of all runs, and the project's share of NumPy's (best / best, median / median).
#
# Usage: scripts/benchmark/blas.sh          (RUNS=9 THREADS=1 scripts/benchmark/blas.sh; PYTHON=... for another NumPy)
#
# The Swift side is a throw-away executable built in .build-bench/blas (release) with the library's sources linked,
# not copied, so the comparison does not depend on the command-line tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${RUNS:-5} samples=${SAMPLES:-10} calls=${CALLS:-10}
threads=${THREADS:-$(getconf _NPROCESSORS_ONLN)}
python=${PYTHON:-python3}
if ! "$python" -c 'import numpy' 2>/dev/null; then
    echo "blas.sh: NumPy is needed ($python -m pip install numpy)" >&2
    exit 1
fi

harness="$repo/.build-bench/blas"
mkdir -p "$harness/Sources/bench"
for target in CSGEMM SNNLinearAlgebra; do ln -sfn "$repo/Sources/$target" "$harness/Sources/$target"; done
cat > "$harness/Package.swift" <<'SWIFT'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "bench",
    targets: [
        .target(name: "CSGEMM", exclude: ["README.md"]),
        .target(name: "SNNLinearAlgebra", dependencies: ["CSGEMM"], exclude: ["README.md"]),
        .executableTarget(name: "bench", dependencies: ["SNNLinearAlgebra"]),
    ]
)
SWIFT
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import SNNLinearAlgebra

let arguments = CommandLine.arguments.dropFirst().map { Int($0)! }
let (threads, samples, calls) = (arguments[0], arguments[1], arguments[2])
/// Entries in [-0.5, 0.5) from a linear congruential generator: the values do not change the speed.
func matrix(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    }
}
for (m, k, n) in [(64, 1000, 1000), (65536, 50, 16), (16384, 144, 16)] {
    let a = matrix(m * k, seed: 1), b = matrix(k * n, seed: 2)
    var c = [Float](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                func product() { MatrixMultiply.multiply(a, b, into: c, m: m, k: k, n: n, threads: threads) }
                for _ in 0..<3 { product() }
                var gflops: [Double] = []
                for _ in 0..<samples {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<calls { product() }
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(calls)
                    gflops.append(2 * Double(m * k * n) / seconds * 1e-9)
                }
                print("{\"implementation\": \"snn-theory\", \"core\": \"\(MatrixMultiply.Kernel.best)\", "
                    + "\"threads\": \(threads), \"shape\": \"\(m)x\(k)x\(n)\", \"gflops\": \(gflops)}")
            }
        }
    }
}
SWIFT
echo "building the Swift harness (release)..." >&2
swift build -c release --package-path "$harness" --scratch-path "$harness/build" >&2

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((i = 1; i <= runs; i++)); do
    "$harness/build/release/bench" "$threads" "$samples" "$calls" >> "$results"
    env -u OPENBLAS_CORETYPE "$python" "$here/blas_numpy.py" --threads "$threads" --samples "$samples" \
        --calls "$calls" >> "$results"
    echo "run $i of $runs done" >&2
done

python3 - "$results" "$runs" "$samples" "$calls" <<'PY'
import collections, json, statistics, sys
path, runs, samples, calls = sys.argv[1], *map(int, sys.argv[2:])
groups = collections.defaultdict(list)
names, shapes = {}, []
for line in open(path):
    r = json.loads(line)
    side = "ours" if r["implementation"] == "snn-theory" else "numpy"
    names[side] = f'{r["implementation"]} ({r["core"]}, {r["threads"]} threads)'
    groups[side, r["shape"]] += r["gflops"]
    if r["shape"] not in shapes:
        shapes.append(r["shape"])
print(f"GFLOP/s, best / median over {runs} alternating runs x {samples} samples x {calls} products")
print(f"  ours:  {names['ours']}\n  numpy: {names['numpy']}")
print(f"{'shape (m x k x n)':18s} {'ours best':>10s} {'median':>8s} {'numpy best':>11s} {'median':>8s} "
      f"{'ratio best':>11s} {'median':>8s}")
for shape in shapes:
    ours, numpy = groups["ours", shape], groups["numpy", shape]
    ob, om, nb, nm = max(ours), statistics.median(ours), max(numpy), statistics.median(numpy)
    print(f"{shape:18s} {ob:10.1f} {om:8.1f} {nb:11.1f} {nm:8.1f} {ob / nb:11.2f} {om / nm:8.2f}")
PY
