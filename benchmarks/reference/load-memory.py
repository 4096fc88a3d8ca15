"""Reference for benchmarks/Benchmarks `load-memory`: the same checkpoint loaded by plain PyTorch, same measurements.

Reads the checkpoint folder that `Benchmarks load-memory --size-mb N --dir DIR` wrote (config.json +
model.safetensors, random bf16 LLaDA-architecture weights) and loads every tensor of model.safetensors with the same
three strategies as the C# loader, each in a fresh child process that resets its peak RSS (/proc/self/clear_refs)
just before the load and reads VmHWM from /proc/self/status after it, then again after reading every weight once:

* bf16       zero-copy: torch.frombuffer over a copy-on-write mmap of the whole file (mmap.ACCESS_COPY), no read
* bf16-copy  one copy per tensor through a mapping of just that tensor, unmapped right after
* fp32       the same, converting each tensor to float32

No transformers/safetensors packages are involved (Debian's PyTorch 1.13 has neither); the header is parsed here.

  /usr/bin/python3 benchmarks/reference/load-memory.py --dir DIR
"""
import argparse
import json
import mmap
import os
import struct
import subprocess
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I64": torch.int64}


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return 8 + n, header


def child(folder, mode):
    torch.ones(2, dtype=torch.bfloat16).float()  # initialise libtorch so that the baseline includes it
    path = os.path.join(folder, "model.safetensors")
    base, header = read_header(path)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    baseline = status("VmRSS")
    start = time.perf_counter()
    tensors = {}
    with open(path, "rb") as f:
        if mode == "bf16":
            whole = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
            for name, info in header.items():
                dtype = DTYPES[info["dtype"]]
                s, e = info["data_offsets"]
                count = (e - s) // torch.empty(0, dtype=dtype).element_size()
                tensors[name] = torch.frombuffer(whole, dtype=dtype, count=count, offset=base + s).view(info["shape"])
        else:
            target = torch.float32 if mode == "fp32" else None
            for name, info in header.items():
                dtype = DTYPES[info["dtype"]]
                s, e = info["data_offsets"]
                first = (base + s) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
                view = mmap.mmap(f.fileno(), base + e - first, access=mmap.ACCESS_READ, offset=first)
                count = (e - s) // torch.empty(0, dtype=dtype).element_size()
                source = torch.frombuffer(view, dtype=dtype, count=count, offset=base + s - first).view(info["shape"])
                tensors[name] = source.to(target or dtype, copy=True)
                del source
                view.close()
    elapsed = time.perf_counter() - start
    peak, rss = status("VmHWM"), status("VmRSS")
    loaded = 0
    with torch.no_grad():
        for t in tensors.values():
            loaded += t.numel() * t.element_size()
            t.sum()
    print(f"RESULT baseline_kb={baseline} peak_kb={peak} rss_kb={rss} peak_used_kb={status('VmHWM')} "
          f"rss_used_kb={status('VmRSS')} rss_anon_kb={status('RssAnon')} rss_file_kb={status('RssFile')} "
          f"loaded_bytes={loaded} milliseconds={int(elapsed * 1000)}", flush=True)


def format_line(mode, weight_bytes, r):
    kb = 1024.0
    baseline, peak, peak_used = r["baseline_kb"] * kb, r["peak_kb"] * kb, r["peak_used_kb"] * kb
    return (f"load-memory {mode}: weights {weight_bytes / 1e6:.0f} MB, loaded {r['loaded_bytes'] / 1e6:.0f} MB in "
            f"{r['milliseconds'] / 1e3:.2f} s; baseline RSS {baseline / 1e6:.0f} MB; peak during load "
            f"+{(peak - baseline) / 1e6:.0f} MB = {(peak - baseline) / weight_bytes:.2f}x weight bytes; peak after "
            f"reading every weight +{(peak_used - baseline) / 1e6:.0f} MB = {(peak_used - baseline) / weight_bytes:.2f}x "
            f"(anon {r['rss_anon_kb'] * kb / 1e6:.0f} MB, file-backed {r['rss_file_kb'] * kb / 1e6:.0f} MB)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=False, help="checkpoint folder written by `Benchmarks load-memory --dir DIR`")
    parser.add_argument("--size-mb", type=int, default=1000, help="ignored (the C# side sizes the checkpoint)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        child(args.dir, args.child)
        return
    if not args.dir or not os.path.exists(os.path.join(args.dir, "model.safetensors")):
        sys.exit("load-memory.py needs --dir DIR holding the checkpoint of `Benchmarks load-memory --dir DIR` "
                 "(benchmarks/run.sh load-memory does both)")
    _, header = read_header(os.path.join(args.dir, "model.safetensors"))
    weight_bytes = sum(info["data_offsets"][1] - info["data_offsets"][0] for info in header.values())
    for mode in ("bf16", "bf16-copy", "fp32"):
        out = subprocess.run([sys.executable, __file__, "--dir", args.dir, "--threads", str(args.threads), "--child", mode],
                             check=True, capture_output=True, text=True).stdout
        line = [l for l in out.splitlines() if l.startswith("RESULT ")][-1]
        r = {k: int(v) for k, v in (kv.split("=") for kv in line[len("RESULT "):].split())}
        print(format_line(mode, weight_bytes, r), flush=True)


if __name__ == "__main__":
    main()
