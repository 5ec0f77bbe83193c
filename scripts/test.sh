#!/usr/bin/env bash
# Set-up and test in one step: installs what is missing, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# The pinned nir package (a local virtual environment, .venv-nir/): the NIR tests check every file the tool writes
# through nir.read.
python=$(bash scripts/nir/python-env.sh)
"$python" scripts/nir/make_fixtures.py --check
swift build --build-tests
swift test --skip-build
# The notebooks' recorded outputs and figures must be what the code produces now.
python3 scripts/notebooks.py check
