#!/usr/bin/env bash
# Exports the latest checkpoint of the embedded model's run into the repository:
#   samples/EmbeddedModel/model/{config.json,generation_config.json,model.safetensors,tokenizer.json,training-summary.json}
#   docs/embedded-model.md (model card: data, size, steps, held-out loss curve vs the unigram baseline, generations)
# The exported folder is reloaded with DenoiserLoader, evaluated and sampled with LladaSampler before the card is written.
# The card is marked DRAFT while the run has not reached its last step; pass --final to export a run that stopped at
# its time limit as the release. Other arguments go to `TrainDlm export` (e.g. --dtype float32).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUN="${DS_RUN:-$HOME/.cache/diffusionsteering/runs/embedded-a}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
cd "$ROOT"
dotnet build -c Release -v q -nologo samples/TrainDlm >/dev/null
exec dotnet samples/TrainDlm/bin/Release/net10.0/TrainDlm.dll export --run "$RUN" --out samples/EmbeddedModel/model \
  --dtype bfloat16 --card docs/embedded-model.md --threads 2 "$@"
