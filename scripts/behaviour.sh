#!/usr/bin/env bash
# Records what the command-line tool does on a fixed list of commands, so a refactor can show it changed nothing:
# every subcommand and output format (table, CSV, JSON, SVG, .npy), sharded compare runs and their merge, simulate's
# --output and --resume, and refusals of bad input. For each command it keeps the exit code, standard output, the
# error lines of a refusal, and every file the command wrote (JSON Lines files sorted: their lines are appended as
# networks finish, in an order that depends on the threads). Timings go to standard error and are not kept.
#
# Usage: scripts/behaviour.sh BINARY DIR        record into DIR (created; must not exist)
#        diff -r DIR_BEFORE DIR_AFTER           the comparison: no output means no change
#
# Example (before and after a change):
#   git stash; swift build -c release; scripts/behaviour.sh .build/release/snn-theory /tmp/before
#   git stash pop; swift build -c release; scripts/behaviour.sh .build/release/snn-theory /tmp/after
#   diff -r /tmp/before /tmp/after
set -euo pipefail
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
[ -x "$binary" ] || { echo "behaviour.sh: $1 is not an executable" >&2; exit 2; }
[ -e "$out" ] && { echo "behaviour.sh: $out exists; give a new directory" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

n=0
# run NAME ARGS...: runs the tool in a fresh working directory DIR/NAME.files (its files are kept there).
run() {
    local name=$1
    shift
    n=$((n + 1))
    local work="$out/$(printf '%02d' "$n")-$name.files"
    mkdir -p "$work"
    local status=0
    (cd "$work" && "$binary" "$@" >"$out/$(printf '%02d' "$n")-$name.stdout" 2>"$work/.stderr") || status=$?
    echo "$status" >"$out/$(printf '%02d' "$n")-$name.status"
    # A refusal's message is behaviour; a run's standard error holds timings and progress, which are not.
    if [ "$status" -ne 0 ]; then mv "$work/.stderr" "$out/$(printf '%02d' "$n")-$name.stderr"; else rm "$work/.stderr"; fi
    rmdir "$work" 2>/dev/null || true
}

run predict-table predict --depth 30 --init paper,kaiming,glorot,lecun,pytorch
run predict-csv predict --widths 784,500,500,10 --theta 1.5 --format csv
run predict-json-steps predict --depth 10 --steps 4 --beta 0.8 --reset zero --init paper,paper-reset --format json
run predict-svg predict --depth 40 --init paper,kaiming --plot predict.svg
run simulate-table simulate --depth 12 --width 300 --networks 4 --batch 8 --seed 2
run simulate-csv simulate --depth 6 --width 200 --steps 4 --input gaussian:1 --networks 3 --format csv
run simulate-json simulate --depth 10 --width 500 --theta 0.5 --input bernoulli:0.8 --networks 4 --seed 3 --format json
run simulate-svg-output simulate --depth 8 --width 256 --steps 3 --networks 5 --output run.jsonl --plot simulate.svg
run simulate-target-rate simulate --depth 6 --width 300 --steps 5 --target-rate 0.1 --networks 3 --format json
run simulate-reduced simulate --depth 10 --width 400 --steps 6 --method reduced --networks 8 --format json
run compare-table compare --widths 100,300 --thetas 0.5,1 --depth 20 --networks 6 --seed 1
run compare-csv compare --widths 200 --thetas 1 --depth 15 --networks 4 --inits paper,kaiming --format csv
run compare-json-svg compare --widths 150 --thetas 0.75,1.5 --depth 12 --networks 4 --format json --plot compare.svg
run validity-table validity --depth 20 --thetas 0.5,1,2
run validity-json validity --depth 20 --thetas 0.5:2:4 --widths 100,1000 --format json --plot validity.svg
run phase-csv-svg phase --thetas 0.25:2:6 --target-variances 0.1:10:6:log --depth 30 --format csv --plot phase.svg
run phase-json phase --weight-scales 0.5:8:5:log --thetas 0.5:2:4 --depth 20 --format json
run advise-table advise --theta 2 --depth 100 --width 1000
run advise-json advise --theta 1.5 --target-rate 0.1 --format json
run init-table init --widths 784,1000,1000,10 --theta 1
run init-json-conv init --widths 1,32:3x3,64:3x3,flatten:24x24,10 --format json
run init-npy init --widths 50,40,30 --init paper --npy weights
run refuse-theta predict --theta -1
run refuse-input simulate --input poisson:1
run refuse-widths compare --widths 100,x
run refuse-steps predict --steps 0

# Sharded compare: two shards, one interrupted and resumed, then merged (table, JSON, SVG).
shards="$out/$(printf '%02d' $((n + 1)))-shards.files"
mkdir -p "$shards"
sweep=(compare --widths 100,200 --thetas 0.5,1 --depth 10 --networks 3 --seed 4 --quiet)
(cd "$shards" && "$binary" "${sweep[@]}" --shard 1/2 --resume shard-1.jsonl >shard-1.stdout 2>/dev/null)
(cd "$shards" && "$binary" "${sweep[@]}" --shard 2/2 --resume shard-2.jsonl >shard-2.stdout 2>/dev/null)
sort -o "$shards/shard-2.jsonl" "$shards/shard-2.jsonl"
head -n 1 "$shards/shard-2.jsonl" >"$shards/shard-2-cut.jsonl"
(cd "$shards" && "$binary" "${sweep[@]}" --shard 2/2 --resume shard-2-cut.jsonl >shard-2-resumed.stdout 2>/dev/null)
(cd "$shards" && "$binary" merge shard-1.jsonl shard-2.jsonl >merged.stdout 2>/dev/null)
(cd "$shards" && "$binary" merge shard-1.jsonl shard-2-cut.jsonl --format json --plot merged.svg >merged.json 2>/dev/null)
n=$((n + 1))

# simulate --resume: a run cut after its first networks completes to the uninterrupted result.
resume="$out/$(printf '%02d' $((n + 1)))-simulate-resume.files"
mkdir -p "$resume"
run_args=(simulate --depth 6 --width 200 --networks 6 --seed 5 --format json)
(cd "$resume" && "$binary" "${run_args[@]}" --output full.jsonl >full.json 2>/dev/null)
sort -o "$resume/full.jsonl" "$resume/full.jsonl"
head -n 3 "$resume/full.jsonl" >"$resume/cut.jsonl"
(cd "$resume" && "$binary" "${run_args[@]}" --resume cut.jsonl >resumed.json 2>/dev/null)
n=$((n + 1))

# The backward pass and NIR graphs (fixtures of Tests/Fixtures/nir, read in place).
fixtures=$(cd "$(dirname "$0")/../Tests/Fixtures/nir" && pwd)
run simulate-gradients simulate --depth 6 --width 200 --steps 3 --networks 3 --gradients --surrogate fast_sigmoid:25 --format json
run simulate-gradients-attached simulate --depth 4 --width 150 --steps 4 --networks 2 --gradients --reset-grad attached --format csv
run nir-inspect nir inspect "$fixtures/real/cnn_sinabs.nir" --format json
run nir-predict predict --nir "$fixtures/mlp_pytorch_default.nir" --format json
run nir-simulate simulate --nir "$fixtures/real/cnn_sinabs.nir" --batch 8 --steps 4 --networks 2 --format json
run nir-compare compare --nir "$fixtures/conv_net.nir" --batch 16 --networks 3 --format json --plot compare.svg
run nir-init init --nir "$fixtures/conv_net.nir" --init paper --out conv_paper.nir --seed 7 --format json
run nir-init-out init --widths 20,30,30 --init paper --out net.nir --convention snntorch

# Networks and cells are appended as they finish, in an order that depends on the threads: compare them sorted.
find "$out" -name '*.jsonl' -exec sort -o {} {} \;
echo "behaviour.sh: $n commands recorded in $out" >&2
