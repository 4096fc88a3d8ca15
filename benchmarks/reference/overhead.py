"""Reference for benchmarks/Benchmarks `overhead`: the fixed cost of one op call from Python on tiny tensors.

  /usr/bin/python3 benchmarks/reference/overhead.py --n 20000
"""
import argparse
import time

import torch
import torch.nn.functional as F


def median_seconds(fn, warmup, repeats, clock):
    now = {"wall": time.perf_counter, "cpu": time.process_time}[clock]
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = now()
        fn()
        times.append(now() - start)
    times.sort()
    return times[repeats // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n = args.n
    a = torch.ones(4, 4)
    b = torch.zeros(4, 4)
    w = torch.ones(4, 4)

    def report(what, loop):
        seconds = median_seconds(loop, 2, 7, args.clock)
        print(f"overhead {what:<30}: {seconds / n * 1e9:8.0f} ns/op", flush=True)

    def add():
        for _ in range(n):
            a.add(b)

    def add_():
        for _ in range(n):
            a.add_(b)

    def transpose():
        for _ in range(n):
            a.transpose(0, 1)

    def linear():
        for _ in range(n):
            F.linear(a, w)

    def shape():
        for _ in range(n):
            a.shape

    def dtype():
        for _ in range(n):
            a.dtype

    with torch.no_grad():
        report("add (result disposed at once)", add)
        report("add (100 per dispose scope)", add)  # Python frees by reference count: same as above
        report("add_ (in place)", add_)
        report("transpose (view)", transpose)
        report("linear 4x4", linear)
        report("shape query", shape)
        report("dtype query", dtype)


if __name__ == "__main__":
    main()
