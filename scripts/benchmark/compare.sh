#!/usr/bin/env bash
# The speed comparison of issue 3: the standard workload (width 1000, depth 100, T = 10, batch 64, theta 1,
# beta 0.9, subtract reset, Bernoulli(0.2) input, paper init, float32, one network) run by the Swift simulator
# (release build, all cores) and by the NumPy peer (peer_numpy.py), alternately on this machine; the fastest of
# REPEATS runs of each is reported. NumPy is also run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
# environment, since a machine-wide OpenBLAS setting can favour or hinder it.
#
# Usage: scripts/benchmark/compare.sh            (REPEATS=5 scripts/benchmark/compare.sh for more runs)
#
# The Swift side is a throw-away executable built in .build-bench/ that calls SimulatorBenchmark.standardWorkload()
# (the sources are linked, not copied), so the comparison does not depend on the command-line tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
repeats=${REPEATS:-3}

harness="$repo/.build-bench/harness"
source "$here/harness.sh"
make_harness "$harness"
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import SNNSimulator

let threads = ProcessInfo.processInfo.activeProcessorCount
let result = try SimulatorBenchmark.standardWorkload(threads: threads)
let rates = result.layers.last!.steps.map { ($0.rate.mean * 10_000).rounded() / 10_000 }
print("{\"implementation\": \"swift\", \"threads\": \(threads), \"seconds\": \(result.elapsedSeconds), "
    + "\"synaptic_events\": \(result.synapticEvents), "
    + "\"synaptic_events_per_second\": \(result.synapticEventsPerSecond), \"last_layer_rates\": \(rates)}")
SWIFT
echo "building the Swift harness (release)..." >&2
swift build -c release --package-path "$harness" --scratch-path "$repo/.build-bench/build" >&2

swift_runs=() numpy_runs=() numpy_plain_runs=()
for ((i = 1; i <= repeats; i++)); do
    swift_runs+=("$("$repo/.build-bench/build/release/bench")")
    numpy_runs+=("$(python3 "$here/peer_numpy.py" --json)")
    numpy_plain_runs+=("$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 "$here/peer_numpy.py" --json)")
    echo "run $i of $repeats done" >&2
done

python3 - "$repeats" "${swift_runs[@]}" "${numpy_runs[@]}" "${numpy_plain_runs[@]}" <<'PY'
import json, sys
n = int(sys.argv[1])
runs = [json.loads(s) for s in sys.argv[2:]]
groups = {"swift": runs[:n], "numpy": runs[n:2 * n], "numpy (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset)": runs[2 * n:]}
best = {name: min(rs, key=lambda r: r["seconds"]) for name, rs in groups.items()}
print(f"standard workload, best of {n} runs each")
for name, r in best.items():
    all_s = ", ".join(f"{x['seconds']:.3f}" for x in groups[name])
    print(f"  {name:52s} {r['seconds']:7.3f} s  {r['synaptic_events_per_second']:.3e} synaptic events/s  (runs: {all_s})")
for name in list(best)[1:]:
    print(f"  ratio {name} / swift: {best[name]['seconds'] / best['swift']['seconds']:.2f}x")
PY
