#!/usr/bin/env bash
# Builds the release binary twice, as the README's commands do (kernels chosen at run time by CPU feature) and with
# SNN_THEORY_PORTABLE=1 (the portable C paths only: what a CPU without AVX2 runs), then records every command of
# scripts/behaviour.sh (predictions, simulations on the sparse and dense routes, gradients, NIR graphs through the
# sgemm kernels, the files they write) with each and compares the records byte for byte.
#
# Usage: scripts/check-portable.sh        (prints "identical" and exits 0, or shows the differences and exits 1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
swift build -c release --product snn-theory >/dev/null
SNN_THEORY_PORTABLE=1 swift build -c release --product snn-theory --build-path .build-portable >/dev/null
records=$(mktemp -d)
trap 'rm -rf "$records"' EXIT
scripts/behaviour.sh .build/release/snn-theory "$records/wide"
scripts/behaviour.sh .build-portable/release/snn-theory "$records/portable"
commands=$(find "$records/wide" -maxdepth 1 -name '*.stdout' | wc -l)
if diff -r "$records/wide" "$records/portable"; then
    echo "check-portable.sh: identical: $commands commands (and the files they wrote), wide and portable kernels"
else
    echo "check-portable.sh: the portable build's outputs differ (above)" >&2
    exit 1
fi
