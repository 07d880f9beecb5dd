#!/usr/bin/env bash
# The whole test suite: lint (ruff), types (mypy), then pytest, slow tests included (a plain
# `pytest` skips those; pass -m 'not slow' here for the fast ones only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/venv.sh"
"$root/scripts/venv_verl.sh"  # verl in its own venv, for tests/conformance/test_verl_advantages.py
"$root/scripts/chromium.sh"   # headless Chromium, for tests/train/test_report_browser.py
cd "$root"
bin="$root/.venv/bin"
echo "== ruff" && "$bin/ruff" check src tests bench examples && "$bin/ruff" format --check src tests bench examples
echo "== mypy" && "$bin/mypy"
echo "== pytest" && "$bin/python" -m pytest -q -p no:cacheprovider -m "slow or not slow" "$@"
