#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, corpora seeded from ../shared.
# Usage: scripts/fuzz.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:?build dir}"
SECONDS_EACH="${2:-60}"
DATA="${FLYWHEEL_DATA:-$(cd .. && pwd)/shared}"
CORPUS_ROOT="$BUILD/fuzz-corpus"
mkdir -p "$CORPUS_ROOT"

seed() {  # seed NAME FILES...: copies up to 64 KiB of each file as a seed
  local dir="$CORPUS_ROOT/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && head -c 65536 "$f" > "$dir/$(basename "$f")"; done
}
seed gguf_reader_fuzz "$DATA"/models/*.gguf "$DATA"/vocab/*.gguf
seed tokenizer_fuzz "$DATA"/reference/tokenize/*.txt "$DATA"/vocab/*.inp
seed chat_template_fuzz
# server_request_fuzz: the first byte picks the parser (see fuzz/server_request_fuzz.cc).
server_seeds="$CORPUS_ROOT/server_request_fuzz"
mkdir -p "$server_seeds"
printf '\000{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"logprobs":true,"top_logprobs":2,"stop":["a"]}' > "$server_seeds/chat"
printf '\001{"model":"m","prompt":[1,2,3],"max_tokens":4,"echo":true,"logprobs":1}' > "$server_seeds/completion"
printf '\002{"model":"m","input":["a","b"],"encoding_format":"base64"}' > "$server_seeds/embedding"
printf '\003{"model":"m","prompt":"p","raw":true,"context":[1,2],"format":"json","options":{"num_predict":3,"stop":"x"},"keep_alive":"5m"}' > "$server_seeds/generate"
printf '\004{"model":"m","messages":[{"role":"user","content":"x"}],"options":{"temperature":0}}' > "$server_seeds/ollama_chat"
printf '\005{"model":"m","input":"x","truncate":false,"source":"a","destination":"b"}' > "$server_seeds/ollama_embed"
printf '\006Content-Length: 12\nTransfer-Encoding: chunked\ncontent-length: 12' > "$server_seeds/framing"
printf '\007http://[::1]:8080/v1' > "$server_seeds/url"
printf '\010{"keep_alive":"1h30m"}' > "$server_seeds/keep_alive"
if [ -f "$DATA/reference/templates/chat-templates.json" ]; then
  python3 - "$DATA/reference/templates/chat-templates.json" "$CORPUS_ROOT/chat_template_fuzz" <<'PY' || true
import json, sys, os
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else d.get("templates", d)
n = 0
def walk(x):
    global n
    if isinstance(x, dict):
        for k, v in x.items():
            if k in ("template", "source", "chat_template") and isinstance(v, str):
                open(os.path.join(sys.argv[2], f"t{n}.jinja"), "w").write(v); n += 1
            else:
                walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(items)
PY
fi

status=0
for target in "$BUILD"/*_fuzz; do
  [ -x "$target" ] || continue
  name="$(basename "$target")"
  mkdir -p "$CORPUS_ROOT/$name"
  echo "fuzz: $name for ${SECONDS_EACH}s"
  if ! FLYWHEEL_DATA="$DATA" "$target" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 \
        -rss_limit_mb=4096 -print_final_stats=1 "$CORPUS_ROOT/$name" 2> "$BUILD/$name.log"; then
    echo "fuzz: $name FAILED" >&2
    tail -60 "$BUILD/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$BUILD/$name.log" | tail -2
  fi
done
exit $status
