#!/usr/bin/env bash
# How long `nir inspect` takes on a 20-layer width-1000 MLP (21 x 1000 inputs, 80 MB of float32 weights, gzipped as
# NIR writes them): the file is written by `init --out`, then inspected RUNS times (default 5); prints each wall time
# and the fastest and median. Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
swift build -c release --product snn-theory >/dev/null
bin=.build/release/snn-theory
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
widths=1000$(printf ',1000%.0s' $(seq 20))
$bin init --widths "$widths" --init paper --out "$dir/mlp20.nir" >/dev/null 2>&1
echo "file: 20 layers of 1000 (init --out), $(du -h "$dir/mlp20.nir" | cut -f1)"
python3 - "$bin" "$dir/mlp20.nir" "$runs" <<'PY'
import statistics, subprocess, sys, time
binary, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run([binary, "nir", "inspect", path], check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
print(f"nir inspect: fastest {min(times):.3f} s, median {statistics.median(times):.3f} s over {runs} runs")
PY
