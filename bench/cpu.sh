#!/usr/bin/env bash
# CPU speed benchmark: flywheel vs llama.cpp on the same random-weight GGUF files.
#
#   bench/cpu.sh                       # flywheel only
#   LLAMA_BENCH=/path/to/llama-bench bench/cpu.sh
#
# Environment:
#   BENCH_DIR    scratch dir for the model files (default /tmp/flywheel-bench; never the repo)
#   FLYWHEEL     flywheel binary (default build/flywheel beside this script's repo)
#   FLYWHEEL_DATA  shared test data (default ../shared beside the checkout): vocab GGUFs
#   LLAMA_BENCH  llama-bench binary: also run it on the same files, alternating with flywheel
#   MODELS       space-separated SHAPE:TYPE list (default: the issue's five targets)
#   THREADS (2)  PROMPT (512)  GEN (128)  REPS (3)  ROUNDS (1: alternations per model)
#
# Prints per model: pp/tg t/s for both engines and their ratio, decode bandwidth utilisation
# (tg t/s x weight bytes per token / the best streaming-read bandwidth sampled in this run
# (before the first and after every model), see
# `flywheel dev membw`), and peak RSS of a tg-only run of each engine. Raw JSON rows are kept
# in $BENCH_DIR/results-<time>.jsonl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/flywheel-bench}"
FLYWHEEL="${FLYWHEEL:-$repo/build/flywheel}"
DATA="${FLYWHEEL_DATA:-$repo/../shared}"
THREADS="${THREADS:-2}"
PROMPT="${PROMPT:-512}"
GEN="${GEN:-128}"
REPS="${REPS:-3}"
ROUNDS="${ROUNDS:-1}"
MODELS="${MODELS:-tinyllama-1.1b:Q4_0 tinyllama-1.1b:Q4_K_M tinyllama-1.1b:Q8_0 smollm2-135m:Q8_0 qwen2.5-0.5b:Q8_0}"

[[ -x "$FLYWHEEL" ]] || { echo "cpu.sh: no flywheel binary at $FLYWHEEL (set FLYWHEEL)" >&2; exit 1; }
case "$BENCH_DIR" in "$repo"|"$repo"/*) echo "cpu.sh: BENCH_DIR must be outside the repository" >&2; exit 1;; esac
mkdir -p "$BENCH_DIR"
out="$BENCH_DIR/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

vocab_for() {  # shape -> vocab file and padded size
  case "$1" in
    tinyllama-1.1b) echo "$DATA/vocab/ggml-vocab-llama-spm.gguf 0" ;;
    smollm2-135m)   echo "$DATA/vocab/ggml-vocab-gpt-2.gguf 49152" ;;
    qwen2.5-0.5b|qwen3-0.6b) echo "$DATA/vocab/ggml-vocab-gpt-2.gguf 151936" ;;
    *) echo "cpu.sh: unknown shape $1" >&2; exit 1 ;;
  esac
}

record() {  # engine model-file json-array: appends the rows, tagged, to $out
  printf '%s' "$3" > "$BENCH_DIR/.rows.json"
  python3 -c '
import json, sys
engine, model, src, dst = sys.argv[1:5]
with open(dst, "a") as f:
    for r in json.load(open(src)):
        r["engine"] = engine
        r["file"] = model
        f.write(json.dumps(r) + "\n")
' "$1" "$2" "$BENCH_DIR/.rows.json" "$out"
}

peak_rss_kb() {  # command... -> peak RSS in kB of that process
  /usr/bin/time -f '%M' -o "$BENCH_DIR/.rss" "$@" > /dev/null 2>&1 || true
  tail -n 1 "$BENCH_DIR/.rss"
}

measure_membw() {  # one streaming-read sample; the report uses the best of all samples, so a
                   # sample taken while something else ran cannot inflate the utilisation
  echo "== memory bandwidth (streaming read, $THREADS threads)"
  membw_json="$("$FLYWHEEL" dev membw -t "$THREADS" --mib 1024 -r 10 --json)"
  echo "$membw_json"
  record membw - "[$membw_json]"
}
measure_membw

for spec in $MODELS; do
  shape="${spec%%:*}"; type="${spec##*:}"
  file="$BENCH_DIR/$shape-$type.gguf"
  if [[ ! -s "$file" ]]; then
    read -r vocab pad < <(vocab_for "$shape")
    echo "== making $file"
    "$FLYWHEEL" dev make-model --shape "$shape" --type "$type" --vocab "$vocab" --vocab-size "$pad" "$file"
  fi
  for ((round = 0; round < ROUNDS; ++round)); do
    # Alternate which engine goes first, so drifting machine load hits both alike.
    order="flywheel llama"
    if (( round % 2 == 1 )); then order="llama flywheel"; fi
    for engine in $order; do
      if [[ "$engine" == flywheel ]]; then
        echo "== flywheel bench $file"
        j="$("$FLYWHEEL" bench "$file" -p "$PROMPT" -n "$GEN" -t "$THREADS" -r "$REPS" --json --no-membw)"
        record flywheel "$file" "$j"
        rss="$(peak_rss_kb "$FLYWHEEL" bench "$file" -p 0 -n 32 -t "$THREADS" -r 1 --no-membw)"
        record flywheel-rss "$file" "[{\"peak_rss_kb\": ${rss:-0}}]"
      elif [[ -n "${LLAMA_BENCH:-}" ]]; then
        echo "== llama-bench $file"
        j="$("$LLAMA_BENCH" -m "$file" -p "$PROMPT" -n "$GEN" -t "$THREADS" -r "$REPS" -o json 2>/dev/null)"
        record llama.cpp "$file" "$j"
        rss="$(peak_rss_kb "$LLAMA_BENCH" -m "$file" -p 0 -n 32 -t "$THREADS" -r 1)"
        record llama.cpp-rss "$file" "[{\"peak_rss_kb\": ${rss:-0}}]"
      fi
    done
  done
  measure_membw
done

python3 "$here/cpu_report.py" "$out"
echo "raw rows: $out"
