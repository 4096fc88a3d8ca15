#!/usr/bin/env bash
# Runs a benchmark through the binding and its plain-PyTorch reference under the same environment.
# Usage: benchmarks/run.sh matmul [--n 2048 --threads 2]
#        benchmarks/run.sh forward --model llada|mdlm [--dtype fp32|bf16|both --batch 4 --length 256 --threads 2]
#        benchmarks/run.sh forward --model llada --check DIR      (C# writes DIR/forward-check-llada.safetensors, Python compares)
#        benchmarks/run.sh load-memory [--size-mb 1000]            (both sides load the same checkpoint, in a temp folder)
#        benchmarks/run.sh generate --model llada|mdlm [--dtype bf16|fp32 --batch 4 --prompt 64 --gen 64 --steps 64 --block 32]
#        benchmarks/run.sh overhead [--n 20000]
# Set OMP_WAIT_POLICY / OPENBLAS_CORETYPE (and optionally GLIBC_TUNABLES) before calling to compare tuned environments
# (see docs/performance.md); both sides inherit the same environment.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?benchmark name}; shift
args=("$@")
dotnet build benchmarks/Benchmarks -c Release -v q -nologo >/dev/null
echo "== environment: OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" \
     "GLIBC_TUNABLES=${GLIBC_TUNABLES:-unset} ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$name" = load-memory ] && [[ " ${args[*]} " != *" --dir "* ]]; then
  # Both sides must read the same checkpoint: write it once into a temporary folder, removed at exit.
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/ds-load-memory.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  args+=(--dir "$tmp")
fi
echo "== DiffusionSteering (C#)"
dotnet benchmarks/Benchmarks/bin/Release/net10.0/Benchmarks.dll "$name" "${args[@]}"
if [ -f "benchmarks/reference/$name.py" ]; then
  echo "== reference (Python PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'))"
  /usr/bin/python3 "benchmarks/reference/$name.py" "${args[@]}"
fi
