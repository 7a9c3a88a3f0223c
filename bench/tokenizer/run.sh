#!/usr/bin/env bash
# Tokenizer throughput: encodes ~1.3 MB of WikiText-2 (eval/wikitext2/wiki.test.raw) with each
# shared vocabulary and prints MB/s (`flywheel tokenize --time`: encode only, repeated for at
# least one second, load time excluded).
#
# Usage: bench/tokenizer/run.sh [TEXT_FILE]
#   FLYWHEEL=path/to/flywheel      (default: build/flywheel, else the first flywheel on PATH)
#   FLYWHEEL_DATA=path/to/shared   (default: ../shared beside the checkout)
#   LLAMA_TOKENIZE=path/to/llama-tokenize  also times llama.cpp on the GGUF vocabs (one run,
#       load included, as llama-tokenize has no timing mode) and checks its ids equal ours.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
data="${FLYWHEEL_DATA:-$here/../shared}"
fw="${FLYWHEEL:-$here/build/flywheel}"
[ -x "$fw" ] || fw="$(command -v flywheel || true)"
[ -n "$fw" ] && [ -x "$fw" ] || { echo "flywheel binary not found; set FLYWHEEL" >&2; exit 1; }
text="${1:-$data/eval/wikitext2/wiki.test.raw}"
[ -f "$text" ] || { echo "text file not found: $text" >&2; exit 1; }
bytes=$(wc -c < "$text")
echo "text: $text ($bytes bytes)"
printf '%-16s %-8s %10s %10s %s\n' vocab type tokens "MB/s" "llama.cpp MB/s (load incl.)"

mbps() { python3 -c "import json,sys; print('%.2f' % json.loads(sys.argv[1])['mb_per_s'])" "$1"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

for v in llama-spm phi-3 baichuan gpt-2 gpt-neox mpt deepseek-coder bert-bge; do
  gguf="$data/vocab/ggml-vocab-$v.gguf"
  [ -f "$gguf" ] || continue
  j=$("$fw" tokenize --time -f "$text" "$gguf")
  ref="-"
  if [ -n "${LLAMA_TOKENIZE:-}" ]; then
    t0=$(date +%s.%N)
    "$LLAMA_TOKENIZE" -m "$gguf" -f "$text" --ids --log-disable > /tmp/fw-bench-llama.ids 2>/dev/null
    t1=$(date +%s.%N)
    ref=$(python3 -c "print('%.2f' % ($bytes / ($t1 - $t0) / 1e6))")
    "$fw" tokenize -f "$text" "$gguf" > /tmp/fw-bench-fw.ids
    if cmp -s <(tr -d ' \n' < /tmp/fw-bench-llama.ids) <(tr -d ' \n' < /tmp/fw-bench-fw.ids); then
      ref="$ref (ids equal)"
    else
      ref="$ref (IDS DIFFER)"
    fi
  fi
  printf '%-16s %-8s %10s %10s %s\n' "$v" "$(field "$j" tokenizer)" "$(field "$j" tokens)" "$(mbps "$j")" "$ref"
done
for h in llama3 qwen3 mistral; do
  tj="$data/tokenizers/$h/tokenizer.json"
  [ -f "$tj" ] || continue
  j=$("$fw" tokenize --time -f "$text" --tokenizer-json "$tj")
  printf '%-16s %-8s %10s %10s %s\n' "$h(json)" "$(field "$j" tokenizer)" "$(field "$j" tokens)" "$(mbps "$j")" "-"
done
[ -n "${LLAMA_TOKENIZE:-}" ] || echo "(llama.cpp column: set LLAMA_TOKENIZE=/path/to/llama-tokenize)"
