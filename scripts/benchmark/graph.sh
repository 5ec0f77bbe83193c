#!/usr/bin/env bash
# The graph simulator against its NumPy peer on a NIR file (default: the Sinabs CNN of Tests/Fixtures/nir/real),
# batch 64, T = 10, Bernoulli(0.2) input, the Sinabs convention (IF neurons with multi-spike, subtract reset):
# GraphSimulation (release build, all cores) and scripts/benchmark/peer_graph_numpy.py (im2col + matmul, NumPy's
# bundled OpenBLAS, run without OPENBLAS_CORETYPE), alternately, RUNS times each (default 7). Each side times
# preparing the weights and the T steps, not reading the file. Printed: min and median seconds of each, and the
# ratio NumPy / Swift of both.
#
# First a check that both compute the same forward pass: the peer writes its Bernoulli draws to a file, both run on
# them, and the largest difference of a layer's mean rate at any step is printed (the two sum each product in
# different orders, so a potential at its threshold can round to different sides).
#
# Usage: scripts/benchmark/graph.sh [FILE.nir]     (RUNS=11 BATCH=32 STEPS=20 THREADS=1 ... to change the workload)
#
# The Swift side is a throw-away executable built in .build-bench/graph (release) with the sources linked, not
# copied, so the comparison does not depend on the command-line tool. The Python side runs in .venv-nir
# (scripts/nir/python-env.sh: the pinned nir, NumPy and h5py), or PYTHON if set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
file=$(cd "$(dirname "${1:-$repo/Tests/Fixtures/nir/real/cnn_sinabs.nir}")" && pwd)/$(basename "${1:-cnn_sinabs.nir}")
runs=${RUNS:-7} batch=${BATCH:-64} steps=${STEPS:-10}
threads=${THREADS:-$(getconf _NPROCESSORS_ONLN)}
python=${PYTHON:-$("$repo/scripts/nir/python-env.sh")}

harness="$repo/.build-bench/graph"
source "$here/harness.sh"
make_harness "$harness" nir
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import NIR
import SNNModel
import SNNSimulator

// bench FILE BATCH STEPS THREADS [INPUT]: INPUT a raw float32 file of shape [batch, steps, input shape].
let arguments = Array(CommandLine.arguments.dropFirst())
let (file, batch, steps, threads) = (arguments[0], Int(arguments[1])!, Int(arguments[2])!, Int(arguments[3])!)
let graph = try NIRGraph.read(path: file).networkGraph(file: file, convention: .sinabs, step: 1)
var input = GraphInput.encoding(.bernoulli(rate: 0.2))
if arguments.count > 4 {
    let data = try Data(contentsOf: URL(fileURLWithPath: arguments[4]))
    let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    input = .array(values: values, shape: [batch, steps] + graph.nodes[graph.inputNodes[0]].outputShape)
}
let statistics = try GraphSimulation(graph: graph, steps: steps, batch: batch, input: input, seed: 1,
                                     threads: threads).run()
let rates = statistics.layers.map { "\"\($0.name)\": \($0.steps.map { $0.rate!.mean })" }.joined(separator: ", ")
print("{\"implementation\": \"swift\", \"seconds\": \(statistics.elapsedSeconds), \"rates\": {\(rates)}}")
SWIFT
echo "building the Swift harness (release)..." >&2
swift build -c release --package-path "$harness" --scratch-path "$harness/build" >&2
bench="$harness/build/release/bench"

draws=$(mktemp)
trap 'rm -f "$draws"' EXIT
"$python" "$here/peer_graph_numpy.py" "$file" --batch "$batch" --steps "$steps" --save-input "$draws"
python3 - "$("$bench" "$file" "$batch" "$steps" "$threads" "$draws")" \
    "$(env -u OPENBLAS_CORETYPE "$python" "$here/peer_graph_numpy.py" "$file" --batch "$batch" --steps "$steps" \
        --input "$draws")" <<'PY'
import json, sys
swift, numpy = (json.loads(s)["rates"] for s in sys.argv[1:])
assert swift.keys() == numpy.keys(), (swift.keys(), numpy.keys())
worst = max(abs(a - b) for name in swift for a, b in zip(swift[name], numpy[name]))
print(f"same input: largest difference of a layer's mean rate at a step, Swift against NumPy: {worst:.3g}")
PY

results=()
for ((i = 1; i <= runs; i++)); do
    results+=("$("$bench" "$file" "$batch" "$steps" "$threads")")
    results+=("$(env -u OPENBLAS_CORETYPE "$python" "$here/peer_graph_numpy.py" "$file" --batch "$batch" \
        --steps "$steps")")
    echo "run $i of $runs done" >&2
done

python3 - "$(basename "$file")" "$batch" "$steps" "$threads" "${results[@]}" <<'PY'
import json, statistics, sys
name, batch, steps, threads = sys.argv[1:5]
runs = [json.loads(s) for s in sys.argv[5:]]
seconds = {side: [r["seconds"] for r in runs if r["implementation"] == side] for side in ("swift", "numpy")}
print(f"{name}, batch {batch}, T {steps}, Swift on {threads} threads; {len(seconds['swift'])} alternating runs each")
for side, values in seconds.items():
    print(f"  {side:6s} min {min(values):.4f} s  median {statistics.median(values):.4f} s"
          f"  (runs: {', '.join(f'{v:.4f}' for v in values)})")
print(f"  ratio numpy / swift: min {min(seconds['numpy']) / min(seconds['swift']):.2f}x, "
      f"median {statistics.median(seconds['numpy']) / statistics.median(seconds['swift']):.2f}x")
PY
