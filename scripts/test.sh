#!/usr/bin/env bash
# The whole test suite: lint (ruff), types (mypy), the layers (import-linter), then pytest, slow
# tests included (a plain `pytest` skips those; pass -m 'not slow' here for the fast ones only).
# Tiers by cost (markers in pyproject.toml): e.g. -m 'not slow and not process' for the tests that
# start no process, server, Ray, torchrun, second venv or browser.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# verl in its own venv (tests/conformance, tests/integrations/test_verl*.py), built beside the rest
"$root/scripts/venv_verl.sh" &
verl=$!
"$root/scripts/venv.sh" test
"$root/scripts/chromium.sh"   # headless Chromium, for tests/runs/test_report_browser.py
"$root/scripts/rtl_tools.sh"  # Icarus Verilog and Yosys, for the RTL rewards (tests/rewards/test_rtl*.py)
cd "$root"
bin="$root/.venv/bin"
# the static checks need the main venv only: they run while the verl venv is still being built
echo "== ruff" && "$bin/ruff" check src tests bench examples && "$bin/ruff" format --check src tests bench examples
echo "== mypy" && "$bin/mypy"
echo "== import-linter" && "$bin/lint-imports" --no-logo --no-cache
wait "$verl"                  # its failure stops here (set -e)
# every core (pytest-xdist; one worker more measured no faster); tests that take the whole machine
# (Ray, torchrun, the verl venv) share one worker and run one at a time (tests/conftest.py); -n 0
# runs everything in this process
workers="${REWARDKIT_TEST_WORKERS:-auto}"
echo "== pytest" && "$bin/python" -m pytest -q -p no:cacheprovider --durations=15 -m "slow or not slow" \
  -n "$workers" --dist loadgroup "$@"
