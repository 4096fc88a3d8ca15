#!/usr/bin/env bash
# Second training phase of the embedded model: a new run (new cosine schedule, fresh AdamW state) that starts from the
# last checkpoint of phase 1 (train.sh) and trains on the same corpus with the same tokenizer. Same command resumes.
#   phase 1  $DS_RUN_PHASE1  (default ~/.cache/diffusionsteering/runs/embedded-a)
#   phase 2  $DS_RUN         (default ~/.cache/diffusionsteering/runs/embedded-b)
# Extra arguments go to `TrainDlm train` (e.g. --max-minutes 120). Then: DS_RUN=<phase 2 run> bash export.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PHASE1="${DS_RUN_PHASE1:-$HOME/.cache/diffusionsteering/runs/embedded-a}"
export DS_RUN="${DS_RUN:-$HOME/.cache/diffusionsteering/runs/embedded-b}"
last=$(ls -d "$PHASE1"/checkpoints/step-* 2>/dev/null | sort | tail -1)
[ -n "$last" ] || { echo "train-phase2: no phase-1 checkpoint under $PHASE1/checkpoints (run train.sh first)" >&2; exit 1; }
mkdir -p "$DS_RUN"
# Same tokenizer (and its token caches), so that train.sh does not train a new one.
for f in tokenizer.json tokens-train.bin tokens-valid.bin; do
  [ -e "$DS_RUN/$f" ] || cp "$PHASE1/$f" "$DS_RUN/$f"
done
# Full masking range from the start (the curriculum was phase 1's), a lower peak learning rate, 5,000 steps (20.5M tokens),
# another data-order seed (phase 1 drew its windows with seed 1234).
exec bash "$ROOT/samples/EmbeddedModel/train.sh" --init-from "$last" --steps 5000 --lr 6e-4 --warmup 100 --curriculum 0 \
  --min-lr-factor 0.1 --seed 4321 --max-minutes 90 "$@"
