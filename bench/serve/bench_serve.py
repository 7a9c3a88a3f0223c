#!/usr/bin/env python3
"""Serving benchmark for `flywheel serve` (and llama-server, when LLAMA_SERVER is given).

For each model: aggregate generated tokens/s and TTFT p50/p99 with 1, 4 and 16 concurrent
streaming clients (/v1/completions, greedy, distinct prompts), then the prefix-cache check:
TTFT of a follow-up turn after a ~1,000-token shared history, with and without the cache.
Standard library only. Writes a Markdown table to stdout (and --out).

  bench/serve/bench_serve.py --flywheel build/flywheel --model smollm2=/tmp/smollm2-135m-q8_0.gguf \
      [--model tinyllama=/tmp/tinyllama-1.1b-q8_0.gguf] [--threads 2] [--max-tokens 32] [--out RESULTS.md]

Models of the real shapes come from `flywheel dev make-model --shape smollm2-135m --type Q8_0 ...`.
"""
import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

WORDS = ("time day cat dog tree river house garden light stone cloud water bird road song story friend "
         "little happy green quiet bright window morning evening summer winter table paper letter voice").split()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_ready(port, proc, timeout=300):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready")


def start_flywheel(binary, model, port, threads, parallel, ctx, extra=()):
    args = [binary, "serve", "--model", model, "--port", str(port), "--parallel", str(parallel), "--ctx", str(ctx),
            "-t", str(threads), "--max-queue", "256", *extra]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_llama_server(binary, model, port, threads, parallel, ctx):
    args = [binary, "-m", model, "--port", str(port), "-np", str(parallel), "-c", str(ctx * parallel), "-t", str(threads),
            "--host", "127.0.0.1"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stream_completion(port, name, prompt, max_tokens):
    """One streaming /v1/completions request: (ttft seconds, generated tokens, total seconds)."""
    body = json.dumps({"model": name, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
                       "stream_options": {"include_usage": True}, "ignore_eos": True})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError("HTTP %d: %s" % (r.status, r.read()[:200]))
    ttft = None
    tokens = 0
    usage = None
    buf = b""
    while True:
        chunk = r.read1(65536) if hasattr(r, "read1") else r.read(1)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            line = event.decode("utf-8", "replace").strip()
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                continue
            j = json.loads(data)
            if j.get("usage"):
                usage = j["usage"]
            for ch in j.get("choices", []):
                if ch.get("text"):
                    if ttft is None:
                        ttft = time.perf_counter() - t0
                    tokens += 1
    total = time.perf_counter() - t0
    if usage and usage.get("completion_tokens") is not None:
        tokens = usage["completion_tokens"]
    return (ttft if ttft is not None else total), tokens, total


def random_prompt(rng, n_words):
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def run_level(port, name, concurrency, requests_per_stream, max_tokens, seed):
    rng = random.Random(seed)
    prompts = [random_prompt(rng, 24) for _ in range(concurrency * requests_per_stream)]
    results, errors = [], []
    lock = threading.Lock()

    def worker(idx):
        for k in range(requests_per_stream):
            try:
                res = stream_completion(port, name, prompts[idx * requests_per_stream + k], max_tokens)
                with lock:
                    results.append(res)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(str(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    ttfts = sorted(r[0] for r in results)
    tokens = sum(r[1] for r in results)

    def pct(p):
        return ttfts[min(len(ttfts) - 1, int(round(p / 100.0 * (len(ttfts) - 1))))]

    return {"concurrency": concurrency, "requests": len(results), "tokens": tokens, "wall_s": wall,
            "tok_s": tokens / wall, "ttft_p50": pct(50), "ttft_p99": pct(99)}


def prefix_followup_ttft(port, name, history_words, repeats=3):
    """TTFT of a follow-up turn whose ~1,000-token history was just processed."""
    rng = random.Random(7)
    out = []
    for r in range(repeats):
        history = "System: you are a helpful assistant.\n\n" + random_prompt(rng, history_words)
        stream_completion(port, name, history + "\n\nUser: first question?\n\nAssistant:", 4)  # turn 1 fills the cache
        ttft, _, _ = stream_completion(port, name, history + "\n\nUser: first question?\n\nAssistant: yes.\n\nUser: and then?\n\nAssistant:", 4)
        out.append(ttft)
    return statistics.median(out)


def count_tokens(port, name, text):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/v1/completions", json.dumps({"model": name, "prompt": text, "max_tokens": 0, "echo": True, "logprobs": 0}),
              {"Content-Type": "application/json"})
    j = json.loads(c.getresponse().read())
    return j["usage"]["prompt_tokens"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flywheel", required=True)
    ap.add_argument("--model", action="append", required=True, help="NAME=PATH.gguf (repeatable)")
    ap.add_argument("--llama-server", default=os.environ.get("LLAMA_SERVER", ""))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--levels", default="1,4,16")
    ap.add_argument("--requests-per-stream", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--ctx", type=int, default=1536)
    ap.add_argument("--history-words", type=int, default=990, help="words of shared history (~1,000 tokens)")
    ap.add_argument("--prefix-repeats", type=int, default=3, help="follow-up measurements per setting (median)")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    lines = ["| engine | model | streams | requests | generated tokens | aggregate tok/s | TTFT p50 (s) | TTFT p99 (s) |",
             "|---|---|---|---|---|---|---|---|"]
    prefix_lines = ["| model | history tokens | follow-up TTFT, prefix cache on (s) | off (s) | speed-up |", "|---|---|---|---|---|"]
    for spec in args.model:
        name, path = spec.split("=", 1)
        engines = [("flywheel", lambda p: start_flywheel(args.flywheel, path, p, args.threads, 16, args.ctx))]
        if args.llama_server:
            engines.append(("llama-server", lambda p: start_llama_server(args.llama_server, path, p, args.threads, 16, args.ctx)))
        for engine, start in engines:
            port = free_port()
            proc = start(port)
            try:
                wait_ready(port, proc)
                served = os.path.splitext(os.path.basename(path))[0]
                stream_completion(port, served, "warm up", 2)
                for c in levels:
                    r = run_level(port, served, c, args.requests_per_stream, args.max_tokens, seed=c)
                    lines.append("| %s | %s | %d | %d | %d | %.1f | %.3f | %.3f |" % (
                        engine, name, c, r["requests"], r["tokens"], r["tok_s"], r["ttft_p50"], r["ttft_p99"]))
                    print(lines[-1], file=sys.stderr, flush=True)
            finally:
                proc.terminate()
                proc.wait()
        # Prefix cache on / off (flywheel only).
        ttft = {}
        n_hist = 0
        for label, extra in (("on", ()), ("off", ("--no-prefix-cache",))):
            port = free_port()
            proc = start_flywheel(args.flywheel, path, port, args.threads, 4, args.ctx, extra)
            try:
                wait_ready(port, proc)
                served = os.path.splitext(os.path.basename(path))[0]
                if not n_hist:
                    n_hist = count_tokens(port, served, "System: you are a helpful assistant.\n\n" +
                                          random_prompt(random.Random(7), args.history_words))
                ttft[label] = prefix_followup_ttft(port, served, args.history_words, args.prefix_repeats)
            finally:
                proc.terminate()
                proc.wait()
        prefix_lines.append("| %s | %d | %.3f | %.3f | %.1fx |" % (name, n_hist, ttft["on"], ttft["off"], ttft["off"] / ttft["on"]))
        print(prefix_lines[-1], file=sys.stderr, flush=True)
    report = "\n".join(lines) + "\n\n" + "\n".join(prefix_lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
