#!/usr/bin/env bash
# Create or reuse .venv-verl: verl 0.9.1 for the advantage conformance tests (tests/conformance) and
# the verl integration tests (tests/integrations/test_verl*.py: verl's reward loop on Ray, its
# compute_advantage), which also need rewardkit itself in this venv (--no-deps -e, its core deps).
# verl pins transformers < 5.11 (rewardkit's .venv has a newer one), so it lives in its own venv.
# torch is pinned and installed first (an unpinned torch pulls a multi-GB CUDA build); verl goes in
# with --no-deps (a resolving `pip install verl` backtracks for many minutes) plus the short list of
# what `import verl.trainer.ppo.core_algos` needs, torch repeated so pip never swaps it.
# REWARDKIT_SKIP_VERL=1 leaves it out (that test then skips, and fails under CI=true).
set -euo pipefail
if [ "${REWARDKIT_SKIP_VERL:-0}" = "1" ]; then
  exit 0
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-verl"
python="${PYTHON:-python3}"
stamp="$venv/.rewardkit-installed"
want="$(sha256sum "$root/scripts/venv_verl.sh" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
start=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
  echo "[rewardkit] creating $venv (verl for the conformance tests)" >&2
  "$python" -m venv "$venv"
fi
pip_install() {
  # pip's note that verl's other requirements (wandb, datasets, ...) are missing is expected:
  # the conformance tests import only verl.trainer.ppo.core_algos. Keep every other line.
  "$venv/bin/pip" install -q --disable-pip-version-check "$@" 2>&1 |
    { grep -v -e "^verl 0.9.1 requires" -e "dependency resolver does not currently" \
        -e "^WARNING: Location 'file:" >&2 || true; }
}
pip_install "torch==2.13.0" "numpy>=2"
pip_install --no-deps "verl==0.9.1"
pip_install "torch==2.13.0" "numpy>=2" packaging omegaconf codetiming orjson \
  "tensordict==0.10.0" "transformers>=5.5.3,<5.11,!=5.6.0" "ray==2.60.0"
# verl's reward loop (RewardLoopManager) and ray_trainer.compute_advantage import these
pip_install "torch==2.13.0" "numpy>=2" hydra-core dill pylatexenc pandas "pyarrow>=19" \
  torchdata datasets peft accelerate pillow cachetools aiohttp uvicorn fastapi
# rewardkit itself, editable, with its core dependencies and the client's httpx
pip_install --no-deps -e "$root"
pip_install "torch==2.13.0" "numpy>=2" scipy "pydantic>=2.5" pyyaml typer rich sacrebleu \
  "jsonschema>=4.18" httpx
# verifiers 0.4 (tests/integrations/test_verl_verifiers.py), held to what is installed so that it
# never moves verl's pins (unconstrained, it brings a transformers newer than verl allows)
"$venv/bin/pip" freeze --exclude-editable | grep -v " @ " > "$venv/constraints.txt"
pip_install -c "$venv/constraints.txt" "verifiers==0.4.0"
# the imports the tests make; their output (Ray's notes that there is no GPU) shows only on failure
imports_ok() {
  local out
  if ! out="$("$venv/bin/python" -W ignore -c "import $1" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
}
imports_ok "verl.trainer.ppo.core_algos"
imports_ok "verl.trainer.ppo.ray_trainer, verl.experimental.reward_loop"
imports_ok "rewardkit.integrations.verl, verifiers.v1"
echo "$want" > "$stamp"
echo "[rewardkit] $venv ready in $((SECONDS - start)) s" >&2
