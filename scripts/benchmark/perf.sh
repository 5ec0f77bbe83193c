#!/usr/bin/env bash
# The performance comparison in one invocation, every part against its NumPy peer, alternating, RUNS rounds (default 7):
#   workload  the standard workload (width 1000, depth 100, T = 10, batch 64, theta 1, beta 0.9, subtract reset,
#             Bernoulli(0.2) input, paper init, Gaussian float32 weights, one network, all cores): the simulator
#             (SimulatorBenchmark.standardWorkload, the seconds it reports) against peer_numpy.py (the same work);
#   blas      the dense and im2col shapes of blas.sh (64x1000x1000, 65536x50x16, 16384x144x16, float32, all cores):
#             the project's MatrixMultiply against NumPy's bundled BLAS (blas_numpy.py, OPENBLAS_CORETYPE unset),
#             best GFLOP/s of SAMPLES samples of CALLS products per run;
#   normals   milliseconds per million float32 standard normals, one thread, the thread's CPU time: fillNormal on
#             columns of 1000 draws, each from its own stream (seed 1, network 0, layer 1, block j) as the simulator
#             draws weights, against normals_numpy.py (default_rng(1).standard_normal(dtype=float32, out=...)),
#             best of 9 samples of 4 million per run.
# Each round runs, in this order and each in its own process: simulator, NumPy peer, our BLAS, NumPy's BLAS, our
# normals, NumPy's normals. Printed: `uptime` at start and end, then per part the min and median over the rounds of
# each side and the ratios (NumPy / ours for times, ours / NumPy for GFLOP/s), min to min and median to median.
#
# Usage: scripts/benchmark/perf.sh        (RUNS=9 SAMPLES=10 CALLS=10 scripts/benchmark/perf.sh; PYTHON=... for another
#        NumPy; ONLY="workload normals" for some parts)
#
# The Swift side is a throw-away executable built in .build-bench/perf (release) with the libraries' sources linked,
# not copied, so the comparison does not depend on the command-line tool. Under load the medians spread: read both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${RUNS:-7} samples=${SAMPLES:-10} calls=${CALLS:-10}
parts=${ONLY:-workload blas normals}
threads=$(getconf _NPROCESSORS_ONLN)
python=${PYTHON:-python3}
if ! "$python" -c 'import numpy' 2>/dev/null; then
    echo "perf.sh: NumPy is needed ($python -m pip install numpy)" >&2
    exit 1
fi
for part in $parts; do
    case $part in workload|blas|normals) ;; *) echo "perf.sh: unknown part '$part' in ONLY (allowed: workload, blas, normals)" >&2; exit 1 ;; esac
done

harness="$repo/.build-bench/perf"
source "$here/harness.sh"
make_harness "$harness"
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import SNNLinearAlgebra
import SNNSimulator

/// Arguments: `workload`, `blas THREADS SAMPLES CALLS` or `normals SAMPLES MILLIONS`; one JSON object per line.
let arguments = Array(CommandLine.arguments.dropFirst())

func threadSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

switch arguments.first {
case "workload":
    let result = try SimulatorBenchmark.standardWorkload()
    print("{\"implementation\": \"snn-theory\", \"part\": \"workload\", \"seconds\": \(result.elapsedSeconds)}")
case "blas":
    let (threads, samples, calls) = (Int(arguments[1])!, Int(arguments[2])!, Int(arguments[3])!)
    /// Entries in [-0.5, 0.5) from a linear congruential generator (as in blas.sh): the values do not change the speed.
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
        var gflops: [Double] = []
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    func product() { MatrixMultiply.multiply(a, b, into: c, m: m, k: k, n: n, threads: threads) }
                    for _ in 0..<3 { product() }
                    for _ in 0..<samples {
                        let start = DispatchTime.now().uptimeNanoseconds
                        for _ in 0..<calls { product() }
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(calls)
                        gflops.append(2 * Double(m * k * n) / seconds * 1e-9)
                    }
                }
            }
        }
        print("{\"implementation\": \"snn-theory\", \"part\": \"blas\", \"shape\": \"\(m)x\(k)x\(n)\", "
            + "\"gflops\": \(gflops)}")
    }
case "normals":
    let (samples, millions) = (Int(arguments[1])!, Int(arguments[2])!)
    let column = 1000, columns = 1000 * millions
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: column)
    func draw() {
        for j in 0..<columns {
            var rng = Xoshiro256StarStar(seed: 1, network: 0, layer: 1, block: j)
            rng.fillNormal(buffer, count: column, scale: 1)
        }
    }
    draw()
    var milliseconds: [Double] = []
    for _ in 0..<samples {
        let start = threadSeconds()
        draw()
        milliseconds.append((threadSeconds() - start) * 1e3 / Double(millions))
    }
    print("{\"implementation\": \"snn-theory\", \"part\": \"normals\", \"ms_per_million\": \(milliseconds)}")
default:
    FileHandle.standardError.write("usage: bench workload | blas THREADS SAMPLES CALLS | normals SAMPLES MILLIONS\n"
        .data(using: .utf8)!)
    exit(2)
}
SWIFT
echo "building the Swift harness (release)..." >&2
swift build -c release --package-path "$harness" --scratch-path "$harness/build" >&2
bench="$harness/build/release/bench"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
start_load=$(uptime)
for ((i = 1; i <= runs; i++)); do
    for part in $parts; do
        case $part in
        workload)
            "$bench" workload >> "$results"
            "$python" "$here/peer_numpy.py" --json | sed 's/^{/{"part": "workload", /' >> "$results" ;;
        blas)
            "$bench" blas "$threads" "$samples" "$calls" >> "$results"
            env -u OPENBLAS_CORETYPE "$python" "$here/blas_numpy.py" --threads "$threads" --samples "$samples" \
                --calls "$calls" | sed 's/^{/{"part": "blas", /' >> "$results" ;;
        normals)
            "$bench" normals 9 4 >> "$results"
            "$python" "$here/normals_numpy.py" --samples 9 --calls 4 >> "$results" ;;
        esac
    done
    echo "round $i of $runs done" >&2
done
end_load=$(uptime)

python3 - "$results" "$runs" "$start_load" "$end_load" <<'PY'
import collections, json, statistics, sys
path, runs, start_load, end_load = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
per_run = collections.defaultdict(list)  # (part, side, shape) -> one value per run
for line in open(path):
    r = json.loads(line)
    side = "ours" if r["implementation"] == "snn-theory" else "numpy"
    if r["part"] == "workload":
        per_run["workload", side, ""].append(r["seconds"])
    elif r["part"] == "blas":
        per_run["blas", side, r["shape"]].append(max(r["gflops"]))
    else:
        per_run["normals", side, ""].append(min(r["ms_per_million"]))
print(f"load at start: {start_load.strip()}")
print(f"load at end:   {end_load.strip()}")
print(f"{runs} alternating rounds; min and median over the rounds")
def row(label, unit, ours, numpy, higher_is_better):
    om, od, nm, nd = min(ours), statistics.median(ours), min(numpy), statistics.median(numpy)
    if higher_is_better:
        om, nm = max(ours), max(numpy)
        ratio_best, ratio_median, how = om / nm, od / nd, "ours / numpy"
    else:
        ratio_best, ratio_median, how = nm / om, nd / od, "numpy / ours"
    best = "max" if higher_is_better else "min"
    print(f"  {label:34s} ours {best} {om:8.3f} median {od:8.3f} | numpy {best} {nm:8.3f} median {nd:8.3f} {unit:10s}"
          f" | {how} {ratio_best:5.2f}x {best}, {ratio_median:5.2f}x median")
keys = list(dict.fromkeys((p, s) for p, _, s in per_run))  # parts and shapes in the order they ran
for part, shape in keys:
    ours, numpy = per_run[part, "ours", shape], per_run[part, "numpy", shape]
    if part == "workload":
        row("standard workload", "s", ours, numpy, False)
    elif part == "blas":
        row(f"BLAS {shape} (best sample)", "GFLOP/s", ours, numpy, True)
    else:
        row("normals, 1 thread (CPU time)", "ms/10^6", ours, numpy, False)
PY
