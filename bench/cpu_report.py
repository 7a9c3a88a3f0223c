#!/usr/bin/env python3
"""Summarises a bench/cpu.sh results file: per model, pp/tg t/s of each engine, ratios,
decode bandwidth utilisation and peak RSS. Usage: cpu_report.py RESULTS.jsonl"""
import json
import sys
from collections import defaultdict


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    membw = max((r["best_gbps"] for r in rows if r.get("engine") == "membw"), default=0.0)
    by = defaultdict(lambda: defaultdict(list))   # file -> key -> [values]
    bytes_per_token = {}
    for r in rows:
        e, f = r.get("engine"), r.get("file")
        if e in ("flywheel", "llama.cpp"):
            test = f"pp{r['n_prompt']}" if r["n_prompt"] > 0 else f"tg{r['n_gen']}"
            by[f][(e, test)].append(r["avg_ts"])
            if e == "flywheel" and "weight_bytes_per_token" in r:
                bytes_per_token[f] = r["weight_bytes_per_token"]
        elif e and e.endswith("-rss"):
            by[f][(e, "rss")].append(r["peak_rss_kb"])
    print(f"streaming-read bandwidth: {membw:.1f} GB/s")
    hdr = f"{'model':38} {'test':6} {'flywheel':>10} {'llama.cpp':>10} {'ratio':>6} {'bw util':>8}"
    print(hdr)
    print("-" * len(hdr))
    for f, d in by.items():
        name = f.rsplit("/", 1)[-1]
        tests = sorted({t for (_, t) in d if t != "rss"}, key=lambda t: (t[:2] != "pp", t))
        for t in tests:
            fw = d.get(("flywheel", t)); ll = d.get(("llama.cpp", t))
            fwv = sum(fw) / len(fw) if fw else None
            llv = sum(ll) / len(ll) if ll else None
            ratio = f"{fwv / llv:6.2f}" if fwv and llv else "     -"
            util = ""
            if t.startswith("tg") and f in bytes_per_token and membw > 0:
                u_fw = fwv * bytes_per_token[f] / (membw * 1e9) if fwv else 0
                util = f"{100 * u_fw:6.0f}%"
                if llv:
                    util += f" (llama.cpp {100 * llv * bytes_per_token[f] / (membw * 1e9):.0f}%)"
            print(f"{name:38} {t:6} {fwv or 0:10.2f} {llv or 0:10.2f} {ratio} {util}")
        fr = d.get(("flywheel-rss", "rss")); lr = d.get(("llama.cpp-rss", "rss"))
        if fr:
            line = f"{name:38} {'RSS':6} {max(fr) / 1024:9.0f}M"
            if lr:
                line += f" {max(lr) / 1024:9.0f}M {max(fr) / max(lr):6.2f}"
            print(line)


if __name__ == "__main__":
    main(sys.argv[1])
