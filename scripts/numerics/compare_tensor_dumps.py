#!/usr/bin/env python3
"""Line up two activation dumps (flywheel run --dump-tensors, llama_tensor_dump.cpp) and show,
per micro-batch and stage, how many values differ and by how much. The first stage that
differs is where the two engines' arithmetic parts.

  scripts/numerics/compare_tensor_dumps.py FLYWHEEL.bin LLAMA.bin [--batch N] [--all]

Stages are matched by name and compared as flat arrays (llama.cpp keeps heads as rows);
llama.cpp records a name several times (Qcur after the matmul, the reshape and the rope), the
last record of a name in a micro-batch is the one compared. Where llama.cpp holds only the
output rows (the last layer after its get_rows), flywheel's last values are compared.
"""
import argparse
import array
import signal
import sys


def load(path):
    """{batch: {name: (rows, width, values)}}, the last record of each name."""
    out = {}
    with open(path, "rb") as f:
        while True:
            header = f.readline()
            if not header:
                break
            batch, name, rows, width = header.split()
            rows, width = int(rows), int(width)
            values = array.array("f")
            values.frombytes(f.read(4 * rows * width))
            f.read(1)
            out.setdefault(int(batch), {})[name.decode()] = (rows, width, values)
    return out


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("flywheel")
    ap.add_argument("llama")
    ap.add_argument("--batch", type=int, help="only this micro-batch")
    ap.add_argument("--all", action="store_true", help="list identical stages too")
    args = ap.parse_args()
    fw, ll = load(args.flywheel), load(args.llama)
    first = None
    for batch in sorted(fw):
        if args.batch is not None and batch != args.batch:
            continue
        for name, (rows, width, a) in fw[batch].items():
            other = ll.get(batch, {}).get(name)
            if other is None:
                continue
            _, _, b = other
            # Compared flattened (llama.cpp splits heads into rows: [head_dim] x heads x tokens).
            if len(b) > len(a) or len(b) == 0 or len(a) % len(b) != 0:
                print(f"batch {batch} {name}: sizes differ ({len(a)} vs {len(b)} values)")
                continue
            a = a[len(a) - len(b):]
            diff = [abs(x - y) for x, y in zip(a, b)]
            n = sum(1 for d in diff if d != 0)
            if n and first is None:
                first = (batch, name)
            if n or args.all:
                print(f"batch {batch:3d} {name:16s} {len(b):7d} values: {n:6d} differ, max |d| {max(diff, default=0):.3g}")
    print("identical" if first is None else f"first difference: batch {first[0]} {first[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
