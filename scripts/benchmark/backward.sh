#!/usr/bin/env bash
# The backward pass's cost: the standard workload (width 1000, depth 100, T = 10, batch 64, theta 1, beta 0.9, subtract
# reset, Bernoulli(0.2) input, paper init, one network, all cores) forward alone (SimulatorBenchmark.standardWorkload)
# and forward + backward (SimulatorBenchmark.gradientWorkload, surrogate SURROGATE, default atan:2, reset gradient
# RESET_GRAD, default detached), alternately in one process after an untimed warm-up of each; prints the fastest of
# REPEATS runs of each (wall-clock seconds, as the simulator reports them) and their ratio.
#
# Usage: scripts/benchmark/backward.sh        (REPEATS=5 SURROGATE=fast_sigmoid:25 scripts/benchmark/backward.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
harness="$repo/.build-bench/backward-harness"
source "$here/harness.sh"
make_harness "$harness"
cat > "$harness/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import SNNModel
import SNNSimulator

// Arguments: repeats, surrogate, reset gradient.
let arguments = CommandLine.arguments
guard arguments.count == 4, let repeats = Int(arguments[1]), repeats >= 1,
      let surrogate = try? Surrogate(parsing: arguments[2]), let reset = ResetGradient(rawValue: arguments[3]) else {
    FileHandle.standardError.write("usage: bench REPEATS SURROGATE detached|attached\n".data(using: .utf8)!)
    exit(2)
}
_ = try SimulatorBenchmark.standardWorkload()
_ = try SimulatorBenchmark.gradientWorkload(surrogate: surrogate, resetGradient: reset)
var forward: [Double] = [], both: [Double] = []
for _ in 0..<repeats {
    forward.append(try SimulatorBenchmark.standardWorkload().elapsedSeconds)
    both.append(try SimulatorBenchmark.gradientWorkload(surrogate: surrogate, resetGradient: reset).statistics.elapsedSeconds)
}
func runs(_ x: [Double]) -> String { x.map { String(format: "%.3f", $0) }.joined(separator: ", ") }
print("standard workload, \(ProcessInfo.processInfo.activeProcessorCount) threads, best of \(repeats) runs each; "
    + "surrogate \(surrogate), reset gradient \(reset.rawValue)")
print(String(format: "  forward             %7.3f s  (runs: %@)", forward.min()!, runs(forward)))
print(String(format: "  forward + backward  %7.3f s  (runs: %@)", both.min()!, runs(both)))
print(String(format: "  ratio: %.2fx", both.min()! / forward.min()!))
SWIFT
(cd "$harness" && swift build -c release --product bench >/dev/null)
"$harness/.build/release/bench" "${REPEATS:-3}" "${SURROGATE:-atan:2}" "${RESET_GRAD:-detached}"
