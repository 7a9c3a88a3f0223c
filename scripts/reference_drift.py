#!/usr/bin/env python3
"""How far flywheel, and the llama.cpp at hand, are from ../shared/reference/greedy.

For every reference model and prompt: greedy decode with flywheel (and with llama-server when
LLAMA_SERVER names one), then the largest |logprob difference| over the reference's top-10 of
each step, up to the first step where the two chosen tokens differ. Three columns per model:
flywheel vs reference, llama.cpp vs reference, flywheel vs llama.cpp. The references were made by
llama.cpp build 4748; the middle column shows how much llama.cpp's own arithmetic has moved
since, on the same files and the same machine (see docs/numerics.md).

  scripts/reference_drift.py [--flywheel build/flywheel] [--data ../shared] [--json] [MODEL ...]
  LLAMA_SERVER=/path/to/llama-server scripts/reference_drift.py
  LLAMA_SERVER_ARGS="-fa off" adds arguments to every llama-server command line.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


REFERENCE_TOKENS = 48  # n_predict of every reference generation


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_complete_prefix(data):
    """Bytes of generated text llama-server treats as complete (its validate_utf8): all, unless
    one of the last 4 bytes starts a multi-byte sequence that needs more bytes than follow it."""
    n = len(data)
    for i in range(1, min(4, n) + 1):
        c = data[n - i]
        need = 2 if c & 0xE0 == 0xC0 else 3 if c & 0xF0 == 0xE0 else 4 if c & 0xF8 == 0xF0 else 0
        if need and i < need:
            return n - i
    return n


def fold_like_server(steps, n_predict):
    """llama-server reports no step for a token while the text ends in incomplete UTF-8; the
    token that completes it (or the last one) carries the step. Same folding for flywheel's."""
    out, text = [], b""
    for k, (tok, top, data) in enumerate(steps):
        text += data
        if server_complete_prefix(text) < len(text) and k + 1 < n_predict:
            continue
        out.append((tok, top))
    return out


def flywheel_steps(binary, path, prompt, n):
    out = subprocess.run([binary, "run", "--raw", "--json", "--logprobs", "10", "--temp", "0",
                          "-n", str(n), path, prompt], capture_output=True, text=True)
    if out.returncode != 0 and prompt == "":
        return None  # a vocab without BOS has nothing to start "" from
    if out.returncode != 0:
        raise RuntimeError(f"flywheel failed on {path}: {out.stderr.strip()}")
    steps = [(s["id"], dict((t, lp) for t, lp in s["top"]), bytes(s["bytes"]))
             for s in json.loads(out.stdout)["logprobs"]]
    return fold_like_server(steps, n)


class LlamaServer:
    def __init__(self, binary, path):
        self.port = free_port()
        extra = os.environ.get("LLAMA_SERVER_ARGS", "").split()
        self.proc = subprocess.Popen([binary, "-m", path, "--port", str(self.port), "-np", "1", "-c", "512"] + extra,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health") as r:
                    if json.load(r).get("status") == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.close()
        raise RuntimeError(f"llama-server did not come up for {path}")

    def steps(self, prompt, n):
        body = json.dumps({"prompt": prompt, "n_predict": n, "temperature": 0, "n_probs": 10,
                           "cache_prompt": False}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/completion", body,
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            probs = json.load(r).get("completion_probabilities", [])
        return [(p["id"], {t["id"]: t["logprob"] for t in p["top_logprobs"]}) for p in probs]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def gap(a, b):
    """(max |dlogprob| over ids present in both, steps compared) up to the first token mismatch."""
    worst, steps = 0.0, 0
    for (ida, ta), (idb, tb) in zip(a, b):
        if ida != idb:
            break
        steps += 1
        common = [abs(ta[t] - tb[t]) for t in ta if t in tb]
        worst = max([worst] + common)
    return worst, steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flywheel", default="build/flywheel")
    ap.add_argument("--data", default=os.environ.get("FLYWHEEL_DATA", "../shared"))
    ap.add_argument("--json", action="store_true", help="one JSON object per model")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    ref_dir = os.path.join(args.data, "reference", "greedy")
    models = args.models or sorted(f[:-5] for f in os.listdir(ref_dir)
                                   if f.endswith(".json") and "+" not in f)
    llama = os.environ.get("LLAMA_SERVER")
    if not args.json:
        print("| model | prompts | fw vs ref | llama.cpp vs ref | fw vs llama.cpp |")
        print("|---|---|---|---|---|")
    for model in models:
        path = os.path.join(args.data, "models", model + ".gguf")
        ref = json.load(open(os.path.join(ref_dir, model + ".json")))
        server = LlamaServer(llama, path) if llama else None
        row = {"model": model, "prompts": 0, "fw_ref": 0.0, "llama_ref": None, "fw_llama": None}
        try:
            for r in ref["results"]:
                n = REFERENCE_TOKENS
                want = [(s["id"], dict((t, lp) for t, lp in s["top"])) for s in r["steps"]]
                fw = flywheel_steps(args.flywheel, path, r["prompt"], n)
                if fw is None:
                    continue
                row["prompts"] += 1
                row["fw_ref"] = max(row["fw_ref"], gap(fw, want)[0])
                if server:
                    ll = server.steps(r["prompt"], n)
                    if not ll:  # llama-server refuses some prompts (e.g. "" without BOS)
                        continue
                    row["llama_ref"] = max(row["llama_ref"] or 0.0, gap(ll, want)[0])
                    row["fw_llama"] = max(row["fw_llama"] or 0.0, gap(fw, ll)[0])
        finally:
            if server:
                server.close()
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            fmt = lambda v: "-" if v is None else f"{v:.3g}"
            print(f"| {model} | {row['prompts']} | {fmt(row['fw_ref'])} | {fmt(row['llama_ref'])} | "
                  f"{fmt(row['fw_llama'])} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
