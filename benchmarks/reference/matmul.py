"""Reference for benchmarks/Benchmarks `matmul`: the same GEMMs timed in Python PyTorch on the same libtorch.

Run with Debian's PyTorch (python3-torch): /usr/bin/python3 benchmarks/reference/matmul.py --n 2048 --threads 2
"""
import argparse
import time

import torch


def median_seconds(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    mid = repeats // 2
    return times[mid] if repeats % 2 else 0.5 * (times[mid - 1] + times[mid])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n = args.n
    flop = 2.0 * n ** 3
    for dtype in (torch.float32, torch.bfloat16):
        a = torch.randn(n, n).to(dtype)
        b = torch.randn(n, n).to(dtype)
        seconds = median_seconds(lambda: torch.matmul(a, b), warmup=5, repeats=21)
        name = {torch.float32: "Float32", torch.bfloat16: "BFloat16"}[dtype]
        print(f"matmul {name:<8} {n}^3 threads={args.threads}: {seconds * 1e3:8.2f} ms  {flop / seconds / 1e9:7.1f} GFLOPS")


if __name__ == "__main__":
    main()
