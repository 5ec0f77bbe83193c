#!/usr/bin/env bash
# The speed of the exact reduced sampler against the full simulator on the same configuration: width WIDTH
# (default 1000; the input has as many), depth 100, batch 1, theta 1, beta 0.9, subtract reset, Bernoulli(0.2) input, paper init,
# Gaussian weights, NETWORKS networks (default 20), all cores, at each T in STEPS (default 4 10 20). For each T both
# are run alternately; the fastest of REPEATS runs of each is reported with the ratio, and the mean last-layer rate
# of each as a sanity check (both sample the same law, so the time-averaged rates agree within their standard errors across networks). Each timed
# run follows an untimed warm-up of the same method on two networks in the same process (worker threads started,
# caches and page tables warm): a reduced run takes a few tens of milliseconds, in which a cold process would
# otherwise show.
#
# The same algorithm in NumPy (peer_reduced_numpy.py, networks spread over as many processes as cores) is timed
# alongside, as the peer of the reduced sampler's speed.
#
# Both spend most of their time drawing Gaussian numbers, at the same cost per draw: the full simulator one per
# weight from an input that spiked (a_l n_{l-1} n_l per layer, a_l the fraction of layer l-1 that spikes at least
# once in the T steps), the reduced sampler T per neuron (n_l T per layer). So the ratio falls as T grows, roughly as
# a n_{l-1} / T. The NumPy peer counts both numbers of draws from its own samples (the same law), and their quotient
# is printed with each T: the speed ratio the two methods would show if a draw cost the same in both and nothing
# else cost anything.
#
# Usage: scripts/benchmark/reduced.sh            (REPEATS=5 NETWORKS=40 STEPS="10" WIDTH=2000 scripts/benchmark/reduced.sh)
#
# Like compare.sh, the timing comes from a throw-away executable built in .build-bench/ that calls
# SimulatorBenchmark.reducedComparisonWorkload(method:threads:networks:steps:width:) (the sources are linked, not
# copied).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
repeats=${REPEATS:-3}
networks=${NETWORKS:-20}
steps_list=${STEPS:-4 10 20}
width=${WIDTH:-1000}

harness="$repo/.build-bench/reduced-harness"
source "$here/harness.sh"
make_harness "$harness"
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import SNNSimulator

// Arguments: full|reduced, number of networks, number of time steps, width.
let arguments = CommandLine.arguments
guard arguments.count == 5, let method = SimulatorBenchmark.Method(rawValue: arguments[1]),
      let networks = Int(arguments[2]), let steps = Int(arguments[3]), let width = Int(arguments[4]) else {
    FileHandle.standardError.write("usage: bench full|reduced NETWORKS STEPS WIDTH\n".data(using: .utf8)!)
    exit(2)
}
let threads = ProcessInfo.processInfo.activeProcessorCount
_ = try SimulatorBenchmark.reducedComparisonWorkload(method: method, threads: threads, networks: 2, steps: steps,
                                                     width: width)
let result = try SimulatorBenchmark.reducedComparisonWorkload(method: method, threads: threads, networks: networks,
                                                              steps: steps, width: width)
// Each network's time-averaged last-layer rate, then their mean and its standard error across networks.
let estimate = result.timeAveragedRate(layer: result.layers.count)
let rate = estimate.mean, rateError = estimate.standardError ?? 0
print("{\"method\": \"\(method.rawValue)\", \"threads\": \(threads), \"networks\": \(networks), \"steps\": \(steps), "
    + "\"width\": \(width), "
    + "\"seconds\": \(result.elapsedSeconds), \"last_layer_rate\": \(rate), \"last_layer_rate_error\": \(rateError), "
    + "\"last_layer_silent_fraction\": \(result.layers.last!.silentFraction)}")
SWIFT
echo "building the Swift harness (release)..." >&2
swift build -c release --package-path "$harness" --scratch-path "$repo/.build-bench/reduced-build" >&2

bench="$repo/.build-bench/reduced-build/release/bench"
runs=()
for steps in $steps_list; do
    for ((i = 1; i <= repeats; i++)); do
        runs+=("$("$bench" full "$networks" "$steps" "$width")")
        runs+=("$("$bench" reduced "$networks" "$steps" "$width")")
        runs+=("$(python3 "$here/peer_reduced_numpy.py" --networks "$networks" --steps "$steps" --width "$width")")
        echo "T = $steps: run $i of $repeats done" >&2
    done
done

python3 - "${runs[@]}" <<'PY'
import json, sys
runs = [json.loads(s) for s in sys.argv[1:]]
first = runs[0]
print(f"reduced comparison: width {first['width']}, depth 100, batch 1, {first['networks']} networks, {first['threads']} threads; "
      f"fastest run of each")
print(f"   T  method            seconds  mean last-layer rate    silent  (all runs, s)")
for steps in sorted({r["steps"] for r in runs}):
    best = {}
    for method, name in (("full", "full simulator"), ("reduced", "reduced sampler"), ("numpy", "NumPy peer")):
        group = [r for r in runs if r["steps"] == steps and r["method"] == method]
        b = best[method] = min(group, key=lambda r: r["seconds"])
        all_s = ", ".join(f"{x['seconds']:.3f}" for x in group)
        print(f"  {steps:2d}  {name:16s} {b['seconds']:8.3f}  {b['last_layer_rate']:.4f} ± {b['last_layer_rate_error']:.4f}"
              f"       {b['last_layer_silent_fraction']:.2f}    ({all_s})")
    # The same seeds in every repeat, so the same count each time.
    draws = [r["draws_full_per_reduced"] for r in runs if r["steps"] == steps and r["method"] == "numpy"]
    print(f"  {steps:2d}  ratio full / reduced: {best['full']['seconds'] / best['reduced']['seconds']:.1f}x; "
          f"NumPy peer / reduced: {best['numpy']['seconds'] / best['reduced']['seconds']:.1f}x; "
          f"Gaussian draws full / reduced: {draws[0]:.1f}")
PY
