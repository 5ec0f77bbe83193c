#!/usr/bin/env bash
# The backward pass's cost: the standard workload (width 1000, depth 100, T = 10, batch 64, theta 1, beta 0.9, subtract
# reset, Bernoulli(0.2) input, paper init, one network, all cores) forward alone (SimulatorBenchmark.standardWorkload)
# and forward + backward (SimulatorBenchmark.gradientWorkload, surrogate SURROGATE, default atan:2, reset gradient
# RESET_GRAD, default detached), alternately in one process after an untimed warm-up of each, REPEATS times (default
# 5). Prints the best and the median of each, in wall-clock seconds (as the simulator reports them) and in the
# process's CPU seconds (all threads; on a shared machine the CPU time is the steadier measure, as it does not count
# the time other processes hold the cores), their ratios, and the load average before and after.
#
# Usage: scripts/benchmark/backward.sh        (REPEATS=9 SURROGATE=fast_sigmoid:25 scripts/benchmark/backward.sh)
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
/// CPU seconds of this process, all threads.
func processSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
_ = try SimulatorBenchmark.standardWorkload()
_ = try SimulatorBenchmark.gradientWorkload(surrogate: surrogate, resetGradient: reset)
var forward: [(wall: Double, cpu: Double)] = [], both: [(wall: Double, cpu: Double)] = []
for _ in 0..<repeats {
    var start = processSeconds()
    let wall = try SimulatorBenchmark.standardWorkload().elapsedSeconds
    forward.append((wall, processSeconds() - start))
    start = processSeconds()
    let bothWall = try SimulatorBenchmark.gradientWorkload(surrogate: surrogate, resetGradient: reset)
        .statistics.elapsedSeconds
    both.append((bothWall, processSeconds() - start))
}
func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
func runs(_ x: [Double]) -> String { x.map { String(format: "%.2f", $0) }.joined(separator: " ") }
print("standard workload, \(ProcessInfo.processInfo.activeProcessorCount) threads, \(repeats) alternating runs each; "
    + "surrogate \(surrogate), reset gradient \(reset.rawValue)")
for (name, f, b) in [("wall", forward.map(\.wall), both.map(\.wall)), ("CPU ", forward.map(\.cpu), both.map(\.cpu))] {
    print("  \(name) " + String(format: "forward             best %6.3f s  median %6.3f s  (runs: %@)", f.min()!,
                                  median(f), runs(f)))
    print("  \(name) " + String(format: "forward + backward  best %6.3f s  median %6.3f s  (runs: %@)", b.min()!,
                                  median(b), runs(b)))
    print("  \(name) " + String(format: "ratio: best %.2fx, median %.2fx, median of the per-pair ratios %.2fx",
                                  b.min()! / f.min()!, median(b) / median(f), median(zip(b, f).map { $0 / $1 })))
}
SWIFT
(cd "$harness" && swift build -c release --product bench >/dev/null)
echo "load before: $(uptime)"
"$harness/.build/release/bench" "${REPEATS:-5}" "${SURROGATE:-atan:2}" "${RESET_GRAD:-detached}"
echo "load after:  $(uptime)"
