#!/usr/bin/env bash
# Set-up and run in one step: installs what is missing, builds snn-theory (release), runs it with the given arguments.
#   scripts/run.sh predict --depth 100 --init paper,kaiming,glorot,lecun,pytorch
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product snn-theory >&2
exec .build/release/snn-theory "$@"
