#!/usr/bin/env bash
# The speed of the exact reduced sampler against the full simulator on the same configuration: width 1000
# (input size 1000), depth 100, T = 10, batch 1, theta 1, beta 0.9, subtract reset, Bernoulli(0.2) input, paper
# init, Gaussian weights, NETWORKS networks (default 20), all cores. Both are run alternately; the fastest of REPEATS
# runs of each is reported with the ratio, and the mean last-layer rate of each as a sanity check (both sample the
# same law, so the rates agree within their standard errors). Each timed run follows an untimed warm-up of the same
# method on two networks in the same process (worker threads started, caches and page tables warm): a reduced run
# takes a few tens of milliseconds, in which a cold process would otherwise show.
#
# Usage: scripts/benchmark/reduced.sh            (REPEATS=5 NETWORKS=40 scripts/benchmark/reduced.sh for more)
#
# Like compare.sh, the timing comes from a throw-away executable built in .build-bench/ that calls
# SimulatorBenchmark.reducedComparisonWorkload(method:threads:networks:) (the sources are linked, not copied).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
repeats=${REPEATS:-3}
networks=${NETWORKS:-20}

harness="$repo/.build-bench/reduced-harness"
source "$here/harness.sh"
make_harness "$harness"
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import SNNSimulator

// Arguments: full|reduced, number of networks.
let arguments = CommandLine.arguments
guard arguments.count == 3, let method = SimulatorBenchmark.Method(rawValue: arguments[1]),
      let networks = Int(arguments[2]) else {
    FileHandle.standardError.write("usage: bench full|reduced NETWORKS\n".data(using: .utf8)!)
    exit(2)
}
let threads = ProcessInfo.processInfo.activeProcessorCount
_ = try SimulatorBenchmark.reducedComparisonWorkload(method: method, threads: threads, networks: 2)
let result = try SimulatorBenchmark.reducedComparisonWorkload(method: method, threads: threads, networks: networks)
let last = result.layers.last!.steps
let rate = last.reduce(0.0) { $0 + $1.rate.mean } / Double(last.count)
let errors = last.map { $0.rate.standardError ?? 0 }
let rateError = (errors.reduce(0.0) { $0 + $1 * $1 }).squareRoot() / Double(last.count)
print("{\"method\": \"\(method.rawValue)\", \"threads\": \(threads), \"networks\": \(networks), "
    + "\"seconds\": \(result.elapsedSeconds), \"last_layer_rate\": \(rate), \"last_layer_rate_error\": \(rateError), "
    + "\"last_layer_silent_fraction\": \(result.layers.last!.silentFraction)}")
SWIFT
echo "building the Swift harness (release)..." >&2
swift build -c release --package-path "$harness" --scratch-path "$repo/.build-bench/reduced-build" >&2

bench="$repo/.build-bench/reduced-build/release/bench"
full_runs=() reduced_runs=()
for ((i = 1; i <= repeats; i++)); do
    full_runs+=("$("$bench" full "$networks")")
    reduced_runs+=("$("$bench" reduced "$networks")")
    echo "run $i of $repeats done" >&2
done

python3 - "$repeats" "${full_runs[@]}" "${reduced_runs[@]}" <<'PY'
import json, sys
n = int(sys.argv[1])
runs = [json.loads(s) for s in sys.argv[2:]]
groups = {"full simulator": runs[:n], "reduced sampler": runs[n:]}
best = {name: min(rs, key=lambda r: r["seconds"]) for name, rs in groups.items()}
first = runs[0]
print(f"reduced comparison: width 1000, depth 100, T = 10, batch 1, {first['networks']} networks, "
      f"{first['threads']} threads; best of {n} runs each")
for name, r in best.items():
    all_s = ", ".join(f"{x['seconds']:.3f}" for x in groups[name])
    print(f"  {name:16s} {r['seconds']:8.3f} s  mean last-layer rate {r['last_layer_rate']:.4f} "
          f"± {r['last_layer_rate_error']:.4f}, silent fraction {r['last_layer_silent_fraction']:.2f}  (runs: {all_s})")
ratio = best["full simulator"]["seconds"] / best["reduced sampler"]["seconds"]
print(f"  ratio full / reduced: {ratio:.1f}x")
PY
