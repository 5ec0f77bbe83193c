#!/usr/bin/env bash
# Installs what snn-theory needs (GSL, HDF5, pkg-config; python3 for the notebook runner, NumPy for the reference
# scripts the tests run), if missing.
# Debian/Ubuntu with apt; runs apt as root directly or through sudo.
set -euo pipefail

packages=(libgsl-dev libhdf5-dev pkg-config python3 python3-numpy)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "snn-theory: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "snn-theory: a Swift 6 toolchain is needed on PATH (swift --version)" >&2
    exit 1
fi
