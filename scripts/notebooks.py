#!/usr/bin/env python3
"""Executable Markdown notebooks: re-run every runnable block of notebooks-md/*.md.

A runnable block is a fenced block whose info string is `bash run`; its commands run with bash from the repository
root, with the release build of snn-theory first on PATH. Their standard output replaces the fenced block with the
info string `text output` that follows it (one is inserted if missing). Figures are whatever the commands write
(by convention under notebooks-md/figures/).

    scripts/notebooks.py run      rewrite every notebook's outputs and figures
    scripts/notebooks.py check    re-run everything and fail (exit 1) if any output or figure differs from the
                                  committed one; the working tree is left as it was

Outputs must be deterministic: seeds fixed, timings only on stderr (which is not recorded).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks-md"
FIGURES = NOTEBOOKS / "figures"
FENCE = re.compile(r"^```(.*)$")


def blocks(lines):
    """Yield (start, end, info) for each fenced block; lines[start] is the opening fence, lines[end] the closing."""
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            info = m.group(1).strip()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            yield i, j, info
            i = j + 1
        else:
            i += 1


def run_block(commands, env, timeout):
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"block failed with exit code {result.returncode}:\n{commands}\n{result.stderr}")
    return result.stdout


def execute(path, env, timeout):
    """Return the notebook's text with every output block regenerated."""
    # Each notebook gets a private TMPDIR for its scratch files, shared by its blocks: two runs never collide.
    scratch = tempfile.mkdtemp(prefix="snn-notebook-")
    try:
        return execute_in(path, dict(env, TMPDIR=scratch), timeout)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def execute_in(path, env, timeout):
    lines = path.read_text().split("\n")
    out = []
    i = 0
    found = list(blocks(lines))
    by_start = {s: (e, info) for s, e, info in found}
    while i < len(lines):
        if i in by_start and by_start[i][1] == "bash run":
            end, _ = by_start[i]
            commands = "\n".join(lines[i + 1:end])
            out.extend(lines[i:end + 1])
            stdout = run_block(commands, env, timeout).rstrip("\n")
            i = end + 1
            # Skip blank lines and an existing output block right after.
            j = i
            while j < len(lines) and lines[j].strip() == "":
                j += 1
            if j in by_start and by_start[j][1] == "text output":
                i = by_start[j][0] + 1
            out.append("")
            out.append("```text output")
            out.extend(stdout.split("\n") if stdout else [])
            out.append("```")
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def snapshot(directory):
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*") if p.is_file()} \
        if directory.exists() else {}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    if mode not in ("run", "check"):
        print("usage: notebooks.py run|check [notebook name fragment ...]", file=sys.stderr)
        return 2
    binary = ROOT / ".build" / "release"
    if not (binary / "snn-theory").exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "snn-theory"], cwd=ROOT, check=True,
                       stdout=sys.stderr)
    env = dict(os.environ)
    env["PATH"] = f"{binary}{os.pathsep}{env.get('PATH', '')}"
    env.pop("COLUMNS", None)
    notebooks = [p for p in sorted(NOTEBOOKS.glob("*.md"))
                 if len(sys.argv) <= 2 or any(fragment in p.name for fragment in sys.argv[2:])]
    before = snapshot(FIGURES)
    saved = tempfile.mkdtemp()
    if FIGURES.exists():
        shutil.copytree(FIGURES, pathlib.Path(saved) / "figures")
    failures = []
    try:
        for path in notebooks:
            new = execute(path, env, timeout=600)
            if mode == "run":
                path.write_text(new)
                print(f"ran {path.relative_to(ROOT)}", file=sys.stderr)
            elif new != path.read_text():
                failures.append(f"{path.relative_to(ROOT)}: recorded output differs from what the code prints now")
        if mode == "check":
            after = snapshot(FIGURES)
            for name in sorted(set(before) | set(after)):
                if before.get(name) != after.get(name):
                    failures.append(f"notebooks-md/figures/{name}: differs from the committed figure")
    finally:
        if mode == "check":
            if FIGURES.exists():
                shutil.rmtree(FIGURES)
            if (pathlib.Path(saved) / "figures").exists():
                shutil.copytree(pathlib.Path(saved) / "figures", FIGURES)
        shutil.rmtree(saved)
    for f in failures:
        print(f"notebooks: {f}", file=sys.stderr)
    if mode == "check":
        count = len(notebooks)
        differing = {f.split(":")[0] for f in failures if f.split(":")[0].endswith(".md")}
        print(f"notebooks: {count - len(differing)} of {count} notebooks match, {len(failures)} difference(s)",
              file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
