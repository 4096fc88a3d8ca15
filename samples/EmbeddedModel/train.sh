#!/usr/bin/env bash
# Trains the embedded model from scratch, or continues the run where it stopped (same command; checkpoints resume
# exactly). Data and the run live outside the repository:
#   data  $DS_DATA_CACHE          (default ~/.cache/diffusionsteering/data; fetched and built on first use)
#   run   $DS_RUN                 (default ~/.cache/diffusionsteering/runs/embedded-a: tokenizer, token caches,
#                                  config.json, checkpoints/)
# Extra arguments go to `TrainDlm train` (e.g. --max-minutes 120 to continue a run that hit its time limit).
# Then: bash samples/EmbeddedModel/export.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${DS_DATA_CACHE:-$HOME/.cache/diffusionsteering/data}"
RUN="${DS_RUN:-$HOME/.cache/diffusionsteering/runs/embedded-a}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"   # spinning OpenMP threads are many times slower on a shared CPU

if [ ! -s "$CACHE/built/corpus/train.txt" ]; then
  bash "$ROOT/samples/EmbeddedModel/data/fetch-data.sh"
  python3 "$ROOT/samples/EmbeddedModel/data/build_data.py"
fi
dotnet build -c Release -v q -nologo "$ROOT/samples/TrainDlm" >/dev/null
# Run from a private copy of the binaries, so that rebuilding the repository while training does not touch them.
mkdir -p "$RUN"
rm -rf "$RUN/app" && cp -a "$ROOT/samples/TrainDlm/bin/Release/net10.0" "$RUN/app"
TRAIN_DLM=(dotnet "$RUN/app/TrainDlm.dll")
if [ ! -s "$RUN/tokenizer.json" ]; then
  "${TRAIN_DLM[@]}" tokenizer --corpus "$CACHE/built/corpus/train.txt" --out "$RUN/tokenizer.json" --vocab 8192
fi
# Config (a) of data.md: d 256, 4 layers, 4 heads, SwiGLU 704, 8k vocabulary; batch 32 × 128, bf16 autocast, 2 threads.
exec "${TRAIN_DLM[@]}" train --corpus "$CACHE/built/corpus" --tokenizer "$RUN/tokenizer.json" --run "$RUN" \
  --d-model 256 --layers 4 --heads 4 --mlp 704 --max-seq 128 --seq 128 --batch 32 \
  --steps 2600 --lr 1e-3 --warmup 150 --min-lr-factor 0.1 --curriculum 600 --t-max0 0.3 \
  --eval-every 200 --eval-windows 256 --checkpoint-every 500 --checkpoint-minutes 5 --threads 2 --log-every 25 \
  --max-minutes 58 "$@"
