#!/usr/bin/env bash
# Creates .venv-nir/ at the repository root with the pinned Python packages of scripts/nir/requirements.txt
# (nir, numpy, h5py), when missing or when the pins changed, and prints the path of its interpreter.
# Silent otherwise. Installs python3 and python3-venv with apt when they are missing (Debian/Ubuntu).
#
#   py=$(scripts/nir/python-env.sh) && "$py" scripts/nir/describe.py some.nir
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$repo/.venv-nir"
requirements="$here/requirements.txt"
stamp="$venv/.requirements"
python="$venv/bin/python"

apt_install() {
    echo "snn-theory: installing $*" >&2
    if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
    if [ -z "${apt_updated:-}" ]; then "${apt[@]}" update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "$@" >/dev/null
}

# Up to date: the interpreter runs and was set up from these very pins.
if [ -x "$python" ] && "$python" -c '' 2>/dev/null && cmp -s "$requirements" "$stamp"; then
    echo "$python"
    exit 0
fi

if ! { [ -x "$python" ] && "$python" -c '' 2>/dev/null; }; then
    rm -rf "$venv"
    command -v python3 >/dev/null 2>&1 || apt_install python3
    # Debian ships venv's ensurepip apart from python3, in python3-venv.
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        python3 -m venv "$venv" >/dev/null
    fi
fi
echo "snn-theory: installing $(grep -v '^#' "$requirements" | tr '\n' ' ')into .venv-nir/" >&2
"$python" -m pip install -q --disable-pip-version-check --no-input -r "$requirements" >&2
cp "$requirements" "$stamp"
echo "$python"
